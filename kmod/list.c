// SPDX-License-Identifier: GPL-2.0
/*
 * Lists: a doubly linked list of elements, O(1) at both ends, with Redis's
 * index rules (negative from the tail).  Elements are allocated and filled
 * before the container's mutex is taken; walks hold only that mutex and
 * reschedule every KC_WALK_BATCH elements.
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/err.h>
#include "container.h"
#include "wait.h"

#define KC_WALK_BATCH	256

static void free_batch(struct list_head *batch)
{
	struct kc_item *e, *tmp;

	list_for_each_entry_safe(e, tmp, batch, lru) {
		list_del(&e->lru);
		kc_item_put(e);
	}
}

static int push(struct kc_op *op, const char *key, bool head)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it, *e, *tmp;
	LIST_HEAD(batch);
	struct kc_cont *c;
	int err;
	u32 i;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	for (i = 0; i < op->nargs; i++) {
		err = kc_elem_alloc_arg(op, i, &e);
		if (err)
			goto out;
		list_add_tail(&e->lru, &batch);
	}
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST,
			 !(op->flags & KC_SET_XX), &err);
	if (!it)
		goto out;
	c = kc_cont(it);
	list_for_each_entry_safe(e, tmp, &batch, lru) {
		list_del(&e->lru);
		kc_elem_set_owner(e, it);
		if (head)
			list_add(&e->lru, &c->list);
		else
			list_add_tail(&e->lru, &c->list);
		c->len++;
	}
	op->num = c->len;
	kc_cont_done(it, true);
	kc_wait_notify(kc, key, op->key_len);
	return 0;
out:
	free_batch(&batch);
	return err;
}

int kc_op_lpush(struct kc_op *op, const char *key)
{
	return push(op, key, true);
}

int kc_op_rpush(struct kc_op *op, const char *key)
{
	return push(op, key, false);
}

static struct kc_item *end_elem(struct kc_cont *c, bool head)
{
	return head ? list_first_entry(&c->list, struct kc_item, lru) :
		      list_last_entry(&c->list, struct kc_item, lru);
}

static struct kc_item *step(struct kc_item *e, bool head)
{
	return head ? list_next_entry(e, lru) : list_prev_entry(e, lru);
}

/*
 * LPOP/RPOP: the reply is written before anything is removed, so a reply
 * that does not fit (-ENOSPC, -EFAULT) pops nothing.
 */
static int pop(struct kc_op *op, const char *key, bool head)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool count = op->flags & KC_POP_COUNT;
	struct kc_reply r = { .op = op };
	struct kc_item *it, *e;
	struct kc_cont *c;
	u64 n, i;
	int err;

	if (count && op->num < 0)
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!it)
		return err;
	c = kc_cont(it);
	n = count ? min_t(u64, op->num, c->len) : 1;
	e = end_elem(c, head);
	if (!count) {
		err = kc_put_value(op, kc_elem_data(e), e->nbytes);
	} else {
		for (i = 0, err = 0; i < n && !err; i++, e = step(e, head))
			err = kc_reply_add(&r, kc_elem_data(e), e->nbytes,
					   false);
		if (!err)
			err = kc_reply_end(&r);
	}
	if (!err) {
		for (i = 0; i < n; i++) {
			e = end_elem(c, head);
			list_del(&e->lru);
			c->len--;
			kc_elem_set_owner(e, NULL);
			kc_item_put(e);
		}
		op->num = n;
	}
	kc_cont_done(it, !err && n);
	return err;
}

int kc_op_lpop(struct kc_op *op, const char *key)
{
	return pop(op, key, true);
}

int kc_op_rpop(struct kc_op *op, const char *key)
{
	return pop(op, key, false);
}

/* Redis's range rules; false when the range is empty. */
static bool norm_range(s64 len, s64 *start, s64 *stop)
{
	if (*start < 0)
		*start = max_t(s64, len + *start, 0);
	if (*stop < 0)
		*stop = len + *stop;
	if (*stop >= len)
		*stop = len - 1;
	return *start <= *stop && *start < len;
}

/* The element at index i (0 <= i < len), walking from the nearer end. */
static struct kc_item *nth(struct kc_cont *c, u64 i)
{
	bool head = i < c->len / 2;
	u64 steps = head ? i : c->len - 1 - i;
	struct kc_item *e = end_elem(c, head);

	while (steps--) {
		e = step(e, head);
		if (!(steps % KC_WALK_BATCH))
			cond_resched();
	}
	return e;
}

int kc_op_lrange(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_reply r = { .op = op };
	s64 start = op->num, stop = op->num2, i;
	struct kc_item *it, *e;
	struct kc_cont *c;
	int err = 0;

	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!it)
		return err;
	c = kc_cont(it);
	if (norm_range(c->len, &start, &stop)) {
		e = nth(c, start);
		for (i = start; i <= stop && !err; i++, e = step(e, true)) {
			err = kc_reply_add(&r, kc_elem_data(e), e->nbytes,
					   false);
			if (!(i % KC_WALK_BATCH))
				cond_resched();
		}
	}
	if (!err)
		err = kc_reply_end(&r);
	kc_cont_done(it, false);
	return err;
}

