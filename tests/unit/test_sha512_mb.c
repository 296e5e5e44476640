// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Multi-buffer SHA-512 equals OpenSSL's SHA-512 for every message count
 * (lanes full, partly idle, refilled), every padding case, messages of
 * different lengths side by side, unaligned input and both output lengths
 * V2 and V1 use, and with the chunker's cursor carried along; run once
 * per implementation (PEERDIST_SHA512_IMPL).
 */
#include <openssl/sha.h>

#include "testutil.h"

#include "chunker.h"
#include "sha512_mb.h"

static void known_answers(void **state)
{
	const uint8_t *msgs[2] = { (const uint8_t *)"abc", (const uint8_t *)"" };
	const size_t lens[2] = { 3, 0 };
	uint8_t d[2][64];

	pd_sha512_many(msgs, lens, 2, d[0], 64);
	assert_hex_equal(d[0], "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
			       "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	assert_hex_equal(d[1], "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
			       "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
}

static void check_against_openssl(const uint8_t *const *msgs, const size_t *lens,
				  size_t n, size_t out_len)
{
	uint8_t got[40 * 64], want[64];
	size_t i;

	memset(got, 0xa5, sizeof(got));
	pd_sha512_many(msgs, lens, n, got, out_len);
	for (i = 0; i < n; i++) {
		SHA512(msgs[i], lens[i], want);
		assert_memory_equal(got + i * out_len, want, out_len);
	}
	/* Nothing written past the last digest. */
	for (i = n * out_len; i < sizeof(got); i++)
		assert_int_equal(got[i], 0xa5);
}

static void padding_cases(void **state)
{
	static const size_t sizes[] = { 0, 1, 111, 112, 113, 127, 128, 129, 239,
					240, 255, 256, 1000, 32768, 65535 };
	size_t ns = sizeof(sizes) / sizeof(sizes[0]), li, n, i;
	uint8_t *buf = malloc(17 * 65540);
	const uint8_t *msgs[17];
	size_t lens[17];

	fill_pattern(buf, 17 * 65540, 7);
	for (li = 0; li < ns; li++) {
		for (n = 0; n <= 17; n++) {
			for (i = 0; i < n; i++) {
				msgs[i] = buf + i * 65540 + (i & 7); /* unaligned */
				lens[i] = sizes[li];
			}
			check_against_openssl(msgs, lens, n, 32);
		}
	}
	free(buf);
}

static void mixed_lengths(void **state)
{
	size_t total = 40 * 140000, lens[40], i, n, seed = 1;
	uint8_t *buf = malloc(total);
	const uint8_t *msgs[40];

	fill_pattern(buf, total, 9);
	for (n = 1; n <= 40; n += 3) {
		for (i = 0; i < n; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			lens[i] = (seed >> 33) % 131073;	/* 0 .. 128 KiB */
			msgs[i] = buf + i * 140000 + (seed >> 20) % 7;
		}
		check_against_openssl(msgs, lens, n, n & 1 ? 32 : 64);
	}
	free(buf);
}

/* What pd_chunk_next's loop cuts of buf[0..len): the cursor must agree. */
static size_t cut_plain(const uint8_t *buf, size_t len, int final, size_t *ends)
{
	size_t n = 0;

	ends[0] = 0;
	while (len - ends[n] >= (final ? 1 : PD_CHUNK_MAX)) {
		ends[n + 1] = ends[n] + pd_chunk_next(buf + ends[n], len - ends[n], final);
		n++;
	}
	return n;
}

/*
 * Hashing with a chunk cursor along: the digests stay SHA-512's, and the
 * cuts are pd_chunk_next's, however much of the cutting the hashing did
 * (little hashing, or enough for all), final or not, whatever the window.
 */
static void cutting_alongside(void **state)
{
	enum { WIN = 3 << 20, SEGS = WIN / PD_CHUNK_MIN + 2 };
	static size_t want[SEGS], got[SEGS];
	static const size_t wins[] = { 0, 1, PD_CHUNK_MIN, PD_CHUNK_MIN + 9,
				       PD_CHUNK_MAX - 1, PD_CHUNK_MAX, PD_CHUNK_MAX + 7,
				       (1 << 20) + 3, WIN };
	static const size_t nmsgs[] = { 1, 5, 16 };
	uint8_t *buf = malloc(WIN + 16 * 70000), *digests = malloc(16 * 32), d[64];
	const uint8_t *msgs[16];
	size_t lens[16], wi, mi, i, n;
	int final;

	fill_pattern(buf, WIN + 16 * 70000, 3);
	for (i = 0; i < 16; i++) {
		msgs[i] = buf + WIN + i * 70000 + (i & 7);
		lens[i] = 1000 + i * 4099;
	}
	for (wi = 0; wi < sizeof(wins) / sizeof(wins[0]); wi++)
		for (mi = 0; mi < sizeof(nmsgs) / sizeof(nmsgs[0]); mi++)
			for (final = 0; final <= 1; final++) {
				struct pd_chunk_cursor cut;

				n = cut_plain(buf, wins[wi], final, want);
				pd_chunk_cursor_init(&cut, buf, wins[wi], final, got);
				pd_sha512_many_cut(msgs, lens, nmsgs[mi], digests, 32, &cut);
				pd_chunk_cursor_finish(&cut);
				assert_int_equal(cut.nseg, n);
				assert_memory_equal(got, want, (n + 1) * sizeof(size_t));
				for (i = 0; i < nmsgs[mi]; i++) {
					SHA512(msgs[i], lens[i], d);
					assert_memory_equal(digests + 32 * i, d, 32);
				}
			}
	free(buf);
	free(digests);
}

static void implementation_named(void **state)
{
	const char *force = getenv("PEERDIST_SHA512_IMPL");
	const char *name = pd_sha512_impl();

	assert_non_null(name);
	if (force && !strcmp(force, "openssl"))
		assert_string_equal(name, "openssl");
	if (force && !strcmp(force, "avx2"))
		assert_true(!strcmp(name, "avx2 x4") || !strcmp(name, "openssl"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answers),
		cmocka_unit_test(padding_cases),
		cmocka_unit_test(mixed_lengths),
		cmocka_unit_test(cutting_alongside),
		cmocka_unit_test(implementation_named),
	};

	printf("# implementation: %s\n", pd_sha512_impl());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
