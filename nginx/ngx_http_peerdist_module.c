// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ngx_http_peerdist_module: nginx as a BranchCache content server
 * (MS-PCCRTP). A header and body filter: for a GET answered 200 with a
 * validator, a client that accepts the peerdist encoding gets the content
 * information of the body instead of the body. The decision is libpeerdist's
 * (lib/pccrtp.c); content information comes from lib/served.c, whose own
 * thread makes it, so a worker never hashes: the first request for a file
 * (or a proxied body, spooled as it passes) is answered as identity with
 * MakeHashRequest=true. Identity answers are left as nginx makes them
 * (sendfile, ranges, gzip).
 */
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <fcntl.h>
#include <stdbool.h>

#include "fileio.h"
#include "pccrc.h"
#include "pccrtp.h"
#include "served.h"

typedef struct {
	ngx_str_t cache_dir;
	ngx_str_t secret_file;
	struct pd_secret *secret;	/* loaded by the master, for the workers */
	struct pd_served *served;	/* per worker */
} peerdist_main_conf_t;

typedef struct {
	ngx_flag_t enable;
	size_t min_size;
} peerdist_loc_conf_t;

typedef struct {
	ngx_buf_t *ci;		/* the body sent instead, or NULL */
	bool sent;
	ngx_fd_t spool;		/* a proxied body being copied for hashing */
	unsigned ci_version;
	char *key;
} peerdist_ctx_t;

static ngx_int_t peerdist_init(ngx_conf_t *cf);
static void *peerdist_create_main_conf(ngx_conf_t *cf);
static char *peerdist_init_main_conf(ngx_conf_t *cf, void *conf);
static void *peerdist_create_loc_conf(ngx_conf_t *cf);
static char *peerdist_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static ngx_int_t peerdist_init_process(ngx_cycle_t *cycle);
static void peerdist_exit_process(ngx_cycle_t *cycle);

static ngx_command_t peerdist_commands[] = {
	{ ngx_string("peerdist"),
	  NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_FLAG,
	  ngx_conf_set_flag_slot, NGX_HTTP_LOC_CONF_OFFSET,
	  offsetof(peerdist_loc_conf_t, enable), NULL },
	{ ngx_string("peerdist_min_size"),
	  NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
	  ngx_conf_set_size_slot, NGX_HTTP_LOC_CONF_OFFSET,
	  offsetof(peerdist_loc_conf_t, min_size), NULL },
	{ ngx_string("peerdist_cache_dir"),
	  NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
	  ngx_conf_set_str_slot, NGX_HTTP_MAIN_CONF_OFFSET,
	  offsetof(peerdist_main_conf_t, cache_dir), NULL },
	{ ngx_string("peerdist_secret_file"),
	  NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,
	  ngx_conf_set_str_slot, NGX_HTTP_MAIN_CONF_OFFSET,
	  offsetof(peerdist_main_conf_t, secret_file), NULL },
	ngx_null_command
};

static ngx_http_module_t peerdist_module_ctx = {
	NULL, peerdist_init,
	peerdist_create_main_conf, peerdist_init_main_conf,
	NULL, NULL,
	peerdist_create_loc_conf, peerdist_merge_loc_conf,
};

ngx_module_t ngx_http_peerdist_module = {
	NGX_MODULE_V1,
	&peerdist_module_ctx, peerdist_commands, NGX_HTTP_MODULE,
	NULL, NULL, peerdist_init_process, NULL, NULL, peerdist_exit_process, NULL,
	NGX_MODULE_V1_PADDING
};

static ngx_http_output_header_filter_pt next_header_filter;
static ngx_http_output_body_filter_pt next_body_filter;

static void *peerdist_create_main_conf(ngx_conf_t *cf)
{
	return ngx_pcalloc(cf->pool, sizeof(peerdist_main_conf_t));
}

static void secret_wipe(void *data)
{
	ngx_explicit_memzero(data, sizeof(struct pd_secret));
}

/* The master reads the secret (it may be root-only); workers inherit it. */
static char *peerdist_init_main_conf(ngx_conf_t *cf, void *conf)
{
	peerdist_main_conf_t *mcf = conf;
	ngx_pool_cleanup_t *cln;
	const char *path;
	int err;

	mcf->secret = ngx_pcalloc(cf->pool, sizeof(*mcf->secret));
	cln = ngx_pool_cleanup_add(cf->pool, 0);
	if (!mcf->secret || !cln)
		return NGX_CONF_ERROR;
	cln->handler = secret_wipe;
	cln->data = mcf->secret;
	path = mcf->secret_file.len ? (const char *)mcf->secret_file.data :
				      pd_secret_default_path();
	err = pd_secret_load(path, 1, mcf->secret);
	if (err) {
		ngx_conf_log_error(NGX_LOG_EMERG, cf, -err,
				   "peerdist: cannot load the server secret \"%s\"", path);
		return NGX_CONF_ERROR;
	}
	return NGX_CONF_OK;
}

