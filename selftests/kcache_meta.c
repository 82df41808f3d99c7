// SPDX-License-Identifier: GPL-2.0
/*
 * memcached's meta state of an item, as the meta commands use it: a GET
 * with KC_GET_META reports what the item was before this read (fetched,
 * a refresh token handed out, stale) and the seconds since its last
 * access, and hands out the one refresh token (won) when the item is
 * stale or about to expire; SET/ADD with KC_SET_TOKEN store it with the
 * token out, DEL with KC_STALE marks it stale instead of deleting it, SET
 * with KC_SET_CAS | KC_STALE keeps an older value as a stale one; TTL
 * reports the idle seconds of any key.  Also: one winner among racing
 * readers, the ops of a batch, a read-only fd, the netlink reply's
 * KC_A_META and the invalid combinations.
 *
 * The idle-time tests sleep about two seconds; the module counts idle
 * time in whole seconds of a tick-updated clock, so the bounds allow one
 * second either way.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_types.h"
#include "kc_nl.h"

#define M_FETCHED	KC_META_FETCHED
#define M_TOKEN		KC_META_TOKEN
#define M_STALE		KC_META_STALE
#define M_WON		KC_META_WON

/* "FETCHED|TOKEN" for a failure message. */
static const char *meta_str(uint32_t m, char *buf, size_t size)
{
	static const char *const names[] = {
		"FETCHED", "TOKEN", "STALE", "WON",
	};
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < 32; i++) {
		if (!(m & (1U << i)))
			continue;
		if (i < ARRAY_SIZE(names))
			off += snprintf(buf + off, size - off, "%s%s",
					off ? "|" : "", names[i]);
		else
			off += snprintf(buf + off, size - off, "%sbit%u",
					off ? "|" : "", i);
		if (off >= size)
			break;
	}
	if (!m)
		snprintf(buf, size, "0");
	return buf;
}

#define EXPECT_META(want, got) do {					\
	char __w[64], __g[64];						\
	uint32_t __want = (want), __got = (got);			\
	EXPECT_EQ(__want, __got) {					\
		TH_LOG("meta %s, expected %s",				\
		       meta_str(__got, __g, sizeof(__g)),		\
		       meta_str(__want, __w, sizeof(__w)));		\
	}								\
} while (0)

/* What a GET with KC_GET_META wrote back. */
struct mg {
	int ret;
	uint32_t meta;
	int64_t idle;		/* op.num */
	uint64_t cas;
	uint32_t client_flags;
	uint32_t out_used;
	char val[64];		/* the value, NUL-terminated */
};

/*
 * GET key with KC_GET_META | flags, num2 (token within num2 seconds of
 * the expiry) and expire (with KC_GET_TOUCH); room: bytes of value buffer
 * offered (0: all of val).
 */
static struct mg mg_room(int fd, const char *key, uint32_t flags,
			 int64_t num2, int64_t expire, size_t room)
{
	struct kc_op op;
	struct mg r;

	memset(&r, 0, sizeof(r));
	kc_op_init(&op, KC_OP_GET);
	op.flags = KC_GET_META | flags;
	op.num2 = num2;
	op.expire = expire;
	kc_op_key(&op, key, strlen(key));
	kc_op_out(&op, r.val, room ? room : sizeof(r.val) - 1);
	r.ret = kc_do(fd, &op);
	r.meta = op.meta;
	r.idle = op.num;
	r.cas = op.cas;
	r.client_flags = op.client_flags;
	r.out_used = op.out_used;
	if (!r.ret && op.out_used < sizeof(r.val))
		r.val[op.out_used] = '\0';
	return r;
}

static struct mg mg(int fd, const char *key, uint32_t flags, int64_t num2)
{
	return mg_room(fd, key, flags, num2, 0, 0);
}

/* GET key with KC_GET_META alone: its meta bits, or -errno. */
static int64_t mg_meta(int fd, const char *key)
{
	struct mg r = mg(fd, key, 0, 0);

	return r.ret ? r.ret : (int64_t)r.meta;
}

/* DEL with KC_STALE | flags; *cas (may be NULL) in with KC_SET_CAS, out. */
static int del_stale(int fd, const char *key, uint32_t flags, int64_t expire,
		     uint64_t *cas)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_DEL);
	kc_op_key(&op, key, strlen(key));
	op.flags = KC_STALE | flags;
	op.expire = expire;
	if (cas)
		op.cas = *cas;
	ret = kc_do(fd, &op);
	if (!ret && cas)
		*cas = op.cas;
	return ret;
}

/* Stores key = val with opcode and flags; *cas in (KC_SET_CAS) and out. */
static int store(int fd, uint32_t opcode, uint32_t flags, const char *key,
		 const char *val, int64_t expire, uint64_t *cas)
{
	uint64_t c = cas ? *cas : 0;
	int ret = kc_store(fd, opcode, flags, key, strlen(key), val,
			   strlen(val), 0, expire, &c);

	if (!ret && cas)
		*cas = c;
	return ret;
}

/* KC_OP_TTL: the seconds since the last access it reports, or -errno. */
static int64_t ttl_idle(int fd, const char *key)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_TTL);
	kc_op_key(&op, key, strlen(key));
	ret = kc_do(fd, &op);
	return ret ? ret : op.num;
}

/* Whole seconds elapsed since t0 (CLOCK_MONOTONIC ms), rounded up. */
static int64_t secs_since(int64_t t0)
{
	return (kt_mono_ms() - t0 + 999) / 1000;
}

FIXTURE(meta) {
	int fd;
};

FIXTURE_SETUP(meta)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_flush(self->fd));
}

FIXTURE_TEARDOWN(meta)
{
	kc_close(self->fd);
}

/*
 * mg's h: FETCHED tells whether a read that counted as an access came
 * before; a fresh store clears it, a NOBUMP read does not set it, a plain
 * GET sets it as a GET META does.
 */
