// SPDX-License-Identifier: GPL-2.0
/*
 * Every operation of KC_IOC_OP and its edge cases, against the semantics in
 * Documentation/uapi.rst (memcached for the storage commands, Redis for
 * INCRBY/DECRBY, bits, ranges and expiry conditions).
 */
#include <errno.h>
#include <sys/mman.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"

FIXTURE(ops) {
	int fd;
	uint32_t item_size_max;
};

FIXTURE_SETUP(ops)
{
	struct kc_version v;

	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kc_version(self->fd, &v));
	self->item_size_max = v.item_size_max;
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_flush(self->fd));
}

FIXTURE_TEARDOWN(ops)
{
	kc_close(self->fd);
}

/* An operation on a C-string key; the caller fills the rest. */
static void prep(struct kc_op *op, uint32_t opcode, uint32_t flags,
		 const char *key)
{
	kc_op_init(op, opcode);
	op->flags = flags;
	kc_op_key(op, key, strlen(key));
}

static int run_kv(int fd, struct kc_op *op, uint32_t opcode, uint32_t flags,
		  const char *key, const void *val, size_t vlen)
{
	prep(op, opcode, flags, key);
	kc_op_val(op, val, vlen);
	return kc_do(fd, op);
}

/* The stored value of key equals len bytes at exp. */
#define EXPECT_VAL(fd, key, exp, len) do {					\
	void *__v = NULL;							\
	size_t __l = 0;								\
	int __r = kc_get_alloc(fd, key, strlen(key), &__v, &__l, NULL, NULL);	\
	EXPECT_EQ(0, __r) {							\
		TH_LOG("GET %s: %s", key, kc_strerror(__r));			\
	}									\
	if (!__r) {								\
		EXPECT_EQ((size_t)(len), __l);					\
		if (__l == (size_t)(len)) {					\
			EXPECT_EQ(0, memcmp(__v, exp, __l)) {			\
				TH_LOG("value of %s differs", key);		\
			}							\
		}								\
	}									\
	free(__v);								\
} while (0)

#define EXPECT_STRVAL(fd, key, str) EXPECT_VAL(fd, key, str, strlen(str))

#define EXPECT_MISSING(fd, key) do {						\
	int __r = kc_exists(fd, key, strlen(key));				\
	EXPECT_EQ(-ENOENT, __r) {						\
		TH_LOG("EXISTS %s: %s", key, kc_strerror(__r));			\
	}									\
} while (0)

/* Remaining TTL in seconds as KC_OP_TTL reports it (Redis rounding). */
static int64_t ttl_s(int fd, const char *key)
{
	int64_t ttl = 0;
	int ret = kc_ttl(fd, key, strlen(key), 0, &ttl);

	return ret ? ret : ttl;
}

TEST_F(ops, set_get_roundtrip)
{
	char buf[64];
	struct kc_op op;
	uint64_t cas1, cas2;

	prep(&op, KC_OP_SET, 0, "k1");
	kc_op_val(&op, "hello", 5);
	op.client_flags = 0xdeadbeef;
	ASSERT_EQ(0, kc_do(self->fd, &op));
	cas1 = op.cas;
	EXPECT_NE(0, cas1);

	memset(buf, 'x', sizeof(buf));
	prep(&op, KC_OP_GET, 0, "k1");
	kc_op_out(&op, buf, sizeof(buf));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(5U, op.out_used);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ('x', buf[5]);
	EXPECT_EQ(cas1, op.cas);
	EXPECT_EQ(0xdeadbeef, op.client_flags);

	prep(&op, KC_OP_SET, 0, "k1");
	kc_op_val(&op, "world!", 6);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	cas2 = op.cas;
	EXPECT_LT(cas1, cas2);

	prep(&op, KC_OP_GET, 0, "k1");
	kc_op_out(&op, buf, sizeof(buf));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(6U, op.out_used);
	EXPECT_EQ(0, memcmp(buf, "world!", 6));
	EXPECT_EQ(cas2, op.cas);
	/* A SET without client_flags stores 0. */
	EXPECT_EQ(0U, op.client_flags);

	EXPECT_EQ(-ENOENT, kt_get(self->fd, "nope", buf, sizeof(buf)));
}

TEST_F(ops, binary_keys_and_values)
{
	static const char k1[] = { 'a', 0, 'b' }, k2[] = { 'a', 0, 'c' };
	unsigned char key[KC_KEY_MAX], val[300], out[300];
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < sizeof(val); i++)
		val[i] = (unsigned char)i;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(255 - i);

	ASSERT_EQ(0, kc_set(self->fd, k1, 3, "\0one\0", 5, 0, 0, 0));
	ASSERT_EQ(0, kc_set(self->fd, k2, 3, "two", 3, 0, 0, 0));
	ASSERT_EQ(0, kc_set(self->fd, "a", 1, "prefix", 6, 0, 0, 0));
	ASSERT_EQ(0, kc_set(self->fd, key, sizeof(key), val, sizeof(val), 0, 0, 0));

	ASSERT_EQ(0, kc_get(self->fd, k1, 3, out, sizeof(out), &len, NULL, NULL));
	EXPECT_EQ(5, len);
	EXPECT_EQ(0, memcmp(out, "\0one\0", 5));
	ASSERT_EQ(0, kc_get(self->fd, k2, 3, out, sizeof(out), &len, NULL, NULL));
	EXPECT_EQ(3, len);
	EXPECT_EQ(0, memcmp(out, "two", 3));
	ASSERT_EQ(0, kc_get(self->fd, "a", 1, out, sizeof(out), &len, NULL, NULL));
	EXPECT_EQ(6, len);
	ASSERT_EQ(0, kc_get(self->fd, key, sizeof(key), out, sizeof(out), &len,
			    NULL, NULL));
	EXPECT_EQ(sizeof(val), len);
	EXPECT_EQ(0, memcmp(out, val, sizeof(val)));
	/* The key is all 250 bytes: one byte less is another key. */
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, key, sizeof(key) - 1));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "a\0", 2));
}

TEST_F(ops, empty_value)
{
	struct kc_op op;
	uint64_t len = 99;

	ASSERT_EQ(0, kt_set(self->fd, "empty", ""));
	/* No reply buffer at all is enough for an empty value. */
	prep(&op, KC_OP_GET, 0, "empty");
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0U, op.out_used);
	EXPECT_NE(0, op.cas);
	ASSERT_EQ(0, kc_strlen(self->fd, "empty", 5, &len));
	EXPECT_EQ(0, len);
	EXPECT_EQ(0, kc_exists(self->fd, "empty", 5));
}

TEST_F(ops, get_buffer_too_small)
{
	char val[100], buf[128];
	struct kc_op op;
	void *p = NULL;
	size_t len = 0;
	char *big;

	kt_fill(val, sizeof(val), 1);
	ASSERT_EQ(0, kc_set(self->fd, "big", 3, val, sizeof(val), 0, 0, 0));

	memset(buf, 'x', sizeof(buf));
	prep(&op, KC_OP_GET, 0, "big");
	kc_op_out(&op, buf, 10);
	ASSERT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_EQ(sizeof(val), op.out_used);
	/* Nothing past out_len is touched. */
	EXPECT_EQ('x', buf[10]);

	prep(&op, KC_OP_GET, 0, "big");
	ASSERT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_EQ(sizeof(val), op.out_used);

	prep(&op, KC_OP_GET, 0, "big");
	kc_op_out(&op, buf, sizeof(val));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(sizeof(val), op.out_used);
	EXPECT_EQ(0, memcmp(buf, val, sizeof(val)));
	EXPECT_EQ('x', buf[sizeof(val)]);

	/* kc_get_alloc() grows its buffer past its first guess. */
	big = malloc(100000);
	ASSERT_NE(NULL, big);
	kt_fill(big, 100000, 2);
	ASSERT_EQ(0, kc_set(self->fd, "bigger", 6, big, 100000, 0, 0, 0));
	ASSERT_EQ(0, kc_get_alloc(self->fd, "bigger", 6, &p, &len, NULL, NULL));
	EXPECT_EQ(100000, len);
	EXPECT_EQ(0, memcmp(p, big, 100000));
	free(p);
	free(big);
}

