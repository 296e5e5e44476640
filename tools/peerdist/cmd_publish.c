// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist publish / unpublish: a publication that lasts. The file goes
 * through the PeerDist API as any publisher's would (its blocks into the
 * cache, V1 and V2 content information made); then the publication is
 * recorded in the store as kept, so it outlives this process and a
 * restart, as Publish-BCFileContent's hashes do, until `peerdist unpublish`.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <peerdist.h>

#include "cli.h"
#include "store.h"

#define CHUNK	(1u << 20)
/* publish_file's own status: reading the file failed (errno kept). */
#define READ_FAILED	0xffffffffu

static const char publish_help[] =
	"usage: peerdist publish [--v2] [-o OUT] ID FILE\n"
	"       peerdist publish --list\n\n"
	"Publishes FILE under the content identifier ID: its blocks go into the\n"
	"local cache, served to peers until evicted, and the publication (its V1\n"
	"and V2 content information) is kept in the store until 'peerdist\n"
	"unpublish ID', across restarts. The bytes are cached twice, once as V1\n"
	"segments and once as V2 segments. The content information of the\n"
	"version asked for is written to OUT, or to standard output unless that\n"
	"is a terminal.\n\n"
	"  --v2             write version 2.0 content information (default 1.0)\n"
	"  -o, --output OUT write the content information to OUT\n"
	"  -l, --list       list this user's kept publications\n"
	"  -h, --help       this text\n";

static const char unpublish_help[] =
	"usage: peerdist unpublish ID\n\n"
	"Ends this user's publication ID (as 'peerdist publish' made it): its\n"
	"content information is no longer handed out. Cached blocks stay until\n"
	"evicted or cleared (peerdist cache --clear).\n";

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

