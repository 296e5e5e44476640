/* SPDX-License-Identifier: GPL-2.0-or-later */
/* peerdistd: what its parts share. */
#ifndef PD_PEERDISTD_H
#define PD_PEERDISTD_H

#include <limits.h>
#include <net/if.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "store.h"

#define PD_CONFIG_DEFAULT_FILE	"/etc/peerdist/peerdistd.conf"
#define PD_CONFIG_MAX_INTERFACES	16
#define PD_CONFIG_MAX_LISTEN	8	/* listen addresses */
#define PD_MAX_CLIENTS_LIMIT	16384	/* the highest max_clients (MS-PCCRR) */

/*
 * The settings: built-in defaults, then the configuration file, then the
 * command line. See peerdistd.conf(5) for what each means.
 */
struct pd_config {
	/* Fixed at start-up: a reload that changes them logs "needs a restart". */
	char listen[PD_CONFIG_MAX_LISTEN][64];	/* IPv4 or IPv6 literals */
	unsigned nlisten;
	uint16_t port;
	char cache_dir[PATH_MAX];	/* "" for the store's default */
	char interfaces[PD_CONFIG_MAX_INTERFACES][IF_NAMESIZE];
	unsigned ninterfaces;	/* 0: all of them */
	int discovery;
	char state_file[PATH_MAX];	/* for peerdist status; see peerdistd(8) */
	/* The hosted cache (MS-PCHC, hosted_cache.c); ss_family 0: that listener off. */
	int hosted_cache;
	struct sockaddr_storage pchc_v1_listen, pchc_v2_listen;
	char tls_certificate[PATH_MAX], tls_key[PATH_MAX];
	unsigned hc_pulls;		/* segments pulled at once */
	unsigned hc_offers_per_client;	/* segments queued per offering address */
	unsigned hc_segments_per_offer;	/* of a BATCHED_OFFER, the rest ignored */
	/* 2.0 offers of segments without a description: pulled and kept
	 * unverified (opaque_cache.h), within these budgets */
	int pchc_v2_unverified;
	unsigned hc_unverified_mib, hc_unverified_per_client_mib;
	/*
	 * The host's hosted cache, for libpeerdist, which reads this key of
	 * this file (peerdistd only checks it): "" none, https:// PCHC 1.0,
	 * http:// 2.0.
	 */
	char hosted_cache_url[256];
	/* The local BranchCache HTTP proxy (proxy.c); ss_family 0: off. */
	struct sockaddr_storage proxy_listen;

	/* Changed live by a reload: read them through pd_config_current(). */
	enum pd_log_level log_level;
	int verbose;		/* log_level is PD_LOG_DEBUG */
	unsigned max_clients;	/* the Active Client Count limit */
	unsigned upload_timeout_ms;
	unsigned max_connections_per_address;
	unsigned request_timeout_ms;	/* a whole request, head and body */
	unsigned keepalive_timeout_ms;	/* idle between requests */
	unsigned proxy_peer_wait_ms;	/* the proxy's wait for peers per run */

