// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, one at a time, everywhere (debug kernel only):
 * /proc/thread-self/fail-nth makes the Nth allocation of this task fail
 * (Documentation/fault-injection/fault-injection.rst), whatever the
 * probability knobs say.  For each operation below, N = 1, 2, ... until
 * the call completes without consuming the injection:
 *
 *  - the call returns a clean error (-ENOMEM in kc_op.result or errno;
 *    over netlink also ENOBUFS, the ACK lost) or succeeds (a failure the
 *    kernel absorbed, such as a kmalloc() that vmalloc() replaced);
 *  - the key holds its old value or the new one, whole, never anything
 *    else (a transaction: each op's key as its result says);
 *  - the cache is consistent: curr_items = hash_items = LRU items = keys
 *    a SCAN finds, used_bytes <= limit_bytes;
 *  - a following normal operation works.
 *
 * Operations: SET (small, and large: kvmalloc), APPEND, INCRBY, LPUSH,
 * HSET, SADD, SINTERSTORE, SMOVE, RENAME, MSET, a transaction with WATCH,
 * SCAN, and over netlink GET, SET, STATS and a keys dump.  Slab pages are
 * given back first (a shrinker scan through debugfs after FLUSH), so that
 * the operation's own items need new 1 MiB pages: those come from the page
 * allocator (fail_page_alloc, min-order 4, so that the 1 MiB pages, large
 * items and the netlink 64 KiB reply buffer can fail, not order-0 pages of
 * page tables or vmalloc), the rest from kmalloc (failslab).  Both with
 * ignore-gfp-wait N (GFP_KERNEL may fail too) and verbose 0: a forced
 * failure prints nothing (KC_FAILSLAB_VERBOSE=1 or 2 to see them).
 *
 * module_init: init_module(2) of KCACHE_MODULE with the Nth allocation of
 * the load failing, N from just before kcache's init runs (found by a load
 * that fails in kc_check_params(), which allocates nothing) to past its
 * last allocation; every failure must unwind: module gone, /dev/kcache
 * gone, the family gone, no shrinker left in debugfs, and kmemleak clean
 * (the harness scans after its final rmmod).  Every point from 40 before
 * kc_init() is tried (each costs a module load, about 0.4 s on the debug
 * kernel); KC_FAILSLAB_ALL=1 (or long mode, KC_FUZZ_SECONDS) tries every
 * one from N = 1, the loader's own allocations included.
 *
 * Each operation, and the module load, is a variant of the fixture: one
 * TAP result each, and a failure in one does not keep the others from
 * running.
 *
 * Skips when /sys/kernel/debug/failslab or fail-nth is absent (stock
 * kernels have no CONFIG_FAULT_INJECTION).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_fuzz.h"

#define DBG		"/sys/kernel/debug/"
#define MAX_N		5000	/* injection points per operation, at most */
#define BIG_N		1000000
#define STRIDE		1	/* module load points tried, by default */

/* The fault-injection knobs this test sets, and their old values. */
static const struct knob {
	const char *path;
	const char *value;	/* NULL: from the environment */
} knobs[] = {
	{ DBG "failslab/ignore-gfp-wait", "N" },
	{ DBG "failslab/task-filter", "N" },
	{ DBG "failslab/verbose", NULL },
	{ DBG "fail_page_alloc/ignore-gfp-wait", "N" },
	{ DBG "fail_page_alloc/ignore-gfp-highmem", "Y" },
	{ DBG "fail_page_alloc/task-filter", "N" },
	{ DBG "fail_page_alloc/min-order", "4" },
	{ DBG "fail_page_alloc/verbose", NULL },
};

#define NKNOBS	KF_ARRAY_SIZE(knobs)

static int read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* ------------------------------------------------------------ fail-nth */

/* Arms the Nth allocation of this task to fail. */
static int arm(int nth, unsigned int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%u", n);

	return pwrite(nth, b, l, 0) == l ? 0 : -errno;
}

/*
 * After the call: the count left (0: the failure was injected), and the
 * injection disarmed.
 */
static unsigned int disarm(int nth)
{
	char b[16];
	ssize_t l = pread(nth, b, sizeof(b) - 1, 0);
	unsigned int left = 0;

	if (l > 0) {
		b[l] = '\0';
		left = strtoul(b, NULL, 10);
	}
	if (left)
		pwrite(nth, "0", 1, 0);
	return left;
}

/* ------------------------------------------------------------ the cache */

/*
 * A key's whole content, normalised: the type, then the elements of its
 * reply (a set's and a hash's sorted, their order is the table's).
 */
struct snap {
	int res;
	uint32_t type;
	size_t n;
	char **el;
};

