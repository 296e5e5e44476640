// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The embedded user-space store: a cache directory shared by every process
 * that uses it (layout: Documentation/store.md). Block bytes live in plain
 * files, so they sit in the page cache and io_uring reads them directly.
 *
 * Crash safety without fsync (a kill -9, not a power cut, is the threat):
 * a block's bytes are written before its presence byte, and a segment's
 * files exist before its description is renamed into place, so whatever
 * instant a writer dies at, a block that reads as present is complete and
 * was verified. Concurrent writers write identical verified bytes.
 * Eviction unlinks files; a reader's open descriptor keeps its bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cache_file.h"
#include "clock.h"
#include "digest.h"
#include "fileio.h"
#include "hex.h"
#include "open_cache.h"
#include "pccrr_crypto.h"
#include "sha256_mb.h"
#include "store.h"
#include "store_meta.h"

#define LAYOUT_VERSION	"1\n"
#define DESC_MAGIC	0x47534450u	/* "PDSG" */
#define MIN_MAX_BYTES	(64ull << 20)

enum { ST_BYTES, ST_SEGMENTS, ST_HITS, ST_MISSES, ST_EVICTIONS,
       ST_VERIFY_FAILURES, ST_MAX_BYTES, ST_GENERATION, ST_COUNT };

#define OPEN_SEGMENTS	8
#define PUT_BLOCKS	3	/* verified, then written, together: the SHA-NI lanes */

struct open_segment {
	struct pd_open_slot slot;	/* first: the open cache's */
	time_t touched;			/* last LRU time stamp written */
	int64_t checked_ms;		/* last check for eviction by others */
	struct pd_segment_desc d;
	uint8_t *hashes;
	int data_fd;
	int *data_refs;			/* the slot and reads using data_fd (atomic) */
	uint8_t *present;		/* the presence map, mapped shared */
};

struct user_store {
	struct pd_store base;
	int dirfd;
	struct pd_store_meta *meta;	/* publications and tags */
	int wait_fd;		/* inotify on "generation", or a tick */
	int ticking;		/* wait_fd is the tick: look at the generation */
	uint64_t seen_generation;	/* when ticking */
	uint64_t *counters;	/* shared by all processes: mmap of "stats" */
	pthread_mutex_t lock;		/* the open segments below */
	struct open_segment open[OPEN_SEGMENTS];
	struct pd_open_cache opened;	/* over open[] */
	int generation_fd;
	int tmpfs;			/* the directory is: no disk to wait for */
};

static struct user_store *to_user(struct pd_store *s)
{
	return (struct user_store *)s;
}

static void count(struct user_store *u, int which, int64_t delta)
{
	__atomic_add_fetch(&u->counters[which], (uint64_t)delta, __ATOMIC_RELAXED);
}

/* "segments/<id hex>[/name]" */
static void seg_path(const uint8_t *id, unsigned idlen, const char *name,
		     char path[PATH_MAX])
{
	char hex[2 * PD_HASH_MAX + 1];

	pd_hex_encode(id, idlen, hex, 0);
	snprintf(path, PATH_MAX, "segments/%s%s%s", hex, name ? "/" : "",
		 name ? name : "");
}

/* ---- segment descriptions on disk ---- */

struct desc_header {
	uint32_t magic, hash_alg, hash_len, size, block_size, nblocks;
};

static int store_desc(struct user_store *u, const struct pd_segment_desc *d)
{
	size_t hl = d->hash_len, hashes = (size_t)d->nblocks * hl;
	size_t len = sizeof(struct desc_header) + 3 * hl + hashes;
	struct desc_header hdr = { DESC_MAGIC, d->hash_alg, d->hash_len,
				   d->size, d->block_size, d->nblocks };
	char path[PATH_MAX];
	uint8_t *buf = malloc(len), *p = buf;
	int err;

	if (!buf)
		return -ENOMEM;
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	memcpy(p, d->id, hl);
	memcpy(p + hl, d->hod, hl);
	memcpy(p + 2 * hl, d->kp, hl);
	memcpy(p + 3 * hl, d->block_hashes, hashes);
	seg_path(d->id, hl, "desc", path);
	err = pd_cache_create_file(u->dirfd, path, buf, len, 0);
	free(buf);
	return err;
}

/*
 * Open segments: a few recently used segments stay open (description,
 * data descriptor, presence map mapped shared), so that a block costs a
 * pwrite, a pread or a dup rather than a handful of opens. Lock contract
 * for all of this part: u->lock held. Another process may evict a segment
 * we hold open: its files are then unlinked, which fstat shows (st_nlink
 * 0), and the slot is reopened from the current files. A read outside the
 * lock (read_blocks_now) holds a reference on the data descriptor, so a
 * slot closed meanwhile leaves the descriptor to the last such read.
 */
/* Lets go of a reference on a data descriptor; the last one closes it. */
static void data_fd_put(int fd, int *refs)
{
	if (!refs || !__atomic_sub_fetch(refs, 1, __ATOMIC_ACQ_REL)) {
		close(fd);
		free(refs);
	}
}

