/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The request layer: how an operation reads its inputs and writes its
 * reply, whether it came from user memory (ioctl) or kernel memory
 * (netlink).  Every command (strings, keyspace, containers, SCAN) reads
 * its arguments and writes its reply through these helpers only.
 */
#ifndef _KC_REQ_H
#define _KC_REQ_H

#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/kcache.h>

/*
 * struct kc_req - an operation as the kernel runs it.  With kern set, the
 * addresses in op (key, val, out, args and the kc_buf pointers) are kernel
 * pointers (netlink builds such requests); otherwise user pointers.
 *
 * A user request never waits for user memory while it runs, since it runs
 * under kc.excl_sem and a slow page fault (userfaultfd, FUSE) must stall
 * its caller only: kc_op_prepare() copies the key, value and arguments in
 * (op.val and op.args then point into @in, and in_kern is set); replies
 * are written to user memory with page faults disabled, and a write that
 * would fault makes the op stop before it changes anything (refault), so
 * that kc_op_run() can fault the pages in with no lock held and run it
 * again.  Where an op cannot be run again (a transaction, SET GET) the
 * rest of the reply goes to @obuf instead (bouncing), and kc_req_finish()
 * copies it out once the lock is gone.
 */
struct kc_budget;
struct kc_cache;

struct kc_req {
	struct kc_op op;
	struct kc_cache *cache;	/* the instance the request runs on */
	bool kern;
	bool rdonly;		/* from an fd without FMODE_WRITE: reads only */
	bool in_kern;		/* op.val, op.args and the kc_bufs: kernel */
	u8 db;			/* op.db's slot (kc_cache.dbmap), while it runs */
	u8 reply;		/* what op.out holds: enum kc_reply_kind */
	char key[KC_KEY_MAX];	/* the key, copied in */
	void *in;		/* user requests: the inputs, copied in */
	void *in_data;		/* ... their argument bytes, if large */
	u64 uval, uargs;	/* ... and where they were */
	void *obuf;		/* user requests: the reply, to copy out */
	u32 ocap;		/* bytes allocated at obuf */
	u32 olo, ohi;		/* obuf holds [olo, ohi) of out */
	struct kc_budget *budget;	/* a transaction's, or NULL */
	struct kc_item *pre;	/* a big SET's new item (kc_set_prepare()) */
	bool may_retry;		/* a faulting reply write stops the op */
	bool refault;		/* ... and it did, at fault_at */
	bool bouncing;		/* replies go to obuf from now on */
	u32 fault_len;
	u64 fault_at;
};

/* The instance an op runs on: every op is the op of a struct kc_req. */
static inline struct kc_cache *kc_op_cache(const struct kc_op *op)
{
	return container_of(op, struct kc_req, op)->cache;
}

/*
 * The slot of the database an op runs on: set under kc.excl_sem before
 * the op runs (kc_op_exec()), so that SWAPDB is atomic for every op.
 */
static inline u8 kc_op_db(const struct kc_op *op)
{
	return container_of(op, struct kc_req, op)->db;
}

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
	u32 max;	/* bytes it may reach: 0 is KC_REPLY_MAX */
};

/*
 * What the requests of one transaction may still copy in and out, all
 * together (each alone is bounded by KC_INPUT_MAX and KC_REPLY_MAX).
 */
struct kc_budget {
	u64 in;
	u64 out;
};

int kc_check_key_len(u32 len);
int kc_parse_ll(const char *s, u32 len, s64 *out);

int kc_set_prepare(struct kc_req *req);

/*
 * The item kc_set_prepare() made for a SET, now the op's (it holds the
 * reference), or NULL: then the value is at op->val as for other ops.
 */
static inline struct kc_item *kc_op_take_pre(struct kc_op *op)
{
	struct kc_req *r = container_of(op, struct kc_req, op);
	struct kc_item *it = r->pre;

	r->pre = NULL;
	return it;
}

/* Inputs: an op's value and arguments, in kernel memory once prepared. */
int kc_copy_in(const struct kc_op *op, void *dst, u64 src, u32 len);
void kc_memcpy_big(void *dst, const void *src, size_t len);
unsigned long kc_user_big(void *k, void __user *u, unsigned long len, bool to);
void *kc_dup_in(const struct kc_op *op, u64 src, u32 len, int *err);
int kc_read_arg(const struct kc_op *op, u32 i, struct kc_buf *b);
int kc_read_key_arg(const struct kc_op *op, u32 i, char *key, u32 *len);

/* Replies: never a wait for user memory (see struct kc_req). */
int kc_copy_out(const struct kc_op *op, u64 dst, const void *src, u32 len);
int kc_clear_out(const struct kc_op *op, u64 dst, u32 len);
int kc_put_value(struct kc_op *op, const void *src, u32 len);
int kc_reply_add(struct kc_reply *r, const void *data, u32 len, bool nil);
int kc_reply_will_add(const struct kc_reply *r, u64 n);
int kc_reply_end(struct kc_reply *r);
int kc_op_yield(const struct kc_op *op, u64 i);

/* The life of a user request around its run (ops.c, txn.c, chardev.c). */
int kc_req_copy_in(struct kc_req *req, bool val);
int kc_req_refault(struct kc_req *req, int tries);
void kc_req_finish(struct kc_req *req);
int kc_req_put_result(void __user *uop, const struct kc_op *op, u32 usize);

#endif /* _KC_REQ_H */
