// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The hosted cache's client (see pchc_client.h): the watched segments, a
 * bounded queue of offers and one thread that POSTs them with libcurl
 * (TLS with the server's certificate checked for PCHC 1.0). 1.0 sends an
 * INITIAL_OFFER and, if the answer is INTERESTED, a SEGMENT_INFO with the
 * segment's V1 content information; 2.0 sends a BATCHED_OFFER.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_file.h"
#include "curl_dl.h"
#include "pccrc.h"
#include "pchc.h"
#include "pchc_client.h"

#define MAX_WATCHED	256
#define MAX_OFFERS	64
#define OFFER_TIMEOUT_MS 10000	/* the spec's timer: two 5-second ticks */
#define CLOSING_TIMEOUT_MS 1000	/* for what is still queued at close */
#define DEFAULT_PCCRR_PORT 3703
/* SMB's tag is a GUID; this client's, ASCII, one for all it offers. */
static const uint8_t content_tag[PD_PCHC_TAG_SIZE] = "peerdist-client";

struct watched {
	struct pd_segment_desc d;	/* block_hashes: its own copy */
	uint32_t arrived;
	int offered_part, offered_all;
	uint64_t used;			/* for replacing the oldest */
};

struct pd_hc_client {
	unsigned major;
	char url[512];
	char ca[4096];
	uint16_t my_port;		/* the local PCCRR server's */
	struct sockaddr_storage retrieval;
	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t work;
	struct watched watched[MAX_WATCHED];
	uint64_t clock;
	struct pd_segment_desc offers[MAX_OFFERS];	/* with block_hashes copied */
	unsigned noffers;
	int stop;
	pthread_t thread;
	/* the offering thread's */
	int closing;			/* stop, as it was when the offer was taken */
	uint8_t body[PD_PCHC_REQUEST_MAX];
	uint8_t info[PD_PCHC_REQUEST_MAX - PD_PCHC_PREFIX_SIZE - PD_PCHC_TAG_SIZE];
};

#define CONFIG_FILE	"/etc/peerdist/peerdistd.conf"

struct wanted {
	const char *key;
	char *out;
	size_t cap;
};

/* The value of the key wanted, the last one given; other lines are
 * peerdistd's to judge. */
static int wanted_line(const char *key, const char *value, unsigned lineno, void *arg)
{
	struct wanted *w = arg;

	(void)lineno;
	if (value && !strcmp(key, w->key) &&
	    snprintf(w->out, w->cap, "%s", value) >= (int)w->cap)
		*w->out = '\0';
	return 0;
}

/*
 * A setting: the environment variable, else key's value in peerdistd's
 * configuration file (PEERDIST_CONFIG, default CONFIG_FILE: one place for
 * the host's programs and its peerdistd; key NULL: none), else "". 0, or
 * -1 when the variable is too long.
 */
static int setting(const char *env, const char *key, char *out, size_t cap)
{
	const char *v = getenv(env), *path = getenv("PEERDIST_CONFIG");
	struct wanted w = { key, out, cap };
	FILE *f;

	*out = '\0';
	if (v && *v)
		return snprintf(out, cap, "%s", v) < (int)cap ? 0 : -1;
	if (!key)
		return 0;
	f = fopen(path && *path ? path : CONFIG_FILE, "re");
	if (f) {
		pd_conf_read(f, wanted_line, &w);
		fclose(f);
	}
	return 0;
}

static unsigned setting_port(const char *env, const char *key)
{
	char v[16], *end;
	unsigned long n;

	if (setting(env, key, v, sizeof(v)) || !*v)
		return DEFAULT_PCCRR_PORT;
	n = strtoul(v, &end, 10);
	return *end || !n || n > 65535 ? DEFAULT_PCCRR_PORT : n;
}

static int resolve(const char *host, unsigned port, struct sockaddr_storage *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char bare[256];
	size_t n = strlen(host);

	/* an IPv6 literal comes in brackets */
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(bare)) {
		memcpy(bare, host + 1, n - 2);
		bare[n - 2] = '\0';
		host = bare;
	}
	if (getaddrinfo(host, NULL, &hints, &ai))
		return -EINVAL;
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (out->ss_family == AF_INET6)
		((struct sockaddr_in6 *)out)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)out)->sin_port = htons(port);
	return 0;
}

/* The URL's version, host and path (the spec's when it has none). */
static int parse_url(struct pd_hc_client *c, const char *url)
{
	const struct pd_curl *cu = pd_curl();
	CURLU *u = cu->url();
	char *scheme = NULL, *host = NULL, *path = NULL;
	int err = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (cu->url_set(u, CURLUPART_URL, url, 0) ||
	    cu->url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    cu->url_get(u, CURLUPART_HOST, &host, 0))
		goto out;
	c->major = !strcmp(scheme, "https") ? 1 : !strcmp(scheme, "http") ? 2 : 0;
	if (!c->major)
		goto out;
	cu->url_get(u, CURLUPART_PATH, &path, 0);
	if (!path || !strcmp(path, "/"))
		cu->url_set(u, CURLUPART_PATH, c->major == 1 ? PD_PCHC_V1_PATH :
			     PD_PCHC_V2_PATH, 0);
	cu->free(path);
	path = NULL;
	if (cu->url_get(u, CURLUPART_URL, &path, 0) || strlen(path) >= sizeof(c->url))
		goto out;
	strcpy(c->url, path);
	err = resolve(host, setting_port("PEERDIST_HOSTED_CACHE_RETRIEVAL_PORT", NULL),
		      &c->retrieval);
out:
	cu->free(scheme);
	cu->free(host);
	cu->free(path);
	cu->url_cleanup(u);
	return err;
}

