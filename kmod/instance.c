// SPDX-License-Identifier: GPL-2.0
/*
 * Cache instances: a struct kc_cache is an object with its own items,
 * index, LRUs, statistics, configuration and workers, one per network
 * namespace.  Requests reach theirs through struct kc_req (kc_op_cache()),
 * items through their slab page or large buffer (kc_item_cache()), classes
 * through the instance that embeds them (kc_class_cache()), /dev/kcache fds
 * through file->private_data (the opener's namespace's, fixed at open) and
 * netlink through sock_net() (kc_nl_cache()).
 *
 * Lifetime.  init_net's instance is made at module load; another
 * namespace's on its first use (open of /dev/kcache, a netlink request),
 * so that namespaces that never use the cache cost nothing.  When the
 * namespace goes away (pernet exit), its instance is shut down: marked
 * dead under excl_sem held for writing (every op checks dead under
 * excl_sem, so none runs on it afterwards and ops then fail with
 * -ENODEV), taken off kc_instances (the shrinker visits the list under
 * SRCU, so it is waited for), its workers stopped and every item and page
 * freed.  The struct itself lives on while an fd still points at it
 * (ref), so such an fd gets -ENODEV, never a freed instance.
 *
 * Locks: kc_instances_mutex serialises creation and shutdown and protects
 * kc_instances for writers; it is taken with no other kcache lock held.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/srcu.h>
#include <linux/rculist.h>
#include <linux/proc_ns.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "kcache.h"
#include "automover.h"
#include "config.h"
#include "crawler.h"
#include "index.h"
#include "instance.h"
#include "slab.h"
#include "stats.h"

struct kc_net {
	struct kc_cache *cache;		/* NULL until first used */
};

static unsigned int kc_net_id __read_mostly;
static struct kc_cache_params kc_params;
static DEFINE_MUTEX(kc_instances_mutex);
static LIST_HEAD(kc_instances);
static u32 kc_instances_gen = 1;	/* bumped as one is made or goes */
DEFINE_STATIC_SRCU(kc_instances_srcu);

static struct kc_cache *cache_create(struct net *net,
				     const struct kc_cache_params *p)
{
	struct kc_cache *kc;
	int err, i;

	kc = kvzalloc(sizeof(*kc), GFP_KERNEL_ACCOUNT);
	if (!kc)
		return ERR_PTR(-ENOMEM);
	mutex_init(&kc->rebalance_mutex);
	kc->automove = p->automove;
	kc->start_ms = kc_now_ms();
	kc->net = net;
	kc->user_ns = get_user_ns(net->user_ns);
	kc->net_cookie = net->ns.inum;
	for (i = 0; i < KC_DB_COUNT; i++)
		kc->dbmap[i] = i;
	refcount_set(&kc->ref, 1);
	err = percpu_init_rwsem(&kc->excl_sem);
	if (err)
		goto err_free;
	err = kc_keylocks_init(&kc->keylocks);
	if (err)
		goto err_excl;
	err = kc_stats_init(kc);
	if (err)
		goto err_keylocks;
	err = kc_slab_init(kc, p->limit_bytes, p->chunk_min, p->factor_pct,
			   p->item_size_max);
	if (err)
		goto err_stats;
	err = kc_index_init(kc);
	if (err)
		goto err_slab;
	kc_crawler_init(kc);
	kc_automover_init(kc);
	return kc;

err_slab:
	kc_slab_exit(kc);
err_stats:
	kc_stats_exit(kc);
err_keylocks:
	kc_keylocks_exit(&kc->keylocks);
err_excl:
	percpu_free_rwsem(&kc->excl_sem);
err_free:
	put_user_ns(kc->user_ns);
	kvfree(kc);
	return ERR_PTR(err);
}

static void cache_free_rcu(struct rcu_head *head)
{
	struct kc_cache *kc = container_of(head, struct kc_cache, rcu);

	kc_stats_exit(kc);
	put_user_ns(kc->user_ns);
	kvfree(kc);
}

/* Drops a reference; the last frees what shutdown left (stats, struct). */
void kc_cache_put(struct kc_cache *kc)
{
	if (!refcount_dec_and_test(&kc->ref))
		return;
	kc_keylocks_exit(&kc->keylocks);
	percpu_free_rwsem(&kc->excl_sem);
	/* The shrinker may still look at it under SRCU (count only). */
	call_srcu(&kc_instances_srcu, &kc->rcu, cache_free_rcu);
}

void kc_cache_get(struct kc_cache *kc)
{
	refcount_inc(&kc->ref);
}

/*
 * Frees every item and page of kc and stops its workers; ops on it fail
 * with -ENODEV from now on.  kc_instances_mutex held.
 */
