// SPDX-License-Identifier: GPL-2.0
/*
 * The request layer (req.h): an operation's inputs copied in before it
 * runs (bounce in), its reply written with page faults disabled (a write
 * that would fault stops the op for a refault, or bounces to a kernel
 * buffer), and what kc_req_finish() copies out once the locks are gone.
 * See struct kc_req for why no request waits for user memory under a lock.
 */
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/nospec.h>
#include "kcache.h"
#include "req.h"

/*
 * Every op is embedded in a struct kc_req, which says whether its val, out
 * and args addresses are user pointers (ioctl) or kernel pointers (netlink,
 * and user requests whose inputs kc_op_prepare() copied in).
 */
static struct kc_req *req_of(const struct kc_op *op)
{
	return container_of(op, struct kc_req, op);
}

/*
 * Called on every step of a loop whose length depends on the request or
 * on the cache's size (an op may hold kc.excl_sem and container mutexes,
 * all sleepable, never a spinlock or an RCU read section): every 256th
 * step yields the CPU and checks for a fatal signal.  Returns -EINTR when
 * the task is being killed; the caller then returns it with nothing
 * changed (or undoes what it did).  An op of a transaction never stops
 * half way (the transaction is all or nothing): it only yields, and the
 * transaction runs to its end.
 */
int kc_op_yield(const struct kc_op *op, u64 i)
{
	if (i & 255)
		return 0;
	cond_resched();
	if (req_of(op)->budget)
		return 0;
	return fatal_signal_pending(current) ? -EINTR : 0;
}

static void set_reply(struct kc_op *op, enum kc_reply_kind kind)
{
	req_of(op)->reply = kind;
}

/*
 * Values reach 512 MiB (KC_ITEM_SIZE_LIMIT): a copy that size runs for
 * milliseconds (much longer under emulation), so the copies of values go
 * in pieces of this many bytes and yield between them.  They run with no
 * spinlock held (kcache.h).
 */
#define COPY_CHUNK	SZ_1M

/*
 * memcpy() of a value, or memset() to zero without src (SETRANGE's and
 * SETBIT's padding), yielding between pieces.  May sleep.
 */
void kc_memcpy_big(void *dst, const void *src, size_t len)
{
	size_t n;

	for (;;) {
		n = min_t(size_t, len, COPY_CHUNK);
		if (src) {
			memcpy(dst, src, n);
			src += n;
		} else {
			memset(dst, 0, n);
		}
		len -= n;
		if (!len)
			return;
		dst += n;
		might_sleep();
		cond_resched();
	}
}

/*
 * copy_to_user() (to) or copy_from_user() of a value between kernel
 * memory k and user memory u, yielding between pieces: the bytes left,
 * as they return, also when the task is being killed.  May fault: never
 * under a lock of the cache.
 */
unsigned long kc_user_big(void *k, void __user *u, unsigned long len, bool to)
{
	unsigned long n;

	for (; len; len -= n, k += n, u += n) {
		n = min_t(unsigned long, len, COPY_CHUNK);
		if (to ? copy_to_user(u, k, n) : copy_from_user(k, u, n))
			return len;
		cond_resched();
		if (len > n && fatal_signal_pending(current))
			return len - n;
	}
	return 0;
}

int kc_copy_in(const struct kc_op *op, void *dst, u64 src, u32 len)
{
	const struct kc_req *r = req_of(op);

	if (!len)
		return 0;
	if (WARN_ON_ONCE(!r->kern && !r->in_kern))
		return -EFAULT;
	/* An input kc_op_prepare() did not copy: ops check sizes first. */
	if (WARN_ON_ONCE(!src))
		return -EFAULT;
	kc_memcpy_big(dst, (const void *)(uintptr_t)src, len);
	return 0;
}

/*
 * Writes len bytes of src (zeroes without src) at user address dst inside
 * a user request's reply: into obuf, which holds [olo, ohi) of out and
 * grows as needed.  Replies are written in order, so what is bounced is
 * one run from the first write that would have faulted.
 */
