// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What discovery may advertise: an address of ours that one of the
 * retrieval service's listening sockets really accepts. A wildcard socket
 * accepts its own family ("::" without IPV6_V6ONLY IPv4 as well), a socket
 * bound to one address only that address (a link-local one only on its
 * own interface).
 */
#include <netinet/in.h>
#include <string.h>

#include "netif.h"
#include "peerdistd.h"

static int accepts_v4(const struct sockaddr_in *l, const struct pd_netif *a)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->addr;

	return a->family == AF_INET && (l->sin_addr.s_addr == htonl(INADDR_ANY) ||
					l->sin_addr.s_addr == a4->sin_addr.s_addr);
}

static int accepts_v6(const struct sockaddr_in6 *l, int v6only,
		      const struct pd_netif *a)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->addr;
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->addr;

	if (IN6_IS_ADDR_UNSPECIFIED(&l->sin6_addr))
		return a->family == AF_INET6 || !v6only;
	if (IN6_IS_ADDR_V4MAPPED(&l->sin6_addr))
		return a->family == AF_INET && !v6only &&
		       !memcmp(&l->sin6_addr.s6_addr[12], &a4->sin_addr, 4);
	if (a->family != AF_INET6 || memcmp(&l->sin6_addr, &a6->sin6_addr, 16))
		return 0;
	return !IN6_IS_ADDR_LINKLOCAL(&l->sin6_addr) || l->sin6_scope_id == a->index;
}

/* The port of the first listener that accepts connections to a; 0: none. */
static unsigned accepting_port(const struct pd_listener *l, unsigned nl,
			       const struct pd_netif *a)
{
	unsigned i;

	for (i = 0; i < nl; i++) {
		const struct sockaddr_in6 *l6 = (const struct sockaddr_in6 *)&l[i].addr;
		const struct sockaddr_in *l4 = (const struct sockaddr_in *)&l[i].addr;

		if (l[i].addr.ss_family == AF_INET && accepts_v4(l4, a))
			return ntohs(l4->sin_port);
		if (l[i].addr.ss_family == AF_INET6 && accepts_v6(l6, l[i].v6only, a))
			return ntohs(l6->sin6_port);
	}
	return 0;
}

const struct pd_netif *pd_advertised(const struct pd_listener *l, unsigned nl,
				     const struct pd_netif *nifs, unsigned n,
				     int family, unsigned ifindex,
				     const struct pd_netif *prefer, unsigned *port)
{
	unsigned i;

	if (prefer && (*port = accepting_port(l, nl, prefer)))
		return prefer;
	for (i = 0; i < n; i++)
		if (nifs[i].family == family && nifs[i].index == ifindex &&
		    (*port = accepting_port(l, nl, &nifs[i])))
			return &nifs[i];
	return NULL;
}
