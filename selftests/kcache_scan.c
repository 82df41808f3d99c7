// SPDX-License-Identifier: GPL-2.0
/*
 * KC_OP_SCAN: Redis's SCAN guarantees (every key present for the whole
 * scan is returned at least once, also while the index grows and shrinks
 * under the scan), the pattern and type filters, COUNT, bad input.
 * KC_OP_SNAPSHOT: the same walk with each key whole (type, flags, expiry,
 * every element), in whole buckets whatever the buffer.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_types.h"

#define NKEYS	20000
#define BUFSZ	(1 << 20)

FIXTURE(scan) {
	int fd;
	char *buf;
};

FIXTURE_SETUP(scan)
{
	self->fd = kc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, kc_flush(self->fd));
	self->buf = malloc(BUFSZ);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(scan)
{
	kc_flush(self->fd);
	kc_close(self->fd);
	free(self->buf);
}

/*
 * One SCAN call: marks the ids of "key:<id>" keys in seen (when not
 * NULL), returns the number of keys, updates *cursor; -errno on error.
 */
static long scan_once(int fd, char *buf, uint64_t *cursor, int64_t count,
		      uint32_t type, const char *pat, unsigned char *seen)
{
	struct kc_op op;
	size_t off = 0;
	long n = 0;
	int ret;

	kc_op_init(&op, KC_OP_SCAN);
	op.num = *cursor;
	op.num2 = count;
	op.client_flags = type;
	if (pat) {
		op.val = (uintptr_t)pat;
		op.val_len = strlen(pat);
	}
	op.out = (uintptr_t)buf;
	op.out_len = BUFSZ;
	ret = kc_do(fd, &op);
	if (ret)
		return ret;
	/* SCAN's num is the cursor, not a count: walk the records. */
	while (off < op.out_used) {
		const struct kc_elem *e = (const void *)(buf + off);
		char key[KC_KEY_MAX + 1];
		int id;

		if (off + sizeof(*e) > op.out_used || e->len > KC_KEY_MAX ||
		    off + KC_ELEM_SIZE(e->len) > op.out_used)
			return -EBADMSG;
		memcpy(key, buf + off + sizeof(*e), e->len);
		off += KC_ELEM_SIZE(e->len);
		key[e->len] = '\0';
		if (seen && sscanf(key, "key:%d", &id) == 1 && id >= 0 &&
		    id < NKEYS)
			seen[id]++;
		n++;
	}
	*cursor = op.num;
	return n;
}

static int set_key(int fd, int id)
{
	char key[32];

	snprintf(key, sizeof(key), "key:%d", id);
	return kt_set(fd, key, "v");
}

static int del_key(int fd, int id)
{
	char key[32];

	snprintf(key, sizeof(key), "key:%d", id);
	return kc_del(fd, key, strlen(key), 0);
}

TEST_F(scan, empty)
{
	uint64_t cursor = 0;

	EXPECT_EQ(0, scan_once(self->fd, self->buf, &cursor, 10, 0, NULL,
			       NULL));
	EXPECT_EQ(0, cursor);
}

/*
 * A few keys come back from one call with cursor 0, as from Redis, whose
 * dict is as small as its keyspace; the index has at least 1024 buckets.
 */
TEST_F(scan, small_keyspace_one_call)
{
	static unsigned char seen[NKEYS];
	uint64_t cursor = 0;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, set_key(self->fd, i));
	memset(seen, 0, sizeof(seen));
	EXPECT_EQ(3, scan_once(self->fd, self->buf, &cursor, 10, 0, NULL,
			       seen));
	EXPECT_EQ(0, cursor);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(1, seen[i]);
}

