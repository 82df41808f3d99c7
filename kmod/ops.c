// SPDX-License-Identifier: GPL-2.0
/*
 * The operation table and dispatch: kc_op_prepare() checks an op against
 * its table entry and copies its inputs in (req.c), kc_op_exec() runs it
 * under the locks of the keys it names (keylock.c: shared for one key,
 * exclusive for the MULTI ops) inside kc.excl_sem held shared, or under
 * kc.excl_sem held exclusively for a WHOLE op; kc_op_run() does both and
 * runs it again after a refault.  The ioctl, batch and
 * netlink paths all come through here; transactions through txn.c.
 */
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/capability.h>
#include "kcache.h"
#include "ops.h"
#include "container.h"

#define TTL_FLAGS	(KC_TTL_MS | KC_TTL_ABS)

static int op_nop(struct kc_op *op, const char *unused)
{
	return 0;
}

#define KEYLESS	0
#define KEYED	BIT(0)	/* takes op->key */
#define MULTI	BIT(1)	/* several keys: holds all their stripes exclusively */
/* How many entries op->args must have (none unless one of these). */
#define ARGS_1	BIT(2)	/* exactly one */
#define ARGS_N	BIT(3)	/* one or more */
#define ARGS_2N	BIT(4)	/* pairs: two or more, even */
#define VAL	BIT(5)	/* reads op->val */
#define OUT_AFTER BIT(6) /* may write its reply after changing the cache */
#define RD	BIT(7)	/* changes nothing: a read-only fd may run it */
#define WHOLE	BIT(8)	/* the whole cache: kc.excl_sem held exclusively */
#define ALLKEYS	BIT(9)	/* reads any key: in a transaction, as WHOLE */
#define KEYARGS	BIT(10)	/* op->args are keys (ARGS_2N: every other one) */
#define KEYVAL	BIT(11)	/* op->val is a key */

