/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content information of a whole file, hashed on several threads for a
 * regular file (the streaming generator for anything else).
 */
#ifndef PD_GEN_FILE_H
#define PD_GEN_FILE_H

#include <stdint.h>

#include "pccrc_gen.h"

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
