// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking list and sorted-set commands (blocking.h has the design).
 * Every list command here runs its non-blocking kernel op (KC_OP_LMPOP,
 * KC_OP_LMOVE) through the engine first; inside MULTI that is all (Redis
 * never blocks there).  Outside, the engine is flushed at once, and a
 * miss parks the client with a copy of what it waits for.  Retries use
 * eng_do() with the worker's own buffers.  The sorted-set pops (BZPOPMIN,
 * BZPOPMAX, BZMPOP) have no kernel op: they try, and retry, with
 * zset_mpop() (a small transaction, redis_zset.c), and inside MULTI EXEC
 * prepares them as it prepares ZMPOP.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "libkcache.h"
#include "blocking.h"
#include "notify.h"
#include "redis.h"
#include "server.h"

/* BK_ZPOP1 and BK_ZMPOP: num is the count, num2 1 for MAX. */
enum bk_kind { BK_POP1, BK_MPOP, BK_MOVE, BK_ZPOP1, BK_ZMPOP };

struct blk {
	struct conn *c;
	struct worker *w;
	uint64_t seq;		/* order of parking, over all workers */
	enum bk_kind kind;
	uint32_t opcode;	/* KC_OP_LMPOP, KC_OP_LMOVE; 0: a zset pop */
	uint32_t db;		/* the database it waits in, as it blocked */
	int64_t num, num2;
	size_t nkeys;		/* keys waited on (LMOVE: the source) */
	struct kc_buf *keys;	/* into the same allocation */
	struct kc_buf dst;	/* LMOVE */
	int64_t deadline;	/* CLOCK_MONOTONIC ms, 0: none */
	int unblock;		/* CLIENT UNBLOCK: 1 timeout, 2 error */
	struct blk *prev, *next;	/* the FIFO */
};

static pthread_mutex_t blk_mu = PTHREAD_MUTEX_INITIALIZER;
static struct blk *fifo_head, *fifo_tail;
static uint64_t blk_seq;
static long blk_n;

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

