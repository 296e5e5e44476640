// SPDX-License-Identifier: LGPL-2.1-or-later
/* Address and link notifications from rtnetlink, through libnl. */
#include <errno.h>
#include <stdlib.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "netwatch.h"

struct pd_netwatch {
	struct nl_sock *sk;
	int changed;
};

static int on_message(struct nl_msg *msg, void *arg)
{
	struct pd_netwatch *w = arg;

	switch (nlmsg_hdr(msg)->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
	case RTM_NEWLINK:
	case RTM_DELLINK:
		w->changed = 1;
	}
	return NL_OK;
}

int pd_netwatch_open(struct pd_netwatch **out)
{
	struct pd_netwatch *w = calloc(1, sizeof(*w));
	int err = -ENOMEM;

	if (!w)
		return err;
	w->sk = nl_socket_alloc();
	if (!w->sk)
		goto free_w;
	nl_socket_disable_seq_check(w->sk);
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, on_message, w);
	err = nl_connect(w->sk, NETLINK_ROUTE);
	if (!err)
		err = nl_socket_add_memberships(w->sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
						RTNLGRP_IPV6_IFADDR, 0);
	if (!err)
		err = nl_socket_set_nonblocking(w->sk);
	if (err) {
		err = err == -NLE_PERM ? -EPERM : -EIO;
		goto free_sock;
	}
	*out = w;
	return 0;

free_sock:
	nl_socket_free(w->sk);
free_w:
	free(w);
	return err;
}

int pd_netwatch_fd(const struct pd_netwatch *w)
{
	return nl_socket_get_fd(w->sk);
}

int pd_netwatch_changed(struct pd_netwatch *w)
{
	int err;

	w->changed = 0;
	do
		err = nl_recvmsgs_default(w->sk);
	while (err >= 0);
	/* -NLE_AGAIN: drained. Anything else (-NLE_NOMEM: the kernel's queue
	 * overflowed) may have lost news: say changed. */
	return w->changed || err != -NLE_AGAIN;
}

void pd_netwatch_close(struct pd_netwatch *w)
{
	if (!w)
		return;
	nl_socket_free(w->sk);
	free(w);
}