static void snap_free(struct snap *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->el[i]);
	free(s->el);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int snap_take(int fd, const char *key, struct snap *s)
{
	static unsigned char buf[1 << 20];
	size_t off = 0, cap = 16;
	struct kc_op op;
	int res;

	memset(s, 0, sizeof(*s));
	kc_op_init(&op, KC_OP_TYPE);
	kc_op_key(&op, key, strlen(key));
	res = kc_do(fd, &op);
	if (res)
		return s->res = res;
	s->type = (uint32_t)op.num;
	if (s->type == KC_TYPE_NONE)
		return s->res = -ENOENT;
	s->el = calloc(cap, sizeof(*s->el));
	if (!s->el)
		return s->res = -ENOMEM;
	if (s->type == KC_TYPE_STRING) {
		size_t len = 0;

		res = kc_get(fd, key, strlen(key), buf, sizeof(buf) - 1, &len,
			     NULL, NULL);
		if (!res) {
			/* Binary-safe enough: hex of the first bytes + length. */
			s->el[0] = malloc(2 * (len < 64 ? len : 64) + 32);
			if (s->el[0]) {
				size_t i, o = sprintf(s->el[0], "%zu:", len);

				for (i = 0; i < len && i < 64; i++)
					o += sprintf(s->el[0] + o, "%02x",
						     buf[i]);
				s->el[0][o] = '\0';
				s->n = 1;
			}
			/* and a checksum of all of it */
			if (s->el[0]) {
				char *t = realloc(s->el[0],
						  strlen(s->el[0]) + 16);

				if (t) {
					s->el[0] = t;
					sprintf(t + strlen(t), ":%08x",
						kf_hash(buf, len));
				}
			}
		}
		return s->res = res;
	}
	kc_op_init(&op, s->type == KC_TYPE_LIST ? KC_OP_LRANGE :
			s->type == KC_TYPE_HASH ? KC_OP_HGETALL :
			KC_OP_SMEMBERS);
	kc_op_key(&op, key, strlen(key));
	op.num2 = -1;
	kc_op_out(&op, buf, sizeof(buf));
	res = kc_do(fd, &op);
	if (res)
		return s->res = res;
	while (off + 8 <= op.out_used) {
		const struct kc_elem *e = (const void *)(buf + off);

		if (s->n == cap) {
			char **p = realloc(s->el, 2 * cap * sizeof(*p));

			if (!p)
				return s->res = -ENOMEM;
			s->el = p;
			cap *= 2;
		}
		s->el[s->n] = strndup((const char *)(e + 1), e->len);
		if (s->type == KC_TYPE_HASH && s->n & 1) {
			/* field=value pairs */
			char *pair;

			if (asprintf(&pair, "%s=%s", s->el[s->n - 1],
				     s->el[s->n]) < 0)
				return s->res = -ENOMEM;
			free(s->el[s->n - 1]);
			free(s->el[s->n]);
			s->el[--s->n] = pair;
		}
		s->n++;
		off += kf_elem_size(e->len);
	}
	if (s->type != KC_TYPE_LIST)
		qsort(s->el, s->n, sizeof(*s->el), cmp_str);
	return s->res = 0;
}

static bool snap_eq(const struct snap *a, const struct snap *b)
{
	size_t i;

	if (a->res != b->res || a->type != b->type || a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->el[i], b->el[i]))
			return false;
	return true;
}

static void snap_print(const char *what, const struct snap *s)
{
	size_t i;

	fprintf(stderr, "#   %s: res %d type %u, %zu elements:", what, s->res,
		s->type, s->n);
	for (i = 0; i < s->n && i < 8; i++)
		fprintf(stderr, " '%.40s'", s->el[i]);
	fprintf(stderr, "%s\n", s->n > 8 ? " ..." : "");
}

/* ------------------------------------------------------------ scenarios */

#define MAXKEYS	4

struct ctx;

/* One operation failing at each allocation in turn, or the module load. */
FIXTURE_VARIANT(failslab) {
	const char *name;
	/* keys whose content must be old or new */
	const char *keys[MAXKEYS];
	/* builds the old state (injection off) */
	int (*prepare)(struct ctx *c);
	/* the call (injection on): 0, or the error */
	int (*call)(struct ctx *c);
	bool netlink;
	bool per_op;		/* a transaction: each key as its op says */
	bool atomic;		/* all keys old, or all new */
	bool module_init;	/* not an operation: init_module(2) */
};

struct ctx {
	int fd;
	int nth;
	char scan[256];		/* shrinker scan file, "" if none */
	struct kn nl;
	struct kn_family fam;
	bool nl_open;
	unsigned char *big;	/* a large value */
	unsigned char *out;
	size_t cap;
	struct kc_batch_builder b;
	int txn_res[8];
	unsigned int evicting;	/* injected failures answered by evicting */
	unsigned char msg[4096];
};

FIXTURE(failslab) {
	struct ctx c;
	char saved[NKNOBS][32];	/* the knobs' old values */
	bool have[NKNOBS];
};

/*
 * Empties the cache and gives its empty slab pages back (the shrinker
 * frees every empty page), so the next items need new pages.
 */
static void fresh(struct ctx *c)
{
	kc_flush(c->fd);
	if (c->scan[0])
		kt_write_file(c->scan, "0 0 1");
}

static int set_str(struct ctx *c, const char *k, const void *v, size_t len)
{
	return kc_set(c->fd, k, strlen(k), v, len, 0, 0, 0);
}

