/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Segments for the peerdist.ko selftests: content made here, described the
 * way MS-PCCRC derives it (SHA-256 block hashes, HoD, HoHoDk = HMAC(Kp,
 * HoD || "MS_P2P_CACHING\0" in UTF-16LE)), the netlink requests that
 * add, open and flush it, and children that make them as another caller
 * (an unprivileged user, a small file-size limit). Includers define
 * _GNU_SOURCE first (setresuid).
 */
#ifndef PD_SEG_HELPERS_H
#define PD_SEG_HELPERS_H

#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "nl_helpers.h"

#define BLOCK 65536
#define NOBODY	65534

struct seg {
	uint32_t size, nblocks;
	uint8_t *data;
	uint8_t hashes[512 * 32];
	uint8_t hod[32], kp[32], id[32];
};

static const uint8_t c2[30] = { 'M', 0, 'S', 0, '_', 0, 'P', 0, '2', 0, 'P', 0,
	'_', 0, 'C', 0, 'A', 0, 'C', 0, 'H', 0, 'I', 0, 'N', 0, 'G', 0, 0, 0 };

/* A segment of size bytes of a pattern that seed makes distinct. */
static inline void seg_make(struct seg *s, uint32_t size, unsigned seed)
{
	unsigned int len = 32;
	uint8_t msg[62];
	uint32_t i;

	s->size = size;
	s->nblocks = (size + BLOCK - 1) / BLOCK;
	s->data = malloc(size);
	for (i = 0; i < size; i++)
		s->data[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 12));
	for (i = 0; i < s->nblocks; i++)
		SHA256(s->data + (size_t)i * BLOCK,
		       size - i * BLOCK < BLOCK ? size - i * BLOCK : BLOCK, s->hashes + 32 * i);
	SHA256(s->hashes, 32 * s->nblocks, s->hod);
	memset(s->kp, seed + 1, 32);
	memcpy(msg, s->hod, 32);
	memcpy(msg + 32, c2, 30);
	HMAC(EVP_sha256(), s->kp, 32, msg, sizeof(msg), s->id, &len);
}

static inline uint32_t seg_block_len(const struct seg *s, uint32_t b)
{
	return s->size - b * BLOCK < BLOCK ? s->size - b * BLOCK : BLOCK;
}

/* A request carrying one segment id; NLM_F_ACK. */
static inline struct nl_msg *seg_request(int family, int cmd, const uint8_t *id,
					 int idlen, size_t size)
{
	struct nl_msg *m = nlmsg_alloc_size(size);

	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK, cmd, 1);
	if (id)
		nla_put(m, PEERDIST_A_SEGMENT_ID, idlen, id);
	return m;
}

static inline int send_and_ack(struct nl_sock *sk, struct nl_msg *m)
{
	int err = nl_send_auto(sk, m);

	nlmsg_free(m);
	return err < 0 ? err : nl_wait_for_ack(sk);
}

/* add-segment with every field; hod/id may be the segment's or forged. */
static inline int seg_add_raw(struct nl_sock *sk, int family, const struct seg *s,
			      const uint8_t *id, int idlen, const uint8_t *hod)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_ADD_SEGMENT, id, idlen, 40000);

	nla_put_u32(m, PEERDIST_A_HASH_ALG, 0x800C);
	nla_put(m, PEERDIST_A_HOD, 32, hod);
	nla_put(m, PEERDIST_A_KP, 32, s->kp);
	nla_put_u32(m, PEERDIST_A_SEGMENT_SIZE, s->size);
	nla_put_u32(m, PEERDIST_A_BLOCK_SIZE, BLOCK);
	nla_put(m, PEERDIST_A_BLOCK_HASHES, 32 * s->nblocks, s->hashes);
	return send_and_ack(sk, m);
}

static inline int seg_add(struct nl_sock *sk, int family, const struct seg *s)
{
	return seg_add_raw(sk, family, s, s->id, 32, s->hod);
}

/* Sends m (consumed), hands the reply to fn, and takes the ACK. */
static inline int ask(struct nl_sock *sk, struct nl_msg *m, nl_recvmsg_msg_cb_t fn,
		      void *arg)
{
	int err;

	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
	err = nl_send_auto(sk, m);
	nlmsg_free(m);
	if (err >= 0)
		err = nl_recvmsgs_default(sk);
	if (err >= 0)
		err = nl_wait_for_ack(sk);
	return err;
}

/* What hash-file and get-content-info answer. */
struct ci_reply {
	int fd;			/* the file hashed: get-content-info names it */
	uint64_t generation, length, offset;
	uint8_t *data;		/* where pieces go, at offset; NULL: not kept */
	int len;		/* the last piece's length */
	size_t bytes;		/* netlink bytes received */
};

static inline int parse_ci_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *a[PEERDIST_A_MAX + 1];
	struct ci_reply *r = arg;

	r->bytes += nlmsg_hdr(msg)->nlmsg_len;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, PEERDIST_A_MAX, NULL))
		return NL_SKIP;
	if (a[PEERDIST_A_GENERATION])
		r->generation = nla_get_u64(a[PEERDIST_A_GENERATION]);
	if (a[PEERDIST_A_CI_LENGTH])
		r->length = nla_get_u64(a[PEERDIST_A_CI_LENGTH]);
	if (a[PEERDIST_A_CI_DATA]) {
		r->len = nla_len(a[PEERDIST_A_CI_DATA]);
		if (r->data)
			memcpy(r->data + r->offset, nla_data(a[PEERDIST_A_CI_DATA]), r->len);
	}
	return NL_OK;
}

