// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content-information generation. Both versions reduce to a list of
 * segments and, per block, its hash: V1's layout follows from the content
 * length alone (32 MiB segments of 64 KiB blocks), V2's from the chunker.
 * The streaming path buffers at most one batch of V1 blocks or one window
 * of V2 data; the file path hashes blocks (V1) or segments (V2) on several
 * threads, since each is independent of the others.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chunker.h"
#include "cpus.h"
#include "digest.h"
#include "pccrc_gen.h"
#include "sha256_mb.h"
#include "sha512_mb.h"

#define BATCH_BLOCKS	12			/* a multiple of the 3 SHA-NI lanes */
#define BATCH_BYTES	(BATCH_BLOCKS * PD_BLOCK_SIZE)
#define V2_WINDOW	(16u << 20)		/* V2 bytes chunked per round */
#define V2_STREAM_BYTES	(16 * PD_CHUNK_MAX)	/* V2 bytes the stream path buffers */
#define V2_BATCH	16			/* segments hashed together */
#define THREADED_MIN	(8u << 20)		/* smaller files: one thread */

/* What generation accumulates: per block a hash, per V2 segment a size. */
struct gen_out {
	uint64_t length;
	size_t nblocks;
	size_t cap;
	uint8_t *hashes;
	uint32_t *sizes;	/* V2 only */
};

struct pd_gen {
	struct pd_gen_opts opts;
	unsigned hash_len;
	struct gen_out out;
	uint8_t *buf;
	size_t buf_len;
	size_t buf_cap;
};

static int out_reserve(struct gen_out *o, size_t more, unsigned h, int v2)
{
	size_t cap = o->cap ? o->cap : 64;
	uint8_t *hashes;
	uint32_t *sizes;

	if (o->nblocks + more <= o->cap)
		return 0;
	while (cap < o->nblocks + more)
		cap *= 2;
	hashes = realloc(o->hashes, cap * h);
	if (!hashes)
		return -ENOMEM;
	o->hashes = hashes;
	if (v2) {
		sizes = realloc(o->sizes, cap * sizeof(*sizes));
		if (!sizes)
			return -ENOMEM;
		o->sizes = sizes;
	}
	o->cap = cap;
	return 0;
}

/* Hashes n whole V1 blocks at data into out. */
static void hash_v1_blocks(unsigned alg, const uint8_t *data, size_t n,
			   uint8_t *out)
{
	const uint8_t *msgs[BATCH_BLOCKS];
	size_t i, h = pd_digest_len(alg);

	if (alg != PD_HASH_SHA256) {
		for (i = 0; i < n; i++)
			pd_digest(alg, data + i * PD_BLOCK_SIZE, PD_BLOCK_SIZE,
				  out + i * h);
		return;
	}
	while (n) {
		size_t k = n < BATCH_BLOCKS ? n : BATCH_BLOCKS;

		for (i = 0; i < k; i++)
			msgs[i] = data + i * PD_BLOCK_SIZE;
		pd_sha256_many(msgs, k, PD_BLOCK_SIZE, (uint8_t (*)[32])out);
		data += k * PD_BLOCK_SIZE;
		out += k * 32;
		n -= k;
	}
}

/* Hashes V1 content bytes data[0..len) (whole blocks but the last). */
static void hash_v1_span(unsigned alg, const uint8_t *data, size_t len,
			 uint8_t *out)
{
	size_t full = len / PD_BLOCK_SIZE, h = pd_digest_len(alg);

	hash_v1_blocks(alg, data, full, out);
	if (len % PD_BLOCK_SIZE)
		pd_digest(alg, data + full * PD_BLOCK_SIZE, len % PD_BLOCK_SIZE,
			  out + full * h);
}

