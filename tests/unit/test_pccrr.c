// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MS-PCCRR messages: the GETBLKS bytes a real client (iPXE) sends decode to
 * the right segment and block and re-encode byte-exact; MSG_BLK responses
 * have the sizes a real client accepts; every message round-trips; hostile
 * and truncated input is refused with the right error; block ranges are
 * normalized; block encryption round-trips for AES-128/192/256.
 */
#include "testutil.h"

#include "pccrr.h"
#include "pccrr_crypto.h"

static const char *const getblks_hex[] = {
	"0000000100000003000000440000000100000020491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce900000001000000000000000100000000",
	"0000000100000003000000440000000100000020491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce900000001000000010000000100000000",
	"00000001000000030000004400000001000000203371bbeaddb62353adcef970a06fdf65001e0421f4c7108276b0c37a9f9ec10f00000001000000000000000100000000",
	"0000000100000003000000440000000100000020d7e924425e8f4f88f01dc6a9bb1bc37be113ec7917c745d4965c2b55fa163a6e00000001000000000000000100000000",
};

static const char *const getblks_ids[] = {
	"491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9",
	"491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9",
	"3371bbeaddb62353adcef970a06fdf65001e0421f4c7108276b0c37a9f9ec10f",
	"d7e924425e8f4f88f01dc6a9bb1bc37be113ec7917c745d4965c2b55fa163a6e",
};

static struct pd_pccrr_msg msg, back;

static void real_client_getblks(void **state)
{
	uint8_t out[128];
	size_t i, len;

	for (i = 0; i < 4; i++) {
		uint8_t *raw = unhex(getblks_hex[i], &len);

		assert_int_equal(pd_pccrr_decode_request(raw, len, &msg), 0);
		assert_int_equal(msg.version, PD_PCCRR_VERSION_1);
		assert_int_equal(msg.type, PD_MSG_GETBLKS);
		assert_int_equal(msg.crypto, PD_CRYPTO_AES_128);
		assert_int_equal(msg.segment_id_len, 32);
		assert_hex_equal(msg.segment_id, getblks_ids[i]);
		assert_int_equal(msg.nranges, 1);
		assert_int_equal(msg.ranges[0].index, i == 1);
		assert_int_equal(msg.ranges[0].count, 1);
		assert_int_equal(msg.vrf_len, 0);
		assert_int_equal(pd_pccrr_encode_request(&msg, out, sizeof(out)), (long)len);
		assert_memory_equal(out, raw, len);
		free(raw);
	}
}

/* The sizes a real client accepted for the four blocks of the vectors. */
static void blk_sizes_real_client_accepts(void **state)
{
	static const struct { uint32_t block, total; } cases[] = {
		{ 65536, 65628 }, { 34174, 34268 }, { 39390, 39484 }, { 60320, 60412 },
	};
	static uint8_t block[65536], cipher[65536], out[70000];
	uint8_t iv[16], kp[32], id[32];
	size_t i;

	fill_pattern(kp, sizeof(kp), 1);
	fill_pattern(id, sizeof(id), 2);
	for (i = 0; i < 4; i++) {
		size_t clen = pd_pccrr_padded_len(cases[i].block);
		long n;

		fill_pattern(block, cases[i].block, i);
		assert_int_equal(pd_pccrr_encrypt(PD_CRYPTO_AES_128, kp, 32, block,
						  cases[i].block, cipher, iv), 0);
		msg = (struct pd_pccrr_msg){ .version = 1, .type = PD_MSG_BLK,
			.crypto = PD_CRYPTO_AES_128, .segment_id = id,
			.segment_id_len = 32, .block_index = 1, .block = cipher,
			.block_len = clen, .iv = iv, .iv_len = 16 };
		n = pd_pccrr_encode_response(&msg, out, sizeof(out));
		assert_int_equal(n, cases[i].total);
		assert_int_equal(pd_pccrr_decode_response(out, n, &back), 0);
		assert_int_equal(back.block_len, clen);
		assert_int_equal(back.iv_len, 16);
		assert_int_equal(pd_pccrr_decrypt(back.crypto, kp, 32, back.block,
						  back.block_len, back.iv, cipher), 0);
		assert_memory_equal(cipher, block, cases[i].block);
	}
}