static int args_op(struct ctx *c, uint32_t opcode, const char *key,
		   const char *const *strs, int n, const char *val)
{
	struct kc_buf a[16];
	struct kc_op op;
	int i;

	for (i = 0; i < n; i++)
		kc_buf_set(&a[i], strs[i], strlen(strs[i]));
	kc_op_init(&op, opcode);
	if (key)
		kc_op_key(&op, key, strlen(key));
	if (val)
		kc_op_val(&op, val, strlen(val));
	kc_op_args(&op, a, n);
	kc_op_out(&op, c->out, c->cap);
	return kc_do(c->fd, &op);
}

static int prep_set(struct ctx *c)
{
	fresh(c);
	return set_str(c, "fs:k", "old", 3);
}

static int call_set_small(struct ctx *c)
{
	return set_str(c, "fs:k", c->big, 200);
}

static int call_set_large(struct ctx *c)
{
	return set_str(c, "fs:k", c->big, 600000);
}

static int prep_append(struct ctx *c)
{
	fresh(c);
	return set_str(c, "fs:k", c->big, 100);
}

static int call_append(struct ctx *c)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_APPEND);
	kc_op_key(&op, "fs:k", 4);
	kc_op_val(&op, c->big + 100, 300);
	return kc_do(c->fd, &op);
}

/* The counter is created in an empty cache: its class needs a page. */
static int prep_incr(struct ctx *c)
{
	fresh(c);
	return 0;
}

static int call_incr(struct ctx *c)
{
	int64_t v;

	return kc_incrby(c->fd, "fs:k", 4, 41, &v);
}

static const char *const abc[] = { "a", "b", "c", "d", "e", "f" };

static int prep_list(struct ctx *c)
{
	fresh(c);
	return args_op(c, KC_OP_RPUSH, "fs:k", abc, 1, NULL);
}

/* Small elements, and a big one whose class has no page yet. */
static int call_lpush(struct ctx *c)
{
	struct kc_buf a[6];
	struct kc_op op;
	int i;

	for (i = 0; i < 5; i++)
		kc_buf_set(&a[i], abc[i + 1], 1);
	kc_buf_set(&a[5], c->big, 3000);
	kc_op_init(&op, KC_OP_LPUSH);
	kc_op_key(&op, "fs:k", 4);
	kc_op_args(&op, a, 6);
	return kc_do(c->fd, &op);
}

static int prep_hash(struct ctx *c)
{
	fresh(c);
	return args_op(c, KC_OP_HSET, "fs:k", abc, 2, NULL);
}

static int call_hset(struct ctx *c)
{
	static const char *const kv[] = {
		"f1", "v1", "f2", "v2", "f3", "v3", "a", "new", "f4", "v4",
		"f5", "v5", "f6", "v6", "f7", "v7",
	};

	return args_op(c, KC_OP_HSET, "fs:k", kv, 16, NULL);
}

static int prep_set_type(struct ctx *c)
{
	fresh(c);
	return args_op(c, KC_OP_SADD, "fs:k", abc, 2, NULL);
}

static int call_sadd(struct ctx *c)
{
	static const char *const m[] = {
		"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "a",
	};

	return args_op(c, KC_OP_SADD, "fs:k", m, 10, NULL);
}

static int prep_algebra(struct ctx *c)
{
	static const char *const s2[] = { "b", "c", "d", "x", "y", "z" };
	int err;

	fresh(c);
	err = args_op(c, KC_OP_SADD, "fs:s1", abc, 6, NULL);
	if (!err)
		err = args_op(c, KC_OP_SADD, "fs:s2", s2, 6, NULL);
	if (!err)
		err = args_op(c, KC_OP_SADD, "fs:k", s2 + 3, 1, NULL);
	return err;
}

static int call_sinterstore(struct ctx *c)
{
	static const char *const srcs[] = { "fs:s1", "fs:s2" };

	return args_op(c, KC_OP_SINTERSTORE, "fs:k", srcs, 2, NULL);
}

/* The destination's container lands in a class of its own (long key). */
#define LONG_DST "fs:dst:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static int prep_smove(struct ctx *c)
{
	fresh(c);
	return args_op(c, KC_OP_SADD, "fs:k", abc, 3, NULL);
}

static int call_smove(struct ctx *c)
{
	static const char *const dst[] = { LONG_DST };

	return args_op(c, KC_OP_SMOVE, "fs:k", dst, 1, "b");
}

static int prep_rename(struct ctx *c)
{
	fresh(c);
	return set_str(c, "fs:k", c->big, 40);
}

static int call_rename(struct ctx *c)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_RENAME);
	kc_op_key(&op, "fs:k", 4);
	kc_op_val(&op, LONG_DST, strlen(LONG_DST));
	return kc_do(c->fd, &op);
}

static int prep_rename_list(struct ctx *c)
{
	fresh(c);
	return args_op(c, KC_OP_RPUSH, "fs:k", abc, 6, NULL);
}

static int prep_mset(struct ctx *c)
{
	int err;

	fresh(c);
	err = set_str(c, "fs:k", "old1", 4);
	if (!err)
		err = set_str(c, "fs:k2", "old2", 4);
	return err;
}

static int call_mset(struct ctx *c)
{
	static const char *const kv[] = {
		"fs:k", "new-value-one-that-is-longer-than-the-old-one",
		"fs:k2", "new-value-two-that-is-longer-than-the-old-one-too",
		"fs:k3", "three",
	};

	return args_op(c, KC_OP_MSET, NULL, kv, 6, NULL);
}

