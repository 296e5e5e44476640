// SPDX-License-Identifier: LGPL-2.1-or-later
/* HTTP/1.1 request framing: see http_request.h. */
#include <string.h>
#include <strings.h>

#include "http_request.h"

struct cursor {
	const char *p, *end;
};

/* The next line (its CR LF or LF dropped): 1, 0 when incomplete, -1 for a
 * bare CR or a NUL, which RFC 9112 2.2 lets a recipient reject. */
static int next_line(struct cursor *c, const char **line, size_t *len)
{
	const char *nl = memchr(c->p, '\n', c->end - c->p);
	const char *e;

	if (!nl)
		return 0;
	e = nl > c->p && nl[-1] == '\r' ? nl - 1 : nl;
	if (memchr(c->p, '\r', e - c->p) || memchr(c->p, '\0', e - c->p))
		return -1;
	*line = c->p;
	*len = e - c->p;
	c->p = nl + 1;
	return 1;
}

static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static size_t token_len(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && is_tchar(s[i]))
		i++;
	return i;
}

/* "METHOD SP target SP HTTP/1.x": 0 or a negative status. */
static long request_line(const char *s, size_t len, struct pd_http_request *out)
{
	size_t m = token_len(s, len), t = m + 1;

	if (!m || m >= len || s[m] != ' ')
		return -400;
	while (t < len && (unsigned char)s[t] > ' ' && s[t] != 0x7f)
		t++;
	if (t == m + 1 || t >= len || s[t] != ' ')
		return -400;
	out->method = s;
	out->method_len = m;
	out->target = s + m + 1;
	out->target_len = t - m - 1;
	s += t + 1;
	len -= t + 1;
	if (len != 8 || memcmp(s, "HTTP/", 5) || s[6] != '.' ||
	    s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9')
		return -400;
	if (s[5] != '1')
		return -505;
	out->keep_alive = s[7] != '0';
	return 0;
}

static int value_is(const char *v, size_t len, const char *word)
{
	return strlen(word) == len && !strncasecmp(v, word, len);
}

/* Content-Length: 1*DIGIT; a repeat must say the same. */
static long content_length(const char *v, size_t len, struct pd_http_request *out)
{
	int64_t n = 0;
	size_t i;

	if (!len || len > 15)
		return -400;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -400;
		n = n * 10 + (v[i] - '0');
	}
	if (out->content_length >= 0 && out->content_length != n)
		return -400;
	out->content_length = n;
	return 0;
}

/* Connection: a comma list of options; "close" and "keep-alive" matter. */
static void connection(const char *v, size_t len, struct pd_http_request *out)
{
	while (len) {
		size_t n = token_len(v, len);

		if (value_is(v, n, "close"))
			out->close = 1;
		else if (value_is(v, n, "keep-alive"))
			out->keep_alive = 1;
		while (n < len && (v[n] == ',' || v[n] == ' ' || v[n] == '\t'))
			n++;
		if (!n)
			n = 1;	/* something that is no token: step over it */
		v += n;
		len -= n;
	}
}

/* "name: OWS value OWS": 0 or a negative status. */
static long field(const char *s, size_t len, struct pd_http_request *out)
{
	size_t n = token_len(s, len), i;
	const char *v;

	if (!n || n == len || s[n] != ':')
		return -400;	/* also a space before the colon (RFC 9112 5.1) */
	v = s + n + 1;
	len -= n + 1;
	for (i = 0; i < len; i++)
		if (((unsigned char)v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f)
			return -400;
	while (len && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (value_is(s, n, "content-length"))
		return content_length(v, len, out);
	if (value_is(s, n, "transfer-encoding"))
		out->has_transfer_encoding = 1;
	else if (value_is(s, n, "connection"))
		connection(v, len, out);
	return 0;
}

/* Lines up to the blank one: 1 when it was found, 0 incomplete, or < 0. */
static long fields(struct cursor *c, struct pd_http_request *out)
{
	const char *line;
	size_t len;
	long err;
	int r;

	while ((r = next_line(c, &line, &len)) == 1) {
		if (!len)
			return 1;
		if (*line == ' ' || *line == '\t')
			return -400;	/* obsolete line folding */
		err = field(line, len, out);
		if (err)
			return err;
	}
	return r ? -400 : 0;
}

long pd_http_request_head(const char *buf, size_t len, struct pd_http_request *out)
{
	size_t scan = len < PD_HTTP_HEAD_MAX ? len : PD_HTTP_HEAD_MAX;
	struct cursor c = { buf, buf + scan };
	const char *line;
	size_t llen;
	long err;
	int r;

	*out = (struct pd_http_request){ .content_length = -1 };
	do {
		r = next_line(&c, &line, &llen);
	} while (r == 1 && !llen);
	if (r < 0)
		return -400;
	if (r == 1) {
		err = request_line(line, llen, out);
		if (err)
			return err;
		err = fields(&c, out);
		if (err < 0)
			return err;
		if (err) {
			out->keep_alive &= !out->close;
			return c.p - buf;
		}
	}
	return len >= PD_HTTP_HEAD_MAX ? -431 : 0;
}

long pd_http_request_body_len(const struct pd_http_request *req, size_t max)
{
	if (req->has_transfer_encoding || req->content_length < 0)
		return -411;
	if ((uint64_t)req->content_length > max)
		return -413;
	return req->content_length;
}

int pd_http_request_target_is(const struct pd_http_request *req, const char *path)
{
	return req->target_len == strlen(path) &&
	       !strncasecmp(req->target, path, req->target_len);
}

int pd_http_request_method_is(const struct pd_http_request *req, const char *method)
{
	return req->method_len == strlen(method) &&
	       !memcmp(req->method, method, req->method_len);
}
