// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * MS-PCCRD (WS-Discovery for PeerDist V1 and V2) codec (see pccrd.h). The
 * parser works on namespace URIs, never on prefixes, except where
 * WS-Discovery itself puts a QName in text (wsd:Types), which is resolved
 * against the declarations in scope. V2's base64 blobs are decoded as
 * their elements close and read once the whole message is in, when its
 * kind is sure.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "hex.h"
#include "pccrd.h"

#define NS_SOAP	"http://www.w3.org/2003/05/soap-envelope"
#define NS_WSA	"http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_WSD	"http://schemas.xmlsoap.org/ws/2005/04/discovery"
#define NS_PD	"http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery"
#define MATCH_V2 "http://schemas.microsoft.com/p2p/2010/05/PeerDistV2MatchingRule"
#define MAX_DEPTH	16
#define MAX_TEXT	(PD_PCCRD_MAX_SCOPES * (2 * PD_HASH_MAX + 1) + 64)
#define MAX_NS		32
/* V2 Probe scope: SegmentHashSize, count, ids; anything longer is refused */
#define MAX_V2_SCOPES	(3 + PD_PCCRD_MAX_SCOPES * PD_HASH_MAX)
/* MS-PCCRR Extensible Blob Version 1: 4 bytes, then 4 per age (u8 count) */
#define MAX_AGES	(4 + 4 * 255)
#define TYPE_V1		1
#define TYPE_V2		2

enum field { F_NONE, F_MESSAGE_ID, F_RELATES_TO, F_ADDRESS, F_TYPES, F_SCOPES,
	     F_XADDRS, F_BLOCK_COUNT, F_SEGMENT_AGES };

struct ns_decl {
	char prefix[32];
	char uri[PD_PCCRD_MAX_URI];
	int depth;
};

struct parse {
	XML_Parser xp;
	struct pd_pccrd_msg *msg;
	int depth, err, types, nblock_counts;
	enum field field;
	int field_depth;
	char text[MAX_TEXT];
	size_t text_len;
	struct ns_decl ns[MAX_NS];
	int nns;
	/* V2, decoded from base64 but not yet read */
	uint8_t v2_scopes[MAX_V2_SCOPES], ages[MAX_AGES];
	size_t v2_scopes_len, ages_len;
	int v2_scopes_seen, ages_seen;
};

static void stop(struct parse *p, int err)
{
	if (!p->err)
		p->err = err;
	XML_StopParser(p->xp, XML_FALSE);
}

/* Splits an expat "uri local" name; uri is "" without a namespace. */
static const char *local_name(const char *name, char *uri, size_t urilen)
{
	const char *sp = strrchr(name, ' ');
	size_t n = sp ? (size_t)(sp - name) : 0;

	if (n >= urilen)
		n = urilen - 1;
	memcpy(uri, name, n);
	uri[n] = '\0';
	return sp ? sp + 1 : name;
}

static const struct { const char *uri, *local; enum field field; } fields[] = {
	{ NS_WSA, "MessageID", F_MESSAGE_ID },
	{ NS_WSA, "RelatesTo", F_RELATES_TO },
	{ NS_WSA, "Address", F_ADDRESS },
	{ NS_WSD, "Types", F_TYPES },
	{ NS_WSD, "Scopes", F_SCOPES },
	{ NS_WSD, "XAddrs", F_XADDRS },
	{ NS_PD, "BlockCount", F_BLOCK_COUNT },
	{ NS_PD, "SegmentAges", F_SEGMENT_AGES },
};

static void app_sequence(struct parse *p, const char **attrs)
{
	for (; attrs[0]; attrs += 2) {
		if (!strcmp(attrs[0], "InstanceId"))
			p->msg->instance_id = strtoull(attrs[1], NULL, 10);
		else if (!strcmp(attrs[0], "MessageNumber"))
			p->msg->message_number = strtoull(attrs[1], NULL, 10);
	}
}

