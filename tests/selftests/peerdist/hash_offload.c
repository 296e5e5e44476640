// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of peerdist.ko's hash offload, in the qemu guest: without a
 * server secret nothing is hashed; only an administrator sets it; the
 * content information the module computes from a file's pages is exactly
 * what MS-PCCRC derives (computed here with OpenSSL), read in pieces; its
 * segments are in the cache, readable; an unchanged file is not hashed
 * again, a changed one is, and the old result is gone (ESTALE); what is not
 * a readable regular file is refused. Version 2 (ci-version 2): byte for
 * byte what the user-space generator (`peerdist hash --v2`) writes for the
 * same file and secret, every segment's HoD and Kp checked here with
 * OpenSSL and its segments in the cache as V2 segments; kept (no byte
 * hashed again) while the file is unchanged, side by side with version 1,
 * both dropped when the file changes; any other version refused.
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

/* hash-file; a negative version: without ci-version (the default, 1). */
static int hash_file_v(struct nl_sock *s, int family, int fd, int version,
		       struct ci_reply *r)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_HASH_FILE, NULL, 0, 4096);

	nla_put_u32(m, PEERDIST_A_FD, fd);
	if (version >= 0)
		nla_put_u8(m, PEERDIST_A_CI_VERSION, version);
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	return ask(s, m, parse_ci_reply, r);
}

static int hash_file(struct nl_sock *s, int family, int fd, struct ci_reply *r)
{
	return hash_file_v(s, family, fd, -1, r);
}

static int piece(struct nl_sock *s, int family, struct ci_reply *r)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_GET_CONTENT_INFO, NULL, 0, 4096);

	nla_put_u32(m, PEERDIST_A_FD, r->fd);
	nla_put_u64(m, PEERDIST_A_GENERATION, r->generation);
	nla_put_u64(m, PEERDIST_A_CI_OFFSET, r->offset);
	r->len = 0;
	return ask(s, m, parse_ci_reply, r);
}

/* The whole result of a hash-file reply r, in pieces, into r->data (new). */
static int fetch(struct nl_sock *s, int family, struct ci_reply *r)
{
	int err = 0;

	r->data = malloc(r->length);
	for (r->offset = 0; !err && r->offset < r->length; r->offset += r->len) {
		err = piece(s, family, r);
		if (!err && r->len <= 0)
			err = -NLE_MSG_TRUNC;
	}
	return err;
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

/*
 * 32 MiB hashed under TCG on a loaded host can pass the default 30 s;
 * one fixture keeps the tests in order (the first needs no secret set).
 */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, hash_offload, 300)
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
	ASSERT_EQ(0, fetch(s, family, &r));
	got = r.data;
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

static int unpublish(struct nl_sock *s, int family, int fd)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_UNPUBLISH, NULL, 0, 4096);

	nla_put_u32(m, PEERDIST_A_FD, fd);
	return send_and_ack(s, m);
}

/* Unpublishing drops the kept result and evicts the file's segments. */
TEST_F_TIMEOUT(slow, unpublishing_evicts_and_forgets, 300)
{
	uint8_t *data = content(), *ci = malloc(200000), id[32];
	struct ci_reply r = { 0 };
	struct nl_sock *s;
	int family, fd, status;
	pid_t pid;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_secret(s, family));
	fd = open("/tmp/unpublished", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)SIZE, write(fd, data, SIZE));
	EXPECT_EQ(-NLE_OBJ_NOTFOUND, unpublish(s, family, fd));	/* nothing kept */
	ASSERT_EQ(0, hash_file(s, family, fd, &r));
	expected_ci(data, ci);
	first_id(ci, id);
	status = seg_open(s, family, id);
	ASSERT_LE(0, status);
	close(status);
	/* only the file's owner (or an administrator) */
	pid = fork();
	if (!pid) {
		setgid(65534);
		setuid(65534);
		_exit(unpublish(s, family, fd) == -NLE_PERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, unpublish(s, family, fd));
	EXPECT_GT(0, seg_open(s, family, id));
	r.offset = 0;
	EXPECT_GT(0, piece(s, family, &r));
	EXPECT_EQ(-NLE_OBJ_NOTFOUND, unpublish(s, family, fd));
	close(fd);
	unlink("/tmp/unpublished");
	free(ci);
	free(data);
	nl_socket_free(s);
}

#define V2_FILE "/tmp/published-v2"
#define V2_SIZE ((5u << 20) + 12345)	/* about 70 segments */
#define V2_SECRET "/tmp/v2-secret"
#define V2_USER_CI "/tmp/v2-user.ci"

