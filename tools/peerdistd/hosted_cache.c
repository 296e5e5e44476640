// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hosted cache (MS-PCHC server): PCHC 1.0 over HTTPS (libmicrohttpd's
 * TLS, GnuTLS underneath) and 2.0 over HTTP take offers; each offered
 * segment is queued, and puller threads fetch its blocks from the offerer
 * over MS-PCCRR (its address, the port the offer names), decrypt them with
 * the segment's Kp and hand them to the store, which verifies each one
 * against its block hash. The retrieval service serves the store to every
 * client, so what was pulled is served from then on.
 *
 * What an offer is answered (3.1.5): INITIAL_OFFER gets OK when the store
 * already holds the segment's description (HoD, block hashes, Kp), else
 * INTERESTED; SEGMENT_INFO brings the description (checked by the codec
 * and again by the store) and gets OK; BATCHED_OFFER always gets OK. A
 * 2.0 offer carries only segment ids and sizes: a segment whose
 * description is held (from a 1.0 SEGMENT_INFO or a local publication) is
 * pulled and verified; another, as Windows' hosted cache does, is pulled
 * too and its blocks kept unverified, as they came (opaque_cache.h), to be
 * replayed to clients that verify them themselves; with
 * pchc_v2_unverified off, those are counted and left. A description that
 * arrives later wins: the unverified copy is dropped.
 *
 * Bounded work for a hostile offerer: at most hc_offers_per_client queued
 * segments per offering address and MAX_QUEUED in all, hc_segments_per_offer
 * of a batch, hc_pulls pulls at once, each with PULL_DEPTH requests of one
 * block in flight (so at most hc_pulls * PULL_DEPTH blocks), every response
 * bounded by the request timer; a wrong block ends the pull from that
 * offer and is counted; connections are limited per address; unverified
 * blocks take at most their budgets, in all and per offering address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "pccrr.h"
#include "retrieval_http.h"
#include "pccrr_crypto.h"
#include "admission.h"
#include "opaque_cache.h"
#include "pchc.h"
#include "peerdistd.h"

#define MAX_QUEUED	1024	/* segments waiting or being pulled */
#define MAX_PULLERS	64
#define PULL_DEPTH	4	/* GETBLKS in flight on one pull */
#define PEM_MAX		(64 << 10)

struct offer {
	struct offer *next;
	int running;
	struct sockaddr_storage from;	/* the offerer, at its PCCRR port */
	uint8_t id[PD_HASH_MAX];
	unsigned idlen;
	uint32_t block_size, segment_size;	/* a 2.0 offer's; else 0 */
};

struct pd_hosted_cache {
	struct pd_store *st;
	struct pd_opaque_cache *unverified;	/* NULL: 2.0 offers verified only */
	struct MHD_Daemon *v1, *v2;
	char *cert, *key;
	unsigned per_client, per_offer;
	pthread_mutex_t lock;		/* the queue and stop */
	pthread_cond_t work;
	struct offer *queue;
	unsigned nqueued;
	int stop;
	unsigned nthreads;
	pthread_t threads[MAX_PULLERS];
	atomic_ulong offers, refused, unverifiable, pulled, wrong;
};

/* One offer request's body, and the answer sent from it. */
struct request {
	size_t len;
	int too_large;
	uint8_t out[PD_PCHC_RESPONSE_SIZE];
	uint8_t body[PD_PCHC_REQUEST_MAX];
};

static void describe(const struct sockaddr_storage *a, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port;

	if (a->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, host,
			  sizeof(host));
		port = ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
		snprintf(out, len, "[%s]:%u", host, port);
		return;
	}
	inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, host, sizeof(host));
	port = ntohs(((const struct sockaddr_in *)a)->sin_port);
	snprintf(out, len, "%s:%u", host, port);
}

/* The same host, whatever the port. */
static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

/*
 * Queues segment id to be pulled from from. 0 when queued or already
 * waiting (a pull under way may be ending: a new offer is queued anew),
 * -EBUSY over a limit. Lock contract: hc->lock held.
 */
