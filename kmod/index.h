/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The index (index.c): the rhashtable of linked items, its walker (in
 * batches, or step by step), and what SCAN and the KEYS dump need to
 * walk it with their guarantees.  Only item.c inserts, replaces and
 * removes.
 */
#ifndef _KC_INDEX_H
#define _KC_INDEX_H

#include <linux/rhashtable-types.h>
#include "kcache.h"

int kc_index_init(struct kc_cache *kc);
void kc_index_exit(struct kc_cache *kc);
void kc_index_reseed(struct kc_cache *kc);
struct kc_item *kc_index_find(struct kc_cache *kc, u8 db, const void *key, u32 nkey);
int kc_index_insert(struct kc_item *it);
int kc_index_replace(struct kc_item *old, struct kc_item *it);
int kc_index_remove(struct kc_item *it);
bool kc_index_wait_resize(struct kc_cache *kc);

/* struct kc_walk (kcache.h): a walk of the index in batches (kc_walk_next()). */

void kc_walk_enter(struct kc_cache *kc, struct kc_walk *w);
void kc_walk_exit(struct kc_walk *w);
u32 kc_walk_next(struct kc_walk *w, struct kc_item **hold, u32 max,
		 u32 budget, bool (*want)(const struct kc_item *it, void *arg),
		 void *arg);
void kc_walk_put(struct kc_item **hold, u32 n);
bool kc_walk_start(struct kc_walk *w) __acquires(RCU);
struct kc_item *kc_walk_step(struct kc_walk *w, bool *lost);
void kc_walk_stop(struct kc_walk *w) __releases(RCU);
unsigned int kc_walk_slot(const struct kc_walk *w);
bool kc_walk_same_bucket(const struct kc_walk *w, struct kc_item *it);

/* The items SCAN pins for one cursor position (kc_index_pin_class()). */
#define KC_PIN_TABLES	16	/* tables of a resize chain (inserts may add several) */
#define KC_PIN_RETRIES	4	/* lockless walks of a bucket before its lock */

struct kc_pins {
	struct kc_item **hold;
	u32 n, cap;
	bool full;		/* the class did not fit in hold[] */
	bool stale;		/* the table chain or a chain moved: walk again */
};

u32 kc_index_pin_class(struct kc_cache *kc, u32 v, struct kc_pins *s);

#endif /* _KC_INDEX_H */
