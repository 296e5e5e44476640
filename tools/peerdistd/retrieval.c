// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The retrieval server's logic (MS-PCCRR), between the codec and the store:
 * NEGO answered; GETBLKLIST answered with the requested blocks this cache
 * holds, as normalized ranges; GETBLKS answered with the block, encrypted
 * with the key from Kp (AES-128 when the client asks for none: real
 * clients refuse plaintext), and the next block held, or an empty BLK;
 * GETSEGLIST (version 2.0) answered with the requested segments held.
 * A client beyond the Active Client Count gets what the spec prescribes:
 * an empty BLKLIST, BLK or SEGLIST. Each serving thread has its own
 * scratch, so requests are answered in parallel; AES-128 blocks may be
 * left for the caller to encrypt several at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "aes128_mb.h"
#include "pccrr.h"
#include "pccrr_crypto.h"
#include "peerdistd.h"

struct scratch {
	struct pd_pccrr_msg q, r;
	uint8_t iv[PD_PCCRR_IV_SIZE];
};

static _Thread_local struct scratch *scratch;	/* freed at thread exit */

static int has(struct pd_store *st, const struct pd_pccrr_msg *m, uint32_t b)
{
	return st->ops->has_block(st, m->segment_id, m->segment_id_len, b) == 1;
}

static void answer_blklist(struct pd_store *st, const struct pd_pccrr_msg *q,
			   struct pd_pccrr_msg *r)
{
	uint32_t i, b;

	for (i = 0; i < q->nranges; i++) {
		for (b = q->ranges[i].index; b < q->ranges[i].index + q->ranges[i].count; b++) {
			if (!has(st, q, b))
				continue;
			if (r->nranges && r->ranges[r->nranges - 1].index +
					  r->ranges[r->nranges - 1].count == b)
				r->ranges[r->nranges - 1].count++;
			else if (r->nranges < PD_PCCRR_MAX_RANGES)
				r->ranges[r->nranges++] = (struct pd_block_range){ b, 1 };
		}
	}
	r->nranges = pd_block_ranges_normalize(r->ranges, r->nranges);
}

/*
 * Reads the block into buf and encrypts it there (buf: where the encoded
 * MSG_BLK carries it, so the block is copied once, from the page cache);
 * its ciphertext length, 0 if not here. AES-128 with a job to fill is left
 * for the caller to encrypt with others at once (aes128_mb.h): padded, with
 * its IV chosen.
 */
static size_t encrypt_block(struct pd_store *st, const struct pd_pccrr_msg *q,
			    uint32_t b, unsigned crypto, uint8_t *buf,
			    uint8_t iv[PD_PCCRR_IV_SIZE], struct pd_aes128_cbc_job *job)
{
	struct pd_segment_desc d;
	struct pd_block_loc loc;
	size_t padded;
	ssize_t n;

	if (st->ops->get_segment(st, q->segment_id, q->segment_id_len, &d) ||
	    st->ops->locate_block(st, q->segment_id, q->segment_id_len, b, &loc))
		return 0;
	n = pread(loc.fd, buf, loc.len, loc.offset);
	close(loc.fd);
	padded = pd_pccrr_padded_len(loc.len);
	if (n != (ssize_t)loc.len)
		return 0;
	if (job && crypto == PD_CRYPTO_AES_128 && d.hash_len >= 16) {
		if (RAND_bytes(iv, PD_PCCRR_IV_SIZE) != 1)
			return 0;
		memset(buf + loc.len, 0, padded - loc.len);
		memcpy(job->key, d.kp, 16);
		memcpy(job->iv, iv, PD_PCCRR_IV_SIZE);
		job->buf = buf;
		job->len = padded;
		return padded;
	}
	if (pd_pccrr_encrypt(crypto, d.kp, d.hash_len, buf, loc.len, buf, iv))
		return 0;
	return padded;
}

