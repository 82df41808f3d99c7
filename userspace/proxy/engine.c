// SPDX-License-Identifier: GPL-2.0
/*
 * The batch engine: commands parsed from the reads of one epoll_wait()
 * pass become kc_op records in one array and run with one KC_IOC_BATCH (libkcache's kc_batch_run(),
 * split only past KC_BATCH_MAX), then their replies are written in order,
 * rendered straight from the records.
 *
 * Reply buffers come from an arena: one large private anonymous mapping
 * with MAP_NORESERVE, so every value op can be given item_size_max bytes
 * of room (the kernel never answers -ENOSPC, and no op has to be re-run
 * out of order) while only the pages the kernel writes to become memory.
 * When the replies of past batches have touched much of it, the pages are
 * given back with MADV_DONTNEED.  The arena is kept out of transparent
 * huge pages: replies land item_size_max apart, so with THP each small
 * value would cost 2 MiB, and a pipeline of a few thousand GETs would
 * take gigabytes.
 *
 * With --transport netlink (e->nl set) the same ops go to the kernel as
 * KC_CMD_OP messages instead (knl.c), which fills them as the ioctl
 * would; transactions still need KC_IOC_BATCH, the only atomic path.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "conn.h"
#include "cmdstats.h"
#include "engine.h"
#include "knl.h"
#include "libkcache.h"

#define ARENA_TRIM	(32U << 20)	/* give back after this many bytes */
static size_t round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

size_t eng_val_room(void)
{
	uint32_t max = __atomic_load_n(&kinfo.item_size_max, __ATOMIC_RELAXED);

	return round8(max ? max : 1 << 20);
}

/*
 * Reply room one batch may reserve outside a transaction: 64 value ops
 * (64 MiB with the default 1 MiB item_size_max), or one LRANGE-like op.
 * The kernel may fill all of it, and the replies are then copied to the
 * client's output buffer, so this bounds what one read of a pipelining
 * client costs before the server looks at its output buffer again (and
 * pauses or drops it).  Without it a single 64 KiB read of GETs of a large
 * value filled gigabytes.  It grows with item_size_max so that a module
 * loaded for larger values still runs 64 GETs per system call.
 */
static size_t batch_room(const struct engine *e)
{
	size_t room = 64 * eng_val_room();

	if (room < (64U << 20))
		room = 64U << 20;
	return room < e->arena_size ? room : e->arena_size;
}

size_t eng_multi_room(void)
{
	return KC_REPLY_MAX;
}

int eng_init(struct engine *e, int fd, struct knl *nl)
{
	/*
	 * A transaction cannot be split or re-run, so each of its ops is
	 * given its worst case: KC_BATCH_MAX GETs of the largest value
	 * item_size_max may be raised to need KC_BATCH_MAX x
	 * KC_ITEM_SIZE_LIMIT (2 TiB) of address space, which MAP_NORESERVE
	 * gives for free on 64-bit (47 bits of it).  Smaller sizes are for
	 * smaller address spaces and strict overcommit
	 * (vm.overcommit_memory=2), where a transaction holds fewer such ops.
	 */
	static const size_t sizes[] = {
		(size_t)KC_BATCH_MAX * KC_ITEM_SIZE_LIMIT + (4ULL << 30),
		(size_t)KC_BATCH_MAX * KC_REPLY_MAX + (4ULL << 30),
		4ULL << 30, 1ULL << 30, 256U << 20,
	};
	size_t i;

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->nl = nl;
	buf_init(&e->scratch);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p = mmap(NULL, sizes[i], PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);

		if (p != MAP_FAILED) {
			e->arena = p;
			e->arena_size = sizes[i];
			madvise(p, sizes[i], MADV_NOHUGEPAGE);
			break;
		}
	}
	if (!e->arena)
		return -ENOMEM;
	if (e->arena_size < eng_multi_room() + 2 * eng_val_room()) {
		log_err("item_size_max %u is too large for a %zu MiB reply arena",
			kinfo.item_size_max, e->arena_size >> 20);
		return -E2BIG;
	}
	return 0;
}

void eng_exit(struct engine *e)
{
	if (e->arena)
		munmap(e->arena, e->arena_size);
	free(e->ops);
	free(e->recs);
	buf_free(&e->scratch);
	memset(e, 0, sizeof(*e));
}

