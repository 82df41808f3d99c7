// SPDX-License-Identifier: GPL-2.0
/*
 * Redis key iteration: SCAN, KEYS and RANDOMKEY over KC_OP_SCAN, and
 * SSCAN/HSCAN over SMEMBERS/HGETALL.
 *
 * The kernel's cursor is Redis's (reverse-binary bucket order, resize
 * safe, keys may repeat), 32 bits wide: a client's cursor is taken modulo
 * 2^32.  Patterns are matched here with Redis's own rules (glob.c); the
 * kernel's glob agrees with them except in sets ("[!a]", a missing ']'),
 * so a pattern is handed to the kernel as a pre-filter only when it has
 * no '['.  Over netlink a reply is at most 64 KiB: a SCAN whose reply
 * would be larger is run again with half the COUNT.  SSCAN and HSCAN
 * return the whole set or hash in one page with cursor 0, as Redis does
 * for small ones.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glob.h"
#include "libkcache.h"
#include "redis.h"

#define SCAN_COUNT_MAX		65536	/* the kernel's KC_SCAN_HOLD_MAX */
#define SCAN_NL_BUF		(128U << 10)	/* records of one netlink reply */
#define KEYS_COUNT		1000	/* KEYS: keys per kernel call */
#define RANDOM_COUNT		16	/* RANDOMKEY: keys looked at per call */

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

/* Redis's parseScanCursorOrReply(): strtoul() rules, no leading space. */
static bool scan_cursor(const struct arg *a, unsigned long long *v)
{
	const char *p = a->p, *end = a->p + a->len;
	unsigned long long n = 0;
	bool neg = false;

	/* strtoul() stops at a NUL: "" and "\0..." are cursor 0. */
	if (p == end || !*p) {
		*v = 0;
		return true;
	}
	if (isspace((unsigned char)*p))
		return false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p == end || !isdigit((unsigned char)*p))
		return false;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (n > (~0ULL - d) / 10)
			return false;	/* ERANGE */
		n = n * 10 + d;
	}
	if (p < end && *p)
		return false;
	*v = neg ? -n : n;
	return true;
}

static uint32_t type_of(const struct arg *a)
{
	static const char *const names[] = {
		[KC_TYPE_STRING] = "string", [KC_TYPE_LIST] = "list",
		[KC_TYPE_HASH] = "hash", [KC_TYPE_SET] = "set",
		[KC_TYPE_ZSET] = "zset",
	};
	uint32_t t;

	for (t = KC_TYPE_STRING; t <= KC_TYPE_MAX; t++)
		if (arg_eq(a, names[t]))
			return t;
	return KC_TYPE_NONE;
}

/* SCAN's options, as scanGenericCommand() parses them. */
struct scan_opts {
	long long count;
	const char *pat;	/* NULL: every key */
	size_t plen;
	bool has_type;
	uint32_t type;		/* KC_TYPE_NONE with has_type: no such type */
};

enum { OPT_OK, OPT_SYNTAX, OPT_NOTINT };

static int scan_opts(struct arg *argv, size_t argc, size_t i, bool keys,
		     struct scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->count = 10;
	for (; i < argc; i += 2) {
		bool next = i + 1 < argc;

		if (arg_eq(&argv[i], "count") && next) {
			if (!resp_str2ll(argv[i + 1].p, argv[i + 1].len,
					 &o->count))
				return OPT_NOTINT;
			if (o->count < 1)
				return OPT_SYNTAX;
		} else if (arg_eq(&argv[i], "match") && next) {
			o->pat = argv[i + 1].p;
			o->plen = argv[i + 1].len;
			if (glob_skip(o->pat, o->plen))
				o->pat = NULL;
		} else if (arg_eq(&argv[i], "type") && keys && next) {
			o->has_type = true;
			o->type = type_of(&argv[i + 1]);
		} else {
			return OPT_SYNTAX;
		}
	}
	return OPT_OK;
}

static void opt_error(struct buf *o, int err)
{
	if (err == OPT_NOTINT)
		resp_error(o, "ERR value is not an integer or out of range");
	else
		resp_error(o, "ERR syntax error");
}

/* Sets up op as KC_OP_SCAN from cursor with o's filters. */
static void scan_op(struct kc_op *op, unsigned long long cursor,
		    long long count, const struct scan_opts *o)
{
	op->num = (int64_t)(cursor & 0xffffffffULL);
	op->num2 = count > SCAN_COUNT_MAX ? SCAN_COUNT_MAX : count;
	op->client_flags = o->type;
	/*
	 * The kernel matches with the proxy's own glob (kmod/glob.c), so it
	 * filters any pattern it takes; a longer one is filtered here only.
	 */
	if (o->pat && o->plen <= KC_PATTERN_MAX)
		kc_op_val(op, o->pat, o->plen);
}

