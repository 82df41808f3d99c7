// SPDX-License-Identifier: GPL-2.0
/*
 * Glob matching with redis-server 7.0's semantics (see glob.h), without
 * its recursion: on a mismatch the match resumes after the last '*' run
 * with one more byte of the string swallowed by it.  Going back to the
 * last '*' only is enough, because '*' is the only element that can take
 * a variable number of bytes; Redis's own "skip longer matches" shortcut
 * rests on the same fact.
 */
#include "glob.h"

#define GLOB_STARS_MAX	1000	/* Redis gives up past this nesting */

/*
 * One element that is not '*' at pat[*pi], against byte c; moves *pi past
 * the element.  The set syntax follows Redis byte for byte, including
 * what it does with unusual sets ("[a-]", "[^", a missing ']').
 */
static bool elem(const char *pat, size_t plen, size_t *pi, char c)
{
	size_t i = *pi;
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
			int lo = (signed char)pat[i], hi = (signed char)pat[i + 2];
			int v = (signed char)c;

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

bool glob_match(const char *pat, size_t plen, const char *str, size_t slen)
{
	size_t pi = 0, si = 0, star_pi = 0, star_si = 0;
	unsigned int stars = 0, star_stars = 0;
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
			if (++stars > GLOB_STARS_MAX)
				return false;
			star = true;
			star_pi = ++pi;
			star_si = si;
			star_stars = stars;
			continue;
		}
		if (pi < plen && elem(pat, plen, &pi, str[si])) {
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