TEST_F(ops, cas_changes_on_every_write)
{
	struct kc_op op;
	uint64_t prev, cur;
	int64_t n;

	ASSERT_EQ(0, kt_set(self->fd, "c", "abc"));
	prev = kt_cas(self->fd, "c");
	ASSERT_NE(0, prev);

#define EXPECT_CAS_BUMPED(what) do {						\
	cur = kt_cas(self->fd, "c");						\
	EXPECT_LT(prev, cur) {							\
		TH_LOG("%s did not change the CAS version", what);		\
	}									\
	prev = cur;								\
} while (0)
#define EXPECT_CAS_KEPT(what) do {						\
	cur = kt_cas(self->fd, "c");						\
	EXPECT_EQ(prev, cur) {							\
		TH_LOG("%s changed the CAS version", what);			\
	}									\
} while (0)

	ASSERT_EQ(0, kt_set(self->fd, "c", "abc"));
	EXPECT_CAS_BUMPED("SET of the same value");
	ASSERT_EQ(0, run_kv(self->fd, &op, KC_OP_APPEND, 0, "c", "d", 1));
	EXPECT_CAS_BUMPED("APPEND");
	ASSERT_EQ(0, run_kv(self->fd, &op, KC_OP_PREPEND, 0, "c", "z", 1));
	EXPECT_CAS_BUMPED("PREPEND");
	ASSERT_EQ(0, run_kv(self->fd, &op, KC_OP_REPLACE, 0, "c", "x", 1));
	EXPECT_CAS_BUMPED("REPLACE");
	ASSERT_EQ(0, kc_setbit(self->fd, "c", 1, 3, 1, NULL));
	EXPECT_CAS_BUMPED("SETBIT");
	prep(&op, KC_OP_SETRANGE, 0, "c");
	kc_op_val(&op, "q", 1);
	op.num = 0;
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_CAS_BUMPED("SETRANGE");
	ASSERT_EQ(0, kc_expire(self->fd, "c", 1, 1000, 0));
	EXPECT_CAS_BUMPED("EXPIRE");
	ASSERT_EQ(0, kc_persist(self->fd, "c", 1));
	EXPECT_CAS_BUMPED("PERSIST");
	ASSERT_EQ(0, kt_set(self->fd, "c", "7"));
	prev = kt_cas(self->fd, "c");
	ASSERT_EQ(0, kc_incrby(self->fd, "c", 1, 1, &n));
	EXPECT_CAS_BUMPED("INCRBY");
	ASSERT_EQ(0, kc_decrby(self->fd, "c", 1, 1, &n));
	EXPECT_CAS_BUMPED("DECRBY");

	/* Reads and TOUCH leave it. */
	ASSERT_EQ(0, kc_touch(self->fd, "c", 1, 1000, 0));
	EXPECT_CAS_KEPT("TOUCH");
	ASSERT_EQ(0, kc_exists(self->fd, "c", 1));
	ASSERT_EQ(0, kc_ttl(self->fd, "c", 1, 0, &n));
	ASSERT_EQ(0, kc_getbit(self->fd, "c", 1, 0, NULL));
	EXPECT_CAS_KEPT("reads");

	/* Versions are unique across keys, and the counter says the last. */
	ASSERT_EQ(0, kt_set(self->fd, "other", "1"));
	EXPECT_LT(cur, kt_cas(self->fd, "other"));
	{
		struct kc_stats st;

		ASSERT_EQ(0, kc_stats(self->fd, &st));
		EXPECT_LE(kt_cas(self->fd, "other"), st.cas_counter);
	}
#undef EXPECT_CAS_BUMPED
#undef EXPECT_CAS_KEPT
}

TEST_F(ops, set_nx_xx)
{
	struct kc_op op;

	EXPECT_EQ(-ENOENT, run_kv(self->fd, &op, KC_OP_SET, KC_SET_XX, "n", "1", 1));
	EXPECT_MISSING(self->fd, "n");
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_SET, KC_SET_NX, "n", "1", 1));
	EXPECT_STRVAL(self->fd, "n", "1");
	EXPECT_EQ(-EEXIST, run_kv(self->fd, &op, KC_OP_SET, KC_SET_NX, "n", "2", 1));
	EXPECT_STRVAL(self->fd, "n", "1");
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_SET, KC_SET_XX, "n", "3", 1));
	EXPECT_STRVAL(self->fd, "n", "3");
	EXPECT_EQ(-EINVAL, run_kv(self->fd, &op, KC_OP_SET,
				  KC_SET_NX | KC_SET_XX, "n", "4", 1));
	EXPECT_STRVAL(self->fd, "n", "3");
}

TEST_F(ops, set_cas)
{
	struct kc_stats st0, st1;
	struct kc_op op;
	uint64_t cas;

	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	prep(&op, KC_OP_SET, KC_SET_CAS, "cas");
	kc_op_val(&op, "1", 1);
	op.cas = 1;
	EXPECT_EQ(-ENOENT, kc_do(self->fd, &op));
	EXPECT_MISSING(self->fd, "cas");

	ASSERT_EQ(0, kt_set(self->fd, "cas", "1"));
	cas = kt_cas(self->fd, "cas");

	prep(&op, KC_OP_SET, KC_SET_CAS, "cas");
	kc_op_val(&op, "2", 1);
	op.cas = cas + 1000;
	EXPECT_EQ(-EEXIST, kc_do(self->fd, &op));
	EXPECT_STRVAL(self->fd, "cas", "1");

	/* 0 is never a version. */
	prep(&op, KC_OP_SET, KC_SET_CAS, "cas");
	kc_op_val(&op, "2", 1);
	op.cas = 0;
	EXPECT_EQ(-EEXIST, kc_do(self->fd, &op));

	prep(&op, KC_OP_SET, KC_SET_CAS, "cas");
	kc_op_val(&op, "3", 1);
	op.cas = cas;
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_LT(cas, op.cas);
	EXPECT_EQ(op.cas, kt_cas(self->fd, "cas"));
	EXPECT_STRVAL(self->fd, "cas", "3");

	/* The old version is spent. */
	prep(&op, KC_OP_SET, KC_SET_CAS, "cas");
	kc_op_val(&op, "4", 1);
	op.cas = cas;
	EXPECT_EQ(-EEXIST, kc_do(self->fd, &op));
	EXPECT_STRVAL(self->fd, "cas", "3");

	/* The library spelling. */
	cas = kt_cas(self->fd, "cas");
	EXPECT_EQ(0, kc_set(self->fd, "cas", 3, "5", 1, 0, 0, cas));
	EXPECT_EQ(-EEXIST, kc_set(self->fd, "cas", 3, "6", 1, 0, 0, cas));
	EXPECT_STRVAL(self->fd, "cas", "5");

	ASSERT_EQ(0, kc_stats(self->fd, &st1));
	EXPECT_EQ(st0.cas_misses + 1, st1.cas_misses);
	EXPECT_EQ(st0.cas_hits + 2, st1.cas_hits);
	EXPECT_EQ(st0.cas_badval + 4, st1.cas_badval);
}

TEST_F(ops, set_get_old_value)
{
	char buf[32];
	struct kc_op op;

	prep(&op, KC_OP_SET, KC_SET_GET, "sg");
	kc_op_val(&op, "first", 5);
	kc_op_out(&op, buf, sizeof(buf));
	op.num = 12345;
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0U, op.out_used);
	EXPECT_EQ(0, op.num);
	EXPECT_STRVAL(self->fd, "sg", "first");

	prep(&op, KC_OP_SET, KC_SET_GET, "sg");
	kc_op_val(&op, "second", 6);
	kc_op_out(&op, buf, sizeof(buf));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(5U, op.out_used);
	EXPECT_EQ(1, op.num);
	EXPECT_EQ(0, memcmp(buf, "first", 5));
	EXPECT_STRVAL(self->fd, "sg", "second");
}

/*
 * Redis 7's SET NX GET: on an existing key nothing is stored, the result
 * says NX failed and the old value still comes back (num 1); on a missing
 * key it stores and returns no value (num 0).
 */
TEST_F(ops, set_nx_get)
{
	char buf[32];
	struct kc_op op;
	uint64_t cas;

	ASSERT_EQ(0, kt_set(self->fd, "nxg", "old"));
	cas = kt_cas(self->fd, "nxg");
	prep(&op, KC_OP_SET, KC_SET_NX | KC_SET_GET, "nxg");
	kc_op_val(&op, "new", 3);
	kc_op_out(&op, buf, sizeof(buf));
	op.num = 12345;
	EXPECT_EQ(-EEXIST, kc_do(self->fd, &op));
	EXPECT_EQ(1, op.num);
	EXPECT_EQ(3U, op.out_used);
	EXPECT_EQ(0, memcmp(buf, "old", 3));
	EXPECT_STRVAL(self->fd, "nxg", "old");
	EXPECT_EQ(cas, kt_cas(self->fd, "nxg"));

	prep(&op, KC_OP_SET, KC_SET_NX | KC_SET_GET, "nxg2");
	kc_op_val(&op, "new", 3);
	kc_op_out(&op, buf, sizeof(buf));
	op.num = 12345;
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0, op.num);
	EXPECT_EQ(0U, op.out_used);
	EXPECT_STRVAL(self->fd, "nxg2", "new");
}

