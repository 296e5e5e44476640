/* SPDX-License-Identifier: GPL-2.0-only */
/* /sys/kernel/peerdist (sysfs.c). */
#ifndef PD_KMOD_SYSFS_H
#define PD_KMOD_SYSFS_H

int pd_sysfs_init(void);
void pd_sysfs_exit(void);

#endif
