// SPDX-License-Identifier: GPL-2.0
/*
 * Stress and lifetime:
 *
 *  soak: every CPU busy with well formed operations of every kind
 *    (strings, integers, lists, hashes, sets, set algebra, transactions
 *    with WATCH, MGET/MSET, RENAME, SCAN) while the memory limit swings
 *    between tight and normal (evictions), short TTLs expire (lazy and
 *    crawler reclaim), the shrinker is driven through
 *    /sys/kernel/debug/shrinker/kcache-N/scan (CONFIG_SHRINKER_DEBUG; "<memcg
 *    inode> <node> <count>", see mm/shrinker_debug.c), keyspace events go
 *    to a listener and netlink dumps (keys, stats) run, some abandoned.
 *    No call may fail with an error a well formed request cannot get
 *    (EFAULT, EINVAL, ...); each thread's own counter and queue must stay
 *    exact unless an eviction explains a loss; at the end the cache is
 *    consistent (stats against a SCAN, every key readable) and empty
 *    after FLUSH, no chunk left in use.
 *  rmmod_busy: delete_module(2) while a client holds /dev/kcache open,
 *    while ioctls run on it, and while a netlink dump is half read (no fd
 *    open): it must fail with EAGAIN (EWOULDBLOCK) or EBUSY, the module
 *    keep working, and nothing crash.
 *  load_unload: 50 cycles (20 on the debug kernel, stopping after 180 s
 *    if they have not fit, at least 10) of init_module(2) from
 *    KCACHE_MODULE, data of every type and size in the cache, keyspace
 *    listeners and shrinker scans, and delete_module(2); every other cycle
 *    with netlink clients hammering the family while it is unregistered.
 *    The harness checks kmemleak after its final rmmod.
 *
 * Durations: about 25 s of soak on the debug kernel, 20 s elsewhere
 * (KC_FUZZ_SECONDS overrides: that many seconds of soak); KC_STRESS_CYCLES
 * sets the load/unload cycles (and lifts the debug kernel's time cap).
 */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_fuzz.h"

#define NKEYS		256	/* shared keys per type */

enum kind { K_STR, K_NUM, K_LIST, K_HASH, K_SET, K_ALGEBRA, K_TXN,
	    K_MULTI, K_RENAME, K_SCAN, K_OWN, NR_KINDS };

static const char *const kind_name[NR_KINDS] = {
	"string", "integer", "list", "hash", "set", "set-algebra",
	"transaction", "mget/mset", "rename", "scan", "own-counter/queue",
};

struct shared {
	_Atomic uint64_t ops[NR_KINDS];
	_Atomic uint64_t bad;
	_Atomic uint64_t epoch;		/* limit changes, FLUSH */
	_Atomic uint64_t shrinks, dumps, dumps_abandoned, events,
			 limit_swings;
	_Atomic int stop;
	char first_bad[512];
};

static struct shared *sh;

static void bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (atomic_fetch_add(&sh->bad, 1) == 0)
		memcpy(sh->first_bad, msg, sizeof(sh->first_bad));
	fprintf(stderr, "# BAD: %s\n", msg);
}

/*
 * Results a well formed request may get under load: a miss, a failed
 * condition, a key of another type (keys are shared), no memory, a reply
 * too big for the buffer, a watched key that changed, a number that is
 * not one (a shared key APPENDed to).
 */
static void check_res(const char *what, uint32_t opcode, int res)
{
	switch (-res) {
	case 0:
	case ENOENT:
	case EEXIST:
	case EPROTOTYPE:
	case ENOMEM:
	case ENOSPC:
	case ECANCELED:
	case EDOM:
	case EOVERFLOW:
	case ERANGE:
	case E2BIG:
		return;
	}
	bad("%s (opcode %u): %d", what, opcode, res);
}

struct worker {
	int id;
	int fd;
	struct kf_rng r;
	unsigned char *out;
	size_t cap;
	char key[8][64];
	/* own counter and queue */
	int64_t counter;
	uint64_t q_head, q_tail;	/* pushed [q_tail, q_head) */
	uint64_t evictions_seen;	/* at the start of the last do_own() */
	uint64_t epoch_seen;
	double deadline;
};

static const char *shared_key(struct worker *w, int slot, char prefix)
{
	snprintf(w->key[slot], sizeof(w->key[slot]), "st:%c%u", prefix,
		 (unsigned int)kf_below(&w->r, NKEYS));
	return w->key[slot];
}

static int op_run(struct worker *w, struct kc_op *op, const char *what)
{
	int res = kc_do(w->fd, op);

	check_res(what, op->opcode, res);
	return res;
}

/*
 * Evictions so far.  A limit change evicts too, and counts each eviction
 * as it makes it: a change in flight is seen here as it goes (an earlier
 * version answered a constant while one was in flight, so a key a long
 * change evicted went unexplained).
 */
static uint64_t evictions(int fd)
{
	struct kc_stats st;

	return kc_stats(fd, &st) ? 0 : st.evictions + st.shrinker_freed;
}

/*
 * Can an eviction or a limit change since (ev, ep) explain a lost key?
 * The evictions counter is bumped after the item is unlinked, so a loss
 * can be seen before it is counted: look again for a while.
 */
static bool explained(int fd, uint64_t ev, uint64_t ep)
{
	int i;

	for (i = 0; i < 5; i++) {
		if (evictions(fd) != ev || atomic_load(&sh->epoch) != ep)
			return true;
		kt_sleep_ms(20 << i);
	}
	return false;
}

