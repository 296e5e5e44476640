/* SPDX-License-Identifier: GPL-2.0-only */
/* The module's tunables and counters (state.c); sysfs.c and genl.c show them. */
#ifndef PD_KMOD_STATE_H
#define PD_KMOD_STATE_H

#include <linux/bits.h>
#include <linux/types.h>

#define PD_CACHE_MIN_BYTES	BIT_ULL(20)
#define PD_CACHE_DEFAULT_BYTES	(256ULL << 20)

enum pd_counter {
	PD_CNT_CACHED_BYTES,
	PD_CNT_SEGMENTS,
	PD_CNT_HITS,
	PD_CNT_MISSES,
	PD_CNT_EVICTIONS,
	PD_CNT_HASH_BYTES,
	PD_CNT_VERIFY_FAILURES,
	PD_CNT_OBJECTS,
	PD_CNT_COUNT
};

struct pd_limits {
	bool enabled;
	u64 cache_max_bytes;
};

extern const char *const pd_counter_names[PD_CNT_COUNT];

u64 pd_counter_read(enum pd_counter c);
void pd_counter_add(enum pd_counter c, s64 delta);
void pd_limits_get(struct pd_limits *l);
/* Validates and applies; -ERANGE for a cap under PD_CACHE_MIN_BYTES. */
int pd_limits_set(const struct pd_limits *l);

#endif
