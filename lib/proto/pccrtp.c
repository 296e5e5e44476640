// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * MS-PCCRTP header codec and negotiation (see pccrtp.h). Header values are
 * comma-separated lists (RFC 9110 5.6.1) of "token[;params]" or
 * "Name=value" items; every scan stays inside [p, p + n).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pccrtp.h"

struct span {
	const char *p;
	size_t n;
};

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(struct span s)
{
	while (s.n && is_ows(s.p[0]))
		s.p++, s.n--;
	while (s.n && is_ows(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* The next item of *rest up to sep (trimmed); false when *rest is used up. */
static bool next_item(struct span *rest, char sep, struct span *item)
{
	const char *cut;

	if (!rest->p)
		return false;
	cut = memchr(rest->p, sep, rest->n);
	item->p = rest->p;
	item->n = cut ? (size_t)(cut - rest->p) : rest->n;
	*item = trim(*item);
	if (cut) {
		rest->n -= cut + 1 - rest->p;
		rest->p = cut + 1;
	} else {
		rest->p = NULL;
		rest->n = 0;
	}
	return true;
}

static bool span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && !strncasecmp(s.p, lit, s.n);
}

/* "Name=value" split at the first '=' (both trimmed); false without one. */
static bool split_param(struct span item, struct span *key, struct span *val)
{
	const char *eq = memchr(item.p, '=', item.n);

	if (!eq)
		return false;
	*key = trim((struct span){ item.p, (size_t)(eq - item.p) });
	*val = trim((struct span){ eq + 1, item.n - (size_t)(eq + 1 - item.p) });
	return true;
}

/*
 * The next "key=value" of a comma-separated list, empty items skipped:
 * 1 with *key and *val set, 0 at the end, -EINVAL for an item without '='.
 */
static int next_param(struct span *rest, struct span *key, struct span *val)
{
	struct span item;

	while (next_item(rest, ',', &item))
		if (item.n)
			return split_param(item, key, val) ? 1 : -EINVAL;
	return 0;
}

/* 1*DIGIT into *v; false for no digits, anything else, or overflow. */
static bool parse_u64(struct span s, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (!s.n)
		return false;
	for (i = 0; i < s.n; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';

		if (d > 9 || *v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
	}
	return true;
}

/* major "." minor, no spaces; each part saturates at 255 (orders the same). */
static bool parse_version(struct span s, unsigned *v)
{
	const char *dot = s.n ? memchr(s.p, '.', s.n) : NULL;
	uint64_t maj, min;

	if (!dot)
		return false;
	if (!parse_u64((struct span){ s.p, (size_t)(dot - s.p) }, &maj) ||
	    !parse_u64((struct span){ dot + 1, s.n - (size_t)(dot + 1 - s.p) }, &min))
		return false;
	*v = PD_PCCRTP_VERSION(maj > 255 ? 255 : maj, min > 255 ? 255 : min);
	return true;
}

static bool parse_true(struct span s)
{
	return span_is(s, "true");
}

/* qvalue (RFC 9110 12.4.2): whether it is above zero; false for junk. */
static bool qvalue_positive(struct span s, bool *positive)
{
	size_t i;

	if (!s.n || (s.p[0] != '0' && s.p[0] != '1'))
		return false;
	*positive = s.p[0] == '1';
	if (s.n == 1)
		return true;
	if (s.p[1] != '.' || s.n > 5)
		return false;
	for (i = 2; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		*positive |= s.p[i] != '0';
	}
	return true;
}

/* Accept-Encoding: the last mention of peerdist decides (q=0 refuses it). */
static int accept_encoding(struct pd_pccrtp_request *r, struct span v)
{
	struct span item, coding, param, key, val;
	int ret = 0;

	while (next_item(&v, ',', &item)) {
		bool positive = true;

		if (!next_item(&item, ';', &coding) || !span_is(coding, "peerdist"))
			continue;
		while (next_item(&item, ';', &param))
			if (split_param(param, &key, &val) && span_is(key, "q") &&
			    !qvalue_positive(val, &positive))
				ret = -EINVAL;
		if (!ret)
			r->accept_peerdist = positive;
	}
	return ret;
}

static int peerdist_request(struct pd_pccrtp_request *r, struct span v)
{
	struct span key, val;
	uint64_t ignored;
	int more;

	while ((more = next_param(&v, &key, &val)) > 0) {
		if (span_is(key, "Version")) {
			if (!parse_version(val, &r->version))
				return -EINVAL;
		} else if (span_is(key, "MissingDataRequest")) {
			if (!parse_true(val))
				return -EINVAL;
			r->missing_data = true;
		} else if (span_is(key, "ContentLength")) {
			if (!parse_u64(val, &ignored))
				return -EINVAL;
		}
	}
	return (more || !r->version) ? -EINVAL : 0;
}

static int peerdist_ex_request(struct pd_pccrtp_request *r, struct span v)
{
	struct span key, val;
	bool have_min = false, have_max = false;
	int more;

	while ((more = next_param(&v, &key, &val)) > 0) {
		if (span_is(key, "MinContentInformation")) {
			if (!parse_version(val, &r->min_ci))
				return -EINVAL;
			have_min = true;
		} else if (span_is(key, "MaxContentInformation")) {
			if (!parse_version(val, &r->max_ci))
				return -EINVAL;
			have_max = true;
		} else if (span_is(key, "HashRequest")) {
			if (!parse_true(val))
				return -EINVAL;
			r->hash_request = true;
		}
	}
	if (more || have_min != have_max || (have_min && r->min_ci > r->max_ci))
		return -EINVAL;
	r->ex |= have_min;
	return 0;
}

static int content_encoding(struct pd_pccrtp_reply *p, struct span v)
{
	struct span item;

	while (next_item(&v, ',', &item)) {
		if (span_is(item, "peerdist"))
			p->peerdist = true;
		else if (item.n && !span_is(item, "identity"))
			p->other_coding = true;
	}
	return 0;
}

static int peerdist_reply(struct pd_pccrtp_reply *p, struct span v)
{
	struct span key, val;
	int more;

	while ((more = next_param(&v, &key, &val)) > 0) {
		if (span_is(key, "Version")) {
			if (!parse_version(val, &p->version))
				return -EINVAL;
		} else if (span_is(key, "ContentLength")) {
			if (!parse_u64(val, &p->content_length))
				return -EINVAL;
			p->has_content_length = true;
		}
	}
	return more;
}

static int peerdist_ex_reply(struct pd_pccrtp_reply *p, struct span v)
{
	struct span item, key, val;

	while (next_item(&v, ',', &item))
		if (split_param(item, &key, &val) && span_is(key, "MakeHashRequest"))
			p->make_hash_request = parse_true(val);
	return 0;
}

/*
 * The headers MS-PCCRTP gives meaning to, each with its parser in a request
 * and in a reply (NULL: the header means nothing there).
 */
struct header_parser {
	const char *name;
	int (*request)(struct pd_pccrtp_request *r, struct span v);
	int (*reply)(struct pd_pccrtp_reply *p, struct span v);
};

static const struct header_parser headers[] = {
	{ "Accept-Encoding", accept_encoding, NULL },
	{ "Content-Encoding", NULL, content_encoding },
	{ "X-P2P-PeerDist", peerdist_request, peerdist_reply },
	{ "X-P2P-PeerDistEx", peerdist_ex_request, peerdist_ex_reply },
};

static const struct header_parser *find_header(const char *name, size_t nlen)
{
	struct span n = trim((struct span){ name, nlen });
	size_t i;

	for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		if (span_is(n, headers[i].name))
			return &headers[i];
	return NULL;
}

void pd_pccrtp_request_init(struct pd_pccrtp_request *r)
{
	memset(r, 0, sizeof(*r));
}

int pd_pccrtp_request_header(struct pd_pccrtp_request *r, const char *name,
			     size_t nlen, const char *value, size_t vlen)
{
	const struct header_parser *h = find_header(name, nlen);
	int ret;

	if (!h || !h->request)
		return 0;
	ret = h->request(r, (struct span){ value, vlen });
	if (ret)
		r->malformed = true;
	return ret ? ret : 1;
}

/* The content information version within the client's bounds (V2 preferred), 0: none. */
static unsigned ci_version(const struct pd_pccrtp_request *r)
{
	if (!r->ex)
		return 1;
	if (r->min_ci <= PD_PCCRTP_CI_V2 && r->max_ci >= PD_PCCRTP_CI_V2)
		return 2;
	if (r->min_ci <= PD_PCCRTP_CI_V1 && r->max_ci >= PD_PCCRTP_CI_V1)
		return 1;
	return 0;
}

static enum pd_pccrtp_reason identity(struct pd_pccrtp_answer *a,
				      enum pd_pccrtp_reason reason)
{
	a->reason = reason;
	return reason;
}

enum pd_pccrtp_reason pd_pccrtp_decide(const struct pd_pccrtp_request *r,
				       const struct pd_pccrtp_entity *e,
				       struct pd_pccrtp_answer *a)
{
	uint64_t min = e->min_size ? e->min_size : PD_PCCRTP_MIN_SIZE_DEFAULT;

	memset(a, 0, sizeof(*a));
	a->offset = e->range ? e->range_start : 0;
	a->length = e->range ? e->range_end - e->range_start : e->length;
	if (!e->get)
		return identity(a, PD_PCCRTP_NOT_GET);
	if (e->status != 200)
		return identity(a, PD_PCCRTP_NOT_200);
	if (!e->strong_etag && !e->last_modified)
		return identity(a, PD_PCCRTP_NO_VALIDATOR);
	if (e->length < min)
		return identity(a, PD_PCCRTP_TOO_SMALL);
	/* From here the answer depends on what the request accepts. */
	a->vary = true;
	if (r->malformed)
		return identity(a, PD_PCCRTP_MALFORMED);
	if (r->missing_data)
		return identity(a, PD_PCCRTP_MISSING_DATA);
	if (!r->accept_peerdist || r->version < PD_PCCRTP_V1_0)
		return identity(a, PD_PCCRTP_NOT_ACCEPTED);
	a->ci_version = ci_version(r);
	if (!a->ci_version)
		return identity(a, PD_PCCRTP_NO_CI_VERSION);
	a->version = r->version >= PD_PCCRTP_V1_1 ? PD_PCCRTP_V1_1 : PD_PCCRTP_V1_0;
	if (!e->hashes_ready) {
		a->make_hash_request = true;
		return identity(a, PD_PCCRTP_NOT_HASHED);
	}
	a->peerdist = true;
	a->reason = PD_PCCRTP_SEND_PEERDIST;
	return a->reason;
}

const char *pd_pccrtp_reason_str(enum pd_pccrtp_reason reason)
{
	static const char *const text[] = {
		[PD_PCCRTP_SEND_PEERDIST] = "peerdist",
		[PD_PCCRTP_NOT_ACCEPTED] = "client does not accept peerdist",
		[PD_PCCRTP_NOT_GET] = "not a GET",
		[PD_PCCRTP_NOT_200] = "not a 200 response",
		[PD_PCCRTP_NO_VALIDATOR] = "no strong ETag or Last-Modified",
		[PD_PCCRTP_MISSING_DATA] = "missing data request",
		[PD_PCCRTP_TOO_SMALL] = "below the minimum size",
		[PD_PCCRTP_NO_CI_VERSION] = "no content information version in the client's bounds",
		[PD_PCCRTP_MALFORMED] = "malformed PeerDist request header",
		[PD_PCCRTP_NOT_HASHED] = "content information not made yet",
	};

	return (unsigned)reason < sizeof(text) / sizeof(text[0]) ? text[reason] : "?";
}

static void put(struct pd_pccrtp_header *out, unsigned *n, const char *name,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void put(struct pd_pccrtp_header *out, unsigned *n, const char *name,
		const char *fmt, ...)
{
	va_list ap;

	out[*n].name = name;
	va_start(ap, fmt);
	vsnprintf(out[*n].value, sizeof(out[*n].value), fmt, ap);
	va_end(ap);
	(*n)++;
}

static unsigned ver_major(unsigned v) { return v >> 8; }
static unsigned ver_minor(unsigned v) { return v & 0xff; }

unsigned pd_pccrtp_response_headers(const struct pd_pccrtp_answer *a,
				    struct pd_pccrtp_header out[PD_PCCRTP_HEADERS_MAX])
{
	unsigned n = 0;

	if (a->peerdist) {
		put(out, &n, "Content-Encoding", "peerdist");
		put(out, &n, "X-P2P-PeerDist", "Version=%u.%u, ContentLength=%llu",
		    ver_major(a->version), ver_minor(a->version),
		    (unsigned long long)a->length);
	} else if (a->make_hash_request) {
		put(out, &n, "X-P2P-PeerDist", "Version=%u.%u",
		    ver_major(a->version), ver_minor(a->version));
		put(out, &n, "X-P2P-PeerDistEx", "MakeHashRequest=true");
	}
	if (a->vary)
		put(out, &n, "Vary", "Accept-Encoding");
	return n;
}

int pd_pccrtp_parse_range(const char *value, size_t vlen, uint64_t total,
			  uint64_t *start, uint64_t *end)
{
	struct span v = trim((struct span){ value, vlen }), first, last;
	const char *dash;
	uint64_t a, b;

	if (v.n < 6 || strncasecmp(v.p, "bytes=", 6) || memchr(v.p, ',', v.n))
		return -EINVAL;
	v.p += 6, v.n -= 6;
	dash = memchr(v.p, '-', v.n);
	if (!dash)
		return -EINVAL;
	first = trim((struct span){ v.p, (size_t)(dash - v.p) });
	last = trim((struct span){ dash + 1, v.n - (size_t)(dash + 1 - v.p) });
	if (!first.n) {			/* the last b bytes */
		if (!parse_u64(last, &b))
			return -EINVAL;
		if (!b || !total)
			return -ERANGE;
		*start = b < total ? total - b : 0;
		*end = total;
		return 0;
	}
	if (!parse_u64(first, &a) || (last.n && !parse_u64(last, &b)))
		return -EINVAL;
	if (last.n && b < a)
		return -EINVAL;
	if (a >= total)
		return -ERANGE;
	*start = a;
	*end = last.n && b < total - 1 ? b + 1 : total;
	return 0;
}

unsigned pd_pccrtp_client_headers(enum pd_pccrtp_client_kind kind, unsigned max_ci,
				  struct pd_pccrtp_header out[PD_PCCRTP_HEADERS_MAX])
{
	unsigned n = 0;

	if (kind == PD_PCCRTP_ASK_MISSING) {
		put(out, &n, "Accept-Encoding", "identity");
		put(out, &n, "X-P2P-PeerDist", "Version=1.1, MissingDataRequest=true");
		return n;
	}
	put(out, &n, "Accept-Encoding", "peerdist");
	put(out, &n, "X-P2P-PeerDist", "Version=1.1");
	put(out, &n, "X-P2P-PeerDistEx",
	    "MinContentInformation=1.0, MaxContentInformation=%u.0%s",
	    max_ci >= PD_PCCRTP_CI_V2 ? 2 : 1,
	    kind == PD_PCCRTP_ASK_HASHES ? ", HashRequest=true" : "");
	return n;
}

void pd_pccrtp_reply_init(struct pd_pccrtp_reply *p)
{
	memset(p, 0, sizeof(*p));
}

int pd_pccrtp_reply_header(struct pd_pccrtp_reply *p, const char *name,
			   size_t nlen, const char *value, size_t vlen)
{
	const struct header_parser *h = find_header(name, nlen);
	int ret;

	if (!h || !h->reply)
		return 0;
	ret = h->reply(p, (struct span){ value, vlen });
	if (ret)
		p->malformed = true;
	return ret ? ret : 1;
}

bool pd_pccrtp_reply_usable(const struct pd_pccrtp_reply *p)
{
	return p->peerdist && !p->other_coding && !p->malformed &&
	       p->version >= PD_PCCRTP_V1_0 && p->has_content_length;
}
