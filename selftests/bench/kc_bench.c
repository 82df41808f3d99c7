// SPDX-License-Identifier: GPL-2.0
/*
 * kc-bench: throughput of kcache's own interfaces, measured from a C
 * client with no network in between.
 *
 *   kc-bench ioctl   one KC_IOC_OP per request (get, set, incr, nop)
 *   kc-bench batch   KC_IOC_BATCH of --batch GET ops per call
 *   kc-bench netlink one KC_CMD_OP message per request (get, set)
 *   kc-bench mem     load --items items and report memory per item
 *
 * Each throughput mode loads every key first (so GETs hit and SETs
 * overwrite, as in a warm cache), runs a warm-up, then --runs timed runs
 * of --secs each, and prints one JSON line:
 *   {"ops_per_sec": MEDIAN, "runs": [...], "errors": N, ...}
 * ops_per_sec counts keys (a batch of 100 GETs is 100).  Threads each
 * open their own /dev/kcache fd or netlink socket and draw their own
 * seeded key sequence; the run's rate is the sum of the threads' rates.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "libkcache.h"
#include "bench.h"

#define MAX_THREADS	64
#define NL_BUF		(128 * 1024)

struct opts {
	const char *mode;
	const char *op;
	uint32_t opcode;
	unsigned int threads;
	uint32_t keys;
	uint32_t ksize;
	uint32_t vsize;
	uint32_t batch;
	uint64_t items;
	double secs;
	double warmup;
	int runs;
	uint64_t seed;
	bool preload;
};

static struct opts o = {
	.threads = 1, .keys = 10000, .ksize = 16, .vsize = 100, .batch = 100,
	.items = 1000000, .secs = 1, .warmup = 0.5, .runs = 5, .seed = 42,
	.preload = true,
};

static char *keys;
static char *value;

/* ---------------------------------------------------------------- netlink */

struct nl {
	int fd;
	uint16_t family;
	uint32_t seq;
	unsigned char *rx;
	unsigned char tx[NL_BUF];
	size_t len;
};

static void nl_put(struct nl *n, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(n->tx + n->len);

	if (n->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(n->tx))
		bench_die("netlink request too large");
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	n->len += NLA_HDRLEN + NLA_ALIGN(len);
}

