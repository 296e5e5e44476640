/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MS-PCCRD (Peer Content Caching and Retrieval: Discovery): WS-Discovery
 * Probe and ProbeMatches for PeerDist version 1 (hex segment ids as
 * scopes, BlockCount per scope), as pure functions over text. Parsing uses
 * expat, namespace-aware, so any prefix works; it refuses DTDs and
 * entities, deep nesting and oversized input. Writing uses exactly the
 * prefixes a real client matches literally (wsd:Scopes, wsd:XAddrs,
 * PeerDist:BlockCount). Version 2 (base64 scopes) is not handled yet.
 */
#ifndef PD_PCCRD_H
#define PD_PCCRD_H

#include <stddef.h>
#include <stdint.h>

#include "pccrc.h"

#define PD_PCCRD_PORT		3702
#define PD_PCCRD_GROUP_V4	"239.255.255.250"
#define PD_PCCRD_GROUP_V6	"ff02::c"
#define PD_PCCRD_MAX_MESSAGE	65536
#define PD_PCCRD_MAX_SCOPES	128
#define PD_PCCRD_MAX_XADDRS	8
#define PD_PCCRD_MAX_URI	128
#define PD_PCCRD_MAX_XADDR	64

enum pd_pccrd_kind {
	PD_WSD_PROBE = 1,
	PD_WSD_PROBE_MATCHES = 2,
};

enum pd_pccrd_err {
	PD_RD_OK = 0,
	PD_RD_E_XML,		/* not well-formed XML */
	PD_RD_E_DTD,		/* a DOCTYPE or entity declaration */
	PD_RD_E_LIMIT,		/* too large, too deep, too many items */
	PD_RD_E_NOT_PEERDIST,	/* a WS-Discovery message, but not for PeerDist V1 */
	PD_RD_E_KIND,		/* neither Probe nor ProbeMatches */
	PD_RD_E_SCOPE,		/* a scope that is not a hex segment id */
	PD_RD_E_BLOCK_COUNT,	/* BlockCount malformed or not one per scope */
	PD_RD_E_BUFFER,		/* write: output too small or bad input */
	PD_RD_E_COUNT
};

struct pd_segment_scope {
	unsigned len;			/* 32, 48 or 64 */
	uint8_t id[PD_HASH_MAX];	/* HoHoDk */
};

struct pd_pccrd_msg {
	enum pd_pccrd_kind kind;
	char message_id[PD_PCCRD_MAX_URI];
	char relates_to[PD_PCCRD_MAX_URI];	/* ProbeMatches */
	char address[PD_PCCRD_MAX_URI];		/* ProbeMatches: the peer's urn:uuid */
	uint64_t instance_id, message_number;	/* AppSequence */
	unsigned nscopes;
	struct pd_segment_scope scopes[PD_PCCRD_MAX_SCOPES];
	uint32_t block_counts[PD_PCCRD_MAX_SCOPES];	/* ProbeMatches */
	unsigned nxaddrs;
	char xaddrs[PD_PCCRD_MAX_XADDRS][PD_PCCRD_MAX_XADDR];	/* "host:port" */
};

/* Parses a datagram. 0 or -PD_RD_E_*. */
int pd_pccrd_parse(const char *xml, size_t len, struct pd_pccrd_msg *msg);

/* Writes a Probe for msg->scopes with msg->message_id; bytes or -PD_RD_E_BUFFER. */
long pd_pccrd_write_probe(const struct pd_pccrd_msg *msg, char *out, size_t len);

/* Writes ProbeMatches: msg's scopes, block counts, xaddrs, address,
 * relates_to, message_id and AppSequence; bytes or -PD_RD_E_BUFFER. */
long pd_pccrd_write_probe_matches(const struct pd_pccrd_msg *msg, char *out,
				  size_t len);

const char *pd_pccrd_strerror(int err);

#endif
