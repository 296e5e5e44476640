/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Libraries loaded when first needed. libcurl and libmicrohttpd bring
 * about thirty libraries (TLS, Kerberos, LDAP, IDN) that every start of a
 * program linked with them maps and relocates: 10-15 ms on the CI
 * machines' kind, for commands that never speak HTTP.
 */
#ifndef PD_DL_H
#define PD_DL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct pd_dl_sym {
	const char *name;
	void **slot;		/* where the function's address goes */
};

/* A table entry for function fn of a library: member is declared
 * typeof(&fn), so a call through it is checked against fn's prototype. */
#define PD_DL_SYM(table, member, fn) { #fn, (void **)&(table).member }

/*
 * A library to load once: the first of sonames (NULL-terminated) that
 * loads, every function of syms, then start (when not NULL: the
 * library's own global set-up, which fills why[len] when it fails).
 */
struct pd_dl_lib {
	const char *const *sonames;
	const struct pd_dl_sym *syms;
	size_t nsyms;
	int (*start)(char *why, size_t len);
	/* private */
	pthread_mutex_t lock;
	atomic_int state;	/* 0 not tried yet, 1 loaded, -1 failed */
	char why[256];
};

#define PD_DL_LIB(sonames_, syms_, start_) {					\
	.sonames = (sonames_), .syms = (syms_),					\
	.nsyms = sizeof(syms_) / sizeof((syms_)[0]), .start = (start_),		\
	.lock = PTHREAD_MUTEX_INITIALIZER }

/*
 * Loads lib on the first call, from any thread; later calls give the
 * first one's outcome (a library that failed is not tried again): 0, or
 * -ENOENT with why in pd_dl_why(lib).
 */
int pd_dl_open(struct pd_dl_lib *lib);
/* Why pd_dl_open(lib) failed ("libcurl.so.4 has no curl_url"), or "". */
const char *pd_dl_why(struct pd_dl_lib *lib);

#endif
