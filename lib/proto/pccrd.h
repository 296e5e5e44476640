/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MS-PCCRD (Peer Content Caching and Retrieval: Discovery): WS-Discovery
 * Probe and ProbeMatches, as pure functions over text, for PeerDist
 * version 1 (hex segment ids as scopes, BlockCount per scope) and version 2
 * (one base64 scope holding every segment id; the ProbeMatch answers with a
 * base64 bitmap of two bits per asked segment and base64 segment ages).
 * Parsing uses expat, namespace-aware, so any prefix works; it refuses
 * DTDs and entities, deep nesting and oversized input, and decodes base64
 * strictly. Writing uses exactly the prefixes a real client matches
 * literally (wsd:Scopes, wsd:XAddrs, PeerDist:BlockCount,
 * PeerDist:SegmentAges).
 *
 * A V2 ProbeMatch carries no segment ids: its bitmap follows the order of
 * the Probe it answers, so the caller pairs the two. Its integers are in
 * network order (MS-PCCRD 2.2), its ages are MS-PCCRR's Extensible Blob
 * Version 1.
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
#define PD_PCCRD_NO_AGE		UINT32_MAX	/* segment_age: none given */

enum pd_pccrd_kind {
	PD_WSD_PROBE = 1,
	PD_WSD_PROBE_MATCHES = 2,
};

enum pd_pccrd_err {
	PD_RD_OK = 0,
	PD_RD_E_XML,		/* not well-formed XML */
	PD_RD_E_DTD,		/* a DOCTYPE or entity declaration */
	PD_RD_E_LIMIT,		/* too large, too deep, too many items */
	PD_RD_E_NOT_PEERDIST,	/* a WS-Discovery message, but not for PeerDist */
	PD_RD_E_KIND,		/* neither Probe nor ProbeMatches */
	PD_RD_E_SCOPE,		/* a scope that is not a hex segment id */
	PD_RD_E_BLOCK_COUNT,	/* BlockCount malformed or not one per scope */
	PD_RD_E_BUFFER,		/* write: output too small or bad input */
	PD_RD_E_BASE64,		/* V2: not strict base64 */
	PD_RD_E_SEGMENT_AGES,	/* V2: SegmentAges malformed or out of range */
	PD_RD_E_COUNT
};

struct pd_segment_scope {
	unsigned len;			/* 32, 48 or 64 */
	uint8_t id[PD_HASH_MAX];	/* HoHoDk */
};

struct pd_pccrd_msg {
	enum pd_pccrd_kind kind;
	unsigned version;	/* 1 or 2; the writers take 0 as 1 */
	char message_id[PD_PCCRD_MAX_URI];
	char relates_to[PD_PCCRD_MAX_URI];	/* ProbeMatches */
	char address[PD_PCCRD_MAX_URI];		/* ProbeMatches: the peer's urn:uuid */
	uint64_t instance_id, message_number;	/* AppSequence */
	unsigned nscopes;
	struct pd_segment_scope scopes[PD_PCCRD_MAX_SCOPES];
	uint32_t block_counts[PD_PCCRD_MAX_SCOPES];	/* ProbeMatches */
	unsigned nxaddrs;
	char xaddrs[PD_PCCRD_MAX_XADDRS][PD_PCCRD_MAX_XADDR];	/* "host:port" */
	/*
	 * V2 ProbeMatches, per scope of the Probe answered. Parsing gives
	 * nscopes = 4 per bitmap byte (the tail is padding: neither flag
	 * set) and scopes[].len 0. An age is in hundredths of a second
	 * (MS-PCCRR's recommended unit), or PD_PCCRD_NO_AGE, which parsing
	 * sets for every scope without one; the writer leaves those out.
	 */
	uint8_t have_segment[PD_PCCRD_MAX_SCOPES];
	uint8_t have_all_blocks[PD_PCCRD_MAX_SCOPES];
	uint32_t segment_age[PD_PCCRD_MAX_SCOPES];
};

/*
 * Parses a datagram, V1 or V2 (msg->version says which). 0 or -PD_RD_E_*.
 * V2 needs wsd:Types before wsd:Scopes and SegmentAges, the order the
 * WS-Discovery schema sets; before it, V1 rules apply.
 */
int pd_pccrd_parse(const char *xml, size_t len, struct pd_pccrd_msg *msg);

/*
 * Writes a Probe for msg->scopes with msg->message_id; bytes or
 * -PD_RD_E_BUFFER. V2 needs every scope of one length (32, 48 or 64).
 */
long pd_pccrd_write_probe(const struct pd_pccrd_msg *msg, char *out, size_t len);

/*
 * Writes ProbeMatches: msg's scopes and block counts (V1) or nscopes flag
 * pairs and ages (V2), xaddrs, address, relates_to, message_id and
 * AppSequence; bytes or -PD_RD_E_BUFFER.
 */
long pd_pccrd_write_probe_matches(const struct pd_pccrd_msg *msg, char *out,
				  size_t len);

const char *pd_pccrd_strerror(int err);

#endif