/*
 * The batch is built here: the call must make no system call but the
 * ioctl (malloc() may mmap(), and that allocation would take the failure).
 */
static int prep_txn(struct ctx *c)
{
	struct kc_op *op;
	int err;

	fresh(c);
	err = set_str(c, "fs:k", "old1", 4);
	if (!err)
		err = set_str(c, "fs:k2", "old2", 4);
	if (err)
		return err;
	kc_batch_reset(&c->b);
	err = kc_batch_watch(&c->b, "fs:k", 4, kt_cas(c->fd, "fs:k"));
	op = kc_batch_add(&c->b, KC_OP_SET);
	if (err || !op)
		return -ENOMEM;
	kc_op_key(op, "fs:k", 4);
	kc_op_val(op, c->big, 300);
	op = kc_batch_add(&c->b, KC_OP_APPEND);
	if (!op)
		return -ENOMEM;
	kc_op_key(op, "fs:k2", 5);
	kc_op_val(op, c->big, 900);
	op = kc_batch_add(&c->b, KC_OP_GET);
	if (!op)
		return -ENOMEM;
	kc_op_key(op, "fs:k", 4);
	kc_op_out(op, c->out, c->cap);
	return 0;
}

static int call_txn(struct ctx *c)
{
	int err, i;

	err = kc_batch_submit(c->fd, &c->b, KC_BATCH_TXN);
	for (i = 0; i < 2; i++)
		c->txn_res[i] = err ? err : c->b.ops[i].result;
	return err;
}

static int prep_scan(struct ctx *c)
{
	char k[32];
	int i, err = 0;

	fresh(c);
	for (i = 0; i < 300 && !err; i++) {
		snprintf(k, sizeof(k), "fs:scan:%d", i);
		err = set_str(c, k, "v", 1);
	}
	return err;
}

static int call_scan(struct ctx *c)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_SCAN);
	op.num2 = 500;
	kc_op_val(&op, "fs:*", 4);
	kc_op_out(&op, c->out, c->cap);
	return kc_do(c->fd, &op);
}

/* Netlink: the socket is opened outside the injection. */
static int nl_prep(struct ctx *c)
{
	int err;

	if (c->nl_open)
		kn_close(&c->nl);
	c->nl_open = false;
	err = kn_socket(&c->nl, KF_NL_RCVBUF);
	if (!err)
		err = kn_family_get(&c->nl, &c->fam);
	if (!err)
		c->nl_open = true;
	return err;
}

static int prep_nl_get(struct ctx *c)
{
	int err = prep_set(c);

	return err ? err : nl_prep(c);
}

static int prep_nl_set(struct ctx *c)
{
	return prep_nl_get(c);
}

static int nl_op(struct ctx *c, uint32_t opcode, const void *val, size_t len)
{
	struct kn_msg m;
	int err;

	kn_msg_init_buf(&m, c->msg, sizeof(c->msg), c->fam.id,
			NLM_F_REQUEST | NLM_F_ACK, KC_CMD_OP, KC_GENL_VERSION);
	kn_put_u32(&m, KC_A_OPCODE, opcode);
	kn_put(&m, KC_A_KEY, "fs:k", 4);
	if (val)
		kn_put(&m, KC_A_VALUE, val, len);
	err = kn_send(&c->nl, &m);
	return err ? err : kn_recv(&c->nl, 20000, NULL, NULL);
}

static int call_nl_get(struct ctx *c)
{
	return nl_op(c, KC_OP_GET, NULL, 0);
}

static int call_nl_set(struct ctx *c)
{
	return nl_op(c, KC_OP_SET, c->big, 1000);
}

static int call_nl_stats(struct ctx *c)
{
	struct kn_msg m;
	int err;

	kn_msg_init_buf(&m, c->msg, sizeof(c->msg), c->fam.id,
			NLM_F_REQUEST | NLM_F_ACK, KC_CMD_STATS, KC_GENL_VERSION);
	err = kn_send(&c->nl, &m);
	return err ? err : kn_recv(&c->nl, 20000, NULL, NULL);
}

static int prep_nl_keys(struct ctx *c)
{
	int err = prep_scan(c);

	return err ? err : nl_prep(c);
}

static int call_nl_keys(struct ctx *c)
{
	struct kn_msg m;
	int err;

	kn_msg_init_buf(&m, c->msg, sizeof(c->msg), c->fam.id,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, KC_CMD_KEYS,
			KC_GENL_VERSION);
	err = kn_send(&c->nl, &m);
	return err ? err : kn_recv(&c->nl, 20000, NULL, NULL);
}

FIXTURE_VARIANT_ADD(failslab, set_small) {
	.name = "SET small",
	.keys = { "fs:k" },
	.prepare = prep_set,
	.call = call_set_small,
};

FIXTURE_VARIANT_ADD(failslab, set_large) {
	.name = "SET large",
	.keys = { "fs:k" },
	.prepare = prep_set,
	.call = call_set_large,
};

FIXTURE_VARIANT_ADD(failslab, append) {
	.name = "APPEND",
	.keys = { "fs:k" },
	.prepare = prep_append,
	.call = call_append,
};

