// SPDX-License-Identifier: LGPL-2.1-or-later
/* Interface addresses and subnet membership for discovery. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netif.h"

static unsigned prefix_of(const uint8_t *mask, unsigned len)
{
	unsigned bits = 0, i;

	for (i = 0; i < len; i++)
		bits += __builtin_popcount(mask[i]);
	return bits;
}

static const uint8_t *addr_bytes(const struct sockaddr *sa, unsigned *len)
{
	if (sa->sa_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	}
	*len = 16;
	return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
}

static int name_listed(const char *only, const char *name)
{
	size_t n = strlen(name);
	const char *p = only;

	while (p && *p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

static int wanted(const struct ifaddrs *ifa, const char *only)
{
	if (!ifa->ifa_addr || !ifa->ifa_netmask || !(ifa->ifa_flags & IFF_UP))
		return 0;
	if (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6)
		return 0;
	if (only && *only)
		return name_listed(only, ifa->ifa_name);
	return !(ifa->ifa_flags & IFF_LOOPBACK) && (ifa->ifa_flags & IFF_MULTICAST);
}

int pd_netif_list(struct pd_netif *out, unsigned max, const char *only)
{
	struct ifaddrs *all, *ifa;
	const uint8_t *mask;
	unsigned n = 0, len;

	if (getifaddrs(&all))
		return -errno;
	for (ifa = all; ifa && n < max; ifa = ifa->ifa_next) {
		struct pd_netif *e = &out[n];

		if (!wanted(ifa, only))
			continue;
		memset(e, 0, sizeof(*e));
		snprintf(e->name, sizeof(e->name), "%s", ifa->ifa_name);
		e->index = if_nametoindex(ifa->ifa_name);
		e->family = ifa->ifa_addr->sa_family;
		memcpy(&e->addr, ifa->ifa_addr, e->family == AF_INET ?
		       sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		mask = addr_bytes(ifa->ifa_netmask, &len);
		e->prefix_len = prefix_of(mask, len);
		n++;
	}
	freeifaddrs(all);
	return n;
}

static int same_prefix(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole))
		return 0;
	return !rest || !((a[whole] ^ b[whole]) & (0xff00 >> rest));
}

const struct pd_netif *pd_netif_subnet_of(const struct pd_netif *list,
					  unsigned n,
					  const struct sockaddr *addr)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
	const uint8_t *a, *b;
	unsigned i, len, blen;

	if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)
		return NULL;
	a = addr_bytes(addr, &len);
	for (i = 0; i < n; i++) {
		if (list[i].family != addr->sa_family)
			continue;
		b = addr_bytes((const struct sockaddr *)&list[i].addr, &blen);
		if (addr->sa_family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) {
			if (in6->sin6_scope_id == list[i].index &&
			    IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)b))
				return &list[i];
			continue;
		}
		if (same_prefix(a, b, list[i].prefix_len))
			return &list[i];
	}
	return NULL;
}

void pd_netif_format(const struct sockaddr *addr, unsigned port, char *out,
		     size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned alen;

	inet_ntop(addr->sa_family, addr_bytes(addr, &alen), host, sizeof(host));
	if (addr->sa_family == AF_INET6)
		snprintf(out, len, "[%s]:%u", host, port);
	else
		snprintf(out, len, "%s:%u", host, port);
}
