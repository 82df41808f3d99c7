// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the glob matcher (KEYS, SCAN MATCH, PSUBSCRIBE
 * patterns come from clients), which is the kernel's kmod/glob.c built
 * with the proxy's shim, so this fuzzes the module's matcher too.  The first input byte splits the rest into
 * a pattern and a string.  Checks, besides ASan/UBSan: the iterative
 * matcher agrees with a plain recursive one (memoised, so it stays
 * polynomial) built on the same element parser, and a string always
 * matches itself with every byte escaped.
 */
#include <stdint.h>
#include <stdio.h>

#include "../glob.h"
#include "../../../kmod/glob.c"
#include "stream.h"

#define REF_MAX	200

struct ref {
	const u8 *p, *s;
	size_t plen, slen;
	unsigned char failed[REF_MAX + 1][REF_MAX + 1];
};

/*
 * Does s[si0..] match p[pi0..]?  Each '*' run is one level deeper, as in
 * Redis, so the depth is a function of pi0 and a failure can be memoised.
 */
static bool ref_match(struct ref *r, size_t pi0, size_t si0,
		      unsigned int depth)
{
	u32 pi = (u32)pi0;
	size_t si = si0;
	bool ok = false;

	if (depth > KC_GLOB_STARS_MAX || r->failed[pi0][si0])
		return false;
	while (pi < r->plen && si < r->slen) {
		if (r->p[pi] == '*') {
			while (pi + 1 < r->plen && r->p[pi + 1] == '*')
				pi++;
			if (pi + 1 == r->plen)
				return true;
			for (; si < r->slen && !ok; si++)
				ok = ref_match(r, pi + 1, si, depth + 1);
			goto out;
		}
		if (!kc_glob_elem(r->p, (u32)r->plen, &pi, r->s[si]))
			goto out;
		if (++si == r->slen)
			while (pi < r->plen && r->p[pi] == '*')
				pi++;
	}
	ok = pi == r->plen && si == r->slen;
out:
	if (!ok)
		r->failed[pi0][si0] = 1;
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref r;
	static char esc[2 * 4096];
	size_t split, i;
	const char *p, *s;
	bool got;

	if (!size)
		return 0;
	split = data[0];
	data++;
	size--;
	if (split > size)
		split = size;
	p = (const char *)data;
	s = (const char *)data + split;
	got = glob_match(p, split, s, size - split);
	if (split <= REF_MAX && size - split <= REF_MAX) {
		memset(r.failed, 0, sizeof(r.failed));
		r.p = (const u8 *)p;
		r.s = (const u8 *)s;
		r.plen = split;
		r.slen = size - split;
		CHECK(got == ref_match(&r, 0, 0, 0));
	}
	if (size - split <= sizeof(esc) / 2) {
		for (i = 0; i < size - split; i++) {
			esc[2 * i] = '\\';
			esc[2 * i + 1] = s[i];
		}
		CHECK(glob_match(esc, 2 * (size - split), s, size - split));
	}
	return 0;
}
