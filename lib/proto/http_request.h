/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * HTTP/1.1 request framing (RFC 9112) as a server reads it: the request
 * line and the header fields a body-carrying request needs, over a byte
 * buffer, without I/O. The server reads the body itself: Content-Length
 * bytes after the head. Transfer codings (chunked) are refused: MS-PCCRR
 * clients always send a length.
 */
#ifndef PD_HTTP_REQUEST_H
#define PD_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define PD_HTTP_HEAD_MAX	8192	/* a longer head gets 431 */

struct pd_http_request {
	const char *method;	/* into the parsed buffer, not terminated */
	size_t method_len;
	const char *target;
	size_t target_len;
	int64_t content_length;	/* -1: none given */
	int has_transfer_encoding;
	int close;		/* "Connection: close" */
	int keep_alive;		/* HTTP/1.1 unless "close"; 1.0 only with "keep-alive" */
};

/*
 * Parses the head at the start of buf[0..len) (empty lines before it are
 * skipped, as RFC 9112 2.2 allows). Returns the head's length (its blank
 * line included: the body starts there), 0 when more bytes are needed, or
 * a negative HTTP status: -400 malformed, or two different Content-Length
 * values (RFC 9112 6.3), -431 no end within PD_HTTP_HEAD_MAX, -505 not
 * HTTP/1.x.
 */
long pd_http_request_head(const char *buf, size_t len, struct pd_http_request *out);

/*
 * The body's length for a request that must carry one: the length, or
 * -411 without a Content-Length or with a transfer coding, -413 over max.
 */
long pd_http_request_body_len(const struct pd_http_request *req, size_t max);

/* Whether the request's target is path, compared case-insensitively. */
int pd_http_request_target_is(const struct pd_http_request *req, const char *path);

/* Whether the request's method is method (case-sensitive, as RFC 9110 says). */
int pd_http_request_method_is(const struct pd_http_request *req, const char *method);

#endif
