// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The local BranchCache proxy (proxy_listen): an HTTP/1.1 forward proxy
 * for programs that honour http_proxy. A GET of an absolute URL goes to
 * the origin through the streaming BranchCache GET (lib/http/get.h),
 * which adds the PeerDist headers: the identity body reaches the client
 * in order as verified blocks come from the cache, peers or the origin,
 * with its Content-Length; a single Range is answered 206. CONNECT is a
 * tunnel of bytes, never looked into. Other methods get 501.
 *
 * A thread per connection (each blocks only itself: a slow client stalls
 * no other), admitted per address and in total as the retrieval listener
 * (admission.h); a request head must be whole within request_timeout_ms
 * (of the connect, for the first), a connection may idle
 * keepalive_timeout_ms between requests, and a client that reads nothing
 * for request_timeout_ms is dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admission.h"
#include "clock.h"
#include "fileio.h"
#include "get.h"
#include "http_proxy.h"
#include "http_request.h"
#include "pccrtp.h"
#include "peerdistd.h"

#define PROXY_MAX_CONNECTIONS	128	/* threads at once, each a few MiB at most */
#define TUNNEL_IDLE_MS		300000	/* a CONNECT tunnel with no byte either way */
#define CONNECT_TIMEOUT_MS	10000
#define STOP_WAIT_MS		10000	/* for connections to end at shutdown */
#define OUT_HEAD_MAX		(HEADERS_KEPT + 512)
#define HEADERS_KEPT		16384	/* of the origin's header lines, passed on */
#define FORWARDED_MAX		8192	/* the client's header lines passed upstream */

struct conn {
	struct pd_proxy *p;
	struct conn *next, *prev;	/* in p->conns, under p->lock */
	int fd;
	uint8_t key[16];
	char in[PD_HTTP_HEAD_MAX];
	size_t len;			/* bytes in in[] */
	int sent_head;
	int keep_alive;			/* this answer lets the connection go on */
	int head_only;			/* the answer has no body (204, 304, 416) */
};

struct pd_proxy {
	int lfd, stopfd;
	pthread_t thread;
	struct pd_admission *adm;
	pthread_mutex_t lock;
	pthread_cond_t ended;
	struct conn *conns;		/* under lock */
	unsigned nconns;		/* under lock */
};

static const char *reason(long status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ?
	       "Client Error" : "Server Error";
}

static int send_all(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;	/* gone, or not reading within SO_SNDTIMEO */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A short answer of the proxy's own, text/plain; the connection closes. */
static void answer_error(struct conn *c, long status, const char *why)
{
	char out[1024];
	int n = snprintf(out, sizeof(out), "HTTP/1.1 %ld %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n%s\r\n%s\n", status,
			 reason(status), strlen(why) + 1,
			 status == 501 ? "Allow: GET, CONNECT\r\n" : "", why);

	if (n > 0 && n < (int)sizeof(out))
		send_all(c, out, (size_t)n);
	c->keep_alive = 0;
}

/* Whether the origin's header line passes to the client. */
static int passes(const struct pd_http_field *f, int peerdist)
{
	static const char *const ours[] = {	/* what the proxy says itself */
		"content-length", "x-p2p-peerdist", "x-p2p-peerdistex",
	};
	static const char *const encoded[] = {	/* of the content information */
		"content-encoding", "content-range", "accept-ranges", "vary",
	};
	size_t i;

	if (pd_http_hop_by_hop(f->name, f->name_len))
		return 0;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (pd_http_field_is(f->name, f->name_len, ours[i]))
			return 0;
	for (i = 0; peerdist && i < sizeof(encoded) / sizeof(encoded[0]); i++)
		if (pd_http_field_is(f->name, f->name_len, encoded[i]))
			return 0;
	return 1;
}

/* The origin's lines that pass, into out; the length written. */
static size_t pass_headers(const struct pd_get_head *h, char *out, size_t cap)
{
	struct pd_http_field f;
	size_t pos = 0, len = 0, need;
	char *fake = malloc(h->headers_len + 16);

	if (!fake)
		return 0;
	/* pd_http_field_next() reads a head: a request line first, then the lines */
	memcpy(fake, "X\r\n", 3);
	memcpy(fake + 3, h->headers, h->headers_len);
	memcpy(fake + 3 + h->headers_len, "\r\n", 2);
	while (pd_http_field_next(fake, h->headers_len + 5, &pos, &f)) {
		need = f.name_len + f.value_len + 4;
		if (!passes(&f, h->peerdist || h->own_range) || need > cap - len)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%.*s: %.*s\r\n",
					(int)f.name_len, f.name, (int)f.value_len, f.value);
	}
	free(fake);
	return len;
}

