// SPDX-License-Identifier: GPL-2.0
/*
 * Sorted sets (KC_OP_Z*) against Redis's semantics as the uapi header maps
 * them: scores as IEEE-754 bits (inf, -inf, -0 == +0, NaN refused), ties
 * ordered by member bytes, ZADD's NX/XX/GT/LT/CH/INCR, the kernel's
 * soft-float INCR bit for bit against the FPU (NaN sums refused with
 * -EDOM), ranges by rank, score and lex with REV and LIMIT, the REMOVE
 * and COUNT forms (ZPOP*, ZREMRANGEBY*, ZCOUNT), ZRANDMEMBER's counts,
 * ZUNION/ZINTER/ZDIFF with weights, aggregates and plain sets as sources.
 * Then a model test: thousands of random operations on a few keys, each
 * checked against a plain sorted array in this program, and a sorted set
 * of 100k members (ranks and selects on a deep tree).  The fixture's leak
 * check covers every element.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_container.h"

#define ZMAX 1024

struct zreply {
	int ret;
	int64_t num;
	char s[1 << 16];
};

static uint64_t dbits(double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	return u;
}

static double bitsd(uint64_t u)
{
	double d;

	memcpy(&d, &u, 8);
	return d;
}

/* ZADD of n (score, member) pairs. */
static int zadd(int fd, const char *key, uint32_t flags, int n,
		const double *sc, const char *const *m, int64_t *num)
{
	struct kc_buf args[ZMAX];
	char *bufs[ZMAX];
	struct kc_op op;
	int i, ret;

	for (i = 0; i < n; i++) {
		size_t l = strlen(m[i]);

		bufs[i] = malloc(8 + l);
		memcpy(bufs[i], &sc[i], 8);
		memcpy(bufs[i] + 8, m[i], l);
		kc_buf_set(&args[i], bufs[i], 8 + l);
	}
	kc_op_init(&op, KC_OP_ZADD);
	kc_op_key(&op, key, strlen(key));
	op.flags = flags;
	if (n)
		kc_op_args(&op, args, n);
	ret = kc_do(fd, &op);
	if (num)
		*num = op.num;
	for (i = 0; i < n; i++)
		free(bufs[i]);
	return ret;
}

static int zadd1(int fd, const char *key, double sc, const char *m)
{
	return zadd(fd, key, 0, 1, &sc, &m, NULL);
}

/* The records of a reply as "m,m" or with scores "m=score,...". */
/* ws: 1 member, score pairs; 2 scores only (ZMSCORE). */
static void ztext(const void *buf, const struct kc_op *op, int ws,
		  struct zreply *r)
{
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	size_t len = 0;
	bool member = ws != 2;

	r->s[0] = 0;
	kc_elem_iter_init(&it, buf, op->out_used, op->num);
	while ((e = kc_elem_next(&it, &data))) {
		if (e->flags & KC_ELEM_NIL) {
			len += snprintf(r->s + len, sizeof(r->s) - len, "%s(nil)",
					len ? "," : "");
		} else if (!member) {
			uint64_t u;

			memcpy(&u, data, 8);
			len += snprintf(r->s + len, sizeof(r->s) - len, "%s%.17g",
					ws == 2 ? (len ? "," : "") : "=",
					bitsd(u));
		} else {
			len += snprintf(r->s + len, sizeof(r->s) - len, "%s%.*s",
					len ? "," : "", (int)e->len,
					(const char *)data);
		}
		if (ws == 1)
			member = !member;
		if (len >= sizeof(r->s))
			break;
	}
	if (it.err || it.left)
		snprintf(r->s, sizeof(r->s), "(malformed)");
}

static struct zreply *zop(int fd, uint32_t opcode, const char *key,
			  uint32_t flags, const struct kc_buf *args, int nargs,
			  int64_t num, int64_t num2, const char *val)
{
	static struct zreply r;
	static char buf[1 << 20];
	struct kc_op op;

	kc_op_init(&op, opcode);
	kc_op_key(&op, key, strlen(key));
	op.flags = flags;
	op.num = num;
	op.num2 = num2;
	if (val)
		kc_op_val(&op, val, strlen(val));
	if (nargs)
		kc_op_args(&op, (struct kc_buf *)args, nargs);
	kc_op_out(&op, buf, sizeof(buf));
	r.ret = kc_do(fd, &op);
	r.num = op.num;
	r.s[0] = 0;
	if (!r.ret && opcode == KC_OP_ZMSCORE)
		ztext(buf, &op, 2, &r);
	else if (!r.ret && op.out_used && opcode != KC_OP_ZRANDMEMBER)
		ztext(buf, &op, !!(flags & KC_Z_WITHSCORES), &r);
	else if (!r.ret && opcode == KC_OP_ZRANDMEMBER &&
		 (flags & KC_POP_COUNT))
		ztext(buf, &op, !!(flags & KC_Z_WITHSCORES), &r);
	else if (!r.ret && opcode == KC_OP_ZRANDMEMBER)
		snprintf(r.s, sizeof(r.s), "%.*s", (int)op.out_used, buf);
	return &r;
}

