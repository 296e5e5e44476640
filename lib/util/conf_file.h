/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "key = value" files, peerdistd.conf(5)'s form, read by peerdistd and by
 * the library alike so that both see the same settings: blank lines and
 * '#' comments are skipped, blanks around the key and the value trimmed.
 */
#ifndef PD_CONF_FILE_H
#define PD_CONF_FILE_H

#include <stdio.h>

/*
 * One line: its key and value, or (value NULL) the whole line when it has
 * no '='; lineno counts from 1. What is not 0 stops the reading.
 */
typedef int (*pd_conf_line_fn)(const char *key, const char *value,
			       unsigned lineno, void *arg);

/* Every line of f to fn, in order: 0, what fn returned, or -errno when
 * reading failed. */
int pd_conf_read(FILE *f, pd_conf_line_fn fn, void *arg);

#endif
