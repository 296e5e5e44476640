// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdistd's settings: built-in defaults, then the configuration file
 * ("key = value" lines, see peerdistd.conf(5)), then the command line,
 * which keeps overriding the file across reloads.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_file.h"
#include "peerdistd.h"

#define DEFAULT_PORT	3703	/* not 80: Windows' own port-80 use is a known pain */

struct key {
	const char *name;
	int (*set)(struct pd_config *cfg, const char *value, const struct key *k);
	const char *expect;	/* what a value must be; NULL: a number in min..max */
	size_t offset;		/* of the unsigned field set_number sets */
	unsigned long min, max;
};

/* The first "listen" of a source replaces the default, the next ones add. */
static int listen_given;

static int add_listen(struct pd_config *cfg, const char *v, size_t len)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char s[sizeof(cfg->listen[0])];

	if (!len || len >= sizeof(s) || cfg->nlisten == PD_CONFIG_MAX_LISTEN)
		return -EINVAL;
	memcpy(s, v, len);
	s[len] = '\0';
	if (inet_pton(AF_INET, s, addr) != 1 && inet_pton(AF_INET6, s, addr) != 1)
		return -EINVAL;
	strncpy(cfg->listen[cfg->nlisten++], s, sizeof(cfg->listen[0]));
	return 0;
}

/* "::" or "0.0.0.0, ::1": addresses separated by commas. */
static int set_listen(struct pd_config *cfg, const char *v, const struct key *k)
{
	size_t len;

	if (!listen_given)
		cfg->nlisten = 0;
	listen_given = 1;
	for (;;) {
		v += strspn(v, " \t");
		len = strcspn(v, ", \t");
		if (add_listen(cfg, v, len))
			return -EINVAL;
		v += len + strspn(v + len, " \t");
		if (!*v)
			return 0;
		if (*v++ != ',')
			return -EINVAL;
	}
}

static int parse_number(const char *v, const struct key *k, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	*out = strtoul(v, &end, 10);
	if (*end)
		return -EINVAL;
	return errno || *out < k->min || *out > k->max ? -ERANGE : 0;
}

static int set_port(struct pd_config *cfg, const char *v, const struct key *k)
{
	unsigned long n;
	int err = parse_number(v, k, &n);

	if (err)
		return err;
	cfg->port = n;
	return 0;
}

static int set_number(struct pd_config *cfg, const char *v, const struct key *k)
{
	unsigned long n;
	int err = parse_number(v, k, &n);

	if (err)
		return err;
	*(unsigned *)((char *)cfg + k->offset) = n;
	return 0;
}

/* "eth0, wlan0": names without blanks, at most PD_CONFIG_MAX_INTERFACES. */
static int set_interfaces(struct pd_config *cfg, const char *v, const struct key *k)
{
	const char *p = v;
	size_t len;

	memset(cfg->interfaces, 0, sizeof(cfg->interfaces));
	cfg->ninterfaces = 0;
	while (*p) {
		len = strcspn(p, ", \t");
		if (!len || len >= IF_NAMESIZE || cfg->ninterfaces == PD_CONFIG_MAX_INTERFACES)
			return -EINVAL;
		memcpy(cfg->interfaces[cfg->ninterfaces++], p, len);
		p += len + strspn(p + len, " \t");
		if (*p && *p != ',')
			return -EINVAL;
		if (*p && !*(p += 1 + strspn(p + 1, " \t")))
			return -EINVAL;	/* a trailing comma is a typo */
	}
	return 0;
}

/* Absolute: the daemon's working directory is /. Empty: the store's default. */
static int set_cache_dir(struct pd_config *cfg, const char *v, const struct key *k)
{
	if ((*v && *v != '/') || strlen(v) >= sizeof(cfg->cache_dir))
		return -EINVAL;
	strcpy(cfg->cache_dir, v);
	return 0;
}

/*
 * Root's in /run/peerdist; a user's in $XDG_RUNTIME_DIR/peerdist, or
 * without one /tmp/peerdist-UID (state.c makes the directory).
 */
