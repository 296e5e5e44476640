// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The hosted cache's unverified blocks (peerdistd's opaque_cache.c): kept
 * and read back exactly (algorithm, IV, ciphertext); files 0600 in a 0700
 * directory under umask 0; kept across a reopen; a corrupt file dropped,
 * at open or when a block of it is read; the total budget evicting the
 * least recently used segment, the per-offerer one only that offerer's;
 * blocks that do not fit their segment refused; one process per directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "opaque_cache.h"

#define BLOCK	65536u
#define SLOT	(32u + BLOCK)
#define SEG2	(4096u + SLOT + 32 + 112)	/* a whole segment of put() */

static char dir[64];
static const uint8_t alice[16] = { 10, 0, 0, 1 }, bob[16] = { 10, 0, 0, 2 };

static int setup(void **state)
{
	char root[] = "/tmp/pd-opaque-XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/unverified", root);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strrchr(dir, '/') - dir), dir);
	return system(cmd);
}

static const uint8_t *id_of(int n)
{
	static uint8_t id[32];

	memset(id, n, sizeof(id));
	return id;
}

static void file_of(int n, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, n == 1 ? "0101010101010101010101010101010101010101010101010101010101010101" :
		 "0202020202020202020202020202020202020202020202020202020202020202");
}

/* Block index of segment n (2 blocks, the last 100 bytes) from offerer. */
static int put(struct pd_opaque_cache *oc, int n, uint32_t index, const uint8_t *offerer)
{
	static uint8_t data[BLOCK], iv[16];
	struct pd_opaque_block b = { 1, iv, data, index ? 112 : BLOCK };

	fill_pattern(data, sizeof(data), n * 1000 + index);
	fill_pattern(iv, sizeof(iv), n * 1000 + index + 500);
	return pd_opaque_put(oc, id_of(n), BLOCK, BLOCK + 100, offerer, index, &b);
}

static void assert_read_back(struct pd_opaque_cache *oc, int n, uint32_t index)
{
	static uint8_t buf[BLOCK], want[BLOCK];
	uint8_t iv[16], want_iv[16];
	unsigned crypto = 0;
	uint32_t plain = 0;
	size_t len = pd_opaque_read(oc, id_of(n), 32, index, buf, sizeof(buf), &crypto, iv,
				    &plain);

	fill_pattern(want, sizeof(want), n * 1000 + index);
	fill_pattern(want_iv, sizeof(want_iv), n * 1000 + index + 500);
	assert_int_equal(len, index ? 112 : BLOCK);
	assert_int_equal(plain, index ? 100 : BLOCK);
	assert_int_equal(crypto, 1);
	assert_memory_equal(buf, want, len);
	assert_memory_equal(iv, want_iv, 16);
}

static void kept_exactly_as_given(void **state)
{
	struct pd_opaque_cache *oc;
	uint8_t buf[16];
	unsigned crypto;
	uint32_t plain;

	(void)state;
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &oc), 0);
	assert_false(pd_opaque_holds(oc, id_of(1), 32));
	assert_int_equal(put(oc, 1, 1, alice), 0);
	assert_true(pd_opaque_holds(oc, id_of(1), 32));
	assert_false(pd_opaque_has(oc, id_of(1), 32, 0));
	assert_true(pd_opaque_has(oc, id_of(1), 32, 1));
	assert_int_equal(put(oc, 1, 0, alice), 0);
	assert_int_equal(put(oc, 1, 0, bob), 0);	/* there already */
	assert_read_back(oc, 1, 0);
	assert_read_back(oc, 1, 1);
	assert_int_equal(pd_opaque_read(oc, id_of(1), 32, 0, buf, sizeof(buf), &crypto, buf,
					&plain), 0);	/* no room */
	assert_int_equal(pd_opaque_read(oc, id_of(2), 32, 0, buf, sizeof(buf), &crypto, buf,
					&plain), 0);
	assert_false(pd_opaque_has(oc, id_of(1), 48, 0));	/* only 32-byte ids */
	pd_opaque_drop(oc, id_of(1), 32);
	assert_false(pd_opaque_holds(oc, id_of(1), 32));
	pd_opaque_close(oc);
}

static void private_whatever_the_umask(void **state)
{
	struct pd_opaque_cache *oc;
	char path[256];
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &oc), 0);
	assert_int_equal(put(oc, 1, 0, alice), 0);
	umask(old);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	file_of(1, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	pd_opaque_close(oc);
}

static void kept_across_a_reopen(void **state)
{
	struct pd_opaque_cache *oc, *other;
	struct pd_opaque_stats st;

	(void)state;
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &oc), 0);
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &other), -EBUSY);
	assert_int_equal(put(oc, 1, 0, alice), 0);
	assert_int_equal(put(oc, 1, 1, alice), 0);
	assert_int_equal(put(oc, 2, 1, bob), 0);
	pd_opaque_close(oc);
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &oc), 0);
	pd_opaque_stats(oc, &st);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.bytes, SEG2 + 4096 + 32 + 112);
	assert_read_back(oc, 1, 0);
	assert_read_back(oc, 1, 1);
	assert_read_back(oc, 2, 1);
	assert_false(pd_opaque_has(oc, id_of(2), 32, 0));
	pd_opaque_close(oc);
}

