// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The user-space store: verified segments and blocks, publications per
 * user, tags, LRU eviction under a cap that never pulls bytes from under a
 * reader, several processes at once, kill -9 at any point, waiting for
 * blocks another process adds (also once the user has no inotify instance
 * left), and blocks encrypted as MSG_BLK carries them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "digest.h"
#include "hex.h"
#include "keys.h"
#include "pccrc_gen.h"
#include "pccrr.h"
#include "pccrr_crypto.h"
#include "store.h"

static char dir[64];

struct content {
	uint8_t *data;
	size_t len;
	struct pd_ci *ci;
};

static struct content make_content(unsigned version, size_t len, uint64_t seed)
{
	struct pd_gen_opts o = { .version = version, .hash_alg = PD_HASH_SHA256 };
	struct content c = { .data = malloc(len), .len = len };
	struct pd_gen *g;

	fill_pattern(c.data, len, seed);
	pd_key_ks(version, "secret", 6, o.ks);
	g = pd_gen_new(&o);
	assert_int_equal(pd_gen_update(g, c.data, len), 0);
	assert_int_equal(pd_gen_final(g, &c.ci), 0);
	pd_gen_free(g);
	return c;
}

static void free_content(struct content *c)
{
	pd_ci_free(c->ci);
	free(c->data);
}

/* Returns once the file system's clock has moved on: a file touched now
 * gets a later time stamp than any touched before the call. */
static void next_fs_tick(void)
{
	const struct timespec tick = { 0, 1000000 };
	struct stat before, now;
	char probe[96];
	int fd, i;

	snprintf(probe, sizeof(probe), "%s/tick-probe", dir);
	fd = open(probe, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(futimens(fd, NULL), 0);
	assert_int_equal(fstat(fd, &before), 0);
	for (i = 0; i < 10000; i++) {
		assert_int_equal(futimens(fd, NULL), 0);
		assert_int_equal(fstat(fd, &now), 0);
		if (now.st_mtim.tv_sec != before.st_mtim.tv_sec ||
		    now.st_mtim.tv_nsec != before.st_mtim.tv_nsec)
			break;
		nanosleep(&tick, NULL);
	}
	close(fd);
	unlink(probe);
	assert_true(i < 10000);
}

static struct pd_store *open_store(void)
{
	struct pd_store *s;

	assert_int_equal(pd_store_user_open(dir, &s), 0);
	return s;
}

/* Adds segment i of c and all (or some: every step-th) of its blocks. */
static void add_segment(struct pd_store *s, const struct content *c,
			uint32_t i, uint32_t step)
{
	const struct pd_ci_segment *seg = &c->ci->segments[i];
	struct pd_segment_desc d;
	uint32_t b;

	pd_segment_desc_from_ci(c->ci, i, &d);
	assert_int_equal(s->ops->add_segment(s, &d), 0);
	for (b = 0; step && b < seg->nblocks; b += step) {
		struct pd_range r = pd_ci_block_range(c->ci, i, b);

		assert_int_equal(pd_store_put_block(s, d.id, d.hash_len, b,
						   c->data + r.start,
						   r.end - r.start), 0);
	}
}

static void assert_block_reads(struct pd_store *s, const struct content *c,
			       uint32_t i, uint32_t b)
{
	struct pd_range r = pd_ci_block_range(c->ci, i, b);
	struct pd_segment_desc d;
	struct pd_block_loc loc;
	uint8_t *buf;

	pd_segment_desc_from_ci(c->ci, i, &d);
	assert_int_equal(s->ops->locate_block(s, d.id, d.hash_len, b, &loc), 0);
	assert_int_equal(loc.len, r.end - r.start);
	buf = malloc(loc.len);
	assert_int_equal(pread(loc.fd, buf, loc.len, loc.offset), loc.len);
	assert_memory_equal(buf, c->data + r.start, loc.len);
	close(loc.fd);
	free(buf);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/pd-store-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void round_trip(void **state)
{
	struct content c = make_content(1, 300000, 1);
	struct pd_store *s = open_store();
	struct pd_store_stats st;
	uint32_t b;

	add_segment(s, &c, 0, 2);
	for (b = 0; b < c.ci->segments[0].nblocks; b++) {
		struct pd_segment_desc d;

		pd_segment_desc_from_ci(c.ci, 0, &d);
		assert_int_equal(s->ops->has_block(s, d.id, d.hash_len, b), b % 2 == 0);
		if (b % 2 == 0)
			assert_block_reads(s, &c, 0, b);
	}
	s->ops->stats(s, &st);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.bytes_cached, 2 * 65536 + (300000 - 4 * 65536));
	s->ops->close(s);
	/* Persistent: another open sees the same. */
	s = open_store();
	assert_block_reads(s, &c, 0, 4);
	s->ops->close(s);
	free_content(&c);
}

/* The description file of segment i of c, as the store files it. */
static void desc_path(const struct content *c, uint32_t i, char *path, size_t len)
{
	struct pd_segment_desc d;
	char hex[2 * PD_HASH_MAX + 1];

	pd_segment_desc_from_ci(c->ci, i, &d);
	pd_hex_encode(d.id, d.hash_len, hex, 0);
	snprintf(path, len, "%s/segments/%s/desc", dir, hex);
}

/* Overwrites 4 bytes at off of segment i's description with v. */
static void damage_desc(const struct content *c, uint32_t i, off_t off, uint32_t v)
{
	char path[PATH_MAX];
	int fd;

	desc_path(c, i, path, sizeof(path));
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &v, sizeof(v), off), sizeof(v));
	close(fd);
}