static void keyed(struct kc_op *op, uint32_t opcode, const char *key)
{
	kc_op_init(op, opcode);
	kc_op_key(op, key, strlen(key));
}

static void do_string(struct worker *w)
{
	const char *k = shared_key(w, 0, 's');
	static const uint32_t ops[] = {
		KC_OP_SET, KC_OP_GET, KC_OP_APPEND, KC_OP_PREPEND,
		KC_OP_GETRANGE, KC_OP_SETRANGE, KC_OP_DEL, KC_OP_EXPIRE,
		KC_OP_TTL, KC_OP_STRLEN, KC_OP_GETDEL, KC_OP_SETBIT,
		KC_OP_GETBIT, KC_OP_TOUCH, KC_OP_PERSIST, KC_OP_EXISTS,
	};
	uint32_t opcode = ops[kf_below(&w->r, KF_ARRAY_SIZE(ops))];
	unsigned char val[2048];
	uint32_t len = kf_pct(&w->r, 90) ? kf_below(&w->r, 600) :
		       kf_below(&w->r, sizeof(val));
	struct kc_op op;

	kf_bytes(&w->r, val, len);
	keyed(&op, opcode, k);
	kc_op_out(&op, w->out, w->cap);
	switch (opcode) {
	case KC_OP_SET:
		if (kf_pct(&w->r, 10)) {	/* a large item now and then */
			len = 300000 + kf_below(&w->r, 300000);
			kc_op_val(&op, w->out + w->cap / 2, len);
			kc_op_out(&op, NULL, 0);
		} else {
			kc_op_val(&op, val, len);
		}
		if (kf_pct(&w->r, 30)) {	/* short TTLs */
			op.flags = KC_TTL_MS;
			op.expire = 200 + kf_below(&w->r, 2000);
		}
		break;
	case KC_OP_APPEND:
	case KC_OP_PREPEND:
		kc_op_val(&op, val, len % 64);
		op.flags = kf_pct(&w->r, 50) ? KC_APPEND_CREATE : 0;
		break;
	case KC_OP_SETRANGE:
		kc_op_val(&op, val, len % 64);
		op.num = kf_below(&w->r, 1000);
		break;
	case KC_OP_GETRANGE:
		op.num = kf_below(&w->r, 100);
		op.num2 = -1;
		break;
	case KC_OP_EXPIRE:
	case KC_OP_TOUCH:
		op.flags = KC_TTL_MS;
		op.expire = 100 + kf_below(&w->r, 3000);
		break;
	case KC_OP_SETBIT:
		op.num = kf_below(&w->r, 8000);
		op.num2 = kf_below(&w->r, 2);
		break;
	case KC_OP_GETBIT:
		op.num = kf_below(&w->r, 8000);
		break;
	case KC_OP_TTL:
		op.flags = KC_TTL_MS;
		break;
	}
	op_run(w, &op, "string");
	atomic_fetch_add(&sh->ops[K_STR], 1);
}

static void do_num(struct worker *w)
{
	const char *k = shared_key(w, 0, 'n');
	struct kc_op op;

	keyed(&op, kf_pct(&w->r, 50) ? KC_OP_INCRBY : KC_OP_DECRBY, k);
	op.num = kf_below(&w->r, 100);
	op_run(w, &op, "integer");
	atomic_fetch_add(&sh->ops[K_NUM], 1);
}

static void do_list(struct worker *w)
{
	const char *k = shared_key(w, 0, 'l');
	static const uint32_t ops[] = {
		KC_OP_LPUSH, KC_OP_RPUSH, KC_OP_LPOP, KC_OP_RPOP, KC_OP_LRANGE,
		KC_OP_LLEN, KC_OP_LINDEX, KC_OP_LSET, KC_OP_LREM, KC_OP_LTRIM,
		KC_OP_LINSERT, KC_OP_RPUSH, KC_OP_LPUSH,
	};
	uint32_t opcode = ops[kf_below(&w->r, KF_ARRAY_SIZE(ops))];
	struct kc_buf args[8];
	char vals[8][32];
	struct kc_op op;
	int i, n = 1 + kf_below(&w->r, 8);

	for (i = 0; i < n; i++) {
		int l = snprintf(vals[i], sizeof(vals[i]), "v%u",
				 (unsigned int)kf_below(&w->r, 50));

		kc_buf_set(&args[i], vals[i], l);
	}
	keyed(&op, opcode, k);
	kc_op_out(&op, w->out, w->cap);
	switch (opcode) {
	case KC_OP_LPUSH:
	case KC_OP_RPUSH:
		kc_op_args(&op, args, n);
		break;
	case KC_OP_LPOP:
	case KC_OP_RPOP:
		if (kf_pct(&w->r, 50)) {
			op.flags = KC_POP_COUNT;
			op.num = kf_below(&w->r, 5);
		}
		break;
	case KC_OP_LRANGE:
	case KC_OP_LTRIM:
		op.num = kf_below(&w->r, 5);
		op.num2 = -(int64_t)kf_below(&w->r, 5) - 1;
		if (opcode == KC_OP_LTRIM)
			op.num2 = 200;
		break;
	case KC_OP_LINDEX:
	case KC_OP_LSET:
		op.num = kf_below(&w->r, 10);
		kc_op_val(&op, vals[0], strlen(vals[0]));
		break;
	case KC_OP_LREM:
		op.num = kf_below(&w->r, 3);
		kc_op_val(&op, vals[0], strlen(vals[0]));
		break;
	case KC_OP_LINSERT:
		op.flags = kf_pct(&w->r, 50) ? KC_LINSERT_BEFORE :
					       KC_LINSERT_AFTER;
		kc_op_val(&op, vals[0], strlen(vals[0]));
		kc_op_args(&op, &args[1 % n], 1);
		break;
	}
	op_run(w, &op, "list");
	atomic_fetch_add(&sh->ops[K_LIST], 1);
}

