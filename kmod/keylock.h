/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key locks (keylock.c): a fixed table of KC_KEYLOCKS rw-semaphores, the
 * "stripes"; a key maps to one stripe by a keyed hash.  An operation on
 * one key holds its stripe shared; an operation on several keys (and a
 * transaction) holds the stripes of all its keys exclusively, taken in
 * ascending order.  See the lock rules in kcache.h.
 */
#ifndef _KC_KEYLOCK_H
#define _KC_KEYLOCK_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/rwsem.h>
#include <linux/siphash.h>
#include <linux/percpu-rwsem.h>

#define KC_KEYLOCK_BITS		12
#define KC_KEYLOCKS		BIT(KC_KEYLOCK_BITS)	/* 4096 stripes */
/*
 * lockdep counts the stripes of one class taken under a nest lock in one
 * held_lock, whose 11-bit reference count cannot hold 4096: the table is
 * four classes of 1024 stripes, taken class after class.
 */
#define KC_KEYLOCK_GROUP_BITS	10
#define KC_KEYLOCK_GROUPS	(KC_KEYLOCKS >> KC_KEYLOCK_GROUP_BITS)

struct kc_keylocks {
	struct rw_semaphore *sems;	/* KC_KEYLOCKS stripes */
	siphash_key_t seed;		/* random, fixed at init */
};

/*
 * struct kc_keyset - the stripes one request (or transaction) locks: a
 * set of stripe indexes, kept in ascending order by a bitmap allocated
 * once a second stripe is added.  excl: lock exclusively even with one
 * stripe (several are always locked exclusively).
 */
struct kc_keyset {
	unsigned long *map;
	u32 one;		/* the stripe, while map is NULL and n == 1 */
	u32 n;			/* distinct stripes */
	bool excl;
	bool locked;
};

int kc_keylocks_init(struct kc_keylocks *kl);
void kc_keylocks_exit(struct kc_keylocks *kl);
u32 kc_keylock_index(const struct kc_keylocks *kl, const void *key, u32 len);
int kc_keyset_add(struct kc_keyset *ks, u32 idx);
int kc_keyset_add_key(struct kc_keyset *ks, const struct kc_keylocks *kl,
		      const void *key, u32 len);
int kc_keyset_lock(struct kc_keylocks *kl, struct kc_keyset *ks,
		   struct percpu_rw_semaphore *nest);
void kc_keyset_unlock(struct kc_keylocks *kl, struct kc_keyset *ks);
void kc_keyset_free(struct kc_keyset *ks);

#ifdef CONFIG_LOCKDEP
void kc_keylock_assert_held(struct kc_keylocks *kl,
			    struct percpu_rw_semaphore *whole,
			    const void *key, u32 len, bool excl);
#else
static inline void kc_keylock_assert_held(struct kc_keylocks *kl,
					  struct percpu_rw_semaphore *whole,
					  const void *key, u32 len, bool excl)
{
}
#endif

#endif /* _KC_KEYLOCK_H */
