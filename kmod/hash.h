/* SPDX-License-Identifier: GPL-2.0-only */
/* The digests of content information (hash.c) and its size limits. */
#ifndef PD_KMOD_HASH_H
#define PD_KMOD_HASH_H

#include <linux/types.h>

/* The algorithm ids and digest lengths, shared with libpeerdist. */
#include "pd_hash.h"

#define PD_V1_BLOCK_SIZE	65536
#define PD_V1_MAX_SEGMENT	(32U << 20)
#define PD_V2_MAX_SEGMENT	(128U << 10)
#define PD_MAX_BLOCKS		512

/* The constant HoHoDk's HMAC adds to HoD (MS-PCCRC 2.2). */
extern const u8 pd_c2[30];

int pd_hash(u32 alg, const void *data, size_t len, u8 *out);
/* HMAC over a || b, keyed with key. */
int pd_hmac(u32 alg, const u8 *key, unsigned int keylen, const void *a,
	    size_t alen, const void *b, size_t blen, u8 *out);

#endif
