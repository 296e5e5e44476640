// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Serving throughput, as a load client over plain sockets:
 *  - pccrr: MSG_GETBLKS for every block of every segment of a content
 *    information file, one block per request and AES-128 like a Windows
 *    client, over CLIENTS keep-alive HTTP/1.1 connections to peerdistd;
 *  - http: the same bytes from a plain web server (nginx) as 64 KiB Range
 *    GETs over CLIENTS keep-alive connections, or one whole-file GET for
 *    one client, the reference a file server gets on the same machine.
 * Blocks are handed out from one shared counter, so a slow connection does
 * not leave the others idle at the end. Prints "serve-clients-N MB/s" or
 * "nginx-clients-N MB/s" (plaintext content bytes, 10^6), best of three.
 *  - idle: the same pccrr requests over one connection to a server of
 *    this program's own (another process) that answers each at once with
 *    a response of the size peerdistd's answer has, the same bytes every
 *    time: what one request at a time costs on this machine when the
 *    server does no work at all, the ceiling of one client.
 * After timing, pccrr decrypts a sample of blocks and checks their hashes,
 * so a fast server that sends the wrong bytes does not pass.
 * Prints "idle-clients-1 MB/s" for idle.
 * Usage: bench_serve pccrr HOST PORT CI-FILE CLIENTS
 *        bench_serve http HOST PORT URL-PATH CI-FILE CLIENTS
 *        bench_serve idle CI-FILE
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "pccrc.h"
#include "pccrr.h"
#include "pccrr_crypto.h"
#include "store.h"

#define ROUNDS		3
#define HDR_MAX		8192
#define BODY_MAX	(PD_PCCRR_RESPONSE_MAX + 4)
#define MAX_CLIENTS	256

struct item {
	uint32_t seg, blk;
	uint64_t off;		/* in the content (and the served file) */
	uint32_t len;		/* plaintext bytes */
};

struct bench {
	int pccrr;		/* else plain HTTP */
	int idle;		/* pccrr requests, answers not looked at */
	int whole;		/* http: one GET of the whole file */
	struct addrinfo *ai;
	const char *host, *path;
	struct pd_ci *ci;
	struct pd_segment_desc *segs;
	struct item *items;
	size_t nitems;
	uint64_t total;		/* content bytes */
	atomic_size_t next;
	pthread_barrier_t start;
};

/* One keep-alive connection with a read buffer for headers. */
struct conn {
	int fd;
	size_t head, tail;
	char buf[HDR_MAX];
};

