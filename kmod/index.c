// SPDX-License-Identifier: GPL-2.0
/*
 * The index: an rhashtable keyed by the item's binary key, and the one
 * place that knows how it is laid out.  Lookups run under RCU with no
 * lock; insert, replace and remove run under the item's lock (item.c owns
 * that protocol: nothing else calls them).  Walks of the whole index go
 * through one walker: kc_walk_next() in batches (FLUSH, the crawler), or
 * its steps (the KEYS dump, which checks a chunk's bucket with
 * kc_walk_same_bucket()); SCAN pins the buckets of its cursor with
 * kc_index_pin_class().
 *
 * Item chunks are reused without a grace period (the slab pages stay), so
 * a walker takes a reference with kc_ref_tryget() and then checks,
 * with acquire ordering, that the chunk is still a LINKED item.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/log2.h>
#include <linux/sched.h>
#include <linux/err.h>
#include <linux/workqueue.h>
#include "kcache.h"
#include "index.h"
#include "netlink.h"

struct kc_lookup {
	const void *key;
	u32 len;
	u32 seed;
	u8 db;
};

/*
 * Keys hash with the instance's secret seed (kc.hash_seed), not the
 * per-table seed rhashtable passes: a key then sits in the bucket given by
 * the low bits of its hash in every table, which SCAN's cursor relies on
 * (scan.c).  The seed is drawn again when a FLUSH leaves the index empty
 * (kc_index_reseed()), so that keys written back in the order the index
 * listed them (a save, then a load) do not arrive one bucket at a time.
 */
static u32 key_hash(const void *data, u32 len, u32 seed)
{
	const struct kc_lookup *k = data;

	return jhash(k->key, k->len, k->seed + k->db);
}

static u32 obj_hash(const void *data, u32 len, u32 seed)
{
	const struct kc_item *it = data;

	return jhash(it->data, it->nkey,
		     READ_ONCE(kc_item_cache(it)->hash_seed) + it->db);
}

/*
 * Compares under RCU with no reference: the chunk may be reused meanwhile,
 * so this is only a hint that kc_item_get() checks again.  The length read
 * once was valid for this chunk, so the compare stays inside it.
 */
static int obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct kc_lookup *k = arg->key;
	const struct kc_item *it = obj;

	return READ_ONCE(it->nkey) != k->len || READ_ONCE(it->db) != k->db ||
	       memcmp(it->data, k->key, k->len);
}

static const struct rhashtable_params kc_ht_params = {
	.head_offset		= offsetof(struct kc_item, node),
	.hashfn			= key_hash,
	.obj_hashfn		= obj_hash,
	.obj_cmpfn		= obj_cmp,
	.automatic_shrinking	= true,
	.min_size		= 1024,
};

int kc_index_init(struct kc_cache *kc)
{
	kc->hash_seed = get_random_u32();
	return rhashtable_init(&kc->index, &kc_ht_params);
}

/*
 * Draws a new hash seed if the index is empty.  The seed places every key
 * in every table of the index, so it may change only while no entry is
 * linked and no operation runs: the caller holds kc.excl_sem for writing
 * (FLUSH), which keeps every store, lookup and SCAN out, and nelems 0
 * means no item is left for the crawler, the automover or the shrinker
 * to unlink.  A resize may still be in progress: its tables are empty.
 *
 * Why: with one seed for the life of the index, a save lists the keys in
 * the order of their hashes' low bits (SCAN's order), and loading that
 * file back after a FLUSH that shrank the index put every key of a long
 * run into one bucket of the small, growing table.  rhashtable's
 * defence, a rehash with a new per-table seed, cannot help (the per-table
 * seed is ignored, above), so inserts met chains at its limit and were
 * refused (-EBUSY) until the worker caught up: 1,814 to 16,126 refusals
 * and 34 to 56 s of waiting in a 1,000,000-key load (persistence.rst).
 * With a new seed the file's order is random to the index.
 */
void kc_index_reseed(struct kc_cache *kc)
{
	lockdep_assert_held_write(&kc->excl_sem);
	if (!atomic_read(&kc->index.nelems))
		WRITE_ONCE(kc->hash_seed, get_random_u32());
}

