/* SPDX-License-Identifier: LGPL-2.1-or-later OR GPL-2.0-only */
/*
 * The layout of content information version 2 (MS-PCCRC 2.4), one encoder
 * for libpeerdist (lib/pccrc_write.c) and peerdist.ko (kmod/publish.c), so
 * that the module's hash offload writes exactly the bytes `peerdist hash
 * --v2` writes. Big-endian throughout: a 31-byte header, then chunks of
 * segment descriptions {cbSegment, HoD, Kp}. All segments go in one chunk;
 * a chunk's dwChunkDataLength is 32-bit, so only past 2^32 bytes of
 * descriptions is there a second one.
 */
#ifndef PD_COMMON_CI_V2_H
#define PD_COMMON_CI_V2_H

#ifdef __KERNEL__
#include <linux/types.h>	/* uint8_t, uint32_t, uint64_t, size_t */
#else
#include <stddef.h>
#include <stdint.h>
#endif

#define PD_CI_V2_HEADER_SIZE	31
#define PD_CI_V2_CHUNK_HEADER	5	/* bChunkType, dwChunkDataLength */
#define PD_CI_V2_SEGDESC_SIZE	(4 + 32 + 32)
#define PD_CI_V2_SEGMENTS_PER_CHUNK	(0xffffffffu / PD_CI_V2_SEGDESC_SIZE)

/* The header's fields besides the version (bHashAlgo is always 0x04). */
struct pd_ci_v2_header {
	uint64_t start;			/* ullStartInContent */
	uint64_t first_index;		/* ullIndexOfFirstSegment */
	uint32_t offset_in_first;	/* dwOffsetInFirstSegment */
	uint64_t range_length;		/* ullLengthOfRange, 0: to the end */
};

/* Segment i's description, for the encoder. */
struct pd_ci_v2_segment {
	uint32_t size;
	const uint8_t *hod;	/* 32 bytes */
	const uint8_t *kp;	/* 32 bytes */
};

typedef void pd_ci_v2_segment_fn(const void *ctx, uint32_t i,
				 struct pd_ci_v2_segment *seg);

static inline size_t pd_ci_v2_size(uint32_t nsegments)
{
	size_t chunks = ((size_t)nsegments + PD_CI_V2_SEGMENTS_PER_CHUNK - 1) /
			PD_CI_V2_SEGMENTS_PER_CHUNK;

	return PD_CI_V2_HEADER_SIZE + chunks * PD_CI_V2_CHUNK_HEADER +
	       (size_t)nsegments * PD_CI_V2_SEGDESC_SIZE;
}

static inline uint8_t *pd_ci_v2_put_be(uint8_t *p, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = bytes; i--; v >>= 8)
		p[i] = (uint8_t)v;
	return p + bytes;
}

static inline uint8_t *pd_ci_v2_put_bytes(uint8_t *p, const uint8_t *src,
					  unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = src[i];
	return p + len;
}

/*
 * Writes the whole encoding of nsegments segments (pd_ci_v2_size() bytes,
 * which out must hold), asking seg(ctx, i, ...) for each; the length.
 */
static inline size_t pd_ci_v2_encode(uint8_t *out, const struct pd_ci_v2_header *h,
				     uint32_t nsegments, pd_ci_v2_segment_fn *seg,
				     const void *ctx)
{
	struct pd_ci_v2_segment s;
	uint8_t *p = out;
	uint32_t i, n;

	*p++ = 0x00;	/* bMinorVersion */
	*p++ = 0x02;	/* bMajorVersion */
	*p++ = 0x04;	/* bHashAlgo: SHA-512 truncated to 32 bytes */
	p = pd_ci_v2_put_be(p, h->start, 8);
	p = pd_ci_v2_put_be(p, h->first_index, 8);
	p = pd_ci_v2_put_be(p, h->offset_in_first, 4);
	p = pd_ci_v2_put_be(p, h->range_length, 8);
	for (i = 0; i < nsegments; i++) {
		if (i % PD_CI_V2_SEGMENTS_PER_CHUNK == 0) {
			n = nsegments - i;
			if (n > PD_CI_V2_SEGMENTS_PER_CHUNK)
				n = PD_CI_V2_SEGMENTS_PER_CHUNK;
			*p++ = 0x00;	/* bChunkType: segment descriptions */
			p = pd_ci_v2_put_be(p, (uint64_t)n * PD_CI_V2_SEGDESC_SIZE, 4);
		}
		seg(ctx, i, &s);
		p = pd_ci_v2_put_be(p, s.size, 4);
		p = pd_ci_v2_put_bytes(p, s.hod, 32);
		p = pd_ci_v2_put_bytes(p, s.kp, 32);
	}
	return p - out;
}

#endif
