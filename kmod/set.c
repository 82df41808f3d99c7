// SPDX-License-Identifier: GPL-2.0
/*
 * Sets: members in the container's chained table (container.c), O(1)
 * membership.  SMOVE and the algebra (SDIFF, SINTER, SUNION and their
 * STORE forms) hold the stripes of all their keys exclusively (keylock.c),
 * so they read several sets through references without other writers.
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/random.h>
#include <linux/sort.h>
#include <linux/err.h>
#include "container.h"
#include "netlink.h"
#include "wait.h"

int kc_op_sadd(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item **elems, *it;
	u32 i, n = op->nargs;
	u64 added = 0;
	int err = 0;

	if (!n || n > KC_ARGS_MAX)
		return -EINVAL;
	elems = kvcalloc(n, sizeof(*elems), KC_GFP_REQ);
	if (!elems)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		err = kc_elem_alloc_arg(op, i, &elems[i]);
	if (err)
		goto out;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, true, &err);
	if (!it)
		goto out;
	err = kc_cont_reserve(it, n);
	for (i = 0; i < n && !err; i++) {
		struct kc_item *e = elems[i];

		if (kc_cont_find(it, kc_elem_data(e), e->nbytes))
			continue;
		err = kc_cont_insert(it, e);
		if (err)
			break;
		elems[i] = NULL;
		added++;
	}
	op->num = added;
	kc_cont_done(it, added);
out:
	for (i = 0; i < n; i++)
		if (elems[i])
			kc_item_put(elems[i]);
	kvfree(elems);
	return err;
}

int kc_op_srem(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it, *e;
	u64 removed = 0;
	int err = 0;
	u32 i;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, false, &err);
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

/* Writes every member of a set to the reply. */
static int reply_members(struct kc_reply *r, struct kc_item *it)
{
	struct kc_cont *c = kc_cont(it);
	struct kc_item *e;
	int err = 0;
	u32 i;

	for (e = kc_cont_next(c, NULL, &i); e;
	     e = kc_cont_next(c, e, &i)) {
		err = kc_reply_add(r, kc_elem_data(e), e->nbytes, false);
		if (err)
			return err;
		if (!(r->count % 512))
			cond_resched();
	}
	return 0;
}

int kc_op_smembers(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_reply r = { .op = op };
	struct kc_item *it;
	int err;

	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, false, &err);
	if (!it)
		return err;
	err = reply_members(&r, it);
	if (!err)
		err = kc_reply_end(&r);
	kc_cont_done(it, false);
	return err;
}

int kc_op_sismember(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it;
	void *m;
	int err;

	m = kc_dup_in(op, op->val, op->val_len, &err);
	if (!m)
		return err;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, false, &err);
	if (it) {
		op->num = !!kc_cont_find(it, m, op->val_len);
		kc_cont_done(it, false);
	}
	kvfree(m);
	return err;
}

int kc_op_smismember(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_reply r = { .op = op };
	struct kc_item *it;
	int err = 0;
	bool in;
	u32 i;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, false, &err);
	if (!it)
		return err;
	for (i = 0; i < op->nargs && !err; i++) {
		in = kc_cont_find_arg(op, it, i, &err);
		if (!err)
			err = kc_reply_add(&r, NULL, 0, !in);
	}
	if (!err)
		err = kc_reply_end(&r);
	kc_cont_done(it, false);
	return err;
}

/*
 * Takes n (<= len) distinct random members out of set it onto picked, in
 * work proportional to n: with n more than a third of the set, one walk
 * keeps each member with the odds left (selection sampling); else random
 * picks, each taken out so that none repeats.  The table keeps its size,
 * so putting them back cannot fail.  Returns 0, or -EINTR (killed) with
 * nothing taken out.
 */
static int pick_members(struct kc_op *op, struct kc_item *it, u64 n,
			struct list_head *picked)
{
	struct kc_cont *c = kc_cont(it);
	struct kc_item *e, *next, *tmp;
	u64 i, step = 0, left = c->len;
	int err = 0;
	u32 b;

	/* Removals that kept the table's size may have left it sparse. */
	kc_cont_shrink(it);
	if (n * 3 > c->len) {
		/* e->lru shares e->chain: e leaves the table, then listed. */
		for (e = kc_cont_next(c, NULL, &b), i = 0; e && i < n && !err;
		     e = next) {
			next = kc_cont_next(c, e, &b);
			if (get_random_u64() % left < n - i) {
				__kc_cont_remove(it, e, false);
				list_add_tail(&e->lru, picked);
				i++;
			}
			left--;
			err = kc_op_yield(op, ++step);
		}
	} else {
		for (i = 0; i < n && !err; i++) {
			e = kc_cont_random(it);
			__kc_cont_remove(it, e, false);
			list_add_tail(&e->lru, picked);
			err = kc_op_yield(op, i + 1);
		}
	}
	if (err) {
		list_for_each_entry_safe(e, tmp, picked, lru) {
			list_del(&e->lru);
			WARN_ON_ONCE(kc_cont_insert(it, e));
		}
	}
	return err;
}

