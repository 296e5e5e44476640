// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Multi-buffer SHA-256 equals OpenSSL's SHA-256 for every message count
 * (lane remainders), every padding case and unaligned input; run once with
 * the SHA-NI lanes (where the CPU has them) and once forced to OpenSSL.
 */
#include <openssl/sha.h>

#include "testutil.h"

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
	uint8_t *buf = malloc(10 * 65540), want[32], got[10][32];
	const uint8_t *msgs[10];
	size_t li, n, i;

	fill_pattern(buf, 10 * 65540, 42);
	for (li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		for (n = 0; n <= 10; n++) {
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
	if (force && !strcmp(force, "openssl"))
		assert_string_equal(pd_sha256_impl(), "openssl");
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
