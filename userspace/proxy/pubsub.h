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

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct worker;
struct ps_entry;

/* A connection's subscriptions (pubsub.c), in the order they were made. */
struct ps_conn {
	struct ps_entry **chan, **pat;	/* entries of its worker's tables */
	size_t nchan, npat, chan_cap, pat_cap;
	bool touched;		/* on the worker's list of conns to write */
};

/* Named entries (channels or patterns) hashed by name (pubsub.c). */
struct ps_table {
	struct ps_entry **b;
	size_t nb, n;
};

/*
 * A worker's side of pub/sub: its own socket in the kcache "pubsub"
 * netlink group (joined while it has subscribers) and which of its
 * connections want which channel and pattern.
 */
struct ps_worker {
	int src;		/* SRC_PUBSUB: epoll events point here */
	int fd;			/* -1 until the first subscription */
	bool joined;
	long nsubs;		/* subscriptions of this worker's conns */
	struct ps_table chan, pat;
	char *rx;		/* one message (KNL_SUB_BUF) */
	struct conn **touched;	/* conns with messages to write */
	size_t ntouched, touched_cap;
};


void ps_worker_init(struct ps_worker *p);
void ps_worker_exit(struct ps_worker *p);
/* The worker's group socket is readable: deliver what it holds. */
void ps_readable(struct worker *w);
/* Drops every subscription of c, without replies (close, RESET). */
void ps_conn_free(struct conn *c);

#endif /* KCP_PUBSUB_H */
