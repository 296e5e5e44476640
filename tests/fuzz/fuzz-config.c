// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: peerdistd's configuration file reader, the text an
 * operator writes. Whatever it accepts leaves every list within its bound
 * and every string terminated inside its field; the same text read twice
 * gives the same settings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerdistd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pd_config a, b;

static int read_text(struct pd_config *cfg, const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	int err;

	if (!f)
		abort();
	memset(cfg, 0, sizeof(*cfg));
	err = pd_config_read_stream(cfg, f, "fuzz.conf");
	fclose(f);
	return err;
}

static void check_terminated(const char *s, size_t cap)
{
	if (strnlen(s, cap) == cap)
		abort();
}

static void check(const struct pd_config *cfg)
{
	unsigned i;

	if (cfg->nlisten > PD_CONFIG_MAX_LISTEN ||
	    cfg->ninterfaces > PD_CONFIG_MAX_INTERFACES ||
	    cfg->log_level > PD_LOG_DEBUG)
		abort();
	for (i = 0; i < PD_CONFIG_MAX_LISTEN; i++)
		check_terminated(cfg->listen[i], sizeof(cfg->listen[i]));
	for (i = 0; i < PD_CONFIG_MAX_INTERFACES; i++)
		check_terminated(cfg->interfaces[i], sizeof(cfg->interfaces[i]));
	check_terminated(cfg->cache_dir, sizeof(cfg->cache_dir));
	check_terminated(cfg->state_file, sizeof(cfg->state_file));
	check_terminated(cfg->tls_certificate, sizeof(cfg->tls_certificate));
	check_terminated(cfg->tls_key, sizeof(cfg->tls_key));
	check_terminated(cfg->hosted_cache_url, sizeof(cfg->hosted_cache_url));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int err;

	pd_log_set_targets(0);	/* no line per bad input */
	if (!size)
		return 0;	/* fmemopen wants a buffer */
	err = read_text(&a, data, size);
	if (!err)
		check(&a);
	if (read_text(&b, data, size) != err || memcmp(&a, &b, sizeof(a)))
		abort();
	return 0;
}
