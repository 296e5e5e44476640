// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MS-PCHC codec: requests and responses laid out byte by byte from the
 * spec's figures (2.2.1 to 2.2.2), both ways, and what it must refuse.
 * The SEGMENT_INFO carries content information a real Windows server made.
 */
#include "testutil.h"
#include "windows_vectors.h"

#include "pccrc.h"
#include "pchc.h"

#define HOHODK "491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9"
#define TAG "35db045d14234553a0510dc2e15e6c4c"

static uint8_t *build(const char *hex, size_t *len)
{
	return unhex(hex, len);
}

static struct pd_pchc_msg msg, again;
static uint8_t out[PD_PCHC_REQUEST_MAX];

/* Encoding what was decoded gives back the same bytes (padding as zeroes). */
static void round_trip(const uint8_t *buf, size_t len)
{
	long n = pd_pchc_encode_request(&msg, out, sizeof(out));

	assert_int_equal(n, len);
	assert_memory_equal(out, buf, len);
	assert_int_equal(pd_pchc_decode_request(out, n, &again, NULL), 0);
	assert_int_equal(again.type, msg.type);
}

static void initial_offer(void **state)
{
	/* Minor 0, Major 1, Type 1, padding; Port 3703, padding; HoHoDk */
	size_t len;
	uint8_t *buf = build("00010001" "00000000" "0e77" "000000000000" HOHODK, &len);

	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, NULL), 0);
	assert_int_equal(msg.major, 1);
	assert_int_equal(msg.type, PD_PCHC_INITIAL_OFFER);
	assert_int_equal(msg.port, 3703);
	assert_int_equal(msg.id_len, 32);
	assert_hex_equal(msg.id, HOHODK);
	round_trip(buf, len);
	free(buf);
}

static void padding_is_ignored(void **state)
{
	size_t len;
	uint8_t *buf = build("00010001" "deadbeef" "0050" "ffffffffffff" HOHODK, &len);

	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, NULL), 0);
	assert_int_equal(msg.port, 80);
	free(buf);
}

static void segment_info(void **state)
{
	char hex[2048];
	struct pd_ci *ci;
	size_t len;
	uint8_t *buf;

	snprintf(hex, sizeof(hex), "00010002" "00000000" "0e77" "000000000000" TAG "%s",
		 windows_v1_hex);
	buf = build(hex, &len);
	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, &ci), 0);
	assert_int_equal(msg.type, PD_PCHC_SEGMENT_INFO);
	assert_hex_equal(msg.tag, TAG);
	assert_int_equal(msg.info_len, strlen(windows_v1_hex) / 2);
	assert_non_null(ci);
	assert_int_equal(ci->nsegments, 1);
	assert_int_equal(ci->segments[0].nblocks, 2);
	assert_hex_equal(ci->segments[0].kp,
			 "11afc0d7949243f94f9c1fab35d9fd1e331fcf7811a2e01d3587b38d770a29e2");
	pd_ci_free(ci);
	round_trip(buf, len);
	free(buf);
}

/* A block hash changed: the HoD no longer matches, the parser says so. */
static void segment_info_bad_hashes(void **state)
{
	char hex[2048];
	struct pd_ci *ci = (void *)1;
	size_t len;
	uint8_t *buf;

	snprintf(hex, sizeof(hex), "00010002" "00000000" "0e77" "000000000000" TAG "%s",
		 windows_v1_hex);
	buf = build(hex, &len);
	buf[len - 1] ^= 1;
	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, &ci),
			 -PD_HC_E_CONTENT_INFO);
	assert_null(ci);
	free(buf);
}

static void segment_info_v2_refused(void **state)
{
	char hex[2048];
	size_t len;
	uint8_t *buf;

	snprintf(hex, sizeof(hex), "00010002" "00000000" "0e77" "000000000000" TAG "%s",
		 windows_v2_hex);
	buf = build(hex, &len);
	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, NULL),
			 -PD_HC_E_CONTENT_INFO);
	free(buf);
}

#define DESC(alg, id) "00010000" "00009a1e" "0010" TAG alg id

static void batched_offer(void **state)
{
	size_t len;
	uint8_t *buf = build("00020003" "00000000" "1f90" "000000000000"
			     DESC("04", HOHODK) DESC("01", HOHODK), &len);

	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, NULL), 0);
	assert_int_equal(msg.major, 2);
	assert_int_equal(msg.port, 8080);
	assert_int_equal(msg.nsegments, 2);
	assert_int_equal(msg.segments[0].block_size, 65536);
	assert_int_equal(msg.segments[0].segment_size, 0x9a1e);
	assert_int_equal(msg.segments[0].hash_alg, PD_PCHC_HASH_SHA512_TRUNC);
	assert_int_equal(msg.segments[1].hash_alg, PD_PCHC_HASH_SHA256);
	assert_hex_equal(msg.segments[1].id, HOHODK);
	assert_hex_equal(msg.segments[1].tag, TAG);
	round_trip(buf, len);
	free(buf);
}

