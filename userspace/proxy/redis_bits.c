// SPDX-License-Identifier: GPL-2.0
/*
 * Redis bitmap commands past GETBIT and SETBIT: BITCOUNT, BITPOS, BITOP,
 * BITFIELD, BITFIELD_RO.  The kernel has no op for them, so the proxy
 * reads the string and computes (bits.c):
 *
 * - BITCOUNT, BITPOS, BITFIELD_RO and a BITFIELD of GETs only are one
 *   GET op, rendered here: a plain read, queued by MULTI as any read.
 * - BITOP and a BITFIELD that writes are prepared (redis.h, txpre): the
 *   sources (BITFIELD: its key) are read with their CAS versions, the
 *   result is computed, and only the writes run in a kernel transaction
 *   that watches those versions, so a string that changed in between
 *   makes the command read again.  Alone through txpre_run(); inside
 *   MULTI EXEC prepares them, and one on a key an earlier queued command
 *   writes is refused in EXEC's reply (as HINCRBYFLOAT).
 *
 * BITOP writes DEL dest, then SET dest (no SET when every source is
 * missing or empty: dest is deleted, as Redis); notify.c publishes "set"
 * or "del" from those ops.  BITFIELD writes one SET KEEPTTL of the whole
 * string and publishes "setbit" itself, as Redis: when a SET or INCRBY
 * that ran changed bits, or ran at all on a string it created or padded
 * (Redis grows or creates the string even when OVERFLOW FAIL refused
 * every write, then without an event).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "libkcache.h"
#include "notify.h"
#include "redis.h"

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

/* The string a GET op read: NULL (missing) or its bytes, else -errno. */
static int read_of(const struct kc_op *op, const unsigned char **v,
		   size_t *len)
{
	*v = NULL;
	*len = 0;
	if (op->result == -ENOENT)
		return 0;
	if (op->result)
		return op->result;
	*v = (const unsigned char *)(uintptr_t)op->out;
	*len = op->out_used;
	if (!*v)
		*v = (const unsigned char *)"";
	return 0;
}

/* One GET of key whose reply fn renders; r->p, r->plen are the caller's. */
static struct rec *plan_read(struct conn *c, const struct arg *key,
			     render_fn fn, size_t extra)
{
	struct rec *r = eng_rec(E(c), c, fn, eng_val_room() + extra);
	struct kc_op *op = eng_op(E(c), r, KC_OP_GET);

	kc_op_key(op, key->p, key->len);
	eng_op_outval(E(c), op);
	return r;
}

/* The command's arguments, copied into the arena for its renderer. */
static struct arg *keep_args(struct conn *c, const struct arg *argv,
			     size_t argc)
{
	struct arg *a = eng_alloc(E(c), argc * sizeof(*a));
	size_t i;

	for (i = 0; i < argc; i++) {
		a[i].p = eng_alloc(E(c), argv[i].len ? argv[i].len : 1);
		memcpy(a[i].p, argv[i].p, argv[i].len);
		a[i].len = argv[i].len;
	}
	return a;
}

static size_t args_room(const struct arg *argv, size_t argc)
{
	size_t n = argc * (sizeof(struct arg) + 8), i;

	for (i = 0; i < argc; i++)
		n += argv[i].len;
	return n;
}

/* ------------------------------------------------------------ BITCOUNT */

static void r_bitcount(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const unsigned char *v;
	size_t len;
	int err = read_of(&ops[0], &v, &len);

	if (err)
		reply_kerr(&c->out, err);
	else
		bits_count_reply(&c->out, r->p, r->plen, v, len);
}

/* The key is read first: Redis answers a missing or other key before
 * it looks at the range. */
void cmd_bitcount(struct conn *c, struct arg *argv, size_t argc)
{
	struct rec *r;

	if (!key_ok(c, &argv[1]))
		return;
	r = plan_read(c, &argv[1], r_bitcount, args_room(argv, argc));
	r->p = keep_args(c, argv, argc);
	r->plen = argc;
}

/* ------------------------------------------------------------ BITPOS */

static void r_bitpos(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const unsigned char *v;
	size_t len;
	int err = read_of(&ops[0], &v, &len);

	if (err)
		reply_kerr(&c->out, err);
	else
		bits_pos_reply(&c->out, r->p, r->plen, v, len);
}

