/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The segment store: verified segments and blocks keyed by segment id
 * (HoHoDk), publications, and tags, shared by every process that uses the
 * same cache. Two backends implement it: the embedded user-space backend
 * (a cache directory; store_user.c) and peerdist.ko over generic netlink
 * (store_kernel.c); publications and tags are the cache directory's for
 * both (store_meta.c). pd_store_open() (store.c) chooses the backend. The
 * API layer uses only this interface.
 *
 * Trust: a segment description is checked before it is kept (HoD against
 * the block hashes, the id against HoD and Kp), and a block against its
 * hash before it becomes readable, so no caller can poison the cache for
 * another. Returns are 0 or -errno throughout.
 */
#ifndef PD_STORE_H
#define PD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "counters.h"
#include "pccrc.h"
#include "segment.h"

struct pd_store_stats {
	uint64_t bytes_cached;
	uint64_t segments;
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
	uint64_t verify_failures;
	uint64_t max_bytes;
	int disabled;		/* an administrator switched the cache off */
};

struct pd_store;

/* One read of read_blocks_now: block index of segment id, from byte skip
 * of the block on, up to len bytes (clipped to the block) into buf. */
struct pd_block_read {
	const uint8_t *id;
	unsigned idlen;
	uint32_t index;
	uint32_t skip;
	void *buf;
	size_t len;
	ssize_t res;
};

#define PD_STORE_READS_AT_ONCE	32

#define PD_STORE_ADDED	1
#define PD_STORE_STATUS	2

struct pd_store_ops {
	const char *name;
	int (*add_segment)(struct pd_store *s, const struct pd_segment_desc *d);
	/*
	 * Blocks first .. first + n - 1 of a segment, back to back in data
	 * (len bytes: whole blocks, the segment's last possibly short). Each
	 * is verified before it is kept; at the first bad one, the good ones
	 * before it are kept and -EBADMSG is returned.
	 */
	int (*put_blocks)(struct pd_store *s, const uint8_t *id, unsigned idlen,
			  uint32_t first, uint32_t n, const void *data, size_t len);
	/* 1 present, 0 absent (also for an unknown segment), or -errno. */
	int (*has_block)(struct pd_store *s, const uint8_t *id, unsigned idlen,
			 uint32_t index);
	int (*locate_block)(struct pd_store *s, const uint8_t *id, unsigned idlen,
			    uint32_t index, struct pd_block_loc *loc);
	/*
	 * Optional: n reads (at most PD_STORE_READS_AT_ONCE), each only if no
	 * disk must be waited for; each one's res is the bytes read, -ENOENT
	 * when the block is absent, -EAGAIN when a disk would be waited for,
	 * or -errno. The reads of bytes in a row of one segment are one call
	 * into the kernel. A hit is counted only for a read of every byte
	 * asked for: what reads the rest of a short read counts it. A miss is
	 * not counted (who then waits for the block counts it). What a
	 * BlockRead served in its caller's threads uses: no descriptor to dup
	 * and close per read.
	 */
	void (*read_blocks_now)(struct pd_store *s, struct pd_block_read *r,
				unsigned n);
	/*
	 * The description of a stored segment (block_hashes set to NULL);
	 * on peerdist.ko, without HoD and Kp (no_kp) for a segment this
	 * process did not add or open a content of.
	 */
	int (*get_segment)(struct pd_store *s, const uint8_t *id, unsigned idlen,
			   struct pd_segment_desc *d);
	/*
	 * Block index of a stored segment encrypted for MS-PCCRR MSG_BLK
	 * (pccrr_crypto.h: crypto PD_CRYPTO_AES_128, _192 or _256, CBC with
	 * the first 16, 24 or 32 bytes of Kp as the key and the caller's iv,
	 * the block zero-padded to a multiple of 16) into out, room bytes: how
	 * a segment whose description came without Kp is served. The
	 * ciphertext's length; -ENOENT for an absent block or segment,
	 * -EINVAL past the last block, for a bad algorithm or too little
	 * room, -EPERM on peerdist.ko without CAP_NET_ADMIN.
	 */
	long (*encrypt_block)(struct pd_store *s, const uint8_t *id, unsigned idlen,
			      uint32_t index, unsigned crypto,
			      const uint8_t iv[16], uint8_t *out, size_t room);
	int (*publish)(struct pd_store *s, uid_t uid, const void *ident,
		       size_t identlen, const uint8_t *ci_v1, size_t len_v1,
		       const uint8_t *ci_v2, size_t len_v2);
	/* The content information of a publication, version 1 or 2 (malloc'd). */
	int (*lookup)(struct pd_store *s, uid_t uid, const void *ident,
		      size_t identlen, unsigned version, uint8_t **ci, size_t *len);
	int (*unpublish)(struct pd_store *s, uid_t uid, const void *ident,
			 size_t identlen);
	/*
	 * keep makes a publication of uid last after the process that made
	 * it exits, until it is unpublished (what the peerdist CLI publishes);
	 * list_kept calls fn with the identifier of each such publication of
	 * uid (and stops at fn's first non-zero return, which it returns).
	 */
	int (*keep)(struct pd_store *s, uid_t uid, const void *ident,
		    size_t identlen);
	int (*list_kept)(struct pd_store *s, uid_t uid,
			 int (*fn)(const void *ident, size_t identlen, void *arg),
			 void *arg);
	int (*tag_segment)(struct pd_store *s, const uint8_t tag[16],
			   const uint8_t *id, unsigned idlen);
	/* -ENOENT when no segment has the tag. */
	int (*flush_tag)(struct pd_store *s, const uint8_t tag[16]);
	/*
	 * Optional: one descriptor over the whole content, read at the
	 * content's own offsets (ENODATA where a block is absent); the fd
	 * (the caller closes it) or -errno.
	 */
	int (*open_content)(struct pd_store *s, const struct pd_ci *ci,
			    const uint8_t (*ids)[PD_HASH_MAX]);
	/*
	 * Polls readable after any process added a block (or the cache was
	 * switched on or off; on peerdist.ko without CAP_NET_ADMIN: after the
	 * block a content fd of this store missed arrived, or a 1 s fallback
	 * tick); drain_wait clears it and says which of PD_STORE_ADDED and
	 * PD_STORE_STATUS happened.
	 */
	int (*wait_fd)(struct pd_store *s);
	int (*drain_wait)(struct pd_store *s);
	int (*stats)(struct pd_store *s, struct pd_store_stats *st);
	int (*set_max_bytes)(struct pd_store *s, uint64_t max);
	/*
	 * Drops every cached segment (publications stay). peerdist.ko drops
	 * only the caller's own (those it added) without CAP_NET_ADMIN.
	 */
	int (*clear)(struct pd_store *s);
	void (*close)(struct pd_store *s);
};

