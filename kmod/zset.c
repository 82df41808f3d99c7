// SPDX-License-Identifier: GPL-2.0
/*
 * Sorted sets.  A member is an element (container.c) whose bytes are the
 * member, found in O(1) through the container's chained table, and whose
 * tail holds a struct zs_node: its score and its place in an rbtree
 * ordered by (score, member) and augmented with subtree sizes, so that
 * insert, remove, rank, select-by-rank and the bounds of a score or lex
 * range all take O(log n).  An rbtree rather than Redis's skiplist: the
 * kernel's augmented rbtree is well tried, needs no random levels and
 * costs one fixed-size node per member.
 *
 * Scores are IEEE-754 doubles kept as their bits; the kernel never uses
 * floating point.  Comparisons use kc_f64_ord() (-0 == +0, as Redis
 * compares doubles), ties break by memcmp() of the members then their
 * length (Redis's sdscmp()), and ZADD INCR adds with kc_f64_add(), a
 * correctly rounded integer implementation (f64.h), under the container's
 * mutex: the increment is atomic for every client.
 *
 * Locking: as every container, under cont->lock (kcache.h).  The work of
 * a reply or of a removal grows with the range: replies yield with
 * kc_op_yield() (killable, nothing changed yet); removals, which run only
 * once the reply is complete, finish with cond_resched() only.
 */
#include <linux/rbtree_augmented.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sort.h>
#include <linux/err.h>
#include "container.h"
#include "f64.h"
#include "wait.h"

struct zs_node {
	struct rb_node rb;
	struct kc_item *elem;	/* the element this node is the tail of */
	u64 score;		/* IEEE-754 bits, never NaN */
	u32 size;		/* nodes in the subtree rooted here */
	u32 mark;		/* ZRANDMEMBER: picked already */
};

static struct zs_node *zn(struct kc_item *e)
{
	return (struct zs_node *)PTR_ALIGN(kc_elem_data(e) + kc_elem_klen(e),
					   __alignof__(struct zs_node));
}

static struct zs_node *node_of(struct rb_node *rb)
{
	return rb ? rb_entry(rb, struct zs_node, rb) : NULL;
}

static u32 sz(struct rb_node *rb)
{
	return rb ? node_of(rb)->size : 0;
}

static inline bool zs_compute(struct zs_node *n, bool exit)
{
	u32 s = 1 + sz(n->rb.rb_left) + sz(n->rb.rb_right);

	if (exit && n->size == s)
		return true;
	n->size = s;
	return false;
}

RB_DECLARE_CALLBACKS(static, zs_cb, struct zs_node, rb, size, zs_compute);

static int cmp_mem(const void *a, u32 al, const void *b, u32 bl)
{
	int r = memcmp(a, b, min(al, bl));

	if (r)
		return r;
	return al < bl ? -1 : al > bl;
}

/* (score, member) against node n: <0, 0, >0. */
static int cmp_node(u64 ord, const void *m, u32 mlen, struct zs_node *n)
{
	u64 o = kc_f64_ord(n->score);

	if (ord != o)
		return ord < o ? -1 : 1;
	return cmp_mem(m, mlen, kc_elem_data(n->elem), kc_elem_klen(n->elem));
}

