// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist serve --upstream: one request to the origin (libcurl), its body
 * spooled to an unnamed 0600 file so the answer can be sent with sendfile
 * and hashed in the background from the same bytes. Only identity is asked
 * for: content information describes the bytes themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "curl_dl.h"
#include "fileio.h"
#include "serve.h"

#define UPSTREAM_TIMEOUT_S	300

/* Headers of the origin's answer that ours repeats. */
static const char *const passed[] = {
	"Content-Type", "ETag", "Last-Modified", "Cache-Control", "Expires",
	"Content-Disposition", "Content-Language", "Location", "Content-Range",
	"Content-Encoding",
};

struct fetch {
	struct entity *e;
	char etag[256], last_modified[64];
	bool encoded;		/* a content coding the origin applied anyway */
	bool write_failed;
};

static void pass_clear(struct entity *e)
{
	while (e->npass) {
		e->npass--;
		free(e->pass[e->npass].name);
		free(e->pass[e->npass].value);
	}
}

/* One header line (an "HTTP/" status line starts a new response: 1xx, redirects). */
static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n, i;
	char *colon, *v, buf[1024];

	if (len >= sizeof(buf))
		return len;		/* a header this long is not one we repeat */
	memcpy(buf, line, len);
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (!strncmp(buf, "HTTP/", 5)) {
		pass_clear(f->e);
		f->etag[0] = f->last_modified[0] = '\0';
		f->encoded = false;
		f->e->status = atoi(strchr(buf, ' ') ? strchr(buf, ' ') + 1 : "0");
		return len;
	}
	colon = strchr(buf, ':');
	if (!colon)
		return len;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (!strcasecmp(buf, "ETag"))
		snprintf(f->etag, sizeof(f->etag), "%s", v);
	if (!strcasecmp(buf, "Content-Encoding") && strcasecmp(v, "identity"))
		f->encoded = true;
	if (!strcasecmp(buf, "Last-Modified"))
		snprintf(f->last_modified, sizeof(f->last_modified), "%s", v);
	for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		if (!strcasecmp(buf, passed[i]))
			entity_pass(f->e, passed[i], v);
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n;

	if (pd_write_full(f->e->fd, data, len)) {
		f->write_failed = true;
		return 0;
	}
	f->e->length += len;
	return len;
}

int upstream_fetch(const char *base, const char *path, const char *range,
		   bool head, struct entity *e)
{
	const struct pd_curl *cu = pd_curl();
	struct fetch f = { .e = e };
	struct curl_slist *hdrs = NULL;
	char url[8192], rh[512];
	CURLcode rc;
	CURL *c;
	int err = 0;

	if (snprintf(url, sizeof(url), "%s%s", base, path) >= (int)sizeof(url))
		return -ENAMETOOLONG;
	e->fd = pd_open_temp();
	if (e->fd < 0)
		return e->fd;
	c = cu->easy_init();
	if (!c)
		return -ENOMEM;
	hdrs = cu->slist_append(hdrs, "Accept-Encoding: identity");
	if (range) {
		snprintf(rh, sizeof(rh), "Range: %s", range);
		hdrs = cu->slist_append(hdrs, rh);
	}
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cu->easy_setopt(c, CURLOPT_NOBODY, head ? 1L : 0L);
	cu->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	cu->easy_setopt(c, CURLOPT_HEADERDATA, &f);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, &f);
	cu->easy_setopt(c, CURLOPT_TIMEOUT, (long)UPSTREAM_TIMEOUT_S);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = cu->easy_perform(c);
	if (rc != CURLE_OK) {
		fprintf(stderr, "peerdist serve: upstream %s: %s\n", url,
			f.write_failed ? "cannot spool the body" : cu->easy_strerror(rc));
		err = -EPROTO;
	}
	if (!err && head) {
		curl_off_t cl = -1;

		cu->easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		e->length = cl > 0 ? (uint64_t)cl : 0;
	}
	cu->slist_free_all(hdrs);
	cu->easy_cleanup(c);
	if (err)
		return err;
	e->strong_etag = f.etag[0] && strncmp(f.etag, "W/", 2);
	e->last_modified = f.last_modified[0];
	e->upstream_range = e->status == 206;
	if (f.encoded)		/* content information describes identity bytes only */
		e->strong_etag = e->last_modified = false;
	if (e->status == 200 && !head && (e->strong_etag || e->last_modified) &&
	    (size_t)snprintf(e->key, sizeof(e->key), "pccrtp-url:%.256s:%.64s:%llu:",
			     f.etag, f.last_modified, (unsigned long long)e->length) +
	    strlen(url) < sizeof(e->key))
		strcat(e->key, url);	/* a URL too long for a key: no content information */
	else
		e->key[0] = '\0';
	return 0;
}
