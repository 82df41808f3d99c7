// SPDX-License-Identifier: GPL-2.0
/*
 * Redis lists, hashes and sets (and RENAME) over the kernel's container
 * opcodes.  The kernel answers a missing key with -ENOENT; each render
 * turns that into what Redis answers for an empty aggregate (0, nil, an
 * empty array), and multi-element replies (struct kc_elem records) into
 * arrays, RESP3 sets or maps.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkcache.h"
#include "resp.h"
#include "redis.h"

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

enum {
	EMPTY_INT = 1, EMPTY_NIL, EMPTY_ARRAY, EMPTY_NULLARRAY, EMPTY_OK,
	EMPTY_SET, EMPTY_MAP,	/* RESP3's empty set / map (Redis's emptyset) */
};
enum { AS_ARRAY, AS_SET, AS_MAP, AS_BOOLS };

static void empty(struct conn *c, int how)
{
	switch (how) {
	case EMPTY_INT:
		resp_int(&c->out, 0);
		break;
	case EMPTY_NIL:
		resp_null(&c->out, c->proto);
		break;
	case EMPTY_ARRAY:
		resp_array(&c->out, 0);
		break;
	case EMPTY_NULLARRAY:
		resp_null_array(&c->out, c->proto);
		break;
	case EMPTY_OK:
		resp_simple(&c->out, "OK");
		break;
	case EMPTY_SET:
		resp_set(&c->out, 0, c->proto);
		break;
	case EMPTY_MAP:
		resp_map(&c->out, 0, c->proto);
		break;
	}
}

/* r->flags: what -ENOENT means; r->b: 1 for "ERR no such key". */
static bool common(struct conn *c, struct rec *r, struct kc_op *op)
{
	if (!op->result)
		return false;
	if (op->result == -ENOENT && r->b == 1)
		resp_error(&c->out, "ERR no such key");
	else if ((op->result == -ENOENT ||
		  (op->result == -EEXIST && op->opcode == KC_OP_HSET)) &&
		 r->flags)
		empty(c, (int)r->flags);
	else if (op->result == -EDOM && op->opcode == KC_OP_HINCRBY)
		resp_error(&c->out, "ERR hash value is not an integer");
	else if (op->result == -E2BIG && op->opcode == KC_OP_SRANDMEMBER)
		reply_count_too_big(&c->out);
	else
		reply_kerr(&c->out, op->result);
	return true;
}

static void r_int(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (!common(c, r, ops))
		resp_int(&c->out, ops[0].num);
}

static void r_ok(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (!common(c, r, ops))
		resp_simple(&c->out, "OK");
}

static void r_bulk(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (!common(c, r, ops))
		resp_bulk(&c->out, (const void *)(uintptr_t)ops[0].out,
			  ops[0].out_used);
}

/* r->a: AS_*; with KC_POP_COUNT unset on a pop, the reply is one bulk. */
static void r_elems(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct kc_elem_iter it;
	const struct kc_elem *el;
	const void *data;
	size_t n;

	if (common(c, r, ops))
		return;
	n = (size_t)ops[0].num;
	kc_elem_iter_init(&it, (const void *)(uintptr_t)ops[0].out,
			  ops[0].out_used, n);
	if (r->a == AS_MAP)
		resp_map(&c->out, n / 2, c->proto);
	else if (r->a == AS_SET)
		resp_set(&c->out, n, c->proto);
	else
		resp_array(&c->out, n);
	while ((el = kc_elem_next(&it, &data))) {
		if (r->a == AS_BOOLS)
			resp_int(&c->out, !(el->flags & KC_ELEM_NIL));
		else if (el->flags & KC_ELEM_NIL)
			resp_null(&c->out, c->proto);
		else
			resp_bulk(&c->out, data, el->len);
	}
	while (it.left--) {
		log_err("malformed multi-element reply from the kernel");
		resp_null(&c->out, c->proto);
	}
}

