/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkcache - a small C library over the /dev/kcache ioctl ABI.
 *
 * The ABI itself is uapi/linux/kcache.h; Documentation/uapi.rst explains it.
 * This library only packs requests, so callers do not repeat the pointer
 * casts and size fields, and adds a few helpers (a reply iterator, a batch
 * builder, kc_get_alloc(), kc_strerror()).
 *
 * Conventions
 *	Every function returning int returns 0 or a negative errno.  Where a
 *	call runs one operation, the errno is the ioctl's own failure when the
 *	ioctl failed (-EFAULT, -EINVAL, -E2BIG, -EPERM, -ENOTTY) and otherwise
 *	the operation's result (kc_op.result), so one switch covers both.
 *	Output pointers may be NULL when the caller does not want the value.
 *	Keys and values are byte strings (pointer + length), never C strings.
 *	Nothing keeps state between calls; one fd can be used by many threads.
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
int kc_flush(int fd);

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
 * Batch builder.  kc_batch_add() appends an operation initialised with
 * kc_op_init() and returns it for the caller to fill; the pointer is valid
 * until the next kc_batch_add().  Keys, values and buffers the operations
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
 * What an operation's errno means in this ABI ("no such key" for -ENOENT,
 * ...); other errnos fall back to strerror().  For kc_open() failures use
 * strerror(): there -ENOENT means /dev/kcache is missing (module not loaded).
 */
const char *kc_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* LIBKCACHE_H */