/* ZRANGE by rank. */
static struct zreply *zrank_range(int fd, const char *key, uint32_t flags,
				  int64_t start, int64_t stop)
{
	struct kc_buf a[2];

	kc_buf_set(&a[0], &start, 8);
	kc_buf_set(&a[1], &stop, 8);
	return zop(fd, KC_OP_ZRANGE, key, flags, a, 2, 0, -1, NULL);
}

/* ZRANGE by score: "[" or "(" then the double. */
static struct zreply *zscore_range(int fd, const char *key, uint32_t flags,
				   bool minex, double min, bool maxex,
				   double max, int64_t off, int64_t cnt)
{
	char b[2][9];
	struct kc_buf a[2];

	b[0][0] = minex ? '(' : '[';
	memcpy(&b[0][1], &min, 8);
	b[1][0] = maxex ? '(' : '[';
	memcpy(&b[1][1], &max, 8);
	kc_buf_set(&a[0], b[0], 9);
	kc_buf_set(&a[1], b[1], 9);
	return zop(fd, KC_OP_ZRANGE, key, flags | KC_Z_BYSCORE, a, 2, off, cnt,
		   NULL);
}

static struct zreply *zlex_range(int fd, const char *key, uint32_t flags,
				 const char *min, const char *max, int64_t off,
				 int64_t cnt)
{
	struct kc_buf a[2];

	kc_buf_set(&a[0], min, strlen(min));
	kc_buf_set(&a[1], max, strlen(max));
	return zop(fd, KC_OP_ZRANGE, key, flags | KC_Z_BYLEX, a, 2, off, cnt,
		   NULL);
}

static int64_t zrank(int fd, const char *key, const char *m, bool rev)
{
	struct zreply *r = zop(fd, KC_OP_ZRANK, key, rev ? KC_Z_REV : 0,
			       NULL, 0, 0, 0, m);

	return r->ret ? r->ret : r->num;
}

#define ALL(key) zrank_range(self->fd, key, KC_Z_WITHSCORES, 0, -1)->s

TEST_F(types, zadd_order_and_scores)
{
	static const char *const m[] = { "b", "a", "c", "ab", "z", "n" };
	const double sc[] = { 1, 1, -INFINITY, 1, INFINITY, -0.0 };
	struct kc_buf a[3];
	int64_t num;

	ASSERT_EQ(0, zadd(self->fd, "z", 0, 6, sc, m, &num));
	EXPECT_EQ(6, num);
	EXPECT_EQ(KC_TYPE_ZSET, kt_type(self->fd, "z"));
	/* -0 is kept as 0, as Redis's small sorted sets keep it. */
	EXPECT_STREQ("c=-inf,n=0,a=1,ab=1,b=1,z=inf", ALL("z"));
	EXPECT_STREQ("c,n,a,ab,b,z", zrank_range(self->fd, "z", 0, 0, -1)->s);
	EXPECT_STREQ("z,b,ab,a,n,c",
		     zrank_range(self->fd, "z", KC_Z_REV, 0, -1)->s);
	EXPECT_STREQ("ab,b", zrank_range(self->fd, "z", 0, 3, -2)->s);
	EXPECT_STREQ("", zrank_range(self->fd, "z", 0, 4, 2)->s);
	EXPECT_STREQ("c,n", zrank_range(self->fd, "z", 0, -100, 1)->s);
	EXPECT_EQ(0, zrank(self->fd, "z", "c", false));
	EXPECT_EQ(3, zrank(self->fd, "z", "ab", false));
	EXPECT_EQ(2, zrank(self->fd, "z", "ab", true));
	EXPECT_EQ(-ENOENT, zrank(self->fd, "z", "nope", false));
	EXPECT_EQ(-ENOENT, zrank(self->fd, "nokey", "a", false));
	EXPECT_EQ(6, zop(self->fd, KC_OP_ZCARD, "z", 0, NULL, 0, 0, 0, NULL)->num);

	/* -0 over 0 is no change (Redis compares doubles). */
	{
		const double z0 = -0.0;
		const char *n = "n";

		ASSERT_EQ(0, zadd(self->fd, "z", KC_Z_CH, 1, &z0, &n, &num));
		EXPECT_EQ(0, num);
	}
	kc_buf_set(&a[0], "a", 1);
	kc_buf_set(&a[1], "zz", 2);
	kc_buf_set(&a[2], "n", 1);
	EXPECT_STREQ("1,(nil),0",
		     zop(self->fd, KC_OP_ZMSCORE, "z", 0, a, 3, 0, 0, NULL)->s);
	EXPECT_EQ(2, zop(self->fd, KC_OP_ZREM, "z", 0, a, 3, 0, 0, NULL)->num);
	EXPECT_STREQ("c=-inf,ab=1,b=1,z=inf", ALL("z"));

	/* NaN is refused; wrong types. */
	{
		const double nan_ = NAN;
		const char *x = "x";

		EXPECT_EQ(-EINVAL, zadd(self->fd, "z", 0, 1, &nan_, &x, NULL));
	}
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));
	EXPECT_EQ(-EPROTOTYPE, zadd1(self->fd, "str", 1, "a"));
	EXPECT_EQ(-EPROTOTYPE, zrank_range(self->fd, "str", 0, 0, -1)->ret);
	EXPECT_EQ(-ENOENT, zrank_range(self->fd, "none", 0, 0, -1)->ret);

	/* Everything removed: the key goes. */
	EXPECT_EQ(4, zrank_range(self->fd, "z", KC_Z_REMOVE | KC_Z_COUNT, 0,
				 -1)->num);
	EXPECT_GONE("z");
}

