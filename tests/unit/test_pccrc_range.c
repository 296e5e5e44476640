// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sub-range content information (what PeerDistServerOpenContentInformation
 * returns for an offset and length): it covers exactly the requested bytes
 * with the covering segments, survives encode/parse, and refuses ranges
 * outside the content.
 */
#include "testutil.h"

#include "keys.h"
#include "pccrc.h"
#include "pccrc_gen.h"

static struct pd_ci *generate(unsigned version, size_t len)
{
	struct pd_gen_opts o = { .version = version, .hash_alg = PD_HASH_SHA256 };
	uint8_t *data = malloc(len);
	struct pd_gen *g;
	struct pd_ci *ci;

	fill_pattern(data, len, 3);
	pd_key_ks(version, "k", 1, o.ks);
	g = pd_gen_new(&o);
	assert_int_equal(pd_gen_update(g, data, len), 0);
	assert_int_equal(pd_gen_final(g, &ci), 0);
	pd_gen_free(g);
	free(data);
	return ci;
}

static void check_subrange(const struct pd_ci *ci, uint64_t off, uint64_t len)
{
	struct pd_ci *sub, *back;
	struct pd_range r;
	uint8_t *buf;
	size_t n;
	uint32_t i;

	assert_int_equal(pd_ci_subrange(ci, off, len, &sub), 0);
	r = pd_ci_range(sub);
	assert_int_equal(r.start, off);
	assert_int_equal(r.end, len ? off + len : pd_ci_range(ci).end);
	/* The covering segments, unchanged. */
	assert_true(sub->segments[0].offset <= off);
	assert_true(sub->segments[0].offset + sub->segments[0].size > off);
	for (i = 0; i < sub->nsegments; i++) {
		const struct pd_ci_segment *a = &sub->segments[i];
		const struct pd_ci_segment *b = &ci->segments[sub->first_index -
							       ci->first_index + i];

		assert_int_equal(a->offset, b->offset);
		assert_int_equal(a->size, b->size);
		assert_memory_equal(a->hod, b->hod, ci->hash_len);
		assert_memory_equal(a->block_hashes, b->block_hashes,
				    (size_t)a->nblocks * ci->hash_len);
	}
	n = pd_ci_encoded_size(sub);
	buf = malloc(n);
	assert_int_equal(pd_ci_encode(sub, buf, n), (long)n);
	assert_int_equal(pd_ci_parse(buf, n, &back, NULL), 0);
	r = pd_ci_range(back);
	assert_int_equal(r.start, off);
	assert_int_equal(r.end, len ? off + len : pd_ci_range(ci).end);
	pd_ci_free(back);
	free(buf);
	pd_ci_free(sub);
}

static void v1_subranges(void **state)
{
	uint64_t seg = PD_SEGMENT_SIZE;
	struct pd_ci *ci = generate(1, 2 * seg + 100000);

	check_subrange(ci, 0, 0);
	check_subrange(ci, 0, 1);
	check_subrange(ci, 5, 65536);
	check_subrange(ci, seg - 1, 2);
	check_subrange(ci, seg, seg);
	check_subrange(ci, seg + 7, 0);
	check_subrange(ci, 2 * seg + 99999, 1);
	pd_ci_free(ci);
}

static void v2_subranges(void **state)
{
	struct pd_ci *ci = generate(2, 1000000), *sub;

	check_subrange(ci, 0, 0);
	check_subrange(ci, 1, 1);
	check_subrange(ci, 300000, 400000);
	check_subrange(ci, 999999, 1);
	assert_int_equal(pd_ci_subrange(ci, 500000, 0, &sub), 0);
	assert_true(sub->first_index > 0);
	pd_ci_free(sub);
	pd_ci_free(ci);
}

static void whole_keeps_header(void **state)
{
	struct pd_ci *ci = generate(1, 100000), *sub;

	assert_int_equal(pd_ci_subrange(ci, 0, 100000, &sub), 0);
	assert_int_equal(sub->read_in_last, 0);
	assert_int_equal(sub->offset_in_first, 0);
	pd_ci_free(sub);
	pd_ci_free(ci);
}

static void outside_refused(void **state)
{
	struct pd_ci *ci = generate(1, 100000), *sub = NULL;

	assert_int_equal(pd_ci_subrange(ci, 100000, 1, &sub), -PD_CI_E_RANGE);
	assert_int_equal(pd_ci_subrange(ci, 99999, 2, &sub), -PD_CI_E_RANGE);
	assert_int_equal(pd_ci_subrange(ci, 1, UINT64_MAX, &sub), -PD_CI_E_RANGE);
	assert_null(sub);
	pd_ci_free(ci);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_subranges),
		cmocka_unit_test(v2_subranges),
		cmocka_unit_test(whole_keeps_header),
		cmocka_unit_test(outside_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
