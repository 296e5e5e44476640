/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Working buffers of a megabyte or more, on transparent huge pages where
 * the kernel gives them: a guest pays microseconds for the first touch of
 * every 4 KiB page (14 us measured on the CI machines' kind, a 1 MiB
 * buffer 3.7 ms), and a 2 MiB page is touched once.
 */
#ifndef PD_BIGBUF_H
#define PD_BIGBUF_H

#include <stddef.h>

/* len bytes, zeroed, 2 MiB-aligned; NULL when out of memory. */
void *pd_bigbuf_alloc(size_t len);
/* Frees what pd_bigbuf_alloc(len) gave (NULL is ignored). */
void pd_bigbuf_free(void *buf, size_t len);

#endif
