// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The read engine: one thread per instance that owns an io_uring. Block and
 * stream reads queue here; a read whose bytes are in the store becomes an
 * io_uring read of the segment's data file straight into the caller's
 * buffer, and completes onto its OVERLAPPED (port, event) as soon as any
 * bytes arrived; a read that misses waits, until its timeout, for blocks
 * that any process adds to the store (the store's inotify descriptor is
 * polled through the same ring). Stream reads of one content run one at a
 * time, in the order they were issued, since each starts where the last
 * ended.
 *
 * A read that misses with a timeout also asks the fetcher (fetch.c) for
 * the block from peers on the LAN; the block it brings lands in the store
 * and wakes the read like a local add. A read whose block only distrusted
 * peers have ends with PEERDIST_ERROR_TRUST_FAILURE; otherwise a miss
 * waits for peers or local adds until its timeout.
 *
 * Bytes a read returns count as read from the cache (counters.h) unless
 * this content handle found their block missing (or added it): those were
 * counted where they came in, by the fetcher or AddData.
 *
 * A block read of bytes in memory is not queued at all: the caller's
 * thread reads them, as the 0-byte query does. Handing a read to the
 * engine thread and its completion back costs two wake-ups across
 * threads, more than copying 64 KiB; only what may wait (a miss, pages not
 * in memory) goes there. Where the completion goes to a port that only
 * GetQueuedCompletionStatus waits on, the read is put off into a batch
 * (up to PD_STORE_READS_AT_ONCE), done when a wait on the port (or an
 * OVERLAPPED) would sleep or when the batch is full: reads of blocks in a
 * row are then one call into the kernel, where each costs about a
 * microsecond in a guest like the ones this runs on. For a caller that
 * waits otherwise (polls HasOverlappedIoCompleted), the engine watches
 * while reads are put off, waking every FLUSH_AFTER_NS to do a batch that
 * waited that long; a wake-up per batch instead would cost the caller more
 * than the batch saves. Otherwise (an event, a poll fd, a thread asleep on
 * the port) the read completes before BlockRead returns.
 */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "fetch.h"
#include "fileio.h"

#define RING_ENTRIES	64
#define TAG_WAKE	1
#define TAG_STORE	2
#define MISSING_SCAN_BLOCKS	4096	/* bound on describing a missing range */
#define FETCH_AHEAD_BLOCKS	8
#define FLUSH_AFTER_NS	1000000	/* longest a read put off waits for no wait */

struct read_op {
	struct read_op *next;
	struct pd_content *c;	/* holds a reference */
	LPOVERLAPPED ov;
	PBYTE buf;
	DWORD cb;
	int stream;
	uint64_t offset;	/* block reads: asked; stream: set at start */
	int64_t deadline;	/* CLOCK_MONOTONIC ns; 0: local cache only */
	int fd;			/* a block's own fd (closed when read), or -1 */
	int missed;		/* its content fd read missed (ENODATA) */
	int aborted;		/* cancelled while in the ring */
	unsigned missed_at;	/* adds the engine had seen when it was read */
};

struct pd_engine {
	struct pd_instance *inst;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t idle;		/* signaled when reads leave io_uring */
	struct read_op *waiting;	/* FIFO, under lock */
	struct read_op *flying;		/* in the ring, under lock */
	struct io_uring ring;		/* engine thread only */
	int wake_fd;
	struct pd_fetcher *fetcher;	/* started at the first miss, under lock */
	int fetch_off;			/* PEERDIST_DISCOVERY=off, or it failed */
	int stop;			/* under lock */
	unsigned adds_seen;		/* store wake-ups seen, under lock */
	int status_news;		/* the store told of a status change */
	void (*status_news_fn)(struct pd_instance *inst);
	int in_flight;			/* reads in the ring, under lock */
	unsigned walk;
	struct read_op batch[PD_STORE_READS_AT_ONCE];	/* put off, under lock */
	unsigned nbatch;
	int64_t batch_since;		/* when its first read was put off */
	int watching;			/* the engine wakes for the batch, under lock */
	int deferred_lately;		/* a read was put off since it looked */
	struct pd_engine *next_engine;	/* under engines_lock */
};

