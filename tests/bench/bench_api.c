// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client's hot paths against references measured in the same process:
 *  - AddData of SIZE bytes (every block verified and stored) vs
 *    single-stream SHA-256 of the same bytes (OpenSSL's EVP, as openssl
 *    speed -evp measures it), both over a buffer already warm, and vs
 *    plain writes of the same bytes into a new file in the cache
 *    directory (what storing alone costs: new page-cache pages);
 *  - BlockRead of the cached content, 32 reads of 64 KiB outstanding, vs
 *    plain io_uring reads of a file of the same size from the page cache,
 *    32 outstanding, and vs plain pread of the cache's own segment files
 *    into the same 32 buffers in turn (what reading those pages costs by
 *    itself: tmpfs, for one, reads in 4 KiB pages where a disk file
 *    system's page cache may hold large folios, and a file's pages read
 *    slower or faster as they were made), and vs io_uring reads of those
 *    files, 32 outstanding (on tmpfs io_uring hands buffered reads to its
 *    worker threads; peerdist.ko's cache has no such files, so on the
 *    kernel backend these two are left out): the best of three passes
 *    each, taken in turn, after what AddData wrote was written back.
 * Prints "NAME MB/s" lines for tests/bench/run. With --reads-only, AddData
 * only fills the cache and the reads are all that is measured (no SHA-256
 * or write reference): a second cache's BlockRead figures. With
 * --two-writers, two threads add alternate MiBs of the content at once,
 * each through its own handle, and that is all that is measured.
 * Usage: bench_api [--reads-only | --two-writers] DATA-FILE CI-FILE   (CI of DATA-FILE,
 * V1), with PEERDIST_CACHE_DIR set.
 */
#include <fcntl.h>
#include <glob.h>
#include <liburing.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <peerdist.h>

#define BLOCK	65536
#define DEPTH	32
#define ADD_CHUNK	(1 << 20)	/* as peerdist get hands over */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The file's bytes in memory, every page touched from user space first.
 * Pages that read() itself faults in are slow on their first touch from
 * user space afterwards (about 12 us a page measured on a Firecracker
 * guest: a plain loop summing them runs at ~350 MB/s, against ~20 GB/s
 * once touched), and whatever runs first over the buffer would pay that.
 */
static uint8_t *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	uint8_t *buf;
	size_t off;

	if (fd < 0 || fstat(fd, &st))
		exit(1);
	buf = malloc(st.st_size);
	if (!buf)
		exit(1);
	for (off = 0; off < (size_t)st.st_size; off += 4096)
		buf[off] = 1;	/* not memset(0): malloc + memset(0) may become calloc */
	if (read(fd, buf, st.st_size) != st.st_size)
		exit(1);
	close(fd);
	*len = st.st_size;
	return buf;
}

/* One stream of SHA-256 over 64 KiB blocks, the algorithm fetched once. */
static double sha256_reference(const uint8_t *data, size_t len)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[32];
	double t = now();
	size_t off;

	if (!md || !ctx)
		exit(1);
	for (off = 0; off < len; off += BLOCK) {
		EVP_DigestInit_ex(ctx, md, NULL);
		EVP_DigestUpdate(ctx, data + off, len - off < BLOCK ? len - off : BLOCK);
		EVP_DigestFinal_ex(ctx, d, NULL);
	}
	t = now() - t;
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return len / t / 1e6;
}

/*
 * The same bytes written 64 KiB at a time into a new file in the cache
 * directory, made while the cache still holds AddData's copy, so that its
 * pages are new ones as AddData's were (on a VM whose free memory the host
 * reclaims, a page's first touch costs more than copying into it).
 */