/* HMGET / SMISMEMBER on a missing key: one nil / 0 per argument. */
static void r_elems_or_n(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int64_t i;

	if (ops[0].result == -ENOENT) {
		resp_array(&c->out, (size_t)r->b);
		for (i = 0; i < r->b; i++) {
			if (r->a == AS_BOOLS)
				resp_int(&c->out, 0);
			else
				resp_null(&c->out, c->proto);
		}
		return;
	}
	r_elems(c, r, ops);
}

/* One op on key with optional arguments, value and reply buffer. */
static struct kc_op *plan(struct conn *c, render_fn fn, uint32_t opcode,
			  const struct arg *key, struct arg *args, size_t nargs,
			  size_t room, struct rec **rp)
{
	struct engine *e = E(c);
	struct rec *r = eng_rec(e, c, fn, room + nargs * sizeof(struct kc_buf));
	struct kc_op *op = eng_op(e, r, opcode);
	size_t i;

	if (key)
		kc_op_key(op, key->p, key->len);
	if (nargs) {
		struct kc_buf *kb = eng_alloc(e, nargs * sizeof(*kb));

		for (i = 0; i < nargs; i++)
			kc_buf_set(&kb[i], args[i].p, args[i].len);
		kc_op_args(op, kb, nargs);
	}
	if (room)
		kc_op_out(op, eng_alloc(e, room), room);
	*rp = r;
	return op;
}

static char lc0(const struct arg *a)
{
	return (char)(a->p[0] | 0x20);
}

/* ------------------------------------------------------------ lists */

void cmd_push(struct conn *c, struct arg *argv, size_t argc)
{
	char name[8];
	struct kc_op *op;
	struct rec *r;

	bool big = argc - 2 > KC_ARGS_MAX, own = false;
	size_t mark = 0;

	arg_lower(&argv[0], name, sizeof(name));
	if (!key_ok(c, &argv[1]))
		return;
	if (big)
		own = big_begin(c, &mark);
	op = plan(c, r_int, name[0] == 'l' ? KC_OP_LPUSH : KC_OP_RPUSH,
		  &argv[1], argv + 2, argc - 2, 0, &r);
	if (name[5] == 'x') {
		op->flags = KC_SET_XX;
		r->flags = EMPTY_INT;
	}
	if (big)
		big_end(c, own, mark);
}

/* LPOP, RPOP, SPOP key [count]; SRANDMEMBER key [count]. */
void cmd_pop(struct conn *c, struct arg *argv, size_t argc)
{
	char name[16];
	uint32_t opcode;
	long long n = 0;
	struct kc_op *op;
	struct rec *r;

	arg_lower(&argv[0], name, sizeof(name));
	opcode = name[0] == 'l' ? KC_OP_LPOP : name[0] == 'r' ? KC_OP_RPOP :
		 name[1] == 'p' ? KC_OP_SPOP : KC_OP_SRANDMEMBER;
	if (argc > 3) {
		/* Redis 7.0: LPOP and RPOP check their arity, SPOP parses. */
		if (opcode == KC_OP_LPOP || opcode == KC_OP_RPOP)
			resp_errorf(rout(c), "ERR wrong number of arguments for '%s' command",
				    name);
		else
			reply_err(c, "ERR syntax error");
		return;
	}
	if (argc == 3) {
		if (!arg_ll(c, &argv[2], &n))
			return;
		/* As Redis: -LLONG_MIN has no long long. */
		if (n == LLONG_MIN && opcode == KC_OP_SRANDMEMBER) {
			reply_err(c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
			return;
		}
		if (n < 0 && opcode != KC_OP_SRANDMEMBER) {
			reply_err(c, "ERR value is out of range, must be positive");
			return;
		}
	}
	if (!key_ok(c, &argv[1]))
		return;
	if (argc == 2) {
		op = plan(c, r_bulk, opcode, &argv[1], NULL, 0, eng_val_room(), &r);
		r->flags = EMPTY_NIL;
		return;
	}
	op = plan(c, r_elems, opcode, &argv[1], NULL, 0, eng_multi_room(), &r);
	op->flags = KC_POP_COUNT;
	op->num = n;
	if (opcode == KC_OP_SPOP) {
		r->a = AS_SET;
		r->flags = EMPTY_SET;
	} else if (opcode == KC_OP_SRANDMEMBER) {
		r->flags = EMPTY_ARRAY;
	} else {
		r->flags = EMPTY_NULLARRAY;
	}
}

void cmd_lrange(struct conn *c, struct arg *argv, size_t argc)
{
	long long s, e;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!arg_ll(c, &argv[2], &s) || !arg_ll(c, &argv[3], &e) ||
	    !key_ok(c, &argv[1]))
		return;
	op = plan(c, r_elems, KC_OP_LRANGE, &argv[1], NULL, 0, eng_multi_room(), &r);
	op->num = s;
	op->num2 = e;
	r->flags = EMPTY_ARRAY;
}

