// SPDX-License-Identifier: GPL-2.0
/*
 * Cache instances: a struct kc_cache is an object with its own items,
 * index, LRUs, statistics, configuration and workers.  Requests reach
 * theirs through struct kc_req (kc_op_cache()), items through their slab
 * page or large buffer (kc_item_cache()), classes through the instance
 * that embeds them (kc_class_cache()).  Today there is one instance, the
 * initial network namespace's; kc_net_cache() is where a namespace finds
 * its own.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <net/net_namespace.h>
#include "kcache.h"
#include "automover.h"
#include "crawler.h"
#include "index.h"
#include "instance.h"
#include "slab.h"
#include "stats.h"

static struct kc_cache *kc_init_cache;

struct kc_cache *kc_cache_create(const struct kc_cache_params *p)
{
	struct kc_cache *kc;
	int err;

	kc = kvzalloc(sizeof(*kc), GFP_KERNEL);
	if (!kc)
		return ERR_PTR(-ENOMEM);
	mutex_init(&kc->rebalance_mutex);
	kc->automove = p->automove;
	kc->start_ms = kc_now_ms();
	err = percpu_init_rwsem(&kc->excl_sem);
	if (err)
		goto err_free;
	err = kc_stats_init(kc);
	if (err)
		goto err_excl;
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
err_excl:
	percpu_free_rwsem(&kc->excl_sem);
err_free:
	kvfree(kc);
	return ERR_PTR(err);
}

/* Frees every item and page of kc, then kc.  Nothing may use it any more. */
void kc_cache_destroy(struct kc_cache *kc)
{
	kc_automover_exit(kc);
	kc_crawler_exit(kc);
	kc_items_exit(kc);
	kc_index_exit(kc);
	kc_slab_exit(kc);
	kc_stats_exit(kc);
	percpu_free_rwsem(&kc->excl_sem);
	kvfree(kc);
}

int kc_instances_init(const struct kc_cache_params *p)
{
	struct kc_cache *kc = kc_cache_create(p);

	if (IS_ERR(kc))
		return PTR_ERR(kc);
	kc_init_cache = kc;
	return 0;
}

void kc_instances_exit(void)
{
	kc_cache_destroy(kc_init_cache);
	kc_init_cache = NULL;
}

/* The instance of net, or NULL if it has none. */
struct kc_cache *kc_net_cache(const struct net *net)
{
	return net_eq(net, &init_net) ? kc_init_cache : NULL;
}

