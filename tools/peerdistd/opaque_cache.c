// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hosted cache's unverified blocks, kept as they came (opaque_cache.h).
 *
 * A segment's file, all integers little-endian:
 *   header (128 bytes): u32 magic "PDUV", u32 version 1, u32 BlockSize,
 *     u32 SegmentSize, u8 offerer[16], u8 segment id[32], u8 present[64]
 *     (bit i of byte i / 8: block i kept; none past the last block);
 *   then block i's slot at 128 + i * (32 + BlockSize padded to 16):
 *     u32 CryptoAlgoId, u32 ciphertext length, 8 zero bytes, IV[16], the
 *     ciphertext.
 * A block's slot is written before its present bit, so a bit that reads
 * as set names a whole slot, whatever instant a crash came at. What is
 * kept is indexed in memory (a hash of segments, a least-recently-used
 * list, the bytes charged to each offerer), under one lock; block bytes
 * are read outside it, from a descriptor that outlives an eviction.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bytes.h"
#include "cache_file.h"
#include "fileio.h"
#include "hex.h"
#include "log.h"
#include "opaque_cache.h"
#include "pccrr.h"
#include "pccrr_crypto.h"

#define MAGIC		0x56554450u	/* "PDUV" */
#define VERSION		1
#define HEADER_SIZE	128
#define PRESENT_AT	64		/* the present bits, in the header */
#define SLOT_HEADER	32
#define MAX_BLOCK	(128u << 10)	/* a V2 segment, the largest block */
#define FILE_COST	4096		/* charged per segment: its file */
#define MAX_SEGMENTS	65536		/* memory: about 200 bytes each */
#define BUCKETS		4096
#define NAME_LEN	(2 * PD_OPAQUE_ID_SIZE)

struct offerer {
	struct offerer *next;
	uint8_t key[16];
	uint64_t bytes;
	unsigned nsegments;
};

struct seg {
	struct seg *hnext;		/* in its bucket */
	struct seg *newer, *older;	/* the LRU list */
	struct offerer *owner;
	uint8_t id[PD_OPAQUE_ID_SIZE];
	uint32_t block_size, segment_size, nblocks;
	uint64_t bytes;			/* charged */
	uint8_t present[PD_PCCRR_BLOCKS / 8];
};

struct pd_opaque_cache {
	pthread_mutex_t lock;		/* everything below */
	int dirfd;
	uint64_t max_bytes, per_offerer;
	struct pd_opaque_stats st;
	struct seg *buckets[BUCKETS];
	struct seg *newest, *oldest;
	struct offerer *offerers;
};

uint32_t pd_opaque_nblocks(uint32_t block_size, uint32_t segment_size)
{
	uint64_t n;

	if (!block_size || block_size > MAX_BLOCK || !segment_size)
		return 0;
	n = ((uint64_t)segment_size + block_size - 1) / block_size;
	return n <= PD_PCCRR_BLOCKS ? n : 0;
}

static uint32_t block_len(const struct seg *s, uint32_t i)
{
	uint64_t start = (uint64_t)i * s->block_size;

	return s->segment_size - start < s->block_size ? s->segment_size - start
						       : s->block_size;
}

static off_t slot_offset(const struct seg *s, uint32_t i)
{
	return HEADER_SIZE + (off_t)i * (SLOT_HEADER + pd_pccrr_padded_len(s->block_size));
}

static uint64_t slot_cost(const struct seg *s, uint32_t i)
{
	return SLOT_HEADER + pd_pccrr_padded_len(block_len(s, i));
}

static int bit(const struct seg *s, uint32_t i)
{
	return i < s->nblocks && (s->present[i / 8] >> (i % 8) & 1);
}

static void file_name(const uint8_t *id, char name[NAME_LEN + 1])
{
	pd_hex_encode(id, PD_OPAQUE_ID_SIZE, name, 0);
}

static struct seg **bucket(struct pd_opaque_cache *oc, const uint8_t *id)
{
	/* a segment id is a hash: its first bytes spread well */
	return &oc->buckets[(id[0] | id[1] << 8) % BUCKETS];
}

/* Whether nothing is kept: read without the lock, so that a hosted cache
 * holding no unverified block pays nothing for the lookups. */
static int empty(struct pd_opaque_cache *oc)
{
	return !__atomic_load_n(&oc->st.segments, __ATOMIC_RELAXED);
}

/* Lock contract: oc->lock held (for all the functions below up to the API). */
static struct seg *find(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen)
{
	struct seg *s;

