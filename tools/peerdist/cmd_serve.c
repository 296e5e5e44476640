// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist serve: an HTTP content server that speaks MS-PCCRTP. It serves
 * a directory, or with --upstream is a reverse proxy that adds BranchCache
 * to an origin's answers. Every answer goes through the one negotiation
 * (lib/pccrtp.c); content information comes from lib/served.c, made in the
 * background on the first request (answered as identity meanwhile).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "curl_dl.h"
#include "mhd_dl.h"
#include "pccrc.h"
#include "pccrtp.h"
#include "serve.h"

#define CONNECTIONS_MAX		256
#define PER_IP_MAX		32
#define IDLE_TIMEOUT_S		60u

static const char serve_help[] =
	"usage: peerdist serve [OPTIONS] DIR\n"
	"       peerdist serve [OPTIONS] --upstream URL\n\n"
	"Serves the files under DIR, or the answers of the origin at URL, over HTTP\n"
	"with BranchCache (MS-PCCRTP): a client that accepts the peerdist encoding\n"
	"gets content information instead of the bytes, once it has been made.\n\n"
	"  -l, --listen ADDR     address to listen on (default 127.0.0.1)\n"
	"  -p, --port N          port (default 8080; 0 picks one)\n"
	"  -u, --upstream URL    be a reverse proxy in front of URL\n"
	"  --min-size SIZE       identity below SIZE bytes (default 64K)\n"
	"  --cache-dir DIR       where content information is kept (default: the store's)\n"
	"  --secret-file F       use the bytes of F as the server passphrase\n"
	"                        (default: the server secret, created on first use)\n"
	"  -h, --help            this text\n";

/* set before the daemon starts, which is what calls into this file */
static const struct pd_mhd *mhd;

struct server {
	int root;			/* the directory, or -1 */
	const char *upstream;
	uint64_t min_size;
	struct pd_served *served;
};

/* Per request: the request line's target as sent (the upstream gets it). */
struct request_ctx {
	char *uri;
	bool seen;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request_ctx *rc = calloc(1, sizeof(*rc));

	(void)cls, (void)conn;
	if (rc)
		rc->uri = strdup(uri);
	return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
			 enum MHD_RequestTerminationCode toe)
{
	struct request_ctx *rc = *ctx;

	(void)cls, (void)conn, (void)toe;
	if (rc)
		free(rc->uri);
	free(rc);
	*ctx = NULL;
}

void entity_free(struct entity *e)
{
	while (e->npass) {
		e->npass--;
		free(e->pass[e->npass].name);
		free(e->pass[e->npass].value);
	}
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
}

bool entity_pass(struct entity *e, const char *name, const char *value)
{
	struct serve_header *h = &e->pass[e->npass];

	if (e->npass == SERVE_PASS_MAX)
		return false;
	h->name = strdup(name);
	h->value = strdup(value);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		return false;
	}
	e->npass++;
	return true;
}

static enum MHD_Result feed_header(void *arg, enum MHD_ValueKind kind,
				   const char *name, const char *value)
{
	(void)kind;
	pd_pccrtp_request_header(arg, name, strlen(name), value ? value : "",
				 value ? strlen(value) : 0);
	return MHD_YES;
}

