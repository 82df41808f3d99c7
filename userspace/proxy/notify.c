// SPDX-License-Identifier: GPL-2.0
/*
 * Redis keyspace notifications (see notify.h).
 *
 * A message is a PUBLISH through the kcache pubsub group (knl_publish(),
 * as the PUBLISH command sends it), so the subscribers of every proxy on
 * the cache get it: "__keyspace@<db>__:<key>" with the event's name (K)
 * and "__keyevent@<db>__:<event>" with the key (E), in that order.
 *
 * Command events.  A write command that notify-keyspace-events covers has
 * an entry in nevs[] (its event and class).  While it plans, its records
 * carry the entry (engine.tag) and notify.c's after() (engine.after); once
 * a record's reply is written, after() skips an error (Redis changed
 * nothing) and reads what happened from the record's ops: which keys, and
 * whether anything changed (DEL of a missing key, SADD of members already
 * there, LPUSHX of a missing list answer without an event, as in Redis).
 * What the ops cannot tell comes from probes planned around the command
 * in the same batch (or transaction), so that no other command of the
 * worker runs between them (in a transaction nothing does; in a batch
 * another process may, a race that can lose or add a "del"):
 *
 * - after an op that may empty its key (pops, removals, LTRIM, LMOVE,
 *   SMOVE), an EXISTS of the key, appended to the command's last record:
 *   Redis's "del" when the container went away.  A command that ran its
 *   ops already (a blocking one that tried at once) asks now instead.
 * - before S*STORE and Z*STORE an EXISTS of the destination (an empty
 *   result deletes it: "del" only when it existed), before GETEX a TTL
 *   (PERSIST publishes only when there was one), before SETBIT a STRLEN
 *   (an unchanged bit publishes only when the string was created or
 *   grew).  Each is a record of its own just before the command's first
 *   one; its renderer keeps the answer in pre_flag for that command.
 *
 * Commands that write outside the engine's records (COPY, RESTORE,
 * INCRBYFLOAT alone, ZMPOP and the blocking pops served later) call
 * notify_key() or notify_op() themselves; so does BITFIELD's renderer,
 * which alone knows whether a write took effect.
 *
 * Kernel events.  "expired" and "evicted" have no command: the kernel
 * sends KC_CMD_EVENT to its keyspace group while its config notify is 1,
 * which CONFIG SET turns on with x or e (for the whole cache instance: it
 * stays on).  Every proxy would get each event, so one proxy per network
 * namespace (the cache's instance) republishes them: the one that holds
 * the abstract unix socket "@kcache-proxy/keyspace-events", bound while
 * its flags have x or e (with K or E), and there only its first worker
 * joins the group.  The others try to take it over once a second, so
 * when that proxy quits or turns x and e off, another one with them on
 * carries on.  The holder publishes by its own flags.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "knl.h"
#include "libkcache.h"
#include "notify.h"
#include "server.h"

#define EVENT_BATCH	256	/* kernel events per wakeup, then other work */
#define LEAD_NAME	"kcache-proxy/keyspace-events"

/* Classes a command event can have (x and e are the kernel's). */
#define NF_COMMAND	(NF_GENERIC | NF_STRING | NF_LIST | NF_SET | NF_HASH | \
			 NF_ZSET)

static int nflags;	/* the proxy's notify-keyspace-events (atomic) */

int notify_flags(void)
{
	return __atomic_load_n(&nflags, __ATOMIC_RELAXED);
}

/* Would an event of class cls be published? */
static bool wanted(int cls)
{
	int f = notify_flags();

	return (f & cls) && (f & (NF_KEYSPACE | NF_KEYEVENT));
}

/* ------------------------------------------------------------ flags */

static const struct {
	char c;
	int flags;
} letters[] = {
	{ 'A', NF_ALL }, { 'g', NF_GENERIC }, { '$', NF_STRING },
	{ 'l', NF_LIST }, { 's', NF_SET }, { 'h', NF_HASH }, { 'z', NF_ZSET },
	{ 'x', NF_EXPIRED }, { 'e', NF_EVICTED }, { 'K', NF_KEYSPACE },
	{ 'E', NF_KEYEVENT }, { 't', NF_STREAM }, { 'm', NF_KEYMISS },
	{ 'd', NF_MODULE }, { 'n', NF_NEW },
};

int notify_parse(const char *s, size_t len)
{
	int flags = 0;
	size_t i, j;

	for (i = 0; i < len; i++) {
		for (j = 0; j < sizeof(letters) / sizeof(letters[0]); j++)
			if (letters[j].c == s[i])
				break;
		if (j == sizeof(letters) / sizeof(letters[0]))
			return -1;
		flags |= letters[j].flags;
	}
	return flags;
}

/*
 * Redis's order: "A" for all of NF_ALL (n is then left out, as Redis
 * does), else each class; then K, E and m.
 */