void kc_index_exit(struct kc_cache *kc)
{
	rhashtable_destroy(&kc->index);
}

/* The chunk the index holds for key, unpinned.  Caller holds RCU. */
struct kc_item *kc_index_find(struct kc_cache *kc, u8 db, const void *key, u32 nkey)
{
	struct kc_lookup k = { .key = key, .len = nkey, .db = db,
			       .seed = READ_ONCE(kc->hash_seed) };

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "caller needs the RCU read lock");
	return rhashtable_lookup(&kc->index, &k, kc_ht_params);
}

/* Caller holds it->lock (item.c).  0, -EEXIST, or another error. */
int kc_index_insert(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_lookup k = { .key = it->data, .len = it->nkey, .db = it->db,
			       .seed = READ_ONCE(kc->hash_seed) };

	lockdep_assert_held(&it->lock);
	return rhashtable_lookup_insert_key(&kc->index, &k, &it->node,
					    kc_ht_params);
}

/* Caller holds both items' locks (item.c). */
int kc_index_replace(struct kc_item *old, struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);

	lockdep_assert_held(&old->lock);
	lockdep_assert_held(&it->lock);
	return rhashtable_replace_fast(&kc->index, &old->node, &it->node,
				       kc_ht_params);
}

/* Caller holds it->lock (item.c). */
int kc_index_remove(struct kc_item *it)
{
	struct kc_cache *kc = kc_item_cache(it);

	lockdep_assert_held(&it->lock);
	return rhashtable_remove_fast(&kc->index, &it->node, kc_ht_params);
}

/*
 * Waits for the index's resize worker to finish the run queued or running
 * now, for an insert the index refused with -EBUSY (a resize is under
 * way: rhashtable inserts into the newest table, and refuses when that
 * table cannot take more until the worker has rehashed into it).  Returns
 * false at once when no run is queued.  May sleep, for as long as one run
 * of the worker takes; the worker takes only the index's own mutex and
 * bucket locks and allocates (GFP_KERNEL, the shrinker takes no kcache
 * mutex), so the caller may hold key stripes, kc.excl_sem and a
 * cont->lock, but no spinlock.
 */
bool kc_index_wait_resize(struct kc_cache *kc)
{
	might_sleep();
	return flush_work(&kc->index.run_work);
}

void kc_walk_enter(struct kc_cache *kc, struct kc_walk *w)
{
	rhashtable_walk_enter(&kc->index, &w->iter);
	w->end = false;
	w->seen = 0;
}

void kc_walk_exit(struct kc_walk *w)
{
	rhashtable_walk_exit(&w->iter);
}

/*
 * The steps of a walk, for a walker that batches its own way (the KEYS
 * dump; kc_walk_next() below is built on them).  kc_walk_start() enters an
 * RCU read section and returns true when the walk lost its place: the
 * table was resized since kc_walk_stop() and the walk starts over in the
 * new one.  If the entry the walk stood on was removed meanwhile, it goes
 * on from the head of that entry's bucket (not from a count of entries
 * into it, which insertions and removals shift), so a walker that must
 * not repeat keys remembers those of the current bucket (kc_walk_slot()).
 */
bool kc_walk_start(struct kc_walk *w)
	__acquires(RCU)
{
	if (w->end) {
		struct rhashtable *ht = w->iter.ht;

		rhashtable_walk_exit(&w->iter);
		rhashtable_walk_enter(ht, &w->iter);
		w->end = false;
	}
	w->iter.skip = 0;
	return rhashtable_walk_start_check(&w->iter) == -EAGAIN;
}

/*
 * The next entry, unpinned (RCU only: take a reference before using it),
 * or NULL at the end of the table (w->end set).  *lost is set when a
 * resize moved the walk to the new table's start.
 */
struct kc_item *kc_walk_step(struct kc_walk *w, bool *lost)
{
	struct kc_item *it;

	for (;;) {
		it = rhashtable_walk_next(&w->iter);
		if (!IS_ERR(it))
			break;
		*lost = true;	/* -EAGAIN: a resize */
	}
	if (it)
		w->seen++;
	else
		w->end = true;
	return it;
}