static void *peerdist_create_loc_conf(ngx_conf_t *cf)
{
	peerdist_loc_conf_t *lcf = ngx_pcalloc(cf->pool, sizeof(*lcf));

	if (!lcf)
		return NULL;
	lcf->enable = NGX_CONF_UNSET;
	lcf->min_size = NGX_CONF_UNSET_SIZE;
	return lcf;
}

static char *peerdist_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
	peerdist_loc_conf_t *prev = parent, *conf = child;

	(void)cf;
	ngx_conf_merge_value(conf->enable, prev->enable, 0);
	ngx_conf_merge_size_value(conf->min_size, prev->min_size,
				  PD_PCCRTP_MIN_SIZE_DEFAULT);
	return NGX_CONF_OK;
}

static ngx_int_t peerdist_init_process(ngx_cycle_t *cycle)
{
	peerdist_main_conf_t *mcf = ngx_http_cycle_get_module_main_conf(cycle,
						ngx_http_peerdist_module);
	struct pd_served_opts opts = { .secret = mcf ? mcf->secret : NULL };
	int err;

	if (!mcf || !mcf->secret)
		return NGX_OK;
	opts.cache_dir = mcf->cache_dir.len ? (const char *)mcf->cache_dir.data : NULL;
	err = pd_served_open(&opts, &mcf->served);
	if (err)
		ngx_log_error(NGX_LOG_ALERT, cycle->log, -err,
			      "peerdist: cannot open the content information store; "
			      "answering identity only");
	return NGX_OK;
}

static void peerdist_exit_process(ngx_cycle_t *cycle)
{
	peerdist_main_conf_t *mcf = ngx_http_cycle_get_module_main_conf(cycle,
						ngx_http_peerdist_module);

	if (mcf && mcf->served) {
		pd_served_close(mcf->served);
		mcf->served = NULL;
	}
}

static void read_request(ngx_http_request_t *r, struct pd_pccrtp_request *req)
{
	ngx_list_part_t *part = &r->headers_in.headers.part;
	ngx_table_elt_t *h = part->elts;
	ngx_uint_t i;

	pd_pccrtp_request_init(req);
	for (i = 0;; i++) {
		if (i >= part->nelts) {
			if (!part->next)
				break;
			part = part->next;
			h = part->elts;
			i = 0;
		}
		pd_pccrtp_request_header(req, (const char *)h[i].key.data, h[i].key.len,
					 (const char *)h[i].value.data, h[i].value.len);
	}
}

static ngx_int_t add_header(ngx_http_request_t *r, const char *name, const char *value,
			    ngx_table_elt_t **slot)
{
	ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);
	size_t len = ngx_strlen(value);

	if (!h)
		return NGX_ERROR;
	h->hash = 1;
	h->key.data = (u_char *)name;
	h->key.len = ngx_strlen(name);
	h->value.data = ngx_pnalloc(r->pool, len);
	if (!h->value.data)
		return NGX_ERROR;
	ngx_memcpy(h->value.data, value, len);
	h->value.len = len;
	if (slot)
		*slot = h;
	return NGX_OK;
}

/*
 * The file a static answer comes from, if it is one: the mapped path whose
 * size and mtime are those of the answer. Its descriptor, or -1.
 */
