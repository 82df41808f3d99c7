// SPDX-License-Identifier: GPL-2.0
/*
 * Redis server commands that test harnesses and client libraries send
 * before anything else: CONFIG, FUNCTION, SCRIPT, EVAL/EVALSHA/FCALL,
 * WAIT, DEBUG, LATENCY (SHUTDOWN is in save.c, SLOWLOG in slowlog.c).
 * kcache runs no scripts, keeps no latency samples and has no replicas, so
 * these answer as a fresh redis-server 7.0 with nothing of the kind does,
 * with Redis's error texts.
 *
 * CONFIG keeps Redis's parameters that mean something here: maxmemory is
 * the module's memory limit (KC_IOC_CONFIG; 0, Redis's "no limit", puts
 * back the limit the instance had when first changed here, and a value
 * under kcache's 2 MiB minimum leaves the limit alone and refuses every
 * write with Redis's OOM error, as a Redis that cannot evict below it
 * does: maxmem_shown), timeout, maxclients,
 * client-query-buffer-limit and proto-max-bulk-len are the proxy's own
 * limits, notify-keyspace-events turns on keyspace notifications
 * (notify.c), and the encoding knobs (list-max-listpack-size, ...) are
 * validated as Redis validates them, stored and echoed: kcache has one
 * representation per type, so they change nothing else.  The slow log's
 * two set slowlog.c's; the rest that suites and clients set first are
 * stored and echoed only.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "glob.h"
#include "cmdstats.h"
#include "libkcache.h"
#include "notify.h"
#include "redis.h"
#include "save.h"
#include "server.h"
#include "slowlog.h"

#define ARGF(a) (int)((a)->len > 128 ? 128 : (a)->len), (a)->p

/* ------------------------------------------------------------ CONFIG */

enum pkind {
	P_INT,		/* integer, strict (string2ll), in [min, max] */
	P_MEM,		/* memory value (100, 1kb, 2mb, 3g), in [min, max] */
	P_RO,		/* read only: "can't set immutable config" */
	P_POLICY,	/* maxmemory-policy */
	P_PROT,		/* protected (dir, dbfilename): "can't set protected config" */
	P_NOTIFY,	/* notify-keyspace-events: Redis's letters */
	P_BOOL,		/* yes or no (any case): val 1 or 0 */
	P_ENUM,		/* one of choices[] (any case): val is its index */
	P_SAVE,		/* save: "" or "<seconds> <changes> ..." */
};

/* Which live setting a parameter is, beyond its stored value. */
enum pwhat {
	W_NONE, W_MAXMEMORY, W_TIMEOUT, W_MAXCLIENTS, W_QBUF, W_BULK, W_DIR,
	W_DBFILENAME, W_NOTIFY, W_HZ, W_AOF, W_DEFRAG, W_SAVE, W_SLOWLOG,
	W_POLICY,
};

struct param {
	const char *name;
	const char *alias;	/* Redis 7.0's older name, or NULL */
	enum pkind kind;
	enum pwhat what;
	long long min, max;
	long long val;		/* P_INT, P_MEM */
	const char *str;	/* P_RO */
	const char *const *choices;	/* P_ENUM, NULL-terminated */
};

static const char *const loglevels[] = { "debug", "verbose", "notice", "warning", NULL };
static const char *const fsyncs[] = { "everysec", "always", "no", NULL };
static const char *const oomadj[] = { "no", "yes", "relative", "absolute", NULL };

/* CONFIG SET save: "" (no save points) or what Redis would accept. */
static char save_str[128];

/* kcache's smallest memory limit (KC_MIN_LIMIT_MB in kmod/kcache.h). */
#define KC_LIMIT_MIN	(2LL << 20)
/*
 * maxmemory as last set when the kernel could not take it (0, or under
 * KC_LIMIT_MIN), -1 otherwise; oom_all: the latter, writes refused.
 * start_limit_mb: the instance's limit before the first CONFIG SET.
 */
static long long maxmem_shown = -1;
static bool oom_all;
static unsigned long long start_limit_mb;

/*
 * proto-max-bulk-len is also the instance's largest value (item_size_max,
 * at most KC_ITEM_SIZE_LIMIT), so Redis-sized values store once a client
 * allows them.  Best effort: a kernel that refuses (no CAP_SYS_ADMIN)
 * keeps its limit, and bigger values get the E2BIG error reply.
 */
static void bulk_to_kernel(struct conn *c, long long v)
{
	struct kc_config kc = { .size = sizeof(kc) };
	int err;

	kc.item_size_max = v > (long long)KC_ITEM_SIZE_LIMIT ?
			   KC_ITEM_SIZE_LIMIT : (uint32_t)v;
	err = kc_config_set(c->w->eng.fd, KC_CONFIG_ITEM_SIZE_MAX, &kc);
	if (err) {
		log_warn("proto-max-bulk-len: kcache kept item_size_max (%s)",
			 kc_strerror(err));
		return;
	}
	__atomic_store_n(&kinfo.item_size_max, kc.item_size_max,
			 __ATOMIC_RELAXED);
}

/* maxmemory-policy: what the instance does at its limit (kc_config). */
const char *redis_policy(int fd)
{
	struct kc_config kc = { .size = sizeof(kc) };

	if (!kc_config_get(fd, &kc) && kc.noevict)
		return "noeviction";
	return "allkeys-lru";
}

