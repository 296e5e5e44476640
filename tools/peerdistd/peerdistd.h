/* SPDX-License-Identifier: GPL-2.0-or-later */
/* peerdistd: what its parts share. */
#ifndef PD_PEERDISTD_H
#define PD_PEERDISTD_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct pd_config {
	char listen_addr[64];	/* IPv4 or IPv6 literal */
	uint16_t port;
	int verbose;
	unsigned max_clients;		/* Active Client Count limit */
	unsigned upload_timeout_ms;	/* idle time that ends a client's turn */
	char interfaces[256];		/* comma list; empty: every multicast one */
	int discovery;			/* answer Probes */
};

/* Parses the command line; 0, or the exit code to leave with. */
int pd_config_parse(int argc, char **argv, struct pd_config *cfg);

/*
 * MS-PCCRR retrieval over the store: answers one request body with a
 * response body (transport header included) in out. A client that is not
 * admitted (over the Active Client Count) gets the spec's empty answers.
 * Returns the length, or -1 for a request to refuse with HTTP 400.
 * Safe to call from several threads at once.
 */
long pd_retrieval_answer(struct pd_store *store, const uint8_t *req, size_t len,
			 int admitted, uint8_t *out, size_t cap);

struct pd_http;
int pd_http_start(const struct pd_config *cfg, struct pd_store *store,
		  struct pd_http **out);
void pd_http_stop(struct pd_http *h);

/* Discovery (discovery.c): answers Probes for what the store holds,
 * advertising the retrieval service at http_port. */
struct pd_discovery;
int pd_discovery_start(const struct pd_config *cfg, struct pd_store *st,
		       unsigned http_port, struct pd_discovery **out);
void pd_discovery_stop(struct pd_discovery *d);

/* The port the retrieval service really listens on. */
unsigned pd_http_port(struct pd_http *h);

#endif