/* printf into out[*len..cap); *len stays within cap (a longer line is cut). */
static void append(char *out, size_t *len, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *out, size_t *len, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

static int on_head(void *arg, const struct pd_get_head *h)
{
	struct conn *c = arg;
	char *out = malloc(OUT_HEAD_MAX);
	size_t len = 0;
	int err;

	if (!out)
		return PD_GET_FAILED;
	append(out, &len, OUT_HEAD_MAX, "HTTP/1.1 %ld %s\r\n", h->status, reason(h->status));
	len += pass_headers(h, out + len, HEADERS_KEPT);
	c->head_only = h->status == 204 || h->status == 304 || (h->own_range && h->status == 416);
	if (h->own_range && h->status == 206)
		append(out, &len, OUT_HEAD_MAX, "Content-Range: bytes %llu-%llu/%lld\r\n",
		       (unsigned long long)h->start,
		       (unsigned long long)(h->start + h->count - 1), (long long)h->length);
	else if (h->own_range && h->status == 416)
		append(out, &len, OUT_HEAD_MAX, "Content-Range: bytes */%lld\r\n",
		       (long long)h->length);
	if (h->peerdist || h->own_range)
		append(out, &len, OUT_HEAD_MAX, "Accept-Ranges: bytes\r\n");
	if (h->count >= 0 && !(h->status == 204 || h->status == 304))
		append(out, &len, OUT_HEAD_MAX, "Content-Length: %lld\r\n", (long long)h->count);
	else if (!c->head_only)
		c->keep_alive = 0;	/* the body ends with the connection */
	append(out, &len, OUT_HEAD_MAX, "%s\r\n", c->keep_alive ? "" : "Connection: close\r\n");
	err = send_all(c, out, len);
	free(out);
	c->sent_head = 1;
	return err ? PD_GET_WRITE_ERROR : 0;
}

static int on_bytes(void *arg, const uint8_t *p, size_t len)
{
	struct conn *c = arg;

	return c->head_only ? 0 : send_all(c, p, len);
}

/* The client's header lines the origin gets: not hop-by-hop, not the
 * ones the GET sets itself. */
static void forwarded_headers(const char *head, size_t hlen, char *out, size_t cap,
			      const char **range, char *range_buf, size_t range_cap)
{
	static const char *const set_here[] = {
		"host", "range", "accept-encoding", "x-p2p-peerdist", "x-p2p-peerdistex",
		"content-length", "expect",
	};
	struct pd_http_field f;
	size_t pos = 0, len = 0, i;

	*out = '\0';
	*range = NULL;
	while (pd_http_field_next(head, hlen, &pos, &f)) {
		if (pd_http_field_is(f.name, f.name_len, "range") && f.value_len < range_cap) {
			memcpy(range_buf, f.value, f.value_len);
			range_buf[f.value_len] = '\0';
			*range = range_buf;
		}
		for (i = 0; i < sizeof(set_here) / sizeof(set_here[0]); i++)
			if (pd_http_field_is(f.name, f.name_len, set_here[i]))
				break;
		if (i < sizeof(set_here) / sizeof(set_here[0]) ||
		    pd_http_hop_by_hop(f.name, f.name_len) ||
		    f.name_len + f.value_len + 5 > cap - len)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%.*s: %.*s\r\n", (int)f.name_len,
					f.name, (int)f.value_len, f.value);
	}
}

