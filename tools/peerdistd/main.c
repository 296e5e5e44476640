// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdistd: the order of start-up and shut-down. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netif.h"
#include "opaque_cache.h"
#include "peerdistd.h"

static int open_store(const struct pd_config *cfg, struct pd_store **store)
{
	char dir[PATH_MAX];
	int err;

	/* The store takes its directory from the environment. */
	if (cfg->cache_dir[0] && setenv("PEERDIST_CACHE_DIR", cfg->cache_dir, 1)) {
		pd_log(PD_LOG_ERROR, "cannot set PEERDIST_CACHE_DIR");
		return -1;
	}
	err = pd_store_open(store);
	if (err == -EINVAL || err == -ENODEV)
		pd_log(PD_LOG_ERROR, "cannot open the store: PEERDIST_BACKEND='%s' %s",
		       getenv("PEERDIST_BACKEND"), err == -EINVAL ?
		       "is not a backend (user or kernel)" : "needs peerdist.ko, not loaded");
	else if (err)
		pd_log(PD_LOG_ERROR, "cannot open the store in %s: %s",
		       pd_store_cache_dir(dir, sizeof(dir)), strerror(-err));
	return err;
}

/*
 * A hosted cache's blocks of PCHC 2.0 offers it cannot verify: in the
 * cache directory's hosted-cache-unverified/, answered by the retrieval
 * service. *out stays NULL when they are not kept. 0, or -1 and logged.
 */
static int open_unverified(const struct pd_config *cfg, struct pd_opaque_cache **out)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];

	*out = NULL;
	if (!cfg->hosted_cache || !cfg->pchc_v2_unverified)
		return 0;
	snprintf(path, sizeof(path), "%s/hosted-cache-unverified",
		 pd_store_cache_dir(dir, sizeof(dir)));
	if (pd_opaque_open(path, (uint64_t)cfg->hc_unverified_mib << 20,
			   (uint64_t)cfg->hc_unverified_per_client_mib << 20, out))
		return -1;
	pd_log(PD_LOG_INFO, "hosted cache: the blocks of 2.0 offers it cannot verify are kept "
	       "unverified in %s (at most %u MiB, %u MiB per offering address)", path,
	       cfg->hc_unverified_mib, cfg->hc_unverified_per_client_mib);
	pd_retrieval_set_unverified(*out);
	return 0;
}

static void close_unverified(struct pd_opaque_cache *oc)
{
	pd_retrieval_set_unverified(NULL);
	pd_opaque_close(oc);
}

/* SIGHUP reloads; SIGTERM or SIGINT ends the wait. */
static void wait_for_stop(const sigset_t *sigs)
{
	int sig;

	do {
		sigwait(sigs, &sig);
		if (sig == SIGHUP)
			pd_config_reload();
	} while (sig == SIGHUP);
}

/*
 * The state file for peerdist status; with discovery on, discovery keeps
 * it up to date as the interfaces change. Serving goes on without one.
 */
static void write_state(const struct pd_config *cfg, struct pd_http *http)
{
	struct pd_netif nifs[PD_NETIF_MAX];
	int n;

	if (pd_state_init(cfg, http) || cfg->discovery)
		return;
	n = pd_netif_list(nifs, PD_NETIF_MAX, NULL);
	pd_state_write(nifs, n > 0 ? n : 0);
}

/* Serves until stopped: 0, or 1 when it cannot start. */
static int serve(const struct pd_config *cfg, const sigset_t *sigs)
{
	struct pd_store *store;
	struct pd_http *http;
	struct pd_discovery *disc = NULL;
	struct pd_hosted_cache *hc = NULL;
	struct pd_opaque_cache *unverified;
	struct pd_proxy *proxy = NULL;
	int ret = 1;

	if (cfg->daemonize && pd_daemon_start(cfg->pid_file))
		return 1;
	if (open_store(cfg, &store))
		return 1;
	if (open_unverified(cfg, &unverified))
		goto close_store;
	if (pd_http_start(pd_config_current(), store, &http))
		goto close_unverified;
	write_state(cfg, http);
	if (cfg->discovery &&
	    pd_discovery_start(cfg, store, http, &disc))
		goto stop_http;
	if (cfg->hosted_cache && pd_hosted_cache_start(cfg, store, unverified, &hc))
		goto stop_discovery;
	if (cfg->proxy_listen.ss_family && pd_proxy_start(cfg, &proxy))
		goto stop_hosted_cache;
	if (cfg->daemonize)
		pd_daemon_ready();
	wait_for_stop(sigs);
	pd_proxy_stop(proxy);
	ret = 0;
stop_hosted_cache:
	pd_hosted_cache_stop(hc);
stop_discovery:
	pd_discovery_stop(disc);
stop_http:
	pd_state_remove();
	pd_http_stop(http);
close_unverified:
	close_unverified(unverified);
close_store:
	store->ops->close(store);
	if (!ret)
		pd_log(PD_LOG_INFO, "stopped");
	return ret;
}

/* --check-config: the file and the options parsed without an error. */
static int check_config(const struct pd_config *cfg)
{
	if (access(cfg->config_file, F_OK))
		printf("peerdistd: %s does not exist: the built-in defaults and the "
		       "options are valid\n", cfg->config_file);
	else
		printf("peerdistd: %s: the configuration is valid\n", cfg->config_file);
	return 0;
}

int main(int argc, char **argv)
{
	struct pd_config cfg;
	sigset_t sigs;
	int ret;

	ret = pd_config_parse(argc, argv, &cfg);
	if (ret)
		return ret == PD_CONFIG_HELP_SHOWN ? 0 : ret;
	if (cfg.check_only)
		return check_config(&cfg);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);	/* before any thread starts */
	ret = serve(&cfg, &sigs);
	pd_daemon_stop();
	return ret;
}
