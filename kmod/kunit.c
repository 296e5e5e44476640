// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites for peerdist.ko's logic, built only into a kernel with
 * KUnit (the project's debug kernel, with KASAN, kmemleak and lockdep):
 * the digests against published vectors, descriptions checked before they
 * are kept, blocks verified before they are present, least recently used
 * eviction under the cap, and an evicted segment still readable by whoever
 * holds it; the V2 chunker and a V2 segment built by hash offload against
 * vectors of the independent reference (tests/unit/pccrc_reference.py);
 * MS-PCCRR block encryption against a published vector, and a segment's
 * short block zero-padded as it is encrypted.
 * They run when the module loads (on 6.1 before its init: nothing they use
 * may depend on it), on the module's own cache: each test flushes what it
 * added.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "chunk.h"
#include "encrypt.h"
#include "hash.h"
#include "segment.h"
#include "state.h"

/* SHA-256("abc") (FIPS 180-2) */
static const u8 abc_sha256[32] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
	0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
	0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};

/* SHA-512("abc"), its first 32 bytes: what version 2 keeps */
static const u8 abc_sha512_32[32] = {
	0xdd, 0xaf, 0x35, 0xa1, 0x93, 0x61, 0x7a, 0xba, 0xcc, 0x41, 0x73, 0x49,
	0xae, 0x20, 0x41, 0x31, 0x12, 0xe6, 0xfa, 0x4e, 0x89, 0xa9, 0x7e, 0xa2,
	0x0a, 0x9e, 0xee, 0xe6, 0x4b, 0x55, 0xd3, 0x9a,
};

/* HMAC-SHA-256, RFC 4231 test case 2 */
static const u8 jefe_hmac[32] = {
	0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26,
	0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
	0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
};

static void digests_match_published_vectors(struct kunit *test)
{
	u8 out[PD_HASH_MAX];

	KUNIT_ASSERT_EQ(test, 0, pd_hash(PD_HASH_SHA256, "abc", 3, out));
	KUNIT_EXPECT_EQ(test, 0, memcmp(out, abc_sha256, 32));
	KUNIT_ASSERT_EQ(test, 0, pd_hash(PD_HASH_V2_SHA512_TRUNC, "abc", 3, out));
	KUNIT_EXPECT_EQ(test, 0, memcmp(out, abc_sha512_32, 32));
	/* the message in two parts, as HoD || C2 is */
	KUNIT_ASSERT_EQ(test, 0, pd_hmac(PD_HASH_SHA256, "Jefe", 4, "what do ya ", 11,
					 "want for nothing?", 17, out));
	KUNIT_EXPECT_EQ(test, 0, memcmp(out, jefe_hmac, 32));
	KUNIT_EXPECT_EQ(test, -EINVAL, pd_hash(0x1234, "abc", 3, out));
}

struct made {
	struct pd_segment_desc d;
	u8 *data;
	u8 hashes[PD_MAX_BLOCKS * 32];
};

/* A V1 SHA-256 segment of size bytes, described as MS-PCCRC derives it. */
static struct made *make_segment(struct kunit *test, u32 size, u8 seed)
{
	struct made *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->data = kunit_kmalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->data);
	for (i = 0; i < size; i++)
		m->data[i] = (u8)(i * 13 + seed + (i >> 10));
	m->d = (struct pd_segment_desc){ .hash_alg = PD_HASH_SHA256, .hash_len = 32,
		.size = size, .block_size = PD_V1_BLOCK_SIZE };
	m->d.nblocks = DIV_ROUND_UP(size, PD_V1_BLOCK_SIZE);
	for (i = 0; i < m->d.nblocks; i++)
		KUNIT_ASSERT_EQ(test, 0, pd_hash(PD_HASH_SHA256, m->data + i * PD_V1_BLOCK_SIZE,
						 pd_block_len(&m->d, i), m->hashes + 32 * i));
	KUNIT_ASSERT_EQ(test, 0, pd_hash(PD_HASH_SHA256, m->hashes, 32 * m->d.nblocks,
					 m->d.hod));
	memset(m->d.kp, seed, 32);
	KUNIT_ASSERT_EQ(test, 0, pd_hmac(PD_HASH_SHA256, m->d.kp, 32, m->d.hod, 32,
					 pd_c2, sizeof(pd_c2), m->d.id));
	return m;
}

