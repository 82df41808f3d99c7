// SPDX-License-Identifier: GPL-2.0
/*
 * Lists, hashes and sets (issue #4) against Redis's documented semantics,
 * as uapi/linux/kcache.h maps them onto the ABI:
 *
 *   - an operation on a missing key is -ENOENT (the proxy answers Redis's
 *     empty array, 0 or nil), except the ones that create the key (LPUSH,
 *     RPUSH, HSET, HINCRBY, SADD, SMOVE's destination, the STORE forms);
 *   - the wrong type is -EPROTOTYPE (WRONGTYPE) and changes nothing, both
 *     ways: string operations on containers and container operations on
 *     strings;
 *   - LINDEX outside the list is -ENOENT (nil), LSET outside -ERANGE,
 *     LINSERT with no pivot answers num = -1;
 *   - single LPOP/RPOP/SPOP/SRANDMEMBER write the element like GET; the
 *     KC_POP_COUNT forms and every multi-element reply write struct
 *     kc_elem records and the count in num; SMISMEMBER and HMGET write one
 *     record per argument, KC_ELEM_NIL for an absent one;
 *   - a container emptied by any operation disappears (EXISTS -ENOENT,
 *     TYPE KC_TYPE_NONE), as Redis deletes empty aggregates;
 *   - DEL, EXISTS, EXPIRE, TTL, PERSIST, TYPE and RENAME work on any type;
 *     SET replaces a container.
 *
 * Then the edges of the implementation: reply buffers that are too small
 * (-ENOSPC with out_used = the size needed, and a pop that did not fit pops
 * nothing), containers of 100k elements (walks, table growth and shrink),
 * and memory: elements count against the memory limit and a deleted,
 * replaced, expired or evicted container gives its chunks back.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_types.h"

FIXTURE(types) {
	int fd;
	struct kc_config orig;
	int64_t stray0;		/* used chunks that are no item, at setup */
};

/*
 * Used slab chunks that are not items, in a flushed cache: elements or
 * tables of no container, or items nobody can reach.  Leaked memory, which
 * also pins its slab page forever.
 */
static int64_t stray_chunks(int fd)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i;
	int64_t stray = 0;

	if (kc_class_stats(fd, cs, 256, &n, &nr))
		return -1;
	for (i = 0; i < n; i++)
		if (cs[i].chunk_size)
			stray += (int64_t)cs[i].used_chunks - cs[i].items;
	return stray;
}

FIXTURE_SETUP(types)
{
	self->fd = kc_open();
	ASSERT_LE(0, self->fd) {
		TH_LOG("kc_open: %s (is kcache.ko loaded?)", strerror(-self->fd));
	}
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_config_get(self->fd, &self->orig));
	ASSERT_EQ(0, kc_flush(self->fd));
	self->stray0 = stray_chunks(self->fd);
}

/*
 * From the parent: a failed test must not leave the memory limit changed.
 * Every test also ends with a leak check: once flushed, the cache holds
 * no more stray chunks than when the test began.
 */
FIXTURE_TEARDOWN_PARENT(types)
{
	int64_t stray;
	int fd = kc_open();

	if (fd < 0)
		return;
	kc_flush(fd);
	stray = stray_chunks(fd);
	if (stray != self->stray0)
		TH_LOG("%lld slab chunks leaked: used, but no item or element of one after FLUSH",
		       (long long)(stray - self->stray0));
	EXPECT_EQ(self->stray0, stray);
	kc_config_set(fd, KC_CONFIG_MEMORY_LIMIT | KC_CONFIG_AUTOMOVE,
		      &self->orig);
	kt_reset_config(fd);
	kc_close(fd);
}

/*
 * Sets the memory limit to mb with as much of it free as can be: pages
 * that earlier tests left to their slab classes go back first (down to the
 * smallest limit), so that the classes this test uses can grow.  A class
 * only gives a page away once idle for a while (as memcached's slab
 * rebalancer), which is not what the memory tests look at.
 */
static int fresh_limit(int fd, uint64_t mb)
{
	int ret = kt_set_memory_limit_mb(fd, 2);

	return ret ? ret : kt_set_memory_limit_mb(fd, mb);
}

/* Memory tests need every slab page free to move: none pinned by a leak. */
#define ASSERT_NO_EARLIER_LEAK() do {						\
	ASSERT_EQ(0, self->stray0) {						\
		TH_LOG("an earlier test leaked chunks, which pin slab pages: see its leak check");\
	}									\
} while (0)

/* LRANGE 0 -1 as text, or "(error N)". */
static const char *lrange_all(int fd, const char *key, char *s, size_t size)
{
	struct kt_out r = KT(fd, KC_OP_LRANGE, key, .num = 0, .num2 = -1);

	if (r.ret)
		snprintf(s, size, "(error %d)", r.ret);
	else
		snprintf(s, size, "%s", r.s);
	return s;
}

static const char *smembers(int fd, const char *key, char *s, size_t size)
{
	struct kt_out r = KT(fd, KC_OP_SMEMBERS, key);

	if (r.ret)
		snprintf(s, size, "(error %d)", r.ret);
	else
		snprintf(s, size, "%s", r.s);
	return s;
}

static const char *hgetall(int fd, const char *key, char *s, size_t size)
{
	struct kt_out r = KT(fd, KC_OP_HGETALL, key);

	if (r.ret)
		snprintf(s, size, "(error %d)", r.ret);
	else
		snprintf(s, size, "%s", r.s);
	return s;
}

#define LRANGE_ALL(key) lrange_all(self->fd, key, txt, sizeof(txt))
#define SMEMBERS(key) smembers(self->fd, key, txt, sizeof(txt))
#define HGETALL(key) hgetall(self->fd, key, txt, sizeof(txt))

/* The key is gone the way Redis deletes an empty aggregate. */
#define EXPECT_GONE(key) do {							\
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, key)) {				\
		TH_LOG("%s still exists", key);					\
	}									\
	EXPECT_EQ(KC_TYPE_NONE, kt_type(self->fd, key));			\
} while (0)

/* ------------------------------------------------------------------ lists */

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

/* ----------------------------------------------------------------- hashes */

