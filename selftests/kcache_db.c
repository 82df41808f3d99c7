// SPDX-License-Identifier: GPL-2.0
/*
 * Databases (Redis's SELECT 0..15): kc_op.db picks the database of every
 * op; the same name in two databases is two keys.  DBSIZE counts one
 * database, MOVE moves a key between two, SWAPDB swaps two at once for
 * every client, FLUSH with KC_FLUSH_DB empties one, SCAN walks one, a
 * transaction's watch names its key's database.  An older caller (a
 * struct kc_op of KC_OP_SIZE_VER0 bytes) is in database 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_types.h"

FIXTURE(db) {
	int fd;
};

FIXTURE_SETUP(db)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kc_flush(self->fd));
}

FIXTURE_TEARDOWN(db)
{
	kc_flush(self->fd);
	close(self->fd);
}

/* SET key = val in database db. */
static int set_in(int fd, uint32_t db, const char *key, const char *val)
{
	return KT(fd, KC_OP_SET, key, .val = val, .db = db).ret;
}

/* GET key of database db as text ("" with the error when it misses). */
static struct kt_out get_in(int fd, uint32_t db, const char *key)
{
	return KT(fd, KC_OP_GET, key, .db = db);
}

static int64_t dbsize(int fd, uint32_t db)
{
	struct kt_out r = KT(fd, KC_OP_DBSIZE, NULL, .db = db);

	return r.ret ? r.ret : r.num;
}

/* TTL of key in database db, in ms (or -errno). */
static int64_t ttl_ms_in(int fd, uint32_t db, const char *key)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_TTL);
	kc_op_key(&op, key, strlen(key));
	op.flags = KC_TTL_MS;
	op.db = db;
	ret = kc_do(fd, &op);
	return ret ? ret : op.expire;
}

static int swapdb(int fd, int64_t a, int64_t b)
{
	return KT(fd, KC_OP_SWAPDB, NULL, .num = a, .num2 = b).ret;
}

TEST_F(db, same_name_is_a_key_per_database)
{
	struct kt_out r;
	uint32_t db;

	for (db = 0; db < KC_DB_COUNT; db++) {
		char val[8];

		snprintf(val, sizeof(val), "v%u", db);
		ASSERT_EQ(0, set_in(self->fd, db, "k", val));
	}
	for (db = 0; db < KC_DB_COUNT; db++) {
		char val[8];

		snprintf(val, sizeof(val), "v%u", db);
		r = get_in(self->fd, db, "k");
		ASSERT_EQ(0, r.ret);
		EXPECT_STREQ(val, r.s);
		EXPECT_EQ(1, dbsize(self->fd, db));
	}
	/* A delete, a type and a container stay in their database. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_DEL, "k", .db = 5).ret);
	EXPECT_EQ(-ENOENT, get_in(self->fd, 5, "k").ret);
	EXPECT_EQ(0, get_in(self->fd, 4, "k").ret);
	EXPECT_EQ(0, dbsize(self->fd, 5));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "k", .db = 5,
			.args = { "x", "y" }).ret);
	EXPECT_EQ(KC_TYPE_LIST, KT(self->fd, KC_OP_TYPE, "k", .db = 5).num);
	EXPECT_EQ(KC_TYPE_STRING, KT(self->fd, KC_OP_TYPE, "k", .db = 6).num);
	EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_LLEN, "k", .db = 6).ret);
	EXPECT_EQ(2, KT(self->fd, KC_OP_LLEN, "k", .db = 5).num);
	/* The default (0) is database 0. */
	r = KT(self->fd, KC_OP_GET, "k");
	EXPECT_STREQ("v0", r.s);
}

TEST_F(db, out_of_range_and_reserved_are_einval)
{
	struct kc_op op;

	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_GET, "k", .db = KC_DB_COUNT).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_SET, "k", .val = "v",
			      .db = UINT32_MAX).ret);
	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, "k", 1);
	op.meta = 1;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_MOVE, "k", .num = 16).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_MOVE, "k", .num = -1).ret);
	EXPECT_EQ(-EINVAL, swapdb(self->fd, 0, 16));
	EXPECT_EQ(-EINVAL, swapdb(self->fd, -1, 0));
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_DBSIZE, NULL, .db = 16).ret);
}

