// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content-information parser (MS-PCCRC 2.3 V1, 2.4 V2). The input is
 * hostile: every read is bounds-checked, every count is checked against
 * the bytes that remain before anything is allocated, and every field that
 * has a meaning is validated, so that a parsed object is safe to use.
 */
#include <stdlib.h>

#include "bytes.h"
#include "digest.h"
#include "pccrc.h"

#define V1_SEGDESC_FIXED	16	/* ullOffsetInContent, cbSegment, cbBlockSize */
#define V2_HEADER_SIZE		31
#define V2_CHUNK_HEADER		5
#define V2_SEGDESC_SIZE		(4 + 32 + 32)
#define V2_CHUNK_TYPE_SEGMENTS	0x00

struct parse {
	struct pd_rd rd;
	struct pd_ci_diag *diag;
	uint32_t segment;
};

static int fail(struct parse *p, int err)
{
	if (p->diag) {
		p->diag->offset = p->rd.pos;
		p->diag->segment = p->segment;
	}
	return -err;
}

static int check_v1_segment(struct parse *p, const struct pd_ci *ci,
			    const struct pd_ci_segment *seg, size_t at)
{
	uint32_t i = p->segment;

	p->rd.pos = at;
	if (seg->block_size != PD_BLOCK_SIZE)
		return fail(p, PD_CI_E_BLOCK_SIZE);
	if (!seg->size || seg->size > PD_SEGMENT_SIZE ||
	    (i + 1 < ci->nsegments && seg->size != PD_SEGMENT_SIZE))
		return fail(p, PD_CI_E_SEGMENT_SIZE);
	if (i == 0 && seg->offset % PD_SEGMENT_SIZE)
		return fail(p, PD_CI_E_CONTIGUITY);
	if (i > 0 && seg->offset != seg[-1].offset + seg[-1].size)
		return fail(p, PD_CI_E_CONTIGUITY);
	if (seg->offset > UINT64_MAX - seg->size)
		return fail(p, PD_CI_E_CONTIGUITY);
	return 0;
}

static int check_range(struct parse *p, const struct pd_ci *ci)
{
	const struct pd_ci_segment *first = &ci->segments[0];
	const struct pd_ci_segment *last = &ci->segments[ci->nsegments - 1];
	uint64_t described = last->offset + last->size - first->offset;
	struct pd_range r;

	p->segment = UINT32_MAX;
	p->rd.pos = 0;
	if (ci->offset_in_first >= first->size ||
	    ci->read_in_last > last->size)
		return fail(p, PD_CI_E_RANGE);
	if (ci->range_length > described - ci->offset_in_first)
		return fail(p, PD_CI_E_RANGE);
	r = pd_ci_range(ci);
	if (r.end <= r.start)
		return fail(p, PD_CI_E_RANGE);
	return 0;
}

