// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of peerdist.ko's security model, in the qemu guest, with an
 * unprivileged user (65534) where the point is privilege. A segment id is
 * public; the content information (HoD and Kp) is what lets one read:
 * get-content-info answers only a holder of the hashed file, open-segment
 * and open-content take HoD and Kp that prove the id and never send Kp
 * back, the events group is CAP_NET_ADMIN's, and only who added a segment
 * flushes it. And nobody stalls or exhausts the module: hash-file holds
 * no lock other families wait for and dies with its caller (its worker
 * stops too), tells its progress when asked, a content
 * cannot end past the largest file offset, a file whose content
 * information would be too large is refused before anything is read, a
 * wrong-size copy of a description cannot shadow the right one, and a new
 * server secret drops results made with the old one.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

#include "seg_helpers.h"

static const char secret[] = "peerdist security selftest";

static int set_secret(struct nl_sock *s, int family, const char *text)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_SET_SECRET, NULL, 0, 4096);

	nla_put(m, PEERDIST_A_SECRET, strlen(text), text);
	return send_and_ack(s, m);
}

static int hash_file(struct nl_sock *s, int family, int fd, struct ci_reply *r)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_HASH_FILE, NULL, 0, 4096);

	nla_put_u32(m, PEERDIST_A_FD, fd);
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	return ask(s, m, parse_ci_reply, r);
}

/* get-content-info naming fd (-1: no fd at all) and generation. */
static int content_info(struct nl_sock *s, int family, int fd, uint64_t generation,
			struct ci_reply *r)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_GET_CONTENT_INFO, NULL, 0, 4096);

	if (fd >= 0)
		nla_put_u32(m, PEERDIST_A_FD, fd);
	nla_put_u64(m, PEERDIST_A_GENERATION, generation);
	nla_put_u64(m, PEERDIST_A_CI_OFFSET, 0);
	r->len = 0;
	return ask(s, m, parse_ci_reply, r);
}

struct probe {
	const char *path, *own;	/* root's 0600 file; one nobody may read */
	uint64_t generation;
};

/* Nobody cannot open the file; with its own file, or none, it gets nothing. */
static int steal_content_info(struct nl_sock *s, int family, void *arg)
{
	struct probe *p = arg;
	struct ci_reply r = { 0 };
	int own = open(p->own, O_RDONLY);
	uint64_t g;

	if (open(p->path, O_RDONLY) >= 0 || own < 0)
		return 2;
	if (content_info(s, family, -1, p->generation, &r) >= 0 ||
	    content_info(s, family, own, p->generation, &r) >= 0)
		return 3;
	for (g = 0; g < 64; g++)	/* the old attack: walk the generations */
		if (content_info(s, family, own, g, &r) >= 0)
			return 4;
	close(own);
	return 0;
}

TEST(content_info_only_to_who_holds_the_file)
{
	struct probe p = { "/tmp/private", "/tmp/nobodys", 0 };
	struct ci_reply r;
	struct nl_sock *s;
	int family, fd, own;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_secret(s, family, secret));
	fd = open(p.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "hello", 5));
	ASSERT_EQ(0, hash_file(s, family, fd, &r));
	p.generation = r.generation;
	/* the holder reads it; another file of root's does not name it */
	EXPECT_EQ(0, content_info(s, family, fd, r.generation, &r));
	EXPECT_LT(0, r.len);
	own = open(p.own, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, own);
	ASSERT_EQ(1, write(own, "x", 1));
	EXPECT_GT(0, content_info(s, family, own, r.generation, &r));
	EXPECT_EQ(0, fchown(own, NOBODY, NOBODY));
	EXPECT_EQ(0, as_nobody(steal_content_info, &p));
	close(own);
	unlink(p.own);
	close(fd);
	unlink(p.path);
	nl_socket_free(s);
}

/* open-segment as nobody: the id alone, a forged Kp, then the real proof. */
static int open_as_nobody(struct nl_sock *s, int family, void *arg)
{
	struct seg *seg = arg;
	uint8_t wrong[32], buf[16];
	int fd;

	memcpy(wrong, seg->kp, 32);
	wrong[0] ^= 1;
	if (seg_open(s, family, seg->id) != -NLE_NOACCESS)
		return 2;
	if (seg_open_proved(s, family, seg, seg->hod, wrong) != -NLE_NOACCESS)
		return 3;
	if (seg_open_proved(s, family, seg, wrong, seg->kp) != -NLE_NOACCESS)
		return 4;
	fd = seg_open_proved(s, family, seg, seg->hod, seg->kp);
	if (fd < 0)
		return 5;
	if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf) || memcmp(buf, seg->data, 16))
		return 6;
	close(fd);
	return 0;
}

