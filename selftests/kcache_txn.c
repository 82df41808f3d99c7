// SPDX-License-Identifier: GPL-2.0
/*
 * Batches and transactions (issue #4): KC_IOC_BATCH with KC_BATCH_TXN is
 * Redis's MULTI/EXEC and WATCH, as uapi/linux/kcache.h describes it:
 *
 *   - the ops run in order, each with its own result; a runtime error
 *     (-EPROTOTYPE, -EDOM, ...) fails that op only and nothing is rolled
 *     back (Redis: "errors happening after EXEC are not handled in a
 *     special way: all the other commands will be executed");
 *   - one malformed op (unknown opcode or flag, bad key) and none runs:
 *     kc_batch.result -EINVAL, that op's result says why, the others
 *     -ECANCELED (Redis: EXECABORT for a command queued with an error);
 *   - a watched key (struct kc_watch, with the CAS version read before, 0
 *     for a missing key) that was written, created, deleted, expired or
 *     evicted since aborts the whole transaction: kc_batch.result and every
 *     op's result -ECANCELED, nothing ran (EXEC answers nil);
 *   - the transaction is isolated: no other operation runs in between.
 *
 * Then malformed batches, with and without KC_BATCH_TXN, and concurrency:
 * transfers in transactions keep a total that snapshot readers always see
 * whole, WATCH-based increments lose nothing, pushes and pops of lists and
 * sets from several threads lose and duplicate nothing.  The concurrent
 * tests run for a few seconds each, under QEMU/TCG as on hardware.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_types.h"

FIXTURE(txn) {
	int fd;
	int fd2;		/* "another client" */
	struct kc_batch_builder b;
};

FIXTURE_SETUP(txn)
{
	KT_ASSERT_OPEN(self->fd);
	self->fd2 = kc_open();
	ASSERT_LE(0, self->fd2);
	kc_batch_init(&self->b);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_flush(self->fd));
}

FIXTURE_TEARDOWN(txn)
{
	kc_batch_exit(&self->b);
	kc_close(self->fd2);
	kc_close(self->fd);
}

/*
 * Appends an op on C strings to a batch.  The returned pointer is valid
 * until the next add.
 */
static struct kc_op *add(struct kc_batch_builder *b, uint32_t opcode,
			 uint32_t flags, const char *key, const char *val,
			 int64_t num)
{
	struct kc_op *op = kc_batch_add(b, opcode);

	if (!op)
		abort();
	op->flags = flags;
	if (key)
		kc_op_key(op, key, strlen(key));
	if (val)
		kc_op_val(op, val, strlen(val));
	op->num = num;
	return op;
}

static int watch(struct kc_batch_builder *b, const char *key, uint64_t cas)
{
	return kc_batch_watch(b, key, strlen(key), cas);
}

/* The value of key as a C string in buf, or "(error N)". */
static const char *val(int fd, const char *key, char *buf, size_t size)
{
	int ret = kt_get(fd, key, buf, size);

	if (ret < 0)
		snprintf(buf, size, "(error %d)", ret);
	return buf;
}

#define VAL(key) val(self->fd, key, vbuf, sizeof(vbuf))

/* Every op of the last submit was cancelled. */
#define EXPECT_ALL_CANCELED(b) do {						\
	uint32_t __i;								\
	for (__i = 0; __i < (b)->count; __i++) {				\
		EXPECT_EQ(-ECANCELED, (b)->ops[__i].result) {			\
			TH_LOG("op %u (opcode %u)", __i, (b)->ops[__i].opcode); \
		}								\
	}									\
} while (0)

/* ------------------------------------------------------------ semantics */

TEST_F(txn, ops_run_in_order_with_their_own_results)
{
	struct kc_batch_builder *b = &self->b;
	char out[4][32], vbuf[64], txt[KT_STR];
	struct kc_buf x, y;
	struct kc_op *op;
	uint32_t i;

	ASSERT_EQ(0, kt_set(self->fd, "a", "1"));
	ASSERT_EQ(0, kt_set(self->fd, "b", "text"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l", .args = { "x" }).ret);
	kc_buf_set(&x, "x", 1);
	kc_buf_set(&y, "y", 1);

	add(b, KC_OP_INCRBY, 0, "a", NULL, 5);			/* 0: 6 */
	op = add(b, KC_OP_GET, 0, "a", NULL, 0);		/* 1: "6" */
	kc_op_out(op, out[0], sizeof(out[0]));
	op = add(b, KC_OP_LPUSH, 0, "a", NULL, 0);		/* 2: WRONGTYPE */
	kc_op_args(op, &x, 1);
	add(b, KC_OP_INCRBY, 0, "a", NULL, 1);			/* 3: 7 */
	op = add(b, KC_OP_RPUSH, 0, "l", NULL, 0);		/* 4: 2 */
	kc_op_args(op, &y, 1);
	add(b, KC_OP_INCRBY, 0, "b", NULL, 1);			/* 5: -EDOM */
	add(b, KC_OP_DEL, 0, "b", NULL, 0);			/* 6: 0 */
	op = add(b, KC_OP_GET, 0, "b", NULL, 0);		/* 7: miss */
	kc_op_out(op, out[1], sizeof(out[1]));
	op = add(b, KC_OP_LRANGE, 0, "l", NULL, 0);		/* 8: x, y */
	op->num2 = -1;
	kc_op_out(op, out[2], sizeof(out[2]));
	add(b, KC_OP_SET, 0, "c", "new", 0);			/* 9 */
	op = add(b, KC_OP_APPEND, 0, "c", "er", 0);		/* 10: 5 */
	op = add(b, KC_OP_GET, 0, "c", NULL, 0);		/* 11: "newer" */
	kc_op_out(op, out[3], sizeof(out[3]));
	for (i = 0; i < b->count; i++)
		b->ops[i].result = 1;

	ASSERT_EQ(0, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(0, b->result);
	EXPECT_EQ(b->count, b->done);
	EXPECT_EQ(0, b->ops[0].result);
	EXPECT_EQ(6, b->ops[0].num);
	EXPECT_EQ(0, b->ops[1].result);
	EXPECT_EQ(1U, b->ops[1].out_used);
	EXPECT_EQ('6', out[0][0]);
	/* A WRONGTYPE op fails alone; the ones after it still run. */
	EXPECT_EQ(-EPROTOTYPE, b->ops[2].result);
	EXPECT_EQ(0, b->ops[3].result);
	EXPECT_EQ(7, b->ops[3].num);
	EXPECT_EQ(0, b->ops[4].result);
	EXPECT_EQ(2, b->ops[4].num);
	EXPECT_EQ(-EDOM, b->ops[5].result);
	EXPECT_EQ(0, b->ops[6].result);
	EXPECT_EQ(-ENOENT, b->ops[7].result);
	EXPECT_EQ(0, b->ops[8].result);
	EXPECT_EQ(2, b->ops[8].num);
	ASSERT_EQ(0, kt_text(out[2], b->ops[8].out_used, 2, KT_LIST, txt,
			     sizeof(txt)));
	EXPECT_STREQ("x,y", txt);
	EXPECT_EQ(0, b->ops[9].result);
	EXPECT_NE(0, b->ops[9].cas);
	EXPECT_EQ(0, b->ops[10].result);
	EXPECT_EQ(5, b->ops[10].num);
	EXPECT_EQ(0, b->ops[11].result);
	EXPECT_EQ(0, memcmp(out[3], "newer", 5));

	/* Nothing rolled back. */
	EXPECT_STREQ("7", VAL("a"));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "b"));
	EXPECT_STREQ("newer", VAL("c"));
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_LLEN, "l"));
}

