// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * "key = value" files: a line at a time, however long (getline), so a
 * long comment never reads as a setting.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_file.h"

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int split_line(char *line, unsigned lineno, pd_conf_line_fn fn, void *arg)
{
	char *eq;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return fn(line, NULL, lineno, arg);
	*eq = '\0';
	return fn(trim(line), trim(eq + 1), lineno, arg);
}

int pd_conf_read(FILE *f, pd_conf_line_fn fn, void *arg)
{
	unsigned lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	while (!err && getline(&line, &cap, f) >= 0)
		err = split_line(line, ++lineno, fn, arg);
	if (!err && ferror(f))
		err = errno ? -errno : -EIO;
	free(line);
	return err;
}
