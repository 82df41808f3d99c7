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
	size_t i = 2, n, j, bytes = 0;
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
	if (!nargs_ok(c, n))
		return;
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
	struct kc_buf *kb;
	struct rec *r;
	size_t i;

	if (!key_ok(c, &argv[1]))
		return;
	if (!nargs_ok(c, argc - 2))
		return;
	zplan(c, r_zint, KC_OP_ZREM, &argv[1], 0, argc - 2, 0, &r, &kb);
	for (i = 2; i < argc; i++)
		kc_buf_set(&kb[i - 2], argv[i].p, argv[i].len);
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
	size_t i, n = argc - 2;
	struct kc_buf *kb;
	struct rec *r;

	if (!key_ok(c, &argv[1]))
		return;
	if (!nargs_ok(c, n))
		return;
	zplan(c, r_zmscore, KC_OP_ZMSCORE, &argv[1], n * 16 + 64, n, 0, &r,
	      &kb);
	for (i = 0; i < n; i++)
		kc_buf_set(&kb[i], argv[i + 2].p, argv[i + 2].len);
	r->a = argv[0].len == 6;	/* "zscore" */
	r->b = (int64_t)n;
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
 * Plans one KC_OP_ZRANGE: ranks, or score / lex bounds (in min, max
 * order), with flags.  off, lim: LIMIT (lim < 0: none).
 */
static struct rec *plan_range(struct conn *c, const struct arg *key,
			      enum zr_type t, const struct arg *amin,
			      const struct arg *amax, uint32_t flags,
			      long long off, long long lim, unsigned rflags)
{
	const struct arg *b[2] = { amin, amax };
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;
	int i;

	op = zplan(c, r_zrange, KC_OP_ZRANGE, key,
		   (flags & KC_Z_COUNT) ? 0 : eng_multi_room(), 2,
		   amin->len + amax->len + 32, &r, &kb);
	op->flags = flags | (t == ZR_SCORE ? KC_Z_BYSCORE :
			     t == ZR_LEX ? KC_Z_BYLEX : 0);
	op->num = off;
	op->num2 = lim;
	for (i = 0; i < 2; i++) {
		if (t == ZR_RANK) {
			long long v;

			resp_str2ll(b[i]->p, b[i]->len, &v);
			kc_buf_set(&kb[i], arena_copy(c, &v, 8), 8);
		} else if (t == ZR_SCORE) {
			char s[9];

			parse_score_bound(b[i], s);
			kc_buf_set(&kb[i], arena_copy(c, s, 9), 9);
		} else {
			kc_buf_set(&kb[i], b[i]->p, b[i]->len);
		}
	}
	r->flags = rflags;
	return r;
}

/* The range arguments parse (Redis's errors), before the key is read. */
static bool range_ok(struct conn *c, enum zr_type t, const struct arg *a,
		     const struct arg *b)
{
	char s[9];
	long long v;

	if (t == ZR_RANK)
		return get_ll(c, a, &v) && get_ll(c, b, &v);
	if (t == ZR_SCORE) {
		if (parse_score_bound(a, s) && parse_score_bound(b, s))
			return true;
		reply_err(c, "ERR min or max is not a float");
		return false;
	}
	if (lex_ok(a) && lex_ok(b))
		return true;
	reply_err(c, "ERR min or max not valid string range item");
	return false;
}

/*
 * zrangeGenericCommand(): ZRANGE and its older forms.  t and rev are the
 * presets of the command (ZR_AUTO / false for ZRANGE itself).
 */
static void zrange_generic(struct conn *c, struct arg *argv, size_t argc,
			   enum zr_type t, bool rev)
{
	bool ws = false, rev_opt = false, is_zrange = t == ZR_AUTO;
	long long off = 0, lim = -1;
	const struct arg *amin = &argv[2], *amax = &argv[3];
	uint32_t flags = 0;
	size_t j;

	for (j = 4; j < argc; j++) {
		size_t left = argc - j - 1;

		if (arg_eq(&argv[j], "withscores")) {
			ws = true;
		} else if (arg_eq(&argv[j], "limit") && left >= 2) {
			if (!get_ll(c, &argv[j + 1], &off) ||
			    !get_ll(c, &argv[j + 2], &lim))
				return;
			j += 2;
		} else if (is_zrange && !rev_opt && arg_eq(&argv[j], "rev")) {
			rev_opt = true;
		} else if (t == ZR_AUTO && arg_eq(&argv[j], "bylex")) {
			t = ZR_LEX;
		} else if (t == ZR_AUTO && arg_eq(&argv[j], "byscore")) {
			t = ZR_SCORE;
		} else {
			reply_err(c, "ERR syntax error");
			return;
		}
	}
	rev = rev || rev_opt;
	if (t == ZR_AUTO)
		t = ZR_RANK;
	if (lim != -1 && t == ZR_RANK) {
		reply_err(c, "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
		return;
	}
	if (ws && t == ZR_LEX) {
		reply_err(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
		return;
	}
	if (rev && t != ZR_RANK) {
		amin = &argv[3];
		amax = &argv[2];
	}
	if (!range_ok(c, t, amin, amax) || !key_ok(c, &argv[1]))
		return;
	if (ws)
		flags |= KC_Z_WITHSCORES;
	if (rev)
		flags |= KC_Z_REV;
	plan_range(c, &argv[1], t, amin, amax, flags, off, lim, ws ? ZR_WS : 0);
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
		if (argc > 4 || (argc == 4 && !arg_eq(&argv[3], "withscores"))) {
			reply_err(c, "ERR syntax error");
			return;
		}
		ws = argc == 4;
		if (count == INT64_MIN ||
		    (ws && (count < -INT64_MAX / 2 || count > INT64_MAX / 2))) {
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
