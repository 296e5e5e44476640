/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MS-PCCRTP, the PeerDist content encoding of HTTP: the request headers a
 * content server reads (Accept-Encoding, X-P2P-PeerDist, X-P2P-PeerDistEx),
 * the decision Windows servers make from them, the response headers that
 * say what was sent, and the client's side of the same headers. Pure code
 * over header values: no I/O, every input bounded by its length.
 */
#ifndef PD_PCCRTP_H
#define PD_PCCRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Versions as (major << 8) | minor: PeerDist 1.0 / 1.1, content information 1.0 / 2.0. */
#define PD_PCCRTP_VERSION(maj, min)	((unsigned)(maj) << 8 | (unsigned)(min))
#define PD_PCCRTP_V1_0			PD_PCCRTP_VERSION(1, 0)
#define PD_PCCRTP_V1_1			PD_PCCRTP_VERSION(1, 1)
#define PD_PCCRTP_CI_V1			PD_PCCRTP_VERSION(1, 0)
#define PD_PCCRTP_CI_V2			PD_PCCRTP_VERSION(2, 0)

/* Below this entity length content is always sent as identity (Windows' default). */
#define PD_PCCRTP_MIN_SIZE_DEFAULT	65536u

/* What a request asked for, from its headers (fed one at a time). */
struct pd_pccrtp_request {
	bool accept_peerdist;	/* "peerdist" in Accept-Encoding with q > 0 */
	unsigned version;	/* X-P2P-PeerDist Version (client's maximum); 0: none */
	bool missing_data;	/* MissingDataRequest=true */
	bool ex;		/* X-P2P-PeerDistEx with both content information bounds */
	unsigned min_ci, max_ci;	/* its MinContentInformation / MaxContentInformation */
	bool hash_request;	/* HashRequest=true */
	bool malformed;		/* a PeerDist header did not parse: answer identity */
};

void pd_pccrtp_request_init(struct pd_pccrtp_request *r);

/*
 * Takes one request header (name and value as received, not
 * NUL-terminated). 1 when it was one of the three above, 0 when it is
 * another header, -EINVAL when it was malformed (r->malformed is then set;
 * other Accept-Encoding codings stay usable).
 */
int pd_pccrtp_request_header(struct pd_pccrtp_request *r, const char *name,
			     size_t nlen, const char *value, size_t vlen);

/* What the server knows of the response it would send without PeerDist. */
struct pd_pccrtp_entity {
	bool get;		/* the request method is GET */
	int status;		/* 200 for the whole entity (a Range request's too) */
	bool strong_etag;	/* an ETag that is not W/ */
	bool last_modified;	/* a Last-Modified header */
	uint64_t length;	/* the whole entity's length */
	bool range;		/* the request has a satisfiable single byte range */
	uint64_t range_start, range_end;	/* [start, end) of it */
	uint64_t min_size;	/* identity below this length; 0: the default */
	bool hashes_ready;	/* content information for this entity exists now */
};

enum pd_pccrtp_reason {
	PD_PCCRTP_SEND_PEERDIST,	/* the body is content information */
	PD_PCCRTP_NOT_ACCEPTED,		/* no peerdist in Accept-Encoding, or no Version */
	PD_PCCRTP_NOT_GET,
	PD_PCCRTP_NOT_200,
	PD_PCCRTP_NO_VALIDATOR,		/* neither a strong ETag nor Last-Modified */
	PD_PCCRTP_MISSING_DATA,		/* MissingDataRequest=true: the bytes themselves */
	PD_PCCRTP_TOO_SMALL,
	PD_PCCRTP_NO_CI_VERSION,	/* the PeerDistEx bounds allow no version we make */
	PD_PCCRTP_MALFORMED,
	PD_PCCRTP_NOT_HASHED,		/* identity now, MakeHashRequest=true, hash it */
};

struct pd_pccrtp_answer {
	enum pd_pccrtp_reason reason;
	bool peerdist;		/* Content-Encoding: peerdist, body = content information */
	unsigned ci_version;	/* 1 or 2: what to send, or make when not hashed */
	unsigned version;	/* X-P2P-PeerDist Version of the answer; 0: no header */
	bool make_hash_request;	/* X-P2P-PeerDistEx: MakeHashRequest=true */
	bool vary;		/* Vary: Accept-Encoding (the answer depends on it) */
	uint64_t offset, length;	/* the content the body describes / carries */
};

/* Decides identity or peerdist by Windows' rules; fills *a and returns a->reason. */
enum pd_pccrtp_reason pd_pccrtp_decide(const struct pd_pccrtp_request *r,
				       const struct pd_pccrtp_entity *e,
				       struct pd_pccrtp_answer *a);

/* A short text for a reason (logs, tests). */
const char *pd_pccrtp_reason_str(enum pd_pccrtp_reason reason);

/* One header to send: name and NUL-terminated value. */
#define PD_PCCRTP_VALUE_MAX	96
#define PD_PCCRTP_HEADERS_MAX	4
struct pd_pccrtp_header {
	const char *name;
	char value[PD_PCCRTP_VALUE_MAX];
};

/*
 * The PeerDist headers of the answer (Content-Encoding, X-P2P-PeerDist with
 * ContentLength = a->length, X-P2P-PeerDistEx, Vary), into out[]; returns
 * how many (at most PD_PCCRTP_HEADERS_MAX).
 */
unsigned pd_pccrtp_response_headers(const struct pd_pccrtp_answer *a,
				    struct pd_pccrtp_header out[PD_PCCRTP_HEADERS_MAX]);

/*
 * A single "bytes=first-last" / "bytes=first-" / "bytes=-suffix" range of
 * an entity of total bytes: 0 and [*start, *end), -ERANGE when it is not
 * satisfiable, -EINVAL when it is not one byte range (serve the whole
 * entity, as RFC 9110 lets a server do).
 */
int pd_pccrtp_parse_range(const char *value, size_t vlen, uint64_t total,
			  uint64_t *start, uint64_t *end);

/* The client's side. */
enum pd_pccrtp_client_kind {
	PD_PCCRTP_ASK_CI,	/* first request: content information if there is some */
	PD_PCCRTP_ASK_HASHES,	/* after MakeHashRequest=true: HashRequest=true */
	PD_PCCRTP_ASK_MISSING,	/* bytes no peer had (with a Range): MissingDataRequest=true */
};

/* The request headers a client sends (max_ci: PD_PCCRTP_CI_V1 or _V2); returns how many. */
unsigned pd_pccrtp_client_headers(enum pd_pccrtp_client_kind kind, unsigned max_ci,
				  struct pd_pccrtp_header out[PD_PCCRTP_HEADERS_MAX]);

/* What a response says about its encoding, from its headers (fed one at a time). */
struct pd_pccrtp_reply {
	bool peerdist;		/* Content-Encoding: peerdist (the body is content information) */
	bool other_coding;	/* another content coding was applied */
	unsigned version;	/* X-P2P-PeerDist Version; 0: none */
	bool has_content_length;
	uint64_t content_length;	/* ContentLength: the identity body's length */
	bool make_hash_request;
	bool malformed;
};

void pd_pccrtp_reply_init(struct pd_pccrtp_reply *p);

/* Takes one response header; 1 / 0 / -EINVAL as pd_pccrtp_request_header. */
int pd_pccrtp_reply_header(struct pd_pccrtp_reply *p, const char *name,
			   size_t nlen, const char *value, size_t vlen);

/* A peerdist response a client can use: encoded, versioned, with a length. */
bool pd_pccrtp_reply_usable(const struct pd_pccrtp_reply *p);

#endif
