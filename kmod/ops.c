// SPDX-License-Identifier: GPL-2.0
/*
 * String and integer operations: one function per opcode, reached through
 * the kc_ops table from kc_op_run(), which the ioctl and netlink paths
 * share.  Every function gets a validated op and its key copied into
 * kernel memory; user memory for values and replies is touched here,
 * never under a spinlock.
 *
 * Writes never change a linked item's value: they build a new item (which
 * may sleep) and swap it in under the old item's lock if the old one is
 * still the current version (CAS), retrying otherwise.  Metadata
 * (expiry, CAS) is changed in place under the item's lock.
 */
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/overflow.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/err.h>
#include "kcache.h"
#include "ops.h"

#define TTL_FLAGS	(KC_TTL_MS | KC_TTL_ABS)

/*
 * Every op is embedded in a struct kc_req, which says whether its val, out
 * and args addresses are user pointers (ioctl) or kernel pointers (netlink).
 */
static bool kern(const struct kc_op *op)
{
	return container_of(op, const struct kc_req, op)->kern;
}

static int copy_in(const struct kc_op *op, void *dst, u64 src, u32 len)
{
	if (!len)
		return 0;
	if (kern(op)) {
		memcpy(dst, (const void *)(uintptr_t)src, len);
		return 0;
	}
	return copy_from_user(dst, u64_to_user_ptr(src), len) ? -EFAULT : 0;
}

static int copy_out(const struct kc_op *op, u64 dst, const void *src,
		    u32 len)
{
	if (!len)
		return 0;
	if (kern(op)) {
		memcpy((void *)(uintptr_t)dst, src, len);
		return 0;
	}
	return copy_to_user(u64_to_user_ptr(dst), src, len) ? -EFAULT : 0;
}

static int clear_out(const struct kc_op *op, u64 dst, u32 len)
{
	if (!len)
		return 0;
	if (kern(op)) {
		memset((void *)(uintptr_t)dst, 0, len);
		return 0;
	}
	return clear_user(u64_to_user_ptr(dst), len) ? -EFAULT : 0;
}

/* Copies a value to op->out, or says how much room it needs. */
static int put_value(struct kc_op *op, const void *src, u32 len)
{
	op->out_used = len;
	if (len > op->out_len)
		return -ENOSPC;
	return copy_out(op, op->out, src, len);
}

static u64 real_now_ms(void)
{
	return ktime_to_ms(ktime_get_real());
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
		s64 delta = ms - (s64)real_now_ms();

		*past = delta <= 0;
		if (check_add_overflow((s64)now, delta, &ms))
			return -EINVAL;
	} else {
		*past = ms <= 0;
		if (check_add_overflow((s64)now, ms, &ms))
			return -EINVAL;
	}
	*exp = *past ? 1 : ms;
	return 0;
}

/* The expiry a SET or TOUCH asks for: 0 (never) when expire is 0. */
static int set_expiry(const struct kc_op *op, u64 *exp)
{
	bool past;

	*exp = 0;
	if (!op->expire)
		return 0;
	if (op->expire < 0 && !(op->flags & KC_TTL_ABS))
		return -EINVAL;
	return expire_abs(op, kc_now_ms(), exp, &past);
}

static struct kc_item *lookup(struct kc_op *op, const char *key, bool bump)
{
	return kc_item_get(key, op->key_len, bump);
}

/*
 * Puts a new item in place: replaces the current item if there is one and
 * the conditions hold, else links it.  Takes over the caller's reference
 * to it.  With KC_SET_GET the old value is copied out.
 */
