// SPDX-License-Identifier: GPL-2.0
/*
 * Event loops.  Each worker thread has its own epoll instance, its own TCP
 * listening sockets (SO_REUSEPORT spreads connections over them), its own
 * /dev/kcache fd (and netlink socket) and batch engine, and owns the
 * connections it accepted; unix sockets are shared, polled with
 * EPOLLEXCLUSIVE.  Workers share only the read-only configuration, the
 * connection gauges (atomics; other counters are per worker, proxy.h) and
 * pub/sub's registry of subscriptions (one mutex, pubsub.c), and, while
 * a client monitors, MONITOR's registry and inboxes (one mutex,
 * monitor.c), and each worker's connection table.
 *
 * Locking of a connection table (struct worker's lock): its worker holds
 * it for a whole loop pass and drops it only across epoll_wait(), so
 * while another thread holds it the owner touches none of its
 * connections.  CLIENT LIST and KILL (server_clients_each()) drop their
 * own worker's lock, take each worker's in turn and never hold two, so
 * two of them on different workers cannot deadlock.  Lock order: a
 * table's lock, then pub/sub's, MONITOR's or the blocking FIFO's mutex
 * (a worker takes those during its pass); no table lock is taken under
 * them, nor under another table's.  Under it another worker only reads the
 * connections and marks one killed (server_client_kill()); the owner
 * alone closes and frees.
 *
 * A worker with subscribers also polls its socket in the kcache "pubsub"
 * netlink group and writes the messages to its connections.
 *
 * A readable connection gets one read(); every complete request in the
 * input is parsed and planned; once every connection of the epoll_wait()
 * pass has planned its requests the engine runs them all with one
 * KC_IOC_BATCH (or netlink window) and each connection's replies are
 * written in order.  epoll_ctl() runs only when a connection's interest
 * set changes (EPOLLOUT while a write would block, EPOLLIN off while
 * paused).  Replies go to a per-connection
 * output buffer written without blocking; past a soft cap the connection is
 * not read again until its client catches up (so one slow reader costs
 * memory bounded by one read's worth of replies, never other clients' time),
 * and past the hard cap (--max-output) it is closed.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "knl.h"
#include "libkcache.h"
#include "conn.h"
#include "monitor.h"
#include "notify.h"
#include "pubsub.h"
#include "server.h"
#include "blocking.h"

#define READ_CHUNK	(64 * 1024)
#define OUT_SOFT	(1U << 20)	/* stop reading a client above this */
#define IN_KEEP		(64 * 1024)	/* buffer kept allocated when idle */
#define SHUTDOWN_GRACE	5		/* seconds to finish replies */

struct listener {
	int src;
	int fd;
	enum conn_kind kind;
};

struct conn_src {
	int src;
	struct conn c;
};

static uint64_t next_id = 1;
static __thread struct worker *cur;
static struct worker *all_ws;	/* the workers, an array (CLIENT LIST, KILL) */
static int all_n;
static volatile int stopping;