/* A caller built against the first uapi: its op is 104 bytes, database 0. */
TEST_F(db, an_older_callers_op_is_database_zero)
{
	struct kc_op op;
	char buf[16];

	ASSERT_EQ(0, set_in(self->fd, 0, "old", "zero"));
	ASSERT_EQ(0, set_in(self->fd, 9, "old", "nine"));
	kc_op_init(&op, KC_OP_GET);
	op.size = KC_OP_SIZE_VER0;
	kc_op_key(&op, "old", 3);
	kc_op_out(&op, buf, sizeof(buf));
	/* Bytes past the old size must not be read: poison them. */
	op.db = 9;
	ASSERT_EQ(0, kc_do(self->fd, &op));
	ASSERT_EQ(4, op.out_used);
	EXPECT_EQ(0, memcmp(buf, "zero", 4));
	/* Nor written back: db keeps what the caller had there. */
	EXPECT_EQ(9, op.db);
}

TEST_F(db, dbsize_counts_one_database)
{
	char key[16];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "n%d", i);
		ASSERT_EQ(0, set_in(self->fd, 2, key, "v"));
		if (i < 30)
			ASSERT_EQ(0, set_in(self->fd, 3, key, "v"));
	}
	EXPECT_EQ(100, dbsize(self->fd, 2));
	EXPECT_EQ(30, dbsize(self->fd, 3));
	EXPECT_EQ(0, dbsize(self->fd, 0));
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "n%d", i);
		ASSERT_EQ(0, KT(self->fd, KC_OP_DEL, key, .db = 2).ret);
	}
	EXPECT_EQ(90, dbsize(self->fd, 2));
	EXPECT_EQ(30, dbsize(self->fd, 3));
	/* A replaced value is still one key. */
	ASSERT_EQ(0, set_in(self->fd, 3, "n0", "again"));
	EXPECT_EQ(30, dbsize(self->fd, 3));
}

TEST_F(db, move_keeps_value_and_expiry)
{
	struct kt_out r;
	int64_t ttl;

	ASSERT_EQ(0, KT(self->fd, KC_OP_SET, "m", .val = "val", .db = 1,
			.flags = KC_TTL_MS, .expire = 100000).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_MOVE, "m", .db = 1, .num = 7).ret);
	EXPECT_EQ(-ENOENT, get_in(self->fd, 1, "m").ret);
	r = get_in(self->fd, 7, "m");
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("val", r.s);
	ttl = ttl_ms_in(self->fd, 7, "m");
	EXPECT_LT(50000, ttl);
	EXPECT_GE(100000, ttl);
	EXPECT_EQ(0, dbsize(self->fd, 1));
	EXPECT_EQ(1, dbsize(self->fd, 7));

	/* The target has it: nothing changes on either side. */
	ASSERT_EQ(0, set_in(self->fd, 1, "m", "other"));
	EXPECT_EQ(-EEXIST, KT(self->fd, KC_OP_MOVE, "m", .db = 1,
			      .num = 7).ret);
	EXPECT_STREQ("other", get_in(self->fd, 1, "m").s);
	EXPECT_STREQ("val", get_in(self->fd, 7, "m").s);
	/* Missing; the same database. */
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_MOVE, "none", .num = 2).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_MOVE, "m", .db = 1,
			      .num = 1).ret);

	/* A container moves with its elements. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s", .args = { "a", "b", "c" })
		     .ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_MOVE, "s", .num = 15).ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SCARD, "s").ret);
	r = KT(self->fd, KC_OP_SMEMBERS, "s", .db = 15);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("a,b,c", r.s);
}

TEST_F(db, swapdb_swaps_for_every_client)
{
	int fd2;

	KT_ASSERT_OPEN(fd2);
	ASSERT_EQ(0, set_in(self->fd, 1, "a", "one"));
	ASSERT_EQ(0, set_in(self->fd, 1, "only1", "x"));
	ASSERT_EQ(0, set_in(self->fd, 2, "a", "two"));
	ASSERT_EQ(0, swapdb(self->fd, 1, 2));
	EXPECT_STREQ("two", get_in(fd2, 1, "a").s);
	EXPECT_STREQ("one", get_in(fd2, 2, "a").s);
	EXPECT_EQ(-ENOENT, get_in(fd2, 1, "only1").ret);
	EXPECT_EQ(0, get_in(fd2, 2, "only1").ret);
	EXPECT_EQ(1, dbsize(fd2, 1));
	EXPECT_EQ(2, dbsize(fd2, 2));
	/* Writes after the swap land in the database named. */
	ASSERT_EQ(0, set_in(fd2, 1, "b", "new"));
	ASSERT_EQ(0, swapdb(self->fd, 2, 1));
	EXPECT_STREQ("new", get_in(self->fd, 2, "b").s);
	EXPECT_STREQ("one", get_in(self->fd, 1, "a").s);
	EXPECT_EQ(2, dbsize(self->fd, 1));
	/* A database with itself: nothing. */
	ASSERT_EQ(0, swapdb(self->fd, 4, 4));
	EXPECT_STREQ("one", get_in(self->fd, 1, "a").s);
	close(fd2);
}

