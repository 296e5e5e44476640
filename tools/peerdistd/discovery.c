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
 * Both directions are bounded: at most PROBES_PER_S probes are looked at
 * per second, and at most MAX_PENDING answers wait at a time.
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

#include "discover.h"
#include "netif.h"
#include "pccrd.h"
#include "peerdistd.h"

#define APP_MAX_DELAY_MS	65
#define MAX_PENDING		64
#define PROBES_PER_S		200
#define NETIF_REFRESH_MS	5000
#define SUPPRESS_AFTER		10	/* Windows 7: n = 10 */
#define ANSWER_ODDS_PERCENT	33	/* Windows 7: p = 0.33 */

/* An answer waiting out its back-off, and what it would say. */
struct pending {
	int64_t due_ms;
	int fd;
	struct sockaddr_storage to;
	size_t len;
	char *xml;
	char relates_to[PD_PCCRD_MAX_URI];
	struct pd_pccrd_msg *said;	/* scopes and counts of the answer */
	unsigned as_good_seen;		/* others' answers at least as complete */
};

struct pd_discovery {
	struct pd_store *st;
	unsigned http_port;
	char interfaces[256];
	int fds[2];			/* IPv4, IPv6 */
	int stop_fd;
	pthread_t thread;
	struct pd_netif nifs[PD_NETIF_MAX];
	unsigned nnifs;
	int64_t nifs_ms;
	char address[46];		/* our urn:uuid, new each start */
	uint64_t instance_id, message_number;
	int64_t window_ms;		/* rate limit: the current second */
	unsigned window_probes;
	struct pending pending[MAX_PENDING];
	unsigned npending;
	struct pd_pccrd_msg in, out;
	char buf[PD_PCCRD_MAX_MESSAGE];
	uint64_t probes, answers;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void refresh_netifs(struct pd_discovery *d)
{
	int n = pd_netif_list(d->nifs, PD_NETIF_MAX, d->interfaces);

	d->nnifs = n > 0 ? n : 0;
	d->nifs_ms = now_ms();
}

/* Joins the group on every chosen interface of the socket's family. */
static void join_groups(struct pd_discovery *d, int fd, int family)
{
	unsigned i;

	for (i = 0; i < d->nnifs; i++) {
		if (d->nifs[i].family != family)
			continue;
		if (family == AF_INET) {
			struct ip_mreqn mr = { .imr_ifindex = d->nifs[i].index };

			inet_pton(AF_INET, PD_PCCRD_GROUP_V4, &mr.imr_multiaddr);
			setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
		} else {
			struct ipv6_mreq mr = { .ipv6mr_interface = d->nifs[i].index };

			inet_pton(AF_INET6, PD_PCCRD_GROUP_V6, &mr.ipv6mr_multiaddr);
			setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
		}
	}
}

static int open_listener(struct pd_discovery *d, int family)
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
	} else {
		setsockopt(fd, IPPROTO_IP, IP_TTL, &hops, sizeof(hops));
	}
	if (bind(fd, family == AF_INET ? (struct sockaddr *)&a4 : (struct sockaddr *)&a6,
		 family == AF_INET ? sizeof(a4) : sizeof(a6))) {
		close(fd);
		return -1;
	}
	join_groups(d, fd, family);
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
 * Fills d->out with what we hold of d->in's segments; how many we hold.
 * V1 lists the held scopes with their block counts; V2 answers every
 * scope in order (a bitmap: has the segment, has all of its blocks;
 * ages unknown, so left out).
 */
static unsigned match(struct pd_discovery *d, const struct pd_netif *via)
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
	o->nxaddrs = 1;
	pd_netif_format((const struct sockaddr *)&via->addr, d->http_port,
			o->xaddrs[0], sizeof(o->xaddrs[0]));
	return held;
}


static unsigned random_below(unsigned n)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)now_ms();
	return r % n;
}

static void queue_answer(struct pd_discovery *d, int fd,
			 const struct sockaddr_storage *to)
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
	p->due_ms = now_ms() + 1 + random_below(APP_MAX_DELAY_MS);
	d->npending++;
}

