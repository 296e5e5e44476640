// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Malformed content information: every invalid field gets its own precise
 * error and the offset where it was found, truncation at any length is
 * caught, and nothing is allocated or returned on failure.
 */
#include "testutil.h"

#include "pccrc.h"
#include "windows_vectors.h"

/* V1 offsets: header 18; segment description 18..98; cBlocks at 98. */
#define V1_SEG0		18
#define V1_CBSEGMENT	(V1_SEG0 + 8)
#define V1_CBBLOCK	(V1_SEG0 + 12)
#define V1_HOD		(V1_SEG0 + 16)
#define V1_CBLOCKS	98
/* V2 offsets: header 31, chunk header 31..36, first segment at 36. */
#define V2_CHUNK	31
#define V2_SEG0		36

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

typedef void (*mutate_fn)(uint8_t *buf);

static void expect_error(const char *hex, mutate_fn mutate, size_t cut,
			 int err, size_t at)
{
	size_t len;
	uint8_t *buf = unhex(hex, &len);
	struct pd_ci_diag diag = { 0, 0 };
	struct pd_ci *ci = (struct pd_ci *)1;

	if (mutate)
		mutate(buf);
	assert_int_equal(pd_ci_parse(buf, len - cut, &ci, &diag), -err);
	assert_null(ci);
	if (at != SIZE_MAX)
		assert_int_equal(diag.offset, at);
	free(buf);
}

static void v1_truncated_anywhere(void **state)
{
	size_t len, n;
	uint8_t *buf = unhex(windows_v1_hex, &len);
	struct pd_ci *ci;

	for (n = 0; n < len; n++)
		assert_int_equal(pd_ci_parse(buf, n, &ci, NULL),
				 -PD_CI_E_TRUNCATED);
	free(buf);
}

static void v2_truncated_anywhere(void **state)
{
	size_t len, n;
	uint8_t *buf = unhex(windows_v2_hex, &len);
	struct pd_ci *ci;

	for (n = 0; n < len; n++) {
		int err = pd_ci_parse(buf, n, &ci, NULL);

		/* The bare 31-byte header is valid: content with no segments. */
		if (n == V2_CHUNK) {
			assert_int_equal(err, 0);
			assert_int_equal(ci->nsegments, 0);
			pd_ci_free(ci);
			continue;
		}
		assert_int_equal(err, -PD_CI_E_TRUNCATED);
	}
	free(buf);
}

static void v1_trailing(void **state)
{
	size_t len;
	uint8_t *raw = unhex(windows_v1_hex, &len), *buf = calloc(1, len + 1);
	struct pd_ci *ci;

	memcpy(buf, raw, len);
	assert_int_equal(pd_ci_parse(buf, len + 1, &ci, NULL), -PD_CI_E_TRAILING);
	free(raw);
	free(buf);
}

static void m_version(uint8_t *b) { b[1] = 0x03; }
static void m_v2_minor(uint8_t *b) { b[0] = 0x01; }
static void m_algo(uint8_t *b) { put_le32(b + 2, 0x800F); }
static void m_blocksize(uint8_t *b) { put_le32(b + V1_CBBLOCK, 4096); }
static void m_segsize0(uint8_t *b) { put_le32(b + V1_CBSEGMENT, 0); }
static void m_segsize_big(uint8_t *b) { put_le32(b + V1_CBSEGMENT, PD_SEGMENT_SIZE + 1); }
static void m_segsize_blocks(uint8_t *b) { put_le32(b + V1_CBSEGMENT, 200000); }
static void m_offset(uint8_t *b) { b[V1_SEG0] = 1; }
static void m_hod(uint8_t *b) { b[V1_HOD] ^= 1; }
static void m_blockhash(uint8_t *b) { b[V1_CBLOCKS + 4] ^= 0x80; }
static void m_cblocks(uint8_t *b) { put_le32(b + V1_CBLOCKS, 600); }
static void m_first(uint8_t *b) { put_le32(b + 6, 99710); }
static void m_last(uint8_t *b) { put_le32(b + 10, 99711); }
static void m_first_after_last(uint8_t *b) { put_le32(b + 6, 10); put_le32(b + 10, 10); }
static void m_v2_algo(uint8_t *b) { b[2] = 0x01; }
static void m_v2_chunktype(uint8_t *b) { b[V2_CHUNK] = 0x01; }
static void m_v2_chunklen(uint8_t *b) { put_be32(b + V2_CHUNK + 1, 67); }
static void m_v2_chunklen0(uint8_t *b) { put_be32(b + V2_CHUNK + 1, 0); }
static void m_v2_seg0(uint8_t *b) { put_be32(b + V2_SEG0, 0); }
static void m_v2_segbig(uint8_t *b) { put_be32(b + V2_SEG0, PD_V2_MAX_SEGMENT + 1); }
static void m_v2_first(uint8_t *b) { put_be32(b + 19, 39390); }
static void m_v2_length(uint8_t *b) { put_be32(b + 27, 99711); }

