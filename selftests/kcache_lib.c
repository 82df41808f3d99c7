// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache's batch API against the module: struct kc_pipe (pipelines and
 * transactions without the ABI's structs), kc_batch_run() (raw kc_op
 * arrays, split past KC_BATCH_MAX) and the _via forms of the single-op
 * helpers.  Each test checks the values the ops returned, not only that
 * the calls succeeded:
 *
 *   - a pipeline runs every op in order with its own result, reply, CAS,
 *     client flags, integer and TTL, and reports -ENOSPC with the size
 *     needed when a reply room is too small;
 *   - inputs are copied (the caller's buffers may change after the add)
 *     unless KC_PIPE_BORROW, when the run sees them as they are then;
 *   - a pipe runs again with its inputs, not with the last run's outputs;
 *   - reply room from the pipe's arena, a caller's arena (-ENOBUFS when too
 *     small, before any op runs) or a caller's buffer per op;
 *   - a transaction with a watched key that changed runs nothing
 *     (-ECANCELED), one with a malformed op runs nothing (-EINVAL, that op
 *     says why); with the version still current, all run;
 *   - a plain batch of more than KC_BATCH_MAX ops runs them all;
 *   - bad indexes and unrun ops give -EINVAL and -ENODATA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"

FIXTURE(lib) {
	int fd;
	int fd2;		/* "another client" */
	struct kc_pipe *p;
};

FIXTURE_SETUP(lib)
{
	self->fd = kc_open();
	ASSERT_LE(0, self->fd) {
		TH_LOG("kc_open: %s (is kcache.ko loaded?)", strerror(-self->fd));
	}
	self->fd2 = kc_open();
	ASSERT_LE(0, self->fd2);
	self->p = kc_pipe_new(0);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, kc_flush(self->fd));
}

FIXTURE_TEARDOWN(lib)
{
	kc_pipe_free(self->p);
	kc_close(self->fd2);
	kc_close(self->fd);
}

/* Appends op on a C-string key; the index, or a negative errno. */
static int add(struct kc_pipe *p, uint32_t opcode, const char *key)
{
	return kc_pipe_add_key(p, opcode, key, strlen(key));
}

/* The reply of op i compared with a C string: 0 when equal. */
static int reply_is(struct kc_pipe *p, size_t i, const char *want)
{
	size_t len;
	const void *r = kc_pipe_reply(p, i, &len);

	if (!r)
		return -1;
	return len == strlen(want) && !memcmp(r, want, len) ? 0 : 1;
}

TEST_F(lib, pipeline_results)
{
	struct kc_pipe *p = self->p;
	int set, get, miss, incr, ttl, small, type;
	size_t len;

	set = add(p, KC_OP_SET, "a");
	ASSERT_EQ(0, set);
	ASSERT_EQ(0, kc_pipe_set_val(p, set, "hello", 5));
	ASSERT_EQ(0, kc_pipe_set_client_flags(p, set, 0xbeef));
	ASSERT_EQ(0, kc_pipe_set_expire(p, set, 100));
	get = add(p, KC_OP_GET, "a");
	ASSERT_EQ(1, get);
	ASSERT_EQ(0, kc_pipe_set_reply(p, get, 64));
	miss = add(p, KC_OP_GET, "missing");
	ASSERT_EQ(0, kc_pipe_set_reply(p, miss, 64));
	incr = add(p, KC_OP_INCRBY, "n");
	ASSERT_EQ(0, kc_pipe_set_num(p, incr, 41, 0));
	ttl = add(p, KC_OP_TTL, "a");
	small = add(p, KC_OP_GET, "a");
	ASSERT_EQ(0, kc_pipe_set_reply(p, small, 2));
	type = add(p, KC_OP_TYPE, "a");
	ASSERT_EQ(7, kc_pipe_count(p));
	ASSERT_EQ(-ENODATA, kc_pipe_result(p, get));

	ASSERT_EQ(0, kc_pipe_run(self->fd, p));
	ASSERT_EQ(7, kc_pipe_done(p));
	EXPECT_EQ(0, kc_pipe_result(p, set));
	EXPECT_NE(0, kc_pipe_cas(p, set));
	EXPECT_EQ(0, kc_pipe_result(p, get));
	EXPECT_EQ(0, reply_is(p, get, "hello"));
	EXPECT_EQ(kc_pipe_cas(p, set), kc_pipe_cas(p, get));
	EXPECT_EQ(0xbeef, kc_pipe_client_flags(p, get));
	EXPECT_EQ(-ENOENT, kc_pipe_result(p, miss));
	EXPECT_EQ(0, kc_pipe_result(p, incr));
	EXPECT_EQ(41, kc_pipe_num(p, incr));
	EXPECT_EQ(0, kc_pipe_result(p, ttl));
	EXPECT_LE(99, kc_pipe_expire(p, ttl));
	EXPECT_GE(100, kc_pipe_expire(p, ttl));
	EXPECT_EQ(-ENOSPC, kc_pipe_result(p, small));
	EXPECT_EQ(NULL, kc_pipe_reply(p, small, &len));
	EXPECT_EQ(5, len);
	EXPECT_EQ(0, kc_pipe_result(p, type));
	EXPECT_EQ(KC_TYPE_STRING, kc_pipe_num(p, type));

	/* What the pipeline wrote is in the cache. */
	EXPECT_EQ(-ENOSPC, kc_get(self->fd, "n", 1, NULL, 0, &len, NULL, NULL));
	EXPECT_EQ(2, len);	/* "41" */
}