/*
 * SPOP: one member (raw reply) or, with KC_POP_COUNT, up to num members.
 * Members are chosen and written out first, then removed, so a reply that
 * does not fit removes nothing.
 */
int kc_op_spop(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool count = op->flags & KC_POP_COUNT;
	struct kc_reply r = { .op = op };
	struct kc_item *it, *e;
	struct kc_cont *c;
	LIST_HEAD(picked);
	u64 n, i;
	int err = 0;

	if (count && op->num < 0)
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, false, &err);
	if (!it)
		return err;
	c = kc_cont(it);
	n = count ? min_t(u64, op->num, c->len) : 1;
	err = pick_members(op, it, n, &picked);
	if (err) {
		/* Killed: nothing is written, nothing was taken out. */
	} else if (!count) {
		e = list_first_entry(&picked, struct kc_item, lru);
		err = kc_put_value(op, kc_elem_data(e), e->nbytes);
	} else {
		i = 0;
		list_for_each_entry(e, &picked, lru) {
			err = kc_reply_add(&r, kc_elem_data(e), e->nbytes,
					   false);
			if (err)
				break;
			if (!(++i & 255))
				cond_resched();
		}
		if (!err)
			err = kc_reply_end(&r);
	}
	/* Put back (on an error) or freed: finishes, no signal check. */
	i = 0;
	while (!list_empty(&picked)) {
		e = list_first_entry(&picked, struct kc_item, lru);
		list_del(&e->lru);
		if (!(++i & 255))
			cond_resched();
		if (err && !kc_cont_insert(it, e))
			continue;
		kc_item_put(e);
	}
	if (!err) {
		op->num = n;
		/* The table kept its size while members were out. */
		kc_cont_shrink(it);
	}
	kc_cont_done(it, !err && n);
	return err;
}

int kc_op_srandmember(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_reply r = { .op = op };
	bool repeat = op->num < 0;
	struct kc_item *it, *e;
	struct kc_cont *c;
	u64 want, i;
	int err = 0;

	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, false, &err);
	if (!it)
		return err;
	c = kc_cont(it);
	/* Keeps kc_cont_random() fast. */
	kc_cont_shrink(it);
	if (!(op->flags & KC_POP_COUNT)) {
		e = kc_cont_random(it);
		err = kc_put_value(op, kc_elem_data(e), e->nbytes);
		goto out;
	}
	want = repeat ? -(u64)op->num : op->num;
	if (repeat) {
		err = kc_reply_will_add(&r, want);
		for (i = 0; i < want && !err; i++) {
			e = kc_cont_random(it);
			err = kc_reply_add(&r, kc_elem_data(e), e->nbytes,
					   false);
			if (!err)
				err = kc_op_yield(op, i + 1);
		}
	} else {
		LIST_HEAD(picked);

		err = pick_members(op, it, min_t(u64, want, c->len), &picked);
		list_for_each_entry(e, &picked, lru) {
			if (!err)
				err = kc_reply_add(&r, kc_elem_data(e),
						   e->nbytes, false);
		}
		/* A read: every member goes back (cannot fail, see above). */
		i = 0;
		while (!list_empty(&picked)) {
			e = list_first_entry(&picked, struct kc_item, lru);
			list_del(&e->lru);
			WARN_ON_ONCE(kc_cont_insert(it, e));
			if (!(++i & 255))
				cond_resched();
		}
	}
	if (!err)
		err = kc_reply_end(&r);
out:
	kc_cont_done(it, false);
	return err;
}

/*
 * SMOVE: holds both keys' stripes exclusively.  num = 1 when the member moved.  The member
 * is added to the destination (a copy, allocated first) before it leaves
 * the source, so a failure (no memory for the copy, the destination or
 * its table) changes nothing, and nothing moved is ever dropped.
 */