static void XMLCALL on_start(void *data, const char *name, const char **attrs)
{
	struct parse *p = data;
	char uri[PD_PCCRD_MAX_URI];
	const char *local = local_name(name, uri, sizeof(uri));
	size_t i;

	if (++p->depth > MAX_DEPTH)
		return stop(p, PD_RD_E_LIMIT);
	if (!strcmp(uri, NS_WSD) && !strcmp(local, "Probe"))
		p->msg->kind = PD_WSD_PROBE;
	else if (!strcmp(uri, NS_WSD) && !strcmp(local, "ProbeMatches"))
		p->msg->kind = PD_WSD_PROBE_MATCHES;
	/* Some peers put AppSequence in the addressing namespace. */
	if (!strcmp(local, "AppSequence") && (!strcmp(uri, NS_WSD) || !strcmp(uri, NS_WSA)))
		app_sequence(p, attrs);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		/* a V1 reader never looked at SegmentAges: it still does not */
		if (fields[i].field == F_SEGMENT_AGES && p->types != TYPE_V2)
			continue;
		if (!strcmp(uri, fields[i].uri) && !strcmp(local, fields[i].local)) {
			p->field = fields[i].field;
			p->field_depth = p->depth;
			p->text_len = 0;
		}
	}
}

static void XMLCALL on_text(void *data, const char *s, int len)
{
	struct parse *p = data;

	if (p->field == F_NONE)
		return;
	if (p->text_len + len >= sizeof(p->text))
		return stop(p, PD_RD_E_LIMIT);
	memcpy(p->text + p->text_len, s, len);
	p->text_len += len;
}

/* Next whitespace-separated token of *s (NUL-terminated in place), or NULL. */
static char *token(char **s)
{
	char *t = *s, *end;

	while (*t && isspace((unsigned char)*t))
		t++;
	if (!*t)
		return NULL;
	for (end = t; *end && !isspace((unsigned char)*end); end++)
		;
	*s = *end ? end + 1 : end;
	*end = '\0';
	return t;
}

static int unhex(const char *t, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < 2 * n; i++)
		if (!isxdigit((unsigned char)t[i]))
			return -1;
	for (i = 0; i < n; i++) {
		unsigned v;

		sscanf(t + 2 * i, "%2x", &v);
		out[i] = v;
	}
	return 0;
}

static const char *ns_lookup(struct parse *p, const char *prefix)
{
	int i;

	for (i = p->nns - 1; i >= 0; i--)
		if (!strcmp(p->ns[i].prefix, prefix))
			return p->ns[i].uri;
	return NULL;
}

/*
 * wsd:Types is a list of QNames: PeerDist V1 is PeerDistData in NS_PD, V2
 * PeerDistDataV2. With both, V1 wins, as it did before V2 was known.
 */
static void take_types(struct parse *p, char *s)
{
	char *t;

	while ((t = token(&s))) {
		char *colon = strchr(t, ':');
		const char *uri, *local = colon ? colon + 1 : t;

		if (colon)
			*colon = '\0';
		uri = ns_lookup(p, colon ? t : "");
		if (!uri || strcmp(uri, NS_PD))
			continue;
		if (!strcmp(local, "PeerDistData"))
			p->types |= TYPE_V1;
		else if (!strcmp(local, "PeerDistDataV2"))
			p->types |= TYPE_V2;
	}
}

static int b64_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Strict base64 (RFC 4648, standard alphabet): whole quads, '=' only as the
 * last one or two characters and the bits it leaves unused zero, so a blob
 * has one spelling and nothing odd reaches the binary readers. Bytes, or
 * -PD_RD_E_BASE64, or -PD_RD_E_LIMIT when more than max.
 */