/* Normalises a Redis index; false when outside the list. */
static bool norm_index(struct kc_cont *c, s64 *i)
{
	if (*i < 0)
		*i += c->len;
	return *i >= 0 && *i < c->len;
}

int kc_op_lindex(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it, *e;
	s64 i = op->num;
	int err;

	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!it)
		return err;
	if (norm_index(kc_cont(it), &i)) {
		e = nth(kc_cont(it), i);
		err = kc_put_value(op, kc_elem_data(e), e->nbytes);
	} else {
		err = -ENOENT;
	}
	kc_cont_done(it, false);
	return err;
}

int kc_op_lset(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it, *e, *old;
	s64 i = op->num;
	int err;

	if (op->val_len > kc_item_size_max(kc))
		return -E2BIG;
	e = kc_elem_alloc(kc, op->val_len, op->val_len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	err = kc_copy_in(op, kc_elem_data(e), op->val, op->val_len);
	if (err)
		goto out;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!it)
		goto out;
	if (!norm_index(kc_cont(it), &i)) {
		kc_cont_done(it, false);
		err = -ERANGE;
		goto out;
	}
	old = nth(kc_cont(it), i);
	list_replace(&old->lru, &e->lru);
	kc_elem_set_owner(e, it);
	kc_elem_set_owner(old, NULL);
	e = old;
	kc_cont_done(it, true);
out:
	kc_item_put(e);
	return err;
}

static bool elem_eq(struct kc_item *e, const void *v, u32 len)
{
	return e->nbytes == len && !memcmp(kc_elem_data(e), v, len);
}

int kc_op_lrem(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool head = op->num >= 0;
	u64 want = op->num < 0 ? -(u64)op->num : op->num, done = 0, n = 0;
	struct kc_item *it, *e, *next;
	struct kc_cont *c;
	void *v;
	int err;

	v = kc_dup_in(op, op->val, op->val_len, &err);
	if (!v)
		return err;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!it)
		goto out;
	c = kc_cont(it);
	e = end_elem(c, head);
	while (&e->lru != &c->list && (!want || done < want)) {
		next = step(e, head);
		if (elem_eq(e, v, op->val_len)) {
			list_del(&e->lru);
			c->len--;
			kc_elem_set_owner(e, NULL);
			kc_item_put(e);
			done++;
		}
		e = next;
		if (!(++n % KC_WALK_BATCH))
			cond_resched();
	}
	op->num = done;
	kc_cont_done(it, done);
out:
	kvfree(v);
	return err;
}

int kc_op_ltrim(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	s64 start = op->num, stop = op->num2, len, i;
	struct kc_item *it, *e;
	struct kc_cont *c;
	int err;

	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!it)
		return err;
	c = kc_cont(it);
	len = c->len;
	if (!norm_range(len, &start, &stop)) {
		start = len;
		stop = len - 1;
	}
	for (i = 0; i < len; i++) {
		bool head = i < start;

		if (i >= start && i <= stop)
			continue;
		e = end_elem(c, head);
		list_del(&e->lru);
		c->len--;
		kc_elem_set_owner(e, NULL);
		kc_item_put(e);
		if (!(i % KC_WALK_BATCH))
			cond_resched();
	}
	kc_cont_done(it, c->len != len);
	return 0;
}

int kc_op_linsert(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool before = op->flags & KC_LINSERT_BEFORE;
	struct kc_item *it, *e, *p;
	struct kc_cont *c;
	struct kc_buf b;
	void *pivot;
	u64 i;
	int err;

	if (!(op->flags & KC_LINSERT_BEFORE) == !(op->flags & KC_LINSERT_AFTER))
		return -EINVAL;
	if (op->nargs != 1)
		return -EINVAL;
	if (op->val_len > kc_item_size_max(kc))
		return -E2BIG;
	err = kc_read_arg(op, 0, &b);
	if (err)
		return err;
	pivot = kc_dup_in(op, b.ptr, b.len, &err);
	if (!pivot)
		return err;
	e = kc_elem_alloc(kc, op->val_len, op->val_len);
	if (IS_ERR(e)) {
		err = PTR_ERR(e);
		e = NULL;
		goto out;
	}
	err = kc_copy_in(op, kc_elem_data(e), op->val, op->val_len);
	if (err)
		goto out;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!it)
		goto out;
	c = kc_cont(it);
	op->num = -1;
	i = 0;
	list_for_each_entry(p, &c->list, lru) {
		/* Killed: nothing inserted yet. */
		err = kc_op_yield(op, ++i);
		if (err)
			break;
		if (!elem_eq(p, pivot, b.len))
			continue;
		kc_elem_set_owner(e, it);
		if (before)
			list_add_tail(&e->lru, &p->lru);
		else
			list_add(&e->lru, &p->lru);
		c->len++;
		op->num = c->len;
		e = NULL;
		break;
	}
	kc_cont_done(it, !e);
out:
	if (e)
		kc_item_put(e);
	kvfree(pivot);
	return err;
}

