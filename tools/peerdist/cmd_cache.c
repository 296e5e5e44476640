// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peerdist cache / flush: the local cache as Get-BCDataCache, Set-BCCache
 * and Clear-BCCache show and change it; the facts are shared with status.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <peerdist.h>

#include "cli.h"
#include "hex.h"
#include "json.h"
#include "store.h"

#define BACKING_DIR_SYSFS	"/sys/kernel/peerdist/backing_dir"
#define DEFAULT_PERCENT		5	/* Windows' default cap: 5% of the volume */
#define MIN_DEFAULT_BYTES	(64ull << 20)

static const char cache_help[] =
	"usage: peerdist cache [--json] [--max-bytes N%|SIZE|default] [--clear]\n"
	"                      [--reset-counters]\n\n"
	"Shows the local cache: where it is, its size cap (in bytes and as a share\n"
	"of the volume it is on), the bytes it holds, the publications kept apart\n"
	"from the data, and its counters (bytes read from it, fetched from peers,\n"
	"the hosted cache and origins, served).\n\n"
	"  --max-bytes N%       cap the cache at N percent of its volume (1-100)\n"
	"  --max-bytes SIZE     cap it at SIZE bytes (K/M/G/T suffixes)\n"
	"  --max-bytes default  the default cap, 5% of the volume (at least 64M)\n"
	"  --clear              drop every cached segment (publications and the\n"
	"                       byte counters stay)\n"
	"  --reset-counters     start the byte counters again from 0\n"
	"  --json               machine-readable output (fields in peerdist-cache(1))\n"
	"  -h, --help           this text\n";

static const char flush_help[] =
	"usage: peerdist flush TAG\n\n"
	"Drops from the local cache the content that readers tagged TAG (as\n"
	"PeerDistClientFlushContent does). TAG is 32 hex digits (16 bytes) or text\n"
	"of up to 16 characters (zero-padded).\n";

/* The cache's directory, or peerdist.ko's backing directory (or none). */
static void cache_location(struct pd_store *s, struct cache_facts *f)
{
	char buf[PATH_MAX];
	uint8_t *dir;
	size_t len;

	f->location[0] = '\0';
	if (strcmp(s->ops->name, "kernel")) {
		snprintf(f->location, sizeof(f->location), "%s",
			 pd_store_cache_dir(buf, sizeof(buf)));
		return;
	}
	if (read_all(BACKING_DIR_SYSFS, sizeof(f->location) - 1, &dir, &len))
		return;
	while (len && dir[len - 1] == '\n')
		len--;
	memcpy(f->location, dir, len);
	f->location[len] = '\0';
	free(dir);
}

/* Bytes of the volume the cache is on (memory for peerdist.ko without a
 * backing directory). */
static void cache_volume(struct cache_facts *f)
{
	struct statvfs vfs;
	struct sysinfo si;

	f->volume_is_memory = !f->location[0];
	if (!f->volume_is_memory && !statvfs(f->location, &vfs))
		f->volume_bytes = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	else if (f->volume_is_memory && !sysinfo(&si))
		f->volume_bytes = (uint64_t)si.totalram * si.mem_unit;
}

static int count_publication(const void *ident, size_t len, void *arg)
{
	struct cache_facts *f = arg;
	unsigned v;

	f->publications++;
	for (v = 1; v <= 2; v++) {
		uint8_t *ci;
		size_t n;

		if (!f->store->ops->lookup(f->store, geteuid(), ident, len, v, &ci, &n)) {
			f->publication_bytes += n;
			free(ci);
		}
	}
	return 0;
}

int cache_facts(struct pd_store *s, struct cache_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->store = s;
	f->backend = s->ops->name;
	cache_location(s, f);
	cache_volume(f);
	s->ops->list_kept(s, geteuid(), count_publication, f);
	pd_counters_read(s->counters, f->bytes);
	return s->ops->stats(s, &f->stats);
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0;
}

/* What each byte counter is called in words, in the order of counters.h. */
static const char *const counter_words[PD_COUNTERS] = {
	"read from the cache:", "fetched from peers:", "fetched from hosted cache:",
	"fetched from origins:", "served to peers:", "served as hosted cache:",
};

static void print_bytes_text(const struct cache_facts *f, const char *indent)
{
	unsigned i;

	printf("%sbytes (all processes using this cache, since the counters started):\n", indent);
	for (i = 0; i < PD_COUNTERS; i++)
		printf("%s  %-27s%llu\n", indent, counter_words[i],
		       (unsigned long long)f->bytes[i]);
}

