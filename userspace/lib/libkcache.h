/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkcache - a small C library over the /dev/kcache ioctl ABI.
 *
 * The ABI itself is uapi/linux/kcache.h; Documentation/uapi.rst explains it.
 * This library only packs requests, so callers do not repeat the pointer
 * casts and size fields, and adds a few helpers (a reply iterator, a batch
 * builder, batches and transactions (struct kc_pipe), kc_get_alloc(),
 * kc_strerror()).
 *
 * Conventions
 *	Every function returning int returns 0 or a negative errno.  Where a
 *	call runs one operation, the errno is the ioctl's own failure when the
 *	ioctl failed (-EFAULT, -EINVAL, -E2BIG, -EPERM, -ENOTTY) and otherwise
 *	the operation's result (kc_op.result), so one switch covers both.
 *	Output pointers may be NULL when the caller does not want the value.
 *	Keys and values are byte strings (pointer + length), never C strings.
 *	Nothing keeps state between calls; one fd can be used by many threads.
 *
 * Databases
 *	Every op works on one of KC_DB_COUNT databases, kc_op.db, which
 *	kc_op_init() leaves at 0.  The key helpers below (kc_get(), kc_set(),
 *	...) work on database 0, as memcached clients do; for another one,
 *	set op.db of a raw op, give a kc_run_fn that sets it to the _via
 *	forms, or use kc_pipe_select().
 */
#ifndef LIBKCACHE_H
#define LIBKCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kcache.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KC_DEVICE_PATH	"/dev/" KC_DEVICE_NAME

/* Device */
int kc_open(void);			/* fd of /dev/kcache, or -errno */
int kc_open_path(const char *path);
void kc_close(int fd);
int kc_version(int fd, struct kc_version *v);

/* Raw operations */
void kc_op_init(struct kc_op *op, uint32_t opcode);
void kc_op_key(struct kc_op *op, const void *key, size_t klen);
void kc_op_val(struct kc_op *op, const void *val, size_t vlen);
void kc_op_out(struct kc_op *op, void *buf, size_t buflen);
void kc_op_args(struct kc_op *op, const struct kc_buf *args, size_t nargs);
int kc_do(int fd, struct kc_op *op);	/* ioctl errno, else op->result */
void kc_buf_set(struct kc_buf *b, const void *ptr, size_t len);

/*
 * Strings.  kc_get() returns -ENOSPC when buf is too small and then sets
 * *vlen to the length needed; kc_get_alloc() retries with a buffer of that
 * size and hands back malloc()ed memory (free() it; a 0-byte value still
 * gets a non-NULL pointer).
 */
int kc_get(int fd, const void *key, size_t klen, void *buf, size_t buflen,
	   size_t *vlen, uint64_t *cas, uint32_t *client_flags);
int kc_get_alloc(int fd, const void *key, size_t klen, void **val,
		 size_t *vlen, uint64_t *cas, uint32_t *client_flags);

/*
 * kc_set() stores with a relative expiry in seconds (0: none); a non-zero
 * cas makes it a compare-and-swap (KC_SET_CAS).  kc_store() is the general
 * form for KC_OP_SET/ADD/REPLACE/APPEND/PREPEND with any kc_op flags; *cas
 * is the version to compare (with KC_SET_CAS) and gets the new version.
 */
int kc_set(int fd, const void *key, size_t klen, const void *val, size_t vlen,
	   uint32_t client_flags, int64_t expire, uint64_t cas);
int kc_store(int fd, uint32_t opcode, uint32_t flags, const void *key,
	     size_t klen, const void *val, size_t vlen, uint32_t client_flags,
	     int64_t expire, uint64_t *cas);
int kc_del(int fd, const void *key, size_t klen, uint64_t cas);
int kc_exists(int fd, const void *key, size_t klen);
int kc_incrby(int fd, const void *key, size_t klen, int64_t delta,
	      int64_t *result);