static void round_trips(void **state)
{
	uint8_t id[48], out[4096];
	long n;

	fill_pattern(id, sizeof(id), 3);
	msg = (struct pd_pccrr_msg){ .version = 1, .type = PD_MSG_NEGO_REQ,
				     .min_version = 1, .max_version = 2 };
	n = pd_pccrr_encode_request(&msg, out, sizeof(out));
	assert_int_equal(n, 24);
	assert_int_equal(pd_pccrr_decode_request(out, n, &back), 0);
	assert_int_equal(back.max_version, 2);

	msg = (struct pd_pccrr_msg){ .version = 1, .type = PD_MSG_BLKLIST,
		.segment_id = id, .segment_id_len = 48, .nranges = 2,
		.next_block_index = 7 };
	msg.ranges[0] = (struct pd_block_range){ 0, 3 };
	msg.ranges[1] = (struct pd_block_range){ 10, 502 };
	n = pd_pccrr_encode_response(&msg, out, sizeof(out));
	assert_int_equal(pd_pccrr_decode_response(out, n, &back), 0);
	assert_int_equal(back.nranges, 2);
	assert_int_equal(back.ranges[1].count, 502);
	assert_int_equal(back.next_block_index, 7);
	assert_memory_equal(back.segment_id, id, 48);
	/* A BLKLIST without its NextBlockIndex (as some peers send it). */
	out[0] = 0; out[1] = 0; out[2] = 0; out[3] = n - 8;
	out[4 + 8] = 0; out[4 + 9] = 0; out[4 + 10] = 0; out[4 + 11] = n - 8;
	assert_int_equal(pd_pccrr_decode_response(out, n - 4, &back), 0);
	assert_int_equal(back.next_block_index, 0);

	/* An empty BLK: the peer does not have the block. */
	msg = (struct pd_pccrr_msg){ .version = 1, .type = PD_MSG_BLK,
		.segment_id = id, .segment_id_len = 32, .block_index = 5 };
	n = pd_pccrr_encode_response(&msg, out, sizeof(out));
	assert_int_equal(pd_pccrr_decode_response(out, n, &back), 0);
	assert_int_equal(back.block_len, 0);
	assert_int_equal(back.block_index, 5);
	/* Too small an output buffer. */
	assert_int_equal(pd_pccrr_encode_response(&msg, out, 20), -PD_RR_E_BUFFER);
}

