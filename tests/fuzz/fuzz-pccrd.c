// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the WS-Discovery (MS-PCCRD) parser, V1 and V2. A
 * message that parses must be written again and parse to the same
 * version, scopes and counts (V1) or flags and ages (V2).
 */
#include <stdlib.h>
#include <string.h>

#include "pccrd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct pd_pccrd_msg *a, const struct pd_pccrd_msg *b)
{
	size_t n = a->nscopes;

	if (a->version != b->version || a->nscopes != b->nscopes ||
	    memcmp(a->scopes, b->scopes, n * sizeof(a->scopes[0])))
		return 0;
	if (a->kind != PD_WSD_PROBE_MATCHES)
		return 1;
	if (a->version == 1)
		return !memcmp(a->block_counts, b->block_counts, n * 4);
	return !memcmp(a->have_segment, b->have_segment, n) &&
	       !memcmp(a->have_all_blocks, b->have_all_blocks, n) &&
	       !memcmp(a->segment_age, b->segment_age, n * 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_pccrd_msg m, again;
	static char out[PD_PCCRD_MAX_MESSAGE];
	long n;

	if (pd_pccrd_parse((const char *)data, size, &m))
		return 0;
	if (m.kind == PD_WSD_PROBE_MATCHES && !m.nxaddrs)
		return 0;	/* parses, but is not something we would write */
	n = m.kind == PD_WSD_PROBE ? pd_pccrd_write_probe(&m, out, sizeof(out)) :
				     pd_pccrd_write_probe_matches(&m, out, sizeof(out));
	if (n < 0)
		return 0;	/* e.g. ids with characters we never write */
	if (pd_pccrd_parse(out, n, &again) || !same(&m, &again))
		abort();
	return 0;
}
