// SPDX-License-Identifier: LGPL-2.1-or-later
/* Discovery, the client side: send one Probe, gather the ProbeMatches. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "discover.h"
#include "netif.h"
#include "pccrd.h"

void pd_urn_uuid(char out[46])
{
	uint8_t u[16] = { 0 };

	if (getrandom(u, sizeof(u), 0) != sizeof(u))
		memset(u, 0x5a, sizeof(u) / 2);	/* uniqueness only; not a secret */
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
		 u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static int send_on(int fd, const struct pd_netif *nif, const char *xml, size_t len)
{
	struct sockaddr_in6 g6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(PD_PCCRD_PORT) };
	struct sockaddr_in g4 = { .sin_family = AF_INET,
				  .sin_port = htons(PD_PCCRD_PORT) };
	struct ip_mreqn mr = { .imr_ifindex = nif->index };
	int ifindex = nif->index;

	if (nif->family == AF_INET) {
		inet_pton(AF_INET, PD_PCCRD_GROUP_V4, &g4.sin_addr);
		mr.imr_address = ((const struct sockaddr_in *)&nif->addr)->sin_addr;
		if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)))
			return -errno;
		return sendto(fd, xml, len, 0, (struct sockaddr *)&g4,
			      sizeof(g4)) < 0 ? -errno : 0;
	}
	inet_pton(AF_INET6, PD_PCCRD_GROUP_V6, &g6.sin6_addr);
	g6.sin6_scope_id = nif->index;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)))
		return -errno;
	return sendto(fd, xml, len, 0, (struct sockaddr *)&g6,
		      sizeof(g6)) < 0 ? -errno : 0;
}

static int open_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, hops = 1;

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &hops, sizeof(hops));
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops));
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &one, sizeof(one));
	}
	return fd;
}

/* The port of the XAddr naming the sender, else of the first one; 0: none. */
static unsigned xaddr_port(const struct pd_pccrd_msg *m, const struct sockaddr *from)
{
	char host[INET6_ADDRSTRLEN + 2], want[INET6_ADDRSTRLEN + 16];
	unsigned i, port = 0;
	const char *colon;

	pd_netif_format(from, 0, want, sizeof(want));
	*strrchr(want, ':') = 0;
	for (i = 0; i < m->nxaddrs; i++) {
		colon = strrchr(m->xaddrs[i], ':');
		if (!colon || colon == m->xaddrs[i] ||
		    (size_t)(colon - m->xaddrs[i]) >= sizeof(host))
			continue;
		snprintf(host, colon - m->xaddrs[i] + 1, "%s", m->xaddrs[i]);
		if (!port || !strcmp(host, want))
			port = strtoul(colon + 1, NULL, 10);
		if (!strcmp(host, want))
			break;
	}
	return port < 65536 ? port : 0;
}

/* Datagrams parsed per sender, at most: a flooding host cannot crowd out
 * the answers of the others (it only costs reads). */
#define PARSE_PER_SENDER	8
#define MAX_SENDERS		64

struct sender {
	struct sockaddr_storage addr;
	unsigned parsed;
};

struct gather {
	struct sender senders[MAX_SENDERS];
	unsigned nsenders;
	const uint8_t *id;
	unsigned idlen;
	unsigned version;
	const char *message_id;
	struct pd_netif nifs[PD_NETIF_MAX];
	unsigned nnifs;
	struct pd_pccrd_msg msg;
	char buf[PD_PCCRD_MAX_MESSAGE];
};

/* Blocks of g->id a ProbeMatches reports; 0 when it does not concern us.
 * A V2 answer is a bitmap in the order of our one scope: a V2 segment is
 * one block. */
static uint32_t blocks_reported(struct gather *g, const struct sockaddr *from)
{
	const struct pd_pccrd_msg *m = &g->msg;
	unsigned i;

	if (m->kind != PD_WSD_PROBE_MATCHES || strcmp(m->relates_to, g->message_id) ||
	    m->version != g->version || !pd_netif_subnet_of(g->nifs, g->nnifs, from))
		return 0;
	if (m->version == 2)
		return m->nscopes && m->have_segment[0];
	for (i = 0; i < m->nscopes; i++)
		if (m->scopes[i].len == g->idlen &&
		    !memcmp(m->scopes[i].id, g->id, g->idlen))
			return m->block_counts[i];
	return 0;
}

