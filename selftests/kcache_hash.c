// SPDX-License-Identifier: GPL-2.0
/*
 * Hashes against Redis's documented semantics, as uapi/linux/kcache.h maps
 * them onto the ABI: HSET, HSETNX, HGET, HLEN, HMGET (one record per field,
 * KC_ELEM_NIL for an absent one), HDEL, HEXISTS, HSTRLEN, HGETALL, HKEYS,
 * HVALS, HINCRBY.  Then a hash past 65536 fields.
 *
 * The conventions all container types share (see also kcache_containers.c):
 * an operation on a missing key is -ENOENT (the proxy answers Redis's
 * empty array, 0 or nil), except the ones that create the key; the wrong
 * type is -EPROTOTYPE (WRONGTYPE) and changes nothing; single-element
 * replies write the element like GET, multi-element replies write struct
 * kc_elem records and the count in num; a container emptied by any
 * operation disappears (EXISTS -ENOENT, TYPE KC_TYPE_NONE), as Redis
 * deletes empty aggregates.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_container.h"

TEST_F(types, hset_hget_hlen)
{
	struct kt_out r;
	char txt[KT_STR];

	r = KT(self->fd, KC_OP_HSET, "h", .args = { "f1", "v1", "f2", "v2" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_EQ(KC_TYPE_HASH, kt_type(self->fd, "h"));
	/* HSET answers the number of fields added, not updated. */
	r = KT(self->fd, KC_OP_HSET, "h",
	       .args = { "f1", "V1", "f3", "v3", "f4", "v4" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	r = KT(self->fd, KC_OP_HSET, "h", .args = { "f2", "V2" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	/* A field given twice in one HSET: added once, the last value wins. */
	r = KT(self->fd, KC_OP_HSET, "h",
	       .args = { "f5", "first", "f5", "second" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_EQ(5, kt_len(self->fd, KC_OP_HLEN, "h"));

	r = KT(self->fd, KC_OP_HGET, "h", .val = "f1");
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("V1", r.s);
	EXPECT_EQ(2U, r.out_used);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "f5");
	EXPECT_STREQ("second", r.s);
	EXPECT_STREQ("f1=V1,f2=V2,f3=v3,f4=v4,f5=second", HGETALL("h"));

	/* An empty field and an empty value are fine. */
	r = KT(self->fd, KC_OP_HSET, "h", .args = { "", "" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "");
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0U, r.out_used);

	/* Missing field, missing key: nil. */
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGET, "h", .val = "nope").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGET, "nope", .val = "f1").ret);
	EXPECT_EQ(-ENOENT, kt_len(self->fd, KC_OP_HLEN, "nope"));

	/* A field without a value, or no field: an error, nothing stored. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "h",
			      .args = { "f6", "v6", "f7" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "h").ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "new",
			      .args = { "f" }).ret);
	EXPECT_EQ(6, kt_len(self->fd, KC_OP_HLEN, "h"));
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGET, "h", .val = "f6").ret);
	EXPECT_GONE("new");
}

TEST_F(types, hsetnx)
{
	struct kt_out r;

	/* HSETNX on a missing key creates the hash. */
	r = KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_NX,
	       .args = { "f", "v" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_NX,
	       .args = { "f", "w" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "f");
	EXPECT_STREQ("v", r.s);
	r = KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_NX,
	       .args = { "g", "w" });
	EXPECT_EQ(1, r.num);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_HLEN, "h"));
	/* HSETNX takes exactly one field. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_NX,
			      .args = { "x", "1", "y", "2" }).ret);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_HLEN, "h"));
	/* KC_SET_XX means nothing for hashes. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HSET, "h", .flags = KC_SET_XX,
			      .args = { "x", "1" }).ret);
}

TEST_F(types, hmget)
{
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "a", "1", "b", "22", "c", "" }).ret);
	/* One record per field in argument order, NIL for a missing one. */
	r = KT(self->fd, KC_OP_HMGET, "h",
	       .args = { "b", "nope", "a", "c", "b" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_STREQ("22,(nil),1,,22", r.s);
	EXPECT_EQ(KC_ELEM_SIZE(2) * 2 + KC_ELEM_SIZE(0) * 2 + KC_ELEM_SIZE(1),
		  r.out_used);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HMGET, "nope",
			      .args = { "a" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HMGET, "h").ret);
}