static void nl_start(struct nl *n, uint16_t type, uint8_t cmd, uint8_t ver)
{
	struct nlmsghdr *h = (struct nlmsghdr *)n->tx;
	struct genlmsghdr *g = (struct genlmsghdr *)(n->tx + NLMSG_HDRLEN);

	memset(n->tx, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST;
	h->nlmsg_seq = ++n->seq;
	g->cmd = cmd;
	g->version = ver;
	n->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/*
 * Sends the request and reads its one reply.  Returns 0 and points *attrs
 * (*alen bytes) at the reply's attributes, or the negative errno of an
 * NLMSG_ERROR.
 */
static int nl_call(struct nl *n, const struct nlattr **attrs, size_t *alen)
{
	struct nlmsghdr *h = (struct nlmsghdr *)n->tx;
	ssize_t r;

	h->nlmsg_len = n->len;
	if (send(n->fd, n->tx, n->len, 0) != (ssize_t)n->len)
		bench_die("netlink send: %s", strerror(errno));
	for (;;) {
		r = recv(n->fd, n->rx, NL_BUF, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < (ssize_t)NLMSG_HDRLEN)
			bench_die("netlink recv: %s", r < 0 ? strerror(errno) : "short");
		h = (struct nlmsghdr *)n->rx;
		if (h->nlmsg_seq != n->seq)
			continue;	/* a stale reply: not ours */
		if (h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error;
		}
		*attrs = (const struct nlattr *)(n->rx + NLMSG_HDRLEN + GENL_HDRLEN);
		*alen = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
		return 0;
	}
}

static const struct nlattr *nl_find(const struct nlattr *a, size_t len,
				    uint16_t type)
{
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		size_t step = NLA_ALIGN((size_t)a->nla_len);

		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return NULL;
}

static void nl_open(struct nl *n)
{
	const struct nlattr *attrs, *id;
	size_t alen;
	int err;

	memset(n, 0, sizeof(*n));
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (n->fd < 0)
		bench_die("netlink socket: %s", strerror(errno));
	n->rx = malloc(NL_BUF);
	if (!n->rx)
		bench_die("no memory");
	nl_start(n, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	nl_put(n, CTRL_ATTR_FAMILY_NAME, KC_GENL_NAME, sizeof(KC_GENL_NAME));
	err = nl_call(n, &attrs, &alen);
	if (err)
		bench_die("generic netlink family '%s' not found (%s): is kcache.ko loaded?",
			  KC_GENL_NAME, strerror(-err));
	id = nl_find(attrs, alen, CTRL_ATTR_FAMILY_ID);
	if (!id)
		bench_die("no CTRL_ATTR_FAMILY_ID in the controller's reply");
	memcpy(&n->family, (const char *)id + NLA_HDRLEN, sizeof(n->family));
}

static void nl_close(struct nl *n)
{
	close(n->fd);
	free(n->rx);
}

/* ---------------------------------------------------------------- workers */

struct worker {
	pthread_t tid;
	unsigned int id;
	uint32_t *seq;
	int fd;
	struct nl *nl;
	/* per run, written by the worker */
	uint64_t ops;
	uint64_t calls;
	double t0, t1;
	uint64_t errors;
	int first_err;
};

static pthread_barrier_t start_bar, end_bar;
static volatile int stop_flag;
static volatile int quit_flag;

static bool stopped(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED);
}

static void note_err(struct worker *w, int err)
{
	if (!w->errors++)
		w->first_err = err;
}

static void run_ioctl(struct worker *w)
{
	char *out = malloc(o.vsize + 64);
	uint32_t i = 0;
	struct kc_op op;

	if (!out)
		bench_die("no memory");
	kc_op_init(&op, o.opcode);
	while (!stopped()) {
		const char *k = keys + (size_t)w->seq[i++ & (BENCH_SEQ_LEN - 1)] * o.ksize;

		switch (o.opcode) {
		case KC_OP_NOP:
			break;
		case KC_OP_GET:
			op.key = (uintptr_t)k;
			op.key_len = o.ksize;
			op.out = (uintptr_t)out;
			op.out_len = o.vsize + 64;
			break;
		case KC_OP_SET:
			op.key = (uintptr_t)k;
			op.key_len = o.ksize;
			op.val = (uintptr_t)value;
			op.val_len = o.vsize;
			op.client_flags = 0;
			op.expire = 0;
			op.cas = 0;
			break;
		case KC_OP_INCRBY:
			op.key = (uintptr_t)k;
			op.key_len = o.ksize;
			op.num = 1;
			break;
		}
		if (ioctl(w->fd, KC_IOC_OP, &op))
			note_err(w, -errno);
		else if (op.result)
			note_err(w, op.result);
		else if (o.opcode == KC_OP_GET && op.out_used != o.vsize)
			note_err(w, -EBADMSG);
		w->ops++;
	}
	w->calls = w->ops;
	free(out);
}

/*
 * o.batch GETs per KC_IOC_BATCH through libkcache's pipe: built once,
 * each call only points the ops at new keys (KC_PIPE_BORROW: no copy)
 * and the replies land in one buffer of ours.
 */
static void run_batch(struct worker *w)
{
	struct kc_pipe *p = kc_pipe_new(KC_PIPE_BORROW);
	/* reply rooms are 8-byte aligned in the pipe's arena */
	size_t stride = (o.vsize + 64 + 7) & ~(size_t)7, len;
	char *out = malloc(stride * o.batch);
	uint32_t i = 0, j;
	int err;

	if (!p || !out || kc_pipe_set_arena(p, out, stride * o.batch))
		bench_die("no memory");
	for (j = 0; j < o.batch; j++)
		if (kc_pipe_add_key(p, KC_OP_GET, keys, o.ksize) < 0 ||
		    kc_pipe_set_reply(p, j, stride))
			bench_die("no memory");
	while (!stopped()) {
		for (j = 0; j < o.batch; j++)
			kc_pipe_set_key(p, j, keys + (size_t)w->seq[i++ & (BENCH_SEQ_LEN - 1)] * o.ksize,
					o.ksize);
		err = kc_pipe_run(w->fd, p);
		if (err) {
			/* a call that failed served no key: not counted */
			note_err(w, err);
			continue;
		}
		for (j = 0; j < o.batch; j++) {
			err = kc_pipe_result(p, j);
			if (!err && (!kc_pipe_reply(p, j, &len) ||
				     len != o.vsize))
				err = -EBADMSG;
			if (err)
				note_err(w, err);
		}
		w->ops += o.batch;
		w->calls++;
	}
	kc_pipe_free(p);
	free(out);
}

static void run_netlink(struct worker *w)
{
	struct nl *n = w->nl;
	uint32_t i = 0;

	while (!stopped()) {
		const char *k = keys + (size_t)w->seq[i++ & (BENCH_SEQ_LEN - 1)] * o.ksize;
		const struct nlattr *attrs, *v;
		size_t alen;
		int err;

		nl_start(n, n->family, KC_CMD_OP, KC_GENL_VERSION);
		nl_put(n, KC_A_OPCODE, &o.opcode, sizeof(o.opcode));
		nl_put(n, KC_A_KEY, k, o.ksize);
		if (o.opcode == KC_OP_SET)
			nl_put(n, KC_A_VALUE, value, o.vsize);
		err = nl_call(n, &attrs, &alen);
		if (err) {
			note_err(w, err);
		} else if (o.opcode == KC_OP_GET) {
			v = nl_find(attrs, alen, KC_A_VALUE);
			if (!v || (uint32_t)(v->nla_len - NLA_HDRLEN) != o.vsize)
				note_err(w, -EBADMSG);
		}
		w->ops++;
	}
	w->calls = w->ops;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		pthread_barrier_wait(&start_bar);
		if (quit_flag)
			return NULL;
		w->ops = w->calls = w->errors = 0;
		w->first_err = 0;
		w->t0 = bench_now();
		if (!strcmp(o.mode, "batch"))
			run_batch(w);
		else if (!strcmp(o.mode, "netlink"))
			run_netlink(w);
		else
			run_ioctl(w);
		w->t1 = bench_now();
		pthread_barrier_wait(&end_bar);
	}
}

/* ---------------------------------------------------------------- set-up */

static int open_dev(void)
{
	int fd = kc_open();

	if (fd < 0)
		bench_die("cannot open %s: %s (is kcache.ko loaded, are you root?)",
			  KC_DEVICE_PATH, strerror(-fd));
	return fd;
}

/* Stores every key (value, or "0" for incr) with batches of SETs. */
static void preload(int fd)
{
	struct kc_batch_builder b;
	const char *val = o.opcode == KC_OP_INCRBY ? "0" : value;
	uint32_t vlen = o.opcode == KC_OP_INCRBY ? 1 : o.vsize;
	uint32_t i;
	int err;

	kc_batch_init(&b);
	for (i = 0; i < o.keys; i++) {
		struct kc_op *op = kc_batch_add(&b, KC_OP_SET);

		if (!op)
			bench_die("no memory");
		kc_op_key(op, keys + (size_t)i * o.ksize, o.ksize);
		kc_op_val(op, val, vlen);
		if (b.count == 1000 || i == o.keys - 1) {
			err = kc_batch_submit(fd, &b, 0);
			if (err)
				bench_die("preload: batch failed: %s", kc_strerror(err));
			for (uint32_t j = 0; j < b.count; j++)
				if (b.ops[j].result)
					bench_die("preload: SET failed: %s",
						  kc_strerror(b.ops[j].result));
			kc_batch_reset(&b);
		}
	}
	kc_batch_exit(&b);
}

static int throughput(void)
{
	struct worker w[MAX_THREADS];
	double runs[BENCH_RUNS_MAX], calls[BENCH_RUNS_MAX];
	uint64_t errors = 0;
	int first_err = 0, fd;
	unsigned int t;

	if (!strcmp(o.op, "get"))
		o.opcode = KC_OP_GET;
	else if (!strcmp(o.op, "set"))
		o.opcode = KC_OP_SET;
	else if (!strcmp(o.op, "incr"))
		o.opcode = KC_OP_INCRBY;
	else if (!strcmp(o.op, "nop"))
		o.opcode = KC_OP_NOP;
	else
		bench_die("unknown --op '%s' (get, set, incr, nop)", o.op);
	if (!strcmp(o.mode, "batch") && o.opcode != KC_OP_GET)
		bench_die("batch mode measures GET only");
	if (!strcmp(o.mode, "netlink") && o.opcode != KC_OP_GET &&
	    o.opcode != KC_OP_SET)
		bench_die("netlink mode measures get and set");
	if (!strcmp(o.mode, "netlink") && o.vsize > KC_NL_VALUE_MAX)
		bench_die("netlink carries values up to %u bytes", KC_NL_VALUE_MAX);

	keys = bench_keys(o.keys, o.ksize);
	value = bench_value(o.vsize, o.seed);
	fd = open_dev();
	if (o.preload && o.opcode != KC_OP_NOP)
		preload(fd);

	pthread_barrier_init(&start_bar, NULL, o.threads + 1);
	pthread_barrier_init(&end_bar, NULL, o.threads + 1);
	for (t = 0; t < o.threads; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].id = t;
		w[t].seq = bench_seq(o.keys, o.seed, t);
		w[t].fd = open_dev();
		if (!strcmp(o.mode, "netlink")) {
			w[t].nl = malloc(sizeof(*w[t].nl));
			if (!w[t].nl)
				bench_die("no memory");
			nl_open(w[t].nl);
		}
		if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]))
			bench_die("pthread_create failed");
	}

	/* run -1 is the warm-up */
	for (int r = -1; r < o.runs; r++) {
		double rate = 0, crate = 0;

		stop_flag = 0;
		pthread_barrier_wait(&start_bar);
		bench_sleep(r < 0 ? o.warmup : o.secs);
		__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
		pthread_barrier_wait(&end_bar);
		for (t = 0; t < o.threads; t++) {
			double dt = w[t].t1 - w[t].t0;

			rate += dt > 0 ? w[t].ops / dt : 0;
			crate += dt > 0 ? w[t].calls / dt : 0;
			if (w[t].errors && !errors)
				first_err = w[t].first_err;
			errors += w[t].errors;
		}
		if (r >= 0) {
			runs[r] = rate;
			calls[r] = crate;
		}
	}
	quit_flag = 1;
	pthread_barrier_wait(&start_bar);
	for (t = 0; t < o.threads; t++) {
		pthread_join(w[t].tid, NULL);
		close(w[t].fd);
		if (w[t].nl) {
			nl_close(w[t].nl);
			free(w[t].nl);
		}
		free(w[t].seq);
	}
	close(fd);

	printf("{\"ops_per_sec\": %.1f, \"zipf\": %.2f, ",
	       bench_median(runs, o.runs), bench_zipf_s);
	bench_json_runs(stdout, "runs", runs, o.runs);
	printf(", \"calls_per_sec\": %.1f, ", bench_median(calls, o.runs));
	bench_json_runs(stdout, "calls_runs", calls, o.runs);
	printf(", \"errors\": %llu, \"first_error\": \"%s\", \"secs\": %.2f, \"keys\": %u, \"key_size\": %u, \"value_size\": %u, \"threads\": %u, \"batch\": %u, \"seed\": %llu}\n",
	       (unsigned long long)errors, errors ? kc_strerror(first_err) : "",
	       o.secs, o.keys, o.ksize, o.vsize, o.threads,
	       !strcmp(o.mode, "batch") ? o.batch : 1,
	       (unsigned long long)o.seed);
	free(keys);
	free(value);
	return errors ? 2 : 0;
}