/*
 * A description file damaged on disk (block size 0, a block hash or the
 * size changed, another segment's description in its place) never
 * reaches the arithmetic nor vouches for a block: the segment goes as if
 * evicted, blocks, files and count, and the next add_segment makes it
 * anew; adding its blocks again makes them read back.
 */
static void damaged_description_dropped(void **state)
{
	static const struct { off_t off; uint32_t v; } damage[] = {
		{ 16, 0 },			/* block_size */
		{ 12, 70000 },			/* size */
		{ 24 + 3 * 32 + 32, 0xdeadbeef },	/* block hash 1 */
		{ 0, 0 },			/* magic */
	};
	const size_t n = sizeof(damage) / sizeof(damage[0]);
	struct content c = make_content(1, 200000, 9), other = make_content(1, 100000, 10);
	char from[PATH_MAX], to[PATH_MAX], cmd[2 * PATH_MAX + 8];
	struct pd_segment_desc d;
	struct pd_store_stats st;
	struct pd_store *s;
	size_t k;

	pd_segment_desc_from_ci(c.ci, 0, &d);
	desc_path(&c, 0, to, sizeof(to));
	for (k = 0; k <= n; k++) {
		s = open_store();
		add_segment(s, &c, 0, 1);
		s->ops->close(s);
		if (k < n) {
			damage_desc(&c, 0, damage[k].off, damage[k].v);
		} else {	/* the other content's description filed as c's */
			s = open_store();
			add_segment(s, &other, 0, 0);
			s->ops->close(s);
			desc_path(&other, 0, from, sizeof(from));
			snprintf(cmd, sizeof(cmd), "cp %s %s", from, to);
			assert_int_equal(system(cmd), 0);
		}
		s = open_store();
		assert_int_equal(s->ops->has_block(s, d.id, d.hash_len, 0), 0);
		assert_int_equal(access(to, F_OK), -1);
		assert_int_equal(pd_store_put_block(s, d.id, d.hash_len, 0, c.data, 65536),
				 -ENOENT);
		assert_int_equal(s->ops->add_segment(s, &d), 0);
		assert_int_equal(s->ops->has_block(s, d.id, d.hash_len, 1), 0);
		add_segment(s, &c, 0, 1);
		assert_block_reads(s, &c, 0, 1);
		s->ops->stats(s, &st);
		assert_int_equal(st.segments, k < n ? 1 : 2);
		s->ops->close(s);
	}
	free_content(&other);
	free_content(&c);
}

static void bad_descriptions_refused(void **state)
{
	struct content c = make_content(1, 200000, 2);
	struct pd_store *s = open_store();
	struct pd_segment_desc d;
	struct pd_store_stats st;

	pd_segment_desc_from_ci(c.ci, 0, &d);
	d.hod[0] ^= 1;
	assert_int_equal(s->ops->add_segment(s, &d), -EBADMSG);
	pd_segment_desc_from_ci(c.ci, 0, &d);
	d.id[5] ^= 1;
	assert_int_equal(s->ops->add_segment(s, &d), -EBADMSG);
	pd_segment_desc_from_ci(c.ci, 0, &d);
	d.kp[0] ^= 1;	/* the id no longer follows from Kp */
	assert_int_equal(s->ops->add_segment(s, &d), -EBADMSG);
	pd_segment_desc_from_ci(c.ci, 0, &d);
	d.nblocks = 7;
	assert_int_equal(s->ops->add_segment(s, &d), -EINVAL);
	s->ops->stats(s, &st);
	assert_int_equal(st.verify_failures, 3);
	assert_int_equal(st.segments, 0);
	s->ops->close(s);
	free_content(&c);
}

