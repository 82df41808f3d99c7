/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Waiting for a list to get an element (wait.c): a hashed table of wait
 * queues keyed by the key's hash, woken after every push.  A struct
 * kc_waiter has one entry in the queue of each bucket it waits on; a
 * wakeup sets its pending flag and wakes its own queue, which poll() on
 * /dev/kcache and the blocking ops (KC_OP_BLMPOP, KC_OP_BLMOVE) wait on.
 */
#ifndef _KC_WAIT_H
#define _KC_WAIT_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/wait.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include "req.h"

#define KC_WAIT_BUCKET_BITS	10
#define KC_WAIT_BUCKETS		BIT(KC_WAIT_BUCKET_BITS)

struct kc_wait_ent;

struct kc_waiter {
	struct mutex lock;		/* the entries (KC_IOC_WAIT callers) */
	wait_queue_head_t wq;		/* poll() and the blocking ops */
	bool pending;			/* a bucket was pushed to since armed */
	u32 nents;
	struct kc_wait_ent *ents;	/* one per bucket waited on */
	DECLARE_BITMAP(bits, KC_WAIT_BUCKETS);
};

void kc_wait_init(void);
struct kc_cache;
void kc_wait_notify(struct kc_cache *kc, const char *key, u32 len);
void kc_wait_notify_all(struct kc_cache *kc);
void kc_waiter_init(struct kc_waiter *w);
void kc_waiter_release(struct kc_waiter *w);
int kc_waiter_keys(struct kc_waiter *w, struct kc_cache *kc, u64 keys, u32 n,
		   bool add);
__poll_t kc_waiter_poll(struct kc_waiter *w, struct file *file,
			poll_table *pt);
int kc_op_run_blocking(struct kc_req *req);

#endif /* _KC_WAIT_H */
