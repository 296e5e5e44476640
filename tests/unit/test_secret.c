// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The server secret file: created 0600 on first use, one secret even when
 * several processes create it at once, refused when others can read it,
 * stored atomically; the Windows export codec round-trips and rejects a
 * wrong passphrase or a damaged blob.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "secret.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	strcpy(dir, "/tmp/pd-secret-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/dir/secret", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void created_once_0600(void **state)
{
	struct pd_secret a, b;
	struct stat st;

	assert_int_equal(pd_secret_load(path, 0, &a), -ENOENT);
	assert_int_equal(pd_secret_load(path, 1, &a), 0);
	assert_int_equal(a.len, PD_SECRET_GEN_LEN);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pd_secret_load(path, 1, &b), 0);
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.bytes, b.bytes, a.len);
}

static void concurrent_creators_agree(void **state)
{
	struct pd_secret want, got;
	int i, status, fds[8][2];
	pid_t pids[8];

	for (i = 0; i < 8; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pids[i] = fork();
		if (pids[i] == 0) {
			struct pd_secret s;

			if (pd_secret_load(path, 1, &s))
				_exit(1);
			_exit(write(fds[i][1], s.bytes, s.len) == (ssize_t)s.len ? 0 : 1);
		}
	}
	assert_int_equal(pd_secret_load(path, 1, &want), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_int_equal(status, 0);
		assert_int_equal(read(fds[i][0], got.bytes, sizeof(got.bytes)),
				 (ssize_t)want.len);
		assert_memory_equal(got.bytes, want.bytes, want.len);
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

static void readable_by_others_refused(void **state)
{
	struct pd_secret s;

	assert_int_equal(pd_secret_load(path, 1, &s), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(pd_secret_load(path, 1, &s), -EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(pd_secret_load(path, 1, &s), 0);
}

static void store_replaces(void **state)
{
	struct pd_secret s = { .len = 5 }, back;
	struct stat st;

	memcpy(s.bytes, "hello", 5);
	assert_int_equal(pd_secret_store(path, &s), 0);
	assert_int_equal(pd_secret_load(path, 0, &back), 0);
	assert_int_equal(back.len, 5);
	assert_memory_equal(back.bytes, "hello", 5);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	s.len = 0;
	assert_int_equal(pd_secret_store(path, &s), -EINVAL);
}

static void export_import(void **state)
{
	struct pd_secret s = { .len = 48 }, back;
	uint8_t blob[PD_SECRET_MAX + 64];
	long n;

	fill_pattern(s.bytes, s.len, 1);
	n = pd_secret_export(&s, "pässword", blob, sizeof(blob));
	/* 32-byte hash + 48-byte secret, PKCS#7 padded to 96. */
	assert_int_equal(n, 96);
	assert_int_equal(pd_secret_import(blob, n, "pässword", &back), 0);
	assert_int_equal(back.len, s.len);
	assert_memory_equal(back.bytes, s.bytes, s.len);
	assert_int_equal(pd_secret_import(blob, n, "password", &back), -EBADMSG);
	assert_int_equal(pd_secret_import(blob, n - 16, "pässword", &back), -EBADMSG);
	assert_int_equal(pd_secret_import(blob, 7, "pässword", &back), -EBADMSG);
	blob[40] ^= 1;
	assert_int_equal(pd_secret_import(blob, n, "pässword", &back), -EBADMSG);
	/* Invalid UTF-8 in the passphrase is refused, not guessed at. */
	assert_int_equal(pd_secret_export(&s, "\xff\xfe", blob, sizeof(blob)), -EILSEQ);
	assert_int_equal(pd_secret_import(blob, n, "\xff\xfe", &back), -EILSEQ);
	assert_int_equal(pd_secret_export(&s, "x", blob, 50), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(created_once_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_creators_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(readable_by_others_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(store_replaces, setup, teardown),
		cmocka_unit_test(export_import),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