static void tree_insert(struct kc_cont *c, struct kc_item *e)
{
	struct rb_node **link = &c->zroot.rb_node, *parent = NULL;
	struct zs_node *n = zn(e);
	u64 o = kc_f64_ord(n->score);

	lockdep_assert_held(&c->lock);
	while (*link) {
		parent = *link;
		node_of(parent)->size++;
		if (cmp_node(o, kc_elem_data(e), kc_elem_klen(e),
			     node_of(parent)) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	n->size = 1;
	rb_link_node(&n->rb, parent, link);
	rb_insert_augmented(&n->rb, &c->zroot, &zs_cb);
}

static void tree_erase(struct kc_cont *c, struct kc_item *e)
{
	lockdep_assert_held(&c->lock);
	rb_erase_augmented(&zn(e)->rb, &c->zroot, &zs_cb);
	RB_CLEAR_NODE(&zn(e)->rb);
}

/* The node of rank k (0: the lowest), or NULL. */
static struct zs_node *select_rank(struct kc_cont *c, u64 k)
{
	struct rb_node *rb = c->zroot.rb_node;

	while (rb) {
		u64 l = sz(rb->rb_left);

		if (k == l)
			return node_of(rb);
		if (k < l) {
			rb = rb->rb_left;
		} else {
			k -= l + 1;
			rb = rb->rb_right;
		}
	}
	return NULL;
}

static u64 rank_of(struct zs_node *n)
{
	struct rb_node *rb = &n->rb, *p;
	u64 r = sz(rb->rb_left);

	while ((p = rb_parent(rb))) {
		if (p->rb_right == rb)
			r += sz(p->rb_left) + 1;
		rb = p;
	}
	return r;
}

/*
 * A score as it is kept: -0 becomes +0, as Redis's small sorted sets
 * (listpack) store an integral score as an integer.  Replies of ZADD INCR
 * still give the sum as computed, as Redis does.
 */
static u64 stored(u64 score)
{
	return score == KC_F64_SIGN ? 0 : score;
}

/*
 * Allocates the element for op->args[i]: 8 bytes of score, then the
 * member.  *score gets the score.
 */
static int zelem_alloc_arg(struct kc_op *op, u32 i, struct kc_item **ep,
			   u64 *score)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *e;
	struct kc_buf b;
	u32 mlen;
	int err;

	err = kc_read_arg(op, i, &b);
	if (err)
		return err;
	if (b.len < sizeof(u64))
		return -EINVAL;
	mlen = b.len - sizeof(u64);
	if (mlen > kc_item_size_max(kc))
		return -E2BIG;
	err = kc_copy_in(op, score, b.ptr, sizeof(u64));
	if (err)
		return err;
	if (kc_f64_isnan(*score))
		return -EINVAL;
	e = kc_elem_alloc(kc, mlen + __alignof__(struct zs_node) - 1 +
			  sizeof(struct zs_node), mlen);
	if (IS_ERR(e))
		return PTR_ERR(e);
	err = kc_copy_in(op, kc_elem_data(e), b.ptr + sizeof(u64), mlen);
	if (err) {
		kc_item_put(e);
		return err;
	}
	zn(e)->elem = e;
	zn(e)->score = stored(*score);
	zn(e)->mark = 0;
	RB_CLEAR_NODE(&zn(e)->rb);
	*ep = e;
	return 0;
}

#define ZADD_FLAGS (KC_SET_NX | KC_SET_XX | KC_EXPIRE_GT | KC_EXPIRE_LT | \
		    KC_Z_CH | KC_Z_INCR)

/*
 * ZADD, as Redis's zsetAdd() for each pair in order.  Every element is
 * allocated and the table grown before the first change, so the command
 * fails whole (no memory, a bad argument) or is applied whole.
 */
int kc_op_zadd(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	u32 i, n = op->nargs, fl = op->flags;
	bool nx = fl & KC_SET_NX, xx = fl & KC_SET_XX;
	bool gt = fl & KC_EXPIRE_GT, lt = fl & KC_EXPIRE_LT;
	bool incr = fl & KC_Z_INCR;
	struct kc_item **elems, *it;
	u64 *scores, added = 0, changed = 0, result = 0;
	bool done = false;
	struct kc_cont *c;
	int err = 0;

	if (!n || n > KC_ARGS_MAX || (nx && (xx || gt || lt)) ||
	    (gt && lt) || (incr && n != 1))
		return -EINVAL;
	elems = kvcalloc(n, sizeof(*elems), GFP_KERNEL_ACCOUNT);
	scores = kvcalloc(n, sizeof(*scores), GFP_KERNEL_ACCOUNT);
	if (!elems || !scores) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n && !err; i++) {
		err = zelem_alloc_arg(op, i, &elems[i], &scores[i]);
		if (!err)
			err = kc_op_yield(op, i + 1);
	}
	if (err)
		goto out;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_ZSET, !xx, &err);
	if (!it) {
		if (err == -ENOENT) {
			/* XX on a missing key: nothing to do. */
			op->num = 0;
			err = incr ? -EEXIST : 0;
		}
		goto out;
	}
	c = kc_cont(it);
	err = kc_cont_reserve(it, n);
	for (i = 0; i < n && !err; i++) {
		struct kc_item *e = elems[i];
		u64 score = scores[i], cur;

		if (!(i & 255))
			cond_resched();
		e = kc_cont_find(it, kc_elem_data(elems[i]),
				 kc_elem_klen(elems[i]));
		if (!e) {
			if (xx)
				continue;
			e = elems[i];
			/* Cannot fail: the table has room (reserved). */
			err = kc_cont_insert(it, e);
			if (err)
				break;
			tree_insert(c, e);
			elems[i] = NULL;
			added++;
			result = score;
			done = true;
			continue;
		}
		if (nx)
			continue;
		cur = zn(e)->score;
		if (incr) {
			score = kc_f64_add(cur, score);
			if (kc_f64_isnan(score)) {
				err = -EDOM;
				break;
			}
		}
		if ((lt && kc_f64_ord(score) >= kc_f64_ord(cur)) ||
		    (gt && kc_f64_ord(score) <= kc_f64_ord(cur)))
			continue;
		result = score;
		done = true;
		if (kc_f64_ord(score) == kc_f64_ord(cur))
			continue;
		tree_erase(c, e);
		zn(e)->score = stored(score);
		tree_insert(c, e);
		changed++;
	}
	if (!err) {
		if (incr && !done)
			err = -EEXIST;
		else if (incr)
			op->num = (s64)result;
		else
			op->num = added + ((fl & KC_Z_CH) ? changed : 0);
	}
	/* Table room reserved for duplicates is given back. */
	kc_cont_shrink(it);
	kc_cont_done(it, added || changed);
	/* Members to pop: wake BZPOPMIN/BZMPOP waiters, as a push does. */
	if (added)
		kc_wait_notify(kc, key, op->key_len);
