/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the hardening selftests (kcache_fuzz_ioctl,
 * kcache_fuzz_netlink, kcache_failslab, kcache_stress, kcache_perm).
 * Include after kselftest_harness.h and kc_test.h.
 *
 *  - the run's budget: KC_FUZZ_SECONDS (long mode) and KC_FUZZ_SEED, else a
 *    fixed seed and a few seconds per test, fewer on stock kernels than on
 *    the debug kernel (KCACHE_KERNEL=debug), whose KASAN and lockdep under
 *    TCG make every call 10-50 times slower; how many threads hammer the
 *    module (kf_nthreads);
 *  - a seeded PRNG (splitmix64): one stream per thread, derived from the
 *    seed, so a run is repeatable up to thread interleaving;
 *  - memory shared between the harness's forked tests (counters, errors);
 *  - a scratch arena with guard pages and the "bad" user pointers the
 *    fuzzers pass (NULL, unmapped, read-only, kernel, non-canonical): the
 *    kernel may write only into the arena or fail with EFAULT, never into
 *    the rest of the test's memory;
 *  - the raw generic netlink client is kc_nl.h's; its sockets here get a
 *    receive buffer of KF_NL_RCVBUF bytes;
 *  - invariant checks of the whole cache (stats against a SCAN, every key
 *    readable, nothing left after FLUSH);
 *  - loading and unloading kcache.ko with init_module(2)/delete_module(2)
 *    from the file in KCACHE_MODULE, with KCACHE_PARAMS (the VM harness
 *    exports both).
 *
 * The frame the two fuzzers run in (checker, watchdog, verdict) is
 * kc_fuzz_run.h.  Nothing here asserts; functions return values or
 * -errno.
 */
#ifndef KC_FUZZ_H
#define KC_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kc_test.h"
#include "kc_nl.h"

#define KF_DEFAULT_SEED		0x6b63616368653031ULL	/* "kcache01" */
#define KF_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KF_MAX_CLASSES		128	/* room for every slab class */
#define KF_NL_RCVBUF		(1 << 20)	/* kn_socket()'s rcvbuf here */
#define KF_MIN(a, b)		((a) < (b) ? (a) : (b))

/* ------------------------------------------------------------ budget */

static inline bool kf_debug_kernel(void)
{
	const char *k = getenv("KCACHE_KERNEL");

	return k && !strcmp(k, "debug");
}

/* Long mode: KC_FUZZ_SECONDS is set (make fuzz-kernel SECONDS=...). */
static inline bool kf_long_mode(void)
{
	const char *s = getenv("KC_FUZZ_SECONDS");

	return s && *s;
}

/*
 * Seconds the whole program may fuzz: KC_FUZZ_SECONDS, else dbg on the
 * debug kernel and stock elsewhere (stock kernels, real machines).
 */
static inline double kf_budget(double dbg, double stock)
{
	const char *s = getenv("KC_FUZZ_SECONDS");

	if (s && *s && strtod(s, NULL) > 0)
		return strtod(s, NULL);
	return kf_debug_kernel() ? dbg : stock;
}

static inline uint64_t kf_seed(void)
{
	const char *s = getenv("KC_FUZZ_SEED");

	return s && *s ? strtoull(s, NULL, 0) : KF_DEFAULT_SEED;
}

static inline double kf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int kf_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/* Threads that hammer the module: two a CPU, 4 to KF_MAX_THREADS. */
#define KF_MAX_THREADS		16
static inline int kf_nthreads(void)
{
	int n = 2 * kf_ncpus();

	return n < 4 ? 4 : n > KF_MAX_THREADS ? KF_MAX_THREADS : n;
}

/*
 * Raises the harness's per-test timeout (30 s by default) to secs for every
 * test, for programs whose tests run as long as the budget says.  Call from
 * main() before test_harness_run().
 */
static inline void kf_set_timeouts(int secs)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			if (t->timeout < secs)
				t->timeout = secs;
}

/* ------------------------------------------------------------ random */

struct kf_rng {
	uint64_t s;
};

