// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cache's byte counters (lib/store/counters.c): a new file is 0600
 * whatever the umask and starts at zero; counts outlive the process and
 * are shared by every open of the cache; processes adding at once lose
 * nothing; a file that is corrupt, of the wrong size or a symbolic link is
 * made anew with a message, never a crash; reset zeroes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "counters.h"

#define ADDS	200000

static char dir[64];
static int dirfd_;

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/pd-counters-XXXXXX");
	assert_non_null(mkdtemp(dir));
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dirfd_ < 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	close(dirfd_);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct pd_counters *open_counters(void)
{
	struct pd_counters *c = NULL;

	assert_int_equal(pd_counters_open(dirfd_, dir, &c), 0);
	assert_non_null(c);
	return c;
}

static uint64_t value(struct pd_counters *c, enum pd_counter which)
{
	uint64_t v[PD_COUNTERS];

	pd_counters_read(c, v);
	return v[which];
}

/* Runs open_counters() with stderr going to a file: what it said. */
static struct pd_counters *open_quoting(char *said, size_t len)
{
	char path[96];
	int saved = dup(2), fd;
	struct pd_counters *c;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/said", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	c = open_counters();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, said, len - 1, 0);
	said[n > 0 ? n : 0] = '\0';
	close(fd);
	return c;
}

static void new_file_is_private_and_zero(void **state)
{
	mode_t old = umask(0);
	struct pd_counters *c;
	struct stat st;
	unsigned i;

	(void)state;
	c = open_counters();
	umask(old);
	assert_int_equal(fstatat(dirfd_, "counters", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	for (i = 0; i < PD_COUNTERS; i++)
		assert_int_equal(value(c, i), 0);
	assert_string_equal(pd_counter_name(PD_COUNT_FETCHED_FROM_ORIGINS),
			    "fetched_from_origins");
	pd_counters_close(c);
}

static void counts_outlive_the_process(void **state)
{
	struct pd_counters *c = open_counters();
	pid_t pid;
	int status;

	(void)state;
	pd_counters_add(c, PD_COUNT_FETCHED_FROM_PEERS, 65536);
	pd_counters_close(c);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {	/* another process, its own open */
		c = open_counters();
		pd_counters_add(c, PD_COUNT_FETCHED_FROM_PEERS, 1000);
		pd_counters_add(c, PD_COUNT_SERVED_TO_PEERS, 7);
		_exit(0);	/* no close: what was added is in the file */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	c = open_counters();
	assert_int_equal(value(c, PD_COUNT_FETCHED_FROM_PEERS), 66536);
	assert_int_equal(value(c, PD_COUNT_SERVED_TO_PEERS), 7);
	assert_int_equal(value(c, PD_COUNT_READ_FROM_CACHE), 0);
	pd_counters_close(c);
}

static void opens_share_one_set(void **state)
{
	struct pd_counters *a = open_counters(), *b = open_counters();

	(void)state;
	pd_counters_add(a, PD_COUNT_READ_FROM_CACHE, 5);
	pd_counters_add(b, PD_COUNT_READ_FROM_CACHE, 6);
	assert_int_equal(value(a, PD_COUNT_READ_FROM_CACHE), 11);
	assert_int_equal(value(b, PD_COUNT_READ_FROM_CACHE), 11);
	pd_counters_close(a);
	pd_counters_close(b);
}

static void concurrent_adds_lose_nothing(void **state)
{
	struct pd_counters *c;
	pid_t pids[2];
	int i, k, status;

	(void)state;
	for (k = 0; k < 2; k++) {
		pids[k] = fork();
		assert_true(pids[k] >= 0);
		if (!pids[k]) {
			c = open_counters();
			for (i = 0; i < ADDS; i++)
				pd_counters_add(c, PD_COUNT_FETCHED_FROM_ORIGINS, 3);
			pd_counters_close(c);
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		assert_true(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	c = open_counters();
	assert_int_equal(value(c, PD_COUNT_FETCHED_FROM_ORIGINS), 2ull * ADDS * 3);
	pd_counters_close(c);
}

/* The counters file replaced by what is written here: made anew, said so. */
static void check_repaired(const void *bytes, size_t len, int symlink_to_it)
{
	char said[512], target[96];
	struct pd_counters *c = open_counters();
	struct stat st;
	int fd;

	pd_counters_add(c, PD_COUNT_SERVED_TO_PEERS, 99);
	pd_counters_close(c);
	unlinkat(dirfd_, "counters", 0);
	snprintf(target, sizeof(target), "%s/%s", dir,
		 symlink_to_it ? "elsewhere" : "counters");
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	close(fd);
	if (symlink_to_it)
		assert_int_equal(symlinkat(target, dirfd_, "counters"), 0);

	c = open_quoting(said, sizeof(said));
	assert_non_null(strstr(said, "counters was"));
	assert_non_null(strstr(said, "made anew"));
	assert_int_equal(value(c, PD_COUNT_SERVED_TO_PEERS), 0);
	pd_counters_add(c, PD_COUNT_SERVED_TO_PEERS, 1);
	pd_counters_close(c);
	assert_int_equal(fstatat(dirfd_, "counters", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));

	c = open_quoting(said, sizeof(said));
	assert_string_equal(said, "");		/* repaired once: now it is fine */
	assert_int_equal(value(c, PD_COUNT_SERVED_TO_PEERS), 1);
	pd_counters_close(c);
}

static void corrupt_file_is_made_anew(void **state)
{
	uint8_t junk[144];

	(void)state;
	fill_pattern(junk, sizeof(junk), 3);	/* the right size, no magic */
	check_repaired(junk, sizeof(junk), 0);
}

static void wrong_size_is_made_anew(void **state)
{
	(void)state;
	check_repaired("short", 5, 0);
	check_repaired("", 0, 0);
}

static void symlink_is_replaced(void **state)
{
	uint8_t junk[144] = { 0 };
	char path[96];
	struct stat st;

	(void)state;
	check_repaired(junk, sizeof(junk), 1);
	snprintf(path, sizeof(path), "%s/elsewhere", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, sizeof(junk));	/* the link's target untouched */
}

static void reset_zeroes(void **state)
{
	struct pd_counters *c = open_counters();
	unsigned i;

	(void)state;
	for (i = 0; i < PD_COUNTERS; i++)
		pd_counters_add(c, i, i + 1);
	pd_counters_reset(c);
	for (i = 0; i < PD_COUNTERS; i++)
		assert_int_equal(value(c, i), 0);
	pd_counters_close(c);
}

static void no_directory_counts_nothing(void **state)
{
	uint64_t v[PD_COUNTERS];

	(void)state;
	pd_counters_add(NULL, PD_COUNT_READ_FROM_CACHE, 10);
	pd_counters_read(NULL, v);
	assert_int_equal(v[PD_COUNT_READ_FROM_CACHE], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(new_file_is_private_and_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(counts_outlive_the_process, setup, teardown),
		cmocka_unit_test_setup_teardown(opens_share_one_set, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_adds_lose_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_file_is_made_anew, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_size_is_made_anew, setup, teardown),
		cmocka_unit_test_setup_teardown(symlink_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_zeroes, setup, teardown),
		cmocka_unit_test(no_directory_counts_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
