// SPDX-License-Identifier: GPL-2.0
/*
 * Sets against Redis's documented semantics, as uapi/linux/kcache.h maps
 * them onto the ABI: SADD, SREM, SCARD, SMEMBERS, SISMEMBER, SMISMEMBER
 * (one record per member), SPOP and SRANDMEMBER (single, counted, and a
 * negative count bounded by KC_REPLY_MAX), SMOVE, the algebra (SDIFF,
 * SINTER, SUNION) and its STORE forms.  Then sets of 100k members (the
 * members' table grows through every size and shrinks back) and their
 * memory: members count against the memory limit and a set four times
 * smaller than the limit fits.
 *
 * The conventions all container types share (see also kcache_containers.c):
 * an operation on a missing key is -ENOENT (the proxy answers Redis's
 * empty array, 0 or nil), except the ones that create the key; the wrong
 * type is -EPROTOTYPE (WRONGTYPE) and changes nothing; single-element
 * replies write the element like GET, multi-element replies write struct
 * kc_elem records and the count in num; a container emptied by any
 * operation disappears (EXISTS -ENOENT, TYPE KC_TYPE_NONE), as Redis
 * deletes empty aggregates.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_container.h"

TEST_F(types, sadd_srem_scard_smembers)
{
	struct kt_out r;
	char txt[KT_STR];

	/* Duplicates in one SADD count once. */
	r = KT(self->fd, KC_OP_SADD, "s", .args = { "a", "b", "a", "c" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(3, r.num);
	EXPECT_EQ(KC_TYPE_SET, kt_type(self->fd, "s"));
	r = KT(self->fd, KC_OP_SADD, "s", .args = { "a", "d" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_SADD, "s", .args = { "a", "b" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(4, kt_len(self->fd, KC_OP_SCARD, "s"));
	r = KT(self->fd, KC_OP_SMEMBERS, "s");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(4, r.num);
	EXPECT_STREQ("a,b,c,d", r.s);
	EXPECT_EQ(4 * KC_ELEM_SIZE(1), r.out_used);

	r = KT(self->fd, KC_OP_SREM, "s", .args = { "a", "zz", "a" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_STREQ("b,c,d", SMEMBERS("s"));
	r = KT(self->fd, KC_OP_SREM, "s", .args = { "zz" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	r = KT(self->fd, KC_OP_SREM, "s", .args = { "b", "c", "d" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(3, r.num);
	EXPECT_GONE("s");

	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SREM, "s", .args = { "a" }).ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SMEMBERS, "s").ret);
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_SCARD, "s"));
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SADD, "s").ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SREM, "s").ret);
	EXPECT_GONE("s");
}

TEST_F(types, sismember_smismember)
{
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s",
			.args = { "a", "b", "" }).ret);
	r = KT(self->fd, KC_OP_SISMEMBER, "s", .val = "a");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_SISMEMBER, "s", .val = "");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_SISMEMBER, "s", .val = "z", .num = 7);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SISMEMBER, "nope",
			      .val = "a").ret);

	/* One record per member, in argument order; NIL when absent. */
	r = KT(self->fd, KC_OP_SMISMEMBER, "s",
	       .args = { "z", "a", "b", "zz", "a", "" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(6, r.num);
	EXPECT_STREQ("0,1,1,0,1,1", r.s);
	EXPECT_EQ(6 * KC_ELEM_SIZE(0), r.out_used);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SMISMEMBER, "nope",
			      .args = { "a" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SMISMEMBER, "s").ret);
}

/* Splits a ','-joined reply into a NULL-terminated array (in place). */
static size_t split(char *s, char **v, size_t max)
{
	size_t n = 0;
	char *tok, *save = NULL;

	if (!*s)
		return 0;
	for (tok = strtok_r(s, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save))
		v[n++] = tok;
	return n;
}

/* Members m00..m(n-1), for the random-member tests. */
static int sadd_range(int fd, const char *key, unsigned int n)
{
	char names[64][8];
	struct kc_buf args[64];
	struct kc_op op;
	unsigned int i;
	int ret;

	if (n > 64)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "m%02u", i);
		kc_buf_set(&args[i], names[i], strlen(names[i]));
	}
	kc_op_init(&op, KC_OP_SADD);
	kc_op_key(&op, key, strlen(key));
	kc_op_args(&op, args, n);
	ret = kc_do(fd, &op);
	return ret ? ret : (int)op.num;
}

/* Index of member "mNN" below n, or -1. */
static int member_index(const char *m, unsigned int n)
{
	char *end;
	long i;

	if (m[0] != 'm' || strlen(m) != 3)
		return -1;
	i = strtol(m + 1, &end, 10);
	return *end || i < 0 || i >= (long)n ? -1 : (int)i;
}

