/* SPDX-License-Identifier: GPL-2.0 */
/* The segmented LRU of each slab class and eviction (lru.c). */
#ifndef _KC_LRU_H
#define _KC_LRU_H

#include "kcache.h"

void __kc_lru_add(struct kc_item *it);
void __kc_lru_del(struct kc_item *it);
void __kc_lru_replace(struct kc_item *old, struct kc_item *it);
int kc_lru_evict(struct kc_class *c, int tries);
void kc_lru_bump(struct kc_item *it);
unsigned long kc_lru_evict_cold(struct kc_cache *kc, unsigned long nr);
unsigned long kc_lru_count_cold(struct kc_cache *kc);

#endif /* _KC_LRU_H */