/* Lists, hashes and sets in a transaction, exclusive ops included. */
TEST_F(txn, typed_and_exclusive_ops_inside)
{
	struct kc_batch_builder *b = &self->b;
	struct kc_buf m[3], k[2], hf[2], dst;
	char out[256];
	struct kt_out r;
	struct kc_op *op;

	kc_buf_set(&m[0], "a", 1);
	kc_buf_set(&m[1], "b", 1);
	kc_buf_set(&m[2], "c", 1);
	kc_buf_set(&k[0], "s1", 2);
	kc_buf_set(&k[1], "s2", 2);
	kc_buf_set(&hf[0], "f", 1);
	kc_buf_set(&hf[1], "v", 1);
	kc_buf_set(&dst, "s2", 2);

	op = add(b, KC_OP_SADD, 0, "s1", NULL, 0);		/* 0: 3 */
	kc_op_args(op, m, 3);
	op = add(b, KC_OP_SMOVE, 0, "s1", "b", 0);		/* 1: 1 */
	kc_op_args(op, &dst, 1);
	op = add(b, KC_OP_SUNIONSTORE, 0, "u", NULL, 0);	/* 2: 3 */
	kc_op_args(op, k, 2);
	op = add(b, KC_OP_SINTER, 0, NULL, NULL, 0);		/* 3: empty */
	kc_op_args(op, k, 2);
	kc_op_out(op, out, sizeof(out));
	add(b, KC_OP_RENAME, 0, "u", "u2", 0);			/* 4 */
	op = add(b, KC_OP_HSET, 0, "h", NULL, 0);		/* 5: 1 */
	kc_op_args(op, hf, 2);
	add(b, KC_OP_HINCRBY, 0, "h", "n", 3);			/* 6: 3 */
	op = add(b, KC_OP_RPUSH, 0, "l", NULL, 0);		/* 7: 3 */
	kc_op_args(op, m, 3);
	op = add(b, KC_OP_LPOP, 0, "l", NULL, 0);		/* 8: a */
	kc_op_out(op, out, sizeof(out));
	add(b, KC_OP_SCARD, 0, "u2", NULL, 0);			/* 9: 3 */
	add(b, KC_OP_TYPE, 0, "u", NULL, 0);			/* 10: none */

	ASSERT_EQ(0, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(0, b->result);
	EXPECT_EQ(11, b->done);
	EXPECT_EQ(3, b->ops[0].num);
	EXPECT_EQ(0, b->ops[1].result);
	EXPECT_EQ(1, b->ops[1].num);
	EXPECT_EQ(0, b->ops[2].result);
	EXPECT_EQ(3, b->ops[2].num);
	EXPECT_EQ(0, b->ops[3].result);
	EXPECT_EQ(0, b->ops[3].num);
	EXPECT_EQ(0, b->ops[4].result);
	EXPECT_EQ(1, b->ops[5].num);
	EXPECT_EQ(3, b->ops[6].num);
	EXPECT_EQ(3, b->ops[7].num);
	EXPECT_EQ(0, b->ops[8].result);
	EXPECT_EQ(1U, b->ops[8].out_used);
	EXPECT_EQ('a', out[0]);
	EXPECT_EQ(0, b->ops[9].result);
	EXPECT_EQ(3, b->ops[9].num);
	EXPECT_EQ(0, b->ops[10].result);
	EXPECT_EQ(KC_TYPE_NONE, b->ops[10].num);

	r = KT(self->fd, KC_OP_SMEMBERS, "u2");
	EXPECT_STREQ("a,b,c", r.s);
	r = KT(self->fd, KC_OP_SMEMBERS, "s1");
	EXPECT_STREQ("a,c", r.s);
	r = KT(self->fd, KC_OP_LRANGE, "l", .num = 0, .num2 = -1);
	EXPECT_STREQ("b,c", r.s);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "n");
	EXPECT_STREQ("3", r.s);
}

/* A malformed op: none runs, that op says why, the others -ECANCELED. */
TEST_F(txn, malformed_op_runs_nothing)
{
	static const char long_key[KC_KEY_MAX + 1] = { [0 ... KC_KEY_MAX] = 'k' };
	static const struct {
		const char *what;
		uint32_t opcode;
		uint32_t flags;
		int key;	/* 0: "k", 1: empty, 2: too long, 3: none */
		int want;
	} bad[] = {
		{ "unknown opcode", __KC_OP_LAST, 0, 0, -EOPNOTSUPP },
		{ "opcode ~0", 0xffffffff, 0, 0, -EOPNOTSUPP },
		{ "unknown flag bit", KC_OP_SET, 1U << 20, 0, -EINVAL },
		{ "flag the op does not take", KC_OP_INCRBY, KC_POP_COUNT, 0,
		  -EINVAL },
		{ "KC_SET_XX on LPOP", KC_OP_LPOP, KC_SET_XX, 0, -EINVAL },
		{ "empty key", KC_OP_GET, 0, 1, -EINVAL },
		{ "key of KC_KEY_MAX + 1 bytes", KC_OP_SET, 0, 2,
		  -ENAMETOOLONG },
		{ "no key for a keyed op", KC_OP_LLEN, 0, 3, -EINVAL },
		{ "a key for a keyless op", KC_OP_SUNION, 0, 0, -EINVAL },
	};
	struct kc_batch_builder *b = &self->b;
	unsigned int i, pos;
	char vbuf[64];
	struct kt_out r;
	struct kc_buf x;
	struct kc_op *op;

	kc_buf_set(&x, "z", 1);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		for (pos = 0; pos < 3; pos++) {
			uint32_t bad_at = pos == 0 ? 0 : pos == 1 ? 2 : 4;
			uint32_t j;

			ASSERT_EQ(0, kc_flush(self->fd));
			ASSERT_EQ(0, kt_set(self->fd, "a", "old"));
			ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
					.args = { "x" }).ret);
			kc_batch_reset(b);
			for (j = 0; j < 5; j++) {
				if (j == bad_at) {
					op = add(b, bad[i].opcode, bad[i].flags,
						 NULL, NULL, 0);
					if (bad[i].key == 0)
						kc_op_key(op, "k", 1);
					else if (bad[i].key == 1)
						kc_op_key(op, "", 0);
					else if (bad[i].key == 2)
						kc_op_key(op, long_key,
							  sizeof(long_key));
					if (bad[i].opcode == KC_OP_SUNION)
						kc_op_args(op, &x, 1);
					continue;
				}
				switch (j) {
				case 0:
				case 1:
					add(b, KC_OP_SET, 0, "a", "new", 0);
					break;
				case 2:
				case 3:
					add(b, KC_OP_INCRBY, 0, "c", NULL, 1);
					break;
				default:
					op = add(b, KC_OP_RPUSH, 0, "l", NULL,
						 0);
					kc_op_args(op, &x, 1);
				}
			}
			ASSERT_EQ(-EINVAL, kc_batch_submit(self->fd, b,
							   KC_BATCH_TXN)) {
				TH_LOG("%s at op %u", bad[i].what, bad_at);
			}
			EXPECT_EQ(-EINVAL, b->result);
			EXPECT_EQ(0, b->done);
			for (j = 0; j < 5; j++) {
				EXPECT_EQ(j == bad_at ? bad[i].want :
					  -ECANCELED, b->ops[j].result) {
					TH_LOG("%s at op %u: result of op %u",
					       bad[i].what, bad_at, j);
				}
			}
			/* Nothing ran. */
			EXPECT_STREQ("old", VAL("a")) {
				TH_LOG("%s at op %u", bad[i].what, bad_at);
			}
			EXPECT_EQ(-ENOENT, kt_exists(self->fd, "c"));
			r = KT(self->fd, KC_OP_LRANGE, "l", .num = 0,
			       .num2 = -1);
			EXPECT_STREQ("x", r.s);
		}
	}
}

/*
 * A wrong number of arguments is an error Redis reports while queueing
 * (MULTI ... EXEC answers EXECABORT): the whole transaction is discarded.
 * Here that is an op the kernel can tell is malformed before running
 * anything, like an unknown opcode: LPUSH or SADD of no element, HSET of
 * a field without a value, LINSERT without a pivot, SMOVE without a
 * destination.
 */
