/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache internals shared by the module's files.
 *
 * Locking rules: the one complete statement.  Documentation/design.rst
 * mirrors the block between the markers word for word, and
 * selftests/vm/lock-rules.sh (run by make static-check) fails when the
 * two disagree: change both.
 *
 * lock-rules-begin
 * Locks, outermost first.  A lock is taken holding only locks before it
 * in one of these chains:
 *
 *   kc_instances_mutex -> kc_config_mutex -> kc.rebalance_mutex
 *   kc_instances_mutex -> kc.excl_sem
 *   kc.excl_sem -> key stripes -> cont->lock -> kc.rebalance_mutex
 *     -> item->lock -> class->lru_lock -> class->lock
 *   item->lock -> rhashtable bucket locks
 *
 * kc_instances_mutex (mutex, instance.c)
 *   Serialises making an instance (on a namespace's first use) and shutting
 *   one down (its namespace's pernet exit: dead set under kc_config_mutex,
 *   kc.excl_sem taken for writing to wait out running ops, then its items
 *   and pages freed).  Protects the instance list for writers; the shrinker
 *   reads it under SRCU.  Taken with no other lock held.
 * kc_config_mutex (mutex, config.c)
 *   Serialises configuration changes (KC_IOC_CONFIG, netlink CONFIG_SET);
 *   readers use READ_ONCE() on each field.  Held across the evictions and
 *   page moves of a lower limit: may sleep.  Taken with no other lock held.
 * kc.excl_sem (per-CPU rw-semaphore)
 *   Taken for reading by every operation, around its key stripes.  Taken
 *   for writing, with no key stripe, only by what needs the whole cache:
 *   FLUSH, SWAPDB, and a transaction with an op that reads keys it does
 *   not name (FLUSH, SWAPDB, SCAN); they run with no other operation in
 *   flight.  Protects kc.dbmap: read under it, written under it for
 *   writing (SWAPDB).  Operations
 *   never nest.  May sleep under it (allocation, cond_resched(), the locks
 *   below), never wait for user memory: inputs are copied in before it is
 *   taken and replies are written with page faults disabled (struct
 *   kc_req).
 * key stripes (rw-semaphores, kc.keylocks, keylock.c)
 *   A fixed table of 4096; a key belongs to one, by siphash with a seed
 *   drawn at load.  They protect the keyspace by name: the item linked
 *   under a key, and a container's elements against the multi-key
 *   operations.  An operation on one key holds its stripe shared (writers
 *   of one key still meet on item->lock and cont->lock).  A multi-key
 *   operation (MSET, RENAME, SMOVE, the set algebra and STORE forms, MGET
 *   of keys in several stripes) and a transaction collect the stripes of
 *   all the keys they name (a transaction: of all its ops and its watched
 *   keys) before taking any, then hold them all exclusively, taken in
 *   ascending index order (kc_keyset_lock()), so no two requests wait for
 *   each other in a cycle.  lockdep: four classes of 1024 stripes, all of
 *   a class taken with kc.excl_sem as nest lock; helpers that rely on
 *   them use kc_key_assert_held().  Work under them is bounded by the
 *   request and yields (kc_op_yield()).  Waits for them are killable
 *   (-EINTR, none held), except a multi-key request's under lockdep
 *   (no killable nest form).
 * cont->lock (mutex, one per container)
 *   Protects a container's elements, length, bucket table and sorted-set
 *   tree.  Taken with no spinlock held, one at a time (multi-key
 *   operations reach other containers through references, under their
 *   stripes).  May be held across allocation and cond_resched(), never
 *   across a wait for user memory.  Freeing a container after its last
 *   reference needs no lock.
 * kc.rebalance_mutex (mutex)
 *   Serialises page moves: the automover, kc_slab_steal_page() on the
 *   allocation path, a lower limit.  Taken with no spinlock held.  Sleeps
 *   (waits for references and for an RCU grace period); nothing under it
 *   allocates with reclaim.  The shrinker never takes it: it sets
 *   kc.pressure and kicks the automover.
 * item->lock (spinlock, one per item)
 *   Protects the item's state (LINKED <-> ALLOC), its place in the index
 *   and in its LRU, and the metadata exptime, client_flags, cas and meta
 *   (memcached's stale and token bits: read, tested and set together
 *   under it, so one reader of many wins a token).  atime (kc_now_sec()
 *   of the last access, or as SETIDLE set it) is written without it,
 *   with WRITE_ONCE(), by an access only when the second changed: a
 *   torn or lost update costs an idle time one second off, nothing else.
 *   A hash or set element's atime numbers its insertion instead
 *   (kc_cont.seq, under the container's mutex): a small hash's field
 *   order.  Key and
 *   value are written only while the item is private and are immutable
 *   once linked: readers need only a reference.  The lock of an item
 *   nobody else can see yet nests inside the old item's lock
 *   (SINGLE_DEPTH_NESTING, in kc_item_publish() only).  client_flags too
 *   is written only while the item is private.  cas changes in place
 *   under the lock, with WRITE_ONCE(): a reader that wants one value of
 *   it (GET) may READ_ONCE() it holding a reference only.
 * class->lru_lock (spinlock, one per slab class)
 *   Protects the class's LRU lists and counts, item->seg, mem_requested and
 *   the eviction counters.  Eviction (the shrinker's too) holds it and
 *   takes item locks with spin_trylock() only, against the order; the
 *   victim is unlinked after lru_lock is dropped.
 * class->lock (spinlock, one per slab class)
 *   Protects the free chunk list, the page list, the chunk counters and
 *   page->used and page->moving.  Innermost.
 * rhashtable bucket locks (inside the index)
 *   Taken by rhashtable's insert, replace and remove, which run under
 *   item->lock (index.c, called by item.c only).  Lookups and walks take
 *   none: they run under RCU.  SCAN's walk of a bucket that keeps moving
 *   under it (pin_bucket(), index.c) takes that bucket's lock with only
 *   RCU held and takes nothing inside it (reference counts only).
 *   A store of a new key that the index refuses while it is resized
 *   (-EBUSY) waits for rhashtable's resize worker (flush_work(),
 *   kc_index_wait_resize()) holding its key stripes, kc.excl_sem and
 *   possibly a cont->lock, never a spinlock: the worker takes only the
 *   index's mutex and bucket locks, and reclaim from its allocations
 *   enters kcache only through the shrinker, which takes no kcache mutex
 *   or semaphore.
 * kc_waiter.lock (mutex, wait.c)
 *   Serialises changes to one waiter's wait entries (KC_IOC_WAIT, the
 *   fd's release, a blocking op's own waiter).  Taken with no other lock
 *   held; may allocate under it.  Blocking ops sleep with no lock at all:
 *   they run their op with kc_op_run() and wait between runs.
 * kc_wait_heads[] wait queue locks -> kc_waiter.wq lock (wait.c)
 *   A push wakes its key's bucket queue (under any cache lock, it only
 *   takes these spinlocks); the entry's wake function sets the waiter's
 *   pending flag and wakes the waiter's own queue, whose lock nests
 *   inside the bucket's.  Nothing else nests in them but poll's and
 *   epoll's own queue locks.
 *
 * Two lru_locks or two class->locks are never held together.  Nothing
 * sleeps, allocates or touches user memory under a spinlock (prepare
 * outside, publish inside).  The shrinker takes no mutex or semaphore, so
 * it may run from any allocation.  User memory is read and written only by the
 * request layer (req.c, txn.c, chardev.c): before kc.excl_sem is taken,
 * after it is released, or with page faults disabled.  The crawler, the
 * automover, eviction and the shrinker take no key stripe: they only
 * unlink items, under item->lock.
 * lock-rules-end
 *
 * Lifetime: items live in chunks of 1 MiB slab pages (or in a kvmalloc'd
 * buffer for the large class).  item->ref counts references: the index
 * holds one while the item is LINKED, every reader holds one.  Chunks are
 * reused as soon as the last reference is gone, so lookups follow the
 * SLAB_TYPESAFE_BY_RCU pattern: find under RCU, kc_ref_tryget() (compat.h),
 * then check state == LINKED (acquire) and the key; pages are only given
 * back to the kernel after an RCU grace period.
 */
