// SPDX-License-Identifier: GPL-2.0
/*
 * String and integer commands: SET and its forms, GET and its forms,
 * APPEND/PREPEND, INCRBY/DECRBY, GETBIT/SETBIT, GETRANGE/SETRANGE, STRLEN,
 * MGET and MSET.  Each gets a validated op with its inputs in kernel
 * memory (ops.c, req.c).
 *
 * Writes never change a linked item's value: they build a new item (which
 * may sleep) and publish it in place of the old one if that is still the
 * current version (CAS), retrying otherwise (item.c owns the protocol).
 * Metadata (expiry, CAS) is changed in place under the item's lock.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/err.h>
#include <linux/nospec.h>
#include "kcache.h"
#include "ops.h"
#include "netlink.h"
#include "lru.h"
#include "slab.h"

/*
 * Puts a new item in place: replaces the current item if there is one and
 * the conditions hold, else links it.  Takes over the caller's reference
 * to it.  With KC_SET_GET the old value is copied out.
 */
static int store(struct kc_op *op, const char *key, struct kc_item *it)
{
	struct kc_cache *kc = kc_op_cache(op);
	u32 flags = op->flags;
	struct kc_item *old;
	int err;

retry:
	old = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
	if (old) {
		/*
		 * type and nbytes never change while linked; the CAS version
		 * is checked again under old's lock by kc_item_publish().
		 */
		if ((flags & (KC_SET_NX | KC_SET_GET)) ==
		    (KC_SET_NX | KC_SET_GET)) {
			/* Redis 7's SET NX GET: the old value, nothing set. */
			err = old->type != KC_TYPE_STRING ? -EPROTOTYPE : -EEXIST;
		} else if (flags & KC_SET_NX) {
			err = -EEXIST;
		} else if ((flags & KC_SET_CAS) &&
			   READ_ONCE(old->cas) != op->cas &&
			   !((flags & KC_STALE) &&
			     op->cas < READ_ONCE(old->cas))) {
			err = -ESTALE;
		} else if ((flags & KC_SET_GET) &&
			   (old->type != KC_TYPE_STRING ||
			    old->nbytes > op->out_len)) {
			err = old->type != KC_TYPE_STRING ? -EPROTOTYPE :
							    -ENOSPC;
			op->out_used = old->nbytes;
		} else {
			err = kc_item_publish(old, it, op->cas,
					      ((flags & KC_SET_CAS) ?
					       KC_PUB_CAS : 0) |
					      ((flags & KC_STALE) ?
					       KC_PUB_STALE : 0) |
					      ((flags & KC_SET_KEEPTTL) ?
					       KC_PUB_KEEPTTL : 0));
			if (err == -EAGAIN) {
				kc_item_put(old);
				goto retry;
			}
			if (!err && (flags & KC_SET_CAS))
				kc_stat_inc(kc, KC_STAT_CAS_HITS);
		}
		if (err == -ESTALE) {
			err = -EEXIST;
			kc_stat_inc(kc, KC_STAT_CAS_BADVAL);
		}
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
			kc_stat_inc(kc, KC_STAT_CAS_MISSES);
	} else {
		err = kc_item_publish(NULL, it, 0, 0);
		if (err == -EEXIST)
			goto retry;
		if (!err && (flags & KC_SET_GET)) {
			op->num = 0;
			op->out_used = 0;
		}
	}
	if (!err) {
		op->cas = READ_ONCE(it->cas);	/* linked: no lock (kcache.h) */
		kc_notify(kc, KC_EVENT_SET, it->db, kc_item_key(it), it->nkey);
	}
	kc_item_put(it);
	return err;
}

/* The checks of a SET's flags and expiry, before any memory is taken. */
static int set_check(struct kc_op *op, u64 *exp)
{
	if ((op->flags & KC_SET_NX) && (op->flags & (KC_SET_XX | KC_SET_CAS)))
		return -EINVAL;
	if ((op->flags & KC_SET_KEEPTTL) && op->expire)
		return -EINVAL;
	if ((op->flags & KC_STALE) && !(op->flags & KC_SET_CAS))
		return -EINVAL;
	return kc_op_expiry(op, exp);
}