static int add_peer(struct pd_peer *peers, unsigned n, unsigned max,
		    const struct sockaddr_storage *from, unsigned port,
		    uint32_t blocks)
{
	struct pd_peer p = { .addr = *from, .block_count = blocks };
	unsigned i;

	if (p.addr.ss_family == AF_INET)
		((struct sockaddr_in *)&p.addr)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&p.addr)->sin6_port = htons(port);
	for (i = 0; i < n; i++)
		if (!memcmp(&peers[i].addr, &p.addr, sizeof(p.addr)))
			return n;
	if (n < max)
		peers[n++] = p;
	return n;
}

/* Whether a datagram from addr may still be parsed. */
static int may_parse(struct gather *g, const struct sockaddr_storage *addr)
{
	unsigned i;

	for (i = 0; i < g->nsenders; i++)
		if (!memcmp(&g->senders[i].addr, addr, sizeof(*addr)))
			return ++g->senders[i].parsed <= PARSE_PER_SENDER;
	if (g->nsenders == MAX_SENDERS)
		return 0;
	g->senders[g->nsenders++] = (struct sender){ *addr, 1 };
	return 1;
}

static int gather(struct gather *g, int fds[2], int64_t end,
		  struct pd_peer *peers, unsigned max)
{
	struct pollfd pfd[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
	unsigned n = 0, i, port;
	int64_t left;

	while ((left = end - pd_now_ms()) > 0) {
		if (poll(pfd, 2, left) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			struct sockaddr_storage from = { 0 };
			socklen_t flen = sizeof(from);
			ssize_t len;
			uint32_t blocks;

			if (fds[i] < 0 || !(pfd[i].revents & POLLIN))
				continue;
			len = recvfrom(fds[i], g->buf, sizeof(g->buf), 0,
				       (struct sockaddr *)&from, &flen);
			if (len <= 0 || !may_parse(g, &from) ||
			    pd_pccrd_parse(g->buf, len, &g->msg))
				continue;
			blocks = blocks_reported(g, (struct sockaddr *)&from);
			port = blocks ? xaddr_port(&g->msg, (struct sockaddr *)&from) : 0;
			if (port)
				n = add_peer(peers, n, max, &from, port, blocks);
		}
	}
	return n;
}

static int probe(struct gather *g, int fds[2])
{
	struct pd_pccrd_msg *m = &g->msg;
	int sent = 0, err = -ENETUNREACH;
	unsigned i;
	long len;

	memset(m, 0, sizeof(*m));
	m->kind = PD_WSD_PROBE;
	m->version = g->version;
	snprintf(m->message_id, sizeof(m->message_id), "%s", g->message_id);
	m->nscopes = 1;
	m->scopes[0].len = g->idlen;
	memcpy(m->scopes[0].id, g->id, g->idlen);
	len = pd_pccrd_write_probe(m, g->buf, sizeof(g->buf));
	if (len < 0)
		return -EINVAL;
	for (i = 0; i < g->nnifs; i++) {
		int fd = fds[g->nifs[i].family == AF_INET6];

		if (fd >= 0 && !(err = send_on(fd, &g->nifs[i], g->buf, len)))
			sent++;
	}
	return sent ? 0 : err;
}

int pd_discover(unsigned version, const uint8_t *id, unsigned idlen,
		const char *ifaces, unsigned window_ms, struct pd_peer *peers,
		unsigned max)
{
	char message_id[46];
	struct gather *g = calloc(1, sizeof(*g));
	int fds[2] = { -1, -1 }, n;

	if (!g)
		return -ENOMEM;
	pd_urn_uuid(message_id);
	*g = (struct gather){ .id = id, .idlen = idlen, .version = version,
			      .message_id = message_id };
	n = pd_netif_list(g->nifs, PD_NETIF_MAX, ifaces);
	if (n < 0)
		goto free_g;
	g->nnifs = n;
	fds[0] = open_socket(AF_INET);
	fds[1] = open_socket(AF_INET6);
	n = probe(g, fds);
	if (!n)
		n = gather(g, fds, pd_now_ms() + window_ms, peers, max);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
free_g:
	free(g);
	return n;
}