static void cache_shutdown(struct kc_cache *kc)
{
	lockdep_assert_held(&kc_instances_mutex);
	kc_config_kill(kc);		/* sets dead */
	/* Waits out the ops that run; later ones see dead. */
	percpu_down_write(&kc->excl_sem);
	percpu_up_write(&kc->excl_sem);
	list_del_rcu(&kc->node);
	kc_instances_gen++;
	synchronize_srcu(&kc_instances_srcu);	/* the shrinker is done */
	kc_automover_exit(kc);
	kc_crawler_exit(kc);
	kc_items_exit(kc);
	kc_index_exit(kc);
	kc_slab_exit(kc);
}

static struct kc_net *kc_net(const struct net *net)
{
	return net_generic(net, kc_net_id);
}

/*
 * The instance of net, made on first use unless create is false; NULL if
 * it has none or cannot have one (no memory).  The pointer stays valid as
 * long as net does; kc_cache_get() it to keep it longer.
 */
struct kc_cache *kc_net_cache(struct net *net, bool create)
{
	struct kc_net *kn = kc_net(net);
	/* Pairs with the release below: a cache seen is fully made. */
	struct kc_cache *kc = smp_load_acquire(&kn->cache);

	if (kc || !create)
		return kc;
	mutex_lock(&kc_instances_mutex);
	kc = kn->cache;
	if (!kc) {
		struct kc_cache_params p = kc_params;

		if (!net_eq(net, &init_net))
			p.limit_bytes = p.netns_limit_bytes;
		p.limit_bytes = kc_config_admit(p.limit_bytes);
		kc = cache_create(net, &p);
		if (IS_ERR(kc)) {
			kc_config_unadmit(p.limit_bytes);
			kc = NULL;
		} else {
			list_add_tail_rcu(&kc->node, &kc_instances);
			kc_instances_gen++;
			/* Publishes the made cache (acquire above). */
			smp_store_release(&kn->cache, kc);
		}
	}
	mutex_unlock(&kc_instances_mutex);
	return kc;
}

static int __net_init kc_net_init(struct net *net)
{
	kc_net(net)->cache = NULL;
	return 0;
}

static void __net_exit kc_net_exit(struct net *net)
{
	struct kc_net *kn = kc_net(net);
	struct kc_cache *kc;

	mutex_lock(&kc_instances_mutex);
	kc = kn->cache;
	WRITE_ONCE(kn->cache, NULL);
	if (kc)
		cache_shutdown(kc);
	mutex_unlock(&kc_instances_mutex);
	if (kc)
		kc_cache_put(kc);
}

static struct pernet_operations kc_net_ops = {
	.init = kc_net_init,
	.exit = kc_net_exit,
	.id = &kc_net_id,
	.size = sizeof(struct kc_net),
};

int kc_instances_init(const struct kc_cache_params *p)
{
	int err;

	kc_params = *p;
	err = register_pernet_subsys(&kc_net_ops);
	if (err)
		return err;
	/* init_net's instance exists from the start, with memory_mb. */
	if (!kc_net_cache(&init_net, true)) {
		unregister_pernet_subsys(&kc_net_ops);
		return -ENOMEM;
	}
	return 0;
}

/* Every instance goes with its namespace's pernet exit. */
void kc_instances_exit(void)
{
	unregister_pernet_subsys(&kc_net_ops);
	srcu_barrier(&kc_instances_srcu);
}

/*
 * Calls fn on every live instance and sums what it returns; fn may sleep
 * but takes no mutex or semaphore (the shrinker's rule).
 */
unsigned long kc_instances_sum(unsigned long (*fn)(struct kc_cache *kc,
						   unsigned long arg),
			       unsigned long arg)
{
	unsigned long sum = 0;
	struct kc_cache *kc;
	int idx;

	idx = srcu_read_lock(&kc_instances_srcu);
	list_for_each_entry_srcu(kc, &kc_instances, node,
				 srcu_read_lock_held(&kc_instances_srcu)) {
		if (!READ_ONCE(kc->dead))
			sum += fn ? fn(kc, arg) : 1;
	}
	srcu_read_unlock(&kc_instances_srcu, idx);
	return sum;
}

/*
 * Calls fn on the instances after the first skip, in the order they were
 * made, until fn fails; returns how many fn took.  *gen is the list's
 * generation, set before the first call (it changes as an instance is
 * made or goes away: a dump's consistency check).  fn runs under
 * kc_instances_mutex, with no other kcache lock: it may sleep.
 */
u32 kc_instances_walk(u32 skip, int (*fn)(struct kc_cache *kc, void *arg),
		      void *arg, u32 *gen)
{
	struct kc_cache *kc;
	u32 pos = 0, done = 0;

	mutex_lock(&kc_instances_mutex);
	*gen = kc_instances_gen;
	/* Shutdown takes an instance off the list under the mutex. */
	list_for_each_entry(kc, &kc_instances, node) {
		if (pos++ < skip)
			continue;
		if (fn(kc, arg))
			break;
		done++;
	}
	mutex_unlock(&kc_instances_mutex);
	return done;
}