TEST_F(types, zmscore_values)
{
	struct kc_buf a[2];
	struct zreply *r;

	ASSERT_EQ(0, zadd1(self->fd, "z", 1.5, "a"));
	kc_buf_set(&a[0], "a", 1);
	kc_buf_set(&a[1], "b", 1);
	r = zop(self->fd, KC_OP_ZMSCORE, "z", 0, a, 2, 0, 0, NULL);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(2, r->num);
	EXPECT_STREQ("1.5,(nil)", r->s);
}

TEST_F(types, zadd_flags)
{
	const char *a = "a", *b = "b";
	double s;
	int64_t num;

	ASSERT_EQ(0, zadd1(self->fd, "z", 5, "a"));
	s = 3;
	/* NX: only new members. */
	ASSERT_EQ(0, zadd(self->fd, "z", KC_SET_NX, 1, &s, &a, &num));
	EXPECT_EQ(0, num);
	EXPECT_STREQ("a=5", ALL("z"));
	/* XX: only existing ones; CH counts the update. */
	ASSERT_EQ(0, zadd(self->fd, "z", KC_SET_XX | KC_Z_CH, 1, &s, &a, &num));
	EXPECT_EQ(1, num);
	ASSERT_EQ(0, zadd(self->fd, "z", KC_SET_XX, 1, &s, &b, &num));
	EXPECT_EQ(0, num);
	EXPECT_STREQ("a=3", ALL("z"));
	/* GT / LT. */
	s = 2;
	ASSERT_EQ(0, zadd(self->fd, "z", KC_EXPIRE_GT | KC_Z_CH, 1, &s, &a, &num));
	EXPECT_EQ(0, num);
	s = 4;
	ASSERT_EQ(0, zadd(self->fd, "z", KC_EXPIRE_GT | KC_Z_CH, 1, &s, &a, &num));
	EXPECT_EQ(1, num);
	ASSERT_EQ(0, zadd(self->fd, "z", KC_EXPIRE_LT | KC_Z_CH, 1, &s, &b, &num));
	EXPECT_EQ(1, num);	/* a new member is added whatever GT/LT */
	EXPECT_STREQ("a=4,b=4", ALL("z"));
	/* Bad combinations. */
	EXPECT_EQ(-EINVAL, zadd(self->fd, "z", KC_SET_NX | KC_SET_XX, 1, &s, &a, NULL));
	EXPECT_EQ(-EINVAL, zadd(self->fd, "z", KC_SET_NX | KC_EXPIRE_GT, 1, &s, &a, NULL));
	EXPECT_EQ(-EINVAL, zadd(self->fd, "z", KC_EXPIRE_LT | KC_EXPIRE_GT, 1, &s, &a, NULL));
	EXPECT_EQ(-EINVAL, zadd(self->fd, "z", 0, 0, &s, &a, NULL));
	/* XX on a missing key creates nothing. */
	ASSERT_EQ(0, zadd(self->fd, "new", KC_SET_XX, 1, &s, &a, &num));
	EXPECT_EQ(0, num);
	EXPECT_GONE("new");
	/* A duplicate in one ZADD: added once, then updated. */
	{
		const char *const m[] = { "d", "d" };
		const double sc[] = { 1, 2 };

		ASSERT_EQ(0, zadd(self->fd, "y", KC_Z_CH, 2, sc, m, &num));
		EXPECT_EQ(2, num);
		EXPECT_STREQ("d=2", ALL("y"));
	}
}