/* Every running engine, for a wait that does the reads put off. */
static pthread_mutex_t engines_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pd_engine *engines;
static unsigned deferred_reads;	/* in every batch (atomic) */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int pd_content_locate(const struct pd_content *c, uint64_t off, uint32_t *seg,
		      uint32_t *block)
{
	const struct pd_ci *ci = c->ci;
	uint32_t lo;

	if (!ci || !ci->nsegments || off < ci->segments[0].offset)
		return -1;
	lo = pd_ci_segment_at(ci, off);
	if (off >= ci->segments[lo].offset + ci->segments[lo].size)
		return -1;
	*seg = lo;
	*block = (off - ci->segments[lo].offset) / ci->segments[lo].block_size;
	return 0;
}

static int block_present_in(struct pd_store *st, const struct pd_content *c,
			    uint32_t s, uint32_t b)
{
	return st->ops->has_block(st, c->ids[s], c->ci->hash_len, b) == 1;
}

static int block_present(struct pd_instance *inst, const struct pd_content *c,
			 uint32_t s, uint32_t b)
{
	return block_present_in(inst->store, c, s, b);
}

int pd_engine_track(struct pd_content *c, const struct pd_ci *ci)
{
	uint32_t s, total = 0;

	free(c->first_block);
	free(c->brought);
	c->first_block = malloc((ci->nsegments ? ci->nsegments : 1) * sizeof(uint32_t));
	for (s = 0; c->first_block && s < ci->nsegments; s++) {
		c->first_block[s] = total;
		total += ci->segments[s].nblocks;
	}
	c->brought = calloc(total / 8 + 1, 1);
	return c->first_block && c->brought ? 0 : -ENOMEM;
}

void pd_engine_brought(struct pd_content *c, uint32_t s, uint32_t b, uint32_t n)
{
	uint32_t i = c->first_block[s] + b;

	for (; n--; i++)
		__atomic_fetch_or(&c->brought[i / 8], 1u << (i % 8), __ATOMIC_RELAXED);
}

/* n bytes of block b of segment s read: from the cache, unless this
 * handle brought the block (it was missing when a read looked). */
static void count_read(struct pd_instance *inst, struct pd_content *c, uint32_t s,
		       uint32_t b, uint64_t n)
{
	uint32_t i = c->first_block[s] + b;

	if (!(__atomic_load_n(&c->brought[i / 8], __ATOMIC_RELAXED) & (1u << (i % 8))))
		pd_store_count(inst->store, PD_COUNT_READ_FROM_CACHE, n);
}

/*
 * Bytes from off on that are present (want 1) or missing (want 0) in a
 * row, up to the end of the range; missing runs are described up to a
 * bound so that describing one stays cheap.
 */
static uint64_t run_length(struct pd_instance *inst, const struct pd_content *c,
			   uint64_t off, int want)
{
	uint64_t end = off;
	uint32_t s, b, scanned = 0;

	while (end < c->range.end && !pd_content_locate(c, end, &s, &b) &&
	       block_present(inst, c, s, b) == want &&
	       (want || scanned++ < MISSING_SCAN_BLOCKS)) {
		struct pd_range r = pd_ci_block_range(c->ci, s, b);

		end = r.end;
	}
	return end - off;
}

/* Completes op, held (not freed: a batch holds its ops in place). */
static void end_held(const struct read_op *op, DWORD status, DWORD bytes,
		     uint64_t off)
{
	struct pd_content *c = op->c;

	pd_ov_set_offset(op->ov, off);
	pd_overlapped_complete(op->ov, status, bytes, c->child.port, c->child.key);
	pd_child_release(&c->child);
}

static void finish(struct read_op *op, DWORD status, DWORD bytes, uint64_t off)
{
	end_held(op, status, bytes, off);
	free(op);
}

static void finish_missing(struct pd_engine *e, struct read_op *op,
			   uint64_t off, DWORD status)
{
	uint64_t len = run_length(e->inst, op->c, off, 0);

	finish(op, status, len > UINT32_MAX ? UINT32_MAX : len, off);
}

enum start_result { STARTED, DONE, WAIT };

static void wake(struct pd_engine *e);
static void flush_batch(struct pd_engine *e);

static void wake_cb(void *e)
{
	wake(e);
}

/*
 * Lock contract: e->lock held. Asks peers for block b of segment s of c,
 * and for the next FETCH_AHEAD_BLOCKS missing blocks after it, across
 * segments (readers go on reading: asking ahead is what lets several
 * requests, and several V2 segments' probes, run at once).
 */
