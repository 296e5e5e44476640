/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PeerDist API's internals: instances and the objects their handles
 * name. Lock order: instance lock, then content lock; the
 * handle table lock is innermost (handle.c) and never held across calls.
 */
#ifndef PD_API_H
#define PD_API_H

#include <pthread.h>
#include <stdint.h>

#include "peerdist.h"
#include "handle.h"
#include "pccrc.h"
#include "read_engine.h"
#include "store.h"
#include "win32_internal.h"

#define PD_DEFAULT_TIMEOUT_MS	5000

struct pd_engine;

/* An object an instance owns: closed with it at PeerDistShutdown. */
struct pd_child {
	struct pd_object obj;
	struct pd_instance *inst;	/* holds a reference */
	struct pd_child *next;		/* in inst->children, under inst->lock */
	HANDLE port;
	ULONG_PTR key;
};

struct pd_instance {
	struct pd_object obj;
	pthread_mutex_t lock;
	struct pd_store *store;
	struct pd_engine *engine;
	int shutting_down;		/* under lock */
	struct pd_child *children;	/* under lock */
	struct pd_publication *pubs;	/* published by this instance, under lock */
	LPOVERLAPPED status_ov;		/* registered notification, under lock */
	HANDLE status_port;
	ULONG_PTR status_key;
	PEERDIST_STATUS *status_out;	/* where its new status goes ... */
	PEERDIST_STATUS_INFO *status_info_out;	/* ... (one of the two) */
	PEERDIST_STATUS status_told;	/* the status it started from */
};

struct pd_publication {
	struct pd_publication *next;
	size_t len;
	uint8_t ident[];
};

/* The client side's open content. */
struct pd_content {
	struct pd_child child;
	pthread_mutex_t lock;
	PEERDIST_CONTENT_TAG tag;
	uint8_t *ci_bytes;		/* content information being added */
	size_t ci_len;
	struct pd_ci *ci;		/* once complete */
	uint8_t (*ids)[PD_HASH_MAX];	/* segment ids, once complete */
	struct pd_range range;
	uint64_t stream_pos;		/* next StreamRead offset (engine) */
	int stream_busy;		/* a StreamRead is reading (engine) */
	unsigned stream_walk;		/* engine pass that saw a waiting one */
	int in_flight;			/* reads in io_uring (engine lock) */
	int content_fd;			/* the store's content fd, or -1 */
	struct pd_partial *partials;	/* blocks AddData has part of */
	unsigned npartials;
	/*
	 * Per segment, the index of its first block among the content's;
	 * and a bit per block that this handle found missing or added
	 * (atomic): bytes read of such a block are not counted as read
	 * from the cache, the fetch or AddData counted them.
	 */
	uint32_t *first_block;
	uint8_t *brought;
};

/* Looks up an instance handle (with a reference) or NULL. */
struct pd_instance *pd_instance_get(PEERDIST_INSTANCE_HANDLE h);
/* A child handle of inst of the given type (with a reference) or NULL. */
struct pd_child *pd_child_get(struct pd_instance *inst, HANDLE h,
			      enum pd_handle_type type);
/* The instance and one of its children by handles, both with a reference,
 * or NULL (nothing held); pd_child_done() drops both. */
struct pd_child *pd_child_lookup(PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE h,
				 enum pd_handle_type type, struct pd_instance **inst);
void pd_child_done(struct pd_instance *inst, struct pd_child *c);
/* Registers a new child; returns its handle, or NULL after destroying c
 * (out of memory, or the instance is shutting down). */
HANDLE pd_child_add(struct pd_instance *inst, struct pd_child *c,
		    enum pd_handle_type type, HANDLE port, ULONG_PTR key,
		    void (*destroy)(struct pd_object *));
/* Closes a child handle of inst; false if it is not one. */
int pd_child_close(struct pd_instance *inst, HANDLE h, enum pd_handle_type type);
/* The Close* functions: closes child h of instance hPeerDist; Win32 status. */
DWORD pd_child_close_handle(PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE h,
			    enum pd_handle_type type);

static inline void pd_child_release(struct pd_child *c)
{
	pd_handle_put(&c->obj);
}

/* Completes an operation that finished within the call and returns
 * ERROR_IO_PENDING, as the asynchronous API promises (api_complete.c). */
DWORD pd_complete_now(LPOVERLAPPED ov, DWORD status, DWORD bytes,
		      HANDLE port, ULONG_PTR key);

/* 64-bit offset carried in an OVERLAPPED. */
static inline uint64_t pd_ov_offset(const OVERLAPPED *ov)
{
	return (uint64_t)ov->OffsetHigh << 32 | ov->Offset;
}

static inline void pd_ov_set_offset(LPOVERLAPPED ov, uint64_t off)
{
	ov->Offset = (DWORD)off;
	ov->OffsetHigh = (DWORD)(off >> 32);
}

/* Maps a -errno from the store to a Win32 error. */
DWORD pd_errno_to_win32(int err);

#endif
