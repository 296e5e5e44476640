// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content information of a file: the V1 blocks or V2 segments of a regular
 * file are hashed on several threads (each is independent of the others),
 * reading the file with pread, or through mappings where a program enabled
 * them (mapped_read.h) and they measured faster; anything else (pipes,
 * stdin) goes through the streaming generator. The codec work is
 * proto/pccrc_gen.c's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bigbuf.h"
#include "chunker.h"
#include "cpus.h"
#include "digest.h"
#include "fileio.h"
#include "gen_file.h"
#include "mapped_read.h"
#include "sha256_mb.h"

#define BATCH_BLOCKS	PD_GEN_BATCH_BLOCKS
#define BATCH_BYTES	PD_GEN_BATCH_BYTES
/* V2 bytes chunked per round: per thread about a batch and a half of
 * segments, and on few threads what stays in cache (16 MiB windows on two
 * threads measured a third more CPU time than 4 MiB ones) */
#define V2_WINDOW_PER_THREAD	(2u << 20)
#define V2_WINDOW_MAX		(16u << 20)
#define THREADED_MIN	(8u << 20)		/* smaller files: one thread */

struct file_job {
	int fd;
	const struct pd_gen_opts *opts;
	struct pd_gen_out *out;
	size_t nunits;			/* V1 units of BATCH_BLOCKS blocks */
	size_t piece;			/* V1 bytes read at once */
	atomic_size_t next;
	atomic_int err;
	atomic_uint_fast64_t done;
	uint64_t total;
	pd_gen_progress_fn progress;	/* called on the caller's thread only */
	void *arg;
	pthread_t caller;
	uint64_t reported;		/* the last done given to progress */
};

static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	ssize_t n = pd_pread_full(fd, buf, len, off);

	if (n < 0)
		return n;
	return (size_t)n == len ? 0 : -EIO;	/* the file shrank while being hashed */
}

static void report(struct file_job *job)
{
	if (!job->progress || !pthread_equal(pthread_self(), job->caller))
		return;
	job->reported = atomic_load(&job->done);
	job->progress(job->reported, job->total, job->arg);
}

/* How one worker reads its units: copied by pread a piece at a time, or
 * mapped (pd_mapped_reads_enabled), whichever its first units measured
 * cheaper on this machine. Neither wins everywhere: on one guest the copy
 * out of the page cache took a third of the time hashing did and mapping
 * next to nothing, on another mapping cost 2 us a page and the copy a
 * sixth of hashing's time. */
enum { BY_PREAD, BY_MAP, READERS };
struct reader {
	uint8_t *buf;			/* for the pieces pread reads */
	unsigned trials;		/* units measured so far */
	double spent[READERS];		/* CPU seconds for the units measured */
};
#define WARM_UP		1	/* units read by pread before measuring */
#define TRIALS		4	/* then measured, taking turns */

static double thread_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct span {
	const struct file_job *job;
	uint8_t *out;
};

static void hash_mapped(const uint8_t *data, size_t len, void *arg)
{
	struct span *sp = arg;

	pd_gen_hash_v1_span(sp->job->opts->hash_alg, data, len, sp->out);
}

/* Hashes unit's bytes, off..off + len: mapped, or a piece at a time. */
static int hash_v1_unit(struct file_job *job, int use, uint8_t *buf,
			uint64_t off, size_t len, uint8_t *out)
{
	unsigned h = pd_digest_len(job->opts->hash_alg);
	struct span sp = { job, out };
	size_t at, piece;
	int err;

	if (use == BY_MAP)
		return pd_mapped_read(job->fd, off, len, hash_mapped, &sp);
	for (at = 0; at < len; at += piece) {
		piece = len - at < job->piece ? len - at : job->piece;
		err = pread_full(job->fd, buf, piece, off + at);
		if (err)
			return err;
		pd_gen_hash_v1_span(job->opts->hash_alg, buf, piece,
				    out + at / PD_BLOCK_SIZE * h);
	}
	return 0;
}

/* The reader for the next unit: by turns while measuring, then the one
 * that spent less. */
static int choose_reader(const struct reader *r)
{
	if (!pd_mapped_reads_enabled() || r->trials < WARM_UP)
		return BY_PREAD;
	if (r->trials < WARM_UP + TRIALS)
		return (r->trials - WARM_UP) % READERS;
	return r->spent[BY_MAP] < r->spent[BY_PREAD] ? BY_MAP : BY_PREAD;
}

static int read_unit(struct file_job *job, struct reader *r, uint64_t off,
		     size_t len, uint8_t *out)
{
	int use = choose_reader(r), err;
	double t = thread_seconds();

	err = hash_v1_unit(job, use, r->buf, off, len, out);
	if (r->trials < WARM_UP + TRIALS) {
		if (r->trials >= WARM_UP)
			r->spent[use] += thread_seconds() - t;
		r->trials++;
	}
	return err;
}