/* The reply to a proved open carries no HoD and no Kp. */
static int kp_not_sent_back(struct nl_sock *s, int family, void *arg)
{
	struct seg *seg = arg;
	struct secrets_seen seen = { .fd = -1 };
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_OPEN_SEGMENT, seg->id, 32, 4096);

	nla_put(m, PEERDIST_A_HOD, 32, seg->hod);
	nla_put(m, PEERDIST_A_KP, 32, seg->kp);
	if (ask(s, m, parse_secrets, &seen) < 0 || seen.fd < 0)
		return 2;
	close(seen.fd);
	return seen.hod || seen.kp ? 3 : 0;
}

TEST(open_segment_takes_hod_and_kp_and_keeps_them)
{
	struct nl_sock *s;
	struct seg seg;
	int family, fd;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	seg_make(&seg, 3 * BLOCK + 77, 41);
	ASSERT_EQ(0, seg_add(s, family, &seg));
	fd = seg_open(s, family, seg.id);	/* root: the service's way */
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, seg_fill(fd, &seg));
	close(fd);
	EXPECT_EQ(0, as_nobody(open_as_nobody, &seg));
	EXPECT_EQ(0, as_nobody(kp_not_sent_back, &seg));
	EXPECT_EQ(0, seg_flush(s, family, seg.id));
	free(seg.data);
	nl_socket_free(s);
}

/* open-content as nobody: ids with the wrong Kp are refused, the right ones read. */
static int content_as_nobody(struct nl_sock *s, int family, void *arg)
{
	struct seg *seg = arg;
	uint8_t kp[32], buf[8];
	int i, fd = -1, err;

	for (i = 0; i < 2; i++) {
		struct nl_msg *m = seg_request(family, PEERDIST_CMD_OPEN_CONTENT, NULL, 0, 4096);

		memcpy(kp, seg->kp, 32);
		kp[31] ^= !i;	/* first forged, then right */
		nla_put_u32(m, PEERDIST_A_HASH_ALG, 0x800C);
		nla_put(m, PEERDIST_A_SEGMENT_IDS, 32, seg->id);
		nla_put(m, PEERDIST_A_SEGMENT_HODS, 32, seg->hod);
		nla_put(m, PEERDIST_A_SEGMENT_KPS, 32, kp);
		nla_put(m, PEERDIST_A_SEGMENT_SIZES, 4, &seg->size);
		nla_put_u64(m, PEERDIST_A_CONTENT_OFFSET, 0);
		err = ask(s, m, parse_fd, &fd);
		if (!i && (err != -NLE_NOACCESS || fd >= 0))
			return 2;
	}
	if (err < 0 || fd < 0 || pread(fd, buf, sizeof(buf), 5) != sizeof(buf) ||
	    memcmp(buf, seg->data + 5, sizeof(buf)))
		return 3;
	close(fd);
	return 0;
}

TEST(open_content_takes_every_hod_and_kp)
{
	struct nl_sock *s;
	struct seg seg;
	int family, fd;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	seg_make(&seg, BLOCK, 42);
	ASSERT_EQ(0, seg_add(s, family, &seg));
	fd = seg_open(s, family, seg.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, seg_fill(fd, &seg));
	close(fd);
	EXPECT_EQ(0, as_nobody(content_as_nobody, &seg));
	EXPECT_EQ(0, seg_flush(s, family, seg.id));
	free(seg.data);
	nl_socket_free(s);
}

static int join_events(struct nl_sock *s, int family, void *arg)
{
	int group = genl_ctrl_resolve_grp(s, PEERDIST_FAMILY_NAME, PEERDIST_MCGRP_EVENTS);
	struct nl_sock *ev = nl_socket_alloc();

	if (group < 0 || !ev || genl_connect(ev))
		return 2;
	return nl_socket_add_membership(ev, group) == -NLE_PERM ? 0 : 3;
}

TEST(events_group_is_for_cap_net_admin)
{
	EXPECT_EQ(0, as_nobody(join_events, NULL));
}

/* Nobody flushes neither root's segment, nor fails to flush its own. */
static int flush_as_nobody(struct nl_sock *s, int family, void *arg)
{
	struct seg *roots = arg, own;

	if (seg_flush(s, family, roots->id) != -NLE_PERM)
		return 2;
	seg_make(&own, BLOCK, 44);
	if (seg_add(s, family, &own) || seg_flush(s, family, own.id))
		return 3;
	/* added by root, added again by nobody: nobody is an adder too */
	if (seg_add(s, family, roots) || seg_flush(s, family, roots->id))
		return 4;
	return 0;
}