/* Walks the kc_elem records of a reply that has no count (SCAN's). */
struct recs {
	const char *p, *end;
};

static bool rec_next(struct recs *w, const char **data, size_t *len)
{
	struct kc_elem el;
	size_t step;

	if ((size_t)(w->end - w->p) < sizeof(el))
		return false;
	memcpy(&el, w->p, sizeof(el));
	step = sizeof(el) + (((size_t)el.len + KC_ELEM_ALIGN - 1) &
			     ~(size_t)(KC_ELEM_ALIGN - 1));
	if (step > (size_t)(w->end - w->p))
		return false;
	*data = w->p + sizeof(el);
	*len = el.len;
	w->p += step;
	return true;
}

static void recs_init(struct recs *w, const struct kc_op *op)
{
	w->p = (const char *)(uintptr_t)op->out;
	w->end = w->p + op->out_used;
}

static bool wanted(const char *pat, size_t plen, const char *s, size_t len)
{
	return !pat || glob_match(pat, plen, s, len);
}

/* ------------------------------------------------------------ SCAN */

/*
 * Over netlink a reply of more than 64 KiB is refused (-EMSGSIZE, the
 * cursor unmoved): op runs again now with half the COUNT until it fits.
 */
static int scan_smaller(struct engine *e, struct kc_op *op, char **buf)
{
	int err = op->result;

	*buf = malloc(SCAN_NL_BUF);
	if (!*buf)
		return -ENOMEM;
	while (err == -EMSGSIZE && op->num2 > 1) {
		op->num2 /= 2;
		kc_op_out(op, *buf, SCAN_NL_BUF);
		err = eng_do(e, op);
	}
	return err;
}

