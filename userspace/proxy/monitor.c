// SPDX-License-Identifier: GPL-2.0
/*
 * Redis MONITOR (see monitor.h).
 *
 * Locking.  mon_lock protects the registry (the workers with monitors)
 * and every worker's inbox and listed flag; nothing is called with it
 * held but buffer appends and the eventfd write that wakes a worker.  A
 * worker's list of monitors (struct mon_worker conns, n) is its own
 * thread's, as its connections are.  mon_count changes only under
 * mon_lock, and is read without it (relaxed): a command that sees it 0
 * while a MONITOR is being registered on another worker is simply not
 * shown, as in Redis a command that ran before the MONITOR.
 *
 * What is shown, as redis-server 7.0 does: a command once it ran (so
 * SELECT shows its new database, and a command that failed while running
 * is shown), but not one refused before it ran (unknown command or
 * subcommand, wrong number of arguments, refused in a subscribed or
 * monitor context, queued by MULTI: EXEC shows the queued commands just
 * before itself), nor an admin command (CONFIG, CLIENT LIST, CLIENT KILL,
 * SLOWLOG, LATENCY, DEBUG, SAVE, SHUTDOWN, MONITOR...).  AUTH and HELLO's
 * AUTH show their arguments as "(redacted)".
 *
 * Order: the lines reach the inboxes in the order the commands ran, over
 * all workers (the mutex orders them), and a worker writes its inbox
 * after the replies of its pass, so a monitor sees its own command's
 * reply before that command's line, as Redis writes them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "monitor.h"
#include "redis.h"
#include "server.h"

long mon_count;

static pthread_mutex_t mon_lock = PTHREAD_MUTEX_INITIALIZER;
static struct worker **reg;		/* workers with monitors */
static size_t nreg, reg_cap;


/* ------------------------------------------------------------ what shows */

enum { MS_ADMIN = 1, MS_KEYSPACE = 2 };

struct sub {
	const char *name;
	int arity;		/* Redis's, with the container's name */
	unsigned flags;		/* MS_* */
};

/* The subcommands Redis 7.0.15 has for the proxy's containers. */
static const struct sub sub_object[] = {
	{ "encoding", 3, MS_KEYSPACE }, { "freq", 3, MS_KEYSPACE },
	{ "help", 2, 0 }, { "idletime", 3, MS_KEYSPACE },
	{ "refcount", 3, MS_KEYSPACE },
};
static const struct sub sub_memory[] = {
	{ "doctor", 2, 0 }, { "help", 2, 0 }, { "malloc-stats", 2, 0 },
	{ "purge", 2, 0 }, { "stats", 2, 0 }, { "usage", -3, MS_KEYSPACE },
};
static const struct sub sub_config[] = {
	{ "get", -3, MS_ADMIN }, { "help", 2, 0 },
	{ "resetstat", 2, MS_ADMIN }, { "rewrite", 2, MS_ADMIN },
	{ "set", -4, MS_ADMIN },
};
static const struct sub sub_command[] = {
	{ "count", 2, 0 }, { "docs", -2, 0 }, { "getkeys", -4, 0 },
	{ "getkeysandflags", -4, 0 }, { "help", 2, 0 }, { "info", -2, 0 },
	{ "list", -2, 0 },
};
static const struct sub sub_slowlog[] = {
	{ "get", -2, MS_ADMIN }, { "help", 2, 0 }, { "len", 2, MS_ADMIN },
	{ "reset", 2, MS_ADMIN },
};
static const struct sub sub_latency[] = {
	{ "doctor", 2, MS_ADMIN }, { "graph", 3, MS_ADMIN }, { "help", 2, 0 },
	{ "histogram", -2, MS_ADMIN }, { "history", 3, MS_ADMIN },
	{ "latest", 2, MS_ADMIN }, { "reset", -2, MS_ADMIN },
};
static const struct sub sub_function[] = {
	{ "delete", 3, MS_KEYSPACE }, { "dump", 2, 0 },
	{ "flush", -2, MS_KEYSPACE }, { "help", 2, 0 }, { "kill", 2, 0 },
	{ "list", -2, 0 }, { "load", -3, MS_KEYSPACE },
	{ "restore", -3, MS_KEYSPACE }, { "stats", 2, 0 },
};
static const struct sub sub_script[] = {
	{ "debug", 3, 0 }, { "exists", -3, 0 }, { "flush", -2, 0 },
	{ "help", 2, 0 }, { "kill", 2, 0 }, { "load", 3, 0 },
};
static const struct sub sub_client[] = {
	{ "caching", 3, 0 }, { "getname", 2, 0 }, { "getredir", 2, 0 },
	{ "help", 2, 0 }, { "id", 2, 0 }, { "info", 2, 0 },
	{ "kill", -3, MS_ADMIN }, { "list", -2, MS_ADMIN },
	{ "no-evict", 3, MS_ADMIN }, { "pause", -3, MS_ADMIN },
	{ "reply", 3, 0 }, { "setname", 3, 0 }, { "tracking", -3, 0 },
	{ "trackinginfo", 2, 0 }, { "unblock", -3, MS_ADMIN },
	{ "unpause", 2, MS_ADMIN },
};
static const struct sub sub_pubsub[] = {
	{ "channels", -2, 0 }, { "help", 2, 0 }, { "numpat", 2, 0 },
	{ "numsub", -2, 0 }, { "shardchannels", -2, 0 },
	{ "shardnumsub", -2, 0 },
};