static enum pd_fetch_state ask_peers(struct pd_engine *e, struct pd_content *c,
				     uint32_t s, uint32_t b)
{
	struct pd_fetch_config cfg;
	struct pd_segment_desc d;
	enum pd_fetch_state st;
	unsigned ahead = 0, looked = 0;

	if (!e->fetcher && !e->fetch_off) {
		e->fetch_off = !pd_fetch_config_from_env(&cfg) ||
			       pd_fetcher_start(e->inst->store, &cfg, wake_cb, e,
						&e->fetcher);
	}
	if (!e->fetcher)
		return PD_FETCH_NO_PEER;
	pd_segment_desc_from_ci(c->ci, s, &d);
	st = pd_fetch_block(e->fetcher, &d, b);
	while (ahead < FETCH_AHEAD_BLOCKS && looked++ < 8 * FETCH_AHEAD_BLOCKS) {
		if (++b == d.nblocks) {
			if (++s == c->ci->nsegments)
				break;
			pd_segment_desc_from_ci(c->ci, s, &d);
			b = 0;
		}
		if (!block_present(e->inst, c, s, b)) {
			pd_engine_brought(c, s, b, 1);
			pd_fetch_block(e->fetcher, &d, b);
			ahead++;
		}
	}
	return st;
}

void pd_engine_added(struct pd_engine *e, const struct pd_content *c, uint32_t s,
		     uint32_t n)
{
	struct pd_segment_desc d;

	pd_segment_desc_from_ci(c->ci, s, &d);
	pthread_mutex_lock(&e->lock);
	if (e->fetcher)
		pd_fetch_added(e->fetcher, &d, n);
	pthread_mutex_unlock(&e->lock);
}

/*
 * Lock contract: e->lock held. The read of op at off missed block b of
 * segment s: it ends (no timeout, or timed out, or only distrusted peers
 * have the block) or waits, having asked peers.
 */
static enum start_result missed(struct pd_engine *e, struct read_op *op,
				uint64_t off, uint32_t s, uint32_t b)
{
	pd_engine_brought(op->c, s, b, 1);	/* whatever brings it, not the cache */
	if (!op->deadline) {
		finish_missing(e, op, off, PEERDIST_ERROR_MISSING_DATA);
		return DONE;
	}
	if (now_ns() >= op->deadline) {
		finish_missing(e, op, off, ERROR_TIMEOUT);
		return DONE;
	}
	if (ask_peers(e, op->c, s, b) == PD_FETCH_TRUST_FAILURE) {
		finish_missing(e, op, off, PEERDIST_ERROR_TRUST_FAILURE);
		return DONE;
	}
	return WAIT;
}

/* Lock contract: e->lock held. Starts, finishes or keeps op waiting. */
static enum start_result try_start(struct pd_engine *e, struct read_op *op)
{
	struct pd_content *c = op->c;
	struct pd_store *st = e->inst->store;
	struct pd_block_loc loc = { .fd = -1 };
	struct io_uring_sqe *sqe;
	struct pd_range r;
	uint64_t off = op->stream ? c->stream_pos : op->offset, len;
	uint32_t s, b;

	if (off < c->range.start || off >= c->range.end ||
	    pd_content_locate(c, off, &s, &b)) {
		finish(op, PEERDIST_ERROR_NO_MORE, 0, off);
		return DONE;
	}
	if (c->content_fd >= 0 && op->cb) {	/* a 0-byte query asks the store */
		/* A content fd read that missed is tried again after an add. */
		if (op->missed && op->missed_at == e->adds_seen)
			return missed(e, op, off, s, b);
	} else if (st->ops->locate_block(st, c->ids[s], c->ci->hash_len, b, &loc)) {
		return missed(e, op, off, s, b);
	}
	sqe = io_uring_get_sqe(&e->ring);
	if (!sqe) {
		if (loc.fd >= 0)
			close(loc.fd);
		return WAIT;	/* the ring is full: next pass */
	}
	r = pd_ci_block_range(c->ci, s, b);
	len = r.end - off < op->cb ? r.end - off : op->cb;
	op->fd = loc.fd;
	op->offset = off;
	op->missed_at = e->adds_seen;	/* an add seen after this: try again */
	if (loc.fd >= 0)
		io_uring_prep_read(sqe, loc.fd, op->buf, len,
				   loc.offset + (off - pd_ci_block_span(c->ci, s, b).start));
	else
		io_uring_prep_read(sqe, c->content_fd, op->buf, len, off);
	io_uring_sqe_set_data(sqe, op);
	op->next = e->flying;
	e->flying = op;
	c->in_flight++;
	e->in_flight++;
	if (op->stream)
		c->stream_busy = 1;
	return STARTED;
}

