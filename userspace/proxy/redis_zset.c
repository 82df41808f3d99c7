// SPDX-License-Identifier: GPL-2.0
/*
 * Redis sorted sets over the kernel's KC_OP_Z* operations.  The proxy
 * parses what Redis parses (scores with strtod() as string2d(), score and
 * lex ranges as zslParseRange()/zslParseLexRange(), the options of
 * zaddGenericCommand() and zrangeGenericCommand()) in Redis's order, so
 * that the same error comes first; the kernel keeps the scores as IEEE-754
 * bits and does every comparison and the INCR addition itself (atomic).
 * Scores are written as Redis 7.0 writes doubles: "%.17g", inf and -inf,
 * RESP3 doubles (",") and nested [member, score] pairs in RESP3.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkcache.h"
#include "notify.h"
#include "redis.h"

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

/* ------------------------------------------------------------ scores */

/* A NUL-terminated copy of an argument (strtod() needs one). */
static char *cstr(const struct arg *a, char *buf, size_t n)
{
	char *s = a->len < n ? buf : malloc(a->len + 1);

	if (!s)
		return NULL;
	memcpy(s, a->p, a->len);
	s[a->len] = 0;
	return s;
}

/* Redis's string2d(): the whole argument, no NaN, no overflow. */
static bool parse_double(const struct arg *a, double *d)
{
	char buf[128], *s, *end;
	bool ok;

	if (!a->len || isspace((unsigned char)a->p[0]))
		return false;
	s = cstr(a, buf, sizeof(buf));
	if (!s)
		return false;
	errno = 0;
	*d = strtod(s, &end);
	ok = (size_t)(end - s) == a->len &&
	     !(errno == ERANGE && (*d == HUGE_VAL || *d == -HUGE_VAL ||
				   fpclassify(*d) == FP_ZERO)) &&
	     !isnan(*d);
	if (s != buf)
		free(s);
	return ok;
}

/* One end of zslParseRange(): "(" exclusive, strtod up to a NUL. */
static bool parse_score_bound(const struct arg *a, char out[9])
{
	char buf[128], *s, *end;
	double d;
	bool ok;

	s = cstr(a, buf, sizeof(buf));
	if (!s)
		return false;
	out[0] = s[0] == '(' ? '(' : '[';
	d = strtod(s + (s[0] == '('), &end);
	ok = end[0] == 0 && !isnan(d);
	memcpy(out + 1, &d, 8);
	if (s != buf)
		free(s);
	return ok;
}

/* One end of zslParseLexRange(): "+", "-", "[m", "(m". */
static bool lex_ok(const struct arg *a)
{
	if (!a->len)
		return false;
	switch (a->p[0]) {
	case '+':
	case '-':
		return a->len == 1;
	case '(':
	case '[':
		return true;
	}
	return false;
}

static void fmt_double(char *s, size_t n, double d)
{
	if (isinf(d))
		snprintf(s, n, "%s", d > 0 ? "inf" : "-inf");
	else
		snprintf(s, n, "%.17g", d);
}

/* addReplyDouble() of Redis 7.0. */
static void reply_double(struct buf *o, int proto, double d)
{
	char s[64];

	fmt_double(s, sizeof(s), d);
	if (proto > 2) {
		buf_addc(o, ',');
		buf_adds(o, s);
		buf_add(o, "\r\n", 2);
	} else {
		resp_bulk(o, s, strlen(s));
	}
}

static double bits_double(const void *p)
{
	double d;

	memcpy(&d, p, 8);
	return d;
}

static void zerr(struct conn *c, int err)
{
	if (err == -EDOM)
		resp_error(&c->out, "ERR resulting score is not a number (NaN)");
	else
		reply_kerr(&c->out, err);
}

/* ------------------------------------------------------------ planning */

/* One zset op on key; room for the reply, nargs kc_bufs and extra bytes. */
static struct kc_op *zplan(struct conn *c, render_fn fn, uint32_t opcode,
			   const struct arg *key, size_t room, size_t nargs,
			   size_t extra, struct rec **rp, struct kc_buf **kb)
{
	struct engine *e = E(c);
	struct rec *r = eng_rec(e, c, fn, room + nargs * sizeof(struct kc_buf) +
				extra + 8 * nargs + 8);
	struct kc_op *op = eng_op(e, r, opcode);

	kc_op_key(op, key->p, key->len);
	if (nargs) {
		*kb = eng_alloc(e, nargs * sizeof(**kb));
		kc_op_args(op, *kb, (uint32_t)nargs);
	}
	if (room)
		kc_op_out(op, eng_alloc(e, room), room);
	*rp = r;
	return op;
}

/* A copy of bytes in the arena (it lives until the batch ran). */
static void *arena_copy(struct conn *c, const void *p, size_t n)
{
	void *d = eng_alloc(E(c), n ? n : 1);

	memcpy(d, p, n);
	return d;
}

/* ------------------------------------------------------------ ZADD */

enum { ZA_INCR = 1 };

static void r_zadd(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;

	if (r->flags & ZA_INCR) {
		if (err == -EEXIST || err == -ENOENT)
			resp_null(&c->out, c->proto);
		else if (err)
			zerr(c, err);
		else
			reply_double(&c->out, c->proto,
				     bits_double(&ops[0].num));
		return;
	}
	if (err == -ENOENT)
		resp_int(&c->out, 0);
	else if (err)
		zerr(c, err);
	else
		resp_int(&c->out, ops[0].num);
}

