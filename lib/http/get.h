/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A BranchCache HTTP client (MS-PCCRTP) that streams: one GET of a URL
 * with Windows' request headers; a peerdist answer (content information)
 * is read through the PeerDist API (the local cache, then peers, then the
 * origin with MissingDataRequest ranges added by AddData) and its
 * identity body handed to a sink in order, run by run as each is
 * verified, never a byte that failed its hash; an identity answer is
 * handed on as it arrives. Memory stays within a window of a few MiB
 * whatever the content's size. libcurl does the transfers: proxies,
 * authentication and redirects behave as curl users expect.
 */
#ifndef PD_HTTP_GET_H
#define PD_HTTP_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <peerdist.h>

/* Results as curl's exit codes (its CURLcode for transfer errors), and ours. */
#define PD_GET_OK		0
#define PD_GET_FAILED		1	/* another failure (memory, the API) */
#define PD_GET_HTTP_ERROR	22	/* CURLE_HTTP_RETURNED_ERROR: status >= 400 */
#define PD_GET_WRITE_ERROR	23	/* CURLE_WRITE_ERROR: the sink refused */
#define PD_GET_BAD_CONTENT	61	/* CURLE_BAD_CONTENT_ENCODING: nothing verifies */

/* What the answer is, before its first body byte. */
struct pd_get_head {
	long status;		/* 200, 206 (a range), 416, 404...: what the body is */
	bool peerdist;		/* the origin sent content information */
	/* The 206 or 416 is this GET's own (the origin sent the whole): start,
	 * count and length make its Content-Range. */
	bool own_range;
	int64_t length;		/* the whole entity's length; -1 unknown */
	uint64_t start;		/* the first byte of the entity delivered */
	int64_t count;		/* the bytes that will be delivered; -1 unknown */
	/* The final answer's header lines ("Name: value\r\n" each, the
	 * status line left out), as the origin sent them. */
	const char *headers;
	size_t headers_len;
};

/* Where the bytes came from, updated as they are delivered. */
struct pd_get_stats {
	uint64_t delivered;
	uint64_t from_cache;	/* in the local cache before the get began */
	uint64_t from_peers;
	uint64_t from_origin;	/* body bytes from the origin (identity: all) */
	uint64_t ci_bytes;	/* the content information's size */
};

struct pd_get_options {
	const char *url;
	const char *user;	/* "user:password" as curl -u; NULL: none (.netrc) */
	const char *proxy;	/* as curl -x; NULL: curl's environment */
	bool no_redirects;	/* answer 3xx as they are instead of following */
	unsigned max_ci;	/* PD_PCCRTP_CI_V1 (0 means it) or _V2 */
	DWORD timeout;		/* BlockRead's: PEERDIST_READ_TIMEOUT_DEFAULT, ms, 0 cache only */
	/* A Range header's value ("bytes=a-b"): one range is answered 206,
	 * an unsatisfiable one 416 (no body), other forms the whole 200. */
	const char *range;
	/* More request header lines ("Name: value\r\n" each) for the origin. */
	const char *headers;
	bool fail_on_error;	/* status >= 400: PD_GET_HTTP_ERROR, no head, no body */
	/* Called once before any body byte; nonzero ends the get with it. */
	int (*head)(void *arg, const struct pd_get_head *h);
	/* Body bytes in order; nonzero ends the get (PD_GET_WRITE_ERROR). */
	int (*sink)(void *arg, const uint8_t *p, size_t len);
	/* A range [lo, hi) about to be fetched from the origin (may be NULL). */
	void (*origin_range)(void *arg, uint64_t lo, uint64_t hi);
	void *arg;
	/* An instance to use (one per thread at a time); NULL: one of its own. */
	PEERDIST_INSTANCE_HANDLE pd;
};

/* Why a get failed, in words (without a trailing period). */
struct pd_get_error {
	char message[512];
	DWORD win32;		/* the PeerDist API's error behind it, or 0 */
};

/* The get: PD_GET_OK or one of the codes above (curl's CURLcode else). */
int pd_get(const struct pd_get_options *o, struct pd_get_stats *st,
	   struct pd_get_error *err);

#endif
