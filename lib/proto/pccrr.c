// SPDX-License-Identifier: LGPL-2.1-or-later
/* MS-PCCRR message codec (see pccrr.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "pccrr.h"

static size_t pad4(size_t n)
{
	return (4 - n % 4) % 4;
}

/* {u32 SizeOfSegmentID, SegmentID, ZeroPad}, the id 1..64 bytes. */
static int read_id(struct pd_rd *r, const uint8_t **id, uint32_t *len)
{
	*len = pd_rd_be32(r);
	if (r->overrun)
		return PD_RR_E_TRUNCATED;
	if (!*len || *len > PD_PCCRR_MAX_SEGMENT_ID)
		return PD_RR_E_SEGMENT_ID;
	*id = pd_rd_take(r, *len);
	pd_rd_take(r, pad4(*len));	/* padding: any value */
	return r->overrun ? PD_RR_E_TRUNCATED : 0;
}

static int read_segment_id(struct pd_rd *r, struct pd_pccrr_msg *m)
{
	return read_id(r, &m->segment_id, &m->segment_id_len);
}

static int read_ranges(struct pd_rd *r, struct pd_pccrr_msg *m, int may_be_empty)
{
	uint32_t i;

	m->nranges = pd_rd_be32(r);
	if (r->overrun)
		return PD_RR_E_TRUNCATED;
	if ((!m->nranges && !may_be_empty) || m->nranges > PD_PCCRR_MAX_RANGES)
		return PD_RR_E_RANGE;
	if ((size_t)m->nranges * 8 > pd_rd_left(r))
		return PD_RR_E_TRUNCATED;
	for (i = 0; i < m->nranges; i++) {
		struct pd_block_range *br = &m->ranges[i];

		br->index = pd_rd_be32(r);
		br->count = pd_rd_be32(r);
		if (br->index >= PD_PCCRR_BLOCKS || !br->count ||
		    br->count > PD_PCCRR_BLOCKS - br->index)
			return PD_RR_E_RANGE;
	}
	return 0;
}

/* A sized byte field and its padding: {u32 size, bytes, pad}. */
static int read_sized(struct pd_rd *r, const uint8_t **p, uint32_t *len)
{
	*len = pd_rd_be32(r);
	if (r->overrun)
		return PD_RR_E_TRUNCATED;
	if (*len > pd_rd_left(r))
		return PD_RR_E_TRUNCATED;
	*p = *len ? pd_rd_take(r, *len) : NULL;
	pd_rd_take(r, pad4(*len));
	return r->overrun ? PD_RR_E_TRUNCATED : 0;
}

static int read_blk(struct pd_rd *r, struct pd_pccrr_msg *m)
{
	int err = read_segment_id(r, m);

	if (err)
		return err;
	m->block_index = pd_rd_be32(r);
	m->next_block_index = pd_rd_be32(r);
	if (r->overrun)
		return PD_RR_E_TRUNCATED;
	if (m->block_index >= PD_PCCRR_BLOCKS ||
	    m->next_block_index >= PD_PCCRR_BLOCKS)
		return PD_RR_E_RANGE;
	err = read_sized(r, &m->block, &m->block_len);
	if (!err)
		err = read_sized(r, &m->vrf, &m->vrf_len);
	if (!err)
		err = read_sized(r, &m->iv, &m->iv_len);
	return err;
}

/* GETSEGLIST: CountOfSegmentIDs, then that many padded ids. */
static int read_segment_list(struct pd_rd *r, struct pd_pccrr_msg *m)
{
	uint32_t i;
	int err;

	m->nsegments = pd_rd_be32(r);
	if (r->overrun)
		return PD_RR_E_TRUNCATED;
	if (m->nsegments > PD_PCCRR_MAX_SEGMENTS)
		return PD_RR_E_SEGMENTS;
	for (i = 0; i < m->nsegments; i++) {
		err = read_id(r, &m->segments[i].id, &m->segments[i].len);
		if (err)
			return err;
	}
	return 0;
}

