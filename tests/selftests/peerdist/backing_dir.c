// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selftests of peerdist.ko's persistent cache (/sys/kernel/peerdist/
 * backing_dir), in the qemu guest as root: a directory anyone but root
 * could write is refused, and so is a writer who is not root; a segment
 * added with a directory set becomes a file there (even when an
 * unprivileged user adds it) and comes back, byte-exact, when the
 * directory is set again, or after the module is reloaded, and so does a
 * segment hash-file made; a block or a
 * description changed on disk is not served; eviction under the cap and
 * flush delete the file. Every test leaves the directory unset and its
 * segments flushed, so that the guest's counters check still finds 0.
 */
#define _GNU_SOURCE	/* before any header: setresuid */
#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "seg_helpers.h"

#define DIR_PATH "/tmp/pd-backing"
#define HDR 288		/* struct pd_backing_hdr, the file's last bytes */
#define HDR_HOD 96	/* offsetof(struct pd_backing_hdr, hod) */

static void file_of(char *path, const struct seg *s)
{
	int i, n = sprintf(path, "%s/", DIR_PATH);

	for (i = 0; i < 32; i++)
		n += sprintf(path + n, "%02x", s->id[i]);
}

static off_t file_size(const struct seg *s)
{
	return ((s->size + 4095) & ~4095) + 32 * s->nblocks + HDR;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Deletion is deferred to a work item: give it a moment. */
static int gone(const char *path)
{
	int i;

	for (i = 0; i < 300 && exists(path); i++)
		usleep(10000);
	return !exists(path);
}

static void empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* "" is sent as an empty line: sysfs never sees a write of nothing */
static int set_dir(const char *path)
{
	return write_sysfs(SYSFS "backing_dir", *path ? path : "\n");
}

static void read_text(const char *file, char *buf, size_t cap)
{
	int fd = open(file, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, cap - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Adds s with the blocks whose bit is set in mask; the fd is closed. */
static int add_blocks(struct nl_sock *sk, int family, const struct seg *s,
		      unsigned int mask)
{
	uint32_t b;
	int fd, err = 0;

	if (seg_add(sk, family, s))
		return -1;
	fd = seg_open_proved(sk, family, s, s->hod, s->kp);
	if (fd < 0)
		return -1;
	for (b = 0; b < s->nblocks && !err; b++)
		if (mask & (1u << b) &&
		    pwrite(fd, s->data + (size_t)b * BLOCK, seg_block_len(s, b),
			   (off_t)b * BLOCK) != (ssize_t)seg_block_len(s, b))
			err = -1;
	close(fd);
	return err;
}

/* Block b as the cache serves it: 1 byte-exact, 0 absent, -1 wrong. */
static int served(struct nl_sock *sk, int family, const struct seg *s, uint32_t b)
{
	uint32_t len = seg_block_len(s, b);
	uint8_t *buf = malloc(BLOCK);
	int fd = seg_open(sk, family, s->id), ret;
	ssize_t n;

	if (fd < 0) {
		free(buf);
		return 0;
	}
	n = pread(fd, buf, len, (off_t)b * BLOCK);
	ret = n < 0 && errno == ENODATA ? 0 :
	      n == (ssize_t)len && !memcmp(buf, s->data + (size_t)b * BLOCK, len) ? 1 : -1;
	close(fd);
	free(buf);
	return ret;
}

/* Flips one byte of a file at off. */
static int flip(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t c;
	int ok;

	if (fd < 0)
		return -1;
	ok = pread(fd, &c, 1, off) == 1;
	c ^= 0x40;
	ok = ok && pwrite(fd, &c, 1, off) == 1;
	close(fd);
	return ok ? 0 : -1;
}

FIXTURE(backing) {
	struct nl_sock *s;
	int family;
	struct seg a, b, c;
	char fa[128], fb[128], fc[128];
};

FIXTURE_SETUP(backing)
{
	struct statfs fs;

	mkdir(DIR_PATH, 0700);
	ASSERT_EQ(0, chown(DIR_PATH, 0, 0));
	ASSERT_EQ(0, chmod(DIR_PATH, 0700));
	empty_dir(DIR_PATH);
	ASSERT_EQ(0, statfs(DIR_PATH, &fs));
	TH_LOG("the directory is on a filesystem of type %#lx", (long)fs.f_type);
	self->s = nl_open(&self->family);
	ASSERT_NE(NULL, self->s);
	ASSERT_LT(0, self->family);
	seg_make(&self->a, 3 * BLOCK - 1000, 21);	/* the last block short */
	seg_make(&self->b, 16 * BLOCK, 22);		/* 1 MiB each */
	seg_make(&self->c, 16 * BLOCK, 23);
	file_of(self->fa, &self->a);
	file_of(self->fb, &self->b);
	file_of(self->fc, &self->c);
	ASSERT_EQ(0, set_dir(DIR_PATH));
}

FIXTURE_TEARDOWN(backing)
{
	int family = -1;
	struct nl_sock *s = nl_open(&family);	/* the module may have been reloaded */

	set_dir(DIR_PATH);
	if (s) {
		seg_flush(s, family, self->a.id);
		seg_flush(s, family, self->b.id);
		seg_flush(s, family, self->c.id);
		nl_socket_free(s);
	}
	set_dir("");
	write_sysfs(SYSFS "cache_max_bytes", "268435456");
	empty_dir(DIR_PATH);
	free(self->a.data);
	free(self->b.data);
	free(self->c.data);
	nl_socket_free(self->s);
}

TEST_F(backing, directories_others_could_write_are_refused)
{
	char text[256];

	mkdir("/tmp/pd-open", 0777);
	ASSERT_EQ(0, chmod("/tmp/pd-open", 0777));
	EXPECT_EQ(-EPERM, set_dir("/tmp/pd-open"));
	ASSERT_EQ(0, chmod("/tmp/pd-open", 0770));
	EXPECT_EQ(-EPERM, set_dir("/tmp/pd-open"));
	ASSERT_EQ(0, chmod("/tmp/pd-open", 0700));
	ASSERT_EQ(0, chown("/tmp/pd-open", 65534, 65534));
	EXPECT_EQ(-EPERM, set_dir("/tmp/pd-open"));
	EXPECT_EQ(-EINVAL, set_dir("tmp/pd-backing"));		/* relative */
	EXPECT_EQ(-ENOENT, set_dir("/tmp/pd-none"));
	EXPECT_EQ(-ENOTDIR, set_dir("/init"));
	read_text(SYSFS "backing_dir", text, sizeof(text));
	EXPECT_STREQ(DIR_PATH "\n", text);	/* unchanged by the refusals */
	ASSERT_EQ(0, set_dir("\n"));
	read_text(SYSFS "backing_dir", text, sizeof(text));
	EXPECT_STREQ("\n", text);
	rmdir("/tmp/pd-open");
}

TEST_F(backing, only_root_sets_it)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(set_dir("") == -EACCES && set_dir(DIR_PATH) == -EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(backing, a_segment_becomes_a_file_and_comes_back)
{
	long long segs = read_sysfs(SYSFS "segments");
	long long bytes = read_sysfs(SYSFS "cached_bytes");
	long long objs = read_sysfs(SYSFS "objects");
	struct stat st;

	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x5));	/* 0 and 2 */
	ASSERT_EQ(0, stat(self->fa, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(file_size(&self->a), st.st_size);
	EXPECT_EQ(segs + 1, read_sysfs(SYSFS "segments"));
	EXPECT_EQ(bytes + 2 * BLOCK - 1000, read_sysfs(SYSFS "cached_bytes"));

	/* Unset: the segment leaves the index, its file stays. */
	ASSERT_EQ(0, set_dir(""));
	EXPECT_TRUE(exists(self->fa));
	EXPECT_GT(0, seg_open(self->s, self->family, self->a.id));
	EXPECT_EQ(segs, read_sysfs(SYSFS "segments"));
	EXPECT_EQ(bytes, read_sysfs(SYSFS "cached_bytes"));
	EXPECT_EQ(objs, read_sysfs(SYSFS "objects"));

	/* Set again: it is back with the blocks it had, and takes more. */
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(segs + 1, read_sysfs(SYSFS "segments"));
	EXPECT_EQ(bytes + 2 * BLOCK - 1000, read_sysfs(SYSFS "cached_bytes"));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 0));
	EXPECT_EQ(0, served(self->s, self->family, &self->a, 1));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 2));
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x2));
	ASSERT_EQ(0, set_dir(""));
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 1));
	EXPECT_EQ(bytes + self->a.size, read_sysfs(SYSFS "cached_bytes"));
}