TEST_F(types, hset_hget_hlen)
{
	struct kt_out r;
	char txt[KT_STR];

	r = KT(self->fd, KC_OP_HSET, "h", .args = { "f1", "v1", "f2", "v2" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_EQ(KC_TYPE_HASH, kt_type(self->fd, "h"));
	/* HSET answers the number of fields added, not updated. */
	r = KT(self->fd, KC_OP_HSET, "h",
	       .args = { "f1", "V1", "f3", "v3", "f4", "v4" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	r = KT(self->fd, KC_OP_HSET, "h", .args = { "f2", "V2" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	/* A field given twice in one HSET: added once, the last value wins. */
	r = KT(self->fd, KC_OP_HSET, "h",
	       .args = { "f5", "first", "f5", "second" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_EQ(5, kt_len(self->fd, KC_OP_HLEN, "h"));

	r = KT(self->fd, KC_OP_HGET, "h", .val = "f1");
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("V1", r.s);
	EXPECT_EQ(2U, r.out_used);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "f5");
	EXPECT_STREQ("second", r.s);
	EXPECT_STREQ("f1=V1,f2=V2,f3=v3,f4=v4,f5=second", HGETALL("h"));

	/* An empty field and an empty value are fine. */
	r = KT(self->fd, KC_OP_HSET, "h", .args = { "", "" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "");
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0U, r.out_used);

	/* Missing field, missing key: nil. */
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGET, "h", .val = "nope").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGET, "nope", .val = "f1").ret);
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_HLEN, "nope"));

	/* A field without a value, or no field: an error, nothing stored. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "h",
			      .args = { "f6", "v6", "f7" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "h").ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "new",
			      .args = { "f" }).ret);
	EXPECT_EQ(6, kt_len(self->fd, KC_OP_HLEN, "h"));
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGET, "h", .val = "f6").ret);
	EXPECT_GONE("new");
}

TEST_F(types, hsetnx)
{
	struct kt_out r;

	/* HSETNX on a missing key creates the hash. */
	r = KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_NX,
	       .args = { "f", "v" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_NX,
	       .args = { "f", "w" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "f");
	EXPECT_STREQ("v", r.s);
	r = KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_NX,
	       .args = { "g", "w" });
	EXPECT_EQ(1, r.num);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_HLEN, "h"));
	/* HSETNX takes exactly one field. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_NX,
			      .args = { "x", "1", "y", "2" }).ret);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_HLEN, "h"));
	/* KC_SET_XX means nothing for hashes. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_XX,
			      .args = { "x", "1" }).ret);
}

TEST_F(types, hmget)
{
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "a", "1", "b", "22", "c", "" }).ret);
	/* One record per field in argument order, NIL for a missing one. */
	r = KT(self->fd, KC_OP_HMGET, "h",
	       .args = { "b", "nope", "a", "c", "b" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_STREQ("22,(nil),1,,22", r.s);
	EXPECT_EQ(KC_ELEM_SIZE(2) * 2 + KC_ELEM_SIZE(0) * 2 + KC_ELEM_SIZE(1),
		  r.out_used);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HMGET, "nope",
			      .args = { "a" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HMGET, "h").ret);
}

TEST_F(types, hdel)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "a", "1", "b", "2", "c", "3" }).ret);
	/* Missing fields are ignored; a field named twice counts once. */
	r = KT(self->fd, KC_OP_HDEL, "h", .args = { "a", "nope", "a" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_STREQ("b=2,c=3", HGETALL("h"));
	r = KT(self->fd, KC_OP_HDEL, "h", .args = { "zz" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_HLEN, "h"));
	/* Deleting the last fields deletes the hash. */
	r = KT(self->fd, KC_OP_HDEL, "h", .args = { "b", "c" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_GONE("h");
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HDEL, "h", .args = { "b" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HDEL, "h").ret);
}

TEST_F(types, hexists_hstrlen)
{
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "f", "hello", "e", "" }).ret);
	r = KT(self->fd, KC_OP_HEXISTS, "h", .val = "f");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_HEXISTS, "h", .val = "e");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_HEXISTS, "h", .val = "nope");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	r = KT(self->fd, KC_OP_HSTRLEN, "h", .val = "f");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	r = KT(self->fd, KC_OP_HSTRLEN, "h", .val = "e");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	/* HSTRLEN of a missing field is 0. */
	r = KT(self->fd, KC_OP_HSTRLEN, "h", .val = "nope", .num = 99);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HEXISTS, "nope", .val = "f").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HSTRLEN, "nope", .val = "f").ret);
}

TEST_F(types, hgetall_hkeys_hvals)
{
	char want_all[KT_STR], want_keys[KT_STR], want_vals[KT_STR];
	char *fields[40], *vals[40];
	struct kc_buf args[80];
	struct kc_op op;
	struct kt_out r;
	unsigned int i;
	size_t a = 0, k = 0, v = 0;

	/* 40 fields in one HSET: enough for the table to grow twice. */
	for (i = 0; i < 40; i++) {
		ASSERT_LT(0, asprintf(&fields[i], "f%02u", i));
		ASSERT_LT(0, asprintf(&vals[i], "v%u", i * 7));
		kc_buf_set(&args[2 * i], fields[i], strlen(fields[i]));
		kc_buf_set(&args[2 * i + 1], vals[i], strlen(vals[i]));
	}
	kc_op_init(&op, KC_OP_HSET);
	kc_op_key(&op, "h", 1);
	kc_op_args(&op, args, 80);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(40, op.num);

	/* The expected texts, sorted as kt_text() sorts. */
	want_all[0] = want_keys[0] = want_vals[0] = '\0';
	for (i = 0; i < 40; i++) {
		a += snprintf(want_all + a, sizeof(want_all) - a, "%s%s=%s",
			      i ? "," : "", fields[i], vals[i]);
		k += snprintf(want_keys + k, sizeof(want_keys) - k, "%s%s",
			      i ? "," : "", fields[i]);
	}
	{
		char *sorted[40];

		memcpy(sorted, vals, sizeof(sorted));
		qsort(sorted, 40, sizeof(sorted[0]), kt_strcmp_p);
		for (i = 0; i < 40; i++)
			v += snprintf(want_vals + v, sizeof(want_vals) - v,
				      "%s%s", i ? "," : "", sorted[i]);
	}

	r = KT(self->fd, KC_OP_HGETALL, "h");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(80, r.num);
	EXPECT_STREQ(want_all, r.s);
	r = KT(self->fd, KC_OP_HKEYS, "h");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(40, r.num);
	EXPECT_STREQ(want_keys, r.s);
	r = KT(self->fd, KC_OP_HVALS, "h");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(40, r.num);
	EXPECT_STREQ(want_vals, r.s);

	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGETALL, "nope").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HKEYS, "nope").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HVALS, "nope").ret);
	for (i = 0; i < 40; i++) {
		free(fields[i]);
		free(vals[i]);
	}
}

TEST_F(types, hincrby)
{
	static const char *const not_int[] = {
		"abc", "", " 1", "1 ", "+1", "01", "-0", "1.5", "0x10",
		"9223372036854775808", "-9223372036854775809",
		"99999999999999999999",
	};
	struct kt_out r;
	unsigned int i;

	/* A missing key and a missing field start from 0. */
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "n", .num = 5);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_EQ(KC_TYPE_HASH, kt_type(self->fd, "h"));
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "n", .num = -7);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(-2, r.num);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "n");
	EXPECT_STREQ("-2", r.s);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "m", .num = 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "m");
	EXPECT_STREQ("0", r.s);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_HLEN, "h"));

	/* "ERR hash value is not an integer": -EDOM, value kept. */
	for (i = 0; i < ARRAY_SIZE(not_int); i++) {
		ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
				.args = { "s", not_int[i] }).ret);
		r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "s", .num = 1);
		EXPECT_EQ(-EDOM, r.ret) {
			TH_LOG("HINCRBY of \"%s\": %s", not_int[i],
			       kc_strerror(r.ret));
		}
		r = KT(self->fd, KC_OP_HGET, "h", .val = "s");
		EXPECT_STREQ(not_int[i], r.s);
	}

	/* "ERR increment or decrement would overflow": -EOVERFLOW. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "max", "9223372036854775807",
				  "min", "-9223372036854775808" }).ret);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "max", .num = 1);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "min", .num = -1);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "max", .num = INT64_MIN);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(-1, r.num);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "min", .num = INT64_MAX);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(-1, r.num);
	/* -2 + INT64_MIN is below the range; 0 + INT64_MIN is not. */
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "n", .num = INT64_MIN);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "n");
	EXPECT_STREQ("-2", r.s);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "m", .num = INT64_MIN);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(INT64_MIN, r.num);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "m", .num = -1);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "m");
	EXPECT_STREQ("-9223372036854775808", r.s);
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "big", "9223372036854775806" }).ret);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "big", .num = 1);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(INT64_MAX, r.num);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "big", .num = 1);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "big");
	EXPECT_STREQ("9223372036854775807", r.s);
}

