// SPDX-License-Identifier: GPL-2.0
/*
 * The dumps of the kcache family: KC_CMD_KEYS, which walks the index
 * across callbacks and flags (NLM_F_DUMP_INTR) what it cannot promise,
 * and KC_CMD_STATS (its get and its per-class dump).  netlink.c registers
 * the family; netlink-gen.c names these handlers.
 *
 * Locking: no cache lock is taken here; the keys dump holds references.
 */
#include <net/genetlink.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include "kcache.h"
#include "compat.h"
#include "glob.h"
#include "index.h"
#include "instance.h"
#include "netlink-gen.h"
#include "netlink-int.h"
#include "stats.h"

/* KC_CMD_KEYS */

#define KEYS_BATCH	64	/* items looked at per RCU read section */
#define KEYS_HELD	32	/* keys of one bucket remembered */

/*
 * State of a keys dump, between its callbacks.  The walker stays in the
 * index between callbacks (kc_walk_stop/start).  held[] pins the
 * items emitted from the current bucket: pinned chunks cannot be reused,
 * so a pointer seen again is the same key (see keys_dump()).
 */
struct keys_dump {
	struct kc_walk walk;
	struct kc_item *pending;	/* wanted, did not fit in the skb */
	struct kc_item *held[KEYS_HELD];
	struct kc_item *drop[KEYS_BATCH + KEYS_HELD];
	unsigned int nheld, ndrop;
	unsigned int slot;		/* the bucket of held[] */
	u64 emitted;
	bool done;
	u32 type;			/* 0: every type */
	u32 db;				/* the database dumped */
	u32 plen;			/* 0: every key */
	u8 pattern[KC_PATTERN_MAX];
};

struct keys_ctx {
	struct keys_dump *d;
};

