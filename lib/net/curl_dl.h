/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcurl, loaded on first use (see util/dl.h for why): the functions
 * peerdist calls, each typed as curl.h declares it.
 */
#ifndef PD_CURL_DL_H
#define PD_CURL_DL_H

#include <curl/curl.h>

struct pd_curl {
	typeof(&curl_global_init) global_init;	/* done by pd_curl() */
	typeof(&curl_easy_init) easy_init;
	typeof(&curl_easy_setopt) easy_setopt;
	typeof(&curl_easy_perform) easy_perform;
	typeof(&curl_easy_getinfo) easy_getinfo;
	typeof(&curl_easy_reset) easy_reset;
	typeof(&curl_easy_cleanup) easy_cleanup;
	typeof(&curl_easy_strerror) easy_strerror;
	typeof(&curl_slist_append) slist_append;
	typeof(&curl_slist_free_all) slist_free_all;
	typeof(&curl_url) url;
	typeof(&curl_url_set) url_set;
	typeof(&curl_url_get) url_get;
	typeof(&curl_url_cleanup) url_cleanup;
	typeof(&curl_free) free;
};

/* libcurl's functions, loaded and curl_global_init()ed once, from any
 * thread; NULL when it cannot be (why: pd_curl_error()). */
const struct pd_curl *pd_curl(void);
/* Why pd_curl() gave NULL ("libcurl.so.4 cannot be loaded: ..."). */
const char *pd_curl_error(void);

#endif
