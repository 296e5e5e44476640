// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module's tunables and counters. Counters are atomic and read
 * without locks; the tunables change together under pd_limits_lock, so a
 * reader never sees a half-applied set.
 */
#include "genl.h"
#include "segment.h"
#include "state.h"

static DEFINE_MUTEX(pd_limits_lock);

static struct pd_limits pd_limits = {
	.enabled = true,
	.cache_max_bytes = PD_CACHE_DEFAULT_BYTES,
};

static atomic64_t pd_counters[PD_CNT_COUNT];

const char *const pd_counter_names[PD_CNT_COUNT] = {
	[PD_CNT_CACHED_BYTES] = "cached_bytes",
	[PD_CNT_SEGMENTS] = "segments",
	[PD_CNT_HITS] = "hits",
	[PD_CNT_MISSES] = "misses",
	[PD_CNT_EVICTIONS] = "evictions",
	[PD_CNT_HASH_BYTES] = "hash_bytes",
	[PD_CNT_VERIFY_FAILURES] = "verify_failures",
	[PD_CNT_OBJECTS] = "objects",
};

u64 pd_counter_read(enum pd_counter c)
{
	return atomic64_read(&pd_counters[c]);
}

void pd_counter_add(enum pd_counter c, s64 delta)
{
	atomic64_add(delta, &pd_counters[c]);
}

void pd_limits_get(struct pd_limits *l)
{
	mutex_lock(&pd_limits_lock);
	*l = pd_limits;
	mutex_unlock(&pd_limits_lock);
}

int pd_limits_set(const struct pd_limits *l)
{
	bool changed;

	if (l->cache_max_bytes < PD_CACHE_MIN_BYTES)
		return -ERANGE;
	mutex_lock(&pd_limits_lock);
	changed = pd_limits.enabled != l->enabled;
	pd_limits = *l;
	mutex_unlock(&pd_limits_lock);
	pd_cache_trim();	/* a lower cap applies at once */
	if (changed)
		pd_genl_notify_status(l->enabled);
	return 0;
}
