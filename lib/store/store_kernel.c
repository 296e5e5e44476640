// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The store over peerdist.ko: segments are described to the module over
 * generic netlink (it verifies them), and opened as file descriptors that
 * read the cached bytes (pread), add verified blocks (pwrite of a whole
 * block) and tell present from absent blocks (SEEK_DATA). A few segments
 * stay open, least recently used closed first. Waiting readers poll a
 * netlink socket in the module's "events" group, which hears of every
 * block added by any process; an unprivileged process, which may not join
 * it, polls the content fds it opened instead (each is readable once the
 * block its last read missed has arrived), with a slow timer as the
 * fallback. Publications and tags are the cache directory's records
 * (store_meta.c), as with the user backend.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <linux/peerdist.h>

#include "clock.h"
#include "open_cache.h"
#include "pccrr.h"
#include "store.h"
#include "store_meta.h"

#define OPEN_SEGMENTS	16

#define REFRESH_MS	1000	/* a miss this long after opening opens again */

#define KNOWN_SEGMENTS	256	/* secrets kept to open segments with */

/*
 * Without the events group: re-check this often all the same. A content
 * fd tells of the block its last read missed only, so a read that missed
 * before another read of the same content waits for this tick.
 */
#define FALLBACK_WAKE_MS	1000

/*
 * encrypt-block requests at once, each over a socket of its own: the
 * module encrypts them on their callers' CPUs, so peerdistd's serving
 * loops (one per core) must not queue behind one request socket.
 */
#define CRYPT_SOCKETS	8

struct open_segment {
	struct pd_open_slot slot;	/* first: the open cache's */
	int fd;
	int64_t opened_ms;
	struct pd_segment_desc d;	/* block_hashes NULL */
};

/*
 * What proves a segment id to the module (open-segment takes HoD and Kp,
 * not the public id alone): the secrets of segments this process added or
 * opened a content of. Only a CAP_NET_ADMIN service opens others by id.
 */
struct known_segment {
	unsigned len;			/* 0: slot free */
	uint8_t id[PD_HASH_MAX], hod[PD_HASH_MAX], kp[PD_HASH_MAX];
};

/* A request socket of encrypt-block's, connected at its first use. */
struct crypt_socket {
	pthread_mutex_t lock;		/* one request at a time */
	struct nl_sock *nl;
};

struct kernel_store {
	struct pd_store base;
	pthread_mutex_t lock;		/* the request socket and the slots */
	struct nl_sock *nl;
	int family;
	struct crypt_socket crypt[CRYPT_SOCKETS];
	struct nl_sock *events;		/* the events group: wait_fd */
	int content_ep;			/* or, unprivileged, an epoll: wait_fd */
	int tick_fd;			/* in content_ep: the fallback timer */
	struct pd_store_meta *meta;	/* publications and tags, or NULL */
	struct open_segment open[OPEN_SEGMENTS];
	struct pd_open_cache opened;	/* over open[] */
	struct known_segment known[KNOWN_SEGMENTS];
	unsigned known_next;		/* the slot the next one takes */
};

static struct kernel_store *to_kernel(struct pd_store *s)
{
	return (struct kernel_store *)s;
}

/* ---- one request, its reply (parsed by fn) and its ACK or error ---- */

struct exchange {
	int (*fn)(struct nlattr **a, void *arg);
	int (*raw)(struct nl_msg *m, void *arg);	/* or the reply unparsed */
	void *arg;
	int err, done;
};

static int on_valid(struct nl_msg *m, void *arg)
{
	struct exchange *x = arg;
	struct nlattr *a[PEERDIST_A_MAX + 1];

	if (x->raw)
		x->err = x->raw(m, x->arg);
	else if (genlmsg_parse(nlmsg_hdr(m), 0, a, PEERDIST_A_MAX, NULL))
		x->err = -EPROTO;
	else if (x->fn)
		x->err = x->fn(a, x->arg);
	return NL_OK;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct exchange *x = arg;

	x->err = e->error;
	x->done = 1;
	return NL_STOP;
}

static int on_ack(struct nl_msg *m, void *arg)
{
	((struct exchange *)arg)->done = 1;
	return NL_STOP;
}

/*
 * Lock contract: nl's lock held (k->lock for k->nl). Sends m (consumed)
 * over nl, the reply to x; 0 or -errno.
 */
static int exchange_on(struct nl_sock *nl, struct nl_msg *m, struct exchange *x)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err = -ENOMEM;

	if (!cb)
		goto free_msg;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, x);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, x);
	err = nl_send_auto(nl, m) < 0 ? -EIO : 0;
	/* The module's error stops nl_recvmsgs with libnl's code: x->err is it. */
	while (!err && !x->done)
		err = nl_recvmsgs(nl, cb) < 0 && !x->done ? -EIO : 0;
	nl_cb_put(cb);
	if (!err)
		err = x->err;
free_msg:
	nlmsg_free(m);
	return err;
}

/* Lock contract: k->lock held. exchange_on() over the request socket. */
static int exchange(struct kernel_store *k, struct nl_msg *m, struct exchange *x)
{
	return exchange_on(k->nl, m, x);
}