/*
 * A user request's SET (ADD, REPLACE) outside a transaction: the item is
 * allocated and the value copied from user memory straight into it before
 * the op runs, with no lock held (kc_op_prepare()), instead of through a
 * bounce buffer of its size: one allocation and one copy per SET, not
 * two.  A request that fails its checks fails here, before an item is
 * taken: nothing is evicted for it.
 *
 * An item of the large class is in no slab page, so a slow fault while it
 * is still private (state ALLOC) pins nothing another request needs: its
 * value is copied with faults allowed, and may be up to
 * KC_ITEM_SIZE_LIMIT, past KC_INPUT_MAX (the memory it takes is the
 * item's, within the limit).  A smaller item holds a chunk of a slab page
 * that a page move may be waiting for, so its value is copied with page
 * faults disabled; if that would fault, the item goes back and the value
 * takes the bounce buffer (kc_req_copy_in()), faulted in with no chunk
 * held.
 *
 * Returns 0 or the error the op fails with (-EINVAL, -ENOMEM, -EFAULT,
 * -EINTR, -ENODEV); req->pre is set or not, and kc_req_finish() drops it
 * if the op did not take it.
 */
int kc_set_prepare(struct kc_req *req)
{
	struct kc_op *op = &req->op;
	struct kc_cache *kc = req->cache;
	void __user *uval = u64_to_user_ptr(op->val);
	struct kc_item *it;
	u64 exp;
	int err;

	if (req->budget || op->val_len > kc_item_size_max(kc))
		return 0;
	err = set_check(op, &exp);
	if (err)
		return err;
	if (READ_ONCE(kc->dead))
		return -ENODEV;
	/* the database is mapped when the op runs (kc_op_set()) */
	it = kc_item_alloc(kc, 0, req->key, op->key_len, op->val_len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	if (it->clsid != kc->large_id) {
		if (copy_from_user_nofault(kc_item_value(it), uval,
					   op->val_len)) {
			kc_item_put(it);
			return 0;
		}
	} else if (kc_user_big(kc_item_value(it), uval, op->val_len, false)) {
		kc_item_put(it);
		return fatal_signal_pending(current) ? -EINTR : -EFAULT;
	}
	req->pre = it;
	return 0;
}

int kc_op_set(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it;
	u64 exp;
	int err;

	kc_stat_inc(kc, KC_STAT_CMD_SET);
	err = set_check(op, &exp);
	if (err)
		return err;
	it = kc_op_take_pre(op);
	if (it) {
		it->db = kc_op_db(op);
	} else {
		it = kc_item_alloc(kc, kc_op_db(op), key, op->key_len,
				   op->val_len);
		if (IS_ERR(it))
			return PTR_ERR(it);
		err = kc_copy_in(op, kc_item_value(it), op->val, op->val_len);
		if (err) {
			kc_item_put(it);
			return err;
		}
	}
	it->client_flags = op->client_flags;
	it->exptime = exp;
	if (op->flags & KC_SET_TOKEN)
		it->meta = KC_IT_TOKEN;
	return store(op, key, it);
}

int kc_op_add(struct kc_op *op, const char *key)
{
	op->flags |= KC_SET_NX;
	return kc_op_set(op, key);
}

int kc_op_replace(struct kc_op *op, const char *key)
{
	op->flags |= KC_SET_XX;
	return kc_op_set(op, key);
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
	struct kc_cache *kc = kc_op_cache(op);
	s64 num = op->num;	/* an input that build() overwrites */
	struct kc_item *old, *it;
	u64 seen_cas = 0;
	u32 pub;
	int err;

retry:
	if (fatal_signal_pending(current))
		return -EINTR;
	op->num = num;
	old = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
	if (!old && !create)
		return -ENOENT;
	if (old) {
		if (old->type != KC_TYPE_STRING) {
			kc_item_put(old);
			return -EPROTOTYPE;
		}
		seen_cas = READ_ONCE(old->cas);
	}
	/* memcached's incr and ma with a CAS: only that version changes */
	if (op->flags & KC_SET_CAS) {
		if (!old)
			return -ENOENT;
		if (seen_cas != op->cas) {
			kc_item_put(old);
			return -EEXIST;
		}
	}
	it = NULL;
	err = build(op, key, old, &it);
	if (err) {
		if (old)
			kc_item_put(old);
		return err > 0 ? 0 : err;
	}
	pub = KC_PUB_CAS | KC_PUB_KEEPTTL | KC_PUB_KEEPFLAGS;
	/*
	 * memcached rewrites an incr result that fits in place: the item
	 * keeps its fetched bit, access time and stale state.
	 */
	if ((op->flags & KC_INCR_UNSIGNED) && old && it->nbytes == old->nbytes)
		pub |= KC_PUB_KEEPSTATE;
	err = kc_item_publish(old, it, seen_cas, pub);
	if (old)
		kc_item_put(old);
	/* Changed or gone since it was read (-EAGAIN, -ESTALE), or created
	 * meanwhile (-EEXIST): build again from the current one.
	 */
	if (err == -EAGAIN || err == -ESTALE || err == -EEXIST) {
		kc_item_put(it);
		goto retry;
	}
	if (!err) {
		op->cas = READ_ONCE(it->cas);	/* linked: no lock (kcache.h) */
		kc_notify(kc, KC_EVENT_SET, kc_op_db(op), key, op->key_len);
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
	struct kc_cache *kc = kc_op_cache(op);
	bool append = op->opcode == KC_OP_APPEND;
	u32 olen = old_len(old), len;
	struct kc_item *it;
	char *v;

	if (check_add_overflow(olen, op->val_len, &len))
		return -E2BIG;
	it = kc_item_alloc(kc, kc_op_db(op), key, op->key_len, len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	v = kc_item_value(it);
	if (kc_copy_in(op, append ? v + olen : v, op->val, op->val_len)) {
		kc_item_put(it);
		return -EFAULT;
	}
	if (olen)
		kc_memcpy_big(append ? v : v + op->val_len,
			      kc_item_value(old), olen);
	op->num = len;
	*itp = it;
	return 0;
}

int kc_op_concat(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);

	kc_stat_inc(kc, KC_STAT_CMD_SET);
	return rmw(op, key, build_concat, op->flags & KC_APPEND_CREATE);
}

static int build_incr(struct kc_op *op, const char *key,
		      struct kc_item *old, struct kc_item **itp)
{
	struct kc_cache *kc = kc_op_cache(op);
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
	it = kc_item_alloc(kc, kc_op_db(op), key, op->key_len, len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	memcpy(kc_item_value(it), buf, len);
	op->num = res;
	*itp = it;
	return 0;
}

/* C's isspace() in the "C" locale (the kernel's also counts 0xa0). */
static bool c_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * memcached's safe_strtoull() on a value: leading white space, an
 * optional sign, digits, then white space or the end; a '-' that made
 * the result negative as a signed number is refused.
 */
static int parse_mc_ull(const char *s, u32 len, u64 *out)
{
	bool neg = false, range = false;
	u32 i = 0, start;
	u64 v = 0;

	while (i < len && c_space(s[i]))
		i++;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (start = i; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (U64_MAX - (s[i] - '0')) / 10)
			range = true;
		else
			v = v * 10 + (s[i] - '0');
	}
	if (i == start || range || (i < len && !c_space(s[i])))
		return -EDOM;
	v = neg ? 0 - v : v;
	if ((s64)v < 0 && neg)
		return -EDOM;
	*out = v;
	return 0;
}

static int build_incr_unsigned(struct kc_op *op, const char *key,
			       struct kc_item *old, struct kc_item **itp)
{
	struct kc_cache *kc = kc_op_cache(op);
	char buf[KC_INT_STR_MAX + 1];
	u64 cur, delta = (u64)op->num;
	struct kc_item *it;
	u32 len;
	int err;

	if (!old->nbytes)
		return -EDOM;
	err = parse_mc_ull(kc_item_value(old), old->nbytes, &cur);
	if (err)
		return err;
	if (op->opcode == KC_OP_INCRBY)
		cur += delta;			/* wraps at 2^64 */
	else
		cur = cur < delta ? 0 : cur - delta;
	len = snprintf(buf, sizeof(buf), "%llu", cur);
	/* memcached rewrites a shorter number in place, space padded */
	it = kc_item_alloc(kc, kc_op_db(op), key, op->key_len, max(len, old->nbytes));
	if (IS_ERR(it))
		return PTR_ERR(it);
	memcpy(kc_item_value(it), buf, len);
	if (len < old->nbytes)
		memset(kc_item_value(it) + len, ' ', old->nbytes - len);
	op->num = (s64)cur;
	*itp = it;
	return 0;
}

int kc_op_incr(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	int err = op->flags & KC_INCR_UNSIGNED ?
		  rmw(op, key, build_incr_unsigned, false) :
		  rmw(op, key, build_incr, true);

	kc_stat_inc(kc, err ? KC_STAT_INCR_MISSES : KC_STAT_INCR_HITS);
	return err;
}

static int build_setbit(struct kc_op *op, const char *key,
			struct kc_item *old, struct kc_item **itp)
{
	struct kc_cache *kc = kc_op_cache(op);
	u64 byte = (u64)op->num >> 3;
	u32 olen = old_len(old), len;
	u8 mask = 0x80 >> (op->num & 7);
	struct kc_item *it;
	char *v;

	if (byte >= kc_item_size_max(kc))
		return -E2BIG;
	len = max_t(u32, olen, byte + 1);
	it = kc_item_alloc(kc, kc_op_db(op), key, op->key_len, len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	v = kc_item_value(it);
	if (olen)
		kc_memcpy_big(v, kc_item_value(old), olen);
	kc_memcpy_big(v + olen, NULL, len - olen);
	byte = array_index_nospec(byte, len);
	op->num = !!(v[byte] & mask);
	if (op->num2)
		v[byte] |= mask;
	else
		v[byte] &= ~mask;
	*itp = it;
	return 0;
}

int kc_op_setbit(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);

	if (op->num < 0 || (op->num2 != 0 && op->num2 != 1))
		return -EINVAL;
	kc_stat_inc(kc, KC_STAT_CMD_SET);
	return rmw(op, key, build_setbit, true);
}

static int build_setrange(struct kc_op *op, const char *key,
			  struct kc_item *old, struct kc_item **itp)
{
	struct kc_cache *kc = kc_op_cache(op);
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
	if (end > kc_item_size_max(kc))
		return -E2BIG;
	len = max_t(u32, olen, end);
	it = kc_item_alloc(kc, kc_op_db(op), key, op->key_len, len);
	if (IS_ERR(it))
		return PTR_ERR(it);
	v = kc_item_value(it);
	if (olen)
		kc_memcpy_big(v, kc_item_value(old), olen);
	if (op->num > olen)
		kc_memcpy_big(v + olen, NULL, op->num - olen);
	if (kc_copy_in(op, v + op->num, op->val, op->val_len)) {
		kc_item_put(it);
		return -EFAULT;
	}
	op->num = len;
	*itp = it;
	return 0;
}

int kc_op_setrange(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);

	if (op->num < 0)
		return -EINVAL;
	kc_stat_inc(kc, KC_STAT_CMD_SET);
	return rmw(op, key, build_setrange, true);
}

/*
 * GET with KC_GET_META: the item's state as it was before this read,
 * memcached's refresh token (R tested against the expiry before this
 * read's touch), the expiry of KC_GET_TOUCH, then the access (unless
 * KC_GET_NOBUMP).  Runs once the value is out, so an op run again
 * after a fault never takes the token twice.
 */
static void get_meta(struct kc_op *op, struct kc_item *it, u64 exp)
{
	u32 now = kc_now_sec(), at = READ_ONCE(it->atime);
	u32 meta = READ_ONCE(it->fetched) ? KC_META_FETCHED : 0;

	op->num = now > at ? now - at : 0;
	spin_lock(&it->lock);
	if (it->meta & KC_IT_TOKEN)
		meta |= KC_META_TOKEN;
	if (it->meta & KC_IT_STALE)
		meta |= KC_META_STALE;
	/* memcached's R: expires within num2 seconds (never-expiring: no) */
	if (!(it->meta & KC_IT_TOKEN) &&
	    ((it->meta & KC_IT_STALE) ||
	     (op->num2 > 0 && it->exptime &&
	      it->exptime < kc_now_ms() + (u64)min_t(s64, op->num2, S32_MAX) *
					  MSEC_PER_SEC))) {
		it->meta |= KC_IT_TOKEN;
		meta |= KC_META_WON;
	}
	/* after R's test: a touch in the same read does not decide it */
	if (op->flags & KC_GET_TOUCH)
		it->exptime = exp;
	spin_unlock(&it->lock);
	op->meta = meta;
	if (!(op->flags & KC_GET_NOBUMP))
		kc_lru_bump(it);
}

int kc_op_get(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it;
	int err = 0;
	bool bump;
	u64 exp = 0;

	kc_stat_inc(kc, KC_STAT_CMD_GET);
	if (op->flags & KC_GET_TOUCH) {
		err = kc_op_expiry(op, &exp);
		if (err)
			return err;
		kc_stat_inc(kc, KC_STAT_CMD_TOUCH);
	}
	bump = !(op->flags & (KC_GET_NOBUMP | KC_GET_META));
	it = kc_item_get(kc, kc_op_db(op), key, op->key_len, bump);
	if (!it) {
		kc_stat_inc(kc, KC_STAT_GET_MISSES);
		return -ENOENT;
	}
	kc_stat_inc(kc, KC_STAT_GET_HITS);
	if (it->type != KC_TYPE_STRING) {
		err = -EPROTOTYPE;
		goto out;
	}
	/*
	 * No lock (kcache.h): client_flags, key and value are immutable
	 * once linked, and cas is one value either side of a concurrent
	 * TOUCH or EXPIRE, which change neither the value nor the flags.
	 */
	op->cas = READ_ONCE(it->cas);
	op->client_flags = it->client_flags;
	err = kc_put_value(op, kc_item_value(it), it->nbytes);
	if (err)
		goto out;
	/*
	 * Touch only once the value is out: a reply that would fault stops
	 * the op and runs it again, and a touch to a past time done before
	 * that would turn the second run into a miss.
	 */
	if (op->flags & KC_GET_META) {
		get_meta(op, it, exp);
	} else if (op->flags & KC_GET_TOUCH) {
		spin_lock(&it->lock);
		it->exptime = exp;
		spin_unlock(&it->lock);
	}
	if (op->opcode == KC_OP_GETDEL && kc_item_unlink(it))
		kc_notify(kc, KC_EVENT_DEL, kc_op_db(op), key, op->key_len);
out:
	kc_item_put(it);
	return err;
}

int kc_op_getrange(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it = kc_item_get(kc, kc_op_db(op), key, op->key_len, true);
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
	if (len && start <= end) {
		/* A user offset into the value: clamped under speculation. */
		start = array_index_nospec(start, len);
		err = kc_put_value(op, kc_item_value(it) + start, end - start + 1);
	}
out:
	kc_item_put(it);
	return err;
}

int kc_op_strlen(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
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

int kc_op_getbit(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	u64 byte = (u64)op->num >> 3;
	u8 mask = 0x80 >> (op->num & 7);
	struct kc_item *it;
	int err = 0;

	if (op->num < 0)
		return -EINVAL;
	it = kc_item_get(kc, kc_op_db(op), key, op->key_len, true);
	op->num = 0;
	if (!it)
		return 0;
	if (it->type != KC_TYPE_STRING)
		err = -EPROTOTYPE;
	else if (byte < it->nbytes)
		op->num = !!(kc_item_value(it)[array_index_nospec(byte,
								  it->nbytes)] &
			      mask);
	kc_item_put(it);
	return err;
}

int kc_op_mget(struct kc_op *op, const char *unused)
{
	struct kc_cache *kc = kc_op_cache(op);
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
		kc_stat_inc(kc, KC_STAT_CMD_GET);
		it = kc_item_get(kc, kc_op_db(op), key, klen, true);
		if (it && it->type != KC_TYPE_STRING) {
			kc_item_put(it);
			it = NULL;
		}
		kc_stat_inc(kc, it ? KC_STAT_GET_HITS : KC_STAT_GET_MISSES);
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
 * MSET holds the stripes of all its keys exclusively and is all or
 * nothing, as in Redis: every item is built first, then all are stored.
 * With KC_SET_NX (MSETNX) nothing is stored if any key exists (-EEXIST).
 */
int kc_op_mset(struct kc_op *op, const char *unused)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_req sub = { .kern = true, .cache = kc, .db = kc_op_db(op) };
	u32 i, n = op->nargs / 2, klen;
	struct kc_item **items;
	struct kc_buf v;
	int err = 0;

	if (!n || op->nargs % 2 || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	items = kvcalloc(n, sizeof(*items), KC_GFP_REQ);
	if (!items)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		struct kc_item *it;

		/* sub's key buffer, unused by store(): a smaller frame */
		err = kc_read_key_arg(op, 2 * i, sub.key, &klen);
		if (!err)
			err = kc_read_arg(op, 2 * i + 1, &v);
		if (err)
			break;
		kc_key_assert_held(kc, sub.key, klen, true);
		if (op->flags & KC_SET_NX) {
			it = kc_item_get(kc, kc_op_db(op), sub.key, klen, false);
			if (it) {
				kc_item_put(it);
				err = -EEXIST;
				break;
			}
		}
		it = kc_item_alloc(kc, kc_op_db(op), sub.key, klen, v.len);
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
		kc_stat_inc(kc, KC_STAT_CMD_SET);
		memset(&sub.op, 0, sizeof(sub.op));
		sub.op.key_len = items[i]->nkey;
		/* Takes over the reference; a failure here is the index's. */
		store(&sub.op, kc_item_key(items[i]), items[i]);
	}
	kvfree(items);
	return err;
}
