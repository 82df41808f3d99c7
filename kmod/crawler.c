// SPDX-License-Identifier: GPL-2.0
/*
 * The crawler: delayed work that walks the index in batches, resuming
 * where it stopped, and reclaims expired items nobody has asked for.
 */
#include <linux/workqueue.h>
#include "kcache.h"
#include "crawler.h"
#include "index.h"

#define KC_CRAWL_BATCH		1024
#define KC_CRAWL_HOLD		64
#define KC_CRAWL_INTERVAL	(HZ)
#define KC_CRAWL_NEXT		(HZ / 50 ? HZ / 50 : 1)

/* Where the crawler stands in the index, between its runs. */

/* Under RCU with no reference: a hint, kc_item_reclaim() decides. */
static bool crawl_want(const struct kc_item *it, void *now)
{
	return kc_item_expired(it, *(u64 *)now);
}

/*
 * One batch: pins up to KC_CRAWL_HOLD expired items among the next
 * KC_CRAWL_BATCH of the index and reclaims those still expired.
 */
static void crawler_fn(struct work_struct *work)
{
	struct kc_cache *kc = container_of(to_delayed_work(work),
					     struct kc_cache, crawler_work);
	struct kc_item *hold[KC_CRAWL_HOLD];
	u64 now = kc_now_ms();
	u32 n, i;

	n = kc_walk_next(&kc->crawl_walk, hold, KC_CRAWL_HOLD, KC_CRAWL_BATCH,
			 crawl_want, &now);
	for (i = 0; i < n; i++)
		if (kc_item_expired(hold[i], now))
			kc_item_reclaim(hold[i], KC_RECLAIM_CRAWLED);
	kc_walk_put(hold, n);
	/*
	 * Mid-table, go on soon but not at once (about 50 batches a second at
	 * most), so a big cache is not crawled nonstop; at the end, rest.
	 */
	queue_delayed_work(system_unbound_wq, &kc->crawler_work,
			   kc->crawl_walk.seen >= KC_CRAWL_BATCH || n ?
			   KC_CRAWL_NEXT : KC_CRAWL_INTERVAL);
}

void kc_crawler_init(struct kc_cache *kc)
{
	INIT_DELAYED_WORK(&kc->crawler_work, crawler_fn);
	kc_walk_enter(kc, &kc->crawl_walk);
	queue_delayed_work(system_unbound_wq, &kc->crawler_work,
			   KC_CRAWL_INTERVAL);
}

void kc_crawler_exit(struct kc_cache *kc)
{
	cancel_delayed_work_sync(&kc->crawler_work);
	kc_walk_exit(&kc->crawl_walk);
}
