/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The read engine: one thread per instance that serves BlockRead and
 * StreamRead from the store, waits for blocks to arrive, and asks peers
 * for what is missing.
 */
#ifndef PD_READ_ENGINE_H
#define PD_READ_ENGINE_H

#include <stdint.h>

#include "pccrc.h"
#include "peerdist/win32.h"

struct pd_engine;
struct pd_instance;
struct pd_content;

/* Starts inst's engine (inst->engine); status_news is called, on the
 * engine's thread, when the store tells of a status change. */
int pd_engine_start(struct pd_instance *inst,
		    void (*status_news)(struct pd_instance *inst));
/* Aborts every pending read of content c, after doing the reads put off
 * until a wait (their bytes are in memory). */
void pd_engine_abort(struct pd_engine *e, struct pd_content *c);
/* Stops the thread after aborting what waits; reads in flight land first. */
void pd_engine_stop(struct pd_engine *e);
void pd_engine_free(struct pd_engine *e);
DWORD pd_engine_read(struct pd_engine *e, struct pd_content *c, int stream,
		     DWORD cb, PBYTE buf, DWORD timeout, LPOVERLAPPED ov);
/*
 * n blocks of segment s of c came in by AddData (from the origin): once a
 * read of this engine missed (its fetcher runs), they may be offered to
 * the hosted cache.
 */
void pd_engine_added(struct pd_engine *e, const struct pd_content *c, uint32_t s,
		     uint32_t n);
/*
 * Where c's bytes come from, for the byte counters (counters.h): prepared
 * from its complete content information ci (0 or -ENOMEM); blocks b..b+n-1
 * of segment s marked as brought here by this handle (AddData), so that
 * reading them does not count as reading from the cache.
 */
int pd_engine_track(struct pd_content *c, const struct pd_ci *ci);
void pd_engine_brought(struct pd_content *c, uint32_t s, uint32_t b, uint32_t n);
/* Cancels reads of c matching ov (all when NULL); how many were found. */
int pd_engine_cancel(struct pd_engine *e, struct pd_content *c,
		     LPOVERLAPPED ov);

/* Segment and block of content offset off, if inside the content info. */
int pd_content_locate(const struct pd_content *c, uint64_t off, uint32_t *seg,
		      uint32_t *block);

#endif
