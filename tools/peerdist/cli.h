/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peerdist CLI: subcommands and the helpers they share. */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <peerdist.h>

#include "pccrc.h"
#include "store.h"

/* Exit codes: success, a failure or mismatch, a usage error. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cmd_hash(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_secret(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_unpublish(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_get(int argc, char **argv);

/* What cache and status show of the local cache. */
struct cache_facts {
	struct pd_store *store;
	const char *backend;
	char location[4096];		/* "" for peerdist.ko's memory */
	int volume_is_memory;
	uint64_t volume_bytes;
	uint64_t publications, publication_bytes;	/* kept ones */
	struct pd_store_stats stats;
	uint64_t bytes[PD_COUNTERS];	/* the byte counters (counters.h) */
};

int cache_facts(struct pd_store *s, struct cache_facts *f);
/* As "name: value" lines (after indent, names padded to width), or one
 * JSON object; CACHE_LOOKUPS adds the store's block lookups found and
 * missed (every process's, reads and serving alike: for peerdist cache,
 * not status, whose byte counters say where bytes came from). */
#define CACHE_LOOKUPS	1u
void print_cache_text(const struct cache_facts *f, const char *indent, int width,
		      unsigned flags);
void print_cache_json(const struct cache_facts *f, unsigned flags);

/* "peerdist: what: message" on stderr; returns EXIT_FAIL. */
int fail(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage error: the message, then "try 'peerdist CMD --help'". */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* getopt's ':' (a missing value) or '?' (opterr 0): the usage error. */
int option_error(const char *cmd, char **argv, int c);
/* A Win32 error of the PeerDist API in words. */
const char *win32_words(DWORD err);
/* Opens the store; on failure, says why in words (the path, the cause). */
int open_store(const char *cmd, struct pd_store **s);
/* The message for pd_store_open's error err; returns EXIT_FAIL. */
int store_failure(const char *cmd, int err);
/* PeerDistStartup; on failure, the cause in words; 0 or EXIT_FAIL. */
int startup(const char *cmd, PEERDIST_INSTANCE_HANDLE *pd);

/* Progress on stderr ("\rNAME: P% (D of T MiB)"), for work of total bytes
 * when stderr is a terminal and total is at least PROGRESS_MIN. */
#define PROGRESS_MIN	(64ull << 20)
void show_progress(uint64_t done, uint64_t total, void *name);
int want_progress(uint64_t total);

/* Reads a whole file (or stdin for "-") up to max bytes into a new buffer. */
int read_all(const char *path, size_t max, uint8_t **buf, size_t *len);
/*
 * Writes buf to path, or to stdout for NULL/"-". A regular file (or a new
 * one) is replaced atomically (temp + rename); an existing device, FIFO or
 * symlink is written into, never replaced. WRITE_PRIVATE: mode 0600 (else
 * 0644); WRITE_NEW: -EEXIST when path exists.
 */
#define WRITE_PRIVATE	1u
#define WRITE_NEW	2u
int write_all(const char *path, const uint8_t *buf, size_t len, unsigned flags);
/* The same, written as it comes: output_close(keep) puts the file in
 * place (keep 1) or removes what was written (keep 0; not stdout's). */
struct output {
	const char *path;	/* NULL: standard output */
	int fd;
	unsigned flags;
	char tmp[4096];		/* the temporary renamed over path, or "" */
};
int output_open(struct output *out, const char *path, unsigned flags);
int output_write(struct output *out, const void *buf, size_t len);
int output_close(struct output *out, int keep);
/* Parses a byte count (decimal, or with a K/M/G/T binary suffix). */
int parse_size(const char *s, uint64_t *out);
/* Reads and parses content information, reporting errors on stderr. */
int load_ci(const char *path, struct pd_ci **ci);

#endif
