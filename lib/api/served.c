// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content information of served entities (see served.h). One background
 * thread takes jobs in order; each makes the requested version first (it
 * is answered from memory as soon as it is ready), then the other, then
 * publishes both. An entity that changed while it was hashed (size or
 * mtime of its descriptor moved) is thrown away: its key is stale.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "gen_file.h"
#include "served.h"
#include "store.h"

#define QUEUE_MAX	64
#define MEMORY_MAX	256	/* entities kept in memory */

enum entry_state { ENTRY_FREE, ENTRY_QUEUED, ENTRY_MAKING, ENTRY_DONE };

struct entry {
	enum entry_state state;
	char *key;
	uint64_t used;			/* last use, for eviction */
	uint8_t *ci[2];			/* version 1, 2 */
	size_t len[2];
	/* the job, while queued or making */
	int fd;
	unsigned first;
	struct stat st;
};

struct pd_served {
	struct pd_store *store;
	struct pd_gen_opts opts[2];
	pthread_mutex_t lock;
	pthread_cond_t wake, idle;
	pthread_t thread;
	int started, stopping, busy;
	uint64_t clock;
	struct entry entries[MEMORY_MAX];
};

static void entry_clear(struct entry *e)
{
	free(e->key);
	free(e->ci[0]);
	free(e->ci[1]);
	if (e->fd >= 0)
		close(e->fd);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

static struct entry *find(struct pd_served *s, const char *key)
{
	unsigned i;

	for (i = 0; i < MEMORY_MAX; i++)
		if (s->entries[i].state != ENTRY_FREE && !strcmp(s->entries[i].key, key))
			return &s->entries[i];
	return NULL;
}

/* A free slot, or the least recently used finished one; NULL if all are busy. */
static struct entry *take_slot(struct pd_served *s)
{
	struct entry *victim = NULL;
	unsigned i;

	for (i = 0; i < MEMORY_MAX; i++) {
		struct entry *e = &s->entries[i];

		if (e->state == ENTRY_FREE)
			return e;
		if (e->state == ENTRY_DONE && (!victim || e->used < victim->used))
			victim = e;
	}
	if (victim)
		entry_clear(victim);
	return victim;
}

static unsigned queued(struct pd_served *s)
{
	unsigned i, n = 0;

	for (i = 0; i < MEMORY_MAX; i++)
		n += s->entries[i].state == ENTRY_QUEUED;
	return n;
}

/* The oldest queued job (FIFO by the clock stamp). */
static struct entry *next_job(struct pd_served *s)
{
	struct entry *job = NULL;
	unsigned i;

	for (i = 0; i < MEMORY_MAX; i++) {
		struct entry *e = &s->entries[i];

		if (e->state == ENTRY_QUEUED && (!job || e->used < job->used))
			job = e;
	}
	return job;
}

static int make_version(struct pd_served *s, int fd, unsigned version,
			uint8_t **ci, size_t *len)
{
	struct pd_ci *made;
	long n;
	int err;

	err = pd_gen_fd(fd, &s->opts[version - 1], NULL, NULL, &made);
	if (err)
		return err;
	*len = pd_ci_encoded_size(made);
	*ci = malloc(*len ? *len : 1);
	n = *ci ? pd_ci_encode(made, *ci, *len) : -PD_CI_E_NOMEM;
	pd_ci_free(made);
	if (n < 0) {
		free(*ci);
		*ci = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int unchanged(int fd, const struct stat *was)
{
	struct stat now;

	return !fstat(fd, &now) && now.st_size == was->st_size &&
	       now.st_mtim.tv_sec == was->st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == was->st_mtim.tv_nsec;
}

/* Runs one job with the lock dropped; the entry stays MAKING meanwhile. */
static void run_job(struct pd_served *s, struct entry *e)
{
	unsigned v[2] = { e->first, 3 - e->first }, i;
	uint8_t *ci[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	int fd = e->fd, err = 0;
	char *key = strdup(e->key);
	struct stat st = e->st;

	e->fd = -1;
	e->state = ENTRY_MAKING;
	for (i = 0; i < 2 && !err && key; i++) {
		pthread_mutex_unlock(&s->lock);
		err = make_version(s, fd, v[i], &ci[v[i] - 1], &len[v[i] - 1]);
		if (!err && !unchanged(fd, &st))
			err = -ESTALE;
		pthread_mutex_lock(&s->lock);
		if (!err) {
			e->ci[v[i] - 1] = ci[v[i] - 1];
			e->len[v[i] - 1] = len[v[i] - 1];
		}
	}
	if (err || !key) {
		entry_clear(e);
	} else {
		e->state = ENTRY_DONE;
		pthread_mutex_unlock(&s->lock);
		/* another process may have published it first: that one is as good */
		s->store->ops->publish(s->store, geteuid(), key, strlen(key),
				       ci[0], len[0], ci[1], len[1]);
		pthread_mutex_lock(&s->lock);
	}
	free(key);
	close(fd);
}

static void *worker(void *arg)
{
	struct pd_served *s = arg;
	struct entry *job;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		job = next_job(s);
		if (!job) {
			s->busy = 0;
			pthread_cond_broadcast(&s->idle);
			pthread_cond_wait(&s->wake, &s->lock);
			continue;
		}
		s->busy = 1;
		run_job(s, job);
	}
	s->busy = 0;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int pd_served_open(const struct pd_served_opts *opts, struct pd_served **out)
{
	struct pd_served *s = calloc(1, sizeof(*s));
	struct pd_secret loaded;
	const struct pd_secret *secret = opts->secret;
	unsigned i;
	int err;

	if (!s)
		return -ENOMEM;
	if (!secret) {
		err = pd_secret_load(pd_secret_default_path(), 1, &loaded);
		if (err)
			goto free_s;
		secret = &loaded;
	}
	s->opts[0] = (struct pd_gen_opts){ .version = 1, .hash_alg = PD_HASH_SHA256,
					   .threads = opts->threads };
	s->opts[1] = (struct pd_gen_opts){ .version = 2, .threads = opts->threads };
	for (i = 0; i < 2; i++)
		pd_key_ks(i + 1, secret->bytes, secret->len, s->opts[i].ks);
	memset(&loaded, 0, sizeof(loaded));
	err = opts->cache_dir ? pd_store_user_open(opts->cache_dir, &s->store) :
				pd_store_open(&s->store);
	if (err)
		goto free_s;
	for (i = 0; i < MEMORY_MAX; i++)
		s->entries[i].fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->idle, NULL);
	*out = s;
	return 0;
free_s:
	memset(s->opts, 0, sizeof(s->opts));
	free(s);
	return err;
}

void pd_served_close(struct pd_served *s)
{
	unsigned i;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	if (s->started)
		pthread_join(s->thread, NULL);
	for (i = 0; i < MEMORY_MAX; i++)
		entry_clear(&s->entries[i]);
	s->store->ops->close(s->store);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->idle);
	memset(s->opts, 0, sizeof(s->opts));
	free(s);
}

size_t pd_served_file_key(const char *path, const struct stat *st, char *key,
			  size_t cap)
{
	int n = snprintf(key, cap, "pccrtp-file:%llx:%llx:%lld:%lld.%09ld:%s",
			 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
			 (long long)st->st_size, (long long)st->st_mtim.tv_sec,
			 st->st_mtim.tv_nsec, path);

	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static int copy_out(const uint8_t *src, size_t n, uint8_t **ci, size_t *len)
{
	*ci = malloc(n ? n : 1);
	if (!*ci)
		return -ENOMEM;
	memcpy(*ci, src, n);
	*len = n;
	return 0;
}

int pd_served_lookup(struct pd_served *s, const char *key, unsigned version,
		     uint8_t **ci, size_t *len)
{
	struct entry *e;
	int err;

	if (version != 1 && version != 2)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	e = find(s, key);
	if (e) {
		e->used = ++s->clock;
		err = e->ci[version - 1] ? copy_out(e->ci[version - 1], e->len[version - 1],
						    ci, len) : -EINPROGRESS;
		pthread_mutex_unlock(&s->lock);
		return err;
	}
	pthread_mutex_unlock(&s->lock);
	/* one read of the publication another process made */
	err = s->store->ops->lookup(s->store, geteuid(), key, strlen(key), version, ci, len);
	return err ? -ENOENT : 0;
}

/* The worker takes no signals: they stay with the server's own threads
 * (an event loop waits for them). */
static int start_worker(struct pd_served *s)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, worker, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

int pd_served_start(struct pd_served *s, const char *key, int fd, unsigned version)
{
	struct entry *e;
	int err = 0;

	if (version != 1 && version != 2)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (find(s, key)) {
		err = -EALREADY;
		goto unlock;
	}
	if (queued(s) >= QUEUE_MAX || !(e = take_slot(s))) {
		err = -EBUSY;
		goto unlock;
	}
	e->key = strdup(key);
	e->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (!e->key || e->fd < 0 || fstat(e->fd, &e->st)) {
		err = e->key ? -errno : -ENOMEM;
		entry_clear(e);
		goto unlock;
	}
	e->first = version;
	e->used = ++s->clock;
	e->state = ENTRY_QUEUED;
	if (!s->started) {
		err = start_worker(s);
		if (err) {
			entry_clear(e);
			goto unlock;
		}
		s->started = 1;
	}
	s->busy = 1;
	pthread_cond_signal(&s->wake);
unlock:
	pthread_mutex_unlock(&s->lock);
	return err;
}

void pd_served_drain(struct pd_served *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->busy)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
}
