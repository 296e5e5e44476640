// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content-information generation. Both versions reduce to a list of
 * segments and, per block, its hash: V1's layout follows from the content
 * length alone (32 MiB segments of 64 KiB blocks), V2's from the chunker.
 * The streaming path buffers at most one batch of V1 blocks or one window
 * of V2 data. Pure computation over buffers: reading files, on several
 * threads, is host/gen_file.c's, over the pieces pccrc_gen.h exposes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chunker.h"
#include "digest.h"
#include "pccrc_gen.h"
#include "sha256_mb.h"
#include "sha512_mb.h"

#define BATCH_BLOCKS	PD_GEN_BATCH_BLOCKS
#define BATCH_BYTES	PD_GEN_BATCH_BYTES
#define V2_STREAM_BYTES	(16 * PD_CHUNK_MAX)	/* V2 bytes the stream path buffers */

struct pd_gen {
	struct pd_gen_opts opts;
	unsigned hash_len;
	struct pd_gen_out out;
	uint8_t *buf;
	size_t buf_len;
	size_t buf_cap;
};

int pd_gen_out_reserve(struct pd_gen_out *o, size_t more, unsigned h, int v2)
{
	size_t cap = o->cap ? o->cap : 64;
	uint8_t *hashes;
	uint32_t *sizes;

	if (o->nblocks + more <= o->cap)
		return 0;
	while (cap < o->nblocks + more)
		cap *= 2;
	hashes = realloc(o->hashes, cap * h);
	if (!hashes)
		return -ENOMEM;
	o->hashes = hashes;
	if (v2) {
		sizes = realloc(o->sizes, cap * sizeof(*sizes));
		if (!sizes)
			return -ENOMEM;
		o->sizes = sizes;
	}
	o->cap = cap;
	return 0;
}

/* Hashes n whole V1 blocks at data into out. */
static void hash_v1_blocks(unsigned alg, const uint8_t *data, size_t n,
			   uint8_t *out)
{
	const uint8_t *msgs[BATCH_BLOCKS];
	size_t i, h = pd_digest_len(alg);

	if (alg != PD_HASH_SHA256) {
		for (i = 0; i < n; i++)
			pd_digest(alg, data + i * PD_BLOCK_SIZE, PD_BLOCK_SIZE,
				  out + i * h);
		return;
	}
	while (n) {
		size_t k = n < BATCH_BLOCKS ? n : BATCH_BLOCKS;

		for (i = 0; i < k; i++)
			msgs[i] = data + i * PD_BLOCK_SIZE;
		pd_sha256_many(msgs, k, PD_BLOCK_SIZE, (uint8_t (*)[32])out);
		data += k * PD_BLOCK_SIZE;
		out += k * 32;
		n -= k;
	}
}

void pd_gen_hash_v1_span(unsigned alg, const uint8_t *data, size_t len,
			 uint8_t *out)
{
	size_t full = len / PD_BLOCK_SIZE, h = pd_digest_len(alg);

	hash_v1_blocks(alg, data, full, out);
	if (len % PD_BLOCK_SIZE)
		pd_digest(alg, data + full * PD_BLOCK_SIZE, len % PD_BLOCK_SIZE,
			  out + full * h);
}

static int fill_segment(const struct pd_gen_opts *opts, struct pd_ci_segment *seg)
{
	unsigned alg = opts->version == 1 ? opts->hash_alg : PD_HASH_V2_SHA512_TRUNC;
	unsigned h = pd_digest_len(alg);

	if (opts->version == 1 &&
	    pd_digest(alg, seg->block_hashes, (size_t)seg->nblocks * h, seg->hod))
		return -EINVAL;
	if (opts->version == 2)
		memcpy(seg->hod, seg->block_hashes, h);
	return pd_key_kp(alg, opts->ks, seg->hod, seg->kp) ? -EINVAL : 0;
}

struct pd_ci *pd_gen_ci_alloc(const struct pd_gen_opts *opts, const struct pd_gen_out *o)
{
	unsigned alg = opts->version == 1 ? opts->hash_alg : PD_HASH_V2_SHA512_TRUNC;
	uint32_t nseg, i, *nblocks = NULL;
	struct pd_ci *ci;

	if (opts->version == 1) {
		nseg = (o->length + PD_SEGMENT_SIZE - 1) / PD_SEGMENT_SIZE;
		nblocks = malloc((nseg ? nseg : 1) * sizeof(*nblocks));
		if (!nblocks)
			return NULL;
		for (i = 0; i < nseg; i++) {
			uint64_t left = o->length - (uint64_t)i * PD_SEGMENT_SIZE;
			uint64_t size = left < PD_SEGMENT_SIZE ? left : PD_SEGMENT_SIZE;

			nblocks[i] = (size + PD_BLOCK_SIZE - 1) / PD_BLOCK_SIZE;
		}
	} else {
		nseg = o->nblocks;
	}
	ci = pd_ci_alloc(opts->version, alg, nseg, nblocks);
	free(nblocks);
	return ci;
}

int pd_gen_ci_fill(const struct pd_gen_opts *opts, const struct pd_gen_out *o,
		   struct pd_ci *ci)
{
	const uint8_t *hash = o->hashes;
	uint64_t offset = 0;
	uint32_t i;
	int err = 0;