static void do_hash(struct worker *w)
{
	const char *k = shared_key(w, 0, 'h');
	static const uint32_t ops[] = {
		KC_OP_HSET, KC_OP_HGET, KC_OP_HMGET, KC_OP_HDEL, KC_OP_HLEN,
		KC_OP_HEXISTS, KC_OP_HGETALL, KC_OP_HKEYS, KC_OP_HVALS,
		KC_OP_HINCRBY, KC_OP_HSTRLEN, KC_OP_HSET,
	};
	uint32_t opcode = ops[kf_below(&w->r, KF_ARRAY_SIZE(ops))];
	struct kc_buf args[16];
	char strs[16][32];
	struct kc_op op;
	int i, n = 1 + kf_below(&w->r, 8);

	for (i = 0; i < 2 * n; i++) {
		int l = snprintf(strs[i], sizeof(strs[i]), "%c%u",
				 i & 1 ? 'v' : 'f',
				 (unsigned int)kf_below(&w->r, 100));

		kc_buf_set(&args[i], strs[i], l);
	}
	keyed(&op, opcode, k);
	kc_op_out(&op, w->out, w->cap);
	switch (opcode) {
	case KC_OP_HSET:
		kc_op_args(&op, args, 2 * n);
		break;
	case KC_OP_HMGET:
	case KC_OP_HDEL:
		kc_op_args(&op, args, n);
		break;
	case KC_OP_HGET:
	case KC_OP_HEXISTS:
	case KC_OP_HSTRLEN:
		kc_op_val(&op, strs[0], strlen(strs[0]));
		break;
	case KC_OP_HINCRBY:
		snprintf(strs[0], sizeof(strs[0]), "cnt%u",
			 (unsigned int)kf_below(&w->r, 4));
		kc_op_val(&op, strs[0], strlen(strs[0]));
		op.num = 1;
		break;
	}
	op_run(w, &op, "hash");
	atomic_fetch_add(&sh->ops[K_HASH], 1);
}

static void do_set(struct worker *w)
{
	const char *k = shared_key(w, 0, 'z');
	static const uint32_t ops[] = {
		KC_OP_SADD, KC_OP_SREM, KC_OP_SMEMBERS, KC_OP_SISMEMBER,
		KC_OP_SMISMEMBER, KC_OP_SCARD, KC_OP_SPOP, KC_OP_SRANDMEMBER,
		KC_OP_SMOVE, KC_OP_SADD,
	};
	uint32_t opcode = ops[kf_below(&w->r, KF_ARRAY_SIZE(ops))];
	struct kc_buf args[8];
	char strs[8][32];
	struct kc_op op;
	int i, n = 1 + kf_below(&w->r, 8);

	for (i = 0; i < n; i++) {
		int l = snprintf(strs[i], sizeof(strs[i]), "m%u",
				 (unsigned int)kf_below(&w->r, 60));

		kc_buf_set(&args[i], strs[i], l);
	}
	keyed(&op, opcode, k);
	kc_op_out(&op, w->out, w->cap);
	switch (opcode) {
	case KC_OP_SADD:
	case KC_OP_SREM:
	case KC_OP_SMISMEMBER:
		kc_op_args(&op, args, n);
		break;
	case KC_OP_SISMEMBER:
		kc_op_val(&op, strs[0], strlen(strs[0]));
		break;
	case KC_OP_SPOP:
	case KC_OP_SRANDMEMBER:
		if (kf_pct(&w->r, 50)) {
			op.flags = KC_POP_COUNT;
			op.num = (int64_t)kf_below(&w->r, 10) - 3;
			if (opcode == KC_OP_SPOP && op.num < 0)
				op.num = -op.num;
		}
		break;
	case KC_OP_SMOVE:
		kc_op_val(&op, strs[0], strlen(strs[0]));
		shared_key(w, 1, 'z');
		kc_buf_set(&args[0], w->key[1], strlen(w->key[1]));
		kc_op_args(&op, args, 1);
		break;
	}
	op_run(w, &op, "set");
	atomic_fetch_add(&sh->ops[K_SET], 1);
}

static void do_algebra(struct worker *w)
{
	static const uint32_t ops[] = {
		KC_OP_SDIFF, KC_OP_SINTER, KC_OP_SUNION, KC_OP_SDIFFSTORE,
		KC_OP_SINTERSTORE, KC_OP_SUNIONSTORE,
	};
	uint32_t opcode = ops[kf_below(&w->r, KF_ARRAY_SIZE(ops))];
	struct kc_buf args[3];
	struct kc_op op;
	int i;

	for (i = 0; i < 3; i++) {
		shared_key(w, 1 + i, 'z');
		kc_buf_set(&args[i], w->key[1 + i], strlen(w->key[1 + i]));
	}
	kc_op_init(&op, opcode);
	if (opcode >= KC_OP_SDIFFSTORE) {
		shared_key(w, 0, 'z');
		kc_op_key(&op, w->key[0], strlen(w->key[0]));
	}
	kc_op_args(&op, args, 3);
	kc_op_out(&op, w->out, w->cap);
	op_run(w, &op, "set algebra");
	atomic_fetch_add(&sh->ops[K_ALGEBRA], 1);
}

