// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * MS-PCCRD (WS-Discovery for PeerDist V1) codec (see pccrd.h). The parser
 * works on namespace URIs, never on prefixes, except where WS-Discovery
 * itself puts a QName in text (wsd:Types), which is resolved against the
 * declarations in scope.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "pccrd.h"

#define NS_SOAP	"http://www.w3.org/2003/05/soap-envelope"
#define NS_WSA	"http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_WSD	"http://schemas.xmlsoap.org/ws/2005/04/discovery"
#define NS_PD	"http://schemas.microsoft.com/p2p/2007/09/PeerDistributionDiscovery"
#define MAX_DEPTH	16
#define MAX_TEXT	(PD_PCCRD_MAX_SCOPES * (2 * PD_HASH_MAX + 1) + 64)
#define MAX_NS		32

enum field { F_NONE, F_MESSAGE_ID, F_RELATES_TO, F_ADDRESS, F_TYPES, F_SCOPES,
	     F_XADDRS, F_BLOCK_COUNT };

struct ns_decl {
	char prefix[32];
	char uri[PD_PCCRD_MAX_URI];
	int depth;
};

struct parse {
	XML_Parser xp;
	struct pd_pccrd_msg *msg;
	int depth, err, types_ok, nblock_counts;
	enum field field;
	int field_depth;
	char text[MAX_TEXT];
	size_t text_len;
	struct ns_decl ns[MAX_NS];
	int nns;
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

/* wsd:Types is a list of QNames: PeerDist V1 is PeerDistData in NS_PD. */
static void take_types(struct parse *p, char *s)
{
	char *t;

	while ((t = token(&s))) {
		char *colon = strchr(t, ':');
		const char *uri;

		if (colon)
			*colon = '\0';
		uri = ns_lookup(p, colon ? t : "");
		if (uri && !strcmp(uri, NS_PD) && !strcmp(colon ? colon + 1 : t, "PeerDistData"))
			p->types_ok = 1;
	}
}

static void take_scopes(struct parse *p, char *s)
{
	struct pd_pccrd_msg *m = p->msg;
	char *t;

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
	err = p->err ? p->err : !ok ? PD_RD_E_XML :
	      !msg->kind ? PD_RD_E_KIND :
	      !p->types_ok ? PD_RD_E_NOT_PEERDIST :
	      (msg->kind == PD_WSD_PROBE_MATCHES &&
	       p->nblock_counts != (int)msg->nscopes) ? PD_RD_E_BLOCK_COUNT : 0;
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
	size_t i;

	for (i = 0; i < n; i++)
		put(o, upper ? "%02X" : "%02x", p[i]);
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

long pd_pccrd_write_probe(const struct pd_pccrd_msg *m, char *buf, size_t len)
{
	struct out o = { buf, len, 0, 0 };

	if (!m->nscopes || m->nscopes > PD_PCCRD_MAX_SCOPES || !safe(m->message_id))
		return -PD_RD_E_BUFFER;
	put_head(&o, "urn:schemas-xmlsoap-org:ws:2005:04:discovery", "Probe", m);
	put(&o, "</soap:Header><soap:Body><wsd:Probe>"
		"<wsd:Types>PeerDist:PeerDistData</wsd:Types>");
	put_scopes(&o, m, "<wsd:Scopes MatchBy=\"" NS_WSD "/strcmp0\">");
	put(&o, "</wsd:Probe></soap:Body></soap:Envelope>");
	return o.overflow ? -PD_RD_E_BUFFER : (long)o.pos;
}

long pd_pccrd_write_probe_matches(const struct pd_pccrd_msg *m, char *buf,
				  size_t len)
{
	struct out o = { buf, len, 0, 0 };
	unsigned i;

	if (!m->nscopes || m->nscopes > PD_PCCRD_MAX_SCOPES || !m->nxaddrs ||
	    m->nxaddrs > PD_PCCRD_MAX_XADDRS || !safe(m->message_id) ||
	    !safe(m->relates_to) || !safe(m->address))
		return -PD_RD_E_BUFFER;
	for (i = 0; i < m->nxaddrs; i++)
		if (!safe(m->xaddrs[i]) || strpbrk(m->xaddrs[i], " \t\r\n"))
			return -PD_RD_E_BUFFER;
	put_head(&o, "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous",
		 "ProbeMatches", m);
	put(&o, "<wsa:RelatesTo>%s</wsa:RelatesTo>"
		"<wsd:AppSequence InstanceId=\"%llu\" MessageNumber=\"%llu\"></wsd:AppSequence>"
		"</soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch>"
		"<wsa:EndpointReference><wsa:Address>%s</wsa:Address></wsa:EndpointReference>"
		"<wsd:Types>PeerDist:PeerDistData</wsd:Types>",
		m->relates_to, (unsigned long long)m->instance_id,
		(unsigned long long)m->message_number, m->address);
	put_scopes(&o, m, "<wsd:Scopes>");
	put(&o, "<wsd:XAddrs>");
	for (i = 0; i < m->nxaddrs; i++)
		put(&o, "%s%s", i ? " " : "", m->xaddrs[i]);
	put(&o, "</wsd:XAddrs><wsd:MetadataVersion>1</wsd:MetadataVersion>"
		"<PeerDist:PeerDistData><PeerDist:BlockCount>");
	for (i = 0; i < m->nscopes; i++)
		put(&o, "%08X", m->block_counts[i]);
	put(&o, "</PeerDist:BlockCount></PeerDist:PeerDistData>"
		"</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>");
	return o.overflow ? -PD_RD_E_BUFFER : (long)o.pos;
}

static const char *const rd_errors[PD_RD_E_COUNT] = {
	[PD_RD_OK] = "success",
	[PD_RD_E_XML] = "not well-formed XML",
	[PD_RD_E_DTD] = "document type or entity declarations are refused",
	[PD_RD_E_LIMIT] = "message too large, too deep or with too many items",
	[PD_RD_E_NOT_PEERDIST] = "not a PeerDist (version 1) discovery message",
	[PD_RD_E_KIND] = "neither a Probe nor ProbeMatches",
	[PD_RD_E_SCOPE] = "a scope is not a hexadecimal segment id",
	[PD_RD_E_BLOCK_COUNT] = "BlockCount is malformed or not one per scope",
	[PD_RD_E_BUFFER] = "output buffer too small or bad message",
};

const char *pd_pccrd_strerror(int err)
{
	if (err < 0)
		err = -err;
	return err < PD_RD_E_COUNT ? rd_errors[err] : "unknown error";
}
