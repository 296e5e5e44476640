/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How many CPUs this process may keep busy: the affinity mask it runs
 * under (taskset, cpusets), bounded by the CPU bandwidth quota of its
 * cgroup and the cgroup's ancestors (what containers set). Threads beyond
 * that only take turns on the same CPUs.
 */
#ifndef PD_CPUS_H
#define PD_CPUS_H

/* At least 1, at most max. */
unsigned pd_usable_cpus(unsigned max);

/*
 * CPUs a quota of quota_us per period_us allows, rounded up; 0 when
 * there is no limit (quota_us < 0, as cgroup v1 says "no limit", or
 * period_us == 0).
 */
unsigned pd_cpus_of_quota(long long quota_us, long long period_us);

/* The same for a cgroup v2 cpu.max line, "max 100000" or "50000 100000";
 * -1 when the line is not one. */
int pd_cpus_of_cpu_max(const char *line);

#endif
