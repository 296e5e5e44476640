/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Publications and tags: small records in the cache directory, the same
 * for either store backend (layout: Documentation/store.md). A publication
 * is the content information a process published under an identifier; it
 * lasts while that process lives, or until unpublished once kept. A tag names the segments a content's
 * client added, so that flushing the content can drop them. Returns are 0
 * or -errno.
 */
#ifndef PD_STORE_META_H
#define PD_STORE_META_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pd_store_meta;

/* The records under dir (created, with its publications/ and tags/). */
int pd_store_meta_open(const char *dir, struct pd_store_meta **out);
void pd_store_meta_close(struct pd_store_meta *m);
/* The directory's descriptor (the meta's own: not to be closed). */
int pd_store_meta_dirfd(const struct pd_store_meta *m);

/* -EEXIST while a living process has ident published. */
int pd_store_meta_publish(struct pd_store_meta *m, uid_t uid, const void *ident,
			  size_t identlen, const uint8_t *ci_v1, size_t len_v1,
			  const uint8_t *ci_v2, size_t len_v2);
/* The content information of a publication, version 1 or 2 (malloc'd). */
int pd_store_meta_lookup(struct pd_store_meta *m, uid_t uid, const void *ident,
			 size_t identlen, unsigned version, uint8_t **ci,
			 size_t *len);
int pd_store_meta_unpublish(struct pd_store_meta *m, uid_t uid,
			    const void *ident, size_t identlen);
/* A kept publication lasts whatever becomes of its publisher; list_kept
 * calls fn with each kept identifier of uid (stopping at a non-zero). */
int pd_store_meta_keep(struct pd_store_meta *m, uid_t uid, const void *ident,
		       size_t identlen);
int pd_store_meta_list_kept(struct pd_store_meta *m, uid_t uid,
			    int (*fn)(const void *ident, size_t identlen, void *arg),
			    void *arg);

int pd_store_meta_tag_segment(struct pd_store_meta *m, const uint8_t tag[16],
			      const uint8_t *id, unsigned idlen);
/* Calls drop for each segment the tag names, then forgets the tag;
 * -ENOENT when no segment has it. */
int pd_store_meta_flush_tag(struct pd_store_meta *m, const uint8_t tag[16],
			    void (*drop)(const uint8_t *id, unsigned idlen,
					 void *arg),
			    void *arg);

#endif