TEST_F(lib, empty_value_and_set_get)
{
	struct kc_pipe *p = self->p;
	const void *r;
	size_t len = 99;
	int i, j;

	ASSERT_EQ(0, kt_set(self->fd, "old", "was"));
	i = add(p, KC_OP_SET, "empty");
	ASSERT_LE(0, i);
	j = add(p, KC_OP_GET, "empty");
	ASSERT_EQ(0, kc_pipe_set_reply(p, j, 16));
	/* NX fails on an existing key, GET still returns the old value. */
	i = add(p, KC_OP_SET, "old");
	ASSERT_EQ(0, kc_pipe_set_val(p, i, "new", 3));
	ASSERT_EQ(0, kc_pipe_set_flags(p, i, KC_SET_NX | KC_SET_GET));
	ASSERT_EQ(0, kc_pipe_set_reply(p, i, 16));
	ASSERT_EQ(0, kc_pipe_run(self->fd, p));

	r = kc_pipe_reply(p, j, &len);
	EXPECT_EQ(0, kc_pipe_result(p, j));
	EXPECT_NE(NULL, r);	/* an empty value is not "no reply" */
	EXPECT_EQ(0, len);
	EXPECT_EQ(-EEXIST, kc_pipe_result(p, i));
	EXPECT_EQ(0, reply_is(p, i, "was"));
}

TEST_F(lib, multi_element_reply)
{
	struct kc_pipe *p = self->p;
	const struct kc_elem *e;
	struct kc_elem_iter it;
	const void *data, *r;
	size_t len;
	int i;

	ASSERT_EQ(0, kt_set(self->fd, "k1", "one"));
	ASSERT_EQ(0, kt_set(self->fd, "k3", "three"));
	i = kc_pipe_add(p, KC_OP_MGET);
	ASSERT_EQ(0, i);
	ASSERT_EQ(0, kc_pipe_set_arg(p, i, "k1", 2));
	ASSERT_EQ(0, kc_pipe_set_arg(p, i, "k2", 2));
	ASSERT_EQ(0, kc_pipe_set_arg(p, i, "k3", 2));
	ASSERT_EQ(0, kc_pipe_set_reply(p, i, 4096));
	/* A second op with args, so the library lays out two runs of them. */
	ASSERT_EQ(1, add(p, KC_OP_RPUSH, "list"));
	ASSERT_EQ(0, kc_pipe_set_arg(p, 1, "x", 1));
	ASSERT_EQ(0, kc_pipe_set_arg(p, 1, "yy", 2));
	ASSERT_EQ(0, kc_pipe_set_arg(p, i, "k1", 2));	/* back to op 0 */
	ASSERT_EQ(0, kc_pipe_run(self->fd, p));

	ASSERT_EQ(0, kc_pipe_result(p, i));
	ASSERT_EQ(4, kc_pipe_num(p, i));
	r = kc_pipe_reply(p, i, &len);
	ASSERT_NE(NULL, r);
	kc_elem_iter_init(&it, r, len, (size_t)kc_pipe_num(p, i));
	e = kc_elem_next(&it, &data);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(3, e->len);
	EXPECT_EQ(0, memcmp(data, "one", 3));
	e = kc_elem_next(&it, &data);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(KC_ELEM_NIL, e->flags & KC_ELEM_NIL);
	e = kc_elem_next(&it, &data);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(5, e->len);
	EXPECT_EQ(0, memcmp(data, "three", 5));
	e = kc_elem_next(&it, &data);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, memcmp(data, "one", 3));
	EXPECT_EQ(NULL, kc_elem_next(&it, &data));
	EXPECT_EQ(0, it.err);
	EXPECT_EQ(0, kc_pipe_result(p, 1));
	EXPECT_EQ(2, kc_pipe_num(p, 1));
}

