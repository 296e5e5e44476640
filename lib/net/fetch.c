// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fetcher's bookkeeping and workers. A job is one block; its outcome
 * stays visible for FAILURE_HOLD_MS so that readers see it, then the job is
 * forgotten and a later miss asks again. Discovery results are kept per
 * segment for PEERS_FRESH_MS; one worker probes while the others wait.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "discover.h"
#include "fetch.h"
#include "pccrr.h"
#include "retrieval_http.h"
#include "pccrr_crypto.h"
#include "pchc_client.h"

#define MAX_WORKERS		16
#define MAX_JOBS		4096
#define MAX_SEGMENTS		256
#define PEERS_PER_SEGMENT	16
#define FAILURE_HOLD_MS		1000
#define PEERS_FRESH_MS		10000	/* a probe that found peers */
#define NO_PEERS_FRESH_MS	1000	/* one that found none: peers come and go */
#define DISTRUST_MS		60000
#define HC_RETRY_MS		1000	/* a hosted cache that did not answer, at first */
#define MAX_DISTRUSTED		64

enum job_state { QUEUED, RUNNING, FAILED };

struct job {
	struct job *next;
	enum job_state state;
	enum pd_fetch_state outcome;	/* FAILED */
	int64_t failed_ms;
	uint8_t id[PD_HASH_MAX], kp[PD_HASH_MAX];
	unsigned idlen;
	unsigned version;		/* of the content information: discovery's too */
	uint32_t block, len;
};

struct segment_peers {
	struct segment_peers *next;
	uint8_t id[PD_HASH_MAX];
	unsigned idlen;
	int probing;
	int64_t found_ms;
	unsigned n;
	struct pd_peer peers[PEERS_PER_SEGMENT];
};

struct distrusted {
	struct sockaddr_storage addr;
	int64_t until_ms;
};

struct pd_fetcher {
	struct pd_store *st;
	struct pd_fetch_config cfg;
	struct pd_hc_client *hc;	/* NULL: no hosted cache */
	char interfaces[256];
	void (*notify)(void *);
	void *arg;
	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t work, probed;
	struct job *jobs;
	unsigned njobs;
	struct segment_peers *segments;
	unsigned nsegments;
	struct distrusted distrusted[MAX_DISTRUSTED];
	int64_t hc_until_ms;		/* the hosted cache is passed over until then */
	unsigned hc_misses;		/* its pauses in a row for not answering */
	int stop;
	unsigned nthreads;
	pthread_t threads[MAX_WORKERS];
};

static unsigned env_uint(const char *name, unsigned def, unsigned lo, unsigned hi)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return def;
	n = strtoul(v, &end, 10);
	return *end || n < lo || n > hi ? def : n;
}

int pd_fetch_config_from_env(struct pd_fetch_config *cfg)
{
	const char *on = getenv("PEERDIST_DISCOVERY");

	cfg->interfaces = getenv("PEERDIST_INTERFACES");
	cfg->window_ms = PD_DISCOVER_WINDOW_MS;
	cfg->request_ms = env_uint("PEERDIST_REQUEST_TIMEOUT_MS", PD_REQUEST_TIMER_MS,
				   1, 60000);
	cfg->workers = 4;
	cfg->discovery = !on || strcmp(on, "off");
	return cfg->discovery || pd_hc_client_configured();
}

/* Lock contract: f->lock held. */
static int is_distrusted(struct pd_fetcher *f, const struct sockaddr_storage *a,
			 int64_t now)
{
	unsigned i;

	for (i = 0; i < MAX_DISTRUSTED; i++)
		if (f->distrusted[i].until_ms > now &&
		    !memcmp(&f->distrusted[i].addr, a, sizeof(*a)))
			return 1;
	return 0;
}

static void distrust(struct pd_fetcher *f, const struct sockaddr_storage *a)
{
	int64_t now = pd_now_ms();
	unsigned i, oldest = 0;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < MAX_DISTRUSTED; i++)
		if (f->distrusted[i].until_ms < f->distrusted[oldest].until_ms)
			oldest = i;
	f->distrusted[oldest] = (struct distrusted){ *a, now + DISTRUST_MS };
	pthread_mutex_unlock(&f->lock);
}