static int fill_segment(const struct pd_gen_opts *opts, struct pd_ci_segment *seg)
{
	unsigned alg = opts->version == 1 ? opts->hash_alg : PD_HASH_V2_SHA512_TRUNC;
	unsigned h = pd_digest_len(alg);

	if (opts->version == 1 &&
	    pd_digest(alg, seg->block_hashes, (size_t)seg->nblocks * h, seg->hod))
		return -EINVAL;
	if (opts->version == 2)
		memcpy(seg->hod, seg->block_hashes, h);
	return pd_key_kp(alg, opts->ks, seg->hod, seg->kp) ? -EINVAL : 0;
}

/* Builds the content-information object from the accumulated hashes. */
static int build_ci(const struct pd_gen_opts *opts, const struct gen_out *o,
		    struct pd_ci **out)
{
	unsigned alg = opts->version == 1 ? opts->hash_alg : PD_HASH_V2_SHA512_TRUNC;
	unsigned h = pd_digest_len(alg);
	uint32_t nseg, i, *nblocks = NULL;
	const uint8_t *hash = o->hashes;
	uint64_t offset = 0;
	struct pd_ci *ci;
	int err = 0;

	if (opts->version == 1) {
		nseg = (o->length + PD_SEGMENT_SIZE - 1) / PD_SEGMENT_SIZE;
		nblocks = malloc((nseg ? nseg : 1) * sizeof(*nblocks));
		if (!nblocks)
			return -ENOMEM;
		for (i = 0; i < nseg; i++) {
			uint64_t left = o->length - (uint64_t)i * PD_SEGMENT_SIZE;
			uint64_t size = left < PD_SEGMENT_SIZE ? left : PD_SEGMENT_SIZE;

			nblocks[i] = (size + PD_BLOCK_SIZE - 1) / PD_BLOCK_SIZE;
		}
	} else {
		nseg = o->nblocks;
	}
	ci = pd_ci_alloc(opts->version, alg, nseg, nblocks);
	free(nblocks);
	if (!ci)
		return -ENOMEM;
	for (i = 0; i < nseg && !err; i++) {
		struct pd_ci_segment *seg = &ci->segments[i];

		seg->offset = offset;
		if (opts->version == 1) {
			uint64_t left = o->length - offset;

			seg->size = left < PD_SEGMENT_SIZE ? left : PD_SEGMENT_SIZE;
			seg->block_size = PD_BLOCK_SIZE;
		} else {
			seg->size = o->sizes[i];
			seg->block_size = seg->size;
		}
		memcpy(seg->block_hashes, hash, (size_t)seg->nblocks * h);
		hash += (size_t)seg->nblocks * h;
		offset += seg->size;
		err = fill_segment(opts, seg);
	}
	if (err) {
		pd_ci_free(ci);
		return err;
	}
	*out = ci;
	return 0;
}

static int valid_opts(const struct pd_gen_opts *opts)
{
	if (opts->version == 1)
		return pd_hash_len(1, opts->hash_alg) != 0;
	return opts->version == 2;
}

struct pd_gen *pd_gen_new(const struct pd_gen_opts *opts)
{
	struct pd_gen *g;

	if (!opts || !valid_opts(opts))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->opts = *opts;
	g->hash_len = opts->version == 1 ? pd_digest_len(opts->hash_alg) : 32;
	g->buf_cap = opts->version == 1 ? BATCH_BYTES : V2_STREAM_BYTES;
	g->buf = malloc(g->buf_cap);
	if (!g->buf) {
		free(g);
		return NULL;
	}
	return g;
}

void pd_gen_free(struct pd_gen *g)
{
	if (!g)
		return;
	free(g->out.hashes);
	free(g->out.sizes);
	free(g->buf);
	free(g);
}

/* Hashes the buffered V1 blocks (all of it when final). */
static int flush_v1(struct pd_gen *g, int final)
{
	size_t n = final ? (g->buf_len + PD_BLOCK_SIZE - 1) / PD_BLOCK_SIZE :
			   g->buf_len / PD_BLOCK_SIZE;
	int err = out_reserve(&g->out, n, g->hash_len, 0);

	if (err)
		return err;
	hash_v1_span(g->opts.hash_alg, g->buf, final ? g->buf_len :
		     n * PD_BLOCK_SIZE, g->out.hashes + g->out.nblocks * g->hash_len);
	g->out.nblocks += n;
	g->buf_len = 0;
	return 0;
}

