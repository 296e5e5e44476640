/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whole reads and writes: the loops over short transfers and EINTR, once. */
#ifndef PD_FILEIO_H
#define PD_FILEIO_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* All len bytes of buf at offset off of fd; 0 or -errno. */
int pd_pwrite_full(int fd, const void *buf, size_t len, off_t off);
/* All len bytes of buf at fd's position; 0 or -errno. */
int pd_write_full(int fd, const void *buf, size_t len);
/* len bytes at off, fewer only at the end of the file: how many, or -errno. */
ssize_t pd_pread_full(int fd, void *buf, size_t len, off_t off);
/*
 * The name of a temporary file beside path, to be renamed or linked over
 * it: path.PID.N.tmp, N counting in the process, so that threads writing
 * the same file at once each have their own (a name per process let one
 * thread's unlink take another's file before its link, and a rename make
 * a file still being written visible). 0, or -ENAMETOOLONG.
 */
int pd_temp_name(char *out, size_t size, const char *path);
/*
 * Up to len bytes at off, read only if no disk must be waited for: how
 * many, or -errno (-EAGAIN: a disk would be). A file on tmpfs cannot be
 * asked not to wait, and has no disk to wait for: it is read plainly. A
 * caller that knows fd is on tmpfs (pd_fd_on_tmpfs) says so in on_tmpfs,
 * which saves the asking.
 */
ssize_t pd_pread_no_wait(int fd, void *buf, size_t len, off_t off, int on_tmpfs);
/* The same into n buffers, filled in turn: one call for bytes in a row. */
ssize_t pd_preadv_no_wait(int fd, const struct iovec *iov, int n, off_t off,
			  int on_tmpfs);
int pd_fd_on_tmpfs(int fd);
/* An unnamed 0600 file (O_TMPFILE) in $TMPDIR, /var/tmp or /tmp: the fd or -errno. */
int pd_open_temp(void);

#endif
