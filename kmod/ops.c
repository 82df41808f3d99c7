// SPDX-License-Identifier: GPL-2.0
/*
 * String and integer operations: one function per opcode, reached through
 * the kc_ops table from kc_op_run(), which the ioctl and netlink paths
 * share.  Every function gets a validated op with its key, value and
 * arguments in kernel memory (kc_op_prepare()); replies go out through
 * kc_copy_out(), which never waits for a page fault (struct kc_req).
 *
 * Writes never change a linked item's value: they build a new item (which
 * may sleep) and swap it in under the old item's lock if the old one is
 * still the current version (CAS), retrying otherwise.  Metadata
 * (expiry, CAS) is changed in place under the item's lock.
 */
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/capability.h>
#include <linux/overflow.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/err.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>
#include "kcache.h"
#include "ops.h"
#include "container.h"
#include "netlink.h"

#define TTL_FLAGS	(KC_TTL_MS | KC_TTL_ABS)

/*
 * Every op is embedded in a struct kc_req, which says whether its val, out
 * and args addresses are user pointers (ioctl) or kernel pointers (netlink,
 * and user requests whose inputs kc_op_prepare() copied in).
 */
static struct kc_req *req_of(const struct kc_op *op)
{
	return container_of(op, struct kc_req, op);
}

static void set_reply(struct kc_op *op, enum kc_reply_kind kind)
{
	req_of(op)->reply = kind;
}

int kc_copy_in(const struct kc_op *op, void *dst, u64 src, u32 len)
{
	const struct kc_req *r = req_of(op);

	if (!len)
		return 0;
	if (WARN_ON_ONCE(!r->kern && !r->in_kern))
		return -EFAULT;
	/* An input kc_op_prepare() did not copy: ops check sizes first. */
	if (WARN_ON_ONCE(!src))
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)src, len);
	return 0;
}

/*
 * Writes len bytes of src (zeroes without src) at user address dst inside
 * a user request's reply: into obuf, which holds [olo, ohi) of out and
 * grows as needed.  Replies are written in order, so what is bounced is
 * one run from the first write that would have faulted.
 */
static int bounce_out(struct kc_req *r, u64 dst, const void *src, u32 len)
{
	u64 off = dst - r->op.out, used, cap;
	void *n;

	if (WARN_ON_ONCE(off > r->op.out_len || len > r->op.out_len - off))
		return -EFAULT;
	if (!r->ohi) {
		r->olo = off;
		r->ohi = off;
	}
	if (WARN_ON_ONCE(off != r->ohi))
		return -EFAULT;
	used = r->ohi - r->olo;
	if (used + len > r->ocap) {
		cap = max_t(u64, used + len,
			    min_t(u64, r->op.out_len - r->olo,
				  max_t(u64, 2ULL * r->ocap, 256)));
		if (r->budget) {
			if (cap - r->ocap > r->budget->out)
				return -E2BIG;
			r->budget->out -= cap - r->ocap;
		}
		n = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
		if (!n)
			return -ENOMEM;
		memcpy(n, r->obuf, used);
		kvfree(r->obuf);
		r->obuf = n;
		r->ocap = cap;
	}
	if (src)
		memcpy(r->obuf + used, src, len);
	else
		memset(r->obuf + used, 0, len);
	r->ohi = off + len;
	return 0;
}

/*
 * Writes a user request's reply bytes (zeroes without src) with page
 * faults disabled: a write that would fault stops an op that may run again
 * (-EFAULT, refault set), or sends this and every later write to obuf.
 */
static int user_out(struct kc_req *r, u64 dst, const void *src, u32 len)
{
	void __user *p = u64_to_user_ptr(dst);
	unsigned long left;

	if (!r->bouncing) {
		if (src) {
			left = copy_to_user_nofault(p, src, len) ? len : 0;
		} else {
			pagefault_disable();
			left = clear_user(p, len);
			pagefault_enable();
		}
		if (!left)
			return 0;
		if (r->may_retry) {
			r->refault = true;
			r->fault_at = dst;
			r->fault_len = len;
			return -EFAULT;
		}
		r->bouncing = true;
	}
	return bounce_out(r, dst, src, len);
}