static inline uint64_t kf_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A stream of its own for (seed, a, b): a test and a thread, say. */
static inline void kf_rng_init(struct kf_rng *r, uint64_t seed, uint64_t a,
			       uint64_t b)
{
	r->s = kf_mix(seed ^ kf_mix(a * 0x9e3779b97f4a7c15ULL + b + 1));
}

static inline uint64_t kf_next(struct kf_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return kf_mix(r->s);
}

static inline uint64_t kf_below(struct kf_rng *r, uint64_t n)
{
	return n ? kf_next(r) % n : 0;
}

static inline bool kf_pct(struct kf_rng *r, unsigned int pct)
{
	return kf_below(r, 100) < pct;
}

static inline void kf_bytes(struct kf_rng *r, void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = kf_next(r);
		p[i] = (unsigned char)(v >> ((i & 7) * 8));
	}
}

/* Boundary-heavy signed 64-bit values. */
static inline int64_t kf_s64(struct kf_rng *r)
{
	static const int64_t edge[] = {
		0, 1, -1, 2, -2, 7, 8, 63, 64, 255, 256, 1000, -1000,
		INT32_MAX, INT32_MIN, (int64_t)UINT32_MAX,
		(int64_t)UINT32_MAX + 1, INT64_MAX, INT64_MIN, INT64_MAX - 1,
		INT64_MIN + 1, 1LL << 40, -(1LL << 40), 1LL << 62,
		-(1LL << 62), 65536, 65537, 1048576, 8388607, 8388608,
	};

	switch (kf_below(r, 4)) {
	case 0:
		return (int64_t)kf_next(r);
	case 1:
		return (int64_t)kf_below(r, 64) - 32;
	default:
		return edge[kf_below(r, KF_ARRAY_SIZE(edge))];
	}
}

/* ------------------------------------------------------------ shared memory */

/* Zeroed memory that the harness's forked tests share with main(). */
static inline void *kf_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------ arena */

/*
 * The only memory a fuzzer lets the kernel write to: size bytes between two
 * PROT_NONE pages.  bad[] are addresses that must fail with EFAULT.
 */
struct kf_arena {
	unsigned char *base;
	size_t size;
	size_t page;
	unsigned char *ro;	/* one read-only page of zeroes */
	uint64_t hole;		/* mapped once, unmapped now */
};