/* ---------------------------------------------------------------- memory */

/* "used" memory of /proc/meminfo: total - free - buffers - page cache. */
static long long meminfo_used(void)
{
	long long total = 0, free_ = 0, buffers = 0, cached = 0, v;
	char name[64];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld kB", name, &v) == 2) {
		if (!strcmp(name, "MemTotal:"))
			total = v;
		else if (!strcmp(name, "MemFree:"))
			free_ = v;
		else if (!strcmp(name, "Buffers:"))
			buffers = v;
		else if (!strcmp(name, "Cached:"))
			cached = v;
	}
	fclose(f);
	return (total - free_ - buffers - cached) * 1024;
}

/* Size of an rhashtable's bucket array for n entries (75% load, x2). */
static uint64_t index_bytes(uint64_t n)
{
	uint64_t size = 1024;

	while (n > size / 4 * 3)
		size *= 2;
	return size * sizeof(void *);
}

static int memory(void)
{
	struct kc_class_stats cls[256];
	struct kc_stats st0, st;
	struct kc_batch_builder b;
	size_t ncls = 0, nr = 0;
	long long used0, used1;
	char key[BENCH_KEY_MAX + 32];
	double t0, t1;
	uint64_t i;
	int fd, err;

	value = bench_value(o.vsize, o.seed);
	if (o.ksize < BENCH_KEY_MIN || o.ksize > BENCH_KEY_MAX)
		bench_die("key size out of range");
	fd = open_dev();
	err = kc_flush(fd);
	if (err)
		bench_die("flush failed: %s (run as root)", kc_strerror(err));
	bench_sleep(0.5);
	used0 = meminfo_used();
	err = kc_stats(fd, &st0);
	if (err)
		bench_die("KC_IOC_STATS: %s", kc_strerror(err));

	/* keys are written into one buffer per batch */
	char *kbuf = malloc((size_t)1000 * o.ksize);

	if (!kbuf)
		bench_die("no memory");
	kc_batch_init(&b);
	t0 = bench_now();
	for (i = 0; i < o.items; i++) {
		struct kc_op *op = kc_batch_add(&b, KC_OP_SET);
		char *k = kbuf + (size_t)(b.count - 1) * o.ksize;

		if (!op)
			bench_die("no memory");
		snprintf(key, sizeof(key), "key:%0*llu", (int)o.ksize - 4,
			 (unsigned long long)i);
		memcpy(k, key, o.ksize);
		kc_op_key(op, k, o.ksize);
		kc_op_val(op, value, o.vsize);
		if (b.count == 1000 || i == o.items - 1) {
			err = kc_batch_submit(fd, &b, 0);
			if (err)
				bench_die("load: batch failed: %s", kc_strerror(err));
			for (uint32_t j = 0; j < b.count; j++)
				if (b.ops[j].result)
					bench_die("load: SET of item %llu failed: %s",
						  (unsigned long long)(i + 1 - b.count + j),
						  kc_strerror(b.ops[j].result));
			kc_batch_reset(&b);
		}
	}
	t1 = bench_now();
	kc_batch_exit(&b);
	free(kbuf);
	bench_sleep(0.5);
	used1 = meminfo_used();
	err = kc_stats(fd, &st);
	if (!err)
		err = kc_class_stats(fd, cls, 256, &ncls, &nr);
	if (err)
		bench_die("stats: %s", kc_strerror(err));

	printf("{\"items\": %llu, \"key_size\": %u, \"value_size\": %u, \"load_secs\": %.2f, ",
	       (unsigned long long)o.items, o.ksize, o.vsize, t1 - t0);
	printf("\"curr_items\": %llu, \"used_bytes\": %llu, \"used_bytes_before\": %llu, \"slab_pages\": %llu, \"large_bytes\": %llu, \"bytes\": %llu, \"hash_items\": %llu, \"evictions\": %llu, \"outofmemory\": %llu, \"limit_bytes\": %llu, ",
	       (unsigned long long)st.curr_items, (unsigned long long)st.used_bytes,
	       (unsigned long long)st0.used_bytes, (unsigned long long)st.slab_pages,
	       (unsigned long long)st.large_bytes, (unsigned long long)st.bytes,
	       (unsigned long long)st.hash_items, (unsigned long long)st.evictions,
	       (unsigned long long)st.outofmemory, (unsigned long long)st.limit_bytes);
	printf("\"index_bytes_est\": %llu, \"kernel_used_delta\": %lld, \"classes\": [",
	       (unsigned long long)index_bytes(st.hash_items), used1 - used0);
	for (size_t c = 0, n = 0; c < ncls; c++) {
		if (!cls[c].items && !cls[c].pages)
			continue;
		printf("%s{\"id\": %u, \"chunk_size\": %u, \"chunks_per_page\": %u, \"pages\": %llu, \"used_chunks\": %llu, \"items\": %llu, \"mem_requested\": %llu}",
		       n++ ? ", " : "", cls[c].id, cls[c].chunk_size,
		       cls[c].chunks_per_page, (unsigned long long)cls[c].pages,
		       (unsigned long long)cls[c].used_chunks,
		       (unsigned long long)cls[c].items,
		       (unsigned long long)cls[c].mem_requested);
	}
	printf("]}\n");
	/* leave the cache empty for whatever runs next */
	kc_flush(fd);
	close(fd);
	free(value);
	return st.curr_items == o.items ? 0 : 2;
}

