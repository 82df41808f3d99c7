// SPDX-License-Identifier: GPL-2.0
/*
 * Key locks: the stripe table and the key sets of requests (keylock.h).
 *
 * A key's stripe is siphash(key) with a seed drawn at init, so that a
 * client cannot choose keys that share a stripe with somebody else's on
 * purpose.  A request first collects the stripes of every key it names
 * (no lock held: the keys were copied in by kc_op_prepare()), then takes
 * them: one stripe shared (or exclusive for a multi-key operation),
 * several exclusive in ascending index order, so that two requests never
 * wait for each other's stripes in a cycle.  All stripes of a class are
 * taken with the cache's kc.excl_sem (held shared) as lockdep's nest
 * lock; the ascending order is what makes that safe, lockdep only sees
 * one held lock per class.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/bitmap.h>
#include <linux/sched.h>
#include <linux/lockdep.h>
#include "keylock.h"

static struct lock_class_key kc_keylock_class[KC_KEYLOCK_GROUPS];
static const char * const kc_keylock_name[] = {
	"kc_keylock0", "kc_keylock1", "kc_keylock2", "kc_keylock3",
};

static_assert(ARRAY_SIZE(kc_keylock_name) == KC_KEYLOCK_GROUPS);

int kc_keylocks_init(struct kc_keylocks *kl)
{
	u32 i;

	kl->sems = kvcalloc(KC_KEYLOCKS, sizeof(*kl->sems), GFP_KERNEL);
	if (!kl->sems)
		return -ENOMEM;
	for (i = 0; i < KC_KEYLOCKS; i++)
		__init_rwsem(&kl->sems[i],
			     kc_keylock_name[i >> KC_KEYLOCK_GROUP_BITS],
			     &kc_keylock_class[i >> KC_KEYLOCK_GROUP_BITS]);
	get_random_bytes(&kl->seed, sizeof(kl->seed));
	return 0;
}

void kc_keylocks_exit(struct kc_keylocks *kl)
{
	kvfree(kl->sems);
	kl->sems = NULL;
}

u32 kc_keylock_index(const struct kc_keylocks *kl, const void *key, u32 len)
{
	return siphash(key, len, &kl->seed) & (KC_KEYLOCKS - 1);
}

/* Adds stripe idx; -ENOMEM when the set needs its bitmap and gets none. */
int kc_keyset_add(struct kc_keyset *ks, u32 idx)
{
	if (WARN_ON_ONCE(idx >= KC_KEYLOCKS || ks->locked))
		return -EINVAL;
	if (!ks->n) {
		ks->one = idx;
		ks->n = 1;
		return 0;
	}
	if (!ks->map) {
		if (idx == ks->one)
			return 0;
		/* A request's memory: charged to its caller. */
		ks->map = bitmap_zalloc(KC_KEYLOCKS, GFP_KERNEL_ACCOUNT);
		if (!ks->map)
			return -ENOMEM;
		__set_bit(ks->one, ks->map);
	}
	if (!__test_and_set_bit(idx, ks->map))
		ks->n++;
	return 0;
}

int kc_keyset_add_key(struct kc_keyset *ks, const struct kc_keylocks *kl,
		      const void *key, u32 len)
{
	return kc_keyset_add(ks, kc_keylock_index(kl, key, len));
}

/* Releases the stripes of ks below end, last taken first (lockdep pops
 * its held locks in order).
 */
static void unlock_below(struct kc_keylocks *kl, struct kc_keyset *ks, u32 end)
{
	u32 i;

	while (end && (i = find_last_bit(ks->map, end)) < end) {
		up_write(&kl->sems[i]);
		end = i;
	}
}

/*
 * Takes stripe s, one of several, exclusively and killably.  lockdep
 * counts a class's stripes as one held lock, which needs the nest form
 * for all of them (a merged held lock must carry its nest lock), and the
 * kernel has no killable nest form: with lockdep these waits are not
 * killable.  Without it the nest form is the plain one, so every wait is
 * killable there (the stock kernels).
 */
static int lock_one_of_many(struct rw_semaphore *s,
			    struct percpu_rw_semaphore *nest)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	down_write_nest_lock(s, nest);
	return 0;
#else
	return down_write_killable(s);
#endif
}

/*
 * Takes the stripes of ks.  With several, nest (held, in any mode) is
 * lockdep's nest lock.  Bounded by KC_KEYLOCKS; yields as it goes.  The
 * waits are killable (see lock_one_of_many()): -EINTR with no stripe
 * held when a fatal signal came first.
 */
int kc_keyset_lock(struct kc_keylocks *kl, struct kc_keyset *ks,
		   struct percpu_rw_semaphore *nest)
{
	u32 i, n = 0;
	int err;

	if (!ks->n)
		return 0;
	if (!ks->map) {
		struct rw_semaphore *s = &kl->sems[ks->one];

		err = ks->excl ? down_write_killable(s) : down_read_killable(s);
		if (err)
			return -EINTR;
	} else {
		for_each_set_bit(i, ks->map, KC_KEYLOCKS) {
			if (lock_one_of_many(&kl->sems[i], nest)) {
				unlock_below(kl, ks, i);
				return -EINTR;
			}
			if (!(++n & 255))
				cond_resched();
		}
	}
	ks->locked = true;
	return 0;
}

void kc_keyset_unlock(struct kc_keylocks *kl, struct kc_keyset *ks)
{
	if (!ks->locked)
		return;
	ks->locked = false;
	if (!ks->map) {
		if (ks->excl)
			up_write(&kl->sems[ks->one]);
		else
			up_read(&kl->sems[ks->one]);
		return;
	}
	unlock_below(kl, ks, KC_KEYLOCKS);
}

void kc_keyset_free(struct kc_keyset *ks)
{
	WARN_ON_ONCE(ks->locked);
	bitmap_free(ks->map);
	ks->map = NULL;
	ks->n = 0;
}

#ifdef CONFIG_LOCKDEP
/*
 * Asserts that the caller may touch key: it holds the whole cache
 * (whole held for writing) or key's stripe (exclusively if excl).
 * lockdep knows the stripes of one class held under a nest lock as one
 * held lock, so this checks the class of key's stripe, not the stripe.
 */
void kc_keylock_assert_held(struct kc_keylocks *kl,
			    struct percpu_rw_semaphore *whole,
			    const void *key, u32 len, bool excl)
{
	struct rw_semaphore *s = &kl->sems[kc_keylock_index(kl, key, len)];

	lockdep_assert(lockdep_is_held_type(whole, 0) ||
		       lockdep_is_held_type(s, excl ? 0 : -1));
}
#endif
