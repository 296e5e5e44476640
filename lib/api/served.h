/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content information of what a content server serves (MS-PCCRTP's server
 * side): made once per entity (a file's path, size and mtime, or an
 * upstream URL and its validators), in a background thread, with the
 * server secret peerdistd uses, and kept in the store as a publication so
 * other processes of the server find it. Made pieces are also kept in
 * memory, so a hit costs no I/O in this process and at most one read in
 * another. When peerdist.ko is loaded (and PEERDIST_BACKEND is not
 * "user"), a regular file is hashed by the module's hash-file offload if
 * it holds the same secret; by user space otherwise: the same bytes.
 */
#ifndef PD_SERVED_H
#define PD_SERVED_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "secret.h"

struct pd_served;

struct pd_served_opts {
	const char *cache_dir;		/* the store's directory; NULL: the default store */
	const struct pd_secret *secret;	/* NULL: load (or create) the default secret file */
	unsigned threads;		/* hashing threads per job; 0: one per CPU */
};

/* 0 or -errno (the secret file refused, the store not opened). */
int pd_served_open(const struct pd_served_opts *opts, struct pd_served **out);
void pd_served_close(struct pd_served *s);

/* The key of a regular file: its path, device, inode, size and mtime. */
#define PD_SERVED_KEY_MAX	4200
size_t pd_served_file_key(const char *path, const struct stat *st, char *key,
			  size_t cap);

/*
 * The content information (version 1 or 2) of entity key: 0 and *ci
 * (malloc'd, *len bytes); -EINPROGRESS while it is being made; -ENOENT
 * when nobody made it yet.
 */
int pd_served_lookup(struct pd_served *s, const char *key, unsigned version,
		     uint8_t **ci, size_t *len);

/*
 * Starts making both versions of key's content information from fd (the
 * entity's bytes, read from offset 0; a duplicate is kept, the caller still
 * closes fd), version first. Returns at once: 0 queued, -EALREADY when it
 * is queued or made already, -EINPROGRESS when another process is making
 * it (it holds an flock on the file), -EBUSY when the queue is full.
 */
int pd_served_start(struct pd_served *s, const char *key, int fd, unsigned version);

/* Waits until nothing is queued or being made (tests, shutdown). */
void pd_served_drain(struct pd_served *s);

#endif
