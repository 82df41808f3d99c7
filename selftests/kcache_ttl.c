// SPDX-License-Identifier: GPL-2.0
/*
 * Expiry in time: items go when their time comes (not before), relative
 * and absolute, in seconds and milliseconds; TOUCH, PERSIST and GET_TOUCH
 * move the deadline; expired items are counted, and the background crawler
 * reclaims the ones nobody asks for.
 *
 * Timing bounds are generous for QEMU/TCG: "not before" is checked to the
 * module's clock granularity (KT_SLACK_MS), "eventually" with long polls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"

/* The module's clock may tick in jiffies: allow one tick at HZ=100. */
#define KT_SLACK_MS	10

FIXTURE(ttl) {
	int fd;
	struct kc_stats st0;	/* after the FLUSH of the setup */
};

/*
 * An item gone early was expired early, or removed for memory (eviction,
 * the shrinker, a page moved away): say which, from the counters.
 */
#define LOG_WHY_GONE(self) do {							struct kc_stats __s;																		if (!kc_stats((self)->fd, &__s))							TH_LOG("since setup: %llu evictions (%llu by the shrinker), "			       "%llu pages moved, %llu reclaimed expired, "				       "%llu found expired by a read",						       (unsigned long long)(__s.evictions - (self)->st0.evictions), 		       (unsigned long long)(__s.shrinker_freed -							    (self)->st0.shrinker_freed),			       (unsigned long long)(__s.slabs_moved - (self)->st0.slabs_moved), 		       (unsigned long long)(__s.reclaimed - (self)->st0.reclaimed), 		       (unsigned long long)(__s.get_expired - (self)->st0.get_expired)); } while (0)

FIXTURE_SETUP(ttl)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_flush(self->fd));
	ASSERT_EQ(0, kc_stats(self->fd, &self->st0));
}

FIXTURE_TEARDOWN(ttl)
{
	kc_close(self->fd);
}

/*
 * Polls key every step_ms until it misses or limit_ms pass.  Returns the
 * CLOCK_MONOTONIC time taken just before the GET that first missed, or -1.
 * A GET that misses and one that hits are both fine; any other result
 * stops the poll with -2.
 */
static int64_t poll_until_gone(int fd, const char *key, int64_t limit_ms,
			       unsigned int step_ms)
{
	int64_t end = kt_mono_ms() + limit_ms, t;
	char buf[64];
	int ret;

	for (;;) {
		t = kt_mono_ms();
		ret = kt_get(fd, key, buf, sizeof(buf));
		if (ret == -ENOENT)
			return t;
		if (ret < 0)
			return -2;
		if (t > end)
			return -1;
		kt_sleep_ms(step_ms);
	}
}

TEST_F(ttl, pexpire_50ms)
{
	int64_t t0, t1, gone;
	char buf[8];

	ASSERT_EQ(0, kt_set(self->fd, "p50", "v"));
	t0 = kt_mono_ms();
	ASSERT_EQ(0, kc_expire(self->fd, "p50", 3, 50, KC_TTL_MS));
	t1 = kt_mono_ms();
	/* Right after, it is still there (unless the VM stalled 40 ms). */
	if (t1 - t0 < 40) {
		EXPECT_EQ(1, kt_get(self->fd, "p50", buf, sizeof(buf)));
	}
	gone = poll_until_gone(self->fd, "p50", 2000, 10);
	ASSERT_LE(0, gone) {
		TH_LOG("still there 2 s after a 50 ms expiry (%lld)",
		       (long long)gone);
	}
	EXPECT_LE(t0 + 50 - KT_SLACK_MS, gone) {
		TH_LOG("gone after %lld ms, expiry was 50 ms",
		       (long long)(gone - t0));
		LOG_WHY_GONE(self);
	}
	TH_LOG("gone after ~%lld ms", (long long)(gone - t0));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "p50", 3));
	EXPECT_EQ(-ENOENT, kc_ttl(self->fd, "p50", 3, 0, NULL));
}

