// SPDX-License-Identifier: GPL-2.0
/*
 * kc-netload: a small load generator for memcached's text protocol and
 * Redis's RESP, so that kcache-proxy, memcached and redis-server get the
 * same work as kc-bench gives /dev/kcache: the same keys, values, seed
 * and key sequence (bench.h).
 *
 *   kc-netload run  --proto memcache|redis --port P --op get|set|incr|mget ...
 *   kc-netload fill --proto memcache|redis --port P --items N ...
 *
 * --threads N threads (1) drive --conns connections with epoll, each
 * thread its own epoll instance and its share of the connections (as
 * even as can be: 10 over 3 threads are 3, 3 and 4).  Connection i draws
 * key sequence i whatever the thread count, so the keys sent do not
 * change with it.  Each connection writes --pipeline requests at once
 * and waits for all their replies before it writes the next ones
 * (redis-benchmark's -P), so --pipeline 1 is one request per round trip.
 *
 * `run` stores every key first, from the main thread over all the
 * connections (GETs hit, INCRs count from "0"), then the threads warm up
 * and count replies in --runs windows of --secs.  Every window opens and
 * closes at a barrier where all the threads wait, and the main thread
 * reads the clock and --server-pid's CPU time while they wait there, so
 * both cover the same windows for every thread.  It prints one JSON
 * line like kc-bench's: the replies, misses and error replies summed over
 * the threads, and the round trip of a group of requests (written at
 * once, all replies read) at the 50th and 99th percentile of all the
 * threads' samples together.  --op mget asks for --batch keys per request
 * (memcached's multi-key get, Redis's MGET); its ops_per_sec counts keys,
 * as kc-bench counts a KC_IOC_BATCH of 100 GETs as 100 (requests_per_sec:
 * requests).  --zipf S draws keys from a Zipf distribution instead of
 * uniformly (bench.h).  `fill` stores --items distinct keys (key:0...,
 * as kc-bench mem does) from one thread and prints how long that took.
 *
 * Everything goes to the one address given (default 127.0.0.1) and
 * stops by itself after the runs.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define MAX_CONNS	1024
#define MAX_THREADS	64

enum proto { P_MEMCACHE, P_REDIS };
enum op { OP_GET, OP_SET, OP_INCR, OP_MGET };
enum phase { PH_FILL, PH_RUN, PH_DONE };

struct conn {
	int fd;
	char *w;		/* requests being written */
	size_t wlen, woff, wcap;
	char *r;		/* replies being parsed */
	size_t rlen, roff, rcap;
	uint32_t pending;	/* replies still expected */
	double sent;		/* when the group in flight was written */
	uint32_t *seq;		/* this connection's key indexes */
	uint32_t si;
};

static struct {
	enum proto proto;
	const char *host;
	unsigned int port;
	unsigned int conns;
	unsigned int pipeline;
	enum op op;
	uint32_t keys;
	uint32_t ksize;
	uint32_t vsize;
	uint32_t batch;		/* keys per mget request */
	uint64_t items;
	double secs;
	double warmup;
	int runs;
	unsigned int threads;	/* client threads of run */
	uint64_t seed;
	bool preload;
	int server_pid;		/* --server-pid: its CPU time per reply */
} o = {
	.proto = P_MEMCACHE, .host = "127.0.0.1", .port = 0, .conns = 10,
	.pipeline = 1, .op = OP_GET, .keys = 10000, .ksize = 16, .vsize = 100,
	.batch = 100, .threads = 1,
	.items = 1000000, .secs = 1, .warmup = 0.5, .runs = 5, .seed = 42,
	.preload = true,
};

/*
 * One event loop: the connections it drives and everything it counts.
 * The main thread sets it up; then only its own thread touches it until
 * that thread is joined, so the counters need no atomics (the fill's loop
 * runs in the main thread, before any other starts).  Aligned so that two
 * threads' counters never share a cache line.
 */