static DWORD publish_file(PEERDIST_INSTANCE_HANDLE pd, HANDLE port, const char *id,
			  FILE *in, uint64_t size, const char *name, int *read_errno)
{
	PEERDIST_STREAM_HANDLE stream;
	OVERLAPPED ov = { 0 };
	uint8_t *buf = malloc(CHUNK);
	int progress = want_progress(size);
	uint64_t done = 0;
	DWORD err, n;
	size_t got;

	if (!buf)
		return ERROR_NOT_ENOUGH_MEMORY;
	err = PeerDistServerPublishStream(pd, strlen(id), (const BYTE *)id, size,
					  NULL, port, 0, &stream);
	while (err == ERROR_SUCCESS && (got = fread(buf, 1, CHUNK, in)) > 0) {
		err = wait_done(PeerDistServerPublishAddToStream(pd, stream, got,
								 buf, &ov), port, &n);
		done += got;
		if (progress)
			show_progress(done, size, (void *)name);
	}
	if (err == ERROR_SUCCESS && ferror(in)) {
		*read_errno = errno;
		err = READ_FAILED;
	}
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

struct publication {
	uint8_t *ci[2];			/* V1, V2 */
	size_t len[2];
};

/* Through the API: the blocks cached, both versions of content information. */
static int publish_through_api(const char *id, const char *file, FILE *in,
			       uint64_t size, struct publication *p)
{
	PEERDIST_INSTANCE_HANDLE pd;
	int read_errno = 0;
	HANDLE port;
	DWORD err;

	if (startup("publish", &pd))
		return EXIT_FAIL;
	port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	err = publish_file(pd, port, id, in, size, file, &read_errno);
	if (!err)
		err = retrieve(pd, port, id, 1, &p->ci[0], &p->len[0]);
	if (!err)
		err = retrieve(pd, port, id, 2, &p->ci[1], &p->len[1]);
	PeerDistShutdown(pd);	/* ends the API's publication; kept() renews it */
	CloseHandle(port);
	if (err == PEERDIST_ERROR_ALREADY_EXISTS)
		return fail(id, "already published by this user (peerdist unpublish "
			    "it first; peerdist publish --list shows them)");
	if (err == READ_FAILED)
		return fail(file, "read error: %s", strerror(read_errno));
	if (err == PEERDIST_ERROR_OUT_OF_BOUNDS || err == ERROR_INVALID_PARAMETER)
		return fail(file, "its size changed while it was published");
	return err ? fail(file, "publishing failed: %s", win32_words(err)) : 0;
}

/* The publication recorded in the store as kept: it lasts. */
static int keep(const char *id, const struct publication *p)
{
	struct pd_store *s;
	int err;

	if (open_store("publish", &s))
		return EXIT_FAIL;
	err = s->ops->publish(s, geteuid(), id, strlen(id), p->ci[0], p->len[0],
			      p->ci[1], p->len[1]);
	if (!err)
		err = s->ops->keep(s, geteuid(), id, strlen(id));
	s->ops->close(s);
	if (err == -EEXIST)
		return fail(id, "published by another process meanwhile");
	return err ? fail(id, "cannot keep the publication: %s", strerror(-err)) : 0;
}

/* The file to publish, open, with its size; the refusals in words. */
static FILE *open_input(const char *file, uint64_t *size)
{
	struct stat st;
	FILE *in;

	in = fopen(file, "rb");
	if (!in || fstat(fileno(in), &st)) {
		fail(file, "%s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		fail(file, "is a directory: publish one file at a time");
	} else if (S_ISREG(st.st_mode) && !st.st_size) {
		fail(file, "is empty: there is nothing to publish");
	} else {
		*size = S_ISREG(st.st_mode) ? st.st_size : 0;
		return in;
	}
	if (in)
		fclose(in);
	return NULL;
}

static int print_ident(const void *ident, size_t len, void *arg)
{
	const unsigned char *p = ident;
	size_t i;

	(void)arg;
	for (i = 0; i < len && isprint(p[i]); i++)
		;
	if (i == len) {
		printf("%.*s\n", (int)len, (const char *)p);
		return 0;
	}
	printf("0x");
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	putchar('\n');
	return 0;
}

static int list_kept(void)
{
	struct pd_store *s;
	int err;

	if (open_store("publish", &s))
		return EXIT_FAIL;
	err = s->ops->list_kept(s, geteuid(), print_ident, NULL);
	s->ops->close(s);
	return err ? fail("publish", "cannot list the publications: %s", strerror(-err)) :
		     EXIT_OK;
}

static int publish(const char *id, const char *file, const char *output,
		   DWORD version)
{
	struct publication p = { { NULL, NULL }, { 0, 0 } };
	int to_stdout = !output || !strcmp(output, "-");
	int write_ci = !(to_stdout && isatty(1));
	uint64_t size = 0;
	FILE *in;
	int ret;

	if (!(in = open_input(file, &size)))
		return EXIT_FAIL;
	ret = publish_through_api(id, file, in, size, &p);
	fclose(in);
	if (!ret)
		ret = keep(id, &p);
	if (!ret && write_ci &&
	    (ret = write_all(output, p.ci[version - 1], p.len[version - 1], 0)))
		ret = fail(to_stdout ? "stdout" : output, "%s", strerror(-ret));
	if (!ret)
		fprintf(to_stdout && write_ci ? stderr : stdout,
			"published '%s': kept until 'peerdist unpublish %s'; content "
			"information V1 (%zu bytes) and V2 (%zu bytes) both stored\n",
			id, id, p.len[0], p.len[1]);
	free(p.ci[0]);
	free(p.ci[1]);
	return ret;
}

int cmd_publish(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "v2", no_argument, NULL, '2' },
		{ "output", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *output = NULL;
	DWORD version = 1;
	int c, list = 0;

	while ((c = getopt_long(argc, argv, ":o:lh", longopts, NULL)) != -1) {
		switch (c) {
		case '2':
			version = 2;
			break;
		case 'o':
			output = optarg;
			break;
		case 'l':
			list = 1;
			break;
		case 'h':
			fputs(publish_help, stdout);
			return EXIT_OK;
		default:
			return option_error("publish", argv, c);
		}
	}
	if (list)
		return optind == argc ? list_kept() :
			usage_error("publish", "--list takes no other arguments");
	if (optind != argc - 2)
		return usage_error("publish", "expected ID and FILE");
	if (!*argv[optind])
		return usage_error("publish", "the ID is empty");
	return publish(argv[optind], argv[optind + 1], output, version);
}

int cmd_unpublish(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct pd_store *s;
	int c, err;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c != 'h')
			return option_error("unpublish", argv, c);
		fputs(unpublish_help, stdout);
		return EXIT_OK;
	}
	if (optind != argc - 1 || !*argv[optind])
		return usage_error("unpublish", "expected one ID");
	if (open_store("unpublish", &s))
		return EXIT_FAIL;
	err = s->ops->unpublish(s, geteuid(), argv[optind], strlen(argv[optind]));
	s->ops->close(s);
	if (err == -ENOENT)
		return fail(argv[optind], "not published by this user "
			    "(peerdist publish --list shows what is)");
	return err ? fail(argv[optind], "cannot unpublish: %s", strerror(-err)) : EXIT_OK;
}
