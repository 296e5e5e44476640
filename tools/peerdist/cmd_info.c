// SPDX-License-Identifier: GPL-2.0-or-later
/* peerdist info: what content information describes, as text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "hex.h"
#include "keys.h"

static const char info_help[] =
	"usage: peerdist info [--json] [--show-secrets] CI\n\n"
	"Shows the version, hash algorithm, range and every segment (offset, size,\n"
	"HoD, segment id HoHoDk) and block (range, hash) of content information.\n\n"
	"  --json           machine-readable output (fields in peerdist-info(1))\n"
	"  --show-secrets   also show each segment secret Kp\n"
	"  -h, --help       this text\n";

struct info_args {
	int json;
	int show_secrets;
};

static const char *alg_name(unsigned alg)
{
	switch (alg) {
	case PD_HASH_SHA256:
		return "SHA-256";
	case PD_HASH_SHA384:
		return "SHA-384";
	case PD_HASH_SHA512:
		return "SHA-512";
	case PD_HASH_V2_SHA512_TRUNC:
		return "SHA-512/trunc256";
	}
	return "unknown";
}

/* One field's hex text, in a buffer that lasts until the next call. */
static const char *hex(const uint8_t *p, size_t len, int upper)
{
	static char buf[2 * PD_HASH_MAX + 1];

	pd_hex_encode(p, len, buf, upper);
	return buf;
}

static void print_text(const struct pd_ci *ci, const struct info_args *a)
{
	struct pd_range r = pd_ci_range(ci);
	uint8_t id[PD_HASH_MAX];
	uint32_t s, b;

	printf("version:    %u.0\nhash:       %s (0x%X)\n", ci->version,
	       alg_name(ci->hash_alg), ci->hash_alg);
	printf("range:      %llu-%llu (%llu bytes)\nsegments:   %u\n",
	       (unsigned long long)r.start, (unsigned long long)r.end,
	       (unsigned long long)(r.end - r.start), ci->nsegments);
	for (s = 0; s < ci->nsegments; s++) {
		const struct pd_ci_segment *seg = &ci->segments[s];

		pd_key_hohodk(ci->hash_alg, seg->kp, seg->hod, id);
		printf("segment %llu: offset %llu, size %u, %u block%s\n",
		       (unsigned long long)(ci->first_index + s),
		       (unsigned long long)seg->offset, seg->size, seg->nblocks,
		       seg->nblocks == 1 ? "" : "s");
		printf("  HoD    %s\n", hex(seg->hod, ci->hash_len, 0));
		printf("  HoHoDk %s\n", hex(id, ci->hash_len, 1));
		if (a->show_secrets)
			printf("  Kp     %s\n", hex(seg->kp, ci->hash_len, 0));
		for (b = 0; b < seg->nblocks; b++) {
			struct pd_range br = pd_ci_block_range(ci, s, b);

			printf("  block %u: %llu-%llu %s\n", b,
			       (unsigned long long)br.start,
			       (unsigned long long)br.end,
			       hex(seg->block_hashes + (size_t)b * ci->hash_len,
				   ci->hash_len, 0));
		}
	}
}

static void print_json_segment(const struct pd_ci *ci, uint32_t s,
			       const struct info_args *a)
{
	const struct pd_ci_segment *seg = &ci->segments[s];
	uint8_t id[PD_HASH_MAX];
	uint32_t b;

	pd_key_hohodk(ci->hash_alg, seg->kp, seg->hod, id);
	printf("%s\n    {\"index\": %llu, \"offset\": %llu, \"size\": %u, "
	       "\"block_size\": %u,\n", s ? "," : "",
	       (unsigned long long)(ci->first_index + s),
	       (unsigned long long)seg->offset, seg->size, seg->block_size);
	printf("     \"hod\": \"%s\",\n", hex(seg->hod, ci->hash_len, 0));
	printf("     \"hohodk\": \"%s\",\n", hex(id, ci->hash_len, 1));
	if (a->show_secrets)
		printf("     \"kp\": \"%s\",\n", hex(seg->kp, ci->hash_len, 0));
	printf("     \"blocks\": [");
	for (b = 0; b < seg->nblocks; b++) {
		struct pd_range br = pd_ci_block_range(ci, s, b);

		printf("%s\n      {\"index\": %u, \"start\": %llu, \"end\": %llu, "
		       "\"hash\": \"%s\"}", b ? "," : "", b,
		       (unsigned long long)br.start, (unsigned long long)br.end,
		       hex(seg->block_hashes + (size_t)b * ci->hash_len,
			   ci->hash_len, 0));
	}
	printf("]}");
}

static void print_json(const struct pd_ci *ci, const struct info_args *a)
{
	struct pd_range r = pd_ci_range(ci);
	uint32_t s;

	printf("{\n  \"version\": \"%u.0\",\n  \"hash_algorithm\": \"%s\",\n"
	       "  \"hash_algorithm_id\": %u,\n  \"digest_size\": %u,\n",
	       ci->version, alg_name(ci->hash_alg), ci->hash_alg, ci->hash_len);
	printf("  \"range\": {\"start\": %llu, \"end\": %llu},\n",
	       (unsigned long long)r.start, (unsigned long long)r.end);
	printf("  \"offset_in_first_segment\": %u,\n", ci->offset_in_first);
	if (ci->version == 1)
		printf("  \"read_bytes_in_last_segment\": %u,\n", ci->read_in_last);
	else
		printf("  \"index_of_first_segment\": %llu,\n"
		       "  \"length_of_range\": %llu,\n",
		       (unsigned long long)ci->first_index,
		       (unsigned long long)ci->range_length);
	printf("  \"segments\": [");
	for (s = 0; s < ci->nsegments; s++)
		print_json_segment(ci, s, a);
	printf("]\n}\n");
}

int cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "show-secrets", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct info_args a = { 0 };
	struct pd_ci *ci;
	int c;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a.json = 1;
			break;
		case 's':
			a.show_secrets = 1;
			break;
		case 'h':
			fputs(info_help, stdout);
			return EXIT_OK;
		default:
			return option_error("info", argv, c);
		}
	}
	if (optind != argc - 1)
		return usage_error("info", "expected one content information file");
	if (load_ci(argv[optind], &ci))
		return EXIT_FAIL;
	if (a.json)
		print_json(ci, &a);
	else
		print_text(ci, &a);
	pd_ci_free(ci);
	return fflush(stdout) ? fail("stdout", "write error") : EXIT_OK;
}
