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

#define PD_HTTP_HEAD_MAX	4096

struct pd_http_head {
	int status;
	long length;		/* Content-Length; -1: none */
	int close;		/* Connection: close */
};

/*
 * Parses the head of an HTTP/1.x response at the start of buf (a pure
 * function: the I/O side calls it on what has arrived). Returns the head's
 * length (the body starts there), 0 when the head is not complete yet, or
 * -EPROTO for a head that is not 200 with a Content-Length, is chunked, is
 * malformed, or is longer than PD_HTTP_HEAD_MAX.
 */
long pd_http_response_head(const char *buf, size_t len, struct pd_http_head *out);

#endif
