// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Huge-page-backed buffers. The mapping is made a huge page larger than
 * asked and trimmed to an aligned span, since the kernel backs with a huge
 * page only what covers an aligned 2 MiB; MADV_HUGEPAGE asks for them
 * where the system's policy is "madvise" (Debian's default). Where none
 * are given, the buffer is plain pages and works the same.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "bigbuf.h"

#define HUGE_PAGE	((size_t)2 << 20)

static size_t span(size_t len)
{
	return (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

void *pd_bigbuf_alloc(size_t len)
{
	size_t want = span(len ? len : 1), head;
	uint8_t *map = mmap(NULL, want + HUGE_PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf;

	if (map == MAP_FAILED)
		return NULL;
	buf = (uint8_t *)(((uintptr_t)map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	head = buf - map;
	if (head)
		munmap(map, head);
	munmap(buf + want, HUGE_PAGE - head);
	madvise(buf, want, MADV_HUGEPAGE);	/* a hint: refused, plain pages */
	return buf;
}

void pd_bigbuf_free(void *buf, size_t len)
{
	if (buf)
		munmap(buf, span(len ? len : 1));
}
