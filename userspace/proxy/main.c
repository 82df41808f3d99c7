// SPDX-License-Identifier: GPL-2.0
/*
 * kcache-proxy: Redis (RESP2/RESP3) and memcached (text and meta) servers
 * in front of the in-kernel cache.  Network bytes are parsed here, in
 * userspace; the kernel only sees structured /dev/kcache requests.
 *
 * main() reads the options, learns the module's limits, opens the
 * listening sockets, starts the workers (server.c) and waits for SIGINT or
 * SIGTERM, then lets the workers finish their replies and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "knl.h"
#include "libkcache.h"
#include "proxy.h"
#include "redis.h"
#include "save.h"
#include "server.h"

struct config cfg = {
	.bind = "0.0.0.0",
	.redis_port = 6379,
	.mc_port = 11211,
	.maxclients = 10000,
	.max_query = 1UL << 30,		/* Redis's client-query-buffer-limit */
	.max_output = 256U << 20,
	.max_args = 1024 * 1024,
	.device = KC_DEVICE_PATH,
	.backlog = 511,
};
struct kinfo kinfo;
struct proxy_stats pstats;
struct proxy_tstats *ptstats;
__thread struct proxy_tstats *tstats;

/*
 * What "stats reset" and CONFIG RESETSTAT start the counters from again:
 * the proxy's and the kernel's counters as they were then (the kernel's
 * are shared with every other user of the cache and are not reset).
 */
static pthread_mutex_t base_lock = PTHREAD_MUTEX_INITIALIZER;
static struct proxy_tstats stat_base;	/* under base_lock */
static struct kc_stats kstat_base;	/* under base_lock */

static uint64_t stat_raw(size_t off)
{
	uint64_t v = __atomic_load_n((uint64_t *)((char *)&pstats.t + off),
				     __ATOMIC_RELAXED);
	int i;

	for (i = 0; ptstats && i < cfg.threads; i++)
		v += __atomic_load_n((uint64_t *)((char *)&ptstats[i] + off),
				     __ATOMIC_RELAXED);
	return v;
}

uint64_t stat_sum(size_t off)
{
	uint64_t v = stat_raw(off), base;

	pthread_mutex_lock(&base_lock);
	base = *(uint64_t *)((char *)&stat_base + off);
	pthread_mutex_unlock(&base_lock);
	return v - base;
}

/* The kernel's counters (not its gauges) of st, as kept by kstats_rebase(). */
#define KSTAT_COUNTERS(X) X(total_items) X(get_hits) X(get_misses)	\
	X(get_expired) X(cmd_get) X(cmd_set) X(cmd_touch) X(delete_hits) \
	X(delete_misses) X(incr_hits) X(incr_misses) X(cas_hits)	\
	X(cas_badval) X(cas_misses) X(evictions) X(expired_unfetched)	\
	X(evicted_unfetched) X(reclaimed) X(crawler_reclaimed)		\
	X(outofmemory) X(slabs_moved) X(shrinker_freed)

void stats_reset(int fd)
{
	struct kc_stats st = { 0 };
	size_t off;

	if (kc_stats(fd, &st))
		memset(&st, 0, sizeof(st));
	pthread_mutex_lock(&base_lock);
	for (off = 0; off < sizeof(stat_base); off += sizeof(uint64_t))
		*(uint64_t *)((char *)&stat_base + off) = stat_raw(off);
	kstat_base = st;
	pthread_mutex_unlock(&base_lock);
}

void kstats_rebase(struct kc_stats *st)
{
	pthread_mutex_lock(&base_lock);
#define REBASE(f) st->f = st->f >= kstat_base.f ? st->f - kstat_base.f : 0;
	KSTAT_COUNTERS(REBASE)
#undef REBASE
	pthread_mutex_unlock(&base_lock);
}
time_t proxy_start;
int log_level = LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void logmsg(int level, const char *fmt, ...)
{
	char ts[32], line[1024];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (level > log_level)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s.%03ld kcache-proxy[%d] %s: %s\n", ts,
		(long)tv.tv_usec / 1000, (int)getpid(), level_names[level], line);
}