#define SUBS(c, t)	{ c, t, sizeof(t) / sizeof(t[0]) }
static const struct {
	const char *name;
	const struct sub *subs;
	size_t n;
} containers[] = {
	SUBS("object", sub_object), SUBS("memory", sub_memory),
	SUBS("config", sub_config), SUBS("command", sub_command),
	SUBS("slowlog", sub_slowlog), SUBS("latency", sub_latency),
	SUBS("function", sub_function), SUBS("script", sub_script),
	SUBS("client", sub_client), SUBS("pubsub", sub_pubsub),
};

/* The subcommand table of container cmd, or NULL. */
static const struct sub *subs_of(const struct redis_cmd *cmd, size_t *n)
{
	size_t i;

	if (!(cmd->x & RX_SUBCMD))
		return NULL;
	for (i = 0; i < sizeof(containers) / sizeof(containers[0]); i++)
		if (!strcmp(cmd->name, containers[i].name)) {
			*n = containers[i].n;
			return containers[i].subs;
		}
	return NULL;
}

/* The entry of subs[0..n) named a, or NULL. */
static const struct sub *find_sub(const struct sub *subs, size_t n,
				  const struct arg *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (arg_eq(a, subs[i].name))
			return &subs[i];
	return NULL;
}

/* Not keyspace commands by their flags, but Redis may replicate them. */
static const char *const may_replicate[] = {
	"publish", "eval", "evalsha", "fcall",
};

/*
 * What Redis knows of the command: its MS_* flags, or -1 when Redis
 * refuses it before it runs (a subcommand it does not have or with the
 * wrong number of arguments).
 */
static int cmd_class(const struct redis_cmd *cmd, const struct arg *argv,
		     size_t argc)
{
	const struct sub *subs, *s;
	int flags = 0;
	size_t i, n = 0;

	subs = subs_of(cmd, &n);
	if (subs && argc >= 2) {
		s = find_sub(subs, n, &argv[1]);
		if (!s || (s->arity > 0 && (size_t)s->arity != argc) ||
		    (s->arity < 0 && argc < (size_t)-s->arity))
			return -1;
		return (int)s->flags;
	}
	if (cmd->flags & RF_ADMIN)
		flags |= MS_ADMIN;
	if (cmd->flags & (RF_WRITE | RF_READONLY))
		flags |= MS_KEYSPACE;
	for (i = 0; i < sizeof(may_replicate) / sizeof(may_replicate[0]); i++)
		if (!strcmp(cmd->name, may_replicate[i]))
			flags |= MS_KEYSPACE;
	return flags;
}

const char *mon_subcmd_name(const struct redis_cmd *cmd, const struct arg *argv,
			    size_t argc, int *arity)
{
	size_t n = 0;
	const struct sub *subs = subs_of(cmd, &n), *s;

	if (!subs || argc < 2)
		return NULL;
	s = find_sub(subs, n, &argv[1]);
	if (!s)
		return NULL;
	if (arity)
		*arity = s->arity;
	return s->name;
}

const char *mon_subcmd_at(const struct redis_cmd *cmd, size_t i)
{
	size_t n = 0;
	const struct sub *subs = subs_of(cmd, &n);

	return subs && i < n ? subs[i].name : NULL;
}

bool mon_refuse(struct conn *c, const struct redis_cmd *cmd,
		const struct arg *argv, size_t argc)
{
	int cls;

	if (!c->monitor)
		return false;
	cls = cmd_class(cmd, argv, argc);
	if (cls < 0 || !(cls & MS_KEYSPACE))
		return false;
	reply_err(c, "ERR Replica can't interact with the keyspace");
	c->multi_dirty |= c->in_multi;
	return true;
}

