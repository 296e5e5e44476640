/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The segment cache (segment.c: index, eviction, verification; segment_fd.c:
 * a segment as a file descriptor), and the segments the hash offload
 * builds itself.
 */
#ifndef PD_KMOD_SEGMENT_H
#define PD_KMOD_SEGMENT_H

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "hash.h"

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

#define PD_SEGMENT_ADDERS	4

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
	kuid_t adders[PD_SEGMENT_ADDERS];	/* under pd_cache_lock: may flush it */
	unsigned int nadders;
};

/*
 * Verifies a description (block hashes: nblocks * hash_len bytes; for V2
 * none, or HoD) and indexes it; 0 also when it was there already. Sets
 * d->nblocks. -EBADMSG when the hashes disagree.
 */
int pd_segment_add(struct pd_segment_desc *d, const u8 *hashes, size_t hashes_len);
/* The indexed segment with this id, with a reference, or NULL. */
struct pd_segment *pd_segment_get(const u8 *id, unsigned int len);
/* The same, or ERR_PTR(-EAGAIN) rather than wait for the index's lock. */
struct pd_segment *pd_segment_get_nowait(const u8 *id, unsigned int len);
void pd_segment_put(struct pd_segment *seg);
/* Adds block index (len bytes) once its hash matched. */
int pd_segment_put_block(struct pd_segment *seg, u32 index, const void *buf,
			 size_t len);
/*
 * Evicts the segment now; -ENOENT if it is not indexed, -EPERM when
 * adders_only and the caller did not add it.
 */
int pd_segment_flush(const u8 *id, unsigned int len, bool adders_only);
/*
 * Evicts every indexed segment (Clear-BCCache), or with adders_only those
 * the caller added; how many went. Open fds keep reading theirs.
 */
u64 pd_cache_clear(bool adders_only);
/* 0 when HMAC(kp, hod || C2) is d's id, else -EACCES. */
int pd_segment_prove(const struct pd_segment_desc *d, const u8 *hod,
		     unsigned int hod_len, const u8 *kp, unsigned int kp_len);
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
/* A new file over seg (holding a reference), for the caller to install. */
struct file *pd_segment_file(struct pd_segment *seg);
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
 * A segment the module hashes itself, V1 (PD_HASH_SHA256, blocks of
 * PD_V1_BLOCK_SIZE) or V2 (PD_HASH_V2_SHA512_TRUNC, one block).
 */
struct pd_segment *pd_segment_build(u32 hash_alg, u32 size);
int pd_segment_build_block(struct pd_segment *seg, u32 index, const void *buf);
/*
 * Derives HoD, Kp (from Ks, the version's own) and the id, and indexes
 * seg; the caller keeps its reference (dropped on error).
 */
int pd_segment_seal(struct pd_segment *seg, const u8 ks[32]);

int pd_cache_init(void);
void pd_cache_exit(void);

#endif