	if (idlen != PD_OPAQUE_ID_SIZE)
		return NULL;
	for (s = *bucket(oc, id); s && memcmp(s->id, id, PD_OPAQUE_ID_SIZE); s = s->hnext)
		;
	return s;
}

static void lru_unlink(struct pd_opaque_cache *oc, struct seg *s)
{
	if (s->newer)
		s->newer->older = s->older;
	else
		oc->newest = s->older;
	if (s->older)
		s->older->newer = s->newer;
	else
		oc->oldest = s->newer;
	s->newer = s->older = NULL;
}

static void touch(struct pd_opaque_cache *oc, struct seg *s)
{
	if (oc->newest == s)
		return;
	if (s->newer || s->older || oc->oldest == s)
		lru_unlink(oc, s);
	s->older = oc->newest;
	if (oc->newest)
		oc->newest->newer = s;
	oc->newest = s;
	if (!oc->oldest)
		oc->oldest = s;
}

static struct offerer *offerer_of(struct pd_opaque_cache *oc, const uint8_t key[16])
{
	struct offerer *o;

	for (o = oc->offerers; o && memcmp(o->key, key, 16); o = o->next)
		;
	if (o || !(o = calloc(1, sizeof(*o))))
		return o;
	memcpy(o->key, key, 16);
	o->next = oc->offerers;
	oc->offerers = o;
	return o;
}

static void charge(struct pd_opaque_cache *oc, struct seg *s, int64_t bytes)
{
	s->bytes += bytes;
	s->owner->bytes += bytes;
	oc->st.bytes += bytes;
}

/* A new segment in the index (not on disk), just used. */
static struct seg *add(struct pd_opaque_cache *oc, const uint8_t *id, uint32_t block_size,
		       uint32_t segment_size, const uint8_t offerer[16])
{
	struct offerer *o = offerer_of(oc, offerer);
	struct seg *s = o ? calloc(1, sizeof(*s)) : NULL;
	struct seg **b = bucket(oc, id);

	if (!s)
		return NULL;
	memcpy(s->id, id, PD_OPAQUE_ID_SIZE);
	s->block_size = block_size;
	s->segment_size = segment_size;
	s->nblocks = pd_opaque_nblocks(block_size, segment_size);
	s->owner = o;
	o->nsegments++;
	s->hnext = *b;
	*b = s;
	touch(oc, s);
	__atomic_add_fetch(&oc->st.segments, 1, __ATOMIC_RELAXED);
	charge(oc, s, FILE_COST);
	return s;
}

/* Removes s from the index and its file from the disk. */
static void forget(struct pd_opaque_cache *oc, struct seg *s)
{
	struct offerer **op = &oc->offerers;
	char name[NAME_LEN + 1];
	struct seg **p;

	for (p = bucket(oc, s->id); *p != s; p = &(*p)->hnext)
		;
	*p = s->hnext;
	lru_unlink(oc, s);
	charge(oc, s, -(int64_t)s->bytes);
	__atomic_sub_fetch(&oc->st.segments, 1, __ATOMIC_RELAXED);
	if (!--s->owner->nsegments) {
		while (*op != s->owner)
			op = &(*op)->next;
		*op = s->owner->next;
		free(s->owner);
	}
	file_name(s->id, name);
	unlinkat(oc->dirfd, name, 0);
	free(s);
}

/* The least recently used segment other than keep (of owner, unless NULL). */
static struct seg *victim(struct pd_opaque_cache *oc, const struct seg *keep,
			  const struct offerer *owner)
{
	struct seg *s;

	for (s = oc->oldest; s; s = s->newer)
		if (s != keep && (!owner || s->owner == owner))
			return s;
	return NULL;
}

/* Evicts until cost more bytes for s fit both budgets: 0, or -ENOSPC. */
static int make_room(struct pd_opaque_cache *oc, struct seg *s, uint64_t cost)
{
	struct seg *v;

	while (s->owner->bytes + cost > oc->per_offerer) {
		if (!(v = victim(oc, s, s->owner)))
			return -ENOSPC;
		forget(oc, v);
		oc->st.evictions++;
	}
	while (oc->st.bytes + cost > oc->max_bytes) {
		if (!(v = victim(oc, s, NULL)))
			return -ENOSPC;
		forget(oc, v);
		oc->st.evictions++;
	}
	return 0;
}

