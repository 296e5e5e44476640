// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist status: what Get-BCStatus answers. Whether the PeerDist API is
 * available, the mode, whether peerdistd runs (from the state file it
 * writes, its pid checked, each listening address tried over TCP) and is
 * reachable, whether peerdist.ko is loaded, and the local cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <peerdist.h>

#include "cli.h"
#include "json.h"
#include "store.h"

#define SYSTEM_STATE_FILE	"/run/peerdist/peerdistd.json"
#define STATE_MAX_BYTES		(1u << 20)
#define MAX_LISTEN		8
#define CONNECT_TIMEOUT_MS	1000

static const char status_help[] =
	"usage: peerdist status [--json] [--state-file FILE]\n\n"
	"Shows whether peer distribution is available and how: the mode (local\n"
	"only, distributed, hosted-cache client or server), whether peerdistd runs\n"
	"(pid, since when, its addresses, and whether they accept connections),\n"
	"whether peerdist.ko is loaded, and the local cache (as peerdist cache).\n"
	"Exits 1 when the PeerDist API is unavailable, saying why.\n\n"
	"  --state-file FILE  peerdistd's state file (default: PEERDIST_STATE_FILE,\n"
	"                     else /run/peerdist/peerdistd.json for root, else\n"
	"                     $XDG_RUNTIME_DIR/peerdist/peerdistd.json or\n"
	"                     /tmp/peerdist-UID/peerdistd.json, then the system one)\n"
	"  --json             machine-readable output (fields in peerdist-status(1))\n"
	"  -h, --help         this text\n";

struct listener {
	char address[INET6_ADDRSTRLEN];
	long long port;
	int v6only;
	int reach_errno;		/* 0: a TCP connection was accepted */
};

struct daemon_state {
	char path[PATH_MAX];
	int found, stale;
	const char *problem;		/* why the state file is not usable */
	long long pid, started;
	char version[64], config_file[PATH_MAX], cache_dir[PATH_MAX], hosted_cache[256];
	int discovery, hosted_cache_server;
	struct listener listen[MAX_LISTEN];
	int nlisten;
	char *text;			/* the state file's bytes */
	struct json_doc *doc;
	int interfaces, advertised;	/* their tokens, or -1 */
};

/* The default state file of this user (root's is the system one). */
static void default_state_path(char *buf, size_t len)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		snprintf(buf, len, "%s", SYSTEM_STATE_FILE);
	else if (runtime && *runtime)
		snprintf(buf, len, "%s/peerdist/peerdistd.json", runtime);
	else
		snprintf(buf, len, "/tmp/peerdist-%u/peerdistd.json", (unsigned)geteuid());
}

/* A wildcard is tried through the loopback of its family. */
static int reach(const struct listener *l)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct pollfd p;
	socklen_t slen, elen = sizeof(int);
	int fd, err = 0;

	if (inet_pton(AF_INET6, l->address, &a6->sin6_addr) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr))
			a6->sin6_addr = in6addr_loopback;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(l->port);
		slen = sizeof(*a6);
	} else if (inet_pton(AF_INET, l->address, &a4->sin_addr) == 1) {
		if (a4->sin_addr.s_addr == htonl(INADDR_ANY))
			a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a4->sin_family = AF_INET;
		a4->sin_port = htons(l->port);
		slen = sizeof(*a4);
	} else {
		return EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, slen) && errno != EINPROGRESS) {
		err = errno;
	} else {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, CONNECT_TIMEOUT_MS) != 1)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			err = errno;
	}
	close(fd);
	return err;
}

static void read_listeners(struct daemon_state *d, int root)
{
	int arr = json_get(d->doc, root, "listen"), i;

	for (i = 0; i < json_count(d->doc, arr) && d->nlisten < MAX_LISTEN; i++) {
		int item = json_item(d->doc, arr, i);
		struct listener *l = &d->listen[d->nlisten];

		if (json_string(d->doc, json_get(d->doc, item, "address"), l->address,
				sizeof(l->address)) ||
		    json_int(d->doc, json_get(d->doc, item, "port"), &l->port) ||
		    l->port < 1 || l->port > 65535)
			continue;
		l->v6only = json_bool(d->doc, json_get(d->doc, item, "v6only"));
		l->reach_errno = reach(l);
		d->nlisten++;
	}
}