out:
	if (elems)
		for (i = 0; i < n; i++)
			if (elems[i])
				kc_item_put(elems[i]);
	kvfree(elems);
	kvfree(scores);
	return err;
}

int kc_op_zrem(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it, *e;
	u64 removed = 0;
	int err = 0;
	u32 i;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_ZSET, false, &err);
	if (!it)
		return err;
	for (i = 0; i < op->nargs && !err; i++) {
		e = kc_cont_find_arg(op, it, i, &err);
		if (e) {
			tree_erase(kc_cont(it), e);
			kc_cont_remove(it, e);
			kc_item_put(e);
			removed++;
		}
		if (!(i & 255))
			cond_resched();
	}
	op->num = removed;
	kc_cont_done(it, removed);
	return err;
}

int kc_op_zmscore(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_reply r = { .op = op };
	struct kc_item *it, *e;
	int err = 0;
	u32 i;

	if (!op->nargs || op->nargs > KC_ARGS_MAX)
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_ZSET, false, &err);
	if (!it)
		return err;
	for (i = 0; i < op->nargs && !err; i++) {
		e = kc_cont_find_arg(op, it, i, &err);
		if (!err)
			err = kc_reply_add(&r, e ? &zn(e)->score : NULL,
					   e ? sizeof(u64) : 0, !e);
		if (!err)
			err = kc_op_yield(op, i + 1);
	}
	if (!err)
		err = kc_reply_end(&r);
	kc_cont_done(it, false);
	return err;
}

int kc_op_zrank(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *it, *e;
	int err;
	void *m;

	m = kc_dup_in(op, op->val, op->val_len, &err);
	if (!m)
		return err;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_ZSET, false, &err);
	if (it) {
		e = kc_cont_find(it, m, op->val_len);
		if (!e) {
			err = -ENOENT;
		} else {
			op->num = rank_of(zn(e));
			if (op->flags & KC_Z_REV)
				op->num = kc_cont(it)->len - 1 - op->num;
		}
		kc_cont_done(it, false);
	}
	kvfree(m);
	return err;
}

/* One end of a score or lex range. */
struct zbound {
	bool ex;		/* exclusive */
	int inf;		/* lex "-" (-1) or "+" (1); 0: a member */
	u64 ord;		/* score: kc_f64_ord() */
	char *m;		/* lex: the member (kvmalloc'd) */
	u32 mlen;
};

