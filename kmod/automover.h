/* SPDX-License-Identifier: GPL-2.0 */
/* The automover: moves pages to the classes that evict (automover.c). */
#ifndef _KC_AUTOMOVER_H
#define _KC_AUTOMOVER_H

void kc_automover_init(struct kc_cache *kc);
void kc_automover_exit(struct kc_cache *kc);
void kc_automover_kick(struct kc_cache *kc);

#endif /* _KC_AUTOMOVER_H */
