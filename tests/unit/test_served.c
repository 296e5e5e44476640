// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Content information of served files: nothing before it is made, made in
 * the background (both versions, each what pd_gen_fd makes with the same
 * secret), found by a second server over the same store, and a changed
 * file is a new key.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "keys.h"
#include "gen_file.h"
#include "served.h"

static char dir[] = "/tmp/test_served.XXXXXX";
static char file[64], cache[64];
static struct pd_secret secret = { .len = 6, .bytes = "secret" };

static void write_file(size_t len, unsigned seed)
{
	uint8_t *buf = malloc(len);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_non_null(buf);
	fill_pattern(buf, len, seed);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
}

static void expect_ci(int fd, unsigned version, const uint8_t *ci, size_t len)
{
	struct pd_gen_opts o = { .version = version, .hash_alg = PD_HASH_SHA256 };
	struct pd_ci *want;
	uint8_t buf[1 << 16];
	long n;

	pd_key_ks(version, secret.bytes, secret.len, o.ks);
	assert_int_equal(pd_gen_fd(fd, &o, NULL, NULL, &want), 0);
	n = pd_ci_encode(want, buf, sizeof(buf));
	assert_int_equal(n, (long)len);
	assert_memory_equal(buf, ci, len);
	pd_ci_free(want);
}

static void made_once_found_by_others(void **state)
{
	struct pd_served_opts opts = { .cache_dir = cache, .secret = &secret, .threads = 1 };
	struct pd_served *s, *other;
	char key[PD_SERVED_KEY_MAX], key2[PD_SERVED_KEY_MAX];
	struct stat st;
	uint8_t *ci;
	size_t len;
	int fd;

	(void)state;
	write_file(300000, 1);
	assert_int_equal(pd_served_open(&opts, &s), 0);
	fd = open(file, O_RDONLY);
	assert_true(fd >= 0 && !fstat(fd, &st));
	assert_true(pd_served_file_key(file, &st, key, sizeof(key)) > 0);
	assert_int_equal(pd_served_lookup(s, key, 1, &ci, &len), -ENOENT);
	assert_int_equal(pd_served_start(s, key, fd, 2), 0);
	assert_int_equal(pd_served_start(s, key, fd, 2), -EALREADY);
	pd_served_drain(s);
	assert_int_equal(pd_served_lookup(s, key, 2, &ci, &len), 0);
	expect_ci(fd, 2, ci, len);
	free(ci);
	assert_int_equal(pd_served_lookup(s, key, 1, &ci, &len), 0);
	expect_ci(fd, 1, ci, len);
	free(ci);

	/* another server process over the same store reads the publication */
	assert_int_equal(pd_served_open(&opts, &other), 0);
	assert_int_equal(pd_served_lookup(other, key, 1, &ci, &len), 0);
	expect_ci(fd, 1, ci, len);
	free(ci);
	pd_served_close(other);
	close(fd);

	/* the file changes: its key does too, and nothing is known for it */
	write_file(300001, 2);
	fd = open(file, O_RDONLY);
	assert_true(fd >= 0 && !fstat(fd, &st));
	pd_served_file_key(file, &st, key2, sizeof(key2));
	assert_string_not_equal(key, key2);
	assert_int_equal(pd_served_lookup(s, key2, 1, &ci, &len), -ENOENT);
	close(fd);
	pd_served_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(made_once_found_by_others),
	};
	char rm[96];
	int ret;

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/file", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	if (system(rm) != 0)
		ret = 1;
	return ret;
}