static const struct kc_op_desc {
	int (*fn)(struct kc_op *op, const char *key);
	u32 flags;		/* flags the op accepts */
	u32 mode;		/* KEYED, EXCL, ARGS_*, RD ... */
} kc_ops[] = {
	[KC_OP_NOP]	 = { op_nop, 0, KEYLESS | RD },
	[KC_OP_GET]	 = { kc_op_get, KC_GET_TOUCH | KC_GET_NOBUMP |
			     KC_GET_META | TTL_FLAGS,
			     KEYED | RD },
	[KC_OP_SET]	 = { kc_op_set, KC_SET_NX | KC_SET_XX | KC_SET_CAS |
			     KC_SET_GET | KC_SET_KEEPTTL | KC_SET_TOKEN |
			     KC_STALE | TTL_FLAGS,
			     KEYED | VAL | OUT_AFTER },
	[KC_OP_ADD]	 = { kc_op_add, KC_SET_TOKEN | TTL_FLAGS, KEYED | VAL },
	[KC_OP_REPLACE]	 = { kc_op_replace, KC_SET_CAS | KC_SET_KEEPTTL |
			     TTL_FLAGS, KEYED | VAL },
	[KC_OP_APPEND]	 = { kc_op_concat, KC_APPEND_CREATE, KEYED | VAL },
	[KC_OP_PREPEND]	 = { kc_op_concat, KC_APPEND_CREATE, KEYED | VAL },
	[KC_OP_DEL]	 = { kc_op_del, KC_SET_CAS | KC_STALE | KC_GET_TOUCH |
			     TTL_FLAGS, KEYED },
	[KC_OP_EXISTS]	 = { kc_op_exists, KC_BUMP, KEYED | RD },
	[KC_OP_INCRBY]	 = { kc_op_incr, KC_INCR_UNSIGNED | KC_SET_CAS, KEYED },
	[KC_OP_DECRBY]	 = { kc_op_incr, KC_INCR_UNSIGNED | KC_SET_CAS, KEYED },
	[KC_OP_GETBIT]	 = { kc_op_getbit, 0, KEYED | RD },
	[KC_OP_SETBIT]	 = { kc_op_setbit, 0, KEYED },
	[KC_OP_TOUCH]	 = { kc_op_touch, KC_GET_NOBUMP | TTL_FLAGS, KEYED },
	[KC_OP_EXPIRE]	 = { kc_op_expire, TTL_FLAGS | KC_EXPIRE_NX |
			     KC_EXPIRE_XX | KC_EXPIRE_GT | KC_EXPIRE_LT,
			     KEYED },
	[KC_OP_PERSIST]	 = { kc_op_persist, 0, KEYED },
	[KC_OP_TTL]	 = { kc_op_ttl, TTL_FLAGS, KEYED | RD },
	[KC_OP_MGET]	 = { kc_op_mget, 0, KEYLESS | RD | ARGS_N | KEYARGS },
	[KC_OP_MSET]	 = { kc_op_mset, KC_SET_NX,
			     KEYLESS | MULTI | ARGS_2N | KEYARGS },
	[KC_OP_FLUSH]	 = { kc_op_flush, KC_FLUSH_DB, KEYLESS | WHOLE },
	[KC_OP_STRLEN]	 = { kc_op_strlen, 0, KEYED | RD },
	[KC_OP_GETDEL]	 = { kc_op_get, 0, KEYED },
	[KC_OP_GETRANGE] = { kc_op_getrange, 0, KEYED | RD },
	[KC_OP_SETRANGE] = { kc_op_setrange, 0, KEYED | VAL },
	[KC_OP_TYPE]	 = { kc_op_type, 0, KEYED | RD },
	[KC_OP_RENAME]	 = { kc_op_rename, KC_SET_NX,
			     KEYED | MULTI | VAL | KEYVAL },
	[KC_OP_LPUSH]	 = { kc_op_lpush, KC_SET_XX, KEYED | ARGS_N },
	[KC_OP_RPUSH]	 = { kc_op_rpush, KC_SET_XX, KEYED | ARGS_N },
	[KC_OP_LPOP]	 = { kc_op_lpop, KC_POP_COUNT, KEYED },
	[KC_OP_RPOP]	 = { kc_op_rpop, KC_POP_COUNT, KEYED },
	[KC_OP_LRANGE]	 = { kc_op_lrange, 0, KEYED | RD },
	[KC_OP_LLEN]	 = { kc_op_cont_len, 0, KEYED | RD },
	[KC_OP_LINDEX]	 = { kc_op_lindex, 0, KEYED | RD },
	[KC_OP_LSET]	 = { kc_op_lset, 0, KEYED | VAL },
	[KC_OP_LREM]	 = { kc_op_lrem, 0, KEYED | VAL },
	[KC_OP_LTRIM]	 = { kc_op_ltrim, 0, KEYED },
	[KC_OP_LINSERT]	 = { kc_op_linsert, KC_LINSERT_BEFORE |
			     KC_LINSERT_AFTER, KEYED | ARGS_1 | VAL },
	[KC_OP_HSET]	 = { kc_op_hset, KC_SET_NX, KEYED | ARGS_2N },
	[KC_OP_HGET]	 = { kc_op_hget, 0, KEYED | RD | VAL },
	[KC_OP_HMGET]	 = { kc_op_hmget, 0, KEYED | RD | ARGS_N },
	[KC_OP_HDEL]	 = { kc_op_hdel, 0, KEYED | ARGS_N },
	[KC_OP_HLEN]	 = { kc_op_cont_len, 0, KEYED | RD },
	[KC_OP_HEXISTS]	 = { kc_op_hexists, 0, KEYED | RD | VAL },
	[KC_OP_HGETALL]	 = { kc_op_hgetall, 0, KEYED | RD },
	[KC_OP_HKEYS]	 = { kc_op_hgetall, 0, KEYED | RD },
	[KC_OP_HVALS]	 = { kc_op_hgetall, 0, KEYED | RD },
	[KC_OP_HINCRBY]	 = { kc_op_hincrby, 0, KEYED | VAL },
	[KC_OP_HSTRLEN]	 = { kc_op_hstrlen, 0, KEYED | RD | VAL },
	[KC_OP_SADD]	 = { kc_op_sadd, 0, KEYED | ARGS_N },
	[KC_OP_SREM]	 = { kc_op_srem, 0, KEYED | ARGS_N },
	[KC_OP_SMEMBERS] = { kc_op_smembers, 0, KEYED | RD },
	[KC_OP_SISMEMBER] = { kc_op_sismember, 0, KEYED | RD | VAL },
	[KC_OP_SMISMEMBER] = { kc_op_smismember, 0, KEYED | RD | ARGS_N },
	[KC_OP_SCARD]	 = { kc_op_cont_len, 0, KEYED | RD },
	[KC_OP_SPOP]	 = { kc_op_spop, KC_POP_COUNT, KEYED },
	[KC_OP_SRANDMEMBER] = { kc_op_srandmember, KC_POP_COUNT, KEYED | RD },
	[KC_OP_SMOVE]	 = { kc_smove, 0,
			     KEYED | MULTI | ARGS_1 | VAL | KEYARGS },
	[KC_OP_SDIFF]	 = { kc_set_algebra, 0,
			     KEYLESS | RD | MULTI | ARGS_N | KEYARGS },
	[KC_OP_SINTER]	 = { kc_set_algebra, 0,
			     KEYLESS | RD | MULTI | ARGS_N | KEYARGS },
	[KC_OP_SUNION]	 = { kc_set_algebra, 0,
			     KEYLESS | RD | MULTI | ARGS_N | KEYARGS },
	[KC_OP_SDIFFSTORE] = { kc_set_algebra, 0,
			     KEYED | MULTI | ARGS_N | KEYARGS },
	[KC_OP_SINTERSTORE] = { kc_set_algebra, 0,
			     KEYED | MULTI | ARGS_N | KEYARGS },
	[KC_OP_SUNIONSTORE] = { kc_set_algebra, 0,
			     KEYED | MULTI | ARGS_N | KEYARGS },
	[KC_OP_SCAN]	 = { kc_op_scan, 0, KEYLESS | RD | VAL | ALLKEYS },
	[KC_OP_ZADD]	 = { kc_op_zadd, KC_SET_NX | KC_SET_XX | KC_EXPIRE_GT |
			     KC_EXPIRE_LT | KC_Z_CH | KC_Z_INCR,
			     KEYED | ARGS_N },
	[KC_OP_ZREM]	 = { kc_op_zrem, 0, KEYED | ARGS_N },
	[KC_OP_ZMSCORE]	 = { kc_op_zmscore, 0, KEYED | RD | ARGS_N },
	[KC_OP_ZCARD]	 = { kc_op_cont_len, 0, KEYED | RD },
	[KC_OP_ZRANK]	 = { kc_op_zrank, KC_Z_REV, KEYED | RD | VAL },
	[KC_OP_ZRANGE]	 = { kc_op_zrange, KC_Z_BYSCORE | KC_Z_BYLEX |
			     KC_Z_REV | KC_Z_WITHSCORES | KC_Z_REMOVE |
			     KC_Z_COUNT, KEYED | RD | ARGS_N },
	[KC_OP_ZRANDMEMBER] = { kc_op_zrandmember, KC_POP_COUNT |
				KC_Z_WITHSCORES, KEYED | RD },
	[KC_OP_ZUNION]	 = { kc_zset_combine, KC_Z_WITHSCORES,
			     KEYLESS | RD | MULTI | ARGS_N | VAL | KEYARGS },
	[KC_OP_ZINTER]	 = { kc_zset_combine, KC_Z_WITHSCORES,
			     KEYLESS | RD | MULTI | ARGS_N | VAL | KEYARGS },
	[KC_OP_ZDIFF]	 = { kc_zset_combine, KC_Z_WITHSCORES,
			     KEYLESS | RD | MULTI | ARGS_N | VAL | KEYARGS },
	[KC_OP_ZUNIONSTORE] = { kc_zset_combine, 0,
				KEYED | MULTI | ARGS_N | VAL | KEYARGS },
	[KC_OP_ZINTERSTORE] = { kc_zset_combine, 0,
				KEYED | MULTI | ARGS_N | VAL | KEYARGS },
	[KC_OP_ZDIFFSTORE] = { kc_zset_combine, 0,
			       KEYED | MULTI | ARGS_N | VAL | KEYARGS },
	[KC_OP_LMOVE]	 = { kc_op_lmove, 0, KEYED | MULTI | ARGS_1 | KEYARGS },
	/* One key after the other, each under its stripe (shared if one). */
	[KC_OP_LMPOP]	 = { kc_op_lmpop, 0, KEYLESS | ARGS_N | KEYARGS },
	[KC_OP_BLMOVE]	 = { kc_op_lmove, 0, KEYED | MULTI | ARGS_1 | KEYARGS },
	[KC_OP_BLMPOP]	 = { kc_op_lmpop, 0, KEYLESS | ARGS_N | KEYARGS },
	[KC_OP_DBSIZE]	 = { kc_op_dbsize, 0, KEYLESS | RD },
	/* The key's one stripe, exclusively: both databases' key. */
	[KC_OP_MOVE]	 = { kc_op_move, 0, KEYED | MULTI },
	[KC_OP_SWAPDB]	 = { kc_op_swapdb, 0, KEYLESS | WHOLE },
	[KC_OP_SNAPSHOT] = { kc_op_snapshot, 0, KEYLESS | RD | ALLKEYS },
	[KC_OP_SETIDLE]	 = { kc_op_setidle, 0, KEYED },
};

