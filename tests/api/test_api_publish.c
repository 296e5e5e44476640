// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Publishing: streams added in pieces, content information of the whole
 * or of a range in V1 and V2, retrieved in pieces to PEERDIST_ERROR_NO_MORE;
 * ALREADY_EXISTS per user; length checks; Unpublish and Shutdown end a
 * publication.
 */
#include "apitest.h"

/* A content information header: V1 is 0x0100 LE, V2 is minor 0, major 2. */
static void assert_version(const uint8_t *ci, int version)
{
	assert_int_equal(ci[0], 0x00);
	assert_int_equal(ci[1], version);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void publish_and_retrieve(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = startup();
	size_t len = 3u << 20, n;
	uint8_t *data = malloc(len), *ci;

	fill_pattern(data, len, 1);
	publish(h, "content-1", data, len, 100000);
	ci = retrieve_ci(h, "content-1", 0, 0, 1, &n);
	assert_version(ci, 1);
	/* One segment of 48 blocks: 18 + 80 + 4 + 48 * 32 bytes. */
	assert_int_equal(n, 18 + 80 + 4 + 48 * 32);
	free(ci);
	ci = retrieve_ci(h, "content-1", 0, 0, 2, &n);
	assert_version(ci, 2);
	assert_int_equal((n - 36) % 68, 0);
	free(ci);
	/* A range: V1 keeps the covering segment, range fields narrow it. */
	ci = retrieve_ci(h, "content-1", 70000, 1000, 1, &n);
	assert_version(ci, 1);
	assert_int_equal(ci[6] | ci[7] << 8 | ci[8] << 16, 70000);
	assert_int_equal(ci[10] | ci[11] << 8 | ci[12] << 16, 71000);
	assert_int_equal(le64(ci + 18), 0);
	free(ci);
	PeerDistShutdown(h);
	free(data);
}

static void already_exists_and_unpublish(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = startup(), other = startup();
	PEERDIST_STREAM_HANDLE stream;
	PEERDIST_CONTENTINFO_HANDLE ci;
	uint8_t data[1000];

	fill_pattern(data, sizeof(data), 2);
	publish(h, "dup", data, sizeof(data), 1000);
	assert_int_equal(PeerDistServerPublishStream(h, 3, (const BYTE *)"dup", 0, NULL,
						     NULL, 0, &stream),
			 PEERDIST_ERROR_ALREADY_EXISTS);
	/* Same user, other instance: the same publication. */
	assert_int_equal(PeerDistServerPublishStream(other, 3, (const BYTE *)"dup", 0,
						     NULL, NULL, 0, &stream),
			 PEERDIST_ERROR_ALREADY_EXISTS);
	assert_int_equal(PeerDistServerUnpublish(h, 3, (const BYTE *)"dup"), ERROR_SUCCESS);
	assert_int_equal(PeerDistServerOpenContentInformation(h, 3, (const BYTE *)"dup",
			 0, 0, NULL, 0, &ci), ERROR_NOT_FOUND);
	publish(other, "dup", data, sizeof(data), 7);
	PeerDistShutdown(h);
	PeerDistShutdown(other);
}

static void shutdown_ends_publications(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = startup();
	PEERDIST_CONTENTINFO_HANDLE ci;
	uint8_t data[5000];

	fill_pattern(data, sizeof(data), 3);
	publish(h, "short-lived", data, sizeof(data), 999);
	assert_int_equal(PeerDistShutdown(h), ERROR_SUCCESS);
	h = startup();
	assert_int_equal(PeerDistServerOpenContentInformation(h, 11,
			 (const BYTE *)"short-lived", 0, 0, NULL, 0, &ci), ERROR_NOT_FOUND);
	PeerDistShutdown(h);
}

static void length_checks(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = startup();
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	PEERDIST_STREAM_HANDLE stream;
	OVERLAPPED ov = { 0 };
	uint8_t data[100] = { 0 };
	struct done d;

	assert_int_equal(PeerDistServerPublishStream(h, 1, (const BYTE *)"L", 150, NULL,
						     port, 0, &stream), ERROR_SUCCESS);
	assert_int_equal(PeerDistServerPublishAddToStream(h, stream, 100, data, &ov),
			 ERROR_IO_PENDING);
	assert_int_equal(next_completion(port, 5000).status, ERROR_SUCCESS);
	/* More than declared. */
	assert_int_equal(PeerDistServerPublishAddToStream(h, stream, 100, data, &ov),
			 ERROR_IO_PENDING);
	d = next_completion(port, 5000);
	assert_int_equal(d.status, ERROR_INVALID_PARAMETER);
	/* Fewer than declared. */
	assert_int_equal(PeerDistServerPublishCompleteStream(h, stream, &ov),
			 ERROR_IO_PENDING);
	assert_int_equal(next_completion(port, 5000).status, ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistServerPublishAddToStream(h, stream, 50, data, &ov),
			 ERROR_IO_PENDING);
	assert_int_equal(next_completion(port, 5000).status, ERROR_SUCCESS);
	assert_int_equal(PeerDistServerPublishCompleteStream(h, stream, &ov),
			 ERROR_IO_PENDING);
	assert_int_equal(next_completion(port, 5000).status, ERROR_SUCCESS);
	assert_int_equal(PeerDistServerPublishCompleteStream(h, stream, &ov),
			 ERROR_IO_PENDING);
	assert_int_equal(next_completion(port, 5000).status,
			 PEERDIST_ERROR_ALREADY_COMPLETED);
	PeerDistServerCloseStreamHandle(h, stream);
	CloseHandle(port);
	PeerDistShutdown(h);
}

static void ranges_and_versions(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = startup();
	PEERDIST_RETRIEVAL_OPTIONS opts = { sizeof(opts), 1, 2, 0 };
	PEERDIST_CONTENTINFO_HANDLE ci;
	uint8_t data[200000];

	fill_pattern(data, sizeof(data), 4);
	publish(h, "r", data, sizeof(data), 65536);
	assert_int_equal(PeerDistServerOpenContentInformation(h, 1, (const BYTE *)"r",
			 199999, 2, NULL, 0, &ci), PEERDIST_ERROR_OUT_OF_BOUNDS);
	assert_int_equal(PeerDistServerOpenContentInformation(h, 1, (const BYTE *)"r",
			 200000, 1, NULL, 0, &ci), PEERDIST_ERROR_OUT_OF_BOUNDS);
	opts.dwContentInfoMinVersion = 3;
	opts.dwContentInfoMaxVersion = 3;
	assert_int_equal(PeerDistServerOpenContentInformationEx(h, 1, (const BYTE *)"r",
			 0, 0, &opts, NULL, 0, &ci),
			 PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED);
	opts.dwContentInfoMinVersion = 2;
	opts.dwContentInfoMaxVersion = 1;
	assert_int_equal(PeerDistServerOpenContentInformationEx(h, 1, (const BYTE *)"r",
			 0, 0, &opts, NULL, 0, &ci), ERROR_INVALID_PARAMETER);
	opts.cbSize = 3;
	assert_int_equal(PeerDistServerOpenContentInformationEx(h, 1, (const BYTE *)"r",
			 0, 0, &opts, NULL, 0, &ci), ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistServerCancelAsyncOperation(h, 1, (const BYTE *)"r",
			 &(OVERLAPPED){ 0 }), PEERDIST_ERROR_OPERATION_NOTFOUND);
	PeerDistShutdown(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(publish_and_retrieve, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(already_exists_and_unpublish, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(shutdown_ends_publications, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(length_checks, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(ranges_and_versions, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
