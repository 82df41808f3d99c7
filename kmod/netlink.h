/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_NETLINK_H
#define _KC_NETLINK_H

#include <linux/types.h>
#include <linux/kcache.h>

int kc_genl_init(void);
void kc_genl_exit(void);
void kc_notify(struct kc_cache *kc, enum kc_event ev, int slot, const char *key,
	       u32 nkey);

#endif /* _KC_NETLINK_H */