/* Reads and checks the state file at d->path; 1 if it exists. */
static int load_state(struct daemon_state *d)
{
	uint8_t *buf;
	size_t len;
	int root, err = read_all(d->path, STATE_MAX_BYTES, &buf, &len);

	if (err == -ENOENT)
		return 0;
	d->found = 1;
	if (err) {
		d->problem = strerror(-err);
		return 1;
	}
	d->text = (char *)buf;
	d->doc = malloc(sizeof(*d->doc));
	if (!d->doc || json_parse(d->text, len, d->doc) ||
	    json_int(d->doc, json_get(d->doc, 0, "pid"), &d->pid) || d->pid <= 0) {
		d->problem = "not a peerdistd state file";
		return 1;
	}
	root = 0;	/* the document's object */
	d->stale = kill(d->pid, 0) && errno != EPERM;
	if (d->stale)
		return 1;
	json_int(d->doc, json_get(d->doc, root, "started"), &d->started);
	json_string(d->doc, json_get(d->doc, root, "version"), d->version, sizeof(d->version));
	json_string(d->doc, json_get(d->doc, root, "config_file"), d->config_file,
		    sizeof(d->config_file));
	json_string(d->doc, json_get(d->doc, root, "cache_dir"), d->cache_dir,
		    sizeof(d->cache_dir));
	json_string(d->doc, json_get(d->doc, root, "hosted_cache"), d->hosted_cache,
		    sizeof(d->hosted_cache));
	d->discovery = json_bool(d->doc, json_get(d->doc, root, "discovery"));
	d->hosted_cache_server = json_bool(d->doc, json_get(d->doc, root,
							    "hosted_cache_server"));
	d->interfaces = json_get(d->doc, root, "interfaces");
	d->advertised = json_get(d->doc, root, "advertised");
	read_listeners(d, root);
	return 1;
}

/* The explicit file, else this user's default, else the system one. */
static void find_state(const char *explicit_path, struct daemon_state *d)
{
	const char *env = getenv("PEERDIST_STATE_FILE");

	d->interfaces = d->advertised = -1;
	if (explicit_path || (env && *env)) {
		snprintf(d->path, sizeof(d->path), "%s", explicit_path ? explicit_path : env);
		load_state(d);
		return;
	}
	default_state_path(d->path, sizeof(d->path));
	if (load_state(d) || geteuid() == 0)
		return;
	snprintf(d->path, sizeof(d->path), "%s", SYSTEM_STATE_FILE);
	if (!load_state(d))
		default_state_path(d->path, sizeof(d->path));
}

static int running(const struct daemon_state *d)
{
	return d->found && !d->problem && !d->stale;
}

static const char *mode(const struct daemon_state *d)
{
	if (!running(d))
		return "local only";
	if (d->hosted_cache_server)
		return "hosted-cache server";
	if (d->hosted_cache[0])
		return "hosted-cache client";
	return d->discovery ? "distributed" : "local only";
}

static const char *mode_detail(const struct daemon_state *d)
{
	if (!running(d))
		return "peerdistd is not running: no peer is served or asked";
	if (d->hosted_cache_server || d->hosted_cache[0])
		return "";
	return d->discovery ? "peerdistd answers discovery and serves peers" :
			      "peerdistd runs with discovery off: peers do not find it";
}

static const char *daemon_words(const struct daemon_state *d)
{
	if (!d->found)
		return "not running (no state file)";
	if (d->problem)
		return "unknown (the state file cannot be read)";
	return d->stale ? "not running (stale state file)" : "running";
}

/* The raw JSON of a state file's value (a list), or [] for none. */
static void print_raw(const struct daemon_state *d, int tok)
{
	if (tok < 0) {
		printf("[]");
		return;
	}
	fwrite(d->text + d->doc->tok[tok].start, 1,
	       d->doc->tok[tok].end - d->doc->tok[tok].start, stdout);
}

