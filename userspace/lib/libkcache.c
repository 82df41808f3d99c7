// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache - requests for /dev/kcache.  See libkcache.h for conventions.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
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

int kc_do_fd(void *ctx, struct kc_op *op)
{
	return kc_do(*(int *)ctx, op);
}

int kc_get_via(kc_run_fn run, void *ctx, const void *key, size_t klen,
	       void *buf, size_t buflen, size_t *vlen, uint64_t *cas,
	       uint32_t *client_flags)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, key, klen);
	kc_op_out(&op, buf, buflen);
	ret = run(ctx, &op);
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

int kc_get(int fd, const void *key, size_t klen, void *buf, size_t buflen,
	   size_t *vlen, uint64_t *cas, uint32_t *client_flags)
{
	return kc_get_via(kc_do_fd, &fd, key, klen, buf, buflen, vlen, cas,
			  client_flags);
}

int kc_op_alloc_via(kc_run_fn run, void *ctx, struct kc_op *op, void **out)
{
	const struct kc_op in = *op;
	size_t size = GET_ALLOC_FIRST;
	void *buf = NULL, *p;
	int tries, ret = -ENOSPC;

	*out = NULL;
	for (tries = 0; tries < GET_ALLOC_TRIES && ret == -ENOSPC; tries++) {
		p = realloc(buf, size ? size : 1);
		if (!p) {
			ret = -ENOMEM;
			goto out;
		}
		buf = p;
		*op = in;
		kc_op_out(op, buf, size);
		ret = run(ctx, op);
		/* The value may grow between calls; ask for what it is now. */
		size = op->out_used;
	}
	if (ret)
		goto out;
	*out = buf;
	buf = NULL;
out:
	free(buf);
	return ret;
}

int kc_get_alloc_via(kc_run_fn run, void *ctx, const void *key, size_t klen,
		     void **val, size_t *vlen, uint64_t *cas,
		     uint32_t *client_flags)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, key, klen);
	ret = kc_op_alloc_via(run, ctx, &op, val);
	if (ret)
		return ret;
	if (vlen)
		*vlen = op.out_used;
	if (cas)
		*cas = op.cas;
	if (client_flags)
		*client_flags = op.client_flags;
	return 0;
}

int kc_get_alloc(int fd, const void *key, size_t klen, void **val,
		 size_t *vlen, uint64_t *cas, uint32_t *client_flags)
{
	return kc_get_alloc_via(kc_do_fd, &fd, key, klen, val, vlen, cas,
				client_flags);
}

int kc_store_via(kc_run_fn run, void *ctx, uint32_t opcode, uint32_t flags,
		 const void *key, size_t klen, const void *val, size_t vlen,
		 uint32_t client_flags, int64_t expire, uint64_t *cas)
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
	ret = run(ctx, &op);
	if (!ret && cas)
		*cas = op.cas;
	return ret;
}

int kc_store(int fd, uint32_t opcode, uint32_t flags, const void *key,
	     size_t klen, const void *val, size_t vlen, uint32_t client_flags,
	     int64_t expire, uint64_t *cas)
{
	return kc_store_via(kc_do_fd, &fd, opcode, flags, key, klen, val, vlen,
			    client_flags, expire, cas);
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

int kc_dbsize(int fd, uint32_t db, uint64_t *keys)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_DBSIZE);
	op.db = db;
	ret = kc_do(fd, &op);
	if (!ret && keys)
		*keys = (uint64_t)op.num;
	return ret;
}

int kc_flushdb(int fd, uint32_t db)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_FLUSH);
	op.flags = KC_FLUSH_DB;
	op.db = db;
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
	w->db = 0;
	w->cas = cas;
	return 0;
}

int kc_batch_ioctl(int fd, struct kc_op *ops, uint32_t n, uint32_t flags,
		   const struct kc_watch *watch, uint32_t nwatch,
		   uint32_t *done, int *result)
{
	struct kc_batch batch = {
		.size = sizeof(batch),
		.flags = flags,
		.count = n,
		.op_size = sizeof(struct kc_op),
		.ops = uptr(ops),
		.watch = nwatch ? uptr(watch) : 0,
		.nwatch = nwatch,
	};

	if (ioctl(fd, KC_IOC_BATCH, &batch))
		return -errno;
	*done = batch.done;
	*result = batch.result;
	return 0;
}