uint64_t server_next_client_id(void)
{
	return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

void conn_close_after_reply(struct conn *c)
{
	c->closing = true;
}

/* ------------------------------------------------------------ sockets */

int server_listen_tcp(const char *addr, int port)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	char ports[16];
	int fd = -1, one = 1, err;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ports, sizeof(ports), "%d", port);
	err = getaddrinfo(addr, ports, &hints, &res);
	if (err) {
		log_err("cannot resolve bind address '%s': %s", addr ? addr : "*",
			gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
			log_warn("SO_REUSEPORT: %s", strerror(errno));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) &&
		    !listen(fd, cfg.backlog))
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	if (fd < 0)
		log_err("cannot listen on %s:%d: %s (is the port in use? choose another with --redis-port/--memcache-port)",
			addr ? addr : "*", port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

int server_listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("unix socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, cfg.backlog)) {
		log_err("cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------ connections */

static struct conn *conn_of(struct conn_src *s)
{
	return &s->c;
}

static struct conn_src *src_of(struct conn *c)
{
	return (struct conn_src *)((char *)c - offsetof(struct conn_src, c));
}

static void list_del(struct worker *w, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		w->tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_add_tail(struct worker *w, struct conn *c)
{
	c->prev = w->tail;
	c->next = NULL;
	if (w->tail)
		w->tail->next = c;
	else
		w->head = c;
	w->tail = c;
}

static void update_events(struct conn *c)
{
	struct epoll_event ev = { 0 };
	uint32_t want = 0;

	if (c->dead)
		return;
	if (!c->paused && !c->closing)
		want |= EPOLLIN;
	if (buf_avail(&c->out))
		want |= EPOLLOUT;
	/* Most passes change nothing: no system call for them. */
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.ptr = src_of(c);
	if (!epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev)) {
		c->events = want;
		c->want_write = want & EPOLLOUT;
	}
}

static void conn_close(struct conn *c)
{
	struct worker *w = c->w;

	if (c->dead)
		return;
	log_debug("closing client %llu (%s)", (unsigned long long)c->id,
		  c->addr);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->dead = true;
	blk_conn_gone(c);
	list_del(w, c);
	w->nconns--;
	if (!c->killed) {	/* else server_client_kill() counted it */
		__atomic_sub_fetch(&pstats.curr_connections, 1, __ATOMIC_RELAXED);
		__atomic_sub_fetch(c->kind == CONN_REDIS ? &pstats.redis_connections :
				   &pstats.mc_connections, 1, __ATOMIC_RELAXED);
	}
	/* Freed after the event loop pass: events may still name it. */
	if (w->ndead == w->dead_cap) {
		size_t n = w->dead_cap ? w->dead_cap * 2 : 16;
		struct conn **d = realloc(w->dead, n * sizeof(*d));

		if (!d)
			return;		/* leak one rather than crash */
		w->dead = d;
		w->dead_cap = n;
	}
	w->dead[w->ndead++] = c;
}

static void conn_free(struct conn *c)
{
	redis_conn_free(c);
	resp_parser_free(&c->rp);
	mc_parser_free(&c->mp);
	buf_free(&c->in);
	buf_free(&c->out);
	free(src_of(c));
}

static void reap(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->ndead; i++)
		conn_free(w->dead[i]);
	w->ndead = 0;
}

/* Writes what it can; false when the connection was closed. */
static bool conn_write(struct conn *c)
{
	while (buf_avail(&c->out)) {
		ssize_t n = write(c->fd, buf_head(&c->out), buf_avail(&c->out));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_close(c);
			return false;
		}
		STAT_ADD(net_out, (uint64_t)n);
		buf_consume(&c->out, (size_t)n);
	}
	if (!buf_avail(&c->out)) {
		buf_compact(&c->out, IN_KEEP);
		if (c->closing) {
			conn_close(c);
			return false;
		}
	}
	return true;
}

static void conn_process(struct conn *c);

/*
 * Writes what it can and, while a paused client has caught up, runs the
 * input it already sent; then asks epoll for what is still wanted.  (A
 * paused client whose replies all went out at once gets no EPOLLOUT: it
 * must be resumed here.)
 */
static void conn_kick(struct conn *c)
{
	while (conn_write(c)) {
		if (c->paused && buf_avail(&c->out) < OUT_SOFT / 2) {
			c->paused = false;
			conn_process(c);
			if (c->dead)
				return;
			continue;
		}
		update_events(c);
		return;
	}
}

static void protocol_error(struct conn *c, const char *err)
{
	log_info("client %llu (%s): %s%s", (unsigned long long)c->id, c->addr,
		 c->kind == CONN_REDIS ? "" : "memcached: ", err);
	if (c->kind == CONN_REDIS)
		resp_errorf(&c->out, "ERR %s", err);
	else
		buf_adds(&c->out, err);
	c->closing = true;
}

/* Parses and runs every complete request in c->in. */
static void conn_finish_input(struct conn *c);

static void conn_process(struct conn *c)
{
	struct worker *w = c->w;
	struct engine *e = &w->eng;
	/* input of this pass already run (batching): never run it twice */
	size_t done = c->in_done;

	while (!c->closing && !c->blk && done < buf_avail(&c->in)) {
		char *p = buf_head(&c->in) + done;
		size_t len = buf_avail(&c->in) - done, used = 0;
		const char *err = NULL;
		int st;

		if (buf_avail(&c->out) > OUT_SOFT) {
			c->paused = true;
			break;
		}
		if (c->kind == CONN_REDIS) {
			struct arg *argv;
			size_t argc;

			st = resp_parse(&c->rp, p, len, &used, &argv, &argc, &err);
			if (st == RESP_NEED)
				break;
			if (st == RESP_ERR) {
				eng_flush(e);
				protocol_error(c, err);
				break;
			}
			redis_execute(c, argv, argc);
		} else {
			struct mc_req q;

			st = mc_parse(&c->mp, p, len, &used, &q, &err);
			if (st == MC_NEED)
				break;
			if (st == MC_CLOSE) {
				eng_flush(e);
				protocol_error(c, err);
				break;
			}
			if (st == MC_REPLY)
				buf_adds(eng_out(e, c), err);
			else if (st == MC_REQ)
				mc_execute(c, &q);
		}
		done += used;
	}
	c->in_done = done;
	/*
	 * The planned ops may point into c->in: it is consumed only after
	 * they ran.  While the worker batches, that is after every ready
	 * connection of this pass planned its ops (flush_touched()).
	 */
	if (w->batching && !c->closing) {
		if (!c->touched) {
			if (w->ntouched == w->touched_cap) {
				size_t n = w->touched_cap ? w->touched_cap * 2 : 64;
				struct conn **t = realloc(w->touched, n * sizeof(*t));

				if (!t)
					goto now;
				w->touched = t;
				w->touched_cap = n;
			}
			c->touched = true;
			w->touched[w->ntouched++] = c;
		}
		return;
	}
now:
	eng_flush(e);
	conn_finish_input(c);
}

/* After the ops of c's input ran: drop that input, apply the limits. */
static void conn_finish_input(struct conn *c)
{
	buf_consume(&c->in, c->in_done);
	c->in_done = 0;
	buf_compact(&c->in, IN_KEEP);
	if (conn_out_over(c)) {
		log_warn("client %llu (%s): output buffer over %zu bytes, closing it",
			 (unsigned long long)c->id, c->addr, cfg.max_output);
		conn_close(c);
		return;
	}
	if (c->in.oom) {
		log_warn("client %llu (%s): out of memory for its input, closing it",
			 (unsigned long long)c->id, c->addr);
		conn_close(c);
	}
}

static void conn_read(struct conn *c)
{
	size_t room = READ_CHUNK;
	ssize_t n;

	if (buf_avail(&c->in) >= cfg.max_query) {
		log_warn("client %llu (%s): query buffer over %zu bytes (--max-query-buffer), closing it",
			 (unsigned long long)c->id, c->addr, cfg.max_query);
		conn_close(c);
		return;
	}
	/* Read what is free in the buffer, at least a chunk. */
	if (c->in.cap - c->in.len > room)
		room = c->in.cap - c->in.len;
	if (room > cfg.max_query - buf_avail(&c->in))
		room = cfg.max_query - buf_avail(&c->in);
	if (!buf_reserve(&c->in, room)) {
		conn_close(c);
		return;
	}
	n = read(c->fd, c->in.data + c->in.len, room);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c);
		return;
	}
	if (n == 0) {
		bool batching = c->w->batching;

		/* Answer what was sent before the end, then close. */
		c->closing = true;
		c->w->batching = false;
		if (buf_avail(&c->in) > c->in_done) {
			c->closing = false;
			conn_process(c);
			c->closing = true;
		} else if (c->in_done) {
			eng_flush(&c->w->eng);
			conn_finish_input(c);
		}
		c->w->batching = batching;
		if (c->dead)
			return;
		conn_kick(c);
		return;
	}
	STAT_ADD(net_in, (uint64_t)n);
	c->in.len += (size_t)n;
	if (buf_avail(&c->in) > c->in_peak)
		c->in_peak = buf_avail(&c->in);
	c->last_active = time(NULL);
	list_del(c->w, c);
	list_add_tail(c->w, c);
	conn_process(c);
	if (!c->dead && !c->touched)
		conn_kick(c);
}

