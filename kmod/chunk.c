// SPDX-License-Identifier: GPL-2.0-only
/*
 * The V2 chunker in the module: the algorithm is common/pd_chunk.h, the
 * very code libpeerdist runs, so that hash offload cuts a file where
 * `peerdist hash --v2` does. Here: the gear table, filled once at load and
 * read-only after.
 */
#include <linux/cache.h>
#include <linux/init.h>

#include "pd_chunk.h"
#include "peerdist.h"

static u64 pd_gear[256] __ro_after_init;

void __init pd_chunk_init(void)
{
	pd_chunk_gear_fill(pd_gear);
}

size_t pd_chunk_next(const u8 *buf, size_t len, bool final)
{
	return pd_chunk_cut(pd_gear, buf, len, final);
}