/* WATCH a string, read it, write it back changed, in a transaction. */
static void do_txn(struct worker *w)
{
	struct kc_batch_builder b;
	const char *k = shared_key(w, 0, 's');
	struct kc_buf arg;
	uint64_t cas = 0, ev;
	struct kc_op *op, e;
	int res, i;

	keyed(&e, KC_OP_EXISTS, k);
	res = kc_do(w->fd, &e);
	check_res("EXISTS", KC_OP_EXISTS, res);
	if (!res)
		cas = e.cas;
	kc_batch_init(&b);
	if (kc_batch_watch(&b, k, strlen(k), cas)) {
		kc_batch_exit(&b);
		return;
	}
	op = kc_batch_add(&b, KC_OP_SET);
	kc_op_key(op, k, strlen(k));
	kc_op_val(op, "txn", 3);
	op = kc_batch_add(&b, KC_OP_INCRBY);
	shared_key(w, 1, 'n');
	kc_op_key(op, w->key[1], strlen(w->key[1]));
	op->num = 1;
	op = kc_batch_add(&b, KC_OP_LPUSH);
	shared_key(w, 2, 'l');
	kc_op_key(op, w->key[2], strlen(w->key[2]));
	kc_buf_set(&arg, "t", 1);
	kc_op_args(op, &arg, 1);
	op = kc_batch_add(&b, KC_OP_GET);
	kc_op_key(op, k, strlen(k));
	kc_op_out(op, w->out, w->cap);
	ev = evictions(w->fd);
	res = kc_batch_submit(w->fd, &b, KC_BATCH_TXN);
	if (res && res != -ECANCELED)
		bad("transaction: %d", res);
	if (!res) {
		for (i = 0; i < (int)b.count; i++)
			check_res("transaction op", b.ops[i].opcode,
				  b.ops[i].result);
		/*
		 * Isolation: the GET sees the SET of the same transaction,
		 * unless the transaction's own later allocations or the
		 * shrinker evicted it (the limit swings down to 4 MiB).
		 */
		if (!b.ops[0].result &&
		    (b.ops[3].result || b.ops[3].out_used != 3 ||
		     memcmp(w->out, "txn", 3)) &&
		    !(b.ops[3].result == -ENOENT &&
		      explained(w->fd, ev, atomic_load(&sh->epoch))))
			bad("transaction GET after SET: %d, %u bytes",
			    b.ops[3].result, b.ops[3].out_used);
	}
	kc_batch_exit(&b);
	atomic_fetch_add(&sh->ops[K_TXN], 1);
}

static void do_multi(struct worker *w)
{
	struct kc_buf args[16];
	struct kc_op op;
	int i, n = 1 + kf_below(&w->r, 8);

	if (kf_pct(&w->r, 50)) {
		for (i = 0; i < n; i++) {
			shared_key(w, i, 's');
			kc_buf_set(&args[i], w->key[i], strlen(w->key[i]));
		}
		kc_op_init(&op, KC_OP_MGET);
		kc_op_args(&op, args, n);
		kc_op_out(&op, w->out, w->cap);
	} else {
		n = n > 4 ? 4 : n;
		for (i = 0; i < n; i++) {
			shared_key(w, i, 's');
			kc_buf_set(&args[2 * i], w->key[i], strlen(w->key[i]));
			kc_buf_set(&args[2 * i + 1], "mset", 4);
		}
		kc_op_init(&op, KC_OP_MSET);
		op.flags = kf_pct(&w->r, 20) ? KC_SET_NX : 0;
		kc_op_args(&op, args, 2 * n);
	}
	op_run(w, &op, "mget/mset");
	atomic_fetch_add(&sh->ops[K_MULTI], 1);
}

static void do_rename(struct worker *w)
{
	static const char prefixes[] = "slhz";
	char p = prefixes[kf_below(&w->r, 4)];
	struct kc_op op;

	shared_key(w, 0, p);
	shared_key(w, 1, p);
	keyed(&op, KC_OP_RENAME, w->key[0]);
	kc_op_val(&op, w->key[1], strlen(w->key[1]));
	op.flags = kf_pct(&w->r, 30) ? KC_SET_NX : 0;
	op_run(w, &op, "rename");
	atomic_fetch_add(&sh->ops[K_RENAME], 1);
}

static void do_scan(struct worker *w)
{
	static const char *const pats[] = { "", "st:s*", "st:?1*", "st:[lz]*" };
	const char *p = pats[kf_below(&w->r, 4)];
	uint64_t cursor = 0;
	int rounds = 0, res;

	do {
		struct kc_op op;

		kc_op_init(&op, KC_OP_SCAN);
		op.num = (int64_t)cursor;
		op.num2 = 50;
		op.client_flags = kf_below(&w->r, 5);
		kc_op_val(&op, p, strlen(p));
		kc_op_out(&op, w->out, w->cap);
		res = op_run(w, &op, "scan");
		cursor = (uint64_t)op.num;
	} while (!res && cursor && ++rounds < 20 && !atomic_load(&sh->stop));
	atomic_fetch_add(&sh->ops[K_SCAN], 1);
}


/*
 * The worker's own counter (INCRBY 1 must give one more) and queue (RPUSH
 * n, LPOP gives the oldest): exact, unless an eviction or a limit change
 * took them, which restarts them.
 */