#ifndef _KC_KCACHE_H
#define _KC_KCACHE_H

#include <linux/types.h>
#include <linux/cache.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <linux/mutex.h>
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/percpu-rwsem.h>
#include <linux/gfp.h>
#include <linux/kcache.h>
#include "compat.h"
#include "keylock.h"

#define KC_PAGE_SHIFT		20
#define KC_PAGE_SIZE		BIT(KC_PAGE_SHIFT)
#define KC_PAGE_ORDER		(KC_PAGE_SHIFT - PAGE_SHIFT)
#define KC_CHUNK_ALIGN		8
#define KC_MAX_CLASSES		128	/* slab classes incl. the large one */
#define KC_MIN_LIMIT_MB		2
#define KC_IDLE_WINDOWS		3	/* automove windows */

enum kc_state {
	KC_ITEM_FREE = 0,	/* chunk on its class's free list */
	KC_ITEM_ALLOC,		/* owned by references, not in the index */
	KC_ITEM_LINKED,		/* in the index and an LRU */
	KC_ITEM_MOVING,		/* free chunk of a page being given back */
};

enum kc_seg {
	KC_SEG_HOT = 0,
	KC_SEG_WARM,
	KC_SEG_COLD,
	KC_NR_SEGS
};

/*
 * kc_item.meta: memcached's stale-while-revalidate state.  STALE: marked
 * invalid (md I) but still served; TOKEN: a client was told it won the
 * right to refresh the value (mg W), so others are told so (Z).
 */
