// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The retrieval server's HTTP side: one epoll loop per usable core, each
 * with its own SO_REUSEPORT socket per listen address (so the kernel
 * spreads connections and a connection stays on one loop). POST to the
 * MS-PCCRR path, matched case-insensitively, with a Content-Length body
 * within the protocol's request limit; anything else gets 400, 404, 405,
 * 411, 413, 431 or 505 and the connection closes after it. Requests are
 * parsed as they arrive (http_request.h), pipelined ones answered in order
 * and sent together; connections stay open between requests. The answers
 * of one pass over the ready connections are built in the loop's arena,
 * their AES-128 blocks encrypted together (aes128_mb.h), then each
 * connection's sent with one sendmsg; a client asking for block after
 * block also gets the next answers made ahead, a step at a time between
 * the loop's passes while its answers are read (retrieval.c), and they
 * are sent from where they were made.
 *
 * Hostile load: connections are counted per address and in total
 * (admission.h); a request, head and body, must be whole within
 * request_timeout_ms of its first byte (of the connect, for the first),
 * however its bytes trickle in; answers a client does not read within it
 * close the connection too; idle connections close after
 * keepalive_timeout_ms. Memory: a connection holds only the bytes of a
 * request not yet whole and of answers its socket did not take yet; each
 * loop has one read buffer and one arena for the answers it sends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "admission.h"
#include "aes128_mb.h"
#include "clock.h"
#include "http_request.h"
#include "pccrr.h"
#include "peerdistd.h"

#define READ_SIZE	65536
#define HEAD_ROOM	128	/* an answer's head, before its body in the arena */
#define SLOT_MAX	(HEAD_ROOM + PD_PCCRR_RESPONSE_MAX + 4)
#define ARENA_SIZE	(2u << 20)
#define BATCH_MAX	32	/* answers sent with one sendmsg */
#define TICK_MS		200	/* how often deadlines are checked */
#define LINGER_MS	2000	/* reading what follows a refused request */
#define FD_RESERVE	64	/* descriptors kept for the store, discovery and the rest */
#define LOG_EVERY_MS	10000	/* one line per limit at most this often */
#define MAX_LOOPS	64
#define READAHEAD_CONNS	16	/* per loop: connections with answers made ahead */
#define READAHEAD_IDLE_MS 1000	/* an idle connection gives its read-ahead up */
#define STOP_TAG	(PD_HTTP_MAX_LISTENERS + 1)	/* epoll tags 1..MAX: listeners */

enum conn_state { CONN_OPEN, CONN_LINGER };

struct conn {
	struct conn *prev, *next;
	int fd;
	enum conn_state state;
	int close_after;	/* once its answers are out */
	int want_out;		/* waiting for EPOLLOUT, not reading */
	int queued;		/* on the loop's list of answers to send */
	int more;		/* c->in may hold whole requests the arena had no room for */
	int stepping;		/* in the loop's stepping[]: answers being made ahead */
	struct conn *next_queued;
	unsigned iov_first, iov_count;	/* its answers in the loop's iov */
	struct pd_readahead *ra;
	uint8_t key[16];
	char *in;		/* a request not yet whole */
	size_t in_len;
	uint8_t *out;		/* answers the socket did not take yet */
	size_t out_len, out_off;
	int64_t request_ms;	/* when the pending request began; 0: none */
	int64_t since_ms;	/* idle, lingering or stalled since */
};

struct loop {
	struct pd_http *h;
	pthread_t thread;
	int epfd;
	int lfd[PD_HTTP_MAX_LISTENERS];
	int accept_paused;	/* out of descriptors: until the next tick */
	struct conn *conns;
	int64_t last_tick;
	uint8_t *rbuf;
	uint8_t *arena;		/* the answers being sent */
	size_t arena_used;
	struct iovec iov[2 * BATCH_MAX];
	unsigned niov;
	struct pd_aes128_cbc_job jobs[BATCH_MAX];	/* blocks to encrypt first */
	struct pd_retrieval_batch batch;	/* over jobs */
	unsigned nreadahead;	/* connections with a read-ahead */
	struct conn *stepping[READAHEAD_CONNS];	/* their read-ahead has work */
	unsigned nstepping;
	struct conn *queued;	/* connections with answers in the arena */
};

