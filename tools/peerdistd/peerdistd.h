/* SPDX-License-Identifier: GPL-2.0-or-later */
/* peerdistd: what its parts share. */
#ifndef PD_PEERDISTD_H
#define PD_PEERDISTD_H

#include <limits.h>
#include <net/if.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "store.h"

#define PD_CONFIG_DEFAULT_FILE	"/etc/peerdist/peerdistd.conf"
#define PD_CONFIG_MAX_INTERFACES	16
#define PD_MAX_CLIENTS_LIMIT	16384	/* the highest max_clients (MS-PCCRR) */

/*
 * The settings: built-in defaults, then the configuration file, then the
 * command line. See peerdistd.conf(5) for what each means.
 */
struct pd_config {
	/* Fixed at start-up: a reload that changes them logs "needs a restart". */
	char listen_addr[64];	/* IPv4 or IPv6 literal */
	uint16_t port;
	char cache_dir[PATH_MAX];	/* "" for the store's default */
	char interfaces[PD_CONFIG_MAX_INTERFACES][IF_NAMESIZE];
	unsigned ninterfaces;	/* 0: all of them */
	int discovery;

	/* Changed live by a reload: read them through pd_config_current(). */
	enum pd_log_level log_level;
	int verbose;		/* log_level is PD_LOG_DEBUG */
	unsigned max_clients;	/* the Active Client Count limit */
	unsigned upload_timeout_ms;

	/* From the command line only. */
	char config_file[PATH_MAX];
	int daemonize;
	char pid_file[PATH_MAX];	/* "" for none */
	int check_only;		/* --check-config: parse, report, exit */
};

/*
 * Parses the command line and the configuration file into cfg, which also
 * becomes pd_config_current(): 0 to run; PD_CONFIG_HELP_SHOWN (the help
 * was asked for and printed: exit 0); or 2, the exit code of a usage or
 * configuration error (logged).
 */
#define PD_CONFIG_HELP_SHOWN	(-1)
int pd_config_parse(int argc, char **argv, struct pd_config *cfg);

/*
 * The configuration in effect, from any thread, without a lock: a reload
 * publishes a new copy and leaves the old ones in place until
 * pd_config_release(), so a pointer read here stays valid; read it again
 * (once per request, say) to see a reload.
 */
const struct pd_config *pd_config_current(void);

/*
 * SIGHUP: reads the configuration file again and publishes its live
 * settings; on an error the configuration stays as it was. 0 or -errno.
 */
int pd_config_reload(void);

/* Frees every copy: only once nothing reads the configuration any more. */
void pd_config_release(void);

/*
 * --daemon: forks; the parent waits for pd_daemon_ready() (exit 0) or the
 * daemon's end (exit 1). In the daemon: a new session, cwd /, the pid file
 * written and locked (-1 when another daemon holds it); 0, or -1 and logged.
 */
int pd_daemon_start(const char *pid_file);

/* Start-up done: logging to syslog only, stdio to /dev/null, parent let go
 * (without a syslog socket: logging on stderr, left open). */
void pd_daemon_ready(void);

/* Removes the pid file on the way out. */
void pd_daemon_stop(void);

/*
 * MS-PCCRR retrieval over the store: answers one request body with a
 * response body (transport header included) in out. A client that is not
 * admitted (over the Active Client Count) gets the spec's empty answers.
 * Returns the length, or -1 for a request to refuse with HTTP 400.
 * Safe to call from several threads at once.
 */
long pd_retrieval_answer(struct pd_store *store, const uint8_t *req, size_t len,
			 int admitted, uint8_t *out, size_t cap);

struct pd_http;
int pd_http_start(const struct pd_config *cfg, struct pd_store *store,
		  struct pd_http **out);
void pd_http_stop(struct pd_http *h);

/*
 * One socket the retrieval service listens on, as bound: what discovery may
 * advertise is decided from these (an address a client could not connect to
 * is never advertised).
 */
struct pd_listener {
	struct sockaddr_storage addr;	/* the bound address, port filled in */
	int v6only;	/* an AF_INET6 socket that refuses IPv4 (IPV6_V6ONLY) */
};

#define PD_HTTP_MAX_LISTENERS	8

/* The retrieval service's sockets: fills up to max of out, returns how many. */
unsigned pd_http_listeners(const struct pd_http *h, struct pd_listener *out,
			   unsigned max);

/* Discovery (discovery.c): answers Probes for what the store holds,
 * advertising the retrieval service's listeners. */
struct pd_discovery;
int pd_discovery_start(const struct pd_config *cfg, struct pd_store *st,
		       const struct pd_http *http, struct pd_discovery **out);
void pd_discovery_stop(struct pd_discovery *d);

/* The port the retrieval service really listens on (its first listener's). */
unsigned pd_http_port(const struct pd_http *h);

#endif