static int add(struct made *m)
{
	struct pd_segment_desc d = m->d;

	return pd_segment_add(&d, m->hashes, 32 * m->d.nblocks);
}

static void fill(struct kunit *test, struct made *m)
{
	struct pd_segment *seg = pd_segment_get(m->d.id, 32);
	const u8 *block;
	u32 b;

	KUNIT_ASSERT_NOT_NULL(test, seg);
	for (b = 0; b < m->d.nblocks; b++) {
		block = m->data + b * PD_V1_BLOCK_SIZE;
		KUNIT_ASSERT_EQ(test, 0, pd_segment_put_block(seg, b, block,
							      pd_block_len(&m->d, b)));
	}
	pd_segment_put(seg);
}

static void descriptions_are_checked_before_they_are_kept(struct kunit *test)
{
	struct made *m = make_segment(test, 3 * PD_V1_BLOCK_SIZE - 7, 1);
	struct pd_segment_desc d;
	u64 segments = pd_counter_read(PD_CNT_SEGMENTS);

	d = m->d;
	d.hod[3] ^= 1;
	KUNIT_EXPECT_EQ(test, -EBADMSG, pd_segment_add(&d, m->hashes, 96));
	d = m->d;
	d.id[30] ^= 1;
	KUNIT_EXPECT_EQ(test, -EBADMSG, pd_segment_add(&d, m->hashes, 96));
	d = m->d;
	KUNIT_EXPECT_EQ(test, -EINVAL, pd_segment_add(&d, m->hashes, 64));
	d = m->d;
	d.block_size = 4096;
	KUNIT_EXPECT_EQ(test, -EINVAL, pd_segment_add(&d, m->hashes, 96));
	d = m->d;
	d.size = PD_V1_MAX_SEGMENT + 1;
	KUNIT_EXPECT_EQ(test, -EINVAL, pd_segment_add(&d, m->hashes, 96));
	KUNIT_EXPECT_NULL(test, pd_segment_get(m->d.id, 32));
	KUNIT_EXPECT_EQ(test, 0, add(m));
	KUNIT_EXPECT_EQ(test, 0, add(m));	/* twice: kept once */
	KUNIT_EXPECT_EQ(test, segments + 1, pd_counter_read(PD_CNT_SEGMENTS));
	KUNIT_EXPECT_EQ(test, 0, pd_segment_flush(m->d.id, 32, false));
}

static void blocks_are_verified_before_they_are_present(struct kunit *test)
{
	struct made *m = make_segment(test, 2 * PD_V1_BLOCK_SIZE, 2);
	struct pd_segment *seg;
	u8 *bad, *back;
	loff_t pos = PD_V1_BLOCK_SIZE;

	KUNIT_ASSERT_EQ(test, 0, add(m));
	seg = pd_segment_get(m->d.id, 32);
	KUNIT_ASSERT_NOT_NULL(test, seg);
	bad = kunit_kmalloc(test, PD_V1_BLOCK_SIZE, GFP_KERNEL);
	back = kunit_kmalloc(test, PD_V1_BLOCK_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bad);
	KUNIT_ASSERT_NOT_NULL(test, back);
	memcpy(bad, m->data + PD_V1_BLOCK_SIZE, PD_V1_BLOCK_SIZE);
	bad[77] ^= 0x10;
	KUNIT_EXPECT_EQ(test, -EBADMSG, pd_segment_put_block(seg, 1, bad, PD_V1_BLOCK_SIZE));
	KUNIT_EXPECT_FALSE(test, test_bit(1, seg->present));
	KUNIT_EXPECT_EQ(test, -EINVAL, pd_segment_put_block(seg, 1, bad, 100));
	KUNIT_EXPECT_EQ(test, -EINVAL, pd_segment_put_block(seg, 2, bad, PD_V1_BLOCK_SIZE));
	KUNIT_EXPECT_EQ(test, 0, pd_segment_put_block(seg, 1, m->data + PD_V1_BLOCK_SIZE,
						      PD_V1_BLOCK_SIZE));
	KUNIT_EXPECT_TRUE(test, test_bit(1, seg->present));
	KUNIT_EXPECT_EQ(test, PD_V1_BLOCK_SIZE,
			kernel_read(seg->data, back, PD_V1_BLOCK_SIZE, &pos));
	KUNIT_EXPECT_EQ(test, 0, memcmp(back, m->data + PD_V1_BLOCK_SIZE, PD_V1_BLOCK_SIZE));
	pd_segment_put(seg);
	KUNIT_EXPECT_EQ(test, 0, pd_segment_flush(m->d.id, 32, false));
}