static_assert(sizeof(struct keys_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct keys_dump *keys_of(struct netlink_callback *cb)
{
	return ((struct keys_ctx *)cb->ctx)->d;
}

/*
 * The dump can no longer promise every key exactly once: the next message
 * (or NLMSG_DONE) carries NLM_F_DUMP_INTR.  .start set cb->prev_seq so
 * that even the first message is flagged.
 */
static void keys_interrupted(struct netlink_callback *cb)
{
	cb->seq++;
}

/* Items are only released after rhashtable_walk_stop(): a put may sleep. */
static void keys_drop(struct keys_dump *d, struct kc_item *it)
{
	if (!WARN_ON_ONCE(d->ndrop >= ARRAY_SIZE(d->drop)))
		d->drop[d->ndrop++] = it;
}

static void keys_forget_bucket(struct keys_dump *d)
{
	while (d->nheld)
		keys_drop(d, d->held[--d->nheld]);
	d->slot = kc_walk_slot(&d->walk);
}

static void keys_put_dropped(struct keys_dump *d)
{
	while (d->ndrop)
		kc_item_put(d->drop[--d->ndrop]);
}

static void keys_hold(struct netlink_callback *cb, struct keys_dump *d,
		      struct kc_item *it)
{
	d->emitted++;
	if (d->nheld < KEYS_HELD) {
		d->held[d->nheld++] = it;
		return;
	}
	/* Too many to tell apart again should the walk lose its place. */
	keys_interrupted(cb);
	keys_drop(d, it);
}

/* The walk moved to another table (a resize): it starts over there. */
static void keys_restart(struct netlink_callback *cb, struct keys_dump *d)
{
	if (d->emitted)
		keys_interrupted(cb);
	keys_forget_bucket(d);
}

/* Should a referenced item it go into the dump?  Under RCU. */
static bool keys_want(struct netlink_callback *cb, struct keys_dump *d,
		      struct kc_item *it, u64 now)
{
	unsigned int i;

	/*
	 * Pairs with the release in __kc_item_link(): the key is whole.  A
	 * chunk that is not a LINKED item (unlinked, or freed and reused
	 * since) may have led the walker out of its bucket: its next
	 * pointer is no longer the bucket's.
	 */
	if (smp_load_acquire(&it->state) != KC_ITEM_LINKED) {
		keys_interrupted(cb);
		return false;
	}
	if (!kc_walk_same_bucket(&d->walk, it)) {
		/*
		 * Freed and reused under the walker, it is in another
		 * bucket's chain now, and so is the walker: it skipped
		 * the rest of its bucket.
		 */
		keys_interrupted(cb);
		return false;
	}
	for (i = 0; i < d->nheld; i++)
		if (d->held[i] == it)
			return false;
	/* A SWAPDB during the dump: the keys of either database after it. */
	if (it->db != READ_ONCE(kc_item_cache(it)->dbmap[d->db]))
		return false;
	if (kc_item_expired(it, now) || (d->type && it->type != d->type))
		return false;
	return !d->plen || kc_glob_match(d->pattern, d->plen,
					 kc_item_key(it), it->nkey);
}

static int keys_put(struct sk_buff *skb, struct netlink_callback *cb,
		    struct kc_item *it)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &kc_genl_family, NLM_F_MULTI, KC_CMD_KEYS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put(skb, KC_A_KEY, it->nkey, kc_item_key(it)) ||
	    nla_put_u32(skb, KC_A_TYPE, it->type)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	/* Only for a message that stays: checking marks it as seen. */
	genl_dump_check_consistent(cb, hdr);
	genlmsg_end(skb, hdr);
	return 0;
}

int kc_nl_keys_start(struct netlink_callback *cb)
{
	struct kc_cache *kc = kc_nl_cache(cb->skb);
	struct nlattr **tb = kc_dump_attrs(cb);
	struct keys_dump *d;
	int err;

	if (!kc)
		return -ENOMEM;
	err = kc_nl_check_dups(cb->nlh, 0, cb->extack);
	if (!err)
		err = kc_nl_data_permitted(cb->skb, cb->extack);
	if (err)
		return err;
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return -ENOMEM;
	if (tb[KC_A_PATTERN]) {
		d->plen = nla_len(tb[KC_A_PATTERN]);
		memcpy(d->pattern, nla_data(tb[KC_A_PATTERN]), d->plen);
	}
	if (tb[KC_A_TYPE])
		d->type = nla_get_u32(tb[KC_A_TYPE]);
	if (tb[KC_A_DB])
		d->db = nla_get_u32(tb[KC_A_DB]);
	kc_walk_enter(kc, &d->walk);
	d->slot = kc_walk_slot(&d->walk);
	cb->seq = 1;
	cb->prev_seq = 1;
	((struct keys_ctx *)cb->ctx)->d = d;
	return 0;
}

/*
 * Emits the keys in skb until it is full, KEYS_BATCH items per RCU read
 * section.  Exactly once, unless flagged:
 *  - between callbacks the walker keeps its place by pointer; if that
 *    item was deleted meanwhile, the bucket is walked again from its head
 *    (kc_walk_start()) and held[] drops the keys already sent;
 *  - a resize moves the walk to the new table from its start
 *    (-EAGAIN): keys may repeat or be missed, flagged;
 *  - a chunk freed and reused while the walker stands on it leads the
 *    walker into another chain and the rest of its bucket is skipped:
 *    flagged when the walker meets a chunk it cannot pin as a LINKED
 *    item of its bucket (freed, unlinked, or in another bucket), since
 *    from there its next pointer may lead anywhere.
 */
int kcache_nl_keys_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct keys_dump *d = keys_of(cb);
	u64 now = kc_now_ms();
	bool full = false, lost;
	int n;

	if (d->done)
		return 0;
	if (d->pending) {
		if (keys_put(skb, cb, d->pending))
			return skb->len;
		keys_hold(cb, d, d->pending);
		d->pending = NULL;
	}
	while (!full && !d->done) {
		if (kc_walk_start(&d->walk))
			keys_restart(cb, d);
		for (n = 0; n < KEYS_BATCH; n++) {
			struct kc_item *it;

			lost = false;
			it = kc_walk_step(&d->walk, &lost);
			if (lost)
				keys_restart(cb, d);
			if (!it) {
				d->done = true;
				break;
			}
			if (kc_walk_slot(&d->walk) != d->slot)
				keys_forget_bucket(d);
			if (!kc_ref_tryget(&it->ref)) {
				/* Freed: it may be reused into another chain. */
				keys_interrupted(cb);
				continue;
			}
			if (!keys_want(cb, d, it, now)) {
				keys_drop(d, it);
				continue;
			}
			if (keys_put(skb, cb, it)) {
				d->pending = it;
				full = true;
				break;
			}
			keys_hold(cb, d, it);
		}
		kc_walk_stop(&d->walk);
		keys_put_dropped(d);
		if (!full && !d->done)
			cond_resched();
	}
	return skb->len;
}

