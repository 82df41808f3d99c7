/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IEEE-754 binary64 in integer arithmetic, for sorted-set scores: the
 * kernel cannot use the FPU in ordinary code, yet ZINCRBY and ZADD INCR
 * must add scores atomically under the container's lock, and ZUNION and
 * ZINTER weigh them.  kc_f64_add() and kc_f64_mul() are correctly
 * rounded (round to nearest, ties to even, as the FPU in its default
 * mode), checked bit for bit against the hardware by
 * selftests/f64_add_test.c over random and edge operands.
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

/* The 128-bit product of two u64s, as hi:lo. */
static inline void kc_mul_u64(u64 a, u64 b, u64 *hi, u64 *lo)
{
	u64 al = a & 0xffffffffULL, ah = a >> 32;
	u64 bl = b & 0xffffffffULL, bh = b >> 32;
	u64 ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	u64 mid = (ll >> 32) + (lh & 0xffffffffULL) + (hl & 0xffffffffULL);

	*lo = (mid << 32) | (ll & 0xffffffffULL);
	*hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* a * b, correctly rounded; NaN for inf * 0 or a NaN operand. */
static inline u64 kc_f64_mul(u64 a, u64 b)
{
	u64 s = (a ^ b) & KC_F64_SIGN, ma = a & ((1ULL << 52) - 1);
	u64 mb = b & ((1ULL << 52) - 1), hi, lo, m, rem;
	int ea = (int)((a >> 52) & 0x7ff), eb = (int)((b >> 52) & 0x7ff);
	int e, sh;

	if (kc_f64_isnan(a) || kc_f64_isnan(b))
		return KC_F64_QNAN;
	if (ea == 0x7ff || eb == 0x7ff) {
		if (!(a & ~KC_F64_SIGN) || !(b & ~KC_F64_SIGN))
			return KC_F64_QNAN;
		return s | KC_F64_INF;
	}
	if (!(a & ~KC_F64_SIGN) || !(b & ~KC_F64_SIGN))
		return s;
	/* Normalised mantissas with the implicit bit at 52. */
	if (ea) {
		ma |= 1ULL << 52;
	} else {
		ea = 1;
		while (!(ma & (1ULL << 52))) {
			ma <<= 1;
			ea--;
		}
	}
	if (eb) {
		mb |= 1ULL << 52;
	} else {
		eb = 1;
		while (!(mb & (1ULL << 52))) {
			mb <<= 1;
			eb--;
		}
	}
	/* The product is in [2^104, 2^106): its top bit to bit 61. */
	kc_mul_u64(ma, mb, &hi, &lo);
	e = ea + eb - 1023;
	sh = 43;
	if (hi & (1ULL << (105 - 64))) {
		sh = 44;
		e++;
	}
	m = (hi << (64 - sh)) | (lo >> sh) | ((lo & ((1ULL << sh) - 1)) != 0);
	if (e < 1) {
		/* A subnormal result: shift down to the smallest exponent. */
		if (1 - e >= 63)
			m = m != 0;
		else
			m = (m >> (1 - e)) | ((m & ((1ULL << (1 - e)) - 1)) != 0);
		e = 1;
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
		return s | KC_F64_INF;
	if (!(m & (1ULL << 52)))
		e = 0;
	return s | ((u64)e << 52) | (m & ((1ULL << 52) - 1));
}

#endif /* _KC_F64_H */
