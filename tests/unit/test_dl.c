// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Libraries loaded on first use (util/dl.h): the functions land in their
 * table; a missing library, a missing function or a failing start step
 * is said by name and stays the outcome; threads that ask at once load
 * the library once.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "testutil.h"

#include "dl.h"

static struct {
	typeof(&strlen) strlen;
	typeof(&memchr) memchr;
} libc;

static const char *const libc_names[] = { "libc.so.6", NULL };
static const char *const missing_names[] = { "libpeerdist-none.so.0", "libc-none.so", NULL };
static const struct pd_dl_sym libc_syms[] = {
	PD_DL_SYM(libc, strlen, strlen),
	PD_DL_SYM(libc, memchr, memchr),
};
static const struct pd_dl_sym bad_syms[] = {
	PD_DL_SYM(libc, strlen, strlen),
	{ "pd_no_such_function", (void **)&libc.memchr },
};

static atomic_int starts;

static int start_ok(char *why, size_t len)
{
	atomic_fetch_add(&starts, 1);
	return 0;
}

static int start_fails(char *why, size_t len)
{
	atomic_fetch_add(&starts, 1);
	snprintf(why, len, "libc cannot start: refused");
	return -1;
}

static void functions_land_in_the_table(void **state)
{
	static struct pd_dl_lib lib = PD_DL_LIB(libc_names, libc_syms, NULL);

	assert_int_equal(pd_dl_open(&lib), 0);
	assert_int_equal(libc.strlen("peerdist"), 8);
	assert_ptr_equal(libc.memchr(libc_names[0], '.', 8), strchr(libc_names[0], '.'));
	assert_string_equal(pd_dl_why(&lib), "");
}

static void missing_library_is_named(void **state)
{
	static struct pd_dl_lib lib = PD_DL_LIB(missing_names, libc_syms, start_ok);

	atomic_store(&starts, 0);
	assert_int_equal(pd_dl_open(&lib), -ENOENT);
	assert_non_null(strstr(pd_dl_why(&lib), "libpeerdist-none.so.0 cannot be loaded"));
	assert_int_equal(atomic_load(&starts), 0);
}

static void missing_function_is_named(void **state)
{
	static struct pd_dl_lib lib = PD_DL_LIB(libc_names, bad_syms, NULL);

	assert_int_equal(pd_dl_open(&lib), -ENOENT);
	assert_string_equal(pd_dl_why(&lib), "libc.so.6 has no pd_no_such_function");
}

static void failed_start_stays_the_outcome(void **state)
{
	static struct pd_dl_lib lib = PD_DL_LIB(libc_names, libc_syms, start_fails);

	atomic_store(&starts, 0);
	assert_int_equal(pd_dl_open(&lib), -ENOENT);
	assert_int_equal(pd_dl_open(&lib), -ENOENT);
	assert_string_equal(pd_dl_why(&lib), "libc cannot start: refused");
	assert_int_equal(atomic_load(&starts), 1);
}

#define THREADS 8

static struct pd_dl_lib shared = PD_DL_LIB(libc_names, libc_syms, start_ok);
static pthread_barrier_t together;

static void *open_shared(void *arg)
{
	pthread_barrier_wait(&together);
	return (void *)(intptr_t)pd_dl_open(&shared);
}

static void threads_at_once_load_it_once(void **state)
{
	pthread_t t[THREADS];
	void *rc;
	int i;

	atomic_store(&starts, 0);
	pthread_barrier_init(&together, NULL, THREADS);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, open_shared, NULL), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_int_equal((intptr_t)rc, 0);
	}
	pthread_barrier_destroy(&together);
	assert_int_equal(atomic_load(&starts), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(functions_land_in_the_table),
		cmocka_unit_test(missing_library_is_named),
		cmocka_unit_test(missing_function_is_named),
		cmocka_unit_test(failed_start_stays_the_outcome),
		cmocka_unit_test(threads_at_once_load_it_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