TEST_F(types, spop_single)
{
	unsigned int seen = 0, i;
	struct kt_out r;
	int idx;

	ASSERT_EQ(10, sadd_range(self->fd, "s", 10));
	for (i = 0; i < 10; i++) {
		r = KT(self->fd, KC_OP_SPOP, "s");
		ASSERT_EQ(0, r.ret);
		EXPECT_EQ(3U, r.out_used);
		idx = member_index(r.s, 10);
		ASSERT_LE(0, idx) {
			TH_LOG("SPOP gave \"%s\", not a member", r.s);
		}
		EXPECT_EQ(0U, seen & (1U << idx)) {
			TH_LOG("SPOP gave %s twice", r.s);
		}
		seen |= 1U << idx;
		/* Popped means removed. */
		EXPECT_EQ(0, KT(self->fd, KC_OP_SISMEMBER, "s", .val = r.s).num);
		if (i < 9) {
			EXPECT_EQ(9 - i, kt_len(self->fd, KC_OP_SCARD, "s"));
		}
	}
	EXPECT_EQ(0x3ffU, seen);
	EXPECT_GONE("s");
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SPOP, "s").ret);
}

TEST_F(types, spop_count)
{
	char *v[64];
	unsigned int seen = 0;
	struct kt_out r;
	size_t n, i;
	int idx;

	ASSERT_EQ(20, sadd_range(self->fd, "s", 20));
	r = KT(self->fd, KC_OP_SPOP, "s", .flags = KC_POP_COUNT, .num = 5);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_EQ(5 * KC_ELEM_SIZE(3), r.out_used);
	n = split(r.s, v, 64);
	ASSERT_EQ(5, n);
	for (i = 0; i < n; i++) {
		idx = member_index(v[i], 20);
		ASSERT_LE(0, idx);
		EXPECT_EQ(0U, seen & (1U << idx)) {
			TH_LOG("SPOP 5 gave %s twice", v[i]);
		}
		seen |= 1U << idx;
		EXPECT_EQ(0, KT(self->fd, KC_OP_SISMEMBER, "s", .val = v[i]).num) {
			TH_LOG("%s popped but still a member", v[i]);
		}
	}
	EXPECT_EQ(15, kt_len(self->fd, KC_OP_SCARD, "s"));

	/* Count 0: empty array, nothing removed. */
	r = KT(self->fd, KC_OP_SPOP, "s", .flags = KC_POP_COUNT, .num = 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(0U, r.out_used);
	EXPECT_EQ(15, kt_len(self->fd, KC_OP_SCARD, "s"));
	/* Negative: "ERR value is out of range, must be positive". */
	r = KT(self->fd, KC_OP_SPOP, "s", .flags = KC_POP_COUNT, .num = -1);
	EXPECT_EQ(-EINVAL, r.ret);
	EXPECT_EQ(15, kt_len(self->fd, KC_OP_SCARD, "s"));

	/* More than the set holds: the rest, then the set is gone. */
	r = KT(self->fd, KC_OP_SPOP, "s", .flags = KC_POP_COUNT, .num = 100);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(15, r.num);
	n = split(r.s, v, 64);
	ASSERT_EQ(15, n);
	for (i = 0; i < n; i++) {
		idx = member_index(v[i], 20);
		ASSERT_LE(0, idx);
		EXPECT_EQ(0U, seen & (1U << idx)) {
			TH_LOG("%s popped twice", v[i]);
		}
		seen |= 1U << idx;
	}
	EXPECT_EQ(0xfffffU, seen);
	EXPECT_GONE("s");
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SPOP, "s", .flags = KC_POP_COUNT,
			      .num = 1).ret);
}

