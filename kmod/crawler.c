// SPDX-License-Identifier: GPL-2.0
/*
 * The crawler: delayed work that walks the index in batches, resuming
 * where it stopped, and reclaims expired items nobody has asked for.
 */
#include <linux/rhashtable.h>
#include <linux/workqueue.h>
#include <linux/err.h>
#include "kcache.h"
#include "crawler.h"
#include "netlink.h"

#define KC_CRAWL_BATCH		1024
#define KC_CRAWL_HOLD		64
#define KC_CRAWL_INTERVAL	(HZ)
#define KC_CRAWL_NEXT		(HZ / 50 ? HZ / 50 : 1)

/*
 * The crawler: walks the index in batches, resuming where it stopped, and
 * unlinks expired items nobody has asked for.
 */
static void crawler_fn(struct work_struct *work)
{
	struct kc_item *hold[KC_CRAWL_HOLD];
	u64 now = kc_now_ms();
	int n = 0, seen, i;

	rhashtable_walk_start(&kc.crawl_iter);
	for (seen = 0; seen < KC_CRAWL_BATCH && n < KC_CRAWL_HOLD; seen++) {
		struct kc_item *it = rhashtable_walk_next(&kc.crawl_iter);

		if (IS_ERR(it)) {
			if (PTR_ERR(it) == -EAGAIN)
				continue;
			break;
		}
		if (!it) {
			/* End of the table: start again next time. */
			rhashtable_walk_stop(&kc.crawl_iter);
			rhashtable_walk_exit(&kc.crawl_iter);
			rhashtable_walk_enter(&kc.index, &kc.crawl_iter);
			rhashtable_walk_start(&kc.crawl_iter);
			break;
		}
		if (kc_item_expired(it, now) &&
		    refcount_inc_not_zero(&it->ref))
			hold[n++] = it;
	}
	rhashtable_walk_stop(&kc.crawl_iter);

	for (i = 0; i < n; i++) {
		struct kc_item *it = hold[i];

		/* Acquire: as in kc_item_get(), the chunk may be reused. */
		if (smp_load_acquire(&it->state) == KC_ITEM_LINKED &&
		    kc_item_expired(it, now) && kc_item_unlink(it)) {
			struct kc_class *c = &kc.classes[it->clsid];

			spin_lock(&c->lru_lock);
			c->reclaimed++;
			spin_unlock(&c->lru_lock);
			kc_stat_inc(KC_STAT_CRAWLER_RECLAIMED);
			kc_stat_inc(KC_STAT_RECLAIMED);
			if (!READ_ONCE(it->fetched))
				kc_stat_inc(KC_STAT_EXPIRED_UNFETCHED);
			kc_notify(KC_EVENT_EXPIRE, kc_item_key(it), it->nkey);
		}
		kc_item_put(it);
	}
	/*
	 * Mid-table, go on soon but not at once (about 50 batches a second at
	 * most), so a big cache is not crawled nonstop; at the end, rest.
	 */
	queue_delayed_work(system_unbound_wq, &kc.crawler_work,
			   seen >= KC_CRAWL_BATCH || n ? KC_CRAWL_NEXT :
							  KC_CRAWL_INTERVAL);
}

void kc_crawler_init(void)
{
	INIT_DELAYED_WORK(&kc.crawler_work, crawler_fn);
	rhashtable_walk_enter(&kc.index, &kc.crawl_iter);
	queue_delayed_work(system_unbound_wq, &kc.crawler_work,
			   KC_CRAWL_INTERVAL);
}

void kc_crawler_exit(void)
{
	cancel_delayed_work_sync(&kc.crawler_work);
	rhashtable_walk_exit(&kc.crawl_iter);
}