static void do_own(struct worker *w)
{
	char ck[48], qk[48], v[32];
	/*
	 * Evictions and limit changes since before the previous call's
	 * operations: one right after them is covered as well.
	 */
	uint64_t ev = w->evictions_seen, ep = w->epoch_seen;
	uint64_t ev_now = evictions(w->fd), ep_now = atomic_load(&sh->epoch);
	struct kc_buf a;
	struct kc_op op;
	int res;

	snprintf(ck, sizeof(ck), "own:%d:counter", w->id);
	snprintf(qk, sizeof(qk), "own:%d:queue", w->id);
	keyed(&op, KC_OP_INCRBY, ck);
	op.num = 1;
	res = op_run(w, &op, "own INCRBY");
	if (!res) {
		if (op.num != w->counter + 1 &&
		    !(op.num == 1 && explained(w->fd, ev, ep)))
			bad("own counter: %lld after %lld",
			    (long long)op.num, (long long)w->counter);
		w->counter = op.num;
	}

	if (kf_pct(&w->r, 60)) {
		int l = snprintf(v, sizeof(v), "%llu",
				 (unsigned long long)w->q_head);

		kc_buf_set(&a, v, l);
		keyed(&op, KC_OP_RPUSH, qk);
		kc_op_args(&op, &a, 1);
		if (!op_run(w, &op, "own RPUSH")) {
			if ((uint64_t)op.num != w->q_head - w->q_tail + 1) {
				/* Evicted meanwhile: a new queue. */
				w->q_tail = w->q_head;
			}
			w->q_head++;
		}
	} else {
		keyed(&op, KC_OP_LPOP, qk);
		kc_op_out(&op, w->out, w->cap);
		res = op_run(w, &op, "own LPOP");
		if (!res) {
			char want[32];
			int l = snprintf(want, sizeof(want), "%llu",
					 (unsigned long long)w->q_tail);

			if (w->q_tail < w->q_head &&
			    (op.out_used != (uint32_t)l ||
			     memcmp(w->out, want, l)) &&
			    !explained(w->fd, ev, ep))
				bad("own queue: popped '%.*s', want %s",
				    (int)op.out_used, (char *)w->out, want);
			w->q_tail++;
		} else if (res == -ENOENT) {
			if (w->q_tail < w->q_head && !explained(w->fd, ev, ep))
				bad("own queue: gone with %llu items and no eviction",
				    (unsigned long long)(w->q_head - w->q_tail));
			w->q_tail = w->q_head;
		}
	}
	w->evictions_seen = ev_now;
	w->epoch_seen = ep_now;
	atomic_fetch_add(&sh->ops[K_OWN], 1);
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&sh->stop) && kf_now() < w->deadline) {
		switch (kf_below(&w->r, 24)) {
		case 0: case 1: case 2: case 3: case 4:
			do_string(w);
			break;
		case 5: case 6:
			do_num(w);
			break;
		case 7: case 8: case 9:
			do_list(w);
			break;
		case 10: case 11: case 12:
			do_hash(w);
			break;
		case 13: case 14: case 15:
			do_set(w);
			break;
		case 16:
			do_algebra(w);
			break;
		case 17: case 18:
			do_txn(w);
			break;
		case 19:
			do_multi(w);
			break;
		case 20:
			do_rename(w);
			break;
		case 21:
			do_scan(w);
			break;
		default:
			do_own(w);
			break;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ the pressure */

static int shrinker_scan_path(char *path, size_t len)
{
	glob_t g;
	int err = -ENOENT;

	if (glob("/sys/kernel/debug/shrinker/kcache-*/scan", 0, NULL, &g))
		return err;
	if (g.gl_pathc) {
		snprintf(path, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
		err = 0;
	}
	globfree(&g);
	return err;
}

/* Swings the limit, drives the shrinker, runs dumps, reads events. */
struct pressure {
	int fd;
	double deadline;
	char scan[256];
	uint64_t limit_mb;
};

static void *limit_thread(void *arg)
{
	struct pressure *p = arg;
	struct kf_rng r;

	kf_rng_init(&r, kf_seed(), 0x1, 0);
	while (!atomic_load(&sh->stop) && kf_now() < p->deadline) {
		struct kc_config cfg;

		kt_sleep_ms(500 + kf_below(&r, 1500));
		if (kc_config_get(p->fd, &cfg))
			continue;
		cfg.memory_limit_mb = kf_pct(&r, 50) ? 4 + kf_below(&r, 8) :
				      p->limit_mb;
		atomic_fetch_add(&sh->epoch, 1);
		if (kc_config_set(p->fd, KC_CONFIG_MEMORY_LIMIT, &cfg))
			bad("setting the limit to %llu MiB failed",
			    (unsigned long long)cfg.memory_limit_mb);
		atomic_fetch_add(&sh->epoch, 1);
		atomic_fetch_add(&sh->limit_swings, 1);
	}
	return NULL;
}

static void *shrinker_thread(void *arg)
{
	struct pressure *p = arg;
	static const char *const cmds[] = { "0 0 1", "0 0 64", "0 0 100000" };
	struct kf_rng r;

	kf_rng_init(&r, kf_seed(), 0x2, 0);
	while (!atomic_load(&sh->stop) && kf_now() < p->deadline) {
		const char *c = cmds[kf_below(&r, 3)];
		int fd = open(p->scan, O_WRONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		if (write(fd, c, strlen(c)) != (ssize_t)strlen(c))
			bad("writing '%s' to %s: %s", c, p->scan,
			    strerror(errno));
		close(fd);
		atomic_fetch_add(&sh->shrinks, 1);
		kt_sleep_ms(100 + kf_below(&r, 300));
	}
	return NULL;
}

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	++*(int *)arg;
	return 0;
}

/* Keys and stats dumps, read whole or abandoned (socket closed). */
static void *dump_thread(void *arg)
{
	struct pressure *p = arg;
	unsigned char buf[256];
	struct kn_family fam;
	struct kf_rng r;
	struct kn nl;

	kf_rng_init(&r, kf_seed(), 0x3, 0);
	while (!atomic_load(&sh->stop) && kf_now() < p->deadline) {
		struct kn_msg m;
		int n = 0, err;
		bool keys;

		if (kn_socket(&nl, KF_NL_RCVBUF))
			break;
		if (kn_family_get(&nl, &fam)) {
			kn_close(&nl);
			break;
		}
		keys = kf_pct(&r, 70);
		kn_msg_init_buf(&m, buf, sizeof(buf), fam.id,
				NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
				keys ? KC_CMD_KEYS : KC_CMD_STATS, KC_GENL_VERSION);
		if (keys && kf_pct(&r, 30))
			kn_put(&m, KC_A_PATTERN, "st:*", 4);
		err = kn_send(&nl, &m);
		if (!err && kf_pct(&r, 25)) {
			/* Abandoned: one datagram at most, then closed. */
			if (kf_pct(&r, 50))
				kn_recv1(&nl, MSG_DONTWAIT);
			atomic_fetch_add(&sh->dumps_abandoned, 1);
		} else if (!err) {
			err = kn_recv(&nl, 60000, count_cb, &n);
			if (err && err != -ENOBUFS)
				bad("dump: %d (%s)", err, nl.ext);
			atomic_fetch_add(&sh->dumps, 1);
		}
		kn_close(&nl);
	}
	return NULL;
}

static void *listener_thread(void *arg)
{
	struct pressure *p = arg;
	struct kn_family fam;
	struct kn nl;

	if (kn_socket(&nl, KF_NL_RCVBUF))
		return NULL;
	if (kn_family_get(&nl, &fam) ||
	    setsockopt(nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &fam.keyspace, sizeof(fam.keyspace))) {
		kn_close(&nl);
		return NULL;
	}
	while (!atomic_load(&sh->stop) && kf_now() < p->deadline) {
		struct pollfd pf = { .fd = nl.fd, .events = POLLIN };

		if (poll(&pf, 1, 200) > 0 &&
		    kn_recv1(&nl, MSG_DONTWAIT) > 0)
			atomic_fetch_add(&sh->events, 1);
	}
	kn_close(&nl);
	return NULL;
}

/* ------------------------------------------------------------ tests */

FIXTURE(stress) {
	int fd;
};

FIXTURE_SETUP(stress)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	memset(sh, 0, sizeof(*sh));
}

FIXTURE_TEARDOWN(stress)
{
	if (self->fd >= 0) {
		kt_reset_config(self->fd);
		kt_set_notify(self->fd, false);
		kc_close(self->fd);
	}
}

TEST_F(stress, soak)
{
	int nthreads = kf_nthreads(), t, k;
	double secs = kf_budget(25, 20), t0 = kf_now();
	pthread_t th[KF_MAX_THREADS], lim, shr, dmp, lis;
	struct worker *w;
	struct pressure p = { .fd = self->fd };
	struct kf_report rep;
	struct kc_config cfg;
	uint64_t total = 0;
	bool shrinker;

	ASSERT_EQ(0, kc_flush(self->fd));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	p.limit_mb = cfg.memory_limit_mb;
	cfg.notify = 1;
	ASSERT_EQ(0, kc_config_set(self->fd, KC_CONFIG_NOTIFY, &cfg));
	shrinker = !shrinker_scan_path(p.scan, sizeof(p.scan));
	if (!shrinker)
		TH_LOG("no /sys/kernel/debug/shrinker/kcache-*/scan (CONFIG_SHRINKER_DEBUG): no shrinker scans");
	p.deadline = kf_now() + secs;

	w = calloc(nthreads, sizeof(*w));
	ASSERT_NE(NULL, w);
	for (t = 0; t < nthreads; t++) {
		w[t].id = t;
		w[t].fd = kc_open();
		ASSERT_LE(0, w[t].fd);
		w[t].cap = 2 << 20;
		w[t].out = malloc(w[t].cap);
		ASSERT_NE(NULL, w[t].out);
		memset(w[t].out, 'x', w[t].cap);
		kf_rng_init(&w[t].r, kf_seed(), 0x5ea, t);
		w[t].deadline = p.deadline;
		w[t].counter = 0;
	}
	ASSERT_EQ(0, pthread_create(&lim, NULL, limit_thread, &p));
	if (shrinker)
		ASSERT_EQ(0, pthread_create(&shr, NULL, shrinker_thread, &p));
	ASSERT_EQ(0, pthread_create(&dmp, NULL, dump_thread, &p));
	ASSERT_EQ(0, pthread_create(&lis, NULL, listener_thread, &p));
	for (t = 0; t < nthreads; t++)
		ASSERT_EQ(0, pthread_create(&th[t], NULL, worker_thread, &w[t]));
	for (t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	atomic_store(&sh->stop, 1);
	pthread_join(lim, NULL);
	if (shrinker)
		pthread_join(shr, NULL);
	pthread_join(dmp, NULL);
	pthread_join(lis, NULL);
	for (t = 0; t < nthreads; t++) {
		kc_close(w[t].fd);
		free(w[t].out);
	}
	free(w);

	ASSERT_EQ(0, kt_reset_config(self->fd));
	for (k = 0; k < NR_KINDS; k++) {
		total += atomic_load(&sh->ops[k]);
		ksft_print_msg("KCSTRESS %s: %llu\n", kind_name[k],
			       (unsigned long long)atomic_load(&sh->ops[k]));
	}
	ksft_print_msg("KCSTRESS soak: %llu ops by %d threads in %.0f s; %llu limit swings, %llu shrinker scans, %llu dumps (%llu abandoned), %llu keyspace events read\n",
		       (unsigned long long)total, nthreads, kf_now() - t0,
		       (unsigned long long)atomic_load(&sh->limit_swings),
		       (unsigned long long)atomic_load(&sh->shrinks),
		       (unsigned long long)atomic_load(&sh->dumps),
		       (unsigned long long)atomic_load(&sh->dumps_abandoned),
		       (unsigned long long)atomic_load(&sh->events));
	EXPECT_EQ(0, atomic_load(&sh->bad)) {
		TH_LOG("first: %s", sh->first_bad);
	}
	kf_check_cache(self->fd, &rep);
	EXPECT_EQ(0, rep.problems) {
		TH_LOG("%s", rep.first);
	}
	ksft_print_msg("KCSTRESS end: %llu keys, consistent\n",
		       (unsigned long long)rep.keys);
	kf_check_empty(self->fd, &rep);
	EXPECT_EQ(0, rep.problems) {
		TH_LOG("%s", rep.first);
	}
}

/* ------------------------------------------------------------ rmmod while busy */

static void *ioctl_loop(void *arg)
{
	int fd = *(int *)arg;
	char v[64];

	while (!atomic_load(&sh->stop)) {
		kt_set(fd, "busy:k", "v");
		kt_get(fd, "busy:k", v, sizeof(v));
	}
	return NULL;
}

/* rmmod must fail while in use, and the module must still work after. */
static void expect_busy(struct __test_metadata *_metadata, int fd,
			const char *why)
{
	int err = kf_module_unload();
	char v[16];

	EXPECT_TRUE(err == -EAGAIN || err == -EBUSY) {
		TH_LOG("delete_module(kcache) %s: %s", why,
		       err ? strerror(-err) : "succeeded");
	}
	EXPECT_TRUE(kf_module_loaded());
	if (fd >= 0) {
		EXPECT_EQ(0, kt_set(fd, "busy:after", "ok"));
		EXPECT_EQ(2, kt_get(fd, "busy:after", v, sizeof(v)));
	}
}

TEST_F(stress, rmmod_busy)
{
	unsigned char buf[256];
	pthread_t th[4];
	struct kn_family fam;
	struct kn nl;
	struct kn_msg m;
	char key[32];
	int i, fd;

	/* An open fd, idle. */
	expect_busy(_metadata, self->fd, "with /dev/kcache open");

	/* Open and busy: ioctls on four threads. */
	atomic_store(&sh->stop, 0);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, ioctl_loop, &self->fd));
	for (i = 0; i < 20; i++) {
		expect_busy(_metadata, self->fd, "with ioctls running");
		kt_sleep_ms(20);
	}
	atomic_store(&sh->stop, 1);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);

	/* A keys dump half read, and no fd open at all. */
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "busy:%05d", i);
		ASSERT_EQ(0, kt_set(self->fd, key, "v"));
	}
	ASSERT_EQ(0, kn_socket(&nl, KF_NL_RCVBUF));
	ASSERT_EQ(0, kn_family_get(&nl, &fam));
	kn_msg_init_buf(&m, buf, sizeof(buf), fam.id,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, KC_CMD_KEYS,
			KC_GENL_VERSION);
	ASSERT_EQ(0, kn_send(&nl, &m));
	/* The first part came with the request; the rest waits for us. */
	ASSERT_LT(0, kn_recv1(&nl, 0));
	kc_close(self->fd);
	self->fd = -1;
	expect_busy(_metadata, -1, "with a netlink dump half read");
	kn_close(&nl);

	fd = kc_open();
	ASSERT_LE(0, fd);
	self->fd = fd;
	ASSERT_EQ(0, kc_flush(self->fd));
}