enum limit { LIMIT_TOTAL, LIMIT_ADDRESS, LIMIT_DEADLINE, LIMIT_UNREAD, LIMIT_FDS, NLIMITS };

struct limit_log {
	atomic_llong last_ms;
	atomic_uint count;
};

struct pd_http {
	struct pd_store *store;
	struct pd_admission *adm;
	unsigned max_connections;
	struct pd_listener listeners[PD_HTTP_MAX_LISTENERS];
	char names[PD_HTTP_MAX_LISTENERS][64];
	unsigned nlisteners;
	struct loop loops[MAX_LOOPS];
	unsigned nloops;
	int stopfd;
	struct limit_log logs[NLIMITS];
};

static void key_text(const uint8_t key[16], char *out, size_t size)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(key, mapped, 12))
		inet_ntop(AF_INET, key + 12, out, size);
	else
		inet_ntop(AF_INET6, key, out, size);
}

/* A limit bit: one line now, then at most one per LOG_EVERY_MS with a count. */
static void limit_hit(struct pd_http *h, enum limit which, const uint8_t *key)
{
	static const char *const what[NLIMITS] = {
		[LIMIT_TOTAL] = "connection refused: the total connection limit is reached",
		[LIMIT_ADDRESS] = "connection refused: max_connections_per_address reached",
		[LIMIT_DEADLINE] = "connection closed: no whole request within request_timeout_ms",
		[LIMIT_UNREAD] = "connection closed: answers not read within request_timeout_ms",
		[LIMIT_FDS] = "not accepting for a moment: out of file descriptors",
	};
	struct limit_log *l = &h->logs[which];
	long long last = atomic_load(&l->last_ms), now = pd_now_ms();
	char addr[INET6_ADDRSTRLEN] = "-";

	atomic_fetch_add(&l->count, 1);
	if ((last && now - last < LOG_EVERY_MS) ||
	    !atomic_compare_exchange_strong(&l->last_ms, &last, now))
		return;
	if (key)
		key_text(key, addr, sizeof(addr));
	pd_log(PD_LOG_WARNING, "%s: %s (%u times in %d s)", addr, what[which],
	       atomic_exchange(&l->count, 0), LOG_EVERY_MS / 1000);
}

