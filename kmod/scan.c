// SPDX-License-Identifier: GPL-2.0
/*
 * SCAN: a stateless cursor over the index with Redis's guarantee that a
 * key present for the whole scan is returned at least once, even while
 * the table grows or shrinks.
 *
 * The index hashes keys with one seed for the module's life (index.c), so
 * a key's bucket in a table of 2^n buckets is its hash's low n bits in
 * every table, as in Redis's dict.  The cursor walks bucket indexes in
 * reverse-binary order (Redis's dictScan): a bucket of a small table
 * covers exactly the buckets of a larger one that share its low bits, so
 * after a resize the buckets already visited stay visited.  While tables
 * are being resized, the buckets of every table in the chain (old first:
 * rhashtable moves entries from old to new) that extend the cursor's
 * bucket of the smallest table are visited.
 *
 * kc_index_pin_class() (index.c) pins the items of those buckets under
 * RCU; they are examined here after rcu_read_unlock() (the LINKED check,
 * as lookups do), since dropping a reference may free a container and
 * sleep.  A bucket walk that ends on another bucket's marker went through
 * a reused chunk or a moved entry and is done again, at last under the
 * bucket's lock: keys may repeat, as Redis allows.  A class whose walk may
 * have missed entries (a resize began during it) is walked again,
 * yielding in between.
 */
#include <linux/bitrev.h>
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include "kcache.h"
#include "ops.h"
#include "glob.h"
#include "index.h"
#include "container.h"

#define KC_SCAN_HOLD_MAX	BIT(16)
/* Walks of one class again (s.stale) before giving up with -EAGAIN. */
#define KC_SCAN_STALE_MAX	1000

static_assert(offsetofend(struct kc_snap_rec, cas) == KC_SNAP_REC_SIZE_VER0);
static_assert(sizeof(struct kc_snap_rec) == KC_SNAP_REC_SIZE_VER1);

/* Redis's reverse-binary increment of the bits under mask. */
static u32 next_cursor(u32 v, u32 mask)
{
	v |= ~mask;
	v = bitrev32(v);
	v++;
	return bitrev32(v);
}

static void release(struct kc_pins *s)
{
	while (s->n)
		kc_item_put(s->hold[--s->n]);
	s->full = false;
	s->stale = false;
}

/*
 * Pins the items of the class of cursor v (kc_index_pin_class()), again
 * with more room when they did not fit, again after a yield when the walk
 * may have missed some; *m0 is the smallest table's mask.
 */
static int pin_class(struct kc_op *op, u32 v, struct kc_pins *s, u32 *m0)
{
	u32 stale = 0;
	int err;

	for (;;) {
		struct kc_item **bigger;

		*m0 = kc_index_pin_class(kc_op_cache(op), v, s);
		if (s->stale) {
			release(s);
			if (++stale >= KC_SCAN_STALE_MAX)
				return -EAGAIN;
			err = kc_op_yield(op, 0);	/* step 0: yields */
			if (err)
				return err;
			continue;
		}
		if (!s->full)
			return 0;
		release(s);
		if (s->cap >= KC_SCAN_HOLD_MAX)
			return -E2BIG;
		bigger = kvmalloc_array(s->cap * 2, sizeof(*bigger), KC_GFP_REQ);
		if (!bigger)
			return -ENOMEM;
		kvfree(s->hold);
		s->hold = bigger;
		s->cap *= 2;
	}
}

/*
 * Redis's dict has about one bucket per key (it grows when full and
 * shrinks below a tenth), the index at least 1024 (index.c): the budget of
 * 10 x COUNT buckets is stretched by how much sparser the index is, so a
 * small keyspace is returned by one call with cursor 0, as Redis does and
 * as clients' tests expect.  mask is that of the smallest table.
 */