struct reply {
	uint8_t buf[16];
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (len > sizeof(r->buf) - r->len)
		return 0;	/* longer than any response: an error */
	memcpy(r->buf + r->len, p, len);
	r->len += len;
	return len;
}

/* One request to the hosted cache: its response code, or -1. */
static int post(struct pd_hc_client *c, CURL *curl, const uint8_t *body, long len)
{
	const struct pd_curl *cu = pd_curl();
	struct curl_slist *hdr = cu->slist_append(NULL, "Content-Type: application/octet-stream");

	struct reply r = { .len = 0 };
	unsigned code;
	long status = 0;
	CURLcode res;

	if (hdr)	/* no "Expect: 100-continue" wait before a large SEGMENT_INFO */
		cu->slist_append(hdr, "Expect:");
	if (len < 0) {
		cu->slist_free_all(hdr);
		return -1;
	}
	cu->easy_reset(curl);
	cu->easy_setopt(curl, CURLOPT_URL, c->url);
	cu->easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	cu->easy_setopt(curl, CURLOPT_POSTFIELDSIZE, len);
	cu->easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	cu->easy_setopt(curl, CURLOPT_TIMEOUT_MS,
			 (long)(c->closing ? CLOSING_TIMEOUT_MS : OFFER_TIMEOUT_MS));
	cu->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	cu->easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	if (c->ca[0])
		cu->easy_setopt(curl, CURLOPT_CAINFO, c->ca);
	res = cu->easy_perform(curl);
	cu->slist_free_all(hdr);
	if (res == CURLE_OK)
		cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (res != CURLE_OK || status != 200 || pd_pchc_decode_response(r.buf, r.len, &code))
		return -1;
	return code;
}

/* The segment's V1 content information, as a SEGMENT_INFO carries it. */
static long segment_info(const struct pd_segment_desc *d, uint8_t *out, size_t cap)
{
	struct pd_ci *ci = pd_ci_alloc(1, d->hash_alg, 1, &d->nblocks);
	struct pd_ci_segment *s;
	long n;

	if (!ci)
		return -1;
	s = &ci->segments[0];
	s->size = d->size;
	s->block_size = d->block_size;
	memcpy(s->hod, d->hod, d->hash_len);
	memcpy(s->kp, d->kp, d->hash_len);
	memcpy(s->block_hashes, d->block_hashes, (size_t)d->nblocks * d->hash_len);
	ci->read_in_last = d->size;	/* the whole segment is offered */
	n = pd_ci_encode(ci, out, cap);
	pd_ci_free(ci);
	return n;
}

static void offer(struct pd_hc_client *c, CURL *curl, const struct pd_segment_desc *d)
{
	uint8_t *body = c->body, *info = c->info;
	size_t cap = sizeof(c->body);
	struct pd_pchc_msg m = { .major = c->major, .port = c->my_port };
	struct pd_pchc_segment *s = &m.segments[0];
	long n;

	if (c->major == 2) {
		m.type = PD_PCHC_BATCHED_OFFER;
		m.nsegments = 1;
		s->block_size = d->block_size;
		s->segment_size = d->size;
		memcpy(s->tag, content_tag, sizeof(s->tag));
		s->hash_alg = pd_pchc_hash_from_ci(d->hash_alg == PD_HASH_V2_SHA512_TRUNC ? 2 : 1,
						   d->hash_alg);
		memcpy(s->id, d->id, sizeof(s->id));
		if (s->hash_alg && d->hash_len == PD_PCHC_BATCH_ID_SIZE)
			post(c, curl, body, pd_pchc_encode_request(&m, body, cap));
		return;
	}
	if (d->hash_alg == PD_HASH_V2_SHA512_TRUNC)
		return;		/* 1.0 offers V1 content information only */
	m.type = PD_PCHC_INITIAL_OFFER;
	m.id = d->id;
	m.id_len = d->hash_len;
	if (post(c, curl, body, pd_pchc_encode_request(&m, body, cap)) !=
	    PD_PCHC_INTERESTED)
		return;
	n = segment_info(d, info, sizeof(c->info));
	if (n <= 0)
		return;
	m.type = PD_PCHC_SEGMENT_INFO;
	memcpy(m.tag, content_tag, sizeof(m.tag));
	m.info = info;
	m.info_len = n;
	post(c, curl, body, pd_pchc_encode_request(&m, body, cap));
}

