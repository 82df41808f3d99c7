// SPDX-License-Identifier: GPL-2.0
/*
 * Items and their protocol: allocation, references, lookup, and the only
 * code that links, replaces, unlinks and reclaims an item.  Every command
 * publishes through kc_item_publish() and every reclaim (lazy expiry, the
 * crawler, eviction, a page move) counts through kc_item_reclaim().
 *
 * Item chunks are reused without a grace period (the slab pages stay), so
 * a lookup takes a reference with kc_ref_tryget() and then checks,
 * with acquire ordering, that the chunk is still a LINKED item with the
 * key it wants.
 *
 * Locking: see kcache.h.  item->lock serialises the item's transitions
 * (link, replace, unlink) and its metadata; the key and value are
 * immutable once linked.
 */
#include <linux/rhashtable.h>
#include <linux/string.h>
#include <linux/err.h>
#include <linux/delay.h>
#include <linux/sched/signal.h>
#include "kcache.h"
#include "index.h"
#include "lru.h"
#include "slab.h"
#include "container.h"
#include "netlink.h"

u64 kc_now_ms(void)
{
	return ktime_to_ms(ktime_get_boottime());
}

/* userspace/proxy/proxy.h's KC_ITEM_HEADER, when locks carry no debug state */
static_assert(IS_ENABLED(CONFIG_DEBUG_SPINLOCK) || IS_ENABLED(CONFIG_LOCKDEP) ||
	      !IS_ENABLED(CONFIG_64BIT) || sizeof(struct kc_item) == 72);

/*
 * Seconds since boot from the tick-updated clock (no clock read on GET),
 * plus KC_IDLE_MAX: an access time set that far in the past (SETIDLE)
 * never goes below zero, however recent the boot.  Only differences of
 * two readings mean anything.
 */
u32 kc_now_sec(void)
{
	return (u32)div_u64(ktime_get_coarse_boottime(), NSEC_PER_SEC) +
	       KC_IDLE_MAX;
}

u64 kc_next_cas(struct kc_cache *kc)
{
	return atomic64_inc_return(&kc->cas_seq);
}

bool kc_item_expired(const struct kc_item *it, u64 now)
{
	u64 e = READ_ONCE(it->exptime);

	return e && now >= e;
}

/*
 * Allocates an item for a key and nbytes of value: a free chunk of its
 * class, a new page while the limit allows, else the class's LRU tail is
 * evicted (KC_EVICT_TRIES items looked at per round).  A large item may
 * need the memory of many pages of small items: one round gives back
 * about one page, so it gets a round more per KC_PAGE_SIZE it needs (up
 * to 512 for a 512 MiB value, as Redis evicts until a value fits), which
 * yield and stop on a fatal signal; none for one bigger than the whole
 * limit.  Returns the item with one reference, state ALLOC, the key
 * copied and the value uninitialised; or ERR_PTR(-E2BIG / -ENOMEM).  May
 * sleep.
 */
struct kc_item *kc_item_alloc(struct kc_cache *kc, u8 db, const void *key, u32 nkey,
			      u32 nbytes)
{
	if (nbytes > kc_item_size_max(kc))
		return ERR_PTR(-E2BIG);
	return kc_item_alloc_any(kc, db, key, nkey, nbytes);
}

/* kc_item_alloc() without the item_size_max check, for the module's own
 * buffers (a big set's bucket table).
 */
