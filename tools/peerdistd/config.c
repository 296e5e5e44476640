// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdistd's command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerdistd.h"

#define DEFAULT_PORT	3703	/* not 80: Windows' own port-80 use is a known pain */

static const char help[] =
	"usage: peerdistd [--listen ADDR] [--port N] [--interfaces LIST]\n"
	"                 [--no-discovery] [--verbose]\n\n"
	"The peerdist service. This version serves MS-PCCRR block retrieval from\n"
	"the local store (PEERDIST_CACHE_DIR) in the foreground until SIGTERM or\n"
	"SIGINT; discovery and fetching from peers come later.\n\n"
	"  --listen ADDR   IPv4 or IPv6 address to listen on (default ::)\n"
	"  --port N        TCP port (default 3703; 0 picks a free one)\n"
	"  --interfaces L  answer discovery on these interfaces (comma list;\n"
	"                  default: every multicast one)\n"
	"  --no-discovery  do not answer discovery Probes\n"
	"  --verbose       log every request on stderr\n";

int pd_config_parse(int argc, char **argv, struct pd_config *cfg)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "interfaces", required_argument, NULL, 'i' },
		{ "no-discovery", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	long port;
	int c;

	strcpy(cfg->listen_addr, "::");
	cfg->port = DEFAULT_PORT;
	cfg->max_clients = 64;
	cfg->upload_timeout_ms = 15000;
	cfg->discovery = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (strlen(optarg) >= sizeof(cfg->listen_addr))
				goto usage;
			strcpy(cfg->listen_addr, optarg);
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end || port < 0 || port > 65535)
				goto usage;
			cfg->port = port;
			break;
		case 'i':
			if (strlen(optarg) >= sizeof(cfg->interfaces))
				goto usage;
			strcpy(cfg->interfaces, optarg);
			break;
		case 'n':
			cfg->discovery = 0;
			break;
		case 'v':
			cfg->verbose = 1;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		default:
			goto usage;
		}
	}
	if (optind == argc)
		return 0;
usage:
	fputs(help, stderr);
	return 2;
}