/* One option: its long name, argument, help.  usage() is made from it. */
static const struct opt {
	const char *name;
	int has_arg;
	int val;
	const char *arg;
	const char *help;
} opts[] = {
	{ "redis-port", 1, 'p', "PORT", "Redis (RESP) TCP port; 0 turns it off (default 6379)" },
	{ "memcache-port", 1, 'm', "PORT", "memcached TCP port; 0 turns it off (default 11211)" },
	{ "bind", 1, 'b', "ADDR", "address to listen on, IPv4 or IPv6 (default 0.0.0.0)" },
	{ "redis-socket", 1, 'R', "PATH", "also serve Redis on this unix socket" },
	{ "memcache-socket", 1, 'M', "PATH", "also serve memcached on this unix socket" },
	{ "threads", 1, 't', "N", "worker threads, one event loop each (default: online CPUs)" },
	{ "maxclients", 1, 'c', "N", "connections at once, both protocols (default 10000)" },
	{ "timeout", 1, 'T', "SECS", "close clients idle this long; 0 never (default 0)" },
	{ "max-query-buffer", 1, 'Q', "BYTES", "unparsed input kept per client, k/m/g suffixes (default 1g, as Redis's client-query-buffer-limit)" },
	{ "max-output-buffer", 1, 'O', "BYTES", "pending replies per client before it is dropped (default 256m)" },
	{ "max-args", 1, 'A', "N", "arguments in one Redis command (default 1048576)" },
	{ "max-bulk", 1, 'B', "BYTES", "largest Redis bulk string (default 512m, as Redis's proto-max-bulk-len; values over item_size_max get an error reply)" },
	{ "memcache-item-max", 1, 'I', "BYTES", "largest memcached value, as memcached's -I (default 1m; at most the module's item_size_max)" },
	{ "device", 1, 'd', "PATH", "kcache device (default /dev/kcache)" },
	{ "transport", 1, 'x', "KIND", "data operations over ioctl (/dev/kcache, default) or netlink (KC_CMD_OP; values up to 65531 bytes)" },
	{ "backlog", 1, 'L', "N", "listen(2) backlog (default 511)" },
	{ "dir", 1, 'D', "DIR", "directory of the RDB file SAVE/BGSAVE write and start-up loads (default: the current one)" },
	{ "dbfilename", 1, 'F', "NAME", "RDB file name in --dir (default dump.rdb); loaded at start into an empty cache" },
	{ "save-on-exit", 0, 'S', NULL, "SIGTERM/SIGINT and SHUTDOWN save the RDB file before exiting (redis-server with save points)" },
	{ "log-level", 1, 'l', "LEVEL", "error, warn, info or debug (default info)" },
	{ "verbose", 0, 'v', NULL, "same as --log-level debug" },
	{ "quiet", 0, 'q', NULL, "same as --log-level warn" },
	{ "version", 0, 'V', NULL, "print the version and exit" },
	{ "help", 0, 'h', NULL, "print this help and exit" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: kcache-proxy [OPTION]...\n"
		"Serve the kcache in-kernel cache to Redis and memcached clients.\n\n");
	for (i = 0; i < NOPTS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "-%c, --%s%s%s", opts[i].val,
			 opts[i].name, opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-32s %s\n", left, opts[i].help);
	}
	fprintf(f, "\nSIGINT or SIGTERM: stop accepting, finish pending replies, wait for a BGSAVE,\n"
		"save with --save-on-exit, exit 0.\n"
		"Logs go to stderr.  See Documentation/kcache-proxy.rst.\n");
}

static bool parse_num(const char *s, long long min, long long max,
		      long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && end != s && !*end && *v >= min && *v <= max;
}

