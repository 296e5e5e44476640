// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of peerdist.ko's content fds, in the qemu guest: a content's
 * segments read back to back at the content's own offsets, ENODATA where a
 * block is absent (also for a segment the cache does not hold yet, until
 * it is added); poll turns readable when the block a read missed arrives;
 * SEEK_DATA/SEEK_HOLE; io_uring reads a present block at once after a
 * miss elsewhere; an edge-triggered epoll tells once when the missing
 * block arrives (how unprivileged readers wait); appending segments; malformed requests refused; a
 * missing block told once to the events group, and the cache's enabling
 * and disabling told too. Every test flushes what it added.
 */
#define _GNU_SOURCE	/* before any header: SEEK_DATA */
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>

#include "kselftest_harness.h"

#include "seg_helpers.h"

/* open-content over n segments from offset start; onto fd when fd >= 0. */
static int content_open(struct nl_sock *sk, int family, int fd,
			struct seg **segs, int n, uint64_t start)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_OPEN_CONTENT, NULL, 0, 8192);
	uint8_t ids[8 * 32], hods[8 * 32], kps[8 * 32];
	uint32_t sizes[8];
	int i, got = -1, err;

	for (i = 0; i < n; i++) {
		memcpy(ids + 32 * i, segs[i]->id, 32);
		memcpy(hods + 32 * i, segs[i]->hod, 32);
		memcpy(kps + 32 * i, segs[i]->kp, 32);
		sizes[i] = segs[i]->size;
	}
	if (fd >= 0)
		nla_put_u32(m, PEERDIST_A_FD, fd);
	nla_put_u32(m, PEERDIST_A_HASH_ALG, 0x800C);
	nla_put(m, PEERDIST_A_SEGMENT_IDS, 32 * n, ids);
	nla_put(m, PEERDIST_A_SEGMENT_HODS, 32 * n, hods);
	nla_put(m, PEERDIST_A_SEGMENT_KPS, 32 * n, kps);
	nla_put(m, PEERDIST_A_SEGMENT_SIZES, 4 * n, sizes);
	nla_put_u64(m, PEERDIST_A_CONTENT_OFFSET, start);
	err = ask(sk, m, parse_fd, &got);
	return err < 0 ? err : got;
}

/* Adds s and the blocks of it that mask has a bit for. */
static int seg_put(struct nl_sock *sk, int family, const struct seg *s, unsigned mask)
{
	int fd, err = seg_add(sk, family, s);
	uint32_t b;

	if (err)
		return err;
	fd = seg_open(sk, family, s->id);
	if (fd < 0)
		return fd;
	for (b = 0; b < s->nblocks && !err; b++)
		if (mask & (1u << b) &&
		    pwrite(fd, s->data + (size_t)b * BLOCK, seg_block_len(s, b),
			   (off_t)b * BLOCK) != (ssize_t)seg_block_len(s, b))
			err = -errno;
	close(fd);
	return err;
}

static int readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

FIXTURE(content) {
	struct nl_sock *s;
	int family;
	struct seg a, b;
	struct seg *both[2];
};

FIXTURE_SETUP(content)
{
	self->s = nl_open(&self->family);
	ASSERT_NE(NULL, self->s);
	seg_make(&self->a, 3 * BLOCK - 1000, 11);
	seg_make(&self->b, 2 * BLOCK, 12);
	self->both[0] = &self->a;
	self->both[1] = &self->b;
}

FIXTURE_TEARDOWN(content)
{
	seg_flush(self->s, self->family, self->a.id);
	seg_flush(self->s, self->family, self->b.id);
	free(self->a.data);
	free(self->b.data);
	nl_socket_free(self->s);
}