static void set_events(struct loop *l, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(l->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void stop_stepping(struct loop *l, struct conn *c)
{
	unsigned i;

	for (i = 0; c->stepping && i < l->nstepping; i++) {
		if (l->stepping[i] == c) {
			l->stepping[i] = l->stepping[--l->nstepping];
			c->stepping = 0;
		}
	}
}

static void drop_readahead(struct loop *l, struct conn *c)
{
	if (!c->ra)
		return;
	stop_stepping(l, c);
	pd_readahead_free(c->ra);
	c->ra = NULL;
	l->nreadahead--;
}

/* A read-ahead for c while the loop's budget lasts; NULL without. */
static struct pd_readahead *readahead_for(struct loop *l, struct conn *c)
{
	if (!c->ra && l->nreadahead < READAHEAD_CONNS && (c->ra = pd_readahead_new()))
		l->nreadahead++;
	return c->ra;
}

static void conn_close(struct loop *l, struct conn *c)
{
	close(c->fd);
	pd_admission_close(l->h->adm, c->key);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	drop_readahead(l, c);
	free(c->in);
	free(c->out);
	free(c);
}

/* The answers are out and the connection ends: the peer's end is read and
 * dropped for a moment, so what it still sends does not reset the answer. */
static void start_linger(struct loop *l, struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	free(c->in);
	c->in = NULL;
	c->in_len = 0;
	c->request_ms = 0;
	c->since_ms = pd_now_ms();
}

static const char *reason(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	default: return "HTTP Version Not Supported";
	}
}

/* Queues an answer with its head at slot and its body (len bytes) at body:
 * slot + HEAD_ROOM in the arena, or a read-ahead slot. */
static void queue_answer(struct loop *l, uint8_t *slot, unsigned status,
			 const uint8_t *body, size_t len, int close)
{
	int n = snprintf((char *)slot, HEAD_ROOM, "HTTP/1.1 %u %s\r\nContent-Length: %zu\r\n%s%s\r\n",
			 status, reason(status), len, status == 405 ? "Allow: POST\r\n" : "",
			 close ? "Connection: close\r\n" : "");

	l->iov[l->niov++] = (struct iovec){ slot, n };
	if (len)
		l->iov[l->niov++] = (struct iovec){ (uint8_t *)body, len };
	l->arena_used += HEAD_ROOM;
	if (body == slot + HEAD_ROOM)
		l->arena_used += (len + 63) / 64 * 64;
}

static void refuse(struct loop *l, struct conn *c, unsigned status)
{
	queue_answer(l, l->arena + l->arena_used, status, NULL, 0, 1);
	c->close_after = 1;
}

static void answer(struct loop *l, struct conn *c, const uint8_t *body, size_t len,
		   int keep_alive)
{
	const struct pd_config *cfg = pd_config_current();
	uint8_t *slot = l->arena + l->arena_used;
	int admitted = pd_admission_active(l->h->adm, c->key, cfg->max_clients,
					   cfg->upload_timeout_ms, pd_now_ms());
	const uint8_t *at;
	long n = pd_retrieval_answer(l->h->store, body, len, admitted, slot + HEAD_ROOM,
				     SLOT_MAX - HEAD_ROOM, &l->batch, readahead_for(l, c),
				     &at);

	pd_log(PD_LOG_DEBUG, "%zu bytes -> %ld%s", len, n,
	       admitted ? "" : " (over the active client limit)");
	if (n < 0) {
		refuse(l, c, 400);
		return;
	}
	c->close_after = !keep_alive;
	queue_answer(l, slot, 200, at, n, c->close_after);
}

/* 0, or the status refusing a request with this head; *body: its length. */
static unsigned route(const struct pd_http_request *r, long *body)
{
	if (!pd_http_request_target_is(r, PD_PCCRR_PATH))
		return 404;
	if (!pd_http_request_method_is(r, "POST"))
		return 405;
	*body = pd_http_request_body_len(r, PD_PCCRR_REQUEST_MAX);
	return *body < 0 ? -*body : 0;
}

/* Answers the whole requests at the start of data, into the arena while it
 * has room; how many bytes they took. */
static size_t answer_requests(struct loop *l, struct conn *c, const char *data, size_t len)
{
	struct pd_http_request r;
	size_t off = 0;
	unsigned status;
	long head, body = 0;

	c->iov_first = l->niov;
	c->more = 0;
	while (off < len && !c->close_after) {
		if (l->niov + 2 > 2 * BATCH_MAX || l->batch.njobs >= BATCH_MAX ||
		    ARENA_SIZE - l->arena_used < SLOT_MAX) {
			c->more = 1;
			break;
		}
		head = pd_http_request_head(data + off, len - off, &r);
		if (!head)
			break;
		status = head < 0 ? -head : route(&r, &body);
		if (status) {
			refuse(l, c, status);
			break;
		}
		if (len - off - head < (size_t)body)
			break;
		answer(l, c, (const uint8_t *)data + off + head, body, r.keep_alive);
		off += head + body;
	}
	c->iov_count = l->niov - c->iov_first;
	if ((c->iov_count || c->more) && !c->queued) {	/* more: to be run again */
		c->queued = 1;
		c->next_queued = l->queued;
		l->queued = c;
	}
	return off;
}

/* Keeps what the socket did not take of the queued answers: 0, or -1. */
static int keep_output(struct loop *l, struct conn *c, size_t sent)
{
	const struct iovec *iov = l->iov + c->iov_first;
	size_t total = 0, skip = sent, n, i;

	for (i = 0; i < c->iov_count; i++)
		total += iov[i].iov_len;
	if (sent == total)
		return 0;
	c->out = malloc(total - sent);
	if (!c->out)
		return -1;
	c->out_len = total - sent;
	c->out_off = 0;
	for (i = 0, n = 0; i < c->iov_count; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		memcpy(c->out + n, (uint8_t *)iov[i].iov_base + skip, iov[i].iov_len - skip);
		n += iov[i].iov_len - skip;
		skip = 0;
	}
	return 0;
}

enum sent { SENT_ALL, SENT_STALLED, SENT_CLOSED };

/* Sends c's answers from the arena; what the socket does not take waits in
 * c->out (the connection is not read meanwhile). Frees c on SENT_CLOSED. */
static enum sent send_answers(struct loop *l, struct conn *c)
{
	struct msghdr m = { .msg_iov = l->iov + c->iov_first, .msg_iovlen = c->iov_count };
	ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		n = 0;
	if (n < 0 || keep_output(l, c, n)) {
		conn_close(l, c);
		return SENT_CLOSED;
	}
	if (c->out) {
		c->want_out = 1;
		c->since_ms = pd_now_ms();
		set_events(l, c, EPOLLOUT);
		return SENT_STALLED;
	}
	if (c->close_after) {
		start_linger(l, c);
		return SENT_STALLED;
	}
	return SENT_ALL;
}

/* Keeps len bytes at data (new bytes, or the end of c->in) as c->in. */
static int keep_input(struct conn *c, const char *data, size_t len)
{
	if (c->in && data != c->in)
		memmove(c->in, data, len);
	else if (len && !c->in && !(c->in = malloc(len)))
		return -1;
	else if (len && data != c->in)
		memcpy(c->in, data, len);
	c->in_len = len;
	if (!len) {
		free(c->in);
		c->in = NULL;
	}
	return 0;
}

/* Answers the whole requests data holds into the arena, keeps the rest;
 * the answers go out with the loop's next flush_answers(). */
static void conn_input(struct loop *l, struct conn *c, const char *data, size_t len)
{
	size_t used = answer_requests(l, c, data, len);

	if (c->close_after) {
		used = len;	/* nothing after the last answer is read */
	} else if (used) {
		c->request_ms = len > used ? pd_now_ms() : 0;
		if (!c->request_ms)
			c->since_ms = pd_now_ms();
	}
	if (keep_input(c, data + used, len - used)) {
		c->close_after = 1;	/* out of memory: the answers, then the end */
		c->in_len = 0;
		if (!c->queued)
			start_linger(l, c);
	}
}

/* Encrypts the batch's blocks: 0, or -1 and logged. */
static int encrypt_batch(struct loop *l)
{
	int err = pd_aes128_cbc_encrypt_many(l->jobs, l->batch.njobs);

	if (err)
		pd_log(PD_LOG_ERROR, "cannot encrypt %u blocks", l->batch.njobs);
	l->batch.njobs = 0;
	return err;
}

/* Once c's answers are sent: its read-ahead gets steps (run_steps). */
static void start_stepping(struct loop *l, struct conn *c)
{
	if (!c->stepping && l->nstepping < READAHEAD_CONNS) {
		l->stepping[l->nstepping++] = c;
		c->stepping = 1;
	}
}

/* One step of every read-ahead with work, once every answer is sent;
 * without encryption, no read-ahead. */
static void run_steps(struct loop *l)
{
	struct conn *c;
	unsigned i = 0;
	int more;

	while (i < l->nstepping) {
		c = l->stepping[i];
		more = c->state == CONN_OPEN ? pd_readahead_step(l->h->store, c->ra) : 0;
		if (more < 0) {
			pd_log(PD_LOG_ERROR, "cannot make answers ahead");
			drop_readahead(l, c);
		} else if (!more) {
			stop_stepping(l, c);
		} else {
			i++;
		}
	}
}

/*
 * Encrypts the blocks that the queued answers carry, all at once, then
 * sends every connection its answers (those with a read-ahead then get
 * steps); connections with whole requests left over are answered and
 * flushed again, until none is.
 */
static void flush_answers(struct loop *l)
{
	struct conn *c, *again;
	enum sent sent;
	int encrypted;

	while (l->queued) {
		encrypted = !encrypt_batch(l);
		again = NULL;
		while ((c = l->queued)) {
			l->queued = c->next_queued;
			c->queued = 0;
			if (!encrypted) {
				conn_close(l, c);	/* never plaintext for ciphertext */
				continue;
			}
			sent = send_answers(l, c);
			if (sent != SENT_CLOSED && c->ra && c->state == CONN_OPEN)
				start_stepping(l, c);
			if (sent == SENT_ALL && c->more) {
				c->next_queued = again;
				again = c;
			}
		}
		l->niov = 0;
		l->arena_used = 0;
		for (c = again; c; c = again) {
			again = c->next_queued;
			conn_input(l, c, c->in, c->in_len);
		}
	}
}

static void conn_read(struct loop *l, struct conn *c)
{
	ssize_t n = recv(c->fd, l->rbuf, READ_SIZE, 0);
	char *in;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(l, c);
		return;
	}
	if (c->state == CONN_LINGER)
		return;
	if (!c->request_ms)
		c->request_ms = pd_now_ms();
	if (!c->in_len) {
		conn_input(l, c, (const char *)l->rbuf, n);
		return;
	}
	in = realloc(c->in, c->in_len + n);
	if (!in) {
		conn_close(l, c);
		return;
	}
	memcpy(in + c->in_len, l->rbuf, n);
	c->in = in;
	c->in_len += n;
	conn_input(l, c, c->in, c->in_len);
}

