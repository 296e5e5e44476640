// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The store backends' open-segment table: found by id, the least recently
 * used closed (once, through the backend's callback) when a new one needs
 * its slot, forgotten by id, all closed at the end.
 */
#include "testutil.h"

#include "open_cache.h"

struct test_slot {
	struct pd_open_slot slot;
	int handle;			/* what the "backend" opened */
};

static int closed[16], nclosed;

static void close_slot(struct pd_open_slot *slot)
{
	closed[nclosed++] = ((struct test_slot *)slot)->handle;
}

static struct test_slot slots[3];
static struct pd_open_cache cache;

static int setup(void **state)
{
	(void)state;
	memset(slots, 0, sizeof(slots));
	nclosed = 0;
	PD_OPEN_CACHE_INIT(&cache, slots, close_slot);
	return 0;
}

static uint8_t *id_of(int n)
{
	static uint8_t id[32];

	memset(id, n, sizeof(id));
	return id;
}

/* Opens segment n the way a backend does on a miss. */
static struct test_slot *open_id(int n)
{
	struct test_slot *s = (struct test_slot *)pd_open_cache_take(&cache);

	assert_false(s->slot.used);
	s->handle = n;
	pd_open_cache_insert(&cache, &s->slot, id_of(n), 32);
	return s;
}

static struct test_slot *find(int n)
{
	return (struct test_slot *)pd_open_cache_find(&cache, id_of(n), 32);
}

static void finds_what_was_opened_and_nothing_else(void **state)
{
	(void)state;
	assert_null(find(1));
	open_id(1);
	open_id(2);
	assert_int_equal(find(1)->handle, 1);
	assert_int_equal(find(2)->handle, 2);
	assert_null(find(3));
	/* the same bytes under a shorter id are another segment */
	assert_null(pd_open_cache_find(&cache, id_of(1), 16));
	assert_int_equal(nclosed, 0);
}

static void a_full_table_closes_the_least_recently_used(void **state)
{
	(void)state;
	open_id(1);
	open_id(2);
	open_id(3);
	assert_non_null(find(1));	/* 2 is now the oldest */
	open_id(4);
	assert_int_equal(nclosed, 1);
	assert_int_equal(closed[0], 2);
	assert_null(find(2));
	assert_non_null(find(3));	/* 1 is now the oldest */
	open_id(5);
	assert_int_equal(nclosed, 2);
	assert_int_equal(closed[1], 1);
	assert_non_null(find(3));
	assert_non_null(find(4));
	assert_non_null(find(5));
}

static void forget_closes_once_and_frees_the_slot(void **state)
{
	(void)state;
	open_id(1);
	open_id(2);
	open_id(3);
	pd_open_cache_forget(&cache, id_of(2), 32);
	pd_open_cache_forget(&cache, id_of(2), 32);	/* not open: nothing */
	assert_int_equal(nclosed, 1);
	assert_int_equal(closed[0], 2);
	open_id(4);	/* takes the freed slot: nothing else is closed */
	assert_int_equal(nclosed, 1);
	assert_non_null(find(1));
	assert_non_null(find(3));
}

static void close_all_closes_each_open_slot_once(void **state)
{
	(void)state;
	open_id(1);
	open_id(2);
	pd_open_cache_close_all(&cache);
	assert_int_equal(nclosed, 2);
	assert_null(find(1));
	assert_null(find(2));
	pd_open_cache_close_all(&cache);
	assert_int_equal(nclosed, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(finds_what_was_opened_and_nothing_else, setup),
		cmocka_unit_test_setup(a_full_table_closes_the_least_recently_used, setup),
		cmocka_unit_test_setup(forget_closes_once_and_frees_the_slot, setup),
		cmocka_unit_test_setup(close_all_closes_each_open_slot_once, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
