// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of peerdist.ko's segment cache at its boundary, in the qemu
 * guest: descriptions that do not add up are refused (and counted), a
 * segment's fd reads only verified blocks (ENODATA for the others), takes
 * only whole blocks that match their hash, finds blocks with SEEK_DATA;
 * every added block is announced to the events group; a small cap evicts
 * the least recently used segment while an open fd keeps reading it; the
 * module cannot be unloaded while an fd is open; a caller's small
 * RLIMIT_FSIZE does not fail its adds. Every test flushes what
 * it added, so that afterwards no object is left (the guest's init checks
 * the counters once these tests are done).
 */
#define _GNU_SOURCE	/* before any header: memmem, SEEK_DATA */
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "seg_helpers.h"

FIXTURE(seg) {
	struct nl_sock *s;
	int family;
	struct seg a;
};

FIXTURE_SETUP(seg)
{
	self->s = nl_open(&self->family);
	ASSERT_NE(NULL, self->s);
	ASSERT_LT(0, self->family);
	seg_make(&self->a, 3 * BLOCK - 1000, 1);	/* the last block short */
}

FIXTURE_TEARDOWN(seg)
{
	seg_flush(self->s, self->family, self->a.id);
	free(self->a.data);
	nl_socket_free(self->s);
}

TEST_F(seg, descriptions_that_do_not_add_up_are_refused)
{
	long long failures = read_sysfs(SYSFS "verify_failures");
	uint8_t forged[32];

	memcpy(forged, self->a.hod, 32);
	forged[0] ^= 1;
	EXPECT_GT(0, seg_add_raw(self->s, self->family, &self->a, self->a.id, 31,
				 self->a.hod));	/* the policy: 32..64 bytes */
	EXPECT_GT(0, seg_add_raw(self->s, self->family, &self->a, self->a.id, 32,
				 forged));	/* HoD is not H(block hashes) */
	memcpy(forged, self->a.id, 32);
	forged[31] ^= 0x80;
	EXPECT_GT(0, seg_add_raw(self->s, self->family, &self->a, forged, 32,
				 self->a.hod));	/* the id is not HMAC(Kp, HoD) */
	EXPECT_EQ(failures + 2, read_sysfs(SYSFS "verify_failures"));
	EXPECT_GT(0, seg_open(self->s, self->family, forged));
}

TEST_F(seg, blocks_are_verified_before_they_are_readable)
{
	uint8_t buf[BLOCK], *bad;
	int fd;

	ASSERT_EQ(0, seg_add(self->s, self->family, &self->a));
	ASSERT_EQ(0, seg_add(self->s, self->family, &self->a));	/* twice: kept once */
	fd = seg_open(self->s, self->family, self->a.id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, pread(fd, buf, 10, 0));
	EXPECT_EQ(ENODATA, errno);
	bad = malloc(BLOCK);
	memcpy(bad, self->a.data + BLOCK, BLOCK);
	bad[100] ^= 1;
	EXPECT_EQ(-1, pwrite(fd, bad, BLOCK, BLOCK));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_EQ(-1, pwrite(fd, self->a.data, BLOCK, 1));	/* not at a block */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, pwrite(fd, self->a.data, 100, 0));	/* not a whole block */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(BLOCK, pwrite(fd, self->a.data + BLOCK, BLOCK, BLOCK));
	EXPECT_EQ(BLOCK, lseek(fd, 0, SEEK_DATA));
	EXPECT_EQ(0, lseek(fd, 0, SEEK_HOLE));
	EXPECT_EQ(2 * BLOCK, lseek(fd, BLOCK, SEEK_HOLE));
	EXPECT_EQ(100, pread(fd, buf, 100, BLOCK + 5));
	EXPECT_EQ(0, memcmp(buf, self->a.data + BLOCK + 5, 100));
	/* A read stops where the present blocks end. */
	EXPECT_EQ(BLOCK - 5, pread(fd, buf, sizeof(buf), BLOCK + 5));
	EXPECT_EQ(-1, pread(fd, buf, 10, 2 * BLOCK));
	EXPECT_EQ(ENODATA, errno);
	free(bad);
	close(fd);
}

TEST_F(seg, every_added_block_is_announced)
{
	struct nl_sock *ev = nl_socket_alloc();
	char buf[8192];
	int fd, group;

	ASSERT_EQ(0, genl_connect(ev));
	group = genl_ctrl_resolve_grp(self->s, PEERDIST_FAMILY_NAME, PEERDIST_MCGRP_EVENTS);
	ASSERT_LE(0, group);
	ASSERT_EQ(0, nl_socket_add_membership(ev, group));
	ASSERT_EQ(0, seg_add(self->s, self->family, &self->a));
	fd = seg_open(self->s, self->family, self->a.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, seg_fill(fd, &self->a));
	/* three blocks, three datagrams, each naming the segment */
	for (int i = 0; i < 3; i++) {
		ssize_t n = recv(nl_socket_get_fd(ev), buf, sizeof(buf), MSG_DONTWAIT);

		ASSERT_LT(0, n);
		EXPECT_NE(NULL, memmem(buf, n, self->a.id, 32));
	}
	EXPECT_EQ(-1, recv(nl_socket_get_fd(ev), buf, sizeof(buf), MSG_DONTWAIT));
	close(fd);
	nl_socket_free(ev);
}

