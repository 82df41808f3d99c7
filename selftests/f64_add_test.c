// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of kmod/f64.h, the kernel's integer double addition for
 * ZINCRBY and ZADD INCR: kc_f64_add() must give the FPU's result bit for
 * bit (round to nearest even) for random operands of every kind --
 * normal, subnormal, huge, zero of either sign, inf, near-cancelling
 * pairs -- and NaN exactly where the FPU gives NaN.  kc_f64_ord() must
 * order as the doubles compare.  Run by selftests/vm/static-check.sh:
 *
 *	f64_add_test [ITERATIONS]	(default 4,000,000; exit 1 on a mismatch)
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t u64;
#define BIT_ULL(n) (1ULL << (n))
#include "../kmod/f64.h"

static u64 bits(double d)
{
	u64 u;

	memcpy(&u, &d, 8);
	return u;
}

static double dbl(u64 u)
{
	double d;

	memcpy(&d, &u, 8);
	return d;
}

static u64 state = 88172645463325252ULL;

static u64 rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

static u64 operand(void)
{
	static const double special[] = { 0.0, -0.0, INFINITY, -INFINITY,
		1e308, -1e308, 5e-324, -5e-324, 1.0, -1.0, 0.1, -0.1,
		2.2250738585072014e-308, 4503599627370496.0 };
	u64 sign = rnd() & BIT_ULL(63), man = rnd() & (BIT_ULL(52) - 1);

	switch (rnd() % 8) {
	case 0:
		return rnd();
	case 1:
		return bits((double)((int64_t)(rnd() % 2001) - 1000));
	case 2:
		return bits(((double)((int64_t)(rnd() % 200001) - 100000)) /
			    (double)(1 + rnd() % 1000));
	case 3:		/* subnormal and smallest normal exponents */
		return sign | ((rnd() % 8) << 52) | man;
	case 4:		/* near overflow */
		return sign | ((2040 + rnd() % 7) << 52) | man;
	case 5:		/* around 1 */
		return sign | ((1000 + rnd() % 40) << 52) | man;
	case 6:
		return bits(special[rnd() % (sizeof(special) / sizeof(special[0]))]);
	default:	/* few mantissa bits: ties and exact sums */
		return sign | (rnd() & 0x7ff0000000000000ULL) | (rnd() % 3 ? rnd() & 0xf : 0);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4000000, i, bad = 0;

	for (i = 0; i < n; i++) {
		u64 a = operand(), b = operand(), k;
		double r;

		if (i & 1)	/* nearly cancelling */
			b = (a ^ BIT_ULL(63)) + rnd() % 5 - 2;
		r = dbl(a) + dbl(b);
		k = kc_f64_add(a, b);
		if (isnan(r) ? !kc_f64_isnan(k) : k != bits(r)) {
			if (bad++ < 10)
				printf("%016llx + %016llx: FPU %016llx, kc_f64_add %016llx\n",
				       (unsigned long long)a, (unsigned long long)b,
				       (unsigned long long)bits(r), (unsigned long long)k);
		}
		r = dbl(a) * dbl(b);
		k = kc_f64_mul(a, b);
		if (isnan(r) ? !kc_f64_isnan(k) : k != bits(r)) {
			if (bad++ < 10)
				printf("%016llx * %016llx: FPU %016llx, kc_f64_mul %016llx\n",
				       (unsigned long long)a, (unsigned long long)b,
				       (unsigned long long)bits(r), (unsigned long long)k);
		}
		if (!isnan(dbl(a)) && !isnan(dbl(b)) &&
		    (dbl(a) < dbl(b)) != (kc_f64_ord(a) < kc_f64_ord(b))) {
			if (bad++ < 10)
				printf("order of %016llx and %016llx\n",
				       (unsigned long long)a, (unsigned long long)b);
		}
	}
	printf("f64_add_test: %ld mismatches in %ld additions and multiplications\n",
	       bad, n);
	return bad != 0;
}
