// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A client written the way a Windows program is: given content information
 * (as a peerdist HTTP response carries it), read the content through the
 * local cache with StreamRead and a completion port. What is missing is
 * reported with its range, the way a real client then asks the origin for
 * those bytes and hands them over with PeerDistClientAddData.
 * Build: cc client.c $(pkg-config --cflags --libs libpeerdist)
 * Usage: client CI-FILE > content
 */
#include <stdio.h>
#include <stdlib.h>

#include <peerdist.h>

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
	FILE *ci;

	if (argc != 2 || !(ci = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: client CI-FILE > content\n");
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
	return err == PEERDIST_ERROR_NO_MORE ? 0 : 1;
}
