/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_OPS_H
#define _KC_OPS_H

#include <linux/kcache.h>

/*
 * struct kc_req - an operation as the kernel runs it.  With kern set, the
 * addresses in op (key, val, out, args and the kc_buf pointers) are kernel
 * pointers (netlink builds such requests); otherwise user pointers.
 */
struct kc_req {
	struct kc_op op;
	bool kern;
	u8 reply;		/* what op.out holds: enum kc_reply_kind */
};

/* Set by kc_put_value() and kc_reply_add/_end(), so that netlink can turn
 * any op's reply into attributes without knowing the opcode.
 */
enum kc_reply_kind {
	KC_REPLY_NONE,
	KC_REPLY_VALUE,		/* one value of out_used bytes */
	KC_REPLY_ELEMS,		/* kc_elem records, out_used bytes */
};

/* struct kc_reply - a multi-element reply being written to op->out. */
struct kc_reply {
	struct kc_op *op;
	u64 off;
	u32 count;
};

/* A watched key of a transaction, in kernel memory. */
struct kc_txn_watch {
	char key[KC_KEY_MAX];
	u32 len;
	u64 cas;
};

int kc_check_key_len(u32 len);
int kc_op_check(struct kc_req *req);
int kc_txn_run(struct kc_req *reqs, u32 n, const struct kc_txn_watch *w,
	       u32 nw);
void *kc_dup_in(const struct kc_op *op, u64 src, u32 len, int *err);
int kc_parse_ll(const char *s, u32 len, s64 *out);
int kc_op_scan(struct kc_op *op, const char *unused);
int kc_op_run(struct kc_req *req);
int kc_copy_in(const struct kc_op *op, void *dst, u64 src, u32 len);
int kc_copy_out(const struct kc_op *op, u64 dst, const void *src, u32 len);
int kc_clear_out(const struct kc_op *op, u64 dst, u32 len);
int kc_put_value(struct kc_op *op, const void *src, u32 len);
int kc_read_arg(const struct kc_op *op, u32 i, struct kc_buf *b);
int kc_read_key_arg(const struct kc_op *op, u32 i, char *key, u32 *len);
int kc_reply_add(struct kc_reply *r, const void *data, u32 len, bool nil);
int kc_reply_end(struct kc_reply *r);

#endif /* _KC_OPS_H */