/* Runs fn with the cap at 1 MiB, then puts the cap back. */
static void with_small_cap(struct kunit *test, void (*fn)(struct kunit *test))
{
	struct pd_limits was, l;

	pd_limits_get(&was);
	l = was;
	l.cache_max_bytes = PD_CACHE_MIN_BYTES;
	KUNIT_ASSERT_EQ(test, 0, pd_limits_set(&l));
	fn(test);
	KUNIT_EXPECT_EQ(test, 0, pd_limits_set(&was));
}

/* Whether the cache holds a segment with this id (without touching it). */
static bool held(const u8 *id)
{
	struct pd_segment *seg = pd_segment_get(id, 32);

	if (seg)
		pd_segment_put(seg);
	return seg;
}

/*
 * a and b of one block each, then a used again: adding c's 14 blocks fills
 * the 1 MiB cap, which the three descriptions' own memory then passes, and
 * b, the least recently used, goes (a and c, 15 blocks and two
 * descriptions, fit).
 */
static void evict_least_recently_used(struct kunit *test)
{
	struct made *a = make_segment(test, PD_V1_BLOCK_SIZE, 3);
	struct made *b = make_segment(test, PD_V1_BLOCK_SIZE, 4);
	struct made *c = make_segment(test, 14 * PD_V1_BLOCK_SIZE, 6);
	u64 evictions = pd_counter_read(PD_CNT_EVICTIONS);

	KUNIT_ASSERT_EQ(test, 0, add(a));
	fill(test, a);
	KUNIT_ASSERT_EQ(test, 0, add(b));
	fill(test, b);
	KUNIT_EXPECT_TRUE(test, held(a->d.id));	/* a is now the most recent */
	KUNIT_ASSERT_EQ(test, 0, add(c));
	fill(test, c);
	KUNIT_EXPECT_FALSE(test, held(b->d.id));
	KUNIT_EXPECT_TRUE(test, held(a->d.id));
	KUNIT_EXPECT_TRUE(test, held(c->d.id));
	KUNIT_EXPECT_EQ(test, evictions + 1, pd_counter_read(PD_CNT_EVICTIONS));
	pd_segment_flush(a->d.id, 32, false);
	pd_segment_flush(b->d.id, 32, false);
	pd_segment_flush(c->d.id, 32, false);
}

static void least_recently_used_goes_first(struct kunit *test)
{
	with_small_cap(test, evict_least_recently_used);
}