/*
 * A connected generic netlink socket whose replies may pass 64 KiB
 * (encrypt-block's: a V1 block, 128 KiB for V2), read whole with room left
 * for the ACK behind them (libnl's default 32 KiB buffer would drop it,
 * ENOBUFS); NULL if it cannot be had.
 */
static struct nl_sock *request_socket(void)
{
	struct nl_sock *nl = nl_socket_alloc();

	if (nl && !genl_connect(nl)) {
		nl_socket_enable_msg_peek(nl);
		if (!nl_socket_set_buffer_size(nl, 1 << 20, 0))
			return nl;
	}
	nl_socket_free(nl);
	return NULL;
}

/* Lock contract: k->lock held. Sends m (consumed), the reply parsed to fn. */
static int request(struct kernel_store *k, struct nl_msg *m,
		   int (*fn)(struct nlattr **, void *), void *arg)
{
	return exchange(k, m, &(struct exchange){ .fn = fn, .arg = arg });
}

/*
 * Lock contract: k->lock held. As request(), unless building m failed (m
 * NULL, or put_failed: an attribute did not fit): then -ENOMEM.
 */
static int send_built(struct kernel_store *k, struct nl_msg *m, int put_failed,
		      int (*fn)(struct nlattr **, void *), void *arg)
{
	if (!m || put_failed) {
		nlmsg_free(m);
		return -ENOMEM;
	}
	return request(k, m, fn, arg);
}

static struct nl_msg *new_request(struct kernel_store *k, int cmd, size_t size)
{
	struct nl_msg *m = nlmsg_alloc_size(size);

	if (m && !genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, k->family, 0,
			      NLM_F_ACK, cmd, PEERDIST_FAMILY_VERSION)) {
		nlmsg_free(m);
		m = NULL;
	}
	return m;
}

/* ---- segments ---- */

/* Lock contract: k->lock held. The secrets of id, or NULL. */
static struct known_segment *known(struct kernel_store *k, const uint8_t *id,
				   unsigned len)
{
	unsigned i;

	for (i = 0; i < KNOWN_SEGMENTS; i++)
		if (k->known[i].len == len && !memcmp(k->known[i].id, id, len))
			return &k->known[i];
	return NULL;
}

/*
 * Lock contract: k->lock held. Remembers a segment's secrets; a slot that
 * opened it by id without them closes, to open again with them.
 */
static void know(struct kernel_store *k, const uint8_t *id, const uint8_t *hod,
		 const uint8_t *kp, unsigned len)
{
	struct known_segment *n = known(k, id, len);
	struct open_segment *o = (struct open_segment *)pd_open_cache_find(&k->opened, id, len);

	if (o && o->d.no_kp)
		pd_open_cache_close(&k->opened, &o->slot);

	if (!n) {
		n = &k->known[k->known_next];
		k->known_next = (k->known_next + 1) % KNOWN_SEGMENTS;
	}
	n->len = len;
	memcpy(n->id, id, len);
	memcpy(n->hod, hod, len);
	memcpy(n->kp, kp, len);
}

static int kernel_add_segment(struct pd_store *s, const struct pd_segment_desc *d)
{
	struct kernel_store *k = to_kernel(s);
	size_t hashes = d->hash_alg == PD_HASH_V2_SHA512_TRUNC ? d->hash_len :
			(size_t)d->nblocks * d->hash_len;
	struct nl_msg *m;
	int err;

	err = pd_segment_desc_verify(d);	/* the module checks again */
	if (err)
		return err;
	pthread_mutex_lock(&k->lock);
	m = new_request(k, PEERDIST_CMD_ADD_SEGMENT, hashes + 1024);
	err = send_built(k, m, !m || nla_put_u32(m, PEERDIST_A_HASH_ALG, d->hash_alg) ||
			 nla_put(m, PEERDIST_A_SEGMENT_ID, d->hash_len, d->id) ||
			 nla_put(m, PEERDIST_A_HOD, d->hash_len, d->hod) ||
			 nla_put(m, PEERDIST_A_KP, d->hash_len, d->kp) ||
			 nla_put_u32(m, PEERDIST_A_SEGMENT_SIZE, d->size) ||
			 nla_put_u32(m, PEERDIST_A_BLOCK_SIZE, d->block_size) ||
			 nla_put(m, PEERDIST_A_BLOCK_HASHES, hashes, d->block_hashes),
			 NULL, NULL);
	if (!err)
		know(k, d->id, d->hod, d->kp, d->hash_len);
	pthread_mutex_unlock(&k->lock);
	return err;
}

/*
 * The reply to open-segment: sizes and the block map, never HoD or Kp
 * (o->d holds those the request proved the id with, or none: no_kp).
 */
static int parse_open(struct nlattr **a, void *arg)
{
	struct open_segment *o = arg;
	struct pd_segment_desc *d = &o->d;

	if (!a[PEERDIST_A_FD] || !a[PEERDIST_A_HASH_ALG] ||
	    !a[PEERDIST_A_SEGMENT_SIZE] || !a[PEERDIST_A_BLOCK_SIZE])
		return -EPROTO;
	o->fd = nla_get_u32(a[PEERDIST_A_FD]);
	d->hash_alg = nla_get_u32(a[PEERDIST_A_HASH_ALG]);
	d->size = nla_get_u32(a[PEERDIST_A_SEGMENT_SIZE]);
	d->block_size = nla_get_u32(a[PEERDIST_A_BLOCK_SIZE]);
	if (!d->block_size)
		return -EPROTO;
	d->nblocks = (d->size + d->block_size - 1) / d->block_size;
	return 0;
}