struct worker {
	pthread_t tid;
	int ep;
	struct conn *conns;	/* its share of conns[] */
	unsigned int nconns;
	enum phase phase;	/* what the loop is doing */
	uint64_t fill_next, fill_total, fill_pipeline;
	uint64_t replies, misses, errors;
	uint64_t counted[BENCH_RUNS_MAX];	/* replies in each window */
	/* round trips of groups completed in timed runs, in microseconds */
	double *lat;
	size_t nlat, lat_cap;
	bool timing;
	char first_error[128];
} __attribute__((aligned(64)));

/* read-only once the threads run */
static char *keys;		/* run: every key; fill: made on the fly */
static char *value;
static struct conn conns[MAX_CONNS];
static struct worker workers[MAX_THREADS];

/*
 * The main thread and every worker wait at bar between windows; the main
 * thread sets window_end there, before the workers pass it.
 */
static pthread_barrier_t bar;
static double warm_end, window_end;

/* ---------------------------------------------------------------- requests */

static void grow(char **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	while (*cap < need)
		*cap = *cap ? *cap * 2 : 4096;
	*p = realloc(*p, *cap);
	if (!*p)
		bench_die("no memory");
}

static void put(struct conn *c, const void *d, size_t n)
{
	grow(&c->w, &c->wcap, c->wlen + n);
	memcpy(c->w + c->wlen, d, n);
	c->wlen += n;
}

static void putf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void putf(struct conn *c, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(c, tmp, n);
}

static void put_bulk(struct conn *c, const char *d, size_t n)
{
	putf(c, "$%zu\r\n", n);
	put(c, d, n);
	put(c, "\r\n", 2);
}

static void request(struct conn *c, enum op op, const char *k, const char *v,
		    uint32_t vlen)
{
	if (o.proto == P_MEMCACHE) {
		switch (op) {
		case OP_GET:
			put(c, "get ", 4);
			put(c, k, o.ksize);
			put(c, "\r\n", 2);
			break;
		case OP_SET:
			put(c, "set ", 4);
			put(c, k, o.ksize);
			putf(c, " 0 0 %u\r\n", vlen);
			put(c, v, vlen);
			put(c, "\r\n", 2);
			break;
		case OP_INCR:
			put(c, "incr ", 5);
			put(c, k, o.ksize);
			put(c, " 1\r\n", 4);
			break;
		case OP_MGET:
			break;	/* mget_request() */
		}
		return;
	}
	switch (op) {
	case OP_GET:
		put(c, "*2\r\n$3\r\nGET\r\n", 13);
		put_bulk(c, k, o.ksize);
		break;
	case OP_SET:
		put(c, "*3\r\n$3\r\nSET\r\n", 13);
		put_bulk(c, k, o.ksize);
		put_bulk(c, v, vlen);
		break;
	case OP_INCR:
		put(c, "*2\r\n$4\r\nINCR\r\n", 14);
		put_bulk(c, k, o.ksize);
		break;
	case OP_MGET:
		break;

	}
}

/* One multi-key get of o.batch keys from c's key sequence. */
static void mget_request(struct conn *c)
{
	uint32_t i;

	if (o.proto == P_MEMCACHE)
		put(c, "get", 3);
	else
		putf(c, "*%u\r\n$4\r\nMGET\r\n", o.batch + 1);
	for (i = 0; i < o.batch; i++) {
		const char *k = keys + (size_t)c->seq[c->si++ & (BENCH_SEQ_LEN - 1)] * o.ksize;

		if (o.proto == P_MEMCACHE) {
			put(c, " ", 1);
			put(c, k, o.ksize);
		} else {
			put_bulk(c, k, o.ksize);
		}
	}
	if (o.proto == P_MEMCACHE)
		put(c, "\r\n", 2);
}

