// SPDX-License-Identifier: GPL-2.0
/*
 * Segmented LRU per slab class, as memcached's: new items enter HOT; HOT
 * and WARM are capped (KC_HOT_PCT, KC_WARM_PCT of the class's items) and
 * their tails flow to COLD; an item read twice is "active" and moves from
 * COLD to WARM instead of being evicted.  Eviction takes the COLD tail
 * (HOT, then WARM, when COLD is empty), looking at KC_EVICT_TRIES items.
 *
 * Locks: class->lru_lock protects the lists, their counts, item->seg and
 * class->mem_requested.  It nests inside item->lock; walkers holding it
 * take item locks with trylock only.
 */
#include <linux/sched.h>
#include "kcache.h"
#include "lru.h"
#include "netlink.h"

#define KC_HOT_PCT		20
#define KC_WARM_PCT		40

static u64 class_items(struct kc_class *c)
{
	return c->lru_count[KC_SEG_HOT] + c->lru_count[KC_SEG_WARM] +
	       c->lru_count[KC_SEG_COLD];
}

static void __move(struct kc_class *c, struct kc_item *it, enum kc_seg to)
{
	lockdep_assert_held(&c->lru_lock);
	c->lru_count[it->seg]--;
	list_move(&it->lru, &c->lru[to]);
	it->seg = to;
	c->lru_count[to]++;
}

/* Keeps HOT and WARM within their shares; bounded work per call. */
static void __balance(struct kc_class *c)
{
	u64 total = class_items(c);
	struct kc_item *it;

	lockdep_assert_held(&c->lru_lock);
	if (c->lru_count[KC_SEG_HOT] * 100 > total * KC_HOT_PCT) {
		it = list_last_entry(&c->lru[KC_SEG_HOT], struct kc_item, lru);
		if (READ_ONCE(it->active)) {
			WRITE_ONCE(it->active, 0);
			__move(c, it, KC_SEG_WARM);
		} else {
			__move(c, it, KC_SEG_COLD);
		}
	}
	if (c->lru_count[KC_SEG_WARM] * 100 > total * KC_WARM_PCT) {
		it = list_last_entry(&c->lru[KC_SEG_WARM], struct kc_item,
				     lru);
		if (READ_ONCE(it->active)) {
			WRITE_ONCE(it->active, 0);
			list_move(&it->lru, &c->lru[KC_SEG_WARM]);
		} else {
			__move(c, it, KC_SEG_COLD);
		}
	}
}

static void __lru_add_locked(struct kc_class *c, struct kc_item *it)
{
	lockdep_assert_held(&c->lru_lock);
	it->seg = KC_SEG_HOT;
	list_add(&it->lru, &c->lru[KC_SEG_HOT]);
	c->lru_count[KC_SEG_HOT]++;
	c->mem_requested += kc_item_total(it->nkey, it->nbytes);
	__balance(c);
}

static void __lru_del_locked(struct kc_class *c, struct kc_item *it)
{
	lockdep_assert_held(&c->lru_lock);
	list_del_init(&it->lru);
	c->lru_count[it->seg]--;
	c->mem_requested -= kc_item_total(it->nkey, it->nbytes);
}

/* Adds a newly linked item to the head of HOT; caller holds it->lock. */
void __kc_lru_add(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_class *c = &kc->classes[it->clsid];

	lockdep_assert_held(&it->lock);
	spin_lock(&c->lru_lock);
	__lru_add_locked(c, it);
	spin_unlock(&c->lru_lock);
}

/* Removes an item being unlinked; caller holds it->lock. */
void __kc_lru_del(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_class *c = &kc->classes[it->clsid];

	lockdep_assert_held(&it->lock);
	spin_lock(&c->lru_lock);
	__lru_del_locked(c, it);
	spin_unlock(&c->lru_lock);
}

/*
 * An item replaced by its successor: old leaves its segment, it enters
 * HOT.  Items of one class (a SET of a value of about the same size)
 * change places under one hold of the class's lru_lock.  Caller holds
 * both items' locks.
 */
void __kc_lru_replace(struct kc_item *old, struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_class *c = &kc->classes[it->clsid];

	lockdep_assert_held(&old->lock);
	lockdep_assert_held(&it->lock);
	if (old->clsid != it->clsid) {
		__kc_lru_del(old);
		__kc_lru_add(it);
		return;
	}
	spin_lock(&c->lru_lock);
	__lru_del_locked(c, old);
	__lru_add_locked(c, it);
	spin_unlock(&c->lru_lock);
}

/*
 * Records a read: the first marks the item fetched, the second active; an
 * active item in COLD moves to WARM.  Caller holds a reference.
 */
