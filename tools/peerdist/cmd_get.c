// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist get: downloads a URL the way a Windows BranchCache client does.
 * The request carries the PeerDist headers (MS-PCCRTP); an identity answer
 * is saved as it is; a peerdist answer (content information) is read
 * through libpeerdist: the local cache, then peers (peerdistd), and what
 * nobody has comes from the origin with MissingDataRequest Range requests,
 * added with PeerDistClientAddData so that peers have it next. Only bytes
 * the library returned (verified against their hashes) are written.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "json.h"
#include "pccrtp.h"

/* Exit codes as curl's (its CURLcode for transfer errors) and ours. */
#define EXIT_HTTP_ERROR		22	/* CURLE_HTTP_RETURNED_ERROR: status >= 400 */
#define EXIT_WRITE_ERROR	23	/* CURLE_WRITE_ERROR: the output */
#define EXIT_BAD_CONTENT	61	/* CURLE_BAD_CONTENT_ENCODING: nothing verifies */

#define BODY_MAX	(64ull << 30)
#define ADD_CHUNK	(1u << 20)	/* origin bytes handed to AddData at once */
#define READ_CHUNK	(1u << 20)

static const char get_help[] =
	"usage: peerdist get [OPTIONS] URL\n\n"
	"Downloads URL with BranchCache: content the server describes with content\n"
	"information comes from the local cache, then from peers, and only what\n"
	"nobody has from the server; every byte is checked against its hash.\n\n"
	"  -o, --output FILE  write to FILE (default: standard output)\n"
	"  -u, --user U:P     server user and password (as curl -u)\n"
	"      --timeout MS   how long to wait for peers per range (default 5000)\n"
	"      --json         the summary on standard error as a JSON object\n"
	"  -v, --verbose      name the ranges fetched from the origin\n"
	"      --v2           accept content information 2.0 (default: 1.0 only)\n"
	"  -h, --help         this text\n\n"
	"Exit codes: 0 done; curl's for transfer errors (6 host not found, 7 no\n"
	"connection, 22 HTTP error, 23 write error, 28 timeout, 61 content that\n"
	"does not verify); 1 another failure; 2 a usage error.\n";

struct buf {
	uint8_t *data;
	size_t len, cap;
};

struct get {
	const char *url, *user;
	char *origin;		/* where the content information came from */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	/* the first answer */
	struct pd_pccrtp_reply reply;
	struct buf body;
	/* reading content */
	PEERDIST_INSTANCE_HANDLE pd;
	PEERDIST_CONTENT_HANDLE content;
	HANDLE port;
	uint8_t *out;
	uint64_t total;
	uint64_t from_cache, from_peers, from_origin, ci_bytes;
	uint64_t origin_lo, origin_hi;	/* the last range fetched from the origin */
	DWORD timeout;
	int progress, verbose;
	unsigned max_ci;		/* content information version asked for at most */
	/* one missing range being fetched */
	uint64_t want_lo, want_hi, at;
	struct buf stage;
	DWORD add_err;
};

static int grow(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 65536;
	uint8_t *p;

	if (more > BODY_MAX - b->len)
		return -1;
	while (cap < b->len + more)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

static size_t to_body(char *p, size_t size, size_t n, void *arg)
{
	struct get *g = arg;

	if (grow(&g->body, size * n))
		return 0;
	memcpy(g->body.data + g->body.len, p, size * n);
	g->body.len += size * n;
	return size * n;
}

static size_t reply_header(char *p, size_t size, size_t n, void *arg)
{
	struct get *g = arg;
	size_t len = size * n, nlen;
	char *colon = memchr(p, ':', len);

	if (!strncmp(p, "HTTP/", 5))	/* a new answer (after a redirect, or 100) */
		pd_pccrtp_reply_init(&g->reply);
	if (!colon)
		return len;
	nlen = colon - p;
	colon++;
	while (colon < p + len && (*colon == ' ' || *colon == '\t'))
		colon++;
	while (len > (size_t)(colon - p) && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
					     p[len - 1] == ' '))
		len--;
	pd_pccrtp_reply_header(&g->reply, p, nlen, colon, p + len - colon);
	return size * n;
}