TEST_F(ops, keepttl)
{
	struct kc_op op;

	ASSERT_EQ(0, kt_set_ex(self->fd, "kt", "1", 0, 100));
	EXPECT_EQ(100, ttl_s(self->fd, "kt"));
	ASSERT_EQ(0, kt_set_ex(self->fd, "kt", "2", KC_SET_KEEPTTL, 0));
	EXPECT_EQ(100, ttl_s(self->fd, "kt"));
	EXPECT_STRVAL(self->fd, "kt", "2");
	/* A plain SET clears it, as in Redis. */
	ASSERT_EQ(0, kt_set(self->fd, "kt", "3"));
	EXPECT_EQ(-1, ttl_s(self->fd, "kt"));
	/* KEEPTTL on a missing key stores without expiry. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "kt2", "1", KC_SET_KEEPTTL, 0));
	EXPECT_EQ(-1, ttl_s(self->fd, "kt2"));
	/* KEEPTTL and a new expiry contradict each other (Redis: error). */
	prep(&op, KC_OP_SET, KC_SET_KEEPTTL, "kt");
	kc_op_val(&op, "4", 1);
	op.expire = 10;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	EXPECT_STRVAL(self->fd, "kt", "3");
}

TEST_F(ops, set_expire_forms)
{
	int64_t ms;

	EXPECT_EQ(-EINVAL, kt_set_ex(self->fd, "e", "1", 0, -1));
	EXPECT_EQ(-EINVAL, kt_set_ex(self->fd, "e", "1", KC_TTL_MS, -5));
	EXPECT_MISSING(self->fd, "e");

	ASSERT_EQ(0, kt_set_ex(self->fd, "e", "1", 0, 100));
	EXPECT_EQ(100, ttl_s(self->fd, "e"));
	ASSERT_EQ(0, kt_set_ex(self->fd, "e", "1", KC_TTL_MS, 100000));
	ms = kt_ttl_ms(self->fd, "e");
	EXPECT_LT(95000, ms);
	EXPECT_GE(100000, ms);

	/* An absolute time in the past stores an item that is already gone. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "e", "1", KC_TTL_ABS, 1));
	EXPECT_MISSING(self->fd, "e");
	ASSERT_EQ(0, kt_set_ex(self->fd, "e", "1", KC_TTL_ABS | KC_TTL_MS,
			       kt_now_ms() - 1000));
	EXPECT_MISSING(self->fd, "e");
}

TEST_F(ops, add_replace)
{
	struct kc_op op;

	EXPECT_EQ(-ENOENT, run_kv(self->fd, &op, KC_OP_REPLACE, 0, "ar", "0", 1));
	EXPECT_MISSING(self->fd, "ar");
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_ADD, 0, "ar", "1", 1));
	EXPECT_NE(0, op.cas);
	EXPECT_EQ(-EEXIST, run_kv(self->fd, &op, KC_OP_ADD, 0, "ar", "2", 1));
	EXPECT_STRVAL(self->fd, "ar", "1");
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_REPLACE, 0, "ar", "3", 1));
	EXPECT_STRVAL(self->fd, "ar", "3");
}

TEST_F(ops, append_prepend)
{
	struct kc_op op;
	uint32_t cf = 0;
	size_t len;
	char buf[32];

	EXPECT_EQ(-ENOENT, run_kv(self->fd, &op, KC_OP_APPEND, 0, "ap", "x", 1));
	EXPECT_EQ(-ENOENT, run_kv(self->fd, &op, KC_OP_PREPEND, 0, "ap", "x", 1));
	EXPECT_MISSING(self->fd, "ap");

	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_APPEND, KC_APPEND_CREATE,
			    "ap", "mid", 3));
	EXPECT_EQ(3, op.num);
	EXPECT_STRVAL(self->fd, "ap", "mid");
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_PREPEND, KC_APPEND_CREATE,
			    "ap2", "p", 1));
	EXPECT_EQ(1, op.num);
	EXPECT_STRVAL(self->fd, "ap2", "p");

	/* Flags and expiry survive. */
	prep(&op, KC_OP_SET, 0, "ap");
	kc_op_val(&op, "mid", 3);
	op.client_flags = 7;
	op.expire = 100;
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_APPEND, 0, "ap", "_end", 4));
	EXPECT_EQ(7, op.num);
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_PREPEND, 0, "ap", "start_", 6));
	EXPECT_EQ(13, op.num);
	EXPECT_STRVAL(self->fd, "ap", "start_mid_end");
	ASSERT_EQ(0, kc_get(self->fd, "ap", 2, buf, sizeof(buf), &len, NULL, &cf));
	EXPECT_EQ(7U, cf);
	EXPECT_EQ(100, ttl_s(self->fd, "ap"));

	/* Nothing to add: the value stays, its length is the answer. */
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_APPEND, 0, "ap", NULL, 0));
	EXPECT_EQ(13, op.num);
	EXPECT_STRVAL(self->fd, "ap", "start_mid_end");
}

TEST_F(ops, append_too_big)
{
	size_t n = self->item_size_max;
	struct kc_op op;
	char *v = calloc(1, n);
	uint64_t len = 0;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, kc_set(self->fd, "apbig", 5, v, n - 1, 0, 0, 0));
	EXPECT_EQ(0, run_kv(self->fd, &op, KC_OP_APPEND, 0, "apbig", "a", 1));
	EXPECT_EQ((int64_t)n, op.num);
	EXPECT_EQ(-E2BIG, run_kv(self->fd, &op, KC_OP_APPEND, 0, "apbig", "b", 1));
	EXPECT_EQ(-E2BIG, run_kv(self->fd, &op, KC_OP_PREPEND, 0, "apbig", "b", 1));
	ASSERT_EQ(0, kc_strlen(self->fd, "apbig", 5, &len));
	EXPECT_EQ(n, len);
	free(v);
}

TEST_F(ops, del)
{
	struct kc_stats st0, st1;
	uint64_t cas;

	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	EXPECT_EQ(-ENOENT, kc_del(self->fd, "d", 1, 0));
	ASSERT_EQ(0, kt_set(self->fd, "d", "v"));
	EXPECT_EQ(0, kc_del(self->fd, "d", 1, 0));
	EXPECT_MISSING(self->fd, "d");
	EXPECT_EQ(-ENOENT, kc_del(self->fd, "d", 1, 0));

	ASSERT_EQ(0, kt_set(self->fd, "d", "v"));
	cas = kt_cas(self->fd, "d");
	EXPECT_EQ(-EEXIST, kc_del(self->fd, "d", 1, cas + 1));
	EXPECT_EQ(0, kc_exists(self->fd, "d", 1));
	EXPECT_EQ(0, kc_del(self->fd, "d", 1, cas));
	EXPECT_MISSING(self->fd, "d");
	EXPECT_EQ(-ENOENT, kc_del(self->fd, "d", 1, cas));

	/* A CAS mismatch found the key: neither a hit nor a miss. */
	ASSERT_EQ(0, kc_stats(self->fd, &st1));
	EXPECT_EQ(st0.delete_hits + 2, st1.delete_hits);
	EXPECT_EQ(st0.delete_misses + 3, st1.delete_misses);
}

TEST_F(ops, exists)
{
	struct kc_op op;

	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "x", 1));
	ASSERT_EQ(0, kt_set(self->fd, "x", ""));
	EXPECT_EQ(0, kc_exists(self->fd, "x", 1));
	/* It also reports the version and the type, without a value. */
	prep(&op, KC_OP_EXISTS, 0, "x");
	op.num = 99;
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(kt_cas(self->fd, "x"), op.cas);
	EXPECT_EQ(KC_TYPE_STRING, op.num);
	EXPECT_EQ(0U, op.out_used);
	ASSERT_EQ(0, kc_del(self->fd, "x", 1, 0));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "x", 1));
}

