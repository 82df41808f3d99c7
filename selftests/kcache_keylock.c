// SPDX-License-Identifier: GPL-2.0
/*
 * Per-key locking (issue #13): a multi-key operation or a transaction
 * excludes only the operations on the keys it names.
 *
 * Blocking: while a first client runs a long multi-key operation over and
 * over (SINTER of six large sets, SUNIONSTORE of them, an MSET of 32,768
 * pairs over 16 keys, a transaction of 4,096 LINSERTs into a long list),
 * a second client does SET+GET of unrelated keys.  Asserted is a relation measured
 * in the same run, never an absolute time: a "stall" is a SET+GET that
 * took more than a quarter of the long operation's median duration, and
 * fewer than a quarter of the long runs may cause one.  With a cache-wide
 * lock every long run stalls the second client (it always has a request
 * in flight, which then waits for the rest of the run), so stalls are
 * about as many as runs; host noise (a vCPU thread descheduled) rarely
 * lasts a quarter of a run.  The second client rotates over eight keys,
 * so that a key sharing a stripe with one of the long operation's keys
 * (Documentation/design.rst) is at most an eighth of its requests.
 *
 * Serialisation of the same keys: concurrent readers never see a
 * half-applied MSET (MGET of all its keys), nor a half-run transaction
 * (MGET of both keys it increments, and INCRBY results inside it that
 * are consecutive while another client increments the same key); clients
 * running multi-key operations over shared keys in opposite orders all
 * finish (no deadlock).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_types.h"

#define KT_MEASURE_MS	3000	/* at least; and at least 4 long ops */
#define KT_RACE_MS	2000
#define BIG		30000	/* members of each of the sets */
#define NSETS		6	/* big1 ... big6, the same members */
#define LIST_LEN	1000
#define CHUNK		1000
#define MSET_KEYS	16		/* distinct keys of the MSET */
#define MSET_PAIRS	(KC_ARGS_MAX / 2)	/* each key 2,048 times */
#define MSET_VAL	64
#define NOTHER		8
#define MAXLAT		100000
_Static_assert(MAXLAT % NOTHER == 0, "lat[] keeps each key's slots");

enum longop {
	L_SINTER,
	L_SUNIONSTORE,
	L_MSET,
	L_TXN,
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp64);
	return n ? v[n / 2] : 0;
}

/* Adds n members (or list elements) prefix<i> to key, CHUNK per op. */
static int fill(int fd, uint32_t opcode, const char *key, const char *prefix,
		int n)
{
	static char names[CHUNK][32];
	struct kc_buf args[CHUNK];
	struct kc_op op;
	int i, j, err;

	for (i = 0; i < n; i += CHUNK) {
		for (j = 0; j < CHUNK && i + j < n; j++) {
			snprintf(names[j], sizeof(names[j]), "%s%d", prefix,
				 i + j);
			kc_buf_set(&args[j], names[j], strlen(names[j]));
		}
		kc_op_init(&op, opcode);
		kc_op_key(&op, key, strlen(key));
		kc_op_args(&op, args, j);
		err = kc_do(fd, &op);
		if (err)
			return err;
	}
	return 0;
}