static int add_all_blocks(struct nl_sock *s, int family, void *seg)
{
	return add_blocks(s, family, seg, 0x7) ? 3 : 0;
}

TEST_F(backing, unprivileged_adds_land_in_the_directory_as_roots)
{
	struct stat st;

	ASSERT_EQ(0, as_nobody(add_all_blocks, &self->a));
	ASSERT_EQ(0, stat(self->fa, &st));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0600, st.st_mode & 07777);
}

TEST_F(backing, flush_deletes_the_file)
{
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x7));
	ASSERT_TRUE(exists(self->fa));
	ASSERT_EQ(0, seg_flush(self->s, self->family, self->a.id));
	EXPECT_TRUE(gone(self->fa));
	/* added again at once: a new file, not deleted by the old one's deletion */
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x1));
	ASSERT_EQ(0, set_dir(""));
	EXPECT_TRUE(exists(self->fa));
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 0));
}

/*
 * A caller whose RLIMIT_FSIZE is smaller than a block: its adds are
 * written by the module, data and presence map alike.
 */
TEST_F(backing, a_small_file_size_limit_does_not_fail_adds)
{
	struct stat st;

	EXPECT_EQ(0, in_child(limit_file_size, add_all_blocks, &self->a));
	ASSERT_EQ(0, stat(self->fa, &st));
	EXPECT_EQ(file_size(&self->a), st.st_size);
	/* the presence map reached the file: the blocks come back from it */
	ASSERT_EQ(0, set_dir(""));
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 0));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 2));
}

