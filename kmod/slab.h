/* SPDX-License-Identifier: GPL-2.0 */
/* Slab classes, 1 MiB pages, the memory limit and page moves (slab.c). */
#ifndef _KC_SLAB_H
#define _KC_SLAB_H

#include "kcache.h"

int kc_slab_init(struct kc_cache *kc, u64 limit_bytes, u32 chunk_min, u32 factor_pct,
		 u32 item_size_max);
void kc_slab_exit(struct kc_cache *kc);
u32 kc_slab_class_for(struct kc_cache *kc, size_t total);
struct kc_item *kc_slab_alloc_chunk(struct kc_class *c);
int kc_slab_grow(struct kc_class *c);
void kc_slab_free_chunk(struct kc_item *it);
struct kc_item *kc_large_alloc(struct kc_cache *kc, size_t total);
void kc_large_free(struct kc_item *it);
int kc_slab_release_page(struct kc_class *src, bool expedite);
int kc_slab_steal_page(struct kc_cache *kc, u32 for_class);
int kc_slab_take_empty(struct kc_cache *kc, u32 for_class);
struct kc_class *kc_slab_pick_donor(struct kc_cache *kc, u32 dst, bool idle_only);
struct kc_class *kc_slab_biggest(struct kc_cache *kc, u32 except);
void kc_slab_end_window(struct kc_cache *kc);
int kc_slab_set_limit(struct kc_cache *kc, u64 limit_bytes);
unsigned long kc_slab_release_empty(struct kc_cache *kc, unsigned long max_pages);

#endif /* _KC_SLAB_H */