static void drop_slot(struct open_segment *o)
{
	if (o->present)
		munmap(o->present, o->d.nblocks);
	/* A read outside the lock may still use the descriptor: it closes. */
	data_fd_put(o->data_fd, o->data_refs);
	free(o->hashes);
	memset(o, 0, sizeof(*o));
}

static int read_desc(struct user_store *u, const uint8_t *id, unsigned idlen,
		     struct open_segment *o)
{
	struct desc_header hdr;
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len, hl;
	int err;

	seg_path(id, idlen, "desc", path);
	err = pd_cache_read_file(u->dirfd, path, &buf, &len);
	if (err)
		return err;
	if (len < sizeof(hdr)) {
		free(buf);
		return -EUCLEAN;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	hl = hdr.hash_len;
	if (hdr.magic != DESC_MAGIC || hl != idlen ||
	    len != sizeof(hdr) + 3 * hl + (size_t)hdr.nblocks * hl ||
	    !hdr.nblocks || hdr.nblocks > PD_BLOCKS_PER_SEGMENT) {
		free(buf);
		return -EUCLEAN;
	}
	o->d = (struct pd_segment_desc){ .hash_alg = hdr.hash_alg, .hash_len = hl,
		.size = hdr.size, .block_size = hdr.block_size,
		.nblocks = hdr.nblocks };
	memcpy(o->d.id, buf + sizeof(hdr), hl);
	memcpy(o->d.hod, buf + sizeof(hdr) + hl, hl);
	memcpy(o->d.kp, buf + sizeof(hdr) + 2 * hl, hl);
	memmove(buf, buf + sizeof(hdr) + 3 * hl, (size_t)hdr.nblocks * hl);
	o->hashes = buf;
	o->d.block_hashes = buf;
	/* A damaged file (a disk's error, a hand's edit) must not reach the
	 * arithmetic on sizes or vouch for blocks: it is checked as whole
	 * content information is, and must be the segment it is filed as. */
	if (memcmp(o->d.id, id, idlen) || pd_segment_desc_verify(&o->d)) {
		free(buf);
		o->hashes = NULL;
		return -EUCLEAN;
	}
	return 0;
}

static void remove_segment_by_id(const uint8_t *id, unsigned idlen, void *arg);

static int open_slot(struct user_store *u, const uint8_t *id, unsigned idlen,
		     struct open_segment *o)
{
	char path[PATH_MAX];
	int fd, err;

