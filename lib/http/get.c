// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The streaming BranchCache GET (get.h). The first request carries the
 * PeerDist headers; its answer decides the path:
 *   - content information: kept (it is small), opened with the API, and
 *     the content read from lo to hi a window at a time; a read that
 *     misses (no peer had it in time) fetches the blocks of the next
 *     window from the origin (MissingDataRequest=true), adds them with
 *     AddData, and reads again: only what BlockRead returns, verified,
 *     reaches the sink;
 *   - identity: the body goes to the sink as curl receives it; with a
 *     Range asked, the request is made again with the Range.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curl_dl.h"
#include "get.h"
#include "pccrc.h"
#include "pccrtp.h"

#define CI_MAX		(256u << 20)	/* content information kept at most */
#define HEADERS_MAX	16384		/* an answer's header lines kept */
#define READ_CHUNK	(1u << 20)	/* delivered per read */
#define ADD_CHUNK	(1u << 20)	/* origin bytes handed to AddData at once */
#define FETCH_WINDOW	(8u << 20)	/* origin bytes asked for at once (whole blocks) */

enum answer { ANSWER_UNKNOWN, ANSWER_CI, ANSWER_IDENTITY, ANSWER_AGAIN_WITH_RANGE };

struct get {
	const struct pd_curl *cu;	/* libcurl's functions, from pd_get */
	const struct pd_get_options *o;
	struct pd_get_stats *st;
	struct pd_get_error *err;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct pd_pccrtp_reply reply;
	char headers[HEADERS_MAX];
	size_t headers_len;
	enum answer answer;
	int code;		/* why a callback stopped the transfer */
	uint8_t *ci;
	size_t ci_len;
	/* reading content */
	struct pd_ci *parsed;
	PEERDIST_INSTANCE_HANDLE pd;
	PEERDIST_CONTENT_HANDLE content;
	HANDLE port;
	uint8_t *window;
	uint64_t total, lo, hi;		/* the content's length; the bytes delivered */
	bool slicing;			/* of an identity 200: only [lo, hi) delivered */
	bool slice_done;		/* its transfer ended at hi */
	uint64_t at_body;		/* of it, the bytes seen */
	uint64_t origin_lo, origin_hi;	/* the last range fetched from the origin */
	uint64_t missing_end;		/* peers had none of the run before it: no wait */
	/* one range being fetched from the origin */
	uint64_t want_lo, want_hi, at;
	uint8_t *stage;
	size_t stage_len;
	DWORD add_err;
};

static int failed(struct get *g, int code, DWORD win32, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int failed(struct get *g, int code, DWORD win32, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err->message, sizeof(g->err->message), fmt, ap);
	va_end(ap);
	g->err->win32 = win32;
	return code;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct get *g = arg;
	size_t len = size * n, nlen, end = len;
	char *colon = memchr(p, ':', len);

	if (len >= 5 && !memcmp(p, "HTTP/", 5)) {	/* a new answer (a redirect's, 100) */
		pd_pccrtp_reply_init(&g->reply);
		g->headers_len = 0;
		return len;
	}
	if (!colon)
		return len;
	if (len <= sizeof(g->headers) - g->headers_len) {
		memcpy(g->headers + g->headers_len, p, len);
		g->headers_len += len;
	}
	nlen = colon - p;
	colon++;
	while (colon < p + end && (*colon == ' ' || *colon == '\t'))
		colon++;
	while (end > (size_t)(colon - p) && (p[end - 1] == '\r' || p[end - 1] == '\n' ||
					     p[end - 1] == ' '))
		end--;
	pd_pccrtp_reply_header(&g->reply, p, nlen, colon, p + end - colon);
	return len;
}

