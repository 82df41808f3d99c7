/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_GLOB_H
#define _KC_GLOB_H

#include <linux/types.h>

bool kc_glob_match(const u8 *pat, u32 plen, const u8 *str, u32 slen);

#endif /* _KC_GLOB_H */
