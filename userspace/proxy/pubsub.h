/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Redis pub/sub over the kcache "pubsub" netlink group (pubsub.c).
 *
 * PUBLISH sends KC_CMD_PUBLISH; the kernel multicasts the message to
 * every socket in the group.  Each worker that has subscribers has one
 * such socket in its epoll loop and fans each message out to its own
 * subscribed connections (channels first, then matching patterns, as
 * Redis).  A process-wide registry (one mutex, touched only by
 * (UN)SUBSCRIBE, PUBLISH and PUBSUB, never by the data path) counts the
 * subscriptions of all workers so PUBLISH can answer how many of this
 * proxy's clients receive the message.
 */
#ifndef KCP_PUBSUB_H
#define KCP_PUBSUB_H

#include "proxy.h"

void ps_worker_init(struct ps_worker *p);
void ps_worker_exit(struct ps_worker *p);
/* The worker's group socket is readable: deliver what it holds. */
void ps_readable(struct worker *w);
/* Drops every subscription of c, without replies (close, RESET). */
void ps_conn_free(struct conn *c);

static inline size_t ps_count(const struct conn *c)
{
	return c->ps.nchan + c->ps.npat;
}

#endif /* KCP_PUBSUB_H */