/*
 * The arguments Redis shows as "(redacted)": AUTH's (unless it has too
 * many), and each pair after a HELLO AUTH its parsing reached (it stops
 * at a bad version, a bad option, a wrong user or a bad SETNAME, as
 * cmd_hello() does).  Bit i is argument i; the rest past 63 are all
 * redacted when any is.
 */
static uint64_t redacted(const struct redis_cmd *cmd, const struct arg *argv,
			 size_t argc)
{
	uint64_t mask = 0;
	long long ver;
	size_t j, i;

	if (!strcmp(cmd->name, "auth"))
		return argc <= 3 ? ((1ULL << argc) - 1) & ~1ULL : 0;
	if (strcmp(cmd->name, "hello") || argc < 3)
		return 0;
	if (!resp_str2ll(argv[1].p, argv[1].len, &ver) || ver < 2 || ver > 3)
		return 0;
	for (j = 2; j < argc; j++) {
		if (arg_eq(&argv[j], "auth") && j + 2 < argc) {
			mask |= (j + 1 < 64 ? 1ULL << (j + 1) : 1ULL << 63) |
				(j + 2 < 64 ? 1ULL << (j + 2) : 1ULL << 63);
			if (!arg_eq(&argv[j + 1], "default"))
				break;
			j += 2;
		} else if (arg_eq(&argv[j], "setname") && j + 1 < argc) {
			for (i = 0; i < argv[j + 1].len; i++)
				if (argv[j + 1].p[i] < '!' || argv[j + 1].p[i] > '~')
					return mask;
			j++;
		} else {
			break;
		}
	}
	return mask;
}

/* An argument as Redis quotes it: \" \\ \n \r \t \a \b, else \xhh. */
static void add_repr(struct buf *b, const char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	buf_reserve(b, len + 2);
	buf_addc(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];
		char e[4];

		switch (ch) {
		case '\\':
		case '"':
			e[0] = '\\';
			e[1] = (char)ch;
			buf_add(b, e, 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		case '\a':
			buf_add(b, "\\a", 2);
			break;
		case '\b':
			buf_add(b, "\\b", 2);
			break;
		default:
			if (ch >= 0x20 && ch < 0x7f) {
				buf_addc(b, (char)ch);
			} else {
				e[0] = '\\';
				e[1] = 'x';
				e[2] = hex[ch >> 4];
				e[3] = hex[ch & 15];
				buf_add(b, e, 4);
			}
		}
	}
	buf_addc(b, '"');
}

/* ------------------------------------------------------------ delivery */

static void wake(struct worker *w)
{
	uint64_t one = 1;
	ssize_t unused = write(w->evfd, &one, sizeof(one));

	(void)unused;
}

void mon_feed(struct conn *c, const struct redis_cmd *cmd,
	      const struct arg *argv, size_t argc, unsigned db)
{
	static __thread struct buf line;
	struct timeval tv;
	uint64_t red;
	size_t i;
	int cls = cmd_class(cmd, argv, argc);

	if (cls < 0 || (cls & MS_ADMIN))
		return;
	red = redacted(cmd, argv, argc);
	gettimeofday(&tv, NULL);
	line.off = line.len = 0;
	line.oom = false;
	if (c->addr[0] == '/')		/* a unix socket (server.c) */
		buf_printf(&line, "+%lld.%06ld [%u unix:%s] ",
			   (long long)tv.tv_sec, (long)tv.tv_usec, db,
			   cfg.redis_socket ? cfg.redis_socket : "");
	else
		buf_printf(&line, "+%lld.%06ld [%u %s] ",
			   (long long)tv.tv_sec, (long)tv.tv_usec, db, c->addr);
	for (i = 0; i < argc; i++) {
		if (i)
			buf_addc(&line, ' ');
		if (red & (i < 64 ? 1ULL << i : 1ULL << 63))
			buf_adds(&line, "\"(redacted)\"");
		else
			add_repr(&line, argv[i].p, argv[i].len);
	}
	buf_add(&line, "\r\n", 2);
	if (line.oom)
		return;		/* no memory for it: not shown */
	pthread_mutex_lock(&mon_lock);
	for (i = 0; i < nreg; i++) {
		struct mon_worker *m = &reg[i]->mon;

		/* Past the limit its monitors are dropped: see deliver(). */
		if (buf_avail(&m->inbox) <= cfg.max_output)
			buf_add(&m->inbox, buf_head(&line), buf_avail(&line));
		if (!m->pending) {
			__atomic_store_n(&m->pending, 1, __ATOMIC_RELAXED);
			wake(reg[i]);
		}
	}
	pthread_mutex_unlock(&mon_lock);
	if (line.cap > 64 * 1024)
		buf_free(&line);	/* keep no huge line per thread */
}

