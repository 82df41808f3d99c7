// SPDX-License-Identifier: GPL-2.0
/*
 * Glob patterns over byte strings, for the keys dump (KC_A_PATTERN): keys
 * are binary, so both sides carry a length and NUL is an ordinary byte.
 *
 *	*	any run of bytes, also none
 *	?	one byte
 *	[set]	one byte of the set: bytes and ranges a-z; [^set] or [!set]
 *		any byte not in it; a '[' with no closing ']' is a literal
 *	\x	the byte x itself, also inside a set
 *
 * Matching is iterative: on a mismatch it resumes after the last '*' with
 * one more byte swallowed, so the work is at most the product of the two
 * lengths, no recursion and no allocation.
 */
#include <linux/minmax.h>
#include "glob.h"

/*
 * Matches byte c against the set that starts at pat[*p] ('['); moves *p
 * past the closing ']'.  Returns 1 or 0, or -1 when the set is not closed
 * (then *p does not move).
 */
static int set_match(const u8 *pat, u32 plen, u32 *p, u8 c)
{
	u32 i = *p + 1;
	bool neg = false, hit = false;

	if (i < plen && (pat[i] == '^' || pat[i] == '!')) {
		neg = true;
		i++;
	}
	while (i < plen && pat[i] != ']') {
		u8 lo, hi;

		if (pat[i] == '\\' && i + 1 < plen)
			i++;
		lo = pat[i++];
		hi = lo;
		if (i + 1 < plen && pat[i] == '-' && pat[i + 1] != ']') {
			i++;
			if (pat[i] == '\\' && i + 1 < plen)
				i++;
			hi = pat[i++];
			if (lo > hi)
				swap(lo, hi);
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	if (i >= plen)
		return -1;
	*p = i + 1;
	return hit != neg;
}

/* Matches byte c against the element at pat[*p] (not '*'); moves *p on. */
static bool elem_match(const u8 *pat, u32 plen, u32 *p, u8 c)
{
	u8 e = pat[*p];

	if (e == '?') {
		(*p)++;
		return true;
	}
	if (e == '[') {
		int r = set_match(pat, plen, p, c);

		if (r >= 0)
			return r;
	}
	if (e == '\\' && *p + 1 < plen)
		e = pat[++*p];
	(*p)++;
	return e == c;
}

bool kc_glob_match(const u8 *pat, u32 plen, const u8 *str, u32 slen)
{
	u32 p = 0, s = 0, star_p = 0, star_s = 0;
	bool star = false;

	while (s < slen) {
		if (p < plen && pat[p] == '*') {
			star = true;
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (p < plen && elem_match(pat, plen, &p, str[s])) {
			s++;
			continue;
		}
		if (!star)
			return false;
		p = star_p;
		s = ++star_s;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}
