// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic netlink family "peerdist" (spec:
 * Documentation/netlink/specs/peerdist.yaml; tests/check-uapi keeps this
 * policy and the uapi header in step with it). Policies are strict: an
 * unknown attribute, a wrong length or a value out of range is refused
 * before a handler runs.
 */
#include <linux/file.h>
#include <net/genetlink.h>

#include <linux/peerdist.h>

#include "content_fd.h"
#include "encrypt.h"
#include "genl.h"
#include "publish.h"
#include "segment.h"
#include "state.h"

/* Not const: 6.1's policy holds a non-const pointer (6.12 a const one). */
static struct netlink_range_validation cache_max_bytes_range = {
	.min = 1048576,
	.max = U64_MAX,
};

static const struct nla_policy pd_policy[PEERDIST_A_MAX + 1] = {
	[PEERDIST_A_VERSION] = { .type = NLA_U32 },
	[PEERDIST_A_ENABLED] = NLA_POLICY_MAX(NLA_U8, 1),
	[PEERDIST_A_CACHE_MAX_BYTES] = NLA_POLICY_FULL_RANGE(NLA_U64, &cache_max_bytes_range),
	[PEERDIST_A_CACHED_BYTES] = { .type = NLA_U64 },
	[PEERDIST_A_SEGMENTS] = { .type = NLA_U64 },
	[PEERDIST_A_HITS] = { .type = NLA_U64 },
	[PEERDIST_A_MISSES] = { .type = NLA_U64 },
	[PEERDIST_A_EVICTIONS] = { .type = NLA_U64 },
	[PEERDIST_A_HASH_BYTES] = { .type = NLA_U64 },
	[PEERDIST_A_VERIFY_FAILURES] = { .type = NLA_U64 },
	[PEERDIST_A_OBJECTS] = { .type = NLA_U64 },
	[PEERDIST_A_HASH_ALG] = { .type = NLA_U32 },
	[PEERDIST_A_SEGMENT_ID] = NLA_POLICY_RANGE(NLA_BINARY, 32, 64),
	[PEERDIST_A_HOD] = NLA_POLICY_RANGE(NLA_BINARY, 32, 64),
	[PEERDIST_A_KP] = NLA_POLICY_RANGE(NLA_BINARY, 32, 64),
	[PEERDIST_A_SEGMENT_SIZE] = { .type = NLA_U32 },
	[PEERDIST_A_BLOCK_SIZE] = { .type = NLA_U32 },
	[PEERDIST_A_BLOCK_HASHES] = { .type = NLA_BINARY, .len = 32768 },
	[PEERDIST_A_FD] = { .type = NLA_U32 },
	[PEERDIST_A_BLOCK_MAP] = { .type = NLA_BINARY },
	[PEERDIST_A_BLOCK_INDEX] = NLA_POLICY_MAX(NLA_U32, 511),
	[PEERDIST_A_SECRET] = NLA_POLICY_RANGE(NLA_BINARY, 1, 1024),
	[PEERDIST_A_GENERATION] = { .type = NLA_U64 },
	[PEERDIST_A_CI_OFFSET] = { .type = NLA_U64 },
	[PEERDIST_A_CI_LENGTH] = { .type = NLA_U64 },
	[PEERDIST_A_CI_DATA] = { .type = NLA_BINARY },
	/* Past the s16 of a range: the handler checks there is one of each. */
	[PEERDIST_A_SEGMENT_IDS] = { .type = NLA_BINARY, .len = 64000 },
	[PEERDIST_A_SEGMENT_SIZES] = { .type = NLA_BINARY, .len = 4000 },
	[PEERDIST_A_CONTENT_OFFSET] = { .type = NLA_U64 },
	[PEERDIST_A_CI_VERSION] = NLA_POLICY_RANGE(NLA_U8, 1, 2),
	[PEERDIST_A_SEGMENT_HODS] = { .type = NLA_BINARY, .len = 64000 },
	[PEERDIST_A_SEGMENT_KPS] = { .type = NLA_BINARY, .len = 64000 },
	[PEERDIST_A_PROGRESS] = NLA_POLICY_MAX(NLA_U8, 1),
	[PEERDIST_A_HASHED_BYTES] = { .type = NLA_U64 },
	[PEERDIST_A_FILE_SIZE] = { .type = NLA_U64 },
	[PEERDIST_A_IV] = NLA_POLICY_RANGE(NLA_BINARY, 16, 16),
	[PEERDIST_A_CRYPTO_ALGO] = NLA_POLICY_RANGE(NLA_U32, 1, 3),
	[PEERDIST_A_CIPHERTEXT] = { .type = NLA_BINARY },
};

