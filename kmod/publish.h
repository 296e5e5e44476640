/* SPDX-License-Identifier: GPL-2.0-only */
/* Hash offload (publish.c): the server secret and content information by fd. */
#ifndef PD_KMOD_PUBLISH_H
#define PD_KMOD_PUBLISH_H

#include <linux/jiffies.h>
#include <linux/types.h>

/*
 * Sets the server secret; only the versions' Ks are kept: SHA-256(secret)
 * and SHA-512(secret) truncated to 32 bytes. Drops every kept result.
 */
int pd_secret_set(const u8 *secret, size_t len);
/* How far a hash is: told as it starts and every PD_HASH_PROGRESS_EVERY. */
struct pd_hash_progress {
	void (*tell)(void *arg, u64 hashed, u64 size);
	void *arg;
};

#define PD_HASH_PROGRESS_EVERY	(HZ / 2)

/*
 * Content information (version 1 or 2) of the whole file behind fd (in
 * the caller's process), hashed now by a worker (the caller waits,
 * killable; p, if not NULL, hears how far it is) or kept from before;
 * its generation and length. -ENOKEY without a server secret, -EBADF for
 * what is not a readable file, -EFBIG for a file whose content
 * information would pass INT_MAX bytes, -EINTR when the caller is killed
 * meanwhile (the worker stops at its next read).
 */
int pd_hash_fd(int fd, unsigned int version, const struct pd_hash_progress *p,
	       u64 *generation, size_t *len);
/*
 * Bytes of a result of the file behind fd (open for reading) from offset;
 * -ESTALE once that generation is gone or is another file's.
 */
int pd_content_info_read(int fd, u64 generation, size_t offset, u8 *out, size_t cap,
			 size_t *got, size_t *total);
/*
 * Drops what was kept for the file behind fd and evicts its segments;
 * -ENOENT when nothing was, -EPERM unless the caller owns the file or has
 * CAP_NET_ADMIN.
 */
int pd_unpublish_fd(int fd);
/*
 * Drops the kept results (the hash cache, as Clear-BCCache does), or with
 * own_only those the caller made.
 */
void pd_publish_clear(bool own_only);
int pd_publish_init(void);
void pd_publish_exit(void);

#endif