TEST_F(types, srandmember)
{
	char *v[64];
	unsigned int seen, i;
	struct kt_out r;
	size_t n, j;
	int idx;

	ASSERT_EQ(10, sadd_range(self->fd, "s", 10));
	for (i = 0; i < 5; i++) {
		r = KT(self->fd, KC_OP_SRANDMEMBER, "s");
		ASSERT_EQ(0, r.ret);
		EXPECT_LE(0, member_index(r.s, 10)) {
			TH_LOG("SRANDMEMBER gave \"%s\"", r.s);
		}
	}
	/* Positive count: distinct members, at most the set's size. */
	r = KT(self->fd, KC_OP_SRANDMEMBER, "s", .flags = KC_POP_COUNT,
	       .num = 5);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	n = split(r.s, v, 64);
	ASSERT_EQ(5, n);
	for (seen = 0, j = 0; j < n; j++) {
		idx = member_index(v[j], 10);
		ASSERT_LE(0, idx);
		EXPECT_EQ(0U, seen & (1U << idx)) {
			TH_LOG("SRANDMEMBER 5 repeated %s", v[j]);
		}
		seen |= 1U << idx;
	}
	r = KT(self->fd, KC_OP_SRANDMEMBER, "s", .flags = KC_POP_COUNT,
	       .num = 20);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(10, r.num);
	EXPECT_STREQ("m00,m01,m02,m03,m04,m05,m06,m07,m08,m09", r.s);
	r = KT(self->fd, KC_OP_SRANDMEMBER, "s", .flags = KC_POP_COUNT,
	       .num = 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(0U, r.out_used);

	/* Negative count: exactly |count| members, repeats allowed. */
	r = KT(self->fd, KC_OP_SRANDMEMBER, "s", .flags = KC_POP_COUNT,
	       .num = -25);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(25, r.num);
	EXPECT_EQ(25 * KC_ELEM_SIZE(3), r.out_used);
	n = split(r.s, v, 64);
	ASSERT_EQ(25, n);
	for (j = 0; j < n; j++) {
		EXPECT_LE(0, member_index(v[j], 10));
	}
	/* Nothing was removed by any of it. */
	EXPECT_EQ(10, kt_len(self->fd, KC_OP_SCARD, "s"));

	/* One member, negative count: that member, count times. */
	ASSERT_EQ(1, sadd_range(self->fd, "one", 1));
	r = KT(self->fd, KC_OP_SRANDMEMBER, "one", .flags = KC_POP_COUNT,
	       .num = -4);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(4, r.num);
	EXPECT_STREQ("m00,m00,m00,m00", r.s);

	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SRANDMEMBER, "nope").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SRANDMEMBER, "nope",
			      .flags = KC_POP_COUNT, .num = -3).ret);
}

/*
 * A negative SRANDMEMBER count asks for a reply of |count| records, with
 * no bound from the set's size.  Past KC_REPLY_MAX it is -E2BIG, and the
 * kernel must find that out without producing all |count| records first:
 * the work has to be bounded by KC_REPLY_MAX, not by the count.  (Redis
 * bounds the count by -LONG_MAX; here a count of -2^62 would keep a CPU
 * busy for ages, not killable, holding the set's mutex and blocking every
 * exclusive operation.)  Members of 8000 bytes reach KC_REPLY_MAX after
 * 8380 records: a count of -8400 and one of -2^17 must cost about the
 * same, where a walk of all |count| records costs 15 times more.
 */
/*
 * Adds the members of n SRANDMEMBER records in buf to count[]; the
 * records read, or -1 on a member not "mNN" below n.
 */
static long tally(const unsigned char *buf, size_t used, unsigned int n,
		  unsigned long *count)
{
	const struct kc_elem *e;
	char m[8];
	size_t off;
	long recs = 0;
	int idx;

	for (off = 0; off + sizeof(*e) <= used; off += KC_ELEM_SIZE(e->len)) {
		e = (const struct kc_elem *)(buf + off);
		if (e->len >= sizeof(m))
			return -1;
		memcpy(m, e + 1, e->len);
		m[e->len] = 0;
		idx = member_index(m, n);
		if (idx < 0)
			return -1;
		count[idx]++;
		recs++;
	}
	return recs;
}

/* Pearson's chi-square of count[] against the same share for each. */
static double chi_square(const unsigned long *count, unsigned int n)
{
	double total = 0, expect, x = 0, d;
	unsigned int i;

	for (i = 0; i < n; i++)
		total += count[i];
	expect = total / n;
	for (i = 0; i < n; i++) {
		d = count[i] - expect;
		x += d * d / expect;
	}
	return x;
}

/*
 * Every member has the same odds, however the members' table chains
 * them: Redis's own tests check SRANDMEMBER with a chi-square.  64
 * members, 64,000 picks with repeats, then 2,000 x 8 distinct ones (the
 * random-pick path, count below a third of the set): 63 degrees of
 * freedom, whose chi-square has mean 63 and deviation 11.2; 160 is over
 * 8 deviations away, while picking a bucket and then one of its chain
 * (the old way) gives 9,000 to 17,000 in a simulation of this table.
 */
TEST_F(types, srandmember_is_uniform)
{
	size_t cap = 64000 * KC_ELEM_SIZE(3);
	unsigned long count[64] = { 0 };
	unsigned char *buf = malloc(cap);
	struct kc_op op;
	unsigned int i;
	double x;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(64, sadd_range(self->fd, "u", 64));
	kc_op_init(&op, KC_OP_SRANDMEMBER);
	kc_op_key(&op, "u", 1);
	op.flags = KC_POP_COUNT;
	op.num = -64000;
	kc_op_out(&op, buf, cap);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	ASSERT_EQ(64000, op.num);
	ASSERT_EQ(64000, tally(buf, op.out_used, 64, count));
	x = chi_square(count, 64);
	EXPECT_GT(160, x) {
		TH_LOG("repeats: chi-square %.1f over 64 members", x);
	}

	memset(count, 0, sizeof(count));
	for (i = 0; i < 2000; i++) {
		kc_op_init(&op, KC_OP_SRANDMEMBER);
		kc_op_key(&op, "u", 1);
		op.flags = KC_POP_COUNT;
		op.num = 8;
		kc_op_out(&op, buf, cap);
		ASSERT_EQ(0, kc_do(self->fd, &op));
		ASSERT_EQ(8, tally(buf, op.out_used, 64, count));
	}
	x = chi_square(count, 64);
	EXPECT_GT(160, x) {
		TH_LOG("distinct: chi-square %.1f over 64 members", x);
	}
	free(buf);
}

