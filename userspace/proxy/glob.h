/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Redis's glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE), matched the way
 * redis-server 7.0 matches them, quirks included, over byte strings.
 */
#ifndef KCP_GLOB_H
#define KCP_GLOB_H

#include <stdbool.h>
#include <stddef.h>

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
 */
bool glob_match(const char *pat, size_t plen, const char *str, size_t slen);

/*
 * Redis does not match at all when the pattern is exactly "*" (so "*"
 * keeps even an empty member in SSCAN/HSCAN, where "**" does not).
 */
static inline bool glob_skip(const char *pat, size_t plen)
{
	return plen == 1 && pat[0] == '*';
}

#endif /* KCP_GLOB_H */
