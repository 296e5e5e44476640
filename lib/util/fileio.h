/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole writes: the loops over short writes and EINTR, written once. */
#ifndef PD_FILEIO_H
#define PD_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* All len bytes of buf at offset off of fd; 0 or -errno. */
int pd_pwrite_full(int fd, const void *buf, size_t len, off_t off);
/* All len bytes of buf at fd's position; 0 or -errno. */
int pd_write_full(int fd, const void *buf, size_t len);

#endif
