/* SPDX-License-Identifier: GPL-2.0-only */
/* The V2 chunker (chunk.c over common/pd_chunk.h). */
#ifndef PD_KMOD_CHUNK_H
#define PD_KMOD_CHUNK_H

#include <linux/types.h>

/* The first segment's length in buf. */
size_t pd_chunk_next(const u8 *buf, size_t len, bool final);

#endif
