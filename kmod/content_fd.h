/* SPDX-License-Identifier: GPL-2.0-only */
/* A content as a file descriptor (content_fd.c). */
#ifndef PD_KMOD_CONTENT_FD_H
#define PD_KMOD_CONTENT_FD_H

#include <linux/fs.h>
#include <linux/types.h>

/*
 * An anonymous inode over a sequence of segments (ids, hods, kps: n *
 * hash_len bytes each; sizes: n segment lengths), the first starting at
 * file offset start; fd < 0 opens a new one (a file for the caller to
 * install), else appends to the caller's content fd (NULL). ERR_PTR:
 * -EACCES when a HoD and Kp do not prove their id, -EOVERFLOW past
 * MAX_LFS_FILESIZE.
 */
struct file *pd_content_open(int fd, u32 hash_alg, const u8 *ids, const u8 *hods,
			     const u8 *kps, const u32 *sizes, u32 n, u64 start);

#endif
