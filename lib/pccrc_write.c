// SPDX-License-Identifier: LGPL-2.1-or-later
/* Content-information serializer: the inverse of pccrc_parse.c. */
#include "bytes.h"
#include "pccrc.h"

#define V2_SEGDESC_SIZE		(4 + 32 + 32)
/* A V2 chunk's dwChunkDataLength is 32-bit: split huge contents. */
#define V2_SEGMENTS_PER_CHUNK	(UINT32_MAX / V2_SEGDESC_SIZE)

size_t pd_ci_encoded_size(const struct pd_ci *ci)
{
	size_t size, h = ci->hash_len;
	uint32_t i, chunks;

	if (ci->version == 2) {
		chunks = (ci->nsegments + V2_SEGMENTS_PER_CHUNK - 1) /
			 V2_SEGMENTS_PER_CHUNK;
		return 31 + (size_t)chunks * 5 +
		       (size_t)ci->nsegments * V2_SEGDESC_SIZE;
	}
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

static void encode_v2(const struct pd_ci *ci, struct pd_wr *w)
{
	uint64_t start = ci->nsegments ? ci->segments[0].offset : 0;
	uint32_t i;

	pd_wr_u8(w, 0x00);
	pd_wr_u8(w, 0x02);
	pd_wr_u8(w, ci->hash_alg);
	pd_wr_be64(w, start);
	pd_wr_be64(w, ci->first_index);
	pd_wr_be32(w, ci->offset_in_first);
	pd_wr_be64(w, ci->range_length);
	for (i = 0; i < ci->nsegments; i++) {
		const struct pd_ci_segment *seg = &ci->segments[i];

		if (i % V2_SEGMENTS_PER_CHUNK == 0) {
			uint32_t n = ci->nsegments - i;

			if (n > V2_SEGMENTS_PER_CHUNK)
				n = V2_SEGMENTS_PER_CHUNK;
			pd_wr_u8(w, 0x00);
			pd_wr_be32(w, n * V2_SEGDESC_SIZE);
		}
		pd_wr_be32(w, seg->size);
		pd_wr_bytes(w, seg->hod, 32);
		pd_wr_bytes(w, seg->kp, 32);
	}
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