static void default_state_file(char *out, size_t len)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		snprintf(out, len, "/run/peerdist/peerdistd.json");
	else if (runtime && *runtime == '/')
		snprintf(out, len, "%s/peerdist/peerdistd.json", runtime);
	else
		snprintf(out, len, "/tmp/peerdist-%u/peerdistd.json", (unsigned)geteuid());
}

/* Absolute: the daemon's working directory is /. Empty: the default. */
static int set_state_file(struct pd_config *cfg, const char *v, const struct key *k)
{
	if (!*v) {
		default_state_file(cfg->state_file, sizeof(cfg->state_file));
		return 0;
	}
	if (*v != '/' || strlen(v) >= sizeof(cfg->state_file))
		return -1;
	strcpy(cfg->state_file, v);
	return 0;
}

static int set_discovery(struct pd_config *cfg, const char *v, const struct key *k)
{
	if (strcmp(v, "on") && strcmp(v, "off"))
		return -EINVAL;
	cfg->discovery = !strcmp(v, "on");
	return 0;
}

static int set_hosted_cache(struct pd_config *cfg, const char *v, const struct key *k)
{
	if (strcmp(v, "on") && strcmp(v, "off"))
		return -1;
	cfg->hosted_cache = !strcmp(v, "on");
	return 0;
}

static int set_unverified(struct pd_config *cfg, const char *v, const struct key *k)
{
	if (strcmp(v, "on") && strcmp(v, "off"))
		return -1;
	cfg->pchc_v2_unverified = !strcmp(v, "on");
	return 0;
}

/* "ADDR:PORT" with an IPv6 ADDR in brackets, or "off". */
static int set_sockaddr(struct pd_config *cfg, const char *v, const struct key *k)
{
	struct sockaddr_storage *ss = (void *)((char *)cfg + k->offset);
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct key port_key = { .min = 1, .max = 65535 };
	const char *colon = strrchr(v, ':');
	char host[INET6_ADDRSTRLEN + 2];
	unsigned long port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (!strcmp(v, "off"))
		return 0;
	hlen = colon ? (size_t)(colon - v) : 0;
	if (!hlen || hlen >= sizeof(host) || parse_number(colon + 1, &port_key, &port))
		return -1;
	memcpy(host, v, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -1;
	in4->sin_family = AF_INET;
	in4->sin_port = htons(port);
	return 0;
}

static int set_path(struct pd_config *cfg, const char *v, const struct key *k)
{
	char *dst = (char *)cfg + k->offset;

	if ((*v && *v != '/') || strlen(v) >= PATH_MAX)
		return -1;
	strcpy(dst, v);
	return 0;
}

static int set_url(struct pd_config *cfg, const char *v, const struct key *k)
{
	if (*v && strncmp(v, "https://", 8) && strncmp(v, "http://", 7))
		return -1;
	if (strlen(v) >= sizeof(cfg->hosted_cache_url))
		return -1;
	strcpy(cfg->hosted_cache_url, v);
	return 0;
}

static const char *const level_names[] = {
	[PD_LOG_ERROR] = "error",
	[PD_LOG_WARNING] = "warning",
	[PD_LOG_INFO] = "info",
	[PD_LOG_DEBUG] = "debug",
};

static int set_log_level(struct pd_config *cfg, const char *v, const struct key *k)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (level_names[i] && !strcmp(v, level_names[i])) {
			cfg->log_level = i;
			cfg->verbose = i == PD_LOG_DEBUG;
			return 0;
		}
	}
	return -EINVAL;
}

#define NUMBER(field, lo, hi) .set = set_number, \
	.offset = offsetof(struct pd_config, field), .min = lo, .max = hi