static inline int parse_fd(struct nl_msg *msg, void *arg)
{
	struct nlattr *a[PEERDIST_A_MAX + 1];

	if (!genlmsg_parse(nlmsg_hdr(msg), 0, a, PEERDIST_A_MAX, NULL) && a[PEERDIST_A_FD])
		*(int *)arg = nla_get_u32(a[PEERDIST_A_FD]);
	return NL_OK;
}

/* open-segment: the fd, or a negative libnl error. */
static inline int seg_open(struct nl_sock *sk, int family, const uint8_t *id)
{
	int fd = -1, err;

	err = ask(sk, seg_request(family, PEERDIST_CMD_OPEN_SEGMENT, id, 32, 4096),
		  parse_fd, &fd);
	return err < 0 ? err : fd;
}

/* open-segment proving the id with hod and kp (the segment's, or forged). */
static inline int seg_open_proved(struct nl_sock *sk, int family, const struct seg *s,
				  const uint8_t *hod, const uint8_t *kp)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_OPEN_SEGMENT, s->id, 32, 4096);
	int fd = -1, err;

	nla_put(m, PEERDIST_A_HOD, 32, hod);
	nla_put(m, PEERDIST_A_KP, 32, kp);
	err = ask(sk, m, parse_fd, &fd);
	return err < 0 ? err : fd;
}

/* Whether an open-segment reply carried HoD or Kp (it never should), and its fd. */
struct secrets_seen {
	int hod, kp, fd;
};

static inline int parse_secrets(struct nl_msg *msg, void *arg)
{
	struct nlattr *a[PEERDIST_A_MAX + 1];
	struct secrets_seen *seen = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, a, PEERDIST_A_MAX, NULL))
		return NL_SKIP;
	seen->hod |= !!a[PEERDIST_A_HOD];
	seen->kp |= !!a[PEERDIST_A_KP];
	if (a[PEERDIST_A_FD])
		seen->fd = nla_get_u32(a[PEERDIST_A_FD]);
	return NL_OK;
}

static inline int seg_flush(struct nl_sock *sk, int family, const uint8_t *id)
{
	return send_and_ack(sk, seg_request(family, PEERDIST_CMD_FLUSH_SEGMENT, id, 32, 4096));
}

static inline int seg_fill(int fd, const struct seg *s)
{
	uint32_t b;

	for (b = 0; b < s->nblocks; b++)
		if (pwrite(fd, s->data + (size_t)b * BLOCK, seg_block_len(s, b),
			   (off_t)b * BLOCK) != (ssize_t)seg_block_len(s, b))
			return -errno;
	return 0;
}

struct seg_sealed {
	uint8_t data[BLOCK + 16];
	size_t len;
	int err, done;		/* the module's -errno; the ACK or error came */
	int overflow;		/* more ciphertext than a block's */
};

static inline int seg_on_pieces(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct seg_sealed *r = arg;
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (nla_type(a) != PEERDIST_A_CIPHERTEXT)
			continue;
		if (r->len + nla_len(a) > sizeof(r->data)) {
			r->overflow = 1;
			continue;
		}
		memcpy(r->data + r->len, nla_data(a), nla_len(a));
		r->len += nla_len(a);
	}
	return NL_OK;
}

static inline int seg_on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct seg_sealed *r = arg;

	r->err = e->error;
	r->done = 1;
	return NL_STOP;
}

static inline int seg_on_ack(struct nl_msg *msg, void *arg)
{
	((struct seg_sealed *)arg)->done = 1;
	return NL_STOP;
}

/* encrypt-block (algo 0: none asked for); r->err is the module's answer. */
static inline int seg_encrypt_block(struct nl_sock *s, int family, const uint8_t *id,
				    uint32_t index, uint32_t algo, const uint8_t iv[16],
				    struct seg_sealed *r)
{
	struct nl_msg *m = seg_request(family, PEERDIST_CMD_ENCRYPT_BLOCK, id, 32, 4096);
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	memset(r, 0, sizeof(*r));
	nla_put_u32(m, PEERDIST_A_BLOCK_INDEX, index);
	nla_put(m, PEERDIST_A_IV, 16, iv);
	if (algo)
		nla_put_u32(m, PEERDIST_A_CRYPTO_ALGO, algo);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, seg_on_pieces, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, seg_on_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, seg_on_error, r);
	/* a 64 KiB block's reply, and room behind it for the ACK */
	nl_socket_enable_msg_peek(s);
	nl_socket_set_buffer_size(s, 1 << 20, 0);
	err = nl_send_auto(s, m);
	nlmsg_free(m);
	while (err >= 0 && !r->done)
		err = nl_recvmsgs(s, cb);	/* libnl's code for the module's error */
	nl_cb_put(cb);
	return r->err ? r->err : err < 0 ? err : 0;
}

typedef int (*child_fn)(struct nl_sock *s, int family, void *arg);

/*
 * Runs fn in a child, once become (NULL: nothing) made it the caller the
 * test wants, on a socket of its own: fn's exit status (100: become
 * failed, 101: no socket), or -1.
 */
static inline int in_child(int (*become)(void), child_fn fn, void *arg)
{
	struct nl_sock *s;
	int family, status;
	pid_t pid = fork();

	if (!pid) {
		if (become && become())
			_exit(100);
		s = nl_open(&family);
		_exit(s && family >= 0 ? fn(s, family, arg) : 101);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static inline int become_nobody(void)
{
	return setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	       setresuid(NOBODY, NOBODY, NOBODY);
}

/* A file-size limit smaller than a block (and no SIGXFSZ past it). */
static inline int limit_file_size(void)
{
	struct rlimit lim = { 4096, 4096 };

	signal(SIGXFSZ, SIG_IGN);
	return setrlimit(RLIMIT_FSIZE, &lim);
}

/* fn as the unprivileged user 65534. */
static inline int as_nobody(child_fn fn, void *arg)
{
	return in_child(become_nobody, fn, arg);
}

#endif
