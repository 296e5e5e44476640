// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdistd: the order of start-up and shut-down. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "peerdistd.h"

static int open_store(const struct pd_config *cfg, struct pd_store **store)
{
	int err;

	/* The store takes its directory from the environment. */
	if (cfg->cache_dir[0] && setenv("PEERDIST_CACHE_DIR", cfg->cache_dir, 1)) {
		pd_log(PD_LOG_ERROR, "cannot set PEERDIST_CACHE_DIR");
		return -1;
	}
	err = pd_store_open(store);
	if (err)
		pd_log(PD_LOG_ERROR, "cannot open the store: %s", strerror(-err));
	return err;
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

/* Serves until stopped: 0, or 1 when it cannot start. */
static int serve(const struct pd_config *cfg, const sigset_t *sigs)
{
	struct pd_store *store;
	struct pd_http *http;
	struct pd_discovery *disc = NULL;

	if (cfg->daemonize && pd_daemon_start(cfg->pid_file))
		return 1;
	if (open_store(cfg, &store))
		return 1;
	if (pd_http_start(pd_config_current(), store, &http)) {
		store->ops->close(store);
		return 1;
	}
	if (cfg->discovery &&
	    pd_discovery_start(cfg, store, http, &disc)) {
		pd_http_stop(http);
		store->ops->close(store);
		return 1;
	}
	if (cfg->daemonize)
		pd_daemon_ready();
	wait_for_stop(sigs);
	pd_discovery_stop(disc);
	pd_http_stop(http);
	store->ops->close(store);
	pd_log(PD_LOG_INFO, "stopped");
	return 0;
}

int main(int argc, char **argv)
{
	struct pd_config cfg;
	sigset_t sigs;
	int ret;

	ret = pd_config_parse(argc, argv, &cfg);
	if (ret)
		return ret < 0 ? 0 : ret;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);	/* before any thread starts */
	ret = serve(&cfg, &sigs);
	pd_daemon_stop();
	pd_config_release();
	return ret;
}