static int bounce_out(struct kc_req *r, u64 dst, const void *src, u32 len)
{
	u64 off = dst - r->op.out, used, cap;
	void *n;

	if (WARN_ON_ONCE(off > r->op.out_len || len > r->op.out_len - off))
		return -EFAULT;
	if (!r->ohi) {
		r->olo = off;
		r->ohi = off;
	}
	if (WARN_ON_ONCE(off != r->ohi))
		return -EFAULT;
	used = r->ohi - r->olo;
	if (used + len > r->ocap) {
		cap = max_t(u64, used + len,
			    min_t(u64, r->op.out_len - r->olo,
				  max_t(u64, 2ULL * r->ocap, 256)));
		if (r->budget) {
			if (cap - r->ocap > r->budget->out)
				return -E2BIG;
			r->budget->out -= cap - r->ocap;
		}
		n = kvmalloc(cap, KC_GFP_REQ);
		if (!n)
			return -ENOMEM;
		memcpy(n, r->obuf, used);
		kvfree(r->obuf);
		r->obuf = n;
		r->ocap = cap;
	}
	kc_memcpy_big(r->obuf + used, src, len);
	r->ohi = off + len;
	return 0;
}

/*
 * Writes a user request's reply bytes (zeroes without src) with page
 * faults disabled: a write that would fault stops an op that may run again
 * (-EFAULT, refault set), or sends this and every later write to obuf.
 */
static int user_out_one(struct kc_req *r, u64 dst, const void *src, u32 len)
{
	void __user *p = u64_to_user_ptr(dst);
	unsigned long left;

	if (!r->bouncing) {
		if (src) {
			left = copy_to_user_nofault(p, src, len) ? len : 0;
		} else {
			pagefault_disable();
			left = clear_user(p, len);
			pagefault_enable();
		}
		if (!left)
			return 0;
		if (r->may_retry) {
			r->refault = true;
			r->fault_at = dst;
			r->fault_len = len;
			return -EFAULT;
		}
		r->bouncing = true;
	}
	return bounce_out(r, dst, src, len);
}

static int user_out(struct kc_req *r, u64 dst, const void *src, u32 len)
{
	u32 n;
	int err;

	for (;;) {
		n = min_t(u32, len, COPY_CHUNK);
		err = user_out_one(r, dst, src, n);
		len -= n;
		if (err || !len)
			return err;
		dst += n;
		if (src)
			src += n;
		might_sleep();
		cond_resched();
	}
}

int kc_copy_out(const struct kc_op *op, u64 dst, const void *src, u32 len)
{
	struct kc_req *r = req_of(op);

	if (!len)
		return 0;
	if (!r->kern)
		return user_out(r, dst, src, len);
	kc_memcpy_big((void *)(uintptr_t)dst, src, len);
	return 0;
}

int kc_clear_out(const struct kc_op *op, u64 dst, u32 len)
{
	struct kc_req *r = req_of(op);

	if (!len)
		return 0;
	if (!r->kern)
		return user_out(r, dst, NULL, len);
	memset((void *)(uintptr_t)dst, 0, len);
	return 0;
}

/*
 * Copies len bytes at src (an op's address) into a new kernel buffer, for
 * comparisons (fields, members, pivots).  Bounded by item_size_max.
 * Returns the buffer (kvfree it) or NULL with *err set.
 */
void *kc_dup_in(const struct kc_op *op, u64 src, u32 len, int *err)
{
	struct kc_cache *kc = kc_op_cache(op);
	void *buf;

	*err = -E2BIG;
	if (len > kc_item_size_max(kc))
		return NULL;
	*err = -ENOMEM;
	buf = kvmalloc(max_t(u32, len, 1), KC_GFP_REQ);
	if (!buf)
		return NULL;
	*err = kc_copy_in(op, buf, src, len);
	if (*err) {
		kvfree(buf);
		return NULL;
	}
	return buf;
}

/* Copies a value to op->out, or says how much room it needs. */
int kc_put_value(struct kc_op *op, const void *src, u32 len)
{
	set_reply(op, KC_REPLY_VALUE);
	op->out_used = len;
	if (len > op->out_len)
		return -ENOSPC;
	return kc_copy_out(op, op->out, src, len);
}

/*
 * Reads entry i of op->args.  i is below op->nargs, which the caller
 * chose: clamped under speculation too, as it indexes a kernel array.
 */
int kc_read_arg(const struct kc_op *op, u32 i, struct kc_buf *b)
{
	if (WARN_ON_ONCE(i >= op->nargs))
		return -EINVAL;
	i = array_index_nospec(i, op->nargs);
	if (kc_copy_in(op, b, op->args + (u64)i * sizeof(*b), sizeof(*b)))
		return -EFAULT;
	return b->__reserved ? -EINVAL : 0;
}

int kc_read_key_arg(const struct kc_op *op, u32 i, char *key, u32 *len)
{
	struct kc_buf b;
	int err = kc_read_arg(op, i, &b);

	if (err)
		return err;
	err = kc_check_key_len(b.len);
	if (err)
		return err;
	if (kc_copy_in(op, key, b.ptr, b.len))
		return -EFAULT;
	*len = b.len;
	return 0;
}

