/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Redis MONITOR (monitor.c): every command a Redis client of this proxy
 * runs, as one status line per command, to every connection in monitor
 * mode, whichever worker runs it.
 *
 * The worker that runs a command formats its line once and appends it,
 * under one process-wide mutex, to the inbox of every worker that has
 * monitors, waking that worker through its eventfd; the worker then
 * copies its inbox to its monitors and writes them as pub/sub writes its
 * subscribers (server_conn_output(): past --max-output-buffer the monitor
 * is dropped).  The mutex is taken only while some client monitors:
 * without monitors a command costs one relaxed load of mon_count and a
 * branch never taken.
 */
#ifndef KCP_MONITOR_H
#define KCP_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct arg;
struct conn;
struct redis_cmd;
struct worker;

/* A worker's side: its monitors (its thread only) and its inbox. */
struct mon_worker {
	struct conn **conns;	/* its connections in monitor mode */
	size_t n, cap;
	struct buf inbox;	/* lines for them, under mon_lock */
	bool listed;		/* in the registry (mutex) */
	int pending;		/* (atomic) the inbox has lines */
};

/* Connections in monitor mode, all workers (atomic, read relaxed). */
extern long mon_count;

static inline bool mon_on(void)
{
	return __builtin_expect(__atomic_load_n(&mon_count, __ATOMIC_RELAXED)
				!= 0, 0);
}

/*
 * Before a command runs, with mon_on(): a monitor may not touch the
 * keyspace (Redis treats it as a replica).  true after the error reply.
 */
/*
 * Redis's name of argv[1] as a subcommand of the container cmd, or NULL;
 * its arity (Redis's convention) into *arity when not NULL.
 */
const char *mon_subcmd_name(const struct redis_cmd *cmd, const struct arg *argv,
			    size_t argc, int *arity);
/* Subcommand i Redis 7.0.15 has for container cmd, or NULL past them. */
const char *mon_subcmd_at(const struct redis_cmd *cmd, size_t i);
bool mon_refuse(struct conn *c, const struct redis_cmd *cmd,
		const struct arg *argv, size_t argc);
/* After a command ran in database db, with mon_on(): its line. */
void mon_feed(struct conn *c, const struct redis_cmd *cmd,
	      const struct arg *argv, size_t argc, unsigned db);
/* c leaves monitor mode (RESET, close); lines already due are written. */
void mon_conn_free(struct conn *c);
/* The end of an event loop pass: delivers the worker's inbox. */
void mon_service(struct worker *w);

void cmd_monitor(struct conn *c, struct arg *argv, size_t argc);

#endif /* KCP_MONITOR_H */
