// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Content information produced by a real Windows Server 2012 R2 (IIS) for
 * one 99,710-byte file, V1 and V2 (shared/vectors/pccrc-windows-iis.json):
 * it parses to exactly the listed segments and hashes, Kp and HoHoDk
 * re-derive from the exported server passphrase, and it re-encodes to the
 * same bytes.
 */
#include "testutil.h"

#include "keys.h"
#include "pccrc.h"
#include "windows_vectors.h"

struct expect_seg {
	uint64_t start, end;
	const char *hod, *kp, *hohodk, *blocks[2];
};

static const struct expect_seg v1_segs[] = {
	{ 0, 99710,
	  "d8d976354a4872e925761803f458d9daaa67f8e31c630fb74e6a312ef8a25aba",
	  "11afc0d7949243f94f9c1fab35d9fd1e331fcf7811a2e01d3587b38d770a29e2",
	  "491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9",
	  { "73c18ab8549110f8e90e71bbc3ab2aa8c44d13f4929499255b660f24ec77800b",
	    "974bdd65567fdeeccdafe457a9503b4548f66ed3b188dcfda0ac382b09711acc" } },
};

static const struct expect_seg v2_segs[] = {
	{ 0, 39390,
	  "e0d0c358e2684b62330d32b5f1978724a0d0a52bdc5e781fae71ff57a8be3dd4",
	  "58037ed404116bb616d9b14116088520c47cdc50abcea3fae188a98ea22df3c0",
	  "3371bbeaddb62353adcef970a06fdf65001e0421f4c7108276b0c37a9f9ec10f",
	  { "e0d0c358e2684b62330d32b5f1978724a0d0a52bdc5e781fae71ff57a8be3dd4" } },
	{ 39390, 99710,
	  "3381d0d0cb74f4b613d8210f37f002a06f3910586096a130d34398c08e66d7bc",
	  "b8b6eb7783e4f807647b63f146b52f4ac89ccc7abf5fa11acafc2acf5028586c",
	  "d7e924425e8f4f88f01dc6a9bb1bc37be113ec7917c745d4965c2b55fa163a6e",
	  { "3381d0d0cb74f4b613d8210f37f002a06f3910586096a130d34398c08e66d7bc" } },
};

static void check_case(const char *hex, unsigned version, unsigned alg,
		       const struct expect_seg *segs, uint32_t nseg,
		       const uint32_t *nblocks)
{
	size_t len, plen;
	uint8_t *raw = unhex(hex, &len), *pass = unhex(WINDOWS_PASSPHRASE, &plen);
	uint8_t ks[PD_KS_LEN], kp[PD_HASH_MAX], id[PD_HASH_MAX], *again;
	struct pd_ci *ci = NULL;
	struct pd_range r;
	uint32_t s, b;

	assert_int_equal(pd_ci_parse(raw, len, &ci, NULL), 0);
	assert_int_equal(ci->version, version);
	assert_int_equal(ci->hash_alg, alg);
	assert_int_equal(ci->hash_len, 32);
	assert_int_equal(ci->nsegments, nseg);
	r = pd_ci_range(ci);
	assert_int_equal(r.start, 0);
	assert_int_equal(r.end, 99710);
	assert_int_equal(pd_key_ks(version, pass, plen, ks), 0);
	for (s = 0; s < nseg; s++) {
		const struct pd_ci_segment *seg = &ci->segments[s];

		assert_int_equal(seg->offset, segs[s].start);
		assert_int_equal(seg->offset + seg->size, segs[s].end);
		assert_int_equal(seg->nblocks, nblocks[s]);
		assert_hex_equal(seg->hod, segs[s].hod);
		assert_hex_equal(seg->kp, segs[s].kp);
		for (b = 0; b < seg->nblocks; b++)
			assert_hex_equal(seg->block_hashes + b * 32,
					 segs[s].blocks[b]);
		assert_int_equal(pd_key_kp(alg, ks, seg->hod, kp), 0);
		assert_memory_equal(kp, seg->kp, 32);
		assert_int_equal(pd_key_hohodk(alg, seg->kp, seg->hod, id), 0);
		assert_hex_equal(id, segs[s].hohodk);
	}
	assert_int_equal(pd_ci_encoded_size(ci), len);
	again = malloc(len);
	assert_int_equal(pd_ci_encode(ci, again, len), (long)len);
	assert_memory_equal(again, raw, len);
	free(again);
	pd_ci_free(ci);
	free(pass);
	free(raw);
}

static void windows_v1(void **state)
{
	static const uint32_t nblocks[] = { 2 };

	check_case(windows_v1_hex, 1, PD_HASH_SHA256, v1_segs, 1, nblocks);
}

static void windows_v2(void **state)
{
	static const uint32_t nblocks[] = { 1, 1 };

	check_case(windows_v2_hex, 2, PD_HASH_V2_SHA512_TRUNC, v2_segs, 2, nblocks);
}

static void v1_block_ranges(void **state)
{
	size_t len;
	uint8_t *raw = unhex(windows_v1_hex, &len);
	struct pd_ci *ci;
	struct pd_range r;

	assert_int_equal(pd_ci_parse(raw, len, &ci, NULL), 0);
	r = pd_ci_block_range(ci, 0, 0);
	assert_int_equal(r.start, 0);
	assert_int_equal(r.end, 65536);
	r = pd_ci_block_range(ci, 0, 1);
	assert_int_equal(r.start, 65536);
	assert_int_equal(r.end, 99710);
	pd_ci_free(ci);
	free(raw);
}

static void magic_is_utf16le_with_nul(void **state)
{
	assert_hex_equal(pd_segment_id_magic,
			 "4d0053005f005000320050005f00430041004300480049004e0047000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(windows_v1),
		cmocka_unit_test(windows_v2),
		cmocka_unit_test(v1_block_ranges),
		cmocka_unit_test(magic_is_utf16le_with_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
