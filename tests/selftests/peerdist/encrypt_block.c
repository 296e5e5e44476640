// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of Kp staying in peerdist.ko, in the qemu guest: an open by
 * segment id alone (the service's way) returns neither HoD nor Kp, even to
 * root; encrypt-block, the service's way of serving such a segment, is
 * CAP_NET_ADMIN's (EPERM for an unprivileged user); and its ciphertext is
 * what MS-PCCRR MSG_BLK carries: AES-CBC with the first 16 (or 32) bytes
 * of Kp and the caller's IV over the block zero-padded to 16 bytes, which
 * the test (it added the segment: it knows Kp) decrypts to the block.
 * Callers on sockets of their own are served at once, each with its key.
 */
#define _GNU_SOURCE
#include <openssl/evp.h>
#include <pthread.h>

#include "kselftest_harness.h"

#include "seg_helpers.h"

/* AES-CBC decryption, no padding removed: len bytes of in into out. */
static int decrypt(const EVP_CIPHER *c, const uint8_t *key, const uint8_t iv[16],
		   const uint8_t *in, int len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = ctx && EVP_DecryptInit_ex(ctx, c, NULL, key, iv) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_DecryptUpdate(ctx, out, &n, in, len) && n == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

FIXTURE(kp) {
	struct nl_sock *s;
	int family;
	struct seg a;		/* 2 blocks and 100 bytes, all present */
	struct seg b;		/* one block, absent */
	struct seg c;		/* 2 blocks, all present, another Kp */
};

static void fill(struct __test_metadata *_metadata, struct nl_sock *s, int family,
		 const struct seg *a)
{
	int fd = seg_open(s, family, a->id);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, seg_fill(fd, a));
	close(fd);
}

FIXTURE_SETUP(kp)
{
	self->s = nl_open(&self->family);
	ASSERT_NE(NULL, self->s);
	ASSERT_LE(0, self->family);
	seg_make(&self->a, 2 * BLOCK + 100, 61);
	seg_make(&self->b, BLOCK, 62);
	ASSERT_EQ(0, seg_add(self->s, self->family, &self->a));
	ASSERT_EQ(0, seg_add(self->s, self->family, &self->b));
	seg_make(&self->c, 2 * BLOCK, 63);
	ASSERT_EQ(0, seg_add(self->s, self->family, &self->c));
	fill(_metadata, self->s, self->family, &self->a);
	fill(_metadata, self->s, self->family, &self->c);
}

FIXTURE_TEARDOWN(kp)
{
	seg_flush(self->s, self->family, self->a.id);
	seg_flush(self->s, self->family, self->b.id);
	seg_flush(self->s, self->family, self->c.id);
	free(self->a.data);
	free(self->b.data);
	free(self->c.data);
	nl_socket_free(self->s);
}

TEST_F(kp, an_open_by_id_alone_returns_no_hod_or_kp_even_to_root)
{
	struct secrets_seen o = { .fd = -1 };

	ASSERT_EQ(0, geteuid());
	ASSERT_LE(0, ask(self->s, seg_request(self->family, PEERDIST_CMD_OPEN_SEGMENT,
					      self->a.id, 32, 4096), parse_secrets, &o));
	ASSERT_LE(0, o.fd);
	EXPECT_EQ(0, o.hod);
	EXPECT_EQ(0, o.kp);
	close(o.fd);
}

static int encrypt_as_nobody(struct nl_sock *s, int family, void *arg)
{
	const struct seg *a = arg;
	uint8_t iv[16] = { 1 };
	struct seg_sealed r;

	return seg_encrypt_block(s, family, a->id, 0, 0, iv, &r) == -EPERM && !r.len ? 0 : 2;
}

TEST_F(kp, encrypt_block_is_refused_to_an_unprivileged_user)
{
	EXPECT_EQ(0, as_nobody(encrypt_as_nobody, &self->a));
}

/* Block index of a, encrypted by the module, decrypts with Kp to the block. */
static void check_block(struct __test_metadata *_metadata, struct nl_sock *s, int family,
			const struct seg *a, uint32_t index, uint32_t algo)
{
	const EVP_CIPHER *c = algo == 3 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
	uint32_t len = seg_block_len(a, index), padded = (len + 15) / 16 * 16;
	static uint8_t plain[BLOCK + 16], want[BLOCK + 16];
	static struct seg_sealed r, again;
	uint8_t iv[16];
	uint32_t i;

	for (i = 0; i < 16; i++)
		iv[i] = (uint8_t)(index * 16 + i + algo);
	ASSERT_EQ(0, seg_encrypt_block(s, family, a->id, index, algo, iv, &r));
	EXPECT_EQ(0, r.overflow);
	ASSERT_EQ(padded, r.len);
	ASSERT_EQ(0, decrypt(c, a->kp, iv, r.data, r.len, plain));
	memset(want, 0, sizeof(want));
	memcpy(want, a->data + (size_t)index * BLOCK, len);
	EXPECT_EQ(0, memcmp(plain, want, padded));	/* the block, then zeroes */
	/* another IV, another ciphertext: the IV is the caller's */
	iv[0] ^= 0x80;
	ASSERT_EQ(0, seg_encrypt_block(s, family, a->id, index, algo, iv, &again));
	ASSERT_EQ(padded, again.len);
	EXPECT_NE(0, memcmp(r.data, again.data, padded));
}

TEST_F(kp, the_ciphertext_decrypts_with_kp_to_the_block)
{
	check_block(_metadata, self->s, self->family, &self->a, 0, 0);	/* AES-128 by default */
	check_block(_metadata, self->s, self->family, &self->a, 1, 1);
	check_block(_metadata, self->s, self->family, &self->a, 2, 1);	/* 100 bytes: padded */
	check_block(_metadata, self->s, self->family, &self->a, 2, 3);	/* AES-256 */
}

TEST_F(kp, absent_blocks_unknown_segments_and_bad_indexes_are_told)
{
	uint8_t iv[16] = { 0 }, unknown[32];
	struct seg_sealed r;

	EXPECT_EQ(-ENODATA, seg_encrypt_block(self->s, self->family, self->b.id, 0, 0, iv, &r));
	memcpy(unknown, self->a.id, 32);
	unknown[0] ^= 1;
	EXPECT_EQ(-ENOENT, seg_encrypt_block(self->s, self->family, unknown, 0, 0, iv, &r));
	EXPECT_EQ(-EINVAL, seg_encrypt_block(self->s, self->family, self->a.id, 3, 0, iv, &r));
	EXPECT_EQ(-ERANGE, seg_encrypt_block(self->s, self->family, self->a.id, 0, 4, iv, &r));
	EXPECT_EQ(0, r.len);
}

#define CONCURRENT_ROUNDS	64

/* A caller of its own socket, encrypting one segment's blocks with its Kp. */
struct encrypter {
	const struct seg *seg;
	int wrong;		/* requests refused or ciphertexts not the block's */
};

static void *encrypt_rounds(void *arg)
{
	struct encrypter *e = arg;
	const struct seg *a = e->seg;
	static __thread struct seg_sealed r;
	static __thread uint8_t plain[BLOCK + 16];
	uint8_t iv[16] = { 0 };
	uint32_t round, index, len;
	int family;
	struct nl_sock *s = nl_open(&family);

	for (round = 0; round < CONCURRENT_ROUNDS; round++) {
		index = round % 2;
		len = seg_block_len(a, index);
		iv[0] = (uint8_t)round;
		if (!s || seg_encrypt_block(s, family, a->id, index, 1, iv, &r) ||
		    r.len != len ||
		    decrypt(EVP_aes_128_cbc(), a->kp, iv, r.data, (int)r.len, plain) ||
		    memcmp(plain, a->data + (size_t)index * BLOCK, len))
			e->wrong++;
	}
	nl_socket_free(s);
	return NULL;
}

TEST_F(kp, callers_at_once_each_get_their_keys_ciphertext)
{
	struct encrypter e[2] = { { &self->a }, { &self->c } };
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, encrypt_rounds, &e[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, e[i].wrong);
	}
}

TEST_HARNESS_MAIN