/* Leaves the RCU read section; the walk keeps its place. */
void kc_walk_stop(struct kc_walk *w)
	__releases(RCU)
{
	rhashtable_walk_stop(&w->iter);
}

/* The bucket the walk stands in. */
unsigned int kc_walk_slot(const struct kc_walk *w)
{
	return w->iter.slot;
}

/*
 * Does it, pinned and LINKED, hash to the bucket the walk stands in?  If
 * not, its chunk was freed and reused under the walk, which followed it
 * into another chain and skipped the rest of its bucket.  Under RCU.
 */
bool kc_walk_same_bucket(const struct kc_walk *w, struct kc_item *it)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "caller needs the RCU read lock");
	return rht_head_hashfn(w->iter.ht, w->iter.walker.tbl, &it->node,
			       kc_ht_params) == w->iter.slot;
}

/*
 * The batched index walker: pins up to max items from where the walk
 * stopped, looking at no more than budget entries, and returns how many
 * it pinned in hold[], each with a reference and LINKED when looked at
 * (acquire: its key and value are whole).  want (may be NULL) filters
 * under RCU with no reference: a hint only, the caller checks again under
 * the item's lock.  At the end of the table w->end is set and the next
 * call starts over.  w->seen counts the entries looked at.  May sleep
 * (between RCU sections); never holds a lock when it returns.
 *
 * A walk stopped and restarted around removals or a resize may skip or
 * repeat entries: callers that must see everything walk again (FLUSH) or
 * come back later (the crawler); SCAN has its own guarantee
 * (kc_index_pin_class()), the KEYS dump its own check
 * (kc_walk_same_bucket()).
 */
u32 kc_walk_next(struct kc_walk *w, struct kc_item **hold, u32 max,
		 u32 budget, bool (*want)(const struct kc_item *it, void *arg),
		 void *arg)
{
	u32 n = 0, i, kept = 0;
	bool lost = false;

	w->seen = 0;
	kc_walk_start(w);
	while (n < max && w->seen < budget) {
		struct kc_item *it = kc_walk_step(w, &lost);

		if (!it)
			break;
		if ((!want || want(it, arg)) && kc_ref_tryget(&it->ref))
			hold[n++] = it;
	}
	kc_walk_stop(w);

	/* Out of RCU: a put may free a container and sleep. */
	for (i = 0; i < n; i++) {
		/* Acquire: pairs with the release in the link. */
		if (smp_load_acquire(&hold[i]->state) == KC_ITEM_LINKED)
			hold[kept++] = hold[i];
		else
			kc_item_put(hold[i]);
	}
	return kept;
}

void kc_walk_put(struct kc_item **hold, u32 n)
{
	while (n)
		kc_item_put(hold[--n]);
}

#define KC_FLUSH_HOLD	64
#define KC_FLUSH_PASSES	16

static bool in_slot(const struct kc_item *it, void *slot)
{
	return READ_ONCE(it->db) == *(u8 *)slot;
}

/*
 * Unlinks every item (slot < 0: FLUSH, module exit) or those of one
 * database's slot (FLUSH with KC_FLUSH_DB).  A walk stopped and restarted
 * around removals may skip entries, so it walks again until a walk finds
 * nothing.  Items stored meanwhile may survive.
 */
static void flush(struct kc_cache *kc, int slot)
{
	struct kc_item *hold[KC_FLUSH_HOLD];
	struct kc_walk w;
	u8 s = slot;
	int pass;
	u64 total;
	u32 n, i;

	for (pass = 0; pass < KC_FLUSH_PASSES; pass++) {
		total = 0;
		kc_walk_enter(kc, &w);
		do {
			n = kc_walk_next(&w, hold, KC_FLUSH_HOLD, U32_MAX,
					 slot < 0 ? NULL : in_slot, &s);
			for (i = 0; i < n; i++)
				if (slot < 0 || hold[i]->db == s)
					total += kc_item_unlink(hold[i]);
			kc_walk_put(hold, n);
			cond_resched();
		} while (!w.end);
		kc_walk_exit(&w);
		if (!total && (slot < 0 ? !atomic_read(&kc->index.nelems) :
			       !atomic64_read(&kc->dbsize[s])))
			break;
	}
	kc_notify(kc, KC_EVENT_FLUSH, slot, NULL, 0);
}

