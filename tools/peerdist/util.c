// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers the peerdist subcommands share: messages, files, numbers. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "store.h"

/* "PREFIX: message" on stderr, PREFIX being "peerdist: what" or "peerdist cmd". */
__attribute__((format(printf, 3, 0)))
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

/* Into an existing non-regular file (a device, a FIFO, a symlink's target):
 * written in place, never replaced. */
static int open_in_place(struct output *out)
{
	out->fd = open(out->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		       out->flags & WRITE_PRIVATE ? 0600 : 0644);
	return out->fd < 0 ? -errno : 0;
}

/* A regular file (or none yet): a temporary renamed over it at the end, so
 * a reader sees the old bytes or the new ones; with WRITE_NEW, linked in
 * place so an existing file is never replaced. */
static int open_replacing(struct output *out)
{
	if (snprintf(out->tmp, sizeof(out->tmp), "%s.XXXXXX", out->path) >=
	    (int)sizeof(out->tmp))
		return -ENAMETOOLONG;
	out->fd = mkostemp(out->tmp, O_CLOEXEC);
	return out->fd < 0 ? -errno : 0;
}

int output_open(struct output *out, const char *path, unsigned flags)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->flags = flags;
	out->fd = -1;
	if (!path || !strcmp(path, "-")) {
		out->fd = 1;
		return 0;
	}
	out->path = path;
	if (lstat(path, &st) == 0) {
		if (flags & WRITE_NEW)
			return -EEXIST;
		if (!S_ISREG(st.st_mode))
			return open_in_place(out);
	} else if (errno != ENOENT) {
		return -errno;
	}
	return open_replacing(out);
}

int output_write(struct output *out, const void *buf, size_t len)
{
	return pd_write_full(out->fd, buf, len);
}

int output_close(struct output *out, int keep)
{
	struct stat st;
	int err = 0;

	if (!out->path)
		return 0;
	if (out->fd < 0)
		return -EBADF;
	if (!out->tmp[0]) {
		if ((out->flags & WRITE_PRIVATE) && !fstat(out->fd, &st) &&
		    S_ISREG(st.st_mode) && fchmod(out->fd, 0600))
			err = -errno;
	} else if (fchmod(out->fd, out->flags & WRITE_PRIVATE ? 0600 : 0644)) {
		err = -errno;
	}
	if (close(out->fd) && !err)
		err = -errno;
	out->fd = -1;
	if (!out->tmp[0])
		return err;
	if (!err && keep && (out->flags & WRITE_NEW ? link(out->tmp, out->path) :
			     rename(out->tmp, out->path)))
		err = -errno;
	if (err || !keep || (out->flags & WRITE_NEW))
		unlink(out->tmp);
	return err;
}

int write_all(const char *path, const uint8_t *buf, size_t len, unsigned flags)
{
	struct output out;
	int err = output_open(&out, path, flags), cerr;

	if (err)
		return err;
	err = output_write(&out, buf, len);
	cerr = output_close(&out, !err);
	return err ? err : cerr;
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

int option_error(const char *cmd, char **argv, int c)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		return usage_error(cmd, "option '%s' needs a value", opt);
	if (optopt)
		return usage_error(cmd, "unknown option '-%c'", optopt);
	return usage_error(cmd, "unknown option '%s'", opt);
}

const char *win32_words(DWORD err)
{
	static const struct { DWORD code; const char *words; } table[] = {
		{ ERROR_NOT_ENOUGH_MEMORY, "out of memory" },
		{ ERROR_INVALID_PARAMETER, "a parameter is not valid" },
		{ ERROR_NOT_FOUND, "not found" },
		{ ERROR_TIMEOUT, "timed out" },
		{ ERROR_OPERATION_ABORTED, "the operation was aborted" },
		{ PEERDIST_ERROR_ALREADY_EXISTS, "already published" },
		{ PEERDIST_ERROR_OUT_OF_BOUNDS, "empty, or not the size declared" },
		{ PEERDIST_ERROR_SERVICE_UNAVAILABLE, "the cache is unavailable" },
		{ PEERDIST_ERROR_TRUST_FAILURE, "the content failed its hash check" },
		{ PEERDIST_ERROR_MISSING_DATA, "the data is not in the cache" },
		{ PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO, "not valid content information" },
	};
	static char other[48];
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return table[i].words;
	snprintf(other, sizeof(other), "unexpected failure (Windows code %u)", err);
	return other;
}

int store_failure(const char *cmd, int err)
{
	const char *backend = getenv("PEERDIST_BACKEND");
	char buf[PATH_MAX];
	const char *dir = pd_store_cache_dir(buf, sizeof(buf));

	if (err == -EINVAL && backend)
		return fail(cmd, "PEERDIST_BACKEND='%s' is not a backend: use 'user' or "
			    "'kernel', or unset it", backend);
	if (err == -ENODEV)
		return fail(cmd, "PEERDIST_BACKEND=kernel, but peerdist.ko is not loaded "
			    "(modprobe peerdist, or unset PEERDIST_BACKEND)");
	if (err == -EACCES || err == -EPERM || err == -EROFS)
		return fail(cmd, "cache directory %s is not writable: %s (set "
			    "PEERDIST_CACHE_DIR to a directory of yours)", dir, strerror(-err));
	if (err == -ENOENT || err == -ENOTDIR)
		return fail(cmd, "cache directory %s cannot be created: %s", dir,
			    err == -ENOENT ? "its parent directory does not exist" :
			    "a part of its path is not a directory");
	if (err == -EPROTO)
		return fail(cmd, "cache directory %s holds another layout version "
			    "(its VERSION file); move it away", dir);
	return fail(cmd, "cannot open the cache directory %s: %s", dir, strerror(-err));
}

int open_store(const char *cmd, struct pd_store **s)
{
	int err = pd_store_open(s);

	return err ? store_failure(cmd, err) : 0;
}

int startup(const char *cmd, PEERDIST_INSTANCE_HANDLE *pd)
{
	struct pd_store *s;
	DWORD err = PeerDistStartup(PEERDIST_VERSION, pd, NULL);

	if (!err)
		return 0;
	if (open_store(cmd, &s))
		return EXIT_FAIL;
	s->ops->close(s);
	return fail(cmd, "the PeerDist API cannot start: %s", win32_words(err));
}

void show_progress(uint64_t done, uint64_t total, void *arg)
{
	const char *name = arg;

	fprintf(stderr, "\rpeerdist: %s: %3u%% (%llu of %llu MiB)", name,
		(unsigned)(total ? done * 100 / total : 100),
		(unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
	if (done == total)
		fputc('\n', stderr);
}

int want_progress(uint64_t total)
{
	return isatty(2) && total >= PROGRESS_MIN;
}