FIXTURE_VARIANT_ADD(failslab, incrby) {
	.name = "INCRBY",
	.keys = { "fs:k" },
	.prepare = prep_incr,
	.call = call_incr,
};

FIXTURE_VARIANT_ADD(failslab, lpush) {
	.name = "LPUSH",
	.keys = { "fs:k" },
	.prepare = prep_list,
	.call = call_lpush,
};

FIXTURE_VARIANT_ADD(failslab, hset) {
	.name = "HSET",
	.keys = { "fs:k" },
	.prepare = prep_hash,
	.call = call_hset,
};

FIXTURE_VARIANT_ADD(failslab, sadd) {
	.name = "SADD",
	.keys = { "fs:k" },
	.prepare = prep_set_type,
	.call = call_sadd,
};

FIXTURE_VARIANT_ADD(failslab, sinterstore) {
	.name = "SINTERSTORE",
	.keys = { "fs:k", "fs:s1", "fs:s2" },
	.prepare = prep_algebra,
	.call = call_sinterstore,
	.atomic = true,
};

FIXTURE_VARIANT_ADD(failslab, smove) {
	.name = "SMOVE",
	.keys = { "fs:k", LONG_DST },
	.prepare = prep_smove,
	.call = call_smove,
	.atomic = true,
};

FIXTURE_VARIANT_ADD(failslab, rename_string) {
	.name = "RENAME string",
	.keys = { "fs:k", LONG_DST },
	.prepare = prep_rename,
	.call = call_rename,
	.atomic = true,
};

FIXTURE_VARIANT_ADD(failslab, rename_list) {
	.name = "RENAME list",
	.keys = { "fs:k", LONG_DST },
	.prepare = prep_rename_list,
	.call = call_rename,
	.atomic = true,
};

FIXTURE_VARIANT_ADD(failslab, mset) {
	.name = "MSET",
	.keys = { "fs:k", "fs:k2", "fs:k3" },
	.prepare = prep_mset,
	.call = call_mset,
	.atomic = true,
};

FIXTURE_VARIANT_ADD(failslab, transaction) {
	.name = "transaction",
	.keys = { "fs:k", "fs:k2" },
	.prepare = prep_txn,
	.call = call_txn,
	.per_op = true,
};

FIXTURE_VARIANT_ADD(failslab, scan) {
	.name = "SCAN",
	.keys = { "fs:scan:7" },
	.prepare = prep_scan,
	.call = call_scan,
};

FIXTURE_VARIANT_ADD(failslab, netlink_get) {
	.name = "netlink GET",
	.keys = { "fs:k" },
	.prepare = prep_nl_get,
	.call = call_nl_get,
	.netlink = true,
};

FIXTURE_VARIANT_ADD(failslab, netlink_set) {
	.name = "netlink SET",
	.keys = { "fs:k" },
	.prepare = prep_nl_set,
	.call = call_nl_set,
	.netlink = true,
};

FIXTURE_VARIANT_ADD(failslab, netlink_stats) {
	.name = "netlink STATS",
	.keys = { "fs:k" },
	.prepare = prep_nl_get,
	.call = call_nl_stats,
	.netlink = true,
};

FIXTURE_VARIANT_ADD(failslab, netlink_keys_dump) {
	.name = "netlink keys dump",
	.keys = { "fs:scan:7" },
	.prepare = prep_nl_keys,
	.call = call_nl_keys,
	.netlink = true,
};

/* Last: it reloads the module. */
FIXTURE_VARIANT_ADD(failslab, module_init) {
	.name = "module_init",
	.module_init = true,
};

/* Errors an allocation failure may turn into. */
static bool clean_error(int err, bool netlink)
{
	if (!err || err == -ENOMEM)
		return true;
	/* netlink: the request or its ACK could not be allocated */
	return netlink && (err == -ENOBUFS || err == -ETIMEDOUT ||
			   err == -EMSGSIZE);
}

static uint64_t evictions(int fd)
{
	struct kc_stats st;

	return kc_stats(fd, &st) ? 0 : st.evictions;
}

/* A cheap version of kf_check_cache(): the counts agree. */
static int counts_agree(int fd, char *why, size_t len)
{
	struct kf_keyset s = { 0 };
	uint64_t used, busy, lru;
	struct kc_stats st;
	int err = kf_scan_all(fd, &s, 0);
	size_t keys;

	if (err || kc_stats(fd, &st)) {
		snprintf(why, len, "SCAN or STATS failed (%d)", err);
		kf_keyset_free(&s);
		return -1;
	}
	lru = kf_class_items(fd, &used, &busy);
	keys = s.n;
	kf_keyset_free(&s);
	if (st.curr_items != keys || st.hash_items != keys || lru != keys ||
	    st.used_bytes > st.limit_bytes) {
		snprintf(why, len,
			 "curr_items %llu hash_items %llu LRU items %llu SCAN %zu used %llu limit %llu",
			 (unsigned long long)st.curr_items,
			 (unsigned long long)st.hash_items,
			 (unsigned long long)lru, keys,
			 (unsigned long long)st.used_bytes,
			 (unsigned long long)st.limit_bytes);
		return -1;
	}
	return 0;
}

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	++*(int *)arg;
	return 0;
}