struct kc_item *kc_item_alloc_any(struct kc_cache *kc, u8 db, const void *key, u32 nkey,
				  u32 nbytes)
{
	size_t total = kc_item_total(nkey, nbytes);
	struct kc_item *it = NULL;
	struct kc_class *c;
	int round, rounds = 10;

	might_sleep();
	c = &kc->classes[kc_slab_class_for(kc, total)];
	WRITE_ONCE(c->window_allocs, c->window_allocs + 1);
	if (c->id == kc->large_id)
		rounds += DIV_ROUND_UP(total, KC_PAGE_SIZE);
	/* Bigger than the whole limit: evicting everything would not do. */
	if (total > READ_ONCE(kc->limit_bytes))
		rounds = 0;

	for (round = 0; round < rounds && !it; round++) {
		if (round >= 10) {
			cond_resched();
			if (fatal_signal_pending(current))
				break;
		}
		if (c->id == kc->large_id) {
			it = kc_large_alloc(kc, total);
			if (it)
				break;
		} else {
			it = kc_slab_alloc_chunk(c);
			if (it)
				break;
			if (!kc_slab_grow(c))
				continue;
		}
		/* Memory that holds nothing goes before live items. */
		if (!kc_slab_take_empty(kc, c->id))
			continue;
		if (kc_lru_evict(c, KC_EVICT_TRIES))
			continue;
		/* Nothing of its own to evict: take a page from another. */
		if (READ_ONCE(c->nr_pages) || c->id == kc->large_id) {
			if (READ_ONCE(c->lru_count[KC_SEG_HOT]) +
			    READ_ONCE(c->lru_count[KC_SEG_WARM]) +
			    READ_ONCE(c->lru_count[KC_SEG_COLD]))
				break;
		}
		if (kc_slab_steal_page(kc, c->id))
			break;
	}
	if (!it) {
		spin_lock(&c->lru_lock);
		c->outofmemory++;
		spin_unlock(&c->lru_lock);
		kc_stat_inc(kc, KC_STAT_OUTOFMEMORY);
		return ERR_PTR(-ENOMEM);
	}

	it->nkey = nkey;
	it->db = db;
	it->nbytes = nbytes;
	it->cas = 0;
	it->exptime = 0;
	it->client_flags = 0;
	it->type = KC_TYPE_STRING;
	it->fetched = 0;
	it->active = 0;
	it->meta = 0;
	it->atime = kc_now_sec();
	it->seg = KC_SEG_HOT;
	memcpy(it->data, key, nkey);
	INIT_LIST_HEAD(&it->lru);
	refcount_set(&it->ref, 1);
	return it;
}

void kc_item_put(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);

	if (!refcount_dec_and_test(&it->ref))
		return;
	WARN_ON_ONCE(READ_ONCE(it->state) == KC_ITEM_LINKED);
	if (kc_is_cont(it->type))
		kc_cont_free(it);
	/*
	 * The chunk may be reused at once.  A lookup still walking through it
	 * must not follow its old link to the end of its old chain and
	 * report a miss: point it at a nulls marker of no bucket, so the walk
	 * starts over (rhashtable checks the marker it ends on).
	 */
	RCU_INIT_POINTER(it->node.next, RHT_NULLS_MARKER(NULL));
	if (it->clsid == kc->large_id)
		kc_large_free(it);
	else
		kc_slab_free_chunk(it);
}

static void account_link(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);

	atomic64_inc(&kc->curr_items);
	atomic64_inc(&kc->dbsize[it->db]);
	atomic64_add(it->nkey + it->nbytes, &kc->bytes);
	kc_stat_inc(kc, KC_STAT_TOTAL_ITEMS);
}

static void account_unlink(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);

	atomic64_dec(&kc->curr_items);
	atomic64_dec(&kc->dbsize[it->db]);
	atomic64_sub(it->nkey + it->nbytes, &kc->bytes);
}

/* old's counts become it's: one update of each that changes. */
static void account_replace(struct kc_item *old, struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	s64 grew = (s64)it->nkey + it->nbytes - old->nkey - old->nbytes;

	if (old->db != it->db) {
		atomic64_dec(&kc->dbsize[old->db]);
		atomic64_inc(&kc->dbsize[it->db]);
	}
	if (grew)
		atomic64_add(grew, &kc->bytes);
	kc_stat_inc(kc, KC_STAT_TOTAL_ITEMS);
}

/*
 * Waits of kc_item_publish() for the index's resize worker: one run of it
 * each, or 1-2 ms when no run is queued.
 */
#define KC_LINK_TRIES	2000

/*
 * Publishes a new item in the index and its LRU.  Caller holds it->lock
 * and a reference.  Returns 0, -EEXIST when the key is present, -EBUSY
 * when the index cannot take it now (a resize is under way and the next
 * table is full too, or it could not grow without sleeping: its worker
 * resizes it in process context), -ENOMEM otherwise.
 */
static int __kc_item_link(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	int err;

	lockdep_assert_held(&it->lock);
	refcount_inc(&it->ref);
	it->cas = kc_next_cas(kc);
	/* Pairs with the acquire in kc_item_get(): key and value first. */
	smp_store_release(&it->state, KC_ITEM_LINKED);
	err = kc_index_insert(it);
	if (err) {
		WRITE_ONCE(it->state, KC_ITEM_ALLOC);
		refcount_dec(&it->ref);
		if (err == -EEXIST || err == -EBUSY)
			return err;
		return err == -ENOMEM ? -EBUSY : -ENOMEM;
	}
	__kc_lru_add(it);
	account_link(it);
	return 0;
}