void server_conn_resume(struct conn *c)
{
	if (c->dead)
		return;
	c->last_active = time(NULL);	/* answered: an interaction */
	conn_process(c);
	if (!c->dead)
		conn_kick(c);
}

void server_worker_kick(struct worker *w)
{
	uint64_t one = 1;
	ssize_t unused;

	__atomic_store_n(&w->blk_kick, 1, __ATOMIC_RELAXED);
	unused = write(w->evfd, &one, sizeof(one));
	(void)unused;
}

/*
 * The end of an epoll_wait() pass: one batch runs the ops every ready
 * connection planned, then each connection drops its input and writes
 * its replies.
 */
static void flush_touched(struct worker *w)
{
	size_t i;

	w->batching = false;
	if (!w->ntouched)
		return;
	eng_flush(&w->eng);
	for (i = 0; i < w->ntouched; i++) {
		struct conn *c = w->touched[i];

		c->touched = false;
		if (c->dead)
			continue;
		conn_finish_input(c);
		if (!c->dead)
			conn_kick(c);
	}
	w->ntouched = 0;
}

static void conn_writable(struct conn *c)
{
	conn_kick(c);
}

void server_conn_output(struct conn *c)
{
	if (c->dead)
		return;
	if (conn_out_over(c)) {
		log_warn("client %llu (%s): output buffer over %zu bytes (a subscriber or monitor that does not read?), closing it",
			 (unsigned long long)c->id, c->addr, cfg.max_output);
		conn_close(c);
		return;
	}
	conn_kick(c);
}

