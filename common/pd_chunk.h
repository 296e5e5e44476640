/* SPDX-License-Identifier: LGPL-2.1-or-later OR GPL-2.0-only */
/*
 * The V2 chunker's core, one source for libpeerdist (lib/chunker.c) and
 * peerdist.ko (kmod/chunk.c): both must cut the same bytes at the same
 * places, so the code is shared, not copied. It is pure computation (no
 * allocation, no locking): each side keeps its own gear table, filled once
 * with pd_chunk_gear_fill(). Documentation/content-information.md is the
 * normative description; this must never change behaviour.
 *
 * A gear rolling hash h = (h << 1) + gear[byte] runs over a segment from
 * byte PD_CHUNK_MIN on (the first PD_CHUNK_MIN bytes are never a cut, so
 * they are not hashed). After the byte at offset i, the segment is cut
 * (length i + 1) when the top bits of h selected by the mask are all zero:
 * 18 bits below PD_CHUNK_AVG, 14 bits from there on, which pulls lengths
 * towards the average. At PD_CHUNK_MAX the segment is cut regardless.
 * The 256 gear values are splitmix64 outputs from a fixed seed.
 */
#ifndef PD_COMMON_CHUNK_H
#define PD_COMMON_CHUNK_H

#ifdef __KERNEL__
#include <linux/types.h>	/* uint8_t, uint64_t, size_t */
#else
#include <stddef.h>
#include <stdint.h>
#endif

#define PD_CHUNK_MIN	(32u << 10)
#define PD_CHUNK_AVG	(64u << 10)
#define PD_CHUNK_MAX	(128u << 10)

#define PD_CHUNK_GEAR_SEED	0x7065657264697374ull	/* "peerdist" */
#define PD_CHUNK_MASK_HARD	(~0ull << (64 - 18))
#define PD_CHUNK_MASK_EASY	(~0ull << (64 - 14))

static inline uint64_t pd_chunk_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void pd_chunk_gear_fill(uint64_t gear[256])
{
	uint64_t state = PD_CHUNK_GEAR_SEED;
	unsigned int i;

	for (i = 0; i < 256; i++)
		gear[i] = pd_chunk_splitmix64(&state);
}

/* First cut in buf[from, to) under mask, as a length; 0 if none. */
static inline size_t pd_chunk_scan(const uint64_t gear[256], const uint8_t *buf,
				   size_t from, size_t to, uint64_t *h,
				   uint64_t mask)
{
	uint64_t hash = *h;
	size_t i;

	for (i = from; i < to; i++) {
		hash = (hash << 1) + gear[buf[i]];
		if (!(hash & mask))
			return i + 1;
	}
	*h = hash;
	return 0;
}

/*
 * Length of the first segment of buf[0..len): a cut point in
 * [PD_CHUNK_MIN, PD_CHUNK_MAX], or len itself when len <= PD_CHUNK_MIN or
 * no cut point lies within len and final is set. 0 when more bytes are
 * needed to decide (not final and no cut found before len). Only the first
 * PD_CHUNK_MAX bytes are ever looked at.
 */
static inline size_t pd_chunk_cut(const uint64_t gear[256], const uint8_t *buf,
				  size_t len, int final)
{
	size_t limit = len < PD_CHUNK_MAX ? len : PD_CHUNK_MAX;
	size_t cut, mid = limit < PD_CHUNK_AVG ? limit : PD_CHUNK_AVG;
	uint64_t h = 0;

	if (len <= PD_CHUNK_MIN)
		return final ? len : 0;
	cut = pd_chunk_scan(gear, buf, PD_CHUNK_MIN, mid, &h, PD_CHUNK_MASK_HARD);
	if (!cut)
		cut = pd_chunk_scan(gear, buf, mid, limit, &h, PD_CHUNK_MASK_EASY);
	if (cut)
		return cut;
	if (limit == PD_CHUNK_MAX || final)
		return limit;
	return 0;
}

#endif