static void v1_field_errors(void **state)
{
	expect_error(windows_v1_hex, m_version, 0, PD_CI_E_VERSION, 0);
	expect_error(windows_v1_hex, m_algo, 0, PD_CI_E_HASH_ALGO, 2);
	expect_error(windows_v1_hex, m_blocksize, 0, PD_CI_E_BLOCK_SIZE, V1_SEG0);
	expect_error(windows_v1_hex, m_segsize0, 0, PD_CI_E_SEGMENT_SIZE, V1_SEG0);
	expect_error(windows_v1_hex, m_segsize_big, 0, PD_CI_E_SEGMENT_SIZE, V1_SEG0);
	expect_error(windows_v1_hex, m_segsize_blocks, 0, PD_CI_E_BLOCK_COUNT, V1_CBLOCKS);
	expect_error(windows_v1_hex, m_offset, 0, PD_CI_E_CONTIGUITY, V1_SEG0);
	expect_error(windows_v1_hex, m_hod, 0, PD_CI_E_HOD, V1_CBLOCKS);
	expect_error(windows_v1_hex, m_blockhash, 0, PD_CI_E_HOD, V1_CBLOCKS);
	expect_error(windows_v1_hex, m_cblocks, 0, PD_CI_E_BLOCK_COUNT, SIZE_MAX);
	expect_error(windows_v1_hex, m_first, 0, PD_CI_E_RANGE, SIZE_MAX);
	expect_error(windows_v1_hex, m_last, 0, PD_CI_E_RANGE, SIZE_MAX);
	expect_error(windows_v1_hex, m_first_after_last, 0, PD_CI_E_RANGE, SIZE_MAX);
	assert_true(pd_ci_err_is_version(-PD_CI_E_VERSION));
	assert_false(pd_ci_err_is_version(-PD_CI_E_HOD));
}

static void v2_field_errors(void **state)
{
	expect_error(windows_v2_hex, m_v2_minor, 0, PD_CI_E_VERSION, 0);
	expect_error(windows_v2_hex, m_v2_algo, 0, PD_CI_E_HASH_ALGO, 2);
	expect_error(windows_v2_hex, m_v2_chunktype, 0, PD_CI_E_CHUNK, V2_CHUNK);
	expect_error(windows_v2_hex, m_v2_chunklen, 0, PD_CI_E_CHUNK, V2_CHUNK);
	expect_error(windows_v2_hex, m_v2_chunklen0, 0, PD_CI_E_CHUNK, V2_CHUNK);
	expect_error(windows_v2_hex, m_v2_seg0, 0, PD_CI_E_SEGMENT_SIZE, V2_SEG0);
	expect_error(windows_v2_hex, m_v2_segbig, 0, PD_CI_E_SEGMENT_SIZE, V2_SEG0);
	expect_error(windows_v2_hex, m_v2_first, 0, PD_CI_E_RANGE, SIZE_MAX);
	expect_error(windows_v2_hex, m_v2_length, 0, PD_CI_E_RANGE, SIZE_MAX);
}

/* A huge segment count in a tiny input must not allocate for it. */
static void v1_huge_count(void **state)
{
	uint8_t buf[18] = { 0x00, 0x01, 0x0c, 0x80 };
	struct pd_ci *ci;

	put_le32(buf + 14, 0xffffffff);
	assert_int_equal(pd_ci_parse(buf, sizeof(buf), &ci, NULL),
			 -PD_CI_E_TRUNCATED);
}

static void empty_content(void **state)
{
	uint8_t v1[18] = { 0x00, 0x01, 0x0c, 0x80 };
	struct pd_ci *ci;

	assert_int_equal(pd_ci_parse(v1, sizeof(v1), &ci, NULL), 0);
	assert_int_equal(ci->nsegments, 0);
	assert_int_equal(pd_ci_range(ci).end, 0);
	pd_ci_free(ci);
	put_le32(v1 + 6, 1);
	assert_int_equal(pd_ci_parse(v1, sizeof(v1), &ci, NULL), -PD_CI_E_RANGE);
}

static void bad_arguments(void **state)
{
	struct pd_ci *ci;

	assert_int_equal(pd_ci_parse(NULL, 5, &ci, NULL), -PD_CI_E_INVAL);
	assert_int_equal(pd_ci_parse((const uint8_t *)"", 0, NULL, NULL),
			 -PD_CI_E_INVAL);
	assert_string_equal(pd_ci_strerror(-PD_CI_E_HOD),
			    "segment HoD is not the hash of its block hashes");
	assert_string_equal(pd_ci_strerror(-9999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_truncated_anywhere),
		cmocka_unit_test(v2_truncated_anywhere),
		cmocka_unit_test(v1_trailing),
		cmocka_unit_test(v1_field_errors),
		cmocka_unit_test(v2_field_errors),
		cmocka_unit_test(v1_huge_count),
		cmocka_unit_test(empty_content),
		cmocka_unit_test(bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
