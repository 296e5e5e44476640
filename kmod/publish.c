// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hash offload: content information (MS-PCCRC version 1, SHA-256) for a
 * file the caller hands over as a file descriptor, computed here from the
 * file's page-cache pages (nothing is copied to user space), its segments
 * and blocks added to the cache as they are hashed. The server secret is
 * set once by an administrator and cannot be read back: only Ks, its
 * SHA-256, is kept.
 *
 * Results are kept (the server-side hash cache), PD_HASHED_MAX of them,
 * and used again only while the file's size, mtime and ctime are those it
 * was hashed with. Each result has a generation; a reader that fetches
 * the encoded content information in pieces restarts when it changes.
 */
#include <crypto/sha2.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/stat.h>

#include "peerdist.h"

#define PD_HASHED_MAX	16

struct pd_hashed {
	struct list_head node;		/* in pd_hashed_list, under pd_publish_lock */
	struct kstat stat;		/* of the file when it was hashed */
	u64 generation;
	size_t len;
	u8 *ci;				/* the encoded content information */
};

static DEFINE_MUTEX(pd_publish_lock);	/* the secret and the results */
static u8 pd_ks[32];
static bool pd_ks_set;
static LIST_HEAD(pd_hashed_list);	/* most recently used first */
static unsigned int pd_nhashed;
static u64 pd_generation;

int pd_secret_set(const u8 *secret, size_t len)
{
	u8 ks[32];

	sha256(secret, len, ks);
	mutex_lock(&pd_publish_lock);
	memcpy(pd_ks, ks, sizeof(ks));
	pd_ks_set = true;
	mutex_unlock(&pd_publish_lock);
	memzero_explicit(ks, sizeof(ks));
	return 0;
}

static void hashed_free(struct pd_hashed *h)
{
	list_del(&h->node);
	pd_nhashed--;
	kvfree(h->ci);
	kfree(h);
}

/* Lock contract: pd_publish_lock held. A result still true for the file. */
static struct pd_hashed *lookup_locked(const struct kstat *st)
{
	struct pd_hashed *h;

	lockdep_assert_held(&pd_publish_lock);
	list_for_each_entry(h, &pd_hashed_list, node) {
		if (h->stat.dev != st->dev || h->stat.ino != st->ino)
			continue;
		if (h->stat.size == st->size &&
		    timespec64_equal(&h->stat.mtime, &st->mtime) &&
		    timespec64_equal(&h->stat.ctime, &st->ctime)) {
			list_move(&h->node, &pd_hashed_list);
			return h;
		}
		hashed_free(h);	/* the file changed: the result is void */
		return NULL;
	}
	return NULL;
}

/* Hashes one segment at pos (size bytes) of file, adding it to the cache. */
static int hash_segment(struct file *file, loff_t pos, u32 size, const u8 *ks,
			u8 *buf, struct pd_segment **out)
{
	struct pd_segment *seg = pd_segment_build(size);
	u32 b, len;
	ssize_t n;
	int err = 0;

	if (IS_ERR(seg))
		return PTR_ERR(seg);
	for (b = 0; !err && b < seg->desc.nblocks; b++) {
		len = pd_block_len(&seg->desc, b);
		n = kernel_read(file, buf, len, &pos);
		err = n == len ? pd_segment_build_block(seg, b, buf) :
		      n < 0 ? n : -EIO;	/* shorter: the file shrank meanwhile */
	}
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
static u8 *encode(struct pd_segment **segs, u32 n, size_t *len)
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

/* Lock contract: pd_publish_lock held. Hashes the whole of file. */
static struct pd_hashed *hash_file_locked(struct file *file, const struct kstat *st)
{
	loff_t size = st->size, pos;
	u32 n = DIV_ROUND_UP_ULL(size, PD_V1_MAX_SEGMENT), i = 0;
	struct pd_segment **segs;
	struct pd_hashed *h;
	u8 *buf;
	int err = -ENOMEM;

	lockdep_assert_held(&pd_publish_lock);
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	segs = kvcalloc(max(n, 1U), sizeof(*segs), GFP_KERNEL);
	buf = kvmalloc(PD_V1_BLOCK_SIZE, GFP_KERNEL);
	if (!h || !segs || !buf)
		goto free;
	h->stat = *st;
	for (pos = 0, err = 0; !err && i < n; i++, pos += PD_V1_MAX_SEGMENT)
		err = hash_segment(file, pos, min_t(loff_t, size - pos, PD_V1_MAX_SEGMENT),
				   pd_ks, buf, &segs[i]);
	if (!err) {
		h->ci = encode(segs, n, &h->len);
		err = h->ci ? 0 : -ENOMEM;
	}
	while (i--)
		if (segs[i])
			pd_segment_put(segs[i]);
free:
	kvfree(buf);
	kvfree(segs);
	if (err) {
		kfree(h);
		return ERR_PTR(err);
	}
	h->generation = ++pd_generation;
	list_add(&h->node, &pd_hashed_list);
	if (++pd_nhashed > PD_HASHED_MAX)
		hashed_free(list_last_entry(&pd_hashed_list, struct pd_hashed, node));
	return h;
}

int pd_hash_fd(int fd, u64 *generation, size_t *len)
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
	if (err)
		goto put_file;
	mutex_lock(&pd_publish_lock);
	if (!pd_ks_set) {
		err = -ENOKEY;	/* no server secret yet */
	} else {
		h = lookup_locked(&st) ?: hash_file_locked(file, &st);
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

void pd_publish_exit(void)
{
	struct pd_hashed *h, *next;

	mutex_lock(&pd_publish_lock);
	list_for_each_entry_safe(h, next, &pd_hashed_list, node)
		hashed_free(h);
	memzero_explicit(pd_ks, sizeof(pd_ks));
	mutex_unlock(&pd_publish_lock);
}