static void *offering(void *arg)
{
	const struct pd_curl *cu = pd_curl();
	struct pd_hc_client *c = arg;
	struct pd_segment_desc d;
	CURL *curl = cu->easy_init();

	pthread_mutex_lock(&c->lock);
	/* At close, what is queued is still sent: the last offer of a read
	 * (all blocks there) comes just before its process ends. */
	while (!c->stop || c->noffers) {
		if (!c->noffers) {
			pthread_cond_wait(&c->work, &c->lock);
			continue;
		}
		d = c->offers[--c->noffers];
		c->closing = c->stop;
		pthread_mutex_unlock(&c->lock);
		if (curl)
			offer(c, curl, &d);
		free((void *)d.block_hashes);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	if (curl)
		cu->easy_cleanup(curl);
	return NULL;
}

int pd_hc_client_configured(void)
{
	char url[512];

	return setting("PEERDIST_HOSTED_CACHE", "hosted_cache_url", url, sizeof(url)) ||
	       *url;
}

int pd_hc_client_open(struct pd_hc_client **out)
{
	const char *ca = getenv("PEERDIST_HOSTED_CACHE_CA");
	struct pd_hc_client *c;
	char url[512];
	int err;

	if (setting("PEERDIST_HOSTED_CACHE", "hosted_cache_url", url, sizeof(url)))
		return -EINVAL;
	if (!*url)
		return 0;
	if (!pd_curl())
		return -ENOENT;		/* no libcurl: peers only */
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = parse_url(c, url);
	if (!err && ca && strlen(ca) >= sizeof(c->ca))
		err = -EINVAL;
	if (err) {
		free(c);
		return err;
	}
	if (ca)
		strcpy(c->ca, ca);
	c->my_port = setting_port("PEERDIST_RETRIEVAL_PORT", "port");
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->work, NULL);
	if (pthread_create(&c->thread, NULL, offering, c)) {
		pthread_cond_destroy(&c->work);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return -EAGAIN;
	}
	*out = c;
	return 1;
}

const struct sockaddr_storage *pd_hc_client_retrieval(const struct pd_hc_client *c)
{
	return &c->retrieval;
}

/* Lock contract: c->lock held. */
static struct watched *find(struct pd_hc_client *c, const uint8_t *id, unsigned idlen)
{
	unsigned i;

	for (i = 0; i < MAX_WATCHED; i++)
		if (c->watched[i].d.block_hashes && c->watched[i].d.hash_len == idlen &&
		    !memcmp(c->watched[i].d.id, id, idlen))
			return &c->watched[i];
	return NULL;
}

void pd_hc_client_watch(struct pd_hc_client *c, const struct pd_segment_desc *d)
{
	size_t hashes = (size_t)d->nblocks * d->hash_len;
	struct watched *w;
	uint8_t *copy;
	unsigned i;

	pthread_mutex_lock(&c->lock);
	w = find(c, d->id, d->hash_len);
	if (!w) {
		w = &c->watched[0];
		for (i = 1; i < MAX_WATCHED; i++)
			if (c->watched[i].used < w->used)
				w = &c->watched[i];
		copy = malloc(hashes ? hashes : 1);
		if (copy) {
			free((void *)w->d.block_hashes);
			memset(w, 0, sizeof(*w));
			w->d = *d;
			w->d.block_hashes = memcpy(copy, d->block_hashes, hashes);
		} else {
			w = NULL;
		}
	}
	if (w)
		w->used = ++c->clock;
	pthread_mutex_unlock(&c->lock);
}

/* Lock contract: c->lock held. Queues an offer of w (dropped when full). */
static void queue_offer(struct pd_hc_client *c, const struct watched *w)
{
	size_t hashes = (size_t)w->d.nblocks * w->d.hash_len;
	struct pd_segment_desc *d;
	uint8_t *copy;

	if (c->noffers == MAX_OFFERS || !(copy = malloc(hashes ? hashes : 1)))
		return;
	d = &c->offers[c->noffers++];
	*d = w->d;
	d->block_hashes = memcpy(copy, w->d.block_hashes, hashes);
	pthread_cond_signal(&c->work);
}

void pd_hc_client_arrived(struct pd_hc_client *c, const uint8_t *id, unsigned idlen)
{
	struct watched *w;

	pthread_mutex_lock(&c->lock);
	w = find(c, id, idlen);
	if (w && w->arrived < w->d.nblocks)
		w->arrived++;
	if (w && !w->offered_all && w->arrived == w->d.nblocks) {
		w->offered_all = w->offered_part = 1;
		queue_offer(c, w);
	} else if (w && !w->offered_part && w->arrived * 5 >= w->d.nblocks) {
		w->offered_part = 1;
		queue_offer(c, w);
	}
	pthread_mutex_unlock(&c->lock);
}

void pd_hc_client_close(struct pd_hc_client *c)
{
	unsigned i;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->work);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	for (i = 0; i < c->noffers; i++)
		free((void *)c->offers[i].block_hashes);
	for (i = 0; i < MAX_WATCHED; i++)
		free((void *)c->watched[i].d.block_hashes);
	pthread_cond_destroy(&c->work);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
