// SPDX-License-Identifier: GPL-2.0
/*
 * Hashes: field -> value elements in the container's chained table
 * (container.c), O(1) per field.  An element holds the field then the
 * value; its key length is the field's.
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/err.h>
#include <linux/sort.h>
#include "container.h"

static u32 vlen(struct kc_item *e)
{
	return e->nbytes - kc_elem_klen(e);
}

static char *vdata(struct kc_item *e)
{
	return kc_elem_data(e) + kc_elem_klen(e);
}

/* Builds a field+value element from args[i] and args[i + 1]. */
static int pair_alloc(struct kc_op *op, u32 i, struct kc_item **ep)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_buf f, v;
	struct kc_item *e;
	int err;

	err = kc_read_arg(op, i, &f);
	if (!err)
		err = kc_read_arg(op, i + 1, &v);
	if (err)
		return err;
	if ((u64)f.len + v.len > kc_item_size_max(kc))
		return -E2BIG;
	e = kc_elem_alloc(kc, f.len + v.len, f.len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	err = kc_copy_in(op, kc_elem_data(e), f.ptr, f.len);
	if (!err)
		err = kc_copy_in(op, kc_elem_data(e) + f.len, v.ptr, v.len);
	if (err) {
		kc_item_put(e);
		return err;
	}
	*ep = e;
	return 0;
}

/* Puts e in place of the element with its field, or adds it.  Returns 1
 * for a new field, 0 for a replaced one, or -errno.
 */
static int hash_put(struct kc_item *it, struct kc_item *e)
{
	struct kc_item *old = kc_cont_find(it, kc_elem_data(e),
					   kc_elem_klen(e));
	int err;

	/* No shrink in between: the room reserved for e stays. */
	if (old)
		__kc_cont_remove(it, old, false);
	err = kc_cont_insert(it, e);
	if (err) {
		if (old && kc_cont_insert(it, old))
			kc_item_put(old);
		return err;
	}
	if (old) {
		e->atime = old->atime;	/* a new value keeps its field's place */
		kc_item_put(old);
	}
	return !old;
}

int kc_op_hset(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool nx = op->flags & KC_SET_NX;
	struct kc_item **elems, *it;
	u32 i, n = op->nargs / 2;
	int err = 0, added = 0, written = 0;

	if (!n || op->nargs % 2 || op->nargs > KC_ARGS_MAX || (nx && n != 1))
		return -EINVAL;
	elems = kvcalloc(n, sizeof(*elems), KC_GFP_REQ);
	if (!elems)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = pair_alloc(op, 2 * i, &elems[i]);
	if (err)
		goto out;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_HASH, true, &err);
	if (!it)
		goto out;
	err = kc_cont_reserve(it, n);
	for (i = 0; i < n && !err; i++) {
		int r;

		if (nx && kc_cont_find(it, kc_elem_data(elems[i]),
				       kc_elem_klen(elems[i])))
			continue;
		r = hash_put(it, elems[i]);
		if (r < 0) {
			err = r;
			break;
		}
		elems[i] = NULL;
		added += r;
		written++;
	}
	op->num = added;
	kc_cont_done(it, written);
out:
	for (i = 0; i < n; i++)
		if (elems[i])
			kc_item_put(elems[i]);
	kvfree(elems);
	return err;
}

/* The element for the field in op->val, in a locked hash, or NULL. */
static struct kc_item *find_val_field(struct kc_op *op, struct kc_item *it,
				      const void *field)
{
	return kc_cont_find(it, field, op->val_len);
}

/* Common frame: hash locked, op->val copied in as the field. */
static int with_field(struct kc_op *op, const char *key,
		      int (*fn)(struct kc_op *, struct kc_item *,
				struct kc_item *))
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it;
	void *field;
	int err;

	field = kc_dup_in(op, op->val, op->val_len, &err);
	if (!field)
		return err;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_HASH, false, &err);
	if (it) {
		err = fn(op, it, find_val_field(op, it, field));
		kc_cont_done(it, false);
	}
	kvfree(field);
	return err;
}

static int hget(struct kc_op *op, struct kc_item *it, struct kc_item *e)
{
	return e ? kc_put_value(op, vdata(e), vlen(e)) : -ENOENT;
}

static int hexists(struct kc_op *op, struct kc_item *it, struct kc_item *e)
{
	op->num = !!e;
	return 0;
}

static int hstrlen(struct kc_op *op, struct kc_item *it, struct kc_item *e)
{
	op->num = e ? vlen(e) : 0;
	return 0;
}

int kc_op_hget(struct kc_op *op, const char *key)
{
	return with_field(op, key, hget);
}

int kc_op_hexists(struct kc_op *op, const char *key)
{
	return with_field(op, key, hexists);
}

int kc_op_hstrlen(struct kc_op *op, const char *key)
{
	return with_field(op, key, hstrlen);
}