TEST_F(lib, copy_and_borrow)
{
	struct kc_pipe *b = kc_pipe_new(KC_PIPE_BORROW);
	char key[8] = "ck", val[8] = "v1";
	char out[16];
	size_t len;
	int i;

	ASSERT_NE(NULL, b);
	/* Copied: what the buffers held at the add is what runs. */
	i = kc_pipe_add_key(self->p, KC_OP_SET, key, 2);
	ASSERT_EQ(0, kc_pipe_set_val(self->p, i, val, 2));
	memcpy(key, "zz", 2);
	memcpy(val, "v2", 2);
	ASSERT_EQ(0, kc_pipe_run(self->fd, self->p));
	ASSERT_EQ(0, kc_get(self->fd, "ck", 2, out, sizeof(out), &len, NULL, NULL));
	EXPECT_EQ(2, len);
	EXPECT_EQ(0, memcmp(out, "v1", 2));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "zz", 2));

	/* Borrowed: what the buffers hold at the run is what runs. */
	memcpy(key, "bk", 2);
	memcpy(val, "b1", 2);
	i = kc_pipe_add_key(b, KC_OP_SET, key, 2);
	ASSERT_EQ(0, kc_pipe_set_val(b, i, val, 2));
	memcpy(val, "b2", 2);
	ASSERT_EQ(0, kc_pipe_run(self->fd, b));
	ASSERT_EQ(0, kc_get(self->fd, "bk", 2, out, sizeof(out), &len, NULL, NULL));
	EXPECT_EQ(0, memcmp(out, "b2", 2));
	kc_pipe_free(b);

	errno = 0;
	EXPECT_EQ(NULL, kc_pipe_new(1U << 7));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(lib, run_again_and_reset)
{
	struct kc_pipe *p = self->p;
	int i;

	ASSERT_EQ(0, kt_set(self->fd, "ctr", "100"));
	i = add(p, KC_OP_INCRBY, "ctr");
	ASSERT_EQ(0, kc_pipe_set_num(p, i, 5, 0));
	ASSERT_EQ(0, kc_pipe_run(self->fd, p));
	EXPECT_EQ(105, kc_pipe_num(p, i));
	/* The input 5 again, not the output 105 of the last run. */
	ASSERT_EQ(0, kc_pipe_run(self->fd, p));
	EXPECT_EQ(110, kc_pipe_num(p, i));

	kc_pipe_reset(p);
	EXPECT_EQ(0, kc_pipe_count(p));
	EXPECT_EQ(-EINVAL, kc_pipe_result(p, 0));
	EXPECT_EQ(0, kc_pipe_num(p, 0));
	EXPECT_EQ(-EINVAL, kc_pipe_set_num(p, 0, 1, 0));
	EXPECT_EQ(-EINVAL, kc_pipe_set_key(p, 0, "x", 1));
	EXPECT_EQ(-EINVAL, kc_pipe_set_arg(p, 3, "x", 1));
	/* An empty pipe runs (no op) and reports nothing done. */
	EXPECT_EQ(0, kc_pipe_run(self->fd, p));
	EXPECT_EQ(0, kc_pipe_done(p));
}