/* A quiet scan returns each key exactly once. */
TEST_F(scan, every_key_once)
{
	static unsigned char seen[NKEYS];
	uint64_t cursor = 0;
	long calls = 0, got = 0, n;
	int i, dup = 0, missing = 0;

	for (i = 0; i < 5000; i++)
		ASSERT_EQ(0, set_key(self->fd, i));
	memset(seen, 0, sizeof(seen));
	do {
		n = scan_once(self->fd, self->buf, &cursor, 100, 0, NULL, seen);
		ASSERT_LE(0, n);
		got += n;
		calls++;
		ASSERT_GT(100000, calls);
	} while (cursor);
	for (i = 0; i < 5000; i++) {
		missing += !seen[i];
		dup += seen[i] > 1;
	}
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(5000, got);
	/* COUNT is a hint: well over one call for 5000 keys. */
	EXPECT_LT(10, calls);
}

/* The ids of "key:<id>" keys in the order one whole SCAN returns them. */
static int scan_order(int fd, char *buf, int *ids, int max)
{
	uint64_t cursor = 0;
	int n = 0;

	do {
		size_t off = 0;
		struct kc_op op;
		int ret;

		kc_op_init(&op, KC_OP_SCAN);
		op.num = cursor;
		op.num2 = 1000;
		op.out = (uintptr_t)buf;
		op.out_len = BUFSZ;
		ret = kc_do(fd, &op);
		if (ret)
			return ret;
		while (off < op.out_used) {
			const struct kc_elem *e = (const void *)(buf + off);
			char key[KC_KEY_MAX + 1];

			if (off + sizeof(*e) > op.out_used ||
			    e->len > KC_KEY_MAX ||
			    off + KC_ELEM_SIZE(e->len) > op.out_used || n == max)
				return -EBADMSG;
			memcpy(key, buf + off + sizeof(*e), e->len);
			key[e->len] = '\0';
			off += KC_ELEM_SIZE(e->len);
			if (sscanf(key, "key:%d", &ids[n]) != 1)
				return -EBADMSG;
			n++;
		}
		cursor = op.num;
	} while (cursor);
	return n;
}

static int set_key_db(int fd, int id, uint32_t db)
{
	struct kc_op op;
	char key[32];

	snprintf(key, sizeof(key), "key:%d", id);
	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, key, strlen(key));
	kc_op_val(&op, "v", 1);
	op.db = db;
	return kc_do(fd, &op);
}

/*
 * A FLUSH that empties the index draws a new hash seed: keys stored back
 * in the order SCAN listed them (a save, then a load) spread over the
 * buckets instead of arriving one bucket at a time, so SCAN lists them in
 * another order.  With the old seed most keys (every key alone in its
 * bucket, about half at this load) would keep their place.  A FLUSH of
 * one database that leaves keys in another keeps the seed: every key left
 * is still found.
 */
TEST_F(scan, flush_of_everything_draws_a_new_seed)
{
	enum { N = 3000 };
	static int a[N], b[N];
	char v[8], key[32];
	int i, same = 0;

	for (i = 0; i < N; i++)
		ASSERT_EQ(0, set_key(self->fd, i));
	ASSERT_EQ(N, scan_order(self->fd, self->buf, a, N));
	ASSERT_EQ(0, kc_flush(self->fd));
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, set_key(self->fd, a[i]));
	ASSERT_EQ(N, scan_order(self->fd, self->buf, b, N));
	for (i = 0; i < N; i++)
		same += a[i] == b[i];
	EXPECT_GT(N / 10, same);

	/* Database 1 emptied, database 0 full: no new seed. */
	for (i = 0; i < 50; i++)
		ASSERT_EQ(0, set_key_db(self->fd, i, 1));
	ASSERT_EQ(0, kc_flushdb(self->fd, 1));
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "key:%d", i);
		ASSERT_EQ(1, kt_get(self->fd, key, v, sizeof(v)));
	}
}

/*
 * Keys present for the whole scan are returned while the index doubles
 * under the cursor (inserts) and shrinks (deletes of other keys).
 */
