// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The open-segment table of the store backends (open_cache.h): a linear
 * search over a handful of slots, cheaper than any index at this size.
 */
#include <string.h>

#include "open_cache.h"

static struct pd_open_slot *slot_at(struct pd_open_cache *c, unsigned i)
{
	return (struct pd_open_slot *)(c->slots + (size_t)i * c->stride);
}

void pd_open_cache_init(struct pd_open_cache *c, void *slots, size_t stride,
			unsigned n, void (*close)(struct pd_open_slot *slot))
{
	*c = (struct pd_open_cache){ .slots = slots, .stride = stride, .n = n,
				     .close = close };
}

struct pd_open_slot *pd_open_cache_find(struct pd_open_cache *c,
					const uint8_t *id, unsigned idlen)
{
	struct pd_open_slot *s;
	unsigned i;

	for (i = 0; i < c->n; i++) {
		s = slot_at(c, i);
		if (s->used && s->idlen == idlen && !memcmp(s->id, id, idlen)) {
			s->tick = ++c->tick;
			return s;
		}
	}
	return NULL;
}

struct pd_open_slot *pd_open_cache_take(struct pd_open_cache *c)
{
	struct pd_open_slot *s, *oldest = slot_at(c, 0);
	unsigned i;

	for (i = 0; i < c->n; i++) {
		s = slot_at(c, i);
		if (!s->used)
			return s;
		if (s->tick < oldest->tick)
			oldest = s;
	}
	pd_open_cache_close(c, oldest);
	return oldest;
}

void pd_open_cache_insert(struct pd_open_cache *c, struct pd_open_slot *slot,
			  const uint8_t *id, unsigned idlen)
{
	slot->used = 1;
	slot->tick = ++c->tick;
	slot->idlen = idlen;
	memcpy(slot->id, id, idlen);
}

void pd_open_cache_close(struct pd_open_cache *c, struct pd_open_slot *slot)
{
	if (!slot->used)
		return;
	c->close(slot);
	slot->used = 0;
}

void pd_open_cache_forget(struct pd_open_cache *c, const uint8_t *id,
			  unsigned idlen)
{
	struct pd_open_slot *s = pd_open_cache_find(c, id, idlen);

	if (s)
		pd_open_cache_close(c, s);
}

void pd_open_cache_close_all(struct pd_open_cache *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		pd_open_cache_close(c, slot_at(c, i));
}
