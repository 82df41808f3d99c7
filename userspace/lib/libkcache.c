// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache - requests for /dev/kcache.  See libkcache.h for conventions.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libkcache.h"

/* kc_get_alloc(): first guess, and how often a growing value is chased. */
#define GET_ALLOC_FIRST		4096
#define GET_ALLOC_TRIES		8

static inline __u64 uptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

static inline __u32 clamp_u32(size_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (__u32)n;
}

int kc_open_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kc_open(void)
{
	return kc_open_path(KC_DEVICE_PATH);
}

void kc_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int kc_version(int fd, struct kc_version *v)
{
	memset(v, 0, sizeof(*v));
	return ioctl(fd, KC_IOC_VERSION, v) ? -errno : 0;
}

void kc_op_init(struct kc_op *op, uint32_t opcode)
{
	memset(op, 0, sizeof(*op));
	op->size = sizeof(*op);
	op->opcode = opcode;
}

/*
 * Lengths that do not fit the ABI's __u32 are clamped: the module rejects
 * them with the same errno as any other too-long key or value.
 */
void kc_op_key(struct kc_op *op, const void *key, size_t klen)
{
	op->key = uptr(key);
	op->key_len = clamp_u32(klen);
}

void kc_op_val(struct kc_op *op, const void *val, size_t vlen)
{
	op->val = uptr(val);
	op->val_len = clamp_u32(vlen);
}

void kc_op_out(struct kc_op *op, void *buf, size_t buflen)
{
	op->out = uptr(buf);
	op->out_len = clamp_u32(buflen);
}

void kc_op_args(struct kc_op *op, const struct kc_buf *args, size_t nargs)
{
	op->args = uptr(args);
	op->nargs = clamp_u32(nargs);
}

void kc_buf_set(struct kc_buf *b, const void *ptr, size_t len)
{
	b->ptr = uptr(ptr);
	b->len = clamp_u32(len);
	b->__reserved = 0;
}

int kc_do(int fd, struct kc_op *op)
{
	if (ioctl(fd, KC_IOC_OP, op))
		return -errno;
	return op->result;
}

/* One keyed operation with no value: the shape of most calls below. */
static int key_op(int fd, struct kc_op *op, uint32_t opcode, uint32_t flags,
		  const void *key, size_t klen)
{
	kc_op_init(op, opcode);
	op->flags = flags;
	kc_op_key(op, key, klen);
	return kc_do(fd, op);
}

int kc_get(int fd, const void *key, size_t klen, void *buf, size_t buflen,
	   size_t *vlen, uint64_t *cas, uint32_t *client_flags)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, key, klen);
	kc_op_out(&op, buf, buflen);
	ret = kc_do(fd, &op);
	if (ret && ret != -ENOSPC)
		return ret;
	if (vlen)
		*vlen = op.out_used;
	if (ret)
		return ret;
	if (cas)
		*cas = op.cas;
	if (client_flags)
		*client_flags = op.client_flags;
	return 0;
}

int kc_get_alloc(int fd, const void *key, size_t klen, void **val,
		 size_t *vlen, uint64_t *cas, uint32_t *client_flags)
{
	size_t size = GET_ALLOC_FIRST, need = 0;
	void *buf = NULL, *p;
	int tries, ret = -ENOSPC;

	*val = NULL;
	for (tries = 0; tries < GET_ALLOC_TRIES && ret == -ENOSPC; tries++) {
		p = realloc(buf, size ? size : 1);
		if (!p) {
			ret = -ENOMEM;
			goto out;
		}
		buf = p;
		ret = kc_get(fd, key, klen, buf, size, &need, cas, client_flags);
		/* The value may grow between calls; ask for what it is now. */
		size = need;
	}
	if (ret)
		goto out;
	if (vlen)
		*vlen = need;
	*val = buf;
	buf = NULL;
out:
	free(buf);
	return ret;
}

int kc_store(int fd, uint32_t opcode, uint32_t flags, const void *key,
	     size_t klen, const void *val, size_t vlen, uint32_t client_flags,
	     int64_t expire, uint64_t *cas)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, opcode);
	op.flags = flags;
	kc_op_key(&op, key, klen);
	kc_op_val(&op, val, vlen);
	op.client_flags = client_flags;
	op.expire = expire;
	if (cas)
		op.cas = *cas;
	ret = kc_do(fd, &op);
	if (!ret && cas)
		*cas = op.cas;
	return ret;
}

int kc_set(int fd, const void *key, size_t klen, const void *val, size_t vlen,
	   uint32_t client_flags, int64_t expire, uint64_t cas)
{
	return kc_store(fd, KC_OP_SET, cas ? KC_SET_CAS : 0, key, klen, val,
			vlen, client_flags, expire, &cas);
}

int kc_del(int fd, const void *key, size_t klen, uint64_t cas)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_DEL);
	kc_op_key(&op, key, klen);
	if (cas) {
		op.flags = KC_SET_CAS;
		op.cas = cas;
	}
	return kc_do(fd, &op);
}