TEST_F(ops, incrby_basic)
{
	int64_t n = 0;

	/* A missing key starts at 0 and gets no expiry. */
	ASSERT_EQ(0, kc_incrby(self->fd, "i", 1, 5, &n));
	EXPECT_EQ(5, n);
	EXPECT_STRVAL(self->fd, "i", "5");
	EXPECT_EQ(-1, ttl_s(self->fd, "i"));
	ASSERT_EQ(0, kc_decrby(self->fd, "d", 1, 5, &n));
	EXPECT_EQ(-5, n);
	EXPECT_STRVAL(self->fd, "d", "-5");

	ASSERT_EQ(0, kt_set(self->fd, "i", "10"));
	ASSERT_EQ(0, kc_incrby(self->fd, "i", 1, 5, &n));
	EXPECT_EQ(15, n);
	EXPECT_STRVAL(self->fd, "i", "15");
	ASSERT_EQ(0, kc_incrby(self->fd, "i", 1, -20, &n));
	EXPECT_EQ(-5, n);
	EXPECT_STRVAL(self->fd, "i", "-5");
	ASSERT_EQ(0, kc_decrby(self->fd, "i", 1, -5, &n));
	EXPECT_EQ(0, n);
	EXPECT_STRVAL(self->fd, "i", "0");
	ASSERT_EQ(0, kc_decrby(self->fd, "i", 1, 0, &n));
	EXPECT_EQ(0, n);

	/* The expiry is kept. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "i", "1", 0, 100));
	ASSERT_EQ(0, kc_incrby(self->fd, "i", 1, 1, &n));
	EXPECT_EQ(2, n);
	EXPECT_EQ(100, ttl_s(self->fd, "i"));
}

TEST_F(ops, incrby_parses_like_redis)
{
	static const struct {
		const char *s;
		int64_t v;
	} good[] = {
		{ "0", 0 }, { "1", 1 }, { "-1", -1 }, { "1234567890", 1234567890 },
		{ "9223372036854775807", INT64_MAX },
		{ "-9223372036854775808", INT64_MIN },
	};
	static const char * const bad[] = {
		"", "-", "+1", " 1", "1 ", "\t1", "01", "00", "-0", "-01", "1a",
		"abc", "1.5", "0x10", "1e3", "9223372036854775808",
		"-9223372036854775809", "18446744073709551616",
		"99999999999999999999", "000000000000000000001",
		"-0000000000000000001",
	};
	unsigned int i;
	int64_t n;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		ASSERT_EQ(0, kt_set(self->fd, "p", good[i].s));
		n = 42;
		EXPECT_EQ(0, kc_incrby(self->fd, "p", 1, 0, &n)) {
			TH_LOG("INCRBY 0 on \"%s\"", good[i].s);
		}
		EXPECT_EQ(good[i].v, n);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, kt_set(self->fd, "p", bad[i]));
		EXPECT_EQ(-EDOM, kc_incrby(self->fd, "p", 1, 1, &n)) {
			TH_LOG("INCRBY on \"%s\"", bad[i]);
		}
		EXPECT_EQ(-EDOM, kc_decrby(self->fd, "p", 1, 1, &n)) {
			TH_LOG("DECRBY on \"%s\"", bad[i]);
		}
		EXPECT_STRVAL(self->fd, "p", bad[i]);
	}
	/* A NUL byte is not a digit. */
	ASSERT_EQ(0, kc_set(self->fd, "p", 1, "1\0", 2, 0, 0, 0));
	EXPECT_EQ(-EDOM, kc_incrby(self->fd, "p", 1, 1, &n));
	ASSERT_EQ(0, kc_set(self->fd, "p", 1, "\0", 1, 0, 0, 0));
	EXPECT_EQ(-EDOM, kc_incrby(self->fd, "p", 1, 1, &n));
}

TEST_F(ops, incrby_overflow)
{
	int64_t n = 0;

	ASSERT_EQ(0, kt_set(self->fd, "o", "9223372036854775807"));
	EXPECT_EQ(-EOVERFLOW, kc_incrby(self->fd, "o", 1, 1, &n));
	EXPECT_EQ(-EOVERFLOW, kc_decrby(self->fd, "o", 1, -1, &n));
	EXPECT_EQ(-EOVERFLOW, kc_incrby(self->fd, "o", 1, INT64_MAX, &n));
	EXPECT_STRVAL(self->fd, "o", "9223372036854775807");

	ASSERT_EQ(0, kt_set(self->fd, "o", "-9223372036854775808"));
	EXPECT_EQ(-EOVERFLOW, kc_decrby(self->fd, "o", 1, 1, &n));
	EXPECT_EQ(-EOVERFLOW, kc_incrby(self->fd, "o", 1, -1, &n));
	EXPECT_EQ(-EOVERFLOW, kc_incrby(self->fd, "o", 1, INT64_MIN, &n));
	EXPECT_STRVAL(self->fd, "o", "-9223372036854775808");

	/* The extremes themselves are reachable. */
	ASSERT_EQ(0, kt_set(self->fd, "o", "-1"));
	ASSERT_EQ(0, kc_incrby(self->fd, "o", 1, INT64_MIN + 1, &n));
	EXPECT_EQ(INT64_MIN, n);
	EXPECT_STRVAL(self->fd, "o", "-9223372036854775808");
	ASSERT_EQ(0, kt_set(self->fd, "o", "1"));
	ASSERT_EQ(0, kc_incrby(self->fd, "o", 1, INT64_MAX - 1, &n));
	EXPECT_EQ(INT64_MAX, n);
	ASSERT_EQ(0, kt_set(self->fd, "o", "0"));
	ASSERT_EQ(0, kc_incrby(self->fd, "o", 1, INT64_MIN, &n));
	EXPECT_EQ(INT64_MIN, n);

	/*
	 * DECRBY INT64_MIN: 0 - INT64_MIN does not fit, so it overflows on 0
	 * and on a missing key (which must then not be created).
	 */
	ASSERT_EQ(0, kt_set(self->fd, "o", "0"));
	EXPECT_EQ(-EOVERFLOW, kc_decrby(self->fd, "o", 1, INT64_MIN, &n));
	EXPECT_STRVAL(self->fd, "o", "0");
	EXPECT_EQ(-EOVERFLOW, kc_decrby(self->fd, "m", 1, INT64_MIN, &n));
	EXPECT_MISSING(self->fd, "m");
}

/* One KC_INCR_UNSIGNED op; the value after it is checked by the caller. */
static int incr_u(int fd, uint32_t opcode, const char *key, uint64_t delta,
		  uint64_t *res)
{
	struct kc_op op;
	int err;

	prep(&op, opcode, KC_INCR_UNSIGNED, key);
	op.num = (int64_t)delta;
	err = kc_do(fd, &op);
	if (!err)
		*res = (uint64_t)op.num;
	return err;
}

/* memcached's incr/decr rules (kcache-proxy's incr and decr). */
TEST_F(ops, incr_unsigned_like_memcached)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 }, { "7", 7 }, { "007", 7 }, { " 12", 12 }, { "12 ", 12 },
		{ "12 abc", 12 }, { "+5", 5 }, { "-0", 0 },
		{ "18446744073709551615", UINT64_MAX },
		{ "9223372036854775808", 9223372036854775808ULL },
		/* a '-' whose result is not negative as signed: memcached's quirk */
		{ "-18446744073709551615", 1 },
	};
	static const char * const bad[] = {
		"", " ", "abc", "1a", "-1", "-5", "18446744073709551616", "1.5",
	};
	uint64_t n, cas0 = 0, cas1 = 0;
	struct kc_op op;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		ASSERT_EQ(0, kt_set(self->fd, "u", good[i].s));
		n = 42;
		EXPECT_EQ(0, incr_u(self->fd, KC_OP_INCRBY, "u", 0, &n)) {
			TH_LOG("incr 0 on \"%s\"", good[i].s);
		}
		EXPECT_EQ(good[i].v, n) {
			TH_LOG("incr 0 on \"%s\"", good[i].s);
		}
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, kt_set(self->fd, "u", bad[i]));
		EXPECT_EQ(-EDOM, incr_u(self->fd, KC_OP_INCRBY, "u", 1, &n)) {
			TH_LOG("incr on \"%s\"", bad[i]);
		}
		EXPECT_EQ(-EDOM, incr_u(self->fd, KC_OP_DECRBY, "u", 1, &n)) {
			TH_LOG("decr on \"%s\"", bad[i]);
		}
		EXPECT_STRVAL(self->fd, "u", bad[i]);
	}

	/* incr wraps at 2^64, decr stops at 0 */
	ASSERT_EQ(0, kt_set(self->fd, "u", "18446744073709551614"));
	ASSERT_EQ(0, incr_u(self->fd, KC_OP_INCRBY, "u", 3, &n));
	EXPECT_EQ(1, n);
	/* shorter: padded with spaces to the old length */
	EXPECT_VAL(self->fd, "u", "1                   ", 20);
	ASSERT_EQ(0, incr_u(self->fd, KC_OP_INCRBY, "u", 9, &n));
	EXPECT_EQ(10, n);
	EXPECT_VAL(self->fd, "u", "10                  ", 20);
	ASSERT_EQ(0, kt_set(self->fd, "u", "5"));
	ASSERT_EQ(0, incr_u(self->fd, KC_OP_DECRBY, "u", 9, &n));
	EXPECT_EQ(0, n);
	EXPECT_STRVAL(self->fd, "u", "0");
	/* a delta of 2^63 and up is unsigned, not negative */
	ASSERT_EQ(0, incr_u(self->fd, KC_OP_INCRBY, "u", UINT64_MAX, &n));
	EXPECT_EQ(UINT64_MAX, n);
	EXPECT_STRVAL(self->fd, "u", "18446744073709551615");
	/* longer than before: no padding */
	ASSERT_EQ(0, kt_set(self->fd, "u", "99"));
	ASSERT_EQ(0, incr_u(self->fd, KC_OP_INCRBY, "u", 1, &n));
	EXPECT_EQ(100, n);
	EXPECT_STRVAL(self->fd, "u", "100");

	/* a missing key is not created */
	EXPECT_EQ(-ENOENT, incr_u(self->fd, KC_OP_INCRBY, "none", 1, &n));
	EXPECT_EQ(-ENOENT, incr_u(self->fd, KC_OP_DECRBY, "none", 1, &n));
	prep(&op, KC_OP_EXISTS, 0, "none");
	EXPECT_EQ(-ENOENT, kc_do(self->fd, &op));

	/* expiry and client_flags kept, a new CAS version */
	ASSERT_EQ(0, kc_store(self->fd, KC_OP_SET, 0, "f", 1, "1", 1, 0xabcd,
			      100, &cas0));
	ASSERT_EQ(0, incr_u(self->fd, KC_OP_INCRBY, "f", 1, &n));
	EXPECT_EQ(2, n);
	EXPECT_EQ(100, ttl_s(self->fd, "f"));
	prep(&op, KC_OP_GET, 0, "f");
	{
		char v[8];

		kc_op_out(&op, v, sizeof(v));
		ASSERT_EQ(0, kc_do(self->fd, &op));
		cas1 = op.cas;
		EXPECT_EQ(0xabcd, op.client_flags);
		EXPECT_EQ(1, op.out_used);
		EXPECT_EQ('2', v[0]);
	}
	EXPECT_NE(cas0, cas1);

	/* only INCRBY and DECRBY take the flag */
	prep(&op, KC_OP_APPEND, KC_INCR_UNSIGNED, "u");
	kc_op_val(&op, "x", 1);
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
}