/* Hashes the V2 segments of buf that end at ends[1..n] (ends[0] = 0). */
static void hash_v2_segments(const uint8_t *buf, const size_t *ends, size_t n,
			     uint8_t *out)
{
	const uint8_t *msgs[V2_BATCH];
	size_t lens[V2_BATCH], i, k;

	for (i = 0; i < n; i += k) {
		for (k = 0; k < V2_BATCH && i + k < n; k++) {
			msgs[k] = buf + ends[i + k];
			lens[k] = ends[i + k + 1] - ends[i + k];
		}
		pd_sha512_many(msgs, lens, k, out + i * 32, 32);
	}
}

/* Cuts and hashes V2 segments from the buffer while a cut is decidable. */
static int flush_v2(struct pd_gen *g, int final)
{
	size_t ends[V2_STREAM_BYTES / PD_CHUNK_MIN + 2], n = 0, i;
	int err;

	ends[0] = 0;
	while (g->buf_len - ends[n] >= (final ? 1 : PD_CHUNK_MAX)) {
		ends[n + 1] = ends[n] + pd_chunk_next(g->buf + ends[n],
						      g->buf_len - ends[n], final);
		n++;
	}
	err = out_reserve(&g->out, n, 32, 1);
	if (err)
		return err;
	hash_v2_segments(g->buf, ends, n, g->out.hashes + g->out.nblocks * 32);
	for (i = 0; i < n; i++)
		g->out.sizes[g->out.nblocks++] = ends[i + 1] - ends[i];
	memmove(g->buf, g->buf + ends[n], g->buf_len - ends[n]);
	g->buf_len -= ends[n];
	return 0;
}

static int flush(struct pd_gen *g, int final)
{
	return g->opts.version == 1 ? flush_v1(g, final) : flush_v2(g, final);
}

int pd_gen_update(struct pd_gen *g, const void *data, size_t len)
{
	const uint8_t *p = data;
	int err;

	while (len) {
		size_t n = g->buf_cap - g->buf_len;

		if (n > len)
			n = len;
		memcpy(g->buf + g->buf_len, p, n);
		g->buf_len += n;
		g->out.length += n;
		p += n;
		len -= n;
		if (g->buf_len == g->buf_cap) {
			err = flush(g, 0);
			if (err)
				return err;
		}
	}
	return 0;
}

int pd_gen_final(struct pd_gen *g, struct pd_ci **out)
{
	int err = flush(g, 1);

	return err ? err : build_ci(&g->opts, &g->out, out);
}

/* ---- the file path: several threads over a seekable file ---- */

struct file_job {
	int fd;
	const struct pd_gen_opts *opts;
	struct gen_out *out;
	size_t nunits;			/* V1 units of BATCH_BLOCKS blocks */
	atomic_size_t next;
	atomic_int err;
	atomic_uint_fast64_t done;
	uint64_t total;
	pd_gen_progress_fn progress;	/* called on the caller's thread only */
	void *arg;
	pthread_t caller;
};

static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* the file shrank while being hashed */
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

static void report(struct file_job *job)
{
	if (job->progress && pthread_equal(pthread_self(), job->caller))
		job->progress(atomic_load(&job->done), job->total, job->arg);
}