bool config_oom(void)
{
	return __atomic_load_n(&oom_all, __ATOMIC_RELAXED);
}

long long config_maxmemory_shown(void)
{
	return __atomic_load_n(&maxmem_shown, __ATOMIC_RELAXED);
}

/*
 * Shared by every worker; CONFIG SET is rare, so one mutex keeps each
 * value whole.  Defaults are Debian's redis-server 7.0.15's.
 */
static pthread_mutex_t params_lock = PTHREAD_MUTEX_INITIALIZER;
static struct param params[] = {
	{ "save", NULL, P_SAVE, W_SAVE, 0, 0, 0, NULL, NULL },
	{ "appendonly", NULL, P_BOOL, W_AOF, 0, 1, 0, NULL, NULL },
	{ "databases", NULL, P_RO, W_NONE, 0, 0, 0, "16", NULL },
	{ "port", NULL, P_RO, W_NONE, 0, 0, 0, NULL, NULL },
	{ "daemonize", NULL, P_RO, W_NONE, 0, 0, 0, "no", NULL },
	{ "dir", NULL, P_PROT, W_DIR, 0, 0, 0, NULL, NULL },
	{ "dbfilename", NULL, P_PROT, W_DBFILENAME, 0, 0, 0, NULL, NULL },
	{ "maxmemory-policy", NULL, P_POLICY, W_POLICY, 0, 0, 0, NULL, NULL },
	{ "notify-keyspace-events", NULL, P_NOTIFY, W_NOTIFY, 0, 0, 0, NULL, NULL },
	{ "maxmemory", NULL, P_MEM, W_MAXMEMORY, 0, LLONG_MAX, 0, NULL, NULL },
	{ "timeout", NULL, P_INT, W_TIMEOUT, 0, INT_MAX, 0, NULL, NULL },
	{ "maxclients", NULL, P_INT, W_MAXCLIENTS, 1, UINT_MAX, 0, NULL, NULL },
	{ "client-query-buffer-limit", NULL, P_MEM, W_QBUF, 1024 * 1024, LLONG_MAX, 0, NULL, NULL },
	{ "proto-max-bulk-len", NULL, P_MEM, W_BULK, 1024 * 1024, LLONG_MAX, 0, NULL, NULL },
	{ "list-max-listpack-size", "list-max-ziplist-size", P_INT, W_NONE, INT_MIN, INT_MAX, -2, NULL, NULL },
	{ "list-compress-depth", NULL, P_INT, W_NONE, 0, INT_MAX, 0, NULL, NULL },
	{ "hash-max-listpack-entries", "hash-max-ziplist-entries", P_INT, W_NONE, 0, LLONG_MAX, 512, NULL, NULL },
	{ "hash-max-listpack-value", "hash-max-ziplist-value", P_MEM, W_NONE, 0, LLONG_MAX, 64, NULL, NULL },
	{ "set-max-intset-entries", NULL, P_INT, W_NONE, 0, LLONG_MAX, 512, NULL, NULL },
	{ "zset-max-listpack-entries", "zset-max-ziplist-entries", P_INT, W_NONE, 0, LLONG_MAX, 128, NULL, NULL },
	{ "zset-max-listpack-value", "zset-max-ziplist-value", P_MEM, W_NONE, 0, LLONG_MAX, 64, NULL, NULL },
	{ "stream-node-max-bytes", NULL, P_MEM, W_NONE, 0, LLONG_MAX, 4096, NULL, NULL },
	{ "stream-node-max-entries", NULL, P_INT, W_NONE, 0, LLONG_MAX, 100, NULL, NULL },
	{ "hll-sparse-max-bytes", NULL, P_MEM, W_NONE, 0, LLONG_MAX, 3000, NULL, NULL },
	/*
	 * Accepted, stored and echoed with Redis's types, ranges and
	 * defaults; past the slow log's two they have no effect here
	 * (kcache-proxy has no replicas, scripts, lazy freeing, sampled
	 * eviction or timers of its own, and LATENCY stays empty).  Test
	 * suites and clients set them before anything else.
	 */
	{ "slowlog-log-slower-than", NULL, P_INT, W_SLOWLOG, -1, LLONG_MAX, 10000, NULL, NULL },
	{ "slowlog-max-len", NULL, P_INT, W_SLOWLOG, 0, LLONG_MAX, 128, NULL, NULL },
	{ "latency-monitor-threshold", NULL, P_INT, W_NONE, 0, LLONG_MAX, 0, NULL, NULL },
	{ "latency-tracking", NULL, P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "busy-reply-threshold", "lua-time-limit", P_INT, W_NONE, 0, LLONG_MAX, 5000, NULL, NULL },
	{ "hz", NULL, P_INT, W_HZ, 0, INT_MAX, 10, NULL, NULL },
	{ "dynamic-hz", NULL, P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "lazyfree-lazy-eviction", NULL, P_BOOL, W_NONE, 0, 1, 0, NULL, NULL },
	{ "lazyfree-lazy-expire", NULL, P_BOOL, W_NONE, 0, 1, 0, NULL, NULL },
	{ "lazyfree-lazy-server-del", NULL, P_BOOL, W_NONE, 0, 1, 0, NULL, NULL },
	{ "lazyfree-lazy-user-del", NULL, P_BOOL, W_NONE, 0, 1, 0, NULL, NULL },
	{ "lazyfree-lazy-user-flush", NULL, P_BOOL, W_NONE, 0, 1, 0, NULL, NULL },
	{ "replica-lazy-flush", "slave-lazy-flush", P_BOOL, W_NONE, 0, 1, 0, NULL, NULL },
	{ "maxmemory-samples", NULL, P_INT, W_NONE, 1, INT_MAX, 5, NULL, NULL },
	{ "maxmemory-eviction-tenacity", NULL, P_INT, W_NONE, 0, 100, 10, NULL, NULL },
	{ "lfu-log-factor", NULL, P_INT, W_NONE, 0, INT_MAX, 10, NULL, NULL },
	{ "lfu-decay-time", NULL, P_INT, W_NONE, 0, INT_MAX, 1, NULL, NULL },
	{ "activedefrag", NULL, P_BOOL, W_DEFRAG, 0, 1, 0, NULL, NULL },
	{ "active-defrag-ignore-bytes", NULL, P_MEM, W_NONE, 1, LLONG_MAX, 104857600, NULL, NULL },
	{ "active-defrag-threshold-lower", NULL, P_INT, W_NONE, 0, 1000, 10, NULL, NULL },
	{ "active-defrag-threshold-upper", NULL, P_INT, W_NONE, 0, 1000, 100, NULL, NULL },
	{ "active-defrag-cycle-min", NULL, P_INT, W_NONE, 1, 99, 1, NULL, NULL },
	{ "active-defrag-cycle-max", NULL, P_INT, W_NONE, 1, 99, 25, NULL, NULL },
	{ "active-defrag-max-scan-fields", NULL, P_INT, W_NONE, 1, LLONG_MAX, 1000, NULL, NULL },
	{ "activerehashing", NULL, P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "repl-ping-replica-period", "repl-ping-slave-period", P_INT, W_NONE, 1, INT_MAX, 10, NULL, NULL },
	{ "repl-diskless-sync", NULL, P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "repl-diskless-sync-delay", NULL, P_INT, W_NONE, 0, INT_MAX, 5, NULL, NULL },
	{ "repl-backlog-size", NULL, P_MEM, W_NONE, 1, LLONG_MAX, 1048576, NULL, NULL },
	{ "replica-serve-stale-data", "slave-serve-stale-data", P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "replica-read-only", "slave-read-only", P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "min-replicas-to-write", "min-slaves-to-write", P_INT, W_NONE, 0, INT_MAX, 0, NULL, NULL },
	{ "min-replicas-max-lag", "min-slaves-max-lag", P_INT, W_NONE, 0, INT_MAX, 10, NULL, NULL },
	{ "tracking-table-max-keys", NULL, P_INT, W_NONE, 0, LLONG_MAX, 1000000, NULL, NULL },
	{ "rdb-key-save-delay", NULL, P_INT, W_NONE, INT_MIN, INT_MAX, 0, NULL, NULL },
	{ "key-load-delay", NULL, P_INT, W_NONE, INT_MIN, INT_MAX, 0, NULL, NULL },
	{ "rdbcompression", NULL, P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "rdbchecksum", NULL, P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "stop-writes-on-bgsave-error", NULL, P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "aof-use-rdb-preamble", NULL, P_BOOL, W_NONE, 0, 1, 1, NULL, NULL },
	{ "appendfsync", NULL, P_ENUM, W_NONE, 0, 0, 0, NULL, fsyncs },
	{ "loglevel", NULL, P_ENUM, W_NONE, 0, 0, 2, NULL, loglevels },
	{ "oom-score-adj", NULL, P_ENUM, W_NONE, 0, 0, 0, NULL, oomadj },
};