static void answer_blk(struct pd_store *st, const struct pd_pccrr_msg *q,
		       struct pd_pccrr_msg *r, uint8_t *out, size_t cap,
		       uint8_t *iv, struct pd_aes128_cbc_job *job)
{
	uint8_t *buf = out + pd_pccrr_blk_block_offset(q->segment_id_len);
	uint32_t b = q->ranges[0].index, next;

	if (pd_pccrr_blk_block_offset(q->segment_id_len) + PD_V2_MAX_SEGMENT > cap)
		return;
	r->crypto = q->crypto ? q->crypto : PD_CRYPTO_AES_128;
	r->block_len = encrypt_block(st, q, b, r->crypto, buf, iv, job);
	r->block = buf;
	if (r->block_len) {
		r->iv = iv;
		r->iv_len = PD_PCCRR_IV_SIZE;
	} else {
		r->crypto = PD_CRYPTO_NONE;	/* "not here": nothing to decrypt */
	}
	for (next = b + 1; next < PD_PCCRR_BLOCKS && r->block_len; next++) {
		if (has(st, q, next)) {
			r->next_block_index = next;
			break;
		}
	}
}

/*
 * SEGLIST: which requested segments this cache holds, as ranges of indexes
 * into the request's id list, with the request's RequestID. The store keeps
 * no time of a segment's arrival, so no ExtensibleBlob with ages is sent
 * (the spec makes it a SHOULD; an age of 0 would claim "just cached").
 */
static int holds_any_block(struct pd_store *st, const struct pd_segment_ref *ref)
{
	struct pd_segment_desc d;
	uint32_t b;

	if (st->ops->get_segment(st, ref->id, ref->len, &d))
		return 0;
	for (b = 0; b < d.nblocks; b++)
		if (st->ops->has_block(st, ref->id, ref->len, b) == 1)
			return 1;
	return 0;
}

static void answer_seglist(struct pd_store *st, const struct pd_pccrr_msg *q,
			   struct pd_pccrr_msg *r, int admitted)
{
	struct pd_segment_range *last = r->seg_ranges;
	uint32_t i;

	r->type = PD_MSG_SEGLIST;
	r->version = PD_PCCRR_VERSION_2;
	memcpy(r->request_id, q->request_id, sizeof(r->request_id));
	for (i = 0; admitted && i < q->nsegments; i++) {
		if (!holds_any_block(st, &q->segments[i]))
			continue;
		if (r->nseg_ranges && last->index + last->count == i) {
			last->count++;
		} else {
			last = &r->seg_ranges[r->nseg_ranges++];
			*last = (struct pd_segment_range){ i, 1 };
		}
	}
}

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_key_init(void)
{
	pthread_key_create(&scratch_key, free);
}

static struct scratch *thread_scratch(void)
{
	if (!scratch) {
		pthread_once(&scratch_once, scratch_key_init);
		scratch = malloc(sizeof(*scratch));
		if (scratch)
			pthread_setspecific(scratch_key, scratch);
	}
	return scratch;
}

long pd_retrieval_answer(struct pd_store *st, const uint8_t *req, size_t len,
			 int admitted, uint8_t *out, size_t cap,
			 struct pd_aes128_cbc_job *job)
{
	struct scratch *s = thread_scratch();
	struct pd_pccrr_msg *q, *r;

	if (!s)
		return -1;
	q = &s->q;
	r = &s->r;
	if (job)
		job->len = 0;
	if (pd_pccrr_decode_request(req, len, q))
		return -1;
	memset(r, 0, sizeof(*r));
	r->version = PD_PCCRR_VERSION_1;
	r->crypto = q->crypto;
	r->segment_id = q->segment_id;
	r->segment_id_len = q->segment_id_len;
	switch (q->type) {
	case PD_MSG_NEGO_REQ:
		r->type = PD_MSG_NEGO_RESP;
		r->min_version = PD_PCCRR_VERSION_1;
		r->max_version = PD_PCCRR_VERSION_2;	/* GETSEGLIST */
		break;
	case PD_MSG_GETBLKLIST:
		r->type = PD_MSG_BLKLIST;
		if (admitted)
			answer_blklist(st, q, r);
		break;
	case PD_MSG_GETBLKS:
		r->type = PD_MSG_BLK;
		r->block_index = q->ranges[0].index;
		r->crypto = PD_CRYPTO_NONE;
		if (admitted)
			answer_blk(st, q, r, out, cap, s->iv, job);
		break;
	case PD_MSG_GETSEGLIST:
		answer_seglist(st, q, r, admitted);
		break;
	default:
		return -1;
	}
	return pd_pccrr_encode_response(r, out, cap);
}