static enum MHD_Result simple(struct MHD_Connection *conn, unsigned status,
			      const char *text)
{
	struct MHD_Response *r = mhd->create_response_from_buffer(strlen(text),
			(void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	mhd->add_response_header(r, "Content-Type", "text/plain");
	ret = mhd->queue_response(conn, status, r);
	mhd->destroy_response(r);
	return ret;
}

/* A file under the root: no "..", no symlink out of it, regular. */
static int open_file(struct server *srv, const char *url, struct entity *e)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	char date[64], etag[80];
	const char *rel = url;
	struct stat st;
	struct tm tm;

	while (*rel == '/')
		rel++;
	if (!*rel)
		return -EISDIR;
	e->fd = syscall(SYS_openat2, srv->root, rel, &how, sizeof(how));
	if (e->fd < 0)
		return -errno;
	if (fstat(e->fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	e->length = st.st_size;
	e->status = 200;
	e->strong_etag = e->last_modified = true;
	snprintf(etag, sizeof(etag), "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino,
		 (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + st.st_mtim.tv_nsec);
	gmtime_r(&st.st_mtim.tv_sec, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!entity_pass(e, "ETag", etag) || !entity_pass(e, "Last-Modified", date))
		return -ENOMEM;
	if (!pd_served_file_key(url, &st, e->key, sizeof(e->key)))
		e->key[0] = '\0';
	return 0;
}

/*
 * The content information the answer carries: the publication's, or the
 * part of it for the range asked. -ENOENT / -EINPROGRESS when not made.
 */
static int content_information(struct server *srv, const struct entity *e,
			       const struct pd_pccrtp_answer *a, uint8_t **out,
			       size_t *len)
{
	struct pd_ci *whole, *part;
	uint8_t *ci;
	size_t n;
	long w;
	int err;

	err = pd_served_lookup(srv->served, e->key, a->ci_version, &ci, &n);
	if (err || (a->offset == 0 && a->length == e->length)) {
		*out = ci, *len = n;
		return err;
	}
	err = pd_ci_parse(ci, n, &whole, NULL);
	free(ci);
	if (err)
		return -EBADMSG;
	err = pd_ci_subrange(whole, a->offset, a->length, &part);
	pd_ci_free(whole);
	if (err)
		return -EBADMSG;
	*len = pd_ci_encoded_size(part);
	*out = malloc(*len);
	w = *out ? pd_ci_encode(part, *out, *len) : -1;
	pd_ci_free(part);
	if (w < 0) {
		free(*out);
		return -ENOMEM;
	}
	return 0;
}

static void add_headers(struct MHD_Response *r, const struct entity *e,
			const struct pd_pccrtp_answer *a, bool partial)
{
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];
	char range[96];
	unsigned i, n = pd_pccrtp_response_headers(a, h);

	for (i = 0; i < e->npass; i++)
		mhd->add_response_header(r, e->pass[i].name, e->pass[i].value);
	for (i = 0; i < n; i++)
		mhd->add_response_header(r, h[i].name, h[i].value);
	if (partial) {
		snprintf(range, sizeof(range), "bytes %llu-%llu/%llu",
			 (unsigned long long)a->offset,
			 (unsigned long long)(a->offset + a->length - 1),
			 (unsigned long long)e->length);
		mhd->add_response_header(r, "Content-Range", range);
	}
	if (e->status == 200)
		mhd->add_response_header(r, "Accept-Ranges", "bytes");
}

/* Decides and answers for an entity (which it consumes). */
static enum MHD_Result answer(struct server *srv, struct MHD_Connection *conn,
			      const struct pd_pccrtp_request *req,
			      struct pd_pccrtp_entity *pe, struct entity *e)
{
	struct MHD_Response *r;
	struct pd_pccrtp_answer a;
	enum MHD_Result ret;
	uint8_t *ci = NULL;
	size_t len = 0;
	int err = -ENOENT;
	bool partial;

	pe->hashes_ready = true;
	if (pd_pccrtp_decide(req, pe, &a) == PD_PCCRTP_SEND_PEERDIST)
		err = e->key[0] ? content_information(srv, e, &a, &ci, &len) : -ENOKEY;
	if (err && a.peerdist) {
		if (err == -ENOENT)
			pd_served_start(srv->served, e->key, e->fd, a.ci_version);
		pe->hashes_ready = false;
		pd_pccrtp_decide(req, pe, &a);
	}
	partial = pe->range && e->status == 200;
	if (a.peerdist) {
		r = mhd->create_response_from_buffer(len, ci, MHD_RESPMEM_MUST_FREE);
	} else if (e->fd >= 0) {
		r = mhd->create_response_from_fd_at_offset64(a.length, e->fd, a.offset);
		e->fd = r ? -1 : e->fd;		/* the response closes it */
	} else {
		r = mhd->create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	}
	if (!r) {
		free(ci);
		entity_free(e);
		return MHD_NO;
	}
	add_headers(r, e, &a, partial);
	ret = mhd->queue_response(conn, partial ? MHD_HTTP_PARTIAL_CONTENT : e->status, r);
	mhd->destroy_response(r);
	entity_free(e);
	return ret;
}

static enum MHD_Result unsatisfiable(struct MHD_Connection *conn, struct entity *e)
{
	struct MHD_Response *r = mhd->create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	char range[64];
	enum MHD_Result ret;

	entity_free(e);
	if (!r)
		return MHD_NO;
	snprintf(range, sizeof(range), "bytes */%llu", (unsigned long long)e->length);
	mhd->add_response_header(r, "Content-Range", range);
	ret = mhd->queue_response(conn, MHD_HTTP_RANGE_NOT_SATISFIABLE, r);
	mhd->destroy_response(r);
	return ret;
}

/* The whole-entity request to the origin unless the bytes themselves are all
 * that can be answered: then the client's Range goes upstream as it is. */
static bool forward_range(const struct pd_pccrtp_request *req, bool get)
{
	return !get || req->malformed || req->missing_data || !req->accept_peerdist;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **ctx)
{
	struct server *srv = cls;
	struct request_ctx *rc = *ctx;
	struct entity e = { .fd = -1 };
	struct pd_pccrtp_request req;
	struct pd_pccrtp_entity pe = { .min_size = srv->min_size };
	const char *range;
	int err;

	(void)version, (void)upload;
	if (!rc || !rc->uri)
		return MHD_NO;
	if (!rc->seen) {		/* headers only so far */
		rc->seen = true;
		return MHD_YES;
	}
	if (*upload_len)
		return simple(conn, MHD_HTTP_BAD_REQUEST, "no body expected\n");
	pe.get = !strcmp(method, "GET");
	if (!pe.get && strcmp(method, "HEAD"))
		return simple(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n");
	pd_pccrtp_request_init(&req);
	mhd->get_connection_values(conn, MHD_HEADER_KIND, feed_header, &req);
	range = mhd->lookup_connection_value(conn, MHD_HEADER_KIND, "Range");
	if (srv->upstream) {
		err = upstream_fetch(srv->upstream, rc->uri,
				     range && forward_range(&req, pe.get) ? range : NULL,
				     !pe.get, &e);
		if (err) {
			entity_free(&e);
			return simple(conn, MHD_HTTP_BAD_GATEWAY, "upstream failed\n");
		}
		if (e.upstream_range)
			range = NULL;
	} else {
		err = open_file(srv, url, &e);
		if (err) {
			entity_free(&e);
			return simple(conn, MHD_HTTP_NOT_FOUND, "not found\n");
		}
	}
	pe.status = e.status;
	pe.strong_etag = e.strong_etag;
	pe.last_modified = e.last_modified;
	pe.length = e.length;
	if (range && e.status == 200) {
		err = pd_pccrtp_parse_range(range, strlen(range), e.length,
					    &pe.range_start, &pe.range_end);
		if (err == -ERANGE)
			return unsatisfiable(conn, &e);
		pe.range = !err;
	}
	return answer(srv, conn, &req, &pe, &e);
}

static int parse_args(int argc, char **argv, struct server *srv, const char **listen_addr,
		      unsigned *port, struct pd_served_opts *so, const char **secret_file)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "min-size", required_argument, NULL, 'm' },
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, ":l:p:u:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': *listen_addr = optarg; break;
		case 'p':
			if (parse_size(optarg, &v) || v > 65535)
				return usage_error("serve", "bad port '%s'", optarg);
			*port = v;
			break;
		case 'u': srv->upstream = optarg; break;
		case 'm':
			if (parse_size(optarg, &srv->min_size) || !srv->min_size)
				return usage_error("serve", "bad size '%s'", optarg);
			break;
		case 'c': so->cache_dir = optarg; break;
		case 's': *secret_file = optarg; break;
		case 'h': fputs(serve_help, stdout); return -EXIT_OK - 1;
		default: return option_error("serve", argv, c);
		}
	}
	if ((optind == argc) == !srv->upstream || argc - optind > 1)
		return usage_error("serve", "give a directory or --upstream URL");
	if (!srv->upstream) {
		srv->root = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (srv->root < 0)
			return fail(argv[optind], "%s", strerror(errno));
	}
	return 0;
}