static const struct key keys[] = {
	{ "listen", .set = set_listen,
	  .expect = "up to 8 IPv4 or IPv6 addresses separated by commas" },
	{ "port", .set = set_port, .min = 0, .max = 65535 },
	{ "interfaces", .set = set_interfaces,
	  .expect = "up to 16 interface names separated by commas" },
	{ "cache_dir", .set = set_cache_dir, .expect = "an absolute path" },
	{ "max_clients", NUMBER(max_clients, 1, PD_MAX_CLIENTS_LIMIT) },
	{ "upload_timeout_ms", NUMBER(upload_timeout_ms, 100, 3600000) },
	{ "max_connections_per_address", NUMBER(max_connections_per_address, 1, 1000000) },
	{ "request_timeout_ms", NUMBER(request_timeout_ms, 100, 3600000) },
	{ "keepalive_timeout_ms", NUMBER(keepalive_timeout_ms, 100, 3600000) },
	{ "discovery", .set = set_discovery, .expect = "on or off" },
	{ "state_file", .set = set_state_file, .expect = "an absolute path" },
	{ "log_level", .set = set_log_level, .expect = "error, warning, info or debug" },
	{ "hosted_cache", .set = set_hosted_cache, .expect = "on or off" },
	{ "pchc_v1_listen", .set = set_sockaddr, .expect = "ADDR:PORT ([ADDR]:PORT for IPv6) or off",
	  .offset = offsetof(struct pd_config, pchc_v1_listen) },
	{ "pchc_v2_listen", .set = set_sockaddr, .expect = "ADDR:PORT ([ADDR]:PORT for IPv6) or off",
	  .offset = offsetof(struct pd_config, pchc_v2_listen) },
	{ "tls_certificate", .set = set_path, .expect = "an absolute path",
	  .offset = offsetof(struct pd_config, tls_certificate) },
	{ "tls_key", .set = set_path, .expect = "an absolute path",
	  .offset = offsetof(struct pd_config, tls_key) },
	{ "hosted_cache_pulls", NUMBER(hc_pulls, 1, 64) },
	{ "hosted_cache_offers_per_client", NUMBER(hc_offers_per_client, 1, 4096) },
	{ "hosted_cache_segments_per_offer", NUMBER(hc_segments_per_offer, 1, 128) },
	/* PCHC 2.0 offers of segments without a description (opaque_cache.h) */
	{ "pchc_v2_unverified", .set = set_unverified, .expect = "on or off" },
	{ "pchc_v2_unverified_mib", NUMBER(hc_unverified_mib, 1, 1u << 24) },
	{ "pchc_v2_unverified_per_client_mib", NUMBER(hc_unverified_per_client_mib, 1, 1u << 24) },
	{ "proxy_listen", .set = set_sockaddr, .expect = "ADDR:PORT ([ADDR]:PORT for IPv6) or off",
	  .offset = offsetof(struct pd_config, proxy_listen) },
	{ "proxy_peer_wait_ms", NUMBER(proxy_peer_wait_ms, 0, 60000) },
	{ "hosted_cache_url", .set = set_url, .expect = "an https:// or http:// URL" },
};

static const struct key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* Sets k from value; where says where the value came from, for the error
 * (logged). 0 or -EINVAL. */
static int set_key(struct pd_config *cfg, const struct key *k, const char *value,
		   const char *where)
{
	if (!k->set(cfg, value, k))
		return 0;
	if (k->expect)
		pd_log(PD_LOG_ERROR, "%s: '%s' is not %s", where, value, k->expect);
	else
		pd_log(PD_LOG_ERROR, "%s: '%s' is not a number in %lu..%lu", where,
		       value, k->min, k->max);
	return -EINVAL;
}

/* What the command line set: kept to override the file at every reload. */
static struct {
	struct {
		const struct key *key;
		const char *value;
		const char *flag;
	} set[sizeof(keys) / sizeof(keys[0])];
	unsigned nset;
	char config_file[PATH_MAX];
	int explicit_config;	/* so a missing file is an error */
	int daemonize;
	int check_only;
	char pid_file[PATH_MAX];
	char cache_dir[PATH_MAX];
	char state_file[PATH_MAX];
	char tls_certificate[PATH_MAX], tls_key[PATH_MAX];
	char listen[PD_CONFIG_MAX_LISTEN * 65];	/* every --listen, comma-separated */
} cmdline = { .config_file = PD_CONFIG_DEFAULT_FILE };

static void override(const char *name, const char *value, const char *flag)
{
	const struct key *k = find_key(name);
	unsigned i;

	for (i = 0; i < cmdline.nset && cmdline.set[i].key != k; i++)
		;
	cmdline.set[i].key = k;
	cmdline.set[i].value = value;
	cmdline.set[i].flag = flag;
	cmdline.nset += i == cmdline.nset;
}

