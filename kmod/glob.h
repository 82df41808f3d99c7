/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Redis's glob dialect (glob.c), shared with the proxy: in userspace the
 * includer provides u8, s8, u32 and bool first (userspace/proxy/glob.h).
 */
#ifndef _KC_GLOB_H
#define _KC_GLOB_H

#ifdef __KERNEL__
#include <linux/types.h>
#endif

/* '*' runs past this many make a pattern match nothing, as in Redis. */
#define KC_GLOB_STARS_MAX	1000

/* Does str match pat?  Both are bytes with a length (NUL is a byte). */
bool kc_glob_match(const u8 *pat, u32 plen, const u8 *str, u32 slen);

#endif /* _KC_GLOB_H */