TEST_F(ttl, set_with_expire_seconds)
{
	int64_t t0, gone, s = 0;

	t0 = kt_mono_ms();
	ASSERT_EQ(0, kt_set_ex(self->fd, "s1", "v", 0, 1));
	ASSERT_EQ(0, kc_ttl(self->fd, "s1", 2, 0, &s));
	EXPECT_EQ(1, s);
	gone = poll_until_gone(self->fd, "s1", 4000, 20);
	ASSERT_LE(0, gone);
	EXPECT_LE(t0 + 1000 - KT_SLACK_MS, gone) {
		LOG_WHY_GONE(self);
	}
	TH_LOG("1 s expiry gone after ~%lld ms", (long long)(gone - t0));
}

TEST_F(ttl, ttl_within_bounds)
{
	int64_t ms, s;

	ASSERT_EQ(0, kt_set_ex(self->fd, "b", "v", 0, 10));
	ms = kt_ttl_ms(self->fd, "b");
	EXPECT_LT(9000, ms);
	EXPECT_GE(10000, ms);
	ASSERT_EQ(0, kc_ttl(self->fd, "b", 1, 0, &s));
	EXPECT_EQ(10, s);

	ASSERT_EQ(0, kc_expire(self->fd, "b", 1, 2500, KC_TTL_MS));
	ms = kt_ttl_ms(self->fd, "b");
	EXPECT_LT(2000, ms);
	EXPECT_GE(2500, ms);
	/* The TTL only goes down. */
	kt_sleep_ms(100);
	s = kt_ttl_ms(self->fd, "b");
	EXPECT_GE(ms - 100 + KT_SLACK_MS, s);
	EXPECT_LT(0, s);
}

TEST_F(ttl, absolute_seconds)
{
	int64_t now = kt_now_ms(), at = now / 1000 + 100, s = 0, gone;

	ASSERT_EQ(0, kt_set_ex(self->fd, "abs", "v", KC_TTL_ABS, at));
	ASSERT_EQ(0, kc_ttl(self->fd, "abs", 3, 0, &s));
	EXPECT_LE(99, s);
	EXPECT_GE(100, s);

	/* Two seconds ahead, whole seconds: it goes at that second. */
	at = kt_now_ms() / 1000 + 2;
	ASSERT_EQ(0, kc_expire(self->fd, "abs", 3, at, KC_TTL_ABS));
	gone = poll_until_gone(self->fd, "abs", 5000, 20);
	ASSERT_LE(0, gone);
	EXPECT_LE(at * 1000 - KT_SLACK_MS, kt_now_ms() - (kt_mono_ms() - gone)) {
		LOG_WHY_GONE(self);
	}
}

TEST_F(ttl, absolute_milliseconds)
{
	int64_t at = kt_now_ms() + 100000, ms, gone, rt;

	ASSERT_EQ(0, kt_set_ex(self->fd, "absms", "v", KC_TTL_ABS | KC_TTL_MS, at));
	ms = kt_ttl_ms(self->fd, "absms");
	EXPECT_LT(95000, ms);
	EXPECT_GE(100000, ms);

	at = kt_now_ms() + 300;
	ASSERT_EQ(0, kc_expire(self->fd, "absms", 5, at, KC_TTL_ABS | KC_TTL_MS));
	gone = poll_until_gone(self->fd, "absms", 3000, 10);
	ASSERT_LE(0, gone);
	/* The realtime of the first missing GET. */
	rt = kt_now_ms() - (kt_mono_ms() - gone);
	EXPECT_LE(at - KT_SLACK_MS, rt) {
		TH_LOG("gone %lld ms early", (long long)(at - rt));
		LOG_WHY_GONE(self);
	}
}

/* KC_TTL_ABS on TTL: the unix time set is the one read back (EXPIRETIME). */
TEST_F(ttl, absolute_read_back)
{
	int64_t at = 33177117420123LL, v = 0;
	struct kc_op op;

	ASSERT_EQ(0, kt_set(self->fd, "rb", "v"));
	ASSERT_EQ(0, kc_expire(self->fd, "rb", 2, at, KC_TTL_ABS | KC_TTL_MS));
	ASSERT_EQ(0, kc_ttl(self->fd, "rb", 2, KC_TTL_ABS | KC_TTL_MS, &v));
	EXPECT_EQ(at, v);
	ASSERT_EQ(0, kc_ttl(self->fd, "rb", 2, KC_TTL_ABS, &v));
	EXPECT_EQ((at + 500) / 1000, v);
	ASSERT_EQ(0, kc_expire(self->fd, "rb", 2, 33177117420LL, KC_TTL_ABS));
	ASSERT_EQ(0, kc_ttl(self->fd, "rb", 2, KC_TTL_ABS | KC_TTL_MS, &v));
	EXPECT_EQ(33177117420000LL, v);
	/* No expiry: -1, as for a relative TTL. */
	ASSERT_EQ(0, kt_set(self->fd, "rb2", "v"));
	ASSERT_EQ(0, kc_ttl(self->fd, "rb2", 3, KC_TTL_ABS, &v));
	EXPECT_EQ(-1, v);
	kc_op_init(&op, KC_OP_TTL);
	kc_op_key(&op, "none", 4);
	op.flags = KC_TTL_ABS;
	EXPECT_EQ(-ENOENT, kc_do(self->fd, &op));
}