int kc_exists(int fd, const void *key, size_t klen)
{
	struct kc_op op;

	return key_op(fd, &op, KC_OP_EXISTS, 0, key, klen);
}

static int incr_op(int fd, uint32_t opcode, const void *key, size_t klen,
		   int64_t delta, int64_t *result)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, opcode);
	kc_op_key(&op, key, klen);
	op.num = delta;
	ret = kc_do(fd, &op);
	if (!ret && result)
		*result = op.num;
	return ret;
}

int kc_incrby(int fd, const void *key, size_t klen, int64_t delta,
	      int64_t *result)
{
	return incr_op(fd, KC_OP_INCRBY, key, klen, delta, result);
}

int kc_decrby(int fd, const void *key, size_t klen, int64_t delta,
	      int64_t *result)
{
	return incr_op(fd, KC_OP_DECRBY, key, klen, delta, result);
}

int kc_strlen(int fd, const void *key, size_t klen, uint64_t *len)
{
	struct kc_op op;
	int ret = key_op(fd, &op, KC_OP_STRLEN, 0, key, klen);

	if (!ret && len)
		*len = (uint64_t)op.num;
	return ret;
}

int kc_type(int fd, const void *key, size_t klen, uint32_t *type)
{
	struct kc_op op;
	int ret = key_op(fd, &op, KC_OP_TYPE, 0, key, klen);

	if (!ret && type)
		*type = (uint32_t)op.num;
	return ret;
}

int kc_flush(int fd)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_FLUSH);
	return kc_do(fd, &op);
}

int kc_getbit(int fd, const void *key, size_t klen, uint64_t offset, int *bit)
{
	struct kc_op op;
	int ret;

	if (offset > INT64_MAX)
		return -EINVAL;
	kc_op_init(&op, KC_OP_GETBIT);
	kc_op_key(&op, key, klen);
	op.num = (int64_t)offset;
	ret = kc_do(fd, &op);
	if (!ret && bit)
		*bit = (int)op.num;
	return ret;
}

int kc_setbit(int fd, const void *key, size_t klen, uint64_t offset, int bit,
	      int *old)
{
	struct kc_op op;
	int ret;

	if (offset > INT64_MAX)
		return -EINVAL;
	kc_op_init(&op, KC_OP_SETBIT);
	kc_op_key(&op, key, klen);
	op.num = (int64_t)offset;
	op.num2 = bit;
	ret = kc_do(fd, &op);
	if (!ret && old)
		*old = (int)op.num;
	return ret;
}

static int expiry_op(int fd, uint32_t opcode, const void *key, size_t klen,
		     int64_t expire, uint32_t flags)
{
	struct kc_op op;

	kc_op_init(&op, opcode);
	op.flags = flags;
	op.expire = expire;
	kc_op_key(&op, key, klen);
	return kc_do(fd, &op);
}

int kc_expire(int fd, const void *key, size_t klen, int64_t expire,
	      uint32_t flags)
{
	return expiry_op(fd, KC_OP_EXPIRE, key, klen, expire, flags);
}

int kc_touch(int fd, const void *key, size_t klen, int64_t expire,
	     uint32_t flags)
{
	return expiry_op(fd, KC_OP_TOUCH, key, klen, expire, flags);
}

int kc_persist(int fd, const void *key, size_t klen)
{
	struct kc_op op;

	return key_op(fd, &op, KC_OP_PERSIST, 0, key, klen);
}

int kc_ttl(int fd, const void *key, size_t klen, uint32_t flags, int64_t *ttl)
{
	struct kc_op op;
	int ret = key_op(fd, &op, KC_OP_TTL, flags, key, klen);

	if (!ret && ttl)
		*ttl = op.expire;
	return ret;
}

int kc_mget(int fd, const struct kc_buf *keys, size_t nkeys, void *buf,
	    size_t buflen, size_t *used, size_t *count)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_MGET);
	kc_op_args(&op, keys, nkeys);
	kc_op_out(&op, buf, buflen);
	ret = kc_do(fd, &op);
	if (ret && ret != -ENOSPC)
		return ret;
	if (used)
		*used = op.out_used;
	if (!ret && count)
		*count = (size_t)op.num;
	return ret;
}

int kc_mset(int fd, const struct kc_buf *kv, size_t nargs)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_MSET);
	kc_op_args(&op, kv, nargs);
	return kc_do(fd, &op);
}

void kc_elem_iter_init(struct kc_elem_iter *it, const void *buf, size_t used,
		       size_t count)
{
	it->buf = buf;
	it->len = used;
	it->off = 0;
	it->left = count;
	it->err = 0;
}