void print_cache_text(const struct cache_facts *f, const char *indent, int width,
		      unsigned flags)
{
	const struct pd_store_stats *st = &f->stats;

	printf("%s%-*s%s%s\n", indent, width, "backend:", f->backend,
	       st->disabled ? " (switched off by an administrator)" : "");
	printf("%s%-*s%s\n", indent, width, "location:",
	       f->location[0] ? f->location : "peerdist.ko's memory");
	printf("%s%-*s%llu bytes (%.1f%% of the %s, %llu bytes)\n", indent, width,
	       "size cap:", (unsigned long long)st->max_bytes,
	       share(st->max_bytes, f->volume_bytes),
	       f->volume_is_memory ? "memory" : "volume",
	       (unsigned long long)f->volume_bytes);
	printf("%s%-*s%llu bytes in %llu segments\n", indent, width, "data cached:",
	       (unsigned long long)st->bytes_cached, (unsigned long long)st->segments);
	printf("%s%-*s%llu (content information: %llu bytes)\n", indent, width,
	       "publications kept:", (unsigned long long)f->publications,
	       (unsigned long long)f->publication_bytes);
	if (flags & CACHE_LOOKUPS) {
		printf("%s%-*s%llu\n", indent, width, "block lookups found:",
		       (unsigned long long)st->hits);
		printf("%s%-*s%llu\n", indent, width, "block lookups missed:",
		       (unsigned long long)st->misses);
	}
	printf("%s%-*s%llu\n", indent, width, "segments evicted:",
	       (unsigned long long)st->evictions);
	printf("%s%-*s%llu\n", indent, width, "hash check failures:",
	       (unsigned long long)st->verify_failures);
	print_bytes_text(f, indent);
}

void print_cache_json(const struct cache_facts *f, unsigned flags)
{
	unsigned i;

	const struct pd_store_stats *st = &f->stats;

	printf("{\"backend\": \"%s\", \"switched_off\": %s, \"location\": ", f->backend,
	       st->disabled ? "true" : "false");
	if (f->location[0])
		json_print_string(stdout, f->location);
	else
		printf("null");
	printf(", \"volume\": \"%s\", \"volume_bytes\": %llu, \"max_bytes\": %llu, "
	       "\"max_percent_of_volume\": %.2f,\n", f->volume_is_memory ? "memory" : "disk",
	       (unsigned long long)f->volume_bytes, (unsigned long long)st->max_bytes,
	       share(st->max_bytes, f->volume_bytes));
	printf("  \"data\": {\"bytes\": %llu, \"segments\": %llu},\n",
	       (unsigned long long)st->bytes_cached, (unsigned long long)st->segments);
	printf("  \"publications\": {\"kept\": %llu, \"content_information_bytes\": %llu},\n",
	       (unsigned long long)f->publications, (unsigned long long)f->publication_bytes);
	printf("  \"counters\": {");
	if (flags & CACHE_LOOKUPS)
		printf("\"block_lookups_found\": %llu, \"block_lookups_missed\": %llu, ",
		       (unsigned long long)st->hits, (unsigned long long)st->misses);
	printf("\"segments_evicted\": %llu, \"hash_check_failures\": %llu},\n  \"bytes\": {",
	       (unsigned long long)st->evictions, (unsigned long long)st->verify_failures);
	for (i = 0; i < PD_COUNTERS; i++)
		printf("%s\"%s\": %llu", i ? ", " : "", pd_counter_name(i),
		       (unsigned long long)f->bytes[i]);
	printf("}}");
}

/* N%, default or a size, checked against the volume; 0 or EXIT_*. */
static int parse_cap(const char *arg, const struct cache_facts *f, uint64_t *max)
{
	size_t len = strlen(arg);
	char *end;
	long pct;

	if (!strcmp(arg, "default")) {
		*max = f->volume_bytes / 100 * DEFAULT_PERCENT;
		if (*max < MIN_DEFAULT_BYTES)
			*max = MIN_DEFAULT_BYTES;
		return 0;
	}
	if (len > 1 && arg[len - 1] == '%') {
		pct = strtol(arg, &end, 10);
		if (end != arg + len - 1 || pct < 1 || pct > 100)
			return usage_error("cache", "'%s': a percentage is 1%% to 100%%", arg);
		*max = f->volume_bytes / 100 * pct;
		return 0;
	}
	if (parse_size(arg, max))
		return usage_error("cache", "'%s' is not a size, N%% or default", arg);
	if (!*max)
		return usage_error("cache", "a cap of 0 bytes would keep nothing "
				   "(peerdist cache --clear empties the cache)");
	if (f->volume_bytes && *max > f->volume_bytes)
		return usage_error("cache", "a cap of %llu bytes is larger than the %s "
				   "(%llu bytes)", (unsigned long long)*max,
				   f->volume_is_memory ? "memory" : "volume the cache is on",
				   (unsigned long long)f->volume_bytes);
	return 0;
}