struct pd_store {
	const struct pd_store_ops *ops;
	/* The cache directory's byte counters (NULL without a directory). */
	struct pd_counters *counters;
};

static inline void pd_store_count(struct pd_store *s, enum pd_counter which,
				  uint64_t bytes)
{
	pd_counters_add(s->counters, which, bytes);
}

static inline int pd_store_put_block(struct pd_store *s, const uint8_t *id,
				     unsigned idlen, uint32_t index,
				     const void *data, size_t len)
{
	return s->ops->put_blocks(s, id, idlen, index, 1, data, len);
}

/* One read of read_blocks_now (which s must have): its res. */
static inline ssize_t pd_store_read_block_now(struct pd_store *s, const uint8_t *id,
					      unsigned idlen, uint32_t index,
					      uint32_t skip, void *buf, size_t len)
{
	struct pd_block_read r = { .id = id, .idlen = idlen, .index = index,
				   .skip = skip, .buf = buf, .len = len };

	s->ops->read_blocks_now(s, &r, 1);
	return r.res;
}

/*
 * Opens the store: PEERDIST_BACKEND=user|kernel forces a backend; otherwise
 * the kernel one when peerdist.ko is loaded, else the user one over
 * PEERDIST_CACHE_DIR (default /var/cache/peerdist for root, else
 * $XDG_CACHE_HOME/peerdist or ~/.cache/peerdist).
 */
int pd_store_open(struct pd_store **out);
/* The cache directory pd_store_open() uses (buf: room for one, PATH_MAX). */
const char *pd_store_cache_dir(char *buf, size_t len);

int pd_store_user_open(const char *dir, struct pd_store **out);

/* The store over peerdist.ko (publications and tags in dir; with dir NULL,
 * none: a session for the server operations below); -ENODEV when the
 * module is not loaded. */
int pd_store_kernel_open(const char *dir, struct pd_store **out);
/* Whether peerdist.ko's netlink family is there. */
int pd_store_kernel_available(void);

/*
 * The server's side of peerdist.ko (s from pd_store_kernel_open; -ENODEV
 * for another store). set_secret gives the module the server secret (it
 * keeps only the keys derived from it; -EPERM without CAP_NET_ADMIN);
 * hash_file has it compute the content information (version 1 or 2) of
 * the regular file open as fd, from the page cache, and returns it
 * (malloc'd); -ENOKEY while no secret was given. With progress, the
 * module tells how far it is (as it starts, then twice a second) and
 * progress is called with each figure, and with done == total at the end
 * (no call at all for a result the module kept from before).
 */
typedef void (*pd_store_progress_fn)(uint64_t done, uint64_t total, void *arg);
int pd_store_kernel_set_secret(struct pd_store *s, const void *secret, size_t len);
int pd_store_kernel_hash_file(struct pd_store *s, int fd, unsigned version,
			      pd_store_progress_fn progress, void *arg,
			      uint8_t **ci, size_t *len);

#endif