static int rate_ok(struct pd_discovery *d)
{
	int64_t now = now_ms();

	if (now - d->window_ms >= 1000) {
		d->window_ms = now;
		d->window_probes = 0;
	}
	return d->window_probes++ < PROBES_PER_S;
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

static void on_datagram(struct pd_discovery *d, int fd)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	const struct pd_netif *via;
	ssize_t len;

	len = recvfrom(fd, d->buf, sizeof(d->buf), 0, (struct sockaddr *)&from, &flen);
	if (len <= 0 || !rate_ok(d))
		return;
	if (now_ms() - d->nifs_ms > NETIF_REFRESH_MS)
		refresh_netifs(d);
	via = pd_netif_subnet_of(d->nifs, d->nnifs, (struct sockaddr *)&from);
	if (!via || pd_pccrd_parse(d->buf, len, &d->in))
		return;
	if (d->in.kind == PD_WSD_PROBE_MATCHES) {
		overheard(d, &d->in);
		return;
	}
	d->probes++;
	if (match(d, via)) {
		char who[INET6_ADDRSTRLEN + 16];

		pd_netif_format((struct sockaddr *)&from, ntohs(((struct sockaddr_in *)&from)->sin_port),
				who, sizeof(who));
		pd_log(PD_LOG_DEBUG, "Probe V%u from %s: segments held", d->in.version, who);
		queue_answer(d, fd, &from);
	}
}

static int suppressed(const struct pending *p)
{
	if (p->as_good_seen >= SUPPRESS_AFTER)
		return 1;
	return p->as_good_seen && random_below(100) >= ANSWER_ODDS_PERCENT;
}

/* Sends the answers that are due; the wait until the next one (ms, -1). */
static int send_due(struct pd_discovery *d)
{
	int64_t now = now_ms(), next = -1;
	unsigned i = 0;

	while (i < d->npending) {
		struct pending *p = &d->pending[i];

		if (p->due_ms > now) {
			if (next < 0 || p->due_ms - now < next)
				next = p->due_ms - now;
			i++;
			continue;
		}
		if (!suppressed(p) &&
		    sendto(p->fd, p->xml, p->len, 0, (struct sockaddr *)&p->to,
			   p->to.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
			   sizeof(struct sockaddr_in6)) > 0)
			d->answers++;
		free(p->xml);
		free(p->said);
		*p = d->pending[--d->npending];
	}
	return next;
}

static void *discovery_main(void *arg)
{
	struct pd_discovery *d = arg;
	struct pollfd p[3] = { { d->fds[0], POLLIN, 0 }, { d->fds[1], POLLIN, 0 },
			       { d->stop_fd, POLLIN, 0 } };
	unsigned i;

	while (!(p[2].revents & POLLIN)) {
		if (poll(p, 3, send_due(d)) <= 0)
			continue;
		for (i = 0; i < 2; i++)
			if (p[i].fd >= 0 && (p[i].revents & POLLIN))
				on_datagram(d, p[i].fd);
	}
	return NULL;
}

static void close_all(struct pd_discovery *d)
{
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->fds[0] >= 0)
		close(d->fds[0]);
	if (d->fds[1] >= 0)
		close(d->fds[1]);
	free(d);
}

int pd_discovery_start(const struct pd_config *cfg, struct pd_store *st,
		       const struct pd_http *http, struct pd_discovery **out)
{
	struct pd_discovery *d = calloc(1, sizeof(*d));
	unsigned i;

	if (!d)
		return -1;
	d->st = st;
	d->http_port = pd_http_port(http);
	for (i = 0; i < cfg->ninterfaces; i++)
		snprintf(d->interfaces + strlen(d->interfaces),
			 sizeof(d->interfaces) - strlen(d->interfaces), "%s%s",
			 i ? "," : "", cfg->interfaces[i]);
	pd_urn_uuid(d->address);
	d->instance_id = time(NULL);	/* as Windows 7: start time, seconds */
	refresh_netifs(d);
	d->fds[0] = open_listener(d, AF_INET);
	d->fds[1] = open_listener(d, AF_INET6);
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	if ((d->fds[0] < 0 && d->fds[1] < 0) || d->stop_fd < 0 ||
	    pthread_create(&d->thread, NULL, discovery_main, d)) {
		pd_log(PD_LOG_ERROR, "cannot listen for discovery on port %u: %s",
		       PD_PCCRD_PORT, strerror(errno));
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
	pd_log(PD_LOG_INFO, "discovery: %llu Probes from our subnets, %llu answered",
	       (unsigned long long)d->probes, (unsigned long long)d->answers);
	for (i = 0; i < d->npending; i++) {
		free(d->pending[i].xml);
		free(d->pending[i].said);
	}
	close_all(d);
}