static void bad_block_refused(void **state)
{
	struct content c = make_content(1, 200000, 3);
	struct pd_store *s = open_store();
	struct pd_segment_desc d;
	struct pd_block_loc loc;

	add_segment(s, &c, 0, 0);
	pd_segment_desc_from_ci(c.ci, 0, &d);
	c.data[70000] ^= 1;
	assert_int_equal(pd_store_put_block(s, d.id, d.hash_len, 1, c.data + 65536,
					   65536), -EBADMSG);
	assert_int_equal(s->ops->has_block(s, d.id, d.hash_len, 1), 0);
	assert_int_equal(s->ops->locate_block(s, d.id, d.hash_len, 1, &loc), -ENOENT);
	/* Wrong length, index out of range, unknown segment. */
	assert_int_equal(pd_store_put_block(s, d.id, d.hash_len, 0, c.data, 100), -EINVAL);
	assert_int_equal(pd_store_put_block(s, d.id, d.hash_len, 9, c.data, 65536), -EINVAL);
	d.id[0] ^= 1;
	assert_int_equal(pd_store_put_block(s, d.id, d.hash_len, 0, c.data, 65536), -ENOENT);
	s->ops->close(s);
	free_content(&c);
}

/* A run of blocks with a bad one: those before it are kept (counted, and
 * waiters told), it and those after it are not. */
static void batch_keeps_good_prefix(void **state)
{
	struct content c = make_content(1, 700000, 9);
	struct pd_store *s = open_store();
	struct pd_store_stats st;
	struct pd_segment_desc d;
	uint32_t b;

	add_segment(s, &c, 0, 0);
	pd_segment_desc_from_ci(c.ci, 0, &d);
	s->ops->drain_wait(s);
	c.data[4 * 65536 + 3] ^= 1;
	assert_int_equal(s->ops->put_blocks(s, d.id, 32, 1, 10, c.data + 65536,
					    700000 - 65536), -EBADMSG);
	for (b = 0; b < 11; b++)
		assert_int_equal(s->ops->has_block(s, d.id, 32, b), b >= 1 && b < 4);
	s->ops->stats(s, &st);
	assert_int_equal(st.bytes_cached, 3 * 65536);
	assert_int_equal(st.verify_failures, 1);
	assert_int_equal(s->ops->drain_wait(s), PD_STORE_ADDED);
	c.data[4 * 65536 + 3] ^= 1;
	assert_int_equal(s->ops->put_blocks(s, d.id, 32, 0, 11, c.data, 700000), 0);
	for (b = 0; b < 11; b++)
		assert_block_reads(s, &c, 0, b);
	/* Lengths must match the blocks named. */
	assert_int_equal(s->ops->put_blocks(s, d.id, 32, 0, 2, c.data, 65536), -EINVAL);
	assert_int_equal(s->ops->put_blocks(s, d.id, 32, 10, 2, c.data, 65536), -EINVAL);
	assert_int_equal(s->ops->put_blocks(s, d.id, 32, 0, 0, c.data, 0), -EINVAL);
	s->ops->close(s);
	free_content(&c);
}

