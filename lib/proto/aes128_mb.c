// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AES-128-CBC over many buffers (aes128_mb.h). The AES-NI path keeps eight
 * lanes, each with its own round keys, chaining value and buffer; a lane
 * whose buffer is done takes the next job, and lanes without one run on a
 * scratch block, so the inner loop always interleaves eight streams. Where
 * the CPU has VAES and AVX-512, more than eight jobs run over sixteen
 * lanes, four to a zmm register: four blocks per instruction (unless their
 * buffers would evict each other from the L1 cache: buffers_share_a_set).
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "aes128_mb.h"

static int encrypt_openssl(const struct pd_aes128_cbc_job *jobs, size_t n)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int out, ok = !!ctx;
	size_t i;

	for (i = 0; ok && i < n; i++)
		ok = jobs[i].len <= INT_MAX &&
		     EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, jobs[i].key,
					jobs[i].iv) &&
		     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
		     EVP_EncryptUpdate(ctx, jobs[i].buf, &out, jobs[i].buf,
				       (int)jobs[i].len);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

#if defined(__x86_64__)
#include <immintrin.h>

#include "cpu_x86.h"

#define AESNI __attribute__((target("aes,sse2")))
#define VAES __attribute__((target("aes,vaes,avx512f")))
#define LANES 8		/* AES-NI: one block of a lane per xmm */
#define WIDE_LANES 16	/* VAES: four lanes per zmm */
#define MAX_LANES WIDE_LANES

AESNI static __m128i key_step(__m128i k, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xff);
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, assist);
}

/* The AES-128 key schedule (FIPS 197 5.2) of lane l into rk[round][l]; the
 * round constants must be immediates, hence one line per round. */
AESNI static void expand_key(const uint8_t key[16], __m128i rk[11][MAX_LANES], unsigned l)
{
	rk[0][l] = _mm_loadu_si128((const __m128i *)key);
	rk[1][l] = key_step(rk[0][l], _mm_aeskeygenassist_si128(rk[0][l], 0x01));
	rk[2][l] = key_step(rk[1][l], _mm_aeskeygenassist_si128(rk[1][l], 0x02));
	rk[3][l] = key_step(rk[2][l], _mm_aeskeygenassist_si128(rk[2][l], 0x04));
	rk[4][l] = key_step(rk[3][l], _mm_aeskeygenassist_si128(rk[3][l], 0x08));
	rk[5][l] = key_step(rk[4][l], _mm_aeskeygenassist_si128(rk[4][l], 0x10));
	rk[6][l] = key_step(rk[5][l], _mm_aeskeygenassist_si128(rk[5][l], 0x20));
	rk[7][l] = key_step(rk[6][l], _mm_aeskeygenassist_si128(rk[6][l], 0x40));
	rk[8][l] = key_step(rk[7][l], _mm_aeskeygenassist_si128(rk[7][l], 0x80));
	rk[9][l] = key_step(rk[8][l], _mm_aeskeygenassist_si128(rk[8][l], 0x1b));
	rk[10][l] = key_step(rk[9][l], _mm_aeskeygenassist_si128(rk[9][l], 0x36));
}

/* Round keys by round, then lane: four neighbouring lanes' keys of a round
 * are one zmm for VAES. */
struct lanes {
	__m128i rk[11][MAX_LANES];
	__m128i x[MAX_LANES];	/* the chaining value */
	uint8_t *p[MAX_LANES];
	size_t stride[MAX_LANES];	/* 16, or 0 for a lane on the scratch block */
	size_t left[MAX_LANES];	/* blocks; SIZE_MAX for an idle lane */
	__m128i scratch[MAX_LANES];
};

