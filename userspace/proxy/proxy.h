/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache-proxy: shared types.  One process, one event loop per worker
 * thread (server.c); each worker owns its connections, its /dev/kcache fd
 * and netlink sockets, its batch engine (engine.c) and its side of pub/sub,
 * so nothing below is shared between threads except the configuration
 * (read-only after start) and the counters in struct proxy_stats
 * (atomics).  pubsub.c keeps the one locked structure, its registry.
 */
#ifndef KCP_PROXY_H
#define KCP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <linux/kcache.h>

#include "buf.h"
#include "memcache.h"
#include "resp.h"

#define PROXY_VERSION		"0.1.0"
/* What INFO and HELLO report: the Redis version whose behaviour we follow. */
#define PROXY_REDIS_VERSION	"7.0.15"

#ifndef KC_REPLY_MAX
#define KC_REPLY_MAX		(64U << 20)
#endif

/* ------------------------------------------------------------ logging */

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
extern int log_level;
void logmsg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...)	logmsg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	logmsg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	logmsg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (log_level >= LOG_DEBUG) \
				logmsg(LOG_DEBUG, __VA_ARGS__); } while (0)

/* ------------------------------------------------------------ config */

struct config {
	const char *bind;		/* TCP address for both protocols */
	int redis_port;			/* 0: off */
	int mc_port;			/* 0: off */
	const char *redis_socket;	/* unix socket paths, or NULL */
	const char *mc_socket;
	int threads;
	long maxclients;
	int timeout;			/* idle seconds, 0: never */
	size_t max_query;		/* bytes buffered per client */
	size_t max_output;		/* bytes of replies per client */
	size_t max_args;		/* arguments per command */
	size_t max_bulk;		/* 0: item_size_max (+ slack) */
	const char *device;		/* /dev/kcache */
	int transport;			/* TRANSPORT_*: how data ops go */
	int backlog;
};

enum { TRANSPORT_IOCTL, TRANSPORT_NETLINK };

extern struct config cfg;

/* Limits learnt from KC_IOC_VERSION at start. */
struct kinfo {
	uint32_t item_size_max;
	uint32_t key_max;
	uint32_t batch_max;
};
extern struct kinfo kinfo;

/* Counters for INFO and stats (atomic: all workers add to them). */
struct proxy_stats {
	uint64_t total_connections;
	uint64_t rejected_connections;
	uint64_t total_commands;
	uint64_t ioctls;
	uint64_t nl_ops;	/* kc_ops sent as KC_CMD_OP messages */
	uint64_t net_in, net_out;
	long curr_connections;
	long redis_connections;
	long mc_connections;
};
extern struct proxy_stats pstats;
extern time_t proxy_start;
#define STAT_ADD(f, n)	__atomic_add_fetch(&pstats.f, (n), __ATOMIC_RELAXED)
#define STAT_GET(f)	__atomic_load_n(&pstats.f, __ATOMIC_RELAXED)

/* ------------------------------------------------------------ engine */

struct conn;
struct rec;
struct knl;

/* Writes a command's reply once its operations ran; ops are its own. */
typedef void (*render_fn)(struct conn *c, struct rec *r, struct kc_op *ops);

/* One command (or part of one) waiting for the batch to run. */
struct rec {
	render_fn fn;
	struct conn *c;
	uint32_t op0, nops;
	int64_t a, b;		/* the handler's own data */
	uint32_t flags;
	size_t s_off, s_len;	/* static replies: bytes in engine.scratch */
	const void *p;		/* the handler's own pointer (into the arena) */
	size_t plen;
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
	bool txn;		/* collecting a transaction: never flush */
	bool txn_overflow;	/* it did not fit */
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
/* Appends an operation to the last record (valid until the next call). */
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
 * One op now, through the transport (flush first to keep pipeline order):
 * the ioctl's errno, else op->result.  eng_get_alloc() and eng_store() are
 * libkcache's kc_get_alloc() and kc_store() over eng_do().
 */
int eng_do(struct engine *e, struct kc_op *op);
int eng_get_alloc(struct engine *e, const void *key, size_t klen, void **val,
		  size_t *vlen, uint64_t *cas, uint32_t *cflags);
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

/* ------------------------------------------------------------ connections */

enum conn_kind { CONN_REDIS, CONN_MC };

struct queued {			/* a command queued by MULTI */
	size_t argc;
	struct arg *argv;	/* argv[i].p into one allocation */
};

struct watched {
	char *key;
	size_t len;
	uint64_t cas;
};

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

struct conn {
	int fd;
	enum conn_kind kind;
	struct worker *w;
	uint64_t id;
	struct buf in, out;
	struct resp_parser rp;
	struct mc_parser mp;
	int proto;		/* RESP 2 or 3 */
	char *name;		/* CLIENT SETNAME */
	char *lib_name, *lib_ver;
	char addr[64];
	char laddr[64];
	time_t created, last_active;
	uint64_t ncmds;
	const char *last_cmd;
	bool closing;		/* close once out is written */
	bool dead;		/* closed: free after the loop */
	bool want_write;	/* EPOLLOUT registered */
	bool paused;		/* reading stopped: out is over the soft cap */
	bool in_multi, multi_dirty;
	struct queued *mq;
	size_t mq_len, mq_cap;
	struct watched *watch;
	size_t nwatch;
	bool watch_dirty;	/* a watched key could not be versioned */
	struct ps_conn ps;
	struct conn *prev, *next;	/* worker's list, oldest activity first */
};

/* The client's replies are over --max-output-buffer: it is to be dropped. */
static inline bool conn_out_over(const struct conn *c)
{
	return c->out.oom || buf_avail(&c->out) > cfg.max_output;
}

struct worker {
	int id;
	int epfd;
	int evfd;		/* wakes the loop for shutdown */
	int kfd;		/* /dev/kcache */
	struct knl *nl;		/* netlink requests (PUBLISH, --transport) */
	struct engine eng;
	struct ps_worker ps;
	struct conn *head, *tail;
	long nconns;
	struct conn **dead;
	size_t ndead, dead_cap;
	int lfd[4];		/* listening sockets this worker polls */
	int lkind[4];
	int nlfd;
	void *lsrc;		/* epoll sources of the above */
};

/* ------------------------------------------------------------ commands */

/* redis_cmds.c */
void redis_execute(struct conn *c, struct arg *argv, size_t argc);
void redis_conn_free(struct conn *c);
size_t redis_command_count(void);

/* mc_cmds.c */
void mc_execute(struct conn *c, struct mc_req *req);

/* server.c */
uint64_t server_next_client_id(void);
long server_client_list(struct buf *o, const struct conn *only);
void conn_close_after_reply(struct conn *c);

/* Common helpers (redis_cmds.c). */
bool arg_eq(const struct arg *a, const char *s);	/* case-insensitive */

#endif /* KCP_PROXY_H */