int kc_copy_out(const struct kc_op *op, u64 dst, const void *src, u32 len)
{
	struct kc_req *r = req_of(op);

	if (!len)
		return 0;
	if (!r->kern)
		return user_out(r, dst, src, len);
	memcpy((void *)(uintptr_t)dst, src, len);
	return 0;
}

int kc_clear_out(const struct kc_op *op, u64 dst, u32 len)
{
	struct kc_req *r = req_of(op);

	if (!len)
		return 0;
	if (!r->kern)
		return user_out(r, dst, NULL, len);
	memset((void *)(uintptr_t)dst, 0, len);
	return 0;
}

/*
 * Copies len bytes at src (an op's address) into a new kernel buffer, for
 * comparisons (fields, members, pivots).  Bounded by item_size_max.
 * Returns the buffer (kvfree it) or NULL with *err set.
 */
void *kc_dup_in(const struct kc_op *op, u64 src, u32 len, int *err)
{
	void *buf;

	*err = -E2BIG;
	if (len > kc.item_size_max)
		return NULL;
	*err = -ENOMEM;
	buf = kvmalloc(max_t(u32, len, 1), GFP_KERNEL);
	if (!buf)
		return NULL;
	*err = kc_copy_in(op, buf, src, len);
	if (*err) {
		kvfree(buf);
		return NULL;
	}
	return buf;
}

