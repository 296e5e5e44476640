/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The MS-PCCRR client's transport: HTTP/1.1 POSTs to a peer's retrieval
 * path, pipelined on a kept-alive connection (all requests sent, then the
 * responses read in order), each response bounded by the request timer.
 * Responses must carry a Content-Length within the protocol's response
 * limit; anything else is a protocol error.
 */
#ifndef PD_RETRIEVAL_HTTP_H
#define PD_RETRIEVAL_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define PD_REQUEST_TIMER_MS	2000	/* MS-PCCRR client Request Timer */

#define PD_HTTP_HEAD_MAX	4096

struct pd_pccrr_conn {
	int fd;				/* -1: none */
	struct sockaddr_storage peer;
	size_t in_len;
	char in[PD_HTTP_HEAD_MAX];	/* read, not yet used */
};

#define PD_PCCRR_CONN_INIT { .fd = -1 }

/* Called with response i's body (transport header included) in resp;
 * non-zero stops the exchange. */
typedef int (*pd_pccrr_response_fn)(void *arg, unsigned i, long len);

/*
 * POSTs the n request bodies reqs to peer, pipelined, and hands each
 * response in turn to each(), read into resp. Returns 0 when all n were
 * handed on; otherwise -ETIMEDOUT, -ECONNREFUSED, -ECONNRESET, -EPROTO (not
 * HTTP 200 with a usable length), -EMSGSIZE, -ECANCELED (each() stopped),
 * -EINVAL (n is 0) or another -errno, with *done the number handed on before. A connection
 * is reused when it is to the same peer, and closed after an error.
 */
int pd_pccrr_pipeline(struct pd_pccrr_conn *c, const struct sockaddr_storage *peer,
		      const struct iovec *reqs, unsigned n, uint8_t *resp,
		      size_t cap, unsigned timeout_ms, pd_pccrr_response_fn each,
		      void *arg, unsigned *done);

void pd_pccrr_conn_close(struct pd_pccrr_conn *c);

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