static int parse_v1(struct parse *p, struct pd_ci **out)
{
	struct pd_rd *rd = &p->rd;
	uint32_t alg, first, last, nseg, i, *nblocks;
	unsigned h;
	struct pd_ci *ci;
	size_t desc_at;
	int err = 0;

	pd_rd_le16(rd);
	alg = pd_rd_le32(rd);
	first = pd_rd_le32(rd);
	last = pd_rd_le32(rd);
	nseg = pd_rd_le32(rd);
	if (rd->overrun)
		return fail(p, PD_CI_E_TRUNCATED);
	h = pd_hash_len(1, alg);
	if (!h) {
		rd->pos = 2;
		return fail(p, PD_CI_E_HASH_ALGO);
	}
	/* Each segment needs a description and a block count at least. */
	if (nseg > pd_rd_left(rd) / (V1_SEGDESC_FIXED + 2 * h + 4))
		return fail(p, PD_CI_E_TRUNCATED);
	if (!nseg) {
		if (first || last)
			return fail(p, PD_CI_E_RANGE);
		if (pd_rd_left(rd))
			return fail(p, PD_CI_E_TRAILING);
		*out = pd_ci_alloc(1, alg, 0, NULL);
		return *out ? 0 : fail(p, PD_CI_E_NOMEM);
	}

	/* First pass: block counts, to size the object in one allocation. */
	nblocks = calloc(nseg, sizeof(*nblocks));
	if (!nblocks)
		return fail(p, PD_CI_E_NOMEM);
	desc_at = rd->pos;
	rd->pos += (size_t)nseg * (V1_SEGDESC_FIXED + 2 * h);
	for (i = 0; i < nseg; i++) {
		p->segment = i;
		nblocks[i] = pd_rd_le32(rd);
		if (nblocks[i] > PD_BLOCKS_PER_SEGMENT)
			err = PD_CI_E_BLOCK_COUNT;
		else if (rd->overrun || (size_t)nblocks[i] * h > pd_rd_left(rd))
			err = PD_CI_E_TRUNCATED;
		if (err) {
			free(nblocks);
			return fail(p, err);
		}
		rd->pos += (size_t)nblocks[i] * h;
	}
	if (pd_rd_left(rd)) {
		free(nblocks);
		return fail(p, PD_CI_E_TRAILING);
	}
	ci = pd_ci_alloc(1, alg, nseg, nblocks);
	free(nblocks);
	if (!ci)
		return fail(p, PD_CI_E_NOMEM);
	ci->offset_in_first = first;
	ci->read_in_last = last;

	/* Second pass: the descriptions, then each segment's block hashes. */
	rd->pos = desc_at;
	for (i = 0; i < nseg; i++) {
		struct pd_ci_segment *seg = &ci->segments[i];
		size_t at = rd->pos;

		p->segment = i;
		seg->offset = pd_rd_le64(rd);
		seg->size = pd_rd_le32(rd);
		seg->block_size = pd_rd_le32(rd);
		pd_rd_copy(rd, seg->hod, h);
		pd_rd_copy(rd, seg->kp, h);
		err = check_v1_segment(p, ci, seg, at);
		if (err)
			goto free_ci;
		rd->pos = at + V1_SEGDESC_FIXED + 2 * h;
	}
	for (i = 0; i < nseg; i++) {
		struct pd_ci_segment *seg = &ci->segments[i];
		uint8_t hod[PD_HASH_MAX];
		size_t at = rd->pos;

		p->segment = i;
		pd_rd_le32(rd);
		if (seg->nblocks != (seg->size + PD_BLOCK_SIZE - 1) / PD_BLOCK_SIZE) {
			rd->pos = at;
			err = fail(p, PD_CI_E_BLOCK_COUNT);
			goto free_ci;
		}
		pd_rd_copy(rd, seg->block_hashes, (size_t)seg->nblocks * h);
		pd_digest(alg, seg->block_hashes, (size_t)seg->nblocks * h, hod);
		if (!pd_digest_equal(hod, seg->hod, h)) {
			rd->pos = at;
			err = fail(p, PD_CI_E_HOD);
			goto free_ci;
		}
	}
	err = check_range(p, ci);
	if (err)
		goto free_ci;
	ci->first_index = ci->segments[0].offset / PD_SEGMENT_SIZE;
	*out = ci;
	return 0;

free_ci:
	pd_ci_free(ci);
	return err;
}

/* Counts V2 segments, validating the chunk framing. */
static int count_v2_segments(struct parse *p, uint32_t *nseg)
{
	struct pd_rd *rd = &p->rd;
	uint64_t n = 0;

	while (pd_rd_left(rd)) {
		size_t at = rd->pos;
		uint8_t type = pd_rd_u8(rd);
		uint32_t len = pd_rd_be32(rd);

		if (rd->overrun)
			return fail(p, PD_CI_E_TRUNCATED);
		if (type != V2_CHUNK_TYPE_SEGMENTS || !len ||
		    len % V2_SEGDESC_SIZE) {
			rd->pos = at;
			return fail(p, PD_CI_E_CHUNK);
		}
		if (len > pd_rd_left(rd))
			return fail(p, PD_CI_E_TRUNCATED);
		rd->pos += len;
		n += len / V2_SEGDESC_SIZE;
		if (n > UINT32_MAX)
			return fail(p, PD_CI_E_CHUNK);
	}
	*nseg = n;
	return 0;
}

