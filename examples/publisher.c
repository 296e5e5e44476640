// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A publisher written the way a Windows program is: publish a file as a
 * stream through a completion port, then hand out its content information
 * (to stdout, or to a file), as a web server does for a peerdist response.
 * Build: cc publisher.c $(pkg-config --cflags --libs libpeerdist)
 * Usage: publisher FILE [CI-OUT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <peerdist.h>

static DWORD wait_for(HANDLE port, DWORD *bytes)
{
	ULONG_PTR key;
	LPOVERLAPPED ov;

	if (!GetQueuedCompletionStatus(port, bytes, &key, &ov, INFINITE))
		return GetLastError();
	return ERROR_SUCCESS;
}

int main(int argc, char **argv)
{
	PEERDIST_INSTANCE_HANDLE peerdist;
	PEERDIST_STREAM_HANDLE stream;
	PEERDIST_CONTENTINFO_HANDLE info;
	OVERLAPPED ov = { 0 };
	HANDLE port;
	BYTE buf[65536];
	DWORD err, n;
	size_t got;
	FILE *in, *out = stdout;

	if (argc < 2 || !(in = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: publisher FILE [CI-OUT]\n");
		return 2;
	}
	if (argc > 2 && !(out = fopen(argv[2], "wb"))) {
		perror(argv[2]);
		return 1;
	}
	err = PeerDistStartup(PEERDIST_VERSION, &peerdist, NULL);
	if (err != ERROR_SUCCESS) {
		fprintf(stderr, "PeerDistStartup: %u\n", err);
		return 1;
	}
	port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	err = PeerDistServerPublishStream(peerdist, strlen(argv[1]), (BYTE *)argv[1],
					  0, NULL, port, 1, &stream);
	while (err == ERROR_SUCCESS && (got = fread(buf, 1, sizeof(buf), in)) > 0) {
		err = PeerDistServerPublishAddToStream(peerdist, stream, got, buf, &ov);
		if (err == ERROR_IO_PENDING)
			err = wait_for(port, &n);
	}
	if (err == ERROR_SUCCESS) {
		err = PeerDistServerPublishCompleteStream(peerdist, stream, &ov);
		if (err == ERROR_IO_PENDING)
			err = wait_for(port, &n);
		PeerDistServerCloseStreamHandle(peerdist, stream);
	}
	if (err == ERROR_SUCCESS)
		err = PeerDistServerOpenContentInformation(peerdist, strlen(argv[1]),
							   (BYTE *)argv[1], 0, 0,
							   port, 2, &info);
	/* Hand it out in pieces, as it would go into a response body; the
	 * handle keeps the offset, NO_MORE says the end. */
	ov.Offset = 0;
	while (err == ERROR_SUCCESS) {
		err = PeerDistServerRetrieveContentInformation(peerdist, info,
							       sizeof(buf), buf, &ov);
		if (err == ERROR_IO_PENDING)
			err = wait_for(port, &n);
		if (err == ERROR_SUCCESS)
			fwrite(buf, 1, n, out);
	}
	if (err == PEERDIST_ERROR_NO_MORE) {
		PeerDistServerCloseContentInformation(peerdist, info);
		err = ERROR_SUCCESS;
	}
	if (err != ERROR_SUCCESS)
		fprintf(stderr, "publisher: error %u\n", err);
	PeerDistShutdown(peerdist);
	CloseHandle(port);
	fclose(in);
	if (out != stdout)
		fclose(out);
	return err == ERROR_SUCCESS ? 0 : 1;
}
