// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of peerdist.ko's hash offload, in the qemu guest: without a
 * server secret nothing is hashed; only an administrator sets it; the
 * content information the module computes from a file's pages is exactly
 * what MS-PCCRC derives (computed here with OpenSSL), read in pieces; its
 * segments are in the cache, readable; an unchanged file is not hashed
 * again, a changed one is, and the old result is gone (ESTALE); what is not
 * a readable regular file is refused.
 */
#define _GNU_SOURCE	/* before any header: memmem, SEEK_DATA */
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "seg_helpers.h"

#define SEGMENT (32u << 20)
#define SIZE (SEGMENT + 100000)	/* two segments: two pieces of CI */

static const char secret[] = "peerdist selftest secret";

static int set_secret(struct nl_sock *s, int family)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_SET_SECRET, NULL, 0, 4096);

	nla_put(m, PEERDIST_A_SECRET, sizeof(secret) - 1, secret);
	return send_and_ack(s, m);
}

static int hash_file(struct nl_sock *s, int family, int fd, struct ci_reply *r)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_HASH_FILE, NULL, 0, 4096);

	nla_put_u32(m, PEERDIST_A_FD, fd);
	memset(r, 0, sizeof(*r));
	return ask(s, m, parse_ci_reply, r);
}

static int piece(struct nl_sock *s, int family, struct ci_reply *r)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_GET_CONTENT_INFO, NULL, 0, 4096);

	nla_put_u64(m, PEERDIST_A_GENERATION, r->generation);
	nla_put_u64(m, PEERDIST_A_CI_OFFSET, r->offset);
	r->len = 0;
	return ask(s, m, parse_ci_reply, r);
}

static uint8_t *content(void)
{
	uint8_t *d = malloc(SIZE);
	uint64_t i;

	for (i = 0; i < SIZE; i += 8)
		*(uint64_t *)(d + i) = i * 0x9e3779b97f4a7c15ull;
	return d;
}

static uint8_t *put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
	return p + n;
}

/* MS-PCCRC version 1 for data, as Windows derives it, into ci; its length. */
static size_t expected_ci(const uint8_t *data, uint8_t *ci)
{
	uint32_t nseg = (SIZE + SEGMENT - 1) / SEGMENT, s, b, nb;
	uint8_t ks[32], *p = ci, *hashes = malloc(512 * 32), (*hod)[32], (*kp)[32];
	uint8_t *blocks = ci + 18 + 80 * nseg;
	unsigned int len;

	hod = malloc(32 * nseg);
	kp = malloc(32 * nseg);
	SHA256((const uint8_t *)secret, sizeof(secret) - 1, ks);
	p = put_le(p, 0x0100, 2);
	p = put_le(p, 0x800C, 4);
	p = put_le(p, 0, 4);
	p = put_le(p, 0, 4);
	p = put_le(p, nseg, 4);
	for (s = 0; s < nseg; s++) {
		uint64_t off = (uint64_t)s * SEGMENT;
		uint32_t size = SIZE - off < SEGMENT ? SIZE - off : SEGMENT;

		nb = (size + BLOCK - 1) / BLOCK;
		for (b = 0; b < nb; b++)
			SHA256(data + off + (uint64_t)b * BLOCK,
			       size - b * BLOCK < BLOCK ? size - b * BLOCK : BLOCK,
			       hashes + 32 * b);
		SHA256(hashes, 32 * nb, hod[s]);
		HMAC(EVP_sha256(), ks, 32, hod[s], 32, kp[s], &len);
		p = put_le(p, off, 8);
		p = put_le(p, size, 4);
		p = put_le(p, BLOCK, 4);
		memcpy(p, hod[s], 32);
		memcpy(p + 32, kp[s], 32);
		p += 64;
		blocks = put_le(blocks, nb, 4);
		memcpy(blocks, hashes, 32 * nb);
		blocks += 32 * nb;
	}
	free(hashes);
	free(hod);
	free(kp);
	return blocks - ci;
}

/* The first segment's id, from the content information's first description. */
static void first_id(const uint8_t *ci, uint8_t id[32])
{
	uint8_t msg[62];
	unsigned int len = 32;

	memcpy(msg, ci + 18 + 16, 32);
	memcpy(msg + 32, c2, 30);
	HMAC(EVP_sha256(), ci + 18 + 48, 32, msg, sizeof(msg), id, &len);
}

TEST(hash_offload)
{
	struct nl_sock *s;
	struct ci_reply r, again;
	uint8_t *data = content(), *want = malloc(200000), *got, id[32], buf[100];
	size_t want_len;
	int family, fd, sfd;
	pid_t pid;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	fd = open("/tmp/published", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)SIZE, write(fd, data, SIZE));

	/* no secret: nothing hashed; an unprivileged user cannot set one */
	EXPECT_GT(0, hash_file(s, family, fd, &r));
	pid = fork();
	if (!pid) {
		setgid(65534);
		setuid(65534);
		_exit(set_secret(s, family) == -NLE_PERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &sfd, 0));
	EXPECT_EQ(0, WEXITSTATUS(sfd));
	ASSERT_EQ(0, set_secret(s, family));

	/* the module's content information is the one MS-PCCRC derives */
	ASSERT_EQ(0, hash_file(s, family, fd, &r));
	want_len = expected_ci(data, want);
	ASSERT_EQ(want_len, r.length);
	got = r.data = malloc(r.length);
	for (r.offset = 0; r.offset < r.length; r.offset += r.len) {
		ASSERT_LE(0, piece(s, family, &r));
		ASSERT_LT(0, r.len);
	}
	EXPECT_GT(r.length, 16000);	/* it came in more than one piece */
	EXPECT_EQ(0, memcmp(got, want, want_len));

	/* its segments are in the cache */
	first_id(want, id);
	sfd = seg_open(s, family, id);
	ASSERT_LE(0, sfd);
	EXPECT_EQ(100, pread(sfd, buf, 100, 12345));
	EXPECT_EQ(0, memcmp(buf, data + 12345, 100));
	close(sfd);

	/* unchanged: kept; changed: hashed again, the old result gone */
	ASSERT_EQ(0, hash_file(s, family, fd, &again));
	EXPECT_EQ(r.generation, again.generation);
	ASSERT_EQ(1, pwrite(fd, "x", 1, 7));
	ASSERT_EQ(0, hash_file(s, family, fd, &again));
	EXPECT_NE(r.generation, again.generation);
	r.offset = 0;
	EXPECT_GT(0, piece(s, family, &r));

	/* a directory, a write-only fd: refused */
	sfd = open("/tmp", O_RDONLY | O_DIRECTORY);
	EXPECT_GT(0, hash_file(s, family, sfd, &again));
	close(sfd);
	sfd = open("/tmp/published", O_WRONLY);
	EXPECT_GT(0, hash_file(s, family, sfd, &again));
	close(sfd);
	EXPECT_GT(0, hash_file(s, family, 999, &again));

	close(fd);
	unlink("/tmp/published");
	free(got);
	free(want);
	free(data);
	nl_socket_free(s);
}

TEST_HARNESS_MAIN