/*
 * Puts it in the place of old, atomically for lookups.  Caller holds both
 * locks (it's nested), a reference to each, and old is LINKED.
 */
static void __kc_item_replace(struct kc_item *old, struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);

	lockdep_assert_held(&old->lock);
	lockdep_assert_held(&it->lock);
	refcount_inc(&it->ref);
	it->cas = kc_next_cas(kc);
	/* Pairs with the acquire in kc_item_get(): key and value first. */
	smp_store_release(&it->state, KC_ITEM_LINKED);
	WARN_ON_ONCE(kc_index_replace(old, it));
	WRITE_ONCE(old->state, KC_ITEM_ALLOC);
	__kc_lru_replace(old, it);
	account_replace(old, it);
	/* The index's reference; the caller still holds its own. */
	refcount_dec(&old->ref);
}

/*
 * The publish protocol, for every writer: puts the new item it (state
 * ALLOC, with a reference, nobody else can see it) in the index in place
 * of old, or links it when old is NULL.  it gets a new CAS version.
 *
 * With old: old's lock is taken, old must still be LINKED (-EAGAIN: look
 * it up again) and, with KC_PUB_CAS, still have the CAS version cas
 * (-ESTALE); then it is locked inside (nobody else can hold its lock:
 * SINGLE_DEPTH_NESTING) and replaces old.  KC_PUB_KEEPTTL and
 * KC_PUB_KEEPFLAGS give it old's expiry and client flags, read under
 * old's lock.  Without old: -EEXIST when the key is present (look it up
 * again), -ENOMEM when the index cannot grow.
 *
 * The caller keeps its references to both.  Without old it may sleep:
 * while the index is resized, rhashtable refuses an insert (-EBUSY) that
 * finds its bucket's chain at its limit (16) in the newest table, until
 * its worker has moved every entry into that table (one rehash at a
 * time; keys stored in the index's own order, as a save of this cache
 * lists them, fill one chain of a smaller table).  The link then
 * waits for the worker's run in progress (kc_index_wait_resize()) and
 * tries again, so it resumes as soon as the resize has moved on, not
 * after a fixed sleep; a killed caller stops waiting after that run.
 * The caller may hold key stripes, kc.excl_sem and a cont->lock (the
 * worker takes none of them) but no spinlock.  With old it never sleeps.
 */
int kc_item_publish(struct kc_item *old, struct kc_item *it, u64 cas,
		    u32 flags)
{
	int err = 0, tries;

	if (!old) {
		for (tries = 0;; tries++) {
			spin_lock(&it->lock);
			err = __kc_item_link(it);
			spin_unlock(&it->lock);
			if (err != -EBUSY || tries == KC_LINK_TRIES ||
			    fatal_signal_pending(current))
				break;
			if (!kc_index_wait_resize(kc_item_cache(it)))
				usleep_range(1000, 2000);
		}
		return err == -EBUSY ? -ENOMEM : err;
	}
	spin_lock(&old->lock);
	if (old->state != KC_ITEM_LINKED) {
		err = -EAGAIN;
	} else if ((flags & KC_PUB_CAS) && old->cas != cas &&
		   !((flags & KC_PUB_STALE) && cas < old->cas)) {
		err = -ESTALE;
	} else {
		/*
		 * memcached's ms I: a value older than the current one is
		 * kept as a stale one, with the current expiry and token.
		 */
		if ((flags & KC_PUB_CAS) && old->cas != cas) {
			it->exptime = old->exptime;
			it->meta = KC_IT_STALE | (old->meta & KC_IT_TOKEN);
		}
		if (flags & KC_PUB_KEEPTTL)
			it->exptime = old->exptime;
		if (flags & KC_PUB_KEEPFLAGS)
			it->client_flags = old->client_flags;
		if (flags & KC_PUB_KEEPSTATE) {
			it->fetched = READ_ONCE(old->fetched);
			it->atime = READ_ONCE(old->atime);
			it->meta = old->meta;
		}
		spin_lock_nested(&it->lock, SINGLE_DEPTH_NESTING);
		__kc_item_replace(old, it);
		spin_unlock(&it->lock);
	}
	spin_unlock(&old->lock);
	return err;
}

/* Removes a LINKED item from the index and its LRU, dropping the index's
 * reference.  Caller holds it->lock and a reference.
 */