TEST(only_adders_flush)
{
	struct nl_sock *s;
	struct seg seg;
	int family, fd;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	seg_make(&seg, BLOCK, 43);
	ASSERT_EQ(0, seg_add(s, family, &seg));
	EXPECT_EQ(0, as_nobody(flush_as_nobody, &seg));
	fd = seg_open(s, family, seg.id);
	EXPECT_GT(0, fd);	/* the last step flushed it */
	free(seg.data);
	nl_socket_free(s);
}

TEST(a_content_cannot_end_past_the_largest_offset)
{
	struct nl_sock *s;
	struct seg seg;
	int family, fd = -1, err;
	struct nl_msg *m;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	seg_make(&seg, BLOCK, 45);
	m = seg_request(family, PEERDIST_CMD_OPEN_CONTENT, NULL, 0, 4096);
	nla_put_u32(m, PEERDIST_A_HASH_ALG, 0x800C);
	nla_put(m, PEERDIST_A_SEGMENT_IDS, 32, seg.id);
	nla_put(m, PEERDIST_A_SEGMENT_HODS, 32, seg.hod);
	nla_put(m, PEERDIST_A_SEGMENT_KPS, 32, seg.kp);
	nla_put(m, PEERDIST_A_SEGMENT_SIZES, 4, &seg.size);
	nla_put_u64(m, PEERDIST_A_CONTENT_OFFSET, UINT64_MAX - 10);
	err = ask(s, m, parse_fd, &fd);
	EXPECT_GT(0, err);
	EXPECT_GT(0, fd);
	free(seg.data);
	nl_socket_free(s);
}

TEST(content_information_too_large_is_refused_up_front)
{
	struct ci_reply r;
	struct nl_sock *s;
	int family, fd;
	long long hashed;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_secret(s, family, secret));
	fd = open("/tmp/huge", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 1LL << 50));	/* sparse: 1 PiB */
	hashed = read_sysfs(SYSFS "hash_bytes");
	EXPECT_GT(0, hash_file(s, family, fd, &r));
	EXPECT_EQ(hashed, read_sysfs(SYSFS "hash_bytes"));	/* nothing read */
	close(fd);
	unlink("/tmp/huge");
	nl_socket_free(s);
}

TEST(a_wrong_size_copy_does_not_shadow_a_segment)
{
	struct nl_sock *s;
	struct seg seg, squat;
	int family, fd;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	seg_make(&seg, BLOCK + 30000, 46);
	squat = seg;
	squat.size = BLOCK + 1;	/* the same two block hashes, HoD and id */
	ASSERT_EQ(0, seg_add(s, family, &squat));
	ASSERT_EQ(0, seg_add(s, family, &seg));
	fd = seg_open(s, family, seg.id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(BLOCK + 30000, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(0, seg_fill(fd, &seg));	/* its blocks fit it */
	close(fd);
	EXPECT_EQ(0, seg_flush(s, family, seg.id));
	free(seg.data);
	nl_socket_free(s);
}

TEST(a_new_secret_drops_old_results)
{
	struct ci_reply r;
	struct nl_sock *s;
	int family, fd;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_secret(s, family, secret));
	fd = open("/tmp/resecret", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(6, write(fd, "secret", 6));
	ASSERT_EQ(0, hash_file(s, family, fd, &r));
	EXPECT_EQ(0, content_info(s, family, fd, r.generation, &r));
	ASSERT_EQ(0, set_secret(s, family, "another secret"));
	EXPECT_GT(0, content_info(s, family, fd, r.generation, &r));
	close(fd);
	unlink("/tmp/resecret");
	nl_socket_free(s);
}

/*
 * A hash of a large file in progress holds no lock the rest of generic
 * netlink waits for (another family resolves meanwhile), and SIGKILL ends
 * it. Ordering, not timing: the child is still hashing when the resolve
 * answers.
 */
TEST(hash_file_stalls_nobody_and_dies_with_its_caller)
{
	struct ci_reply r;
	struct nl_sock *s, *other;
	int family, fd, status;
	pid_t pid;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_secret(s, family, secret));
	fd = open("/tmp/long", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 64LL << 30));	/* sparse: minutes to hash here */
	pid = fork();
	if (!pid)
		_exit(hash_file(s, family, fd, &r) ? 1 : 0);
	usleep(500000);
	other = nl_open(&family);
	ASSERT_NE(NULL, other);
	EXPECT_LE(0, genl_ctrl_resolve(other, "nlctrl"));
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));	/* still hashing */
	kill(pid, SIGKILL);
	alarm(60);	/* killable: it ends well before this */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	alarm(0);
	EXPECT_TRUE(WIFSIGNALED(status));
	close(fd);
	unlink("/tmp/long");
	nl_socket_free(other);
	nl_socket_free(s);
}