static void set_defaults(struct pd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	default_state_file(cfg->state_file, sizeof(cfg->state_file));
	strcpy(cfg->listen[0], "::");	/* dual stack: IPv4 too */
	cfg->nlisten = 1;
	listen_given = 0;
	cfg->port = DEFAULT_PORT;
	cfg->discovery = 1;
	cfg->log_level = PD_LOG_INFO;
	cfg->max_clients = 0;	/* by mode, once the rest is known */
	set_sockaddr(cfg, "[::]:443", find_key("pchc_v1_listen"));
	set_sockaddr(cfg, "[::]:80", find_key("pchc_v2_listen"));
	cfg->hc_pulls = 4;
	cfg->hc_offers_per_client = 64;
	cfg->hc_segments_per_offer = 128;
	cfg->pchc_v2_unverified = 1;	/* as Windows' hosted cache */
	cfg->hc_unverified_mib = 4096;
	cfg->hc_unverified_per_client_mib = 512;
	cfg->upload_timeout_ms = 15000;
	cfg->max_connections_per_address = 32;
	cfg->request_timeout_ms = 10000;
	cfg->keepalive_timeout_ms = 60000;
	cfg->proxy_peer_wait_ms = 1000;
	strcpy(cfg->config_file, cmdline.config_file);
	cfg->daemonize = cmdline.daemonize;
	cfg->check_only = cmdline.check_only;
	strcpy(cfg->pid_file, cmdline.pid_file);
}

struct file_lines {
	struct pd_config *cfg;
	const char *file;
};