#define CI_PIECE	16000	/* fits libnl's default 32 KiB receive buffer */

static struct genl_family pd_family;

/* encrypt-block's cipher (genl runs commands in parallel: it has a lock) */
static struct pd_cipher pd_block_cipher;

/* The counters' attributes, in enum pd_counter order. */
static const int counter_attr[PD_CNT_COUNT] = {
	[PD_CNT_CACHED_BYTES] = PEERDIST_A_CACHED_BYTES,
	[PD_CNT_SEGMENTS] = PEERDIST_A_SEGMENTS,
	[PD_CNT_HITS] = PEERDIST_A_HITS,
	[PD_CNT_MISSES] = PEERDIST_A_MISSES,
	[PD_CNT_EVICTIONS] = PEERDIST_A_EVICTIONS,
	[PD_CNT_HASH_BYTES] = PEERDIST_A_HASH_BYTES,
	[PD_CNT_VERIFY_FAILURES] = PEERDIST_A_VERIFY_FAILURES,
	[PD_CNT_OBJECTS] = PEERDIST_A_OBJECTS,
};

/* Replies to info: cmd's header, then what fill puts (size bytes at most). */
static int reply(struct genl_info *info, u8 cmd, size_t size,
		 int (*fill)(struct sk_buff *msg, void *arg), void *arg)
{
	struct sk_buff *msg = genlmsg_new(size, GFP_KERNEL);
	void *hdr;
	int err;

	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &pd_family, 0, cmd);
	err = hdr ? fill(msg, arg) : -EMSGSIZE;
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int put_status(struct sk_buff *msg, void *unused)
{
	struct pd_limits l;
	int i;

	pd_limits_get(&l);
	if (nla_put_u32(msg, PEERDIST_A_VERSION, PEERDIST_FAMILY_VERSION) ||
	    nla_put_u8(msg, PEERDIST_A_ENABLED, l.enabled) ||
	    nla_put_u64_64bit(msg, PEERDIST_A_CACHE_MAX_BYTES, l.cache_max_bytes,
			      PEERDIST_A_PAD))
		return -EMSGSIZE;
	for (i = 0; i < PD_CNT_COUNT; i++)
		if (nla_put_u64_64bit(msg, counter_attr[i], pd_counter_read(i),
				      PEERDIST_A_PAD))
			return -EMSGSIZE;
	return 0;
}

static int pd_get_status(struct sk_buff *skb, struct genl_info *info)
{
	return reply(info, PEERDIST_CMD_GET_STATUS, NLMSG_DEFAULT_SIZE, put_status, NULL);
}

static int pd_set_limits(struct sk_buff *skb, struct genl_info *info)
{
	struct pd_limits l;

	pd_limits_get(&l);
	if (info->attrs[PEERDIST_A_ENABLED])
		l.enabled = nla_get_u8(info->attrs[PEERDIST_A_ENABLED]);
	if (info->attrs[PEERDIST_A_CACHE_MAX_BYTES])
		l.cache_max_bytes = nla_get_u64(info->attrs[PEERDIST_A_CACHE_MAX_BYTES]);
	return pd_limits_set(&l);
}