static long status_of_failure(int rc)
{
	switch (rc) {
	case 28: return 504;	/* CURLE_OPERATION_TIMEDOUT */
	case PD_GET_FAILED: return 503;
	}
	return 502;
}

static void proxy_get(struct conn *c, const struct pd_http_request *req, size_t hlen)
{
	struct pd_get_options o = {
		.proxy = "",	/* never through a proxy (this one, say) */
		.no_redirects = true, .max_ci = PD_PCCRTP_CI_V1,
		.timeout = pd_config_current()->proxy_peer_wait_ms,
		.head = on_head, .sink = on_bytes, .arg = c,
	};
	char url[PD_HTTP_HEAD_MAX + 1], range[256], *headers = malloc(FORWARDED_MAX);
	struct pd_http_authority a;
	struct pd_get_error err;
	struct pd_get_stats st;
	const char *path;
	size_t plen;
	bool https;
	int rc;

	if (!headers)
		return answer_error(c, 503, "out of memory");
	if (pd_http_absolute_target(req->target, req->target_len, &a, &https, &path, &plen)) {
		free(headers);
		return answer_error(c, 400, "a proxy request needs an absolute http:// URL");
	}
	memcpy(url, req->target, req->target_len);
	url[req->target_len] = '\0';
	forwarded_headers(c->in, hlen, headers, FORWARDED_MAX, &o.range, range, sizeof(range));
	o.url = url;
	o.headers = headers;
	rc = pd_get(&o, &st, &err);
	free(headers);
	if (rc && !c->sent_head) {
		pd_log(PD_LOG_INFO, "proxy: %s: %s", url, err.message);
		return answer_error(c, status_of_failure(rc), err.message);
	}
	if (rc) {
		pd_log(PD_LOG_DEBUG, "proxy: %s: ended after %llu bytes: %s", url,
		       (unsigned long long)st.delivered, err.message);
		c->keep_alive = 0;
		return;
	}
	pd_log(PD_LOG_DEBUG, "proxy: %s: %llu bytes: %llu from the cache, %llu from peers, "
	       "%llu from the origin", url, (unsigned long long)st.delivered,
	       (unsigned long long)st.from_cache, (unsigned long long)st.from_peers,
	       (unsigned long long)st.from_origin);
}

/* A TCP connection to host:port within CONNECT_TIMEOUT_MS; the fd or -1. */
static int connect_to(const struct pd_http_authority *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char port[8];
	int fd = -1, err;
	struct pollfd pfd;
	socklen_t elen = sizeof(err);

	snprintf(port, sizeof(port), "%u", a->port);
	if (getaddrinfo(a->host, port, &hints, &res))
		return -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
			goto next;
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, CONNECT_TIMEOUT_MS) == 1 &&
		    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) && !err)
			break;
next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* One direction's bytes; 0 when the sender closed, -1 on an error. */
static int relay(int from, int to)
{
	char buf[65536];
	ssize_t n = recv(from, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : -1;
	if (!n)
		return 0;
	return pd_write_full(to, buf, (size_t)n) ? -1 : 1;
}

/* CONNECT: bytes both ways until both sides closed, or an error, or idle. */
static void tunnel(struct conn *c, int up, size_t hlen)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct pollfd pfd[2] = { { .fd = c->fd, .events = POLLIN }, { .fd = up, .events = POLLIN } };
	int open_dirs = 2, r, i;

	c->keep_alive = 0;
	if (send_all(c, ok, sizeof(ok) - 1) ||
	    (c->len > hlen && pd_write_full(up, c->in + hlen, c->len - hlen)))
		return;
	while (open_dirs) {
		if (poll(pfd, 2, TUNNEL_IDLE_MS) <= 0)
			return;
		for (i = 0; i < 2; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = relay(pfd[i].fd, pfd[1 - i].fd);
			if (r < 0)
				return;
			if (!r) {	/* half closed: tell the other side, stop reading */
				shutdown(pfd[1 - i].fd, SHUT_WR);
				pfd[i].fd = -1;
				open_dirs--;
			}
		}
	}
}