/* Writes the next group of requests; false when there is nothing to do. */
static bool next_batch(struct worker *w, struct conn *c)
{
	char kbuf[BENCH_KEY_MAX + 32];
	unsigned int i;

	c->wlen = c->woff = 0;
	c->pending = 0;
	if (w->phase == PH_FILL) {
		const char *v = o.op == OP_INCR ? "0" : value;
		uint32_t vlen = o.op == OP_INCR ? 1 : o.vsize;

		for (i = 0; i < w->fill_pipeline && w->fill_next < w->fill_total;
		     i++) {
			snprintf(kbuf, sizeof(kbuf), "key:%0*llu",
				 (int)o.ksize - 4,
				 (unsigned long long)w->fill_next++);
			request(c, OP_SET, kbuf, v, vlen);
			c->pending++;
		}
	} else if (w->phase == PH_RUN) {
		for (i = 0; i < o.pipeline; i++) {
			uint32_t k;

			c->pending++;
			if (o.op == OP_MGET) {
				mget_request(c);
				continue;
			}
			k = c->seq[c->si++ & (BENCH_SEQ_LEN - 1)];
			request(c, o.op, keys + (size_t)k * o.ksize, value,
				o.vsize);
		}
		c->sent = bench_now();
	}
	return c->pending > 0;
}

static void flush_conn(struct worker *w, struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = write(c->fd, c->w + c->woff, c->wlen - c->woff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT,
						  .data.ptr = c };

			epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (n <= 0)
			bench_die("write to port %u: %s", o.port,
				  n < 0 ? strerror(errno) : "closed");
		c->woff += n;
	}
}

/* ---------------------------------------------------------------- replies */

static void bad_reply(struct worker *w, const char *line, size_t n)
{
	if (!w->errors++)
		snprintf(w->first_error, sizeof(w->first_error), "%.*s",
			 (int)(n > 100 ? 100 : n), line);
}

/*
 * A bulk string ($n or $-1) at p: its length, or 0 when incomplete.  A
 * value of another size than --value-size is an error if check is set.
 */
static size_t parse_bulk(struct worker *w, const char *p, size_t avail,
			 bool check)
{
	const char *nl = memchr(p, '\n', avail);
	size_t line;
	long long n;

	if (!nl)
		return 0;
	line = nl - p + 1;
	if (p[0] != '$') {
		bad_reply(w, p, line - 2);
		return line;
	}
	n = strtoll(p + 1, NULL, 10);
	if (n < 0) {
		w->misses++;
		return line;
	}
	if (avail < line + n + 2)
		return 0;
	if (check && (uint64_t)n != o.vsize)
		bad_reply(w, "GET returned a value of another size", 36);
	return line + n + 2;
}

/* The <bytes> of a memcached "VALUE <key> <flags> <bytes>" line at p. */
static unsigned long value_bytes(const char *p, const char *nl)
{
	const char *s = p + 6;
	int field = 0;

	while (field < 2 && s < nl)
		if (*s++ == ' ')
			field++;
	return strtoul(s, NULL, 10);
}

/*
 * A multi-key get's whole reply at p: memcached's VALUE blocks up to END,
 * or Redis's array of bulk strings.  Its length, or 0 when incomplete;
 * keys it did not find count as misses.
 */
static size_t parse_multi(struct worker *w, const char *p, size_t avail)
{
	const char *nl;
	size_t off = 0, line, n1;
	unsigned long bytes;
	uint64_t m0 = w->misses;
	uint32_t found = 0;
	long long n;

	if (o.proto == P_REDIS) {
		nl = memchr(p, '\n', avail);
		if (!nl)
			return 0;
		line = nl - p + 1;
		if (p[0] != '*') {
			bad_reply(w, p, line - 2);
			return line;
		}
		n = strtoll(p + 1, NULL, 10);
		for (off = line; n > 0; n--, off += n1) {
			n1 = parse_bulk(w, p + off, avail - off, true);
			if (!n1) {
				w->misses = m0;	/* counted again when whole */
				return 0;
			}
		}
		return off;
	}
	for (;;) {
		nl = memchr(p + off, '\n', avail - off);
		if (!nl)
			return 0;
		line = nl - (p + off) + 1;
		if (line == 5 && !memcmp(p + off, "END", 3))
			break;
		if (line < 6 || memcmp(p + off, "VALUE ", 6)) {
			bad_reply(w, p + off, line - 2);
			return off + line;
		}
		bytes = value_bytes(p + off, nl);
		if (avail - off < line + bytes + 2)
			return 0;
		if (bytes != o.vsize)
			bad_reply(w, "get returned a value of another size", 36);
		off += line + bytes + 2;
		found++;
	}
	w->misses += o.batch - (found < o.batch ? found : o.batch);
	return off + line;
}