#define KC_IT_STALE		BIT(0)
#define KC_IT_TOKEN		BIT(1)

/* Internal type of an element of a list, hash or set (never keyed). */
#define KC_TYPE_ELEM	0xff

/*
 * struct kc_item - a keyed item, or an element of a container.  Elements
 * (type KC_TYPE_ELEM) use the same chunks: they are never in the index or
 * an LRU, and belong to the container in owner.
 */
struct kc_item {
	/*
	 * The index link.  Only the index writes it while the chunk is an
	 * item, and a freed chunk keeps the nulls marker kc_item_put() puts
	 * there: a lockless lookup may still walk through any chunk.
	 */
	struct rhash_head node;
	union {
		/* LRU segment, free list, or the list of a list's elements */
		struct list_head lru;
		struct kc_item *chain;	/* hash/set element: bucket chain */
	};
	spinlock_t lock;		/* see the rules above */
	refcount_t ref;
	union {
		u64 cas;
		struct kc_item *owner;	/* element: its container */
	};
	union {
		u64 exptime;		/* ms since boot, 0: never */
		u32 ehash;		/* hash/set element: hash of its key */
	};
	u32 client_flags;		/* element: length of its key part */
	u32 nbytes;			/* value length */
	u8 nkey;
	u8 clsid;
	u8 seg;
	u8 type;			/* enum kc_type */
	u8 state;			/* enum kc_state */
	u8 fetched;			/* read at least once */
	u8 active;			/* read twice: worth keeping */
	u8 db;				/* its database's slot (kc_cache.dbmap) */
	/*
	 * Keyed items: kc_now_sec() of the store or of the last read that
	 * counted as an access (OBJECT IDLETIME, mg's l); written without
	 * a lock, at most once a second per item.
	 */
	u32 atime;
	u8 meta;			/* KC_IT_*, under lock */
	char data[];			/* key, then value */
};

static inline char *kc_item_key(struct kc_item *it)
{
	return it->data;
}

static inline char *kc_item_value(struct kc_item *it)
{
	return it->data + it->nkey;
}

static inline size_t kc_item_total(u32 nkey, u32 nbytes)
{
	return sizeof(struct kc_item) + nkey + nbytes;
}

/* The header at the start of every 1 MiB slab page. */
struct kc_slab_page {
	struct list_head node;		/* class->pages */
	struct rcu_head rcu;
	struct kc_cache *cache;		/* the instance it belongs to */
	u32 clsid;
	u32 used;			/* chunks not free */
	bool moving;			/* being emptied by a page move */
};

#define KC_PAGE_HDR	ALIGN(sizeof(struct kc_slab_page), 64)

/*
 * Cache-line aligned: the lock and counters of one class must not share a
 * line with the next class's, which other CPUs write.
 */
struct kc_class {
	u32 id;
	u32 size;			/* chunk size; 0 for the large class */
	u32 perslab;			/* chunks per page */

	spinlock_t lock;		/* free list, pages, chunk counters */
	struct list_head free;		/* free chunks */
	struct list_head pages;		/* struct kc_slab_page */
	u64 nr_pages;
	u64 used_chunks;
	u64 free_chunks;