TEST_F(meta, fetched)
{
	char buf[16];

	ASSERT_EQ(0, kt_set(self->fd, "f", "v"));
	EXPECT_EQ(0, mg_meta(self->fd, "f"));
	EXPECT_EQ(M_FETCHED, mg_meta(self->fd, "f"));
	EXPECT_EQ(M_FETCHED, mg_meta(self->fd, "f"));
	/* A new value is a new item: not fetched. */
	ASSERT_EQ(0, kt_set(self->fd, "f", "w"));
	EXPECT_EQ(0, mg_meta(self->fd, "f"));

	/* NOBUMP reads are not accesses, however many. */
	ASSERT_EQ(0, kt_set(self->fd, "nb", "v"));
	EXPECT_META(0, mg(self->fd, "nb", KC_GET_NOBUMP, 0).meta);
	EXPECT_META(0, mg(self->fd, "nb", KC_GET_NOBUMP, 0).meta);
	EXPECT_META(0, mg(self->fd, "nb", 0, 0).meta);
	EXPECT_META(M_FETCHED, mg(self->fd, "nb", KC_GET_NOBUMP, 0).meta);
	EXPECT_META(M_FETCHED, mg(self->fd, "nb", 0, 0).meta);

	/* A plain GET counts; a plain GET with NOBUMP does not. */
	ASSERT_EQ(0, kt_set(self->fd, "pg", "v"));
	ASSERT_EQ(1, kt_get(self->fd, "pg", buf, sizeof(buf)));
	EXPECT_META(M_FETCHED, mg(self->fd, "pg", 0, 0).meta);
	ASSERT_EQ(0, kt_set(self->fd, "pn", "v"));
	EXPECT_EQ(0, KT(self->fd, KC_OP_GET, "pn",
			.flags = KC_GET_NOBUMP).ret);
	EXPECT_META(0, mg(self->fd, "pn", 0, 0).meta);

	/* A miss reports nothing. */
	EXPECT_EQ(-ENOENT, mg(self->fd, "none", 0, 0).ret);
	EXPECT_META(0, mg(self->fd, "none", 0, 0).meta);
}

