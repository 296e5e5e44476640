// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The V2 chunker: cuts always within [min, max], decisions are final, the
 * same bytes give the same segments, and an insertion near the start only
 * disturbs the segments around it (what makes V2 segments reusable).
 */
#include "testutil.h"

#include "chunker.h"

#define DATA (4u << 20)

static size_t cut_all(const uint8_t *buf, size_t len, size_t *ends, size_t max)
{
	size_t pos = 0, n = 0;

	while (pos < len && n < max) {
		size_t c = pd_chunk_next(buf + pos, len - pos, 1);

		assert_true(c > 0);
		assert_true(c <= PD_CHUNK_MAX);
		assert_true(c >= PD_CHUNK_MIN || pos + c == len);
		pos += c;
		ends[n++] = pos;
	}
	assert_int_equal(pos, len);
	return n;
}

static void bounds_and_small_inputs(void **state)
{
	uint8_t buf[16] = { 0 };

	assert_int_equal(pd_chunk_next(buf, 0, 1), 0);
	assert_int_equal(pd_chunk_next(buf, 1, 1), 1);
	assert_int_equal(pd_chunk_next(buf, 1, 0), 0);
}

static void zeros_cut_at_max(void **state)
{
	uint8_t *buf = calloc(1, DATA);

	/* No content-defined cut in constant data: maximal segments. */
	assert_int_equal(pd_chunk_next(buf, DATA, 0), PD_CHUNK_MAX);
	assert_int_equal(pd_chunk_next(buf, PD_CHUNK_MAX - 1, 0), 0);
	assert_int_equal(pd_chunk_next(buf, PD_CHUNK_MAX - 1, 1), PD_CHUNK_MAX - 1);
	free(buf);
}

/* A cut found with more data available must not move when data is added. */
static void decisions_are_final(void **state)
{
	uint8_t *buf = malloc(DATA);
	size_t c, len;

	fill_pattern(buf, DATA, 5);
	c = pd_chunk_next(buf, DATA, 0);
	for (len = c; len <= PD_CHUNK_MAX + 1000; len += 4093)
		assert_int_equal(pd_chunk_next(buf, len, 1), c);
	free(buf);
}

static void insertion_resynchronizes(void **state)
{
	uint8_t *a = malloc(DATA), *b = malloc(DATA + 1);
	size_t ea[256], eb[256], na, nb, i, j, same = 0;

	fill_pattern(a, DATA, 9);
	memcpy(b, a, 1000);
	b[1000] = 0x5a;
	memcpy(b + 1001, a + 1000, DATA - 1000);
	na = cut_all(a, DATA, ea, 256);
	nb = cut_all(b, DATA + 1, eb, 256);
	assert_true(na > DATA / PD_CHUNK_MAX);
	for (i = 0, j = 0; i < na && j < nb;) {
		if (ea[i] + 1 == eb[j]) {
			same++;
			i++;
			j++;
		} else if (ea[i] + 1 < eb[j]) {
			i++;
		} else {
			j++;
		}
	}
	assert_true(same >= na - 3);
	free(a);
	free(b);
}

static void average_near_target(void **state)
{
	uint8_t *buf = malloc(DATA);
	size_t ends[256], n;

	fill_pattern(buf, DATA, 13);
	n = cut_all(buf, DATA, ends, 256);
	/* Mean segment length between 48 and 96 KiB on random data. */
	assert_true(DATA / n >= 48u << 10);
	assert_true(DATA / n <= 96u << 10);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bounds_and_small_inputs),
		cmocka_unit_test(zeros_cut_at_max),
		cmocka_unit_test(decisions_are_final),
		cmocka_unit_test(insertion_resynchronizes),
		cmocka_unit_test(average_near_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