int kc_batch_submit(int fd, struct kc_batch_builder *b, uint32_t flags)
{
	uint32_t done = 0;
	int ret, result = 0;

	ret = kc_batch_ioctl(fd, b->ops, b->count, flags, b->watch, b->nwatch,
			  &done, &result);
	if (ret)
		return ret;
	b->done = done;
	b->result = result;
	return result;
}

int kc_batch_run(int fd, struct kc_op *ops, size_t n, uint32_t flags,
		 const struct kc_watch *watch, size_t nwatch, size_t *done)
{
	size_t from = 0, i;
	uint32_t ran = 0;
	int ret, result = 0;

	if (done)
		*done = 0;
	if ((flags & KC_BATCH_TXN) || nwatch) {
		if (n > KC_BATCH_MAX || nwatch > KC_WATCH_MAX) {
			ret = -EINVAL;
			goto unrun;
		}
		ret = kc_batch_ioctl(fd, ops, (uint32_t)n, flags, watch,
				  (uint32_t)nwatch, &ran, &result);
		if (ret)
			goto unrun;
		/*
		 * The kernel wrote every op back: the ones that did not run
		 * say -ECANCELED or why the transaction was rejected.
		 */
		from = ran;
		ret = result;
		goto out;
	}
	while (from < n) {
		uint32_t chunk = n - from > KC_BATCH_MAX ? KC_BATCH_MAX :
			(uint32_t)(n - from);

		ret = kc_batch_ioctl(fd, ops + from, chunk, flags, NULL, 0, &ran,
				  &result);
		if (ret)
			goto unrun;
		from += ran;
		if (result || ran < chunk) {
			ret = result ? result : -EIO;
			goto unrun;
		}
	}
	ret = 0;
	goto out;
unrun:
	/* The kernel did not write these back: no op keeps a 0 it never got. */
	for (i = from; i < n; i++)
		ops[i].result = ret;
out:
	if (done)
		*done = from;
	return ret;
}

/*
 * struct kc_pipe.  Inputs are kept apart from the kc_op records the kernel
 * sees (struct pipe_op), and the records are built afresh for every run:
 * the kernel writes outputs over in/out fields (cas, expire, num), and
 * pointers into the copied inputs and the reply arena are only known once
 * those stopped growing.
 */

/* Input bytes: the caller's pointer (borrowed) or an offset into p->in. */
struct pipe_ref {
	const void *ptr;
	size_t off;
	uint32_t len;
	bool copied;
};

struct pipe_op {
	uint32_t opcode, flags, client_flags, db;
	int64_t expire, num, num2;
	uint64_t cas;
	struct pipe_ref key, val;
	uint32_t nargs;
	size_t room;		/* reply bytes from the arena */
	void *rbuf;		/* or the caller's reply buffer */
	size_t rlen;
};

struct pipe_arg {
	size_t op;
	struct pipe_ref ref;
};

struct pipe_watch {
	struct pipe_ref key;
	uint32_t db;
	uint64_t cas;
};

struct kc_pipe {
	unsigned int flags;
	uint32_t db;		/* of the ops and watches added next */
	struct pipe_op *po;
	size_t nops, po_cap;
	struct pipe_arg *pa;
	size_t nargs, pa_cap;
	struct pipe_watch *pw;
	size_t nwatch, pw_cap;
	char *in;		/* copied inputs */
	size_t in_len, in_cap;
	/* Built by a run. */
	struct kc_op *ops;
	size_t ops_cap, nrun, done;
	struct kc_buf *bufs;
	size_t bufs_cap;
	struct kc_watch *watch;
	size_t watch_cap;
	char *arena;		/* the pipe's own reply arena */
	size_t arena_cap;
	char *uarena;		/* or the caller's */
	size_t uarena_size;
};

/* Makes room for want entries of size bytes in *arr (capacity *cap). */
static int reserve(void **arr, size_t *cap, size_t want, size_t size)
{
	size_t ncap;
	void *p;

	if (want <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2 / size)
			return -ENOMEM;
		ncap *= 2;
	}
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

struct kc_pipe *kc_pipe_new(unsigned int flags)
{
	struct kc_pipe *p;

	if (flags & ~KC_PIPE_BORROW) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->flags = flags;
	return p;
}