TEST_F(scan, survives_resize)
{
	static unsigned char seen[NKEYS];
	int i, next = 5000, gone = 15000, missing = 0;
	uint64_t cursor = 0;
	long calls = 0, n;

	for (i = 0; i < 5000; i++)
		ASSERT_EQ(0, set_key(self->fd, i));
	/* Keys 15000.. exist at the start and are deleted during the scan. */
	for (i = 15000; i < NKEYS; i++)
		ASSERT_EQ(0, set_key(self->fd, i));
	memset(seen, 0, sizeof(seen));
	do {
		n = scan_once(self->fd, self->buf, &cursor, 20, 0, NULL, seen);
		ASSERT_LE(0, n);
		for (i = 0; i < 100 && next < 15000; i++)
			ASSERT_EQ(0, set_key(self->fd, next++));
		for (i = 0; i < 50 && gone < NKEYS; i++)
			ASSERT_EQ(0, del_key(self->fd, gone++));
		ASSERT_GT(1000000, ++calls);
	} while (cursor);
	for (i = 0; i < 5000; i++)
		missing += !seen[i];
	TH_LOG("%ld calls, %d keys added, %d deleted", calls, next - 5000,
	       gone - 15000);
	EXPECT_EQ(0, missing);
	/* The table really changed size under the scan. */
	EXPECT_LT(5000, next - 5000);
}

TEST_F(scan, pattern_and_type)
{
	struct kc_buf elem = { .ptr = (uintptr_t)"a", .len = 1 };
	uint64_t cursor = 0;
	long total = 0, n;
	struct kc_op op;
	int i;

	for (i = 0; i < 100; i++)
		ASSERT_EQ(0, set_key(self->fd, i));
	kc_op_init(&op, KC_OP_RPUSH);
	op.key = (uintptr_t)"key:list";
	op.key_len = 8;
	op.args = (uintptr_t)&elem;
	op.nargs = 1;
	ASSERT_EQ(0, kc_do(self->fd, &op));

	do {
		n = scan_once(self->fd, self->buf, &cursor, 1000, 0, "key:1?",
			      NULL);
		ASSERT_LE(0, n);
		total += n;
	} while (cursor);
	EXPECT_EQ(10, total);

	total = 0;
	do {
		n = scan_once(self->fd, self->buf, &cursor, 1000,
			      KC_TYPE_LIST, NULL, NULL);
		ASSERT_LE(0, n);
		total += n;
	} while (cursor);
	EXPECT_EQ(1, total);

	total = 0;
	do {
		n = scan_once(self->fd, self->buf, &cursor, 1000,
			      KC_TYPE_STRING, "*list*", NULL);
		ASSERT_LE(0, n);
		total += n;
	} while (cursor);
	EXPECT_EQ(0, total);
}

TEST_F(scan, expired_keys_hidden)
{
	uint64_t cursor = 0;
	long total = 0, n;

	ASSERT_EQ(0, kt_set_ex(self->fd, "gone", "v", KC_TTL_MS, 1));
	ASSERT_EQ(0, kt_set(self->fd, "here", "v"));
	kt_sleep_ms(20);
	do {
		n = scan_once(self->fd, self->buf, &cursor, 100, 0, NULL, NULL);
		ASSERT_LE(0, n);
		total += n;
	} while (cursor);
	EXPECT_EQ(1, total);
}