static void proxy_connect(struct conn *c, const struct pd_http_request *req, size_t hlen)
{
	struct pd_http_authority a;
	int up;

	if (pd_http_authority_parse(req->target, req->target_len, 0, &a))
		return answer_error(c, 400, "CONNECT needs host:port");
	up = connect_to(&a);
	if (up < 0) {
		pd_log(PD_LOG_INFO, "proxy: CONNECT %s:%u: no connection", a.host, a.port);
		return answer_error(c, 502, "no connection to that host and port");
	}
	fcntl(up, F_SETFL, 0);		/* blocking writes from here */
	tunnel(c, up, hlen);
	close(up);
}

/* Reads until a whole head is in c->in, by deadline_ms: its length, 0 when
 * the client closed or the deadline passed, or a negative HTTP status. */
static long read_head(struct conn *c, int64_t deadline_ms, struct pd_http_request *req)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	long n = c->len ? pd_http_request_head(c->in, c->len, req) : 0;
	int64_t left;
	ssize_t got;

	while (n == 0) {
		if (c->len == sizeof(c->in))
			return -431;
		left = deadline_ms - pd_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			return c->len ? -408 : 0;
		got = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, 0);
		if (got <= 0)
			return 0;
		c->len += (size_t)got;
		n = pd_http_request_head(c->in, c->len, req);
	}
	return n;
}

/* One request: 1 to read another on this connection, 0 to close it. */
static int serve_request(struct conn *c, int first)
{
	const struct pd_config *cfg = pd_config_current();
	int64_t deadline = pd_now_ms() + (first ? cfg->request_timeout_ms :
					  cfg->keepalive_timeout_ms);
	struct pd_http_request req;
	long hlen = read_head(c, deadline, &req);

	if (hlen == 0)
		return 0;
	if (hlen < 0) {
		answer_error(c, -hlen, hlen == -408 ? "no whole request within "
			     "request_timeout_ms" : "the request head is malformed");
		return 0;
	}
	c->sent_head = 0;
	c->keep_alive = req.keep_alive;
	if (pd_http_request_method_is(&req, "CONNECT")) {
		proxy_connect(c, &req, (size_t)hlen);
		return 0;
	}
	if (!pd_http_request_method_is(&req, "GET")) {
		answer_error(c, 501, "the BranchCache proxy forwards GET and CONNECT only");
		return 0;
	}
	if (req.has_transfer_encoding || req.content_length > 0) {
		answer_error(c, 400, "a GET with a body");
		return 0;
	}
	proxy_get(c, &req, (size_t)hlen);
	memmove(c->in, c->in + hlen, c->len - (size_t)hlen);
	c->len -= (size_t)hlen;
	return c->keep_alive;
}

