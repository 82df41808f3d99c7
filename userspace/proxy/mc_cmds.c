// SPDX-License-Identifier: GPL-2.0
/*
 * memcached commands, text and meta protocol, over kcache operations.
 *
 * Expiry follows memcached: 0 never, negative already expired, up to 30
 * days relative seconds, larger an absolute unix time.  incr/decr use
 * memcached's unsigned 64-bit rules (incr wraps, decr stops at 0), which
 * the kernel's signed INCRBY cannot express: they read the value and write
 * the result back with compare-and-swap, retrying when another client wins.
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
#include "server.h"

#define MC_REL_MAX	(60 * 60 * 24 * 30)	/* memcached's REALTIME_MAXDELTA */
#define MC_TRIES	100
#define MC_VERSION_STR	"1.6.18-kcache-" PROXY_VERSION

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

static bool tok_is(const struct arg *a, const char *s)
{
	size_t n = strlen(s);

	return a->len == n && !memcmp(a->p, s, n);
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

static bool exptime_arg(const struct arg *a, int64_t *expire, uint32_t *flags)
{
	int64_t v;

	if (!mc_toi64(a, &v))
		return false;
	exptime(v, expire, flags);
	return true;
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

/* ------------------------------------------------------------ text */

enum { NOREPLY = 1, GETS = 2 };

static void r_store(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;
	const char *s;

	switch (-err) {
	case 0:
		s = "STORED\r\n";
		break;
	case EEXIST:
		s = ops[0].opcode == KC_OP_ADD ? "NOT_STORED\r\n" : "EXISTS\r\n";
		break;
	case ENOENT:
		s = (ops[0].flags & KC_SET_CAS) ? "NOT_FOUND\r\n" : "NOT_STORED\r\n";
		break;
	case EPROTOTYPE:
		s = "NOT_STORED\r\n";
		break;
	default:
		kerr(&c->out, err);
		return;
	}
	if (!(r->flags & NOREPLY))
		buf_adds(&c->out, s);
}

static void store(struct conn *c, struct mc_req *q)
{
	static const uint32_t opc[] = {
		[MC_SET] = KC_OP_SET, [MC_ADD] = KC_OP_ADD,
		[MC_REPLACE] = KC_OP_REPLACE, [MC_APPEND] = KC_OP_APPEND,
		[MC_PREPEND] = KC_OP_PREPEND, [MC_CAS] = KC_OP_SET,
	};
	size_t nt = q->type == MC_CAS ? 6 : 5;
	uint32_t cflags, tflags;
	int64_t expire;
	uint64_t cas = 0;
	struct kc_op *op;
	struct rec *r;

	if (!mc_tou32(&q->tok[2], &cflags) ||
	    !exptime_arg(&q->tok[3], &expire, &tflags) ||
	    (q->type == MC_CAS && !mc_tou64(&q->tok[5], &cas)) ||
	    (q->ntok > nt && !tok_is(&q->tok[nt], "noreply"))) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	r = eng_rec(E(c), c, r_store, 0);
	r->flags = q->ntok > nt ? NOREPLY : 0;
	op = eng_op(E(c), r, opc[q->type]);
	kc_op_key(op, q->tok[1].p, q->tok[1].len);
	kc_op_val(op, q->data, q->dlen);
	if (q->type != MC_APPEND && q->type != MC_PREPEND) {
		op->client_flags = cflags;
		op->expire = expire;
		op->flags = tflags;
	}
	if (q->type == MC_CAS) {
		op->flags |= KC_SET_CAS;
		op->cas = cas;
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

static bool keys_ok(struct mc_req *q, size_t from)
{
	size_t i;

	for (i = from; i < q->ntok; i++)
		if (q->tok[i].len > MC_KEY_MAX)
			return false;
	return true;
}

static void get(struct conn *c, struct mc_req *q)
{
	bool touch = q->type == MC_GAT || q->type == MC_GATS;
	size_t first = touch ? 2 : 1, i;
	uint32_t tflags = 0;
	int64_t expire = 0;

	if (q->ntok <= first) {
		say(c, "ERROR\r\n");
		return;
	}
	if ((touch && !exptime_arg(&q->tok[1], &expire, &tflags)) ||
	    !keys_ok(q, first)) {
		say(c, touch ? "CLIENT_ERROR invalid exptime argument\r\n" :
			       "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	for (i = first; i < q->ntok; i++) {
		struct rec *r;
		struct kc_op *op;

		/*
		 * Up to 8192 keys of item_size_max each: the engine runs them
		 * in batches, and once their replies are over the limit the
		 * rest is not read (conn_process() drops the client).
		 */
		if (conn_out_over(c))
			return;
		r = eng_rec(E(c), c, r_value, eng_val_room());
		op = eng_op(E(c), r, KC_OP_GET);

		r->p = q->tok[i].p;
		r->plen = q->tok[i].len;
		r->flags = (q->type == MC_GETS || q->type == MC_GATS) ? GETS : 0;
		kc_op_key(op, q->tok[i].p, q->tok[i].len);
		eng_op_outval(E(c), op);
		if (touch) {
			op->flags = KC_GET_TOUCH | tflags;
			op->expire = expire;
		}
	}
	say(c, "END\r\n");
}

static void r_simple(struct conn *c, struct rec *r, struct kc_op *ops)
{
	int err = ops[0].result;

	if (err && err != -ENOENT && err != -EEXIST) {
		kerr(&c->out, err);
		return;
	}
	if (r->flags & NOREPLY)
		return;
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
	bool noreply = q->ntok > 2 && tok_is(&q->tok[q->ntok - 1], "noreply");
	size_t n = q->ntok - noreply;
	struct kc_op *op;
	struct rec *r;

	if (n < 2 || n > 3 || (n == 3 && !tok_is(&q->tok[2], "0")) ||
	    q->tok[1].len > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
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
	bool noreply = q->ntok == 4 && tok_is(&q->tok[3], "noreply");
	uint32_t tflags;
	int64_t expire;
	struct kc_op *op;
	struct rec *r;

	if ((q->ntok != 3 && !noreply) || q->tok[1].len > MC_KEY_MAX) {
		say(c, "ERROR\r\n");
		return;
	}
	if (!exptime_arg(&q->tok[2], &expire, &tflags)) {
		say(c, "CLIENT_ERROR invalid exptime argument\r\n");
		return;
	}
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
	bool noreply = q->ntok > 1 && tok_is(&q->tok[q->ntok - 1], "noreply");
	size_t n = q->ntok - noreply;
	int64_t delay = 0;
	struct rec *r;

	if (n > 2 || (n == 2 && !mc_toi64(&q->tok[1], &delay))) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (delay > 0) {
		say(c, "CLIENT_ERROR flush_all with a delay is not supported by kcache-proxy\r\n");
		return;
	}
	r = eng_rec(E(c), c, r_simple, 0);
	r->p = ok_replies;
	r->flags = noreply ? NOREPLY : 0;
	eng_op(E(c), r, KC_OP_FLUSH);
}

/*
 * The number stored at a key, as memcached reads it: decimal digits,
 * optionally followed by spaces (memcached pads in-place decrements).
 */
static bool value_u64(const char *v, size_t len, uint64_t *n)
{
	struct arg a = { (char *)v, len };

	while (a.len && a.p[a.len - 1] == ' ')
		a.len--;
	return mc_tou64(&a, n);
}

/* TOUCH or TTL of one key now; the TTL (expire) or -1. */
static int64_t key_op(struct engine *e, uint32_t opcode,
		      const struct arg *key, uint32_t flags, int64_t expire)
{
	struct kc_op op;

	kc_op_init(&op, opcode);
	op.flags = flags;
	op.expire = expire;
	kc_op_key(&op, key->p, key->len);
	return eng_do(e, &op) ? -1 : op.expire;
}

/*
 * One incr/decr by compare-and-swap.  Returns 0 with *res, -ENOENT,
 * -EDOM (not a number), -EEXIST (lost every race) or another -errno.
 * With vivify, a missing key is created with init (and exp, tflags).
 */
static int arith(struct engine *e, const struct arg *key, bool incr, uint64_t delta,
		 bool vivify, uint64_t init, int64_t exp, uint32_t tflags,
		 uint64_t want_cas, uint64_t *res, uint64_t *cas_out)
{
	char num[24];
	int tries, err = -EEXIST;

	for (tries = 0; tries < MC_TRIES; tries++) {
		uint32_t cflags = 0;
		uint64_t cur, cas;
		size_t vlen;
		void *val;
		int len;

		err = eng_get_alloc(e, key->p, key->len, &val, &vlen, &cas,
				    &cflags);
		if (err == -ENOENT && vivify) {
			len = snprintf(num, sizeof(num), "%llu",
				       (unsigned long long)init);
			err = eng_store(e, KC_OP_ADD, tflags, key->p, key->len,
					num, (size_t)len, 0, exp, cas_out);
			if (err == -EEXIST)
				continue;
			*res = init;
			return err;
		}
		if (err == -EPROTOTYPE)
			return -EDOM;
		if (err)
			return err;
		if (want_cas && cas != want_cas) {
			free(val);
			return -ECANCELED;
		}
		if (!value_u64(val, vlen, &cur)) {
			free(val);
			return -EDOM;
		}
		free(val);
		if (incr)
			cur += delta;		/* wraps at 2^64 */
		else
			cur = cur < delta ? 0 : cur - delta;
		len = snprintf(num, sizeof(num), "%llu", (unsigned long long)cur);
		err = eng_store(e, KC_OP_SET, KC_SET_CAS | KC_SET_KEEPTTL,
				key->p, key->len, num, (size_t)len, cflags, 0,
				&cas);
		if (!err) {
			*res = cur;
			if (cas_out)
				*cas_out = cas;
			return 0;
		}
		if (err == -ENOENT && !vivify)
			return -ENOENT;
		if (err != -EEXIST && err != -ENOENT)
			return err;
	}
	return err;
}

static void incr_decr(struct conn *c, struct mc_req *q)
{
	bool noreply = q->ntok == 4 && tok_is(&q->tok[3], "noreply");
	uint64_t delta, res;
	int err;

	if ((q->ntok != 3 && !noreply) || q->tok[1].len > MC_KEY_MAX) {
		say(c, "ERROR\r\n");
		return;
	}
	if (!mc_tou64(&q->tok[2], &delta)) {
		say(c, "CLIENT_ERROR invalid numeric delta argument\r\n");
		return;
	}
	eng_flush(E(c));
	err = arith(E(c), &q->tok[1], q->type == MC_INCR, delta, false, 0,
		    0, 0, 0, &res, NULL);
	if (!err) {
		if (!noreply)
			buf_printf(&c->out, "%llu\r\n", (unsigned long long)res);
	} else if (err == -ENOENT) {
		if (!noreply)
			say(c, "NOT_FOUND\r\n");
	} else if (err == -EDOM) {
		say(c, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
	} else if (err == -EEXIST) {
		say(c, "SERVER_ERROR lost the compare-and-swap race too often, try again\r\n");
	} else {
		kerr(&c->out, err);
	}
}

static void stat_u(struct buf *o, const char *name, unsigned long long v)
{
	buf_printf(o, "STAT %s %llu\r\n", name, v);
}

static void stats(struct conn *c, struct mc_req *q)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i, active = 0;
	struct buf *o = &c->out;
	struct kc_stats st;
	struct rusage ru;
	int err;

	eng_flush(E(c));
	if (q->ntok == 2 && tok_is(&q->tok[1], "reset")) {
		say(c, "RESET\r\n");
		return;
	}
	if (q->ntok > 2 || (q->ntok == 2 && !tok_is(&q->tok[1], "slabs") &&
			    !tok_is(&q->tok[1], "items"))) {
		say(c, "ERROR\r\n");
		return;
	}
	err = kc_stats(E(c)->fd, &st);
	if (!err && q->ntok == 2)
		err = kc_class_stats(E(c)->fd, cs, 256, &n, &nr);
	STAT_ADD(ioctls, 1);
	if (err) {
		kerr(o, err);
		return;
	}
	if (q->ntok == 2 && tok_is(&q->tok[1], "slabs")) {
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
			buf_printf(o, "STAT %u:mem_requested %llu\r\n", id, (unsigned long long)cs[i].mem_requested);
		}
		stat_u(o, "active_slabs", active);
		stat_u(o, "total_malloced", st.used_bytes);
		say(c, "END\r\n");
		return;
	}
	if (q->ntok == 2) {	/* items */
		for (i = 0; i < n; i++) {
			unsigned id = (unsigned)i + 1;

			if (!cs[i].items)
				continue;
			buf_printf(o, "STAT items:%u:number %llu\r\n", id, (unsigned long long)cs[i].items);
			buf_printf(o, "STAT items:%u:number_hot %llu\r\n", id, (unsigned long long)cs[i].hot);
			buf_printf(o, "STAT items:%u:number_warm %llu\r\n", id, (unsigned long long)cs[i].warm);
			buf_printf(o, "STAT items:%u:number_cold %llu\r\n", id, (unsigned long long)cs[i].cold);
			buf_printf(o, "STAT items:%u:evicted %llu\r\n", id, (unsigned long long)cs[i].evictions);
			buf_printf(o, "STAT items:%u:reclaimed %llu\r\n", id, (unsigned long long)cs[i].reclaimed);
			buf_printf(o, "STAT items:%u:outofmemory %llu\r\n", id, (unsigned long long)cs[i].outofmemory);
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
	stat_u(o, "curr_connections", (unsigned long long)STAT_GET(curr_connections));
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
	stat_u(o, "kcache_used_bytes", st.used_bytes);
	stat_u(o, "kcache_ioctls", STAT_GET(ioctls));
	say(c, "END\r\n");
}

/* ------------------------------------------------------------ meta */

/* Parsed meta flags: single letters, some with a token. */
struct meta {
	unsigned set;			/* bit per letter seen */
	struct arg tok[26];		/* their tokens (A..Z) */
	char order[32];			/* return flags in request order */
	size_t norder;
	bool base64;
};

#define M(ch)	(1U << ((ch) - 'a'))
#define UP(ch)	(1U << ((ch) - 'A'))
#define HAS(m, ch)	((m)->set & M(ch))
/* Upper-case flags live in set bits 26 and up via this map. */
static int meta_index(char ch)
{
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a';
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	return -1;
}

/*
 * Splits flag tokens; allowed is the set of letters (lower and upper case)
 * this command takes.  Lower-case return flags are remembered in order.
 */
static bool meta_parse(struct mc_req *q, size_t from, const char *allowed,
		       struct meta *m, unsigned *upper)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	*upper = 0;
	for (i = from; i < q->ntok; i++) {
		char ch = q->tok[i].p[0];
		int idx = meta_index(ch);

		if (idx < 0 || !strchr(allowed, ch))
			return false;
		if (ch >= 'A' && ch <= 'Z') {
			if (*upper & (1U << idx))
				return false;
			*upper |= 1U << idx;
			m->tok[idx].p = q->tok[i].p + 1;
			m->tok[idx].len = q->tok[i].len - 1;
			if (ch == 'O' && m->norder < sizeof(m->order))
				m->order[m->norder++] = ch;
		} else {
			if (m->set & (1U << idx))
				return false;
			m->set |= 1U << idx;
			if (m->norder < sizeof(m->order))
				m->order[m->norder++] = ch;
		}
	}
	return true;
}

/* What memcached echoes on every reply: O and k, in request order. */
static void opaque(struct buf *o, const struct meta *m, unsigned upper,
		   const struct arg *key)
{
	size_t i;

	for (i = 0; i < m->norder; i++) {
		if (m->order[i] == 'O' && (upper & UP('O'))) {
			buf_add(o, " O", 2);
			buf_add(o, m->tok['O' - 'A'].p, m->tok['O' - 'A'].len);
		} else if (m->order[i] == 'k' && key) {
			buf_add(o, " k", 2);
			buf_add(o, key->p, key->len);
		}
	}
}

/* Return flags of a hit: k, c, f, s, t (and O, b). */
static void ret_flags(struct buf *o, const struct meta *m, unsigned upper,
		      const struct arg *key, const struct kc_op *get,
		      int64_t ttl, size_t size)
{
	size_t i;

	for (i = 0; i < m->norder; i++) {
		switch (m->order[i]) {
		case 'k':
			buf_add(o, " k", 2);
			buf_add(o, key->p, key->len);
			break;
		case 'c':
			buf_add(o, " c", 2);
			buf_add_u64(o, get ? get->cas : 0);
			break;
		case 'f':
			buf_add(o, " f", 2);
			buf_add_u64(o, get ? get->client_flags : 0);
			break;
		case 's':
			buf_add(o, " s", 2);
			buf_add_u64(o, size);
			break;
		case 't':
			buf_add(o, " t", 2);
			buf_add_i64(o, ttl);
			break;
		case 'O':
			if (upper & UP('O')) {
				buf_add(o, " O", 2);
				buf_add(o, m->tok['O' - 'A'].p, m->tok['O' - 'A'].len);
			}
			break;
		}
	}
}

struct mg_state {
	struct meta m;
	unsigned upper;
	struct arg key;
};

static void r_mg(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const struct mg_state *s = r->p;
	struct buf *o = &c->out;
	int err = ops[0].result;
	int64_t ttl = -1;

	if (err == -ENOENT || err == -EPROTOTYPE) {
		if (!HAS(&s->m, 'q')) {
			buf_add(o, "EN", 2);
			opaque(o, &s->m, s->upper, &s->key);
			buf_add(o, "\r\n", 2);
		}
		return;
	}
	if (err) {
		kerr(o, err);
		return;
	}
	if (r->nops > 1 && !ops[1].result)
		ttl = ops[1].expire;
	if (HAS(&s->m, 'v')) {
		buf_add(o, "VA ", 3);
		buf_add_u64(o, ops[0].out_used);
	} else {
		buf_add(o, "HD", 2);
	}
	ret_flags(o, &s->m, s->upper, &s->key, &ops[0], ttl, ops[0].out_used);
	buf_add(o, "\r\n", 2);
	if (HAS(&s->m, 'v')) {
		buf_add(o, (const void *)(uintptr_t)ops[0].out, ops[0].out_used);
		buf_add(o, "\r\n", 2);
	}
}

static void mg(struct conn *c, struct mc_req *q)
{
	struct mg_state *s;
	uint32_t tflags = 0;
	int64_t expire = 0, v;
	struct kc_op *op;
	struct rec *r;
	struct meta m;
	unsigned upper;

	if (q->ntok < 2 || q->tok[1].len > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (!meta_parse(q, 2, "kcfstvqhluOTNREb", &m, &upper) ||
	    HAS(&m, 'b')) {
		say(c, "CLIENT_ERROR invalid flag\r\n");
		return;
	}
	if (upper & UP('T')) {
		if (!mc_toi64(&m.tok['T' - 'A'], &v)) {
			say(c, "CLIENT_ERROR bad token in command line format\r\n");
			return;
		}
		exptime(v, &expire, &tflags);
	}
	r = eng_rec(E(c), c, r_mg, eng_val_room() + sizeof(*s));
	s = eng_alloc(E(c), sizeof(*s));
	s->m = m;
	s->upper = upper;
	s->key = q->tok[1];
	r->p = s;
	op = eng_op(E(c), r, KC_OP_GET);
	kc_op_key(op, q->tok[1].p, q->tok[1].len);
	eng_op_outval(E(c), op);
	if (upper & UP('T')) {
		op->flags |= KC_GET_TOUCH | tflags;
		op->expire = expire;
	}
	if (HAS(&m, 'u'))
		op->flags |= KC_GET_NOBUMP;
	if (HAS(&m, 't')) {
		op = eng_op(E(c), r, KC_OP_TTL);
		kc_op_key(op, q->tok[1].p, q->tok[1].len);
	}
}

static void r_meta_simple(struct conn *c, struct rec *r, struct kc_op *ops)
{
	const struct mg_state *s = r->p;
	struct buf *o = &c->out;
	int err = ops[0].result;
	const char *code;

	switch (-err) {
	case 0:
		code = "HD";
		break;
	case ENOENT:
		/* ms: a failed replace or append is "not stored". */
		code = (ops[0].opcode == KC_OP_DEL ||
			(ops[0].flags & KC_SET_CAS)) ? "NF" : "NS";
		break;
	case EEXIST:
		code = ops[0].opcode == KC_OP_ADD ? "NS" : "EX";
		break;
	case EPROTOTYPE:
		code = "NS";
		break;
	default:
		kerr(o, err);
		return;
	}
	/* q: quiet mode hides the common case, HD. */
	if (HAS(&s->m, 'q') && !err)
		return;
	buf_adds(o, code);
	if (!err) {
		size_t i;

		for (i = 0; i < s->m.norder; i++) {
			if (s->m.order[i] == 'k') {
				buf_add(o, " k", 2);
				buf_add(o, s->key.p, s->key.len);
			} else if (s->m.order[i] == 'c') {
				buf_add(o, " c", 2);
				buf_add_u64(o, ops[0].cas);
			} else if (s->m.order[i] == 'O') {
				buf_add(o, " O", 2);
				buf_add(o, s->m.tok['O' - 'A'].p,
					s->m.tok['O' - 'A'].len);
			}
		}
	} else {
		opaque(o, &s->m, s->upper, &s->key);
	}
	buf_add(o, "\r\n", 2);
}

static void ms(struct conn *c, struct mc_req *q)
{
	uint32_t opcode = KC_OP_SET, cflags = 0, tflags = 0;
	int64_t expire = 0, v;
	uint64_t cas = 0;
	struct mg_state *s;
	struct kc_op *op;
	struct rec *r;
	struct meta m;
	unsigned upper;

	if (q->tok[1].len > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (!meta_parse(q, 3, "kcqsOTFCIMSNb", &m, &upper) || HAS(&m, 'b')) {
		say(c, "CLIENT_ERROR invalid flag\r\n");
		return;
	}
	if (((upper & UP('T')) && !mc_toi64(&m.tok['T' - 'A'], &v)) ||
	    ((upper & UP('F')) && !mc_tou32(&m.tok['F' - 'A'], &cflags)) ||
	    ((upper & UP('C')) && !mc_tou64(&m.tok['C' - 'A'], &cas))) {
		say(c, "CLIENT_ERROR bad token in command line format\r\n");
		return;
	}
	if (upper & UP('T'))
		exptime(v, &expire, &tflags);
	if (upper & UP('M')) {
		const struct arg *a = &m.tok['M' - 'A'];
		char mode = a->len == 1 ? a->p[0] : 0;

		switch (mode) {
		case 'S': case 's': opcode = KC_OP_SET; break;
		case 'E': case 'e': opcode = KC_OP_ADD; break;
		case 'R': case 'r': opcode = KC_OP_REPLACE; break;
		case 'A': case 'a': opcode = KC_OP_APPEND; break;
		case 'P': case 'p': opcode = KC_OP_PREPEND; break;
		default:
			say(c, "CLIENT_ERROR invalid mode for ms M token\r\n");
			return;
		}
	}
	r = eng_rec(E(c), c, r_meta_simple, sizeof(*s));
	s = eng_alloc(E(c), sizeof(*s));
	s->m = m;
	s->upper = upper;
	s->key = q->tok[1];
	r->p = s;
	op = eng_op(E(c), r, opcode);
	kc_op_key(op, q->tok[1].p, q->tok[1].len);
	kc_op_val(op, q->data, q->dlen);
	if (opcode == KC_OP_APPEND || opcode == KC_OP_PREPEND) {
		if (upper & UP('N'))
			op->flags = KC_APPEND_CREATE;
		return;
	}
	op->client_flags = cflags;
	op->expire = expire;
	op->flags = tflags;
	if ((upper & UP('C')) && opcode != KC_OP_ADD) {
		op->flags |= KC_SET_CAS;
		op->cas = cas;
	}
}

static void md(struct conn *c, struct mc_req *q)
{
	struct mg_state *s;
	struct kc_op *op;
	struct rec *r;
	struct meta m;
	unsigned upper;
	uint64_t cas = 0;

	if (q->ntok < 2 || q->tok[1].len > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (!meta_parse(q, 2, "kqOCITb", &m, &upper) || HAS(&m, 'b') ||
	    (upper & UP('I'))) {
		say(c, "CLIENT_ERROR invalid flag\r\n");
		return;
	}
	if ((upper & UP('C')) && !mc_tou64(&m.tok['C' - 'A'], &cas)) {
		say(c, "CLIENT_ERROR bad token in command line format\r\n");
		return;
	}
	r = eng_rec(E(c), c, r_meta_simple, sizeof(*s));
	s = eng_alloc(E(c), sizeof(*s));
	s->m = m;
	s->upper = upper;
	s->key = q->tok[1];
	r->p = s;
	op = eng_op(E(c), r, KC_OP_DEL);
	kc_op_key(op, q->tok[1].p, q->tok[1].len);
	if (upper & UP('C')) {
		op->flags = KC_SET_CAS;
		op->cas = cas;
	}
}

static void ma(struct conn *c, struct mc_req *q)
{
	uint64_t delta = 1, init = 0, cas = 0, res = 0, newcas = 0;
	uint32_t tflags = 0;
	int64_t expire = 0, v;
	bool incr = true, vivify;
	struct buf *o = &c->out;
	struct kc_op get;
	unsigned upper;
	struct meta m;
	int err;

	if (q->ntok < 2 || q->tok[1].len > MC_KEY_MAX) {
		say(c, "CLIENT_ERROR bad command line format\r\n");
		return;
	}
	if (!meta_parse(q, 2, "kqOtcvNJDTMCb", &m, &upper) || HAS(&m, 'b')) {
		say(c, "CLIENT_ERROR invalid flag\r\n");
		return;
	}
	/* memcached answers any bad numeric token of ma this way. */
	if (((upper & UP('D')) && !mc_tou64(&m.tok['D' - 'A'], &delta)) ||
	    ((upper & UP('J')) && !mc_tou64(&m.tok['J' - 'A'], &init)) ||
	    ((upper & UP('N')) && !mc_toi64(&m.tok['N' - 'A'], &v)) ||
	    ((upper & UP('C')) && !mc_tou64(&m.tok['C' - 'A'], &cas))) {
		say(c, "CLIENT_ERROR invalid or duplicate flag\r\n");
		return;
	}
	if (upper & UP('N'))
		exptime(v, &expire, &tflags);
	if (upper & UP('M')) {
		const struct arg *a = &m.tok['M' - 'A'];
		char mode = a->len == 1 ? a->p[0] : 0;

		if (mode == 'I' || mode == 'i' || mode == '+')
			incr = true;
		else if (mode == 'D' || mode == 'd' || mode == '-')
			incr = false;
		else {
			say(c, "CLIENT_ERROR invalid mode for ma M token\r\n");
			return;
		}
	}
	vivify = upper & UP('N');
	eng_flush(E(c));
	err = arith(E(c), &q->tok[1], incr, delta, vivify, init, expire,
		    tflags, cas, &res, &newcas);
	if (!err && (upper & UP('T'))) {
		int64_t te;
		uint32_t tf;

		if (mc_toi64(&m.tok['T' - 'A'], &v)) {
			exptime(v, &te, &tf);
			key_op(E(c), KC_OP_TOUCH, &q->tok[1], tf, te);
		}
	}
	switch (-err) {
	case 0:
		break;
	case ENOENT:
		if (!HAS(&m, 'q')) {
			buf_add(o, "NF", 2);
			opaque(o, &m, upper, &q->tok[1]);
			buf_add(o, "\r\n", 2);
		}
		return;
	case ECANCELED:
		buf_add(o, "EX", 2);
		opaque(o, &m, upper, &q->tok[1]);
		buf_add(o, "\r\n", 2);
		return;
	case EEXIST:
		buf_add(o, "NS", 2);
		opaque(o, &m, upper, &q->tok[1]);
		buf_add(o, "\r\n", 2);
		return;
	case EDOM:
		say(c, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
		return;
	default:
		kerr(o, err);
		return;
	}
	if (HAS(&m, 'q') && !HAS(&m, 'v'))
		return;
	memset(&get, 0, sizeof(get));
	get.cas = newcas;
	if (HAS(&m, 'v')) {
		char num[24];
		int len = snprintf(num, sizeof(num), "%llu",
				   (unsigned long long)res);
		int64_t ttl = -1;

		if (HAS(&m, 't'))
			ttl = key_op(E(c), KC_OP_TTL, &q->tok[1], 0, 0);
		buf_add(o, "VA ", 3);
		buf_add_u64(o, (uint64_t)len);
		ret_flags(o, &m, upper, &q->tok[1], &get, ttl, (size_t)len);
		buf_add(o, "\r\n", 2);
		buf_add(o, num, (size_t)len);
		buf_add(o, "\r\n", 2);
	} else {
		int64_t ttl = -1;

		if (HAS(&m, 't'))
			ttl = key_op(E(c), KC_OP_TTL, &q->tok[1], 0, 0);
		buf_add(o, "HD", 2);
		ret_flags(o, &m, upper, &q->tok[1], &get, ttl, 0);
		buf_add(o, "\r\n", 2);
	}
}

/* ------------------------------------------------------------ dispatch */

void mc_execute(struct conn *c, struct mc_req *q)
{
	STAT_ADD(total_commands, 1);
	c->ncmds++;
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
		if (q->ntok == 2 || q->ntok == 3) {
			if (!(q->ntok == 3 && tok_is(&q->tok[2], "noreply")))
				say(c, "OK\r\n");
		} else {
			say(c, "ERROR\r\n");
		}
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
	case MC_EMPTY:
	case MC_UNKNOWN:
		say(c, "ERROR\r\n");
		break;
	}
}
