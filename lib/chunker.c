// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content-defined segmentation for V2 (Documentation/content-information.md
 * is the normative description; this must never change behaviour).
 *
 * A gear rolling hash h = (h << 1) + gear[byte] runs over a segment from
 * byte PD_CHUNK_MIN on (the first PD_CHUNK_MIN bytes are never a cut, so
 * they are not hashed). After the byte at offset i, the segment is cut
 * (length i + 1) when the top bits of h selected by the mask are all zero:
 * 18 bits below PD_CHUNK_AVG, 14 bits from there on, which pulls lengths
 * towards the average. At PD_CHUNK_MAX the segment is cut regardless.
 * The 256 gear values are splitmix64 outputs from a fixed seed.
 */
#include <pthread.h>

#include "chunker.h"

#define GEAR_SEED	0x7065657264697374ull	/* "peerdist" */
#define MASK_HARD	(~0ull << (64 - 18))
#define MASK_EASY	(~0ull << (64 - 14))

static uint64_t gear[256];
static pthread_once_t gear_once = PTHREAD_ONCE_INIT;

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void gear_init(void)
{
	uint64_t state = GEAR_SEED;
	unsigned i;

	for (i = 0; i < 256; i++)
		gear[i] = splitmix64(&state);
}

/* First cut in buf[from, to) under mask, as a length; 0 if none. */
static size_t scan(const uint8_t *buf, size_t from, size_t to, uint64_t *h,
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

size_t pd_chunk_next(const uint8_t *buf, size_t len, int final)
{
	size_t limit = len < PD_CHUNK_MAX ? len : PD_CHUNK_MAX;
	size_t cut, mid = limit < PD_CHUNK_AVG ? limit : PD_CHUNK_AVG;
	uint64_t h = 0;

	pthread_once(&gear_once, gear_init);
	if (len <= PD_CHUNK_MIN)
		return final ? len : 0;
	cut = scan(buf, PD_CHUNK_MIN, mid, &h, MASK_HARD);
	if (!cut)
		cut = scan(buf, mid, limit, &h, MASK_EASY);
	if (cut)
		return cut;
	if (limit == PD_CHUNK_MAX || final)
		return limit;
	return 0;
}