/* The description's fields: all present, ids and keys of the hash's length. */
static int get_desc(struct genl_info *info, struct pd_segment_desc *d)
{
	struct nlattr **a = info->attrs;
	unsigned int len;

	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_HASH_ALG) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_ID) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_HOD) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_KP) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_SIZE) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_BLOCK_SIZE))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->hash_alg = nla_get_u32(a[PEERDIST_A_HASH_ALG]);
	len = pd_hash_digest_len(d->hash_alg);
	d->hash_len = len;
	if (!len || nla_len(a[PEERDIST_A_SEGMENT_ID]) != len ||
	    nla_len(a[PEERDIST_A_HOD]) != len || nla_len(a[PEERDIST_A_KP]) != len) {
		NL_SET_ERR_MSG(info->extack, "id, HoD and Kp must have the hash's length");
		return -EINVAL;
	}
	memcpy(d->id, nla_data(a[PEERDIST_A_SEGMENT_ID]), len);
	memcpy(d->hod, nla_data(a[PEERDIST_A_HOD]), len);
	memcpy(d->kp, nla_data(a[PEERDIST_A_KP]), len);
	d->size = nla_get_u32(a[PEERDIST_A_SEGMENT_SIZE]);
	d->block_size = nla_get_u32(a[PEERDIST_A_BLOCK_SIZE]);
	return 0;
}

/* enabled = 0 (sysfs or set-limits): the cache takes and serves nothing. */
static int check_enabled(struct genl_info *info)
{
	struct pd_limits l;

	pd_limits_get(&l);
	if (l.enabled)
		return 0;
	NL_SET_ERR_MSG(info->extack, "the cache is disabled");
	return -EOPNOTSUPP;
}

static int pd_add_segment(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *hashes = info->attrs[PEERDIST_A_BLOCK_HASHES];
	struct pd_segment_desc d;
	int err;

	err = check_enabled(info) ?: get_desc(info, &d);
	if (err)
		return err;
	err = pd_segment_add(&d, hashes ? nla_data(hashes) : NULL,
			     hashes ? nla_len(hashes) : 0);
	if (err == -EBADMSG)
		NL_SET_ERR_MSG(info->extack, "the description's hashes do not agree");
	else if (err == -EINVAL)
		NL_SET_ERR_MSG(info->extack, "sizes or block hashes do not fit the algorithm");
	return err;
}

/*
 * The segment that the request's segment-id names, with a reference, once
 * the caller proved it may read it: HoD and Kp whose HMAC is the id
 * (MS-PCCRC 2.2), which only a holder of the content information knows.
 * CAP_NET_ADMIN (the service that serves peers) may name the id alone.
 */
static struct pd_segment *request_segment(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct pd_segment *seg;
	bool proved;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_ID))
		return ERR_PTR(-EINVAL);
	proved = a[PEERDIST_A_HOD] && a[PEERDIST_A_KP];
	if (!proved && !netlink_capable(skb, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(info->extack, "hod and kp are needed to open a segment");
		return ERR_PTR(-EACCES);
	}
	seg = pd_segment_get(nla_data(a[PEERDIST_A_SEGMENT_ID]),
			     nla_len(a[PEERDIST_A_SEGMENT_ID]));
	if (!seg)
		return ERR_PTR(-ENOENT);
	if (!proved)
		return seg;
	err = pd_segment_prove(&seg->desc, nla_data(a[PEERDIST_A_HOD]),
			       nla_len(a[PEERDIST_A_HOD]), nla_data(a[PEERDIST_A_KP]),
			       nla_len(a[PEERDIST_A_KP]));
	if (err) {
		pd_segment_put(seg);
		NL_SET_ERR_MSG(info->extack, "hod and kp do not prove this segment id");
		return ERR_PTR(err);
	}
	return seg;
}

