// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdist: the command-line tool. This file only dispatches. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct command commands[] = {
	{ "hash", cmd_hash, "write the content information of a file" },
	{ "info", cmd_info, "show what content information describes" },
	{ "verify", cmd_verify, "check a file against content information" },
	{ "secret", cmd_secret, "export or import the server secret (Windows format)" },
	{ "publish", cmd_publish, "publish a file until unpublished; list publications" },
	{ "unpublish", cmd_unpublish, "end a publication" },
	{ "status", cmd_status, "show the mode, the service, the module and the cache" },
	{ "cache", cmd_cache, "show the local cache, set its cap, clear it" },
	{ "flush", cmd_flush, "drop the cached content of a content tag" },
	{ "serve", cmd_serve, "serve a directory or an origin over HTTP with BranchCache" },
	{ "get", cmd_get, "download a URL through the cache and peers (BranchCache)" },
};

static int usage(FILE *out)
{
	int width = 0;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if ((int)strlen(commands[i].name) > width)
			width = strlen(commands[i].name);
	fprintf(out, "usage: peerdist COMMAND [OPTIONS] [ARGS]\n\n"
		     "BranchCache (Peer Distribution) for Linux.\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-*s  %s\n", width, commands[i].name, commands[i].summary);
	fprintf(out, "\n'peerdist COMMAND --help' shows a command's options; "
		     "man peerdist for more.\n");
	return out == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	size_t i;

	opterr = 0;	/* each command says what was wrong, and how to get help */
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout);
	if (!strcmp(argv[1], "--version")) {
		printf("peerdist %s\n", PD_PACKAGE_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "peerdist: unknown command '%s'%s\n", argv[1],
		argv[1][0] == '-' ? " (options go after the command)" : "");
	return usage(stderr);
}