#define NPARAMS (sizeof(params) / sizeof(params[0]))

static const char *const policies[] = {
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction",
};

static long start_maxclients;

static struct param *param_find(const struct arg *a)
{
	char low[64];
	size_t i;

	if (a->len >= sizeof(low))
		return NULL;
	arg_lower(a, low, sizeof(low));
	for (i = 0; i < NPARAMS; i++)
		if (!strcmp(params[i].name, low) ||
		    (params[i].alias && !strcmp(params[i].alias, low)))
			return &params[i];
	return NULL;
}

/* A numeric parameter's value (name as in params[]), 0 if unknown. */
long long redis_param(const char *name)
{
	long long v = 0;
	size_t i;

	pthread_mutex_lock(&params_lock);
	for (i = 0; i < NPARAMS; i++)
		if (!strcmp(params[i].name, name))
			v = params[i].val;
	pthread_mutex_unlock(&params_lock);
	return v;
}

/* Redis's memtoull(): digits, then b, k, kb, m, mb, g or gb (any case). */
static bool memtoull(const struct arg *a, unsigned long long *v)
{
	static const struct { const char *u; unsigned long long mul; } units[] = {
		{ "", 1 }, { "b", 1 }, { "k", 1000 }, { "kb", 1024 },
		{ "m", 1000 * 1000 }, { "mb", 1024 * 1024 },
		{ "g", 1000ULL * 1000 * 1000 }, { "gb", 1024ULL * 1024 * 1024 },
	};
	unsigned long long n = 0;
	size_t i = 0, u;

	while (i < a->len && a->p[i] >= '0' && a->p[i] <= '9') {
		if (n > (ULLONG_MAX - 9) / 10)
			return false;
		n = n * 10 + (unsigned)(a->p[i++] - '0');
	}
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (a->len - i == strlen(units[u].u) &&
		    !strncasecmp(a->p + i, units[u].u, a->len - i))
			break;
	if (u == sizeof(units) / sizeof(units[0]) || memchr(a->p, 0, a->len))
		return false;
	if (n > ULLONG_MAX / units[u].mul)
		return false;
	*v = n * units[u].mul;
	return true;
}

