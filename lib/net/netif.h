/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's network interfaces, as discovery needs them: which ones to
 * send multicast on, and whether an address is on one of our own subnets
 * (discovery answers and accepts answers only there: MS-PCCRD 3.1).
 */
#ifndef PD_NETIF_H
#define PD_NETIF_H

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PD_NETIF_MAX	32
#define PD_NETIF_XADDR_MAX	(INET6_ADDRSTRLEN + IF_NAMESIZE + 10)

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

/* The entry of list on interface ifindex (0: any) whose subnet holds addr
 * (IPv6 link-local: the link-local address of the interface the address
 * is scoped to), or NULL. */
const struct pd_netif *pd_netif_subnet_of(const struct pd_netif *list,
					  unsigned n, unsigned ifindex,
					  const struct sockaddr *addr);

/* "a.b.c.d:port" or "[v6]:port" for addr with port. */
void pd_netif_format(const struct sockaddr *addr, unsigned port, char *out,
		     size_t len);

/* Whether nif is an IPv6 link-local address (scoped to its interface). */
int pd_netif_link_local(const struct pd_netif *nif);

/*
 * An XAddr (WS-Discovery transport address) for an address of ours:
 * "a.b.c.d:port", "[v6]:port"; with zone, a link-local address gets its
 * interface name too, "[fe80::1%eth0]:port" (RFC 4007 text form). The
 * zone names the interface on this host only: iPXE refuses a zone that
 * is not one of its own interfaces (and takes a link-local address
 * without one as on its interface), so a ProbeMatch lists the address
 * without the zone first and with it second.
 */
void pd_netif_xaddr(const struct pd_netif *nif, unsigned port, int zone,
		    char *out, size_t len);

/*
 * An XAddr "host:port" as a client reads it: the host (brackets kept, an
 * IPv6 zone dropped: "[fe80::1%eth0]:3703" gives "[fe80::1]", since the
 * zone is the sender's interface name, not ours) into host, the port
 * (0..65535) into *port. 0, or -1 for no port, a bad one, or a host that
 * does not fit cap.
 */
int pd_netif_xaddr_split(const char *xaddr, char *host, size_t cap,
			 unsigned long *port);

/* Whether two addresses (port ignored) are the same. */
int pd_netif_same_addr(const struct sockaddr *a, const struct sockaddr *b);

#endif