int kc_smove(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	char dkey[KC_KEY_MAX];
	struct kc_item *src, *dst, *e, *ne = NULL;
	bool in_src, added = false;
	u32 dlen;
	void *m;
	int err;

	if (op->nargs != 1)
		return -EINVAL;
	err = kc_read_key_arg(op, 0, dkey, &dlen);
	if (err)
		return err;
	kc_key_assert_held(kc, key, op->key_len, true);
	kc_key_assert_held(kc, dkey, dlen, true);
	m = kc_dup_in(op, op->val, op->val_len, &err);
	if (!m)
		return err;
	/* Both must be sets (or missing) before anything moves. */
	dst = kc_cont_ref(kc, kc_op_db(op), dkey, dlen, KC_TYPE_SET, &err);
	if (dst)
		kc_item_put(dst);
	if (err)
		goto out;
	src = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, false, &err);
	if (!src)
		goto out;
	op->num = 0;
	in_src = kc_cont_find(src, m, op->val_len);
	kc_cont_done(src, false);
	if (!in_src || (dlen == op->key_len && !memcmp(dkey, key, dlen))) {
		op->num = in_src;
		goto out;
	}
	ne = kc_elem_alloc(kc, op->val_len, op->val_len);
	if (IS_ERR(ne)) {
		err = PTR_ERR(ne);
		ne = NULL;
		goto out;
	}
	memcpy(kc_elem_data(ne), m, op->val_len);
	dst = kc_cont_get(kc, kc_op_db(op), dkey, dlen, KC_TYPE_SET, true, &err);
	if (!dst)
		goto out;
	if (!kc_cont_find(dst, m, op->val_len)) {
		err = kc_cont_insert(dst, ne);
		if (!err) {
			ne = NULL;
			added = true;
		}
	}
	/* On an error a destination created here, still empty, goes. */
	kc_cont_done(dst, added);
	if (err)
		goto out;
	/* In the destination now: take it out of the source. */
	op->num = 1;
	src = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET, false, &err);
	if (!src) {
		err = 0;	/* evicted meanwhile: nothing left to remove */
		goto out;
	}
	e = kc_cont_find(src, m, op->val_len);
	if (e) {
		kc_cont_remove(src, e);
		kc_item_put(e);
	}
	kc_cont_done(src, !!e);
out:
	if (ne)
		kc_item_put(ne);
	kvfree(m);
	return err;
}

/*
 * The algebra.  sets[i] is NULL for a missing key (the empty set).  Each
 * member of the result goes to emit(), which writes a reply or fills the
 * destination set of a STORE.
 */
struct algebra {
	struct kc_item **sets;
	u32 n;
	int (*emit)(struct algebra *a, struct kc_item *e);
	struct kc_reply r;
	struct kc_item *dst;
	struct kc_op *op;
	u64 steps;		/* for kc_op_yield() */
};

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct kc_item * const *)a;
	uintptr_t y = (uintptr_t)*(struct kc_item * const *)b;

	return x < y ? -1 : x > y;
}

/*
 * A key named more than once is one operand: drops the repeats (putting
 * their references), so that the work is bounded by the distinct sets,
 * not by how often a client repeats a key.  SDIFF's first operand keeps
 * its place (a repeat of it later still empties the result: kept once
 * among the others).  The order of the others does not change a result.
 */
static void dedup(struct algebra *a, bool diff)
{
	u32 from = diff ? 1 : 0, i, n;

	if (a->n - from < 2)
		return;
	sort(a->sets + from, a->n - from, sizeof(*a->sets), cmp_ptr, NULL);
	for (i = n = from + 1; i < a->n; i++) {
		if (a->sets[i] == a->sets[n - 1]) {
			if (a->sets[i])
				kc_item_put(a->sets[i]);
			continue;
		}
		a->sets[n++] = a->sets[i];
	}
	a->n = n;
}

static bool in_set(struct kc_item *set, struct kc_item *e)
{
	return set && kc_cont_find(set, kc_elem_data(e), e->nbytes);
}

static int walk(struct algebra *a, u32 op)
{
	u32 i, j, b, first = 0;
	struct kc_item *e;
	int err = 0;

	if (op == KC_OP_SINTER || op == KC_OP_SINTERSTORE) {
		for (i = 0; i < a->n; i++) {
			if (!a->sets[i])
				return 0;
			if (kc_cont(a->sets[i])->len <
			    kc_cont(a->sets[first])->len)
				first = i;
		}
	}
	for (i = 0; i < a->n; i++) {
		struct kc_cont *c;

		if (!a->sets[i])
			continue;
		c = kc_cont(a->sets[i]);
		if ((op == KC_OP_SINTER || op == KC_OP_SINTERSTORE) &&
		    i != first)
			continue;
		if ((op == KC_OP_SDIFF || op == KC_OP_SDIFFSTORE) && i)
			break;
		for (e = kc_cont_next(c, NULL, &b); e;
		     e = kc_cont_next(c, e, &b)) {
			bool keep = true;

			for (j = 0; j < a->n && keep; j++) {
				if (j == i)
					continue;
				if (op == KC_OP_SUNION ||
				    op == KC_OP_SUNIONSTORE)
					keep = j > i || !in_set(a->sets[j], e);
				else if (op == KC_OP_SDIFF ||
					 op == KC_OP_SDIFFSTORE)
					keep = !in_set(a->sets[j], e);
				else
					keep = in_set(a->sets[j], e);
			}
			if (keep)
				err = a->emit(a, e);
			/* Yields every 256 membership tests or so. */
			a->steps += j + 1;
			if (!err && a->steps >= 256) {
				a->steps = 0;
				err = kc_op_yield(a->op, 0);
			}
			if (err)
				return err;
		}
	}
	return 0;
}

