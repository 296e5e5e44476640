/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One-shot digests and HMACs over the algorithms content information uses,
 * by enum pd_hash_alg. V2's PD_HASH_V2_SHA512_TRUNC is SHA-512 truncated to
 * 32 bytes (not SHA-512/256, whose initial values differ).
 */
#ifndef PD_DIGEST_H
#define PD_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* Writes pd_hash_len() bytes; returns 0, or -1 for an unknown algorithm. */
int pd_digest(unsigned hash_alg, const void *data, size_t len, uint8_t *out);

/* Digest of the concatenation of two buffers. */
int pd_digest2(unsigned hash_alg, const void *a, size_t alen,
	       const void *b, size_t blen, uint8_t *out);

int pd_hmac(unsigned hash_alg, const uint8_t *key, size_t keylen,
	    const void *data, size_t len, uint8_t *out);

/* Digest length for the algorithm, whatever the version; 0 if unknown. */
unsigned pd_digest_len(unsigned hash_alg);

/* Constant-time comparison. */
int pd_digest_equal(const uint8_t *a, const uint8_t *b, size_t len);

#endif
