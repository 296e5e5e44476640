// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MS-PCCRR messages: the GETBLKS bytes a real client (iPXE) sends decode to
 * the right segment and block and re-encode byte-exact; MSG_BLK responses
 * have the sizes a real client accepts; every message round-trips; hostile
 * and truncated input is refused with the right error; block ranges are
 * normalized; block encryption round-trips for AES-128/192/256.
 * Version 2.0 GETSEGLIST/SEGLIST: bytes laid out by hand from MS-PCCRR
 * 2.2.4.4, 2.2.5.4 and 2.2.6.1 decode field by field and re-encode
 * byte-exact; every truncation and every count over a limit is refused;
 * an invalid ExtensibleBlob is discarded, not the message.
 */
#include <errno.h>

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
		/* A server may build the block where the encoding puts it. */
		assert_ptr_equal(back.block, out + pd_pccrr_blk_block_offset(32));
	}
}

static void blk_built_in_place(void **state)
{
	static uint8_t out[70000], copy[70000];
	uint8_t id[20], iv[16] = { 7 };
	uint8_t *at = out + pd_pccrr_blk_block_offset(sizeof(id));
	long n;

	fill_pattern(id, sizeof(id), 4);
	fill_pattern(at, 4096, 5);
	memcpy(copy, at, 4096);
	msg = (struct pd_pccrr_msg){ .version = 1, .type = PD_MSG_BLK,
		.crypto = PD_CRYPTO_AES_128, .segment_id = id,
		.segment_id_len = sizeof(id), .block = at, .block_len = 4096,
		.iv = iv, .iv_len = 16 };
	n = pd_pccrr_encode_response(&msg, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(pd_pccrr_decode_response(out, n, &back), 0);
	assert_int_equal(back.block_len, 4096);
	assert_memory_equal(back.block, copy, 4096);
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
	assert_int_equal(pd_pccrr_encrypt(PD_CRYPTO_NONE, kp, 32, block, 10, enc, iv), -EINVAL);
	assert_int_equal(pd_pccrr_encrypt(PD_CRYPTO_AES_256, kp, 16, block, 10, enc, iv), -EINVAL);
	assert_int_equal(pd_pccrr_decrypt(PD_CRYPTO_AES_128, kp, 32, enc, 15, iv, dec), -EINVAL);
}

/*
 * MSG_GETSEGLIST by the spec's layout: header (ProtVer 2.0, type 6, 92
 * bytes, no crypto), RequestID, two ids (32 bytes; 3 bytes and a zero
 * pad), a version 1 blob: units 3, one age (index 5, 10000 = 0x002710,
 * low byte first).
 */
static const char getseglist_hex[] =
	"00000002" "00000006" "0000005c" "00000000"
	"00112233445566778899aabbccddeeff"
	"00000002"
	"00000020" "491b217dbee2b5f12ca79b015e06f4bbe64f9745bad7867aef17de59927edce9"
	"00000003" "aabbcc" "00"
	"00000008" "0001" "03" "01" "05" "102700";

/*
 * MSG_SEGLIST by the spec's layout: transport size 68, header (2.0, type
 * 7, 68 bytes), RequestID, ranges [0, 2] and [3, 1], a version 1 blob:
 * units 3, ages (index 0, 1) and (index 3, 0xffffff).
 */
static const char seglist_hex[] =
	"00000044"
	"00000002" "00000007" "00000044" "00000000"
	"00112233445566778899aabbccddeeff"
	"00000002" "00000000" "00000002" "00000003" "00000001"
	"0000000c" "0001" "03" "02" "00" "010000" "03" "ffffff";

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void getseglist_spec_layout(void **state)
{
	uint8_t out[128];
	size_t len;
	uint8_t *raw = unhex(getseglist_hex, &len);

	assert_int_equal(len, 92);
	assert_int_equal(pd_pccrr_decode_request(raw, len, &msg), 0);
	assert_int_equal(msg.version, PD_PCCRR_VERSION_2);
	assert_int_equal(msg.type, PD_MSG_GETSEGLIST);
	assert_int_equal(msg.crypto, PD_CRYPTO_NONE);
	assert_hex_equal(msg.request_id, "00112233445566778899aabbccddeeff");
	assert_int_equal(msg.nsegments, 2);
	assert_int_equal(msg.segments[0].len, 32);
	assert_hex_equal(msg.segments[0].id, getblks_ids[0]);
	assert_int_equal(msg.segments[1].len, 3);
	assert_hex_equal(msg.segments[1].id, "aabbcc");
	assert_int_equal(msg.blob_len, 8);
	assert_ptr_equal(msg.blob, raw + 84);
	assert_int_equal(msg.age_units, PD_AGE_CENTISECONDS);
	assert_int_equal(msg.nages, 1);
	assert_int_equal(msg.ages[0].index, 5);
	assert_int_equal(msg.ages[0].age, 10000);
	/* Fields of other types stay clear. */
	assert_int_equal(msg.segment_id_len, 0);
	assert_int_equal(msg.nranges, 0);
	assert_int_equal(msg.nseg_ranges, 0);
	assert_int_equal(pd_pccrr_encode_request(&msg, out, sizeof(out)), (long)len);
	assert_memory_equal(out, raw, len);
	free(raw);
}

static void seglist_spec_layout(void **state)
{
	uint8_t out[128];
	size_t len;
	uint8_t *raw = unhex(seglist_hex, &len);

	assert_int_equal(len, 72);
	assert_int_equal(pd_pccrr_decode_response(raw, len, &msg), 0);
	assert_int_equal(msg.version, PD_PCCRR_VERSION_2);
	assert_int_equal(msg.type, PD_MSG_SEGLIST);
	assert_hex_equal(msg.request_id, "00112233445566778899aabbccddeeff");
	assert_int_equal(msg.nseg_ranges, 2);
	assert_int_equal(msg.seg_ranges[0].index, 0);
	assert_int_equal(msg.seg_ranges[0].count, 2);
	assert_int_equal(msg.seg_ranges[1].index, 3);
	assert_int_equal(msg.seg_ranges[1].count, 1);
	assert_int_equal(msg.blob_len, 12);
	assert_int_equal(msg.age_units, PD_AGE_CENTISECONDS);
	assert_int_equal(msg.nages, 2);
	assert_int_equal(msg.ages[0].index, 0);
	assert_int_equal(msg.ages[0].age, 1);
	assert_int_equal(msg.ages[1].index, 3);
	assert_int_equal(msg.ages[1].age, PD_PCCRR_MAX_AGE);
	assert_int_equal(msg.nsegments, 0);
	assert_int_equal(pd_pccrr_encode_response(&msg, out, sizeof(out)), (long)len);
	assert_memory_equal(out, raw, len);
	free(raw);
}

/* Every prefix, its size fields made to agree, ends inside a field. */
static void seglist_truncated(void **state)
{
	uint8_t buf[128];
	size_t len, n;
	uint8_t *raw = unhex(getseglist_hex, &len);

	for (n = 0; n < len; n++) {
		memcpy(buf, raw, len);
		if (n >= 12)
			put_be32(buf + 8, n);
		assert_int_equal(pd_pccrr_decode_request(buf, n, &msg),
				 -PD_RR_E_TRUNCATED);
	}
	free(raw);
	raw = unhex(seglist_hex, &len);
	for (n = 4; n < len; n++) {
		memcpy(buf, raw, len);
		put_be32(buf, n - 4);
		if (n >= 16)
			put_be32(buf + 12, n - 4);
		assert_int_equal(pd_pccrr_decode_response(buf, n, &msg),
				 -PD_RR_E_TRUNCATED);
	}
	free(raw);
}

static void seglist_hostile(void **state)
{
	uint8_t buf[128];
	size_t len;
	uint8_t *raw = unhex(getseglist_hex, &len);

#define MUTATE_REQ(off, val, err) do {					\
		memcpy(buf, raw, len);					\
		buf[off] = (val);					\
		assert_int_equal(pd_pccrr_decode_request(buf, len, &msg), -(err)); \
	} while (0)
	MUTATE_REQ(3, 1, PD_RR_E_TYPE);		/* type 6 under ProtVer 1.0 */
	MUTATE_REQ(34, 1, PD_RR_E_SEGMENTS);	/* 258 ids */
	MUTATE_REQ(35, 3, PD_RR_E_TRUNCATED);	/* 3 ids, bytes for 2 */
	MUTATE_REQ(39, 0, PD_RR_E_SEGMENT_ID);
	MUTATE_REQ(39, 65, PD_RR_E_SEGMENT_ID);
	MUTATE_REQ(75, 0, PD_RR_E_SEGMENT_ID);
	MUTATE_REQ(83, 12, PD_RR_E_TRUNCATED);	/* blob past the end */
	memcpy(buf, raw, len);
	buf[35] = 0;
	assert_int_equal(pd_pccrr_decode_request(buf, len, &msg), -PD_RR_E_TRAILING);
	/* 256 ids is the limit, 257 is refused before reading any. */
	memcpy(buf, raw, len);
	put_be32(buf + 32, PD_PCCRR_MAX_SEGMENTS);
	assert_int_equal(pd_pccrr_decode_request(buf, len, &msg), -PD_RR_E_TRUNCATED);
	put_be32(buf + 32, PD_PCCRR_MAX_SEGMENTS + 1);
	assert_int_equal(pd_pccrr_decode_request(buf, len, &msg), -PD_RR_E_SEGMENTS);
	put_be32(buf + 32, 0xffffffff);
	assert_int_equal(pd_pccrr_decode_request(buf, len, &msg), -PD_RR_E_SEGMENTS);
	/* Four more bytes than the blob and its padding. */
	memcpy(buf, raw, len);
	memset(buf + len, 0, 4);
	put_be32(buf + 8, len + 4);
	assert_int_equal(pd_pccrr_decode_request(buf, len + 4, &msg), -PD_RR_E_TRAILING);
	free(raw);

	raw = unhex(seglist_hex, &len);
#define MUTATE_RESP(off, val, err) do {					\
		memcpy(buf, raw, len);					\
		buf[off] = (val);					\
		assert_int_equal(pd_pccrr_decode_response(buf, len, &msg), -(err)); \
	} while (0)
	MUTATE_RESP(7, 1, PD_RR_E_TYPE);		/* type 7 under ProtVer 1.0 */
	MUTATE_RESP(38, 1, PD_RR_E_SEGMENT_RANGE);	/* 258 ranges */
	MUTATE_RESP(39, 5, PD_RR_E_TRUNCATED);		/* 5 ranges, bytes for 4 */
	MUTATE_RESP(47, 0, PD_RR_E_SEGMENT_RANGE);	/* count 0 */
	MUTATE_RESP(42, 1, PD_RR_E_SEGMENT_RANGE);	/* index 256 */
	MUTATE_RESP(54, 1, PD_RR_E_SEGMENT_RANGE);	/* count 257 */
	MUTATE_RESP(39, 0, PD_RR_E_TRAILING);		/* no ranges: rest trails */
	/* Index + count past 256, and past 2^32. */
	memcpy(buf, raw, len);
	put_be32(buf + 48, 255);
	put_be32(buf + 52, 2);
	assert_int_equal(pd_pccrr_decode_response(buf, len, &msg), -PD_RR_E_SEGMENT_RANGE);
	put_be32(buf + 52, 1);
	assert_int_equal(pd_pccrr_decode_response(buf, len, &msg), 0);
	put_be32(buf + 48, 0xffffffff);
	assert_int_equal(pd_pccrr_decode_response(buf, len, &msg), -PD_RR_E_SEGMENT_RANGE);
	free(raw);
	assert_string_equal(pd_pccrr_strerror(-PD_RR_E_SEGMENTS), "too many segment ids");
}

