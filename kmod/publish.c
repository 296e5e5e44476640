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
 * Results are kept (the server-side hash cache), a bounded number of
 * them per user, one per file and version, and used again only while the file's size,
 * mtime and ctime are those it was hashed with. Each result has a
 * random generation; a reader that fetches the encoded content information
 * in pieces names the file (an fd open for reading: content information
 * holds Kp, which opens the segments) and the generation, and restarts
 * when it changes. Setting the secret drops every result.
 */
#include <crypto/sha2.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/memcontrol.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/stat.h>
#include <linux/workqueue.h>

#include "pd_chunk.h"
#include "pd_ci_v2.h"
#include "chunk.h"
#include "publish.h"
#include "segment.h"

/*
 * Kept results: PD_HASHED_MAX in all, PD_HASHED_PER_USER of each user, so
 * that nobody pushes a server's results out by hashing files of their own.
 */
#define PD_HASHED_MAX		256
#define PD_HASHED_PER_USER	16
#define PD_V2_WINDOW	(8 * PD_CHUNK_MAX)	/* V2 bytes read at a time */

struct pd_hashed {
	struct list_head node;		/* in pd_hashed_list, under pd_publish_lock */
	struct kstat stat;		/* of the file when it was hashed */
	unsigned int version;		/* 1 or 2 */
	kuid_t owner;			/* who hashed it */
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

static void hashed_free(struct pd_hashed *h)
{
	list_del(&h->node);
	pd_nhashed--;
	kvfree(h->ci);
	kvfree(h->ids);
	kfree(h);
}

/* Lock contract: pd_publish_lock held. Forgets every kept result. */
static void drop_all_locked(void)
{
	struct pd_hashed *h, *next;

	lockdep_assert_held(&pd_publish_lock);
	list_for_each_entry_safe(h, next, &pd_hashed_list, node)
		hashed_free(h);
}

int pd_secret_set(const u8 *secret, size_t len)
{
	u8 ks[2][32];
	int err;

	sha256(secret, len, ks[0]);
	err = pd_hash(PD_HASH_V2_SHA512_TRUNC, secret, len, ks[1]);
	if (!err) {
		mutex_lock(&pd_publish_lock);
		memcpy(pd_ks, ks, sizeof(ks));
		pd_ks_set = true;
		drop_all_locked();	/* their Kp came from the old secret */
		mutex_unlock(&pd_publish_lock);
	}
	memzero_explicit(ks, sizeof(ks));
	return err;
}

void pd_publish_clear(bool own_only)
{
	struct pd_hashed *h, *next;
	kuid_t uid = current_fsuid();

	mutex_lock(&pd_publish_lock);
	list_for_each_entry_safe(h, next, &pd_hashed_list, node)
		if (!own_only || uid_eq(h->owner, uid))
			hashed_free(h);
	mutex_unlock(&pd_publish_lock);
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
 * A hash in progress: the caller waits for it (killable) while a worker
 * of pd_hash_wq reads and hashes, so that the hash runs in no caller's
 * context and a caller that dies leaves at once. The worker acts with
 * the caller's credentials (whoever hashes owns the result and is an
 * adder of its segments) and charges the caller's memory cgroup.
 */
struct pd_hash_job {
	struct work_struct work;
	struct kref ref;		/* the caller's and the worker's */
	struct completion done;
	struct file *file;
	struct kstat stat;
	unsigned int version;
	u8 ks[32];
	const struct cred *cred;	/* the caller's */
	struct mem_cgroup *memcg;	/* the caller's, or NULL */
	atomic64_t hashed;		/* bytes read so far */
	bool cancelled;			/* the caller was killed: stop */
	int err;			/* once done: the result's, kept */
	u64 generation;
	size_t len;
};

static struct workqueue_struct *pd_hash_wq;

/*
 * len bytes of the job's file at *pos; -EIO when the file ends first (it
 * shrank while being hashed), -EINTR once the caller is gone.
 */
static int read_full(struct pd_hash_job *job, u8 *buf, size_t len, loff_t *pos)
{
	ssize_t n;

	while (len) {
		if (READ_ONCE(job->cancelled))
			return -EINTR;
		n = kernel_read(job->file, buf, len, pos);
		if (n <= 0)
			return n < 0 ? n : -EIO;
		atomic64_add(n, &job->hashed);
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Hashes one segment at pos (size bytes) of file, adding it to the cache;
 * the caller gets a reference.
 */
static int hash_segment(struct pd_hash_job *job, loff_t pos, u32 size, const u8 *ks,
			u8 *buf, struct pd_segment **out)
{
	struct pd_segment *seg = pd_segment_build(PD_HASH_SHA256, size);
	u32 b;
	int err = 0;

	if (IS_ERR(seg))
		return PTR_ERR(seg);
	for (b = 0; !err && b < seg->desc.nblocks; b++)
		err = read_full(job, buf, pd_block_len(&seg->desc, b), &pos) ?:
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

#define V1_HEADER	(2 + 4 * 4)
#define V1_SEGMENT_DESC	(8 + 4 + 4 + 64)

/*
 * The encoded length of version 1 of a file of size bytes, and its
 * segment count: known before anything is read, since every segment but
 * the last is whole. -EFBIG past what kvmalloc() takes (INT_MAX).
 */
static int v1_len(loff_t size, u32 *n, size_t *len)
{
	u64 segs = DIV_ROUND_UP_ULL(size, PD_V1_MAX_SEGMENT);
	u64 blocks = DIV_ROUND_UP_ULL(size, PD_V1_BLOCK_SIZE);
	u64 total = V1_HEADER + segs * (V1_SEGMENT_DESC + 4) + blocks * 32;

	if (segs > U32_MAX || total > INT_MAX)
		return -EFBIG;
	*n = segs;
	*len = total;
	return 0;
}

/*
 * Version 1 of the whole file (MS-PCCRC 2.3: the header, the segment
 * descriptions, the block hashes), encoded as each segment is sealed:
 * no segment is held past its own encoding, so the cache may evict the
 * first ones of a large file while the rest is hashed.
 */
static u8 *hash_v1(struct pd_hash_job *job, loff_t size, const u8 *ks, struct pd_hashed *h)
{
	struct pd_segment *seg;
	u8 *buf, *ci, *desc, *hashes;
	loff_t pos;
	u32 n, i;
	int err;

	err = v1_len(size, &n, &h->len);
	if (err)
		return ERR_PTR(err);
	err = -ENOMEM;
	ci = kvmalloc(h->len, GFP_KERNEL_ACCOUNT);
	h->ids = kvmalloc_array(max(n, 1U), sizeof(*h->ids), GFP_KERNEL_ACCOUNT);
	buf = kvmalloc(PD_V1_BLOCK_SIZE, GFP_KERNEL);
	if (!ci || !h->ids || !buf)
		goto free;
	desc = put_le(ci, 0x0100, 2);
	desc = put_le(desc, PD_HASH_SHA256, 4);
	desc = put_le(desc, 0, 4);	/* dwOffsetInFirstSegment */
	desc = put_le(desc, 0, 4);	/* dwReadBytesInLastSegment: all of it */
	desc = put_le(desc, n, 4);
	hashes = desc + (size_t)n * V1_SEGMENT_DESC;
	for (i = 0, pos = 0, err = 0; !err && i < n; i++, pos += PD_V1_MAX_SEGMENT) {
		err = hash_segment(job, pos, min_t(loff_t, size - pos, PD_V1_MAX_SEGMENT),
				   ks, buf, &seg);
		if (err)
			break;
		desc = put_le(desc, pos, 8);
		desc = put_le(desc, seg->desc.size, 4);
		desc = put_le(desc, seg->desc.block_size, 4);
		memcpy(desc, seg->desc.hod, 32);
		memcpy(desc + 32, seg->desc.kp, 32);
		desc += 64;
		hashes = put_le(hashes, seg->desc.nblocks, 4);
		memcpy(hashes, seg->block_hashes, (size_t)seg->desc.nblocks * 32);
		hashes += (size_t)seg->desc.nblocks * 32;
		memcpy(h->ids[i], seg->desc.id, 32);
		pd_segment_put(seg);
	}
	h->nids = n;
free:
	kvfree(buf);
	if (!err)
		return ci;
	kvfree(ci);
	return ERR_PTR(err);
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

/* Hashes and caches one V2 segment. */
static int hash_v2_segment(const u8 *buf, u32 size, const u8 *ks, struct v2_desc *out)
{
	struct pd_segment *seg = pd_segment_build(PD_HASH_V2_SHA512_TRUNC, size);
	int err;

	if (IS_ERR(seg))
		return PTR_ERR(seg);
	err = pd_segment_build_block(seg, 0, buf);
	if (err) {
		pd_segment_put(seg);
		return err;
	}
	err = pd_segment_seal(seg, ks);
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
 * Version 2 of the whole file:
 * a window of the file is read, its segments cut and hashed one by one;
 * when less than a maximal segment is left undecided, the rest moves to
 * the front and more is read. A cut never looks past PD_CHUNK_MAX bytes,
 * so it is the one the library finds with the whole file at hand.
 */
static u8 *hash_v2(struct pd_hash_job *job, loff_t size, const u8 *ks, struct pd_hashed *h)
{
	u64 max = DIV_ROUND_UP_ULL(size, PD_CHUNK_MIN);	/* all but the last >= MIN */
	struct pd_ci_v2_header hdr = { 0 };
	size_t start = 0, end = 0, want, cut;
	struct v2_desc *descs = NULL;
	u8 *buf = NULL, *ci = NULL;
	loff_t pos = 0;
	u32 n = 0;
	int err = -EFBIG;

	if (max > U32_MAX || pd_ci_v2_size(max) > INT_MAX)
		goto free;	/* kvmalloc()'s limit */
	err = -ENOMEM;
	descs = kvmalloc_array(max ?: 1, sizeof(*descs), GFP_KERNEL_ACCOUNT);
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
			err = read_full(job, buf + end, want, &pos);
			if (err)
				break;
			end += want;
		}
		cut = pd_chunk_next(buf + start, end - start, pos == size);
		err = hash_v2_segment(buf + start, cut, ks, &descs[n++]);
		start += cut;
	}
	if (!err) {
		ci = kvmalloc(pd_ci_v2_size(n), GFP_KERNEL_ACCOUNT);
		h->ids = kvmalloc_array(max(n, 1U), sizeof(*h->ids), GFP_KERNEL_ACCOUNT);
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

/* Hashes the whole of the job's file with its Ks; no lock held. */
static struct pd_hashed *hash_file(struct pd_hash_job *job)
{
	const struct kstat *st = &job->stat;
	unsigned int version = job->version;
	struct pd_hashed *h;
	u8 *ci;

	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return ERR_PTR(-ENOMEM);
	ci = version == 2 ? hash_v2(job, st->size, job->ks, h) :
	     hash_v1(job, st->size, job->ks, h);
	if (IS_ERR(ci)) {
		kvfree(h->ids);
		kfree(h);
		return ERR_CAST(ci);
	}
	h->ci = ci;
	h->stat = *st;
	h->version = version;
	h->owner = current_fsuid();
	/* Not a handle: a reader names the file too (pd_content_info_read). */
	h->generation = get_random_u64();
	INIT_LIST_HEAD(&h->node);
	return h;
}

/*
 * Lock contract: pd_publish_lock held. Keeps h, in place of an older
 * result of the same file and version (two hashes that ran at once).
 */
static void keep_locked(struct pd_hashed *h)
{
	struct pd_hashed *old, *next, *owners_oldest = NULL;
	unsigned int owners = 0;

	lockdep_assert_held(&pd_publish_lock);
	list_for_each_entry_safe(old, next, &pd_hashed_list, node) {
		if (old->stat.dev == h->stat.dev && old->stat.ino == h->stat.ino &&
		    old->version == h->version) {
			hashed_free(old);
			continue;
		}
		if (uid_eq(old->owner, h->owner)) {
			owners++;
			owners_oldest = old;
		}
	}
	if (owners >= PD_HASHED_PER_USER)
		hashed_free(owners_oldest);
	list_add(&h->node, &pd_hashed_list);
	pd_nhashed++;
	if (pd_nhashed > PD_HASHED_MAX)
		hashed_free(list_last_entry(&pd_hashed_list, struct pd_hashed, node));
}

/* The file behind fd if it is a regular file open for reading, and its stat. */
static struct file *readable_file(int fd, struct kstat *st)
{
	struct file *file = fget(fd);
	int err;

	if (!file)
		return ERR_PTR(-EBADF);
	err = vfs_getattr(&file->f_path, st, STATX_BASIC_STATS, AT_STATX_SYNC_AS_STAT);
	if (!err && (!(file->f_mode & FMODE_READ) || !S_ISREG(st->mode)))
		err = -EBADF;
	if (err) {
		fput(file);
		return ERR_PTR(err);
	}
	return file;
}

static void job_free(struct kref *ref)
{
	struct pd_hash_job *job = container_of(ref, struct pd_hash_job, ref);

	fput(job->file);
	put_cred(job->cred);
	mem_cgroup_put(job->memcg);
	memzero_explicit(job->ks, sizeof(job->ks));
	kfree(job);
}

static void job_put(struct pd_hash_job *job)
{
	kref_put(&job->ref, job_free);
}

/* The worker: hashes, keeps the result, tells the caller (if still there). */
static void hash_work(struct work_struct *work)
{
	struct pd_hash_job *job = container_of(work, struct pd_hash_job, work);
	const struct cred *old_cred = override_creds(job->cred);
	struct mem_cgroup *old_memcg = set_active_memcg(job->memcg);
	struct pd_hashed *h = hash_file(job);

	job->err = PTR_ERR_OR_ZERO(h);
	if (!job->err) {
		job->generation = h->generation;
		job->len = h->len;
		mutex_lock(&pd_publish_lock);
		keep_locked(h);
		mutex_unlock(&pd_publish_lock);
	}
	set_active_memcg(old_memcg);
	revert_creds(old_cred);
	complete(&job->done);
	job_put(job);
}

static struct pd_hash_job *job_new(struct file *file, const struct kstat *st,
				   unsigned int version)
{
	struct pd_hash_job *job = kzalloc(sizeof(*job), GFP_KERNEL_ACCOUNT);

	if (!job)
		return NULL;
	INIT_WORK(&job->work, hash_work);
	kref_init(&job->ref);
	init_completion(&job->done);
	job->file = get_file(file);
	job->stat = *st;
	job->version = version;
	job->cred = get_current_cred();
	job->memcg = get_mem_cgroup_from_mm(current->mm);
	atomic64_set(&job->hashed, 0);
	return job;
}

/*
 * Lock contract: none. Waits for the job, killable, telling progress every
 * PD_HASH_PROGRESS_EVERY when asked; -EINTR (the job is cancelled) when
 * the caller is killed.
 */
static int job_wait(struct pd_hash_job *job, const struct pd_hash_progress *p)
{
	long left;

	if (!p)
		return wait_for_completion_killable(&job->done) ? -EINTR : 0;
	for (;;) {
		p->tell(p->arg, atomic64_read(&job->hashed), job->stat.size);
		left = wait_for_completion_killable_timeout(&job->done,
							    PD_HASH_PROGRESS_EVERY);
		if (left < 0)
			return -EINTR;
		if (left > 0)
			return 0;
	}
}

/*
 * The file's kept result, or a new one: hashed by a worker with no lock
 * held, with a copy of Ks taken under the lock.
 */
int pd_hash_fd(int fd, unsigned int version, const struct pd_hash_progress *p,
	       u64 *generation, size_t *len)
{
	struct pd_hash_job *job = NULL;
	struct pd_hashed *h = NULL;
	struct file *file;
	struct kstat st;
	int err;

	if (version != 1 && version != 2)
		return -EINVAL;	/* the policy already refuses it */
	file = readable_file(fd, &st);
	if (IS_ERR(file))
		return PTR_ERR(file);
	job = job_new(file, &st, version);
	fput(file);
	if (!job)
		return -ENOMEM;
	err = mutex_lock_killable(&pd_publish_lock);
	if (err)
		goto put_job;
	err = pd_ks_set ? 0 : -ENOKEY;	/* no server secret yet */
	if (!err) {
		h = lookup_locked(&st, version);
		memcpy(job->ks, pd_ks[version - 1], sizeof(job->ks));
	}
	if (h) {
		*generation = h->generation;
		*len = h->len;
	}
	mutex_unlock(&pd_publish_lock);
	if (err || h)
		goto put_job;
	kref_get(&job->ref);	/* the worker's */
	queue_work(pd_hash_wq, &job->work);
	err = job_wait(job, p);
	if (err) {
		WRITE_ONCE(job->cancelled, true);	/* the worker stops at its next read */
		goto put_job;
	}
	err = job->err;
	*generation = job->generation;
	*len = job->len;
put_job:
	job_put(job);
	return err;
}

/*
 * Only the file's own results, and only to a caller holding it open for
 * reading: content information holds Kp, which opens the segments.
 */
int pd_content_info_read(int fd, u64 generation, size_t offset, u8 *out, size_t cap,
			 size_t *got, size_t *total)
{
	struct pd_hashed *h;
	struct file *file;
	struct kstat st;
	int err = -ESTALE;	/* replaced or dropped: start over */

	file = readable_file(fd, &st);
	if (IS_ERR(file))
		return PTR_ERR(file);
	fput(file);
	mutex_lock(&pd_publish_lock);
	list_for_each_entry(h, &pd_hashed_list, node) {
		if (h->generation != generation || h->stat.dev != st.dev ||
		    h->stat.ino != st.ino)
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
		for (i = 0; i < h->nids; i++)	/* -ENOENT: evicted already */
			pd_segment_flush(h->ids[i], 32, false);
		hashed_free(h);
		err = 0;
	}
	mutex_unlock(&pd_publish_lock);
	return err;
}

int __init pd_publish_init(void)
{
	/* unbound: a long hash takes no CPU's per-CPU worker */
	pd_hash_wq = alloc_workqueue("peerdist_hash", WQ_UNBOUND, 0);
	return pd_hash_wq ? 0 : -ENOMEM;
}

void pd_publish_exit(void)
{
	destroy_workqueue(pd_hash_wq);	/* a cancelled hash stops at its next read */
	mutex_lock(&pd_publish_lock);
	drop_all_locked();
	memzero_explicit(pd_ks, sizeof(pd_ks));
	mutex_unlock(&pd_publish_lock);
}