TEST_F(types, hdel)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "a", "1", "b", "2", "c", "3" }).ret);
	/* Missing fields are ignored; a field named twice counts once. */
	r = KT(self->fd, KC_OP_HDEL, "h", .args = { "a", "nope", "a" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	EXPECT_STREQ("b=2,c=3", HGETALL("h"));
	r = KT(self->fd, KC_OP_HDEL, "h", .args = { "zz" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_HLEN, "h"));
	/* Deleting the last fields deletes the hash. */
	r = KT(self->fd, KC_OP_HDEL, "h", .args = { "b", "c" });
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(2, r.num);
	EXPECT_GONE("h");
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HDEL, "h", .args = { "b" }).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_HDEL, "h").ret);
}

TEST_F(types, hexists_hstrlen)
{
	struct kt_out r;

	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "f", "hello", "e", "" }).ret);
	r = KT(self->fd, KC_OP_HEXISTS, "h", .val = "f");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_HEXISTS, "h", .val = "e");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(1, r.num);
	r = KT(self->fd, KC_OP_HEXISTS, "h", .val = "nope");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	r = KT(self->fd, KC_OP_HSTRLEN, "h", .val = "f");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	r = KT(self->fd, KC_OP_HSTRLEN, "h", .val = "e");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	/* HSTRLEN of a missing field is 0. */
	r = KT(self->fd, KC_OP_HSTRLEN, "h", .val = "nope", .num = 99);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HEXISTS, "nope", .val = "f").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HSTRLEN, "nope", .val = "f").ret);
}

TEST_F(types, hgetall_hkeys_hvals)
{
	char want_all[KT_STR], want_keys[KT_STR], want_vals[KT_STR];
	char *fields[40], *vals[40];
	struct kc_buf args[80];
	struct kc_op op;
	struct kt_out r;
	unsigned int i;
	size_t a = 0, k = 0, v = 0;

	/* 40 fields in one HSET: enough for the table to grow twice. */
	for (i = 0; i < 40; i++) {
		ASSERT_LT(0, asprintf(&fields[i], "f%02u", i));
		ASSERT_LT(0, asprintf(&vals[i], "v%u", i * 7));
		kc_buf_set(&args[2 * i], fields[i], strlen(fields[i]));
		kc_buf_set(&args[2 * i + 1], vals[i], strlen(vals[i]));
	}
	kc_op_init(&op, KC_OP_HSET);
	kc_op_key(&op, "h", 1);
	kc_op_args(&op, args, 80);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(40, op.num);

	/* The expected texts, sorted as kt_text() sorts. */
	want_all[0] = want_keys[0] = want_vals[0] = '\0';
	for (i = 0; i < 40; i++) {
		a += snprintf(want_all + a, sizeof(want_all) - a, "%s%s=%s",
			      i ? "," : "", fields[i], vals[i]);
		k += snprintf(want_keys + k, sizeof(want_keys) - k, "%s%s",
			      i ? "," : "", fields[i]);
	}
	{
		char *sorted[40];

		memcpy(sorted, vals, sizeof(sorted));
		qsort(sorted, 40, sizeof(sorted[0]), kt_strcmp_p);
		for (i = 0; i < 40; i++)
			v += snprintf(want_vals + v, sizeof(want_vals) - v,
				      "%s%s", i ? "," : "", sorted[i]);
	}

	r = KT(self->fd, KC_OP_HGETALL, "h");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(80, r.num);
	EXPECT_STREQ(want_all, r.s);
	r = KT(self->fd, KC_OP_HKEYS, "h");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(40, r.num);
	EXPECT_STREQ(want_keys, r.s);
	r = KT(self->fd, KC_OP_HVALS, "h");
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(40, r.num);
	EXPECT_STREQ(want_vals, r.s);

	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HGETALL, "nope").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HKEYS, "nope").ret);
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_HVALS, "nope").ret);
	for (i = 0; i < 40; i++) {
		free(fields[i]);
		free(vals[i]);
	}
}

/*
 * The fields of key as HKEYS (or HGETALL: field=value) returns them, in
 * the reply's order, comma-separated; max, vmax as num2 and num.
 */