/* The block map as the spec says: bit i for block i, little-endian u32 words. */
static int put_block_map(struct sk_buff *msg, const struct pd_segment *seg)
{
	u32 words = DIV_ROUND_UP(seg->desc.nblocks, 32), i;
	struct nlattr *attr = nla_reserve(msg, PEERDIST_A_BLOCK_MAP, words * sizeof(__le32));
	u32 map[PD_MAX_BLOCKS / 32];
	__le32 *out;

	if (!attr)
		return -EMSGSIZE;
	bitmap_to_arr32(map, seg->present, seg->desc.nblocks);
	out = nla_data(attr);
	for (i = 0; i < words; i++)
		out[i] = cpu_to_le32(map[i]);
	return 0;
}

/* The segment's sizes and block map: never HoD or Kp, which stay here. */
static int put_segment(struct sk_buff *msg, void *arg)
{
	const struct pd_segment *seg = arg;
	const struct pd_segment_desc *d = &seg->desc;

	if (nla_put_u32(msg, PEERDIST_A_HASH_ALG, d->hash_alg) ||
	    nla_put_u32(msg, PEERDIST_A_SEGMENT_SIZE, d->size) ||
	    nla_put_u32(msg, PEERDIST_A_BLOCK_SIZE, d->block_size))
		return -EMSGSIZE;
	return put_block_map(msg, seg);
}

/*
 * A reply carrying an fd. open() gives a new file (or NULL with *fd, one
 * the caller has already); its fd is reserved, put in the reply, and
 * installed only once the reply is sent: a reply that fails leaves the
 * caller no fd it never hears of.
 */
struct fd_reply {
	int (*fill)(struct sk_buff *msg, void *arg);	/* NULL: the fd only */
	struct file *(*open)(void *arg, int *fd);
	void *arg;
};

static int reply_with_fd(struct genl_info *info, u8 cmd, const struct fd_reply *r)
{
	struct sk_buff *msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	struct file *file = NULL;
	int fd = -1, err;
	void *hdr;

	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &pd_family, 0, cmd);
	err = !hdr ? -EMSGSIZE : r->fill ? r->fill(msg, r->arg) : 0;
	if (!err) {
		file = r->open(r->arg, &fd);
		err = PTR_ERR_OR_ZERO(file);
		if (err)
			file = NULL;
	}
	if (!err && file) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		err = fd < 0 ? fd : 0;
	}
	if (!err && nla_put_u32(msg, PEERDIST_A_FD, fd))
		err = -EMSGSIZE;
	if (err)
		goto free_msg;
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);	/* consumes msg */
	if (!file)
		return err;
	if (err)
		goto put_file;
	fd_install(fd, file);
	return 0;

free_msg:
	nlmsg_free(msg);
put_file:
	if (file && fd >= 0)
		put_unused_fd(fd);
	if (file)
		fput(file);
	return err;
}

static struct file *open_segment_file(void *seg, int *fd)
{
	return pd_segment_file(seg);
}

static int pd_open_segment(struct sk_buff *skb, struct genl_info *info)
{
	struct pd_segment *seg;
	int err = check_enabled(info);

	if (err)
		return err;
	seg = request_segment(skb, info);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	err = reply_with_fd(info, PEERDIST_CMD_OPEN_SEGMENT,
			    &(struct fd_reply){ put_segment, open_segment_file, seg });
	pd_segment_put(seg);
	return err;
}

struct encrypt_request {
	struct pd_segment *seg;
	u32 index;
	unsigned int key_len;	/* 16, 24, 32: CryptoAlgoId 1, 2, 3 */
	const u8 *iv;
};

/*
 * The ciphertext, encrypted where the reply carries it (the block is
 * copied once, from the segment's file into the message): pieces reserved
 * first, then filled.
 */
