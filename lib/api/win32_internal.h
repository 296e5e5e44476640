/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the API implementation uses of the Win32 shim: completing OVERLAPPEDs. */
#ifndef PD_WIN32_INTERNAL_H
#define PD_WIN32_INTERNAL_H

#include "peerdist/win32.h"

/* Marks a definition as part of libpeerdist's ABI (default visibility). */
#define PD_EXPORT __attribute__((visibility("default")))

/* An operation starts: Internal = STATUS_PENDING, InternalHigh = 0. */
void pd_overlapped_start(LPOVERLAPPED ov);

/*
 * An operation ends: InternalHigh = bytes, Internal = status (a Win32 error
 * code, 0 for success), published with release order; then hEvent (if any)
 * is signaled and, unless bit 0 of hEvent is set, (key, bytes, ov, status)
 * is queued to port (if any). Wakes PeerDistGetOverlappedResult waiters.
 */
void pd_overlapped_complete(LPOVERLAPPED ov, DWORD status, DWORD bytes,
			    HANDLE port, ULONG_PTR key);

/* Waits until ov is no longer pending; 0, or -1 on timeout. */
int pd_overlapped_wait(LPOVERLAPPED ov, DWORD ms);

/* Holds a reference on a completion port for an object that posts to it. */
int pd_port_valid(HANDLE port);

/*
 * Work put off until a thread waits: the block reads that BlockRead
 * batched (read_engine.c). A wait on a port or an OVERLAPPED that would
 * sleep does it first; pending says whether there is any.
 */
int pd_deferred_pending(void);
void pd_deferred_run(void);

/*
 * Whether a completion for port may be put off until a wait on it: not
 * when its poll fd was given out (a poller does no deferred work) or a
 * thread sleeps on it now, nor when the port is gone. Asked after the
 * work was put off: a waiter that starts to sleep after this finds it
 * pending (both look under the port's lock), so one of the two does it.
 */
int pd_port_may_defer(HANDLE port);

#endif