/* One whole reply at c->r + c->roff: its length, or 0 when incomplete. */
static size_t parse_one(struct worker *w, struct conn *c)
{
	const char *p = c->r + c->roff, *nl;
	size_t avail = c->rlen - c->roff, line;

	if (o.op == OP_MGET && w->phase != PH_FILL)
		return parse_multi(w, p, avail);
	nl = memchr(p, '\n', avail);
	if (!nl)
		return 0;
	line = nl - p + 1;
	if (o.proto == P_REDIS) {
		switch (p[0]) {
		case '+':
		case ':':
			return line;
		case '-':
			bad_reply(w, p, line - 2);
			return line;
		case '$':
			return parse_bulk(w, p, avail,
					  o.op == OP_GET && w->phase == PH_RUN);
		default:
			bad_reply(w, p, line - 2);
			return line;
		}
	}
	if (line >= 6 && !memcmp(p, "VALUE ", 6)) {
		unsigned long bytes = value_bytes(p, nl);

		if (avail < line + bytes + 2 + 5)
			return 0;
		if (memcmp(p + line + bytes, "\r\nEND\r\n", 7))
			bad_reply(w, p, line - 2);
		else if (bytes != o.vsize && w->phase == PH_RUN)
			bad_reply(w, "get returned a value of another size", 36);
		return line + bytes + 2 + 5;
	}
	if (line == 5 && !memcmp(p, "END", 3)) {
		w->misses++;
		return line;
	}
	if (!memcmp(p, "STORED", 6) || (p[0] >= '0' && p[0] <= '9'))
		return line;
	if (!memcmp(p, "NOT_FOUND", 9)) {
		w->misses++;
		return line;
	}
	bad_reply(w, p, line - 2);
	return line;
}

/* Reads and parses; returns replies completed. */
static unsigned int read_conn(struct worker *w, struct conn *c)
{
	unsigned int got = 0;
	size_t n1;
	ssize_t n;

	for (;;) {
		if (c->roff == c->rlen) {
			c->roff = c->rlen = 0;
		} else if (c->rcap - c->rlen < 4096 && c->roff) {
			memmove(c->r, c->r + c->roff, c->rlen - c->roff);
			c->rlen -= c->roff;
			c->roff = 0;
		}
		grow(&c->r, &c->rcap, c->rlen + 65536);
		n = read(c->fd, c->r + c->rlen, c->rcap - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return got;
		if (n <= 0)
			bench_die("read from port %u: %s", o.port,
				  n < 0 ? strerror(errno) : "connection closed by the server");
		c->rlen += n;
		while (c->pending && (n1 = parse_one(w, c))) {
			c->roff += n1;
			c->pending--;
			got++;
		}
		if (!c->pending) {
			if (c->roff != c->rlen)
				bench_die("port %u sent more replies than requests", o.port);
			return got;
		}
	}
}

/* ---------------------------------------------------------------- loop */

/* Opens every connection; connection i draws key sequence i. */
static void connect_all(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o.port) };
	unsigned int i;
	int one = 1;

	if (inet_pton(AF_INET, o.host, &sa.sin_addr) != 1)
		bench_die("--host must be an IPv4 address, not '%s'", o.host);
	for (i = 0; i < o.conns; i++) {
		struct conn *c = &conns[i];

		c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd < 0)
			bench_die("socket: %s", strerror(errno));
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
			bench_die("connect to %s:%u: %s", o.host, o.port,
				  strerror(errno));
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
		/* here, not in a thread: bench_seq()'s Zipf table is shared */
		if (keys)
			c->seq = bench_seq(o.keys, o.seed, i);
	}
}