static void set_failed(struct conn *c, const struct arg *name, const char *why)
{
	resp_errorf(rout(c), "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
		    ARGF(name), why);
}

/* The kernel refused what (KC_IOC_CONFIG failed with err). */
static void kernel_refused(struct conn *c, const struct arg *name,
			   const char *what, int err)
{
	char why[128];

	snprintf(why, sizeof(why), "kcache refused %s (%s)", what,
		 err == -EPERM ? "the proxy needs CAP_SYS_ADMIN" : kc_strerror(err));
	set_failed(c, name, why);
}

/*
 * Redis's save syntax: "" or pairs of <seconds> (at least 1) and
 * <changes> (at least 0), separated by spaces.
 */
static bool save_check(const struct arg *a)
{
	size_t i = 0, n = 0;

	if (!a->len)
		return true;
	while (i < a->len) {
		long long v;
		size_t s;

		while (i < a->len && a->p[i] == ' ')
			i++;
		if (i == a->len)
			break;
		s = i;
		while (i < a->len && a->p[i] != ' ')
			i++;
		if (!resp_str2ll(a->p + s, i - s, &v) || v < (n % 2 ? 0 : 1))
			return false;
		n++;
	}
	return n && !(n % 2);
}

/* Checks one name/value pair; *v is the value to store. */
static struct param *config_check(struct conn *c, const struct arg *name,
				  const struct arg *val, long long *v)
{
	struct param *p = param_find(name);
	unsigned long long u;
	char why[128];
	size_t i;

	if (!p) {
		resp_errorf(rout(c), "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
			    ARGF(name));
		return NULL;
	}
	switch (p->kind) {
	case P_RO:
		/*
		 * Redis 7.0 may move to another port; the proxy keeps its
		 * listener, so only the port it has is taken (CONFIG SET of
		 * every parameter to its own value, as clients' tests do).
		 */
		if (!strcmp(p->name, "port") &&
		    resp_str2ll(val->p, val->len, v) && *v == cfg.redis_port)
			return p;
		set_failed(c, name, strcmp(p->name, "port") ?
			   "can't set immutable config" :
			   "kcache-proxy listens on the port it was started with");
		return NULL;
	case P_PROT:	/* as 7.0 with enable-protected-configs no */
		set_failed(c, name, "can't set protected config");
		return NULL;
	case P_POLICY:
		for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
			if (val->len == strlen(policies[i]) &&
			    !strncasecmp(val->p, policies[i], val->len))
				break;
		if (i == sizeof(policies) / sizeof(policies[0])) {
			set_failed(c, name, "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction");
			return NULL;
		}
		/* the instance's kc_config.noevict: 0 or 1 */
		if (!strcmp(policies[i], "noeviction")) {
			*v = 1;
		} else if (!strcmp(policies[i], "allkeys-lru")) {
			*v = 0;
		} else {
			set_failed(c, name, "kcache evicts the least recently used keys of the whole cache (allkeys-lru) or none (noeviction)");
			return NULL;
		}
		return p;
	case P_NOTIFY:
		*v = notify_parse(val->p, val->len);
		if (*v < 0) {
			set_failed(c, name, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
			return NULL;
		}
		return p;
	case P_BOOL:
		if (val->len == 3 && !strncasecmp(val->p, "yes", 3)) {
			*v = 1;
		} else if (val->len == 2 && !strncasecmp(val->p, "no", 2)) {
			*v = 0;
		} else {
			set_failed(c, name, "argument must be 'yes' or 'no'");
			return NULL;
		}
		if (*v && p->what == W_AOF) {
			set_failed(c, name, "kcache-proxy has no append only file: it persists with RDB snapshots only (SAVE, BGSAVE, --save-on-exit)");
			return NULL;
		}
		if (*v && p->what == W_DEFRAG) {	/* as Debian's build */
			set_failed(c, name, "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution");
			return NULL;
		}
		return p;
	case P_ENUM:
		for (i = 0; p->choices[i]; i++)
			if (val->len == strlen(p->choices[i]) &&
			    !strncasecmp(val->p, p->choices[i], val->len))
				break;
		if (!p->choices[i]) {
			size_t off = 0;

			off = (size_t)snprintf(why, sizeof(why), "argument(s) must be one of the following: ");
			for (i = 0; p->choices[i] && off < sizeof(why); i++)
				off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%s",
							i ? ", " : "", p->choices[i]);
			set_failed(c, name, why);
			return NULL;
		}
		*v = (long long)i;
		return p;
	case P_SAVE:
		if (!save_check(val)) {
			set_failed(c, name, "Invalid save parameters");
			return NULL;
		}
		if (val->len) {
			set_failed(c, name, "kcache-proxy has no save points: it saves on SAVE, BGSAVE, SHUTDOWN SAVE and --save-on-exit only (save \"\" is accepted)");
			return NULL;
		}
		*v = 0;
		return p;
	case P_INT:
		if (!resp_str2ll(val->p, val->len, v)) {
			set_failed(c, name, "argument couldn't be parsed into an integer");
			return NULL;
		}
		break;
	case P_MEM:
		if (!memtoull(val, &u) || u > LLONG_MAX) {
			set_failed(c, name, "argument must be a memory value");
			return NULL;
		}
		*v = (long long)u;
		break;
	}
	if (*v < p->min || *v > p->max) {
		snprintf(why, sizeof(why), "argument must be between %lld and %lld inclusive",
			 p->min, p->max);
		set_failed(c, name, why);
		return NULL;
	}
	if (p->what == W_MAXCLIENTS && *v > start_maxclients) {
		snprintf(why, sizeof(why),
			 "The operating system is not able to handle the specified number of clients, try with %ld",
			 start_maxclients);
		set_failed(c, name, why);
		return NULL;
	}
	return p;
}

