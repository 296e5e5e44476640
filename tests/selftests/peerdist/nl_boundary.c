// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftest of peerdist.ko's boundary, run inside the qemu guest (TAP):
 * the generic netlink family (status, strict policies, privilege) and the
 * sysfs files (values, range checks, read-only counters).
 * Usage: nl_boundary            with the module loaded
 *        nl_boundary --unloaded after rmmod: everything must be gone
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "../../../include/uapi/linux/peerdist.h"

#define SYSFS "/sys/kernel/peerdist/"

static int test_no, failures;

static void result(int ok, const char *name)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++test_no, name);
	failures += !ok;
}

struct status {
	uint32_t version;
	uint8_t enabled;
	uint64_t max_bytes, objects, cached;
	int got;
};

static int parse_status(struct nl_msg *msg, void *arg)
{
	struct status *st = arg;
	struct nlattr *a[PEERDIST_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, PEERDIST_A_MAX, NULL) ||
	    !a[PEERDIST_A_VERSION] || !a[PEERDIST_A_ENABLED] ||
	    !a[PEERDIST_A_CACHE_MAX_BYTES] || !a[PEERDIST_A_OBJECTS] ||
	    !a[PEERDIST_A_CACHED_BYTES])
		return NL_SKIP;
	st->version = nla_get_u32(a[PEERDIST_A_VERSION]);
	st->enabled = nla_get_u8(a[PEERDIST_A_ENABLED]);
	st->max_bytes = nla_get_u64(a[PEERDIST_A_CACHE_MAX_BYTES]);
	st->objects = nla_get_u64(a[PEERDIST_A_OBJECTS]);
	st->cached = nla_get_u64(a[PEERDIST_A_CACHED_BYTES]);
	st->got = 1;
	return NL_OK;
}

static struct nl_sock *sock(int *family)
{
	struct nl_sock *s = nl_socket_alloc();

	if (!s || genl_connect(s))
		return NULL;
	*family = genl_ctrl_resolve(s, PEERDIST_FAMILY_NAME);
	return s;
}

static int get_status(struct nl_sock *s, int family, struct status *st)
{
	struct nl_msg *m = nlmsg_alloc();
	int err;

	memset(st, 0, sizeof(*st));
	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
		    PEERDIST_CMD_GET_STATUS, 1);
	nl_socket_modify_cb(s, NL_CB_VALID, NL_CB_CUSTOM, parse_status, st);
	err = nl_send_auto(s, m);
	nlmsg_free(m);
	if (err < 0)
		return err;
	/* The reply, then the ACK libnl asked for (left unread, it would
	 * answer the next request). */
	err = nl_recvmsgs_default(s);
	if (err >= 0)
		err = nl_wait_for_ack(s);
	return err < 0 ? err : st->got ? 0 : -NLE_MSG_TRUNC;
}

/* set-limits with raw attributes: type, length, value bytes. */
static int set_raw(struct nl_sock *s, int family, int type, const void *v, int len)
{
	struct nl_msg *m = nlmsg_alloc();
	int err;

	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
		    PEERDIST_CMD_SET_LIMITS, 1);
	if (type)
		nla_put(m, type, len, v);
	err = nl_send_auto(s, m);
	nlmsg_free(m);
	return err < 0 ? err : nl_wait_for_ack(s);
}

static int set_u64(struct nl_sock *s, int family, int type, uint64_t v)
{
	return set_raw(s, family, type, &v, sizeof(v));
}

static int set_u8(struct nl_sock *s, int family, int type, uint8_t v)
{
	return set_raw(s, family, type, &v, 1);
}