/* A positive count or numkeys, as Redis's getRangeLongFromObject. */
static bool parse_pos(const struct arg *a, long long *v)
{
	return resp_str2ll(a->p, a->len, v) && *v >= 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long blk_count(void)
{
	return __atomic_load_n(&blk_n, __ATOMIC_RELAXED);
}

bool blk_parked(const struct conn *c)
{
	return c->blk != NULL;
}

/* ------------------------------------------------------------ replies */

/* A timeout (or CLIENT UNBLOCK): Redis 7.0 answers a null array to all. */
static void timeout_reply(struct conn *c)
{
	resp_null_array(&c->out, c->proto);
}

static void null_reply(struct conn *c, enum bk_kind kind)
{
	if (kind == BK_MOVE)
		resp_null(&c->out, c->proto);
	else
		resp_null_array(&c->out, c->proto);
}

/* The reply of a successful op (result 0). */
static void ok_reply(struct conn *c, enum bk_kind kind, const struct kc_op *op)
{
	const struct kc_elem *el;
	struct kc_elem_iter it;
	const void *data;
	size_t n, i = 0;

	if (kind == BK_MOVE) {
		resp_bulk(&c->out, (const void *)(uintptr_t)op->out,
			  op->out_used);
		return;
	}
	n = (size_t)op->num;
	kc_elem_iter_init(&it, (const void *)(uintptr_t)op->out, op->out_used, n);
	resp_array(&c->out, 2);
	while ((el = kc_elem_next(&it, &data))) {
		resp_bulk(&c->out, data, el->len);
		if (i++ == 0 && kind == BK_MPOP)
			resp_array(&c->out, n - 1);
	}
}

static void op_reply(struct conn *c, enum bk_kind kind, const struct kc_op *op)
{
	if (!op->result)
		ok_reply(c, kind, op);
	else if (op->result == -ENOENT)
		null_reply(c, kind);
	else
		reply_kerr(&c->out, op->result);
}

/* ------------------------------------------------------------ the FIFO */

/*
 * Keys are waited on per database: a client waiting on "q" in database 1
 * does not queue behind one waiting on "q" in database 0.
 */

/* Kicks the worker of the oldest client waiting on key, unless it is me. */
static void kick_head(const struct kc_buf *key, uint32_t db,
		      struct worker *me)
{
	struct blk *b;
	size_t i;

	for (b = fifo_head; b; b = b->next)
		for (i = 0; i < b->nkeys; i++)
			if (b->db == db && b->keys[i].len == key->len &&
			    !memcmp((void *)(uintptr_t)b->keys[i].ptr,
				    (void *)(uintptr_t)key->ptr, key->len)) {
				if (b->w != me)
					server_worker_kick(b->w);
				else
					__atomic_store_n(&me->blk_kick, 1,
							 __ATOMIC_RELAXED);
				return;
			}
}

/* Is b the oldest client waiting on its i-th key?  Under blk_mu. */
static bool is_head(const struct blk *b, size_t i)
{
	const struct kc_buf *k = &b->keys[i];
	const struct blk *o;
	size_t j;

	for (o = fifo_head; o != b; o = o->next)
		for (j = 0; j < o->nkeys; j++)
			if (o->db == b->db && o->keys[j].len == k->len &&
			    !memcmp((void *)(uintptr_t)o->keys[j].ptr,
				    (void *)(uintptr_t)k->ptr, k->len))
				return false;
	return true;
}

/* Does anyone wait on key in database db?  Under blk_mu. */
static bool has_waiter(const struct arg *key, uint32_t db)
{
	const struct blk *o;
	size_t j;

	for (o = fifo_head; o; o = o->next)
		for (j = 0; j < o->nkeys; j++)
			if (o->db == db && o->keys[j].len == key->len &&
			    !memcmp((void *)(uintptr_t)o->keys[j].ptr, key->p,
				    key->len))
				return true;
	return false;
}

static void park(struct conn *c, struct blk *b)
{
	b->c = c;
	b->w = c->w;
	pthread_mutex_lock(&blk_mu);
	b->seq = ++blk_seq;
	b->prev = fifo_tail;
	b->next = NULL;
	if (fifo_tail)
		fifo_tail->next = b;
	else
		fifo_head = b;
	fifo_tail = b;
	blk_n++;
	pthread_mutex_unlock(&blk_mu);
	c->blk = b;
	c->w->nblocked++;
	/* Re-arm the kernel wait with this client's keys too. */
	__atomic_store_n(&c->w->blk_kick, 1, __ATOMIC_RELAXED);
}

/* Takes c off the FIFO; the next waiters on its keys get their turn. */
static void unpark(struct conn *c)
{
	struct blk *b = c->blk;
	size_t i;

	if (!b)
		return;
	pthread_mutex_lock(&blk_mu);
	if (b->prev)
		b->prev->next = b->next;
	else
		fifo_head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		fifo_tail = b->prev;
	blk_n--;
	for (i = 0; i < b->nkeys; i++)
		kick_head(&b->keys[i], b->db, c->w);
	pthread_mutex_unlock(&blk_mu);
	c->blk = NULL;
	c->w->nblocked--;
	free(b);
}

void blk_conn_gone(struct conn *c)
{
	unpark(c);
}

bool blk_unblock(uint64_t id, bool error)
{
	struct blk *b;
	bool found = false;

	pthread_mutex_lock(&blk_mu);
	for (b = fifo_head; b; b = b->next)
		if (b->c->id == id && !b->unblock) {
			__atomic_store_n(&b->unblock, error ? 2 : 1,
					 __ATOMIC_RELAXED);
			server_worker_kick(b->w);
			found = true;
			break;
		}
	pthread_mutex_unlock(&blk_mu);
	return found;
}

/* ------------------------------------------------------------ commands */

/*
 * Redis's timeout argument (seconds, a long double): "0" waits forever.
 * NULL, or Redis's error.
 */
static const char *timeout_err(const struct arg *a, int64_t *ms)
{
	char buf[128], *end;
	long double v;
	long long t;

	if (!a->len || a->len >= sizeof(buf) || a->p[0] == ' ' ||
	    (a->p[0] >= '\t' && a->p[0] <= '\r'))
		return "ERR timeout is not a float or out of range";
	memcpy(buf, a->p, a->len);
	buf[a->len] = 0;
	errno = 0;
	v = strtold(buf, &end);
	if (end != buf + a->len || errno == ERANGE || isnan(v))
		return "ERR timeout is not a float or out of range";
	/* Redis rounds up: 0.001 is 1 ms, not 0 (forever). */
	v = ceill(v * 1000.0L);
	/* As (long long) on x86-64: out of range becomes LLONG_MIN. */
	t = (v >= -9223372036854775808.0L && v < 9223372036854775808.0L) ?
	    (long long)v : LLONG_MIN;
	if (t < 0)
		return "ERR timeout is negative";
	/* Redis 7.0 adds it to the time unchecked: too far is forever. */
	*ms = t > LLONG_MAX / 2 ? 0 : t;
	return NULL;
}

/* The same, false after writing the error. */
static bool parse_timeout(struct conn *c, const struct arg *a, int64_t *ms)
{
	const char *err = timeout_err(a, ms);

	if (err)
		reply_err(c, err);
	return !err;
}

/* LEFT or RIGHT: 0 or 1; -1 after the syntax error. */
static int parse_where(struct conn *c, const struct arg *a)
{
	if (arg_eq(a, "left"))
		return 0;
	if (arg_eq(a, "right"))
		return 1;
	reply_err(c, "ERR syntax error");
	return -1;
}

/* A copy of what a client waits for (keys and dst into one allocation). */
static struct blk *blk_new(enum bk_kind kind, uint32_t opcode,
			   const struct arg *keys, size_t nkeys,
			   const struct arg *dst, int64_t num, int64_t num2,
			   int64_t timeout)
{
	size_t bytes = sizeof(struct blk) + nkeys * sizeof(struct kc_buf), i;
	struct blk *b;
	char *p;

	for (i = 0; i < nkeys; i++)
		bytes += keys[i].len;
	if (dst)
		bytes += dst->len;
	b = calloc(1, bytes);
	if (!b)
		return NULL;
	b->kind = kind;
	b->opcode = opcode;
	b->num = num;
	b->num2 = num2;
	b->nkeys = nkeys;
	b->keys = (struct kc_buf *)(b + 1);
	p = (char *)(b->keys + nkeys);
	for (i = 0; i < nkeys; i++) {
		memcpy(p, keys[i].p, keys[i].len);
		kc_buf_set(&b->keys[i], p, keys[i].len);
		p += keys[i].len;
	}
	if (dst) {
		memcpy(p, dst->p, dst->len);
		kc_buf_set(&b->dst, p, dst->len);
	}
	b->deadline = timeout ? now_ms() + timeout : 0;
	return b;
}

/* The first try's reply, or parks the client (r->p: its struct blk). */
static void r_first(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct blk *b = (struct blk *)r->p;

	if (b && ops[0].result == -ENOENT && !c->closing && !c->dead) {
		park(c, b);
		return;
	}
	free(b);
	op_reply(c, (enum bk_kind)r->a, &ops[0]);
}

/*
 * Plans the op; a blocking command outside MULTI runs it at once, so that
 * a miss parks the client before its next command is read.
 */
static void start(struct conn *c, enum bk_kind kind, uint32_t opcode,
		  struct arg *keys, size_t nkeys, const struct arg *dst,
		  int64_t num, int64_t num2, bool blocking, int64_t timeout)
{
	struct engine *e = E(c);
	size_t room = kind == BK_MOVE ? eng_val_room() : eng_multi_room();
	struct blk *b = NULL;
	size_t i, n = 0, ntry = 0;
	bool *skip = NULL;
	struct kc_buf *kb;
	struct kc_op *op;
	struct rec *r;

	for (i = 0; i < nkeys; i++)
		if (!key_ok(c, &keys[i]))
			return;
	if (dst && !key_ok(c, dst))
		return;
	if (!nargs_ok(c, nkeys))
		return;
	blocking = blocking && !e->txn;
	if (blocking) {
		b = blk_new(kind, opcode, keys, nkeys, dst, num, num2, timeout);
		if (!b) {
			reply_err(c, "ERR out of memory");
			return;
		}
		b->db = e->db;
		/*
		 * Clients already waiting on a key come first: only keys
		 * nobody waits on are tried (in Redis the others are empty
		 * lists); with none left, wait behind them.
		 */
		skip = calloc(nkeys, sizeof(*skip));
		if (!skip) {
			free(b);
			reply_err(c, "ERR out of memory");
			return;
		}
		pthread_mutex_lock(&blk_mu);
		for (i = 0; i < nkeys; i++) {
			skip[i] = has_waiter(&keys[i], b->db);
			ntry += !skip[i];
		}
		pthread_mutex_unlock(&blk_mu);
		if (!ntry) {
			free(skip);
			eng_flush(e);
			park(c, b);
			return;
		}
	}
	r = eng_rec(e, c, r_first, room + (nkeys + 1) * sizeof(struct kc_buf));
	r->a = kind;
	r->p = b;
	op = eng_op(e, r, opcode);
	if (opcode == KC_OP_LMOVE) {
		kc_op_key(op, keys[0].p, keys[0].len);
		kb = eng_alloc(e, sizeof(*kb));
		kc_buf_set(kb, dst->p, dst->len);
		kc_op_args(op, kb, 1);
	} else {
		kb = eng_alloc(e, nkeys * sizeof(*kb));
		for (i = 0; i < nkeys; i++)
			if (!skip || !skip[i])
				kc_buf_set(&kb[n++], keys[i].p, keys[i].len);
		kc_op_args(op, kb, n);
	}
	free(skip);
	op->num = num;
	op->num2 = num2;
	kc_op_out(op, eng_alloc(e, room), room);
	if (blocking)
		eng_flush(e);
}

/* BLPOP key [key ...] timeout; BRPOP likewise. */
void cmd_bpop(struct conn *c, struct arg *argv, size_t argc)
{
	int64_t ms;

	if (!parse_timeout(c, &argv[argc - 1], &ms))
		return;
	start(c, BK_POP1, KC_OP_LMPOP, argv + 1, argc - 2, NULL, 1,
	      (argv[0].p[1] | 0x20) == 'r', true, ms);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT n]; BLMPOP timeout ... */
void cmd_lmpop(struct conn *c, struct arg *argv, size_t argc)
{
	bool blocking = (argv[0].p[0] | 0x20) == 'b';
	size_t at = blocking ? 2 : 1, where_at, j;
	long long numkeys, count = -1;
	int64_t ms = 0;
	int where;

	if (blocking && !parse_timeout(c, &argv[1], &ms))
		return;
	if (!parse_pos(&argv[at], &numkeys)) {
		reply_err(c, "ERR numkeys should be greater than 0");
		return;
	}
	if ((size_t)numkeys >= argc - at) {
		reply_err(c, "ERR syntax error");
		return;
	}
	where_at = at + (size_t)numkeys + 1;
	if (where_at >= argc) {
		reply_err(c, "ERR syntax error");
		return;
	}
	where = parse_where(c, &argv[where_at]);
	if (where < 0)
		return;
	for (j = where_at + 1; j < argc; j++) {
		if (count == -1 && arg_eq(&argv[j], "count") && j + 1 < argc) {
			j++;
			if (!parse_pos(&argv[j], &count)) {
				reply_err(c, "ERR count should be greater than 0");
				return;
			}
		} else {
			reply_err(c, "ERR syntax error");
			return;
		}
	}
	if (count == -1)
		count = 1;
	start(c, BK_MPOP, KC_OP_LMPOP, argv + at + 1, (size_t)numkeys, NULL,
	      count, where, blocking, ms);
}

/*
 * LMOVE src dst LEFT|RIGHT LEFT|RIGHT; BLMOVE ... timeout;
 * RPOPLPUSH src dst; BRPOPLPUSH src dst timeout.
 */
void cmd_lmove(struct conn *c, struct arg *argv, size_t argc)
{
	bool blocking = (argv[0].p[0] | 0x20) == 'b';
	bool rpl = (argv[0].p[blocking ? 1 : 0] | 0x20) == 'r';
	int from = 1, to = 0;
	int64_t ms = 0;

	(void)argc;		/* the table's arity fixes it */
	if (rpl) {
		if (blocking && !parse_timeout(c, &argv[3], &ms))
			return;
	} else {
		from = parse_where(c, &argv[3]);
		if (from < 0)
			return;
		to = parse_where(c, &argv[4]);
		if (to < 0)
			return;
		if (blocking && !parse_timeout(c, &argv[5], &ms))
			return;
	}
	start(c, BK_MOVE, KC_OP_LMOVE, &argv[1], 1, &argv[2], from, to,
	      blocking, ms);
}

/* ------------------------------------------------------------ zsets */

static int zform(enum bk_kind kind)
{
	return kind == BK_ZPOP1 ? ZM_BPOP : ZM_MPOP;
}

/*
 * Tries the keys nobody waits on (as start() does) with zset_mpop(), and
 * parks the client when every one is missing.
 */
static void zstart(struct conn *c, enum bk_kind kind, const struct zmpop *z,
		   int64_t timeout, const char *name)
{
	size_t i, n = 0, which = 0;
	struct arg *try;
	struct kc_op op;
	struct blk *b;
	int err, answered;
	void *out;

	if (!zmpop_keys_ok(c, z))
		return;
	b = blk_new(kind, 0, z->keys, z->nkeys, NULL, z->count, z->max,
		    timeout);
	try = calloc(z->nkeys, sizeof(*try));
	if (!b || !try) {
		free(b);
		free(try);
		reply_err(c, "ERR out of memory");
		return;
	}
	b->db = E(c)->db;
	pthread_mutex_lock(&blk_mu);
	for (i = 0; i < z->nkeys; i++)
		if (!has_waiter(&z->keys[i], b->db))
			try[n++] = z->keys[i];
	pthread_mutex_unlock(&blk_mu);
	if (n) {
		err = zset_mpop(c, try, n, z->max, z->count, &op, &out, &which);
		answered = zset_mpop_answer(c, rout(c), try, err, &op, which,
					    zform(kind), name);
		free(out);
		if (answered) {
			free(try);
			free(b);
			return;
		}
	}
	free(try);
	if (c->closing || c->dead) {
		free(b);
		resp_null_array(rout(c), c->proto);
		return;
	}
	park(c, b);
}

/* BZPOPMIN, BZPOPMAX key [key ...] timeout: NULL or the error. */
static const char *bzpop_parse(struct arg *argv, size_t argc,
			       struct zmpop *z, int64_t *ms)
{
	const char *err = timeout_err(&argv[argc - 1], ms);

	z->keys = argv + 1;
	z->nkeys = argc - 2;
	z->max = (argv[0].p[6] | 0x20) == 'a';
	z->count = 1;
	return err;
}

/* BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT n]. */
static const char *bzmpop_parse(struct arg *argv, size_t argc,
				struct zmpop *z, int64_t *ms)
{
	const char *err = timeout_err(&argv[1], ms);

	return err ? err : zmpop_parse(argv, argc, 2, z);
}

void cmd_bzpop(struct conn *c, struct arg *argv, size_t argc)
{
	const char *err;
	struct zmpop z;
	int64_t ms;

	err = bzpop_parse(argv, argc, &z, &ms);
	if (err)
		reply_err(c, err);
	else
		zstart(c, BK_ZPOP1, &z, ms, z.max ? "BZPOPMAX" : "BZPOPMIN");
}

void cmd_bzmpop(struct conn *c, struct arg *argv, size_t argc)
{
	const char *err;
	struct zmpop z;
	int64_t ms;

	err = bzmpop_parse(argv, argc, &z, &ms);
	if (err)
		reply_err(c, err);
	else
		zstart(c, BK_ZMPOP, &z, ms, "BZMPOP");
}

/* Inside MULTI they never block: prepared by EXEC as ZMPOP is. */
bool bzpop_prepare(const struct txq *q, struct arg *argv, size_t argc,
		   struct txpre *p)
{
	struct zmpop z;
	int64_t ms;

	if (bzpop_parse(argv, argc, &z, &ms))
		return true;
	return zmpop_prepare_keys(q, &z, p);
}

void bzpop_plan(struct conn *c, struct arg *argv, size_t argc,
		const struct txpre *p)
{
	const char *err;
	struct zmpop z;
	int64_t ms;

	err = bzpop_parse(argv, argc, &z, &ms);
	if (err)
		reply_err(c, err);
	else
		zmpop_plan_keys(c, &z, ZM_BPOP, p);
}

bool bzmpop_prepare(const struct txq *q, struct arg *argv, size_t argc,
		    struct txpre *p)
{
	struct zmpop z;
	int64_t ms;

	if (bzmpop_parse(argv, argc, &z, &ms))
		return true;
	return zmpop_prepare_keys(q, &z, p);
}

void bzmpop_plan(struct conn *c, struct arg *argv, size_t argc,
		 const struct txpre *p)
{
	const char *err;
	struct zmpop z;
	int64_t ms;

	err = bzmpop_parse(argv, argc, &z, &ms);
	if (err)
		reply_err(c, err);
	else
		zmpop_plan_keys(c, &z, ZM_MPOP, p);
}

/*
 * A parked zset pop on the keys it heads; true when it was answered.  A
 * key of another type leaves it waiting, as for the lists.
 */
static bool try_zserve(struct conn *c, const struct kc_buf *heads, size_t nh,
		       bool *progress)
{
	struct blk *b = c->blk;
	size_t i, which = 0;
	struct kc_op op;
	struct arg *keys;
	void *out;
	int err;

	keys = calloc(nh, sizeof(*keys));
	if (!keys)
		return false;
	for (i = 0; i < nh; i++) {
		keys[i].p = (char *)(uintptr_t)heads[i].ptr;
		keys[i].len = heads[i].len;
	}
	err = zset_mpop(c, keys, nh, b->num2, b->num, &op, &out, &which);
	if (err == -ECANCELED)	/* it kept changing: again soon */
		server_worker_kick(c->w);
	if (err == -ENOENT || err == -EPROTOTYPE || err == -ECANCELED) {
		free(out);
		free(keys);
		return false;
	}
	zset_mpop_answer(c, &c->out, keys, err, &op, which, zform(b->kind),
			 "");
	free(out);
	free(keys);
	*progress = true;
	return true;
}

/* ------------------------------------------------------------ serving */

/*
 * Tells the kernel every key this worker's parked clients wait on.  Only
 * names: a push to the same name in another database wakes the worker
 * too, and the retry finds nothing (as for a shared wait queue).
 */
static void arm(struct worker *w)
{
	struct kc_buf *keys = NULL;
	size_t n = 0, cap = 0, i, off;
	struct kc_wait a = { .size = sizeof(a) };
	struct conn *c;

	for (c = server_worker_conns(); c; c = c->next) {
		if (!c->blk)
			continue;
		if (n + c->blk->nkeys > cap) {
			size_t ncap = (n + c->blk->nkeys) * 2;
			struct kc_buf *k = realloc(keys, ncap * sizeof(*k));

			if (!k)
				break;
			keys = k;
			cap = ncap;
		}
		for (i = 0; i < c->blk->nkeys; i++)
			keys[n++] = c->blk->keys[i];
	}
	off = 0;
	do {
		a.flags = off ? KC_WAIT_ADD : 0;
		a.nkeys = n - off > KC_WAIT_KEYS_MAX ? KC_WAIT_KEYS_MAX :
			  (uint32_t)(n - off);
		a.keys = (uint64_t)(uintptr_t)(keys + off);
		if (ioctl(w->kfd, KC_IOC_WAIT, &a) < 0) {
			log_warn("KC_IOC_WAIT: %s", strerror(errno));
			break;
		}
		off += a.nkeys;
	} while (off < n);
	free(keys);
}

/* Whether key holds a list (in the engine's database). */
static bool is_list(struct engine *e, const struct kc_buf *key)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_TYPE);
	kc_op_key(&op, (void *)(uintptr_t)key->ptr, key->len);
	return !eng_do(e, &op) && op.num == KC_TYPE_LIST;
}

