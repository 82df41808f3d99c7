// SPDX-License-Identifier: GPL-2.0
/*
 * memcached commands, text and meta protocol, over kcache operations,
 * answered as memcached 1.6.18 answers them (its proto_text.c is the
 * reference: the same checks in the same order, the same texts).
 *
 * Expiry follows memcached: 0 never, negative already expired, up to 30
 * days relative seconds, larger an absolute unix time.  incr/decr use
 * memcached's unsigned 64-bit rules (incr wraps, decr stops at 0, a shorter
 * result is padded with spaces to the old length): the text protocol's
 * incr/decr are one kernel op with KC_INCR_UNSIGNED; the meta protocol's
 * ma (with its CAS check and auto-create) reads the value and writes the
 * result back with compare-and-swap, retrying when another client wins.
 *
 * A store that fails for size or memory drops the key's old value, as
 * memcached does (for set; for ms in every mode), so that no stale value
 * outlives a failed update: the proxy deletes the key after the failure.
 * Between the two a reader can still see the old value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "libkcache.h"
#include "conn.h"
#include "proxy.h"
#include "server.h"

#define MC_REL_MAX	(60 * 60 * 24 * 30)	/* memcached's REALTIME_MAXDELTA */
#define MC_TRIES	100
#define MC_VERSION_STR	"1.6.18-kcache-" PROXY_VERSION
#define MC_META_TOKENS	20			/* MFLAG_MAX_OPT_LENGTH */

/* A flush_all with a delay: the unix time it takes effect, 0 when none. */
static int64_t flush_at;

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

static struct buf *out(struct conn *c)
{
	return eng_out(E(c), c);
}

static void say(struct conn *c, const char *s)
{
	buf_adds(out(c), s);
}

/* memcached's out_string() with noreply set: nothing. */
static void say_nr(struct conn *c, bool noreply, const char *s)
{
	if (!noreply)
		say(c, s);
}

static bool tok_is(const struct arg *a, const char *s)
{
	size_t n = strlen(s);

	return a->len == n && !memcmp(a->p, s, n);
}

/* memcached's ntokens: the words plus its terminal token. */
static size_t mcn(const struct mc_req *q)
{
	return q->ntok + 1;
}

/* memcached's set_noreply_maybe(): the last word is "noreply". */
static bool noreply_last(const struct mc_req *q)
{
	return q->ntok > 1 && tok_is(&q->tok[q->ntok - 1], "noreply");
}

/* memcached exptime -> kc_op expire and TTL flags. */
static void exptime(int64_t v, int64_t *expire, uint32_t *flags)
{
	*flags = 0;
	*expire = v;
	if (v < 0) {
		*expire = 1;		/* 1970: already gone */
		*flags = KC_TTL_ABS;
	} else if (v > MC_REL_MAX) {
		*flags = KC_TTL_ABS;
	}
}

/*
 * An exptime that expires the item at once.  A GET that touches with one
 * is sent as GET then TOUCH: the kernel applies a GET's touch before it
 * copies the value out, and when that copy faults and the op is run again
 * the item is already gone (a kernel bug this works around).
 */
static bool exptime_past(int32_t v)
{
	return v < 0 || (v > MC_REL_MAX && (int64_t)v <= (int64_t)time(NULL));
}

/* The TTL memcached's "t" flag shows once exptime v is set. */
static int64_t ttl_of(int32_t v)
{
	if (!v)
		return -1;
	if (v > MC_REL_MAX)
		return (int64_t)v - (int64_t)time(NULL);
	return v;
}

static const char *kerr_text(int err)
{
	switch (-err) {
	case ENOMEM:
		return "SERVER_ERROR out of memory storing object\r\n";
	case E2BIG:
		return "SERVER_ERROR object too large for cache\r\n";
	case ENAMETOOLONG:
	case EINVAL:
		return "CLIENT_ERROR bad command line format\r\n";
	case EPERM:
		return "SERVER_ERROR kcache refused: the proxy needs CAP_SYS_ADMIN\r\n";
	case EMSGSIZE:
		return "SERVER_ERROR object too large for --transport netlink (65531 bytes); use --transport ioctl\r\n";
	case ENOBUFS:
		return "SERVER_ERROR lost the kernel's reply (netlink receive buffer overrun)\r\n";
	default:
		return NULL;
	}
}

static void kerr(struct buf *o, int err)
{
	const char *t = kerr_text(err);

	if (t)
		buf_adds(o, t);
	else
		buf_printf(o, "SERVER_ERROR kcache: %s\r\n", kc_strerror(err));
}

/* A delayed flush_all whose time has come runs before the next command. */
static void flush_due(struct conn *c)
{
	int64_t at = __atomic_load_n(&flush_at, __ATOMIC_RELAXED);
	struct kc_op op;

	if (!at || time(NULL) < at ||
	    !__atomic_compare_exchange_n(&flush_at, &at, 0, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	eng_flush(E(c));
	kc_op_init(&op, KC_OP_FLUSH);
	op.flags = KC_FLUSH_DB;		/* database 0, as flush_all() */
	if (eng_do(E(c), &op))
		log_warn("memcached: the delayed flush_all failed: %s",
			 kc_strerror(op.result));
}

/* Drops a key whose update failed for size or memory (see the top). */
static void drop_key(struct engine *e, const void *key, size_t klen)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_DEL);
	kc_op_key(&op, key, klen);
	eng_do(e, &op);
}

static void r_none(struct conn *c, struct rec *r, struct kc_op *ops)
{
	(void)c;
	(void)r;
	(void)ops;
}

/* Queues the delete of a key whose too-large value was refused. */
static void queue_drop(struct conn *c, const void *key, size_t klen)
{
	struct rec *r = eng_rec(E(c), c, r_none, 0);
	struct kc_op *op = eng_op(E(c), r, KC_OP_DEL);

	kc_op_key(op, key, klen);
}

/* ------------------------------------------------------------ text */

enum { NOREPLY = 1, GETS = 2 };

static void r_store(struct conn *c, struct rec *r, struct kc_op *ops)
{
	bool nr = r->flags & NOREPLY;
	int err = ops[0].result;
	const char *s;

	if (ops[0].opcode == KC_OP_EXISTS) {
		/* cas with unique 0: memcached compares, no item has CAS 0 */
		if (err && err != -ENOENT && err != -EPROTOTYPE) {
			if (!nr)
				kerr(&c->out, err);
		} else if (!nr) {
			buf_adds(&c->out, err ? "NOT_FOUND\r\n" : "EXISTS\r\n");
		}
		return;
	}
	switch (-err) {
	case 0:
		s = "STORED\r\n";
		break;
	case EEXIST:
		s = r->a == MC_ADD ? "NOT_STORED\r\n" : "EXISTS\r\n";
		break;
	case ENOENT:
		s = r->a == MC_CAS ? "NOT_FOUND\r\n" : "NOT_STORED\r\n";
		break;
	case EPROTOTYPE:
		s = "NOT_STORED\r\n";
		break;
	case ENOMEM:
	case E2BIG:
		if (r->a == MC_SET)
			drop_key(E(c), r->p, r->plen);
		s = kerr_text(err);
		break;
	default:
		if (!nr)
			kerr(&c->out, err);
		return;
	}
	if (!nr)
		buf_adds(&c->out, s);
}

static void store(struct conn *c, struct mc_req *q)
{
	static const uint32_t opc[] = {
		[MC_SET] = KC_OP_SET, [MC_ADD] = KC_OP_ADD,
		[MC_REPLACE] = KC_OP_REPLACE, [MC_APPEND] = KC_OP_APPEND,
		[MC_PREPEND] = KC_OP_PREPEND, [MC_CAS] = KC_OP_SET,
	};
	uint32_t tflags;
	int64_t expire;
	struct kc_op *op;
	struct rec *r;

	if (q->too_large) {
		say_nr(c, q->noreply, "SERVER_ERROR object too large for cache\r\n");
		if (q->type == MC_SET)
			queue_drop(c, q->tok[1].p, q->tok[1].len);
		return;
	}
	if (q->bad_chunk) {
		say_nr(c, q->noreply, "CLIENT_ERROR bad data chunk\r\n");
		return;
	}
	exptime(q->exptime, &expire, &tflags);
	r = eng_rec(E(c), c, r_store, 0);
	r->flags = q->noreply ? NOREPLY : 0;
	r->a = q->type;
	r->p = q->tok[1].p;
	r->plen = q->tok[1].len;
	if (q->type == MC_CAS && !q->cas) {
		op = eng_op(E(c), r, KC_OP_EXISTS);
		kc_op_key(op, q->tok[1].p, q->tok[1].len);
		return;
	}
	op = eng_op(E(c), r, opc[q->type]);
	kc_op_key(op, q->tok[1].p, q->tok[1].len);
	kc_op_val(op, q->data, q->dlen);
	if (q->type != MC_APPEND && q->type != MC_PREPEND) {
		op->client_flags = q->flags;
		op->expire = expire;
		op->flags = tflags;
	}
	if (q->type == MC_CAS) {
		op->flags |= KC_SET_CAS;
		op->cas = q->cas;
	}
}

