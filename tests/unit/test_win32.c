// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Win32 shim as Windows documents it: completion ports (FIFO, timeouts,
 * failed operations, several waiters, closing wakes waiters), events
 * (manual and auto reset), pollable descriptors, the per-thread last error,
 * and handles that are checked, never trusted.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "testutil.h"

#include "peerdist/win32.h"
#include "win32_internal.h"

static void port_fifo_and_timeout(void **state)
{
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	OVERLAPPED ov[3];
	LPOVERLAPPED got;
	ULONG_PTR key;
	DWORD bytes;
	int i;

	assert_non_null(port);
	for (i = 0; i < 3; i++)
		assert_true(PostQueuedCompletionStatus(port, 100 + i, 7 + i, &ov[i]));
	for (i = 0; i < 3; i++) {
		assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
		assert_int_equal(bytes, 100 + i);
		assert_int_equal(key, 7 + i);
		assert_ptr_equal(got, &ov[i]);
	}
	got = &ov[0];
	assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
	assert_int_equal(GetLastError(), WAIT_TIMEOUT);
	assert_null(got);
	assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 30));
	assert_int_equal(GetLastError(), WAIT_TIMEOUT);
	assert_false(GetQueuedCompletionStatus(port, NULL, &key, &got, 0));
	assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
	assert_true(CloseHandle(port));
}

static void failed_operation_dequeues_false(void **state)
{
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	OVERLAPPED ov = { 0 };
	LPOVERLAPPED got;
	ULONG_PTR key;
	DWORD bytes;

	pd_overlapped_start(&ov);
	assert_false(HasOverlappedIoCompleted(&ov));
	pd_overlapped_complete(&ov, ERROR_TIMEOUT, 42, port, 9);
	assert_true(HasOverlappedIoCompleted(&ov));
	assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 1000));
	assert_int_equal(GetLastError(), ERROR_TIMEOUT);
	assert_ptr_equal(got, &ov);
	assert_int_equal(bytes, 42);
	assert_int_equal(key, 9);
	CloseHandle(port);
}

/* Bit 0 of hEvent: the event is signaled, the port is not told. */
static void event_low_bit_skips_port(void **state)
{
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	HANDLE ev = CreateEvent(NULL, TRUE, FALSE, NULL);
	OVERLAPPED ov = { .hEvent = (HANDLE)((uintptr_t)ev | 1) };
	LPOVERLAPPED got;
	ULONG_PTR key;
	DWORD bytes;

	pd_overlapped_start(&ov);
	pd_overlapped_complete(&ov, 0, 5, port, 1);
	assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
	assert_false(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
	ov.hEvent = ev;
	ResetEvent(ev);
	pd_overlapped_start(&ov);
	pd_overlapped_complete(&ov, 0, 6, port, 1);
	assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
	assert_true(GetQueuedCompletionStatus(port, &bytes, &key, &got, 0));
	assert_int_equal(bytes, 6);
	CloseHandle(ev);
	CloseHandle(port);
}

struct waiter {
	HANDLE port;
	int got;
	DWORD error;
	_Atomic pid_t tid;	/* set before it waits */
};

static void *wait_one(void *arg)
{
	struct waiter *w = arg;
	LPOVERLAPPED ov;
	ULONG_PTR key;
	DWORD bytes;

	w->tid = gettid();
	w->got = GetQueuedCompletionStatus(w->port, &bytes, &key, &ov, 10000);
	w->error = GetLastError();
	return NULL;
}

static void several_waiters_each_get_one(void **state)
{
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	struct waiter w[4];
	pthread_t t[4];
	int i, total = 0;

	for (i = 0; i < 4; i++) {
		w[i] = (struct waiter){ .port = port };
		pthread_create(&t[i], NULL, wait_one, &w[i]);
	}
	for (i = 0; i < 4; i++)
		PostQueuedCompletionStatus(port, i, i, NULL);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += w[i].got;
	}
	assert_int_equal(total, 4);
	CloseHandle(port);
}

static void close_wakes_waiters(void **state)
{
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	struct waiter w = { .port = port };
	pthread_t t;
	int i;

	pthread_create(&t, NULL, wait_one, &w);
	for (i = 0; !w.tid && i < 10000000; i++)
		sched_yield();
	/* Closed while the waiter is blocked in the port: the close wakes it. */
	assert_true(wait_until_blocked(getpid(), w.tid));
	assert_true(CloseHandle(port));
	pthread_join(t, NULL);
	assert_false(w.got);
	assert_int_equal(w.error, ERROR_ABANDONED_WAIT_0);
}

