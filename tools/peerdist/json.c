// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small JSON reader for peerdistd's state file: the text becomes a flat
 * array of tokens in document order (a container followed by its
 * members), each pointing into the caller's buffer. Pure, bounded (depth
 * and token count), no allocation; fuzzed by tests/fuzz/fuzz-json.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH	32

struct parser {
	const char *p, *end;
	struct json_doc *doc;
};

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p)
		ps->p++;
}

static int new_token(struct parser *ps, enum json_type type, const char *start)
{
	struct json_doc *d = ps->doc;

	if (d->n == JSON_MAX_TOKENS)
		return -E2BIG;
	d->tok[d->n] = (struct json_tok){ type, start - d->text, 0, 0 };
	return d->n++;
}

static int parse_value(struct parser *ps, int depth);

/* A string's token spans its contents, between the quotes. */
static int parse_string(struct parser *ps)
{
	const char *start = ++ps->p;
	int t;

	while (ps->p < ps->end && *ps->p != '"') {
		if ((unsigned char)*ps->p < 0x20)
			return -EINVAL;
		if (*ps->p == '\\' && ++ps->p == ps->end)
			return -EINVAL;
		ps->p++;
	}
	if (ps->p == ps->end)
		return -EINVAL;
	t = new_token(ps, JSON_STRING, start);
	if (t >= 0)
		ps->doc->tok[t].end = ps->p - ps->doc->text;
	ps->p++;
	return t;
}

static int parse_word(struct parser *ps)
{
	static const struct { const char *word; enum json_type type; } words[] = {
		{ "true", JSON_TRUE }, { "false", JSON_FALSE }, { "null", JSON_NULL },
	};
	const char *start = ps->p;
	size_t i, n;
	int t;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i].word);
		if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, words[i].word, n)) {
			ps->p += n;
			t = new_token(ps, words[i].type, start);
			if (t >= 0)
				ps->doc->tok[t].end = ps->p - ps->doc->text;
			return t;
		}
	}
	if (*ps->p != '-' && (*ps->p < '0' || *ps->p > '9'))
		return -EINVAL;
	while (ps->p < ps->end && *ps->p && strchr("+-.eE0123456789", *ps->p))
		ps->p++;
	t = new_token(ps, JSON_NUMBER, start);
	if (t >= 0)
		ps->doc->tok[t].end = ps->p - ps->doc->text;
	return t;
}

/* An object or array; its size counts members (an object's: its keys). */
static int parse_container(struct parser *ps, int depth)
{
	int object = *ps->p == '{', t, err;
	char close = object ? '}' : ']';

	t = new_token(ps, object ? JSON_OBJECT : JSON_ARRAY, ps->p);
	if (t < 0)
		return t;
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->doc->tok[t].end = ++ps->p - ps->doc->text;
		return t;
	}
	for (;;) {
		skip_space(ps);
		if (object) {
			if (ps->p == ps->end || *ps->p != '"')
				return -EINVAL;
			if ((err = parse_string(ps)) < 0)
				return err;
			skip_space(ps);
			if (ps->p == ps->end || *ps->p++ != ':')
				return -EINVAL;
		}
		if ((err = parse_value(ps, depth + 1)) < 0)
			return err;
		ps->doc->tok[t].size++;
		skip_space(ps);
		if (ps->p == ps->end)
			return -EINVAL;
		if (*ps->p == close) {
			ps->doc->tok[t].end = ++ps->p - ps->doc->text;
			return t;
		}
		if (*ps->p++ != ',')
			return -EINVAL;
	}
}

static int parse_value(struct parser *ps, int depth)
{
	if (depth > MAX_DEPTH)
		return -ELOOP;
	skip_space(ps);
	if (ps->p == ps->end)
		return -EINVAL;
	if (*ps->p == '{' || *ps->p == '[')
		return parse_container(ps, depth);
	if (*ps->p == '"')
		return parse_string(ps);
	return parse_word(ps);
}

int json_parse(const char *text, size_t len, struct json_doc *doc)
{
	struct parser ps = { text, text + len, doc };
	int err;

	doc->text = text;
	doc->n = 0;
	err = parse_value(&ps, 0);
	if (err < 0)
		return err;
	skip_space(&ps);
	return ps.p == ps.end ? 0 : -EINVAL;
}

int json_next(const struct json_doc *doc, int i)
{
	int members = doc->tok[i].type == JSON_OBJECT ? 2 * doc->tok[i].size :
		      doc->tok[i].type == JSON_ARRAY ? doc->tok[i].size : 0;
	int j = i + 1;

	while (members--)
		j = json_next(doc, j);
	return j;
}

int json_get(const struct json_doc *doc, int obj, const char *key)
{
	size_t klen = strlen(key);
	int i, k;

	if (obj < 0 || doc->tok[obj].type != JSON_OBJECT)
		return -1;
	for (i = obj + 1, k = 0; k < doc->tok[obj].size; k++) {
		const struct json_tok *t = &doc->tok[i];

		if (t->end - t->start == (int)klen &&
		    !memcmp(doc->text + t->start, key, klen))
			return i + 1;
		i = json_next(doc, i + 1);
	}
	return -1;
}

int json_item(const struct json_doc *doc, int arr, int index)
{
	int i, k;

	if (arr < 0 || doc->tok[arr].type != JSON_ARRAY || index >= doc->tok[arr].size)
		return -1;
	for (i = arr + 1, k = 0; k < index; k++)
		i = json_next(doc, i);
	return i;
}

int json_count(const struct json_doc *doc, int arr)
{
	return arr >= 0 && doc->tok[arr].type == JSON_ARRAY ? doc->tok[arr].size : 0;
}

/* \uXXXX: its value, or -1. */
static long hex4(const char *p, const char *end)
{
	char digits[5];
	char *stop;
	long v;

	if (end - p < 4)
		return -1;
	memcpy(digits, p, 4);
	digits[4] = '\0';
	v = strtol(digits, &stop, 16);
	return *stop ? -1 : v;
}

int json_string(const struct json_doc *doc, int i, char *out, size_t outlen)
{
	const char *p, *end;
	size_t n = 0;
	long u;

	if (i < 0 || doc->tok[i].type != JSON_STRING || !outlen)
		return -EINVAL;
	p = doc->text + doc->tok[i].start;
	end = doc->text + doc->tok[i].end;
	while (p < end && n + 1 < outlen) {
		char c = *p++;

		if (c == '\\' && p < end) {
			c = *p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u':
				u = hex4(p, end);
				if (u < 0)
					return -EINVAL;
				p += 4;
				c = u > 0 && u < 0x80 ? (char)u : '?';
				break;
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return p == end ? 0 : -ENAMETOOLONG;
}

int json_int(const struct json_doc *doc, int i, long long *out)
{
	char buf[32], *stop;
	int len;

	if (i < 0 || doc->tok[i].type != JSON_NUMBER)
		return -EINVAL;
	len = doc->tok[i].end - doc->tok[i].start;
	if (len <= 0 || len >= (int)sizeof(buf))
		return -ERANGE;
	memcpy(buf, doc->text + doc->tok[i].start, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtoll(buf, &stop, 10);
	return errno || *stop ? -EINVAL : 0;
}

int json_bool(const struct json_doc *doc, int i)
{
	return i >= 0 && doc->tok[i].type == JSON_TRUE;
}

void json_print_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}
