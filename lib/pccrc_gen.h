/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content-information generation: streaming (any length, bounded memory:
 * one batch of blocks for V1, one maximal segment for V2) and, for a
 * seekable file, multi-threaded.
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
	unsigned threads;	/* 0 = one per online CPU */
};

struct pd_gen;

struct pd_gen *pd_gen_new(const struct pd_gen_opts *opts);
int pd_gen_update(struct pd_gen *g, const void *data, size_t len);
/* Finish; *out is the content information of everything given. */
int pd_gen_final(struct pd_gen *g, struct pd_ci **out);
void pd_gen_free(struct pd_gen *g);

/* Progress callback for long runs: bytes done so far. */
typedef void (*pd_gen_progress_fn)(uint64_t done, uint64_t total, void *arg);

/*
 * Content information of a whole file: threaded for regular files, the
 * streaming path for anything else (pipes, stdin). Returns 0 or -errno /
 * -PD_CI_E_* (negated).
 */
int pd_gen_fd(int fd, const struct pd_gen_opts *opts,
	      pd_gen_progress_fn progress, void *arg, struct pd_ci **out);

#endif