TEST_F(txn, wrong_arity_runs_nothing)
{
	static const struct {
		const char *what;
		uint32_t opcode;
		uint32_t flags;
		unsigned int nargs;
	} bad[] = {
		{ "LPUSH of no element", KC_OP_LPUSH, 0, 0 },
		{ "SADD of no member", KC_OP_SADD, 0, 0 },
		{ "HSET of a field without a value", KC_OP_HSET, 0, 1 },
		{ "HMGET of no field", KC_OP_HMGET, 0, 0 },
		{ "LINSERT without a pivot", KC_OP_LINSERT, KC_LINSERT_AFTER, 0 },
		{ "SMOVE without a destination", KC_OP_SMOVE, 0, 0 },
	};
	struct kc_batch_builder *b = &self->b;
	struct kc_buf arg;
	unsigned int i;
	char vbuf[64];
	int ret;

	kc_buf_set(&arg, "f", 1);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct kc_op *op;

		ASSERT_EQ(0, kc_flush(self->fd));
		ASSERT_EQ(0, kt_set(self->fd, "a", "old"));
		kc_batch_reset(b);
		add(b, KC_OP_SET, 0, "a", "new", 0);
		op = add(b, bad[i].opcode, bad[i].flags, "k", "v", 0);
		if (bad[i].nargs)
			kc_op_args(op, &arg, bad[i].nargs);
		add(b, KC_OP_INCRBY, 0, "c", NULL, 1);
		ret = kc_batch_submit(self->fd, b, KC_BATCH_TXN);
		EXPECT_EQ(-EINVAL, ret) {
			TH_LOG("%s in a transaction: batch result %d, ops %d %d %d",
			       bad[i].what, ret, b->ops[0].result,
			       b->ops[1].result, b->ops[2].result);
		}
		EXPECT_EQ(-EINVAL, b->ops[1].result);
		EXPECT_STREQ("old", VAL("a")) {
			TH_LOG("%s: the ops around it ran", bad[i].what);
		}
		EXPECT_EQ(-ENOENT, kt_exists(self->fd, "c"));
	}
}

/* ---------------------------------------------------------------- WATCH */

TEST_F(txn, watch_unchanged_runs)
{
	struct kc_batch_builder *b = &self->b;
	char vbuf[64];
	uint64_t cas;

	ASSERT_EQ(0, kt_set(self->fd, "w", "1"));
	cas = kt_cas(self->fd, "w");
	ASSERT_NE(0, cas);
	/* Reads by anyone do not count as changes. */
	EXPECT_STREQ("1", val(self->fd2, "w", vbuf, sizeof(vbuf)));
	EXPECT_EQ(0, kt_exists(self->fd2, "w"));
	EXPECT_EQ(-1, kt_ttl_ms(self->fd2, "w"));

	ASSERT_EQ(0, watch(b, "w", cas));
	add(b, KC_OP_SET, 0, "w", "2", 0);
	add(b, KC_OP_INCRBY, 0, "n", NULL, 1);
	ASSERT_EQ(0, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(0, b->result);
	EXPECT_EQ(2, b->done);
	EXPECT_EQ(0, b->ops[0].result);
	EXPECT_EQ(0, b->ops[1].result);
	EXPECT_STREQ("2", VAL("w"));
	EXPECT_STREQ("1", VAL("n"));

	/* Watching a key that is missing, and still is, runs too. */
	kc_batch_reset(b);
	ASSERT_EQ(0, watch(b, "missing", 0));
	add(b, KC_OP_INCRBY, 0, "n", NULL, 1);
	ASSERT_EQ(0, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(1, b->done);
	EXPECT_STREQ("2", VAL("n"));
}

/* A change made by another client since the watch: every kind of write. */
TEST_F(txn, watch_written_by_another_client_aborts)
{
	static const char *const changes[] = {
		"SET same value", "SET", "APPEND", "INCRBY", "SETRANGE",
		"SETBIT", "EXPIRE", "PERSIST", "DEL", "GETDEL", "RENAME away",
		"RENAME onto", "SET via MSET", "FLUSH",
	};
	struct kc_batch_builder *b = &self->b;
	char vbuf[64];
	unsigned int i;
	uint64_t cas;
	int ret;

	for (i = 0; i < ARRAY_SIZE(changes); i++) {
		int fd2 = self->fd2;
		struct kc_buf kv[2];

		ASSERT_EQ(0, kc_flush(self->fd));
		ASSERT_EQ(0, kt_set(self->fd, "w", "5"));
		if (!strcmp(changes[i], "PERSIST"))
			ASSERT_EQ(0, kc_expire(self->fd, "w", 1, 100, 0));
		ASSERT_EQ(0, kt_set(self->fd, "other", "o"));
		cas = kt_cas(self->fd, "w");
		ASSERT_NE(0, cas);

		switch (i) {
		case 0:
			ret = kt_set(fd2, "w", "5");
			break;
		case 1:
			ret = kt_set(fd2, "w", "6");
			break;
		case 2:
			ret = KT(fd2, KC_OP_APPEND, "w", .val = "x").ret;
			break;
		case 3:
			ret = kc_incrby(fd2, "w", 1, 1, NULL);
			break;
		case 4:
			ret = KT(fd2, KC_OP_SETRANGE, "w", .val = "7").ret;
			break;
		case 5:
			ret = kc_setbit(fd2, "w", 1, 7, 0, NULL);
			break;
		case 6:
			ret = kc_expire(fd2, "w", 1, 100, 0);
			break;
		case 7:
			ret = kc_persist(fd2, "w", 1);
			break;
		case 8:
			ret = kc_del(fd2, "w", 1, 0);
			break;
		case 9:
			ret = KT(fd2, KC_OP_GETDEL, "w").ret;
			break;
		case 10:
			ret = KT(fd2, KC_OP_RENAME, "w", .val = "w2").ret;
			break;
		case 11:
			ret = KT(fd2, KC_OP_RENAME, "other", .val = "w").ret;
			break;
		case 12:
			kc_buf_set(&kv[0], "w", 1);
			kc_buf_set(&kv[1], "9", 1);
			ret = kc_mset(fd2, kv, 2);
			break;
		default:
			ret = kc_flush(fd2);
			break;
		}
		ASSERT_EQ(0, ret) {
			TH_LOG("%s: %s", changes[i], kc_strerror(ret));
		}

		kc_batch_reset(b);
		ASSERT_EQ(0, watch(b, "w", cas));
		add(b, KC_OP_SET, 0, "done", "1", 0);
		add(b, KC_OP_INCRBY, 0, "n", NULL, 1);
		ret = kc_batch_submit(self->fd, b, KC_BATCH_TXN);
		EXPECT_EQ(-ECANCELED, ret) {
			TH_LOG("watched key changed by %s: transaction ran",
			       changes[i]);
		}
		EXPECT_EQ(-ECANCELED, b->result);
		EXPECT_EQ(0, b->done);
		EXPECT_ALL_CANCELED(b);
		EXPECT_EQ(-ENOENT, kt_exists(self->fd, "done")) {
			TH_LOG("%s: the transaction's SET happened", changes[i]);
		}
		EXPECT_EQ(-ENOENT, kt_exists(self->fd, "n"));
	}
	(void)vbuf;
}

struct writer_arg {
	const char *key;
	int ret;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	int fd = kc_open();

	a->ret = fd < 0 ? fd : kt_set(fd, a->key, "from a thread");
	kc_close(fd);
	return NULL;
}

TEST_F(txn, watch_written_by_another_thread_aborts)
{
	struct kc_batch_builder *b = &self->b;
	struct writer_arg a = { .key = "w" };
	char vbuf[64];
	pthread_t t;
	uint64_t cas;

	ASSERT_EQ(0, kt_set(self->fd, "w", "mine"));
	cas = kt_cas(self->fd, "w");
	ASSERT_EQ(0, pthread_create(&t, NULL, writer, &a));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, a.ret);
	ASSERT_EQ(0, watch(b, "w", cas));
	add(b, KC_OP_SET, 0, "w", "txn", 0);
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(0, b->done);
	EXPECT_ALL_CANCELED(b);
	EXPECT_STREQ("from a thread", VAL("w"));
}

TEST_F(txn, watch_created_deleted_expired_aborts)
{
	struct kc_batch_builder *b = &self->b;
	char vbuf[64];
	uint64_t cas;

	/* Missing when watched, created since. */
	ASSERT_EQ(0, watch(b, "c", 0));
	ASSERT_EQ(0, kt_set(self->fd2, "c", "created"));
	add(b, KC_OP_SET, 0, "c", "txn", 0);
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_ALL_CANCELED(b);
	EXPECT_STREQ("created", VAL("c"));
	/* ... created as a container. */
	kc_batch_reset(b);
	ASSERT_EQ(0, watch(b, "cl", 0));
	ASSERT_EQ(0, KT(self->fd2, KC_OP_RPUSH, "cl", .args = { "x" }).ret);
	add(b, KC_OP_SET, 0, "marker", "txn", 0);
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "marker"));

	/* Deleted since. */
	kc_batch_reset(b);
	ASSERT_EQ(0, kt_set(self->fd, "d", "v"));
	ASSERT_EQ(0, watch(b, "d", kt_cas(self->fd, "d")));
	ASSERT_EQ(0, kc_del(self->fd2, "d", 1, 0));
	add(b, KC_OP_SET, 0, "marker", "txn", 0);
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "marker"));

	/* Expired since (Redis >= 6.0.9 aborts on an expired watched key). */
	kc_batch_reset(b);
	ASSERT_EQ(0, kt_set_ex(self->fd, "e", "v", KC_TTL_MS, 200));
	cas = kt_cas(self->fd, "e");
	ASSERT_NE(0, cas);
	ASSERT_EQ(0, watch(b, "e", cas));
	kt_sleep_ms(400);
	add(b, KC_OP_SET, 0, "marker", "txn", 0);
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_ALL_CANCELED(b);
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "marker"));

	/* A wrong CAS is a change too. */
	kc_batch_reset(b);
	ASSERT_EQ(0, kt_set(self->fd, "f", "v"));
	ASSERT_EQ(0, watch(b, "f", kt_cas(self->fd, "f") + 1));
	add(b, KC_OP_SET, 0, "marker", "txn", 0);
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "marker"));
	kc_batch_reset(b);
	ASSERT_EQ(0, watch(b, "f", 0));
	add(b, KC_OP_SET, 0, "marker", "txn", 0);
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "marker"));
}