	err = read_desc(u, id, idlen, o);
	if (err == -EUCLEAN) {
		/* Damaged (a disk's error, a hand's edit): gone as if evicted,
		 * blocks and all, so that the next add makes it anew. */
		remove_segment_by_id(id, idlen, u);
		count(u, ST_SEGMENTS, -1);
		return -ENOENT;
	}
	if (err)
		return err;
	seg_path(id, idlen, "data", path);
	o->data_fd = openat(u->dirfd, path, O_RDWR | O_CLOEXEC);
	seg_path(id, idlen, "present", path);
	fd = openat(u->dirfd, path, O_RDWR | O_CLOEXEC);
	if (o->data_fd < 0 || fd < 0) {
		err = -ENOENT;	/* evicted between the description and now */
	} else if (!(o->data_refs = malloc(sizeof(*o->data_refs)))) {
		err = -ENOMEM;
	} else {
		*o->data_refs = 1;
		o->present = mmap(NULL, o->d.nblocks, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, 0);
		if (o->present == MAP_FAILED) {
			o->present = NULL;
			err = -EIO;
		}
	}
	if (fd >= 0)
		close(fd);
	if (err)
		drop_slot(o);
	return err;
}

/* Marks the segment recently used (its directory's times), for LRU;
 * at most once a second per open segment. */
static void touch_slot(struct user_store *u, struct open_segment *o)
{
	struct timespec now;
	char path[PATH_MAX];

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	if (o->touched && now.tv_sec == o->touched)
		return;
	o->touched = now.tv_sec;
	seg_path(o->d.id, o->d.hash_len, NULL, path);
	utimensat(u->dirfd, path, NULL, 0);
}

/* Whether another process evicted o: checked at most every few ms. */
static int stale(struct open_segment *o, struct stat *st)
{
	int64_t ms = pd_now_ms_coarse();

	if (ms == o->checked_ms)
		return 0;
	o->checked_ms = ms;
	return fstat(o->data_fd, st) || st->st_nlink == 0;
}

static void close_slot(struct pd_open_slot *slot)
{
	drop_slot((struct open_segment *)slot);
}

static struct open_segment *get_slot(struct user_store *u, const uint8_t *id,
				     unsigned idlen, int *err)
{
	struct open_segment *o;
	struct stat st;

	o = (struct open_segment *)pd_open_cache_find(&u->opened, id, idlen);
	if (o && stale(o, &st))
		pd_open_cache_close(&u->opened, &o->slot);
	else if (o)
		goto used;
	o = (struct open_segment *)pd_open_cache_take(&u->opened);
	*err = open_slot(u, id, idlen, o);
	if (*err)
		return NULL;
	pd_open_cache_insert(&u->opened, &o->slot, id, idlen);
used:
	touch_slot(u, o);
	return o;
}

/* Forgets an open segment by its directory name (it is being removed). */
static void forget_slot(struct user_store *u, const char *name)
{
	uint8_t id[PD_HASH_MAX];
	int len = pd_hex_decode(name, id, sizeof(id));

	if (len > 0)
		pd_open_cache_forget(&u->opened, id, len);
}

static int user_add_segment(struct pd_store *s, const struct pd_segment_desc *d)
{
	struct user_store *u = to_user(s);
	char path[PATH_MAX];
	int err, fd, i;

	err = pd_segment_desc_verify(d);
	if (err == -EBADMSG)
		count(u, ST_VERIFY_FAILURES, 1);
	if (err)
		return err;
	seg_path(d->id, d->hash_len, NULL, path);
	if (mkdirat(u->dirfd, path, PD_CACHE_DIR_MODE) && errno != EEXIST)
		return -errno;
	/* data (sparse) and presence map first: the description commits. */
	for (i = 0; i < 2; i++) {
		seg_path(d->id, d->hash_len, i ? "present" : "data", path);
		fd = openat(u->dirfd, path, O_WRONLY | O_CREAT | O_CLOEXEC, PD_CACHE_FILE_MODE);
		if (fd < 0)
			return -errno;
		err = ftruncate(fd, i ? d->nblocks : d->size) ? -errno : 0;
		close(fd);
		if (err)
			return err;
	}
	err = store_desc(u, d);
	if (err == -EEXIST)
		return 0;
	if (!err)
		count(u, ST_SEGMENTS, 1);
	return err;
}

/* Lock contract: u->lock held. Whether o's block index is present. */
static int slot_has(const struct open_segment *o, uint32_t index)
{
	return index < o->d.nblocks &&
	       __atomic_load_n(&o->present[index], __ATOMIC_ACQUIRE) == 1;
}

static int user_has_block(struct pd_store *s, const uint8_t *id,
			  unsigned idlen, uint32_t index)
{
	struct user_store *u = to_user(s);
	struct open_segment *o;
	int err = 0, present;

	pthread_mutex_lock(&u->lock);
	o = get_slot(u, id, idlen, &err);
	present = o && slot_has(o, index);
	pthread_mutex_unlock(&u->lock);
	return err && err != -ENOENT ? err : present;
}

static void maybe_evict(struct user_store *u);

/* Wakes every waiter of every process: they watch this file. */
static void bump_generation(struct user_store *u)
{
	uint64_t g = __atomic_add_fetch(&u->counters[ST_GENERATION], 1,
					__ATOMIC_RELAXED);

	pd_pwrite_full(u->generation_fd, &g, sizeof(g), 0);
}

/* Lock contract: u->lock held. Marks blocks first.. of o present, which
 * were written (len bytes); *added grows by the bytes new to it. */
static void mark_present(struct open_segment *o, uint32_t first, uint32_t n,
			 size_t len, uint64_t *added)
{
	uint32_t i;

	for (i = first; i < first + n; i++) {
		if (__atomic_exchange_n(&o->present[i], 1, __ATOMIC_RELEASE) != 1)
			*added += i + 1 == first + n ? len - (uint64_t)(n - 1) * o->d.block_size :
						       o->d.block_size;
	}
}

/* Lock contract: u->lock held. Writes verified blocks first.. into o;
 * *added grows by the bytes that were not present before. */
static int write_blocks(struct open_segment *o, uint32_t first, uint32_t n,
			const void *data, size_t len, uint64_t *added)
{
	int err = pd_pwrite_full(o->data_fd, data, len, (uint64_t)first * o->d.block_size);

	/* The bytes are in the page cache before the presence bytes say so. */
	if (!err)
		mark_present(o, first, n, len, added);
	return err;
}

/* After a run of blocks was written: counted, waiters woken (once per
 * run: each wake-up is a write and an inotify event for every process
 * watching), and the cache kept under its size. */
static void blocks_added(struct user_store *u, uint64_t added)
{
	count(u, ST_BYTES, added);
	bump_generation(u);
	pthread_mutex_lock(&u->lock);
	maybe_evict(u);
	pthread_mutex_unlock(&u->lock);
}

/* How many of n blocks in data match their hashes, in order. */
static uint32_t verified_prefix(unsigned alg, unsigned h, const uint8_t *want,
				const uint8_t *data, uint32_t n, size_t len,
				uint32_t block_size)
{
	const uint8_t *msgs[PD_BLOCKS_PER_SEGMENT];
	uint8_t (*got)[32] = NULL, one[PD_HASH_MAX];
	uint32_t i, whole = len / block_size < n ? len / block_size : n;

	/* Whole SHA-256 blocks go through the multi-buffer code together. */
	if (alg == PD_HASH_SHA256 && whole > 1 && (got = malloc(whole * 32))) {
		for (i = 0; i < whole; i++)
			msgs[i] = data + (size_t)i * block_size;
		pd_sha256_many(msgs, whole, block_size, got);
		for (i = 0; i < whole; i++)
			if (!pd_digest_equal(got[i], want + (size_t)i * h, h))
				break;
		free(got);
		if (i < whole)
			return i;
	} else {
		whole = 0;
	}
	for (i = whole; i < n; i++) {
		size_t at = (size_t)i * block_size;
		size_t blen = i + 1 == n ? len - at : block_size;

		pd_digest(alg, data + at, blen, one);
		if (!pd_digest_equal(one, want + (size_t)i * h, h))
			return i;
	}
	return n;
}

/* Lock contract: u->lock held. The data descriptor of segment id with a
 * reference taken (*refs, for data_fd_put), or -1 and *err. */
static int pin_data_fd(struct user_store *u, const uint8_t *id, unsigned idlen,
		       int **refs, int *err)
{
	struct open_segment *o = get_slot(u, id, idlen, err);

	if (!o)
		return -1;
	*refs = o->data_refs;
	__atomic_add_fetch(*refs, 1, __ATOMIC_RELAXED);
	return o->data_fd;
}

/* Verifies and writes blocks first.. through fd, PUT_BLOCKS at a time:
 * each group is hashed and written while it is still in L2, so the
 * caller's buffer is read from memory once. Stops at the first block that
 * does not match; *kept counts those verified and written before it. */
static int verify_and_write(int fd, const uint8_t *want, unsigned alg, unsigned h,
			    uint32_t bs, uint32_t first, uint32_t n,
			    const uint8_t *data, size_t len, uint32_t *kept)
{
	uint32_t done, k, good;
	int err = 0;

	*kept = 0;
	for (done = 0; done < n; done += k) {
		size_t at = (size_t)done * bs, part;

		k = n - done < PUT_BLOCKS ? n - done : PUT_BLOCKS;
		part = done + k == n ? len - at : (size_t)k * bs;
		good = verified_prefix(alg, h, want + (size_t)done * h, data + at,
				       k, part, bs);
		if (good)
			err = pd_pwrite_full(fd, data + at, good == k ? part : (size_t)good * bs,
					     (uint64_t)(first + done) * bs);
		if (err)
			break;
		*kept += good;
		if (good < k)
			break;
	}
	return err;
}

/*
 * Verifies and writes blocks first.. of a segment from data, then marks
 * those before the first that does not match present. Only the marking
 * takes the lock: the bytes go through a reference on the slot's data
 * descriptor, so that other threads' reads and writes (of other segments'
 * files: writes into one file take turns on its inode's lock) go on
 * meanwhile. If the slot was reopened in between (evicted, or replaced),
 * the blocks are written again through the current one.
 */
static int put_verified(struct user_store *u, const uint8_t *id, unsigned idlen,
			const uint8_t *want, unsigned alg, unsigned h, uint32_t bs,
			uint32_t first, uint32_t n, const uint8_t *data, size_t len)
{
	struct open_segment *o;
	uint64_t added = 0;
	uint32_t kept = 0;
	size_t kept_len;
	int err = 0, mark_err = 0, *refs = NULL, fd;

	pthread_mutex_lock(&u->lock);
	fd = pin_data_fd(u, id, idlen, &refs, &err);
	pthread_mutex_unlock(&u->lock);
	if (fd < 0)
		return err;
	err = verify_and_write(fd, want, alg, h, bs, first, n, data, len, &kept);
	kept_len = kept == n ? len : (size_t)kept * bs;
	pthread_mutex_lock(&u->lock);
	o = kept ? get_slot(u, id, idlen, &mark_err) : NULL;
	if (o && o->data_refs == refs)
		mark_present(o, first, kept, kept_len, &added);
	else if (o)
		mark_err = write_blocks(o, first, kept, data, kept_len, &added);
	pthread_mutex_unlock(&u->lock);
	data_fd_put(fd, refs);
	if (added)
		blocks_added(u, added);
	if (!err && !mark_err && kept < n) {
		count(u, ST_VERIFY_FAILURES, 1);
		return -EBADMSG;
	}
	return err ? err : mark_err;
}

static int user_put_blocks(struct pd_store *s, const uint8_t *id,
			   unsigned idlen, uint32_t first, uint32_t n,
			   const void *data, size_t len)
{
	struct user_store *u = to_user(s);
	uint8_t *want = NULL;
	struct open_segment *o;
	unsigned alg = 0, h = 0;
	uint32_t bs = 0;
	uint64_t off, end;
	int err = 0;

	pthread_mutex_lock(&u->lock);
	o = get_slot(u, id, idlen, &err);
	if (o) {
		bs = o->d.block_size;
		off = (uint64_t)first * bs;
		end = (uint64_t)(first + n) * bs < o->d.size ?
		      (uint64_t)(first + n) * bs : o->d.size;
		if (!n || first >= o->d.nblocks || n > o->d.nblocks - first ||
		    len != end - off)
			err = -EINVAL;
		alg = o->d.hash_alg;
		h = o->d.hash_len;
		if (!err && !(want = malloc((size_t)n * h)))
			err = -ENOMEM;
		if (!err)
			memcpy(want, o->d.block_hashes + (size_t)first * h, (size_t)n * h);
	}
	pthread_mutex_unlock(&u->lock);
	if (!err)
		err = put_verified(u, id, idlen, want, alg, h, bs, first, n, data, len);
	free(want);
	return err;
}

static int user_locate_block(struct pd_store *s, const uint8_t *id,
			     unsigned idlen, uint32_t index,
			     struct pd_block_loc *loc)
{
	struct user_store *u = to_user(s);
	struct open_segment *o;
	int err = 0;