TEST_F(types, zincr_softfloat)
{
	uint64_t st = 12345;
	const char *m = "m";
	int64_t num;
	double cur = 0, by;
	int i;

	/* -EEXIST when a condition kept the score. */
	by = 1;
	EXPECT_EQ(-EEXIST, zadd(self->fd, "z", KC_Z_INCR | KC_SET_XX, 1, &by, &m, &num));
	EXPECT_GONE("z");
	for (i = 0; i < 20000; i++) {
		uint64_t r = kt_rand(&st);

		switch (r % 4) {
		case 0:
			by = (double)(int64_t)(kt_rand(&st) % 2001 - 1000) / 7;
			break;
		case 1:
			by = bitsd(kt_rand(&st));
			if (isnan(by))
				by = 1e300;
			break;
		case 2:
			by = -cur + (double)(kt_rand(&st) % 3) * 1e-300;
			break;
		default:
			by = ldexp((double)(kt_rand(&st) % 1000), (int)(kt_rand(&st) % 200) - 100);
		}
		if (isinf(cur) || isinf(by))
			continue;
		ASSERT_EQ(0, zadd(self->fd, "z", KC_Z_INCR, 1, &by, &m, &num)) {
			TH_LOG("%.17g + %.17g", cur, by);
		}
		cur += by;
		ASSERT_EQ(dbits(cur), (uint64_t)num) {
			TH_LOG("step %d: %.17g vs kernel %.17g", i, cur,
			       bitsd((uint64_t)num));
		}
		/* The reply is the sum; the score kept has -0 as 0. */
		if (cur == 0)
			cur = 0.0;
		if (fabs(cur) > 1e300 || !(i % 97)) {
			/* Start again from a small score. */
			by = -cur;
			ASSERT_EQ(0, zadd(self->fd, "z", KC_Z_INCR, 1, &by, &m, &num));
			cur += by;
			ASSERT_EQ(dbits(cur), (uint64_t)num);
		}
	}
	/* inf + -inf is NaN: refused, the score stays. */
	by = INFINITY;
	ASSERT_EQ(0, zadd(self->fd, "i", KC_Z_INCR, 1, &by, &m, &num));
	EXPECT_EQ(dbits(INFINITY), (uint64_t)num);
	by = -INFINITY;
	EXPECT_EQ(-EDOM, zadd(self->fd, "i", KC_Z_INCR, 1, &by, &m, &num));
	EXPECT_STREQ("m=inf", ALL("i"));
	/* INCR takes one pair only. */
	{
		const char *const mm[] = { "a", "b" };
		const double sc[] = { 1, 2 };

		EXPECT_EQ(-EINVAL, zadd(self->fd, "i", KC_Z_INCR, 2, sc, mm, NULL));
	}
	/* GT with INCR: a negative increment is no change. */
	by = -1;
	ASSERT_EQ(0, zadd1(self->fd, "g", 5, "m"));
	EXPECT_EQ(-EEXIST, zadd(self->fd, "g", KC_Z_INCR | KC_EXPIRE_GT, 1, &by, &m, NULL));
	EXPECT_STREQ("m=5", ALL("g"));
}