static int put_ciphertext(struct sk_buff *msg, void *arg)
{
	struct encrypt_request *r = arg;
	struct kvec piece[PD_CIPHERTEXT_PIECES];
	u32 left, n = 0;
	struct nlattr *attr;

	if (r->index >= r->seg->desc.nblocks)
		return -EINVAL;
	left = pd_padded_len(pd_block_len(&r->seg->desc, r->index));
	for (; left; left -= piece[n++].iov_len) {
		piece[n].iov_len = min_t(u32, left, PD_CIPHERTEXT_PIECE);
		attr = nla_reserve(msg, PEERDIST_A_CIPHERTEXT, piece[n].iov_len);
		if (!attr)
			return -EMSGSIZE;
		piece[n].iov_base = nla_data(attr);
	}
	return pd_segment_encrypt_block(&pd_block_cipher, r->seg, r->index, r->key_len,
					r->iv, piece, n);
}

static int pd_encrypt_block(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *algo = info->attrs[PEERDIST_A_CRYPTO_ALGO];
	struct encrypt_request r;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_ID) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_BLOCK_INDEX) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_IV))
		return -EINVAL;
	err = check_enabled(info);
	if (err)
		return err;
	r.seg = pd_segment_get(nla_data(info->attrs[PEERDIST_A_SEGMENT_ID]),
			       nla_len(info->attrs[PEERDIST_A_SEGMENT_ID]));
	if (!r.seg)
		return -ENOENT;
	r.index = nla_get_u32(info->attrs[PEERDIST_A_BLOCK_INDEX]);
	r.key_len = 8 + 8 * (algo ? nla_get_u32(algo) : 1);
	r.iv = nla_data(info->attrs[PEERDIST_A_IV]);
	err = reply(info, PEERDIST_CMD_ENCRYPT_BLOCK,
		    pd_padded_len(r.seg->desc.block_size) +
		    PD_CIPHERTEXT_PIECES * NLA_HDRLEN + NLMSG_DEFAULT_SIZE,
		    put_ciphertext, &r);
	pd_segment_put(r.seg);
	if (err == -EINVAL)
		NL_SET_ERR_MSG(info->extack, "no such block, or a key longer than kp");
	else if (err == -EOPNOTSUPP)
		NL_SET_ERR_MSG(info->extack, "this kernel has no cbc(aes)");
	return err;
}

struct content_request {
	int fd;				/* -1: a new content fd */
	u32 hash_alg, n;
	const u8 *ids, *hods, *kps;	/* n * the hash's length each */
	const u32 *sizes;
	u64 start;
};

static struct file *open_content_file(void *arg, int *fd)
{
	struct content_request *r = arg;

	*fd = r->fd;	/* when appending: the same fd */
	return pd_content_open(r->fd, r->hash_alg, r->ids, r->hods, r->kps, r->sizes,
			       r->n, r->start);
}

static int pd_open_content(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct content_request r = { .fd = -1 };
	unsigned int hash_len;
	int err = check_enabled(info);

	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_HASH_ALG) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_IDS) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_HODS) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_KPS) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_SIZES) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_CONTENT_OFFSET))
		return -EINVAL;
	r.hash_alg = nla_get_u32(a[PEERDIST_A_HASH_ALG]);
	hash_len = pd_hash_digest_len(r.hash_alg);
	r.n = nla_len(a[PEERDIST_A_SEGMENT_SIZES]) / sizeof(u32);
	if (!hash_len || !r.n || nla_len(a[PEERDIST_A_SEGMENT_SIZES]) % sizeof(u32) ||
	    nla_len(a[PEERDIST_A_SEGMENT_IDS]) != r.n * hash_len ||
	    nla_len(a[PEERDIST_A_SEGMENT_HODS]) != r.n * hash_len ||
	    nla_len(a[PEERDIST_A_SEGMENT_KPS]) != r.n * hash_len) {
		NL_SET_ERR_MSG(info->extack,
			       "one id, HoD and Kp of the hash's length for every size");
		return -EINVAL;
	}
	r.ids = nla_data(a[PEERDIST_A_SEGMENT_IDS]);
	r.hods = nla_data(a[PEERDIST_A_SEGMENT_HODS]);
	r.kps = nla_data(a[PEERDIST_A_SEGMENT_KPS]);
	r.sizes = nla_data(a[PEERDIST_A_SEGMENT_SIZES]);
	r.start = nla_get_u64(a[PEERDIST_A_CONTENT_OFFSET]);
	if (a[PEERDIST_A_FD]) {
		r.fd = nla_get_u32(a[PEERDIST_A_FD]);
		if (r.fd < 0)
			return -EBADF;
	}
	err = reply_with_fd(info, PEERDIST_CMD_OPEN_CONTENT,
			    &(struct fd_reply){ NULL, open_content_file, &r });
	if (err == -EACCES)
		NL_SET_ERR_MSG(info->extack, "hods and kps do not prove the segment ids");
	else if (err == -EOVERFLOW)
		NL_SET_ERR_MSG(info->extack, "the content would end past the largest file offset");
	return err;
}

