/* SPDX-License-Identifier: GPL-2.0 */
/* Differences between the kernel versions kcache builds for (6.1 .. 6.12). */
#ifndef _KC_COMPAT_H
#define _KC_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/shrinker.h>
#include <linux/refcount.h>
#include <asm/barrier.h>

typedef unsigned long (*kc_shrink_fn)(struct shrinker *,
				      struct shrink_control *);

#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
static inline struct shrinker *kc_shrinker_create(kc_shrink_fn count,
						  kc_shrink_fn scan,
						  const char *name)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	shrinker_register(s);
	return s;
}

static inline void kc_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *kc_shrinker_create(kc_shrink_fn count,
						  kc_shrink_fn scan,
						  const char *name)
{
	static struct shrinker kc_shrinker_storage;

	kc_shrinker_storage.count_objects = count;
	kc_shrinker_storage.scan_objects = scan;
	kc_shrinker_storage.seeks = DEFAULT_SEEKS;
	if (register_shrinker(&kc_shrinker_storage, "%s", name))
		return NULL;
	return &kc_shrinker_storage;
}

static inline void kc_shrinker_destroy(struct shrinker *s)
{
	unregister_shrinker(s);
}
#endif

/* struct device_type's devnode() took a const device from 6.2 on. */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define KC_DEVNODE_CONST const
#else
#define KC_DEVNODE_CONST
#endif

/*
 * Generic netlink: the op table generated from the netlink spec
 * (netlink-gen.c) is an array of struct genl_split_ops, which exists from
 * 6.2 on.  6.1 registers full ops (one per command, its do and dump
 * sharing one policy, a pre_doit per family): for it the struct is
 * declared here with the members the generated table sets, and
 * netlink.c turns the table into full ops when it registers the family.
 * A dump's parsed attributes live in a struct genl_info from 6.6 on.
 */
#if KERNEL_VERSION(6, 2, 0) > LINUX_VERSION_CODE
#include <net/genetlink.h>

#define KC_GENL_FULL_OPS	/* the family registers full ops */

struct genl_split_ops {
	int (*pre_doit)(const struct genl_split_ops *ops, struct sk_buff *skb,
			struct genl_info *info);
	int (*doit)(struct sk_buff *skb, struct genl_info *info);
	int (*start)(struct netlink_callback *cb);
	int (*dumpit)(struct sk_buff *skb, struct netlink_callback *cb);
	int (*done)(struct netlink_callback *cb);
	const struct nla_policy *policy;
	unsigned int maxattr;
	u8 cmd;
	u8 flags;	/* GENL_ADMIN_PERM, GENL_CMD_CAP_DO or _DUMP */
};
#endif

#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
#define kc_dump_attrs(cb)	(genl_info_dump(cb)->attrs)
#else
#define kc_dump_attrs(cb)	(genl_dumpit_info(cb)->attrs)
#endif

/* Extack messages with numbers in them exist from 6.2 on; 6.1 gets msg. */
#ifdef NL_SET_ERR_MSG_FMT
#define KC_SET_ERR_MSG_FMT(extack, msg, fmt, ...) do {		\
	(void)(msg);						\
	NL_SET_ERR_MSG_FMT(extack, fmt, ##__VA_ARGS__);		\
} while (0)
#else
#define KC_SET_ERR_MSG_FMT(extack, msg, fmt, ...) do {		\
	(void)(fmt);						\
	NL_SET_ERR_MSG(extack, msg);				\
} while (0)
#endif

/*
 * Takes a reference on a chunk that may have been freed and reused (the
 * SLAB_TYPESAFE_BY_RCU pattern, kcache.h), with acquire ordering: the
 * caller's next loads (it->state, it->owner, the key) are not satisfied
 * before the increment, so a LINKED state seen after it belongs to the
 * item that reference pins.  refcount_inc_not_zero() alone is relaxed.
 * Every reused-chunk validation takes its reference here.
 *
 * refcount_inc_not_zero_acquire() is new (6.16, backported to some 6.12
 * stable kernels): Kbuild defines KC_HAVE_REFCOUNT_ACQUIRE when the
 * headers have it.  Elsewhere the failed-or-not branch on the result is a
 * control dependency, which smp_acquire__after_ctrl_dep() upgrades to
 * acquire.  On x86 both compile to the locked cmpxchg alone (TSO): no test
 * on the machines kcache is tested on can tell the orders apart.
 */
static inline __must_check bool kc_ref_tryget(refcount_t *r)
{
#ifdef KC_HAVE_REFCOUNT_ACQUIRE
	return refcount_inc_not_zero_acquire(r);
#else
	if (!refcount_inc_not_zero(r))
		return false;
	smp_acquire__after_ctrl_dep();
	return true;
#endif
}

/*
 * rhashtable's bucket lock: with the irq flags since 6.10 (the header
 * changed rht_lock()'s signature; 6.1 and 6.12 are the ones tested).
 */
#include <linux/rhashtable.h>
#if KERNEL_VERSION(6, 10, 0) <= LINUX_VERSION_CODE
static inline unsigned long kc_rht_lock(struct bucket_table *tbl,
					struct rhash_lock_head __rcu **bkt)
{
	return rht_lock(tbl, bkt);
}

static inline void kc_rht_unlock(struct bucket_table *tbl,
				 struct rhash_lock_head __rcu **bkt,
				 unsigned long flags)
{
	rht_unlock(tbl, bkt, flags);
}
#else
static inline unsigned long kc_rht_lock(struct bucket_table *tbl,
					struct rhash_lock_head __rcu **bkt)
{
	rht_lock(tbl, bkt);
	return 0;
}

static inline void kc_rht_unlock(struct bucket_table *tbl,
				 struct rhash_lock_head __rcu **bkt,
				 unsigned long flags)
{
	rht_unlock(tbl, bkt);
}
#endif

#endif /* _KC_COMPAT_H */
