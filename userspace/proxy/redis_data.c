// SPDX-License-Identifier: GPL-2.0
/*
 * Redis data commands: strings, integers, bits, expiry and keyspace.  Each
 * handler validates its arguments as redis-server does (same error texts),
 * plans one or more kc_ops and leaves a render function that turns their
 * results into the reply redis-server would give.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "libkcache.h"
#include "notify.h"
#include "redis.h"

#define INCRBYFLOAT_TRIES	100

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

static void op_key(struct kc_op *op, const struct arg *k)
{
	kc_op_key(op, k->p, k->len);
}

/* ------------------------------------------------------------ renders */

static void expire_err(struct buf *o, const char *cmd)
{
	resp_errorf(o, "ERR invalid expire time in '%s' command", cmd);
}

/* r->p: command name for EINVAL (an expiry out of range). */
static void kerr(struct conn *c, struct rec *r, int err)
{
	if (err == -EINVAL && r->p)
		expire_err(&c->out, r->p);
	else
		reply_kerr(&c->out, err);
}

static void r_value(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (!ops[0].result)
		resp_bulk(&c->out, (const void *)(uintptr_t)ops[0].out,
			  ops[0].out_used);
	else if (ops[0].result == -ENOENT)
		resp_null(&c->out, c->proto);
	else
		kerr(c, r, ops[0].result);
}

static void r_ok_or_nil(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;

	if (!err)
		resp_simple(&c->out, "OK");
	else if (err == -EEXIST || err == -ENOENT)
		resp_null(&c->out, c->proto);
	else
		kerr(c, r, err);
}

static void r_old_value(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;

	if (!err && ops[0].num)
		resp_bulk(&c->out, (const void *)(uintptr_t)ops[0].out,
			  ops[0].out_used);
	else if (!err || err == -EEXIST || err == -ENOENT)
		resp_null(&c->out, c->proto);
	else
		kerr(c, r, err);
}

/* SET NX GET: a GET, then SET NX; the reply is the GET's. */
static void r_nx_get(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[1].result;

	if (ops[0].result != -EPROTOTYPE && err && err != -EEXIST)
		kerr(c, r, err);
	else
		r_value(c, r, ops);
}

static void r_int(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (!ops[0].result)
		resp_int(&c->out, ops[0].num);
	else if (ops[0].result == -ENOENT && r->flags)
		resp_int(&c->out, 0);
	else
		kerr(c, r, ops[0].result);
}

/* 1 when the op did it, 0 when the key or a condition was not there. */
static void r_bool(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;

	if (!err)
		resp_int(&c->out, 1);
	else if (err == -ENOENT || err == -EEXIST)
		resp_int(&c->out, 0);
	else
		kerr(c, r, err);
}

static void r_count(struct conn *c, struct rec *r, struct kc_op *ops)
{
	long long n = 0;
	uint32_t i;

	for (i = 0; i < r->nops; i++) {
		if (!ops[i].result) {
			n++;
		} else if (ops[i].result != -ENOENT) {
			kerr(c, r, ops[i].result);
			return;
		}
	}
	resp_int(&c->out, n);
}

static void r_ttl(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (!ops[0].result)
		resp_int(&c->out, ops[0].expire);
	else if (ops[0].result == -ENOENT)
		resp_int(&c->out, -2);
	else
		kerr(c, r, ops[0].result);
}

static void r_type(struct conn *c, struct rec *r, struct kc_op *ops)
{
	static const char *const names[] = { "none", "string", "list", "hash",
					     "set", "zset" };

	if (ops[0].result) {
		kerr(c, r, ops[0].result);
		return;
	}
	if (ops[0].num >= 0 &&
	    ops[0].num < (int64_t)(sizeof(names) / sizeof(names[0])))
		resp_simple(&c->out, names[ops[0].num]);
	else
		resp_simple(&c->out, "unknown");
}

static void r_mget(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct kc_elem_iter it;
	const struct kc_elem *el;
	const void *data;

	if (ops[0].result) {
		kerr(c, r, ops[0].result);
		return;
	}
	kc_elem_iter_init(&it, (const void *)(uintptr_t)ops[0].out,
			  ops[0].out_used, (size_t)ops[0].num);
	resp_array(&c->out, (size_t)ops[0].num);
	while ((el = kc_elem_next(&it, &data))) {
		if (el->flags & KC_ELEM_NIL)
			resp_null(&c->out, c->proto);
		else
			resp_bulk(&c->out, data, el->len);
	}
	if (it.err || it.left) {
		/* Cannot happen with a sane module; keep the framing. */
		log_err("malformed MGET reply from the kernel");
		while (it.left--)
			resp_null(&c->out, c->proto);
	}
}

static void r_ok(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (!ops[0].result)
		resp_simple(&c->out, "OK");
	else
		kerr(c, r, ops[0].result);
}

/* ------------------------------------------------------------ helpers */

static struct rec *one(struct conn *c, render_fn fn, uint32_t opcode,
		       const struct arg *key, struct kc_op **opp, bool val)
{
	struct rec *r = eng_rec(E(c), c, fn, val ? eng_val_room() : 0);
	struct kc_op *op = eng_op(E(c), r, opcode);

	op_key(op, key);
	if (val)
		eng_op_outval(E(c), op);
	*opp = op;
	return r;
}