/* Only a cache admin swaps, as only one flushes. */
TEST_F(db, swapdb_needs_cap_sys_admin)
{
	pid_t pid;
	int st;

	if (!kt_have_cap(CAP_SYS_ADMIN))
		SKIP(return, "needs CAP_SYS_ADMIN to drop it");
	ASSERT_EQ(0, set_in(self->fd, 1, "a", "one"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (kt_drop_cap(CAP_SYS_ADMIN))
			_exit(2);
		_exit(swapdb(self->fd, 1, 2) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_STREQ("one", get_in(self->fd, 1, "a").s);
}

TEST_F(db, flush_of_one_database)
{
	ASSERT_EQ(0, set_in(self->fd, 0, "f", "0"));
	ASSERT_EQ(0, set_in(self->fd, 1, "f", "1"));
	ASSERT_EQ(0, set_in(self->fd, 1, "g", "1"));
	ASSERT_EQ(0, set_in(self->fd, 2, "f", "2"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_FLUSH, NULL, .db = 1,
			.flags = KC_FLUSH_DB).ret);
	EXPECT_EQ(0, dbsize(self->fd, 1));
	EXPECT_EQ(-ENOENT, get_in(self->fd, 1, "f").ret);
	EXPECT_STREQ("0", get_in(self->fd, 0, "f").s);
	EXPECT_STREQ("2", get_in(self->fd, 2, "f").s);
	/* Without the flag: every database. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_FLUSH, NULL, .db = 1).ret);
	EXPECT_EQ(0, dbsize(self->fd, 0));
	EXPECT_EQ(0, dbsize(self->fd, 2));
}

/* SCAN returns the keys of its database only, every one of them. */
TEST_F(db, scan_walks_one_database)
{
	char key[16], buf[65536];
	int i, seen = 0, other = 0;
	int64_t cursor = 0;

	for (i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "s%d", i);
		ASSERT_EQ(0, set_in(self->fd, i % 2 ? 4 : 5, key, "v"));
	}
	do {
		struct kc_elem_iter it;
		const struct kc_elem *e;
		const void *data;
		struct kc_op op;

		kc_op_init(&op, KC_OP_SCAN);
		op.db = 4;
		op.num = cursor;
		op.num2 = 100;
		kc_op_out(&op, buf, sizeof(buf));
		ASSERT_EQ(0, kc_do(self->fd, &op));
		/* num is the next cursor: the records end at out_used. */
		kc_elem_iter_init(&it, buf, op.out_used, SIZE_MAX);
		while ((e = kc_elem_next(&it, &data))) {
			int n;

			ASSERT_LT(e->len, sizeof(key));
			memcpy(key, data, e->len);
			key[e->len] = '\0';
			n = atoi(key + 1);
			if (n % 2)
				seen++;
			else
				other++;
		}
		cursor = op.num;
	} while (cursor);
	EXPECT_LE(250, seen);	/* at least once each (SCAN may repeat) */
	EXPECT_EQ(0, other);
}

/*
 * A watch names its key's database: a write of the same name in another
 * database does not cancel the transaction, one in the watched does.
 */
TEST_F(db, watch_is_per_database)
{
	struct kc_watch w = { 0 };
	struct kc_batch b = { 0 };
	struct kc_op op;
	uint64_t cas;

	ASSERT_EQ(0, set_in(self->fd, 3, "w", "v"));
	cas = KT(self->fd, KC_OP_GET, "w", .db = 3).cas;
	ASSERT_NE(0, cas);
	ASSERT_EQ(0, set_in(self->fd, 0, "w", "elsewhere"));

	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, "t", 1);
	kc_op_val(&op, "1", 1);
	op.db = 3;
	w.key = (uintptr_t)"w";
	w.key_len = 1;
	w.db = 3;
	w.cas = cas;
	b.size = sizeof(b);
	b.flags = KC_BATCH_TXN;
	b.count = 1;
	b.op_size = sizeof(op);
	b.ops = (uintptr_t)&op;
	b.watch = (uintptr_t)&w;
	b.nwatch = 1;
	ASSERT_EQ(0, ioctl(self->fd, KC_IOC_BATCH, &b));
	EXPECT_EQ(0, b.result);
	EXPECT_STREQ("1", get_in(self->fd, 3, "t").s);

	ASSERT_EQ(0, set_in(self->fd, 3, "w", "changed"));
	b.done = 0;
	b.result = 0;
	op.size = sizeof(op);
	ASSERT_EQ(0, ioctl(self->fd, KC_IOC_BATCH, &b));
	EXPECT_EQ(-ECANCELED, b.result);

	w.db = KC_DB_COUNT;
	b.done = 0;
	b.result = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KC_IOC_BATCH, &b));
	EXPECT_EQ(EINVAL, errno);
}