static int parse_v2(struct parse *p, struct pd_ci **out)
{
	struct pd_rd *rd = &p->rd;
	uint64_t start, index, length, offset;
	uint32_t first, nseg, i, left = 0;
	struct pd_ci *ci;
	uint8_t alg;
	int err;

	pd_rd_le16(rd);
	alg = pd_rd_u8(rd);
	start = pd_rd_be64(rd);
	index = pd_rd_be64(rd);
	first = pd_rd_be32(rd);
	length = pd_rd_be64(rd);
	if (rd->overrun)
		return fail(p, PD_CI_E_TRUNCATED);
	if (alg != PD_HASH_V2_SHA512_TRUNC) {
		rd->pos = 2;
		return fail(p, PD_CI_E_HASH_ALGO);
	}
	err = count_v2_segments(p, &nseg);
	if (err)
		return err;
	if (!nseg) {
		/* Empty content: a range inside nothing must be all zeroes. */
		if (start || index || first || length)
			return fail(p, PD_CI_E_RANGE);
		*out = pd_ci_alloc(2, alg, 0, NULL);
		return *out ? 0 : fail(p, PD_CI_E_NOMEM);
	}
	ci = pd_ci_alloc(2, alg, nseg, NULL);
	if (!ci)
		return fail(p, PD_CI_E_NOMEM);
	ci->offset_in_first = first;
	ci->first_index = index;
	ci->range_length = length;

	rd->pos = V2_HEADER_SIZE;
	offset = start;
	for (i = 0; i < nseg; i++) {
		struct pd_ci_segment *seg = &ci->segments[i];
		size_t at;

		if (!left) {
			pd_rd_u8(rd);
			left = pd_rd_be32(rd) / V2_SEGDESC_SIZE;
		}
		left--;
		at = rd->pos;
		p->segment = i;
		seg->offset = offset;
		seg->size = pd_rd_be32(rd);
		seg->block_size = seg->size;
		pd_rd_copy(rd, seg->hod, 32);
		pd_rd_copy(rd, seg->kp, 32);
		memcpy(seg->block_hashes, seg->hod, 32);
		if (!seg->size || seg->size > PD_V2_MAX_SEGMENT) {
			rd->pos = at;
			err = fail(p, PD_CI_E_SEGMENT_SIZE);
			goto free_ci;
		}
		if (offset > UINT64_MAX - seg->size) {
			rd->pos = at;
			err = fail(p, PD_CI_E_RANGE);
			goto free_ci;
		}
		offset += seg->size;
	}
	err = check_range(p, ci);
	if (err)
		goto free_ci;
	*out = ci;
	return 0;

free_ci:
	pd_ci_free(ci);
	return err;
}

int pd_ci_parse(const uint8_t *buf, size_t len, struct pd_ci **out,
		struct pd_ci_diag *diag)
{
	struct parse p = {
		.rd = pd_rd_init(buf, len),
		.diag = diag,
		.segment = UINT32_MAX,
	};

	if (!out || (!buf && len))
		return -PD_CI_E_INVAL;
	*out = NULL;
	if (len < 2)
		return fail(&p, PD_CI_E_TRUNCATED);
	/* V1 stores 0x0100 little-endian; V2 has minor 0 then major 2. */
	if (buf[0] == 0x00 && buf[1] == 0x01)
		return parse_v1(&p, out);
	if (buf[0] == 0x00 && buf[1] == 0x02)
		return parse_v2(&p, out);
	return fail(&p, PD_CI_E_VERSION);
}