	pthread_mutex_lock(&u->lock);
	o = get_slot(u, id, idlen, &err);
	if (o)
		err = pd_segment_locate(&o->d, o->data_fd, index, slot_has(o, index),
					loc);
	pthread_mutex_unlock(&u->lock);
	count(u, err ? ST_MISSES : ST_HITS, 1);
	return err;
}

/* A read of read_blocks_now, where its bytes are: a reference held on
 * the data descriptor (refs) while it is read outside the lock. */
struct pinned_read {
	int fd;
	int *refs;
	uint64_t pos;
};

/* Lock contract: u->lock held. Pins r's bytes in p, or sets r->res. */
static void pin_read(struct user_store *u, struct pd_block_read *r,
		     struct pinned_read *p)
{
	struct open_segment *o;
	uint32_t block_len, skip;
	int err = 0;

	p->refs = NULL;
	o = get_slot(u, r->id, r->idlen, &err);
	if (!o) {
		r->res = err;
		return;
	}
	if (!slot_has(o, r->index)) {
		r->res = -ENOENT;
		return;
	}
	block_len = pd_segment_block_len(&o->d, r->index);
	skip = r->skip < block_len ? r->skip : block_len;
	r->len = r->len < block_len - skip ? r->len : block_len - skip;
	p->pos = (uint64_t)r->index * o->d.block_size + skip;
	p->fd = o->data_fd;
	p->refs = o->data_refs;
	__atomic_add_fetch(p->refs, 1, __ATOMIC_RELAXED);
}

/*
 * Pinned reads r[0..n-1], all of one descriptor's bytes in a row, in one
 * call: each gets its share of what came (a short read leaves the rest to
 * a read that counts it); a hit is counted for each read whole.
 */
static void read_run(struct user_store *u, struct pd_block_read *r,
		     const struct pinned_read *p, unsigned n)
{
	struct iovec iov[PD_STORE_READS_AT_ONCE];
	ssize_t got;
	unsigned i;

	for (i = 0; i < n; i++)
		iov[i] = (struct iovec){ .iov_base = r[i].buf, .iov_len = r[i].len };
	got = pd_preadv_no_wait(p[0].fd, iov, n, p[0].pos, u->tmpfs);
	for (i = 0; i < n; i++) {
		r[i].res = got < 0 ? got : got < (ssize_t)r[i].len ? got : (ssize_t)r[i].len;
		got -= got > 0 ? r[i].res : 0;
		if (r[i].res == (ssize_t)r[i].len)
			count(u, ST_HITS, 1);
	}
}

static void user_read_blocks_now(struct pd_store *s, struct pd_block_read *r,
				 unsigned n)
{
	struct user_store *u = to_user(s);
	struct pinned_read p[PD_STORE_READS_AT_ONCE];
	unsigned i, j;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < n; i++)
		pin_read(u, &r[i], &p[i]);
	pthread_mutex_unlock(&u->lock);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; p[i].refs && j < n && p[j].refs && p[j].fd == p[i].fd &&
		     p[j].pos == p[j - 1].pos + r[j - 1].len; j++)
			;
		if (p[i].refs)
			read_run(u, &r[i], &p[i], j - i);
	}
	for (i = 0; i < n; i++)
		if (p[i].refs)
			data_fd_put(p[i].fd, p[i].refs);
}

