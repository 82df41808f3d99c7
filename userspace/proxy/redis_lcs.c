// SPDX-License-Identifier: GPL-2.0
/*
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest
 * common subsequence of two strings, as redis-server 7.0 computes it.
 *
 * Both values are read with one GET each, in the same batch (or
 * transaction), and the table is built here: (len1 + 1) x (len2 + 1)
 * 32-bit cells, refused as Redis refuses it when that is more than
 * proto-max-bulk-len.  Redis checks the key types before it reads the
 * options, so an option error is kept in the record and answered only
 * when both keys hold strings (or are missing, which reads as "").
 * The matches of IDX come from the end of the strings backwards, each
 * range closed at the first step that leaves it, as Redis walks them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "libkcache.h"
#include "redis.h"
#include "resp.h"

enum { LCS_LEN = 1, LCS_IDX = 2, LCS_WITHLEN = 4 };

/* Option errors, in r->b, answered after the type check. */
static const char *const opt_err[] = {
	NULL,
	"ERR syntax error",
	"ERR value is not an integer or out of range",
	"ERR If you want both the length and indexes, please just use IDX.",
};

struct lcs_in {
	const unsigned char *a, *b;
	uint32_t alen, blen;
	uint32_t *t;		/* (alen + 1) x (blen + 1) */
};

#define T(in, i, j)	((in)->t[(size_t)(i) * ((in)->blen + 1) + (j)])

static void lcs_table(struct lcs_in *in)
{
	uint32_t i, j;

	for (i = 0; i <= in->alen; i++) {
		for (j = 0; j <= in->blen; j++) {
			if (!i || !j)
				T(in, i, j) = 0;
			else if (in->a[i - 1] == in->b[j - 1])
				T(in, i, j) = T(in, i - 1, j - 1) + 1;
			else
				T(in, i, j) = T(in, i - 1, j) > T(in, i, j - 1) ?
					      T(in, i - 1, j) : T(in, i, j - 1);
		}
	}
}

static void range_out(struct buf *o, uint32_t a0, uint32_t a1, uint32_t b0,
		      uint32_t b1, bool withlen)
{
	resp_array(o, withlen ? 3 : 2);
	resp_array(o, 2);
	resp_int(o, a0);
	resp_int(o, a1);
	resp_array(o, 2);
	resp_int(o, b0);
	resp_int(o, b1);
	if (withlen)
		resp_int(o, (long long)a1 - a0 + 1);
}

/*
 * Walks back from the end: the common subsequence into s (its length
 * bytes), and with ranges the matched ranges into o (counted in *n).
 */
static void lcs_walk(const struct lcs_in *in, unsigned char *s,
		     struct buf *o, long long minlen, bool withlen, size_t *n)
{
	uint32_t i = in->alen, j = in->blen, k = T(in, in->alen, in->blen);
	uint32_t a0 = in->alen, a1 = 0, b0 = 0, b1 = 0;	/* a0 == alen: none */

	while (i > 0 && j > 0) {
		bool emit = false;

		if (in->a[i - 1] == in->b[j - 1]) {
			s[--k] = in->a[i - 1];
			if (a0 == in->alen) {
				a0 = a1 = i - 1;
				b0 = b1 = j - 1;
			} else if (a0 == i && b0 == j) {
				a0--;
				b0--;
			} else {
				emit = true;
			}
			if (!a0 || !b0)
				emit = true;
			i--;
			j--;
		} else {
			if (T(in, i - 1, j) > T(in, i, j - 1))
				i--;
			else
				j--;
			if (a0 != in->alen)
				emit = true;
		}
		if (!emit)
			continue;
		if (o && (!minlen || (long long)a1 - a0 + 1 >= minlen)) {
			range_out(o, a0, a1, b0, b1, withlen);
			(*n)++;
		}
		a0 = in->alen;
	}
}

