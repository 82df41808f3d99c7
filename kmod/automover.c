// SPDX-License-Identifier: GPL-2.0
/*
 * The automover: once a second, when a class evicted items during the
 * last window, one page moves to it from a class that can give one (see
 * kc_slab_pick_donor()); under memory pressure (set by the shrinker) a
 * page of the biggest class is given back to the kernel.
 */
#include <linux/workqueue.h>
#include "kcache.h"
#include "lru.h"
#include "automover.h"
#include "slab.h"

#define KC_AUTOMOVE_INTERVAL	(HZ)

/*
 * Whether class dst, which evicted during the last window, still needs a
 * page from another class.  Not when the cache is below its limit (the
 * limit was raised, or items deleted, since): dst takes a new page when
 * it needs one, and emptying a donor's page would evict live items for
 * nothing -- a page whose class looked unused when picked may be taking
 * stores by the time it is emptied.  Not when dst has a page's worth of
 * free chunks either (the large class has no chunks).
 */
static bool needs_page(struct kc_cache *kc, struct kc_class *dst)
{
	return atomic64_read(&kc->used_bytes) + KC_PAGE_SIZE >
	       READ_ONCE(kc->limit_bytes) &&
	       (!dst->perslab || READ_ONCE(dst->free_chunks) < dst->perslab);
}

static void automove_fn(struct work_struct *work)
{
	struct kc_cache *kc = container_of(to_delayed_work(work),
					     struct kc_cache, automove_work);
	struct kc_class *dst = NULL, *src = NULL;
	u64 best = 0;
	u32 i;

	if (xchg(&kc->pressure, false)) {
		mutex_lock(&kc->rebalance_mutex);
		src = kc_slab_biggest(kc, KC_MAX_CLASSES);
		if (src)
			kc_slab_release_page(src, false);
		mutex_unlock(&kc->rebalance_mutex);
	}

	for (i = 0; i < kc->nr_classes; i++) {
		struct kc_class *c = &kc->classes[i];
		u64 ev = READ_ONCE(c->window_evictions);

		if (ev > best) {
			best = ev;
			dst = c;
		}
	}
	if (dst && READ_ONCE(kc->automove) && needs_page(kc, dst)) {
		mutex_lock(&kc->rebalance_mutex);
		src = kc_slab_pick_donor(kc, dst->id, true);
		if (src)
			kc_slab_release_page(src, false);
		mutex_unlock(&kc->rebalance_mutex);
	}
	kc_slab_end_window(kc);
	queue_delayed_work(system_unbound_wq, &kc->automove_work,
			   KC_AUTOMOVE_INTERVAL);
}

/* Asks the worker to run now (the shrinker, when it freed no page). */
void kc_automover_kick(struct kc_cache *kc)
{
	mod_delayed_work(system_unbound_wq, &kc->automove_work, 0);
}

void kc_automover_init(struct kc_cache *kc)
{
	INIT_DELAYED_WORK(&kc->automove_work, automove_fn);
	queue_delayed_work(system_unbound_wq, &kc->automove_work,
			   KC_AUTOMOVE_INTERVAL);
}

void kc_automover_exit(struct kc_cache *kc)
{
	cancel_delayed_work_sync(&kc->automove_work);
}
