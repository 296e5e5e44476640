// SPDX-License-Identifier: LGPL-2.1-or-later
/* MS-PCHC message codec (see pchc.h). */
#include <stddef.h>
#include <string.h>

#include "bytes.h"
#include "pchc.h"

static int read_prefix(struct pd_rd *r, struct pd_pchc_msg *m)
{
	unsigned minor = pd_rd_u8(r);

	m->major = pd_rd_u8(r);
	m->type = pd_rd_be16(r);
	pd_rd_take(r, 4);		/* padding: ignored */
	m->port = pd_rd_be16(r);
	pd_rd_take(r, 6);
	if (r->overrun)
		return PD_HC_E_TRUNCATED;
	if (minor != 0 || (m->major != 1 && m->major != 2))
		return PD_HC_E_VERSION;
	if (m->type == PD_PCHC_BATCHED_OFFER ? m->major != 2 :
	    m->major != 1 || (m->type != PD_PCHC_INITIAL_OFFER &&
			      m->type != PD_PCHC_SEGMENT_INFO))
		return PD_HC_E_TYPE;
	return 0;
}

/* The rest of the message is the HoHoDk: its size is a digest's. */
static int read_initial_offer(struct pd_rd *r, struct pd_pchc_msg *m)
{
	m->id_len = pd_rd_left(r);
	if (m->id_len != 32 && m->id_len != 48 && m->id_len != 64)
		return PD_HC_E_HASH;
	m->id = pd_rd_take(r, m->id_len);
	return 0;
}

static int read_segment_info(struct pd_rd *r, struct pd_pchc_msg *m,
			     struct pd_ci **out)
{
	struct pd_ci *ci;

	if (!pd_rd_copy(r, m->tag, PD_PCHC_TAG_SIZE))
		return PD_HC_E_TRUNCATED;
	m->info_len = pd_rd_left(r);
	m->info = pd_rd_take(r, m->info_len);
	if (pd_ci_parse(m->info, m->info_len, &ci, NULL))
		return PD_HC_E_CONTENT_INFO;
	if (ci->version != 1 || ci->nsegments != 1) {
		pd_ci_free(ci);
		return PD_HC_E_CONTENT_INFO;
	}
	if (out)
		*out = ci;
	else
		pd_ci_free(ci);
	return 0;
}

static int read_descriptor(struct pd_rd *r, struct pd_pchc_segment *s)
{
	uint16_t tag_len;

	s->block_size = pd_rd_be32(r);
	s->segment_size = pd_rd_be32(r);
	tag_len = pd_rd_be16(r);
	if (r->overrun)
		return PD_HC_E_TRUNCATED;
	if (tag_len != PD_PCHC_TAG_SIZE)
		return PD_HC_E_TAG;
	pd_rd_copy(r, s->tag, PD_PCHC_TAG_SIZE);
	s->hash_alg = pd_rd_u8(r);
	if (r->overrun)
		return PD_HC_E_TRUNCATED;
	if (s->hash_alg != PD_PCHC_HASH_SHA256 &&
	    s->hash_alg != PD_PCHC_HASH_SHA512_TRUNC)
		return PD_HC_E_HASH;
	return pd_rd_copy(r, s->id, PD_PCHC_BATCH_ID_SIZE) ? 0 : PD_HC_E_TRUNCATED;
}

static int read_batched_offer(struct pd_rd *r, struct pd_pchc_msg *m)
{
	int err;

	while (pd_rd_left(r)) {
		if (m->nsegments == PD_PCHC_MAX_BATCH)
			return PD_HC_E_BATCH;
		err = read_descriptor(r, &m->segments[m->nsegments++]);
		if (err)
			return err;
	}
	return m->nsegments ? 0 : PD_HC_E_BATCH;
}

int pd_pchc_decode_request(const uint8_t *buf, size_t len,
			   struct pd_pchc_msg *msg, struct pd_ci **ci)
{
	struct pd_rd r = pd_rd_init(buf, len);
	int err;

	memset(msg, 0, offsetof(struct pd_pchc_msg, segments));
	if (ci)
		*ci = NULL;
	if (len > PD_PCHC_REQUEST_MAX)
		return -PD_HC_E_TOO_LARGE;
	err = read_prefix(&r, msg);
	if (!err && msg->type == PD_PCHC_INITIAL_OFFER)
		err = read_initial_offer(&r, msg);
	else if (!err && msg->type == PD_PCHC_SEGMENT_INFO)
		err = read_segment_info(&r, msg, ci);
	else if (!err)
		err = read_batched_offer(&r, msg);
	return -err;
}

static void write_prefix(struct pd_wr *w, const struct pd_pchc_msg *m)
{
	pd_wr_u8(w, 0);
	pd_wr_u8(w, m->major);
	pd_wr_be16(w, m->type);
	pd_wr_be32(w, 0);
	pd_wr_be16(w, m->port);
	pd_wr_be16(w, 0);
	pd_wr_be32(w, 0);
}