/* SEGLIST with its blob replaced: decodes, ages only from a valid blob. */
static int decode_with_blob(const char *blob_hex, uint8_t *buf)
{
	size_t len, blen;
	uint8_t *raw = unhex(seglist_hex, &len), *blob = unhex(blob_hex, &blen);
	size_t at = len - 16, total = at + 4 + blen + (4 - blen % 4) % 4;
	int err;

	memcpy(buf, raw, at);
	memset(buf + at, 0, total - at);
	put_be32(buf + at, blen);
	memcpy(buf + at + 4, blob, blen);
	put_be32(buf, total - 4);
	put_be32(buf + 12, total - 4);
	err = pd_pccrr_decode_response(buf, total, &msg);
	free(raw);
	free(blob);
	return err ? err : (int)total;
}

static void seglist_blob_discarded(void **state)
{
	static const char *const discarded[] = {
		"00",			/* under 2 bytes */
		"0002030100010000",	/* version 2: unknown */
		"000103",		/* version 1 under 4 bytes */
		"0001000100010000",	/* units 0 */
		"0001050100010000",	/* units 5 */
		"0001030200010000",	/* two ages, room for one */
	};
	uint8_t buf[128], out[128];
	size_t i;
	long n;

	for (i = 0; i < sizeof(discarded) / sizeof(discarded[0]); i++) {
		n = decode_with_blob(discarded[i], buf);
		assert_true(n > 0);
		assert_int_equal(msg.age_units, PD_AGE_NONE);
		assert_int_equal(msg.nages, 0);
		assert_int_equal(msg.blob_len, strlen(discarded[i]) / 2);
		assert_int_equal(msg.nseg_ranges, 2);
		/* Kept as it came: re-encodes unchanged, padding zeroed. */
		assert_int_equal(pd_pccrr_encode_response(&msg, out, sizeof(out)), n);
		assert_memory_equal(out, buf, n);
	}
	/* Larger than its ages need is allowed; every unit is read. */
	assert_true(decode_with_blob("000101010700000000000000", buf) > 0);
	assert_int_equal(msg.age_units, PD_AGE_SECONDS);
	assert_int_equal(msg.nages, 1);
	assert_int_equal(msg.ages[0].index, 7);
	assert_true(decode_with_blob("0001040000000000", buf) > 0);
	assert_int_equal(msg.age_units, PD_AGE_MILLISECONDS);
	assert_int_equal(msg.nages, 0);
	/* No blob at all. */
	assert_true(decode_with_blob("", buf) > 0);
	assert_null(msg.blob);
	assert_int_equal(msg.age_units, PD_AGE_NONE);
}

