// SPDX-License-Identifier: GPL-2.0-only
/*
 * A bounded netlink fuzzer for peerdist.ko, run in the qemu guest: for a
 * number of seconds (argv[1], default 60) it sends every command, and
 * numbers past them, with random attributes (random types, lengths of
 * the edges the policy cares about, random bytes) and with mutations of
 * valid requests (a byte flipped, an attribute cut short, dropped or
 * doubled). Every fd a reply hands out is closed. The kernel side is the
 * judge: the guest runs with panic_on_warn, and tests/vm/run fails on any
 * WARNING, BUG, KASAN or lockdep report in dmesg. At the end the module
 * must still answer get-status and unload (no fd or segment left held).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "kselftest_harness.h"

#include "seg_helpers.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned int below(unsigned int n)
{
	return n ? next() % n : 0;
}

/* Lengths where a policy or a handler draws a line, and some others. */
static int pick_len(void)
{
	static const int edges[] = { 0, 1, 2, 3, 4, 7, 8, 9, 31, 32, 33, 48, 63, 64, 65,
				     1000, 4000, 4001, 16000, 32768, 32769, 60000, 64000 };

	return below(4) ? edges[below(sizeof(edges) / sizeof(edges[0]))] : (int)below(200);
}

static uint8_t scratch[64 * 1024 + 16];

static void fill(uint8_t *p, int len)
{
	int i;

	for (i = 0; i < len; i++)
		p[i] = below(3) ? (uint8_t)next() : (uint8_t[]){ 0, 0xff, 1, 0x80 }[below(4)];
}

/* Closes every fd attribute of a reply. */
static void close_fds(struct nlmsghdr *h)
{
	struct nlattr *a[PEERDIST_A_MAX + 1];
	int fd;

	if (genlmsg_parse(h, 0, a, PEERDIST_A_MAX, NULL) || !a[PEERDIST_A_FD])
		return;
	fd = nla_get_u32(a[PEERDIST_A_FD]);
	if (fd > 2)
		close(fd);
}

/*
 * Sends m and reads until its NLMSG_ERROR (an ACK or an error: every
 * request asks for one), bounded by the socket's receive timeout.
 */
static void exchange(struct nl_sock *s, struct nl_msg *m)
{
	static uint8_t buf[1 << 17];
	struct nlmsghdr *h;
	uint32_t seq;
	ssize_t n;
	int len;

	if (nl_send_auto(s, m) < 0)
		return;
	seq = nlmsg_hdr(m)->nlmsg_seq;
	for (;;) {
		n = recv(nl_socket_get_fd(s), buf, sizeof(buf), 0);
		if (n <= 0)
			return;
		len = n;
		for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, len); h = nlmsg_next(h, &len)) {
			if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq)
				return;
			close_fds(h);
		}
	}
}

/* A request of cmd with n random attributes. */
static struct nl_msg *random_request(int family, int cmd, int n)
{
	struct nl_msg *m = nlmsg_alloc_size(1 << 18);
	int i, len;

	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK, cmd,
		    below(8) ? 1 : below(256));
	for (i = 0; i < n; i++) {
		len = pick_len();
		fill(scratch, len);
		if (nla_put(m, below(PEERDIST_A_MAX + 4), len, scratch))
			break;
	}
	return m;
}

/* A valid request to start from: one of the commands that take most. */
static struct nl_msg *valid_request(int family, const struct seg *sg, int file_fd)
{
	struct nl_msg *m = nlmsg_alloc_size(1 << 18);
	uint32_t size = sg->size;