static int user_get_segment(struct pd_store *s, const uint8_t *id,
			    unsigned idlen, struct pd_segment_desc *d)
{
	struct user_store *u = to_user(s);
	struct open_segment *o;
	int err = 0;

	pthread_mutex_lock(&u->lock);
	o = get_slot(u, id, idlen, &err);
	if (o) {
		*d = o->d;
		d->block_hashes = NULL;
	}
	pthread_mutex_unlock(&u->lock);
	return err;
}

/* The block from its file, encrypted with the Kp the description holds. */
static long user_encrypt_block(struct pd_store *s, const uint8_t *id, unsigned idlen,
			       uint32_t index, unsigned crypto,
			       const uint8_t iv[PD_PCCRR_IV_SIZE], uint8_t *out, size_t room)
{
	struct pd_segment_desc d;
	struct pd_block_loc loc;
	ssize_t n;
	int err;

	err = user_get_segment(s, id, idlen, &d);
	if (!err && index < d.nblocks &&
	    pd_pccrr_padded_len(pd_segment_block_len(&d, index)) > room)
		err = -EINVAL;
	if (!err)
		err = user_locate_block(s, id, idlen, index, &loc);
	if (err)
		return err;
	n = pread(loc.fd, out, loc.len, (off_t)loc.offset);
	err = n < 0 ? -errno : 0;
	close(loc.fd);
	if (!err && n != (ssize_t)loc.len)
		err = -EIO;
	if (!err)
		err = pd_pccrr_encrypt_iv(crypto, d.kp, d.hash_len, out, loc.len, out, iv);
	return err ? err : (long)pd_pccrr_padded_len(loc.len);
}

