/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SHA-256 of many independent messages at once. V1 block hashes are
 * independent, and one SHA-256 stream is latency-bound: interleaving several
 * streams on one core (SHA-NI, or AVX-512's 16 lanes) more than doubles
 * throughput. Falls back to OpenSSL one message at a time where the CPU
 * has neither.
 */
#ifndef PD_SHA256_MB_H
#define PD_SHA256_MB_H

#include <stddef.h>
#include <stdint.h>

/* digests[i] = SHA-256(msgs[i][0 .. len)), for i < n. All messages share len. */
void pd_sha256_many(const uint8_t *const *msgs, size_t n, size_t len,
		    uint8_t (*digests)[32]);

/* Name of the implementation in use, e.g. "sha-ni x3" or "openssl". */
const char *pd_sha256_impl(void);

/* How many messages the implementation hashes together (16, 3 or 1):
 * callers batching blocks give it multiples of this. */
unsigned pd_sha256_lanes(void);

#endif