	spinlock_t lru_lock;		/* LRU lists, counts, item->seg */
	struct list_head lru[KC_NR_SEGS];
	u64 lru_count[KC_NR_SEGS];
	u64 mem_requested;		/* bytes of the linked items */

	/* Updated under lru_lock. */
	u64 evictions;
	u64 reclaimed;
	u64 outofmemory;
	u64 window_evictions;		/* evictions since the last automove */
	u64 window_allocs;		/* items allocated, likewise (racy) */
	u32 idle_windows;		/* windows in a row with no allocation */
} ____cacheline_aligned_in_smp;

enum kc_stat {
	KC_STAT_GET_HITS,
	KC_STAT_GET_MISSES,
	KC_STAT_GET_EXPIRED,
	KC_STAT_CMD_GET,
	KC_STAT_CMD_SET,
	KC_STAT_CMD_TOUCH,
	KC_STAT_DELETE_HITS,
	KC_STAT_DELETE_MISSES,
	KC_STAT_INCR_HITS,
	KC_STAT_INCR_MISSES,
	KC_STAT_CAS_HITS,
	KC_STAT_CAS_BADVAL,
	KC_STAT_CAS_MISSES,
	KC_STAT_EVICTIONS,
	KC_STAT_EXPIRED_UNFETCHED,
	KC_STAT_EVICTED_UNFETCHED,
	KC_STAT_RECLAIMED,
	KC_STAT_CRAWLER_RECLAIMED,
	KC_STAT_OUTOFMEMORY,
	KC_STAT_SLABS_MOVED,
	KC_STAT_SHRINKER_FREED,
	KC_STAT_TOTAL_ITEMS,
	KC_NR_STATS
};

struct kc_pcpu_stats {
	u64 v[KC_NR_STATS];
};

/* A walk of the whole index in batches (kc_walk_next()). */
struct kc_walk {
	struct rhashtable_iter iter;
	bool end;		/* the last call reached the end */
	u32 seen;		/* entries the last call looked at */
};

struct kc_cache {
	struct rhashtable index;
	/* the keys' hash seed: changes only while the index is empty (index.c) */
	u32 hash_seed;
	struct kc_class classes[KC_MAX_CLASSES];
	u32 nr_classes;			/* including the large class */
	u32 large_id;			/* id of the large class (last) */

	u64 limit_bytes;		/* hard memory limit */
	atomic64_t used_bytes;		/* slab pages + large items */
	atomic64_t slab_pages;
	atomic64_t large_bytes;
	atomic64_t curr_items;
	/*
	 * Databases: dbmap[n] is the slot whose items database n holds, the
	 * slot an item carries in kc_item.db (SWAPDB swaps two entries).
	 * Read under excl_sem shared, written under it exclusively.
	 */
	u8 dbmap[KC_DB_COUNT];
	atomic64_t dbsize[KC_DB_COUNT];	/* linked items per slot */
	atomic64_t bytes;		/* keys + values stored */
	atomic64_t cas_seq;
	u32 item_size_max;		/* kc_item_size_max() */
	u32 chunk_min;
	u32 factor_pct;
	bool automove;
	bool noevict;			/* live items are never evicted */
	bool notify;
	u64 start_ms;

	struct kc_pcpu_stats __percpu *stats;

	struct mutex rebalance_mutex;	/* serialises page moves */
	struct percpu_rw_semaphore excl_sem;	/* see kc_op_exec() */
	/* Key locks (keylock.c): the stripes, taken under excl_sem shared. */
	struct kc_keylocks keylocks;
	struct delayed_work crawler_work;
	struct kc_walk crawl_walk;	/* the crawler's place in the index */
	struct delayed_work automove_work;
	bool pressure;			/* the shrinker wants a page back */
	struct shrinker *shrinker;

	/* The instance (instance.c). */
	struct net *net;		/* its network namespace, not counted */
	struct user_namespace *user_ns;	/* net's owner, counted: who admins it */
	u64 net_cookie;			/* ... its inode number, for tools */
	refcount_t ref;			/* open fds, plus one while net lives */
	bool dead;			/* net went away: everything fails */
	struct list_head node;		/* kc_instances, under kc_instances_mutex */
	struct rcu_head rcu;
};

