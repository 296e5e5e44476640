/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Content-defined segmentation for content information V2. MS-PCCRC leaves
 * the algorithm open; ours is documented in Documentation/content-information.md
 * and must never change: the same bytes always give the same segments.
 */
#ifndef PD_CHUNKER_H
#define PD_CHUNKER_H

#include <stddef.h>
#include <stdint.h>

#include "pd_chunk.h"	/* the algorithm and PD_CHUNK_MIN/AVG/MAX (common/) */

/*
 * Length of the first segment of buf[0..len): a cut point in
 * [PD_CHUNK_MIN, PD_CHUNK_MAX], or len itself when len <= PD_CHUNK_MIN or
 * no cut point lies within len and final is set. Returns 0 when more bytes
 * are needed to decide (not final and no cut found before len).
 */
size_t pd_chunk_next(const uint8_t *buf, size_t len, int final);

#endif
