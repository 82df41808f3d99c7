// SPDX-License-Identifier: GPL-2.0
/*
 * Glob patterns over byte strings, matched as redis-server 7.0's
 * stringmatchlen() matches them, quirks included.  One dialect for the
 * kernel (the keys dump's KC_A_PATTERN, KC_OP_SCAN's pattern) and the
 * proxy (KEYS, SCAN MATCH, PSUBSCRIBE, PUBSUB CHANNELS): the proxy builds
 * this same file, which includes nothing but glob.h (u8, u32, s8 and bool
 * come from <linux/types.h> in the kernel, from the proxy's shim in
 * userspace; see userspace/proxy/glob.h).
 *
 *	*	any run of bytes, also none
 *	?	one byte
 *	[set]	one byte of the set: bytes, and ranges a-z in either order;
 *		[^set] any byte not in it
 *	\x	the byte x itself, also inside a set
 *
 * Redis's corners, kept: an empty string matches only the empty pattern
 * (not even "*"); a '[' without ']' runs to the end of the pattern, whose
 * last byte then closes it; "[a-]" is the range a..']'; range bounds
 * compare as signed chars and are not escaped; '!' is an ordinary byte;
 * a pattern whose 1001st '*' run is not its end matches nothing (Redis's
 * recursion limit).
 *
 * Matching is iterative: on a mismatch it resumes after the last '*' run
 * with one more byte of the string swallowed by it.  Going back to the
 * last '*' only is enough, because '*' is the only element that takes a
 * variable number of bytes (Redis's own "skip longer matches" shortcut
 * rests on the same fact).  So the work is at most the product of the two
 * lengths, with no recursion and no allocation.
 */
#include "glob.h"

/*
 * One element that is not '*' at pat[*pi] against byte c; moves *pi past
 * the element.  Sets follow Redis byte for byte, including what it does
 * with unusual ones ("[a-]", "[^", a missing ']').
 */
static bool kc_glob_elem(const u8 *pat, u32 plen, u32 *pi, u8 c)
{
	u32 i = *pi;
	bool neg, hit = false;

	if (pat[i] == '?') {
		*pi = i + 1;
		return true;
	}
	if (pat[i] == '\\' && plen - i >= 2) {
		*pi = i + 2;
		return pat[i + 1] == c;
	}
	if (pat[i] != '[') {
		*pi = i + 1;
		return pat[i] == c;
	}
	i++;
	neg = i < plen && pat[i] == '^';
	if (neg)
		i++;
	for (;; i++) {
		if (i < plen && pat[i] == '\\' && plen - i >= 2) {
			i++;
			hit |= pat[i] == c;
		} else if (i < plen && pat[i] == ']') {
			break;
		} else if (i >= plen) {
			/* No ']': the set ends with the pattern's last byte. */
			i = plen - 1;
			break;
		} else if (plen - i >= 3 && pat[i + 1] == '-') {
			int lo = (s8)pat[i], hi = (s8)pat[i + 2], v = (s8)c;

			if (lo > hi) {
				int t = lo;

				lo = hi;
				hi = t;
			}
			hit |= v >= lo && v <= hi;
			i += 2;
		} else {
			hit |= pat[i] == c;
		}
	}
	*pi = i + 1;
	return hit != neg;
}

bool kc_glob_match(const u8 *pat, u32 plen, const u8 *str, u32 slen)
{
	u32 pi = 0, si = 0, star_pi = 0, star_si = 0;
	u32 stars = 0, star_stars = 0;
	bool star = false;

	/* Redis's loop never starts on an empty side. */
	if (!plen || !slen)
		return !plen && !slen;
	for (;;) {
		/* Here si < slen. */
		if (pi < plen && pat[pi] == '*') {
			while (pi + 1 < plen && pat[pi + 1] == '*')
				pi++;
			if (pi + 1 == plen)
				return true;
			if (++stars > KC_GLOB_STARS_MAX)
				return false;
			star = true;
			star_pi = ++pi;
			star_si = si;
			star_stars = stars;
			continue;
		}
		if (pi < plen && kc_glob_elem(pat, plen, &pi, str[si])) {
			if (++si < slen)
				continue;
			while (pi < plen && pat[pi] == '*')
				pi++;
			if (pi == plen)
				return true;
		}
		/* Mismatch: the last '*' takes one more byte, if any is left. */
		if (!star || ++star_si >= slen)
			return false;
		pi = star_pi;
		si = star_si;
		stars = star_stars;
	}
}
