// SPDX-License-Identifier: LGPL-2.1-or-later
/* The MS-PCCRR client's HTTP transport. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "netif.h"
#include "pccrr.h"
#include "retrieval_http.h"

/* Waits for events on fd until the deadline: 0, or -ETIMEDOUT. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { fd, events, 0 };
	int64_t left;

	do {
		left = deadline - pd_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
	} while (poll(&p, 1, left) < 0 && errno == EINTR);
	return p.revents ? 0 : -ETIMEDOUT;
}

void pd_pccrr_conn_close(struct pd_pccrr_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->in_len = 0;
}

static int connect_peer(struct pd_pccrr_conn *c, const struct sockaddr_storage *peer,
			int64_t deadline)
{
	socklen_t len = peer->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
						     sizeof(struct sockaddr_in6);
	int one = 1, err = 0;

	c->fd = socket(peer->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->peer = *peer;
	if (connect(c->fd, (const struct sockaddr *)peer, len) && errno != EINPROGRESS)
		err = -errno;
	if (!err)
		err = wait_fd(c->fd, POLLOUT, deadline);
	if (!err) {
		len = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		err = -err;
	}
	if (err)
		pd_pccrr_conn_close(c);
	return err;
}

static int send_all(int fd, struct iovec *iov, int n, int64_t deadline)
{
	ssize_t w;
	int err;

	while (n) {
		w = writev(fd, iov, n);
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (w < 0 && (err = wait_fd(fd, POLLOUT, deadline)))
			return err;
		while (w > 0 && n) {
			size_t step = (size_t)w < iov->iov_len ? (size_t)w : iov->iov_len;

			iov->iov_base = (char *)iov->iov_base + step;
			iov->iov_len -= step;
			w -= step;
			if (!iov->iov_len) {
				iov++;
				n--;
			}
		}
	}
	return 0;
}

/* Reads what has arrived (at most cap bytes), waiting for some. */
static long read_some(int fd, char *buf, size_t cap, int64_t deadline)
{
	ssize_t r;
	int err;

	for (;;) {
		r = read(fd, buf, cap);
		if (r > 0)
			return r;
		if (!r)
			return -ECONNRESET;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		err = wait_fd(fd, POLLIN, deadline);
		if (err)
			return err;
	}
}

static int parse_fields(char *h, struct pd_http_head *out)
{
	char *line, *save, *v, *end;

	line = strtok_r(h, "\r\n", &save);
	if (!line || sscanf(line, "HTTP/1.%*1[01] %3d", &out->status) != 1)
		return -EPROTO;
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		v = strchr(line, ':');
		if (!v)
			return -EPROTO;
		*v++ = 0;
		v += strspn(v, " \t");
		if (!strcasecmp(line, "Content-Length")) {
			errno = 0;
			out->length = strtol(v, &end, 10);
			if (end == v || *end || errno || out->length < 0)
				return -EPROTO;
		} else if (!strcasecmp(line, "Transfer-Encoding")) {
			return -EPROTO;	/* peers send lengths; chunking is not expected */
		} else if (!strcasecmp(line, "Connection") && !strcasecmp(v, "close")) {
			out->close = 1;
		}
	}
	return out->status == 200 && out->length >= 0 ? 0 : -EPROTO;
}

long pd_http_response_head(const char *buf, size_t len, struct pd_http_head *out)
{
	char head[PD_HTTP_HEAD_MAX + 1];
	const char *end;
	size_t n;

	*out = (struct pd_http_head){ .length = -1 };
	end = memmem(buf, len < PD_HTTP_HEAD_MAX ? len : PD_HTTP_HEAD_MAX, "\r\n\r\n", 4);
	if (!end)
		return len >= PD_HTTP_HEAD_MAX ? -EPROTO : 0;
	n = end - buf;
	memcpy(head, buf, n);
	head[n] = 0;
	if (memchr(head, 0, n))
		return -EPROTO;
	return parse_fields(head, out) ? -EPROTO : (long)(n + 4);
}

/*
 * Reads one response: its head from what is buffered and what arrives
 * (pipelined responses follow each other: what is read past this one's
 * body stays buffered for the next), its body into resp.
 */
