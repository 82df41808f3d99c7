// SPDX-License-Identifier: GPL-2.0
/*
 * SORT and SORT_RO, as redis-server 7.0's sortCommandGeneric() answers:
 * BY (a pattern with '*', or a constant for no sorting), LIMIT, GET
 * (repeated, "#" for the element, "key->field" for a hash field), ASC,
 * DESC, ALPHA and STORE.
 *
 * The value is read whole (value_read()), the BY and GET keys one kernel
 * op each, so the command runs synchronously (RX_SYNC).  Alone, the reads
 * are not one snapshot; STORE writes the result as one kernel transaction
 * (DEL, then RPUSH in KC_ARGS_MAX chunks), so a reader sees the old list
 * or the new one.  Inside MULTI, EXEC prepares it (sort_prepare()): it
 * sorts before the transaction, watching every key it read at the
 * version read, and the transaction then replies with that result (or
 * stores it): if any of those keys changed meanwhile, EXEC runs again, so
 * the result is the one SORT would give at the transaction's moment.  A
 * SORT reading a key an earlier command of the transaction writes is
 * refused with an error reply, as are more than KC_WATCH_MAX keys read.
 *
 * Order: numbers as strtod() reads them, ties broken by the elements'
 * bytes; ALPHA compares as strcmp() (Redis's strcoll() in the C locale)
 * or, with STORE, as bytes; keys missing for BY count as 0 (or sort first
 * with ALPHA).  A set not sorted (BY a constant) comes in kcache's order,
 * which is not Redis's: neither promises one; with STORE it is sorted
 * ALPHA, as Redis does.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libkcache.h"
#include "redis.h"
#include "resp.h"

struct sort_opts {
	bool desc, alpha, dontsort, ro;
	long long start, count;		/* LIMIT, count -1: all */
	const struct arg *by, *store;
	const struct arg **get;	/* the GET patterns, argc at most */
	size_t ngets;
};

struct sitem {
	char *p;		/* the element, NUL-terminated copy */
	size_t len;
	double score;
	char *cmp;		/* ALPHA BY: the value, or NULL when missing */
	size_t cmplen;
};

struct sort_ctx {
	bool desc, alpha, by, store;
};

/*
 * Where a SORT answers: o in protocol proto.  Inside MULTI (q set) every
 * key read is watched in p, and STORE's result is kept in vals for the
 * transaction instead of stored.
 */
struct sort_run {
	struct buf *o;
	int proto;
	const struct txq *q;
	struct txpre *p;
	char **vals;
	size_t *lens, nvals;
	bool stored;		/* STORE's result is in vals */
};

/*
 * Inside MULTI, watches key (copied when copy is set) at the version it
 * has now, before it is read; false when it cannot be read there (an
 * earlier queued command writes it: p->conflict) or the watch fails.
 */
static bool sort_watch(struct sort_run *run, const void *key, size_t klen,
		       bool copy, int *err)
{
	struct txpre *p = run->p;
	uint64_t cas = 0;
	uint32_t type;
	char **keys;
	struct arg a = { .p = (char *)key, .len = klen };
	int st;

	if (!run->q)
		return true;
	st = txq_key_state(run->q, &a, &cas, &type);
	if (st == KS_WRITTEN) {
		p->conflict = true;
		*err = -EBUSY;
		return false;
	}
	if (st < 0) {
		*err = st;
		return false;
	}
	if (copy) {
		keys = realloc(p->keys, (p->nkeys + 1) * sizeof(*keys));
		if (!keys)
			goto nomem;
		p->keys = keys;
		keys[p->nkeys] = malloc(klen ? klen : 1);
		if (!keys[p->nkeys])
			goto nomem;
		memcpy(keys[p->nkeys], key, klen);
		key = keys[p->nkeys++];
	}
	if (txpre_watch(p, run->q, key, klen, cas))
		return true;
nomem:
	*err = -ENOMEM;
	return false;
}

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

static int bin_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	if (r)
		return r;
	return alen < blen ? -1 : alen > blen;
}

