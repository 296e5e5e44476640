// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist verify: checks content against its content information, block
 * by block, and names the first block that does not match.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

static int check_all(const struct pd_ci *ci, int fd, uint8_t *buf, const char *file)
{
	struct pd_range r = pd_ci_range(ci);
	int progress = want_progress(r.end - r.start), ret = 0;
	uint32_t s, b;

	for (s = 0; !ret && s < ci->nsegments; s++) {
		for (b = 0; !ret && b < ci->segments[s].nblocks; b++)
			ret = check_block(ci, s, b, fd, buf, file);
		if (progress && !ret)
			show_progress(ci->segments[s].offset + ci->segments[s].size - r.start,
				      r.end - r.start, (void *)file);
	}
	return ret ? ret : check_size(ci, fd, file);
}

int cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct pd_ci *ci;
	uint8_t *buf;
	int c, fd, ret = 0;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c != 'h')
			return option_error("verify", argv, c);
		fputs(verify_help, stdout);
		return EXIT_OK;
	}
	if (optind != argc - 2)
		return usage_error("verify", "expected CI and FILE");
	if (load_ci(argv[optind], &ci))
		return EXIT_FAIL;
	fd = open(argv[optind + 1], O_RDONLY | O_CLOEXEC);
	buf = malloc(PD_V2_MAX_SEGMENT > PD_BLOCK_SIZE ? PD_V2_MAX_SEGMENT : PD_BLOCK_SIZE);
	if (fd < 0)
		ret = fail(argv[optind + 1], "%s", strerror(errno));
	else if (!buf)
		ret = fail(argv[optind + 1], "out of memory");
	else
		ret = check_all(ci, fd, buf, argv[optind + 1]);
	if (!ret)
		printf("%s: OK (%u segment%s)\n", argv[optind + 1], ci->nsegments,
		       ci->nsegments == 1 ? "" : "s");
	if (fd >= 0)
		close(fd);
	free(buf);
	pd_ci_free(ci);
	return ret;
}