/* ------------------------------------------------------------ load/unload */

struct nl_hammer {
	_Atomic int stop;
	_Atomic uint64_t sent, enoent;
	int seed;
};

/* Netlink requests in a loop, whatever happens to the family. */
static void *hammer_thread(void *arg)
{
	struct nl_hammer *h = arg;
	unsigned char buf[512];
	struct kn_family fam = { 0 };
	struct kf_rng r;
	struct kn nl;

	kf_rng_init(&r, kf_seed(), 0x4a, h->seed);
	if (kn_socket(&nl, KF_NL_RCVBUF))
		return NULL;
	while (!atomic_load(&h->stop)) {
		struct kn_msg m;
		uint8_t cmd;
		int err;

		if (!fam.id && kn_family_get(&nl, &fam)) {
			atomic_fetch_add(&h->enoent, 1);
			kt_sleep_ms(5);
			continue;
		}
		cmd = kf_pct(&r, 60) ? KC_CMD_OP : kf_pct(&r, 50) ?
		      KC_CMD_STATS : KC_CMD_VERSION;
		kn_msg_init_buf(&m, buf, sizeof(buf), fam.id,
				NLM_F_REQUEST | NLM_F_ACK, cmd, KC_GENL_VERSION);
		if (cmd == KC_CMD_OP) {
			kn_put_u32(&m, KC_A_OPCODE, kf_pct(&r, 50) ?
				   KC_OP_SET : KC_OP_GET);
			kn_put(&m, KC_A_KEY, "cyc:nl", 6);
			kn_put(&m, KC_A_VALUE, "v", 1);
		}
		err = kn_send(&nl, &m);
		if (!err)
			err = kn_recv(&nl, 10000, NULL, NULL);
		atomic_fetch_add(&h->sent, 1);
		/* The family went away (or came back with another id). */
		if (err == -ENOENT || err == -EOPNOTSUPP || err == -EINVAL)
			fam.id = 0;
		if (err == -ETIMEDOUT || err == -ENOBUFS) {
			kn_close(&nl);
			if (kn_socket(&nl, KF_NL_RCVBUF))
				break;
			fam.id = 0;
		}
	}
	kn_close(&nl);
	return NULL;
}

