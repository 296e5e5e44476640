// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The usable CPU count: a quota of the cgroup (v1 numbers or a v2 cpu.max
 * line) rounds up to whole CPUs, "no limit" is no limit, garbage is no
 * line; and a process pinned to one CPU may use one, whatever the machine.
 */
#include <sched.h>

#include "testutil.h"

#include "cpus.h"

static void quota_rounds_up(void **state)
{
	assert_int_equal(pd_cpus_of_quota(100000, 100000), 1);
	assert_int_equal(pd_cpus_of_quota(150000, 100000), 2);
	assert_int_equal(pd_cpus_of_quota(50000, 100000), 1);
	assert_int_equal(pd_cpus_of_quota(400000, 100000), 4);
	assert_int_equal(pd_cpus_of_quota(-1, 100000), 0);
	assert_int_equal(pd_cpus_of_quota(100000, 0), 0);
}

static void cpu_max_lines(void **state)
{
	assert_int_equal(pd_cpus_of_cpu_max("max 100000\n"), 0);
	assert_int_equal(pd_cpus_of_cpu_max("200000 100000\n"), 2);
	assert_int_equal(pd_cpus_of_cpu_max("250000 100000"), 3);
	assert_int_equal(pd_cpus_of_cpu_max("10000 100000"), 1);
	assert_int_equal(pd_cpus_of_cpu_max(""), -1);
	assert_int_equal(pd_cpus_of_cpu_max("max"), -1);
	assert_int_equal(pd_cpus_of_cpu_max("-5 100000"), -1);
	assert_int_equal(pd_cpus_of_cpu_max("100000 0"), -1);
}

static void follows_affinity(void **state)
{
	cpu_set_t all, one;
	int cpu;

	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	assert_true(pd_usable_cpus(64) <= (unsigned)CPU_COUNT(&all));
	assert_true(pd_usable_cpus(64) >= 1);
	for (cpu = 0; !CPU_ISSET(cpu, &all); cpu++)
		;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(pd_usable_cpus(64), 1);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(pd_usable_cpus(1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quota_rounds_up),
		cmocka_unit_test(cpu_max_lines),
		cmocka_unit_test(follows_affinity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
