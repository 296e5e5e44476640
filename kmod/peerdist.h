/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * peerdist.ko: what its parts share. The tunables and counters live in
 * state.c; sysfs.c and genl.c present them. The segment cache is
 * segment.c (index, eviction, verification), segment_fd.c (a segment
 * as a file descriptor), content_fd.c (a content as one) and backing.c
 * (segments kept as files in a directory, across reloads); hash.c has the
 * digests, chunk.c the V2 chunker.
 */
#ifndef PD_KMOD_PEERDIST_H
#define PD_KMOD_PEERDIST_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/types.h>

#define PD_CACHE_MIN_BYTES	BIT_ULL(20)
#define PD_CACHE_DEFAULT_BYTES	(256ULL << 20)

enum pd_counter {
	PD_CNT_CACHED_BYTES,
	PD_CNT_SEGMENTS,
	PD_CNT_HITS,
	PD_CNT_MISSES,
	PD_CNT_EVICTIONS,
	PD_CNT_HASH_BYTES,
	PD_CNT_VERIFY_FAILURES,
	PD_CNT_OBJECTS,
	PD_CNT_COUNT
};

struct pd_limits {
	bool enabled;
	u64 cache_max_bytes;
};

extern const char *const pd_counter_names[PD_CNT_COUNT];

u64 pd_counter_read(enum pd_counter c);
void pd_counter_add(enum pd_counter c, s64 delta);
void pd_limits_get(struct pd_limits *l);
/* Validates and applies; -ERANGE for a cap under PD_CACHE_MIN_BYTES. */
int pd_limits_set(const struct pd_limits *l);

/* Content information's hash algorithms (MS-PCCRC dwHashAlgo / bHashAlgo). */
#define PD_HASH_SHA256		0x800C
#define PD_HASH_SHA384		0x800D
#define PD_HASH_SHA512		0x800E
#define PD_HASH_V2		0x04	/* SHA-512 truncated to 32 bytes */
#define PD_HASH_MAX		64
#define PD_V1_BLOCK_SIZE	65536
#define PD_V1_MAX_SEGMENT	(32U << 20)
#define PD_V2_MAX_SEGMENT	(128U << 10)
#define PD_MAX_BLOCKS		512

/* The constant HoHoDk's HMAC adds to HoD (MS-PCCRC 2.2). */
extern const u8 pd_c2[30];

unsigned int pd_hash_len(u32 alg);
int pd_hash(u32 alg, const void *data, size_t len, u8 *out);
/* HMAC over a || b, keyed with key. */
int pd_hmac(u32 alg, const u8 *key, unsigned int keylen, const void *a,
	    size_t alen, const void *b, size_t blen, u8 *out);

struct pd_segment_desc {
	u32 hash_alg;
	u32 hash_len;
	u32 size;
	u32 block_size;
	u32 nblocks;
	u8 id[PD_HASH_MAX];	/* HoHoDk */
	u8 hod[PD_HASH_MAX];
	u8 kp[PD_HASH_MAX];
};

struct pd_segment {
	struct hlist_node node;		/* in the index, under pd_cache_lock */
	struct list_head lru;		/* under pd_cache_lock */
	struct kref ref;
	struct pd_segment_desc desc;
	u8 *block_hashes;		/* nblocks * hash_len */
	struct file *data;		/* shmem or backing file: the bytes */
	struct mutex lock;		/* serialises adding blocks */
	DECLARE_BITMAP(present, PD_MAX_BLOCKS);
	u64 cached;			/* present bytes, while indexed */
	bool evicted;			/* under pd_cache_lock */
	spinlock_t miss_lock;		/* the two below */
	DECLARE_BITMAP(miss_told, PD_MAX_BLOCKS);	/* events sent */
	unsigned long miss_since;	/* jiffies: when miss_told was cleared */
	bool backed;			/* data is a file in the backing directory */
	bool keep_file;			/* under pd_cache_lock: unindexed, not evicted */
	struct llist_node reap;		/* backing.c: its file awaits deletion */
};

/*
 * Verifies a description (block hashes: nblocks * hash_len bytes; for V2
 * none, or HoD) and indexes it; 0 also when it was there already. Sets
 * d->nblocks. -EBADMSG when the hashes disagree.
 */
int pd_segment_add(struct pd_segment_desc *d, const u8 *hashes, size_t hashes_len);
/* The indexed segment with this id, with a reference, or NULL. */
struct pd_segment *pd_segment_get(const u8 *id, unsigned int len);
void pd_segment_put(struct pd_segment *seg);
/* Adds block index (len bytes) once its hash matched. */
int pd_segment_put_block(struct pd_segment *seg, u32 index, const void *buf,
			 size_t len);
/* Evicts the segment now; -ENOENT if it is not indexed. */
int pd_segment_flush(const u8 *id, unsigned int len);
u32 pd_block_len(const struct pd_segment_desc *d, u32 index);
/* Evicts least recently used segments down to the size cap. */
void pd_cache_trim(void);
/*
 * Verifies a description as pd_segment_add() does (sets d->nblocks);
 * counts nothing.
 */
