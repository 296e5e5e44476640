// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The client: content information added in pieces and checked at
 * completion; misses reported with the missing range; AddData verified
 * before it is kept; Block and Stream reads byte-exact, FIFO, NO_MORE at
 * the end; 0-byte queries; waiting reads woken by another process or
 * timing out; cancel, close and shutdown with reads pending; flush; many
 * readers at once; reads of bytes in memory complete for every way of
 * waiting (port, OVERLAPPED, poll fd), put off or not.
 */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include "apitest.h"

#define LEN	(700000)	/* 11 V1 blocks, the last partial */

struct fixture {
	uint8_t *data;
	uint8_t *ci;
	size_t ci_len;
	PEERDIST_INSTANCE_HANDLE inst;
	HANDLE port;
	PEERDIST_CONTENT_HANDLE content;
};

static struct fixture fx;

/* Publishes in a "server" cache, then opens the content in a "client"
 * cache that has none of it. The server is another machine: its own
 * user-space cache, also when the client runs on peerdist.ko (whose one
 * cache would otherwise hold what this machine published). */
static int client_setup(void **state)
{
	PEERDIST_INSTANCE_HANDLE server;
	PEERDIST_CONTENT_TAG tag = { { 9, 9, 9 } };
	char *backend;

	api_setup(state);
	fx.data = malloc(LEN);
	fill_pattern(fx.data, LEN, 42);
	use_cache("server");
	backend = use_backend("user");
	server = startup();
	publish(server, "the-content", fx.data, LEN, 123457);
	fx.ci = retrieve_ci(server, "the-content", 0, 0, *state ? 2 : 1, &fx.ci_len);
	PeerDistShutdown(server);
	free(use_backend(backend));
	free(backend);
	use_cache("client");
	fx.inst = startup();
	fx.port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	assert_int_equal(PeerDistClientOpenContent(fx.inst, &tag, fx.port, 77,
						   &fx.content), ERROR_SUCCESS);
	return 0;
}

static int client_teardown(void **state)
{
	if (fx.inst)
		PeerDistShutdown(fx.inst);
	CloseHandle(fx.port);
	free(fx.data);
	free(fx.ci);
	memset(&fx, 0, sizeof(fx));
	return api_teardown(state);
}

static DWORD call_status(DWORD ret)
{
	assert_int_equal(ret, ERROR_IO_PENDING);
	return next_completion(fx.port, 10000).status;
}

static void add_ci(size_t step)
{
	OVERLAPPED ov = { 0 };
	size_t pos;

	for (pos = 0; pos < fx.ci_len; pos += step) {
		DWORD n = fx.ci_len - pos < step ? fx.ci_len - pos : step;

		assert_int_equal(call_status(PeerDistClientAddContentInformation(
			fx.inst, fx.content, n, fx.ci + pos, &ov)), ERROR_SUCCESS);
	}
	assert_int_equal(call_status(PeerDistClientCompleteContentInformation(
		fx.inst, fx.content, &ov)), ERROR_SUCCESS);
}

static DWORD add_data(uint64_t off, const uint8_t *p, DWORD n)
{
	OVERLAPPED ov = { .Offset = (DWORD)off, .OffsetHigh = (DWORD)(off >> 32) };

	return call_status(PeerDistClientAddData(fx.inst, fx.content, n, p, &ov));
}

static struct done block_read(uint64_t off, uint8_t *buf, DWORD cb, DWORD timeout)
{
	OVERLAPPED ov = { .Offset = (DWORD)off, .OffsetHigh = (DWORD)(off >> 32) };
	struct done d;

	assert_int_equal(PeerDistClientBlockRead(fx.inst, fx.content, cb, buf, timeout,
						 &ov), ERROR_IO_PENDING);
	d = next_completion(fx.port, 20000);
	assert_ptr_equal(d.ov, &ov);
	assert_int_equal(d.key, 77);
	d.ov = NULL;	/* ov is gone: keep only its offset */
	d.key = (uint64_t)ov.OffsetHigh << 32 | ov.Offset;
	return d;
}