void cmd_ltrim(struct conn *c, struct arg *argv, size_t argc)
{
	long long s, e;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!arg_ll(c, &argv[2], &s) || !arg_ll(c, &argv[3], &e) ||
	    !key_ok(c, &argv[1]))
		return;
	op = plan(c, r_ok, KC_OP_LTRIM, &argv[1], NULL, 0, 0, &r);
	op->num = s;
	op->num2 = e;
	r->flags = EMPTY_OK;
}

/* LLEN, HLEN, SCARD. */
void cmd_len(struct conn *c, struct arg *argv, size_t argc)
{
	uint32_t opcode = lc0(&argv[0]) == 'l' ? KC_OP_LLEN :
			  lc0(&argv[0]) == 'h' ? KC_OP_HLEN : KC_OP_SCARD;
	struct rec *r;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	plan(c, r_int, opcode, &argv[1], NULL, 0, 0, &r);
	r->flags = EMPTY_INT;
}

void cmd_lindex(struct conn *c, struct arg *argv, size_t argc)
{
	long long i;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!arg_ll(c, &argv[2], &i) || !key_ok(c, &argv[1]))
		return;
	op = plan(c, r_bulk, KC_OP_LINDEX, &argv[1], NULL, 0, eng_val_room(), &r);
	op->num = i;
	r->flags = EMPTY_NIL;
}

void cmd_lset(struct conn *c, struct arg *argv, size_t argc)
{
	long long i;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!arg_ll(c, &argv[2], &i) || !key_ok(c, &argv[1]))
		return;
	op = plan(c, r_ok, KC_OP_LSET, &argv[1], NULL, 0, 0, &r);
	op->num = i;
	kc_op_val(op, argv[3].p, argv[3].len);
	r->b = 1;
}

void cmd_lrem(struct conn *c, struct arg *argv, size_t argc)
{
	long long n;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!arg_ll(c, &argv[2], &n) || !key_ok(c, &argv[1]))
		return;
	op = plan(c, r_int, KC_OP_LREM, &argv[1], NULL, 0, 0, &r);
	op->num = n;
	kc_op_val(op, argv[3].p, argv[3].len);
	r->flags = EMPTY_INT;
}

void cmd_linsert(struct conn *c, struct arg *argv, size_t argc)
{
	uint32_t where;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (arg_eq(&argv[2], "before"))
		where = KC_LINSERT_BEFORE;
	else if (arg_eq(&argv[2], "after"))
		where = KC_LINSERT_AFTER;
	else {
		reply_err(c, "ERR syntax error");
		return;
	}
	if (!key_ok(c, &argv[1]))
		return;
	op = plan(c, r_int, KC_OP_LINSERT, &argv[1], &argv[3], 1, 0, &r);
	op->flags = where;
	kc_op_val(op, argv[4].p, argv[4].len);
	r->flags = EMPTY_INT;
}

/* ------------------------------------------------------------ hashes */