TEST_F(content, reads_use_the_contents_offsets)
{
	uint64_t start = 1 << 20, b_at = start + self->a.size;
	static uint8_t buf[2 * BLOCK];
	int fd;

	ASSERT_EQ(0, seg_put(self->s, self->family, &self->a, 7));
	fd = content_open(self->s, self->family, -1, self->both, 2, start);
	ASSERT_LE(0, fd);
	/* a's last block (short), then where b is not cached yet */
	EXPECT_EQ(BLOCK - 1000, pread(fd, buf, sizeof(buf), start + 2 * BLOCK));
	EXPECT_EQ(0, memcmp(buf, self->a.data + 2 * BLOCK, BLOCK - 1000));
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), b_at));
	EXPECT_EQ(ENODATA, errno);
	ASSERT_EQ(0, seg_put(self->s, self->family, &self->b, 3));
	EXPECT_EQ(2 * BLOCK, pread(fd, buf, sizeof(buf), b_at));
	EXPECT_EQ(0, memcmp(buf, self->b.data, 2 * BLOCK));
	/* a read starting mid-block; past the end is the end of file */
	EXPECT_EQ(BLOCK - 5, pread(fd, buf, BLOCK - 5, b_at + 5));
	EXPECT_EQ(0, memcmp(buf, self->b.data + 5, BLOCK - 5));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), b_at + 2 * BLOCK));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), start - 1));
	EXPECT_EQ((off_t)(b_at + 2 * BLOCK), lseek(fd, 0, SEEK_END));
	close(fd);
}

struct later {
	const struct seg *s;
	uint32_t block;
	int seg_fd;
};

static void *add_later(void *arg)
{
	struct later *l = arg;

	usleep(200 * 1000);
	pwrite(l->seg_fd, l->s->data + (size_t)l->block * BLOCK,
	       seg_block_len(l->s, l->block), (off_t)l->block * BLOCK);
	return NULL;
}

TEST_F(content, poll_is_readable_once_the_missing_block_arrives)
{
	struct later l = { .s = &self->a, .block = 1 };
	uint8_t buf[BLOCK];
	pthread_t t;
	int fd;

	ASSERT_EQ(0, seg_put(self->s, self->family, &self->a, 1));
	fd = content_open(self->s, self->family, -1, self->both, 1, 0);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(readable(fd, 0));	/* nothing missed yet */
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), BLOCK + 10));
	EXPECT_FALSE(readable(fd, 0));
	l.seg_fd = seg_open(self->s, self->family, self->a.id);
	ASSERT_LE(0, l.seg_fd);
	ASSERT_EQ(0, pthread_create(&t, NULL, add_later, &l));
	EXPECT_TRUE(readable(fd, 10000));
	pthread_join(t, NULL);
	EXPECT_EQ(BLOCK - 10, pread(fd, buf, sizeof(buf), BLOCK + 10));
	EXPECT_EQ(0, memcmp(buf, self->a.data + BLOCK + 10, BLOCK - 10));
	close(l.seg_fd);
	close(fd);
}

/*
 * What an unprivileged reader (no events group) waits with: an
 * edge-triggered epoll of its content fds, which tells once when the
 * block a read missed arrives, and not for other blocks added meanwhile.
 */
TEST_F(content, an_edge_triggered_epoll_tells_once_when_the_missing_block_arrives)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	uint8_t buf[BLOCK];
	int fd, ep, seg_fd;

	ASSERT_EQ(0, seg_put(self->s, self->family, &self->a, 1));
	fd = content_open(self->s, self->family, -1, self->both, 1, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), BLOCK));
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	seg_fd = seg_open(self->s, self->family, self->a.id);
	ASSERT_LE(0, seg_fd);
	/* another block: not the one the read wants */
	ASSERT_EQ(BLOCK - 1000, pwrite(seg_fd, self->a.data + 2 * BLOCK, BLOCK - 1000,
				       2 * BLOCK));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(BLOCK, pwrite(seg_fd, self->a.data + BLOCK, BLOCK, BLOCK));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));	/* once */
	EXPECT_EQ(BLOCK, pread(fd, buf, sizeof(buf), BLOCK));
	close(seg_fd);
	close(ep);
	close(fd);
}

TEST_F(content, poll_is_readable_once_a_missing_segment_is_added)
{
	uint8_t buf[16];
	int fd = content_open(self->s, self->family, -1, self->both, 2, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, pread(fd, buf, sizeof(buf), self->a.size));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_FALSE(readable(fd, 0));
	ASSERT_EQ(0, seg_put(self->s, self->family, &self->b, 3));
	EXPECT_TRUE(readable(fd, 0));
	EXPECT_EQ(16, pread(fd, buf, sizeof(buf), self->a.size));
	close(fd);
}