static int queue_pull(struct pd_hosted_cache *hc, const struct sockaddr_storage *from,
		      const uint8_t *id, unsigned idlen, const struct pd_pchc_segment *sizes)
{
	struct offer *o, **tail = &hc->queue;
	unsigned mine = 0;

	for (o = hc->queue; o; tail = &o->next, o = o->next) {
		if (!o->running && o->idlen == idlen && !memcmp(o->id, id, idlen))
			return 0;
		mine += same_host(&o->from, from);
	}
	if (mine >= hc->per_client || hc->nqueued >= MAX_QUEUED)
		return -EBUSY;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->from = *from;
	memcpy(o->id, id, idlen);
	o->idlen = idlen;
	if (sizes) {
		o->block_size = sizes->block_size;
		o->segment_size = sizes->segment_size;
	}
	*tail = o;
	hc->nqueued++;
	pthread_cond_signal(&hc->work);
	return 0;
}

/*
 * Whether the store holds the segment's description (not its blocks) with
 * the Kp that pulled blocks decrypt with: peerdist.ko keeps it from a
 * segment another process added, and the offer's SEGMENT_INFO brings it.
 */
static int known(struct pd_hosted_cache *hc, const uint8_t *id, unsigned idlen)
{
	struct pd_segment_desc d;

	return !hc->st->ops->get_segment(hc->st, id, idlen, &d) && !d.no_kp;
}

/* sizes: a 2.0 offer's, for a pull kept unverified if it comes to that. */
static int offer_one(struct pd_hosted_cache *hc, const struct sockaddr_storage *from,
		     const uint8_t *id, unsigned idlen, const struct pd_pchc_segment *sizes)
{
	int err;

	pthread_mutex_lock(&hc->lock);
	err = queue_pull(hc, from, id, idlen, sizes);
	pthread_mutex_unlock(&hc->lock);
	if (err)
		atomic_fetch_add(&hc->refused, 1);
	return err;
}

/* SEGMENT_INFO: the description kept (the store checks it), then pulled. */
static int take_segment_info(struct pd_hosted_cache *hc,
			     const struct sockaddr_storage *from, struct pd_ci *ci)
{
	struct pd_segment_desc d;
	int err;

	pd_segment_desc_from_ci(ci, 0, &d);
	err = hc->st->ops->add_segment(hc->st, &d);
	if (err) {
		pd_log(PD_LOG_WARNING, "hosted cache: segment information refused: %s",
		       strerror(-err));
		return err;
	}
	if (hc->unverified)	/* the verified path wins */
		pd_opaque_drop(hc->unverified, d.id, d.hash_len);
	return offer_one(hc, from, d.id, d.hash_len, NULL);
}

/* Whether a 2.0 offer of a segment without a description is pulled anyway. */
static int pull_unverified(struct pd_hosted_cache *hc, const struct pd_pchc_segment *s)
{
	return hc->unverified && pd_opaque_nblocks(s->block_size, s->segment_size);
}

static void take_batch(struct pd_hosted_cache *hc, const struct sockaddr_storage *from,
		       const struct pd_pchc_msg *m)
{
	uint32_t i, n = m->nsegments < hc->per_offer ? m->nsegments : hc->per_offer;

	for (i = 0; i < n; i++) {
		if (!known(hc, m->segments[i].id, PD_PCHC_BATCH_ID_SIZE) &&
		    !pull_unverified(hc, &m->segments[i]))
			atomic_fetch_add(&hc->unverifiable, 1);
		else if (offer_one(hc, from, m->segments[i].id, PD_PCHC_BATCH_ID_SIZE,
				   &m->segments[i]))
			break;
	}
}

/* The answer to a decoded offer from peer (its port already the offer's):
 * a response code, or -1 to drop the request. */
