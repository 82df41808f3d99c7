/* SPDX-License-Identifier: GPL-2.0 */
/* Cache instances, one per network namespace (instance.c). */
#ifndef _KC_INSTANCE_H
#define _KC_INSTANCE_H

#include <linux/types.h>

struct kc_cache;
struct net;

/* What every instance is made of: the module parameters. */
struct kc_cache_params {
	u64 limit_bytes;		/* init_net's */
	u64 netns_limit_bytes;		/* every other namespace's */
	u32 chunk_min;
	u32 factor_pct;
	u32 item_size_max;
	bool automove;
};

int kc_instances_init(const struct kc_cache_params *p);
void kc_instances_exit(void);
struct kc_cache *kc_net_cache(struct net *net, bool create);
void kc_cache_get(struct kc_cache *kc);
void kc_cache_put(struct kc_cache *kc);
unsigned long kc_instances_sum(unsigned long (*fn)(struct kc_cache *kc,
						   unsigned long arg),
			       unsigned long arg);
u32 kc_instances_walk(u32 skip, int (*fn)(struct kc_cache *kc, void *arg),
		      void *arg, u32 *gen);

#endif /* _KC_INSTANCE_H */