/* One run of a long operation; 0 when its result is the expected one. */
static int run_once(int fd, enum longop w, void *out, size_t outlen)
{
	static char mkeys[MSET_KEYS][16], *mval;
	static struct kc_buf kv[2 * MSET_PAIRS], pivot, sets[NSETS];
	static char names[NSETS][8];
	struct kc_batch_builder b;
	struct kc_op op, *o;
	int i, err;

	for (i = 0; i < NSETS; i++) {
		snprintf(names[i], sizeof(names[i]), "big%d", i + 1);
		kc_buf_set(&sets[i], names[i], strlen(names[i]));
	}
	switch (w) {
	case L_SINTER:
		kc_op_init(&op, KC_OP_SINTER);
		kc_op_args(&op, sets, NSETS);
		kc_op_out(&op, out, outlen);
		err = kc_do(fd, &op);
		if (err)
			return err;
		return op.num == BIG ? 0 : -EBADMSG;
	case L_SUNIONSTORE:
		kc_op_init(&op, KC_OP_SUNIONSTORE);
		kc_op_key(&op, "dst", 3);
		kc_op_args(&op, sets, NSETS);
		err = kc_do(fd, &op);
		if (err)
			return err;
		return op.num == BIG ? 0 : -EBADMSG;
	case L_MSET:
		if (!mval) {
			mval = malloc(MSET_VAL);
			if (!mval)
				return -ENOMEM;
			memset(mval, 'v', MSET_VAL);
			for (i = 0; i < MSET_KEYS; i++)
				snprintf(mkeys[i], sizeof(mkeys[i]), "mk%d", i);
			for (i = 0; i < MSET_PAIRS; i++) {
				kc_buf_set(&kv[2 * i], mkeys[i % MSET_KEYS],
					   strlen(mkeys[i % MSET_KEYS]));
				kc_buf_set(&kv[2 * i + 1], mval, MSET_VAL);
			}
		}
		return kc_mset(fd, kv, 2 * MSET_PAIRS);
	case L_TXN:
		kc_buf_set(&pivot, "nope", 4);
		kc_batch_init(&b);
		for (i = 0; i < KC_BATCH_MAX; i++) {
			o = kc_batch_add(&b, KC_OP_LINSERT);
			if (!o)
				return -ENOMEM;
			o->flags = KC_LINSERT_BEFORE;
			kc_op_key(o, "L", 1);
			kc_op_val(o, "new", 3);
			kc_op_args(o, &pivot, 1);
		}
		err = kc_batch_submit(fd, &b, KC_BATCH_TXN);
		for (i = 0; !err && i < KC_BATCH_MAX; i++)
			if (b.ops[i].result || b.ops[i].num != -1)
				err = -EBADMSG;
		kc_batch_exit(&b);
		return err;
	}
	return -EINVAL;
}

/*
 * Forks the first client, which runs w until killed and reports each
 * run's duration (us; negative: its error) on a pipe; meanwhile times the
 * second client's SET+GET of other keys; then compares the medians.
 */
static void relation(struct __test_metadata *_metadata, int fd2,
		     enum longop w, const char *name)
{
	static int64_t lat[MAXLAT], dur[4096];
	int64_t t0, t, d, dmed, lmax = 0, first;
	size_t outlen = 8 << 20;
	int p[2], status, n = 0, nd = 0, i, stalls = 0, worst_key = 0;
	int per_key[NOTHER] = {};
	char key[16], val[16], buf[16];
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		void *out = malloc(outlen);
		int fd = kc_open(), err;

		close(p[0]);
		for (;;) {
			t = mono_us();
			err = fd < 0 ? fd : out ? run_once(fd, w, out, outlen) :
						  -ENOMEM;
			t = err ? err : mono_us() - t;
			if (write(p[1], &t, sizeof(t)) != sizeof(t) || err)
				_exit(1);
		}
	}
	close(p[1]);
	ASSERT_EQ(sizeof(first), read(p[0], &first, sizeof(first)));
	ASSERT_LT(0, first) {
		TH_LOG("%s: first run: %s", name, strerror((int)-first));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	/*
	 * Four long runs at least (a minute at most), overlapping.  lat[i]
	 * is a SET+GET of key i % NOTHER also after the ring wrapped
	 * (MAXLAT is a multiple of NOTHER).
	 */
	dur[nd++] = first;
	ASSERT_EQ(0, fcntl(p[0], F_SETFL, O_NONBLOCK));
	t0 = kt_mono_ms();
	while ((kt_mono_ms() - t0 < KT_MEASURE_MS || nd < 4) &&
	       kt_mono_ms() - t0 < 60000) {
		snprintf(key, sizeof(key), "other%d", n % NOTHER);
		snprintf(val, sizeof(val), "v%d", n);
		t = mono_us();
		ASSERT_EQ(0, kt_set(fd2, key, val));
		ASSERT_EQ((int)strlen(val), kt_get(fd2, key, buf,
						   sizeof(buf)));
		t = mono_us() - t;
		/* A ring: a slow machine may need more than MAXLAT for 4 runs. */
		lat[n++ % MAXLAT] = t;
		if (t > lmax)
			lmax = t;
		while (nd < 4096 && read(p[0], &d, sizeof(d)) == sizeof(d)) {
			EXPECT_LT(0, d) {
				TH_LOG("%s: a run failed: %s", name,
				       strerror((int)-d));
			}
			dur[nd++] = d;
		}
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		TH_LOG("%s: the first client stopped by itself", name);
	}
	while (nd < 4096 && read(p[0], &d, sizeof(d)) == sizeof(d)) {
		EXPECT_LT(0, d) {
			TH_LOG("%s: a run failed: %s", name,
			       strerror((int)-d));
		}
		dur[nd++] = d;
	}
	close(p[0]);
	dmed = median(dur, nd);
	/* Stalls, but for the key with the most (it may share a stripe). */
	for (i = 0; i < n && i < MAXLAT; i++)
		if (lat[i] * 4 > dmed)
			per_key[i % NOTHER]++;
	for (i = 0; i < NOTHER; i++) {
		stalls += per_key[i];
		if (per_key[i] > worst_key)
			worst_key = per_key[i];
	}
	stalls -= worst_key;
	ksft_print_msg("%s: %d runs, median %lld.%03lld ms; second client: %d SET+GET, max %lld.%03lld ms, %d over a quarter run\n",
		       name, nd, (long long)dmed / 1000,
		       (long long)dmed % 1000, n, (long long)lmax / 1000,
		       (long long)lmax % 1000, stalls);
	EXPECT_LE(4, nd);
	EXPECT_LE(NOTHER, n);
	EXPECT_LT(stalls * 4, nd) {
		TH_LOG("%s: unrelated keys wait for the long operation", name);
	}
}

