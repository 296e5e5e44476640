/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A file's bytes read where the page cache holds them, through a read-only
 * mapping, instead of copied out by pread: for a program (never a library,
 * which must not take over SIGBUS), which enables it once.
 */
#ifndef PD_MAPPED_READ_H
#define PD_MAPPED_READ_H

#include <stddef.h>
#include <stdint.h>

/*
 * Installs the SIGBUS handler that turns a fault inside a window being
 * read (the file shrank under it) into -EIO for the thread reading it; any
 * other SIGBUS goes to the handler there was before. Again after another
 * handler took SIGBUS over, it takes it back. 0 or -errno.
 */
int pd_mapped_reads_enable(void);
int pd_mapped_reads_enabled(void);

typedef void (*pd_mapped_fn)(const uint8_t *data, size_t len, void *arg);

/*
 * fn(data, len, arg) over fd's bytes off..off + len (off a multiple of the
 * page size, the range inside the file), mapped read-only. 0; -EIO when the
 * file shrank under the window (fn stopped where it faulted, or saw zeros
 * past the new end inside the last page: fn must leave nothing done that
 * matters, hashing into the caller's output, which the caller throws away,
 * is fine); -ENOTSUP when not enabled;
 * -EINVAL for an unaligned off; -errno when it cannot be mapped.
 */
int pd_mapped_read(int fd, uint64_t off, size_t len, pd_mapped_fn fn, void *arg);

#endif