/* The live value of p, into v (a decimal string). */
static void param_value(struct conn *c, const struct param *p, char *v,
			size_t n)
{
	struct kc_config kc = { .size = sizeof(kc) };

	switch (p->what) {
	case W_MAXMEMORY:
		if (__atomic_load_n(&maxmem_shown, __ATOMIC_RELAXED) >= 0) {
			snprintf(v, n, "%lld", maxmem_shown);
			return;
		}
		if (kc_config_get(c->w->eng.fd, &kc))
			kc.memory_limit_mb = 0;
		snprintf(v, n, "%llu",
			 (unsigned long long)kc.memory_limit_mb << 20);
		return;
	case W_TIMEOUT:
		snprintf(v, n, "%d", __atomic_load_n(&cfg.timeout, __ATOMIC_RELAXED));
		return;
	case W_MAXCLIENTS:
		snprintf(v, n, "%ld", __atomic_load_n(&cfg.maxclients, __ATOMIC_RELAXED));
		return;
	case W_QBUF:
		snprintf(v, n, "%zu", __atomic_load_n(&cfg.max_query, __ATOMIC_RELAXED));
		return;
	case W_BULK:
		snprintf(v, n, "%zu", __atomic_load_n(&cfg.max_bulk, __ATOMIC_RELAXED));
		return;
	case W_DIR:
		snprintf(v, n, "%s", persist_dir());
		return;
	case W_DBFILENAME:
		snprintf(v, n, "%s", persist_dbfilename());
		return;
	case W_NOTIFY:
		notify_format(notify_flags(), v, n);
		return;
	case W_SAVE:
		snprintf(v, n, "%s", save_str);
		return;
	case W_POLICY:	/* the kernel's: kcache-cli may change it too */
		snprintf(v, n, "%s", redis_policy(c->w->eng.fd));
		return;
	default:
		break;
	}
	if (p->kind == P_BOOL) {
		snprintf(v, n, "%s", p->val ? "yes" : "no");
		return;
	}
	if (p->kind == P_ENUM) {
		snprintf(v, n, "%s", p->choices[p->val]);
		return;
	}
	if (p->kind == P_RO && !strcmp(p->name, "port"))
		snprintf(v, n, "%d", cfg.redis_port);
	else if (p->kind == P_RO)
		snprintf(v, n, "%s", p->str);
	else
		snprintf(v, n, "%lld", p->val);
}

