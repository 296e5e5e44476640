/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the API conformance tests. These tests use only <peerdist.h>
 * and libpeerdist.so, as a Windows-style program would, so the same suite
 * can run against every store backend.
 */
#ifndef PD_APITEST_H
#define PD_APITEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <unistd.h>
#include <cmocka.h>

#include <peerdist.h>

#include "../unit/testutil.h"

/* A fresh cache and server secret for the instances a test starts next. */
static char test_dir[64];

static inline void use_cache(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", test_dir, name);
	setenv("PEERDIST_CACHE_DIR", path, 1);
}

/* Sets PEERDIST_BACKEND (NULL: unsets it); returns what it was (malloc'd
 * or NULL) for the next call to put back. */
static inline char *use_backend(const char *backend)
{
	char *was = getenv("PEERDIST_BACKEND");

	was = was ? strdup(was) : NULL;
	if (backend)
		setenv("PEERDIST_BACKEND", backend, 1);
	else
		unsetenv("PEERDIST_BACKEND");
	return was;
}

static inline int api_setup(void **state)
{
	char path[128];

	strcpy(test_dir, "/tmp/pd-api-XXXXXX");
	assert_non_null(mkdtemp(test_dir));
	snprintf(path, sizeof(path), "%s/secret", test_dir);
	setenv("PEERDIST_SECRET_FILE", path, 1);
	use_cache("cache");
	return 0;
}

static inline int api_teardown(void **state)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	return system(cmd);
}

static inline PEERDIST_INSTANCE_HANDLE startup(void)
{
	PEERDIST_INSTANCE_HANDLE h = NULL;
	DWORD supported;

	assert_int_equal(PeerDistStartup(PEERDIST_VERSION, &h, &supported), ERROR_SUCCESS);
	assert_non_null(h);
	return h;
}

struct done {
	DWORD status;
	DWORD bytes;
	ULONG_PTR key;
	LPOVERLAPPED ov;
};

/* The next completion on port, within ms; fails the test on a timeout. */
static inline struct done next_completion(HANDLE port, DWORD ms)
{
	struct done d = { 0 };

	if (GetQueuedCompletionStatus(port, &d.bytes, &d.key, &d.ov, ms))
		d.status = ERROR_SUCCESS;
	else
		d.status = GetLastError();
	assert_non_null(d.ov);	/* NULL only on a timeout or a closed port */
	return d;
}

/* Publishes data under id through a stream, in pieces of step bytes. */
static inline void publish(PEERDIST_INSTANCE_HANDLE inst, const char *id,
			   const uint8_t *data, size_t len, size_t step)
{
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	PEERDIST_STREAM_HANDLE stream;
	OVERLAPPED ov = { 0 };
	struct done d;
	size_t pos;

	assert_int_equal(PeerDistServerPublishStream(inst, strlen(id), (const BYTE *)id,
						     len, NULL, port, 5, &stream),
			 ERROR_SUCCESS);
	for (pos = 0; pos < len; pos += step) {
		DWORD n = len - pos < step ? len - pos : step;

		assert_int_equal(PeerDistServerPublishAddToStream(inst, stream, n,
								  data + pos, &ov),
				 ERROR_IO_PENDING);
		d = next_completion(port, 10000);
		assert_int_equal(d.status, ERROR_SUCCESS);
		assert_int_equal(d.bytes, n);
		assert_int_equal(d.key, 5);
	}
	assert_int_equal(PeerDistServerPublishCompleteStream(inst, stream, &ov),
			 ERROR_IO_PENDING);
	d = next_completion(port, 60000);
	assert_int_equal(d.status, ERROR_SUCCESS);
	assert_int_equal(PeerDistServerCloseStreamHandle(inst, stream), ERROR_SUCCESS);
	CloseHandle(port);
}

/* The content information of a publication, whole, version 1 or 2. */
static inline uint8_t *retrieve_ci(PEERDIST_INSTANCE_HANDLE inst, const char *id,
				   uint64_t off, uint64_t len, DWORD version,
				   size_t *out_len)
{
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	PEERDIST_RETRIEVAL_OPTIONS opts = { sizeof(opts), 1, version, 0 };
	PEERDIST_CONTENTINFO_HANDLE h;
	OVERLAPPED ov = { 0 };
	uint8_t *buf = NULL;
	size_t have = 0;
	struct done d;

	assert_int_equal(PeerDistServerOpenContentInformationEx(inst, strlen(id),
			 (const BYTE *)id, off, len, &opts, port, 0, &h), ERROR_SUCCESS);
	/* The offset is the handle's; the call says NO_MORE at the end. */
	for (;;) {
		DWORD ret;

		buf = realloc(buf, have + 100);
		ret = PeerDistServerRetrieveContentInformation(inst, h, 100, buf + have, &ov);
		if (ret == PEERDIST_ERROR_NO_MORE)
			break;
		assert_int_equal(ret, ERROR_IO_PENDING);
		d = next_completion(port, 10000);
		assert_int_equal(d.status, ERROR_SUCCESS);
		have += d.bytes;
	}
	/* Offsets in the OVERLAPPED are reserved. */
	ov.Offset = 1;
	assert_int_equal(PeerDistServerRetrieveContentInformation(inst, h, 100, buf, &ov),
			 ERROR_INVALID_PARAMETER);
	ov.Offset = 0;
	assert_int_equal(PeerDistServerCloseContentInformation(inst, h), ERROR_SUCCESS);
	CloseHandle(port);
	*out_len = have;
	return buf;
}

#endif
