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
 * left for the caller to encrypt several at once. The block bytes answered
 * are counted (counters.h): served to peers, or as the hosted cache.
 *
 * A hosted cache also answers, for segments the store has no description
 * of, the blocks a PCHC 2.0 offer brought, as the offerer sent them
 * (opaque_cache.h): the client decrypts and verifies them with its own
 * content information. Once the store holds the segment's description,
 * the verified path wins and the unverified copy is dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "aes128_mb.h"
#include "fileio.h"
#include "opaque_cache.h"
#include "pccrr.h"
#include "pccrr_crypto.h"
#include "peerdistd.h"

#define IV_POOL		32	/* IVs drawn from OpenSSL at once */

struct scratch {
	struct pd_pccrr_msg q, r, raq, ra;	/* raq, ra: a block made ahead */
	uint8_t iv[PD_PCCRR_IV_SIZE];
	uint8_t ivs[IV_POOL][PD_PCCRR_IV_SIZE];	/* random, each handed out once */
	unsigned ivs_left;
};

static _Thread_local struct scratch *scratch;	/* freed at thread exit */

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
		scratch = calloc(1, sizeof(*scratch));
		if (scratch)
			pthread_setspecific(scratch_key, scratch);
	}
	return scratch;
}

/* A fresh random IV into iv, from the thread's pool: 0, or -1. */
static int fresh_iv(uint8_t iv[PD_PCCRR_IV_SIZE])
{
	struct scratch *s = thread_scratch();

	if (!s)
		return -1;
	if (!s->ivs_left) {
		if (RAND_bytes(&s->ivs[0][0], sizeof(s->ivs)) != 1)
			return -1;
		s->ivs_left = IV_POOL;
	}
	memcpy(iv, s->ivs[--s->ivs_left], PD_PCCRR_IV_SIZE);
	return 0;
}

/* Set while no loop runs (thread creation and join order the accesses). */
static struct pd_opaque_cache *unverified;

void pd_retrieval_set_unverified(struct pd_opaque_cache *oc)
{
	unverified = oc;
}

static int has(struct pd_store *st, const struct pd_pccrr_msg *m, uint32_t b)
{
	return st->ops->has_block(st, m->segment_id, m->segment_id_len, b) == 1 ||
	       (unverified && pd_opaque_has(unverified, m->segment_id, m->segment_id_len, b));
}

/*
 * Block b of a segment the store has no description of, as the offerer
 * sent it: into buf (room bytes), its IV into iv, its algorithm into
 * *crypto; the ciphertext's length, or 0.
 */