/* One setting of the file; a line that is not one is an error. */
static int file_line(const char *name, const char *value, unsigned lineno, void *arg)
{
	struct file_lines *fl = arg;
	char where[PATH_MAX + 64];
	const struct key *k;

	if (!value) {
		pd_log(PD_LOG_ERROR, "%s:%u: expected 'key = value'", fl->file, lineno);
		return -EINVAL;
	}
	k = find_key(name);
	if (!k) {
		pd_log(PD_LOG_ERROR, "%s:%u: unknown key '%s'", fl->file, lineno, name);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s:%u: %s", fl->file, lineno, name);
	return set_key(fl->cfg, k, value, where);
}

int pd_config_read_stream(struct pd_config *cfg, FILE *f, const char *file)
{
	struct file_lines fl = { cfg, file };
	int err;

	listen_given = 0;	/* the file's first "listen" replaces the default */
	err = pd_conf_read(f, file_line, &fl);
	if (err && ferror(f))	/* a bad line was logged where it was found */
		pd_log(PD_LOG_ERROR, "cannot read %s: %s", file, strerror(-err));
	return err;
}

static int read_file(struct pd_config *cfg)
{
	const char *file = cmdline.config_file;
	int err;
	FILE *f;

	f = fopen(file, "re");
	if (!f && errno == ENOENT && !cmdline.explicit_config)
		return 0;
	if (!f) {
		err = -errno;
		pd_log(PD_LOG_ERROR, "cannot read %s: %s", file, strerror(-err));
		return err;
	}
	cfg->config_read = 1;
	err = pd_config_read_stream(cfg, f, file);
	fclose(f);
	return err;
}

/* Defaults, the file, the command line: 0, or -errno with the reason logged. */
static int build(struct pd_config *cfg)
{
	unsigned i;
	int err;

	set_defaults(cfg);
	err = read_file(cfg);
	listen_given = 0;	/* --listen replaces the file's */
	for (i = 0; !err && i < cmdline.nset; i++)
		err = set_key(cfg, cmdline.set[i].key, cmdline.set[i].value,
			      cmdline.set[i].flag);
	/* MS-PCCRR's Active Client Count: a hosted cache serves a whole branch. */
	if (!err && !cfg->max_clients)
		cfg->max_clients = cfg->hosted_cache ? 1024 : 64;
	return err;
}

static void log_settings(const struct pd_config *cfg)
{
	char ifs[sizeof(cfg->interfaces) + PD_CONFIG_MAX_INTERFACES] = "";
	char addrs[sizeof(cfg->listen) + PD_CONFIG_MAX_LISTEN] = "";
	unsigned i;

	for (i = 0; i < cfg->ninterfaces; i++)
		sprintf(ifs + strlen(ifs), "%s%s", i ? "," : "", cfg->interfaces[i]);
	for (i = 0; i < cfg->nlisten; i++)
		sprintf(addrs + strlen(addrs), "%s%s", i ? "," : "", cfg->listen[i]);
	pd_log(PD_LOG_DEBUG, "settings: listen = %s, port = %u, cache_dir = %s, "
	       "interfaces = %s, discovery = %s", addrs, cfg->port,
	       cfg->cache_dir[0] ? cfg->cache_dir : "(default)",
	       ifs[0] ? ifs : "(all)", cfg->discovery ? "on" : "off");
	pd_log(PD_LOG_DEBUG, "settings: log_level = %s, max_clients = %u, "
	       "upload_timeout_ms = %u, max_connections_per_address = %u, "
	       "request_timeout_ms = %u, keepalive_timeout_ms = %u",
	       level_names[cfg->log_level], cfg->max_clients, cfg->upload_timeout_ms,
	       cfg->max_connections_per_address, cfg->request_timeout_ms,
	       cfg->keepalive_timeout_ms);
}

/*
 * One published copy, changed under a lock by a reload; each thread reads
 * its own copy of it, refreshed when the generation moved on, so no reader
 * ever holds a pointer into memory a reload changes or frees.
 */
static pthread_mutex_t published_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pd_config published;	/* under published_lock */
static atomic_uint generation;		/* of published: 0 before the first */
static _Thread_local struct {
	unsigned generation;
	struct pd_config cfg;
} mine;

static void publish(const struct pd_config *cfg)
{
	pthread_mutex_lock(&published_lock);
	published = *cfg;
	atomic_fetch_add_explicit(&generation, 1, memory_order_release);
	pthread_mutex_unlock(&published_lock);
	pd_log_set_level(cfg->log_level);
	log_settings(cfg);
}

const struct pd_config *pd_config_current(void)
{
	if (mine.generation != atomic_load_explicit(&generation, memory_order_acquire)) {
		pthread_mutex_lock(&published_lock);
		mine.cfg = published;
		mine.generation = atomic_load_explicit(&generation, memory_order_relaxed);
		pthread_mutex_unlock(&published_lock);
	}
	return &mine.cfg;
}

static void restart_needed(int changed, const char *name)
{
	if (changed)
		pd_log(PD_LOG_WARNING, "%s: %s changed: needs a restart",
		       cmdline.config_file, name);
}

#define HC_FIRST	offsetof(struct pd_config, hosted_cache)
#define HC_END		offsetof(struct pd_config, log_level)

/* The hosted cache's settings are one run of fields, all fixed at start-up. */
static int hosted_cache_differs(const struct pd_config *a, const struct pd_config *b)
{
	return memcmp((const char *)a + HC_FIRST, (const char *)b + HC_FIRST,
		      HC_END - HC_FIRST);
}

static void keep_hosted_cache(struct pd_config *next, const struct pd_config *cur)
{
	memcpy((char *)next + HC_FIRST, (const char *)cur + HC_FIRST, HC_END - HC_FIRST);
}

/* What only start-up uses stays as it was, so the copy tells what is in effect. */
static void keep_startup_settings(struct pd_config *next, const struct pd_config *cur)
{
	restart_needed(next->nlisten != cur->nlisten ||
		       memcmp(next->listen, cur->listen, sizeof(cur->listen)), "listen");
	restart_needed(next->port != cur->port, "port");
	restart_needed(strcmp(next->cache_dir, cur->cache_dir), "cache_dir");
	restart_needed(next->ninterfaces != cur->ninterfaces ||
		       memcmp(next->interfaces, cur->interfaces, sizeof(cur->interfaces)),
		       "interfaces");
	restart_needed(next->discovery != cur->discovery, "discovery");
	restart_needed(strcmp(next->state_file, cur->state_file), "state_file");
	restart_needed(hosted_cache_differs(next, cur), "the hosted cache's settings");
	restart_needed(memcmp(&next->proxy_listen, &cur->proxy_listen,
			      sizeof(cur->proxy_listen)), "proxy_listen");
	next->proxy_listen = cur->proxy_listen;
	memcpy(next->listen, cur->listen, sizeof(cur->listen));
	next->nlisten = cur->nlisten;
	next->port = cur->port;
	strcpy(next->cache_dir, cur->cache_dir);
	memcpy(next->interfaces, cur->interfaces, sizeof(cur->interfaces));
	next->ninterfaces = cur->ninterfaces;
	next->discovery = cur->discovery;
	strcpy(next->state_file, cur->state_file);
	keep_hosted_cache(next, cur);
}

int pd_config_reload(void)
{
	struct pd_config next;
	int err = build(&next);

	if (err) {
		pd_log(PD_LOG_ERROR, "%s: not reloaded: the configuration stays as it was",
		       cmdline.config_file);
		return err;
	}
	keep_startup_settings(&next, pd_config_current());
	publish(&next);
	pd_log(PD_LOG_INFO, "reloaded %s", cmdline.config_file);
	return 0;
}

static const char help[] =
	"usage: peerdistd [--config FILE] [--listen ADDR] [--port N] [--cache-dir DIR]\n"
	"                 [--interfaces LIST] [--no-discovery] [--state-file FILE]\n"
	"                 [--log-level LEVEL] [--verbose] [--foreground]\n"
	"                 [--daemon [--pid-file FILE]] [--check-config] [--version]\n"
	"                 [--hosted-cache [--pchc-v1-listen ADDR:PORT] [--pchc-v2-listen ADDR:PORT]\n"
	"                  [--tls-certificate FILE --tls-key FILE] [--pchc-v2-unverified on|off]]\n"
	"                 [--proxy-listen ADDR:PORT]\n\n"
	"The peerdist service: answers discovery (MS-PCCRD) for what the local\n"
	"store holds and serves its blocks (MS-PCCRR) until SIGTERM or SIGINT;\n"
	"SIGHUP reloads the configuration file. Options override the file (see\n"
	"peerdistd.conf(5)).\n\n"
	"  --config FILE      configuration file (default " PD_CONFIG_DEFAULT_FILE ")\n"
	"  --listen ADDR      IPv4 or IPv6 address to listen on; repeat it or give\n"
	"                     a comma list for several (default ::, IPv4 too)\n"
	"  --port N           TCP port (default 3703; 0 picks a free one)\n"
	"  --cache-dir DIR    the store's directory (default PEERDIST_CACHE_DIR)\n"
	"  --interfaces LIST  answer discovery on these interfaces (comma list;\n"
	"                     default: every multicast one)\n"
	"  --no-discovery     do not answer discovery Probes\n"
	"  --state-file FILE  where peerdist status finds what runs (default\n"
	"                     /run/peerdist/peerdistd.json for root)\n"
	"  --log-level LEVEL  error, warning, info (default) or debug\n"
	"  --verbose          the same as --log-level debug\n"
	"  -f, --foreground   stay in the foreground, log on stderr (default)\n"
	"  -d, --daemon       run in the background, log to syslog\n"
	"  --pid-file FILE    with --daemon: write the daemon's pid there (locked:\n"
	"                     a second daemon with the same file is refused)\n"
	"  --check-config     check the configuration file and options, then exit\n"
	"  --version          the version, then exit\n"
	"  --hosted-cache     be the branch's hosted cache (MS-PCHC): take offers,\n"
	"                     pull and verify the blocks, serve them to every client\n"
	"  --pchc-v1-listen ADDR:PORT  PCHC 1.0 over HTTPS (default [::]:443; off)\n"
	"  --pchc-v2-listen ADDR:PORT  PCHC 2.0 over HTTP (default [::]:80; off)\n"
	"  --tls-certificate FILE, --tls-key FILE  PEM files for PCHC 1.0\n"
	"  --pchc-v2-unverified on|off  pull 2.0 offers of segments it has no hashes\n"
	"                     of, kept encrypted and unverified (default on)\n"
	"  --proxy-listen ADDR:PORT  be a local BranchCache HTTP proxy there\n"
	"                     (for http_proxy; default off)\n";

/* For what the daemon reads after its chdir("/"): relative to where we
 * started. 0 or -errno. */
static int absolute(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];

	if (*path == '/')
		return snprintf(out, size, "%s", path) < (int)size ? 0 : -ENAMETOOLONG;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return snprintf(out, size, "%s/%s", cwd, path) < (int)size ? 0 : -ENAMETOOLONG;
}

