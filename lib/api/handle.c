// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The handle table. A HANDLE encodes (generation << 20 | slot) + 1, shifted
 * left by two (64-bit only: the generation has 32 bits, so a stale handle
 * does not come back to life) so that its low bits are free: Windows programs set bit 0 of
 * OVERLAPPED.hEvent to keep a completion off the port, and that must still
 * name the same event. One lock guards the table and every refcount; the
 * operations under it are a few loads and stores.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "handle.h"

#define SLOT_BITS	20
#define MAX_SLOTS	(1u << SLOT_BITS)

struct slot {
	struct pd_object *obj;
	uint32_t generation;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static uint32_t nslots, capacity;
static uint32_t free_hint;

static HANDLE encode(uint32_t index, uint32_t generation)
{
	uintptr_t v = ((uintptr_t)generation << SLOT_BITS | index) + 1;

	return (HANDLE)(v << 2);
}

/* Lock contract: table_lock held. Returns the slot index or UINT32_MAX. */
static uint32_t decode(HANDLE h)
{
	uintptr_t v = (uintptr_t)h >> 2;
	uint32_t index;

	if (!v || (uintptr_t)h == (uintptr_t)INVALID_HANDLE_VALUE)
		return UINT32_MAX;
	v--;
	index = v & (MAX_SLOTS - 1);
	if (index >= nslots || !slots[index].obj ||
	    slots[index].generation != (v >> SLOT_BITS))
		return UINT32_MAX;
	return index;
}

/* Lock contract: table_lock held. */
static int grow(void)
{
	uint32_t cap = capacity ? capacity * 2 : 64;
	struct slot *s;

	if (cap > MAX_SLOTS)
		return -EMFILE;
	s = realloc(slots, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	slots = s;
	capacity = cap;
	return 0;
}

HANDLE pd_handle_new(struct pd_object *obj, enum pd_handle_type type,
		     void (*destroy)(struct pd_object *obj))
{
	uint32_t i;
	HANDLE h = NULL;

	obj->type = type;
	obj->destroy = destroy;
	obj->refs = 1;
	pthread_mutex_lock(&table_lock);
	for (i = free_hint; i < nslots && slots[i].obj; i++)
		;
	if (i == nslots) {
		if (nslots == capacity && grow())
			goto unlock;
		slots[nslots].generation = 0;
		nslots++;
	}
	slots[i].obj = obj;
	slots[i].generation++;
	free_hint = i + 1;
	h = obj->handle = encode(i, slots[i].generation);
unlock:
	pthread_mutex_unlock(&table_lock);
	return h;
}

/* Lock contract: table_lock held. The live object h names, of that type. */
static struct pd_object *lookup(HANDLE h, enum pd_handle_type type, uint32_t *slot)
{
	uint32_t i = decode(h);

	if (i == UINT32_MAX || slots[i].obj->type != type)
		return NULL;
	*slot = i;
	return slots[i].obj;
}

struct pd_object *pd_handle_get(HANDLE h, enum pd_handle_type type)
{
	struct pd_object *obj;
	uint32_t i;

	pthread_mutex_lock(&table_lock);
	obj = lookup(h, type, &i);
	if (obj)
		obj->refs++;
	pthread_mutex_unlock(&table_lock);
	return obj;
}

void pd_handle_ref(struct pd_object *obj)
{
	pthread_mutex_lock(&table_lock);
	obj->refs++;
	pthread_mutex_unlock(&table_lock);
}

void pd_handle_put(struct pd_object *obj)
{
	int last;

	if (!obj)
		return;
	pthread_mutex_lock(&table_lock);
	last = --obj->refs == 0;
	pthread_mutex_unlock(&table_lock);
	if (last && obj->destroy)
		obj->destroy(obj);
}

int pd_handle_close(HANDLE h, enum pd_handle_type type)
{
	struct pd_object *obj;
	uint32_t i;

	pthread_mutex_lock(&table_lock);
	obj = lookup(h, type, &i);
	if (obj) {
		slots[i].obj = NULL;
		if (i < free_hint)
			free_hint = i;
	}
	pthread_mutex_unlock(&table_lock);
	if (!obj)
		return 0;
	pd_handle_put(obj);
	return 1;
}

enum pd_handle_type pd_handle_type_of(HANDLE h)
{
	enum pd_handle_type t = 0;
	uint32_t i;

	pthread_mutex_lock(&table_lock);
	i = decode(h);
	if (i != UINT32_MAX)
		t = slots[i].obj->type;
	pthread_mutex_unlock(&table_lock);
	return t;
}