/* One request of kind (with a Range when hi > lo); the transfer's exit code. */
static int http_get(struct get *g, enum pd_pccrtp_client_kind kind, uint64_t lo,
		    uint64_t hi, curl_write_callback sink)
{
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];
	struct curl_slist *list = NULL, *l;
	unsigned i, n = pd_pccrtp_client_headers(kind, g->max_ci, h);
	char line[256], range[64];
	long status = 0;
	CURLcode rc;

	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s: %s", h[i].name, h[i].value);
		if (!(l = curl_slist_append(list, line)))
			goto oom;
		list = l;
	}
	curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, list);
	if (hi > lo) {
		snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)lo,
			 (unsigned long long)hi - 1);
		curl_easy_setopt(g->curl, CURLOPT_RANGE, range);
	} else {
		curl_easy_setopt(g->curl, CURLOPT_RANGE, NULL);
	}
	curl_easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, sink);
	rc = curl_easy_perform(g->curl);
	curl_slist_free_all(list);
	curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_WRITE_ERROR && g->add_err)
		return fail("get", "%s: bytes from the server do not match the content "
			    "information: %s", g->url, win32_words(g->add_err)), EXIT_BAD_CONTENT;
	if (rc)
		return fail("get", "%s: %s", g->url, g->errbuf[0] ? g->errbuf :
			    curl_easy_strerror(rc)), rc;
	if (status >= 400)
		return fail("get", "%s: the server answered %ld", g->url, status),
		       EXIT_HTTP_ERROR;
	return 0;
oom:
	curl_slist_free_all(list);
	return fail("get", "out of memory");
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

	if (g->stage.len)
		err = add_data(g, g->at - g->stage.len, g->stage.data, g->stage.len);
	g->stage.len = 0;
	return err;
}

/* Origin bytes of the missing range, staged and handed to AddData. */
static size_t to_cache(char *p, size_t size, size_t n, void *arg)
{
	struct get *g = arg;
	size_t len = size * n, skip = 0, take;
	long status = 0;

	curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 206 && g->at < g->want_lo) {	/* the whole entity: skip to lo */
		skip = g->want_lo - g->at < len ? g->want_lo - g->at : len;
		g->at += skip;
	}
	while (skip < len && g->at < g->want_hi) {
		take = len - skip;
		if (take > g->want_hi - g->at)
			take = g->want_hi - g->at;
		if (take > ADD_CHUNK - g->stage.len)
			take = ADD_CHUNK - g->stage.len;
		memcpy(g->stage.data + g->stage.len, p + skip, take);
		g->stage.len += take;
		g->at += take;
		skip += take;
		if (g->stage.len == ADD_CHUNK && (g->add_err = flush_stage(g)))
			return 0;
	}
	return len;
}

static int fetch_missing(struct get *g, uint64_t lo, uint64_t hi)
{
	int rc;

	if (lo >= g->origin_lo && hi <= g->origin_hi)
		return fail("get", "%s: bytes %llu-%llu from the server do not match the "
			    "content information", g->url, (unsigned long long)lo,
			    (unsigned long long)hi), EXIT_BAD_CONTENT;
	g->want_lo = lo;
	g->want_hi = hi;
	g->at = lo;
	g->add_err = 0;
	rc = http_get(g, PD_PCCRTP_ASK_MISSING, lo, hi, to_cache);
	if (!rc && (g->add_err = flush_stage(g)))
		rc = (fail("get", "%s: bytes from the server do not match the content "
			   "information: %s", g->url, win32_words(g->add_err)), EXIT_BAD_CONTENT);
	if (!rc && g->at < hi)
		rc = (fail("get", "%s: the server sent bytes %llu-%llu of %llu-%llu", g->url,
			   (unsigned long long)lo, (unsigned long long)g->at,
			   (unsigned long long)lo, (unsigned long long)hi), EXIT_BAD_CONTENT);
	g->from_origin += g->at - lo;
	g->origin_lo = lo;
	g->origin_hi = hi;
	return rc;
}

/* A read at pos (timeout 0: a query of what is local when max is 0). */
static DWORD read_at(struct get *g, uint64_t pos, DWORD max, DWORD timeout,
		     DWORD *n, uint64_t *at)
{
	OVERLAPPED ov = { 0 }, *done;
	DWORD err;

	ov.Offset = (DWORD)pos;
	ov.OffsetHigh = (DWORD)(pos >> 32);
	err = PeerDistClientBlockRead(g->pd, g->content, max, max ? g->out + pos : NULL,
				      timeout, &ov);
	if (err != ERROR_IO_PENDING)
		return err;
	err = complete(g, n, &done);
	*at = (uint64_t)done->OffsetHigh << 32 | done->Offset;
	return err;
}

/* Of the first done bytes, those neither cached before nor fetched from the origin. */
static uint64_t from_peers(const struct get *g, uint64_t done)
{
	uint64_t other = g->from_cache + g->from_origin;

	return done > other ? done - other : 0;
}