static_assert(ARRAY_SIZE(kc_ops) == __KC_OP_LAST);

/*
 * May a read-only fd (opened without FMODE_WRITE) run op?  Only if it
 * changes nothing: a GET that also sets the expiry (KC_GET_TOUCH) is a
 * write, and so is a ZRANGE that removes (KC_Z_REMOVE).
 */
static bool op_reads_only(const struct kc_op_desc *d, const struct kc_op *op)
{
	if (!(d->mode & RD))
		return false;
	if (op->opcode == KC_OP_ZRANGE)
		return !(op->flags & KC_Z_REMOVE);
	return op->opcode != KC_OP_GET ||
	       !(op->flags & (KC_GET_TOUCH | KC_GET_META));
}

/*
 * Checks an operation and copies its key (to req->key) and, for a user
 * request, its inputs in, without running it.  Returns 0 or the result it
 * fails with, also stored in req->op.result.  kc_req_finish() follows,
 * whether the op ran or not.  A request from a read-only fd (req->rdonly)
 * may only run the ops that change nothing; others fail with -EBADF.
 */
int kc_op_prepare(struct kc_req *req)
{
	struct kc_op *op = &req->op;
	const struct kc_op_desc *d;
	int err;

	op->out_used = 0;
	err = -EOPNOTSUPP;
	if (op->opcode > KC_OP_MAX)
		goto out;
	/* No speculative load past the table either: the clamped opcode. */
	op->opcode = array_index_nospec(op->opcode, ARRAY_SIZE(kc_ops));
	d = &kc_ops[op->opcode];
	err = -EINVAL;
	if ((op->flags & ~d->flags) || op->db >= KC_DB_COUNT || op->meta)
		goto out;
	/* a caller whose kc_op ends before meta could not see what it won */
	if ((op->flags & KC_GET_META) && op->size < KC_OP_SIZE_VER1)
		goto out;
	err = -EBADF;
	if (req->rdonly && !op_reads_only(d, op))
		goto out;
	err = -EINVAL;
	if (!(d->mode & (ARGS_1 | ARGS_N | ARGS_2N)) && op->nargs)
		goto out;
	if (((d->mode & ARGS_1) && op->nargs != 1) ||
	    ((d->mode & ARGS_N) && !op->nargs) ||
	    ((d->mode & ARGS_2N) && (!op->nargs || op->nargs % 2)) ||
	    op->nargs > KC_ARGS_MAX)
		goto out;
	if (d->mode & KEYED) {
		err = kc_check_key_len(op->key_len);
		if (err)
			goto out;
		if (req->kern)
			memcpy(req->key, (const void *)(uintptr_t)op->key,
			       op->key_len);
		else if (copy_from_user(req->key, u64_to_user_ptr(op->key),
					op->key_len))
			err = -EFAULT;
	} else if (op->key_len) {
		err = -EINVAL;
	} else {
		err = 0;
	}
	if (!err && !req->kern &&
	    (op->opcode == KC_OP_SET || op->opcode == KC_OP_ADD ||
	     op->opcode == KC_OP_REPLACE))
		err = kc_set_prepare(req);
	if (!err && !req->kern)
		err = kc_req_copy_in(req, d->mode & VAL);
out:
	op->result = err;
	return err;
}

