// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/kcache.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/kcache.h>
#include <compat.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>
#include <linux/kcache.h>

/* Integer value ranges */
static const struct netlink_range_validation kc_a_item_size_max_range = {
	.min	= 1024ULL,
	.max	= KC_ITEM_SIZE_LIMIT,
};

/* KC_CMD_OP - do */
static const struct nla_policy kcache_op_nl_policy[KC_A_DB + 1] = {
	[KC_A_OPCODE] = NLA_POLICY_MAX(NLA_U32, KC_OP_MAX),
	[KC_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x7fffffff),
	[KC_A_KEY] = NLA_POLICY_RANGE(NLA_BINARY, 1, KC_KEY_MAX),
	[KC_A_VALUE] = { .type = NLA_BINARY, .len = KC_NL_VALUE_MAX, },
	[KC_A_NUM] = { .type = NLA_S64, },
	[KC_A_NUM2] = { .type = NLA_S64, },
	[KC_A_EXPIRE] = { .type = NLA_S64, },
	[KC_A_CAS] = { .type = NLA_U64, },
	[KC_A_CLIENT_FLAGS] = { .type = NLA_U32, },
	[KC_A_ARG] = { .type = NLA_BINARY, .len = KC_NL_VALUE_MAX, },
	[KC_A_DB] = NLA_POLICY_MAX(NLA_U32, 15),
};

/* KC_CMD_KEYS - dump */
static const struct nla_policy kcache_keys_nl_policy[KC_A_DB + 1] = {
	[KC_A_PATTERN] = NLA_POLICY_RANGE(NLA_BINARY, 1, KC_PATTERN_MAX),
	[KC_A_TYPE] = NLA_POLICY_RANGE(NLA_U32, 1, KC_TYPE_MAX),
	[KC_A_DB] = NLA_POLICY_MAX(NLA_U32, 15),
};

/* KC_CMD_STATS - do */
static const struct nla_policy kcache_stats_do_nl_policy[KC_A_CLASS_ID + 1] = {
	[KC_A_CLASS_ID] = NLA_POLICY_MAX(NLA_U32, 127),
};

/* KC_CMD_STATS - dump */
static const struct nla_policy kcache_stats_dump_nl_policy[KC_A_CLASS_ID + 1] = {
	[KC_A_CLASS_ID] = NLA_POLICY_MAX(NLA_U32, 127),
};

/* KC_CMD_CONFIG_SET - do */
static const struct nla_policy kcache_config_set_nl_policy[KC_A_NOEVICT + 1] = {
	[KC_A_MEMORY_LIMIT_MB] = NLA_POLICY_MIN(NLA_U64, 2),
	[KC_A_NOTIFY] = NLA_POLICY_MAX(NLA_U32, 1),
	[KC_A_AUTOMOVE] = NLA_POLICY_MAX(NLA_U32, 1),
	[KC_A_ITEM_SIZE_MAX] = NLA_POLICY_FULL_RANGE(NLA_U32, &kc_a_item_size_max_range),
	[KC_A_NOEVICT] = NLA_POLICY_MAX(NLA_U32, 1),
};

/* KC_CMD_FLUSH - do */
static const struct nla_policy kcache_flush_nl_policy[KC_A_DB + 1] = {
	[KC_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x7fffffff),
	[KC_A_DB] = NLA_POLICY_MAX(NLA_U32, 15),
};

/* KC_CMD_PUBLISH - do */
static const struct nla_policy kcache_publish_nl_policy[KC_A_MESSAGE + 1] = {
	[KC_A_CHANNEL] = NLA_POLICY_RANGE(NLA_BINARY, 1, KC_CHANNEL_MAX),
	[KC_A_MESSAGE] = { .type = NLA_BINARY, .len = KC_NL_VALUE_MAX, },
};

/* Ops table for kcache */
const struct genl_split_ops kcache_nl_ops[10] = {
	{
		.cmd		= KC_CMD_VERSION,
		.pre_doit	= kc_nl_pre_doit,
		.doit		= kcache_nl_version_doit,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KC_CMD_OP,
		.pre_doit	= kc_nl_pre_data,
		.doit		= kcache_nl_op_doit,
		.policy		= kcache_op_nl_policy,
		.maxattr	= KC_A_DB,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KC_CMD_KEYS,
		.start		= kc_nl_keys_start,
		.dumpit		= kcache_nl_keys_dumpit,
		.done		= kc_nl_keys_done,
		.policy		= kcache_keys_nl_policy,
		.maxattr	= KC_A_DB,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KC_CMD_STATS,
		.pre_doit	= kc_nl_pre_doit,
		.doit		= kcache_nl_stats_doit,
		.policy		= kcache_stats_do_nl_policy,
		.maxattr	= KC_A_CLASS_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KC_CMD_STATS,
		.start		= kc_nl_stats_start,
		.dumpit		= kcache_nl_stats_dumpit,
		.policy		= kcache_stats_dump_nl_policy,
		.maxattr	= KC_A_CLASS_ID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KC_CMD_CONFIG_GET,
		.pre_doit	= kc_nl_pre_doit,
		.doit		= kcache_nl_config_get_doit,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KC_CMD_CONFIG_SET,
		.pre_doit	= kc_nl_pre_admin,
		.doit		= kcache_nl_config_set_doit,
		.policy		= kcache_config_set_nl_policy,
		.maxattr	= KC_A_NOEVICT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KC_CMD_FLUSH,
		.pre_doit	= kc_nl_pre_admin,
		.doit		= kcache_nl_flush_doit,
		.policy		= kcache_flush_nl_policy,
		.maxattr	= KC_A_DB,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KC_CMD_PUBLISH,
		.pre_doit	= kc_nl_pre_data,
		.doit		= kcache_nl_publish_doit,
		.policy		= kcache_publish_nl_policy,
		.maxattr	= KC_A_MESSAGE,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= KC_CMD_INSTANCES,
		.start	= kc_nl_instances_start,
		.dumpit	= kcache_nl_instances_dumpit,
		.flags	= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
};

static const struct genl_multicast_group kcache_nl_mcgrps[] = {
	[KCACHE_NLGRP_PUBSUB] = { "pubsub", },
	[KCACHE_NLGRP_KEYSPACE] = { "keyspace", },
};
