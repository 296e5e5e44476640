// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Multi-buffer SHA-256 equals OpenSSL's SHA-256 for every message count
 * (lane remainders of the 16 AVX-512 and the 3 SHA-NI lanes), every
 * padding case and unaligned input; run with the best the CPU has, forced
 * to SHA-NI, and forced to OpenSSL.
 */
#include <openssl/sha.h>

#include "testutil.h"

#include "pccrc_gen.h"
#include "sha256_mb.h"

static void known_answers(void **state)
{
	const uint8_t *msgs[2] = { (const uint8_t *)"abc", (const uint8_t *)"" };
	uint8_t d[2][32];

	pd_sha256_many(msgs, 1, 3, d);
	assert_hex_equal(d[0], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	pd_sha256_many(msgs + 1, 1, 0, d + 1);
	assert_hex_equal(d[1], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void equals_openssl(void **state)
{
	static const size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 127,
				       128, 1000, 65535, 65536 };
	/* counts around the lane groups: 3 and 16, several groups, remainders */
	static const size_t counts[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15,
					 16, 17, 18, 19, 32, 35 };
	enum { MAX_MSGS = 35 };
	uint8_t *buf = malloc(MAX_MSGS * 65540), want[32], got[MAX_MSGS][32];
	const uint8_t *msgs[MAX_MSGS];
	size_t li, ci, n, i;

	assert_non_null(buf);
	fill_pattern(buf, MAX_MSGS * 65540, 42);
	for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		for (ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++) {
			n = counts[ci];
			for (i = 0; i < n; i++)
				msgs[i] = buf + i * 65540 + (i & 3); /* unaligned */
			memset(got, 0, sizeof(got));
			pd_sha256_many(msgs, n, lens[li], got);
			for (i = 0; i < n; i++) {
				SHA256(msgs[i], lens[li], want);
				assert_memory_equal(got[i], want, 32);
			}
		}
	}
	free(buf);
}

static void implementation_named(void **state)
{
	const char *force = getenv("PEERDIST_SHA256_IMPL");

	assert_non_null(pd_sha256_impl());
	if (force && !strcmp(force, "openssl")) {
		assert_string_equal(pd_sha256_impl(), "openssl");
		assert_int_equal(pd_sha256_lanes(), 1);
	}
	if (force && !strcmp(force, "sha-ni")) {
		assert_null(strstr(pd_sha256_impl(), "avx512"));
		assert_true(pd_sha256_lanes() == 3 || pd_sha256_lanes() == 1);
	}
	/* V1 generation batches blocks by whole lane groups */
	assert_int_equal(PD_GEN_BATCH_BLOCKS % pd_sha256_lanes(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answers),
		cmocka_unit_test(equals_openssl),
		cmocka_unit_test(implementation_named),
	};

	printf("# implementation: %s\n", pd_sha256_impl());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
