// SPDX-License-Identifier: GPL-2.0
/*
 * Lists against Redis's documented semantics, as uapi/linux/kcache.h maps
 * them onto the ABI: LPUSH/RPUSH (and the X forms), LPOP/RPOP (single and
 * KC_POP_COUNT), LRANGE, LLEN, LINDEX, LSET, LREM, LTRIM, LINSERT.  LINDEX
 * outside the list is -ENOENT (nil), LSET outside -ERANGE, LINSERT with no
 * pivot answers num = -1.  Then a list of 100k elements (walks from both
 * ends, trims, pops).
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

TEST_F(types, lpush_rpush_order_and_length)
{
	struct kt_out r;
	char txt[KT_STR];

	/* LPUSH pushes each argument at the head in turn: c b a. */
	r = KT(self->fd, KC_OP_LPUSH, "l", .args = { "a", "b", "c" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(3, r.num);
	EXPECT_STREQ("c,b,a", LRANGE_ALL("l"));
	r = KT(self->fd, KC_OP_RPUSH, "l", .args = { "x", "y" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_STREQ("c,b,a,x,y", LRANGE_ALL("l"));
	r = KT(self->fd, KC_OP_LPUSH, "l", .args = { "a" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(6, r.num);
	/* Duplicates are elements like any other. */
	EXPECT_STREQ("a,c,b,a,x,y", LRANGE_ALL("l"));
	EXPECT_EQ(6, kt_len(self->fd, KC_OP_LLEN, "l"));
	EXPECT_EQ(KC_TYPE_LIST, kt_type(self->fd, "l"));

	/* RPUSH creates the list too. */
	r = KT(self->fd, KC_OP_RPUSH, "r", .args = { "1", "2", "3" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(3, r.num);
	EXPECT_STREQ("1,2,3", LRANGE_ALL("r"));

	/* No element at all: Redis's arity error; nothing is created. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LPUSH, "e").ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_RPUSH, "e").ret);
	EXPECT_GONE("e");
	/* Flags other than KC_SET_XX are rejected. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LPUSH, "e", .flags = KC_SET_NX,
			      .args = { "a" }).ret);
	EXPECT_GONE("e");
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_LLEN, "nope"));
}

TEST_F(types, list_binary_and_empty_elements)
{
	static const char bin[] = { 'a', 0, 'b', 0 };
	struct kc_buf args[3];
	unsigned char out[256];
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	struct kc_op op;

	kc_buf_set(&args[0], bin, sizeof(bin));
	kc_buf_set(&args[1], "", 0);
	kc_buf_set(&args[2], "12345678", 8);
	kc_op_init(&op, KC_OP_RPUSH);
	kc_op_key(&op, "b", 1);
	kc_op_args(&op, args, 3);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(3, op.num);

	kc_op_init(&op, KC_OP_LRANGE);
	kc_op_key(&op, "b", 1);
	op.num = 0;
	op.num2 = -1;
	memset(out, 0xee, sizeof(out));
	kc_op_out(&op, out, sizeof(out));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(3, op.num);
	/* Records are padded to KC_ELEM_ALIGN. */
	EXPECT_EQ(KC_ELEM_SIZE(4) + KC_ELEM_SIZE(0) + KC_ELEM_SIZE(8),
		  op.out_used);
	kc_elem_iter_init(&it, out, op.out_used, 3);
	e = kc_elem_next(&it, &data);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(4U, e->len);
	EXPECT_EQ(0U, e->flags);
	EXPECT_EQ(0, memcmp(data, bin, 4));
	/* The padding is zeroed. */
	EXPECT_EQ(0, ((const unsigned char *)data)[4]);
	EXPECT_EQ(0, ((const unsigned char *)data)[7]);
	e = kc_elem_next(&it, &data);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0U, e->len);
	EXPECT_EQ(0U, e->flags);
	e = kc_elem_next(&it, &data);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(8U, e->len);
	EXPECT_EQ(0, memcmp(data, "12345678", 8));
	EXPECT_EQ(NULL, kc_elem_next(&it, &data));
	EXPECT_EQ(0, it.err);

	/* LINDEX of the empty element: a zero-length value, not a miss. */
	kc_op_init(&op, KC_OP_LINDEX);
	kc_op_key(&op, "b", 1);
	op.num = 1;
	kc_op_out(&op, out, sizeof(out));
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0U, op.out_used);
	/* LREM compares all bytes: "a" is not "a\0b\0". */
	kc_op_init(&op, KC_OP_LREM);
	kc_op_key(&op, "b", 1);
	kc_op_val(&op, "a", 1);
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0, op.num);
	kc_op_val(&op, bin, sizeof(bin));
	op.num = 0;
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(1, op.num);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_LLEN, "b"));
}

TEST_F(types, pushx_only_on_existing_lists)
{
	struct kt_out r;
	char txt[KT_STR];

	/* LPUSHX/RPUSHX on a missing key: Redis answers 0 and creates nothing. */
	r = KT(self->fd, KC_OP_LPUSH, "x", .flags = KC_SET_XX, .args = { "a" });
	EXPECT_EQ(-ENOENT, r.ret);
	r = KT(self->fd, KC_OP_RPUSH, "x", .flags = KC_SET_XX, .args = { "a" });
	EXPECT_EQ(-ENOENT, r.ret);
	EXPECT_GONE("x");

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "x", .args = { "m" }).ret);
	r = KT(self->fd, KC_OP_LPUSH, "x", .flags = KC_SET_XX,
	       .args = { "l1", "l2" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(3, r.num);
	r = KT(self->fd, KC_OP_RPUSH, "x", .flags = KC_SET_XX, .args = { "r1" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(4, r.num);
	EXPECT_STREQ("l2,l1,m,r1", LRANGE_ALL("x"));

	/* XX on another type is still WRONGTYPE. */
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));
	EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_LPUSH, "str",
				  .flags = KC_SET_XX, .args = { "a" }).ret);
}

