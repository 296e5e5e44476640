/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MS-PCCRR client's transport: one HTTP/1.1 POST to a peer's
 * retrieval path and its response body, over a kept-alive connection,
 * bounded by the request timer. Responses must carry a Content-Length
 * within the protocol's response limit; anything else is a protocol error.
 */
#ifndef PD_PCCRR_CLIENT_H
#define PD_PCCRR_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PD_REQUEST_TIMER_MS	2000	/* MS-PCCRR client Request Timer */

struct pd_pccrr_conn {
	int fd;				/* -1: none */
	struct sockaddr_storage peer;
};

#define PD_PCCRR_CONN_INIT { .fd = -1 }

/*
 * POSTs req to peer and reads the response body (transport header
 * included) into resp. Returns its length, or -ETIMEDOUT, -ECONNREFUSED,
 * -EPROTO (not HTTP 200 with a usable length), -EMSGSIZE, or another
 * -errno. A connection is reused when it is to the same peer.
 */
long pd_pccrr_post(struct pd_pccrr_conn *c, const struct sockaddr_storage *peer,
		   const uint8_t *req, size_t len, uint8_t *resp, size_t cap,
		   unsigned timeout_ms);

void pd_pccrr_conn_close(struct pd_pccrr_conn *c);

#endif