static int sort_cmp(const void *x, const void *y, void *arg)
{
	const struct sitem *a = x, *b = y;
	const struct sort_ctx *s = arg;
	int cmp;

	if (!s->alpha) {
		if (a->score != b->score)
			cmp = a->score > b->score ? 1 : -1;
		else
			cmp = bin_cmp(a->p, a->len, b->p, b->len);
	} else if (s->by) {
		if (!a->cmp || !b->cmp)
			cmp = a->cmp == b->cmp ? 0 : !a->cmp ? -1 : 1;
		else if (s->store)
			cmp = bin_cmp(a->cmp, a->cmplen, b->cmp, b->cmplen);
		else
			cmp = strcmp(a->cmp, b->cmp);
	} else {
		cmp = s->store ? bin_cmp(a->p, a->len, b->p, b->len) :
				 strcmp(a->p, b->p);
	}
	return s->desc ? -cmp : cmp;
}

/*
 * The value pattern names for element el (lookupKeyByPattern()): the
 * element for "#", a string key or a hash field with '*' replaced; NULL
 * (*err 0) when there is none, NULL with *err set on a failure.  The
 * pattern is read up to a NUL byte, as Redis's strchr() reads it.
 */
static char *pat_value(struct conn *c, struct sort_run *run,
		       const struct arg *pat, const struct sitem *el,
		       void *hbuf, size_t hroom, size_t *vlen, int *err)
{
	size_t plen = strnlen(pat->p, pat->len), pre, post, flen = 0;
	const char *star, *field = NULL;
	char key[KC_KEY_MAX];
	struct kc_op op;
	char *val;
	size_t klen;

	*err = 0;
	if (plen == 1 && pat->p[0] == '#') {
		*vlen = el->len;
		return memdupz(el->p, el->len);
	}
	star = memchr(pat->p, '*', plen);
	if (!star)
		return NULL;
	for (field = star + 1; field + 1 < pat->p + plen; field++)
		if (field[0] == '-' && field[1] == '>')
			break;
	if (field + 2 < pat->p + plen && field[0] == '-' && field[1] == '>')
		flen = (size_t)(pat->p + plen - (field + 2));
	else
		field = NULL;
	pre = (size_t)(star - pat->p);
	post = plen - pre - 1 - (field ? flen + 2 : 0);
	klen = pre + el->len + post;
	if (!klen || klen > KC_KEY_MAX)
		return NULL;	/* no such key can exist in kcache */
	memcpy(key, pat->p, pre);
	memcpy(key + pre, el->p, el->len);
	memcpy(key + pre + el->len, star + 1, post);
	/* A string key, or a hash field: one op into hbuf, then a copy. */
	kc_op_init(&op, field ? KC_OP_HGET : KC_OP_GET);
	kc_op_key(&op, key, klen);
	if (field)
		kc_op_val(&op, field + 2, flen);
	kc_op_out(&op, hbuf, hroom);
	if (!sort_watch(run, key, klen, true, err))
		return NULL;
	*err = eng_do(E(c), &op);
	if (*err == -ENOENT || *err == -EPROTOTYPE) {
		*err = 0;
		return NULL;	/* missing, or of another type */
	}
	if (*err)
		return NULL;
	*vlen = op.out_used;
	val = memdupz(hbuf, op.out_used);
	if (!val)
		*err = -ENOMEM;
	return val;
}

/* Parses the options; false when a reply (an error) was sent. */
static bool sort_parse(struct conn *c, struct sort_run *run,
		       struct arg *argv, size_t argc, struct sort_opts *o)
{
	size_t j;

	for (j = 2; j < argc; j++) {
		size_t left = argc - j - 1;

		if (arg_eq(&argv[j], "asc")) {
			o->desc = false;
		} else if (arg_eq(&argv[j], "desc")) {
			o->desc = true;
		} else if (arg_eq(&argv[j], "alpha")) {
			o->alpha = true;
		} else if (arg_eq(&argv[j], "limit") && left >= 2) {
			if (!resp_str2ll(argv[j + 1].p, argv[j + 1].len, &o->start) ||
			    !resp_str2ll(argv[j + 2].p, argv[j + 2].len, &o->count)) {
				resp_error(run->o, "ERR value is not an integer or out of range");
				return false;
			}
			j += 2;
		} else if (!o->ro && arg_eq(&argv[j], "store") && left >= 1) {
			o->store = &argv[++j];
		} else if (arg_eq(&argv[j], "by") && left >= 1) {
			o->by = &argv[++j];
			o->dontsort = !memchr(o->by->p, '*',
					      strnlen(o->by->p, o->by->len));
		} else if (arg_eq(&argv[j], "get") && left >= 1) {
			o->get[o->ngets++] = &argv[++j];
		} else {
			resp_error(run->o, "ERR syntax error");
			return false;
		}
	}
	(void)c;
	return true;
}