TEST_F(scan, bad_input)
{
	uint64_t cursor = 0;
	struct kc_op op;

	EXPECT_EQ(-EINVAL, scan_once(self->fd, self->buf, &cursor, -1, 0,
				     NULL, NULL));
	EXPECT_EQ(-EINVAL, scan_once(self->fd, self->buf, &cursor, 10,
				     KC_TYPE_MAX + 1, NULL, NULL));
	cursor = 1ULL << 40;
	EXPECT_EQ(-EINVAL, scan_once(self->fd, self->buf, &cursor, 10, 0,
				     NULL, NULL));
	/* A key is not an argument of SCAN. */
	kc_op_init(&op, KC_OP_SCAN);
	op.key = (uintptr_t)"k";
	op.key_len = 1;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	/*
	 * The pattern is bounded (KC_PATTERN_MAX, as the keys dump's): its
	 * matching cost grows with pattern x key length for every key.
	 */
	{
		static char pat[KC_PATTERN_MAX + 1];

		memset(pat, '*', sizeof(pat));
		kc_op_init(&op, KC_OP_SCAN);
		kc_op_val(&op, pat, KC_PATTERN_MAX + 1);
		op.out = (uintptr_t)self->buf;
		op.out_len = 4096;
		EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
		kc_op_init(&op, KC_OP_SCAN);
		kc_op_val(&op, pat, KC_PATTERN_MAX);
		op.out = (uintptr_t)self->buf;
		op.out_len = 4096;
		EXPECT_EQ(0, kc_do(self->fd, &op));
	}
	/* A reply that does not fit says how much room it needs. */
	ASSERT_EQ(0, kt_set(self->fd, "k1", "v"));
	kc_op_init(&op, KC_OP_SCAN);
	/*
	 * SCAN visits at most 10 x COUNT buckets a call: a COUNT that covers
	 * the whole table, so the one key is always reached.
	 */
	op.num2 = 1 << 16;
	op.out = (uintptr_t)self->buf;
	op.out_len = 4;
	EXPECT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_EQ(KC_ELEM_SIZE(2), op.out_used);
}

static int tmp_op(int fd, int id, bool set)
{
	char key[32];

	snprintf(key, sizeof(key), "tmp:%d", id);
	return set ? kt_set(fd, key, "v") : kc_del(fd, key, strlen(key), 0);
}

/*
 * Redis's guarantee across several grows and shrinks: 1000 keys stay for
 * the whole scan while other keys come and go in waves of up to 32,000
 * (the index, at least 1024 buckets, doubles five times and halves back
 * in each wave), 200 of them between two SCAN calls.  Every key present
 * throughout must be returned; repeats are allowed.
 */
TEST_F_TIMEOUT(scan, survives_grows_and_shrinks, 300)
{
	static unsigned char seen[NKEYS];
	int i, live = 0, waves = 0, missing = 0, ops = 0;
	bool growing = true;
	uint64_t cursor = 0;
	long calls = 0, n;

	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, set_key(self->fd, i));
	memset(seen, 0, sizeof(seen));
	do {
		n = scan_once(self->fd, self->buf, &cursor, 20, 0, NULL, seen);
		ASSERT_LE(0, n);
		for (i = 0; i < 200; i++, ops++) {
			if (growing) {
				ASSERT_EQ(0, tmp_op(self->fd, live++, true));
				if (live == 32000)
					growing = false;
			} else {
				ASSERT_EQ(0, tmp_op(self->fd, --live, false));
				if (!live) {
					growing = true;
					waves++;
				}
			}
		}
		ASSERT_GT(1000000, ++calls);
	} while (cursor);
	for (i = 0; i < 1000; i++)
		missing += !seen[i];
	TH_LOG("%ld calls, %d sets and deletes, %d whole waves, %d left",
	       calls, ops, waves, live);
	EXPECT_EQ(0, missing);
	/* At least one wave up to 32,000 keys and back ran under the scan. */
	EXPECT_LE(1, waves);
}

struct churn {
	bool stop;		/* __atomic: set by the scanning thread */
	int waves;		/* __atomic: read by the scanning thread */
	int err;		/* __atomic: the writer's first error */
};