/* Multi-key ops (MSET, MGET, set algebra, RENAME) stay in one database. */
TEST_F(db, multi_key_ops_stay_in_their_database)
{
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_MSET, NULL, .db = 8,
			.args = { "x", "1", "y", "2" }).ret);
	r = KT(self->fd, KC_OP_MGET, NULL, .db = 8, .args = { "x", "y" });
	EXPECT_STREQ("1,2", r.s);
	EXPECT_EQ(-ENOENT, get_in(self->fd, 0, "x").ret);
	/* Over keys that exist, here and under the same names in 0. */
	ASSERT_EQ(0, set_in(self->fd, 0, "y", "zero"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_MSET, NULL, .db = 8,
			.args = { "x", "3", "y", "4" }).ret);
	r = KT(self->fd, KC_OP_MGET, NULL, .db = 8, .args = { "x", "y" });
	EXPECT_STREQ("3,4", r.s);
	EXPECT_STREQ("zero", get_in(self->fd, 0, "y").s);
	EXPECT_EQ(2, dbsize(self->fd, 8));
	EXPECT_EQ(1, dbsize(self->fd, 0));
	ASSERT_EQ(0, KT(self->fd, KC_OP_MSET, NULL, .db = 8,
			.args = { "x", "5" }).ret);
	EXPECT_STREQ("5", get_in(self->fd, 8, "x").s);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s1", .db = 8,
			.args = { "a", "b" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s2", .db = 8,
			.args = { "b", "c" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s2", .args = { "a" }).ret);
	r = KT(self->fd, KC_OP_SINTER, NULL, .db = 8, .args = { "s1", "s2" });
	EXPECT_STREQ("b", r.s);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SINTERSTORE, "d", .db = 8,
			.args = { "s1", "s2" }).ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_SCARD, "d").ret);
	EXPECT_EQ(1, KT(self->fd, KC_OP_SCARD, "d", .db = 8).num);
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "x", .db = 8, .val = "z").ret);
	EXPECT_STREQ("5", get_in(self->fd, 8, "z").s);
	EXPECT_EQ(-ENOENT, get_in(self->fd, 0, "z").ret);
}

/*
 * SWAPDB is atomic for every op: while one client swaps databases 1 and
 * 2 over and over, another's MGET of x and y in database 1 always sees
 * the pair of one database (x == y), never one of each.
 */
TEST_F(db, swapdb_is_atomic_for_readers)
{
	int i, torn = 0, reads = 0;
	pid_t pid;
	int st;

	ASSERT_EQ(0, KT(self->fd, KC_OP_MSET, NULL, .db = 1,
			.args = { "x", "1", "y", "1" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_MSET, NULL, .db = 2,
			.args = { "x", "2", "y", "2" }).ret);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = kc_open();

		for (i = 0; fd >= 0 && i < 2000; i++)
			if (swapdb(fd, 1, 2))
				_exit(1);
		_exit(fd < 0 ? 2 : 0);
	}
	for (i = 0; i < 20000; i++) {
		struct kt_out r = KT(self->fd, KC_OP_MGET, NULL, .db = 1,
				     .args = { "x", "y" });

		ASSERT_EQ(0, r.ret);
		reads++;
		if (strcmp(r.s, "1,1") && strcmp(r.s, "2,2"))
			torn++;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			pid = 0;
			break;
		}
	}
	if (pid)
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	TH_LOG("%d reads during 2000 swaps", reads);
	EXPECT_EQ(0, torn);
}

/*
 * A client blocked on a list in database 1 gets the element when SWAPDB
 * brings in a database where that list has one.
 */
TEST_F(db, swapdb_wakes_a_blocked_pop)
{
	struct kt_out r;
	pid_t pid;
	int st;

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "q", .db = 2,
			.args = { "job" }).ret);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = kc_open();

		if (fd < 0)
			_exit(2);
		r = KT(fd, KC_OP_BLMPOP, NULL, .db = 1, .args = { "q" },
		       .num = 1, .expire = 20000);
		_exit(!r.ret && !strcmp(r.s, "q,job") ? 0 : 1);
	}
	kt_sleep_ms(300);
	ASSERT_EQ(0, swapdb(self->fd, 1, 2));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0, dbsize(self->fd, 1));
}

TEST_HARNESS_MAIN