/* ------------------------------------------------------------------- sets */

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

/* --------------------------------------------------------------- keyspace */

TEST_F(types, type_of_every_kind)
{
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "list", .args = { "x" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "hash", .args = { "f", "v" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "set", .args = { "m" }).ret);
	EXPECT_EQ(KC_TYPE_STRING, kt_type(self->fd, "str"));
	EXPECT_EQ(KC_TYPE_LIST, kt_type(self->fd, "list"));
	EXPECT_EQ(KC_TYPE_HASH, kt_type(self->fd, "hash"));
	EXPECT_EQ(KC_TYPE_SET, kt_type(self->fd, "set"));
	EXPECT_EQ(KC_TYPE_NONE, kt_type(self->fd, "nope"));
	EXPECT_EQ(0, kt_exists(self->fd, "list"));
	EXPECT_EQ(0, kt_exists(self->fd, "hash"));
	EXPECT_EQ(0, kt_exists(self->fd, "set"));
}

/* One container of each kind, three elements each. */
static int make_containers(int fd)
{
	if (KT(fd, KC_OP_RPUSH, "list", .args = { "a", "b", "c" }).ret ||
	    KT(fd, KC_OP_HSET, "hash",
	       .args = { "f1", "1", "f2", "2", "f3", "3" }).ret ||
	    KT(fd, KC_OP_SADD, "set", .args = { "a", "b", "c" }).ret)
		return -1;
	return 0;
}

#define EXPECT_CONTAINERS_INTACT() do {						\
	EXPECT_STREQ("a,b,c", LRANGE_ALL("list"));				\
	EXPECT_STREQ("f1=1,f2=2,f3=3", HGETALL("hash"));			\
	EXPECT_STREQ("a,b,c", SMEMBERS("set"));					\
	EXPECT_EQ(KC_TYPE_LIST, kt_type(self->fd, "list"));			\
	EXPECT_EQ(KC_TYPE_HASH, kt_type(self->fd, "hash"));			\
	EXPECT_EQ(KC_TYPE_SET, kt_type(self->fd, "set"));			\
} while (0)

/* String operations on a list, hash or set: WRONGTYPE, nothing changes. */
TEST_F(types, string_ops_on_containers)
{
	static const char *const keys[] = { "list", "hash", "set" };
	char txt[KT_STR], buf[64];
	struct kc_buf mget[4];
	struct kc_op op;
	unsigned int i;
	int64_t n;
	int bit;

	ASSERT_EQ(0, make_containers(self->fd));
	for (i = 0; i < 3; i++) {
		const char *k = keys[i];
		size_t kl = strlen(k);
		uint64_t len;

		EXPECT_EQ(-EPROTOTYPE, kt_get(self->fd, k, buf, sizeof(buf))) {
			TH_LOG("GET %s", k);
		}
		EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_GETDEL, k).ret);
		EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_GET, k,
					  .flags = KC_GET_TOUCH,
					  .num = 0).ret);
		EXPECT_EQ(-EPROTOTYPE, kc_incrby(self->fd, k, kl, 1, &n)) {
			TH_LOG("INCRBY %s", k);
		}
		EXPECT_EQ(-EPROTOTYPE, kc_decrby(self->fd, k, kl, 1, &n));
		EXPECT_EQ(-EPROTOTYPE, kc_strlen(self->fd, k, kl, &len)) {
			TH_LOG("STRLEN %s", k);
		}
		EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_APPEND, k,
					  .val = "x").ret);
		EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_APPEND, k,
					  .flags = KC_APPEND_CREATE,
					  .val = "x").ret);
		EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_PREPEND, k,
					  .val = "x").ret);
		EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_GETRANGE, k,
					  .num = 0, .num2 = -1).ret) {
			TH_LOG("GETRANGE %s", k);
		}
		EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_SETRANGE, k,
					  .num = 0, .val = "x").ret);
		EXPECT_EQ(-EPROTOTYPE, kc_getbit(self->fd, k, kl, 0, &bit)) {
			TH_LOG("GETBIT %s", k);
		}
		EXPECT_EQ(-EPROTOTYPE, kc_setbit(self->fd, k, kl, 0, 1, &bit));
		/* SET ... GET on another type: WRONGTYPE and no SET. */
		EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_SET, k,
					  .flags = KC_SET_GET, .val = "x").ret) {
			TH_LOG("SET %s GET", k);
		}
		/* SET NX: the key exists, whatever its type. */
		EXPECT_EQ(-EEXIST, KT(self->fd, KC_OP_SET, k,
				      .flags = KC_SET_NX, .val = "x").ret);
		EXPECT_EQ(-EEXIST, KT(self->fd, KC_OP_ADD, k, .val = "x").ret);
	}
	EXPECT_CONTAINERS_INTACT();

	/* MGET answers nil for a key that does not hold a string. */
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));
	kc_buf_set(&mget[0], "list", 4);
	kc_buf_set(&mget[1], "str", 3);
	kc_buf_set(&mget[2], "hash", 4);
	kc_buf_set(&mget[3], "set", 3);
	kc_op_init(&op, KC_OP_MGET);
	kc_op_args(&op, mget, 4);
	kc_op_out(&op, buf, sizeof(buf));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(4, op.num);
	{
		char s[KT_STR];

		EXPECT_EQ(0, kt_text(buf, op.out_used, 4, KT_LIST, s,
				     sizeof(s)));
		EXPECT_STREQ("(nil),v,(nil),(nil)", s);
	}
	EXPECT_CONTAINERS_INTACT();
}

