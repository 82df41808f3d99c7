// SPDX-License-Identifier: GPL-2.0
/*
 * Slab classes: memory is taken from the kernel in 1 MiB pages and each
 * page is cut into chunks of one class's size.  A page is one order-8
 * block of the direct map if the page allocator has one at hand (aligned,
 * so a chunk finds its page by masking its address), else a vmalloc'd
 * 1 MiB of order-0 pages (a fragmented machine has no order-8 block for
 * long): each of its pages records the slab page's address in
 * page_private(), which chunk_page() reads.  Both are charged to the
 * memcg of the task that needed the memory.  Class sizes grow by a factor from the
 * item header plus chunk_min up to half a page; larger items go to the
 * large class, one kvmalloc'd buffer each.  kc.used_bytes counts slab
 * pages and large buffers and never exceeds kc.limit_bytes.
 *
 * Locks: class->lock protects the free list, the page list, page->used and
 * the chunk counters.  See kcache.h for the order.
 */
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/rcupdate.h>
#include <linux/delay.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include "kcache.h"
#include "lru.h"
#include "slab.h"
#include "netlink.h"

struct kc_large {
	struct rcu_head rcu;
	struct kc_cache *cache;		/* the instance it belongs to */
	size_t charged;
	struct kc_item item;
};

static struct kc_slab_page *chunk_page(const struct kc_item *it)
{
	if (unlikely(is_vmalloc_addr(it)))
		return (struct kc_slab_page *)page_private(vmalloc_to_page(it));
	return (struct kc_slab_page *)((unsigned long)it & ~(KC_PAGE_SIZE - 1));
}

/* Sets (or clears, addr 0) the slab page of every page of a vmalloc'd one. */
static void vpage_mark(void *page, unsigned long addr)
{
	u32 off;

	for (off = 0; off < KC_PAGE_SIZE; off += PAGE_SIZE)
		set_page_private(vmalloc_to_page(page + off), addr);
}

/*
 * A 1 MiB slab page: an order-8 block if one is free, else vmalloc'd
 * order-0 pages, which reclaim can provide up to the memory limit.
 * The order-8 attempt reclaims nothing, directly or through kswapd: on a
 * fragmented machine reclaim rarely makes a 1 MiB block, and it runs the
 * shrinkers, ours included, which would evict the cache's own items to
 * make room for a page the cache is allowed to have.
 */
static void *slab_page_alloc(void)
{
	void *addr;

	addr = (void *)__get_free_pages(KC_GFP_CONTENTS & ~__GFP_RECLAIM,
					KC_PAGE_ORDER);
	if (addr)
		return addr;
	/* May fail, never OOM-kills: a cgroup at its memory.max gets -ENOMEM. */
	addr = __vmalloc(KC_PAGE_SIZE, KC_GFP_CONTENTS | __GFP_RETRY_MAYFAIL);
	if (addr)
		vpage_mark(addr, (unsigned long)addr);
	return addr;
}

/* Safe in any context (vfree defers itself from interrupts). */
static void slab_page_free(void *addr)
{
	if (is_vmalloc_addr(addr)) {
		vpage_mark(addr, 0);
		vfree(addr);
	} else {
		free_pages((unsigned long)addr, KC_PAGE_ORDER);
	}
}

/*
 * The id of the large class.  Every instance has the same classes (they
 * come from the module parameters), so this is set once.
 */
static u32 large_clsid;

struct kc_cache *kc_item_cache(const struct kc_item *it)
{
	if (it->clsid == large_clsid)
		return container_of(it, struct kc_large, item)->cache;
	return chunk_page(it)->cache;
}

static bool mem_reserve(struct kc_cache *kc, u64 n)
{
	s64 used = atomic64_read(&kc->used_bytes);

	do {
		if (used + n > READ_ONCE(kc->limit_bytes))
			return false;
	} while (!atomic64_try_cmpxchg(&kc->used_bytes, &used, used + n));
	return true;
}

static void mem_unreserve(struct kc_cache *kc, u64 n)
{
	atomic64_sub(n, &kc->used_bytes);
}