/* Lane l takes the next job with bytes to encrypt, or idles. */
AESNI static void take_job(struct lanes *s, unsigned l,
			   const struct pd_aes128_cbc_job *jobs, size_t n, size_t *next)
{
	while (*next < n && !jobs[*next].len)
		++*next;
	if (*next == n) {
		s->p[l] = (uint8_t *)&s->scratch[l];
		s->stride[l] = 0;
		s->left[l] = SIZE_MAX;
		return;
	}
	expand_key(jobs[*next].key, s->rk, l);
	s->x[l] = _mm_loadu_si128((const __m128i *)jobs[*next].iv);
	s->p[l] = jobs[*next].buf;
	s->stride[l] = 16;
	s->left[l] = jobs[*next].len / 16;
	++*next;
}

/* count blocks of each of LANES lanes, interleaved. */
AESNI static void run_lanes(struct lanes *s, size_t count)
{
	__m128i x[LANES];
	unsigned l, r;

	for (l = 0; l < LANES; l++)
		x[l] = s->x[l];
	while (count--) {
		for (l = 0; l < LANES; l++)
			x[l] = _mm_xor_si128(_mm_xor_si128(x[l],
				_mm_loadu_si128((const __m128i *)s->p[l])), s->rk[0][l]);
		for (r = 1; r < 10; r++)
			for (l = 0; l < LANES; l++)
				x[l] = _mm_aesenc_si128(x[l], s->rk[r][l]);
		for (l = 0; l < LANES; l++) {
			x[l] = _mm_aesenclast_si128(x[l], s->rk[10][l]);
			_mm_storeu_si128((__m128i *)s->p[l], x[l]);
			s->p[l] += s->stride[l];
		}
	}
	for (l = 0; l < LANES; l++)
		s->x[l] = x[l];
}

#define QUADS (WIDE_LANES / 4)

/* Lanes l..l+3's block at their pointers, as one zmm. */
VAES static __m512i load_quad(const struct lanes *s, unsigned l)
{
	__m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)s->p[l]));

	v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)s->p[l + 1]), 1);
	v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)s->p[l + 2]), 2);
	return _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)s->p[l + 3]), 3);
}

VAES static void store_quad(struct lanes *s, unsigned l, __m512i v)
{
	_mm_storeu_si128((__m128i *)s->p[l], _mm512_castsi512_si128(v));
	_mm_storeu_si128((__m128i *)s->p[l + 1], _mm512_extracti32x4_epi32(v, 1));
	_mm_storeu_si128((__m128i *)s->p[l + 2], _mm512_extracti32x4_epi32(v, 2));
	_mm_storeu_si128((__m128i *)s->p[l + 3], _mm512_extracti32x4_epi32(v, 3));
}

/* count blocks of each of WIDE_LANES lanes, four to a zmm register. */
VAES static void run_wide_lanes(struct lanes *s, size_t count)
{
	__m512i x[QUADS];
	unsigned q, r, l;

	for (q = 0; q < QUADS; q++)
		x[q] = _mm512_loadu_si512(&s->x[4 * q]);
	while (count--) {
		for (q = 0; q < QUADS; q++)
			x[q] = _mm512_xor_si512(_mm512_xor_si512(x[q], load_quad(s, 4 * q)),
						_mm512_loadu_si512(&s->rk[0][4 * q]));
		for (r = 1; r < 10; r++)
			for (q = 0; q < QUADS; q++)
				x[q] = _mm512_aesenc_epi128(x[q],
							    _mm512_loadu_si512(&s->rk[r][4 * q]));
		for (q = 0; q < QUADS; q++) {
			x[q] = _mm512_aesenclast_epi128(x[q], _mm512_loadu_si512(&s->rk[10][4 * q]));
			store_quad(s, 4 * q, x[q]);
		}
		for (l = 0; l < WIDE_LANES; l++)
			s->p[l] += s->stride[l];
	}
	for (q = 0; q < QUADS; q++)
		_mm512_storeu_si512(&s->x[4 * q], x[q]);
}

