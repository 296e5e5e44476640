/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fetching missing blocks from peers: discovery, then MS-PCCRR retrieval
 * from the peers found: several workers at once, each pipelining the
 * requests for a few blocks of one segment on a kept-alive connection. Every block is decrypted and goes into the store, which checks
 * it against its hash before anyone can read it; a peer that sends a bad
 * block, or stalls past the request timer, is distrusted for a while.
 * Readers learn of a fetched block from the store's own wake-ups, and of a
 * failure from the notify callback.
 */
#ifndef PD_FETCH_H
#define PD_FETCH_H

#include <stdint.h>

#include "store.h"

enum pd_fetch_state {
	PD_FETCH_PENDING,	/* asked for; peers being looked for or asked */
	PD_FETCH_NO_PEER,	/* no trusted peer had it, recently */
	PD_FETCH_TRUST_FAILURE,	/* peers had it, but all are distrusted now */
	PD_FETCH_BUSY,		/* too many requests queued: ask again later */
};

struct pd_fetch_config {
	const char *interfaces;		/* comma list; NULL: every multicast one */
	unsigned window_ms;		/* discovery window */
	unsigned request_ms;		/* request timer */
	unsigned workers;		/* parallel connections */
	int discovery;			/* ask peers found by discovery */
};

struct pd_fetcher;

/* Reads the configuration from the environment: PEERDIST_DISCOVERY
 * (on/off), PEERDIST_INTERFACES, PEERDIST_REQUEST_TIMEOUT_MS and
 * a hosted cache, asked before the peers (PEERDIST_HOSTED_CACHE or
 * hosted_cache_url, see pchc_client.h). Returns 0 when fetching is off:
 * no discovery, no hosted cache. */
int pd_fetch_config_from_env(struct pd_fetch_config *cfg);

int pd_fetcher_start(struct pd_store *st, const struct pd_fetch_config *cfg,
		     void (*notify)(void *), void *arg, struct pd_fetcher **out);

/* Asks for block b of the segment d describes (once: repeated asks are
 * free) and says how it stands. */
enum pd_fetch_state pd_fetch_block(struct pd_fetcher *f,
				   const struct pd_segment_desc *d, uint32_t b);

/* n blocks of the segment d describes came from elsewhere (the origin):
 * counted towards offering it to the hosted cache, if there is one. */
void pd_fetch_added(struct pd_fetcher *f, const struct pd_segment_desc *d, uint32_t n);

/* Stops the workers (a request in progress ends within the request timer). */
void pd_fetcher_stop(struct pd_fetcher *f);

#endif
