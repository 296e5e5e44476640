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
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peerdistd.h"

#define DEFAULT_PORT	3703	/* not 80: Windows' own port-80 use is a known pain */

struct key {
	const char *name;
	int (*set)(struct pd_config *cfg, const char *value, const struct key *k);
	const char *expect;	/* what a value must be; NULL: a number in min..max */
	size_t offset;		/* of the unsigned field set_number sets */
	unsigned long min, max;
};

static int set_listen(struct pd_config *cfg, const char *v, const struct key *k)
{
	unsigned char addr[sizeof(struct in6_addr)];

	if (strlen(v) >= sizeof(cfg->listen_addr) ||
	    (inet_pton(AF_INET, v, addr) != 1 && inet_pton(AF_INET6, v, addr) != 1))
		return -EINVAL;
	strcpy(cfg->listen_addr, v);
	return 0;
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

static int set_discovery(struct pd_config *cfg, const char *v, const struct key *k)
{
	if (strcmp(v, "on") && strcmp(v, "off"))
		return -EINVAL;
	cfg->discovery = !strcmp(v, "on");
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
	{ "listen", .set = set_listen, .expect = "an IPv4 or IPv6 address" },
	{ "port", .set = set_port, .min = 0, .max = 65535 },
	{ "interfaces", .set = set_interfaces,
	  .expect = "up to 16 interface names separated by commas" },
	{ "cache_dir", .set = set_cache_dir, .expect = "an absolute path" },
	{ "max_clients", NUMBER(max_clients, 1, PD_MAX_CLIENTS_LIMIT) },
	{ "upload_timeout_ms", NUMBER(upload_timeout_ms, 100, 3600000) },
	{ "discovery", .set = set_discovery, .expect = "on or off" },
	{ "log_level", .set = set_log_level, .expect = "error, warning, info or debug" },
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
	strcpy(cfg->listen_addr, "::");
	cfg->port = DEFAULT_PORT;
	cfg->discovery = 1;
	cfg->log_level = PD_LOG_INFO;
	cfg->max_clients = 64;
	cfg->upload_timeout_ms = 15000;
	strcpy(cfg->config_file, cmdline.config_file);
	cfg->daemonize = cmdline.daemonize;
	cfg->check_only = cmdline.check_only;
	strcpy(cfg->pid_file, cmdline.pid_file);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One line of the file: blank, a comment or "key = value". */
static int parse_line(struct pd_config *cfg, char *line, const char *file,
		      unsigned lineno)
{
	char where[PATH_MAX + 64];
	const struct key *k;
	char *eq, *name;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq) {
		pd_log(PD_LOG_ERROR, "%s:%u: expected 'key = value'", file, lineno);
		return -EINVAL;
	}
	*eq = '\0';
	name = trim(line);
	k = find_key(name);
	if (!k) {
		pd_log(PD_LOG_ERROR, "%s:%u: unknown key '%s'", file, lineno, name);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s:%u: %s", file, lineno, name);
	return set_key(cfg, k, trim(eq + 1), where);
}

static int read_file(struct pd_config *cfg)
{
	const char *file = cmdline.config_file;
	unsigned lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	int err = 0;
	FILE *f;

	f = fopen(file, "re");
	if (!f && errno == ENOENT && !cmdline.explicit_config)
		return 0;
	if (!f) {
		err = -errno;
		pd_log(PD_LOG_ERROR, "cannot read %s: %s", file, strerror(-err));
		return err;
	}
	while (!err && getline(&line, &cap, f) >= 0)
		err = parse_line(cfg, line, file, ++lineno);
	if (!err && ferror(f)) {
		err = errno ? -errno : -EIO;
		pd_log(PD_LOG_ERROR, "cannot read %s: %s", file, strerror(-err));
	}
	free(line);
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
	for (i = 0; !err && i < cmdline.nset; i++)
		err = set_key(cfg, cmdline.set[i].key, cmdline.set[i].value,
			      cmdline.set[i].flag);
	return err;
}

static void log_settings(const struct pd_config *cfg)
{
	char ifs[sizeof(cfg->interfaces) + PD_CONFIG_MAX_INTERFACES] = "";
	unsigned i;

	for (i = 0; i < cfg->ninterfaces; i++)
		sprintf(ifs + strlen(ifs), "%s%s", i ? "," : "", cfg->interfaces[i]);
	pd_log(PD_LOG_DEBUG, "settings: listen = %s, port = %u, cache_dir = %s, "
	       "interfaces = %s, discovery = %s", cfg->listen_addr, cfg->port,
	       cfg->cache_dir[0] ? cfg->cache_dir : "(default)",
	       ifs[0] ? ifs : "(all)", cfg->discovery ? "on" : "off");
	pd_log(PD_LOG_DEBUG, "settings: log_level = %s, max_clients = %u, "
	       "upload_timeout_ms = %u", level_names[cfg->log_level],
	       cfg->max_clients, cfg->upload_timeout_ms);
}

/*
 * Published copies are immutable and freed only by pd_config_release(), so
 * readers on other threads need no lock; a reload (rare, by hand) costs one.
 */
struct snapshot {
	struct pd_config cfg;
	struct snapshot *older;
};

static _Atomic(struct snapshot *) current;

static int publish(const struct pd_config *cfg)
{
	struct snapshot *s = malloc(sizeof(*s));

	if (!s) {
		pd_log(PD_LOG_ERROR, "out of memory for the configuration");
		return -ENOMEM;
	}
	s->cfg = *cfg;
	s->older = atomic_load_explicit(&current, memory_order_relaxed);
	atomic_store_explicit(&current, s, memory_order_release);
	pd_log_set_level(cfg->log_level);
	log_settings(cfg);
	return 0;
}

const struct pd_config *pd_config_current(void)
{
	return &atomic_load_explicit(&current, memory_order_acquire)->cfg;
}

void pd_config_release(void)
{
	struct snapshot *s = atomic_exchange(&current, NULL), *older;

	for (; s; s = older) {
		older = s->older;
		free(s);
	}
}

static void restart_needed(int changed, const char *name)
{
	if (changed)
		pd_log(PD_LOG_WARNING, "%s: %s changed: needs a restart",
		       cmdline.config_file, name);
}

/* What only start-up uses stays as it was, so the copy tells what is in effect. */
static void keep_startup_settings(struct pd_config *next, const struct pd_config *cur)
{
	restart_needed(strcmp(next->listen_addr, cur->listen_addr), "listen");
	restart_needed(next->port != cur->port, "port");
	restart_needed(strcmp(next->cache_dir, cur->cache_dir), "cache_dir");
	restart_needed(next->ninterfaces != cur->ninterfaces ||
		       memcmp(next->interfaces, cur->interfaces, sizeof(cur->interfaces)),
		       "interfaces");
	restart_needed(next->discovery != cur->discovery, "discovery");
	strcpy(next->listen_addr, cur->listen_addr);
	next->port = cur->port;
	strcpy(next->cache_dir, cur->cache_dir);
	memcpy(next->interfaces, cur->interfaces, sizeof(cur->interfaces));
	next->ninterfaces = cur->ninterfaces;
	next->discovery = cur->discovery;
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
	err = publish(&next);
	if (err)
		return err;
	pd_log(PD_LOG_INFO, "reloaded %s", cmdline.config_file);
	return 0;
}

static const char help[] =
	"usage: peerdistd [--config FILE] [--listen ADDR] [--port N] [--cache-dir DIR]\n"
	"                 [--interfaces LIST] [--no-discovery]\n"
	"                 [--log-level LEVEL] [--verbose] [--foreground]\n"
	"                 [--daemon [--pid-file FILE]] [--check-config] [--version]\n\n"
	"The peerdist service: answers discovery (MS-PCCRD) for what the local\n"
	"store holds and serves its blocks (MS-PCCRR) until SIGTERM or SIGINT;\n"
	"SIGHUP reloads the configuration file. Options override the file (see\n"
	"peerdistd.conf(5)).\n\n"
	"  --config FILE      configuration file (default " PD_CONFIG_DEFAULT_FILE ")\n"
	"  --listen ADDR      IPv4 or IPv6 address to listen on (default ::)\n"
	"  --port N           TCP port (default 3703; 0 picks a free one)\n"
	"  --cache-dir DIR    the store's directory (default PEERDIST_CACHE_DIR)\n"
	"  --interfaces LIST  answer discovery on these interfaces (comma list;\n"
	"                     default: every multicast one)\n"
	"  --no-discovery     do not answer discovery Probes\n"
	"  --log-level LEVEL  error, warning, info (default) or debug\n"
	"  --verbose          the same as --log-level debug\n"
	"  -f, --foreground   stay in the foreground, log on stderr (default)\n"
	"  -d, --daemon       run in the background, log to syslog\n"
	"  --pid-file FILE    with --daemon: write the daemon's pid there (locked:\n"
	"                     a second daemon with the same file is refused)\n"
	"  --check-config     check the configuration file and options, then exit\n"
	"  --version          the version, then exit\n";

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
		override("listen", arg, "--listen");
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "check-config", no_argument, NULL, 'K' },
		{ "version", no_argument, NULL, 'V' },
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
	if (build(cfg) || publish(cfg))
		return 2;
	return 0;
usage:
	fputs(help, stderr);
	return 2;
}