TEST_F(types, zrange_score_lex_limit)
{
	static const char *const m[] = { "a", "b", "c", "d", "e", "f" };
	const double sc[] = { 1, 2, 2, 3, 4, INFINITY };
	struct zreply *r;

	ASSERT_EQ(0, zadd(self->fd, "z", 0, 6, sc, m, NULL));
	EXPECT_STREQ("b,c,d", zscore_range(self->fd, "z", 0, false, 2, false, 3, 0, -1)->s);
	EXPECT_STREQ("d", zscore_range(self->fd, "z", 0, true, 2, false, 3, 0, -1)->s);
	EXPECT_STREQ("b,c", zscore_range(self->fd, "z", 0, false, 2, true, 3, 0, -1)->s);
	EXPECT_STREQ("", zscore_range(self->fd, "z", 0, false, 3, false, 2, 0, -1)->s);
	EXPECT_STREQ("e,f", zscore_range(self->fd, "z", 0, true, 3, false, INFINITY, 0, -1)->s);
	EXPECT_STREQ("d,c,b", zscore_range(self->fd, "z", KC_Z_REV, false, 2, false, 3, 0, -1)->s);
	/* LIMIT: offset, count in the walk's direction. */
	EXPECT_STREQ("c,d", zscore_range(self->fd, "z", 0, false, -INFINITY, false, INFINITY, 2, 2)->s);
	EXPECT_STREQ("d,c", zscore_range(self->fd, "z", KC_Z_REV, false, -INFINITY, false, INFINITY, 2, 2)->s);
	EXPECT_STREQ("", zscore_range(self->fd, "z", 0, false, -INFINITY, false, INFINITY, 6, 2)->s);
	EXPECT_STREQ("", zscore_range(self->fd, "z", 0, false, -INFINITY, false, INFINITY, -1, 2)->s);
	EXPECT_STREQ("", zscore_range(self->fd, "z", 0, false, -INFINITY, false, INFINITY, 0, 0)->s);
	EXPECT_STREQ("f", zscore_range(self->fd, "z", 0, false, -INFINITY, false, INFINITY, 5, -5)->s);
	EXPECT_STREQ("b=2,c=2", zscore_range(self->fd, "z", KC_Z_WITHSCORES, false, 2, false, 2, 0, -1)->s);
	/* COUNT: ZCOUNT ignores LIMIT. */
	r = zscore_range(self->fd, "z", KC_Z_COUNT, false, 2, false, 4, 0, 0);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(4, r->num);

	/* Lex on equal scores. */
	{
		static const char *const l[] = { "a", "b", "bb", "c", "d" };
		const double z[] = { 0, 0, 0, 0, 0 };

		ASSERT_EQ(0, zadd(self->fd, "l", 0, 5, z, l, NULL));
	}
	EXPECT_STREQ("a,b,bb,c,d", zlex_range(self->fd, "l", 0, "-", "+", 0, -1)->s);
	EXPECT_STREQ("b,bb,c", zlex_range(self->fd, "l", 0, "[b", "[c", 0, -1)->s);
	EXPECT_STREQ("bb", zlex_range(self->fd, "l", 0, "(b", "(c", 0, -1)->s);
	EXPECT_STREQ("c,bb", zlex_range(self->fd, "l", KC_Z_REV, "(b", "[c", 0, -1)->s);
	EXPECT_STREQ("", zlex_range(self->fd, "l", 0, "+", "-", 0, -1)->s);
	EXPECT_STREQ("bb,c", zlex_range(self->fd, "l", 0, "-", "+", 2, 2)->s);
	EXPECT_EQ(-EINVAL, zlex_range(self->fd, "l", 0, "b", "+", 0, -1)->ret);
	r = zlex_range(self->fd, "l", KC_Z_COUNT, "[b", "+", 0, -1);
	EXPECT_EQ(4, r->num);
	/* ZREMRANGEBYLEX. */
	r = zlex_range(self->fd, "l", KC_Z_COUNT | KC_Z_REMOVE, "(a", "[c", 0, -1);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(3, r->num);
	EXPECT_STREQ("a,d", zrank_range(self->fd, "l", 0, 0, -1)->s);

	/* ZPOPMAX 2 (rank range, REV, REMOVE, WITHSCORES). */
	r = zrank_range(self->fd, "z", KC_Z_REV | KC_Z_REMOVE | KC_Z_WITHSCORES, 0, 1);
	ASSERT_EQ(0, r->ret);
	EXPECT_STREQ("f=inf,e=4", r->s);
	EXPECT_STREQ("a=1,b=2,c=2,d=3", ALL("z"));
	/* A reply that does not fit removes nothing. */
	{
		int64_t s = 0, e = -1;
		struct kc_buf a[2];
		struct kc_op op;
		char small[8];

		kc_buf_set(&a[0], &s, 8);
		kc_buf_set(&a[1], &e, 8);
		kc_op_init(&op, KC_OP_ZRANGE);
		kc_op_key(&op, "z", 1);
		op.flags = KC_Z_REMOVE;
		kc_op_args(&op, a, 2);
		kc_op_out(&op, small, sizeof(small));
		EXPECT_EQ(-ENOSPC, kc_do(self->fd, &op));
		EXPECT_STREQ("a=1,b=2,c=2,d=3", ALL("z"));
	}
	/* Bad bounds. */
	{
		struct kc_buf a[2];

		kc_buf_set(&a[0], "[", 1);
		kc_buf_set(&a[1], "[", 1);
		EXPECT_EQ(-EINVAL, zop(self->fd, KC_OP_ZRANGE, "z", KC_Z_BYSCORE, a, 2, 0, -1, NULL)->ret);
		EXPECT_EQ(-EINVAL, zop(self->fd, KC_OP_ZRANGE, "z", KC_Z_BYSCORE | KC_Z_BYLEX, a, 2, 0, -1, NULL)->ret);
	}
}

TEST_F(types, zrandmember)
{
	int counts[10] = { 0 };
	char name[4];
	struct zreply *r;
	int i, j;

	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "%d", i);
		ASSERT_EQ(0, zadd1(self->fd, "z", i, name));
	}
	r = zop(self->fd, KC_OP_ZRANDMEMBER, "z", 0, NULL, 0, 0, 0, NULL);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(1, strlen(r->s));
	r = zop(self->fd, KC_OP_ZRANDMEMBER, "z", KC_POP_COUNT, NULL, 0, 20, 0, NULL);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(10, r->num);
	r = zop(self->fd, KC_OP_ZRANDMEMBER, "z", KC_POP_COUNT, NULL, 0, -30, 0, NULL);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(30, r->num);
	r = zop(self->fd, KC_OP_ZRANDMEMBER, "z", KC_POP_COUNT | KC_Z_WITHSCORES,
		NULL, 0, 2, 0, NULL);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(4, r->num);
	/* Distinct picks, and uniform: chi-square over 3000 draws of 2. */
	for (i = 0; i < 3000; i++) {
		r = zop(self->fd, KC_OP_ZRANDMEMBER, "z", KC_POP_COUNT, NULL, 0,
			2, 0, NULL);
		ASSERT_EQ(0, r->ret);
		ASSERT_EQ(3, strlen(r->s));
		ASSERT_NE(r->s[0], r->s[2]);
		counts[r->s[0] - '0']++;
		counts[r->s[2] - '0']++;
	}
	{
		double chi = 0, exp_ = 600;

		for (j = 0; j < 10; j++)
			chi += (counts[j] - exp_) * (counts[j] - exp_) / exp_;
		/* 9 degrees of freedom: p = 0.001 at 27.88. */
		EXPECT_LT(chi, 27.88);
	}
	/* Counts no reply can hold: -E2BIG before any work (with or without scores). */
	EXPECT_EQ(-E2BIG, zop(self->fd, KC_OP_ZRANDMEMBER, "z", KC_POP_COUNT, NULL, 0,
			      INT64_MIN, 0, NULL)->ret);
	EXPECT_EQ(-E2BIG, zop(self->fd, KC_OP_ZRANDMEMBER, "z",
			      KC_POP_COUNT | KC_Z_WITHSCORES, NULL, 0, -(1LL << 40), 0,
			      NULL)->ret);
	EXPECT_EQ(-ENOENT, zop(self->fd, KC_OP_ZRANDMEMBER, "none", 0, NULL, 0, 0, 0, NULL)->ret);
}