static inline int kf_arena_init(struct kf_arena *a, size_t size)
{
	unsigned char *m;
	void *h;

	a->page = (size_t)sysconf(_SC_PAGESIZE);
	a->size = (size + a->page - 1) & ~(a->page - 1);
	m = mmap(NULL, a->size + 2 * a->page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	if (mprotect(m, a->page, PROT_NONE) ||
	    mprotect(m + a->page + a->size, a->page, PROT_NONE))
		return -errno;
	a->base = m + a->page;
	a->ro = mmap(NULL, a->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (a->ro == MAP_FAILED)
		return -errno;
	h = mmap(NULL, a->page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return -errno;
	munmap(h, a->page);
	a->hole = (uint64_t)(uintptr_t)h;
	return 0;
}

static inline uint64_t kf_uptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Is [addr, addr + len) unmapped?  mincore() fails with ENOMEM then. */
static inline bool kf_unmapped(uint64_t addr, size_t len)
{
	unsigned char vec[4];

	return mincore((void *)(uintptr_t)addr, len, vec) && errno == ENOMEM;
}

/* An address that is not ours to read or write. */
static inline uint64_t kf_bad_ptr(struct kf_rng *r, const struct kf_arena *a)
{
	switch (kf_below(r, 9)) {
	case 0:
		return 0;
	case 1:
		return 1 + kf_below(r, 4095);
	case 2:		/* unmapped, unless a later mmap() took it back */
		if (kf_unmapped(a->hole, a->page))
			return a->hole + kf_below(r, a->page);
		return 0x0000100000000000ULL + (kf_below(r, 1 << 20) << 12);
	case 3:		/* the direct map */
		return 0xffff888000000000ULL + (kf_below(r, 1 << 20) << 12);
	case 4:		/* kernel text */
		return 0xffffffff81000000ULL + kf_below(r, 1 << 24);
	case 5:		/* non-canonical */
		return 0x0000800000000000ULL + kf_below(r, 1 << 20);
	case 6:
		return ~0ULL - kf_below(r, 64);
	case 7:		/* the guard page before the arena */
		return kf_uptr(a->base) - a->page + kf_below(r, a->page);
	default:	/* the top of user space */
		return 0x00007ffffffff000ULL + kf_below(r, 4096);
	}
}

/*
 * A user pointer for a buffer of len bytes: mostly inside the arena, now
 * and then running into its guard page, read-only, or bad.
 */
static inline uint64_t kf_ptr(struct kf_rng *r, const struct kf_arena *a,
			      uint64_t len)
{
	unsigned int pick = (unsigned int)kf_below(r, 100);
	uint64_t off;

	if (pick < 84) {
		if (len >= a->size)
			return kf_uptr(a->base);
		off = kf_below(r, a->size - len + 1);
		if (kf_pct(r, 50))
			off &= ~7ULL;
		return kf_uptr(a->base) + off;
	}
	if (pick < 90) {	/* the last bytes before the guard page */
		off = len ? kf_below(r, len) + 1 : 1;
		if (off > a->size)
			off = a->size;
		return kf_uptr(a->base) + a->size - off;
	}
	if (pick < 93)
		return kf_uptr(a->ro) + kf_below(r, a->page);
	return kf_bad_ptr(r, a);
}

/* A length near a limit, or anything. */
static inline uint32_t kf_len(struct kf_rng *r, uint32_t limit)
{
	switch (kf_below(r, 12)) {
	case 0:
		return 0;
	case 1:
		return limit;
	case 2:
		return limit + 1;
	case 3:
		return limit ? limit - 1 : 0;
	case 4:
		return (uint32_t)kf_next(r);
	case 5:
		return UINT32_MAX - (uint32_t)kf_below(r, 16);
	case 6:
		return KC_KEY_MAX + (uint32_t)kf_below(r, 3) - 1;
	case 7:
		return limit ? (uint32_t)kf_below(r, limit + 1) : 0;
	default:
		return 1 + (uint32_t)kf_below(r, 64);
	}
}

/* ------------------------------------------------------------ per entry point counters */

struct kf_count {
	uint64_t calls;		/* syscalls made */
	uint64_t ok;		/* returned 0 (and for ops: result 0) */
};

static inline void kf_count(struct kf_count *c, bool ok)
{
	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	if (ok)
		__atomic_add_fetch(&c->ok, 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ whole-cache checks */

/*
 * A set of keys (SCAN may return a key twice; the set counts it once):
 * open addressing over malloc()ed copies.
 */
struct kf_keyset {
	struct kf_key {
		uint32_t hash;
		uint32_t len;
		unsigned char *p;
	} *slot;
	size_t cap, n;
};

static inline uint32_t kf_hash(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static inline void kf_keyset_free(struct kf_keyset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i].p);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Adds a key; 1 if new, 0 if present, -ENOMEM. */
static inline int kf_keyset_add(struct kf_keyset *s, const void *key,
				uint32_t len)
{
	uint32_t h = kf_hash(key, len);
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct kf_keyset big = { .cap = s->cap ? 2 * s->cap : 1024 };

		big.slot = calloc(big.cap, sizeof(*big.slot));
		if (!big.slot)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++) {
			struct kf_key *k = &s->slot[i];
			size_t j;

			if (!k->p)
				continue;
			for (j = k->hash & (big.cap - 1); big.slot[j].p;
			     j = (j + 1) & (big.cap - 1))
				;
			big.slot[j] = *k;
		}
		big.n = s->n;
		free(s->slot);
		*s = big;
	}
	for (i = h & (s->cap - 1); s->slot[i].p; i = (i + 1) & (s->cap - 1))
		if (s->slot[i].hash == h && s->slot[i].len == len &&
		    !memcmp(s->slot[i].p, key, len))
			return 0;
	s->slot[i].p = malloc(len ? len : 1);
	if (!s->slot[i].p)
		return -ENOMEM;
	memcpy(s->slot[i].p, key, len);
	s->slot[i].hash = h;
	s->slot[i].len = len;
	s->n++;
	return 1;
}

/* KC_ELEM_SIZE() in 64 bits: a record's bytes, even for a bogus len. */
static inline uint64_t kf_elem_size(uint32_t len)
{
	return sizeof(struct kc_elem) + (((uint64_t)len + 7) & ~7ULL);
}

/* Every key of a full SCAN of database db into s (type 0: any). */
static inline int kf_scan_db(int fd, struct kf_keyset *s, uint32_t type,
			     uint32_t db)
{
	size_t cap = 1 << 20;
	unsigned char *buf = malloc(cap);
	uint64_t cursor = 0;
	int err = 0, rounds = 0;

	if (!buf)
		return -ENOMEM;
	do {
		const struct kc_elem *e;
		struct kc_op op;
		size_t off;

		kc_op_init(&op, KC_OP_SCAN);
		op.num = (int64_t)cursor;
		op.num2 = 1000;
		op.client_flags = type;
		op.db = db;
		kc_op_out(&op, buf, cap);
		err = kc_do(fd, &op);
		if (err)
			break;
		/* num is the next cursor, not a count: walk the records. */
		for (off = 0; off + sizeof(*e) <= op.out_used; ) {
			e = (const struct kc_elem *)(buf + off);
			if (off + kf_elem_size(e->len) > op.out_used) {
				err = -EBADMSG;
				break;
			}
			if (kf_keyset_add(s, e + 1, e->len) < 0) {
				err = -ENOMEM;
				break;
			}
			off += kf_elem_size(e->len);
		}
		cursor = (uint64_t)op.num;
	} while (!err && cursor && ++rounds < 1000000);
	free(buf);
	return err;
}

/* Every key of a full SCAN of database 0 into s.  0 or -errno. */
static inline int kf_scan_all(int fd, struct kf_keyset *s, uint32_t type)
{
	return kf_scan_db(fd, s, type, 0);
}

/*
 * Reads key whole, whatever its type: 0, -ENOENT (gone meanwhile), or the
 * error of the read.
 */
static inline int kf_read_key(int fd, uint32_t db, const void *key,
			      uint32_t len, void *buf, size_t cap)
{
	const int64_t zr[2] = { 0, -1 };
	struct kc_buf zb[2];
	struct kc_op op;
	int err;

	kc_op_init(&op, KC_OP_TYPE);
	kc_op_key(&op, key, len);
	op.db = db;
	err = kc_do(fd, &op);
	if (err)
		return err;
	switch (op.num) {
	case KC_TYPE_NONE:
		return -ENOENT;
	case KC_TYPE_STRING:
		kc_op_init(&op, KC_OP_GET);
		op.flags = KC_GET_NOBUMP;
		break;
	case KC_TYPE_LIST:
		kc_op_init(&op, KC_OP_LRANGE);
		op.num = 0;
		op.num2 = -1;
		break;
	case KC_TYPE_HASH:
		kc_op_init(&op, KC_OP_HGETALL);
		break;
	case KC_TYPE_SET:
		kc_op_init(&op, KC_OP_SMEMBERS);
		break;
	case KC_TYPE_ZSET:
		kc_op_init(&op, KC_OP_ZRANGE);
		kc_buf_set(&zb[0], &zr[0], 8);
		kc_buf_set(&zb[1], &zr[1], 8);
		kc_op_args(&op, zb, 2);
		op.flags = KC_Z_WITHSCORES;
		break;
	default:
		return -EPROTO;
	}
	kc_op_key(&op, key, len);
	op.db = db;
	kc_op_out(&op, buf, cap);
	err = kc_do(fd, &op);
	/* A key rewritten as another type in between: read it again. */
	return err == -EPROTOTYPE ? kf_read_key(fd, db, key, len, buf, cap) :
				    err;
}

/* Problems found by kf_check_cache(), for the test to log and count. */
struct kf_report {
	int problems;
	char first[256];
	uint64_t keys;		/* keys a SCAN found */
	uint64_t curr_items;
};

static inline void kf_problem(struct kf_report *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->problems++) {
		va_start(ap, fmt);
		vsnprintf(r->first, sizeof(r->first), fmt, ap);
		va_end(ap);
	}
	va_start(ap, fmt);
	fprintf(stderr, "# cache check: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static inline uint64_t kf_class_items(int fd, uint64_t *used_chunks,
				      uint64_t *classes_with_chunks)
{
	struct kc_class_stats cs[KF_MAX_CLASSES];
	size_t n = 0, nr = 0, i;
	uint64_t items = 0;

	*used_chunks = 0;
	*classes_with_chunks = 0;
	if (kc_class_stats(fd, cs, KF_ARRAY_SIZE(cs), &n, &nr))
		return UINT64_MAX;
	for (i = 0; i < n; i++) {
		items += cs[i].items;
		*used_chunks += cs[i].used_chunks;
		if (cs[i].used_chunks)
			(*classes_with_chunks)++;
	}
	return items;
}

/*
 * Reads every key of every database (which also reclaims the expired
 * ones), then SCANs them all again: the keys found, or UINT64_MAX.
 */
static inline uint64_t kf_read_every_key(int fd, void *buf, size_t cap,
					 struct kf_report *r)
{
	struct kf_keyset s = { 0 };
	uint64_t keys = 0;
	uint32_t db;
	size_t i;
	int err;

	for (db = 0; db < KC_DB_COUNT; db++) {
		err = kf_scan_db(fd, &s, 0, db);
		for (i = 0; !err && i < s.cap; i++) {
			if (!s.slot[i].p)
				continue;
			err = kf_read_key(fd, db, s.slot[i].p, s.slot[i].len,
					  buf, cap);
			if (err && err != -ENOENT && err != -E2BIG)
				kf_problem(r, "key '%.*s' (%u bytes, db %u) reads with %d",
					   s.slot[i].len > 40 ? 40 :
					   (int)s.slot[i].len,
					   (const char *)s.slot[i].p,
					   s.slot[i].len, db, err);
			err = 0;
		}
		kf_keyset_free(&s);
		if (!err)
			err = kf_scan_db(fd, &s, 0, db);
		keys += s.n;
		kf_keyset_free(&s);
		if (err) {
			kf_problem(r, "SCAN of db %u failed: %d", db, err);
			return UINT64_MAX;
		}
	}
	return keys;
}

/*
 * The whole cache is consistent, with nobody else using it: the stats add
 * up (curr_items = keys SCANs of the 16 databases find = entries of the
 * index = items on the LRUs; used_bytes <= limit_bytes), and every key
 * reads back whole with no error but -ENOENT (it expired meanwhile).
 * Keys with a short TTL may expire between the read pass (which reclaims
 * expired keys) and the SCAN, which then skips them while the stats still
 * count them: the comparison is retried for 8 s, longer than the TTLs the
 * tests give (3.1 s at most), after which no key is left to expire.
 */
static inline void kf_check_cache(int fd, struct kf_report *r)
{
	size_t cap = 64 << 20;
	unsigned char *buf = malloc(cap);
	uint64_t used, busy, lru = 0, keys;
	struct kc_stats st = { 0 };
	int attempt;
	double t0;

	memset(r, 0, sizeof(*r));
	if (!buf) {
		kf_problem(r, "no memory for the check");
		return;
	}
	for (attempt = 0, t0 = kf_now(); !attempt || kf_now() - t0 < 8;
	     attempt++) {
		keys = kf_read_every_key(fd, buf, cap, r);
		if (keys == UINT64_MAX)
			break;
		if (kc_stats(fd, &st)) {
			kf_problem(r, "STATS failed");
			break;
		}
		lru = kf_class_items(fd, &used, &busy);
		r->keys = keys;
		r->curr_items = st.curr_items;
		if (st.curr_items == keys && st.hash_items == keys &&
		    lru == keys)
			break;
		kt_sleep_ms(200);
	}
	if (r->keys != r->curr_items || st.hash_items != r->curr_items ||
	    lru != r->curr_items)
		kf_problem(r, "curr_items %llu, hash_items %llu, LRU items %llu, but SCAN finds %llu keys",
			   (unsigned long long)st.curr_items,
			   (unsigned long long)st.hash_items,
			   (unsigned long long)lru,
			   (unsigned long long)r->keys);
	if (st.used_bytes > st.limit_bytes)
		kf_problem(r, "used_bytes %llu > limit_bytes %llu",
			   (unsigned long long)st.used_bytes,
			   (unsigned long long)st.limit_bytes);
	free(buf);
}

/*
 * After FLUSH with nobody else using the cache, nothing may be left: no
 * item, no byte, and no chunk in use in any class (a chunk still in use
 * is a reference someone leaked).  Retried briefly: frees in flight.
 */
static inline void kf_check_empty(int fd, struct kf_report *r)
{
	uint64_t used = 0, busy = 0, items = 0;
	struct kc_stats st;
	int attempt;

	memset(r, 0, sizeof(*r));
	for (attempt = 0; attempt < 25; attempt++) {
		if (kc_flush(fd) || kc_stats(fd, &st)) {
			kf_problem(r, "FLUSH or STATS failed");
			return;
		}
		items = kf_class_items(fd, &used, &busy);
		if (!st.curr_items && !st.hash_items && !st.bytes &&
		    !st.large_bytes && !items && !used)
			return;
		kt_sleep_ms(200);
	}
	kf_problem(r, "after FLUSH: curr_items %llu, hash_items %llu, bytes %llu, large_bytes %llu, LRU items %llu, chunks in use %llu in %llu classes",
		   (unsigned long long)st.curr_items,
		   (unsigned long long)st.hash_items,
		   (unsigned long long)st.bytes,
		   (unsigned long long)st.large_bytes,
		   (unsigned long long)items, (unsigned long long)used,
		   (unsigned long long)busy);
}

/* ------------------------------------------------------------ the module */

static inline const char *kf_module_path(void)
{
	const char *p = getenv("KCACHE_MODULE");

	return p && *p && !access(p, R_OK) ? p : NULL;
}

static inline const char *kf_module_params(void)
{
	const char *p = getenv("KCACHE_PARAMS");

	return p ? p : "";
}

/* Reads the module file into memory for init_module(2). */
static inline int kf_module_image(const char *path, void **img, size_t *len)
{
	struct stat sb;
	ssize_t n;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*img = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		close(fd);
		return -errno;
	}
	*img = malloc(sb.st_size);
	if (!*img) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)sb.st_size) {
		n = read(fd, (char *)*img + off, sb.st_size - off);
		if (n <= 0) {
			close(fd);
			free(*img);
			return n < 0 ? -errno : -EIO;
		}
		off += n;
	}
	close(fd);
	*len = off;
	return 0;
}