static int read_bound(struct kc_op *op, u32 i, bool lex, struct zbound *b)
{
	struct kc_buf a;
	char kind;
	u64 score;
	int err;

	err = kc_read_arg(op, i, &a);
	if (err)
		return err;
	if (!a.len)
		return -EINVAL;
	err = kc_copy_in(op, &kind, a.ptr, 1);
	if (err)
		return err;
	if (lex && a.len == 1 && (kind == '-' || kind == '+')) {
		b->inf = kind == '-' ? -1 : 1;
		return 0;
	}
	if (kind != '[' && kind != '(')
		return -EINVAL;
	b->ex = kind == '(';
	if (!lex) {
		if (a.len != 1 + sizeof(u64))
			return -EINVAL;
		err = kc_copy_in(op, &score, a.ptr + 1, sizeof(u64));
		if (err)
			return err;
		if (kc_f64_isnan(score))
			return -EINVAL;
		b->ord = kc_f64_ord(score);
		return 0;
	}
	b->mlen = a.len - 1;
	b->m = kc_dup_in(op, a.ptr + 1, b->mlen, &err);
	if (!b->m && b->mlen)
		return err;
	return 0;
}

/* Is n below the range's min?  (Monotone along the order.) */
static bool below(const struct zbound *min, bool lex, struct zs_node *n)
{
	int r;

	if (!lex)
		return min->ex ? kc_f64_ord(n->score) <= min->ord :
				 kc_f64_ord(n->score) < min->ord;
	if (min->inf)
		return min->inf > 0;
	r = cmp_mem(kc_elem_data(n->elem), kc_elem_klen(n->elem), min->m,
		    min->mlen);
	return min->ex ? r <= 0 : r < 0;
}

static bool above(const struct zbound *max, bool lex, struct zs_node *n)
{
	int r;

	if (!lex)
		return max->ex ? kc_f64_ord(n->score) >= max->ord :
				 kc_f64_ord(n->score) > max->ord;
	if (max->inf)
		return max->inf < 0;
	r = cmp_mem(kc_elem_data(n->elem), kc_elem_klen(n->elem), max->m,
		    max->mlen);
	return max->ex ? r >= 0 : r > 0;
}

/*
 * The ranks [*lo, *hi] of the members inside [min, max]; false when
 * none is.
 */
static bool range_ranks(struct kc_cont *c, const struct zbound *min,
			const struct zbound *max, bool lex, u64 *lo, u64 *hi)
{
	struct rb_node *rb;
	struct zs_node *first = NULL, *last = NULL;

	for (rb = c->zroot.rb_node; rb;) {
		if (below(min, lex, node_of(rb))) {
			rb = rb->rb_right;
		} else {
			first = node_of(rb);
			rb = rb->rb_left;
		}
	}
	for (rb = c->zroot.rb_node; rb;) {
		if (above(max, lex, node_of(rb))) {
			rb = rb->rb_left;
		} else {
			last = node_of(rb);
			rb = rb->rb_right;
		}
	}
	if (!first || !last)
		return false;
	*lo = rank_of(first);
	*hi = rank_of(last);
	return *lo <= *hi;
}

#define ZRANGE_FLAGS (KC_Z_BYSCORE | KC_Z_BYLEX | KC_Z_REV | KC_Z_WITHSCORES | \
		      KC_Z_REMOVE | KC_Z_COUNT)

/*
 * ZRANGE and everything that is a range: ZCOUNT, ZLEXCOUNT, ZPOPMIN/MAX,
 * ZREMRANGEBY*.  The reply is written whole before anything is removed,
 * so a reply that does not fit or faults changes nothing.
 */
