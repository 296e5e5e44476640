// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The V2 chunker: cuts always within [min, max], decisions are final, the
 * same bytes give the same segments, and an insertion near the start only
 * disturbs the segments around it (what makes V2 segments reusable), and
 * the cuts are those of the byte-by-byte definition.
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

/* The definition (Documentation/content-information.md), a byte at a time. */
static size_t cut_bytewise(const uint64_t gear[256], const uint8_t *buf,
			   size_t len, int final)
{
	size_t limit = len < PD_CHUNK_MAX ? len : PD_CHUNK_MAX, i;
	uint64_t h = 0;

	if (len <= PD_CHUNK_MIN)
		return final ? len : 0;
	for (i = PD_CHUNK_MIN; i < limit; i++) {
		h = (h << 1) + gear[buf[i]];
		if (!(h & (i < PD_CHUNK_AVG ? PD_CHUNK_MASK_HARD : PD_CHUNK_MASK_EASY)))
			return i + 1;
	}
	return limit == PD_CHUNK_MAX || final ? limit : 0;
}

/* pd_chunk_next cuts where the documented recurrence does: at odd and
 * even lengths, and with windows of odd and even sizes, final or not (a
 * faster scan must keep every cut). */
static void cuts_equal_bytewise_definition(void **state)
{
	uint8_t *buf = malloc(DATA);
	uint64_t gear[256];
	size_t pos, c, odd = 0, even = 0, len;

	pd_chunk_gear_fill(gear);
	fill_pattern(buf, DATA, 21);
	for (pos = 0; pos < DATA; pos += c) {
		c = pd_chunk_next(buf + pos, DATA - pos, 1);
		assert_int_equal(c, cut_bytewise(gear, buf + pos, DATA - pos, 1));
		if (c < PD_CHUNK_MAX && pos + c < DATA)
			*(c & 1 ? &odd : &even) += 1;
		for (len = PD_CHUNK_MIN - 1; len <= c + 2 && pos + len <= DATA; len += 7919) {
			assert_int_equal(pd_chunk_next(buf + pos, len, 0),
					 cut_bytewise(gear, buf + pos, len, 0));
			assert_int_equal(pd_chunk_next(buf + pos, len, 1),
					 cut_bytewise(gear, buf + pos, len, 1));
		}
	}
	/* both parities of content-defined cut seen */
	assert_true(odd > 0 && even > 0);
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
		cmocka_unit_test(cuts_equal_bytewise_definition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
