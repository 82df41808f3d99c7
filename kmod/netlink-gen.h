/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/kcache.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_KCACHE_GEN_H
#define _LINUX_KCACHE_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

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

/* Ops table for kcache */
extern const struct genl_split_ops kcache_nl_ops[10];

int kc_nl_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
		   struct genl_info *info);
int kc_nl_pre_data(const struct genl_split_ops *ops, struct sk_buff *skb,
		   struct genl_info *info);
int kc_nl_pre_admin(const struct genl_split_ops *ops, struct sk_buff *skb,
		    struct genl_info *info);
int kc_nl_keys_start(struct netlink_callback *cb);
int kc_nl_stats_start(struct netlink_callback *cb);
int kc_nl_instances_start(struct netlink_callback *cb);
int kc_nl_keys_done(struct netlink_callback *cb);

int kcache_nl_version_doit(struct sk_buff *skb, struct genl_info *info);
int kcache_nl_op_doit(struct sk_buff *skb, struct genl_info *info);
int kcache_nl_keys_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int kcache_nl_stats_doit(struct sk_buff *skb, struct genl_info *info);
int kcache_nl_stats_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int kcache_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info);
int kcache_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info);
int kcache_nl_flush_doit(struct sk_buff *skb, struct genl_info *info);
int kcache_nl_publish_doit(struct sk_buff *skb, struct genl_info *info);
int kcache_nl_instances_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);

enum {
	KCACHE_NLGRP_PUBSUB,
	KCACHE_NLGRP_KEYSPACE,
};

#endif /* _LINUX_KCACHE_GEN_H */