/* io_uring must read, not wait on poll (which is about the missed block). */
TEST_F(content, io_uring_reads_a_present_block_after_a_miss)
{
	struct __kernel_timespec ts = { .tv_sec = 5 };
	static uint8_t buf[BLOCK];
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int fd, i;

	ASSERT_EQ(0, seg_put(self->s, self->family, &self->a, 1));
	fd = content_open(self->s, self->family, -1, self->both, 1, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	for (i = 0; i < 2; i++) {	/* block 1 (missing), then block 0 */
		io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf, BLOCK,
				   i ? 0 : BLOCK);
		ASSERT_EQ(1, io_uring_submit(&ring));
		ASSERT_EQ(0, io_uring_wait_cqe_timeout(&ring, &cqe, &ts));
		EXPECT_EQ(i ? BLOCK : -ENODATA, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
	}
	EXPECT_EQ(0, memcmp(buf, self->a.data, BLOCK));
	io_uring_queue_exit(&ring);
	close(fd);
}

TEST_F(content, seek_data_and_hole_find_blocks)
{
	int fd;

	/* a: blocks 0 and 2; b: not cached at all */
	ASSERT_EQ(0, seg_put(self->s, self->family, &self->a, 5));
	fd = content_open(self->s, self->family, -1, self->both, 2, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_DATA));
	EXPECT_EQ(BLOCK, lseek(fd, 0, SEEK_HOLE));
	EXPECT_EQ(2 * BLOCK, lseek(fd, BLOCK + 3, SEEK_DATA));
	EXPECT_EQ(self->a.size, lseek(fd, 2 * BLOCK, SEEK_HOLE));
	EXPECT_EQ(-1, lseek(fd, self->a.size, SEEK_DATA));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(self->a.size + 100, lseek(fd, self->a.size + 100, SEEK_HOLE));
	EXPECT_EQ(-1, lseek(fd, self->a.size + self->b.size, SEEK_HOLE));
	close(fd);
}

TEST_F(content, segments_are_appended_where_the_content_ends)
{
	struct seg *second = &self->b;
	uint8_t buf[16];
	int fd, seg_fd;

	ASSERT_EQ(0, seg_put(self->s, self->family, &self->b, 3));
	fd = content_open(self->s, self->family, -1, self->both, 1, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), self->a.size));
	EXPECT_GT(0, content_open(self->s, self->family, fd, &second, 1, 1));
	EXPECT_EQ(fd, content_open(self->s, self->family, fd, &second, 1, self->a.size));
	EXPECT_EQ(16, pread(fd, buf, sizeof(buf), self->a.size));
	EXPECT_EQ(0, memcmp(buf, self->b.data, 16));
	/* only onto a content fd */
	seg_fd = seg_open(self->s, self->family, self->b.id);
	ASSERT_LE(0, seg_fd);
	EXPECT_GT(0, content_open(self->s, self->family, seg_fd, &second, 1, 0));
	close(seg_fd);
	close(fd);
}

/*
 * open-content with raw attributes: ids_len id bytes (each the id that a
 * zero HoD and Kp prove), as many HoD and Kp bytes, sizes as given.
 */
static int content_raw(struct nl_sock *sk, int family, uint32_t alg, int ids_len,
		       const uint32_t *sizes, int sizes_len)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_OPEN_CONTENT, NULL, 0, 1 << 19);
	static uint8_t ids[4000 * 32], zeros[4000 * 32];
	uint8_t msg[62] = { 0 };
	unsigned int len = 32;
	int fd = -1, err, i;

	memcpy(msg + 32, c2, sizeof(c2));
	HMAC(EVP_sha256(), zeros, 32, msg, sizeof(msg), ids, &len);
	for (i = 1; i < 4000; i++)
		memcpy(ids + 32 * i, ids, 32);
	nla_put_u32(m, PEERDIST_A_HASH_ALG, alg);
	nla_put(m, PEERDIST_A_SEGMENT_IDS, ids_len, ids);
	nla_put(m, PEERDIST_A_SEGMENT_HODS, ids_len, zeros);
	nla_put(m, PEERDIST_A_SEGMENT_KPS, ids_len, zeros);
	nla_put(m, PEERDIST_A_SEGMENT_SIZES, sizes_len, sizes);
	nla_put_u64(m, PEERDIST_A_CONTENT_OFFSET, 0);
	err = ask(sk, m, parse_fd, &fd);
	if (fd >= 0)
		close(fd);
	return err < 0 ? err : fd;
}

