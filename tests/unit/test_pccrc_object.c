// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The content-information object (pccrc.c): zeroed, every segment's block
 * hashes laid out after the previous one's, writable to the last byte,
 * and freed with one call, whether small (malloc) or of a content large
 * enough for huge pages.
 */
#include "testutil.h"

#include "pccrc.h"

#define HASH 32

static void check(uint32_t nsegments, uint32_t blocks_each)
{
	uint32_t *nblocks = calloc(nsegments ? nsegments : 1, sizeof(*nblocks));
	struct pd_ci *ci;
	size_t seg_bytes = (size_t)blocks_each * HASH, i;
	uint32_t s;

	assert_non_null(nblocks);
	for (s = 0; s < nsegments; s++)
		nblocks[s] = blocks_each;
	ci = pd_ci_alloc(1, PD_HASH_SHA256, nsegments, nblocks);
	assert_non_null(ci);
	assert_int_equal(ci->hash_len, HASH);
	assert_int_equal(ci->nsegments, nsegments);
	for (s = 0; s < nsegments; s++) {
		assert_int_equal(ci->segments[s].nblocks, blocks_each);
		if (s)
			assert_ptr_equal(ci->segments[s].block_hashes,
					 ci->segments[s - 1].block_hashes + seg_bytes);
		for (i = 0; i < seg_bytes; i++)
			assert_int_equal(ci->segments[s].block_hashes[i], 0);
		memset(ci->segments[s].block_hashes, 0xa5, seg_bytes);
	}
	pd_ci_free(ci);
	free(nblocks);
}

static void small_object(void **state)
{
	check(0, 0);
	check(1, 1);
	check(3, 512);
}

/* 16384 blocks: a GiB of content, half a megabyte of hashes. */
static void object_of_a_gigabyte(void **state)
{
	check(512, 512 / 16);
	check(32, 512);
	check(600, 512);
}

static void free_of_null_is_nothing(void **state)
{
	pd_ci_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_object),
		cmocka_unit_test(object_of_a_gigabyte),
		cmocka_unit_test(free_of_null_is_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