/* Data of every type and size, and pressure on the way out. */
static void fill(struct __test_metadata *_metadata, int fd, int cycle)
{
	static unsigned char big[700000];
	struct kc_buf args[64];
	char k[32], vals[64][8];
	struct kc_op op;
	int i;

	for (i = 0; i < 64; i++) {
		snprintf(vals[i], sizeof(vals[i]), "m%d", i);
		kc_buf_set(&args[i], vals[i], strlen(vals[i]));
	}
	for (i = 0; i < 50; i++) {
		snprintf(k, sizeof(k), "cyc:%d:%d", cycle, i);
		ASSERT_EQ(0, kt_set_ex(fd, k, k, KC_TTL_MS,
				       i % 3 ? 0 : 50 + i));
	}
	ASSERT_EQ(0, kc_set(fd, "cyc:big", 7, big, sizeof(big), 0, 0, 0));
	kc_op_init(&op, KC_OP_RPUSH);
	kc_op_key(&op, "cyc:list", 8);
	kc_op_args(&op, args, 64);
	ASSERT_EQ(0, kc_do(fd, &op));
	kc_op_init(&op, KC_OP_SADD);
	kc_op_key(&op, "cyc:set", 7);
	kc_op_args(&op, args, 64);
	ASSERT_EQ(0, kc_do(fd, &op));
	kc_op_init(&op, KC_OP_HSET);
	kc_op_key(&op, "cyc:hash", 8);
	kc_op_args(&op, args, 64);
	ASSERT_EQ(0, kc_do(fd, &op));
}

