/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_STATS_H
#define _KC_STATS_H

#include <linux/kcache.h>

int kc_stats_init(struct kc_cache *kc);
void kc_stats_exit(struct kc_cache *kc);
void kc_stats_fill(struct kc_cache *kc, struct kc_stats *st);
void kc_class_stats_fill(struct kc_cache *kc, u32 id, struct kc_class_stats *cs);

#endif /* _KC_STATS_H */
