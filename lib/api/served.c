// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Content information of served entities (see served.h). One background
 * thread takes jobs in order; each makes the requested version first (it
 * is answered from memory as soon as it is ready), then the other, then
 * publishes both. An entity that changed while it was hashed (size or
 * mtime of its descriptor moved) is thrown away: its key is stale.
 *
 * When peerdist.ko is loaded (and PEERDIST_BACKEND is not "user"), a
 * regular file is hashed by the module's offload from the page cache, with
 * nothing copied to user space but the result; its result is used only if
 * every segment's Kp is the one this server's secret gives (the module may
 * hold another secret, or none), else the file is hashed here, the same
 * bytes either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
	struct pd_store *offload;	/* a peerdist.ko session for hash-file, or NULL */
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

/* Whether ci (version, algorithm, every segment's Kp) is what opts make. */
static bool made_with(const struct pd_gen_opts *opts, const uint8_t *buf, size_t len)
{
	unsigned alg = opts->version == 1 ? opts->hash_alg : PD_HASH_V2_SHA512_TRUNC;
	uint8_t kp[PD_HASH_MAX];
	struct pd_ci *ci;
	bool ok;
	uint32_t i;

	if (pd_ci_parse(buf, len, &ci, NULL))
		return false;
	ok = ci->version == opts->version && ci->hash_alg == alg;
	for (i = 0; ok && i < ci->nsegments; i++)
		ok = !pd_key_kp(alg, opts->ks, ci->segments[i].hod, kp) &&
		     !memcmp(kp, ci->segments[i].kp, ci->hash_len);
	pd_ci_free(ci);
	return ok;
}

/*
 * The module's content information of fd: 0, or -errno to hash in user
 * space (no module, not a regular file, no secret there yet). A module
 * holding another secret is not asked again. Only the worker thread calls
 * this (and so uses s->offload) while the server is open.
 */
static int offload_version(struct pd_served *s, int fd, unsigned version,
			   uint8_t **ci, size_t *len)
{
	int err;

	if (!s->offload)
		return -ENODEV;
	err = pd_store_kernel_hash_file(s->offload, fd, version, NULL, NULL, ci, len);
	if (err)
		return err;
	if (made_with(&s->opts[version - 1], *ci, *len))
		return 0;
	free(*ci);
	*ci = NULL;
	s->offload->ops->close(s->offload);
	s->offload = NULL;
	return -EKEYREJECTED;
}

static int make_version(struct pd_served *s, int fd, unsigned version,
			uint8_t **ci, size_t *len)
{
	struct pd_ci *made;
	long n;
	int err;

	if (!offload_version(s, fd, version, ci, len))
		return 0;
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

/*
 * Publishes what is made so far (a version not made yet is empty, which
 * lookup reads as "in progress"), so other processes answer with it too;
 * replace drops this process's earlier, partial publication first.
 */
static void publish(struct pd_served *s, const char *key, uint8_t *const ci[2],
		    const size_t len[2], bool replace)
{
	static const uint8_t none[1];

	if (replace)
		s->store->ops->unpublish(s->store, geteuid(), key, strlen(key));
	/* another process may have published it first: that one is as good */
	s->store->ops->publish(s->store, geteuid(), key, strlen(key),
			       ci[0] ? ci[0] : none, len[0], ci[1] ? ci[1] : none, len[1]);
}

/*
 * Runs one job with the lock dropped. The entry stays MAKING (never
 * evicted) until both versions are made and published, so the pieces it
 * holds can be published without the lock.
 */
static void run_job(struct pd_served *s, struct entry *e)
{
	unsigned v[2] = { e->first, 3 - e->first }, i;
	int fd = e->fd, err = e->key ? 0 : -ENOMEM;
	struct stat st = e->st;
	uint8_t *ci;
	size_t len;

	e->fd = -1;
	e->state = ENTRY_MAKING;
	for (i = 0; i < 2 && !err; i++) {
		pthread_mutex_unlock(&s->lock);
		err = make_version(s, fd, v[i], &ci, &len);
		if (!err && !unchanged(fd, &st)) {
			free(ci);
			err = -ESTALE;
		}
		pthread_mutex_lock(&s->lock);
		if (err)
			break;
		e->ci[v[i] - 1] = ci;
		e->len[v[i] - 1] = len;
		pthread_mutex_unlock(&s->lock);
		publish(s, e->key, e->ci, e->len, i == 1);
		/* made once: a restarted server finds it (not hashed again) */
		if (i == 1 && s->store->ops->keep)
			s->store->ops->keep(s->store, geteuid(), e->key, strlen(e->key));
		pthread_mutex_lock(&s->lock);
	}
	if (err)
		entry_clear(e);
	else
		e->state = ENTRY_DONE;
	close(fd);		/* and with it the lock other processes see */
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

/* PEERDIST_BACKEND=user keeps the module out of it, hashing too. */
static bool offload_allowed(void)
{
	const char *backend = getenv("PEERDIST_BACKEND");

	return !backend || strcmp(backend, "user");
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
	if (offload_allowed() && pd_store_kernel_open(NULL, &s->offload))
		s->offload = NULL;	/* no module: hashing stays here */
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
	if (s->offload)
		s->offload->ops->close(s->offload);
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
	if (err)
		return -ENOENT;
	if (!*len) {		/* that version is still being made there */
		free(*ci);
		return -EINPROGRESS;
	}
	return 0;
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
	/* Another process (an nginx worker) hashing the same file holds this
	 * lock until it has published: nobody hashes a file twice at once. */
	if (flock(e->fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EINPROGRESS : -errno;
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