static void close_slot(struct pd_open_slot *slot)
{
	close(((struct open_segment *)slot)->fd);
}

/*
 * Lock contract: k->lock held. The open segment with this id; opened anew
 * when fresh is set and the fd is not recent: an fd sees blocks added to
 * its segment at once, but if the module evicted the segment and it was
 * added again, new blocks go to the new one.
 */
static struct open_segment *get_open(struct kernel_store *k, const uint8_t *id,
				     unsigned idlen, int fresh, int *err)
{
	struct open_segment *o, tmp = { .fd = -1 };
	const struct known_segment *kn;
	struct nl_msg *m;

	o = (struct open_segment *)pd_open_cache_find(&k->opened, id, idlen);
	if (o && (!fresh || pd_now_ms_coarse() - o->opened_ms < REFRESH_MS))
		return o;
	kn = known(k, id, idlen);
	tmp.d.hash_len = idlen;
	tmp.d.no_kp = !kn;	/* a service's open by id: the module encrypts */
	if (kn) {
		memcpy(tmp.d.hod, kn->hod, idlen);
		memcpy(tmp.d.kp, kn->kp, idlen);
	}
	m = new_request(k, PEERDIST_CMD_OPEN_SEGMENT, 512);
	*err = send_built(k, m, !m || nla_put(m, PEERDIST_A_SEGMENT_ID, idlen, id) ||
			  (kn && (nla_put(m, PEERDIST_A_HOD, idlen, kn->hod) ||
				  nla_put(m, PEERDIST_A_KP, idlen, kn->kp))),
			  parse_open, &tmp);
	if (*err) {
		if (tmp.fd >= 0)
			close(tmp.fd);
		return NULL;
	}
	if (o)
		pd_open_cache_close(&k->opened, &o->slot);
	o = (struct open_segment *)pd_open_cache_take(&k->opened);
	*o = tmp;
	memcpy(o->d.id, id, idlen);
	o->opened_ms = pd_now_ms_coarse();
	pd_open_cache_insert(&k->opened, &o->slot, id, idlen);
	return o;
}

/* Lock contract: k->lock held. 1 present, 0 absent. */
static int present(const struct open_segment *o, uint32_t index)
{
	off_t at = (off_t)index * o->d.block_size;

	return index < o->d.nblocks && lseek(o->fd, at, SEEK_DATA) == at;
}

/* Lock contract: k->lock held. The open segment, opened again (if not
 * recently) when it lacks block index, so that a miss is the module's. */
static struct open_segment *open_for_block(struct kernel_store *k, const uint8_t *id,
					   unsigned idlen, uint32_t index, int *err)
{
	struct open_segment *o = get_open(k, id, idlen, 0, err);

	if (o && index < o->d.nblocks && !present(o, index))
		o = get_open(k, id, idlen, 1, err);
	return o;
}

static int kernel_has_block(struct pd_store *s, const uint8_t *id,
			    unsigned idlen, uint32_t index)
{
	struct kernel_store *k = to_kernel(s);
	struct open_segment *o;
	int err = 0, got;

	pthread_mutex_lock(&k->lock);
	o = open_for_block(k, id, idlen, index, &err);
	got = o && present(o, index);
	pthread_mutex_unlock(&k->lock);
	return err && err != -ENOENT ? err : got;
}

static int kernel_locate_block(struct pd_store *s, const uint8_t *id,
			       unsigned idlen, uint32_t index,
			       struct pd_block_loc *loc)
{
	struct kernel_store *k = to_kernel(s);
	struct open_segment *o;
	int err = 0;

	pthread_mutex_lock(&k->lock);
	o = open_for_block(k, id, idlen, index, &err);
	if (o)
		err = pd_segment_locate(&o->d, o->fd, index, present(o, index), loc);
	pthread_mutex_unlock(&k->lock);
	return err;
}

static int kernel_put_blocks(struct pd_store *s, const uint8_t *id,
			     unsigned idlen, uint32_t first, uint32_t n,
			     const void *data, size_t len)
{
	struct kernel_store *k = to_kernel(s);
	const uint8_t *p = data;
	struct open_segment *o;
	uint32_t b, blen;
	int err = 0;

	pthread_mutex_lock(&k->lock);
	o = get_open(k, id, idlen, 0, &err);
	for (b = first; o && !err && b < first + n; b++) {
		if (b >= o->d.nblocks) {
			err = -EINVAL;
			break;
		}
		blen = pd_segment_block_len(&o->d, b);
		if ((size_t)(p - (const uint8_t *)data) + blen > len) {
			err = -EINVAL;
			break;
		}
		if (pwrite(o->fd, p, blen, (off_t)b * o->d.block_size) != (ssize_t)blen)
			err = -errno;
		p += blen;
	}
	pthread_mutex_unlock(&k->lock);
	return err;
}