struct worker {
	pthread_t tid;
	struct bench *b;
	struct conn c;
	uint8_t *body;
	int failed;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int conn_open(struct conn *c, const struct addrinfo *ai)
{
	int one = 1;

	c->head = c->tail = 0;
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	/* Small requests must not wait for the previous response's ACK. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen)) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int send_all(int fd, struct iovec *iov, int n)
{
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = n };
	ssize_t k;

	while (m.msg_iovlen) {
		k = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		while (m.msg_iovlen && (size_t)k >= m.msg_iov->iov_len) {
			k -= m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (m.msg_iovlen) {
			m.msg_iov->iov_base = (char *)m.msg_iov->iov_base + k;
			m.msg_iov->iov_len -= k;
		}
	}
	return 0;
}

/* More bytes into the header buffer; 0 at EOF, -1 on error or overflow. */
static ssize_t conn_fill(struct conn *c)
{
	ssize_t k;

	if (c->head) {
		memmove(c->buf, c->buf + c->head, c->tail - c->head);
		c->tail -= c->head;
		c->head = 0;
	}
	if (c->tail == sizeof(c->buf))
		return -1;
	do
		k = recv(c->fd, c->buf + c->tail, sizeof(c->buf) - c->tail, 0);
	while (k < 0 && errno == EINTR);
	if (k > 0)
		c->tail += k;
	return k;
}

/* Content-Length of a header block ending at end; -1 when absent. */
static long long content_length(const char *h, const char *end)
{
	static const char name[] = "\r\ncontent-length:";

	for (; h + sizeof(name) - 1 < end; h++)
		if (!strncasecmp(h, name, sizeof(name) - 1))
			return strtoll(h + sizeof(name) - 1, NULL, 10);
	return -1;
}

/* Finds the end of the header block at c->head, reading more as needed:
 * 1, 0 at EOF before any byte of it, or -1. */
static int head_end(struct conn *c, char **end)
{
	ssize_t k;

	for (;;) {
		*end = memmem(c->buf + c->head, c->tail - c->head, "\r\n\r\n", 4);
		if (*end)
			return 1;
		k = conn_fill(c);
		if (k <= 0)
			return k == 0 && c->tail == c->head ? 0 : -1;
	}
}

/*
 * Reads a response's status line and headers. Returns the status, 0 when
 * the server closed the connection before the response began (a keep-alive
 * connection it timed out: the caller reconnects), or -1.
 */
static int read_head(struct conn *c, long long *clen)
{
	char *end;
	int status = head_end(c, &end);

	if (status <= 0)
		return status;
	if (sscanf(c->buf + c->head, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	*clen = content_length(c->buf + c->head, end + 2);
	c->head = end + 4 - c->buf;
	return status;
}

/*
 * Reads a len-byte body into dst (cap bytes); a longer body wraps around
 * in dst, for the whole-file GET whose bytes are not looked at.
 */
static int read_body(struct conn *c, long long len, uint8_t *dst, size_t cap)
{
	size_t at = 0, n = c->tail - c->head;
	ssize_t k;

	if (n > (size_t)len)
		n = len;
	if (n > cap)
		return -1;
	memcpy(dst, c->buf + c->head, n);
	c->head += n;
	len -= n;
	at = n;
	while (len > 0) {
		if (at == cap)
			at = 0;
		n = cap - at < (unsigned long long)len ? cap - at : (size_t)len;
		k = recv(c->fd, dst + at, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		at += k;
		len -= k;
	}
	return 0;
}

/* The HTTP request for item i: headers in hdr, body (pccrr) in body. */
static int build_request(struct bench *b, size_t i, char *hdr, size_t hcap,
			 uint8_t *body, long *blen)
{
	const struct item *it = &b->items[i];
	struct pd_pccrr_msg m = { 0 };

	if (!b->pccrr) {
		*blen = 0;
		if (b->whole)
			return snprintf(hdr, hcap, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
					b->path, b->host);
		return snprintf(hdr, hcap, "GET %s HTTP/1.1\r\nHost: %s\r\n"
				"Range: bytes=%llu-%llu\r\n\r\n", b->path, b->host,
				(unsigned long long)it->off,
				(unsigned long long)(it->off + it->len - 1));
	}
	m.version = PD_PCCRR_VERSION_1;
	m.type = PD_MSG_GETBLKS;
	m.crypto = PD_CRYPTO_AES_128;
	m.segment_id = b->segs[it->seg].id;
	m.segment_id_len = b->segs[it->seg].hash_len;
	m.nranges = 1;
	m.ranges[0] = (struct pd_block_range){ it->blk, 1 };
	*blen = pd_pccrr_encode_request(&m, body, PD_PCCRR_REQUEST_MAX);
	if (*blen < 0)
		return -1;
	return snprintf(hdr, hcap, "POST %s HTTP/1.1\r\nHost: %s\r\n"
			"Content-Length: %ld\r\n\r\n", b->path, b->host, *blen);
}

/* Sends item i's request and reads the response into w->body. Returns the
 * body length, or -1. A connection the server closed is reopened once. */
static long long exchange(struct worker *w, size_t i)
{
	static const int want[2] = { 206, 200 };
	struct bench *b = w->b;
	uint8_t req[PD_PCCRR_REQUEST_MAX];
	char hdr[1024];
	struct iovec iov[2];
	long long clen = -1;
	long blen;
	int hlen, try, status = -1;

	hlen = build_request(b, i, hdr, sizeof(hdr), req, &blen);
	if (hlen < 0 || hlen >= (int)sizeof(hdr))
		return -1;
	for (try = 0; try < 2 && status <= 0; try++) {
		if (w->c.fd < 0 && conn_open(&w->c, b->ai))
			return -1;
		iov[0] = (struct iovec){ hdr, hlen };
		iov[1] = (struct iovec){ req, blen };
		status = send_all(w->c.fd, iov, blen ? 2 : 1) ? 0 : read_head(&w->c, &clen);
		if (status <= 0)
			conn_close(&w->c);
	}
	if (status != (b->pccrr ? 200 : want[b->whole]) || clen <= 0)
		return -1;
	if (read_body(&w->c, clen, w->body, BODY_MAX))
		return -1;
	return clen;
}

/* The response to item i is a whole MSG_BLK for that block (or the range). */
static int check_response(struct bench *b, size_t i, const uint8_t *body,
			  long long len, struct pd_pccrr_msg *m)
{
	const struct item *it = &b->items[i];

	if (!b->pccrr)
		return len == (long long)(b->whole ? b->total : it->len) ? 0 : -1;
	if (b->idle)
		return 0;
	if (pd_pccrr_decode_response(body, len, m) || m->type != PD_MSG_BLK ||
	    m->block_index != it->blk || m->iv_len != PD_PCCRR_IV_SIZE ||
	    m->block_len != pd_pccrr_padded_len(it->len))
		return -1;
	return 0;
}

static int do_item(struct worker *w, size_t i)
{
	struct pd_pccrr_msg m;
	long long len = exchange(w, i);

	if (len < 0 || check_response(w->b, i, w->body, len, &m)) {
		fprintf(stderr, "bench_serve: bad response for item %zu\n", i);
		return -1;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	size_t i;

	w->failed = conn_open(&w->c, b->ai);
	pthread_barrier_wait(&b->start);
	while (!w->failed && (i = atomic_fetch_add(&b->next, 1)) < b->nitems)
		w->failed = do_item(w, i);
	conn_close(&w->c);
	return NULL;
}

/* One timed pass with n connections; MB/s, or -1 when a request failed. */
static double run_round(struct bench *b, struct worker *w, int n)
{
	double t;
	int i, failed = 0;

	atomic_store(&b->next, 0);
	pthread_barrier_init(&b->start, NULL, n + 1);
	for (i = 0; i < n; i++) {
		w[i].b = b;
		pthread_create(&w[i].tid, NULL, worker_main, &w[i]);
	}
	pthread_barrier_wait(&b->start);
	t = now();
	for (i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		failed |= w[i].failed;
	}
	t = now() - t;
	pthread_barrier_destroy(&b->start);
	return failed ? -1 : b->total / t / 1e6;
}

/* Decrypts item i's block as a client would and checks it against its hash. */
static int verify_item(struct worker *w, size_t i)
{
	struct bench *b = w->b;
	const struct item *it = &b->items[i];
	const struct pd_segment_desc *d = &b->segs[it->seg];
	static uint8_t plain[BODY_MAX];
	struct pd_pccrr_msg m;
	uint8_t h[PD_HASH_MAX];
	long long len = exchange(w, i);

	if (len < 0 || check_response(b, i, w->body, len, &m) ||
	    pd_pccrr_decrypt(m.crypto, d->kp, d->hash_len, m.block, m.block_len,
			     m.iv, plain) ||
	    pd_digest(b->ci->hash_alg, plain, it->len, h))
		return -1;
	return pd_digest_equal(h, d->block_hashes + (size_t)it->blk * d->hash_len,
			       d->hash_len) ? 0 : -1;
}

/* The first, middle and last blocks, and a few in between. */
static int verify_sample(struct bench *b, struct worker *w)
{
	size_t k, i;
	int bad = 0;

	w->b = b;
	w->c.fd = -1;
	for (k = 0; k <= 8 && !bad; k++) {
		i = (b->nitems - 1) * k / 8;
		bad = verify_item(w, i);
		if (bad)
			fprintf(stderr, "bench_serve: block %u of segment %u does not "
				"decrypt to its hash\n", b->items[i].blk, b->items[i].seg);
	}
	conn_close(&w->c);
	return bad;
}

static struct pd_ci *load_ci(const char *path)
{
	struct pd_ci *ci = NULL;
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size);
	if (buf && read(fd, buf, st.st_size) == st.st_size)
		pd_ci_parse(buf, st.st_size, &ci, NULL);
	free(buf);
	close(fd);
	return ci;
}

/* Every block of every segment, in content order. */
static int make_items(struct bench *b)
{
	const struct pd_ci *ci = b->ci;
	struct pd_range r;
	uint32_t s, k;
	size_t n = 0;

	for (s = 0; s < ci->nsegments; s++)
		n += ci->segments[s].nblocks;
	b->items = calloc(n, sizeof(*b->items));
	b->segs = calloc(ci->nsegments, sizeof(*b->segs));
	if (!b->items || !b->segs)
		return -1;
	for (s = 0; s < ci->nsegments; s++) {
		pd_segment_desc_from_ci(ci, s, &b->segs[s]);
		for (k = 0; k < ci->segments[s].nblocks; k++) {
			r = pd_ci_block_span(ci, s, k);
			b->items[b->nitems++] = (struct item){ s, k, r.start,
							       r.end - r.start };
			b->total += r.end - r.start;
		}
	}
	return 0;
}

static int resolve(struct bench *b, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };

	b->host = host;
	return getaddrinfo(host, port, &hints, &b->ai) ? -1 : 0;
}

/*
 * The idle server's one answer, head and body: a MSG_BLK of a block of
 * zeros as long as the content's first, under a head as peerdistd writes.
 */
static int idle_answer(const struct bench *b, struct iovec answer[2])
{
	static uint8_t block[PD_BLOCK_SIZE + 16], iv[PD_PCCRR_IV_SIZE];
	static uint8_t body[BODY_MAX];
	static char head[128];
	struct pd_pccrr_msg m = {
		.version = PD_PCCRR_VERSION_1, .type = PD_MSG_BLK,
		.crypto = PD_CRYPTO_AES_128, .segment_id = b->segs[0].id,
		.segment_id_len = b->segs[0].hash_len,
		.block = block, .block_len = pd_pccrr_padded_len(b->items[0].len),
		.iv = iv, .iv_len = sizeof(iv),
	};
	long len = pd_pccrr_encode_response(&m, body, sizeof(body));

	if (len < 0)
		return -1;
	answer[0] = (struct iovec){ head, snprintf(head, sizeof(head),
		"HTTP/1.1 200 OK\r\nContent-Length: %ld\r\n\r\n", len) };
	answer[1] = (struct iovec){ body, len };
	return 0;
}

/* Answers every request on every connection it accepts, until killed. */
static void idle_serve(int lfd, const struct iovec answer[2])
{
	static uint8_t request[PD_PCCRR_REQUEST_MAX];
	static struct conn c;
	struct iovec iov[2];
	long long clen;
	char *end;
	int one = 1;

	for (;;) {
		c.fd = accept(lfd, NULL, NULL);
		if (c.fd < 0)
			_exit(1);
		setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c.head = c.tail = 0;
		while (head_end(&c, &end) > 0) {
			clen = content_length(c.buf + c.head, end + 2);
			c.head = end + 4 - c.buf;
			memcpy(iov, answer, sizeof(iov));
			if (clen < 0 || read_body(&c, clen, request, sizeof(request)) ||
			    send_all(c.fd, iov, 2))
				break;
		}
		conn_close(&c);
	}
}

/* Starts the idle server, a child that dies with this process, on a
 * loopback port of its own, and points b at it. */
static int idle_start(struct bench *b)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct iovec answer[2];
	char port[8];
	pid_t pid, parent;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (lfd < 0 || idle_answer(b, answer) || bind(lfd, (void *)&a, alen) ||
	    listen(lfd, 16) || getsockname(lfd, (void *)&a, &alen))
		return -1;
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		idle_serve(lfd, answer);
	}
	close(lfd);
	snprintf(port, sizeof(port), "%u", ntohs(a.sin_port));
	return pid < 0 ? -1 : resolve(b, "127.0.0.1", port);
}

static int usage(void)
{
	fputs("usage: bench_serve pccrr HOST PORT CI-FILE CLIENTS\n"
	      "       bench_serve http HOST PORT URL-PATH CI-FILE CLIENTS\n"
	      "       bench_serve idle CI-FILE\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_CLIENTS];
	struct bench b = { 0 };
	const char *mode = argc > 1 ? argv[1] : "";
	double best = 0, mbs;
	int n = 1, i;

	b.idle = !strcmp(mode, "idle");
	b.pccrr = b.idle || !strcmp(mode, "pccrr");
	if ((!b.pccrr && strcmp(mode, "http")) || argc != (b.idle ? 3 : b.pccrr ? 6 : 7))
		return usage();
	b.path = b.pccrr ? PD_PCCRR_PATH : argv[4];
	b.ci = load_ci(argv[b.idle ? 2 : b.pccrr ? 4 : 5]);
	if (!b.idle)
		n = atoi(argv[b.pccrr ? 5 : 6]);
	if (n < 1 || n > MAX_CLIENTS || !b.ci || make_items(&b) ||
	    (b.idle ? idle_start(&b) : resolve(&b, argv[2], argv[3]))) {
		fprintf(stderr, "bench_serve: bad arguments, content information "
			"or address\n");
		return 1;
	}
	b.whole = !b.pccrr && n == 1;
	if (b.whole)
		b.nitems = 1;	/* one request for the whole file */
	for (i = 0; i < n; i++)
		w[i].body = malloc(BODY_MAX);
	for (i = 0; i < ROUNDS; i++) {
		mbs = run_round(&b, w, n);
		if (mbs < 0)
			return 1;
		best = mbs > best ? mbs : best;
	}
	if (b.pccrr && !b.idle && verify_sample(&b, &w[0]))
		return 1;
	printf("%s-clients-%d %.0f\n", b.idle ? "idle" : b.pccrr ? "serve" : "nginx", n, best);
	return 0;
}