int kc_op_zrange(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool lex = op->flags & KC_Z_BYLEX, byscore = op->flags & KC_Z_BYSCORE;
	bool rev = op->flags & KC_Z_REV, ws = op->flags & KC_Z_WITHSCORES;
	bool rm = op->flags & KC_Z_REMOVE, cnt = op->flags & KC_Z_COUNT;
	struct zbound min = { 0 }, max = { 0 };
	struct kc_reply r = { .op = op };
	struct zs_node *n, *next;
	struct kc_item *it;
	struct kc_cont *c;
	u64 lo = 0, hi = 0, count = 0, i;
	bool any;
	int err;

	if (op->nargs != 2 || (lex && byscore))
		return -EINVAL;
	if (lex || byscore) {
		err = read_bound(op, 0, lex, &min);
		if (!err)
			err = read_bound(op, 1, lex, &max);
	} else {
		s64 v[2];

		for (i = 0, err = 0; i < 2 && !err; i++) {
			struct kc_buf a;

			err = kc_read_arg(op, i, &a);
			if (!err && a.len != sizeof(s64))
				err = -EINVAL;
			if (!err)
				err = kc_copy_in(op, &v[i], a.ptr, sizeof(s64));
		}
		min.ord = v[0];
		max.ord = v[1];
	}
	if (err)
		goto out_free;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_ZSET, false, &err);
	if (!it)
		goto out_free;
	c = kc_cont(it);
	if (lex || byscore) {
		any = range_ranks(c, &min, &max, lex, &lo, &hi);
		/* LIMIT offset count (num, num2), counted in the walk's way. */
		if (any && !cnt) {
			u64 off = op->num, left = hi - lo + 1;

			if (op->num < 0 || off >= left) {
				any = false;
			} else {
				left -= off;
				if (op->num2 >= 0 && (u64)op->num2 < left)
					left = op->num2;
				if (!left)
					any = false;
				else if (rev)
					lo = (hi -= off) - (left - 1);
				else
					hi = (lo += off) + (left - 1);
			}
		}
	} else {
		s64 start = (s64)min.ord, stop = (s64)max.ord, len = c->len;

		if (start < 0)
			start += len;
		if (stop < 0)
			stop += len;
		if (start < 0)
			start = 0;
		if (stop >= len)
			stop = len - 1;
		any = start <= stop && start < len;
		if (any && rev) {
			lo = len - 1 - stop;
			hi = len - 1 - start;
		} else if (any) {
			lo = start;
			hi = stop;
		}
	}
	count = any ? hi - lo + 1 : 0;
	err = 0;
	if (!cnt && count) {
		n = select_rank(c, rev ? hi : lo);
		for (i = 0; i < count && !err; i++) {
			err = kc_reply_add(&r, kc_elem_data(n->elem),
					   kc_elem_klen(n->elem), false);
			if (!err && ws)
				err = kc_reply_add(&r, &n->score,
						   sizeof(u64), false);
			if (!err)
				err = kc_op_yield(op, i + 1);
			n = node_of(rev ? rb_prev(&n->rb) : rb_next(&n->rb));
		}
	}
	if (!err && !cnt)
		err = kc_reply_end(&r);
	if (!err && rm && count) {
		/* Reported: finish, no signal check. */
		n = select_rank(c, lo);
		for (i = 0; i < count; i++) {
			struct kc_item *e = n->elem;

			next = node_of(rb_next(&n->rb));
			tree_erase(c, e);
			__kc_cont_remove(it, e, false);
			kc_item_put(e);
			n = next;
			if (!(i & 255))
				cond_resched();
		}
		kc_cont_shrink(it);
	}
	if (!err && cnt)
		op->num = count;
	kc_cont_done(it, !err && rm && count);
out_free:
	kvfree(min.m);
	kvfree(max.m);
	return err;
}

static u64 rnd_below(struct rnd_state *s, u64 n)
{
	u64 v = ((u64)prandom_u32_state(s) << 32) | prandom_u32_state(s);

	return v % n;
}

/*
 * Picks n < len distinct members at random, marking each, and replies
 * with them; with unmark set, replays the same draws (same seed) to take
 * the marks off again.  A draw that hits a marked member is drawn again;
 * the replay sees the same accept/reject sequence, as a member picked
 * at step i is unmarked at step i of the replay.
 */
static int pick_distinct(struct kc_op *op, struct kc_cont *c, u64 seed,
			 u64 n, bool unmark, struct kc_reply *r, u64 *picked)
{
	struct rnd_state s;
	struct zs_node *z;
	u64 i = 0, steps = 0;
	int err = 0;

	prandom_seed_state(&s, seed);
	while (i < n) {
		z = select_rank(c, rnd_below(&s, c->len));
		if (!unmark && z->mark)
			continue;
		if (unmark) {
			if (!z->mark)
				continue;
			z->mark = 0;
			i++;
			if (!(i & 255))
				cond_resched();
			continue;
		}
		z->mark = 1;
		i++;
		*picked = i;
		err = kc_reply_add(r, kc_elem_data(z->elem),
				   kc_elem_klen(z->elem), false);
		if (!err && (op->flags & KC_Z_WITHSCORES))
			err = kc_reply_add(r, &z->score, sizeof(u64), false);
		if (!err)
			err = kc_op_yield(op, ++steps);
		if (err)
			break;
	}
	return err;
}