int kc_decrby(int fd, const void *key, size_t klen, int64_t delta,
	      int64_t *result);
int kc_strlen(int fd, const void *key, size_t klen, uint64_t *len);
int kc_type(int fd, const void *key, size_t klen, uint32_t *type);
int kc_flush(int fd);			/* every database */

/* Databases: keys in db (DBSIZE); FLUSH of db alone (KC_FLUSH_DB). */
int kc_dbsize(int fd, uint32_t db, uint64_t *keys);
int kc_flushdb(int fd, uint32_t db);

/* Bits (Redis order: bit 0 is the most significant bit of byte 0). */
int kc_getbit(int fd, const void *key, size_t klen, uint64_t offset, int *bit);
int kc_setbit(int fd, const void *key, size_t klen, uint64_t offset, int bit,
	      int *old);

/*
 * Expiry.  flags: KC_TTL_MS (expire in ms), KC_TTL_ABS (a unix time) and,
 * for kc_expire(), one of KC_EXPIRE_NX/XX/GT/LT.  kc_ttl() gives -1 when the
 * key has no expiry, else seconds (ms with KC_TTL_MS).
 */
int kc_expire(int fd, const void *key, size_t klen, int64_t expire,
	      uint32_t flags);
int kc_touch(int fd, const void *key, size_t klen, int64_t expire,
	     uint32_t flags);
int kc_persist(int fd, const void *key, size_t klen);
int kc_ttl(int fd, const void *key, size_t klen, uint32_t flags, int64_t *ttl);

/*
 * Multi-key.  kc_mget() writes struct kc_elem records into buf; walk them
 * with struct kc_elem_iter.  On -ENOSPC *used is the size needed.
 */
int kc_mget(int fd, const struct kc_buf *keys, size_t nkeys, void *buf,
	    size_t buflen, size_t *used, size_t *count);
int kc_mset(int fd, const struct kc_buf *kv, size_t nargs);

struct kc_elem_iter {
	const unsigned char *buf;
	size_t len;		/* bytes of buf that hold records */
	size_t off;		/* offset of the next record */
	size_t left;		/* records still expected */
	int err;		/* -EBADMSG once a record overruns buf */
};

void kc_elem_iter_init(struct kc_elem_iter *it, const void *buf, size_t used,
		       size_t count);
/*
 * Next record, or NULL at the end (it->err is 0) or on a malformed reply
 * (it->err is -EBADMSG).  *data points at the record's len bytes.
 */
const struct kc_elem *kc_elem_next(struct kc_elem_iter *it, const void **data);

/* Statistics and configuration */
int kc_stats(int fd, struct kc_stats *st);
/*
 * Fills up to room classes into buf; *count gets how many were written and
 * *nr_classes how many the module has.
 */
int kc_class_stats(int fd, struct kc_class_stats *buf, size_t room,
		   size_t *count, size_t *nr_classes);
int kc_config_get(int fd, struct kc_config *cfg);
/* Changes the fields in set_mask (KC_CONFIG_*) to the values in *cfg. */
int kc_config_set(int fd, uint32_t set_mask, struct kc_config *cfg);

/*
 * Batch builder (older than struct kc_pipe below, which hides struct
 * kc_op and splits long batches).  kc_batch_add() appends an operation
 * initialised with kc_op_init() and returns it for the caller to fill
 * (op->db too); the pointer is valid until the next kc_batch_add().
 * kc_batch_watch() watches a key of database 0 (b->watch[b->nwatch -
 * 1].db changes that).  Keys, values and buffers the operations
 * point to must stay valid until kc_batch_submit() returns.  After submit
 * every op carries its own result; done and result mirror struct kc_batch.
 * Submit returns the ioctl's errno, else kc_batch.result.
 */