static int write_sysfs(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static long long read_sysfs(const char *file)
{
	char buf[64] = { 0 };
	int fd = open(file, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return -1;
	close(fd);
	return atoll(buf);
}

static void netlink_tests(void)
{
	struct status st;
	int family, status, i;
	struct nl_sock *s = sock(&family);
	uint8_t twelve[12] = { 0 };
	pid_t pid;

	result(s && family > 0, "netlink: family peerdist resolves");
	if (!s || family <= 0)
		return;
	result(!get_status(s, family, &st) && st.version == 1 && st.enabled == 1 &&
	       st.max_bytes == 256ull << 20 && st.objects == 0 && st.cached == 0,
	       "netlink: get-status gives version, defaults and zero counters");
	result(set_u64(s, family, PEERDIST_A_CACHE_MAX_BYTES, 512 << 10) < 0,
	       "netlink: cap under 1 MiB refused");
	result(set_u8(s, family, PEERDIST_A_ENABLED, 2) < 0,
	       "netlink: enabled 2 refused");
	result(set_u64(s, family, 200, 1) < 0, "netlink: unknown attribute refused");
	result(set_raw(s, family, PEERDIST_A_CACHE_MAX_BYTES, twelve, 12) < 0,
	       "netlink: oversized attribute refused");
	result(set_raw(s, family, PEERDIST_A_CACHE_MAX_BYTES, twelve, 3) < 0,
	       "netlink: truncated attribute refused");
	result(!set_u64(s, family, PEERDIST_A_CACHE_MAX_BYTES, 64 << 20) &&
	       !set_u8(s, family, PEERDIST_A_ENABLED, 0) &&
	       read_sysfs(SYSFS "cache_max_bytes") == 64 << 20 &&
	       read_sysfs(SYSFS "enabled") == 0,
	       "netlink: set-limits applies, sysfs shows it");
	pid = fork();
	if (pid == 0) {
		int fam;
		struct nl_sock *us;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		us = sock(&fam);
		if (!us || fam <= 0)
			_exit(3);
		/* Reading is for everyone, changing for CAP_NET_ADMIN only. */
		_exit(get_status(us, fam, &st) ? 4 :
		      set_u64(us, fam, PEERDIST_A_CACHE_MAX_BYTES, 32 << 20) == -NLE_PERM ? 0 : 5);
	}
	waitpid(pid, &status, 0);
	result(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "netlink: unprivileged caller reads status, cannot set limits");
	for (i = 0; i < 200; i++)
		if (get_status(s, family, &st))
			break;
	result(i == 200, "netlink: 200 requests in a row");
	set_u8(s, family, PEERDIST_A_ENABLED, 1);
	nl_socket_free(s);
}

static void sysfs_tests(void)
{
	static const char *const counters[] = { "cached_bytes", "segments", "hits",
		"misses", "evictions", "hash_bytes", "verify_failures", "objects" };
	char path[128];
	size_t i;
	int ok = 1;

	result(write_sysfs(SYSFS "cache_max_bytes", "abc") == -EINVAL,
	       "sysfs: cache_max_bytes refuses text");
	result(write_sysfs(SYSFS "cache_max_bytes", "100") == -ERANGE,
	       "sysfs: cache_max_bytes refuses under 1 MiB");
	result(!write_sysfs(SYSFS "cache_max_bytes", "1048576") &&
	       read_sysfs(SYSFS "cache_max_bytes") == 1048576,
	       "sysfs: cache_max_bytes takes 1 MiB");
	result(write_sysfs(SYSFS "enabled", "maybe") == -EINVAL &&
	       !write_sysfs(SYSFS "enabled", "1") && read_sysfs(SYSFS "enabled") == 1,
	       "sysfs: enabled takes booleans only");
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		snprintf(path, sizeof(path), SYSFS "%s", counters[i]);
		ok &= read_sysfs(path) == 0 && write_sysfs(path, "1") < 0;
	}
	result(ok, "sysfs: counters read 0 and are read-only");
}

static void unloaded_tests(void)
{
	int family = 0;
	struct nl_sock *s = sock(&family);

	result(access(SYSFS, F_OK) != 0, "rmmod: /sys/kernel/peerdist is gone");
	result(s && family < 0, "rmmod: the netlink family is gone");
	if (s)
		nl_socket_free(s);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--unloaded")) {
		unloaded_tests();
	} else {
		netlink_tests();
		sysfs_tests();
	}
	return failures ? 1 : 0;
}