TEST_F(lib, reply_buffers)
{
	struct kc_pipe *p = self->p;
	char arena[64], mine[8];
	size_t len;
	const void *r;
	int a, b;

	ASSERT_EQ(0, kt_set(self->fd, "x", "0123456789"));
	a = add(p, KC_OP_GET, "x");
	ASSERT_EQ(0, kc_pipe_set_reply(p, a, 40));
	b = add(p, KC_OP_GET, "x");
	ASSERT_EQ(0, kc_pipe_set_reply(p, b, 40));

	/* 2 x 40 bytes do not fit 64: nothing runs. */
	ASSERT_EQ(0, kc_pipe_set_arena(p, arena, sizeof(arena)));
	EXPECT_EQ(-ENOBUFS, kc_pipe_run(self->fd, p));
	EXPECT_EQ(-ENODATA, kc_pipe_result(p, a));

	/* One in the caller's arena, one in the caller's own buffer. */
	ASSERT_EQ(0, kc_pipe_set_reply_buf(p, b, mine, sizeof(mine)));
	ASSERT_EQ(0, kc_pipe_run(self->fd, p));
	r = kc_pipe_reply(p, a, &len);
	EXPECT_EQ((const void *)arena, r);
	EXPECT_EQ(10, len);
	EXPECT_EQ(0, memcmp(arena, "0123456789", 10));
	EXPECT_EQ(-ENOSPC, kc_pipe_result(p, b));
	EXPECT_EQ(NULL, kc_pipe_reply(p, b, &len));
	EXPECT_EQ(10, len);

	ASSERT_EQ(0, kc_pipe_set_reply_buf(p, b, arena + 32, 32));
	ASSERT_EQ(0, kc_pipe_set_arena(p, NULL, 0));	/* own arena again */
	ASSERT_EQ(0, kc_pipe_run(self->fd, p));
	r = kc_pipe_reply(p, a, &len);
	EXPECT_NE((const void *)arena, r);
	EXPECT_EQ(0, reply_is(p, a, "0123456789"));
	EXPECT_EQ((const void *)(arena + 32), kc_pipe_reply(p, b, &len));
	EXPECT_EQ(0, reply_is(p, b, "0123456789"));
}

TEST_F(lib, exec_watch)
{
	struct kc_pipe *p = self->p;
	uint64_t cas;
	char out[16];
	size_t len;
	int i;

	ASSERT_EQ(0, kt_set(self->fd, "bal", "10"));
	cas = kt_cas(self->fd, "bal");
	ASSERT_NE(0, cas);

	/* Another client writes the watched key: nothing runs. */
	ASSERT_EQ(0, kc_pipe_watch(p, "bal", 3, cas));
	i = add(p, KC_OP_SET, "bal");
	ASSERT_EQ(0, kc_pipe_set_val(p, i, "20", 2));
	ASSERT_EQ(1, add(p, KC_OP_SET, "other"));
	ASSERT_EQ(0, kt_set(self->fd2, "bal", "11"));
	EXPECT_EQ(-EINVAL, kc_pipe_run(self->fd, p));	/* watches: exec only */
	EXPECT_EQ(-ECANCELED, kc_pipe_exec(self->fd, p));
	EXPECT_EQ(0, kc_pipe_done(p));
	EXPECT_EQ(-ECANCELED, kc_pipe_result(p, 0));
	EXPECT_EQ(-ECANCELED, kc_pipe_result(p, 1));
	ASSERT_EQ(0, kc_get(self->fd, "bal", 3, out, sizeof(out), &len, NULL, NULL));
	EXPECT_EQ(0, memcmp(out, "11", 2));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "other", 5));

	/* Watched again at the current version: all run. */
	kc_pipe_reset(p);
	ASSERT_EQ(0, kc_pipe_watch(p, "bal", 3, kt_cas(self->fd, "bal")));
	ASSERT_EQ(0, kc_pipe_watch(p, "nokey", 5, 0));
	i = add(p, KC_OP_SET, "bal");
	ASSERT_EQ(0, kc_pipe_set_val(p, i, "20", 2));
	i = add(p, KC_OP_INCRBY, "bal");
	ASSERT_EQ(0, kc_pipe_set_num(p, i, 1, 0));
	ASSERT_EQ(0, kc_pipe_exec(self->fd, p));
	EXPECT_EQ(2, kc_pipe_done(p));
	EXPECT_EQ(0, kc_pipe_result(p, 0));
	EXPECT_EQ(21, kc_pipe_num(p, 1));
}

TEST_F(lib, exec_malformed)
{
	struct kc_pipe *p = self->p;
	int i;

	i = add(p, KC_OP_SET, "good");
	ASSERT_EQ(0, kc_pipe_set_val(p, i, "1", 1));
	i = kc_pipe_add(p, KC_OP_SET);		/* no key: malformed */
	ASSERT_EQ(1, i);
	EXPECT_EQ(-EINVAL, kc_pipe_exec(self->fd, p));
	EXPECT_EQ(0, kc_pipe_done(p));
	EXPECT_EQ(-ECANCELED, kc_pipe_result(p, 0));
	EXPECT_EQ(-EINVAL, kc_pipe_result(p, 1));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "good", 4));

	/* The same as a plain batch: each op on its own. */
	EXPECT_EQ(0, kc_pipe_run(self->fd, p));
	EXPECT_EQ(2, kc_pipe_done(p));
	EXPECT_EQ(0, kc_pipe_result(p, 0));
	EXPECT_EQ(-EINVAL, kc_pipe_result(p, 1));
	EXPECT_EQ(0, kc_exists(self->fd, "good", 4));
}

