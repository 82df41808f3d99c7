/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transactions (KC_IOC_BATCH with KC_BATCH_TXN): every op checked and
 * copied in first, the watched keys checked, then all ops run with their
 * keys locked (kc_txn_run()).
 */
#ifndef _KC_TXN_H
#define _KC_TXN_H

#include <linux/kcache.h>
#include "req.h"

/* A watched key of a transaction, in kernel memory. */
struct kc_txn_watch {
	char key[KC_KEY_MAX];
	u32 len;
	u32 db;			/* the database, as kc_op.db */
	u64 cas;
};

int kc_txn_run(struct kc_cache *kc, struct kc_req *reqs, u32 n,
	       const struct kc_txn_watch *w, u32 nw);
long kc_txn_batch(struct kc_cache *kc, struct kc_batch *b);

#endif /* _KC_TXN_H */
