// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Publications and tags in the cache directory: publications/<uid>/<hash
 * of the identifier>.{v1,v2,owner} and tags/<tag>/<segment id>, all names
 * in hex. The V1 file commits a publication; the owner file holds the
 * publishing process's pid; a .kept file (the identifier itself, for
 * listing) makes it last beyond that process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_file.h"
#include "digest.h"
#include "hex.h"
#include "pccrc.h"
#include "store_meta.h"

struct pd_store_meta {
	int dirfd;
};

int pd_store_meta_open(const char *dir, struct pd_store_meta **out)
{
	static const char *const dirs[] = { "publications", "tags" };
	struct pd_store_meta *m;
	size_t i;
	int err;

	if (mkdir(dir, PD_CACHE_DIR_MODE) && errno != EEXIST)
		return -errno;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dirfd < 0) {
		err = -errno;
		free(m);
		return err;
	}
	err = pd_cache_check_private(m->dirfd, dir);
	if (err) {
		pd_store_meta_close(m);
		return err;
	}
	for (i = 0; i < 2; i++) {
		if (mkdirat(m->dirfd, dirs[i], PD_CACHE_DIR_MODE) && errno != EEXIST) {
			err = -errno;
			pd_store_meta_close(m);
			return err;
		}
	}
	*out = m;
	return 0;
}

int pd_store_meta_dirfd(const struct pd_store_meta *m)
{
	return m->dirfd;
}

void pd_store_meta_close(struct pd_store_meta *m)
{
	if (!m)
		return;
	close(m->dirfd);
	free(m);
}

/* ---- publications ---- */

static void pub_path(uid_t uid, const void *ident, size_t identlen,
		     const char *ext, char path[PATH_MAX])
{
	uint8_t h[32];
	char hex[65];

	pd_digest(PD_HASH_SHA256, ident, identlen, h);
	pd_hex_encode(h, 32, hex, 0);
	snprintf(path, PATH_MAX, "publications/%u/%s%s", (unsigned)uid, hex, ext);
}

/* A publication whose publishing process has died is gone. */
static int owner_alive(struct pd_store_meta *m, const char *owner_path)
{
	uint8_t *buf;
	size_t len;
	long pid;

	if (pd_cache_read_file(m->dirfd, owner_path, &buf, &len))
		return 0;
	buf[len ? len - 1 : 0] = '\0';
	pid = strtol((char *)buf, NULL, 10);
	free(buf);
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Whether a publication still stands: kept, or its publisher is alive. */
static int publisher_present(struct pd_store_meta *m, uid_t uid,
			     const void *ident, size_t identlen)
{
	char path[PATH_MAX];

	pub_path(uid, ident, identlen, ".kept", path);
	if (faccessat(m->dirfd, path, F_OK, 0) == 0)
		return 1;
	pub_path(uid, ident, identlen, ".owner", path);
	return owner_alive(m, path);
}

int pd_store_meta_unpublish(struct pd_store_meta *m, uid_t uid,
			    const void *ident, size_t identlen)
{
	static const char *const exts[] = { ".v1", ".v2", ".owner", ".kept" };
	char path[PATH_MAX];
	int found = 0;
	size_t i;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		pub_path(uid, ident, identlen, exts[i], path);
		found |= !unlinkat(m->dirfd, path, 0) && i == 0;
	}
	return found ? 0 : -ENOENT;
}

int pd_store_meta_publish(struct pd_store_meta *m, uid_t uid, const void *ident,
			  size_t identlen, const uint8_t *ci_v1, size_t len_v1,
			  const uint8_t *ci_v2, size_t len_v2)
{
	char path[PATH_MAX], owner[PATH_MAX], pid[32];
	int err, tries;

	snprintf(path, sizeof(path), "publications/%u", (unsigned)uid);
	if (mkdirat(m->dirfd, path, PD_CACHE_DIR_MODE) && errno != EEXIST)
		return -errno;
	pub_path(uid, ident, identlen, ".owner", owner);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	for (tries = 0; tries < 2; tries++) {
		pub_path(uid, ident, identlen, ".v1", path);
		if (faccessat(m->dirfd, path, F_OK, 0) == 0) {
			if (publisher_present(m, uid, ident, identlen))
				return -EEXIST;
			pd_store_meta_unpublish(m, uid, ident, identlen);
		}
		err = pd_cache_create_file(m->dirfd, owner, pid, strlen(pid), 1);
		if (err)
			return err;
		pub_path(uid, ident, identlen, ".v2", path);
		err = pd_cache_create_file(m->dirfd, path, ci_v2, len_v2, 1);
		if (err)
			return err;
		/* The V1 file commits the publication, exclusively. */
		pub_path(uid, ident, identlen, ".v1", path);
		err = pd_cache_create_file(m->dirfd, path, ci_v1, len_v1, 0);
		if (err != -EEXIST)
			return err;
	}
	return -EEXIST;
}