/* The value, CAS and client flags a GET META returns are the item's. */
TEST_F(meta, value_cas_flags)
{
	uint64_t cas = 0, c2;
	struct mg r;

	ASSERT_EQ(0, kc_store(self->fd, KC_OP_SET, 0, "vcf", 3, "hello", 5,
			      0xdeadbeef, 0, &cas));
	ASSERT_NE(0, cas);
	r = mg(self->fd, "vcf", 0, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.out_used);
	EXPECT_STREQ("hello", r.val);
	EXPECT_EQ(cas, r.cas);
	EXPECT_EQ(0xdeadbeef, r.client_flags);
	EXPECT_META(0, r.meta);
	EXPECT_EQ(cas, kt_cas(self->fd, "vcf"));

	/* Winning the token changes neither the value nor the CAS. */
	c2 = 0;
	ASSERT_EQ(0, del_stale(self->fd, "vcf", 0, 0, &c2));
	EXPECT_LT(cas, c2);
	r = mg(self->fd, "vcf", 0, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_FETCHED | M_STALE | M_WON, r.meta);
	EXPECT_STREQ("hello", r.val);
	EXPECT_EQ(c2, r.cas);
	EXPECT_EQ(0xdeadbeef, r.client_flags);
	EXPECT_EQ(c2, kt_cas(self->fd, "vcf"));

	/* Not a string. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "vcf:l", .args = { "a" }).ret);
	EXPECT_EQ(-EPROTOTYPE, mg(self->fd, "vcf:l", 0, 0).ret);
}

/*
 * A reply that does not fit (-ENOSPC) takes no token: the value never
 * reached the caller, and the read that does gets it.
 */
TEST_F(meta, no_token_without_the_value)
{
	struct mg r;

	ASSERT_EQ(0, kt_set(self->fd, "sp", "0123456789"));
	ASSERT_EQ(0, del_stale(self->fd, "sp", 0, 0, NULL));
	r = mg_room(self->fd, "sp", 0, 0, 0, 4);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(10, r.out_used);
	EXPECT_EQ(0, r.meta & M_WON);
	r = mg(self->fd, "sp", 0, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(M_STALE | M_WON, r.meta & (M_STALE | M_WON | M_TOKEN));
	EXPECT_STREQ("0123456789", r.val);
}

/*
 * Seconds since the last access: in op.num of a GET META (before this
 * read) and of a TTL (of any type; TTL is no access).  One sleep of ~2 s
 * serves every key.
 */
TEST_F(meta, idle_seconds)
{
	int64_t t0, up, n;
	struct mg r;

	t0 = kt_mono_ms();
	ASSERT_EQ(0, kt_set(self->fd, "i:get", "v"));
	ASSERT_EQ(0, kt_set(self->fd, "i:nobump", "v"));
	ASSERT_EQ(0, kt_set(self->fd, "i:ttl", "v"));
	ASSERT_EQ(0, kt_set(self->fd, "i:set", "v"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "i:list", .args = { "a" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "i:hash",
			.args = { "f", "v" }).ret);
	/* Just stored: 0, or 1 across a second boundary. */
	n = ttl_idle(self->fd, "i:ttl");
	EXPECT_LE(0, n);
	EXPECT_GE(1, n);
	EXPECT_GE(1, ttl_idle(self->fd, "i:list"));

	kt_sleep_ms(2100);
	up = secs_since(t0) + 1;

	/* GET META: the idle time before it, then (it was an access) ~0. */
	r = mg(self->fd, "i:get", 0, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_LE(1, r.idle);
	EXPECT_GE(up, r.idle);
	r = mg(self->fd, "i:get", 0, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_LE(0, r.idle);
	EXPECT_GE(1, r.idle);
	EXPECT_GE(1, ttl_idle(self->fd, "i:get"));

	/* NOBUMP: no access, the idle time keeps growing. */
	r = mg(self->fd, "i:nobump", KC_GET_NOBUMP, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_LE(1, r.idle);
	r = mg(self->fd, "i:nobump", KC_GET_NOBUMP, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_LE(1, r.idle);
	EXPECT_LE(1, ttl_idle(self->fd, "i:nobump"));

	/* TTL reports it and is no access itself. */
	n = ttl_idle(self->fd, "i:ttl");
	EXPECT_LE(1, n);
	EXPECT_GE(up, n);
	EXPECT_LE(1, ttl_idle(self->fd, "i:ttl"));
	/* A plain GET is an access. */
	EXPECT_EQ(0, KT(self->fd, KC_OP_GET, "i:ttl").ret);
	EXPECT_GE(1, ttl_idle(self->fd, "i:ttl"));

	/* A store starts over. */
	EXPECT_LE(1, ttl_idle(self->fd, "i:set"));
	ASSERT_EQ(0, kt_set(self->fd, "i:set", "w"));
	EXPECT_GE(1, ttl_idle(self->fd, "i:set"));

	/* Any type. */
	n = ttl_idle(self->fd, "i:list");
	EXPECT_LE(1, n);
	EXPECT_GE(up, n);
	n = ttl_idle(self->fd, "i:hash");
	EXPECT_LE(1, n);
	EXPECT_GE(up, n);

	EXPECT_EQ(-ENOENT, ttl_idle(self->fd, "i:none"));
}

/*
 * mg's R: with num2 > 0, an item that expires in less than num2 seconds
 * hands out the token once; one without an expiry never does.
 */
TEST_F(meta, token_near_expiry)
{
	uint64_t cas = 0;
	struct mg r;

	ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "r", "v", 100, &cas));
	r = mg(self->fd, "r", 0, 130);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_WON, r.meta);
	EXPECT_EQ(cas, r.cas);
	r = mg(self->fd, "r", 0, 130);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_FETCHED | M_TOKEN, r.meta);
	EXPECT_META(M_FETCHED | M_TOKEN, mg(self->fd, "r", 0, 130).meta);
	EXPECT_META(M_FETCHED | M_TOKEN, mg(self->fd, "r", 0, 0).meta);
	/* Winning changed neither the expiry nor the CAS. */
	EXPECT_LT(95000, kt_ttl_ms(self->fd, "r"));
	EXPECT_EQ(cas, kt_cas(self->fd, "r"));

	/* Further than num2 seconds away, or num2 <= 0: no token. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "far", "v", 0, 100));
	EXPECT_META(0, mg(self->fd, "far", 0, 90).meta);
	EXPECT_META(M_FETCHED, mg(self->fd, "far", 0, 0).meta);
	EXPECT_META(M_FETCHED, mg(self->fd, "far", 0, -1).meta);
	EXPECT_META(M_FETCHED, mg(self->fd, "far", 0, INT64_MIN).meta);
	/* A huge num2 is "any expiry". */
	EXPECT_META(M_FETCHED | M_WON, mg(self->fd, "far", 0, INT64_MAX).meta);
	EXPECT_META(M_FETCHED | M_TOKEN,
		    mg(self->fd, "far", 0, INT64_MAX).meta);

	/* A millisecond expiry counts as well. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "ms", "v", KC_TTL_MS, 30000));
	EXPECT_META(M_WON, mg(self->fd, "ms", 0, 31).meta);

	/* No expiry: never. */
	ASSERT_EQ(0, kt_set(self->fd, "never", "v"));
	EXPECT_META(0, mg(self->fd, "never", 0, 130).meta);
	EXPECT_META(M_FETCHED, mg(self->fd, "never", 0, INT64_MAX).meta);
	EXPECT_META(M_FETCHED, mg(self->fd, "never", 0, 1).meta);

	/* A new store: a new item, the token back in the pool. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "r", "w", 0, 100));
	EXPECT_META(M_WON, mg(self->fd, "r", 0, 130).meta);
}

/* GET META with KC_GET_TOUCH: the new expiry, the meta as without. */
TEST_F(meta, get_touch)
{
	int64_t ms, s = 0;
	struct mg r;

	ASSERT_EQ(0, kt_set_ex(self->fd, "gt", "v", 0, 100));
	r = mg_room(self->fd, "gt", KC_GET_TOUCH | KC_TTL_MS, 0, 5000, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(0, r.meta);
	EXPECT_STREQ("v", r.val);
	ms = kt_ttl_ms(self->fd, "gt");
	EXPECT_LT(4000, ms);
	EXPECT_GE(5000, ms);

	r = mg_room(self->fd, "gt", KC_GET_TOUCH, 0, 50, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_FETCHED, r.meta);
	ASSERT_EQ(0, kc_ttl(self->fd, "gt", 2, 0, &s));
	EXPECT_LE(49, s);
	EXPECT_GE(50, s);

	r = mg_room(self->fd, "gt", KC_GET_TOUCH | KC_TTL_ABS, 0,
		    kt_now_ms() / 1000 + 200, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_FETCHED, r.meta);
	ASSERT_EQ(0, kc_ttl(self->fd, "gt", 2, 0, &s));
	EXPECT_LE(198, s);
	EXPECT_GE(200, s);

	/* With a stale item: the touch and the token. */
	ASSERT_EQ(0, del_stale(self->fd, "gt", 0, 0, NULL));
	r = mg_room(self->fd, "gt", KC_GET_TOUCH | KC_TTL_MS, 0, 70000, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_FETCHED | M_STALE | M_WON, r.meta);
	ms = kt_ttl_ms(self->fd, "gt");
	EXPECT_LT(65000, ms);
	EXPECT_GE(70000, ms);

	/*
	 * R is tested against the expiry before the same read's touch
	 * (memcached's "mg R... T..." with R first): 50 s left, R 60 wins
	 * although the touch moves it to 1000 s; the next read, 1000 s
	 * left, does not.
	 */
	ASSERT_EQ(0, kt_set_ex(self->fd, "gr", "v", 0, 50));
	r = mg_room(self->fd, "gr", KC_GET_TOUCH, 60, 1000, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_WON, r.meta);
	EXPECT_LT(990000, kt_ttl_ms(self->fd, "gr"));
	ASSERT_EQ(0, kt_set_ex(self->fd, "gr", "v", 0, 1000));
	r = mg_room(self->fd, "gr", KC_GET_TOUCH, 60, 50, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(0, r.meta);
	EXPECT_GE(50000, kt_ttl_ms(self->fd, "gr"));

	/* TOUCH counts as an access, with KC_GET_NOBUMP it does not. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "gn", "v", 0, 100));
	EXPECT_EQ(0, KT(self->fd, KC_OP_TOUCH, "gn", .expire = 200,
			.flags = KC_GET_NOBUMP).ret);
	EXPECT_META(0, mg_meta(self->fd, "gn"));
	ASSERT_EQ(0, kt_set_ex(self->fd, "gn", "v", 0, 100));
	EXPECT_EQ(0, KT(self->fd, KC_OP_TOUCH, "gn", .expire = 200).ret);
	EXPECT_META(M_FETCHED, mg_meta(self->fd, "gn"));

	/* A bad expiry changes nothing. */
	EXPECT_EQ(-EINVAL, mg_room(self->fd, "gt", KC_GET_TOUCH, 0, -5, 0).ret);
	EXPECT_LT(65000, kt_ttl_ms(self->fd, "gt"));
	EXPECT_EQ(-ENOENT,
		  mg_room(self->fd, "none", KC_GET_TOUCH, 0, 5, 0).ret);
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "none", 4));
}

/*
 * DEL with KC_STALE (md I): kept and served, marked stale, a new CAS, the
 * token free again; with KC_GET_TOUCH a new expiry.
 */
TEST_F(meta, del_stale)
{
	struct kc_stats st0, st;
	uint64_t c1 = 0, c2 = 0, c3;
	struct mg r;

	ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "d", "v", 100, &c1));
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	ASSERT_EQ(0, del_stale(self->fd, "d", 0, 0, &c2));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_LT(c1, c2);
	EXPECT_EQ(st0.curr_items, st.curr_items);
	EXPECT_EQ(st0.delete_hits + 1, st.delete_hits);
	EXPECT_EQ(0, kc_exists(self->fd, "d", 1));
	/* The expiry is kept. */
	EXPECT_LT(95000, kt_ttl_ms(self->fd, "d"));

	r = mg(self->fd, "d", 0, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_STALE | M_WON, r.meta);
	EXPECT_STREQ("v", r.val);
	EXPECT_EQ(c2, r.cas);
	r = mg(self->fd, "d", 0, 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_META(M_FETCHED | M_STALE | M_TOKEN, r.meta);
	EXPECT_EQ(c2, r.cas);
	/* NOBUMP reads take part in the token as well. */
	EXPECT_META(M_FETCHED | M_STALE | M_TOKEN,
		    mg(self->fd, "d", KC_GET_NOBUMP, 0).meta);

	/* Again: the token is free once more. */
	c3 = 0;
	ASSERT_EQ(0, del_stale(self->fd, "d", 0, 0, &c3));
	EXPECT_LT(c2, c3);
	EXPECT_META(M_FETCHED | M_STALE | M_WON, mg_meta(self->fd, "d"));
	EXPECT_META(M_FETCHED | M_STALE | M_TOKEN, mg_meta(self->fd, "d"));

	/* A NOBUMP reader can win it too. */
	ASSERT_EQ(0, kt_set(self->fd, "dn", "v"));
	ASSERT_EQ(0, del_stale(self->fd, "dn", 0, 0, NULL));
	EXPECT_META(M_STALE | M_WON, mg(self->fd, "dn", KC_GET_NOBUMP, 0).meta);
	EXPECT_META(M_STALE | M_TOKEN, mg(self->fd, "dn", 0, 0).meta);

	/* A plain SET stores a fresh item. */
	ASSERT_EQ(0, kt_set(self->fd, "d", "fresh"));
	EXPECT_META(0, mg_meta(self->fd, "d"));
	EXPECT_META(M_FETCHED, mg_meta(self->fd, "d"));

	/* With a new expiry, in either unit. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "dt", "v", 0, 100));
	ASSERT_EQ(0, del_stale(self->fd, "dt", KC_GET_TOUCH | KC_TTL_MS, 3000,
			       NULL));
	EXPECT_LT(2000, kt_ttl_ms(self->fd, "dt"));
	EXPECT_GE(3000, kt_ttl_ms(self->fd, "dt"));
	EXPECT_META(M_STALE | M_WON, mg_meta(self->fd, "dt"));
	ASSERT_EQ(0, del_stale(self->fd, "dt", KC_GET_TOUCH | KC_TTL_ABS,
			       kt_now_ms() / 1000 + 300, NULL));
	EXPECT_LT(295000, kt_ttl_ms(self->fd, "dt"));
	EXPECT_GE(300000, kt_ttl_ms(self->fd, "dt"));
	EXPECT_META(M_FETCHED | M_STALE | M_WON, mg_meta(self->fd, "dt"));
	/* Without KC_GET_TOUCH the expiry given is not used. */
	ASSERT_EQ(0, del_stale(self->fd, "dt", 0, 5, NULL));
	EXPECT_LT(290000, kt_ttl_ms(self->fd, "dt"));

	/* KC_SET_CAS: the right one marks it, a wrong one changes nothing. */
	c1 = 0;
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "dc", "v", 100, &c1));
	c2 = c1 + 1000;
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	EXPECT_EQ(-EEXIST, del_stale(self->fd, "dc", KC_SET_CAS, 0, &c2));
	EXPECT_EQ(-EEXIST, del_stale(self->fd, "dc",
				     KC_SET_CAS | KC_GET_TOUCH, 5, &c2));
	c2 = c1 - 1;
	EXPECT_EQ(-EEXIST, del_stale(self->fd, "dc", KC_SET_CAS, 0, &c2));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(st0.delete_hits, st.delete_hits);
	EXPECT_EQ(c1, kt_cas(self->fd, "dc"));
	EXPECT_LT(95000, kt_ttl_ms(self->fd, "dc"));
	EXPECT_META(M_FETCHED, mg_meta(self->fd, "dc"));
	c2 = c1;
	ASSERT_EQ(0, del_stale(self->fd, "dc", KC_SET_CAS, 0, &c2));
	EXPECT_LT(c1, c2);
	EXPECT_META(M_FETCHED | M_STALE | M_WON, mg_meta(self->fd, "dc"));

	/* Missing key; a plain DEL still deletes a stale item. */
	EXPECT_EQ(-ENOENT, del_stale(self->fd, "none", 0, 0, NULL));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "none", 4));
	EXPECT_EQ(0, kc_del(self->fd, "d", 1, 0));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "d", 1));
}

