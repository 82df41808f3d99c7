// SPDX-License-Identifier: GPL-2.0
/*
 * Keyspace commands, of any type: DEL, EXISTS, TYPE, TOUCH, EXPIRE,
 * PERSIST, TTL, RENAME and FLUSH, and the conversion of an op's expiry.
 */
#include <linux/capability.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/err.h>
#include <linux/math.h>
#include <linux/timekeeping.h>
#include "kcache.h"
#include "ops.h"
#include "wait.h"
#include "container.h"
#include "index.h"
#include "netlink.h"

/*
 * Unix time minus time since boot, in ms, from the timekeeper's offsets
 * (one value, no two clock reads): expiries are kept since boot and turned
 * into unix times and back with it, so PEXPIREAT t then PEXPIRETIME gives t.
 */
s64 kc_real_offset_ms(void)
{
	ktime_t off = ktime_sub(ktime_mono_to_any(0, TK_OFFS_REAL),
				ktime_mono_to_any(0, TK_OFFS_BOOT));

	/*
	 * Rounded up: with "now" since boot rounded down, an absolute expiry
	 * then never shows more time left than it really has (at most 1 ms
	 * less, and it goes at most 1 ms early).
	 */
	return DIV_ROUND_UP_ULL((u64)ktime_to_ns(off), NSEC_PER_MSEC);
}

/*
 * Converts op->expire and its TTL flags to an expiry in ms since boot.
 * *past is set when the time is not in the future (relative <= 0 or an
 * absolute time gone by).  Returns -EINVAL when out of range.
 */
static int expire_abs(const struct kc_op *op, u64 now, u64 *exp, bool *past)
{
	s64 e = op->expire, ms;

	if (!(op->flags & KC_TTL_MS)) {
		if (check_mul_overflow(e, (s64)MSEC_PER_SEC, &ms))
			return -EINVAL;
	} else {
		ms = e;
	}
	if (op->flags & KC_TTL_ABS) {
		/* Only a time far before 1970 overflows here: long past. */
		*past = check_sub_overflow(ms, kc_real_offset_ms(), &ms) ||
			ms <= (s64)now;
	} else {
		*past = ms <= 0;
		if (check_add_overflow((s64)now, ms, &ms))
			return -EINVAL;
	}
	*exp = *past ? 1 : ms;
	return 0;
}

/* The expiry a SET or TOUCH asks for: 0 (never) when expire is 0. */
int kc_op_expiry(const struct kc_op *op, u64 *exp)
{
	bool past;

	*exp = 0;
	if (!op->expire)
		return 0;
	if (op->expire < 0 && !(op->flags & KC_TTL_ABS))
		return -EINVAL;
	return expire_abs(op, kc_now_ms(), exp, &past);
}

int kc_op_del(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it;
	int err = 0;
	u64 exp = 0;

	if (op->flags & KC_GET_TOUCH) {
		if (!(op->flags & KC_STALE))
			return -EINVAL;
		err = kc_op_expiry(op, &exp);
		if (err)
			return err;
	}
	it = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
	if (!it) {
		kc_stat_inc(kc, KC_STAT_DELETE_MISSES);
		return -ENOENT;
	}
	spin_lock(&it->lock);
	if (it->state != KC_ITEM_LINKED) {
		err = -ENOENT;
	} else if ((op->flags & KC_SET_CAS) && it->cas != op->cas) {
		err = -EEXIST;
	} else if (op->flags & KC_STALE) {
		/* memcached's md I: kept, served as stale, token free again */
		if (op->flags & KC_GET_TOUCH)
			it->exptime = exp;
		it->meta = (it->meta | KC_IT_STALE) & ~KC_IT_TOKEN;
		WRITE_ONCE(it->cas, kc_next_cas(kc));
		op->cas = it->cas;
	} else {
		__kc_item_unlink(it);
	}
	spin_unlock(&it->lock);
	kc_item_put(it);
	if (!err && !(op->flags & KC_STALE))
		kc_notify(kc, KC_EVENT_DEL, kc_op_db(op), key, op->key_len);
	if (err != -EEXIST)
		kc_stat_inc(kc, err ? KC_STAT_DELETE_MISSES : KC_STAT_DELETE_HITS);
	return err;
}

/*
 * EXISTS also reports the key's CAS version, of any type (WATCH); with
 * KC_BUMP the lookup counts as an access (Redis's TOUCH).
 */
int kc_op_exists(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it = kc_item_get(kc, kc_op_db(op), key, op->key_len,
					 op->flags & KC_BUMP);

	if (!it)
		return -ENOENT;
	op->cas = READ_ONCE(it->cas);
	op->num = it->type;
	kc_item_put(it);
	return 0;
}

int kc_op_type(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);

	op->num = KC_TYPE_NONE;
	if (it) {
		op->num = it->type;
		kc_item_put(it);
	}
	return 0;
}