static long receive(struct pd_pccrr_conn *c, uint8_t *resp, size_t cap,
		    int64_t deadline, struct pd_http_head *hd)
{
	size_t have, body;
	long r, used;

	while (!(used = pd_http_response_head(c->in, c->in_len, hd))) {
		if (c->in_len == sizeof(c->in))
			return -EPROTO;
		r = read_some(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, deadline);
		if (r < 0)
			return r;
		c->in_len += r;
	}
	if (used < 0)
		return used;
	if ((size_t)hd->length > cap)
		return -EMSGSIZE;
	have = c->in_len - used;
	body = have < (size_t)hd->length ? have : (size_t)hd->length;
	memcpy(resp, c->in + used, body);
	c->in_len -= used + body;
	memmove(c->in, c->in + used + body, c->in_len);
	while (body < (size_t)hd->length) {
		r = read_some(c->fd, (char *)resp + body, hd->length - body, deadline);
		if (r < 0)
			return r;
		body += r;
	}
	return body;
}

static int send_request(struct pd_pccrr_conn *c, const struct iovec *req,
			int64_t deadline)
{
	char head[256];
	struct iovec iov[2];

	iov[0].iov_base = head;
	iov[0].iov_len = snprintf(head, sizeof(head),
				  "POST %s HTTP/1.1\r\nHost: ", PD_PCCRR_PATH);
	pd_netif_format((const struct sockaddr *)&c->peer,
			ntohs(((struct sockaddr_in *)&c->peer)->sin_port),
			head + iov[0].iov_len, sizeof(head) - iov[0].iov_len);
	iov[0].iov_len = strlen(head);
	iov[0].iov_len += snprintf(head + iov[0].iov_len, sizeof(head) - iov[0].iov_len,
				   "\r\nContent-Length: %zu\r\n\r\n", req->iov_len);
	iov[1] = *req;
	return send_all(c->fd, iov, 2, deadline);
}

/* All requests sent, then the responses read in order, each handed on. */
static long exchange(struct pd_pccrr_conn *c, const struct iovec *reqs,
		     unsigned n, uint8_t *resp, size_t cap, unsigned timeout_ms,
		     pd_pccrr_response_fn each, void *arg, unsigned *done)
{
	struct pd_http_head hd = { 0 };
	unsigned i;
	long len;
	int err;

	for (i = 0; i < n; i++) {
		err = send_request(c, &reqs[i], pd_now_ms() + timeout_ms);
		if (err)
			return err;
	}
	for (i = 0; i < n; i++) {
		/* The request timer runs for each answer in turn. */
		len = receive(c, resp, cap, pd_now_ms() + timeout_ms, &hd);
		if (len < 0)
			return len;
		*done = i + 1;
		if (hd.close && i + 1 < n)
			return -ECONNRESET;
		if (each(arg, i, len))
			return -ECANCELED;
	}
	return hd.close ? 1 : 0;
}

int pd_pccrr_pipeline(struct pd_pccrr_conn *c, const struct sockaddr_storage *peer,
		      const struct iovec *reqs, unsigned n, uint8_t *resp,
		      size_t cap, unsigned timeout_ms, pd_pccrr_response_fn each,
		      void *arg, unsigned *done)
{
	int reused = 0;
	long err;

	*done = 0;
	if (!n)
		return -EINVAL;
	if (c->fd >= 0 && memcmp(&c->peer, peer, sizeof(*peer)))
		pd_pccrr_conn_close(c);
	if (c->fd >= 0)
		reused = 1;
	else if ((err = connect_peer(c, peer, pd_now_ms() + timeout_ms)))
		return err;
	err = exchange(c, reqs, n, resp, cap, timeout_ms, each, arg, done);
	/* A kept-alive connection the peer closed meanwhile: once more. */
	if (reused && !*done && (err == -ECONNRESET || err == -EPIPE)) {
		pd_pccrr_conn_close(c);
		err = connect_peer(c, peer, pd_now_ms() + timeout_ms);
		if (!err)
			err = exchange(c, reqs, n, resp, cap, timeout_ms, each, arg, done);
	}
	if (err)
		pd_pccrr_conn_close(c);
	return err < 0 ? err : 0;
}
