// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdist status / cache / flush: the local side of the service. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdist.h>

#include "cli.h"
#include "hex.h"
#include "store.h"

int cmd_status(int argc, char **argv)
{
	PEERDIST_STATUS_INFO info = { .cbSize = sizeof(info) };
	static const char *const names[] = { "disabled", "unavailable", "available" };
	PEERDIST_INSTANCE_HANDLE pd;
	const char *backend = getenv("PEERDIST_BACKEND");
	DWORD err;

	if (argc != 1)
		return usage_error("status", "takes no arguments");
	err = PeerDistStartup(PEERDIST_VERSION, &pd, NULL);
	if (err)
		return fail("status", "unavailable (PeerDistStartup: error %u)", err);
	err = PeerDistGetStatusEx(pd, &info);
	PeerDistShutdown(pd);
	if (err)
		return fail("status", "PeerDistGetStatusEx: error %u", err);
	printf("status: %s\nbackend: %s\ncontent information versions: %u.0-%u.0\n",
	       names[info.status], backend && *backend ? backend : "user",
	       info.dwMinVer, info.dwMaxVer);
	return EXIT_OK;
}

int cmd_cache(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-bytes", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct pd_store_stats st;
	struct pd_store *s;
	uint64_t max = 0;
	int c, err, set = 0;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_size(optarg, &max))
				return usage_error("cache", "bad size '%s'", optarg);
			set = 1;
			break;
		case 'h':
			puts("usage: peerdist cache [--max-bytes N]\n\n"
			     "Shows the local cache's size, segments and counters;\n"
			     "--max-bytes sets its size cap (K/M/G/T suffixes).");
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return usage_error("cache", "unexpected argument '%s'", argv[optind]);
	err = pd_store_open(&s);
	if (err)
		return fail("cache", "cannot open the cache: %s", strerror(-err));
	if (set && (err = s->ops->set_max_bytes(s, max)))
		return fail("cache", "cannot set the cap: %s", strerror(-err));
	s->ops->stats(s, &st);
	printf("backend: %s\nbytes cached: %llu\nsize cap: %llu\nsegments: %llu\n"
	       "hits: %llu\nmisses: %llu\nevictions: %llu\nverification failures: %llu\n",
	       s->ops->name, (unsigned long long)st.bytes_cached,
	       (unsigned long long)st.max_bytes, (unsigned long long)st.segments,
	       (unsigned long long)st.hits, (unsigned long long)st.misses,
	       (unsigned long long)st.evictions,
	       (unsigned long long)st.verify_failures);
	s->ops->close(s);
	return EXIT_OK;
}

/* A tag is 32 hex digits, or text of up to 16 bytes (zero-padded). */
static int parse_tag(const char *s, PEERDIST_CONTENT_TAG *tag)
{
	size_t len = strlen(s);

	memset(tag, 0, sizeof(*tag));
	if (len == 32 && pd_hex_decode(s, tag->Data, 16) == 16)
		return 0;
	memset(tag, 0, sizeof(*tag));
	if (!len || len > 16)
		return -1;
	memcpy(tag->Data, s, len);
	return 0;
}

int cmd_flush(int argc, char **argv)
{
	PEERDIST_INSTANCE_HANDLE pd;
	PEERDIST_CONTENT_TAG tag;
	HANDLE port;
	OVERLAPPED ov = { 0 }, *done;
	ULONG_PTR key;
	DWORD err, n;

	if (argc != 2 || parse_tag(argv[1], &tag))
		return usage_error("flush", "expected one TAG: 32 hex digits or up to "
				   "16 characters");
	err = PeerDistStartup(PEERDIST_VERSION, &pd, NULL);
	if (err)
		return fail("flush", "PeerDistStartup: error %u", err);
	port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	err = PeerDistClientFlushContent(pd, &tag, port, 0, &ov);
	if (err == ERROR_IO_PENDING)
		err = GetQueuedCompletionStatus(port, &n, &key, &done, INFINITE) ?
			ERROR_SUCCESS : GetLastError();
	PeerDistShutdown(pd);
	CloseHandle(port);
	return err ? fail(argv[1], "flush failed: error %u", err) : EXIT_OK;
}