/* Container operations on another type: WRONGTYPE, nothing changes. */
TEST_F(types, container_ops_on_other_types)
{
	static const struct {
		uint32_t opcode;
		struct kt_in in;
		uint32_t kind;	/* the type the op wants */
	} ops[] = {
		{ KC_OP_LPUSH, { .args = { "x" } }, KC_TYPE_LIST },
		{ KC_OP_RPUSH, { .args = { "x" } }, KC_TYPE_LIST },
		{ KC_OP_RPUSH, { .flags = KC_SET_XX, .args = { "x" } },
		  KC_TYPE_LIST },
		{ KC_OP_LPOP, { 0 }, KC_TYPE_LIST },
		{ KC_OP_RPOP, { .flags = KC_POP_COUNT, .num = 2 },
		  KC_TYPE_LIST },
		{ KC_OP_LRANGE, { .num = 0, .num2 = -1 }, KC_TYPE_LIST },
		{ KC_OP_LLEN, { 0 }, KC_TYPE_LIST },
		{ KC_OP_LINDEX, { .num = 0 }, KC_TYPE_LIST },
		{ KC_OP_LSET, { .num = 0, .val = "x" }, KC_TYPE_LIST },
		{ KC_OP_LREM, { .num = 0, .val = "a" }, KC_TYPE_LIST },
		{ KC_OP_LTRIM, { .num = 0, .num2 = 0 }, KC_TYPE_LIST },
		{ KC_OP_LINSERT, { .flags = KC_LINSERT_AFTER, .val = "x",
				   .args = { "a" } }, KC_TYPE_LIST },
		{ KC_OP_HSET, { .args = { "f1", "x" } }, KC_TYPE_HASH },
		{ KC_OP_HSET, { .flags = KC_SET_NX, .args = { "f9", "x" } },
		  KC_TYPE_HASH },
		{ KC_OP_HGET, { .val = "f1" }, KC_TYPE_HASH },
		{ KC_OP_HMGET, { .args = { "f1" } }, KC_TYPE_HASH },
		{ KC_OP_HDEL, { .args = { "f1", "a" } }, KC_TYPE_HASH },
		{ KC_OP_HLEN, { 0 }, KC_TYPE_HASH },
		{ KC_OP_HEXISTS, { .val = "f1" }, KC_TYPE_HASH },
		{ KC_OP_HGETALL, { 0 }, KC_TYPE_HASH },
		{ KC_OP_HKEYS, { 0 }, KC_TYPE_HASH },
		{ KC_OP_HVALS, { 0 }, KC_TYPE_HASH },
		{ KC_OP_HINCRBY, { .val = "f1", .num = 1 }, KC_TYPE_HASH },
		{ KC_OP_HSTRLEN, { .val = "f1" }, KC_TYPE_HASH },
		{ KC_OP_SADD, { .args = { "x" } }, KC_TYPE_SET },
		{ KC_OP_SREM, { .args = { "a" } }, KC_TYPE_SET },
		{ KC_OP_SMEMBERS, { 0 }, KC_TYPE_SET },
		{ KC_OP_SISMEMBER, { .val = "a" }, KC_TYPE_SET },
		{ KC_OP_SMISMEMBER, { .args = { "a" } }, KC_TYPE_SET },
		{ KC_OP_SCARD, { 0 }, KC_TYPE_SET },
		{ KC_OP_SPOP, { 0 }, KC_TYPE_SET },
		{ KC_OP_SPOP, { .flags = KC_POP_COUNT, .num = 1 },
		  KC_TYPE_SET },
		{ KC_OP_SRANDMEMBER, { 0 }, KC_TYPE_SET },
		{ KC_OP_SRANDMEMBER, { .flags = KC_POP_COUNT, .num = -2 },
		  KC_TYPE_SET },
	};
	static const struct {
		const char *key;
		uint32_t type;
	} keys[] = {
		{ "str", KC_TYPE_STRING }, { "list", KC_TYPE_LIST },
		{ "hash", KC_TYPE_HASH }, { "set", KC_TYPE_SET },
	};
	char txt[KT_STR], buf[16];
	unsigned int i, k;
	struct kt_out r;

	ASSERT_EQ(0, make_containers(self->fd));
	ASSERT_EQ(0, kt_set(self->fd, "str", "a"));
	for (k = 0; k < 4; k++) {
		for (i = 0; i < ARRAY_SIZE(ops); i++) {
			if (ops[i].kind == keys[k].type)
				continue;
			r = kt_run(self->fd, ops[i].opcode, keys[k].key,
				   &ops[i].in);
			EXPECT_EQ(-EPROTOTYPE, r.ret) {
				TH_LOG("opcode %u on %s: %s", ops[i].opcode,
				       keys[k].key, kc_strerror(r.ret));
			}
		}
	}
	EXPECT_CONTAINERS_INTACT();
	EXPECT_EQ(1, kt_get(self->fd, "str", buf, sizeof(buf)));
	EXPECT_STREQ("a", buf);
	EXPECT_EQ(KC_TYPE_STRING, kt_type(self->fd, "str"));
}

/* SET, MSET, GETDEL-free replacement: a container is just a value. */
TEST_F(types, set_replaces_container)
{
	struct kc_buf kv[2];
	char buf[16];

	ASSERT_EQ(0, make_containers(self->fd));
	ASSERT_EQ(0, kt_set(self->fd, "list", "now a string"));
	EXPECT_EQ(KC_TYPE_STRING, kt_type(self->fd, "list"));
	EXPECT_EQ(12, kt_get(self->fd, "list", buf, sizeof(buf)));
	EXPECT_EQ(-EPROTOTYPE, kt_len(self->fd, KC_OP_LLEN, "list"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_SET, "hash", .flags = KC_SET_XX,
			.val = "x").ret);
	EXPECT_EQ(KC_TYPE_STRING, kt_type(self->fd, "hash"));
	kc_buf_set(&kv[0], "set", 3);
	kc_buf_set(&kv[1], "y", 1);
	ASSERT_EQ(0, kc_mset(self->fd, kv, 2));
	EXPECT_EQ(KC_TYPE_STRING, kt_type(self->fd, "set"));
	EXPECT_EQ(1, kt_get(self->fd, "set", buf, sizeof(buf)));
	EXPECT_STREQ("y", buf);
	/* And a container can take the name back. */
	ASSERT_EQ(0, kc_del(self->fd, "set", 3, 0));
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "set", .args = { "m" }).ret);
	EXPECT_EQ(KC_TYPE_SET, kt_type(self->fd, "set"));
}

TEST_F(types, del_exists_on_containers)
{
	ASSERT_EQ(0, make_containers(self->fd));
	EXPECT_EQ(0, kc_del(self->fd, "list", 4, 0));
	EXPECT_EQ(0, kc_del(self->fd, "hash", 4, 0));
	EXPECT_EQ(0, kc_del(self->fd, "set", 3, 0));
	EXPECT_GONE("list");
	EXPECT_GONE("hash");
	EXPECT_GONE("set");
	EXPECT_EQ(-ENOENT, kc_del(self->fd, "list", 4, 0));
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_LLEN, "list"));
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_HLEN, "hash"));
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_SCARD, "set"));
	/* A new container under the old name starts empty. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "list", .args = { "z" }).ret);
	EXPECT_EQ(1, kt_len(self->fd, KC_OP_LLEN, "list"));
}

TEST_F(types, expire_ttl_persist_on_containers)
{
	static const char *const keys[] = { "list", "hash", "set" };
	char txt[KT_STR];
	unsigned int i;
	int64_t ttl;

	ASSERT_EQ(0, make_containers(self->fd));
	for (i = 0; i < 3; i++) {
		const char *k = keys[i];

		ttl = 0;
		ASSERT_EQ(0, kc_ttl(self->fd, k, strlen(k), 0, &ttl));
		EXPECT_EQ(-1, ttl);
		ASSERT_EQ(0, kc_expire(self->fd, k, strlen(k), 100, 0));
		ASSERT_EQ(0, kc_ttl(self->fd, k, strlen(k), 0, &ttl));
		EXPECT_EQ(100, ttl) {
			TH_LOG("TTL %s", k);
		}
		EXPECT_EQ(0, kc_persist(self->fd, k, strlen(k)));
		ASSERT_EQ(0, kc_ttl(self->fd, k, strlen(k), 0, &ttl));
		EXPECT_EQ(-1, ttl);
		EXPECT_EQ(-EEXIST, kc_persist(self->fd, k, strlen(k)));
	}
	/* Writes to a container keep its TTL (Redis: only SET-like
	 * overwrites clear it).
	 */
	ASSERT_EQ(0, kc_expire(self->fd, "list", 4, 100, 0));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "list", .args = { "d" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_LPOP, "list").ret);
	ASSERT_EQ(0, kc_ttl(self->fd, "list", 4, 0, &ttl));
	EXPECT_EQ(100, ttl);
	EXPECT_STREQ("b,c,d", LRANGE_ALL("list"));

	/* EXPIRE in the past deletes the container. */
	ASSERT_EQ(0, kc_expire(self->fd, "hash", 4, 0, 0));
	EXPECT_GONE("hash");
	EXPECT_EQ(-ENOENT, kc_expire(self->fd, "hash", 4, 10, 0));
	EXPECT_EQ(-ENOENT, kc_ttl(self->fd, "hash", 4, 0, &ttl));
}