void notify_format(int flags, char *s, size_t n)
{
	static const char order[] = "g$lshzxetdn";
	size_t i, k = 0, j;

	if ((flags & NF_ALL) == NF_ALL) {
		s[k++] = 'A';
	} else {
		for (i = 0; order[i]; i++)
			for (j = 0; j < sizeof(letters) / sizeof(letters[0]); j++)
				if (letters[j].c == order[i] &&
				    (flags & letters[j].flags))
					s[k++] = order[i];
	}
	if (flags & NF_KEYSPACE)
		s[k++] = 'K';
	if (flags & NF_KEYEVENT)
		s[k++] = 'E';
	if (flags & NF_KEYMISS)
		s[k++] = 'm';
	s[k < n ? k : n - 1] = 0;
}

/* ------------------------------------------------------------ publish */

/* Logs a failure to publish at most once a minute: it repeats per event. */
static void publish_failed(int err)
{
	static time_t logged;
	time_t now = time(NULL), was = __atomic_load_n(&logged, __ATOMIC_RELAXED);

	if (now - was >= 60 &&
	    __atomic_compare_exchange_n(&logged, &was, now, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		log_warn("keyspace notifications lost: KC_CMD_PUBLISH failed (%s); check that the kcache module is loaded and its netlink family up",
			 strerror(-err));
}

static void too_long_key(size_t klen)
{
	static int logged;

	if (!__atomic_exchange_n(&logged, 1, __ATOMIC_RELAXED))
		log_warn("a key of %zu bytes gets no __keyspace@ message: kcache channel names are at most %d bytes (keys up to %d bytes get one); __keyevent@ messages are sent",
			 klen, KC_CHANNEL_MAX, KC_CHANNEL_MAX - 16);
}

/* Publishes event on key of database db through nl, as flags say. */
static void emit(struct knl *nl, uint32_t db, int cls, const char *event,
		 const void *key, size_t klen)
{
	int f = notify_flags(), n, err;
	char ch[KC_CHANNEL_MAX + 1];

	if (!nl || !(f & cls))
		return;
	if (f & NF_KEYSPACE) {
		n = snprintf(ch, sizeof(ch), "__keyspace@%u__:", db);
		if ((size_t)n + klen > KC_CHANNEL_MAX) {
			too_long_key(klen);
		} else {
			memcpy(ch + n, key, klen);
			err = knl_publish(nl, ch, n + klen, event, strlen(event));
			if (err)
				publish_failed(err);
		}
	}
	if (f & NF_KEYEVENT) {
		n = snprintf(ch, sizeof(ch), "__keyevent@%u__:%s", db, event);
		err = knl_publish(nl, ch, (size_t)n, key, klen);
		if (err)
			publish_failed(err);
	}
}

static void pub(struct conn *c, uint32_t db, int cls, const char *event,
		const void *key, size_t klen)
{
	emit(c->w->nl, db, cls, event, key, klen);
}

void notify_key(struct conn *c, uint32_t db, int cls, const char *event,
		const void *key, size_t klen)
{
	if (wanted(cls))
		pub(c, db, cls, event, key, klen);
}

/* ------------------------------------------------------------ commands */

enum {
	NK_OPS,		/* the events the ops tell */
	NK_REPLACE,	/* DEL dst, then writes to it: event, or "del" if empty */
};

/* A command's event (NULL: named after each op, as pops and moves). */
struct nev {
	const char *cmd;
	const char *ev;
	int cls;
	uint8_t kind;
	uint8_t pre;	/* opcode probed on argv[1] before it, or 0 */
};

/* Sorted by name (bsearch); the events redis-server 7.0 publishes. */
static const struct nev nevs[] = {
	{ "append", "append", NF_STRING, NK_OPS, 0 },
	{ "bitop", "set", NF_STRING, NK_REPLACE, 0 },
	{ "blmove", NULL, NF_LIST, NK_OPS, 0 },
	{ "blmpop", NULL, NF_LIST, NK_OPS, 0 },
	{ "blpop", NULL, NF_LIST, NK_OPS, 0 },
	{ "brpop", NULL, NF_LIST, NK_OPS, 0 },
	{ "brpoplpush", NULL, NF_LIST, NK_OPS, 0 },
	{ "bzmpop", NULL, NF_ZSET, NK_OPS, 0 },
	{ "bzpopmax", NULL, NF_ZSET, NK_OPS, 0 },
	{ "bzpopmin", NULL, NF_ZSET, NK_OPS, 0 },
	{ "decr", "incrby", NF_STRING, NK_OPS, 0 },
	{ "decrby", "incrby", NF_STRING, NK_OPS, 0 },
	{ "del", "del", NF_GENERIC, NK_OPS, 0 },
	{ "expire", "expire", NF_GENERIC, NK_OPS, 0 },
	{ "expireat", "expire", NF_GENERIC, NK_OPS, 0 },
	{ "getdel", "del", NF_GENERIC, NK_OPS, 0 },
	{ "getex", "expire", NF_GENERIC, NK_OPS, KC_OP_TTL },
	{ "getset", "set", NF_STRING, NK_OPS, 0 },
	{ "hdel", "hdel", NF_HASH, NK_OPS, 0 },
	{ "hincrby", "hincrby", NF_HASH, NK_OPS, 0 },
	{ "hincrbyfloat", "hincrbyfloat", NF_HASH, NK_OPS, 0 },
	{ "hmset", "hset", NF_HASH, NK_OPS, 0 },
	{ "hset", "hset", NF_HASH, NK_OPS, 0 },
	{ "hsetnx", "hset", NF_HASH, NK_OPS, 0 },
	{ "incr", "incrby", NF_STRING, NK_OPS, 0 },
	{ "incrby", "incrby", NF_STRING, NK_OPS, 0 },
	{ "incrbyfloat", "incrbyfloat", NF_STRING, NK_OPS, 0 },
	{ "linsert", "linsert", NF_LIST, NK_OPS, 0 },
	{ "lmove", NULL, NF_LIST, NK_OPS, 0 },
	{ "lmpop", NULL, NF_LIST, NK_OPS, 0 },
	{ "lpop", NULL, NF_LIST, NK_OPS, 0 },
	{ "lpush", "lpush", NF_LIST, NK_OPS, 0 },
	{ "lpushx", "lpush", NF_LIST, NK_OPS, 0 },
	{ "lrem", "lrem", NF_LIST, NK_OPS, 0 },
	{ "lset", "lset", NF_LIST, NK_OPS, 0 },
	{ "ltrim", "ltrim", NF_LIST, NK_OPS, 0 },
	{ "move", "move_from", NF_GENERIC, NK_OPS, 0 },
	{ "mset", "set", NF_STRING, NK_OPS, 0 },
	{ "msetnx", "set", NF_STRING, NK_OPS, 0 },
	{ "persist", "persist", NF_GENERIC, NK_OPS, 0 },
	{ "pexpire", "expire", NF_GENERIC, NK_OPS, 0 },
	{ "pexpireat", "expire", NF_GENERIC, NK_OPS, 0 },
	{ "psetex", "set", NF_STRING, NK_OPS, 0 },
	{ "rename", "rename_from", NF_GENERIC, NK_OPS, 0 },
	{ "renamenx", "rename_from", NF_GENERIC, NK_OPS, 0 },
	{ "rpop", NULL, NF_LIST, NK_OPS, 0 },
	{ "rpoplpush", NULL, NF_LIST, NK_OPS, 0 },
	{ "rpush", "rpush", NF_LIST, NK_OPS, 0 },
	{ "rpushx", "rpush", NF_LIST, NK_OPS, 0 },
	{ "sadd", "sadd", NF_SET, NK_OPS, 0 },
	{ "sdiffstore", "sdiffstore", NF_SET, NK_OPS, KC_OP_EXISTS },
	{ "set", "set", NF_STRING, NK_OPS, 0 },
	{ "setbit", "setbit", NF_STRING, NK_OPS, KC_OP_STRLEN },
	{ "setex", "set", NF_STRING, NK_OPS, 0 },
	{ "setnx", "set", NF_STRING, NK_OPS, 0 },
	{ "setrange", "setrange", NF_STRING, NK_OPS, 0 },
	{ "sinterstore", "sinterstore", NF_SET, NK_OPS, KC_OP_EXISTS },
	{ "smove", NULL, NF_SET, NK_OPS, 0 },
	{ "sort", "sortstore", NF_LIST, NK_REPLACE, 0 },
	{ "spop", "spop", NF_SET, NK_OPS, 0 },
	{ "srem", "srem", NF_SET, NK_OPS, 0 },
	{ "sunionstore", "sunionstore", NF_SET, NK_OPS, KC_OP_EXISTS },
	{ "unlink", "del", NF_GENERIC, NK_OPS, 0 },
	{ "zadd", "zadd", NF_ZSET, NK_OPS, 0 },
	{ "zdiffstore", "zdiffstore", NF_ZSET, NK_OPS, KC_OP_EXISTS },
	{ "zincrby", "zincr", NF_ZSET, NK_OPS, 0 },
	{ "zinterstore", "zinterstore", NF_ZSET, NK_OPS, KC_OP_EXISTS },
	{ "zmpop", NULL, NF_ZSET, NK_OPS, 0 },
	{ "zpopmax", "zpopmax", NF_ZSET, NK_OPS, 0 },
	{ "zpopmin", "zpopmin", NF_ZSET, NK_OPS, 0 },
	{ "zrangestore", "zrangestore", NF_ZSET, NK_REPLACE, 0 },
	{ "zrem", "zrem", NF_ZSET, NK_OPS, 0 },
	{ "zremrangebylex", "zremrangebylex", NF_ZSET, NK_OPS, 0 },
	{ "zremrangebyrank", "zremrangebyrank", NF_ZSET, NK_OPS, 0 },
	{ "zremrangebyscore", "zremrangebyscore", NF_ZSET, NK_OPS, 0 },
	{ "zunionstore", "zunionstore", NF_ZSET, NK_OPS, KC_OP_EXISTS },
};

#define NNEVS	(sizeof(nevs) / sizeof(nevs[0]))

static int nev_cmp(const void *name, const void *entry)
{
	return strcmp(name, ((const struct nev *)entry)->cmd);
}

/*
 * The answer of the probe before the command being rendered: the
 * destination existed, the key had a TTL, the string was created or grew.
 * Each worker renders its records in the order they were planned, and a
 * command that has a probe has its own just before it.
 */
static __thread bool pre_flag;

/* r->a: the bytes SETBIT's offset needs. */
static void r_pre(struct conn *c, struct rec *r, struct kc_op *ops)
{
	(void)c;
	switch (ops[0].opcode) {
	case KC_OP_EXISTS:
		pre_flag = !ops[0].result;
		break;
	case KC_OP_TTL:
		pre_flag = !ops[0].result && ops[0].expire >= 0;
		break;
	case KC_OP_STRLEN:
		pre_flag = ops[0].result == -ENOENT ||
			   (!ops[0].result && ops[0].num < r->a);
		break;
	}
}

static void plan_pre(struct conn *c, const struct nev *n,
		     const struct arg *argv)
{
	struct engine *e = &c->w->eng;
	long long off = 0;
	struct kc_op *op;
	struct rec *r;

	/* A bad key or offset fails the command: nothing to probe. */
	if (!argv[1].len || argv[1].len > KC_KEY_MAX)
		return;
	if (n->pre == KC_OP_STRLEN &&
	    (!resp_str2ll(argv[2].p, argv[2].len, &off) || off < 0))
		return;
	r = eng_rec(e, c, r_pre, 0);
	r->a = (off >> 3) + 1;
	op = eng_op(e, r, n->pre);
	kc_op_key(op, argv[1].p, argv[1].len);
	if (n->pre == KC_OP_TTL)
		op->flags = KC_TTL_MS;
}

static bool same(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

static const void *ptr(uint64_t p)
{
	return (const void *)(uintptr_t)p;
}

static const struct kc_buf *args_of(const struct kc_op *op)
{
	return ptr(op->args);
}

/* Redis's checkAlreadyExpired(): an expiry not in the future deletes. */
static bool past(const struct kc_op *op)
{
	struct timespec ts;
	long long now, when;

	if (!(op->flags & KC_TTL_ABS))
		return op->expire <= 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	when = op->flags & KC_TTL_MS ? op->expire :
	       op->expire > INT64_MAX / 1000 ? INT64_MAX : op->expire * 1000;
	return when <= now;
}

/* An EXISTS of key (the same pointer) planned after the op, or NULL. */
static const struct kc_op *probe_of(const struct kc_op *rest, size_t nrest,
				    uint64_t key)
{
	size_t i;

	for (i = 0; i < nrest; i++)
		if (rest[i].opcode == KC_OP_EXISTS && rest[i].key == key)
			return &rest[i];
	return NULL;
}

/* "del" when the op emptied key (its probe, else a look now). */
static void emptied(struct conn *c, uint32_t db, uint64_t key, size_t klen,
		    const struct kc_op *rest, size_t nrest)
{
	const struct kc_op *probe = probe_of(rest, nrest, key);
	struct engine *e = &c->w->eng;
	uint32_t was = e->db;
	struct kc_op op;
	int err;

	if (!wanted(NF_GENERIC))
		return;
	if (probe) {
		err = probe->result;
	} else {
		kc_op_init(&op, KC_OP_EXISTS);
		kc_op_key(&op, ptr(key), klen);
		e->db = db;
		err = eng_do(e, &op);
		e->db = was;
	}
	if (err == -ENOENT)
		pub(c, db, NF_GENERIC, "del", ptr(key), klen);
}

/* LMPOP: the key it popped from (its reply's first record) and its args. */
static void lmpop_events(struct conn *c, int cls, const struct kc_op *op,
			 const struct kc_op *rest, size_t nrest)
{
	const struct kc_buf *kb = args_of(op);
	const struct kc_elem *el;
	struct kc_elem_iter it;
	const void *key;
	uint32_t i;

	kc_elem_iter_init(&it, ptr(op->out), op->out_used, (size_t)op->num);
	el = kc_elem_next(&it, &key);
	if (!el || op->num < 2)
		return;
	for (i = 0; i < op->nargs; i++)
		if (same(ptr(kb[i].ptr), kb[i].len, key, el->len))
			break;
	if (i == op->nargs)
		return;
	pub(c, op->db, cls, op->num2 ? "rpop" : "lpop", ptr(kb[i].ptr),
	    kb[i].len);
	emptied(c, op->db, kb[i].ptr, kb[i].len, rest, nrest);
}

/* Pushes to args[0], pops from key (LMOVE: num, num2 are the ends). */
static void lmove_events(struct conn *c, int cls, const struct kc_op *op,
			 const struct kc_op *rest, size_t nrest)
{
	const struct kc_buf *dst = args_of(op);

	pub(c, op->db, cls, op->num2 ? "rpush" : "lpush", ptr(dst->ptr),
	    dst->len);
	pub(c, op->db, cls, op->num ? "rpop" : "lpop", ptr(op->key),
	    op->key_len);
	if (!same(ptr(op->key), op->key_len, ptr(dst->ptr), dst->len))
		emptied(c, op->db, op->key, op->key_len, rest, nrest);
}

static void smove_events(struct conn *c, int cls, const struct kc_op *op,
			 const struct kc_op *rest, size_t nrest)
{
	const struct kc_buf *dst = args_of(op);

	if (op->num <= 0 ||
	    same(ptr(op->key), op->key_len, ptr(dst->ptr), dst->len))
		return;
	pub(c, op->db, cls, "srem", ptr(op->key), op->key_len);
	emptied(c, op->db, op->key, op->key_len, rest, nrest);
	pub(c, op->db, cls, "sadd", ptr(dst->ptr), dst->len);
}

static void mset_events(struct conn *c, const char *ev, int cls,
			const struct kc_op *op)
{
	const struct kc_buf *kb = args_of(op);
	uint32_t i;

	for (i = 0; i + 1 < op->nargs; i += 2)
		pub(c, op->db, cls, ev, ptr(kb[i].ptr), kb[i].len);
}

/* GETEX: GET with KC_GET_TOUCH set an expiry, or removed it (expire 0). */
static void getex_events(struct conn *c, const struct kc_op *op)
{
	const void *key = ptr(op->key);

	if (!(op->flags & KC_GET_TOUCH))
		return;
	if (!op->expire) {
		if (pre_flag)
			pub(c, op->db, NF_GENERIC, "persist", key, op->key_len);
	} else {
		pub(c, op->db, NF_GENERIC, past(op) ? "del" : "expire", key,
		    op->key_len);
	}
}

/* Did op change its key?  (It succeeded: a count says whether it did.) */
static bool changed(const struct kc_op *op)
{
	switch (op->opcode) {
	case KC_OP_SADD: case KC_OP_SREM: case KC_OP_HDEL: case KC_OP_ZREM:
	case KC_OP_LREM:
		return op->num > 0;
	case KC_OP_ZADD:
		return (op->flags & KC_Z_INCR) || op->num > 0;
	case KC_OP_HSET:	/* HSETNX of a field there: 0 new fields */
		return !(op->flags & KC_SET_NX) || op->num > 0;
	case KC_OP_LINSERT:
		return op->num != -1;
	case KC_OP_SETRANGE:
		return op->val_len > 0;
	case KC_OP_SETBIT:
		return op->num != op->num2 || pre_flag;
	case KC_OP_LPOP: case KC_OP_RPOP: case KC_OP_SPOP:
		return !(op->flags & KC_POP_COUNT) || op->num > 0;
	case KC_OP_ZRANGE:
		return (op->flags & KC_Z_REMOVE) && op->num > 0;
	}
	return true;
}

static bool may_empty(const struct kc_op *op)
{
	switch (op->opcode) {
	case KC_OP_LPOP: case KC_OP_RPOP: case KC_OP_SPOP: case KC_OP_SREM:
	case KC_OP_HDEL: case KC_OP_ZREM: case KC_OP_LREM: case KC_OP_LTRIM:
	case KC_OP_SMOVE: case KC_OP_LMOVE: case KC_OP_LMPOP:
		return true;
	case KC_OP_ZRANGE:
		return op->flags & KC_Z_REMOVE;
	}
	return false;
}

/* The name of a pop's event, from its op. */
static const char *pop_name(const struct kc_op *op, const char *ev)
{
	switch (op->opcode) {
	case KC_OP_LPOP:
		return "lpop";
	case KC_OP_RPOP:
		return "rpop";
	case KC_OP_SPOP:
		return "spop";
	case KC_OP_ZRANGE:
		if (ev)
			return ev;	/* ZREMRANGEBY*, ZPOPMIN, ZPOPMAX */
		return op->flags & KC_Z_REV ? "zpopmax" : "zpopmin";
	}
	return ev;
}

/*
 * The events of one op that ran (ev, cls: its command's), in Redis's
 * order; rest are the ops planned after it in the same record (probes).
 */
static void op_events(struct conn *c, const char *ev, int cls,
		      const struct kc_op *op, const struct kc_op *rest,
		      size_t nrest)
{
	const void *key = ptr(op->key);

	if (op->result || !changed(op))
		return;
	switch (op->opcode) {
	case KC_OP_SET: case KC_OP_ADD: case KC_OP_REPLACE:
		pub(c, op->db, cls, ev, key, op->key_len);
		if (op->expire && !(op->flags & KC_SET_KEEPTTL))
			pub(c, op->db, NF_GENERIC, "expire", key, op->key_len);
		return;
	case KC_OP_MSET:
		mset_events(c, ev, cls, op);
		return;
	case KC_OP_EXPIRE:
		pub(c, op->db, cls, past(op) ? "del" : "expire", key,
		    op->key_len);
		return;
	case KC_OP_GET:
		getex_events(c, op);
		return;
	case KC_OP_RENAME:
		if (same(key, op->key_len, ptr(op->val), op->val_len))
			return;
		pub(c, op->db, cls, "rename_from", key, op->key_len);
		pub(c, op->db, cls, "rename_to", ptr(op->val), op->val_len);
		return;
	case KC_OP_DEL: case KC_OP_GETDEL:	/* also GETEX to a past time */
		pub(c, op->db, NF_GENERIC, "del", key, op->key_len);
		return;
	case KC_OP_MOVE:
		pub(c, op->db, cls, "move_from", key, op->key_len);
		pub(c, (uint32_t)op->num, cls, "move_to", key, op->key_len);
		return;
	case KC_OP_SDIFFSTORE: case KC_OP_SINTERSTORE: case KC_OP_SUNIONSTORE:
	case KC_OP_ZUNIONSTORE: case KC_OP_ZINTERSTORE: case KC_OP_ZDIFFSTORE:
		if (op->num > 0)
			pub(c, op->db, cls, ev, key, op->key_len);
		else if (pre_flag)
			pub(c, op->db, NF_GENERIC, "del", key, op->key_len);
		return;
	case KC_OP_ZADD:
		pub(c, op->db, cls, op->flags & KC_Z_INCR ? "zincr" : ev, key,
		    op->key_len);
		return;
	case KC_OP_LMPOP:
		lmpop_events(c, cls, op, rest, nrest);
		return;
	case KC_OP_LMOVE:
		lmove_events(c, cls, op, rest, nrest);
		return;
	case KC_OP_SMOVE:
		smove_events(c, cls, op, rest, nrest);
		return;
	case KC_OP_APPEND: case KC_OP_INCRBY: case KC_OP_DECRBY:
	case KC_OP_SETRANGE: case KC_OP_SETBIT: case KC_OP_PERSIST:
	case KC_OP_LPUSH: case KC_OP_RPUSH: case KC_OP_LSET:
	case KC_OP_LINSERT: case KC_OP_HSET: case KC_OP_HINCRBY:
	case KC_OP_SADD:
		pub(c, op->db, cls, ev, key, op->key_len);
		return;
	}
	if (!may_empty(op) || !(ev = pop_name(op, ev)))
		return;
	pub(c, op->db, cls, ev, key, op->key_len);
	emptied(c, op->db, op->key, op->key_len, rest, nrest);
}

/* ZRANGESTORE, SORT ... STORE: ops[0] is DEL dst, the rest write it. */
static void replaced(struct conn *c, const struct nev *n,
		     const struct kc_op *ops, uint32_t nops)
{
	uint32_t i;

	if (!nops || ops[0].opcode != KC_OP_DEL)
		return;
	for (i = 1; i < nops; i++)
		if (!ops[i].result) {
			pub(c, ops[i].db, n->cls, n->ev, ptr(ops[i].key),
			    ops[i].key_len);
			return;
		}
	if (!ops[0].result)
		pub(c, ops[0].db, NF_GENERIC, "del", ptr(ops[0].key),
		    ops[0].key_len);
}

/* Did a chunk before ops[i] of a split command publish its event? */
static bool chunk_done(const struct kc_op *ops, uint32_t i)
{
	while (i--)
		if (!ops[i].result && changed(&ops[i]))
			return true;
	return false;
}

/* engine.after of a command's records: its reply is written. */
static void after(struct conn *c, struct rec *r, struct kc_op *ops,
		  size_t at)
{
	const struct nev *n = r->tag;
	uint32_t i;

	if (at < c->out.len && c->out.data[at] == '-')
		return;		/* an error: Redis changed nothing */
	if (n->kind == NK_REPLACE) {
		replaced(c, n, ops, r->nops);
		return;
	}
	for (i = 0; i < r->nops; i++) {
		/*
		 * A command split past KC_ARGS_MAX: its event once, as Redis
		 * (each of MSET's chunks names keys of its own).
		 */
		if (i && i < r->chunks && ops[i].opcode != KC_OP_MSET &&
		    chunk_done(ops, i))
			continue;
		op_events(c, n->ev, n->cls, &ops[i], ops + i + 1,
			  r->nops - i - 1);
	}
}

const void *notify_begin(struct conn *c, const char *name,
			 const struct arg *argv, size_t argc)
{
	struct engine *e = &c->w->eng;
	const struct nev *n;

	(void)argc;		/* the table's arity covers argv[1], argv[2] */
	if (!wanted(NF_COMMAND))
		return NULL;
	n = bsearch(name, nevs, NNEVS, sizeof(nevs[0]), nev_cmp);
	/* "del", "expire" (g) come with commands of every class */
	if (!n || !wanted(n->cls | NF_GENERIC))
		return NULL;
	if (n->pre)
		plan_pre(c, n, argv);
	e->after = after;
	e->tag = n;
	return n;
}

static void plan_probe(struct engine *e, struct rec *r, uint64_t key,
		       uint32_t klen, uint32_t db)
{
	struct kc_op *op = eng_op(e, r, KC_OP_EXISTS);

	kc_op_key(op, ptr(key), klen);
	op->db = db;
}

/*
 * Appends the EXISTS probes to the command's last record, when its ops
 * are still the last planned: nothing runs between them.
 */
void notify_end(struct conn *c, const void *tag)
{
	struct engine *e = &c->w->eng;
	struct rec *r;
	uint32_t i, j, n;

	if (!tag)
		return;
	e->after = NULL;
	e->tag = NULL;
	if (!wanted(NF_GENERIC) || !e->nrecs)
		return;
	r = &e->recs[e->nrecs - 1];
	if (r->tag != tag || r->c != c || r->op0 + r->nops != e->nops)
		return;
	n = r->nops;
	for (i = 0; i < n; i++) {
		/* eng_op() may move the ops: a copy of the one looked at */
		struct kc_op op = e->ops[r->op0 + i];
		const struct kc_buf *kb = args_of(&op);

		if (!may_empty(&op))
			continue;
		if (op.opcode != KC_OP_LMPOP) {
			plan_probe(e, r, op.key, op.key_len, op.db);
			continue;
		}
		for (j = 0; j < op.nargs; j++)
			plan_probe(e, r, kb[j].ptr, kb[j].len, op.db);
	}
}

void notify_op(struct conn *c, const struct kc_op *op, int cls)
{
	if (wanted(cls | NF_GENERIC))
		op_events(c, NULL, cls, op, NULL, 0);
}

/* ------------------------------------------------------------ kernel */

/*
 * The kernel's events, read by the first worker.  lock covers want, lead
 * and joined: CONFIG SET changes them from any worker, the first worker's
 * tick too.  fd and rx are set before the workers start.
 */
static struct {
	int src;		/* SRC_KEYSPACE: epoll events point here */
	int fd;			/* the keyspace group socket, or -1 */
	char *rx;
	struct worker *w;	/* the first worker */
	pthread_mutex_t lock;
	bool want;		/* x or e (and K or E): republish */
	bool joined;
	int lead;		/* the abstract socket that makes us it, -1 */
	time_t tried;
} ks = {
	.src = SRC_KEYSPACE, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER,
	.lead = -1,
};

/* Binds the abstract socket, unless another proxy of the namespace has. */
static bool take_lead(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (ks.lead >= 0)
		return true;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memcpy(sa.sun_path + 1, LEAD_NAME, sizeof(LEAD_NAME) - 1);
	if (bind(fd, (struct sockaddr *)&sa,
		 offsetof(struct sockaddr_un, sun_path) + sizeof(LEAD_NAME))) {
		close(fd);
		return false;
	}
	ks.lead = fd;
	return true;
}

/* Stops listening and lets another proxy take over. */
static void drop_lead(void)
{
	if (ks.joined) {
		if (knl_keyspace_join(ks.fd, false))
			return;	/* still listening: stay the one */
		ks.joined = false;
	}
	if (ks.lead >= 0)
		close(ks.lead);
	ks.lead = -1;
}

/* Listens when wanted and no other proxy does; ks.lock held. */
static int ks_update(void)
{
	int err;

	if (!ks.want || ks.fd < 0) {
		drop_lead();
		return 0;
	}
	if (!take_lead())
		return 0;	/* another proxy republishes */
	if (ks.joined)
		return 0;
	err = knl_keyspace_join(ks.fd, true);
	if (err) {
		drop_lead();
		return err;
	}
	ks.joined = true;
	return 0;
}

/* The kernel's notify config on, for the whole cache instance. */
static int kernel_notify_on(struct conn *c, const char **why)
{
	struct kc_config kc = { .size = sizeof(kc), .notify = 1 };
	int err;

	err = kc_config_get(c->w->eng.fd, &kc);
	if (!err && kc.notify)
		return 0;
	kc.notify = 1;
	err = kc_config_set(c->w->eng.fd, KC_CONFIG_NOTIFY, &kc);
	if (err == -EPERM)
		*why = "kcache-proxy needs CAP_SYS_ADMIN to turn on the kernel's keyspace events (kcache config notify) for x and e";
	else if (err)
		*why = "kcache refused to turn on its keyspace events (kcache config notify) for x and e";
	return err;
}

int notify_set(struct conn *c, int flags, const char **why)
{
	bool want = (flags & (NF_EXPIRED | NF_EVICTED)) &&
		    (flags & (NF_KEYSPACE | NF_KEYEVENT));
	bool was;
	int err;

	if ((flags & (NF_KEYSPACE | NF_KEYEVENT)) && (!knl_fam.id || !c->w->nl)) {
		*why = "keyspace notifications need the kcache module's netlink family, which was not found";
		return -ENOENT;
	}
	if (want && (!knl_fam.grp_keyspace || ks.fd < 0)) {
		*why = "the kcache module has no \"keyspace\" netlink group to read expired and evicted keys from";
		return -ENOENT;
	}
	if (want) {
		err = kernel_notify_on(c, why);
		if (err)
			return err;
	}
	pthread_mutex_lock(&ks.lock);
	was = ks.want;
	ks.want = want;
	err = ks_update();
	if (err) {
		ks.want = was;
		ks_update();
		*why = err == -EPERM || err == -EACCES ?
		       "kcache-proxy needs CAP_NET_ADMIN to join the kcache \"keyspace\" netlink group for x and e" :
		       "kcache-proxy cannot join the kcache \"keyspace\" netlink group for x and e";
	}
	pthread_mutex_unlock(&ks.lock);
	if (!err)
		__atomic_store_n(&nflags, flags, __ATOMIC_RELAXED);
	return err;
}

/* nevs[] must stay sorted for bsearch(). */
static void check_table(void)
{
	size_t i;

	for (i = 1; i < NNEVS; i++)
		if (strcmp(nevs[i - 1].cmd, nevs[i].cmd) >= 0)
			log_err("notify.c: nevs[] is not sorted at \"%s\": keyspace events of some commands are lost",
				nevs[i].cmd);
}

void notify_worker_init(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &ks.src };

	if (w->id)
		return;
	check_table();
	ks.w = w;
	if (!knl_fam.id || !knl_fam.grp_keyspace)
		return;
	ks.rx = malloc(KNL_SUB_BUF);
	ks.fd = ks.rx ? knl_sub_open() : -ENOMEM;
	if (ks.fd >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, ks.fd, &ev)) {
		int err = -errno;

		close(ks.fd);
		ks.fd = err;
	}
	if (ks.fd < 0) {
		log_warn("cannot listen to the kcache keyspace events (%s): notify-keyspace-events x and e will be refused",
			 strerror(-ks.fd));
		ks.fd = -1;
	}
}

void notify_worker_exit(struct worker *w)
{
	if (w != ks.w)
		return;
	pthread_mutex_lock(&ks.lock);
	ks.want = false;
	drop_lead();
	if (ks.fd >= 0)
		close(ks.fd);
	ks.fd = -1;
	pthread_mutex_unlock(&ks.lock);
	free(ks.rx);
	ks.rx = NULL;
	ks.w = NULL;
}

void notify_readable(struct worker *w)
{
	struct knl_event ev;
	uint64_t drops = 0;
	int i, r;

	for (i = 0; i < EVENT_BATCH; i++) {
		r = knl_event_recv(ks.fd, ks.rx, &ev, &drops);
		if (r == 0)
			break;
		if (r == -ENOBUFS) {
			log_warn("keyspace events lost: the kernel overran the proxy's keyspace socket (ENOBUFS; %llu dropped so far); their expired and evicted messages are missing",
				 (unsigned long long)drops);
			continue;
		}
		if (r < 0) {
			log_err("reading the kcache keyspace events: %s",
				strerror(-r));
			break;
		}
		if (!ev.key || ev.db < 0)
			continue;
		if (ev.event == KC_EVENT_EXPIRE)
			emit(w->nl, (uint32_t)ev.db, NF_EXPIRED, "expired",
			     ev.key, ev.klen);
		else if (ev.event == KC_EVENT_EVICT)
			emit(w->nl, (uint32_t)ev.db, NF_EVICTED, "evicted",
			     ev.key, ev.klen);
	}
}

void notify_tick(struct worker *w)
{
	time_t now = time(NULL);

	if (w != ks.w || now == ks.tried)
		return;
	ks.tried = now;
	pthread_mutex_lock(&ks.lock);
	if (ks.want && ks.lead < 0 && !ks_update() && ks.joined)
		log_info("republishing the kernel's expired and evicted events (another kcache-proxy did before)");
	pthread_mutex_unlock(&ks.lock);
}
