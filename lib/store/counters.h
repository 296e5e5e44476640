/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Byte counters of a cache, as Windows' BranchCache counters: where the
 * bytes local readers got came from, and what this host served. One small
 * file, "counters" in the cache directory (0600), mapped shared by every
 * process that uses the cache (readers, peerdistd), each adding with atomic
 * adds: no lock, no count lost, and the counts outlive the processes. A
 * file that is not a counters file of this layout (wrong size, magic or
 * version) is made anew with a message on stderr, never trusted.
 *
 * Each kind is counted in one place: read from the cache by the read
 * engine (lib/api/read_engine.c), fetched from peers and from the hosted
 * cache by the fetcher (lib/net/fetch.c), fetched from origins by
 * PeerDistClientAddData (lib/api/api_client.c), served by peerdistd's
 * retrieval service (tools/peerdistd/retrieval.c).
 */
#ifndef PD_COUNTERS_H
#define PD_COUNTERS_H

#include <stdint.h>

enum pd_counter {
	/* bytes local readers read that were in the cache before they asked */
	PD_COUNT_READ_FROM_CACHE,
	/* verified block bytes fetched from peers (MS-PCCRR, distributed mode) */
	PD_COUNT_FETCHED_FROM_PEERS,
	/* verified block bytes fetched from the hosted cache */
	PD_COUNT_FETCHED_FROM_HOSTED_CACHE,
	/* verified block bytes callers added with PeerDistClientAddData */
	PD_COUNT_FETCHED_FROM_ORIGINS,
	/* block bytes peerdistd sent to peers */
	PD_COUNT_SERVED_TO_PEERS,
	/* block bytes peerdistd sent as the branch's hosted cache */
	PD_COUNT_SERVED_AS_HOSTED_CACHE,
	PD_COUNTERS
};

/* The counter's name in JSON and in words ("read_from_cache", ...). */
const char *pd_counter_name(enum pd_counter which);

struct pd_counters;

/*
 * The counters of the cache directory open as dirfd (dir: its path, for
 * messages), created if missing, repaired if broken; 0 or -errno.
 */
int pd_counters_open(int dirfd, const char *dir, struct pd_counters **out);
void pd_counters_close(struct pd_counters *c);

/* Adds bytes to a counter (no-op for c NULL: a store without a directory). */
void pd_counters_add(struct pd_counters *c, enum pd_counter which, uint64_t bytes);
/* Every counter's value (zeros for c NULL). */
void pd_counters_read(const struct pd_counters *c, uint64_t out[PD_COUNTERS]);
/* Sets every counter to 0. */
void pd_counters_reset(struct pd_counters *c);

#endif