static void r_value(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct buf *o = &c->out;

	if (ops[0].result) {
		if (ops[0].result != -ENOENT && ops[0].result != -EPROTOTYPE)
			kerr(o, ops[0].result);
		return;
	}
	buf_add(o, "VALUE ", 6);
	buf_add(o, r->p, r->plen);
	buf_addc(o, ' ');
	buf_add_u64(o, ops[0].client_flags);
	buf_addc(o, ' ');
	buf_add_u64(o, ops[0].out_used);
	if (r->flags & GETS) {
		buf_addc(o, ' ');
		buf_add_u64(o, ops[0].cas);
	}
	buf_add(o, "\r\n", 2);
	buf_add(o, (const void *)(uintptr_t)ops[0].out, ops[0].out_used);
	buf_add(o, "\r\n", 2);
}

/*
 * get, gets, gat, gats: one piece of the line (memcache.c hands a long
 * key list on in pieces); END after the last.  Keys before one over 250
 * bytes are fetched (gat touches them) and their values dropped, then
 * the error alone, as memcached does.
 */
static void get(struct conn *c, struct mc_req *q)
{
	bool touch = q->type == MC_GAT || q->type == MC_GATS;
	uint32_t tflags = 0;
	int64_t expire = 0;
	size_t i;

	if (touch)
		exptime(q->exptime, &expire, &tflags);
	for (i = q->first_key; i < q->ntok; i++) {
		struct rec *r;
		struct kc_op *op;

		/*
		 * Replies over the output limit: the rest is not read
		 * (conn_process() drops the client).
		 */
		if (conn_out_over(c))
			return;
		r = eng_rec(E(c), c, q->bad_key ? r_none : r_value,
			    eng_val_room());
		op = eng_op(E(c), r, KC_OP_GET);

		r->p = q->tok[i].p;
		r->plen = q->tok[i].len;
		r->flags = (q->type == MC_GETS || q->type == MC_GATS) ? GETS : 0;
		kc_op_key(op, q->tok[i].p, q->tok[i].len);
		eng_op_outval(E(c), op);
		if (touch && exptime_past(q->exptime)) {
			op = eng_op(E(c), r, KC_OP_TOUCH);
			kc_op_key(op, q->tok[i].p, q->tok[i].len);
			op->flags = tflags;
			op->expire = expire;
		} else if (touch) {
			op->flags = KC_GET_TOUCH | tflags;
			op->expire = expire;
		}
	}
	if (q->bad_key)
		say(c, "CLIENT_ERROR bad command line format\r\n");
	else if (!q->more)
		say(c, "END\r\n");
}

static void r_simple(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;

	if (r->flags & NOREPLY)
		return;
	if (err && err != -ENOENT && err != -EEXIST) {
		kerr(&c->out, err);
		return;
	}
	/* r->p: reply on success, then on -ENOENT, then on -EEXIST. */
	if (!err)
		buf_adds(&c->out, ((const char *const *)r->p)[0]);
	else if (err == -ENOENT)
		buf_adds(&c->out, ((const char *const *)r->p)[1]);
	else
		buf_adds(&c->out, ((const char *const *)r->p)[2]);
}

static const char *const del_replies[] = { "DELETED\r\n", "NOT_FOUND\r\n",
					   "EXISTS\r\n" };
static const char *const touch_replies[] = { "TOUCHED\r\n", "NOT_FOUND\r\n",
					     "NOT_FOUND\r\n" };
static const char *const ok_replies[] = { "OK\r\n", "OK\r\n", "OK\r\n" };