static ngx_fd_t static_file(ngx_http_request_t *r, char *key, size_t cap)
{
	ngx_str_t path;
	size_t root;
	struct stat st;
	ngx_fd_t fd;

	if (r->upstream || !ngx_http_map_uri_to_path(r, &path, &root, 0))
		return -1;
	fd = open((const char *)path.data, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size != r->headers_out.content_length_n ||
	    st.st_mtime != r->headers_out.last_modified_time ||
	    !pd_served_file_key((const char *)path.data, &st, key, cap)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A proxied answer's key: its strong ETag, length and URI (with the host). */
static bool proxied_key(ngx_http_request_t *r, bool strong_etag, char *key, size_t cap)
{
	ngx_table_elt_t *etag = r->headers_out.etag;
	ngx_str_t *host = &r->headers_in.server;
	int n;

	if (!r->upstream || !strong_etag)
		return false;
	n = snprintf(key, cap, "pccrtp-proxy:%.*s:%lld:%.*s%.*s", (int)etag->value.len,
		     etag->value.data, (long long)r->headers_out.content_length_n,
		     (int)host->len, host->data, (int)r->unparsed_uri.len,
		     r->unparsed_uri.data);
	return n > 0 && (size_t)n < cap;
}

/*
 * The body of the answer when the content information is made (from memory
 * or one read): NGX_OK; NGX_AGAIN when nobody made it yet, NGX_DECLINED
 * while it is being made (or is unusable), NGX_ERROR.
 */
static ngx_int_t ci_body(ngx_http_request_t *r, peerdist_ctx_t *ctx,
			 struct pd_served *served, const struct pd_pccrtp_answer *a,
			 uint64_t length)
{
	struct pd_ci *whole, *part;
	uint8_t *ci;
	size_t n;
	long w;
	int err = pd_served_lookup(served, ctx->key, a->ci_version, &ci, &n);

	if (err)
		return err == -ENOENT ? NGX_AGAIN : NGX_DECLINED;
	if (a->offset || a->length != length) {
		err = pd_ci_parse(ci, n, &whole, NULL);
		free(ci);
		if (err)
			return NGX_DECLINED;
		err = pd_ci_subrange(whole, a->offset, a->length, &part);
		pd_ci_free(whole);
		if (err)
			return NGX_DECLINED;
		n = pd_ci_encoded_size(part);
		ci = malloc(n);
		w = ci ? pd_ci_encode(part, ci, n) : -1;
		pd_ci_free(part);
		if (w < 0) {
			free(ci);
			return NGX_ERROR;
		}
	}
	ctx->ci = ngx_create_temp_buf(r->pool, n);
	if (!ctx->ci) {
		free(ci);
		return NGX_ERROR;
	}
	ctx->ci->last = ngx_cpymem(ctx->ci->pos, ci, n);
	ctx->ci->last_buf = 1;
	free(ci);
	return NGX_OK;
}

static ngx_int_t send_headers(ngx_http_request_t *r, const struct pd_pccrtp_answer *a,
			      const struct pd_pccrtp_entity *pe, const ngx_buf_t *ci)
{
	struct pd_pccrtp_header h[PD_PCCRTP_HEADERS_MAX];
	unsigned i, n = pd_pccrtp_response_headers(a, h);
	char range[96];

	for (i = 0; i < n; i++)
		if (add_header(r, h[i].name, h[i].value,
			       !strcmp(h[i].name, "Content-Encoding") ?
			       &r->headers_out.content_encoding : NULL) != NGX_OK)
			return NGX_ERROR;
	if (!a->peerdist)
		return next_header_filter(r);
	ngx_http_clear_content_length(r);
	r->headers_out.content_length_n = ci->last - ci->pos;
	ngx_http_clear_accept_ranges(r);
	if (pe->range) {
		snprintf(range, sizeof(range), "bytes %llu-%llu/%llu",
			 (unsigned long long)a->offset,
			 (unsigned long long)(a->offset + a->length - 1),
			 (unsigned long long)pe->length);
		if (add_header(r, "Content-Range", range, NULL) != NGX_OK)
			return NGX_ERROR;
		r->headers_out.status = NGX_HTTP_PARTIAL_CONTENT;
	}
	return next_header_filter(r);
}

static ngx_int_t peerdist_header_filter(ngx_http_request_t *r)
{
	peerdist_loc_conf_t *lcf = ngx_http_get_module_loc_conf(r, ngx_http_peerdist_module);
	peerdist_main_conf_t *mcf = ngx_http_get_module_main_conf(r, ngx_http_peerdist_module);
	ngx_table_elt_t *etag = r->headers_out.etag, *range = r->headers_in.range;
	struct pd_pccrtp_entity pe = { .min_size = lcf->min_size };
	struct pd_pccrtp_request req;
	struct pd_pccrtp_answer a;
	char key[PD_SERVED_KEY_MAX];
	peerdist_ctx_t *ctx;
	ngx_fd_t fd = -1;
	ngx_int_t rc;

	/* an answer already encoded (gzip_static) is not the identity bytes */
	if (!lcf->enable || r != r->main || !mcf->served ||
	    r->headers_out.content_length_n < 0 || r->headers_out.content_encoding)
		return next_header_filter(r);
	read_request(r, &req);
	pe.get = r->method == NGX_HTTP_GET;
	pe.status = r->headers_out.status;
	pe.strong_etag = etag && etag->hash && !(etag->value.len >= 2 &&
						 !ngx_strncmp(etag->value.data, "W/", 2));
	pe.last_modified = r->headers_out.last_modified_time != -1;
	pe.length = r->headers_out.content_length_n;
	pe.hashes_ready = true;
	if (range && pd_pccrtp_parse_range((const char *)range->value.data, range->value.len,
					   pe.length, &pe.range_start, &pe.range_end) == 0)
		pe.range = true;
	if (pd_pccrtp_decide(&req, &pe, &a) != PD_PCCRTP_SEND_PEERDIST)
		return send_headers(r, &a, &pe, NULL);
	fd = static_file(r, key, sizeof(key));
	if (fd < 0 && !proxied_key(r, pe.strong_etag, key, sizeof(key))) {
		pe.hashes_ready = false;	/* nothing we can hash: say so, answer identity */
		pd_pccrtp_decide(&req, &pe, &a);
		a.make_hash_request = false;
		return send_headers(r, &a, &pe, NULL);
	}
	ctx = ngx_pcalloc(r->pool, sizeof(*ctx));
	if (!ctx || !(ctx->key = ngx_pnalloc(r->pool, strlen(key) + 1)))
		goto fail;
	strcpy(ctx->key, key);
	ctx->spool = -1;
	ctx->ci_version = a.ci_version;
	rc = ci_body(r, ctx, mcf->served, &a, pe.length);
	if (rc == NGX_ERROR)
		goto fail;
	if (rc == NGX_AGAIN && fd >= 0)
		pd_served_start(mcf->served, key, fd, a.ci_version);
	else if (rc == NGX_AGAIN)
		ctx->spool = pd_open_temp();	/* copy the body as it passes */
	if (rc != NGX_OK) {
		pe.hashes_ready = false;
		pd_pccrtp_decide(&req, &pe, &a);
	}
	if (fd >= 0)
		close(fd);
	ngx_http_set_ctx(r, ctx, ngx_http_peerdist_module);
	return send_headers(r, &a, &pe, ctx->ci);
fail:
	if (fd >= 0)
		close(fd);
	return NGX_ERROR;
}

/* Copies a buffer's bytes (in memory or in a temporary file) to the spool. */
static bool spool_buf(int spool, ngx_buf_t *b)
{
	if (b->in_file && b->file) {
		off_t off = b->file_pos;

		while (off < b->file_last) {
			ssize_t n = copy_file_range(b->file->fd, &off, spool, NULL,
						    b->file_last - off, 0);
			if (n <= 0)
				return false;
		}
		return true;
	}
	return pd_write_full(spool, b->pos, b->last - b->pos) == 0;
}

static void spool_chain(ngx_http_request_t *r, peerdist_ctx_t *ctx, ngx_chain_t *in)
{
	peerdist_main_conf_t *mcf = ngx_http_get_module_main_conf(r, ngx_http_peerdist_module);
	bool last = false;

	for (; in; in = in->next) {
		if (!ngx_buf_special(in->buf) && !spool_buf(ctx->spool, in->buf))
			goto drop;
		last |= in->buf->last_buf;
	}
	if (!last)
		return;
	pd_served_start(mcf->served, ctx->key, ctx->spool, ctx->ci_version);
drop:
	close(ctx->spool);
	ctx->spool = -1;
}

static ngx_int_t peerdist_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
	peerdist_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_peerdist_module);
	ngx_chain_t out, *cl;

	if (!ctx)
		return next_body_filter(r, in);
	if (!ctx->ci) {
		if (ctx->spool >= 0)
			spool_chain(r, ctx, in);
		return next_body_filter(r, in);
	}
	/* the body is not sent: consume it, send the content information once */
	for (cl = in; cl; cl = cl->next) {
		cl->buf->pos = cl->buf->last;
		cl->buf->file_pos = cl->buf->file_last;
	}
	if (ctx->sent)
		return NGX_OK;
	ctx->sent = true;
	out.buf = ctx->ci;
	out.next = NULL;
	return next_body_filter(r, &out);
}

static ngx_int_t peerdist_init(ngx_conf_t *cf)
{
	(void)cf;
	next_header_filter = ngx_http_top_header_filter;
	ngx_http_top_header_filter = peerdist_header_filter;
	next_body_filter = ngx_http_top_body_filter;
	ngx_http_top_body_filter = peerdist_body_filter;
	return NGX_OK;
}