static void publications(void **state)
{
	struct pd_store *s = open_store();
	uint8_t *ci;
	size_t len;
	pid_t pid;
	int status;

	assert_int_equal(s->ops->publish(s, 1000, "id", 2, (const uint8_t *)"V1", 2,
					 (const uint8_t *)"V2!", 3), 0);
	assert_int_equal(s->ops->publish(s, 1000, "id", 2, (const uint8_t *)"x", 1,
					 (const uint8_t *)"y", 1), -EEXIST);
	/* Another user's identifier is another publication. */
	assert_int_equal(s->ops->publish(s, 1001, "id", 2, (const uint8_t *)"o", 1,
					 (const uint8_t *)"p", 1), 0);
	assert_int_equal(s->ops->lookup(s, 1000, "id", 2, 2, &ci, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(ci, "V2!", 3);
	free(ci);
	assert_int_equal(s->ops->lookup(s, 1000, "id", 2, 1, &ci, &len), 0);
	assert_memory_equal(ci, "V1", 2);
	free(ci);
	assert_int_equal(s->ops->unpublish(s, 1000, "id", 2), 0);
	assert_int_equal(s->ops->lookup(s, 1000, "id", 2, 1, &ci, &len), -ENOENT);
	assert_int_equal(s->ops->unpublish(s, 1000, "id", 2), -ENOENT);
	/* A publisher that died leaves no publication behind. */
	pid = fork();
	if (pid == 0) {
		struct pd_store *cs;

		_exit(pd_store_user_open(dir, &cs) ||
		      cs->ops->publish(cs, 1000, "dead", 4, (const uint8_t *)"a", 1,
				       (const uint8_t *)"b", 1));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(s->ops->lookup(s, 1000, "dead", 4, 1, &ci, &len), -ENOENT);
	assert_int_equal(s->ops->publish(s, 1000, "dead", 4, (const uint8_t *)"a", 1,
					 (const uint8_t *)"b", 1), 0);
	s->ops->close(s);
}

static int collect_ident(const void *ident, size_t len, void *arg)
{
	char *out = arg;

	strncat(out, ident, len);
	strcat(out, ";");
	return 0;
}

/* A kept publication outlives its publisher, is listed, until unpublished. */
static void kept_publications(void **state)
{
	struct pd_store *s = open_store();
	char listed[64] = "";
	uint8_t *ci;
	size_t len;
	pid_t pid;
	int status;

	assert_int_equal(s->ops->keep(s, 1000, "none", 4), -ENOENT);
	pid = fork();
	if (pid == 0) {
		struct pd_store *cs;

		_exit(pd_store_user_open(dir, &cs) ||
		      cs->ops->publish(cs, 1000, "kept", 4, (const uint8_t *)"a", 1,
				       (const uint8_t *)"b", 1) ||
		      cs->ops->keep(cs, 1000, "kept", 4));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(s->ops->lookup(s, 1000, "kept", 4, 2, &ci, &len), 0);
	assert_memory_equal(ci, "b", 1);
	free(ci);
	assert_int_equal(s->ops->publish(s, 1000, "kept", 4, (const uint8_t *)"x", 1,
					 (const uint8_t *)"y", 1), -EEXIST);
	assert_int_equal(s->ops->list_kept(s, 1000, collect_ident, listed), 0);
	assert_string_equal(listed, "kept;");
	listed[0] = '\0';
	assert_int_equal(s->ops->list_kept(s, 1001, collect_ident, listed), 0);
	assert_string_equal(listed, "");
	assert_int_equal(s->ops->unpublish(s, 1000, "kept", 4), 0);
	assert_int_equal(s->ops->lookup(s, 1000, "kept", 4, 1, &ci, &len), -ENOENT);
	assert_int_equal(s->ops->list_kept(s, 1000, collect_ident, listed), 0);
	assert_string_equal(listed, "");
	s->ops->close(s);
}

static void clear_drops_every_segment(void **state)
{
	struct content c = make_content(2, 3u << 20, 7);
	struct pd_store *s = open_store();
	struct pd_store_stats st;
	struct pd_segment_desc d;
	uint32_t i;

	for (i = 0; i < c.ci->nsegments; i++)
		add_segment(s, &c, i, 1);
	assert_int_equal(s->ops->clear(s), 0);
	s->ops->stats(s, &st);
	assert_int_equal(st.bytes_cached, 0);
	for (i = 0; i < c.ci->nsegments; i++) {
		pd_segment_desc_from_ci(c.ci, i, &d);
		assert_int_equal(s->ops->has_block(s, d.id, 32, 0), 0);
	}
	s->ops->close(s);
	free_content(&c);
}

static void lru_eviction_spares_readers(void **state)
{
	struct content c = make_content(2, 2u << 20, 4);
	struct pd_store *s = open_store();
	struct pd_segment_desc d0;
	struct pd_block_loc held;
	struct pd_store_stats st;
	uint32_t i, n = c.ci->nsegments;
	uint8_t *buf;

	for (i = 0; i < n; i++) {
		add_segment(s, &c, i, 1);
		next_fs_tick();	/* distinct use times, even with coarse clocks */
	}
	/* Segment 0 is the oldest; use it (held open) to make it the newest. */
	pd_segment_desc_from_ci(c.ci, 0, &d0);
	assert_int_equal(s->ops->locate_block(s, d0.id, 32, 0, &held), 0);
	assert_int_equal(s->ops->set_max_bytes(s, 1u << 20), 0);
	s->ops->stats(s, &st);
	assert_true(st.bytes_cached <= 1u << 20);
	assert_true(st.evictions > 0);
	/* Segment 1 was least recently used: gone; segment 0 stays. */
	pd_segment_desc_from_ci(c.ci, 1, &d0);
	assert_int_equal(s->ops->has_block(s, d0.id, 32, 0), 0);
	assert_block_reads(s, &c, 0, 0);
	/* The held descriptor keeps its bytes even after a flush of all. */
	assert_int_equal(s->ops->set_max_bytes(s, 1u << 16), 0);
	buf = malloc(held.len);
	assert_int_equal(pread(held.fd, buf, held.len, held.offset), held.len);
	assert_memory_equal(buf, c.data, held.len);
	free(buf);
	close(held.fd);
	s->ops->close(s);
	free_content(&c);
}

static void flush_by_tag(void **state)
{
	struct content c = make_content(2, 500000, 5);
	struct pd_store *s = open_store();
	uint8_t tag[16] = "content-tag-0001";
	struct pd_segment_desc d;
	uint32_t i;

	for (i = 0; i < c.ci->nsegments; i++) {
		add_segment(s, &c, i, 1);
		pd_segment_desc_from_ci(c.ci, i, &d);
		assert_int_equal(s->ops->tag_segment(s, tag, d.id, 32), 0);
	}
	assert_int_equal(s->ops->flush_tag(s, tag), 0);
	assert_int_equal(s->ops->flush_tag(s, tag), -ENOENT);	/* nothing has it now */
	for (i = 0; i < c.ci->nsegments; i++) {
		pd_segment_desc_from_ci(c.ci, i, &d);
		assert_int_equal(s->ops->has_block(s, d.id, 32, 0), 0);
	}
	s->ops->close(s);
	free_content(&c);
}

/* Two processes add the same blocks while a third reads: all consistent. */
static void concurrent_processes(void **state)
{
	struct content c = make_content(2, 3u << 20, 6);
	pid_t pids[2];
	int k, status;
	uint32_t i;

	for (k = 0; k < 2; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			struct pd_store *s;

			if (pd_store_user_open(dir, &s))
				_exit(1);
			for (i = 0; i < c.ci->nsegments; i++) {
				uint32_t j = k ? c.ci->nsegments - 1 - i : i;
				struct pd_segment_desc d;

				pd_segment_desc_from_ci(c.ci, j, &d);
				if (s->ops->add_segment(s, &d) ||
				    pd_store_put_block(s, d.id, 32, 0,
						      c.data + c.ci->segments[j].offset,
						      c.ci->segments[j].size))
					_exit(2);
			}
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++) {
		assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
		assert_int_equal(status, 0);
	}
	struct pd_store *s = open_store();
	for (i = 0; i < c.ci->nsegments; i++)
		assert_block_reads(s, &c, i, 0);
	s->ops->close(s);
	free_content(&c);
}

/*
 * kill -9 a writer at random instants: every block that reads as present
 * afterwards reads back what was verified, and every block a writer had
 * finished putting before it was killed is still there.
 */
static void crash_safety(void **state)
{
	struct content c = make_content(1, 2u << 20, 7);
	struct pd_segment_desc d;
	uint32_t b, present = 0;
	int round, done[2];

	assert_int_equal(pipe(done), 0);
	srand(12345);
	for (round = 0; round < 20; round++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			struct pd_store *s;

			if (pd_store_user_open(dir, &s))
				_exit(1);
			for (;;) {
				add_segment(s, &c, 0, 1);
				/* Once: the parent reads it in the first round. */
				if (done[1] >= 0 && write(done[1], "", 1) != 1)
					_exit(1);
				if (done[1] >= 0)
					close(done[1]);
				done[1] = -1;
				s->ops->flush_tag(s, (const uint8_t *)"nothing-tagged!!");
			}
		}
		if (round == 0) {	/* one writer gets to put every block */
			char byte;

			assert_int_equal(read(done[0], &byte, 1), 1);
		}
		usleep(rand() % 20000);	/* a random instant to die at */
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(done[0]);
	close(done[1]);
	struct pd_store *s = open_store();
	pd_segment_desc_from_ci(c.ci, 0, &d);
	for (b = 0; b < c.ci->segments[0].nblocks; b++) {
		int has = s->ops->has_block(s, d.id, 32, b);

		assert_true(has == 0 || has == 1);
		if (has) {
			struct pd_block_loc loc;
			uint8_t *buf = malloc(65536), h[32];

			assert_int_equal(s->ops->locate_block(s, d.id, 32, b, &loc), 0);
			assert_int_equal(pread(loc.fd, buf, loc.len, loc.offset), loc.len);
			pd_digest(PD_HASH_SHA256, buf, loc.len, h);
			assert_memory_equal(h, c.ci->segments[0].block_hashes + 32 * b, 32);
			close(loc.fd);
			free(buf);
			present++;
		}
	}
	/* Later writers wrote the same bytes; no kill took back the first's. */
	assert_int_equal(present, c.ci->segments[0].nblocks);
	/* The cache still works after all that. */
	add_segment(s, &c, 0, 1);
	assert_block_reads(s, &c, 0, 31);
	s->ops->close(s);
	free_content(&c);
}

static void waiters_woken_by_other_process(void **state)
{
	struct content c = make_content(1, 100000, 8);
	struct pd_store *s = open_store();
	struct pollfd p = { .fd = s->ops->wait_fd(s), .events = POLLIN };
	pid_t pid, parent = getpid();
	int status;

	assert_int_equal(poll(&p, 1, 0), 0);
	pid = fork();
	if (pid == 0) {
		struct pd_store *cs;

		/* Adds once the parent is blocked in poll(), so that the add
		 * is what wakes it. */
		if (!wait_until_blocked(parent, parent) ||
		    pd_store_user_open(dir, &cs))
			_exit(1);
		add_segment(cs, &c, 0, 1);
		_exit(0);
	}
	assert_int_equal(poll(&p, 1, 10000), 1);
	waitpid(pid, &status, 0);
	assert_int_equal(status, 0);
	s->ops->drain_wait(s);
	assert_int_equal(poll(&p, 1, 0), 0);
	s->ops->close(s);
	free_content(&c);
}

#define NO_INOTIFY_UID	64999	/* a user of this test's own, out of inotify instances */
#define INOTIFY_MAX	8192

/* In a child as NO_INOTIFY_UID with every inotify instance it may have
 * taken: a store still opens, and a block another store adds wakes it.
 * Exit 0, 77 when the instances do not run out, or the step that failed. */
static int woken_without_inotify(const struct content *c)
{
	struct pd_store *s, *adder;
	struct pd_segment_desc d;
	struct pd_range r;
	struct pollfd p = { .events = POLLIN };
	int n;

	if (setgid(NO_INOTIFY_UID) || setuid(NO_INOTIFY_UID))
		return 2;
	for (n = 0; n < INOTIFY_MAX && inotify_init1(IN_CLOEXEC) >= 0; n++)
		;
	if (n == INOTIFY_MAX || errno != EMFILE)
		return 77;
	if (pd_store_user_open(dir, &s) || pd_store_user_open(dir, &adder))
		return 3;
	p.fd = s->ops->wait_fd(s);
	s->ops->drain_wait(s);
	pd_segment_desc_from_ci(c->ci, 0, &d);
	r = pd_ci_block_range(c->ci, 0, 0);
	if (adder->ops->add_segment(adder, &d) ||
	    pd_store_put_block(adder, d.id, d.hash_len, 0, c->data + r.start, r.end - r.start))
		return 4;
	if (poll(&p, 1, 5000) != 1 || s->ops->drain_wait(s) != PD_STORE_ADDED)
		return 5;
	/* Nothing new: the next tick is no news. */
	if (poll(&p, 1, 5000) != 1 || s->ops->drain_wait(s) != 0)
		return 6;
	s->ops->close(s);
	adder->ops->close(adder);
	return 0;
}

/* Inotify instances are per user and few (128 by default) for all the
 * user's processes, one per store: running out must not stop a store. */
static void waiters_woken_without_inotify(void **state)
{
	struct content c;
	pid_t pid;
	int status;

	if (geteuid())
		skip();	/* exhausting one's own instances would starve the other tests */
	c = make_content(1, 100000, 9);
	assert_int_equal(chown(dir, NO_INOTIFY_UID, NO_INOTIFY_UID), 0);
	pid = fork();
	if (pid == 0)
		_exit(woken_without_inotify(&c));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	free_content(&c);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* read_block_now: a present block's bytes from any byte of it on, the
 * length clipped to the block; an absent block or segment: -ENOENT. */
static void read_block_now_reads_present_blocks(void **state)
{
	struct content c = make_content(1, 200000, 6);
	struct pd_store *s = open_store();
	struct pd_segment_desc d;
	uint8_t buf[65536];

	add_segment(s, &c, 0, 2);	/* blocks 0 and 2 of 0..3 */
	pd_segment_desc_from_ci(c.ci, 0, &d);
	assert_int_equal(pd_store_read_block_now(s, d.id, 32, 0, 0, buf, sizeof(buf)),
			 65536);
	assert_memory_equal(buf, c.data, 65536);
	assert_int_equal(pd_store_read_block_now(s, d.id, 32, 2, 1000, buf, 100), 100);
	assert_memory_equal(buf, c.data + 2 * 65536 + 1000, 100);
	assert_int_equal(pd_store_read_block_now(s, d.id, 32, 0, 65000, buf, sizeof(buf)),
			 536);
	assert_memory_equal(buf, c.data + 65000, 536);
	assert_int_equal(pd_store_read_block_now(s, d.id, 32, 1, 0, buf, sizeof(buf)),
			 -ENOENT);
	assert_int_equal(pd_store_read_block_now(s, d.id, 32, 9, 0, buf, sizeof(buf)),
			 -ENOENT);
	d.id[0] ^= 1;
	assert_int_equal(pd_store_read_block_now(s, d.id, 32, 0, 0, buf, sizeof(buf)),
			 -ENOENT);
	s->ops->close(s);
	free_content(&c);
}

/* read_blocks_now: several reads at once, blocks in a row of one segment
 * among them, each with its own bytes and result, as read_block_now's. */
static void read_blocks_now_reads_each_at_once(void **state)
{
	struct content a = make_content(1, 300000, 8), b = make_content(1, 200000, 9);
	struct pd_store *s = open_store();
	struct pd_segment_desc da, db;
	struct pd_store_stats before, after;
	static uint8_t buf[6][70000];
	struct pd_block_read r[6] = {
		{ .index = 0, .len = 65536 }, { .index = 1, .len = 65536 },
		{ .index = 2, .len = 70000 }, { .index = 1, .len = 65536 },
		{ .index = 2, .skip = 1000, .len = 100 }, { .index = 4, .len = 65536 },
	};
	const ssize_t want[6] = { 65536, 65536, 65536, -ENOENT, 100, 300000 - 4 * 65536 };
	unsigned i;

	add_segment(s, &a, 0, 1);
	add_segment(s, &b, 0, 2);	/* blocks 0 and 2 of 0..3 */
	pd_segment_desc_from_ci(a.ci, 0, &da);
	pd_segment_desc_from_ci(b.ci, 0, &db);
	for (i = 0; i < 6; i++) {
		r[i].id = i == 3 || i == 4 ? db.id : da.id;
		r[i].idlen = 32;
		r[i].buf = buf[i];
	}
	s->ops->stats(s, &before);
	s->ops->read_blocks_now(s, r, 6);
	s->ops->stats(s, &after);
	for (i = 0; i < 6; i++)
		assert_int_equal(r[i].res, want[i]);
	for (i = 0; i < 3; i++)
		assert_memory_equal(buf[i], a.data + i * 65536, 65536);
	assert_memory_equal(buf[4], b.data + 2 * 65536 + 1000, 100);
	assert_memory_equal(buf[5], a.data + 4 * 65536, want[5]);
	assert_int_equal(after.hits, before.hits + 5);
	s->ops->close(s);
	free_content(&a);
	free_content(&b);
}

/* A hit is a read of every byte asked for: a short read_block_now (only
 * the block's first page in memory) counts none, as what reads the rest
 * counts it. Skipped where the file system keeps the pages (tmpfs). */
static void short_read_counts_no_hit(void **state)
{
	struct content c = make_content(1, 200000, 7);
	struct pd_store *s = open_store();
	struct pd_store_stats before, after;
	struct pd_segment_desc d;
	struct pd_block_loc loc;
	uint8_t buf[65536];
	ssize_t n;

	add_segment(s, &c, 0, 3);
	pd_segment_desc_from_ci(c.ci, 0, &d);
	assert_int_equal(s->ops->locate_block(s, d.id, 32, 0, &loc), 0);
	assert_int_equal(fdatasync(loc.fd), 0);
	assert_int_equal(posix_fadvise(loc.fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	assert_int_equal(posix_fadvise(loc.fd, 0, 0, POSIX_FADV_RANDOM), 0);
	assert_int_equal(pread(loc.fd, buf, 4096, loc.offset), 4096);
	close(loc.fd);
	s->ops->stats(s, &before);
	n = pd_store_read_block_now(s, d.id, 32, 0, 0, buf, sizeof(buf));
	s->ops->stats(s, &after);
	if (n == (ssize_t)sizeof(buf)) {
		s->ops->close(s);
		free_content(&c);
		skip();
	}
	assert_true(n == -EAGAIN || (n > 0 && n < (ssize_t)sizeof(buf)));
	assert_int_equal(after.hits, before.hits);
	assert_int_equal(pd_store_read_block_now(s, d.id, 32, 0, 0, buf, 1000), 1000);
	s->ops->stats(s, &after);
	assert_int_equal(after.hits, before.hits + 1);
	s->ops->close(s);
	free_content(&c);
}

struct reader {
	struct pd_store *s;
	const struct content *c;
	int stop, reads, wrong;
};

/* Reads block 0 of segment 0 until told to stop; counts wrong bytes. */
static void *read_block_zero(void *arg)
{
	struct reader *r = arg;
	struct pd_range range = pd_ci_block_range(r->c->ci, 0, 0);
	size_t len = range.end - range.start;
	struct pd_segment_desc d;
	uint8_t *buf = malloc(len);
	ssize_t n;

	pd_segment_desc_from_ci(r->c->ci, 0, &d);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) || r->reads < 1) {
		n = pd_store_read_block_now(r->s, d.id, 32, 0, 0, buf, len);
		r->wrong += n != (ssize_t)len || memcmp(buf, r->c->data, len);
		r->reads++;
	}
	free(buf);
	return NULL;
}

/* A read outside the store's lock keeps its descriptor while other
 * segments' use closes the slot it read through (the open segments are
 * few): every read returns the block's bytes. */
static void read_block_now_survives_slot_reuse(void **state)
{
	struct content c = make_content(2, 4u << 20, 7);
	struct pd_store *s = open_store();
	struct reader r = { .s = s, .c = &c };
	struct pd_segment_desc d;
	pthread_t t;
	uint32_t i, k;

	assert_true(c.ci->nsegments > 9);	/* more than the store keeps open */
	for (i = 0; i < c.ci->nsegments; i++)
		add_segment(s, &c, i, 1);
	assert_int_equal(pthread_create(&t, NULL, read_block_zero, &r), 0);
	for (k = 0; k < 200; k++) {
		for (i = 1; i < c.ci->nsegments; i++) {
			pd_segment_desc_from_ci(c.ci, i, &d);
			assert_int_equal(s->ops->has_block(s, d.id, 32, 0), 1);
		}
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_true(r.reads > 0);
	assert_int_equal(r.wrong, 0);
	s->ops->close(s);
	free_content(&c);
}

struct writer {
	struct pd_store *s;
	const struct content *c;
	uint32_t start, step;
	int failures;
};

/* Puts the blocks of every step-th segment from start, one run each. */
static void *put_segments(void *arg)
{
	struct writer *w = arg;
	const struct pd_ci *ci = w->c->ci;
	struct pd_segment_desc d;
	uint32_t i;

	for (i = w->start; i < ci->nsegments; i += w->step) {
		pd_segment_desc_from_ci(ci, i, &d);
		w->failures += w->s->ops->put_blocks(w->s, d.id, d.hash_len, 0,
						     ci->segments[i].nblocks,
						     w->c->data + ci->segments[i].offset,
						     ci->segments[i].size) != 0;
	}
	return NULL;
}

/* Writers outside the store's lock: threads putting blocks at once, in
 * more segments than the store keeps open (slots are reopened under writes
 * going on), each segment by one thread, then every segment by all of
 * them, leave every block present, its bytes right, and counted once. */
static void concurrent_writers(void **state)
{
	struct content c = make_content(2, 16u << 20, 11);
	struct pd_store *s = open_store();
	struct writer w[4];
	struct pd_store_stats st;
	pthread_t t[4];
	uint32_t i, b, shared;

	assert_true(c.ci->nsegments > 9);	/* more than the store keeps open */
	for (shared = 0; shared < 2; shared++) {
		for (i = 0; i < c.ci->nsegments; i++)
			add_segment(s, &c, i, 0);
		for (i = 0; i < 4; i++) {
			w[i] = (struct writer){ .s = s, .c = &c, .start = shared ? 0 : i,
						.step = shared ? 1 : 4 };
			assert_int_equal(pthread_create(&t[i], NULL, put_segments, &w[i]), 0);
		}
		for (i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			assert_int_equal(w[i].failures, 0);
		}
		for (i = 0; i < c.ci->nsegments; i++)
			for (b = 0; b < c.ci->segments[i].nblocks; b++)
				assert_block_reads(s, &c, i, b);
		s->ops->stats(s, &st);
		assert_int_equal(st.bytes_cached, c.len);
		assert_int_equal(s->ops->clear(s), 0);
	}
	s->ops->close(s);
	free_content(&c);
}

/* encrypt_block: MSG_BLK's ciphertext, which Kp decrypts to the block and zeroes. */
static void blocks_encrypted_for_msg_blk(void **state)
{
	struct content c = make_content(1, 300007, 9);	/* the last block: 37863 bytes */
	static uint8_t out[65536 + 16], plain[65536 + 16];
	static const unsigned algos[] = { PD_CRYPTO_AES_128, PD_CRYPTO_AES_256 };
	struct pd_store *s = open_store();
	uint8_t iv[PD_PCCRR_IV_SIZE] = { 7, 6, 5 };
	struct pd_segment_desc d, got;
	struct pd_range r;
	uint32_t b;
	unsigned i;
	long n;

	add_segment(s, &c, 0, 2);
	pd_segment_desc_from_ci(c.ci, 0, &d);
	assert_int_equal(s->ops->get_segment(s, d.id, d.hash_len, &got), 0);
	assert_int_equal(got.no_kp, 0);	/* the user backend holds Kp */
	for (b = 0; b <= 4; b += 4) {
		r = pd_ci_block_range(c.ci, 0, b);
		for (i = 0; i < 2; i++) {
			n = s->ops->encrypt_block(s, d.id, d.hash_len, b, algos[i], iv, out,
						  sizeof(out));
			assert_int_equal(n, pd_pccrr_padded_len(r.end - r.start));
			assert_int_equal(pd_pccrr_decrypt(algos[i], d.kp, d.hash_len, out, n, iv,
							  plain), 0);
			assert_memory_equal(plain, c.data + r.start, r.end - r.start);
			for (size_t z = r.end - r.start; z < (size_t)n; z++)
				assert_int_equal(plain[z], 0);
		}
	}
	assert_int_equal(s->ops->encrypt_block(s, d.id, d.hash_len, 1, PD_CRYPTO_AES_128, iv,
					       out, sizeof(out)), -ENOENT);	/* absent */
	assert_int_equal(s->ops->encrypt_block(s, d.id, d.hash_len, 5, PD_CRYPTO_AES_128, iv,
					       out, sizeof(out)), -EINVAL);	/* past the end */
	assert_int_equal(s->ops->encrypt_block(s, d.id, d.hash_len, 0, PD_CRYPTO_AES_128, iv,
					       out, 1000), -EINVAL);		/* no room */
	s->ops->close(s);
	free_content(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(blocks_encrypted_for_msg_blk, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_descriptions_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_description_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_block_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(batch_keeps_good_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(publications, setup, teardown),
		cmocka_unit_test_setup_teardown(kept_publications, setup, teardown),
		cmocka_unit_test_setup_teardown(clear_drops_every_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(lru_eviction_spares_readers, setup, teardown),
		cmocka_unit_test_setup_teardown(read_block_now_reads_present_blocks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(short_read_counts_no_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(read_blocks_now_reads_each_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(read_block_now_survives_slot_reuse, setup,
						teardown),
		cmocka_unit_test_setup_teardown(flush_by_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(crash_safety, setup, teardown),
		cmocka_unit_test_setup_teardown(waiters_woken_by_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(waiters_woken_without_inotify, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