static bool keys_ok(struct conn *c, struct arg *argv, size_t from, size_t to,
		    size_t step)
{
	size_t i;

	for (i = from; i < to; i += step)
		if (!key_ok(c, &argv[i]))
			return false;
	return true;
}

/*
 * An expiry argument as getExpireMillisecondsOrReply() checks it; *v gets
 * the number as given (seconds or ms), which the kernel converts.
 */
/* Wall-clock now in ms, as Redis's mstime(). */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Would v (seconds unless ms), as an absolute time in ms, overflow?
 * Redis 7.0 refuses that with "invalid expire time" (expireGenericCommand,
 * getExpireMillisecondsOrReply).
 */
static bool expire_overflows(long long v, bool ms, bool relative)
{
	if (!ms) {
		if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000)
			return true;
		v *= 1000;
	}
	if (relative) {
		long long now = now_ms();

		if (v > INT64_MAX - now)
			return true;
	}
	return false;
}

static bool expire_arg(struct conn *c, const struct arg *a, bool ms,
		       bool relative, const char *cmd, long long *v)
{
	if (!arg_ll(c, a, v))
		return false;
	if (*v <= 0 || expire_overflows(*v, ms, relative)) {
		expire_err(rout(c), cmd);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ strings */

void cmd_get(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;

	(void)argc;
	if (key_ok(c, &argv[1]))
		one(c, r_value, KC_OP_GET, &argv[1], &op, true);
}

void cmd_getdel(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;

	(void)argc;
	if (key_ok(c, &argv[1]))
		one(c, r_value, KC_OP_GETDEL, &argv[1], &op, true);
}

enum {
	SO_NX = 1 << 0, SO_XX = 1 << 1, SO_GET = 1 << 2, SO_KEEPTTL = 1 << 3,
	SO_PERSIST = 1 << 4, SO_EX = 1 << 5, SO_PX = 1 << 6, SO_EXAT = 1 << 7,
	SO_PXAT = 1 << 8,
};
#define SO_TTL (SO_EX | SO_PX | SO_EXAT | SO_PXAT)

/* parseExtendedStringArgumentsOrReply(): same order, same conflicts. */
static bool set_opts(struct conn *c, struct arg *argv, size_t argc,
		     size_t j, bool is_set, unsigned *fl, struct arg **exp)
{
	for (; j < argc; j++) {
		bool next = j + 1 < argc;
		char o[8];

		arg_lower(&argv[j], o, sizeof(o));
		if (!strcmp(o, "nx") && !(*fl & SO_XX) && is_set) {
			*fl |= SO_NX;
		} else if (!strcmp(o, "xx") && !(*fl & SO_NX) && is_set) {
			*fl |= SO_XX;
		} else if (!strcmp(o, "get") && is_set) {
			*fl |= SO_GET;
		} else if (!strcmp(o, "keepttl") && !(*fl & (SO_PERSIST | SO_TTL)) &&
			   is_set) {
			*fl |= SO_KEEPTTL;
		} else if (!strcmp(o, "persist") && !is_set &&
			   !(*fl & (SO_TTL | SO_KEEPTTL))) {
			*fl |= SO_PERSIST;
		} else if (!strcmp(o, "ex") && next &&
			   !(*fl & (SO_KEEPTTL | SO_PERSIST | SO_EXAT | SO_PX | SO_PXAT))) {
			*fl |= SO_EX;
			*exp = &argv[++j];
		} else if (!strcmp(o, "px") && next &&
			   !(*fl & (SO_KEEPTTL | SO_PERSIST | SO_EX | SO_EXAT | SO_PXAT))) {
			*fl |= SO_PX;
			*exp = &argv[++j];
		} else if (!strcmp(o, "exat") && next &&
			   !(*fl & (SO_KEEPTTL | SO_PERSIST | SO_EX | SO_PX | SO_PXAT))) {
			*fl |= SO_EXAT;
			*exp = &argv[++j];
		} else if (!strcmp(o, "pxat") && next &&
			   !(*fl & (SO_KEEPTTL | SO_PERSIST | SO_EX | SO_PX | SO_EXAT))) {
			*fl |= SO_PXAT;
			*exp = &argv[++j];
		} else {
			reply_err(c, "ERR syntax error");
			return false;
		}
	}
	return true;
}

/* kc_op flags and expire for SO_* TTL options. */
static bool ttl_fields(struct conn *c, unsigned fl, struct arg *exp,
		       const char *cmd, uint32_t *flags, int64_t *expire)
{
	long long v;

	*flags = 0;
	*expire = 0;
	if (!(fl & SO_TTL))
		return true;
	if (!expire_arg(c, exp, fl & (SO_PX | SO_PXAT),
			!(fl & (SO_EXAT | SO_PXAT)), cmd, &v))
		return false;
	if (fl & (SO_PX | SO_PXAT))
		*flags |= KC_TTL_MS;
	if (fl & (SO_EXAT | SO_PXAT))
		*flags |= KC_TTL_ABS;
	*expire = v;
	return true;
}

static void plan_set(struct conn *c, const struct arg *key,
		     const struct arg *val, unsigned fl, uint32_t tflags,
		     int64_t expire)
{
	struct engine *e = E(c);
	struct kc_op *op;
	struct rec *r;

	if ((fl & SO_NX) && (fl & SO_GET)) {
		r = eng_rec(e, c, r_nx_get, eng_val_room());
		op = eng_op(e, r, KC_OP_GET);
		op_key(op, key);
		op->flags = KC_GET_NOBUMP;
		eng_op_outval(e, op);
	} else {
		r = eng_rec(e, c, (fl & SO_GET) ? r_old_value : r_ok_or_nil,
			    (fl & SO_GET) ? eng_val_room() : 0);
	}
	r->p = "set";
	op = eng_op(e, r, KC_OP_SET);
	op_key(op, key);
	kc_op_val(op, val->p, val->len);
	op->flags = tflags;
	op->expire = expire;
	if (fl & SO_NX)
		op->flags |= KC_SET_NX;
	if (fl & SO_XX)
		op->flags |= KC_SET_XX;
	if (fl & SO_KEEPTTL)
		op->flags |= KC_SET_KEEPTTL;
	if ((fl & SO_GET) && !(fl & SO_NX)) {
		op->flags |= KC_SET_GET;
		eng_op_outval(e, op);
	}
}

void cmd_set(struct conn *c, struct arg *argv, size_t argc)
{
	struct arg *exp = NULL;
	unsigned fl = 0;
	uint32_t tflags;
	int64_t expire;

	if (!set_opts(c, argv, argc, 3, true, &fl, &exp) ||
	    !ttl_fields(c, fl, exp, "set", &tflags, &expire) ||
	    !key_ok(c, &argv[1]))
		return;
	plan_set(c, &argv[1], &argv[2], fl, tflags, expire);
}

void cmd_setnx(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	r = one(c, r_bool, KC_OP_ADD, &argv[1], &op, false);
	(void)r;
	kc_op_val(op, argv[2].p, argv[2].len);
}

static void setex(struct conn *c, struct arg *argv, bool ms, const char *cmd)
{
	long long v;

	if (!arg_ll(c, &argv[2], &v))
		return;
	if (v <= 0 || expire_overflows(v, ms, true)) {
		expire_err(rout(c), cmd);
		return;
	}
	if (key_ok(c, &argv[1]))
		plan_set(c, &argv[1], &argv[3], 0, ms ? KC_TTL_MS : 0, v);
}

void cmd_setex(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argc;
	setex(c, argv, false, "setex");
}

void cmd_psetex(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argc;
	setex(c, argv, true, "psetex");
}

void cmd_getset(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argc;
	if (key_ok(c, &argv[1]))
		plan_set(c, &argv[1], &argv[2], SO_GET, 0, 0);
}

/* GETEX with a bad time: r->a is 0 when it is not even an integer. */
static void r_getex_bad(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (ops[0].result == -ENOENT ||
	    (!ops[0].result && ops[0].num == KC_TYPE_NONE))
		resp_null(&c->out, c->proto);
	else if (ops[0].result)
		reply_kerr(&c->out, ops[0].result);
	else if (ops[0].num != KC_TYPE_STRING)
		reply_kerr(&c->out, -EPROTOTYPE);
	else if (!r->a)
		resp_error(&c->out, "ERR value is not an integer or out of range");
	else
		expire_err(&c->out, "getex");
}

void cmd_getex(struct conn *c, struct arg *argv, size_t argc)
{
	struct arg *exp = NULL;
	unsigned fl = 0;
	uint32_t tflags;
	int64_t expire;
	struct kc_op *op;
	struct rec *r;

	if (!set_opts(c, argv, argc, 2, false, &fl, &exp) ||
	    !key_ok(c, &argv[1]))
		return;
	if (fl & SO_TTL) {
		long long v;
		bool ms = fl & (SO_PX | SO_PXAT);

		/*
		 * getexCommand looks the key up before it checks the time: a
		 * missing key is nil, another type WRONGTYPE, then the error.
		 */
		if (!resp_str2ll(exp->p, exp->len, &v) || v <= 0 ||
		    expire_overflows(v, ms, !(fl & (SO_EXAT | SO_PXAT)))) {
			r = one(c, r_getex_bad, KC_OP_TYPE, &argv[1], &op,
				false);
			r->a = resp_str2ll(exp->p, exp->len, &v);
			return;
		}
	}
	if (!ttl_fields(c, fl, exp, "getex", &tflags, &expire))
		return;
	/* A time already past deletes the key, as getexCommand does. */
	if ((fl & (SO_EXAT | SO_PXAT)) &&
	    ((fl & SO_PXAT) ? expire : expire * 1000) <= now_ms()) {
		one(c, r_value, KC_OP_GETDEL, &argv[1], &op, true);
		return;
	}
	r = one(c, r_value, KC_OP_GET, &argv[1], &op, true);
	r->p = "getex";
	if (fl & (SO_TTL | SO_PERSIST)) {
		op->flags = KC_GET_TOUCH | tflags;
		op->expire = expire;	/* 0 with PERSIST: no expiry */
	}
}

void cmd_mget(struct conn *c, struct arg *argv, size_t argc)
{
	size_t n = argc - 1, i, room, mark = 0;
	bool big = n > KC_ARGS_MAX, own = false;
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;

	if (!keys_ok(c, argv, 1, argc, 1))
		return;
	/* Split, it stays one snapshot: the chunks run as one transaction. */
	if (big)
		own = big_begin(c, &mark);
	room = n * KC_ELEM_SIZE((size_t)eng_val_room());
	if (room > eng_multi_room())
		room = eng_multi_room();
	r = eng_rec(E(c), c, r_mget, room + n * sizeof(*kb));
	op = eng_op(E(c), r, KC_OP_MGET);
	kb = eng_alloc(E(c), n * sizeof(*kb));
	for (i = 0; i < n; i++)
		kc_buf_set(&kb[i], argv[i + 1].p, argv[i + 1].len);
	kc_op_args(op, kb, n);
	kc_op_out(op, eng_alloc(E(c), room), room);
	if (big)
		big_end(c, own, mark);
}

static struct kc_op *plan_mset(struct conn *c, struct rec *r,
			       struct arg *argv, size_t argc)
{
	size_t n = argc - 1, i;
	struct kc_buf *kb;
	struct kc_op *op;

	op = eng_op(E(c), r, KC_OP_MSET);
	kb = eng_alloc(E(c), n * sizeof(*kb));
	for (i = 0; i < n; i++)
		kc_buf_set(&kb[i], argv[i + 1].p, argv[i + 1].len);
	kc_op_args(op, kb, n);
	return op;
}

static bool mset_args(struct conn *c, struct arg *argv, size_t argc,
		      const char *cmd)
{
	if (argc % 2 == 0) {
		resp_errorf(rout(c),
			    "ERR wrong number of arguments for '%s' command", cmd);
		return false;
	}
	return keys_ok(c, argv, 1, argc, 2);
}

void cmd_mset(struct conn *c, struct arg *argv, size_t argc)
{
	bool big = argc - 1 > KC_ARGS_MAX, own = false;
	size_t mark = 0;
	struct rec *r;

	if (!mset_args(c, argv, argc, "mset"))
		return;
	if (big)
		own = big_begin(c, &mark);
	r = eng_rec(E(c), c, r_ok, (argc - 1) * sizeof(struct kc_buf));
	plan_mset(c, r, argv, argc);
	if (big)
		big_end(c, own, mark);
}

static void r_msetnx(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (!ops[0].result)
		resp_int(&c->out, 1);
	else
		kerr(c, r, ops[0].result);
}

/*
 * MSETNX: all or nothing, atomically: a transaction that watches every key
 * of the selected database as absent (CAS 0) and runs one MSET there.
 */
void cmd_msetnx(struct conn *c, struct arg *argv, size_t argc)
{
	struct engine *e = E(c);
	struct kc_watch *w;
	size_t nk = (argc - 1) / 2, i;
	struct rec *r;
	int err;

	if (!mset_args(c, argv, argc, "msetnx"))
		return;
	if (nk > KC_WATCH_MAX) {
		resp_errorf(&c->out, "ERR MSETNX takes at most %d keys in kcache",
			    KC_WATCH_MAX);
		return;
	}
	w = calloc(nk, sizeof(*w));
	if (!w) {
		resp_error(&c->out, "ERR out of memory");
		return;
	}
	for (i = 0; i < nk; i++) {
		w[i].key = (uint64_t)(uintptr_t)argv[1 + 2 * i].p;
		w[i].key_len = (uint32_t)argv[1 + 2 * i].len;
		w[i].db = e->db;
	}
	eng_txn_begin(e);
	r = eng_rec(e, c, r_msetnx, (argc - 1) * sizeof(struct kc_buf));
	plan_mset(c, r, argv, argc);
	err = eng_txn_run(e, w, (uint32_t)nk);
	free(w);
	if (!err)
		eng_txn_render(e);
	else if (err == -ECANCELED)
		resp_int(&c->out, 0);
	else if (err == -EOPNOTSUPP)
		resp_error(&c->out, "ERR MSETNX needs kcache transactions (KC_BATCH_TXN), which this kcache module does not support yet");
	else
		reply_kerr(&c->out, err);
}

void cmd_append(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	one(c, r_int, KC_OP_APPEND, &argv[1], &op, false);
	op->flags = KC_APPEND_CREATE;
	kc_op_val(op, argv[2].p, argv[2].len);
}

void cmd_strlen(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	r = one(c, r_int, KC_OP_STRLEN, &argv[1], &op, false);
	r->flags = 1;	/* missing: 0 */
}

static void incr(struct conn *c, const struct arg *key, uint32_t opcode,
		 long long by)
{
	struct kc_op *op;

	if (!key_ok(c, key))
		return;
	one(c, r_int, opcode, key, &op, false);
	op->num = by;
}

void cmd_incr(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argc;
	incr(c, &argv[1], KC_OP_INCRBY, 1);
}

void cmd_decr(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argc;
	incr(c, &argv[1], KC_OP_DECRBY, 1);
}

void cmd_incrby(struct conn *c, struct arg *argv, size_t argc)
{
	long long v;

	(void)argc;
	if (arg_ll(c, &argv[2], &v))
		incr(c, &argv[1], KC_OP_INCRBY, v);
}

void cmd_decrby(struct conn *c, struct arg *argv, size_t argc)
{
	long long v;

	(void)argc;
	if (!arg_ll(c, &argv[2], &v))
		return;
	if (v == INT64_MIN) {
		reply_err(c, "ERR decrement would overflow");
		return;
	}
	incr(c, &argv[1], KC_OP_DECRBY, v);
}

/* Redis's string2ld(): the whole string, no spaces, not NaN. */
static bool str2ld(const char *s, size_t len, long double *v)
{
	char tmp[5 * 1024], *end;	/* Redis's MAX_LONG_DOUBLE_CHARS */

	if (!len || len >= sizeof(tmp))
		return false;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	if (strchr(" \t\n\r\v\f", tmp[0]))
		return false;
	errno = 0;
	*v = strtold(tmp, &end);
	if ((size_t)(end - tmp) != len || errno == ERANGE || isnan(*v))
		return false;
	return true;
}

/* ld2string(..., LD_STR_HUMAN) of Redis 7.0. */
static size_t ld2human(char *buf, size_t size, long double v)
{
	int l = snprintf(buf, size, "%.17Lf", v);
	char *p;

	if (l < 0 || (size_t)l + 1 > size)
		return 0;
	if (strchr(buf, '.')) {
		p = buf + l - 1;
		while (*p == '0') {
			p--;
			l--;
		}
		if (*p == '.')
			l--;
	}
	if (l == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		l = 1;
	}
	return (size_t)l;
}

/*
 * INCRBYFLOAT: read, add, write back with compare-and-swap (keeping the
 * expiry), retried while another client wins the race.
 */
/*
 * base + incr, formatted as Redis formats it, into out; 0 or a Redis
 * error text.
 */
static const char *fl_add(const char *base, size_t blen,
			  const struct arg *incr_arg, char *out, size_t size,
			  size_t *olen)
{
	long double incr, cur = 0, res;

	if (base && !str2ld(base, blen, &cur))
		return "ERR value is not a valid float";
	if (!str2ld(incr_arg->p, incr_arg->len, &incr))
		return "ERR value is not a valid float";
	res = cur + incr;
	if (isnan(res) || isinf(res))
		return "ERR increment would produce NaN or Infinity";
	*olen = ld2human(out, size, res);
	if (!*olen)
		return "ERR value is not a valid float";
	return NULL;
}

/*
 * The earlier queued command whose result a float increment builds on:
 * the last one that writes the key, when it is the same command (of the
 * same field, for HINCRBYFLOAT; another field of the hash is skipped)
 * and succeeded; one that failed changed nothing and is skipped too.
 * NULL: the value is the kernel's.  Another writer: p->conflict.
 */
static const struct txpre *fl_base(const struct txq *q, struct arg *argv,
				   bool field, struct txpre *p)
{
	long j = (long)q->i;

	while ((j = txq_writer(q, &argv[1], j)) >= 0) {
		const struct arg *jv = txq_argv(q, j);
		const struct txpre *b = &q->pre[j];

		if (!txq_same(q, j)) {
			p->conflict = true;
			return NULL;
		}
		if (field && (jv[2].len != argv[2].len ||
			      memcmp(jv[2].p, argv[2].p, argv[2].len)))
			continue;
		if (!b->conflict && !b->kerr && !b->err)
			return b;
	}
	return NULL;
}

/* Keeps the result (p->out) for the plan and for a later increment. */
static bool fl_keep(struct txpre *p, const char *out, size_t olen)
{
	p->out = malloc(olen ? olen : 1);
	if (!p->out)
		return false;
	memcpy(p->out, out, olen);
	p->olen = olen;
	return true;
}

/*
 * INCRBYFLOAT inside MULTI: EXEC reads the key (and its CAS version) before
 * the transaction, computes the result, watches the key at that version
 * and plans a plain SET (KEEPTTL) in the transaction; a changed key cancels
 * the transaction and EXEC tries again.  An earlier INCRBYFLOAT of the
 * same key in the same transaction is built on.
 */
bool incrbyfloat_prepare(const struct txq *q, struct arg *argv, size_t argc,
			 struct txpre *p)
{
	const struct txpre *base = fl_base(q, argv, false, p);
	char out[5 * 1024 + 64];
	size_t vlen = 0, olen = 0;
	void *val = NULL;
	uint64_t cas = 0;
	int err;

	(void)argc;
	if (p->conflict)
		return true;
	if (base) {
		p->err = fl_add(base->out, base->olen, &argv[2], out,
				sizeof(out), &olen);
		return p->err || fl_keep(p, out, olen);
	}
	err = eng_get_alloc(E(q->c), argv[1].p, argv[1].len, &val, &vlen, &cas,
			    NULL);
	if (err && err != -ENOENT) {
		p->kerr = err;
		return true;
	}
	p->err = fl_add(err ? NULL : val, vlen, &argv[2], out, sizeof(out),
			&olen);
	free(val);
	if (!txpre_watch(p, q, argv[1].p, argv[1].len, err ? 0 : cas))
		return false;
	return p->err || fl_keep(p, out, olen);
}

static void r_flset(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (ops[0].result)
		reply_kerr(&c->out, ops[0].result);
	else
		resp_bulk(&c->out, r->p, r->plen);
}

/* The result as the reply of a record (a copy in the arena). */
static struct rec *fl_rec(struct conn *c, const struct txpre *p)
{
	struct rec *r = eng_rec(E(c), c, r_flset, p->olen + 64);
	char *v = eng_alloc(E(c), p->olen ? p->olen : 1);

	memcpy(v, p->out, p->olen);
	r->p = v;
	r->plen = p->olen;
	return r;
}

void incrbyfloat_plan(struct conn *c, struct arg *argv, size_t argc,
		      const struct txpre *p)
{
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (p->kerr) {
		reply_kerr(rout(c), p->kerr);
		return;
	}
	if (p->err) {
		reply_err(c, p->err);
		return;
	}
	r = fl_rec(c, p);
	op = eng_op(E(c), r, KC_OP_SET);
	op_key(op, &argv[1]);
	kc_op_val(op, r->p, p->olen);
	op->flags = KC_SET_KEEPTTL;
}

void cmd_incrbyfloat(struct conn *c, struct arg *argv, size_t argc)
{
	struct engine *e = E(c);
	int tries, err = 0;
	char out[5 * 1024 + 64];
	const char *why;
	uint64_t cas;
	size_t vlen, olen = 0;
	void *val;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	/* As incrbyfloatCommand: the key's type and value, then the increment. */
	for (tries = 0; tries < INCRBYFLOAT_TRIES; tries++) {
		err = eng_get_alloc(e, argv[1].p, argv[1].len, &val, &vlen,
				    &cas, NULL);
		if (err == -ENOENT) {
			cas = 0;
			why = fl_add(NULL, 0, &argv[2], out, sizeof(out), &olen);
		} else if (err) {
			reply_kerr(&c->out, err);
			return;
		} else {
			why = fl_add(val, vlen, &argv[2], out, sizeof(out), &olen);
			free(val);
		}
		if (why) {
			resp_error(&c->out, why);
			return;
		}
		if (cas)
			err = eng_store(e, KC_OP_SET,
					KC_SET_CAS | KC_SET_KEEPTTL, argv[1].p,
					argv[1].len, out, olen, 0, 0, &cas);
		else
			err = eng_store(e, KC_OP_ADD, 0, argv[1].p,
					argv[1].len, out, olen, 0, 0, NULL);
		if (!err) {
			resp_bulk(&c->out, out, olen);
			notify_key(c, e->db, NF_STRING, "incrbyfloat",
				   argv[1].p, argv[1].len);
			return;
		}
		if (err != -EEXIST && err != -ENOENT)
			break;
	}
	if (err == -EEXIST || err == -ENOENT)
		resp_error(&c->out, "ERR INCRBYFLOAT lost the race too often, try again");
	else
		reply_kerr(&c->out, err);
}

/* ------------------------------------------------------------ HINCRBYFLOAT */

/*
 * HINCRBYFLOAT key field increment, in hincrbyfloatCommand()'s order:
 * the increment (a valid float, and finite), the key's type, the field's
 * value (a valid float), the sum (finite).  The field is read with its
 * key's CAS version (EXISTS first, so that a change between the two
 * reads shows), the sum is written with HSET in a transaction watching
 * that version, and the whole is tried again when the key changed: alone
 * through txpre_run(), inside MULTI by EXEC.
 */

/* The field's value into buf (NUL-terminated); its length, or -errno. */
static long hget_small(struct conn *c, const struct arg *key,
		       const struct arg *field, char *buf, size_t room)
{
	struct kc_op op;
	int err;

	kc_op_init(&op, KC_OP_HGET);
	op_key(&op, key);
	kc_op_val(&op, field->p, field->len);
	kc_op_out(&op, buf, room - 1);
	err = eng_do(E(c), &op);
	if (err == -ENOSPC)
		return (long)room;	/* too long to be a float */
	if (err)
		return err;
	buf[op.out_used] = 0;
	return op.out_used;
}

bool hincrbyfloat_prepare(const struct txq *q, struct arg *argv, size_t argc,
			  struct txpre *p)
{
	char cur[5 * 1024 + 1], out[5 * 1024 + 64];
	const struct txpre *base;
	long double incr, v = 0;
	bool have = true;	/* the field has a value (cur) */
	size_t olen;
	uint64_t cas = 0;
	uint32_t type;
	long len = 0;
	int err;

	(void)argc;
	if (!str2ld(argv[3].p, argv[3].len, &incr)) {
		p->err = "ERR value is not a valid float";
		return true;
	}
	if (isnan(incr) || isinf(incr)) {
		p->err = "ERR value is NaN or Infinity";
		return true;
	}
	if (!argv[1].len || argv[1].len > KC_KEY_MAX)
		return true;	/* the plan says why */
	base = fl_base(q, argv, true, p);
	if (p->conflict)
		return true;
	if (base) {
		len = base->olen < sizeof(cur) ? (long)base->olen : 0;
		memcpy(cur, base->out, (size_t)len);
	} else {
		err = key_version(q->c, argv[1].p, argv[1].len, &cas, &type);
		if (err == -ENOENT) {
			cas = 0;	/* a new hash */
			have = false;
		} else if (err) {
			p->kerr = err;
			return true;
		} else if (type != KC_TYPE_HASH) {
			p->kerr = -EPROTOTYPE;
		} else {
			len = hget_small(q->c, &argv[1], &argv[2], cur,
					 sizeof(cur));
			if (len == -ENOENT)
				have = false;	/* a new field: 0 */
			else if (len < 0)
				p->kerr = (int)len;
		}
		/* Even WRONGTYPE: the answer holds while the key is unchanged. */
		if (!txpre_watch(p, q, argv[1].p, argv[1].len, cas))
			return false;
		if (p->kerr)
			return true;
	}
	if (have && !str2ld(cur, (size_t)len, &v)) {
		p->err = "ERR hash value is not a float";
		return true;
	}
	v += incr;
	if (isnan(v) || isinf(v)) {
		p->err = "ERR increment would produce NaN or Infinity";
		return true;
	}
	olen = ld2human(out, sizeof(out), v);
	if (!olen) {
		p->err = "ERR value is not a valid float";
		return true;
	}
	return fl_keep(p, out, olen);
}

void hincrbyfloat_plan(struct conn *c, struct arg *argv, size_t argc,
		       const struct txpre *p)
{
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (p->err) {
		reply_err(c, p->err);
		return;
	}
	if (!key_ok(c, &argv[1]))
		return;
	if (p->kerr) {
		reply_kerr(rout(c), p->kerr);
		return;
	}
	r = fl_rec(c, p);
	op = eng_op(E(c), r, KC_OP_HSET);
	op_key(op, &argv[1]);
	kb = eng_alloc(E(c), 2 * sizeof(*kb));
	kc_buf_set(&kb[0], argv[2].p, argv[2].len);
	kc_buf_set(&kb[1], r->p, p->olen);
	kc_op_args(op, kb, 2);
}

void cmd_hincrbyfloat(struct conn *c, struct arg *argv, size_t argc)
{
	txpre_run(c, argv, argc, hincrbyfloat_prepare, hincrbyfloat_plan,
		  "HINCRBYFLOAT");
}

void cmd_getrange(struct conn *c, struct arg *argv, size_t argc)
{
	long long s, e;
	struct kc_op *op;

	(void)argc;
	if (!arg_ll(c, &argv[2], &s) || !arg_ll(c, &argv[3], &e) ||
	    !key_ok(c, &argv[1]))
		return;
	/*
	 * Redis 7.0 answers "" for two negative indexes with start > end
	 * before it resolves them against the length (GETRANGE k -1 -3 of a
	 * one-byte string); the kernel still checks the key's type.
	 */
	if (s < 0 && e < 0 && s > e) {
		s = 1;
		e = 0;
	}
	one(c, r_value, KC_OP_GETRANGE, &argv[1], &op, true);
	op->num = s;
	op->num2 = e;
}

void cmd_setrange(struct conn *c, struct arg *argv, size_t argc)
{
	long long off;
	struct kc_op *op;

	(void)argc;
	if (!arg_ll(c, &argv[2], &off))
		return;
	if (off < 0) {
		reply_err(c, "ERR offset is out of range");
		return;
	}
	if ((unsigned long long)off + argv[3].len > kinfo.item_size_max) {
		reply_err(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
		return;
	}
	if (!key_ok(c, &argv[1]))
		return;
	one(c, r_int, KC_OP_SETRANGE, &argv[1], &op, false);
	op->num = off;
	kc_op_val(op, argv[3].p, argv[3].len);
}

static bool bit_offset(struct conn *c, const struct arg *a, long long *v)
{
	if (!resp_str2ll(a->p, a->len, v) || *v < 0 ||
	    ((unsigned long long)*v >> 3) >= kinfo.item_size_max) {
		reply_err(c, "ERR bit offset is not an integer or out of range");
		return false;
	}
	return true;
}

void cmd_getbit(struct conn *c, struct arg *argv, size_t argc)
{
	long long off;
	struct kc_op *op;

	(void)argc;
	if (!bit_offset(c, &argv[2], &off) || !key_ok(c, &argv[1]))
		return;
	one(c, r_int, KC_OP_GETBIT, &argv[1], &op, false);
	op->num = off;
}

void cmd_setbit(struct conn *c, struct arg *argv, size_t argc)
{
	long long off, bit;
	struct kc_op *op;

	(void)argc;
	if (!bit_offset(c, &argv[2], &off))
		return;
	if (!resp_str2ll(argv[3].p, argv[3].len, &bit) || (bit & ~1LL)) {
		reply_err(c, "ERR bit is not an integer or out of range");
		return;
	}
	if (!key_ok(c, &argv[1]))
		return;
	one(c, r_int, KC_OP_SETBIT, &argv[1], &op, false);
	op->num = off;
	op->num2 = bit;
}

/* ------------------------------------------------------------ keyspace */

static void many(struct conn *c, struct arg *argv, size_t argc,
		 uint32_t opcode, uint32_t flags)
{
	struct kc_op *op;
	struct rec *r;
	size_t i;

	if (!keys_ok(c, argv, 1, argc, 1))
		return;
	r = eng_rec(E(c), c, r_count, 0);
	for (i = 1; i < argc; i++) {
		op = eng_op(E(c), r, opcode);
		op_key(op, &argv[i]);
		op->flags = flags;
	}
}

void cmd_del(struct conn *c, struct arg *argv, size_t argc)
{
	many(c, argv, argc, KC_OP_DEL, 0);
}

void cmd_exists(struct conn *c, struct arg *argv, size_t argc)
{
	many(c, argv, argc, KC_OP_EXISTS, 0);
}

/* TOUCH: EXISTS whose lookup counts as an access (LRU, OBJECT IDLETIME). */
void cmd_touch(struct conn *c, struct arg *argv, size_t argc)
{
	many(c, argv, argc, KC_OP_EXISTS, KC_BUMP);
}

/* EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (argv[0] says which). */
void cmd_expire(struct conn *c, struct arg *argv, size_t argc)
{
	char name[16];
	uint32_t flags = 0;
	long long v;
	struct kc_op *op;
	struct rec *r;
	size_t j;

	arg_lower(&argv[0], name, sizeof(name));
	for (j = 3; j < argc; j++) {
		char o[4];

		if (argv[j].len != 2) {
			resp_errorf(rout(c), "ERR Unsupported option %.*s",
				    (int)(argv[j].len > 128 ? 128 : argv[j].len),
				    argv[j].p);
			return;
		}
		arg_lower(&argv[j], o, sizeof(o));
		if (!strcmp(o, "nx"))
			flags |= KC_EXPIRE_NX;
		else if (!strcmp(o, "xx"))
			flags |= KC_EXPIRE_XX;
		else if (!strcmp(o, "gt"))
			flags |= KC_EXPIRE_GT;
		else if (!strcmp(o, "lt"))
			flags |= KC_EXPIRE_LT;
		else {
			resp_errorf(rout(c), "ERR Unsupported option %.*s",
				    (int)argv[j].len, argv[j].p);
			return;
		}
	}
	if ((flags & KC_EXPIRE_NX) &&
	    (flags & (KC_EXPIRE_XX | KC_EXPIRE_GT | KC_EXPIRE_LT))) {
		reply_err(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
		return;
	}
	if ((flags & KC_EXPIRE_GT) && (flags & KC_EXPIRE_LT)) {
		reply_err(c, "ERR GT and LT options at the same time are not compatible");
		return;
	}
	if (!arg_ll(c, &argv[2], &v))
		return;
	if (name[0] == 'p')
		flags |= KC_TTL_MS;
	if (expire_overflows(v, name[0] == 'p', !strstr(name, "at"))) {
		expire_err(rout(c), name);
		return;
	}
	if (strstr(name, "at"))
		flags |= KC_TTL_ABS;
	if (!key_ok(c, &argv[1]))
		return;
	r = one(c, r_bool, KC_OP_EXPIRE, &argv[1], &op, false);
	r->p = name[0] == 'p' ? (strstr(name, "at") ? "pexpireat" : "pexpire") :
				(strstr(name, "at") ? "expireat" : "expire");
	op->flags = flags;
	op->expire = v;
}

/* TTL and PTTL. */
void cmd_ttl(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	one(c, r_ttl, KC_OP_TTL, &argv[1], &op, false);
	if (argv[0].p[0] == 'p' || argv[0].p[0] == 'P')
		op->flags = KC_TTL_MS;
}

/* EXPIRETIME and PEXPIRETIME: the kernel answers the unix time itself. */
void cmd_expiretime(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	one(c, r_ttl, KC_OP_TTL, &argv[1], &op, false);
	op->flags = KC_TTL_ABS;
	if (argv[0].p[0] == 'p' || argv[0].p[0] == 'P')
		op->flags |= KC_TTL_MS;
}

void cmd_persist(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;

	(void)argc;
	if (key_ok(c, &argv[1]))
		one(c, r_bool, KC_OP_PERSIST, &argv[1], &op, false);
}

void cmd_type(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;

	(void)argc;
	if (key_ok(c, &argv[1]))
		one(c, r_type, KC_OP_TYPE, &argv[1], &op, false);
}

/* FLUSHDB (the selected database) and FLUSHALL (all) [ASYNC|SYNC]. */
void cmd_flushdb(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;
	struct rec *r;

	if (argc > 2 || (argc == 2 && !arg_eq(&argv[1], "async") &&
			 !arg_eq(&argv[1], "sync"))) {
		reply_err(c, "ERR syntax error");
		return;
	}
	r = eng_rec(E(c), c, r_ok, 0);
	op = eng_op(E(c), r, KC_OP_FLUSH);
	if (arg_eq(&argv[0], "flushdb"))
		op->flags = KC_FLUSH_DB;
}

/* ------------------------------------------------------------ databases */

/* DBSIZE: the keys of the selected database, as its own op (MULTI too). */
void cmd_dbsize(struct conn *c, struct arg *argv, size_t argc)
{
	struct rec *r;

	(void)argv;
	(void)argc;
	r = eng_rec(E(c), c, r_int, 0);
	eng_op(E(c), r, KC_OP_DBSIZE);
}

/*
 * MOVE key db: 1 when moved, 0 when the key is missing here or the target
 * database has it.  The arguments are checked in Redis's order.
 */
void cmd_move(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;
	uint32_t db;

	(void)argc;
	if (!db_arg(c, &argv[2], &db))
		return;
	if (db == c->db) {
		reply_err(c, "ERR source and destination objects are the same");
		return;
	}
	if (!key_ok(c, &argv[1]))
		return;
	one(c, r_bool, KC_OP_MOVE, &argv[1], &op, false);
	op->num = db;
}

/* An int as Redis's getIntFromObject() reads it. */
static bool int_arg(const struct arg *a, long long *v)
{
	return resp_str2ll(a->p, a->len, v) && *v >= INT_MIN && *v <= INT_MAX;
}

/*
 * SWAPDB a b: the kernel swaps them for every client at once, also the
 * clients of other proxies; a client keeps its index and so sees the
 * other database's keys.  Both indexes are parsed before either is
 * checked, as in Redis; a == b is a no-op that answers OK.
 */
void cmd_swapdb(struct conn *c, struct arg *argv, size_t argc)
{
	long long a, b;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!int_arg(&argv[1], &a)) {
		reply_err(c, "ERR invalid first DB index");
		return;
	}
	if (!int_arg(&argv[2], &b)) {
		reply_err(c, "ERR invalid second DB index");
		return;
	}
	if (a < 0 || a >= KC_DB_COUNT || b < 0 || b >= KC_DB_COUNT) {
		reply_err(c, "ERR DB index is out of range");
		return;
	}
	r = eng_rec(E(c), c, r_ok, 0);
	op = eng_op(E(c), r, KC_OP_SWAPDB);
	op->num = a;
	op->num2 = b;
}
