// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcurl through dlopen: a program linked with libpeerdist maps curl's
 * thirty libraries only when it first speaks HTTP (a hosted cache offer,
 * peerdist get or serve). libcurl.so.4 is its ABI since 2006; Debian's
 * GnuTLS build is the same ABI under another name.
 */
#include <stdio.h>

#include "curl_dl.h"
#include "dl.h"

static struct pd_curl curl;

static const char *const sonames[] = { "libcurl.so.4", "libcurl-gnutls.so.4", NULL };

static const struct pd_dl_sym syms[] = {
	PD_DL_SYM(curl, global_init, curl_global_init),
	PD_DL_SYM(curl, easy_init, curl_easy_init),
	PD_DL_SYM(curl, easy_setopt, curl_easy_setopt),
	PD_DL_SYM(curl, easy_perform, curl_easy_perform),
	PD_DL_SYM(curl, easy_getinfo, curl_easy_getinfo),
	PD_DL_SYM(curl, easy_reset, curl_easy_reset),
	PD_DL_SYM(curl, easy_cleanup, curl_easy_cleanup),
	PD_DL_SYM(curl, easy_strerror, curl_easy_strerror),
	PD_DL_SYM(curl, slist_append, curl_slist_append),
	PD_DL_SYM(curl, slist_free_all, curl_slist_free_all),
	PD_DL_SYM(curl, url, curl_url),
	PD_DL_SYM(curl, url_set, curl_url_set),
	PD_DL_SYM(curl, url_get, curl_url_get),
	PD_DL_SYM(curl, url_cleanup, curl_url_cleanup),
	PD_DL_SYM(curl, free, curl_free),
};

/* curl_global_init is not thread-safe: pd_dl_open runs it once, locked. */
static int start(char *why, size_t len)
{
	CURLcode rc = curl.global_init(CURL_GLOBAL_DEFAULT);

	if (rc)
		snprintf(why, len, "libcurl cannot start: %s", curl.easy_strerror(rc));
	return rc ? -1 : 0;
}

static struct pd_dl_lib lib = PD_DL_LIB(sonames, syms, start);

const struct pd_curl *pd_curl(void)
{
	return pd_dl_open(&lib) ? NULL : &curl;
}

const char *pd_curl_error(void)
{
	return pd_dl_why(&lib);
}