static void conn_end(struct conn *c)
{
	struct pd_proxy *p = c->p;

	pthread_mutex_lock(&p->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	p->nconns--;
	pthread_cond_broadcast(&p->ended);
	pthread_mutex_unlock(&p->lock);
	pd_admission_close(p->adm, c->key);
	close(c->fd);
	free(c);
}

static void *conn_run(void *arg)
{
	struct conn *c = arg;
	const struct pd_config *cfg = pd_config_current();
	struct timeval tv = { cfg->request_timeout_ms / 1000,
			      (cfg->request_timeout_ms % 1000) * 1000 };
	int one = 1, first = 1;

	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (serve_request(c, first))
		first = 0;
	conn_end(c);
	return NULL;
}

/* Refused at the door: a 503 if the socket takes it at once. */
static void refuse(int fd, const char *why)
{
	char out[256];
	int n = snprintf(out, sizeof(out), "HTTP/1.1 503 Service Unavailable\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
			 strlen(why) + 1, why);

	if (send(fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		pd_log(PD_LOG_DEBUG, "proxy: refusing: %s", strerror(errno));
	close(fd);
}

static void conn_start(struct pd_proxy *p, int fd, const struct sockaddr_storage *ss)
{
	const struct pd_config *cfg = pd_config_current();
	struct conn *c;
	pthread_attr_t attr;
	pthread_t t;
	uint8_t key[16];
	enum pd_admit adm;

	pd_admission_key(ss, key);
	adm = pd_admission_open(p->adm, key, cfg->max_connections_per_address);
	if (adm != PD_ADMIT_OK)
		return refuse(fd, adm == PD_ADMIT_OVER_ADDRESS ?
			      "max_connections_per_address reached" : "too many connections");
	if (!(c = calloc(1, sizeof(*c)))) {
		pd_admission_close(p->adm, key);
		return refuse(fd, "out of memory");
	}
	c->p = p;
	c->fd = fd;
	memcpy(c->key, key, sizeof(key));
	pthread_mutex_lock(&p->lock);
	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	p->nconns++;
	pthread_mutex_unlock(&p->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, conn_run, c)) {
		pd_log(PD_LOG_WARNING, "proxy: no thread for a connection");
		conn_end(c);
	}
	pthread_attr_destroy(&attr);
}

static void *accept_run(void *arg)
{
	struct pd_proxy *p = arg;
	struct pollfd pfd[2] = { { .fd = p->lfd, .events = POLLIN },
				 { .fd = p->stopfd, .events = POLLIN } };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	for (;;) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		len = sizeof(ss);
		fd = accept4(p->lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd >= 0)
			conn_start(p, fd, &ss);
		else if (errno == EMFILE || errno == ENFILE)
			poll(NULL, 0, 100);	/* out of descriptors: a moment's pause */
	}
	return NULL;
}

/* "ADDR port N" of a listen address, for the log. */
static void addr_text(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(ss->ss_family, ss->ss_family == AF_INET6 ?
		  (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr :
		  (const void *)&((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
	snprintf(out, size, "%s port %u", ip, ntohs(((const struct sockaddr_in *)ss)->sin_port));
}

static int open_listener(const struct sockaddr_storage *ss)
{
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
			sizeof(struct sockaddr_in);
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	char text[INET6_ADDRSTRLEN + 16];

	addr_text(ss, text, sizeof(text));
	if (fd >= 0 && !setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) &&
	    !bind(fd, (const struct sockaddr *)ss, len) && !listen(fd, 128)) {
		pd_log(PD_LOG_INFO, "proxy: listening on %s (an HTTP forward proxy with "
		       "BranchCache)", text);
		return fd;
	}
	pd_log(PD_LOG_ERROR, "proxy: cannot listen on %s: %s", text, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int pd_proxy_start(const struct pd_config *cfg, struct pd_proxy **out)
{
	struct pd_proxy *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -1;
	p->stopfd = eventfd(0, EFD_CLOEXEC);
	p->adm = pd_admission_new(PROXY_MAX_CONNECTIONS);
	p->lfd = p->stopfd >= 0 && p->adm ? open_listener(&cfg->proxy_listen) : -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->ended, NULL);
	if (p->lfd < 0 || pthread_create(&p->thread, NULL, accept_run, p)) {
		if (p->lfd >= 0)
			close(p->lfd);
		if (p->stopfd >= 0)
			close(p->stopfd);
		pd_admission_free(p->adm);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

void pd_proxy_stop(struct pd_proxy *p)
{
	uint64_t one = 1;
	struct timespec until;
	struct conn *c;
	int err = 0;

	if (!p)
		return;
	if (write(p->stopfd, &one, sizeof(one)) != sizeof(one))
		pd_log(PD_LOG_WARNING, "proxy: cannot wake the listener");
	pthread_join(p->thread, NULL);
	close(p->lfd);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_WAIT_MS / 1000;
	pthread_mutex_lock(&p->lock);
	for (c = p->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);	/* their reads and writes fail now */
	while (p->nconns && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&p->ended, &p->lock, &until);
	pthread_mutex_unlock(&p->lock);
	if (err == ETIMEDOUT) {		/* a get still waits on its origin: left to exit */
		pd_log(PD_LOG_WARNING, "proxy: connections still open at shutdown");
		return;
	}
	close(p->stopfd);
	pd_admission_free(p->adm);
	free(p);
}
