/* SPDX-License-Identifier: GPL-2.0-only */
/* Netlink and sysfs helpers for the peerdist.ko selftests (static, libnl). */
#ifndef PD_NL_HELPERS_H
#define PD_NL_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "../../../include/uapi/linux/peerdist.h"

#define SYSFS "/sys/kernel/peerdist/"

struct status {
	uint32_t version;
	uint8_t enabled;
	uint64_t max_bytes, objects, cached;
	int got;
};

static inline int parse_status(struct nl_msg *msg, void *arg)
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

/* A connected socket and the family id (negative if unresolved). */
static inline struct nl_sock *nl_open(int *family)
{
	struct nl_sock *s = nl_socket_alloc();

	if (!s || genl_connect(s))
		return NULL;
	*family = genl_ctrl_resolve(s, PEERDIST_FAMILY_NAME);
	return s;
}

static inline int get_status(struct nl_sock *s, int family, struct status *st)
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

/* set-limits with one raw attribute (type 0: none). */
static inline int set_raw(struct nl_sock *s, int family, int type, const void *v, int len)
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

static inline int set_u64(struct nl_sock *s, int family, int type, uint64_t v)
{
	return set_raw(s, family, type, &v, sizeof(v));
}

static inline int set_u8(struct nl_sock *s, int family, int type, uint8_t v)
{
	return set_raw(s, family, type, &v, 1);
}

static inline int write_sysfs(const char *file, const char *text)
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

static inline long long read_sysfs(const char *file)
{
	char buf[64] = { 0 };
	int fd = open(file, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return -1;
	close(fd);
	return atoll(buf);
}

#endif