/*
 * Appends the lines of in that are c's (those after its MONITOR) to its
 * output; an inbox that lost lines or is over --max-output-buffer marks
 * it as over its limit, to be dropped by server_conn_output().
 */
static void copy_lines(struct conn *c, const struct buf *in)
{
	size_t skip = c->mon_skip < buf_avail(in) ? c->mon_skip : buf_avail(in);

	c->mon_skip = 0;
	if (in->oom || buf_avail(in) > cfg.max_output)
		c->out.oom = true;
	else
		buf_add(eng_out(&c->w->eng, c), buf_head(in) + skip,
			buf_avail(in) - skip);
}

/* Copies w's inbox to each of its monitors and writes them. */
static void deliver(struct worker *w)
{
	struct mon_worker *m = &w->mon;
	struct buf in;
	size_t i;

	pthread_mutex_lock(&mon_lock);
	in = m->inbox;
	buf_init(&m->inbox);
	__atomic_store_n(&m->pending, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&mon_lock);
	if (!buf_avail(&in) && !in.oom)
		goto out;
	for (i = 0; i < m->n; i++)
		if (!m->conns[i]->dead)
			copy_lines(m->conns[i], &in);
	/* As pub/sub's messages; this may close (never free) a monitor. */
	for (i = 0; i < m->n; i++)
		server_conn_output(m->conns[i]);
out:
	buf_free(&in);
}

void mon_service(struct worker *w)
{
	if (w->mon.n && __atomic_load_n(&w->mon.pending, __ATOMIC_RELAXED))
		deliver(w);
}

/* ------------------------------------------------------------ mode */

static bool mon_conn_add(struct conn *c)
{
	struct worker *w = c->w;
	struct mon_worker *m = &w->mon;

	if (m->n == m->cap) {
		size_t n = m->cap ? m->cap * 2 : 4;
		struct conn **v = realloc(m->conns, n * sizeof(*v));

		if (!v)
			return false;
		m->conns = v;
		m->cap = n;
	}
	pthread_mutex_lock(&mon_lock);
	if (!m->listed) {
		if (nreg == reg_cap) {
			size_t n = reg_cap ? reg_cap * 2 : 8;
			struct worker **v = realloc(reg, n * sizeof(*v));

			if (!v) {
				pthread_mutex_unlock(&mon_lock);
				return false;
			}
			reg = v;
			reg_cap = n;
		}
		reg[nreg++] = w;
		m->listed = true;
	}
	m->conns[m->n++] = c;
	c->monitor = true;
	c->mon_skip = buf_avail(&m->inbox);	/* lines from before it */
	__atomic_add_fetch(&mon_count, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&mon_lock);
	return true;
}

void mon_conn_free(struct conn *c)
{
	struct worker *w = c->w;
	struct mon_worker *m = &w->mon;
	size_t i;

	if (!c->monitor)
		return;
	pthread_mutex_lock(&mon_lock);
	/* The lines of commands that ran before it left are still its. */
	if (!c->dead)
		copy_lines(c, &m->inbox);
	__atomic_sub_fetch(&mon_count, 1, __ATOMIC_RELAXED);
	for (i = 0; i < m->n; i++)
		if (m->conns[i] == c) {
			m->conns[i] = m->conns[--m->n];
			break;
		}
	c->monitor = false;
	if (!m->n && m->listed) {
		for (i = 0; i < nreg; i++)
			if (reg[i] == w) {
				reg[i] = reg[--nreg];
				break;
			}
		m->listed = false;
		buf_free(&m->inbox);
		buf_init(&m->inbox);
		m->pending = 0;
		if (!nreg) {
			free(reg);
			reg = NULL;
			reg_cap = 0;
		}
	}
	pthread_mutex_unlock(&mon_lock);
	if (!m->n) {
		free(m->conns);
		m->conns = NULL;
		m->cap = 0;
	}
}

/*
 * MONITOR: "+OK", then the lines.  Again in monitor mode it answers
 * nothing; run by EXEC it is refused, with Redis's words.
 */
void cmd_monitor(struct conn *c, struct arg *argv, size_t argc)
{
	(void)argv;
	(void)argc;
	if (c->w->eng.txn) {
		reply_err(c, "ERR MONITOR isn't allowed for DENY BLOCKING client");
		return;
	}
	if (c->monitor)
		return;
	if (!mon_conn_add(c)) {
		reply_err(c, "ERR out of memory");
		return;
	}
	resp_simple(rout(c), "OK");
}