/* clear-cache (peerdist cache --clear) as root: the persistent cache goes too */
TEST_F(backing, clearing_the_cache_deletes_the_files)
{
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x7));
	ASSERT_TRUE(exists(self->fa));
	ASSERT_EQ(0, send_and_ack(self->s, seg_request(self->family, PEERDIST_CMD_CLEAR_CACHE,
						       NULL, 0, 4096)));
	EXPECT_TRUE(gone(self->fa));
	EXPECT_EQ(0, served(self->s, self->family, &self->a, 0));
}

TEST_F(backing, a_changed_block_is_not_served)
{
	long long failures = read_sysfs(SYSFS "verify_failures");

	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x7));
	ASSERT_EQ(0, set_dir(""));
	ASSERT_EQ(0, flip(self->fa, BLOCK + 777));
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(failures + 1, read_sysfs(SYSFS "verify_failures"));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 0));
	EXPECT_EQ(0, served(self->s, self->family, &self->a, 1));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 2));
	EXPECT_EQ(self->a.size - BLOCK, read_sysfs(SYSFS "cached_bytes"));
	/* its bit was cleared in the file: a reload finds nothing wrong */
	ASSERT_EQ(0, set_dir(""));
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(failures + 1, read_sysfs(SYSFS "verify_failures"));
	/* and the block can be added again */
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x2));
	EXPECT_EQ(1, served(self->s, self->family, &self->a, 1));
}

TEST_F(backing, a_changed_description_is_refused_and_deleted)
{
	long long failures = read_sysfs(SYSFS "verify_failures");
	int fd;

	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x7));
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->b, 0x1));
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->c, 0x1));
	ASSERT_EQ(0, set_dir(""));
	/* a: HoD in the header; b: a block hash; c: cut short */
	ASSERT_EQ(0, flip(self->fa, file_size(&self->a) - HDR + HDR_HOD + 3));
	ASSERT_EQ(0, flip(self->fb, ((self->b.size + 4095) & ~4095) + 32 * 5 + 1));
	ASSERT_EQ(0, truncate(self->fc, file_size(&self->c) - 1));
	/* and something that is no segment file at all, under an id's name */
	fd = open(DIR_PATH "/00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		  O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "hello", 5));
	close(fd);
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(failures + 4, read_sysfs(SYSFS "verify_failures"));
	EXPECT_GT(0, seg_open(self->s, self->family, self->a.id));
	EXPECT_GT(0, seg_open(self->s, self->family, self->b.id));
	EXPECT_GT(0, seg_open(self->s, self->family, self->c.id));
	EXPECT_FALSE(exists(self->fa));
	EXPECT_FALSE(exists(self->fb));
	EXPECT_FALSE(exists(self->fc));
	EXPECT_FALSE(exists(DIR_PATH
			    "/00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
}

#define CAP_FOR_ONE	"1114112"	/* 1 MiB + 64 KiB */

TEST_F(backing, the_cap_evicts_and_deletes)
{
	long long evictions = read_sysfs(SYSFS "evictions");

	/* room for one segment of 1 MiB and its description, not two */
	ASSERT_EQ(0, write_sysfs(SYSFS "cache_max_bytes", CAP_FOR_ONE));
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->b, 0xffff));
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->c, 0xffff));
	/* b was least recently used */
	EXPECT_LT(evictions, read_sysfs(SYSFS "evictions"));
	EXPECT_TRUE(gone(self->fb));
	EXPECT_TRUE(exists(self->fc));
	EXPECT_GE(1048576, read_sysfs(SYSFS "cached_bytes"));

	/* two in the directory, room for one: loading evicts too */
	ASSERT_EQ(0, write_sysfs(SYSFS "cache_max_bytes", "268435456"));
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->b, 0xffff));
	ASSERT_EQ(0, set_dir(""));
	ASSERT_EQ(0, write_sysfs(SYSFS "cache_max_bytes", CAP_FOR_ONE));
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(1, read_sysfs(SYSFS "segments"));
	EXPECT_EQ(1048576, read_sysfs(SYSFS "cached_bytes"));
	EXPECT_TRUE(gone(self->fb) || gone(self->fc));
	EXPECT_TRUE(exists(self->fb) || exists(self->fc));
}