static void delete(struct conn *c, struct mc_req *q)
{
	size_t n = mcn(q);
	bool noreply = false;
	struct kc_op *op;
	struct rec *r;

	if (n < 3 || n > 5) {
		say(c, "ERROR\r\n");
		return;
	}
	if (n > 3) {
		bool zero = tok_is(&q->tok[2], "0");

		noreply = noreply_last(q);
		if (!((n == 4 && (zero || noreply)) ||
		      (n == 5 && zero && noreply))) {
			say_nr(c, noreply, "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
			return;
		}
	}
	if (q->tok[1].len > MC_KEY_MAX) {
		say_nr(c, noreply, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	r = eng_rec(E(c), c, r_simple, 0);
	r->p = del_replies;
	r->flags = noreply ? NOREPLY : 0;
	op = eng_op(E(c), r, KC_OP_DEL);
	kc_op_key(op, q->tok[1].p, q->tok[1].len);
}

static void touch(struct conn *c, struct mc_req *q)
{
	bool noreply = noreply_last(q);
	uint32_t tflags;
	int64_t expire;
	int32_t v;
	struct kc_op *op;
	struct rec *r;

	if (mcn(q) != 4 && mcn(q) != 5) {
		say(c, "ERROR\r\n");
		return;
	}
	if (q->tok[1].len > MC_KEY_MAX) {
		say_nr(c, noreply, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (!mc_strtol(&q->tok[2], &v)) {
		say_nr(c, noreply, "CLIENT_ERROR invalid exptime argument\r\n");
		return;
	}
	exptime(v, &expire, &tflags);
	r = eng_rec(E(c), c, r_simple, 0);
	r->p = touch_replies;
	r->flags = noreply ? NOREPLY : 0;
	op = eng_op(E(c), r, KC_OP_TOUCH);
	kc_op_key(op, q->tok[1].p, q->tok[1].len);
	op->expire = expire;
	op->flags = tflags;
}

static void flush_all(struct conn *c, struct mc_req *q)
{
	bool noreply = noreply_last(q);
	int64_t now = time(NULL), at;
	int32_t delay = 0;
	struct rec *r;

	if (mcn(q) < 2 || mcn(q) > 4) {
		say(c, "ERROR\r\n");
		return;
	}
	if (mcn(q) != (noreply ? 3u : 2u) && !mc_strtol(&q->tok[1], &delay)) {
		say_nr(c, noreply, "CLIENT_ERROR invalid exptime argument\r\n");
		return;
	}
	if (delay > 0) {
		/* memcached: items older than the time are gone then. */
		at = delay > MC_REL_MAX ? delay : now + delay;
		if (at > now) {
			__atomic_store_n(&flush_at, at, __ATOMIC_RELAXED);
			say_nr(c, noreply, "OK\r\n");
			return;
		}
	}
	__atomic_store_n(&flush_at, 0, __ATOMIC_RELAXED);
	r = eng_rec(E(c), c, r_simple, 0);
	r->p = ok_replies;
	r->flags = noreply ? NOREPLY : 0;
	/*
	 * What a memcached client can see is database 0: the Redis clients'
	 * other databases are not its to empty (FLUSHALL does that).
	 */
	eng_op(E(c), r, KC_OP_FLUSH)->flags = KC_FLUSH_DB;
}

/* TOUCH or TTL of one key now; the TTL (expire) or -1. */
static int64_t key_op(struct engine *e, uint32_t opcode,
		      const void *key, size_t klen, uint32_t flags,
		      int64_t expire)
{
	struct kc_op op;

	kc_op_init(&op, opcode);
	op.flags = flags;
	op.expire = expire;
	kc_op_key(&op, key, klen);
	return eng_do(e, &op) ? -1 : op.expire;
}

/*
 * One incr/decr as memcached's do_add_delta(): a KC_OP_INCRBY/DECRBY with
 * KC_INCR_UNSIGNED (memcached's rules, a result that fits rewritten in
 * place), compared with want_cas by the kernel when non-zero.  Returns 0
 * with *res, -ENOENT, -EDOM (not a number), -ECANCELED (want_cas did not
 * match), -EEXIST (lost every race) or another -errno.  With vivify, a
 * missing key is created with init (and exp, tflags); *created says so.
 */
static int arith(struct engine *e, const void *key, size_t klen, bool incr,
		 uint64_t delta, bool vivify, uint64_t init, int64_t exp,
		 uint32_t tflags, uint64_t want_cas, uint64_t *res,
		 uint64_t *cas_out, bool *created)
{
	int tries, err = -EEXIST;
	struct kc_op op;
	char num[24];

	*created = false;
	for (tries = 0; tries < MC_TRIES; tries++) {
		int len;

		kc_op_init(&op, incr ? KC_OP_INCRBY : KC_OP_DECRBY);
		kc_op_key(&op, key, klen);
		op.flags = KC_INCR_UNSIGNED | (want_cas ? KC_SET_CAS : 0);
		op.cas = want_cas;
		op.num = (int64_t)delta;
		err = eng_do(e, &op);
		if (!err) {
			*res = (uint64_t)op.num;
			if (cas_out)
				*cas_out = op.cas;
			return 0;
		}
		if (err == -EEXIST)
			return -ECANCELED;
		if (err == -EPROTOTYPE)
			return -EDOM;
		if (err != -ENOENT || !vivify)
			return err;
		len = snprintf(num, sizeof(num), "%llu", (unsigned long long)init);
		err = eng_store(e, KC_OP_ADD, tflags, key, klen, num, (size_t)len,
				0, exp, cas_out);
		if (err == -EEXIST)
			continue;
		*res = init;
		*created = !err;
		return err;
	}
	return err;
}

static void r_incr_decr(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;

	if (r->flags & NOREPLY)
		return;
	if (!err)
		buf_printf(&c->out, "%llu\r\n", (unsigned long long)(uint64_t)ops[0].num);
	else if (err == -ENOENT)
		buf_adds(&c->out, "NOT_FOUND\r\n");
	else if (err == -EDOM || err == -EPROTOTYPE)
		buf_adds(&c->out, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
	else if (err == -ENOMEM)
		buf_adds(&c->out, "SERVER_ERROR out of memory\r\n");
	else
		kerr(&c->out, err);
}

/*
 * incr/decr: one KC_OP_INCRBY/DECRBY with KC_INCR_UNSIGNED, which applies
 * memcached's unsigned rules in the kernel, planned in the batch like any
 * other command (no read and compare-and-swap round trips).
 */
static void incr_decr(struct conn *c, struct mc_req *q)
{
	bool noreply = noreply_last(q);
	struct kc_op *op;
	uint64_t delta;
	struct rec *r;

	if (mcn(q) != 4 && mcn(q) != 5) {
		say(c, "ERROR\r\n");
		return;
	}
	if (q->tok[1].len > MC_KEY_MAX) {
		say_nr(c, noreply, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (!mc_strtoull(&q->tok[2], &delta)) {
		say_nr(c, noreply, "CLIENT_ERROR invalid numeric delta argument\r\n");
		return;
	}
	r = eng_rec(E(c), c, r_incr_decr, 0);
	r->flags = noreply ? NOREPLY : 0;
	op = eng_op(E(c), r, q->type == MC_INCR ? KC_OP_INCRBY : KC_OP_DECRBY);
	kc_op_key(op, q->tok[1].p, q->tok[1].len);
	op->flags = KC_INCR_UNSIGNED;
	op->num = (int64_t)delta;
}

static void verbosity(struct conn *c, struct mc_req *q)
{
	bool noreply = noreply_last(q);
	uint32_t level;

	if (mcn(q) != 3 && mcn(q) != 4) {
		say(c, "ERROR\r\n");
		return;
	}
	if (!mc_strtoul(&q->tok[1], &level)) {
		say_nr(c, noreply, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	/* memcached's -v levels on the proxy's log: 0 warnings, 1 info, 2 all */
	__atomic_store_n(&log_level, level == 0 ? LOG_WARN : level == 1 ?
			 LOG_INFO : LOG_DEBUG, __ATOMIC_RELAXED);
	say_nr(c, noreply, "OK\r\n");
}

static void stat_u(struct buf *o, const char *name, unsigned long long v)
{
	buf_printf(o, "STAT %s %llu\r\n", name, v);
}

/* stats settings: what kcache and the proxy have, in memcached's names. */
static void stats_settings(struct conn *c)
{
	struct buf *o = &c->out;
	struct kc_config kc;
	int err = kc_config_get(E(c)->fd, &kc);

	STAT_ADD(ioctls, 1);
	if (err) {
		kerr(o, err);
		return;
	}
	stat_u(o, "maxbytes", (unsigned long long)kc.memory_limit_mb << 20);
	stat_u(o, "maxconns", (unsigned long long)cfg.maxclients);
	stat_u(o, "tcpport", (unsigned long long)cfg.mc_port);
	buf_printf(o, "STAT domain_socket %s\r\n",
		   cfg.mc_socket ? cfg.mc_socket : "NULL");
	/* as memcached -M turns it off: the instance's noevict */
	buf_printf(o, "STAT evictions %s\r\n", kc.noevict ? "off" : "on");
	buf_printf(o, "STAT growth_factor %u.%02u\r\n",
		   kc.growth_factor_pct / 100, kc.growth_factor_pct % 100);
	stat_u(o, "chunk_size", kc.chunk_min);
	stat_u(o, "num_threads", (unsigned long long)cfg.threads);
	buf_adds(o, "STAT cas_enabled yes\r\n");
	stat_u(o, "tail_repair_time", 0);
	buf_adds(o, "STAT flush_enabled yes\r\n");
	stat_u(o, "item_size_max", mc_value_max());
	buf_printf(o, "STAT slab_automove %u\r\n", kc.automove);
	stat_u(o, "idle_timeout", (unsigned long long)cfg.timeout);
	buf_adds(o, "STAT shutdown_command no\r\n");
	buf_adds(o, "END\r\n");
}

/* stats conns: this worker's memcached connections. */
static void stats_conns(struct conn *c)
{
	struct buf *o = &c->out;
	time_t now = time(NULL);
	struct conn *x;

	for (x = c->w->head; x; x = x->next) {
		if (x->kind != CONN_MC || x->dead)
			continue;
		buf_printf(o, "STAT %d:addr %s\r\n", x->fd, x->addr);
		buf_printf(o, "STAT %d:listen_addr %s\r\n", x->fd, x->laddr);
		buf_printf(o, "STAT %d:state %s\r\n", x->fd,
			   x == c ? "conn_parse_cmd" : "conn_waiting");
		buf_printf(o, "STAT %d:secs_since_last_cmd %lld\r\n", x->fd,
			   (long long)(now - x->last_active));
	}
	buf_adds(o, "END\r\n");
}

static void stats(struct conn *c, struct mc_req *q)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i, active = 0;
	struct buf *o = &c->out;
	struct arg *sub = q->ntok > 1 ? &q->tok[1] : NULL;
	struct kc_stats st;
	struct rusage ru;
	int err;

	eng_flush(E(c));
	if (sub && tok_is(sub, "reset")) {
		stats_reset(E(c)->fd);
		say(c, "RESET\r\n");
		return;
	}
	if (sub && tok_is(sub, "detail")) {
		if (q->ntok < 3 || !(tok_is(&q->tok[2], "on") ||
				     tok_is(&q->tok[2], "off") ||
				     tok_is(&q->tok[2], "dump")))
			say(c, "CLIENT_ERROR usage: stats detail on|off|dump\r\n");
		else
			say(c, "CLIENT_ERROR stats detail is not supported by kcache-proxy\r\n");
		return;
	}
	if (sub && tok_is(sub, "settings")) {
		stats_settings(c);
		return;
	}
	if (sub && tok_is(sub, "conns")) {
		stats_conns(c);
		return;
	}
	if (sub && tok_is(sub, "cachedump")) {
		say(c, "CLIENT_ERROR stats cachedump not allowed\r\n");
		return;
	}
	if (sub && tok_is(sub, "sizes")) {
		/* memcached's default: the sizes histogram is off */
		say(c, "STAT sizes_status disabled\r\nEND\r\n");
		return;
	}
	if (sub && !tok_is(sub, "slabs") && !tok_is(sub, "items")) {
		say(c, "ERROR\r\n");
		return;
	}
	err = kc_stats(E(c)->fd, &st);
	if (!err)
		kstats_rebase(&st);
	if (!err && sub)
		err = kc_class_stats(E(c)->fd, cs, 256, &n, &nr);
	STAT_ADD(ioctls, 1);
	if (err) {
		kerr(o, err);
		return;
	}
	if (sub && tok_is(sub, "slabs")) {
		for (i = 0; i < n; i++) {
			unsigned id = (unsigned)i + 1;

			if (!cs[i].pages && !cs[i].items)
				continue;
			active++;
			buf_printf(o, "STAT %u:chunk_size %u\r\n", id, cs[i].chunk_size);
			buf_printf(o, "STAT %u:chunks_per_page %u\r\n", id, cs[i].chunks_per_page);
			buf_printf(o, "STAT %u:total_pages %llu\r\n", id, (unsigned long long)cs[i].pages);
			buf_printf(o, "STAT %u:total_chunks %llu\r\n", id,
				   (unsigned long long)(cs[i].used_chunks + cs[i].free_chunks));
			buf_printf(o, "STAT %u:used_chunks %llu\r\n", id, (unsigned long long)cs[i].used_chunks);
			buf_printf(o, "STAT %u:free_chunks %llu\r\n", id, (unsigned long long)cs[i].free_chunks);
			/* memcached 1.6 always 0: no page is cut lazily. */
			buf_printf(o, "STAT %u:free_chunks_end 0\r\n", id);
		}
		stat_u(o, "active_slabs", active);
		stat_u(o, "total_malloced", st.used_bytes);
		say(c, "END\r\n");
		return;
	}
	if (sub) {	/* items */
		for (i = 0; i < n; i++) {
			unsigned id = (unsigned)i + 1;

			if (!cs[i].items)
				continue;
			buf_printf(o, "STAT items:%u:number %llu\r\n", id, (unsigned long long)cs[i].items);
			buf_printf(o, "STAT items:%u:number_hot %llu\r\n", id, (unsigned long long)cs[i].hot);
			buf_printf(o, "STAT items:%u:number_warm %llu\r\n", id, (unsigned long long)cs[i].warm);
			buf_printf(o, "STAT items:%u:number_cold %llu\r\n", id, (unsigned long long)cs[i].cold);
			/* memcached 1.6 keeps mem_requested here, not in "stats slabs" */
			buf_printf(o, "STAT items:%u:mem_requested %llu\r\n", id, (unsigned long long)cs[i].mem_requested);
			buf_printf(o, "STAT items:%u:evicted %llu\r\n", id, (unsigned long long)cs[i].evictions);
			buf_printf(o, "STAT items:%u:outofmemory %llu\r\n", id, (unsigned long long)cs[i].outofmemory);
			buf_printf(o, "STAT items:%u:reclaimed %llu\r\n", id, (unsigned long long)cs[i].reclaimed);
		}
		say(c, "END\r\n");
		return;
	}
	getrusage(RUSAGE_SELF, &ru);
	stat_u(o, "pid", (unsigned long long)getpid());
	stat_u(o, "uptime", (unsigned long long)(time(NULL) - proxy_start));
	stat_u(o, "time", (unsigned long long)time(NULL));
	buf_printf(o, "STAT version %s\r\n", MC_VERSION_STR);
	stat_u(o, "pointer_size", sizeof(void *) * 8);
	buf_printf(o, "STAT rusage_user %ld.%06ld\r\n", (long)ru.ru_utime.tv_sec,
		   (long)ru.ru_utime.tv_usec);
	buf_printf(o, "STAT rusage_system %ld.%06ld\r\n", (long)ru.ru_stime.tv_sec,
		   (long)ru.ru_stime.tv_usec);
	stat_u(o, "max_connections", (unsigned long long)cfg.maxclients);
	stat_u(o, "curr_connections", (unsigned long long)CONN_GET(curr_connections));
	stat_u(o, "total_connections", STAT_GET(total_connections));
	stat_u(o, "rejected_connections", STAT_GET(rejected_connections));
	stat_u(o, "cmd_get", st.cmd_get);
	stat_u(o, "cmd_set", st.cmd_set);
	stat_u(o, "cmd_touch", st.cmd_touch);
	stat_u(o, "get_hits", st.get_hits);
	stat_u(o, "get_misses", st.get_misses);
	stat_u(o, "get_expired", st.get_expired);
	stat_u(o, "delete_misses", st.delete_misses);
	stat_u(o, "delete_hits", st.delete_hits);
	stat_u(o, "incr_misses", st.incr_misses);
	stat_u(o, "incr_hits", st.incr_hits);
	stat_u(o, "cas_misses", st.cas_misses);
	stat_u(o, "cas_hits", st.cas_hits);
	stat_u(o, "cas_badval", st.cas_badval);
	stat_u(o, "bytes_read", STAT_GET(net_in));
	stat_u(o, "bytes_written", STAT_GET(net_out));
	stat_u(o, "limit_maxbytes", st.limit_bytes);
	stat_u(o, "threads", (unsigned long long)cfg.threads);
	stat_u(o, "bytes", st.bytes);
	stat_u(o, "curr_items", st.curr_items);
	stat_u(o, "total_items", st.total_items);
	stat_u(o, "expired_unfetched", st.expired_unfetched);
	stat_u(o, "evicted_unfetched", st.evicted_unfetched);
	stat_u(o, "evictions", st.evictions);
	stat_u(o, "reclaimed", st.reclaimed);
	stat_u(o, "crawler_reclaimed", st.crawler_reclaimed);
	stat_u(o, "slabs_moved", st.slabs_moved);
	stat_u(o, "kcache_used_bytes", st.used_bytes);
	stat_u(o, "kcache_ioctls", STAT_GET(ioctls));
	say(c, "END\r\n");
}

/* ------------------------------------------------------------ admin */

static void cache_memlimit(struct conn *c, struct mc_req *q)
{
	bool noreply = noreply_last(q);
	struct kc_config kc;
	uint32_t mb;
	int err;

	if (mcn(q) != 3 && mcn(q) != 4) {
		say(c, "ERROR\r\n");
		return;
	}
	if (!mc_strtoul(&q->tok[1], &mb)) {
		say_nr(c, noreply, "ERROR\r\n");
		return;
	}
	if (mb < 8) {
		say_nr(c, noreply, "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n");
		return;
	}
	if (mb > 1000000000) {
		say_nr(c, noreply, "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n");
		return;
	}
	eng_flush(E(c));
	memset(&kc, 0, sizeof(kc));
	kc.memory_limit_mb = mb;
	err = kc_config_set(E(c)->fd, KC_CONFIG_MEMORY_LIMIT, &kc);
	STAT_ADD(ioctls, 1);
	if (err) {
		log_warn("memcached: cache_memlimit %u: %s", mb, kc_strerror(err));
		say_nr(c, noreply, "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n");
		return;
	}
	say_nr(c, noreply, "OK\r\n");
}

/*
 * slabs automove 0|1|2 turns kcache's page rebalancing off or on; kcache
 * moves pages itself, so slabs reassign answers as memcached does with
 * reassignment off.
 */
static void slabs(struct conn *c, struct mc_req *q)
{
	struct kc_config kc;
	bool noreply;
	uint32_t level;
	int err;

	if (mcn(q) == 5 && tok_is(&q->tok[1], "reassign")) {
		say(c, "CLIENT_ERROR slab reassignment disabled\r\n");
		return;
	}
	if (mcn(q) < 4 || !tok_is(&q->tok[1], "automove")) {
		say(c, "ERROR\r\n");
		return;
	}
	noreply = noreply_last(q);
	if (tok_is(&q->tok[2], "ratio")) {
		say_nr(c, noreply, "CLIENT_ERROR kcache has no slab automove ratio\r\n");
		return;
	}
	if (!mc_strtoul(&q->tok[2], &level)) {
		say_nr(c, noreply, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (level > 2) {
		say_nr(c, noreply, "ERROR\r\n");
		return;
	}
	eng_flush(E(c));
	memset(&kc, 0, sizeof(kc));
	kc.automove = level ? 1 : 0;
	err = kc_config_set(E(c)->fd, KC_CONFIG_AUTOMOVE, &kc);
	STAT_ADD(ioctls, 1);
	if (err) {
		if (!noreply)
			kerr(&c->out, err);
		return;
	}
	say_nr(c, noreply, "OK\r\n");
}

/* memcached's metadump encodes keys as URLs do. */
static void url_key(struct buf *o, const unsigned char *k, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = k[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-_.~", ch)) {
			buf_addc(o, (char)ch);
		} else {
			buf_addc(o, '%');
			buf_addc(o, hex[ch >> 4]);
			buf_addc(o, hex[ch & 15]);
		}
	}
}

/* One metadump line for key k, if it still holds a string. */
/* What memcached's me and metadump show of an item. */
struct peek {
	int64_t ttl;		/* seconds, -1: none */
	int64_t idle;		/* seconds since the last access */
	uint64_t cas;
	size_t vlen;
	bool fetched;
};

/*
 * Reads an item's state without counting as an access: a GET with
 * KC_GET_META and KC_GET_NOBUMP (the value is read and dropped: a GET
 * needs room for it), then its TTL.  0 or -errno.
 */
static int peek(struct conn *c, const void *k, size_t n, struct peek *p)
{
	struct kc_op op;
	void *buf;
	int err;

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, k, n);
	op.flags = KC_GET_META | KC_GET_NOBUMP;
	err = eng_op_alloc(E(c), &op, &buf);
	if (err)
		return err;
	free(buf);
	p->cas = op.cas;
	p->vlen = op.out_used;
	p->idle = op.num;
	p->fetched = op.meta & KC_META_FETCHED;
	p->ttl = key_op(E(c), KC_OP_TTL, k, n, 0, 0);
	return 0;
}

/* kcache's slab classes, read once per me or metadump. */
#define MC_CLASSES_MAX 128	/* KC_MAX_CLASSES of kmod/kcache.h */

struct classes {
	struct kc_class_stats cs[MC_CLASSES_MAX];
	size_t n;
};

static void classes_read(struct conn *c, struct classes *cl)
{
	size_t nr;

	cl->n = 0;
	STAT_ADD(ioctls, 1);
	if (kc_class_stats(E(c)->fd, cl->cs, MC_CLASSES_MAX, &cl->n, &nr))
		cl->n = 0;
}

/*
 * cls=: the kcache slab class (numbered as in stats slabs) whose chunks
 * hold an item of total bytes; the large class (0 size) past the last.
 */
static unsigned int size_class(const struct classes *cl, size_t total)
{
	size_t i;

	for (i = 0; i < cl->n; i++)
		if (!cl->cs[i].chunk_size || cl->cs[i].chunk_size >= total)
			return (unsigned int)i + 1;
	return (unsigned int)cl->n;
}

static void metadump_key(struct conn *c, const struct classes *cl,
			 const void *k, size_t n)
{
	struct buf *o = &c->out;
	size_t total;
	struct peek p;

	if (peek(c, k, n, &p))
		return;
	total = KC_ITEM_HEADER + n + p.vlen;
	buf_add(o, "key=", 4);
	url_key(o, k, n);
	/* memcached's fields: times as unix times */
	buf_printf(o, " exp=%lld la=%lld cas=%llu fetch=%s cls=%u size=%zu\n",
		   p.ttl < 0 ? -1LL : (long long)(time(NULL) + p.ttl),
		   (long long)(time(NULL) - p.idle),
		   (unsigned long long)p.cas, p.fetched ? "yes" : "no",
		   size_class(cl, total), total);
}

/*
 * lru_crawler metadump all|hash|key: every key kcache holds (hash: the
 * same walk), then END; the keys of the line for "key".  kcache's own
 * crawler runs in the kernel and is not driven from here.
 */
static void lru_crawler(struct conn *c, struct mc_req *q)
{
	const struct arg *what;
	char *scan = NULL;
	uint64_t cursor = 0;
	size_t room = 64 * 1024;
	struct classes cl;

	if (mcn(q) < 4 || !tok_is(&q->tok[1], "metadump")) {
		if (mcn(q) >= 3 && (tok_is(&q->tok[1], "crawl") ||
				    tok_is(&q->tok[1], "tocrawl") ||
				    tok_is(&q->tok[1], "sleep") ||
				    tok_is(&q->tok[1], "enable") ||
				    tok_is(&q->tok[1], "disable")))
			say(c, "CLIENT_ERROR kcache's crawler runs in the kernel: see kcache-cli config\r\n");
		else
			say(c, "ERROR\r\n");
		return;
	}
	what = &q->tok[2];
	eng_flush(E(c));
	classes_read(c, &cl);
	if (tok_is(what, "key")) {
		/* the keys given after "key" */
		size_t i;

		for (i = 3; i < q->ntok; i++)
			if (q->tok[i].len <= MC_KEY_MAX)
				metadump_key(c, &cl, q->tok[i].p, q->tok[i].len);
		say(c, "END\r\n");
		return;
	}
	if (!tok_is(what, "all") && !tok_is(what, "hash")) {
		/* kcache's classes are not walked one by one */
		say(c, "BADCLASS invalid class id\r\n");
		return;
	}
	scan = malloc(room);
	if (!scan) {
		say(c, "SERVER_ERROR out of memory\r\n");
		return;
	}
	do {
		struct kc_elem_iter it;
		const struct kc_elem *el;
		const void *k;
		struct kc_op op;

		kc_op_init(&op, KC_OP_SCAN);
		op.num = (int64_t)cursor;
		op.num2 = 100;
		kc_op_out(&op, scan, room);
		if (eng_do(E(c), &op)) {
			kerr(&c->out, op.result);
			free(scan);
			return;
		}
		cursor = (uint64_t)op.num;
		kc_elem_iter_init(&it, scan, op.out_used, (size_t)op.num2);
		while ((el = kc_elem_next(&it, &k)))
			metadump_key(c, &cl, k, el->len);
		if (conn_out_over(c))
			break;
	} while (cursor);
	free(scan);
	say(c, "END\r\n");
}

/* me KEY [b]: what kcache knows of one item, as memcached's debug line. */
static void me(struct conn *c, struct mc_req *q)
{
	unsigned char key[MC_KEY_MAX];
	char b64[MC_B64_MAX(MC_KEY_MAX)];
	size_t klen = q->ntok > 1 ? q->tok[1].len : 0, total;
	bool binary = false;
	struct classes cl;
	struct buf *o;
	struct peek p;
	int err;

	if (q->ntok < 2 || klen > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	memcpy(key, q->tok[1].p, klen);
	if (q->ntok >= 3 && tok_is(&q->tok[2], "b")) {
		klen = mc_base64_decode(q->tok[1].p, q->tok[1].len, key);
		if (!klen) {
			say(c, "CLIENT_ERROR bad command line format\r\n");
			return;
		}
		binary = true;
	}
	eng_flush(E(c));
	o = &c->out;
	err = peek(c, key, klen, &p);
	if (err) {
		if (err == -ENOENT || err == -EPROTOTYPE)
			say(c, "EN\r\n");
		else
			kerr(o, err);
		return;
	}
	total = KC_ITEM_HEADER + klen + p.vlen;
	classes_read(c, &cl);
	buf_add(o, "ME ", 3);
	if (binary)
		buf_add(o, b64, mc_base64_encode(key, klen, b64));
	else
		buf_add(o, key, klen);
	/* memcached 1.6.18 prints exp as now - expiry: minus the TTL */
	buf_printf(o, " exp=%lld la=%lld cas=%llu fetch=%s cls=%u size=%zu\r\n",
		   p.ttl < 0 ? -1LL : -(long long)p.ttl, (long long)p.idle,
		   (unsigned long long)p.cas, p.fetched ? "yes" : "no",
		   size_class(&cl, total), total);
}

/* ------------------------------------------------------------ meta */

/* A meta command's flags, as memcached's _meta_flag_preparse() reads them. */
struct mflags {
	bool has_error, vivify, value, set_stale, no_reply, has_cas;
	bool new_ttl, key_binary, la, hit, no_update, recache;
	char mode;
	int32_t exptime, autoviv, recache_time;
	uint32_t client_flags;
	uint64_t req_cas, delta, initial;
	bool opaque_long;		/* an O token over MC_OPAQUE_MAX */
};

/* What a meta reply needs once its operations ran (kept in the arena). */
struct mstate {
	struct mflags of;
	unsigned char key[MC_KEY_MAX];
	size_t klen;
	struct arg tok[MC_TOKENS_MAX];	/* the flag tokens, in order */
	size_t ntok;
	int iget, ittl, iadd;		/* op indexes, -1 when none */
	int type;			/* ms: the store mode's MC_* type */
	uint64_t cas;			/* ms: the CAS the store got */
};

/* The value of a flag token: what follows its letter. */
static void num_flag(const struct arg *t, struct arg *v)
{
	v->p = t->p + 1;
	v->len = t->len - 1;
}

/*
 * Reads q's flag tokens from index start into *of and the key (decoded
 * with b) into s.  Returns 0, or -1 with *errstr set as memcached sets it
 * (some errors keep the caller's default text).
 */
static int meta_preparse(struct mc_req *q, size_t start, struct mflags *of,
			 struct mstate *s, const char **errstr)
{
	unsigned char seen[127] = { 0 };
	size_t i;

	memset(of, 0, sizeof(*of));
	s->klen = q->tok[1].len;
	memcpy(s->key, q->tok[1].p, s->klen);
	for (i = start; i < q->ntok; i++) {
		const struct arg *t = &q->tok[i];
		unsigned char o = (unsigned char)t->p[0];
		struct arg v;

		if (o >= 127 || seen[o]) {
			*errstr = "CLIENT_ERROR duplicate flag";
			return -1;
		}
		seen[o] = 1;
		num_flag(t, &v);
		switch (o) {
		case 'b':
			s->klen = mc_base64_decode(q->tok[1].p, q->tok[1].len,
						   s->key);
			if (!s->klen) {
				*errstr = "CLIENT_ERROR error decoding key";
				of->has_error = true;
			}
			of->key_binary = true;
			break;
		case 'N':
			of->vivify = true;
			if (!mc_strtol(&v, &of->autoviv)) {
				*errstr = "CLIENT_ERROR bad token in command line format";
				of->has_error = true;
			}
			break;
		case 'T':
			if (!mc_strtol(&v, &of->exptime)) {
				*errstr = "CLIENT_ERROR bad token in command line format";
				of->has_error = true;
			} else {
				of->new_ttl = true;
			}
			break;
		case 'R':
			of->recache = true;
			if (!mc_strtol(&v, &of->recache_time)) {
				*errstr = "CLIENT_ERROR bad token in command line format";
				of->has_error = true;
			}
			break;
		case 'l':
			of->la = true;
			break;
		case 'h':
			of->hit = true;
			break;
		case 'O':
			if (t->len > MC_OPAQUE_MAX)
				of->opaque_long = true;
			break;
		case 'P': case 'L': case 'k': case 's': case 't': case 'c':
		case 'f':
			break;
		case 'v':
			of->value = true;
			break;
		case 'u':
			of->no_update = true;
			break;
		case 'q':
			of->no_reply = true;
			break;
		case 'F':
			if (!mc_strtoul(&v, &of->client_flags))
				of->has_error = true;
			break;
		case 'C':
			if (!mc_strtoull(&v, &of->req_cas)) {
				*errstr = "CLIENT_ERROR bad token in command line format";
				of->has_error = true;
			} else {
				of->has_cas = true;
			}
			break;
		case 'M':
			if (t->len != 2) {
				*errstr = "CLIENT_ERROR incorrect length for M token";
				of->has_error = true;
			} else {
				of->mode = t->p[1];
			}
			break;
		case 'J':
			if (!mc_strtoull(&v, &of->initial)) {
				*errstr = "CLIENT_ERROR invalid numeric initial value";
				of->has_error = true;
			}
			break;
		case 'D':
			if (!mc_strtoull(&v, &of->delta)) {
				*errstr = "CLIENT_ERROR invalid numeric delta value";
				of->has_error = true;
			}
			break;
		case 'I':
			of->set_stale = true;
			break;
		default:
			*errstr = "CLIENT_ERROR invalid flag";
			return -1;
		}
	}
	s->ntok = 0;
	for (i = start; i < q->ntok && s->ntok < MC_TOKENS_MAX; i++)
		s->tok[s->ntok++] = q->tok[i];
	return of->has_error ? -1 : 0;
}

static void meta_key(struct buf *o, const struct mstate *s)
{
	char b64[MC_B64_MAX(MC_KEY_MAX)];

	buf_add(o, " k", 2);
	if (s->of.key_binary) {
		buf_add(o, b64, mc_base64_encode(s->key, s->klen, b64));
		buf_add(o, " b", 2);
	} else {
		buf_add(o, s->key, s->klen);
	}
}

/* The O and k flags every reply echoes, in request order. */
static void meta_echo(struct buf *o, const struct mstate *s)
{
	size_t i;

	for (i = 0; i < s->ntok; i++) {
		if (s->tok[i].p[0] == 'O') {
			buf_addc(o, ' ');
			buf_add(o, s->tok[i].p, s->tok[i].len);
		} else if (s->tok[i].p[0] == 'k') {
			meta_key(o, s);
		}
	}
}

/* Index of the first token starting with ch, or -1. */
static int meta_pos(const struct mstate *s, char ch)
{
	size_t i;

	for (i = 0; i < s->ntok; i++)
		if (s->tok[i].p[0] == ch)
			return (int)i;
	return -1;
}

/* Index of the first O token over MC_OPAQUE_MAX, or ntok. */
static int long_opaque(const struct mstate *s)
{
	size_t i;

	for (i = 0; i < s->ntok; i++)
		if (s->tok[i].p[0] == 'O' && s->tok[i].len > MC_OPAQUE_MAX)
			break;
	return (int)i;
}

static struct mstate *meta_state(struct conn *c, struct rec *r,
				 const struct mstate *tmp)
{
	struct mstate *s = eng_alloc(E(c), sizeof(*s));

	*s = *tmp;
	r->p = s;
	return s;
}

static void r_mg(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const struct mstate *s = r->p;
	const struct kc_op *g = &ops[s->iget];
	struct buf *o = &c->out;
	int err = g->result;
	uint32_t meta = g->meta;
	int64_t ttl = -1, vttl = -1;	/* vttl: a created item's, so far */
	bool created;
	size_t i;

	/* N made the item: it is this client's to fill (W, never Z) */
	created = s->iadd >= 0 && !ops[s->iadd].result;
	if (created && !err)
		meta = (meta & ~KC_META_TOKEN) | KC_META_WON;
	if (err == -ENOENT || err == -EPROTOTYPE) {
		if (!s->of.no_reply) {
			buf_add(o, "EN", 2);
			meta_echo(o, s);
			buf_add(o, "\r\n", 2);
		}
		return;
	}
	if (err) {
		kerr(o, err);
		return;
	}
	if (s->ittl >= 0 && !ops[s->ittl].result)
		ttl = ops[s->ittl].expire;
	if (s->of.value) {
		buf_add(o, "VA ", 3);
		buf_add_u64(o, g->out_used);
	} else {
		buf_add(o, "HD", 2);
	}
	for (i = 0; i < s->ntok; i++) {
		switch (s->tok[i].p[0]) {
		case 's':
			buf_add(o, " s", 2);
			buf_add_u64(o, g->out_used);
			break;
		case 'T':
			vttl = ttl_of(s->of.exptime);
			break;
		case 'N':
			vttl = ttl_of(s->of.autoviv);
			break;
		case 't':
			/* memcached sets a created item's TTL flag by flag */
			buf_add(o, " t", 2);
			buf_add_i64(o, created ? vttl : ttl);
			break;
		case 'c':
			buf_add(o, " c", 2);
			buf_add_u64(o, g->cas);
			break;
		case 'f':
			buf_add(o, " f", 2);
			buf_add_u64(o, g->client_flags);
			break;
		case 'O':
			buf_addc(o, ' ');
			buf_add(o, s->tok[i].p, s->tok[i].len);
			break;
		case 'k':
			meta_key(o, s);
			break;
		case 'l':
			buf_add(o, " l", 2);
			buf_add_i64(o, g->num);
			break;
		case 'h':
			buf_add(o, meta & KC_META_FETCHED ? " h1" : " h0", 3);
			break;
		}
	}
	/* as memcached: Z before X, and W only when no token was out */
	if (meta & KC_META_TOKEN)
		buf_add(o, " Z", 2);
	if (meta & KC_META_STALE)
		buf_add(o, " X", 2);
	if (meta & KC_META_WON)
		buf_add(o, " W", 2);
	buf_add(o, "\r\n", 2);
	if (s->of.value) {
		buf_add(o, (const void *)(uintptr_t)g->out, g->out_used);
		buf_add(o, "\r\n", 2);
	}
}

/* R's token: the seconds of TTL under which a hit wins (0: never). */
static int64_t recache_secs(const struct mflags *of)
{
	int64_t v = of->recache_time;

	if (!of->recache || v <= 0)
		return 0;
	if (v > MC_REL_MAX)
		v -= (int64_t)time(NULL);
	return v > 0 ? v : 0;
}

static void mg(struct conn *c, struct mc_req *q)
{
	const char *errstr = "CLIENT_ERROR bad command line format\r\n";
	struct mstate tmp, *s;
	uint32_t tflags = 0;
	int64_t expire = 0;
	struct kc_op *op;
	struct rec *r;
	bool touch_first;
	int pt, pT, pR;

	if (q->ntok < 2) {
		say(c, "ERROR\r\n");
		return;
	}
	if (q->tok[1].len > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (mcn(q) > MC_META_TOKENS) {
		say(c, "CLIENT_ERROR options flags are too long\r\n");
		return;
	}
	if (meta_preparse(q, 2, &tmp.of, &tmp, &errstr)) {
		buf_printf(out(c), "%s\r\n", errstr);
		return;
	}
	if (tmp.of.new_ttl)
		exptime(tmp.of.exptime, &expire, &tflags);
	if (tmp.of.opaque_long) {
		/*
		 * memcached stops at the long O as it writes the reply: N
		 * has made the item by then (with N's TTL only if N came
		 * first, and no token handed out), T counts if it came first.
		 */
		eng_flush(E(c));
		if (tmp.of.vivify) {
			uint32_t vflags = 0;
			int64_t vexp = 0;

			if (meta_pos(&tmp, 'N') < long_opaque(&tmp))
				exptime(tmp.of.autoviv, &vexp, &vflags);
			eng_store(E(c), KC_OP_ADD, vflags, tmp.key, tmp.klen,
				  "", 0, 0, vexp, NULL);
		}
		if (tmp.of.new_ttl && meta_pos(&tmp, 'T') < long_opaque(&tmp))
			key_op(E(c), KC_OP_TOUCH, tmp.key, tmp.klen,
			       tflags | KC_GET_NOBUMP, expire);
		/*
		 * The read counted as an access unless u, or a flag that
		 * makes memcached bump at the end (N T R l h), which the
		 * error skips.
		 */
		if (!tmp.of.no_update && !tmp.of.vivify && !tmp.of.new_ttl &&
		    !tmp.of.recache && !tmp.of.la && !tmp.of.hit)
			key_op(E(c), KC_OP_EXISTS, tmp.key, tmp.klen, KC_BUMP, 0);
		say(c, "CLIENT_ERROR opaque token too long\r\n");
		return;
	}
	r = eng_rec(E(c), c, r_mg, eng_val_room() + sizeof(*s));
	s = meta_state(c, r, &tmp);
	s->iadd = -1;
	s->ittl = -1;
	pt = meta_pos(s, 't');
	pT = meta_pos(s, 'T');
	pR = meta_pos(s, 'R');
	/*
	 * The kernel tests R against the expiry before a touch; memcached
	 * goes by the order of the flags, so a T before R is a TOUCH first
	 * (a past T is applied after the read: the item is shown, then gone).
	 * mg's T is no access of its own: these TOUCHes do not bump.
	 */
	touch_first = tmp.of.new_ttl && pR > pT && pT >= 0 &&
		      !exptime_past(tmp.of.exptime);
	/*
	 * N: a miss makes an empty item with the N expiry whose refresh
	 * token this client holds (an ADD that fails on a hit changes
	 * nothing).
	 */
	if (tmp.of.vivify) {
		uint32_t vflags;
		int64_t vexp;

		s->iadd = (int)r->nops;
		op = eng_op(E(c), r, KC_OP_ADD);
		kc_op_key(op, s->key, s->klen);
		kc_op_val(op, "", 0);
		exptime(tmp.of.autoviv, &vexp, &vflags);
		op->expire = vexp;
		op->flags = vflags | KC_SET_TOKEN;
	}
	/* "t" shows the TTL as of its place: before or after T applies. */
	if (pt >= 0 && pT >= 0 && pt < pT) {
		s->ittl = (int)r->nops;
		op = eng_op(E(c), r, KC_OP_TTL);
		kc_op_key(op, s->key, s->klen);
	}
	if (touch_first) {
		op = eng_op(E(c), r, KC_OP_TOUCH);
		kc_op_key(op, s->key, s->klen);
		op->flags = tflags | KC_GET_NOBUMP;
		op->expire = expire;
	}
	s->iget = (int)r->nops;
	op = eng_op(E(c), r, KC_OP_GET);
	kc_op_key(op, s->key, s->klen);
	eng_op_outval(E(c), op);
	/* always: memcached shows the stale state (X, W, Z) on every mg */
	op->flags |= KC_GET_META;
	op->num2 = recache_secs(&tmp.of);
	if (tmp.of.no_update)
		op->flags |= KC_GET_NOBUMP;
	if (touch_first) {
		/* done above */
	} else if (tmp.of.new_ttl && exptime_past(tmp.of.exptime)) {
		op = eng_op(E(c), r, KC_OP_TOUCH);
		kc_op_key(op, s->key, s->klen);
		op->flags = tflags | KC_GET_NOBUMP;
		op->expire = expire;
	} else if (tmp.of.new_ttl) {
		op->flags |= KC_GET_TOUCH | tflags;
		op->expire = expire;
	}
	if (pt >= 0 && s->ittl < 0) {
		s->ittl = (int)r->nops;
		op = eng_op(E(c), r, KC_OP_TTL);
		kc_op_key(op, s->key, s->klen);
	}
}

/* ms and md replies: the code, then the flags memcached echoes. */
static void meta_reply(struct conn *c, const struct mstate *s,
		       const char *code, bool with_cas, uint64_t cas)
{
	struct buf *o = &c->out;
	size_t i;

	buf_adds(o, code);
	for (i = 0; i < s->ntok; i++) {
		switch (s->tok[i].p[0]) {
		case 'O':
			buf_addc(o, ' ');
			buf_add(o, s->tok[i].p, s->tok[i].len);
			break;
		case 'k':
			meta_key(o, s);
			break;
		case 'c':
			if (with_cas) {
				buf_add(o, " c", 2);
				buf_add_u64(o, cas);
			}
			break;
		}
	}
	buf_add(o, "\r\n", 2);
}

static void r_ms(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct mstate *s = (struct mstate *)r->p;
	int err = ops[0].result;
	const char *code;

	if (ops[0].opcode == KC_OP_EXISTS) {
		/* C0 in CAS mode: no item has CAS 0 */
		if (err && err != -ENOENT && err != -EPROTOTYPE)
			kerr(&c->out, err);
		else
			meta_reply(c, s, err ? "NF" : "EX", true, 0);
		return;
	}
	switch (-err) {
	case 0:
		if (s->of.no_reply)
			return;
		code = "HD";
		break;
	case EEXIST:
		code = s->type == MC_ADD ? "NS" : "EX";
		break;
	case ENOENT:
		code = s->type == MC_CAS ? "NF" : "NS";
		break;
	case EPROTOTYPE:
		code = "NS";
		break;
	case ENOMEM:
	case E2BIG:
		drop_key(E(c), s->key, s->klen);
		/* fall through */
	default:
		kerr(&c->out, err);
		return;
	}
	meta_reply(c, s, code, true, err ? 0 : ops[0].cas);
}

/* The ms reply when the store did not run (append with a CAS that fails). */
static void ms_now(struct conn *c, struct mstate *s, const char *code)
{
	meta_reply(c, s, code, true, 0);
}

static void ms(struct conn *c, struct mc_req *q)
{
	const char *errstr = "CLIENT_ERROR bad command line format";
	uint32_t opcode = KC_OP_SET, tflags = 0;
	struct mstate tmp, *s;
	int64_t expire = 0;
	struct kc_op *op;
	struct rec *r;
	int type = MC_SET;
	bool bad;

	/* memcache.c checked what comes before the flags */
	bad = meta_preparse(q, 3, &tmp.of, &tmp, &errstr) != 0;
	if (!bad) {
		switch (tmp.of.mode) {
		case 0: case 'S': type = MC_SET; break;
		case 'E': type = MC_ADD; break;
		case 'A': type = MC_APPEND; break;
		case 'P': type = MC_PREPEND; break;
		case 'R': type = MC_REPLACE; break;
		default:
			errstr = "CLIENT_ERROR invalid mode for ms M token";
			bad = true;
		}
		if (!bad && tmp.of.opaque_long) {
			errstr = "CLIENT_ERROR opaque token too long";
			bad = true;
		}
	}
	if (bad) {
		buf_printf(out(c), "%s\r\n", errstr);
		return;
	}
	if (tmp.of.has_cas && (type == MC_SET || type == MC_REPLACE))
		type = MC_CAS;
	if (q->too_large) {
		say(c, "SERVER_ERROR object too large for cache\r\n");
		eng_flush(E(c));
		drop_key(E(c), tmp.key, tmp.klen);
		return;
	}
	if (q->bad_chunk) {
		say(c, "CLIENT_ERROR bad data chunk\r\n");
		return;
	}
	if (tmp.of.new_ttl)
		exptime(tmp.of.exptime, &expire, &tflags);
	tmp.type = type;
	if (tmp.of.has_cas && tmp.of.req_cas &&
	    (type == MC_APPEND || type == MC_PREPEND)) {
		/* kcache's append takes no CAS: compare first (not atomic) */
		struct kc_op x;

		eng_flush(E(c));
		kc_op_init(&x, KC_OP_EXISTS);
		kc_op_key(&x, tmp.key, tmp.klen);
		if (eng_do(E(c), &x)) {
			if (x.result == -ENOENT)
				ms_now(c, &tmp, "NS");
			else
				kerr(&c->out, x.result);
			return;
		}
		if (x.cas != tmp.of.req_cas) {
			ms_now(c, &tmp, "EX");
			return;
		}
	}
	switch (type) {
	case MC_ADD: opcode = KC_OP_ADD; break;
	case MC_APPEND: opcode = KC_OP_APPEND; break;
	case MC_PREPEND: opcode = KC_OP_PREPEND; break;
	case MC_REPLACE: opcode = KC_OP_REPLACE; break;
	default: opcode = KC_OP_SET; break;
	}
	r = eng_rec(E(c), c, r_ms, sizeof(*s));
	s = meta_state(c, r, &tmp);
	if (type == MC_CAS && !tmp.of.req_cas) {
		op = eng_op(E(c), r, KC_OP_EXISTS);
		kc_op_key(op, s->key, s->klen);
		return;
	}
	op = eng_op(E(c), r, opcode);
	kc_op_key(op, s->key, s->klen);
	kc_op_val(op, q->data, q->dlen);
	if (type == MC_APPEND || type == MC_PREPEND)
		return;
	op->client_flags = tmp.of.client_flags;
	op->expire = expire;
	op->flags = tflags;
	if (type == MC_CAS) {
		op->flags |= KC_SET_CAS;
		op->cas = tmp.of.req_cas;
		/* I: a lower CAS stores the value as stale (memcached) */
		if (tmp.of.set_stale)
			op->flags |= KC_STALE;
	}
}

static void r_md(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const struct mstate *s = r->p;
	int err = ops[0].result;
	const char *code;

	if (ops[0].opcode == KC_OP_EXISTS) {
		/* C0: memcached compares with the item's CAS, never 0 */
		code = err == -ENOENT || err == -EPROTOTYPE ? "NF" : "EX";
		if (err && err != -ENOENT && err != -EPROTOTYPE) {
			kerr(&c->out, err);
			return;
		}
	} else {
		switch (-err) {
		case 0:
			if (s->of.no_reply)
				return;
			code = "HD";
			break;
		case ENOENT:
		case EPROTOTYPE:
			code = "NF";
			break;
		case EEXIST:
			code = "EX";
			break;
		default:
			kerr(&c->out, err);
			return;
		}
	}
	meta_reply(c, s, code, false, 0);
}

static void md(struct conn *c, struct mc_req *q)
{
	const char *errstr = "CLIENT_ERROR bad command line format";
	struct mstate tmp, *s;
	struct kc_op *op;
	struct rec *r;

	if (q->ntok < 2) {
		say(c, "ERROR\r\n");
		return;
	}
	if (q->tok[1].len > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (mcn(q) > MC_META_TOKENS) {
		say(c, "CLIENT_ERROR options flags too long\r\n");
		return;
	}
	if (meta_preparse(q, 2, &tmp.of, &tmp, &errstr)) {
		say(c, "CLIENT_ERROR invalid or duplicate flag\r\n");
		return;
	}
	if (tmp.of.opaque_long) {
		say(c, "CLIENT_ERROR opaque token too long\r\n");
		return;
	}
	r = eng_rec(E(c), c, r_md, sizeof(*s));
	s = meta_state(c, r, &tmp);
	if (tmp.of.has_cas && !tmp.of.req_cas) {
		op = eng_op(E(c), r, KC_OP_EXISTS);
		kc_op_key(op, s->key, s->klen);
		return;
	}
	op = eng_op(E(c), r, KC_OP_DEL);
	kc_op_key(op, s->key, s->klen);
	if (tmp.of.has_cas) {
		op->flags = KC_SET_CAS;
		op->cas = tmp.of.req_cas;
	}
	/*
	 * I: kept and served as stale, with a new CAS, the token free for
	 * the next mg, and T's expiry; memcached's T only counts with I.
	 */
	if (tmp.of.set_stale) {
		op->flags |= KC_STALE;
		if (tmp.of.new_ttl) {
			uint32_t tflags;
			int64_t texp;

			exptime(tmp.of.exptime, &texp, &tflags);
			op->expire = texp;
			op->flags |= KC_GET_TOUCH | tflags;
		}
	}
}

/* ma: the expiry the last T (or N, when it created the item) set. */
static void ma_expire(struct conn *c, const struct mstate *s, bool have,
		      int32_t v)
{
	uint32_t tflags;
	int64_t expire;

	if (!have)
		return;
	exptime(v, &expire, &tflags);
	/* memcached's ma reads no item as a fetch: nor does its T */
	key_op(E(c), KC_OP_TOUCH, s->key, s->klen, tflags | KC_GET_NOBUMP,
	       expire);
}

static void ma(struct conn *c, struct mc_req *q)
{
	const char *errstr = "CLIENT_ERROR bad command line format";
	uint64_t res = 0, newcas = 0;
	int64_t expire = 0, ttl = -1;
	struct buf *o = &c->out, rb;
	bool incr = true, created, have_pend = false;
	int32_t pend = 0;
	struct mstate s;
	uint32_t tflags = 0;
	char num[24];
	size_t i;
	int err, len;

	if (q->ntok < 2) {
		say(c, "ERROR\r\n");
		return;
	}
	if (q->tok[1].len > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (mcn(q) > MC_META_TOKENS) {
		say(c, "CLIENT_ERROR options flags too long\r\n");
		return;
	}
	if (meta_preparse(q, 2, &s.of, &s, &errstr)) {
		say(c, "CLIENT_ERROR invalid or duplicate flag\r\n");
		return;
	}
	if (meta_pos(&s, 'D') < 0)
		s.of.delta = 1;
	switch (s.of.mode) {
	case 0: case 'I': case '+':
		incr = true;
		break;
	case 'D': case '-':
		incr = false;
		break;
	default:
		say(c, "CLIENT_ERROR invalid mode for ma M token\r\n");
		return;
	}
	if (s.of.vivify)
		exptime(s.of.autoviv, &expire, &tflags);
	eng_flush(E(c));
	if (meta_pos(&s, 't') >= 0)
		ttl = key_op(E(c), KC_OP_TTL, s.key, s.klen, 0, 0);
	err = arith(E(c), s.key, s.klen, incr, s.of.delta, s.of.vivify,
		    s.of.initial, expire, tflags,
		    s.of.has_cas ? s.of.req_cas : 0, &res, &newcas, &created);
	switch (-err) {
	case 0:
		break;
	case ENOENT:
	case ECANCELED:
		/* a long O fails the reply that has no item too */
		if (s.of.opaque_long)
			say(c, "CLIENT_ERROR opaque token too long\r\n");
		else
			meta_reply(c, &s, err == -ENOENT ? "NF" : "EX", false, 0);
		return;
	case EEXIST:
		if (s.of.vivify) {
			meta_reply(c, &s, "NS", false, 0);
			return;
		}
		say(c, "SERVER_ERROR lost the compare-and-swap race too often, try again\r\n");
		return;
	case EDOM:
		say(c, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
		return;
	case ENOMEM:
		say(c, created ? "SERVER_ERROR Out of memory allocating new item\r\n" :
				 "SERVER_ERROR out of memory\r\n");
		return;
	default:
		kerr(o, err);
		return;
	}
	if (created)
		ttl = -1;	/* memcached creates it immortal, then N applies */
	len = snprintf(num, sizeof(num), "%llu", (unsigned long long)res);
	/*
	 * memcached writes the reply walking the flags: T applies where it
	 * stands, a long O stops everything with an error.
	 */
	buf_init(&rb);
	if (s.of.value) {
		buf_add(&rb, "VA ", 3);
		buf_add_u64(&rb, (uint64_t)len);
	} else {
		buf_add(&rb, "HD", 2);
	}
	for (i = 0; i < s.ntok; i++) {
		switch (s.tok[i].p[0]) {
		case 'c':
			buf_add(&rb, " c", 2);
			buf_add_u64(&rb, newcas);
			break;
		case 't':
			buf_add(&rb, " t", 2);
			buf_add_i64(&rb, ttl);
			break;
		case 'T':
			pend = s.of.exptime;
			have_pend = true;
			ttl = ttl_of(pend);
			break;
		case 'N':
			if (created) {
				pend = s.of.autoviv;
				have_pend = true;
				ttl = ttl_of(pend);
			}
			break;
		case 'O':
			if (s.tok[i].len > MC_OPAQUE_MAX) {
				buf_free(&rb);
				ma_expire(c, &s, have_pend, pend);
				say(c, "CLIENT_ERROR opaque token too long\r\n");
				return;
			}
			buf_addc(&rb, ' ');
			buf_add(&rb, s.tok[i].p, s.tok[i].len);
			break;
		case 'k':
			meta_key(&rb, &s);
			break;
		}
	}
	buf_add(&rb, "\r\n", 2);
	if (s.of.value) {
		buf_add(&rb, num, (size_t)len);
		buf_add(&rb, "\r\n", 2);
	}
	ma_expire(c, &s, have_pend, pend);
	/* memcached: a plain success is quiet with q; a created item is not */
	if (!(s.of.no_reply && !created))
		buf_add(o, rb.data + rb.off, buf_avail(&rb));
	buf_free(&rb);
}

/* ------------------------------------------------------------ dispatch */

void mc_execute(struct conn *c, struct mc_req *q)
{
	STAT_ADD(total_commands, 1);
	c->ncmds++;
	E(c)->db = 0;		/* memcached has one database */
	flush_due(c);
	switch (q->type) {
	case MC_GET: case MC_GETS: case MC_GAT: case MC_GATS:
		get(c, q);
		break;
	case MC_SET: case MC_ADD: case MC_REPLACE: case MC_APPEND:
	case MC_PREPEND: case MC_CAS:
		store(c, q);
		break;
	case MC_DELETE:
		delete(c, q);
		break;
	case MC_INCR: case MC_DECR:
		incr_decr(c, q);
		break;
	case MC_TOUCH:
		touch(c, q);
		break;
	case MC_FLUSH_ALL:
		flush_all(c, q);
		break;
	case MC_STATS:
		stats(c, q);
		break;
	case MC_VERSION:
		say(c, "VERSION " MC_VERSION_STR "\r\n");
		break;
	case MC_VERBOSITY:
		verbosity(c, q);
		break;
	case MC_QUIT:
		eng_flush(E(c));
		conn_close_after_reply(c);
		break;
	case MC_MG:
		mg(c, q);
		break;
	case MC_MS:
		ms(c, q);
		break;
	case MC_MD:
		md(c, q);
		break;
	case MC_MA:
		ma(c, q);
		break;
	case MC_MN:
		say(c, "MN\r\n");
		break;
	case MC_ME:
		me(c, q);
		break;
	case MC_CACHE_MEMLIMIT:
		cache_memlimit(c, q);
		break;
	case MC_SHUTDOWN:
		say(c, "ERROR: shutdown not enabled\r\n");
		break;
	case MC_SLABS:
		slabs(c, q);
		break;
	case MC_LRU_CRAWLER:
		lru_crawler(c, q);
		break;
	case MC_LRU:
		if (mcn(q) < 3)
			say(c, "ERROR\r\n");
		else
			say(c, "CLIENT_ERROR kcache's LRU is tuned in the kernel: see kcache-cli config\r\n");
		break;
	case MC_WATCH:
		say(c, "CLIENT_ERROR watch is not supported by kcache-proxy\r\n");
		break;
	case MC_HTTP:
		/* memcached drops a cross-protocol request without a word */
		eng_flush(E(c));
		conn_close_after_reply(c);
		break;
	case MC_EMPTY:
	case MC_UNKNOWN:
		say(c, "ERROR\r\n");
		break;
	}
}