/* ---------------------------------------------------------------- options */

static int cmd_throughput(void)
{
	return throughput();
}

static int cmd_memory(void)
{
	return memory();
}

static const struct cmd {
	const char *name;
	int (*fn)(void);
	const char *usage;
} cmds[] = {
	{ "ioctl", cmd_throughput, "--op get|set|incr|nop, one KC_IOC_OP per request" },
	{ "batch", cmd_throughput, "KC_IOC_BATCH of --batch GETs per call" },
	{ "netlink", cmd_throughput, "--op get|set, one KC_CMD_OP message per request" },
	{ "mem", cmd_memory, "load --items items, report memory per item" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: kc-bench MODE [options]\n\nmodes:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].usage);
	fprintf(f, "\noptions (default):\n"
		"  --op OP          get, set, incr, nop (get)\n"
		"  --threads N      threads, each with its own fd (1)\n"
		"  --keys N         distinct keys (10000)\n"
		"  --key-size N     bytes per key (16)\n"
		"  --value-size N   bytes per value (100)\n"
		"  --batch N        GETs per KC_IOC_BATCH (100)\n"
		"  --items N        items loaded by mem (1000000)\n"
		"  --secs S         seconds per run (1)\n"
		"  --warmup S       seconds of warm-up before the runs (0.5)\n"
		"  --runs N         timed runs, median reported (5)\n"
		"  --seed N         seed of the key sequences and values (42)\n"
		"  --zipf S         Zipf exponent of the key choice; 0: uniform (0)\n"
		"  --no-preload     do not store the keys first\n");
}