static void zadd_generic(struct conn *c, struct arg *argv, size_t argc,
			 bool zincrby)
{
	uint32_t flags = zincrby ? KC_Z_INCR : 0;
	size_t i = 2, n, j, bytes = 0, mark = 0;
	bool big, own = false;
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;
	double *sc;

	if (!zincrby) {
		for (; i < argc; i++) {
			if (arg_eq(&argv[i], "nx"))
				flags |= KC_SET_NX;
			else if (arg_eq(&argv[i], "xx"))
				flags |= KC_SET_XX;
			else if (arg_eq(&argv[i], "ch"))
				flags |= KC_Z_CH;
			else if (arg_eq(&argv[i], "incr"))
				flags |= KC_Z_INCR;
			else if (arg_eq(&argv[i], "gt"))
				flags |= KC_EXPIRE_GT;
			else if (arg_eq(&argv[i], "lt"))
				flags |= KC_EXPIRE_LT;
			else
				break;
		}
	}
	n = argc - i;
	if (!n || n % 2) {
		reply_err(c, "ERR syntax error");
		return;
	}
	n /= 2;
	if ((flags & KC_SET_NX) && (flags & KC_SET_XX)) {
		reply_err(c, "ERR XX and NX options at the same time are not compatible");
		return;
	}
	if (((flags & KC_SET_NX) && (flags & (KC_EXPIRE_GT | KC_EXPIRE_LT))) ||
	    ((flags & KC_EXPIRE_GT) && (flags & KC_EXPIRE_LT))) {
		reply_err(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
		return;
	}
	if ((flags & KC_Z_INCR) && n > 1) {
		reply_err(c, "ERR INCR option supports a single increment-element pair");
		return;
	}
	sc = malloc(n * sizeof(*sc));
	if (!sc) {
		reply_err(c, "ERR out of memory");
		return;
	}
	for (j = 0; j < n; j++) {
		if (!parse_double(&argv[i + 2 * j], &sc[j])) {
			reply_err(c, "ERR value is not a valid float");
			free(sc);
			return;
		}
		bytes += ((8 + argv[i + 2 * j + 1].len + 7) & ~(size_t)7);
	}
	if (!key_ok(c, &argv[1])) {
		free(sc);
		return;
	}
	big = n > KC_ARGS_MAX;
	if (big)
		own = big_begin(c, &mark);
	op = zplan(c, r_zadd, KC_OP_ZADD, &argv[1], 0, n, bytes, &r, &kb);
	op->flags = flags;
	for (j = 0; j < n; j++) {
		const struct arg *m = &argv[i + 2 * j + 1];
		char *p = eng_alloc(E(c), 8 + m->len);

		memcpy(p, &sc[j], 8);
		memcpy(p + 8, m->p, m->len);
		kc_buf_set(&kb[j], p, 8 + m->len);
	}
	r->flags = (flags & KC_Z_INCR) ? ZA_INCR : 0;
	free(sc);
	if (big)
		big_end(c, own, mark);
}

void cmd_zadd(struct conn *c, struct arg *argv, size_t argc)
{
	zadd_generic(c, argv, argc, false);
}

/* ZINCRBY key increment member: ZADD key INCR increment member. */
void cmd_zincrby(struct conn *c, struct arg *argv, size_t argc)
{
	zadd_generic(c, argv, argc, true);
}

/* ------------------------------------------------------------ simple */

static void r_zint(struct conn *c, struct rec *r, struct kc_op *ops)
{
	(void)r;
	if (ops[0].result == -ENOENT)
		resp_int(&c->out, 0);
	else if (ops[0].result)
		zerr(c, ops[0].result);
	else
		resp_int(&c->out, ops[0].num);
}

static void r_zrank(struct conn *c, struct rec *r, struct kc_op *ops)
{
	(void)r;
	if (ops[0].result == -ENOENT)
		resp_null(&c->out, c->proto);
	else if (ops[0].result)
		zerr(c, ops[0].result);
	else
		resp_int(&c->out, ops[0].num);
}

/* ZREM key member... */
void cmd_zrem(struct conn *c, struct arg *argv, size_t argc)
{
	bool big = argc - 2 > KC_ARGS_MAX, own = false;
	size_t i, mark = 0;
	struct kc_buf *kb;
	struct rec *r;

	if (!key_ok(c, &argv[1]))
		return;
	if (big)
		own = big_begin(c, &mark);
	zplan(c, r_zint, KC_OP_ZREM, &argv[1], 0, argc - 2, 0, &r, &kb);
	for (i = 2; i < argc; i++)
		kc_buf_set(&kb[i - 2], argv[i].p, argv[i].len);
	if (big)
		big_end(c, own, mark);
}

void cmd_zcard(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_buf *kb;
	struct rec *r;

	(void)argc;
	if (key_ok(c, &argv[1]))
		zplan(c, r_zint, KC_OP_ZCARD, &argv[1], 0, 0, 0, &r, &kb);
}

/* ZRANK, ZREVRANK key member. */
void cmd_zrank(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	op = zplan(c, r_zrank, KC_OP_ZRANK, &argv[1], 0, 0, 0, &r, &kb);
	kc_op_val(op, argv[2].p, argv[2].len);
	if ((argv[0].p[1] | 0x20) == 'r' && argv[0].len == 8)
		op->flags = KC_Z_REV;
}

/* r->a: 1 for ZSCORE (one value, not an array); r->b: members asked. */
static void r_zmscore(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct kc_elem_iter it;
	const struct kc_elem *el;
	const void *data;
	int64_t i;

	if (ops[0].result == -ENOENT) {
		if (!r->a)
			resp_array(&c->out, (size_t)r->b);
		for (i = 0; i < r->b; i++)
			resp_null(&c->out, c->proto);
		return;
	}
	if (ops[0].result) {
		zerr(c, ops[0].result);
		return;
	}
	if (!r->a)
		resp_array(&c->out, (size_t)ops[0].num);
	kc_elem_iter_init(&it, (const void *)(uintptr_t)ops[0].out,
			  ops[0].out_used, (size_t)ops[0].num);
	while ((el = kc_elem_next(&it, &data))) {
		if ((el->flags & KC_ELEM_NIL) || el->len != 8)
			resp_null(&c->out, c->proto);
		else
			reply_double(&c->out, c->proto, bits_double(data));
	}
}

/* ZSCORE key member, ZMSCORE key member... */
void cmd_zmscore(struct conn *c, struct arg *argv, size_t argc)
{
	size_t i, n = argc - 2, mark = 0;
	bool big = n > KC_ARGS_MAX, own = false;
	struct kc_buf *kb;
	struct rec *r;

	if (!key_ok(c, &argv[1]))
		return;
	if (big)
		own = big_begin(c, &mark);
	zplan(c, r_zmscore, KC_OP_ZMSCORE, &argv[1], n * 16 + 64, n, 0, &r,
	      &kb);
	for (i = 0; i < n; i++)
		kc_buf_set(&kb[i], argv[i + 2].p, argv[i + 2].len);
	r->a = argv[0].len == 6;	/* "zscore" */
	r->b = (int64_t)n;
	if (big)
		big_end(c, own, mark);
}

/* ------------------------------------------------------------ ranges */

enum {
	ZR_WS = 1 << 0,		/* scores in the reply */
	ZR_POP = 1 << 1,	/* ZPOPMIN/MAX: pairs, nested if r->a */
	ZR_COUNT = 1 << 2,	/* an integer reply (num) */
	ZR_RAND = 1 << 3,	/* ZRANDMEMBER without a count: one bulk */
};

/* Members (and scores) of a range reply. */
static void r_zrange(struct conn *c, struct rec *r, struct kc_op *ops)
{
	bool ws = r->flags & (ZR_WS | ZR_POP), nest;
	struct kc_elem_iter it;
	const struct kc_elem *el;
	const void *data;
	size_t n, i;

	if (ops[0].result == -ENOENT) {
		if (r->flags & ZR_COUNT)
			resp_int(&c->out, 0);
		else if (r->flags & ZR_RAND)
			resp_null(&c->out, c->proto);
		else
			resp_array(&c->out, 0);
		return;
	}
	if (ops[0].result == -E2BIG && ops[0].opcode == KC_OP_ZRANDMEMBER) {
		reply_count_too_big(&c->out);
		return;
	}
	if (ops[0].result) {
		zerr(c, ops[0].result);
		return;
	}
	if (r->flags & ZR_COUNT) {
		resp_int(&c->out, ops[0].num);
		return;
	}
	if (r->flags & ZR_RAND) {
		resp_bulk(&c->out, (const void *)(uintptr_t)ops[0].out,
			  ops[0].out_used);
		return;
	}
	n = (size_t)ops[0].num;
	/* RESP3 nests pairs: ZRANGE WITHSCORES, ZPOP with a count, ... */
	nest = ws && c->proto > 2 && (!(r->flags & ZR_POP) || r->a);
	resp_array(&c->out, nest ? n / 2 : n);
	kc_elem_iter_init(&it, (const void *)(uintptr_t)ops[0].out,
			  ops[0].out_used, n);
	for (i = 0; (el = kc_elem_next(&it, &data)); i++) {
		if (!ws || !(i & 1)) {
			if (nest)
				resp_array(&c->out, 2);
			resp_bulk(&c->out, data, el->len);
		} else {
			reply_double(&c->out, c->proto,
				     el->len == 8 ? bits_double(data) : NAN);
		}
	}
}

static bool get_ll(struct conn *c, const struct arg *a, long long *v)
{
	if (resp_str2ll(a->p, a->len, v))
		return true;
	reply_err(c, "ERR value is not an integer or out of range");
	return false;
}

enum zr_type { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };

/*
 * The two bounds of a KC_OP_ZRANGE as its args: ranks (8 bytes) and
 * score bounds (9 bytes) are written to room, lex bounds point to the
 * arguments.  The bounds have been checked (range_err()).
 */
static void range_args(enum zr_type t, const struct arg *amin,
		       const struct arg *amax, struct kc_buf kb[2],
		       char room[2][16])
{
	const struct arg *b[2] = { amin, amax };
	int i;

	for (i = 0; i < 2; i++) {
		if (t == ZR_RANK) {
			long long v;

			resp_str2ll(b[i]->p, b[i]->len, &v);
			memcpy(room[i], &v, 8);
			kc_buf_set(&kb[i], room[i], 8);
		} else if (t == ZR_SCORE) {
			parse_score_bound(b[i], room[i]);
			kc_buf_set(&kb[i], room[i], 9);
		} else {
			kc_buf_set(&kb[i], b[i]->p, b[i]->len);
		}
	}
}

static uint32_t range_flags(enum zr_type t, uint32_t flags)
{
	return flags | (t == ZR_SCORE ? KC_Z_BYSCORE :
			t == ZR_LEX ? KC_Z_BYLEX : 0);
}

/*
 * Plans one KC_OP_ZRANGE: ranks, or score / lex bounds (in min, max
 * order), with flags.  off, lim: LIMIT (lim < 0: none).
 */
static struct rec *plan_range(struct conn *c, const struct arg *key,
			      enum zr_type t, const struct arg *amin,
			      const struct arg *amax, uint32_t flags,
			      long long off, long long lim, unsigned rflags)
{
	char room[2][16];
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;
	int i;

	op = zplan(c, r_zrange, KC_OP_ZRANGE, key,
		   (flags & KC_Z_COUNT) ? 0 : eng_multi_room(), 2, 32, &r, &kb);
	op->flags = range_flags(t, flags);
	op->num = off;
	op->num2 = lim;
	range_args(t, amin, amax, kb, room);
	for (i = 0; i < 2 && t != ZR_LEX; i++)
		kb[i].ptr = (uint64_t)(uintptr_t)arena_copy(c, room[i], kb[i].len);
	r->flags = rflags;
	return r;
}

/* The range arguments parse (Redis's errors), before the key is read. */
static const char *range_err(enum zr_type t, const struct arg *a,
			     const struct arg *b)
{
	char s[9];
	long long v;

	if (t == ZR_RANK)
		return resp_str2ll(a->p, a->len, &v) &&
		       resp_str2ll(b->p, b->len, &v) ? NULL :
		       "ERR value is not an integer or out of range";
	if (t == ZR_SCORE)
		return parse_score_bound(a, s) && parse_score_bound(b, s) ?
		       NULL : "ERR min or max is not a float";
	return lex_ok(a) && lex_ok(b) ? NULL :
	       "ERR min or max not valid string range item";
}

static bool range_ok(struct conn *c, enum zr_type t, const struct arg *a,
		     const struct arg *b)
{
	const char *err = range_err(t, a, b);

	if (err)
		reply_err(c, err);
	return !err;
}

/* A parsed ZRANGE (or ZRANGESTORE, or one of the older forms). */
struct zrq {
	const struct arg *key;		/* the source */
	const struct arg *amin, *amax;	/* in min, max order */
	enum zr_type t;
	uint32_t flags;			/* KC_Z_WITHSCORES, KC_Z_REV */
	long long off, lim;		/* LIMIT; lim -1: none */
};

/*
 * zrangeGenericCommand()'s parsing, up to the key lookup, for the key at
 * argv[k] (ZRANGESTORE: k 2, and no WITHSCORES); t and rev are the
 * presets of the command (ZR_AUTO / false for ZRANGE itself).  NULL, or
 * Redis's error.
 */
static const char *zrange_parse(struct arg *argv, size_t argc, size_t k,
				enum zr_type t, bool rev, bool store,
				struct zrq *z)
{
	bool ws = false, rev_opt = false, is_zrange = t == ZR_AUTO;
	size_t j;

	z->off = 0;
	z->lim = -1;
	z->key = &argv[k];
	z->amin = &argv[k + 1];
	z->amax = &argv[k + 2];
	for (j = k + 3; j < argc; j++) {
		size_t left = argc - j - 1;

		if (!store && arg_eq(&argv[j], "withscores")) {
			ws = true;
		} else if (arg_eq(&argv[j], "limit") && left >= 2) {
			if (!resp_str2ll(argv[j + 1].p, argv[j + 1].len, &z->off) ||
			    !resp_str2ll(argv[j + 2].p, argv[j + 2].len, &z->lim))
				return "ERR value is not an integer or out of range";
			j += 2;
		} else if (is_zrange && !rev_opt && arg_eq(&argv[j], "rev")) {
			rev_opt = true;
		} else if (t == ZR_AUTO && arg_eq(&argv[j], "bylex")) {
			t = ZR_LEX;
		} else if (t == ZR_AUTO && arg_eq(&argv[j], "byscore")) {
			t = ZR_SCORE;
		} else {
			return "ERR syntax error";
		}
	}
	rev = rev || rev_opt;
	if (t == ZR_AUTO)
		t = ZR_RANK;
	if (z->lim != -1 && t == ZR_RANK)
		return "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
	if (ws && t == ZR_LEX)
		return "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
	if (rev && t != ZR_RANK) {
		z->amin = &argv[k + 2];
		z->amax = &argv[k + 1];
	}
	z->t = t;
	z->flags = (ws ? KC_Z_WITHSCORES : 0) | (rev ? KC_Z_REV : 0);
	return range_err(t, z->amin, z->amax);
}

static void zrange_generic(struct conn *c, struct arg *argv, size_t argc,
			   enum zr_type t, bool rev)
{
	const char *err;
	struct zrq z;

	err = zrange_parse(argv, argc, 1, t, rev, false, &z);
	if (err) {
		reply_err(c, err);
		return;
	}
	if (!key_ok(c, z.key))
		return;
	plan_range(c, z.key, z.t, z.amin, z.amax, z.flags, z.off, z.lim,
		   (z.flags & KC_Z_WITHSCORES) ? ZR_WS : 0);
}

void cmd_zrange(struct conn *c, struct arg *argv, size_t argc)
{
	zrange_generic(c, argv, argc, ZR_AUTO, false);
}

void cmd_zrevrange(struct conn *c, struct arg *argv, size_t argc)
{
	zrange_generic(c, argv, argc, ZR_RANK, true);
}

/* ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX. */
void cmd_zrangeby(struct conn *c, struct arg *argv, size_t argc)
{
	char name[24];
	bool rev;

	arg_lower(&argv[0], name, sizeof(name));
	rev = !strncmp(name, "zrev", 4);
	zrange_generic(c, argv, argc, strstr(name, "lex") ? ZR_LEX : ZR_SCORE,
		       rev);
}

/* ZCOUNT, ZLEXCOUNT key min max. */
void cmd_zcount(struct conn *c, struct arg *argv, size_t argc)
{
	enum zr_type t = (argv[0].p[1] | 0x20) == 'l' ? ZR_LEX : ZR_SCORE;

	(void)argc;
	if (!range_ok(c, t, &argv[2], &argv[3]) || !key_ok(c, &argv[1]))
		return;
	plan_range(c, &argv[1], t, &argv[2], &argv[3], KC_Z_COUNT, 0, -1,
		   ZR_COUNT);
}

/* ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX key min max. */
void cmd_zremrange(struct conn *c, struct arg *argv, size_t argc)
{
	char name[24];
	enum zr_type t;

	(void)argc;
	arg_lower(&argv[0], name, sizeof(name));
	t = strstr(name, "rank") ? ZR_RANK : strstr(name, "lex") ? ZR_LEX :
	    ZR_SCORE;
	if (!range_ok(c, t, &argv[2], &argv[3]) || !key_ok(c, &argv[1]))
		return;
	plan_range(c, &argv[1], t, &argv[2], &argv[3],
		   KC_Z_COUNT | KC_Z_REMOVE, 0, -1, ZR_COUNT);
}

/* ZPOPMIN, ZPOPMAX key [count]. */
void cmd_zpop(struct conn *c, struct arg *argv, size_t argc)
{
	bool max = (argv[0].p[5] | 0x20) == 'a';
	long long count = 1;
	struct arg a0, a1;
	char s0[24], s1[24];
	struct rec *r;

	if (argc > 3) {
		reply_err(c, "ERR syntax error");
		return;
	}
	if (argc == 3) {
		if (!resp_str2ll(argv[2].p, argv[2].len, &count) || count < 0) {
			reply_err(c, "ERR value is out of range, must be positive");
			return;
		}
	}
	if (!key_ok(c, &argv[1]))
		return;
	/* Count 0: an empty range (1..0), still checked for its type. */
	snprintf(s0, sizeof(s0), "%d", !count);
	snprintf(s1, sizeof(s1), "%lld", count - !!count);
	a0.p = s0;
	a0.len = strlen(s0);
	a1.p = s1;
	a1.len = strlen(s1);
	r = plan_range(c, &argv[1], ZR_RANK, &a0, &a1,
		       KC_Z_REMOVE | KC_Z_WITHSCORES | (max ? KC_Z_REV : 0),
		       0, -1, ZR_POP);
	r->a = argc == 3;
}

/* ZRANDMEMBER key [count [WITHSCORES]]. */
void cmd_zrandmember(struct conn *c, struct arg *argv, size_t argc)
{
	bool ws = false;
	long long count = 0;
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;

	if (argc >= 3) {
		if (!get_ll(c, &argv[2], &count))
			return;
		if (count == INT64_MIN) {
			reply_err(c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
			return;
		}
		if (argc > 4 || (argc == 4 && !arg_eq(&argv[3], "withscores"))) {
			reply_err(c, "ERR syntax error");
			return;
		}
		ws = argc == 4;
		if (ws && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) {
			reply_err(c, "ERR value is out of range");
			return;
		}
	}
	if (!key_ok(c, &argv[1]))
		return;
	op = zplan(c, r_zrange, KC_OP_ZRANDMEMBER, &argv[1],
		   argc >= 3 ? eng_multi_room() : eng_val_room(), 0, 0, &r, &kb);
	if (argc >= 3) {
		op->flags = KC_POP_COUNT | (ws ? KC_Z_WITHSCORES : 0);
		op->num = count;
		r->flags = ws ? ZR_WS : 0;
	} else {
		r->flags = ZR_RAND;
	}
}

/* ------------------------------------------------------------ reads */

/*
 * Runs op now with a reply buffer that grows until the reply fits (a
 * range op changes nothing when its reply does not fit).  *out is the
 * caller's to free.  The transport's -errno, else op->result.
 */
static int zread(struct conn *c, struct kc_op *op, void **out)
{
	size_t room = 64 << 10;
	int err;

	for (;;) {
		*out = malloc(room);
		if (!*out)
			return -ENOMEM;
		kc_op_out(op, *out, room);
		err = eng_do(E(c), op);
		if (err != -ENOSPC || op->out_used <= room)
			return err;
		room = op->out_used;
		free(*out);
	}
}

/* ------------------------------------------------------------ ZRANGESTORE */

/*
 * ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count].
 * The source's range is read with its CAS version (EXISTS first) and
 * written to dst in a transaction that watches that version: DEL dst,
 * then ZADD in KC_ARGS_MAX chunks.  So the store is atomic (a reader sees
 * the old dst or the new one) and holds the range src had when the
 * transaction ran; when src changed in between, it is read again.  Alone
 * through txpre_run(); inside MULTI EXEC prepares it.  A missing src
 * stores nothing and deletes dst, as Redis.
 */
bool zrangestore_prepare(const struct txq *q, struct arg *argv, size_t argc,
			 struct txpre *p)
{
	struct kc_buf kb[2];
	char room[2][16];
	struct kc_op op;
	uint64_t cas = 0;
	uint32_t type;
	int err, st;
	struct zrq z;
	void *out;

	if (zrange_parse(argv, argc, 2, ZR_AUTO, false, true, &z))
		return true;	/* the plan answers the error */
	if (!argv[1].len || argv[1].len > KC_KEY_MAX || !z.key->len ||
	    z.key->len > KC_KEY_MAX)
		return true;
	st = txq_key_state(q, z.key, &cas, &type);
	if (st == KS_WRITTEN) {
		p->conflict = true;
		return true;
	}
	if (st < 0) {
		p->kerr = st;
		return true;
	}
	if (st == KS_EXISTS && type != KC_TYPE_ZSET)
		p->kerr = -EPROTOTYPE;
	if (!txpre_watch(p, q, z.key->p, z.key->len, cas))
		return false;
	if (st == KS_MISSING || p->kerr)
		return true;	/* missing: an empty range */
	kc_op_init(&op, KC_OP_ZRANGE);
	kc_op_key(&op, z.key->p, z.key->len);
	range_args(z.t, z.amin, z.amax, kb, room);
	kc_op_args(&op, kb, 2);
	op.flags = range_flags(z.t, z.flags | KC_Z_WITHSCORES);
	op.num = z.off;
	op.num2 = z.lim;
	err = zread(q->c, &op, &out);
	if (err == -ENOMEM)
		return false;
	if (err && err != -ENOENT) {
		free(out);
		p->kerr = err;	/* changed since: the watch retries it */
		return true;
	}
	p->out = out;
	p->olen = op.out_used;
	p->num = err ? 0 : op.num;
	return true;
}

static void r_zrstore(struct conn *c, struct rec *r, struct kc_op *ops)
{
	uint32_t i;

	for (i = 0; i < r->nops; i++) {
		if (ops[i].result && !(i == 0 && ops[i].result == -ENOENT)) {
			zerr(c, ops[i].result);
			return;
		}
	}
	resp_int(&c->out, r->a);
}

void zrangestore_plan(struct conn *c, struct arg *argv, size_t argc,
		      const struct txpre *p)
{
	size_t n = (size_t)p->num / 2, i, k;
	struct kc_elem_iter it;
	const struct kc_elem *el;
	const void *data, *m = NULL;
	struct engine *e = E(c);
	struct kc_buf *kb;
	const char *err;
	struct kc_op *op;
	struct rec *r;
	uint32_t mlen = 0;
	struct zrq z;

	err = zrange_parse(argv, argc, 2, ZR_AUTO, false, true, &z);
	if (err) {
		reply_err(c, err);
		return;
	}
	if (!key_ok(c, &argv[1]) || !key_ok(c, z.key))
		return;
	if (p->kerr) {
		reply_kerr(rout(c), p->kerr);
		return;
	}
	r = eng_rec(e, c, r_zrstore, n * sizeof(*kb) + p->olen + 64);
	r->a = (int64_t)n;
	op = eng_op(e, r, KC_OP_DEL);
	kc_op_key(op, argv[1].p, argv[1].len);
	if (!n)
		return;
	/* The pairs (member, score) become ZADD's args (score, member). */
	kb = eng_alloc(e, n * sizeof(*kb));
	kc_elem_iter_init(&it, p->out, p->olen, (size_t)p->num);
	for (i = 0; (el = kc_elem_next(&it, &data)); i++) {
		char *a;

		if (!(i & 1)) {
			m = data;
			mlen = el->len;
			continue;
		}
		a = eng_alloc(e, 8 + mlen);
		memcpy(a, data, 8);
		memcpy(a + 8, m, mlen);
		kc_buf_set(&kb[i / 2], a, 8 + mlen);
	}
	for (i = 0; i < n; i += k) {
		k = n - i < KC_ARGS_MAX ? n - i : KC_ARGS_MAX;
		op = eng_op(e, r, KC_OP_ZADD);
		kc_op_key(op, argv[1].p, argv[1].len);
		kc_op_args(op, kb + i, k);
	}
}

void cmd_zrangestore(struct conn *c, struct arg *argv, size_t argc)
{
	txpre_run(c, argv, argc, zrangestore_prepare, zrangestore_plan,
		  "ZRANGESTORE");
}

/* ------------------------------------------------------------ ZMPOP */

/*
 * ZMPOP pops from the first of its keys that exists, which no kernel op
 * does.  The proxy reads the keys' versions in order (EXISTS) up to the
 * first that exists, and pops there (a KC_OP_ZRANGE with KC_Z_REMOVE, as
 * ZPOPMIN) in a transaction watching every key read: the ones before as
 * missing, the chosen one at its version.  If any changed, nothing ran and
 * it starts again; so the pop is the one ZMPOP would have made at the
 * moment the transaction ran.  The last key is not read: with all the
 * keys before it missing, the pop itself finds it or not.  Alone (and
 * for the blocking pops) zset_mpop() runs that loop; inside MULTI EXEC
 * prepares it, and a key that an earlier command of the transaction
 * writes cannot be read beforehand: it can only be the last candidate
 * (every key after it read as missing), else the command answers an
 * error.
 */

/*
 * ZMPOP's arguments from numkeys (argv[at]) on, in zmpopGenericCommand()'s
 * order; NULL or Redis's error.
 */
const char *zmpop_parse(struct arg *argv, size_t argc, size_t at,
			struct zmpop *z)
{
	size_t where, j;
	long long nk;

	z->count = -1;
	if (!resp_str2ll(argv[at].p, argv[at].len, &nk) || nk < 1)
		return "ERR numkeys should be greater than 0";
	if ((unsigned long long)nk >= argc - at)
		return "ERR syntax error";
	where = at + (size_t)nk + 1;
	if (where >= argc)
		return "ERR syntax error";
	if (arg_eq(&argv[where], "min"))
		z->max = false;
	else if (arg_eq(&argv[where], "max"))
		z->max = true;
	else
		return "ERR syntax error";
	for (j = where + 1; j < argc; j++) {
		if (z->count == -1 && arg_eq(&argv[j], "count") && j + 1 < argc) {
			j++;
			if (!resp_str2ll(argv[j].p, argv[j].len, &z->count) ||
			    z->count < 1)
				return "ERR count should be greater than 0";
		} else {
			return "ERR syntax error";
		}
	}
	if (z->count == -1)
		z->count = 1;
	z->keys = argv + at + 1;
	z->nkeys = (size_t)nk;
	return NULL;
}

bool zmpop_keys_ok(struct conn *c, const struct zmpop *z)
{
	size_t i;

	for (i = 0; i < z->nkeys; i++)
		if (!key_ok(c, &z->keys[i]))
			return false;
	/* Every key but the last may be watched. */
	if (z->nkeys > KC_WATCH_MAX) {
		resp_errorf(rout(c), "ERR too many keys for kcache (max %d)",
			    KC_WATCH_MAX);
		return false;
	}
	return true;
}

static bool keys_valid(const struct zmpop *z)
{
	size_t i;

	for (i = 0; i < z->nkeys; i++)
		if (!z->keys[i].len || z->keys[i].len > KC_KEY_MAX)
			return false;
	return z->nkeys <= KC_WATCH_MAX;
}

/*
 * Picks the key to pop from (its index in p->num), or sets p->kerr or
 * p->conflict; the keys read are recorded in p.  false: out of memory.
 */
static bool zmpop_pick(const struct txq *q, const struct arg *keys,
		       size_t n, struct txpre *p)
{
	uint32_t type;
	uint64_t cas;
	size_t i, j;
	int st;

	for (i = 0; i + 1 < n; i++) {
		st = txq_key_state(q, &keys[i], &cas, &type);
		if (st < 0) {
			p->kerr = st;
			return true;
		}
		if (st == KS_WRITTEN)
			break;
		if (!txpre_watch(p, q, keys[i].p, keys[i].len, cas))
			return false;
		if (st == KS_EXISTS) {
			p->num = (int64_t)i;
			return true;
		}
	}
	/* keys[i], last or unknown, if every key after it is missing. */
	for (j = i + 1; j < n; j++) {
		st = txq_key_state(q, &keys[j], &cas, &type);
		if (st < 0) {
			p->kerr = st;
			return true;
		}
		if (st != KS_MISSING) {
			p->conflict = true;
			return true;
		}
		if (!txpre_watch(p, q, keys[j].p, keys[j].len, 0))
			return false;
	}
	p->num = (int64_t)i;
	return true;
}

/* The pop: count members from the low (or high) end of key. */
static void pop_op(struct kc_op *op, const struct arg *key, bool max,
		   long long count, struct kc_buf kb[2], int64_t v[2])
{
	kc_op_init(op, KC_OP_ZRANGE);
	kc_op_key(op, key->p, key->len);
	v[0] = 0;
	v[1] = count - 1;
	kc_buf_set(&kb[0], &v[0], 8);
	kc_buf_set(&kb[1], &v[1], 8);
	kc_op_args(op, kb, 2);
	op->flags = KC_Z_REMOVE | KC_Z_WITHSCORES | (max ? KC_Z_REV : 0);
}

void zset_mpop_reply(struct buf *o, int proto, const struct arg *key,
		     const struct kc_op *op, int form)
{
	struct kc_elem_iter it;
	const struct kc_elem *el;
	const void *data;
	size_t n = (size_t)op->num, i;

	resp_array(o, form == ZM_BPOP ? 3 : 2);
	resp_bulk(o, key->p, key->len);
	if (form == ZM_MPOP)
		resp_array(o, n / 2);
	kc_elem_iter_init(&it, (const void *)(uintptr_t)op->out, op->out_used,
			  n);
	for (i = 0; (el = kc_elem_next(&it, &data)); i++) {
		if (i & 1) {
			reply_double(o, proto, el->len == 8 ?
				     bits_double(data) : NAN);
			continue;
		}
		if (form == ZM_MPOP)
			resp_array(o, 2);
		resp_bulk(o, data, el->len);
	}
}

#define ZMPOP_TRIES	100

int zset_mpop(struct conn *c, const struct arg *keys, size_t n, bool max,
	      long long count, struct kc_op *op, void **out, size_t *which)
{
	struct txq q = { .c = c };
	struct engine *e = E(c);
	size_t room = 64 << 10;
	struct txpre p = { 0 };
	int tries, err = -ECANCELED, result;
	struct kc_buf kb[2];
	uint32_t done;
	int64_t v[2];

	*out = NULL;
	for (tries = 0; tries < ZMPOP_TRIES; tries++) {
		txpre_free(&p);
		free(*out);
		*out = NULL;
		if (!zmpop_pick(&q, keys, n, &p)) {
			err = -ENOMEM;
			break;
		}
		if (p.kerr) {
			err = p.kerr;
			break;
		}
		*which = (size_t)p.num;
		pop_op(op, &keys[p.num], max, count, kb, v);
		if (!p.nw) {
			err = zread(c, op, out);
			break;
		}
		*out = malloc(room);
		if (!*out) {
			err = -ENOMEM;
			break;
		}
		kc_op_out(op, *out, room);
		op->db = e->db;
		STAT_ADD(ioctls, 1);
		err = kc_batch_ioctl(e->fd, op, 1, KC_BATCH_TXN, p.w, p.nw,
				     &done, &result);
		if (!err)
			err = result ? result : op->result;
		/* A reply that does not fit removed nothing: again, larger. */
		if (err == -ENOSPC && op->out_used > room) {
			room = op->out_used;
			continue;
		}
		if (err != -ECANCELED)
			break;
	}
	txpre_free(&p);
	if (!err)
		notify_op(c, op, NF_ZSET);
	return err;
}

static void r_zmpop(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct arg key = { .p = (char *)r->p, .len = r->plen };

	if (ops[0].result == -ENOENT)
		resp_null_array(&c->out, c->proto);
	else if (ops[0].result)
		zerr(c, ops[0].result);
	else
		zset_mpop_reply(&c->out, c->proto, &key, &ops[0], (int)r->a);
}

bool zmpop_prepare_keys(const struct txq *q, const struct zmpop *z,
			struct txpre *p)
{
	if (!keys_valid(z))
		return true;	/* the plan says why */
	return zmpop_pick(q, z->keys, z->nkeys, p);
}

void zmpop_plan_keys(struct conn *c, const struct zmpop *z, int form,
		     const struct txpre *p)
{
	const struct arg *key;
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;
	int64_t v[2];

	if (!zmpop_keys_ok(c, z))
		return;
	if (p->kerr) {
		reply_kerr(rout(c), p->kerr);
		return;
	}
	key = &z->keys[p->num];
	r = eng_rec(E(c), c, r_zmpop, eng_multi_room() + 2 * sizeof(*kb) + 16);
	r->a = form;
	r->p = key->p;
	r->plen = key->len;
	op = eng_op(E(c), r, KC_OP_ZRANGE);
	kb = eng_alloc(E(c), 2 * sizeof(*kb));
	pop_op(op, key, z->max, z->count, kb, v);
	/* pop_op() pointed the bounds at v: into the arena instead. */
	kb[0].ptr = (uint64_t)(uintptr_t)arena_copy(c, &v[0], 8);
	kb[1].ptr = (uint64_t)(uintptr_t)arena_copy(c, &v[1], 8);
	op->db = E(c)->db;
	kc_op_out(op, eng_alloc(E(c), eng_multi_room()), eng_multi_room());
}

bool zmpop_prepare(const struct txq *q, struct arg *argv, size_t argc,
		   struct txpre *p)
{
	struct zmpop z;

	if (zmpop_parse(argv, argc, 1, &z))
		return true;
	return zmpop_prepare_keys(q, &z, p);
}

void zmpop_plan(struct conn *c, struct arg *argv, size_t argc,
		const struct txpre *p)
{
	const char *err;
	struct zmpop z;

	err = zmpop_parse(argv, argc, 1, &z);
	if (err)
		reply_err(c, err);
	else
		zmpop_plan_keys(c, &z, ZM_MPOP, p);
}

/* The answer of zset_mpop(), into o; 0 (nothing written): all missing. */
int zset_mpop_answer(struct conn *c, struct buf *o, const struct arg *keys,
		     int err, const struct kc_op *op, size_t which, int form,
		     const char *name)
{
	if (err == -ENOENT)
		return 0;
	if (err == -ECANCELED)
		resp_errorf(o, "ERR %s lost the race too often, try again",
			    name);
	else if (err)
		reply_kerr(o, err);
	else
		zset_mpop_reply(o, c->proto, &keys[which], op, form);
	return 1;
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count], alone. */
void cmd_zmpop(struct conn *c, struct arg *argv, size_t argc)
{
	size_t which = 0;
	struct kc_op op;
	const char *err;
	struct zmpop z;
	void *out;
	int kerr;

	err = zmpop_parse(argv, argc, 1, &z);
	if (err) {
		reply_err(c, err);
		return;
	}
	if (!zmpop_keys_ok(c, &z))
		return;
	kerr = zset_mpop(c, z.keys, z.nkeys, z.max, z.count, &op, &out, &which);
	if (!zset_mpop_answer(c, rout(c), z.keys, kerr, &op, which, ZM_MPOP,
			      "ZMPOP"))
		resp_null_array(rout(c), c->proto);
	free(out);
}

/* ------------------------------------------------------------ ZSCAN */

/* Formats a score as ZSCAN shows it (Redis's d2string(): as %.17g). */
size_t zset_score_str(const void *bits, char *s, size_t n)
{
	fmt_double(s, n, bits_double(bits));
	return strlen(s);
}

/* The op of ZSCAN: the whole zset with scores (one page, cursor 0). */
struct kc_op *zset_plan_all(struct conn *c, struct rec *r)
{
	struct kc_op *op = eng_op(E(c), r, KC_OP_ZRANGE);
	struct kc_buf *kb = eng_alloc(E(c), 2 * sizeof(*kb));
	int64_t *v = eng_alloc(E(c), 16);

	v[0] = 0;
	v[1] = -1;
	kc_buf_set(&kb[0], &v[0], 8);
	kc_buf_set(&kb[1], &v[1], 8);
	kc_op_args(op, kb, 2);
	op->flags = KC_Z_WITHSCORES;
	return op;
}

/* ------------------------------------------------------------ ZUNION ... */

/*
 * An option error of ZUNION & co. comes after the sources' types (Redis
 * looks the keys up first): one TYPE per source, then r->p.
 */
static void r_ztypes(struct conn *c, struct rec *r, struct kc_op *ops)
{
	uint32_t i;

	for (i = 0; i < r->nops; i++) {
		if (!ops[i].result && ops[i].num != KC_TYPE_NONE &&
		    ops[i].num != KC_TYPE_SET && ops[i].num != KC_TYPE_ZSET) {
			reply_kerr(&c->out, -EPROTOTYPE);
			return;
		}
	}
	resp_error(&c->out, r->p);
}

static void ztypes_then(struct conn *c, struct arg *keys, size_t n,
			const char *err)
{
	struct rec *r = eng_rec(E(c), c, r_ztypes, 0);
	struct kc_op *op;
	size_t i;

	for (i = 0; i < n; i++) {
		op = eng_op(E(c), r, KC_OP_TYPE);
		kc_op_key(op, keys[i].p, keys[i].len);
	}
	r->p = err;
}

/* ZINTERCARD: the intersection's size, at most LIMIT (r->a; 0: all). */
static void r_zintercard(struct conn *c, struct rec *r, struct kc_op *ops)
{
	long long n = ops[0].num;

	if (ops[0].result == -ENOENT)
		n = 0;
	else if (ops[0].result) {
		reply_kerr(&c->out, ops[0].result);
		return;
	}
	resp_int(&c->out, r->a && n > r->a ? r->a : n);
}

/*
 * ZINTERCARD numkeys key [key ...] [LIMIT limit]: ZINTER counted, with
 * zunionInterDiffGenericCommand()'s checks in its order (an option error
 * after the keys' types).
 */
void cmd_zintercard(struct conn *c, struct arg *argv, size_t argc)
{
	const char *err = NULL;
	long long nk, limit = 0;
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;
	size_t i, j;

	if (!get_ll(c, &argv[1], &nk))
		return;
	if (nk < 1) {
		reply_err(c, "ERR at least 1 input key is needed for 'zintercard' command");
		return;
	}
	if ((unsigned long long)nk > argc - 2) {
		reply_err(c, "ERR syntax error");
		return;
	}
	if (!nargs_ok(c, (size_t)nk))
		return;
	for (i = 2; i < 2 + (size_t)nk; i++)
		if (!key_ok(c, &argv[i]))
			return;
	for (j = 2 + (size_t)nk; j < argc && !err; j++) {
		if (arg_eq(&argv[j], "limit") && j + 1 < argc) {
			if (!resp_str2ll(argv[j + 1].p, argv[j + 1].len, &limit) ||
			    limit < 0)
				err = "ERR LIMIT can't be negative";
			j++;
		} else {
			err = "ERR syntax error";
		}
	}
	if (err) {
		ztypes_then(c, &argv[2], (size_t)nk, err);
		return;
	}
	r = eng_rec(E(c), c, r_zintercard,
		    eng_multi_room() + (size_t)nk * sizeof(*kb) + 64);
	op = eng_op(E(c), r, KC_OP_ZINTER);
	kb = eng_alloc(E(c), (size_t)nk * sizeof(*kb));
	for (i = 0; i < (size_t)nk; i++)
		kc_buf_set(&kb[i], argv[2 + i].p, argv[2 + i].len);
	kc_op_args(op, kb, (uint32_t)nk);
	op->num = KC_ZAGG_SUM;
	kc_op_out(op, eng_alloc(E(c), eng_multi_room()), eng_multi_room());
	r->a = limit;
}

/*
 * ZUNION, ZINTER, ZDIFF numkeys key... and the STORE forms (destination
 * first): zunionInterDiffGenericCommand()'s checks in its order.
 */
void cmd_zcombine(struct conn *c, struct arg *argv, size_t argc)
{
	char name[16];
	bool store, diff, ws = false;
	size_t ki, i, j;
	long long nk, agg = KC_ZAGG_SUM;
	double *w = NULL;
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;
	uint32_t opcode;
	const char *err = NULL;

	arg_lower(&argv[0], name, sizeof(name));
	store = strstr(name, "store") != NULL;
	diff = name[1] == 'd';
	opcode = name[1] == 'u' ? KC_OP_ZUNION : name[1] == 'i' ?
		 KC_OP_ZINTER : KC_OP_ZDIFF;
	if (store)
		opcode += KC_OP_ZUNIONSTORE - KC_OP_ZUNION;
	ki = store ? 2 : 1;
	if (!get_ll(c, &argv[ki], &nk))
		return;
	if (nk < 1) {
		resp_errorf(rout(c), "ERR at least 1 input key is needed for '%s' command",
			    name);
		return;
	}
	if ((unsigned long long)nk > argc - (ki + 1)) {
		reply_err(c, "ERR syntax error");
		return;
	}
	if (!nargs_ok(c, (size_t)nk))
		return;
	for (i = 1; i < ki + 1 + (size_t)nk; i++)
		if (i != ki && !key_ok(c, &argv[i]))
			return;
	for (j = ki + 1 + (size_t)nk; j < argc && !err;) {
		size_t left = argc - j;

		if (!diff && left >= (size_t)nk + 1 &&
		    arg_eq(&argv[j], "weights")) {
			j++;
			if (!w)
				w = malloc((size_t)nk * sizeof(*w));
			if (!w) {
				reply_err(c, "ERR out of memory");
				return;
			}
			for (i = 0; i < (size_t)nk; i++, j++) {
				if (!parse_double(&argv[j], &w[i])) {
					err = "ERR weight value is not a float";
					break;
				}
			}
		} else if (!diff && left >= 2 && arg_eq(&argv[j], "aggregate")) {
			if (arg_eq(&argv[j + 1], "sum"))
				agg = KC_ZAGG_SUM;
			else if (arg_eq(&argv[j + 1], "min"))
				agg = KC_ZAGG_MIN;
			else if (arg_eq(&argv[j + 1], "max"))
				agg = KC_ZAGG_MAX;
			else
				err = "ERR syntax error";
			j += 2;
		} else if (!store && arg_eq(&argv[j], "withscores")) {
			ws = true;
			j++;
		} else {
			err = "ERR syntax error";
		}
	}
	if (err) {
		free(w);
		ztypes_then(c, &argv[ki + 1], (size_t)nk, err);
		return;
	}
	r = eng_rec(E(c), c, store ? r_zint : r_zrange,
		    (store ? 0 : eng_multi_room()) +
		    (size_t)nk * (sizeof(*kb) + 8) + 64);
	op = eng_op(E(c), r, opcode);
	if (store)
		kc_op_key(op, argv[1].p, argv[1].len);
	kb = eng_alloc(E(c), (size_t)nk * sizeof(*kb));
	for (i = 0; i < (size_t)nk; i++)
		kc_buf_set(&kb[i], argv[ki + 1 + i].p, argv[ki + 1 + i].len);
	kc_op_args(op, kb, (uint32_t)nk);
	if (w)
		kc_op_val(op, arena_copy(c, w, (size_t)nk * 8), (uint32_t)nk * 8);
	op->num = agg;
	if (!store) {
		size_t room = eng_multi_room();

		kc_op_out(op, eng_alloc(E(c), room), room);
		op->flags = ws ? KC_Z_WITHSCORES : 0;
		r->flags = ws ? ZR_WS : 0;
	}
	free(w);
}