static bool parse_size(const char *s, size_t *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	switch (*end) {
	case 'k': case 'K': n <<= 10; end++; break;
	case 'm': case 'M': n <<= 20; end++; break;
	case 'g': case 'G': n <<= 30; end++; break;
	}
	if (*end || !n)
		return false;
	*v = (size_t)n;
	return true;
}

static void die_opt(const char *name, const char *val, const char *want)
{
	fprintf(stderr, "kcache-proxy: --%s '%s': %s (see --help)\n", name, val,
		want);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	struct option lo[NOPTS + 1];
	char so[3 * NOPTS + 1], *p = so;
	long long v;
	size_t i;
	int ch;

	for (i = 0; i < NOPTS; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].has_arg;
		lo[i].flag = NULL;
		lo[i].val = opts[i].val;
		*p++ = (char)opts[i].val;
		if (opts[i].has_arg)
			*p++ = ':';
	}
	*p = 0;
	memset(&lo[NOPTS], 0, sizeof(lo[NOPTS]));
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (!parse_num(optarg, 0, 65535, &v))
				die_opt("redis-port", optarg, "want 0..65535");
			cfg.redis_port = (int)v;
			break;
		case 'm':
			if (!parse_num(optarg, 0, 65535, &v))
				die_opt("memcache-port", optarg, "want 0..65535");
			cfg.mc_port = (int)v;
			break;
		case 'b':
			cfg.bind = optarg;
			break;
		case 'R':
			cfg.redis_socket = optarg;
			break;
		case 'M':
			cfg.mc_socket = optarg;
			break;
		case 't':
			if (!parse_num(optarg, 1, 1024, &v))
				die_opt("threads", optarg, "want 1..1024");
			cfg.threads = (int)v;
			break;
		case 'c':
			if (!parse_num(optarg, 1, 1000000, &v))
				die_opt("maxclients", optarg, "want 1..1000000");
			cfg.maxclients = (long)v;
			break;
		case 'T':
			if (!parse_num(optarg, 0, INT_MAX, &v))
				die_opt("timeout", optarg, "want seconds >= 0");
			cfg.timeout = (int)v;
			break;
		case 'Q':
			if (!parse_size(optarg, &cfg.max_query))
				die_opt("max-query-buffer", optarg, "want a size such as 64m");
			break;
		case 'O':
			if (!parse_size(optarg, &cfg.max_output))
				die_opt("max-output-buffer", optarg, "want a size such as 256m");
			break;
		case 'A':
			if (!parse_num(optarg, 1, INT_MAX, &v))
				die_opt("max-args", optarg, "want a count >= 1");
			cfg.max_args = (size_t)v;
			break;
		case 'I':
			if (!parse_size(optarg, &cfg.mc_item_max) ||
			    cfg.mc_item_max < 1024)
				die_opt("memcache-item-max", optarg, "want a size of 1k or more, such as 1m");
			break;
		case 'B':
			if (!parse_size(optarg, &cfg.max_bulk))
				die_opt("max-bulk", optarg, "want a size such as 1m");
			break;
		case 'd':
			cfg.device = optarg;
			break;
		case 'x':
			if (!strcmp(optarg, "ioctl"))
				cfg.transport = TRANSPORT_IOCTL;
			else if (!strcmp(optarg, "netlink"))
				cfg.transport = TRANSPORT_NETLINK;
			else
				die_opt("transport", optarg, "want ioctl or netlink");
			break;
		case 'L':
			if (!parse_num(optarg, 1, 65535, &v))
				die_opt("backlog", optarg, "want 1..65535");
			cfg.backlog = (int)v;
			break;
		case 'D':
			cfg.dir = optarg;
			break;
		case 'F':
			if (!*optarg || strchr(optarg, '/'))
				die_opt("dbfilename", optarg, "dbfilename can't be a path, just a filename");
			cfg.dbfilename = optarg;
			break;
		case 'S':
			cfg.save_on_exit = 1;
			break;
		case 'l':
			for (i = 0; i < 4; i++)
				if (!strcmp(optarg, level_names[i]))
					break;
			if (i == 4)
				die_opt("log-level", optarg, "want error, warn, info or debug");
			log_level = (int)i;
			break;
		case 'v':
			log_level = LOG_DEBUG;
			break;
		case 'q':
			log_level = LOG_WARN;
			break;
		case 'V':
			printf("kcache-proxy %s (kcache ABI %d, Redis %s behaviour)\n",
			       PROXY_VERSION, KC_ABI_VERSION, PROXY_REDIS_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kcache-proxy: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		exit(2);
	}
	if (!cfg.redis_port && !cfg.mc_port && !cfg.redis_socket &&
	    !cfg.mc_socket) {
		fprintf(stderr, "kcache-proxy: every listener is off: give a port or a socket\n");
		exit(2);
	}
}