	for (i = 0; i < ci->nsegments && !err; i++) {
		struct pd_ci_segment *seg = &ci->segments[i];

		seg->offset = offset;
		if (opts->version == 1) {
			uint64_t left = o->length - offset;

			seg->size = left < PD_SEGMENT_SIZE ? left : PD_SEGMENT_SIZE;
			seg->block_size = PD_BLOCK_SIZE;
		} else {
			seg->size = o->sizes[i];
			seg->block_size = seg->size;
		}
		if (seg->block_hashes != hash)
			memcpy(seg->block_hashes, hash, (size_t)seg->nblocks * ci->hash_len);
		hash += (size_t)seg->nblocks * ci->hash_len;
		offset += seg->size;
		err = fill_segment(opts, seg);
	}
	return err;
}

int pd_gen_build_ci(const struct pd_gen_opts *opts, const struct pd_gen_out *o,
		    struct pd_ci **out)
{
	struct pd_ci *ci = pd_gen_ci_alloc(opts, o);
	int err;

	if (!ci)
		return -ENOMEM;
	err = pd_gen_ci_fill(opts, o, ci);
	if (err) {
		pd_ci_free(ci);
		return err;
	}
	*out = ci;
	return 0;
}

int pd_gen_opts_valid(const struct pd_gen_opts *opts)
{
	if (opts->version == 1)
		return pd_hash_len(1, opts->hash_alg) != 0;
	return opts->version == 2;
}

struct pd_gen *pd_gen_new(const struct pd_gen_opts *opts)
{
	struct pd_gen *g;

	if (!opts || !pd_gen_opts_valid(opts))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->opts = *opts;
	g->hash_len = opts->version == 1 ? pd_digest_len(opts->hash_alg) : 32;
	g->buf_cap = opts->version == 1 ? BATCH_BYTES : V2_STREAM_BYTES;
	g->buf = malloc(g->buf_cap);
	if (!g->buf) {
		free(g);
		return NULL;
	}
	return g;
}

void pd_gen_free(struct pd_gen *g)
{
	if (!g)
		return;
	free(g->out.hashes);
	free(g->out.sizes);
	free(g->buf);
	free(g);
}

/* Hashes the buffered V1 blocks (all of it when final). */
static int flush_v1(struct pd_gen *g, int final)
{
	size_t n = final ? (g->buf_len + PD_BLOCK_SIZE - 1) / PD_BLOCK_SIZE :
			   g->buf_len / PD_BLOCK_SIZE;
	int err = pd_gen_out_reserve(&g->out, n, g->hash_len, 0);

	if (err)
		return err;
	pd_gen_hash_v1_span(g->opts.hash_alg, g->buf, final ? g->buf_len :
		     n * PD_BLOCK_SIZE, g->out.hashes + g->out.nblocks * g->hash_len);
	g->out.nblocks += n;
	g->buf_len = 0;
	return 0;
}

void pd_gen_hash_v2_cut(const uint8_t *buf, const size_t *ends, size_t n,
			uint8_t *out, struct pd_chunk_cursor *cut)
{
	const uint8_t *msgs[PD_GEN_V2_BATCH];
	size_t lens[PD_GEN_V2_BATCH], i, k;

	for (i = 0; i < n; i += k) {
		for (k = 0; k < PD_GEN_V2_BATCH && i + k < n; k++) {
			msgs[k] = buf + ends[i + k];
			lens[k] = ends[i + k + 1] - ends[i + k];
		}
		pd_sha512_many_cut(msgs, lens, k, out + i * 32, 32, cut);
	}
}

void pd_gen_hash_v2_segments(const uint8_t *buf, const size_t *ends, size_t n,
			     uint8_t *out)
{
	pd_gen_hash_v2_cut(buf, ends, n, out, NULL);
}

/* Cuts and hashes V2 segments from the buffer while a cut is decidable. */
static int flush_v2(struct pd_gen *g, int final)
{
	size_t ends[V2_STREAM_BYTES / PD_CHUNK_MIN + 2], n = 0, i;
	int err;

	ends[0] = 0;
	while (g->buf_len - ends[n] >= (final ? 1 : PD_CHUNK_MAX)) {
		ends[n + 1] = ends[n] + pd_chunk_next(g->buf + ends[n],
						      g->buf_len - ends[n], final);
		n++;
	}
	err = pd_gen_out_reserve(&g->out, n, 32, 1);
	if (err)
		return err;
	pd_gen_hash_v2_segments(g->buf, ends, n, g->out.hashes + g->out.nblocks * 32);
	for (i = 0; i < n; i++)
		g->out.sizes[g->out.nblocks++] = ends[i + 1] - ends[i];
	memmove(g->buf, g->buf + ends[n], g->buf_len - ends[n]);
	g->buf_len -= ends[n];
	return 0;
}

static int flush(struct pd_gen *g, int final)
{
	return g->opts.version == 1 ? flush_v1(g, final) : flush_v2(g, final);
}

int pd_gen_update(struct pd_gen *g, const void *data, size_t len)
{
	const uint8_t *p = data;
	int err;

	while (len) {
		size_t n = g->buf_cap - g->buf_len;

		if (n > len)
			n = len;
		memcpy(g->buf + g->buf_len, p, n);
		g->buf_len += n;
		g->out.length += n;
		p += n;
		len -= n;
		if (g->buf_len == g->buf_cap) {
			err = flush(g, 0);
			if (err)
				return err;
		}
	}
	return 0;
}

int pd_gen_final(struct pd_gen *g, struct pd_ci **out)
{
	int err = flush(g, 1);

	return err ? err : pd_gen_build_ci(&g->opts, &g->out, out);
}