struct kc_batch_builder {
	struct kc_op *ops;
	uint32_t count;
	uint32_t cap;
	struct kc_watch *watch;
	uint32_t nwatch;
	uint32_t watch_cap;
	uint32_t done;		/* out: operations that ran */
	int32_t result;		/* out: kc_batch.result */
};

void kc_batch_init(struct kc_batch_builder *b);
void kc_batch_exit(struct kc_batch_builder *b);
void kc_batch_reset(struct kc_batch_builder *b);	/* keeps memory */
struct kc_op *kc_batch_add(struct kc_batch_builder *b, uint32_t opcode);
int kc_batch_watch(struct kc_batch_builder *b, const void *key, size_t klen,
		   uint64_t cas);
int kc_batch_submit(int fd, struct kc_batch_builder *b, uint32_t flags);

/*
 * Running raw operations in one KC_IOC_BATCH, for callers that build
 * struct kc_op records themselves (kc_op_init() and friends), e.g. a proxy
 * whose replies are rendered straight from the records.  kc_batch_run()
 * runs ops[0..n) in order; flags is 0 or KC_BATCH_TXN (then watch[0..nwatch)
 * are the watched keys, else nwatch must be 0).  A plain batch longer than
 * KC_BATCH_MAX is split into several ioctls, stopping at the first one
 * that fails; a transaction is one ioctl (more than KC_BATCH_MAX ops or
 * KC_WATCH_MAX watched keys: -EINVAL and nothing runs, as the kernel
 * would answer).
 *
 * Returns 0 when every op ran (each has its own kc_op.result), else the
 * batch's -errno: the ioctl's (-EFAULT, -EINVAL, -EPERM, ...) or
 * kc_batch.result (-ECANCELED: a watched key changed; -EINVAL: a
 * transaction had a malformed op, whose result says why; -EINTR, ...).
 * Every op that did not run has a non-zero result: the kernel's for a
 * transaction it looked at (-ECANCELED, or why the op was rejected),
 * else the batch's error.  *done (if not NULL) gets the ops that ran.
 */
int kc_batch_run(int fd, struct kc_op *ops, size_t n, uint32_t flags,
		 const struct kc_watch *watch, size_t nwatch, size_t *done);
/*
 * One KC_IOC_BATCH as the kernel answers it, for a caller that must tell
 * a refused request from a batch that ran: returns the ioctl's -errno
 * (nothing was written back), else 0 with kc_batch.done and .result in
 * *done and *result.  No splitting, no marking of ops that did not run.
 */
int kc_batch_ioctl(int fd, struct kc_op *ops, uint32_t n, uint32_t flags,
		   const struct kc_watch *watch, uint32_t nwatch,
		   uint32_t *done, int *result);

/*
 * Single operations over another transport.  A kc_run_fn runs one op and
 * returns what kc_do() would (the transport's -errno, else op->result);
 * kc_do_fd() is the /dev/kcache one (ctx points to the fd).  The _via
 * forms are kc_get(), kc_get_alloc() and kc_store() over such a function,
 * for a caller (the proxy's netlink transport) that sends ops another way,
 * or that sets op->db before running it (a client's selected database).
 */
typedef int (*kc_run_fn)(void *ctx, struct kc_op *op);
int kc_do_fd(void *ctx, struct kc_op *op);
int kc_get_via(kc_run_fn run, void *ctx, const void *key, size_t klen,
	       void *buf, size_t buflen, size_t *vlen, uint64_t *cas,
	       uint32_t *client_flags);
int kc_get_alloc_via(kc_run_fn run, void *ctx, const void *key, size_t klen,
		     void **val, size_t *vlen, uint64_t *cas,
		     uint32_t *client_flags);
/*
 * Runs a prepared op that replies in op->out (a GET with any flags, say)
 * with a malloc()ed reply buffer grown until the reply fits (a few
 * tries: -ENOSPC if it keeps growing); each try starts from the op as
 * given.  On success *out holds op->out_used bytes (free() it) and op its
 * out fields; on failure *out is NULL.
 */