void cmd_bitpos(struct conn *c, struct arg *argv, size_t argc)
{
	struct rec *r;

	if (bits_pos_bit(rout(c), &argv[2]) < 0 || !key_ok(c, &argv[1]))
		return;
	r = plan_read(c, &argv[1], r_bitpos, args_room(argv, argc));
	r->p = keep_args(c, argv, argc);
	r->plen = argc;
}

/* ------------------------------------------------------------ BITFIELD */

/* What a BITFIELD parsed: its ops (malloc'ed) and the bytes it writes. */
struct bf {
	struct bf_op *ops;
	size_t n;
	uint64_t need;		/* 0: only GETs */
};

/* Parses argv into b: NULL, or Redis's error (b->ops then freed). */
static const char *bf_args(const struct arg *argv, size_t argc, bool ro,
			   struct bf *b)
{
	const char *err;

	b->ops = malloc((argc / 3 + 1) * sizeof(*b->ops));
	if (!b->ops)
		return "ERR out of memory";
	err = bf_parse(argv, argc, __atomic_load_n(&cfg.max_bulk,
						   __ATOMIC_RELAXED),
		       b->ops, &b->n, &b->need);
	if (!err && ro && b->need)
		err = "ERR BITFIELD_RO only supports the GET subcommand";
	if (err) {
		free(b->ops);
		b->ops = NULL;
	}
	return err;
}

static void r_bfget(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const unsigned char *v;
	size_t len;
	int err = read_of(&ops[0], &v, &len);

	if (err)
		reply_kerr(&c->out, err);
	else
		bf_get_reply(&c->out, r->p, (size_t)r->a, v, len);
}

/* A BITFIELD of GETs only: one GET of the string. */
static void bf_plan_read(struct conn *c, const struct arg *key,
			 const struct bf *b)
{
	size_t sz = b->n * sizeof(*b->ops);
	struct rec *r = plan_read(c, key, r_bfget, sz + 8);
	void *ops = eng_alloc(E(c), sz ? sz : 1);

	memcpy(ops, b->ops, sz);
	r->p = ops;
	r->a = (int64_t)b->n;
}

static void bitfield(struct conn *c, struct arg *argv, size_t argc, bool ro);

bool bitfield_writes(const struct arg *argv, size_t argc)
{
	size_t i;

	/* A type, offset or number is never one of these words. */
	for (i = 2; i < argc; i++)
		if (arg_eq(&argv[i], "set") || arg_eq(&argv[i], "incrby"))
			return true;
	return false;
}

void cmd_bitfield(struct conn *c, struct arg *argv, size_t argc)
{
	bitfield(c, argv, argc, false);
}

void cmd_bitfield_ro(struct conn *c, struct arg *argv, size_t argc)
{
	bitfield(c, argv, argc, true);
}

/*
 * A prepared BITFIELD's out: this header, the ops' results (nil when
 * OVERFLOW FAIL refused one), then the new string.
 */
struct bf_done {
	uint32_t n;
	uint32_t changes;	/* writes that changed bits (any, when padded) */
	bool store;		/* the string is new, longer or changed */
	size_t len;
};

struct bf_res {
	int64_t v;
	bool nil;
};

bool bitfield_prepare(const struct txq *q, struct arg *argv, size_t argc,
		      struct txpre *p)
{
	struct bf_done *d;
	struct bf_res *res;
	unsigned char *s;
	void *val = NULL;
	size_t vlen = 0, len, i;
	uint64_t cas = 0;
	uint32_t type;
	struct bf b;
	int st, err;

