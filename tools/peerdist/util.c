// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers the peerdist subcommands share: messages, files, numbers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"

/* "PREFIX: message" on stderr, PREFIX being "peerdist: what" or "peerdist cmd". */
static void message(const char *sep, const char *what, const char *fmt,
		    va_list ap)
{
	fprintf(stderr, "peerdist%s%s: ", sep, what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message(": ", what, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message(" ", cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "try 'peerdist %s --help'\n", cmd);
	return EXIT_USAGE;
}

int read_all(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	size_t cap = 65536, n = 0;
	uint8_t *b = NULL, *nb;
	ssize_t r;

	if (fd < 0)
		return -errno;
	do {
		if (n == cap || !b) {
			cap = b ? cap * 2 : cap;
			nb = realloc(b, cap);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			goto out;
		}
		n += r;
		if (n > max) {
			r = -EFBIG;
			goto out;
		}
	} while (r > 0);
out:
	if (fd)
		close(fd);
	if (r < 0) {
		free(b);
		return r;
	}
	*buf = b;
	*len = n;
	return 0;
}

int write_all(const char *path, const uint8_t *buf, size_t len)
{
	char tmp[PATH_MAX];
	int fd, err;

	if (!path || !strcmp(path, "-"))
		return pd_write_full(1, buf, len);
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = pd_write_full(fd, buf, len);
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'T': shift += 10; /* fall through */
	case 'G': shift += 10; /* fall through */
	case 'M': shift += 10; /* fall through */
	case 'K': shift += 10; end++; break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Content information for 2^40 bytes of content is about 512 MiB. */
#define CI_MAX_BYTES	(1ull << 30)

int load_ci(const char *path, struct pd_ci **ci)
{
	struct pd_ci_diag diag = { 0, UINT32_MAX };
	uint8_t *buf;
	size_t len;
	int err;

	err = read_all(path, CI_MAX_BYTES, &buf, &len);
	if (err)
		return fail(path, "%s", strerror(-err));
	err = pd_ci_parse(buf, len, ci, &diag);
	free(buf);
	if (!err)
		return 0;
	if (diag.segment != UINT32_MAX)
		return fail(path, "not valid content information: byte %zu, segment %u: %s",
			    diag.offset, diag.segment, pd_ci_strerror(err));
	return fail(path, "not valid content information: byte %zu: %s",
		    diag.offset, pd_ci_strerror(err));
}