static int pd_flush_segment(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id = info->attrs[PEERDIST_A_SEGMENT_ID];

	int err;

	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SEGMENT_ID))
		return -EINVAL;
	err = pd_segment_flush(nla_data(id), nla_len(id),
			       !netlink_capable(skb, CAP_NET_ADMIN));
	if (err == -EPERM)
		NL_SET_ERR_MSG(info->extack, "only who added a segment may flush it");
	return err;
}

static int put_cleared(struct sk_buff *msg, void *cleared)
{
	return nla_put_u64_64bit(msg, PEERDIST_A_SEGMENTS, *(u64 *)cleared, PEERDIST_A_PAD);
}

/*
 * The data and the hash cache. An unprivileged caller clears what it may
 * flush (the segments it added) and the hash results it made.
 */
static int pd_clear_cache(struct sk_buff *skb, struct genl_info *info)
{
	bool own_only = !netlink_capable(skb, CAP_NET_ADMIN);
	u64 cleared;

	pd_publish_clear(own_only);
	cleared = pd_cache_clear(own_only);

	return reply(info, PEERDIST_CMD_CLEAR_CACHE, NLMSG_DEFAULT_SIZE, put_cleared, &cleared);
}

static int pd_set_secret(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *secret = info->attrs[PEERDIST_A_SECRET];

	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_SECRET))
		return -EINVAL;
	return pd_secret_set(nla_data(secret), nla_len(secret));
}

/* A hash-progress message to the caller of info (lost if it cannot go). */
static void tell_progress(void *arg, u64 hashed, u64 size)
{
	struct genl_info *info = arg;
	struct sk_buff *msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	void *hdr;

	if (!msg)
		return;
	hdr = genlmsg_put(msg, info->snd_portid, info->snd_seq, &pd_family, 0,
			  PEERDIST_CMD_HASH_PROGRESS);
	if (!hdr ||
	    nla_put_u64_64bit(msg, PEERDIST_A_HASHED_BYTES, hashed, PEERDIST_A_PAD) ||
	    nla_put_u64_64bit(msg, PEERDIST_A_FILE_SIZE, size, PEERDIST_A_PAD)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_unicast(genl_info_net(info), msg, info->snd_portid);
}

static int pd_hash_fd_attrs(struct genl_info *info, u64 *generation, size_t *len)
{
	struct nlattr *version = info->attrs[PEERDIST_A_CI_VERSION];
	struct nlattr *progress = info->attrs[PEERDIST_A_PROGRESS];
	struct pd_hash_progress p = { tell_progress, info };

	return pd_hash_fd(nla_get_u32(info->attrs[PEERDIST_A_FD]),
			  version ? nla_get_u8(version) : 1,
			  progress && nla_get_u8(progress) ? &p : NULL, generation, len);
}

struct hashed_reply {
	u64 generation;
	size_t len;
};

static int put_hashed(struct sk_buff *msg, void *arg)
{
	struct hashed_reply *r = arg;

	if (nla_put_u64_64bit(msg, PEERDIST_A_GENERATION, r->generation, PEERDIST_A_PAD) ||
	    nla_put_u64_64bit(msg, PEERDIST_A_CI_LENGTH, r->len, PEERDIST_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int pd_hash_file(struct sk_buff *skb, struct genl_info *info)
{
	struct hashed_reply r;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_FD))
		return -EINVAL;
	err = check_enabled(info) ?: pd_hash_fd_attrs(info, &r.generation, &r.len);
	if (err == -ENOKEY)
		NL_SET_ERR_MSG(info->extack, "no server secret: set-secret first");
	if (err)
		return err;
	return reply(info, PEERDIST_CMD_HASH_FILE, NLMSG_DEFAULT_SIZE, put_hashed, &r);
}

static int pd_unpublish(struct sk_buff *skb, struct genl_info *info)
{
	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_FD))
		return -EINVAL;
	return pd_unpublish_fd(nla_get_u32(info->attrs[PEERDIST_A_FD]));
}