int kc_nl_keys_done(struct netlink_callback *cb)
{
	struct keys_dump *d = keys_of(cb);

	if (!d)
		return 0;
	kc_walk_exit(&d->walk);
	keys_forget_bucket(d);
	if (d->pending)
		keys_drop(d, d->pending);
	keys_put_dropped(d);
	kfree(d);
	return 0;
}

/* KC_CMD_STATS */

/* Attribute and offset of each u64 counter of a stats struct. */
struct stat_attr {
	u16 attr;
	u16 off;
};

#define STAT(a, f) { KC_STATS_A_##a, offsetof(struct kc_stats, f) }
static const struct stat_attr kc_stats_attrs[] = {
	STAT(LIMIT_BYTES, limit_bytes),
	STAT(USED_BYTES, used_bytes),
	STAT(SLAB_PAGES, slab_pages),
	STAT(LARGE_BYTES, large_bytes),
	STAT(CURR_ITEMS, curr_items),
	STAT(TOTAL_ITEMS, total_items),
	STAT(BYTES, bytes),
	STAT(GET_HITS, get_hits),
	STAT(GET_MISSES, get_misses),
	STAT(GET_EXPIRED, get_expired),
	STAT(CMD_GET, cmd_get),
	STAT(CMD_SET, cmd_set),
	STAT(CMD_TOUCH, cmd_touch),
	STAT(DELETE_HITS, delete_hits),
	STAT(DELETE_MISSES, delete_misses),
	STAT(INCR_HITS, incr_hits),
	STAT(INCR_MISSES, incr_misses),
	STAT(CAS_HITS, cas_hits),
	STAT(CAS_BADVAL, cas_badval),
	STAT(CAS_MISSES, cas_misses),
	STAT(EVICTIONS, evictions),
	STAT(EXPIRED_UNFETCHED, expired_unfetched),
	STAT(EVICTED_UNFETCHED, evicted_unfetched),
	STAT(RECLAIMED, reclaimed),
	STAT(CRAWLER_RECLAIMED, crawler_reclaimed),
	STAT(OUTOFMEMORY, outofmemory),
	STAT(SLABS_MOVED, slabs_moved),
	STAT(SHRINKER_FREED, shrinker_freed),
	STAT(HASH_ITEMS, hash_items),
	STAT(UPTIME_MS, uptime_ms),
	STAT(CAS_COUNTER, cas_counter),
};

#undef STAT

#define STAT(a, f) { KC_CLASS_A_##a, offsetof(struct kc_class_stats, f) }
static const struct stat_attr kc_class_attrs[] = {
	STAT(PAGES, pages),
	STAT(USED_CHUNKS, used_chunks),
	STAT(FREE_CHUNKS, free_chunks),
	STAT(ITEMS, items),
	STAT(HOT, hot),
	STAT(WARM, warm),
	STAT(COLD, cold),
	STAT(EVICTIONS, evictions),
	STAT(RECLAIMED, reclaimed),
	STAT(OUTOFMEMORY, outofmemory),
	STAT(MEM_REQUESTED, mem_requested),
};

#undef STAT

static int put_u64s(struct sk_buff *msg, const void *st,
		    const struct stat_attr *map, size_t n, int pad)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nla_put_u64_64bit(msg, map[i].attr,
				      *(const u64 *)(st + map[i].off), pad))
			return -EMSGSIZE;
	return 0;
}

static int put_stats(struct kc_cache *kc, struct sk_buff *msg)
{
	struct kc_stats *st;
	struct nlattr *nest;
	int err = -EMSGSIZE;

	st = kmalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	kc_stats_fill(kc, st);
	nest = nla_nest_start(msg, KC_A_STATS);
	if (!nest)
		goto out;
	if (nla_put_u32(msg, KC_STATS_A_NR_CLASSES, st->nr_classes) ||
	    put_u64s(msg, st, kc_stats_attrs, ARRAY_SIZE(kc_stats_attrs),
		     KC_STATS_A_PAD))
		goto out;
	nla_nest_end(msg, nest);
	err = 0;
out:
	kfree(st);
	return err;
}