/* "  interfaces: eth0 (10.0.0.1, fe80::1), lo (127.0.0.1)" */
static void print_interfaces(const struct daemon_state *d)
{
	char name[64], addr[INET6_ADDRSTRLEN];
	int i, j, item, addrs;

	printf("  interfaces:           ");
	for (i = 0; i < json_count(d->doc, d->interfaces); i++) {
		item = json_item(d->doc, d->interfaces, i);
		if (json_string(d->doc, json_get(d->doc, item, "name"), name, sizeof(name)))
			continue;
		printf("%s%s (", i ? ", " : "", name);
		addrs = json_get(d->doc, item, "addresses");
		for (j = 0; j < json_count(d->doc, addrs); j++)
			if (!json_string(d->doc, json_item(d->doc, addrs, j), addr, sizeof(addr)))
				printf("%s%s", j ? ", " : "", addr);
		putchar(')');
	}
	printf("%s\n", json_count(d->doc, d->interfaces) ? "" : "(none)");
}

/* "  advertised: 10.0.0.1:3703 on eth0" */
static void print_advertised(const struct daemon_state *d)
{
	char ifname[64], xaddr[128];
	int i, item;

	printf("  advertised:           ");
	for (i = 0; i < json_count(d->doc, d->advertised); i++) {
		item = json_item(d->doc, d->advertised, i);
		if (!json_string(d->doc, json_get(d->doc, item, "interface"), ifname,
				 sizeof(ifname)) &&
		    !json_string(d->doc, json_get(d->doc, item, "xaddr"), xaddr, sizeof(xaddr)))
			printf("%s%s on %s", i ? ", " : "", xaddr, ifname);
	}
	printf("%s\n", json_count(d->doc, d->advertised) ? "" : "(nothing)");
}

static void print_daemon_text(const struct daemon_state *d)
{
	char when[64];
	time_t t = d->started;
	int i;

	printf("peerdistd:              %s\n", daemon_words(d));
	printf("  state file:           %s%s%s\n", d->path, d->problem ? ": " : "",
	       d->problem ? d->problem : "");
	if (!running(d))
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	printf("  pid:                  %lld, since %s\n", d->pid, d->started ? when : "?");
	printf("  version:              %s\n", d->version[0] ? d->version : "?");
	printf("  configuration file:   %s\n", d->config_file[0] ? d->config_file : "(none)");
	printf("  cache directory:      %s\n", d->cache_dir);
	printf("  discovery:            %s\n", d->discovery ? "on" : "off");
	if (d->hosted_cache[0])
		printf("  hosted cache:         %s\n", d->hosted_cache);
	for (i = 0; i < d->nlisten; i++) {
		const struct listener *l = &d->listen[i];

		printf("  retrieval:            %s port %lld%s: %s%s\n", l->address, l->port,
		       l->v6only ? " (IPv6 only)" : "",
		       l->reach_errno ? "not reachable: " : "reachable",
		       l->reach_errno ? strerror(l->reach_errno) : "");
	}
	if (!d->nlisten)
		printf("  retrieval:            no listening address in the state file\n");
	print_interfaces(d);
	print_advertised(d);
}

static void print_daemon_json(const struct daemon_state *d)
{
	int i;

	printf("{\"running\": %s, \"stale\": %s, \"state_file\": ",
	       running(d) ? "true" : "false", d->stale ? "true" : "false");
	json_print_string(stdout, d->path);
	printf(", \"problem\": ");
	if (d->problem)
		json_print_string(stdout, d->problem);
	else
		printf("null");
	if (!running(d)) {
		printf("}");
		return;
	}
	printf(",\n    \"pid\": %lld, \"started\": %lld, \"version\": ", d->pid, d->started);
	json_print_string(stdout, d->version);
	printf(", \"config_file\": ");
	json_print_string(stdout, d->config_file);
	printf(", \"cache_dir\": ");
	json_print_string(stdout, d->cache_dir);
	printf(", \"discovery\": %s,\n    \"listen\": [", d->discovery ? "true" : "false");
	for (i = 0; i < d->nlisten; i++) {
		const struct listener *l = &d->listen[i];

		printf("%s{\"address\": \"%s\", \"port\": %lld, \"v6only\": %s, "
		       "\"reachable\": %s, \"error\": ", i ? ", " : "", l->address, l->port,
		       l->v6only ? "true" : "false", l->reach_errno ? "false" : "true");
		if (l->reach_errno)
			json_print_string(stdout, strerror(l->reach_errno));
		else
			printf("null");
		printf("}");
	}
	printf("],\n    \"interfaces\": ");
	print_raw(d, d->interfaces);
	printf(", \"advertised\": ");
	print_raw(d, d->advertised);
	printf("}");
}