/*
 * Containers are watched like strings.  GET does not report the CAS of a
 * container (-EPROTOTYPE), so the version is read with a TOUCH that sets
 * no expiry (kt_any_cas()).
 */
TEST_F(txn, watch_containers)
{
	static const char *const changes[] = {
		"RPUSH", "LPOP", "LSET", "LREM", "LTRIM", "LINSERT", "HSET",
		"HDEL", "HINCRBY", "SADD", "SREM", "SPOP", "SMOVE out",
		"SMOVE in", "SINTERSTORE onto", "EXPIRE", "DEL", "RENAME away",
		"emptied",
	};
	static const struct {
		const char *what, *key;
	} reads[] = {
		{ "LRANGE", "l" }, { "LLEN", "l" }, { "LINDEX", "l" },
		{ "HGETALL", "h" }, { "HGET", "h" }, { "HLEN", "h" },
		{ "SMEMBERS", "s" }, { "SISMEMBER", "s" }, { "SCARD", "s" },
		{ "SRANDMEMBER", "s" }, { "SUNION", "s" }, { "TYPE", "l" },
		{ "TTL", "l" }, { "EXISTS", "l" },
		/* Redis signals no change for these: nothing changed. */
		{ "LREM of nothing", "l" }, { "SREM of nothing", "s" },
		{ "HDEL of nothing", "h" }, { "LINSERT without pivot", "l" },
		{ "SADD of a member", "s" }, { "HSETNX of a field", "h" },
		{ "SMOVE of no member", "s" },
	};
	struct kc_batch_builder *b = &self->b;
	unsigned int i;
	int fd2 = self->fd2, ret;
	const char *key;
	uint64_t cas;

	for (i = 0; i < ARRAY_SIZE(changes); i++) {
		ASSERT_EQ(0, kc_flush(self->fd));
		ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
				.args = { "a", "b", "c" }).ret);
		ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
				.args = { "f", "1", "g", "2" }).ret);
		ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s",
				.args = { "a", "b" }).ret);
		ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s2",
				.args = { "z" }).ret);
		key = i < 6 ? "l" : i < 9 ? "h" : "s";
		if (i >= 15)
			key = "l";
		cas = kt_any_cas(self->fd, key);
		ASSERT_NE(0, cas);

		switch (i) {
		case 0:
			ret = KT(fd2, KC_OP_RPUSH, "l", .args = { "d" }).ret;
			break;
		case 1:
			ret = KT(fd2, KC_OP_LPOP, "l").ret;
			break;
		case 2:
			ret = KT(fd2, KC_OP_LSET, "l", .num = 0, .val = "A").ret;
			break;
		case 3:
			ret = KT(fd2, KC_OP_LREM, "l", .val = "b").ret;
			break;
		case 4:
			ret = KT(fd2, KC_OP_LTRIM, "l", .num = 1, .num2 = -1).ret;
			break;
		case 5:
			ret = KT(fd2, KC_OP_LINSERT, "l", .flags = KC_LINSERT_AFTER,
				 .val = "x", .args = { "a" }).ret;
			break;
		case 6:
			ret = KT(fd2, KC_OP_HSET, "h", .args = { "f", "9" }).ret;
			break;
		case 7:
			ret = KT(fd2, KC_OP_HDEL, "h", .args = { "g" }).ret;
			break;
		case 8:
			ret = KT(fd2, KC_OP_HINCRBY, "h", .val = "f", .num = 1).ret;
			break;
		case 9:
			ret = KT(fd2, KC_OP_SADD, "s", .args = { "c" }).ret;
			break;
		case 10:
			ret = KT(fd2, KC_OP_SREM, "s", .args = { "a" }).ret;
			break;
		case 11:
			ret = KT(fd2, KC_OP_SPOP, "s").ret;
			break;
		case 12:
			ret = KT(fd2, KC_OP_SMOVE, "s", .val = "a",
				 .args = { "s2" }).ret;
			break;
		case 13:
			ret = KT(fd2, KC_OP_SMOVE, "s2", .val = "z",
				 .args = { "s" }).ret;
			break;
		case 14:
			ret = KT(fd2, KC_OP_SINTERSTORE, "s",
				 .args = { "s", "s" }).ret;
			break;
		case 15:
			ret = kc_expire(fd2, "l", 1, 100, 0);
			break;
		case 16:
			ret = kc_del(fd2, "l", 1, 0);
			break;
		case 17:
			ret = KT(fd2, KC_OP_RENAME, "l", .val = "l2").ret;
			break;
		default:
			ret = KT(fd2, KC_OP_LTRIM, "l", .num = 5, .num2 = 6).ret;
			break;
		}
		ASSERT_EQ(0, ret) {
			TH_LOG("%s: %s", changes[i], kc_strerror(ret));
		}
		kc_batch_reset(b);
		ASSERT_EQ(0, watch(b, key, cas));
		add(b, KC_OP_SET, 0, "marker", "txn", 0);
		ret = kc_batch_submit(self->fd, b, KC_BATCH_TXN);
		EXPECT_EQ(-ECANCELED, ret) {
			TH_LOG("watched %s changed by %s: transaction ran", key,
			       changes[i]);
		}
		EXPECT_EQ(-ENOENT, kt_exists(self->fd, "marker"));
	}

	/* Reads, and writes that change nothing, leave the watch intact. */
	for (i = 0; i < ARRAY_SIZE(reads); i++) {
		ASSERT_EQ(0, kc_flush(self->fd));
		ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l",
				.args = { "a", "b", "c" }).ret);
		ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
				.args = { "f", "1" }).ret);
		ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "s",
				.args = { "a", "b" }).ret);
		key = reads[i].key;
		cas = kt_any_cas(self->fd, key);
		switch (i) {
		case 0:
			ret = KT(fd2, KC_OP_LRANGE, "l", .num = 0, .num2 = -1).ret;
			break;
		case 1:
			ret = KT(fd2, KC_OP_LLEN, "l").ret;
			break;
		case 2:
			ret = KT(fd2, KC_OP_LINDEX, "l", .num = 1).ret;
			break;
		case 3:
			ret = KT(fd2, KC_OP_HGETALL, "h").ret;
			break;
		case 4:
			ret = KT(fd2, KC_OP_HGET, "h", .val = "f").ret;
			break;
		case 5:
			ret = KT(fd2, KC_OP_HLEN, "h").ret;
			break;
		case 6:
			ret = KT(fd2, KC_OP_SMEMBERS, "s").ret;
			break;
		case 7:
			ret = KT(fd2, KC_OP_SISMEMBER, "s", .val = "a").ret;
			break;
		case 8:
			ret = KT(fd2, KC_OP_SCARD, "s").ret;
			break;
		case 9:
			ret = KT(fd2, KC_OP_SRANDMEMBER, "s").ret;
			break;
		case 10:
			ret = KT(fd2, KC_OP_SUNION, NULL, .args = { "s" }).ret;
			break;
		case 11:
			ret = kt_type(fd2, "l") == KC_TYPE_LIST ? 0 : -1;
			break;
		case 12:
			ret = kt_ttl_ms(fd2, "l") == -1 ? 0 : -1;
			break;
		case 13:
			ret = kt_exists(fd2, "l");
			break;
		case 14:
			ret = KT(fd2, KC_OP_LREM, "l", .val = "zz").ret;
			break;
		case 15:
			ret = KT(fd2, KC_OP_SREM, "s", .args = { "zz" }).ret;
			break;
		case 16:
			ret = KT(fd2, KC_OP_HDEL, "h", .args = { "zz" }).ret;
			break;
		case 17:
			ret = KT(fd2, KC_OP_LINSERT, "l", .flags = KC_LINSERT_AFTER,
				 .val = "x", .args = { "zz" }).ret;
			break;
		case 18:
			ret = KT(fd2, KC_OP_SADD, "s", .args = { "a" }).ret;
			break;
		case 19:
			ret = KT(fd2, KC_OP_HSET, "h", .flags = KC_SET_NX,
				 .args = { "f", "2" }).ret;
			break;
		default:
			ret = KT(fd2, KC_OP_SMOVE, "s", .val = "zz",
				 .args = { "s3" }).ret;
			break;
		}
		ASSERT_EQ(0, ret) {
			TH_LOG("%s: %d", reads[i].what, ret);
		}
		kc_batch_reset(b);
		ASSERT_EQ(0, watch(b, key, cas));
		add(b, KC_OP_SET, 0, "marker", "txn", 0);
		ret = kc_batch_submit(self->fd, b, KC_BATCH_TXN);
		EXPECT_EQ(0, ret) {
			TH_LOG("%s of the watched %s aborted the transaction",
			       reads[i].what, key);
		}
		EXPECT_EQ(0, kt_exists(self->fd, "marker"));
	}
}

