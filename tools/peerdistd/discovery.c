// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Discovery, the serving side (MS-PCCRD 3.2): listens on UDP 3702 in the
 * WS-Discovery groups of the chosen interfaces, and answers a Probe for
 * segments this cache holds with a unicast ProbeMatches that gives their
 * block counts and this service's retrieval address. Like Windows, it
 * answers only hosts on its own subnets and waits a random 1..65 ms before
 * answering, so that the answers of many peers do not arrive at once.
 * While it waits it listens for other peers' answers to the same Probe,
 * and like Windows 7 it then holds its own back: not at all after
 * SUPPRESS_AFTER answers at least as complete as its own, with probability
 * 2/3 after fewer. (Answers are unicast to the prober, so this only
 * happens where they are seen, on the prober itself or a shared segment.)
 * An answer advertises (XAddrs) only an address of the interface the
 * Probe came in on, of the Probe's family, that the retrieval service's
 * sockets accept, and is sent from that address; with none, no answer.
 * The interfaces are followed through rtnetlink: an address or link that
 * comes or goes joins or leaves the groups and refreshes the subnets and
 * the state file at once.
 *
 * Hostile load is bounded: a source gets at most PARSE_PER_SOURCE
 * datagrams parsed per second; only parsed Probes from our subnets spend
 * the budget of PROBES_PER_S answers a second, and one source at most
 * PROBE_SHARE of it. At most MAX_PENDING answers wait at a time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "discover.h"
#include "netif.h"
#include "netwatch.h"
#include "pccrd.h"
#include "peerdistd.h"

#define APP_MAX_DELAY_MS	65
#define MAX_PENDING		64
#define READ_BATCH		64	/* datagrams read before answers are sent */
#define PROBES_PER_S		200
#define PROBE_SHARE		20	/* of PROBES_PER_S, for one source */
#define PARSE_PER_SOURCE	50	/* datagrams parsed a second, one source */
#define MAX_SOURCES		64	/* sources counted a second; then shared */
#define NETIF_POLL_MS		5000	/* without rtnetlink only */
#define SUPPRESS_AFTER		10	/* Windows 7: n = 10 */
#define ANSWER_ODDS_PERCENT	33	/* Windows 7: p = 0.33 */

/* An answer waiting out its back-off, and what it would say. */
struct pending {
	int64_t due_ms;
	int fd;
	struct sockaddr_storage to;
	struct pd_netif from;		/* the advertised address: our source */
	size_t len;
	char *xml;
	char relates_to[PD_PCCRD_MAX_URI];
	struct pd_pccrd_msg *said;	/* scopes and counts of the answer */
	unsigned as_good_seen;		/* others' answers at least as complete */
};

/* What one source spent in the current second. */
struct source {
	struct sockaddr_storage addr;	/* port 0 */
	unsigned parsed, probes;
};

/* A group membership: family's group on interface index. */
struct membership {
	int family;
	unsigned index;
};

struct pd_discovery {
	struct pd_store *st;
	struct pd_listener listeners[PD_HTTP_MAX_LISTENERS];
	unsigned nlisteners;
	char interfaces[256];
	int fds[2];			/* IPv4, IPv6 */
	int stop_fd;
	struct pd_netwatch *watch;	/* NULL: re-read every NETIF_POLL_MS */
	pthread_t thread;
	struct pd_netif nifs[PD_NETIF_MAX];
	unsigned nnifs;
	int64_t nifs_ms;
	struct membership joined[PD_NETIF_MAX];
	unsigned njoined;
	char address[46];		/* our urn:uuid, new each start */
	uint64_t instance_id, message_number;
	int64_t window_ms;		/* rate limits: the current second */
	unsigned window_probes;
	struct source sources[MAX_SOURCES + 1];	/* the last one: all others */
	unsigned nsources;
	struct pending pending[MAX_PENDING];
	unsigned npending;
	struct pd_pccrd_msg in, out;
	char buf[PD_PCCRD_MAX_MESSAGE];
	uint64_t probes, answers, unadvertised;
};

static int membership_op(int fd, const struct membership *m, int join)
{
	if (m->family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = m->index };

		inet_pton(AF_INET, PD_PCCRD_GROUP_V4, &mr.imr_multiaddr);
		return setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP :
				  IP_DROP_MEMBERSHIP, &mr, sizeof(mr));
	} else {
		struct ipv6_mreq mr = { .ipv6mr_interface = m->index };

		inet_pton(AF_INET6, PD_PCCRD_GROUP_V6, &mr.ipv6mr_multiaddr);
		return setsockopt(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP :
				  IPV6_LEAVE_GROUP, &mr, sizeof(mr));
	}
}