/* ZUNION & co.: keys in args, weights in val (NULL: none). */
static struct zreply *zcomb(int fd, uint32_t opcode, const char *dst,
			    const char *const *keys, int n, const double *w,
			    int64_t agg, uint32_t flags)
{
	static struct zreply r;
	static char buf[1 << 16];
	struct kc_buf a[8];
	struct kc_op op;
	int i;

	for (i = 0; i < n; i++)
		kc_buf_set(&a[i], keys[i], strlen(keys[i]));
	kc_op_init(&op, opcode);
	if (dst)
		kc_op_key(&op, dst, strlen(dst));
	kc_op_args(&op, a, n);
	if (w) {
		op.val = (uint64_t)(uintptr_t)w;
		op.val_len = 8 * n;
	}
	op.num = agg;
	op.flags = flags;
	kc_op_out(&op, buf, sizeof(buf));
	r.ret = kc_do(fd, &op);
	r.num = op.num;
	r.s[0] = 0;
	if (!r.ret && !dst)
		ztext(buf, &op, !!(flags & KC_Z_WITHSCORES), &r);
	return &r;
}

TEST_F(types, zunion_zinter_zdiff)
{
	static const char *const m1[] = { "a", "b" }, *const m2[] = { "b", "c" };
	static const char *const k12[] = { "z1", "z2" }, *const k1s[] = { "z1", "s" };
	static const char *const k1i[] = { "z1", "zi" }, *const kbad[] = { "z1", "str" };
	const double s1[] = { 1, 2 }, s2[] = { 3, 4 }, inf = INFINITY;
	const double w21[] = { 2, 1 }, w10[] = { 1, 0 };
	struct zreply *r;

	ASSERT_EQ(0, zadd(self->fd, "z1", 0, 2, s1, m1, NULL));
	ASSERT_EQ(0, zadd(self->fd, "z2", 0, 2, s2, m2, NULL));
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s", .args = { "a", "c" }).ret);
	{
		/* Larger than z1: second in the order of combination. */
		static const char *const mi[] = { "a", "b", "x" };
		const double si[] = { inf, 5, 7 };

		ASSERT_EQ(0, zadd(self->fd, "zi", 0, 3, si, mi, NULL));
	}
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));

	r = zcomb(self->fd, KC_OP_ZUNION, NULL, k12, 2, NULL, KC_ZAGG_SUM, KC_Z_WITHSCORES);
	ASSERT_EQ(0, r->ret);
	EXPECT_STREQ("a=1,c=4,b=5", r->s);
	r = zcomb(self->fd, KC_OP_ZINTER, NULL, k12, 2, w21, KC_ZAGG_MAX, KC_Z_WITHSCORES);
	ASSERT_EQ(0, r->ret);
	EXPECT_STREQ("b=4", r->s);
	r = zcomb(self->fd, KC_OP_ZINTER, NULL, k12, 2, w21, KC_ZAGG_MIN, KC_Z_WITHSCORES);
	EXPECT_STREQ("b=3", r->s);
	r = zcomb(self->fd, KC_OP_ZDIFF, NULL, k12, 2, NULL, 0, KC_Z_WITHSCORES);
	EXPECT_STREQ("a=1", r->s);
	/* A plain set's members score 1. */
	r = zcomb(self->fd, KC_OP_ZUNIONSTORE, "dst", k1s, 2, NULL, KC_ZAGG_SUM, 0);
	ASSERT_EQ(0, r->ret);
	EXPECT_EQ(3, r->num);
	EXPECT_STREQ("c=1,a=2,b=2", ALL("dst"));
	/*
	 * inf * 0 is NaN: MIN keeps the other score, a NaN sum counts 0.
	 * Sources combine smallest first (z1), as Redis combines them.
	 */
	r = zcomb(self->fd, KC_OP_ZINTER, NULL, k1i, 2, w10, KC_ZAGG_MIN, KC_Z_WITHSCORES);
	EXPECT_STREQ("b=0,a=1", r->s);
	r = zcomb(self->fd, KC_OP_ZINTER, NULL, k1i, 2, w10, KC_ZAGG_SUM, KC_Z_WITHSCORES);
	EXPECT_STREQ("a=0,b=2", r->s);
	/* Wrong type, bad arguments. */
	EXPECT_EQ(-EPROTOTYPE, zcomb(self->fd, KC_OP_ZUNION, NULL, kbad, 2, NULL, 0, 0)->ret);
	EXPECT_EQ(-EINVAL, zcomb(self->fd, KC_OP_ZUNION, NULL, k12, 2, NULL, 3, 0)->ret);
	EXPECT_EQ(-EINVAL, zcomb(self->fd, KC_OP_ZDIFF, NULL, k12, 2, w21, 0, 0)->ret);
	/* An empty result deletes the destination. */
	r = zcomb(self->fd, KC_OP_ZDIFFSTORE, "dst", k1s + 0, 1, NULL, 0, 0);
	EXPECT_EQ(2, r->num);
	{
		static const char *const k11[] = { "z1", "z1" };

		r = zcomb(self->fd, KC_OP_ZDIFFSTORE, "dst", k11, 2, NULL, 0, 0);
		ASSERT_EQ(0, r->ret);
		EXPECT_EQ(0, r->num);
		EXPECT_GONE("dst");
		/* A key named twice counts twice in a union. */
		r = zcomb(self->fd, KC_OP_ZUNION, NULL, k11, 2, NULL, 0, KC_Z_WITHSCORES);
		EXPECT_STREQ("a=2,b=4", r->s);
	}
}