static void batched_offer_limits(void **state)
{
	static char hex[2 * PD_PCHC_REQUEST_MAX];
	const char *one = DESC("01", HOHODK);
	size_t len;
	uint8_t *buf;
	int i;

	strcpy(hex, "00020003" "00000000" "1f90" "000000000000");
	for (i = 0; i < PD_PCHC_MAX_BATCH; i++)
		strcat(hex, one);
	buf = build(hex, &len);
	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, NULL), 0);
	assert_int_equal(msg.nsegments, PD_PCHC_MAX_BATCH);
	free(buf);
	strcat(hex, one);
	buf = build(hex, &len);
	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, NULL), -PD_HC_E_BATCH);
	free(buf);
	/* no descriptor at all (the test suite's "invalid batched offer") */
	buf = build("00020003" "00000000" "1f90" "000000000000", &len);
	assert_int_equal(pd_pchc_decode_request(buf, len, &msg, NULL), -PD_HC_E_BATCH);
	free(buf);
}

static void refusals(void **state)
{
	static const struct {
		const char *hex;
		int err;
	} cases[] = {
		{ "000100010000", -PD_HC_E_TRUNCATED },
		{ "01010001" "00000000" "0e77" "000000000000" HOHODK, -PD_HC_E_VERSION },
		{ "00030001" "00000000" "0e77" "000000000000" HOHODK, -PD_HC_E_VERSION },
		/* a 2.0 message type in 1.0, a 1.0 type in 2.0, an unknown type */
		{ "00010003" "00000000" "0e77" "000000000000" DESC("01", HOHODK), -PD_HC_E_TYPE },
		{ "00020001" "00000000" "0e77" "000000000000" HOHODK, -PD_HC_E_TYPE },
		{ "00010004" "00000000" "0e77" "000000000000" HOHODK, -PD_HC_E_TYPE },
		/* an id that is no digest's size */
		{ "00010001" "00000000" "0e77" "000000000000" "0011", -PD_HC_E_HASH },
		{ "00010001" "00000000" "0e77" "000000000000", -PD_HC_E_HASH },
		/* SizeOfContentTag 0, a hash algorithm 2, a descriptor cut short */
		{ "00020003" "00000000" "0e77" "000000000000" "00010000" "00009a1e" "0000" "01" HOHODK,
		  -PD_HC_E_TAG },
		{ "00020003" "00000000" "0e77" "000000000000" DESC("02", HOHODK), -PD_HC_E_HASH },
		{ "00020003" "00000000" "0e77" "000000000000" DESC("01", "0011"), -PD_HC_E_TRUNCATED },
		/* a SEGMENT_INFO with no content information */
		{ "00010002" "00000000" "0e77" "000000000000" TAG, -PD_HC_E_CONTENT_INFO },
	};
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *buf = build(cases[i].hex, &len);

		assert_int_equal(pd_pchc_decode_request(buf, len, &msg, NULL), cases[i].err);
		free(buf);
	}
}

static void responses(void **state)
{
	uint8_t buf[8];
	unsigned code;

	assert_int_equal(pd_pchc_encode_response(PD_PCHC_INTERESTED, buf, sizeof(buf)), 5);
	assert_hex_equal(buf, "0000000101");
	assert_int_equal(pd_pchc_decode_response(buf, 5, &code), 0);
	assert_int_equal(code, PD_PCHC_INTERESTED);
	assert_int_equal(pd_pchc_encode_response(PD_PCHC_OK, buf, sizeof(buf)), 5);
	assert_hex_equal(buf, "0000000100");
	assert_int_equal(pd_pchc_decode_response(buf, 5, &code), 0);
	assert_int_equal(code, PD_PCHC_OK);
	assert_int_equal(pd_pchc_encode_response(2, buf, sizeof(buf)), -PD_HC_E_CODE);
	assert_int_equal(pd_pchc_encode_response(PD_PCHC_OK, buf, 4), -PD_HC_E_BUFFER);
	memcpy(buf, "\0\0\0\1\2", 5);
	assert_int_equal(pd_pchc_decode_response(buf, 5, &code), -PD_HC_E_CODE);
	memcpy(buf, "\0\0\0\2\0\0", 6);
	assert_int_equal(pd_pchc_decode_response(buf, 6, &code), -PD_HC_E_TRAILING);
	assert_int_equal(pd_pchc_decode_response(buf, 3, &code), -PD_HC_E_TRUNCATED);
}

static void encode_refuses_what_decode_would(void **state)
{
	memset(&msg, 0, sizeof(msg));
	msg.major = 2;
	msg.type = PD_PCHC_INITIAL_OFFER;
	msg.id_len = 32;
	msg.id = out;
	assert_int_equal(pd_pchc_encode_request(&msg, out, sizeof(out)), -PD_HC_E_BUFFER);
	msg.major = 2;
	msg.type = PD_PCHC_BATCHED_OFFER;
	msg.nsegments = 0;
	assert_int_equal(pd_pchc_encode_request(&msg, out, sizeof(out)), -PD_HC_E_BUFFER);
	msg.nsegments = 1;
	assert_int_equal(pd_pchc_encode_request(&msg, out, 20), -PD_HC_E_BUFFER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(initial_offer),
		cmocka_unit_test(padding_is_ignored),
		cmocka_unit_test(segment_info),
		cmocka_unit_test(segment_info_bad_hashes),
		cmocka_unit_test(segment_info_v2_refused),
		cmocka_unit_test(batched_offer),
		cmocka_unit_test(batched_offer_limits),
		cmocka_unit_test(refusals),
		cmocka_unit_test(responses),
		cmocka_unit_test(encode_refuses_what_decode_would),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