static int has_address(const struct pd_discovery *d, const struct membership *m)
{
	unsigned i;

	for (i = 0; i < d->nnifs; i++)
		if (d->nifs[i].family == m->family && d->nifs[i].index == m->index)
			return 1;
	return 0;
}

static int is_joined(const struct pd_discovery *d, int family, unsigned index)
{
	unsigned i;

	for (i = 0; i < d->njoined; i++)
		if (d->joined[i].family == family && d->joined[i].index == index)
			return 1;
	return 0;
}

/*
 * The groups follow the addresses: joined on every chosen interface with
 * an address of the group's family, left where the last one went (or the
 * interface itself).
 */
static void sync_groups(struct pd_discovery *d)
{
	unsigned i = 0;

	while (i < d->njoined) {
		struct membership *m = &d->joined[i];

		if (has_address(d, m)) {
			i++;
			continue;
		}
		membership_op(d->fds[m->family == AF_INET6], m, 0);
		pd_log(PD_LOG_DEBUG, "discovery: left the IPv%c group on interface %u",
		       m->family == AF_INET ? '4' : '6', m->index);
		*m = d->joined[--d->njoined];
	}
	for (i = 0; i < d->nnifs && d->njoined < PD_NETIF_MAX; i++) {
		struct membership m = { d->nifs[i].family, d->nifs[i].index };
		int fd = d->fds[m.family == AF_INET6];

		if (fd < 0 || is_joined(d, m.family, m.index))
			continue;
		if (membership_op(fd, &m, 1) && errno != EADDRINUSE) {
			pd_log(PD_LOG_WARNING, "discovery: cannot join the IPv%c group on %s: %s",
			       m.family == AF_INET ? '4' : '6', d->nifs[i].name,
			       strerror(errno));
			continue;
		}
		pd_log(PD_LOG_DEBUG, "discovery: joined the IPv%c group on %s",
		       m.family == AF_INET ? '4' : '6', d->nifs[i].name);
		d->joined[d->njoined++] = m;
	}
}

/* Reads the interfaces again; the groups and the state file follow. */
static void refresh_netifs(struct pd_discovery *d)
{
	int n = pd_netif_list(d->nifs, PD_NETIF_MAX, d->interfaces);

	d->nnifs = n > 0 ? n : 0;
	d->nifs_ms = pd_now_ms();
	sync_groups(d);
	pd_state_write(d->nifs, d->nnifs);
}

static int open_listener(int family)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(PD_PCCRD_PORT) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(PD_PCCRD_PORT) };
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, hops = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_TTL, &hops, sizeof(hops));
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	if (bind(fd, family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
		 family == AF_INET ? sizeof(a4) : sizeof(a6))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Blocks of a segment this cache holds (0 for one it does not know). */
static uint32_t blocks_held(struct pd_store *st, const struct pd_segment_scope *sc)
{
	struct pd_segment_desc desc;
	uint32_t b, n = 0;

	if (st->ops->get_segment(st, sc->id, sc->len, &desc))
		return 0;
	for (b = 0; b < desc.nblocks; b++)
		n += st->ops->has_block(st, sc->id, sc->len, b) == 1;
	return n;
}

/*
 * Fills d->out with what we hold of d->in's segments, advertising adv
 * (a link-local address without its zone first: see pd_netif_xaddr);
 * how many we hold. V1 lists the held scopes with their block counts; V2
 * answers every scope in order (a bitmap: has the segment, has all of its
 * blocks; ages unknown, so left out).
 */
static unsigned match(struct pd_discovery *d, const struct pd_netif *adv,
		      unsigned port)
{
	struct pd_pccrd_msg *o = &d->out;
	unsigned i, held = 0;
	uint32_t n;

	memset(o, 0, sizeof(*o));
	o->version = d->in.version;
	for (i = 0; i < d->in.nscopes; i++) {
		n = blocks_held(d->st, &d->in.scopes[i]);
		held += n > 0;
		if (o->version == 2) {
			o->scopes[o->nscopes] = d->in.scopes[i];
			o->have_segment[o->nscopes] = n > 0;
			o->have_all_blocks[o->nscopes] = n > 0;	/* V2: one block */
			o->segment_age[o->nscopes++] = PD_PCCRD_NO_AGE;
		} else if (n) {
			o->scopes[o->nscopes] = d->in.scopes[i];
			o->block_counts[o->nscopes++] = n;
		}
	}
	if (!held)
		return 0;
	o->kind = PD_WSD_PROBE_MATCHES;
	pd_urn_uuid(o->message_id);
	snprintf(o->relates_to, sizeof(o->relates_to), "%s", d->in.message_id);
	snprintf(o->address, sizeof(o->address), "%s", d->address);
	o->instance_id = d->instance_id;
	o->message_number = ++d->message_number;
	if (pd_netif_link_local(adv))
		pd_netif_xaddr(adv, port, 0, o->xaddrs[o->nxaddrs++], sizeof(o->xaddrs[0]));
	pd_netif_xaddr(adv, port, 1, o->xaddrs[o->nxaddrs++], sizeof(o->xaddrs[0]));
	return held;
}

static unsigned random_below(unsigned n)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)pd_now_ms();
	return r % n;
}