/* A read-only fd reads sorted sets; a ZRANGE that removes is a write. */
TEST_F(types, zset_read_only_fd)
{
	int ro = open(KC_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	struct zreply *r;

	ASSERT_LE(0, ro);
	ASSERT_EQ(0, zadd1(self->fd, "z", 1, "a"));
	EXPECT_EQ(-EBADF, zadd1(ro, "z", 2, "b"));
	r = zrank_range(ro, "z", 0, 0, -1);
	EXPECT_EQ(0, r->ret);
	EXPECT_STREQ("a", r->s);
	EXPECT_EQ(-EBADF, zrank_range(ro, "z", KC_Z_REMOVE, 0, -1)->ret);
	EXPECT_EQ(0, zop(ro, KC_OP_ZCARD, "z", 0, NULL, 0, 0, 0, NULL)->ret);
	EXPECT_STREQ("a=1", ALL("z"));
	close(ro);
}

/* ------------------------------------------------------------ model */

struct ment {
	char m[8];
	double s;
};

static int mcmp(const void *a, const void *b)
{
	const struct ment *x = a, *y = b;

	if (x->s < y->s)
		return -1;
	if (x->s > y->s)
		return 1;
	return strcmp(x->m, y->m);
}

static void mtext(struct ment *v, int n, int from, int to, bool rev,
		  char *s, size_t size)
{
	size_t len = 0;
	int i;

	s[0] = 0;
	for (i = 0; from <= to && i <= to - from; i++) {
		struct ment *e = &v[rev ? to - i : from + i];

		len += snprintf(s + len, size - len, "%s%s=%.17g",
				len ? "," : "", e->m, e->s);
	}
	(void)n;
}

TEST_F_TIMEOUT(types, model_random, 300)
{
	static const double pool[] = { -INFINITY, -2.5, -1, -0.0, 0, 0.5, 1, 1,
				       3, 1e10, INFINITY };
	static struct ment v[64];
	static char want[1 << 16];
	uint64_t st = 777;
	int n = 0, step, i;

	for (step = 0; step < 6000; step++) {
		uint64_t r = kt_rand(&st);
		char m[8];
		double s = pool[kt_rand(&st) % 11];

		snprintf(m, sizeof(m), "m%u", (unsigned int)(kt_rand(&st) % 40));
		switch (r % 6) {
		case 0:
		case 1: {
			const char *mp = m;
			int64_t num;

			ASSERT_EQ(0, zadd(self->fd, "z", 0, 1, &s, &mp, &num));
			for (i = 0; i < n && strcmp(v[i].m, m); i++)
				;
			EXPECT_EQ(i == n, num);
			if (i == n)
				strcpy(v[n++].m, m);
			/* Kept as 0, as Redis's small sorted sets do. */
			if (s == 0)
				s = 0.0;
			if (i == n - 1 || s != v[i].s)
				v[i].s = s;
			break;
		}
		case 2: {
			struct kc_buf a;
			struct zreply *z;

			kc_buf_set(&a, m, strlen(m));
			z = zop(self->fd, KC_OP_ZREM, "z", 0, &a, 1, 0, 0, NULL);
			for (i = 0; i < n && strcmp(v[i].m, m); i++)
				;
			if (!n) {
				EXPECT_EQ(-ENOENT, z->ret);
				break;
			}
			EXPECT_EQ(i < n, z->num);
			if (i < n)
				v[i] = v[--n];
			break;
		}
		case 3: {
			/* Score range with random exclusivity, maybe REV. */
			double lo = pool[kt_rand(&st) % 11];
			bool lx = kt_rand(&st) & 1, hx = kt_rand(&st) & 1;
			bool rev = kt_rand(&st) & 1;
			int a = -1, b = -2;
			struct zreply *z;

			qsort(v, n, sizeof(v[0]), mcmp);
			for (i = 0; i < n; i++) {
				bool in = (lx ? v[i].s > lo : v[i].s >= lo) &&
					  (hx ? v[i].s < s : v[i].s <= s);
				if (in && a < 0)
					a = i;
				if (in)
					b = i;
			}
			z = zscore_range(self->fd, "z", KC_Z_WITHSCORES |
					 (rev ? KC_Z_REV : 0), lx, lo, hx, s,
					 0, -1);
			if (!n) {
				EXPECT_EQ(-ENOENT, z->ret);
				break;
			}
			mtext(v, n, a < 0 ? 1 : a, a < 0 ? 0 : b, rev, want,
			      sizeof(want));
			EXPECT_STREQ(want, z->s) {
				TH_LOG("step %d [%g %g]", step, lo, s);
			}
			z = zscore_range(self->fd, "z", KC_Z_COUNT, lx, lo, hx,
					 s, 0, -1);
			EXPECT_EQ(a < 0 ? 0 : b - a + 1, z->num);
			break;
		}
		case 4: {
			/* Rank range with random negative indexes. */
			int64_t s0 = (int64_t)(kt_rand(&st) % 50) - 25;
			int64_t s1 = (int64_t)(kt_rand(&st) % 50) - 25;
			int64_t f = s0 < 0 ? s0 + n : s0, t = s1 < 0 ? s1 + n : s1;
			struct zreply *z;

			qsort(v, n, sizeof(v[0]), mcmp);
			z = zrank_range(self->fd, "z", KC_Z_WITHSCORES, s0, s1);
			if (!n) {
				EXPECT_EQ(-ENOENT, z->ret);
				break;
			}
			if (f < 0)
				f = 0;
			if (t >= n)
				t = n - 1;
			mtext(v, n, (int)f, (int)t, false, want, sizeof(want));
			EXPECT_STREQ(want, z->s);
			break;
		}
		default:
			/* Rank of every member, both ways. */
			qsort(v, n, sizeof(v[0]), mcmp);
			for (i = 0; i < n; i++) {
				ASSERT_EQ(i, zrank(self->fd, "z", v[i].m, false));
				ASSERT_EQ(n - 1 - i, zrank(self->fd, "z", v[i].m, true));
			}
		}
		qsort(v, n, sizeof(v[0]), mcmp);
		mtext(v, n, 0, n - 1, false, want, sizeof(want));
		ASSERT_STREQ(want, n ? ALL("z") : "") {
			TH_LOG("step %d", step);
		}
	}
}

TEST_F(types, big_zset)
{
	enum { N = 100000, B = 1000 };
	static char names[B][12];
	const char *mp[B];
	double sc[B];
	int64_t num;
	int i, j;

	for (i = 0; i < N; i += B) {
		for (j = 0; j < B; j++) {
			snprintf(names[j], sizeof(names[j]), "m%07d", i + j);
			mp[j] = names[j];
			/* Reversed: score order is the opposite of name order. */
			sc[j] = N - (i + j);
		}
		ASSERT_EQ(0, zadd(self->fd, "big", 0, B, sc, mp, &num));
		ASSERT_EQ(B, num);
	}
	EXPECT_EQ(N, zop(self->fd, KC_OP_ZCARD, "big", 0, NULL, 0, 0, 0, NULL)->num);
	for (i = 0; i < N; i += 997) {
		char m[12];
		char want[16];

		snprintf(m, sizeof(m), "m%07d", i);
		ASSERT_EQ(N - 1 - i, zrank(self->fd, "big", m, false));
		snprintf(want, sizeof(want), "%s", m);
		EXPECT_STREQ(want, zrank_range(self->fd, "big", 0, N - 1 - i,
					       N - 1 - i)->s);
	}
	EXPECT_EQ(1000, zscore_range(self->fd, "big", KC_Z_COUNT, true, 500,
				     false, 1500, 0, -1)->num);
	/* Remove every other rank window, then everything. */
	EXPECT_EQ(50000, zrank_range(self->fd, "big", KC_Z_REMOVE | KC_Z_COUNT,
				     0, 49999)->num);
	EXPECT_EQ(0, zrank(self->fd, "big", "m0049999", false));
	EXPECT_EQ(50000, zscore_range(self->fd, "big", KC_Z_REMOVE | KC_Z_COUNT,
				      false, -INFINITY, false, INFINITY, 0, -1)->num);
	EXPECT_GONE("big");
}

TEST_HARNESS_MAIN
