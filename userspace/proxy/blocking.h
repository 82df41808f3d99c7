/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache-proxy: the blocking list and sorted-set commands (blocking.c).
 * A client whose BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN,
 * BZPOPMAX or BZMPOP finds nothing is parked: its connection reads no
 * further command until it is served, times out, is unblocked (CLIENT
 * UNBLOCK) or goes away.  No thread waits: each worker
 * tells the kernel (KC_IOC_WAIT) which keys its parked clients wait on and
 * polls its /dev/kcache fd with its sockets; when a key was pushed to (a
 * sorted set got a member), it retries the pops of its parked clients.  Parked clients of all workers
 * are in one FIFO (one mutex): a client is served from a key only while
 * it is the oldest client waiting on that key (in that database), as in
 * Redis.  A parked command retries in the database it blocked in.
 */
#ifndef KCP_BLOCKING_H
#define KCP_BLOCKING_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "redis.h"

void cmd_bpop(struct conn *, struct arg *, size_t);	/* BLPOP, BRPOP */
void cmd_lmpop(struct conn *, struct arg *, size_t);	/* LMPOP, BLMPOP */
void cmd_lmove(struct conn *, struct arg *, size_t);	/* (B)LMOVE, (B)RPOPLPUSH */
void cmd_bzpop(struct conn *, struct arg *, size_t);	/* BZPOPMIN, BZPOPMAX */
void cmd_bzmpop(struct conn *, struct arg *, size_t);
/* Inside MULTI (never blocking): prepared by EXEC (redis.h). */
bool bzpop_prepare(const struct txq *q, struct arg *argv, size_t argc,
		   struct txpre *p);
void bzpop_plan(struct conn *c, struct arg *argv, size_t argc,
		const struct txpre *p);
bool bzmpop_prepare(const struct txq *q, struct arg *argv, size_t argc,
		    struct txpre *p);
void bzmpop_plan(struct conn *c, struct arg *argv, size_t argc,
		 const struct txpre *p);

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: true when the client was parked. */
bool blk_unblock(uint64_t id, bool error);
long blk_count(void);			/* INFO's blocked_clients */
bool blk_parked(const struct conn *c);
/* The connection closes: forget its parked command. */
void blk_conn_gone(struct conn *c);
/*
 * The worker's loop: after its events, serves what it can (pushes seen by
 * its fd, kicks from other workers, timeouts, CLIENT UNBLOCK); returns
 * the epoll timeout to use next (ms, at most dflt).
 */
int blk_service(struct worker *w, int dflt);
/* The worker's /dev/kcache fd was readable: a key it waits on changed. */
void blk_kernel_ready(struct worker *w);

#endif /* KCP_BLOCKING_H */