static long unbase64(const char *s, size_t len, uint8_t *out, size_t max)
{
	size_t pad = 0, total, i, n = 0;

	if (len % 4)
		return -PD_RD_E_BASE64;
	if (len && s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	total = len / 4 * 3 - pad;
	if (total > max)
		return -PD_RD_E_LIMIT;
	for (i = 0; i < len; i += 4) {
		uint32_t v = 0;
		int j, d;

		for (j = 0; j < 4; j++) {
			d = i + j < len - pad ? b64_digit(s[i + j]) : 0;
			if (d < 0)
				return -PD_RD_E_BASE64;
			v = v << 6 | d;
		}
		if (i + 4 == len && (v & ((1u << 8 * pad) - 1)))
			return -PD_RD_E_BASE64;
		for (j = 16; j >= 0 && n < total; j -= 8)
			out[n++] = v >> j;
	}
	return (long)n;
}

/* A V2 element holds exactly one base64 token, once per message. */
static void take_base64(struct parse *p, char *s, uint8_t *out, size_t max,
			size_t *len, int *seen, int err)
{
	char *t = token(&s);
	long n;

	if (*seen || !t || token(&s))
		return stop(p, err);
	n = unbase64(t, strlen(t), out, max);
	if (n < 0)
		return stop(p, -n);
	*len = n;
	*seen = 1;
}

static void take_scopes(struct parse *p, char *s)
{
	struct pd_pccrd_msg *m = p->msg;
	char *t;

	if (p->types == TYPE_V2)
		return take_base64(p, s, p->v2_scopes, sizeof(p->v2_scopes),
				   &p->v2_scopes_len, &p->v2_scopes_seen,
				   PD_RD_E_SCOPE);

	while ((t = token(&s))) {
		size_t n = strlen(t) / 2;

		if (m->nscopes == PD_PCCRD_MAX_SCOPES)
			return stop(p, PD_RD_E_LIMIT);
		if (strlen(t) % 2 || (n != 32 && n != 48 && n != 64) ||
		    unhex(t, m->scopes[m->nscopes].id, n))
			return stop(p, PD_RD_E_SCOPE);
		m->scopes[m->nscopes++].len = n;
	}
}

static void take_xaddrs(struct parse *p, char *s)
{
	struct pd_pccrd_msg *m = p->msg;
	char *t;

	while ((t = token(&s))) {
		if (m->nxaddrs == PD_PCCRD_MAX_XADDRS || strlen(t) >= PD_PCCRD_MAX_XADDR)
			return stop(p, PD_RD_E_LIMIT);
		strcpy(m->xaddrs[m->nxaddrs++], t);
	}
}

/* Eight hex digits per scope, in scope order. */
static void take_block_counts(struct parse *p, char *s)
{
	char digits[MAX_TEXT], *t;
	size_t n = 0, i;

	while ((t = token(&s))) {
		memcpy(digits + n, t, strlen(t));
		n += strlen(t);
	}
	if (n % 8 || n / 8 > PD_PCCRD_MAX_SCOPES)
		return stop(p, PD_RD_E_BLOCK_COUNT);
	for (i = 0; i < n / 8; i++) {
		uint8_t b[4];

		if (unhex(digits + 8 * i, b, 4))
			return stop(p, PD_RD_E_BLOCK_COUNT);
		p->msg->block_counts[i] = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	}
	p->nblock_counts = n / 8;
}

static void take_uri(struct parse *p, char *s, char *out)
{
	char *t = token(&s);

	if (t && strlen(t) >= PD_PCCRD_MAX_URI)
		return stop(p, PD_RD_E_LIMIT);
	strcpy(out, t ? t : "");
}

static void XMLCALL on_end(void *data, const char *name)
{
	struct parse *p = data;

	if (p->field != F_NONE && p->depth == p->field_depth) {
		p->text[p->text_len] = '\0';
		switch (p->field) {
		case F_MESSAGE_ID: take_uri(p, p->text, p->msg->message_id); break;
		case F_RELATES_TO: take_uri(p, p->text, p->msg->relates_to); break;
		case F_ADDRESS: take_uri(p, p->text, p->msg->address); break;
		case F_TYPES: take_types(p, p->text); break;
		case F_SCOPES: take_scopes(p, p->text); break;
		case F_XADDRS: take_xaddrs(p, p->text); break;
		case F_BLOCK_COUNT: take_block_counts(p, p->text); break;
		case F_SEGMENT_AGES:
			take_base64(p, p->text, p->ages, sizeof(p->ages),
				    &p->ages_len, &p->ages_seen, PD_RD_E_SEGMENT_AGES);
			break;
		case F_NONE: break;
		}
		p->field = F_NONE;
	}
	while (p->nns && p->ns[p->nns - 1].depth >= p->depth)
		p->nns--;
	p->depth--;
}

static void XMLCALL on_ns_start(void *data, const char *prefix, const char *uri)
{
	struct parse *p = data;
	struct ns_decl *d;

	if (p->nns == MAX_NS)
		return stop(p, PD_RD_E_LIMIT);
	d = &p->ns[p->nns++];
	snprintf(d->prefix, sizeof(d->prefix), "%s", prefix ? prefix : "");
	snprintf(d->uri, sizeof(d->uri), "%s", uri ? uri : "");
	d->depth = p->depth + 1;	/* declared on the element that opens next */
}

/* No DTDs: no entity expansion, nothing fetched, no billion laughs. */
static void XMLCALL on_doctype(void *data, const char *name, const char *sysid,
			       const char *pubid, int internal)
{
	stop(data, PD_RD_E_DTD);
}

static void XMLCALL on_entity(void *data, const char *name, int is_param,
			      const char *value, int len, const char *base,
			      const char *sysid, const char *pubid,
			      const char *notation)
{
	stop(data, PD_RD_E_DTD);
}

/* SegmentHashSize (network order, as MS-PCCRD 2.2 has all its integers),
 * Segment Hash Count, then that many HoHoDks and nothing more. */
static int v2_probe_scopes(struct parse *p)
{
	struct pd_pccrd_msg *m = p->msg;
	const uint8_t *b = p->v2_scopes;
	size_t size, count, i;

	if (p->v2_scopes_len < 3)
		return PD_RD_E_SCOPE;
	size = (size_t)b[0] << 8 | b[1];
	count = b[2];
	if ((size != 32 && size != 48 && size != 64) || !count ||
	    p->v2_scopes_len != 3 + size * count)
		return PD_RD_E_SCOPE;
	if (count > PD_PCCRD_MAX_SCOPES)
		return PD_RD_E_LIMIT;
	for (i = 0; i < count; i++) {
		m->scopes[i].len = size;
		memcpy(m->scopes[i].id, b + 3 + i * size, size);
	}
	m->nscopes = count;
	return 0;
}

/*
 * MS-PCCRR 2.2.6.1: version 1 (network order), units, count, then per age
 * a segment index and a 24-bit age, low byte first. Its checks, in its
 * order; bytes past the last age are allowed, as it allows them. Every
 * unit becomes hundredths of a second; milliseconds round down.
 */
static int v2_ages(struct parse *p)
{
	/* hundredths per unit as mul / div: s, 1/10 s, 1/100 s, ms */
	static const uint32_t mul[] = { 0, 100, 10, 1, 1 }, div[] = { 1, 1, 1, 1, 10 };
	struct pd_pccrd_msg *m = p->msg;
	const uint8_t *b = p->ages;
	size_t i;

	if (p->ages_len < 4 || (b[0] << 8 | b[1]) != 1 || b[2] < 1 || b[2] > 4 ||
	    p->ages_len < 4 + 4 * (size_t)b[3])
		return PD_RD_E_SEGMENT_AGES;
	for (i = 0; i < b[3]; i++) {
		const uint8_t *e = b + 4 + 4 * i;
		uint32_t age = e[1] | e[2] << 8 | (uint32_t)e[3] << 16;

		if (e[0] >= m->nscopes || m->segment_age[e[0]] != PD_PCCRD_NO_AGE)
			return PD_RD_E_SEGMENT_AGES;
		m->segment_age[e[0]] = age * mul[b[2]] / div[b[2]];
	}
	return 0;
}

/* Two bits per segment of the Probe, first segment in the high bits. */
static int v2_match(struct parse *p)
{
	struct pd_pccrd_msg *m = p->msg;
	unsigned i;

	if (!p->v2_scopes_len)
		return PD_RD_E_SCOPE;
	if (p->v2_scopes_len > PD_PCCRD_MAX_SCOPES / 4)
		return PD_RD_E_LIMIT;
	m->nscopes = p->v2_scopes_len * 4;
	for (i = 0; i < m->nscopes; i++) {
		unsigned pair = p->v2_scopes[i / 4] >> (6 - 2 * (i % 4)) & 3;

		m->have_segment[i] = pair >> 1;
		m->have_all_blocks[i] = pair & 1;
	}
	return p->ages_seen ? v2_ages(p) : 0;
}

/* Hex scopes read before Types said V2, or none at all, are not V2 scopes. */
static int finish_v2(struct parse *p)
{
	p->msg->version = 2;
	if (p->msg->nscopes || !p->v2_scopes_seen)
		return PD_RD_E_SCOPE;
	return p->msg->kind == PD_WSD_PROBE ? v2_probe_scopes(p) : v2_match(p);
}

/* The first error wins: in parsing, then in shape, then in the content. */
static int finish(struct parse *p, int ok)
{
	struct pd_pccrd_msg *m = p->msg;

	if (p->err)
		return p->err;
	if (!ok)
		return PD_RD_E_XML;
	if (!m->kind)
		return PD_RD_E_KIND;
	if (!(p->types & TYPE_V1))
		return p->types & TYPE_V2 ? finish_v2(p) : PD_RD_E_NOT_PEERDIST;
	m->version = 1;
	if (p->v2_scopes_seen)
		return PD_RD_E_SCOPE;	/* a V1 type after base64 scopes */
	return m->kind == PD_WSD_PROBE_MATCHES &&
	       p->nblock_counts != (int)m->nscopes ? PD_RD_E_BLOCK_COUNT : 0;
}

int pd_pccrd_parse(const char *xml, size_t len, struct pd_pccrd_msg *msg)
{
	struct parse *p;
	int ok, err;

	if (len > PD_PCCRD_MAX_MESSAGE)
		return -PD_RD_E_LIMIT;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -PD_RD_E_LIMIT;
	memset(msg, 0, sizeof(*msg));
	memset(msg->segment_age, 0xff, sizeof(msg->segment_age));	/* NO_AGE */
	p->msg = msg;
	p->xp = XML_ParserCreateNS(NULL, ' ');
	if (!p->xp) {
		free(p);
		return -PD_RD_E_LIMIT;
	}
	XML_SetUserData(p->xp, p);
	XML_SetElementHandler(p->xp, on_start, on_end);
	XML_SetCharacterDataHandler(p->xp, on_text);
	XML_SetNamespaceDeclHandler(p->xp, on_ns_start, NULL);
	XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
	XML_SetEntityDeclHandler(p->xp, on_entity);
	XML_SetParamEntityParsing(p->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	ok = XML_Parse(p->xp, xml, (int)len, XML_TRUE) == XML_STATUS_OK;
	err = finish(p, ok);
	XML_ParserFree(p->xp);
	free(p);
	return -err;
}

/* ---- writing ---- */

struct out {
	char *buf;
	size_t len, pos;
	int overflow;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos)
		o->overflow = 1;
	else
		o->pos += n;
}

static void put_hex(struct out *o, const uint8_t *p, size_t n, int upper)
{
	char hex[2 * PD_HASH_MAX + 1];

	if (n > PD_HASH_MAX) {
		o->overflow = 1;
		return;
	}
	pd_hex_encode(p, n, hex, upper);
	put(o, "%s", hex);
}

/* Text we write into XML comes from us, but is checked all the same. */
static int safe(const char *s)
{
	return strlen(s) < PD_PCCRD_MAX_URI && !strpbrk(s, "<>&\"'");
}

static void put_head(struct out *o, const char *to, const char *action,
		     const struct pd_pccrd_msg *m)
{
	put(o, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	       "<soap:Envelope xmlns:soap=\"" NS_SOAP "\" xmlns:wsa=\"" NS_WSA "\" "
	       "xmlns:wsd=\"" NS_WSD "\" xmlns:PeerDist=\"" NS_PD "\">"
	       "<soap:Header><wsa:To>%s</wsa:To>"
	       "<wsa:Action>" NS_WSD "/%s</wsa:Action>"
	       "<wsa:MessageID>%s</wsa:MessageID>", to, action, m->message_id);
}

static void put_scopes(struct out *o, const struct pd_pccrd_msg *m, const char *open)
{
	unsigned i;

	put(o, "%s", open);
	for (i = 0; i < m->nscopes; i++) {
		put(o, i ? " " : "");
		put_hex(o, m->scopes[i].id, m->scopes[i].len, 1);
	}
	put(o, "</wsd:Scopes>");
}

/* Base64 written as the bytes come, so no blob is built first. */
struct b64 {
	struct out *o;
	uint8_t q[3];
	unsigned n;
};

/* Writes the pending one to three bytes; '=' pads a short last quad. */
static void b64_flush(struct b64 *b)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;

	if (!b->n)
		return;
	v = (uint32_t)b->q[0] << 16 | (b->n > 1 ? b->q[1] << 8 : 0) |
	    (b->n > 2 ? b->q[2] : 0);
	put(b->o, "%c%c%c%c", digits[v >> 18], digits[v >> 12 & 63],
	    b->n > 1 ? digits[v >> 6 & 63] : '=', b->n > 2 ? digits[v & 63] : '=');
	b->n = 0;
}