int kc_op_touch(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it;
	int err;
	u64 exp;

	kc_stat_inc(kc, KC_STAT_CMD_TOUCH);
	err = kc_op_expiry(op, &exp);
	if (err)
		return err;
	it = kc_item_get(kc, kc_op_db(op), key, op->key_len,
			 !(op->flags & KC_GET_NOBUMP));
	if (!it)
		return -ENOENT;
	spin_lock(&it->lock);
	if (it->state == KC_ITEM_LINKED)
		it->exptime = exp;
	else
		err = -ENOENT;
	op->cas = it->cas;
	spin_unlock(&it->lock);
	kc_item_put(it);
	return err;
}

/* Redis 7's EXPIRE conditions; an item with no expiry counts as infinite. */
static bool expire_cond(u32 flags, u64 cur, u64 exp)
{
	if ((flags & KC_EXPIRE_NX) && cur)
		return false;
	if ((flags & KC_EXPIRE_XX) && !cur)
		return false;
	if ((flags & KC_EXPIRE_GT) && (!cur || exp <= cur))
		return false;
	if ((flags & KC_EXPIRE_LT) && cur && exp >= cur)
		return false;
	return true;
}

int kc_op_expire(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	u32 f = op->flags;
	struct kc_item *it;
	bool past;
	u64 exp;
	int err;

	if (((f & KC_EXPIRE_NX) &&
	     (f & (KC_EXPIRE_XX | KC_EXPIRE_GT | KC_EXPIRE_LT))) ||
	    ((f & KC_EXPIRE_GT) && (f & KC_EXPIRE_LT)))
		return -EINVAL;
	err = expire_abs(op, kc_now_ms(), &exp, &past);
	if (err)
		return err;
	it = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
	if (!it)
		return -ENOENT;
	spin_lock(&it->lock);
	if (it->state != KC_ITEM_LINKED) {
		err = -ENOENT;
	} else if (!expire_cond(f, it->exptime, exp)) {
		err = -EEXIST;
	} else if (past) {
		__kc_item_unlink(it);
	} else {
		it->exptime = exp;
		WRITE_ONCE(it->cas, kc_next_cas(kc));
	}
	spin_unlock(&it->lock);
	kc_item_put(it);
	/* A time not in the future deletes the key, as DEL would. */
	if (!err && past)
		kc_notify(kc, KC_EVENT_DEL, kc_op_db(op), key, op->key_len);
	return err;
}

int kc_op_persist(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
	int err = 0;

	if (!it)
		return -ENOENT;
	spin_lock(&it->lock);
	if (it->state != KC_ITEM_LINKED) {
		err = -ENOENT;
	} else if (!it->exptime) {
		err = -EEXIST;
	} else {
		it->exptime = 0;
		WRITE_ONCE(it->cas, kc_next_cas(kc));
	}
	spin_unlock(&it->lock);
	kc_item_put(it);
	return err;
}

/*
 * SETIDLE: the key was last accessed num seconds ago (RESTORE ...
 * IDLETIME), at most KC_IDLE_MAX.  atime is written without a lock, as
 * kc_lru_bump() does; the LRU position stays (Redis's RESTORE also only
 * sets the clock its eviction samples).
 */
int kc_op_setidle(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it;

	if (op->num < 0)
		return -EINVAL;
	it = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
	if (!it)
		return -ENOENT;
	WRITE_ONCE(it->atime,
		   kc_now_sec() - (u32)min_t(s64, op->num, KC_IDLE_MAX));
	kc_item_put(it);
	return 0;
}

int kc_op_ttl(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
	u64 exp, now = kc_now_ms(), rem;

	if (!it)
		return -ENOENT;
	exp = READ_ONCE(it->exptime);
	/* and the seconds since its last access (OBJECT IDLETIME) */
	op->num = max_t(s64, (s64)kc_now_sec() - READ_ONCE(it->atime), 0);
	kc_item_put(it);
	if (!exp) {
		op->expire = -1;
		return 0;
	}
	/* KC_TTL_ABS: the unix time of the expiry (EXPIRETIME). */
	if (op->flags & KC_TTL_ABS)
		rem = exp + kc_real_offset_ms();
	else
		rem = exp > now ? exp - now : 0;
	op->expire = (op->flags & KC_TTL_MS) ? rem : (rem + 500) / 1000;
	return 0;
}

/*
 * Moves key of slot sdb to dkey of slot ddb (RENAME, MOVE), both keys'
 * stripes held exclusively: the value, expiry and flags go over, replacing
 * what dkey held (nx: -EEXIST instead); a container hands its elements
 * over.
 */