TEST_F(txn, watch_many_keys)
{
	struct kc_batch_builder *b = &self->b;
	static char keys[KC_WATCH_MAX][8];
	uint64_t cas[KC_WATCH_MAX];
	unsigned int i;
	char vbuf[64];

	for (i = 0; i < KC_WATCH_MAX; i++) {
		snprintf(keys[i], sizeof(keys[i]), "w%03u", i);
		/* A third of them missing. */
		if (i % 3) {
			ASSERT_EQ(0, kt_set(self->fd, keys[i], "v"));
			cas[i] = kt_cas(self->fd, keys[i]);
		} else {
			cas[i] = 0;
		}
		ASSERT_EQ(0, watch(b, keys[i], cas[i]));
	}
	add(b, KC_OP_INCRBY, 0, "n", NULL, 1);
	ASSERT_EQ(0, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(1, b->done);
	/* The last one changed: aborts. */
	ASSERT_EQ(0, kt_set(self->fd2, keys[KC_WATCH_MAX - 1], "changed"));
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(0, b->done);
	EXPECT_STREQ("1", VAL("n"));
}

/* Raw KC_IOC_BATCH: errno or 0. */
static int batch_ioctl(int fd, struct kc_batch *kb)
{
	return ioctl(fd, KC_IOC_BATCH, kb) ? errno : 0;
}

static void batch_init(struct kc_batch *kb, uint32_t flags, void *ops,
		       uint32_t count, uint32_t op_size)
{
	memset(kb, 0, sizeof(*kb));
	kb->size = sizeof(*kb);
	kb->flags = flags;
	kb->ops = (__u64)(uintptr_t)ops;
	kb->count = count;
	kb->op_size = op_size;
}

/* A bad watch list is a malformed request: the ioctl fails, nothing runs. */
TEST_F(txn, watch_list_malformed)
{
	static char long_key[KC_KEY_MAX + 1];
	struct kc_watch w[KC_WATCH_MAX + 1];
	struct kc_batch kb;
	struct kc_op op;
	unsigned int i;

	memset(long_key, 'k', sizeof(long_key));
	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, "ran", 3);
	kc_op_val(&op, "1", 1);
	memset(w, 0, sizeof(w));
	for (i = 0; i <= KC_WATCH_MAX; i++) {
		w[i].key = (__u64)(uintptr_t)"k";
		w[i].key_len = 1;
	}

	batch_init(&kb, KC_BATCH_TXN, &op, 1, sizeof(op));
	kb.watch = (__u64)(uintptr_t)w;
	kb.nwatch = KC_WATCH_MAX + 1;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	kb.nwatch = UINT32_MAX;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));

	/* An empty watched key. */
	kb.nwatch = 2;
	w[1].key_len = 0;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	/* A key longer than KC_KEY_MAX: malformed, EINVAL (the ioctl
	 * fails with EFAULT, EINVAL, E2BIG or EPERM only).
	 */
	w[1].key = (__u64)(uintptr_t)long_key;
	w[1].key_len = KC_KEY_MAX + 1;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	w[1].key_len = UINT32_MAX;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	/* A database out of range. */
	w[1].key_len = 1;
	w[1].db = KC_DB_COUNT;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	w[1].db = 0;
	/* Unreadable list or key. */
	kb.watch = 0;
	EXPECT_EQ(EFAULT, batch_ioctl(self->fd, &kb));
	kb.watch = (__u64)(uintptr_t)w;
	w[1].key = 0;
	EXPECT_EQ(EFAULT, batch_ioctl(self->fd, &kb));
	w[1].key = (__u64)(uintptr_t)"k";
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "ran")) {
		TH_LOG("a transaction with a malformed watch list ran");
	}

	/* The same list, well formed, runs. */
	EXPECT_EQ(0, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(0, kb.result);
	EXPECT_EQ(1, kb.done);
	EXPECT_EQ(0, kt_exists(self->fd, "ran"));
}

TEST_F(txn, empty_transaction)
{
	struct kc_batch_builder *b = &self->b;

	/* EXEC of an empty MULTI: nothing, successfully. */
	ASSERT_EQ(0, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
	EXPECT_EQ(0, b->done);
	EXPECT_EQ(0, b->result);
	/* With a changed watched key: aborted all the same. */
	ASSERT_EQ(0, kt_set(self->fd, "w", "v"));
	ASSERT_EQ(0, watch(b, "w", 0));
	EXPECT_EQ(-ECANCELED, kc_batch_submit(self->fd, b, KC_BATCH_TXN));
}

TEST_F_TIMEOUT(txn, count_limits, 120)
{
	struct kc_batch_builder *b = &self->b;
	struct kc_op *ops;
	struct kc_batch kb;
	unsigned int i;
	char vbuf[64];

	ops = calloc(KC_BATCH_MAX + 1, sizeof(*ops));
	ASSERT_NE(NULL, ops);
	for (i = 0; i <= KC_BATCH_MAX; i++) {
		kc_op_init(&ops[i], KC_OP_INCRBY);
		kc_op_key(&ops[i], "n", 1);
		ops[i].num = 1;
	}
	batch_init(&kb, KC_BATCH_TXN, ops, KC_BATCH_MAX + 1, sizeof(*ops));
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	batch_init(&kb, KC_BATCH_TXN, ops, UINT32_MAX, sizeof(*ops));
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "n"));
	/* KC_BATCH_MAX ops in one transaction. */
	batch_init(&kb, KC_BATCH_TXN, ops, KC_BATCH_MAX, sizeof(*ops));
	ASSERT_EQ(0, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(0, kb.result);
	EXPECT_EQ(KC_BATCH_MAX, kb.done);
	EXPECT_EQ(KC_BATCH_MAX, ops[KC_BATCH_MAX - 1].num);
	snprintf(vbuf, sizeof(vbuf), "%d", KC_BATCH_MAX);
	{
		char got[64];

		EXPECT_STREQ(vbuf, val(self->fd, "n", got, sizeof(got)));
	}
	free(ops);
	(void)b;
}