int pd_store_meta_lookup(struct pd_store_meta *m, uid_t uid, const void *ident,
			 size_t identlen, unsigned version, uint8_t **ci,
			 size_t *len)
{
	char path[PATH_MAX];

	pub_path(uid, ident, identlen, version == 2 ? ".v2" : ".v1", path);
	if (faccessat(m->dirfd, path, F_OK, 0))
		return -ENOENT;
	if (!publisher_present(m, uid, ident, identlen)) {
		pd_store_meta_unpublish(m, uid, ident, identlen);
		return -ENOENT;
	}
	return pd_cache_read_file(m->dirfd, path, ci, len);
}

int pd_store_meta_keep(struct pd_store_meta *m, uid_t uid, const void *ident,
		       size_t identlen)
{
	char path[PATH_MAX];

	pub_path(uid, ident, identlen, ".v1", path);
	if (faccessat(m->dirfd, path, F_OK, 0))
		return -ENOENT;
	pub_path(uid, ident, identlen, ".kept", path);
	return pd_cache_create_file(m->dirfd, path, ident, identlen, 1);
}

int pd_store_meta_list_kept(struct pd_store_meta *m, uid_t uid,
			    int (*fn)(const void *ident, size_t identlen, void *arg),
			    void *arg)
{
	char path[PATH_MAX];
	struct dirent *e;
	uint8_t *ident;
	size_t len, n;
	int fd, ret = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "publications/%u", (unsigned)uid);
	fd = openat(m->dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while (!ret && (e = readdir(dir))) {
		n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 5, ".kept") ||
		    pd_cache_read_file(dirfd(dir), e->d_name, &ident, &len))
			continue;
		ret = fn(ident, len, arg);
		free(ident);
	}
	closedir(dir);
	return ret;
}

/* ---- tags ---- */

static void tag_path(const uint8_t tag[16], const char *entry, char path[PATH_MAX])
{
	char hex[33];

	pd_hex_encode(tag, 16, hex, 0);
	snprintf(path, PATH_MAX, "tags/%s%s%s", hex, entry ? "/" : "",
		 entry ? entry : "");
}

int pd_store_meta_tag_segment(struct pd_store_meta *m, const uint8_t tag[16],
			      const uint8_t *id, unsigned idlen)
{
	char path[PATH_MAX], hex[2 * PD_HASH_MAX + 1];
	int fd;

	if (idlen > PD_HASH_MAX)
		return -EINVAL;
	tag_path(tag, NULL, path);
	if (mkdirat(m->dirfd, path, PD_CACHE_DIR_MODE) && errno != EEXIST)
		return -errno;
	pd_hex_encode(id, idlen, hex, 0);
	tag_path(tag, hex, path);
	fd = openat(m->dirfd, path, O_WRONLY | O_CREAT | O_CLOEXEC, PD_CACHE_FILE_MODE);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int pd_store_meta_flush_tag(struct pd_store_meta *m, const uint8_t tag[16],
			    void (*drop)(const uint8_t *id, unsigned idlen,
					 void *arg),
			    void *arg)
{
	uint8_t id[PD_HASH_MAX];
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int fd, n;

	tag_path(tag, NULL, path);
	fd = openat(m->dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;	/* -ENOENT: no segment has this tag */
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		/* Segment ids are 32 bytes or more; anything else is not ours. */
		n = pd_hex_decode(e->d_name, id, sizeof(id));
		if (n < 32)
			continue;
		drop(id, n, arg);
		unlinkat(dirfd(dir), e->d_name, 0);
	}
	closedir(dir);
	unlinkat(m->dirfd, path, AT_REMOVEDIR);
	return 0;
}