int main(int argc, char **argv)
{
	const struct cmd *cmd = NULL;
	int i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[1], cmds[c].name))
			cmd = &cmds[c];
	if (!cmd) {
		fprintf(stderr, "kc-bench: unknown mode '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	o.mode = cmd->name;
	o.op = "get";
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-preload")) {
			o.preload = false;
			continue;
		}
		if (!v)
			bench_die("%s needs a value (see --help)", a);
		i++;
		if (!strcmp(a, "--op"))
			o.op = v;
		else if (!strcmp(a, "--threads"))
			o.threads = bench_ulong(v, a, 1, MAX_THREADS);
		else if (!strcmp(a, "--keys"))
			o.keys = bench_ulong(v, a, 1, 100000000);
		else if (!strcmp(a, "--key-size"))
			o.ksize = bench_ulong(v, a, BENCH_KEY_MIN, BENCH_KEY_MAX);
		else if (!strcmp(a, "--value-size"))
			o.vsize = bench_ulong(v, a, 0, 1 << 20);
		else if (!strcmp(a, "--batch"))
			o.batch = bench_ulong(v, a, 1, KC_BATCH_MAX);
		else if (!strcmp(a, "--items"))
			o.items = bench_ulong(v, a, 1, 1000000000);
		else if (!strcmp(a, "--secs"))
			o.secs = bench_secs(v, a);
		else if (!strcmp(a, "--warmup"))
			o.warmup = bench_secs(v, a);
		else if (!strcmp(a, "--runs"))
			o.runs = bench_ulong(v, a, 1, BENCH_RUNS_MAX);
		else if (!strcmp(a, "--seed"))
			o.seed = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--zipf")) {
			bench_zipf_s = strtod(v, NULL);
			if (!(bench_zipf_s >= 0 && bench_zipf_s <= 5))
				bench_die("--zipf is 0 (uniform) to 5, not '%s'", v);
		} else
			bench_die("unknown option '%s' (see --help)", a);
	}
	return cmd->fn();
}