static u32 reply_max(const struct kc_reply *r)
{
	return r->max ? r->max : KC_REPLY_MAX;
}

/* Appends one element to a multi-element reply (struct kc_reply). */
int kc_reply_add(struct kc_reply *r, const void *data, u32 len, bool nil)
{
	struct kc_op *op = r->op;
	struct kc_elem e = { .len = len, .flags = nil ? KC_ELEM_NIL : 0 };
	u64 need = KC_ELEM_SIZE(len);
	int err = 0;

	set_reply(op, KC_REPLY_ELEMS);
	if (r->off + need <= op->out_len) {
		u64 dst = op->out + r->off;

		err = kc_copy_out(op, dst, &e, sizeof(e));
		if (!err)
			err = kc_copy_out(op, dst + sizeof(e), data, len);
		if (!err)
			err = kc_clear_out(op, dst + sizeof(e) + len,
					   need - sizeof(e) - len);
	}
	r->off += need;
	r->count++;
	/* Stop the work as soon as the reply cannot be delivered at all. */
	if (!err && r->off > reply_max(r))
		err = -E2BIG;
	return err;
}

/*
 * A reply about to get n more elements: -E2BIG now if even empty ones
 * would pass its limit, where adding them would find that out only after
 * millions of them (SRANDMEMBER key -9223372036854775807).
 */
int kc_reply_will_add(const struct kc_reply *r, u64 n)
{
	u64 max = reply_max(r);
	u64 room = r->off < max ? max - r->off : 0;

	return n > room / KC_ELEM_SIZE(0) ? -E2BIG : 0;
}

/* Finishes a reply: count in num, size in out_used, -ENOSPC or -E2BIG
 * when it did not fit.
 */
int kc_reply_end(struct kc_reply *r)
{
	struct kc_op *op = r->op;

	set_reply(op, KC_REPLY_ELEMS);
	op->num = r->count;
	op->out_used = min_t(u64, r->off, U32_MAX);
	if (r->off > reply_max(r))
		return -E2BIG;
	return r->off > op->out_len ? -ENOSPC : 0;
}