static void config_set(struct conn *c, struct arg *argv, size_t argc)
{
	size_t npairs = (argc - 2) / 2, i, j;
	struct param **ps;
	long long *vals;
	int err;

	if ((argc - 2) % 2) {
		reply_err(c, "ERR syntax error");
		return;
	}
	ps = calloc(npairs, sizeof(*ps));
	vals = calloc(npairs, sizeof(*vals));
	if (!ps || !vals) {
		reply_err(c, "ERR out of memory");
		goto out;
	}
	for (i = 0; i < npairs; i++) {
		ps[i] = config_check(c, &argv[2 + 2 * i], &argv[3 + 2 * i],
				     &vals[i]);
		if (!ps[i])
			goto out;
		/* As Redis: the same name twice (an alias is another name). */
		for (j = 0; j < i; j++)
			if (argv[2 + 2 * j].len == argv[2 + 2 * i].len &&
			    !strncasecmp(argv[2 + 2 * j].p, argv[2 + 2 * i].p,
					 argv[2 + 2 * i].len)) {
				set_failed(c, &argv[2 + 2 * i], "duplicate parameter");
				goto out;
			}
	}
	/* The changes that can fail go first: all or nothing. */
	for (i = 0; i < npairs; i++) {
		struct kc_config kc = { .size = sizeof(kc) };

		if (ps[i]->what == W_POLICY) {
			kc.noevict = (uint32_t)vals[i];
			err = kc_config_set(c->w->eng.fd, KC_CONFIG_NOEVICT, &kc);
			if (err) {
				kernel_refused(c, &argv[2 + 2 * i], "the policy", err);
				goto out;
			}
			continue;
		}
		if (ps[i]->what != W_MAXMEMORY)
			continue;
		pthread_mutex_lock(&params_lock);
		if (!start_limit_mb) {
			struct kc_config cur = { .size = sizeof(cur) };

			if (!kc_config_get(c->w->eng.fd, &cur))
				start_limit_mb = cur.memory_limit_mb;
		}
		kc.memory_limit_mb = vals[i] ? ((unsigned long long)vals[i] +
						(1 << 20) - 1) >> 20 :
					       start_limit_mb;
		pthread_mutex_unlock(&params_lock);
		if (vals[i] && vals[i] < KC_LIMIT_MIN)
			continue;	/* the kernel's limit stays */
		err = kc_config_set(c->w->eng.fd, KC_CONFIG_MEMORY_LIMIT, &kc);
		if (err) {
			kernel_refused(c, &argv[2 + 2 * i], "the memory limit", err);
			goto out;
		}
	}
	for (i = 0; i < npairs; i++) {
		const char *why;

		if (ps[i]->what == W_NOTIFY &&
		    notify_set(c, (int)vals[i], &why)) {
			set_failed(c, &argv[2 + 2 * i], why);
			goto out;
		}
	}
	pthread_mutex_lock(&params_lock);
	for (i = 0; i < npairs; i++) {
		switch (ps[i]->what) {
		case W_MAXMEMORY:
			__atomic_store_n(&maxmem_shown,
					 vals[i] < KC_LIMIT_MIN ? vals[i] : -1,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&oom_all, vals[i] && vals[i] < KC_LIMIT_MIN,
					 __ATOMIC_RELAXED);
			break;
		case W_TIMEOUT:
			__atomic_store_n(&cfg.timeout, (int)vals[i], __ATOMIC_RELAXED);
			break;
		case W_MAXCLIENTS:
			__atomic_store_n(&cfg.maxclients, (long)vals[i], __ATOMIC_RELAXED);
			break;
		case W_QBUF:
			__atomic_store_n(&cfg.max_query, (size_t)vals[i], __ATOMIC_RELAXED);
			break;
		case W_BULK:	/* the parser limit of connections made after */
			__atomic_store_n(&cfg.max_bulk, (size_t)vals[i], __ATOMIC_RELAXED);
			bulk_to_kernel(c, vals[i]);
			break;
		case W_NOTIFY:	/* notify_set() did */
		case W_SAVE:	/* only "" gets here */
		case W_POLICY:	/* the kernel holds it */
			break;
		case W_SLOWLOG:	/* below, once both are stored */
			ps[i]->val = vals[i];
			break;
		case W_HZ:	/* as Redis: kept within 1..500 */
			ps[i]->val = vals[i] < 1 ? 1 : vals[i] > 500 ? 500 : vals[i];
			break;
		default:
			ps[i]->val = vals[i];
		}
	}
	for (i = 0; i < npairs; i++)
		if (ps[i]->what == W_SLOWLOG) {
			long long th = 0, len = 0;

			for (j = 0; j < NPARAMS; j++) {
				if (!strcmp(params[j].name, "slowlog-log-slower-than"))
					th = params[j].val;
				else if (!strcmp(params[j].name, "slowlog-max-len"))
					len = params[j].val;
			}
			slowlog_config(th, len);
			break;
		}
	pthread_mutex_unlock(&params_lock);
	resp_simple(rout(c), "OK");
out:
	free(ps);
	free(vals);
}

/* Redis's test hooks: named whole, never matched by a pattern. */
static bool hidden(const struct param *p)
{
	return !strcmp(p->name, "key-load-delay") ||
	       !strcmp(p->name, "rdb-key-save-delay");
}

static void config_get(struct conn *c, struct arg *argv, size_t argc)
{
	bool hit[NPARAMS][2], glob;
	char pat[128], (*v)[PATH_MAX];
	size_t i, j, k, hits = 0;

	v = calloc(NPARAMS, sizeof(*v));
	if (!v) {
		reply_err(c, "ERR out of memory");
		return;
	}
	memset(hit, 0, sizeof(hit));
	for (j = 2; j < argc; j++) {
		if (argv[j].len >= sizeof(pat))
			continue;
		arg_lower(&argv[j], pat, sizeof(pat));
		glob = strpbrk(pat, "[*?") != NULL;
		for (i = 0; i < NPARAMS; i++)
			for (k = 0; k < 2; k++) {
				const char *n = k ? params[i].alias : params[i].name;

				if (glob && hidden(&params[i]))
					continue;
				if (n && !hit[i][k] &&
				    glob_match(pat, strlen(pat), n, strlen(n))) {
					hit[i][k] = true;
					hits++;
				}
			}
	}
	pthread_mutex_lock(&params_lock);
	for (i = 0; i < NPARAMS; i++)
		if (hit[i][0] || hit[i][1])
			param_value(c, &params[i], v[i], sizeof(v[i]));
	pthread_mutex_unlock(&params_lock);
	resp_map(rout(c), hits, c->proto);
	for (i = 0; i < NPARAMS; i++)
		for (k = 0; k < 2; k++)
			if (hit[i][k]) {
				resp_bulks(rout(c), k ? params[i].alias : params[i].name);
				resp_bulks(rout(c), v[i]);
			}
	free(v);
}

void redis_config_init(void)
{
	start_maxclients = cfg.maxclients;
}