/*
 * SET with KC_SET_CAS | KC_STALE (ms I): the item's CAS stores normally;
 * a lower one stores the value as stale with the item's expiry and token;
 * a higher one is refused.
 */
TEST_F(meta, set_cas_stale)
{
	uint64_t c1 = 0, c2 = 0, c3, cas;
	struct kc_stats st0, st;
	char buf[16];
	int64_t ms;

	/* Lower, the token out: stale, the token still out. */
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "s", "v1", 100, &c1));
	ASSERT_EQ(0, del_stale(self->fd, "s", 0, 0, &c2));
	EXPECT_META(M_STALE | M_WON, mg_meta(self->fd, "s"));
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	c3 = c1;
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, KC_SET_CAS | KC_STALE, "s",
			   "v2", 5, &c3));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(st0.cas_hits + 1, st.cas_hits);
	EXPECT_LT(c2, c3);
	EXPECT_EQ(c3, kt_cas(self->fd, "s"));
	EXPECT_EQ(2, kt_get(self->fd, "s", buf, sizeof(buf)));
	EXPECT_STREQ("v2", buf);
	/* The item's expiry, not the one asked for. */
	ms = kt_ttl_ms(self->fd, "s");
	EXPECT_LT(90000, ms);
	EXPECT_GE(100000, ms);
	/* Stale and the token out (the GET above fetched it). */
	EXPECT_META(M_FETCHED | M_STALE | M_TOKEN, mg_meta(self->fd, "s"));

	/* Lower, no token out: stale, the next reader wins. */
	c1 = 0;
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "s2", "a", 0, &c1));
	c2 = 0;
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "s2", "b", 0, &c2));
	cas = c1;
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, KC_SET_CAS | KC_STALE, "s2",
			   "old", 0, &cas));
	EXPECT_LT(c2, cas);
	EXPECT_EQ(-1, kt_ttl_ms(self->fd, "s2"));
	EXPECT_META(M_STALE | M_WON, mg_meta(self->fd, "s2"));
	EXPECT_META(M_FETCHED | M_STALE | M_TOKEN, mg_meta(self->fd, "s2"));
	EXPECT_EQ(3, kt_get(self->fd, "s2", buf, sizeof(buf)));
	EXPECT_STREQ("old", buf);

	/* Equal: a normal store, a fresh item with the expiry given. */
	c1 = 0;
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "s3", "v", 100, &c1));
	c2 = 0;
	ASSERT_EQ(0, del_stale(self->fd, "s3", 0, 0, &c2));
	EXPECT_META(M_STALE | M_WON, mg_meta(self->fd, "s3"));
	cas = c2;
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, KC_SET_CAS | KC_STALE, "s3",
			   "new", 0, &cas));
	EXPECT_LT(c2, cas);
	EXPECT_EQ(-1, kt_ttl_ms(self->fd, "s3"));
	EXPECT_META(0, mg_meta(self->fd, "s3"));
	EXPECT_META(M_FETCHED, mg_meta(self->fd, "s3"));
	cas = kt_cas(self->fd, "s3");
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, KC_SET_CAS | KC_STALE, "s3",
			   "newer", 20, &cas));
	ms = kt_ttl_ms(self->fd, "s3");
	EXPECT_LT(15000, ms);
	EXPECT_GE(20000, ms);

	/* Higher: refused, nothing changes. */
	c1 = kt_cas(self->fd, "s3");
	ASSERT_NE(0, c1);
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	cas = c1 + 1;
	EXPECT_EQ(-EEXIST, store(self->fd, KC_OP_SET, KC_SET_CAS | KC_STALE,
				 "s3", "x", 0, &cas));
	cas = UINT64_MAX;
	EXPECT_EQ(-EEXIST, store(self->fd, KC_OP_SET, KC_SET_CAS | KC_STALE,
				 "s3", "x", 0, &cas));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(st0.cas_badval + 2, st.cas_badval);
	EXPECT_EQ(c1, kt_cas(self->fd, "s3"));
	EXPECT_EQ(5, kt_get(self->fd, "s3", buf, sizeof(buf)));
	EXPECT_STREQ("newer", buf);
	EXPECT_META(M_FETCHED, mg_meta(self->fd, "s3"));

	/* Without KC_STALE a lower CAS is refused as before. */
	cas = c1 - 1;
	EXPECT_EQ(-EEXIST, store(self->fd, KC_OP_SET, KC_SET_CAS, "s3", "x", 0,
				 &cas));
	EXPECT_EQ(c1, kt_cas(self->fd, "s3"));

	/* Missing key: as a CAS store, -ENOENT, nothing created. */
	cas = 1;
	EXPECT_EQ(-ENOENT, store(self->fd, KC_OP_SET, KC_SET_CAS | KC_STALE,
				 "none", "x", 0, &cas));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "none", 4));
}