TEST_F(types, lpop_rpop_single)
{
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "p",
			.args = { "one", "two", "three" }).ret);
	r = KT(self->fd, KC_OP_LPOP, "p");
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("one", r.s);
	EXPECT_EQ(3U, r.out_used);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_RPOP, "p");
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("three", r.s);
	EXPECT_EQ(5U, r.out_used);
	EXPECT_EQ(1, kt_len(self->fd, KC_OP_LLEN, "p"));
	r = KT(self->fd, KC_OP_LPOP, "p");
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("two", r.s);
	/* The last pop deletes the list. */
	EXPECT_GONE("p");
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_LPOP, "p").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_RPOP, "p").ret);
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_LLEN, "p"));
}

TEST_F(types, lpop_rpop_count)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "c",
			.args = { "1", "2", "3", "4", "5", "6" }).ret);
	r = KT(self->fd, KC_OP_LPOP, "c", .flags = KC_POP_COUNT, .num = 2);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("1,2", r.s);
	EXPECT_EQ(2, r.num);
	EXPECT_EQ(2 * KC_ELEM_SIZE(1), r.out_used);
	/* RPOP with a count pops from the tail: last element first. */
	r = KT(self->fd, KC_OP_RPOP, "c", .flags = KC_POP_COUNT, .num = 2);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("6,5", r.s);
	EXPECT_EQ(2, r.num);
	EXPECT_STREQ("3,4", LRANGE_ALL("c"));

	/* Count 0: an empty array (Redis 7), nothing popped. */
	r = KT(self->fd, KC_OP_LPOP, "c", .flags = KC_POP_COUNT, .num = 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(0U, r.out_used);
	EXPECT_STREQ("", r.s);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_LLEN, "c"));

	/* A negative count is an error ("must be positive"), nothing popped. */
	r = KT(self->fd, KC_OP_LPOP, "c", .flags = KC_POP_COUNT, .num = -1);
	EXPECT_EQ(-EINVAL, r.ret);
	r = KT(self->fd, KC_OP_RPOP, "c", .flags = KC_POP_COUNT,
	       .num = INT64_MIN);
	EXPECT_EQ(-EINVAL, r.ret);
	EXPECT_STREQ("3,4", LRANGE_ALL("c"));

	/* More than the length: all of it, and the list is gone. */
	r = KT(self->fd, KC_OP_RPOP, "c", .flags = KC_POP_COUNT, .num = 10);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("4,3", r.s);
	EXPECT_EQ(2, r.num);
	EXPECT_GONE("c");

	/* Missing key with a count: nil (not an empty array). */
	r = KT(self->fd, KC_OP_LPOP, "c", .flags = KC_POP_COUNT, .num = 1);
	EXPECT_EQ(-ENOENT, r.ret);
	r = KT(self->fd, KC_OP_LPOP, "c", .flags = KC_POP_COUNT, .num = 0);
	EXPECT_EQ(-ENOENT, r.ret);

	/* Wrong type comes before the count-0 shortcut (Redis 7). */
	ASSERT_EQ(0, kt_set(self->fd, "s", "v"));
	r = KT(self->fd, KC_OP_LPOP, "s", .flags = KC_POP_COUNT, .num = 0);
	EXPECT_EQ(-EPROTOTYPE, r.ret);
}