/* --------------------------------------------------- malformed batches */

/* Two pages: ops at the end of the first, the second PROT_NONE. */
static struct kc_op *guarded_ops(unsigned int n, void **map, size_t *len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *m;

	*len = 2 * page;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m + page, page, PROT_NONE)) {
		munmap(m, *len);
		return NULL;
	}
	*map = m;
	return (struct kc_op *)(m + page - n * sizeof(struct kc_op));
}

static void set_op(struct kc_op *op, const char *key, const char *v)
{
	kc_op_init(op, KC_OP_SET);
	kc_op_key(op, key, strlen(key));
	kc_op_val(op, v, strlen(v));
}

/*
 * A transaction whose records cannot all be read or are inconsistent is
 * rejected as a whole before anything runs.
 */
TEST_F(txn, txn_records_malformed)
{
	struct kc_batch kb;
	struct kc_op *ops;
	size_t len;
	void *map;
	struct {
		struct kc_op op;
		unsigned char tail[8];
	} big[2];

	ops = guarded_ops(2, &map, &len);
	ASSERT_NE(NULL, ops);
	set_op(&ops[0], "t0", "1");
	set_op(&ops[1], "t1", "1");

	/* count says 3, two records are there: the third is unreadable. */
	batch_init(&kb, KC_BATCH_TXN, ops, 3, sizeof(*ops));
	EXPECT_EQ(EFAULT, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "t0")) {
		TH_LOG("a transaction with an unreadable record ran its first op");
	}
	/* A record whose size is not op_size. */
	ops[1].size = sizeof(*ops) - 8;
	batch_init(&kb, KC_BATCH_TXN, ops, 2, sizeof(*ops));
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "t0"));
	ops[1].size = sizeof(*ops);
	/* op_size too small for any kc_op, or larger than a page. */
	batch_init(&kb, KC_BATCH_TXN, ops, 2, KC_OP_SIZE_VER0 - 8);
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	batch_init(&kb, KC_BATCH_TXN, ops, 2, 8192);
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "t0"));

	/* Larger records: a zero tail is fine, a non-zero one E2BIG. */
	memset(big, 0, sizeof(big));
	set_op(&big[0].op, "t2", "1");
	set_op(&big[1].op, "t3", "1");
	big[0].op.size = big[1].op.size = sizeof(big[0]);
	big[1].tail[7] = 1;
	batch_init(&kb, KC_BATCH_TXN, big, 2, sizeof(big[0]));
	EXPECT_EQ(E2BIG, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "t2"));
	big[1].tail[7] = 0;
	batch_init(&kb, KC_BATCH_TXN, big, 2, sizeof(big[0]));
	EXPECT_EQ(0, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(2, kb.done);
	EXPECT_EQ(0, big[1].op.result);
	EXPECT_EQ(0, kt_exists(self->fd, "t3"));

	/* Non-zero reserved, done or result on input. */
	batch_init(&kb, KC_BATCH_TXN, ops, 2, sizeof(*ops));
	kb.__reserved = 1;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	batch_init(&kb, KC_BATCH_TXN, ops, 2, sizeof(*ops));
	kb.done = 1;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	batch_init(&kb, KC_BATCH_TXN, ops, 2, sizeof(*ops));
	kb.result = -1;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "t0"));
	munmap(map, len);
}

/*
 * Without KC_BATCH_TXN the ops are independent: a record that cannot be
 * read stops the batch there (kc_batch.result, kc_batch.done), the ones
 * before it ran, the ones after it did not.
 */
TEST_F(txn, plain_batch_malformed)
{
	struct kc_op ops3[3], *ops;
	struct kc_batch kb;
	size_t len;
	void *map;
	int err;

	ops = guarded_ops(2, &map, &len);
	ASSERT_NE(NULL, ops);
	set_op(&ops[0], "p0", "1");
	set_op(&ops[1], "p1", "1");
	batch_init(&kb, 0, ops, 3, sizeof(*ops));
	err = batch_ioctl(self->fd, &kb);
	if (err) {
		EXPECT_EQ(EFAULT, err);
	} else {
		EXPECT_EQ(-EFAULT, kb.result);
		EXPECT_EQ(2, kb.done);
		EXPECT_EQ(0, ops[0].result);
		EXPECT_EQ(0, ops[1].result);
		EXPECT_EQ(0, kt_exists(self->fd, "p1"));
	}
	munmap(map, len);

	/* A record of the wrong size in the middle. */
	set_op(&ops3[0], "q0", "1");
	set_op(&ops3[1], "q1", "1");
	set_op(&ops3[2], "q2", "1");
	ops3[1].size = sizeof(ops3[1]) + 8;
	batch_init(&kb, 0, ops3, 3, sizeof(ops3[0]));
	ASSERT_EQ(0, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(-EINVAL, kb.result);
	EXPECT_EQ(1, kb.done);
	EXPECT_EQ(0, kt_exists(self->fd, "q0"));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "q1"));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "q2"));

	/* Counts the ABI does not take, a watch list without a txn. */
	ops3[1].size = sizeof(ops3[1]);
	batch_init(&kb, 0, ops3, KC_BATCH_MAX + 1, sizeof(ops3[0]));
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	batch_init(&kb, 0, ops3, 3, KC_OP_SIZE_VER0 - 1);
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	batch_init(&kb, 0, ops3, 3, sizeof(ops3[0]));
	kb.nwatch = 1;
	kb.watch = (__u64)(uintptr_t)ops3;
	EXPECT_EQ(EINVAL, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, "q2"));

	/* A malformed op in a plain batch fails alone. */
	ops3[1].opcode = __KC_OP_LAST;
	batch_init(&kb, 0, ops3, 3, sizeof(ops3[0]));
	ASSERT_EQ(0, batch_ioctl(self->fd, &kb));
	EXPECT_EQ(0, kb.result);
	EXPECT_EQ(3, kb.done);
	EXPECT_EQ(-EOPNOTSUPP, ops3[1].result);
	EXPECT_EQ(0, ops3[2].result);
	EXPECT_EQ(0, kt_exists(self->fd, "q2"));
}

/* ---------------------------------------------------------- concurrency */

#define RUN_MS		2500

struct shared {
	volatile int stop;
	struct kt_errors err;
};

static int start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	return pthread_create(t, NULL, fn, arg) ? -1 : 0;
}

/* Transfers between accounts inside transactions. */

#define NACCT		8
#define ACCT_START	1000

struct xfer {
	struct shared *sh;
	uint64_t seed;
	unsigned long txns, snapshots;
};

static void acct_name(char *buf, unsigned int i)
{
	snprintf(buf, 8, "acct%u", i);
}

static void *mover(void *p)
{
	struct xfer *x = p;
	struct kc_batch_builder b;
	char from[8], to[8];
	int fd = kc_open(), ret;

	kc_batch_init(&b);
	while (fd >= 0 && !x->sh->stop) {
		unsigned int i = kt_rand(&x->seed) % NACCT;
		unsigned int j = (i + 1 + kt_rand(&x->seed) % (NACCT - 1)) %
				 NACCT;
		int64_t amount = kt_rand(&x->seed) % 100;

		acct_name(from, i);
		acct_name(to, j);
		kc_batch_reset(&b);
		add(&b, KC_OP_DECRBY, 0, from, NULL, amount);
		add(&b, KC_OP_INCRBY, 0, to, NULL, amount);
		ret = kc_batch_submit(fd, &b, KC_BATCH_TXN);
		if (ret || b.done != 2 || b.ops[0].result || b.ops[1].result)
			kt_fail(&x->sh->err, "transfer: %s, done %u, results %d %d",
				kc_strerror(ret), b.done, b.ops[0].result,
				b.ops[1].result);
		x->txns++;
	}
	if (fd < 0)
		kt_fail(&x->sh->err, "kc_open: %s", strerror(-fd));
	kc_batch_exit(&b);
	kc_close(fd);
	return NULL;
}