void cmd_config(struct conn *c, struct arg *argv, size_t argc)
{
	char sub[16];

	arg_lower(&argv[1], sub, sizeof(sub));
	if (!strcmp(sub, "resetstat") && argc == 2) {
		stats_reset(c->w->eng.fd);
		cs_reset();
		resp_simple(rout(c), "OK");
	} else if (!strcmp(sub, "rewrite") && argc == 2) {
		reply_err(c, "ERR The server is running without a config file");
	} else if (!strcmp(sub, "set") && argc >= 4) {
		config_set(c, argv, argc);
	} else if (!strcmp(sub, "get") && argc >= 3) {
		config_get(c, argv, argc);
	} else if (!strcmp(sub, "help") && argc == 2) {
		static const char *const help[] = {
			"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"GET <pattern>",
			"    Return parameters matching the glob-like <pattern> and their values.",
			"SET <directive> <value>",
			"    Set the configuration <directive> to <value>.",
			"RESETSTAT",
			"    Reset statistics reported by the INFO command.",
			"REWRITE",
			"    Rewrite the configuration file.",
			"HELP",
			"    Prints this help.",
		};
		size_t i;

		resp_array(rout(c), sizeof(help) / sizeof(help[0]));
		for (i = 0; i < sizeof(help) / sizeof(help[0]); i++)
			resp_simple(rout(c), help[i]);
	} else if (!strcmp(sub, "set") || !strcmp(sub, "get") ||
		   !strcmp(sub, "resetstat") || !strcmp(sub, "rewrite") ||
		   !strcmp(sub, "help")) {
		resp_errorf(rout(c), "ERR wrong number of arguments for 'config|%s' command",
			    sub);
	} else {
		resp_errorf(rout(c), "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
			    ARGF(&argv[1]));
	}
}

/* ------------------------------------------------------------ scripting */

static void wrong_args(struct conn *c, const char *cmd, const char *sub)
{
	resp_errorf(rout(c), "ERR wrong number of arguments for '%s|%s' command",
		    cmd, sub);
}

static void unknown_sub(struct conn *c, const struct arg *a, const char *cmd)
{
	resp_errorf(rout(c), "ERR unknown subcommand '%.*s'. Try %s HELP.",
		    ARGF(a), cmd);
}