/*
 * The reply of a result stored in one transaction (SORT ... STORE, BITOP):
 * the first error but the first op's -ENOENT (its DEL of the old value),
 * else the count in r->a.
 */
void r_stored_count(struct conn *c, struct rec *r, struct kc_op *ops)
{
	uint32_t i;

	for (i = 0; i < r->nops; i++) {
		if (ops[i].result && !(i == 0 && ops[i].result == -ENOENT)) {
			reply_kerr(&c->out, ops[i].result);
			return;
		}
	}
	resp_int(&c->out, r->a);
}

static void sort_store(struct conn *c, const struct arg *dst, char **vals,
		       size_t *lens, size_t n)
{
	struct engine *e = E(c);
	struct kc_op *op;
	struct kc_buf *kb;
	struct rec *r;
	size_t i, k;
	int err;

	eng_txn_begin(e);
	r = eng_rec(e, c, r_stored_count, n * sizeof(*kb));
	r->a = (int64_t)n;
	op = eng_op(e, r, KC_OP_DEL);
	kc_op_key(op, dst->p, dst->len);
	kb = n ? eng_alloc(e, n * sizeof(*kb)) : NULL;
	for (i = 0; i < n; i++)
		kc_buf_set(&kb[i], vals[i] ? vals[i] : "", vals[i] ? lens[i] : 0);
	for (i = 0; i < n; i += k) {
		k = n - i < KC_ARGS_MAX ? n - i : KC_ARGS_MAX;
		op = eng_op(e, r, KC_OP_RPUSH);
		kc_op_key(op, dst->p, dst->len);
		kc_op_args(op, kb + i, k);
	}
	err = eng_txn_run(e, NULL, 0);
	if (!err)
		eng_txn_render(e);
	else
		reply_kerr(&c->out, err);
}

static void items_free(struct sitem *it, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(it[i].p);
		free(it[i].cmp);
	}
	free(it);
}

/* The elements of v to sort: a sorted set's members, in score order. */
static struct sitem *items_of(const struct value *v, size_t *np)
{
	size_t step = v->type == KC_TYPE_ZSET ? 2 : 1, n = v->n / step, i;
	struct sitem *it = calloc(n ? n : 1, sizeof(*it));

	if (!it)
		return NULL;
	for (i = 0; i < n; i++) {
		it[i].len = v->len[i * step];
		it[i].p = memdupz(v->p[i * step], it[i].len);
		if (!it[i].p) {
			items_free(it, i);
			return NULL;
		}
	}
	*np = n;
	return it;
}

/* Scores or compare values; false on a failure (replied). */
static bool sort_keys(struct conn *c, struct sort_run *run,
		      const struct sort_opts *o, struct sitem *it, size_t n,
		      void *hbuf, size_t hroom, bool *conv_err)
{
	size_t i, vlen;
	int err;

	for (i = 0; i < n; i++) {
		char *byval = it[i].p, *end;

		if (o->by) {
			byval = pat_value(c, run, o->by, &it[i], hbuf, hroom,
					  &vlen, &err);
			if (err) {
				reply_kerr(run->o, err);
				return false;
			}
			if (!byval)
				continue;	/* 0, or first with ALPHA */
		}
		if (o->alpha) {
			if (o->by) {
				it[i].cmp = byval;
				it[i].cmplen = vlen;
			}
			continue;
		}
		errno = 0;
		it[i].score = strtod(byval, &end);
		if (*end || errno == ERANGE || isnan(it[i].score))
			*conv_err = true;
		if (o->by)
			free(byval);
	}
	return true;
}