/* One option; 0, or -errno for a usage error. */
static int parse_option(int c, const char *arg)
{
	switch (c) {
	case 'c':
		cmdline.explicit_config = 1;
		return absolute(arg, cmdline.config_file, sizeof(cmdline.config_file));
	case 'l':
		if (strlen(cmdline.listen) + strlen(arg) + 2 > sizeof(cmdline.listen))
			return -1;
		if (cmdline.listen[0])
			strcat(cmdline.listen, ",");
		strcat(cmdline.listen, arg);
		override("listen", cmdline.listen, "--listen");
		return 0;
	case 'p':
		override("port", arg, "--port");
		return 0;
	case 'C':
		override("cache_dir", cmdline.cache_dir, "--cache-dir");
		return absolute(arg, cmdline.cache_dir, sizeof(cmdline.cache_dir));
	case 'i':
		override("interfaces", arg, "--interfaces");
		return 0;
	case 'n':
		override("discovery", "off", "--no-discovery");
		return 0;
	case 's':
		override("state_file", cmdline.state_file, "--state-file");
		return absolute(arg, cmdline.state_file, sizeof(cmdline.state_file));
	case 'L':
		override("log_level", arg, "--log-level");
		return 0;
	case 'v':
		override("log_level", "debug", "--verbose");
		return 0;
	case 'f':
	case 'd':
		cmdline.daemonize = c == 'd';
		return 0;
	case 'P':
		return absolute(arg, cmdline.pid_file, sizeof(cmdline.pid_file));
	case 'K':
		cmdline.check_only = 1;
		return 0;
	case 'H':
		override("hosted_cache", "on", "--hosted-cache");
		return 0;
	case '1':
		override("pchc_v1_listen", arg, "--pchc-v1-listen");
		return 0;
	case '2':
		override("pchc_v2_listen", arg, "--pchc-v2-listen");
		return 0;
	case 'X':
		override("proxy_listen", arg, "--proxy-listen");
		return 0;
	case 'T':
		override("tls_certificate", cmdline.tls_certificate, "--tls-certificate");
		return absolute(arg, cmdline.tls_certificate, sizeof(cmdline.tls_certificate));
	case 'Y':
		override("tls_key", cmdline.tls_key, "--tls-key");
		return absolute(arg, cmdline.tls_key, sizeof(cmdline.tls_key));
	case 'U':
		override("pchc_v2_unverified", arg, "--pchc-v2-unverified");
		return 0;
	}
	return -EINVAL;
}