/* HSET, HMSET, HSETNX. */
void cmd_hset(struct conn *c, struct arg *argv, size_t argc)
{
	bool big, own = false;
	size_t mark = 0;
	char name[8];
	struct kc_op *op;
	struct rec *r;

	arg_lower(&argv[0], name, sizeof(name));
	if (argc % 2) {
		resp_errorf(rout(c), "ERR wrong number of arguments for '%s' command",
			    name);
		return;
	}
	if (!key_ok(c, &argv[1]))
		return;
	big = argc - 2 > KC_ARGS_MAX;
	if (big)
		own = big_begin(c, &mark);
	op = plan(c, name[1] == 'm' ? r_ok : r_int, KC_OP_HSET, &argv[1],
		  argv + 2, argc - 2, 0, &r);
	if (!strcmp(name, "hsetnx")) {
		op->flags = KC_SET_NX;
		r->flags = EMPTY_INT;
	}
	if (big)
		big_end(c, own, mark);
}

/* HGET, HEXISTS, HSTRLEN, SISMEMBER: one field or member in val. */
void cmd_field(struct conn *c, struct arg *argv, size_t argc)
{
	char name[16];
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	arg_lower(&argv[0], name, sizeof(name));
	if (!key_ok(c, &argv[1]))
		return;
	if (!strcmp(name, "hget")) {
		op = plan(c, r_bulk, KC_OP_HGET, &argv[1], NULL, 0, eng_val_room(), &r);
		r->flags = EMPTY_NIL;
	} else {
		op = plan(c, r_int, !strcmp(name, "hexists") ? KC_OP_HEXISTS :
			  !strcmp(name, "hstrlen") ? KC_OP_HSTRLEN : KC_OP_SISMEMBER,
			  &argv[1], NULL, 0, 0, &r);
		r->flags = EMPTY_INT;
	}
	kc_op_val(op, argv[2].p, argv[2].len);
}

/* HMGET, SMISMEMBER. */
void cmd_mfield(struct conn *c, struct arg *argv, size_t argc)
{
	bool h = lc0(&argv[0]) == 'h', big = argc - 2 > KC_ARGS_MAX, own = false;
	size_t mark = 0;
	struct rec *r;

	if (!key_ok(c, &argv[1]))
		return;
	/* Split, it stays one snapshot: the chunks run as one transaction. */
	if (big)
		own = big_begin(c, &mark);
	plan(c, r_elems_or_n, h ? KC_OP_HMGET : KC_OP_SMISMEMBER, &argv[1],
	     argv + 2, argc - 2, eng_multi_room(), &r);
	r->a = h ? AS_ARRAY : AS_BOOLS;
	r->b = (int64_t)(argc - 2);
	if (big)
		big_end(c, own, mark);
}

/* HDEL, SADD, SREM. */
void cmd_hdel(struct conn *c, struct arg *argv, size_t argc)
{
	bool big = argc - 2 > KC_ARGS_MAX, own = false;
	size_t mark = 0;
	char name[8];
	struct rec *r;

	arg_lower(&argv[0], name, sizeof(name));
	if (!key_ok(c, &argv[1]))
		return;
	if (big)
		own = big_begin(c, &mark);
	plan(c, r_int, name[0] == 'h' ? KC_OP_HDEL : name[1] == 'a' ?
	     KC_OP_SADD : KC_OP_SREM, &argv[1], argv + 2, argc - 2, 0, &r);
	r->flags = EMPTY_INT;
	if (big)
		big_end(c, own, mark);
}

/*
 * A hash op returning every field: a small hash comes in the order its
 * fields were added, as from a Redis listpack hash (the encoding knobs
 * say what small is; the kernel caps it at KC_HASH_ORDER_MAX).
 */
void hash_order(struct kc_op *op)
{
	long long n = redis_param("hash-max-listpack-entries");
	long long v = redis_param("hash-max-listpack-value");

	op->num2 = n;
	op->num = v > 0 ? v : -1;	/* 0: no field is small enough */
	if (!v)
		op->num2 = 0;
}

