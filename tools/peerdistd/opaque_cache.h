/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hosted cache's unverified blocks: what a PCHC 2.0 offer brings for a
 * segment whose description (HoD, block hashes, Kp) the hosted cache does
 * not hold, so it can neither decrypt nor verify them. Each block is kept
 * exactly as it came over MS-PCCRR, its IV and ciphertext, keyed by segment
 * id and block index, with the offer's block and segment sizes, and only
 * ever replayed to MS-PCCRR clients, who decrypt it with their own Kp and
 * check it against their own content information (a wrong one costs them a
 * fetch elsewhere). Never decrypted, never handed to the local API.
 *
 * On disk, DIR/<segment id in hex>: one file per segment, 0600 in a 0700
 * directory, a header then a slot per block at a fixed offset (layout in
 * opaque_cache.c). Opening reads every file's header back; a file that
 * does not parse is dropped with a log line, as is one whose block slot
 * proves corrupt when read.
 *
 * Bounded: max_bytes in all, the least recently used segments evicted to
 * make room; per_offerer for what one offering address brought (its own
 * least recently used segments go first), so a hostile offerer can poison
 * only what it offered, and only that much. Safe from any thread.
 */
#ifndef PD_OPAQUE_CACHE_H
#define PD_OPAQUE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define PD_OPAQUE_ID_SIZE	32	/* a PCHC 2.0 offer's SegmentHoHoDk */

struct pd_opaque_cache;

/* Opens (creating) dir, which one process at a time may use: 0, or -errno
 * (-EBUSY when another holds it) and logged. */
int pd_opaque_open(const char *dir, uint64_t max_bytes, uint64_t per_offerer,
		   struct pd_opaque_cache **out);
void pd_opaque_close(struct pd_opaque_cache *oc);

/* How many blocks a segment of these sizes has; 0 when MS-PCCRR could not
 * carry it (a block over 128 KiB, more than 512 blocks, a size of 0). */
uint32_t pd_opaque_nblocks(uint32_t block_size, uint32_t segment_size);

/* An encrypted block as a MSG_BLK carried it. */
struct pd_opaque_block {
	unsigned crypto;	/* CryptoAlgoId 1..3 */
	const uint8_t *iv;	/* PD_PCCRR_IV_SIZE bytes */
	const uint8_t *data;
	uint32_t len;		/* the block's length, padded to AES' 16 */
};

/*
 * Keeps block index of segment id (block_size, segment_size: the offer's)
 * brought by offerer (an address, as pd_admission_key() makes it). 0 (also
 * when it is there already); -EINVAL for a block whose length or algorithm
 * does not fit, or sizes other than those the segment was first kept with;
 * -ENOSPC when the budgets leave no room even after evicting; or -errno.
 */
int pd_opaque_put(struct pd_opaque_cache *oc, const uint8_t *id, uint32_t block_size,
		  uint32_t segment_size, const uint8_t offerer[16], uint32_t index,
		  const struct pd_opaque_block *b);

/* Whether block index of segment id is kept (1) or not (0). */
int pd_opaque_has(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen,
		  uint32_t index);

/* Whether any block of segment id is kept. */
int pd_opaque_holds(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen);

/*
 * Block index of segment id: its ciphertext into buf (room bytes), its
 * algorithm in *crypto, its IV in iv (PD_PCCRR_IV_SIZE), its length before
 * padding in *plain. The ciphertext's length, or 0 when it is not kept
 * (or does not fit room; a corrupt file: dropped, logged).
 */
size_t pd_opaque_read(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen,
		      uint32_t index, uint8_t *buf, size_t room, unsigned *crypto,
		      uint8_t *iv, uint32_t *plain);

/* Forgets segment id (its verified description arrived). */
void pd_opaque_drop(struct pd_opaque_cache *oc, const uint8_t *id, unsigned idlen);

struct pd_opaque_stats {
	uint64_t bytes;		/* charged to the budget: blocks and files */
	uint64_t segments;
	uint64_t evictions;	/* segments evicted for room */
	uint64_t corrupt;	/* files dropped because they did not parse */
};

void pd_opaque_stats(struct pd_opaque_cache *oc, struct pd_opaque_stats *st);

#endif