	if (bf_args(argv, argc, false, &b))
		return true;	/* the plan answers the error */
	if (!b.need || !argv[1].len || argv[1].len > KC_KEY_MAX) {
		free(b.ops);
		return true;	/* a plain read, or the plan says why */
	}
	st = txq_key_state(q, &argv[1], &cas, &type);
	if (st == KS_WRITTEN) {
		p->conflict = true;
		goto out;
	}
	if (st < 0) {
		p->kerr = st;
		goto out;
	}
	if (st == KS_EXISTS && type != KC_TYPE_STRING) {
		p->kerr = -EPROTOTYPE;
	} else if (st == KS_EXISTS) {
		err = eng_get_alloc(E(q->c), argv[1].p, argv[1].len, &val,
				    &vlen, &cas, NULL);
		if (err == -ENOENT)
			cas = 0;
		else if (err)
			p->kerr = err;	/* changed since: the watch retries */
	}
	/* Even an error: the answer holds while the key is unchanged. */
	if (!txpre_watch(p, q, argv[1].p, argv[1].len, cas))
		goto oom;
	if (p->kerr)
		goto out;
	len = vlen > b.need ? vlen : (size_t)b.need;
	if (len > kinfo.item_size_max) {
		p->kerr = -E2BIG;
		goto out;
	}
	p->olen = sizeof(*d) + b.n * sizeof(*res) + len;
	p->out = calloc(1, p->olen);
	if (!p->out)
		goto oom;
	d = (struct bf_done *)p->out;
	res = (struct bf_res *)(d + 1);
	s = (unsigned char *)(res + b.n);
	if (vlen)
		memcpy(s, val, vlen);
	d->n = (uint32_t)b.n;
	d->len = len;
	/* Created or padded: Redis counts every write that ran as a change. */
	d->store = !cas || len > vlen;
	for (i = 0; i < b.n; i++) {
		bool changed;

		res[i].nil = !bf_run(&b.ops[i], s, len, &res[i].v, &changed);
		if (b.ops[i].kind != BF_GET && !res[i].nil &&
		    (changed || d->store))
			d->changes++;
	}
	d->store |= d->changes > 0;
out:
	free(val);
	free(b.ops);
	return true;
oom:
	free(val);
	free(b.ops);
	return false;
}

/* r->p: the results (r->a of them); ops[0], if any, the SET. */
static void r_bfdone(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const struct bf_res *res = r->p;
	size_t i;

	if (r->nops && ops[0].result) {
		reply_kerr(&c->out, ops[0].result);
		return;
	}
	resp_array(&c->out, (size_t)r->a);
	for (i = 0; i < (size_t)r->a; i++) {
		if (res[i].nil)
			resp_null(&c->out, c->proto);
		else
			resp_int(&c->out, res[i].v);
	}
	/* A write that took effect was stored: ops[0] is its SET. */
	if (r->b && r->nops)
		notify_key(c, ops[0].db, NF_STRING, "setbit",
			   (const void *)(uintptr_t)ops[0].key,
			   ops[0].key_len);
}

void bitfield_plan(struct conn *c, struct arg *argv, size_t argc,
		   const struct txpre *p)
{
	const struct bf_done *d = (const struct bf_done *)p->out;
	struct engine *e = E(c);
	const char *why;
	struct kc_op *op;
	struct rec *r;
	struct bf b;
	size_t sz;
	void *mem;

	why = bf_args(argv, argc, false, &b);
	if (why) {
		reply_err(c, why);
		return;
	}
	if (!key_ok(c, &argv[1])) {
		free(b.ops);
		return;
	}
	if (!b.need) {
		bf_plan_read(c, &argv[1], &b);
		free(b.ops);
		return;
	}
	free(b.ops);
	if (p->kerr) {
		reply_kerr(rout(c), p->kerr);
		return;
	}
	sz = p->olen - sizeof(*d);
	r = eng_rec(e, c, r_bfdone, sz + 64);
	mem = eng_alloc(e, sz);
	memcpy(mem, d + 1, sz);
	r->p = mem;
	r->a = d->n;
	r->b = d->changes;
	if (!d->store)
		return;
	op = eng_op(e, r, KC_OP_SET);
	kc_op_key(op, argv[1].p, argv[1].len);
	kc_op_val(op, (const char *)mem + d->n * sizeof(struct bf_res),
		  d->len);
	op->flags = KC_SET_KEEPTTL;
}

static void bitfield(struct conn *c, struct arg *argv, size_t argc, bool ro)
{
	const char *why;
	struct bf b;

	why = bf_args(argv, argc, ro, &b);
	if (why) {
		reply_err(c, why);
		return;
	}
	if (!key_ok(c, &argv[1])) {
		free(b.ops);
		return;
	}
	if (!b.need) {
		bf_plan_read(c, &argv[1], &b);
		free(b.ops);
		return;
	}
	free(b.ops);
	/* A write reads first: what is pending runs before, in order. */
	eng_flush(E(c));
	txpre_run(c, argv, argc, bitfield_prepare, bitfield_plan, "BITFIELD");
}

