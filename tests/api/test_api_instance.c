// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Instances: version negotiation, status and its change notification,
 * Shutdown, and argument and handle validation across the API (NULLs,
 * made-up handles, handles of another instance, closed handles); threads
 * that start instances at once over one cache all get one.
 */
#include <pthread.h>

#include "apitest.h"

static void startup_versions(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = NULL;
	DWORD supported = 0;

	assert_int_equal(PeerDistStartup(0, &h, &supported),
			 PEERDIST_ERROR_VERSION_UNSUPPORTED);
	assert_int_equal(PeerDistStartup(PEERDIST_VERSION, NULL, NULL),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistStartup(PEERDIST_VERSION_1_0, &h, &supported),
			 ERROR_SUCCESS);
	assert_int_equal(supported, PEERDIST_VERSION);
	assert_int_equal(PeerDistShutdown(h), ERROR_SUCCESS);
	assert_int_equal(PeerDistStartup(PEERDIST_VERSION, &h, NULL), ERROR_SUCCESS);
	assert_int_equal(PeerDistShutdown(h), ERROR_SUCCESS);
	/* A shut-down instance is gone. */
	assert_int_equal(PeerDistShutdown(h), ERROR_INVALID_HANDLE);
}

#define STARTERS	8
#define STARTS		50

static pthread_barrier_t starters;

/* Every thread's starts, together: how many failed. */
static void *start_and_shut_down(void *arg)
{
	PEERDIST_INSTANCE_HANDLE h;
	intptr_t failed = 0;
	DWORD err;
	int i;

	for (i = 0; i < STARTS; i++) {
		pthread_barrier_wait(&starters);
		err = PeerDistStartup(PEERDIST_VERSION, &h, NULL);
		if (err == ERROR_SUCCESS && (err = PeerDistShutdown(h)) == ERROR_SUCCESS)
			continue;
		fprintf(stderr, "start %d: error %lu\n", i, (unsigned long)err);
		failed++;
	}
	return (void *)failed;
}

/* As a proxy's connections do: each start opens the cache and writes its
 * small files, which a name per process made threads take from another. */
static void startup_from_threads_at_once(void **state)
{
	pthread_t t[STARTERS];
	intptr_t failed = 0;
	void *rc;
	int i;

	pthread_barrier_init(&starters, NULL, STARTERS);
	for (i = 0; i < STARTERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, start_and_shut_down, NULL), 0);
	for (i = 0; i < STARTERS; i++) {
		assert_int_equal(pthread_join(t[i], &rc), 0);
		failed += (intptr_t)rc;
	}
	pthread_barrier_destroy(&starters);
	assert_int_equal(failed, 0);
}

static void status(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = startup();
	PEERDIST_STATUS_INFO info = { .cbSize = sizeof(info) };
	PEERDIST_STATUS st;

	assert_int_equal(PeerDistGetStatus(h, &st), ERROR_SUCCESS);
	assert_int_equal(st, PEERDIST_STATUS_AVAILABLE);
	assert_int_equal(PeerDistGetStatus(h, NULL), ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistGetStatusEx(h, &info), ERROR_SUCCESS);
	assert_int_equal(info.status, PEERDIST_STATUS_AVAILABLE);
	assert_int_equal(info.dwMinVer, PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1);
	assert_int_equal(info.dwMaxVer, PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2);
	info.cbSize = 4;
	assert_int_equal(PeerDistGetStatusEx(h, &info), ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistGetStatus((PEERDIST_INSTANCE_HANDLE)0x99, &st),
			 ERROR_INVALID_HANDLE);
	PeerDistShutdown(h);
}