static void queue_answer(struct pd_discovery *d, int fd,
			 const struct sockaddr_storage *to,
			 const struct pd_netif *from)
{
	struct pending *p;
	long len;

	if (d->npending == MAX_PENDING)
		return;
	len = pd_pccrd_write_probe_matches(&d->out, d->buf, sizeof(d->buf));
	if (len <= 0)
		return;
	p = &d->pending[d->npending];
	p->xml = malloc(len);
	p->said = malloc(sizeof(*p->said));
	if (!p->xml || !p->said) {
		free(p->xml);
		free(p->said);
		return;
	}
	memcpy(p->xml, d->buf, len);
	*p->said = d->out;
	snprintf(p->relates_to, sizeof(p->relates_to), "%s", d->in.message_id);
	p->as_good_seen = 0;
	p->len = len;
	p->fd = fd;
	p->to = *to;
	p->from = *from;
	p->due_ms = pd_now_ms() + 1 + random_below(APP_MAX_DELAY_MS);
	d->npending++;
}

/* The source's counters for this second (a new second starts them anew). */
static struct source *source_of(struct pd_discovery *d,
				const struct sockaddr_storage *from)
{
	int64_t now = pd_now_ms();
	unsigned i;

	if (now - d->window_ms >= 1000) {
		d->window_ms = now;
		d->window_probes = 0;
		d->nsources = 0;
		memset(&d->sources[MAX_SOURCES], 0, sizeof(d->sources[0]));
	}
	for (i = 0; i < d->nsources; i++)
		if (pd_netif_same_addr((const struct sockaddr *)&d->sources[i].addr,
				       (const struct sockaddr *)from))
			return &d->sources[i];
	if (d->nsources == MAX_SOURCES)
		return &d->sources[MAX_SOURCES];
	d->sources[i] = (struct source){ .addr = *from };
	d->nsources++;
	return &d->sources[i];
}

/* A parsed Probe from our subnets: whether the budget still has room. */
static int probe_budget_ok(struct pd_discovery *d, struct source *src)
{
	if (d->window_probes >= PROBES_PER_S || src->probes >= PROBE_SHARE)
		return 0;
	d->window_probes++;
	src->probes++;
	return 1;
}

/* Whether scope i of what we would say is covered as well by answer a. */
static int covers(const struct pd_pccrd_msg *a, const struct pd_pccrd_msg *ours,
		  unsigned i)
{
	unsigned j;

	if (ours->version == 2)
		return !ours->have_segment[i] ||
		       (i < a->nscopes && a->have_all_blocks[i]);
	for (j = 0; j < a->nscopes; j++)
		if (a->scopes[j].len == ours->scopes[i].len &&
		    !memcmp(a->scopes[j].id, ours->scopes[i].id, a->scopes[j].len))
			return a->block_counts[j] >= ours->block_counts[i];
	return 0;
}

/* Another peer's answer to a Probe we are about to answer. */
static void overheard(struct pd_discovery *d, const struct pd_pccrd_msg *a)
{
	unsigned i, k;

	for (k = 0; k < d->npending; k++) {
		struct pending *p = &d->pending[k];

		if (strcmp(p->relates_to, a->relates_to) || a->version != p->said->version)
			continue;
		for (i = 0; i < p->said->nscopes && covers(a, p->said, i); i++)
			;
		p->as_good_seen += i == p->said->nscopes;
	}
}