	/* From the command line only. */
	char config_file[PATH_MAX];
	int config_read;	/* the file existed and was read */
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
 * The lines of a configuration file, read from f into cfg over what it
 * holds ("key = value", blank or '#' comments; file names it in errors):
 * 0, or -errno at the first bad line or a read error (logged).
 */
int pd_config_read_stream(struct pd_config *cfg, FILE *f, const char *file);

/*
 * The configuration in effect, from any thread: the calling thread's own
 * copy, brought up to date here when a reload published a new one (a
 * lock taken only then). The pointer stays valid for the thread's life
 * and what it points to changes only in this thread's next call: call it
 * again (once per request, say) to see a reload. Reloads keep no old
 * copies: memory stays the same however many there are.
 */
const struct pd_config *pd_config_current(void);

/*
 * SIGHUP: reads the configuration file again and publishes its live
 * settings; on an error the configuration stays as it was. 0 or -errno.
 */
int pd_config_reload(void);

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
 * Returns the length, or -1 for a request to refuse with HTTP 400; *body:
 * where the answer is (out, or a read-ahead slot).
 * With batch, AES-128 blocks are left in plaintext, padded, and a job for
 * each is added to batch->jobs (up to batch->max): the answer is whole
 * once pd_aes128_cbc_encrypt_many() has run them. With ra (one per
 * connection), a client asking for block after block gets answers made
 * ahead: once every answer taken from ra is sent (a read-ahead slot is
 * reused after), each pd_readahead_step() makes a part of the next ones:
 * 1 while it has more to do, 0 when not (until the next answer), -1 when
 * it cannot encrypt (free ra). Safe to call from several threads at once
 * (not with the same ra).
 */
struct pd_aes128_cbc_job;
struct pd_retrieval_batch {
	struct pd_aes128_cbc_job *jobs;
	unsigned njobs, max;
};
struct pd_readahead;
long pd_retrieval_answer(struct pd_store *store, const uint8_t *req, size_t len,
			 int admitted, uint8_t *out, size_t cap,
			 struct pd_retrieval_batch *batch, struct pd_readahead *ra,
			 const uint8_t **body);
struct pd_readahead *pd_readahead_new(void);
int pd_readahead_step(struct pd_store *store, struct pd_readahead *ra);
void pd_readahead_free(struct pd_readahead *ra);

/*
 * The hosted cache's unverified blocks (opaque_cache.h), answered as they
 * were received for segments the store has no description of; NULL for
 * none. Set before the retrieval service starts, cleared after it stops.
 */
struct pd_opaque_cache;
void pd_retrieval_set_unverified(struct pd_opaque_cache *oc);

/*
 * The local BranchCache HTTP proxy on cfg->proxy_listen (proxy.c): 0, or
 * -1 and logged. Stopping ends its connections (within a few seconds).
 */
struct pd_proxy;
int pd_proxy_start(const struct pd_config *cfg, struct pd_proxy **out);
void pd_proxy_stop(struct pd_proxy *p);

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

#define PD_HTTP_MAX_LISTENERS	PD_CONFIG_MAX_LISTEN

/* The retrieval service's sockets: fills up to max of out, returns how many. */
unsigned pd_http_listeners(const struct pd_http *h, struct pd_listener *out,
			   unsigned max);

struct pd_netif;

/*
 * The address to advertise for a Probe of family on interface ifindex
 * (prefer, when it is accepted, else the first of that interface's
 * addresses in nifs that a listener accepts) with the accepting port in
 * *port; NULL when no listener accepts any (advertise nothing).
 */
const struct pd_netif *pd_advertised(const struct pd_listener *l, unsigned nl,
				     const struct pd_netif *nifs, unsigned n,
				     int family, unsigned ifindex,
				     const struct pd_netif *prefer, unsigned *port);

/*
 * The state file peerdist status reads (state.c; format in peerdistd(8)):
 * pd_state_init() once the retrieval service listens, pd_state_write()
 * whenever the interfaces change (from one thread at a time),
 * pd_state_remove() on a clean exit. 0, or -1 and logged.
 */
int pd_state_init(const struct pd_config *cfg, const struct pd_http *http);
int pd_state_write(const struct pd_netif *nifs, unsigned n);
void pd_state_remove(void);

/* Discovery (discovery.c): answers Probes for what the store holds,
 * advertising the retrieval service's listeners. */
struct pd_discovery;
int pd_discovery_start(const struct pd_config *cfg, struct pd_store *st,
		       const struct pd_http *http, struct pd_discovery **out);
void pd_discovery_stop(struct pd_discovery *d);

/* The port the retrieval service really listens on (its first listener's). */
unsigned pd_http_port(const struct pd_http *h);

/*
 * The hosted cache (hosted_cache.c): PCHC 1.0 over HTTPS and 2.0 over HTTP
 * take offers; the offered blocks are pulled from the offerer over
 * MS-PCCRR into the store, which verifies them; the retrieval service then
 * serves them to everyone. With unverified (not NULL), 2.0 offers of
 * segments without a description are pulled into it, kept as they came.
 */
struct pd_hosted_cache;
int pd_hosted_cache_start(const struct pd_config *cfg, struct pd_store *st,
			  struct pd_opaque_cache *unverified, struct pd_hosted_cache **out);
void pd_hosted_cache_stop(struct pd_hosted_cache *hc);

#endif