TEST_F(ops, decrby_int64_min_on_minus_one)
{
	int64_t n = 0;
	int ret;

	/*
	 * -1 - INT64_MIN == INT64_MAX fits; Redis still refuses any DECRBY
	 * of INT64_MIN because it negates the delta.  The module must do one
	 * of the two consistently.
	 */
	ASSERT_EQ(0, kt_set(self->fd, "o", "-1"));
	ret = kc_decrby(self->fd, "o", 1, INT64_MIN, &n);
	if (ret == 0) {
		EXPECT_EQ(INT64_MAX, n);
		EXPECT_STRVAL(self->fd, "o", "9223372036854775807");
		TH_LOG("DECRBY -1 by INT64_MIN = INT64_MAX (exact arithmetic)");
	} else {
		EXPECT_EQ(-EOVERFLOW, ret);
		EXPECT_STRVAL(self->fd, "o", "-1");
		TH_LOG("DECRBY by INT64_MIN refused (Redis rule)");
	}
}

TEST_F(ops, incrby_long_value)
{
	char v[64];
	int64_t n;

	/* 21 bytes and more are never an integer, whatever they hold. */
	memset(v, '1', sizeof(v));
	ASSERT_EQ(0, kc_set(self->fd, "l", 1, v, KC_INT_STR_MAX + 1, 0, 0, 0));
	EXPECT_EQ(-EDOM, kc_incrby(self->fd, "l", 1, 1, &n));
	ASSERT_EQ(0, kc_set(self->fd, "l", 1, v, sizeof(v), 0, 0, 0));
	EXPECT_EQ(-EDOM, kc_incrby(self->fd, "l", 1, 1, &n));
	EXPECT_VAL(self->fd, "l", v, sizeof(v));
}

TEST_F(ops, getbit_setbit)
{
	struct kc_op op;
	int bit = -1, old = -1;

	ASSERT_EQ(0, kc_set(self->fd, "b", 1, "\x80\x01", 2, 0, 0, 0));
	ASSERT_EQ(0, kc_getbit(self->fd, "b", 1, 0, &bit));
	EXPECT_EQ(1, bit);
	ASSERT_EQ(0, kc_getbit(self->fd, "b", 1, 1, &bit));
	EXPECT_EQ(0, bit);
	ASSERT_EQ(0, kc_getbit(self->fd, "b", 1, 7, &bit));
	EXPECT_EQ(0, bit);
	ASSERT_EQ(0, kc_getbit(self->fd, "b", 1, 15, &bit));
	EXPECT_EQ(1, bit);
	ASSERT_EQ(0, kc_getbit(self->fd, "b", 1, 14, &bit));
	EXPECT_EQ(0, bit);
	/* Past the end reads as 0. */
	ASSERT_EQ(0, kc_getbit(self->fd, "b", 1, 16, &bit));
	EXPECT_EQ(0, bit);
	ASSERT_EQ(0, kc_getbit(self->fd, "b", 1, 1000000, &bit));
	EXPECT_EQ(0, bit);

	/* A missing key reads as all zero (Redis), not as a miss. */
	prep(&op, KC_OP_GETBIT, 0, "nob");
	op.num = 5;
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0, op.num);
	EXPECT_MISSING(self->fd, "nob");

	/* SETBIT creates and extends with zero bytes, returns the old bit. */
	ASSERT_EQ(0, kc_setbit(self->fd, "s", 1, 10, 1, &old));
	EXPECT_EQ(0, old);
	EXPECT_VAL(self->fd, "s", "\x00\x20", 2);
	ASSERT_EQ(0, kc_setbit(self->fd, "s", 1, 10, 1, &old));
	EXPECT_EQ(1, old);
	ASSERT_EQ(0, kc_setbit(self->fd, "s", 1, 10, 0, &old));
	EXPECT_EQ(1, old);
	EXPECT_VAL(self->fd, "s", "\x00\x00", 2);
	ASSERT_EQ(0, kc_setbit(self->fd, "s", 1, 7, 1, &old));
	EXPECT_EQ(0, old);
	ASSERT_EQ(0, kc_setbit(self->fd, "s", 1, 0, 1, &old));
	EXPECT_VAL(self->fd, "s", "\x81\x00", 2);
	ASSERT_EQ(0, kc_setbit(self->fd, "s", 1, 39, 1, &old));
	EXPECT_VAL(self->fd, "s", "\x81\x00\x00\x00\x01", 5);

	/* The bit must be 0 or 1, the offset not negative. */
	prep(&op, KC_OP_SETBIT, 0, "s");
	op.num = 1;
	op.num2 = 2;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	prep(&op, KC_OP_SETBIT, 0, "s");
	op.num = 1;
	op.num2 = -1;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	prep(&op, KC_OP_SETBIT, 0, "s");
	op.num = -1;
	op.num2 = 1;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	prep(&op, KC_OP_GETBIT, 0, "s");
	op.num = -1;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	EXPECT_VAL(self->fd, "s", "\x81\x00\x00\x00\x01", 5);

	/* The expiry is kept, as for every in-place change. */
	ASSERT_EQ(0, kc_expire(self->fd, "s", 1, 100, 0));
	ASSERT_EQ(0, kc_setbit(self->fd, "s", 1, 1, 1, &old));
	EXPECT_EQ(100, ttl_s(self->fd, "s"));
}

TEST_F(ops, setbit_limits)
{
	uint64_t bits = (uint64_t)self->item_size_max * 8, len = 0;
	int old = -1;

	EXPECT_EQ(-E2BIG, kc_setbit(self->fd, "lim", 3, bits, 1, &old));
	EXPECT_MISSING(self->fd, "lim");
	EXPECT_EQ(-E2BIG, kc_setbit(self->fd, "lim", 3, INT64_MAX, 1, &old));
	ASSERT_EQ(0, kc_setbit(self->fd, "lim", 3, bits - 1, 1, &old));
	EXPECT_EQ(0, old);
	ASSERT_EQ(0, kc_strlen(self->fd, "lim", 3, &len));
	EXPECT_EQ(self->item_size_max, len);
	ASSERT_EQ(0, kc_getbit(self->fd, "lim", 3, bits - 1, &old));
	EXPECT_EQ(1, old);
	ASSERT_EQ(0, kc_getbit(self->fd, "lim", 3, bits - 2, &old));
	EXPECT_EQ(0, old);
}

TEST_F(ops, touch)
{
	struct kc_stats st0, st1;
	uint64_t cas;
	int64_t ms;

	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	EXPECT_EQ(-ENOENT, kc_touch(self->fd, "t", 1, 100, 0));
	EXPECT_MISSING(self->fd, "t");

	ASSERT_EQ(0, kt_set(self->fd, "t", "v"));
	cas = kt_cas(self->fd, "t");
	ASSERT_EQ(0, kc_touch(self->fd, "t", 1, 100, 0));
	EXPECT_EQ(100, ttl_s(self->fd, "t"));
	EXPECT_EQ(cas, kt_cas(self->fd, "t"));
	ASSERT_EQ(0, kc_touch(self->fd, "t", 1, 5000, KC_TTL_MS));
	ms = kt_ttl_ms(self->fd, "t");
	EXPECT_LT(4000, ms);
	EXPECT_GE(5000, ms);
	/* 0 means no expiry, as memcached's touch. */
	ASSERT_EQ(0, kc_touch(self->fd, "t", 1, 0, 0));
	EXPECT_EQ(-1, ttl_s(self->fd, "t"));
	EXPECT_EQ(cas, kt_cas(self->fd, "t"));
	EXPECT_STRVAL(self->fd, "t", "v");

	ASSERT_EQ(0, kc_stats(self->fd, &st1));
	EXPECT_EQ(st0.cmd_touch + 4, st1.cmd_touch);
	/* Expiry as for SET: negative is invalid. */
	EXPECT_EQ(-EINVAL, kc_touch(self->fd, "t", 1, -1, 0));
}