/* Tries c's op on the keys it heads; true when it was answered. */
static bool try_serve(struct conn *c, bool *progress)
{
	struct blk *b = c->blk;
	struct engine *e = E(c);
	struct kc_buf *heads;
	size_t nh = 0, i, room = 64 * 1024;
	bool wrong_dst;
	struct kc_op op;
	void *out = NULL;
	int err;

	heads = malloc(b->nkeys * sizeof(*heads));
	if (!heads)
		return false;
	pthread_mutex_lock(&blk_mu);
	for (i = 0; i < b->nkeys; i++)
		if (is_head(b, i))
			heads[nh++] = b->keys[i];
	pthread_mutex_unlock(&blk_mu);
	if (!nh) {
		free(heads);
		return false;
	}
	/* In its own database, whatever the client or the engine did since. */
	e->db = b->db;
	if (!b->opcode) {
		bool done = try_zserve(c, heads, nh, progress);

		free(heads);
		return done;
	}
	for (;;) {
		free(out);
		out = malloc(room);
		if (!out)
			break;
		kc_op_init(&op, b->opcode);
		if (b->opcode == KC_OP_LMOVE) {
			kc_op_key(&op, (void *)(uintptr_t)heads[0].ptr,
				  heads[0].len);
			kc_op_args(&op, &b->dst, 1);
		} else {
			kc_op_args(&op, heads, nh);
		}
		op.num = b->num;
		op.num2 = b->num2;
		kc_op_out(&op, out, room);
		err = eng_do(e, &op);
		if (err == -ENOSPC && op.out_used > room) {
			room = op.out_used;
			continue;
		}
		break;
	}
	if (out && !err)	/* before heads go: they are op's args */
		notify_op(c, &op, NF_LIST);
	/*
	 * WRONGTYPE from LMOVE with a list at the source is the
	 * destination's: Redis answers it and unblocks the client, the
	 * element staying where it was.  A source that is no list is waited
	 * on, as in Redis.
	 */
	wrong_dst = out && op.result == -EPROTOTYPE &&
		    b->opcode == KC_OP_LMOVE && is_list(e, &heads[0]);
	free(heads);
	if (!out || op.result == -ENOENT ||
	    (op.result == -EPROTOTYPE && !wrong_dst) || (err && !op.result)) {
		free(out);
		return false;
	}
	op_reply(c, b->kind, &op);
	free(out);
	*progress = true;
	return true;
}

