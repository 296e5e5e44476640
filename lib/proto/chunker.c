// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content-defined segmentation for V2: the algorithm is common/pd_chunk.h,
 * shared with peerdist.ko (Documentation/content-information.md is the
 * normative description). Here: the gear table, filled once per process.
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
