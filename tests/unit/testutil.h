/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by the unit tests: hex, deterministic data, and
 * waiting for another thread or process to block. */
#ifndef PD_TESTUTIL_H
#define PD_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <setjmp.h>
#include <cmocka.h>

/* Decodes hex into a new buffer; *len gets its length. */
static inline uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2, i;
	uint8_t *out = malloc(n ? n : 1);

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = v;
	}
	if (len)
		*len = n;
	return out;
}

static inline void assert_hex_equal(const uint8_t *got, const char *hex)
{
	size_t n;
	uint8_t *want = unhex(hex, &n);

	assert_memory_equal(got, want, n);
	free(want);
}

/* Deterministic pseudo-random bytes (xorshift64*), seeded. */
static inline void fill_pattern(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		buf[i] = (x * 0x2545f4914f6cdd1dull) >> 56;
	}
}

/*
 * Waits (10 s at most) until thread tid of process pid is asleep, that is
 * blocked in a wait: a test orders itself on that event rather than on a
 * guessed delay. 1 once it is, 0 if it never was (or is gone).
 */
static inline int wait_until_blocked(pid_t pid, pid_t tid)
{
	const struct timespec tick = { 0, 1000000 };
	char path[64], buf[512], *state;
	size_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	for (i = 0; i < 10000; i++) {
		FILE *f = fopen(path, "re");

		if (!f)
			return 0;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		state = strrchr(buf, ')');	/* "pid (comm) S ..." */
		if (state && state[1] == ' ' && state[2] == 'S')
			return 1;
		nanosleep(&tick, NULL);
	}
	return 0;
}

#endif