/* Sums the accounts in one transaction of GETs: a consistent snapshot. */
static int snapshot_sum(int fd, struct kc_batch_builder *b, int64_t *sum)
{
	char out[NACCT][24], name[NACCT][8];
	unsigned int i;
	int ret;

	kc_batch_reset(b);
	for (i = 0; i < NACCT; i++) {
		struct kc_op *op;

		acct_name(name[i], i);
		op = add(b, KC_OP_GET, 0, name[i], NULL, 0);
		kc_op_out(op, out[i], sizeof(out[i]) - 1);
	}
	ret = kc_batch_submit(fd, b, KC_BATCH_TXN);
	if (ret)
		return ret;
	*sum = 0;
	for (i = 0; i < NACCT; i++) {
		if (b->ops[i].result)
			return b->ops[i].result;
		out[i][b->ops[i].out_used] = '\0';
		*sum += atoll(out[i]);
	}
	return 0;
}

static void *auditor(void *p)
{
	struct xfer *x = p;
	struct kc_batch_builder b;
	int fd = kc_open(), ret;
	int64_t sum;

	kc_batch_init(&b);
	while (fd >= 0 && !x->sh->stop) {
		ret = snapshot_sum(fd, &b, &sum);
		if (ret)
			kt_fail(&x->sh->err, "snapshot: %s", kc_strerror(ret));
		else if (sum != NACCT * ACCT_START)
			kt_fail(&x->sh->err, "snapshot saw a total of %lld",
				(long long)sum);
		x->snapshots++;
	}
	kc_batch_exit(&b);
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(txn, transfers_keep_the_total, 120)
{
	struct xfer x[4];
	pthread_t t[4];
	struct shared sh;
	unsigned long txns = 0;
	unsigned int i;
	char name[8], v[16];
	int64_t sum;

	memset(&sh, 0, sizeof(sh));
	kt_errors_init(&sh.err);
	snprintf(v, sizeof(v), "%d", ACCT_START);
	for (i = 0; i < NACCT; i++) {
		acct_name(name, i);
		ASSERT_EQ(0, kt_set(self->fd, name, v));
	}
	for (i = 0; i < 4; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		x[i].sh = &sh;
		x[i].seed = 0x1234 + i;
		ASSERT_EQ(0, start(&t[i], i < 3 ? mover : auditor, &x[i]));
	}
	kt_sleep_ms(RUN_MS);
	sh.stop = 1;
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	KT_EXPECT_NO_ERRORS(&sh.err);
	for (i = 0; i < 3; i++)
		txns += x[i].txns;
	EXPECT_LT(10, txns);
	EXPECT_LT(2, x[3].snapshots);
	ASSERT_EQ(0, snapshot_sum(self->fd, &self->b, &sum));
	EXPECT_EQ(NACCT * ACCT_START, sum);
	TH_LOG("%lu transfers, %lu snapshots", txns, x[3].snapshots);
}

/* Optimistic increments: GET, then WATCH + SET in a transaction. */

struct optimistic {
	struct shared *sh;
	unsigned long ok, aborted;
};

static void *incrementer(void *p)
{
	struct optimistic *o = p;
	struct kc_batch_builder b;
	int fd = kc_open(), ret;
	char buf[32], nv[32];
	uint64_t cas;
	size_t len;

	kc_batch_init(&b);
	while (fd >= 0 && !o->sh->stop) {
		ret = kc_get(fd, "ctr", 3, buf, sizeof(buf) - 1, &len, &cas,
			     NULL);
		if (ret) {
			kt_fail(&o->sh->err, "GET: %s", kc_strerror(ret));
			break;
		}
		buf[len] = '\0';
		snprintf(nv, sizeof(nv), "%lld", atoll(buf) + 1);
		kc_batch_reset(&b);
		kc_batch_watch(&b, "ctr", 3, cas);
		add(&b, KC_OP_SET, 0, "ctr", nv, 0);
		ret = kc_batch_submit(fd, &b, KC_BATCH_TXN);
		if (!ret && b.done == 1 && !b.ops[0].result)
			o->ok++;
		else if (ret == -ECANCELED && !b.done &&
			 b.ops[0].result == -ECANCELED)
			o->aborted++;
		else
			kt_fail(&o->sh->err, "EXEC: %s, done %u, SET %d",
				kc_strerror(ret), b.done, b.ops[0].result);
	}
	kc_batch_exit(&b);
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(txn, watch_optimistic_increments, 120)
{
	struct optimistic o[3];
	unsigned long ok = 0, aborted = 0;
	struct shared sh;
	pthread_t t[3];
	unsigned int i;
	char vbuf[64], want[32];

	memset(&sh, 0, sizeof(sh));
	kt_errors_init(&sh.err);
	ASSERT_EQ(0, kt_set(self->fd, "ctr", "0"));
	for (i = 0; i < 3; i++) {
		memset(&o[i], 0, sizeof(o[i]));
		o[i].sh = &sh;
		ASSERT_EQ(0, start(&t[i], incrementer, &o[i]));
	}
	kt_sleep_ms(RUN_MS);
	sh.stop = 1;
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		ok += o[i].ok;
		aborted += o[i].aborted;
	}
	KT_EXPECT_NO_ERRORS(&sh.err);
	EXPECT_LT(10, ok);
	/* Exactly one increment per successful EXEC. */
	snprintf(want, sizeof(want), "%lu", ok);
	EXPECT_STREQ(want, VAL("ctr"));
	TH_LOG("%lu EXECs ran, %lu aborted", ok, aborted);
}

/* Pushers and poppers: nothing lost, nothing duplicated. */

#define NPUSH		2
#define PER_PUSHER	3000

struct queue {
	struct shared *sh;
	const char *key;
	bool set;			/* SADD/SPOP instead of RPUSH/LPOP */
	unsigned char *seen;		/* NPUSH * PER_PUSHER counters */
	volatile int pushers_left;
	unsigned long pops;
};

struct pusher_arg {
	struct queue *q;
	unsigned int id;
};

static void *pusher(void *p)
{
	struct pusher_arg *a = p;
	struct queue *q = a->q;
	char names[4][16];
	struct kc_buf args[4];
	struct kc_op op;
	unsigned int i = 0, n, j;
	int fd = kc_open(), ret;

	while (fd >= 0 && i < PER_PUSHER) {
		n = 1 + i % 4;
		if (i + n > PER_PUSHER)
			n = PER_PUSHER - i;
		for (j = 0; j < n; j++) {
			snprintf(names[j], sizeof(names[j]), "%u:%u", a->id,
				 i + j);
			kc_buf_set(&args[j], names[j], strlen(names[j]));
		}
		kc_op_init(&op, q->set ? KC_OP_SADD : KC_OP_RPUSH);
		kc_op_key(&op, q->key, strlen(q->key));
		kc_op_args(&op, args, n);
		ret = kc_do(fd, &op);
		if (ret)
			kt_fail(&q->sh->err, "push: %s", kc_strerror(ret));
		else if (q->set && op.num != n)
			kt_fail(&q->sh->err, "SADD of %u new members added %lld", n,
				(long long)op.num);
		i += n;
	}
	if (fd < 0)
		kt_fail(&q->sh->err, "kc_open: %s", strerror(-fd));
	__atomic_fetch_sub(&q->pushers_left, 1, __ATOMIC_SEQ_CST);
	kc_close(fd);
	return NULL;
}

static void take(struct queue *q, const char *s, size_t len)
{
	unsigned int id, i;
	char buf[16];

	if (len >= sizeof(buf)) {
		kt_fail(&q->sh->err, "popped an element of %zu bytes", len);
		return;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "%u:%u", &id, &i) != 2 || id >= NPUSH ||
	    i >= PER_PUSHER) {
		kt_fail(&q->sh->err, "popped \"%s\", never pushed", buf);
		return;
	}
	if (__atomic_fetch_add(&q->seen[id * PER_PUSHER + i], 1,
			       __ATOMIC_RELAXED))
		kt_fail(&q->sh->err, "popped \"%s\" twice", buf);
	__atomic_fetch_add(&q->pops, 1, __ATOMIC_RELAXED);
}