/* EPOLLOUT: the answers kept; once they are out, the requests that waited. */
static void conn_write(struct loop *l, struct conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_close(l, c);
		return;
	}
	c->out_off += n;
	if (c->out_off < c->out_len)
		return;
	free(c->out);
	c->out = NULL;
	c->want_out = 0;
	set_events(l, c, EPOLLIN);
	if (c->close_after)
		start_linger(l, c);
	else if (c->in_len)
		conn_input(l, c, c->in, c->in_len);
	else
		c->since_ms = pd_now_ms();
}

static void conn_event(struct loop *l, struct conn *c, uint32_t events)
{
	if (c->want_out)
		conn_write(l, c);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_read(l, c);
}

static void pause_accept(struct loop *l, int pause)
{
	struct epoll_event ev;
	unsigned i;

	l->accept_paused = pause;
	for (i = 0; i < l->h->nlisteners; i++) {
		ev = (struct epoll_event){ .events = pause ? 0 : EPOLLIN, .data.u64 = i + 1 };
		epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->lfd[i], &ev);
	}
}

/* A new connection, if the limits let it in: 0, or -1 when refused. */
static int conn_open(struct loop *l, int fd, const struct sockaddr_storage *ss)
{
	const struct pd_config *cfg = pd_config_current();
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;
	uint8_t key[16];
	int one = 1;

	pd_admission_key(ss, key);
	switch (pd_admission_open(l->h->adm, key, cfg->max_connections_per_address)) {
	case PD_ADMIT_OVER_TOTAL:
		limit_hit(l->h, LIMIT_TOTAL, key);
		return -1;
	case PD_ADMIT_OVER_ADDRESS:
		limit_hit(l->h, LIMIT_ADDRESS, key);
		return -1;
	case PD_ADMIT_OK:
		break;
	}
	c = calloc(1, sizeof(*c));
	ev.data.ptr = c;
	if (!c || epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		pd_admission_close(l->h->adm, key);
		free(c);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	memcpy(c->key, key, 16);
	c->request_ms = c->since_ms = pd_now_ms();	/* the first request's deadline runs */
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	return 0;
}

static void accept_all(struct loop *l, unsigned listener)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, i;

	for (i = 0; i < 64; i++) {
		len = sizeof(ss);
		fd = accept4(l->lfd[listener], (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE ||
			       errno == ENOBUFS || errno == ENOMEM)) {
			limit_hit(l->h, LIMIT_FDS, NULL);
			pause_accept(l, 1);
		}
		if (fd < 0)
			return;
		if (conn_open(l, fd, &ss))
			close(fd);
	}
}