/* Reads [off, off + len) with BlockReads and compares with the content. */
static void read_back(uint64_t off, size_t len)
{
	uint8_t *buf = malloc(65536);
	uint64_t end = off + len;

	while (off < end) {
		struct done d = block_read(off, buf, 65536, 0);

		assert_int_equal(d.status, ERROR_SUCCESS);
		assert_int_equal(d.key, off);
		assert_true(d.bytes > 0);
		assert_memory_equal(buf, fx.data + off, d.bytes);
		off += d.bytes;
	}
	free(buf);
}

static void bad_content_information(void **state)
{
	OVERLAPPED ov = { 0 };
	uint8_t junk[40] = { 0x00, 0x01, 0x0c, 0x80 };
	uint8_t v3[40] = { 0x00, 0x03 };
	OVERLAPPED with_offset = { .Offset = 8 };

	/* AddContentInformation's OVERLAPPED offsets are reserved. */
	assert_int_equal(PeerDistClientAddContentInformation(fx.inst, fx.content,
			 sizeof(junk), junk, &with_offset), ERROR_INVALID_PARAMETER);

	assert_int_equal(call_status(PeerDistClientAddContentInformation(fx.inst,
			 fx.content, sizeof(junk), junk, &ov)), ERROR_SUCCESS);
	assert_int_equal(call_status(PeerDistClientCompleteContentInformation(fx.inst,
			 fx.content, &ov)), PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO);
	PeerDistClientCloseContent(fx.inst, fx.content);
	assert_int_equal(PeerDistClientOpenContent(fx.inst, &(PEERDIST_CONTENT_TAG){ { 1 } },
			 fx.port, 77, &fx.content), ERROR_SUCCESS);
	assert_int_equal(call_status(PeerDistClientAddContentInformation(fx.inst,
			 fx.content, sizeof(v3), v3, &ov)), ERROR_SUCCESS);
	assert_int_equal(call_status(PeerDistClientCompleteContentInformation(fx.inst,
			 fx.content, &ov)), PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
	/* Reads need complete content information. */
	assert_int_equal(PeerDistClientBlockRead(fx.inst, fx.content, 10, junk, 0, &ov),
			 PEERDIST_ERROR_NOT_INITIALIZED);
}

static void miss_then_add_data(void **state)
{
	uint8_t buf[65536], *bad = malloc(LEN);
	struct done d;

	add_ci(*state ? 7 : 1000);
	/* Nothing local: the whole content is the missing range. */
	d = block_read(1000, buf, sizeof(buf), PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY);
	assert_int_equal(d.status, PEERDIST_ERROR_MISSING_DATA);
	assert_int_equal(d.key, 1000);
	assert_int_equal(d.bytes, LEN - 1000);
	/* Bad data is refused and the bad block is not kept. */
	memcpy(bad, fx.data, LEN);
	bad[300000] ^= 1;
	assert_int_equal(add_data(0, bad, LEN), ERROR_INVALID_DATA);
	d = block_read(300000, buf, sizeof(buf), 0);
	assert_int_equal(d.status, PEERDIST_ERROR_MISSING_DATA);
	assert_int_equal(d.key, 300000);
	free(bad);
	/* Good data in odd pieces, then every byte reads back. */
	for (size_t pos = 0; pos < LEN; pos += 40000)
		assert_int_equal(add_data(pos, fx.data + pos,
					  LEN - pos < 40000 ? LEN - pos : 40000),
				 ERROR_SUCCESS);
	read_back(0, LEN);
	read_back(LEN - 10, 10);
	d = block_read(LEN, buf, sizeof(buf), 0);
	assert_int_equal(d.status, PEERDIST_ERROR_NO_MORE);
}

static void partial_local_and_query(void **state)
{
	uint8_t buf[65536];
	struct done d;

	add_ci(500);
	/* Blocks 0 and 1 present, 2 missing, 3.. present. */
	assert_int_equal(add_data(0, fx.data, 2 * 65536), ERROR_SUCCESS);
	assert_int_equal(add_data(3 * 65536, fx.data + 3 * 65536, LEN - 3 * 65536),
			 ERROR_SUCCESS);
	d = block_read(10, NULL, 0, 0);		/* a query */
	assert_int_equal(d.status, ERROR_SUCCESS);
	assert_int_equal(d.bytes, 2 * 65536 - 10);
	d = block_read(2 * 65536 + 5, buf, sizeof(buf), 0);
	assert_int_equal(d.status, PEERDIST_ERROR_MISSING_DATA);
	assert_int_equal(d.key, 2 * 65536 + 5);
	assert_int_equal(d.bytes, 65536 - 5);
	read_back(3 * 65536, LEN - 3 * 65536);
}

static void stream_reads_in_order(void **state)
{
	OVERLAPPED ov[20];
	uint8_t *out = malloc(20 * 65536);
	uint64_t pos = 0;
	int i, n;

	add_ci(4096);
	assert_int_equal(add_data(0, fx.data, LEN), ERROR_SUCCESS);
	/* Queue many reads at once; they complete FIFO and tile the content. */
	memset(ov, 0, sizeof(ov));
	for (i = 0; i < 20; i++)
		assert_int_equal(PeerDistClientStreamRead(fx.inst, fx.content, 65536,
							  out + i * 65536, 0, &ov[i]),
				 ERROR_IO_PENDING);
	for (n = 0; n < 20; n++) {
		struct done d = next_completion(fx.port, 20000);

		assert_ptr_equal(d.ov, &ov[n]);
		if (pos == LEN) {
			assert_int_equal(d.status, PEERDIST_ERROR_NO_MORE);
			continue;
		}
		assert_int_equal(d.status, ERROR_SUCCESS);
		assert_int_equal((uint64_t)ov[n].OffsetHigh << 32 | ov[n].Offset, pos);
		assert_memory_equal(out + n * 65536, fx.data + pos, d.bytes);
		pos += d.bytes;
	}
	assert_int_equal(pos, LEN);
	free(out);
}

static void wait_then_timeout(void **state)
{
	uint8_t buf[100];
	struct done d;

	add_ci(300);
	d = block_read(5, buf, sizeof(buf), 300);
	assert_int_equal(d.status, ERROR_TIMEOUT);
	assert_int_equal(d.key, 5);
	assert_int_equal(d.bytes, LEN - 5);
}

/* A read waiting for data is completed when another process adds it. */
static void woken_by_other_process(void **state)
{
	uint8_t buf[65536];
	OVERLAPPED ov = { .Offset = 65536 + 3 };
	struct done d;
	pid_t pid;
	int status;

	add_ci(300);
	assert_int_equal(PeerDistClientBlockRead(fx.inst, fx.content, sizeof(buf), buf,
						 PEERDIST_READ_TIMEOUT_DEFAULT, &ov),
			 ERROR_IO_PENDING);
	pid = fork();
	if (pid == 0) {
		PEERDIST_INSTANCE_HANDLE other;
		PEERDIST_CONTENT_HANDLE c;
		HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
		OVERLAPPED o = { 0 };
		LPOVERLAPPED got;
		ULONG_PTR key;
		DWORD bytes;
		int ok = 1;

		usleep(100000);
		if (PeerDistStartup(PEERDIST_VERSION, &other, NULL) ||
		    PeerDistClientOpenContent(other, &(PEERDIST_CONTENT_TAG){ { 3 } },
					      port, 0, &c))
			_exit(1);
		PeerDistClientAddContentInformation(other, c, fx.ci_len, fx.ci, &o);
		ok &= GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000);
		PeerDistClientCompleteContentInformation(other, c, &o);
		ok &= GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000);
		o.Offset = 65536;
		PeerDistClientAddData(other, c, 65536, fx.data + 65536, &o);
		ok &= GetQueuedCompletionStatus(port, &bytes, &key, &got, 5000);
		PeerDistShutdown(other);
		_exit(ok ? 0 : 2);
	}
	d = next_completion(fx.port, 10000);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(d.status, ERROR_SUCCESS);
	assert_int_equal(d.bytes, 65536 - 3);
	assert_memory_equal(buf, fx.data + 65536 + 3, d.bytes);
}