static void status_notification(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = startup();
	HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	PEERDIST_STATUS_INFO info = { .cbSize = sizeof(info) };
	OVERLAPPED ov = { 0 }, ov2 = { 0 };
	PEERDIST_STATUS st;
	struct done d;
	DWORD bytes;

	assert_int_equal(PeerDistRegisterForStatusChangeNotification(h, port, 3, &ov, &st),
			 ERROR_IO_PENDING);
	assert_int_equal(st, PEERDIST_STATUS_AVAILABLE);
	assert_false(PeerDistGetOverlappedResult(&ov, &bytes, FALSE));
	assert_int_equal(GetLastError(), ERROR_IO_INCOMPLETE);
	/* One registration at a time. */
	assert_int_equal(PeerDistRegisterForStatusChangeNotificationEx(h, port, 3, &ov2, &info),
			 PEERDIST_ERROR_ALREADY_EXISTS);
	assert_int_equal(PeerDistUnregisterForStatusChangeNotification(h), ERROR_SUCCESS);
	d = next_completion(port, 5000);
	assert_ptr_equal(d.ov, &ov);
	assert_int_equal(d.status, ERROR_OPERATION_ABORTED);
	assert_int_equal(d.key, 3);
	/* Shutdown ends a registration the same way. */
	assert_int_equal(PeerDistRegisterForStatusChangeNotificationEx(h, port, 4, &ov2, &info),
			 ERROR_IO_PENDING);
	assert_int_equal(info.status, PEERDIST_STATUS_AVAILABLE);
	assert_int_equal(PeerDistShutdown(h), ERROR_SUCCESS);
	d = next_completion(port, 5000);
	assert_ptr_equal(d.ov, &ov2);
	assert_int_equal(d.status, ERROR_OPERATION_ABORTED);
	assert_false(PeerDistGetOverlappedResult(&ov2, &bytes, TRUE));
	assert_int_equal(GetLastError(), ERROR_OPERATION_ABORTED);
	CloseHandle(port);
}

/* Every function refuses made-up, closed and foreign handles cleanly. */
static void bad_handles(void **state)
{
	PEERDIST_INSTANCE_HANDLE a = startup(), b = startup();
	PEERDIST_CONTENT_TAG tag = { { 1 } };
	PEERDIST_CONTENT_HANDLE content;
	static const uintptr_t junk[] = { 0, 4, 0x12345678, UINTPTR_MAX };
	OVERLAPPED ov = { 0 };
	BYTE buf[16];
	size_t i;

	assert_int_equal(PeerDistClientOpenContent(a, &tag, NULL, 0, &content),
			 ERROR_SUCCESS);
	/* a's content handle means nothing to b. */
	assert_int_equal(PeerDistClientBlockRead(b, content, 16, buf, 0, &ov),
			 ERROR_INVALID_HANDLE);
	assert_int_equal(PeerDistClientCloseContent(b, content), ERROR_INVALID_HANDLE);
	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		HANDLE j = (HANDLE)junk[i];

		assert_int_equal(PeerDistClientBlockRead(a, j, 16, buf, 0, &ov),
				 ERROR_INVALID_HANDLE);
		assert_int_equal(PeerDistClientStreamRead(j, content, 16, buf, 0, &ov),
				 ERROR_INVALID_HANDLE);
		assert_int_equal(PeerDistServerPublishAddToStream(a, j, 1, buf, &ov),
				 ERROR_INVALID_HANDLE);
		assert_int_equal(PeerDistServerRetrieveContentInformation(a, j, 1, buf, &ov),
				 ERROR_INVALID_HANDLE);
		assert_int_equal(PeerDistClientCloseContent(a, j), ERROR_INVALID_HANDLE);
		assert_int_equal(PeerDistShutdown(j), ERROR_INVALID_HANDLE);
	}
	/* A content handle is not a stream handle. */
	assert_int_equal(PeerDistServerPublishAddToStream(a, content, 1, buf, &ov),
			 ERROR_INVALID_HANDLE);
	/* NULL where something is required. */
	assert_int_equal(PeerDistClientOpenContent(a, NULL, NULL, 0, &content),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistClientBlockRead(a, content, 16, buf, 0, NULL),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistClientBlockRead(a, content, 16, NULL, 0, &ov),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistServerPublishStream(a, 0, buf, 0, NULL, NULL, 0,
						     (PPEERDIST_STREAM_HANDLE)buf),
			 ERROR_INVALID_PARAMETER);
	/* Sizes over the limits: a 64 KiB + 1 identifier. */
	{
		BYTE *big = calloc(1, 65537);

		assert_int_equal(PeerDistServerPublishStream(a, 65537, big, 0, NULL, NULL, 0,
							     (PPEERDIST_STREAM_HANDLE)buf),
				 ERROR_INVALID_PARAMETER);
		assert_int_equal(PeerDistServerUnpublish(a, 65537, big), ERROR_INVALID_PARAMETER);
		free(big);
	}
	/* A port that is not a port. */
	assert_int_equal(PeerDistClientOpenContent(a, &tag, (HANDLE)0x1000, 0, &content),
			 ERROR_INVALID_PARAMETER);
	assert_int_equal(PeerDistClientGetInformationByHandle(a, content,
			 MaximumPeerDistClientInfoByHandlesClass, 4, buf),
			 ERROR_INVALID_PARAMETER);
	/* After Shutdown, the instance's handles are gone too. */
	assert_int_equal(PeerDistShutdown(a), ERROR_SUCCESS);
	assert_int_equal(PeerDistClientCloseContent(a, content), ERROR_INVALID_HANDLE);
	PeerDistShutdown(b);
}