static size_t replay_unverified(struct pd_store *st, const struct pd_pccrr_msg *q,
				uint32_t b, uint8_t *buf, size_t room, uint8_t *iv,
				uint32_t *crypto, uint32_t *plain)
{
	struct pd_segment_desc d;
	unsigned algo;
	size_t n;

	if (!unverified || !pd_opaque_has(unverified, q->segment_id, q->segment_id_len, b))
		return 0;
	if (!st->ops->get_segment(st, q->segment_id, q->segment_id_len, &d)) {
		pd_opaque_drop(unverified, q->segment_id, q->segment_id_len);
		return 0;	/* the verified path wins */
	}
	n = pd_opaque_read(unverified, q->segment_id, q->segment_id_len, b, buf, room, &algo,
			   iv, plain);
	if (n)
		*crypto = algo;
	return n;
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

/* Block b encrypted by the store (which keeps Kp) into buf: as below. */
static size_t store_encrypt(struct pd_store *st, const struct pd_pccrr_msg *q, uint32_t b,
			    unsigned crypto, const struct pd_segment_desc *d, uint8_t *buf,
			    size_t room, uint8_t iv[PD_PCCRR_IV_SIZE], uint32_t *plain)
{
	long n;

	if (!st->ops->encrypt_block || b >= d->nblocks || fresh_iv(iv))
		return 0;
	n = st->ops->encrypt_block(st, q->segment_id, q->segment_id_len, b, crypto, iv, buf,
				   room);
	if (n <= 0)
		return 0;
	*plain = pd_segment_block_len(d, b);
	return n;
}

/*
 * Block b's len bytes into buf: through the store's own descriptor when no
 * disk must be waited for (no descriptor dup and close a block), else
 * through a descriptor of its own; the bytes read, or < 0. Neither counts
 * the bytes as read from the cache: the caller counts them as served.
 */
static ssize_t read_block(struct pd_store *st, const struct pd_pccrr_msg *q, uint32_t b,
			  uint8_t *buf, size_t len)
{
	struct pd_block_loc loc;
	ssize_t n = -EAGAIN;

	if (st->ops->read_blocks_now)
		n = pd_store_read_block_now(st, q->segment_id, q->segment_id_len, b, 0, buf,
					    len);
	if (n == (ssize_t)len || (n < 0 && n != -EAGAIN && n != -ENOENT))
		return n;
	/* Not in memory whole, or a miss (which locate_block counts). */
	if (st->ops->locate_block(st, q->segment_id, q->segment_id_len, b, &loc))
		return -1;
	n = pd_pread_full(loc.fd, buf, len, loc.offset);
	close(loc.fd);
	return n;
}

/*
 * Reads block b into buf (room bytes) and encrypts it there (buf: where
 * the encoded MSG_BLK carries it, so the block is copied once, from the
 * page cache); its ciphertext length, 0 if not here or too large. AES-128
 * with a batch is left for the caller to encrypt with others at once
 * (aes128_mb.h): padded, its IV chosen, a job added. A description
 * without Kp (peerdist.ko keeps it) has the store encrypt the block.
 */
static size_t encrypt_block(struct pd_store *st, const struct pd_pccrr_msg *q,
			    uint32_t b, unsigned crypto, uint8_t *buf, size_t room,
			    uint8_t iv[PD_PCCRR_IV_SIZE], struct pd_retrieval_batch *batch,
			    uint32_t *plain)
{
	struct pd_aes128_cbc_job *job;
	struct pd_segment_desc d;
	size_t padded, len;

	if (st->ops->get_segment(st, q->segment_id, q->segment_id_len, &d))
		return 0;
	if (d.no_kp)
		return store_encrypt(st, q, b, crypto, &d, buf, room, iv, plain);
	if (b >= d.nblocks)
		return 0;
	len = pd_segment_block_len(&d, b);
	padded = pd_pccrr_padded_len(len);
	if (padded > room || read_block(st, q, b, buf, len) != (ssize_t)len)
		return 0;
	*plain = len;
	if (batch && batch->njobs < batch->max && crypto == PD_CRYPTO_AES_128 &&
	    d.hash_len >= 16) {
		if (fresh_iv(iv))
			return 0;
		job = &batch->jobs[batch->njobs++];
		memset(buf + len, 0, padded - len);
		memcpy(job->key, d.kp, 16);
		memcpy(job->iv, iv, PD_PCCRR_IV_SIZE);
		job->buf = buf;
		job->len = padded;
		return padded;
	}
	if (pd_pccrr_encrypt(crypto, d.kp, d.hash_len, buf, len, buf, iv))
		return 0;
	return padded;
}

/* What follows the block in a MSG_BLK: VrfBlob and IV, with their sizes. */
#define BLK_TRAILER	(8 + PD_PCCRR_IV_SIZE)

/* r: the MSG_BLK for block b into out (cap bytes), with the next block
 * held; *plain: the block's length (0 when it is not here). */
static void answer_blk(struct pd_store *st, const struct pd_pccrr_msg *q, uint32_t b,
		       struct pd_pccrr_msg *r, uint8_t *out, size_t cap,
		       uint8_t *iv, struct pd_retrieval_batch *batch, uint32_t *plain)
{
	size_t offset = pd_pccrr_blk_block_offset(q->segment_id_len);
	uint8_t *buf = out + offset;
	uint32_t next;

	memset(r, 0, sizeof(*r));
	r->version = PD_PCCRR_VERSION_1;
	r->type = PD_MSG_BLK;
	r->segment_id = q->segment_id;
	r->segment_id_len = q->segment_id_len;
	r->block_index = b;
	*plain = 0;
	if (offset + BLK_TRAILER >= cap)
		return;
	r->crypto = q->crypto ? q->crypto : PD_CRYPTO_AES_128;
	r->block_len = encrypt_block(st, q, b, r->crypto, buf, cap - offset - BLK_TRAILER,
				     iv, batch, plain);
	if (r->block_len && unverified)	/* verified: an unverified copy goes */
		pd_opaque_drop(unverified, q->segment_id, q->segment_id_len);
	else if (!r->block_len)
		r->block_len = replay_unverified(st, q, b, buf, cap - offset - BLK_TRAILER, iv,
						 &r->crypto, plain);
	r->block = buf;
	if (r->block_len) {
		r->iv = iv;
		r->iv_len = PD_PCCRR_IV_SIZE;
	} else {
		r->crypto = PD_CRYPTO_NONE;	/* "not here": nothing to decrypt */
		*plain = 0;
	}
	for (next = b + 1; next < PD_PCCRR_BLOCKS && r->block_len; next++) {
		if (has(st, q, next)) {
			r->next_block_index = next;
			break;
		}
	}
}

/*
 * Read-ahead for a client that asks for the blocks one after another (as
 * Windows and iPXE do, following NextBlockIndex): once it has asked for two
 * in a row, the answers for the next blocks held are made ahead, a step at
 * a time between the loop's passes (pd_readahead_step), so that the loop
 * goes on answering while they are made: a step reads one block into a
 * slot of the ring and encrypts RA_CHUNK more bytes of each answer of the
 * group being encrypted (RA_LANES at once: the AES lanes). So the reading
 * and the encryption of a block are spread over the client's next
 * requests instead of stalling one of them, and the loop's thread works
 * while the client reads. Each answer is sent once, with its own IV. A
 * request for an answer still being made has it finished first. Answers
 * made ahead and then not asked for double the run of requests in a row
 * that starts it again (up to RA_NEED_MAX; one taken brings it back to
 * two): a connection that only now and then gets consecutive blocks, as
 * one of several sharing out a content, would otherwise make answers for
 * nothing each time.
 */
#define RA_LANES	8	/* answers encrypted together */
#define RA_BLOCKS	(3 * RA_LANES)	/* made, being encrypted, read */
#define RA_CHUNK	(8u << 10)	/* of each answer of the group, per step */
#define RA_SLOT		((68u << 10))	/* a MSG_BLK for a block up to 64 KiB */
#define RA_NEED_MAX	64	/* the longest run of requests in a row asked for */

/*
 * The ring's answers, by position (mod RA_BLOCKS): pos..sealed-1 made,
 * sealed..group-1 being encrypted, group..count-1 read and not encrypted
 * yet. Answers taken since the last step (floor..pos-1) may not be sent
 * yet: a read goes only where none of them is.
 */
struct pd_readahead {
	uint8_t id[PD_PCCRR_MAX_SEGMENT_ID];
	uint32_t id_len;
	uint32_t expect;	/* what a sequential client asks for next */
	uint32_t fill;		/* the next block to make ahead; 0: none */
	uint32_t streak;	/* requests in a row that were the one expected */
	uint32_t need;		/* the streak that starts making ahead (>= 1) */
	unsigned floor, pos, sealed, group, count;
	uint32_t index[RA_BLOCKS], next[RA_BLOCKS];
	uint32_t plain[RA_BLOCKS];	/* the block's bytes, for the counters */
	size_t len[RA_BLOCKS];
	struct pd_aes128_cbc_job job[RA_BLOCKS];	/* what is left to encrypt */
	uint8_t *slots;		/* RA_BLOCKS of RA_SLOT bytes, once sequential */
};

static int same_segment(const struct pd_readahead *ra, const struct pd_pccrr_msg *q)
{
	return ra->id_len == q->segment_id_len && !memcmp(ra->id, q->segment_id, ra->id_len);
}

/* Drops the answers not taken; the ring's positions go on from there. */
static void readahead_reset(struct pd_readahead *ra)
{
	ra->pos = ra->sealed = ra->group = ra->count;
	ra->fill = 0;
}

/* Reads the next block into its slot, its encryption left in job[]: 1, or
 * 0 when there is none to read (fill then stops). */
static int read_ahead(struct pd_store *st, struct pd_readahead *ra, struct scratch *s)
{
	unsigned k = ra->count % RA_BLOCKS;
	uint8_t *slot = ra->slots + (size_t)k * RA_SLOT;
	struct pd_retrieval_batch one = { .jobs = &ra->job[k], .max = 1 };
	uint8_t iv[PD_PCCRR_IV_SIZE];
	long n;

	memset(&s->raq, 0, offsetof(struct pd_pccrr_msg, ranges));
	s->raq.segment_id = ra->id;
	s->raq.segment_id_len = ra->id_len;
	answer_blk(st, &s->raq, ra->fill, &s->ra, slot, RA_SLOT, iv, &one, &ra->plain[k]);
	n = s->ra.block_len ? pd_pccrr_encode_response(&s->ra, slot, RA_SLOT) : -1;
	if (n < 0) {
		ra->fill = 0;
		return 0;
	}
	if (!one.njobs)
		ra->job[k].len = 0;	/* the store encrypted it */
	ra->index[k] = ra->fill;
	ra->next[k] = s->ra.next_block_index;
	ra->len[k] = n;
	ra->count++;
	ra->fill = s->ra.next_block_index;
	return 1;
}

static int can_read(const struct pd_readahead *ra)
{
	return ra->fill && ra->count - ra->group < RA_LANES &&
	       ra->count - ra->floor < RA_BLOCKS;
}

/* The answers read become the group being encrypted, when there is none:
 * once a whole group is read, or the last ones (a group smaller than the
 * lanes costs what a whole one does), or now. */
static void start_group(struct pd_readahead *ra, int now)
{
	if (ra->group != ra->sealed || ra->count == ra->group ||
	    (!now && ra->count - ra->group < RA_LANES && ra->fill))
		return;
	ra->group = ra->count - ra->group < RA_LANES ? ra->count : ra->group + RA_LANES;
}

/* Encrypts up to chunk more bytes of each answer of the group: 0, or -1. */
static int encrypt_group(struct pd_readahead *ra, size_t chunk)
{
	struct pd_aes128_cbc_job now[RA_LANES], *j;
	unsigned i, n = 0, left = 0;

	for (i = ra->sealed; i < ra->group; i++) {
		j = &ra->job[i % RA_BLOCKS];
		now[n] = *j;
		now[n++].len = j->len < chunk ? j->len : chunk;
	}
	if (pd_aes128_cbc_encrypt_many(now, n))
		return -1;
	for (i = ra->sealed, n = 0; i < ra->group; i++, n++) {
		j = &ra->job[i % RA_BLOCKS];
		if (now[n].len) {	/* CBC goes on from the last block made */
			j->buf += now[n].len;
			j->len -= now[n].len;
			memcpy(j->iv, j->buf - 16, 16);
		}
		left += j->len != 0;
	}
	if (!left)
		ra->sealed = ra->group;
	return 0;
}

/* Finishes the answers up to position k (one still being made): 0, or -1. */
static int seal_through(struct pd_store *st, struct pd_readahead *ra, unsigned k)
{
	struct scratch *s = thread_scratch();

	while (ra->sealed <= k) {
		if (ra->group == ra->sealed)	/* a whole group costs what one does */
			while (can_read(ra) && read_ahead(st, ra, s))
				;
		start_group(ra, 1);
		if (encrypt_group(ra, SIZE_MAX))
			return -1;
	}
	return 0;
}

/* The answer for the block q asks for, if it was made ahead: its length,
 * *body where it is (until the next pd_readahead_step), the block's
 * length in *plain; or 0. */
static long readahead_take(struct pd_store *st, struct pd_readahead *ra,
			   const struct pd_pccrr_msg *q, const uint8_t **body, uint32_t *plain)
{
	uint32_t b = q->ranges[0].index;
	unsigned k;

	if (q->crypto > PD_CRYPTO_AES_128)
		return 0;
	for (k = ra->pos; k < ra->count && ra->index[k % RA_BLOCKS] != b; k++)
		;
	if (k == ra->count && b == ra->fill && same_segment(ra, q) && can_read(ra) &&
	    read_ahead(st, ra, thread_scratch()))
		k = ra->count - 1;	/* the client came before it was read: now */
	if (k == ra->count || !same_segment(ra, q)) {
		if (ra->count > ra->pos && ra->need < RA_NEED_MAX)
			ra->need *= 2;	/* made ahead for nothing */
		readahead_reset(ra);	/* the client went elsewhere, or came too soon */
		return 0;
	}
	if (k >= ra->sealed && seal_through(st, ra, k)) {
		readahead_reset(ra);
		return 0;
	}
	ra->need = 1;
	*body = ra->slots + (size_t)(k % RA_BLOCKS) * RA_SLOT;
	*plain = ra->plain[k % RA_BLOCKS];
	ra->expect = ra->next[k % RA_BLOCKS];
	ra->pos = k + 1;
	return ra->len[k % RA_BLOCKS];
}

/* After answering block b of q with r (not made ahead): where to make
 * ahead from, for a client whose request was the one expected. */
static void readahead_follow(struct pd_readahead *ra, const struct pd_pccrr_msg *q,
			     const struct pd_pccrr_msg *r)
{
	int sequential = same_segment(ra, q) && ra->expect == q->ranges[0].index;

	readahead_reset(ra);
	memcpy(ra->id, q->segment_id, q->segment_id_len);
	ra->id_len = q->segment_id_len;
	ra->expect = r->next_block_index;
	ra->streak = !sequential ? 0 : ra->streak < RA_NEED_MAX ? ra->streak + 1 : ra->streak;
	if (ra->streak >= ra->need && q->crypto <= PD_CRYPTO_AES_128)
		ra->fill = r->next_block_index;
}

int pd_readahead_step(struct pd_store *st, struct pd_readahead *ra)
{
	struct scratch *s = thread_scratch();
	unsigned base = ra->pos / RA_BLOCKS * RA_BLOCKS;

	if (!s || (!ra->slots && !ra->fill))
		return 0;
	if (!ra->slots && !(ra->slots = malloc((size_t)RA_BLOCKS * RA_SLOT)))
		return -1;
	ra->pos -= base;	/* the positions stay small */
	ra->sealed -= base;
	ra->group -= base;
	ra->count -= base;
	ra->floor = ra->pos;	/* every answer taken is sent by now */
	start_group(ra, 0);
	if (ra->group != ra->sealed && encrypt_group(ra, RA_CHUNK))
		return -1;
	if (can_read(ra))
		read_ahead(st, ra, s);
	start_group(ra, 0);
	return ra->group != ra->sealed || can_read(ra);
}

struct pd_readahead *pd_readahead_new(void)
{
	struct pd_readahead *ra = calloc(1, sizeof(*ra));

	if (ra)
		ra->need = 1;
	return ra;
}

void pd_readahead_free(struct pd_readahead *ra)
{
	if (ra)
		free(ra->slots);
	free(ra);
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
		return unverified && pd_opaque_holds(unverified, ref->id, ref->len);
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

/* Block bytes answered: to a peer, or to a client of this hosted cache. */
static void count_served(struct pd_store *st, uint32_t plain)
{
	pd_store_count(st, pd_config_current()->hosted_cache ?
			   PD_COUNT_SERVED_AS_HOSTED_CACHE : PD_COUNT_SERVED_TO_PEERS, plain);
}

/* GETBLKS: the block, made ahead or now (into out); *body: where. */
static long answer_getblks(struct pd_store *st, const struct pd_pccrr_msg *q,
			   struct scratch *s, uint8_t *out, size_t cap,
			   struct pd_retrieval_batch *batch, struct pd_readahead *ra,
			   const uint8_t **body)
{
	unsigned njobs = batch ? batch->njobs : 0;
	uint32_t plain = 0;
	long n = ra ? readahead_take(st, ra, q, body, &plain) : 0;

	if (n) {
		count_served(st, plain);
		return n;
	}
	*body = out;
	answer_blk(st, q, q->ranges[0].index, &s->r, out, cap, s->iv, batch, &plain);
	n = pd_pccrr_encode_response(&s->r, out, cap);
	if (n < 0 && batch)
		batch->njobs = njobs;
	if (n > 0)
		count_served(st, plain);
	if (n > 0 && ra && batch && s->r.block_len)
		readahead_follow(ra, q, &s->r);
	return n;
}

long pd_retrieval_answer(struct pd_store *st, const uint8_t *req, size_t len,
			 int admitted, uint8_t *out, size_t cap,
			 struct pd_retrieval_batch *batch, struct pd_readahead *ra,
			 const uint8_t **body)
{
	struct scratch *s = thread_scratch();
	struct pd_pccrr_msg *q, *r;

	*body = out;
	if (!s)
		return -1;
	q = &s->q;
	r = &s->r;
	if (pd_pccrr_decode_request(req, len, q))
		return -1;
	if (q->type == PD_MSG_GETBLKS && admitted)
		return answer_getblks(st, q, s, out, cap, batch, ra, body);
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
		r->crypto = PD_CRYPTO_NONE;	/* not admitted: an empty BLK */
		break;
	case PD_MSG_GETSEGLIST:
		answer_seglist(st, q, r, admitted);
		break;
	default:
		return -1;
	}
	return pd_pccrr_encode_response(r, out, cap);
}