/* Where encrypt-block's ciphertext pieces go, joined in order. */
struct ciphertext {
	uint8_t *out;
	size_t room, len;
};

/* The pieces repeat one type, which a parse keeps the last of: each read. */
static int parse_ciphertext(struct nl_msg *m, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(m));
	struct ciphertext *c = arg;
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (nla_type(a) != PEERDIST_A_CIPHERTEXT)
			continue;
		if ((size_t)nla_len(a) > c->room - c->len)
			return -EMSGSIZE;
		memcpy(c->out + c->len, nla_data(a), nla_len(a));
		c->len += nla_len(a);
	}
	return 0;
}

/*
 * An encrypt-block socket, locked: the first free one, else (all busy)
 * one to wait for, chosen by the caller's thread id (ids of threads made
 * in turn are consecutive, so waiters spread over the sockets; a
 * pthread_t is an address a thread stack apart, alike in its low bits).
 */
static struct crypt_socket *crypt_socket_take(struct kernel_store *k)
{
	struct crypt_socket *cs;
	unsigned i;

	for (i = 0; i < CRYPT_SOCKETS; i++)
		if (!pthread_mutex_trylock(&k->crypt[i].lock))
			return &k->crypt[i];
	cs = &k->crypt[(unsigned)gettid() % CRYPT_SOCKETS];
	pthread_mutex_lock(&cs->lock);
	return cs;
}

/*
 * The module encrypts: this process never holds Kp of a segment it
 * opened by id (CAP_NET_ADMIN; EPERM otherwise).
 */
static long kernel_encrypt_block(struct pd_store *s, const uint8_t *id, unsigned idlen,
				 uint32_t index, unsigned crypto,
				 const uint8_t iv[16], uint8_t *out, size_t room)
{
	struct kernel_store *k = to_kernel(s);
	struct ciphertext c = { out, room, 0 };
	struct crypt_socket *cs;
	struct nl_msg *m;
	int err = -ENOMEM;

	if (crypto < PD_CRYPTO_AES_128 || crypto > PD_CRYPTO_AES_256)
		return -EINVAL;
	cs = crypt_socket_take(k);
	if (!cs->nl)
		cs->nl = request_socket();
	m = cs->nl ? new_request(k, PEERDIST_CMD_ENCRYPT_BLOCK, 512) : NULL;
	if (!m || nla_put(m, PEERDIST_A_SEGMENT_ID, idlen, id) ||
	    nla_put_u32(m, PEERDIST_A_BLOCK_INDEX, index) || nla_put(m, PEERDIST_A_IV, 16, iv) ||
	    nla_put_u32(m, PEERDIST_A_CRYPTO_ALGO, crypto))
		nlmsg_free(m);
	else
		err = exchange_on(cs->nl, m, &(struct exchange){ .raw = parse_ciphertext,
								 .arg = &c });
	pthread_mutex_unlock(&cs->lock);
	if (err == -ENODATA)
		err = -ENOENT;	/* the block is absent */
	return err ? err : c.len ? (long)c.len : -EPROTO;
}

/* ---- contents ---- */

#define CONTENT_BATCH	500	/* segments a request (the module takes 1000) */

static int parse_fd(struct nlattr **a, void *arg)
{
	if (!a[PEERDIST_A_FD])
		return -EPROTO;
	*(int *)arg = nla_get_u32(a[PEERDIST_A_FD]);
	return 0;
}

/* Lock contract: k->lock held. Opens (fd < 0) or extends a content fd. */
static int content_batch(struct kernel_store *k, const struct pd_ci *ci,
			 const uint8_t (*ids)[PD_HASH_MAX], uint32_t first,
			 uint32_t n, int fd)
{
	size_t table = (size_t)n * ci->hash_len;	/* ids, HoDs, Kps: one each */
	uint8_t *idbuf = malloc(3 * table + (size_t)n * sizeof(uint32_t)), *hods, *kps;
	const struct pd_ci_segment *seg;
	uint32_t *sizes, i;
	struct nl_msg *m;
	int got = -1, err;

	if (!idbuf)
		return -ENOMEM;
	hods = idbuf + table;
	kps = hods + table;
	sizes = (uint32_t *)(kps + table);
	for (i = 0; i < n; i++) {
		seg = &ci->segments[first + i];
		memcpy(idbuf + (size_t)i * ci->hash_len, ids[first + i], ci->hash_len);
		memcpy(hods + (size_t)i * ci->hash_len, seg->hod, ci->hash_len);
		memcpy(kps + (size_t)i * ci->hash_len, seg->kp, ci->hash_len);
		sizes[i] = seg->size;
	}
	m = new_request(k, PEERDIST_CMD_OPEN_CONTENT,
			3 * table + (size_t)n * sizeof(uint32_t) + 1024);
	err = send_built(k, m, !m || (fd >= 0 && nla_put_u32(m, PEERDIST_A_FD, fd)) ||
			 nla_put_u32(m, PEERDIST_A_HASH_ALG, ci->hash_alg) ||
			 nla_put(m, PEERDIST_A_SEGMENT_IDS, table, idbuf) ||
			 nla_put(m, PEERDIST_A_SEGMENT_HODS, table, hods) ||
			 nla_put(m, PEERDIST_A_SEGMENT_KPS, table, kps) ||
			 nla_put(m, PEERDIST_A_SEGMENT_SIZES, n * sizeof(uint32_t), sizes) ||
			 nla_put_u64(m, PEERDIST_A_CONTENT_OFFSET, ci->segments[first].offset),
			 parse_fd, &got);
	for (i = 0; !err && i < n; i++)	/* its segments open with these */
		know(k, ids[first + i], ci->segments[first + i].hod,
		     ci->segments[first + i].kp, ci->hash_len);
	free(idbuf);
	return err ? err : got;
}