/* Closes what ran past its deadline. */
static void tick(struct loop *l, int64_t now)
{
	const struct pd_config *cfg = pd_config_current();
	struct conn *c, *next;

	l->last_tick = now;
	if (l->accept_paused)
		pause_accept(l, 0);
	for (c = l->conns; c; c = next) {
		next = c->next;
		if (c->state == CONN_LINGER) {
			if (now - c->since_ms >= LINGER_MS)
				conn_close(l, c);
		} else if (c->out) {
			if (now - c->since_ms >= cfg->request_timeout_ms) {
				limit_hit(l->h, LIMIT_UNREAD, c->key);
				conn_close(l, c);
			}
		} else if (c->request_ms) {
			if (now - c->request_ms >= cfg->request_timeout_ms) {
				limit_hit(l->h, LIMIT_DEADLINE, c->key);
				conn_close(l, c);
			}
		} else if (now - c->since_ms >= cfg->keepalive_timeout_ms) {
			conn_close(l, c);
		} else if (now - c->since_ms >= READAHEAD_IDLE_MS) {
			drop_readahead(l, c);
		}
	}
}

static void *loop_run(void *arg)
{
	struct loop *l = arg;
	struct epoll_event ev[64];
	int64_t now;
	int n, i;

	for (;;) {
		/* Answers being made ahead: a look at what came, then a step. */
		n = epoll_wait(l->epfd, ev, 64, l->nstepping ? 0 : TICK_MS);
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == STOP_TAG)
				goto stop;
			if (ev[i].data.u64 <= PD_HTTP_MAX_LISTENERS)
				accept_all(l, ev[i].data.u64 - 1);
			else
				conn_event(l, ev[i].data.ptr, ev[i].events);
		}
		flush_answers(l);
		run_steps(l);
		now = pd_now_ms();
		if (now - l->last_tick >= TICK_MS)
			tick(l, now);
	}
