/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The operation table and dispatch (ops.c), and the commands it reaches
 * that are not a container's (container.h has those): strings.c,
 * keyspace.c, scan.c.
 */
#ifndef _KC_OPS_H
#define _KC_OPS_H

#include <linux/kcache.h>
#include "req.h"
#include "txn.h"
#include "keylock.h"

int kc_op_prepare(struct kc_req *req);
bool kc_op_whole(const struct kc_req *req, bool txn);
int kc_op_keys(struct kc_req *req, struct kc_keyset *ks);
void kc_op_exec(struct kc_req *req, bool locked);
int kc_op_run(struct kc_req *req);

/* strings.c */
int kc_op_set(struct kc_op *op, const char *key);
int kc_op_add(struct kc_op *op, const char *key);
int kc_op_replace(struct kc_op *op, const char *key);
int kc_op_concat(struct kc_op *op, const char *key);
int kc_op_incr(struct kc_op *op, const char *key);
int kc_op_setbit(struct kc_op *op, const char *key);
int kc_op_setrange(struct kc_op *op, const char *key);
int kc_op_get(struct kc_op *op, const char *key);
int kc_op_getrange(struct kc_op *op, const char *key);
int kc_op_strlen(struct kc_op *op, const char *key);
int kc_op_getbit(struct kc_op *op, const char *key);
int kc_op_mget(struct kc_op *op, const char *unused);
int kc_op_mset(struct kc_op *op, const char *unused);

/* keyspace.c */
int kc_op_expiry(const struct kc_op *op, u64 *exp);
int kc_op_del(struct kc_op *op, const char *key);
int kc_op_exists(struct kc_op *op, const char *key);
int kc_op_type(struct kc_op *op, const char *key);
int kc_op_touch(struct kc_op *op, const char *key);
int kc_op_expire(struct kc_op *op, const char *key);
int kc_op_persist(struct kc_op *op, const char *key);
int kc_op_ttl(struct kc_op *op, const char *key);
int kc_op_setidle(struct kc_op *op, const char *key);
int kc_op_rename(struct kc_op *op, const char *key);
int kc_op_flush(struct kc_op *op, const char *unused);
int kc_op_move(struct kc_op *op, const char *key);
int kc_op_dbsize(struct kc_op *op, const char *unused);
int kc_op_swapdb(struct kc_op *op, const char *unused);
int kc_op_snapshot(struct kc_op *op, const char *unused);

/* scan.c */
int kc_op_scan(struct kc_op *op, const char *unused);

#endif /* _KC_OPS_H */
