// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hash offload: content information for a file the caller hands over as a
 * file descriptor, computed here from the file's page-cache pages (nothing
 * is copied to user space), its segments and blocks added to the cache as
 * they are hashed. Version 1 (MS-PCCRC 2.3, SHA-256): 32 MiB segments of
 * 64 KiB blocks. Version 2 (2.4, SHA-512 truncated to 32 bytes): segments
 * cut where the content says (common/pd_chunk.h), each one block, written
 * with the library's own encoder (common/pd_ci_v2.h), so the bytes are
 * those `peerdist hash --v2` writes. The server secret is set once by an
 * administrator and cannot be read back: only each version's Ks is kept.
 *
 * Results are kept (the server-side hash cache), PD_HASHED_MAX of them,
 * one per file and version, and used again only while the file's size,
 * mtime and ctime are those it was hashed with. Each result has a
 * generation; a reader that fetches the encoded content information in
 * pieces restarts when it changes.
 */
#include <crypto/sha2.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/stat.h>

#include "pd_chunk.h"
#include "pd_ci_v2.h"
#include "peerdist.h"

#define PD_HASHED_MAX	16
#define PD_V2_WINDOW	(8 * PD_CHUNK_MAX)	/* V2 bytes read at a time */

struct pd_hashed {
	struct list_head node;		/* in pd_hashed_list, under pd_publish_lock */
	struct kstat stat;		/* of the file when it was hashed */
	unsigned int version;		/* 1 or 2 */
	u64 generation;
	size_t len;
	u8 *ci;				/* the encoded content information */
	u8 (*ids)[32];			/* its segments' ids, for unpublishing */
	u32 nids;
};

static DEFINE_MUTEX(pd_publish_lock);	/* the secret and the results */
static u8 pd_ks[2][32];			/* Ks of version 1, of version 2 */
static bool pd_ks_set;
static LIST_HEAD(pd_hashed_list);	/* most recently used first */
static unsigned int pd_nhashed;
static u64 pd_generation;

int pd_secret_set(const u8 *secret, size_t len)
{
	u8 ks[2][32];
	int err;

	sha256(secret, len, ks[0]);
	err = pd_hash(PD_HASH_V2, secret, len, ks[1]);
	if (!err) {
		mutex_lock(&pd_publish_lock);
		memcpy(pd_ks, ks, sizeof(ks));
		pd_ks_set = true;
		mutex_unlock(&pd_publish_lock);
	}
	memzero_explicit(ks, sizeof(ks));
	return err;
}

static void hashed_free(struct pd_hashed *h)
{
	list_del(&h->node);
	pd_nhashed--;
	kvfree(h->ci);
	kvfree(h->ids);
	kfree(h);
}

/*
 * Lock contract: pd_publish_lock held. The file's result of this version
 * if it is still true; the file's results of any version that are not,
 * since it changed, are dropped on the way.
 */
static struct pd_hashed *lookup_locked(const struct kstat *st, unsigned int version)
{
	struct pd_hashed *h, *next;

	lockdep_assert_held(&pd_publish_lock);
	list_for_each_entry_safe(h, next, &pd_hashed_list, node) {
		if (h->stat.dev != st->dev || h->stat.ino != st->ino)
			continue;
		if (h->stat.size != st->size ||
		    !timespec64_equal(&h->stat.mtime, &st->mtime) ||
		    !timespec64_equal(&h->stat.ctime, &st->ctime)) {
			hashed_free(h);
			continue;
		}
		if (h->version == version) {
			list_move(&h->node, &pd_hashed_list);
			return h;
		}
	}
	return NULL;
}

/*
 * len bytes of file at *pos; -EIO when the file ends first (it shrank
 * while being hashed), -EINTR when the caller is being killed.
 */