void __kc_item_unlink(struct kc_item *it)
{
	lockdep_assert_held(&it->lock);
	WARN_ON_ONCE(kc_index_remove(it));
	WRITE_ONCE(it->state, KC_ITEM_ALLOC);
	__kc_lru_del(it);
	account_unlink(it);
	refcount_dec(&it->ref);
}

/* Unlinks it if it is still linked; caller holds a reference. */
bool kc_item_unlink(struct kc_item *it)
{
	bool done = false;

	spin_lock(&it->lock);
	if (it->state == KC_ITEM_LINKED) {
		__kc_item_unlink(it);
		done = true;
	}
	spin_unlock(&it->lock);
	return done;
}

/*
 * Reclaims an item the cache decided to drop, and counts it once, the
 * same way whoever found it: an expired one (KC_RECLAIM_EXPIRED by a
 * lookup or at the LRU tail, KC_RECLAIM_CRAWLED by the crawler) counts as
 * reclaimed, a live one (KC_RECLAIM_EVICTED from the LRU tail,
 * KC_RECLAIM_MOVED when a page is emptied) as evicted, each "unfetched"
 * when nobody ever read it; the keyspace event follows.  Caller holds a
 * reference.  Returns whether this call unlinked it (nothing is counted
 * otherwise).  Never sleeps.
 */
bool kc_item_reclaim(struct kc_item *it, enum kc_reclaim why)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_class *c = &kc->classes[it->clsid];
	bool expired = why == KC_RECLAIM_EXPIRED || why == KC_RECLAIM_CRAWLED;

	if (!kc_item_unlink(it))
		return false;
	spin_lock(&c->lru_lock);
	if (expired) {
		c->reclaimed++;
	} else {
		c->evictions++;
		/* A page move is not the class asking for memory. */
		if (why == KC_RECLAIM_EVICTED)
			c->window_evictions++;
	}
	spin_unlock(&c->lru_lock);
	if (expired) {
		if (why == KC_RECLAIM_CRAWLED)
			kc_stat_inc(kc, KC_STAT_CRAWLER_RECLAIMED);
		kc_stat_inc(kc, KC_STAT_RECLAIMED);
		if (!READ_ONCE(it->fetched))
			kc_stat_inc(kc, KC_STAT_EXPIRED_UNFETCHED);
	} else {
		kc_stat_inc(kc, KC_STAT_EVICTIONS);
		if (!READ_ONCE(it->fetched))
			kc_stat_inc(kc, KC_STAT_EVICTED_UNFETCHED);
	}
	kc_notify(kc, expired ? KC_EVENT_EXPIRE : KC_EVENT_EVICT, it->db, kc_item_key(it),
		  it->nkey);
	return true;
}

/*
 * Finds a live item and returns it with a reference, or NULL.  An expired
 * item found on the way is unlinked (lazy reclaim).  With bump, the access
 * counts for the LRU.
 */
struct kc_item *kc_item_get(struct kc_cache *kc, u8 db, const void *key, u32 nkey,
			    bool bump)
{
	struct kc_item *it;

	for (;;) {
		rcu_read_lock();
		it = kc_index_find(kc, db, key, nkey);
		if (it && !kc_ref_tryget(&it->ref))
			it = ERR_PTR(-EAGAIN);
		rcu_read_unlock();
		if (!it)
			return NULL;
		if (IS_ERR(it))
			continue;
		/*
		 * Pinned now: check it is the item we looked for.  The acquire
		 * pairs with the release in __kc_item_link(): a LINKED state
		 * means the key and value below are the linked ones.
		 */
		if (smp_load_acquire(&it->state) == KC_ITEM_LINKED &&
		    it->db == db && it->nkey == nkey &&
		    !memcmp(it->data, key, nkey))
			break;
		kc_item_put(it);
	}

	/* Items without an expiry time (most) cost no clock read. */
	if (READ_ONCE(it->exptime) && kc_item_expired(it, kc_now_ms())) {
		kc_item_reclaim(it, KC_RECLAIM_EXPIRED);
		kc_stat_inc(kc, KC_STAT_GET_EXPIRED);
		kc_item_put(it);
		return NULL;
	}
	if (bump)
		kc_lru_bump(it);
	return it;
}

/* Module exit, no user left: unlinks everything so that containers and
 * large items are freed; the slab pages then go back whole.
 */
void kc_items_exit(struct kc_cache *kc)
{
	kc_flush_all(kc);
}