static int take_offer(struct pd_hosted_cache *hc, const struct sockaddr_storage *from,
		      const struct pd_pchc_msg *m, struct pd_ci *ci)
{
	int err;

	atomic_fetch_add(&hc->offers, 1);
	switch (m->type) {
	case PD_PCHC_INITIAL_OFFER:
		if (!known(hc, m->id, m->id_len))
			return PD_PCHC_INTERESTED;
		offer_one(hc, from, m->id, m->id_len, NULL);
		return PD_PCHC_OK;
	case PD_PCHC_SEGMENT_INFO:
		err = take_segment_info(hc, from, ci);
		return err && err != -EBUSY ? -1 : PD_PCHC_OK;
	default:
		take_batch(hc, from, m);
		return PD_PCHC_OK;
	}
}

/* ---- pulling: MS-PCCRR GETBLKS to the offerer, one segment at a time ---- */

struct puller {
	struct pd_hosted_cache *hc;
	const struct offer *o;
	struct pd_segment_desc d;
	uint8_t req[PULL_DEPTH][256];
	struct iovec iov[PULL_DEPTH];
	uint32_t asked[PULL_DEPTH];
	uint8_t resp[PD_PCCRR_RESPONSE_MAX + 4];
	uint8_t plain[PD_BLOCK_SIZE];
	struct pd_pccrr_msg msg;
	struct pd_pccrr_conn conn;
	unsigned got, lacked;
	int bad;
	int unverified;		/* no description: d has only the offer's sizes */
	int full;		/* the unverified budgets are spent */
};

/*
 * A block of a segment without a description, kept as it came when its
 * form fits the offer's sizes (its bytes cannot be checked): 0, or
 * non-zero to end the pull (a misfit is counted as wrong).
 */
static int keep_unverified(struct puller *p, const struct pd_pccrr_msg *m, uint32_t b,
			   uint32_t blen)
{
	struct pd_opaque_block blk = { m->crypto, m->iv, m->block, m->block_len };
	uint8_t key[16];
	int err = -EINVAL;

	pd_admission_key(&p->o->from, key);
	if (m->iv_len == PD_PCCRR_IV_SIZE)
		err = pd_opaque_put(p->hc->unverified, p->o->id, p->o->block_size,
				    p->o->segment_size, key, b, &blk);
	if (err == -EINVAL) {
		atomic_fetch_add(&p->hc->wrong, 1);
		p->bad = 1;
		return 1;
	}
	p->full = err == -ENOSPC;
	if (!err)	/* pulled from the branch client that offered it */
		pd_store_count(p->hc->st, PD_COUNT_FETCHED_FROM_PEERS, blen);
	p->got += !err;
	return err;
}

/* One MSG_BLK: decrypted, verified and kept by the store; a wrong one
 * ends the pull (the offerer is broken or hostile). */
static int on_block(void *arg, unsigned i, long len)
{
	struct puller *p = arg;
	const struct pd_pccrr_msg *m = &p->msg;
	uint32_t b = p->asked[i], blen = pd_segment_block_len(&p->d, b);
	int err;

	if (pd_pccrr_decode_response(p->resp, len, &p->msg) || m->type != PD_MSG_BLK ||
	    m->segment_id_len != p->o->idlen ||
	    memcmp(m->segment_id, p->o->id, p->o->idlen) || m->block_index != b)
		goto bad;
	if (!m->block_len) {
		p->lacked++;		/* the offerer has only part of the segment */
		return 0;
	}
	if (p->unverified)
		return keep_unverified(p, m, b, blen);
	if (m->crypto == PD_CRYPTO_NONE || m->iv_len != PD_PCCRR_IV_SIZE ||
	    m->block_len != pd_pccrr_padded_len(blen) ||
	    pd_pccrr_decrypt(m->crypto, p->d.kp, p->d.hash_len, m->block, m->block_len,
			     m->iv, p->plain))
		goto bad;
	err = pd_store_put_block(p->hc->st, p->o->id, p->o->idlen, b, p->plain, blen);
	if (err == -EBADMSG)
		goto bad;
	if (!err)	/* pulled from the branch client that offered it */
		pd_store_count(p->hc->st, PD_COUNT_FETCHED_FROM_PEERS, blen);
	p->got += !err;
	return err;
bad:
	atomic_fetch_add(&p->hc->wrong, 1);
	p->bad = 1;
	return 1;
}

