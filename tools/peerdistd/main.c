// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdistd: the order of start-up and shut-down. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "peerdistd.h"

int main(int argc, char **argv)
{
	struct pd_config cfg = { 0 };
	struct pd_store *store;
	struct pd_http *http;
	struct pd_discovery *disc = NULL;
	sigset_t sigs;
	int sig, err;

	err = pd_config_parse(argc, argv, &cfg);
	if (err)
		return err < 0 ? 0 : err;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);	/* before any thread starts */
	err = pd_store_open(&store);
	if (err) {
		fprintf(stderr, "peerdistd: cannot open the store: %s\n", strerror(-err));
		return 1;
	}
	if (pd_http_start(&cfg, store, &http)) {
		store->ops->close(store);
		return 1;
	}
	if (cfg.discovery &&
	    pd_discovery_start(&cfg, store, pd_http_port(http), &disc)) {
		pd_http_stop(http);
		store->ops->close(store);
		return 1;
	}
	do {
		sigwait(&sigs, &sig);
		if (sig == SIGHUP)
			fprintf(stderr, "peerdistd: SIGHUP: no configuration file to reload yet\n");
	} while (sig == SIGHUP);
	pd_discovery_stop(disc);
	pd_http_stop(http);
	store->ops->close(store);
	fprintf(stderr, "peerdistd: stopped\n");
	return 0;
}