int pd_config_parse(int argc, char **argv, struct pd_config *cfg)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "interfaces", required_argument, NULL, 'i' },
		{ "no-discovery", no_argument, NULL, 'n' },
		{ "state-file", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "check-config", no_argument, NULL, 'K' },
		{ "version", no_argument, NULL, 'V' },
		{ "hosted-cache", no_argument, NULL, 'H' },
		{ "pchc-v1-listen", required_argument, NULL, '1' },
		{ "pchc-v2-listen", required_argument, NULL, '2' },
		{ "tls-certificate", required_argument, NULL, 'T' },
		{ "proxy-listen", required_argument, NULL, 'X' },
		{ "tls-key", required_argument, NULL, 'Y' },
		{ "pchc-v2-unverified", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "fdh", longopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return PD_CONFIG_HELP_SHOWN;
		}
		if (c == 'V') {
			printf("peerdistd %s\n", PD_PACKAGE_VERSION);
			return PD_CONFIG_HELP_SHOWN;
		}
		if (parse_option(c, optarg))
			goto usage;
	}
	if (optind != argc)
		goto usage;
	if (cmdline.pid_file[0] && !cmdline.daemonize) {
		pd_log(PD_LOG_ERROR, "--pid-file needs --daemon");
		return 2;
	}
	if (build(cfg))
		return 2;
	publish(cfg);
	return 0;
usage:
	fputs(help, stderr);
	return 2;
}