static void encode_header(const struct seg *s, uint8_t out[HEADER_SIZE])
{
	struct pd_wr w = pd_wr_init(out, HEADER_SIZE);

	pd_wr_le32(&w, MAGIC);
	pd_wr_le32(&w, VERSION);
	pd_wr_le32(&w, s->block_size);
	pd_wr_le32(&w, s->segment_size);
	pd_wr_bytes(&w, s->owner->key, 16);
	pd_wr_bytes(&w, s->id, PD_OPAQUE_ID_SIZE);
	pd_wr_bytes(&w, s->present, sizeof(s->present));
}

/* A new segment's file: its header, no block yet. */
static int create_file(struct pd_opaque_cache *oc, const struct seg *s)
{
	uint8_t hdr[HEADER_SIZE];
	char name[NAME_LEN + 1];

	file_name(s->id, name);
	encode_header(s, hdr);
	return pd_cache_create_file(oc->dirfd, name, hdr, sizeof(hdr), 1);
}

/* Block i's slot, then its present bit. */
static int write_block(struct pd_opaque_cache *oc, struct seg *s, uint32_t i,
		       const struct pd_opaque_block *b)
{
	uint8_t hdr[SLOT_HEADER] = { 0 };
	struct pd_wr w = pd_wr_init(hdr, sizeof(hdr));
	char name[NAME_LEN + 1];
	int fd, err;

	pd_wr_le32(&w, b->crypto);
	pd_wr_le32(&w, b->len);
	w.pos += 8;
	pd_wr_bytes(&w, b->iv, PD_PCCRR_IV_SIZE);
	file_name(s->id, name);
	fd = openat(oc->dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = pd_pwrite_full(fd, hdr, sizeof(hdr), slot_offset(s, i));
	if (!err)
		err = pd_pwrite_full(fd, b->data, b->len, slot_offset(s, i) + SLOT_HEADER);
	if (!err) {
		s->present[i / 8] |= 1u << (i % 8);
		err = pd_pwrite_full(fd, &s->present[i / 8], 1, PRESENT_AT + i / 8);
	}
	close(fd);
	return err;
}

static int block_fits(const struct seg *s, uint32_t i, const struct pd_opaque_block *b)
{
	return i < s->nblocks && b->crypto >= PD_CRYPTO_AES_128 &&
	       b->crypto <= PD_CRYPTO_AES_256 && b->len == pd_pccrr_padded_len(block_len(s, i));
}

int pd_opaque_put(struct pd_opaque_cache *oc, const uint8_t *id, uint32_t block_size,
		  uint32_t segment_size, const uint8_t offerer[16], uint32_t index,
		  const struct pd_opaque_block *b)
{
	struct seg *s;
	int err, fresh = 0;

	if (!pd_opaque_nblocks(block_size, segment_size))
		return -EINVAL;
	pthread_mutex_lock(&oc->lock);
	s = find(oc, id, PD_OPAQUE_ID_SIZE);
	err = s && (s->block_size != block_size || s->segment_size != segment_size) ?
	      -EINVAL : 0;
	if (!err && !s && oc->st.segments >= MAX_SEGMENTS && oc->oldest) {
		forget(oc, oc->oldest);
		oc->st.evictions++;
	}
	if (!err && !s) {
		s = add(oc, id, block_size, segment_size, offerer);
		fresh = 1;
		err = s ? 0 : -ENOMEM;
	}
	if (!err && !block_fits(s, index, b))
		err = -EINVAL;
	if (err || bit(s, index))
		goto unlock;
	touch(oc, s);
	err = make_room(oc, s, slot_cost(s, index));
	if (!err && fresh)
		err = create_file(oc, s);
	if (!err)
		err = write_block(oc, s, index, b);
	if (!err)
		charge(oc, s, slot_cost(s, index));
unlock:
	if (err && fresh && s)
		forget(oc, s);	/* nothing of it was kept */
	pthread_mutex_unlock(&oc->lock);
	return err;
}

int pd_opaque_has(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen,
		  uint32_t index)
{
	struct seg *s;
	int has;

	if (empty(oc))
		return 0;
	pthread_mutex_lock(&oc->lock);
	s = find(oc, id, idlen);
	has = s && bit(s, index);
	pthread_mutex_unlock(&oc->lock);
	return has;
}

int pd_opaque_holds(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen)
{
	int holds;

	if (empty(oc))
		return 0;
	pthread_mutex_lock(&oc->lock);
	holds = find(oc, id, idlen) != NULL;	/* only segments with a block are kept */
	pthread_mutex_unlock(&oc->lock);
	return holds;
}

static void drop_corrupt(struct pd_opaque_cache *oc, const uint8_t *id, const char *why)
{
	char name[NAME_LEN + 1];
	struct seg *s;

	file_name(id, name);
	pd_log(PD_LOG_WARNING, "hosted cache: unverified segment file %s: %s: dropped",
	       name, why);
	pthread_mutex_lock(&oc->lock);
	s = find(oc, id, PD_OPAQUE_ID_SIZE);
	if (s)
		forget(oc, s);
	oc->st.corrupt++;
	pthread_mutex_unlock(&oc->lock);
}

/* Whether a slot's header read back says what its segment expects. */
static int slot_valid(const uint8_t hdr[SLOT_HEADER], size_t want, unsigned *crypto,
		      uint8_t *iv)
{
	struct pd_rd r = pd_rd_init(hdr, SLOT_HEADER);
	static const uint8_t zero[8];
	uint32_t len;

	*crypto = pd_rd_le32(&r);
	len = pd_rd_le32(&r);
	if (memcmp(pd_rd_take(&r, 8), zero, 8) || !pd_rd_copy(&r, iv, PD_PCCRR_IV_SIZE))
		return 0;
	return *crypto >= PD_CRYPTO_AES_128 && *crypto <= PD_CRYPTO_AES_256 && len == want;
}

size_t pd_opaque_read(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen,
		      uint32_t index, uint8_t *buf, size_t room, unsigned *crypto,
		      uint8_t *iv, uint32_t *plain)
{
	uint8_t hdr[SLOT_HEADER];
	struct iovec v[2] = { { hdr, sizeof(hdr) }, { buf, 0 } };
	char name[NAME_LEN + 1];
	struct seg *s;
	int fd = -1, kept = 0;
	off_t off = 0;
	ssize_t n = -1;

	pthread_mutex_lock(&oc->lock);
	s = find(oc, id, idlen);
	if (s && bit(s, index) && pd_pccrr_padded_len(block_len(s, index)) <= room) {
		kept = 1;
		*plain = block_len(s, index);
		v[1].iov_len = pd_pccrr_padded_len(*plain);
		off = slot_offset(s, index);
		file_name(s->id, name);
		fd = openat(oc->dirfd, name, O_RDONLY | O_CLOEXEC);
		touch(oc, s);
	}
	pthread_mutex_unlock(&oc->lock);
	if (!kept)
		return 0;
	if (fd >= 0) {
		n = preadv(fd, v, 2, off);
		close(fd);
	}
	if (n == (ssize_t)(sizeof(hdr) + v[1].iov_len) &&
	    slot_valid(hdr, v[1].iov_len, crypto, iv))
		return v[1].iov_len;
	drop_corrupt(oc, id, n < 0 ? "cannot be read" : "a block's slot is corrupt");
	return 0;
}

void pd_opaque_drop(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen)
{
	struct seg *s;

	if (empty(oc))
		return;
	pthread_mutex_lock(&oc->lock);
	s = find(oc, id, idlen);
	if (s)
		forget(oc, s);
	pthread_mutex_unlock(&oc->lock);
}

void pd_opaque_stats(struct pd_opaque_cache *oc, struct pd_opaque_stats *st)
{
	pthread_mutex_lock(&oc->lock);
	*st = oc->st;
	pthread_mutex_unlock(&oc->lock);
}

/* ---- opening: every file's header read back, the budgets enforced ---- */

struct found {
	struct seg s;		/* owner unset: the key below */
	uint8_t owner[16];
	time_t mtime;
};

/* One file's header, checked against its name and size: 0, or why not. */
static const char *parse_header(const uint8_t *hdr, const char *name, off_t size,
				struct found *f)
{
	struct pd_rd r = pd_rd_init(hdr, HEADER_SIZE);
	char own[NAME_LEN + 1];
	uint32_t magic = pd_rd_le32(&r), version = pd_rd_le32(&r), i;

	f->s.block_size = pd_rd_le32(&r);
	f->s.segment_size = pd_rd_le32(&r);
	pd_rd_copy(&r, f->owner, 16);
	pd_rd_copy(&r, f->s.id, PD_OPAQUE_ID_SIZE);
	pd_rd_copy(&r, f->s.present, sizeof(f->s.present));
	if (r.overrun || magic != MAGIC || version != VERSION)
		return "not an unverified segment file";
	f->s.nblocks = pd_opaque_nblocks(f->s.block_size, f->s.segment_size);
	if (!f->s.nblocks)
		return "its sizes are not a segment's";
	file_name(f->s.id, own);
	if (strcmp(name, own))
		return "its name is not its segment id";
	if (size > slot_offset(&f->s, f->s.nblocks))
		return "longer than its blocks";
	f->s.bytes = FILE_COST;
	for (i = 0; i < PD_PCCRR_BLOCKS; i++) {
		if (!(f->s.present[i / 8] >> (i % 8) & 1))
			continue;
		if (i >= f->s.nblocks || slot_offset(&f->s, i) + (off_t)slot_cost(&f->s, i) > size)
			return "a block it lists is past its end";
		f->s.bytes += slot_cost(&f->s, i);
	}
	return f->s.bytes > FILE_COST ? NULL : "no block";
}

static int read_one(struct pd_opaque_cache *oc, const char *name, struct found *f)
{
	uint8_t hdr[HEADER_SIZE];
	const char *why = "cannot be read";
	int fd = openat(oc->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	if (fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    pd_pread_full(fd, hdr, sizeof(hdr), 0) == sizeof(hdr)) {
		why = parse_header(hdr, name, st.st_size, f);
		f->mtime = st.st_mtime;
	}
	if (fd >= 0)
		close(fd);
	if (!why)
		return 0;
	pd_log(PD_LOG_WARNING, "hosted cache: unverified segment file %s: %s: dropped",
	       name, why);
	unlinkat(oc->dirfd, name, 0);
	oc->st.corrupt++;
	return -1;
}

static int older_first(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

/* Into the index, oldest first, evicting over the budgets. */
static int index_found(struct pd_opaque_cache *oc, struct found *f, size_t n)
{
	struct seg *s;
	uint64_t bytes;
	size_t i;

	if (n)
		qsort(f, n, sizeof(*f), older_first);
	for (i = 0; i < n; i++) {
		s = add(oc, f[i].s.id, f[i].s.block_size, f[i].s.segment_size, f[i].owner);
		if (!s)
			return -ENOMEM;
		memcpy(s->present, f[i].s.present, sizeof(s->present));
		bytes = f[i].s.bytes - FILE_COST;
		if (oc->st.segments > MAX_SEGMENTS) {
			forget(oc, oc->oldest);
			oc->st.evictions++;
		}
		if (make_room(oc, s, bytes)) {
			forget(oc, s);
			oc->st.evictions++;
			continue;
		}
		charge(oc, s, bytes);
	}
	return 0;
}

static int read_all(struct pd_opaque_cache *oc)
{
	int fd = openat(oc->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct found *f = NULL, *more;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int err = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (!err && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			more = realloc(f, cap * sizeof(*f));
			if (!more) {
				err = -ENOMEM;
				break;
			}
			f = more;
		}
		memset(&f[n], 0, sizeof(f[n]));
		n += !read_one(oc, e->d_name, &f[n]);
	}
	closedir(d);
	if (!err)
		err = index_found(oc, f, n);
	free(f);
	return err;
}

static int open_dir(const char *dir)
{
	int fd, err;

	if (mkdir(dir, PD_CACHE_DIR_MODE) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	err = pd_cache_check_private(fd, dir);
	if (!err && flock(fd, LOCK_EX | LOCK_NB))
		err = -EBUSY;
	if (err)
		close(fd);
	return err ? err : fd;
}

int pd_opaque_open(const char *dir, uint64_t max_bytes, uint64_t per_offerer,
		   struct pd_opaque_cache **out)
{
	struct pd_opaque_cache *oc = calloc(1, sizeof(*oc));
	int err;

	if (!oc)
		return -ENOMEM;
	pthread_mutex_init(&oc->lock, NULL);
	oc->max_bytes = max_bytes;
	oc->per_offerer = per_offerer;
	oc->dirfd = open_dir(dir);
	err = oc->dirfd < 0 ? oc->dirfd : read_all(oc);
	if (err) {
		pd_log(PD_LOG_ERROR, "hosted cache: cannot open %s: %s", dir,
		       err == -EBUSY ? "another process uses it" : strerror(-err));
		pd_opaque_close(oc);
		return err;
	}
	*out = oc;
	return 0;
}

void pd_opaque_close(struct pd_opaque_cache *oc)
{
	struct offerer *o;
	struct seg *s;
	unsigned i;

	if (!oc)
		return;
	for (i = 0; i < BUCKETS; i++) {
		while ((s = oc->buckets[i])) {
			oc->buckets[i] = s->hnext;
			free(s);
		}
	}
	while ((o = oc->offerers)) {
		oc->offerers = o->next;
		free(o);
	}
	if (oc->dirfd >= 0)
		close(oc->dirfd);
	pthread_mutex_destroy(&oc->lock);
	free(oc);
}
