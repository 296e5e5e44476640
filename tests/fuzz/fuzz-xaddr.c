// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: an XAddr from a ProbeMatch, split as the prober reads
 * it. What splits has a port in range and a host that fits and carries no
 * zone; written again as "host:port" it splits to the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char xaddr[256], host[64], again[64], text[96];
	unsigned long port, port2;

	if (size >= sizeof(xaddr))
		return 0;
	memcpy(xaddr, data, size);
	xaddr[size] = '\0';
	if (pd_netif_xaddr_split(xaddr, host, sizeof(host), &port))
		return 0;
	if (port > 65535 || strlen(host) >= sizeof(host))
		abort();
	if (host[0] == '[' && host[strlen(host) - 1] == ']' && strchr(host, '%'))
		abort();
	snprintf(text, sizeof(text), "%s:%lu", host, port);
	if (pd_netif_xaddr_split(text, again, sizeof(again), &port2) ||
	    strcmp(host, again) || port != port2)
		abort();
	return 0;
}