static u32 scan_budget(u32 count, u32 mask, int nelems)
{
	u64 dict = roundup_pow_of_two(max(nelems, 4));
	u64 stretch = max_t(u64, ((u64)mask + 1) / dict, 1);

	return min_t(u64, 10ULL * count * stretch, U32_MAX);
}

/*
 * A walk from a cursor, shared by SCAN and SNAPSHOT: emit() gets every
 * live, unexpired item of the op's database; keys counts what it took.
 * With whole, a bucket whose records overflow the reply (not the first)
 * is taken back and left for the next call: SNAPSHOT returns whole
 * buckets, which its cursor needs.
 */
struct scan_ctx {
	struct kc_op *op;
	struct kc_reply r;
	u64 now;
	u32 keys;
	u32 rec_size;		/* SNAPSHOT: bytes of struct kc_snap_rec */
	u32 now_sec;		/* SNAPSHOT: kc_now_sec(), for idle times */
	bool whole;
	const void *pat;	/* SCAN: the glob, or NULL */
	int (*emit)(struct scan_ctx *x, struct kc_item *it);
};

static int scan_walk(struct scan_ctx *x, u32 *cursor, u32 count)
{
	struct kc_op *op = x->op;
	struct kc_cache *kc = kc_op_cache(op);
	u32 v = *cursor, i, m0, iter = 0, budget = 0;
	struct kc_pins s = { };
	int err = 0;

	s.cap = max(2 * count, 64U);
	s.hold = kvmalloc_array(s.cap, sizeof(*s.hold), KC_GFP_REQ);
	if (!s.hold)
		return -ENOMEM;
	do {
		struct kc_reply mark = x->r;
		u32 keys = x->keys;

		err = pin_class(op, v, &s, &m0);
		if (err)
			break;
		for (i = 0; i < s.n; i++) {
			struct kc_item *it = s.hold[i];

			/* Acquire: pairs with the release in the link. */
			if (!err && smp_load_acquire(&it->state) ==
				    KC_ITEM_LINKED && it->db == kc_op_db(op) &&
			    !kc_item_expired(it, x->now))
				err = x->emit(x, it);
		}
		release(&s);
		if (!err && x->whole && x->r.off > op->out_len && mark.off) {
			x->r = mark;
			x->keys = keys;
			break;
		}
		if (!budget)
			budget = scan_budget(count, m0,
					     atomic_read(&kc->index.nelems));
		v = next_cursor(v, m0);
		/* Killed: the cursor does not move, nothing was changed. */
		if (!err)
			err = kc_op_yield(op, 0);
		/* As Redis, give up after 10 x COUNT (stretched) buckets. */
	} while (!err && v && x->keys < count && ++iter < budget &&
		 !(x->whole && x->r.off >= op->out_len));
	kvfree(s.hold);
	*cursor = v;
	return err;
}

static int scan_emit(struct scan_ctx *x, struct kc_item *it)
{
	struct kc_op *op = x->op;

	if ((op->client_flags && it->type != op->client_flags) ||
	    (x->pat && !kc_glob_match(x->pat, op->val_len,
				      (const u8 *)kc_item_key(it), it->nkey)))
		return 0;
	x->keys++;
	return kc_reply_add(&x->r, kc_item_key(it), it->nkey, false);
}

/*
 * Starts a walk: an empty database ends it at once (as Redis).  Returns
 * 1 when there is something to walk.
 */
static int scan_begin(struct scan_ctx *x)
{
	struct kc_op *op = x->op;

	if (atomic64_read(&kc_op_cache(op)->dbsize[kc_op_db(op)]))
		return 1;
	op->num = 0;
	return kc_reply_end(&x->r);
}

/* The reply and the cursor: it moves only when the reply was delivered. */
static int scan_end(struct scan_ctx *x, int err, u32 cursor, u32 next)
{
	if (!err)
		err = kc_reply_end(&x->r);
	x->op->num = err ? (s64)cursor : next;
	return err;
}