static int put_class(struct kc_cache *kc, struct sk_buff *msg, u32 id)
{
	struct kc_class_stats cs;
	struct nlattr *nest;

	kc_class_stats_fill(kc, id, &cs);
	nest = nla_nest_start(msg, KC_A_CLASS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, KC_CLASS_A_ID, cs.id) ||
	    nla_put_u32(msg, KC_CLASS_A_CHUNK_SIZE, cs.chunk_size) ||
	    nla_put_u32(msg, KC_CLASS_A_CHUNKS_PER_PAGE, cs.chunks_per_page) ||
	    put_u64s(msg, &cs, kc_class_attrs, ARRAY_SIZE(kc_class_attrs),
		     KC_CLASS_A_PAD)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

int kcache_nl_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kc_cache *kc = kc_nl_cache(skb);
	struct nlattr *id = info->attrs[KC_A_CLASS_ID];
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (id && nla_get_u32(id) >= kc->nr_classes) {
		KC_SET_ERR_MSG_FMT(info->extack, "no such slab class",
				   "no such slab class: the module has %u",
				   kc->nr_classes);
		NL_SET_BAD_ATTR(info->extack, id);
		return -ERANGE;
	}
	hdr = kc_nl_reply_start(&msg, NLMSG_GOODSIZE, info, KC_CMD_STATS);
	if (!hdr)
		return -ENOMEM;
	err = id ? put_class(kc, msg, nla_get_u32(id)) : put_stats(kc, msg);
	if (err == -EMSGSIZE)
		return kc_nl_reply_too_big(msg, info);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return kc_nl_reply_end(msg, hdr, info);
}

struct stats_ctx {
	u32 next;		/* the next class to dump */
};

static_assert(sizeof(struct stats_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

int kc_nl_stats_start(struct netlink_callback *cb)
{
	struct nlattr **tb = kc_dump_attrs(cb);
	int err = kc_nl_check_dups(cb->nlh, 0, cb->extack);

	if (err)
		return err;
	if (tb[KC_A_CLASS_ID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, tb[KC_A_CLASS_ID],
				    "the dump returns every class: KC_A_CLASS_ID is for a get");
		return -EINVAL;
	}
	return 0;
}

int kcache_nl_stats_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kc_cache *kc = kc_nl_cache(cb->skb);
	struct stats_ctx *ctx = (struct stats_ctx *)cb->ctx;
	void *hdr;

	if (!kc)
		return -ENOMEM;
	for (; ctx->next < kc->nr_classes; ctx->next++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &kc_genl_family,
				  NLM_F_MULTI, KC_CMD_STATS);
		if (!hdr)
			break;
		if (put_class(kc, skb, ctx->next)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	return skb->len;
}

/* KC_CMD_INSTANCES: every instance, from the initial namespace. */

struct instances_ctx {
	u32 next;		/* instances already dumped */
};

static_assert(sizeof(struct instances_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

struct instance_put {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	u32 gen;
	int err;
};

int kc_nl_instances_start(struct netlink_callback *cb)
{
	if (!net_eq(sock_net(cb->skb->sk), &init_net)) {
		NL_SET_ERR_MSG(cb->extack,
			       "instances are listed from the initial network namespace only");
		return -EPERM;
	}
	return kc_nl_check_dups(cb->nlh, 0, cb->extack);
}

static int put_instance(struct kc_cache *kc, void *arg)
{
	struct instance_put *p = arg;
	struct netlink_callback *cb = p->cb;
	void *hdr;

	hdr = genlmsg_put(p->skb, NETLINK_CB(cb->skb).portid,
			  cb->nlh->nlmsg_seq, &kc_genl_family, NLM_F_MULTI,
			  KC_CMD_INSTANCES);
	if (!hdr)
		return -EMSGSIZE;
	/* An instance made or gone since the last part: NLM_F_DUMP_INTR. */
	cb->seq = p->gen;
	genl_dump_check_consistent(cb, hdr);
	p->err = nla_put_u32(p->skb, KC_A_NETNS_INO, (u32)kc->net_cookie) ?
		 -EMSGSIZE : put_stats(kc, p->skb);
	if (p->err) {
		genlmsg_cancel(p->skb, hdr);
		return p->err;
	}
	genlmsg_end(p->skb, hdr);
	return 0;
}

int kcache_nl_instances_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct instances_ctx *ctx = (struct instances_ctx *)cb->ctx;
	struct instance_put p = { .skb = skb, .cb = cb };
	u32 n;

	n = kc_instances_walk(ctx->next, put_instance, &p, &p.gen);
	ctx->next += n;
	/* Nothing written because of an error: say so rather than end. */
	if (p.err && !skb->len)
		return p.err;
	return skb->len;
}