struct rec *eng_rec(struct engine *e, struct conn *c, render_fn fn,
		    size_t arena)
{
	struct rec *r;

	arena = round8(arena);
	if (e->arena_used + arena > (e->txn ? e->arena_size : batch_room(e)) ||
	    e->nops >= KC_BATCH_MAX) {
		if (e->txn) {
			/* Never submitted: let the handler scribble. */
			e->txn_overflow = true;
			e->arena_used = 0;
		} else {
			eng_flush(e);
		}
	}
	if (e->nrecs == e->recs_cap) {
		size_t ncap = e->recs_cap ? e->recs_cap * 2 : 64;
		struct rec *p = realloc(e->recs, ncap * sizeof(*p));

		if (!p) {
			/* Run what we have; the array then has room. */
			if (e->txn) {
				e->txn_overflow = true;
				e->nrecs = 0;
			} else {
				eng_flush(e);
			}
			p = e->recs;
			if (!p)
				abort();
		} else {
			e->recs = p;
			e->recs_cap = ncap;
		}
	}
	r = &e->recs[e->nrecs++];
	memset(r, 0, sizeof(*r));
	r->fn = fn;
	r->c = c;
	r->op0 = e->nops;
	r->db = e->db;
	r->after = e->after;
	r->tag = e->tag;
	r->mute = e->mute && e->mute == c;
	r->cs_on = e->cs_on;
	r->cs_rej = e->cs_rej;
	r->cs = e->cs;
	r->seq = e->seq;
	return r;
}

struct kc_op *eng_op(struct engine *e, struct rec *r, uint32_t opcode)
{
	struct kc_op *op;

	if (e->nops == e->ops_cap) {
		uint32_t ncap = e->ops_cap ? e->ops_cap * 2 : 256;
		struct kc_op *p = realloc(e->ops, (size_t)ncap * sizeof(*p));

		if (!p)
			abort();	/* a few hundred KiB: nothing to save */
		e->ops = p;
		e->ops_cap = ncap;
	}
	if (e->txn && e->nops >= KC_BATCH_MAX)
		e->txn_overflow = true;
	op = &e->ops[e->nops++];
	kc_op_init(op, opcode);
	op->db = e->db;
	r->nops++;
	return op;
}

void *eng_alloc(struct engine *e, size_t n)
{
	void *p;

	n = round8(n);
	if (e->arena_used + n > e->arena_size) {
		/* Only reachable for a transaction that already overflowed. */
		e->txn_overflow = true;
		e->arena_used = 0;
	}
	p = e->arena + e->arena_used;
	e->arena_used += n;
	return p;
}

void eng_op_outval(struct engine *e, struct kc_op *op)
{
	size_t n = eng_val_room();

	kc_op_out(op, eng_alloc(e, n), n);
}

static void render_static(struct conn *c, struct rec *r, struct kc_op *ops)
{
	(void)ops;
	buf_add(&c->out, r->p, r->s_len);
}

struct buf *eng_out(struct engine *e, struct conn *c)
{
	struct rec *r;

	if (!e->nrecs && !e->txn && e->mute != c) {
		if (e->cs_on && e->direct_at == SIZE_MAX)
			e->direct_at = c->out.len;
		return &c->out;
	}
	if (e->nrecs && e->recs[e->nrecs - 1].fn == render_static &&
	    e->recs[e->nrecs - 1].c == c &&
	    e->recs[e->nrecs - 1].mute == (e->mute == c) &&
	    e->recs[e->nrecs - 1].seq == e->seq)
		return &e->scratch;
	r = eng_rec(e, c, render_static, 0);
	r->s_off = e->scratch.len;
	return &e->scratch;
}

/* Static records learn their length once nothing more is added. */
static void seal_static(struct engine *e)
{
	size_t end = e->scratch.len, i = e->nrecs;

	while (i--) {
		struct rec *r = &e->recs[i];

		if (r->fn != render_static)
			continue;
		r->s_len = end - r->s_off;
		r->p = e->scratch.data + r->s_off;
		end = r->s_off;
	}
}

/* --transport netlink: ops[0..n) as KC_CMD_OP messages (knl.c). */
static void nl_run(struct engine *e, struct kc_op *ops, uint32_t n)
{
	uint32_t i, lost = 0;

	STAT_ADD(nl_ops, n);
	knl_run(e->nl, ops, n);
	for (i = 0; i < n; i++)
		lost += ops[i].result == -ENOBUFS;
	if (lost)
		log_warn("netlink: %u of %u replies lost (receive buffer overrun); their commands answered an error",
			 lost, n);
}

/*
 * Runs ops[from, to) in batches of at most KC_BATCH_MAX; libkcache marks
 * the ops that did not run.  A batch that fails leaves the next ones to
 * run: they are other clients' commands.
 */
static void submit(struct engine *e, uint32_t from, uint32_t to)
{
	if (e->nl && from < to) {
		nl_run(e, e->ops + from, to - from);
		return;
	}
	while (from < to) {
		uint32_t n = to - from;
		int err;

		if (n > KC_BATCH_MAX)
			n = KC_BATCH_MAX;
		STAT_ADD(ioctls, 1);
		err = kc_batch_run(e->fd, e->ops + from, n, 0, NULL, 0, NULL);
		if (err)
			log_err("KC_IOC_BATCH of %u ops failed: %s", n,
				kc_strerror(err));
		from += n;
	}
}