/* ------------------------------------------------------------ BITOP */

static int bitop_of(const struct arg *a)
{
	if (arg_eq(a, "and"))
		return BITOP_AND;
	if (arg_eq(a, "or"))
		return BITOP_OR;
	if (arg_eq(a, "xor"))
		return BITOP_XOR;
	if (arg_eq(a, "not"))
		return BITOP_NOT;
	return -1;
}

/* Redis's checks of the operation and the sources, then kcache's. */
static const char *bitop_args(const struct arg *argv, size_t argc)
{
	int op = bitop_of(&argv[1]);

	if (op < 0)
		return "ERR syntax error";
	if (op == BITOP_NOT && argc != 4)
		return "ERR BITOP NOT must be called with a single source key.";
	if (argc - 3 > KC_WATCH_MAX)
		return "ERR too many keys for kcache (max 256)";
	return NULL;
}

static bool bitop_keys_ok(const struct arg *argv, size_t argc)
{
	size_t i;

	for (i = 2; i < argc; i++)
		if (!argv[i].len || argv[i].len > KC_KEY_MAX)
			return false;
	return true;
}

/*
 * Reads each source with its version, folding it into p->out; p->olen
 * is the result's length.
 */
bool bitop_prepare(const struct txq *q, struct arg *argv, size_t argc,
		   struct txpre *p)
{
	int op = bitop_of(&argv[1]);
	unsigned char *acc = NULL, *bigger;
	size_t have = 0, i, vlen;
	uint64_t cas;
	uint32_t type;
	void *val;
	int st, err;

	if (bitop_args(argv, argc) || !bitop_keys_ok(argv, argc))
		return true;	/* the plan answers the error */
	for (i = 3; i < argc; i++) {
		val = NULL;
		vlen = 0;
		st = txq_key_state(q, &argv[i], &cas, &type);
		if (st == KS_WRITTEN) {
			p->conflict = true;
			break;
		}
		if (st < 0) {
			p->kerr = st;
			break;
		}
		if (st == KS_EXISTS && type != KC_TYPE_STRING) {
			p->kerr = -EPROTOTYPE;
		} else if (st == KS_EXISTS) {
			err = eng_get_alloc(E(q->c), argv[i].p, argv[i].len,
					    &val, &vlen, &cas, NULL);
			if (err == -ENOENT)
				cas = 0;
			else if (err)
				p->kerr = err;
		}
		if (!txpre_watch(p, q, argv[i].p, argv[i].len, cas)) {
			free(val);
			free(acc);
			return false;
		}
		if (p->kerr) {
			free(val);
			break;
		}
		if (vlen > have) {
			bigger = realloc(acc, vlen);
			if (!bigger) {
				free(val);
				free(acc);
				return false;
			}
			acc = bigger;
		}
		have = bits_fold(op, i == 3, acc, have, val, vlen);
		free(val);
	}
	if (p->conflict || p->kerr) {
		free(acc);
		return true;
	}
	p->out = (char *)acc;
	p->olen = have;
	return true;
}


void bitop_plan(struct conn *c, struct arg *argv, size_t argc,
		const struct txpre *p)
{
	struct engine *e = E(c);
	const char *why = bitop_args(argv, argc);
	struct kc_op *op;
	struct rec *r;
	size_t i;
	void *v;

	if (why) {
		reply_err(c, why);
		return;
	}
	for (i = 2; i < argc; i++)
		if (!key_ok(c, &argv[i]))
			return;
	if (p->kerr) {
		reply_kerr(rout(c), p->kerr);
		return;
	}
	r = eng_rec(e, c, r_stored_count, p->olen + 64);
	r->a = (int64_t)p->olen;
	op = eng_op(e, r, KC_OP_DEL);
	kc_op_key(op, argv[2].p, argv[2].len);
	if (!p->olen)
		return;
	v = eng_alloc(e, p->olen);
	memcpy(v, p->out, p->olen);
	op = eng_op(e, r, KC_OP_SET);
	kc_op_key(op, argv[2].p, argv[2].len);
	kc_op_val(op, v, p->olen);
}

void cmd_bitop(struct conn *c, struct arg *argv, size_t argc)
{
	txpre_run(c, argv, argc, bitop_prepare, bitop_plan, "BITOP");
}