void kc_pipe_free(struct kc_pipe *p)
{
	if (!p)
		return;
	free(p->po);
	free(p->pa);
	free(p->pw);
	free(p->in);
	free(p->ops);
	free(p->bufs);
	free(p->watch);
	free(p->arena);
	free(p);
}

void kc_pipe_reset(struct kc_pipe *p)
{
	p->nops = 0;
	p->nargs = 0;
	p->nwatch = 0;
	p->in_len = 0;
	p->nrun = 0;
	p->done = 0;
}

size_t kc_pipe_count(const struct kc_pipe *p)
{
	return p->nops;
}

void kc_pipe_select(struct kc_pipe *p, uint32_t db)
{
	p->db = db;
}

/* Keeps len bytes at data for the pipe: copied, or borrowed. */
static int pipe_ref(struct kc_pipe *p, struct pipe_ref *r, const void *data,
		    size_t len)
{
	size_t off;
	int ret;

	if (len > UINT32_MAX)
		return -E2BIG;
	memset(r, 0, sizeof(*r));
	r->len = (uint32_t)len;
	if ((p->flags & KC_PIPE_BORROW) || !len) {
		r->ptr = data;
		return 0;
	}
	off = (p->in_len + 7) & ~(size_t)7;
	if (off + len < off)
		return -ENOMEM;
	ret = reserve((void **)&p->in, &p->in_cap, off + len, 1);
	if (ret)
		return ret;
	memcpy(p->in + off, data, len);
	p->in_len = off + len;
	r->off = off;
	r->copied = true;
	return 0;
}

static const void *pipe_deref(const struct kc_pipe *p,
			      const struct pipe_ref *r)
{
	return r->copied ? p->in + r->off : r->ptr;
}

static struct pipe_op *pipe_op(struct kc_pipe *p, size_t i)
{
	return i < p->nops ? &p->po[i] : NULL;
}

int kc_pipe_add(struct kc_pipe *p, uint32_t opcode)
{
	int ret;

	if (p->nops >= INT32_MAX)
		return -E2BIG;
	ret = reserve((void **)&p->po, &p->po_cap, p->nops + 1,
		      sizeof(*p->po));
	if (ret)
		return ret;
	memset(&p->po[p->nops], 0, sizeof(p->po[0]));
	p->po[p->nops].opcode = opcode;
	p->po[p->nops].db = p->db;
	return (int)p->nops++;
}

int kc_pipe_add_key(struct kc_pipe *p, uint32_t opcode, const void *key,
		    size_t klen)
{
	int i = kc_pipe_add(p, opcode), ret;

	if (i < 0)
		return i;
	ret = kc_pipe_set_key(p, (size_t)i, key, klen);
	if (ret) {
		p->nops--;
		return ret;
	}
	return i;
}

int kc_pipe_set_key(struct kc_pipe *p, size_t i, const void *key,
		    size_t klen)
{
	struct pipe_op *o = pipe_op(p, i);

	return o ? pipe_ref(p, &o->key, key, klen) : -EINVAL;
}

int kc_pipe_set_val(struct kc_pipe *p, size_t i, const void *val,
		    size_t vlen)
{
	struct pipe_op *o = pipe_op(p, i);

	return o ? pipe_ref(p, &o->val, val, vlen) : -EINVAL;
}

int kc_pipe_set_arg(struct kc_pipe *p, size_t i, const void *data,
		    size_t len)
{
	struct pipe_op *o = pipe_op(p, i);
	struct pipe_arg *a;
	int ret;

	if (!o)
		return -EINVAL;
	if (o->nargs >= UINT32_MAX)
		return -E2BIG;
	ret = reserve((void **)&p->pa, &p->pa_cap, p->nargs + 1,
		      sizeof(*p->pa));
	if (ret)
		return ret;
	a = &p->pa[p->nargs];
	ret = pipe_ref(p, &a->ref, data, len);
	if (ret)
		return ret;
	a->op = i;
	p->nargs++;
	o->nargs++;
	return 0;
}

int kc_pipe_set_flags(struct kc_pipe *p, size_t i, uint32_t flags)
{
	struct pipe_op *o = pipe_op(p, i);

	if (!o)
		return -EINVAL;
	o->flags = flags;
	return 0;
}

