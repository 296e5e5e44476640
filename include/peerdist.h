/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Peer Distribution (BranchCache) API of Windows, for Linux programs:
 * the 28 PeerDist* functions with Windows' names, parameters, constants
 * and error codes, implemented by libpeerdist. A program written against
 * Windows' peerdist.h compiles against this header with at most trivial
 * changes. man peerdist(3) is the overview.
 */
#ifndef PEERDIST_H
#define PEERDIST_H

#include <peerdist/win32.h>

#ifdef __cplusplus
extern "C" {
#endif

/* API versions: high byte minor, low byte major (PeerDistStartup). */
#define PEERDIST_VERSION_1_0		MAKEWORD(1, 0)
#define PEERDIST_VERSION_2_0		MAKELONG(2, 0)
#define PEERDIST_VERSION		PEERDIST_VERSION_2_0

#define PEERDIST_PUBLICATION_OPTIONS_VERSION_1	1
#define PEERDIST_PUBLICATION_OPTIONS_VERSION_2	2
#define PEERDIST_PUBLICATION_OPTIONS_VERSION	PEERDIST_PUBLICATION_OPTIONS_VERSION_2

#define PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY	0u
#define PEERDIST_READ_TIMEOUT_DEFAULT		0xFFFFFFFEu	/* 5 seconds */

#define PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1	1
#define PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2	2
#define PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION	\
	PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2

/* Error codes (winerror.h values). */
#define PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED	4050u
#define PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO		4051u
#define PEERDIST_ERROR_MISSING_DATA			4052u
#define PEERDIST_ERROR_NO_MORE				4053u
#define PEERDIST_ERROR_NOT_INITIALIZED			4054u
#define PEERDIST_ERROR_ALREADY_INITIALIZED		4055u
#define PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS		4056u
#define PEERDIST_ERROR_INVALIDATED			4057u
#define PEERDIST_ERROR_ALREADY_EXISTS			4058u
#define PEERDIST_ERROR_OPERATION_NOTFOUND		4059u
#define PEERDIST_ERROR_ALREADY_COMPLETED		4060u
#define PEERDIST_ERROR_OUT_OF_BOUNDS			4061u
#define PEERDIST_ERROR_VERSION_UNSUPPORTED		4062u
#define PEERDIST_ERROR_INVALID_CONFIGURATION		4063u
#define PEERDIST_ERROR_NOT_LICENSED			4064u
#define PEERDIST_ERROR_SERVICE_UNAVAILABLE		4065u
#define PEERDIST_ERROR_TRUST_FAILURE			4066u

typedef HANDLE PEERDIST_INSTANCE_HANDLE, *PPEERDIST_INSTANCE_HANDLE;
typedef HANDLE PEERDIST_CONTENT_HANDLE, *PPEERDIST_CONTENT_HANDLE;
typedef HANDLE PEERDIST_CONTENTINFO_HANDLE, *PPEERDIST_CONTENTINFO_HANDLE;
typedef HANDLE PEERDIST_STREAM_HANDLE, *PPEERDIST_STREAM_HANDLE;

typedef enum {
	PEERDIST_STATUS_DISABLED = 0,
	PEERDIST_STATUS_UNAVAILABLE = 1,
	PEERDIST_STATUS_AVAILABLE = 2,
} PEERDIST_STATUS, *PPEERDIST_STATUS;

typedef enum {
	PeerDistClientBasicInfo = 0,
	MaximumPeerDistClientInfoByHandlesClass = 1,
} PEERDIST_CLIENT_INFO_BY_HANDLE_CLASS, *PPEERDIST_CLIENT_INFO_BY_HANDLE_CLASS;

typedef struct {
	DWORD dwVersion;
	DWORD dwFlags;
} PEERDIST_PUBLICATION_OPTIONS, *PPEERDIST_PUBLICATION_OPTIONS;

typedef struct {
	BYTE Data[16];
} PEERDIST_CONTENT_TAG, *PPEERDIST_CONTENT_TAG;

typedef struct {
	DWORD cbSize;
	DWORD dwContentInfoMinVersion;
	DWORD dwContentInfoMaxVersion;
	DWORD dwReserved;
} PEERDIST_RETRIEVAL_OPTIONS, *PPEERDIST_RETRIEVAL_OPTIONS;

typedef struct {
	DWORD cbSize;
	PEERDIST_STATUS status;
	DWORD dwMinVer;
	DWORD dwMaxVer;
} PEERDIST_STATUS_INFO, *PPEERDIST_STATUS_INFO;

typedef struct {
	BOOL fFlashCrowd;
} PEERDIST_CLIENT_BASIC_INFO, *PPEERDIST_CLIENT_BASIC_INFO;

/* Instance */
DWORD WINAPI PeerDistStartup(DWORD dwVersionRequested,
			     PPEERDIST_INSTANCE_HANDLE phPeerDist,
			     PDWORD pdwSupportedVersion);
DWORD WINAPI PeerDistShutdown(PEERDIST_INSTANCE_HANDLE hPeerDist);
DWORD WINAPI PeerDistGetStatus(PEERDIST_INSTANCE_HANDLE hPeerDist,
			       PEERDIST_STATUS *pPeerDistStatus);
DWORD WINAPI PeerDistRegisterForStatusChangeNotification(
	PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE hCompletionPort,
	ULONG_PTR ulCompletionKey, LPOVERLAPPED lpOverlapped,
	PEERDIST_STATUS *pPeerDistStatus);
DWORD WINAPI PeerDistUnregisterForStatusChangeNotification(
	PEERDIST_INSTANCE_HANDLE hPeerDist);
DWORD WINAPI PeerDistGetStatusEx(PEERDIST_INSTANCE_HANDLE hPeerDist,
				 PEERDIST_STATUS_INFO *pPeerDistStatus);
DWORD WINAPI PeerDistRegisterForStatusChangeNotificationEx(
	PEERDIST_INSTANCE_HANDLE hPeerDist, HANDLE hCompletionPort,
	ULONG_PTR ulCompletionKey, LPOVERLAPPED lpOverlapped,
	PEERDIST_STATUS_INFO *pPeerDistStatus);
BOOL WINAPI PeerDistGetOverlappedResult(LPOVERLAPPED lpOverlapped,
					LPDWORD lpNumberOfBytesTransferred,
					BOOL bWait);

/* Publication */
DWORD WINAPI PeerDistServerPublishStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier,
	ULONGLONG cbContentLength,
	const PEERDIST_PUBLICATION_OPTIONS *pPublishOptions,
	HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
	PPEERDIST_STREAM_HANDLE phStream);
