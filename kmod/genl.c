// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generic netlink family "peerdist" (spec:
 * Documentation/netlink/specs/peerdist.yaml; tests/check-uapi keeps this
 * policy and the uapi header in step with it). Policies are strict: an
 * unknown attribute, a wrong length or a value out of range is refused
 * before a handler runs.
 */
#include <net/genetlink.h>

#include <linux/peerdist.h>

#include "peerdist.h"

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
};

static struct genl_family pd_family;

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

static int put_status(struct sk_buff *msg)
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
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &pd_family, 0, PEERDIST_CMD_GET_STATUS);
	if (!hdr) {
		err = -EMSGSIZE;
		goto free_msg;
	}
	err = put_status(msg);
	if (err)
		goto free_msg;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

free_msg:
	nlmsg_free(msg);
	return err;
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
};

static struct genl_family pd_family __ro_after_init = {
	.name = PEERDIST_FAMILY_NAME,
	.version = PEERDIST_FAMILY_VERSION,
	.maxattr = PEERDIST_A_MAX,
	.policy = pd_policy,
	.module = THIS_MODULE,
	.small_ops = pd_ops,
	.n_small_ops = ARRAY_SIZE(pd_ops),
	.resv_start_op = PEERDIST_CMD_SET_LIMITS + 1,
	.netnsok = true,
};

int __init pd_genl_init(void)
{
	return genl_register_family(&pd_family);
}

void pd_genl_exit(void)
{
	genl_unregister_family(&pd_family);
}
