/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Address and link changes of the machine (rtnetlink RTM_NEWADDR,
 * RTM_DELADDR, RTM_NEWLINK, RTM_DELLINK), as a file descriptor to poll: a
 * long-lived service re-reads its interfaces (pd_netif_list) when it says
 * something changed, instead of polling them on a timer.
 */
#ifndef PD_NETWATCH_H
#define PD_NETWATCH_H

struct pd_netwatch;

/* Subscribes to the link and IPv4/IPv6 address groups: 0 or -errno. */
int pd_netwatch_open(struct pd_netwatch **out);

/* The descriptor to poll for POLLIN (non-blocking). */
int pd_netwatch_fd(const struct pd_netwatch *w);

/*
 * Reads every pending notification: 1 when an address or link changed
 * (also when the kernel dropped notifications: the list must be re-read),
 * 0 when nothing did.
 */
int pd_netwatch_changed(struct pd_netwatch *w);

void pd_netwatch_close(struct pd_netwatch *w);

#endif
