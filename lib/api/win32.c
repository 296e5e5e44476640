// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The Win32 shim: completion ports, events, the per-thread last error.
 * A port is a locked FIFO with a condition variable for waiters and an
 * eventfd that is set while the queue is not empty, so it polls readable
 * exactly while completions are queued. An event is a flag with a
 * condition variable and an eventfd readable while it is signaled.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "handle.h"
#include "win32_internal.h"

static __thread DWORD last_error;

PD_EXPORT DWORD WINAPI GetLastError(void)
{
	return last_error;
}

PD_EXPORT void WINAPI SetLastError(DWORD dwErrCode)
{
	last_error = dwErrCode;
}

/* Sets the last error and returns FALSE, for BOOL functions. */
static BOOL failed(DWORD err)
{
	last_error = err;
	return FALSE;
}

/* Absolute CLOCK_MONOTONIC deadline ms from now. */
static struct timespec deadline_after(DWORD ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static void cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* Waits on cond until pred() or the deadline; returns pred()'s last value. */
#define WAIT_UNTIL(cond, lock, ms, pred) ({				\
	struct timespec _dl = deadline_after(ms);			\
	int _ok;							\
	while (!(_ok = (pred)) && (ms) != 0) {				\
		if ((ms) == INFINITE)					\
			pthread_cond_wait(cond, lock);			\
		else if (pthread_cond_timedwait(cond, lock, &_dl) == ETIMEDOUT) { \
			_ok = (pred);					\
			break;						\
		}							\
	}								\
	_ok;								\
})

/*
 * An eventfd says whether a port's queue is non-empty or an event is
 * signaled; adds and takes alternate under the object's lock, so they
 * never overflow or find nothing, and their results carry no information.
 */
static void efd_add(int fd)
{
	uint64_t one = 1;
	ssize_t n = write(fd, &one, sizeof(one));

	(void)n;
}

static void efd_take(int fd)
{
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof(v));

	(void)n;
}

/* ---- completion ports ---- */

struct completion {
	struct completion *next;
	DWORD bytes;
	DWORD status;
	ULONG_PTR key;
	LPOVERLAPPED ov;
};

struct port {
	struct pd_object obj;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct completion *head, **tail;
	int closed;		/* protected by lock */
	int polled;		/* its poll fd was given out, under lock */
	int sleepers;		/* threads asleep in a wait, under lock */
	int efd;
};