/* FUNCTION: a server with no libraries loaded; LOAD is refused. */
void cmd_function(struct conn *c, struct arg *argv, size_t argc)
{
	struct buf *o = rout(c);
	char sub[16];
	size_t j;

	arg_lower(&argv[1], sub, sizeof(sub));
	if (!strcmp(sub, "flush")) {
		if (argc > 3) {
			wrong_args(c, "function", sub);
		} else if (argc == 3 && !arg_eq(&argv[2], "sync") &&
			   !arg_eq(&argv[2], "async")) {
			reply_err(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
		} else {
			resp_simple(o, "OK");
		}
	} else if (!strcmp(sub, "list")) {
		for (j = 2; j < argc; j++) {
			if (arg_eq(&argv[j], "withcode"))
				continue;
			if (!arg_eq(&argv[j], "libraryname")) {
				reply_err(c, "ERR Unknown argument");
				return;
			}
			if (++j == argc) {
				reply_err(c, "ERR library name argument was not given");
				return;
			}
		}
		resp_array(o, 0);
	} else if (!strcmp(sub, "stats") && argc == 2) {
		resp_map(o, 2, c->proto);
		resp_bulks(o, "running_script");
		resp_null(o, c->proto);
		resp_bulks(o, "engines");
		resp_map(o, 1, c->proto);
		resp_bulks(o, "LUA");
		resp_map(o, 2, c->proto);
		resp_bulks(o, "libraries_count");
		resp_int(o, 0);
		resp_bulks(o, "functions_count");
		resp_int(o, 0);
	} else if (!strcmp(sub, "delete") && argc == 3) {
		reply_err(c, "ERR Library not found");
	} else if (!strcmp(sub, "kill") && argc == 2) {
		reply_err(c, "NOTBUSY No scripts in execution right now.");
	} else if ((!strcmp(sub, "load") && argc >= 3) ||
		   (!strcmp(sub, "restore") && argc >= 3) ||
		   (!strcmp(sub, "dump") && argc == 2)) {
		resp_errorf(o, "ERR FUNCTION %s is not supported: kcache-proxy runs no scripts",
			    sub);
	} else if (!strcmp(sub, "stats") || !strcmp(sub, "delete") ||
		   !strcmp(sub, "kill") || !strcmp(sub, "load") ||
		   !strcmp(sub, "restore") || !strcmp(sub, "dump")) {
		wrong_args(c, "function", sub);
	} else {
		unknown_sub(c, &argv[1], "FUNCTION");
	}
}

/* SCRIPT: an empty script cache. */
void cmd_script(struct conn *c, struct arg *argv, size_t argc)
{
	struct buf *o = rout(c);
	char sub[16];
	size_t j;

	arg_lower(&argv[1], sub, sizeof(sub));
	if (!strcmp(sub, "flush")) {
		if (argc > 3) {
			wrong_args(c, "script", sub);
		} else if (argc == 3 && !arg_eq(&argv[2], "sync") &&
			   !arg_eq(&argv[2], "async")) {
			reply_err(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
		} else {
			resp_simple(o, "OK");
		}
	} else if (!strcmp(sub, "exists") && argc >= 3) {
		resp_array(o, argc - 2);
		for (j = 2; j < argc; j++)
			resp_int(o, 0);
	} else if (!strcmp(sub, "kill") && argc == 2) {
		reply_err(c, "NOTBUSY No scripts in execution right now.");
	} else if (!strcmp(sub, "load") && argc == 3) {
		reply_err(c, "ERR SCRIPT LOAD is not supported: kcache-proxy runs no scripts");
	} else if (!strcmp(sub, "exists") || !strcmp(sub, "kill") ||
		   !strcmp(sub, "load")) {
		wrong_args(c, "script", sub);
	} else {
		unknown_sub(c, &argv[1], "SCRIPT");
	}
}

/*
 * EVAL, EVALSHA, FCALL and their _RO forms: checked in Redis's order,
 * then a missing script or function is what every one is.
 */
void cmd_eval(struct conn *c, struct arg *argv, size_t argc)
{
	char name[16];
	long long n;

	arg_lower(&argv[0], name, sizeof(name));
	/* FCALL looks the function up first; EVALSHA a malformed digest. */
	if (!strncmp(name, "fcall", 5)) {
		reply_err(c, "ERR Function not found");
		return;
	}
	if (!strncmp(name, "evalsha", 7) && argv[1].len != 40) {
		reply_err(c, "NOSCRIPT No matching script. Please use EVAL.");
		return;
	}
	if (!resp_str2ll(argv[2].p, argv[2].len, &n)) {
		reply_err(c, "ERR value is not an integer or out of range");
		return;
	}
	if (n > (long long)(argc - 3)) {
		reply_err(c, "ERR Number of keys can't be greater than number of args");
		return;
	}
	if (n < 0) {
		reply_err(c, "ERR Number of keys can't be negative");
		return;
	}
	if (!strncmp(name, "evalsha", 7))
		reply_err(c, "NOSCRIPT No matching script. Please use EVAL.");
	else
		reply_err(c, "ERR EVAL is not supported: kcache-proxy runs no Lua scripts");
}

/* ------------------------------------------------------------ misc */

/* WAIT: no replicas, so none acknowledged. */
void cmd_wait(struct conn *c, struct arg *argv, size_t argc)
{
	long long n, t;

	(void)argc;
	if (!arg_ll(c, &argv[1], &n))
		return;
	if (!resp_str2ll(argv[2].p, argv[2].len, &t)) {
		reply_err(c, "ERR timeout is not an integer or out of range");
		return;
	}
	if (t < 0) {
		reply_err(c, "ERR timeout is negative");
		return;
	}
	resp_int(rout(c), 0);
}

/* DEBUG SLEEP 0 only: anything else would stall or inspect a worker. */
void cmd_debug(struct conn *c, struct arg *argv, size_t argc)
{
	if (arg_eq(&argv[1], "sleep") && argc == 3) {
		char s[32], *end;
		double d;

		if (argv[2].len < sizeof(s)) {
			memcpy(s, argv[2].p, argv[2].len);
			s[argv[2].len] = 0;
			d = strtod(s, &end);
			if (end != s && !*end && d == 0) {
				resp_simple(rout(c), "OK");
				return;
			}
		}
		reply_err(c, "ERR DEBUG SLEEP with a non-zero time is not supported by kcache-proxy (it would stall every client of a worker)");
		return;
	}
	resp_errorf(rout(c), "ERR DEBUG %.*s is not supported by kcache-proxy (only DEBUG SLEEP 0)",
		    ARGF(&argv[1]));
}

/* LATENCY: monitoring is off (latency-monitor-threshold 0), as by default. */
void cmd_latency(struct conn *c, struct arg *argv, size_t argc)
{
	static const char doctor[] =
		"I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this kcache-proxy instance.\n";
	char sub[16];

	arg_lower(&argv[1], sub, sizeof(sub));
	if (!strcmp(sub, "latest") && argc == 2) {
		resp_array(rout(c), 0);
	} else if (!strcmp(sub, "history") && argc == 3) {
		resp_array(rout(c), 0);
	} else if (!strcmp(sub, "reset")) {
		resp_int(rout(c), 0);
	} else if (!strcmp(sub, "doctor") && argc == 2) {
		resp_verbatim(rout(c), doctor, sizeof(doctor) - 1, c->proto);
	} else if (!strcmp(sub, "graph") && argc == 3) {
		resp_errorf(rout(c), "ERR No samples available for event '%.*s'",
			    ARGF(&argv[2]));
	} else if (!strcmp(sub, "histogram")) {
		char *names[64];
		size_t i, n = 0;

		for (i = 2; i < argc && n < 64; i++) {
			names[n] = malloc(argv[i].len + 1);
			if (!names[n])
				break;
			arg_lower(&argv[i], names[n], argv[i].len + 1);
			n++;
		}
		cs_latency_histogram(rout(c), c->proto, names, n);
		while (n)
			free(names[--n]);
	} else if (!strcmp(sub, "latest") || !strcmp(sub, "history") ||
		   !strcmp(sub, "doctor") || !strcmp(sub, "graph")) {
		wrong_args(c, "latency", sub);
	} else {
		unknown_sub(c, &argv[1], "LATENCY");
	}
}