static void write_at(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

static void corrupt_files_dropped(void **state)
{
	struct pd_opaque_cache *oc;
	struct pd_opaque_stats st;
	char path[256], stray[256];
	uint8_t buf[BLOCK], iv[16];
	unsigned crypto;
	uint32_t plain;

	(void)state;
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &oc), 0);
	assert_int_equal(put(oc, 1, 0, alice), 0);
	assert_int_equal(put(oc, 2, 0, alice), 0);
	pd_opaque_close(oc);
	file_of(1, path, sizeof(path));
	write_at(path, 8, "\xff\xff\xff\xff", 4);	/* BlockSize 4 GiB */
	snprintf(stray, sizeof(stray), "%s/stray", dir);
	write_at(stray, 0, "junk", 4);
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &oc), 0);
	pd_opaque_stats(oc, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.corrupt, 2);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(stray, F_OK), -1);
	/* a block slot overwritten: dropped when read */
	file_of(2, path, sizeof(path));
	write_at(path, 128, "\x09", 1);		/* CryptoAlgoId 9 */
	assert_int_equal(pd_opaque_read(oc, id_of(2), 32, 0, buf, sizeof(buf), &crypto, iv,
					&plain), 0);
	assert_false(pd_opaque_holds(oc, id_of(2), 32));
	assert_int_equal(access(path, F_OK), -1);
	/* a file cut short: the header lists a block past its end */
	assert_int_equal(put(oc, 2, 0, alice), 0);
	pd_opaque_close(oc);
	assert_int_equal(truncate(path, 1000), 0);
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &oc), 0);
	assert_false(pd_opaque_holds(oc, id_of(2), 32));
	pd_opaque_close(oc);
}

static void budgets_evict(void **state)
{
	struct pd_opaque_cache *oc;
	uint8_t carol[16] = { 10, 0, 0, 3 };
	int i;

	(void)state;
	/* per offerer: two segments; in all: three */
	assert_int_equal(pd_opaque_open(dir, 3 * SEG2, 2 * SEG2, &oc), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(put(oc, 1, i, alice), 0);
		assert_int_equal(put(oc, 2, i, alice), 0);
	}
	assert_read_back(oc, 1, 0);	/* 1 used after 2 */
	for (i = 0; i < 2; i++)
		assert_int_equal(put(oc, 3, i, alice), 0);
	assert_false(pd_opaque_holds(oc, id_of(2), 32));	/* alice's own oldest */
	assert_true(pd_opaque_holds(oc, id_of(1), 32));
	for (i = 0; i < 2; i++)
		assert_int_equal(put(oc, 4, i, bob), 0);
	assert_true(pd_opaque_holds(oc, id_of(1), 32));	/* three fit in all */
	assert_true(pd_opaque_holds(oc, id_of(3), 32));
	for (i = 0; i < 2; i++)
		assert_int_equal(put(oc, 5, i, carol), 0);
	assert_false(pd_opaque_holds(oc, id_of(1), 32));	/* the oldest of all */
	assert_true(pd_opaque_holds(oc, id_of(3), 32));
	assert_true(pd_opaque_holds(oc, id_of(4), 32));
	assert_true(pd_opaque_holds(oc, id_of(5), 32));
	pd_opaque_close(oc);
	/* one segment bigger than an offerer's budget */
	assert_int_equal(pd_opaque_open(dir, 1 << 30, SEG2 - 1, &oc), 0);
	assert_int_equal(put(oc, 6, 0, alice), 0);
	assert_int_equal(put(oc, 6, 1, alice), -ENOSPC);
	assert_true(pd_opaque_has(oc, id_of(6), 32, 0));
	pd_opaque_close(oc);
}

static void misfits_refused(void **state)
{
	struct pd_opaque_cache *oc;
	uint8_t data[BLOCK] = { 0 }, iv[16] = { 0 };
	struct pd_opaque_block b = { 1, iv, data, BLOCK };

	(void)state;
	assert_int_equal(pd_opaque_nblocks(BLOCK, 512 * BLOCK), 512);
	assert_int_equal(pd_opaque_nblocks(BLOCK, 512 * BLOCK + 1), 0);
	assert_int_equal(pd_opaque_nblocks(0, 100), 0);
	assert_int_equal(pd_opaque_nblocks(256 << 10, 256 << 10), 0);
	assert_int_equal(pd_opaque_nblocks(60000, 60000), 1);	/* V2: a segment a block */
	assert_int_equal(pd_opaque_open(dir, 1 << 30, 1 << 30, &oc), 0);
	assert_int_equal(pd_opaque_put(oc, id_of(1), BLOCK, 2 * BLOCK, alice, 2, &b), -EINVAL);
	b.len = BLOCK - 16;
	assert_int_equal(pd_opaque_put(oc, id_of(1), BLOCK, 2 * BLOCK, alice, 0, &b), -EINVAL);
	b.len = BLOCK;
	b.crypto = 0;
	assert_int_equal(pd_opaque_put(oc, id_of(1), BLOCK, 2 * BLOCK, alice, 0, &b), -EINVAL);
	assert_false(pd_opaque_holds(oc, id_of(1), 32));
	b.crypto = 3;
	assert_int_equal(pd_opaque_put(oc, id_of(1), BLOCK, 2 * BLOCK, alice, 0, &b), 0);
	assert_int_equal(pd_opaque_put(oc, id_of(1), BLOCK, 3 * BLOCK, alice, 1, &b), -EINVAL);
	pd_opaque_close(oc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kept_exactly_as_given, setup, teardown),
		cmocka_unit_test_setup_teardown(private_whatever_the_umask, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_across_a_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(corrupt_files_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(budgets_evict, setup, teardown),
		cmocka_unit_test_setup_teardown(misfits_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