static void show_sources(const struct get *g, uint64_t done)
{
	fprintf(stderr, "\rpeerdist: get: %3u%% (%llu of %llu MiB): cache %llu, peers %llu, "
		"origin %llu MiB", (unsigned)(g->total ? done * 100 / g->total : 100),
		(unsigned long long)(done >> 20), (unsigned long long)(g->total >> 20),
		(unsigned long long)(g->from_cache >> 20), (unsigned long long)(from_peers(g, done) >> 20),
		(unsigned long long)(g->from_origin >> 20));
	if (done == g->total)
		fputc('\n', stderr);
}

/*
 * What the local cache holds before anything is fetched: runs of local
 * bytes (0-byte queries) and the missing ranges between them (1-byte reads
 * of the cache only). Bounded: every step moves forward.
 */
static int count_cached(struct get *g)
{
	uint64_t pos = 0, at;
	DWORD n, err;

	while (pos < g->total) {
		n = 0;
		err = read_at(g, pos, 0, PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY, &n, &at);
		if (!err && n) {
			g->from_cache += n;
			pos += n;
			continue;
		}
		err = read_at(g, pos, 1, PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY, &n, &at);
		if (err == PEERDIST_ERROR_MISSING_DATA && at == pos && n)
			pos += n;
		else if (err)
			return fail("get", "%s: the local cache: %s", g->url, win32_words(err));
	}
	return 0;
}

/* One read at pos: the cache or peers, else the origin; 0 or an exit code. */
static int read_step(struct get *g, uint64_t *pos)
{
	uint64_t left = g->total - *pos, at;
	DWORD max = left < READ_CHUNK ? left : READ_CHUNK, n = 0, local = 0, err;

	err = read_at(g, *pos, max, g->timeout, &n, &at);
	if (err == ERROR_TIMEOUT && !read_at(g, at, 0, PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY,
					     &local, &at) && local)
		return 0;	/* a peer's bytes arrived as the wait ended: read them */
	/* a trust failure: only peers that sent wrong blocks have them */
	if (err == PEERDIST_ERROR_MISSING_DATA || err == ERROR_TIMEOUT ||
	    err == PEERDIST_ERROR_TRUST_FAILURE) {
		if (g->verbose)
			fprintf(stderr, "peerdist: get: bytes %llu-%llu from the origin\n",
				(unsigned long long)at, (unsigned long long)(at + n));
		return fetch_missing(g, at, at + (n ? n : 1));
	}
	if (err)
		return fail("get", "%s: reading the content: %s", g->url, win32_words(err));
	if (at != *pos || !n)
		return fail("get", "%s: a read at %llu returned bytes at %llu", g->url,
			    (unsigned long long)*pos, (unsigned long long)at);
	*pos += n;
	return 0;
}

static int open_content(struct get *g)
{
	PEERDIST_CONTENT_TAG tag = { "peerdist-get" };
	OVERLAPPED ov = { 0 }, *done;
	DWORD err, n;

	g->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	if (!g->port)
		return fail("get", "no completion port");
	err = PeerDistClientOpenContent(g->pd, &tag, g->port, 0, &g->content);
	if (!err && (err = PeerDistClientAddContentInformation(g->pd, g->content,
			g->body.len, g->body.data, &ov)) == ERROR_IO_PENDING)
		err = complete(g, &n, &done);
	if (!err && (err = PeerDistClientCompleteContentInformation(g->pd, g->content, &ov))
	    == ERROR_IO_PENDING)
		err = complete(g, &n, &done);
	if (err)
		return fail("get", "%s: the content information: %s", g->url,
			    win32_words(err)), EXIT_BAD_CONTENT;
	return 0;
}

static int read_content(struct get *g)
{
	uint64_t pos = 0, shown = 0;
	int rc;

	g->total = g->reply.content_length;
	g->ci_bytes = g->body.len;
	g->progress = isatty(2);
	if (startup("get", &g->pd))
		return EXIT_FAIL;
	if ((rc = open_content(g)))
		return rc;
	g->out = malloc(g->total ? g->total : 1);
	g->stage.data = malloc(ADD_CHUNK);
	if (!g->out || !g->stage.data)
		return fail("get", "out of memory for %llu bytes",
			    (unsigned long long)g->total);
	if ((rc = count_cached(g)))
		return rc;
	while (pos < g->total) {
		if ((rc = read_step(g, &pos)))
			return rc;
		if (g->progress && (pos - shown >= (1u << 20) || pos == g->total)) {
			show_sources(g, pos);
			shown = pos;
		}
	}
	g->from_peers = from_peers(g, g->total);
	return 0;
}