/* The next up to PULL_DEPTH absent blocks from *next on, as requests. */
static unsigned next_requests(struct puller *p, uint32_t *next)
{
	struct pd_store *st = p->hc->st;
	struct pd_pccrr_msg *m = &p->msg;
	unsigned k = 0;
	long n;

	for (; *next < p->d.nblocks && k < PULL_DEPTH; (*next)++) {
		if (p->unverified ? pd_opaque_has(p->hc->unverified, p->o->id, p->o->idlen, *next)
				  : st->ops->has_block(st, p->o->id, p->o->idlen, *next))
			continue;
		memset(m, 0, offsetof(struct pd_pccrr_msg, ranges));
		m->version = PD_PCCRR_VERSION_1;
		m->type = PD_MSG_GETBLKS;
		m->crypto = PD_CRYPTO_AES_128;
		m->segment_id = p->o->id;
		m->segment_id_len = p->o->idlen;
		m->nranges = 1;
		m->ranges[0] = (struct pd_block_range){ *next, 1 };
		n = pd_pccrr_encode_request(m, p->req[k], sizeof(p->req[k]));
		if (n < 0)
			break;
		p->iov[k] = (struct iovec){ p->req[k], n };
		p->asked[k++] = *next;
	}
	return k;
}

/* For a segment without a description: the offer's sizes, when its
 * blocks may be kept unverified (1), else 0. */
static int unverified_sizes(struct puller *p)
{
	if (!p->hc->unverified || !p->o->block_size)
		return 0;
	memset(&p->d, 0, sizeof(p->d));
	p->d.size = p->o->segment_size;
	p->d.block_size = p->o->block_size;
	p->d.nblocks = pd_opaque_nblocks(p->o->block_size, p->o->segment_size);
	return p->d.nblocks != 0;
}

static void pull(struct puller *p)
{
	char from[INET6_ADDRSTRLEN + 16];
	uint32_t next = 0;
	unsigned k, done;
	int err = 0;

	p->got = p->lacked = 0;
	p->bad = p->full = 0;
	p->unverified = p->hc->st->ops->get_segment(p->hc->st, p->o->id, p->o->idlen,
						    &p->d) != 0;
	if (p->unverified && !unverified_sizes(p))
		return;
	if (!p->unverified && p->d.no_kp)
		return;	/* nothing to decrypt with: the offer's SEGMENT_INFO brings Kp */
	while (!err && !p->bad && !p->hc->stop && (k = next_requests(p, &next)))
		err = pd_pccrr_pipeline(&p->conn, &p->o->from, p->iov, k, p->resp,
					sizeof(p->resp), PD_REQUEST_TIMER_MS, on_block, p,
					&done);
	pd_pccrr_conn_close(&p->conn);
	atomic_fetch_add(&p->hc->pulled, p->got);
	if (p->unverified && known(p->hc, p->o->id, p->o->idlen))
		pd_opaque_drop(p->hc->unverified, p->o->id, p->o->idlen);	/* it came meanwhile */
	describe(&p->o->from, from, sizeof(from));
	pd_log(p->bad ? PD_LOG_WARNING : PD_LOG_INFO,
	       "hosted cache: pulled %u %sblocks of segment %02x%02x%02x%02x... from %s%s%s%s "
	       "(%u it lacks; %lu wrong blocks in all)", p->got,
	       p->unverified ? "unverified " : "", p->o->id[0], p->o->id[1],
	       p->o->id[2], p->o->id[3], from, p->bad ? ": a wrong block, dropped" : "",
	       err && !p->bad ? ": " : "",
	       p->full ? "the unverified budget is spent" : err && !p->bad ? strerror(-err) : "",
	       p->lacked, atomic_load(&p->hc->wrong));
}