/* Voluntary context switches of every thread of this process so far. */
static long wakeups(void)
{
	char path[300], line[128];
	struct dirent *t;
	long sum = 0, n;
	DIR *d = opendir("/proc/self/task");
	FILE *f;

	assert_non_null(d);
	while ((t = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", t->d_name);
		f = t->d_name[0] == '.' ? NULL : fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
				sum += n;
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

/*
 * A read that waits for a block nobody adds sleeps until it times out: a
 * waiter is woken by what it waits for (a store's notification, its
 * content fd), not by a timer re-checking ten times a second.
 */
static void an_idle_wait_sleeps(void **state)
{
	uint8_t buf[100];
	long before;
	struct done d;

	add_ci(300);
	before = wakeups();
	d = block_read(5, buf, sizeof(buf), 2000);
	assert_int_equal(d.status, ERROR_TIMEOUT);
	/* the fallback's ticks and the deadline: a handful in two seconds
	 * (a 100 ms timer made twenty) */
	assert_in_range(wakeups() - before, 0, 10);
}

static void cancel_close_shutdown_abort(void **state)
{
	uint8_t buf[3][100];
	OVERLAPPED ov[3] = { { 0 } };
	OVERLAPPED other = { 0 };
	struct done d;
	DWORD bytes;
	int i;

	add_ci(300);
	for (i = 0; i < 3; i++)
		assert_int_equal(PeerDistClientBlockRead(fx.inst, fx.content, 100, buf[i],
							 60000, &ov[i]), ERROR_IO_PENDING);
	assert_int_equal(PeerDistClientCancelAsyncOperation(fx.inst, fx.content, &ov[1]),
			 ERROR_SUCCESS);
	d = next_completion(fx.port, 5000);
	assert_ptr_equal(d.ov, &ov[1]);
	assert_int_equal(d.status, ERROR_OPERATION_ABORTED);
	assert_int_equal(PeerDistClientCancelAsyncOperation(fx.inst, fx.content, &other),
			 PEERDIST_ERROR_OPERATION_NOTFOUND);
	/* Closing the content aborts what is left, before it returns. */
	assert_int_equal(PeerDistClientCloseContent(fx.inst, fx.content), ERROR_SUCCESS);
	for (i = 0; i < 2; i++)
		assert_int_equal(next_completion(fx.port, 5000).status,
				 ERROR_OPERATION_ABORTED);
	assert_false(PeerDistGetOverlappedResult(&ov[0], &bytes, FALSE));
	assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
	/* Shutdown with reads in flight. */
	assert_int_equal(PeerDistClientOpenContent(fx.inst, &(PEERDIST_CONTENT_TAG){ { 4 } },
			 fx.port, 77, &fx.content), ERROR_SUCCESS);
	add_ci(300);
	assert_int_equal(PeerDistClientBlockRead(fx.inst, fx.content, 100, buf[0], 60000,
						 &ov[0]), ERROR_IO_PENDING);
	assert_int_equal(PeerDistShutdown(fx.inst), ERROR_SUCCESS);
	fx.inst = NULL;
	d = next_completion(fx.port, 5000);
	assert_int_equal(d.status, ERROR_OPERATION_ABORTED);
}

struct canceller {
	OVERLAPPED *ov;
	int rounds;
};

static void *cancel_everything(void *arg)
{
	struct canceller *k = arg;
	int i;

	for (i = 0; i < k->rounds; i++)
		PeerDistClientCancelAsyncOperation(fx.inst, fx.content, NULL);
	return NULL;
}

/* Reads issued while another thread cancels: each completes exactly once,
 * either aborted or with its data. */
static void cancel_races_reads(void **state)
{
	struct canceller k = { .rounds = 2000 };
	static uint8_t buf[64][100];
	OVERLAPPED ov[64];
	pthread_t t;
	int i, aborted = 0, done = 0;

	add_ci(300);
	assert_int_equal(add_data(0, fx.data, LEN / 2), ERROR_SUCCESS);
	memset(ov, 0, sizeof(ov));
	pthread_create(&t, NULL, cancel_everything, &k);
	for (i = 0; i < 64; i++) {
		ov[i].Offset = (i % 2) ? LEN - 100 : 1000;	/* missing, present */
		assert_int_equal(PeerDistClientBlockRead(fx.inst, fx.content, 100, buf[i],
							 i % 2 ? 200 : 0, &ov[i]),
				 ERROR_IO_PENDING);
	}
	pthread_join(t, NULL);
	for (i = 0; i < 64; i++) {
		struct done d = next_completion(fx.port, 10000);

		aborted += d.status == ERROR_OPERATION_ABORTED;
		done += d.status == ERROR_SUCCESS || d.status == ERROR_TIMEOUT;
	}
	assert_int_equal(aborted + done, 64);
	/* Nothing more arrives: every read completed once. */
	{
		LPOVERLAPPED got;
		ULONG_PTR key;
		DWORD bytes;

		assert_false(GetQueuedCompletionStatus(fx.port, &bytes, &key, &got, 300));
		assert_int_equal(GetLastError(), WAIT_TIMEOUT);
	}
}

static void flush_drops_content(void **state)
{
	OVERLAPPED ov = { 0 };
	uint8_t buf[100];

	add_ci(300);
	assert_int_equal(add_data(0, fx.data, LEN), ERROR_SUCCESS);
	assert_int_equal(block_read(0, buf, 100, 0).status, ERROR_SUCCESS);
	assert_int_equal(call_status(PeerDistClientFlushContent(fx.inst,
			 &(PEERDIST_CONTENT_TAG){ { 9, 9, 9 } }, fx.port, 77, &ov)),
			 ERROR_SUCCESS);
	assert_int_equal(block_read(0, buf, 100, 0).status, PEERDIST_ERROR_MISSING_DATA);
}

/* Reads of bytes in memory with completions to a port: whether done at
 * once or put off until a wait, each completes once with its bytes. */
static OVERLAPPED *read_block_at(uint64_t off, uint8_t *buf, OVERLAPPED *ov)
{
	*ov = (OVERLAPPED){ .Offset = (DWORD)off, .OffsetHigh = (DWORD)(off >> 32) };
	assert_int_equal(PeerDistClientBlockRead(fx.inst, fx.content, 65536, buf, 0, ov),
			 ERROR_IO_PENDING);
	return ov;
}

/* A caller that never waits on the port, only looks at its OVERLAPPED,
 * still sees the read complete; the port then has it too. */
static void read_seen_by_a_poller(void **state)
{
	static uint8_t buf[65536];
	OVERLAPPED ov;
	struct done d;
	int i;

	add_ci(300);
	assert_int_equal(add_data(0, fx.data, LEN), ERROR_SUCCESS);
	read_block_at(65536, buf, &ov);
	/* HasOverlappedIoCompleted, its load ordered before the reads after it */
	for (i = 0; i < 50000 && __atomic_load_n(&ov.Internal, __ATOMIC_ACQUIRE) ==
				 STATUS_PENDING; i++)
		usleep(100);	/* at most 5 s */
	assert_true(HasOverlappedIoCompleted(&ov));
	assert_int_equal(ov.Internal, ERROR_SUCCESS);
	assert_int_equal(ov.InternalHigh, 65536);
	assert_memory_equal(buf, fx.data + 65536, 65536);
	d = next_completion(fx.port, 0);
	assert_ptr_equal(d.ov, &ov);
	assert_int_equal(d.status, ERROR_SUCCESS);
}

/* More reads outstanding than go into one call (three of every block):
 * each completes once, with its own block's bytes. */
static void many_reads_outstanding(void **state)
{
	enum { N = 33 };
	static uint8_t buf[N][65536];
	OVERLAPPED ov[N];
	int i, seen[N] = { 0 };

	add_ci(300);
	assert_int_equal(add_data(0, fx.data, LEN), ERROR_SUCCESS);
	for (i = 0; i < N; i++)
		read_block_at((uint64_t)(i % 11) * 65536, buf[i], &ov[i]);
	for (i = 0; i < N; i++) {
		struct done d = next_completion(fx.port, 10000);
		int k = (OVERLAPPED *)d.ov - ov;
		uint64_t off = (uint64_t)(k % 11) * 65536;

		assert_true(k >= 0 && k < N && !seen[k]);
		seen[k] = 1;
		assert_int_equal(d.status, ERROR_SUCCESS);
		assert_int_equal(d.bytes, off + 65536 <= LEN ? 65536 : LEN - off);
		assert_memory_equal(buf[k], fx.data + off, d.bytes);
	}
}

/* Reads cancelled, or their content closed, right after they were asked:
 * each completes once, aborted where the cancel found it; the close lets
 * reads of bytes in memory complete with them. */
static void cancel_and_close_right_after_reading(void **state)
{
	static uint8_t buf[3][65536];
	OVERLAPPED ov[3];
	struct done d;
	DWORD found;
	int i;

	add_ci(300);
	assert_int_equal(add_data(0, fx.data, LEN), ERROR_SUCCESS);
	read_block_at(0, buf[0], &ov[0]);
	found = PeerDistClientCancelAsyncOperation(fx.inst, fx.content, &ov[0]);
	assert_true(found == ERROR_SUCCESS || found == PEERDIST_ERROR_OPERATION_NOTFOUND);
	d = next_completion(fx.port, 10000);
	assert_ptr_equal(d.ov, &ov[0]);
	assert_int_equal(d.status, found == ERROR_SUCCESS ? ERROR_OPERATION_ABORTED :
				   ERROR_SUCCESS);
	for (i = 0; i < 3; i++)
		read_block_at((uint64_t)i * 65536, buf[i], &ov[i]);
	assert_int_equal(PeerDistClientCloseContent(fx.inst, fx.content), ERROR_SUCCESS);
	for (i = 0; i < 3; i++) {
		d = next_completion(fx.port, 10000);
		assert_int_equal(d.status, ERROR_SUCCESS);
		assert_memory_equal(buf[(OVERLAPPED *)d.ov - ov],
				    fx.data + ((OVERLAPPED *)d.ov - ov) * 65536, 65536);
	}
	assert_false(GetQueuedCompletionStatus(fx.port, &found, &(ULONG_PTR){ 0 },
					       &(LPOVERLAPPED){ NULL }, 200));
	assert_int_equal(GetLastError(), WAIT_TIMEOUT);
}

struct sleeper {
	pid_t tid;
	struct done d;
};

static void *wait_on_port(void *arg)
{
	struct sleeper *w = arg;

	__atomic_store_n(&w->tid, gettid(), __ATOMIC_RELEASE);
	w->d = next_completion(fx.port, 20000);
	return NULL;
}

/* Whether thread tid of this process sleeps (state S), as a thread that
 * waits on a port's condition does. */
static int asleep(pid_t tid)
{
	char path[64], stat[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = 0;
	p = strrchr(stat, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

/* With a thread asleep on the port, a read of bytes in memory has
 * completed when BlockRead returns: nothing would wait for it otherwise. */
static void read_done_on_return_for_a_sleeping_waiter(void **state)
{
	static uint8_t buf[65536];
	struct sleeper w = { 0 };
	OVERLAPPED ov;
	pthread_t t;
	int i, slept, done;

	add_ci(300);
	assert_int_equal(add_data(0, fx.data, LEN), ERROR_SUCCESS);
	pthread_create(&t, NULL, wait_on_port, &w);
	for (i = 0; i < 5000 && !(__atomic_load_n(&w.tid, __ATOMIC_ACQUIRE) && asleep(w.tid));
	     i++)
		usleep(1000);	/* at most 5 s */
	slept = asleep(w.tid);
	read_block_at(3 * 65536, buf, &ov);
	done = __atomic_load_n(&ov.Internal, __ATOMIC_ACQUIRE) != STATUS_PENDING;
	pthread_join(t, NULL);	/* the waiter gets the read either way */
	assert_true(slept);
	assert_true(done);
	assert_ptr_equal(w.d.ov, &ov);
	assert_int_equal(w.d.status, ERROR_SUCCESS);
	assert_memory_equal(buf, fx.data + 3 * 65536, 65536);
}

/* Once the port's poll fd is given out, a read of bytes in memory has
 * completed, and the fd polls readable, when BlockRead returns: a caller
 * polling the fd does no deferred work. */
static void polled_port_read_done_on_return(void **state)
{
	static uint8_t buf[65536];
	struct pollfd pfd = { .fd = PeerDistHandlePollFd(fx.port), .events = POLLIN };
	OVERLAPPED ov;

	add_ci(300);
	assert_int_equal(add_data(0, fx.data, LEN), ERROR_SUCCESS);
	assert_true(pfd.fd >= 0);
	read_block_at(2 * 65536, buf, &ov);
	assert_true(HasOverlappedIoCompleted(&ov));
	assert_int_equal(poll(&pfd, 1, 0), 1);
	assert_int_equal(next_completion(fx.port, 0).status, ERROR_SUCCESS);
	assert_memory_equal(buf, fx.data + 2 * 65536, 65536);
}

struct reader {
	int id;
	int ok;
};

/* Each thread reads the whole content with its own OVERLAPPEDs and event. */
static void *read_all(void *arg)
{
	struct reader *r = arg;
	HANDLE ev = CreateEvent(NULL, FALSE, FALSE, NULL);
	uint8_t *buf = malloc(65536);
	uint64_t off = r->id * 1000;
	DWORD bytes;

	r->ok = 1;
	while (off < LEN && r->ok) {
		OVERLAPPED ov = { .Offset = (DWORD)off, .hEvent = (HANDLE)((uintptr_t)ev | 1) };

		r->ok &= PeerDistClientBlockRead(fx.inst, fx.content, 65536, buf, 0, &ov) ==
			 ERROR_IO_PENDING;
		r->ok &= WaitForSingleObject(ev, 10000) == WAIT_OBJECT_0;
		r->ok &= PeerDistGetOverlappedResult(&ov, &bytes, TRUE);
		r->ok &= bytes > 0 && !memcmp(buf, fx.data + off, bytes);
		off += bytes;
	}
	free(buf);
	CloseHandle(ev);
	return NULL;
}

static void concurrent_readers(void **state)
{
	struct reader r[4];
	pthread_t t[4];
	int i;

	add_ci(300);
	assert_int_equal(add_data(0, fx.data, LEN), ERROR_SUCCESS);
	for (i = 0; i < 4; i++) {
		r[i].id = i;
		pthread_create(&t[i], NULL, read_all, &r[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_true(r[i].ok);
	}
}

#define V1 NULL
#define V2 ((void *)1)
#define CASE(fn, v) { #fn " " #v, fn, client_setup, client_teardown, v }

int main(void)
{
	const struct CMUnitTest tests[] = {
		CASE(bad_content_information, V1),
		CASE(miss_then_add_data, V1),
		CASE(miss_then_add_data, V2),
		CASE(partial_local_and_query, V1),
		CASE(stream_reads_in_order, V1),
		CASE(stream_reads_in_order, V2),
		CASE(wait_then_timeout, V1),
		CASE(woken_by_other_process, V1),
		CASE(an_idle_wait_sleeps, V1),
		CASE(cancel_close_shutdown_abort, V1),
		CASE(cancel_races_reads, V1),
		CASE(flush_drops_content, V1),
		CASE(read_seen_by_a_poller, V1),
		CASE(many_reads_outstanding, V1),
		CASE(cancel_and_close_right_after_reading, V1),
		CASE(polled_port_read_done_on_return, V1),
		CASE(read_done_on_return_for_a_sleeping_waiter, V1),
		CASE(concurrent_readers, V2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