static int store(struct kc_op *op, const char *key, struct kc_item *it)
{
	u32 flags = op->flags;
	struct kc_item *old;
	int err;

retry:
	old = lookup(op, key, false);
	if (old) {
		spin_lock(&old->lock);
		if (old->state != KC_ITEM_LINKED) {
			spin_unlock(&old->lock);
			kc_item_put(old);
			goto retry;
		}
		if (flags & KC_SET_NX) {
			err = -EEXIST;
		} else if ((flags & KC_SET_CAS) && old->cas != op->cas) {
			err = -EEXIST;
			kc_stat_inc(KC_STAT_CAS_BADVAL);
		} else if ((flags & KC_SET_GET) &&
			   (old->type != KC_TYPE_STRING ||
			    old->nbytes > op->out_len)) {
			err = old->type != KC_TYPE_STRING ? -EPROTOTYPE :
							    -ENOSPC;
			op->out_used = old->nbytes;
		} else {
			if (flags & KC_SET_KEEPTTL)
				it->exptime = old->exptime;
			it->cas = kc_next_cas();
			kc_item_lock_new(it);
			__kc_item_replace(old, it);
			spin_unlock(&it->lock);
			err = 0;
			if (flags & KC_SET_CAS)
				kc_stat_inc(KC_STAT_CAS_HITS);
		}
		spin_unlock(&old->lock);
		if (!err && (flags & KC_SET_GET)) {
			op->num = 1;
			err = put_value(op, kc_item_value(old), old->nbytes);
		}
		kc_item_put(old);
	} else if (flags & (KC_SET_XX | KC_SET_CAS)) {
		err = -ENOENT;
		if (flags & KC_SET_CAS)
			kc_stat_inc(KC_STAT_CAS_MISSES);
	} else {
		it->cas = kc_next_cas();
		spin_lock(&it->lock);
		err = __kc_item_link(it);
		spin_unlock(&it->lock);
		if (err == -EEXIST)
			goto retry;
		if (!err && (flags & KC_SET_GET)) {
			op->num = 0;
			op->out_used = 0;
		}
	}
	if (!err)
		op->cas = it->cas;
	kc_item_put(it);
	return err;
}