	switch (below(6)) {
	case 0:
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
			    PEERDIST_CMD_ADD_SEGMENT, 1);
		nla_put_u32(m, PEERDIST_A_HASH_ALG, 0x800C);
		nla_put(m, PEERDIST_A_SEGMENT_ID, 32, sg->id);
		nla_put(m, PEERDIST_A_HOD, 32, sg->hod);
		nla_put(m, PEERDIST_A_KP, 32, sg->kp);
		nla_put_u32(m, PEERDIST_A_SEGMENT_SIZE, sg->size);
		nla_put_u32(m, PEERDIST_A_BLOCK_SIZE, BLOCK);
		nla_put(m, PEERDIST_A_BLOCK_HASHES, 32 * sg->nblocks, sg->hashes);
		break;
	case 1:
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
			    PEERDIST_CMD_OPEN_SEGMENT, 1);
		nla_put(m, PEERDIST_A_SEGMENT_ID, 32, sg->id);
		nla_put(m, PEERDIST_A_HOD, 32, sg->hod);
		nla_put(m, PEERDIST_A_KP, 32, sg->kp);
		break;
	case 2:
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
			    PEERDIST_CMD_OPEN_CONTENT, 1);
		nla_put_u32(m, PEERDIST_A_HASH_ALG, 0x800C);
		nla_put(m, PEERDIST_A_SEGMENT_IDS, 32, sg->id);
		nla_put(m, PEERDIST_A_SEGMENT_HODS, 32, sg->hod);
		nla_put(m, PEERDIST_A_SEGMENT_KPS, 32, sg->kp);
		nla_put(m, PEERDIST_A_SEGMENT_SIZES, 4, &size);
		nla_put_u64(m, PEERDIST_A_CONTENT_OFFSET, below(2) ? 0 : next());
		break;
	case 3:
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
			    PEERDIST_CMD_HASH_FILE, 1);
		nla_put_u32(m, PEERDIST_A_FD, below(4) ? file_fd : below(16));
		nla_put_u8(m, PEERDIST_A_CI_VERSION, 1 + below(2));
		break;
	case 4:
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
			    PEERDIST_CMD_ENCRYPT_BLOCK, 1);
		nla_put(m, PEERDIST_A_SEGMENT_ID, 32, sg->id);
		nla_put_u32(m, PEERDIST_A_BLOCK_INDEX, below(4));
		nla_put(m, PEERDIST_A_IV, 16, sg->kp);
		nla_put_u32(m, PEERDIST_A_CRYPTO_ALGO, 1 + below(3));
		break;
	default:
		genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
			    PEERDIST_CMD_GET_CONTENT_INFO, 1);
		nla_put_u32(m, PEERDIST_A_FD, file_fd);
		nla_put_u64(m, PEERDIST_A_GENERATION, next());
		nla_put_u64(m, PEERDIST_A_CI_OFFSET, below(2) ? 0 : next());
		break;
	}
	return m;
}

/* Flips bytes of the payload, cuts it, or appends a copy of a piece of it. */
static void mutate(struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	uint8_t *payload = (uint8_t *)genlmsg_data(nlmsg_data(h));
	int len = genlmsg_len(nlmsg_data(h)), i, cut;

	if (len <= 0)
		return;
	switch (below(3)) {
	case 0:
		for (i = 0; i < 1 + (int)below(4); i++)
			payload[below(len)] ^= 1 << below(8);
		break;
	case 1:	/* cut: the last attribute's header may then lie */
		cut = below(len);
		h->nlmsg_len -= cut & ~3;
		break;
	default:	/* doubled: the first attributes again */
		cut = NLA_ALIGN(below(len));
		if (cut && h->nlmsg_len + cut < (1 << 18) - 64) {
			memcpy(scratch, payload, cut);
			memcpy((uint8_t *)h + NLMSG_ALIGN(h->nlmsg_len), scratch, cut);
			h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + cut;
		}
	}
}

FIXTURE(fuzz) {};
FIXTURE_SETUP(fuzz) {}
FIXTURE_TEARDOWN(fuzz) {}

/* Runs for PD_FUZZ_SECONDS: the harness's 30 s default would cut it short. */
TEST_F_TIMEOUT(fuzz, random_and_mutated_requests_leave_the_module_well, 900)
{
	const char *env = getenv("PD_FUZZ_SECONDS");
	time_t end = time(NULL) + (env ? atoi(env) : 60);
	struct timeval tv = { .tv_sec = 5 };
	unsigned long sent = 0;
	struct status st;
	struct nl_sock *s;
	struct seg sg;
	int family, file_fd;
	struct nl_msg *m;

	rng ^= (uint64_t)time(NULL) * 0x2545f4914f6cdd1dull;
	printf("# seed %llu\n", (unsigned long long)rng);
	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_LE(0, family);
	ASSERT_EQ(0, setsockopt(nl_socket_get_fd(s), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	nl_socket_set_buffer_size(s, 1 << 20, 1 << 20);
	seg_make(&sg, 2 * BLOCK + 5, 77);
	file_fd = open("/tmp/fuzz-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, file_fd);
	ASSERT_EQ((ssize_t)sg.size, write(file_fd, sg.data, sg.size));
	while (time(NULL) < end) {
		if (below(2)) {
			m = random_request(family, below(PEERDIST_CMD_MAX + 4), below(10));
		} else {
			m = valid_request(family, &sg, file_fd);
			if (below(4))
				mutate(m);
		}
		exchange(s, m);
		nlmsg_free(m);
		sent++;
	}
	printf("# %lu requests\n", sent);
	/* the module still answers (a new socket: no late answer), and is put back */
	nl_socket_free(s);
	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_u8(s, family, PEERDIST_A_ENABLED, 1));
	ASSERT_EQ(0, set_u64(s, family, PEERDIST_A_CACHE_MAX_BYTES, 256ULL << 20));
	ASSERT_EQ(0, get_status(s, family, &st));
	EXPECT_EQ(1, st.enabled);
	seg_flush(s, family, sg.id);
	close(file_fd);
	unlink("/tmp/fuzz-file");
	free(sg.data);
	nl_socket_free(s);
}

TEST_HARNESS_MAIN