/*
 * KC_OP_SCAN: num is the cursor (0 starts, 0 returned at the end), num2
 * the COUNT hint, client_flags a type (0: any), val a glob pattern (empty:
 * every key).  Replies with the keys of the op's database as kc_elem
 * records.
 */
int kc_op_scan(struct kc_op *op, const char *unused)
{
	struct scan_ctx x = { .op = op, .r.op = op, .now = kc_now_ms(),
			      .emit = scan_emit };
	u32 cursor = op->num, v = cursor, count = op->num2 ? op->num2 : 10;
	void *pat = NULL;
	int err = 0;

	if (op->num < 0 || op->num > U32_MAX || op->num2 < 0 ||
	    op->num2 > KC_SCAN_HOLD_MAX || op->client_flags > KC_TYPE_MAX)
		return -EINVAL;
	/* Matching costs up to pattern x key length per key: bounded. */
	if (op->val_len > KC_PATTERN_MAX)
		return -EINVAL;
	err = scan_begin(&x);
	if (err <= 0)
		return err;
	if (op->val_len) {
		pat = kc_dup_in(op, op->val, op->val_len, &err);
		if (!pat)
			return err;
		x.pat = pat;
	}
	err = scan_walk(&x, &v, count);
	err = scan_end(&x, err, cursor, v);
	kvfree(pat);
	return err;
}

static int snap_emit(struct scan_ctx *x, struct kc_item *it)
{
	struct kc_snap_rec h = {
		.type = it->type,
		.client_flags = READ_ONCE(it->client_flags),
		.cas = READ_ONCE(it->cas),
		.nelems = 1,
	};
	u64 exp = READ_ONCE(it->exptime);
	s32 idle = (s32)(x->now_sec - READ_ONCE(it->atime));
	int err;

	if (exp)
		h.expire = exp + kc_real_offset_ms();
	h.idle = idle > 0 ? idle : 0;
	x->keys++;
	if (kc_is_cont(it->type))
		return kc_cont_snapshot(&x->r, it, &h, x->rec_size);
	/* A string's value never changes while it is linked: atomic. */
	err = kc_reply_add(&x->r, &h, x->rec_size, false);
	if (!err)
		err = kc_reply_add(&x->r, kc_item_key(it), it->nkey, false);
	if (!err)
		err = kc_reply_add(&x->r, kc_item_value(it), it->nbytes,
				   false);
	return err;
}

/*
 * KC_OP_SNAPSHOT: SCAN's walk with every key whole (uapi/linux/kcache.h):
 * num the cursor, num2 the keys wanted.
 */
int kc_op_snapshot(struct kc_op *op, const char *unused)
{
	/*
	 * A bucket's keys may hold values of up to item_size_max each: one
	 * of them and KC_INPUT_MAX of others is returned whole.
	 */
	struct scan_ctx x = { .op = op, .r.op = op,
			      .r.max = KC_INPUT_MAX +
				       kc_item_size_max(kc_op_cache(op)),
			      .now = kc_now_ms(), .whole = true,
			      .emit = snap_emit };
	u32 cursor = op->num, v = cursor, count = op->num2 ? op->num2 : 100;
	u32 rec = op->client_flags ? op->client_flags : KC_SNAP_REC_SIZE_VER0;
	int err;

	if (op->num < 0 || op->num > U32_MAX || op->num2 < 0 ||
	    op->num2 > KC_SCAN_HOLD_MAX || op->val_len ||
	    rec < KC_SNAP_REC_SIZE_VER0)
		return -EINVAL;
	/* openat2's rule: the caller's size, or the kernel's if smaller */
	x.rec_size = min_t(u32, rec, sizeof(struct kc_snap_rec));
	x.now_sec = kc_now_sec();
	err = scan_begin(&x);
	if (err <= 0)
		return err;
	err = scan_walk(&x, &v, count);
	return scan_end(&x, err, cursor, v);
}
