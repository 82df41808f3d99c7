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
 * a reused chunk and is done again: keys may repeat, as Redis allows.
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

#define KC_SCAN_HOLD_MAX	BIT(16)

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
 * KC_OP_SCAN: num is the cursor (0 starts, 0 returned at the end), num2
 * the COUNT hint, client_flags a type (0: any), val a glob pattern (empty:
 * every key).  Replies with the keys of the op's database as kc_elem
 * records.
 */
int kc_op_scan(struct kc_op *op, const char *unused)
{
	struct kc_cache *kc = kc_op_cache(op);
	u32 cursor = op->num, v = cursor, count = op->num2 ? op->num2 : 10;
	struct kc_reply r = { .op = op };
	struct kc_pins s = { };
	u64 now = kc_now_ms();
	u32 i, m0, iter = 0, budget = 0;
	void *pat = NULL;
	int err = 0;

	if (op->num < 0 || op->num > U32_MAX || op->num2 < 0 ||
	    op->num2 > KC_SCAN_HOLD_MAX || op->client_flags > KC_TYPE_MAX)
		return -EINVAL;
	/* Matching costs up to pattern x key length per key: bounded. */
	if (op->val_len > KC_PATTERN_MAX)
		return -EINVAL;
	/* As Redis: an empty database ends the scan at once. */
	if (!atomic64_read(&kc->dbsize[kc_op_db(op)])) {
		op->num = 0;
		return kc_reply_end(&r);
	}
	if (op->val_len) {
		pat = kc_dup_in(op, op->val, op->val_len, &err);
		if (!pat)
			return err;
	}
	s.cap = max(2 * count, 64U);
	s.hold = kvmalloc_array(s.cap, sizeof(*s.hold), KC_GFP_REQ);
	if (!s.hold) {
		err = -ENOMEM;
		goto out;
	}
	do {
		m0 = kc_index_pin_class(kc, v, &s);
		if (s.full) {
			struct kc_item **bigger;

			/* One class did not fit: retry it with more room. */
			release(&s);
			if (s.cap >= KC_SCAN_HOLD_MAX) {
				err = -E2BIG;
				break;
			}
			bigger = kvmalloc_array(s.cap * 2, sizeof(*bigger),
						KC_GFP_REQ);
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			kvfree(s.hold);
			s.hold = bigger;
			s.cap *= 2;
			continue;
		}
		for (i = 0; i < s.n; i++) {
			struct kc_item *it = s.hold[i];

			/* Acquire: pairs with the release in the link. */
			if (!err && smp_load_acquire(&it->state) ==
				    KC_ITEM_LINKED && it->db == kc_op_db(op) &&
			    !kc_item_expired(it, now) &&
			    (!op->client_flags || it->type == op->client_flags) &&
			    (!pat || kc_glob_match(pat, op->val_len,
						   (const u8 *)kc_item_key(it),
						   it->nkey)))
				err = kc_reply_add(&r, kc_item_key(it), it->nkey,
						   false);
		}
		release(&s);
		if (!budget)
			budget = scan_budget(count, m0,
					     atomic_read(&kc->index.nelems));
		v = next_cursor(v, m0);
		/* Killed: the cursor does not move, nothing was changed. */
		if (!err)
			err = kc_op_yield(op, 0);
		/* As Redis, give up after 10 x COUNT (stretched) buckets. */
	} while (!err && v && r.count < count && ++iter < budget);
	if (!err)
		err = kc_reply_end(&r);
	/* The cursor moves only when the reply was delivered. */
	op->num = err ? (s64)cursor : v;
out:
	kvfree(s.hold);
	kvfree(pat);
	return err;
}
