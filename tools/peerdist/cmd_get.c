// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist get: downloads a URL the way a Windows BranchCache client does,
 * through the streaming GET of lib/http (get.h): the request carries the
 * PeerDist headers (MS-PCCRTP); an identity answer is saved as it comes; a
 * peerdist answer (content information) is read through libpeerdist: the
 * local cache, then peers (peerdistd), and what nobody has comes from the
 * origin with MissingDataRequest Range requests, added with
 * PeerDistClientAddData so that peers have it next. Only bytes the library
 * returned (verified against their hashes) are written, a window at a
 * time; a file is put in place only when the whole content verified.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "get.h"
#include "json.h"
#include "pccrtp.h"

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

struct get {
	const char *file;
	struct output out;
	int opened, write_err;
	int progress, verbose, peerdist;
	uint64_t total, shown;
	struct pd_get_stats st;
};

static int on_head(void *arg, const struct pd_get_head *h)
{
	struct get *g = arg;
	int err = output_open(&g->out, g->file, 0);

	if (err) {
		g->write_err = err;
		return PD_GET_WRITE_ERROR;
	}
	g->opened = 1;
	g->peerdist = h->peerdist;
	g->total = h->count > 0 ? (uint64_t)h->count : 0;
	g->progress = h->peerdist && isatty(2);
	return 0;
}

static void show_sources(const struct get *g)
{
	uint64_t done = g->st.delivered;

	fprintf(stderr, "\rpeerdist: get: %3u%% (%llu of %llu MiB): cache %llu, peers %llu, "
		"origin %llu MiB", (unsigned)(g->total ? done * 100 / g->total : 100),
		(unsigned long long)(done >> 20), (unsigned long long)(g->total >> 20),
		(unsigned long long)(g->st.from_cache >> 20),
		(unsigned long long)(g->st.from_peers >> 20),
		(unsigned long long)(g->st.from_origin >> 20));
	if (done == g->total)
		fputc('\n', stderr);
}

static int on_bytes(void *arg, const uint8_t *p, size_t len)
{
	struct get *g = arg;
	uint64_t done = g->st.delivered + len;

	if ((g->write_err = output_write(&g->out, p, len)))
		return -1;
	if (g->progress && (done - g->shown >= (1u << 20) || done == g->total)) {
		g->st.delivered = done;		/* what show_sources tells */
		show_sources(g);
		g->st.delivered -= len;
		g->shown = done;
	}
	return 0;
}

static void on_origin_range(void *arg, uint64_t lo, uint64_t hi)
{
	struct get *g = arg;

	if (g->verbose)
		fprintf(stderr, "peerdist: get: bytes %llu-%llu from the origin\n",
			(unsigned long long)lo, (unsigned long long)hi);
}

static void summary(const struct get *g, const char *url, int64_t ms, int json)
{
	const struct pd_get_stats *st = &g->st;
	const char *file = g->file;

	if (json) {
		fprintf(stderr, "{\"url\": ");
		json_print_string(stderr, url);
		fprintf(stderr, ", \"output\": ");
		json_print_string(stderr, file ? file : "-");
		fprintf(stderr, ", \"peerdist\": %s, \"bytes\": %llu, \"from_cache\": %llu, "
			"\"from_peers\": %llu, \"from_origin\": %llu, "
			"\"content_information_bytes\": %llu, \"ms\": %lld}\n",
			g->peerdist ? "true" : "false", (unsigned long long)st->delivered,
			(unsigned long long)st->from_cache, (unsigned long long)st->from_peers,
			(unsigned long long)st->from_origin, (unsigned long long)st->ci_bytes,
			(long long)ms);
		return;
	}
	fprintf(stderr, "peerdist: get: %s: %llu bytes in %lld ms (%s): %llu from the cache, "
		"%llu from peers, %llu from the origin\n", file ? file : "-",
		(unsigned long long)st->delivered, (long long)ms,
		g->peerdist ? "peerdist" : "identity", (unsigned long long)st->from_cache,
		(unsigned long long)st->from_peers, (unsigned long long)st->from_origin);
}

static int get_url(struct get *g, struct pd_get_options *o, int json)
{
	int64_t start = pd_now_ms();
	struct pd_get_error err;
	int rc, cerr = 0;

	o->head = on_head;
	o->sink = on_bytes;
	o->origin_range = on_origin_range;
	o->arg = g;
	o->fail_on_error = true;
	rc = pd_get(o, &g->st, &err);
	if (!g->opened && !rc)	/* no head came: an empty answer is an empty file */
		rc = on_head(g, &(struct pd_get_head){ .status = 200 });
	if (g->opened)
		cerr = output_close(&g->out, !rc);
	if (g->write_err || (!rc && cerr))
		return fail("get", "%s: %s", g->file ? g->file : "standard output",
			    strerror(-(g->write_err ? g->write_err : cerr))), PD_GET_WRITE_ERROR;
	if (rc && err.win32)
		return fail("get", "%s: %s", err.message, win32_words(err.win32)), rc;
	if (rc)
		return fail("get", "%s", err.message), rc;
	summary(g, o->url, pd_now_ms() - start, json);
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
	struct pd_get_options o = { .max_ci = PD_PCCRTP_CI_V1, .timeout = PEERDIST_READ_TIMEOUT_DEFAULT };
	struct get g = { 0 };
	int c, json = 0;
	uint64_t ms;

	while ((c = getopt_long(argc, argv, ":o:u:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': g.file = optarg; break;
		case 'u': o.user = optarg; break;
		case 'j': json = 1; break;
		case 'v': g.verbose = 1; break;
		case '2': o.max_ci = PD_PCCRTP_CI_V2; break;
		case 't':
			if (parse_size(optarg, &ms) || ms >= PEERDIST_READ_TIMEOUT_DEFAULT)
				return usage_error("get", "bad --timeout '%s'", optarg);
			o.timeout = ms;
			break;
		case 'h': fputs(get_help, stdout); return EXIT_OK;
		default: return option_error("get", argv, c);
		}
	}
	if (optind + 1 != argc)
		return usage_error("get", optind == argc ? "a URL is needed" :
				   "one URL at a time");
	o.url = argv[optind];
	return get_url(&g, &o, json);
}