static long status_of(struct get *g)
{
	long status = 0;

	g->cu->easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static int send_head(struct get *g, long status, bool peerdist, int64_t length,
		     uint64_t start, int64_t count)
{
	struct pd_get_head h = {
		.status = status, .peerdist = peerdist, .length = length,
		.own_range = peerdist ? status != 200 : g->slicing,
		.start = start, .count = count,
		.headers = g->headers, .headers_len = g->headers_len,
	};

	return g->o->head ? g->o->head(g->o->arg, &h) : 0;
}

static long choose_range(struct get *g);

/* An origin that answered a Range with the whole entity of len bytes: the
 * range is cut from it here. */
static int slice_head(struct get *g, uint64_t len)
{
	long status;
	int rc;

	g->total = len;
	status = choose_range(g);
	g->slicing = status != 200;
	if (status == 416) {
		if ((rc = send_head(g, 416, false, (int64_t)len, 0, 0)))
			return rc;
		g->slice_done = true;		/* no body: the transfer ends here */
		return PD_GET_WRITE_ERROR;
	}
	return send_head(g, status, false, (int64_t)len, g->lo, (int64_t)(g->hi - g->lo));
}

/* An identity answer is known: its head, unless it is to be asked again. */
static int identity_head(struct get *g)
{
	long status = status_of(g);
	curl_off_t len = -1;

	if (g->o->fail_on_error && status >= 400)
		return failed(g, PD_GET_HTTP_ERROR, 0, "%s: the server answered %ld",
			      g->o->url, status);
	if (g->o->range && status == 200 && g->answer == ANSWER_UNKNOWN) {
		g->answer = ANSWER_AGAIN_WITH_RANGE;
		return PD_GET_WRITE_ERROR;	/* ends this transfer */
	}
	g->answer = ANSWER_IDENTITY;
	g->cu->easy_getinfo(g->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (g->o->range && status == 200 && len >= 0)
		return slice_head(g, (uint64_t)len);
	return send_head(g, status, false, status == 200 ? len : -1, 0, len);
}

static int deliver(struct get *g, const uint8_t *p, size_t len)
{
	if (g->o->sink(g->o->arg, p, len))
		return failed(g, PD_GET_WRITE_ERROR, 0, "%s: the output refused %zu bytes",
			      g->o->url, len);
	g->st->delivered += len;
	return 0;
}

/* Of an identity body cut here, the bytes in [lo, hi); the transfer ends at hi. */
static size_t slice(struct get *g, const uint8_t *p, size_t len)
{
	uint64_t from = g->at_body, to = from + len;

	g->at_body = to;
	if (from < g->lo)
		from = g->lo;
	if (to > g->hi)
		to = g->hi;
	if (from < to && (g->code = deliver(g, p + (from - (g->at_body - len)), to - from)))
		return 0;
	if (g->at_body >= g->hi) {
		g->code = PD_GET_WRITE_ERROR;	/* the rest is not wanted */
		g->slice_done = true;
		return 0;
	}
	return len;
}

/* The first answer's body: content information kept, identity delivered. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct get *g = arg;
	size_t len = size * n;
	uint8_t *ci;

	if (g->answer == ANSWER_UNKNOWN || g->answer == ANSWER_AGAIN_WITH_RANGE) {
		if (g->answer == ANSWER_UNKNOWN && pd_pccrtp_reply_usable(&g->reply) &&
		    !g->reply.other_coding && status_of(g) == 200)
			g->answer = ANSWER_CI;
		else if ((g->code = identity_head(g)))
			return 0;
	}
	if (g->answer == ANSWER_IDENTITY) {
		g->st->from_origin += len;
		if (g->slicing)
			return slice(g, (const uint8_t *)p, len);
		if ((g->code = deliver(g, (const uint8_t *)p, len)))
			return 0;
		return len;
	}
	if (len > CI_MAX - g->ci_len) {
		g->code = failed(g, PD_GET_BAD_CONTENT, 0, "%s: content information over "
				 "%u MiB", g->o->url, CI_MAX >> 20);
		return 0;
	}
	if (!(ci = realloc(g->ci, g->ci_len + len))) {
		g->code = failed(g, PD_GET_FAILED, 0, "out of memory");
		return 0;
	}
	memcpy(ci + g->ci_len, p, len);
	g->ci = ci;
	g->ci_len += len;
	return len;
}

static int add_header(struct get *g, struct curl_slist **list, const char *line)
{
	struct curl_slist *l = g->cu->slist_append(*list, line);

	if (!l)
		return -1;
	*list = l;
	return 0;
}

/* The caller's header lines, one by one; 0 or -1 without memory. */
static int add_headers(struct get *g, struct curl_slist **list, const char *lines)
{
	const char *p = lines, *nl;
	char line[1024];
	size_t len;

	for (; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len && p[len - 1] == '\r')
			len--;
		if (!len || len >= sizeof(line))
			continue;
		memcpy(line, p, len);
		line[len] = '\0';
		if (add_header(g, list, line))
			return -1;
	}
	return 0;
}

/* One request of kind with the Range header value range (or none); 0 or a code. */
static int request(struct get *g, enum pd_pccrtp_client_kind kind, const char *range,
		   curl_write_callback sink)
{
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];
	unsigned i, n = pd_pccrtp_client_headers(kind, g->o->max_ci ? g->o->max_ci :
						 PD_PCCRTP_CI_V1, h);
	struct curl_slist *list = NULL;
	char line[256];
	CURLcode rc;
	int oom = 0;

	for (i = 0; i < n && !oom; i++) {
		snprintf(line, sizeof(line), "%s: %s", h[i].name, h[i].value);
		oom = add_header(g, &list, line);
	}
	if (!oom && range && snprintf(line, sizeof(line), "Range: %s", range) <
	    (int)sizeof(line))
		oom = add_header(g, &list, line);
	if (oom || add_headers(g, &list, g->o->headers)) {
		g->cu->slist_free_all(list);
		return failed(g, PD_GET_FAILED, 0, "out of memory");
	}
	g->cu->easy_setopt(g->curl, CURLOPT_HTTPHEADER, list);
	g->cu->easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, sink);
	g->code = 0;
	g->errbuf[0] = '\0';
	rc = g->cu->easy_perform(g->curl);
	g->cu->slist_free_all(list);
	if (rc == CURLE_WRITE_ERROR && g->code)
		return g->code;
	if (rc)
		return failed(g, rc, 0, "%s: %s", g->o->url, g->errbuf[0] ? g->errbuf :
			      g->cu->easy_strerror(rc));
	return 0;
}

