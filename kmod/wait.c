// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting for lists.  Every push (LPUSH, RPUSH, LMOVE's destination,
 * RENAME's new name) wakes the wait queue of its key's hash bucket; a
 * struct kc_waiter hangs one entry on each bucket it cares about.  The
 * entry's wake function only sets the waiter's pending flag and wakes the
 * waiter's own queue, so one waiter watches many keys, and poll() on
 * /dev/kcache (an fd's keys come from KC_IOC_WAIT) and a blocking op
 * (KC_OP_BLMPOP, KC_OP_BLMOVE through KC_IOC_OP) wait the same way.
 *
 * Nothing here holds a cache lock while it sleeps: a blocking op runs
 * its non-blocking form with kc_op_run() (which takes and drops
 * the instance's locks), and sleeps between runs.  Waiters are woken in no order
 * and race for the element; who gets it is up to the scheduler (the proxy
 * keeps its own clients in FIFO order).  A bucket is shared by keys with
 * the same hash: a wakeup may be spurious, never missed.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/jiffies.h>
#include "kcache.h"
#include "ops.h"
#include "wait.h"

struct kc_wait_ent {
	struct wait_queue_entry wq;
	struct kc_waiter *w;
	u32 bucket;
};

static wait_queue_head_t kc_wait_heads[KC_WAIT_BUCKETS];

void kc_wait_init(void)
{
	u32 i;

	for (i = 0; i < KC_WAIT_BUCKETS; i++)
		init_waitqueue_head(&kc_wait_heads[i]);
}

/*
 * Instances share the table; the instance is mixed into the hash, so the
 * keys of one namespace do not line up with another's (a shared bucket
 * costs only a spurious wakeup).
 */
static u32 bucket_of(struct kc_cache *kc, const char *key, u32 len)
{
	return jhash(key, len, hash_ptr(kc, 32)) & (KC_WAIT_BUCKETS - 1);
}

/*
 * A list under key was pushed to, or a sorted set got members: wake
 * whoever waits on its bucket.
 */
void kc_wait_notify(struct kc_cache *kc, const char *key, u32 len)
{
	wait_queue_head_t *h = &kc_wait_heads[bucket_of(kc, key, len)];

	if (wq_has_sleeper(h))
		wake_up(h);
}

/*
 * Every list may have changed (SWAPDB): wake every waiter, each looks at
 * its keys again.  The table is shared, so other instances' waiters look
 * too: a spurious wakeup, which they handle.
 */
void kc_wait_notify_all(struct kc_cache *kc)
{
	u32 i;

	for (i = 0; i < KC_WAIT_BUCKETS; i++)
		if (wq_has_sleeper(&kc_wait_heads[i]))
			wake_up(&kc_wait_heads[i]);
}

/* Runs under the bucket's queue lock: no sleeping. */
static int kc_wait_wake(struct wait_queue_entry *wqe, unsigned int mode,
			int sync, void *key)
{
	struct kc_wait_ent *e = container_of(wqe, struct kc_wait_ent, wq);

	WRITE_ONCE(e->w->pending, true);
	wake_up_interruptible_poll(&e->w->wq, EPOLLIN | EPOLLRDNORM);
	return 0;
}

void kc_waiter_init(struct kc_waiter *w)
{
	mutex_init(&w->lock);
	init_waitqueue_head(&w->wq);
	w->pending = false;
	w->nents = 0;
	w->ents = NULL;
	bitmap_zero(w->bits, KC_WAIT_BUCKETS);
}

/* Moves w's entries to the buckets in bits.  Called with w->lock held. */
static int waiter_set(struct kc_waiter *w, const unsigned long *bits)
{
	u32 n = bitmap_weight(bits, KC_WAIT_BUCKETS), i = 0, b;
	struct kc_wait_ent *ents = NULL;

	lockdep_assert_held(&w->lock);
	if (n) {
		ents = kcalloc(n, sizeof(*ents), GFP_KERNEL_ACCOUNT);
		if (!ents)
			return -ENOMEM;
	}
	for_each_set_bit(b, bits, KC_WAIT_BUCKETS) {
		ents[i].w = w;
		ents[i].bucket = b;
		init_waitqueue_func_entry(&ents[i].wq, kc_wait_wake);
		add_wait_queue(&kc_wait_heads[b], &ents[i].wq);
		i++;
	}
	for (i = 0; i < w->nents; i++)
		remove_wait_queue(&kc_wait_heads[w->ents[i].bucket],
				  &w->ents[i].wq);
	kfree(w->ents);
	w->ents = ents;
	w->nents = n;
	bitmap_copy(w->bits, bits, KC_WAIT_BUCKETS);
	return 0;
}

/* Takes w off every bucket (the fd's release, the end of a wait). */
void kc_waiter_release(struct kc_waiter *w)
{
	DECLARE_BITMAP(none, KC_WAIT_BUCKETS);

	bitmap_zero(none, KC_WAIT_BUCKETS);
	mutex_lock(&w->lock);
	waiter_set(w, none);	/* cannot fail: allocates nothing */
	mutex_unlock(&w->lock);
	mutex_destroy(&w->lock);
}

/* Sets the bucket bit of each of the n keys (struct kc_buf) at uptr. */
static int keys_to_bits(struct kc_cache *kc, unsigned long *bits, u64 uptr,
			u32 n)
{
	char key[KC_KEY_MAX];
	struct kc_buf b;
	u32 i;
	int err;

	for (i = 0; i < n; i++) {
		if (!(i % 64)) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
		if (copy_from_user(&b, u64_to_user_ptr(uptr) + (u64)i * sizeof(b),
				   sizeof(b)))
			return -EFAULT;
		if (b.__reserved)
			return -EINVAL;
		err = kc_check_key_len(b.len);
		if (err)
			return err;
		if (copy_from_user(key, u64_to_user_ptr(b.ptr), b.len))
			return -EFAULT;
		__set_bit(bucket_of(kc, key, b.len), bits);
	}
	return 0;
}

/* KC_IOC_WAIT: the fd's keys (replaced, or added to), readiness cleared. */
int kc_waiter_keys(struct kc_waiter *w, struct kc_cache *kc, u64 keys, u32 n,
		   bool add)
{
	DECLARE_BITMAP(bits, KC_WAIT_BUCKETS);
	int err;

	bitmap_zero(bits, KC_WAIT_BUCKETS);
	err = keys_to_bits(kc, bits, keys, n);
	if (err)
		return err;
	mutex_lock(&w->lock);
	if (add)
		bitmap_or(bits, bits, w->bits, KC_WAIT_BUCKETS);
	if (!bitmap_equal(bits, w->bits, KC_WAIT_BUCKETS))
		err = waiter_set(w, bits);
	/* After the move: a bucket just left cannot leave the fd ready. */
	if (!err)
		WRITE_ONCE(w->pending, false);
	mutex_unlock(&w->lock);
	return err;
}

__poll_t kc_waiter_poll(struct kc_waiter *w, struct file *file,
			poll_table *pt)
{
	poll_wait(file, &w->wq, pt);
	return READ_ONCE(w->pending) ? EPOLLIN | EPOLLRDNORM : 0;
}

/* Timeouts from this many ms on wait forever (msecs_to_jiffies' range). */
#define KC_WAIT_MS_MAX	INT_MAX

/*
 * KC_OP_BLMPOP and KC_OP_BLMOVE through KC_IOC_OP: runs the op; while it
 * finds nothing (-ENOENT), sleeps (interruptibly, no lock held) until a
 * key it waits on is pushed to or the timeout (op.expire ms, 0: none)
 * runs out, then runs it again from the same request.
 */
int kc_op_run_blocking(struct kc_req *req)
{
	DECLARE_BITMAP(bits, KC_WAIT_BUCKETS);
	struct kc_cache *kc = req->cache;
	struct kc_op saved = req->op;
	bool rdonly = req->rdonly, forever;
	struct kc_waiter *w;
	long left = 0, ret;
	int err;

	err = kc_op_run(req);
	if (err != -ENOENT)
		return err;
	/* The op ran: its key and arguments passed kc_op_prepare(). */
	bitmap_zero(bits, KC_WAIT_BUCKETS);
	if (saved.opcode == KC_OP_BLMOVE)
		__set_bit(bucket_of(kc, req->key, saved.key_len), bits);
	else
		err = keys_to_bits(kc, bits, saved.args, saved.nargs);
	if (err && err != -ENOENT)
		goto out;
	w = kmalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w) {
		err = -ENOMEM;
		goto out;
	}
	kc_waiter_init(w);
	mutex_lock(&w->lock);
	err = waiter_set(w, bits);
	mutex_unlock(&w->lock);
	if (err)
		goto free;
	forever = !saved.expire || saved.expire >= KC_WAIT_MS_MAX;
	if (!forever)
		left = msecs_to_jiffies(saved.expire);
	for (;;) {
		WRITE_ONCE(w->pending, false);
		/* The flag is clear before the op looks at the lists. */
		smp_mb();
		memset(req, 0, sizeof(*req));
		req->cache = kc;
		req->rdonly = rdonly;
		req->op = saved;
		err = kc_op_run(req);
		if (err != -ENOENT)
			break;
		if (forever) {
			ret = wait_event_interruptible(w->wq,
						       READ_ONCE(w->pending));
		} else {
			ret = wait_event_interruptible_timeout(w->wq,
							       READ_ONCE(w->pending),
							       left);
			if (!ret) {
				err = -ETIMEDOUT;
				break;
			}
			if (ret > 0)
				left = ret;
		}
		if (ret < 0) {
			err = -EINTR;
			break;
		}
	}
free:
	kc_waiter_release(w);
	kfree(w);
out:
	req->op.result = err;
	return err;
}
