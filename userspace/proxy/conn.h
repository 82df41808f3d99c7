/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache-proxy: a client connection and the worker thread that owns it
 * (server.c runs both), with what the server calls on a connection: the
 * protocols' entry points.  A connection speaks RESP (redis.c) or the
 * memcached protocol (mc_cmds.c); its commands are planned into its
 * worker's engine (engine.h), its subscriptions live in pubsub.h's types,
 * its monitor mode in monitor.h's.
 */
#ifndef KCP_CONN_H
#define KCP_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "engine.h"
#include "memcache.h"
#include "monitor.h"
#include "proxy.h"
#include "pubsub.h"
#include "resp.h"

struct knl;
struct blk;

enum conn_kind { CONN_REDIS, CONN_MC };

struct queued {			/* a command queued by MULTI */
	size_t argc;
	struct arg *argv;	/* argv[i].p into one allocation */
	long long us;		/* EXEC: microseconds planning it (SLOWLOG) */
};

struct watched {
	char *key;
	size_t len;
	uint32_t db;		/* the database it was watched in */
	uint64_t cas;
};

struct conn {
	int fd;
	enum conn_kind kind;
	struct worker *w;
	uint64_t id;
	struct buf in, out;
	struct resp_parser rp;
	struct mc_parser mp;
	int proto;		/* RESP 2 or 3 */
	uint32_t db;		/* SELECT: its commands' database (memcached: 0) */
	char *name;		/* CLIENT SETNAME */
	char *lib_name, *lib_ver;
	char addr[64];
	char laddr[64];
	time_t created, last_active;
	uint64_t ncmds;
	const char *last_cmd;
	const char *last_sub;	/* its subcommand (Redis's name), or NULL */
	size_t argv_mem;	/* bytes of the arguments of the running command */
	size_t in_peak;		/* most bytes the query buffer held */
	bool closing;		/* close once out is written */
	bool dead;		/* closed: free after the loop */
	bool want_write;	/* EPOLLOUT registered */
	uint32_t events;	/* the interest set epoll has (update_events) */
	size_t in_done;		/* input run but not yet consumed (batched) */
	bool touched;		/* on the worker's touched list */
	bool paused;		/* reading stopped: out is over the soft cap */
	/*
	 * CLIENT KILL (any worker, under w->lock): gone for CLIENT LIST and
	 * the counters already; its worker closes it on its next pass.
	 */
	bool killed;
	bool reply_off;		/* CLIENT REPLY OFF */
	bool reply_skip;	/* CLIENT REPLY SKIP: the next command's reply */
	bool in_multi, multi_dirty;
	bool multi_denyoom;	/* a queued command may use memory */
	struct queued *mq;
	size_t mq_len, mq_cap;
	struct watched *watch;
	size_t nwatch;
	bool watch_dirty;	/* a watched key could not be versioned */
	struct ps_conn ps;
	struct blk *blk;	/* parked by a blocking command (blocking.c) */
	bool monitor;		/* MONITOR: gets every command's line */
	size_t mon_skip;	/* inbox bytes from before its MONITOR */
	struct conn *prev, *next;	/* worker's list, oldest activity first */
};

/*
 * The client's replies are over --max-output-buffer, plus one value of
 * the largest size (a 512 MiB GET is a reply, not a client that does not
 * read): it is to be dropped.
 */
static inline bool conn_out_over(const struct conn *c)
{
	return c->out.oom ||
	       buf_avail(&c->out) > cfg.max_output + eng_val_room();
}

struct worker {
	int id;
	/*
	 * Its connection table: the list below and every field of its
	 * connections.  The worker holds it for a whole loop pass and drops
	 * it only across epoll_wait(); another worker takes it (never two
	 * at once, and not holding its own) to list or kill its clients.
	 */
	pthread_mutex_t lock;
	int kill_kick;		/* (atomic) some of its clients were killed */
	int epfd;
	int evfd;		/* wakes the loop for shutdown */
	int kfd;		/* /dev/kcache */
	struct knl *nl;		/* netlink requests (PUBLISH, --transport) */
	struct engine eng;
	struct ps_worker ps;
	struct mon_worker mon;	/* its monitors (monitor.c) */
	struct conn *head, *tail;
	long nconns;
	struct conn **dead;
	size_t ndead, dead_cap;
	int ksrc;		/* SRC_KWAIT: kfd polled for KC_IOC_WAIT keys */
	int blk_kick;		/* (atomic) retry the parked clients */
	long nblocked;		/* parked clients of this worker */
	bool kwait_armed;	/* kfd has keys in the kernel */
	/*
	 * Connections whose input ran during this epoll_wait() pass: their
	 * ops wait in eng, one KC_IOC_BATCH for all of them, then each is
	 * finished and written (server.c, flush_touched()).
	 */
	bool batching;
	struct conn **touched;
	size_t ntouched, touched_cap;
	int lfd[4];		/* listening sockets this worker polls */
	int lkind[4];
	int nlfd;
	void *lsrc;		/* epoll sources of the above */
};

/* How many channels and patterns c is subscribed to. */
static inline size_t ps_count(const struct conn *c)
{
	return c->ps.nchan + c->ps.npat;
}

/* The protocols' entry points (redis.c, mc_cmds.c), which server.c calls. */
void redis_execute(struct conn *c, struct arg *argv, size_t argc);
void redis_conn_free(struct conn *c);
void mc_execute(struct conn *c, struct mc_req *req);

#endif /* KCP_CONN_H */