TEST_F(types, container_expires)
{
	static const char *const keys[] = { "list", "hash", "set" };
	unsigned int i;

	ASSERT_EQ(0, make_containers(self->fd));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, kc_expire(self->fd, keys[i], strlen(keys[i]), 300,
				       KC_TTL_MS));
	EXPECT_EQ(3, kt_len(self->fd, KC_OP_LLEN, "list"));
	kt_sleep_ms(600);
	EXPECT_GONE("list");
	EXPECT_GONE("hash");
	EXPECT_GONE("set");
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_LLEN, "list"));
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGET, "hash", .val = "f1").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SISMEMBER, "set",
			      .val = "a").ret);
	/* A push after expiry makes a new list, with no TTL. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "list", .args = { "n" }).ret);
	EXPECT_EQ(1, kt_len(self->fd, KC_OP_LLEN, "list"));
	EXPECT_EQ(-1, kt_ttl_ms(self->fd, "list"));
}

TEST_F(types, rename_containers)
{
	char txt[KT_STR];
	struct kt_out r;
	int64_t ttl;

	ASSERT_EQ(0, make_containers(self->fd));
	ASSERT_EQ(0, kc_expire(self->fd, "list", 4, 100, 0));

	/* Value and TTL move to the new name. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "list", .val = "list2").ret);
	EXPECT_GONE("list");
	EXPECT_EQ(KC_TYPE_LIST, kt_type(self->fd, "list2"));
	EXPECT_STREQ("a,b,c", LRANGE_ALL("list2"));
	ASSERT_EQ(0, kc_ttl(self->fd, "list2", 5, 0, &ttl));
	EXPECT_EQ(100, ttl);
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "hash", .val = "hash2").ret);
	EXPECT_STREQ("f1=1,f2=2,f3=3", HGETALL("hash2"));
	EXPECT_EQ(-1, kt_ttl_ms(self->fd, "hash2"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "set", .val = "set2").ret);
	EXPECT_STREQ("a,b,c", SMEMBERS("set2"));
	EXPECT_GONE("hash");
	EXPECT_GONE("set");

	/* The renamed containers work: lookups, adds, removals. */
	r = KT(self->fd, KC_OP_HGET, "hash2", .val = "f2");
	EXPECT_STREQ("2", r.s);
	EXPECT_EQ(1, KT(self->fd, KC_OP_SISMEMBER, "set2", .val = "b").num);
	EXPECT_EQ(1, KT(self->fd, KC_OP_SADD, "set2", .args = { "d" }).num);
	EXPECT_EQ(1, KT(self->fd, KC_OP_SREM, "set2", .args = { "a" }).num);
	EXPECT_STREQ("b,c,d", SMEMBERS("set2"));
	EXPECT_EQ(4, KT(self->fd, KC_OP_RPUSH, "list2", .args = { "d" }).num);
	r = KT(self->fd, KC_OP_LPOP, "list2");
	EXPECT_STREQ("a", r.s);
	EXPECT_EQ(1, KT(self->fd, KC_OP_HINCRBY, "hash2", .val = "f4",
			.num = 1).num);

	/* RENAMENX onto an existing key: nothing happens. */
	r = KT(self->fd, KC_OP_RENAME, "list2", .flags = KC_SET_NX,
	       .val = "set2");
	EXPECT_EQ(-EEXIST, r.ret);
	EXPECT_STREQ("b,c,d", LRANGE_ALL("list2"));
	EXPECT_STREQ("b,c,d", SMEMBERS("set2"));
	/* RENAME onto an existing key of any type replaces it. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "list2", .val = "set2").ret);
	EXPECT_GONE("list2");
	EXPECT_EQ(KC_TYPE_LIST, kt_type(self->fd, "set2"));
	EXPECT_STREQ("b,c,d", LRANGE_ALL("set2"));
	ASSERT_EQ(0, kc_ttl(self->fd, "set2", 4, 0, &ttl));
	EXPECT_EQ(100, ttl);
	/* A string onto a container, a container onto a string. */
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "str", .val = "hash2").ret);
	EXPECT_EQ(KC_TYPE_STRING, kt_type(self->fd, "hash2"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "set2", .val = "hash2").ret);
	EXPECT_STREQ("b,c,d", LRANGE_ALL("hash2"));

	/* "ERR no such key". */
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_RENAME, "nope", .val = "x").ret);
	EXPECT_GONE("x");
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_RENAME, "hash2", .val = "").ret);
}

/* ----------------------------------------------------- reply buffer sizes */

