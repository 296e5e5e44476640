// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cache's byte counters: a fixed-layout file mapped shared. A new file
 * appears whole (written aside, then linked into place), so a process
 * never maps a half-made one; a broken one is replaced under an flock by
 * one process, the others then map the replacement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_file.h"
#include "counters.h"
#include "fileio.h"

#define COUNTERS_FILE		"counters"
#define COUNTERS_MAGIC		0x4e434450u	/* "PDCN" */
#define COUNTERS_VERSION	1
#define COUNTERS_SLOTS		16	/* room for kinds to come, zero until then */
#define OPEN_TRIES		4

/* Host-endian, as the rest of the cache directory (Documentation/store.md). */
struct counters_file {
	uint32_t magic, version, slots, reserved;
	uint64_t value[COUNTERS_SLOTS];
};

_Static_assert(PD_COUNTERS <= COUNTERS_SLOTS, "counters fit the file");

struct pd_counters {
	struct counters_file *file;	/* mapped shared */
};

static const char *const names[PD_COUNTERS] = {
	[PD_COUNT_READ_FROM_CACHE] = "read_from_cache",
	[PD_COUNT_FETCHED_FROM_PEERS] = "fetched_from_peers",
	[PD_COUNT_FETCHED_FROM_HOSTED_CACHE] = "fetched_from_hosted_cache",
	[PD_COUNT_FETCHED_FROM_ORIGINS] = "fetched_from_origins",
	[PD_COUNT_SERVED_TO_PEERS] = "served_to_peers",
	[PD_COUNT_SERVED_AS_HOSTED_CACHE] = "served_as_hosted_cache",
};

const char *pd_counter_name(enum pd_counter which)
{
	return which < PD_COUNTERS ? names[which] : "?";
}

/* What is wrong with the file open as fd, or NULL when it is usable. */
static const char *problem(int fd)
{
	struct counters_file h;
	struct stat st;

	if (fstat(fd, &st))
		return "cannot be examined";
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_size != sizeof(h))
		return "of the wrong size";
	if (pd_pread_full(fd, &h, sizeof(h), 0) != sizeof(h))
		return "unreadable";
	if (h.magic != COUNTERS_MAGIC)
		return "not a counters file";
	if (h.version != COUNTERS_VERSION || h.slots != COUNTERS_SLOTS)
		return "of another layout version";
	return NULL;
}

static int same_file(int dirfd, int fd)
{
	struct stat a, b;

	return !fstat(fd, &a) && !fstatat(dirfd, COUNTERS_FILE, &b, AT_SYMLINK_NOFOLLOW) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int create(int dirfd, int replace)
{
	struct counters_file fresh = { .magic = COUNTERS_MAGIC,
				       .version = COUNTERS_VERSION,
				       .slots = COUNTERS_SLOTS };

	return pd_cache_create_file(dirfd, COUNTERS_FILE, &fresh, sizeof(fresh), replace);
}

/*
 * Replaces the broken file open as fd (-1: a symbolic link, not opened),
 * unless another process did first (the name then points elsewhere): one
 * repair, one message.
 */
static int repair(int dirfd, const char *dir, int fd, const char *why)
{
	int err = 0, broken;

	if (fd >= 0 && flock(fd, LOCK_EX))
		return -errno;
	broken = fd < 0 || (same_file(dirfd, fd) && problem(fd));
	if (broken) {
		fprintf(stderr, "peerdist: %s/%s was %s: made anew, the byte counters "
			"start again from 0\n", dir, COUNTERS_FILE, why);
		err = create(dirfd, 1);
	}
	if (fd >= 0)
		flock(fd, LOCK_UN);
	return err;
}

int pd_counters_open(int dirfd, const char *dir, struct pd_counters **out)
{
	struct pd_counters *c;
	const char *why = NULL;
	void *map;
	int fd = -1, err = 0, i;

	err = create(dirfd, 0);
	if (err && err != -EEXIST)
		return err;
	for (i = 0; i < OPEN_TRIES; i++) {
		fd = openat(dirfd, COUNTERS_FILE, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno != ELOOP)
			return -errno;
		why = fd < 0 ? "a symbolic link" : problem(fd);
		if (!why)
			break;
		err = repair(dirfd, dir, fd, why);
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (err)
			return err;
	}
	if (fd < 0)
		return -EUCLEAN;	/* replaced as fast as it was repaired */
	map = mmap(NULL, sizeof(struct counters_file), PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	c = malloc(sizeof(*c));
	if (!c) {
		munmap(map, sizeof(struct counters_file));
		return -ENOMEM;
	}
	c->file = map;
	*out = c;
	return 0;
}

void pd_counters_close(struct pd_counters *c)
{
	if (!c)
		return;
	munmap(c->file, sizeof(*c->file));
	free(c);
}

void pd_counters_add(struct pd_counters *c, enum pd_counter which, uint64_t bytes)
{
	if (c && which < PD_COUNTERS && bytes)
		__atomic_fetch_add(&c->file->value[which], bytes, __ATOMIC_RELAXED);
}

void pd_counters_read(const struct pd_counters *c, uint64_t out[PD_COUNTERS])
{
	unsigned i;

	for (i = 0; i < PD_COUNTERS; i++)
		out[i] = c ? __atomic_load_n(&c->file->value[i], __ATOMIC_RELAXED) : 0;
}

void pd_counters_reset(struct pd_counters *c)
{
	unsigned i;

	for (i = 0; c && i < PD_COUNTERS; i++)
		__atomic_store_n(&c->file->value[i], 0, __ATOMIC_RELAXED);
}
