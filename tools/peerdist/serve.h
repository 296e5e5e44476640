/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peerdist serve: the content server (MS-PCCRTP). What a request is
 * answered from is an entity: a descriptor over its bytes (a file served
 * from the directory, or the upstream's body spooled to an unnamed file)
 * with the validators and headers the answer repeats.
 */
#ifndef PD_SERVE_H
#define PD_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "served.h"

#define SERVE_PASS_MAX	12

struct serve_header {
	char *name;
	char *value;
};

struct entity {
	int fd;				/* owned; -1 for none (HEAD upstream) */
	uint64_t length;		/* bytes at fd */
	int status;			/* 200, or the upstream's other status */
	bool strong_etag, last_modified;
	bool upstream_range;		/* the upstream already applied the Range (206) */
	char key[PD_SERVED_KEY_MAX];	/* its content information's key; "" for none */
	unsigned npass;
	struct serve_header pass[SERVE_PASS_MAX];	/* repeated as they are */
};

void entity_free(struct entity *e);
/* Adds a header to repeat; false when full or out of memory. */
bool entity_pass(struct entity *e, const char *name, const char *value);

/*
 * Fetches url + path (with query) from the upstream into an unnamed 0600
 * file: identity only, with Range forwarded when range is not NULL, HEAD
 * when head is set. 0, or -errno / -EPROTO with a message on stderr.
 */
int upstream_fetch(const char *base, const char *path, const char *range,
		   bool head, struct entity *e);

#endif