TEST_F(types, reply_too_small_lrange_smembers_hgetall)
{
	static const struct {
		uint32_t opcode;
		const char *key;
		int64_t num, num2;
		uint32_t need;
		int64_t count;
	} cases[] = {
		/* hello, "", 123456789 */
		{ KC_OP_LRANGE, "l", 0, -1, 16 + 8 + 24, 3 },
		{ KC_OP_LRANGE, "l", 1, 2, 8 + 24, 2 },
		/* abc, defghijkl */
		{ KC_OP_SMEMBERS, "s", 0, 0, 16 + 24, 2 },
		/* f=vvvvvvvvv: 16 + 24 */
		{ KC_OP_HGETALL, "h", 0, 0, 40, 2 },
		{ KC_OP_HKEYS, "h", 0, 0, 16, 1 },
		{ KC_OP_HVALS, "h", 0, 0, 24, 1 },
	};
	unsigned char buf[128];
	struct kc_op op;
	unsigned int i;

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "hello", "", "123456789" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s",
			.args = { "abc", "defghijkl" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "f", "vvvvvvvvv" }).ret);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t sizes[] = { 0, 7, cases[i].need - 1 };
		unsigned int j;

		for (j = 0; j < 3; j++) {
			kc_op_init(&op, cases[i].opcode);
			kc_op_key(&op, cases[i].key, 1);
			op.num = cases[i].num;
			op.num2 = cases[i].num2;
			memset(buf, 0xee, sizeof(buf));
			kc_op_out(&op, buf, sizes[j]);
			EXPECT_EQ(-ENOSPC, kc_do(self->fd, &op)) {
				TH_LOG("opcode %u, out_len %u", cases[i].opcode,
				       sizes[j]);
			}
			EXPECT_EQ(cases[i].need, op.out_used) {
				TH_LOG("opcode %u, out_len %u: out_used",
				       cases[i].opcode, sizes[j]);
			}
			/* Nothing written past out_len. */
			EXPECT_EQ(0xee, buf[sizes[j]]);
		}
		/* Exactly the size needed is enough. */
		kc_op_init(&op, cases[i].opcode);
		kc_op_key(&op, cases[i].key, 1);
		op.num = cases[i].num;
		op.num2 = cases[i].num2;
		kc_op_out(&op, buf, cases[i].need);
		EXPECT_EQ(0, kc_do(self->fd, &op)) {
			TH_LOG("opcode %u with out_len = need", cases[i].opcode);
		}
		EXPECT_EQ(cases[i].need, op.out_used);
		EXPECT_EQ(cases[i].count, op.num);
	}
	/* Single values: -ENOSPC, out_used is the value's length. */
	kc_op_init(&op, KC_OP_LINDEX);
	kc_op_key(&op, "l", 1);
	op.num = 2;
	kc_op_out(&op, buf, 8);
	EXPECT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_EQ(9U, op.out_used);
	kc_op_init(&op, KC_OP_HGET);
	kc_op_key(&op, "h", 1);
	kc_op_val(&op, "f", 1);
	kc_op_out(&op, buf, 8);
	EXPECT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_EQ(9U, op.out_used);
}

/* A pop whose reply does not fit pops nothing. */
TEST_F(types, pop_too_small_pops_nothing)
{
	char txt[KT_STR], buf[64];
	struct kc_op op;
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
			.args = { "hello", "world", "!" }).ret);
	r = KT(self->fd, KC_OP_LPOP, "l", .out_len = 4);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(5U, r.out_used);
	r = KT(self->fd, KC_OP_RPOP, "l", .out_len = KT_NO_OUT);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(1U, r.out_used);
	r = KT(self->fd, KC_OP_LPOP, "l", .flags = KC_POP_COUNT, .num = 2,
	       .out_len = 31);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(32U, r.out_used);
	r = KT(self->fd, KC_OP_RPOP, "l", .flags = KC_POP_COUNT, .num = 5,
	       .out_len = 16);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(48U, r.out_used);
	EXPECT_STREQ("hello,world,!", LRANGE_ALL("l"));

	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s",
			.args = { "aaaa", "bbbb", "cccc" }).ret);
	r = KT(self->fd, KC_OP_SPOP, "s", .out_len = 3);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(4U, r.out_used);
	r = KT(self->fd, KC_OP_SPOP, "s", .flags = KC_POP_COUNT, .num = 3,
	       .out_len = 47);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(48U, r.out_used);
	r = KT(self->fd, KC_OP_SPOP, "s", .flags = KC_POP_COUNT, .num = 2,
	       .out_len = 16);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(32U, r.out_used);
	EXPECT_STREQ("aaaa,bbbb,cccc", SMEMBERS("s"));
	EXPECT_EQ(3, kt_len(self->fd, KC_OP_SCARD, "s"));

	/* And with room it pops. */
	kc_op_init(&op, KC_OP_SPOP);
	kc_op_key(&op, "s", 1);
	op.flags = KC_POP_COUNT;
	op.num = 3;
	kc_op_out(&op, buf, 48);
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(3, op.num);
	EXPECT_GONE("s");
}

/* ------------------------------------------------------- big containers */

#define CHUNK		10000

/*
 * Elements in the big containers: 100k, except on the debug kernel (KASAN,
 * lockdep, kmemleak; KCACHE_KERNEL=debug in the test VM), which runs about
 * twenty times slower and checks the same walks and resizes with 20k.
 */
static unsigned int big_n(void)
{
	const char *k = getenv("KCACHE_KERNEL");

	return k && !strcmp(k, "debug") ? 20000 : 100000;
}

/* Element i of the big containers: 8 bytes, "e0012345". */
static void big_name(char *buf, unsigned int i)
{
	snprintf(buf, 9, "e%07u", i);
}

/*
 * Runs opcode on key with the names from..to-1 as arguments (pairs
 * name, name for HSET), in chunks of CHUNK.  Returns 0 or the first
 * failure; *total gets the sum of num.
 */
static int big_op(int fd, uint32_t opcode, const char *key, unsigned int from,
		  unsigned int to, int64_t *total, unsigned int *failed_at)
{
	bool pairs = opcode == KC_OP_HSET;
	char *names = malloc((size_t)CHUNK * 9);
	struct kc_buf *args = malloc(sizeof(*args) * CHUNK * 2);
	unsigned int i, n;
	struct kc_op op;
	int ret = 0;

	*total = 0;
	if (!names || !args) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = from; i < to && !ret; i += n) {
		unsigned int j;

		n = to - i < CHUNK ? to - i : CHUNK;
		for (j = 0; j < n; j++) {
			big_name(names + j * 9, i + j);
			if (pairs) {
				kc_buf_set(&args[2 * j], names + j * 9, 8);
				kc_buf_set(&args[2 * j + 1], names + j * 9, 8);
			} else {
				kc_buf_set(&args[j], names + j * 9, 8);
			}
		}
		kc_op_init(&op, opcode);
		kc_op_key(&op, key, strlen(key));
		kc_op_args(&op, args, pairs ? 2 * n : n);
		ret = kc_do(fd, &op);
		if (!ret)
			*total += op.num;
		else if (failed_at)
			*failed_at = i;
	}
out:
	free(names);
	free(args);
	return ret;
}

/* Reads a whole multi-element reply into malloc()ed memory. */
static int big_read(int fd, uint32_t opcode, const char *key, int64_t num,
		    int64_t num2, void **buf, uint32_t *used, int64_t *count)
{
	struct kc_op op;
	size_t room = 1 << 16;
	int ret, tries;

	*buf = NULL;
	for (tries = 0; tries < 3; tries++) {
		free(*buf);
		*buf = malloc(room);
		if (!*buf)
			return -ENOMEM;
		kc_op_init(&op, opcode);
		kc_op_key(&op, key, strlen(key));
		op.num = num;
		op.num2 = num2;
		kc_op_out(&op, *buf, room);
		ret = kc_do(fd, &op);
		if (ret != -ENOSPC)
			break;
		room = op.out_used;
	}
	*used = op.out_used;
	*count = op.num;
	return ret;
}

/* name(i) as a C string, for expectations. */
static const char *nm(char *buf, unsigned int i)
{
	big_name(buf, i);
	return buf;
}