/* Lock contract: e->lock held. One pass over the waiting reads, in order. */
static void start_waiting(struct pd_engine *e)
{
	struct read_op **p = &e->waiting, *op;

	e->walk++;
	while ((op = *p)) {
		struct pd_content *c = op->c;

		if (op->stream && (c->stream_busy || c->stream_walk == e->walk)) {
			p = &op->next;
			continue;
		}
		*p = op->next;
		switch (try_start(e, op)) {
		case WAIT:
			if (op->stream)
				c->stream_walk = e->walk;
			op->next = *p;
			*p = op;
			p = &op->next;
			break;
		case STARTED:
		case DONE:
			break;
		}
	}
}

/* Lock contract: e->lock held. */
static void read_done(struct pd_engine *e, struct read_op *op, int res)
{
	struct pd_content *c = op->c;
	uint64_t off = op->offset;
	struct read_op **p = &e->flying;
	uint32_t s, b;

	while (*p != op)
		p = &(*p)->next;
	*p = op->next;
	if (op->fd >= 0)
		close(op->fd);
	c->in_flight--;
	e->in_flight--;
	if (op->stream) {
		c->stream_busy = 0;
		if (res > 0 && !op->aborted)	/* what the caller never gets is read again */
			c->stream_pos += res;
	}
	pthread_cond_broadcast(&e->idle);
	if (op->aborted) {	/* cancel said it found op: it ends aborted */
		finish(op, ERROR_OPERATION_ABORTED, 0, off);
		return;
	}
	if (res == -ENODATA && op->fd < 0) {
		/* Waits first in line (a stream's next read must stay next). */
		if (!pd_content_locate(c, off, &s, &b))
			pd_engine_brought(c, s, b, 1);
		op->missed = 1;
		op->next = e->waiting;
		e->waiting = op;
		return;
	}
	if (res < 0) {
		finish(op, pd_errno_to_win32(res), 0, off);
		return;
	}
	if (res > 0 && !pd_content_locate(c, off, &s, &b))
		count_read(e->inst, c, s, b, res);
	finish(op, ERROR_SUCCESS, res, off);
}

static void arm_poll(struct pd_engine *e, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	if (!sqe)
		return;
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, tag);
}

/* Nearest deadline of a waiting read, as a wait timeout (max 1 s; while
 * the engine watches for reads put off, FLUSH_AFTER_NS). */
static struct __kernel_timespec next_timeout(struct pd_engine *e)
{
	int64_t wait = 1000000000, now = now_ns();
	struct read_op *op;

	for (op = e->waiting; op; op = op->next)
		if (op->deadline && op->deadline - now < wait)
			wait = op->deadline - now > 0 ? op->deadline - now : 0;
	if (e->watching && wait > FLUSH_AFTER_NS)
		wait = FLUSH_AFTER_NS;
	return (struct __kernel_timespec){ .tv_sec = wait / 1000000000,
					   .tv_nsec = wait % 1000000000 };
}

static void handle_cqe(struct pd_engine *e, struct io_uring_cqe *cqe)
{
	uint64_t tag = io_uring_cqe_get_data64(cqe);
	uint64_t v;
	int news;

	if (tag == TAG_WAKE) {
		if (read(e->wake_fd, &v, sizeof(v)) < 0)
			v = 0;	/* nonblocking: a spurious wake-up reads nothing */
		arm_poll(e, e->wake_fd, TAG_WAKE);
	} else if (tag == TAG_STORE) {
		news = e->inst->store->ops->drain_wait(e->inst->store);
		if (news & PD_STORE_ADDED)
			e->adds_seen++;
		if (news & PD_STORE_STATUS)
			e->status_news = 1;
		arm_poll(e, e->inst->store->ops->wait_fd(e->inst->store), TAG_STORE);
	} else {
		read_done(e, io_uring_cqe_get_data(cqe), cqe->res);
	}
}

