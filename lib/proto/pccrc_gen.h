/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content-information generation, streaming: any length, bounded memory
 * (one batch of blocks for V1, 16 maximal segments for V2). A file hashed
 * on several threads is host/gen_file.h's.
 */
#ifndef PD_PCCRC_GEN_H
#define PD_PCCRC_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "pccrc.h"

struct pd_gen_opts {
	unsigned version;	/* 1 or 2 */
	unsigned hash_alg;	/* V1: PD_HASH_SHA256/384/512; V2: ignored */
	uint8_t ks[PD_KS_LEN];	/* server secret for this version (pd_key_ks) */
	unsigned threads;	/* 0 = one per CPU the process may use */
};

struct pd_gen;

struct pd_gen *pd_gen_new(const struct pd_gen_opts *opts);
int pd_gen_update(struct pd_gen *g, const void *data, size_t len);
/* Finish; *out is the content information of everything given. */
int pd_gen_final(struct pd_gen *g, struct pd_ci **out);
void pd_gen_free(struct pd_gen *g);

/*
 * The pieces generation is made of, for the threaded file generator
 * (host/gen_file.c): what it accumulates, per block a hash and per V2
 * segment a size, and the content information built from that.
 */
#define PD_GEN_BATCH_BLOCKS	48	/* a multiple of 16 and 3 (sha256_mb lanes) */
#define PD_GEN_BATCH_BYTES	(PD_GEN_BATCH_BLOCKS * PD_BLOCK_SIZE)

struct pd_gen_out {
	uint64_t length;
	size_t nblocks;
	size_t cap;
	uint8_t *hashes;
	uint32_t *sizes;	/* V2 only */
};

int pd_gen_opts_valid(const struct pd_gen_opts *opts);
/* Room for more blocks (hash length h; v2: segment sizes too). */
int pd_gen_out_reserve(struct pd_gen_out *o, size_t more, unsigned h, int v2);
/* Hashes V1 content bytes data[0..len) (whole blocks but the last). */
void pd_gen_hash_v1_span(unsigned alg, const uint8_t *data, size_t len,
			 uint8_t *out);
#define PD_GEN_V2_BATCH		16	/* V2 segments hashed together */

/* Hashes the V2 segments of buf that end at ends[1..n] (ends[0]: where the
 * first starts) into out, 32 bytes each, PD_GEN_V2_BATCH at a time. */
void pd_gen_hash_v2_segments(const uint8_t *buf, const size_t *ends, size_t n,
			     uint8_t *out);

struct pd_chunk_cursor;
/* The same, moving the cursor (chunker.h) on meanwhile, as far as the
 * hashing lasts: on a core, the next window's chunking overlaps this
 * one's hashing. The caller finishes the cursor. */
void pd_gen_hash_v2_cut(const uint8_t *buf, const size_t *ends, size_t n,
			uint8_t *out, struct pd_chunk_cursor *cut);

/* The content information of o's length (V1) or o's segments (V2), all
 * but its hashes and keys: V1's block hashes are contiguous from
 * segments[0].block_hashes, where a generator may write them in place. */
struct pd_ci *pd_gen_ci_alloc(const struct pd_gen_opts *opts, const struct pd_gen_out *o);
/* Fills ci from pd_gen_ci_alloc(opts, o) with o's hashes (copied unless
 * they are ci's own), its segments' HoDs and keys. */
int pd_gen_ci_fill(const struct pd_gen_opts *opts, const struct pd_gen_out *o,
		   struct pd_ci *ci);
/* Both: the content-information object from the accumulated hashes. */
int pd_gen_build_ci(const struct pd_gen_opts *opts, const struct pd_gen_out *o,
		    struct pd_ci **out);

#endif
