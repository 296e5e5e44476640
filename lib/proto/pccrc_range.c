// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content information for a sub-range of published content, as
 * PeerDistServerOpenContentInformation returns it: the segments that cover
 * the range, with the header's range fields saying which bytes of them
 * are meant. When the sub-range is everything, the header is kept as it
 * was, so the whole-content form (0 = "to the end") survives.
 */
#include <stdlib.h>
#include <string.h>

#include "pccrc.h"

static struct pd_ci *copy_segments(const struct pd_ci *ci, uint32_t s0,
				   uint32_t s1)
{
	uint32_t i, n = s1 - s0 + 1, *nblocks;
	struct pd_ci *out;

	nblocks = malloc(n * sizeof(*nblocks));
	if (!nblocks)
		return NULL;
	for (i = 0; i < n; i++)
		nblocks[i] = ci->segments[s0 + i].nblocks;
	out = pd_ci_alloc(ci->version, ci->hash_alg, n, nblocks);
	free(nblocks);
	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct pd_ci_segment *from = &ci->segments[s0 + i];
		struct pd_ci_segment *to = &out->segments[i];
		uint8_t *hashes = to->block_hashes;

		*to = *from;
		to->block_hashes = hashes;
		memcpy(hashes, from->block_hashes,
		       (size_t)from->nblocks * ci->hash_len);
	}
	return out;
}

int pd_ci_subrange(const struct pd_ci *ci, uint64_t offset, uint64_t length,
		   struct pd_ci **out)
{
	struct pd_range all = pd_ci_range(ci);
	const struct pd_ci_segment *last;
	uint64_t end;
	uint32_t s0, s1;

	if (offset < all.start || offset >= all.end)
		return -PD_CI_E_RANGE;
	end = length ? offset + length : all.end;
	if (end < offset || end > all.end)
		return -PD_CI_E_RANGE;
	s0 = pd_ci_segment_at(ci, offset);
	s1 = pd_ci_segment_at(ci, end - 1);
	*out = copy_segments(ci, s0, s1);
	if (!*out)
		return -PD_CI_E_NOMEM;
	if (offset == all.start && end == all.end) {
		(*out)->offset_in_first = ci->offset_in_first;
		(*out)->read_in_last = ci->read_in_last;
		(*out)->first_index = ci->first_index;
		(*out)->range_length = ci->range_length;
		return 0;
	}
	last = &ci->segments[s1];
	(*out)->offset_in_first = offset - ci->segments[s0].offset;
	(*out)->first_index = ci->first_index + s0;
	if (ci->version == 1)
		(*out)->read_in_last = end == last->offset + last->size ? 0 :
				       end - last->offset;
	else
		(*out)->range_length = end - offset;
	return 0;
}