/* SET/ADD with KC_SET_TOKEN (mg N's autovivify): stored with the token out. */
TEST_F(meta, set_add_token)
{
	uint64_t cas;

	ASSERT_EQ(0, store(self->fd, KC_OP_SET, KC_SET_TOKEN, "t", "v", 0,
			   NULL));
	EXPECT_META(M_TOKEN, mg_meta(self->fd, "t"));
	EXPECT_META(M_FETCHED | M_TOKEN, mg_meta(self->fd, "t"));

	/* Near its expiry: still nobody else's. */
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, KC_SET_TOKEN, "te", "v", 100,
			   NULL));
	EXPECT_META(M_TOKEN, mg(self->fd, "te", 0, 130).meta);
	EXPECT_META(M_FETCHED | M_TOKEN, mg(self->fd, "te", 0, 130).meta);
	/* Until it is marked stale: then the token is free again. */
	ASSERT_EQ(0, del_stale(self->fd, "te", 0, 0, NULL));
	EXPECT_META(M_FETCHED | M_STALE | M_WON, mg_meta(self->fd, "te"));

	/* ADD of a new key. */
	ASSERT_EQ(0, store(self->fd, KC_OP_ADD, KC_SET_TOKEN, "a", "v", 0,
			   NULL));
	EXPECT_META(M_TOKEN, mg_meta(self->fd, "a"));
	/* ADD over an existing key: refused, that item unchanged. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "a2", "v", 0, 100));
	cas = kt_cas(self->fd, "a2");
	EXPECT_EQ(-EEXIST, store(self->fd, KC_OP_ADD, KC_SET_TOKEN, "a2", "w",
				 0, NULL));
	EXPECT_EQ(cas, kt_cas(self->fd, "a2"));
	EXPECT_META(M_FETCHED | M_WON, mg(self->fd, "a2", 0, 130).meta);

	/* A SET with the token over a stale item: fresh, token out. */
	ASSERT_EQ(0, del_stale(self->fd, "t", 0, 0, NULL));
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, KC_SET_TOKEN, "t", "w", 0,
			   NULL));
	EXPECT_META(M_TOKEN, mg_meta(self->fd, "t"));
	/* A plain SET over it: no token. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "t", "x", 0, 100));
	EXPECT_META(M_WON, mg(self->fd, "t", 0, 130).meta);
}

/* The combinations that make no sense, and the input meta field. */
TEST_F(meta, einval)
{
	struct kc_op op;
	char buf[16];
	uint64_t cas;

	ASSERT_EQ(0, kt_set_ex(self->fd, "k", "v", 0, 100));
	cas = kt_cas(self->fd, "k");

	/* kc_op.meta is out only. */
	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, "k", 1);
	kc_op_out(&op, buf, sizeof(buf));
	op.flags = KC_GET_META;
	op.meta = KC_META_WON;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, "k", 1);
	kc_op_val(&op, "x", 1);
	op.meta = 1U << 31;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	kc_op_init(&op, KC_OP_TTL);
	kc_op_key(&op, "k", 1);
	op.meta = 1;
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));

	/* DEL: KC_GET_TOUCH only with KC_STALE; a bad expiry. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_DEL, "k",
			      .flags = KC_GET_TOUCH, .expire = 5).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_DEL, "k",
			      .flags = KC_GET_TOUCH | KC_TTL_MS,
			      .expire = 5000).ret);
	EXPECT_EQ(-EINVAL, del_stale(self->fd, "k", KC_GET_TOUCH, -5, NULL));
	/* SET: KC_STALE only with KC_SET_CAS. */
	EXPECT_EQ(-EINVAL, store(self->fd, KC_OP_SET, KC_STALE, "k", "x", 0,
				 NULL));
	EXPECT_EQ(-EINVAL, store(self->fd, KC_OP_SET, KC_STALE, "new", "x", 0,
				 NULL));
	/* The flags where they do not belong. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_GET, "k",
			      .flags = KC_SET_TOKEN).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_GET, "k",
			      .flags = KC_GET_META | KC_STALE).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_GETDEL, "k",
			      .flags = KC_GET_META).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_TTL, "k",
			      .flags = KC_GET_META).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_DEL, "k",
			      .flags = KC_GET_META).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_DEL, "k",
			      .flags = KC_STALE | KC_SET_TOKEN).ret);
	EXPECT_EQ(-EINVAL, store(self->fd, KC_OP_ADD, KC_STALE, "new", "x", 0,
				 NULL));
	EXPECT_EQ(-EINVAL, store(self->fd, KC_OP_REPLACE, KC_SET_TOKEN, "k",
				 "x", 0, NULL));
	EXPECT_EQ(-EINVAL, store(self->fd, KC_OP_SET, KC_GET_META, "k", "x", 0,
				 NULL));
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_TOUCH, "k",
			      .flags = KC_STALE, .expire = 5).ret);
	/* The first bit past the flags. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_GET, "k",
			      .flags = KC_GET_META | (KC_STALE << 1)).ret);

	/* None of it changed anything. */
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "new", 3));
	EXPECT_EQ(cas, kt_cas(self->fd, "k"));
	EXPECT_LT(95000, kt_ttl_ms(self->fd, "k"));
	EXPECT_META(M_FETCHED, mg_meta(self->fd, "k"));
}