/* Lock contract: f->lock held. */
static struct segment_peers *segment_entry(struct pd_fetcher *f,
					   const struct job *j)
{
	struct segment_peers *s, **p, **oldest = NULL;

	for (p = &f->segments; (s = *p); p = &s->next) {
		if (s->idlen == j->idlen && !memcmp(s->id, j->id, j->idlen))
			return s;
		if (!s->probing && (!oldest || s->found_ms < (*oldest)->found_ms))
			oldest = p;
	}
	if (f->nsegments >= MAX_SEGMENTS && oldest) {
		s = *oldest;
		*oldest = s->next;
		free(s);
		f->nsegments--;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	memcpy(s->id, j->id, j->idlen);
	s->idlen = j->idlen;
	s->found_ms = -PEERS_FRESH_MS - 1;
	s->next = f->segments;
	f->segments = s;
	f->nsegments++;
	return s;
}

/* The peers that have j's segment: from the last probe, or a new one
 * (forced when *fresh is set). On return, *fresh says whether the list
 * is from under NO_PEERS_FRESH_MS ago, when probing again would not help. */
static unsigned find_peers(struct pd_fetcher *f, const struct job *j,
			   int *fresh, struct pd_peer *out)
{
	struct pd_peer found[PEERS_PER_SEGMENT];
	struct segment_peers *s;
	unsigned n = 0;
	int got, waited = 0;

	if (!f->cfg.discovery)
		return 0;
	pthread_mutex_lock(&f->lock);
	s = segment_entry(f, j);
	while (s && s->probing && !f->stop) {
		pthread_cond_wait(&f->probed, &f->lock);
		waited = 1;	/* another worker just probed: as good as ours */
	}
	if (s && !f->stop && !waited && (*fresh || pd_now_ms() - s->found_ms >
					 (s->n ? PEERS_FRESH_MS : NO_PEERS_FRESH_MS))) {
		s->probing = 1;
		pthread_mutex_unlock(&f->lock);
		got = pd_discover(j->version, j->id, j->idlen, f->cfg.interfaces,
				  f->cfg.window_ms, found, PEERS_PER_SEGMENT);
		pthread_mutex_lock(&f->lock);
		s->n = got > 0 ? got : 0;
		memcpy(s->peers, found, s->n * sizeof(found[0]));
		s->found_ms = pd_now_ms();
		s->probing = 0;
		pthread_cond_broadcast(&f->probed);
	}
	if (s) {
		n = s->n;
		memcpy(out, s->peers, n * sizeof(*out));
		*fresh = pd_now_ms() - s->found_ms < NO_PEERS_FRESH_MS;
	}
	pthread_mutex_unlock(&f->lock);
	return n;
}

#define PIPELINE_DEPTH	4	/* requests in flight on one connection */

/* The blocks of one segment that a worker asks for together. */
struct batch {
	struct job *jobs[PIPELINE_DEPTH];
	unsigned n;
	int got[PIPELINE_DEPTH];
	int skipped;			/* a peer was passed over as distrusted */
};

struct worker_buffers {
	uint8_t req[PIPELINE_DEPTH][512];
	struct iovec iov[PIPELINE_DEPTH];
	struct job *asked[PIPELINE_DEPTH];
	int *asked_got[PIPELINE_DEPTH];
	uint8_t resp[PD_PCCRR_RESPONSE_MAX + 4];
	uint8_t plain[PD_V2_MAX_SEGMENT];
	struct pd_pccrr_msg msg;
	struct pd_pccrr_conn conn;
	struct pd_fetcher *f;
	int bad;			/* the peer sent something wrong */
	int from_hc;			/* the peer asked is the hosted cache */
};

enum ask_result { GOT, LACKS, BAD, STALLED };
enum ask_outcome { ANSWERED, WRONG, NO_ANSWER };

static enum ask_result check_and_keep(struct pd_fetcher *f, const struct job *j,
				      struct worker_buffers *w)
{
	const struct pd_pccrr_msg *m = &w->msg;
	int err;

	if (m->type != PD_MSG_BLK || m->segment_id_len != j->idlen ||
	    memcmp(m->segment_id, j->id, j->idlen) || m->block_index != j->block)
		return BAD;
	if (!m->block_len)
		return LACKS;
	if (m->crypto == PD_CRYPTO_NONE || m->iv_len != PD_PCCRR_IV_SIZE ||
	    m->block_len != pd_pccrr_padded_len(j->len) ||
	    pd_pccrr_decrypt(m->crypto, j->kp, j->idlen, m->block, m->block_len,
			     m->iv, w->plain))
		return BAD;
	err = pd_store_put_block(f->st, j->id, j->idlen, j->block, w->plain, j->len);
	if (!err)
		pd_store_count(f->st, w->from_hc ? PD_COUNT_FETCHED_FROM_HOSTED_CACHE :
				      PD_COUNT_FETCHED_FROM_PEERS, j->len);
	if (!err && f->hc && !w->from_hc)
		pd_hc_client_arrived(f->hc, j->id, j->idlen);	/* worth offering */
	return err == -EBADMSG ? BAD : err ? STALLED : GOT;
}

/* One MSG_BLK of a pipelined exchange; stops it at the first bad one. */
static int on_response(void *arg, unsigned i, long len)
{
	struct worker_buffers *w = arg;
	const struct job *j = w->asked[i];
	enum ask_result r = BAD;

	if (!pd_pccrr_decode_response(w->resp, len, &w->msg))
		r = check_and_keep(w->f, j, w);
	*w->asked_got[i] = r == GOT;
	w->bad = r == BAD || r == STALLED;
	return w->bad;
}

static unsigned encode_requests(struct batch *b, struct worker_buffers *w)
{
	struct pd_pccrr_msg *m = &w->msg;
	unsigned i, k = 0;
	long n;

	for (i = 0; i < b->n; i++) {
		const struct job *j = b->jobs[i];

		if (b->got[i])
			continue;
		memset(m, 0, sizeof(*m));
		m->version = PD_PCCRR_VERSION_1;
		m->type = PD_MSG_GETBLKS;
		m->crypto = PD_CRYPTO_AES_128;
		m->segment_id = j->id;
		m->segment_id_len = j->idlen;
		m->nranges = 1;
		m->ranges[0] = (struct pd_block_range){ j->block, 1 };
		n = pd_pccrr_encode_request(m, w->req[k], sizeof(w->req[k]));
		if (n < 0)
			continue;
		w->iov[k] = (struct iovec){ w->req[k], n };
		w->asked[k] = b->jobs[i];
		w->asked_got[k++] = &b->got[i];
	}
	return k;
}

/* Asks peer p for the batch's missing blocks, pipelined. NO_ANSWER: timed
 * out, refused, or not HTTP. */
static enum ask_outcome ask(struct pd_fetcher *f, struct batch *b,
			    const struct pd_peer *p, struct worker_buffers *w)
{
	unsigned k = encode_requests(b, w), done;
	int err;

	if (!k)
		return ANSWERED;	/* no missing block has a request to send */
	w->f = f;
	w->bad = 0;
	err = pd_pccrr_pipeline(&w->conn, &p->addr, w->iov, k, w->resp,
				sizeof(w->resp), f->cfg.request_ms, on_response, w,
				&done);
	return w->bad ? WRONG : err ? NO_ANSWER : ANSWERED;
}

static int batch_done(const struct batch *b)
{
	unsigned i;

	for (i = 0; i < b->n && b->got[i]; i++)
		;
	return i == b->n;
}

/*
 * Lock contract: f->lock held. After the hosted cache's answer (or none):
 * one that sent a wrong block is passed over like a distrusted peer; one
 * that did not answer (down, or too busy to answer within the request
 * timer) for HC_RETRY_MS, twice as long after each such pause in a row,
 * up to DISTRUST_MS. So a busy one is asked again within a read's
 * timeout, and one that is down costs a request timer now and then.
 */
static void hosted_cache_outcome(struct pd_fetcher *f, enum ask_outcome r)
{
	int64_t now = pd_now_ms(), pause = HC_RETRY_MS;
	unsigned i;

	if (r == ANSWERED) {
		f->hc_misses = 0;
	} else if (r == WRONG) {
		f->hc_until_ms = now + DISTRUST_MS;
	} else if (now >= f->hc_until_ms) {	/* workers that timed out together: one pause */
		for (i = 0; i < f->hc_misses && pause < DISTRUST_MS; i++)
			pause *= 2;
		f->hc_misses++;
		f->hc_until_ms = now + (pause < DISTRUST_MS ? pause : DISTRUST_MS);
	}
}

/* The hosted cache first: it serves the whole branch. */
static void try_hosted_cache(struct pd_fetcher *f, struct batch *b,
			     struct worker_buffers *w)
{
	struct pd_peer hc = { .addr = *pd_hc_client_retrieval(f->hc) };
	enum ask_outcome r;
	int skip;

	pthread_mutex_lock(&f->lock);
	skip = f->hc_until_ms > pd_now_ms() || f->stop;
	pthread_mutex_unlock(&f->lock);
	if (skip)
		return;
	w->from_hc = 1;
	r = ask(f, b, &hc, w);
	w->from_hc = 0;
	pthread_mutex_lock(&f->lock);
	hosted_cache_outcome(f, r);
	pthread_mutex_unlock(&f->lock);
}

/* Tries the peers, starting at one chosen by the first block so that the
 * blocks of a segment spread over its peers. */
static void try_peers(struct pd_fetcher *f, struct batch *b, int *fresh,
		      struct worker_buffers *w)
{
	struct pd_peer peers[PEERS_PER_SEGMENT];
	unsigned n, i;

	if (f->hc && !*fresh && !batch_done(b))
		try_hosted_cache(f, b, w);
	n = batch_done(b) ? 0 : find_peers(f, b->jobs[0], fresh, peers);

	for (i = 0; i < n && !batch_done(b); i++) {
		const struct pd_peer *p = &peers[(i + b->jobs[0]->block) % n];
		int skip;

		pthread_mutex_lock(&f->lock);
		skip = is_distrusted(f, &p->addr, pd_now_ms()) || f->stop;
		pthread_mutex_unlock(&f->lock);
		if (skip) {
			b->skipped = 1;
		} else if (ask(f, b, p, w) != ANSWERED) {
			distrust(f, &p->addr);	/* bad data, timed out, refused, not HTTP */
			b->skipped = 1;
		}
	}
}

/* When the known peers fail, a new probe may find others that a past
 * one missed (answers are datagrams): one more round with it. A block
 * that arrived since it was asked for (another job, the origin) is not
 * fetched again. */
static void run_batch(struct pd_fetcher *f, struct batch *b,
		      struct worker_buffers *w)
{
	int fresh = 0;
	unsigned i;

	for (i = 0; i < b->n; i++)
		b->got[i] = f->st->ops->has_block(f->st, b->jobs[i]->id, b->jobs[i]->idlen,
						  b->jobs[i]->block) == 1;

	try_peers(f, b, &fresh, w);
	if (!batch_done(b) && !fresh) {
		fresh = 1;
		try_peers(f, b, &fresh, w);
	}
}

/* Lock contract: f->lock held. Forgets failures older than the hold. */
static void expire_jobs(struct pd_fetcher *f, int64_t now)
{
	struct job **p = &f->jobs, *j;

	while ((j = *p)) {
		if (j->state == FAILED && now - j->failed_ms > FAILURE_HOLD_MS) {
			*p = j->next;
			free(j);
			f->njobs--;
		} else {
			p = &j->next;
		}
	}
}

/* Lock contract: f->lock held. */
static void finish_job(struct pd_fetcher *f, struct job *j, enum pd_fetch_state s)
{
	struct job **p;

	if (s != PD_FETCH_PENDING) {
		j->state = FAILED;
		j->outcome = s;
		j->failed_ms = pd_now_ms();
		return;
	}
	for (p = &f->jobs; *p != j; p = &(*p)->next)
		;
	*p = j->next;
	free(j);
	f->njobs--;
}

/* Lock contract: f->lock held. Takes a queued job and up to
 * PIPELINE_DEPTH - 1 more of the same segment. */
static int take_batch(struct pd_fetcher *f, struct batch *b)
{
	struct job *j, *first = NULL;

	memset(b, 0, sizeof(*b));
	for (j = f->jobs; j && b->n < PIPELINE_DEPTH; j = j->next) {
		if (j->state != QUEUED || (first && (j->idlen != first->idlen ||
						     memcmp(j->id, first->id, j->idlen))))
			continue;
		first = first ? first : j;
		j->state = RUNNING;
		b->jobs[b->n++] = j;
	}
	return b->n;
}

static void *worker(void *arg)
{
	struct pd_fetcher *f = arg;
	struct worker_buffers *w = malloc(sizeof(*w));
	struct batch b;
	unsigned i;

	if (w) {
		w->conn = (struct pd_pccrr_conn)PD_PCCRR_CONN_INIT;
		w->from_hc = 0;
	}
	pthread_mutex_lock(&f->lock);
	while (w && !f->stop) {
		if (!take_batch(f, &b)) {
			pthread_cond_wait(&f->work, &f->lock);
			continue;
		}
		pthread_mutex_unlock(&f->lock);
		run_batch(f, &b, w);	/* the connection stays for the next one */
		pthread_mutex_lock(&f->lock);
		for (i = 0; i < b.n; i++)
			finish_job(f, b.jobs[i], b.got[i] ? PD_FETCH_PENDING :
				   b.skipped ? PD_FETCH_TRUST_FAILURE : PD_FETCH_NO_PEER);
		/* Readers waiting for these blocks go on, or end: a block this
		 * process put is no wake-up of the store's own. */
		if (b.n && f->notify) {
			pthread_mutex_unlock(&f->lock);
			f->notify(f->arg);
			pthread_mutex_lock(&f->lock);
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (w)
		pd_pccrr_conn_close(&w->conn);
	free(w);
	return NULL;
}

/* Lock contract: f->lock held. */
static struct job *find_job(struct pd_fetcher *f, const struct pd_segment_desc *d,
			    uint32_t b)
{
	struct job *j;

	for (j = f->jobs; j; j = j->next)
		if (j->block == b && j->idlen == d->hash_len &&
		    !memcmp(j->id, d->id, d->hash_len))
			return j;
	return NULL;
}

enum pd_fetch_state pd_fetch_block(struct pd_fetcher *f,
				   const struct pd_segment_desc *d, uint32_t b)
{
	enum pd_fetch_state s = PD_FETCH_PENDING;
	struct job *j;

	if (b >= d->nblocks)
		return PD_FETCH_NO_PEER;
	pthread_mutex_lock(&f->lock);
	expire_jobs(f, pd_now_ms());
	j = find_job(f, d, b);
	if (j) {
		s = j->state == FAILED ? j->outcome : PD_FETCH_PENDING;
	} else if (f->njobs >= MAX_JOBS || !(j = calloc(1, sizeof(*j)))) {
		s = PD_FETCH_BUSY;
	} else {
		memcpy(j->id, d->id, d->hash_len);
		memcpy(j->kp, d->kp, d->hash_len);
		j->idlen = d->hash_len;
		j->version = d->hash_alg == PD_HASH_V2_SHA512_TRUNC ? 2 : 1;
		j->block = b;
		j->len = pd_segment_block_len(d, b);
		j->next = f->jobs;
		f->jobs = j;
		f->njobs++;
		pthread_cond_signal(&f->work);
	}
	pthread_mutex_unlock(&f->lock);
	if (f->hc && s == PD_FETCH_PENDING)
		pd_hc_client_watch(f->hc, d);
	return s;
}

void pd_fetch_added(struct pd_fetcher *f, const struct pd_segment_desc *d, uint32_t n)
{
	if (!f->hc)
		return;
	pd_hc_client_watch(f->hc, d);
	while (n--)
		pd_hc_client_arrived(f->hc, d->id, d->hash_len);
}

int pd_fetcher_start(struct pd_store *st, const struct pd_fetch_config *cfg,
		     void (*notify)(void *), void *arg, struct pd_fetcher **out)
{
	struct pd_fetcher *f = calloc(1, sizeof(*f));
	unsigned i;

	if (!f)
		return -ENOMEM;
	f->st = st;
	f->cfg = *cfg;
	if (cfg->interfaces) {
		snprintf(f->interfaces, sizeof(f->interfaces), "%s", cfg->interfaces);
		f->cfg.interfaces = f->interfaces;
	}
	f->notify = notify;
	f->arg = arg;
	if (pd_hc_client_open(&f->hc) < 0)
		f->hc = NULL;	/* a bad PEERDIST_HOSTED_CACHE: peers only */
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->work, NULL);
	pthread_cond_init(&f->probed, NULL);
	for (i = 0; i < cfg->workers && i < MAX_WORKERS; i++)
		if (!pthread_create(&f->threads[i], NULL, worker, f))
			f->nthreads++;
	if (!f->nthreads) {
		pd_fetcher_stop(f);
		return -EAGAIN;
	}
	*out = f;
	return 0;
}

void pd_fetcher_stop(struct pd_fetcher *f)
{
	struct segment_peers *s;
	struct job *j;
	unsigned i;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = 1;
	pthread_cond_broadcast(&f->work);
	pthread_cond_broadcast(&f->probed);
	pthread_mutex_unlock(&f->lock);
	for (i = 0; i < f->nthreads; i++)
		pthread_join(f->threads[i], NULL);
	pd_hc_client_close(f->hc);
	while ((j = f->jobs)) {
		f->jobs = j->next;
		free(j);
	}
	while ((s = f->segments)) {
		f->segments = s->next;
		free(s);
	}
	pthread_cond_destroy(&f->probed);
	pthread_cond_destroy(&f->work);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
