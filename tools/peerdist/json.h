/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small JSON reader (tokens over the caller's text) and a string writer. */
#ifndef PD_JSON_H
#define PD_JSON_H

#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_TOKENS	1024

enum json_type { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_NUMBER,
		 JSON_TRUE, JSON_FALSE, JSON_NULL };

struct json_tok {
	enum json_type type;
	int start, end;		/* bytes of text; a string's without quotes */
				/* (a container's with its brackets) */
	int size;		/* members of an object (keys) or array */
};

struct json_doc {
	const char *text;
	int n;
	struct json_tok tok[JSON_MAX_TOKENS];
};

/* 0, or -EINVAL (not JSON), -E2BIG (too many tokens), -ELOOP (too deep). */
int json_parse(const char *text, size_t len, struct json_doc *doc);
/* The token after token i and everything inside it. */
int json_next(const struct json_doc *doc, int i);
/* The value of key in object obj, item index of array arr; -1 if none. */
int json_get(const struct json_doc *doc, int obj, const char *key);
int json_item(const struct json_doc *doc, int arr, int index);
/* Items of array arr (0 for anything else, or -1). */
int json_count(const struct json_doc *doc, int arr);
/* String token i decoded into out (NUL-terminated); 0 or -errno. */
int json_string(const struct json_doc *doc, int i, char *out, size_t outlen);
int json_int(const struct json_doc *doc, int i, long long *out);
/* 1 if token i is true, else 0 (also for -1). */
int json_bool(const struct json_doc *doc, int i);
/* s as a JSON string, quoted and escaped. */
void json_print_string(FILE *out, const char *s);

#endif