FIXTURE(keylock) {
	int fd;
	int fd2;
};

FIXTURE_SETUP(keylock)
{
	self->fd = kc_open();
	ASSERT_LE(0, self->fd) {
		TH_LOG("kc_open: %s (is kcache.ko loaded?)",
		       strerror(-self->fd));
	}
	self->fd2 = kc_open();
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_flush(self->fd));
}

FIXTURE_TEARDOWN(keylock)
{
	kc_flush(self->fd);
	kc_close(self->fd2);
	kc_close(self->fd);
}

/* big1 ... big6: the same BIG members each. */
static int fill_sets(int fd)
{
	char key[8];
	int i, err = 0;

	for (i = 1; i <= NSETS && !err; i++) {
		snprintf(key, sizeof(key), "big%d", i);
		err = fill(fd, KC_OP_SADD, key, "m", BIG);
	}
	return err;
}

TEST_F_TIMEOUT(keylock, sinter_blocks_only_its_keys, 300)
{
	ASSERT_EQ(0, fill_sets(self->fd));
	relation(_metadata, self->fd2, L_SINTER, "SINTER big1 ... big6");
}

TEST_F_TIMEOUT(keylock, sunionstore_blocks_only_its_keys, 300)
{
	ASSERT_EQ(0, fill_sets(self->fd));
	relation(_metadata, self->fd2, L_SUNIONSTORE,
		 "SUNIONSTORE dst big1 ... big6");
	EXPECT_EQ(BIG, kt_len(self->fd, KC_OP_SCARD, "dst"));
}

TEST_F_TIMEOUT(keylock, mset_blocks_only_its_keys, 300)
{
	char name[64];

	snprintf(name, sizeof(name), "MSET of %d pairs over %d keys",
		 MSET_PAIRS, MSET_KEYS);
	relation(_metadata, self->fd2, L_MSET, name);
}

TEST_F_TIMEOUT(keylock, txn_blocks_only_its_keys, 300)
{
	ASSERT_EQ(0, fill(self->fd, KC_OP_RPUSH, "L", "e", LIST_LEN));
	relation(_metadata, self->fd2, L_TXN, "MULTI 4096 x LINSERT");
	EXPECT_EQ(LIST_LEN, kt_len(self->fd, KC_OP_LLEN, "L"));
}

/* Same keys: the race tests' threads. */
struct race {
	int64_t until;			/* kt_mono_ms() */
	int errors;			/* what a reader saw wrong */
	int rounds;
	char what[256];
};

#define RKEYS	16

static void rkey(char *k, size_t n, int i)
{
	snprintf(k, n, "r%d", i);
}

