// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest side of the kernel benchmark (make bench): publishing a file
 * by fd through peerdist.ko's hash offload, and a command (peerdist
 * publish on the user backend) for comparison, each timed, with the bytes
 * that crossed the user/kernel boundary per published byte.
 *   hash_bench make FILE BYTES      write a file of BYTES
 *   hash_bench kernel FILE          hash offload (sets a server secret)
 *   hash_bench run NAME FILE CMD... run CMD (which reads FILE); its time and
 *                                   read/write bytes per byte of FILE
 *   hash_bench encrypt              encrypt-block (peerdistd's serving of a
 *                                   segment whose Kp stays in the module) by
 *                                   1 and by 2 callers at once, in MB/s
 * Each measurement prints one line "bench NAME SECONDS BYTES-PER-BYTE",
 * encrypt's "bench NAME MB/S 0".
 */
#define _GNU_SOURCE	/* before any header: memmem, SEEK_DATA */
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "seg_helpers.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int make_file(const char *path, long long bytes)
{
	static uint64_t buf[8192];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long long done = 0;
	uint64_t x = 88172645463325252ull;

	while (fd >= 0 && done < bytes) {
		for (size_t i = 0; i < sizeof(buf) / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			return 1;
		done += sizeof(buf);
	}
	return fd < 0 || close(fd);
}

/* ask(), counting the request's bytes in *sent. */
static int exchange(struct nl_sock *s, struct nl_msg *m, struct ci_reply *r, size_t *sent)
{
	*sent += nlmsg_hdr(m)->nlmsg_len;
	return ask(s, m, parse_ci_reply, r);
}

/* Hash offload of the whole file, and every piece of its content info. */
static int kernel(const char *path)
{
	struct ci_reply r = { 0 };
	size_t sent = 0, offset;
	struct nl_msg *m;
	struct stat st;
	int family, fd = open(path, O_RDONLY);
	struct nl_sock *s = nl_open(&family);
	double t;

	if (fd < 0 || !s || fstat(fd, &st))
		return 1;
	m = seg_request(family, PEERDIST_CMD_SET_SECRET, NULL, 0, 4096);
	nla_put(m, PEERDIST_A_SECRET, 5, "bench");
	if (send_and_ack(s, m))	/* no reply, only the ACK */
		return 1;
	t = now();
	m = seg_request(family, PEERDIST_CMD_HASH_FILE, NULL, 0, 4096);
	nla_put_u32(m, PEERDIST_A_FD, fd);
	if (exchange(s, m, &r, &sent))
		return 1;
	for (offset = 0; offset < r.length; offset += 16000) {
		m = seg_request(family, PEERDIST_CMD_GET_CONTENT_INFO, NULL, 0, 4096);
		nla_put_u32(m, PEERDIST_A_FD, fd);
		nla_put_u64(m, PEERDIST_A_GENERATION, r.generation);
		nla_put_u64(m, PEERDIST_A_CI_OFFSET, offset);
		if (exchange(s, m, &r, &sent))
			return 1;
	}
	printf("bench kernel-hash-offload %.3f %.6f\n", now() - t,
	       (double)(sent + r.bytes) / st.st_size);
	return 0;
}

/* rchar + wchar of a child that has exited but is not reaped yet. */
static long long io_bytes(pid_t pid)
{
	char path[64], key[32];
	long long v, sum = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/io", pid);
	f = fopen(path, "r");
	while (f && fscanf(f, "%31s %lld", key, &v) == 2)
		if (!strcmp(key, "rchar:") || !strcmp(key, "wchar:"))
			sum += v;
	if (f)
		fclose(f);
	return sum;
}

static int run(const char *name, const char *measured, char **argv)
{
	struct stat st;
	siginfo_t info;
	double t = now();
	pid_t pid = fork();
	long long io;

	if (!pid) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitid(P_PID, pid, &info, WEXITED | WNOWAIT))
		return 1;
	t = now() - t;
	io = io_bytes(pid);
	waitpid(pid, NULL, 0);
	if (info.si_status || stat(measured, &st))
		return 1;
	printf("bench %s %.3f %.6f\n", name, t, (double)io / st.st_size);
	return 0;
}

#define ENCRYPT_REQUESTS	512	/* 32 MiB of blocks, whatever the callers */

struct encrypt_caller {
	const struct seg *seg;
	unsigned int requests;
	int failed;
};

/* One caller on a socket of its own: encrypt-block of the segment's blocks. */
static void *encrypt_blocks(void *arg)
{
	static __thread struct seg_sealed r;
	struct encrypt_caller *c = arg;
	uint8_t iv[16] = { 0 };
	int family;
	struct nl_sock *s = nl_open(&family);
	unsigned int i;

	c->failed = !s;
	for (i = 0; s && i < c->requests && !c->failed; i++) {
		iv[0] = (uint8_t)i;
		c->failed = seg_encrypt_block(s, family, c->seg->id, i % c->seg->nblocks, 1,
					      iv, &r) || r.len != BLOCK;
	}
	nl_socket_free(s);
	return NULL;
}

/* ENCRYPT_REQUESTS blocks by n callers at once: MB/s, or -1. */
static double encrypt_rate(const struct seg *a, unsigned int n)
{
	struct encrypt_caller c[2];
	pthread_t t[2];
	unsigned int i, started = 0;
	int failed = 0;
	double start = now();

	for (i = 0; i < n; i++) {
		c[i] = (struct encrypt_caller){ a, ENCRYPT_REQUESTS / n, 0 };
		started += !pthread_create(&t[i], NULL, encrypt_blocks, &c[i]);
	}
	for (i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		failed |= c[i].failed;
	}
	if (failed || started != n)
		return -1;
	return (double)ENCRYPT_REQUESTS * BLOCK / 1e6 / (now() - start);
}

static int encrypt(void)
{
	struct seg a;
	int family, fd, err = 1;
	struct nl_sock *s = nl_open(&family);
	unsigned int n;
	double rate;

	seg_make(&a, 32 * BLOCK, 71);
	if (!s || seg_add(s, family, &a))
		return 1;
	fd = seg_open(s, family, a.id);
	if (fd >= 0 && !seg_fill(fd, &a)) {
		err = 0;
		for (n = 1; n <= 2 && !err; n++) {
			rate = encrypt_rate(&a, n);
			err = rate < 0;
			if (!err)
				printf("bench kernel-encrypt-block-%u %.1f 0\n", n, rate);
		}
	}
	if (fd >= 0)
		close(fd);
	seg_flush(s, family, a.id);
	nl_socket_free(s);
	free(a.data);
	return err;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "make"))
		return make_file(argv[2], atoll(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "kernel"))
		return kernel(argv[2]);
	if (argc > 4 && !strcmp(argv[1], "run"))
		return run(argv[2], argv[3], argv + 4);
	if (argc == 2 && !strcmp(argv[1], "encrypt"))
		return encrypt();
	fprintf(stderr,
		"usage: hash_bench make FILE BYTES | kernel FILE | run NAME FILE CMD... | encrypt\n");
	return 2;
}
