// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist publish / unpublish: through the PeerDist API, as any publisher.
 * A publication lasts as long as the instance that made it (Windows'
 * rule), so `publish` ends its publication when it exits; the content and
 * its hashes stay in the cache, for peers, until evicted.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <peerdist.h>

#include "cli.h"

#define CHUNK	(1u << 20)

static const char publish_help[] =
	"usage: peerdist publish [--v2] [-o OUT] ID FILE\n\n"
	"Publishes FILE under the content identifier ID through the PeerDist API:\n"
	"its blocks go into the local cache (to be served to peers until evicted)\n"
	"and its content information is written to OUT or standard output.\n\n"
	"  --v2             content information version 2.0 (default 1.0)\n"
	"  -o, --output OUT write the content information to OUT\n";

/* The status of an operation that completes on port. */
static DWORD wait_done(DWORD ret, HANDLE port, DWORD *bytes)
{
	LPOVERLAPPED ov;
	ULONG_PTR key;

	if (ret != ERROR_IO_PENDING)
		return ret;
	return GetQueuedCompletionStatus(port, bytes, &key, &ov, INFINITE) ?
		ERROR_SUCCESS : GetLastError();
}

static DWORD publish_file(PEERDIST_INSTANCE_HANDLE pd, HANDLE port,
			  const char *id, FILE *in, uint64_t size)
{
	PEERDIST_STREAM_HANDLE stream;
	OVERLAPPED ov = { 0 };
	uint8_t *buf = malloc(CHUNK);
	DWORD err, n;
	size_t got;

	if (!buf)
		return ERROR_NOT_ENOUGH_MEMORY;
	err = PeerDistServerPublishStream(pd, strlen(id), (const BYTE *)id, size,
					  NULL, port, 0, &stream);
	while (err == ERROR_SUCCESS && (got = fread(buf, 1, CHUNK, in)) > 0)
		err = wait_done(PeerDistServerPublishAddToStream(pd, stream, got,
								 buf, &ov), port, &n);
	if (err == ERROR_SUCCESS)
		err = wait_done(PeerDistServerPublishCompleteStream(pd, stream, &ov),
				port, &n);
	if (err != PEERDIST_ERROR_ALREADY_EXISTS && err != ERROR_INVALID_PARAMETER)
		PeerDistServerCloseStreamHandle(pd, stream);
	free(buf);
	return err;
}

static DWORD retrieve(PEERDIST_INSTANCE_HANDLE pd, HANDLE port, const char *id,
		      DWORD version, uint8_t **out, size_t *len)
{
	PEERDIST_RETRIEVAL_OPTIONS opts = { sizeof(opts), 1, version, 0 };
	PEERDIST_CONTENTINFO_HANDLE h;
	OVERLAPPED ov = { 0 };
	DWORD err, n;

	*out = NULL;
	*len = 0;
	err = PeerDistServerOpenContentInformationEx(pd, strlen(id), (const BYTE *)id,
						     0, 0, &opts, port, 0, &h);
	while (err == ERROR_SUCCESS) {
		uint8_t *b = realloc(*out, *len + CHUNK);

		if (!b) {
			err = ERROR_NOT_ENOUGH_MEMORY;
			break;
		}
		*out = b;
		err = wait_done(PeerDistServerRetrieveContentInformation(pd, h, CHUNK,
				*out + *len, &ov), port, &n);
		if (err == ERROR_SUCCESS)
			*len += n;
	}
	if (err == PEERDIST_ERROR_NO_MORE) {
		PeerDistServerCloseContentInformation(pd, h);
		err = ERROR_SUCCESS;
	}
	return err;
}

int cmd_publish(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "v2", no_argument, NULL, '2' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	PEERDIST_INSTANCE_HANDLE pd;
	const char *output = NULL;
	DWORD version = 1, err;
	struct stat st;
	uint8_t *ci;
	size_t len;
	HANDLE port;
	FILE *in;
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case '2':
			version = 2;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(publish_help, stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 2)
		return usage_error("publish", "expected ID and FILE");
	if ((!output || !strcmp(output, "-")) && isatty(1))
		return usage_error("publish", "refusing to write binary content "
				   "information to a terminal; use -o FILE");
	in = fopen(argv[optind + 1], "rb");
	if (!in || fstat(fileno(in), &st))
		return fail(argv[optind + 1], "%s", strerror(errno));
	err = PeerDistStartup(PEERDIST_VERSION, &pd, NULL);
	if (err) {
		fclose(in);
		return fail("publish", "PeerDistStartup failed: error %u", err);
	}
	port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	err = publish_file(pd, port, argv[optind], in, S_ISREG(st.st_mode) ? st.st_size : 0);
	if (!err)
		err = retrieve(pd, port, argv[optind], version, &ci, &len);
	if (err == PEERDIST_ERROR_ALREADY_EXISTS)
		ret = fail(argv[optind], "already published by this user");
	else if (err)
		ret = fail(argv[optind + 1], "publishing failed: error %u", err);
	else if ((ret = write_all(output, ci, len)))
		ret = fail(output ? output : "stdout", "%s", strerror(-ret));
	if (!err)
		free(ci);
	PeerDistShutdown(pd);
	CloseHandle(port);
	fclose(in);
	return ret;
}

int cmd_unpublish(int argc, char **argv)
{
	PEERDIST_INSTANCE_HANDLE pd;
	DWORD err;

	if (argc != 2 || argv[1][0] == '-')
		return usage_error("unpublish", "expected one ID");
	err = PeerDistStartup(PEERDIST_VERSION, &pd, NULL);
	if (!err)
		err = PeerDistServerUnpublish(pd, strlen(argv[1]), (const BYTE *)argv[1]);
	if (!err)
		PeerDistShutdown(pd);
	return err ? fail(argv[1], "unpublish failed: error %u", err) : EXIT_OK;
}