/* HGETALL, HKEYS, HVALS, SMEMBERS. */
void cmd_getall(struct conn *c, struct arg *argv, size_t argc)
{
	char name[16];
	struct kc_op *op;
	uint32_t opcode;
	struct rec *r;

	(void)argc;
	arg_lower(&argv[0], name, sizeof(name));
	if (!key_ok(c, &argv[1]))
		return;
	opcode = !strcmp(name, "hgetall") ? KC_OP_HGETALL :
		 !strcmp(name, "hkeys") ? KC_OP_HKEYS :
		 !strcmp(name, "hvals") ? KC_OP_HVALS : KC_OP_SMEMBERS;
	op = plan(c, r_elems, opcode, &argv[1], NULL, 0, eng_multi_room(), &r);
	if (opcode != KC_OP_SMEMBERS)
		hash_order(op);
	r->a = opcode == KC_OP_HGETALL ? AS_MAP :
	       opcode == KC_OP_SMEMBERS ? AS_SET : AS_ARRAY;
	r->flags = opcode == KC_OP_HGETALL ? EMPTY_MAP :
		   opcode == KC_OP_SMEMBERS ? EMPTY_SET : EMPTY_ARRAY;
}

void cmd_hincrby(struct conn *c, struct arg *argv, size_t argc)
{
	long long by;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!arg_ll(c, &argv[3], &by) || !key_ok(c, &argv[1]))
		return;
	op = plan(c, r_int, KC_OP_HINCRBY, &argv[1], NULL, 0, 0, &r);
	kc_op_val(op, argv[2].p, argv[2].len);
	op->num = by;
}

/* ------------------------------------------------------------ sets */

/*
 * SMOVE answers 0 for a missing source before it looks at the
 * destination's type (smoveCommand), so an EXISTS of the source runs
 * first in the same batch.
 */
static void r_smove(struct conn *c, struct rec *r, struct kc_op *ops)
{
	if (ops[0].result == -ENOENT)
		resp_int(&c->out, 0);
	else if (!common(c, r, &ops[1]))
		resp_int(&c->out, ops[1].num);
}

void cmd_smove(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!key_ok(c, &argv[1]) || !key_ok(c, &argv[2]))
		return;
	r = eng_rec(E(c), c, r_smove, sizeof(*kb));
	op = eng_op(E(c), r, KC_OP_EXISTS);
	kc_op_key(op, argv[1].p, argv[1].len);
	op = eng_op(E(c), r, KC_OP_SMOVE);
	kc_op_key(op, argv[1].p, argv[1].len);
	kb = eng_alloc(E(c), sizeof(*kb));
	kc_buf_set(kb, argv[2].p, argv[2].len);
	kc_op_args(op, kb, 1);
	kc_op_val(op, argv[3].p, argv[3].len);
	r->flags = EMPTY_INT;
}

/* SDIFF, SINTER, SUNION and their STORE forms. */
void cmd_salgebra(struct conn *c, struct arg *argv, size_t argc)
{
	char name[16];
	bool store;
	uint32_t opcode;
	size_t i, first;
	struct rec *r;

	arg_lower(&argv[0], name, sizeof(name));
	store = strstr(name, "store") != NULL;
	first = store ? 2 : 1;
	for (i = 1; i < argc; i++)
		if (!key_ok(c, &argv[i]))
			return;
	if (!nargs_ok(c, argc - first))
		return;
	opcode = name[1] == 'd' ? KC_OP_SDIFF : name[1] == 'i' ? KC_OP_SINTER :
		 KC_OP_SUNION;
	if (store) {
		opcode += KC_OP_SDIFFSTORE - KC_OP_SDIFF;
		plan(c, r_int, opcode, &argv[1], argv + 2, argc - 2, 0, &r);
		return;
	}
	plan(c, r_elems, opcode, NULL, argv + 1, argc - 1, eng_multi_room(), &r);
	r->a = AS_SET;
	r->flags = EMPTY_ARRAY;
}