int kc_pipe_set_expire(struct kc_pipe *p, size_t i, int64_t expire)
{
	struct pipe_op *o = pipe_op(p, i);

	if (!o)
		return -EINVAL;
	o->expire = expire;
	return 0;
}

int kc_pipe_set_cas(struct kc_pipe *p, size_t i, uint64_t cas)
{
	struct pipe_op *o = pipe_op(p, i);

	if (!o)
		return -EINVAL;
	o->cas = cas;
	return 0;
}

int kc_pipe_set_num(struct kc_pipe *p, size_t i, int64_t num, int64_t num2)
{
	struct pipe_op *o = pipe_op(p, i);

	if (!o)
		return -EINVAL;
	o->num = num;
	o->num2 = num2;
	return 0;
}

int kc_pipe_set_client_flags(struct kc_pipe *p, size_t i,
			     uint32_t client_flags)
{
	struct pipe_op *o = pipe_op(p, i);

	if (!o)
		return -EINVAL;
	o->client_flags = client_flags;
	return 0;
}

int kc_pipe_set_reply(struct kc_pipe *p, size_t i, size_t room)
{
	struct pipe_op *o = pipe_op(p, i);

	if (!o)
		return -EINVAL;
	if (room > UINT32_MAX)
		return -E2BIG;
	o->room = room;
	o->rbuf = NULL;
	o->rlen = 0;
	return 0;
}

int kc_pipe_set_reply_buf(struct kc_pipe *p, size_t i, void *buf, size_t len)
{
	struct pipe_op *o = pipe_op(p, i);

	if (!o || (!buf && len))
		return -EINVAL;
	if (len > UINT32_MAX)
		return -E2BIG;
	o->room = 0;
	o->rbuf = buf;
	o->rlen = len;
	return 0;
}

int kc_pipe_set_arena(struct kc_pipe *p, void *buf, size_t size)
{
	if (!buf && size)
		return -EINVAL;
	p->uarena = buf;
	p->uarena_size = buf ? size : 0;
	return 0;
}

int kc_pipe_watch(struct kc_pipe *p, const void *key, size_t klen,
		  uint64_t cas)
{
	struct pipe_watch *w;
	int ret;

	if (p->nwatch >= KC_WATCH_MAX)
		return -E2BIG;
	ret = reserve((void **)&p->pw, &p->pw_cap, p->nwatch + 1,
		      sizeof(*p->pw));
	if (ret)
		return ret;
	w = &p->pw[p->nwatch];
	ret = pipe_ref(p, &w->key, key, klen);
	if (ret)
		return ret;
	w->db = p->db;
	w->cas = cas;
	p->nwatch++;
	return 0;
}

static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* The kc_op records, their argument arrays, reply rooms and watches. */
static int pipe_build(struct kc_pipe *p)
{
	size_t i, room = 0, *first = NULL;
	char *arena;
	int ret;

	p->nrun = 0;
	p->done = 0;
	for (i = 0; i < p->nops; i++) {
		if (round8(p->po[i].room) < p->po[i].room ||
		    room + round8(p->po[i].room) < room)
			return -ENOMEM;
		room += round8(p->po[i].room);
	}
	if (p->uarena) {
		if (room > p->uarena_size)
			return -ENOBUFS;
		arena = p->uarena;
	} else {
		ret = reserve((void **)&p->arena, &p->arena_cap, room, 1);
		if (ret)
			return ret;
		arena = p->arena;
	}
	ret = reserve((void **)&p->ops, &p->ops_cap, p->nops, sizeof(*p->ops));
	if (!ret)
		ret = reserve((void **)&p->bufs, &p->bufs_cap, p->nargs,
			      sizeof(*p->bufs));
	if (!ret)
		ret = reserve((void **)&p->watch, &p->watch_cap, p->nwatch,
			      sizeof(*p->watch));
	if (ret)
		return ret;
	/* Each op's arguments are a run of bufs, in the order they came. */
	if (p->nargs) {
		first = calloc(p->nops + 1, sizeof(*first));
		if (!first)
			return -ENOMEM;
		for (i = 0; i < p->nops; i++)
			first[i + 1] = first[i] + p->po[i].nargs;
		for (i = 0; i < p->nargs; i++) {
			const struct pipe_arg *a = &p->pa[i];

			kc_buf_set(&p->bufs[first[a->op]++],
				   pipe_deref(p, &a->ref), a->ref.len);
		}
	}
	for (i = 0; i < p->nops; i++) {
		const struct pipe_op *o = &p->po[i];
		struct kc_op *op = &p->ops[i];

		kc_op_init(op, o->opcode);
		op->flags = o->flags;
		kc_op_key(op, pipe_deref(p, &o->key), o->key.len);
		kc_op_val(op, pipe_deref(p, &o->val), o->val.len);
		if (o->nargs)	/* first[i] is now the end of op i's run */
			kc_op_args(op, p->bufs + first[i] - o->nargs,
				   o->nargs);
		if (o->rbuf) {
			kc_op_out(op, o->rbuf, o->rlen);
		} else if (o->room) {
			kc_op_out(op, arena, o->room);
			arena += round8(o->room);
		}
		op->client_flags = o->client_flags;
		op->expire = o->expire;
		op->cas = o->cas;
		op->num = o->num;
		op->num2 = o->num2;
		op->db = o->db;
	}
	free(first);
	for (i = 0; i < p->nwatch; i++) {
		struct kc_watch *w = &p->watch[i];

		memset(w, 0, sizeof(*w));
		w->key = uptr(pipe_deref(p, &p->pw[i].key));
		w->key_len = p->pw[i].key.len;
		w->db = p->pw[i].db;
		w->cas = p->pw[i].cas;
	}
	p->nrun = p->nops;
	return 0;
}

