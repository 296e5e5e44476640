// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SHA-256 of many independent messages at once. One SHA-256 stream is a
 * chain of dependent sha256rnds2 instructions, so a core idles most of its
 * cycles waiting on latency; hashing several messages in lockstep fills
 * those cycles. The lane count is a compile-time constant of an
 * always-inline function, so each lane's state lives in registers.
 * Where the CPU has AVX-512, sixteen messages go through the rounds at
 * once, one per 32-bit element: on AMD Zen 4 that beats three SHA-NI
 * lanes by about a third (the SHA-NI unit's throughput is the limit
 * there, the vector units have room). Without either, OpenSSL hashes one
 * message at a time.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "sha256_mb.h"

#define MAX_LANES 3

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
#include <immintrin.h>

#include "cpu_x86.h"

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

#define AVX512 __attribute__((target("avx512f,avx512bw")))
#define WIDE_LANES 16

/* A macro: the count must be an immediate, which an unoptimized build
 * does not make of a function's parameter. */
#define ror(x, n) _mm512_ror_epi32((x), (n))

static AVX512 inline __m512i xor3(__m512i a, __m512i b, __m512i c)
{
	return _mm512_ternarylogic_epi32(a, b, c, 0x96);
}

/* Transposes the 16x16 matrix of 32-bit words r[row].word in place. */
static AVX512 inline void transpose16(__m512i r[16])
{
	__m512i t[16];
	int i;

	for (i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
	}
	for (i = 0; i < 16; i += 4) {
		r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
		r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
		r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
		r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
	}
	for (i = 0; i < 4; i++) {
		t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
		t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
		t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
		t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
	}
	for (i = 0; i < 4; i++) {
		r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
		r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
		r[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
		r[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd);
	}
}

/* Compresses nblocks blocks of 16 messages; s[i] holds state word i of
 * every lane. */
static AVX512 void compress_wide(__m512i s[8], const uint8_t *const data[],
				 size_t nblocks)
{
	const __m512i bswap = _mm512_broadcast_i32x4(_mm_set_epi64x(
		0x0c0d0e0f08090a0bull, 0x0405060700010203ull));
	__m512i w[16], a, b, c, d, e, f, g, h, t1, t2, w15, w2;
	const uint32_t *k = K;
	size_t blk;
	int t, l;

	/* Hidden from the optimizer, the round constants are broadcast
	 * operands read from K rather than 64 vectors made once and spilled
	 * (about 1.5% faster on Zen 4). */
	__asm__("" : "+r"(k));

	for (blk = 0; blk < nblocks; blk++) {
		for (l = 0; l < WIDE_LANES; l++)
			w[l] = _mm512_loadu_si512(data[l] + 64 * blk);
		/* two blocks ahead in each of the sixteen streams: measured a
		 * few per cent faster on data in L3 (a prefetch never faults) */
		for (l = 0; l < WIDE_LANES; l++)
			_mm_prefetch((const char *)data[l] + 64 * blk + 128,
				     _MM_HINT_T0);
		transpose16(w);
		for (l = 0; l < 16; l++)
			w[l] = _mm512_shuffle_epi8(w[l], bswap);
		a = s[0]; b = s[1]; c = s[2]; d = s[3];
		e = s[4]; f = s[5]; g = s[6]; h = s[7];
#pragma GCC unroll 64
		for (t = 0; t < 64; t++) {
			if (t >= 16) {
				w15 = w[(t + 1) & 15];
				w2 = w[(t + 14) & 15];
				w[t & 15] = _mm512_add_epi32(
					_mm512_add_epi32(w[t & 15], w[(t + 9) & 15]),
					_mm512_add_epi32(
						xor3(ror(w15, 7), ror(w15, 18),
						     _mm512_srli_epi32(w15, 3)),
						xor3(ror(w2, 17), ror(w2, 19),
						     _mm512_srli_epi32(w2, 10))));
			}
			t1 = _mm512_add_epi32(
				_mm512_add_epi32(h, _mm512_add_epi32(w[t & 15],
						 _mm512_set1_epi32(k[t]))),
				_mm512_add_epi32(xor3(ror(e, 6), ror(e, 11), ror(e, 25)),
						 _mm512_ternarylogic_epi32(e, f, g, 0xca)));
			t2 = _mm512_add_epi32(xor3(ror(a, 2), ror(a, 13), ror(a, 22)),
					      _mm512_ternarylogic_epi32(a, b, c, 0xe8));
			h = g; g = f; f = e; e = _mm512_add_epi32(d, t1);
			d = c; c = b; b = a; a = _mm512_add_epi32(t1, t2);
		}
		s[0] = _mm512_add_epi32(s[0], a);
		s[1] = _mm512_add_epi32(s[1], b);
		s[2] = _mm512_add_epi32(s[2], c);
		s[3] = _mm512_add_epi32(s[3], d);
		s[4] = _mm512_add_epi32(s[4], e);
		s[5] = _mm512_add_epi32(s[5], f);
		s[6] = _mm512_add_epi32(s[6], g);
		s[7] = _mm512_add_epi32(s[7], h);
	}
}

static AVX512 void hash_wide(const uint8_t *const *msgs, size_t len,
			     uint8_t (*digests)[32])
{
	uint8_t tail[WIDE_LANES][128];
	const uint8_t *tails[WIDE_LANES];
	uint32_t words[8][WIDE_LANES];
	size_t ntail = 0;
	__m512i s[8];
	int l, i;

	for (i = 0; i < 8; i++)
		s[i] = _mm512_set1_epi32(initial_state[i]);
	for (l = 0; l < WIDE_LANES; l++) {
		ntail = pad_tail(msgs[l], len, tail[l]);
		tails[l] = tail[l];
	}
	compress_wide(s, msgs, len / 64);
	compress_wide(s, tails, ntail);
	for (i = 0; i < 8; i++)
		_mm512_storeu_si512(words[i], s[i]);
	for (l = 0; l < WIDE_LANES; l++)
		for (i = 0; i < 8; i++) {
			digests[l][4 * i] = words[i][l] >> 24;
			digests[l][4 * i + 1] = words[i][l] >> 16;
			digests[l][4 * i + 2] = words[i][l] >> 8;
			digests[l][4 * i + 3] = words[i][l];
		}
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

/* AVX-512 F and BW, and the kernel saving the opmask and zmm registers. */
static int cpu_has_avx512(void)
{
	unsigned a, b, c, d;

	return pd_cpu_saves_zmm() && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
	       (b & bit_AVX512F) && (b & bit_AVX512BW);
}
#endif

typedef void (*hash_many_fn)(const uint8_t *const *, size_t, size_t,
			     uint8_t (*)[32]);

/* What hashes the messages left over from the 16-lane groups. */
static hash_many_fn narrow_impl = hash_openssl;

#if defined(__x86_64__)
static void hash_avx512(const uint8_t *const *msgs, size_t n, size_t len,
			uint8_t (*digests)[32])
{
	for (; n >= WIDE_LANES; n -= WIDE_LANES, msgs += WIDE_LANES,
	     digests += WIDE_LANES)
		hash_wide(msgs, len, digests);
	if (n)
		narrow_impl(msgs, n, len, digests);
}
#endif

static hash_many_fn impl = hash_openssl;
static const char *impl_name = "openssl";
static unsigned impl_lanes = 1;
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

/* The fastest the CPU has; PEERDIST_SHA256_IMPL=openssl or sha-ni caps it. */
static void choose_impl(void)
{
	const char *force = getenv("PEERDIST_SHA256_IMPL");

	if (force && !strcmp(force, "openssl"))
		return;
#if defined(__x86_64__)
	if (cpu_has_shani()) {
		impl = narrow_impl = hash_shani;
		impl_name = "sha-ni x3";
		impl_lanes = 3;
	}
	if (force && !strcmp(force, "sha-ni"))
		return;
	if (cpu_has_avx512()) {
		impl = hash_avx512;
		impl_name = narrow_impl == hash_shani ? "avx512 x16, sha-ni x3" :
							"avx512 x16";
		impl_lanes = WIDE_LANES;
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

unsigned pd_sha256_lanes(void)
{
	pthread_once(&impl_once, choose_impl);
	return impl_lanes;
}
