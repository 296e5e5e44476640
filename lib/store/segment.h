/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A segment as the store keeps it: its description (id, HoD, Kp, block
 * hashes), taken from content information and checked before any backend
 * keeps it.
 */
#ifndef PD_SEGMENT_H
#define PD_SEGMENT_H

#include <stdint.h>

#include "pccrc.h"

struct pd_segment_desc {
	unsigned hash_alg;		/* PD_HASH_* */
	unsigned hash_len;
	uint32_t size;			/* segment bytes */
	uint32_t block_size;		/* V1 65536; V2 == size */
	uint32_t nblocks;
	uint8_t id[PD_HASH_MAX];	/* HoHoDk */
	uint8_t hod[PD_HASH_MAX];
	uint8_t kp[PD_HASH_MAX];
	const uint8_t *block_hashes;	/* nblocks * hash_len */
	/*
	 * Set by a store that does not tell HoD and Kp (peerdist.ko, to a
	 * service that opened the segment by id): both are zero, and the
	 * store's encrypt_block encrypts the blocks.
	 */
	int no_kp;
};

/* Block index's length: block_size, but for a short last block. */
static inline uint32_t pd_segment_block_len(const struct pd_segment_desc *d,
					    uint32_t index)
{
	uint64_t start = (uint64_t)index * d->block_size;

	return d->size - start < d->block_size ? d->size - start : d->block_size;
}

/* Where a present block's bytes are: read len bytes at offset of fd. */
struct pd_block_loc {
	int fd;			/* the caller's own descriptor: close it */
	uint64_t offset;
	uint32_t len;
};

/*
 * A backend's locate_block, once it holds the segment open: fd holds the
 * segment's bytes at their own offsets, present says whether block index
 * is there. 0 with loc->fd the caller's own duplicate of fd, -EINVAL past
 * the segment's end, -ENOENT for an absent block, or -errno.
 */
int pd_segment_locate(const struct pd_segment_desc *d, int fd, uint32_t index,
		      int present, struct pd_block_loc *loc);

/* Checks a description: HoD against block hashes, id against HoD and Kp. */
int pd_segment_desc_verify(const struct pd_segment_desc *d);

/* The descriptions of segment i of ci (block_hashes point into ci). */
void pd_segment_desc_from_ci(const struct pd_ci *ci, uint32_t i,
			     struct pd_segment_desc *d);

#endif