static int segment_range_ok(const struct pd_segment_range *sr)
{
	return sr->count && sr->index < PD_PCCRR_MAX_SEGMENTS &&
	       sr->count <= PD_PCCRR_MAX_SEGMENTS - sr->index;
}

/*
 * SEGLIST: SEGMENT_RANGE_ARRAY. Indexes point into the request's id list,
 * which this codec never makes longer than PD_PCCRR_MAX_SEGMENTS, so a
 * range past that cannot answer any request of ours.
 */
static int read_segment_ranges(struct pd_rd *r, struct pd_pccrr_msg *m)
{
	uint32_t i;

	m->nseg_ranges = pd_rd_be32(r);
	if (r->overrun)
		return PD_RR_E_TRUNCATED;
	if (m->nseg_ranges > PD_PCCRR_MAX_SEGMENTS)
		return PD_RR_E_SEGMENT_RANGE;
	if ((size_t)m->nseg_ranges * 8 > pd_rd_left(r))
		return PD_RR_E_TRUNCATED;
	for (i = 0; i < m->nseg_ranges; i++) {
		struct pd_segment_range *sr = &m->seg_ranges[i];

		sr->index = pd_rd_be32(r);
		sr->count = pd_rd_be32(r);
		if (!segment_range_ok(sr))
			return PD_RR_E_SEGMENT_RANGE;
	}
	return 0;
}

/*
 * ExtensibleBlob version 1, validated in the order MS-PCCRR 2.2.6 and
 * 2.2.6.1.1 give. A blob failing any check is discarded (no ages), not the
 * message. The 24-bit age is low byte first, unlike the rest of PCCRR.
 */
static void read_ages(struct pd_pccrr_msg *m)
{
	struct pd_rd r = pd_rd_init(m->blob, m->blob_len);
	uint32_t units, n, i;

	if (m->blob_len < 2 || pd_rd_be16(&r) != 1 || m->blob_len < 4)
		return;
	units = pd_rd_u8(&r);
	n = pd_rd_u8(&r);
	if (units < PD_AGE_SECONDS || units > PD_AGE_MILLISECONDS ||
	    m->blob_len < 4 * (n + 1))
		return;
	for (i = 0; i < n; i++) {
		m->ages[i].index = pd_rd_u8(&r);
		m->ages[i].age = pd_rd_uint(&r, 3, false);
	}
	m->age_units = units;
	m->nages = n;
}

/* {u32 SizeOfExtensibleBlob, ExtensibleBlob}: the last field. */
static int read_blob(struct pd_rd *r, struct pd_pccrr_msg *m)
{
	size_t pad;

	m->blob_len = pd_rd_be32(r);
	if (r->overrun || m->blob_len > pd_rd_left(r))
		return PD_RR_E_TRUNCATED;
	m->blob = m->blob_len ? pd_rd_take(r, m->blob_len) : NULL;
	/* Alignment padding after the last field: accepted, not required. */
	pad = pad4(m->blob_len);
	pd_rd_take(r, pad < pd_rd_left(r) ? pad : pd_rd_left(r));
	read_ages(m);
	return 0;
}

static int read_seglist_body(struct pd_rd *r, struct pd_pccrr_msg *m)
{
	int err;

	/* MsgType 6 and 7 exist only in ProtVer 2.0 (and MUST carry it). */
	if (m->version != PD_PCCRR_VERSION_2)
		return PD_RR_E_TYPE;
	if (!pd_rd_copy(r, m->request_id, sizeof(m->request_id)))
		return PD_RR_E_TRUNCATED;
	err = m->type == PD_MSG_GETSEGLIST ? read_segment_list(r, m) :
					     read_segment_ranges(r, m);
	return err ? err : read_blob(r, m);
}