TEST_F(ttl, expire_in_the_past_deletes)
{
	ASSERT_EQ(0, kt_set(self->fd, "past", "v"));
	EXPECT_EQ(0, kc_expire(self->fd, "past", 4, 0, 0));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "past", 4));

	ASSERT_EQ(0, kt_set(self->fd, "past", "v"));
	EXPECT_EQ(0, kc_expire(self->fd, "past", 4, kt_now_ms() / 1000 - 10,
			       KC_TTL_ABS));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "past", 4));

	ASSERT_EQ(0, kt_set(self->fd, "past", "v"));
	EXPECT_EQ(0, kc_expire(self->fd, "past", 4, kt_now_ms(),
			       KC_TTL_ABS | KC_TTL_MS));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "past", 4));

	ASSERT_EQ(0, kt_set_ex(self->fd, "past", "v", KC_TTL_ABS,
			       kt_now_ms() / 1000 - 1));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "past", 4));

	/* Far before 1970 is past too, as Redis's PEXPIREAT -9.2e18. */
	ASSERT_EQ(0, kt_set(self->fd, "past", "v"));
	EXPECT_EQ(0, kc_expire(self->fd, "past", 4, -9223372036854770000LL,
			       KC_TTL_ABS | KC_TTL_MS));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "past", 4));
	ASSERT_EQ(0, kt_set(self->fd, "past", "v"));
	EXPECT_EQ(0, kc_expire(self->fd, "past", 4, INT64_MIN,
			       KC_TTL_ABS | KC_TTL_MS));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "past", 4));
	/* In seconds, it must fit in ms: EINVAL, the key kept. */
	ASSERT_EQ(0, kt_set(self->fd, "past", "v"));
	EXPECT_EQ(-EINVAL, kc_expire(self->fd, "past", 4, INT64_MIN / 100,
				     KC_TTL_ABS));
	EXPECT_EQ(0, kc_exists(self->fd, "past", 4));
}

TEST_F(ttl, touch_moves_the_deadline)
{
	char buf[8];
	int64_t gone, t0;

	ASSERT_EQ(0, kt_set_ex(self->fd, "t", "v", KC_TTL_MS, 300));
	ASSERT_EQ(0, kc_touch(self->fd, "t", 1, 100, 0));
	kt_sleep_ms(600);
	EXPECT_EQ(1, kt_get(self->fd, "t", buf, sizeof(buf))) {
		LOG_WHY_GONE(self);
	}

	t0 = kt_mono_ms();
	ASSERT_EQ(0, kc_touch(self->fd, "t", 1, 200, KC_TTL_MS));
	gone = poll_until_gone(self->fd, "t", 3000, 10);
	ASSERT_LE(0, gone);
	EXPECT_LE(t0 + 200 - KT_SLACK_MS, gone) {
		LOG_WHY_GONE(self);
	}
}

TEST_F(ttl, persist_keeps_the_item)
{
	char buf[8];

	ASSERT_EQ(0, kt_set_ex(self->fd, "per", "v", KC_TTL_MS, 200));
	ASSERT_EQ(0, kc_persist(self->fd, "per", 3));
	kt_sleep_ms(500);
	EXPECT_EQ(1, kt_get(self->fd, "per", buf, sizeof(buf))) {
		LOG_WHY_GONE(self);
	}
	EXPECT_EQ(-1, kt_ttl_ms(self->fd, "per"));
}