/* Waits for the one outstanding operation; its Win32 status. */
static DWORD complete(struct get *g, DWORD *n, OVERLAPPED **ov)
{
	ULONG_PTR key;

	return GetQueuedCompletionStatus(g->port, n, &key, ov, INFINITE) ?
	       ERROR_SUCCESS : GetLastError();
}

static DWORD add_data(struct get *g, uint64_t at, const uint8_t *p, size_t len)
{
	OVERLAPPED ov = { 0 }, *done;
	DWORD err, n;

	ov.Offset = (DWORD)at;
	ov.OffsetHigh = (DWORD)(at >> 32);
	err = PeerDistClientAddData(g->pd, g->content, len, p, &ov);
	if (err != ERROR_IO_PENDING)
		return err;
	return complete(g, &n, &done);
}

static DWORD flush_stage(struct get *g)
{
	DWORD err = 0;

	if (g->stage_len)
		err = add_data(g, g->at - g->stage_len, g->stage, g->stage_len);
	g->stage_len = 0;
	return err;
}

/* Origin bytes of the range being fetched, staged and handed to AddData. */
static size_t to_cache(char *p, size_t size, size_t n, void *arg)
{
	struct get *g = arg;
	size_t len = size * n, skip = 0, take;

	if (status_of(g) != 206 && g->at < g->want_lo) {	/* the whole entity: skip to lo */
		skip = g->want_lo - g->at < len ? g->want_lo - g->at : len;
		g->at += skip;
	}
	while (skip < len && g->at < g->want_hi) {
		take = len - skip;
		if (take > g->want_hi - g->at)
			take = g->want_hi - g->at;
		if (take > ADD_CHUNK - g->stage_len)
			take = ADD_CHUNK - g->stage_len;
		memcpy(g->stage + g->stage_len, p + skip, take);
		g->stage_len += take;
		g->at += take;
		skip += take;
		if (g->stage_len == ADD_CHUNK && (g->add_err = flush_stage(g))) {
			g->code = failed(g, PD_GET_BAD_CONTENT, g->add_err, "%s: bytes from "
					 "the server do not match the content information",
					 g->o->url);
			return 0;
		}
	}
	return len;
}

/* The whole block holding content offset off. */
static struct pd_range block_at(const struct get *g, uint64_t off)
{
	uint32_t s = pd_ci_segment_at(g->parsed, off);
	const struct pd_ci_segment *seg = &g->parsed->segments[s];

	return pd_ci_block_span(g->parsed, s, (uint32_t)((off - seg->offset) / seg->block_size));
}

/*
 * Whole blocks from the one at lo, up to FETCH_WINDOW bytes, not past the
 * missing run [lo, run_end) nor the block holding the last byte wanted.
 */
