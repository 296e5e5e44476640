// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The retrieval server's HTTP side (libmicrohttpd): POST to the MS-PCCRR
 * path, matched case-insensitively, with a body within the protocol's
 * request limit; everything else gets 404, 405 or 413. Keep-alive is
 * libmicrohttpd's default. A pool of one thread per core polls the
 * connections, so a connection's work stays on one thread.
 *
 * Active clients (MS-PCCRR 3.2): a client address that made a request
 * within the upload timeout holds one of max_clients places; a new client
 * finding no free place gets empty answers until one frees up.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "pccrr.h"
#include "peerdistd.h"

struct active_client {
	uint8_t addr[16];	/* IPv4 as v4-mapped IPv6 */
	int64_t last_ms;
};

struct pd_http {
	struct MHD_Daemon *daemon;
	struct pd_store *store;
	pthread_mutex_t lock;	/* the active clients */
	struct active_client *clients;	/* room for the highest limit */
	unsigned nclients;
};

/* One request and its answer: the answer is sent straight from out, which
 * lives until libmicrohttpd is done with the request. */
struct request {
	size_t len;
	int too_large;
	uint8_t body[PD_PCCRR_REQUEST_MAX];
	uint8_t out[PD_PCCRR_RESPONSE_MAX + 4];
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const void *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								  MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void client_key(struct MHD_Connection *conn, uint8_t key[16])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	memset(key, 0, 16);
	if (sa && sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else if (sa && sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
}

/* Drops clients idle past the upload timeout. Lock: h->lock. */
static void expire_clients(struct pd_http *h, int64_t now, int64_t timeout_ms)
{
	unsigned i = 0;

	while (i < h->nclients) {
		if (now - h->clients[i].last_ms >= timeout_ms)
			h->clients[i] = h->clients[--h->nclients];
		else
			i++;
	}
}

/* The limits are read at every request: a reload changes them live. */
static int admit(struct pd_http *h, struct MHD_Connection *conn)
{
	const struct pd_config *cfg = pd_config_current();
	int64_t now = now_ms();
	uint8_t key[16];
	unsigned i;
	int ok = 0;

	client_key(conn, key);
	pthread_mutex_lock(&h->lock);
	expire_clients(h, now, cfg->upload_timeout_ms);
	for (i = 0; i < h->nclients && memcmp(h->clients[i].addr, key, 16); i++)
		;
	if (i == h->nclients && h->nclients < cfg->max_clients)
		memcpy(h->clients[h->nclients++].addr, key, 16);
	if (i < h->nclients) {
		h->clients[i].last_ms = now;
		ok = 1;
	}
	pthread_mutex_unlock(&h->lock);
	return ok;
}

static enum MHD_Result answer(struct pd_http *h, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      struct request *req)
{
	int admitted;
	long n;

	if (strcasecmp(url, PD_PCCRR_PATH))
		return reply(conn, MHD_HTTP_NOT_FOUND, "", 0);
	if (strcmp(method, "POST"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "", 0);
	if (req->too_large)
		return reply(conn, MHD_HTTP_CONTENT_TOO_LARGE, "", 0);
	admitted = admit(h, conn);
	n = pd_retrieval_answer(h->store, req->body, req->len, admitted, req->out,
				sizeof(req->out));
	pd_log(PD_LOG_DEBUG, "%s %zu bytes -> %ld%s", url, req->len, n,
	       admitted ? "" : " (over the active client limit)");
	if (n < 0)
		return reply(conn, MHD_HTTP_BAD_REQUEST, "", 0);
	return reply(conn, MHD_HTTP_OK, req->out, n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct request *req = *con_cls;

	if (!req) {
		req = malloc(sizeof(*req));	/* only the head needs zeroing */
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

static unsigned pool_size(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : n;
}

int pd_http_start(const struct pd_config *cfg, struct pd_store *store,
		  struct pd_http **out)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	struct pd_http *h;

	if (inet_pton(AF_INET, cfg->listen_addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, cfg->listen_addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(cfg->port);
		/* "::" takes IPv4 too: real clients connect over IPv4. */
		flags |= IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ?
			 MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	} else {
		pd_log(PD_LOG_ERROR, "%s: not an IP address", cfg->listen_addr);
		return -1;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -1;
	h->clients = calloc(PD_MAX_CLIENTS_LIMIT, sizeof(*h->clients));
	if (!h->clients)
		goto free_h;
	h->store = store;
	pthread_mutex_init(&h->lock, NULL);
	h->daemon = MHD_start_daemon(flags, cfg->port, NULL, NULL, on_request, h,
				     MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
				     MHD_OPTION_CONNECTION_TIMEOUT, 60u,
				     MHD_OPTION_THREAD_POOL_SIZE, pool_size(),
				     MHD_OPTION_END);
	if (!h->daemon) {
		pd_log(PD_LOG_ERROR, "cannot listen on %s port %u", cfg->listen_addr,
		       cfg->port);
		goto destroy_lock;
	}
	/* The real port (the configured one may be 0): tests read this line. */
	pd_log(PD_LOG_INFO, "retrieval on %s port %u", cfg->listen_addr,
	       pd_http_port(h));
	*out = h;
	return 0;

destroy_lock:
	pthread_mutex_destroy(&h->lock);
	free(h->clients);
free_h:
	free(h);
	return -1;
}

unsigned pd_http_port(const struct pd_http *h)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : 0;
}

unsigned pd_http_listeners(const struct pd_http *h, struct pd_listener *out,
			   unsigned max)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_LISTEN_FD);
	socklen_t len = sizeof(out->addr);
	int v6only = 0;
	socklen_t olen = sizeof(v6only);

	if (!max || !info ||
	    getsockname(info->listen_fd, (struct sockaddr *)&out->addr, &len))
		return 0;
	if (out->addr.ss_family == AF_INET6)
		getsockopt(info->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen);
	out->v6only = v6only;
	return 1;
}

void pd_http_stop(struct pd_http *h)
{
	MHD_stop_daemon(h->daemon);
	pthread_mutex_destroy(&h->lock);
	free(h->clients);
	free(h);
}
