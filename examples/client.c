// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A client written the way a Windows program is: given content information
 * (as a peerdist HTTP response carries it), read the content through the
 * local cache with StreamRead and a completion port. What is missing is
 * reported with its range, the way a real client then asks the origin for
 * those bytes and hands them over with PeerDistClientAddData; given
 * ORIGIN-FILE (the origin's copy, standing for an HTTP Range request), it
 * does just that and reads on.
 * Build: cc client.c $(pkg-config --cflags --libs libpeerdist)
 * Usage: client CI-FILE [ORIGIN-FILE] > content
 */
#include <stdio.h>
#include <stdlib.h>

#include <peerdist.h>

/* Hands bytes [off, off + len) of the origin's copy over with AddData. */
static DWORD add_from_origin(PEERDIST_INSTANCE_HANDLE peerdist,
			     PEERDIST_CONTENT_HANDLE content, HANDLE port,
			     FILE *origin, unsigned long long off, DWORD len)
{
	static BYTE chunk[65536];
	OVERLAPPED ov = { 0 };
	LPOVERLAPPED done;
	ULONG_PTR key;
	size_t got;
	DWORD n;

	if (fseek(origin, (long)off, SEEK_SET))
		return ERROR_HANDLE_EOF;
	while (len && (got = fread(chunk, 1, len < sizeof(chunk) ? len : sizeof(chunk),
				   origin)) > 0) {
		ov.Offset = (DWORD)off;
		ov.OffsetHigh = (DWORD)(off >> 32);
		PeerDistClientAddData(peerdist, content, got, chunk, &ov);
		if (!GetQueuedCompletionStatus(port, &n, &key, &done, INFINITE))
			return GetLastError();
		off += got;
		len -= got;
	}
	return len ? ERROR_HANDLE_EOF : ERROR_SUCCESS;
}

int main(int argc, char **argv)
{
	PEERDIST_CONTENT_TAG tag = { "example-client" };
	PEERDIST_INSTANCE_HANDLE peerdist;
	PEERDIST_CONTENT_HANDLE content;
	static BYTE buf[65536];
	OVERLAPPED ov = { 0 };
	LPOVERLAPPED done;
	ULONG_PTR key;
	HANDLE port;
	DWORD err, n;
	size_t got;
	FILE *ci, *origin = NULL;

	if (argc < 2 || argc > 3 || !(ci = fopen(argv[1], "rb")) ||
	    (argc == 3 && !(origin = fopen(argv[2], "rb")))) {
		fprintf(stderr, "usage: client CI-FILE [ORIGIN-FILE] > content\n");
		return 2;
	}
	if (PeerDistStartup(PEERDIST_VERSION, &peerdist, NULL) != ERROR_SUCCESS)
		return 1;
	port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	err = PeerDistClientOpenContent(peerdist, &tag, port, 0, &content);
	while (err == ERROR_SUCCESS && (got = fread(buf, 1, sizeof(buf), ci)) > 0) {
		PeerDistClientAddContentInformation(peerdist, content, got, buf, &ov);
		err = GetQueuedCompletionStatus(port, &n, &key, &done, INFINITE) ?
			ERROR_SUCCESS : GetLastError();
	}
	if (err == ERROR_SUCCESS) {
		PeerDistClientCompleteContentInformation(peerdist, content, &ov);
		err = GetQueuedCompletionStatus(port, &n, &key, &done, INFINITE) ?
			ERROR_SUCCESS : GetLastError();
	}
	while (err == ERROR_SUCCESS) {
		PeerDistClientStreamRead(peerdist, content, sizeof(buf), buf,
					 PEERDIST_READ_TIMEOUT_DEFAULT, &ov);
		if (GetQueuedCompletionStatus(port, &n, &key, &done, INFINITE))
			fwrite(buf, 1, n, stdout);
		else
			err = GetLastError();
		if (origin && (err == PEERDIST_ERROR_MISSING_DATA || err == ERROR_TIMEOUT))
			err = add_from_origin(peerdist, content, port, origin,
					      (unsigned long long)ov.OffsetHigh << 32 | ov.Offset,
					      n);
	}
	if (err == PEERDIST_ERROR_MISSING_DATA || err == ERROR_TIMEOUT)
		fprintf(stderr, "client: bytes %llu+%u are in no cache: fetch them "
			"from the origin and add them with PeerDistClientAddData\n",
			(unsigned long long)ov.OffsetHigh << 32 | ov.Offset, n);
	else if (err != PEERDIST_ERROR_NO_MORE)
		fprintf(stderr, "client: read failed: error %u\n", err);
	PeerDistClientCloseContent(peerdist, content);
	PeerDistShutdown(peerdist);
	CloseHandle(port);
	fclose(ci);
	if (origin)
		fclose(origin);
	return err == PEERDIST_ERROR_NO_MORE ? 0 : 1;
}