static void fetch_window(const struct get *g, uint64_t *lo, uint64_t *hi, uint64_t run_end)
{
	uint64_t last = *lo + FETCH_WINDOW;
	struct pd_range r;

	if (last > run_end)
		last = run_end;
	if (last > g->hi)
		last = g->hi;
	*lo = block_at(g, *lo).start;
	r = block_at(g, last > *lo ? last - 1 : *lo);
	*hi = r.end > g->total ? g->total : r.end;
}

static int fetch_missing(struct get *g, uint64_t lo, uint64_t run_end)
{
	char range[64];
	uint64_t hi;
	int rc;

	fetch_window(g, &lo, &hi, run_end);
	if (lo >= g->origin_lo && hi <= g->origin_hi)
		return failed(g, PD_GET_BAD_CONTENT, 0, "%s: bytes %llu-%llu from the server "
			      "do not match the content information", g->o->url,
			      (unsigned long long)lo, (unsigned long long)hi);
	if (g->o->origin_range)
		g->o->origin_range(g->o->arg, lo, hi);
	g->want_lo = g->at = lo;
	g->want_hi = hi;
	g->add_err = 0;
	snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)lo,
		 (unsigned long long)hi - 1);
	rc = request(g, PD_PCCRTP_ASK_MISSING, range, to_cache);
	if (!rc && status_of(g) >= 400)
		rc = failed(g, PD_GET_HTTP_ERROR, 0, "%s: the server answered %ld to a range",
			    g->o->url, status_of(g));
	if (!rc && (g->add_err = flush_stage(g)))
		rc = failed(g, PD_GET_BAD_CONTENT, g->add_err, "%s: bytes from the server do "
			    "not match the content information", g->o->url);
	if (!rc && g->at < hi)
		rc = failed(g, PD_GET_BAD_CONTENT, 0, "%s: the server sent bytes %llu-%llu of "
			    "%llu-%llu", g->o->url, (unsigned long long)lo,
			    (unsigned long long)g->at, (unsigned long long)lo,
			    (unsigned long long)hi);
	g->st->from_origin += g->at - lo;
	g->origin_lo = lo;
	g->origin_hi = hi;
	return rc;
}

/* A read at pos into the window (max 0: a query of what is local); one
 * that fails at once read nothing at pos. */
static DWORD read_at(struct get *g, uint64_t pos, DWORD max, DWORD timeout,
		     DWORD *n, uint64_t *at)
{
	OVERLAPPED ov = { 0 }, *done;
	DWORD err;

	*n = 0;
	*at = pos;
	ov.Offset = (DWORD)pos;
	ov.OffsetHigh = (DWORD)(pos >> 32);
	err = PeerDistClientBlockRead(g->pd, g->content, max, max ? g->window : NULL,
				      timeout, &ov);
	if (err != ERROR_IO_PENDING)
		return err;
	err = complete(g, n, &done);
	*at = (uint64_t)done->OffsetHigh << 32 | done->Offset;
	return err;
}

/*
 * What the local cache holds of [lo, hi) before anything is fetched: runs
 * of local bytes (0-byte queries) and the missing ranges between them
 * (1-byte reads of the cache only). Bounded: every step moves forward.
 */
static int count_cached(struct get *g)
{
	uint64_t pos = g->lo, at;
	DWORD n, err;

	while (pos < g->hi) {
		err = read_at(g, pos, 0, PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY, &n, &at);
		if (!err && n) {
			g->st->from_cache += n < g->hi - pos ? n : g->hi - pos;
			pos += n;
			continue;
		}
		err = read_at(g, pos, 1, PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY, &n, &at);
		if (err == PEERDIST_ERROR_MISSING_DATA && at == pos && n)
			pos += n;
		else if (err)
			return failed(g, PD_GET_FAILED, err, "%s: the local cache", g->o->url);
	}
	return 0;
}

static void count_peers(struct get *g)
{
	uint64_t other = g->st->from_cache + g->st->from_origin;

	g->st->from_peers = g->st->delivered > other ? g->st->delivered - other : 0;
}