struct ci_piece {
	u64 generation, offset;
	size_t got, total;
	u8 *data;
};

static int put_ci_piece(struct sk_buff *msg, void *arg)
{
	struct ci_piece *p = arg;

	if (nla_put(msg, PEERDIST_A_CI_DATA, p->got, p->data) ||
	    nla_put_u64_64bit(msg, PEERDIST_A_GENERATION, p->generation, PEERDIST_A_PAD) ||
	    nla_put_u64_64bit(msg, PEERDIST_A_CI_OFFSET, p->offset, PEERDIST_A_PAD) ||
	    nla_put_u64_64bit(msg, PEERDIST_A_CI_LENGTH, p->total, PEERDIST_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int pd_get_content_info(struct sk_buff *skb, struct genl_info *info)
{
	struct ci_piece p;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, PEERDIST_A_FD) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_GENERATION) ||
	    GENL_REQ_ATTR_CHECK(info, PEERDIST_A_CI_OFFSET))
		return -EINVAL;
	p.generation = nla_get_u64(info->attrs[PEERDIST_A_GENERATION]);
	p.offset = nla_get_u64(info->attrs[PEERDIST_A_CI_OFFSET]);
	p.data = kvmalloc(CI_PIECE, GFP_KERNEL);
	if (!p.data)
		return -ENOMEM;
	err = pd_content_info_read(nla_get_u32(info->attrs[PEERDIST_A_FD]), p.generation,
				   p.offset, p.data, CI_PIECE, &p.got, &p.total);
	if (err == -ESTALE)
		NL_SET_ERR_MSG(info->extack, "that result is gone: hash again");
	if (!err)
		err = reply(info, PEERDIST_CMD_GET_CONTENT_INFO, CI_PIECE + NLMSG_DEFAULT_SIZE,
			    put_ci_piece, &p);
	kvfree(p.data);
	return err;
}

static const struct genl_small_ops pd_ops[] = {
	{
		.cmd = PEERDIST_CMD_GET_STATUS,
		.doit = pd_get_status,
	},
	{
		.cmd = PEERDIST_CMD_SET_LIMITS,
		.doit = pd_set_limits,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = PEERDIST_CMD_ADD_SEGMENT,
		.doit = pd_add_segment,
	},
	{
		.cmd = PEERDIST_CMD_OPEN_SEGMENT,
		.doit = pd_open_segment,
	},
	{
		.cmd = PEERDIST_CMD_FLUSH_SEGMENT,
		.doit = pd_flush_segment,
	},
	{
		.cmd = PEERDIST_CMD_SET_SECRET,
		.doit = pd_set_secret,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = PEERDIST_CMD_HASH_FILE,
		.doit = pd_hash_file,
	},
	{
		.cmd = PEERDIST_CMD_GET_CONTENT_INFO,
		.doit = pd_get_content_info,
	},
	{
		.cmd = PEERDIST_CMD_OPEN_CONTENT,
		.doit = pd_open_content,
	},
	{
		.cmd = PEERDIST_CMD_UNPUBLISH,
		.doit = pd_unpublish,
	},
	{
		.cmd = PEERDIST_CMD_CLEAR_CACHE,
		.doit = pd_clear_cache,
	},
	{
		.cmd = PEERDIST_CMD_ENCRYPT_BLOCK,
		.doit = pd_encrypt_block,
		.flags = GENL_ADMIN_PERM,
	},
};