static void hostile_input(void **state)
{
	size_t len, n;
	uint8_t *raw = unhex(getblks_hex[0], &len), buf[200];

	for (n = 0; n < len; n++)
		assert_true(pd_pccrr_decode_request(raw, n, &msg) < 0);
#define MUTATE(off, val, err) do {					\
		memcpy(buf, raw, len);					\
		buf[off] = (val);					\
		assert_int_equal(pd_pccrr_decode_request(buf, len, &msg), -(err)); \
	} while (0)
	MUTATE(3, 3, PD_RR_E_VERSION);
	MUTATE(7, 6, PD_RR_E_TYPE);
	MUTATE(7, 9, PD_RR_E_TYPE);
	MUTATE(11, 0x45, PD_RR_E_SIZE);
	MUTATE(15, 4, PD_RR_E_CRYPTO);
	MUTATE(19, 0, PD_RR_E_SEGMENT_ID);
	MUTATE(19, 65, PD_RR_E_SEGMENT_ID);
	MUTATE(55, 0, PD_RR_E_RANGE);		/* no ranges */
	MUTATE(57, 2, PD_RR_E_RANGE);		/* index 512 */
	MUTATE(63, 0, PD_RR_E_RANGE);		/* count 0 */
	MUTATE(62, 2, PD_RR_E_RANGE);		/* count 513 */
	MUTATE(55, 2, PD_RR_E_TRUNCATED);	/* more ranges than bytes */
	MUTATE(55, 1, 0);
	/* A byte after the message. */
	memcpy(buf, raw, len);
	buf[len] = 0;
	buf[11] = len + 1;
	assert_int_equal(pd_pccrr_decode_request(buf, len + 1, &msg), -PD_RR_E_TRAILING);
	/* Over the size limit. */
	assert_int_equal(pd_pccrr_decode_request(raw, PD_PCCRR_REQUEST_MAX + 1, &msg),
			 -PD_RR_E_TOO_LARGE);
	/* A response whose transport size lies. */
	memcpy(buf + 4, raw, len);
	buf[0] = buf[1] = buf[2] = 0;
	buf[3] = len + 1;
	assert_int_equal(pd_pccrr_decode_response(buf, len + 4, &msg), -PD_RR_E_SIZE);
	assert_string_equal(pd_pccrr_strerror(-PD_RR_E_RANGE),
			    "block range or index out of bounds");
	free(raw);
}

static void normalize_ranges(void **state)
{
	struct pd_block_range r[] = { { 5, 2 }, { 0, 3 }, { 3, 2 }, { 20, 1 },
				      { 6, 4 }, { 22, 3 } };
	uint32_t n = pd_block_ranges_normalize(r, 6);

	assert_int_equal(n, 3);
	assert_int_equal(r[0].index, 0);
	assert_int_equal(r[0].count, 10);
	assert_int_equal(r[1].index, 20);
	assert_int_equal(r[1].count, 1);
	assert_int_equal(r[2].index, 22);
	assert_int_equal(r[2].count, 3);
}

static void crypto_all_key_sizes(void **state)
{
	uint8_t kp[64], block[1000], enc[1008], dec[1008], iv[16], iv2[16];
	unsigned algo;

	fill_pattern(kp, sizeof(kp), 4);
	fill_pattern(block, sizeof(block), 5);
	for (algo = PD_CRYPTO_AES_128; algo <= PD_CRYPTO_AES_256; algo++) {
		assert_int_equal(pd_pccrr_encrypt(algo, kp, 32, block, 1000, enc, iv), 0);
		assert_int_equal(pd_pccrr_decrypt(algo, kp, 32, enc, 1008, iv, dec), 0);
		assert_memory_equal(dec, block, 1000);
		/* Zero padding up to 16, and a fresh IV each time. */
		assert_int_equal(dec[1000] | dec[1007], 0);
		assert_int_equal(pd_pccrr_encrypt(algo, kp, 32, block, 1000, enc, iv2), 0);
		assert_memory_not_equal(iv, iv2, 16);
		/* Another key does not give the block back. */
		kp[0] ^= 1;
		assert_int_equal(pd_pccrr_decrypt(algo, kp, 32, enc, 1008, iv2, dec), 0);
		assert_memory_not_equal(dec, block, 1000);
		kp[0] ^= 1;
	}
	assert_int_equal(pd_pccrr_encrypt(PD_CRYPTO_NONE, kp, 32, block, 10, enc, iv), -1);
	assert_int_equal(pd_pccrr_encrypt(PD_CRYPTO_AES_256, kp, 16, block, 10, enc, iv), -1);
	assert_int_equal(pd_pccrr_decrypt(PD_CRYPTO_AES_128, kp, 32, enc, 15, iv, dec), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_client_getblks),
		cmocka_unit_test(blk_sizes_real_client_accepts),
		cmocka_unit_test(round_trips),
		cmocka_unit_test(hostile_input),
		cmocka_unit_test(normalize_ranges),
		cmocka_unit_test(crypto_all_key_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