TEST_F(content, malformed_requests_are_refused)
{
	uint32_t sizes[4] = { BLOCK, BLOCK, BLOCK, BLOCK };
	uint32_t zero[1] = { 0 }, huge[1] = { (32u << 20) + 1 };

	EXPECT_LE(0, content_raw(self->s, self->family, 0x800C, 64, sizes, 8));
	EXPECT_GT(0, content_raw(self->s, self->family, 0x800C, 64, sizes, 12));
	EXPECT_GT(0, content_raw(self->s, self->family, 0x800C, 63, sizes, 8));
	EXPECT_GT(0, content_raw(self->s, self->family, 0x800C, 32, sizes, 3));
	EXPECT_GT(0, content_raw(self->s, self->family, 0x1234, 32, sizes, 4));
	EXPECT_GT(0, content_raw(self->s, self->family, 0x800C, 32, zero, 4));
	EXPECT_GT(0, content_raw(self->s, self->family, 0x800C, 32, huge, 4));
	EXPECT_GT(0, content_raw(self->s, self->family, 0x800C, 4000 * 32, sizes, 16));
}

/* The next event on ev within timeout_ms: its command, or -1. */
static int next_event(struct nl_sock *ev, int timeout_ms, uint8_t *buf, size_t cap)
{
	struct pollfd p = { .fd = nl_socket_get_fd(ev), .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	n = recv(p.fd, buf, cap, MSG_DONTWAIT);
	if (n < (ssize_t)(NLMSG_HDRLEN + GENL_HDRLEN))
		return -1;
	return ((struct genlmsghdr *)(buf + NLMSG_HDRLEN))->cmd;
}

static struct nl_sock *events_open(struct nl_sock *sk)
{
	struct nl_sock *ev = nl_socket_alloc();
	int group = genl_ctrl_resolve_grp(sk, PEERDIST_FAMILY_NAME, PEERDIST_MCGRP_EVENTS);

	if (genl_connect(ev) || group < 0 || nl_socket_add_membership(ev, group)) {
		nl_socket_free(ev);
		return NULL;
	}
	return ev;
}

TEST_F(content, a_missing_block_is_told_once)
{
	struct nl_sock *ev;
	uint8_t buf[8192], data[16];
	int fd, i;

	ASSERT_EQ(0, seg_put(self->s, self->family, &self->a, 1));
	fd = content_open(self->s, self->family, -1, self->both, 1, 0);
	ASSERT_LE(0, fd);
	ev = events_open(self->s);
	ASSERT_NE(NULL, ev);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(-1, pread(fd, data, sizeof(data), 2 * BLOCK));
	EXPECT_EQ(PEERDIST_CMD_BLOCK_MISSING, next_event(ev, 1000, buf, sizeof(buf)));
	EXPECT_NE(NULL, memmem(buf, sizeof(buf), self->a.id, 32));
	EXPECT_EQ(-1, next_event(ev, 100, buf, sizeof(buf)));
	/* another block is told of on its own */
	EXPECT_EQ(-1, pread(fd, data, sizeof(data), BLOCK));
	EXPECT_EQ(PEERDIST_CMD_BLOCK_MISSING, next_event(ev, 1000, buf, sizeof(buf)));
	EXPECT_EQ(-1, next_event(ev, 100, buf, sizeof(buf)));
	nl_socket_free(ev);
	close(fd);
}

TEST_F(content, enabling_and_disabling_are_told)
{
	struct nl_sock *ev = events_open(self->s);
	uint8_t buf[8192];

	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, write_sysfs(SYSFS "enabled", "0"));
	EXPECT_EQ(PEERDIST_CMD_STATUS_CHANGED, next_event(ev, 1000, buf, sizeof(buf)));
	EXPECT_GT(0, content_open(self->s, self->family, -1, self->both, 1, 0));
	ASSERT_EQ(0, write_sysfs(SYSFS "enabled", "0"));	/* no change: no event */
	ASSERT_EQ(0, write_sysfs(SYSFS "enabled", "1"));
	EXPECT_EQ(PEERDIST_CMD_STATUS_CHANGED, next_event(ev, 1000, buf, sizeof(buf)));
	EXPECT_EQ(-1, next_event(ev, 100, buf, sizeof(buf)));
	nl_socket_free(ev);
}

TEST_HARNESS_MAIN