struct api_status {
	DWORD status;			/* PEERDIST_STATUS_*, or unavailable */
	DWORD min_ver, max_ver;
};

static void api_status(struct api_status *a)
{
	PEERDIST_STATUS_INFO info = { .cbSize = sizeof(info) };
	PEERDIST_INSTANCE_HANDLE pd;

	a->status = PEERDIST_STATUS_UNAVAILABLE;
	if (PeerDistStartup(PEERDIST_VERSION, &pd, NULL))
		return;
	if (!PeerDistGetStatusEx(pd, &info)) {
		a->status = info.status;
		a->min_ver = info.dwMinVer;
		a->max_ver = info.dwMaxVer;
	}
	PeerDistShutdown(pd);
}

static const char *const status_names[] = { "disabled", "unavailable", "available" };

static int module_loaded(void)
{
	return pd_store_kernel_available() || !access("/sys/module/peerdist", F_OK);
}

static void print_text(const struct api_status *a, const struct daemon_state *d,
		       const struct cache_facts *f)
{
	const char *detail = mode_detail(d);

	printf("PeerDist:               %s", status_names[a->status]);
	if (a->status != PEERDIST_STATUS_UNAVAILABLE)
		printf(" (content information versions %u.0-%u.0)", a->min_ver, a->max_ver);
	printf("\nmode:                   %s%s%s%s\n", mode(d), *detail ? " (" : "", detail,
	       *detail ? ")" : "");
	print_daemon_text(d);
	printf("peerdist.ko:            %s\n", module_loaded() ? "loaded" : "not loaded");
	if (!f) {
		printf("cache:                  unavailable\n");
		return;
	}
	printf("cache:\n");
	print_cache_text(f, "  ", 22, 0);
}

static void print_json(const struct api_status *a, const struct daemon_state *d,
		       const struct cache_facts *f)
{
	printf("{\"status\": \"%s\", ", status_names[a->status]);
	if (a->status != PEERDIST_STATUS_UNAVAILABLE)
		printf("\"content_information_versions\": [\"%u.0\", \"%u.0\"], ",
		       a->min_ver, a->max_ver);
	printf("\"mode\": \"%s\", \"module_loaded\": %s,\n  \"peerdistd\": ", mode(d),
	       module_loaded() ? "true" : "false");
	print_daemon_json(d);
	printf(",\n  \"cache\": ");
	if (f)
		print_cache_json(f, 0);
	else
		printf("null");
	printf("}\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state-file", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct daemon_state d = { 0 };
	const char *state_file = NULL;
	struct api_status a = { 0 };
	struct cache_facts f;
	struct pd_store *s = NULL;
	int c, json = 0, err;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			state_file = optarg;
			break;
		case 'h':
			fputs(status_help, stdout);
			return EXIT_OK;
		default:
			return option_error("status", argv, c);
		}
	}
	if (optind != argc)
		return usage_error("status", "unexpected argument '%s'", argv[optind]);
	find_state(state_file, &d);
	api_status(&a);
	err = pd_store_open(&s);
	if (!err)
		cache_facts(s, &f);
	if (json)
		print_json(&a, &d, err ? NULL : &f);
	else
		print_text(&a, &d, err ? NULL : &f);
	if (s)
		s->ops->close(s);
	free(d.doc);
	free(d.text);
	if (err)
		return store_failure("status", err);
	return a.status == PEERDIST_STATUS_UNAVAILABLE ? EXIT_FAIL : EXIT_OK;
}