/*
 * LMOVE (and BLMOVE, which waits in kc_op_run_blocking()): runs with
 * both keys' stripes held exclusively.  As SMOVE, the element is copied into a new element of the
 * destination before it leaves the source, and the cache lets only
 * reclaim run in between: what was pushed is never lost.
 */
int kc_op_lmove(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool from_head = !op->num, to_head = !op->num2;
	struct kc_item *src, *dst, *e, *ne = NULL;
	char dkey[KC_KEY_MAX];
	struct kc_cont *c;
	u32 dlen;
	int err;

	kc_key_assert_held(kc, key, op->key_len, true);
	if ((op->num != 0 && op->num != 1) || (op->num2 != 0 && op->num2 != 1) ||
	    (op->opcode == KC_OP_BLMOVE && op->expire < 0))
		return -EINVAL;
	err = kc_read_key_arg(op, 0, dkey, &dlen);
	if (err)
		return err;
	kc_key_assert_held(kc, dkey, dlen, true);
	src = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!src)
		return err;
	/* Redis checks the destination's type once the source has one. */
	kc_cont_done(src, false);
	dst = kc_cont_ref(kc, kc_op_db(op), dkey, dlen, KC_TYPE_LIST, &err);
	if (dst)
		kc_item_put(dst);
	if (err)
		return err;
	src = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!src)
		return err;
	c = kc_cont(src);
	e = end_elem(c, from_head);
	err = kc_put_value(op, kc_elem_data(e), e->nbytes);
	if (err) {
		kc_cont_done(src, false);
		return err;
	}
	if (dlen == op->key_len && !memcmp(dkey, key, dlen)) {
		if (from_head != to_head) {
			list_del(&e->lru);
			if (to_head)
				list_add(&e->lru, &c->list);
			else
				list_add_tail(&e->lru, &c->list);
		}
		kc_cont_done(src, from_head != to_head);
		kc_wait_notify(kc, key, op->key_len);
		return 0;
	}
	ne = kc_elem_alloc(kc, e->nbytes, e->nbytes);
	if (!IS_ERR(ne))
		kc_memcpy_big(kc_elem_data(ne), kc_elem_data(e), e->nbytes);
	kc_cont_done(src, false);
	if (IS_ERR(ne))
		return PTR_ERR(ne);
	dst = kc_cont_get(kc, kc_op_db(op), dkey, dlen, KC_TYPE_LIST, true, &err);
	if (!dst) {
		kc_item_put(ne);
		return err;
	}
	c = kc_cont(dst);
	kc_elem_set_owner(ne, dst);
	if (to_head)
		list_add(&ne->lru, &c->list);
	else
		list_add_tail(&ne->lru, &c->list);
	c->len++;
	kc_cont_done(dst, true);
	kc_wait_notify(kc, dkey, dlen);
	/* In the destination now: take it out of the source. */
	src = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_LIST, false, &err);
	if (!src)
		return 0;	/* reclaimed meanwhile: nothing to remove */
	c = kc_cont(src);
	e = end_elem(c, from_head);
	list_del(&e->lru);
	c->len--;
	kc_elem_set_owner(e, NULL);
	kc_item_put(e);
	kc_cont_done(src, true);
	return 0;
}

/*
 * LMPOP (and BLMPOP): up to num elements from the first of the keys in
 * args that exists.  The reply is the key, then the elements; written
 * before anything is removed, as pop()'s.
 */
int kc_op_lmpop(struct kc_op *op, const char *unused)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool head = !op->num2;
	struct kc_reply r = { .op = op };
	char key[KC_KEY_MAX];
	struct kc_item *it, *e;
	struct kc_cont *c;
	u32 i, klen;
	u64 n, j;
	int err;

	if (op->num < 1 || (op->num2 != 0 && op->num2 != 1) ||
	    (op->opcode == KC_OP_BLMPOP && op->expire < 0))
		return -EINVAL;
	for (i = 0; i < op->nargs; i++) {
		err = kc_op_yield(op, i + 1);
		if (err)
			return err;
		err = kc_read_key_arg(op, i, key, &klen);
		if (err)
			return err;
		kc_key_assert_held(kc, key, klen, false);
		it = kc_cont_get(kc, kc_op_db(op), key, klen, KC_TYPE_LIST, false, &err);
		if (it)
			break;
		if (err != -ENOENT)
			return err;
	}
	if (i == op->nargs)
		return -ENOENT;
	c = kc_cont(it);
	n = min_t(u64, op->num, c->len);
	err = kc_reply_add(&r, key, klen, false);
	e = end_elem(c, head);
	for (j = 0; j < n && !err; j++, e = step(e, head))
		err = kc_reply_add(&r, kc_elem_data(e), e->nbytes, false);
	if (!err)
		err = kc_reply_end(&r);
	if (!err) {
		for (j = 0; j < n; j++) {
			e = end_elem(c, head);
			list_del(&e->lru);
			c->len--;
			kc_elem_set_owner(e, NULL);
			kc_item_put(e);
		}
	}
	kc_cont_done(it, !err && n);
	return err;
}