static void an_evicted_segment_stays_readable(struct kunit *test)
{
	struct made *m = make_segment(test, PD_V1_BLOCK_SIZE, 5);
	u64 objects = pd_counter_read(PD_CNT_OBJECTS);
	struct pd_segment *seg;
	loff_t pos = 0;
	u8 *back;

	back = kunit_kmalloc(test, PD_V1_BLOCK_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, back);
	KUNIT_ASSERT_EQ(test, 0, add(m));
	fill(test, m);
	seg = pd_segment_get(m->d.id, 32);
	KUNIT_ASSERT_NOT_NULL(test, seg);
	KUNIT_EXPECT_EQ(test, 0, pd_segment_flush(m->d.id, 32, false));
	KUNIT_EXPECT_TRUE(test, seg->evicted);
	KUNIT_EXPECT_EQ(test, PD_V1_BLOCK_SIZE,
			kernel_read(seg->data, back, PD_V1_BLOCK_SIZE, &pos));
	KUNIT_EXPECT_EQ(test, 0, memcmp(back, m->data, PD_V1_BLOCK_SIZE));
	KUNIT_EXPECT_EQ(test, objects + 1, pd_counter_read(PD_CNT_OBJECTS));
	pd_segment_put(seg);	/* the last reference: freed now */
	KUNIT_EXPECT_EQ(test, objects, pd_counter_read(PD_CNT_OBJECTS));
}

/* pccrc_reference.py's pattern(n, seed): xorshift64, the top byte of a multiply. */
static u8 *reference_pattern(struct kunit *test, size_t n, u64 seed)
{
	u8 *out = kunit_kmalloc(test, n, GFP_KERNEL);
	u64 x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, out);
	for (i = 0; i < n; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		out[i] = (x * 0x2545f4914f6cdd1dull) >> 56;
	}
	return out;
}

#define REF_V2_LEN	300000	/* pattern(300000, 11), V2, "no more secrets" */
static const u32 ref_v2_sizes[] = { 81654, 70878, 68571, 78897 };

/* The first segment's HoD, Kp and id in the reference's V2 output */
static const u8 ref_v2_hod[32] = {
	0x13, 0x22, 0x6f, 0x03, 0x84, 0x1b, 0xdb, 0xf0, 0x2a, 0xf3, 0x7e, 0xfb,
	0x49, 0x82, 0x96, 0x7f, 0x88, 0x42, 0x14, 0xf2, 0xd9, 0x9b, 0xfa, 0x33,
	0x12, 0x37, 0x0b, 0xf3, 0x7d, 0x80, 0x48, 0x40,
};

static const u8 ref_v2_kp[32] = {
	0x43, 0x7d, 0x89, 0x36, 0x1f, 0x4a, 0xf3, 0x30, 0x11, 0xb1, 0x15, 0x37,
	0xd0, 0x1f, 0x93, 0xf6, 0x74, 0x68, 0xd9, 0xd3, 0xee, 0x47, 0x33, 0xd4,
	0x24, 0x5b, 0x86, 0x20, 0x67, 0x8b, 0x5c, 0x1b,
};

static const u8 ref_v2_id[32] = {
	0xbc, 0xc8, 0x13, 0xa4, 0xb4, 0xc0, 0x9b, 0xd1, 0xdb, 0x88, 0x34, 0x84,
	0xee, 0x05, 0xb0, 0xcf, 0x05, 0x48, 0xfe, 0x3e, 0xcb, 0x40, 0xa7, 0x32,
	0x34, 0xd5, 0x2b, 0xd8, 0x62, 0xf5, 0x99, 0x0b,
};

static void chunker_cuts_where_the_reference_does(struct kunit *test)
{
	u8 *data = reference_pattern(test, REF_V2_LEN, 11);
	size_t pos = 0, cut;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ref_v2_sizes); i++) {
		cut = pd_chunk_next(data + pos, REF_V2_LEN - pos, true);
		KUNIT_EXPECT_EQ(test, (size_t)ref_v2_sizes[i], cut);
		pos += cut;
	}
	KUNIT_EXPECT_EQ(test, (size_t)REF_V2_LEN, pos);
	/* decided without the end: the same first cut, 0 when undecidable */
	KUNIT_EXPECT_EQ(test, (size_t)ref_v2_sizes[0], pd_chunk_next(data, REF_V2_LEN, false));
	KUNIT_EXPECT_EQ(test, (size_t)0, pd_chunk_next(data, 40000, false));
}