/* Gives w connections first to first + n - 1 and an epoll instance. */
static void worker_init(struct worker *w, unsigned int first, unsigned int n)
{
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0)
		bench_die("epoll_create1: %s", strerror(errno));
	w->conns = &conns[first];
	w->nconns = n;
	for (unsigned int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &w->conns[i] };

		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, w->conns[i].fd, &ev))
			bench_die("epoll_ctl: %s", strerror(errno));
	}
}

/* Closing the epoll instance takes the connections out of it. */
static void worker_exit(struct worker *w)
{
	close(w->ep);
	w->ep = -1;
}

static void lat_add(struct worker *w, double us);

/* Starts every idle connection of w on its current phase. */
static void kick_all(struct worker *w)
{
	for (unsigned int i = 0; i < w->nconns; i++)
		if (!w->conns[i].pending && next_batch(w, &w->conns[i]))
			flush_conn(w, &w->conns[i]);
}

static int busy(struct worker *w)
{
	for (unsigned int i = 0; i < w->nconns; i++)
		if (w->conns[i].pending)
			return 1;
	return 0;
}

/*
 * Runs w's loop until deadline (or, with deadline 0, until none of its
 * connections waits for a reply).  Connections that finish a group start
 * the next.
 */
static void loop(struct worker *w, double deadline)
{
	struct epoll_event evs[64];

	for (;;) {
		double now = bench_now();
		int ms, n;

		if (deadline ? now >= deadline : !busy(w))
			return;
		ms = deadline ? (int)((deadline - now) * 1000) + 1 : 1000;
		n = epoll_wait(w->ep, evs, 64, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			bench_die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (evs[i].events & EPOLLOUT) {
				struct epoll_event ev = { .events = EPOLLIN,
							  .data.ptr = c };

				epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
				flush_conn(w, c);
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				w->replies += read_conn(w, c);
				if (!c->pending && w->timing)
					lat_add(w, (bench_now() - c->sent) * 1e6);
				if (!c->pending && next_batch(w, c))
					flush_conn(w, c);
			}
		}
	}
}

static void lat_add(struct worker *w, double us)
{
	if (w->nlat == w->lat_cap) {
		w->lat_cap = w->lat_cap ? w->lat_cap * 2 : 65536;
		w->lat = realloc(w->lat, w->lat_cap * sizeof(*w->lat));
		if (!w->lat)
			bench_die("no memory");
	}
	w->lat[w->nlat++] = us;
}

static void fill(struct worker *w, uint64_t total, unsigned int depth)
{
	w->phase = PH_FILL;
	w->fill_next = 0;
	w->fill_total = total;
	w->fill_pipeline = depth;
	kick_all(w);
	loop(w, 0);
}

/*
 * A client thread of run: warms up, counts its replies in every window
 * the main thread opens (run_windows()), then lets its last groups finish
 * so the server is idle for the next test.  Between two windows it waits
 * at bar, as do all the others.
 */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint64_t d0;

	w->phase = PH_RUN;
	kick_all(w);
	loop(w, warm_end);
	w->misses = 0;
	w->errors = 0;
	for (int r = 0; ; r++) {
		pthread_barrier_wait(&bar);	/* window r - 1 closed */
		if (r == o.runs)
			break;
		pthread_barrier_wait(&bar);	/* window r open */
		d0 = w->replies;
		w->timing = true;
		loop(w, window_end);
		w->timing = false;
		w->counted[r] = w->replies - d0;
	}
	w->phase = PH_DONE;
	loop(w, 0);
	return NULL;
}

/* Splits the connections as evenly as can be over o.threads workers. */
static void start_workers(void)
{
	unsigned int t, first, next;
	int err;

	err = pthread_barrier_init(&bar, NULL, o.threads + 1);
	if (err)
		bench_die("pthread_barrier_init: %s", strerror(err));
	warm_end = bench_now() + o.warmup;
	for (t = 0; t < o.threads; t++) {
		first = t * o.conns / o.threads;
		next = (t + 1) * o.conns / o.threads;
		worker_init(&workers[t], first, next - first);
		err = pthread_create(&workers[t].tid, NULL, worker_run,
				     &workers[t]);
		if (err)
			bench_die("pthread_create: %s", strerror(err));
	}
}

