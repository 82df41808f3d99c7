/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_INSTANCE_H
#define _KC_INSTANCE_H

#include <linux/types.h>

struct kc_cache;
struct net;

/* What every instance is made of: the module parameters. */
struct kc_cache_params {
	u64 limit_bytes;
	u32 chunk_min;
	u32 factor_pct;
	u32 item_size_max;
	bool automove;
};

struct kc_cache *kc_cache_create(const struct kc_cache_params *p);
void kc_cache_destroy(struct kc_cache *kc);

int kc_instances_init(const struct kc_cache_params *p);
void kc_instances_exit(void);
struct kc_cache *kc_net_cache(const struct net *net);

#endif /* _KC_INSTANCE_H */