stop:
	while (l->conns)
		conn_close(l, l->conns);
	return NULL;
}

/* The address a "listen" value and the port name. */
static int listen_addr(const char *text, unsigned port, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	pd_log(PD_LOG_ERROR, "%s: not an IP address", text);
	return -1;
}

/*
 * A socket on ss: "::" takes IPv4 too (real clients use it). shared: with
 * SO_REUSEPORT, for the loops; without, it fails where anything else
 * listens already, which SO_REUSEPORT alone would let pass.
 */
static int open_listener(const struct sockaddr_storage *ss, socklen_t len, int shared)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, v6only;

	if (fd < 0)
		return -1;
	if (ss->ss_family == AF_INET6) {
		v6only = !IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
			goto close_fd;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, len) ||
	    (shared && listen(fd, SOMAXCONN)))
		goto close_fd;
	return fd;

close_fd:
	close(fd);
	return -1;
}

static void record_listener(struct pd_http *h, unsigned i, int fd)
{
	struct pd_listener *pl = &h->listeners[i];
	socklen_t len = sizeof(pl->addr), olen = sizeof(pl->v6only);

	getsockname(fd, (struct sockaddr *)&pl->addr, &len);
	pl->v6only = 0;
	if (pl->addr.ss_family == AF_INET6)
		getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &pl->v6only, &olen);
}

/* The port a bound socket has. */
static unsigned bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/*
 * Every loop's socket on every address, after a probe that the address
 * and port are free; port 0: the port the first probe got, for all.
 */
static int open_listeners(struct pd_http *h, const struct pd_config *cfg)
{
	struct sockaddr_storage ss;
	unsigned port = cfg->port, i, j;
	socklen_t len;
	int fd;

	for (i = 0; i < cfg->nlisten; i++) {
		snprintf(h->names[i], sizeof(h->names[i]), "%s", cfg->listen[i]);
		if (listen_addr(cfg->listen[i], port, &ss, &len))
			return -1;
		fd = open_listener(&ss, len, 0);
		if (fd >= 0 && !port) {
			port = bound_port(fd);
			listen_addr(cfg->listen[i], port, &ss, &len);
		}
		for (j = 0; fd >= 0 && j < h->nloops; j++) {
			h->loops[j].lfd[i] = open_listener(&ss, len, 1);
			if (j == 0)
				close(fd);	/* the probe: bound, not listening, it held the port */
			fd = h->loops[j].lfd[i];
		}
		if (fd < 0) {
			pd_log(PD_LOG_ERROR, "cannot listen on %s port %u: %m",
			       cfg->listen[i], port);
			return -1;
		}
		record_listener(h, h->nlisteners++, h->loops[0].lfd[i]);
	}
	return 0;
}

/* Loops: one per core this process may run on. */
static unsigned usable_cores(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > MAX_LOOPS ? MAX_LOOPS : n;
}

/* The total connection limit: what the descriptor limit leaves once the
 * loops' own (epoll, a socket per listen address) and a reserve are out. */
