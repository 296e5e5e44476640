// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AES-128-CBC over many buffers (aes128_mb.h). The AES-NI path keeps eight
 * lanes, each with its own round keys, chaining value and buffer; a lane
 * whose buffer is done takes the next job, and lanes without one run on a
 * scratch block, so the inner loop always interleaves eight streams.
 * PEERDIST_AES_IMPL=openssl forces the fallback (for tests).
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
#include <cpuid.h>
#include <immintrin.h>

#define AESNI __attribute__((target("aes,sse2")))
#define LANES 8

AESNI static __m128i key_step(__m128i k, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xff);
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	return _mm_xor_si128(k, assist);
}

/* The AES-128 key schedule (FIPS 197 5.2); the round constants must be
 * immediates, hence one line per round. */
AESNI static void expand_key(const uint8_t key[16], __m128i rk[11])
{
	rk[0] = _mm_loadu_si128((const __m128i *)key);
	rk[1] = key_step(rk[0], _mm_aeskeygenassist_si128(rk[0], 0x01));
	rk[2] = key_step(rk[1], _mm_aeskeygenassist_si128(rk[1], 0x02));
	rk[3] = key_step(rk[2], _mm_aeskeygenassist_si128(rk[2], 0x04));
	rk[4] = key_step(rk[3], _mm_aeskeygenassist_si128(rk[3], 0x08));
	rk[5] = key_step(rk[4], _mm_aeskeygenassist_si128(rk[4], 0x10));
	rk[6] = key_step(rk[5], _mm_aeskeygenassist_si128(rk[5], 0x20));
	rk[7] = key_step(rk[6], _mm_aeskeygenassist_si128(rk[6], 0x40));
	rk[8] = key_step(rk[7], _mm_aeskeygenassist_si128(rk[7], 0x80));
	rk[9] = key_step(rk[8], _mm_aeskeygenassist_si128(rk[8], 0x1b));
	rk[10] = key_step(rk[9], _mm_aeskeygenassist_si128(rk[9], 0x36));
}

struct lanes {
	__m128i rk[LANES][11];
	__m128i x[LANES];	/* the chaining value */
	uint8_t *p[LANES];
	size_t stride[LANES];	/* 16, or 0 for a lane on the scratch block */
	size_t left[LANES];	/* blocks; SIZE_MAX for an idle lane */
	__m128i scratch[LANES];
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
	expand_key(jobs[*next].key, s->rk[l]);
	s->x[l] = _mm_loadu_si128((const __m128i *)jobs[*next].iv);
	s->p[l] = jobs[*next].buf;
	s->stride[l] = 16;
	s->left[l] = jobs[*next].len / 16;
	++*next;
}

/* count blocks of every lane, interleaved. */
AESNI static void run_lanes(struct lanes *s, size_t count)
{
	__m128i x[LANES];
	unsigned l, r;

	for (l = 0; l < LANES; l++)
		x[l] = s->x[l];
	while (count--) {
		for (l = 0; l < LANES; l++)
			x[l] = _mm_xor_si128(_mm_xor_si128(x[l],
				_mm_loadu_si128((const __m128i *)s->p[l])), s->rk[l][0]);
		for (r = 1; r < 10; r++)
			for (l = 0; l < LANES; l++)
				x[l] = _mm_aesenc_si128(x[l], s->rk[l][r]);
		for (l = 0; l < LANES; l++) {
			x[l] = _mm_aesenclast_si128(x[l], s->rk[l][10]);
			_mm_storeu_si128((__m128i *)s->p[l], x[l]);
			s->p[l] += s->stride[l];
		}
	}
	for (l = 0; l < LANES; l++)
		s->x[l] = x[l];
}

AESNI static int encrypt_aesni(const struct pd_aes128_cbc_job *jobs, size_t n)
{
	struct lanes s;
	size_t next = 0, step;
	unsigned l;

	for (l = 0; l < LANES; l++)
		take_job(&s, l, jobs, n, &next);
	for (;;) {
		step = SIZE_MAX;
		for (l = 0; l < LANES; l++)
			step = s.left[l] < step ? s.left[l] : step;
		if (step == SIZE_MAX)
			return 0;
		run_lanes(&s, step);
		for (l = 0; l < LANES; l++)
			if (s.left[l] != SIZE_MAX && !(s.left[l] -= step))
				take_job(&s, l, jobs, n, &next);
	}
}

static int cpu_has_aesni(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AES) && (d & bit_SSE2);
}
#endif

typedef int (*encrypt_many_fn)(const struct pd_aes128_cbc_job *, size_t);

static encrypt_many_fn impl = encrypt_openssl;
static const char *impl_name = "openssl";
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

static void choose_impl(void)
{
	const char *force = getenv("PEERDIST_AES_IMPL");

	if (force && !strcmp(force, "openssl"))
		return;
#if defined(__x86_64__)
	if (cpu_has_aesni()) {
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