static int learn_limits(void)
{
	struct kc_version v;
	int fd = kc_open_path(cfg.device), err;

	if (fd < 0) {
		log_err("cannot open %s: %s%s", cfg.device, strerror(-fd),
			fd == -ENOENT ? " (is kcache.ko loaded?)" : "");
		return fd;
	}
	err = kc_version(fd, &v);
	kc_close(fd);
	if (err) {
		log_err("KC_IOC_VERSION on %s: %s", cfg.device, kc_strerror(err));
		return err;
	}
	if (v.abi_version != KC_ABI_VERSION)
		log_warn("module ABI %u, proxy built for %d", v.abi_version,
			 KC_ABI_VERSION);
	kinfo.item_size_max = v.item_size_max;
	kinfo.key_max = v.key_max;
	kinfo.batch_max = v.batch_max;
	/*
	 * The parser accepts what Redis accepts (proto-max-bulk-len); a value
	 * the module cannot store is read whole and refused with Redis's
	 * "string exceeds maximum allowed size" error, not a protocol error.
	 */
	/*
	 * As in Redis, the two limits are independent: a bulk that does not
	 * fit the query buffer closes the client (client-query-buffer-limit).
	 */
	if (!cfg.mc_item_max)
		cfg.mc_item_max = 1U << 20;
	if (!cfg.max_bulk)
		cfg.max_bulk = 512U << 20;
	else if (cfg.max_query < cfg.max_bulk + 1024)
		log_warn("--max-bulk %zu is more than --max-query-buffer holds (%zu): a value that large closes the client",
			 cfg.max_bulk, cfg.max_query);
	return 0;
}

/*
 * Every client costs a descriptor, and the process needs some of its own
 * (per worker: /dev/kcache, epoll, eventfd, listeners, netlink sockets).
 * Past the open files limit accept() fails with EMFILE while the listener
 * stays readable: the worker would spin on it and the client would wait in
 * the backlog unanswered.  So, as redis-server does, --maxclients is
 * lowered to what the limit allows; clients over it are refused with the
 * usual error.
 */
static void raise_nofile(void)
{
	rlim_t reserve = 32 + 8 * (rlim_t)cfg.threads;
	rlim_t want = (rlim_t)cfg.maxclients + reserve;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want) {
		/* Root may raise the hard limit too (up to fs.nr_open). */
		rl.rlim_max = want;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_cur <= reserve) {
		log_warn("open files limited to %llu: --maxclients lowered to 1",
			 (unsigned long long)rl.rlim_cur);
		cfg.maxclients = 1;
		return;
	}
	log_warn("open files limited to %llu: --maxclients lowered from %ld to %llu",
		 (unsigned long long)rl.rlim_cur, cfg.maxclients,
		 (unsigned long long)(rl.rlim_cur - reserve));
	cfg.maxclients = (long)(rl.rlim_cur - reserve);
}