static void write_descriptor(struct pd_wr *w, const struct pd_pchc_segment *s)
{
	pd_wr_be32(w, s->block_size);
	pd_wr_be32(w, s->segment_size);
	pd_wr_be16(w, PD_PCHC_TAG_SIZE);
	pd_wr_bytes(w, s->tag, PD_PCHC_TAG_SIZE);
	pd_wr_u8(w, s->hash_alg);
	pd_wr_bytes(w, s->id, PD_PCHC_BATCH_ID_SIZE);
}

/* What encoding refuses: what decoding would refuse of the fields. */
static int encodable(const struct pd_pchc_msg *m)
{
	if (m->type == PD_PCHC_INITIAL_OFFER)
		return m->major == 1 && (m->id_len == 32 || m->id_len == 48 ||
					 m->id_len == 64);
	if (m->type == PD_PCHC_SEGMENT_INFO)
		return m->major == 1 && m->info && m->info_len;
	return m->type == PD_PCHC_BATCHED_OFFER && m->major == 2 &&
	       m->nsegments && m->nsegments <= PD_PCHC_MAX_BATCH;
}

long pd_pchc_encode_request(const struct pd_pchc_msg *msg, uint8_t *out,
			    size_t len)
{
	struct pd_wr w = pd_wr_init(out, len);
	uint32_t i;

	if (!encodable(msg))
		return -PD_HC_E_BUFFER;
	write_prefix(&w, msg);
	if (msg->type == PD_PCHC_INITIAL_OFFER) {
		pd_wr_bytes(&w, msg->id, msg->id_len);
	} else if (msg->type == PD_PCHC_SEGMENT_INFO) {
		pd_wr_bytes(&w, msg->tag, PD_PCHC_TAG_SIZE);
		pd_wr_bytes(&w, msg->info, msg->info_len);
	} else {
		for (i = 0; i < msg->nsegments; i++)
			write_descriptor(&w, &msg->segments[i]);
	}
	if (w.overrun || w.pos > PD_PCHC_REQUEST_MAX)
		return -PD_HC_E_BUFFER;
	return w.pos;
}

int pd_pchc_decode_response(const uint8_t *buf, size_t len, unsigned *code)
{
	struct pd_rd r = pd_rd_init(buf, len);
	uint32_t size = pd_rd_be32(&r);

	*code = pd_rd_u8(&r);
	if (r.overrun)
		return -PD_HC_E_TRUNCATED;
	if (size != 1 || pd_rd_left(&r))
		return -PD_HC_E_TRAILING;
	return *code == PD_PCHC_OK || *code == PD_PCHC_INTERESTED ? 0 : -PD_HC_E_CODE;
}

long pd_pchc_encode_response(unsigned code, uint8_t *out, size_t len)
{
	struct pd_wr w = pd_wr_init(out, len);

	if (code != PD_PCHC_OK && code != PD_PCHC_INTERESTED)
		return -PD_HC_E_CODE;
	pd_wr_be32(&w, 1);
	pd_wr_u8(&w, code);
	return w.overrun ? -PD_HC_E_BUFFER : (long)w.pos;
}

unsigned pd_pchc_hash_from_ci(unsigned version, unsigned hash_alg)
{
	if (version == 1 && hash_alg == PD_HASH_SHA256)
		return PD_PCHC_HASH_SHA256;
	if (version == 2 && hash_alg == PD_HASH_V2_SHA512_TRUNC)
		return PD_PCHC_HASH_SHA512_TRUNC;
	return 0;
}

static const char *const hc_errors[PD_HC_E_COUNT] = {
	[PD_HC_OK] = "success",
	[PD_HC_E_TRUNCATED] = "message truncated",
	[PD_HC_E_TOO_LARGE] = "message over the size limit",
	[PD_HC_E_VERSION] = "version not 1.0 or 2.0",
	[PD_HC_E_TYPE] = "message type unknown or not of this version",
	[PD_HC_E_HASH] = "segment id size or hash algorithm invalid",
	[PD_HC_E_TAG] = "content tag size is not 16",
	[PD_HC_E_BATCH] = "batched offer without segments or over 128",
	[PD_HC_E_CONTENT_INFO] = "segment information is not V1 content information of one segment",
	[PD_HC_E_TRAILING] = "bytes after the message",
	[PD_HC_E_CODE] = "response code not OK or INTERESTED",
	[PD_HC_E_BUFFER] = "output buffer too small or bad argument",
};

const char *pd_pchc_strerror(int err)
{
	if (err < 0)
		err = -err;
	return err < PD_HC_E_COUNT ? hc_errors[err] : "unknown error";
}
