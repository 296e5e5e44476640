/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Libraries loaded when first needed. libcurl and libmicrohttpd bring
 * about thirty libraries (TLS, Kerberos, LDAP, IDN) that every start of a
 * program linked with them maps and relocates: 10-15 ms on the CI
 * machines' kind, for commands that never speak HTTP.
 */
#ifndef PD_DL_H
#define PD_DL_H

#include <stddef.h>

struct pd_dl_sym {
	const char *name;
	void **slot;		/* where the function's address goes */
};

/* A table entry for function fn of a library: member is declared
 * typeof(&fn), so a call through it is checked against fn's prototype. */
#define PD_DL_SYM(table, member, fn) { #fn, (void **)&(table).member }

/*
 * Opens the first of sonames (NULL-terminated) that loads and fills every
 * slot of syms; 0, or -ENOENT with why (a library or symbol missing) in
 * why[len]. Not thread-safe: call it under a pthread_once.
 */
int pd_dl_load(const char *const *sonames, const struct pd_dl_sym *syms,
	       size_t n, char *why, size_t len);

#endif