static int read_full(struct file *file, u8 *buf, size_t len, loff_t *pos)
{
	ssize_t n;

	while (len) {
		if (fatal_signal_pending(current))
			return -EINTR;
		n = kernel_read(file, buf, len, pos);
		if (n <= 0)
			return n < 0 ? n : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Hashes one segment at pos (size bytes) of file, adding it to the cache. */
static int hash_segment(struct file *file, loff_t pos, u32 size, const u8 *ks,
			u8 *buf, struct pd_segment **out)
{
	struct pd_segment *seg = pd_segment_build(PD_HASH_SHA256, size);
	u32 b;
	int err = 0;

	if (IS_ERR(seg))
		return PTR_ERR(seg);
	for (b = 0; !err && b < seg->desc.nblocks; b++)
		err = read_full(file, buf, pd_block_len(&seg->desc, b), &pos) ?:
		      pd_segment_build_block(seg, b, buf);
	if (err) {
		pd_segment_put(seg);
		return err;
	}
	err = pd_segment_seal(seg, ks);
	if (err)
		return err;
	*out = seg;
	return 0;
}

/* Little-endian fields at any alignment (the header's are odd). */
static u8 *put_le(u8 *p, u64 v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++, v >>= 8)
		p[i] = (u8)v;
	return p + bytes;
}

/* MS-PCCRC 2.3: the header, the segment descriptions, the block hashes. */
static u8 *encode_v1(struct pd_segment **segs, u32 n, size_t *len)
{
	size_t size = 2 + 4 * 4 + (size_t)n * (8 + 4 + 4 + 64);
	u8 *ci, *p;
	u64 offset = 0;
	u32 i;

	for (i = 0; i < n; i++)
		size += 4 + (size_t)segs[i]->desc.nblocks * 32;
	ci = kvmalloc(size, GFP_KERNEL);
	if (!ci)
		return NULL;
	p = put_le(ci, 0x0100, 2);
	p = put_le(p, PD_HASH_SHA256, 4);
	p = put_le(p, 0, 4);	/* dwOffsetInFirstSegment */
	p = put_le(p, 0, 4);	/* dwReadBytesInLastSegment: all of it */
	p = put_le(p, n, 4);
	for (i = 0; i < n; i++) {
		const struct pd_segment_desc *d = &segs[i]->desc;

		p = put_le(p, offset, 8);
		p = put_le(p, d->size, 4);
		p = put_le(p, d->block_size, 4);
		memcpy(p, d->hod, 32);
		memcpy(p + 32, d->kp, 32);
		p += 64;
		offset += d->size;
	}
	for (i = 0; i < n; i++) {
		p = put_le(p, segs[i]->desc.nblocks, 4);
		memcpy(p, segs[i]->block_hashes, (size_t)segs[i]->desc.nblocks * 32);
		p += (size_t)segs[i]->desc.nblocks * 32;
	}
	*len = p - ci;
	return ci;
}

/* Lock contract: pd_publish_lock held (Ks). Version 1 of the whole file. */
static u8 *hash_v1_locked(struct file *file, loff_t size, struct pd_hashed *h)
{
	u32 n = DIV_ROUND_UP_ULL(size, PD_V1_MAX_SEGMENT), i = 0;
	struct pd_segment **segs;
	u8 *buf, *ci = NULL;
	loff_t pos;
	int err = -ENOMEM;

	lockdep_assert_held(&pd_publish_lock);
	segs = kvcalloc(max(n, 1U), sizeof(*segs), GFP_KERNEL);
	buf = kvmalloc(PD_V1_BLOCK_SIZE, GFP_KERNEL);
	if (!segs || !buf)
		goto free;
	for (pos = 0, err = 0; !err && i < n; i++, pos += PD_V1_MAX_SEGMENT)
		err = hash_segment(file, pos, min_t(loff_t, size - pos, PD_V1_MAX_SEGMENT),
				   pd_ks[0], buf, &segs[i]);
	if (!err) {
		ci = encode_v1(segs, n, &h->len);
		h->ids = kvmalloc_array(max(n, 1U), sizeof(*h->ids), GFP_KERNEL);
		err = ci && h->ids ? 0 : -ENOMEM;
	}
	while (i--) {
		if (!segs[i])
			continue;
		if (!err)
			memcpy(h->ids[i], segs[i]->desc.id, 32);
		pd_segment_put(segs[i]);
	}
	h->nids = err ? 0 : n;
free:
	kvfree(buf);
	kvfree(segs);
	if (err)
		kvfree(ci);
	return err ? ERR_PTR(err) : ci;
}

/* What the V2 encoding needs of a segment, kept once the segment is cached. */
struct v2_desc {
	u32 size;
	u8 hod[32];
	u8 kp[32];
	u8 id[32];
};

static void v2_segment(const void *ctx, u32 i, struct pd_ci_v2_segment *out)
{
	const struct v2_desc *d = (const struct v2_desc *)ctx + i;

	out->size = d->size;
	out->hod = d->hod;
	out->kp = d->kp;
}

/* Lock contract: pd_publish_lock held (Ks). Hashes and caches one V2 segment. */
static int hash_v2_segment(const u8 *buf, u32 size, struct v2_desc *out)
{
	struct pd_segment *seg = pd_segment_build(PD_HASH_V2, size);
	int err;

	lockdep_assert_held(&pd_publish_lock);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	err = pd_segment_build_block(seg, 0, buf);
	if (err) {
		pd_segment_put(seg);
		return err;
	}
	err = pd_segment_seal(seg, pd_ks[1]);
	if (err)
		return err;
	out->size = size;
	memcpy(out->hod, seg->desc.hod, 32);
	memcpy(out->kp, seg->desc.kp, 32);
	memcpy(out->id, seg->desc.id, 32);
	/*
	 * Not held until the end, unlike V1's few: a large file has many
	 * segments, and the cache may evict the first ones meanwhile.
	 */
	pd_segment_put(seg);
	return 0;
}

/*
 * Lock contract: pd_publish_lock held (Ks). Version 2 of the whole file:
 * a window of the file is read, its segments cut and hashed one by one;
 * when less than a maximal segment is left undecided, the rest moves to
 * the front and more is read. A cut never looks past PD_CHUNK_MAX bytes,
 * so it is the one the library finds with the whole file at hand.
 */
static u8 *hash_v2_locked(struct file *file, loff_t size, struct pd_hashed *h)
{
	u64 max = DIV_ROUND_UP_ULL(size, PD_CHUNK_MIN);	/* all but the last >= MIN */
	struct pd_ci_v2_header hdr = { 0 };
	size_t start = 0, end = 0, want, cut;
	struct v2_desc *descs = NULL;
	u8 *buf = NULL, *ci = NULL;
	loff_t pos = 0;
	u32 n = 0;
	int err = -EFBIG;

	lockdep_assert_held(&pd_publish_lock);
	if (max > U32_MAX || pd_ci_v2_size(max) > INT_MAX)
		goto free;	/* kvmalloc()'s limit */
	err = -ENOMEM;
	descs = kvmalloc_array(max ?: 1, sizeof(*descs), GFP_KERNEL);
	buf = kvmalloc(PD_V2_WINDOW, GFP_KERNEL);
	if (!descs || !buf)
		goto free;
	err = 0;
	while (!err && (start < end || pos < size)) {
		if (end - start < PD_CHUNK_MAX && pos < size) {
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
			want = min_t(loff_t, PD_V2_WINDOW - end, size - pos);
			err = read_full(file, buf + end, want, &pos);
			if (err)
				break;
			end += want;
		}
		cut = pd_chunk_next(buf + start, end - start, pos == size);
		err = hash_v2_segment(buf + start, cut, &descs[n++]);
		start += cut;
	}
	if (!err) {
		ci = kvmalloc(pd_ci_v2_size(n), GFP_KERNEL);
		h->ids = kvmalloc_array(max(n, 1U), sizeof(*h->ids), GFP_KERNEL);
		err = ci && h->ids ? 0 : -ENOMEM;
	}
	if (!err) {
		h->len = pd_ci_v2_encode(ci, &hdr, n, v2_segment, descs);
		for (h->nids = 0; h->nids < n; h->nids++)
			memcpy(h->ids[h->nids], descs[h->nids].id, 32);
	}
free:
	kvfree(buf);
	kvfree(descs);
	if (err)
		kvfree(ci);
	return err ? ERR_PTR(err) : ci;
}

/* Lock contract: pd_publish_lock held. Hashes the whole of file, keeps it. */
static struct pd_hashed *hash_file_locked(struct file *file, const struct kstat *st,
					  unsigned int version)
{
	struct pd_hashed *h;
	u8 *ci;

	lockdep_assert_held(&pd_publish_lock);
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return ERR_PTR(-ENOMEM);
	ci = version == 2 ? hash_v2_locked(file, st->size, h) :
			    hash_v1_locked(file, st->size, h);
	if (IS_ERR(ci)) {
		kvfree(h->ids);
		kfree(h);
		return ERR_CAST(ci);
	}
	h->ci = ci;
	h->stat = *st;
	h->version = version;
	h->generation = ++pd_generation;
	list_add(&h->node, &pd_hashed_list);
	if (++pd_nhashed > PD_HASHED_MAX)
		hashed_free(list_last_entry(&pd_hashed_list, struct pd_hashed, node));
	return h;
}

int pd_hash_fd(int fd, unsigned int version, u64 *generation, size_t *len)
{
	struct file *file = fget(fd);
	struct pd_hashed *h;
	struct kstat st;
	int err;

	if (!file)
		return -EBADF;
	err = vfs_getattr(&file->f_path, &st, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT);
	if (!err && (!(file->f_mode & FMODE_READ) || !S_ISREG(st.mode)))
		err = -EBADF;
	if (!err && version != 1 && version != 2)
		err = -EINVAL;	/* the policy already refuses it */
	if (err)
		goto put_file;
	mutex_lock(&pd_publish_lock);
	if (!pd_ks_set) {
		err = -ENOKEY;	/* no server secret yet */
	} else {
		h = lookup_locked(&st, version) ?: hash_file_locked(file, &st, version);
		if (IS_ERR(h)) {
			err = PTR_ERR(h);
		} else {
			*generation = h->generation;
			*len = h->len;
		}
	}
	mutex_unlock(&pd_publish_lock);
put_file:
	fput(file);
	return err;
}

int pd_content_info_read(u64 generation, size_t offset, u8 *out, size_t cap,
			 size_t *got, size_t *total)
{
	struct pd_hashed *h;
	int err = -ESTALE;	/* replaced or dropped: start over */

	mutex_lock(&pd_publish_lock);
	list_for_each_entry(h, &pd_hashed_list, node) {
		if (h->generation != generation)
			continue;
		err = offset > h->len ? -EINVAL : 0;
		if (!err) {
			*got = min(cap, h->len - offset);
			*total = h->len;
			memcpy(out, h->ci + offset, *got);
		}
		break;
	}
	mutex_unlock(&pd_publish_lock);
	return err;
}

/*
 * The file's kept results go, and their segments leave the cache (also
 * where another file shares one: it is hashed or fetched again). Only the
 * file's owner or an administrator may.
 */
int pd_unpublish_fd(int fd)
{
	struct file *file = fget(fd);
	struct pd_hashed *h, *next;
	struct kstat st;
	int err;
	u32 i;

	if (!file)
		return -EBADF;
	err = vfs_getattr(&file->f_path, &st, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT);
	fput(file);
	if (err)
		return err;
	if (!uid_eq(st.uid, current_fsuid()) && !capable(CAP_NET_ADMIN))
		return -EPERM;
	err = -ENOENT;
	mutex_lock(&pd_publish_lock);
	list_for_each_entry_safe(h, next, &pd_hashed_list, node) {
		if (h->stat.dev != st.dev || h->stat.ino != st.ino)
			continue;
		for (i = 0; i < h->nids; i++)
			pd_segment_flush(h->ids[i], 32);	/* -ENOENT: evicted already */
		hashed_free(h);
		err = 0;
	}
	mutex_unlock(&pd_publish_lock);
	return err;
}

void pd_publish_exit(void)
{
	struct pd_hashed *h, *next;

	mutex_lock(&pd_publish_lock);
	list_for_each_entry_safe(h, next, &pd_hashed_list, node)
		hashed_free(h);
	memzero_explicit(pd_ks, sizeof(pd_ks));
	mutex_unlock(&pd_publish_lock);
}
