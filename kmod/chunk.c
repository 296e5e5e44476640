// SPDX-License-Identifier: GPL-2.0-only
/*
 * The V2 chunker in the module: the algorithm is common/pd_chunk.h, the
 * very code libpeerdist runs, so that hash offload cuts a file where
 * `peerdist hash --v2` does. Here: the gear table, filled at first use
 * rather than in the module's init, since 6.1 runs a module's KUnit
 * suites before its init (MODULE_STATE_COMING).
 */
#include <linux/mutex.h>

#include "pd_chunk.h"
#include "chunk.h"

static DEFINE_MUTEX(pd_gear_lock);	/* the one fill of pd_gear */
static u64 pd_gear[256];
static bool pd_gear_ready;		/* release: pd_gear is complete */

size_t pd_chunk_next(const u8 *buf, size_t len, bool final)
{
	/* Pairs with the release below: a reader that sees it set sees the table. */
	if (!smp_load_acquire(&pd_gear_ready)) {
		mutex_lock(&pd_gear_lock);
		if (!pd_gear_ready) {
			pd_chunk_gear_fill(pd_gear);
			/* The table's stores before the flag's: see the acquire above. */
			smp_store_release(&pd_gear_ready, true);
		}
		mutex_unlock(&pd_gear_lock);
	}
	return pd_chunk_cut(pd_gear, buf, len, final);
}
