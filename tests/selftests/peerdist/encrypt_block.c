// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of Kp staying in peerdist.ko, in the qemu guest: an open by
 * segment id alone (the service's way) returns neither HoD nor Kp, even to
 * root; encrypt-block, the service's way of serving such a segment, is
 * CAP_NET_ADMIN's (EPERM for an unprivileged user); and its ciphertext is
 * what MS-PCCRR MSG_BLK carries: AES-CBC with the first 16 (or 32) bytes
 * of Kp and the caller's IV over the block zero-padded to 16 bytes, which
 * the test (it added the segment: it knows Kp) decrypts to the block.
 */
#define _GNU_SOURCE
#include <openssl/evp.h>

#include "kselftest_harness.h"

#include "seg_helpers.h"

struct sealed {
	uint8_t data[BLOCK + 16];
	size_t len;
	int err, done;		/* the module's -errno; the ACK or error came */
	int overflow;		/* more ciphertext than a block's */
};

static int on_pieces(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct sealed *r = arg;
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (nla_type(a) != PEERDIST_A_CIPHERTEXT)
			continue;
		if (r->len + nla_len(a) > sizeof(r->data)) {
			r->overflow = 1;
			continue;
		}
		memcpy(r->data + r->len, nla_data(a), nla_len(a));
		r->len += nla_len(a);
	}
	return NL_OK;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct sealed *r = arg;

	r->err = e->error;
	r->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	((struct sealed *)arg)->done = 1;
	return NL_STOP;
}

/* encrypt-block (algo 0: none asked for); r->err is the module's answer. */
static int encrypt_block(struct nl_sock *s, int family, const uint8_t *id, uint32_t index,
			 uint32_t algo, const uint8_t iv[16], struct sealed *r)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_ENCRYPT_BLOCK, id, 32, 4096);
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	memset(r, 0, sizeof(*r));
	nla_put_u32(m, PEERDIST_A_BLOCK_INDEX, index);
	nla_put(m, PEERDIST_A_IV, 16, iv);
	if (algo)
		nla_put_u32(m, PEERDIST_A_CRYPTO_ALGO, algo);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_pieces, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	/* a 64 KiB block's reply, and room behind it for the ACK */
	nl_socket_enable_msg_peek(s);
	nl_socket_set_buffer_size(s, 1 << 20, 0);
	err = nl_send_auto(s, m);
	nlmsg_free(m);
	while (err >= 0 && !r->done)
		err = nl_recvmsgs(s, cb);	/* libnl's code for the module's error */
	nl_cb_put(cb);
	return r->err ? r->err : err < 0 ? err : 0;
}

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
};

FIXTURE_SETUP(kp)
{
	int fd;

	self->s = nl_open(&self->family);
	ASSERT_NE(NULL, self->s);
	ASSERT_LE(0, self->family);
	seg_make(&self->a, 2 * BLOCK + 100, 61);
	seg_make(&self->b, BLOCK, 62);
	ASSERT_EQ(0, seg_add(self->s, self->family, &self->a));
	ASSERT_EQ(0, seg_add(self->s, self->family, &self->b));
	fd = seg_open(self->s, self->family, self->a.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, seg_fill(fd, &self->a));
	close(fd);
}

FIXTURE_TEARDOWN(kp)
{
	seg_flush(self->s, self->family, self->a.id);
	seg_flush(self->s, self->family, self->b.id);
	free(self->a.data);
	free(self->b.data);
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
	struct sealed r;

	return encrypt_block(s, family, a->id, 0, 0, iv, &r) == -EPERM && !r.len ? 0 : 2;
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
	static struct sealed r, again;
	uint8_t iv[16];
	uint32_t i;

	for (i = 0; i < 16; i++)
		iv[i] = (uint8_t)(index * 16 + i + algo);
	ASSERT_EQ(0, encrypt_block(s, family, a->id, index, algo, iv, &r));
	EXPECT_EQ(0, r.overflow);
	ASSERT_EQ(padded, r.len);
	ASSERT_EQ(0, decrypt(c, a->kp, iv, r.data, r.len, plain));
	memset(want, 0, sizeof(want));
	memcpy(want, a->data + (size_t)index * BLOCK, len);
	EXPECT_EQ(0, memcmp(plain, want, padded));	/* the block, then zeroes */
	/* another IV, another ciphertext: the IV is the caller's */
	iv[0] ^= 0x80;
	ASSERT_EQ(0, encrypt_block(s, family, a->id, index, algo, iv, &again));
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
	struct sealed r;

	EXPECT_EQ(-ENODATA, encrypt_block(self->s, self->family, self->b.id, 0, 0, iv, &r));
	memcpy(unknown, self->a.id, 32);
	unknown[0] ^= 1;
	EXPECT_EQ(-ENOENT, encrypt_block(self->s, self->family, unknown, 0, 0, iv, &r));
	EXPECT_EQ(-EINVAL, encrypt_block(self->s, self->family, self->a.id, 3, 0, iv, &r));
	EXPECT_EQ(-ERANGE, encrypt_block(self->s, self->family, self->a.id, 0, 4, iv, &r));
	EXPECT_EQ(0, r.len);
}

TEST_HARNESS_MAIN