/* MSET of r0..r15, all to one value that changes every round. */
static void *mset_writer(void *arg)
{
	struct race *r = arg;
	char keys[RKEYS][8], val[32];
	struct kc_buf kv[2 * RKEYS];
	int fd = kc_open(), i, g;

	if (fd < 0) {
		r->errors++;
		return NULL;
	}
	for (g = 1; kt_mono_ms() < r->until; g++) {
		snprintf(val, sizeof(val), "generation-%d", g);
		for (i = 0; i < RKEYS; i++) {
			rkey(keys[i], sizeof(keys[i]), i);
			kc_buf_set(&kv[2 * i], keys[i], strlen(keys[i]));
			kc_buf_set(&kv[2 * i + 1], val, strlen(val));
		}
		if (kc_mset(fd, kv, 2 * RKEYS)) {
			r->errors++;
			snprintf(r->what, sizeof(r->what), "MSET failed");
			break;
		}
	}
	r->rounds = g;
	kc_close(fd);
	return NULL;
}

/* MGET of keys 0..n-1 (names from rkey()): are all values the same? */
static int mget_same(int fd, int n, struct race *r)
{
	char keys[RKEYS][8], out[4096], first[64];
	struct kc_buf kb[RKEYS];
	const struct kc_elem *e;
	struct kc_elem_iter it;
	size_t used, count;
	const void *data;
	int i, ret;

	for (i = 0; i < n; i++) {
		rkey(keys[i], sizeof(keys[i]), i);
		kc_buf_set(&kb[i], keys[i], strlen(keys[i]));
	}
	ret = kc_mget(fd, kb, n, out, sizeof(out), &used, &count);
	if (ret || count != (size_t)n)
		return -EIO;
	kc_elem_iter_init(&it, out, used, count);
	for (i = 0; (e = kc_elem_next(&it, &data)); i++) {
		char v[64];

		snprintf(v, sizeof(v), "%.*s",
			 (e->flags & KC_ELEM_NIL) ? 5 : (int)e->len,
			 (e->flags & KC_ELEM_NIL) ? "(nil)" : (const char *)data);
		if (!i) {
			snprintf(first, sizeof(first), "%s", v);
		} else if (strcmp(first, v)) {
			snprintf(r->what, sizeof(r->what),
				 "MGET: r0=%s but r%d=%s", first, i, v);
			return 1;
		}
	}
	return it.err ? -EIO : 0;
}

static void *mget_reader(void *arg)
{
	struct race *r = arg;
	int fd = kc_open(), ret;

	if (fd < 0) {
		r->errors++;
		return NULL;
	}
	while (kt_mono_ms() < r->until) {
		ret = mget_same(fd, RKEYS, r);
		if (ret) {
			r->errors++;
			if (ret < 0)
				snprintf(r->what, sizeof(r->what),
					 "MGET failed");
			break;
		}
	}
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(keylock, mset_is_never_seen_half_applied, 120)
{
	struct race w = {}, rd[2] = {};
	pthread_t tw, tr[2];
	int i;

	w.until = rd[0].until = rd[1].until = kt_mono_ms() + KT_RACE_MS;
	ASSERT_EQ(0, pthread_create(&tw, NULL, mset_writer, &w));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&tr[i], NULL, mget_reader, &rd[i]));
	pthread_join(tw, NULL);
	for (i = 0; i < 2; i++)
		pthread_join(tr[i], NULL);
	EXPECT_EQ(0, w.errors) {
		TH_LOG("%s", w.what);
	}
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, rd[i].errors) {
			TH_LOG("reader %d: %s", i, rd[i].what);
		}
	}
	EXPECT_LT(10, w.rounds);
	ksft_print_msg("%d MSETs of %d keys against 2 MGET readers\n",
		       w.rounds, RKEYS);
}

