// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions: the batch runner of KC_IOC_BATCH with KC_BATCH_TXN (every
 * op read and prepared before any runs) and kc_txn_run(), which locks the
 * stripes of every key the transaction names (its ops' and its watched
 * keys) exclusively, checks the watched keys and runs the ops.  Only a
 * transaction with an op on the whole cache (FLUSH, SCAN) holds
 * kc.excl_sem exclusively instead.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include "kcache.h"
#include "ops.h"
#include "txn.h"

/*
 * Collects the stripes of every key of the transaction into ks, or sets
 * whole when an op needs the whole cache (then ks does not matter).
 */
static int txn_keys(struct kc_cache *kc, struct kc_req *reqs, u32 n,
		    const struct kc_txn_watch *w, u32 nw, struct kc_keyset *ks,
		    bool *whole)
{
	int err = 0;
	u32 i;

	*whole = false;
	ks->excl = true;
	for (i = 0; i < n && !err; i++) {
		if (kc_op_whole(&reqs[i], true)) {
			*whole = true;
			return 0;
		}
		err = kc_op_keys(&reqs[i], ks);
		cond_resched();
	}
	for (i = 0; i < nw && !err; i++)
		err = kc_keyset_add_key(ks, &kc->keylocks, w[i].key, w[i].len);
	return err;
}

/*
 * Runs a transaction: if every watched key still has the CAS version it
 * was watched with (0: missing), all ops run with no other operation on
 * their keys in between; else none does and -ECANCELED is returned.  The
 * stripes of all its keys (watched keys included, so that the check and
 * the ops are one step) are held exclusively from the check to the last
 * op; operations on other keys go on meanwhile.  Ops were prepared with
 * kc_op_prepare() before, and each gets kc_req_finish() after.
 */
int kc_txn_run(struct kc_cache *kc, struct kc_req *reqs, u32 n,
	       const struct kc_txn_watch *w, u32 nw)
{
	struct kc_keyset ks = {};
	bool whole;
	int err;
	u32 i;

	err = txn_keys(kc, reqs, n, w, nw, &ks, &whole);
	if (err)
		goto out;
	/* Killed before anything ran: nothing to undo. */
	if (fatal_signal_pending(current)) {
		err = -EINTR;
		goto out;
	}
	if (whole) {
		percpu_down_write(&kc->excl_sem);
	} else {
		percpu_down_read(&kc->excl_sem);
		/* Killed while waiting for a key: nothing ran. */
		err = kc_keyset_lock(&kc->keylocks, &ks, &kc->excl_sem);
	}
	if (!err && READ_ONCE(kc->dead))
		err = -ENODEV;
	for (i = 0; i < nw && !err; i++) {
		struct kc_item *it;
		u64 cas;

		kc_key_assert_held(kc, w[i].key, w[i].len, true);
		it = kc_item_get(kc, kc->dbmap[w[i].db], w[i].key, w[i].len,
				 false);
		cas = it ? READ_ONCE(it->cas) : 0;
		if (it)
			kc_item_put(it);
		if (cas != w[i].cas)
			err = -ECANCELED;
	}
	/*
	 * All or nothing: once the first op ran, the transaction runs to its
	 * end, yielding between ops (and inside them: kc_op_yield() never
	 * stops an op of a transaction).  Each op is bounded by its inputs.
	 */
	for (i = 0; i < n && !err; i++) {
		kc_op_exec(&reqs[i], true);
		cond_resched();
	}
	if (whole) {
		percpu_up_write(&kc->excl_sem);
	} else {
		kc_keyset_unlock(&kc->keylocks, &ks);
		percpu_up_read(&kc->excl_sem);
	}
out:
	kc_keyset_free(&ks);
	return err;
}

/* Reads the ops and watched keys of a transaction into kernel memory. */
static int txn_read(const struct kc_batch *b, struct kc_req *reqs,
		    struct kc_txn_watch *w)
{
	u32 i;
	int err;

	for (i = 0; i < b->count; i++) {
		void __user *uop = u64_to_user_ptr(b->ops) +
				   (u64)i * b->op_size;

		err = copy_struct_from_user(&reqs[i].op, sizeof(reqs[i].op),
					    uop, b->op_size);
		if (err)
			return err;
		if (reqs[i].op.size != b->op_size)
			return -EINVAL;
	}
	for (i = 0; i < b->nwatch; i++) {
		struct kc_watch kw;

		if (copy_from_user(&kw, u64_to_user_ptr(b->watch) +
				   (u64)i * sizeof(kw), sizeof(kw)))
			return -EFAULT;
		if (kw.db >= KC_DB_COUNT || kc_check_key_len(kw.key_len))
			return -EINVAL;
		if (copy_from_user(w[i].key, u64_to_user_ptr(kw.key),
				   kw.key_len))
			return -EFAULT;
		w[i].len = kw.key_len;
		w[i].db = kw.db;
		w[i].cas = kw.cas;
	}
	return 0;
}

/*
 * A transaction: every op is checked and its inputs copied in before any
 * runs (one bad op: the batch result is -EINVAL, nothing runs; no memory
 * to copy the inputs: -ENOMEM, nothing runs); then kc_txn_run() checks
 * the watched keys and runs all ops exclusively, or none (-ECANCELED).
 * A reply that cannot be written without a page fault is copied out after
 * the lock is released; the inputs and those replies of all ops together
 * are bounded by KC_INPUT_MAX each (a SET's value too: no kc_set_prepare()
 * in a transaction, whose ops must not hold items they may never store).
 */
long kc_txn_batch(struct kc_cache *kc, struct kc_batch *b)
{
	struct kc_budget budget = { KC_INPUT_MAX, KC_INPUT_MAX };
	struct kc_txn_watch *w = NULL;
	bool bad = false, nomem = false;
	struct kc_req *reqs;
	long err;
	u32 i;

	if (b->nwatch > KC_WATCH_MAX)
		return -EINVAL;
	reqs = kvcalloc(max_t(u32, b->count, 1), sizeof(*reqs), KC_GFP_REQ);
	if (!reqs)
		return -ENOMEM;
	if (b->nwatch) {
		w = kvcalloc(b->nwatch, sizeof(*w), KC_GFP_REQ);
		if (!w) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = txn_read(b, reqs, w);
	if (err)
		goto out;
	for (i = 0; i < b->count; i++) {
		reqs[i].cache = kc;
		reqs[i].budget = &budget;
		err = kc_op_prepare(&reqs[i]);
		if (err == -ENOMEM)
			nomem = true;
		else if (err)
			bad = true;
	}
	err = 0;
	if (bad || nomem) {
		b->result = bad ? -EINVAL : -ENOMEM;
	} else {
		b->result = kc_txn_run(kc, reqs, b->count, w, b->nwatch);
		if (!b->result)
			b->done = b->count;
	}
	for (i = 0; i < b->count; i++)
		kc_req_finish(&reqs[i]);
	for (i = 0; i < b->count; i++) {
		if (b->result && !reqs[i].op.result)
			reqs[i].op.result = -ECANCELED;
		err = kc_req_put_result(u64_to_user_ptr(b->ops) +
					(u64)i * b->op_size, &reqs[i].op,
					b->op_size);
		if (err)
			goto out;
	}
out:
	kvfree(w);
	kvfree(reqs);
	return err;
}