/*
 * Memory cgroup accounting (Documentation/design.rst, "Accounting").
 * Cache contents are charged to the memory cgroup of the task whose store
 * takes the memory (__GFP_ACCOUNT): a slab page to the task that grew it,
 * for as long as the page lives, whatever cgroup's items later fill its
 * chunks (as tmpfs and socket buffers do); a large item to the task that
 * stored it.  Request and reply buffers are charged to the caller too.
 * A cgroup at its memory.max gets -ENOMEM (or evicts within the cache),
 * never an OOM kill: slab pages are taken with __GFP_NORETRY, everything
 * else that can be large with __GFP_RETRY_MAYFAIL; both make a failed
 * memcg charge return instead of invoking the OOM killer.
 */
#define KC_GFP_CONTENTS	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN)
#define KC_GFP_REQ	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/*
 * lockdep: the caller holds key's stripe (exclusively if excl) or the
 * whole cache (kc->excl_sem for writing).
 */
static inline void kc_key_assert_held(struct kc_cache *kc, const void *key,
				      u32 len, bool excl)
{
	kc_keylock_assert_held(&kc->keylocks, &kc->excl_sem, key, len, excl);
}

static inline void kc_stat_add(struct kc_cache *kc, enum kc_stat s, u64 n)
{
	this_cpu_add(kc->stats->v[s], n);
}

static inline void kc_stat_inc(struct kc_cache *kc, enum kc_stat s)
{
	kc_stat_add(kc, s, 1);
}

/* The instance a slab class belongs to (classes are embedded in it). */
static inline struct kc_cache *kc_class_cache(struct kc_class *cls)
{
	return container_of(cls - cls->id, struct kc_cache, classes[0]);
}

/* The instance an item or element belongs to (slab.c). */
struct kc_cache *kc_item_cache(const struct kc_item *it);

u64 kc_stat_sum(struct kc_cache *kc, enum kc_stat s);
u64 kc_now_ms(void);

/* The largest value: changed at run time (kc_config_apply()). */
static inline u32 kc_item_size_max(const struct kc_cache *kc)
{
	return READ_ONCE(kc->item_size_max);
}

u32 kc_now_sec(void);
s64 kc_real_offset_ms(void);	/* unix ms = ms since boot + this */
u64 kc_next_cas(struct kc_cache *kc);

/* Why the cache drops an item by itself (kc_item_reclaim()). */
enum kc_reclaim {
	KC_RECLAIM_EXPIRED,	/* expired, found by a lookup or at the LRU tail */
	KC_RECLAIM_CRAWLED,	/* expired, found by the crawler */
	KC_RECLAIM_EVICTED,	/* live, at the LRU tail of a full class */
	KC_RECLAIM_MOVED,	/* live, in a page being emptied */
};

/* Flags of kc_item_publish(). */
#define KC_PUB_CAS		BIT(0)	/* old must still have version cas */
#define KC_PUB_KEEPTTL		BIT(1)	/* the new item takes old's expiry */
#define KC_PUB_KEEPFLAGS	BIT(2)	/* ... and old's client flags */
/* with KC_PUB_CAS: a lower cas stores it as a stale value */
#define KC_PUB_STALE		BIT(3)
/* old's fetched bit, access time and meta (an in-place rewrite) */
#define KC_PUB_KEEPSTATE	BIT(4)

/* item.c: the item protocol */
void kc_items_exit(struct kc_cache *kc);
struct kc_item *kc_item_alloc(struct kc_cache *kc, u8 db, const void *key, u32 nkey,
			      u32 nbytes);
struct kc_item *kc_item_alloc_any(struct kc_cache *kc, u8 db, const void *key, u32 nkey,
				  u32 nbytes);
void kc_item_put(struct kc_item *it);
struct kc_item *kc_item_get(struct kc_cache *kc, u8 db, const void *key, u32 nkey,
			    bool bump);
int kc_item_publish(struct kc_item *old, struct kc_item *it, u64 cas,
		    u32 flags);
void __kc_item_unlink(struct kc_item *it);
bool kc_item_unlink(struct kc_item *it);
bool kc_item_reclaim(struct kc_item *it, enum kc_reclaim why);
bool kc_item_expired(const struct kc_item *it, u64 now);

/* index.c (index.h has the rest) */
int kc_flush_all(struct kc_cache *kc);
int kc_flush_db(struct kc_cache *kc, u8 slot);

#endif /* _KC_KCACHE_H */