static int pipe_submit(int fd, struct kc_pipe *p, uint32_t flags)
{
	int ret = pipe_build(p);

	if (ret) {
		p->nrun = 0;
		return ret;
	}
	return kc_batch_run(fd, p->ops, p->nops, flags, p->watch,
			    (flags & KC_BATCH_TXN) ? p->nwatch : 0, &p->done);
}

int kc_pipe_run(int fd, struct kc_pipe *p)
{
	if (p->nwatch)
		return -EINVAL;
	return pipe_submit(fd, p, 0);
}

int kc_pipe_exec(int fd, struct kc_pipe *p)
{
	return pipe_submit(fd, p, KC_BATCH_TXN);
}

size_t kc_pipe_done(const struct kc_pipe *p)
{
	return p->done;
}

/* The record of op i after a run, or NULL. */
static const struct kc_op *pipe_res(const struct kc_pipe *p, size_t i)
{
	return i < p->nrun ? &p->ops[i] : NULL;
}

int kc_pipe_result(const struct kc_pipe *p, size_t i)
{
	const struct kc_op *op = pipe_res(p, i);

	if (op)
		return op->result;
	return i < p->nops ? -ENODATA : -EINVAL;
}

const void *kc_pipe_reply(const struct kc_pipe *p, size_t i, size_t *len)
{
	const struct kc_op *op = pipe_res(p, i);

	if (len)
		*len = op ? op->out_used : 0;
	if (!op || !op->out || op->result == -ENOSPC)
		return NULL;
	return (const void *)(uintptr_t)op->out;
}

int64_t kc_pipe_num(const struct kc_pipe *p, size_t i)
{
	const struct kc_op *op = pipe_res(p, i);

	return op ? op->num : 0;
}

uint64_t kc_pipe_cas(const struct kc_pipe *p, size_t i)
{
	const struct kc_op *op = pipe_res(p, i);

	return op ? op->cas : 0;
}

uint32_t kc_pipe_client_flags(const struct kc_pipe *p, size_t i)
{
	const struct kc_op *op = pipe_res(p, i);

	return op ? op->client_flags : 0;
}

int64_t kc_pipe_expire(const struct kc_pipe *p, size_t i)
{
	const struct kc_op *op = pipe_res(p, i);

	return op ? op->expire : 0;
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

uint32_t kc_read_op(uint32_t type)
{
	switch (type) {
	case KC_TYPE_STRING:
		return KC_OP_GET;
	case KC_TYPE_LIST:
		return KC_OP_LRANGE;
	case KC_TYPE_HASH:
		return KC_OP_HGETALL;
	case KC_TYPE_SET:
		return KC_OP_SMEMBERS;
	case KC_TYPE_ZSET:
		return KC_OP_ZRANGE;
	}
	return 0;
}
