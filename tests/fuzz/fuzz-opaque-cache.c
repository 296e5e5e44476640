// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: a hosted cache's unverified segment file as peerdistd
 * reads it back (opaque_cache.c). The input is the file, named after the
 * segment id its header claims, so the parse goes past the name check;
 * whatever it holds, opening the directory and reading every block it
 * lists stays in bounds (ASan checks), and a file that does not parse is
 * dropped.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hex.h"
#include "log.h"
#include "opaque_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/pd-fuzz-opaque-XXXXXX";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[(128 << 10) + 16];
	static int made;
	uint8_t id[PD_OPAQUE_ID_SIZE] = { 0 }, iv[16];
	char path[sizeof(dir) + 2 * PD_OPAQUE_ID_SIZE + 2];
	struct pd_opaque_cache *oc;
	unsigned crypto, i;
	uint32_t plain;
	int fd;

	if (!made) {
		made = 1;
		if (!mkdtemp(dir))
			abort();
		pd_log_set_level(PD_LOG_ERROR);	/* each dropped file would log */
	}
	if (size >= 64)
		memcpy(id, data + 32, sizeof(id));
	snprintf(path, sizeof(path), "%s/", dir);
	pd_hex_encode(id, sizeof(id), path + strlen(path), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	if (!pd_opaque_open(dir, 1ull << 30, 1ull << 30, &oc)) {
		for (i = 0; i < 512; i++)
			pd_opaque_read(oc, id, sizeof(id), i, buf, sizeof(buf), &crypto, iv, &plain);
		pd_opaque_close(oc);
	}
	unlink(path);
	return 0;
}