/*
 * Does a prepared op need the whole cache (kc.excl_sem held exclusively)?
 * FLUSH always; in a transaction (txn) also an op that reads keys it does
 * not name (SCAN), since the transaction's other ops must not be seen
 * half done by it, nor it by them.
 */
bool kc_op_whole(const struct kc_req *req, bool txn)
{
	u32 mode = kc_ops[req->op.opcode].mode;

	return (mode & WHOLE) || (txn && (mode & ALLKEYS));
}

/*
 * Adds the stripes of every key a prepared op names to ks, with no lock
 * held (its inputs are in kernel memory already).  A multi-key op makes
 * ks exclusive.  A key that cannot be read (bad length) is skipped: the
 * op fails on it by itself, without touching it.  Bounded by KC_ARGS_MAX;
 * returns 0 or -ENOMEM (no bitmap for the set).
 */
int kc_op_keys(struct kc_req *req, struct kc_keyset *ks)
{
	struct kc_cache *kc = req->cache;
	struct kc_op *op = &req->op;
	u32 mode = kc_ops[op->opcode].mode, i, len;
	char key[KC_KEY_MAX];
	int err = 0;

	if (mode & MULTI)
		ks->excl = true;
	if (mode & KEYED)
		err = kc_keyset_add_key(ks, &kc->keylocks, req->key,
					op->key_len);
	if (!err && (mode & KEYVAL) && !kc_check_key_len(op->val_len) &&
	    !kc_copy_in(op, key, op->val, op->val_len))
		err = kc_keyset_add_key(ks, &kc->keylocks, key, op->val_len);
	if (!(mode & KEYARGS))
		return err;
	for (i = 0; i < op->nargs && !err; i += (mode & ARGS_2N) ? 2 : 1) {
		if (!kc_read_key_arg(op, i, key, &len))
			err = kc_keyset_add_key(ks, &kc->keylocks, key, len);
		if (!(i & 1023))
			cond_resched();
	}
	return err;
}

