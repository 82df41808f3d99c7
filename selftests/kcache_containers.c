// SPDX-License-Identifier: GPL-2.0
/*
 * What lists, hashes and sets share, against Redis's documented semantics
 * as uapi/linux/kcache.h maps them onto the ABI (the per-type operations
 * are in kcache_list.c, kcache_hash.c and kcache_set.c):
 *
 *   - the wrong type is -EPROTOTYPE (WRONGTYPE) and changes nothing, both
 *     ways: string operations on containers and container operations on
 *     strings;
 *   - DEL, EXISTS, EXPIRE, TTL, PERSIST, TYPE and RENAME work on any type;
 *     SET replaces a container;
 *   - a reply buffer that is too small is -ENOSPC with out_used = the size
 *     needed, and a pop that did not fit pops nothing;
 *   - a deleted, replaced, expired or evicted container gives its chunks
 *     back.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_container.h"

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


/* ----------------------------------------------------------------- memory */

/*
 * Every way a container goes away gives its element chunks back: DEL,
 * SET over it, RENAME over it, a STORE over it, expiry, emptying it.
 */
TEST_F_TIMEOUT(types, container_memory_freed, 120)
{
	uint64_t used0, items0, used, items;
	int64_t total;

	ASSERT_NO_EARLIER_LEAK();

	ASSERT_EQ(0, kt_chunk_sums(self->fd, &used0, &items0));
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_RPUSH, "l", 0, 5000, &total, NULL));
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_HSET, "h", 0, 5000, &total, NULL));
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_SADD, "s", 0, 5000, &total, NULL));
	ASSERT_EQ(0, kt_chunk_sums(self->fd, &used, &items));
	EXPECT_EQ(items0 + 3, items);
	EXPECT_LE(used0 + 15000, used);

	ASSERT_EQ(0, kc_del(self->fd, "l", 1, 0));
	ASSERT_EQ(0, kt_set(self->fd, "h", "string now"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "h", .val = "s").ret);
	ASSERT_EQ(0, kt_chunk_sums_settle(self->fd, used0 + 1, items0 + 1, &used, &items));
	EXPECT_EQ(items0 + 1, items);
	EXPECT_EQ(used0 + 1, used) {
		TH_LOG("%llu chunks still used after DEL, SET, RENAME over the containers",
		       (unsigned long long)(used - used0 - 1));
	}
	ASSERT_EQ(0, kc_del(self->fd, "s", 1, 0));

	/* A STORE over a set, then emptying by SPOP. */
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_SADD, "a", 0, 3000, &total, NULL));
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_SADD, "b", 2000, 4000, &total,
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
	ASSERT_EQ(0, kt_chunk_sums_settle(self->fd, used0, items0, &used, &items));
	EXPECT_EQ(items0, items);
	EXPECT_EQ(used0, used);

	/* Expiry, found by a lookup. */
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_RPUSH, "l", 0, 3000, &total, NULL));
	ASSERT_EQ(0, kc_expire(self->fd, "l", 1, 200, KC_TTL_MS));
	kt_sleep_ms(400);
	EXPECT_GONE("l");
	ASSERT_EQ(0, kt_chunk_sums_settle(self->fd, used0, items0, &used, &items));
	EXPECT_EQ(items0, items);
	EXPECT_EQ(used0, used);
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

	ASSERT_EQ(0, kt_fresh_limit(self->fd, 32));
	ASSERT_EQ(0, kt_chunk_sums(self->fd, &used0, &items0));
	ASSERT_EQ(0, kt_big_op(self->fd, KC_OP_SADD, "set", 0, 30000, &total,
			    NULL));
	ASSERT_EQ(30000, total);
	ASSERT_EQ(0, kt_chunk_sums(self->fd, &used, &items));
	EXPECT_LE(used0 + 30000, used);
	ASSERT_EQ(0, kc_stats(self->fd, &st0));

	/* Down to 2 MiB: the set no longer fits. */
	ASSERT_EQ(0, kt_set_memory_limit_mb(self->fd, 2));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_GE(st.limit_bytes, st.used_bytes);
	EXPECT_LT(st0.evictions, st.evictions);
	EXPECT_GONE("set");
	ASSERT_EQ(0, kt_chunk_sums_settle(self->fd, used0, items0, &used, &items));
	EXPECT_EQ(items0, items);
	EXPECT_EQ(used0, used) {
		TH_LOG("%lld chunks still used after the set was evicted",
		       (long long)(used - used0));
	}
}

/*
 * RENAME and RENAMENX of a key to its own name: Redis answers OK and 0 and
 * changes nothing.  Last in this file, and this file after kcache_set in
 * selftests/TESTS, on purpose: a reference leaked here would pin the key's
 * chunks (and their slab pages) for good and make the memory tests fail
 * for a reason of no concern to them.
 */
TEST_F(types, rename_to_itself)
{
	uint64_t used0, items0, used, items;
	char txt[KT_STR], buf[16];

	ASSERT_EQ(0, kt_chunk_sums(self->fd, &used0, &items0));
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
	ASSERT_EQ(0, kt_chunk_sums_settle(self->fd, used0, items0, &used, &items));
	EXPECT_EQ(items0, items);
	EXPECT_EQ(used0, used) {
		TH_LOG("%lld chunks of the deleted keys are still in use: RENAME to itself kept a reference",
		       (long long)(used - used0));
	}
}


TEST_HARNESS_MAIN