int kc_op_alloc_via(kc_run_fn run, void *ctx, struct kc_op *op, void **out);
int kc_store_via(kc_run_fn run, void *ctx, uint32_t opcode, uint32_t flags,
		 const void *key, size_t klen, const void *val, size_t vlen,
		 uint32_t client_flags, int64_t expire, uint64_t *cas);

/*
 * Pipelines: batches and transactions without the ABI's structs.
 *
 * A struct kc_pipe collects operations, runs them in one KC_IOC_BATCH
 * (kc_pipe_run(): independent ops, a plain batch; kc_pipe_exec(): one
 * transaction, with the keys given to kc_pipe_watch()) and then answers
 * each op's result.  The caller never sees struct kc_op, kc_batch or
 * kc_watch, so the same code works with any size of them, and a binding
 * (ctypes, cffi) needs only these functions.
 *
 * Building.  kc_pipe_add() appends an op (any enum kc_opcode) and returns
 * its index (0, 1, ...) or -errno; the setters fill in its inputs by that
 * index, in any order, and return 0 or -EINVAL (no such op) / -ENOMEM /
 * -E2BIG (a length past 4 GiB).  Keys, values, arguments and watched keys
 * are copied into the pipe, so the caller's buffers may go away at once;
 * with KC_PIPE_BORROW given to kc_pipe_new() they are referenced instead
 * (no copy: they must then stay valid until the run returns).
 * kc_pipe_set_arg() appends one entry of the op's argument list
 * (kc_op.args: MSET's keys and values, HSET's fields, ...).
 * kc_pipe_select() is Redis's SELECT inside a pipeline: the ops added and
 * the keys watched after it are in database db (kc_op.db, kc_watch.db);
 * a new pipe starts in database 0 and kc_pipe_reset() keeps the database.
 * The kernel judges db (-EINVAL for an op past KC_DB_COUNT - 1).
 *
 * Replies.  An op that returns bytes (GET, MGET, LRANGE, SET with
 * KC_SET_GET, ...) needs reply room: kc_pipe_set_reply(p, i, n) reserves n
 * bytes of the pipe's own arena (grown as needed when the pipe runs, kept
 * until kc_pipe_free(); its replies stay readable until the next run,
 * reset or free), or kc_pipe_set_reply_buf() points the reply at the
 * caller's buffer.  kc_pipe_set_arena() makes the pipe carve its replies
 * from a caller's buffer instead of its own (a run whose rooms do not fit
 * fails with -ENOBUFS before any op runs).  Too small a room gives that op
 * -ENOSPC and kc_pipe_reply() reports the size needed.
 *
 * Results (after a run, until the next run or reset):
 *	kc_pipe_result()	0 or the op's -errno (table in linux/kcache.h);
 *				-ENODATA when the op has not run yet, -EINVAL
 *				for an index that is not an op
 *	kc_pipe_reply()		the reply bytes (NULL when the op had no reply
 *				room; an empty reply is a non-NULL pointer
 *				and *len 0); *len gets their length, or the
 *				room needed when the result is -ENOSPC (then
 *				NULL).  A failed op may still have a reply
 *				(SET with KC_SET_GET and NX): read the result
 *				first
 *	kc_pipe_num()		integer result (INCR, counts, STRLEN, TYPE)
 *				and the element count of a multi-element
 *				reply (walk it with struct kc_elem_iter)
 *	kc_pipe_cas(), kc_pipe_client_flags(), kc_pipe_expire()
 *				the item's CAS version, memcached flags and
 *				expiry / TTL as the op returned them
 *	kc_pipe_done()		ops that ran in the last run
 * Getters of an op that did not run give 0 (NULL for kc_pipe_reply()).
 *
 * Running.  Both return 0 when every op ran, else -errno as
 * kc_batch_run() does: -ECANCELED when a watched key changed (nothing ran),
 * -EINVAL for a transaction with a malformed op (nothing ran; that op's
 * result says why), the ioctl's errno, -ENOMEM, -ENOBUFS (arena too
 * small).  kc_pipe_run() with watched keys is -EINVAL.  A pipe can run
 * again (its inputs are kept; kc_pipe_reset() empties it and keeps its
 * memory).  One pipe is not for two threads at once.
 */