/*
 * Without the events group, waits watch the content fds: edge-triggered,
 * so that a content fd that is readable (no read of it missed yet, or the
 * block it missed is there) tells once per wake-up of the module's block
 * queue, not for as long as it stays so. Closing the fd ends the watch.
 */
static int watch_content(struct kernel_store *k, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = fd };

	if (k->content_ep < 0)
		return 0;
	return epoll_ctl(k->content_ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int kernel_open_content(struct pd_store *s, const struct pd_ci *ci,
			       const uint8_t (*ids)[PD_HASH_MAX])
{
	struct kernel_store *k = to_kernel(s);
	uint32_t i, n;
	int fd = -1, got = 0;

	for (i = 1; i < ci->nsegments; i++)	/* the module wants them end to end */
		if (ci->segments[i].offset != ci->segments[i - 1].offset +
					       ci->segments[i - 1].size)
			return -EINVAL;
	pthread_mutex_lock(&k->lock);
	for (i = 0; i < ci->nsegments && got >= 0; i += n) {
		n = ci->nsegments - i < CONTENT_BATCH ? ci->nsegments - i : CONTENT_BATCH;
		got = content_batch(k, ci, ids, i, n, fd);
		if (got >= 0)
			fd = got;
	}
	pthread_mutex_unlock(&k->lock);
	if (got >= 0)
		got = watch_content(k, fd);
	if (got < 0 && fd >= 0)
		close(fd);
	return got < 0 ? got : fd;
}

static int kernel_get_segment(struct pd_store *s, const uint8_t *id,
			      unsigned idlen, struct pd_segment_desc *d)
{
	struct kernel_store *k = to_kernel(s);
	struct open_segment *o;
	int err = 0;

	pthread_mutex_lock(&k->lock);
	o = get_open(k, id, idlen, 0, &err);
	if (o)
		*d = o->d;
	pthread_mutex_unlock(&k->lock);
	return err;
}

/* ---- publications and tags: the cache directory's records ---- */

static int kernel_publish(struct pd_store *s, uid_t uid, const void *ident,
			  size_t identlen, const uint8_t *ci_v1, size_t len_v1,
			  const uint8_t *ci_v2, size_t len_v2)
{
	struct pd_store_meta *meta = to_kernel(s)->meta;

	if (!meta)
		return -EOPNOTSUPP;	/* a server session: no cache directory */
	return pd_store_meta_publish(meta, uid, ident, identlen, ci_v1, len_v1,
				     ci_v2, len_v2);
}

static int kernel_lookup(struct pd_store *s, uid_t uid, const void *ident,
			 size_t identlen, unsigned version, uint8_t **ci, size_t *len)
{
	struct pd_store_meta *meta = to_kernel(s)->meta;

	if (!meta)
		return -EOPNOTSUPP;	/* a server session: no cache directory */
	return pd_store_meta_lookup(meta, uid, ident, identlen, version, ci, len);
}

static int kernel_unpublish(struct pd_store *s, uid_t uid, const void *ident,
			    size_t identlen)
{
	struct pd_store_meta *meta = to_kernel(s)->meta;

	if (!meta)
		return -EOPNOTSUPP;	/* a server session: no cache directory */
	return pd_store_meta_unpublish(meta, uid, ident, identlen);
}

static int kernel_keep(struct pd_store *s, uid_t uid, const void *ident,
		       size_t identlen)
{
	struct pd_store_meta *meta = to_kernel(s)->meta;

	if (!meta)
		return -EOPNOTSUPP;	/* a server session: no cache directory */
	return pd_store_meta_keep(meta, uid, ident, identlen);
}

static int kernel_list_kept(struct pd_store *s, uid_t uid,
			    int (*fn)(const void *ident, size_t identlen, void *arg),
			    void *arg)
{
	struct pd_store_meta *meta = to_kernel(s)->meta;

	if (!meta)
		return -EOPNOTSUPP;	/* a server session: no cache directory */
	return pd_store_meta_list_kept(meta, uid, fn, arg);
}

static int kernel_tag_segment(struct pd_store *s, const uint8_t tag[16],
			      const uint8_t *id, unsigned idlen)
{
	struct pd_store_meta *meta = to_kernel(s)->meta;

	if (!meta)
		return -EOPNOTSUPP;	/* a server session: no cache directory */
	return pd_store_meta_tag_segment(meta, tag, id, idlen);
}

/* Lock contract: k->lock held. Evicts one segment in the module. */
static void flush_segment(const uint8_t *id, unsigned len, void *arg)
{
	struct kernel_store *k = arg;
	struct nl_msg *m = new_request(k, PEERDIST_CMD_FLUSH_SEGMENT, 256);

	pd_open_cache_forget(&k->opened, id, len);
	/* ENOENT: already gone */
	send_built(k, m, !m || nla_put(m, PEERDIST_A_SEGMENT_ID, len, id), NULL, NULL);
}

/* The tag's segments (as the cache directory records them) leave the
 * module's cache, then the tag's record goes. */
static int kernel_flush_tag(struct pd_store *s, const uint8_t tag[16])
{
	struct kernel_store *k = to_kernel(s);
	int err;

	if (!k->meta)
		return -EOPNOTSUPP;	/* a server session: no cache directory */
	pthread_mutex_lock(&k->lock);
	err = pd_store_meta_flush_tag(k->meta, tag, flush_segment, k);
	pthread_mutex_unlock(&k->lock);
	return err;
}

/* ---- waiting, stats, limits ---- */

static int kernel_wait_fd(struct pd_store *s)
{
	struct kernel_store *k = to_kernel(s);

	return k->content_ep >= 0 ? k->content_ep : nl_socket_get_fd(k->events);
}

/* Unprivileged: a content fd that became readable, or a tick, is news. */
static int drain_contents(struct kernel_store *k)
{
	struct epoll_event ev[16];
	uint64_t ticks;
	int n, i, news = 0;

	do {
		n = epoll_wait(k->content_ep, ev, 16, 0);
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == k->tick_fd &&
			    read(k->tick_fd, &ticks, sizeof(ticks)) < 0)
				continue;	/* raced with another drain */
			news = PD_STORE_ADDED;
		}
	} while (n == 16);
	return news;
}