static void sockname(int fd, bool peer, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	int port = 0;

	snprintf(out, n, "?");
	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
		    getsockname(fd, (struct sockaddr *)&ss, &len)))
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		port = ntohs(s->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		port = ntohs(s->sin6_port);
	} else {
		snprintf(out, n, "/unix");
		return;
	}
	snprintf(out, n, "%s:%d", host, port);
}

static void accept_one(struct worker *w, struct listener *l)
{
	struct resp_limits rl = {
		.max_bulk = cfg.max_bulk,
		.max_args = cfg.max_args,
		.max_inline = RESP_INLINE_MAX,
	};
	struct mc_limits ml = {
		.max_line = MC_LINE_MAX,
		.max_value = mc_value_max(),
		.max_keys = 8192,
	};
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn_src *s;
	struct conn *c;
	int fd, one = 1;
	long n;

	fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept: %s", strerror(errno));
		return;
	}
	STAT_ADD(total_connections, 1);
	n = __atomic_add_fetch(&pstats.curr_connections, 1, __ATOMIC_RELAXED);
	if (n > cfg.maxclients) {
		static const char r[] = "-ERR max number of clients reached\r\n";
		static const char m[] = "SERVER_ERROR Too many open connections\r\n";
		ssize_t unused;

		__atomic_sub_fetch(&pstats.curr_connections, 1, __ATOMIC_RELAXED);
		STAT_ADD(rejected_connections, 1);
		log_warn("max number of clients reached (--maxclients %ld): refusing a connection",
			 cfg.maxclients);
		unused = l->kind == CONN_REDIS ? write(fd, r, sizeof(r) - 1) :
						 write(fd, m, sizeof(m) - 1);
		(void)unused;
		close(fd);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		__atomic_sub_fetch(&pstats.curr_connections, 1, __ATOMIC_RELAXED);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->src = SRC_CONN;
	c = conn_of(s);
	c->fd = fd;
	c->kind = l->kind;
	c->w = w;
	c->id = server_next_client_id();
	c->proto = 2;
	c->created = c->last_active = time(NULL);
	buf_init(&c->in);
	buf_init(&c->out);
	resp_parser_init(&c->rp, &rl);
	mc_parser_init(&c->mp, &ml);
	sockname(fd, true, c->addr, sizeof(c->addr));
	sockname(fd, false, c->laddr, sizeof(c->laddr));
	__atomic_add_fetch(c->kind == CONN_REDIS ? &pstats.redis_connections :
			   &pstats.mc_connections, 1, __ATOMIC_RELAXED);
	ev.data.ptr = s;
	c->events = ev.events;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		log_err("epoll_ctl: %s", strerror(errno));
		c->dead = true;
		close(fd);
		__atomic_sub_fetch(&pstats.curr_connections, 1, __ATOMIC_RELAXED);
		conn_free(c);
		return;
	}
	list_add_tail(w, c);
	w->nconns++;
	log_debug("client %llu connected from %s (%s)", (unsigned long long)c->id,
		  c->addr, c->kind == CONN_REDIS ? "redis" : "memcached");
}

/* This worker's connections (CLIENT KILL walks them), or NULL. */
struct conn *server_worker_conns(void)
{
	return cur ? cur->head : NULL;
}