int main(int argc, char **argv)
{
	int ufd[2], ukind[2], nu = 0, i, sig, started = 0, rc = 1, err;
	struct worker *ws = NULL;
	pthread_t *th = NULL;
	sigset_t set;

	parse_args(argc, argv);
	if (!cfg.threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cfg.threads = n > 0 ? (int)n : 1;
	}
	proxy_start = time(NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (learn_limits())
		return 1;
	err = knl_resolve();
	if (err && cfg.transport == TRANSPORT_NETLINK) {
		log_err("--transport netlink: cannot resolve the generic netlink family \"%s\": %s",
			KC_GENL_NAME, strerror(-err));
		return 1;
	}
	if (err)
		log_warn("no generic netlink family \"%s\" (%s): pub/sub commands will fail",
			 KC_GENL_NAME, strerror(-err));
	else if (!knl_fam.grp_pubsub)
		log_warn("the kcache netlink family has no \"%s\" group: SUBSCRIBE will fail",
			 KC_MCGRP_PUBSUB);
	if (persist_start())
		return 1;
	raise_nofile();
	redis_config_init();
	if (cfg.redis_socket) {
		ufd[nu] = server_listen_unix(cfg.redis_socket);
		ukind[nu++] = CONN_REDIS;
		if (ufd[nu - 1] < 0)
			goto out;
	}
	if (cfg.mc_socket) {
		ufd[nu] = server_listen_unix(cfg.mc_socket);
		ukind[nu++] = CONN_MC;
		if (ufd[nu - 1] < 0)
			goto out;
	}
	ws = calloc((size_t)cfg.threads, sizeof(*ws));
	th = calloc((size_t)cfg.threads, sizeof(*th));
	ptstats = aligned_alloc(64, (size_t)cfg.threads * sizeof(*ptstats));
	if (!ws || !th || !ptstats)
		goto out;
	memset(ptstats, 0, (size_t)cfg.threads * sizeof(*ptstats));
	for (i = 0; i < cfg.threads; i++) {
		if (server_worker_init(&ws[i], i, ufd, ukind, nu))
			goto out_workers;
		started++;
	}
	for (i = 0; i < cfg.threads; i++)
		if (server_worker_start(&ws[i], &th[i])) {
			log_err("cannot start worker %d", i);
			cfg.threads = i;
			server_stop(ws, i);
			goto out_join;
		}
	log_info("kcache-proxy %s ready: redis %s:%d%s%s, memcached %s:%d%s%s, %d workers, item_size_max %u, transport %s",
		 PROXY_VERSION, cfg.bind, cfg.redis_port,
		 cfg.redis_socket ? " and " : "",
		 cfg.redis_socket ? cfg.redis_socket : "", cfg.bind, cfg.mc_port,
		 cfg.mc_socket ? " and " : "", cfg.mc_socket ? cfg.mc_socket : "",
		 cfg.threads, kinfo.item_size_max,
		 cfg.transport == TRANSPORT_NETLINK ? "netlink" : "ioctl");
	do {
		if (sigwait(&set, &sig))
			sig = SIGTERM;
	} while (sig != SIGINT && sig != SIGTERM);
	log_info("%s: finishing replies and exiting", strsignal(sig));
	server_stop(ws, cfg.threads);
	rc = 0;
out_join:
	for (i = 0; i < cfg.threads; i++)
		pthread_join(th[i], NULL);
	/* no worker writes any more: the final save sees everything */
	if (persist_exit())
		rc = 1;
out_workers:
	for (i = 0; i < started; i++)
		server_worker_exit(&ws[i], nu);
out:
	for (i = 0; i < nu; i++)
		if (ufd[i] >= 0)
			close(ufd[i]);
	if (cfg.redis_socket)
		unlink(cfg.redis_socket);
	if (cfg.mc_socket)
		unlink(cfg.mc_socket);
	free(ws);
	free(th);
	free(ptstats);
	ptstats = NULL;
	if (!rc)
		log_info("bye");
	return rc;
}