int kc_slab_init(struct kc_cache *kc, u64 limit_bytes, u32 chunk_min, u32 factor_pct,
		 u32 item_size_max)
{
	u32 last = ((KC_PAGE_SIZE - KC_PAGE_HDR) / 2) & ~(KC_CHUNK_ALIGN - 1);
	u32 size = ALIGN(sizeof(struct kc_item) + chunk_min, KC_CHUNK_ALIGN);
	u32 i = 0;

	kc->limit_bytes = limit_bytes;
	kc->chunk_min = chunk_min;
	kc->factor_pct = factor_pct;
	kc->item_size_max = item_size_max;

	while (size < last && i < KC_MAX_CLASSES - 2) {
		kc->classes[i].size = size;
		i++;
		size = ALIGN(div_u64((u64)size * factor_pct, 100),
			     KC_CHUNK_ALIGN);
		if (size <= kc->classes[i - 1].size)
			size = kc->classes[i - 1].size + KC_CHUNK_ALIGN;
	}
	kc->classes[i++].size = last;
	kc->large_id = i;
	large_clsid = i;
	kc->classes[i++].size = 0;
	kc->nr_classes = i;

	for (i = 0; i < kc->nr_classes; i++) {
		struct kc_class *c = &kc->classes[i];
		int s;

		c->id = i;
		c->perslab = c->size ?
			     (KC_PAGE_SIZE - KC_PAGE_HDR) / c->size : 0;
		spin_lock_init(&c->lock);
		spin_lock_init(&c->lru_lock);
		INIT_LIST_HEAD(&c->free);
		INIT_LIST_HEAD(&c->pages);
		for (s = 0; s < KC_NR_SEGS; s++)
			INIT_LIST_HEAD(&c->lru[s]);
	}
	return 0;
}

