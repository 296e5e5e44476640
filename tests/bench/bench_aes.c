// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block encryption throughput of pd_aes128_cbc_encrypt_many, as peerdistd
 * uses it: N answers of 64 KiB encrypted together, each with its own key
 * and IV, in buffers laid out as the read-ahead's ring lays them out (68
 * KiB apart: "aes-jobs-N MB/s") and, for more than the ring's 8 at once,
 * as the loop's arena lays out the answers it makes on demand
 * ("aes-batch-N MB/s"). Also prints "aes-impl NAME". Each figure is the
 * best of three passes over 256 MiB (10^6 bytes), for tests/bench/run to
 * compare with `openssl speed -evp aes-128-cbc`, one stream.
 * Usage: bench_aes N...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aes128_mb.h"

#define BLOCK	(64u << 10)
#define SLOT	(68u << 10)	/* the read-ahead ring's stride */
#define RING_LANES 8		/* the most answers the ring encrypts at once */
/* The arena: a 128-byte HTTP head, then the MSG_BLK (68 bytes before the
 * block, 24 after it) rounded up to 64 bytes. */
#define ARENA_SLOT (128u + (68u + BLOCK + 24u + 63u) / 64u * 64u)
#define ARENA_BLOCK_AT (128u + 68u)
#define MAX_JOBS 64
#define PASS_BYTES (256ull << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of three passes with n jobs, buffer i at slots + at + i * stride,
 * in MB/s; -1 when encryption fails. */
static double measure(uint8_t *slots, unsigned n, size_t stride, size_t at)
{
	struct pd_aes128_cbc_job jobs[MAX_JOBS];
	unsigned i, pass, rounds = PASS_BYTES / ((unsigned long long)n * BLOCK);
	double best = 0, t;

	for (pass = 0; pass < 3; pass++) {
		t = now();
		for (unsigned r = 0; r < rounds; r++) {
			for (i = 0; i < n; i++) {
				memset(&jobs[i], 0, sizeof(jobs[i]));
				jobs[i].key[0] = (uint8_t)i;
				jobs[i].iv[0] = (uint8_t)r;
				jobs[i].buf = slots + at + (size_t)i * stride;
				jobs[i].len = BLOCK;
			}
			if (pd_aes128_cbc_encrypt_many(jobs, n))
				return -1;
		}
		t = (double)rounds * n * BLOCK / (now() - t) / 1e6;
		best = t > best ? t : best;
	}
	return best;
}

int main(int argc, char **argv)
{
	uint8_t *slots = calloc(MAX_JOBS, SLOT);
	int i, n;
	double mbs;

	if (argc < 2 || !slots) {
		fprintf(stderr, "usage: bench_aes N...\n");
		return 2;
	}
	printf("aes-impl %s\n", pd_aes128_mb_impl());
	for (i = 1; i < argc; i++) {
		n = atoi(argv[i]);
		if (n < 1 || n > MAX_JOBS) {
			fprintf(stderr, "bench_aes: N is 1 to %d\n", MAX_JOBS);
			return 2;
		}
		mbs = measure(slots, n, SLOT, 0);
		if (mbs >= 0)
			printf("aes-jobs-%d %.0f\n", n, mbs);
		if (mbs >= 0 && n > RING_LANES) {
			mbs = measure(slots, n, ARENA_SLOT, ARENA_BLOCK_AT);
			printf("aes-batch-%d %.0f\n", n, mbs);
		}
		if (mbs < 0) {
			fprintf(stderr, "bench_aes: encryption failed\n");
			return 1;
		}
	}
	free(slots);
	return 0;
}