TEST_F(types, lrange_indexes)
{
	static const struct {
		int64_t start, stop;
		const char *want;
	} cases[] = {
		{ 0, -1, "a,b,c,d,e" },
		{ 0, 0, "a" },
		{ 1, 3, "b,c,d" },
		{ -3, -1, "c,d,e" },
		{ -1, -1, "e" },
		{ -5, -5, "a" },
		/* A start before the head is the head. */
		{ -100, 1, "a,b" },
		{ -100, -4, "a,b" },
		/* A stop past the tail is the tail. */
		{ 3, 100, "d,e" },
		{ 0, INT64_MAX, "a,b,c,d,e" },
		{ INT64_MIN, INT64_MAX, "a,b,c,d,e" },
		/* Empty: start past the tail, start after stop, stop before
		 * the head.
		 */
		{ 5, 10, "" },
		{ 100, 200, "" },
		{ 3, 1, "" },
		{ -1, -2, "" },
		{ 4, -2, "" },
		{ -100, -90, "" },
		{ 0, -6, "" },
		{ 2, INT64_MIN, "" },
		{ INT64_MAX, INT64_MAX, "" },
	};
	struct kt_out r;
	unsigned int i;

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "a", "b", "c", "d", "e" }).ret);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = KT(self->fd, KC_OP_LRANGE, "l", .num = cases[i].start,
		       .num2 = cases[i].stop);
		EXPECT_EQ(0, r.ret) {
			TH_LOG("LRANGE l %lld %lld: %s",
			       (long long)cases[i].start,
			       (long long)cases[i].stop, kc_strerror(r.ret));
		}
		EXPECT_STREQ(cases[i].want, r.s) {
			TH_LOG("LRANGE l %lld %lld", (long long)cases[i].start,
			       (long long)cases[i].stop);
		}
	}
	/* A missing key is an empty array: -ENOENT. */
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_LRANGE, "nope", .num = 0,
			      .num2 = -1).ret);
}

TEST_F(types, llen_lindex)
{
	static const struct {
		int64_t i;
		const char *want;	/* NULL: nil */
	} cases[] = {
		{ 0, "a" }, { 4, "e" }, { 2, "c" }, { -1, "e" }, { -5, "a" },
		{ -2, "d" }, { 5, NULL }, { -6, NULL }, { 100, NULL },
		{ INT64_MIN, NULL }, { INT64_MAX, NULL },
	};
	struct kt_out r;
	unsigned int i;

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "a", "b", "c", "d", "e" }).ret);
	EXPECT_EQ(5, kt_len(self->fd, KC_OP_LLEN, "l"));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = KT(self->fd, KC_OP_LINDEX, "l", .num = cases[i].i);
		if (!cases[i].want) {
			EXPECT_EQ(-ENOENT, r.ret) {
				TH_LOG("LINDEX l %lld", (long long)cases[i].i);
			}
			continue;
		}
		EXPECT_EQ(0, r.ret) {
			TH_LOG("LINDEX l %lld: %s", (long long)cases[i].i,
			       kc_strerror(r.ret));
		}
		EXPECT_STREQ(cases[i].want, r.s);
		EXPECT_EQ(1U, r.out_used);
	}
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_LINDEX, "nope", .num = 0).ret);
	/* Reads do not change the list. */
	EXPECT_EQ(5, kt_len(self->fd, KC_OP_LLEN, "l"));
}