/* Returns the class for an item of total bytes (header, key and value). */
u32 kc_slab_class_for(struct kc_cache *kc, size_t total)
{
	u32 lo = 0, hi = kc->large_id;

	if (total > kc->classes[kc->large_id - 1].size)
		return kc->large_id;
	while (lo < hi) {
		u32 mid = (lo + hi) / 2;

		if (kc->classes[mid].size >= total)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct kc_item *kc_slab_alloc_chunk(struct kc_class *c)
{
	struct kc_item *it;

	spin_lock(&c->lock);
	it = list_first_entry_or_null(&c->free, struct kc_item, lru);
	if (it) {
		list_del(&it->lru);
		it->state = KC_ITEM_ALLOC;
		c->free_chunks--;
		c->used_chunks++;
		chunk_page(it)->used++;
	}
	spin_unlock(&c->lock);
	return it;
}

/*
 * Takes a new 1 MiB page for class c if the limit allows, and cuts it into
 * free chunks.  May sleep.  Returns 0 or -ENOMEM.
 */
int kc_slab_grow(struct kc_class *c)
{
	struct kc_cache *kc = kc_class_cache(c);
	struct kc_slab_page *page;
	unsigned long addr;
	u32 i;

	might_sleep();
	if (!mem_reserve(kc, KC_PAGE_SIZE))
		return -ENOMEM;
	addr = (unsigned long)slab_page_alloc();
	if (!addr) {
		mem_unreserve(kc, KC_PAGE_SIZE);
		return -ENOMEM;
	}
	page = (struct kc_slab_page *)addr;
	page->cache = kc;
	page->clsid = c->id;
	page->used = 0;
	page->moving = false;
	for (i = 0; i < c->perslab; i++) {
		struct kc_item *it = (void *)(addr + KC_PAGE_HDR + i * c->size);

		spin_lock_init(&it->lock);
		refcount_set(&it->ref, 0);
		it->clsid = c->id;
		it->state = KC_ITEM_FREE;
		RCU_INIT_POINTER(it->node.next, RHT_NULLS_MARKER(NULL));
	}
	/* Chunks are published to lookups only through the index (RCU). */
	spin_lock(&c->lock);
	for (i = 0; i < c->perslab; i++) {
		struct kc_item *it = (void *)(addr + KC_PAGE_HDR + i * c->size);

		list_add_tail(&it->lru, &c->free);
	}
	list_add_tail(&page->node, &c->pages);
	c->nr_pages++;
	c->free_chunks += c->perslab;
	spin_unlock(&c->lock);
	atomic64_inc(&kc->slab_pages);
	return 0;
}

void kc_slab_free_chunk(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_class *c = &kc->classes[it->clsid];
	struct kc_slab_page *page = chunk_page(it);

	spin_lock(&c->lock);
	c->used_chunks--;
	page->used--;
	if (page->moving) {
		it->state = KC_ITEM_MOVING;
	} else {
		it->state = KC_ITEM_FREE;
		list_add(&it->lru, &c->free);
		c->free_chunks++;
	}
	spin_unlock(&c->lock);
}

struct kc_item *kc_large_alloc(struct kc_cache *kc, size_t total)
{
	size_t charged = round_up(total + offsetof(struct kc_large, item),
				  PAGE_SIZE);
	struct kc_large *lg;

	might_sleep();
	if (!mem_reserve(kc, charged))
		return NULL;
	lg = kvmalloc(total + offsetof(struct kc_large, item),
		      KC_GFP_CONTENTS | __GFP_RETRY_MAYFAIL);
	if (!lg) {
		mem_unreserve(kc, charged);
		return NULL;
	}
	lg->charged = charged;
	spin_lock_init(&lg->item.lock);
	refcount_set(&lg->item.ref, 0);
	lg->cache = kc;
	lg->item.clsid = kc->large_id;
	lg->item.state = KC_ITEM_ALLOC;
	RCU_INIT_POINTER(lg->item.node.next, RHT_NULLS_MARKER(NULL));
	atomic64_add(charged, &kc->large_bytes);
	return &lg->item;
}

/* Large items are not type-stable: lookups may still see one for a grace
 * period, so the buffer is freed after it.  Safe in any context.
 */
void kc_large_free(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_large *lg = container_of(it, struct kc_large, item);

	it->state = KC_ITEM_FREE;
	atomic64_sub(lg->charged, &kc->large_bytes);
	mem_unreserve(kc, lg->charged);
	kvfree_rcu(lg, rcu);
}

static void page_free_rcu(struct rcu_head *head)
{
	struct kc_slab_page *page = container_of(head, struct kc_slab_page,
						 rcu);
	struct kc_cache *kc = page->cache;

	slab_page_free(page);
	mem_unreserve(kc, KC_PAGE_SIZE);
}

/* Takes an emptied page (all chunks MOVING) off its class; c->lock held. */
static void __page_detach(struct kc_class *c, struct kc_slab_page *page)
{
	struct kc_cache *kc = kc_class_cache(c);

	lockdep_assert_held(&c->lock);
	list_del(&page->node);
	c->nr_pages--;
	atomic64_dec(&kc->slab_pages);
}

/* Pulls the free chunks of a page off the free list; c->lock held. */
static void __page_pull_free(struct kc_class *c, struct kc_slab_page *page)
{
	u32 i;

	lockdep_assert_held(&c->lock);
	for (i = 0; i < c->perslab; i++) {
		struct kc_item *it = (void *)((char *)page + KC_PAGE_HDR +
					      i * c->size);

		if (it->state == KC_ITEM_FREE) {
			list_del(&it->lru);
			it->state = KC_ITEM_MOVING;
			c->free_chunks--;
		}
	}
}

static void __page_unmark(struct kc_class *c, struct kc_slab_page *page)
{
	u32 i;

	lockdep_assert_held(&c->lock);
	page->moving = false;
	for (i = 0; i < c->perslab; i++) {
		struct kc_item *it = (void *)((char *)page + KC_PAGE_HDR +
					      i * c->size);

		if (it->state == KC_ITEM_MOVING) {
			it->state = KC_ITEM_FREE;
			list_add_tail(&it->lru, &c->free);
			c->free_chunks++;
		}
	}
}

/*
 * The keyed item to evict so that chunk it becomes free: itself, or for an
 * element the container owning it.  Returns it with a reference, or NULL.
 * Caller holds a reference to it.
 */
static struct kc_item *chunk_owner(struct kc_item *it)
{
	struct kc_item *owner;

	/* Pairs with the release in kc_elem_alloc(): owner is set first. */
	if (smp_load_acquire(&it->type) != KC_TYPE_ELEM) {
		refcount_inc(&it->ref);
		return it;
	}
	/*
	 * The container may be freed, and its chunk's page given back, at
	 * any time until it is pinned: pages go back after an RCU grace
	 * period, so the read and the reference are taken inside one RCU
	 * read section.
	 */
	rcu_read_lock();
	owner = READ_ONCE(it->owner);
	if (!owner || !kc_ref_tryget(&owner->ref)) {
		rcu_read_unlock();
		return NULL;
	}
	rcu_read_unlock();
	/*
	 * Pinned: still this element's container?  kc_ref_tryget() orders
	 * this second read of owner after the reference is taken.
	 */
	if (READ_ONCE(it->owner) != owner ||
	    READ_ONCE(owner->type) == KC_TYPE_ELEM) {
		kc_item_put(owner);
		return NULL;
	}
	return owner;
}

/* Unlinks every item (or container) holding a chunk of a page being
 * emptied.  May sleep.
 */
static void page_evict_all(struct kc_class *c, struct kc_slab_page *page)
{
	u32 i;

	for (i = 0; i < c->perslab; i++) {
		struct kc_item *it = (void *)((char *)page + KC_PAGE_HDR +
					      i * c->size);
		struct kc_item *victim;

		if (!kc_ref_tryget(&it->ref))
			continue;
		victim = chunk_owner(it);
		kc_item_put(it);
		if (!victim)
			continue;
		/* Acquire: pairs with the release when it was linked. */
		if (smp_load_acquire(&victim->state) == KC_ITEM_LINKED)
			kc_item_reclaim(victim, KC_RECLAIM_MOVED);
		kc_item_put(victim);
		if (!(i & 255))
			cond_resched();
	}
}

/*
 * Empties one page of class src and gives it back to the kernel, so that
 * its share of the memory limit can go to another class.  Prefers an empty
 * page, else the oldest; with kc.noevict only an empty one (emptying a
 * page evicts its items).  Caller holds kc.rebalance_mutex; may sleep.
 * Returns 0, -ENOENT if src has no such page, -EBUSY if an item stayed
 * referenced for too long.
 */
int kc_slab_release_page(struct kc_class *src, bool expedite)
{
	struct kc_cache *kc = kc_class_cache(src);
	struct kc_slab_page *page, *pick = NULL;
	int tries;

	lockdep_assert_held(&kc->rebalance_mutex);
	if (src->id == kc->large_id)
		return -ENOENT;

	spin_lock(&src->lock);
	list_for_each_entry(page, &src->pages, node) {
		if (page->moving)
			continue;
		if (!pick)
			pick = page;
		if (!page->used) {
			pick = page;
			break;
		}
	}
	if (!pick || (pick->used && READ_ONCE(kc->noevict))) {
		spin_unlock(&src->lock);
		return -ENOENT;
	}
	pick->moving = true;
	__page_pull_free(src, pick);
	spin_unlock(&src->lock);

	for (tries = 0; tries < 100; tries++) {
		spin_lock(&src->lock);
		__page_pull_free(src, pick);
		if (!pick->used) {
			__page_detach(src, pick);
			spin_unlock(&src->lock);
			/*
			 * Lookups may still hold pointers into the page.  A
			 * store waiting for the memory expedites the wait.
			 */
			if (expedite)
				synchronize_rcu_expedited();
			else
				synchronize_rcu();
			page_free_rcu(&pick->rcu);
			kc_stat_inc(kc, KC_STAT_SLABS_MOVED);
			return 0;
		}
		spin_unlock(&src->lock);
		page_evict_all(src, pick);
		if (tries > 2)
			usleep_range(1000, 2000);
	}

	spin_lock(&src->lock);
	__page_unmark(src, pick);
	spin_unlock(&src->lock);
	return -EBUSY;
}

#define KC_RELEASE_SCAN	64	/* pages looked at per class and call */
#define KC_RELEASE_MAX	16	/* pages given back per call */

/*
 * Takes the first empty page among the next *budget pages of c out of the
 * class (marked moving, its free chunks pulled, detached), or NULL.  Each
 * page looked at uses one of *budget; those kept go to the tail, so the
 * next call looks at others.  c->lock held.
 */
static struct kc_slab_page *__take_empty_page(struct kc_class *c, u64 *budget)
{
	struct kc_slab_page *page;

	lockdep_assert_held(&c->lock);
	while (*budget && !list_empty(&c->pages)) {
		(*budget)--;
		page = list_first_entry(&c->pages, struct kc_slab_page, node);
		if (page->used || page->moving) {
			list_move_tail(&page->node, &c->pages);
			continue;
		}
		page->moving = true;
		__page_pull_free(c, page);
		__page_detach(c, page);
		return page;
	}
	return NULL;
}

/*
 * Gives empty pages back to the kernel (memory pressure).  Never sleeps:
 * pages are freed after a grace period.  Returns the pages released.
 * Bounded, as it runs from reclaim under class locks: it looks at no more
 * than KC_RELEASE_SCAN pages of a class and releases at most
 * KC_RELEASE_MAX pages a call (__take_empty_page()).
 */
unsigned long kc_slab_release_empty(struct kc_cache *kc, unsigned long max_pages)
{
	unsigned long done = 0;
	u32 i;

	max_pages = min_t(unsigned long, max_pages, KC_RELEASE_MAX);
	for (i = 0; i < kc->large_id && done < max_pages; i++) {
		struct kc_class *c = &kc->classes[i];
		struct kc_slab_page *page;
		u64 budget;

		spin_lock(&c->lock);
		budget = min_t(u64, c->nr_pages, KC_RELEASE_SCAN);
		while (done < max_pages &&
		       (page = __take_empty_page(c, &budget))) {
			call_rcu(&page->rcu, page_free_rcu);
			done++;
		}
		spin_unlock(&c->lock);
	}
	return done;
}

/*
 * Gives one empty page of another class back, waiting for the grace
 * period, so that class for_class can use its memory: a store takes memory
 * that holds nothing (after FLUSH, deletes, expiry) before it evicts live
 * items.  A class's free chunks fill a page only when it may have an empty
 * one, so only those classes are looked at: a store at the limit with no
 * empty page anywhere pays one read per class.  May sleep.  Returns 0 or
 * -ENOENT.
 */
int kc_slab_take_empty(struct kc_cache *kc, u32 for_class)
{
	u32 i;

	might_sleep();
	for (i = 0; i < kc->large_id; i++) {
		struct kc_class *c = &kc->classes[i];
		struct kc_slab_page *pick;
		u64 budget;

		if (i == for_class || READ_ONCE(c->free_chunks) < c->perslab)
			continue;
		/* Bounded as kc_slab_release_empty(). */
		spin_lock(&c->lock);
		budget = min_t(u64, c->nr_pages, KC_RELEASE_SCAN);
		pick = __take_empty_page(c, &budget);
		spin_unlock(&c->lock);
		if (!pick)
			continue;
		/* Lookups may still hold pointers into the page. */
		synchronize_rcu_expedited();
		page_free_rcu(&pick->rcu);
		kc_stat_inc(kc, KC_STAT_SLABS_MOVED);
		return 0;
	}
	return -ENOENT;
}

/* Returns the class with the most pages other than except, or NULL. */
struct kc_class *kc_slab_biggest(struct kc_cache *kc, u32 except)
{
	struct kc_class *best = NULL;
	u32 i;

	for (i = 0; i < kc->large_id; i++) {
		struct kc_class *c = &kc->classes[i];

		if (i == except || !READ_ONCE(c->nr_pages))
			continue;
		if (!best || READ_ONCE(c->nr_pages) > READ_ONCE(best->nr_pages))
			best = c;
	}
	return best;
}

/* The class with pages whose chunks are least used: the cheapest to
 * empty.  NULL if no other class has a page.
 */
static struct kc_class *least_used(struct kc_cache *kc, u32 except)
{
	struct kc_class *best = NULL;
	u32 i;

	for (i = 0; i < kc->large_id; i++) {
		struct kc_class *c = &kc->classes[i];

		if (i == except || !READ_ONCE(c->nr_pages))
			continue;
		if (!best || READ_ONCE(c->used_chunks) * best->size <
			     READ_ONCE(best->used_chunks) * c->size)
			best = c;
	}
	return best;
}

/*
 * A class may give a page away if it keeps one, if its pages are empty, or
 * if nothing was stored in it for KC_IDLE_WINDOWS automove windows: a
 * class in use is never left without memory.
 */
static bool can_give(struct kc_class *c)
{
	u64 pages = READ_ONCE(c->nr_pages);

	return pages >= 2 ||
	       (pages == 1 && (READ_ONCE(c->idle_windows) >= KC_IDLE_WINDOWS ||
			       !READ_ONCE(c->used_chunks)));
}

/*
 * Picks the class to take a page from for class dst: the one with the most
 * free chunks if it has a page's worth, else the biggest (with idle_only,
 * the biggest that did not evict in the last window).  NULL if no class
 * can give.
 */
struct kc_class *kc_slab_pick_donor(struct kc_cache *kc, u32 dst, bool idle_only)
{
	struct kc_class *best = NULL;
	u32 i;

	for (i = 0; i < kc->large_id; i++) {
		struct kc_class *c = &kc->classes[i];

		if (i == dst || !can_give(c) ||
		    READ_ONCE(c->free_chunks) < c->perslab)
			continue;
		if (!best || READ_ONCE(c->free_chunks) >
			     READ_ONCE(best->free_chunks))
			best = c;
	}
	if (best)
		return best;
	for (i = 0; i < kc->large_id; i++) {
		struct kc_class *c = &kc->classes[i];

		if (i == dst || !can_give(c) ||
		    (idle_only && READ_ONCE(c->window_evictions)))
			continue;
		if (!best || READ_ONCE(c->nr_pages) > READ_ONCE(best->nr_pages))
			best = c;
	}
	return best;
}

/* Ends an automove window: counts idle windows per class. */
void kc_slab_end_window(struct kc_cache *kc)
{
	u32 i;

	for (i = 0; i < kc->nr_classes; i++) {
		struct kc_class *c = &kc->classes[i];

		if (READ_ONCE(c->window_allocs))
			WRITE_ONCE(c->idle_windows, 0);
		else if (c->idle_windows < U32_MAX)
			WRITE_ONCE(c->idle_windows, c->idle_windows + 1);
		WRITE_ONCE(c->window_allocs, 0);
		WRITE_ONCE(c->window_evictions, 0);
	}
}

/*
 * Frees memory for class c (or the large class) when the limit is reached
 * and c has nothing of its own to evict: a page of a class that can give
 * one (kc_slab_pick_donor()) is emptied and given back, else a page of the
 * class with the least in use, even its last: with more classes than pages,
 * each class still gets its turn (memcached would answer out of memory).
 * The store waits for an expedited grace period.  May sleep.
 */
int kc_slab_steal_page(struct kc_cache *kc, u32 for_class)
{
	struct kc_class *src;
	int err = -ENOMEM;

	mutex_lock(&kc->rebalance_mutex);
	src = kc_slab_pick_donor(kc, for_class, false);
	if (!src)
		src = least_used(kc, for_class);
	if (src)
		err = kc_slab_release_page(src, true);
	mutex_unlock(&kc->rebalance_mutex);
	return err ? -ENOMEM : 0;
}

/*
 * Changes the memory limit.  When lowered below what is in use, items are
 * evicted and pages given back until it fits (best effort: referenced
 * items stay until released; the limit still holds for new memory).  As
 * long as rounds give memory back it goes on, however far the limit was
 * lowered (a fixed number of rounds left the cache over its new limit,
 * and stores failing with ENOMEM until they had stolen the rest); it
 * stops after 64 rounds that gave nothing back, or on a fatal signal.
 */
int kc_slab_set_limit(struct kc_cache *kc, u64 limit_bytes)
{
	int idle = 0;

	WRITE_ONCE(kc->limit_bytes, limit_bytes);
	while (idle < 64 && !fatal_signal_pending(current)) {
		s64 before = atomic64_read(&kc->used_bytes);
		struct kc_class *src;
		int err;

		if (before <= limit_bytes)
			break;
		kc_lru_evict(&kc->classes[kc->large_id], 64);
		mutex_lock(&kc->rebalance_mutex);
		src = kc_slab_biggest(kc, KC_MAX_CLASSES);
		err = src ? kc_slab_release_page(src, true) : -ENOENT;
		mutex_unlock(&kc->rebalance_mutex);
		if (err == -ENOENT && !atomic64_read(&kc->large_bytes))
			break;
		if (atomic64_read(&kc->used_bytes) < before)
			idle = 0;
		else
			idle++;
		cond_resched();
	}
	return 0;
}

/* Called at module exit, with no user left: frees every page. */
void kc_slab_exit(struct kc_cache *kc)
{
	u32 i;

	for (i = 0; i < kc->large_id; i++) {
		struct kc_class *c = &kc->classes[i];
		struct kc_slab_page *page, *tmp;

		list_for_each_entry_safe(page, tmp, &c->pages, node) {
			list_del(&page->node);
			slab_page_free(page);
			mem_unreserve(kc, KC_PAGE_SIZE);
		}
		INIT_LIST_HEAD(&c->free);
	}
	/* Pending page_free_rcu() and kvfree_rcu() callbacks. */
	rcu_barrier();
}