static double write_reference(const char *dir, const uint8_t *data, size_t len)
{
	char path[4096];
	double t;
	size_t off;
	int fd;

	snprintf(path, sizeof(path), "%s/bench-write-reference", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		exit(1);
	t = now();
	for (off = 0; off < len; off += BLOCK) {
		size_t n = len - off < BLOCK ? len - off : BLOCK;

		if (pwrite(fd, data + off, n, off) != (ssize_t)n)
			exit(1);
	}
	t = now() - t;
	close(fd);
	unlink(path);
	return len / t / 1e6;
}

/* Every file of fds (sizes lens), read 64 KiB at a time, 32 reads
 * outstanding across them: MB/s. */
static double io_uring_read_files(const int *fds, const size_t *lens, size_t nfiles)
{
	static uint8_t bufs[DEPTH][BLOCK];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	size_t f = 0, at = 0, k = 0, total = 0, done = 0;
	int inflight = 0;
	double t;

	for (f = 0; f < nfiles; f++)
		total += lens[f];
	io_uring_queue_init(DEPTH, &ring, 0);
	t = now();
	f = 0;
	while (done < total) {
		while (inflight < DEPTH && f < nfiles) {
			io_uring_prep_read(io_uring_get_sqe(&ring), fds[f],
					   bufs[k++ % DEPTH], BLOCK, at);
			at += BLOCK;
			if (at >= lens[f]) {
				f++;
				at = 0;
			}
			inflight++;
		}
		io_uring_submit_and_wait(&ring, 1);
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			if (cqe->res < 0)
				exit(1);
			done += cqe->res;
			inflight--;
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	t = now() - t;
	io_uring_queue_exit(&ring);
	return total / t / 1e6;
}

static double io_uring_reference(const char *path, size_t len)
{
	int fd = open(path, O_RDONLY);
	double rate;

	if (fd < 0)
		exit(1);
	rate = io_uring_read_files(&fd, &len, 1);
	close(fd);
	return rate;
}

/* The cache's segment files at dir, open, and their sizes; how many (0
 * for peerdist.ko's cache, which holds none there). */
static size_t open_cache_files(const char *dir, int **fds, size_t **lens)
{
	char pattern[4096];
	struct stat st;
	glob_t files;
	size_t f;
	int err;

	snprintf(pattern, sizeof(pattern), "%s/segments/*/data", dir);
	err = glob(pattern, 0, NULL, &files);
	if (err == GLOB_NOMATCH)
		return 0;
	if (err)
		exit(1);
	*fds = calloc(files.gl_pathc, sizeof(**fds));
	*lens = calloc(files.gl_pathc, sizeof(**lens));
	for (f = 0; *fds && *lens && f < files.gl_pathc; f++) {
		(*fds)[f] = open(files.gl_pathv[f], O_RDONLY);
		if ((*fds)[f] < 0 || fstat((*fds)[f], &st))
			exit(1);
		(*lens)[f] = st.st_size;
	}
	if (f < files.gl_pathc)
		exit(1);
	globfree(&files);
	return f;
}

static void close_cache_files(int *fds, size_t *lens, size_t n)
{
	while (n--)
		close(fds[n]);
	free(fds);
	free(lens);
}

/* Every segment file of the cache at dir, read whole 64 KiB at a time;
 * 0 when it has none. */
static double pread_reference(const char *dir)
{
	static uint8_t bufs[DEPTH][BLOCK];
	size_t *lens, f, k = 0, len = 0;
	int *fds;
	size_t n = open_cache_files(dir, &fds, &lens);
	double t = now();
	ssize_t got;

	if (!n)
		return 0;

	for (f = 0; f < n; f++)
		while ((got = read(fds[f], bufs[k++ % DEPTH], BLOCK)) > 0)
			len += got;
	t = now() - t;
	close_cache_files(fds, lens, n);
	return len / t / 1e6;
}

/* The same files through io_uring, 32 reads outstanding; 0 when none. */
static double io_uring_cache_reference(const char *dir)
{
	size_t *lens;
	int *fds;
	size_t n = open_cache_files(dir, &fds, &lens);
	double rate;

	if (!n)
		return 0;
	rate = io_uring_read_files(fds, lens, n);

	close_cache_files(fds, lens, n);
	return rate;
}

/* What AddData wrote, written back before the reads are timed: on a disk,
 * writeback would run alongside them. */
static void sync_cache(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || syncfs(fd))
		exit(1);
	close(fd);
}

static DWORD wait(HANDLE port, DWORD *bytes, LPOVERLAPPED *ov)
{
	ULONG_PTR key;

	return GetQueuedCompletionStatus(port, bytes, &key, ov, INFINITE) ?
		ERROR_SUCCESS : GetLastError();
}

/* One BlockRead of every block, 32 outstanding: MB/s, or -1. A read may
 * return fewer bytes (only some were in memory): each block is asked
 * once, and what came counts. */
static double blockread_pass(PEERDIST_INSTANCE_HANDLE pd, PEERDIST_CONTENT_HANDLE content,
			     HANDLE port, size_t len)
{
	static uint8_t bufs[DEPTH][BLOCK];
	static OVERLAPPED ovs[DEPTH];
	size_t next = 0, done = 0;
	int i, inflight = 0;
	LPOVERLAPPED got;
	double t = now();
	DWORD n;

	while (next < len || inflight) {
		while (inflight < DEPTH && next < len) {
			i = (next / BLOCK) % DEPTH;
			ovs[i] = (OVERLAPPED){ .Offset = (DWORD)next,
					       .OffsetHigh = (DWORD)((uint64_t)next >> 32) };
			if (PeerDistClientBlockRead(pd, content, BLOCK, bufs[i], 0,
						    &ovs[i]) != ERROR_IO_PENDING)
				return -1;
			next += BLOCK;
			inflight++;
		}
		if (wait(port, &n, &got)) {
			fprintf(stderr, "bench_api: BlockRead failed\n");
			return -1;
		}
		done += n;
		inflight--;
	}
	return done / (now() - t) / 1e6;
}

/* One more handle of the content, its content information complete:
 * 0, or -1. */
static int open_content(PEERDIST_INSTANCE_HANDLE pd, HANDLE port, const uint8_t *ci,
			size_t cilen, PEERDIST_CONTENT_HANDLE *content)
{
	PEERDIST_CONTENT_TAG tag = { "bench" };
	OVERLAPPED ov = { 0 };
	LPOVERLAPPED got;
	DWORD n;

	if (PeerDistClientOpenContent(pd, &tag, port, 0, content))
		return -1;
	PeerDistClientAddContentInformation(pd, *content, cilen, ci, &ov);
	if (wait(port, &n, &got))
		return -1;
	PeerDistClientCompleteContentInformation(pd, *content, &ov);
	return wait(port, &n, &got) ? -1 : 0;
}

/* AddData of every stride-th MiB of data from the first-th, one call at a
 * time, as peerdist get hands over what it fetched: 0, or -1. */
static int add_chunks(PEERDIST_INSTANCE_HANDLE pd, PEERDIST_CONTENT_HANDLE content,
		      HANDLE port, const uint8_t *data, size_t len, unsigned first,
		      unsigned stride)
{
	OVERLAPPED ov = { 0 };
	LPOVERLAPPED got;
	size_t off;
	DWORD n;

	for (off = (size_t)first * ADD_CHUNK; off < len; off += (size_t)stride * ADD_CHUNK) {
		size_t chunk = len - off < ADD_CHUNK ? len - off : ADD_CHUNK;

		ov.Offset = (DWORD)off;
		ov.OffsetHigh = (DWORD)((uint64_t)off >> 32);
		PeerDistClientAddData(pd, content, chunk, data + off, &ov);
		if (wait(port, &n, &got)) {
			fprintf(stderr, "bench_api: AddData failed\n");
			return -1;
		}
	}
	return 0;
}

/* One of the writers of --two-writers: its own handle and port. */
struct writer {
	PEERDIST_INSTANCE_HANDLE pd;
	const uint8_t *ci, *data;
	size_t cilen, len;
	unsigned first;
	pthread_barrier_t *start;
	int err;
};

static void *writer_run(void *arg)
{
	struct writer *w = arg;
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	PEERDIST_CONTENT_HANDLE content = NULL;

	w->err = open_content(w->pd, port, w->ci, w->cilen, &content);
	pthread_barrier_wait(w->start);
	if (!w->err)
		w->err = add_chunks(w->pd, content, port, w->data, w->len, w->first, 2);
	if (content)
		PeerDistClientCloseContent(w->pd, content);
	CloseHandle(port);
	return NULL;
}

/* Two threads adding alternate MiBs of the content at once, each through a
 * handle of its own: MB/s, or -1. */
static double two_writers(PEERDIST_INSTANCE_HANDLE pd, const uint8_t *ci, size_t cilen,
			  const uint8_t *data, size_t len)
{
	pthread_barrier_t start;
	struct writer w[2];
	pthread_t tid[2];
	unsigned i;
	double t;

	pthread_barrier_init(&start, NULL, 3);
	for (i = 0; i < 2; i++) {
		w[i] = (struct writer){ .pd = pd, .ci = ci, .cilen = cilen, .data = data,
					.len = len, .first = i, .start = &start };
		if (pthread_create(&tid[i], NULL, writer_run, &w[i]))
			exit(1);
	}
	pthread_barrier_wait(&start);
	t = now();
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	t = now() - t;
	pthread_barrier_destroy(&start);
	return w[0].err || w[1].err ? -1 : len / t / 1e6;
}

int main(int argc, char **argv)
{
	PEERDIST_INSTANCE_HANDLE pd;
	PEERDIST_CONTENT_HANDLE content;
	size_t len, cilen;
	uint8_t *data, *ci;
	HANDLE port;
	double t, rate, ref = 0, pread_ref = 0, uring_ref = 0, best = 0;
	int i, reads_only = argc > 1 && !strcmp(argv[1], "--reads-only");
	int writers = argc > 1 && !strcmp(argv[1], "--two-writers");

	argv += reads_only || writers;
	if (argc - (reads_only || writers) != 3 || !getenv("PEERDIST_CACHE_DIR"))
		return 2;
	data = slurp(argv[1], &len);
	ci = slurp(argv[2], &cilen);
	if (!reads_only && !writers)
		printf("sha256-reference %.0f\n", sha256_reference(data, len));

	if (PeerDistStartup(PEERDIST_VERSION, &pd, NULL))
		return 1;
	if (writers) {
		rate = two_writers(pd, ci, cilen, data, len);
		if (rate < 0)
			return 1;
		printf("adddata-2-writers %.0f\n", rate);
		PeerDistShutdown(pd);
		return 0;
	}
	port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	if (open_content(pd, port, ci, cilen, &content))
		return 1;

	t = now();
	if (add_chunks(pd, content, port, data, len, 0, 1))
		return 1;
	if (!reads_only)
		printf("adddata %.0f\n", len / (now() - t) / 1e6);
	sync_cache(getenv("PEERDIST_CACHE_DIR"));

	for (i = 0; i < 3; i++) {
		rate = io_uring_reference(argv[1], len);
		ref = rate > ref ? rate : ref;
		rate = pread_reference(getenv("PEERDIST_CACHE_DIR"));
		pread_ref = rate > pread_ref ? rate : pread_ref;
		rate = io_uring_cache_reference(getenv("PEERDIST_CACHE_DIR"));
		uring_ref = rate > uring_ref ? rate : uring_ref;
		rate = blockread_pass(pd, content, port, len);
		if (rate < 0)
			return 1;
		best = rate > best ? rate : best;
	}
	printf("io_uring-reference %.0f\n", ref);
	printf("blockread %.0f\n", best);
	if (pread_ref)
		printf("cache-files-pread-reference %.0f\n", pread_ref);
	if (uring_ref)
		printf("cache-files-io_uring-reference %.0f\n", uring_ref);
	if (!reads_only)
		printf("write-reference %.0f\n",
		       write_reference(getenv("PEERDIST_CACHE_DIR"), data, len));
	PeerDistClientCloseContent(pd, content);
	PeerDistShutdown(pd);
	CloseHandle(port);
	return 0;
}