/* Lock contract: hc->lock held. Whether a pull of segment id runs. */
static int pulling(struct pd_hosted_cache *hc, const uint8_t *id, unsigned idlen)
{
	struct offer *o;

	for (o = hc->queue; o; o = o->next)
		if (o->running && o->idlen == idlen && !memcmp(o->id, id, idlen))
			return 1;
	return 0;
}

/*
 * Lock contract: hc->lock held. The first offer nobody pulls yet whose
 * segment no other pull has under way: offers that overlap (a re-offer,
 * contents sharing segments) wait for it, then pull only what it left,
 * so no block is pulled twice. The puller that ends one looks again.
 */
static struct offer *take_work(struct pd_hosted_cache *hc)
{
	struct offer *o;

	for (o = hc->queue; o && (o->running || pulling(hc, o->id, o->idlen)); o = o->next)
		;
	if (o)
		o->running = 1;
	return o;
}

/* Lock contract: hc->lock held. */
static void forget(struct pd_hosted_cache *hc, struct offer *o)
{
	struct offer **p;

	for (p = &hc->queue; *p != o; p = &(*p)->next)
		;
	*p = o->next;
	hc->nqueued--;
	free(o);
}

static void *puller(void *arg)
{
	struct pd_hosted_cache *hc = arg;
	struct puller *p = malloc(sizeof(*p));
	struct offer *o;

	if (!p)
		return NULL;
	p->hc = hc;
	p->conn = (struct pd_pccrr_conn)PD_PCCRR_CONN_INIT;
	pthread_mutex_lock(&hc->lock);
	while (!hc->stop) {
		o = take_work(hc);
		if (!o) {
			pthread_cond_wait(&hc->work, &hc->lock);
			continue;
		}
		pthread_mutex_unlock(&hc->lock);
		p->o = o;
		pull(p);
		pthread_mutex_lock(&hc->lock);
		forget(hc, o);
	}
	pthread_mutex_unlock(&hc->lock);
	free(p);
	return NULL;
}

/* ---- the PCHC listeners ---- */

struct listener {
	struct pd_hosted_cache *hc;
	unsigned major;
	const char *path;
};