TEST_F(stress, load_unload)
{
	const char *path = kf_module_path(), *env = getenv("KC_STRESS_CYCLES");
	int cycles = env ? atoi(env) :
		     kf_debug_kernel() && !kf_long_mode() ? 20 : 50, c, i, err;
	/* A cycle takes 1.5 s on the debug kernel: a safety cap there. */
	double cap = env || kf_long_mode() || !kf_debug_kernel() ? 1e9 : 180;
	struct nl_hammer h = { 0 };
	pthread_t th[3];
	char scan[256];
	double t0 = kf_now();
	struct kn_family fam;
	struct kn lis;
	size_t len;
	void *img;

	if (!path)
		SKIP(return, "no KCACHE_MODULE: cannot load kcache.ko");
	ASSERT_EQ(0, kf_module_image(path, &img, &len));
	kc_close(self->fd);
	self->fd = -1;
	for (c = 0; c < cycles && (c < 10 || kf_now() - t0 < cap); c++) {
		bool hammer = c & 1;

		if (hammer) {
			atomic_store(&h.stop, 0);
			for (i = 0; i < 3; i++) {
				h.seed = c * 4 + i;
				ASSERT_EQ(0, pthread_create(&th[i], NULL,
							    hammer_thread, &h));
			}
		}
		/* Out with the module: nobody holds it. */
		err = kf_module_unload();
		for (i = 0; err == -EAGAIN && i < 100; i++) {
			kt_sleep_ms(50);	/* a dump closing, say */
			err = kf_module_unload();
		}
		ASSERT_EQ(0, err) {
			TH_LOG("cycle %d: rmmod kcache: %s", c, strerror(-err));
		}
		EXPECT_FALSE(kf_module_loaded());
		EXPECT_EQ(-1, access(KC_DEVICE_PATH, F_OK));
		EXPECT_EQ(0, kn_family_present());

		err = kf_module_load(img, len, kf_module_params());
		ASSERT_EQ(0, err) {
			TH_LOG("cycle %d: insmod kcache.ko %s: %s", c,
			       kf_module_params(), strerror(-err));
		}
		self->fd = kc_open();
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, kt_set_notify(self->fd, true));
		/* A listener whose socket outlives the module. */
		ASSERT_EQ(0, kn_socket(&lis, KF_NL_RCVBUF));
		if (!kn_family_get(&lis, &fam))
			setsockopt(lis.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				   &fam.keyspace, sizeof(fam.keyspace));
		fill(_metadata, self->fd, c);
		if (!shrinker_scan_path(scan, sizeof(scan))) {
			int sfd = open(scan, O_WRONLY | O_CLOEXEC);

			if (sfd >= 0) {
				if (write(sfd, "0 0 50", 6) != 6)
					TH_LOG("shrinker scan: %s",
					       strerror(errno));
				close(sfd);
			}
		}
		kc_close(self->fd);
		self->fd = -1;
		if (hammer) {
			/* Let them run against the loaded module a little. */
			kt_sleep_ms(50);
			atomic_store(&h.stop, 1);
			for (i = 0; i < 3; i++)
				pthread_join(th[i], NULL);
		}
		kn_close(&lis);
	}
	/* The last load stays, with the harness's parameters. */
	self->fd = kc_open();
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, kc_flush(self->fd));
	free(img);
	ksft_print_msg("KCSTRESS load/unload: %d cycles with data in %.0f s, %llu netlink requests during them\n",
		       c, kf_now() - t0, (unsigned long long)h.sent);
}

int main(int argc, char **argv)
{
	sh = kf_shared(sizeof(*sh));
	if (!sh)
		return KSFT_FAIL;
	kf_set_timeouts((int)kf_budget(25, 20) + 600);
	return test_harness_run(argc, argv);
}