TEST_F(types, lset)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "a", "b", "c" }).ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LSET, "l", .num = 1, .val = "B").ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LSET, "l", .num = -1,
			.val = "longer value").ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LSET, "l", .num = -3, .val = "").ret);
	EXPECT_STREQ(",B,longer value", LRANGE_ALL("l"));

	/* Outside: "ERR index out of range", nothing changes. */
	r = KT(self->fd, KC_OP_LSET, "l", .num = 3, .val = "x");
	EXPECT_EQ(-ERANGE, r.ret);
	r = KT(self->fd, KC_OP_LSET, "l", .num = -4, .val = "x");
	EXPECT_EQ(-ERANGE, r.ret);
	r = KT(self->fd, KC_OP_LSET, "l", .num = INT64_MIN, .val = "x");
	EXPECT_EQ(-ERANGE, r.ret);
	EXPECT_STREQ(",B,longer value", LRANGE_ALL("l"));
	EXPECT_EQ(3, kt_len(self->fd, KC_OP_LLEN, "l"));

	/* Missing key: "ERR no such key"; LSET creates nothing. */
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_LSET, "nope", .num = 0,
			      .val = "x").ret);
	EXPECT_GONE("nope");
}

TEST_F(types, lrem)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "a", "b", "a", "c", "a", "b", "a" }).ret);
	/* count > 0: the first count matches from the head. */
	r = KT(self->fd, KC_OP_LREM, "l", .num = 2, .val = "a");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_STREQ("b,c,a,b,a", LRANGE_ALL("l"));
	/* count < 0: from the tail. */
	r = KT(self->fd, KC_OP_LREM, "l", .num = -1, .val = "b");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_STREQ("b,c,a,a", LRANGE_ALL("l"));
	/* More than there are: all of them. */
	r = KT(self->fd, KC_OP_LREM, "l", .num = -10, .val = "a");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_STREQ("b,c", LRANGE_ALL("l"));
	/* No match. */
	r = KT(self->fd, KC_OP_LREM, "l", .num = 0, .val = "zz");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_STREQ("b,c", LRANGE_ALL("l"));

	/* count 0: every match. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "c", "x", "c" }).ret);
	r = KT(self->fd, KC_OP_LREM, "l", .num = 0, .val = "c");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(3, r.num);
	EXPECT_STREQ("b,x", LRANGE_ALL("l"));

	/* Removing the last elements removes the list. */
	r = KT(self->fd, KC_OP_RPUSH, "l", .args = { "b" });
	ASSERT_EQ(0, r.ret);
	r = KT(self->fd, KC_OP_LREM, "l", .num = 0, .val = "b");
	EXPECT_EQ(2, r.num);
	r = KT(self->fd, KC_OP_LREM, "l", .num = 1, .val = "x");
	EXPECT_EQ(1, r.num);
	EXPECT_GONE("l");
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_LREM, "l", .num = 0,
			      .val = "x").ret);
}

