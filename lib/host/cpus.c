// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The CPUs a process may use: sched_getaffinity, then the cgroup CPU
 * quota. cgroup v2 keeps it in cpu.max, v1 in cpu.cfs_quota_us and
 * cpu.cfs_period_us; every ancestor's quota applies too, so the walk goes
 * from the process's cgroup up to the root and keeps the smallest.
 */
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "cpus.h"

#define CGROUP_ROOT	"/sys/fs/cgroup"

unsigned pd_cpus_of_quota(long long quota_us, long long period_us)
{
	if (quota_us < 0 || period_us <= 0)
		return 0;
	if (quota_us == 0)
		return 1;
	return (quota_us + period_us - 1) / period_us;
}

int pd_cpus_of_cpu_max(const char *line)
{
	long long quota, period;
	char word[8];

	if (sscanf(line, "%7s %lld", word, &period) == 2 && !strcmp(word, "max"))
		return period > 0 ? 0 : -1;
	if (sscanf(line, "%lld %lld", &quota, &period) != 2 || quota < 0 || period <= 0)
		return -1;
	return pd_cpus_of_quota(quota, period);
}

/* The first line of the file name in dir. */
static int read_line(const char *dir, const char *name, char *buf, int size)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	return ok ? 0 : -1;
}

/* The quota of one cgroup directory, v2 or v1; 0 when none. */
static unsigned quota_of_dir(const char *dir, int v2)
{
	long long quota, period;
	char line[64];
	int n;

	if (v2) {
		if (read_line(dir, "cpu.max", line, sizeof(line)))
			return 0;
		n = pd_cpus_of_cpu_max(line);
		return n > 0 ? n : 0;
	}
	if (read_line(dir, "cpu.cfs_quota_us", line, sizeof(line)) ||
	    sscanf(line, "%lld", &quota) != 1 ||
	    read_line(dir, "cpu.cfs_period_us", line, sizeof(line)) ||
	    sscanf(line, "%lld", &period) != 1)
		return 0;
	return pd_cpus_of_quota(quota, period);
}

/* The smallest quota from the cgroup at root + rel up to root; 0 if none. */
static unsigned quota_up_from(const char *root, const char *rel, int v2)
{
	char dir[PATH_MAX], *slash;
	unsigned best = 0, q;

	if (snprintf(dir, sizeof(dir), "%s%s", root, rel) >= (int)sizeof(dir))
		return 0;
	for (;;) {
		q = quota_of_dir(dir, v2);
		if (q && (!best || q < best))
			best = q;
		if (strlen(dir) <= strlen(root))
			return best;
		slash = strrchr(dir, '/');
		if (!slash)
			return best;
		*slash = '\0';
	}
}

/* Whether a v1 hierarchy's controller list ("cpu,cpuacct") has "cpu". */
static int has_cpu_controller(const char *list)
{
	size_t n;

	for (; *list; list += n + (list[n] == ',')) {
		n = strcspn(list, ",");
		if (n == 3 && !strncmp(list, "cpu", 3))
			return 1;
	}
	return 0;
}

/* The quota of the cgroup this process is in (cgroup v2 or v1's cpu
 * controller); 0 when none applies. */
static unsigned cgroup_quota(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 64], *ctrl, *path;
	unsigned best = 0, q;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ctrl = strchr(line, ':');
		path = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		ctrl++;
		if (!*ctrl)
			q = quota_up_from(CGROUP_ROOT, path, 1);
		else if (has_cpu_controller(ctrl))
			q = quota_up_from(CGROUP_ROOT "/cpu", path, 0);
		else
			continue;
		if (q && (!best || q < best))
			best = q;
	}
	fclose(f);
	return best;
}

unsigned pd_usable_cpus(unsigned max)
{
	cpu_set_t set;
	unsigned n = 0, q;

	if (!sched_getaffinity(0, sizeof(set), &set))
		n = CPU_COUNT(&set);
	q = cgroup_quota();
	if (q && (!n || q < n))
		n = q;
	if (n < 1)
		n = 1;
	return n > max ? max : n;
}