static struct listener v1_listener = { .major = 1, .path = PD_PCHC_V1_PATH };
static struct listener v2_listener = { .major = 2, .path = PD_PCHC_V2_PATH };

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const void *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								  MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (status != MHD_HTTP_OK)	/* "dropped and the sequence aborted" */
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The offerer's address with the port its offer names. */
static int offerer(struct MHD_Connection *conn, uint16_t port,
		   struct sockaddr_storage *out)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	struct sockaddr_in *in4 = (struct sockaddr_in *)out;

	memset(out, 0, sizeof(*out));
	if (!sa || !port)
		return -1;
	if (sa->sa_family == AF_INET6) {
		*in6 = *(const struct sockaddr_in6 *)sa;
		/* a v4-mapped peer of a dual-stack socket: reach it as IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			struct in_addr a;

			memcpy(&a, in6->sin6_addr.s6_addr + 12, 4);
			memset(out, 0, sizeof(*out));
			in4->sin_family = AF_INET;
			in4->sin_addr = a;
			in4->sin_port = htons(port);
			return 0;
		}
		in6->sin6_port = htons(port);
		return 0;
	}
	if (sa->sa_family != AF_INET)
		return -1;
	*in4 = *(const struct sockaddr_in *)sa;
	in4->sin_port = htons(port);
	return 0;
}

static enum MHD_Result answer(struct listener *l, struct MHD_Connection *conn,
			      const char *url, const char *method, struct request *req)
{
	static struct pd_pchc_msg msgs[1];	/* big: not on the stack */
	static pthread_mutex_t msgs_lock = PTHREAD_MUTEX_INITIALIZER;
	struct sockaddr_storage from;
	struct pd_ci *ci = NULL;
	int err, code = -1;
	unsigned type;

	if (strcasecmp(url, l->path))
		return reply(conn, MHD_HTTP_NOT_FOUND, "", 0);
	if (strcmp(method, "POST"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "", 0);
	if (req->too_large)
		return reply(conn, MHD_HTTP_CONTENT_TOO_LARGE, "", 0);
	pthread_mutex_lock(&msgs_lock);
	err = pd_pchc_decode_request(req->body, req->len, msgs, &ci);
	if (!err && msgs->major != l->major)
		err = -PD_HC_E_TYPE;	/* 1.0 only over HTTPS, 2.0 only over HTTP */
	if (!err && !offerer(conn, msgs->port, &from))
		code = take_offer(l->hc, &from, msgs, ci);
	type = msgs->type;
	pthread_mutex_unlock(&msgs_lock);
	pd_ci_free(ci);
	if (err)
		pd_log(PD_LOG_DEBUG, "hosted cache: offer dropped: %s", pd_pchc_strerror(err));
	if (code < 0)
		return reply(conn, MHD_HTTP_BAD_REQUEST, "", 0);
	pd_log(PD_LOG_DEBUG, "hosted cache: PCHC %u.0 offer type %u answered %s", l->major,
	       type, code == PD_PCHC_OK ? "OK" : "INTERESTED");
	pd_pchc_encode_response(code, req->out, sizeof(req->out));
	return reply(conn, MHD_HTTP_OK, req->out, sizeof(req->out));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct request *req = *con_cls;

	if (!req) {
		req = malloc(sizeof(*req));
		if (!req)
			return MHD_NO;
		req->len = 0;
		req->too_large = 0;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_size) {
		if (req->len + *upload_size > sizeof(req->body))
			req->too_large = 1;
		else
			memcpy(req->body + req->len, upload, *upload_size);
		req->len += req->too_large ? 0 : *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	return answer(cls, conn, url, method, req);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode code)
{
	free(*con_cls);
	*con_cls = NULL;
}

/* A PEM file, NUL-terminated; NULL and logged when it cannot be read. */
static char *read_pem(const char *path)
{
	char *buf = NULL;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && (buf = malloc(PEM_MAX + 1)))
		n = read(fd, buf, PEM_MAX + 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0 || n > PEM_MAX) {
		pd_log(PD_LOG_ERROR, "hosted cache: cannot read %s%s", path,
		       n > PEM_MAX ? ": over 64 KiB" : "");
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static unsigned bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : 0;
}

static struct MHD_Daemon *listen_on(struct pd_hosted_cache *hc, struct listener *l,
				    const struct sockaddr_storage *ss)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	struct MHD_Daemon *d;
	char where[INET6_ADDRSTRLEN + 16];

	l->hc = hc;
	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;
	if (l->major == 1)
		flags |= MHD_USE_TLS;
	describe(ss, where, sizeof(where));
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
			     MHD_OPTION_SOCK_ADDR, ss,
			     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			     MHD_OPTION_CONNECTION_LIMIT, 256u,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u,
			     /* the TLS pair for 1.0; for 2.0 the list ends here */
			     l->major == 1 ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, hc->key,
			     MHD_OPTION_HTTPS_MEM_CERT, hc->cert,
			     MHD_OPTION_END);
	if (!d) {
		pd_log(PD_LOG_ERROR, "hosted cache: cannot listen on %s (PCHC %u.0)", where,
		       l->major);
		return NULL;
	}
	pd_log(PD_LOG_INFO, "hosted cache: PCHC %u.0 over %s on %s (port %u)", l->major,
	       l->major == 1 ? "HTTPS" : "HTTP", where, bound_port(d));
	return d;
}

