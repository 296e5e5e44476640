/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SHA-512 of many independent messages at once, of any lengths: V2's
 * segments are content-defined and independent. One SHA-512 stream is a
 * chain of dependent 64-bit rounds; vector lanes (AVX-512: 8, AVX2: 4)
 * run one message each in lockstep. Without those, OpenSSL hashes one
 * message at a time.
 */
#ifndef PD_SHA512_MB_H
#define PD_SHA512_MB_H

#include <stddef.h>
#include <stdint.h>

/*
 * For i < n: the first out_len bytes (at most 64) of
 * SHA-512(msgs[i][0 .. lens[i])) at digests + i * out_len.
 */
void pd_sha512_many(const uint8_t *const *msgs, const size_t *lens, size_t n,
		    uint8_t *digests, size_t out_len);

struct pd_chunk_cursor;

/*
 * The same, moving the cursor on (chunker.h) as it goes, as far as the
 * hashing lasts; how far depends on the implementation (OpenSSL's: not
 * at all): the caller finishes it.
 */
void pd_sha512_many_cut(const uint8_t *const *msgs, const size_t *lens, size_t n,
			uint8_t *digests, size_t out_len, struct pd_chunk_cursor *cut);

/* Name of the implementation in use: "avx512 x8", "avx2 x4" or "openssl".
 * PEERDIST_SHA512_IMPL=avx2 or =openssl chooses a lesser one. */
const char *pd_sha512_impl(void);

#endif