static unsigned connection_limit(unsigned nloops, unsigned nlisten)
{
	unsigned long reserve = FD_RESERVE + nloops * (nlisten + 1ul);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (1u << 20))
		return 1u << 20;
	return rl.rlim_cur > 2 * reserve ? rl.rlim_cur - reserve : rl.rlim_cur / 2;
}

static int loop_init(struct pd_http *h, struct loop *l)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = STOP_TAG };
	unsigned i;

	l->h = h;
	l->batch = (struct pd_retrieval_batch){ .jobs = l->jobs, .max = BATCH_MAX };
	for (i = 0; i < PD_HTTP_MAX_LISTENERS; i++)
		l->lfd[i] = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->rbuf = malloc(READ_SIZE);
	l->arena = malloc(ARENA_SIZE);
	if (l->epfd < 0 || !l->rbuf || !l->arena ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, h->stopfd, &ev))
		return -1;
	return 0;
}

static void loop_free(struct loop *l)
{
	unsigned i;

	for (i = 0; i < PD_HTTP_MAX_LISTENERS; i++)
		if (l->lfd[i] >= 0)
			close(l->lfd[i]);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->rbuf);
	free(l->arena);
}

static int loop_start(struct pd_http *h, struct loop *l)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned i;

	for (i = 0; i < h->nlisteners; i++) {
		ev.data.u64 = i + 1;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->lfd[i], &ev))
			return -1;
	}
	return pthread_create(&l->thread, NULL, loop_run, l) ? -1 : 0;
}

/* Stops and frees the first nstarted loops' threads, then everything. */
static void http_free(struct pd_http *h, unsigned nstarted)
{
	uint64_t one = 1;
	unsigned i;

	if (nstarted && write(h->stopfd, &one, sizeof(one)) != sizeof(one))
		pd_log(PD_LOG_ERROR, "cannot stop the retrieval loops: %m");
	for (i = 0; i < nstarted; i++)
		pthread_join(h->loops[i].thread, NULL);
	for (i = 0; i < h->nloops; i++)
		loop_free(&h->loops[i]);
	if (h->stopfd >= 0)
		close(h->stopfd);
	pd_admission_free(h->adm);
	free(h);
}

int pd_http_start(const struct pd_config *cfg, struct pd_store *store,
		  struct pd_http **out)
{
	struct pd_http *h = calloc(1, sizeof(*h));
	unsigned i, started = 0;

	if (!h)
		return -1;
	h->store = store;
	h->nloops = usable_cores();
	h->max_connections = connection_limit(h->nloops, cfg->nlisten);
	h->adm = pd_admission_new(h->max_connections);
	h->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (i = 0; i < h->nloops; i++)
		h->loops[i].epfd = -1;
	if (!h->adm || h->stopfd < 0)
		goto fail;
	for (i = 0; i < h->nloops; i++)
		if (loop_init(h, &h->loops[i]))
			goto fail;
	if (open_listeners(h, cfg))
		goto fail;
	for (; started < h->nloops; started++)
		if (loop_start(h, &h->loops[started]))
			goto fail;
	/* The real port (the configured one may be 0): tests read these lines. */
	for (i = 0; i < h->nlisteners; i++)
		pd_log(PD_LOG_INFO, "retrieval on %s port %u", h->names[i], pd_http_port(h));
	pd_log(PD_LOG_DEBUG, "retrieval: %u loops, at most %u connections", h->nloops,
	       h->max_connections);
	*out = h;
	return 0;

fail:
	pd_log(PD_LOG_ERROR, "cannot start the retrieval service");
	http_free(h, started);
	return -1;
}

unsigned pd_http_port(const struct pd_http *h)
{
	const struct sockaddr_storage *ss = &h->listeners[0].addr;

	if (!h->nlisteners)
		return 0;
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

unsigned pd_http_listeners(const struct pd_http *h, struct pd_listener *out,
			   unsigned max)
{
	unsigned n = h->nlisteners < max ? h->nlisteners : max;

	memcpy(out, h->listeners, n * sizeof(*out));
	return n;
}

void pd_http_stop(struct pd_http *h)
{
	http_free(h, h->nloops);
}