/*
 * Runs a prepared op's function, kc.excl_sem held (shared or exclusively)
 * and its keys locked: here its database is mapped to a slot, so that a
 * SWAPDB is never seen half done.  An instance whose namespace went away
 * runs nothing (-ENODEV).
 */
static int run_fn(struct kc_req *req, const struct kc_op_desc *d)
{
	struct kc_cache *kc = req->cache;

	percpu_rwsem_assert_held(&kc->excl_sem);
	if (READ_ONCE(kc->dead))
		return -ENODEV;
	req->db = kc->dbmap[req->op.db];
	return d->fn(&req->op, req->key);
}

/*
 * Runs a prepared op.  With locked, the caller (a transaction) holds the
 * locks of all its keys exclusively, or the whole cache.  Else it takes
 * the locks its kind needs: kc.excl_sem exclusively for a WHOLE op;
 * otherwise kc.excl_sem shared, then the stripes of its keys (one shared,
 * several or a MULTI op's exclusively, in ascending order).
 */
void kc_op_exec(struct kc_req *req, bool locked)
{
	struct kc_cache *kc = req->cache;
	struct kc_op *op = &req->op;
	const struct kc_op_desc *d = &kc_ops[op->opcode];
	struct kc_keyset ks = {};
	int err;

	/* An instance whose namespace went away runs nothing (-ENODEV). */
	if (locked) {
		if (d->mode & KEYED)
			kc_key_assert_held(kc, req->key, op->key_len, true);
		err = run_fn(req, d);
	} else if (kc_op_whole(req, false)) {
		/* FLUSH: no writer lock (and its grace period) for nothing. */
		if (!ns_capable(kc->user_ns, CAP_SYS_ADMIN)) {
			err = -EPERM;
		} else {
			percpu_down_write(&kc->excl_sem);
			err = run_fn(req, d);
			percpu_up_write(&kc->excl_sem);
		}
	} else {
		err = kc_op_keys(req, &ks);
		if (!err) {
			percpu_down_read(&kc->excl_sem);
			/* Killed while waiting for a key: -EINTR, nothing ran. */
			err = kc_keyset_lock(&kc->keylocks, &ks, &kc->excl_sem);
			if (!err && (d->mode & KEYED))
				kc_key_assert_held(kc, req->key, op->key_len,
						   ks.excl);
			if (!err)
				err = run_fn(req, d);
			kc_keyset_unlock(&kc->keylocks, &ks);
			percpu_up_read(&kc->excl_sem);
		}
		kc_keyset_free(&ks);
	}
	op->result = err;
}

#define KC_REFAULT_TRIES 16

/*
 * Runs one operation whose struct is in kernel memory.  Returns the
 * result, also stored in req->op.result.  An op stopped by a reply write
 * that would fault has changed nothing (ops write replies before they
 * change the cache, but for OUT_AFTER): it runs again once the pages are
 * in, from the same request.
 */
int kc_op_run(struct kc_req *req)
{
	struct kc_op *op = &req->op, saved;
	int tries;

	if (kc_op_prepare(req))
		goto out;
	req->may_retry = !req->kern &&
			 !(kc_ops[op->opcode].mode & OUT_AFTER);
	saved = *op;
	for (tries = 0;; tries++) {
		kc_op_exec(req, false);
		if (!req->refault)
			break;
		req->refault = false;
		if (op->result != -EFAULT)
			break;
		if (tries == KC_REFAULT_TRIES || kc_req_refault(req, tries))
			break;
		*op = saved;
		req->reply = KC_REPLY_NONE;
	}
out:
	kc_req_finish(req);
	return op->result;
}