static void *v1_worker(void *arg)
{
	struct file_job *job = arg;
	uint8_t *buf = malloc(BATCH_BYTES);
	unsigned h = pd_digest_len(job->opts->hash_alg);
	size_t unit;
	int err;

	if (!buf) {
		atomic_store(&job->err, -ENOMEM);
		return NULL;
	}
	while ((unit = atomic_fetch_add(&job->next, 1)) < job->nunits &&
	       !atomic_load(&job->err)) {
		uint64_t off = (uint64_t)unit * BATCH_BYTES;
		size_t len = job->out->length - off < BATCH_BYTES ?
			     job->out->length - off : BATCH_BYTES;

		err = pread_full(job->fd, buf, len, off);
		if (err) {
			atomic_store(&job->err, err);
			break;
		}
		hash_v1_span(job->opts->hash_alg, buf, len,
			     job->out->hashes + (size_t)unit * BATCH_BLOCKS * h);
		atomic_fetch_add(&job->done, len);
		report(job);
	}
	free(buf);
	return NULL;
}

static int gen_file_v1(struct file_job *job, unsigned nthreads)
{
	unsigned h = pd_digest_len(job->opts->hash_alg);
	size_t nblocks = (job->out->length + PD_BLOCK_SIZE - 1) / PD_BLOCK_SIZE;
	pthread_t tid[64];
	unsigned i, started = 0;
	int err = out_reserve(job->out, nblocks, h, 0);

	if (err)
		return err;
	job->out->nblocks = nblocks;
	job->nunits = (job->out->length + BATCH_BYTES - 1) / BATCH_BYTES;
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
 * go. Two windows alternate: while threads hash one, the caller reads and
 * cuts the next, then helps to finish the first.
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

static void *v2_hash_window(void *arg)
{
	struct v2_window *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, V2_BATCH)) < w->nseg)
		hash_v2_segments(w->buf, w->ends + i,
				 w->nseg - i < V2_BATCH ? w->nseg - i : V2_BATCH,
				 w->hashes + i * 32);
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

static void v2_finish(struct v2_window *w)
{
	unsigned i;

	v2_hash_window(w);
	for (i = 0; i < w->nworkers; i++)
		pthread_join(w->tid[i], NULL);
	w->nworkers = 0;
}

/* Cuts buf[0..len) into w->ends; leaves a tail when not final. */
static void v2_cut(struct v2_window *w, size_t len, int final)
{
	size_t done = 0;

	w->nseg = 0;
	w->ends[0] = 0;
	while (len - done >= (final ? 1 : PD_CHUNK_MAX)) {
		done += pd_chunk_next(w->buf + done, len - done, final);
		w->ends[++w->nseg] = done;
	}
}

/* Appends the window's segments to the output; no hashing may be running. */
static int v2_claim(struct gen_out *out, struct v2_window *w)
{
	int err = out_reserve(out, w->nseg, 32, 1);
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
	size_t have = 0;
	int i, err = 0;

	for (i = 0; i < 2; i++) {
		win[i].buf = malloc(V2_WINDOW);
		win[i].ends = malloc((V2_WINDOW / PD_CHUNK_MIN + 2) * sizeof(size_t));
		if (!win[i].buf || !win[i].ends)
			err = -ENOMEM;
	}
	while (!err && (have || pos < length)) {
		size_t want = V2_WINDOW - have, tail;

		if (want > length - pos)
			want = length - pos;
		err = pread_full(job->fd, cur->buf + have, want, pos);
		if (err)
			break;
		pos += want;
		have += want;
		v2_cut(cur, have, pos == length);
		if (busy) {
			v2_finish(busy);
			report(job);
		}
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
		free(win[i].buf);
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
	struct gen_out o = { 0 };
	struct file_job job = {
		.fd = fd, .opts = opts, .out = &o,
		.progress = progress, .arg = arg, .caller = pthread_self(),
	};
	struct stat st;
	int err;

	if (!opts || !valid_opts(opts))
		return -EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return gen_stream(fd, opts, out);
	o.length = st.st_size;
	job.total = o.length;
	if (opts->version == 1)
		err = gen_file_v1(&job, thread_count(opts, o.length));
	else
		err = gen_file_v2(&job, thread_count(opts, o.length));
	if (!err)
		err = build_ci(opts, &o, out);
	free(o.hashes);
	free(o.sizes);
	return err;
}