static void seglist_round_trips(void **state)
{
	static uint8_t ids[PD_PCCRR_MAX_SEGMENTS + 1][32], out[16384];
	uint32_t i;
	long n;

	memset(&msg, 0, sizeof(msg));
	msg.version = PD_PCCRR_VERSION_2;
	msg.type = PD_MSG_GETSEGLIST;
	msg.crypto = PD_CRYPTO_AES_128;
	fill_pattern(msg.request_id, 16, 6);
	for (i = 0; i <= PD_PCCRR_MAX_SEGMENTS; i++) {
		fill_pattern(ids[i], 32, i);
		msg.segments[i % PD_PCCRR_MAX_SEGMENTS] =
			(struct pd_segment_ref){ ids[i], 1 + i % 32 };
	}
	msg.nsegments = PD_PCCRR_MAX_SEGMENTS;
	n = pd_pccrr_encode_request(&msg, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(pd_pccrr_decode_request(out, n, &back), 0);
	assert_int_equal(back.nsegments, PD_PCCRR_MAX_SEGMENTS);
	assert_memory_equal(back.request_id, msg.request_id, 16);
	for (i = 0; i < PD_PCCRR_MAX_SEGMENTS; i++) {
		assert_int_equal(back.segments[i].len, msg.segments[i].len);
		assert_memory_equal(back.segments[i].id, msg.segments[i].id,
				    msg.segments[i].len);
	}
	assert_int_equal(back.blob_len, 0);
	assert_int_equal(back.age_units, PD_AGE_NONE);
	/* Over the limits, bad ids, 1.0, a small buffer: refused. */
	msg.nsegments = PD_PCCRR_MAX_SEGMENTS + 1;
	assert_int_equal(pd_pccrr_encode_request(&msg, out, sizeof(out)), -PD_RR_E_SEGMENTS);
	msg.nsegments = 2;
	msg.segments[1].len = PD_PCCRR_MAX_SEGMENT_ID + 1;
	assert_int_equal(pd_pccrr_encode_request(&msg, out, sizeof(out)), -PD_RR_E_SEGMENT_ID);
	msg.segments[1].len = 0;
	assert_int_equal(pd_pccrr_encode_request(&msg, out, sizeof(out)), -PD_RR_E_SEGMENT_ID);
	msg.segments[1].len = 4;
	msg.version = PD_PCCRR_VERSION_1;
	assert_int_equal(pd_pccrr_encode_request(&msg, out, sizeof(out)), -PD_RR_E_TYPE);
	msg.version = PD_PCCRR_VERSION_2;
	assert_int_equal(pd_pccrr_encode_request(&msg, out, 40), -PD_RR_E_BUFFER);

	/* SEGLIST with 255 ages, the most a blob holds. */
	memset(&msg, 0, sizeof(msg));
	msg.version = PD_PCCRR_VERSION_2;
	msg.type = PD_MSG_SEGLIST;
	fill_pattern(msg.request_id, 16, 7);
	for (i = 0; i < 128; i++)
		msg.seg_ranges[i] = (struct pd_segment_range){ 2 * i, 1 };
	msg.nseg_ranges = 128;
	msg.age_units = PD_AGE_CENTISECONDS;
	for (i = 0; i < PD_PCCRR_MAX_AGES; i++)
		msg.ages[i] = (struct pd_segment_age){ i, i * 65793 };
	msg.nages = PD_PCCRR_MAX_AGES;
	n = pd_pccrr_encode_response(&msg, out, sizeof(out));
	assert_int_equal(n, 4 + 16 + 16 + 4 + 128 * 8 + 4 + 4 * 256);
	assert_int_equal(pd_pccrr_decode_response(out, n, &back), 0);
	assert_int_equal(back.nseg_ranges, 128);
	assert_memory_equal(back.seg_ranges, msg.seg_ranges, 128 * sizeof(msg.seg_ranges[0]));
	assert_int_equal(back.nages, PD_PCCRR_MAX_AGES);
	for (i = 0; i < PD_PCCRR_MAX_AGES; i++) {
		assert_int_equal(back.ages[i].index, i);
		assert_int_equal(back.ages[i].age, i * 65793);
	}
	/* An empty SEGLIST: the server has none of them. */
	msg.nseg_ranges = 0;
	msg.age_units = PD_AGE_NONE;
	n = pd_pccrr_encode_response(&msg, out, sizeof(out));
	assert_int_equal(n, 4 + 16 + 16 + 4 + 4);
	assert_int_equal(pd_pccrr_decode_response(out, n, &back), 0);
	assert_int_equal(back.nseg_ranges, 0);
	/* Ages and ranges that do not fit are refused. */
	msg.age_units = PD_AGE_MILLISECONDS + 1;
	assert_int_equal(pd_pccrr_encode_response(&msg, out, sizeof(out)), -PD_RR_E_BLOB);
	msg.age_units = PD_AGE_SECONDS;
	msg.nages = PD_PCCRR_MAX_AGES + 1;
	assert_int_equal(pd_pccrr_encode_response(&msg, out, sizeof(out)), -PD_RR_E_BLOB);
	msg.nages = 1;
	msg.ages[0].age = PD_PCCRR_MAX_AGE + 1;
	assert_int_equal(pd_pccrr_encode_response(&msg, out, sizeof(out)), -PD_RR_E_BLOB);
	msg.ages[0].age = 0;
	msg.nseg_ranges = 1;
	msg.seg_ranges[0] = (struct pd_segment_range){ 0, 0 };
	assert_int_equal(pd_pccrr_encode_response(&msg, out, sizeof(out)), -PD_RR_E_SEGMENT_RANGE);
	msg.seg_ranges[0] = (struct pd_segment_range){ 1, PD_PCCRR_MAX_SEGMENTS };
	assert_int_equal(pd_pccrr_encode_response(&msg, out, sizeof(out)), -PD_RR_E_SEGMENT_RANGE);
	msg.seg_ranges[0] = (struct pd_segment_range){ 0, PD_PCCRR_MAX_SEGMENTS };
	msg.nseg_ranges = PD_PCCRR_MAX_SEGMENTS + 1;
	assert_int_equal(pd_pccrr_encode_response(&msg, out, sizeof(out)), -PD_RR_E_SEGMENT_RANGE);
	msg.nseg_ranges = 1;
	assert_true(pd_pccrr_encode_response(&msg, out, sizeof(out)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_client_getblks),
		cmocka_unit_test(blk_sizes_real_client_accepts),
		cmocka_unit_test(blk_built_in_place),
		cmocka_unit_test(round_trips),
		cmocka_unit_test(hostile_input),
		cmocka_unit_test(normalize_ranges),
		cmocka_unit_test(crypto_all_key_sizes),
		cmocka_unit_test(getseglist_spec_layout),
		cmocka_unit_test(seglist_spec_layout),
		cmocka_unit_test(seglist_truncated),
		cmocka_unit_test(seglist_hostile),
		cmocka_unit_test(seglist_blob_discarded),
		cmocka_unit_test(seglist_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