static bool client_listed(const struct conn *c, const struct client_filter *f)
{
	size_t i;

	if (c->kind != CONN_REDIS || c->dead || c->killed)
		return false;
	if (!f)
		return true;
	if (f->only && c != f->only)
		return false;
	if (f->type >= 0 && f->type != (ps_count(c) ? CT_PUBSUB : CT_NORMAL))
		return false;
	if (!f->ids)
		return true;
	for (i = 0; i < f->nids; i++)
		if (f->ids[i] == c->id)
			return true;
	return false;
}

/* Bytes a MULTI queue holds: its commands' arguments and their arrays. */
static size_t multi_mem(const struct conn *c)
{
	size_t i, j, n = 0;

	for (i = 0; i < c->mq_len; i++) {
		n += c->mq[i].argc * sizeof(struct arg);
		for (j = 0; j < c->mq[i].argc; j++)
			n += c->mq[i].argv[j].len;
	}
	return n + c->mq_cap * sizeof(*c->mq);
}

static void client_line(struct buf *o, const struct conn *me,
			const struct conn *c, time_t now)
{
	char flags[4], *f = flags, cmd[64];
	size_t argv_mem, mmem;

	/* Redis's letters, in its order: O monitor, P pub/sub, x MULTI */
	if (c->monitor)
		*f++ = 'O';
	if (ps_count(c))
		*f++ = 'P';
	if (c->in_multi)
		*f++ = 'x';
	if (f == flags)
		*f++ = 'N';
	*f = 0;
	if (c->last_cmd && c->last_sub)
		snprintf(cmd, sizeof(cmd), "%s|%s", c->last_cmd, c->last_sub);
	else
		snprintf(cmd, sizeof(cmd), "%s", c->last_cmd ? c->last_cmd : "NULL");
	/* Only the client asking is running a command. */
	argv_mem = c == me ? c->argv_mem : 0;
	mmem = multi_mem(c);
	/*
	 * One query buffer (qbuf: unprocessed bytes, rbs: its size, rbp:
	 * the most it held) and one reply buffer: Redis's fixed buffer and
	 * reply list are omem, bytes not yet written.
	 */
	buf_printf(o, "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld "
		   "flags=%s db=%u sub=%zu psub=%zu ssub=0 multi=%ld qbuf=%zu "
		   "qbuf-free=%zu argv-mem=%zu multi-mem=%zu rbs=%zu rbp=%zu "
		   "obl=0 oll=0 omem=%zu tot-mem=%zu events=%s%s cmd=%s "
		   "user=default redir=-1 resp=%d\n",
		   (unsigned long long)c->id, c->addr, c->laddr, c->fd,
		   c->name ? c->name : "", (long long)(now - c->created),
		   (long long)(now - c->last_active),
		   flags, c->db,
		   c->ps.nchan, c->ps.npat,
		   c->in_multi ? (long)c->mq_len : -1L,
		   buf_avail(&c->in), c->in.cap - c->in.len, argv_mem, mmem,
		   c->in.cap, c->in_peak, buf_avail(&c->out),
		   sizeof(*c) + c->in.cap + c->out.cap + argv_mem + mmem,
		   c->events & EPOLLIN ? "r" : "", c->events & EPOLLOUT ? "w" : "",
		   cmd, c->proto);
}

void server_clients_each(void (*fn)(struct conn *t, void *arg), void *arg)
{
	struct worker *me = cur;
	struct conn *c, *next;
	int i;

	pthread_mutex_unlock(&me->lock);
	for (i = 0; i < all_n; i++) {
		struct worker *w = &all_ws[i];

		pthread_mutex_lock(&w->lock);
		for (c = w->head; c; c = next) {
			next = c->next;
			if (c->kind == CONN_REDIS && !c->dead && !c->killed)
				fn(c, arg);
		}
		pthread_mutex_unlock(&w->lock);
	}
	pthread_mutex_lock(&me->lock);
}

void server_client_kill(struct conn *t)
{
	uint64_t one = 1;
	ssize_t unused;

	t->killed = true;
	__atomic_sub_fetch(&pstats.curr_connections, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&pstats.redis_connections, 1, __ATOMIC_RELAXED);
	/* Its worker is not running (we hold its lock): the fd is open. */
	shutdown(t->fd, SHUT_RDWR);
	__atomic_store_n(&t->w->kill_kick, 1, __ATOMIC_RELEASE);
	unused = write(t->w->evfd, &one, sizeof(one));
	(void)unused;
}