TEST_F(seg, a_small_cap_evicts_but_open_fds_keep_reading)
{
	struct seg b, c;
	uint8_t buf[BLOCK];
	int fd, fc;

	seg_make(&b, 16 * BLOCK, 2);	/* 1 MiB each */
	seg_make(&c, 16 * BLOCK, 3);
	ASSERT_EQ(0, write_sysfs(SYSFS "cache_max_bytes", "1048576"));
	ASSERT_EQ(0, seg_add(self->s, self->family, &b));
	fd = seg_open(self->s, self->family, b.id);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, seg_fill(fd, &b));
	ASSERT_EQ(0, seg_add(self->s, self->family, &c));
	fc = seg_open(self->s, self->family, c.id);
	ASSERT_LE(0, fc);
	ASSERT_EQ(0, seg_fill(fc, &c));
	close(fc);
	/* b was least recently used: evicted, but this fd still reads it */
	EXPECT_GT(0, seg_open(self->s, self->family, b.id));
	EXPECT_LE(1, read_sysfs(SYSFS "evictions"));
	EXPECT_GE(1048576, read_sysfs(SYSFS "cached_bytes"));
	EXPECT_EQ(BLOCK, pread(fd, buf, BLOCK, 15 * BLOCK));
	EXPECT_EQ(0, memcmp(buf, b.data + 15 * BLOCK, BLOCK));
	close(fd);
	seg_flush(self->s, self->family, c.id);
	ASSERT_EQ(0, write_sysfs(SYSFS "cache_max_bytes", "268435456"));
	free(b.data);
	free(c.data);
}

/* Four processes add the same segment and its blocks at once, read them
 * back, and one flushes it meanwhile: every read is right, nothing is
 * counted twice. */
TEST_F(seg, concurrent_clients_agree)
{
	struct seg big;
	pid_t pids[4];
	int i, status, ok = 0;

	seg_make(&big, 40 * BLOCK + 333, 7);
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i])
			continue;
		{
			int family, fd, round, bad = 0;
			struct nl_sock *s = nl_open(&family);
			uint8_t *buf = malloc(BLOCK);

			for (round = 0; round < 5 && !bad; round++) {
				if (seg_add(s, family, &big))
					_exit(10);
				fd = seg_open(s, family, big.id);
				if (fd < 0)
					continue;	/* flushed between the two: fine */
				bad |= seg_fill(fd, &big) != 0;
				for (uint32_t b = 0; b < big.nblocks && !bad; b++) {
					ssize_t n = pread(fd, buf, seg_block_len(&big, b),
							  (off_t)b * BLOCK);

					bad |= n != (ssize_t)seg_block_len(&big, b) ||
					       memcmp(buf, big.data + (size_t)b * BLOCK, n);
				}
				close(fd);
				if (i == 0 && round == 2)
					seg_flush(s, family, big.id);
			}
			_exit(bad ? 11 : 0);
		}
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	EXPECT_EQ(4, ok);
	/* held once, counted once */
	EXPECT_EQ(big.size, read_sysfs(SYSFS "cached_bytes"));
	EXPECT_EQ(1, read_sysfs(SYSFS "segments"));
	seg_flush(self->s, self->family, big.id);
	free(big.data);
}

TEST_F(seg, no_unload_while_a_segment_is_open)
{
	int fd;

	ASSERT_EQ(0, seg_add(self->s, self->family, &self->a));
	fd = seg_open(self->s, self->family, self->a.id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "peerdist", O_NONBLOCK));
	EXPECT_TRUE(errno == EBUSY || errno == EWOULDBLOCK);
	close(fd);
}

TEST_F(seg, a_disabled_cache_takes_and_serves_nothing)
{
	ASSERT_EQ(0, seg_add(self->s, self->family, &self->a));
	ASSERT_EQ(0, write_sysfs(SYSFS "enabled", "0"));
	EXPECT_GT(0, seg_add(self->s, self->family, &self->a));
	EXPECT_GT(0, seg_open(self->s, self->family, self->a.id));
	ASSERT_EQ(0, write_sysfs(SYSFS "enabled", "1"));
	EXPECT_LE(0, seg_open(self->s, self->family, self->a.id));
}

TEST_F(seg, unprivileged_users_add_verified_segments_only)
{
	uint8_t forged[32];

	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	memcpy(forged, self->a.hod, 32);
	forged[5] ^= 1;
	EXPECT_GT(0, seg_add_raw(self->s, self->family, &self->a, self->a.id, 32, forged));
	EXPECT_EQ(0, seg_add(self->s, self->family, &self->a));
}

/*
 * The cache's writes are the module's: a caller whose RLIMIT_FSIZE is
 * smaller than a block still adds every block (the limit is for its own
 * files, not the shared cache's).
 */
static int open_and_fill(struct nl_sock *s, int family, void *arg)
{
	const struct seg *seg = arg;
	int fd = seg_open(s, family, seg->id);

	return fd < 0 ? 3 : seg_fill(fd, seg) ? 4 : 0;
}

TEST_F(seg, a_small_file_size_limit_does_not_fail_adds)
{
	static uint8_t buf[BLOCK];
	int fd;

	ASSERT_EQ(0, seg_add(self->s, self->family, &self->a));
	EXPECT_EQ(0, in_child(limit_file_size, open_and_fill, &self->a));
	fd = seg_open(self->s, self->family, self->a.id);
	ASSERT_LE(0, fd);
	EXPECT_EQ(BLOCK - 1000, pread(fd, buf, sizeof(buf), 2 * BLOCK));
	EXPECT_EQ(0, memcmp(buf, self->a.data + 2 * BLOCK, BLOCK - 1000));
	close(fd);
}

TEST_HARNESS_MAIN