static int move_key(struct kc_op *op, u8 sdb, const char *key, u32 klen,
		    u8 ddb, const char *dkey, u32 dlen, bool nx)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *src, *it, *old;
	int err;

	kc_key_assert_held(kc, key, klen, true);
	kc_key_assert_held(kc, dkey, dlen, true);
	src = kc_item_get(kc, sdb, key, klen, false);
	if (!src)
		return -ENOENT;
	old = kc_item_get(kc, ddb, dkey, dlen, false);
	if (old == src) {
		err = nx ? -EEXIST : 0;
		goto out;
	}
	if (old && nx) {
		err = -EEXIST;
		goto out;
	}
	if (kc_is_cont(src->type)) {
		it = kc_cont_new(kc, ddb, dkey, dlen, src->type);
		if (!IS_ERR(it))
			kc_cont_move(src, it);
	} else {
		it = kc_item_alloc(kc, ddb, dkey, dlen, src->nbytes);
		if (!IS_ERR(it))
			kc_memcpy_big(kc_item_value(it), kc_item_value(src),
				      src->nbytes);
	}
	if (IS_ERR(it)) {
		err = PTR_ERR(it);
		goto out;
	}
	it->exptime = READ_ONCE(src->exptime);
	it->client_flags = READ_ONCE(src->client_flags);
	/*
	 * The new key first, then the old one goes: a publish that fails
	 * (the index cannot grow) leaves the source as it was, elements
	 * handed back, and the op fails having changed nothing.  In between
	 * both exist, which nobody sees: the op holds both keys' stripes.
	 */
	err = kc_item_publish(old, it, 0, 0);
	/* The old destination expired or was evicted meanwhile. */
	if (err == -EAGAIN)
		err = kc_item_publish(NULL, it, 0, 0);
	if (!err) {
		if (kc_item_unlink(src))
			kc_notify(kc, KC_EVENT_DEL, sdb, key, klen);
		kc_notify(kc, KC_EVENT_SET, ddb, dkey, dlen);
		if (src->type == KC_TYPE_LIST || src->type == KC_TYPE_ZSET)
			kc_wait_notify(kc, dkey, dlen);
	} else if (kc_is_cont(src->type)) {
		kc_cont_move(it, src);
	}
	kc_item_put(it);
out:
	if (old)
		kc_item_put(old);
	kc_item_put(src);
	return err;
}

/* RENAME: key becomes val (KC_SET_NX: only if val does not exist). */
int kc_op_rename(struct kc_op *op, const char *key)
{
	char dkey[KC_KEY_MAX];
	int err;

	err = kc_check_key_len(op->val_len);
	if (err)
		return err;
	err = kc_copy_in(op, dkey, op->val, op->val_len);
	if (err)
		return err;
	return move_key(op, kc_op_db(op), key, op->key_len, kc_op_db(op),
			dkey, op->val_len, op->flags & KC_SET_NX);
}

/*
 * MOVE: key goes to database num, unless that has it (-EEXIST).  Both
 * are the same name, so the one stripe held exclusively covers both.
 */
int kc_op_move(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);

	if (op->num < 0 || op->num >= KC_DB_COUNT || op->num == op->db)
		return -EINVAL;
	return move_key(op, kc_op_db(op), key, op->key_len,
			kc->dbmap[op->num], key, op->key_len, true);
}

/* DBSIZE: the keys of the op's database. */
int kc_op_dbsize(struct kc_op *op, const char *unused)
{
	struct kc_cache *kc = kc_op_cache(op);

	op->num = atomic64_read(&kc->dbsize[kc_op_db(op)]);
	return 0;
}

/*
 * SWAPDB (kc.excl_sem held exclusively, as FLUSH): databases num and num2
 * trade their slots.  Every op maps its database to a slot under
 * excl_sem, so each sees the swap whole or not at all.  Waiters on a list
 * key of either database look again (they may have one now).
 */
int kc_op_swapdb(struct kc_op *op, const char *unused)
{
	struct kc_cache *kc = kc_op_cache(op);
	u8 a;

	/* As FLUSH, also inside a transaction. */
	if (!ns_capable(kc->user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	if (op->num < 0 || op->num >= KC_DB_COUNT ||
	    op->num2 < 0 || op->num2 >= KC_DB_COUNT)
		return -EINVAL;
	percpu_rwsem_assert_held(&kc->excl_sem);
	a = kc->dbmap[op->num];
	WRITE_ONCE(kc->dbmap[op->num], kc->dbmap[op->num2]);
	WRITE_ONCE(kc->dbmap[op->num2], a);
	if (op->num != op->num2)
		kc_wait_notify_all(kc);
	return 0;
}

int kc_op_flush(struct kc_op *op, const char *unused)
{
	struct kc_cache *kc = kc_op_cache(op);
	int err;

	/* The instance's own admin (its namespace's user namespace). */
	if (!ns_capable(kc->user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	if (op->flags & KC_FLUSH_DB)
		err = kc_flush_db(kc, kc_op_db(op));
	else
		err = kc_flush_all(kc);
	/* Emptied: keys stored back in the old order spread again. */
	kc_index_reseed(kc);
	return err;
}