static void v2_segment_is_derived_as_the_reference_does(struct kunit *test)
{
	static const char secret[] = "no more secrets";
	u8 *data = reference_pattern(test, REF_V2_LEN, 11), ks[32];
	struct pd_segment *seg, *cached;

	KUNIT_ASSERT_EQ(test, 0,
			pd_hash(PD_HASH_V2_SHA512_TRUNC, secret, sizeof(secret) - 1, ks));
	seg = pd_segment_build(PD_HASH_V2_SHA512_TRUNC, ref_v2_sizes[0]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(seg));
	KUNIT_EXPECT_EQ(test, 1U, seg->desc.nblocks);
	KUNIT_EXPECT_EQ(test, seg->desc.size, seg->desc.block_size);
	KUNIT_ASSERT_EQ(test, 0, pd_segment_build_block(seg, 0, data));
	KUNIT_ASSERT_EQ(test, 0, pd_segment_seal(seg, ks));
	KUNIT_EXPECT_EQ(test, 0, memcmp(seg->desc.hod, ref_v2_hod, 32));
	KUNIT_EXPECT_EQ(test, 0, memcmp(seg->desc.kp, ref_v2_kp, 32));
	KUNIT_EXPECT_EQ(test, 0, memcmp(seg->desc.id, ref_v2_id, 32));
	pd_segment_put(seg);
	cached = pd_segment_get(ref_v2_id, 32);
	KUNIT_ASSERT_NOT_NULL(test, cached);
	KUNIT_EXPECT_EQ(test, (u32)PD_HASH_V2_SHA512_TRUNC, cached->desc.hash_alg);
	KUNIT_EXPECT_TRUE(test, test_bit(0, cached->present));
	pd_segment_put(cached);
	KUNIT_EXPECT_EQ(test, 0, pd_segment_flush(ref_v2_id, 32, false));
	/* too large for V2, or an algorithm the module does not build */
	seg = pd_segment_build(PD_HASH_V2_SHA512_TRUNC, PD_V2_MAX_SEGMENT + 1);
	KUNIT_EXPECT_TRUE(test, IS_ERR(seg));
	KUNIT_EXPECT_TRUE(test, IS_ERR(pd_segment_build(PD_HASH_SHA512, 100)));
}

/* CBC-AES128.Encrypt, NIST SP 800-38A F.2.1: key, IV, two blocks in and out */
static const u8 sp800_38a_key[16] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
};

static const u8 sp800_38a_iv[16] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

static const u8 sp800_38a_plain[32] = {
	0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
	0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
	0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c,
	0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
};

static const u8 sp800_38a_cipher[32] = {
	0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
	0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d,
	0x50, 0x86, 0xcb, 0x9b, 0x50, 0x72, 0x19, 0xee,
	0x95, 0xdb, 0x11, 0x3a, 0x91, 0x76, 0x78, 0xb2,
};

/*
 * The published vector, its blocks in two buffers (as ciphertext pieces
 * are); then a segment's 100-byte last block, read into two buffers and
 * encrypted, is its bytes and 12 zeroes encrypted in one.
 */