/* Transactions INCRBY r0 1, INCRBY r0 1, INCRBY r1 2: isolated? */
static void *txn_writer(void *arg)
{
	struct race *r = arg;
	struct kc_batch_builder b;
	struct kc_op *o;
	int fd = kc_open(), i, err;

	if (fd < 0) {
		r->errors++;
		return NULL;
	}
	while (kt_mono_ms() < r->until && !r->errors) {
		kc_batch_init(&b);
		for (i = 0; i < 3; i++) {
			o = kc_batch_add(&b, KC_OP_INCRBY);
			if (!o)
				break;
			kc_op_key(o, i < 2 ? "r0" : "r1", 2);
			o->num = i < 2 ? 1 : 2;
		}
		err = i < 3 ? -ENOMEM : kc_batch_submit(fd, &b, KC_BATCH_TXN);
		if (err || b.ops[0].result || b.ops[1].result ||
		    b.ops[2].result) {
			snprintf(r->what, sizeof(r->what), "EXEC failed: %d",
				 err);
			r->errors++;
		} else if (b.ops[1].num != b.ops[0].num + 1) {
			/* Another client's INCRBY ran in between. */
			snprintf(r->what, sizeof(r->what),
				 "INCRBY r0 in one EXEC: %lld then %lld",
				 (long long)b.ops[0].num,
				 (long long)b.ops[1].num);
			r->errors++;
		}
		kc_batch_exit(&b);
		r->rounds++;
	}
	kc_close(fd);
	return NULL;
}

