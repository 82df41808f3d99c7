/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache-proxy: the batch engine (engine.c).  A worker's handlers plan
 * kernel operations as kc_op records with the reply each will render; the
 * engine runs everything one epoll_wait() pass planned (every ready
 * connection's requests, server.c) in one KC_IOC_BATCH through
 * libkcache (or KC_CMD_OP messages with --transport netlink), then calls
 * the renderers in order.  MULTI/EXEC and MSETNX collect a transaction
 * instead.
 *
 * Every op goes to the engine's current database (engine.db, as kc_op.db):
 * the dispatchers set it before a command runs (redis.c from the
 * connection's SELECT, memcached always 0, blocking.c from the parked
 * command), and a command that addresses another database (MOVE's target
 * is an argument, COPY ... DB n) sets it around its own ops.  A record
 * remembers the database it was planned in and renders in it, so that a
 * renderer that runs an op again (SCAN over netlink) stays there.
 */
#ifndef KCP_ENGINE_H
#define KCP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kcache.h>

#include "buf.h"

struct conn;
struct rec;
struct knl;

/* Writes a command's reply once its operations ran; ops are its own. */
typedef void (*render_fn)(struct conn *c, struct rec *r, struct kc_op *ops);
/*
 * Runs after a record's renderer; at is where its reply starts in c->out.
 * The keyspace notifications (notify.c) look there at what a command did.
 */
typedef void (*after_fn)(struct conn *c, struct rec *r, struct kc_op *ops,
			 size_t at);

/* One command (or part of one) waiting for the batch to run. */
struct cmdstat;

struct rec {
	render_fn fn;
	struct conn *c;
	uint32_t op0, nops;
	int64_t a, b;		/* the handler's own data */
	uint32_t flags;
	uint32_t db;		/* engine.db when it was planned */
	size_t s_off, s_len;	/* static replies: bytes in engine.scratch */
	const void *p;		/* the handler's own pointer (into the arena) */
	size_t plen;
	after_fn after;		/* engine.after and .tag when it was planned */
	const void *tag;
	render_fn inner;	/* a split command: each chunk's renderer */
	uint32_t chunks;	/* its ops[0..chunks) are the chunks */
	bool mute;		/* CLIENT REPLY OFF/SKIP: rendered, then dropped */
	bool cs_on, cs_rej;	/* engine.cs_on, .cs_rej when it was planned */
	struct cmdstat *cs;	/* and engine.cs: an error reply is counted */
	uint64_t seq;		/* engine.seq: the command it answers */
};

struct engine {
	int fd;			/* /dev/kcache */
	struct knl *nl;		/* --transport netlink: its socket */
	struct kc_op *ops;
	uint32_t nops, ops_cap;
	struct rec *recs;
	size_t nrecs, recs_cap;
	char *arena;		/* reply buffers and kc_buf arrays */
	size_t arena_size, arena_used;
	size_t touched;		/* reply bytes written since the last trim */
	size_t hiwater;		/* arena bytes handed out since then */
	struct buf scratch;	/* static replies of pending commands */
	uint32_t db;		/* database of the ops planned now */
	after_fn after;		/* given to the records planned now */
	const void *tag;
	bool txn;		/* collecting a transaction: never flush */
	/*
	 * CLIENT REPLY OFF or SKIP: this connection's replies planned now
	 * are dropped (every one goes through a record while it is set).
	 */
	const struct conn *mute;
	bool txn_overflow;	/* it did not fit */
	/*
	 * The Redis command planned now (redis.c): an error reply of it is
	 * counted in INFO errorstats and, as a refusal (cs_rej) or a failure,
	 * in its commandstats entry cs (cmdstats.h).  direct_at: where its
	 * first reply written straight to the client's buffer starts (or
	 * SIZE_MAX); seq numbers the commands (a static record is one's).
	 */
	bool cs_on, cs_rej;
	struct cmdstat *cs;
	size_t direct_at;
	uint64_t seq;
};

int eng_init(struct engine *e, int fd, struct knl *nl);
void eng_exit(struct engine *e);
/*
 * Starts a record for connection c, which will need arena bytes of reply
 * buffers and argument arrays; runs what is pending first when they do not
 * fit.  Never fails outside a transaction (it flushes instead).
 */
struct rec *eng_rec(struct engine *e, struct conn *c, render_fn fn,
		    size_t arena);
/*
 * Appends an operation to the last record (valid until the next call), in
 * database e->db.
 */
struct kc_op *eng_op(struct engine *e, struct rec *r, uint32_t opcode);
/* Arena memory of the current record (8-byte aligned, not zeroed). */
void *eng_alloc(struct engine *e, size_t n);
/* The out buffer of a value op: item_size_max bytes from the arena. */
void eng_op_outval(struct engine *e, struct kc_op *op);
/* Where a reply that needs no kernel goes: c->out, or after pending ones. */
struct buf *eng_out(struct engine *e, struct conn *c);
/* Runs every pending operation and writes every pending reply. */
void eng_flush(struct engine *e);
/*
 * One op now in database e->db (its db is overwritten), through the
 * transport (flush first to keep pipeline order): the ioctl's errno, else
 * op->result.  eng_get_alloc() and eng_store() are
 * libkcache's kc_get_alloc() and kc_store() over eng_do().
 */
int eng_do(struct engine *e, struct kc_op *op);
int eng_get_alloc(struct engine *e, const void *key, size_t klen, void **val,
		  size_t *vlen, uint64_t *cas, uint32_t *cflags);
/* kc_op_alloc_via() over eng_do(): a prepared op, its reply malloc()ed. */
int eng_op_alloc(struct engine *e, struct kc_op *op, void **out);
int eng_store(struct engine *e, uint32_t opcode, uint32_t flags,
	      const void *key, size_t klen, const void *val, size_t vlen,
	      uint32_t cflags, int64_t expire, uint64_t *cas);
/* Bytes the arena must hold for one value / one multi-element reply. */
size_t eng_val_room(void);
size_t eng_multi_room(void);

/* Transactions (EXEC, MSETNX): collect, then run as one KC_BATCH_TXN. */
void eng_txn_begin(struct engine *e);
/*
 * Runs the collected operations as a transaction.  Returns 0 (replies not
 * yet written: call eng_txn_render()), -ECANCELED (a watched key changed),
 * or another -errno (nothing ran); on an error the records are dropped.
 */
int eng_txn_run(struct engine *e, const struct kc_watch *w, uint32_t nwatch);
void eng_txn_render(struct engine *e);
void eng_txn_abort(struct engine *e);

#endif /* KCP_ENGINE_H */