const struct kc_elem *kc_elem_next(struct kc_elem_iter *it, const void **data)
{
	const struct kc_elem *e;
	size_t room, step;

	if (!it->left || it->err)
		return NULL;
	room = it->len - it->off;
	if (room < sizeof(*e))
		goto bad;
	e = (const struct kc_elem *)(it->buf + it->off);
	/* KC_ELEM_SIZE() in size_t: a huge len must not wrap around. */
	step = sizeof(*e) + (((size_t)e->len + KC_ELEM_ALIGN - 1) &
			     ~(size_t)(KC_ELEM_ALIGN - 1));
	if (step > room)
		goto bad;
	if (data)
		*data = it->buf + it->off + sizeof(*e);
	it->off += step;
	it->left--;
	return e;
bad:
	it->err = -EBADMSG;
	return NULL;
}

int kc_stats(int fd, struct kc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, KC_IOC_STATS, st) ? -errno : 0;
}

int kc_class_stats(int fd, struct kc_class_stats *buf, size_t room,
		   size_t *count, size_t *nr_classes)
{
	struct kc_class_stats_req req = {
		.size = sizeof(req),
		.elem_size = sizeof(*buf),
		.count = clamp_u32(room),
		.buf = uptr(buf),
	};

	if (ioctl(fd, KC_IOC_CLASS_STATS, &req))
		return -errno;
	if (count)
		*count = req.count;
	if (nr_classes)
		*nr_classes = req.nr_classes;
	return 0;
}

int kc_config_get(int fd, struct kc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	return ioctl(fd, KC_IOC_CONFIG, cfg) ? -errno : 0;
}

int kc_config_set(int fd, uint32_t set_mask, struct kc_config *cfg)
{
	cfg->size = sizeof(*cfg);
	cfg->set_mask = set_mask;
	cfg->__reserved = 0;
	return ioctl(fd, KC_IOC_CONFIG, cfg) ? -errno : 0;
}

void kc_batch_init(struct kc_batch_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void kc_batch_exit(struct kc_batch_builder *b)
{
	free(b->ops);
	free(b->watch);
	memset(b, 0, sizeof(*b));
}

void kc_batch_reset(struct kc_batch_builder *b)
{
	b->count = 0;
	b->nwatch = 0;
	b->done = 0;
	b->result = 0;
}

/* Room for one more of elem bytes in *arr, up to max entries. */
static int grow(void **arr, uint32_t *cap, uint32_t used, uint32_t max,
		size_t elem)
{
	uint32_t ncap;
	void *p;

	if (used < *cap)
		return 0;
	if (used >= max)
		return -E2BIG;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct kc_op *kc_batch_add(struct kc_batch_builder *b, uint32_t opcode)
{
	struct kc_op *op;
	int ret;

	ret = grow((void **)&b->ops, &b->cap, b->count, KC_BATCH_MAX,
		   sizeof(*b->ops));
	if (ret) {
		errno = -ret;
		return NULL;
	}
	op = &b->ops[b->count++];
	kc_op_init(op, opcode);
	return op;
}

int kc_batch_watch(struct kc_batch_builder *b, const void *key, size_t klen,
		   uint64_t cas)
{
	struct kc_watch *w;
	int ret;

	ret = grow((void **)&b->watch, &b->watch_cap, b->nwatch, KC_WATCH_MAX,
		   sizeof(*b->watch));
	if (ret)
		return ret;
	w = &b->watch[b->nwatch++];
	w->key = uptr(key);
	w->key_len = clamp_u32(klen);
	w->__reserved = 0;
	w->cas = cas;
	return 0;
}

int kc_batch_submit(int fd, struct kc_batch_builder *b, uint32_t flags)
{
	struct kc_batch batch = {
		.size = sizeof(batch),
		.flags = flags,
		.count = b->count,
		.op_size = sizeof(struct kc_op),
		.ops = uptr(b->ops),
		.watch = uptr(b->watch),
		.nwatch = b->nwatch,
	};

	if (ioctl(fd, KC_IOC_BATCH, &batch))
		return -errno;
	b->done = batch.done;
	b->result = batch.result;
	return batch.result;
}

const char *kc_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:			return "success";
	case ENOENT:		return "no such key";
	case EEXIST:		return "condition not met (key exists or CAS differs)";
	case E2BIG:		return "value too large";
	case ENAMETOOLONG:	return "key too long";
	case EINVAL:		return "invalid argument";
	case ENOMEM:		return "out of memory";
	case EOVERFLOW:		return "integer overflow";
	case EDOM:		return "not an integer";
	case EPROTOTYPE:	return "wrong type";
	case ENOSPC:		return "reply buffer too small";
	case EFAULT:		return "bad address";
	case EPERM:		return "operation not permitted (needs CAP_SYS_ADMIN)";
	case EOPNOTSUPP:	return "unknown operation";
	case ECANCELED:		return "transaction aborted: a watched key changed";
	case ENOTTY:		return "not a kcache device, or unknown ioctl";
	case EBADMSG:		return "malformed reply";
	default:		return strerror(err < 0 ? -err : err);
	}
}