static void sort_generic(struct conn *c, struct sort_run *run,
			 struct arg *argv, size_t argc, bool ro)
{
	struct sort_opts o = { .ro = ro, .count = -1 };
	size_t hroom = eng_val_room(), n = 0, i, g, out, k = 0, vlen;
	long long start, count, end;
	struct sitem *it = NULL;
	char **vals = NULL;
	size_t *lens = NULL;
	bool conv_err = false;
	void *hbuf = NULL;
	struct value v;
	int err;

	o.get = calloc(argc, sizeof(*o.get));
	if (!o.get) {
		reply_kerr(run->o, -ENOMEM);
		return;
	}
	if (!sort_parse(c, run, argv, argc, &o) ||
	    !key_check(run->o, &argv[1]) ||
	    (o.store && !key_check(run->o, o.store))) {
		free(o.get);
		return;
	}
	if (!sort_watch(run, argv[1].p, argv[1].len, false, &err)) {
		free(o.get);
		reply_kerr(run->o, err);
		return;
	}
	err = value_read(c, &argv[1], &v);
	if (err && err != -ENOENT) {
		free(o.get);
		reply_kerr(run->o, err);
		return;
	}
	if (!err && v.type != KC_TYPE_LIST && v.type != KC_TYPE_SET &&
	    v.type != KC_TYPE_ZSET) {
		free(o.get);
		value_free(&v);
		reply_kerr(run->o, -EPROTOTYPE);
		return;
	}
	if (!err) {
		it = items_of(&v, &n);
		if (o.dontsort && v.type == KC_TYPE_SET && o.store) {
			/* Redis sorts a stored set: the same result anywhere. */
			o.dontsort = false;
			o.alpha = true;
			o.by = NULL;
		}
		/* Not sorted: a list or sorted set in its order, or reversed. */
		if (it && o.dontsort && o.desc && v.type != KC_TYPE_SET) {
			for (i = 0; i < n / 2; i++) {
				struct sitem t = it[i];

				it[i] = it[n - 1 - i];
				it[n - 1 - i] = t;
			}
		}
		value_free(&v);
		if (!it) {
			free(o.get);
			reply_kerr(run->o, -ENOMEM);
			return;
		}
	}
	hbuf = malloc(hroom);
	if (!hbuf) {
		reply_kerr(run->o, -ENOMEM);
		goto out;
	}

	/* LIMIT as Redis bounds it. */
	start = o.start < 0 ? 0 : o.start > (long long)n ? (long long)n : o.start;
	count = o.count < -1 ? -1 : o.count > (long long)n ? (long long)n : o.count;
	end = count < 0 ? (long long)n - 1 : start + count - 1;
	if (start >= (long long)n) {
		start = (long long)n - 1;
		end = (long long)n - 2;
	}
	if (end >= (long long)n)
		end = (long long)n - 1;

	if (!o.dontsort && n) {
		struct sort_ctx s = {
			.desc = o.desc, .alpha = o.alpha, .by = o.by,
			.store = o.store,
		};

		if (!sort_keys(c, run, &o, it, n, hbuf, hroom, &conv_err))
			goto out;
		if (!conv_err)
			qsort_r(it, n, sizeof(*it), sort_cmp, &s);
	}
	if (conv_err) {
		resp_error(run->o, "ERR One or more scores can't be converted into double");
		goto out;
	}

	out = (size_t)(end - start + 1) * (o.ngets ? o.ngets : 1);
	if (o.store) {
		vals = calloc(out ? out : 1, sizeof(*vals));
		lens = calloc(out ? out : 1, sizeof(*lens));
		if (!vals || !lens) {
			reply_kerr(run->o, -ENOMEM);
			goto out;
		}
	} else {
		resp_array(run->o, out);
	}
	for (i = (size_t)start; (long long)i <= end; i++) {
		if (!o.ngets) {
			if (o.store) {
				vals[k] = memdupz(it[i].p, it[i].len);
				lens[k++] = it[i].len;
			} else {
				resp_bulk(run->o, it[i].p, it[i].len);
			}
		}
		for (g = 0; g < o.ngets; g++) {
			char *val = pat_value(c, run, o.get[g], &it[i], hbuf,
					      hroom, &vlen, &err);

			/* inside MULTI a read that is not watched stops it */
			if (err && (o.store || run->q)) {
				if (!o.store)
					run->o->len = 0;	/* not the array */
				reply_kerr(run->o, err);
				goto out;
			}
			if (o.store) {
				vals[k] = val;
				lens[k++] = val ? vlen : 0;
			} else if (val) {
				resp_bulk(run->o, val, vlen);
				free(val);
			} else {
				/* A failed read is a missing value here. */
				resp_null(run->o, run->proto);
			}
		}
	}
	if (o.store && run->q) {
		/* the transaction stores it (sort_plan()) */
		run->vals = vals;
		run->lens = lens;
		run->nvals = k;
		run->stored = true;
		vals = NULL;
		lens = NULL;
	} else if (o.store) {
		sort_store(c, o.store, vals, lens, k);
	}
out:
	if (vals)
		for (i = 0; i < k; i++)
			free(vals[i]);
	free(vals);
	free(lens);
	free(hbuf);
	free(o.get);
	items_free(it, n);
}