/* PCHC 1.0 needs a certificate: without one, only 2.0 (said so). */
static int load_tls(const struct pd_config *cfg, struct pd_hosted_cache *hc)
{
	if (!cfg->pchc_v1_listen.ss_family)
		return 0;
	if (!cfg->tls_certificate[0] || !cfg->tls_key[0]) {
		pd_log(PD_LOG_ERROR, "hosted cache: PCHC 1.0 (HTTPS) needs tls_certificate and "
		       "tls_key (or pchc_v1_listen = off)");
		return -1;
	}
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		pd_log(PD_LOG_ERROR, "hosted cache: libmicrohttpd was built without TLS");
		return -1;
	}
	hc->cert = read_pem(cfg->tls_certificate);
	hc->key = hc->cert ? read_pem(cfg->tls_key) : NULL;
	return hc->key ? 0 : -1;
}

int pd_hosted_cache_start(const struct pd_config *cfg, struct pd_store *st,
			  struct pd_opaque_cache *unverified, struct pd_hosted_cache **out)
{
	struct pd_hosted_cache *hc = calloc(1, sizeof(*hc));
	unsigned i;

	if (!hc)
		return -1;
	hc->st = st;
	hc->unverified = unverified;
	hc->per_client = cfg->hc_offers_per_client;
	hc->per_offer = cfg->hc_segments_per_offer;
	pthread_mutex_init(&hc->lock, NULL);
	pthread_cond_init(&hc->work, NULL);
	for (i = 0; i < cfg->hc_pulls && i < MAX_PULLERS; i++)
		if (!pthread_create(&hc->threads[i], NULL, puller, hc))
			hc->nthreads++;
	if (!hc->nthreads || load_tls(cfg, hc))
		goto fail;
	if (cfg->pchc_v1_listen.ss_family &&
	    !(hc->v1 = listen_on(hc, &v1_listener, &cfg->pchc_v1_listen)))
		goto fail;
	if (cfg->pchc_v2_listen.ss_family &&
	    !(hc->v2 = listen_on(hc, &v2_listener, &cfg->pchc_v2_listen)))
		goto fail;
	if (!hc->v1 && !hc->v2) {
		pd_log(PD_LOG_ERROR, "hosted cache: both PCHC listeners are off");
		goto fail;
	}
	*out = hc;
	return 0;
fail:
	pd_hosted_cache_stop(hc);
	return -1;
}

static void log_unverified(struct pd_hosted_cache *hc)
{
	struct pd_opaque_stats st;

	if (!hc->unverified)
		return;
	pd_opaque_stats(hc->unverified, &st);
	pd_log(PD_LOG_INFO, "hosted cache: unverified: %llu segments kept, %llu bytes, "
	       "%llu evicted, %llu corrupt files dropped", (unsigned long long)st.segments,
	       (unsigned long long)st.bytes, (unsigned long long)st.evictions,
	       (unsigned long long)st.corrupt);
}

void pd_hosted_cache_stop(struct pd_hosted_cache *hc)
{
	struct offer *o;
	unsigned i;

	if (!hc)
		return;
	if (hc->v1)
		MHD_stop_daemon(hc->v1);
	if (hc->v2)
		MHD_stop_daemon(hc->v2);
	pthread_mutex_lock(&hc->lock);
	hc->stop = 1;
	pthread_cond_broadcast(&hc->work);
	pthread_mutex_unlock(&hc->lock);
	for (i = 0; i < hc->nthreads; i++)
		pthread_join(hc->threads[i], NULL);
	pd_log(PD_LOG_INFO, "hosted cache: %lu offers, %lu segments refused over the limits, "
	       "%lu not verifiable, %lu blocks pulled, %lu wrong blocks dropped",
	       atomic_load(&hc->offers), atomic_load(&hc->refused),
	       atomic_load(&hc->unverifiable), atomic_load(&hc->pulled),
	       atomic_load(&hc->wrong));
	log_unverified(hc);
	while ((o = hc->queue)) {
		hc->queue = o->next;
		free(o);
	}
	free(hc->cert);
	free(hc->key);
	pthread_cond_destroy(&hc->work);
	pthread_mutex_destroy(&hc->lock);
	free(hc);
}
