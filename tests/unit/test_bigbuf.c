// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Huge-page buffers: 2 MiB-aligned (what a huge page needs), zeroed,
 * writable to the last byte asked for, and gone when freed.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"

#include "bigbuf.h"

#define HUGE ((size_t)2 << 20)

static int mapped(const void *p, size_t len)
{
	unsigned char vec[1024];

	return mincore((void *)p, len, vec) == 0;
}

static void check(size_t len)
{
	uint8_t *buf = pd_bigbuf_alloc(len);
	size_t i;

	assert_non_null(buf);
	assert_int_equal((uintptr_t)buf % HUGE, 0);
	for (i = 0; i < len; i += 4096)
		assert_int_equal(buf[i], 0);
	buf[len - 1] = 0xa5;
	memset(buf, 0x5a, len - 1);
	assert_int_equal(buf[len - 1], 0xa5);
	pd_bigbuf_free(buf, len);
	assert_false(mapped(buf, 4096));
	assert_false(mapped(buf + ((len - 1) & ~(size_t)4095), 4096));
}

static void aligned_zeroed_writable_freed(void **state)
{
	check(1);
	check(1u << 20);
	check(HUGE);
	check(HUGE + 1);
	check(3 * HUGE - 4096);
}

static void free_of_null_is_nothing(void **state)
{
	pd_bigbuf_free(NULL, HUGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aligned_zeroed_writable_freed),
		cmocka_unit_test(free_of_null_is_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
