// SPDX-License-Identifier: LGPL-2.1-or-later
/* Content-information serializer: the inverse of pccrc_parse.c. */
#include "bytes.h"
#include "pccrc.h"
#include "pd_ci_v2.h"	/* the V2 layout, shared with peerdist.ko (common/) */

size_t pd_ci_encoded_size(const struct pd_ci *ci)
{
	size_t size, h = ci->hash_len;
	uint32_t i;

	if (ci->version == 2)
		return pd_ci_v2_size(ci->nsegments);
	size = 18;
	for (i = 0; i < ci->nsegments; i++)
		size += 16 + 2 * h + 4 + (size_t)ci->segments[i].nblocks * h;
	return size;
}

static void encode_v1(const struct pd_ci *ci, struct pd_wr *w)
{
	unsigned h = ci->hash_len;
	uint32_t i;

	pd_wr_le16(w, 0x0100);
	pd_wr_le32(w, ci->hash_alg);
	pd_wr_le32(w, ci->offset_in_first);
	pd_wr_le32(w, ci->read_in_last);
	pd_wr_le32(w, ci->nsegments);
	for (i = 0; i < ci->nsegments; i++) {
		const struct pd_ci_segment *seg = &ci->segments[i];

		pd_wr_le64(w, seg->offset);
		pd_wr_le32(w, seg->size);
		pd_wr_le32(w, seg->block_size);
		pd_wr_bytes(w, seg->hod, h);
		pd_wr_bytes(w, seg->kp, h);
	}
	for (i = 0; i < ci->nsegments; i++) {
		const struct pd_ci_segment *seg = &ci->segments[i];

		pd_wr_le32(w, seg->nblocks);
		pd_wr_bytes(w, seg->block_hashes, (size_t)seg->nblocks * h);
	}
}

static void v2_segment(const void *ctx, uint32_t i, struct pd_ci_v2_segment *out)
{
	const struct pd_ci_segment *seg = &((const struct pd_ci *)ctx)->segments[i];

	out->size = seg->size;
	out->hod = seg->hod;
	out->kp = seg->kp;
}

static void encode_v2(const struct pd_ci *ci, struct pd_wr *w)
{
	uint8_t *p = pd_wr_take(w, pd_ci_v2_size(ci->nsegments));
	struct pd_ci_v2_header h = {
		.start = ci->nsegments ? ci->segments[0].offset : 0,
		.first_index = ci->first_index,
		.offset_in_first = ci->offset_in_first,
		.range_length = ci->range_length,
	};

	if (p)
		pd_ci_v2_encode(p, &h, ci->nsegments, v2_segment, ci);
}

long pd_ci_encode(const struct pd_ci *ci, uint8_t *buf, size_t len)
{
	struct pd_wr w = pd_wr_init(buf, len);

	if (!ci || pd_ci_encoded_size(ci) > len)
		return -PD_CI_E_INVAL;
	if (ci->version == 1)
		encode_v1(ci, &w);
	else
		encode_v2(ci, &w);
	return w.overrun ? -PD_CI_E_INVAL : (long)w.pos;
}
