/* SPDX-License-Identifier: LGPL-2.1-or-later OR GPL-2.0-only */
/*
 * The hash algorithms of content information (MS-PCCRC dwHashAlgo for
 * V1, bHashAlgo for V2) and their digest lengths: one table for
 * libpeerdist (lib/proto/digest.c) and peerdist.ko, which must agree on
 * every id and length. V2's algorithm is SHA-512 truncated to 32 bytes
 * (not SHA-512/256, whose initial values differ).
 */
#ifndef PD_COMMON_HASH_H
#define PD_COMMON_HASH_H

#ifdef __KERNEL__
#include <linux/types.h>	/* uint32_t */
#else
#include <stdint.h>
#endif

#define PD_HASH_SHA256			0x800C
#define PD_HASH_SHA384			0x800D
#define PD_HASH_SHA512			0x800E
#define PD_HASH_V2_SHA512_TRUNC		0x04

#define PD_HASH_MAX			64	/* the longest digest */

/* The digest length of alg, whatever the version; 0 if unknown. */
static inline unsigned int pd_hash_digest_len(uint32_t alg)
{
	switch (alg) {
	case PD_HASH_SHA256:
	case PD_HASH_V2_SHA512_TRUNC:
		return 32;
	case PD_HASH_SHA384:
		return 48;
	case PD_HASH_SHA512:
		return 64;
	}
	return 0;
}

#endif
