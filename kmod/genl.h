/* SPDX-License-Identifier: GPL-2.0-only */
/* The generic netlink family (genl.c) and its events. */
#ifndef PD_KMOD_GENL_H
#define PD_KMOD_GENL_H

#include <linux/types.h>

struct pd_segment;

/* Multicast to the events group: a block added, a block missed. */
void pd_genl_notify_block(const struct pd_segment *seg, u32 index, bool added);
/* Multicast to the events group: the cache was enabled or disabled. */
void pd_genl_notify_status(bool enabled);
int pd_genl_init(void);
void pd_genl_exit(void);

#endif
