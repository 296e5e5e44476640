/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an HTTP/1.1 forward proxy reads from a request head beyond its
 * framing (http_request.h): the absolute-form target of a GET
 * ("http://host:port/path", RFC 9112 3.2.2), the authority of a CONNECT
 * ("host:port", 3.2.3), the header fields one by one, and which of them
 * are hop-by-hop (RFC 9110 7.6.1). Pure code over byte buffers.
 */
#ifndef PD_HTTP_PROXY_H
#define PD_HTTP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PD_HTTP_HOST_MAX	255	/* a DNS name's longest; an IPv6 literal fits */

/* A host (NUL-terminated, IPv6 literals without their brackets) and port. */
struct pd_http_authority {
	char host[PD_HTTP_HOST_MAX + 1];
	uint16_t port;
	bool ipv6;		/* the host was a [literal] */
};

/*
 * "host:port" of t[0..len) (a reg-name, IPv4 or [IPv6] host; the port
 * 1-65535, required unless default_port is not 0). No userinfo. 0 or
 * -EINVAL.
 */
int pd_http_authority_parse(const char *t, size_t len, uint16_t default_port,
			    struct pd_http_authority *a);

/*
 * An absolute-form target: "http://" or "https://" (any case), an
 * authority (default port 80 / 443), then an empty path or one starting
 * with '/' (or '?'), no fragment. *https tells the scheme; *path (into t,
 * "" → "/" is the caller's) and *path_len the rest. 0, -EINVAL, or
 * -EPROTONOSUPPORT for another scheme.
 */
int pd_http_absolute_target(const char *t, size_t len, struct pd_http_authority *a,
			    bool *https, const char **path, size_t *path_len);

/* One header field as received: name and value (without OWS), not terminated. */
struct pd_http_field {
	const char *name, *value;
	size_t name_len, value_len;
};

/*
 * The fields of a head that pd_http_request_head() took (head[0..len),
 * len its return value), one per call: *pos starts at 0. 1 with *f, 0 at
 * the end.
 */
int pd_http_field_next(const char *head, size_t len, size_t *pos, struct pd_http_field *f);

/* Whether a field is hop-by-hop, for the next hop to leave out: the
 * connection's own (Connection, Keep-Alive, Proxy-*, TE, Trailer,
 * Transfer-Encoding, Upgrade). */
bool pd_http_hop_by_hop(const char *name, size_t len);

/* Whether name[0..len) is the field name want (case-insensitive). */
bool pd_http_field_is(const char *name, size_t len, const char *want);

#endif