/* What the index holds by other routes, when the counts disagree. */
static void diagnose(int fd)
{
	unsigned char buf[256];
	struct kn_family fam;
	struct kf_keyset s;
	struct kc_stats st;
	struct kn nl;
	struct kn_msg m;
	int i, n = 0, err;

	for (i = 0; i < 3; i++) {
		kt_sleep_ms(i ? 1000 : 0);
		memset(&s, 0, sizeof(s));
		err = kf_scan_all(fd, &s, 0);
		kc_stats(fd, &st);
		fprintf(stderr, "#   diagnose: SCAN %d: %zu keys (%d); curr_items %llu hash_items %llu evictions %llu slabs_moved %llu\n",
			i, s.n, err, (unsigned long long)st.curr_items,
			(unsigned long long)st.hash_items,
			(unsigned long long)st.evictions,
			(unsigned long long)st.slabs_moved);
		kf_keyset_free(&s);
	}
	if (kn_socket(&nl, KF_NL_RCVBUF))
		return;
	if (!kn_family_get(&nl, &fam)) {
		kn_msg_init_buf(&m, buf, sizeof(buf), fam.id,
				NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, KC_CMD_KEYS,
				KC_GENL_VERSION);
		err = kn_send(&nl, &m);
		if (!err)
			err = kn_recv(&nl, 20000, count_cb, &n);
		fprintf(stderr, "#   diagnose: keys dump: %d keys (%d)\n", n, err);
	}
	kn_close(&nl);
}

/*
 * Each key old or new (a transaction: as its op's result says), and for an
 * atomic operation all old or all new.
 */
static void check_keys(struct __test_metadata *_metadata, struct ctx *c,
		       const FIXTURE_VARIANT(failslab) *sc, unsigned int n, int err,
		       const struct snap *old, const struct snap *new,
		       const struct snap *empty, bool evicted)
{
	bool is_old[MAXKEYS] = { 0 }, is_new[MAXKEYS] = { 0 };
	bool gone[MAXKEYS] = { 0 }, all_old = true, all_new = true;
	struct snap now[MAXKEYS];
	int k, nk;

	for (nk = 0; nk < MAXKEYS && sc->keys[nk]; nk++) {
		snap_take(c->fd, sc->keys[nk], &now[nk]);
		is_old[nk] = snap_eq(&now[nk], &old[nk]);
		is_new[nk] = snap_eq(&now[nk], &new[nk]);
		if (sc->per_op && nk < 2 && !c->txn_res[nk])
			is_old[nk] = is_old[nk] && is_new[nk];
		else if (sc->per_op && nk < 2)
			is_new[nk] = is_old[nk] && is_new[nk];
		/*
		 * A failed page allocation makes the allocator take a page
		 * from another class, evicting what it holds: a key may be
		 * gone then, or hold what the operation makes of a missing
		 * key (evicted first, then written), never anything else.
		 * It says nothing for atomicity.
		 */
		gone[nk] = evicted && (now[nk].res == -ENOENT ||
				       snap_eq(&now[nk], &empty[nk]));
		if (gone[nk])
			continue;
		all_old &= is_old[nk];
		all_new &= is_new[nk];
	}
	for (k = 0; k < nk; k++) {
		bool ok = gone[k] || (sc->atomic ? all_old || all_new :
						   is_old[k] || is_new[k]);

		EXPECT_TRUE(ok) {
			TH_LOG("%s: allocation %u failing (%d): key %.40s is %s",
			       sc->name, n, err, sc->keys[k],
			       sc->atomic ? "not in step with the others (all old or all new)" :
					    "neither old nor new");
			snap_print("old", &old[k]);
			snap_print("new", &new[k]);
			snap_print("now", &now[k]);
		}
	}
	for (k = 0; k < nk; k++)
		snap_free(&now[k]);
}

/*
 * One operation, failing at every allocation in turn.  Returns the number
 * of injection points, or -1 after a failure (logged).
 */