TEST_F_TIMEOUT(types, srandmember_huge_negative_count, 180)
{
	int64_t t0, t_small = INT64_MAX, t_big, t;
	struct kc_buf arg;
	struct kc_op op;
	char out[64];
	unsigned int i;
	char *m;

	m = malloc(8000);
	ASSERT_NE(NULL, m);
	memset(m, 'x', 8000);
	kc_buf_set(&arg, m, 8000);
	kc_op_init(&op, KC_OP_SADD);
	kc_op_key(&op, "big", 3);
	kc_op_args(&op, &arg, 1);
	ASSERT_EQ(0, kc_do(self->fd, &op));

	kc_op_init(&op, KC_OP_SRANDMEMBER);
	op.flags = KC_POP_COUNT;
	kc_op_key(&op, "big", 3);
	kc_op_out(&op, out, sizeof(out));
	for (i = 0; i < 3; i++) {
		op.num = -8400;
		t0 = kt_mono_ms();
		EXPECT_EQ(-E2BIG, kc_do(self->fd, &op));
		t = kt_mono_ms() - t0;
		if (t < t_small)
			t_small = t;
	}
	op.num = -(1LL << 17);
	t0 = kt_mono_ms();
	EXPECT_EQ(-E2BIG, kc_do(self->fd, &op));
	t_big = kt_mono_ms() - t0;
	EXPECT_GE(4 * t_small + 50, t_big) {
		TH_LOG("SRANDMEMBER -8400 took %lld ms, -131072 took %lld ms: the work is not bounded by KC_REPLY_MAX",
		       (long long)t_small, (long long)t_big);
	}
	EXPECT_EQ(1, kt_len(self->fd, KC_OP_SCARD, "big"));
	free(m);
}

/*
 * Counts no reply can hold fail before any work: with 3-byte members the
 * walk above would add millions of records before passing KC_REPLY_MAX
 * (many seconds, the set's lock held).  Each huge count must cost about
 * what a count of -3 costs; a count just small enough still runs.
 */
TEST_F(types, srandmember_impossible_count_fails_at_once)
{
	static const int64_t huge[] = { INT64_MIN, -INT64_MAX, -(1LL << 40),
					-(int64_t)(KC_REPLY_MAX / KC_ELEM_SIZE(0)) - 1 };
	int64_t t0, t_small, t_big = 0, t;
	struct kc_op op;
	char out[256];
	unsigned int i;

	ASSERT_EQ(1, sadd_range(self->fd, "few", 1));
	kc_op_init(&op, KC_OP_SRANDMEMBER);
	op.flags = KC_POP_COUNT;
	kc_op_key(&op, "few", 3);
	kc_op_out(&op, out, sizeof(out));
	op.num = -3;
	t0 = kt_mono_ms();
	ASSERT_EQ(0, kc_do(self->fd, &op));
	t_small = kt_mono_ms() - t0;
	EXPECT_EQ(3, op.num);
	EXPECT_EQ(3 * KC_ELEM_SIZE(3), op.out_used);
	for (i = 0; i < ARRAY_SIZE(huge); i++) {
		op.num = huge[i];
		t0 = kt_mono_ms();
		EXPECT_EQ(-E2BIG, kc_do(self->fd, &op));
		t = kt_mono_ms() - t0;
		if (t > t_big)
			t_big = t;
	}
	/* Before the check the last count alone took seconds (TCG: 30 s). */
	EXPECT_GE(4 * t_small + 1000, t_big) {
		TH_LOG("SRANDMEMBER -3 took %lld ms, an impossible count %lld ms",
		       (long long)t_small, (long long)t_big);
	}
	/* Small enough for KC_REPLY_MAX: runs, too big for out (-ENOSPC). */
	op.num = -40000;
	EXPECT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_EQ(40000 * KC_ELEM_SIZE(3), op.out_used);
	EXPECT_EQ(1, kt_len(self->fd, KC_OP_SCARD, "few"));
}