TEST_F_TIMEOUT(types, big_list, 300)
{
	const unsigned int n = big_n();
	unsigned int i, bad = 0, failed_at = 0, a = n / 2 + n / 20 + 7;
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	char name[9], want[64], n1[9], n2[9], n3[9];
	uint32_t used;
	int64_t total, count;
	struct kt_out r;
	void *buf;

	ASSERT_EQ(0, big_op(self->fd, KC_OP_RPUSH, "big", 0, n, &total,
			    &failed_at)) {
		TH_LOG("RPUSH failed at element %u", failed_at);
	}
	EXPECT_EQ(n, kt_len(self->fd, KC_OP_LLEN, "big"));

	ASSERT_EQ(0, big_read(self->fd, KC_OP_LRANGE, "big", 0, -1, &buf,
			      &used, &count));
	EXPECT_EQ(n, count);
	EXPECT_EQ((uint32_t)n * KC_ELEM_SIZE(8), used);
	kc_elem_iter_init(&it, buf, used, count);
	for (i = 0; (e = kc_elem_next(&it, &data)); i++) {
		big_name(name, i);
		if (e->len != 8 || memcmp(data, name, 8))
			bad++;
	}
	EXPECT_EQ(0, it.err);
	EXPECT_EQ(n, i);
	EXPECT_EQ(0, bad);
	free(buf);

	/* Indexes in the middle, from both ends. */
	r = KT(self->fd, KC_OP_LINDEX, "big", .num = a);
	EXPECT_STREQ(nm(name, a), r.s);
	r = KT(self->fd, KC_OP_LINDEX, "big", .num = -(int64_t)a);
	EXPECT_STREQ(nm(name, n - a), r.s);
	r = KT(self->fd, KC_OP_LRANGE, "big", .num = n * 7 / 10,
	       .num2 = n * 7 / 10 + 2);
	snprintf(want, sizeof(want), "%s,%s,%s", nm(n1, n * 7 / 10),
		 nm(n2, n * 7 / 10 + 1), nm(n3, n * 7 / 10 + 2));
	EXPECT_STREQ(want, r.s);
	EXPECT_EQ(0, KT(self->fd, KC_OP_LSET, "big", .num = n * 6 / 10,
			.val = "X").ret);
	r = KT(self->fd, KC_OP_LRANGE, "big", .num = -(int64_t)(n * 4 / 10) - 1,
	       .num2 = -(int64_t)(n * 4 / 10) + 1);
	snprintf(want, sizeof(want), "%s,X,%s", nm(n1, n * 6 / 10 - 1),
		 nm(n2, n * 6 / 10 + 1));
	EXPECT_STREQ(want, r.s);
	/* LREM from the tail walks the whole list to the second element. */
	r = KT(self->fd, KC_OP_LREM, "big", .num = -1, .val = "e0000001");
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_LINSERT, "big", .flags = KC_LINSERT_AFTER,
	       .val = "Y", .args = { nm(name, n - 2) });
	EXPECT_EQ(n, r.num);
	r = KT(self->fd, KC_OP_LRANGE, "big", .num = -3, .num2 = -1);
	snprintf(want, sizeof(want), "%s,Y,%s", nm(n1, n - 2), nm(n2, n - 1));
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

/*
 * A big set: 100k members.  The members' table grows past 65536 buckets
 * (a table of more than item_size_max bytes) on the way, and shrinks back
 * when most members go.
 */
TEST_F_TIMEOUT(types, big_set, 300)
{
	const unsigned int n = big_n();
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

	ret = big_op(self->fd, KC_OP_SADD, "bigset", 0, n, &total, &failed_at);
	ASSERT_EQ(0, ret) {
		TH_LOG("SADD of member %u..%u failed: %s (%lld added before, SCARD %lld)",
		       failed_at, failed_at + CHUNK - 1, kc_strerror(ret),
		       (long long)total,
		       (long long)kt_len(self->fd, KC_OP_SCARD, "bigset"));
	}
	EXPECT_EQ(n, total);
	EXPECT_EQ(n, kt_len(self->fd, KC_OP_SCARD, "bigset"));
	/* Adding them again adds nothing. */
	ASSERT_EQ(0, big_op(self->fd, KC_OP_SADD, "bigset", 0, CHUNK, &total,
			    NULL));
	EXPECT_EQ(0, total);

	ASSERT_EQ(0, big_read(self->fd, KC_OP_SMEMBERS, "bigset", 0, 0, &buf,
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
	for (i = 0; i < n; i += CHUNK) {
		ASSERT_EQ(0, big_op(self->fd, KC_OP_SREM, "bigset", i + 1,
				    i + CHUNK, &total, NULL));
		EXPECT_EQ(CHUNK - 1, total);
		wl += snprintf(want + wl, sizeof(want) - wl, "%s%s",
			       i ? "," : "", nm(name, i));
	}
	EXPECT_EQ(n / CHUNK, kt_len(self->fd, KC_OP_SCARD, "bigset"));
	EXPECT_STREQ(want, SMEMBERS("bigset"));
	EXPECT_EQ(1, KT(self->fd, KC_OP_SISMEMBER, "bigset",
			.val = nm(name, CHUNK)).num);
	EXPECT_EQ(0, KT(self->fd, KC_OP_SISMEMBER, "bigset",
			.val = nm(name, CHUNK + 1)).num);
}

/* The table grows through every size, then shrinks back as members go. */
TEST_F_TIMEOUT(types, set_table_grows_and_shrinks, 300)
{
	const unsigned int n = big_n() * 6 / 10;
	unsigned int i, gone = 0;
	int64_t total;
	char txt[KT_STR];
	struct kt_out r;

	ASSERT_EQ(0, big_op(self->fd, KC_OP_SADD, "s", 0, n, &total, NULL));
	EXPECT_EQ(n, total);
	EXPECT_EQ(n, kt_len(self->fd, KC_OP_SCARD, "s"));
	ASSERT_EQ(0, big_op(self->fd, KC_OP_SREM, "s", 5, n, &total, NULL));
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

/* A hash past 65536 fields. */
TEST_F_TIMEOUT(types, big_hash, 300)
{
	const unsigned int n = big_n() * 7 / 10;
	unsigned int failed_at = 0;
	int64_t total;
	struct kt_out r;
	char name[9];
	int ret;

	ret = big_op(self->fd, KC_OP_HSET, "bighash", 0, n, &total,
		     &failed_at);
	ASSERT_EQ(0, ret) {
		TH_LOG("HSET of fields %u..%u failed: %s (%lld added before, HLEN %lld)",
		       failed_at, failed_at + CHUNK - 1, kc_strerror(ret),
		       (long long)total,
		       (long long)kt_len(self->fd, KC_OP_HLEN, "bighash"));
	}
	EXPECT_EQ(n, total);
	EXPECT_EQ(n, kt_len(self->fd, KC_OP_HLEN, "bighash"));
	r = KT(self->fd, KC_OP_HGET, "bighash", .val = nm(name, n - 1));
	EXPECT_STREQ(name, r.s);
	r = KT(self->fd, KC_OP_HKEYS, "bighash", .out_len = 16);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(n * KC_ELEM_SIZE(8), r.out_used);
}

/* ----------------------------------------------------------------- memory */

/* Sums of the slab class counters. */
static int chunk_sums(int fd, uint64_t *used, uint64_t *items)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i;
	int ret = kc_class_stats(fd, cs, 256, &n, &nr);

	*used = *items = 0;
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		*used += cs[i].used_chunks;
		*items += cs[i].items;
	}
	return 0;
}

/*
 * Every way a container goes away gives its element chunks back: DEL,
 * SET over it, RENAME over it, a STORE over it, expiry, emptying it.
 */
TEST_F_TIMEOUT(types, container_memory_freed, 120)
{
	uint64_t used0, items0, used, items;
	int64_t total;

	ASSERT_NO_EARLIER_LEAK();

	ASSERT_EQ(0, chunk_sums(self->fd, &used0, &items0));
	ASSERT_EQ(0, big_op(self->fd, KC_OP_RPUSH, "l", 0, 5000, &total, NULL));
	ASSERT_EQ(0, big_op(self->fd, KC_OP_HSET, "h", 0, 5000, &total, NULL));
	ASSERT_EQ(0, big_op(self->fd, KC_OP_SADD, "s", 0, 5000, &total, NULL));
	ASSERT_EQ(0, chunk_sums(self->fd, &used, &items));
	EXPECT_EQ(items0 + 3, items);
	EXPECT_LE(used0 + 15000, used);

	ASSERT_EQ(0, kc_del(self->fd, "l", 1, 0));
	ASSERT_EQ(0, kt_set(self->fd, "h", "string now"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "h", .val = "s").ret);
	ASSERT_EQ(0, chunk_sums(self->fd, &used, &items));
	EXPECT_EQ(items0 + 1, items);
	EXPECT_EQ(used0 + 1, used) {
		TH_LOG("%llu chunks still used after DEL, SET, RENAME over the containers",
		       (unsigned long long)(used - used0 - 1));
	}
	ASSERT_EQ(0, kc_del(self->fd, "s", 1, 0));

	/* A STORE over a set, then emptying by SPOP. */
	ASSERT_EQ(0, big_op(self->fd, KC_OP_SADD, "a", 0, 3000, &total, NULL));
	ASSERT_EQ(0, big_op(self->fd, KC_OP_SADD, "b", 2000, 4000, &total,
			    NULL));
	ASSERT_EQ(1000, KT(self->fd, KC_OP_SINTERSTORE, "d",
			   .args = { "a", "b" }).num);
	ASSERT_EQ(4000, KT(self->fd, KC_OP_SUNIONSTORE, "d",
			   .args = { "a", "b" }).num);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SDIFFSTORE, "d",
			.args = { "a", "a" }).num);
	ASSERT_EQ(0, kc_del(self->fd, "a", 1, 0));
	ASSERT_EQ(2000, KT(self->fd, KC_OP_SPOP, "b", .flags = KC_POP_COUNT,
			   .num = 5000, .out_len = 1 << 20).num);
	EXPECT_GONE("b");
	EXPECT_GONE("d");
	ASSERT_EQ(0, chunk_sums(self->fd, &used, &items));
	EXPECT_EQ(items0, items);
	EXPECT_EQ(used0, used);

	/* Expiry, found by a lookup. */
	ASSERT_EQ(0, big_op(self->fd, KC_OP_RPUSH, "l", 0, 3000, &total, NULL));
	ASSERT_EQ(0, kc_expire(self->fd, "l", 1, 200, KC_TTL_MS));
	kt_sleep_ms(400);
	EXPECT_GONE("l");
	ASSERT_EQ(0, chunk_sums(self->fd, &used, &items));
	EXPECT_EQ(items0, items);
	EXPECT_EQ(used0, used);
}

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
	ASSERT_EQ(0, fresh_limit(self->fd, limit_mb));
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
	ASSERT_EQ(0, fresh_limit(self->fd, 16));
	ret = big_op(self->fd, KC_OP_SADD, "set", 0, 30000, &total, &failed_at);
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