static int run_scenario(struct __test_metadata *_metadata, struct ctx *c,
			const FIXTURE_VARIANT(failslab) *sc)
{
	struct snap old[MAXKEYS], new[MAXKEYS], empty[MAXKEYS];
	int points = 0, k, err;
	unsigned int n;
	char why[256];

	memset(old, 0, sizeof(old));
	memset(new, 0, sizeof(new));
	memset(empty, 0, sizeof(empty));
	/* Before and after, with no injection. */
	ASSERT_EQ(0, sc->prepare(c)) {
		TH_LOG("%s: prepare failed", sc->name);
	}
	for (k = 0; k < MAXKEYS && sc->keys[k]; k++)
		snap_take(c->fd, sc->keys[k], &old[k]);
	err = sc->call(c);
	EXPECT_EQ(0, err) {
		TH_LOG("%s: fails with no injection: %d", sc->name, err);
	}
	for (k = 0; k < MAXKEYS && sc->keys[k]; k++)
		snap_take(c->fd, sc->keys[k], &new[k]);
	/* And on missing keys (what is left after an eviction). */
	ASSERT_EQ(0, sc->prepare(c));
	for (k = 0; k < MAXKEYS && sc->keys[k]; k++)
		kc_del(c->fd, sc->keys[k], strlen(sc->keys[k]), 0);
	sc->call(c);
	for (k = 0; k < MAXKEYS && sc->keys[k]; k++)
		snap_take(c->fd, sc->keys[k], &empty[k]);

	for (n = 1; n <= MAX_N; n++) {
		unsigned int left;
		uint64_t ev0;
		bool evicted;

		ASSERT_EQ(0, sc->prepare(c));
		ev0 = evictions(c->fd);
		ASSERT_EQ(0, arm(c->nth, n));
		err = sc->call(c);
		left = disarm(c->nth);
		evicted = evictions(c->fd) != ev0;
		c->evicting += evicted;
		if (left) {
			/* Ran to the end without reaching the Nth allocation. */
			EXPECT_EQ(0, err) {
				TH_LOG("%s: no injection left, yet %d", sc->name,
				       err);
			}
			break;
		}
		points++;
		EXPECT_TRUE(clean_error(err, sc->netlink)) {
			TH_LOG("%s: allocation %u failing: %d", sc->name, n,
			       err);
		}
		check_keys(_metadata, c, sc, n, err, old, new, empty, evicted);
		EXPECT_EQ(0, counts_agree(c->fd, why, sizeof(why))) {
			TH_LOG("%s: allocation %u failing (%d): %s", sc->name,
			       n, err, why);
			diagnose(c->fd);
		}
		/* And the next normal operation works. */
		EXPECT_EQ(0, set_str(c, "fs:probe", "p", 1));
		EXPECT_EQ(1, kt_get(c->fd, "fs:probe", why, sizeof(why)));
		if (_metadata->exit_code)
			break;
	}
	EXPECT_GE(MAX_N, n);
	for (k = 0; k < MAXKEYS; k++) {
		snap_free(&old[k]);
		snap_free(&new[k]);
		snap_free(&empty[k]);
	}
	return points;
}

/* ------------------------------------------------------------ fixture */

FIXTURE_SETUP(failslab)
{
	const char *verbose = getenv("KC_FAILSLAB_VERBOSE");
	glob_t g;
	size_t i;

	memset(&self->c, 0, sizeof(self->c));
	self->c.fd = -1;
	self->c.nth = -1;
	if (access(DBG "failslab", F_OK) || access("/proc/self/fail-nth", F_OK))
		SKIP(return, "no failslab or fail-nth (CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)");
	for (i = 0; i < NKNOBS; i++) {
		self->have[i] = !read_str(knobs[i].path, self->saved[i],
					  sizeof(self->saved[i]));
		if (self->have[i])
			ASSERT_EQ(0, kt_write_file(knobs[i].path,
						   knobs[i].value ?:
						   (verbose ? verbose : "0"))) {
				TH_LOG("cannot set %s", knobs[i].path);
			}
	}
	self->c.nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->c.nth);
	KT_ASSERT_OPEN(self->c.fd);
	ASSERT_EQ(0, kt_reset_config(self->c.fd));
	if (!glob(DBG "shrinker/kcache-*/scan", 0, NULL, &g)) {
		if (g.gl_pathc)
			snprintf(self->c.scan, sizeof(self->c.scan), "%s",
				 g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
	}
	self->c.cap = 1 << 20;
	self->c.big = malloc(1 << 20);
	self->c.out = malloc(self->c.cap);
	ASSERT_NE(NULL, self->c.big);
	ASSERT_NE(NULL, self->c.out);
	kt_fill(self->c.big, 1 << 20, 42);
	memset(self->c.out, 0, self->c.cap);
	kc_batch_init(&self->c.b);
}

FIXTURE_TEARDOWN(failslab)
{
	size_t i;

	if (self->c.nth >= 0) {
		pwrite(self->c.nth, "0", 1, 0);
		close(self->c.nth);
	}
	for (i = 0; i < NKNOBS; i++)
		if (self->have[i])
			kt_write_file(knobs[i].path, self->saved[i]);
	if (self->c.nl_open)
		kn_close(&self->c.nl);
	if (self->c.fd >= 0) {
		kc_flush(self->c.fd);
		kc_close(self->c.fd);
	}
	kc_batch_exit(&self->c.b);
	free(self->c.big);
	free(self->c.out);
}

/* Nothing of kcache left: module, node, family, shrinker. */
static void expect_gone(struct __test_metadata *_metadata, unsigned int n)
{
	glob_t g;

	EXPECT_FALSE(kf_module_loaded()) {
		TH_LOG("allocation %u: module still loaded after a failed load", n);
	}
	EXPECT_EQ(-1, access(KC_DEVICE_PATH, F_OK)) {
		TH_LOG("allocation %u: %s left behind", n, KC_DEVICE_PATH);
	}
	EXPECT_EQ(0, kn_family_present()) {
		TH_LOG("allocation %u: genetlink family left behind", n);
	}
	if (!glob(DBG "shrinker/kcache-*", 0, NULL, &g)) {
		EXPECT_EQ(0U, g.gl_pathc) {
			TH_LOG("allocation %u: shrinker %s left behind", n,
			       g.gl_pathv[0]);
		}
		globfree(&g);
	}
}