/* One read at pos: the cache or peers, delivered; else the origin. 0 or a code. */
static int read_step(struct get *g, uint64_t *pos)
{
	uint64_t left = g->hi - *pos, at;
	DWORD max = left < READ_CHUNK ? left : READ_CHUNK, n, local, err;
	int rc;

	/* a run peers did not have is fetched a window at a time: waited for once */
	err = read_at(g, *pos, max, *pos < g->missing_end ?
		      PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY : g->o->timeout, &n, &at);
	if (err == ERROR_TIMEOUT && !read_at(g, at, 0, PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY,
					     &local, &at) && local)
		return 0;	/* a peer's bytes arrived as the wait ended: read them */
	/* a trust failure: only peers that sent wrong blocks have them */
	if (err == PEERDIST_ERROR_MISSING_DATA || err == ERROR_TIMEOUT ||
	    err == PEERDIST_ERROR_TRUST_FAILURE) {
		if (at + (n ? n : 1) > g->missing_end)
			g->missing_end = at + (n ? n : 1);
		return fetch_missing(g, at, at + (n ? n : 1));
	}
	if (err)
		return failed(g, PD_GET_FAILED, err, "%s: reading the content", g->o->url);
	if (at != *pos || !n || n > max)
		return failed(g, PD_GET_FAILED, 0, "%s: a read at %llu returned bytes at %llu",
			      g->o->url, (unsigned long long)*pos, (unsigned long long)at);
	if ((rc = deliver(g, g->window, n)))
		return rc;
	*pos += n;
	count_peers(g);
	return 0;
}

static int open_content(struct get *g)
{
	PEERDIST_CONTENT_TAG tag = { "peerdist-get" };
	OVERLAPPED ov = { 0 }, *done;
	DWORD err, n;

	if (pd_ci_parse(g->ci, g->ci_len, &g->parsed, NULL) || !g->parsed->nsegments ||
	    pd_ci_range(g->parsed).end < g->total)
		return failed(g, PD_GET_BAD_CONTENT, PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO,
			      "%s: the content information", g->o->url);
	g->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	if (!g->port)
		return failed(g, PD_GET_FAILED, 0, "no completion port");
	err = PeerDistClientOpenContent(g->pd, &tag, g->port, 0, &g->content);
	if (!err && (err = PeerDistClientAddContentInformation(g->pd, g->content,
			g->ci_len, g->ci, &ov)) == ERROR_IO_PENDING)
		err = complete(g, &n, &done);
	if (!err && (err = PeerDistClientCompleteContentInformation(g->pd, g->content, &ov))
	    == ERROR_IO_PENDING)
		err = complete(g, &n, &done);
	if (err)
		return failed(g, PD_GET_BAD_CONTENT, err, "%s: the content information",
			      g->o->url);
	return 0;
}

/* The bytes to deliver from the client's Range: 200, 206 or 416. */
static long choose_range(struct get *g)
{
	int err;

	g->lo = 0;
	g->hi = g->total;
	if (!g->o->range)
		return 200;
	err = pd_pccrtp_parse_range(g->o->range, strlen(g->o->range), g->total,
				    &g->lo, &g->hi);
	if (err == -ERANGE)
		return 416;
	if (err) {
		g->lo = 0;
		g->hi = g->total;
		return 200;
	}
	return 206;
}

static int read_content(struct get *g)
{
	PEERDIST_INSTANCE_HANDLE own = NULL;
	uint64_t pos;
	long status;
	DWORD err;
	int rc;

	g->total = g->reply.content_length;
	g->st->ci_bytes = g->ci_len;
	status = choose_range(g);
	if (status == 416)
		return send_head(g, 416, true, g->total, 0, 0);
	if (!(g->pd = g->o->pd)) {
		if ((err = PeerDistStartup(PEERDIST_VERSION, &own, NULL)))
			return failed(g, PD_GET_FAILED, err, "the PeerDist API cannot start");
		g->pd = own;
	}
	g->window = malloc(READ_CHUNK);
	g->stage = malloc(ADD_CHUNK);
	if (!g->window || !g->stage)
		rc = failed(g, PD_GET_FAILED, 0, "out of memory");
	else if (!(rc = open_content(g)) && !(rc = count_cached(g)))
		rc = send_head(g, status, true, g->total, g->lo, g->hi - g->lo);
	for (pos = g->lo; !rc && pos < g->hi; )
		rc = read_step(g, &pos);
	if (g->content)
		PeerDistClientCloseContent(g->pd, g->content);
	if (own)
		PeerDistShutdown(own);
	return rc;
}