static const char *in_order(int fd, uint32_t opcode, const char *key,
			    int64_t max, int64_t vmax, char *out, size_t n)
{
	struct kc_elem_iter it;
	const struct kc_elem *el;
	const void *d;
	struct kc_op op;
	char buf[8192];
	size_t at = 0, i = 0;

	kc_op_init(&op, opcode);
	kc_op_key(&op, key, strlen(key));
	kc_op_out(&op, buf, sizeof(buf));
	op.num2 = max;
	op.num = vmax;
	out[0] = '\0';
	if (kc_do(fd, &op))
		return "error";
	kc_elem_iter_init(&it, buf, op.out_used, (size_t)op.num);
	while ((el = kc_elem_next(&it, &d)) && at < n) {
		const char *sep = !i ? "" : opcode == KC_OP_HGETALL && i % 2 ? "=" : ",";

		at += snprintf(out + at, n - at, "%s%.*s", sep, (int)el->len,
			       (const char *)d);
		i++;
	}
	return out;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* The comma-separated list s, sorted (in place). */
static const char *sorted_list(char *s)
{
	char *parts[64], copy[512], *p, *save = NULL;
	size_t n = 0, i, at = 0;

	snprintf(copy, sizeof(copy), "%s", s);
	for (p = strtok_r(copy, ",", &save); p && n < 64;
	     p = strtok_r(NULL, ",", &save))
		parts[n++] = p;
	qsort(parts, n, sizeof(parts[0]), by_str);
	for (i = 0; i < n; i++)
		at += snprintf(s + at, 512 - at, "%s%s", i ? "," : "", parts[i]);
	return s;
}

/* HSET key f v: 1 for a new field, 0 for a new value, or -errno. */
static int64_t hset1(int fd, const char *key, const char *f, const char *v)
{
	struct kt_out r = KT(fd, KC_OP_HSET, key, .args = { f, v });

	return r.ret ? r.ret : r.num;
}

/*
 * A small hash (at most num2 fields, none longer than num bytes) comes in
 * the order its fields were added, as Redis's listpack hash: a new value
 * keeps its field's place, a field deleted and added again goes last.
 */
TEST_F(types, small_hash_insertion_order)
{
	char got[512], want[512];
	unsigned int i, perm[40];

	ASSERT_EQ(1, hset1(self->fd, "ho", "c", "1"));
	ASSERT_EQ(1, hset1(self->fd, "ho", "a", "2"));
	ASSERT_EQ(1, hset1(self->fd, "ho", "b", "3"));
	EXPECT_STREQ("c,a,b", in_order(self->fd, KC_OP_HKEYS, "ho", 128, 64,
					got, sizeof(got)));
	ASSERT_EQ(0, hset1(self->fd, "ho", "a", "9"));
	EXPECT_STREQ("c=1,a=9,b=3", in_order(self->fd, KC_OP_HGETALL, "ho",
					      128, 0, got, sizeof(got)));
	EXPECT_STREQ("1,9,3", in_order(self->fd, KC_OP_HVALS, "ho", 3, 1,
					got, sizeof(got)));
	EXPECT_EQ(1, KT(self->fd, KC_OP_HDEL, "ho", .args = { "a" }).num);
	ASSERT_EQ(1, hset1(self->fd, "ho", "a", "5"));
	EXPECT_EQ(2, KT(self->fd, KC_OP_HINCRBY, "ho", .val = "c", .num = 1).num);
	EXPECT_STREQ("c=2,b=3,a=5", in_order(self->fd, KC_OP_HGETALL, "ho",
					      128, 64, got, sizeof(got)));
	/* Over either bound: every field still, in the table's order. */
	in_order(self->fd, KC_OP_HKEYS, "ho", 2, 64, got, sizeof(got));
	EXPECT_STREQ("a,b,c", sorted_list(got));
	ASSERT_EQ(1, hset1(self->fd, "ho", "d", "a value longer than eight"));
	in_order(self->fd, KC_OP_HKEYS, "ho", 128, 8, got, sizeof(got));
	EXPECT_STREQ("a,b,c,d", sorted_list(got));
	EXPECT_STREQ("c,b,a,d", in_order(self->fd, KC_OP_HKEYS, "ho", 128, 0,
					  got, sizeof(got)));
	in_order(self->fd, KC_OP_HKEYS, "ho", 0, 0, got, sizeof(got));
	EXPECT_STREQ("a,b,c,d", sorted_list(got));

	/* 40 fields added in a shuffled order, through table growth. */
	for (i = 0; i < 40; i++)
		perm[i] = (i * 17 + 5) % 40;
	want[0] = '\0';
	for (i = 0; i < 40; i++) {
		char f[8];

		snprintf(f, sizeof(f), "f%02u", perm[i]);
		ASSERT_EQ(1, hset1(self->fd, "ho40", f, "v"));
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
			 "%s%s", i ? "," : "", f);
	}
	EXPECT_STREQ(want, in_order(self->fd, KC_OP_HKEYS, "ho40", 40, 64,
				    got, sizeof(got)));
	EXPECT_EQ(0, KT(self->fd, KC_OP_DEL, "ho").ret);
	EXPECT_EQ(0, KT(self->fd, KC_OP_DEL, "ho40").ret);
}