static void b64_put(struct b64 *b, const uint8_t *p, size_t n)
{
	while (n--) {
		b->q[b->n++] = *p++;
		if (b->n == 3)
			b64_flush(b);
	}
}

/* One scope string for all segments, so they must share a hash size. */
static int v2_probe_ok(const struct pd_pccrd_msg *m)
{
	unsigned i, size = m->scopes[0].len;

	if (size != 32 && size != 48 && size != 64)
		return 0;
	for (i = 1; i < m->nscopes; i++)
		if (m->scopes[i].len != size)
			return 0;
	return 1;
}

static void put_v2_probe_scopes(struct out *o, const struct pd_pccrd_msg *m)
{
	unsigned i, size = m->scopes[0].len;
	const uint8_t head[3] = { size >> 8, size, m->nscopes };
	struct b64 b = { .o = o };

	put(o, "<wsd:Scopes MatchBy=\"" MATCH_V2 "\">");
	b64_put(&b, head, 3);
	for (i = 0; i < m->nscopes; i++)
		b64_put(&b, m->scopes[i].id, size);
	b64_flush(&b);
	put(o, "</wsd:Scopes>");
}

long pd_pccrd_write_probe(const struct pd_pccrd_msg *m, char *buf, size_t len)
{
	struct out o = { buf, len, 0, 0 };
	int v2 = m->version == 2;

	if (m->version > 2 || !m->nscopes || m->nscopes > PD_PCCRD_MAX_SCOPES ||
	    !safe(m->message_id) || (v2 && !v2_probe_ok(m)))
		return -PD_RD_E_BUFFER;
	put_head(&o, "urn:schemas-xmlsoap-org:ws:2005:04:discovery", "Probe", m);
	put(&o, "</soap:Header><soap:Body><wsd:Probe><wsd:Types>%s</wsd:Types>",
	    v2 ? "PeerDist:PeerDistDataV2" : "PeerDist:PeerDistData");
	if (v2)
		put_v2_probe_scopes(&o, m);
	else
		put_scopes(&o, m, "<wsd:Scopes MatchBy=\"" NS_WSD "/strcmp0\">");
	put(&o, "</wsd:Probe></soap:Body></soap:Envelope>");
	return o.overflow ? -PD_RD_E_BUFFER : (long)o.pos;
}

