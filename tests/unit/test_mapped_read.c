// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mapped reads: off until a program enables them, the bytes of the window
 * asked for, a window whose file shrank under it an error the reader
 * survives (again and again, and when the cut only zeroed part of its last
 * page), and any other SIGBUS still fatal. Each test
 * enables them again: the test runner takes SIGBUS over for every test.
 */
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "mapped_read.h"

#define PAGE 4096

static int temp_file(size_t len, uint64_t seed)
{
	char path[] = "/tmp/pd-mapped-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *data = malloc(len);

	assert_true(fd >= 0);
	unlink(path);
	fill_pattern(data, len, seed);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	free(data);
	return fd;
}

struct seen {
	uint8_t *copy;
	size_t len;
	int cut_fd;		/* >= 0: cut this file to cut_to bytes first */
	off_t cut_to;
};

static void take(const uint8_t *data, size_t len, void *arg)
{
	struct seen *s = arg;

	if (s->cut_fd >= 0)
		assert_int_equal(ftruncate(s->cut_fd, s->cut_to), 0);
	s->copy = malloc(len);
	s->len = len;
	memcpy(s->copy, data, len);	/* faults past the cut's last page */
}

static void off_until_enabled(void **state)
{
	struct seen s = { .cut_fd = -1 };
	int fd = temp_file(PAGE, 1);

	assert_false(pd_mapped_reads_enabled());
	assert_int_equal(pd_mapped_read(fd, 0, PAGE, take, &s), -ENOTSUP);
	assert_null(s.copy);
	close(fd);
}

static void reads_the_window(void **state)
{
	uint8_t want[3 * PAGE + 10];
	struct seen s = { .cut_fd = -1 };
	int fd = temp_file(5 * PAGE, 2);

	assert_int_equal(pd_mapped_reads_enable(), 0);
	assert_true(pd_mapped_reads_enabled());
	assert_int_equal(pd_mapped_read(fd, PAGE, sizeof(want), take, &s), 0);
	assert_int_equal(pread(fd, want, sizeof(want), PAGE), (ssize_t)sizeof(want));
	assert_int_equal(s.len, sizeof(want));
	assert_memory_equal(s.copy, want, sizeof(want));
	free(s.copy);
	assert_int_equal(pd_mapped_read(fd, 100, PAGE, take, &s), -EINVAL);
	close(fd);
}

static void shrunk_file_is_eio(void **state)
{
	int i;

	assert_int_equal(pd_mapped_reads_enable(), 0);
	assert_int_equal(pd_mapped_reads_enable(), 0);	/* twice: no harm */
	for (i = 0; i < 3; i++) {
		int fd = temp_file(4 * PAGE, 3);
		struct seen s = { .cut_fd = fd };

		assert_int_equal(pd_mapped_read(fd, 0, 4 * PAGE, take, &s), -EIO);
		free(s.copy);
		close(fd);
	}
}

/* Cut within the window's last page, the mapping reads zeros there
 * instead of faulting: still the cut file's error, never its zeros. */
static void cut_in_last_page_is_eio(void **state)
{
	int fd = temp_file(4 * PAGE, 5);
	struct seen s = { .cut_fd = fd, .cut_to = 4 * PAGE - 50 };

	assert_int_equal(pd_mapped_reads_enable(), 0);
	assert_int_equal(pd_mapped_read(fd, 0, 4 * PAGE, take, &s), -EIO);
	assert_int_equal(s.len, 4 * PAGE);	/* fn ran to its end */
	free(s.copy);
	close(fd);
}

/* A fault outside every window is not the handler's to swallow. */
static void other_sigbus_kills(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = temp_file(2 * PAGE, 4);
		volatile uint8_t *p;

		signal(SIGBUS, SIG_DFL);	/* not the test runner's catching */
		if (pd_mapped_reads_enable())
			_exit(2);
		p = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || ftruncate(fd, 0))
			_exit(2);
		(void)p[PAGE];
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(off_until_enabled),	/* first: enabling is for good */
		cmocka_unit_test(reads_the_window),
		cmocka_unit_test(shrunk_file_is_eio),
		cmocka_unit_test(cut_in_last_page_is_eio),
		cmocka_unit_test(other_sigbus_kills),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
