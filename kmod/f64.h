/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IEEE-754 binary64 in integer arithmetic, for sorted-set scores: the
 * kernel cannot use the FPU in ordinary code, yet ZINCRBY and ZADD INCR
 * must add scores atomically under the container's lock.  kc_f64_add()
 * is a correctly rounded addition (round to nearest, ties to even, as
 * the FPU in its default mode), checked bit for bit against the
 * hardware by selftests/f64_add_test.c over random and edge operands.
 *
 * Plain C on u64 and BIT_ULL() only, so that the host test includes it.
 */
#ifndef _KC_F64_H
#define _KC_F64_H

#define KC_F64_SIGN	BIT_ULL(63)
#define KC_F64_INF	0x7ff0000000000000ULL
#define KC_F64_QNAN	0x7ff8000000000000ULL

static inline bool kc_f64_isnan(u64 a)
{
	return (a & ~KC_F64_SIGN) > KC_F64_INF;
}

/*
 * A u64 that orders as the double does: -0 and +0 are equal, -inf is the
 * lowest and +inf the highest.  NaN is never passed in.
 */
static inline u64 kc_f64_ord(u64 a)
{
	if (a == KC_F64_SIGN)
		a = 0;
	return (a & KC_F64_SIGN) ? ~a : a | KC_F64_SIGN;
}

/* a + b; NaN (KC_F64_QNAN) for +inf + -inf or a NaN operand. */
static inline u64 kc_f64_add(u64 a, u64 b)
{
	u64 sa = a & KC_F64_SIGN, sb = b & KC_F64_SIGN;
	u64 ma = a & ((1ULL << 52) - 1), mb = b & ((1ULL << 52) - 1);
	int ea = (int)((a >> 52) & 0x7ff), eb = (int)((b >> 52) & 0x7ff);
	int d, e;
	u64 m, rem, t;

	if (kc_f64_isnan(a) || kc_f64_isnan(b))
		return KC_F64_QNAN;
	if (ea == 0x7ff || eb == 0x7ff) {
		if (ea == 0x7ff && eb == 0x7ff && sa != sb)
			return KC_F64_QNAN;
		return ea == 0x7ff ? a : b;
	}
	if (!(a & ~KC_F64_SIGN) && !(b & ~KC_F64_SIGN))
		return sa & sb;		/* -0 + -0 = -0, else +0 */
	if (!(a & ~KC_F64_SIGN))
		return b;
	if (!(b & ~KC_F64_SIGN))
		return a;
	/* The implicit bit; a subnormal's exponent is that of the smallest. */
	if (ea)
		ma |= 1ULL << 52;
	else
		ea = 1;
	if (eb)
		mb |= 1ULL << 52;
	else
		eb = 1;
	/* |a| >= |b| from here. */
	if (ea < eb || (ea == eb && ma < mb)) {
		t = ma; ma = mb; mb = t;
		d = ea; ea = eb; eb = d;
		t = sa; sa = sb; sb = t;
	}
	/* 9 guard bits below the mantissa, the carry bit free above it. */
	ma <<= 9;
	mb <<= 9;
	d = ea - eb;
	if (d >= 63)
		mb = mb != 0;
	else if (d)
		mb = (mb >> d) | ((mb & ((1ULL << d) - 1)) != 0);
	e = ea;
	if (sa == sb) {
		m = ma + mb;
		if (m & (1ULL << 62)) {
			m = (m >> 1) | (m & 1);
			e++;
		}
	} else {
		m = ma - mb;
		if (!m)
			return 0;	/* x - x = +0 */
		while (!(m & (1ULL << 61)) && e > 1) {
			m <<= 1;
			e--;
		}
	}
	rem = m & 0x1ff;
	m >>= 9;
	if (rem > 0x100 || (rem == 0x100 && (m & 1)))
		m++;
	if (m & (1ULL << 53)) {
		m >>= 1;
		e++;
	}
	if (e >= 0x7ff)
		return sa | KC_F64_INF;
	/* Still below the implicit bit: a subnormal (exponent field 0). */
	if (!(m & (1ULL << 52)))
		e = 0;
	return sa | ((u64)e << 52) | (m & ((1ULL << 52) - 1));
}

#endif /* _KC_F64_H */