static void resume(struct conn *c)
{
	unpark(c);
	server_conn_resume(c);
}

void blk_kernel_ready(struct worker *w)
{
	__atomic_store_n(&w->blk_kick, 1, __ATOMIC_RELAXED);
}

int blk_service(struct worker *w, int dflt)
{
	int64_t now, next = 0;
	struct conn *c, *nx;
	bool progress;
	int rounds = 0;

	if (!w->nblocked && !w->kwait_armed &&
	    !__atomic_load_n(&w->blk_kick, __ATOMIC_RELAXED))
		return dflt;
	do {
		progress = false;
		if (__atomic_exchange_n(&w->blk_kick, 0, __ATOMIC_RELAXED)) {
			arm(w);
			w->kwait_armed = w->nblocked > 0;
			for (c = server_worker_conns(); c; c = nx) {
				nx = c->next;
				if (c->blk && !c->dead && try_serve(c, &progress))
					resume(c);
			}
		}
		now = now_ms();
		for (c = server_worker_conns(); c; c = nx) {
			nx = c->next;
			if (!c->blk || c->dead)
				continue;
			int how = __atomic_load_n(&c->blk->unblock, __ATOMIC_RELAXED);

			if (how == 2) {
				resp_error(&c->out, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
			} else if (how == 1 ||
				   (c->blk->deadline && c->blk->deadline <= now)) {
				timeout_reply(c);
			} else {
				continue;
			}
			progress = true;
			resume(c);
		}
	} while (progress && ++rounds < 64);
	next = dflt;
	for (c = server_worker_conns(); c; c = c->next)
		if (c->blk && c->blk->deadline &&
		    c->blk->deadline - now < next)
			next = c->blk->deadline - now < 0 ? 0 :
			       c->blk->deadline - now;
	return (int)next;
}