struct cache_args {
	const char *max;
	int clear, json, reset;
};

/*
 * Clear-BCCache. peerdist.ko's cache is the machine's: without
 * CAP_NET_ADMIN only the segments this user added go, and the command says
 * what stays.
 */
static int clear_cache(struct pd_store *s)
{
	struct pd_store_stats st;
	int err = s->ops->clear(s);

	if (err == -EOPNOTSUPP)
		return fail("cache", "this peerdist.ko cannot clear its cache (an older "
			    "module: unloading it empties the cache)");
	if (err)
		return fail("cache", "cannot clear the cache: %s", strerror(-err));
	if (!strcmp(s->ops->name, "kernel") && !s->ops->stats(s, &st) && st.segments)
		fprintf(stderr, "peerdist cache: cleared the segments you added; %llu "
			"segments others added stay (clearing them needs CAP_NET_ADMIN)\n",
			(unsigned long long)st.segments);
	return 0;
}

static int change_cache(struct pd_store *s, struct cache_facts *f,
			const struct cache_args *a)
{
	uint64_t max;
	int err, ret;

	if (a->max) {
		if ((ret = parse_cap(a->max, f, &max)))
			return ret;
		err = s->ops->set_max_bytes(s, max);
		if (err == -EINVAL || err == -ERANGE)
			return fail("cache", "the %s backend refused a cap of %llu bytes "
				    "(out of its range)", s->ops->name, (unsigned long long)max);
		if (err)
			return fail("cache", "cannot set the cap: %s", strerror(-err));
	}
	if (a->clear) {
		err = clear_cache(s);
		if (err)
			return err;
	}
	if (a->reset)
		pd_counters_reset(s->counters);
	return 0;
}

int cmd_cache(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-bytes", required_argument, NULL, 'm' },
		{ "clear", no_argument, NULL, 'c' },
		{ "reset-counters", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct cache_args a = { 0 };
	struct cache_facts f;
	struct pd_store *s;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			a.max = optarg;
			break;
		case 'c':
			a.clear = 1;
			break;
		case 'r':
			a.reset = 1;
			break;
		case 'j':
			a.json = 1;
			break;
		case 'h':
			fputs(cache_help, stdout);
			return EXIT_OK;
		default:
			return option_error("cache", argv, c);
		}
	}
	if (optind != argc)
		return usage_error("cache", "unexpected argument '%s'", argv[optind]);
	if (open_store("cache", &s))
		return EXIT_FAIL;
	cache_facts(s, &f);
	ret = change_cache(s, &f, &a);
	if (!ret && (a.max || a.clear || a.reset))
		cache_facts(s, &f);
	if (!ret && a.json) {
		print_cache_json(&f, CACHE_LOOKUPS);
		putchar('\n');
	} else if (!ret) {
		print_cache_text(&f, "", 22, CACHE_LOOKUPS);
	}
	s->ops->close(s);
	return ret;
}

/* A tag is 32 hex digits, or text of up to 16 bytes (zero-padded). */
static int parse_tag(const char *s, uint8_t tag[16])
{
	size_t len = strlen(s);

	memset(tag, 0, 16);
	if (len == 32 && pd_hex_decode(s, tag, 16) == 16)
		return 0;
	memset(tag, 0, 16);
	if (!len || len > 16)
		return -1;
	memcpy(tag, s, len);
	return 0;
}

int cmd_flush(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct pd_store *s;
	uint8_t tag[16];
	int c, err;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c != 'h')
			return option_error("flush", argv, c);
		fputs(flush_help, stdout);
		return EXIT_OK;
	}
	if (optind != argc - 1 || parse_tag(argv[optind], tag))
		return usage_error("flush", "expected one TAG: 32 hex digits or up to "
				   "16 characters");
	if (open_store("flush", &s))
		return EXIT_FAIL;
	err = s->ops->flush_tag(s, tag);
	s->ops->close(s);
	if (err == -ENOENT)
		return fail(argv[optind], "no content in the cache has this tag");
	return err ? fail(argv[optind], "cannot flush: %s", strerror(-err)) : EXIT_OK;
}