/* One datagram, with the interface it came in on (0: unknown). */
static ssize_t receive(struct pd_discovery *d, int fd, struct sockaddr_storage *from,
		       unsigned *ifindex)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control;
	struct iovec iov = { d->buf, sizeof(d->buf) };
	struct msghdr msg = { .msg_name = from, .msg_namelen = sizeof(*from),
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = &control, .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	ssize_t len;

	memset(from, 0, sizeof(*from));
	len = recvmsg(fd, &msg, 0);
	*ifindex = 0;
	for (c = len > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			*ifindex = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
		else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
			*ifindex = ((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
	}
	return len;
}

/* Answers d->in, a Probe that came in on via from prober. */
static void answer_probe(struct pd_discovery *d, int fd, const struct pd_netif *via,
			 const struct sockaddr_storage *prober)
{
	char xaddr[PD_NETIF_XADDR_MAX], who[INET6_ADDRSTRLEN + 16];
	const struct pd_netif *adv;
	unsigned port;

	adv = pd_advertised(d->listeners, d->nlisteners, d->nifs, d->nnifs,
			    via->family, via->index, via, &port);
	if (!adv) {
		d->unadvertised++;
		return;
	}
	pd_netif_xaddr(adv, port, 1, xaddr, sizeof(xaddr));
	if (!match(d, adv, port))
		return;
	pd_netif_format((const struct sockaddr *)prober,
			ntohs(((const struct sockaddr_in *)prober)->sin_port), who, sizeof(who));
	pd_log(PD_LOG_DEBUG, "Probe V%u from %s: segments held, advertising %s",
	       d->in.version, who, xaddr);
	queue_answer(d, fd, prober, adv);
}

/* One datagram: 0, or -1 when none was waiting. */
static int on_datagram(struct pd_discovery *d, int fd)
{
	struct sockaddr_storage from;
	const struct pd_netif *via;
	struct source *src;
	unsigned ifindex;
	ssize_t len;

	len = receive(d, fd, &from, &ifindex);
	if (len < 0)
		return -1;
	if (!d->watch && pd_now_ms() - d->nifs_ms > NETIF_POLL_MS)
		refresh_netifs(d);
	via = pd_netif_subnet_of(d->nifs, d->nnifs, ifindex, (struct sockaddr *)&from);
	if (!via || !len)
		return 0;
	src = source_of(d, &from);
	if (src->parsed++ >= PARSE_PER_SOURCE || pd_pccrd_parse(d->buf, len, &d->in))
		return 0;
	if (d->in.kind == PD_WSD_PROBE_MATCHES)
		overheard(d, &d->in);
	else if (d->in.kind == PD_WSD_PROBE && probe_budget_ok(d, src)) {
		d->probes++;
		answer_probe(d, fd, via, &from);
	}
	return 0;
}

static int suppressed(const struct pending *p)
{
	if (p->as_good_seen >= SUPPRESS_AFTER)
		return 1;
	return p->as_good_seen && random_below(100) >= ANSWER_ODDS_PERCENT;
}

/* Sends p from the address it advertises, out of the interface it names. */
static ssize_t send_from(const struct pending *p)
{
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control;
	struct iovec iov = { p->xml, p->len };
	struct msghdr msg = { .msg_name = (void *)&p->to, .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = &control };
	struct cmsghdr *c = (struct cmsghdr *)&control;

	memset(&control, 0, sizeof(control));
	if (p->from.family == AF_INET) {
		struct in_pktinfo pi = { .ipi_ifindex = p->from.index };

		pi.ipi_spec_dst = ((const struct sockaddr_in *)&p->from.addr)->sin_addr;
		msg.msg_namelen = sizeof(struct sockaddr_in);
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
		*c = (struct cmsghdr){ .cmsg_level = IPPROTO_IP, .cmsg_type = IP_PKTINFO,
				       .cmsg_len = CMSG_LEN(sizeof(pi)) };
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_ifindex = p->from.index };

		pi.ipi6_addr = ((const struct sockaddr_in6 *)&p->from.addr)->sin6_addr;
		msg.msg_namelen = sizeof(struct sockaddr_in6);
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
		*c = (struct cmsghdr){ .cmsg_level = IPPROTO_IPV6, .cmsg_type = IPV6_PKTINFO,
				       .cmsg_len = CMSG_LEN(sizeof(pi)) };
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	return sendmsg(p->fd, &msg, 0);
}

/* Sends the answers that are due; the wait until the next one (ms, -1). */
static int send_due(struct pd_discovery *d)
{
	int64_t now = pd_now_ms(), next = -1;
	unsigned i = 0;

	while (i < d->npending) {
		struct pending *p = &d->pending[i];

		if (p->due_ms > now) {
			if (next < 0 || p->due_ms - now < next)
				next = p->due_ms - now;
			i++;
			continue;
		}
		if (!suppressed(p) && send_from(p) > 0)
			d->answers++;
		free(p->xml);
		free(p->said);
		*p = d->pending[--d->npending];
	}
	if (!d->watch && (next < 0 || next > NETIF_POLL_MS))
		next = NETIF_POLL_MS;
	return next;
}

static void *discovery_main(void *arg)
{
	struct pd_discovery *d = arg;
	struct pollfd p[4] = { { d->fds[0], POLLIN, 0 }, { d->fds[1], POLLIN, 0 },
			       { d->stop_fd, POLLIN, 0 },
			       { d->watch ? pd_netwatch_fd(d->watch) : -1, POLLIN, 0 } };
	unsigned i, n;

	while (!(p[2].revents & POLLIN)) {
		if (poll(p, 4, send_due(d)) <= 0)
			continue;
		if ((p[3].revents & POLLIN) && pd_netwatch_changed(d->watch))
			refresh_netifs(d);
		/* What is waiting first, so that answers others already sent
		 * are heard before ours go out. */
		for (i = 0; i < 2; i++)
			for (n = 0; p[i].fd >= 0 && (p[i].revents & POLLIN) &&
			     n < READ_BATCH && !on_datagram(d, p[i].fd); n++)
				;
	}
	return NULL;
}

static void close_all(struct pd_discovery *d)
{
	pd_netwatch_close(d->watch);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->fds[0] >= 0)
		close(d->fds[0]);
	if (d->fds[1] >= 0)
		close(d->fds[1]);
	free(d);
}

/* Without rtnetlink the interfaces are re-read on a timer instead. */
static void watch_interfaces(struct pd_discovery *d)
{
	int err = pd_netwatch_open(&d->watch);

	if (err) {
		d->watch = NULL;
		pd_log(PD_LOG_WARNING, "discovery: no address notifications (%s): "
		       "interfaces are re-read every %u s", strerror(-err),
		       NETIF_POLL_MS / 1000);
	}
}

int pd_discovery_start(const struct pd_config *cfg, struct pd_store *st,
		       const struct pd_http *http, struct pd_discovery **out)
{
	struct pd_discovery *d = calloc(1, sizeof(*d));
	unsigned i;

	if (!d)
		return -1;
	d->st = st;
	d->nlisteners = pd_http_listeners(http, d->listeners, PD_HTTP_MAX_LISTENERS);
	if (!d->nlisteners)
		pd_log(PD_LOG_WARNING, "discovery: the retrieval service names no "
		       "listening socket: no Probe will be answered");
	for (i = 0; i < cfg->ninterfaces; i++)
		snprintf(d->interfaces + strlen(d->interfaces),
			 sizeof(d->interfaces) - strlen(d->interfaces), "%s%s",
			 i ? "," : "", cfg->interfaces[i]);
	pd_urn_uuid(d->address);
	d->instance_id = time(NULL);	/* as Windows 7: start time, seconds */
	d->stop_fd = -1;
	d->fds[0] = open_listener(AF_INET);
	d->fds[1] = open_listener(AF_INET6);
	if (d->fds[0] < 0 && d->fds[1] < 0) {
		pd_log(PD_LOG_ERROR, "cannot listen for discovery on port %u: %s",
		       PD_PCCRD_PORT, strerror(errno));
		goto close_fds;
	}
	watch_interfaces(d);
	refresh_netifs(d);
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (d->stop_fd < 0 || pthread_create(&d->thread, NULL, discovery_main, d)) {
		pd_log(PD_LOG_ERROR, "cannot start discovery: %s", strerror(errno));
		goto close_fds;
	}
	pd_log(PD_LOG_INFO, "discovery on UDP port %u, %u interface addresses",
	       PD_PCCRD_PORT, d->nnifs);
	*out = d;
	return 0;

close_fds:
	close_all(d);
	return -1;
}

void pd_discovery_stop(struct pd_discovery *d)
{
	uint64_t one = 1;
	unsigned i;

	if (!d)
		return;
	if (write(d->stop_fd, &one, sizeof(one)) < 0)
		one = 0;	/* an eventfd write cannot fail here */
	pthread_join(d->thread, NULL);
	pd_log(PD_LOG_INFO, "discovery: %llu Probes from our subnets, %llu answered, "
	       "%llu with no address the retrieval service accepts",
	       (unsigned long long)d->probes, (unsigned long long)d->answers,
	       (unsigned long long)d->unadvertised);
	for (i = 0; i < d->npending; i++) {
		free(d->pending[i].xml);
		free(d->pending[i].said);
	}
	close_all(d);
}