/* ---- eviction: whole segments, least recently used first ---- */

struct victim {
	char name[2 * PD_HASH_MAX + 1];
	struct timespec used;
	uint64_t bytes;
};

static int older(const void *a, const void *b)
{
	const struct victim *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	return (x->used.tv_nsec > y->used.tv_nsec) - (x->used.tv_nsec < y->used.tv_nsec);
}

/* Lock contract: u->lock held. */
static void remove_segment(struct user_store *u, const char *name)
{
	static const char *const files[] = { "desc", "present", "data" };
	char path[PATH_MAX];
	size_t i;

	/* The description first: from then on the segment is unknown. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "segments/%s/%s", name, files[i]);
		unlinkat(u->dirfd, path, 0);
	}
	snprintf(path, sizeof(path), "segments/%s", name);
	unlinkat(u->dirfd, path, AT_REMOVEDIR);
	forget_slot(u, name);
}

/* All segments with their last use and bytes held; *total gets the sum. */
static struct victim *scan_segments(struct user_store *u, size_t *n,
				    uint64_t *total)
{
	int fd = openat(u->dirfd, "segments", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct victim *v = NULL, *nv;
	size_t cap = 0;
	struct dirent *e;
	DIR *dir;

	*n = 0;
	*total = 0;
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((e = readdir(dir))) {
		char path[PATH_MAX];
		struct stat ds, fs;

		if (e->d_name[0] == '.' || strlen(e->d_name) > 2 * PD_HASH_MAX)
			continue;
		snprintf(path, sizeof(path), "segments/%s/data", e->d_name);
		if (fstatat(dirfd(dir), e->d_name, &ds, 0) ||
		    fstatat(u->dirfd, path, &fs, 0))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		strcpy(v[*n].name, e->d_name);
		v[*n].used = ds.st_mtim;
		v[*n].bytes = (uint64_t)fs.st_blocks * 512;	/* sparse: what is held */
		*total += v[*n].bytes;
		(*n)++;
	}
	closedir(dir);
	return v;
}

static void evict_to(struct user_store *u, uint64_t target)
{
	uint64_t total;
	size_t n, i;
	struct victim *v = scan_segments(u, &n, &total);

	if (v)
		qsort(v, n, sizeof(*v), older);
	for (i = 0; i < n && total > target; i++) {
		remove_segment(u, v[i].name);
		total -= v[i].bytes;
		count(u, ST_EVICTIONS, 1);
		count(u, ST_SEGMENTS, -1);
	}
	/* Rescanned totals also correct any drift left by killed writers. */
	__atomic_store_n(&u->counters[ST_BYTES], total, __ATOMIC_RELAXED);
	free(v);
}

static void maybe_evict(struct user_store *u)
{
	uint64_t max = __atomic_load_n(&u->counters[ST_MAX_BYTES], __ATOMIC_RELAXED);
	int lock;

	if (__atomic_load_n(&u->counters[ST_BYTES], __ATOMIC_RELAXED) <= max)
		return;
	/* One evictor at a time; the others carry on. */
	lock = openat(u->dirfd, "lock", O_RDONLY | O_CLOEXEC);
	if (lock >= 0 && !flock(lock, LOCK_EX | LOCK_NB)) {
		evict_to(u, max - max / 10);
		flock(lock, LOCK_UN);
	}
	if (lock >= 0)
		close(lock);
}

static int user_set_max_bytes(struct pd_store *s, uint64_t max)
{
	struct user_store *u = to_user(s);

	__atomic_store_n(&u->counters[ST_MAX_BYTES], max, __ATOMIC_RELAXED);
	pthread_mutex_lock(&u->lock);
	maybe_evict(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

/* Everything goes, as Windows' Clear-BCCache; the counters stay. */
static int user_clear(struct pd_store *s)
{
	struct user_store *u = to_user(s);

	pthread_mutex_lock(&u->lock);
	evict_to(u, 0);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

/* ---- publications and tags: the cache directory's records ---- */

static int user_publish(struct pd_store *s, uid_t uid, const void *ident,
			size_t identlen, const uint8_t *ci_v1, size_t len_v1,
			const uint8_t *ci_v2, size_t len_v2)
{
	return pd_store_meta_publish(to_user(s)->meta, uid, ident, identlen,
				     ci_v1, len_v1, ci_v2, len_v2);
}

static int user_lookup(struct pd_store *s, uid_t uid, const void *ident,
		       size_t identlen, unsigned version, uint8_t **ci,
		       size_t *len)
{
	return pd_store_meta_lookup(to_user(s)->meta, uid, ident, identlen,
				    version, ci, len);
}

static int user_unpublish(struct pd_store *s, uid_t uid, const void *ident,
			  size_t identlen)
{
	return pd_store_meta_unpublish(to_user(s)->meta, uid, ident, identlen);
}

static int user_keep(struct pd_store *s, uid_t uid, const void *ident,
		     size_t identlen)
{
	return pd_store_meta_keep(to_user(s)->meta, uid, ident, identlen);
}

static int user_list_kept(struct pd_store *s, uid_t uid,
			  int (*fn)(const void *ident, size_t identlen, void *arg),
			  void *arg)
{
	return pd_store_meta_list_kept(to_user(s)->meta, uid, fn, arg);
}

static int user_tag_segment(struct pd_store *s, const uint8_t tag[16],
			    const uint8_t *id, unsigned idlen)
{
	return pd_store_meta_tag_segment(to_user(s)->meta, tag, id, idlen);
}

/* Lock contract: u (arg) ->lock held. The segment of id, gone. */
static void remove_segment_by_id(const uint8_t *id, unsigned idlen, void *arg)
{
	char hex[2 * PD_HASH_MAX + 1];

	pd_hex_encode(id, idlen, hex, 0);
	remove_segment(arg, hex);
}

static int user_flush_tag(struct pd_store *s, const uint8_t tag[16])
{
	struct user_store *u = to_user(s);
	int err;

	pthread_mutex_lock(&u->lock);
	err = pd_store_meta_flush_tag(u->meta, tag, remove_segment_by_id, u);
	evict_to(u, UINT64_MAX);	/* recount what is held */
	pthread_mutex_unlock(&u->lock);
	return err;
}

/* ---- waiting, stats, open/close ---- */

#define WAIT_TICK_MS	50	/* without inotify: how often the generation is looked at */

/*
 * What wakes waiting reads when any process adds blocks: an inotify watch
 * on "generation". Inotify instances are few per user, for all the user's
 * processes (fs.inotify.max_user_instances, 128 by default), and every
 * store takes one: once they run out, a tick every WAIT_TICK_MS compares
 * the shared generation instead, so a store still opens and reads still
 * wake, a tick later at most.
 */
static int open_wait(struct user_store *u, const char *dir)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/generation", dir);
	u->wait_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (u->wait_fd >= 0 && inotify_add_watch(u->wait_fd, path, IN_MODIFY) >= 0)
		return 0;
	err = -errno;
	if (u->wait_fd >= 0)
		close(u->wait_fd);
	u->wait_fd = -1;
	if (err != -EMFILE && err != -ENFILE && err != -ENOSPC)
		return err;
	u->seen_generation = __atomic_load_n(&u->counters[ST_GENERATION], __ATOMIC_ACQUIRE);
	u->wait_fd = pd_tick_fd(WAIT_TICK_MS);
	if (u->wait_fd < 0)
		return u->wait_fd;
	u->ticking = 1;
	return 0;
}

static int user_wait_fd(struct pd_store *s)
{
	return to_user(s)->wait_fd;
}

static int user_drain_wait(struct pd_store *s)
{
	struct user_store *u = to_user(s);
	char buf[4096];
	uint64_t g;
	int added = 0;

	while (read(u->wait_fd, buf, sizeof(buf)) > 0)
		added = PD_STORE_ADDED;
	if (!u->ticking)
		return added;
	g = __atomic_load_n(&u->counters[ST_GENERATION], __ATOMIC_ACQUIRE);
	added = g != u->seen_generation ? PD_STORE_ADDED : 0;
	u->seen_generation = g;
	return added;
}

static int user_stats(struct pd_store *s, struct pd_store_stats *st)
{
	uint64_t *c = to_user(s)->counters;

	st->bytes_cached = __atomic_load_n(&c[ST_BYTES], __ATOMIC_RELAXED);
	st->segments = __atomic_load_n(&c[ST_SEGMENTS], __ATOMIC_RELAXED);
	st->hits = __atomic_load_n(&c[ST_HITS], __ATOMIC_RELAXED);
	st->misses = __atomic_load_n(&c[ST_MISSES], __ATOMIC_RELAXED);
	st->evictions = __atomic_load_n(&c[ST_EVICTIONS], __ATOMIC_RELAXED);
	st->verify_failures = __atomic_load_n(&c[ST_VERIFY_FAILURES], __ATOMIC_RELAXED);
	st->max_bytes = __atomic_load_n(&c[ST_MAX_BYTES], __ATOMIC_RELAXED);
	return 0;
}

static void user_close(struct pd_store *s)
{
	struct user_store *u = to_user(s);

	if (u->counters)
		munmap(u->counters, ST_COUNT * sizeof(uint64_t));
	pd_counters_close(u->base.counters);
	if (u->wait_fd >= 0)
		close(u->wait_fd);
	pd_open_cache_close_all(&u->opened);
	if (u->generation_fd >= 0)
		close(u->generation_fd);
	pd_store_meta_close(u->meta);
	pthread_mutex_destroy(&u->lock);
	close(u->dirfd);
	free(u);
}

static const struct pd_store_ops user_ops = {
	.name = "user",
	.add_segment = user_add_segment,
	.put_blocks = user_put_blocks,
	.has_block = user_has_block,
	.locate_block = user_locate_block,
	.read_blocks_now = user_read_blocks_now,
	.get_segment = user_get_segment,
	.encrypt_block = user_encrypt_block,
	.publish = user_publish,
	.lookup = user_lookup,
	.unpublish = user_unpublish,
	.keep = user_keep,
	.list_kept = user_list_kept,
	.tag_segment = user_tag_segment,
	.flush_tag = user_flush_tag,
	.wait_fd = user_wait_fd,
	.drain_wait = user_drain_wait,
	.stats = user_stats,
	.set_max_bytes = user_set_max_bytes,
	.clear = user_clear,
	.close = user_close,
};

static uint64_t default_max_bytes(int dirfd)
{
	const char *env = getenv("PEERDIST_CACHE_MAX_BYTES");
	struct statvfs vfs;
	uint64_t max;

	if (env && *env)
		return strtoull(env, NULL, 10);
	/* As Windows: 5% of the volume the cache is on. */
	if (fstatvfs(dirfd, &vfs))
		return MIN_MAX_BYTES;
	max = (uint64_t)vfs.f_blocks * vfs.f_frsize / 20;
	return max < MIN_MAX_BYTES ? MIN_MAX_BYTES : max;
}

/* Creates the layout if missing; maps the shared counters. */
static int init_layout(struct user_store *u)
{
	static const char *const files[] = { "generation", "lock" };
	uint64_t zero[ST_COUNT] = { 0 };
	size_t i;
	int fd;

	pd_cache_create_file(u->dirfd, "VERSION", LAYOUT_VERSION, 2, 0);	/* or exists */
	if (mkdirat(u->dirfd, "segments", PD_CACHE_DIR_MODE) && errno != EEXIST)
		return -errno;
	for (i = 0; i < 2; i++) {
		fd = openat(u->dirfd, files[i], O_WRONLY | O_CREAT | O_CLOEXEC, PD_CACHE_FILE_MODE);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	zero[ST_MAX_BYTES] = default_max_bytes(u->dirfd);
	/* The first user of this cache creates the counters; -EEXIST after. */
	pd_cache_create_file(u->dirfd, "stats", zero, sizeof(zero), 0);
	fd = openat(u->dirfd, "stats", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	u->counters = mmap(NULL, ST_COUNT * sizeof(uint64_t),
			   PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (u->counters == MAP_FAILED) {
		u->counters = NULL;
		return -EIO;
	}
	return 0;
}

static int check_version(struct user_store *u)
{
	uint8_t *buf;
	size_t len;
	int ok;

	if (pd_cache_read_file(u->dirfd, "VERSION", &buf, &len))
		return -EIO;
	ok = len == 2 && !memcmp(buf, LAYOUT_VERSION, 2);
	free(buf);
	return ok ? 0 : -EPROTO;
}

int pd_store_user_open(const char *dir, struct pd_store **out)
{
	struct user_store *u = calloc(1, sizeof(*u));
	int err;

	if (!u)
		return -ENOMEM;
	u->base.ops = &user_ops;
	u->wait_fd = -1;
	u->generation_fd = -1;
	PD_OPEN_CACHE_INIT(&u->opened, u->open, close_slot);
	pthread_mutex_init(&u->lock, NULL);
	err = pd_store_meta_open(dir, &u->meta);	/* creates dir too */
	if (err)
		goto free_store;
	u->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u->dirfd < 0) {
		err = -errno;
		goto free_store;
	}
	/* tmpfs cannot be asked not to wait (RWF_NOWAIT), and need not be. */
	u->tmpfs = pd_fd_on_tmpfs(u->dirfd);
	err = init_layout(u);
	if (!err)
		err = check_version(u);
	if (!err)
		err = pd_counters_open(u->dirfd, dir, &u->base.counters);
	if (!err) {
		u->generation_fd = openat(u->dirfd, "generation", O_WRONLY | O_CLOEXEC);
		if (u->generation_fd < 0)
			err = -errno;
	}
	if (!err)
		err = open_wait(u, dir);
	if (err) {
		user_close(&u->base);
		return err;
	}
	*out = &u->base;
	return 0;

free_store:
	pd_store_meta_close(u->meta);
	pthread_mutex_destroy(&u->lock);
	free(u);
	return err;
}