TEST_F(types, ltrim)
{
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "0", "1", "2", "3", "4", "5", "6", "7", "8",
				  "9" }).ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LTRIM, "l", .num = 2, .num2 = -3).ret);
	EXPECT_STREQ("2,3,4,5,6,7", LRANGE_ALL("l"));
	/* Out-of-range indexes are clamped as in LRANGE. */
	EXPECT_EQ(0, KT(self->fd, KC_OP_LTRIM, "l", .num = -100,
			.num2 = 100).ret);
	EXPECT_STREQ("2,3,4,5,6,7", LRANGE_ALL("l"));
	EXPECT_EQ(0, KT(self->fd, KC_OP_LTRIM, "l", .num = 1, .num2 = 1).ret);
	EXPECT_STREQ("3", LRANGE_ALL("l"));
	EXPECT_EQ(0, KT(self->fd, KC_OP_LTRIM, "l", .num = -1, .num2 = -1).ret);
	EXPECT_STREQ("3", LRANGE_ALL("l"));

	/* An empty range empties the list, which is deleted. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l", .args = { "4", "5" }).ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LTRIM, "l", .num = 2, .num2 = 1).ret);
	EXPECT_GONE("l");
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l", .args = { "a", "b" }).ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LTRIM, "l", .num = 5, .num2 = 10).ret);
	EXPECT_GONE("l");
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l", .args = { "a", "b" }).ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LTRIM, "l", .num = 0,
			.num2 = -3).ret);
	EXPECT_GONE("l");

	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_LTRIM, "l", .num = 0,
			      .num2 = 1).ret);
}

TEST_F(types, linsert)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "a", "b", "c", "b" }).ret);
	r = KT(self->fd, KC_OP_LINSERT, "l", .flags = KC_LINSERT_BEFORE,
	       .val = "X", .args = { "b" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	/* The first occurrence of the pivot, from the head. */
	EXPECT_STREQ("a,X,b,c,b", LRANGE_ALL("l"));
	r = KT(self->fd, KC_OP_LINSERT, "l", .flags = KC_LINSERT_AFTER,
	       .val = "Y", .args = { "b" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(6, r.num);
	EXPECT_STREQ("a,X,b,Y,c,b", LRANGE_ALL("l"));
	r = KT(self->fd, KC_OP_LINSERT, "l", .flags = KC_LINSERT_AFTER,
	       .val = "Z", .args = { "b" });
	EXPECT_STREQ("a,X,b,Z,Y,c,b", LRANGE_ALL("l"));
	/* At the ends. */
	r = KT(self->fd, KC_OP_LINSERT, "l", .flags = KC_LINSERT_BEFORE,
	       .val = "H", .args = { "a" });
	EXPECT_EQ(8, r.num);
	r = KT(self->fd, KC_OP_LINSERT, "l", .flags = KC_LINSERT_AFTER,
	       .val = "T", .args = { "H" });
	EXPECT_EQ(9, r.num);
	EXPECT_STREQ("H,T,a,X,b,Z,Y,c,b", LRANGE_ALL("l"));

	/* No pivot: -1, nothing inserted. */
	r = KT(self->fd, KC_OP_LINSERT, "l", .flags = KC_LINSERT_BEFORE,
	       .val = "N", .args = { "nope" });
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(-1, r.num);
	EXPECT_EQ(9, kt_len(self->fd, KC_OP_LLEN, "l"));

	/* Missing key: Redis answers 0 and creates nothing. */
	r = KT(self->fd, KC_OP_LINSERT, "nope", .flags = KC_LINSERT_BEFORE,
	       .val = "N", .args = { "a" });
	EXPECT_EQ(-ENOENT, r.ret);
	EXPECT_GONE("nope");

	/* Exactly one of BEFORE and AFTER, exactly one pivot. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LINSERT, "l", .val = "N",
			      .args = { "a" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LINSERT, "l",
			      .flags = KC_LINSERT_BEFORE | KC_LINSERT_AFTER,
			      .val = "N", .args = { "a" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LINSERT, "l",
			      .flags = KC_LINSERT_BEFORE, .val = "N").ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LINSERT, "l",
			      .flags = KC_LINSERT_BEFORE, .val = "N",
			      .args = { "a", "b" }).ret);
	EXPECT_EQ(9, kt_len(self->fd, KC_OP_LLEN, "l"));

	/* A value over item_size_max is refused, as LSET and RPUSH do. */
	{
		struct kc_version v;
		struct kc_buf piv;
		struct kc_op op;
		char *big;

		ASSERT_EQ(0, kc_version(self->fd, &v));
		big = calloc(1, v.item_size_max + 1);
		ASSERT_NE(NULL, big);
		kc_buf_set(&piv, "a", 1);
		kc_op_init(&op, KC_OP_LINSERT);
		kc_op_key(&op, "l", 1);
		kc_op_val(&op, big, v.item_size_max + 1);
		kc_op_args(&op, &piv, 1);
		op.flags = KC_LINSERT_BEFORE;
		EXPECT_EQ(-E2BIG, kc_do(self->fd, &op));
		free(big);
	}
	EXPECT_EQ(9, kt_len(self->fd, KC_OP_LLEN, "l"));
}


/* ------------------------------------------------------- big containers */

TEST_F_TIMEOUT(types, big_list, 300)
{
	const unsigned int n = kt_big_n();
	unsigned int i, bad = 0, failed_at = 0, a = n / 2 + n / 20 + 7;
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	char name[9], want[64], n1[9], n2[9], n3[9];
	uint32_t used;
	int64_t total, count;
	struct kt_out r;
	void *buf;

	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_RPUSH, "big", 0, n, &total,
			    &failed_at)) {
		TH_LOG("RPUSH failed at element %u", failed_at);
	}
	EXPECT_EQ(n, kt_len(self->fd, KC_OP_LLEN, "big"));

	ASSERT_EQ(0, kt_big_read(self->fd, KC_OP_LRANGE, "big", 0, -1, &buf,
			      &used, &count));
	EXPECT_EQ(n, count);
	EXPECT_EQ((uint32_t)n * KC_ELEM_SIZE(8), used);
	kc_elem_iter_init(&it, buf, used, count);
	for (i = 0; (e = kc_elem_next(&it, &data)); i++) {
		kt_big_name(name, i);
		if (e->len != 8 || memcmp(data, name, 8))
			bad++;
	}
	EXPECT_EQ(0, it.err);
	EXPECT_EQ(n, i);
	EXPECT_EQ(0, bad);
	free(buf);

	/* Indexes in the middle, from both ends. */
	r = KT(self->fd, KC_OP_LINDEX, "big", .num = a);
	EXPECT_STREQ(kt_nm(name, a), r.s);
	r = KT(self->fd, KC_OP_LINDEX, "big", .num = -(int64_t)a);
	EXPECT_STREQ(kt_nm(name, n - a), r.s);
	r = KT(self->fd, KC_OP_LRANGE, "big", .num = n * 7 / 10,
	       .num2 = n * 7 / 10 + 2);
	snprintf(want, sizeof(want), "%s,%s,%s", kt_nm(n1, n * 7 / 10),
		 kt_nm(n2, n * 7 / 10 + 1), kt_nm(n3, n * 7 / 10 + 2));
	EXPECT_STREQ(want, r.s);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LSET, "big", .num = n * 6 / 10,
			.val = "X").ret);
	r = KT(self->fd, KC_OP_LRANGE, "big", .num = -(int64_t)(n * 4 / 10) - 1,
	       .num2 = -(int64_t)(n * 4 / 10) + 1);
	snprintf(want, sizeof(want), "%s,X,%s", kt_nm(n1, n * 6 / 10 - 1),
		 kt_nm(n2, n * 6 / 10 + 1));
	EXPECT_STREQ(want, r.s);
	/* LREM from the tail walks the whole list to the second element. */
	r = KT(self->fd, KC_OP_LREM, "big", .num = -1, .val = "e0000001");
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_LINSERT, "big", .flags = KC_LINSERT_AFTER,
	       .val = "Y", .args = { kt_nm(name, n - 2) });
	EXPECT_EQ(n, r.num);
	r = KT(self->fd, KC_OP_LRANGE, "big", .num = -3, .num2 = -1);
	snprintf(want, sizeof(want), "%s,Y,%s", kt_nm(n1, n - 2), kt_nm(n2, n - 1));
	EXPECT_STREQ(want, r.s);

	/* LTRIM from both sides, then pop the rest away. */
	EXPECT_EQ(0, KT(self->fd, KC_OP_LTRIM, "big", .num = 10,
			.num2 = 13).ret);
	r = KT(self->fd, KC_OP_LRANGE, "big", .num = 0, .num2 = -1);
	EXPECT_STREQ("e0000011,e0000012,e0000013,e0000014", r.s);
	r = KT(self->fd, KC_OP_LPOP, "big", .flags = KC_POP_COUNT, .num = 4);
	EXPECT_EQ(4, r.num);
	EXPECT_GONE("big");
}


TEST_HARNESS_MAIN