/*
 * An evicted container gives back its elements' memory: lowering the
 * limit below what a big set uses evicts it (its pages are emptied), and
 * every chunk the set held is free again.
 */
TEST_F_TIMEOUT(types, evicted_container_frees_memory, 180)
{
	uint64_t used0, items0, used, items;
	struct kc_stats st0, st;
	int64_t total;

	ASSERT_NO_EARLIER_LEAK();

	ASSERT_EQ(0, fresh_limit(self->fd, 32));
	ASSERT_EQ(0, chunk_sums(self->fd, &used0, &items0));
	ASSERT_EQ(0, big_op(self->fd, KC_OP_SADD, "set", 0, 30000, &total,
			    NULL));
	ASSERT_EQ(30000, total);
	ASSERT_EQ(0, chunk_sums(self->fd, &used, &items));
	EXPECT_LE(used0 + 30000, used);
	ASSERT_EQ(0, kc_stats(self->fd, &st0));

	/* Down to 2 MiB: the set no longer fits. */
	ASSERT_EQ(0, kt_set_memory_limit_mb(self->fd, 2));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_GE(st.limit_bytes, st.used_bytes);
	EXPECT_LT(st0.evictions, st.evictions);
	EXPECT_GONE("set");
	ASSERT_EQ(0, chunk_sums(self->fd, &used, &items));
	EXPECT_EQ(items0, items);
	EXPECT_EQ(used0, used) {
		TH_LOG("%lld chunks still used after the set was evicted",
		       (long long)(used - used0));
	}
}

/*
 * RENAME and RENAMENX of a key to its own name: Redis answers OK and 0 and
 * changes nothing.  Last in this file on purpose: a reference leaked here
 * would pin the key's chunks (and their slab pages) for good and make the
 * memory tests above fail for a reason of no concern to them.
 */
TEST_F(types, rename_to_itself)
{
	uint64_t used0, items0, used, items;
	char txt[KT_STR], buf[16];

	ASSERT_EQ(0, chunk_sums(self->fd, &used0, &items0));
	ASSERT_EQ(0, kt_set(self->fd, "str", "v"));
	ASSERT_EQ(0, make_containers(self->fd));
	EXPECT_EQ(0, KT(self->fd, KC_OP_RENAME, "str", .val = "str").ret);
	EXPECT_EQ(-EEXIST, KT(self->fd, KC_OP_RENAME, "str", .flags = KC_SET_NX,
			      .val = "str").ret);
	EXPECT_EQ(1, kt_get(self->fd, "str", buf, sizeof(buf)));
	EXPECT_EQ(0, KT(self->fd, KC_OP_RENAME, "list", .val = "list").ret);
	EXPECT_EQ(-EEXIST, KT(self->fd, KC_OP_RENAME, "hash",
			      .flags = KC_SET_NX, .val = "hash").ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_RENAME, "set", .val = "set").ret);
	EXPECT_CONTAINERS_INTACT();

	/* Deleted, they must be freed: nothing else holds them. */
	ASSERT_EQ(0, kc_del(self->fd, "str", 3, 0));
	ASSERT_EQ(0, kc_del(self->fd, "list", 4, 0));
	ASSERT_EQ(0, kc_del(self->fd, "hash", 4, 0));
	ASSERT_EQ(0, kc_del(self->fd, "set", 3, 0));
	ASSERT_EQ(0, chunk_sums(self->fd, &used, &items));
	EXPECT_EQ(items0, items);
	EXPECT_EQ(used0, used) {
		TH_LOG("%lld chunks of the deleted keys are still in use: RENAME to itself kept a reference",
		       (long long)(used - used0));
	}
}

TEST_HARNESS_MAIN