static int op_set(struct kc_op *op, const char *key)
{
	struct kc_item *it;
	u64 exp;
	int err;

	kc_stat_inc(KC_STAT_CMD_SET);
	if ((op->flags & KC_SET_NX) &&
	    (op->flags & (KC_SET_XX | KC_SET_CAS | KC_SET_GET)))
		return -EINVAL;
	err = set_expiry(op, &exp);
	if (err)
		return err;
	it = kc_item_alloc(key, op->key_len, op->val_len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	err = copy_in(op, kc_item_value(it), op->val, op->val_len);
	if (err) {
		kc_item_put(it);
		return err;
	}
	it->client_flags = op->client_flags;
	it->exptime = exp;
	return store(op, key, it);
}

static int op_add(struct kc_op *op, const char *key)
{
	op->flags |= KC_SET_NX;
	return op_set(op, key);
}

static int op_replace(struct kc_op *op, const char *key)
{
	op->flags |= KC_SET_XX;
	return op_set(op, key);
}

/*
 * Read-modify-write: build() makes a new item from the current one (or
 * from nothing when old is NULL) and it replaces the current one if
 * nothing changed in between; otherwise it runs again.  build() may
 * return 1 for "nothing to store" (the op is already answered).
 */
typedef int (*kc_build_fn)(struct kc_op *op, const char *key,
			   struct kc_item *old, struct kc_item **it);

static int rmw(struct kc_op *op, const char *key, kc_build_fn build,
	       bool create)
{
	struct kc_item *old, *it;
	u64 seen_cas = 0;
	int err;

retry:
	if (fatal_signal_pending(current))
		return -EINTR;
	old = lookup(op, key, false);
	if (!old && !create)
		return -ENOENT;
	if (old) {
		if (old->type != KC_TYPE_STRING) {
			kc_item_put(old);
			return -EPROTOTYPE;
		}
		seen_cas = READ_ONCE(old->cas);
	}
	it = NULL;
	err = build(op, key, old, &it);
	if (err) {
		if (old)
			kc_item_put(old);
		return err > 0 ? 0 : err;
	}
	if (old) {
		spin_lock(&old->lock);
		if (old->state != KC_ITEM_LINKED || old->cas != seen_cas) {
			spin_unlock(&old->lock);
			kc_item_put(old);
			kc_item_put(it);
			goto retry;
		}
		it->exptime = old->exptime;
		it->client_flags = old->client_flags;
		it->cas = kc_next_cas();
		kc_item_lock_new(it);
		__kc_item_replace(old, it);
		spin_unlock(&it->lock);
		spin_unlock(&old->lock);
		kc_item_put(old);
	} else {
		it->cas = kc_next_cas();
		spin_lock(&it->lock);
		err = __kc_item_link(it);
		spin_unlock(&it->lock);
		if (err == -EEXIST) {
			kc_item_put(it);
			goto retry;
		}
	}
	if (!err)
		op->cas = it->cas;
	kc_item_put(it);
	return err;
}

static u32 old_len(struct kc_item *old)
{
	return old ? old->nbytes : 0;
}

static int build_concat(struct kc_op *op, const char *key,
			struct kc_item *old, struct kc_item **itp)
{
	bool append = op->opcode == KC_OP_APPEND;
	u32 olen = old_len(old), len;
	struct kc_item *it;
	char *v;

	if (check_add_overflow(olen, op->val_len, &len))
		return -E2BIG;
	it = kc_item_alloc(key, op->key_len, len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	v = kc_item_value(it);
	if (copy_in(op, append ? v + olen : v, op->val, op->val_len)) {
		kc_item_put(it);
		return -EFAULT;
	}
	if (olen)
		memcpy(append ? v : v + op->val_len, kc_item_value(old),
		       olen);
	op->num = len;
	*itp = it;
	return 0;
}

static int op_concat(struct kc_op *op, const char *key)
{
	kc_stat_inc(KC_STAT_CMD_SET);
	return rmw(op, key, build_concat, op->flags & KC_APPEND_CREATE);
}

/*
 * Parses a value as Redis does (string2ll): an optional '-', digits with
 * no leading zero (except "0"), nothing else, within s64.
 */
static int parse_ll(const char *s, u32 len, s64 *out)
{
	bool neg = false;
	u64 v = 0, lim;
	u32 i = 0;

	if (!len || len > KC_INT_STR_MAX)
		return -EDOM;
	if (len == 1 && s[0] == '0') {
		*out = 0;
		return 0;
	}
	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i >= len || s[i] < '1' || s[i] > '9')
		return -EDOM;
	lim = neg ? (u64)S64_MAX + 1 : S64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EDOM;
		if (v > (lim - (s[i] - '0')) / 10)
			return -EDOM;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? (s64)(0 - v) : (s64)v;
	return 0;
}

static int build_incr(struct kc_op *op, const char *key,
		      struct kc_item *old, struct kc_item **itp)
{
	char buf[KC_INT_STR_MAX + 1];
	s64 cur = 0, res;
	struct kc_item *it;
	int err, len;

	if (old) {
		err = parse_ll(kc_item_value(old), old->nbytes, &cur);
		if (err)
			return err;
	}
	if (op->opcode == KC_OP_INCRBY)
		err = check_add_overflow(cur, op->num, &res);
	else
		err = check_sub_overflow(cur, op->num, &res);
	if (err)
		return -EOVERFLOW;
	len = snprintf(buf, sizeof(buf), "%lld", res);
	it = kc_item_alloc(key, op->key_len, len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	memcpy(kc_item_value(it), buf, len);
	op->num = res;
	*itp = it;
	return 0;
}

static int op_incr(struct kc_op *op, const char *key)
{
	int err = rmw(op, key, build_incr, true);

	kc_stat_inc(err ? KC_STAT_INCR_MISSES : KC_STAT_INCR_HITS);
	return err;
}

static int build_setbit(struct kc_op *op, const char *key,
			struct kc_item *old, struct kc_item **itp)
{
	u64 byte = (u64)op->num >> 3;
	u32 olen = old_len(old), len;
	u8 mask = 0x80 >> (op->num & 7);
	struct kc_item *it;
	char *v;

	if (byte >= kc.item_size_max)
		return -E2BIG;
	len = max_t(u32, olen, byte + 1);
	it = kc_item_alloc(key, op->key_len, len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	v = kc_item_value(it);
	if (olen)
		memcpy(v, kc_item_value(old), olen);
	memset(v + olen, 0, len - olen);
	op->num = !!(v[byte] & mask);
	if (op->num2)
		v[byte] |= mask;
	else
		v[byte] &= ~mask;
	*itp = it;
	return 0;
}

static int op_setbit(struct kc_op *op, const char *key)
{
	if (op->num < 0 || (op->num2 != 0 && op->num2 != 1))
		return -EINVAL;
	kc_stat_inc(KC_STAT_CMD_SET);
	return rmw(op, key, build_setbit, true);
}

static int build_setrange(struct kc_op *op, const char *key,
			  struct kc_item *old, struct kc_item **itp)
{
	u32 olen = old_len(old), len;
	struct kc_item *it;
	u64 end;
	char *v;

	if (!op->val_len) {
		/* Nothing to write: Redis answers the length, stores nothing. */
		op->num = olen;
		return 1;
	}
	end = (u64)op->num + op->val_len;
	if (end > kc.item_size_max)
		return -E2BIG;
	len = max_t(u32, olen, end);
	it = kc_item_alloc(key, op->key_len, len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	v = kc_item_value(it);
	if (olen)
		memcpy(v, kc_item_value(old), olen);
	if (op->num > olen)
		memset(v + olen, 0, op->num - olen);
	if (copy_in(op, v + op->num, op->val, op->val_len)) {
		kc_item_put(it);
		return -EFAULT;
	}
	op->num = len;
	*itp = it;
	return 0;
}

static int op_setrange(struct kc_op *op, const char *key)
{
	if (op->num < 0)
		return -EINVAL;
	kc_stat_inc(KC_STAT_CMD_SET);
	return rmw(op, key, build_setrange, true);
}

static int op_get(struct kc_op *op, const char *key)
{
	struct kc_item *it;
	int err = 0;
	u64 exp;

	kc_stat_inc(KC_STAT_CMD_GET);
	if (op->flags & KC_GET_TOUCH) {
		err = set_expiry(op, &exp);
		if (err)
			return err;
		kc_stat_inc(KC_STAT_CMD_TOUCH);
	}
	it = lookup(op, key, !(op->flags & KC_GET_NOBUMP));
	if (!it) {
		kc_stat_inc(KC_STAT_GET_MISSES);
		return -ENOENT;
	}
	kc_stat_inc(KC_STAT_GET_HITS);
	if (it->type != KC_TYPE_STRING) {
		err = -EPROTOTYPE;
		goto out;
	}
	spin_lock(&it->lock);
	if (op->flags & KC_GET_TOUCH)
		it->exptime = exp;
	op->cas = it->cas;
	op->client_flags = it->client_flags;
	spin_unlock(&it->lock);
	err = put_value(op, kc_item_value(it), it->nbytes);
	if (!err && op->opcode == KC_OP_GETDEL)
		kc_item_unlink(it);
out:
	kc_item_put(it);
	return err;
}

static int op_getrange(struct kc_op *op, const char *key)
{
	struct kc_item *it = lookup(op, key, true);
	s64 start = op->num, end = op->num2, len;
	int err = 0;

	op->out_used = 0;
	if (!it)
		return 0;
	len = it->nbytes;
	if (it->type != KC_TYPE_STRING) {
		err = -EPROTOTYPE;
		goto out;
	}
	if (start < 0)
		start = max_t(s64, len + start, 0);
	if (end < 0)
		end = max_t(s64, len + end, 0);
	if (end >= len)
		end = len - 1;
	if (len && start <= end)
		err = put_value(op, kc_item_value(it) + start, end - start + 1);
out:
	kc_item_put(it);
	return err;
}

static int op_strlen(struct kc_op *op, const char *key)
{
	struct kc_item *it = lookup(op, key, false);
	int err = 0;

	if (!it)
		return -ENOENT;
	if (it->type != KC_TYPE_STRING)
		err = -EPROTOTYPE;
	else
		op->num = it->nbytes;
	kc_item_put(it);
	return err;
}

static int op_getbit(struct kc_op *op, const char *key)
{
	u64 byte = (u64)op->num >> 3;
	struct kc_item *it;
	int err = 0;

	if (op->num < 0)
		return -EINVAL;
	it = lookup(op, key, true);
	op->num = 0;
	if (!it)
		return 0;
	if (it->type != KC_TYPE_STRING)
		err = -EPROTOTYPE;
	else if (byte < it->nbytes)
		op->num = !!(kc_item_value(it)[byte] &
			     (0x80 >> ((u64)op->num & 7)));
	kc_item_put(it);
	return err;
}

static int op_del(struct kc_op *op, const char *key)
{
	struct kc_item *it = lookup(op, key, false);
	int err = 0;

	if (!it) {
		kc_stat_inc(KC_STAT_DELETE_MISSES);
		return -ENOENT;
	}
	spin_lock(&it->lock);
	if (it->state != KC_ITEM_LINKED)
		err = -ENOENT;
	else if ((op->flags & KC_SET_CAS) && it->cas != op->cas)
		err = -EEXIST;
	else
		__kc_item_unlink(it);
	spin_unlock(&it->lock);
	kc_item_put(it);
	kc_stat_inc(err ? KC_STAT_DELETE_MISSES : KC_STAT_DELETE_HITS);
	return err;
}

static int op_exists(struct kc_op *op, const char *key)
{
	struct kc_item *it = lookup(op, key, false);

	if (!it)
		return -ENOENT;
	kc_item_put(it);
	return 0;
}

static int op_type(struct kc_op *op, const char *key)
{
	struct kc_item *it = lookup(op, key, false);

	op->num = KC_TYPE_NONE;
	if (it) {
		op->num = it->type;
		kc_item_put(it);
	}
	return 0;
}

static int op_touch(struct kc_op *op, const char *key)
{
	struct kc_item *it;
	int err;
	u64 exp;

	kc_stat_inc(KC_STAT_CMD_TOUCH);
	err = set_expiry(op, &exp);
	if (err)
		return err;
	it = lookup(op, key, true);
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

static int op_expire(struct kc_op *op, const char *key)
{
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
	it = lookup(op, key, false);
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
		it->cas = kc_next_cas();
	}
	spin_unlock(&it->lock);
	kc_item_put(it);
	return err;
}

static int op_persist(struct kc_op *op, const char *key)
{
	struct kc_item *it = lookup(op, key, false);
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
		it->cas = kc_next_cas();
	}
	spin_unlock(&it->lock);
	kc_item_put(it);
	return err;
}

static int op_ttl(struct kc_op *op, const char *key)
{
	struct kc_item *it = lookup(op, key, false);
	u64 exp, now = kc_now_ms(), rem;

	if (!it)
		return -ENOENT;
	exp = READ_ONCE(it->exptime);
	kc_item_put(it);
	if (!exp) {
		op->expire = -1;
		return 0;
	}
	rem = exp > now ? exp - now : 0;
	op->expire = (op->flags & KC_TTL_MS) ? rem : (rem + 500) / 1000;
	return 0;
}

/* Reads entry i of op->args and its bytes (at most max) into buf. */
static int read_arg(const struct kc_op *op, u32 i, struct kc_buf *b)
{
	if (copy_in(op, b, op->args + (u64)i * sizeof(*b), sizeof(*b)))
		return -EFAULT;
	return b->__reserved ? -EINVAL : 0;
}

static int read_key_arg(const struct kc_op *op, u32 i, char *key, u32 *len)
{
	struct kc_buf b;
	int err = read_arg(op, i, &b);

	if (err)
		return err;
	err = kc_check_key_len(b.len);
	if (err)
		return err;
	if (copy_in(op, key, b.ptr, b.len))
		return -EFAULT;
	*len = b.len;
	return 0;
}

static int op_mget(struct kc_op *op, const char *unused)
{
	char key[KC_KEY_MAX];
	u64 off = 0;
	u32 i, klen;
	int err;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	for (i = 0; i < op->nargs; i++) {
		struct kc_elem e = { 0 };
		struct kc_item *it;
		u64 need;

		err = read_key_arg(op, i, key, &klen);
		if (err)
			return err;
		kc_stat_inc(KC_STAT_CMD_GET);
		it = kc_item_get(key, klen, true);
		if (it && it->type != KC_TYPE_STRING) {
			kc_item_put(it);
			it = NULL;
		}
		kc_stat_inc(it ? KC_STAT_GET_HITS : KC_STAT_GET_MISSES);
		e.len = it ? it->nbytes : 0;
		e.flags = it ? 0 : KC_ELEM_NIL;
		need = KC_ELEM_SIZE(e.len);
		if (off + need <= op->out_len) {
			u64 dst = op->out + off;
			u32 pad = need - sizeof(e) - e.len;

			err = copy_out(op, dst, &e, sizeof(e));
			if (!err && it)
				err = copy_out(op, dst + sizeof(e),
					       kc_item_value(it), e.len);
			if (!err)
				err = clear_out(op, dst + sizeof(e) + e.len,
						pad);
			if (err) {
				if (it)
					kc_item_put(it);
				return err;
			}
		}
		if (it)
			kc_item_put(it);
		off += need;
	}
	op->num = op->nargs;
	op->out_used = min_t(u64, off, U32_MAX);
	return off > op->out_len ? -ENOSPC : 0;
}

static int op_mset(struct kc_op *op, const char *unused)
{
	struct kc_req sub = { .kern = kern(op) };
	char key[KC_KEY_MAX];
	struct kc_buf v;
	u32 i, klen;
	int err;

	if (!op->nargs || op->nargs % 2 || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	for (i = 0; i < op->nargs; i += 2) {
		err = read_key_arg(op, i, key, &klen);
		if (!err)
			err = read_arg(op, i + 1, &v);
		if (err)
			return err;
		memset(&sub.op, 0, sizeof(sub.op));
		sub.op.opcode = KC_OP_SET;
		sub.op.key_len = klen;
		sub.op.val = v.ptr;
		sub.op.val_len = v.len;
		err = op_set(&sub.op, key);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/* Unlinks every item (FLUSH).  Items stored meanwhile may survive. */
int kc_flush_all(void)
{
	struct kc_item *hold[64];
	struct rhashtable_iter iter;
	int n, i;

	rhashtable_walk_enter(&kc.index, &iter);
	do {
		n = 0;
		rhashtable_walk_start(&iter);
		while (n < ARRAY_SIZE(hold)) {
			struct kc_item *it = rhashtable_walk_next(&iter);

			if (IS_ERR(it)) {
				if (PTR_ERR(it) == -EAGAIN)
					continue;
				break;
			}
			if (!it)
				break;
			if (refcount_inc_not_zero(&it->ref))
				hold[n++] = it;
		}
		rhashtable_walk_stop(&iter);
		for (i = 0; i < n; i++) {
			kc_item_unlink(hold[i]);
			kc_item_put(hold[i]);
		}
		cond_resched();
	} while (n == ARRAY_SIZE(hold));
	rhashtable_walk_exit(&iter);
	return 0;
}

static int op_flush(struct kc_op *op, const char *unused)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return kc_flush_all();
}

static int op_nop(struct kc_op *op, const char *unused)
{
	return 0;
}

#define KEYED	true
#define KEYLESS	false

static const struct kc_op_desc {
	int (*fn)(struct kc_op *op, const char *key);
	u32 flags;		/* flags the op accepts */
	bool keyed;		/* takes op->key */
} kc_ops[] = {
	[KC_OP_NOP]	 = { op_nop, 0, KEYLESS },
	[KC_OP_GET]	 = { op_get, KC_GET_TOUCH | KC_GET_NOBUMP | TTL_FLAGS,
			     KEYED },
	[KC_OP_SET]	 = { op_set, KC_SET_NX | KC_SET_XX | KC_SET_CAS |
			     KC_SET_GET | KC_SET_KEEPTTL | TTL_FLAGS, KEYED },
	[KC_OP_ADD]	 = { op_add, TTL_FLAGS, KEYED },
	[KC_OP_REPLACE]	 = { op_replace, KC_SET_CAS | KC_SET_KEEPTTL |
			     TTL_FLAGS, KEYED },
	[KC_OP_APPEND]	 = { op_concat, KC_APPEND_CREATE, KEYED },
	[KC_OP_PREPEND]	 = { op_concat, KC_APPEND_CREATE, KEYED },
	[KC_OP_DEL]	 = { op_del, KC_SET_CAS, KEYED },
	[KC_OP_EXISTS]	 = { op_exists, 0, KEYED },
	[KC_OP_INCRBY]	 = { op_incr, 0, KEYED },
	[KC_OP_DECRBY]	 = { op_incr, 0, KEYED },
	[KC_OP_GETBIT]	 = { op_getbit, 0, KEYED },
	[KC_OP_SETBIT]	 = { op_setbit, 0, KEYED },
	[KC_OP_TOUCH]	 = { op_touch, TTL_FLAGS, KEYED },
	[KC_OP_EXPIRE]	 = { op_expire, TTL_FLAGS | KC_EXPIRE_NX |
			     KC_EXPIRE_XX | KC_EXPIRE_GT | KC_EXPIRE_LT,
			     KEYED },
	[KC_OP_PERSIST]	 = { op_persist, 0, KEYED },
	[KC_OP_TTL]	 = { op_ttl, KC_TTL_MS, KEYED },
	[KC_OP_MGET]	 = { op_mget, 0, KEYLESS },
	[KC_OP_MSET]	 = { op_mset, 0, KEYLESS },
	[KC_OP_FLUSH]	 = { op_flush, 0, KEYLESS },
	[KC_OP_STRLEN]	 = { op_strlen, 0, KEYED },
	[KC_OP_GETDEL]	 = { op_get, 0, KEYED },
	[KC_OP_GETRANGE] = { op_getrange, 0, KEYED },
	[KC_OP_SETRANGE] = { op_setrange, 0, KEYED },
	[KC_OP_TYPE]	 = { op_type, 0, KEYED },
};

static_assert(ARRAY_SIZE(kc_ops) == __KC_OP_LAST);

int kc_check_key_len(u32 len)
{
	if (!len)
		return -EINVAL;
	if (len > KC_KEY_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Validates and runs one operation whose struct is in kernel memory.
 * Returns the operation's result, also stored in req->op.result.
 */
int kc_op_run(struct kc_req *req)
{
	struct kc_op *op = &req->op;
	char key[KC_KEY_MAX];
	const struct kc_op_desc *d;
	int err;

	op->out_used = 0;
	if (op->opcode > KC_OP_MAX) {
		err = -EOPNOTSUPP;
		goto out;
	}
	d = &kc_ops[op->opcode];
	err = -EINVAL;
	if (op->flags & ~d->flags)
		goto out;
	if (d->keyed) {
		err = kc_check_key_len(op->key_len);
		if (err)
			goto out;
		err = copy_in(op, key, op->key, op->key_len);
		if (err)
			goto out;
	} else if (op->key_len) {
		goto out;
	}
	err = d->fn(op, key);
out:
	op->result = err;
	return err;
}
