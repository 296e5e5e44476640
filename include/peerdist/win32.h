/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Win32 basics that the PeerDist API uses, for Linux: integer types,
 * HANDLE, OVERLAPPED, the error codes the API returns, and a small shim of
 * completion ports, events and the per-thread last error. Handles are
 * opaque values checked on every use: a stale or foreign handle gives
 * ERROR_INVALID_HANDLE, never a crash. Every port and event also has a
 * pollable file descriptor (PeerDistHandlePollFd) for epoll or io_uring.
 */
#ifndef PEERDIST_WIN32_H
#define PEERDIST_WIN32_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WINAPI
#define WINAPI
#endif

typedef uint32_t DWORD, *PDWORD, *LPDWORD;
typedef int BOOL, *PBOOL, *LPBOOL;
typedef uint8_t BYTE, *PBYTE, *LPBYTE;
typedef uint16_t WORD, *PWORD;
typedef uint32_t ULONG, *PULONG;
typedef uint64_t ULONGLONG, *PULONGLONG;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef void *PVOID, *LPVOID, *HANDLE, *PHANDLE;
typedef const char *LPCSTR;
typedef const uint16_t *LPCWSTR;
typedef struct _SECURITY_ATTRIBUTES *LPSECURITY_ATTRIBUTES;

#ifndef TRUE
#define TRUE	1
#define FALSE	0
#endif
#define INVALID_HANDLE_VALUE	((HANDLE)(intptr_t)-1)
#define INFINITE		0xFFFFFFFFu

#define MAKEWORD(lo, hi)	((WORD)(((BYTE)(lo)) | ((WORD)((BYTE)(hi))) << 8))
#define MAKELONG(lo, hi)	((DWORD)(((WORD)(lo)) | ((DWORD)((WORD)(hi))) << 16))
#define LOWORD(l)		((WORD)((DWORD)(l) & 0xffff))
#define HIWORD(l)		((WORD)((DWORD)(l) >> 16))

typedef struct _OVERLAPPED {
	ULONG_PTR Internal;	/* status: STATUS_PENDING, then a Win32 error code */
	ULONG_PTR InternalHigh;	/* bytes transferred */
	union {
		struct {
			DWORD Offset;
			DWORD OffsetHigh;
		};
		PVOID Pointer;
	};
	HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

/* While an operation is in flight, Internal holds STATUS_PENDING. */
#define STATUS_PENDING			0x00000103u
#define HasOverlappedIoCompleted(ov)	((DWORD)(ov)->Internal != STATUS_PENDING)

/* Win32 error codes (winerror.h values). */
#define ERROR_SUCCESS			0u
#define NO_ERROR			0u
#define ERROR_INVALID_FUNCTION		1u
#define ERROR_INVALID_HANDLE		6u
#define ERROR_NOT_ENOUGH_MEMORY		8u
#define ERROR_INVALID_DATA		13u
#define ERROR_OUTOFMEMORY		14u
#define ERROR_HANDLE_EOF		38u
#define ERROR_NOT_SUPPORTED		50u
#define ERROR_INVALID_PARAMETER		87u
#define ERROR_INSUFFICIENT_BUFFER	122u
#define ERROR_MORE_DATA			234u
#define WAIT_TIMEOUT			258u
#define ERROR_ABANDONED_WAIT_0		735u
#define ERROR_OPERATION_ABORTED		995u
#define ERROR_IO_INCOMPLETE		996u
#define ERROR_IO_PENDING		997u
#define ERROR_NOT_FOUND			1168u
#define ERROR_ACCESS_DISABLED_BY_POLICY	1260u
#define ERROR_TIMEOUT			1460u

#define WAIT_OBJECT_0			0u
#define WAIT_FAILED			0xFFFFFFFFu

/* Completion ports. Only new ports can be created (FileHandle must be
 * INVALID_HANDLE_VALUE); PeerDist operations name their port themselves. */
HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle,
				     HANDLE ExistingCompletionPort,
				     ULONG_PTR CompletionKey,
				     DWORD NumberOfConcurrentThreads);
BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
				      LPDWORD lpNumberOfBytesTransferred,
				      PULONG_PTR lpCompletionKey,
				      LPOVERLAPPED *lpOverlapped,
				      DWORD dwMilliseconds);
BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
				       DWORD dwNumberOfBytesTransferred,
				       ULONG_PTR dwCompletionKey,
				       LPOVERLAPPED lpOverlapped);

/* Events (unnamed only: lpName must be NULL). */
HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes,
			   BOOL bManualReset, BOOL bInitialState, LPCSTR lpName);
HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes,
			   BOOL bManualReset, BOOL bInitialState, LPCWSTR lpName);
#ifndef CreateEvent
#define CreateEvent CreateEventA
#endif
BOOL WINAPI SetEvent(HANDLE hEvent);
BOOL WINAPI ResetEvent(HANDLE hEvent);
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);

BOOL WINAPI CloseHandle(HANDLE hObject);
DWORD WINAPI GetLastError(void);
void WINAPI SetLastError(DWORD dwErrCode);

/*
 * Linux: a file descriptor that polls readable while the completion port
 * has completions queued, or while the event is signaled. It belongs to the
 * handle (do not close it) and lives as long as the handle. -1 with
 * ERROR_INVALID_HANDLE for anything else.
 */
int WINAPI PeerDistHandlePollFd(HANDLE hHandle);

#ifdef __cplusplus
}
#endif

#endif