static void join_workers(void)
{
	for (unsigned int t = 0; t < o.threads; t++) {
		pthread_join(workers[t].tid, NULL);
		worker_exit(&workers[t]);
	}
	pthread_barrier_destroy(&bar);
}

/*
 * Adds up in s what the workers counted, after they are joined: replies,
 * misses and errors (the first error of the first thread that saw one),
 * the replies of every window, and all the latency samples, so that the
 * percentiles are those of every group sent.
 */
static void sum_workers(struct worker *s)
{
	for (unsigned int t = 0; t < o.threads; t++) {
		struct worker *w = &workers[t];

		s->replies += w->replies;
		s->misses += w->misses;
		if (!s->errors && w->errors)
			memcpy(s->first_error, w->first_error,
			       sizeof(s->first_error));
		s->errors += w->errors;
		for (int r = 0; r < o.runs; r++)
			s->counted[r] += w->counted[r];
		for (size_t i = 0; i < w->nlat; i++)
			lat_add(s, w->lat[i]);
	}
}

/*
 * User and system time of process pid (all its threads, from
 * /proc/PID/stat: utime and stime, fields 14 and 15) in microseconds;
 * false when it cannot be read.  A server's time in the kernel includes
 * the kernel work its system calls do, so for kcache-proxy *sys is where
 * /dev/kcache's ops run.
 */
static bool proc_cpu(int pid, double *user, double *sys)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* the command name may hold spaces: count fields after its ')' */
	p = strrchr(buf, ')');
	if (!p || hz <= 0 ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) != 2)
		return false;
	*user = ut * 1e6 / hz;
	*sys = st * 1e6 / hz;
	return true;
}

/* What the main thread saw of one window: its times, the server's CPU. */
struct window {
	double t0, t1;		/* opened, closed */
	double u0, s0, u1, s1;	/* --server-pid's user and system time */
};

static void server_cpu(double *user, double *sys)
{
	if (o.server_pid > 0 && !proc_cpu(o.server_pid, user, sys))
		bench_die("cannot read /proc/%d/stat", o.server_pid);
}

/*
 * Opens and closes o.runs windows of o.secs.  Every worker waits at bar
 * at both edges of a window, and the main thread reads the clock and the
 * server's CPU time only while they all wait there: the time covers the
 * replies of every thread in the window.
 */
static void run_windows(struct window *wins)
{
	for (int r = 0; ; r++) {
		pthread_barrier_wait(&bar);
		if (r) {
			wins[r - 1].t1 = bench_now();
			server_cpu(&wins[r - 1].u1, &wins[r - 1].s1);
		}
		if (r == o.runs)
			return;
		server_cpu(&wins[r].u0, &wins[r].s0);
		wins[r].t0 = bench_now();
		window_end = wins[r].t0 + o.secs;
		pthread_barrier_wait(&bar);
	}
}