/*
 * A read-only fd: a GET META changes state, so it is refused (and takes
 * no token); plain reads and TTL's idle time work.
 */
TEST_F(meta, read_only_fd)
{
	char buf[16];
	int ro;

	ASSERT_EQ(0, kt_set(self->fd, "ro", "v"));
	ASSERT_EQ(0, del_stale(self->fd, "ro", 0, 0, NULL));
	ro = open(KC_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);

	EXPECT_EQ(-EBADF, mg(ro, "ro", 0, 0).ret);
	EXPECT_EQ(-EBADF, mg(ro, "ro", KC_GET_NOBUMP, 0).ret);
	EXPECT_EQ(-EBADF, mg(ro, "ro", 0, 130).ret);
	EXPECT_EQ(-EBADF, mg_room(ro, "ro", KC_GET_TOUCH, 0, 100, 0).ret);
	EXPECT_EQ(-EBADF, del_stale(ro, "ro", 0, 0, NULL));
	EXPECT_EQ(-EBADF, store(ro, KC_OP_SET, KC_SET_TOKEN, "ro2", "v", 0,
				NULL));
	EXPECT_EQ(-EBADF, store(ro, KC_OP_ADD, KC_SET_TOKEN, "ro2", "v", 0,
				NULL));
	/* Reads. */
	EXPECT_EQ(1, kt_get(ro, "ro", buf, sizeof(buf)));
	EXPECT_LE(0, ttl_idle(ro, "ro"));
	EXPECT_GE(1, ttl_idle(ro, "ro"));
	close(ro);

	/* The refused ones took no token (the plain GET fetched it). */
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "ro2", 3));
	EXPECT_META(M_FETCHED | M_STALE | M_WON, mg_meta(self->fd, "ro"));
}

/* Each op of a batch and of a transaction gets its own meta. */
TEST_F(meta, batch)
{
	struct kc_op ops[6];
	char out[4][16];
	size_t done = 0;
	unsigned int i;
	uint32_t flags;

	for (flags = 0; flags <= KC_BATCH_TXN; flags += KC_BATCH_TXN) {
		const char *key = flags ? "txn" : "batch";

		kc_op_init(&ops[0], KC_OP_SET);
		kc_op_val(&ops[0], "v", 1);
		ops[0].expire = 100;
		kc_op_init(&ops[1], KC_OP_GET);
		ops[1].flags = KC_GET_META;
		ops[1].num2 = 130;
		kc_op_init(&ops[2], KC_OP_DEL);
		ops[2].flags = KC_STALE;
		kc_op_init(&ops[3], KC_OP_GET);
		ops[3].flags = KC_GET_META;
		kc_op_init(&ops[4], KC_OP_GET);
		ops[4].flags = KC_GET_META;
		kc_op_init(&ops[5], KC_OP_GET);
		ops[5].flags = KC_GET_META | KC_GET_NOBUMP;
		for (i = 0; i < ARRAY_SIZE(ops); i++)
			kc_op_key(&ops[i], key, strlen(key));
		kc_op_out(&ops[1], out[0], sizeof(out[0]));
		kc_op_out(&ops[3], out[1], sizeof(out[1]));
		kc_op_out(&ops[4], out[2], sizeof(out[2]));
		kc_op_out(&ops[5], out[3], sizeof(out[3]));
		ASSERT_EQ(0, kc_batch_run(self->fd, ops, ARRAY_SIZE(ops), flags,
					  NULL, 0, &done));
		EXPECT_EQ(ARRAY_SIZE(ops), done);
		for (i = 0; i < ARRAY_SIZE(ops); i++) {
			EXPECT_EQ(0, ops[i].result) {
				TH_LOG("%s op %u", key, i);
			}
		}
		EXPECT_META(0, ops[0].meta);
		EXPECT_META(M_WON, ops[1].meta);
		EXPECT_META(0, ops[2].meta);
		EXPECT_META(M_FETCHED | M_STALE | M_WON, ops[3].meta);
		EXPECT_META(M_FETCHED | M_STALE | M_TOKEN, ops[4].meta);
		EXPECT_META(M_FETCHED | M_STALE | M_TOKEN, ops[5].meta);
		EXPECT_EQ(ops[2].cas, ops[3].cas);
		EXPECT_LT(ops[0].cas, ops[2].cas);
	}
}

