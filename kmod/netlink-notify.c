// SPDX-License-Identifier: GPL-2.0
/*
 * Multicast of the kcache family: KC_CMD_PUBLISH to the pubsub group and
 * the keyspace events of kc_notify().  Neither waits for a listener; one
 * that does not keep up overruns (ENOBUFS).
 *
 * Locking: kc_notify() may be called with spinlocks held and from
 * reclaim: it allocates with KC_NOTIFY_GFP and checks under RCU that the
 * family is registered.
 */
#include <net/genetlink.h>
#include "kcache.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "netlink-int.h"

/* KC_CMD_PUBLISH */

int kcache_nl_publish_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *ch = info->attrs[KC_A_CHANNEL];
	struct nlattr *m = info->attrs[KC_A_MESSAGE];
	u32 mlen = m ? nla_len(m) : 0;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KC_A_CHANNEL)) {
		NL_SET_ERR_MSG(info->extack,
			       "missing KC_A_CHANNEL: where to publish");
		return -EINVAL;
	}
	if (!genl_has_listeners(&kc_genl_family, genl_info_net(info),
				KCACHE_NLGRP_PUBSUB))
		return 0;
	msg = genlmsg_new(nla_total_size(nla_len(ch)) + nla_total_size(mlen),
			  GFP_KERNEL_ACCOUNT);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &kc_genl_family, 0, KC_CMD_MESSAGE);
	if (!hdr ||
	    nla_put(msg, KC_A_CHANNEL, nla_len(ch), nla_data(ch)) ||
	    nla_put(msg, KC_A_MESSAGE, mlen, m ? nla_data(m) : NULL))
		return kc_nl_reply_too_big(msg, info);
	genlmsg_end(msg, hdr);
	/* Subscribers that fall behind overrun; the publisher never waits. */
	err = genlmsg_multicast_netns(&kc_genl_family, genl_info_net(info),
				      msg, 0, KCACHE_NLGRP_PUBSUB, GFP_KERNEL);
	return err == -ESRCH ? 0 : err;
}

/* Keyspace events */

/*
 * Events are sent from any context, reclaim too (the shrinker's evictions):
 * never dip into the emergency reserves (which reclaim itself needs) and
 * stay quiet when there is no memory: the event is dropped.
 */
#define KC_NOTIFY_GFP	(GFP_ATOMIC | __GFP_NOMEMALLOC | __GFP_NOWARN)

/*
 * The database whose items carry slot (kc_cache.dbmap), or -1.  Read
 * without excl_sem (an eviction holds none): during a SWAPDB an event may
 * name the database the key was in just before.
 */
static int slot_db(struct kc_cache *kc, int slot)
{
	int i;

	for (i = 0; slot >= 0 && i < KC_DB_COUNT; i++)
		if (READ_ONCE(kc->dbmap[i]) == slot)
			return i;
	return -1;
}

/*
 * Tells the keyspace group that key (of database slot, or none: -1) had
 * event ev, when notifications are on and anyone listens.  Any context but
 * NMI: never sleeps, never waits for a listener (a slow one overruns),
 * drops the event if it cannot allocate.
 */
void kc_notify(struct kc_cache *kc, enum kc_event ev, int slot, const char *key,
	       u32 nkey)
{
	struct sk_buff *msg;
	int db;
	void *hdr;

	if (!READ_ONCE(kc->notify))
		return;
	rcu_read_lock();
	if (!READ_ONCE(kc_genl_up) ||
	    !genl_has_listeners(&kc_genl_family, kc->net,
				KCACHE_NLGRP_KEYSPACE))
		goto out;
	msg = genlmsg_new(2 * nla_total_size(sizeof(u32)) +
			  nla_total_size(nkey), KC_NOTIFY_GFP);
	if (!msg)
		goto out;
	db = slot_db(kc, slot);
	hdr = genlmsg_put(msg, 0, 0, &kc_genl_family, 0, KC_CMD_EVENT);
	if (!hdr || nla_put_u32(msg, KC_A_EVENT, ev) ||
	    (db >= 0 && nla_put_u32(msg, KC_A_DB, db)) ||
	    (key && nla_put(msg, KC_A_KEY, nkey, key))) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&kc_genl_family, kc->net, msg, 0,
				KCACHE_NLGRP_KEYSPACE, KC_NOTIFY_GFP);
out:
	rcu_read_unlock();
}