static void expect_works(struct __test_metadata *_metadata, unsigned int n)
{
	struct kc_version v;
	char buf[8];
	int fd = kc_open();

	ASSERT_LE(0, fd) {
		TH_LOG("allocation %u: loaded, but no %s: %d", n,
		       KC_DEVICE_PATH, fd);
	}
	EXPECT_EQ(0, kc_version(fd, &v));
	EXPECT_EQ(0, kt_set(fd, "fs:init", "ok"));
	EXPECT_EQ(2, kt_get(fd, "fs:init", buf, sizeof(buf)));
	EXPECT_EQ(1, kn_family_present());
	kc_close(fd);
}

/*
 * Module init failing at each of its allocations.  The first allocation
 * of kc_init() comes after the loader's A allocations, where A is what a
 * load consumes when kc_init() fails before allocating (bad parameters):
 * A also counts the unwinding after it, so starting a few before A covers
 * kc_init() from its first allocation.
 */
static void fail_module_init(struct __test_metadata *_metadata,
			     FIXTURE_DATA(failslab) *self)
{
	const char *path = kf_module_path(), *params = kf_module_params();
	unsigned int n, start, total_ok, pre, points = 0, failed = 0, step;
	bool all;
	char bad_params[600];
	double t0 = kf_now();
	size_t len;
	void *img;
	int err;

	if (!path)
		SKIP(return, "no KCACHE_MODULE: cannot reload kcache.ko");
	/* Only failslab: order-0/1 page failures in the loader warn. */
	kt_write_file(DBG "fail_page_alloc/min-order", "11");
	ASSERT_EQ(0, kf_module_image(path, &img, &len));
	kc_close(self->c.fd);
	self->c.fd = -1;
	err = kf_module_unload();
	ASSERT_EQ(0, err) {
		TH_LOG("rmmod kcache: %s", strerror(-err));
	}

	/* How many allocations a load that kc_init() refuses makes. */
	snprintf(bad_params, sizeof(bad_params), "%s memory_mb=1", params);
	ASSERT_EQ(0, arm(self->c.nth, BIG_N));
	err = kf_module_load(img, len, bad_params);
	pre = BIG_N - disarm(self->c.nth);
	EXPECT_EQ(-EINVAL, err);
	/* And a good one, to the end. */
	ASSERT_EQ(0, arm(self->c.nth, BIG_N));
	err = kf_module_load(img, len, params);
	total_ok = BIG_N - disarm(self->c.nth);
	ASSERT_EQ(0, err);
	expect_works(_metadata, 0);
	ASSERT_EQ(0, kf_module_unload());

	all = getenv("KC_FAILSLAB_ALL") || kf_long_mode();
	start = all || pre < 40 ? 1 : pre - 40;
	/*
	 * Every point costs a module load (a second or two on the debug
	 * kernel): by default every STRIDE-th, from an offset the seed picks.
	 */
	step = all ? 1 : STRIDE;
	start += kf_seed() % step;
	ksft_print_msg("KCFAIL module load: %u allocations, %u when kc_init() refuses its parameters; trying %u..%u, every %u%s\n",
		       total_ok, pre, start, total_ok + 5, step,
		       all ? "" : " (KC_FAILSLAB_ALL=1: every one from 1)");
	for (n = start; n <= total_ok + 5 && !_metadata->exit_code;
	     n += step) {
		unsigned int left;

		ASSERT_EQ(0, arm(self->c.nth, n));
		err = kf_module_load(img, len, params);
		left = disarm(self->c.nth);
		if (!left)
			points++;
		if (err) {
			failed++;
			EXPECT_EQ(-ENOMEM, err) {
				TH_LOG("allocation %u failing: load fails with %d",
				       n, err);
			}
			expect_gone(_metadata, n);
			continue;
		}
		/* Loaded: the failure was absorbed, or none was injected. */
		expect_works(_metadata, n);
		err = kf_module_unload();
		EXPECT_EQ(0, err) {
			TH_LOG("allocation %u: rmmod: %d", n, err);
		}
		if (!err)
			expect_gone(_metadata, n);
		if (left)
			break;
	}
	err = kf_module_load(img, len, params);
	ASSERT_EQ(0, err) {
		TH_LOG("reloading kcache.ko %s: %s", params, strerror(-err));
	}
	free(img);
	self->c.fd = kc_open();
	ASSERT_LE(0, self->c.fd);
	ksft_print_msg("KCFAIL module_init: %u allocation failure points, %u loads failed and unwound, in %.0f s\n",
		       points, failed, kf_now() - t0);
}

/*
 * Each operation, and the module load, is a variant of its own: one that
 * fails does not hide what the others would find.
 */
TEST_F_TIMEOUT(failslab, each_allocation, 900)
{
	int points;

	if (variant->module_init) {
		fail_module_init(_metadata, self);
		return;
	}
	if (!self->c.scan[0])
		TH_LOG("no shrinker debugfs: slab pages are not given back between tries");
	points = run_scenario(_metadata, &self->c, variant);
	ksft_print_msg("KCFAIL %-18s %d allocation failure points (%u answered by evicting another class's page)\n",
		       variant->name, points, self->c.evicting);
}

TEST_HARNESS_MAIN