static void summary(const struct get *g, const char *file, int64_t ms, int json)
{
	uint64_t total = g->out ? g->total : g->body.len;

	if (json) {
		fprintf(stderr, "{\"url\": ");
		json_print_string(stderr, g->url);
		fprintf(stderr, ", \"output\": ");
		json_print_string(stderr, file ? file : "-");
		fprintf(stderr, ", \"peerdist\": %s, \"bytes\": %llu, \"from_cache\": %llu, "
			"\"from_peers\": %llu, \"from_origin\": %llu, "
			"\"content_information_bytes\": %llu, \"ms\": %lld}\n",
			g->out ? "true" : "false", (unsigned long long)total,
			(unsigned long long)g->from_cache, (unsigned long long)g->from_peers,
			(unsigned long long)g->from_origin, (unsigned long long)g->ci_bytes,
			(long long)ms);
		return;
	}
	fprintf(stderr, "peerdist: get: %s: %llu bytes in %lld ms (%s): %llu from the cache, "
		"%llu from peers, %llu from the origin\n", file ? file : "-",
		(unsigned long long)total, (long long)ms,
		g->out ? "peerdist" : "identity", (unsigned long long)g->from_cache,
		(unsigned long long)g->from_peers, (unsigned long long)g->from_origin);
}

static void setup_curl(struct get *g)
{
	curl_easy_setopt(g->curl, CURLOPT_URL, g->url);
	curl_easy_setopt(g->curl, CURLOPT_ERRORBUFFER, g->errbuf);
	curl_easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(g->curl, CURLOPT_MAXREDIRS, 50L);
	curl_easy_setopt(g->curl, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
	curl_easy_setopt(g->curl, CURLOPT_HEADERFUNCTION, reply_header);
	curl_easy_setopt(g->curl, CURLOPT_HEADERDATA, g);
	curl_easy_setopt(g->curl, CURLOPT_WRITEDATA, g);
	curl_easy_setopt(g->curl, CURLOPT_USERAGENT, "peerdist/" PD_PACKAGE_VERSION);
	if (g->user) {
		curl_easy_setopt(g->curl, CURLOPT_USERPWD, g->user);
		curl_easy_setopt(g->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_ANY);
	}
}

static int get_url(struct get *g, const char *file, int json)
{
	int64_t start = pd_now_ms();
	char *effective = NULL;
	int rc;

	setup_curl(g);
	if ((rc = http_get(g, PD_PCCRTP_ASK_CI, 0, 0, to_body)))
		return rc;
	if (pd_pccrtp_reply_usable(&g->reply) && !g->reply.other_coding) {
		/* the missing data requests go where the answer came from */
		curl_easy_getinfo(g->curl, CURLINFO_EFFECTIVE_URL, &effective);
		if (effective && !(g->origin = strdup(effective)))
			return fail("get", "out of memory");
		if (g->origin)
			curl_easy_setopt(g->curl, CURLOPT_URL, g->origin);
		curl_easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 0L);
		if ((rc = read_content(g)))
			return rc;
		rc = write_all(file, g->out, g->total, 0);
	} else {
		g->from_origin = g->body.len;
		rc = write_all(file, g->body.data, g->body.len, 0);
	}
	if (rc)
		return fail("get", "%s: %s", file ? file : "standard output", strerror(-rc)),
		       EXIT_WRITE_ERROR;
	summary(g, file, pd_now_ms() - start, json);
	return 0;
}

int cmd_get(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "user", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "v2", no_argument, NULL, '2' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct get g = { .timeout = PEERDIST_READ_TIMEOUT_DEFAULT, .max_ci = PD_PCCRTP_CI_V1 };
	const char *file = NULL;
	int c, json = 0, rc;
	uint64_t ms;

	while ((c = getopt_long(argc, argv, ":o:u:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': file = optarg; break;
		case 'u': g.user = optarg; break;
		case 'j': json = 1; break;
		case 'v': g.verbose = 1; break;
		case '2': g.max_ci = PD_PCCRTP_CI_V2; break;
		case 't':
			if (parse_size(optarg, &ms) || ms >= PEERDIST_READ_TIMEOUT_DEFAULT)
				return usage_error("get", "bad --timeout '%s'", optarg);
			g.timeout = ms;
			break;
		case 'h': fputs(get_help, stdout); return EXIT_OK;
		default: return option_error("get", argv, c);
		}
	}
	if (optind + 1 != argc)
		return usage_error("get", optind == argc ? "a URL is needed" :
				   "one URL at a time");
	g.url = argv[optind];
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(g.curl = curl_easy_init()))
		return fail("get", "libcurl cannot start");
	pd_pccrtp_reply_init(&g.reply);
	rc = get_url(&g, file, json);
	if (g.content)
		PeerDistClientCloseContent(g.pd, g.content);
	if (g.pd)
		PeerDistShutdown(g.pd);
	if (g.port)
		CloseHandle(g.port);
	curl_easy_cleanup(g.curl);
	free(g.body.data);
	free(g.stage.data);
	free(g.out);
	free(g.origin);
	return rc;
}
