// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the MS-PCCRR message codec, on requests and responses,
 * version 2.0 GETSEGLIST/SEGLIST included (seeds in corpus/pccrr).
 * Whatever decodes must encode again and decode to the same message.
 */
#include <stdlib.h>
#include <string.h>

#include "pccrr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Version 2.0 fields. A valid version 1 blob is re-encoded at its minimal
 * size, so only an unparsed blob must come back byte for byte. */
static int seglist_differs(const struct pd_pccrr_msg *a,
			   const struct pd_pccrr_msg *b)
{
	uint32_t i;

	if (memcmp(a->request_id, b->request_id, sizeof(a->request_id)) ||
	    a->nsegments != b->nsegments || a->nseg_ranges != b->nseg_ranges ||
	    a->age_units != b->age_units || a->nages != b->nages ||
	    memcmp(a->seg_ranges, b->seg_ranges,
		   a->nseg_ranges * sizeof(a->seg_ranges[0])))
		return 1;
	for (i = 0; i < a->nsegments; i++)
		if (a->segments[i].len != b->segments[i].len ||
		    memcmp(a->segments[i].id, b->segments[i].id, a->segments[i].len))
			return 1;
	for (i = 0; i < a->nages; i++)
		if (a->ages[i].index != b->ages[i].index ||
		    a->ages[i].age != b->ages[i].age)
			return 1;
	if (a->age_units)
		return 0;
	return a->blob_len != b->blob_len ||
	       (a->blob_len && memcmp(a->blob, b->blob, a->blob_len));
}

static void same(const struct pd_pccrr_msg *a, const struct pd_pccrr_msg *b)
{
	if (seglist_differs(a, b))
		abort();
	if (a->type != b->type || a->version != b->version ||
	    a->crypto != b->crypto || a->nranges != b->nranges ||
	    a->segment_id_len != b->segment_id_len ||
	    a->block_len != b->block_len || a->iv_len != b->iv_len ||
	    a->vrf_len != b->vrf_len ||
	    memcmp(a->ranges, b->ranges, a->nranges * sizeof(a->ranges[0])) ||
	    (a->segment_id_len && memcmp(a->segment_id, b->segment_id, a->segment_id_len)) ||
	    (a->block_len && memcmp(a->block, b->block, a->block_len)))
		abort();
}

static void check(const uint8_t *data, size_t size, int response)
{
	static struct pd_pccrr_msg m, again;
	static uint8_t out[PD_PCCRR_RESPONSE_MAX + 8];
	long n;

	if ((response ? pd_pccrr_decode_response(data, size, &m) :
			pd_pccrr_decode_request(data, size, &m)))
		return;
	n = response ? pd_pccrr_encode_response(&m, out, sizeof(out)) :
		       pd_pccrr_encode_request(&m, out, sizeof(out));
	if (n < 0)
		abort();
	if ((response ? pd_pccrr_decode_response(out, n, &again) :
			pd_pccrr_decode_request(out, n, &again)))
		abort();
	same(&m, &again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, 0);
	check(data, size, 1);
	return 0;
}