/* The jobs over nl lanes run by run; a lane that finishes takes the next. */
AESNI static int encrypt_lanes(const struct pd_aes128_cbc_job *jobs, size_t n, unsigned nl,
			       void (*run)(struct lanes *, size_t))
{
	struct lanes s;
	size_t next = 0, step;
	unsigned l;

	for (l = 0; l < nl; l++)
		take_job(&s, l, jobs, n, &next);
	for (;;) {
		step = SIZE_MAX;
		for (l = 0; l < nl; l++)
			step = s.left[l] < step ? s.left[l] : step;
		if (step == SIZE_MAX)
			return 0;
		run(&s, step);
		for (l = 0; l < nl; l++)
			if (s.left[l] != SIZE_MAX && !(s.left[l] -= step))
				take_job(&s, l, jobs, n, &next);
	}
}

static int encrypt_aesni(const struct pd_aes128_cbc_job *jobs, size_t n)
{
	return encrypt_lanes(jobs, n, LANES, run_lanes);
}

/*
 * Whether more than LANES of the first jobs' buffers start in one L1 set
 * (the same 64 bytes of their 4 KiB pages, as page-aligned buffers or
 * buffers 68 KiB apart do). Lanes move through their buffers in step, so
 * those lanes' lines then outnumber the set's ways and evict each other at
 * every block: 16 such buffers ran at 5.1 GB/s over the wide lanes and 7.5
 * over the narrow ones on a Zen 5 (12 ways), against 10-17 GB/s over the
 * wide lanes once at most 12 shared a set. The narrow lanes never hold more
 * than LANES lines in a set.
 */
static int buffers_share_a_set(const struct pd_aes128_cbc_job *jobs, size_t n)
{
	unsigned char in_set[64] = { 0 };
	size_t i, taken = 0;

	for (i = 0; i < n && taken < WIDE_LANES; i++) {
		if (!jobs[i].len)
			continue;
		taken++;
		if (++in_set[((uintptr_t)jobs[i].buf >> 6) & 63] > LANES)
			return 1;
	}
	return 0;
}

/* Up to LANES jobs cost what one does on the narrow lanes (each waits on
 * its own rounds), and the wide ones would carry idle lanes: more jobs go
 * over the wide ones, unless their buffers would fight over a cache set. */
static int encrypt_vaes(const struct pd_aes128_cbc_job *jobs, size_t n)
{
	return n <= LANES || buffers_share_a_set(jobs, n) ?
		       encrypt_lanes(jobs, n, LANES, run_lanes) :
		       encrypt_lanes(jobs, n, WIDE_LANES, run_wide_lanes);
}

static int cpu_has_aesni(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AES) && (d & bit_SSE2);
}

/* VAES with AVX-512, and the OS saving the zmm registers and masks. */
static int cpu_has_vaes512(void)
{
	unsigned a, b, c, d;

	return pd_cpu_saves_zmm() && __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
	       (b & bit_AVX512F) && (c & bit_VAES);
}
#endif

typedef int (*encrypt_many_fn)(const struct pd_aes128_cbc_job *, size_t);

static encrypt_many_fn impl = encrypt_openssl;
static const char *impl_name = "openssl";
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

/* PEERDIST_AES_IMPL=openssl or aes-ni forces a slower path (for tests). */
static void choose_impl(void)
{
	const char *force = getenv("PEERDIST_AES_IMPL");

	if (force && !strcmp(force, "openssl"))
		return;
#if defined(__x86_64__)
	if (cpu_has_aesni() && cpu_has_vaes512() && !(force && !strcmp(force, "aes-ni"))) {
		impl = encrypt_vaes;
		impl_name = "vaes x16";
	} else if (cpu_has_aesni()) {
		impl = encrypt_aesni;
		impl_name = "aes-ni x8";
	}
#endif
}

int pd_aes128_cbc_encrypt_many(const struct pd_aes128_cbc_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (jobs[i].len % 16)
			return -1;
	pthread_once(&impl_once, choose_impl);
	/* Alone, a buffer runs faster in OpenSSL than beside seven idle lanes. */
	return n == 1 ? encrypt_openssl(jobs, n) : impl(jobs, n);
}

const char *pd_aes128_mb_impl(void)
{
	pthread_once(&impl_once, choose_impl);
	return impl_name;
}