/*
 * Redis's getPositiveLongFromObjectOrReply() and friends with a message:
 * the same error for a non-integer and for a value out of range.
 */
static bool arg_min(struct conn *c, const struct arg *a, long long min,
		    long long *v, const char *msg)
{
	if (resp_str2ll(a->p, a->len, v) && *v >= min)
		return true;
	reply_err(c, msg);
	return false;
}

/* SINTERCARD: SINTER's members counted, up to LIMIT (r->a, 0: all). */
static void r_card(struct conn *c, struct rec *r, struct kc_op *ops)
{
	long long n = ops[0].num;

	if (ops[0].result == -ENOENT) {
		resp_int(&c->out, 0);
		return;
	}
	if (ops[0].result) {
		reply_kerr(&c->out, ops[0].result);
		return;
	}
	resp_int(&c->out, r->a && n > r->a ? r->a : n);
}

/* numkeys as Redis reads it; 0 on a reply sent. */
static long long numkeys(struct conn *c, struct arg *argv, size_t argc)
{
	long long n;

	if (!arg_min(c, &argv[1], 1, &n, "ERR numkeys should be greater than 0"))
		return 0;
	if ((unsigned long long)n > argc - 2) {
		reply_err(c, "ERR Number of keys can't be greater than number of args");
		return 0;
	}
	return n;
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_sintercard(struct conn *c, struct arg *argv, size_t argc)
{
	long long n, limit = 0;
	struct rec *r;
	size_t i;

	n = numkeys(c, argv, argc);
	if (!n)
		return;
	for (i = 2 + (size_t)n; i < argc; i++) {
		if (arg_eq(&argv[i], "limit") && i + 1 < argc) {
			if (!arg_min(c, &argv[++i], 0, &limit,
				     "ERR LIMIT can't be negative"))
				return;
		} else {
			reply_err(c, "ERR syntax error");
			return;
		}
	}
	for (i = 2; i < 2 + (size_t)n; i++)
		if (!key_ok(c, &argv[i]))
			return;
	if (!nargs_ok(c, (size_t)n))
		return;
	plan(c, r_card, KC_OP_SINTER, NULL, argv + 2, (size_t)n,
	     eng_multi_room(), &r);
	r->a = limit;
}

/* Walks a multi-element reply into an array of (pointer, length). */
struct elems {
	const void **p;
	uint32_t *len;
	size_t n;
};

static bool elems_get(struct kc_op *op, struct elems *v)
{
	struct kc_elem_iter it;
	const struct kc_elem *el;
	const void *data;
	size_t n = (size_t)op->num;

	v->n = 0;
	v->p = calloc(n ? n : 1, sizeof(*v->p));
	v->len = calloc(n ? n : 1, sizeof(*v->len));
	if (!v->p || !v->len) {
		free(v->p);
		free(v->len);
		return false;
	}
	kc_elem_iter_init(&it, (const void *)(uintptr_t)op->out, op->out_used, n);
	while (v->n < n && (el = kc_elem_next(&it, &data))) {
		v->p[v->n] = data;
		v->len[v->n++] = el->len;
	}
	return true;
}

static void elems_free(struct elems *v)
{
	free(v->p);
	free(v->len);
}

/*
 * The elements of a whole-value read, or a reply and false: a missing key
 * answers nil (nil set) or an empty array, as the command does.
 */
static bool elems_or_reply(struct conn *c, struct kc_op *op, struct elems *v,
			   bool nil)
{
	if (op->result == -ENOENT) {
		if (nil)
			resp_null(&c->out, c->proto);
		else
			resp_array(&c->out, 0);
		return false;
	}
	if (op->result) {
		reply_kerr(&c->out, op->result);
		return false;
	}
	if (!elems_get(op, v)) {
		resp_error(&c->out, "ERR out of memory");
		return false;
	}
	return true;
}

/*
 * LPOS: the list is read whole (LRANGE 0 -1) and searched here.  r->a is
 * RANK, r->b COUNT (-1: not given), r->p MAXLEN, the element in the arena.
 */
struct lpos {
	long long rank, count, maxlen;
	size_t elen;
};

static void r_lpos(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const struct lpos *q = r->p;
	const char *el = (const char *)(q + 1);
	long long len, i, seen = 0, skip, found = 0, step, *hits;
	struct elems v;

	if (!elems_or_reply(c, &ops[0], &v, q->count < 0))
		return;
	len = (long long)v.n;
	hits = calloc(v.n ? v.n : 1, sizeof(*hits));
	if (!hits) {
		elems_free(&v);
		resp_error(&c->out, "ERR out of memory");
		return;
	}
	step = q->rank > 0 ? 1 : -1;
	skip = (q->rank > 0 ? q->rank : -q->rank) - 1;
	i = q->rank > 0 ? 0 : len - 1;
	for (; i >= 0 && i < len && (!q->maxlen || seen < q->maxlen);
	     i += step, seen++) {
		if (v.len[i] != q->elen || memcmp(v.p[i], el, q->elen))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		hits[found++] = i;
		if (q->count < 0 || (q->count && found == q->count))
			break;
	}
	if (q->count < 0) {
		if (found)
			resp_int(&c->out, hits[0]);
		else
			resp_null(&c->out, c->proto);
	} else {
		resp_array(&c->out, (size_t)found);
		for (i = 0; i < found; i++)
			resp_int(&c->out, hits[i]);
	}
	free(hits);
	elems_free(&v);
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
void cmd_lpos(struct conn *c, struct arg *argv, size_t argc)
{
	struct lpos q = { .rank = 1, .count = -1, .maxlen = 0 };
	struct kc_op *op;
	struct rec *r;
	struct lpos *qp;
	size_t i;

	for (i = 3; i < argc; i++) {
		bool more = i + 1 < argc;

		if (arg_eq(&argv[i], "rank") && more) {
			if (!arg_ll(c, &argv[++i], &q.rank))
				return;
			if (q.rank == LLONG_MIN) {
				reply_err(c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
				return;
			}
			if (!q.rank) {
				reply_err(c, "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
				return;
			}
		} else if (arg_eq(&argv[i], "count") && more) {
			if (!arg_min(c, &argv[++i], 0, &q.count,
				     "ERR COUNT can't be negative"))
				return;
		} else if (arg_eq(&argv[i], "maxlen") && more) {
			if (!arg_min(c, &argv[++i], 0, &q.maxlen,
				     "ERR MAXLEN can't be negative"))
				return;
		} else {
			reply_err(c, "ERR syntax error");
			return;
		}
	}
	if (!key_ok(c, &argv[1]))
		return;
	op = plan(c, r_lpos, KC_OP_LRANGE, &argv[1], NULL, 0,
		  eng_multi_room() + sizeof(q) + argv[2].len + 8, &r);
	/* The reply room ends with the query: carve it off. */
	op->out_len -= sizeof(q) + argv[2].len + 8;
	qp = (struct lpos *)(uintptr_t)(op->out + op->out_len);
	qp = (struct lpos *)(((uintptr_t)qp + 7) & ~(uintptr_t)7);
	q.elen = argv[2].len;
	*qp = q;
	memcpy(qp + 1, argv[2].p, argv[2].len);
	r->p = qp;
	op->num = 0;
	op->num2 = -1;
}

/*
 * HRANDFIELD key [count [WITHVALUES]]: HGETALL, then Redis's choices: no
 * count, one field or nil; count > 0, distinct fields (all when count is
 * at least the size); count < 0, -count fields that may repeat.  r->a is
 * the count, r->b 1 without one, r->flags WITHVALUES.
 */
static void r_hrandfield(struct conn *c, struct rec *r, struct kc_op *ops)
{
	long long count = r->a, n, i, k;
	bool vals = r->flags != 0;
	struct elems v;
	size_t *idx;

	if (!elems_or_reply(c, &ops[0], &v, r->b))
		return;
	n = (long long)v.n / 2;
	if (r->b) {
		if (!n) {
			resp_null(&c->out, c->proto);
		} else {
			i = (long long)(rnd() % (uint64_t)n);
			resp_bulk(&c->out, v.p[2 * i], v.len[2 * i]);
		}
		elems_free(&v);
		return;
	}
	if (!n) {
		resp_array(&c->out, 0);
		elems_free(&v);
		return;
	}
	if (count >= 0 && count > n)
		count = n;
	k = count < 0 ? -count : count;
	/* The kernel's bound for SRANDMEMBER and ZRANDMEMBER, here too. */
	if (count < 0 && (unsigned long long)k > KC_REPLY_MAX / KC_ELEM_SIZE(0)) {
		reply_count_too_big(&c->out);
		elems_free(&v);
		return;
	}
	idx = count > 0 ? calloc((size_t)n, sizeof(*idx)) : NULL;
	if (count > 0 && !idx) {
		resp_error(&c->out, "ERR out of memory");
		elems_free(&v);
		return;
	}
	if (idx) {
		for (i = 0; i < n; i++)
			idx[i] = (size_t)i;
	}
	resp_array(&c->out, vals && c->proto == 2 ? 2 * (size_t)k : (size_t)k);
	for (i = 0; i < k; i++) {
		size_t j;

		if (count < 0) {
			j = (size_t)(rnd() % (uint64_t)n);
		} else {
			/* Partial Fisher-Yates: distinct and uniform. */
			size_t s = (size_t)i + (size_t)(rnd() % (uint64_t)(n - i));
			size_t t = idx[i];

			idx[i] = idx[s];
			idx[s] = t;
			j = idx[i];
		}
		if (vals && c->proto == 3)
			resp_array(&c->out, 2);
		resp_bulk(&c->out, v.p[2 * j], v.len[2 * j]);
		if (vals)
			resp_bulk(&c->out, v.p[2 * j + 1], v.len[2 * j + 1]);
	}
	free(idx);
	elems_free(&v);
}

void cmd_hrandfield(struct conn *c, struct arg *argv, size_t argc)
{
	long long count = 0;
	bool with = false;
	struct rec *r;

	if (argc >= 3) {
		if (!arg_ll(c, &argv[2], &count))
			return;
		if (count == LLONG_MIN) {
			reply_err(c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
			return;
		}
		if (argc > 4 || (argc == 4 && !arg_eq(&argv[3], "withvalues"))) {
			reply_err(c, "ERR syntax error");
			return;
		}
		with = argc == 4;
		if (with && (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2)) {
			reply_err(c, "ERR value is out of range");
			return;
		}
	}
	if (!key_ok(c, &argv[1]))
		return;
	plan(c, r_hrandfield, KC_OP_HGETALL, &argv[1], NULL, 0,
	     eng_multi_room(), &r);
	r->a = count;
	r->b = argc < 3;
	r->flags = with;
}

/* ------------------------------------------------------------ keys */

static void r_rename(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;

	if (err == -ENOENT)
		resp_error(&c->out, "ERR no such key");
	else if (err == -EEXIST)
		resp_int(&c->out, 0);
	else if (err)
		reply_kerr(&c->out, err);
	else if (r->a)
		resp_int(&c->out, 1);
	else
		resp_simple(&c->out, "OK");
}

/* RENAME, RENAMENX. */
void cmd_rename(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_op *op;
	struct rec *r;

	(void)argc;
	if (!key_ok(c, &argv[1]) || !key_ok(c, &argv[2]))
		return;
	op = plan(c, r_rename, KC_OP_RENAME, &argv[1], NULL, 0, 0, &r);
	kc_op_val(op, argv[2].p, argv[2].len);
	if (argv[0].len == 8) {
		op->flags = KC_SET_NX;
		r->a = 1;
	}
}