TEST_F(ops, get_touch)
{
	char buf[8];
	struct kc_op op;
	uint64_t cas;

	ASSERT_EQ(0, kt_set(self->fd, "gat", "v"));
	cas = kt_cas(self->fd, "gat");
	prep(&op, KC_OP_GET, KC_GET_TOUCH, "gat");
	kc_op_out(&op, buf, sizeof(buf));
	op.expire = 100;
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(1U, op.out_used);
	EXPECT_EQ('v', buf[0]);
	EXPECT_EQ(cas, op.cas);
	EXPECT_EQ(100, ttl_s(self->fd, "gat"));

	prep(&op, KC_OP_GET, KC_GET_TOUCH, "gatmiss");
	kc_op_out(&op, buf, sizeof(buf));
	op.expire = 100;
	EXPECT_EQ(-ENOENT, kc_do(self->fd, &op));
	EXPECT_MISSING(self->fd, "gatmiss");
}

/*
 * A touching GET to a past time whose reply buffer is not yet faulted in:
 * the kernel writes replies with page faults disabled, faults the page in
 * and runs the op again, and the second run must still find the item.
 */
TEST_F(ops, get_touch_past_into_unfaulted_buffer)
{
	struct kc_op op;
	char *buf;

	ASSERT_EQ(0, kt_set(self->fd, "gatpast", "v"));
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	prep(&op, KC_OP_GET, KC_GET_TOUCH | KC_TTL_ABS, "gatpast");
	kc_op_out(&op, buf, 4096);
	op.expire = 1;		/* 1970: expires at once */
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(1U, op.out_used);
	EXPECT_EQ('v', buf[0]);
	EXPECT_MISSING(self->fd, "gatpast");
	munmap(buf, 4096);
}

TEST_F(ops, expire_conditions)
{
	uint64_t cas;

	EXPECT_EQ(-ENOENT, kc_expire(self->fd, "x", 1, 100, 0));

	/* No expiry counts as an infinite one. */
	ASSERT_EQ(0, kt_set(self->fd, "x", "v"));
	EXPECT_EQ(-EEXIST, kc_expire(self->fd, "x", 1, 100, KC_EXPIRE_XX));
	EXPECT_EQ(-EEXIST, kc_expire(self->fd, "x", 1, 100, KC_EXPIRE_GT));
	EXPECT_EQ(-1, ttl_s(self->fd, "x"));
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 100, KC_EXPIRE_LT));
	EXPECT_EQ(100, ttl_s(self->fd, "x"));

	ASSERT_EQ(0, kt_set(self->fd, "x", "v"));
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 100, KC_EXPIRE_NX));
	EXPECT_EQ(100, ttl_s(self->fd, "x"));
	EXPECT_EQ(-EEXIST, kc_expire(self->fd, "x", 1, 200, KC_EXPIRE_NX));
	EXPECT_EQ(100, ttl_s(self->fd, "x"));
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 200, KC_EXPIRE_XX));
	EXPECT_EQ(200, ttl_s(self->fd, "x"));
	EXPECT_EQ(-EEXIST, kc_expire(self->fd, "x", 1, 150, KC_EXPIRE_GT));
	EXPECT_EQ(200, ttl_s(self->fd, "x"));
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 300, KC_EXPIRE_GT));
	EXPECT_EQ(300, ttl_s(self->fd, "x"));
	EXPECT_EQ(-EEXIST, kc_expire(self->fd, "x", 1, 400, KC_EXPIRE_LT));
	EXPECT_EQ(300, ttl_s(self->fd, "x"));
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 50, KC_EXPIRE_LT));
	EXPECT_EQ(50, ttl_s(self->fd, "x"));
	/* Milliseconds and no condition. */
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 70000, KC_TTL_MS));
	EXPECT_EQ(70, ttl_s(self->fd, "x"));

	/* Conditions that contradict each other (Redis: error). */
	EXPECT_EQ(-EINVAL, kc_expire(self->fd, "x", 1, 10,
				     KC_EXPIRE_NX | KC_EXPIRE_XX));
	EXPECT_EQ(-EINVAL, kc_expire(self->fd, "x", 1, 10,
				     KC_EXPIRE_GT | KC_EXPIRE_LT));
	EXPECT_EQ(-EINVAL, kc_expire(self->fd, "x", 1, 10,
				     KC_EXPIRE_NX | KC_EXPIRE_GT));
	EXPECT_EQ(70, ttl_s(self->fd, "x"));

	/* EXPIRE is a write: new CAS version. */
	cas = kt_cas(self->fd, "x");
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 80, 0));
	EXPECT_LT(cas, kt_cas(self->fd, "x"));

	/* A time that is not in the future deletes the key. */
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 0, 0));
	EXPECT_MISSING(self->fd, "x");
	ASSERT_EQ(0, kt_set(self->fd, "x", "v"));
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, 1, KC_TTL_ABS));
	EXPECT_MISSING(self->fd, "x");
	ASSERT_EQ(0, kt_set(self->fd, "x", "v"));
	EXPECT_EQ(0, kc_expire(self->fd, "x", 1, kt_now_ms() - 1,
			       KC_TTL_ABS | KC_TTL_MS));
	EXPECT_MISSING(self->fd, "x");
}

TEST_F(ops, persist)
{
	uint64_t cas;

	EXPECT_EQ(-ENOENT, kc_persist(self->fd, "p", 1));
	ASSERT_EQ(0, kt_set(self->fd, "p", "v"));
	EXPECT_EQ(-EEXIST, kc_persist(self->fd, "p", 1));
	ASSERT_EQ(0, kc_expire(self->fd, "p", 1, 100, 0));
	cas = kt_cas(self->fd, "p");
	EXPECT_EQ(0, kc_persist(self->fd, "p", 1));
	EXPECT_EQ(-1, ttl_s(self->fd, "p"));
	EXPECT_LT(cas, kt_cas(self->fd, "p"));
	EXPECT_EQ(-EEXIST, kc_persist(self->fd, "p", 1));
	EXPECT_STRVAL(self->fd, "p", "v");
}

TEST_F(ops, ttl)
{
	int64_t t = 0;

	EXPECT_EQ(-ENOENT, kc_ttl(self->fd, "t", 1, 0, &t));
	EXPECT_EQ(-ENOENT, kc_ttl(self->fd, "t", 1, KC_TTL_MS, &t));
	ASSERT_EQ(0, kt_set(self->fd, "t", "v"));
	ASSERT_EQ(0, kc_ttl(self->fd, "t", 1, 0, &t));
	EXPECT_EQ(-1, t);
	ASSERT_EQ(0, kc_ttl(self->fd, "t", 1, KC_TTL_MS, &t));
	EXPECT_EQ(-1, t);

	/* Seconds round to nearest: (ms + 500) / 1000. */
	ASSERT_EQ(0, kc_expire(self->fd, "t", 1, 1400, KC_TTL_MS));
	EXPECT_EQ(1, ttl_s(self->fd, "t"));
	ASSERT_EQ(0, kc_expire(self->fd, "t", 1, 1800, KC_TTL_MS));
	EXPECT_EQ(2, ttl_s(self->fd, "t"));
	ASSERT_EQ(0, kc_expire(self->fd, "t", 1, 300, KC_TTL_MS));
	EXPECT_EQ(0, ttl_s(self->fd, "t"));
	ASSERT_EQ(0, kc_ttl(self->fd, "t", 1, KC_TTL_MS, &t));
	EXPECT_LT(0, t);
	EXPECT_GE(300, t);

	/* An absolute expiry reads back as the time left. */
	ASSERT_EQ(0, kc_expire(self->fd, "t", 1, kt_now_ms() / 1000 + 1000,
			       KC_TTL_ABS));
	ASSERT_EQ(0, kc_ttl(self->fd, "t", 1, 0, &t));
	EXPECT_LE(998, t);
	EXPECT_GE(1000, t);
}

/* Expected size of an MGET reply for value lengths (-1: miss). */
static size_t mget_size(const int *lens, size_t n)
{
	size_t i, sz = 0;

	for (i = 0; i < n; i++)
		sz += KC_ELEM_SIZE(lens[i] < 0 ? 0U : (__u32)lens[i]);
	return sz;
}