int kc_check_key_len(u32 len)
{
	if (!len)
		return -EINVAL;
	if (len > KC_KEY_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Argument bytes up to this many share the allocation of the array. */
#define BOUNCE_SLACK	512

/* Frees what kc_req_copy_in() allocated and gives the op its addresses
 * back.
 */
static void bounce_in_undo(struct kc_req *r)
{
	kvfree(r->in_data);
	r->in_data = NULL;
	kvfree(r->in);
	r->in = NULL;
	r->op.val = r->uval;
	r->op.args = r->uargs;
}

/*
 * Copies a user request's value (for ops that read it) and arguments into
 * one kernel buffer, before the op runs and takes any lock: the op then
 * reads kernel memory only.  An argument longer than item_size_max, or
 * one whose reserved field is set, is not copied (its pointer becomes 0):
 * every op checks both before it reads the bytes, and fails as it would
 * have.  At most KC_INPUT_MAX bytes in all (-E2BIG).
 */
int kc_req_copy_in(struct kc_req *r, bool val)
{
	struct kc_cache *kc = r->cache;
	struct kc_op *op = &r->op;
	u64 head, data = 0, vlen = 0, n = op->nargs;
	struct kc_buf *kb;
	char *p;
	u32 i;

	r->uval = op->val;
	r->uargs = op->args;
	if (val && !r->pre && op->val_len <= kc_item_size_max(kc))
		vlen = op->val_len;
	op->val = 0;
	op->args = 0;
	if (!vlen && !n) {
		/* Nothing to copy (a GET): no allocation either. */
		r->in_kern = true;
		return 0;
	}
	head = round_up(vlen, sizeof(*kb)) + n * sizeof(*kb);
	if (head > KC_INPUT_MAX)
		goto e2big;
	/*
	 * One allocation: the value, the kc_buf array read straight into it,
	 * and the argument bytes when they fit in the slack (a few small
	 * members or fields); larger argument bytes get their own.
	 */
	r->in = kvmalloc(head + (n ? BOUNCE_SLACK : 0), KC_GFP_REQ);
	if (!r->in)
		goto nomem;
	p = r->in;
	if (vlen) {
		if (kc_user_big(p, u64_to_user_ptr(r->uval), vlen, false))
			goto fault;
		op->val = (uintptr_t)p;
	}
	kb = (struct kc_buf *)(p + round_up(vlen, sizeof(*kb)));
	if (n && copy_from_user(kb, u64_to_user_ptr(r->uargs),
				n * sizeof(*kb)))
		goto fault;
	for (i = 0; i < n; i++)
		if (!kb[i].__reserved && kb[i].len <= kc_item_size_max(kc))
			data += kb[i].len;
	if (head + data > KC_INPUT_MAX)
		goto e2big;
	if (r->budget) {
		if (head + data > r->budget->in)
			goto e2big;
		r->budget->in -= head + data;
	}
	p = (char *)r->in + head;
	if (data > BOUNCE_SLACK) {
		r->in_data = kvmalloc(data, KC_GFP_REQ);
		if (!r->in_data)
			goto nomem;
		p = r->in_data;
	}
	for (i = 0; i < n; i++) {
		u64 src = kb[i].ptr;

		kb[i].ptr = 0;
		if (kb[i].__reserved || kb[i].len > kc_item_size_max(kc))
			continue;
		if (kc_user_big(p, u64_to_user_ptr(src), kb[i].len, false))
			goto fault;
		kb[i].ptr = (uintptr_t)p;
		p += kb[i].len;
		if (!(i % 256))
			cond_resched();
	}
	if (n)
		op->args = (uintptr_t)kb;
	r->in_kern = true;
	return 0;
fault:
	bounce_in_undo(r);
	return -EFAULT;
nomem:
	bounce_in_undo(r);
	return -ENOMEM;
e2big:
	bounce_in_undo(r);
	return -E2BIG;
}

/*
 * Ends a request after kc_op_prepare(): a user request's reply is copied
 * out (-EFAULT if that fails and the op had succeeded), its buffers freed
 * and op.val and op.args restored.
 */
void kc_req_finish(struct kc_req *req)
{
	struct kc_op *op = &req->op;

	if (req->ohi &&
	    kc_user_big(req->obuf, u64_to_user_ptr(op->out + req->olo),
			req->ohi - req->olo, true) &&
	    !op->result)
		op->result = -EFAULT;
	kvfree(req->obuf);
	req->obuf = NULL;
	req->ocap = 0;
	req->olo = 0;
	req->ohi = 0;
	if (req->in_kern) {
		bounce_in_undo(req);
		req->in_kern = false;
	}
	if (req->pre) {
		kc_item_put(req->pre);	/* the op did not run */
		req->pre = NULL;
	}
}

/*
 * After a reply write at fault_at would have faulted: faults in a window
 * from there that doubles with every try, with no lock held.  Returns 0
 * when at least the bytes of that write are in, else -EFAULT.
 */
int kc_req_refault(struct kc_req *req, int tries)
{
	struct kc_op *op = &req->op;
	u64 end = op->out + op->out_len, n;

	n = min_t(u64, end - req->fault_at,
		  (u64)max_t(u32, req->fault_len, SZ_64K) << tries);
	n = max_t(u64, n, req->fault_len);
	if (fault_in_safe_writeable(u64_to_user_ptr(req->fault_at), n) >
	    n - req->fault_len)
		return -EFAULT;
	return 0;
}

/*
 * Parses a value as Redis does (string2ll): an optional '-', digits with
 * no leading zero (except "0"), nothing else, within s64.
 */
int kc_parse_ll(const char *s, u32 len, s64 *out)
{
	bool neg = false;
	u64 v = 0, lim;
	u32 i = 0;

	if (!len || len > KC_INT_STR_MAX)
		return -EDOM;
	if (len == 1 && s[0] == '0') {
		*out = 0;
		return 0;
	}
	if (s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i >= len || s[i] < '1' || s[i] > '9')
		return -EDOM;
	lim = neg ? (u64)S64_MAX + 1 : S64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EDOM;
		if (v > (lim - (s[i] - '0')) / 10)
			return -EDOM;
		v = v * 10 + (s[i] - '0');
	}
	*out = neg ? (s64)(0 - v) : (s64)v;
	return 0;
}

/* Writes back the output block of a kc_op: client_flags to the end. */
int kc_req_put_result(void __user *uop, const struct kc_op *op, u32 usize)
{
	size_t off = offsetof(struct kc_op, client_flags);
	size_t end = min_t(size_t, usize, sizeof(*op));

	/* The caller's struct may be older and smaller: never past its end. */
	if (copy_to_user((char __user *)uop + off, (const char *)op + off,
			 end - off))
		return -EFAULT;
	return 0;
}