int pd_segment_check_desc(struct pd_segment_desc *d, const u8 *hashes,
			  size_t hashes_len);
/*
 * backing.c: indexes a segment found in the backing directory, whose
 * description passed pd_segment_check_desc() and whose blocks in present
 * matched their hashes. Takes data (the file) on success.
 */
int pd_segment_load(const struct pd_segment_desc *d, const u8 *hashes,
		    size_t hashes_len, struct file *data, const unsigned long *present);
/* Unindexes every backed segment, leaving its file in place. */
void pd_cache_unload_backed(void);
/* Installs a new fd for seg in the calling process; the fd or -errno. */
int pd_segment_open_fd(struct pd_segment *seg);
/*
 * Reads seg's bytes from pos up to the end of the run of present blocks;
 * -ENODATA (counted as a miss, and told to the events group) when the
 * block at pos is absent.
 */
ssize_t pd_segment_read(struct pd_segment *seg, loff_t pos, struct iov_iter *to);
/* Whether the block holding byte pos of seg is present. */
bool pd_segment_has_byte(const struct pd_segment *seg, loff_t pos);
/* Multicasts "block missing" for block index, once a second at most. */
void pd_segment_note_miss(struct pd_segment *seg, u32 index);
/* Woken whenever a block becomes present or a segment is indexed. */
extern struct wait_queue_head pd_block_wq;
/* How many times a segment was indexed: a content fd's poll compares. */
extern atomic64_t pd_segments_indexed;

/*
 * Content fds (content_fd.c): an anonymous inode over a sequence of
 * segments (ids: n * hash_len bytes; sizes: n segment lengths), the first
 * starting at file offset start; fd < 0 opens a new one, else appends to
 * the caller's content fd. The fd or -errno.
 */
int pd_content_open(int fd, u32 hash_alg, const u8 *ids, const u32 *sizes,
		    u32 n, u64 start);

/*
 * Hash offload (publish.c): a segment the module hashes itself, V1
 * (PD_HASH_SHA256, blocks of PD_V1_BLOCK_SIZE) or V2 (PD_HASH_V2, one block).
 */
struct pd_segment *pd_segment_build(u32 hash_alg, u32 size);
int pd_segment_build_block(struct pd_segment *seg, u32 index, const void *buf);
/*
 * Derives HoD, Kp (from Ks, the version's own) and the id, and indexes
 * seg; the caller keeps its reference (dropped on error).
 */
int pd_segment_seal(struct pd_segment *seg, const u8 ks[32]);

/*
 * Sets the server secret; only the versions' Ks are kept: SHA-256(secret)
 * and SHA-512(secret) truncated to 32 bytes.
 */
int pd_secret_set(const u8 *secret, size_t len);
/*
 * Content information (version 1 or 2) of the whole file behind fd (in
 * the caller's process), hashed now or kept from before; its generation
 * and length. -ENOKEY without a server secret, -EBADF for what is not a
 * readable file.
 */
int pd_hash_fd(int fd, unsigned int version, u64 *generation, size_t *len);
/* Bytes of a result from offset; -ESTALE once that generation is gone. */
int pd_content_info_read(u64 generation, size_t offset, u8 *out, size_t cap,
			 size_t *got, size_t *total);
/*
 * Drops what was kept for the file behind fd and evicts its segments;
 * -ENOENT when nothing was, -EPERM unless the caller owns the file or has
 * CAP_NET_ADMIN.
 */
int pd_unpublish_fd(int fd);
void pd_publish_exit(void);

/* The V2 chunker (common/pd_chunk.h): the first segment's length in buf. */
size_t pd_chunk_next(const u8 *buf, size_t len, bool final);

int pd_cache_init(void);
void pd_cache_exit(void);
/* Multicast to the events group: a block added, a block missed. */
void pd_genl_notify_block(const struct pd_segment *seg, u32 index, bool added);
/* Multicast to the events group: the cache was enabled or disabled. */
void pd_genl_notify_status(bool enabled);

/*
 * The persistent cache (backing.c). The file for a new segment, NULL to
 * keep it in shmem (no backing directory, or no id yet).
 */
struct file *pd_backing_create(struct pd_segment *seg);
/* seg->lock held: records a new present block in seg's file. */
void pd_backing_block_added(struct pd_segment *seg);
/* pd_cache_lock held, maybe in reclaim: queues the file's deletion. */
void pd_backing_evicted(struct pd_segment *seg);
/* /sys/kernel/peerdist/backing_dir */
ssize_t pd_backing_dir_show(char *buf);
int pd_backing_dir_set(const char *text, size_t len);
int pd_backing_init(void);
void pd_backing_exit(void);

int pd_sysfs_init(void);
void pd_sysfs_exit(void);
int pd_genl_init(void);
void pd_genl_exit(void);

#endif