void kc_lru_bump(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_class *c = &kc->classes[it->clsid];
	u32 now = kc_now_sec();

	if (READ_ONCE(it->atime) != now)
		WRITE_ONCE(it->atime, now);
	if (!READ_ONCE(it->fetched)) {
		WRITE_ONCE(it->fetched, 1);
		return;
	}
	if (READ_ONCE(it->active))
		return;
	WRITE_ONCE(it->active, 1);
	if (READ_ONCE(it->seg) != KC_SEG_COLD)
		return;
	spin_lock(&c->lru_lock);
	if (!list_empty(&it->lru) && it->seg == KC_SEG_COLD &&
	    READ_ONCE(it->state) == KC_ITEM_LINKED) {
		WRITE_ONCE(it->active, 0);
		__move(c, it, KC_SEG_WARM);
	}
	spin_unlock(&c->lru_lock);
}

/*
 * Picks a tail item of c to evict under its lru_lock and returns it with a
 * reference, or NULL.  Items in use (another reference held) or whose lock
 * is contended are skipped, as memcached does; with kc.noevict every item
 * but an expired one.  The caller unlinks it in lock order once the
 * lru_lock is dropped.
 */
static struct kc_item *__try_evict(struct kc_class *c, struct kc_item *it,
				   u64 now, bool *expired)
{
	bool ok;

	lockdep_assert_held(&c->lru_lock);
	if (!spin_trylock(&it->lock))
		return NULL;
	*expired = kc_item_expired(it, now);
	/* noevict: only what expired goes */
	ok = it->state == KC_ITEM_LINKED &&
	     (*expired || (refcount_read(&it->ref) == 1 &&
			   !READ_ONCE(kc_class_cache(c)->noevict)));
	if (ok)
		refcount_inc(&it->ref);
	spin_unlock(&it->lock);
	return ok ? it : NULL;
}

/*
 * Evicts one item of class c, looking at up to tries tail items of the
 * first nsegs segments of COLD, HOT, WARM.  Returns 1 if an item was
 * removed, 0 if none could be.  Never sleeps.
 */
static int evict_one(struct kc_class *c, int tries, int nsegs)
{
	static const enum kc_seg order[] = {
		KC_SEG_COLD, KC_SEG_HOT, KC_SEG_WARM
	};
	u64 now = kc_now_ms();
	struct kc_item *victim = NULL;
	bool expired = false;
	int s;

	spin_lock(&c->lru_lock);
	for (s = 0; s < nsegs && tries > 0 && !victim; s++) {
		struct list_head *head = &c->lru[order[s]];
		struct kc_item *it, *prev;

		if (list_empty(head))
			continue;
		it = list_last_entry(head, struct kc_item, lru);
		while (tries-- > 0) {
			prev = list_is_first(&it->lru, head) ? NULL :
			       list_prev_entry(it, lru);
			if (order[s] == KC_SEG_COLD && READ_ONCE(it->active) &&
			    !kc_item_expired(it, now)) {
				WRITE_ONCE(it->active, 0);
				__move(c, it, KC_SEG_WARM);
			} else {
				victim = __try_evict(c, it, now, &expired);
				if (victim)
					break;
			}
			if (!prev)
				break;
			it = prev;
		}
	}
	spin_unlock(&c->lru_lock);

	if (!victim)
		return 0;
	kc_item_reclaim(victim, expired ? KC_RECLAIM_EXPIRED :
					  KC_RECLAIM_EVICTED);
	kc_item_put(victim);
	return 1;
}

/* Evicts one item of c (COLD first, then HOT, then WARM); see evict_one. */
int kc_lru_evict(struct kc_class *c, int tries)
{
	return evict_one(c, tries, KC_NR_SEGS);
}

unsigned long kc_lru_count_cold(struct kc_cache *kc)
{
	unsigned long n = 0;
	u32 i;

	for (i = 0; i < kc->nr_classes; i++)
		n += READ_ONCE(kc->classes[i].lru_count[KC_SEG_COLD]);
	return n;
}

/* Evicts up to nr COLD items across classes; returns how many. */
unsigned long kc_lru_evict_cold(struct kc_cache *kc, unsigned long nr)
{
	unsigned long done = 0;
	bool progress = true;
	u32 i;

	while (done < nr && progress) {
		progress = false;
		for (i = 0; i < kc->nr_classes && done < nr; i++) {
			struct kc_class *c = &kc->classes[i];

			if (!READ_ONCE(c->lru_count[KC_SEG_COLD]))
				continue;
			if (evict_one(c, KC_EVICT_TRIES, 1)) {
				done++;
				progress = true;
			}
		}
	}
	return done;
}