int kc_op_hmget(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_reply r = { .op = op };
	struct kc_item *it, *e;
	int err = 0;
	u32 i;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_HASH, false, &err);
	if (!it)
		return err;
	for (i = 0; i < op->nargs && !err; i++) {
		e = kc_cont_find_arg(op, it, i, &err);
		if (!err)
			err = kc_reply_add(&r, e ? vdata(e) : NULL,
					   e ? vlen(e) : 0, !e);
	}
	if (!err)
		err = kc_reply_end(&r);
	kc_cont_done(it, false);
	return err;
}

int kc_op_hdel(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it, *e;
	u64 removed = 0;
	int err = 0;
	u32 i;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_HASH, false, &err);
	if (!it)
		return err;
	for (i = 0; i < op->nargs && !err; i++) {
		e = kc_cont_find_arg(op, it, i, &err);
		if (e) {
			kc_cont_remove(it, e);
			kc_item_put(e);
			removed++;
		}
	}
	op->num = removed;
	kc_cont_done(it, removed);
	return err;
}

/* HGETALL, HKEYS, HVALS: a walk of the table under the mutex. */
static int by_insertion(const void *a, const void *b)
{
	const struct kc_item *x = *(struct kc_item * const *)a;
	const struct kc_item *y = *(struct kc_item * const *)b;

	return (s32)(x->atime - y->atime) < 0 ? -1 : 1;
}

/*
 * A small hash in the order its fields were added, as Redis keeps a
 * listpack hash: at most num2 fields (KC_HASH_ORDER_MAX) and, with num,
 * none longer than num bytes (field or value).  NULL otherwise, or when
 * the array cannot be had (then the table's order: no promise broken).
 */
static struct kc_item **insertion_order(struct kc_cont *c, s64 max, s64 vmax,
					u32 *np)
{
	struct kc_item **v, *e;
	u32 i, n = 0;

	if (max <= 0 || c->len > max || c->len > KC_HASH_ORDER_MAX || !c->len)
		return NULL;
	v = kmalloc_array(c->len, sizeof(*v), GFP_KERNEL_ACCOUNT);
	if (!v)
		return NULL;
	for (e = kc_cont_next(c, NULL, &i); e && n < c->len;
	     e = kc_cont_next(c, e, &i)) {
		if (vmax > 0 && (kc_elem_klen(e) > vmax || vlen(e) > vmax)) {
			kfree(v);
			return NULL;
		}
		v[n++] = e;
	}
	sort(v, n, sizeof(*v), by_insertion, NULL);
	*np = n;
	return v;
}

static int hgetall_add(struct kc_reply *r, struct kc_item *e, bool keys,
		       bool vals)
{
	int err = 0;

	if (keys)
		err = kc_reply_add(r, kc_elem_data(e), kc_elem_klen(e), false);
	if (vals && !err)
		err = kc_reply_add(r, vdata(e), vlen(e), false);
	if (!(r->count % 512))
		cond_resched();
	return err;
}

int kc_op_hgetall(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool keys = op->opcode != KC_OP_HVALS;
	bool vals = op->opcode != KC_OP_HKEYS;
	struct kc_reply r = { .op = op };
	s64 max = op->num2, vmax = op->num;	/* before the reply sets num */
	struct kc_item *it, *e, **order;
	struct kc_cont *c;
	int err = 0;
	u32 i, n = 0;

	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_HASH, false, &err);
	if (!it)
		return err;
	c = kc_cont(it);
	order = insertion_order(c, max, vmax, &n);
	if (order) {
		for (i = 0; i < n && !err; i++)
			err = hgetall_add(&r, order[i], keys, vals);
		kfree(order);
	} else {
		for (e = kc_cont_next(c, NULL, &i); e && !err;
		     e = kc_cont_next(c, e, &i))
			err = hgetall_add(&r, e, keys, vals);
	}
	if (!err)
		err = kc_reply_end(&r);
	kc_cont_done(it, false);
	return err;
}

int kc_op_hincrby(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	char buf[KC_INT_STR_MAX + 1];
	struct kc_item *it, *e, *ne;
	s64 cur = 0, res;
	void *field;
	int err, len;

	if ((u64)op->val_len + KC_INT_STR_MAX > kc_item_size_max(kc))
		return -E2BIG;
	field = kc_dup_in(op, op->val, op->val_len, &err);
	if (!field)
		return err;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_HASH, true, &err);
	if (!it)
		goto out;
	e = kc_cont_find(it, field, op->val_len);
	if (e)
		err = kc_parse_ll(vdata(e), vlen(e), &cur);
	if (!err && check_add_overflow(cur, op->num, &res))
		err = -EOVERFLOW;
	if (err)
		goto done;
	len = snprintf(buf, sizeof(buf), "%lld", res);
	ne = kc_elem_alloc(kc, op->val_len + len, op->val_len);
	if (IS_ERR(ne)) {
		err = PTR_ERR(ne);
		goto done;
	}
	memcpy(kc_elem_data(ne), field, op->val_len);
	memcpy(kc_elem_data(ne) + op->val_len, buf, len);
	err = hash_put(it, ne);
	if (err < 0) {
		kc_item_put(ne);
		goto done;
	}
	err = 0;
	op->num = res;
done:
	kc_cont_done(it, !err);
out:
	kvfree(field);
	return err;
}
