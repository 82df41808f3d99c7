/* SPDX-License-Identifier: GPL-2.0 */
/* The crawler: reclaims expired items in the background (crawler.c). */
#ifndef _KC_CRAWLER_H
#define _KC_CRAWLER_H

void kc_crawler_init(struct kc_cache *kc);
void kc_crawler_exit(struct kc_cache *kc);

#endif /* _KC_CRAWLER_H */