static int load_secret(const char *file, struct pd_secret *secret)
{
	uint8_t *buf;
	size_t len;
	int err = read_all(file, PD_SECRET_MAX, &buf, &len);

	if (err)
		return fail(file, "%s", strerror(-err));
	secret->len = len;
	memcpy(secret->bytes, buf, len);
	memset(buf, 0, len);
	free(buf);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct server srv = { .root = -1, .min_size = PD_PCCRTP_MIN_SIZE_DEFAULT };
	struct pd_served_opts so = { 0 };
	const char *listen_addr = "127.0.0.1", *secret_file = NULL;
	struct pd_secret secret;
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned port = 8080, flags = MHD_USE_INTERNAL_POLLING_THREAD |
				      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	sigset_t sigs;
	int err, sig;

	err = parse_args(argc, argv, &srv, &listen_addr, &port, &so, &secret_file);
	if (err)
		return err < 0 ? EXIT_OK : err;
	mhd = pd_mhd();
	if (!mhd)
		return fail("serve", "%s", pd_mhd_error());
	if (srv.upstream && !pd_curl())
		return fail("serve", "%s", pd_curl_error());
	if (secret_file) {
		if (load_secret(secret_file, &secret))
			return EXIT_FAIL;
		so.secret = &secret;
	}
	if (inet_pton(AF_INET, listen_addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, listen_addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		flags |= MHD_USE_IPv6;
	} else {
		return usage_error("serve", "bad address '%s'", listen_addr);
	}
	err = pd_served_open(&so, &srv.served);
	memset(&secret, 0, sizeof(secret));
	if (err)
		return fail("serve", "content information store: %s", strerror(-err));
	/* the server's threads inherit the mask: only sigwait below takes these */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	d = mhd->start_daemon(flags, port, NULL, NULL, on_request, &srv,
			     MHD_OPTION_SOCK_ADDR, &ss,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_MAX,
			     MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
			     MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_END);
	if (!d) {
		pd_served_close(srv.served);
		return fail("serve", "cannot listen on %s port %u", listen_addr, port);
	}
	info = mhd->get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	/* tests read the port from this line */
	printf("serving on %s port %u\n", listen_addr, info ? info->port : port);
	fflush(stdout);
	sigwait(&sigs, &sig);
	mhd->stop_daemon(d);
	pd_served_close(srv.served);
	if (srv.root >= 0)
		close(srv.root);
	return EXIT_OK;
}