/*
 * A caller of the first struct kc_op (KC_OP_SIZE_VER0, before db and
 * meta) cannot ask for meta: it could not see whether it won a token.
 */
TEST_F(meta, old_op_size_refused)
{
	struct kc_op op;
	char buf[16];

	ASSERT_EQ(0, kt_set(self->fd, "old", "v"));
	ASSERT_EQ(0, del_stale(self->fd, "old", 0, 0, NULL));
	kc_op_init(&op, KC_OP_GET);
	op.size = KC_OP_SIZE_VER0;
	op.flags = KC_GET_META;
	kc_op_key(&op, "old", 3);
	kc_op_out(&op, buf, sizeof(buf));
	op.db = 0xa5a5a5a5;
	op.meta = 0x5a5a5a5a;
	/* it could not see meta: refused, nothing past its size written */
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
	EXPECT_EQ(0xa5a5a5a5, op.db);
	EXPECT_EQ(0x5a5a5a5a, op.meta);
	/* the token is still free: the next full-size reader wins it */
	kc_op_init(&op, KC_OP_GET);
	op.flags = KC_GET_META;
	kc_op_key(&op, "old", 3);
	kc_op_out(&op, buf, sizeof(buf));
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(KC_META_STALE | KC_META_WON, op.meta & ~KC_META_FETCHED);
}

/*
 * Racing readers of an item whose token is free: exactly one wins, the
 * others see the token out.  Half the rounds a stale item (DEL STALE),
 * half a fresh one near its expiry (num2).
 */
#define RACE_THREADS	8
#define RACE_ROUNDS	50

struct race {
	pthread_barrier_t start, done;
	int fd[RACE_THREADS];
	int64_t num2;		/* of this round */
	int stop;
	struct mg res[RACE_THREADS];
};

struct race_arg {
	struct race *r;
	unsigned int i;
};

static void *race_worker(void *p)
{
	struct race_arg *a = p;
	struct race *r = a->r;

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			break;
		r->res[a->i] = mg(r->fd[a->i], "race", 0, r->num2);
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

/*
 * SETIDLE (RESTORE ... IDLETIME): TTL's idle seconds and GET META's start
 * from what it set, however recent the boot; the next access resets them;
 * KC_IDLE_MAX bounds it; any type; a missing key, a negative time and a
 * read-only fd are refused.
 */
static int setidle(int fd, const char *key, int64_t secs)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_SETIDLE);
	kc_op_key(&op, key, strlen(key));
	op.num = secs;
	return kc_do(fd, &op);
}

TEST_F(meta, setidle)
{
	int64_t n;
	int ro;

	ASSERT_EQ(0, kt_set(self->fd, "si", "v"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "si:l", .args = { "a" }).ret);
	ASSERT_EQ(0, setidle(self->fd, "si", 1000));
	n = ttl_idle(self->fd, "si");
	EXPECT_LE(1000, n);
	EXPECT_GE(1001, n);
	/* more than the guest has been up: still counted from now */
	ASSERT_EQ(0, setidle(self->fd, "si:l", 100000000));
	n = ttl_idle(self->fd, "si:l");
	EXPECT_LE(100000000, n);
	EXPECT_GE(100000001, n);
	ASSERT_EQ(0, setidle(self->fd, "si:l", INT64_MAX));
	n = ttl_idle(self->fd, "si:l");
	EXPECT_LE((int64_t)KC_IDLE_MAX, n);
	EXPECT_GE((int64_t)KC_IDLE_MAX + 1, n);

	/* GET META reports it, and (an access) starts again from 0 */
	EXPECT_LE(1000, mg(self->fd, "si", 0, 0).idle);
	EXPECT_GE(1, ttl_idle(self->fd, "si"));
	ASSERT_EQ(0, setidle(self->fd, "si", 0));
	EXPECT_GE(1, ttl_idle(self->fd, "si"));

	EXPECT_EQ(-ENOENT, setidle(self->fd, "si:none", 5));
	EXPECT_EQ(-EINVAL, setidle(self->fd, "si", -1));
	ro = open(KC_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, setidle(ro, "si", 5));
	close(ro);
	EXPECT_GE(1, ttl_idle(self->fd, "si"));
}

TEST_F_TIMEOUT(meta, one_winner, 300)
{
	unsigned int round, i, won, bad = 0, bad_round = 0;
	struct race_arg args[RACE_THREADS];
	pthread_t t[RACE_THREADS];
	uint32_t want_won, want_lost;
	struct race *r;
	uint64_t cas;
	char m[64];

	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	for (i = 0; i < RACE_THREADS; i++) {
		r->fd[i] = kc_open();
		ASSERT_LE(0, r->fd[i]);
	}
	ASSERT_EQ(0, pthread_barrier_init(&r->start, NULL, RACE_THREADS + 1));
	ASSERT_EQ(0, pthread_barrier_init(&r->done, NULL, RACE_THREADS + 1));
	for (i = 0; i < RACE_THREADS; i++) {
		args[i].r = r;
		args[i].i = i;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_worker,
					    &args[i]));
	}

	for (round = 0; round < RACE_ROUNDS; round++) {
		cas = 0;
		if (round % 2 == 0) {
			ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "race", "v",
					   0, NULL));
			ASSERT_EQ(0, del_stale(self->fd, "race", 0, 0, &cas));
			r->num2 = 0;
			want_won = M_STALE | M_WON;
			want_lost = M_STALE | M_TOKEN;
		} else {
			ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "race", "v",
					   100, &cas));
			r->num2 = 130;
			want_won = M_WON;
			want_lost = M_TOKEN;
		}
		memset(r->res, 0, sizeof(r->res));
		pthread_barrier_wait(&r->start);
		pthread_barrier_wait(&r->done);

		/* FETCHED depends on who bumped first: not checked. */
		won = 0;
		for (i = 0; i < RACE_THREADS; i++) {
			struct mg *res = &r->res[i];
			uint32_t mm = res->meta & ~M_FETCHED;

			if (!res->ret && (mm & M_WON))
				won++;
			if (res->ret || res->cas != cas ||
			    strcmp(res->val, "v") ||
			    (mm != want_won && mm != want_lost)) {
				if (!bad++) {
					bad_round = round;
					TH_LOG("round %u thread %u: ret %d cas %llu (want %llu) meta %s",
					       round, i, res->ret,
					       (unsigned long long)res->cas,
					       (unsigned long long)cas,
					       meta_str(res->meta, m,
							sizeof(m)));
				}
			}
		}
		EXPECT_EQ(1, won) {
			TH_LOG("round %u: %u winners", round, won);
		}
	}
	EXPECT_EQ(0, bad) {
		TH_LOG("%u bad replies, the first in round %u", bad, bad_round);
	}

	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	pthread_barrier_wait(&r->start);
	for (i = 0; i < RACE_THREADS; i++) {
		pthread_join(t[i], NULL);
		kc_close(r->fd[i]);
	}
	pthread_barrier_destroy(&r->start);
	pthread_barrier_destroy(&r->done);
	free(r);
}