/* Waves of 8000 keys up and back down, until told to stop. */
static void *churn_waves(void *arg)
{
	struct churn *c = arg;
	int fd = kc_open(), i, err = fd < 0 ? fd : 0;

	while (!err && !__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		for (i = 0; i < 8000 && !err; i++)
			err = tmp_op(fd, i, true);
		while (i-- > 0 && !err)
			err = tmp_op(fd, i, false);
		if (!err)
			__atomic_add_fetch(&c->waves, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&c->err, err, __ATOMIC_RELAXED);
	if (fd >= 0)
		kc_close(fd);
	return NULL;
}

/*
 * The same guarantee with the resizes running during the SCAN calls: a
 * thread adds and deletes 8000 keys over and over (the index grows to
 * 16384 buckets and shrinks back each wave, rehashing while the walks
 * read it) while whole scans, one after the other, must each return all
 * 1000 keys that stay.  A walk that read the chain of tables before a
 * rehash attached its table missed the keys moved meanwhile (seen under
 * the Python binding's test on 6.1: 1 key of 500 in 1 of 15 runs).
 */
TEST_F_TIMEOUT(scan, concurrent_resizes_miss_nothing, 300)
{
	static unsigned char seen[NKEYS];
	struct churn c = { };
	int i, scans = 0, missing = 0, w0, w1;
	int64_t end = kt_mono_ms() + 60000;
	long n = 0;
	pthread_t t;

	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, set_key(self->fd, i));
	ASSERT_EQ(0, pthread_create(&t, NULL, churn_waves, &c));
	/* Scans begin once the writer has been through a whole wave. */
	while (!(w0 = __atomic_load_n(&c.waves, __ATOMIC_RELAXED)) &&
	       !__atomic_load_n(&c.err, __ATOMIC_RELAXED) && kt_mono_ms() < end)
		usleep(1000);
	/* At least 20 scans, and 3 whole waves while they run. */
	while (n >= 0 && !__atomic_load_n(&c.err, __ATOMIC_RELAXED) &&
	       kt_mono_ms() < end && (scans < 20 || __atomic_load_n(&c.waves, __ATOMIC_RELAXED) - w0 < 3)) {
		uint64_t cursor = 0;

		memset(seen, 0, sizeof(seen));
		do {
			n = scan_once(self->fd, self->buf, &cursor, 20, 0, NULL,
				      seen);
		} while (n >= 0 && cursor);
		if (n < 0)
			break;
		for (i = 0; i < 1000; i++)
			missing += !seen[i];
		scans++;
	}
	w1 = __atomic_load_n(&c.waves, __ATOMIC_RELAXED);
	__atomic_store_n(&c.stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	TH_LOG("%d scans, %d waves during them", scans, w1 - w0);
	EXPECT_LE(0, n);
	EXPECT_EQ(0, c.err);
	EXPECT_EQ(0, missing);
	EXPECT_LE(20, scans);
	EXPECT_LE(3, w1 - w0);
}

/* One key of a snapshot reply, as text: "key type flags nelems e1,e2,...". */
struct snap_key {
	char text[512];
	int64_t expire;
	uint32_t rec_len;	/* bytes of its struct kc_snap_rec */
	uint64_t idle;		/* KC_SNAP_REC_SIZE_VER1 and longer */
};

/*
 * Parses a KC_OP_SNAPSHOT reply; calls back per key.  Returns the keys,
 * or -1 when a record is malformed or cut.
 */
static int snap_parse(const void *buf, uint32_t used,
		      void (*cb)(const struct snap_key *k, void *arg),
		      void *arg)
{
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	int keys = 0;

	/* The records end at used (the iterator wants a count: none here). */
	kc_elem_iter_init(&it, buf, used, SIZE_MAX);
	while (it.off < used && (e = kc_elem_next(&it, &data))) {
		struct kc_snap_rec h;
		struct snap_key k;
		size_t len;
		uint64_t i;

		if (e->len < KC_SNAP_REC_SIZE_VER0)
			return -1;
		memset(&h, 0, sizeof(h));
		memcpy(&h, data, e->len < sizeof(h) ? e->len : sizeof(h));
		k.rec_len = e->len;
		k.idle = h.idle;
		e = kc_elem_next(&it, &data);
		if (!e)
			return -1;
		len = snprintf(k.text, sizeof(k.text), "%.*s %u %u %llu ",
			       (int)e->len, (const char *)data, h.type,
			       h.client_flags, (unsigned long long)h.nelems);
		for (i = 0; i < h.nelems; i++) {
			e = kc_elem_next(&it, &data);
			if (!e)
				return -1;
			if (h.type == KC_TYPE_ZSET && i % 2) {
				double d;

				memcpy(&d, data, 8);
				len += snprintf(k.text + len, sizeof(k.text) - len,
						"%s%g", i ? "," : "", d);
			} else {
				len += snprintf(k.text + len, sizeof(k.text) - len,
						"%s%.*s", i ? "," : "",
						(int)e->len, (const char *)data);
			}
			if (len >= sizeof(k.text))
				return -1;
		}
		k.expire = h.expire;
		cb(&k, arg);
		keys++;
	}
	return it.err ? -1 : keys;
}

struct snap_all {
	char text[8][512];
	int64_t expire[8];
	uint32_t rec_len[8];
	uint64_t idle[8];
	int n;
};

static void snap_keep(const struct snap_key *k, void *arg)
{
	struct snap_all *a = arg;

	if (a->n < 8) {
		strcpy(a->text[a->n], k->text);
		a->expire[a->n] = k->expire;
		a->rec_len[a->n] = k->rec_len;
		a->idle[a->n] = k->idle;
	}
	a->n++;
}

static int snap_find(struct snap_all *a, const char *prefix)
{
	int i;

	for (i = 0; i < a->n && i < 8; i++)
		if (!strncmp(a->text[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

static int zadd1(int fd, uint32_t db, const char *key, double sc,
		 const char *m)
{
	char arg[64];
	struct kc_buf b;
	struct kc_op op;

	memcpy(arg, &sc, 8);
	memcpy(arg + 8, m, strlen(m));
	kc_buf_set(&b, arg, 8 + strlen(m));
	kc_op_init(&op, KC_OP_ZADD);
	kc_op_key(&op, key, strlen(key));
	kc_op_args(&op, &b, 1);
	op.db = db;
	return kc_do(fd, &op);
}

/* Every type whole, with its flags and expiry, and only its database's. */
TEST_F(scan, snapshot_every_type)
{
	struct snap_all a = { 0 };
	int64_t now = kt_now_ms();
	struct kc_op op;
	int i;

	ASSERT_EQ(0, KT(self->fd, KC_OP_SET, "other-db", .val = "x").ret);
	{
		struct kc_op s;

		kc_op_init(&s, KC_OP_SET);
		kc_op_key(&s, "str", 3);
		kc_op_val(&s, "val", 3);
		s.client_flags = 42;
		s.flags = KC_TTL_MS;
		s.expire = 100000;
		s.db = 2;
		ASSERT_EQ(0, kc_do(self->fd, &s));
	}
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "list", .db = 2,
			.args = { "a", "b", "a" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "hash", .db = 2,
			.args = { "f", "v" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_SADD, "set", .db = 2,
			.args = { "m" }).ret);
	ASSERT_EQ(0, zadd1(self->fd, 2, "zset", 2.5, "two"));
	ASSERT_EQ(0, zadd1(self->fd, 2, "zset", -1, "one"));

	kc_op_init(&op, KC_OP_SNAPSHOT);
	op.db = 2;
	kc_op_out(&op, self->buf, BUFSZ);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0, op.num);		/* one call: small */
	ASSERT_EQ(5, snap_parse(self->buf, op.out_used, snap_keep, &a));
	i = snap_find(&a, "str ");
	ASSERT_LE(0, i);
	EXPECT_STREQ("str 1 42 1 val", a.text[i]);
	EXPECT_LE(now + 90000, a.expire[i]);
	EXPECT_GE(now + 101000, a.expire[i]);
	i = snap_find(&a, "list ");
	ASSERT_LE(0, i);
	EXPECT_STREQ("list 2 0 3 a,b,a", a.text[i]);
	EXPECT_EQ(0, a.expire[i]);
	i = snap_find(&a, "hash ");
	ASSERT_LE(0, i);
	EXPECT_STREQ("hash 3 0 2 f,v", a.text[i]);
	i = snap_find(&a, "set ");
	ASSERT_LE(0, i);
	EXPECT_STREQ("set 4 0 1 m", a.text[i]);
	i = snap_find(&a, "zset ");
	ASSERT_LE(0, i);
	EXPECT_STREQ("zset 5 0 4 one,-1,two,2.5", a.text[i]);
	/* a caller that asks no size gets the first one */
	for (i = 0; i < 5; i++)
		EXPECT_EQ(KC_SNAP_REC_SIZE_VER0, a.rec_len[i]);

	/*
	 * The record of the caller's size (or the kernel's, if smaller) has
	 * each key's idle time: SETIDLE's 5000 s for the list, about 0 for
	 * the others.
	 */
	ASSERT_EQ(0, KT(self->fd, KC_OP_SETIDLE, "list", .db = 2,
			.num = 5000).ret);
	for (int sz = KC_SNAP_REC_SIZE_VER1; sz <= 64; sz += 24) {
		memset(&a, 0, sizeof(a));
		kc_op_init(&op, KC_OP_SNAPSHOT);
		op.db = 2;
		op.client_flags = sz;
		kc_op_out(&op, self->buf, BUFSZ);
		ASSERT_EQ(0, kc_do(self->fd, &op));
		ASSERT_EQ(5, snap_parse(self->buf, op.out_used, snap_keep, &a));
		for (i = 0; i < 5; i++) {
			EXPECT_EQ(KC_SNAP_REC_SIZE_VER1, a.rec_len[i]);
			if (!strncmp(a.text[i], "list ", 5)) {
				EXPECT_LE(5000, a.idle[i]);
				EXPECT_GE(5030, a.idle[i]);
			} else {
				EXPECT_GE(30, a.idle[i]);
			}
		}
		i = snap_find(&a, "str ");
		ASSERT_LE(0, i);
		EXPECT_STREQ("str 1 42 1 val", a.text[i]);
	}
	kc_op_init(&op, KC_OP_SNAPSHOT);
	op.client_flags = KC_SNAP_REC_SIZE_VER0 - 1;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));

	/* Bad input: a pattern, a type, a COUNT past the limit. */
	kc_op_init(&op, KC_OP_SNAPSHOT);
	kc_op_val(&op, "*", 1);
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	kc_op_init(&op, KC_OP_SNAPSHOT);
	op.num2 = 65537;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
}

static void snap_count(const struct snap_key *k, void *arg)
{
	unsigned char *seen = arg;
	int n;

	if (sscanf(k->text, "k%d ", &n) == 1 && n >= 0 && n < NKEYS)
		seen[n] = 1;
}

/*
 * A small buffer: each call returns whole buckets (every reply parses),
 * every key comes, and a buffer smaller than one key's records gets
 * -ENOSPC with the size it needs.
 */
TEST_F(scan, snapshot_whole_buckets_in_a_small_buffer)
{
	static unsigned char seen[NKEYS];
	char key[16], val[200];
	int64_t cursor = 0;
	struct kc_op op;
	int i, calls = 0, n = 0;

	memset(val, 'v', sizeof(val));
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ASSERT_EQ(0, kc_set(self->fd, key, strlen(key), val,
				    sizeof(val), 0, 0, 0));
	}
	memset(seen, 0, sizeof(seen));
	do {
		kc_op_init(&op, KC_OP_SNAPSHOT);
		op.num = cursor;
		op.num2 = 1000;
		kc_op_out(&op, self->buf, 4096);
		ASSERT_EQ(0, kc_do(self->fd, &op));
		ASSERT_GE(4096, op.out_used);
		ASSERT_LE(0, snap_parse(self->buf, op.out_used, snap_count,
					seen));
		cursor = op.num;
		calls++;
	} while (cursor);
	for (i = 0; i < 3000; i++)
		n += seen[i];
	EXPECT_EQ(3000, n);
	TH_LOG("3000 keys of 200 bytes in %d calls of 4 KiB", calls);

	/* Too small for the first bucket: -ENOSPC, then the size it asked. */
	kc_op_init(&op, KC_OP_SNAPSHOT);
	kc_op_out(&op, self->buf, 64);
	ASSERT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_LT(64, op.out_used);
	i = op.out_used;
	kc_op_init(&op, KC_OP_SNAPSHOT);
	kc_op_out(&op, self->buf, i);
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_LT(0, snap_parse(self->buf, op.out_used, snap_count, seen));
}

TEST_HARNESS_MAIN
