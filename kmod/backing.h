/* SPDX-License-Identifier: GPL-2.0-only */
/* The persistent cache (backing.c): segments as files in a directory. */
#ifndef PD_KMOD_BACKING_H
#define PD_KMOD_BACKING_H

#include <linux/fs.h>
#include <linux/types.h>

struct pd_segment;

/* The file for a new segment, NULL to keep it in shmem (no backing directory, or no id yet). */
struct file *pd_backing_create(struct pd_segment *seg);
/*
 * Writes len bytes at pos of seg's file, with the module's credentials
 * when it is in the backing directory (the caller may be anyone).
 */
int pd_backing_write(struct pd_segment *seg, const void *buf, size_t len, loff_t pos);
/*
 * A segment the module hashed itself, sealed but not indexed yet (nobody
 * else sees it): with a backing directory, its bytes, description and
 * presence map move from shmem into a file there, as an added segment's
 * are kept; it stays in shmem without one, or if writing fails.
 */
void pd_backing_persist(struct pd_segment *seg);
/* seg->lock held: records a new present block in seg's file. */
void pd_backing_block_added(struct pd_segment *seg);
/* pd_cache_lock held, maybe in reclaim: queues the file's deletion. */
void pd_backing_evicted(struct pd_segment *seg);
/* /sys/kernel/peerdist/backing_dir */
ssize_t pd_backing_dir_show(char *buf);
int pd_backing_dir_set(const char *text, size_t len);
int pd_backing_init(void);
void pd_backing_exit(void);

#endif