static void blocks_are_encrypted_as_msg_blk_carries_them(struct kunit *test)
{
	struct made *m = make_segment(test, PD_V1_BLOCK_SIZE + 100, 9);
	u8 buf[32], got[112], want[112];
	struct kvec two[2] = { { buf, 16 }, { buf + 16, 16 } };
	struct kvec one;
	struct pd_segment *seg;
	struct pd_cipher c;

	KUNIT_ASSERT_EQ(test, 0, pd_cipher_init(&c));
	memcpy(buf, sp800_38a_plain, 32);
	KUNIT_ASSERT_EQ(test, 0, pd_cipher_encrypt(&c, sp800_38a_key, 16, sp800_38a_iv,
						   two, 2));
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, sp800_38a_cipher, 32));
	one = (struct kvec){ buf, 20 };	/* not a multiple of 16 */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			pd_cipher_encrypt(&c, sp800_38a_key, 16, sp800_38a_iv, &one, 1));

	KUNIT_ASSERT_EQ(test, 0, add(m));
	seg = pd_segment_get(m->d.id, 32);
	KUNIT_ASSERT_NOT_NULL(test, seg);
	KUNIT_ASSERT_EQ(test, 0, pd_segment_put_block(seg, 1, m->data + PD_V1_BLOCK_SIZE, 100));
	memset(got, 0xa5, sizeof(got));	/* the padding must be zeroed */
	two[0] = (struct kvec){ got, 64 };
	two[1] = (struct kvec){ got + 64, 48 };
	KUNIT_EXPECT_EQ(test, 0, pd_segment_encrypt_block(&c, seg, 1, 16, sp800_38a_iv,
							  two, 2));
	memset(want, 0, sizeof(want));
	memcpy(want, m->data + PD_V1_BLOCK_SIZE, 100);
	one = (struct kvec){ want, sizeof(want) };
	KUNIT_ASSERT_EQ(test, 0, pd_cipher_encrypt(&c, m->d.kp, 16, sp800_38a_iv, &one, 1));
	KUNIT_EXPECT_EQ(test, 0, memcmp(got, want, sizeof(want)));
	/* past the last block, a key longer than Kp, room not the padded length */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			pd_segment_encrypt_block(&c, seg, 2, 16, sp800_38a_iv, two, 2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			pd_segment_encrypt_block(&c, seg, 1, 48, sp800_38a_iv, two, 2));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			pd_segment_encrypt_block(&c, seg, 1, 16, sp800_38a_iv, two, 1));
	pd_segment_put(seg);
	pd_cipher_exit(&c);
	KUNIT_EXPECT_EQ(test, 0, pd_segment_flush(m->d.id, 32, false));
}

struct vector_on_cpu {
	struct pd_cipher *c;
	u8 buf[32];
};

static long encrypt_vector(void *arg)
{
	struct vector_on_cpu *v = arg;
	struct kvec all = { v->buf, sizeof(v->buf) };

	memcpy(v->buf, sp800_38a_plain, sizeof(v->buf));
	return pd_cipher_encrypt(v->c, sp800_38a_key, 16, sp800_38a_iv, &all, 1);
}

/* Each CPU encrypts with a cipher of its own: every one is keyed and right. */
static void every_cpus_cipher_encrypts_the_vector(struct kunit *test)
{
	struct vector_on_cpu v;
	struct pd_cipher c;
	unsigned int cpu;

	KUNIT_ASSERT_EQ(test, 0, pd_cipher_init(&c));
	KUNIT_EXPECT_EQ(test, min_t(unsigned int, num_possible_cpus(), PD_CIPHER_SLOTS_MAX),
			c.n);
	v.c = &c;
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		KUNIT_EXPECT_EQ(test, 0, work_on_cpu(cpu, encrypt_vector, &v));
		KUNIT_EXPECT_EQ(test, 0, memcmp(v.buf, sp800_38a_cipher, sizeof(v.buf)));
	}
	cpus_read_unlock();
	pd_cipher_exit(&c);
	KUNIT_EXPECT_EQ(test, 0U, c.n);
}

static struct kunit_case pd_cases[] = {
	KUNIT_CASE(digests_match_published_vectors),
	KUNIT_CASE(descriptions_are_checked_before_they_are_kept),
	KUNIT_CASE(blocks_are_verified_before_they_are_present),
	KUNIT_CASE(least_recently_used_goes_first),
	KUNIT_CASE(an_evicted_segment_stays_readable),
	KUNIT_CASE(chunker_cuts_where_the_reference_does),
	KUNIT_CASE(v2_segment_is_derived_as_the_reference_does),
	KUNIT_CASE(blocks_are_encrypted_as_msg_blk_carries_them),
	KUNIT_CASE(every_cpus_cipher_encrypts_the_vector),
	{}
};

static struct kunit_suite pd_suite = {
	.name = "peerdist",
	.test_cases = pd_cases,
};

kunit_test_suites(&pd_suite);