struct kc_pipe;

#define KC_PIPE_BORROW	(1U << 0)	/* reference inputs, do not copy */

struct kc_pipe *kc_pipe_new(unsigned int flags);	/* NULL: errno */
void kc_pipe_free(struct kc_pipe *p);
void kc_pipe_reset(struct kc_pipe *p);
size_t kc_pipe_count(const struct kc_pipe *p);

void kc_pipe_select(struct kc_pipe *p, uint32_t db);
int kc_pipe_add(struct kc_pipe *p, uint32_t opcode);
/* kc_pipe_add() and kc_pipe_set_key() in one: index or -errno. */
int kc_pipe_add_key(struct kc_pipe *p, uint32_t opcode, const void *key,
		    size_t klen);
int kc_pipe_set_key(struct kc_pipe *p, size_t i, const void *key,
		    size_t klen);
int kc_pipe_set_val(struct kc_pipe *p, size_t i, const void *val,
		    size_t vlen);
int kc_pipe_set_arg(struct kc_pipe *p, size_t i, const void *data,
		    size_t len);
int kc_pipe_set_flags(struct kc_pipe *p, size_t i, uint32_t flags);
int kc_pipe_set_expire(struct kc_pipe *p, size_t i, int64_t expire);
int kc_pipe_set_cas(struct kc_pipe *p, size_t i, uint64_t cas);
int kc_pipe_set_num(struct kc_pipe *p, size_t i, int64_t num, int64_t num2);
int kc_pipe_set_client_flags(struct kc_pipe *p, size_t i,
			     uint32_t client_flags);
int kc_pipe_set_reply(struct kc_pipe *p, size_t i, size_t room);
int kc_pipe_set_reply_buf(struct kc_pipe *p, size_t i, void *buf,
			  size_t len);
/* Replies from buf[0..size) (NULL: the pipe's own arena again). */
int kc_pipe_set_arena(struct kc_pipe *p, void *buf, size_t size);
/* cas: the version read with the key (kc_pipe_cas() of a GET), 0: none. */
int kc_pipe_watch(struct kc_pipe *p, const void *key, size_t klen,
		  uint64_t cas);

int kc_pipe_run(int fd, struct kc_pipe *p);
int kc_pipe_exec(int fd, struct kc_pipe *p);

size_t kc_pipe_done(const struct kc_pipe *p);
int kc_pipe_result(const struct kc_pipe *p, size_t i);
const void *kc_pipe_reply(const struct kc_pipe *p, size_t i, size_t *len);
int64_t kc_pipe_num(const struct kc_pipe *p, size_t i);
uint64_t kc_pipe_cas(const struct kc_pipe *p, size_t i);
uint32_t kc_pipe_client_flags(const struct kc_pipe *p, size_t i);
int64_t kc_pipe_expire(const struct kc_pipe *p, size_t i);

/*
 * What an operation's errno means in this ABI ("no such key" for -ENOENT,
 * ...); other errnos fall back to strerror().  For kc_open() failures use
 * strerror(): there -ENOENT means /dev/kcache is missing (module not loaded).
 */
const char *kc_strerror(int err);

/*
 * The op that reads a whole key of this type (GET, LRANGE, ...), 0 if none.
 * LRANGE wants num 0, num2 -1; ZRANGE the args 0 and -1 (8 bytes each)
 * and KC_Z_WITHSCORES, for member, score, ... in score order.
 */
uint32_t kc_read_op(uint32_t type);

#ifdef __cplusplus
}
#endif

#endif /* LIBKCACHE_H */