static uint32_t be(const uint8_t *p, int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* SHA-512 of a || b, or its HMAC keyed with key (32 bytes): the first 32 bytes. */
static void h512(const uint8_t *key, const void *a, size_t alen, const void *b,
		 size_t blen, uint8_t out[32])
{
	uint8_t full[64], *msg = malloc(alen + blen + 1);
	unsigned int len = 64;

	memcpy(msg, a, alen);
	if (blen)
		memcpy(msg + alen, b, blen);
	if (key)
		HMAC(EVP_sha512(), key, 32, msg, alen + blen, full, &len);
	else
		SHA512(msg, alen + blen, full);
	memcpy(out, full, 32);
	free(msg);
}

/*
 * Checks ci (V2, one chunk) against data: the segments cover it with
 * lengths the chunker allows, and each HoD and Kp is what MS-PCCRC
 * derives. The number of segments, or -1; the first segment's id.
 */
static int check_v2(const uint8_t *ci, size_t len, const uint8_t *data,
		    size_t size, uint8_t first_id[32])
{
	uint8_t ks[32], want[32], msg[62];
	size_t off = 0, n, i;
	uint32_t seg;

	if (len < 36 || ci[0] != 0 || ci[1] != 2 || ci[2] != 4 || ci[31] != 0 ||
	    be(ci + 32, 4) != len - 36 || (len - 36) % 68)
		return -1;
	n = (len - 36) / 68;
	h512(NULL, secret, sizeof(secret) - 1, NULL, 0, ks);
	for (i = 0; i < n; i++) {
		const uint8_t *d = ci + 36 + 68 * i;

		seg = be(d, 4);
		if (!seg || seg > (128u << 10) || off + seg > size ||
		    (seg < (32u << 10) && off + seg != size))
			return -1;
		h512(NULL, data + off, seg, NULL, 0, want);
		if (memcmp(want, d + 4, 32))
			return -1;
		h512(ks, d + 4, 32, NULL, 0, want);
		if (memcmp(want, d + 36, 32))
			return -1;
		if (!i) {
			memcpy(msg, d + 4, 32);
			memcpy(msg + 32, c2, 30);
			h512(d + 36, msg, sizeof(msg), NULL, 0, first_id);
		}
		off += seg;
	}
	return off == size ? (int)n : -1;
}

/* What open-segment answers. */
struct opened {
	int fd;
	uint32_t hash_alg, size, block_size;
};

static int parse_open(struct nl_msg *msg, void *arg)
{
	struct nlattr *a[PEERDIST_A_MAX + 1];
	struct opened *o = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, PEERDIST_A_MAX, NULL) || !a[PEERDIST_A_FD] ||
	    !a[PEERDIST_A_HASH_ALG] || !a[PEERDIST_A_SEGMENT_SIZE] || !a[PEERDIST_A_BLOCK_SIZE])
		return NL_SKIP;
	o->fd = nla_get_u32(a[PEERDIST_A_FD]);
	o->hash_alg = nla_get_u32(a[PEERDIST_A_HASH_ALG]);
	o->size = nla_get_u32(a[PEERDIST_A_SEGMENT_SIZE]);
	o->block_size = nla_get_u32(a[PEERDIST_A_BLOCK_SIZE]);
	return NL_OK;
}

/* What the user-space generator writes: peerdist hash --v2, same secret. */
static uint8_t *user_v2(size_t *len)
{
	struct stat st;
	uint8_t *ci;
	int fd;

	fd = open(V2_SECRET, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, secret, sizeof(secret) - 1) != sizeof(secret) - 1)
		return NULL;
	close(fd);
	if (system("/bin/peerdist hash --v2 --secret-file " V2_SECRET " -o " V2_USER_CI
		   " " V2_FILE))
		return NULL;
	fd = open(V2_USER_CI, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return NULL;
	ci = malloc(st.st_size);
	*len = read(fd, ci, st.st_size);
	close(fd);
	return ci;
}