static void *v1_worker(void *arg)
{
	struct file_job *job = arg;
	struct reader r = { .buf = pd_bigbuf_alloc(job->piece) };
	unsigned h = pd_digest_len(job->opts->hash_alg);
	size_t unit;
	int err;

	if (!r.buf) {
		atomic_store(&job->err, -ENOMEM);
		return NULL;
	}
	while ((unit = atomic_fetch_add(&job->next, 1)) < job->nunits &&
	       !atomic_load(&job->err)) {
		uint64_t off = (uint64_t)unit * BATCH_BYTES;
		size_t len = job->out->length - off < BATCH_BYTES ?
			     job->out->length - off : BATCH_BYTES;

		err = read_unit(job, &r, off, len,
				job->out->hashes + (size_t)unit * BATCH_BLOCKS * h);
		if (err) {
			atomic_store(&job->err, err);
			break;
		}
		atomic_fetch_add(&job->done, len);
		report(job);
	}
	pd_bigbuf_free(r.buf, job->piece);
	return NULL;
}

/* The blocks are hashed into ci's own storage (contiguous), which the
 * output borrows. */
static int gen_file_v1(struct file_job *job, unsigned nthreads, struct pd_ci *ci)
{
	pthread_t tid[64];
	unsigned i, started = 0;

	job->out->nblocks = (job->out->length + PD_BLOCK_SIZE - 1) / PD_BLOCK_SIZE;
	job->out->hashes = ci->nsegments ? ci->segments[0].block_hashes : NULL;
	job->nunits = (job->out->length + BATCH_BYTES - 1) / BATCH_BYTES;
	/* As many blocks as the lanes hash together, so that they read them
	 * from L2 (or L3), where pread just put them. */
	job->piece = (size_t)pd_sha256_lanes() * PD_BLOCK_SIZE;
	for (i = 1; i < nthreads; i++)
		if (!pthread_create(&tid[started], NULL, v1_worker, job))
			started++;
	v1_worker(job);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return atomic_load(&job->err);
}

/*
 * One V2 window: its bytes, where its segments end, and where their hashes
 * go. Two windows alternate: while threads hash one, the caller reads the
 * next, then cuts it while it hashes its share of the first.
 */
struct v2_window {
	uint8_t *buf;
	size_t *ends;		/* ends[i] = end of segment i - 1; ends[0] = 0 */
	size_t nseg;
	uint8_t *hashes;
	atomic_size_t next;
	pthread_t tid[63];
	unsigned nworkers;
};

/* Hashes the window's batches no one has taken; cutting along with cut. */
static void v2_hash_batches(struct v2_window *w, struct pd_chunk_cursor *cut)
{
	size_t i;

	while ((i = atomic_fetch_add(&w->next, PD_GEN_V2_BATCH)) < w->nseg)
		pd_gen_hash_v2_cut(w->buf, w->ends + i,
				   w->nseg - i < PD_GEN_V2_BATCH ?
				   w->nseg - i : PD_GEN_V2_BATCH,
				   w->hashes + i * 32, cut);
}

static void *v2_hash_window(void *arg)
{
	v2_hash_batches(arg, NULL);
	return NULL;
}

static void v2_start(struct v2_window *w, unsigned nworkers)
{
	unsigned i;

	atomic_store(&w->next, 0);
	w->nworkers = 0;
	for (i = 0; i < nworkers && i < 63; i++)
		if (!pthread_create(&w->tid[w->nworkers], NULL, v2_hash_window, w))
			w->nworkers++;
}

static void v2_join(struct v2_window *w)
{
	unsigned i;

	for (i = 0; i < w->nworkers; i++)
		pthread_join(w->tid[i], NULL);
	w->nworkers = 0;
}

static void v2_finish(struct v2_window *w)
{
	v2_hash_batches(w, NULL);
	v2_join(w);
}

/*
 * Cuts cur's len bytes into cur->ends (a tail left when not final). With
 * a busy window, its cutting rides along the caller's share of busy's
 * hashing (chunking is general-register work, SHA-512's lanes vector
 * work: the core does both at once), then the rest of it while the
 * workers end.
 */
static void v2_cut(struct v2_window *cur, size_t len, int final, struct v2_window *busy)
{
	struct pd_chunk_cursor cut;

	pd_chunk_cursor_init(&cut, cur->buf, len, final, cur->ends);
	if (busy)
		v2_hash_batches(busy, &cut);
	pd_chunk_cursor_finish(&cut);
	cur->nseg = cut.nseg;
	if (busy)
		v2_join(busy);
}