int kc_flush_all(struct kc_cache *kc)
{
	flush(kc, -1);
	return 0;
}

int kc_flush_db(struct kc_cache *kc, u8 slot)
{
	flush(kc, slot);
	return 0;
}

/*
 * Pins the linked items of the chain from head on; false when the walk
 * ended in another chain (through a reused chunk, or an entry the rehash
 * moved) or s is full.  Under RCU.
 */
static bool pin_chain(struct rhash_head *head, struct bucket_table *tbl,
		      u32 b, void *marker, struct kc_pins *s)
{
	struct rhash_head *pos;

	rht_for_each_rcu_from(pos, head, tbl, b) {
		struct kc_item *it = container_of(pos, struct kc_item, node);

		if (s->n == s->cap) {
			s->full = true;
			return false;
		}
		if (kc_ref_tryget(&it->ref))
			s->hold[s->n++] = it;
	}
	return pos == marker;
}

/*
 * Pins the linked items of bucket b of tbl.  Under RCU.  A lockless walk
 * that does not end on the bucket's own marker is done again (items may
 * be pinned twice: SCAN allows repeats); if that does not settle either,
 * the chain is being rehashed or unlinked from right now, and the bucket
 * lock waits for that and holds the chain still for one more walk.
 */
static void pin_bucket(struct bucket_table *tbl, u32 b, struct kc_pins *s)
{
	struct rhash_lock_head __rcu **bkt = rht_bucket_var(tbl, b);
	unsigned long flags;
	int tries;

	if (!bkt)		/* a nested table's bucket never used */
		return;
	for (tries = 0; tries < KC_PIN_RETRIES; tries++)
		if (pin_chain(rht_ptr_rcu(bkt), tbl, b, RHT_NULLS_MARKER(bkt),
			      s) || s->full)
			return;
	flags = kc_rht_lock(tbl, bkt);
	/* Nothing leaves a locked chain; the caller retries if it did. */
	if (!pin_chain(rht_ptr_rcu(bkt), tbl, b, RHT_NULLS_MARKER(bkt), s) &&
	    !s->full)
		s->stale = true;
	kc_rht_unlock(tbl, bkt, flags);
}

/*
 * For SCAN's cursor (scan.c): pins every item of the cursor's bucket
 * class, the bucket v & m0 of the smallest table of the resize chain and
 * its extensions in the larger ones (old first: rhashtable moves entries
 * from old to new), so that a key present all along is seen even while
 * the table grows or shrinks.  Returns the smallest mask m0.  The items
 * are pinned, not checked: the caller checks the state (acquire).
 *
 * A rehash attaches its table (future_tbl) before it moves entries, so a
 * table attached after the chain was read may already hold entries of the
 * buckets walked: as rhashtable's own lookups, the last table's
 * future_tbl is read again after the walk, and a chain that grew sets
 * s->stale (so does a chain longer than KC_PIN_TABLES: inserts that
 * outpace the rehash worker attach more tables): the caller releases the
 * pins and walks the class again.
 */
u32 kc_index_pin_class(struct kc_cache *kc, u32 v, struct kc_pins *s)
{
	struct bucket_table *t[KC_PIN_TABLES], *tbl;
	u32 nt = 0, m0 = U32_MAX, i, j;

	rcu_read_lock();
	tbl = rht_dereference_rcu(kc->index.tbl, &kc->index);
	while (tbl && nt < KC_PIN_TABLES) {
		t[nt++] = tbl;
		m0 = min(m0, tbl->size - 1);
		tbl = rht_dereference_rcu(tbl->future_tbl, &kc->index);
	}
	for (i = 0; i < nt && !s->full; i++) {
		u32 steps = t[i]->size / (m0 + 1);

		/* Entries move on: see their removal, then the next table. */
		smp_rmb();
		for (j = 0; j < steps && !s->full; j++)
			pin_bucket(t[i], (v & m0) | (j << ilog2(m0 + 1)), s);
	}
	/* The walk, then future_tbl: pairs with the rehash's attach. */
	smp_rmb();
	if (rht_dereference_rcu(t[nt - 1]->future_tbl, &kc->index))
		s->stale = true;
	rcu_read_unlock();
	return m0;
}