TEST_F_TIMEOUT(slow, hash_offload_v2, 300)
{
	uint8_t *data = malloc(V2_SIZE), *user, id[32], buf[100];
	struct ci_reply v2, v1, again, old;
	struct opened seg = { .fd = -1 };
	long long hashed;
	uint64_t x = 0x2545f4914f6cdd1dull;
	size_t user_len, i;
	struct nl_sock *s;
	int family, fd, n;

	if (access("/bin/peerdist", X_OK))
		SKIP(return, "no /bin/peerdist to compare with");
	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_secret(s, family));
	for (i = 0; i < V2_SIZE; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		data[i] = (x * 0x2545f4914f6cdd1dull) >> 56;
	}
	fd = open(V2_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)V2_SIZE, write(fd, data, V2_SIZE));

	/* the module's V2 is the user-space generator's, byte for byte */
	ASSERT_EQ(0, hash_file_v(s, family, fd, 2, &v2));
	ASSERT_EQ(0, fetch(s, family, &v2));
	user = user_v2(&user_len);
	ASSERT_NE(NULL, user);
	EXPECT_EQ(user_len, v2.length);
	EXPECT_EQ(0, memcmp(user, v2.data, user_len < v2.length ? user_len : v2.length));
	n = check_v2(v2.data, v2.length, data, V2_SIZE, id);
	EXPECT_LT(40, n);
	printf("# V2: %d segments, %llu bytes of content information\n", n,
	       (unsigned long long)v2.length);

	/* its segments are in the cache, as V2 segments: one block, their size */
	ASSERT_EQ(0, ask(s, seg_request(family, PEERDIST_CMD_OPEN_SEGMENT, id, 32, 4096),
			 parse_open, &seg));
	ASSERT_LE(0, seg.fd);
	EXPECT_EQ(4, seg.hash_alg);
	EXPECT_EQ(be(v2.data + 36, 4), seg.size);
	EXPECT_EQ(seg.size, seg.block_size);
	EXPECT_EQ(100, pread(seg.fd, buf, 100, 1000));
	EXPECT_EQ(0, memcmp(buf, data + 1000, 100));
	close(seg.fd);

	/* unchanged: kept, nothing hashed again; V1 of the same file beside it */
	hashed = read_sysfs(SYSFS "hash_bytes");
	ASSERT_EQ(0, hash_file_v(s, family, fd, 2, &again));
	EXPECT_EQ(v2.generation, again.generation);
	EXPECT_EQ(hashed, read_sysfs(SYSFS "hash_bytes"));
	ASSERT_EQ(0, hash_file_v(s, family, fd, 1, &v1));
	EXPECT_NE(v2.generation, v1.generation);
	EXPECT_LT(hashed + V2_SIZE - 1, read_sysfs(SYSFS "hash_bytes"));
	hashed = read_sysfs(SYSFS "hash_bytes");
	ASSERT_EQ(0, hash_file(s, family, fd, &again));	/* the default is 1 */
	EXPECT_EQ(v1.generation, again.generation);
	ASSERT_EQ(0, hash_file_v(s, family, fd, 2, &again));
	EXPECT_EQ(v2.generation, again.generation);
	EXPECT_EQ(hashed, read_sysfs(SYSFS "hash_bytes"));
	old = v1;
	old.data = NULL;
	old.offset = 0;
	EXPECT_EQ(0, piece(s, family, &old));	/* both readable */

	/* changed: hashed again; the old results of both versions are gone */
	ASSERT_EQ(1, pwrite(fd, "x", 1, V2_SIZE / 2));
	data[V2_SIZE / 2] = 'x';
	ASSERT_EQ(0, hash_file_v(s, family, fd, 2, &again));
	EXPECT_NE(v2.generation, again.generation);
	EXPECT_LT(hashed, read_sysfs(SYSFS "hash_bytes"));
	ASSERT_EQ(0, fetch(s, family, &again));
	EXPECT_LT(40, check_v2(again.data, again.length, data, V2_SIZE, id));
	old = v2;
	old.data = NULL;
	old.offset = 0;
	EXPECT_GT(0, piece(s, family, &old));
	old = v1;
	old.data = NULL;
	old.offset = 0;
	EXPECT_GT(0, piece(s, family, &old));
	free(again.data);

	/* any other version: refused by the policy, before the handler */
	EXPECT_EQ(-NLE_RANGE, hash_file_v(s, family, fd, 3, &again));
	EXPECT_EQ(-NLE_RANGE, hash_file_v(s, family, fd, 255, &again));
	EXPECT_EQ(-NLE_RANGE, hash_file_v(s, family, fd, 0, &again));

	close(fd);
	unlink(V2_FILE);
	unlink(V2_USER_CI);
	unlink(V2_SECRET);
	free(user);
	free(v2.data);
	free(data);
	nl_socket_free(s);
}

TEST_HARNESS_MAIN