/* Two bits per scope, first scope in the high bits: has it, has it all. */
static void put_v2_bitmap(struct out *o, const struct pd_pccrd_msg *m)
{
	struct b64 b = { .o = o };
	uint8_t byte = 0;
	unsigned i;

	put(o, "<wsd:Scopes>");
	for (i = 0; i < m->nscopes; i++) {
		unsigned pair = !!m->have_segment[i] << 1 | !!m->have_all_blocks[i];

		byte |= pair << (6 - 2 * (i % 4));
		if (i % 4 == 3 || i + 1 == m->nscopes) {
			b64_put(&b, &byte, 1);
			byte = 0;
		}
	}
	b64_flush(&b);
	put(o, "</wsd:Scopes>");
}

/*
 * The finest MS-PCCRR unit in which the oldest age fits its 24 bits:
 * hundredths (the one it recommends), tenths, else seconds, clamped.
 */
static uint8_t age_unit(const struct pd_pccrd_msg *m, uint32_t *div)
{
	uint32_t oldest = 0;
	unsigned i;

	for (i = 0; i < m->nscopes; i++)
		if (m->segment_age[i] != PD_PCCRD_NO_AGE && m->segment_age[i] > oldest)
			oldest = m->segment_age[i];
	*div = oldest <= 0xffffff ? 1 : oldest / 10 <= 0xffffff ? 10 : 100;
	return *div == 1 ? 3 : *div == 10 ? 2 : 1;
}