int kc_op_zrandmember(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	bool ws = op->flags & KC_Z_WITHSCORES;
	struct kc_reply r = { .op = op };
	struct kc_item *it;
	struct zs_node *z;
	struct kc_cont *c;
	struct rnd_state s;
	u64 want, i, seed;
	int err = 0;

	if (ws && !(op->flags & KC_POP_COUNT))
		return -EINVAL;
	it = kc_cont_get(kc, kc_op_db(op), key, op->key_len, KC_TYPE_ZSET, false, &err);
	if (!it)
		return err;
	c = kc_cont(it);
	if (!(op->flags & KC_POP_COUNT)) {
		z = select_rank(c, get_random_u64() % c->len);
		err = kc_put_value(op, kc_elem_data(z->elem),
				   kc_elem_klen(z->elem));
		goto out;
	}
	seed = get_random_u64();
	prandom_seed_state(&s, seed);
	if (op->num < 0) {
		want = -(u64)op->num;
		err = kc_reply_will_add(&r, want);
		for (i = 0; i < want && !err; i++) {
			z = select_rank(c, rnd_below(&s, c->len));
			err = kc_reply_add(&r, kc_elem_data(z->elem),
					   kc_elem_klen(z->elem), false);
			if (!err && ws)
				err = kc_reply_add(&r, &z->score, sizeof(u64),
						   false);
			if (!err)
				err = kc_op_yield(op, i + 1);
		}
	} else if ((u64)op->num >= c->len || (u64)op->num * 3 > c->len) {
		/*
		 * All, or a large part: one walk in order keeping each with
		 * the odds left (selection sampling), a uniform subset.
		 */
		u64 left = c->len;

		want = min_t(u64, op->num, c->len);
		z = node_of(rb_first(&c->zroot));
		for (i = 0; z && want && !err; i++) {
			if (rnd_below(&s, left) < want) {
				err = kc_reply_add(&r, kc_elem_data(z->elem),
						   kc_elem_klen(z->elem),
						   false);
				if (!err && ws)
					err = kc_reply_add(&r, &z->score,
							   sizeof(u64), false);
				want--;
			}
			left--;
			if (!err)
				err = kc_op_yield(op, i + 1);
			z = node_of(rb_next(&z->rb));
		}
	} else {
		u64 picked = 0;

		err = pick_distinct(op, c, seed, op->num, false, &r, &picked);
		/* Marks off again, even when the reply failed. */
		pick_distinct(op, c, seed, picked, true, NULL, &picked);
	}
	if (!err)
		err = kc_reply_end(&r);
out:
	kc_cont_done(it, false);
	return err;
}

/*
 * ZUNION, ZINTER, ZDIFF and their STORE forms, as Redis's
 * zunionInterDiffGenericCommand(): run with the stripes of every key held
 * exclusively (a MULTI op), so the sources are read through references
 * with no other writer.  A source may be a plain set (every score 1).  Scores are
 * weighted (kc_f64_mul(); a NaN product counts as 0) and combined in
 * the order Redis combines them: sources by ascending size (ties in
 * argument order), SUM with a NaN sum counting as 0.  The result is
 * built in a private sorted set: member table first, the tree once every
 * score is final.  Every loop is bounded by the sources and yields.
 */
struct zsrc {
	struct kc_item *it;	/* NULL: a missing key (empty) */
	u64 weight;
	u64 len;
	u32 pos;		/* argument position: ties keep this order */
};

