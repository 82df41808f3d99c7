/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_CONFIG_H
#define _KC_CONFIG_H

#include <linux/kcache.h>

u64 kc_config_limit_max_mb(void);
void kc_config_fill(struct kc_cache *kc, struct kc_config *cfg);
void kc_config_kill(struct kc_cache *kc);
u64 kc_config_admit(u64 want);
void kc_config_unadmit(u64 got);
int kc_config_set_ceiling(u64 mb);
u64 kc_config_ceiling_mb(void);
int kc_config_apply(struct kc_cache *kc, const struct kc_config *cfg, u32 mask);

#endif /* _KC_CONFIG_H */
