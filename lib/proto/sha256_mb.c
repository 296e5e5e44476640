// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SHA-256 of many independent messages at once. One SHA-256 stream is a
 * chain of dependent sha256rnds2 instructions, so a core idles most of its
 * cycles waiting on latency; hashing several messages in lockstep fills
 * those cycles. The lane count is a compile-time constant of an
 * always-inline function, so each lane's state lives in registers.
 * Without SHA-NI, OpenSSL hashes one message at a time.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "sha256_mb.h"

#define MAX_LANES 4

static const uint32_t initial_state[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static void hash_openssl(const uint8_t *const *msgs, size_t n, size_t len,
			 uint8_t (*digests)[32])
{
	size_t i;

	for (i = 0; i < n; i++)
		SHA256(msgs[i], len, digests[i]);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define SHANI __attribute__((target("sha,sse4.1,ssse3"), always_inline)) inline

static const uint32_t K[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/*
 * Compresses nblocks 64-byte blocks of each of `lanes` messages into their
 * states. The state is kept as SHA-NI wants it: ABEF and CDGH.
 */
static SHANI void compress_lanes(__m128i abef[], __m128i cdgh[],
				 const uint8_t *const data[], size_t nblocks,
				 const int lanes)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bull,
					     0x0405060700010203ull);
	__m128i w[MAX_LANES][4], save0[MAX_LANES], save1[MAX_LANES], msg, tmp;
	size_t blk;
	int g, l;

	for (blk = 0; blk < nblocks; blk++) {
#pragma GCC unroll 4
		for (l = 0; l < lanes; l++) {
			save0[l] = abef[l];
			save1[l] = cdgh[l];
		}
#pragma GCC unroll 16
		for (g = 0; g < 16; g++) {
			const __m128i k = _mm_load_si128((const __m128i *)&K[4 * g]);

#pragma GCC unroll 4
			for (l = 0; l < lanes; l++) {
				if (g < 4)
					w[l][g] = _mm_shuffle_epi8(_mm_loadu_si128(
						(const __m128i *)(data[l] + 64 * blk + 16 * g)),
						bswap);
				msg = _mm_add_epi32(w[l][g % 4], k);
				cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], msg);
				if (g >= 3 && g < 15) {
					tmp = _mm_alignr_epi8(w[l][g % 4], w[l][(g + 3) % 4], 4);
					w[l][(g + 1) % 4] = _mm_sha256msg2_epu32(
						_mm_add_epi32(w[l][(g + 1) % 4], tmp),
						w[l][g % 4]);
				}
				msg = _mm_shuffle_epi32(msg, 0x0e);
				abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], msg);
				if (g >= 1 && g < 13)
					w[l][(g + 3) % 4] = _mm_sha256msg1_epu32(
						w[l][(g + 3) % 4], w[l][g % 4]);
			}
		}
#pragma GCC unroll 4
		for (l = 0; l < lanes; l++) {
			abef[l] = _mm_add_epi32(abef[l], save0[l]);
			cdgh[l] = _mm_add_epi32(cdgh[l], save1[l]);
		}
	}
}

/* The message's last bytes and the padding: one or two blocks. */
static size_t pad_tail(const uint8_t *msg, size_t len, uint8_t tail[128])
{
	size_t rest = len % 64, nblocks = rest < 56 ? 1 : 2;
	uint64_t bits = (uint64_t)len * 8;
	int i;

	memset(tail, 0, 128);
	memcpy(tail, msg + len - rest, rest);
	tail[rest] = 0x80;
	for (i = 0; i < 8; i++)
		tail[nblocks * 64 - 1 - i] = bits >> (8 * i);
	return nblocks;
}

static SHANI void hash_lanes(const uint8_t *const *msgs, size_t len,
			     uint8_t (*digests)[32], const int lanes)
{
	const __m128i *init = (const __m128i *)initial_state;
	__m128i abef[MAX_LANES], cdgh[MAX_LANES], dcba, hgfe;
	uint8_t tail[MAX_LANES][128];
	const uint8_t *tails[MAX_LANES];
	uint32_t words[8];
	size_t ntail = 0;
	int l, i;

	for (l = 0; l < lanes; l++) {
		dcba = _mm_shuffle_epi32(_mm_loadu_si128(init), 0xb1);
		hgfe = _mm_shuffle_epi32(_mm_loadu_si128(init + 1), 0x1b);
		abef[l] = _mm_alignr_epi8(dcba, hgfe, 8);
		cdgh[l] = _mm_blend_epi16(hgfe, dcba, 0xf0);
		ntail = pad_tail(msgs[l], len, tail[l]);
		tails[l] = tail[l];
	}
	compress_lanes(abef, cdgh, msgs, len / 64, lanes);
	compress_lanes(abef, cdgh, tails, ntail, lanes);
	for (l = 0; l < lanes; l++) {
		__m128i feba = _mm_shuffle_epi32(abef[l], 0x1b);
		__m128i dchg = _mm_shuffle_epi32(cdgh[l], 0xb1);

		_mm_storeu_si128((__m128i *)words, _mm_blend_epi16(feba, dchg, 0xf0));
		_mm_storeu_si128((__m128i *)(words + 4), _mm_alignr_epi8(dchg, feba, 8));
		for (i = 0; i < 8; i++) {
			digests[l][4 * i] = words[i] >> 24;
			digests[l][4 * i + 1] = words[i] >> 16;
			digests[l][4 * i + 2] = words[i] >> 8;
			digests[l][4 * i + 3] = words[i];
		}
	}
}

__attribute__((target("sha,sse4.1,ssse3")))
static void hash_shani(const uint8_t *const *msgs, size_t n, size_t len,
		       uint8_t (*digests)[32])
{
	for (; n >= 3; n -= 3, msgs += 3, digests += 3)
		hash_lanes(msgs, len, digests, 3);
	if (n == 2)
		hash_lanes(msgs, len, digests, 2);
	else if (n == 1)
		hash_lanes(msgs, len, digests, 1);
}

static int cpu_has_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) ||
	    !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return !!(b & bit_SHA);
}
#endif

typedef void (*hash_many_fn)(const uint8_t *const *, size_t, size_t,
			     uint8_t (*)[32]);

static hash_many_fn impl = hash_openssl;
static const char *impl_name = "openssl";
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

static void choose_impl(void)
{
	const char *force = getenv("PEERDIST_SHA256_IMPL");

	if (force && !strcmp(force, "openssl"))
		return;
#if defined(__x86_64__)
	if (cpu_has_shani()) {
		impl = hash_shani;
		impl_name = "sha-ni x3";
	}
#endif
}

void pd_sha256_many(const uint8_t *const *msgs, size_t n, size_t len,
		    uint8_t (*digests)[32])
{
	pthread_once(&impl_once, choose_impl);
	impl(msgs, n, len, digests);
}

const char *pd_sha256_impl(void)
{
	pthread_once(&impl_once, choose_impl);
	return impl_name;
}