static int cmp_src(const void *a, const void *b)
{
	const struct zsrc *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The next member of a source (a sorted set or a set): e NULL starts. */
static struct kc_item *src_next(struct kc_item *it, struct kc_item *e,
				u32 *b)
{
	struct kc_cont *c = kc_cont(it);
	struct rb_node *rb;

	if (it->type == KC_TYPE_SET)
		return kc_cont_next(c, e, b);
	rb = e ? rb_next(&zn(e)->rb) : rb_first(&c->zroot);
	return rb ? node_of(rb)->elem : NULL;
}

static u64 src_score(struct kc_item *it, struct kc_item *e)
{
	return it->type == KC_TYPE_SET ? 0x3ff0000000000000ULL : zn(e)->score;
}

/* The member's score in a source, or false. */
static bool src_find(struct kc_item *it, const void *m, u32 mlen, u64 *score)
{
	struct kc_item *e;

	if (!it)
		return false;
	e = kc_cont_find(it, m, mlen);
	if (e)
		*score = src_score(it, e);
	return e;
}

static u64 weigh(u64 score, u64 weight)
{
	u64 v = kc_f64_mul(score, weight);

	return kc_f64_isnan(v) ? 0 : v;
}

/* Redis's zunionInterAggregate(): a NaN v leaves MIN and MAX alone. */
static u64 aggregate(u64 cur, u64 v, s64 how)
{
	if (how != KC_ZAGG_SUM && kc_f64_isnan(v))
		return cur;
	if (how == KC_ZAGG_MIN)
		return kc_f64_ord(v) < kc_f64_ord(cur) ? v : cur;
	if (how == KC_ZAGG_MAX)
		return kc_f64_ord(v) > kc_f64_ord(cur) ? v : cur;
	v = kc_f64_add(cur, v);
	return kc_f64_isnan(v) ? 0 : v;
}

/* A new element of the result: member bytes and a score, table only. */
static int result_add(struct kc_item *dst, const void *m, u32 mlen, u64 score)
{
	struct kc_cache *kc = kc_item_cache(dst);
	struct kc_item *e;
	int err;

	e = kc_elem_alloc(kc, mlen + __alignof__(struct zs_node) - 1 +
			  sizeof(struct zs_node), mlen);
	if (IS_ERR(e))
		return PTR_ERR(e);
	memcpy(kc_elem_data(e), m, mlen);
	zn(e)->elem = e;
	zn(e)->score = score;
	zn(e)->mark = 0;
	RB_CLEAR_NODE(&zn(e)->rb);
	err = kc_cont_insert(dst, e);
	if (err)
		kc_item_put(e);
	return err;
}

static int combine(struct kc_op *op, struct zsrc *src, u32 n, u32 kind,
		   struct kc_item *dst)
{
	struct kc_item *e, *f;
	u64 steps = 0, score, v;
	int err = 0;
	u32 i, j, b;

	if (kind == KC_OP_ZINTER && (!src[0].it || !src[0].len))
		return 0;
	for (i = 0; i < n; i++) {
		if (!src[i].it)
			continue;
		if (kind != KC_OP_ZUNION && i)
			break;
		for (e = src_next(src[i].it, NULL, &b); e && !err;
		     e = src_next(src[i].it, e, &b)) {
			const void *m = kc_elem_data(e);
			u32 mlen = kc_elem_klen(e);

			score = src_score(src[i].it, e);
			if (kind == KC_OP_ZUNION) {
				score = weigh(score, src[i].weight);
				f = kc_cont_find(dst, m, mlen);
				if (f)
					zn(f)->score = aggregate(zn(f)->score,
								 score,
								 op->num);
				else
					err = result_add(dst, m, mlen, score);
			} else if (kind == KC_OP_ZINTER) {
				u64 s0 = score;

				score = weigh(s0, src[0].weight);
				for (j = 1; j < n; j++) {
					if (src[j].it == src[0].it)
						v = s0;
					else if (!src_find(src[j].it, m, mlen, &v))
						break;
					/* Not made 0 if NaN here, as Redis. */
					score = aggregate(score,
							  kc_f64_mul(v, src[j].weight),
							  op->num);
				}
				if (j == n)
					err = result_add(dst, m, mlen, score);
			} else {
				for (j = 1; j < n; j++)
					if (src_find(src[j].it, m, mlen, &v))
						break;
				if (j == n)
					err = result_add(dst, m, mlen, score);
			}
			steps += n;
			if (!err && steps >= 256) {
				steps = 0;
				err = kc_op_yield(op, 0);
			}
		}
		if (err)
			return err;
	}
	return 0;
}

int kc_zset_combine(struct kc_op *op, const char *key)
{
	struct kc_cache *kc = kc_op_cache(op);
	u32 kind = op->opcode, i, n = op->nargs, klen, b;
	bool store = kind >= KC_OP_ZUNIONSTORE;
	struct kc_reply r = { .op = op };
	struct kc_item *dst = NULL, *e;
	char k[KC_KEY_MAX];
	struct zsrc *src;
	u64 *w = NULL;
	int err = 0;

	if (store)
		kc_key_assert_held(kc, key, op->key_len, true);
	if (store)
		kind -= KC_OP_ZUNIONSTORE - KC_OP_ZUNION;
	if (!n || n > KC_ARGS_MAX || op->num < KC_ZAGG_SUM ||
	    op->num > KC_ZAGG_MAX || (op->val_len && (op->val_len != n * 8 ||
	    kind == KC_OP_ZDIFF)))
		return -EINVAL;
	src = kvcalloc(n, sizeof(*src), GFP_KERNEL_ACCOUNT);
	if (!src)
		return -ENOMEM;
	if (op->val_len) {
		w = kc_dup_in(op, op->val, op->val_len, &err);
		if (!w)
			goto out;
	}
	for (i = 0; i < n && !err; i++) {
		src[i].pos = i;
		src[i].weight = w ? w[i] : 0x3ff0000000000000ULL;
		if (kc_f64_isnan(src[i].weight)) {
			err = -EINVAL;
			break;
		}
		err = kc_read_key_arg(op, i, k, &klen);
		if (err)
			break;
		kc_key_assert_held(kc, k, klen, true);
		src[i].it = kc_item_get(kc, kc_op_db(op), k, klen, true);
		if (src[i].it && src[i].it->type != KC_TYPE_ZSET &&
		    src[i].it->type != KC_TYPE_SET)
			err = -EPROTOTYPE;
		if (src[i].it)
			src[i].len = kc_cont(src[i].it)->len;
		if (!err)
			err = kc_op_yield(op, i + 1);
	}
	if (err)
		goto out;
	/* ZDIFF keeps its first source first; the others by size. */
	if (kind == KC_OP_ZDIFF)
		sort(src + 1, n - 1, sizeof(*src), cmp_src, NULL);
	else
		sort(src, n, sizeof(*src), cmp_src, NULL);
	dst = kc_cont_new(kc, kc_op_db(op), store ? key : "zcombine", store ? op->key_len : 8,
			  KC_TYPE_ZSET);
	if (IS_ERR(dst)) {
		err = PTR_ERR(dst);
		dst = NULL;
		goto out;
	}
	/* Private until stored; held for the lock rules of its table. */
	mutex_lock(&kc_cont(dst)->lock);
	err = combine(op, src, n, kind, dst);
	/* Every score final: into the tree (a stored -0 is kept as 0). */
	for (e = kc_cont_next(kc_cont(dst), NULL, &b), i = 0; e && !err;
	     e = kc_cont_next(kc_cont(dst), e, &b), i++) {
		if (store)
			zn(e)->score = stored(zn(e)->score);
		tree_insert(kc_cont(dst), e);
		if (!(i & 255))
			cond_resched();
	}
	if (!err && !store) {
		struct rb_node *rb;

		i = 0;
		for (rb = rb_first(&kc_cont(dst)->zroot); rb && !err;
		     rb = rb_next(rb)) {
			struct zs_node *z = node_of(rb);

			err = kc_reply_add(&r, kc_elem_data(z->elem),
					   kc_elem_klen(z->elem), false);
			if (!err && (op->flags & KC_Z_WITHSCORES))
				err = kc_reply_add(&r, &z->score, sizeof(u64),
						   false);
			if (!err)
				err = kc_op_yield(op, ++i);
		}
		if (!err)
			err = kc_reply_end(&r);
	}
	mutex_unlock(&kc_cont(dst)->lock);
	if (!err && store)
		err = kc_cont_store(op, key, dst);
out:
	if (dst)
		kc_item_put(dst);
	for (i = 0; i < n; i++)
		if (src[i].it)
			kc_item_put(src[i].it);
	kvfree(src);
	kvfree(w);
	return err;
}

/* KC_OP_SNAPSHOT: member, score, ... from the lowest; cont->lock held. */
int kc_zset_snapshot(struct kc_reply *r, struct kc_item *it)
{
	struct kc_cont *c = kc_cont(it);
	struct rb_node *rb;
	int err = 0;
	u64 n = 0;

	lockdep_assert_held(&c->lock);
	for (rb = rb_first(&c->zroot); rb && !err; rb = rb_next(rb)) {
		struct zs_node *z = node_of(rb);

		err = kc_reply_add(r, kc_elem_data(z->elem),
				   kc_elem_klen(z->elem), false);
		if (!err)
			err = kc_reply_add(r, &z->score, sizeof(u64), false);
		if (!(++n % 512))
			cond_resched();
	}
	return err;
}
