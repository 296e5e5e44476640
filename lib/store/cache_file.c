// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small files in the cache directory, read and written whole. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_file.h"
#include "fileio.h"

int pd_cache_create_file(int dirfd, const char *path, const void *buf,
			 size_t len, int replace)
{
	char tmp[PATH_MAX];
	int fd, err;

	err = pd_temp_name(tmp, sizeof(tmp), path);
	if (err)
		return err;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    PD_CACHE_FILE_MODE);
	if (fd < 0)
		return -errno;
	err = pd_pwrite_full(fd, buf, len, 0);
	close(fd);
	if (!err && replace && renameat(dirfd, tmp, dirfd, path))
		err = -errno;
	if (!err && !replace && linkat(dirfd, tmp, dirfd, path, 0))
		err = -errno;
	unlinkat(dirfd, tmp, 0);
	return err;
}

int pd_cache_read_file(int dirfd, const char *path, uint8_t **buf, size_t *len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size > (1 << 30)) {
		close(fd);
		return -EFBIG;
	}
	*buf = malloc(st.st_size ? st.st_size : 1);
	n = *buf ? pread(fd, *buf, st.st_size, 0) : -1;
	close(fd);
	if (n != st.st_size) {
		free(*buf);
		return -EIO;
	}
	*len = n;
	return 0;
}

int pd_cache_check_private(int dirfd, const char *dir)
{
	struct stat st;

	if (fstat(dirfd, &st))
		return -errno;
	if (!(st.st_mode & 077))
		return 0;
	if (st.st_uid != geteuid()) {
		fprintf(stderr, "peerdist: cache %s is mode %04o and not ours: "
			"refused (chmod 700 it)\n", dir, (unsigned)(st.st_mode & 07777));
		return -EACCES;
	}
	if (fchmod(dirfd, PD_CACHE_DIR_MODE))
		return -errno;
	fprintf(stderr, "peerdist: cache %s was mode %04o, readable by others: now 0700\n",
		dir, (unsigned)(st.st_mode & 07777));
	return 0;
}