TEST_F(types, smove)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "src",
			.args = { "a", "b", "c" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "dst", .args = { "c", "d" }).ret);
	r = KT(self->fd, KC_OP_SMOVE, "src", .val = "a", .args = { "dst" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_STREQ("b,c", SMEMBERS("src"));
	EXPECT_STREQ("a,c,d", SMEMBERS("dst"));
	/* Already in the destination: removed from the source, 1. */
	r = KT(self->fd, KC_OP_SMOVE, "src", .val = "c", .args = { "dst" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_STREQ("b", SMEMBERS("src"));
	EXPECT_STREQ("a,c,d", SMEMBERS("dst"));
	/* Not a member: 0, nothing moves. */
	r = KT(self->fd, KC_OP_SMOVE, "src", .val = "zz", .args = { "dst" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(3, kt_len(self->fd, KC_OP_SCARD, "dst"));
	/* Same source and destination: 1 if a member, nothing changes. */
	r = KT(self->fd, KC_OP_SMOVE, "dst", .val = "a", .args = { "dst" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_SMOVE, "dst", .val = "zz", .args = { "dst" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_STREQ("a,c,d", SMEMBERS("dst"));
	/* The last member: the source goes, a missing destination is made. */
	r = KT(self->fd, KC_OP_SMOVE, "src", .val = "b", .args = { "new" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_GONE("src");
	EXPECT_STREQ("b", SMEMBERS("new"));
	EXPECT_EQ(KC_TYPE_SET, kt_type(self->fd, "new"));
	/* Missing source: 0. */
	r = KT(self->fd, KC_OP_SMOVE, "src", .val = "b", .args = { "dst" });
	EXPECT_EQ(-ENOENT, r.ret);
	EXPECT_GONE("src");

	/* Exactly one destination. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SMOVE, "dst", .val = "a").ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SMOVE, "dst", .val = "a",
			      .args = { "x", "y" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SMOVE, "dst", .val = "a",
			      .args = { "" }).ret);
	EXPECT_STREQ("a,c,d", SMEMBERS("dst"));
}

/* WRONGTYPE on either side is checked before anything moves. */
TEST_F(types, smove_wrong_type)
{
	char txt[KT_STR], buf[16];
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s", .args = { "a", "b" }).ret);
	ASSERT_EQ(0, kt_set(self->fd, "str", "value"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "list", .args = { "x" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "hash",
			.args = { "a", "1" }).ret);

	r = KT(self->fd, KC_OP_SMOVE, "s", .val = "a", .args = { "str" });
	EXPECT_EQ(-EPROTOTYPE, r.ret);
	r = KT(self->fd, KC_OP_SMOVE, "s", .val = "a", .args = { "list" });
	EXPECT_EQ(-EPROTOTYPE, r.ret);
	r = KT(self->fd, KC_OP_SMOVE, "s", .val = "a", .args = { "hash" });
	EXPECT_EQ(-EPROTOTYPE, r.ret);
	/* Even for a member that is not there. */
	r = KT(self->fd, KC_OP_SMOVE, "s", .val = "zz", .args = { "str" });
	EXPECT_EQ(-EPROTOTYPE, r.ret);
	EXPECT_STREQ("a,b", SMEMBERS("s"));
	EXPECT_EQ(5, kt_get(self->fd, "str", buf, sizeof(buf)));
	EXPECT_STREQ("value", buf);
	EXPECT_STREQ("x", LRANGE_ALL("list"));
	EXPECT_STREQ("a=1", HGETALL("hash"));

	/* A source of another type. */
	r = KT(self->fd, KC_OP_SMOVE, "str", .val = "a", .args = { "s" });
	EXPECT_EQ(-EPROTOTYPE, r.ret);
	r = KT(self->fd, KC_OP_SMOVE, "list", .val = "x", .args = { "s" });
	EXPECT_EQ(-EPROTOTYPE, r.ret);
	EXPECT_STREQ("a,b", SMEMBERS("s"));
	EXPECT_STREQ("x", LRANGE_ALL("list"));
}

TEST_F(types, sdiff_sinter_sunion)
{
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s1",
			.args = { "a", "b", "c", "d" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s2", .args = { "c" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s3",
			.args = { "a", "c", "e" }).ret);

	/* The keys are the arguments; kc_op.key is unused. */
	r = KT(self->fd, KC_OP_SDIFF, NULL, .args = { "s1", "s2", "s3" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_STREQ("b,d", r.s);
	r = KT(self->fd, KC_OP_SINTER, NULL, .args = { "s1", "s2", "s3" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_STREQ("c", r.s);
	r = KT(self->fd, KC_OP_SINTER, NULL, .args = { "s1", "s3" });
	EXPECT_STREQ("a,c", r.s);
	r = KT(self->fd, KC_OP_SUNION, NULL, .args = { "s1", "s2", "s3" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_STREQ("a,b,c,d,e", r.s);
	/* One key, and a key named twice. */
	r = KT(self->fd, KC_OP_SDIFF, NULL, .args = { "s3" });
	EXPECT_STREQ("a,c,e", r.s);
	r = KT(self->fd, KC_OP_SDIFF, NULL, .args = { "s3", "s3" });
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_STREQ("", r.s);
	r = KT(self->fd, KC_OP_SUNION, NULL, .args = { "s3", "s3" });
	EXPECT_EQ(3, r.num);
	EXPECT_STREQ("a,c,e", r.s);
	r = KT(self->fd, KC_OP_SINTER, NULL, .args = { "s3", "s3" });
	EXPECT_STREQ("a,c,e", r.s);

	/* Missing keys are empty sets. */
	r = KT(self->fd, KC_OP_SDIFF, NULL, .args = { "s1", "nope", "s2" });
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("a,b,d", r.s);
	r = KT(self->fd, KC_OP_SDIFF, NULL, .args = { "nope", "s1" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_STREQ("", r.s);
	r = KT(self->fd, KC_OP_SINTER, NULL, .args = { "s1", "nope" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	r = KT(self->fd, KC_OP_SUNION, NULL, .args = { "nope", "s2", "nope2" });
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("c", r.s);
	r = KT(self->fd, KC_OP_SUNION, NULL, .args = { "nope" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);

	/* WRONGTYPE for any key of another type, even a missing-key diff. */
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));
	EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_SUNION, NULL,
				  .args = { "s1", "str" }).ret);
	EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_SINTER, NULL,
				  .args = { "str", "s1" }).ret);
	EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_SDIFF, NULL,
				  .args = { "s1", "str" }).ret);

	/* No keys, a key in kc_op.key, an empty key name: malformed. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SUNION, NULL).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SUNION, "s1",
			      .args = { "s1" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SUNION, NULL,
			      .args = { "s1", "" }).ret);
	/* The sources are read, never changed. */
	EXPECT_EQ(4, kt_len(self->fd, KC_OP_SCARD, "s1"));
	EXPECT_EQ(1, kt_len(self->fd, KC_OP_SCARD, "s2"));
	EXPECT_EQ(3, kt_len(self->fd, KC_OP_SCARD, "s3"));
}

TEST_F(types, set_store_forms)
{
	struct kt_out r;
	char txt[KT_STR];
	int64_t ttl = 0;

	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s1",
			.args = { "a", "b", "c", "d" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s3",
			.args = { "a", "c", "e" }).ret);

	r = KT(self->fd, KC_OP_SUNIONSTORE, "d", .args = { "s1", "s3" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_STREQ("a,b,c,d,e", SMEMBERS("d"));
	/* The destination is overwritten, its TTL dropped. */
	ASSERT_EQ(0, kc_expire(self->fd, "d", 1, 100, 0));
	r = KT(self->fd, KC_OP_SINTERSTORE, "d", .args = { "s1", "s3" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_STREQ("a,c", SMEMBERS("d"));
	ASSERT_EQ(0, kc_ttl(self->fd, "d", 1, 0, &ttl));
	EXPECT_EQ(-1, ttl);
	r = KT(self->fd, KC_OP_SDIFFSTORE, "d", .args = { "s1", "s3" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_STREQ("b,d", SMEMBERS("d"));

	/* An empty result deletes the destination. */
	r = KT(self->fd, KC_OP_SDIFFSTORE, "d", .args = { "s1", "s1" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_GONE("d");
	r = KT(self->fd, KC_OP_SINTERSTORE, "d", .args = { "s1", "nope" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_GONE("d");

	/* A destination of another type is replaced, not WRONGTYPE. */
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));
	r = KT(self->fd, KC_OP_SUNIONSTORE, "str", .args = { "s3" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(3, r.num);
	EXPECT_EQ(KC_TYPE_SET, kt_type(self->fd, "str"));
	EXPECT_STREQ("a,c,e", SMEMBERS("str"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "list", .args = { "x" }).ret);
	r = KT(self->fd, KC_OP_SDIFFSTORE, "list", .args = { "nope" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_GONE("list");

	/* The destination may be a source. */
	r = KT(self->fd, KC_OP_SUNIONSTORE, "s3", .args = { "s3", "s1" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_STREQ("a,b,c,d,e", SMEMBERS("s3"));
	r = KT(self->fd, KC_OP_SDIFFSTORE, "s3", .args = { "s3", "s1" });
	EXPECT_EQ(1, r.num);
	EXPECT_STREQ("e", SMEMBERS("s3"));

	/* A source of another type: WRONGTYPE, the destination untouched. */
	ASSERT_EQ(0, kt_set(self->fd, "str2", "v"));
	r = KT(self->fd, KC_OP_SUNIONSTORE, "s3", .args = { "s1", "str2" });
	EXPECT_EQ(-EPROTOTYPE, r.ret);
	EXPECT_STREQ("e", SMEMBERS("s3"));
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SUNIONSTORE, "s3").ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SUNIONSTORE, NULL,
			      .args = { "s1" }).ret);
	EXPECT_STREQ("e", SMEMBERS("s3"));
}


/* ------------------------------------------------------- big containers */

/*
 * A big set: 100k members.  The members' table grows past 65536 buckets
 * (a table of more than item_size_max bytes) on the way, and shrinks back
 * when most members go.
 */
TEST_F_TIMEOUT(types, big_set, 300)
{
	const unsigned int n = kt_big_n();
	unsigned char *seen;
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	uint32_t used;
	int64_t total, count;
	unsigned int i, bad = 0, dup = 0, failed_at = 0;
	char txt[KT_STR], want[KT_STR], name[9];
	size_t wl = 0;
	void *buf;
	int ret;

	ret = kt_big_op(self->fd, KC_OP_SADD, "bigset", 0, n, &total, &failed_at);
	ASSERT_EQ(0, ret) {
		TH_LOG("SADD of member %u..%u failed: %s (%lld added before, SCARD %lld)",
		       failed_at, failed_at + KT_BIG_CHUNK - 1, kc_strerror(ret),
		       (long long)total,
		       (long long)kt_len(self->fd, KC_OP_SCARD, "bigset"));
	}
	EXPECT_EQ(n, total);
	EXPECT_EQ(n, kt_len(self->fd, KC_OP_SCARD, "bigset"));
	/* Adding them again adds nothing. */
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_SADD, "bigset", 0, KT_BIG_CHUNK, &total,
			    NULL));
	EXPECT_EQ(0, total);

	ASSERT_EQ(0, kt_big_read(self->fd, KC_OP_SMEMBERS, "bigset", 0, 0, &buf,
			      &used, &count));
	EXPECT_EQ(n, count);
	EXPECT_EQ((uint32_t)n * KC_ELEM_SIZE(8), used);
	seen = calloc(n, 1);
	ASSERT_NE(NULL, seen);
	kc_elem_iter_init(&it, buf, used, count);
	for (i = 0; (e = kc_elem_next(&it, &data)); i++) {
		unsigned long k;

		memcpy(name, data, 8);
		name[8] = '\0';
		k = strtoul(name + 1, NULL, 10);
		if (e->len != 8 || name[0] != 'e' || k >= n) {
			bad++;
			continue;
		}
		if (seen[k]++)
			dup++;
	}
	EXPECT_EQ(n, i);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, dup);
	free(seen);
	free(buf);

	/* Remove all but every 10000th: the table shrinks on the way. */
	want[0] = '\0';
	for (i = 0; i < n; i += KT_BIG_CHUNK) {
		ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_SREM, "bigset", i + 1,
				    i + KT_BIG_CHUNK, &total, NULL));
		EXPECT_EQ(KT_BIG_CHUNK - 1, total);
		wl += snprintf(want + wl, sizeof(want) - wl, "%s%s",
			       i ? "," : "", kt_nm(name, i));
	}
	EXPECT_EQ(n / KT_BIG_CHUNK, kt_len(self->fd, KC_OP_SCARD, "bigset"));
	EXPECT_STREQ(want, SMEMBERS("bigset"));
	EXPECT_EQ(1, KT(self->fd, KC_OP_SISMEMBER, "bigset",
			.val = kt_nm(name, KT_BIG_CHUNK)).num);
	EXPECT_EQ(0, KT(self->fd, KC_OP_SISMEMBER, "bigset",
			.val = kt_nm(name, KT_BIG_CHUNK + 1)).num);
}

/* The table grows through every size, then shrinks back as members go. */
TEST_F_TIMEOUT(types, set_table_grows_and_shrinks, 300)
{
	const unsigned int n = kt_big_n() * 6 / 10;
	unsigned int i, gone = 0;
	int64_t total;
	char txt[KT_STR];
	struct kt_out r;

	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_SADD, "s", 0, n, &total, NULL));
	EXPECT_EQ(n, total);
	EXPECT_EQ(n, kt_len(self->fd, KC_OP_SCARD, "s"));
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_SREM, "s", 5, n, &total, NULL));
	EXPECT_EQ(n - 5, total);
	EXPECT_STREQ("e0000000,e0000001,e0000002,e0000003,e0000004",
		     SMEMBERS("s"));
	for (i = 0; i < 5; i++) {
		r = KT(self->fd, KC_OP_SPOP, "s");
		if (!r.ret)
			gone++;
	}
	EXPECT_EQ(5, gone);
	EXPECT_GONE("s");
}


/* ----------------------------------------------------------------- memory */

/*
 * Elements count against the memory limit: a set filled far past a small
 * limit either fails with -ENOMEM or makes room by evicting (older
 * strings, or the set itself); the limit holds all along.
 */
TEST_F_TIMEOUT(types, set_counts_against_memory_limit, 180)
{
	const uint64_t limit_mb = 4;
	struct kc_stats st0, st;
	struct kc_buf args[100];
	char names[100][104];
	unsigned int i, j, over = 0;
	int first_err = 0;
	uint64_t added = 0, old_left = 0;
	int64_t card, before = 0, after;
	struct kc_op op;
	char key[32];

	ASSERT_NO_EARLIER_LEAK();
	ASSERT_EQ(0, kt_fresh_limit(self->fd, limit_mb));
	/* Old items first, of the members' size. */
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "old%05u", i);
		memset(names[0], 'o', 100);
		ASSERT_EQ(0, kc_set(self->fd, key, strlen(key), names[0], 100,
				    0, 0, 0));
	}
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	EXPECT_EQ(limit_mb * KT_MIB, st0.limit_bytes);

	/* 30000 members of 100 bytes: about 5.5 MiB in a 4 MiB limit. */
	for (i = 0; i < 300 && !first_err; i++) {
		for (j = 0; j < 100; j++) {
			snprintf(names[j], sizeof(names[j]), "%06u", i * 100 + j);
			memset(names[j] + 6, 'm', 94);
			kc_buf_set(&args[j], names[j], 100);
		}
		before = kt_len(self->fd, KC_OP_SCARD, "set");
		kc_op_init(&op, KC_OP_SADD);
		kc_op_key(&op, "set", 3);
		kc_op_args(&op, args, 100);
		first_err = kc_do(self->fd, &op);
		/* num counts the members added, even by a SADD that failed. */
		added += op.num;
		ASSERT_EQ(0, kc_stats(self->fd, &st));
		if (st.used_bytes > st.limit_bytes)
			over++;
	}
	/* A SADD that failed added nothing (Redis refuses the whole command). */
	if (first_err) {
		after = kt_len(self->fd, KC_OP_SCARD, "set");
		EXPECT_GE(before > 0 ? before : 0, after) {
			TH_LOG("SADD of 100 new members failed with %s but SCARD went from %lld to %lld",
			       kc_strerror(first_err), (long long)before,
			       (long long)after);
		}
	}
	EXPECT_EQ(0, over) {
		TH_LOG("used_bytes went over limit_bytes %u times", over);
	}
	EXPECT_TRUE(!first_err || first_err == -ENOMEM) {
		TH_LOG("SADD failed with %s", kc_strerror(first_err));
	}
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_GE(st.limit_bytes, st.used_bytes);
	card = kt_len(self->fd, KC_OP_SCARD, "set");
	if (card < 0)
		card = 0;
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "old%05u", i);
		old_left += !kt_exists(self->fd, key);
	}
	/* What is left fits in the limit: 100 bytes a member at least. */
	EXPECT_GT(limit_mb * KT_MIB, (uint64_t)card * 100 + old_left * 100);
	EXPECT_LE((uint64_t)card, added);
	/* Something gave: -ENOMEM, or evictions. */
	EXPECT_TRUE(first_err == -ENOMEM || st.evictions > st0.evictions) {
		TH_LOG("no -ENOMEM and no eviction: %llu members in a %llu MiB limit",
		       (unsigned long long)card, (unsigned long long)limit_mb);
	}
	TH_LOG("SADD result %d; %llu added, %lld left, %llu of 2000 old strings left, %llu evictions, %llu outofmemory",
	       first_err, (unsigned long long)added, (long long)card,
	       (unsigned long long)old_left,
	       (unsigned long long)(st.evictions - st0.evictions),
	       (unsigned long long)(st.outofmemory - st0.outofmemory));
}

/* Logs the slab classes that hold pages: where the memory went. */
static void log_classes(struct __test_metadata *_metadata, int fd)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i;

	if (kc_class_stats(fd, cs, 256, &n, &nr))
		return;
	for (i = 0; i < n; i++)
		if (cs[i].pages)
			TH_LOG("  class %2u: chunk %6u, %llu page(s), %llu chunks used, %llu items",
			       cs[i].id, cs[i].chunk_size,
			       (unsigned long long)cs[i].pages,
			       (unsigned long long)cs[i].used_chunks,
			       (unsigned long long)cs[i].items);
}

/*
 * A set of 30000 members of 8 bytes takes about 3.5 MiB of chunks (112
 * bytes an element, a table of 32768 buckets): it fits a 16 MiB limit.
 */
TEST_F_TIMEOUT(types, set_fits_a_limit_four_times_its_size, 180)
{
	struct kc_stats st;
	unsigned int failed_at = 0;
	int64_t total;
	int ret;

	ASSERT_NO_EARLIER_LEAK();
	ASSERT_EQ(0, kt_fresh_limit(self->fd, 16));
	ret = kt_big_op(self->fd, KC_OP_SADD, "set", 0, 30000, &total, &failed_at);
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(0, ret) {
		TH_LOG("SADD of members %u.. failed: %s with %lld members in, %llu of %llu bytes used",
		       failed_at, kc_strerror(ret), (long long)total,
		       (unsigned long long)st.used_bytes,
		       (unsigned long long)st.limit_bytes);
		log_classes(_metadata, self->fd);
	}
	EXPECT_EQ(30000, kt_len(self->fd, KC_OP_SCARD, "set"));
}


TEST_HARNESS_MAIN