static void port_destroy(struct pd_object *obj)
{
	struct port *p = (struct port *)obj;
	struct completion *c;

	while ((c = p->head)) {
		p->head = c->next;
		free(c);
	}
	close(p->efd);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

PD_EXPORT HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle,
					       HANDLE ExistingCompletionPort,
					       ULONG_PTR CompletionKey,
					       DWORD NumberOfConcurrentThreads)
{
	struct port *p;
	HANDLE h;

	/* Only new ports: PeerDist calls name their port themselves. */
	if (FileHandle != INVALID_HANDLE_VALUE || ExistingCompletionPort) {
		failed(ERROR_NOT_SUPPORTED);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		failed(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0) {
		free(p);
		failed(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	cond_init_monotonic(&p->cond);
	p->tail = &p->head;
	h = pd_handle_new(&p->obj, PD_H_PORT, port_destroy);
	if (!h) {
		port_destroy(&p->obj);
		failed(ERROR_NOT_ENOUGH_MEMORY);
	}
	return h;
}

static BOOL port_post(HANDLE port, DWORD bytes, ULONG_PTR key,
		      LPOVERLAPPED ov, DWORD status)
{
	struct port *p = (struct port *)pd_handle_get(port, PD_H_PORT);
	struct completion *c;

	if (!p)
		return failed(ERROR_INVALID_HANDLE);
	c = malloc(sizeof(*c));
	if (!c) {
		pd_handle_put(&p->obj);
		return failed(ERROR_NOT_ENOUGH_MEMORY);
	}
	*c = (struct completion){ .bytes = bytes, .status = status,
				  .key = key, .ov = ov };
	pthread_mutex_lock(&p->lock);
	/* The descriptor is readable while the queue is not empty: it only
	 * changes state on the empty/non-empty edges. */
	if (!p->head)
		efd_add(p->efd);
	*p->tail = c;
	p->tail = &c->next;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pd_handle_put(&p->obj);
	return TRUE;
}

PD_EXPORT BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
						 DWORD dwNumberOfBytesTransferred,
						 ULONG_PTR dwCompletionKey,
						 LPOVERLAPPED lpOverlapped)
{
	return port_post(CompletionPort, dwNumberOfBytesTransferred,
			 dwCompletionKey, lpOverlapped, ERROR_SUCCESS);
}

/*
 * Lock contract: p->lock held. Waits until a completion is queued or the
 * port closes, for at most ms. Work put off until a wait (block reads in
 * memory) is done first, not under the lock; a thread counts in sleepers
 * while it sleeps, so that what is put off meanwhile is done at once.
 */
static void port_wait(struct port *p, DWORD ms)
{
	struct timespec dl = deadline_after(ms);
	int timed_out = 0;

	while (!p->head && !p->closed && !timed_out) {
		if (pd_deferred_pending()) {
			pthread_mutex_unlock(&p->lock);
			pd_deferred_run();
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (!ms)
			break;
		p->sleepers++;
		if (ms == INFINITE)
			pthread_cond_wait(&p->cond, &p->lock);
		else
			timed_out = pthread_cond_timedwait(&p->cond, &p->lock, &dl) == ETIMEDOUT;
		p->sleepers--;
	}
}

PD_EXPORT BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
						LPDWORD lpNumberOfBytesTransferred,
						PULONG_PTR lpCompletionKey,
						LPOVERLAPPED *lpOverlapped,
						DWORD dwMilliseconds)
{
	struct port *p;
	struct completion *c = NULL;
	DWORD status;

	if (!lpNumberOfBytesTransferred || !lpCompletionKey || !lpOverlapped)
		return failed(ERROR_INVALID_PARAMETER);
	*lpOverlapped = NULL;
	p = (struct port *)pd_handle_get(CompletionPort, PD_H_PORT);
	if (!p)
		return failed(ERROR_INVALID_HANDLE);
	pthread_mutex_lock(&p->lock);
	port_wait(p, dwMilliseconds);
	if (p->head) {
		c = p->head;
		p->head = c->next;
		if (!p->head) {
			p->tail = &p->head;
			efd_take(p->efd);
		}
	}
	status = c ? c->status : p->closed ? ERROR_ABANDONED_WAIT_0 : WAIT_TIMEOUT;
	pthread_mutex_unlock(&p->lock);
	pd_handle_put(&p->obj);
	if (!c)
		return failed(status);
	*lpNumberOfBytesTransferred = c->bytes;
	*lpCompletionKey = c->key;
	*lpOverlapped = c->ov;
	free(c);
	return status == ERROR_SUCCESS ? TRUE : failed(status);
}

int pd_port_valid(HANDLE port)
{
	return pd_handle_type_of(port) == PD_H_PORT;
}

int pd_port_may_defer(HANDLE port)
{
	struct port *p = (struct port *)pd_handle_get(port, PD_H_PORT);
	int may;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	may = !p->polled && !p->sleepers && !p->closed;
	pthread_mutex_unlock(&p->lock);
	pd_handle_put(&p->obj);
	return may;
}

/* ---- events ---- */

struct event {
	struct pd_object obj;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int manual;
	int signaled;		/* protected by lock */
	int efd;
};

static void event_destroy(struct pd_object *obj)
{
	struct event *e = (struct event *)obj;

	close(e->efd);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Lock contract: e->lock held. Keeps the eventfd readable iff signaled. */
static void event_set_locked(struct event *e, int signaled)
{
	if (signaled == e->signaled)
		return;
	e->signaled = signaled;
	if (signaled) {
		efd_add(e->efd);
		pthread_cond_broadcast(&e->cond);
	} else {
		efd_take(e->efd);
	}
}

PD_EXPORT HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes,
				     BOOL bManualReset, BOOL bInitialState,
				     LPCSTR lpName)
{
	struct event *e;
	HANDLE h;

	if (lpName) {
		failed(ERROR_NOT_SUPPORTED);	/* named events: not on Linux */
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		failed(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->efd < 0) {
		free(e);
		failed(ERROR_NOT_ENOUGH_MEMORY);
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	cond_init_monotonic(&e->cond);
	e->manual = !!bManualReset;
	event_set_locked(e, !!bInitialState);
	h = pd_handle_new(&e->obj, PD_H_EVENT, event_destroy);
	if (!h) {
		event_destroy(&e->obj);
		failed(ERROR_NOT_ENOUGH_MEMORY);
	}
	return h;
}

PD_EXPORT HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes,
				     BOOL bManualReset, BOOL bInitialState,
				     LPCWSTR lpName)
{
	if (lpName) {
		failed(ERROR_NOT_SUPPORTED);
		return NULL;
	}
	return CreateEventA(lpEventAttributes, bManualReset, bInitialState, NULL);
}

/* Events are named with bit 0 possibly set (the "not to the port" mark). */
static struct event *event_get(HANDLE h)
{
	return (struct event *)pd_handle_get((HANDLE)((uintptr_t)h & ~(uintptr_t)1),
					     PD_H_EVENT);
}

static BOOL event_set(HANDLE h, int signaled)
{
	struct event *e = event_get(h);

	if (!e)
		return failed(ERROR_INVALID_HANDLE);
	pthread_mutex_lock(&e->lock);
	event_set_locked(e, signaled);
	pthread_mutex_unlock(&e->lock);
	pd_handle_put(&e->obj);
	return TRUE;
}

PD_EXPORT BOOL WINAPI SetEvent(HANDLE hEvent)
{
	return event_set(hEvent, 1);
}

PD_EXPORT BOOL WINAPI ResetEvent(HANDLE hEvent)
{
	return event_set(hEvent, 0);
}

PD_EXPORT DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
	struct event *e = event_get(hHandle);
	int ok;

	if (!e) {
		failed(ERROR_INVALID_HANDLE);
		return WAIT_FAILED;
	}
	pthread_mutex_lock(&e->lock);
	ok = WAIT_UNTIL(&e->cond, &e->lock, dwMilliseconds, e->signaled);
	if (ok && !e->manual)
		event_set_locked(e, 0);
	pthread_mutex_unlock(&e->lock);
	pd_handle_put(&e->obj);
	return ok ? WAIT_OBJECT_0 : WAIT_TIMEOUT;
}

/* ---- handles ---- */

PD_EXPORT BOOL WINAPI CloseHandle(HANDLE hObject)
{
	struct port *p = (struct port *)pd_handle_get(hObject, PD_H_PORT);

	if (p) {
		/* Waiters wake with ERROR_ABANDONED_WAIT_0. */
		pthread_mutex_lock(&p->lock);
		p->closed = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pd_handle_put(&p->obj);
		return pd_handle_close(hObject, PD_H_PORT) ? TRUE :
			failed(ERROR_INVALID_HANDLE);
	}
	if (pd_handle_close(hObject, PD_H_EVENT))
		return TRUE;
	return failed(ERROR_INVALID_HANDLE);
}

PD_EXPORT int WINAPI PeerDistHandlePollFd(HANDLE hHandle)
{
	struct pd_object *obj = pd_handle_get(hHandle, PD_H_PORT);
	int fd;

	if (obj) {
		struct port *p = (struct port *)obj;

		pthread_mutex_lock(&p->lock);
		p->polled = 1;	/* a poller does no deferred work: none is put off */
		pthread_mutex_unlock(&p->lock);
		fd = p->efd;
	} else if ((obj = pd_handle_get(hHandle, PD_H_EVENT))) {
		fd = ((struct event *)obj)->efd;
	} else {
		failed(ERROR_INVALID_HANDLE);
		return -1;
	}
	pd_handle_put(obj);
	return fd;
}

/* ---- OVERLAPPED completion ---- */

static pthread_mutex_t overlapped_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t overlapped_cond;
static pthread_once_t overlapped_once = PTHREAD_ONCE_INIT;

static void overlapped_init(void)
{
	cond_init_monotonic(&overlapped_cond);
}

void pd_overlapped_start(LPOVERLAPPED ov)
{
	pthread_once(&overlapped_once, overlapped_init);
	ov->InternalHigh = 0;
	__atomic_store_n(&ov->Internal, STATUS_PENDING, __ATOMIC_RELEASE);
}

void pd_overlapped_complete(LPOVERLAPPED ov, DWORD status, DWORD bytes,
			    HANDLE port, ULONG_PTR key)
{
	HANDLE event = ov->hEvent;

	pthread_once(&overlapped_once, overlapped_init);
	ov->InternalHigh = bytes;
	pthread_mutex_lock(&overlapped_lock);
	__atomic_store_n(&ov->Internal, status, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&overlapped_cond);
	pthread_mutex_unlock(&overlapped_lock);
	/* After this point the caller may reuse ov: only locals below. */
	if (event)
		SetEvent(event);
	if (port && !((uintptr_t)event & 1))
		port_post(port, bytes, key, ov, status);
}

int pd_overlapped_wait(LPOVERLAPPED ov, DWORD ms)
{
	int ok;

	pthread_once(&overlapped_once, overlapped_init);
	if (__atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE) == STATUS_PENDING)
		pd_deferred_run();
	pthread_mutex_lock(&overlapped_lock);
	ok = WAIT_UNTIL(&overlapped_cond, &overlapped_lock, ms,
			__atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE) != STATUS_PENDING);
	pthread_mutex_unlock(&overlapped_lock);
	return ok ? 0 : -1;
}
