// SPDX-License-Identifier: LGPL-2.1-or-later
/* Whole reads and writes over short transfers and EINTR. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fileio.h"

/* At off, or at the file position when off is negative. */
static int write_whole(int fd, const uint8_t *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int pd_pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	return off < 0 ? -EINVAL : write_whole(fd, buf, len, off);
}

int pd_write_full(int fd, const void *buf, size_t len)
{
	return write_whole(fd, buf, len, -1);
}

ssize_t pd_pread_full(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

int pd_fd_on_tmpfs(int fd)
{
	struct statfs sfs;

	return !fstatfs(fd, &sfs) && sfs.f_type == TMPFS_MAGIC;
}

ssize_t pd_preadv_no_wait(int fd, const struct iovec *iov, int n, off_t off,
			  int on_tmpfs)
{
	ssize_t got = on_tmpfs ? -1 : preadv2(fd, iov, n, off, RWF_NOWAIT);

	if (on_tmpfs || (got < 0 && errno == EOPNOTSUPP && pd_fd_on_tmpfs(fd)))
		got = preadv(fd, iov, n, off);
	return got < 0 ? -errno : got;
}

ssize_t pd_pread_no_wait(int fd, void *buf, size_t len, off_t off, int on_tmpfs)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return pd_preadv_no_wait(fd, &iov, 1, off, on_tmpfs);
}

int pd_open_temp(void)
{
	const char *dirs[] = { getenv("TMPDIR"), "/var/tmp", "/tmp" };
	int i, fd = -1;

	for (i = 0; i < 3 && fd < 0; i++)
		if (dirs[i])
			fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

int pd_temp_name(char *out, size_t size, const char *path)
{
	static atomic_uint serial;
	int n = snprintf(out, size, "%s.%ld.%u.tmp", path, (long)getpid(),
			 atomic_fetch_add_explicit(&serial, 1, memory_order_relaxed));

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