TEST_F(types, hincrby)
{
	static const char *const not_int[] = {
		"abc", "", " 1", "1 ", "+1", "01", "-0", "1.5", "0x10",
		"9223372036854775808", "-9223372036854775809",
		"99999999999999999999",
	};
	struct kt_out r;
	unsigned int i;

	/* A missing key and a missing field start from 0. */
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "n", .num = 5);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(5, r.num);
	EXPECT_EQ(KC_TYPE_HASH, kt_type(self->fd, "h"));
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "n", .num = -7);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(-2, r.num);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "n");
	EXPECT_STREQ("-2", r.s);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "m", .num = 0);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.num);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "m");
	EXPECT_STREQ("0", r.s);
	EXPECT_EQ(2, kt_len(self->fd, KC_OP_HLEN, "h"));

	/* "ERR hash value is not an integer": -EDOM, value kept. */
	for (i = 0; i < ARRAY_SIZE(not_int); i++) {
		ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
				.args = { "s", not_int[i] }).ret);
		r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "s", .num = 1);
		EXPECT_EQ(-EDOM, r.ret) {
			TH_LOG("HINCRBY of \"%s\": %s", not_int[i],
			       kc_strerror(r.ret));
		}
		r = KT(self->fd, KC_OP_HGET, "h", .val = "s");
		EXPECT_STREQ(not_int[i], r.s);
	}

	/* "ERR increment or decrement would overflow": -EOVERFLOW. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "max", "9223372036854775807",
				  "min", "-9223372036854775808" }).ret);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "max", .num = 1);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "min", .num = -1);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "max", .num = INT64_MIN);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(-1, r.num);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "min", .num = INT64_MAX);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(-1, r.num);
	/* -2 + INT64_MIN is below the range; 0 + INT64_MIN is not. */
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "n", .num = INT64_MIN);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "n");
	EXPECT_STREQ("-2", r.s);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "m", .num = INT64_MIN);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(INT64_MIN, r.num);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "m", .num = -1);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "m");
	EXPECT_STREQ("-9223372036854775808", r.s);
	ASSERT_EQ(0, KT(self->fd, KC_OP_HSET, "h",
			.args = { "big", "9223372036854775806" }).ret);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "big", .num = 1);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(INT64_MAX, r.num);
	r = KT(self->fd, KC_OP_HINCRBY, "h", .val = "big", .num = 1);
	EXPECT_EQ(-EOVERFLOW, r.ret);
	r = KT(self->fd, KC_OP_HGET, "h", .val = "big");
	EXPECT_STREQ("9223372036854775807", r.s);
}


/* ------------------------------------------------------- big containers */

/* A hash past 65536 fields. */
TEST_F_TIMEOUT(types, big_hash, 300)
{
	const unsigned int n = kt_big_n() * 7 / 10;
	unsigned int failed_at = 0;
	int64_t total;
	struct kt_out r;
	char name[9];
	int ret;

	ret = kt_big_op(self->fd, KC_OP_HSET, "bighash", 0, n, &total,
		     &failed_at);
	ASSERT_EQ(0, ret) {
		TH_LOG("HSET of fields %u..%u failed: %s (%lld added before, HLEN %lld)",
		       failed_at, failed_at + KT_BIG_CHUNK - 1, kc_strerror(ret),
		       (long long)total,
		       (long long)kt_len(self->fd, KC_OP_HLEN, "bighash"));
	}
	EXPECT_EQ(n, total);
	EXPECT_EQ(n, kt_len(self->fd, KC_OP_HLEN, "bighash"));
	r = KT(self->fd, KC_OP_HGET, "bighash", .val = kt_nm(name, n - 1));
	EXPECT_STREQ(name, r.s);
	r = KT(self->fd, KC_OP_HKEYS, "bighash", .out_len = 16);
	EXPECT_EQ(-ENOSPC, r.ret);
	EXPECT_EQ(n * KC_ELEM_SIZE(8), r.out_used);
}


TEST_HARNESS_MAIN