/* r->p, r->plen: the pattern (NULL: none). */
static void r_scan(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct kc_op *op = &ops[0], again;
	char *buf = NULL, cur[24];
	const char *s;
	struct recs w;
	size_t len, n = 0;
	int err = op->result;

	if (err == -EMSGSIZE && c->w->eng.nl) {
		again = *op;
		op = &again;
		err = scan_smaller(&c->w->eng, op, &buf);
	}
	if (err) {
		reply_kerr(&c->out, err);
		free(buf);
		return;
	}
	recs_init(&w, op);
	while (rec_next(&w, &s, &len))
		n += wanted(r->p, r->plen, s, len);
	resp_array(&c->out, 2);
	snprintf(cur, sizeof(cur), "%llu", (unsigned long long)op->num);
	resp_bulks(&c->out, cur);
	resp_array(&c->out, n);
	recs_init(&w, op);
	while (rec_next(&w, &s, &len))
		if (wanted(r->p, r->plen, s, len))
			resp_bulk(&c->out, s, len);
	free(buf);
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
void cmd_scan(struct conn *c, struct arg *argv, size_t argc)
{
	unsigned long long cursor;
	struct scan_opts o;
	struct kc_op *op;
	struct rec *r;
	int err;

	if (!scan_cursor(&argv[1], &cursor)) {
		reply_err(c, "ERR invalid cursor");
		return;
	}
	err = scan_opts(argv, argc, 2, true, &o);
	if (err) {
		opt_error(rout(c), err);
		return;
	}
	if (o.has_type && o.type == KC_TYPE_NONE) {
		/* No key has a type kcache does not know: the scan is over. */
		resp_array(rout(c), 2);
		resp_bulks(rout(c), "0");
		resp_array(rout(c), 0);
		return;
	}
	r = eng_rec(E(c), c, r_scan, eng_multi_room());
	op = eng_op(E(c), r, KC_OP_SCAN);
	scan_op(op, cursor, o.count, &o);
	kc_op_out(op, eng_alloc(E(c), eng_multi_room()), eng_multi_room());
	r->p = o.pat;
	r->plen = o.plen;
}

/* ------------------------------------------------------------ KEYS */

/* A set of byte strings, for KEYS: SCAN may return a key twice. */
struct keyset {
	struct buf bytes;	/* the keys, back to back */
	size_t *off;		/* key i: bytes.data + off[i], off[i+1] */
	size_t n, cap;
	uint32_t *slot;		/* open addressing: key index + 1, 0 free */
	size_t nslots;
};

static uint64_t ks_hash(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static const char *ks_key(const struct keyset *ks, size_t i, size_t *len)
{
	*len = ks->off[i + 1] - ks->off[i];
	return ks->bytes.data + ks->off[i];
}

static bool ks_grow(struct keyset *ks)
{
	size_t ns = ks->nslots ? ks->nslots * 2 : 1024, i, j, len;
	uint32_t *slot = calloc(ns, sizeof(*slot));

	if (!slot)
		return false;
	for (i = 0; i < ks->n; i++) {
		const char *k = ks_key(ks, i, &len);

		for (j = ks_hash(k, len) & (ns - 1); slot[j]; j = (j + 1) & (ns - 1))
			;
		slot[j] = (uint32_t)i + 1;
	}
	free(ks->slot);
	ks->slot = slot;
	ks->nslots = ns;
	return true;
}

/* Adds key unless present; false without memory. */
static bool ks_add(struct keyset *ks, const char *k, size_t len)
{
	size_t j, klen;

	if ((ks->n + 1) * 2 > ks->nslots && !ks_grow(ks))
		return false;
	if (ks->n >= UINT32_MAX - 1)
		return false;
	for (j = ks_hash(k, len) & (ks->nslots - 1); ks->slot[j];
	     j = (j + 1) & (ks->nslots - 1)) {
		const char *o = ks_key(ks, ks->slot[j] - 1, &klen);

		if (klen == len && !memcmp(o, k, len))
			return true;
	}
	if (ks->n + 2 > ks->cap) {
		size_t nc = ks->cap ? ks->cap * 2 : 1024;
		size_t *off = realloc(ks->off, nc * sizeof(*off));

		if (!off)
			return false;
		ks->off = off;
		ks->cap = nc;
		if (!ks->n)
			ks->off[0] = 0;
	}
	buf_add(&ks->bytes, k, len);
	if (ks->bytes.oom)
		return false;
	ks->off[ks->n + 1] = ks->bytes.len;
	ks->n++;
	ks->slot[j] = (uint32_t)ks->n;
	return true;
}

static void ks_free(struct keyset *ks)
{
	buf_free(&ks->bytes);
	free(ks->off);
	free(ks->slot);
}

/*
 * One KC_OP_SCAN call now, into *out (grown as needed); keeps halving
 * COUNT while the reply is too big for netlink.  0, or a kernel error.
 */
static int scan_call(struct engine *e, struct kc_op *op, uint64_t cursor,
		     long long count, const struct scan_opts *o, char **out,
		     size_t *cap)
{
	int err, tries;

	for (tries = 0; tries < 32; tries++) {
		kc_op_init(op, KC_OP_SCAN);
		scan_op(op, cursor, count, o);
		kc_op_out(op, *out, *cap);
		err = eng_do(e, op);
		if (err == -ENOSPC && op->out_used > *cap) {
			char *p = realloc(*out, op->out_used);

			if (!p)
				return -ENOMEM;
			*out = p;
			*cap = op->out_used;
			continue;
		}
		if (err == -EMSGSIZE && e->nl && count > 1) {
			count /= 2;
			continue;
		}
		return err;
	}
	return err;
}

/* KEYS pattern: the whole SCAN, deduplicated. */
void cmd_keys(struct conn *c, struct arg *argv, size_t argc)
{
	struct scan_opts o = { .pat = argv[1].p, .plen = argv[1].len };
	size_t cap = 256 * 1024, i, len;
	uint64_t cursor = 0;
	struct keyset ks;
	struct kc_op op;
	struct recs w;
	const char *s;
	char *out;
	int err = 0;

	(void)argc;
	if (glob_skip(o.pat, o.plen))
		o.pat = NULL;
	memset(&ks, 0, sizeof(ks));
	buf_init(&ks.bytes);
	out = malloc(cap);
	if (!out) {
		reply_err(c, "ERR out of memory");
		return;
	}
	do {
		err = scan_call(E(c), &op, cursor, KEYS_COUNT, &o, &out, &cap);
		if (err)
			break;
		recs_init(&w, &op);
		while (rec_next(&w, &s, &len))
			if (wanted(o.pat, o.plen, s, len) &&
			    !ks_add(&ks, s, len))
				err = -ENOMEM;
		cursor = (uint64_t)op.num;
	} while (!err && cursor);
	free(out);
	if (err == -ENOMEM) {
		reply_err(c, "ERR out of memory");
	} else if (err) {
		reply_kerr(rout(c), err);
	} else {
		resp_array(rout(c), ks.n);
		for (i = 0; i < ks.n; i++) {
			s = ks_key(&ks, i, &len);
			resp_bulk(rout(c), s, len);
		}
	}
	ks_free(&ks);
}

/* ------------------------------------------------------------ RANDOMKEY */

uint64_t rnd(void)
{
	static __thread uint64_t x;

	if (!x) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = ((uint64_t)ts.tv_sec * 1000000007ULL) ^
		    (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&x;
		x |= 1;
	}
	x ^= x << 13;	/* xorshift64 */
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/*
 * RANDOMKEY: SCAN from a random cursor until a call returns keys, then
 * one of them at random; round the whole keyspace at most once more.
 * Not uniform (keys in sparse parts of the index come up more often), as
 * Redis's own is not.
 */
void cmd_randomkey(struct conn *c, struct arg *argv, size_t argc)
{
	struct scan_opts o = { 0 };
	size_t cap = 64 * 1024, n, pick, len;
	uint64_t cursor = rnd() & 0xffffffffULL;
	bool wrapped = false;
	struct kc_op op;
	struct recs w;
	const char *s;
	char *out;
	int err;

	(void)argv;
	(void)argc;
	out = malloc(cap);
	if (!out) {
		reply_err(c, "ERR out of memory");
		return;
	}
	for (;;) {
		err = scan_call(E(c), &op, cursor, RANDOM_COUNT, &o, &out,
				&cap);
		if (err) {
			reply_kerr(rout(c), err);
			break;
		}
		recs_init(&w, &op);
		for (n = 0; rec_next(&w, &s, &len); n++)
			;
		if (n) {
			pick = (size_t)(rnd() % n);
			recs_init(&w, &op);
			while (rec_next(&w, &s, &len) && pick--)
				;
			resp_bulk(rout(c), s, len);
			break;
		}
		cursor = (uint64_t)op.num;
		if (!cursor) {
			/* From 0 the next pass covers every key. */
			if (wrapped) {
				resp_null(rout(c), c->proto);
				break;
			}
			wrapped = true;
		}
	}
	free(out);
}

/* ------------------------------------------------------------ SSCAN */

enum { XS_MATCH = 1 << 0, XS_HASH = 1 << 1, XS_ZSET = 1 << 2 };

/*
 * r->a: an option error to report once the key is known to exist (Redis
 * checks the key first); r->p, r->plen: the pattern (XS_MATCH).
 */
static void r_xscan(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const char *pat = (r->flags & XS_MATCH) ? r->p : NULL;
	size_t step = (r->flags & (XS_HASH | XS_ZSET)) ? 2 : 1, n = 0, i;
	size_t len, vlen;
	const char *s, *v;
	char score[64];
	struct recs w;

	if (ops[0].result == -ENOENT) {
		resp_array(&c->out, 2);
		resp_bulks(&c->out, "0");
		resp_array(&c->out, 0);
		return;
	}
	if (ops[0].result) {
		reply_kerr(&c->out, ops[0].result);
		return;
	}
	if (r->a) {
		opt_error(&c->out, (int)r->a);
		return;
	}
	recs_init(&w, &ops[0]);
	while (rec_next(&w, &s, &len)) {
		for (i = 1; i < step; i++)
			rec_next(&w, &v, &vlen);
		n += wanted(pat, r->plen, s, len);
	}
	resp_array(&c->out, 2);
	resp_bulks(&c->out, "0");
	resp_array(&c->out, n * step);
	recs_init(&w, &ops[0]);
	while (rec_next(&w, &s, &len)) {
		bool want = wanted(pat, r->plen, s, len);

		if (want)
			resp_bulk(&c->out, s, len);
		for (i = 1; i < step; i++) {
			if (!rec_next(&w, &v, &vlen) || !want)
				continue;
			if ((r->flags & XS_ZSET) && vlen == 8) {
				vlen = zset_score_str(v, score, sizeof(score));
				v = score;
			}
			resp_bulk(&c->out, v, vlen);
		}
	}
}

/* SSCAN/HSCAN key cursor [MATCH pattern] [COUNT count]: one page. */
void cmd_xscan(struct conn *c, struct arg *argv, size_t argc)
{
	bool hash = (argv[0].p[0] | 0x20) == 'h';
	bool zset = (argv[0].p[0] | 0x20) == 'z';
	unsigned long long cursor;
	struct scan_opts o;
	struct kc_op *op;
	struct rec *r;
	int err;

	if (!scan_cursor(&argv[2], &cursor)) {
		reply_err(c, "ERR invalid cursor");
		return;
	}
	if (!key_ok(c, &argv[1]))
		return;
	err = scan_opts(argv, argc, 3, false, &o);
	r = eng_rec(E(c), c, r_xscan, eng_multi_room() + 64);
	if (zset)
		op = zset_plan_all(c, r);
	else
		op = eng_op(E(c), r, hash ? KC_OP_HGETALL : KC_OP_SMEMBERS);
	if (hash)
		hash_order(op);
	kc_op_key(op, argv[1].p, argv[1].len);
	kc_op_out(op, eng_alloc(E(c), eng_multi_room()), eng_multi_room());
	r->a = err;
	r->flags = (hash ? XS_HASH : 0) | (zset ? XS_ZSET : 0) |
		   (o.pat ? XS_MATCH : 0);
	r->p = o.pat;
	r->plen = o.plen;
}