static int cmd_run(void)
{
	double runs[BENCH_RUNS_MAX], cpu[BENCH_RUNS_MAX], sys[BENCH_RUNS_MAX];
	struct window wins[BENCH_RUNS_MAX] = { 0 };
	/* ops count keys: an mget of 100 is 100, as in kc-bench's batch */
	double per = o.op == OP_MGET ? o.batch : 1;
	bool have_cpu = o.server_pid > 0;
	struct worker all = { 0 }, s = { 0 };

	if (o.threads > o.conns)
		bench_die("--threads %u is more than --conns %u: give every thread a connection",
			  o.threads, o.conns);
	keys = bench_keys(o.keys, o.ksize);
	value = bench_value(o.vsize, o.seed);
	connect_all();
	if (o.preload) {
		/* one thread over all the connections: it is not measured */
		worker_init(&all, 0, o.conns);
		fill(&all, o.keys, 100);
		if (all.errors)
			bench_die("storing the keys failed: %s", all.first_error);
		worker_exit(&all);
	}
	start_workers();
	run_windows(wins);
	join_workers();
	sum_workers(&s);

	for (int r = 0; r < o.runs; r++) {
		double n = s.counted[r] * per;
		struct window *win = &wins[r];

		runs[r] = n / (win->t1 - win->t0);
		if (have_cpu && n) {
			cpu[r] = (win->u1 - win->u0 + win->s1 - win->s0) / n;
			sys[r] = (win->s1 - win->s0) / n;
		} else {
			cpu[r] = sys[r] = 0;
		}
	}

	printf("{\"ops_per_sec\": %.1f, ", bench_median(runs, o.runs));
	if (o.op == OP_MGET)
		printf("\"requests_per_sec\": %.1f, \"batch\": %u, ",
		       bench_median(runs, o.runs) / o.batch, o.batch);
	/* a group is --pipeline requests: its round trip */
	printf("\"p50_us\": %.1f, \"p99_us\": %.1f, \"zipf\": %.2f, ",
	       bench_percentile(s.lat, s.nlat, 50),
	       bench_percentile(s.lat, s.nlat, 99), bench_zipf_s);
	bench_json_runs(stdout, "runs", runs, o.runs);
	if (have_cpu) {
		printf(", \"cpu_us_per_op\": %.3f, \"sys_us_per_op\": %.3f, ",
		       bench_median(cpu, o.runs), bench_median(sys, o.runs));
		bench_json_runs(stdout, "cpu_runs", cpu, o.runs);
	}
	/* every reply of the run, warm-up and drain included (syscall counts) */
	printf(", \"replies\": %llu", (unsigned long long)s.replies);
	printf(", \"errors\": %llu, \"first_error\": \"", (unsigned long long)s.errors);
	for (const char *p = s.first_error; *p; p++)
		if (*p >= ' ' && *p != '"' && *p != '\\')
			putchar(*p);
	printf("\", \"misses\": %llu, \"secs\": %.2f, \"keys\": %u, \"key_size\": %u, \"value_size\": %u, \"conns\": %u, \"client_threads\": %u, \"pipeline\": %u, \"seed\": %llu}\n",
	       (unsigned long long)s.misses, o.secs, o.keys, o.ksize, o.vsize,
	       o.conns, o.threads, o.pipeline, (unsigned long long)o.seed);
	return s.errors ? 2 : 0;
}

static int cmd_fill(void)
{
	struct worker w = { 0 };
	double t0, t1;

	value = bench_value(o.vsize, o.seed);
	o.op = OP_SET;
	connect_all();
	worker_init(&w, 0, o.conns);
	t0 = bench_now();
	fill(&w, o.items, o.pipeline > 1 ? o.pipeline : 100);
	t1 = bench_now();
	printf("{\"items\": %llu, \"key_size\": %u, \"value_size\": %u, \"load_secs\": %.2f, \"errors\": %llu}\n",
	       (unsigned long long)o.items, o.ksize, o.vsize, t1 - t0,
	       (unsigned long long)w.errors);
	return w.errors ? 2 : 0;
}

/* ---------------------------------------------------------------- options */

