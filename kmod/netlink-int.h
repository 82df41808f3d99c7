/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the netlink family: what netlink.c (registration, permissions,
 * the do handlers), netlink-dump.c (KEYS and STATS) and netlink-notify.c
 * (PUBLISH and the keyspace events) share.  Nothing outside the family
 * includes this; the rest of the module sees netlink.h.
 */
#ifndef _KC_NETLINK_INT_H
#define _KC_NETLINK_INT_H

#include <net/genetlink.h>
#include <net/sock.h>
#include "instance.h"

extern struct genl_family kc_genl_family;
extern bool kc_genl_up;		/* registered: kc_notify() may send */

/*
 * The instance a request on skb's socket works on: its namespace's (the
 * socket keeps the namespace, so the instance, alive).  Made by the pre
 * hooks of the commands that need it (kc_nl_pre_*()), so never NULL there.
 */
static inline struct kc_cache *kc_nl_cache(const struct sk_buff *skb)
{
	return kc_net_cache(sock_net(skb->sk), true);
}

int kc_nl_data_permitted(const struct sk_buff *skb,
			 struct netlink_ext_ack *extack);
int kc_nl_check_dups(const struct nlmsghdr *nlh, u64 multi,
		     struct netlink_ext_ack *extack);

/* A reply to a do request: start, fill, then end (or too_big). */
void *kc_nl_reply_start(struct sk_buff **msg, size_t size,
			struct genl_info *info, u8 cmd);
int kc_nl_reply_end(struct sk_buff *msg, void *hdr, struct genl_info *info);
int kc_nl_reply_too_big(struct sk_buff *msg, struct genl_info *info);

#endif /* _KC_NETLINK_INT_H */
