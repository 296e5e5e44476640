/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bounds-checked cursor over an input buffer and a writer over an output
 * buffer, little- and big-endian. A read past the end sets the cursor's
 * error and returns zeroes, so a decoder checks once per structure.
 */
#ifndef PD_BYTES_H
#define PD_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pd_rd {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	bool overrun;
};

static inline struct pd_rd pd_rd_init(const uint8_t *buf, size_t len)
{
	return (struct pd_rd){ .buf = buf, .len = len };
}

static inline size_t pd_rd_left(const struct pd_rd *r)
{
	return r->len - r->pos;
}

/* Pointer to the next n bytes, or NULL (and overrun) if fewer remain. */
static inline const uint8_t *pd_rd_take(struct pd_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->overrun || n > pd_rd_left(r)) {
		r->overrun = true;
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

static inline uint64_t pd_rd_uint(struct pd_rd *r, unsigned n, bool big)
{
	const uint8_t *p = pd_rd_take(r, n);
	uint64_t v = 0;
	unsigned i;

	if (!p)
		return 0;
	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * (big ? n - 1 - i : i));
	return v;
}

static inline uint8_t pd_rd_u8(struct pd_rd *r) { return pd_rd_uint(r, 1, false); }
static inline uint16_t pd_rd_le16(struct pd_rd *r) { return pd_rd_uint(r, 2, false); }
static inline uint32_t pd_rd_le32(struct pd_rd *r) { return pd_rd_uint(r, 4, false); }
static inline uint64_t pd_rd_le64(struct pd_rd *r) { return pd_rd_uint(r, 8, false); }
static inline uint16_t pd_rd_be16(struct pd_rd *r) { return pd_rd_uint(r, 2, true); }
static inline uint32_t pd_rd_be32(struct pd_rd *r) { return pd_rd_uint(r, 4, true); }
static inline uint64_t pd_rd_be64(struct pd_rd *r) { return pd_rd_uint(r, 8, true); }

static inline bool pd_rd_copy(struct pd_rd *r, void *dst, size_t n)
{
	const uint8_t *p = pd_rd_take(r, n);

	if (p)
		memcpy(dst, p, n);
	return p != NULL;
}

struct pd_wr {
	uint8_t *buf;
	size_t len;
	size_t pos;
	bool overrun;
};

static inline struct pd_wr pd_wr_init(uint8_t *buf, size_t len)
{
	return (struct pd_wr){ .buf = buf, .len = len };
}

static inline uint8_t *pd_wr_take(struct pd_wr *w, size_t n)
{
	uint8_t *p;

	if (w->overrun || n > w->len - w->pos) {
		w->overrun = true;
		return NULL;
	}
	p = w->buf + w->pos;
	w->pos += n;
	return p;
}

static inline void pd_wr_uint(struct pd_wr *w, uint64_t v, unsigned n, bool big)
{
	uint8_t *p = pd_wr_take(w, n);
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < n; i++)
		p[i] = v >> (8 * (big ? n - 1 - i : i));
}

static inline void pd_wr_u8(struct pd_wr *w, uint8_t v) { pd_wr_uint(w, v, 1, false); }
static inline void pd_wr_le16(struct pd_wr *w, uint16_t v) { pd_wr_uint(w, v, 2, false); }
static inline void pd_wr_le32(struct pd_wr *w, uint32_t v) { pd_wr_uint(w, v, 4, false); }
static inline void pd_wr_le64(struct pd_wr *w, uint64_t v) { pd_wr_uint(w, v, 8, false); }
static inline void pd_wr_be16(struct pd_wr *w, uint16_t v) { pd_wr_uint(w, v, 2, true); }
static inline void pd_wr_be32(struct pd_wr *w, uint32_t v) { pd_wr_uint(w, v, 4, true); }
static inline void pd_wr_be64(struct pd_wr *w, uint64_t v) { pd_wr_uint(w, v, 8, true); }

static inline void pd_wr_bytes(struct pd_wr *w, const void *src, size_t n)
{
	uint8_t *p = pd_wr_take(w, n);

	/* src may already be where it goes: a block built in the output */
	if (p && n && p != src)
		memcpy(p, src, n);
}

#endif
