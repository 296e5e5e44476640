/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peerdist CLI: subcommands and the helpers they share. */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "pccrc.h"

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

/* "peerdist: what: message" on stderr; returns EXIT_FAIL. */
int fail(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage error: the message, then "try 'peerdist CMD --help'". */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reads a whole file (or stdin for "-") up to max bytes into a new buffer. */
int read_all(const char *path, size_t max, uint8_t **buf, size_t *len);
/* Writes buf to path atomically (temp + rename), or to stdout for NULL/"-". */
int write_all(const char *path, const uint8_t *buf, size_t len);
/* Parses a byte count (decimal, or with a K/M/G/T binary suffix). */
int parse_size(const char *s, uint64_t *out);
/* Reads and parses content information, reporting errors on stderr. */
int load_ci(const char *path, struct pd_ci **ci);

#endif
