// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist verify: checks content against its content information, block
 * by block, and names the first block that does not match.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "digest.h"
#include "fileio.h"

static const char verify_help[] =
	"usage: peerdist verify CI FILE\n\n"
	"Checks that FILE (the content: offsets in CI are offsets in FILE) matches\n"
	"the content information CI, every block against its hash. Exits 0 when\n"
	"it does, 1 naming the first bad block otherwise.\n";


static int check_block(const struct pd_ci *ci, uint32_t s, uint32_t b,
		       int fd, uint8_t *buf, const char *file)
{
	const struct pd_ci_segment *seg = &ci->segments[s];
	uint64_t start = seg->offset + (uint64_t)b * seg->block_size;
	uint64_t end = start + seg->block_size;
	uint8_t h[PD_HASH_MAX];
	ssize_t n;

	if (end > seg->offset + seg->size)
		end = seg->offset + seg->size;
	n = pd_pread_full(fd, buf, end - start, start);
	if (n < 0)
		return fail(file, "%s", strerror(-n));
	if ((uint64_t)n < end - start)
		return fail(file, "too short: segment %llu block %u needs bytes %llu-%llu, "
			    "the file ends at %llu", (unsigned long long)(ci->first_index + s),
			    b, (unsigned long long)start, (unsigned long long)end,
			    (unsigned long long)(start + n));
	pd_digest(ci->hash_alg, buf, n, h);
	if (!pd_digest_equal(h, seg->block_hashes + (size_t)b * ci->hash_len,
			     ci->hash_len))
		return fail(file, "mismatch: segment %llu block %u (bytes %llu-%llu) "
			    "does not match its hash", (unsigned long long)(ci->first_index + s),
			    b, (unsigned long long)start, (unsigned long long)end);
	return 0;
}

/* Content information that runs to the end of the content also fixes its size. */
static int check_size(const struct pd_ci *ci, int fd, const char *file)
{
	struct pd_range r = pd_ci_range(ci);
	int to_end = ci->version == 1 ? !ci->read_in_last : !ci->range_length;
	struct stat st;

	if (!to_end || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size == r.end)
		return 0;
	return fail(file, "size mismatch: the content is %llu bytes, the file %llu",
		    (unsigned long long)r.end, (unsigned long long)st.st_size);
}

int cmd_verify(int argc, char **argv)
{
	struct pd_ci *ci;
	uint8_t *buf;
	uint32_t s, b;
	int fd, ret = 0;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(verify_help, stdout);
		return EXIT_OK;
	}
	if (argc != 3)
		return usage_error("verify", "expected CI and FILE");
	if (load_ci(argv[1], &ci))
		return EXIT_FAIL;
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	buf = malloc(PD_V2_MAX_SEGMENT > PD_BLOCK_SIZE ? PD_V2_MAX_SEGMENT : PD_BLOCK_SIZE);
	if (fd < 0)
		ret = fail(argv[2], "%s", strerror(errno));
	else if (!buf)
		ret = fail(argv[2], "out of memory");
	for (s = 0; !ret && s < ci->nsegments; s++)
		for (b = 0; !ret && b < ci->segments[s].nblocks; b++)
			ret = check_block(ci, s, b, fd, buf, argv[2]);
	if (!ret)
		ret = check_size(ci, fd, argv[2]);
	if (!ret)
		printf("%s: OK (%u segment%s)\n", argv[2], ci->nsegments,
		       ci->nsegments == 1 ? "" : "s");
	if (fd >= 0)
		close(fd);
	free(buf);
	pd_ci_free(ci);
	return ret;
}