TEST_F(lib, plain_past_batch_max)
{
	struct kc_pipe *p = self->p;
	size_t n = KC_BATCH_MAX * 2 + 10, i;
	int64_t v;

	for (i = 0; i < n; i++) {
		int j = add(p, KC_OP_INCRBY, "many");

		ASSERT_EQ((int)i, j);
		ASSERT_EQ(0, kc_pipe_set_num(p, i, 1, 0));
	}
	ASSERT_EQ(0, kc_pipe_run(self->fd, p));
	EXPECT_EQ(n, kc_pipe_done(p));
	EXPECT_EQ(1, kc_pipe_num(p, 0));
	EXPECT_EQ((int64_t)n, kc_pipe_num(p, n - 1));
	ASSERT_EQ(0, kc_incrby(self->fd, "many", 4, 0, &v));
	EXPECT_EQ((int64_t)n, v);

	/* A transaction is one ioctl: too many ops run none. */
	EXPECT_EQ(-EINVAL, kc_pipe_exec(self->fd, p));
	EXPECT_EQ(0, kc_pipe_done(p));
	EXPECT_EQ(-EINVAL, kc_pipe_result(p, 0));
	ASSERT_EQ(0, kc_incrby(self->fd, "many", 4, 0, &v));
	EXPECT_EQ((int64_t)n, v);
}

TEST_F(lib, raw_batch_run)
{
	struct kc_op ops[3];
	size_t done = 99;

	kc_op_init(&ops[0], KC_OP_SET);
	kc_op_key(&ops[0], "r", 1);
	kc_op_val(&ops[0], "1", 1);
	kc_op_init(&ops[1], KC_OP_INCRBY);
	kc_op_key(&ops[1], "r", 1);
	ops[1].num = 2;
	kc_op_init(&ops[2], KC_OP_DEL);
	kc_op_key(&ops[2], "nope", 4);
	EXPECT_EQ(0, kc_batch_run(self->fd, ops, 3, 0, NULL, 0, &done));
	EXPECT_EQ(3, done);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(3, ops[1].num);
	EXPECT_EQ(-ENOENT, ops[2].result);

	/* Watches without KC_BATCH_TXN: the kernel refuses, nothing runs. */
	kc_op_init(&ops[0], KC_OP_INCRBY);
	kc_op_key(&ops[0], "r", 1);
	EXPECT_EQ(-EINVAL, kc_batch_run(self->fd, ops, 1, 0, NULL,
					KC_WATCH_MAX + 1, &done));
	EXPECT_EQ(0, done);
	EXPECT_EQ(-EINVAL, ops[0].result);
	/* A bad fd: the ioctl's errno, every op marked. */
	kc_op_init(&ops[0], KC_OP_NOP);
	EXPECT_EQ(-EBADF, kc_batch_run(-1, ops, 1, 0, NULL, 0, &done));
	EXPECT_EQ(-EBADF, ops[0].result);
}

struct counting {
	int fd;
	int calls;
};

static int count_run(void *ctx, struct kc_op *op)
{
	struct counting *c = ctx;

	c->calls++;
	return kc_do(c->fd, op);
}

TEST_F(lib, via_runner)
{
	struct counting c = { .fd = self->fd };
	char big[10000];
	uint64_t cas = 0;
	size_t len;
	void *v;

	memset(big, 'q', sizeof(big));
	ASSERT_EQ(0, kc_store_via(count_run, &c, KC_OP_SET, 0, "big", 3, big,
				  sizeof(big), 7, 0, &cas));
	EXPECT_EQ(1, c.calls);
	EXPECT_NE(0, cas);
	/* 10000 bytes: the first 4096-byte try is too small, one retry. */
	ASSERT_EQ(0, kc_get_alloc_via(count_run, &c, "big", 3, &v, &len,
				      NULL, NULL));
	EXPECT_EQ(3, c.calls);
	EXPECT_EQ(sizeof(big), len);
	EXPECT_EQ(0, memcmp(v, big, len));
	free(v);
	EXPECT_EQ(-ENOENT, kc_get_alloc_via(count_run, &c, "nokey", 5, &v,
					    &len, NULL, NULL));
	EXPECT_EQ(NULL, v);
}

TEST_HARNESS_MAIN