/*
 * A caller killed while a worker hashes for it: the worker stops at its
 * next read and lets the file go. The event waited for: a write lease,
 * which the kernel grants only once no other open file of it is left.
 */
TEST(a_killed_callers_hash_stops)
{
	struct ci_reply r;
	struct nl_sock *s;
	int family, fd, status, i;
	pid_t pid;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_secret(s, family, secret));
	fd = open("/tmp/long-killed", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 64LL << 30));
	close(fd);
	pid = fork();
	if (!pid) {
		fd = open("/tmp/long-killed", O_RDONLY);
		_exit(fd < 0 || hash_file(s, family, fd, &r) ? 1 : 0);
	}
	usleep(500000);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG));	/* still hashing */
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	fd = open("/tmp/long-killed", O_RDONLY);
	ASSERT_LE(0, fd);
	for (i = 0; i < 1000 && fcntl(fd, F_SETLEASE, F_WRLCK); i++)
		usleep(10000);
	EXPECT_EQ(0, fcntl(fd, F_SETLEASE, F_UNLCK));
	EXPECT_LT(i, 1000);	/* the worker let the file go */
	close(fd);
	unlink("/tmp/long-killed");
	nl_socket_free(s);
}

struct progress {
	struct ci_reply r;
	int told;		/* hash-progress messages */
	uint64_t hashed, size;
	int bad;		/* incomplete, going back, past the size, after the reply */
};

static int parse_progress(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *a[PEERDIST_A_MAX + 1];
	struct progress *p = arg;
	uint64_t hashed;

	if (g->cmd != PEERDIST_CMD_HASH_PROGRESS)
		return parse_ci_reply(msg, &p->r);
	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, PEERDIST_A_MAX, NULL) ||
	    !a[PEERDIST_A_HASHED_BYTES] || !a[PEERDIST_A_FILE_SIZE]) {
		p->bad = 1;
		return NL_OK;
	}
	hashed = nla_get_u64(a[PEERDIST_A_HASHED_BYTES]);
	p->size = nla_get_u64(a[PEERDIST_A_FILE_SIZE]);
	if (p->r.generation || hashed < p->hashed || hashed > p->size)
		p->bad = 1;
	p->hashed = hashed;
	p->told++;
	return NL_OK;
}

static int acked(struct nl_msg *msg, void *done)
{
	*(int *)done = 1;
	return NL_STOP;
}

/* hash-file of a new file of len bytes, with or without progress. */
static int hash_new_file(struct nl_sock *s, int family, const char *path, off_t len,
			 int progress, struct progress *p)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_HASH_FILE, NULL, 0, 4096);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), err, done = 0;
	static uint8_t chunk[1 << 16];
	off_t at;

	memset(p, 0, sizeof(*p));
	for (at = 0; fd >= 0 && at < len; at += sizeof(chunk)) {
		memset(chunk, (int)(at >> 16) + 1, sizeof(chunk));
		if (write(fd, chunk, sizeof(chunk)) != sizeof(chunk))
			return -1;
	}
	if (fd < 0)
		return -1;
	nla_put_u32(m, PEERDIST_A_FD, fd);
	if (progress)
		nla_put_u8(m, PEERDIST_A_PROGRESS, 1);
	/* several messages, then the ACK: read until the ACK */
	nl_socket_modify_cb(s, NL_CB_VALID, NL_CB_CUSTOM, parse_progress, p);
	nl_socket_modify_cb(s, NL_CB_ACK, NL_CB_CUSTOM, acked, &done);
	err = nl_send_auto(s, m);
	nlmsg_free(m);
	while (err >= 0 && !done)
		err = nl_recvmsgs_default(s);
	nl_socket_modify_cb(s, NL_CB_ACK, NL_CB_DEFAULT, NULL, NULL);
	close(fd);
	unlink(path);
	return err;
}

/* Asked for, hash-progress comes first (as it starts, then twice a second). */
TEST(hash_file_tells_its_progress_when_asked)
{
	struct progress p;
	struct nl_sock *s;
	int family;

	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, set_secret(s, family, secret));
	ASSERT_EQ(0, hash_new_file(s, family, "/tmp/quiet", 4 << 20, 0, &p));
	EXPECT_EQ(0, p.told);
	EXPECT_NE(0, p.r.generation);
	ASSERT_EQ(0, hash_new_file(s, family, "/tmp/told", 4 << 20, 1, &p));
	EXPECT_LE(1, p.told);
	EXPECT_EQ(0, p.bad);
	EXPECT_EQ(4 << 20, p.size);
	EXPECT_NE(0, p.r.generation);
	EXPECT_LT(0, p.r.length);
	nl_socket_free(s);
}

TEST_HARNESS_MAIN
