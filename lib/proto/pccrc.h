/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content information (MS-PCCRC V1 and V2): the in-memory model, the
 * byte-buffer codecs and the sub-range operation. Pure code: no I/O.
 *
 * V1 is little-endian, fixed 32 MiB segments of 64 KiB blocks. V2 is
 * big-endian, variable segments (<= 128 KiB) that are each one block whose
 * hash is the segment's HoD. The model below describes both the same way.
 */
#ifndef PD_PCCRC_H
#define PD_PCCRC_H

#include <stddef.h>
#include <stdint.h>

#include "pd_hash.h"	/* PD_HASH_* ids, PD_HASH_MAX (common/) */

#define PD_BLOCK_SIZE		65536u
#define PD_SEGMENT_SIZE		(32u << 20)
#define PD_BLOCKS_PER_SEGMENT	(PD_SEGMENT_SIZE / PD_BLOCK_SIZE)
#define PD_V2_MAX_SEGMENT	(128u << 10)

/* Parse/validation errors, returned negated. */
enum pd_ci_err {
	PD_CI_OK = 0,
	PD_CI_E_TRUNCATED,	/* input ends inside a field */
	PD_CI_E_TRAILING,	/* bytes after the last structure */
	PD_CI_E_VERSION,	/* version not 1.0 or 2.0 */
	PD_CI_E_HASH_ALGO,	/* unknown hash algorithm */
	PD_CI_E_BLOCK_SIZE,	/* V1 cbBlockSize is not 65536 */
	PD_CI_E_SEGMENT_SIZE,	/* segment empty or over the maximum */
	PD_CI_E_BLOCK_COUNT,	/* V1 cBlocks does not match cbSegment */
	PD_CI_E_CONTIGUITY,	/* V1 segment offsets not back to back */
	PD_CI_E_RANGE,		/* range fields outside the segments */
	PD_CI_E_HOD,		/* V1 HoD is not the hash of the block hashes */
	PD_CI_E_CHUNK,		/* V2 chunk type or length invalid */
	PD_CI_E_EMPTY,		/* no segments where some are required */
	PD_CI_E_NOMEM,
	PD_CI_E_INVAL,		/* bad argument (API misuse, not input) */
	PD_CI_E_COUNT
};

/* Where a parse failed: byte offset in the input and segment index. */
struct pd_ci_diag {
	size_t offset;
	uint32_t segment;	/* UINT32_MAX when not inside a segment */
};

struct pd_ci_segment {
	uint64_t offset;	/* of the segment's first byte in the content */
	uint32_t size;		/* cbSegment */
	uint32_t block_size;	/* V1: 65536; V2: == size */
	uint32_t nblocks;	/* V1: cBlocks; V2: 1 */
	uint8_t hod[PD_HASH_MAX];
	uint8_t kp[PD_HASH_MAX];
	uint8_t *block_hashes;	/* nblocks * hash_len bytes (V2: the HoD) */
};

struct pd_ci {
	unsigned version;	/* 1 or 2 */
	unsigned hash_alg;	/* PD_HASH_* */
	unsigned hash_len;	/* 32, 48 or 64 */
	/* Header fields as on the wire (see MS-PCCRC 2.3, 2.4). */
	uint32_t offset_in_first;	/* dwOffsetInFirstSegment */
	uint32_t read_in_last;		/* V1 dwReadBytesInLastSegment, 0 = all */
	uint64_t first_index;		/* V2 ullIndexOfFirstSegment */
	uint64_t range_length;		/* V2 ullLengthOfRange, 0 = to the end */
	uint32_t nsegments;
	struct pd_ci_segment *segments;
	size_t alloc_len;	/* private: for pd_ci_free, 0 when from malloc */
};

/* The content bytes [start, end) that content information describes. */
struct pd_range {
	uint64_t start;
	uint64_t end;
};

/*
 * Parse and validate content information. On success *out is a new object
 * (pd_ci_free it). On failure returns -PD_CI_E_*, and *diag (if not NULL)
 * says where.
 */
int pd_ci_parse(const uint8_t *buf, size_t len, struct pd_ci **out,
		struct pd_ci_diag *diag);

/* Bytes pd_ci_encode() will write. */
size_t pd_ci_encoded_size(const struct pd_ci *ci);

/* Serialize; returns bytes written or -PD_CI_E_INVAL if len is too small. */
long pd_ci_encode(const struct pd_ci *ci, uint8_t *buf, size_t len);

/* The described content range, trimmed to the header's range fields. */
struct pd_range pd_ci_range(const struct pd_ci *ci);

/* Index of the segment that contains content offset off, or the last one
 * starting at or before it; ci must have segments and off must be at or
 * after the first segment's start. */
uint32_t pd_ci_segment_at(const struct pd_ci *ci, uint64_t off);

/* The whole extent of block b of segment s in the content. */
struct pd_range pd_ci_block_span(const struct pd_ci *ci, uint32_t s, uint32_t b);

/* The block range of block b of segment s, trimmed to pd_ci_range(). */
struct pd_range pd_ci_block_range(const struct pd_ci *ci, uint32_t s,
				  uint32_t b);

/*
 * Content information for content bytes [offset, offset + length) of the
 * content described by ci, as PeerDistServerOpenContentInformation returns
 * it: the covering segments with range fields set. length 0 means to the
 * end. -PD_CI_E_RANGE if the range is not inside ci.
 */
int pd_ci_subrange(const struct pd_ci *ci, uint64_t offset, uint64_t length,
		   struct pd_ci **out);

/* An empty object with room for nsegments and their block hashes. */
struct pd_ci *pd_ci_alloc(unsigned version, unsigned hash_alg,
			  uint32_t nsegments, const uint32_t *nblocks);

void pd_ci_free(struct pd_ci *ci);

/* Human-readable text for a -PD_CI_E_* value. */
const char *pd_ci_strerror(int err);

/* True when the error means "a version we do not support" rather than "malformed". */
int pd_ci_err_is_version(int err);

/* Digest length of an algorithm, 0 if unknown for that version. */
unsigned pd_hash_len(unsigned version, unsigned hash_alg);

#endif