static void events_manual_and_auto(void **state)
{
	HANDLE manual = CreateEvent(NULL, TRUE, TRUE, NULL);
	HANDLE autor = CreateEventW(NULL, FALSE, FALSE, NULL);

	assert_int_equal(WaitForSingleObject(manual, 0), WAIT_OBJECT_0);
	assert_int_equal(WaitForSingleObject(manual, 0), WAIT_OBJECT_0);
	assert_true(ResetEvent(manual));
	assert_int_equal(WaitForSingleObject(manual, 20), WAIT_TIMEOUT);
	assert_int_equal(WaitForSingleObject(autor, 0), WAIT_TIMEOUT);
	assert_true(SetEvent(autor));
	assert_int_equal(WaitForSingleObject(autor, INFINITE), WAIT_OBJECT_0);
	assert_int_equal(WaitForSingleObject(autor, 0), WAIT_TIMEOUT);
	assert_null(CreateEventA(NULL, TRUE, FALSE, "named"));
	assert_int_equal(GetLastError(), ERROR_NOT_SUPPORTED);
	CloseHandle(manual);
	CloseHandle(autor);
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void poll_descriptors(void **state)
{
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	HANDLE ev = CreateEvent(NULL, TRUE, FALSE, NULL);
	int pfd = PeerDistHandlePollFd(port), efd = PeerDistHandlePollFd(ev);
	LPOVERLAPPED ov;
	ULONG_PTR key;
	DWORD bytes;

	assert_true(pfd >= 0 && efd >= 0);
	assert_false(readable(pfd));
	PostQueuedCompletionStatus(port, 1, 1, NULL);
	PostQueuedCompletionStatus(port, 2, 2, NULL);
	assert_true(readable(pfd));
	GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0);
	assert_true(readable(pfd));
	GetQueuedCompletionStatus(port, &bytes, &key, &ov, 0);
	assert_false(readable(pfd));
	assert_false(readable(efd));
	SetEvent(ev);
	assert_true(readable(efd));
	ResetEvent(ev);
	assert_false(readable(efd));
	assert_int_equal(PeerDistHandlePollFd((HANDLE)0x1234), -1);
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	CloseHandle(ev);
	CloseHandle(port);
}

static void *set_error_elsewhere(void *arg)
{
	SetLastError(1234);
	return (void *)(uintptr_t)GetLastError();
}

static void last_error_per_thread(void **state)
{
	pthread_t t;
	void *other;

	SetLastError(77);
	pthread_create(&t, NULL, set_error_elsewhere, NULL);
	pthread_join(t, &other);
	assert_int_equal((uintptr_t)other, 1234);
	assert_int_equal(GetLastError(), 77);
}

static void bad_handles(void **state)
{
	HANDLE ev = CreateEvent(NULL, TRUE, FALSE, NULL);
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	static const uintptr_t junk[] = { 0, 1, 4, 0x1000, 0xdeadbeef, UINTPTR_MAX };
	LPOVERLAPPED ov;
	ULONG_PTR key;
	DWORD bytes;
	size_t i;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		assert_false(SetEvent((HANDLE)junk[i]));
		assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
		assert_false(CloseHandle((HANDLE)junk[i]));
		assert_false(GetQueuedCompletionStatus((HANDLE)junk[i], &bytes,
						       &key, &ov, 0));
		assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	}
	/* Wrong type: an event is not a port, a port not an event. */
	assert_false(PostQueuedCompletionStatus(ev, 0, 0, NULL));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_int_equal(WaitForSingleObject(port, 0), WAIT_FAILED);
	assert_null(CreateIoCompletionPort(ev, NULL, 0, 0));
	/* Closed handles stay dead, even when the slot is reused. */
	assert_true(CloseHandle(ev));
	assert_false(CloseHandle(ev));
	assert_false(SetEvent(ev));
	HANDLE again = CreateEvent(NULL, TRUE, FALSE, NULL);
	assert_false(SetEvent(ev));
	assert_true(SetEvent(again));
	CloseHandle(again);
	CloseHandle(port);
}

static void *post_until_closed(void *arg)
{
	HANDLE port = arg;
	int i;

	for (i = 0; i < 200000; i++)
		if (!PostQueuedCompletionStatus(port, 0, 0, NULL))
			break;
	return NULL;
}

/* A close racing posts: posts fail cleanly, nothing crashes or leaks. */
static void close_races_use(void **state)
{
	int round;

	for (round = 0; round < 50; round++) {
		HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
		pthread_t t;

		pthread_create(&t, NULL, post_until_closed, port);
		usleep(round * 20);
		assert_true(CloseHandle(port));
		pthread_join(t, NULL);
		assert_false(PostQueuedCompletionStatus(port, 0, 0, NULL));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(port_fifo_and_timeout),
		cmocka_unit_test(failed_operation_dequeues_false),
		cmocka_unit_test(event_low_bit_skips_port),
		cmocka_unit_test(several_waiters_each_get_one),
		cmocka_unit_test(close_wakes_waiters),
		cmocka_unit_test(events_manual_and_auto),
		cmocka_unit_test(poll_descriptors),
		cmocka_unit_test(last_error_per_thread),
		cmocka_unit_test(bad_handles),
		cmocka_unit_test(close_races_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