static const struct cmd {
	const char *name;
	int (*fn)(void);
	const char *usage;
} cmds[] = {
	{ "run", cmd_run, "store every key, then measure --op in --runs runs" },
	{ "fill", cmd_fill, "store --items distinct keys and report the time" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: kc-netload COMMAND --port PORT [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-5s %s\n", cmds[i].name, cmds[i].usage);
	fprintf(f, "\noptions (default):\n"
		"  --proto P        memcache or redis (memcache)\n"
		"  --host ADDR      IPv4 address of the server (127.0.0.1)\n"
		"  --port N         its TCP port (required)\n"
		"  --conns N        connections, split over the threads (10)\n"
		"  --threads N      client threads of run, an epoll loop each;\n"
		"                   fill uses one (1)\n"
		"  --pipeline N     requests written at once per connection (1)\n"
		"  --op OP          get, set, incr or mget (get)\n"
		"  --batch N        keys per mget request (100)\n"
		"  --zipf S         Zipf exponent of the key choice; 0: uniform (0)\n"
		"  --keys N         distinct keys (10000)\n"
		"  --key-size N     bytes per key (16)\n"
		"  --value-size N   bytes per value (100)\n"
		"  --items N        keys stored by fill (1000000)\n"
		"  --secs S         seconds per run (1)\n"
		"  --warmup S       warm-up seconds (0.5)\n"
		"  --runs N         timed runs, median reported (5)\n"
		"  --seed N         seed of the key sequences and value (42)\n"
		"  --no-preload     do not store the keys before a run\n"
		"  --server-pid N   also report that process's CPU time per reply\n"
		"                   (/proc/N/stat utime + stime, all its threads)\n");
}

int main(int argc, char **argv)
{
	const struct cmd *cmd = NULL;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[1], cmds[c].name))
			cmd = &cmds[c];
	if (!cmd) {
		fprintf(stderr, "kc-netload: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-preload")) {
			o.preload = false;
			continue;
		}
		if (!v)
			bench_die("%s needs a value (see --help)", a);
		i++;
		if (!strcmp(a, "--proto")) {
			if (!strcmp(v, "memcache"))
				o.proto = P_MEMCACHE;
			else if (!strcmp(v, "redis"))
				o.proto = P_REDIS;
			else
				bench_die("--proto is memcache or redis, not '%s'", v);
		} else if (!strcmp(a, "--op")) {
			if (!strcmp(v, "get"))
				o.op = OP_GET;
			else if (!strcmp(v, "set"))
				o.op = OP_SET;
			else if (!strcmp(v, "incr"))
				o.op = OP_INCR;
			else if (!strcmp(v, "mget"))
				o.op = OP_MGET;
			else
				bench_die("--op is get, set, incr or mget, not '%s'", v);
		} else if (!strcmp(a, "--host")) {
			o.host = v;
		} else if (!strcmp(a, "--port")) {
			o.port = bench_ulong(v, a, 1, 65535);
		} else if (!strcmp(a, "--conns")) {
			o.conns = bench_ulong(v, a, 1, MAX_CONNS);
		} else if (!strcmp(a, "--threads")) {
			o.threads = bench_ulong(v, a, 1, MAX_THREADS);
		} else if (!strcmp(a, "--pipeline")) {
			o.pipeline = bench_ulong(v, a, 1, 10000);
		} else if (!strcmp(a, "--keys")) {
			o.keys = bench_ulong(v, a, 1, 100000000);
		} else if (!strcmp(a, "--key-size")) {
			o.ksize = bench_ulong(v, a, BENCH_KEY_MIN, BENCH_KEY_MAX);
		} else if (!strcmp(a, "--value-size")) {
			o.vsize = bench_ulong(v, a, 1, 1 << 20);
		} else if (!strcmp(a, "--items")) {
			o.items = bench_ulong(v, a, 1, 1000000000);
		} else if (!strcmp(a, "--secs")) {
			o.secs = bench_secs(v, a);
		} else if (!strcmp(a, "--warmup")) {
			o.warmup = bench_secs(v, a);
		} else if (!strcmp(a, "--runs")) {
			o.runs = bench_ulong(v, a, 1, BENCH_RUNS_MAX);
		} else if (!strcmp(a, "--server-pid")) {
			o.server_pid = bench_ulong(v, a, 1, 1 << 30);
		} else if (!strcmp(a, "--seed")) {
			o.seed = strtoull(v, NULL, 10);
		} else if (!strcmp(a, "--batch")) {
			o.batch = bench_ulong(v, a, 1, 10000);
		} else if (!strcmp(a, "--zipf")) {
			bench_zipf_s = strtod(v, NULL);
			if (!(bench_zipf_s >= 0 && bench_zipf_s <= 5))
				bench_die("--zipf is 0 (uniform) to 5, not '%s'", v);
		} else {
			bench_die("unknown option '%s' (see --help)", a);
		}
	}
	if (!o.port)
		bench_die("--port is required");
	return cmd->fn();
}
