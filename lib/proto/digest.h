/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One-shot digests and HMACs over the algorithms content information uses,
 * by PD_HASH_* id (common/pd_hash.h). Returns are 0 or -errno: -EINVAL for
 * an unknown algorithm, -ENOMEM, -EIO when OpenSSL fails.
 */
#ifndef PD_DIGEST_H
#define PD_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "pd_hash.h"

/* Writes pd_digest_len() bytes. */
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