static int read_body(struct pd_rd *r, struct pd_pccrr_msg *m)
{
	int err;

	switch (m->type) {
	case PD_MSG_GETSEGLIST:
	case PD_MSG_SEGLIST:
		return read_seglist_body(r, m);
	case PD_MSG_NEGO_REQ:
	case PD_MSG_NEGO_RESP:
		m->min_version = pd_rd_be32(r);
		m->max_version = pd_rd_be32(r);
		return r->overrun ? PD_RR_E_TRUNCATED : 0;
	case PD_MSG_GETBLKLIST:
		err = read_segment_id(r, m);
		return err ? err : read_ranges(r, m, 0);
	case PD_MSG_GETBLKS:
		err = read_segment_id(r, m);
		if (!err)
			err = read_ranges(r, m, 0);
		return err ? err : read_sized(r, &m->vrf, &m->vrf_len);
	case PD_MSG_BLKLIST:
		err = read_segment_id(r, m);
		if (!err)
			err = read_ranges(r, m, 1);
		/* Some peers leave out the trailing NextBlockIndex. */
		if (!err && pd_rd_left(r) >= 4) {
			m->next_block_index = pd_rd_be32(r);
			if (m->next_block_index >= PD_PCCRR_BLOCKS)
				err = PD_RR_E_RANGE;
		}
		return err;
	case PD_MSG_BLK:
		return read_blk(r, m);
	}
	return PD_RR_E_TYPE;
}

static int decode_message(const uint8_t *buf, size_t len, size_t max,
			  struct pd_pccrr_msg *m)
{
	struct pd_rd r = pd_rd_init(buf, len);
	uint32_t size;
	int err;

	/* Every scalar field; the (large) arrays come last, bounded by counts. */
	memset(m, 0, offsetof(struct pd_pccrr_msg, ranges));
	if (len < PD_PCCRR_HEADER_SIZE)
		return -PD_RR_E_TRUNCATED;
	if (len > max)
		return -PD_RR_E_TOO_LARGE;
	m->version = pd_rd_be32(&r);
	m->type = pd_rd_be32(&r);
	size = pd_rd_be32(&r);
	m->crypto = pd_rd_be32(&r);
	if (size != len)
		return -PD_RR_E_SIZE;
	if (m->version != PD_PCCRR_VERSION_1 && m->version != PD_PCCRR_VERSION_2)
		return -PD_RR_E_VERSION;
	if (m->crypto > PD_CRYPTO_AES_256)
		return -PD_RR_E_CRYPTO;
	err = read_body(&r, m);
	if (!err && pd_rd_left(&r))
		err = PD_RR_E_TRAILING;
	return -err;
}

int pd_pccrr_decode_request(const uint8_t *buf, size_t len,
			    struct pd_pccrr_msg *msg)
{
	return decode_message(buf, len, PD_PCCRR_REQUEST_MAX, msg);
}

int pd_pccrr_decode_response(const uint8_t *buf, size_t len,
			     struct pd_pccrr_msg *msg)
{
	struct pd_rd r = pd_rd_init(buf, len);
	uint32_t size = pd_rd_be32(&r);

	if (r.overrun)
		return -PD_RR_E_TRUNCATED;
	if (size != len - 4)
		return -PD_RR_E_SIZE;
	return decode_message(buf + 4, len - 4, PD_PCCRR_RESPONSE_MAX, msg);
}

/* ---- encoding ---- */

static void write_padded(struct pd_wr *w, const uint8_t *p, uint32_t len)
{
	static const uint8_t zero[4];

	pd_wr_be32(w, len);
	pd_wr_bytes(w, p, len);
	pd_wr_bytes(w, zero, pad4(len));
}

size_t pd_pccrr_blk_block_offset(uint32_t idlen)
{
	/* transport size, message header, id (sized, padded), index, next, size */
	return 4 + 16 + 4 + idlen + pad4(idlen) + 4 + 4 + 4;
}

static void write_ranges(struct pd_wr *w, const struct pd_pccrr_msg *m)
{
	uint32_t i;

	pd_wr_be32(w, m->nranges);
	for (i = 0; i < m->nranges; i++) {
		pd_wr_be32(w, m->ranges[i].index);
		pd_wr_be32(w, m->ranges[i].count);
	}
}