/*
 * Lock contract: e->lock held (dropped while it reads). Does a batch put
 * off FLUSH_AFTER_NS ago that no wait did; watches while reads are put
 * off, and stops once none was since it last looked.
 */
static void watch_batch(struct pd_engine *e)
{
	if (e->nbatch && now_ns() >= e->batch_since + FLUSH_AFTER_NS) {
		pthread_mutex_unlock(&e->lock);
		flush_batch(e);
		pthread_mutex_lock(&e->lock);
	}
	e->watching = e->deferred_lately || e->nbatch;
	e->deferred_lately = 0;
}

static void *engine_main(void *arg)
{
	struct pd_engine *e = arg;
	struct io_uring_cqe *cqe;
	unsigned head, n;

	pthread_mutex_lock(&e->lock);
	arm_poll(e, e->wake_fd, TAG_WAKE);
	arm_poll(e, e->inst->store->ops->wait_fd(e->inst->store), TAG_STORE);
	while (!e->stop) {
		struct __kernel_timespec ts;

		start_waiting(e);
		ts = next_timeout(e);
		pthread_mutex_unlock(&e->lock);
		io_uring_submit_and_wait_timeout(&e->ring, &cqe, 1, &ts, NULL);
		pthread_mutex_lock(&e->lock);
		n = 0;
		io_uring_for_each_cqe(&e->ring, head, cqe) {
			handle_cqe(e, cqe);
			n++;
		}
		io_uring_cq_advance(&e->ring, n);
		watch_batch(e);
		if (e->status_news) {
			/* Not under e->lock: the instance's lock comes first. */
			e->status_news = 0;
			pthread_mutex_unlock(&e->lock);
			e->status_news_fn(e->inst);
			pthread_mutex_lock(&e->lock);
		}
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static void wake(struct pd_engine *e)
{
	uint64_t one = 1;

	if (write(e->wake_fd, &one, sizeof(one)) < 0)
		one = 0;	/* the counter cannot overflow in practice */
}

int pd_engine_start(struct pd_instance *inst,
		    void (*status_news)(struct pd_instance *inst))
{
	struct pd_engine *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	e->inst = inst;
	e->status_news_fn = status_news;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->idle, NULL);
	e->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	err = e->wake_fd < 0 ? -errno : io_uring_queue_init(RING_ENTRIES, &e->ring, 0);
	if (!err)
		err = -pthread_create(&e->thread, NULL, engine_main, e);
	if (err) {
		if (e->wake_fd >= 0)
			close(e->wake_fd);
		free(e);
		return err;
	}
	inst->engine = e;
	pthread_mutex_lock(&engines_lock);
	e->next_engine = engines;
	engines = e;
	pthread_mutex_unlock(&engines_lock);
	return 0;
}

/* Lock contract: e->lock held. Aborts waiting reads of c (all if NULL),
 * then waits for c's reads in io_uring to land. */
static int abort_locked(struct pd_engine *e, struct pd_content *c,
			LPOVERLAPPED ov)
{
	struct read_op **p = &e->waiting, *op;
	unsigned i;
	int found = 0;

	while ((op = *p)) {
		if ((c && op->c != c) || (ov && op->ov != ov)) {
			p = &op->next;
			continue;
		}
		*p = op->next;
		finish(op, ERROR_OPERATION_ABORTED, 0, op->offset);
		found++;
	}
	for (i = 0; i < e->nbatch;) {
		op = &e->batch[i];
		if ((c && op->c != c) || (ov && op->ov != ov)) {
			i++;
			continue;
		}
		end_held(op, ERROR_OPERATION_ABORTED, 0, op->offset);
		e->batch[i] = e->batch[--e->nbatch];
		__atomic_sub_fetch(&deferred_reads, 1, __ATOMIC_SEQ_CST);
		found++;
	}
	/* In the ring: one that misses ends aborted instead of waiting. */
	for (op = e->flying; op; op = op->next)
		if ((!c || op->c == c) && (!ov || op->ov == ov) && !op->aborted) {
			op->aborted = 1;
			found++;
		}
	return found;
}

void pd_engine_abort(struct pd_engine *e, struct pd_content *c)
{
	/* Reads put off have their bytes in memory: they complete, as a read
	 * done at once would have. */
	flush_batch(e);
	pthread_mutex_lock(&e->lock);
	abort_locked(e, c, NULL);
	/* The caller may free its buffers next: let reads in flight land. */
	while (c->in_flight)
		pthread_cond_wait(&e->idle, &e->lock);
	pthread_mutex_unlock(&e->lock);
}

int pd_engine_cancel(struct pd_engine *e, struct pd_content *c,
		     LPOVERLAPPED ov)
{
	int found;

	pthread_mutex_lock(&e->lock);
	found = abort_locked(e, c, ov);
	pthread_mutex_unlock(&e->lock);
	return found;
}

void pd_engine_stop(struct pd_engine *e)
{
	struct io_uring_cqe *cqe;
	struct pd_engine **p;

	pthread_mutex_lock(&e->lock);
	e->stop = 1;
	abort_locked(e, NULL, NULL);	/* the batch too: none is put off now */
	pthread_mutex_unlock(&e->lock);
	/* Once out of the list, no wait flushes e (one doing so ends first). */
	pthread_mutex_lock(&engines_lock);
	for (p = &engines; *p != e; p = &(*p)->next_engine)
		;
	*p = e->next_engine;
	pthread_mutex_unlock(&engines_lock);
	wake(e);
	pthread_join(e->thread, NULL);
	pd_fetcher_stop(e->fetcher);	/* its notify wakes e: before e goes */
	e->fetcher = NULL;
	/* Reads already in the ring complete as they land. */
	pthread_mutex_lock(&e->lock);
	while (e->in_flight && !io_uring_wait_cqe(&e->ring, &cqe)) {
		if (io_uring_cqe_get_data64(cqe) > TAG_STORE)
			read_done(e, io_uring_cqe_get_data(cqe), cqe->res);
		io_uring_cqe_seen(&e->ring, cqe);
	}
	pthread_mutex_unlock(&e->lock);
}

void pd_engine_free(struct pd_engine *e)
{
	if (!e)
		return;
	io_uring_queue_exit(&e->ring);
	close(e->wake_fd);
	pthread_cond_destroy(&e->idle);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Consecutive bytes present locally from off: the 0-byte BlockRead query. */
static DWORD query_local(struct pd_instance *inst, struct pd_content *c,
			 uint64_t off, LPOVERLAPPED ov)
{
	uint64_t len;

	if (off < c->range.start || off >= c->range.end)
		return pd_complete_now(ov, PEERDIST_ERROR_NO_MORE, 0,
				       c->child.port, c->child.key);
	len = run_length(inst, c, off, 1);
	pd_ov_set_offset(ov, off);
	return pd_complete_now(ov, ERROR_SUCCESS, len > UINT32_MAX ? UINT32_MAX : len,
			       c->child.port, c->child.key);
}

/* Where a block read's bytes are: block b of segment s, len bytes from
 * its offset on (to the block's end at most). */
struct read_at {
	uint32_t s, b;
	size_t len;
};

/* op's place in its content, or -1 when it is outside the range. */
static int locate_read(const struct read_op *op, struct read_at *at)
{
	const struct pd_content *c = op->c;
	struct pd_range r;

	if (op->offset < c->range.start || op->offset >= c->range.end ||
	    pd_content_locate(c, op->offset, &at->s, &at->b))
		return -1;
	r = pd_ci_block_range(c->ci, at->s, at->b);
	at->len = r.end - op->offset < op->cb ? r.end - op->offset : op->cb;
	return 0;
}

/* One read without the store's help: the bytes read now (no disk waited
 * for), or -errno. */
static ssize_t read_one_now(struct pd_store *st, const struct read_op *op,
			    const struct read_at *at)
{
	struct pd_content *c = op->c;
	uint64_t skip = op->offset - pd_ci_block_span(c->ci, at->s, at->b).start;
	struct pd_block_loc loc;
	ssize_t n;

	if (c->content_fd >= 0)
		return pd_pread_no_wait(c->content_fd, op->buf, at->len, op->offset, 0);
	/* Presence first: a miss is counted once, by the engine. */
	if (!block_present_in(st, c, at->s, at->b) ||
	    st->ops->locate_block(st, c->ids[at->s], c->ci->hash_len, at->b, &loc))
		return -ENOENT;
	n = pd_pread_no_wait(loc.fd, op->buf, at->len, loc.offset + skip, 0);
	close(loc.fd);
	return n;
}

/*
 * Reads ops[0..n-1] now where no disk must be waited for (those with res[i]
 * not yet negative): res[i] is the bytes of op i, or -errno. The store
 * reads its own descriptors where it can (no dup and close a read), all of
 * them in one go; a short read from it is -EAGAIN, the engine's to finish
 * (and count).
 */
static void read_now(struct pd_store *st, const struct read_op *ops,
		     const struct read_at *at, unsigned n, ssize_t *res)
{
	struct pd_block_read r[PD_STORE_READS_AT_ONCE];
	unsigned i, k = 0, of[PD_STORE_READS_AT_ONCE];

	for (i = 0; i < n; i++) {
		const struct pd_content *c = ops[i].c;

		if (res[i] < 0)
			continue;	/* not in the content */
		if (c->content_fd >= 0 || !st->ops->read_blocks_now) {
			res[i] = read_one_now(st, &ops[i], &at[i]);
			continue;
		}
		of[k] = i;
		r[k++] = (struct pd_block_read){
			.id = c->ids[at[i].s], .idlen = c->ci->hash_len, .index = at[i].b,
			.skip = ops[i].offset - pd_ci_block_span(c->ci, at[i].s, at[i].b).start,
			.buf = ops[i].buf, .len = at[i].len };
	}
	if (k)
		st->ops->read_blocks_now(st, r, k);
	for (i = 0; i < k; i++)
		res[of[i]] = r[i].res >= 0 && (size_t)r[i].res < at[of[i]].len ? -EAGAIN :
			     r[i].res;
}

/*
 * Block reads ops[0..n-1], their OVERLAPPEDs started, each counted in its
 * content's in_flight (a close waits for it), done here where their bytes are in the store and in
 * memory: done[i] says op i completed; one not done is the engine's
 * (marked missed when the content fd said so, so that the engine waits for
 * an add rather than asking again).
 */
static void read_here(struct pd_engine *e, struct read_op *ops, unsigned n,
		      int *done)
{
	struct read_at at[PD_STORE_READS_AT_ONCE];
	ssize_t res[PD_STORE_READS_AT_ONCE];
	unsigned i;

	for (i = 0; i < n; i++)
		res[i] = locate_read(&ops[i], &at[i]) ? -ERANGE : 0;
	read_now(e->inst->store, ops, at, n, res);
	for (i = 0; i < n; i++) {
		struct read_op *op = &ops[i];
		struct pd_content *c = op->c;

		done[i] = res[i] > 0;
		if (res[i] == -ENODATA && c->content_fd >= 0) {
			pd_engine_brought(c, at[i].s, at[i].b, 1);
			op->missed = 1;
		}
		if (!done[i])
			continue;
		count_read(e->inst, c, at[i].s, at[i].b, res[i]);
		pd_ov_set_offset(op->ov, op->offset);
		pd_overlapped_complete(op->ov, ERROR_SUCCESS, res[i], c->child.port,
				       c->child.key);
	}
}

/* Lock contract: e->lock held. op, held, waits for the engine (a copy:
 * the caller's op may be in a batch); 1 when the engine must wake. */
static int queue_locked(struct pd_engine *e, const struct read_op *op)
{
	struct read_op *q = malloc(sizeof(*q)), **p;

	if (!q || e->stop) {
		end_held(op, q ? ERROR_OPERATION_ABORTED : ERROR_NOT_ENOUGH_MEMORY, 0,
			 op->offset);
		free(q);
		return 0;
	}
	*q = *op;
	q->next = NULL;
	for (p = &e->waiting; *p; p = &(*p)->next)
		;
	*p = q;
	return 1;
}

/* Does e's batch: its reads in one go, what is not in memory queued. */
static void flush_batch(struct pd_engine *e)
{
	struct read_op ops[PD_STORE_READS_AT_ONCE];
	int done[PD_STORE_READS_AT_ONCE], woke = 0;
	unsigned i, n;

	pthread_mutex_lock(&e->lock);
	n = e->nbatch;
	for (i = 0; i < n; i++) {
		ops[i] = e->batch[i];
		ops[i].c->in_flight++;
		ops[i].missed_at = e->adds_seen;
	}
	e->nbatch = 0;
	__atomic_sub_fetch(&deferred_reads, n, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&e->lock);
	if (!n)
		return;
	read_here(e, ops, n, done);
	pthread_mutex_lock(&e->lock);
	for (i = 0; i < n; i++) {
		ops[i].c->in_flight--;
		woke |= !done[i] && queue_locked(e, &ops[i]);
	}
	pthread_cond_broadcast(&e->idle);
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < n; i++)
		if (done[i])
			pd_child_release(&ops[i].c->child);
	if (woke)
		wake(e);
}

int pd_deferred_pending(void)
{
	return __atomic_load_n(&deferred_reads, __ATOMIC_SEQ_CST) != 0;
}

void pd_deferred_run(void)
{
	struct pd_engine *e;

	if (!pd_deferred_pending())
		return;
	pthread_mutex_lock(&engines_lock);
	for (e = engines; e; e = e->next_engine)
		flush_batch(e);
	pthread_mutex_unlock(&engines_lock);
}

/* The reference, started OVERLAPPED and deadline of a read that the
 * engine may end later. */
static void hold(struct read_op *op, DWORD timeout)
{
	if (timeout == PEERDIST_READ_TIMEOUT_DEFAULT)
		timeout = PD_DEFAULT_TIMEOUT_MS;
	if (timeout)
		op->deadline = now_ns() + (int64_t)timeout * 1000000;
	pd_handle_ref(&op->c->child.obj);
	pd_overlapped_start(op->ov);
}

/*
 * Puts block read op off into e's batch if its completion goes to a port
 * only and the store reads batches: 1 when it did (the read is then done
 * by the first wait, the batch filling, or the engine watching).
 */
static int defer(struct pd_engine *e, struct read_op *op, DWORD timeout)
{
	struct pd_content *c = op->c;
	int wake_engine, full;

	if (c->content_fd >= 0 || !e->inst->store->ops->read_blocks_now ||
	    !c->child.port || op->ov->hEvent)
		return 0;
	pthread_mutex_lock(&e->lock);
	if (e->stop) {
		pthread_mutex_unlock(&e->lock);
		return 0;
	}
	hold(op, timeout);
	if (!e->nbatch)
		e->batch_since = now_ns();
	e->batch[e->nbatch++] = *op;
	full = e->nbatch == PD_STORE_READS_AT_ONCE;
	e->deferred_lately = 1;
	wake_engine = !e->watching;
	e->watching = 1;
	__atomic_add_fetch(&deferred_reads, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&e->lock);
	if (wake_engine)
		wake(e);	/* to watch: once, not per batch */
	if (full || !pd_port_may_defer(c->child.port))
		flush_batch(e);
	return 1;
}

/* Block read op done now, in the caller's thread: 1 if it completed. */
static int read_at_once(struct pd_engine *e, struct read_op *op)
{
	int stop, done = 0;

	pthread_mutex_lock(&e->lock);
	stop = e->stop;
	if (!stop) {
		op->c->in_flight++;
		op->missed_at = e->adds_seen;	/* an add seen since: try again */
	}
	pthread_mutex_unlock(&e->lock);
	if (stop)
		return 0;
	pd_overlapped_start(op->ov);	/* read_here completes it, as the engine's */
	read_here(e, op, 1, &done);
	pthread_mutex_lock(&e->lock);
	op->c->in_flight--;
	pthread_cond_broadcast(&e->idle);
	pthread_mutex_unlock(&e->lock);
	return done;
}

DWORD pd_engine_read(struct pd_engine *e, struct pd_content *c, int stream,
		     DWORD cb, PBYTE buf, DWORD timeout, LPOVERLAPPED ov)
{
	struct read_op here = { .c = c, .ov = ov, .buf = buf, .cb = cb,
				.stream = stream, .offset = pd_ov_offset(ov),
				.fd = -1 };
	int woke;

	if (!c->ci)
		return PEERDIST_ERROR_NOT_INITIALIZED;
	if (!cb)
		return query_local(e->inst, c, stream ? c->stream_pos :
				   pd_ov_offset(ov), ov);
	if (!stream && (defer(e, &here, timeout) || read_at_once(e, &here)))
		return ERROR_IO_PENDING;
	/* Only a read the engine takes is allocated (queue_locked). */
	hold(&here, timeout);
	pthread_mutex_lock(&e->lock);
	if (e->stop) {
		pthread_mutex_unlock(&e->lock);
		pd_child_release(&c->child);
		return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS;
	}
	woke = queue_locked(e, &here);
	pthread_mutex_unlock(&e->lock);
	if (woke)
		wake(e);
	return ERROR_IO_PENDING;
}