/*
 * The one file in DIR_PATH: its name's bytes (the segment id) into id,
 * its path into path (128 bytes); 0 if so.
 */
static int only_file(uint8_t id[32], char *path)
{
	DIR *d = opendir(DIR_PATH);
	struct dirent *e;
	int n = 0, i;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, 128, "%s/%.64s", DIR_PATH, e->d_name);
		for (i = 0; i < 32 && sscanf(e->d_name + 2 * i, "%2hhx", &id[i]) == 1; i++)
			;
		n += i != 32 || strlen(e->d_name) != 64;	/* not an id: fails */
	}
	if (d)
		closedir(d);
	return n == 1 ? 0 : -1;
}

static int load_again(const char *ko)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -1;
	err = syscall(SYS_delete_module, "peerdist", O_NONBLOCK) ||
	      syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return err;
}

/*
 * A file's segments hashed by hash-file (hash offload) persist as added
 * ones do: a file each, 0600 root's, that a reload finds byte-exact. The
 * reload also drops the secret, which later tests need unset.
 */
TEST_F(backing, hash_file_segments_persist_too)
{
	const char *ko = getenv("PEERDIST_KO") ?: "/peerdist.ko";
	static const char secret[] = "backing_dir selftest secret";
	struct nl_msg *m;
	struct nl_sock *s;
	char path[128];
	uint8_t id[32];
	struct seg h;
	struct stat st;
	int fd, family;

	if (access(ko, R_OK))
		SKIP(return, "no %s to load again", ko);
	seg_make(&h, 2 * BLOCK + 500, 24);	/* its bytes; the module's id */
	fd = open("/tmp/pd-hashed", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(h.size, write(fd, h.data, h.size));
	m = seg_request(self->family, PEERDIST_CMD_SET_SECRET, NULL, 0, 4096);
	nla_put(m, PEERDIST_A_SECRET, sizeof(secret) - 1, secret);
	ASSERT_EQ(0, send_and_ack(self->s, m));
	m = seg_request(self->family, PEERDIST_CMD_HASH_FILE, NULL, 0, 4096);
	nla_put_u32(m, PEERDIST_A_FD, fd);
	ASSERT_EQ(0, send_and_ack(self->s, m));
	close(fd);
	unlink("/tmp/pd-hashed");
	ASSERT_EQ(0, only_file(id, path));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(file_size(&h), st.st_size);

	ASSERT_EQ(0, load_again(ko));
	EXPECT_TRUE(exists(path));
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(1, read_sysfs(SYSFS "segments"));
	EXPECT_EQ(h.size, read_sysfs(SYSFS "cached_bytes"));
	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	memcpy(h.id, id, 32);	/* served() opens by id: root's way */
	EXPECT_EQ(1, served(s, family, &h, 0));
	EXPECT_EQ(1, served(s, family, &h, 2));
	EXPECT_EQ(0, seg_flush(s, family, id));
	EXPECT_TRUE(gone(path));
	nl_socket_free(s);
	free(h.data);
}

TEST_F(backing, survives_a_module_reload)
{
	const char *ko = getenv("PEERDIST_KO") ?: "/peerdist.ko";
	int fd, family;
	struct nl_sock *s;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "no %s to load again", ko);
	ASSERT_EQ(0, add_blocks(self->s, self->family, &self->a, 0x3));
	ASSERT_EQ(0, syscall(SYS_delete_module, "peerdist", O_NONBLOCK));
	EXPECT_TRUE(exists(self->fa));	/* unload leaves the files */
	ASSERT_EQ(0, syscall(SYS_finit_module, fd, "", 0));
	close(fd);
	s = nl_open(&family);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, read_sysfs(SYSFS "segments"));
	ASSERT_EQ(0, set_dir(DIR_PATH));
	EXPECT_EQ(1, read_sysfs(SYSFS "segments"));
	EXPECT_EQ(2 * BLOCK, read_sysfs(SYSFS "cached_bytes"));
	EXPECT_EQ(1, served(s, family, &self->a, 0));
	EXPECT_EQ(1, served(s, family, &self->a, 1));
	EXPECT_EQ(0, served(s, family, &self->a, 2));
	nl_socket_free(s);
}

TEST_HARNESS_MAIN
