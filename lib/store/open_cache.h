/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A few recently used segments kept open, found by segment id, the least
 * recently used closed to make room: the table both store backends keep
 * their open segments in. What a slot holds and how it is opened is the
 * backend's (its slot struct begins with a struct pd_open_slot); closing
 * is its callback. Not locked: the backend's lock guards the table.
 */
#ifndef PD_OPEN_CACHE_H
#define PD_OPEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "pd_hash.h"

struct pd_open_slot {
	int used;
	uint64_t tick;			/* last use: the oldest goes first */
	unsigned idlen;
	uint8_t id[PD_HASH_MAX];
};

struct pd_open_cache {
	char *slots;			/* n slots, stride bytes apart */
	size_t stride;
	unsigned n;
	uint64_t tick;
	void (*close)(struct pd_open_slot *slot);	/* what the backend opened */
};

/* slots: an array of the backend's slot structs, all unused. */
void pd_open_cache_init(struct pd_open_cache *c, void *slots, size_t stride,
			unsigned n, void (*close)(struct pd_open_slot *slot));
#define PD_OPEN_CACHE_INIT(c, array, close) \
	pd_open_cache_init(c, array, sizeof((array)[0]), \
			   sizeof(array) / sizeof((array)[0]), close)

/* The open slot of id, marked as just used; NULL if none. */
struct pd_open_slot *pd_open_cache_find(struct pd_open_cache *c,
					const uint8_t *id, unsigned idlen);
/* An unused slot for the backend to open into: the least recently used
 * one is closed when every slot is open. */
struct pd_open_slot *pd_open_cache_take(struct pd_open_cache *c);
/* Marks slot (the backend has opened it) as open for id, just used. */
void pd_open_cache_insert(struct pd_open_cache *c, struct pd_open_slot *slot,
			  const uint8_t *id, unsigned idlen);
/* Closes slot if open. */
void pd_open_cache_close(struct pd_open_cache *c, struct pd_open_slot *slot);
/* Closes id's slot, if open (the segment is going away). */
void pd_open_cache_forget(struct pd_open_cache *c, const uint8_t *id,
			  unsigned idlen);
void pd_open_cache_close_all(struct pd_open_cache *c);

#endif