void cmd_sort(struct conn *c, struct arg *argv, size_t argc)
{
	struct sort_run run = { .o = rout(c), .proto = c->proto };

	sort_generic(c, &run, argv, argc, false);
}

void cmd_sort_ro(struct conn *c, struct arg *argv, size_t argc)
{
	struct sort_run run = { .o = rout(c), .proto = c->proto };

	sort_generic(c, &run, argv, argc, true);
}

/*
 * Inside MULTI: sorts now, watching what it reads (see the top).  p->out
 * is the reply (p->num -1), or with STORE the values to store, each a
 * size_t length and its bytes (p->num of them); a read that failed or an
 * error leaves its reply there too.
 */
bool sort_prepare(const struct txq *q, struct arg *argv, size_t argc,
		  struct txpre *p)
{
	struct buf o;
	struct sort_run run = { .o = &o, .proto = q->c->proto, .q = q, .p = p };
	bool ro = arg_eq(&argv[0], "sort_ro");
	size_t i;

	buf_init(&o);
	sort_generic(q->c, &run, argv, argc, ro);
	p->num = -1;
	if (run.stored) {
		o.len = o.off = 0;
		for (i = 0; i < run.nvals; i++) {
			size_t len = run.vals[i] ? run.lens[i] : 0;

			buf_add(&o, &len, sizeof(len));
			buf_add(&o, run.vals[i] ? run.vals[i] : "", len);
			free(run.vals[i]);
		}
		free(run.vals);
		free(run.lens);
		p->num = (int64_t)run.nvals;
	}
	if (o.oom) {
		buf_free(&o);
		return false;
	}
	p->olen = buf_avail(&o);
	p->out = malloc(p->olen ? p->olen : 1);
	if (!p->out) {
		buf_free(&o);
		return false;
	}
	memcpy(p->out, o.data + o.off, p->olen);
	buf_free(&o);
	return true;
}

void sort_plan(struct conn *c, struct arg *argv, size_t argc,
	       const struct txpre *p)
{
	const struct arg *dst = NULL;
	struct engine *e = E(c);
	size_t n = (size_t)p->num, i, k, at = 0;
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;

	if (p->num < 0) {
		buf_add(rout(c), p->out, p->olen);
		return;
	}
	for (i = 2; i + 1 < argc; i++)
		if (arg_eq(&argv[i], "store"))
			dst = &argv[i + 1];
	r = eng_rec(e, c, r_stored_count, n * sizeof(*kb) + p->olen);
	r->a = (int64_t)n;
	op = eng_op(e, r, KC_OP_DEL);
	kc_op_key(op, dst->p, dst->len);
	if (!n)
		return;
	kb = eng_alloc(e, n * sizeof(*kb));
	for (i = 0; i < n; i++) {
		size_t len;
		char *v;

		memcpy(&len, p->out + at, sizeof(len));
		at += sizeof(len);
		v = eng_alloc(e, len ? len : 1);
		memcpy(v, p->out + at, len);
		at += len;
		kc_buf_set(&kb[i], v, len);
	}
	for (i = 0; i < n; i += k) {
		k = n - i < KC_ARGS_MAX ? n - i : KC_ARGS_MAX;
		op = eng_op(e, r, KC_OP_RPUSH);
		kc_op_key(op, dst->p, dst->len);
		kc_op_args(op, kb + i, k);
	}
}