static void finish(struct engine *e)
{
	uint32_t db = e->db;
	size_t i, used = 0;

	seal_static(e);
	/*
	 * Each renders in its own database; the flush may come in the middle
	 * of a command (RX_SYNC, a full arena), which then goes on in its own.
	 */
	for (i = 0; i < e->nrecs; i++) {
		struct rec *r = &e->recs[i];
		size_t at = r->c->out.len;

		e->db = r->db;
		r->fn(r->c, r, e->ops + r->op0);
		if (r->after)
			r->after(r->c, r, e->ops + r->op0, at);
		if (r->cs_on && r->c->out.len > at && r->c->out.data[at] == '-')
			cs_error(r->cs, r->cs_rej, r->c->out.data + at,
				 r->c->out.len - at);
		if (r->mute)
			r->c->out.len = at;
	}
	e->db = db;
	/* A reply costs whole pages, wherever it lands. */
	for (i = 0; i < e->nops; i++)
		if (e->ops[i].out_len && e->ops[i].result != -ENOSPC &&
		    e->ops[i].out_used)
			used += ((size_t)e->ops[i].out_used + 8191) &
				~(size_t)4095;
	e->touched += used;
	if (e->arena_used > e->hiwater)
		e->hiwater = e->arena_used;
	if (e->touched > ARENA_TRIM) {
		madvise(e->arena, (e->hiwater + 4095) & ~(size_t)4095,
			MADV_DONTNEED);
		e->touched = 0;
		e->hiwater = 0;
	}
	e->nops = 0;
	e->nrecs = 0;
	e->arena_used = 0;
	e->scratch.len = 0;
	e->scratch.oom = false;
}

void eng_flush(struct engine *e)
{
	if (!e->nrecs && !e->nops)
		return;
	if (e->nops)
		submit(e, 0, e->nops);
	finish(e);
}

int eng_do(struct engine *e, struct kc_op *op)
{
	op->db = e->db;
	if (e->nl) {
		nl_run(e, op, 1);
		return op->result;
	}
	STAT_ADD(ioctls, 1);
	return kc_do(e->fd, op);
}

/* eng_do() as libkcache's kc_run_fn. */
static int run_one(void *ctx, struct kc_op *op)
{
	return eng_do(ctx, op);
}

int eng_get_alloc(struct engine *e, const void *key, size_t klen, void **val,
		  size_t *vlen, uint64_t *cas, uint32_t *cflags)
{
	return kc_get_alloc_via(run_one, e, key, klen, val, vlen, cas, cflags);
}

int eng_op_alloc(struct engine *e, struct kc_op *op, void **out)
{
	return kc_op_alloc_via(run_one, e, op, out);
}

int eng_store(struct engine *e, uint32_t opcode, uint32_t flags,
	      const void *key, size_t klen, const void *val, size_t vlen,
	      uint32_t cflags, int64_t expire, uint64_t *cas)
{
	return kc_store_via(run_one, e, opcode, flags, key, klen, val, vlen,
			    cflags, expire, cas);
}

void eng_txn_begin(struct engine *e)
{
	eng_flush(e);
	e->txn = true;
	e->txn_overflow = false;
}

void eng_txn_abort(struct engine *e)
{
	e->nops = 0;
	e->nrecs = 0;
	e->arena_used = 0;
	e->scratch.len = 0;
	e->txn = false;
	e->txn_overflow = false;
}

int eng_txn_run(struct engine *e, const struct kc_watch *w, uint32_t nwatch)
{
	uint32_t done = 0, i;
	int err, result = 0;

	if (e->txn_overflow) {
		eng_txn_abort(e);
		return -E2BIG;
	}
	if (!e->nops && !nwatch)
		return 0;	/* nothing for the kernel to do */
	STAT_ADD(ioctls, 1);
	err = kc_batch_ioctl(e->fd, e->ops, e->nops, KC_BATCH_TXN, w, nwatch,
			     &done, &result);
	if (!err && result == -ECANCELED)
		err = -ECANCELED;
	if (err) {
		eng_txn_abort(e);
		return err;
	}
	/*
	 * Inputs over KC_INPUT_MAX (a SET of more than 128 MiB): the kernel
	 * refused the whole transaction, and the command that cannot be run
	 * this way is said (-EFBIG).
	 */
	for (i = done; result == -EINVAL && i < e->nops; i++) {
		if (e->ops[i].result == -E2BIG) {
			eng_txn_abort(e);
			return -EFBIG;
		}
	}
	/* A transaction the kernel refused: every command answers why. */
	for (i = done; i < e->nops; i++)
		e->ops[i].result = result ? result : -EIO;
	return 0;
}

void eng_txn_render(struct engine *e)
{
	e->txn = false;
	finish(e);
}