DWORD WINAPI PeerDistServerPublishAddToStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_STREAM_HANDLE hStream, DWORD cbNumberOfBytes,
	const BYTE *pBuffer, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistServerPublishCompleteStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_STREAM_HANDLE hStream, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistServerCloseStreamHandle(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_STREAM_HANDLE hStream);
DWORD WINAPI PeerDistServerUnpublish(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier);
DWORD WINAPI PeerDistServerOpenContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier,
	ULONGLONG ullContentOffset, ULONGLONG cbContentLength,
	HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
	PPEERDIST_CONTENTINFO_HANDLE phContentInfo);
DWORD WINAPI PeerDistServerOpenContentInformationEx(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier,
	ULONGLONG ullContentOffset, ULONGLONG cbContentLength,
	PEERDIST_RETRIEVAL_OPTIONS *pRetrievalOptions,
	HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
	PPEERDIST_CONTENTINFO_HANDLE phContentInfo);
DWORD WINAPI PeerDistServerRetrieveContentInformation(
	PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENTINFO_HANDLE hContentInfo, DWORD cbMaxNumberOfBytes,
	PBYTE pBuffer, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistServerCloseContentInformation(
	PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENTINFO_HANDLE hContentInfo);
DWORD WINAPI PeerDistServerCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist,
	DWORD cbContentIdentifier, const BYTE *pContentIdentifier,
	LPOVERLAPPED pOverlapped);

/* Client */
DWORD WINAPI PeerDistClientOpenContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
	const PEERDIST_CONTENT_TAG *pContentTag, HANDLE hCompletionPort,
	ULONG_PTR ulCompletionKey, PPEERDIST_CONTENT_HANDLE phContentHandle);
DWORD WINAPI PeerDistClientCloseContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle);
DWORD WINAPI PeerDistClientAddContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbNumberOfBytes,
	const BYTE *pBuffer, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientCompleteContentInformation(
	PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientAddData(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbNumberOfBytes,
	const BYTE *pBuffer, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientBlockRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbMaxNumberOfBytes,
	PBYTE pBuffer, DWORD dwTimeoutInMilliseconds, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientStreamRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbMaxNumberOfBytes,
	PBYTE pBuffer, DWORD dwTimeoutInMilliseconds, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientFlushContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
	const PEERDIST_CONTENT_TAG *pContentTag, HANDLE hCompletionPort,
	ULONG_PTR ulCompletionKey, LPOVERLAPPED lpOverlapped);
DWORD WINAPI PeerDistClientCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle, LPOVERLAPPED pOverlapped);
DWORD WINAPI PeerDistClientGetInformationByHandle(PEERDIST_INSTANCE_HANDLE hPeerDist,
	PEERDIST_CONTENT_HANDLE hContentHandle,
	PEERDIST_CLIENT_INFO_BY_HANDLE_CLASS PeerDistClientInfoClass,
	DWORD dwBufferSize, LPVOID lpInformation);

#ifdef __cplusplus
}
#endif

#endif