/* Copies a value to op->out, or says how much room it needs. */
int kc_put_value(struct kc_op *op, const void *src, u32 len)
{
	set_reply(op, KC_REPLY_VALUE);
	op->out_used = len;
	if (len > op->out_len)
		return -ENOSPC;
	return kc_copy_out(op, op->out, src, len);
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
		if ((flags & (KC_SET_NX | KC_SET_GET)) ==
		    (KC_SET_NX | KC_SET_GET)) {
			/* Redis 7's SET NX GET: the old value, nothing set. */
			err = old->type != KC_TYPE_STRING ? -EPROTOTYPE : -EEXIST;
		} else if (flags & KC_SET_NX) {
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
		/* SET GET, and SET NX GET whose NX failed: the old value. */
		if ((!err || err == -EEXIST) && (flags & KC_SET_GET) &&
		    old->type == KC_TYPE_STRING) {
			int perr;

			op->num = 1;
			perr = kc_put_value(op, kc_item_value(old), old->nbytes);
			if (perr)
				err = perr;
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
	if (!err) {
		op->cas = it->cas;
		kc_notify(KC_EVENT_SET, kc_item_key(it), it->nkey);
	}
	kc_item_put(it);
	return err;
}

static int op_set(struct kc_op *op, const char *key)
{
	struct kc_item *it;
	u64 exp;
	int err;

	kc_stat_inc(KC_STAT_CMD_SET);
	if ((op->flags & KC_SET_NX) && (op->flags & (KC_SET_XX | KC_SET_CAS)))
		return -EINVAL;
	if ((op->flags & KC_SET_KEEPTTL) && op->expire)
		return -EINVAL;
	err = set_expiry(op, &exp);
	if (err)
		return err;
	it = kc_item_alloc(key, op->key_len, op->val_len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	err = kc_copy_in(op, kc_item_value(it), op->val, op->val_len);
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
	s64 num = op->num;	/* an input that build() overwrites */
	struct kc_item *old, *it;
	u64 seen_cas = 0;
	int err;

retry:
	if (fatal_signal_pending(current))
		return -EINTR;
	op->num = num;
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
	if (!err) {
		op->cas = it->cas;
		kc_notify(KC_EVENT_SET, key, op->key_len);
	}
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
	if (kc_copy_in(op, append ? v + olen : v, op->val, op->val_len)) {
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
int kc_parse_ll(const char *s, u32 len, s64 *out)
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
		err = kc_parse_ll(kc_item_value(old), old->nbytes, &cur);
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
	if (kc_copy_in(op, v + op->num, op->val, op->val_len)) {
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
	err = kc_put_value(op, kc_item_value(it), it->nbytes);
	if (!err && op->opcode == KC_OP_GETDEL && kc_item_unlink(it))
		kc_notify(KC_EVENT_DEL, key, op->key_len);
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
		err = kc_put_value(op, kc_item_value(it) + start, end - start + 1);
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
	u8 mask = 0x80 >> (op->num & 7);
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
		op->num = !!(kc_item_value(it)[byte] & mask);
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
	if (!err)
		kc_notify(KC_EVENT_DEL, key, op->key_len);
	if (err != -EEXIST)
		kc_stat_inc(err ? KC_STAT_DELETE_MISSES : KC_STAT_DELETE_HITS);
	return err;
}

/* EXISTS also reports the key's CAS version, of any type (WATCH). */
static int op_exists(struct kc_op *op, const char *key)
{
	struct kc_item *it = lookup(op, key, false);

	if (!it)
		return -ENOENT;
	op->cas = READ_ONCE(it->cas);
	op->num = it->type;
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
	/* A time not in the future deletes the key, as DEL would. */
	if (!err && past)
		kc_notify(KC_EVENT_DEL, key, op->key_len);
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
int kc_read_arg(const struct kc_op *op, u32 i, struct kc_buf *b)
{
	if (kc_copy_in(op, b, op->args + (u64)i * sizeof(*b), sizeof(*b)))
		return -EFAULT;
	return b->__reserved ? -EINVAL : 0;
}

int kc_read_key_arg(const struct kc_op *op, u32 i, char *key, u32 *len)
{
	struct kc_buf b;
	int err = kc_read_arg(op, i, &b);

	if (err)
		return err;
	err = kc_check_key_len(b.len);
	if (err)
		return err;
	if (kc_copy_in(op, key, b.ptr, b.len))
		return -EFAULT;
	*len = b.len;
	return 0;
}

/* Appends one element to a multi-element reply (struct kc_reply). */
int kc_reply_add(struct kc_reply *r, const void *data, u32 len, bool nil)
{
	struct kc_op *op = r->op;
	struct kc_elem e = { .len = len, .flags = nil ? KC_ELEM_NIL : 0 };
	u64 need = KC_ELEM_SIZE(len);
	int err = 0;

	set_reply(op, KC_REPLY_ELEMS);
	if (r->off + need <= op->out_len) {
		u64 dst = op->out + r->off;

		err = kc_copy_out(op, dst, &e, sizeof(e));
		if (!err)
			err = kc_copy_out(op, dst + sizeof(e), data, len);
		if (!err)
			err = kc_clear_out(op, dst + sizeof(e) + len,
					   need - sizeof(e) - len);
	}
	r->off += need;
	r->count++;
	/* Stop the work as soon as the reply cannot be delivered at all. */
	if (!err && r->off > KC_REPLY_MAX)
		err = -E2BIG;
	return err;
}

/* Finishes a reply: count in num, size in out_used, -ENOSPC or -E2BIG
 * when it did not fit.
 */
int kc_reply_end(struct kc_reply *r)
{
	struct kc_op *op = r->op;

	set_reply(op, KC_REPLY_ELEMS);
	op->num = r->count;
	op->out_used = min_t(u64, r->off, U32_MAX);
	if (r->off > KC_REPLY_MAX)
		return -E2BIG;
	return r->off > op->out_len ? -ENOSPC : 0;
}

static int op_mget(struct kc_op *op, const char *unused)
{
	struct kc_reply r = { .op = op };
	char key[KC_KEY_MAX];
	u32 i, klen;
	int err;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	for (i = 0; i < op->nargs; i++) {
		struct kc_item *it;

		err = kc_read_key_arg(op, i, key, &klen);
		if (err)
			return err;
		kc_stat_inc(KC_STAT_CMD_GET);
		it = kc_item_get(key, klen, true);
		if (it && it->type != KC_TYPE_STRING) {
			kc_item_put(it);
			it = NULL;
		}
		kc_stat_inc(it ? KC_STAT_GET_HITS : KC_STAT_GET_MISSES);
		err = kc_reply_add(&r, it ? kc_item_value(it) : NULL,
				   it ? it->nbytes : 0, !it);
		if (it)
			kc_item_put(it);
		if (err)
			return err;
	}
	return kc_reply_end(&r);
}

/*
 * MSET runs exclusively and is all or nothing, as in Redis: every item is
 * built first, then all are stored.  With KC_SET_NX (MSETNX) nothing is
 * stored if any key exists (-EEXIST).
 */
static int op_mset(struct kc_op *op, const char *unused)
{
	struct kc_req sub = { .kern = true };
	u32 i, n = op->nargs / 2, klen;
	struct kc_item **items;
	char key[KC_KEY_MAX];
	struct kc_buf v;
	int err = 0;

	if (!n || op->nargs % 2 || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	items = kvcalloc(n, sizeof(*items), GFP_KERNEL);
	if (!items)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		struct kc_item *it;

		err = kc_read_key_arg(op, 2 * i, key, &klen);
		if (!err)
			err = kc_read_arg(op, 2 * i + 1, &v);
		if (err)
			break;
		if (op->flags & KC_SET_NX) {
			it = kc_item_get(key, klen, false);
			if (it) {
				kc_item_put(it);
				err = -EEXIST;
				break;
			}
		}
		it = kc_item_alloc(key, klen, v.len);
		if (IS_ERR(it)) {
			err = PTR_ERR(it);
			break;
		}
		items[i] = it;
		err = kc_copy_in(op, kc_item_value(it), v.ptr, v.len);
		cond_resched();
	}
	for (i = 0; i < n && items[i]; i++) {
		if (err) {
			kc_item_put(items[i]);
			continue;
		}
		kc_stat_inc(KC_STAT_CMD_SET);
		memset(&sub.op, 0, sizeof(sub.op));
		sub.op.key_len = items[i]->nkey;
		/* Takes over the reference; a failure here is the index's. */
		store(&sub.op, kc_item_key(items[i]), items[i]);
	}
	kvfree(items);
	return err;
}

/*
 * RENAME (exclusive): the value, expiry and flags move to the new name,
 * replacing what it held; a container hands its elements over.
 */
static int op_rename(struct kc_op *op, const char *key)
{
	struct kc_item *src, *it, *old;
	char dkey[KC_KEY_MAX];
	int err;

	err = kc_check_key_len(op->val_len);
	if (err)
		return err;
	err = kc_copy_in(op, dkey, op->val, op->val_len);
	if (err)
		return err;
	src = lookup(op, key, false);
	if (!src)
		return -ENOENT;
	old = kc_item_get(dkey, op->val_len, false);
	if (old == src) {
		err = (op->flags & KC_SET_NX) ? -EEXIST : 0;
		goto out;
	}
	if (old && (op->flags & KC_SET_NX)) {
		err = -EEXIST;
		goto out;
	}
	if (kc_is_cont(src->type)) {
		it = kc_cont_new(dkey, op->val_len, src->type);
		if (!IS_ERR(it))
			kc_cont_move(src, it);
	} else {
		it = kc_item_alloc(dkey, op->val_len, src->nbytes);
		if (!IS_ERR(it))
			memcpy(kc_item_value(it), kc_item_value(src),
			       src->nbytes);
	}
	if (IS_ERR(it)) {
		err = PTR_ERR(it);
		goto out;
	}
	it->exptime = READ_ONCE(src->exptime);
	it->client_flags = READ_ONCE(src->client_flags);
	it->cas = kc_next_cas();
	if (kc_item_unlink(src))
		kc_notify(KC_EVENT_DEL, key, op->key_len);
	if (old) {
		spin_lock(&old->lock);
		if (old->state == KC_ITEM_LINKED) {
			kc_item_lock_new(it);
			__kc_item_replace(old, it);
			spin_unlock(&it->lock);
		}
		spin_unlock(&old->lock);
	} else {
		spin_lock(&it->lock);
		err = __kc_item_link(it);
		spin_unlock(&it->lock);
	}
	if (!err)
		kc_notify(KC_EVENT_SET, dkey, op->val_len);
	kc_item_put(it);
out:
	if (old)
		kc_item_put(old);
	kc_item_put(src);
	return err;
}

/*
 * One walk of the index unlinking what it finds.  A walk stopped and
 * restarted around removals may skip entries, so kc_flush_all() walks
 * again until a walk finds nothing.  Returns the items unlinked.
 */
static u64 flush_walk(void)
{
	struct kc_item *hold[64];
	struct rhashtable_iter iter;
	u64 total = 0;
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
			total += kc_item_unlink(hold[i]);
			kc_item_put(hold[i]);
		}
		cond_resched();
	} while (n == ARRAY_SIZE(hold));
	rhashtable_walk_exit(&iter);
	return total;
}

/* Unlinks every item (FLUSH).  Items stored meanwhile may survive. */
int kc_flush_all(void)
{
	int pass;

	for (pass = 0; pass < 16; pass++)
		if (!flush_walk() && !atomic_read(&kc.index.nelems))
			break;
	kc_notify(KC_EVENT_FLUSH, NULL, 0);
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

#define KEYLESS	0
#define KEYED	BIT(0)	/* takes op->key */
#define EXCL	BIT(1)	/* runs with no other operation (kc.excl_sem) */
/* How many entries op->args must have (none unless one of these). */
#define ARGS_1	BIT(2)	/* exactly one */
#define ARGS_N	BIT(3)	/* one or more */
#define ARGS_2N	BIT(4)	/* pairs: two or more, even */
#define VAL	BIT(5)	/* reads op->val */
#define OUT_AFTER BIT(6) /* may write its reply after changing the cache */

static const struct kc_op_desc {
	int (*fn)(struct kc_op *op, const char *key);
	u32 flags;		/* flags the op accepts */
	u32 mode;		/* KEYED, EXCL, ARGS_* */
} kc_ops[] = {
	[KC_OP_NOP]	 = { op_nop, 0, KEYLESS },
	[KC_OP_GET]	 = { op_get, KC_GET_TOUCH | KC_GET_NOBUMP | TTL_FLAGS,
			     KEYED },
	[KC_OP_SET]	 = { op_set, KC_SET_NX | KC_SET_XX | KC_SET_CAS |
			     KC_SET_GET | KC_SET_KEEPTTL | TTL_FLAGS,
			     KEYED | VAL | OUT_AFTER },
	[KC_OP_ADD]	 = { op_add, TTL_FLAGS, KEYED | VAL },
	[KC_OP_REPLACE]	 = { op_replace, KC_SET_CAS | KC_SET_KEEPTTL |
			     TTL_FLAGS, KEYED | VAL },
	[KC_OP_APPEND]	 = { op_concat, KC_APPEND_CREATE, KEYED | VAL },
	[KC_OP_PREPEND]	 = { op_concat, KC_APPEND_CREATE, KEYED | VAL },
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
	[KC_OP_MGET]	 = { op_mget, 0, KEYLESS | ARGS_N },
	[KC_OP_MSET]	 = { op_mset, KC_SET_NX, KEYLESS | EXCL | ARGS_2N },
	[KC_OP_FLUSH]	 = { op_flush, 0, KEYLESS },
	[KC_OP_STRLEN]	 = { op_strlen, 0, KEYED },
	[KC_OP_GETDEL]	 = { op_get, 0, KEYED },
	[KC_OP_GETRANGE] = { op_getrange, 0, KEYED },
	[KC_OP_SETRANGE] = { op_setrange, 0, KEYED | VAL },
	[KC_OP_TYPE]	 = { op_type, 0, KEYED },
	[KC_OP_RENAME]	 = { op_rename, KC_SET_NX, KEYED | EXCL | VAL },
	[KC_OP_LPUSH]	 = { kc_op_lpush, KC_SET_XX, KEYED | ARGS_N },
	[KC_OP_RPUSH]	 = { kc_op_rpush, KC_SET_XX, KEYED | ARGS_N },
	[KC_OP_LPOP]	 = { kc_op_lpop, KC_POP_COUNT, KEYED },
	[KC_OP_RPOP]	 = { kc_op_rpop, KC_POP_COUNT, KEYED },
	[KC_OP_LRANGE]	 = { kc_op_lrange, 0, KEYED },
	[KC_OP_LLEN]	 = { kc_op_llen, 0, KEYED },
	[KC_OP_LINDEX]	 = { kc_op_lindex, 0, KEYED },
	[KC_OP_LSET]	 = { kc_op_lset, 0, KEYED | VAL },
	[KC_OP_LREM]	 = { kc_op_lrem, 0, KEYED | VAL },
	[KC_OP_LTRIM]	 = { kc_op_ltrim, 0, KEYED },
	[KC_OP_LINSERT]	 = { kc_op_linsert, KC_LINSERT_BEFORE |
			     KC_LINSERT_AFTER, KEYED | ARGS_1 | VAL },
	[KC_OP_HSET]	 = { kc_op_hset, KC_SET_NX, KEYED | ARGS_2N },
	[KC_OP_HGET]	 = { kc_op_hget, 0, KEYED | VAL },
	[KC_OP_HMGET]	 = { kc_op_hmget, 0, KEYED | ARGS_N },
	[KC_OP_HDEL]	 = { kc_op_hdel, 0, KEYED | ARGS_N },
	[KC_OP_HLEN]	 = { kc_op_hlen, 0, KEYED },
	[KC_OP_HEXISTS]	 = { kc_op_hexists, 0, KEYED | VAL },
	[KC_OP_HGETALL]	 = { kc_op_hgetall, 0, KEYED },
	[KC_OP_HKEYS]	 = { kc_op_hgetall, 0, KEYED },
	[KC_OP_HVALS]	 = { kc_op_hgetall, 0, KEYED },
	[KC_OP_HINCRBY]	 = { kc_op_hincrby, 0, KEYED | VAL },
	[KC_OP_HSTRLEN]	 = { kc_op_hstrlen, 0, KEYED | VAL },
	[KC_OP_SADD]	 = { kc_op_sadd, 0, KEYED | ARGS_N },
	[KC_OP_SREM]	 = { kc_op_srem, 0, KEYED | ARGS_N },
	[KC_OP_SMEMBERS] = { kc_op_smembers, 0, KEYED },
	[KC_OP_SISMEMBER] = { kc_op_sismember, 0, KEYED | VAL },
	[KC_OP_SMISMEMBER] = { kc_op_smismember, 0, KEYED | ARGS_N },
	[KC_OP_SCARD]	 = { kc_op_scard, 0, KEYED },
	[KC_OP_SPOP]	 = { kc_op_spop, KC_POP_COUNT, KEYED },
	[KC_OP_SRANDMEMBER] = { kc_op_srandmember, KC_POP_COUNT, KEYED },
	[KC_OP_SMOVE]	 = { kc_smove, 0, KEYED | EXCL | ARGS_1 | VAL },
	[KC_OP_SDIFF]	 = { kc_set_algebra, 0, KEYLESS | EXCL | ARGS_N },
	[KC_OP_SINTER]	 = { kc_set_algebra, 0, KEYLESS | EXCL | ARGS_N },
	[KC_OP_SUNION]	 = { kc_set_algebra, 0, KEYLESS | EXCL | ARGS_N },
	[KC_OP_SDIFFSTORE] = { kc_set_algebra, 0, KEYED | EXCL | ARGS_N },
	[KC_OP_SINTERSTORE] = { kc_set_algebra, 0, KEYED | EXCL | ARGS_N },
	[KC_OP_SUNIONSTORE] = { kc_set_algebra, 0, KEYED | EXCL | ARGS_N },
	[KC_OP_SCAN]	 = { kc_op_scan, 0, KEYLESS | VAL },
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

/* Argument bytes up to this many share the allocation of the array. */
#define BOUNCE_SLACK	512

/* Frees what bounce_in() allocated and gives the op its addresses back. */
static void bounce_in_undo(struct kc_req *r)
{
	kvfree(r->in_data);
	r->in_data = NULL;
	kvfree(r->in);
	r->in = NULL;
	r->op.val = r->uval;
	r->op.args = r->uargs;
}

/*
 * Copies a user request's value (for ops that read it) and arguments into
 * one kernel buffer, before the op runs and takes any lock: the op then
 * reads kernel memory only.  An argument longer than item_size_max, or
 * one whose reserved field is set, is not copied (its pointer becomes 0):
 * every op checks both before it reads the bytes, and fails as it would
 * have.  At most KC_INPUT_MAX bytes in all (-E2BIG).
 */
static int bounce_in(struct kc_req *r, bool val)
{
	struct kc_op *op = &r->op;
	u64 head, data = 0, vlen = 0, n = op->nargs;
	struct kc_buf *kb;
	char *p;
	u32 i;

	r->uval = op->val;
	r->uargs = op->args;
	if (val && op->val_len <= kc.item_size_max)
		vlen = op->val_len;
	op->val = 0;
	op->args = 0;
	if (!vlen && !n) {
		/* Nothing to copy (a GET): no allocation either. */
		r->in_kern = true;
		return 0;
	}
	head = round_up(vlen, sizeof(*kb)) + n * sizeof(*kb);
	if (head > KC_INPUT_MAX)
		goto e2big;
	/*
	 * One allocation: the value, the kc_buf array read straight into it,
	 * and the argument bytes when they fit in the slack (a few small
	 * members or fields); larger argument bytes get their own.
	 */
	r->in = kvmalloc(head + (n ? BOUNCE_SLACK : 0), GFP_KERNEL_ACCOUNT);
	if (!r->in)
		goto nomem;
	p = r->in;
	if (vlen) {
		if (copy_from_user(p, u64_to_user_ptr(r->uval), vlen))
			goto fault;
		op->val = (uintptr_t)p;
	}
	kb = (struct kc_buf *)(p + round_up(vlen, sizeof(*kb)));
	if (n && copy_from_user(kb, u64_to_user_ptr(r->uargs),
				n * sizeof(*kb)))
		goto fault;
	for (i = 0; i < n; i++)
		if (!kb[i].__reserved && kb[i].len <= kc.item_size_max)
			data += kb[i].len;
	if (head + data > KC_INPUT_MAX)
		goto e2big;
	if (r->budget) {
		if (head + data > r->budget->in)
			goto e2big;
		r->budget->in -= head + data;
	}
	p = (char *)r->in + head;
	if (data > BOUNCE_SLACK) {
		r->in_data = kvmalloc(data, GFP_KERNEL_ACCOUNT);
		if (!r->in_data)
			goto nomem;
		p = r->in_data;
	}
	for (i = 0; i < n; i++) {
		u64 src = kb[i].ptr;

		kb[i].ptr = 0;
		if (kb[i].__reserved || kb[i].len > kc.item_size_max)
			continue;
		if (copy_from_user(p, u64_to_user_ptr(src), kb[i].len))
			goto fault;
		kb[i].ptr = (uintptr_t)p;
		p += kb[i].len;
		if (!(i % 256))
			cond_resched();
	}
	if (n)
		op->args = (uintptr_t)kb;
	r->in_kern = true;
	return 0;
fault:
	bounce_in_undo(r);
	return -EFAULT;
nomem:
	bounce_in_undo(r);
	return -ENOMEM;
e2big:
	bounce_in_undo(r);
	return -E2BIG;
}

/*
 * Checks an operation and copies its key (to req->key) and, for a user
 * request, its inputs in, without running it.  Returns 0 or the result it
 * fails with, also stored in req->op.result.  kc_req_finish() follows,
 * whether the op ran or not.
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
	d = &kc_ops[op->opcode];
	err = -EINVAL;
	if (op->flags & ~d->flags)
		goto out;
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
	if (!err && !req->kern)
		err = bounce_in(req, d->mode & VAL);
out:
	op->result = err;
	return err;
}

/*
 * Ends a request after kc_op_prepare(): a user request's reply is copied
 * out (-EFAULT if that fails and the op had succeeded), its buffers freed
 * and op.val and op.args restored.
 */
void kc_req_finish(struct kc_req *req)
{
	struct kc_op *op = &req->op;

	if (req->ohi && copy_to_user(u64_to_user_ptr(op->out + req->olo),
				     req->obuf, req->ohi - req->olo) &&
	    !op->result)
		op->result = -EFAULT;
	kvfree(req->obuf);
	req->obuf = NULL;
	req->ocap = 0;
	req->olo = 0;
	req->ohi = 0;
	if (req->in_kern) {
		bounce_in_undo(req);
		req->in_kern = false;
	}
}

/* Runs a prepared op, with the lock its kind needs unless excl (held). */
static void op_exec(struct kc_req *req, bool excl)
{
	struct kc_op *op = &req->op;
	const struct kc_op_desc *d = &kc_ops[op->opcode];
	int err;

	if (excl) {
		lockdep_assert_held_write(&kc.excl_sem);
		err = d->fn(op, req->key);
	} else if (d->mode & EXCL) {
		percpu_down_write(&kc.excl_sem);
		err = d->fn(op, req->key);
		percpu_up_write(&kc.excl_sem);
	} else {
		percpu_down_read(&kc.excl_sem);
		err = d->fn(op, req->key);
		percpu_up_read(&kc.excl_sem);
	}
	op->result = err;
}

/*
 * After a reply write at fault_at would have faulted: faults in a window
 * from there that doubles with every try, with no lock held.  Returns 0
 * when at least the bytes of that write are in, else -EFAULT.
 */
static int refault(struct kc_req *req, int tries)
{
	struct kc_op *op = &req->op;
	u64 end = op->out + op->out_len, n;

	n = min_t(u64, end - req->fault_at,
		  (u64)max_t(u32, req->fault_len, SZ_64K) << tries);
	n = max_t(u64, n, req->fault_len);
	if (fault_in_safe_writeable(u64_to_user_ptr(req->fault_at), n) >
	    n - req->fault_len)
		return -EFAULT;
	return 0;
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
		op_exec(req, false);
		if (!req->refault)
			break;
		req->refault = false;
		if (op->result != -EFAULT)
			break;
		if (tries == KC_REFAULT_TRIES || refault(req, tries))
			break;
		*op = saved;
		req->reply = KC_REPLY_NONE;
	}
out:
	kc_req_finish(req);
	return op->result;
}

/*
 * Runs a transaction: if every watched key still has the CAS version it
 * was watched with (0: missing), all ops run with no other operation in
 * between; else none does and -ECANCELED is returned.  Ops were prepared
 * with kc_op_prepare() before, and each gets kc_req_finish() after.
 */
int kc_txn_run(struct kc_req *reqs, u32 n, const struct kc_txn_watch *w,
	       u32 nw)
{
	int err = 0;
	u32 i;

	percpu_down_write(&kc.excl_sem);
	for (i = 0; i < nw && !err; i++) {
		struct kc_item *it = kc_item_get(w[i].key, w[i].len, false);
		u64 cas = it ? READ_ONCE(it->cas) : 0;

		if (it)
			kc_item_put(it);
		if (cas != w[i].cas)
			err = -ECANCELED;
	}
	for (i = 0; i < n && !err; i++)
		op_exec(&reqs[i], true);
	percpu_up_write(&kc.excl_sem);
	return err;
}
