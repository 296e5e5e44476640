/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small files in the cache directory, read and written whole: a new file
 * appears complete or not at all (written to a temporary, then linked or
 * renamed into place).
 */
#ifndef PD_CACHE_FILE_H
#define PD_CACHE_FILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The cache holds plaintext and Kp: its owner's alone, whatever the umask
 * (which can only narrow these).
 */
#define PD_CACHE_DIR_MODE	0700
#define PD_CACHE_FILE_MODE	0600

/*
 * A cache directory others can enter (an older layout made it 0755) is
 * made 0700 when it is the caller's and refused (-EACCES) when it is not,
 * with a message on stderr either way: everything below it is reached
 * through it.
 */
int pd_cache_check_private(int dirfd, const char *dir);

/* Writes a new file at path (relative to dirfd): -EEXIST if path exists
 * (exclusive), unless replace is set. */
int pd_cache_create_file(int dirfd, const char *path, const void *buf,
			 size_t len, int replace);
/* The whole file at path (malloc'd, at most 1 GiB); 0 or -errno. */
int pd_cache_read_file(int dirfd, const char *path, uint8_t **buf, size_t *len);

#endif