static int check_ages(const struct pd_pccrr_msg *m)
{
	uint32_t i;

	if (m->age_units == PD_AGE_NONE)
		return m->blob_len && !m->blob ? PD_RR_E_BUFFER : 0;
	if (m->age_units > PD_AGE_MILLISECONDS || m->nages > PD_PCCRR_MAX_AGES)
		return PD_RR_E_BLOB;
	for (i = 0; i < m->nages; i++)
		if (m->ages[i].age > PD_PCCRR_MAX_AGE)
			return PD_RR_E_BLOB;
	return 0;
}

/* The ExtensibleBlob field: version 1 from the ages, or blob unchanged. */
static void write_blob(struct pd_wr *w, const struct pd_pccrr_msg *m)
{
	uint32_t i;

	if (m->age_units == PD_AGE_NONE) {
		write_padded(w, m->blob, m->blob_len);
		return;
	}
	pd_wr_be32(w, 4 * (m->nages + 1));
	pd_wr_be16(w, 1);
	pd_wr_u8(w, m->age_units);
	pd_wr_u8(w, m->nages);
	for (i = 0; i < m->nages; i++) {
		pd_wr_u8(w, m->ages[i].index);
		pd_wr_uint(w, m->ages[i].age, 3, false);
	}
}

static int write_getseglist(struct pd_wr *w, const struct pd_pccrr_msg *m)
{
	uint32_t i;

	if (m->nsegments > PD_PCCRR_MAX_SEGMENTS)
		return PD_RR_E_SEGMENTS;
	for (i = 0; i < m->nsegments; i++) {
		if (!m->segments[i].id)
			return PD_RR_E_BUFFER;
		if (!m->segments[i].len ||
		    m->segments[i].len > PD_PCCRR_MAX_SEGMENT_ID)
			return PD_RR_E_SEGMENT_ID;
	}
	pd_wr_be32(w, m->nsegments);
	for (i = 0; i < m->nsegments; i++)
		write_padded(w, m->segments[i].id, m->segments[i].len);
	return 0;
}

static int write_seglist(struct pd_wr *w, const struct pd_pccrr_msg *m)
{
	uint32_t i;

	if (m->nseg_ranges > PD_PCCRR_MAX_SEGMENTS)
		return PD_RR_E_SEGMENT_RANGE;
	for (i = 0; i < m->nseg_ranges; i++)
		if (!segment_range_ok(&m->seg_ranges[i]))
			return PD_RR_E_SEGMENT_RANGE;
	pd_wr_be32(w, m->nseg_ranges);
	for (i = 0; i < m->nseg_ranges; i++) {
		pd_wr_be32(w, m->seg_ranges[i].index);
		pd_wr_be32(w, m->seg_ranges[i].count);
	}
	return 0;
}

static int write_seglist_body(struct pd_wr *w, const struct pd_pccrr_msg *m)
{
	int err;

	if (m->version != PD_PCCRR_VERSION_2)
		return PD_RR_E_TYPE;
	err = check_ages(m);
	if (err)
		return err;
	pd_wr_bytes(w, m->request_id, sizeof(m->request_id));
	err = m->type == PD_MSG_GETSEGLIST ? write_getseglist(w, m) :
					     write_seglist(w, m);
	if (!err)
		write_blob(w, m);
	return err;
}

static int write_body(struct pd_wr *w, const struct pd_pccrr_msg *m)
{
	switch (m->type) {
	case PD_MSG_GETSEGLIST:
	case PD_MSG_SEGLIST:
		return write_seglist_body(w, m);
	case PD_MSG_NEGO_REQ:
	case PD_MSG_NEGO_RESP:
		pd_wr_be32(w, m->min_version);
		pd_wr_be32(w, m->max_version);
		return 0;
	case PD_MSG_GETBLKLIST:
	case PD_MSG_GETBLKS:
	case PD_MSG_BLKLIST:
		write_padded(w, m->segment_id, m->segment_id_len);
		write_ranges(w, m);
		if (m->type == PD_MSG_GETBLKS)
			write_padded(w, m->vrf, m->vrf_len);
		if (m->type == PD_MSG_BLKLIST)
			pd_wr_be32(w, m->next_block_index);
		return 0;
	case PD_MSG_BLK:
		write_padded(w, m->segment_id, m->segment_id_len);
		pd_wr_be32(w, m->block_index);
		pd_wr_be32(w, m->next_block_index);
		write_padded(w, m->block, m->block_len);
		write_padded(w, m->vrf, m->vrf_len);
		write_padded(w, m->iv, m->iv_len);
		return 0;
	}
	return PD_RR_E_TYPE;
}