/* Extensible Blob Version 1: the ages the caller has, by scope index. */
static void put_v2_ages(struct out *o, const struct pd_pccrd_msg *m)
{
	struct b64 b = { .o = o };
	uint8_t head[4] = { 0, 1, 0, 0 };
	uint32_t div;
	unsigned i;

	head[2] = age_unit(m, &div);
	for (i = 0; i < m->nscopes; i++)
		head[3] += m->segment_age[i] != PD_PCCRD_NO_AGE;
	put(o, "<PeerDist:PeerDistData><PeerDist:SegmentAges>");
	b64_put(&b, head, 4);
	for (i = 0; i < m->nscopes; i++) {
		uint32_t age = m->segment_age[i] / div;
		uint8_t e[4];

		if (m->segment_age[i] == PD_PCCRD_NO_AGE)
			continue;
		if (age > 0xffffff)
			age = 0xffffff;
		e[0] = i;
		e[1] = age;
		e[2] = age >> 8;
		e[3] = age >> 16;
		b64_put(&b, e, 4);
	}
	b64_flush(&b);
	put(o, "</PeerDist:SegmentAges></PeerDist:PeerDistData>");
}

static void put_v1_block_counts(struct out *o, const struct pd_pccrd_msg *m)
{
	unsigned i;

	put(o, "<PeerDist:PeerDistData><PeerDist:BlockCount>");
	for (i = 0; i < m->nscopes; i++)
		put(o, "%08X", m->block_counts[i]);
	put(o, "</PeerDist:BlockCount></PeerDist:PeerDistData>");
}

