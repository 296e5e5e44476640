// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Content-information generation throughput on a file already in the page
 * cache: V1 and V2, one thread and N threads. Prints one line per run,
 * "NAME MB/s", for tests/bench/run to compare with openssl speed.
 * Usage: bench_gen FILE [THREADS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"
#include "gen_file.h"
#include "sha256_mb.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of three runs, in MB/s (10^6 bytes). */
static double measure(int fd, unsigned version, unsigned threads)
{
	struct pd_gen_opts o = { .version = version,
				 .hash_alg = PD_HASH_SHA256,
				 .threads = threads };
	double best = 0;
	int i;

	pd_key_ks(version, "bench", 5, o.ks);
	for (i = 0; i < 3; i++) {
		struct pd_ci *ci;
		double t = now(), mbs;
		off_t size = lseek(fd, 0, SEEK_END);

		if (pd_gen_fd(fd, &o, NULL, NULL, &ci)) {
			fprintf(stderr, "bench_gen: generation failed\n");
			exit(1);
		}
		mbs = size / (now() - t) / 1e6;
		if (mbs > best)
			best = mbs;
		pd_ci_free(ci);
	}
	return best;
}

int main(int argc, char **argv)
{
	int fd, i;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_gen FILE THREADS...\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("sha256-impl %s\n", pd_sha256_impl());
	for (i = 2; i < argc; i++) {
		unsigned t = atoi(argv[i]);

		printf("v1-threads-%u %.0f\n", t, measure(fd, 1, t));
		printf("v2-threads-%u %.0f\n", t, measure(fd, 2, t));
		fflush(stdout);
	}
	close(fd);
	return 0;
}
