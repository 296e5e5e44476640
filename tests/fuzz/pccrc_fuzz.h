/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The content-information fuzz body, shared by the V1 and V2 targets: they
 * differ only in the version bytes forced onto the input, so that each
 * parser gets the whole input to chew on. Whatever parses must re-encode
 * consistently, and its sub-ranges must be valid too.
 */
#ifndef PD_PCCRC_FUZZ_H
#define PD_PCCRC_FUZZ_H

#include <stdlib.h>
#include <string.h>

#include "pccrc.h"

static void check_subranges(const struct pd_ci *ci)
{
	struct pd_range r = pd_ci_range(ci);
	uint64_t mid = r.start + (r.end - r.start) / 2;
	struct pd_ci *sub;

	if (r.end == r.start)
		return;
	if (pd_ci_subrange(ci, mid, 0, &sub) == 0) {
		if (pd_ci_range(sub).start != mid || pd_ci_range(sub).end != r.end)
			abort();
		pd_ci_free(sub);
	}
}

/* Encodes ci; V1 must give back the input exactly. V2 may split its
 * segments over chunks freely, so there the encoding must be a fixed point. */
static void check_reencode(const struct pd_ci *ci, const uint8_t *in,
			   size_t size)
{
	size_t n = pd_ci_encoded_size(ci), n2;
	uint8_t *out = malloc(n), *again;
	struct pd_ci *back;

	if (!out || pd_ci_encode(ci, out, n) != (long)n)
		abort();
	if (ci->version == 1 && (n != size || memcmp(in, out, n)))
		abort();
	if (pd_ci_parse(out, n, &back, NULL))
		abort();
	n2 = pd_ci_encoded_size(back);
	again = malloc(n2);
	if (!again || n2 != n || pd_ci_encode(back, again, n2) != (long)n ||
	    memcmp(out, again, n))
		abort();
	free(again);
	pd_ci_free(back);
	free(out);
}

static int fuzz_pccrc(const uint8_t *data, size_t size, uint8_t major)
{
	struct pd_ci *ci;
	uint8_t *in;

	if (size < 2)
		return 0;
	in = malloc(size);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[0] = 0x00;
	in[1] = major;
	if (pd_ci_parse(in, size, &ci, NULL) == 0) {
		check_reencode(ci, in, size);
		check_subranges(ci);
		pd_ci_free(ci);
	}
	free(in);
	return 0;
}

#endif