TEST_F(ttl, get_touch_moves_the_deadline)
{
	struct kc_op op;
	char buf[8];

	ASSERT_EQ(0, kt_set_ex(self->fd, "gat", "v", KC_TTL_MS, 200));
	kc_op_init(&op, KC_OP_GET);
	op.flags = KC_GET_TOUCH | KC_TTL_MS;
	op.expire = 100000;
	kc_op_key(&op, "gat", 3);
	kc_op_out(&op, buf, sizeof(buf));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	kt_sleep_ms(500);
	EXPECT_EQ(1, kt_get(self->fd, "gat", buf, sizeof(buf))) {
		LOG_WHY_GONE(self);
	}
	EXPECT_LT(90000, kt_ttl_ms(self->fd, "gat"));
}

TEST_F(ttl, expired_items_are_counted)
{
	struct kc_stats st0, st;
	char buf[8];

	ASSERT_EQ(0, kt_set_ex(self->fd, "cnt", "v", KC_TTL_MS, 30));
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	kt_sleep_ms(100);
	EXPECT_EQ(-ENOENT, kt_get(self->fd, "cnt", buf, sizeof(buf)));
	ASSERT_EQ(0, kc_stats(self->fd, &st));

	EXPECT_EQ(st0.get_misses + 1, st.get_misses);
	EXPECT_EQ(st0.cmd_get + 1, st.cmd_get);
	EXPECT_EQ(st0.get_hits, st.get_hits);
	/*
	 * Our GET found it expired and reclaimed it, unless the crawler got
	 * there first; one of the two, exactly once.
	 */
	EXPECT_EQ(1, (st.get_expired - st0.get_expired) +
		     (st.crawler_reclaimed - st0.crawler_reclaimed));
	EXPECT_EQ(st0.reclaimed + 1, st.reclaimed);
	EXPECT_EQ(st0.expired_unfetched + 1, st.expired_unfetched);
	EXPECT_EQ(0, st.curr_items);

	/* Fetched before it expired: not "unfetched". */
	ASSERT_EQ(0, kt_set_ex(self->fd, "cnt", "v", KC_TTL_MS, 30));
	EXPECT_EQ(1, kt_get(self->fd, "cnt", buf, sizeof(buf)));
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	kt_sleep_ms(100);
	EXPECT_EQ(-ENOENT, kt_get(self->fd, "cnt", buf, sizeof(buf)));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(st0.reclaimed + 1, st.reclaimed);
	EXPECT_EQ(st0.expired_unfetched, st.expired_unfetched);
}

/*
 * Items nobody asks for again are reclaimed by the crawler in the
 * background; items without expiry stay.
 */
TEST_F_TIMEOUT(ttl, crawler_reclaims_unaccessed, 60)
{
	const unsigned int n = 200, keep = 50;
	struct kc_stats st0, st;
	int64_t start, waited;
	char key[32];
	unsigned int i;

	for (i = 0; i < keep; i++) {
		snprintf(key, sizeof(key), "keep:%u", i);
		ASSERT_EQ(0, kt_set(self->fd, key, "v"));
	}
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "crawl:%u", i);
		ASSERT_EQ(0, kt_set_ex(self->fd, key, "v", KC_TTL_MS, 100 + i));
	}
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	ASSERT_EQ(keep + n, st.curr_items);

	start = kt_mono_ms();
	do {
		kt_sleep_ms(100);
		ASSERT_EQ(0, kc_stats(self->fd, &st));
		waited = kt_mono_ms() - start;
	} while (st.curr_items > keep && waited < 20000);
	TH_LOG("crawler reclaimed %llu items in ~%lld ms",
	       (unsigned long long)(st.crawler_reclaimed - st0.crawler_reclaimed),
	       (long long)waited);
	EXPECT_EQ(keep, st.curr_items);
	EXPECT_EQ(keep, st.hash_items);
	EXPECT_EQ(n, st.crawler_reclaimed - st0.crawler_reclaimed);
	EXPECT_EQ(n, st.reclaimed - st0.reclaimed);
	EXPECT_EQ(n, st.expired_unfetched - st0.expired_unfetched);
	/* Nobody asked: no GET found one expired. */
	EXPECT_EQ(st0.get_expired, st.get_expired);
	EXPECT_EQ(st0.get_misses, st.get_misses);
	for (i = 0; i < keep; i++) {
		snprintf(key, sizeof(key), "keep:%u", i);
		EXPECT_EQ(0, kc_exists(self->fd, key, strlen(key)));
	}
}

TEST_HARNESS_MAIN