/*
 * The events tell which blocks are read and added: what others read is
 * no business of an unprivileged user, who polls its own content fd.
 */
static const struct genl_multicast_group pd_mcgrps[] = {
	{ .name = PEERDIST_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN, },
};

static struct genl_family pd_family __ro_after_init = {
	.name = PEERDIST_FAMILY_NAME,
	.version = PEERDIST_FAMILY_VERSION,
	.maxattr = PEERDIST_A_MAX,
	.policy = pd_policy,
	.module = THIS_MODULE,
	.small_ops = pd_ops,
	.n_small_ops = ARRAY_SIZE(pd_ops),
	.mcgrps = pd_mcgrps,
	.n_mcgrps = ARRAY_SIZE(pd_mcgrps),
	.resv_start_op = PEERDIST_CMD_GET_STATUS,	/* every command strictly */
	.parallel_ops = true,	/* hash-file is long: no genl_mutex held */
	/*
	 * Not netnsok: the cache and its events are the machine's, and a
	 * namespace's CAP_NET_ADMIN (which the events group checks) is not
	 * the machine's. Other namespaces use libpeerdist's user backend.
	 */
	.netnsok = false,
};

/* Sends an event to the events group, if anyone listens; fill adds its attributes. */
static void notify(u8 cmd, int (*fill)(struct sk_buff *msg, const void *arg),
		   const void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&pd_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &pd_family, 0, cmd);
	if (!hdr || fill(msg, arg)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&pd_family, msg, 0, 0, GFP_KERNEL);
}

struct block_event {
	const struct pd_segment *seg;
	u32 index;
};

static int fill_block(struct sk_buff *msg, const void *arg)
{
	const struct block_event *e = arg;
	const struct pd_segment_desc *d = &e->seg->desc;

	return nla_put(msg, PEERDIST_A_SEGMENT_ID, d->hash_len, d->id) ?:
	       nla_put_u32(msg, PEERDIST_A_BLOCK_INDEX, e->index);
}

void pd_genl_notify_block(const struct pd_segment *seg, u32 index, bool added)
{
	struct block_event e = { .seg = seg, .index = index };

	notify(added ? PEERDIST_CMD_BLOCK_ADDED : PEERDIST_CMD_BLOCK_MISSING,
	       fill_block, &e);
}

static int fill_status(struct sk_buff *msg, const void *enabled)
{
	return nla_put_u8(msg, PEERDIST_A_ENABLED, *(const bool *)enabled);
}

void pd_genl_notify_status(bool enabled)
{
	notify(PEERDIST_CMD_STATUS_CHANGED, fill_status, &enabled);
}

int __init pd_genl_init(void)
{
	int err;

	/* Without cbc(aes), encrypt-block says so; the rest works. */
	if (pd_cipher_init(&pd_block_cipher))
		pr_notice("peerdist: no cbc(aes): encrypt-block is not available\n");
	err = genl_register_family(&pd_family);
	if (err)
		pd_cipher_exit(&pd_block_cipher);
	return err;
}

void pd_genl_exit(void)
{
	genl_unregister_family(&pd_family);
	pd_cipher_exit(&pd_block_cipher);
}
