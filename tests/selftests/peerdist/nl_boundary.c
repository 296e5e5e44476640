// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of peerdist.ko's boundary with the module loaded, run in the
 * qemu guest: the generic netlink family (status, strict policies,
 * privilege, the initial network namespace only) and the sysfs files (values, range checks, read-only
 * counters). Every test that changes a tunable puts the default back, so
 * that the order the harness runs them in does not matter.
 */
#define _GNU_SOURCE	/* unshare */
#include <sched.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "nl_helpers.h"

/* A module built with its KUnit suites ran them as it loaded (they leave
 * counts behind): its counters start from there, not from zero. */
static int kunit_ran(void)
{
	return access("/sys/kernel/debug/kunit/peerdist", F_OK) == 0;
}

FIXTURE(peerdist) {
	struct nl_sock *s;
	int family;
};

FIXTURE_SETUP(peerdist)
{
	self->s = nl_open(&self->family);
	ASSERT_NE(NULL, self->s);
	ASSERT_LT(0, self->family);
}

FIXTURE_TEARDOWN(peerdist)
{
	nl_socket_free(self->s);
}

TEST_F(peerdist, get_status_gives_defaults_and_zero_counters)
{
	struct status st;

	ASSERT_EQ(0, get_status(self->s, self->family, &st));
	EXPECT_EQ(1, st.version);
	EXPECT_EQ(1, st.enabled);
	EXPECT_EQ(256ull << 20, st.max_bytes);
	EXPECT_EQ(0, st.objects);
	EXPECT_EQ(0, st.cached);	/* KUnit's tests flush what they add */
}

TEST_F(peerdist, cap_under_1mib_refused)
{
	EXPECT_GT(0, set_u64(self->s, self->family, PEERDIST_A_CACHE_MAX_BYTES, 512 << 10));
	EXPECT_EQ(256ll << 20, read_sysfs(SYSFS "cache_max_bytes"));
}

TEST_F(peerdist, enabled_2_refused)
{
	EXPECT_GT(0, set_u8(self->s, self->family, PEERDIST_A_ENABLED, 2));
}

TEST_F(peerdist, unknown_attribute_refused)
{
	EXPECT_GT(0, set_u64(self->s, self->family, 200, 1));
}

TEST_F(peerdist, oversized_and_truncated_attributes_refused)
{
	uint8_t bytes[12] = { 0 };

	EXPECT_GT(0, set_raw(self->s, self->family, PEERDIST_A_CACHE_MAX_BYTES, bytes, 12));
	EXPECT_GT(0, set_raw(self->s, self->family, PEERDIST_A_CACHE_MAX_BYTES, bytes, 3));
	EXPECT_GT(0, set_raw(self->s, self->family, PEERDIST_A_ENABLED, bytes, 4));
}

TEST_F(peerdist, set_limits_applies_and_sysfs_shows_it)
{
	ASSERT_EQ(0, set_u64(self->s, self->family, PEERDIST_A_CACHE_MAX_BYTES, 64 << 20));
	ASSERT_EQ(0, set_u8(self->s, self->family, PEERDIST_A_ENABLED, 0));
	EXPECT_EQ(64 << 20, read_sysfs(SYSFS "cache_max_bytes"));
	EXPECT_EQ(0, read_sysfs(SYSFS "enabled"));
	ASSERT_EQ(0, set_u8(self->s, self->family, PEERDIST_A_ENABLED, 1));
	ASSERT_EQ(0, set_u64(self->s, self->family, PEERDIST_A_CACHE_MAX_BYTES, 256 << 20));
}

/* Each test runs in its own process: dropping privileges here is local. */
TEST_F(peerdist, unprivileged_reads_status_cannot_set_limits)
{
	struct status st;

	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	EXPECT_EQ(0, get_status(self->s, self->family, &st));
	EXPECT_EQ(-NLE_PERM, set_u64(self->s, self->family,
				     PEERDIST_A_CACHE_MAX_BYTES, 32 << 20));
}

TEST_F(peerdist, many_requests_in_a_row)
{
	struct status st;
	int i;

	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, get_status(self->s, self->family, &st));
}

TEST(sysfs_cap_range_checked)
{
	EXPECT_EQ(-EINVAL, write_sysfs(SYSFS "cache_max_bytes", "abc"));
	EXPECT_EQ(-ERANGE, write_sysfs(SYSFS "cache_max_bytes", "100"));
	ASSERT_EQ(0, write_sysfs(SYSFS "cache_max_bytes", "1048576"));
	EXPECT_EQ(1048576, read_sysfs(SYSFS "cache_max_bytes"));
	/* Back to the default, which other tests check. */
	ASSERT_EQ(0, write_sysfs(SYSFS "cache_max_bytes", "268435456"));
}

TEST(sysfs_enabled_takes_booleans_only)
{
	EXPECT_EQ(-EINVAL, write_sysfs(SYSFS "enabled", "maybe"));
	ASSERT_EQ(0, write_sysfs(SYSFS "enabled", "1"));
	EXPECT_EQ(1, read_sysfs(SYSFS "enabled"));
}

TEST(sysfs_counters_zero_and_read_only)
{
	static const char *const counters[] = { "cached_bytes", "segments", "hits",
		"misses", "evictions", "hash_bytes", "verify_failures", "objects" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		snprintf(path, sizeof(path), SYSFS "%s", counters[i]);
		if (!kunit_ran())
			EXPECT_EQ(0, read_sysfs(path));
		EXPECT_GT(0, write_sysfs(path, "1"));
	}
}

/*
 * The cache is the machine's, and so are its events: the family lives in
 * the initial network namespace only, so that a namespace's own
 * CAP_NET_ADMIN (a container's root) neither hears which blocks the
 * machine reads nor changes its cache.
 */
TEST(family_is_only_in_the_initial_network_namespace)
{
	int status, family = -1;
	struct nl_sock *s;
	pid_t pid = fork();

	if (!pid) {
		if (unshare(CLONE_NEWNET))
			_exit(errno == EINVAL ? 77 : 2);
		s = nl_open(&family);
		_exit(!s ? 3 : family >= 0 ? 4 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		SKIP(return, "this kernel has no network namespaces (CONFIG_NET_NS)");
	EXPECT_EQ(0, WEXITSTATUS(status));
	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	EXPECT_LT(0, family);
	nl_socket_free(s);
}

TEST_HARNESS_MAIN
