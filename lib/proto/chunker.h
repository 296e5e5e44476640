/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content-defined segmentation for content information V2. MS-PCCRC leaves
 * the algorithm open; ours is documented in Documentation/content-information.md
 * and must never change: the same bytes always give the same segments.
 */
#ifndef PD_CHUNKER_H
#define PD_CHUNKER_H

#include <stddef.h>
#include <stdint.h>

#include "pd_chunk.h"	/* the algorithm and PD_CHUNK_MIN/AVG/MAX (common/) */

/*
 * Length of the first segment of buf[0..len): a cut point in
 * [PD_CHUNK_MIN, PD_CHUNK_MAX], or len itself when len <= PD_CHUNK_MIN or
 * no cut point lies within len and final is set. Returns 0 when more bytes
 * are needed to decide (not final and no cut found before len).
 */
size_t pd_chunk_next(const uint8_t *buf, size_t len, int final);

/*
 * Cutting a whole buffer as pd_chunk_next's loop does (segments start
 * while at least PD_CHUNK_MAX bytes are left, or any when final), in steps
 * another loop can take between its own work: pd_sha512_many_cut hashes
 * one window's segments while it cuts the next. The fast path, eight
 * bytes at a time while pos + 8 <= stop, is the caller's (see
 * pd_chunk_cursor_step); everything else is pd_chunk_cursor_settle's.
 */
struct pd_chunk_cursor {
	const uint64_t *gear;
	const uint8_t *buf;
	size_t len;
	int final;
	size_t *ends;		/* ends[0] = 0, ends[1 .. nseg]: the cuts */
	size_t nseg;
	size_t start;		/* where the segment being cut starts */
	size_t pos;		/* the next byte to hash */
	size_t stop;		/* the fast path may run while pos + 8 <= stop */
	uint64_t h;		/* the rolling hash before buf[pos] */
	uint64_t below;		/* a hash below this is a cut */
	int done;		/* nothing more can be cut in buf */
};

/* ends: room for len / PD_CHUNK_MIN + 2 entries. */
void pd_chunk_cursor_init(struct pd_chunk_cursor *c, const uint8_t *buf,
			  size_t len, int final, size_t *ends);
/* Moves on byte by byte until the fast path may run again, or done. */
void pd_chunk_cursor_settle(struct pd_chunk_cursor *c);
/* Cuts the rest of the buffer. */
void pd_chunk_cursor_finish(struct pd_chunk_cursor *c);

/*
 * The fast path on the caller's copies of pos, stop and h: eight bytes
 * whose hashes are all above the threshold are consumed; if one is below
 * (a cut among them), nothing is, and stop becomes 0 so that settle finds
 * the cut exactly.
 */
static inline void pd_chunk_cursor_step(const uint64_t *gear, const uint8_t *buf,
					uint64_t below, size_t *pos, size_t *stop,
					uint64_t *h)
{
	uint64_t hash = *h, low = ~0ull;
	int i;

	if (*pos + 8 > *stop)
		return;
	for (i = 0; i < 8; i++) {
		hash = (hash << 1) + gear[buf[*pos + i]];
		low = hash < low ? hash : low;
	}
	if (low < below) {
		*stop = 0;
		return;
	}
	*h = hash;
	*pos += 8;
}

#endif
