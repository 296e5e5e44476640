// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "key = value" files as peerdistd and the library both read them: what
 * each line gives, a comment of any length staying a comment, and a
 * reader's answer stopping the reading.
 */
#include <stdio.h>

#include "testutil.h"

#include "conf_file.h"

#define MAX_LINES 8

struct seen {
	int n, stop_at;
	char key[MAX_LINES][64], value[MAX_LINES][64];
	int has_value[MAX_LINES];
	unsigned lineno[MAX_LINES];
};

static int record(const char *key, const char *value, unsigned lineno, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_LINES);
	snprintf(s->key[s->n], sizeof(s->key[0]), "%s", key);
	snprintf(s->value[s->n], sizeof(s->value[0]), "%s", value ? value : "");
	s->has_value[s->n] = value != NULL;
	s->lineno[s->n] = lineno;
	return ++s->n == s->stop_at ? 7 : 0;
}

static int read_text(const char *text, struct seen *s)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	assert_non_null(f);
	err = pd_conf_read(f, record, s);
	fclose(f);
	return err;
}

static void lines_give_keys_and_values(void **state)
{
	struct seen s = { 0 };

	assert_int_equal(read_text("# a comment\n\n  port =  3703 \r\n"
				   "\tlisten=::\nnot a setting\nempty =\n", &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.key[0], "port");
	assert_string_equal(s.value[0], "3703");
	assert_int_equal(s.lineno[0], 3);
	assert_string_equal(s.key[1], "listen");
	assert_string_equal(s.value[1], "::");
	assert_string_equal(s.key[2], "not a setting");
	assert_false(s.has_value[2]);
	assert_int_equal(s.lineno[2], 5);
	assert_string_equal(s.key[3], "empty");
	assert_true(s.has_value[3]);
	assert_string_equal(s.value[3], "");
}

static void a_long_comment_stays_a_comment(void **state)
{
	static char text[8192];
	struct seen s = { 0 };
	size_t n;

	n = snprintf(text, sizeof(text), "# ");
	memset(text + n, 'x', 4000);
	snprintf(text + n + 4000, sizeof(text) - n - 4000,
		 " hosted_cache_url = http://elsewhere/\nport = 1\n");
	assert_int_equal(read_text(text, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.key[0], "port");
	assert_int_equal(s.lineno[0], 2);
}

static void the_reader_stops_the_reading(void **state)
{
	struct seen s = { .stop_at = 1 };

	assert_int_equal(read_text("a = 1\nb = 2\n", &s), 7);
	assert_int_equal(s.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_give_keys_and_values),
		cmocka_unit_test(a_long_comment_stays_a_comment),
		cmocka_unit_test(the_reader_stops_the_reading),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
