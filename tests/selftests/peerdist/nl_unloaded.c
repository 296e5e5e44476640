// SPDX-License-Identifier: GPL-2.0-only
/* Selftests after rmmod peerdist: nothing of the module is left. */
#include "kselftest_harness.h"

#include "nl_helpers.h"

TEST(sysfs_directory_gone)
{
	EXPECT_NE(0, access(SYSFS, F_OK));
}

TEST(netlink_family_gone)
{
	int family = 0;
	struct nl_sock *s = nl_open(&family);

	ASSERT_NE(NULL, s);
	EXPECT_GT(0, family);
	nl_socket_free(s);
}

TEST_HARNESS_MAIN