static long encode_message(const struct pd_pccrr_msg *m, uint8_t *out,
			   size_t len, size_t max)
{
	struct pd_wr w = pd_wr_init(out, len), size_field;
	int err;

	if (m->nranges > PD_PCCRR_MAX_RANGES ||
	    m->segment_id_len > PD_PCCRR_MAX_SEGMENT_ID)
		return -PD_RR_E_BUFFER;
	pd_wr_be32(&w, m->version);
	pd_wr_be32(&w, m->type);
	size_field = pd_wr_init(out + 8, len >= 12 ? 4 : 0);
	pd_wr_be32(&w, 0);	/* MsgSize: known at the end */
	pd_wr_be32(&w, m->crypto);
	err = write_body(&w, m);
	if (err)
		return -err;
	if (w.overrun)
		return -PD_RR_E_BUFFER;
	if (w.pos > max)
		return -PD_RR_E_TOO_LARGE;
	pd_wr_be32(&size_field, w.pos);
	return w.pos;
}

long pd_pccrr_encode_request(const struct pd_pccrr_msg *msg, uint8_t *out,
			     size_t len)
{
	return encode_message(msg, out, len, PD_PCCRR_REQUEST_MAX);
}

long pd_pccrr_encode_response(const struct pd_pccrr_msg *msg, uint8_t *out,
			      size_t len)
{
	struct pd_wr hdr = pd_wr_init(out, len >= 4 ? 4 : 0);
	long n;

	if (len < 4)
		return -PD_RR_E_BUFFER;
	n = encode_message(msg, out + 4, len - 4, PD_PCCRR_RESPONSE_MAX);
	if (n < 0)
		return n;
	pd_wr_be32(&hdr, n);
	return n + 4;
}

static int by_index(const void *a, const void *b)
{
	const struct pd_block_range *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

uint32_t pd_block_ranges_normalize(struct pd_block_range *r, uint32_t n)
{
	uint32_t i, out = 0;

	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), by_index);
	for (i = 1; i < n; i++) {
		uint32_t end = r[out].index + r[out].count;

		if (r[i].index <= end) {
			if (r[i].index + r[i].count > end)
				r[out].count = r[i].index + r[i].count - r[out].index;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static const char *const rr_errors[PD_RR_E_COUNT] = {
	[PD_RR_OK] = "success",
	[PD_RR_E_TRUNCATED] = "truncated message",
	[PD_RR_E_SIZE] = "message size field does not match the bytes",
	[PD_RR_E_TOO_LARGE] = "message over the protocol's size limit",
	[PD_RR_E_VERSION] = "unsupported protocol version",
	[PD_RR_E_TYPE] = "unknown or unsupported message type",
	[PD_RR_E_CRYPTO] = "unknown encryption algorithm",
	[PD_RR_E_SEGMENT_ID] = "segment id empty or too long",
	[PD_RR_E_RANGE] = "block range or index out of bounds",
	[PD_RR_E_TRAILING] = "bytes after the message",
	[PD_RR_E_BUFFER] = "output buffer too small or bad message",
	[PD_RR_E_SEGMENTS] = "too many segment ids",
	[PD_RR_E_SEGMENT_RANGE] = "segment range empty, out of bounds or too many",
	[PD_RR_E_BLOB] = "segment ages do not fit an extensible blob",
};

const char *pd_pccrr_strerror(int err)
{
	if (err < 0)
		err = -err;
	return err < PD_RR_E_COUNT ? rr_errors[err] : "unknown error";
}