/* Single INCRBY r0 1 and INCRBY r1 1: the other side of the race. */
static void *incr_writer(void *arg)
{
	struct race *r = arg;
	struct kc_op op;
	int fd = kc_open();

	if (fd < 0) {
		r->errors++;
		return NULL;
	}
	while (kt_mono_ms() < r->until) {
		kc_op_init(&op, KC_OP_INCRBY);
		kc_op_key(&op, r->rounds & 1 ? "r1" : "r0", 2);
		op.num = 1;
		if (kc_do(fd, &op)) {
			r->errors++;
			break;
		}
		/* ... and the other key, in the other order next round. */
		kc_op_init(&op, KC_OP_INCRBY);
		kc_op_key(&op, r->rounds & 1 ? "r0" : "r1", 2);
		op.num = 1;
		if (kc_do(fd, &op)) {
			r->errors++;
			break;
		}
		r->rounds++;
	}
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(keylock, exec_is_isolated_from_other_clients, 120)
{
	struct race tw = {}, iw = {};
	pthread_t t1, t2;

	ASSERT_EQ(0, kt_set(self->fd, "r0", "0"));
	ASSERT_EQ(0, kt_set(self->fd, "r1", "0"));
	tw.until = iw.until = kt_mono_ms() + KT_RACE_MS;
	ASSERT_EQ(0, pthread_create(&t1, NULL, txn_writer, &tw));
	ASSERT_EQ(0, pthread_create(&t2, NULL, incr_writer, &iw));
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	EXPECT_EQ(0, tw.errors) {
		TH_LOG("%s", tw.what);
	}
	EXPECT_EQ(0, iw.errors);
	EXPECT_LT(10, tw.rounds);
	EXPECT_LT(10, iw.rounds);
	ksft_print_msg("%d transactions against %d pairs of INCRBY\n",
		       tw.rounds, iw.rounds);
}

/* Transactions SET r0..r15 to one value: an MGET sees all or none. */
static void *txn_mset_writer(void *arg)
{
	struct race *r = arg;
	struct kc_batch_builder b;
	char keys[RKEYS][8], val[32];
	struct kc_op *o;
	int fd = kc_open(), i, g, err;

	if (fd < 0) {
		r->errors++;
		return NULL;
	}
	for (g = 1; kt_mono_ms() < r->until; g++) {
		snprintf(val, sizeof(val), "txn-%d", g);
		kc_batch_init(&b);
		/* In an order of their own: MGET locks them ascending. */
		for (i = RKEYS - 1; i >= 0; i--) {
			o = kc_batch_add(&b, KC_OP_SET);
			if (!o)
				break;
			rkey(keys[i], sizeof(keys[i]), i);
			kc_op_key(o, keys[i], strlen(keys[i]));
			kc_op_val(o, val, strlen(val));
		}
		err = i >= 0 ? -ENOMEM : kc_batch_submit(fd, &b, KC_BATCH_TXN);
		kc_batch_exit(&b);
		if (err) {
			snprintf(r->what, sizeof(r->what), "EXEC: %d", err);
			r->errors++;
			break;
		}
	}
	r->rounds = g;
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(keylock, exec_is_never_seen_half_run, 120)
{
	struct race w = {}, rd = {};
	pthread_t tw, tr;

	w.until = rd.until = kt_mono_ms() + KT_RACE_MS;
	ASSERT_EQ(0, pthread_create(&tw, NULL, txn_mset_writer, &w));
	ASSERT_EQ(0, pthread_create(&tr, NULL, mget_reader, &rd));
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	EXPECT_EQ(0, w.errors) {
		TH_LOG("%s", w.what);
	}
	EXPECT_EQ(0, rd.errors) {
		TH_LOG("%s", rd.what);
	}
	EXPECT_LT(10, w.rounds);
}

/*
 * Multi-key operations over shared keys named in opposite orders, from
 * several clients at once: RENAME a<->b, SMOVE between two sets both
 * ways, SUNIONSTORE into each set from the other, MSET in both orders.
 * Each client runs a fixed number of rounds: a deadlock hangs the test
 * (its timeout fails it), and every set's members are still all there.
 */
static void *opposite(void *arg)
{
	static __thread char out[4096];
	long dir = (long)arg;
	struct kc_buf kv[4], one;
	const char *s1 = dir ? "s1" : "s2", *s2 = dir ? "s2" : "s1";
	struct kc_op op;
	int fd = kc_open(), i, bad = 0, ret;
	char m[16];

	if (fd < 0)
		return (void *)1L;
	for (i = 0; i < 2000 && !bad; i++) {
		kc_buf_set(&kv[0], dir ? "ka" : "kb", 2);
		kc_buf_set(&kv[1], "x", 1);
		kc_buf_set(&kv[2], dir ? "kb" : "ka", 2);
		kc_buf_set(&kv[3], "x", 1);
		ret = kc_mset(fd, kv, 4);
		if (ret) {
			bad = 1000 - ret;
			break;
		}

		snprintf(m, sizeof(m), "m%d", i % 50);
		kc_buf_set(&one, s2, 2);
		kc_op_init(&op, KC_OP_SMOVE);
		kc_op_key(&op, s1, 2);
		kc_op_args(&op, &one, 1);
		kc_op_val(&op, m, strlen(m));
		/* -ENOENT: the other clients emptied the source. */
		ret = kc_do(fd, &op);
		if (ret && ret != -ENOENT) {
			bad = 2000 - ret;
			break;
		}

		kc_op_init(&op, KC_OP_RENAME);
		kc_op_key(&op, dir ? "ka" : "kb", 2);
		kc_op_val(&op, dir ? "kb" : "ka", 2);
		/* The other client may have renamed it away: -ENOENT. */
		ret = kc_do(fd, &op);
		if (ret && ret != -ENOENT) {
			bad = 3000 - ret;
			break;
		}

		kc_buf_set(&kv[0], s1, 2);
		kc_buf_set(&kv[1], s2, 2);
		kc_op_init(&op, KC_OP_SUNION);
		kc_op_args(&op, kv, 2);
		kc_op_out(&op, out, sizeof(out));
		ret = kc_do(fd, &op);
		if (ret || op.num != 50)
			bad = ret ? 4000 - ret : 5000 + (int)op.num;
	}
	kc_close(fd);
	return (void *)(long)bad;
}

TEST_F_TIMEOUT(keylock, opposite_orders_do_not_deadlock, 300)
{
	struct kt_out r;
	pthread_t t[4];
	void *ret;
	long i;

	ASSERT_EQ(0, fill(self->fd, KC_OP_SADD, "s1", "m", 50));
	ASSERT_EQ(0, fill(self->fd, KC_OP_SADD, "s2", "m", 50));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, opposite,
					    (void *)(i & 1)));
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &ret);
		/* 1000s: MSET, SMOVE, RENAME, SUNION failed (+ errno); 5000 +
		 * the SUNION's count when it was not 50.
		 */
		EXPECT_EQ(0, (long)ret);
	}
	/* Every member is in one set or both, none lost. */
	r = KT(self->fd, KC_OP_SUNION, NULL, .args = { "s1", "s2" });
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(50, r.n);
}

TEST_HARNESS_MAIN