/*
 * The events group also tells of misses, which are not news here. Events
 * lost to a full socket (ENOBUFS) may have been adds: news.
 */
static int kernel_drain_wait(struct pd_store *s)
{
	struct kernel_store *k = to_kernel(s);
	char buf[4096];
	ssize_t n;
	int news = 0;

	if (k->content_ep >= 0)
		return drain_contents(k);
	while ((n = recv(nl_socket_get_fd(k->events), buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		if (n < 0 && errno == ENOBUFS) {
			news |= PD_STORE_ADDED | PD_STORE_STATUS;
			continue;
		}
		if (n < 0)
			break;
		if (n < (ssize_t)(NLMSG_HDRLEN + GENL_HDRLEN))
			continue;
		switch (((struct genlmsghdr *)(buf + NLMSG_HDRLEN))->cmd) {
		case PEERDIST_CMD_BLOCK_ADDED:
			news |= PD_STORE_ADDED;
			break;
		case PEERDIST_CMD_STATUS_CHANGED:
			news |= PD_STORE_STATUS;
			break;
		}
	}
	return news;
}

static int parse_stats(struct nlattr **a, void *arg)
{
	struct pd_store_stats *st = arg;
	static const struct { int attr; size_t off; } map[] = {
		{ PEERDIST_A_CACHED_BYTES, offsetof(struct pd_store_stats, bytes_cached) },
		{ PEERDIST_A_SEGMENTS, offsetof(struct pd_store_stats, segments) },
		{ PEERDIST_A_HITS, offsetof(struct pd_store_stats, hits) },
		{ PEERDIST_A_MISSES, offsetof(struct pd_store_stats, misses) },
		{ PEERDIST_A_EVICTIONS, offsetof(struct pd_store_stats, evictions) },
		{ PEERDIST_A_VERIFY_FAILURES, offsetof(struct pd_store_stats, verify_failures) },
		{ PEERDIST_A_CACHE_MAX_BYTES, offsetof(struct pd_store_stats, max_bytes) },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!a[map[i].attr])
			return -EPROTO;
		*(uint64_t *)((char *)st + map[i].off) = nla_get_u64(a[map[i].attr]);
	}
	st->disabled = a[PEERDIST_A_ENABLED] && !nla_get_u8(a[PEERDIST_A_ENABLED]);
	return 0;
}

static int kernel_stats(struct pd_store *s, struct pd_store_stats *st)
{
	struct kernel_store *k = to_kernel(s);
	struct nl_msg *m;
	int err = -ENOMEM;

	pthread_mutex_lock(&k->lock);
	m = new_request(k, PEERDIST_CMD_GET_STATUS, 256);
	if (m)
		err = request(k, m, parse_stats, st);
	pthread_mutex_unlock(&k->lock);
	return err;
}

/* The module's cap is the machine's: an administrator's (EPERM otherwise). */
static int kernel_set_max_bytes(struct pd_store *s, uint64_t max)
{
	struct kernel_store *k = to_kernel(s);
	struct nl_msg *m;
	int err = -ENOMEM;

	pthread_mutex_lock(&k->lock);
	m = new_request(k, PEERDIST_CMD_SET_LIMITS, 256);
	err = send_built(k, m, !m || nla_put_u64(m, PEERDIST_A_CACHE_MAX_BYTES, max),
			 NULL, NULL);
	pthread_mutex_unlock(&k->lock);
	return err;
}

/*
 * Every segment leaves the module's cache (Clear-BCCache); without
 * CAP_NET_ADMIN only those this user added. The open segments here close:
 * their fds would keep reading what was cleared.
 */
static int kernel_clear(struct pd_store *s)
{
	struct kernel_store *k = to_kernel(s);
	struct nl_msg *m;
	int err = -ENOMEM;

	pthread_mutex_lock(&k->lock);
	pd_open_cache_close_all(&k->opened);
	m = new_request(k, PEERDIST_CMD_CLEAR_CACHE, 256);
	if (m)
		err = request(k, m, NULL, NULL);
	pthread_mutex_unlock(&k->lock);
	return err;
}

static void kernel_close(struct pd_store *s)
{
	struct kernel_store *k = to_kernel(s);
	unsigned i;

	pd_open_cache_close_all(&k->opened);
	pd_counters_close(k->base.counters);
	pd_store_meta_close(k->meta);
	if (k->tick_fd >= 0)
		close(k->tick_fd);
	if (k->content_ep >= 0)
		close(k->content_ep);
	nl_socket_free(k->events);
	nl_socket_free(k->nl);
	for (i = 0; i < CRYPT_SOCKETS; i++) {
		nl_socket_free(k->crypt[i].nl);
		pthread_mutex_destroy(&k->crypt[i].lock);
	}
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static const struct pd_store_ops kernel_ops = {
	.name = "kernel",
	.add_segment = kernel_add_segment,
	.put_blocks = kernel_put_blocks,
	.has_block = kernel_has_block,
	.locate_block = kernel_locate_block,
	.get_segment = kernel_get_segment,
	.encrypt_block = kernel_encrypt_block,
	.publish = kernel_publish,
	.lookup = kernel_lookup,
	.unpublish = kernel_unpublish,
	.keep = kernel_keep,
	.list_kept = kernel_list_kept,
	.tag_segment = kernel_tag_segment,
	.flush_tag = kernel_flush_tag,
	.wait_fd = kernel_wait_fd,
	.open_content = kernel_open_content,
	.drain_wait = kernel_drain_wait,
	.stats = kernel_stats,
	.set_max_bytes = kernel_set_max_bytes,
	.clear = kernel_clear,
	.close = kernel_close,
};

/*
 * An unprivileged process hears no events: its waits poll its content fds
 * (watch_content) and, every FALLBACK_WAKE_MS, re-check all the same.
 */
static int watch_contents(struct kernel_store *k)
{
	struct epoll_event ev = { .events = EPOLLIN };

	k->content_ep = epoll_create1(EPOLL_CLOEXEC);
	if (k->content_ep < 0)
		return -errno;
	k->tick_fd = pd_tick_fd(FALLBACK_WAKE_MS);
	if (k->tick_fd < 0)
		return k->tick_fd;
	ev.data.fd = k->tick_fd;
	return epoll_ctl(k->content_ep, EPOLL_CTL_ADD, k->tick_fd, &ev) ? -errno : 0;
}

static int connect_events(struct kernel_store *k)
{
	int group;

	k->events = nl_socket_alloc();
	if (!k->events || genl_connect(k->events))
		return -ENOMEM;
	group = genl_ctrl_resolve_grp(k->nl, PEERDIST_FAMILY_NAME, PEERDIST_MCGRP_EVENTS);
	if (group < 0)
		return -EPROTO;
	if (nl_socket_add_membership(k->events, group) == -NLE_PERM)
		return watch_contents(k);	/* the group is CAP_NET_ADMIN's */
	nl_socket_disable_seq_check(k->events);
	return nl_socket_set_nonblocking(k->events) ? -EIO : 0;
}

/* ---- the server's side: its secret, content information by fd ---- */

int pd_store_kernel_set_secret(struct pd_store *s, const void *secret, size_t len)
{
	struct kernel_store *k = to_kernel(s);
	struct nl_msg *m;
	int err;

	if (s->ops != &kernel_ops)
		return -ENODEV;
	pthread_mutex_lock(&k->lock);
	m = new_request(k, PEERDIST_CMD_SET_SECRET, len + 1024);
	err = send_built(k, m, !m || nla_put(m, PEERDIST_A_SECRET, len, secret), NULL, NULL);
	pthread_mutex_unlock(&k->lock);
	return err;
}

/* A hash result read in pieces, and how far the hash was told to be. */
struct hash_result {
	uint64_t generation;
	uint64_t length;
	uint8_t *ci;
	uint64_t got;
	pd_store_progress_fn progress;	/* or NULL: none asked for */
	void *arg;
	uint64_t file_size;		/* 0 until a hash-progress said */
};

/* hash-file's reply, or (with progress asked for) a hash-progress before it. */
static int parse_hashed(struct nl_msg *m, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(m));
	struct nlattr *a[PEERDIST_A_MAX + 1];
	struct hash_result *r = arg;

	if (genlmsg_parse(nlmsg_hdr(m), 0, a, PEERDIST_A_MAX, NULL))
		return -EPROTO;
	if (g->cmd == PEERDIST_CMD_HASH_PROGRESS) {
		if (!a[PEERDIST_A_HASHED_BYTES] || !a[PEERDIST_A_FILE_SIZE])
			return -EPROTO;
		r->file_size = nla_get_u64(a[PEERDIST_A_FILE_SIZE]);
		if (r->progress)
			r->progress(nla_get_u64(a[PEERDIST_A_HASHED_BYTES]), r->file_size, r->arg);
		return 0;
	}
	if (!a[PEERDIST_A_GENERATION] || !a[PEERDIST_A_CI_LENGTH])
		return -EPROTO;
	r->generation = nla_get_u64(a[PEERDIST_A_GENERATION]);
	r->length = nla_get_u64(a[PEERDIST_A_CI_LENGTH]);
	return 0;
}

static int parse_piece(struct nlattr **a, void *arg)
{
	struct hash_result *r = arg;
	uint64_t n;

	if (!a[PEERDIST_A_CI_DATA] || !a[PEERDIST_A_CI_LENGTH] ||
	    nla_get_u64(a[PEERDIST_A_CI_LENGTH]) != r->length)
		return -EPROTO;
	n = nla_len(a[PEERDIST_A_CI_DATA]);
	if (!n || n > r->length - r->got)
		return -EPROTO;
	memcpy(r->ci + r->got, nla_data(a[PEERDIST_A_CI_DATA]), n);
	r->got += n;
	return 0;
}

/* Lock contract: k->lock held. Hashes (or finds kept) and reads it all. */
static int hash_file_locked(struct kernel_store *k, int fd, unsigned version,
			    struct hash_result *r)
{
	struct nl_msg *m = new_request(k, PEERDIST_CMD_HASH_FILE, 1024);
	int err = -ENOMEM;

	if (!m || nla_put_u32(m, PEERDIST_A_FD, fd) ||
	    nla_put_u8(m, PEERDIST_A_CI_VERSION, version) ||
	    (r->progress && nla_put_u8(m, PEERDIST_A_PROGRESS, 1)))
		nlmsg_free(m);
	else
		err = exchange(k, m, &(struct exchange){ .raw = parse_hashed, .arg = r });
	if (!err && r->progress && r->file_size)	/* the last told is not the end */
		r->progress(r->file_size, r->file_size, r->arg);
	if (!err && !(r->ci = malloc(r->length ? r->length : 1)))
		err = -ENOMEM;
	for (r->got = 0; !err && r->got < r->length;) {
		m = new_request(k, PEERDIST_CMD_GET_CONTENT_INFO, 1024);
		err = send_built(k, m, !m || nla_put_u32(m, PEERDIST_A_FD, fd) ||
				 nla_put_u64(m, PEERDIST_A_GENERATION, r->generation) ||
				 nla_put_u64(m, PEERDIST_A_CI_OFFSET, r->got), parse_piece, r);
	}
	return err;
}

int pd_store_kernel_hash_file(struct pd_store *s, int fd, unsigned version,
			      pd_store_progress_fn progress, void *arg,
			      uint8_t **ci, size_t *len)
{
	struct kernel_store *k = to_kernel(s);
	struct hash_result r = { .progress = progress, .arg = arg };
	int err = -ESTALE, tries;

	if (s->ops != &kernel_ops)
		return -ENODEV;
	/* ESTALE: the file changed (or the result was dropped) meanwhile. */
	for (tries = 0; err == -ESTALE && tries < 3; tries++) {
		free(r.ci);
		r.ci = NULL;
		pthread_mutex_lock(&k->lock);
		err = hash_file_locked(k, fd, version, &r);
		pthread_mutex_unlock(&k->lock);
	}
	if (err) {
		free(r.ci);
		return err;
	}
	*ci = r.ci;
	*len = r.length;
	return 0;
}

int pd_store_kernel_available(void)
{
	struct nl_sock *s = nl_socket_alloc();
	int ok = s && !genl_connect(s) &&
		 genl_ctrl_resolve(s, PEERDIST_FAMILY_NAME) >= 0;

	nl_socket_free(s);
	return ok;
}

int pd_store_kernel_open(const char *dir, struct pd_store **out)
{
	struct kernel_store *k = calloc(1, sizeof(*k));
	int err = -ENOMEM;
	unsigned i;

	if (!k)
		return -ENOMEM;
	k->base.ops = &kernel_ops;
	k->tick_fd = -1;
	k->content_ep = -1;
	pthread_mutex_init(&k->lock, NULL);
	for (i = 0; i < CRYPT_SOCKETS; i++)
		pthread_mutex_init(&k->crypt[i].lock, NULL);
	PD_OPEN_CACHE_INIT(&k->opened, k->open, close_slot);
	k->nl = request_socket();
	if (!k->nl)
		goto fail;
	err = -ENODEV;	/* peerdist.ko is not loaded */
	k->family = genl_ctrl_resolve(k->nl, PEERDIST_FAMILY_NAME);
	if (k->family < 0)
		goto fail;
	err = connect_events(k);
	if (!err && dir)
		err = pd_store_meta_open(dir, &k->meta);
	if (!err && dir)
		err = pd_counters_open(pd_store_meta_dirfd(k->meta), dir, &k->base.counters);
	if (err)
		goto fail;
	*out = &k->base;
	return 0;

fail:
	kernel_close(&k->base);
	return err;
}