TEST_F(ops, mget)
{
	static const char *const keys[] = { "a", "missing", "b", "empty" };
	static const int lens[] = { 1, -1, 11, 0 };
	static const char *const vals[] = { "1", NULL, "22222222222", "" };
	unsigned char buf[256];
	struct kc_buf args[4];
	const struct kc_elem *e;
	struct kc_elem_iter it;
	const void *data;
	size_t i, used = 0, count = 0, need = mget_size(lens, 4);

	ASSERT_EQ(0, kt_set(self->fd, "a", "1"));
	ASSERT_EQ(0, kt_set(self->fd, "b", "22222222222"));
	ASSERT_EQ(0, kt_set(self->fd, "empty", ""));
	for (i = 0; i < 4; i++)
		kc_buf_set(&args[i], keys[i], strlen(keys[i]));

	memset(buf, 0xee, sizeof(buf));
	ASSERT_EQ(0, kc_mget(self->fd, args, 4, buf, sizeof(buf), &used, &count));
	EXPECT_EQ(4, count);
	EXPECT_EQ(need, used);

	kc_elem_iter_init(&it, buf, used, count);
	for (i = 0; i < 4; i++) {
		e = kc_elem_next(&it, &data);
		ASSERT_NE(NULL, e);
		if (lens[i] < 0) {
			EXPECT_EQ(KC_ELEM_NIL, e->flags);
			EXPECT_EQ(0U, e->len);
			continue;
		}
		EXPECT_EQ(0U, e->flags);
		ASSERT_EQ((__u32)lens[i], e->len);
		EXPECT_EQ(0, memcmp(data, vals[i], e->len));
		/* Padding up to the next record is zero. */
		{
			const unsigned char *p = data;
			size_t j, end = KC_ELEM_SIZE(e->len) - sizeof(*e);

			for (j = e->len; j < end; j++)
				EXPECT_EQ(0, p[j]);
		}
	}
	EXPECT_EQ(NULL, kc_elem_next(&it, &data));
	EXPECT_EQ(0, it.err);
	/* Nothing written past out_used. */
	EXPECT_EQ(0xee, buf[used]);

	/* Too small by one byte: nothing is lost, the size is reported. */
	ASSERT_EQ(-ENOSPC, kc_mget(self->fd, args, 4, buf, need - 1, &used, NULL));
	EXPECT_EQ(need, used);
	ASSERT_EQ(-ENOSPC, kc_mget(self->fd, args, 4, NULL, 0, &used, NULL));
	EXPECT_EQ(need, used);
	ASSERT_EQ(0, kc_mget(self->fd, args, 4, buf, need, &used, &count));
	EXPECT_EQ(need, used);
}

TEST_F(ops, mget_many)
{
	enum { N = 1000 };
	static struct kc_buf args[N];
	static char keys[N][16];
	const struct kc_elem *e;
	struct kc_elem_iter it;
	const void *data;
	size_t used = 0, count = 0, size = N * KC_ELEM_SIZE(16);
	unsigned char *buf = malloc(size);
	int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "mk%d", i);
		kc_buf_set(&args[i], keys[i], strlen(keys[i]));
		/* Every third key is missing; the value is the key itself. */
		if (i % 3)
			ASSERT_EQ(0, kt_set(self->fd, keys[i], keys[i]));
	}
	ASSERT_EQ(0, kc_mget(self->fd, args, N, buf, size, &used, &count));
	ASSERT_EQ(N, count);
	kc_elem_iter_init(&it, buf, used, count);
	for (i = 0; i < N; i++) {
		e = kc_elem_next(&it, &data);
		ASSERT_NE(NULL, e);
		if (i % 3 == 0) {
			EXPECT_EQ(KC_ELEM_NIL, e->flags);
			continue;
		}
		ASSERT_EQ(strlen(keys[i]), e->len);
		EXPECT_EQ(0, memcmp(data, keys[i], e->len));
	}
	EXPECT_EQ(used, it.off);
	free(buf);
}

TEST_F(ops, mget_bad_keys)
{
	struct kc_buf args[2];
	char big[KC_KEY_MAX + 1];
	unsigned char buf[64];

	memset(big, 'k', sizeof(big));
	kc_buf_set(&args[0], "a", 1);
	kc_buf_set(&args[1], "", 0);
	EXPECT_EQ(-EINVAL, kc_mget(self->fd, args, 2, buf, sizeof(buf), NULL, NULL));
	kc_buf_set(&args[1], big, sizeof(big));
	EXPECT_EQ(-ENAMETOOLONG, kc_mget(self->fd, args, 2, buf, sizeof(buf),
					 NULL, NULL));
}

TEST_F(ops, mset)
{
	struct kc_buf kv[6];
	struct kc_op op;

	kc_buf_set(&kv[0], "m1", 2);
	kc_buf_set(&kv[1], "v1", 2);
	kc_buf_set(&kv[2], "m2", 2);
	kc_buf_set(&kv[3], "", 0);
	kc_buf_set(&kv[4], "m3", 2);
	kc_buf_set(&kv[5], "v\0003", 3);
	ASSERT_EQ(0, kt_set_ex(self->fd, "m1", "old", 0, 100));
	ASSERT_EQ(0, kc_mset(self->fd, kv, 6));
	EXPECT_STRVAL(self->fd, "m1", "v1");
	EXPECT_VAL(self->fd, "m2", "", 0);
	EXPECT_VAL(self->fd, "m3", "v\0003", 3);
	/* MSET is SET: the old expiry goes. */
	EXPECT_EQ(-1, ttl_s(self->fd, "m1"));

	ASSERT_EQ(0, kc_flush(self->fd));
	/* An odd count or none at all is rejected before anything is set. */
	EXPECT_EQ(-EINVAL, kc_mset(self->fd, kv, 5));
	EXPECT_MISSING(self->fd, "m1");
	EXPECT_EQ(-EINVAL, kc_mset(self->fd, kv, 0));
	kc_op_init(&op, KC_OP_MSET);
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));

	kc_buf_set(&kv[0], "", 0);
	EXPECT_EQ(-EINVAL, kc_mset(self->fd, kv, 2));
}

/* MSETNX: all or nothing. */
TEST_F(ops, mset_nx)
{
	struct kc_buf kv[6];

	kc_buf_set(&kv[0], "x1", 2);
	kc_buf_set(&kv[1], "a", 1);
	kc_buf_set(&kv[2], "x2", 2);
	kc_buf_set(&kv[3], "b", 1);
	kc_buf_set(&kv[4], "x3", 2);
	kc_buf_set(&kv[5], "c", 1);
	ASSERT_EQ(0, kt_set(self->fd, "x3", "old"));
	{
		struct kc_op op;

		kc_op_init(&op, KC_OP_MSET);
		op.flags = KC_SET_NX;
		kc_op_args(&op, kv, 6);
		EXPECT_EQ(-EEXIST, kc_do(self->fd, &op));
		EXPECT_MISSING(self->fd, "x1");
		EXPECT_MISSING(self->fd, "x2");
		EXPECT_STRVAL(self->fd, "x3", "old");

		kc_op_init(&op, KC_OP_MSET);
		op.flags = KC_SET_NX;
		kc_op_args(&op, kv, 4);
		EXPECT_EQ(0, kc_do(self->fd, &op));
		EXPECT_STRVAL(self->fd, "x1", "a");
		EXPECT_STRVAL(self->fd, "x2", "b");
	}
}

TEST_F(ops, mset_too_big)
{
	size_t n = self->item_size_max + 1;
	struct kc_buf kv[2];
	char *v = calloc(1, n);

	ASSERT_NE(NULL, v);
	kc_buf_set(&kv[0], "mb", 2);
	kc_buf_set(&kv[1], v, n);
	EXPECT_EQ(-E2BIG, kc_mset(self->fd, kv, 2));
	EXPECT_MISSING(self->fd, "mb");
	kc_buf_set(&kv[1], v, n - 1);
	EXPECT_EQ(0, kc_mset(self->fd, kv, 2));
	free(v);
}

TEST_F(ops, strlen)
{
	uint64_t len = 99;

	EXPECT_EQ(-ENOENT, kc_strlen(self->fd, "s", 1, &len));
	ASSERT_EQ(0, kt_set(self->fd, "s", "hello"));
	ASSERT_EQ(0, kc_strlen(self->fd, "s", 1, &len));
	EXPECT_EQ(5, len);
	ASSERT_EQ(0, kc_set(self->fd, "s", 1, "a\0b\0", 4, 0, 0, 0));
	ASSERT_EQ(0, kc_strlen(self->fd, "s", 1, &len));
	EXPECT_EQ(4, len);
}

TEST_F(ops, getdel)
{
	char buf[16];
	struct kc_op op;

	prep(&op, KC_OP_GETDEL, 0, "gd");
	kc_op_out(&op, buf, sizeof(buf));
	EXPECT_EQ(-ENOENT, kc_do(self->fd, &op));

	prep(&op, KC_OP_SET, 0, "gd");
	kc_op_val(&op, "value", 5);
	op.client_flags = 3;
	ASSERT_EQ(0, kc_do(self->fd, &op));

	/* A reply that does not fit deletes nothing. */
	prep(&op, KC_OP_GETDEL, 0, "gd");
	kc_op_out(&op, buf, 2);
	EXPECT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_EQ(5U, op.out_used);
	EXPECT_EQ(0, kc_exists(self->fd, "gd", 2));

	prep(&op, KC_OP_GETDEL, 0, "gd");
	kc_op_out(&op, buf, sizeof(buf));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(5U, op.out_used);
	EXPECT_EQ(0, memcmp(buf, "value", 5));
	EXPECT_EQ(3U, op.client_flags);
	EXPECT_MISSING(self->fd, "gd");
}