/* Appends the window's segments to the output; no hashing may be running. */
static int v2_claim(struct pd_gen_out *out, struct v2_window *w)
{
	int err = pd_gen_out_reserve(out, w->nseg, 32, 1);
	size_t i;

	if (err)
		return err;
	for (i = 0; i < w->nseg; i++)
		out->sizes[out->nblocks + i] = w->ends[i + 1] - w->ends[i];
	w->hashes = out->hashes + out->nblocks * 32;
	out->nblocks += w->nseg;
	return 0;
}

static int gen_file_v2(struct file_job *job, unsigned nthreads)
{
	struct v2_window win[2] = { 0 }, *cur = &win[0], *busy = NULL;
	uint64_t pos = 0, length = job->out->length;
	size_t have = 0, size = nthreads < V2_WINDOW_MAX / V2_WINDOW_PER_THREAD ?
				nthreads * V2_WINDOW_PER_THREAD : V2_WINDOW_MAX;
	int i, err = 0;

	for (i = 0; i < 2; i++) {
		win[i].buf = pd_bigbuf_alloc(size);
		win[i].ends = malloc((size / PD_CHUNK_MIN + 2) * sizeof(size_t));
		if (!win[i].buf || !win[i].ends)
			err = -ENOMEM;
	}
	while (!err && (have || pos < length)) {
		size_t want = size - have, tail;

		if (want > length - pos)
			want = length - pos;
		err = pread_full(job->fd, cur->buf + have, want, pos);
		if (err)
			break;
		pos += want;
		have += want;
		v2_cut(cur, have, pos == length, busy);
		if (busy)
			report(job);
		err = v2_claim(job->out, cur);
		if (err)
			break;
		v2_start(cur, nthreads - 1);
		atomic_fetch_add(&job->done, cur->ends[cur->nseg]);
		tail = have - cur->ends[cur->nseg];
		busy = cur;
		cur = cur == &win[0] ? &win[1] : &win[0];
		memcpy(cur->buf, busy->buf + busy->ends[busy->nseg], tail);
		have = tail;
	}
	if (busy) {
		v2_finish(busy);
		report(job);
	}
	for (i = 0; i < 2; i++) {
		pd_bigbuf_free(win[i].buf, size);
		free(win[i].ends);
	}
	return err;
}

static unsigned thread_count(const struct pd_gen_opts *opts, uint64_t length)
{
	if (length < THREADED_MIN)
		return 1;
	if (opts->threads)
		return opts->threads > 64 ? 64 : opts->threads;
	return pd_usable_cpus(64);
}

static int gen_stream(int fd, const struct pd_gen_opts *opts,
		      struct pd_ci **out)
{
	struct pd_gen *g = pd_gen_new(opts);
	uint8_t *buf = malloc(BATCH_BYTES);
	int err = g && buf ? 0 : -ENOMEM;
	ssize_t n;

	while (!err && (n = read(fd, buf, BATCH_BYTES)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		err = n < 0 ? -errno : pd_gen_update(g, buf, n);
	}
	if (!err)
		err = pd_gen_final(g, out);
	free(buf);
	pd_gen_free(g);
	return err;
}

int pd_gen_fd(int fd, const struct pd_gen_opts *opts,
	      pd_gen_progress_fn progress, void *arg, struct pd_ci **out)
{
	struct pd_gen_out o = { 0 };
	struct file_job job = {
		.fd = fd, .opts = opts, .out = &o,
		.progress = progress, .arg = arg, .caller = pthread_self(),
	};
	struct pd_ci *ci = NULL;
	struct stat st;
	int err;

	if (!opts || !pd_gen_opts_valid(opts))
		return -EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return gen_stream(fd, opts, out);
	o.length = st.st_size;
	job.total = o.length;
	if (opts->version == 1) {
		/* its layout follows from the length: no copy of the hashes
		 * (half a megabyte per GiB, and as many first touches) */
		ci = pd_gen_ci_alloc(opts, &o);
		err = ci ? gen_file_v1(&job, thread_count(opts, o.length), ci) : -ENOMEM;
	} else {
		err = gen_file_v2(&job, thread_count(opts, o.length));
		if (!err && !(ci = pd_gen_ci_alloc(opts, &o)))
			err = -ENOMEM;
	}
	/* The last unit may have been another thread's: the end is told here. */
	if (!err && job.reported != job.total)
		report(&job);
	if (!err)
		err = pd_gen_ci_fill(opts, &o, ci);
	if (err)
		pd_ci_free(ci);
	else
		*out = ci;
	if (opts->version != 1)
		free(o.hashes);		/* V1's are ci's */
	free(o.sizes);
	return err;
}