/* Netlink: KC_A_META in the op reply. */
struct nl_reply {
	unsigned char *msg;
	struct nlattr *tb[KC_A_MAX + 1];
};

static int nl_reply_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_reply *r = arg;
	void *head;
	int len;

	free(r->msg);
	r->msg = malloc(nlh->nlmsg_len);
	if (!r->msg)
		return -ENOMEM;
	memcpy(r->msg, nlh, nlh->nlmsg_len);
	head = kn_genl_attrs((struct nlmsghdr *)r->msg, &len);
	kn_parse(head, len, r->tb, KC_A_MAX);
	return 0;
}

static void nl_reply_reset(struct nl_reply *r)
{
	free(r->msg);
	memset(r, 0, sizeof(*r));
}

/*
 * A KC_CMD_OP of opcode with flags on key (num2 and a KC_A_META of meta
 * sent when not 0): 0 or -errno, the reply in r.
 */
static int nl_op(struct kn *kn, uint32_t opcode, uint32_t flags,
		 const char *key, int64_t num2, uint32_t meta,
		 struct nl_reply *r)
{
	struct kn_msg m;
	int err;

	nl_reply_reset(r);
	err = kn_msg_init(&m, kn->family, KC_CMD_OP, 0);
	if (!err)
		err = kn_put_u32(&m, KC_A_OPCODE, opcode);
	if (!err && flags)
		err = kn_put_u32(&m, KC_A_FLAGS, flags);
	if (!err)
		err = kn_put_str(&m, KC_A_KEY, key);
	if (!err && num2)
		err = kn_put_u64(&m, KC_A_NUM2, (uint64_t)num2);
	if (!err && meta)
		err = kn_put_u32(&m, KC_A_META, meta);
	if (err) {
		kn_msg_free(&m);
		return err;
	}
	return kn_request(kn, &m, nl_reply_cb, r);
}

static int64_t nl_meta(struct nl_reply *r)
{
	return r->tb[KC_A_META] ? (int64_t)kn_u32(r->tb[KC_A_META]) : -1;
}

TEST_F_TIMEOUT(meta, netlink, 120)
{
	struct nl_reply r = { 0 };
	uint64_t c1 = 0, c2 = 0;
	struct kn kn;

	ASSERT_EQ(0, kn_open(&kn)) {
		TH_LOG("generic netlink family \"%s\" not found", KC_GENL_NAME);
	}
	ASSERT_EQ(0, store(self->fd, KC_OP_SET, 0, "nl", "v", 100, &c1));

	/* A plain GET: KC_A_META 0. */
	ASSERT_EQ(0, nl_op(&kn, KC_OP_GET, 0, "nl", 0, 0, &r));
	EXPECT_EQ(0, nl_meta(&r));

	/* num2 over netlink: the token. */
	ASSERT_EQ(0, nl_op(&kn, KC_OP_GET, KC_GET_META, "nl", 130, 0, &r));
	EXPECT_EQ(M_FETCHED | M_WON, nl_meta(&r));
	ASSERT_NE(NULL, r.tb[KC_A_CAS]);
	EXPECT_EQ(c1, kn_u64(r.tb[KC_A_CAS]));
	ASSERT_NE(NULL, r.tb[KC_A_VALUE]);
	EXPECT_EQ(1, kn_len(r.tb[KC_A_VALUE]));
	ASSERT_NE(NULL, r.tb[KC_A_NUM]);
	EXPECT_GE(1, (int64_t)kn_u64(r.tb[KC_A_NUM]));
	ASSERT_EQ(0, nl_op(&kn, KC_OP_GET, KC_GET_META, "nl", 130, 0, &r));
	EXPECT_EQ(M_FETCHED | M_TOKEN, nl_meta(&r));

	/* DEL STALE over netlink: the new CAS; then the token again. */
	ASSERT_EQ(0, nl_op(&kn, KC_OP_DEL, KC_STALE, "nl", 0, 0, &r));
	ASSERT_NE(NULL, r.tb[KC_A_CAS]);
	c2 = kn_u64(r.tb[KC_A_CAS]);
	EXPECT_LT(c1, c2);
	EXPECT_EQ(c2, kt_cas(self->fd, "nl"));
	ASSERT_EQ(0, nl_op(&kn, KC_OP_GET, KC_GET_META, "nl", 0, 0, &r));
	EXPECT_EQ(M_FETCHED | M_STALE | M_WON, nl_meta(&r));
	EXPECT_EQ(M_FETCHED | M_STALE | M_TOKEN, mg_meta(self->fd, "nl"));

	/* The errors as over the ioctl; KC_A_META is a reply attribute. */
	EXPECT_EQ(-EINVAL, nl_op(&kn, KC_OP_DEL, KC_GET_TOUCH, "nl", 0, 0, &r));
	EXPECT_EQ(-EINVAL, nl_op(&kn, KC_OP_GET, KC_GET_META, "nl", 0,
				 M_WON, &r));
	EXPECT_EQ(-ENOENT, nl_op(&kn, KC_OP_GET, KC_GET_META, "none", 0, 0,
				 &r));
	EXPECT_EQ(c2, kt_cas(self->fd, "nl"));

	nl_reply_reset(&r);
	kn_close(&kn);
}

TEST_HARNESS_MAIN
