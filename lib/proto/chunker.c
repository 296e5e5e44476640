// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content-defined segmentation for V2: the algorithm is common/pd_chunk.h,
 * shared with peerdist.ko (Documentation/content-information.md is the
 * normative description). Here: the gear table, filled once per process,
 * and the cursor that cuts a buffer in steps.
 */
#include <pthread.h>

#include "chunker.h"

static uint64_t gear[256];
static pthread_once_t gear_once = PTHREAD_ONCE_INIT;

static void gear_init(void)
{
	pd_chunk_gear_fill(gear);
}

size_t pd_chunk_next(const uint8_t *buf, size_t len, int final)
{
	pthread_once(&gear_once, gear_init);
	return pd_chunk_cut(gear, buf, len, final);
}

/* The current phase: the threshold and where it ends. */
static void cursor_phase(struct pd_chunk_cursor *c, size_t *end, uint64_t *mask)
{
	size_t rest = c->len - c->start;
	size_t limit = rest < PD_CHUNK_MAX ? rest : PD_CHUNK_MAX;
	size_t mid = limit < PD_CHUNK_AVG ? limit : PD_CHUNK_AVG;

	if (c->pos - c->start < mid) {
		*mask = PD_CHUNK_MASK_HARD;
		*end = c->start + mid;
	} else {
		*mask = PD_CHUNK_MASK_EASY;
		*end = c->start + limit;
	}
	c->below = ~*mask + 1;
}

/* Starts the segment at c->start, cutting at once what is too short. */
static void cursor_begin(struct pd_chunk_cursor *c)
{
	for (;;) {
		size_t rest = c->len - c->start;

		if (rest < (c->final ? 1 : PD_CHUNK_MAX)) {
			c->done = 1;
			c->stop = 0;
			return;
		}
		if (rest > PD_CHUNK_MIN)
			break;
		c->start = c->len;		/* final: the rest is one segment */
		c->ends[++c->nseg] = c->start;
	}
	c->pos = c->start + PD_CHUNK_MIN;
	c->h = 0;
	c->stop = 0;
}

static void cursor_cut(struct pd_chunk_cursor *c, size_t at)
{
	c->ends[++c->nseg] = at;
	c->start = at;
	cursor_begin(c);
}

/*
 * Hashes up to span bytes from pos exactly, within the phase, and cuts
 * where pd_chunk_cut would; leaves stop at the phase's end.
 */
static void cursor_advance(struct pd_chunk_cursor *c, size_t span)
{
	size_t end, to, cut;
	uint64_t mask;

	cursor_phase(c, &end, &mask);
	to = end - c->pos < span ? end : c->pos + span;
	cut = pd_chunk_scan(gear, c->buf, c->pos, to, &c->h, mask);
	if (cut) {
		cursor_cut(c, cut);
		return;
	}
	c->pos = to;
	if (to < end) {
		c->stop = end;
		return;
	}
	/* the phase's end: the easy phase follows the hard one, unless that
	 * was the limit too; at the limit, the segment ends there */
	cursor_phase(c, &end, &mask);
	if (c->pos == end)
		cursor_cut(c, end);
	else
		c->stop = end;
}

void pd_chunk_cursor_init(struct pd_chunk_cursor *c, const uint8_t *buf,
			  size_t len, int final, size_t *ends)
{
	pthread_once(&gear_once, gear_init);
	*c = (struct pd_chunk_cursor){ .gear = gear, .buf = buf, .len = len,
				       .final = final, .ends = ends };
	ends[0] = 0;
	cursor_begin(c);
	pd_chunk_cursor_settle(c);
}

void pd_chunk_cursor_settle(struct pd_chunk_cursor *c)
{
	while (!c->done && c->pos + 8 > c->stop)
		cursor_advance(c, 8);
}

void pd_chunk_cursor_finish(struct pd_chunk_cursor *c)
{
	while (!c->done)
		cursor_advance(c, (size_t)-1);
}