static int emit_reply(struct algebra *a, struct kc_item *e)
{
	return kc_reply_add(&a->r, kc_elem_data(e), e->nbytes, false);
}

static int emit_store(struct algebra *a, struct kc_item *e)
{
	struct kc_item *ne = kc_elem_alloc(kc_op_cache(a->op), e->nbytes,
					   e->nbytes);
	int err;

	if (IS_ERR(ne))
		return PTR_ERR(ne);
	kc_memcpy_big(kc_elem_data(ne), kc_elem_data(e), e->nbytes);
	err = kc_cont_insert(a->dst, ne);
	if (err)
		kc_item_put(ne);
	return err;
}

/*
 * Puts the STORE result (a private container, set or sorted set) in place
 * of whatever key held; its size -> num.  Runs exclusively.
 */
int kc_cont_store(struct kc_op *op, const char *key, struct kc_item *set)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *old;
	int err = 0;

	op->num = kc_cont(set)->len;
	old = kc_item_get(kc, kc_op_db(op), key, op->key_len, false);
	if (op->num) {
		err = kc_item_publish(old, set, 0, 0);
		/* The old value expired or was evicted meanwhile. */
		if (err == -EAGAIN)
			err = kc_item_publish(NULL, set, 0, 0);
	} else if (old) {
		kc_item_unlink(old);
	}
	if (old)
		kc_item_put(old);
	if (!err && op->num) {
		kc_notify(kc, KC_EVENT_SET, kc_op_db(op), key, op->key_len);
		/* A sorted set stored (ZUNIONSTORE...): BZPOPMIN may take. */
		if (set->type == KC_TYPE_ZSET)
			kc_wait_notify(kc, key, op->key_len);
	} else if (!err && old) {
		kc_notify(kc, KC_EVENT_DEL, kc_op_db(op), key, op->key_len);
	}
	return err;
}

int kc_set_algebra(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool store = op->opcode == KC_OP_SDIFFSTORE ||
		     op->opcode == KC_OP_SINTERSTORE ||
		     op->opcode == KC_OP_SUNIONSTORE;
	struct algebra a = { .r = { .op = op }, .op = op };
	char k[KC_KEY_MAX];
	int err = 0;
	u32 i, klen;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	if (store)
		kc_key_assert_held(kc, key, op->key_len, true);
	a.sets = kvcalloc(op->nargs, sizeof(*a.sets), KC_GFP_REQ);
	if (!a.sets)
		return -ENOMEM;
	for (a.n = 0; a.n < op->nargs && !err; a.n++) {
		err = kc_read_key_arg(op, a.n, k, &klen);
		if (!err) {
			kc_key_assert_held(kc, k, klen, true);
			a.sets[a.n] = kc_cont_ref(kc, kc_op_db(op), k, klen, KC_TYPE_SET, &err);
		}
		if (!err)
			err = kc_op_yield(op, a.n + 1);
	}
	if (err)
		goto out;
	dedup(&a, op->opcode == KC_OP_SDIFF || op->opcode == KC_OP_SDIFFSTORE);
	if (store) {
		a.dst = kc_cont_new(kc, kc_op_db(op), key, op->key_len, KC_TYPE_SET);
		if (IS_ERR(a.dst)) {
			err = PTR_ERR(a.dst);
			a.dst = NULL;
			goto out;
		}
		a.emit = emit_store;
		/* Private until stored; held for the table's lock rules. */
		mutex_lock(&kc_cont(a.dst)->lock);
	} else {
		a.emit = emit_reply;
	}
	err = walk(&a, op->opcode);
	if (store)
		mutex_unlock(&kc_cont(a.dst)->lock);
	if (!err)
		err = store ? kc_cont_store(op, key, a.dst) :
			      kc_reply_end(&a.r);
out:
	if (a.dst)
		kc_item_put(a.dst);
	for (i = 0; i < a.n; i++)
		if (a.sets[i])
			kc_item_put(a.sets[i]);
	kvfree(a.sets);
	return err;
}
