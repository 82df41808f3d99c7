/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Redis's glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE), matched the way
 * redis-server 7.0 matches them, quirks included, over byte strings.
 *
 * The matcher is the kernel's own, kmod/glob.c, built into the proxy as
 * well (proxy.mk), so the module and the proxy speak one dialect and a
 * pattern the proxy hands the kernel filters exactly as the proxy would.
 * kmod/glob.c includes only kmod/glob.h, which wants the kernel's u8, s8,
 * u32 and bool from its includer: the shim below gives them (proxy.mk
 * force-includes this header when it compiles kmod/glob.c).
 */
#ifndef KCP_GLOB_H
#define KCP_GLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef __KERNEL__
typedef uint8_t u8;
typedef int8_t s8;
typedef uint32_t u32;
#endif

#include "../../kmod/glob.h"

/*
 * Does str match pat?  Both are bytes with a length (NUL is a byte).
 *
 *	*	any run of bytes		?	one byte
 *	[abc]	one of a, b, c			[^abc]	one byte not in the set
 *	[a-z]	a range (either order)		\x	x itself, also in a set
 *
 * As Redis: an empty string matches only the empty pattern (not even
 * "*"); a '[' without ']' runs to the end of the pattern; ranges compare
 * bytes as signed chars; a pattern whose 1001st '*' run is not its last
 * character matches nothing (Redis's recursion limit).  Iterative: at most
 * the product of the lengths in steps, no recursion, no allocation.
 * Lengths past 4 GiB (more than any client may send) match nothing.
 */
static inline bool glob_match(const char *pat, size_t plen, const char *str,
			      size_t slen)
{
	if (plen > UINT32_MAX || slen > UINT32_MAX)
		return false;
	return kc_glob_match((const u8 *)pat, (u32)plen, (const u8 *)str,
			     (u32)slen);
}

/*
 * Redis does not match at all when the pattern is exactly "*" (so "*"
 * keeps even an empty member in SSCAN/HSCAN, where "**" does not).
 */
static inline bool glob_skip(const char *pat, size_t plen)
{
	return plen == 1 && pat[0] == '*';
}

#endif /* KCP_GLOB_H */
