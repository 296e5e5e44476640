// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Multi-buffer AES-128-CBC: for 0 to 20 buffers at once, each with its own
 * key and IV and lengths from nothing to 128 KiB (so lanes finish at
 * different times and take new jobs), every buffer is what OpenSSL's
 * single-stream AES-128-CBC makes of it; the FIPS 197 C.1 vector; a length
 * that is no multiple of 16 is refused. Run on the CPU's best path (VAES
 * where it has AVX-512: more than 16 buffers make lanes take new jobs), with
 * PEERDIST_AES_IMPL=aes-ni and with PEERDIST_AES_IMPL=openssl. Sixteen
 * buffers 68 KiB apart (all at one offset in their pages, which sends them
 * to the narrow lanes) and 64 KiB + 256 bytes apart (the wide ones) too.
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "aes128_mb.h"

static void reference(const struct pd_aes128_cbc_job *j, const uint8_t *in, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n;

	assert_non_null(ctx);
	assert_true(EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, j->key, j->iv));
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	assert_true(EVP_EncryptUpdate(ctx, out, &n, in, (int)j->len));
	EVP_CIPHER_CTX_free(ctx);
}

static void matches_openssl(void **state)
{
	static const size_t lens[] = { 65536, 16, 0, 131072, 4096, 65536, 48, 65536 };
	struct pd_aes128_cbc_job jobs[20];
	uint8_t *plain[20], *want;
	size_t n, i;

	want = malloc(131072);
	assert_non_null(want);
	for (n = 0; n <= 20; n++) {
		for (i = 0; i < n; i++) {
			jobs[i].len = lens[(i * 7 + n) % 8];
			jobs[i].buf = malloc(jobs[i].len + 1);
			plain[i] = malloc(jobs[i].len + 1);
			assert_true(jobs[i].buf && plain[i]);
			assert_int_equal(RAND_bytes(jobs[i].key, 16), 1);
			assert_int_equal(RAND_bytes(jobs[i].iv, 16), 1);
			RAND_bytes(plain[i], jobs[i].len + 1);
			memcpy(jobs[i].buf, plain[i], jobs[i].len);
		}
		assert_int_equal(pd_aes128_cbc_encrypt_many(jobs, n), 0);
		for (i = 0; i < n; i++) {
			reference(&jobs[i], plain[i], want);
			assert_memory_equal(jobs[i].buf, want, jobs[i].len);
			free(jobs[i].buf);
			free(plain[i]);
		}
	}
	free(want);
}

/* Sixteen buffers of 64 KiB, stride bytes apart in one allocation. */
static void laid_out(size_t stride)
{
	struct pd_aes128_cbc_job jobs[16];
	uint8_t *area = malloc(16 * stride), *plain = malloc(16 * stride);
	uint8_t *want = malloc(65536);
	size_t i, n = 16;

	assert_true(area && plain && want);
	RAND_bytes(plain, (int)(16 * stride));
	memcpy(area, plain, 16 * stride);
	for (i = 0; i < n; i++) {
		jobs[i] = (struct pd_aes128_cbc_job){ .buf = area + i * stride, .len = 65536 };
		assert_int_equal(RAND_bytes(jobs[i].key, 16), 1);
		assert_int_equal(RAND_bytes(jobs[i].iv, 16), 1);
	}
	assert_int_equal(pd_aes128_cbc_encrypt_many(jobs, n), 0);
	for (i = 0; i < n; i++) {
		reference(&jobs[i], plain + i * stride, want);
		assert_memory_equal(jobs[i].buf, want, 65536);
	}
	free(area);
	free(plain);
	free(want);
}

static void buffers_in_one_cache_set(void **state)
{
	laid_out(68 << 10);
}

static void buffers_spread_over_sets(void **state)
{
	laid_out((64 << 10) + 256);
}

static void fips197_vector(void **state)
{
	struct pd_aes128_cbc_job j = { .len = 16 };
	uint8_t buf[16];

	for (int i = 0; i < 16; i++) {
		j.key[i] = i;
		buf[i] = i * 0x11;
	}
	j.buf = buf;
	assert_int_equal(pd_aes128_cbc_encrypt_many(&j, 1), 0);
	assert_hex_equal(buf, "69c4e0d86a7b0430d8cdb78070b4c55a");
}

static void bad_length(void **state)
{
	uint8_t buf[32] = { 0 };
	struct pd_aes128_cbc_job j[2] = { { .buf = buf, .len = 16 }, { .buf = buf, .len = 17 } };

	assert_int_equal(pd_aes128_cbc_encrypt_many(j, 2), -1);
	assert_non_null(pd_aes128_mb_impl());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(matches_openssl),
		cmocka_unit_test(buffers_in_one_cache_set),
		cmocka_unit_test(buffers_spread_over_sets),
		cmocka_unit_test(fips197_vector),
		cmocka_unit_test(bad_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