/* The worker closes its clients that CLIENT KILL marked. */
static void close_killed(struct worker *w)
{
	struct conn *c, *next;

	if (!__atomic_exchange_n(&w->kill_kick, 0, __ATOMIC_ACQUIRE))
		return;
	for (c = w->head; c; c = next) {
		next = c->next;
		if (c->killed)
			conn_close(c);
	}
}

struct list_walk {
	struct buf *o;
	const struct conn *me;
	const struct client_filter *cf;
	time_t now;
	long n;
};

static void list_one(struct conn *c, void *arg)
{
	struct list_walk *lw = arg;

	if (!client_listed(c, lw->cf))
		return;
	client_line(lw->o, lw->me, c, lw->now);
	lw->n++;
}

long server_client_list(struct buf *o, const struct conn *me,
			const struct client_filter *cf)
{
	struct list_walk lw = { o, me, cf, time(NULL), 0 };

	if (cf && cf->only) {	/* CLIENT INFO: the caller, its own */
		list_one((struct conn *)cf->only, &lw);
		return lw.n;
	}
	server_clients_each(list_one, &lw);
	return lw.n;
}

/* ------------------------------------------------------------ workers */

static void expire_idle(struct worker *w, time_t now)
{
	long n = w->nconns;

	while (w->head && now - w->head->last_active > cfg.timeout && n-- > 0) {
		struct conn *c = w->head;

		/* As Redis, a client blocked on a list is not idle, nor a monitor. */
		if (c->blk || c->monitor) {
			list_del(w, c);
			list_add_tail(w, c);
			continue;
		}

		log_debug("client %llu idle for %d s, closing it",
			  (unsigned long long)c->id, cfg.timeout);
		conn_close(c);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[256];
	time_t deadline = 0, last_tick = time(NULL);
	int i, n, wait_ms = 1000;

	cur = w;
	tstats = &ptstats[w->id];
	pthread_mutex_lock(&w->lock);
	for (;;) {
		time_t now;

		pthread_mutex_unlock(&w->lock);
		n = epoll_wait(w->epfd, evs, 256, wait_ms);
		pthread_mutex_lock(&w->lock);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		w->batching = n > 1;
		for (i = 0; i < n; i++) {
			int *src = evs[i].data.ptr;

			if (*src == SRC_LISTEN) {
				if (!stopping)
					accept_one(w, (struct listener *)src);
			} else if (*src == SRC_PUBSUB) {
				/* replies planned earlier go out before messages */
				flush_touched(w);
				ps_readable(w);
				w->batching = n > 1;
			} else if (*src == SRC_KWAIT) {
				blk_kernel_ready(w);
			} else if (*src == SRC_KEYSPACE) {
				notify_readable(w);
			} else if (*src == SRC_WAKE) {
				uint64_t v;
				ssize_t unused = read(w->evfd, &v, sizeof(v));

				(void)unused;
				close_killed(w);
			} else {
				struct conn *c = conn_of((struct conn_src *)src);

				if (c->dead)
					continue;
				if (c->killed) {	/* CLIENT KILL */
					conn_close(c);
					continue;
				}
				if (evs[i].events & (EPOLLERR | EPOLLHUP) &&
				    !(evs[i].events & EPOLLIN)) {
					conn_close(c);
					continue;
				}
				if (evs[i].events & EPOLLIN)
					conn_read(c);
				if (!c->dead && (evs[i].events & EPOLLOUT))
					conn_writable(c);
			}
		}
		flush_touched(w);
		/* MONITOR's lines, after the replies of their commands */
		mon_service(w);
		/* After the batch: a parked client's retry runs on its own. */
		wait_ms = blk_service(w, 1000);
		reap(w);
		notify_tick(w);
		now = time(NULL);
		if (stopping) {
			struct conn *c, *next;

			if (!deadline) {
				for (i = 0; i < w->nlfd; i++)
					epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->lfd[i], NULL);
				deadline = now + SHUTDOWN_GRACE;
				for (c = w->head; c; c = next) {
					next = c->next;
					c->closing = true;
					if (!buf_avail(&c->out))
						conn_close(c);
					else
						update_events(c);
				}
				reap(w);
			}
			if (!w->head || now >= deadline)
				break;
		}
		if (cfg.timeout && now != last_tick) {
			expire_idle(w, now);
			reap(w);
			last_tick = now;
		}
	}
	while (w->head)
		conn_close(w->head);
	reap(w);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int server_worker_init(struct worker *w, int id, const int *ufd,
		       const int *ukind, int nu)
{
	struct epoll_event ev;
	struct listener *l;
	int i, err;

	memset(w, 0, sizeof(*w));
	w->id = id;
	pthread_mutex_init(&w->lock, NULL);
	if (!id)
		all_ws = w;	/* workers are an array, ws[0] first */
	all_n = id + 1;
	ps_worker_init(&w->ps);
	w->kfd = kc_open_path(cfg.device);
	if (w->kfd < 0) {
		log_err("cannot open %s: %s", cfg.device, strerror(-w->kfd));
		return -1;
	}
	/* PUBLISH always, the data path with --transport netlink. */
	if (knl_fam.id) {
		w->nl = malloc(sizeof(*w->nl));
		err = w->nl ? knl_open(w->nl, cfg.transport == TRANSPORT_NETLINK) :
			      -ENOMEM;
		if (err) {
			log_err("worker %d: cannot open a netlink socket: %s",
				id, strerror(-err));
			free(w->nl);
			w->nl = NULL;
			if (cfg.transport == TRANSPORT_NETLINK)
				return -1;
		}
	}
	err = eng_init(&w->eng, w->kfd,
		       cfg.transport == TRANSPORT_NETLINK ? w->nl : NULL);
	if (err) {
		log_err("worker %d: cannot set up the reply arena: %s", id,
			strerror(-err));
		return -1;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->epfd < 0 || w->evfd < 0)
		return -1;
	l = calloc(6, sizeof(*l));
	if (!l)
		return -1;
	w->lsrc = l;
	l[5].src = SRC_WAKE;
	ev.events = EPOLLIN;
	ev.data.ptr = &l[5];
	epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev);
	/* Readable when a key a parked client waits on was pushed to. */
	w->ksrc = SRC_KWAIT;
	ev.events = EPOLLIN;
	ev.data.ptr = &w->ksrc;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->kfd, &ev))
		log_warn("worker %d: cannot poll %s (%s): blocked clients wake only by timeout",
			 id, cfg.device, strerror(errno));
	/* TCP: one socket per worker (SO_REUSEPORT). */
	if (cfg.redis_port) {
		w->lfd[w->nlfd] = server_listen_tcp(cfg.bind, cfg.redis_port);
		w->lkind[w->nlfd++] = CONN_REDIS;
	}
	if (cfg.mc_port) {
		w->lfd[w->nlfd] = server_listen_tcp(cfg.bind, cfg.mc_port);
		w->lkind[w->nlfd++] = CONN_MC;
	}
	for (i = 0; i < nu; i++) {
		w->lfd[w->nlfd] = ufd[i];
		w->lkind[w->nlfd++] = ukind[i];
	}
	for (i = 0; i < w->nlfd; i++) {
		if (w->lfd[i] < 0)
			return -1;
		l[i].src = SRC_LISTEN;
		l[i].fd = w->lfd[i];
		l[i].kind = w->lkind[i];
		ev.events = EPOLLIN | (i >= w->nlfd - nu ? EPOLLEXCLUSIVE : 0);
		ev.data.ptr = &l[i];
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd[i], &ev)) {
			log_err("epoll_ctl: %s", strerror(errno));
			return -1;
		}
	}
	notify_worker_init(w);
	return 0;
}

int server_worker_start(struct worker *w, pthread_t *t)
{
	return pthread_create(t, NULL, worker_main, w);
}

void server_stop(struct worker *ws, int n)
{
	uint64_t one = 1;
	int i;

	stopping = 1;
	for (i = 0; i < n; i++) {
		ssize_t unused = write(ws[i].evfd, &one, sizeof(one));

		(void)unused;
	}
}

void server_worker_exit(struct worker *w, int nu)
{
	int i;

	for (i = 0; i < w->nlfd - nu; i++)
		if (w->lfd[i] >= 0)
			close(w->lfd[i]);
	notify_worker_exit(w);
	eng_exit(&w->eng);
	ps_worker_exit(&w->ps);
	if (w->nl) {
		knl_close(w->nl);
		free(w->nl);
		w->nl = NULL;
	}
	kc_close(w->kfd);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->evfd >= 0)
		close(w->evfd);
	free(w->dead);
	free(w->lsrc);
}