static void setup_curl(struct get *g)
{
	const struct pd_get_options *o = g->o;

	g->cu->easy_setopt(g->curl, CURLOPT_URL, o->url);
	g->cu->easy_setopt(g->curl, CURLOPT_ERRORBUFFER, g->errbuf);
	g->cu->easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, o->no_redirects ? 0L : 1L);
	g->cu->easy_setopt(g->curl, CURLOPT_MAXREDIRS, 50L);
	g->cu->easy_setopt(g->curl, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	g->cu->easy_setopt(g->curl, CURLOPT_HEADERFUNCTION, on_header);
	g->cu->easy_setopt(g->curl, CURLOPT_HEADERDATA, g);
	g->cu->easy_setopt(g->curl, CURLOPT_WRITEDATA, g);
	g->cu->easy_setopt(g->curl, CURLOPT_NOSIGNAL, 1L);
	g->cu->easy_setopt(g->curl, CURLOPT_USERAGENT, "peerdist/" PD_PACKAGE_VERSION);
	if (o->proxy)
		g->cu->easy_setopt(g->curl, CURLOPT_PROXY, o->proxy);
	if (o->user) {
		g->cu->easy_setopt(g->curl, CURLOPT_USERPWD, o->user);
		g->cu->easy_setopt(g->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_ANY);
	}
}

/* After the first request: what its answer was, and the rest of the get. */
static int follow_up(struct get *g)
{
	char *effective = NULL;
	int rc;

	if (g->answer == ANSWER_AGAIN_WITH_RANGE) {
		g->headers_len = 0;
		rc = request(g, PD_PCCRTP_ASK_MISSING, g->o->range, on_body);
		if (rc && !(rc == PD_GET_WRITE_ERROR && g->slice_done))
			return rc;
	}
	if (g->answer == ANSWER_UNKNOWN && pd_pccrtp_reply_usable(&g->reply) &&
	    !g->reply.other_coding && status_of(g) == 200)
		g->answer = ANSWER_CI;		/* content information, all empty */
	if (g->answer == ANSWER_UNKNOWN || g->answer == ANSWER_AGAIN_WITH_RANGE) {
		g->answer = ANSWER_AGAIN_WITH_RANGE;	/* asked once: no other try */
		rc = identity_head(g);			/* an answer without a body */
		return rc == PD_GET_WRITE_ERROR && g->slice_done ? 0 : rc;
	}
	if (g->answer != ANSWER_CI)
		return 0;
	/* the missing data requests go where the answer came from */
	g->cu->easy_getinfo(g->curl, CURLINFO_EFFECTIVE_URL, &effective);
	if (effective && !(effective = strdup(effective)))
		return failed(g, PD_GET_FAILED, 0, "out of memory");
	if (effective)
		g->cu->easy_setopt(g->curl, CURLOPT_URL, effective);	/* curl copies it */
	free(effective);
	g->cu->easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 0L);
	return read_content(g);
}

int pd_get(const struct pd_get_options *o, struct pd_get_stats *st,
	   struct pd_get_error *err)
{
	struct get *g = calloc(1, sizeof(*g));
	int rc;

	memset(st, 0, sizeof(*st));
	memset(err, 0, sizeof(*err));
	if (!g) {
		snprintf(err->message, sizeof(err->message), "out of memory");
		return PD_GET_FAILED;
	}
	g->o = o;
	g->st = st;
	g->err = err;
	g->cu = pd_curl();
	if (!g->cu) {
		rc = failed(g, PD_GET_FAILED, 0, "%s", pd_curl_error());
		goto free_g;
	}
	if (!(g->curl = g->cu->easy_init())) {
		rc = failed(g, PD_GET_FAILED, 0, "libcurl cannot start");
		goto free_g;
	}
	pd_pccrtp_reply_init(&g->reply);
	setup_curl(g);
	rc = request(g, PD_PCCRTP_ASK_CI, NULL, on_body);
	if (rc == PD_GET_WRITE_ERROR && g->answer == ANSWER_AGAIN_WITH_RANGE)
		rc = 0;
	if (!rc)
		rc = follow_up(g);
	g->cu->easy_cleanup(g->curl);
	if (g->port)
		CloseHandle(g->port);
	pd_ci_free(g->parsed);
	free(g->ci);
	free(g->window);
	free(g->stage);
free_g:
	free(g);
	return rc;
}
