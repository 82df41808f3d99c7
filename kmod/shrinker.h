/* SPDX-License-Identifier: GPL-2.0 */
/* The shrinker: gives memory back under system pressure (shrinker.c). */
#ifndef _KC_SHRINKER_H
#define _KC_SHRINKER_H

int kc_shrinker_init(void);
void kc_shrinker_exit(void);

#endif /* _KC_SHRINKER_H */
