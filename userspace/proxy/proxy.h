/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache-proxy: what the whole process shares.  One process, one event
 * loop per worker thread (server.c); each worker owns its connections, its
 * /dev/kcache fd and netlink sockets, its batch engine and its side of
 * pub/sub, so nothing is shared between threads except what this header
 * holds: the configuration (read-only after start), the kernel's limits
 * and the counters in struct proxy_stats (connection gauges, atomics)
 * and struct proxy_tstats (one per worker, summed when read).  pubsub.c keeps the
 * one locked structure, its registry.
 *
 * The rest is in its own header: engine.h (the batch engine), conn.h
 * (connections and workers), pubsub.h (a worker's and a connection's
 * pub/sub state), server.h (sockets and threads), redis.h and memcache.h
 * (the protocols).
 */
#ifndef KCP_PROXY_H
#define KCP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <linux/kcache.h>

#define PROXY_VERSION		"0.1.0"
/* What INFO and HELLO report: the Redis version whose behaviour we follow. */
#define PROXY_REDIS_VERSION	"7.0.15"

#ifndef KC_REPLY_MAX
#define KC_REPLY_MAX		(64U << 20)
#endif

/*
 * sizeof(struct kc_item) of a 64-bit kernel without lock debugging: the
 * bytes each key and element costs besides its data (MEMORY USAGE, the
 * size memcached's me and metadump show).  kmod/item.c asserts it.
 */
#define KC_ITEM_HEADER		72

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
	size_t mc_item_max;		/* memcached's -I: largest value */
	const char *device;		/* /dev/kcache */
	int transport;			/* TRANSPORT_*: how data ops go */
	int backlog;
	const char *dir;			/* RDB directory (default: cwd) */
	const char *dbfilename;		/* default dump.rdb */
	int save_on_exit;		/* SIGTERM saves first */
};

enum { TRANSPORT_IOCTL, TRANSPORT_NETLINK };

extern struct config cfg;

/*
 * Limits learnt from KC_IOC_VERSION at start; item_size_max follows
 * CONFIG SET proto-max-bulk-len (read with mc_value_max()/eng_val_room()).
 */
struct kinfo {
	uint32_t item_size_max;
	uint32_t key_max;
	uint32_t batch_max;
};
extern struct kinfo kinfo;

/* The largest memcached value: --memcache-item-max within item_size_max. */
static inline size_t mc_value_max(void)
{
	size_t k = __atomic_load_n(&kinfo.item_size_max, __ATOMIC_RELAXED);

	return cfg.mc_item_max < k ? cfg.mc_item_max : k;
}

/*
 * Counters for INFO and stats.  Each worker adds to its own cache line
 * (no locked instruction, no line bouncing between workers on every
 * request); STAT_GET() sums them with the shared copy, which threads
 * that are no worker add to atomically.  Only the owner writes a
 * worker's counters, with relaxed stores, so a reader sees each counter
 * whole.
 */
struct proxy_tstats {
	uint64_t total_connections;
	uint64_t rejected_connections;
	uint64_t total_commands;
	uint64_t ioctls;
	uint64_t nl_ops;	/* kc_ops sent as KC_CMD_OP messages */
	uint64_t net_in, net_out;
} __attribute__((aligned(64)));

/* The gauges of connections: atomics shared by every worker. */
struct proxy_stats {
	struct proxy_tstats t;	/* adds from threads that are no worker */
	long curr_connections;
	long redis_connections;
	long mc_connections;
};
extern struct proxy_stats pstats;
extern struct proxy_tstats *ptstats;	/* one per worker (cfg.threads) */
extern __thread struct proxy_tstats *tstats;	/* this worker's, or NULL */
extern time_t proxy_start;

#define STAT_ADD(f, n)	do {						\
	struct proxy_tstats *t_ = tstats;				\
									\
	if (t_)								\
		__atomic_store_n(&t_->f, t_->f + (n), __ATOMIC_RELAXED); \
	else								\
		__atomic_add_fetch(&pstats.t.f, (n), __ATOMIC_RELAXED);	\
} while (0)
#define STAT_GET(f)	stat_sum(offsetof(struct proxy_tstats, f))
#define CONN_GET(f)	__atomic_load_n(&pstats.f, __ATOMIC_RELAXED)

/*
 * A struct proxy_tstats counter summed over every worker, since the last
 * stats_reset() (main.c).
 */
uint64_t stat_sum(size_t off);
/* memcached's "stats reset", Redis's CONFIG RESETSTAT: counters from 0. */
void stats_reset(int fd);
/* The kernel's counters in st since the last stats_reset(). */
struct kc_stats;
void kstats_rebase(struct kc_stats *st);

#endif /* KCP_PROXY_H */