static void *popper(void *p)
{
	struct queue *q = p;
	unsigned char out[512];
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	unsigned int round = 0;
	struct kc_op op;
	int fd = kc_open(), ret;
	int64_t deadline = kt_mono_ms() + 60000;

	while (fd >= 0 && kt_mono_ms() < deadline) {
		bool count = round++ % 2;
		bool left = __atomic_load_n(&q->pushers_left, __ATOMIC_SEQ_CST);

		if (q->set)
			kc_op_init(&op, KC_OP_SPOP);
		else
			kc_op_init(&op, round % 4 < 2 ? KC_OP_LPOP :
					KC_OP_RPOP);
		kc_op_key(&op, q->key, strlen(q->key));
		if (count) {
			op.flags = KC_POP_COUNT;
			op.num = 1 + round % 7;
		}
		kc_op_out(&op, out, sizeof(out));
		ret = kc_do(fd, &op);
		if (ret == -ENOENT) {
			/* Empty: done once every pusher is. */
			if (!left)
				break;
			continue;
		}
		if (ret) {
			kt_fail(&q->sh->err, "pop: %s", kc_strerror(ret));
			break;
		}
		if (!count) {
			take(q, (const char *)out, op.out_used);
			continue;
		}
		kc_elem_iter_init(&it, out, op.out_used, op.num);
		while ((e = kc_elem_next(&it, &data)))
			take(q, data, e->len);
		if (it.err || it.left)
			kt_fail(&q->sh->err, "malformed pop reply");
	}
	kc_close(fd);
	return NULL;
}

static void run_queue(struct __test_metadata *_metadata, int fd,
		      const char *key, bool set)
{
	struct pusher_arg pa[NPUSH];
	pthread_t t[NPUSH + 2];
	struct shared sh;
	struct queue q;
	unsigned int i, missing = 0;

	memset(&sh, 0, sizeof(sh));
	kt_errors_init(&sh.err);
	memset(&q, 0, sizeof(q));
	q.sh = &sh;
	q.key = key;
	q.set = set;
	q.pushers_left = NPUSH;
	q.seen = calloc(NPUSH * PER_PUSHER, 1);
	ASSERT_NE(NULL, q.seen);
	for (i = 0; i < NPUSH; i++) {
		pa[i].q = &q;
		pa[i].id = i;
		ASSERT_EQ(0, start(&t[i], pusher, &pa[i]));
	}
	ASSERT_EQ(0, start(&t[NPUSH], popper, &q));
	ASSERT_EQ(0, start(&t[NPUSH + 1], popper, &q));
	for (i = 0; i < NPUSH + 2; i++)
		pthread_join(t[i], NULL);
	KT_EXPECT_NO_ERRORS(&sh.err);
	for (i = 0; i < NPUSH * PER_PUSHER; i++)
		missing += !q.seen[i];
	EXPECT_EQ(0, missing) {
		TH_LOG("%u pushed elements never popped", missing);
	}
	EXPECT_EQ(NPUSH * PER_PUSHER, q.pops);
	EXPECT_EQ(-ENOENT, kt_exists(fd, key));
	free(q.seen);
}

TEST_F_TIMEOUT(txn, list_push_pop_threads, 120)
{
	run_queue(_metadata, self->fd, "queue", false);
}

TEST_F_TIMEOUT(txn, set_add_pop_threads, 120)
{
	run_queue(_metadata, self->fd, "pool", true);
}

/*
 * SMOVE between two sets (an exclusive op) while transactions read both
 * sets: every snapshot sees each member in exactly one set.
 */
#define NMEMBERS	64

struct mover_arg {
	struct shared *sh;
	uint64_t seed;
	unsigned long moves, snapshots;
};

static void *smover(void *p)
{
	struct mover_arg *a = p;
	int fd = kc_open(), ret;
	char m[8];

	while (fd >= 0 && !a->sh->stop) {
		unsigned int i = kt_rand(&a->seed) % NMEMBERS;
		bool to_b = kt_rand(&a->seed) & 1;
		struct kt_out r;

		snprintf(m, sizeof(m), "m%02u", i);
		if (to_b)
			r = KT(fd, KC_OP_SMOVE, "A", .val = m, .args = { "B" });
		else
			r = KT(fd, KC_OP_SMOVE, "B", .val = m, .args = { "A" });
		ret = r.ret;
		/* A source emptied by the other movers is gone: -ENOENT. */
		if (ret && ret != -ENOENT)
			kt_fail(&a->sh->err, "SMOVE: %s", kc_strerror(ret));
		a->moves++;
	}
	kc_close(fd);
	return NULL;
}

static void *set_auditor(void *p)
{
	struct mover_arg *a = p;
	struct kc_batch_builder b;
	static __thread unsigned char out[2][4096];
	int fd = kc_open(), ret;

	kc_batch_init(&b);
	while (fd >= 0 && !a->sh->stop) {
		unsigned char seen[NMEMBERS] = { 0 };
		unsigned int k, total = 0;
		struct kc_op *op;

		kc_batch_reset(&b);
		op = add(&b, KC_OP_SMEMBERS, 0, "A", NULL, 0);
		kc_op_out(op, out[0], sizeof(out[0]));
		op = add(&b, KC_OP_SMEMBERS, 0, "B", NULL, 0);
		kc_op_out(op, out[1], sizeof(out[1]));
		add(&b, KC_OP_SCARD, 0, "A", NULL, 0);
		add(&b, KC_OP_SCARD, 0, "B", NULL, 0);
		ret = kc_batch_submit(fd, &b, KC_BATCH_TXN);
		if (ret) {
			kt_fail(&a->sh->err, "snapshot: %s", kc_strerror(ret));
			continue;
		}
		for (k = 0; k < 2; k++) {
			struct kc_elem_iter it;
			const struct kc_elem *e;
			const void *data;
			int64_t card;

			if (b.ops[k].result == -ENOENT)
				continue;
			if (b.ops[k].result) {
				kt_fail(&a->sh->err, "SMEMBERS: %s",
					kc_strerror(b.ops[k].result));
				continue;
			}
			card = b.ops[k + 2].result ? 0 : b.ops[k + 2].num;
			if (card != b.ops[k].num)
				kt_fail(&a->sh->err, "SCARD %lld, SMEMBERS %lld in one snapshot",
					(long long)card, (long long)b.ops[k].num);
			kc_elem_iter_init(&it, out[k], b.ops[k].out_used,
					  b.ops[k].num);
			while ((e = kc_elem_next(&it, &data))) {
				char m[8];
				unsigned int idx;

				snprintf(m, sizeof(m), "%.*s", (int)e->len,
					 (const char *)data);
				if (sscanf(m, "m%u", &idx) != 1 ||
				    idx >= NMEMBERS) {
					kt_fail(&a->sh->err, "unknown member %s", m);
					continue;
				}
				if (seen[idx]++)
					kt_fail(&a->sh->err, "%s in both sets", m);
				total++;
			}
		}
		if (total != NMEMBERS)
			kt_fail(&a->sh->err, "a snapshot saw %u members", total);
		a->snapshots++;
	}
	kc_batch_exit(&b);
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(txn, smove_keeps_every_member_in_one_set, 120)
{
	struct mover_arg a[3];
	struct shared sh;
	pthread_t t[3];
	unsigned int i;
	char m[8];
	int64_t ca, cb;

	memset(&sh, 0, sizeof(sh));
	kt_errors_init(&sh.err);
	for (i = 0; i < NMEMBERS; i++) {
		snprintf(m, sizeof(m), "m%02u", i);
		ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, i % 2 ? "A" : "B",
				.args = { m }).ret);
	}
	for (i = 0; i < 3; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].sh = &sh;
		a[i].seed = 77 + i;
		ASSERT_EQ(0, start(&t[i], i < 2 ? smover : set_auditor, &a[i]));
	}
	kt_sleep_ms(RUN_MS);
	sh.stop = 1;
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	KT_EXPECT_NO_ERRORS(&sh.err);
	EXPECT_LT(10, a[0].moves + a[1].moves);
	EXPECT_LT(2, a[2].snapshots);
	ca = kt_len(self->fd, KC_OP_SCARD, "A");
	cb = kt_len(self->fd, KC_OP_SCARD, "B");
	EXPECT_EQ(NMEMBERS, (ca > 0 ? ca : 0) + (cb > 0 ? cb : 0));
	TH_LOG("%lu moves, %lu snapshots", a[0].moves + a[1].moves,
	       a[2].snapshots);
}

TEST_HARNESS_MAIN