static inline int kf_module_load(const void *img, size_t len,
				 const char *params)
{
	return syscall(SYS_init_module, img, len, params) ? -errno : 0;
}

/* rmmod kcache; -EAGAIN (EWOULDBLOCK) while in use, -ENOENT if absent. */
static inline int kf_module_unload(void)
{
	return syscall(SYS_delete_module, "kcache", O_NONBLOCK) ? -errno : 0;
}

static inline bool kf_module_loaded(void)
{
	return !access("/sys/module/kcache", F_OK);
}

/*
 * rmmod kcache (if loaded), then load KCACHE_MODULE with KCACHE_PARAMS and
 * extra (NULL: none).  -ENOENT without KCACHE_MODULE; -EAGAIN while a
 * descriptor is open, the module then still loaded as it was.
 */
static inline int kf_module_reload(const char *extra)
{
	const char *path = kf_module_path();
	char params[512];
	size_t len;
	void *img;
	int err;

	if (!path)
		return -ENOENT;
	err = kf_module_image(path, &img, &len);
	if (err)
		return err;
	err = kf_module_unload();
	if (!err || err == -ENOENT) {
		snprintf(params, sizeof(params), "%s %s", kf_module_params(),
			 extra ? extra : "");
		err = kf_module_load(img, len, params);
	}
	free(img);
	return err;
}

#endif /* KC_FUZZ_H */
