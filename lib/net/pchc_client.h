/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client side of a hosted cache (MS-PCHC): configured by
 * PEERDIST_HOSTED_CACHE=URL, else by hosted_cache_url in peerdistd's
 * configuration file (PEERDIST_CONFIG, default /etc/peerdist/peerdistd.conf)
 * (https://HOST[:PORT][/PATH] for PCHC 1.0, http://... for 2.0; the port
 * and path default to the spec's), it names
 * where the hosted cache serves MS-PCCRR (HOST, at
 * PEERDIST_HOSTED_CACHE_RETRIEVAL_PORT, default 3703, peerdistd's port)
 * so that reads ask it first, and it offers the segments this process
 * fetched from elsewhere, in the background: once a fifth of a segment's
 * blocks arrived, and again once all did (Windows offers after 20%).
 *
 * An offer names the local MS-PCCRR server that answers the hosted
 * cache's pulls: the peerdistd that serves this cache directory, at
 * PEERDIST_RETRIEVAL_PORT, else the port in that configuration file, else
 * 3703. Without a peerdistd there is nothing to pull from, and the offers
 * come to nothing (the hosted cache logs the refused pulls).
 * PEERDIST_HOSTED_CACHE_CA=FILE names the PEM certificates that PCHC 1.0's
 * server certificate is checked against (default: the system's).
 */
#ifndef PD_PCHC_CLIENT_H
#define PD_PCHC_CLIENT_H

#include <stdint.h>
#include <sys/socket.h>

#include "store.h"

struct pd_hc_client;

/* Whether a hosted cache is configured (the URL not checked). */
int pd_hc_client_configured(void);

/* 1 and *out set when a hosted cache is configured, 0 when none is,
 * -EINVAL for a URL that is not one, or another -errno. */
int pd_hc_client_open(struct pd_hc_client **out);

/* Where the hosted cache answers MS-PCCRR. */
const struct sockaddr_storage *pd_hc_client_retrieval(const struct pd_hc_client *c);

/* A segment being fetched: its description is kept for the offers. */
void pd_hc_client_watch(struct pd_hc_client *c, const struct pd_segment_desc *d);

/* A block of a watched segment arrived from somewhere else than the
 * hosted cache: may queue an offer. */
void pd_hc_client_arrived(struct pd_hc_client *c, const uint8_t *id, unsigned idlen);

/* Sends the offers still queued (each bounded by a second), then stops. */
void pd_hc_client_close(struct pd_hc_client *c);

#endif