static int getrange(int fd, const char *key, int64_t start, int64_t end,
		    char *buf, size_t size, size_t *used)
{
	struct kc_op op;
	int ret;

	prep(&op, KC_OP_GETRANGE, 0, key);
	kc_op_out(&op, buf, size);
	op.num = start;
	op.num2 = end;
	ret = kc_do(fd, &op);
	*used = op.out_used;
	return ret;
}

TEST_F(ops, getrange)
{
	static const struct {
		int64_t start, end;
		const char *want;
	} cases[] = {
		{ 0, 3, "Hell" },
		{ -3, -1, "rld" },
		{ 0, -1, "Hello World" },
		{ 10, 100, "d" },
		{ 6, 6, "W" },
		{ 5, 3, "" },
		{ -100, 2, "Hel" },
		{ 11, 20, "" },
		{ 100, 200, "" },
		{ -1, -5, "" },
		{ -5, -1, "World" },
		{ 0, INT64_MAX, "Hello World" },
		{ INT64_MIN, INT64_MAX, "Hello World" },
	};
	char buf[32];
	size_t used, i;

	ASSERT_EQ(0, kt_set(self->fd, "r", "Hello World"));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(0, getrange(self->fd, "r", cases[i].start, cases[i].end,
				      buf, sizeof(buf), &used));
		EXPECT_EQ(strlen(cases[i].want), used) {
			TH_LOG("GETRANGE %lld %lld", (long long)cases[i].start,
			       (long long)cases[i].end);
		}
		EXPECT_STREQ(cases[i].want, buf);
	}

	/* A missing key is an empty string, not a miss. */
	EXPECT_EQ(0, getrange(self->fd, "nor", 0, -1, buf, sizeof(buf), &used));
	EXPECT_EQ(0, used);

	EXPECT_EQ(-ENOSPC, getrange(self->fd, "r", 0, -1, buf, 5, &used));
	EXPECT_EQ(11, used);
	EXPECT_EQ(0, getrange(self->fd, "r", 0, 4, buf, 5, &used));
	EXPECT_EQ(5, used);
}

static int setrange(int fd, const char *key, int64_t off, const void *val,
		    size_t len, int64_t *newlen)
{
	struct kc_op op;
	int ret;

	prep(&op, KC_OP_SETRANGE, 0, key);
	kc_op_val(&op, val, len);
	op.num = off;
	ret = kc_do(fd, &op);
	*newlen = op.num;
	return ret;
}

TEST_F(ops, setrange)
{
	int64_t n = -1;
	char want[32];

	ASSERT_EQ(0, setrange(self->fd, "sr", 5, "ab", 2, &n));
	EXPECT_EQ(7, n);
	EXPECT_VAL(self->fd, "sr", "\0\0\0\0\0ab", 7);

	ASSERT_EQ(0, kt_set(self->fd, "sr", "Hello World"));
	ASSERT_EQ(0, setrange(self->fd, "sr", 6, "Redis", 5, &n));
	EXPECT_EQ(11, n);
	EXPECT_STRVAL(self->fd, "sr", "Hello Redis");
	ASSERT_EQ(0, setrange(self->fd, "sr", 20, "x", 1, &n));
	EXPECT_EQ(21, n);
	memset(want, 0, sizeof(want));
	memcpy(want, "Hello Redis", 11);
	want[20] = 'x';
	EXPECT_VAL(self->fd, "sr", want, 21);
	ASSERT_EQ(0, setrange(self->fd, "sr", 0, "J", 1, &n));
	EXPECT_EQ(21, n);
	want[0] = 'J';
	EXPECT_VAL(self->fd, "sr", want, 21);

	/* Nothing to write: the length, and no key created. */
	ASSERT_EQ(0, setrange(self->fd, "sr", 100, "", 0, &n));
	EXPECT_EQ(21, n);
	EXPECT_VAL(self->fd, "sr", want, 21);
	ASSERT_EQ(0, setrange(self->fd, "nosr", 0, "", 0, &n));
	EXPECT_EQ(0, n);
	EXPECT_MISSING(self->fd, "nosr");

	EXPECT_EQ(-EINVAL, setrange(self->fd, "sr", -1, "x", 1, &n));
	EXPECT_EQ(-E2BIG, setrange(self->fd, "sr", self->item_size_max, "x", 1, &n));
	EXPECT_EQ(-E2BIG, setrange(self->fd, "sr", INT64_MAX, "x", 1, &n));
	EXPECT_VAL(self->fd, "sr", want, 21);

	/* The expiry is kept. */
	ASSERT_EQ(0, kc_expire(self->fd, "sr", 2, 100, 0));
	ASSERT_EQ(0, setrange(self->fd, "sr", 1, "e", 1, &n));
	EXPECT_EQ(100, ttl_s(self->fd, "sr"));
}

TEST_F(ops, type)
{
	uint32_t t = 99;

	ASSERT_EQ(0, kc_type(self->fd, "ty", 2, &t));
	EXPECT_EQ(KC_TYPE_NONE, t);
	ASSERT_EQ(0, kt_set(self->fd, "ty", "v"));
	ASSERT_EQ(0, kc_type(self->fd, "ty", 2, &t));
	EXPECT_EQ(KC_TYPE_STRING, t);
}

TEST_F(ops, flush)
{
	struct kc_stats st;
	char key[16];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		ASSERT_EQ(0, kt_set(self->fd, key, key));
	}
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(50, st.curr_items);
	ASSERT_EQ(0, kc_flush(self->fd));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(0, st.curr_items);
	EXPECT_EQ(0, st.hash_items);
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		EXPECT_MISSING(self->fd, key);
	}
}

/*
 * FLUSH needs CAP_SYS_ADMIN: a child drops just that capability, opens the
 * device afresh (root still owns the 0600 node) and must get -EPERM, on its
 * own descriptor and on the one it inherited from a privileged opener.
 * Exit codes: 0 -EPERM as expected, 1 setup failed, 2 FLUSH succeeded on
 * the new descriptor, 3 another result, 4 FLUSH succeeded on the inherited
 * descriptor (the check used the opener's credentials, not the caller's).
 */
TEST_F(ops, flush_needs_cap_sys_admin)
{
	int status = 0, fd;
	pid_t pid;

	ASSERT_EQ(0, kt_set(self->fd, "keep", "me"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ret;

		if (kt_drop_cap(CAP_SYS_ADMIN) || kt_have_cap(CAP_SYS_ADMIN))
			_exit(1);
		fd = kc_open();
		if (fd < 0)
			_exit(1);
		ret = kc_flush(fd);
		if (!ret)
			_exit(2);
		if (ret != -EPERM)
			_exit(3);
		ret = kc_flush(self->fd);
		if (!ret)
			_exit(4);
		_exit(ret == -EPERM ? 0 : 3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_STRVAL(self->fd, "keep", "me");
}

TEST_F(ops, stats_counters)
{
	struct kc_stats st0, st1;
	char buf[16];

	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	EXPECT_EQ(0, st0.curr_items);
	ASSERT_EQ(0, kt_set(self->fd, "s1", "a"));
	ASSERT_EQ(0, kt_set(self->fd, "s22", "bb"));
	ASSERT_EQ(0, kt_set(self->fd, "s333", "ccc"));
	EXPECT_EQ(3, kt_get(self->fd, "s333", buf, sizeof(buf)));
	EXPECT_EQ(1, kt_get(self->fd, "s1", buf, sizeof(buf)));
	EXPECT_EQ(-ENOENT, kt_get(self->fd, "s4", buf, sizeof(buf)));
	ASSERT_EQ(0, kc_stats(self->fd, &st1));

	EXPECT_EQ(st0.cmd_set + 3, st1.cmd_set);
	EXPECT_EQ(st0.total_items + 3, st1.total_items);
	EXPECT_EQ(3, st1.curr_items);
	EXPECT_EQ(3, st1.hash_items);
	/* Key plus value bytes: 2+1, 3+2, 4+3. */
	EXPECT_EQ(st0.bytes + 3 + 5 + 7, st1.bytes);
	EXPECT_EQ(st0.cmd_get + 3, st1.cmd_get);
	EXPECT_EQ(st0.get_hits + 2, st1.get_hits);
	EXPECT_EQ(st0.get_misses + 1, st1.get_misses);

	/* Overwriting replaces the bytes, deleting removes them. */
	ASSERT_EQ(0, kt_set(self->fd, "s1", "aaaa"));
	ASSERT_EQ(0, kc_del(self->fd, "s22", 3, 0));
	ASSERT_EQ(0, kc_stats(self->fd, &st1));
	EXPECT_EQ(2, st1.curr_items);
	EXPECT_EQ(st0.bytes + 6 + 7, st1.bytes);
	EXPECT_EQ(st0.total_items + 4, st1.total_items);
}

TEST_HARNESS_MAIN
