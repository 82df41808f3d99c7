// SPDX-License-Identifier: GPL-2.0
/*
 * Redis: the command table, dispatch (arity, unknown commands, MULTI
 * queueing) and the commands about the server and the connection rather
 * than data (PING, HELLO, CLIENT, COMMAND, INFO, transactions, ...).
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cmdstats.h"
#include "glob.h"
#include "libkcache.h"
#include "monitor.h"
#include "notify.h"
#include "pubsub.h"
#include "redis.h"
#include "slowlog.h"
#include "save.h"
#include "server.h"
#include "blocking.h"

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

struct buf *rout(struct conn *c)
{
	return eng_out(E(c), c);
}

void reply_err(struct conn *c, const char *msg)
{
	resp_error(rout(c), msg);
}

/*
 * SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a negative count repeat
 * members for as long as asked: redis-server 7.0 allocates the whole
 * reply first (and crashes on some counts near -LLONG_MAX), kcache stops
 * where one op's reply passes KC_REPLY_MAX.
 */
void reply_count_too_big(struct buf *o)
{
	resp_error(o, "ERR count is too large: the reply would pass kcache's 64 MiB reply limit");
}

void reply_kerr(struct buf *o, int err)
{
	switch (-err) {
	case EPROTOTYPE:
		resp_error(o, "WRONGTYPE Operation against a key holding the wrong kind of value");
		break;
	case EDOM:
		resp_error(o, "ERR value is not an integer or out of range");
		break;
	case EOVERFLOW:
		resp_error(o, "ERR increment or decrement would overflow");
		break;
	case ENOMEM:
		resp_error(o, "OOM command not allowed when used memory > 'maxmemory'.");
		break;
	case E2BIG:
		resp_error(o, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
		break;
	case ENAMETOOLONG:
		resp_error(o, "ERR key too long for kcache (max 250 bytes)");
		break;
	case EPERM:
		resp_error(o, "ERR kcache refused: the proxy needs CAP_SYS_ADMIN for this command");
		break;
	case EOPNOTSUPP:
		resp_error(o, "ERR this kcache module does not support the operation");
		break;
	case ERANGE:
		resp_error(o, "ERR index out of range");
		break;
	case EMSGSIZE:
		resp_error(o, "ERR value or reply larger than --transport netlink carries (65531 bytes): use --transport ioctl");
		break;
	case ENOBUFS:
		resp_error(o, "ERR kcache-proxy lost the kernel's reply (netlink receive buffer overrun); the command may have run");
		break;
	case EFBIG:
		resp_errorf(o, "ERR kcache runs this command as a transaction, which carries at most %u MiB of values",
			    KC_INPUT_MAX >> 20);
		break;
	default:
		resp_errorf(o, "ERR kcache: %s", kc_strerror(err));
	}
}

bool arg_eq(const struct arg *a, const char *s)
{
	size_t n = strlen(s);

	return a->len == n && !strncasecmp(a->p, s, n);
}

char *arg_lower(const struct arg *a, char *dst, size_t n)
{
	size_t i;

	/* Too long to be a keyword: leave something that matches nothing. */
	if (a->len >= n) {
		dst[0] = '\1';
		dst[1] = 0;
		return dst;
	}
	for (i = 0; i < a->len; i++)
		dst[i] = (char)tolower((unsigned char)a->p[i]);
	dst[i] = 0;
	return dst;
}

bool key_check(struct buf *o, const struct arg *k)
{
	if (k->len > KC_KEY_MAX) {
		resp_error(o, "ERR key too long for kcache (max 250 bytes)");
		return false;
	}
	if (!k->len) {
		resp_error(o, "ERR empty keys are not supported by kcache");
		return false;
	}
	return true;
}

bool key_ok(struct conn *c, const struct arg *k)
{
	return key_check(rout(c), k);
}

bool arg_ll(struct conn *c, const struct arg *a, long long *v)
{
	if (resp_str2ll(a->p, a->len, v))
		return true;
	reply_err(c, "ERR value is not an integer or out of range");
	return false;
}

/*
 * A database index: an int as Redis's getIntFromObjectOrReply() reads it,
 * then 0 .. KC_DB_COUNT - 1; false after the error reply.
 */
bool db_arg(struct conn *c, const struct arg *a, uint32_t *db)
{
	long long v;

	if (!arg_ll(c, a, &v))
		return false;
	if (v < INT_MIN || v > INT_MAX) {
		reply_err(c, "ERR value is out of range, value must between -2147483648 and 2147483647");
		return false;
	}
	if (v < 0 || v >= KC_DB_COUNT) {
		reply_err(c, "ERR DB index is out of range");
		return false;
	}
	*db = (uint32_t)v;
	return true;
}

int key_version(struct conn *c, const void *key, size_t klen, uint64_t *cas,
		uint32_t *type)
{
	struct kc_op op;
	int err;

	/* EXISTS reads any type's version and does not bump it. */
	kc_op_init(&op, KC_OP_EXISTS);
	kc_op_key(&op, key, klen);
	err = eng_do(E(c), &op);
	if (!err) {
		*cas = op.cas;
		*type = (uint32_t)op.num;
	}
	return err;
}

/* At most KC_ARGS_MAX arguments for one kernel op, or an error reply. */
bool nargs_ok(struct conn *c, size_t n)
{
	if (n > KC_ARGS_MAX) {
		resp_errorf(rout(c), "ERR too many arguments for kcache (max %d)",
			    KC_ARGS_MAX);
		return false;
	}
	return true;
}

/*
 * The reply of a split command: each chunk rendered by its own renderer,
 * then combined: counts summed (a push's length: the last chunk's),
 * arrays joined, OK once; the first
 * error wins (chunks before it ran: a kernel transaction does not roll
 * back, see uapi.rst).  r->b, when it is the argument count (HMGET's
 * nils for a missing key), is each chunk's own.
 */
static void r_chunked(struct conn *c, struct rec *r, struct kc_op *ops)
{
	struct buf acc, err;
	bool push = ops[0].opcode == KC_OP_LPUSH || ops[0].opcode == KC_OP_RPUSH;
	long long sum = 0, v;
	size_t total = 0, i, nargs = 0;
	char kind = 0;

	buf_init(&acc);
	buf_init(&err);
	for (i = 0; i < r->chunks; i++)
		nargs += ops[i].nargs;
	for (i = 0; i < r->chunks; i++) {
		size_t at = c->out.len, len, hdr;
		struct rec sub = *r;
		const char *p, *nl;

		sub.nops = 1;
		if (r->b == (int64_t)nargs)
			sub.b = (int64_t)ops[i].nargs;
		r->inner(c, &sub, &ops[i]);
		p = c->out.data + at;
		len = c->out.len - at;
		nl = len ? memchr(p, '\n', len) : NULL;
		if (!nl) {
			if (!err.len)
				resp_error(&err, "ERR kcache-proxy could not render a split reply");
		} else if (p[0] == '-') {
			if (!err.len)
				buf_add(&err, p, len);
		} else if (p[0] == ':' && resp_str2ll(p + 1, (size_t)(nl - p) - 2, &v)) {
			kind = ':';
			/* A push answers the length after it: the last one's. */
			sum = push ? v : sum + v;
		} else if (p[0] == '*' && resp_str2ll(p + 1, (size_t)(nl - p) - 2, &v) && v >= 0) {
			kind = '*';
			total += (size_t)v;
			hdr = (size_t)(nl - p) + 1;
			buf_add(&acc, p + hdr, len - hdr);
		} else if (p[0] == '+') {
			kind = '+';
			if (!acc.len)
				buf_add(&acc, p, len);
		} else if (!err.len) {
			resp_error(&err, "ERR kcache-proxy could not combine a split reply");
		}
		c->out.len = at;
	}
	if (err.len)
		buf_add(&c->out, err.data, err.len);
	else if (kind == ':')
		resp_int(&c->out, sum);
	else if (kind == '*') {
		resp_array(&c->out, total);
		buf_add(&c->out, acc.data ? acc.data : "", acc.len);
	} else
		buf_add(&c->out, acc.data ? acc.data : "", acc.len);
	buf_free(&acc);
	buf_free(&err);
}

bool big_begin(struct conn *c, size_t *mark)
{
	struct engine *e = E(c);
	bool own = !e->txn;

	if (own)
		eng_txn_begin(e);
	*mark = e->nrecs;
	return own;
}

/* Splits the op of the record planned at mark, then runs its own txn. */
void big_end(struct conn *c, bool own, size_t mark)
{
	struct engine *e = E(c);
	struct kc_op orig, *op;
	struct kc_buf *args;
	struct rec *r;
	uint32_t i, n;
	int err;

	if (e->nrecs > mark && e->recs[mark].nops == 1 &&
	    e->ops[e->recs[mark].op0].nargs > KC_ARGS_MAX) {
		r = &e->recs[mark];
		orig = e->ops[r->op0];
		args = (struct kc_buf *)(uintptr_t)orig.args;
		n = orig.nargs;
		e->ops[r->op0].nargs = KC_ARGS_MAX;	/* pairs stay whole */
		for (i = KC_ARGS_MAX; i < n; i += KC_ARGS_MAX) {
			op = eng_op(e, r, orig.opcode);
			*op = orig;
			op->args = (uint64_t)(uintptr_t)(args + i);
			op->nargs = n - i < KC_ARGS_MAX ? n - i : KC_ARGS_MAX;
			if (orig.out_len)
				kc_op_out(op, eng_alloc(e, orig.out_len), orig.out_len);
		}
		r->chunks = r->nops;
		r->inner = r->fn;
		r->fn = r_chunked;
	}
	if (!own)
		return;
	err = eng_txn_run(e, NULL, 0);
	if (!err)
		eng_txn_render(e);
	else if (err == -E2BIG)
		resp_errorf(&c->out, "ERR too many arguments for kcache: more than one kernel transaction carries (%d ops of %d arguments)",
			    KC_BATCH_MAX, KC_ARGS_MAX);
	else if (err == -EOPNOTSUPP)
		resp_errorf(&c->out, "ERR more than %d arguments need kcache transactions (KC_BATCH_TXN), which this kcache module does not support yet",
			    KC_ARGS_MAX);
	else
		reply_kerr(&c->out, err);
}

/* ------------------------------------------------------------ server */

static void cmd_ping(struct conn *c, struct arg *argv, size_t argc)
{
	if (argc > 2) {
		reply_err(c, "ERR wrong number of arguments for 'ping' command");
		return;
	}
	/* A subscribed RESP2 client can only take arrays. */
	if (c->proto == 2 && ps_count(c)) {
		resp_array(rout(c), 2);
		resp_bulks(rout(c), "pong");
		resp_bulk(rout(c), argc == 2 ? argv[1].p : "",
			  argc == 2 ? argv[1].len : 0);
		return;
	}
	if (argc == 2)
		resp_bulk(rout(c), argv[1].p, argv[1].len);
	else
		resp_simple(rout(c), "PONG");
}

static void cmd_echo(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argc;
	resp_bulk(rout(c), argv[1].p, argv[1].len);
}

/* The connection's database from now on, for this command's ops too. */
static void select_db(struct conn *c, uint32_t db)
{
	c->db = db;
	E(c)->db = db;
}

/*
 * SELECT db.  Inside MULTI it is queued as any command and changes the
 * database when EXEC runs it: for the commands queued after it, and for
 * the connection afterwards.
 */
static void cmd_select(struct conn *c, struct arg *argv, size_t argc)
{
	uint32_t db;

	(void)argc;
	if (!db_arg(c, &argv[1], &db))
		return;
	select_db(c, db);
	resp_simple(rout(c), "OK");
}

static void cmd_quit(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	resp_simple(rout(c), "OK");
	conn_close_after_reply(c);
}

static void cmd_time(struct conn *c, struct arg *argv, size_t argc)
{
	struct timeval tv;
	char s[32];

	(void)argv;
	(void)argc;
	gettimeofday(&tv, NULL);
	resp_array(rout(c), 2);
	snprintf(s, sizeof(s), "%lld", (long long)tv.tv_sec);
	resp_bulks(rout(c), s);
	snprintf(s, sizeof(s), "%lld", (long long)tv.tv_usec);
	resp_bulks(rout(c), s);
}

static void cmd_auth(struct conn *c, struct arg *argv, size_t argc)
{
	if (argc > 3) {
		reply_err(c, "ERR syntax error");
		return;
	}
	if (argc == 2) {
		reply_err(c, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
		return;
	}
	/* The default user has no password: any password is right. */
	if (arg_eq(&argv[1], "default"))
		resp_simple(rout(c), "OK");
	else
		reply_err(c, "WRONGPASS invalid username-password pair or user is disabled.");
}

static bool kstats(struct conn *c, struct kc_stats *st)
{
	int err = kc_stats(E(c)->fd, st);

	STAT_ADD(ioctls, 1);
	if (err) {
		reply_kerr(rout(c), err);
		return false;
	}
	kstats_rebase(st);
	return true;
}

static void human(char *b, size_t n, uint64_t v)
{
	if (v >= (1ULL << 30))
		snprintf(b, n, "%.2fG", (double)v / (1ULL << 30));
	else if (v >= (1ULL << 20))
		snprintf(b, n, "%.2fM", (double)v / (1ULL << 20));
	else if (v >= 1024)
		snprintf(b, n, "%.2fK", (double)v / 1024);
	else
		snprintf(b, n, "%lluB", (unsigned long long)v);
}

static bool want(struct arg *argv, size_t argc, const char *sec, bool dflt)
{
	size_t i;

	if (argc < 2)
		return dflt;
	for (i = 1; i < argc; i++)
		if (arg_eq(&argv[i], sec) || arg_eq(&argv[i], "all") ||
		    arg_eq(&argv[i], "everything") ||
		    (dflt && arg_eq(&argv[i], "default")))
			return true;
	return false;
}

/*
 * INFO's keyspace: a line per database with keys, as Redis prints them
 * (kcache-proxy does not count the keys with an expiry: expires=0).
 */
static void info_keyspace(struct conn *c, struct buf *b)
{
	struct engine *e = E(c);
	uint32_t db = e->db, i;
	struct kc_op op;

	for (i = 0; i < KC_DB_COUNT; i++) {
		e->db = i;
		kc_op_init(&op, KC_OP_DBSIZE);
		if (!eng_do(e, &op) && op.num > 0)
			buf_printf(b, "db%u:keys=%lld,expires=0,avg_ttl=0\r\n",
				   i, (long long)op.num);
	}
	e->db = db;
}

/*
 * INFO's CPU, from getrusage() as Redis: the process, its children (the
 * BGSAVE child) and, for Redis's main thread, the worker thread that
 * runs the command (each worker is a main thread for its clients).
 */
static void info_cpu(struct buf *b)
{
	struct rusage self, kids, thr;

	memset(&self, 0, sizeof(self));
	memset(&kids, 0, sizeof(kids));
	memset(&thr, 0, sizeof(thr));
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	getrusage(RUSAGE_THREAD, &thr);
	buf_printf(b, "# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n"
		   "used_cpu_sys_children:%ld.%06ld\r\nused_cpu_user_children:%ld.%06ld\r\n"
		   "used_cpu_sys_main_thread:%ld.%06ld\r\nused_cpu_user_main_thread:%ld.%06ld\r\n",
		   (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec,
		   (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec,
		   (long)kids.ru_stime.tv_sec, (long)kids.ru_stime.tv_usec,
		   (long)kids.ru_utime.tv_sec, (long)kids.ru_utime.tv_usec,
		   (long)thr.ru_stime.tv_sec, (long)thr.ru_stime.tv_usec,
		   (long)thr.ru_utime.tv_sec, (long)thr.ru_utime.tv_usec);
}

/* INFO replication's master_replid: random, drawn once. */
static char replid[41];
static pthread_once_t replid_once = PTHREAD_ONCE_INIT;

static void draw_replid(void)
{
	unsigned char r[20];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(rand() ^ (proxy_start >> (i % 8)));
	for (i = 0; i < sizeof(r); i++)
		snprintf(replid + 2 * i, 3, "%02x", r[i]);
}

/* INFO replication: a master without replicas, as a fresh redis-server. */
static void info_replication(struct buf *b)
{
	pthread_once(&replid_once, draw_replid);
	buf_printf(b, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
		   "master_failover_state:no-failover\r\nmaster_replid:%s\r\n"
		   "master_replid2:0000000000000000000000000000000000000000\r\n"
		   "master_repl_offset:0\r\nsecond_repl_offset:-1\r\n"
		   "repl_backlog_active:0\r\nrepl_backlog_size:1048576\r\n"
		   "repl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
		   replid);
}

static void cmd_info(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_stats st;
	struct utsname u;
	struct buf b;
	time_t now = time(NULL);
	char h1[32], h2[32];
	int n = 0;

	if (!kstats(c, &st))
		return;
	buf_init(&b);
	if (want(argv, argc, "server", true)) {
		uname(&u);
		buf_printf(&b, "# Server\r\nredis_version:%s\r\nredis_git_sha1:00000000\r\n"
			   "redis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\n"
			   "os:%s %s %s\r\narch_bits:%d\r\nmultiplexing_api:epoll\r\n"
			   "process_id:%ld\r\nprocess_supervised:no\r\ntcp_port:%d\r\n"
			   "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n"
			   "io_threads_active:%d\r\nkcache_proxy_version:%s\r\n"
			   "kcache_abi_version:%d\r\nkcache_uptime_in_seconds:%llu\r\n",
			   PROXY_REDIS_VERSION, u.sysname, u.release, u.machine,
			   (int)(sizeof(long) * 8), (long)getpid(), cfg.redis_port,
			   (long long)(now - proxy_start),
			   (long long)(now - proxy_start) / 86400, cfg.threads > 1,
			   PROXY_VERSION, KC_ABI_VERSION,
			   (unsigned long long)st.uptime_ms / 1000);
		n++;
	}
	if (want(argv, argc, "clients", true)) {
		buf_printf(&b, "%s# Clients\r\nconnected_clients:%ld\r\nmaxclients:%ld\r\n"
			   "blocked_clients:%ld\r\ntracking_clients:0\r\n"
			   "kcache_redis_clients:%ld\r\nkcache_memcache_clients:%ld\r\n",
			   n ? "\r\n" : "", CONN_GET(curr_connections), cfg.maxclients,
			   blk_count(),
			   CONN_GET(redis_connections), CONN_GET(mc_connections));
		n++;
	}
	if (want(argv, argc, "memory", true)) {
		long long shown = config_maxmemory_shown();

		/* as CONFIG GET maxmemory: 0 or a value under the minimum */
		if (shown >= 0)
			st.limit_bytes = (uint64_t)shown;
		human(h1, sizeof(h1), st.used_bytes);
		human(h2, sizeof(h2), st.limit_bytes);
		buf_printf(&b, "%s# Memory\r\nused_memory:%llu\r\nused_memory_human:%s\r\n"
			   "maxmemory:%llu\r\nmaxmemory_human:%s\r\n"
			   "maxmemory_policy:%s\r\nkcache_bytes:%llu\r\n"
			   "kcache_slab_pages:%llu\r\nkcache_large_bytes:%llu\r\n",
			   n ? "\r\n" : "", (unsigned long long)st.used_bytes, h1,
			   (unsigned long long)st.limit_bytes, h2,
			   redis_policy(c->w->eng.fd),
			   (unsigned long long)st.bytes,
			   (unsigned long long)st.slab_pages,
			   (unsigned long long)st.large_bytes);
		n++;
	}
	if (want(argv, argc, "persistence", true)) {
		buf_printf(&b, "%s", n ? "\r\n" : "");
		persist_info(&b, c->w->eng.fd);
		n++;
	}
	if (want(argv, argc, "stats", true)) {
		buf_printf(&b, "%s# Stats\r\ntotal_connections_received:%llu\r\n"
			   "total_commands_processed:%llu\r\ninstantaneous_ops_per_sec:0\r\n"
			   "total_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\n"
			   "rejected_connections:%llu\r\nexpired_keys:%llu\r\n"
			   "evicted_keys:%llu\r\nkeyspace_hits:%llu\r\nkeyspace_misses:%llu\r\n"
			   "kcache_ioctls:%llu\r\nkcache_netlink_ops:%llu\r\n"
			   "kcache_transport:%s\r\nkcache_total_items:%llu\r\n"
			   "total_error_replies:%llu\r\n",
			   n ? "\r\n" : "",
			   (unsigned long long)STAT_GET(total_connections),
			   (unsigned long long)STAT_GET(total_commands),
			   (unsigned long long)STAT_GET(net_in),
			   (unsigned long long)STAT_GET(net_out),
			   (unsigned long long)STAT_GET(rejected_connections),
			   (unsigned long long)st.reclaimed,
			   (unsigned long long)st.evictions,
			   (unsigned long long)st.get_hits,
			   (unsigned long long)st.get_misses,
			   (unsigned long long)STAT_GET(ioctls),
			   (unsigned long long)STAT_GET(nl_ops),
			   cfg.transport == TRANSPORT_NETLINK ? "netlink" : "ioctl",
			   (unsigned long long)st.total_items, cs_total_errors());
		n++;
	}
	if (want(argv, argc, "replication", true)) {
		buf_printf(&b, "%s", n ? "\r\n" : "");
		info_replication(&b);
		n++;
	}
	if (want(argv, argc, "cpu", true)) {
		buf_printf(&b, "%s", n ? "\r\n" : "");
		info_cpu(&b);
		n++;
	}
	if (want(argv, argc, "commandstats", false)) {
		buf_printf(&b, "%s", n ? "\r\n" : "");
		cs_info_commandstats(&b);
		n++;
	}
	if (want(argv, argc, "errorstats", true)) {
		buf_printf(&b, "%s", n ? "\r\n" : "");
		cs_info_errorstats(&b);
		n++;
	}
	if (want(argv, argc, "latencystats", false)) {
		buf_printf(&b, "%s", n ? "\r\n" : "");
		cs_info_latencystats(&b);
		n++;
	}
	if (want(argv, argc, "keyspace", true)) {
		buf_printf(&b, "%s# Keyspace\r\n", n ? "\r\n" : "");
		info_keyspace(c, &b);
		n++;
	}
	resp_verbatim(rout(c), b.data ? b.data : "", b.len, c->proto);
	buf_free(&b);
}

/* ------------------------------------------------------------ CLIENT */

static bool name_ok(const struct arg *a)
{
	size_t i;

	for (i = 0; i < a->len; i++)
		if (a->p[i] < '!' || a->p[i] > '~')
			return false;
	return true;
}

/* A NUL-terminated copy of len bytes (which may hold NULs), or NULL. */
char *memdupz(const void *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, p, len);
		s[len] = 0;
	}
	return s;
}

static char *dupz(const struct arg *a)
{
	return memdupz(a->p, a->len);
}

static void set_name(struct conn *c, const struct arg *a)
{
	free(c->name);
	c->name = a->len ? dupz(a) : NULL;
}

/* CLIENT KILL's filters (7.0): all given must match. */
struct kill_filter {
	const struct arg *addr, *laddr, *id, *type, *user;
	bool skipme;
};

static bool arg_is(const struct arg *a, const char *s)
{
	return a->len == strlen(s) && !memcmp(a->p, s, a->len);
}

static bool kill_match(const struct kill_filter *f, const struct conn *c,
		       const struct conn *me)
{
	char id[24];

	if (c->closing && c != me)
		return false;
	if (f->skipme && c == me)
		return false;
	if (f->addr && !arg_is(f->addr, c->addr))
		return false;
	if (f->laddr && !arg_is(f->laddr, c->laddr))
		return false;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->id);
	if (f->id && !arg_is(f->id, id))
		return false;
	if (f->type && !arg_eq(f->type, ps_count(c) ? "pubsub" : "normal"))
		return false;
	if (f->user && !arg_is(f->user, "default"))
		return false;
	return true;
}

struct kill_walk {
	const struct kill_filter *f;
	struct conn *me;
	long long n;
	bool me_too;
};

static void kill_one(struct conn *t, void *arg)
{
	struct kill_walk *kw = arg;

	if (!kill_match(kw->f, t, kw->me))
		return;
	kw->n++;
	if (t == kw->me)
		kw->me_too = true;
	else
		server_client_kill(t);
}

/*
 * CLIENT KILL, old form (ip:port) and filters, over the clients of every
 * worker.  A killed client is gone at once for CLIENT LIST and INFO; its
 * own worker closes it.  The caller is closed after its reply.
 */
static void client_kill(struct conn *c, struct arg *argv, size_t argc)
{
	struct kill_filter f = { .skipme = true };
	struct kill_walk kw = { &f, c, 0, false };
	long long v;
	size_t j;

	if (argc == 3) {
		f.addr = &argv[2];
		f.skipme = false;
	} else if (argc % 2) {
		reply_err(c, "ERR syntax error");
		return;
	} else {
		for (j = 2; j < argc; j += 2) {
			const struct arg *v2 = &argv[j + 1];

			if (arg_eq(&argv[j], "id")) {
				if (!resp_str2ll(v2->p, v2->len, &v) || v <= 0) {
					reply_err(c, "ERR client-id should be greater than 0");
					return;
				}
				f.id = v2;
			} else if (arg_eq(&argv[j], "type")) {
				if (!arg_eq(v2, "normal") && !arg_eq(v2, "pubsub") &&
				    !arg_eq(v2, "master") && !arg_eq(v2, "replica") &&
				    !arg_eq(v2, "slave")) {
					resp_errorf(rout(c), "ERR Unknown client type '%.*s'",
						    (int)(v2->len > 128 ? 128 : v2->len), v2->p);
					return;
				}
				f.type = v2;
			} else if (arg_eq(&argv[j], "addr")) {
				f.addr = v2;
			} else if (arg_eq(&argv[j], "laddr")) {
				f.laddr = v2;
			} else if (arg_eq(&argv[j], "user")) {
				if (!arg_is(v2, "default")) {
					resp_errorf(rout(c), "ERR No such user '%.*s'",
						    (int)(v2->len > 128 ? 128 : v2->len), v2->p);
					return;
				}
				f.user = v2;
			} else if (arg_eq(&argv[j], "skipme")) {
				if (arg_eq(v2, "yes")) {
					f.skipme = true;
				} else if (arg_eq(v2, "no")) {
					f.skipme = false;
				} else {
					reply_err(c, "ERR syntax error");
					return;
				}
			} else {
				/* MAXAGE too: it came after Redis 7.0. */
				reply_err(c, "ERR syntax error");
				return;
			}
		}
	}
	server_clients_each(kill_one, &kw);
	if (argc == 3) {
		if (kw.n)
			resp_simple(rout(c), "OK");
		else
			reply_err(c, "ERR No such client");
	} else {
		resp_int(rout(c), kw.n);
	}
	if (kw.me_too)
		conn_close_after_reply(c);
}

/* CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]] */
static void client_list(struct conn *c, struct arg *argv, size_t argc)
{
	struct client_filter f = { .type = -1 };
	uint64_t *ids = NULL;
	struct buf b;
	size_t j;

	if (argc == 4 && arg_eq(&argv[2], "type")) {
		if (arg_eq(&argv[3], "normal"))
			f.type = CT_NORMAL;
		else if (arg_eq(&argv[3], "pubsub"))
			f.type = CT_PUBSUB;
		else if (arg_eq(&argv[3], "master") || arg_eq(&argv[3], "replica") ||
			 arg_eq(&argv[3], "slave"))
			f.type = CT_OTHER;
		else {
			resp_errorf(rout(c), "ERR Unknown client type '%.*s'",
				    (int)(argv[3].len > 128 ? 128 : argv[3].len), argv[3].p);
			return;
		}
	} else if (argc > 3 && arg_eq(&argv[2], "id")) {
		ids = calloc(argc - 3, sizeof(*ids));
		if (!ids) {
			reply_err(c, "ERR out of memory");
			return;
		}
		for (j = 3; j < argc; j++) {
			long long v;

			if (!resp_str2ll(argv[j].p, argv[j].len, &v)) {
				reply_err(c, "ERR Invalid client ID");
				free(ids);
				return;
			}
			/* An id below 1 names no client. */
			ids[f.nids++] = v > 0 ? (uint64_t)v : 0;
		}
		f.ids = ids;
	} else if (argc != 2) {
		reply_err(c, "ERR syntax error");
		return;
	}
	buf_init(&b);
	server_client_list(&b, c, &f);
	resp_verbatim(rout(c), b.data ? b.data : "", b.len, c->proto);
	buf_free(&b);
	free(ids);
}

static void cmd_client(struct conn *c, struct arg *argv, size_t argc)
{
	char sub[16];
	struct buf *o = rout(c);

	arg_lower(&argv[1], sub, sizeof(sub));
	if (!strcmp(sub, "id") && argc == 2) {
		resp_int(o, (long long)c->id);
	} else if (!strcmp(sub, "setname") && argc == 3) {
		if (!name_ok(&argv[2])) {
			resp_error(o, "ERR Client names cannot contain spaces, newlines or special characters.");
			return;
		}
		set_name(c, &argv[2]);
		resp_simple(o, "OK");
	} else if (!strcmp(sub, "getname") && argc == 2) {
		if (c->name)
			resp_bulks(o, c->name);
		else
			resp_null(o, c->proto);
	} else if (!strcmp(sub, "setinfo") && argc == 4) {
		char **dst;

		if (arg_eq(&argv[2], "lib-name"))
			dst = &c->lib_name;
		else if (arg_eq(&argv[2], "lib-ver"))
			dst = &c->lib_ver;
		else {
			resp_errorf(o, "ERR Unrecognized option '%.*s'",
				    (int)(argv[2].len > 128 ? 128 : argv[2].len),
				    argv[2].p);
			return;
		}
		if (!name_ok(&argv[3])) {
			resp_errorf(o, "ERR %s cannot contain spaces, newlines or special characters.",
				    dst == &c->lib_name ? "lib-name" : "lib-ver");
			return;
		}
		free(*dst);
		*dst = dupz(&argv[3]);
		resp_simple(o, "OK");
	} else if (!strcmp(sub, "info") && argc == 2) {
		struct client_filter f = { .only = c, .type = -1 };
		struct buf b;

		buf_init(&b);
		server_client_list(&b, c, &f);
		resp_verbatim(o, b.data ? b.data : "", b.len, c->proto);
		buf_free(&b);
	} else if (!strcmp(sub, "list")) {
		client_list(c, argv, argc);
	} else if ((!strcmp(sub, "no-evict") || !strcmp(sub, "no-touch")) &&
		   argc == 3) {
		if (arg_eq(&argv[2], "on") || arg_eq(&argv[2], "off"))
			resp_simple(o, "OK");
		else
			resp_error(o, "ERR syntax error");
	} else if (!strcmp(sub, "kill") && argc >= 3) {
		client_kill(c, argv, argc);
	} else if (!strcmp(sub, "reply") && argc == 3) {
		if (arg_eq(&argv[2], "on")) {
			/* As Redis: ON answers, even after OFF or SKIP. */
			c->reply_off = c->reply_skip = false;
			E(c)->mute = NULL;
			resp_simple(rout(c), "OK");
		} else if (arg_eq(&argv[2], "off")) {
			c->reply_off = true;
			c->reply_skip = false;
		} else if (arg_eq(&argv[2], "skip")) {
			if (!c->reply_off)
				c->reply_skip = true;
		} else {
			resp_error(o, "ERR syntax error");
		}
	} else if (!strcmp(sub, "unblock") && (argc == 3 || argc == 4)) {
		bool error = false;
		long long id;

		if (argc == 4) {
			if (arg_eq(&argv[3], "error")) {
				error = true;
			} else if (!arg_eq(&argv[3], "timeout")) {
				resp_error(o, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
				return;
			}
		}
		if (!arg_ll(c, &argv[2], &id))
			return;
		resp_int(o, blk_unblock((uint64_t)id, error));
	} else if (!strcmp(sub, "unpause") && argc == 2) {
		resp_simple(o, "OK");	/* nothing is ever paused */
	} else if (!strcmp(sub, "pause") && (argc == 3 || argc == 4)) {
		resp_error(o, "ERR CLIENT PAUSE is not supported by kcache-proxy");
	} else if (!strcmp(sub, "tracking") && argc >= 3) {
		if (arg_eq(&argv[2], "off") && argc == 3)
			resp_simple(o, "OK");
		else if (arg_eq(&argv[2], "on") || arg_eq(&argv[2], "off"))
			resp_error(o, "ERR CLIENT TRACKING is not supported by kcache-proxy");
		else
			resp_error(o, "ERR syntax error");
	} else if (!strcmp(sub, "trackinginfo") && argc == 2) {
		resp_map(o, 3, c->proto);
		resp_bulks(o, "flags");
		resp_set(o, 1, c->proto);
		resp_bulks(o, "off");
		resp_bulks(o, "redirect");
		resp_int(o, -1);
		resp_bulks(o, "prefixes");
		resp_array(o, 0);
	} else if (!strcmp(sub, "getredir") && argc == 2) {
		resp_int(o, -1);
	} else if (!strcmp(sub, "id") || !strcmp(sub, "setname") ||
		   !strcmp(sub, "getname") || !strcmp(sub, "setinfo") ||
		   !strcmp(sub, "info") || !strcmp(sub, "list") ||
		   !strcmp(sub, "kill") || !strcmp(sub, "reply") ||
		   !strcmp(sub, "unpause") || !strcmp(sub, "pause") ||
		   !strcmp(sub, "tracking") || !strcmp(sub, "no-evict") ||
		   !strcmp(sub, "no-touch") || !strcmp(sub, "trackinginfo") ||
		   !strcmp(sub, "getredir") || !strcmp(sub, "unblock")) {
		resp_errorf(o, "ERR wrong number of arguments for 'client|%s' command",
			    sub);
	} else {
		resp_errorf(o, "ERR unknown subcommand '%.*s'. Try CLIENT HELP.",
			    (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].p);
	}
}

static void cmd_hello(struct conn *c, struct arg *argv, size_t argc)
{
	long long ver = c->proto;
	size_t j;
	struct buf *o;

	if (argc >= 2) {
		if (!resp_str2ll(argv[1].p, argv[1].len, &ver)) {
			reply_err(c, "ERR Protocol version is not an integer or out of range");
			return;
		}
		if (ver < 2 || ver > 3) {
			reply_err(c, "NOPROTO unsupported protocol version");
			return;
		}
	}
	for (j = 2; j < argc; j++) {
		if (arg_eq(&argv[j], "auth") && j + 2 < argc) {
			if (!arg_eq(&argv[j + 1], "default")) {
				reply_err(c, "WRONGPASS invalid username-password pair or user is disabled.");
				return;
			}
			j += 2;
		} else if (arg_eq(&argv[j], "setname") && j + 1 < argc) {
			if (!name_ok(&argv[j + 1])) {
				reply_err(c, "ERR Client names cannot contain spaces, newlines or special characters.");
				return;
			}
			j++;
		} else {
			resp_errorf(rout(c), "ERR Syntax error in HELLO option '%.*s'",
				    (int)(argv[j].len > 128 ? 128 : argv[j].len),
				    argv[j].p);
			return;
		}
	}
	for (j = 2; j < argc; j++)
		if (arg_eq(&argv[j], "setname"))
			set_name(c, &argv[++j]);
		else if (arg_eq(&argv[j], "auth"))
			j += 2;
	c->proto = (int)ver;
	o = rout(c);
	resp_map(o, 7, c->proto);
	resp_bulks(o, "server");
	resp_bulks(o, "redis");
	resp_bulks(o, "version");
	resp_bulks(o, PROXY_REDIS_VERSION);
	resp_bulks(o, "proto");
	resp_int(o, c->proto);
	resp_bulks(o, "id");
	resp_int(o, (long long)c->id);
	resp_bulks(o, "mode");
	resp_bulks(o, "standalone");
	resp_bulks(o, "role");
	resp_bulks(o, "master");
	resp_bulks(o, "modules");
	resp_array(o, 0);
}

/* ------------------------------------------------------------ MULTI */

static void unwatch(struct conn *c)
{
	size_t i;

	for (i = 0; i < c->nwatch; i++)
		free(c->watch[i].key);
	free(c->watch);
	c->watch = NULL;
	c->nwatch = 0;
}

static void discard_queue(struct conn *c)
{
	size_t i;

	for (i = 0; i < c->mq_len; i++)
		free(c->mq[i].argv);
	free(c->mq);
	c->mq = NULL;
	c->mq_len = c->mq_cap = 0;
	c->in_multi = false;
	c->multi_dirty = false;
	c->multi_denyoom = false;
}

void redis_conn_free(struct conn *c)
{
	discard_queue(c);
	unwatch(c);
	ps_conn_free(c);
	mon_conn_free(c);
	free(c->name);
	free(c->lib_name);
	free(c->lib_ver);
	c->name = c->lib_name = c->lib_ver = NULL;
}

static bool queue(struct conn *c, struct arg *argv, size_t argc)
{
	size_t bytes = argc * sizeof(struct arg), i;
	struct queued *q;
	char *p;

	for (i = 0; i < argc; i++)
		bytes += argv[i].len;
	if (c->mq_len == c->mq_cap) {
		size_t ncap = c->mq_cap ? c->mq_cap * 2 : 16;

		q = realloc(c->mq, ncap * sizeof(*q));
		if (!q)
			return false;
		c->mq = q;
		c->mq_cap = ncap;
	}
	q = &c->mq[c->mq_len];
	q->argv = malloc(bytes ? bytes : 1);
	if (!q->argv)
		return false;
	q->argc = argc;
	p = (char *)(q->argv + argc);
	for (i = 0; i < argc; i++) {
		memcpy(p, argv[i].p, argv[i].len);
		q->argv[i].p = p;
		q->argv[i].len = argv[i].len;
		p += argv[i].len;
	}
	c->mq_len++;
	return true;
}

static void cmd_multi(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	if (c->in_multi) {
		reply_err(c, "ERR MULTI calls can not be nested");
		return;
	}
	c->in_multi = true;
	c->multi_dirty = false;
	c->multi_denyoom = false;
	resp_simple(rout(c), "OK");
}

static void cmd_discard(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	if (!c->in_multi) {
		reply_err(c, "ERR DISCARD without MULTI");
		return;
	}
	discard_queue(c);
	unwatch(c);
	resp_simple(rout(c), "OK");
}

/*
 * RESET: the connection as new (no MULTI, WATCH, subscriptions, monitor
 * mode, name; database 0).
 */
static void cmd_reset(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	discard_queue(c);
	unwatch(c);
	c->watch_dirty = false;
	ps_conn_free(c);
	mon_conn_free(c);
	select_db(c, 0);
	c->proto = 2;
	free(c->name);
	c->name = NULL;
	c->reply_off = c->reply_skip = false;
	E(c)->mute = NULL;
	resp_simple(rout(c), "RESET");
}

static void cmd_unwatch(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	unwatch(c);
	resp_simple(rout(c), "OK");
}

/*
 * WATCH remembers each key's CAS version now (0: missing), whatever its
 * type, in the selected database; EXEC hands them to the kernel, which
 * aborts if any changed.
 */
static void cmd_watch(struct conn *c, struct arg *argv, size_t argc)
{
	struct watched *w;
	size_t i;

	if (c->in_multi) {
		reply_err(c, "ERR WATCH inside MULTI is not allowed");
		return;
	}
	for (i = 1; i < argc; i++)
		if (!key_ok(c, &argv[i]))
			return;
	if (c->nwatch + argc - 1 > KC_WATCH_MAX) {
		resp_errorf(rout(c), "ERR too many WATCHed keys (kcache allows %d)",
			    KC_WATCH_MAX);
		return;
	}
	w = realloc(c->watch, (c->nwatch + argc - 1) * sizeof(*w));
	if (!w) {
		reply_err(c, "ERR out of memory");
		return;
	}
	c->watch = w;
	for (i = 1; i < argc; i++) {
		struct kc_op op;
		int err;

		/* EXISTS reads any type's version and does not bump it. */
		kc_op_init(&op, KC_OP_EXISTS);
		kc_op_key(&op, argv[i].p, argv[i].len);
		err = eng_do(E(c), &op);
		w = &c->watch[c->nwatch];
		w->key = dupz(&argv[i]);
		if (!w->key) {
			c->watch_dirty = true;
			continue;
		}
		w->len = argv[i].len;
		w->db = c->db;
		if (!err)
			w->cas = op.cas;
		else if (err == -ENOENT)
			w->cas = 0;
		else
			c->watch_dirty = true;	/* cannot version it */
		c->nwatch++;
	}
	resp_simple(rout(c), "OK");
}

static const struct redis_cmd *lookup(const struct arg *name);

/*
 * The key positions of a command: first, first + step, ... last.  LMPOP,
 * ZMPOP and their blocking forms (no fixed positions in the table) count
 * their numkeys, as Redis's key specs do.  1, 0 for a keyless command, -1
 * for a numkeys that is not a count of the arguments there.
 */
static int key_range(const struct redis_cmd *cmd, const struct arg *argv,
		     size_t argc, size_t *first, size_t *last, size_t *step)
{
	static const char *const mpop[] = { "lmpop", "zmpop", "blmpop", "bzmpop" };
	long long nk;
	size_t i, at;

	*step = 1;
	for (i = 0; i < sizeof(mpop) / sizeof(mpop[0]); i++) {
		if (strcmp(cmd->name, mpop[i]))
			continue;
		at = i < 2 ? 1 : 2;	/* where numkeys is */
		if (argc <= at || !resp_str2ll(argv[at].p, argv[at].len, &nk) ||
		    nk < 1 || (unsigned long long)nk > argc - at - 1)
			return -1;
		*first = at + 1;
		*last = at + (size_t)nk;
		return 1;
	}
	if (cmd->first <= 0)
		return 0;
	*first = (size_t)cmd->first;
	*last = cmd->last < 0 ? argc + (size_t)cmd->last : (size_t)cmd->last;
	*step = (size_t)cmd->step;
	return 1;
}

/* Does SORT argv write key: is it its STORE destination? */
static bool sort_store_key(const struct arg *argv, size_t argc,
			   const struct arg *key)
{
	size_t j = 2;

	while (j < argc) {
		if (arg_eq(&argv[j], "limit")) {
			j += 3;
		} else if (arg_eq(&argv[j], "by") || arg_eq(&argv[j], "get")) {
			j += 2;
		} else if (arg_eq(&argv[j], "store") && j + 1 < argc) {
			if (argv[j + 1].len == key->len &&
			    !memcmp(argv[j + 1].p, key->p, key->len))
				return true;
			j += 2;
		} else {
			j++;
		}
	}
	return false;
}

/*
 * Can queued command q, run in database qdb, write key of database kdb?
 * A write command writes the keys it names (ZRANGESTORE only its
 * destination, SORT only its STORE one), or, keyless, any key.  MOVE
 * names its key in both.
 */
static bool writes(const struct queued *q, uint32_t qdb,
		   const struct arg *key, uint32_t kdb)
{
	const struct redis_cmd *cmd = lookup(&q->argv[0]);
	size_t i, first, last, step;

	if (!cmd || !(cmd->flags & RF_WRITE))
		return false;
	switch (key_range(cmd, q->argv, q->argc, &first, &last, &step)) {
	case 0:		/* keyless */
		return true;
	case -1:	/* a bad numkeys: it fails, changing nothing */
		return false;
	}
	if (qdb != kdb && cmd->fn != cmd_move)
		return false;
	if (cmd->fn == cmd_zrangestore || cmd->fn == cmd_bitop)
		last = first;	/* the sources are only read */
	if (cmd->fn == cmd_bitfield && !bitfield_writes(q->argv, q->argc))
		return false;
	if (cmd->fn == cmd_sort)
		return sort_store_key(q->argv, q->argc, key);
	for (i = first; i <= last && i < q->argc; i += step)
		if (q->argv[i].len == key->len &&
		    !memcmp(q->argv[i].p, key->p, key->len))
			return true;
	return false;
}

/*
 * Commands that only take away: a key missing before one of them is
 * still missing after it.
 */
static bool only_removes(const struct queued *q)
{
	static const char *const names[] = {
		"del", "unlink", "getdel", "persist", "expire", "pexpire",
		"expireat", "pexpireat", "lpop", "rpop", "lmpop", "blpop",
		"brpop", "blmpop", "lrem", "ltrim", "hdel", "srem", "spop",
		"zrem", "zpopmin", "zpopmax", "zmpop", "bzpopmin", "bzpopmax",
		"bzmpop", "zremrangebyrank", "zremrangebyscore",
		"zremrangebylex",
	};
	const char *name = lookup(&q->argv[0])->name;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/*
 * The database each queued command will run in (dbs[i]): the
 * connection's, until a queued SELECT of a valid index changes it for the
 * commands after it.
 */
static void queue_dbs(const struct conn *c, uint32_t *dbs)
{
	uint32_t db = c->db;
	long long v;
	size_t i;

	for (i = 0; i < c->mq_len; i++) {
		const struct queued *q = &c->mq[i];

		dbs[i] = db;
		if (lookup(&q->argv[0])->fn == cmd_select &&
		    resp_str2ll(q->argv[1].p, q->argv[1].len, &v) &&
		    v >= 0 && v < KC_DB_COUNT)
			db = (uint32_t)v;
	}
}

/* ------------------------------------------------------------ prepared */

/* The commands that EXEC prepares before its transaction (redis.h). */
static const struct prepared {
	redis_fn fn;
	txpre_fn prepare;
	txplan_fn plan;
} prepared[] = {
	{ cmd_incrbyfloat, incrbyfloat_prepare, incrbyfloat_plan },
	{ cmd_hincrbyfloat, hincrbyfloat_prepare, hincrbyfloat_plan },
	{ cmd_zrangestore, zrangestore_prepare, zrangestore_plan },
	{ cmd_bitop, bitop_prepare, bitop_plan },
	{ cmd_bitfield, bitfield_prepare, bitfield_plan },
	{ cmd_zmpop, zmpop_prepare, zmpop_plan },
	{ cmd_bzpop, bzpop_prepare, bzpop_plan },
	{ cmd_bzmpop, bzmpop_prepare, bzmpop_plan },
	{ cmd_sort, sort_prepare, sort_plan },
	{ cmd_sort_ro, sort_prepare, sort_plan },
};

static const struct prepared *prepared_of(const struct arg *name)
{
	const struct redis_cmd *cmd = lookup(name);
	size_t i;

	for (i = 0; cmd && i < sizeof(prepared) / sizeof(prepared[0]); i++)
		if (prepared[i].fn == cmd->fn)
			return &prepared[i];
	return NULL;
}

long txq_writer(const struct txq *q, const struct arg *key, long before)
{
	const struct conn *c = q->c;
	long j;

	if (!q->dbs)
		return -1;	/* alone: nothing runs before it */
	for (j = before - 1; j >= 0; j--) {
		const struct queued *w = &c->mq[j];

		if (writes(w, q->dbs[j], key, q->dbs[q->i]))
			return j;
	}
	return -1;
}

int txq_key_state(const struct txq *q, const struct arg *key, uint64_t *cas,
		  uint32_t *type)
{
	long j = (long)q->i;
	bool written = false;
	int err;

	while ((j = txq_writer(q, key, j)) >= 0) {
		if (!only_removes(&q->c->mq[j]))
			return KS_WRITTEN;
		written = true;
	}
	err = key_version(q->c, key->p, key->len, cas, type);
	if (err == -ENOENT) {
		*cas = 0;
		return KS_MISSING;
	}
	if (err)
		return err;
	return written ? KS_WRITTEN : KS_EXISTS;
}

bool txq_same(const struct txq *q, long j)
{
	return lookup(&q->c->mq[j].argv[0])->fn ==
	       lookup(&q->c->mq[q->i].argv[0])->fn;
}

struct arg *txq_argv(const struct txq *q, long j)
{
	return q->c->mq[j].argv;
}

bool txpre_watch(struct txpre *p, const struct txq *q, const void *key,
		 size_t klen, uint64_t cas)
{
	struct kc_watch *w;

	if (p->nw == p->wcap) {
		uint32_t ncap = p->wcap ? p->wcap * 2 : 4;

		w = realloc(p->w, ncap * sizeof(*w));
		if (!w)
			return false;
		p->w = w;
		p->wcap = ncap;
	}
	w = &p->w[p->nw++];
	w->key = (uint64_t)(uintptr_t)key;
	w->key_len = (uint32_t)klen;
	w->db = E(q->c)->db;	/* where the prepared command runs */
	w->cas = cas;
	return true;
}

void txpre_free(struct txpre *p)
{
	while (p->nkeys)
		free(p->keys[--p->nkeys]);
	free(p->keys);
	free(p->w);
	free(p->out);
	memset(p, 0, sizeof(*p));
}

#define TXPRE_TRIES	100

void txpre_run(struct conn *c, struct arg *argv, size_t argc,
	       txpre_fn prepare, txplan_fn plan, const char *name)
{
	struct txq q = { .c = c };
	struct engine *e = E(c);
	struct txpre p = { 0 };
	int tries, err = 0;

	for (tries = 0; tries < TXPRE_TRIES; tries++) {
		txpre_free(&p);
		if (!prepare(&q, argv, argc, &p)) {
			txpre_free(&p);
			reply_err(c, "ERR out of memory");
			return;
		}
		eng_txn_begin(e);
		plan(c, argv, argc, &p);
		err = eng_txn_run(e, p.w, p.nw);
		if (err != -ECANCELED)
			break;
	}
	txpre_free(&p);
	if (!err)
		eng_txn_render(e);
	else if (err == -ECANCELED)
		resp_errorf(rout(c), "ERR %s lost the race too often, try again",
			    name);
	else if (err == -E2BIG)
		reply_err(c, "ERR too large for one kcache transaction");
	else
		reply_kerr(rout(c), err);
}

/* The command's name in upper case, for an error text. */
static void upper_name(const struct arg *a, char *s, size_t n)
{
	size_t i;

	arg_lower(a, s, n);
	for (i = 0; s[i]; i++)
		s[i] = (char)toupper((unsigned char)s[i]);
}

/*
 * Prepares every queued command that reads before it writes (in the
 * database it will run in) and gathers the keys they read with the
 * watched ones into *kw.  -ENOMEM, or -E2BIG past KC_WATCH_MAX.
 */
static int txq_prepare(struct conn *c, const uint32_t *dbs, struct txpre *pre,
		       struct kc_watch **kw, uint32_t *nw)
{
	struct txq q = { .c = c, .dbs = dbs, .pre = pre };
	struct engine *e = E(c);
	uint32_t db = e->db, n = (uint32_t)c->nwatch, k;
	struct kc_watch *w;
	size_t i;
	bool ok;

	for (i = 0; i < c->mq_len; i++) {
		const struct prepared *pr = prepared_of(&c->mq[i].argv[0]);

		txpre_free(&pre[i]);
		if (!pr)
			continue;
		q.i = i;
		e->db = dbs[i];
		ok = pr->prepare(&q, c->mq[i].argv, c->mq[i].argc, &pre[i]);
		e->db = db;
		if (!ok)
			return -ENOMEM;
		n += pre[i].nw;
	}
	if (n > KC_WATCH_MAX)
		return -E2BIG;
	w = realloc(*kw, (n ? n : 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	*kw = w;
	for (i = 0; i < c->nwatch; i++) {
		w[i].key = (uint64_t)(uintptr_t)c->watch[i].key;
		w[i].key_len = (uint32_t)c->watch[i].len;
		w[i].db = c->watch[i].db;
		w[i].cas = c->watch[i].cas;
	}
	for (i = 0, n = (uint32_t)c->nwatch; i < c->mq_len; i++)
		for (k = 0; k < pre[i].nw; k++)
			w[n++] = pre[i].w[k];
	*nw = n;
	return 0;
}

/* Plans the queued commands into the transaction. */
static void txq_plan(struct conn *c, const struct txpre *pre)
{
	char name[32];
	size_t i;

	for (i = 0; i < c->mq_len; i++) {
		struct queued *q = &c->mq[i];
		const struct prepared *pr = prepared_of(&q->argv[0]);
		long long t0 = slowlog_now_us();
		const void *ev = notify_begin(c, lookup(&q->argv[0])->name,
					      q->argv, q->argc);

		if (!pr) {
			lookup(&q->argv[0])->fn(c, q->argv, q->argc);
		} else if (pre[i].conflict) {
			upper_name(&q->argv[0], name, sizeof(name));
			resp_errorf(rout(c), "ERR kcache-proxy cannot run %s inside MULTI on a key an earlier command of the same transaction changes",
				    name);
		} else {
			pr->plan(c, q->argv, q->argc, &pre[i]);
		}
		notify_end(c, ev);
		q->us = slowlog_now_us() - t0;
	}
}

/*
 * MONITOR's lines of the queued commands, once they ran: each in the
 * database it left the connection in (a SELECT's own line shows its
 * new one, as Redis).
 */
static void feed_queue(struct conn *c, const uint32_t *dbs)
{
	size_t i;

	for (i = 0; i < c->mq_len; i++)
		mon_feed(c, lookup(&c->mq[i].argv[0]), c->mq[i].argv,
			 c->mq[i].argc, i + 1 < c->mq_len ? dbs[i + 1] : c->db);
}

static void cmd_exec(struct conn *c, struct arg *argv, size_t argc)
{
	struct engine *e = E(c);
	struct cmdstat *cs;
	struct kc_watch *kw = NULL;
	struct txpre *pre = NULL;
	uint32_t *dbs = NULL, db = c->db;
	size_t i, npre = 0;
	uint32_t nw;
	int err, tries;

	(void)argv;
	(void)argc;
	if (!c->in_multi) {
		reply_err(c, "ERR EXEC without MULTI");
		return;
	}
	/* Over maxmemory since the queueing: refused before it runs, as Redis. */
	if (c->multi_denyoom && config_oom()) {
		reply_err(c, "EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.");
		goto out;
	}
	if (c->multi_dirty) {
		reply_err(c, "EXECABORT Transaction discarded because of previous errors.");
		goto out;
	}
	if (c->watch_dirty) {
		resp_null_array(&c->out, c->proto);
		goto out;
	}
	for (i = 0; i < c->mq_len; i++)
		npre += prepared_of(&c->mq[i].argv[0]) != NULL;
	pre = calloc(c->mq_len ? c->mq_len : 1, sizeof(*pre));
	dbs = calloc(c->mq_len ? c->mq_len : 1, sizeof(*dbs));
	if (!pre || !dbs) {
		reply_err(c, "ERR out of memory");
		goto out;
	}
	queue_dbs(c, dbs);
	/*
	 * A transaction with prepared commands runs again when one of the
	 * keys they read changed meanwhile (or a WATCHed key did: then it is
	 * cancelled every time and answers nil, as it should).
	 */
	for (tries = 0;; tries++) {
		/* A queued SELECT of the last try ran: from the start again. */
		select_db(c, db);
		err = txq_prepare(c, dbs, pre, &kw, &nw);
		if (err == -ENOMEM) {
			reply_err(c, "ERR out of memory");
			goto out;
		}
		if (err) {
			resp_errorf(&c->out, "EXECABORT Transaction discarded: more than %d watched keys and keys read before the transaction (INCRBYFLOAT, ZMPOP, ...)",
				    KC_WATCH_MAX);
			goto out;
		}
		eng_txn_begin(e);
		/* Its commands' errors are theirs, not EXEC's (errorstats). */
		cs = e->cs;
		e->cs = NULL;
		txq_plan(c, pre);
		e->cs = cs;
		err = eng_txn_run(e, kw, nw);
		if (err != -ECANCELED || !npre || tries >= 16)
			break;
	}
	/* Nothing ran: neither did the queued SELECTs. */
	if (err)
		select_db(c, db);
	if (!err) {
		resp_array(&c->out, c->mq_len);
		eng_txn_render(e);
		if (mon_on())
			feed_queue(c, dbs);
		/* Redis logs what EXEC ran, not EXEC. */
		for (i = 0; slowlog_on() && i < c->mq_len; i++)
			slowlog_push(c, c->mq[i].argv, c->mq[i].argc, c->mq[i].us);
	} else if (err == -ECANCELED) {
		resp_null_array(&c->out, c->proto);
	} else if (err == -EOPNOTSUPP) {
		reply_err(c, "EXECABORT Transaction discarded: this kcache module does not support transactions (KC_BATCH_TXN) yet");
	} else if (err == -E2BIG) {
		resp_errorf(&c->out, "EXECABORT Transaction discarded: too large for one kcache transaction (max %d operations)",
			    KC_BATCH_MAX);
	} else if (err == -EFBIG) {
		resp_errorf(&c->out, "EXECABORT Transaction discarded: a kcache transaction carries at most %u MiB of values",
			    KC_INPUT_MAX >> 20);
	} else {
		reply_kerr(&c->out, err);
	}
out:
	free(kw);
	free(dbs);
	for (i = 0; pre && i < c->mq_len; i++)
		txpre_free(&pre[i]);
	free(pre);
	discard_queue(c);
	unwatch(c);
	c->watch_dirty = false;
}

/* ------------------------------------------------------------ table */

static void cmd_command(struct conn *c, struct arg *argv, size_t argc);

#define W RF_WRITE
#define R RF_READONLY
#define D RF_DENYOOM
#define F RF_FAST
#define M RF_MOVABLE

static const struct redis_cmd cmds[] = {
	/* strings */
	{ "get", 2, R | F, 1, 1, 1, cmd_get, 0, "string", "Returns the string value of a key." },
	{ "set", -3, W | D, 1, 1, 1, cmd_set, 0, "string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist." },
	{ "setnx", 3, W | D | F, 1, 1, 1, cmd_setnx, 0, "string", "Set the string value of a key only when the key doesn't exist." },
	{ "setex", 4, W | D, 1, 1, 1, cmd_setex, 0, "string", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist." },
	{ "psetex", 4, W | D, 1, 1, 1, cmd_psetex, 0, "string", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist." },
	{ "getset", 3, W | D | F, 1, 1, 1, cmd_getset, 0, "string", "Returns the previous string value of a key after setting it to a new value." },
	{ "getdel", 2, W | F, 1, 1, 1, cmd_getdel, 0, "string", "Returns the string value of a key after deleting the key." },
	{ "getex", -2, W | F, 1, 1, 1, cmd_getex, 0, "string", "Returns the string value of a key after setting its expiration time." },
	{ "mget", -2, R | F, 1, -1, 1, cmd_mget, 0, "string", "Atomically returns the string values of one or more keys." },
	{ "mset", -3, W | D, 1, -1, 2, cmd_mset, 0, "string", "Atomically creates or modifies the string values of one or more keys." },
	{ "msetnx", -3, W | D, 1, -1, 2, cmd_msetnx, RX_SYNC | RX_NOTXN, "string", "Atomically modifies the string values of one or more keys only when all keys don't exist." },
	{ "append", 3, W | D | F, 1, 1, 1, cmd_append, 0, "string", "Appends a string to the value of a key. Creates the key if it doesn't exist." },
	{ "strlen", 2, R | F, 1, 1, 1, cmd_strlen, 0, "string", "Returns the length of a string value." },
	{ "incr", 2, W | D | F, 1, 1, 1, cmd_incr, 0, "string", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist." },
	{ "decr", 2, W | D | F, 1, 1, 1, cmd_decr, 0, "string", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist." },
	{ "incrby", 3, W | D | F, 1, 1, 1, cmd_incrby, 0, "string", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist." },
	{ "decrby", 3, W | D | F, 1, 1, 1, cmd_decrby, 0, "string", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist." },
	{ "incrbyfloat", 3, W | D | F, 1, 1, 1, cmd_incrbyfloat, RX_SYNC, "string", "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist." },
	{ "getrange", 4, R, 1, 1, 1, cmd_getrange, 0, "string", "Returns a substring of the string stored at a key." },
	{ "substr", 4, R, 1, 1, 1, cmd_getrange, 0, "string", "Returns a substring from a string value." },
	{ "lcs", -3, R, 1, 2, 1, cmd_lcs, 0, "string", "Finds the longest common substring." },
	{ "setrange", 4, W | D, 1, 1, 1, cmd_setrange, 0, "string", "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist." },
	{ "getbit", 3, R | F, 1, 1, 1, cmd_getbit, 0, "bitmap", "Returns a bit value by offset." },
	{ "setbit", 4, W | D, 1, 1, 1, cmd_setbit, 0, "bitmap", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist." },
	{ "bitcount", -2, R, 1, 1, 1, cmd_bitcount, 0, "bitmap", "Counts the number of set bits (population counting) in a string." },
	{ "bitpos", -3, R, 1, 1, 1, cmd_bitpos, 0, "bitmap", "Finds the first set (1) or clear (0) bit in a string." },
	{ "bitop", -4, W | D, 2, -1, 1, cmd_bitop, RX_SYNC, "bitmap", "Performs bitwise operations on multiple strings, and stores the result." },
	{ "bitfield", -2, W | D, 1, 1, 1, cmd_bitfield, 0, "bitmap", "Performs arbitrary bitfield integer operations on strings." },
	{ "bitfield_ro", -2, R | F, 1, 1, 1, cmd_bitfield_ro, 0, "bitmap", "Performs arbitrary read-only bitfield integer operations on strings." },
	/* keyspace */
	{ "del", -2, W, 1, -1, 1, cmd_del, 0, "generic", "Deletes one or more keys." },
	{ "unlink", -2, W | F, 1, -1, 1, cmd_del, 0, "generic", "Asynchronously deletes one or more keys." },
	{ "exists", -2, R | F, 1, -1, 1, cmd_exists, 0, "generic", "Determines whether one or more keys exist." },
	{ "expire", -3, W | F, 1, 1, 1, cmd_expire, 0, "generic", "Sets the expiration time of a key in seconds." },
	{ "pexpire", -3, W | F, 1, 1, 1, cmd_expire, 0, "generic", "Sets the expiration time of a key in milliseconds." },
	{ "expireat", -3, W | F, 1, 1, 1, cmd_expire, 0, "generic", "Sets the expiration time of a key to a Unix timestamp." },
	{ "pexpireat", -3, W | F, 1, 1, 1, cmd_expire, 0, "generic", "Sets the expiration time of a key to a Unix milliseconds timestamp." },
	{ "ttl", 2, R | F, 1, 1, 1, cmd_ttl, 0, "generic", "Returns the expiration time in seconds of a key." },
	{ "pttl", 2, R | F, 1, 1, 1, cmd_ttl, 0, "generic", "Returns the expiration time in milliseconds of a key." },
	{ "expiretime", 2, R | F, 1, 1, 1, cmd_expiretime, 0, "generic", "Returns the expiration time of a key as a Unix timestamp." },
	{ "pexpiretime", 2, R | F, 1, 1, 1, cmd_expiretime, 0, "generic", "Returns the expiration time of a key as a Unix milliseconds timestamp." },
	{ "touch", -2, R | F, 1, -1, 1, cmd_touch, 0, "generic", "Returns the number of existing keys out of those specified after updating the time they were last accessed." },
	{ "copy", -3, W | D, 1, 2, 1, cmd_copy, RX_SYNC | RX_NOTXN, "generic", "Copies the value of a key to a new key." },
	{ "move", 3, W | F, 1, 1, 1, cmd_move, 0, "generic", "Moves a key to another database." },
	{ "object", -2, 0, 0, 0, 0, cmd_object, RX_SYNC | RX_NOTXN | RX_SUBCMD, "generic", "A container for object introspection commands." },
	{ "memory", -2, 0, 0, 0, 0, cmd_memory, RX_SYNC | RX_NOTXN | RX_SUBCMD, "server", "A container for memory diagnostics commands." },
	{ "persist", 2, W | F, 1, 1, 1, cmd_persist, 0, "generic", "Removes the expiration time of a key." },
	{ "type", 2, R | F, 1, 1, 1, cmd_type, 0, "generic", "Determines the type of value stored at a key." },
	{ "keys", 2, R, 0, 0, 0, cmd_keys, RX_SYNC | RX_NOTXN, "generic", "Returns all key names that match a pattern." },
	{ "scan", -2, R, 0, 0, 0, cmd_scan, 0, "generic", "Iterates over the key names in the database." },
	{ "randomkey", 1, R, 0, 0, 0, cmd_randomkey, RX_SYNC | RX_NOTXN, "generic", "Returns a random key name from the database." },
	{ "rename", 3, W, 1, 2, 1, cmd_rename, 0, "generic", "Renames a key and overwrites the destination." },
	{ "renamenx", 3, W | F, 1, 2, 1, cmd_rename, 0, "generic", "Renames a key only when the target key name doesn't exist." },
	{ "dump", 2, R, 1, 1, 1, cmd_dump, RX_SYNC | RX_NOTXN, "generic", "Returns a serialized representation of the value stored at a key." },
	{ "sort", -2, W | D | M, 1, 1, 1, cmd_sort, RX_SYNC, "generic", "Sorts the elements in a list, a set, or a sorted set, optionally storing the result." },
	{ "sort_ro", -2, R | M, 1, 1, 1, cmd_sort_ro, RX_SYNC, "generic", "Returns the sorted elements of a list, a set, or a sorted set." },
	{ "restore", -4, W | D, 1, 1, 1, cmd_restore, RX_SYNC | RX_NOTXN, "generic", "Creates a key from the serialized representation of a value." },
	/* lists */
	{ "lpush", -3, W | D | F, 1, 1, 1, cmd_push, 0, "list", "Prepends one or more elements to a list. Creates the key if it doesn't exist." },
	{ "rpush", -3, W | D | F, 1, 1, 1, cmd_push, 0, "list", "Appends one or more elements to a list. Creates the key if it doesn't exist." },
	{ "lpushx", -3, W | D | F, 1, 1, 1, cmd_push, 0, "list", "Prepends one or more elements to a list only when the list exists." },
	{ "rpushx", -3, W | D | F, 1, 1, 1, cmd_push, 0, "list", "Appends an element to a list only when the list exists." },
	{ "lpop", -2, W | F, 1, 1, 1, cmd_pop, 0, "list", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped." },
	{ "rpop", -2, W | F, 1, 1, 1, cmd_pop, 0, "list", "Returns and removes the last elements of a list. Deletes the list if the last element was popped." },
	{ "lrange", 4, R, 1, 1, 1, cmd_lrange, 0, "list", "Returns a range of elements from a list." },
	{ "lpos", -3, R, 1, 1, 1, cmd_lpos, 0, "list", "Returns the index of matching elements in a list." },
	{ "llen", 2, R | F, 1, 1, 1, cmd_len, 0, "list", "Returns the length of a list." },
	{ "lindex", 3, R, 1, 1, 1, cmd_lindex, 0, "list", "Returns an element from a list by its index." },
	{ "lset", 4, W | D, 1, 1, 1, cmd_lset, 0, "list", "Sets the value of an element in a list by its index." },
	{ "lrem", 4, W, 1, 1, 1, cmd_lrem, 0, "list", "Removes elements from a list. Deletes the list if the last element was removed." },
	{ "ltrim", 4, W, 1, 1, 1, cmd_ltrim, 0, "list", "Removes elements from both ends a list. Deletes the list if all elements were trimmed." },
	{ "linsert", 5, W | D, 1, 1, 1, cmd_linsert, 0, "list", "Inserts an element before or after another element in a list." },
	{ "lmove", 5, W | D, 1, 2, 1, cmd_lmove, 0, "list", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved." },
	{ "rpoplpush", 3, W | D, 1, 2, 1, cmd_lmove, 0, "list", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped." },
	{ "lmpop", -4, W | M, 0, 0, 0, cmd_lmpop, 0, "list", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped." },
	{ "blpop", -3, W | RF_NOSCRIPT, 1, -2, 1, cmd_bpop, RX_SYNC, "list", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped." },
	{ "brpop", -3, W | RF_NOSCRIPT, 1, -2, 1, cmd_bpop, RX_SYNC, "list", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped." },
	{ "blmove", 6, W | D | RF_NOSCRIPT, 1, 2, 1, cmd_lmove, RX_SYNC, "list", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved." },
	{ "brpoplpush", 4, W | D | RF_NOSCRIPT, 1, 2, 1, cmd_lmove, RX_SYNC, "list", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped." },
	{ "blmpop", -5, W | M, 0, 0, 0, cmd_lmpop, RX_SYNC, "list", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped." },
	/* hashes */
	{ "hset", -4, W | D | F, 1, 1, 1, cmd_hset, 0, "hash", "Creates or modifies the value of a field in a hash." },
	{ "hmset", -4, W | D | F, 1, 1, 1, cmd_hset, 0, "hash", "Sets the values of multiple fields." },
	{ "hsetnx", 4, W | D | F, 1, 1, 1, cmd_hset, 0, "hash", "Sets the value of a field in a hash only when the field doesn't exist." },
	{ "hget", 3, R | F, 1, 1, 1, cmd_field, 0, "hash", "Returns the value of a field in a hash." },
	{ "hexists", 3, R | F, 1, 1, 1, cmd_field, 0, "hash", "Determines whether a field exists in a hash." },
	{ "hstrlen", 3, R | F, 1, 1, 1, cmd_field, 0, "hash", "Returns the length of the value of a field." },
	{ "hmget", -3, R | F, 1, 1, 1, cmd_mfield, 0, "hash", "Returns the values of all fields in a hash." },
	{ "hdel", -3, W | F, 1, 1, 1, cmd_hdel, 0, "hash", "Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain." },
	{ "hlen", 2, R | F, 1, 1, 1, cmd_len, 0, "hash", "Returns the number of fields in a hash." },
	{ "hgetall", 2, R, 1, 1, 1, cmd_getall, 0, "hash", "Returns all fields and values in a hash." },
	{ "hrandfield", -2, R, 1, 1, 1, cmd_hrandfield, 0, "hash", "Returns one or more random fields from a hash." },
	{ "hkeys", 2, R, 1, 1, 1, cmd_getall, 0, "hash", "Returns all fields in a hash." },
	{ "hvals", 2, R, 1, 1, 1, cmd_getall, 0, "hash", "Returns all values in a hash." },
	{ "hincrby", 4, W | D | F, 1, 1, 1, cmd_hincrby, 0, "hash", "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist." },
	{ "hincrbyfloat", 4, W | D | F, 1, 1, 1, cmd_hincrbyfloat, RX_SYNC, "hash", "Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist." },
	{ "hscan", -3, R, 1, 1, 1, cmd_xscan, 0, "hash", "Iterates over fields and values of a hash (one page, cursor 0)." },
	/* sets */
	{ "sadd", -3, W | D | F, 1, 1, 1, cmd_hdel, 0, "set", "Adds one or more members to a set. Creates the key if it doesn't exist." },
	{ "srem", -3, W | F, 1, 1, 1, cmd_hdel, 0, "set", "Removes one or more members from a set. Deletes the set if the last member was removed." },
	{ "smembers", 2, R, 1, 1, 1, cmd_getall, 0, "set", "Returns all members of a set." },
	{ "sismember", 3, R | F, 1, 1, 1, cmd_field, 0, "set", "Determines whether a member belongs to a set." },
	{ "smismember", -3, R | F, 1, 1, 1, cmd_mfield, 0, "set", "Determines whether multiple members belong to a set." },
	{ "scard", 2, R | F, 1, 1, 1, cmd_len, 0, "set", "Returns the number of members in a set." },
	{ "spop", -2, W | F, 1, 1, 1, cmd_pop, 0, "set", "Returns one or more random members from a set after removing them. Deletes the set if the last member was popped." },
	{ "srandmember", -2, R, 1, 1, 1, cmd_pop, 0, "set", "Get one or multiple random members from a set" },
	{ "smove", 4, W | F, 1, 2, 1, cmd_smove, 0, "set", "Moves a member from one set to another." },
	{ "sdiff", -2, R, 1, -1, 1, cmd_salgebra, 0, "set", "Returns the difference of multiple sets." },
	{ "sinter", -2, R, 1, -1, 1, cmd_salgebra, 0, "set", "Returns the intersect of multiple sets." },
	{ "sintercard", -3, R | M, 0, 0, 0, cmd_sintercard, 0, "set", "Returns the number of members of the intersect of multiple sets." },
	{ "sunion", -2, R, 1, -1, 1, cmd_salgebra, 0, "set", "Returns the union of multiple sets." },
	{ "sdiffstore", -3, W | D, 1, -1, 1, cmd_salgebra, 0, "set", "Stores the difference of multiple sets in a key." },
	{ "sinterstore", -3, W | D, 1, -1, 1, cmd_salgebra, 0, "set", "Stores the intersect of multiple sets in a key." },
	{ "sunionstore", -3, W | D, 1, -1, 1, cmd_salgebra, 0, "set", "Stores the union of multiple sets in a key." },
	{ "sscan", -3, R, 1, 1, 1, cmd_xscan, 0, "set", "Iterates over members of a set (one page, cursor 0)." },
	/* sorted sets */
	{ "zadd", -4, W | D | F, 1, 1, 1, cmd_zadd, 0, "sorted-set", "Adds one or more members to a sorted set, or updates their scores. Creates the key if it doesn't exist." },
	{ "zincrby", 4, W | D | F, 1, 1, 1, cmd_zincrby, 0, "sorted-set", "Increments the score of a member in a sorted set." },
	{ "zrem", -3, W | F, 1, 1, 1, cmd_zrem, 0, "sorted-set", "Removes one or more members from a sorted set. Deletes the sorted set if all members were removed." },
	{ "zcard", 2, R | F, 1, 1, 1, cmd_zcard, 0, "sorted-set", "Returns the number of members in a sorted set." },
	{ "zscore", 3, R | F, 1, 1, 1, cmd_zmscore, 0, "sorted-set", "Returns the score of a member in a sorted set." },
	{ "zmscore", -3, R | F, 1, 1, 1, cmd_zmscore, 0, "sorted-set", "Returns the score of one or more members in a sorted set." },
	{ "zcount", 4, R | F, 1, 1, 1, cmd_zcount, 0, "sorted-set", "Returns the count of members in a sorted set that have scores within a range." },
	{ "zlexcount", 4, R | F, 1, 1, 1, cmd_zcount, 0, "sorted-set", "Returns the number of members in a sorted set within a lexicographical range." },
	{ "zrank", 3, R | F, 1, 1, 1, cmd_zrank, 0, "sorted-set", "Returns the index of a member in a sorted set ordered by ascending scores." },
	{ "zrevrank", 3, R | F, 1, 1, 1, cmd_zrank, 0, "sorted-set", "Returns the index of a member in a sorted set ordered by descending scores." },
	{ "zrange", -4, R, 1, 1, 1, cmd_zrange, 0, "sorted-set", "Returns members in a sorted set within a range of indexes." },
	{ "zrevrange", -4, R, 1, 1, 1, cmd_zrevrange, 0, "sorted-set", "Returns members in a sorted set within a range of indexes in reverse order." },
	{ "zrangebyscore", -4, R, 1, 1, 1, cmd_zrangeby, 0, "sorted-set", "Returns members in a sorted set within a range of scores." },
	{ "zrevrangebyscore", -4, R, 1, 1, 1, cmd_zrangeby, 0, "sorted-set", "Returns members in a sorted set within a range of scores in reverse order." },
	{ "zrangebylex", -4, R, 1, 1, 1, cmd_zrangeby, 0, "sorted-set", "Returns members in a sorted set within a lexicographical range." },
	{ "zrevrangebylex", -4, R, 1, 1, 1, cmd_zrangeby, 0, "sorted-set", "Returns members in a sorted set within a lexicographical range in reverse order." },
	{ "zrangestore", -5, W | D, 1, 2, 1, cmd_zrangestore, RX_SYNC, "sorted-set", "Stores a range of members from sorted set in a key." },
	{ "zremrangebyrank", 4, W, 1, 1, 1, cmd_zremrange, 0, "sorted-set", "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all members were removed." },
	{ "zremrangebyscore", 4, W, 1, 1, 1, cmd_zremrange, 0, "sorted-set", "Removes members in a sorted set within a range of scores. Deletes the sorted set if all members were removed." },
	{ "zremrangebylex", 4, W, 1, 1, 1, cmd_zremrange, 0, "sorted-set", "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if all members were removed." },
	{ "zpopmin", -2, W | F, 1, 1, 1, cmd_zpop, 0, "sorted-set", "Returns the lowest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped." },
	{ "zpopmax", -2, W | F, 1, 1, 1, cmd_zpop, 0, "sorted-set", "Returns the highest-scoring members from a sorted set after removing them. Deletes the sorted set if the last member was popped." },
	{ "zmpop", -4, W | M, 0, 0, 0, cmd_zmpop, RX_SYNC, "sorted-set", "Returns the highest- or lowest-scoring members from one or more sorted sets after removing them. Deletes the sorted set if the last member was popped." },
	{ "bzpopmin", -3, W | RF_NOSCRIPT | F, 1, -2, 1, cmd_bzpop, RX_SYNC, "sorted-set", "Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped." },
	{ "bzpopmax", -3, W | RF_NOSCRIPT | F, 1, -2, 1, cmd_bzpop, RX_SYNC, "sorted-set", "Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped." },
	{ "bzmpop", -5, W | M, 0, 0, 0, cmd_bzmpop, RX_SYNC, "sorted-set", "Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise. Deletes the sorted set if the last element was popped." },
	{ "zrandmember", -2, R, 1, 1, 1, cmd_zrandmember, 0, "sorted-set", "Returns one or more random members from a sorted set." },
	{ "zunion", -3, R | M, 0, 0, 0, cmd_zcombine, 0, "sorted-set", "Returns the union of multiple sorted sets." },
	{ "zinter", -3, R | M, 0, 0, 0, cmd_zcombine, 0, "sorted-set", "Returns the intersect of multiple sorted sets." },
	{ "zintercard", -3, R | M, 0, 0, 0, cmd_zintercard, 0, "sorted-set", "Returns the number of members of the intersect of multiple sorted sets." },
	{ "zdiff", -3, R | M, 0, 0, 0, cmd_zcombine, 0, "sorted-set", "Returns the difference between multiple sorted sets." },
	{ "zunionstore", -4, W | D | M, 1, 1, 1, cmd_zcombine, 0, "sorted-set", "Stores the union of multiple sorted sets in a key." },
	{ "zinterstore", -4, W | D | M, 1, 1, 1, cmd_zcombine, 0, "sorted-set", "Stores the intersect of multiple sorted sets in a key." },
	{ "zdiffstore", -4, W | D | M, 1, 1, 1, cmd_zcombine, 0, "sorted-set", "Stores the difference of multiple sorted sets in a key." },
	{ "zscan", -3, R, 1, 1, 1, cmd_xscan, 0, "sorted-set", "Iterates over members and scores of a sorted set (one page, cursor 0)." },
	/* server */
	{ "dbsize", 1, R | F, 0, 0, 0, cmd_dbsize, 0, "server", "Returns the number of keys in the database." },
	{ "flushdb", -1, W, 0, 0, 0, cmd_flushdb, 0, "server", "Remove all keys from the current database." },
	{ "flushall", -1, W, 0, 0, 0, cmd_flushdb, 0, "server", "Removes all keys from all databases." },
	{ "swapdb", 3, W | F, 0, 0, 0, cmd_swapdb, 0, "server", "Swaps two Redis databases." },
	{ "info", -1, RF_LOADING | RF_STALE, 0, 0, 0, cmd_info, RX_SYNC | RX_NOTXN, "server", "Returns information and statistics about the server." },
	{ "config", -2, RF_ADMIN | RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_config, RX_SUBCMD, "server", "A container for server configuration commands." },
	{ "command", -1, RF_LOADING | RF_STALE, 0, 0, 0, cmd_command, RX_SUBCMD, "server", "Returns detailed information about all commands." },
	{ "time", 1, RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_time, 0, "server", "Returns the server time." },
	{ "wait", 3, RF_NOSCRIPT, 0, 0, 0, cmd_wait, 0, "generic", "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed (no replicas: 0)." },
	{ "debug", -2, RF_ADMIN | RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_debug, 0, "server", "A container for debugging commands (DEBUG SLEEP 0 only)." },
	{ "slowlog", -2, 0, 0, 0, 0, cmd_slowlog, RX_SUBCMD, "server", "A container for slow log commands." },
	{ "latency", -2, 0, 0, 0, 0, cmd_latency, RX_SUBCMD, "server", "A container for latency diagnostics commands (monitoring off)." },
	{ "save", 1, RF_ADMIN | RF_NOSCRIPT | RF_NOMULTI, 0, 0, 0, cmd_save, RX_SYNC | RX_NOTXN, "server", "Synchronously saves the database(s) to disk." },
	{ "bgsave", -1, RF_ADMIN | RF_NOSCRIPT, 0, 0, 0, cmd_bgsave, RX_SYNC | RX_NOTXN, "server", "Asynchronously saves the database(s) to disk." },
	{ "lastsave", 1, RF_NOSCRIPT | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_lastsave, 0, "server", "Returns the Unix timestamp of the last successful save to disk." },
	{ "shutdown", -1, RF_ADMIN | RF_NOSCRIPT | RF_LOADING | RF_STALE | RF_NOMULTI, 0, 0, 0, cmd_shutdown, RX_SYNC | RX_NOTXN, "server", "Synchronously saves the database(s) to disk and shuts down the Redis server." },
	{ "function", -2, 0, 0, 0, 0, cmd_function, RX_SUBCMD, "scripting", "A container for function commands (no libraries: kcache runs no scripts)." },
	{ "script", -2, 0, 0, 0, 0, cmd_script, RX_SUBCMD, "scripting", "A container for Lua scripts management commands (empty script cache)." },
	{ "eval", -3, RF_NOSCRIPT | RF_STALE | M, 0, 0, 0, cmd_eval, 0, "scripting", "Executes a server-side Lua script (refused: kcache runs no scripts)." },
	{ "eval_ro", -3, RF_NOSCRIPT | RF_STALE | R | M, 0, 0, 0, cmd_eval, 0, "scripting", "Executes a read-only server-side Lua script (refused: kcache runs no scripts)." },
	{ "evalsha", -3, RF_NOSCRIPT | RF_STALE | M, 0, 0, 0, cmd_eval, 0, "scripting", "Executes a server-side Lua script by SHA1 digest (none is loaded)." },
	{ "evalsha_ro", -3, RF_NOSCRIPT | RF_STALE | R | M, 0, 0, 0, cmd_eval, 0, "scripting", "Executes a read-only server-side Lua script by SHA1 digest (none is loaded)." },
	{ "fcall", -3, RF_NOSCRIPT | RF_STALE | M, 0, 0, 0, cmd_eval, 0, "scripting", "Invokes a function (none is loaded)." },
	{ "fcall_ro", -3, RF_NOSCRIPT | RF_STALE | R | M, 0, 0, 0, cmd_eval, 0, "scripting", "Invokes a read-only function (none is loaded)." },
	/* connection */
	{ "ping", -1, F, 0, 0, 0, cmd_ping, RX_SUBOK, "connection", "Returns the server's liveliness response." },
	{ "echo", 2, F, 0, 0, 0, cmd_echo, 0, "connection", "Returns the given string." },
	{ "select", 2, RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_select, 0, "connection", "Changes the selected database." },
	{ "quit", -1, RF_NOAUTH | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_quit, RX_TXCTL | RX_SUBOK, "connection", "Closes the connection." },
	{ "reset", 1, RF_NOAUTH | RF_NOSCRIPT | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_reset, RX_TXCTL | RX_SUBOK, "connection", "Resets the connection." },
	{ "monitor", 1, RF_ADMIN | RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_monitor, 0, "server", "Listens for all requests received by the server in real-time." },
	{ "auth", -2, RF_NOAUTH | RF_NOSCRIPT | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_auth, 0, "connection", "Authenticates the connection." },
	{ "hello", -1, RF_NOAUTH | RF_NOSCRIPT | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_hello, RX_NOTXN, "connection", "Handshakes with the Redis server." },
	{ "client", -2, RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_client, RX_SUBCMD, "connection", "A container for client connection commands." },
	/* transactions */
	{ "multi", 1, RF_NOSCRIPT | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_multi, RX_TXCTL, "transactions", "Starts a transaction." },
	{ "exec", 1, RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_exec, RX_TXCTL | RX_SYNC, "transactions", "Executes all commands in a transaction." },
	{ "discard", 1, RF_NOSCRIPT | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_discard, RX_TXCTL, "transactions", "Discards a transaction." },
	{ "watch", -2, RF_NOSCRIPT | RF_LOADING | RF_STALE | F, 1, -1, 1, cmd_watch, RX_TXCTL | RX_SYNC, "transactions", "Monitors changes to keys to determine the execution of a transaction." },
	{ "unwatch", 1, RF_NOSCRIPT | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_unwatch, RX_NOTXN, "transactions", "Forgets about watched keys of a transaction." },
	/* pub/sub */
	{ "subscribe", -2, RF_PUBSUB | RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_subscribe, RX_NOTXN | RX_SUBOK, "pubsub", "Listens for messages published to channels." },
	{ "unsubscribe", -1, RF_PUBSUB | RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_unsubscribe, RX_NOTXN | RX_SUBOK, "pubsub", "Stops listening to messages posted to channels." },
	{ "psubscribe", -2, RF_PUBSUB | RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_psubscribe, RX_NOTXN | RX_SUBOK, "pubsub", "Listens for messages published to channels that match one or more patterns." },
	{ "punsubscribe", -1, RF_PUBSUB | RF_NOSCRIPT | RF_LOADING | RF_STALE, 0, 0, 0, cmd_punsubscribe, RX_NOTXN | RX_SUBOK, "pubsub", "Stops listening to messages published to channels that match one or more patterns." },
	{ "publish", 3, RF_PUBSUB | RF_LOADING | RF_STALE | F, 0, 0, 0, cmd_publish, RX_SYNC, "pubsub", "Posts a message to a channel (to every subscriber of the kcache pubsub group; counts this proxy's)." },
	{ "pubsub", -2, RF_PUBSUB | RF_LOADING | RF_STALE, 0, 0, 0, cmd_pubsub, RX_SUBCMD, "pubsub", "A container for Pub/Sub commands (this proxy's subscriptions)." },
};

#undef W
#undef R
#undef D
#undef F
#undef M

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

size_t redis_command_count(void)
{
	return NCMDS;
}

/*
 * Command lookup: an open-addressing table over cmds[], hashed on the
 * lower-cased name, built once.  One hash of the name and (almost
 * always) one comparison per command, instead of lower-casing it and
 * comparing it with every name.
 */
#define CMD_HASH_BITS	9		/* 512 slots for ~190 names */
#define CMD_NAME_MAX	23

static uint8_t cmd_slot[1U << CMD_HASH_BITS];	/* cmds index + 1; 0: empty */
static pthread_once_t cmd_once = PTHREAD_ONCE_INIT;

static uint32_t name_hash(const char *p, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a of the lower-cased bytes */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)(p[i] | ((p[i] >= 'A' && p[i] <= 'Z') ? 0x20 : 0));
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

static void cmd_table_init(void)
{
	size_t i, mask = (1U << CMD_HASH_BITS) - 1;

	_Static_assert(NCMDS < 255, "cmd_slot holds an index below 255");
	for (i = 0; i < NCMDS; i++) {
		size_t h = name_hash(cmds[i].name, strlen(cmds[i].name)) & mask;

		while (cmd_slot[h])
			h = (h + 1) & mask;
		cmd_slot[h] = (uint8_t)(i + 1);
	}
}

static const struct redis_cmd *lookup(const struct arg *name)
{
	size_t mask = (1U << CMD_HASH_BITS) - 1, h, i;

	if (name->len > CMD_NAME_MAX || !name->len)
		return NULL;
	pthread_once(&cmd_once, cmd_table_init);
	h = name_hash(name->p, name->len) & mask;
	for (; cmd_slot[h]; h = (h + 1) & mask) {
		const char *n = cmds[cmd_slot[h] - 1].name;

		/* names are lower case, ASCII letters and '-'/'|' only */
		if (strlen(n) != name->len)
			continue;
		for (i = 0; i < name->len; i++)
			if (tolower((unsigned char)name->p[i]) != n[i])
				break;
		if (i == name->len)
			return &cmds[cmd_slot[h] - 1];
	}
	return NULL;
}

static const struct {
	unsigned flag;
	const char *name;
} flag_names[] = {
	{ RF_WRITE, "write" }, { RF_READONLY, "readonly" },
	{ RF_DENYOOM, "denyoom" }, { RF_ADMIN, "admin" },
	{ RF_PUBSUB, "pubsub" }, { RF_NOSCRIPT, "noscript" },
	{ RF_LOADING, "loading" }, { RF_STALE, "stale" },
	{ RF_FAST, "fast" }, { RF_NOAUTH, "no_auth" },
	{ RF_NOMULTI, "no_multi" }, { RF_MOVABLE, "movablekeys" },
};

static void command_info(struct conn *c, struct buf *o,
			 const struct redis_cmd *cmd)
{
	size_t i, n = 0;

	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		n += !!(cmd->flags & flag_names[i].flag);
	resp_array(o, 10);
	resp_bulks(o, cmd->name);
	resp_int(o, cmd->arity);
	resp_set(o, n, c->proto);
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (cmd->flags & flag_names[i].flag)
			resp_simple(o, flag_names[i].name);
	resp_int(o, cmd->first);
	resp_int(o, cmd->last);
	resp_int(o, cmd->step);
	resp_set(o, 0, c->proto);	/* ACL categories */
	resp_set(o, 0, c->proto);	/* tips */
	resp_array(o, 0);		/* key specs */
	resp_array(o, 0);		/* subcommands */
}

static void command_doc(struct conn *c, struct buf *o,
			const struct redis_cmd *cmd)
{
	resp_bulks(o, cmd->name);
	resp_map(o, 4, c->proto);
	resp_bulks(o, "summary");
	resp_bulks(o, cmd->summary);
	resp_bulks(o, "since");
	resp_bulks(o, "1.0.0");
	resp_bulks(o, "group");
	resp_bulks(o, cmd->group);
	resp_bulks(o, "complexity");
	resp_bulks(o, "O(1) per key, plus one kernel call per pipeline");
}

static bool arity_ok(int arity, size_t argc)
{
	return arity > 0 ? (size_t)arity == argc : argc >= (size_t)-arity;
}

/*
 * The keys after a numkeys at argv[at], into idx from *n: -1 when the
 * count is not one Redis takes (below 1 or past the arguments).
 */
static int numkeys(const struct arg *argv, size_t argc, size_t at,
		   size_t *idx, size_t *n)
{
	long long nk, i;

	if (at >= argc || !resp_str2ll(argv[at].p, argv[at].len, &nk) ||
	    nk < 1 || (unsigned long long)nk > argc - at - 1)
		return -1;
	for (i = 1; i <= nk; i++)
		idx[(*n)++] = at + (size_t)i;
	return 1;
}

/*
 * SORT's keys: the key, and the word after the last STORE, stepping over
 * the arguments of LIMIT (2), GET and BY (1) but not STORE's, as
 * redis-server does ("STORE STORE d" stores into d).
 */
static void sort_keys(const struct arg *argv, size_t argc, size_t *idx,
		      size_t *n)
{
	size_t i, dst = 0;

	idx[(*n)++] = 1;
	for (i = 2; i < argc; i++) {
		if (arg_eq(&argv[i], "limit"))
			i += 2;
		else if (arg_eq(&argv[i], "get") || arg_eq(&argv[i], "by"))
			i++;
		else if (arg_eq(&argv[i], "store") && i + 1 < argc)
			dst = i + 1;
	}
	if (dst)
		idx[(*n)++] = dst;
}

/*
 * The positions of the keys in argv as COMMAND GETKEYS reports them: 1,
 * 0 for none, -1 for arguments Redis cannot take keys from.
 */
static bool has_keys(const struct redis_cmd *cmd, const char *sub)
{
	static const char *const key_subs[] = {
		"object|encoding", "object|freq", "object|idletime",
		"object|refcount", "memory|usage",
	};
	char full[48];
	size_t i;

	if (cmd->x & RX_SUBCMD) {
		snprintf(full, sizeof(full), "%s|%s", cmd->name, sub ? sub : "");
		for (i = 0; i < sizeof(key_subs) / sizeof(key_subs[0]); i++)
			if (!strcmp(full, key_subs[i]))
				return true;
		return false;
	}
	return cmd->first > 0 || cmd->fn == cmd_eval || cmd->fn == cmd_zcombine ||
	       cmd->fn == cmd_zintercard || cmd->fn == cmd_sintercard ||
	       cmd->fn == cmd_lmpop || cmd->fn == cmd_zmpop ||
	       cmd->fn == cmd_bzmpop;
}

static int getkeys(const struct redis_cmd *cmd, const struct arg *argv,
		   size_t argc, size_t *idx, size_t *n)
{
	size_t i, first, last, step;

	*n = 0;
	if (cmd->x & RX_SUBCMD) {	/* has_keys(): the key of OBJECT, MEMORY */
		idx[(*n)++] = 2;
		return 1;
	}
	if (cmd->fn == cmd_sort) {
		sort_keys(argv, argc, idx, n);
		return 1;
	}
	if (cmd->fn == cmd_eval) {
		/* Any count Redis would refuse to run gives no keys. */
		if (numkeys(argv, argc, 2, idx, n) < 0)
			*n = 0;
		return 1;
	}
	if (cmd->fn == cmd_zcombine || cmd->fn == cmd_zintercard ||
	    cmd->fn == cmd_sintercard) {
		if (cmd->first == 1)	/* a destination, then numkeys */
			idx[(*n)++] = 1;
		return numkeys(argv, argc, cmd->first == 1 ? 2 : 1, idx, n);
	}
	switch (key_range(cmd, argv, argc, &first, &last, &step)) {
	case 0:
		return 0;
	case -1:
		return -1;
	}
	for (i = first; i <= last && i < argc; i += step)
		idx[(*n)++] = i;
	return 1;
}

/* COMMAND GETKEYS: the key positions of the table, as Redis reports them. */
static void command_getkeys(struct conn *c, struct buf *o, struct arg *argv,
			    size_t argc)
{
	const struct redis_cmd *cmd = lookup(&argv[0]);
	const char *sub = NULL;
	size_t i, *idx, n;
	int arity;

	(void)c;
	if (!cmd) {
		resp_error(o, "ERR Invalid command specified");
		return;
	}
	arity = cmd->arity;
	if (cmd->x & RX_SUBCMD) {
		sub = mon_subcmd_name(cmd, argv, argc, &arity);
		if (!sub) {
			resp_error(o, "ERR Invalid command specified");
			return;
		}
	}
	/* Redis's order: a command without keys, then the arity. */
	if (!has_keys(cmd, sub)) {
		resp_error(o, "ERR The command has no key arguments");
		return;
	}
	if (!arity_ok(arity, argc)) {
		resp_error(o, "ERR Invalid number of arguments specified for command");
		return;
	}
	idx = calloc(argc, sizeof(*idx));
	if (!idx) {
		resp_error(o, "ERR out of memory");
		return;
	}
	switch (getkeys(cmd, argv, argc, idx, &n)) {
	case 0:
		resp_error(o, "ERR The command has no key arguments");
		break;
	case -1:
		resp_error(o, "ERR Invalid arguments specified for command");
		break;
	default:
		resp_array(o, n);
		for (i = 0; i < n; i++)
			resp_bulk(o, argv[idx[i]].p, argv[idx[i]].len);
	}
	free(idx);
}

/*
 * The names COMMAND LIST gives: every command and after each container its
 * subcommands, "container|sub", all of them or those pat matches (Redis
 * matches without case: names are lower case, so is pat).  Writes them
 * to o when o is set; returns how many.
 */
static size_t list_names(struct buf *o, const char *pat, size_t plen)
{
	size_t i, j, n = 0;
	const char *s;
	char full[96];

	for (i = 0; i < NCMDS; i++) {
		if (!pat || glob_match(pat, plen, cmds[i].name,
				       strlen(cmds[i].name))) {
			if (o)
				resp_bulks(o, cmds[i].name);
			n++;
		}
		for (j = 0; (s = mon_subcmd_at(&cmds[i], j)); j++) {
			snprintf(full, sizeof(full), "%s|%s", cmds[i].name, s);
			if (pat && !glob_match(pat, plen, full, strlen(full)))
				continue;
			if (o)
				resp_bulks(o, full);
			n++;
		}
	}
	return n;
}

/*
 * COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern].
 * kcache-proxy has no modules, and its commands no ACL categories
 * (COMMAND INFO's are empty): those filters list nothing.
 */
static void command_list(struct conn *c, struct buf *o, struct arg *argv,
			 size_t argc)
{
	char pat[256];

	(void)c;
	if (argc == 2) {
		resp_array(o, list_names(NULL, NULL, 0));
		list_names(o, NULL, 0);
		return;
	}
	if (argc != 5 || !arg_eq(&argv[2], "filterby") ||
	    (!arg_eq(&argv[3], "pattern") && !arg_eq(&argv[3], "module") &&
	     !arg_eq(&argv[3], "aclcat"))) {
		resp_error(o, "ERR syntax error");
		return;
	}
	if (!arg_eq(&argv[3], "pattern") || argv[4].len >= sizeof(pat)) {
		resp_array(o, 0);
		return;
	}
	arg_lower(&argv[4], pat, sizeof(pat));
	resp_array(o, list_names(NULL, pat, argv[4].len));
	list_names(o, pat, argv[4].len);
}

static void cmd_command(struct conn *c, struct arg *argv, size_t argc)
{
	struct buf *o = rout(c);
	char sub[16];
	size_t i, n;

	if (argc == 1) {
		resp_array(o, NCMDS);
		for (i = 0; i < NCMDS; i++)
			command_info(c, o, &cmds[i]);
		return;
	}
	arg_lower(&argv[1], sub, sizeof(sub));
	if (!strcmp(sub, "count") && argc == 2) {
		resp_int(o, (long long)NCMDS);
	} else if (!strcmp(sub, "list")) {
		command_list(c, o, argv, argc);
	} else if (!strcmp(sub, "info")) {
		if (argc == 2) {
			resp_array(o, NCMDS);
			for (i = 0; i < NCMDS; i++)
				command_info(c, o, &cmds[i]);
			return;
		}
		resp_array(o, argc - 2);
		for (i = 2; i < argc; i++) {
			const struct redis_cmd *cmd = lookup(&argv[i]);

			if (cmd)
				command_info(c, o, cmd);
			else
				resp_null_array(o, c->proto);
		}
	} else if (!strcmp(sub, "docs")) {
		if (argc == 2) {
			resp_map(o, NCMDS, c->proto);
			for (i = 0; i < NCMDS; i++)
				command_doc(c, o, &cmds[i]);
			return;
		}
		for (i = 2, n = 0; i < argc; i++)
			n += lookup(&argv[i]) != NULL;
		resp_map(o, n, c->proto);
		for (i = 2; i < argc; i++) {
			const struct redis_cmd *cmd = lookup(&argv[i]);

			if (cmd)
				command_doc(c, o, cmd);
		}
	} else if (!strcmp(sub, "getkeys") && argc >= 4) {
		command_getkeys(c, o, argv + 2, argc - 2);
	} else if (!strcmp(sub, "count") || !strcmp(sub, "getkeys")) {
		resp_errorf(o, "ERR wrong number of arguments for 'command|%s' command",
			    sub);
	} else {
		resp_errorf(o, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
			    (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].p);
	}
}

/* ------------------------------------------------------------ dispatch */

static void unknown(struct conn *c, struct arg *argv, size_t argc)
{
	char args[160];
	size_t i, n = 0;

	args[0] = 0;
	for (i = 1; i < argc && n < 128; i++) {
		int room = 128 - (int)n;
		int len = argv[i].len < (size_t)room ? (int)argv[i].len : room;
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ", len,
				 argv[i].p);

		if (w < 0 || (size_t)w >= sizeof(args) - n)
			break;
		n += (size_t)w;
	}
	resp_errorf(rout(c), "ERR unknown command '%.*s', with args beginning with: %s",
		    (int)(argv[0].len > 128 ? 128 : argv[0].len), argv[0].p,
		    args);
}

/*
 * A "POST" or "Host:" line is a browser or an HTTP client (cross protocol
 * scripting): as Redis, close at once, drop the replies not yet sent, and
 * log it at most once a minute.
 */
static void security_warning(struct conn *c)
{
	static time_t logged;
	time_t now = time(NULL), was = __atomic_load_n(&logged, __ATOMIC_RELAXED);

	if ((now > was ? now - was : was - now) > 60 &&
	    __atomic_compare_exchange_n(&logged, &was, now, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		log_warn("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to kcache-proxy (client %llu, %s). This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your cache. Connection aborted.",
			 (unsigned long long)c->id, c->addr);
	eng_flush(E(c));
	buf_consume(&c->out, buf_avail(&c->out));
	conn_close_after_reply(c);
}

static void execute(struct conn *c, struct arg *argv, size_t argc);

/*
 * (P|S)(UN)SUBSCRIBE answer with pushes, which CLIENT REPLY OFF and SKIP
 * let through in Redis 7.0 (its messages are pushes too).
 */
static bool pushes_only(const struct arg *a)
{
	static const char *const n[] = { "subscribe", "unsubscribe",
		"psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe" };
	size_t i;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (arg_eq(a, n[i]))
			return true;
	return false;
}

void redis_execute(struct conn *c, struct arg *argv, size_t argc)
{
	struct engine *e = E(c);
	bool skip = c->reply_skip;

	if (!argc)
		return;
	c->reply_skip = false;	/* CLIENT REPLY SKIP sets it again */
	if ((c->reply_off || skip) && !pushes_only(&argv[0]))
		e->mute = c;
	/* Refused until it runs (execute() says which command it is). */
	e->cs_on = true;
	e->cs_rej = true;
	e->cs = NULL;
	e->direct_at = SIZE_MAX;
	e->seq++;
	execute(c, argv, argc);
	if (e->direct_at < c->out.len && c->out.data[e->direct_at] == '-')
		cs_error(e->cs, e->cs_rej, c->out.data + e->direct_at,
			 c->out.len - e->direct_at);
	e->cs_on = false;
	e->cs = NULL;
	e->mute = NULL;
}

static void execute(struct conn *c, struct arg *argv, size_t argc)
{
	const struct redis_cmd *cmd;
	int sub_arity = 0;
	size_t out0;
	long long t0;
	const void *ev;
	bool mon;

	if (!argc)
		return;
	STAT_ADD(total_commands, 1);
	c->ncmds++;
	if (arg_eq(&argv[0], "post") || arg_eq(&argv[0], "host:")) {
		security_warning(c);
		return;
	}
	cmd = lookup(&argv[0]);
	if (!cmd) {
		unknown(c, argv, argc);
		c->multi_dirty |= c->in_multi;
		return;
	}
	c->last_cmd = cmd->name;
	c->last_sub = mon_subcmd_name(cmd, argv, argc, &sub_arity);
	/* An unknown subcommand counts in errorstats only, as in Redis. */
	E(c)->cs = (cmd->x & RX_SUBCMD) && argc > 1 && !c->last_sub ? NULL :
		   cs_get(cmd->name, c->last_sub);
	c->argv_mem = 0;
	for (size_t i = 0; i < argc; i++)
		c->argv_mem += argv[i].len;
	if ((cmd->arity > 0 && (size_t)cmd->arity != argc) ||
	    (cmd->arity < 0 && argc < (size_t)-cmd->arity)) {
		resp_errorf(rout(c), "ERR wrong number of arguments for '%s' command",
			    cmd->name);
		c->multi_dirty |= c->in_multi;
		return;
	}
	if (c->proto == 2 && ps_count(c) && !(cmd->x & RX_SUBOK)) {
		char sub[32];

		if ((cmd->x & RX_SUBCMD) && argc > 1)
			resp_errorf(rout(c), "ERR Can't execute '%s|%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
				    cmd->name, arg_lower(&argv[1], sub, sizeof(sub)));
		else
			resp_errorf(rout(c), "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
				    cmd->name);
		return;
	}
	/* Nothing but this load and branch while nobody monitors. */
	mon = mon_on();
	if (mon && mon_refuse(c, cmd, argv, argc))
		return;
	/*
	 * As Redis over maxmemory with nothing to evict (config_oom()):
	 * inside MULTI every command but EXEC, DISCARD, QUIT and RESET.
	 */
	if (config_oom() && ((cmd->flags & RF_DENYOOM) ||
			     (c->in_multi && strcmp(cmd->name, "exec") &&
			      strcmp(cmd->name, "discard") &&
			      strcmp(cmd->name, "quit") &&
			      strcmp(cmd->name, "reset")))) {
		reply_err(c, "OOM command not allowed when used memory > 'maxmemory'.");
		c->multi_dirty |= c->in_multi;
		return;
	}
	if (c->in_multi && (cmd->flags & RF_NOMULTI)) {
		reply_err(c, "ERR Command not allowed inside a transaction");
		c->multi_dirty = true;
		return;
	}
	if (c->in_multi && !(cmd->x & RX_TXCTL)) {
		if (cmd->x & RX_NOTXN) {
			resp_errorf(rout(c), "ERR '%s' cannot be used inside MULTI with kcache-proxy",
				    cmd->name);
			c->multi_dirty = true;
		} else if (!queue(c, argv, argc)) {
			reply_err(c, "ERR out of memory");
			c->multi_dirty = true;
		} else {
			c->multi_denyoom |= !!(cmd->flags & RF_DENYOOM);
			resp_simple(rout(c), "QUEUED");
		}
		return;
	}
	/* Its ops go to its database (memcached's are in database 0). */
	E(c)->db = c->db;
	if (cmd->x & RX_SYNC)
		eng_flush(E(c));
	out0 = c->out.len;
	/* Timed always: CONFIG SET may turn the slow log on (as Redis). */
	t0 = slowlog_now_us();
	ev = notify_begin(c, cmd->name, argv, argc);
	/* A subcommand's arity is checked by its handler: still a refusal. */
	E(c)->cs_rej = c->last_sub &&
		((sub_arity > 0 && (size_t)sub_arity != argc) ||
		 (sub_arity < 0 && argc < (size_t)-sub_arity));
	cmd->fn(c, argv, argc);
	notify_end(c, ev);
	if (!E(c)->cs_rej)
		cs_call(E(c)->cs, slowlog_now_us() - t0);
	/* A synchronous command (EXEC) may write c->out itself. */
	if ((cmd->x & RX_SYNC) && E(c)->mute == c) {
		eng_flush(E(c));
		c->out.len = out0;
	}
	if (slowlog_on())
		slowlog_push(c, argv, argc, slowlog_now_us() - t0);
	if (mon)
		mon_feed(c, cmd, argv, argc, c->db);
}