static void client_information(void **state)
{
	PEERDIST_INSTANCE_HANDLE h = startup();
	PEERDIST_CONTENT_TAG tag = { { 2 } };
	PEERDIST_CLIENT_BASIC_INFO info = { .fFlashCrowd = 7 };
	PEERDIST_CONTENT_HANDLE content;

	assert_int_equal(PeerDistClientOpenContent(h, &tag, NULL, 0, &content),
			 ERROR_SUCCESS);
	assert_int_equal(PeerDistClientGetInformationByHandle(h, content,
			 PeerDistClientBasicInfo, sizeof(info), &info), ERROR_SUCCESS);
	assert_int_equal(info.fFlashCrowd, FALSE);
	assert_int_equal(PeerDistClientGetInformationByHandle(h, content,
			 PeerDistClientBasicInfo, 1, &info), ERROR_INSUFFICIENT_BUFFER);
	assert_int_equal(PeerDistClientCloseContent(h, content), ERROR_SUCCESS);
	assert_int_equal(PeerDistClientCloseContent(h, content), ERROR_INVALID_HANDLE);
	PeerDistShutdown(h);
}

/* Forcing the kernel backend works exactly when peerdist.ko is loaded. */
static void forced_kernel_backend(void **state)
{
	PEERDIST_INSTANCE_HANDLE h;
	char *was = use_backend("kernel");

	if (access("/sys/kernel/peerdist", F_OK)) {
		assert_int_equal(PeerDistStartup(PEERDIST_VERSION, &h, NULL),
				 PEERDIST_ERROR_SERVICE_UNAVAILABLE);
	} else {
		assert_int_equal(PeerDistStartup(PEERDIST_VERSION, &h, NULL), ERROR_SUCCESS);
		PeerDistShutdown(h);
	}
	free(use_backend(was));
	free(was);
}

static int set_kernel_enabled(const char *v)
{
	FILE *f = fopen("/sys/kernel/peerdist/enabled", "w");
	int ok = f && fputs(v, f) >= 0;

	return f && !fclose(f) && ok;
}

/*
 * With peerdist.ko, an administrator switching its cache off makes the
 * status disabled, and a registered notification completes with it; on
 * again, available. Needs the kernel backend and root (the qemu guest).
 */
static void status_follows_the_kernel_switch(void **state)
{
	const char *backend = getenv("PEERDIST_BACKEND");
	PEERDIST_INSTANCE_HANDLE h;
	HANDLE port;
	PEERDIST_STATUS_INFO info = { .cbSize = sizeof(info) };
	OVERLAPPED ov = { 0 };
	PEERDIST_STATUS st;
	struct done d;

	if (!backend || strcmp(backend, "kernel") || access("/sys/kernel/peerdist/enabled", W_OK))
		skip();
	h = startup();
	port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
	assert_int_equal(PeerDistRegisterForStatusChangeNotification(h, port, 5, &ov, &st),
			 ERROR_IO_PENDING);
	assert_int_equal(st, PEERDIST_STATUS_AVAILABLE);
	assert_true(set_kernel_enabled("0"));
	d = next_completion(port, 10000);
	assert_ptr_equal(d.ov, &ov);
	assert_int_equal(d.status, ERROR_SUCCESS);
	assert_int_equal(st, PEERDIST_STATUS_DISABLED);
	assert_int_equal(PeerDistGetStatus(h, &st), ERROR_SUCCESS);
	assert_int_equal(st, PEERDIST_STATUS_DISABLED);
	assert_int_equal(PeerDistRegisterForStatusChangeNotificationEx(h, port, 6, &ov, &info),
			 ERROR_IO_PENDING);
	assert_int_equal(info.status, PEERDIST_STATUS_DISABLED);
	assert_true(set_kernel_enabled("1"));
	d = next_completion(port, 10000);
	assert_int_equal(d.status, ERROR_SUCCESS);
	assert_int_equal(d.key, 6);
	assert_int_equal(info.status, PEERDIST_STATUS_AVAILABLE);
	PeerDistShutdown(h);
	CloseHandle(port);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(startup_versions, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(startup_from_threads_at_once,
						api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(status, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(status_notification, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(bad_handles, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(client_information, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(forced_kernel_backend,
						api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(status_follows_the_kernel_switch,
						api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
