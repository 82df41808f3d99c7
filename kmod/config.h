/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_CONFIG_H
#define _KC_CONFIG_H

#include <linux/kcache.h>

u64 kc_config_limit_max_mb(void);
void kc_config_fill(struct kc_cache *kc, struct kc_config *cfg);
void kc_config_kill(struct kc_cache *kc);
int kc_config_apply(struct kc_cache *kc, const struct kc_config *cfg, u32 mask);

#endif /* _KC_CONFIG_H */
