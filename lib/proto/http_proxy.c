// SPDX-License-Identifier: LGPL-2.1-or-later
/* What a forward proxy reads from a request: see http_proxy.h. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http_proxy.h"

bool pd_http_field_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && !strncasecmp(name, want, len);
}

/* RFC 3986 reg-name characters (unreserved, sub-delims, pct-encoded's '%'). */
static bool is_host_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch && strchr("-._~!$&'()*+,;=%", ch));
}

static bool is_ipv6_char(unsigned char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.';
}

static int port_parse(const char *p, size_t len, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (!len || len > 5)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (!v || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int pd_http_authority_parse(const char *t, size_t len, uint16_t default_port,
			    struct pd_http_authority *a)
{
	size_t host_end, i, start = 0;
	const char *colon;

	memset(a, 0, sizeof(*a));
	if (len && t[0] == '[') {
		const char *close = memchr(t, ']', len);

		if (!close)
			return -EINVAL;
		host_end = close - t;
		for (i = 1; i < host_end; i++)
			if (!is_ipv6_char(t[i]))
				return -EINVAL;
		if (host_end < 3)
			return -EINVAL;
		a->ipv6 = true;
		start = 1;
		colon = host_end + 1 < len ? t + host_end + 1 : NULL;
		if (colon && *colon != ':')
			return -EINVAL;
	} else {
		colon = memchr(t, ':', len);
		host_end = colon ? (size_t)(colon - t) : len;
		if (!host_end)
			return -EINVAL;
		for (i = 0; i < host_end; i++)
			if (!is_host_char(t[i]))
				return -EINVAL;	/* '@' (userinfo) among them */
	}
	if (host_end - start > PD_HTTP_HOST_MAX)
		return -EINVAL;
	memcpy(a->host, t + start, host_end - start);
	a->host[host_end - start] = '\0';
	if (colon)
		return port_parse(colon + 1, t + len - colon - 1, &a->port);
	if (!default_port)
		return -EINVAL;
	a->port = default_port;
	return 0;
}

int pd_http_absolute_target(const char *t, size_t len, struct pd_http_authority *a,
			    bool *https, const char **path, size_t *path_len)
{
	const char *sep = memchr(t, ':', len), *auth, *end;
	size_t slen, alen;

	if (!sep || len - (sep - t) < 3 || memcmp(sep, "://", 3))
		return -EINVAL;
	slen = sep - t;
	if (slen == 4 && !strncasecmp(t, "http", 4))
		*https = false;
	else if (slen == 5 && !strncasecmp(t, "https", 5))
		*https = true;
	else
		return slen ? -EPROTONOSUPPORT : -EINVAL;
	auth = sep + 3;
	end = t + len;
	for (alen = 0; auth + alen < end && auth[alen] != '/' && auth[alen] != '?'; alen++)
		;
	if (memchr(auth, '#', end - auth))
		return -EINVAL;
	if (pd_http_authority_parse(auth, alen, *https ? 443 : 80, a))
		return -EINVAL;
	*path = auth + alen;
	*path_len = end - *path;
	return 0;
}

/* The next line of head[*pos..len) without its CR LF; 0 at the end. */
static int next_line(const char *head, size_t len, size_t *pos, const char **line,
		     size_t *llen)
{
	const char *p = head + *pos, *nl;

	if (*pos >= len || !(nl = memchr(p, '\n', len - *pos)))
		return 0;
	*line = p;
	*llen = (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
	*pos = (size_t)(nl - head) + 1;
	return 1;
}

int pd_http_field_next(const char *head, size_t len, size_t *pos, struct pd_http_field *f)
{
	const char *line, *colon, *v;
	size_t llen, vlen;

	if (*pos == 0) {	/* past empty lines and the request line */
		do {
			if (!next_line(head, len, pos, &line, &llen))
				return 0;
		} while (!llen);
	}
	if (!next_line(head, len, pos, &line, &llen) || !llen ||
	    !(colon = memchr(line, ':', llen))) {
		*pos = len;
		return 0;
	}
	v = colon + 1;
	vlen = line + llen - v;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	*f = (struct pd_http_field){ line, v, (size_t)(colon - line), vlen };
	return 1;
}

bool pd_http_hop_by_hop(const char *name, size_t len)
{
	static const char *const fields[] = {
		"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
	};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (pd_http_field_is(name, len, fields[i]))
			return true;
	return false;
}
