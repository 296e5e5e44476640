/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's network interfaces, as discovery needs them: which ones to
 * send multicast on, and whether an address is on one of our own subnets
 * (discovery answers and accepts answers only there: MS-PCCRD 3.1).
 */
#ifndef PD_NETIF_H
#define PD_NETIF_H

#include <net/if.h>
#include <sys/socket.h>

#define PD_NETIF_MAX	32

struct pd_netif {
	char name[IF_NAMESIZE];
	unsigned index;
	int family;			/* AF_INET or AF_INET6 */
	struct sockaddr_storage addr;	/* port 0 */
	unsigned prefix_len;
};

/*
 * The addresses of the interfaces named in the comma list only, or when it
 * is NULL or empty, of every up, multicast-capable, non-loopback one.
 * Returns how many, or -errno.
 */
int pd_netif_list(struct pd_netif *out, unsigned max, const char *only);

/* The entry of list whose subnet holds addr (IPv6 link-local: the same
 * interface index), or NULL. */
const struct pd_netif *pd_netif_subnet_of(const struct pd_netif *list,
					  unsigned n,
					  const struct sockaddr *addr);

/* "a.b.c.d:port" or "[v6]:port" for addr with port. */
void pd_netif_format(const struct sockaddr *addr, unsigned port, char *out,
		     size_t len);

#endif