static void r_lcs(struct conn *c, struct rec *r, struct kc_op *ops)
{
	size_t max = __atomic_load_n(&cfg.max_bulk, __ATOMIC_RELAXED);
	struct lcs_in in = { 0 };
	unsigned long long cells;
	unsigned char *s;
	int i;

	for (i = 0; i < 2; i++) {
		if (ops[i].result == -EPROTOTYPE) {
			resp_error(&c->out, "ERR The specified keys must contain string values");
			return;
		}
	}
	for (i = 0; i < 2; i++) {
		if (ops[i].result && ops[i].result != -ENOENT) {
			reply_kerr(&c->out, ops[i].result);
			return;
		}
	}
	if (r->b) {
		resp_error(&c->out, opt_err[r->b]);
		return;
	}
	if (!ops[0].result) {
		in.a = (const void *)(uintptr_t)ops[0].out;
		in.alen = ops[0].out_used;
	}
	if (!ops[1].result) {
		in.b = (const void *)(uintptr_t)ops[1].out;
		in.blen = ops[1].out_used;
	}
	cells = (unsigned long long)(in.alen + 1) * (in.blen + 1);
	if (cells * sizeof(uint32_t) > (max ? max : 512ULL << 20)) {
		resp_error(&c->out, "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
		return;
	}
	in.t = malloc(cells * sizeof(uint32_t));
	s = malloc(in.alen < in.blen ? in.alen + 1 : in.blen + 1);
	if (!in.t || !s) {
		free(in.t);
		free(s);
		resp_error(&c->out, "ERR Insufficient memory, failed allocating transient memory for LCS");
		return;
	}
	lcs_table(&in);
	if (r->flags & LCS_IDX) {
		struct buf ranges = { 0 };
		size_t n = 0;

		lcs_walk(&in, s, &ranges, r->a, r->flags & LCS_WITHLEN, &n);
		resp_map(&c->out, 2, c->proto);
		resp_bulks(&c->out, "matches");
		resp_array(&c->out, n);
		buf_add(&c->out, ranges.data + ranges.off,
			ranges.len - ranges.off);
		resp_bulks(&c->out, "len");
		resp_int(&c->out, T(&in, in.alen, in.blen));
		buf_free(&ranges);
	} else if (r->flags & LCS_LEN) {
		resp_int(&c->out, T(&in, in.alen, in.blen));
	} else {
		lcs_walk(&in, s, NULL, 0, false, NULL);
		resp_bulk(&c->out, s, T(&in, in.alen, in.blen));
	}
	free(in.t);
	free(s);
}

void cmd_lcs(struct conn *c, struct arg *argv, size_t argc)
{
	struct engine *e = &c->w->eng;
	long long minlen = 0;
	struct rec *r;
	unsigned flags = 0, err = 0;
	size_t i;

	for (i = 3; i < argc && !err; i++) {
		if (arg_eq(&argv[i], "idx")) {
			flags |= LCS_IDX;
		} else if (arg_eq(&argv[i], "len")) {
			flags |= LCS_LEN;
		} else if (arg_eq(&argv[i], "withmatchlen")) {
			flags |= LCS_WITHLEN;
		} else if (arg_eq(&argv[i], "minmatchlen") && i + 1 < argc) {
			if (!resp_str2ll(argv[i + 1].p, argv[i + 1].len, &minlen))
				err = 2;
			else if (minlen < 0)
				minlen = 0;
			i++;
		} else {
			err = 1;
		}
	}
	if (!err && (flags & LCS_IDX) && (flags & LCS_LEN))
		err = 3;
	if (!key_ok(c, &argv[1]) || !key_ok(c, &argv[2]))
		return;
	r = eng_rec(e, c, r_lcs, 2 * eng_val_room());
	r->a = minlen;
	r->b = err;
	r->flags = flags;
	for (i = 1; i <= 2; i++) {
		struct kc_op *op = eng_op(e, r, KC_OP_GET);

		kc_op_key(op, argv[i].p, argv[i].len);
		eng_op_outval(e, op);
	}
}