static int matches_ok(const struct pd_pccrd_msg *m)
{
	unsigned i;

	if (m->version > 2 || !m->nscopes || m->nscopes > PD_PCCRD_MAX_SCOPES ||
	    !m->nxaddrs || m->nxaddrs > PD_PCCRD_MAX_XADDRS ||
	    !safe(m->message_id) || !safe(m->relates_to) || !safe(m->address))
		return 0;
	for (i = 0; i < m->nxaddrs; i++)
		if (!safe(m->xaddrs[i]) || strpbrk(m->xaddrs[i], " \t\r\n"))
			return 0;
	return 1;
}

long pd_pccrd_write_probe_matches(const struct pd_pccrd_msg *m, char *buf,
				  size_t len)
{
	struct out o = { buf, len, 0, 0 };
	int v2 = m->version == 2;
	unsigned i;

	if (!matches_ok(m))
		return -PD_RD_E_BUFFER;
	put_head(&o, "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous",
		 "ProbeMatches", m);
	put(&o, "<wsa:RelatesTo>%s</wsa:RelatesTo>"
		"<wsd:AppSequence InstanceId=\"%llu\" MessageNumber=\"%llu\"></wsd:AppSequence>"
		"</soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch>"
		"<wsa:EndpointReference><wsa:Address>%s</wsa:Address></wsa:EndpointReference>"
		"<wsd:Types>%s</wsd:Types>",
		m->relates_to, (unsigned long long)m->instance_id,
		(unsigned long long)m->message_number, m->address,
		v2 ? "PeerDist:PeerDistDataV2" : "PeerDist:PeerDistData");
	if (v2)
		put_v2_bitmap(&o, m);
	else
		put_scopes(&o, m, "<wsd:Scopes>");
	put(&o, "<wsd:XAddrs>");
	for (i = 0; i < m->nxaddrs; i++)
		put(&o, "%s%s", i ? " " : "", m->xaddrs[i]);
	put(&o, "</wsd:XAddrs><wsd:MetadataVersion>%d</wsd:MetadataVersion>", v2 ? 2 : 1);
	if (v2)
		put_v2_ages(&o, m);
	else
		put_v1_block_counts(&o, m);
	put(&o, "</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>");
	return o.overflow ? -PD_RD_E_BUFFER : (long)o.pos;
}

static const char *const rd_errors[PD_RD_E_COUNT] = {
	[PD_RD_OK] = "success",
	[PD_RD_E_XML] = "not well-formed XML",
	[PD_RD_E_DTD] = "document type or entity declarations are refused",
	[PD_RD_E_LIMIT] = "message too large, too deep or with too many items",
	[PD_RD_E_NOT_PEERDIST] = "not a PeerDist (version 1 or 2) discovery message",
	[PD_RD_E_KIND] = "neither a Probe nor ProbeMatches",
	[PD_RD_E_SCOPE] = "a scope is not a hexadecimal segment id",
	[PD_RD_E_BLOCK_COUNT] = "BlockCount is malformed or not one per scope",
	[PD_RD_E_BUFFER] = "output buffer too small or bad message",
	[PD_RD_E_BASE64] = "not strict base64",
	[PD_RD_E_SEGMENT_AGES] = "SegmentAges is malformed or names no asked segment",
};

const char *pd_pccrd_strerror(int err)
{
	if (err < 0)
		err = -err;
	return err < PD_RD_E_COUNT ? rd_errors[err] : "unknown error";
}
