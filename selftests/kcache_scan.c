// SPDX-License-Identifier: GPL-2.0
/*
 * KC_OP_SCAN: Redis's SCAN guarantees (every key present for the whole
 * scan is returned at least once, also while the index grows and shrinks
 * under the scan), the pattern and type filters, COUNT, bad input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kselftest_harness.h"
#include "kc_test.h"

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

TEST_HARNESS_MAIN
