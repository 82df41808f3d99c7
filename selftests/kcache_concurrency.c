// SPDX-License-Identifier: GPL-2.0
/*
 * Many threads at once: INCRBY is atomic (every intermediate result handed
 * out exactly once), CAS lets exactly one of racing writers win, readers
 * never see a torn, stale-after-newer or foreign value while writers,
 * deleters, FLUSH and eviction run, and every -ENOMEM is counted.
 *
 * Worker threads never use the ASSERT and EXPECT macros (the harness
 * longjmps on the calling thread's stack): they count what went wrong in
 * struct shared and the test thread asserts on the counts.  Loops are bounded by a count and
 * by time so the tests stay within seconds under QEMU/TCG.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"

#define NTHREADS	4
#define NOPS		20000
#define RUN_MS		3000

struct shared {
	int fd;			/* shared by the threads that want it */
	volatile int stop;
	struct kt_errors err;	/* unexpected results */
};

static void shared_init(struct shared *sh, int fd)
{
	memset(sh, 0, sizeof(*sh));
	sh->fd = fd;
	kt_errors_init(&sh->err);
}

FIXTURE(conc) {
	int fd;
	struct kc_config orig;
};

FIXTURE_SETUP(conc)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_config_get(self->fd, &self->orig));
	ASSERT_EQ(0, kc_flush(self->fd));
}

FIXTURE_TEARDOWN_PARENT(conc)
{
	int fd = kc_open();

	if (fd < 0)
		return;
	kt_restore_config(fd, &self->orig);
	kc_close(fd);
}

static int run_threads(pthread_t *t, unsigned int n, void *(*fn)(void *),
		       void *args, size_t arg_size)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, fn, (char *)args + i * arg_size))
			return -errno;
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* INCRBY */

struct incr_arg {
	struct shared *sh;
	unsigned char *seen;	/* bitmap of results 1..NTHREADS*NOPS */
};

static void *incr_worker(void *p)
{
	struct incr_arg *a = p;
	int fd = kc_open(), i, ret;
	int64_t n;

	if (fd < 0) {
		kt_fail(&a->sh->err, "kc_open: %s", strerror(-fd));
		return NULL;
	}
	for (i = 0; i < NOPS; i++) {
		ret = kc_incrby(fd, "ctr", 3, 1, &n);
		if (ret) {
			kt_fail(&a->sh->err, "INCRBY: %s", kc_strerror(ret));
			continue;
		}
		if (n < 1 || n > NTHREADS * NOPS) {
			kt_fail(&a->sh->err, "INCRBY returned %lld", (long long)n);
			continue;
		}
		n--;
		if (__atomic_fetch_or(&a->seen[n / 8], 1U << (n % 8),
				      __ATOMIC_RELAXED) & (1U << (n % 8)))
			kt_fail(&a->sh->err, "INCRBY result %lld handed out twice",
				(long long)n + 1);
	}
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(conc, incrby_is_atomic, 300)
{
	unsigned char *seen = calloc(1, NTHREADS * NOPS / 8 + 1);
	struct incr_arg args[NTHREADS];
	pthread_t t[NTHREADS];
	struct shared sh;
	char buf[32];
	int64_t n = 0;
	unsigned int i;

	ASSERT_NE(NULL, seen);
	shared_init(&sh, self->fd);
	for (i = 0; i < NTHREADS; i++) {
		args[i].sh = &sh;
		args[i].seen = seen;
	}
	ASSERT_EQ(0, run_threads(t, NTHREADS, incr_worker, args, sizeof(args[0])));
	KT_EXPECT_NO_ERRORS(&sh.err);

	ASSERT_EQ(0, kc_incrby(self->fd, "ctr", 3, 0, &n));
	EXPECT_EQ(NTHREADS * NOPS, n);
	snprintf(buf, sizeof(buf), "%d", NTHREADS * NOPS);
	{
		char got[32];

		ASSERT_EQ((int)strlen(buf), kt_get(self->fd, "ctr", got, sizeof(got)));
		EXPECT_STREQ(buf, got);
	}
	for (i = 0; i < NTHREADS * NOPS; i++) {
		if (!(seen[i / 8] & (1U << (i % 8)))) {
			EXPECT_TRUE(0) {
				TH_LOG("INCRBY result %u never handed out", i + 1);
			}
			break;
		}
	}
	free(seen);
}

/* Mixed INCRBY and DECRBY on a shared descriptor. */
struct incdec_arg {
	struct shared *sh;
	int64_t delta;
	int decr;
};

static void *incdec_worker(void *p)
{
	struct incdec_arg *a = p;
	int i, ret;

	for (i = 0; i < NOPS / 2; i++) {
		ret = a->decr ? kc_decrby(a->sh->fd, "mix", 3, a->delta, NULL) :
				kc_incrby(a->sh->fd, "mix", 3, a->delta, NULL);
		if (ret)
			kt_fail(&a->sh->err, "INCRBY/DECRBY: %s", kc_strerror(ret));
	}
	return NULL;
}

TEST_F_TIMEOUT(conc, incr_decr_shared_fd, 300)
{
	struct incdec_arg args[NTHREADS] = {
		{ .delta = 7 }, { .delta = 3, .decr = 1 },
		{ .delta = -2 }, { .delta = -1, .decr = 1 },
	};
	pthread_t t[NTHREADS];
	struct shared sh;
	int64_t n = 0;
	unsigned int i;

	shared_init(&sh, self->fd);
	for (i = 0; i < NTHREADS; i++)
		args[i].sh = &sh;
	ASSERT_EQ(0, kt_set(self->fd, "mix", "1000"));
	ASSERT_EQ(0, run_threads(t, NTHREADS, incdec_worker, args, sizeof(args[0])));
	KT_EXPECT_NO_ERRORS(&sh.err);
	ASSERT_EQ(0, kc_incrby(self->fd, "mix", 3, 0, &n));
	EXPECT_EQ(1000 + (int64_t)(NOPS / 2) * (7 - 3 - 2 + 1), n);
}

/* CAS */

struct cas_arg {
	struct shared *sh;
	unsigned long wins, losses;
};

static void *cas_worker(void *p)
{
	struct cas_arg *a = p;
	int fd = kc_open(), i, ret;
	char buf[32], val[32];
	uint64_t cas;
	size_t len;

	if (fd < 0) {
		kt_fail(&a->sh->err, "kc_open: %s", strerror(-fd));
		return NULL;
	}
	for (i = 0; i < NOPS / 4; i++) {
		ret = kc_get(fd, "cas", 3, buf, sizeof(buf) - 1, &len, &cas, NULL);
		if (ret) {
			kt_fail(&a->sh->err, "GET: %s", kc_strerror(ret));
			continue;
		}
		buf[len] = '\0';
		snprintf(val, sizeof(val), "%lld", atoll(buf) + 1);
		ret = kc_set(fd, "cas", 3, val, strlen(val), 0, 0, cas);
		if (ret == 0)
			a->wins++;
		else if (ret == -EEXIST)
			a->losses++;
		else
			kt_fail(&a->sh->err, "SET CAS: %s", kc_strerror(ret));
	}
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(conc, cas_one_winner, 300)
{
	struct cas_arg args[NTHREADS];
	pthread_t t[NTHREADS];
	struct kc_stats st0, st;
	unsigned long wins = 0, losses = 0;
	struct shared sh;
	char buf[32];
	unsigned int i;

	shared_init(&sh, self->fd);
	memset(args, 0, sizeof(args));
	for (i = 0; i < NTHREADS; i++)
		args[i].sh = &sh;
	ASSERT_EQ(0, kt_set(self->fd, "cas", "0"));
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	ASSERT_EQ(0, run_threads(t, NTHREADS, cas_worker, args, sizeof(args[0])));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	KT_EXPECT_NO_ERRORS(&sh.err);
	for (i = 0; i < NTHREADS; i++) {
		wins += args[i].wins;
		losses += args[i].losses;
	}
	TH_LOG("%lu CAS wins, %lu losses", wins, losses);
	ASSERT_LT(0, kt_get(self->fd, "cas", buf, sizeof(buf)));
	EXPECT_EQ(wins, strtoul(buf, NULL, 10));
	EXPECT_EQ(wins, st.cas_hits - st0.cas_hits);
	EXPECT_EQ(losses, st.cas_badval - st0.cas_badval);
	EXPECT_EQ(st0.cas_misses, st.cas_misses);
	EXPECT_EQ(NTHREADS * (NOPS / 4), wins + losses);
}

/*
 * Self-checking values: a header naming the key, the writer and its
 * sequence number, then a payload derived from them and a checksum.
 */
#define VMAGIC		0x6b636163U	/* "kcac" */
#define NKEYS		64
#define VAL_MAX		4096

struct vhdr {
	uint32_t magic;
	uint32_t key;
	uint32_t writer;
	uint32_t seq;
	uint32_t len;		/* whole value */
	uint32_t sum;		/* FNV-1a of the payload */
};

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261U;

	while (n--) {
		h ^= *p++;
		h *= 16777619U;
	}
	return h;
}

static size_t make_value(unsigned char *buf, uint32_t key, uint32_t writer,
			 uint32_t seq, size_t len)
{
	struct vhdr h = {
		.magic = VMAGIC, .key = key, .writer = writer, .seq = seq,
		.len = (uint32_t)len,
	};

	kt_fill(buf + sizeof(h), len - sizeof(h),
		((uint64_t)key << 40) ^ ((uint64_t)writer << 32) ^ seq);
	h.sum = fnv1a(buf + sizeof(h), len - sizeof(h));
	memcpy(buf, &h, sizeof(h));
	return len;
}

/* 0 if buf holds a whole value written for key, else what is wrong. */
static const char *check_value(const unsigned char *buf, size_t len,
			       uint32_t key, struct vhdr *out)
{
	struct vhdr h;

	if (len < sizeof(h))
		return "shorter than its header";
	memcpy(&h, buf, sizeof(h));
	if (h.magic != VMAGIC)
		return "bad magic";
	if (h.key != key)
		return "value of another key";
	if (h.len != len)
		return "length differs from the header's";
	if (h.sum != fnv1a(buf + sizeof(h), len - sizeof(h)))
		return "torn: checksum mismatch";
	*out = h;
	return NULL;
}

static void key_name(char *buf, size_t size, uint32_t k)
{
	snprintf(buf, size, "sc:%u", k);
}

struct rw_arg {
	struct shared *sh;
	uint32_t id;
	int fd;			/* own descriptor, or the shared one */
	unsigned long ops, hits, misses, nomem;
	uint32_t seq[NKEYS];	/* writers: next sequence per key */
	/* readers: last sequence seen per key and writer */
	uint32_t last[NKEYS][NTHREADS];
	int allow_missing;
	size_t max_len;
};

static void *writer_fn(void *p)
{
	struct rw_arg *a = p;
	unsigned char *buf = malloc(VAL_MAX);
	uint64_t rng = a->id + 1;
	char key[32];
	int64_t end = kt_mono_ms() + RUN_MS;
	int ret;

	if (!buf) {
		kt_fail(&a->sh->err, "malloc");
		return NULL;
	}
	while (!a->sh->stop && kt_mono_ms() < end) {
		uint32_t k = kt_rand(&rng) % NKEYS;
		size_t len = sizeof(struct vhdr) +
			     kt_rand(&rng) % (a->max_len - sizeof(struct vhdr));

		make_value(buf, k, a->id, ++a->seq[k], len);
		key_name(key, sizeof(key), k);
		ret = kc_set(a->fd, key, strlen(key), buf, len, 0, 0, 0);
		a->ops++;
		if (ret == -ENOMEM)
			a->nomem++;
		else if (ret)
			kt_fail(&a->sh->err, "writer %u SET %s: %s", a->id, key,
				kc_strerror(ret));
	}
	free(buf);
	return NULL;
}

static void *reader_fn(void *p)
{
	struct rw_arg *a = p;
	unsigned char *buf = malloc(VAL_MAX);
	uint64_t rng = 1000 + a->id;
	char key[32];
	int64_t end = kt_mono_ms() + RUN_MS;
	const char *why;
	struct vhdr h;
	size_t len;
	int ret;

	if (!buf) {
		kt_fail(&a->sh->err, "malloc");
		return NULL;
	}
	while (!a->sh->stop && kt_mono_ms() < end) {
		uint32_t k = kt_rand(&rng) % NKEYS;

		key_name(key, sizeof(key), k);
		ret = kc_get(a->fd, key, strlen(key), buf, VAL_MAX, &len, NULL,
			     NULL);
		a->ops++;
		if (ret == -ENOENT) {
			a->misses++;
			if (!a->allow_missing)
				kt_fail(&a->sh->err, "reader %u: %s missing", a->id, key);
			continue;
		}
		if (ret) {
			kt_fail(&a->sh->err, "reader %u GET %s: %s", a->id, key,
				kc_strerror(ret));
			continue;
		}
		a->hits++;
		why = check_value(buf, len, k, &h);
		if (why) {
			kt_fail(&a->sh->err, "reader %u GET %s (%zu bytes): %s", a->id,
				key, len, why);
			continue;
		}
		if (h.writer >= NTHREADS) {
			kt_fail(&a->sh->err, "reader %u: writer id %u", a->id, h.writer);
			continue;
		}
		/* A writer's values of one key never go back in time. */
		if (h.seq < a->last[k][h.writer])
			kt_fail(&a->sh->err, "reader %u: %s went back from writer %u seq %u to %u",
				a->id, key, h.writer, a->last[k][h.writer], h.seq);
		a->last[k][h.writer] = h.seq;
	}
	free(buf);
	return NULL;
}

static void *rw_fn(void *p)
{
	struct rw_arg *a = p;

	return a->id < NTHREADS / 2 ? writer_fn(p) : reader_fn(p);
}

TEST_F_TIMEOUT(conc, readers_never_see_torn_values, 120)
{
	static struct rw_arg args[NTHREADS];
	unsigned char buf[VAL_MAX];
	struct kc_stats st0, st;
	struct kc_config cfg;
	pthread_t t[NTHREADS];
	unsigned long reads = 0, hits = 0;
	struct shared sh;
	char key[32];
	uint32_t k;
	unsigned int i;

	/*
	 * Room for everything: 64 keys of at most 4 KiB in ~20 classes.  No
	 * eviction or page move may happen, so a miss is a lookup bug.
	 */
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	/*
	 * Pages an earlier test left to other classes count against the
	 * limit and the automover moves them to the classes this test
	 * fills (seen on the debug kernel: 4 pages moved): give every page
	 * back with the smallest limit first.
	 */
	ASSERT_EQ(0, kt_fresh_pool(self->fd, cfg.memory_limit_mb < 64 ? 64 :
				   cfg.memory_limit_mb));
	shared_init(&sh, self->fd);
	/* Every key exists before the readers start. */
	for (k = 0; k < NKEYS; k++) {
		key_name(key, sizeof(key), k);
		make_value(buf, k, 0, 0, 64);
		ASSERT_EQ(0, kc_set(self->fd, key, strlen(key), buf, 64, 0, 0, 0));
	}
	memset(args, 0, sizeof(args));
	for (i = 0; i < NTHREADS; i++) {
		args[i].sh = &sh;
		args[i].id = i;
		args[i].max_len = VAL_MAX;
		/* Writers on their own descriptors, readers share one. */
		args[i].fd = i < NTHREADS / 2 ? kc_open() : self->fd;
		ASSERT_LE(0, args[i].fd);
	}
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	ASSERT_EQ(0, run_threads(t, NTHREADS, rw_fn, args, sizeof(args[0])));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(st0.evictions, st.evictions);
	EXPECT_EQ(st0.slabs_moved, st.slabs_moved);
	EXPECT_EQ(st0.shrinker_freed, st.shrinker_freed);
	EXPECT_EQ(NKEYS, st.curr_items);
	for (i = 0; i < NTHREADS; i++) {
		if (i < NTHREADS / 2) {
			kc_close(args[i].fd);
		} else {
			reads += args[i].ops;
			hits += args[i].hits;
		}
	}
	TH_LOG("%lu reads, %lu writes", reads, args[0].ops + args[1].ops);
	KT_EXPECT_NO_ERRORS(&sh.err);
	EXPECT_EQ(reads, hits);
	EXPECT_LT(0, reads);
	EXPECT_EQ(0, args[0].nomem + args[1].nomem);
}

/*
 * GET reads cas and client_flags without the item lock (kcache.h): the
 * cas it answers must belong to the value it answers.  One writer stores
 * value i with client_flags i and records the CAS each SET got; a second
 * thread EXPIREs and PERSISTs the key (each a new CAS in place, same
 * value); readers check that a
 * GET of value i came with flags i and a CAS from item i's life: CAS
 * versions only grow, so above what SET i - 1 got and below what SET
 * i + 1 got, where those are known yet.  (A SET may answer a CAS that
 * an EXPIRE gave its item right after the link, hence no tighter bound.)
 */
#define CAS_SETS	20000

struct getcas_arg {
	struct shared *sh;
	unsigned int id;
	uint64_t *cas_of;	/* [i]: the CAS SET i got; 0 not yet known */
	volatile uint32_t *done;	/* writer finished */
	unsigned long checks;
	unsigned long expire_misses;
};

static void *getcas_writer_fn(struct getcas_arg *a, int fd)
{
	char v[16];
	uint64_t cas;
	uint32_t i;
	int ret;

	for (i = 2; i < CAS_SETS && !a->sh->stop; i++) {
		snprintf(v, sizeof(v), "%u", i);
		ret = kc_store(fd, KC_OP_SET, 0, "c", 1, v, strlen(v), i, 0, &cas);
		if (ret) {
			kt_fail(&a->sh->err, "SET %u: %s", i, kc_strerror(ret));
			break;
		}
		__atomic_store_n(&a->cas_of[i], cas, __ATOMIC_RELEASE);
	}
	__atomic_store_n(a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *getcas_fn(void *p)
{
	struct getcas_arg *a = p;
	int fd = kc_open(), ret;
	uint32_t flags, i;
	uint64_t cas, lo, hi;
	char v[16];
	size_t len;

	if (fd < 0) {
		kt_fail(&a->sh->err, "kc_open: %s", strerror(-fd));
		return NULL;
	}
	if (a->id == 0) {
		getcas_writer_fn(a, fd);
		kc_close(fd);
		return NULL;
	}
	while (!__atomic_load_n(a->done, __ATOMIC_ACQUIRE) && !a->sh->stop) {
		if (a->id == 1) {
			ret = kc_expire(fd, "c", 1, 3600, 0);
			if (!ret) {
				ret = kc_persist(fd, "c", 1);
				/* a SET in between left an item with no expiry */
				if (ret == -EEXIST)
					ret = 0;
			}
			/*
			 * EXPIRE and PERSIST answer -ENOENT when a SET replaced
			 * the item between their lookup and their lock (the key
			 * existed all along): counted, not this test's subject.
			 */
			if (ret == -ENOENT)
				a->expire_misses++;
			else if (ret)
				kt_fail(&a->sh->err, "EXPIRE/PERSIST: %s",
					kc_strerror(ret));
			continue;
		}
		ret = kc_get(fd, "c", 1, v, sizeof(v) - 1, &len, &cas, &flags);
		if (ret) {
			kt_fail(&a->sh->err, "GET: %s", kc_strerror(ret));
			continue;
		}
		v[len] = 0;
		i = (uint32_t)strtoul(v, NULL, 10);
		if (i == 0 || i >= CAS_SETS || flags != i) {
			kt_fail(&a->sh->err, "GET: value \"%s\" with flags %u", v, flags);
			continue;
		}
		/* 0: not recorded yet (or no such SET), no bound */
		lo = __atomic_load_n(&a->cas_of[i - 1], __ATOMIC_ACQUIRE);
		hi = i + 1 < CAS_SETS ?
		     __atomic_load_n(&a->cas_of[i + 1], __ATOMIC_ACQUIRE) : 0;
		if ((lo && cas <= lo) || (hi && cas >= hi))
			kt_fail(&a->sh->err, "GET of value %u: CAS %llu outside (%llu, %llu)",
				i, (unsigned long long)cas, (unsigned long long)lo,
				(unsigned long long)hi);
		a->checks++;
	}
	kc_close(fd);
	return NULL;
}

TEST_F_TIMEOUT(conc, get_cas_belongs_to_its_value, 300)
{
	static struct getcas_arg args[NTHREADS];
	static uint64_t cas_of[CAS_SETS];
	volatile uint32_t done = 0;
	pthread_t t[NTHREADS];
	unsigned long checks = 0;
	struct shared sh;
	unsigned int i;

	shared_init(&sh, self->fd);
	memset(cas_of, 0, sizeof(cas_of));
	ASSERT_EQ(0, kc_store(self->fd, KC_OP_SET, 0, "c", 1, "1", 1, 1, 0,
			      &cas_of[1]));
	memset(args, 0, sizeof(args));
	for (i = 0; i < NTHREADS; i++) {
		args[i].sh = &sh;
		args[i].id = i;
		args[i].cas_of = cas_of;
		args[i].done = &done;
	}
	ASSERT_EQ(0, run_threads(t, NTHREADS, getcas_fn, args, sizeof(args[0])));
	for (i = 2; i < NTHREADS; i++)
		checks += args[i].checks;
	TH_LOG("%lu GETs checked, %lu EXPIRE/PERSIST lost a race with SET",
	       checks, args[1].expire_misses);
	KT_EXPECT_NO_ERRORS(&sh.err);
	EXPECT_LT(0, checks);
}

/*
 * The same checks while keys are deleted, the whole cache is flushed now
 * and then, and a small limit makes the writers evict all the time.
 * Misses are fine; a wrong value is not; every -ENOMEM must be counted.
 */
struct chaos_arg {
	struct shared *sh;
	unsigned long dels, flushes;
};

static void *deleter_fn(void *p)
{
	struct chaos_arg *a = p;
	int fd = kc_open(), ret;
	int64_t end = kt_mono_ms() + RUN_MS, next_flush = kt_mono_ms() + 250;
	uint64_t rng = 77;
	char key[32];

	if (fd < 0) {
		kt_fail(&a->sh->err, "kc_open: %s", strerror(-fd));
		return NULL;
	}
	while (!a->sh->stop && kt_mono_ms() < end) {
		key_name(key, sizeof(key), kt_rand(&rng) % NKEYS);
		ret = kc_del(fd, key, strlen(key), 0);
		if (ret && ret != -ENOENT)
			kt_fail(&a->sh->err, "DEL %s: %s", key, kc_strerror(ret));
		a->dels++;
		if (kt_mono_ms() >= next_flush) {
			ret = kc_flush(fd);
			if (ret)
				kt_fail(&a->sh->err, "FLUSH: %s", kc_strerror(ret));
			a->flushes++;
			next_flush = kt_mono_ms() + 250;
		}
	}
	kc_close(fd);
	return NULL;
}

static void *chaos_reader_fn(void *p)
{
	return reader_fn(p);
}

TEST_F_TIMEOUT(conc, delete_flush_evict_race_readers, 120)
{
	static struct rw_arg rw[NTHREADS];
	struct chaos_arg del;
	pthread_t tw[NTHREADS], tr[NTHREADS], td;
	struct kc_stats st0, st;
	struct kc_config cfg;
	unsigned long nomem = 0, hits = 0, misses = 0;
	struct shared sh;
	unsigned int i;

	/*
	 * The smallest limit: 2 pages for values spread over many slab
	 * classes, so pages move between classes and items are evicted all
	 * the time under the readers.
	 */
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	cfg.memory_limit_mb = 2;
	cfg.automove = 1;
	ASSERT_EQ(0, kc_config_set(self->fd, KC_CONFIG_MEMORY_LIMIT |
				   KC_CONFIG_AUTOMOVE, &cfg));
	shared_init(&sh, self->fd);
	memset(rw, 0, sizeof(rw));
	memset(&del, 0, sizeof(del));
	del.sh = &sh;
	ASSERT_EQ(0, kc_stats(self->fd, &st0));

	for (i = 0; i < NTHREADS; i++) {
		rw[i].sh = &sh;
		rw[i].id = i;
		rw[i].fd = kc_open();
		rw[i].allow_missing = 1;
		rw[i].max_len = VAL_MAX;
		ASSERT_LE(0, rw[i].fd);
	}
	/* Two writers, two readers, one deleter/flusher. */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&tw[i], NULL, writer_fn, &rw[i]));
	for (i = 2; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&tr[i], NULL, chaos_reader_fn, &rw[i]));
	ASSERT_EQ(0, pthread_create(&td, NULL, deleter_fn, &del));
	for (i = 0; i < 2; i++)
		pthread_join(tw[i], NULL);
	for (i = 2; i < 4; i++)
		pthread_join(tr[i], NULL);
	pthread_join(td, NULL);
	ASSERT_EQ(0, kc_stats(self->fd, &st));

	for (i = 0; i < NTHREADS; i++) {
		nomem += rw[i].nomem;
		hits += rw[i].hits;
		misses += rw[i].misses;
		kc_close(rw[i].fd);
	}
	TH_LOG("%lu hits, %lu misses, %lu deletes, %lu flushes, %lu ENOMEM, %llu evictions",
	       hits, misses, del.dels, del.flushes, nomem,
	       (unsigned long long)(st.evictions - st0.evictions));
	KT_EXPECT_NO_ERRORS(&sh.err);
	EXPECT_LT(0, hits);
	EXPECT_EQ(nomem, st.outofmemory - st0.outofmemory);
	EXPECT_GE(st.limit_bytes, st.used_bytes);
	EXPECT_EQ(st.curr_items, st.hash_items);
	EXPECT_GE(NKEYS, st.curr_items);
}

/*
 * Eviction racing readers with one key per value: writers keep creating new
 * keys under a small limit, so readers race the eviction of what they read.
 */
struct evict_arg {
	struct shared *sh;
	uint32_t id;
	volatile uint32_t *next;	/* keys below this were written */
	unsigned long ops, hits, nomem;
};

static void *evict_writer(void *p)
{
	struct evict_arg *a = p;
	unsigned char *buf = malloc(VAL_MAX);
	int64_t end = kt_mono_ms() + RUN_MS;
	int fd = kc_open(), ret;
	uint64_t rng = a->id + 5;
	char key[32];

	if (fd < 0 || !buf) {
		kt_fail(&a->sh->err, "setup");
		free(buf);
		return NULL;
	}
	while (kt_mono_ms() < end) {
		uint32_t k = __atomic_fetch_add(a->next, 1, __ATOMIC_RELAXED);
		size_t len = sizeof(struct vhdr) + kt_rand(&rng) % 2000;

		make_value(buf, k, a->id, 1, len);
		key_name(key, sizeof(key), k);
		ret = kc_set(fd, key, strlen(key), buf, len, 0, 0, 0);
		a->ops++;
		if (ret == -ENOMEM)
			a->nomem++;
		else if (ret)
			kt_fail(&a->sh->err, "SET %s: %s", key, kc_strerror(ret));
	}
	kc_close(fd);
	free(buf);
	return NULL;
}

static void *evict_reader(void *p)
{
	struct evict_arg *a = p;
	unsigned char *buf = malloc(VAL_MAX);
	int64_t end = kt_mono_ms() + RUN_MS;
	int fd = kc_open(), ret;
	uint64_t rng = a->id + 9;
	const char *why;
	struct vhdr h;
	char key[32];
	size_t len;

	if (fd < 0 || !buf) {
		kt_fail(&a->sh->err, "setup");
		free(buf);
		return NULL;
	}
	while (kt_mono_ms() < end) {
		uint32_t n = __atomic_load_n(a->next, __ATOMIC_RELAXED), k;

		if (!n)
			continue;
		/* Mostly the newest keys, which are being evicted least. */
		k = n - 1 - (uint32_t)(kt_rand(&rng) % (n < 2000 ? n : 2000));
		key_name(key, sizeof(key), k);
		ret = kc_get(fd, key, strlen(key), buf, VAL_MAX, &len, NULL, NULL);
		a->ops++;
		if (ret == -ENOENT)
			continue;
		if (ret) {
			kt_fail(&a->sh->err, "GET %s: %s", key, kc_strerror(ret));
			continue;
		}
		a->hits++;
		why = check_value(buf, len, k, &h);
		if (why)
			kt_fail(&a->sh->err, "GET %s (%zu bytes): %s", key, len, why);
	}
	kc_close(fd);
	free(buf);
	return NULL;
}

static void *evict_fn(void *p)
{
	struct evict_arg *a = p;

	return a->id < 2 ? evict_writer(p) : evict_reader(p);
}

TEST_F_TIMEOUT(conc, eviction_races_readers, 120)
{
	struct evict_arg args[NTHREADS];
	pthread_t t[NTHREADS];
	struct kc_stats st0, st;
	struct kc_config cfg;
	volatile uint32_t next = 0;
	unsigned long nomem = 0, hits = 0;
	struct shared sh;
	unsigned int i;

	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	cfg.memory_limit_mb = 2;
	ASSERT_EQ(0, kc_config_set(self->fd, KC_CONFIG_MEMORY_LIMIT, &cfg));
	shared_init(&sh, self->fd);
	memset(args, 0, sizeof(args));
	for (i = 0; i < NTHREADS; i++) {
		args[i].sh = &sh;
		args[i].id = i;
		args[i].next = &next;
	}
	ASSERT_EQ(0, kc_stats(self->fd, &st0));
	ASSERT_EQ(0, run_threads(t, NTHREADS, evict_fn, args, sizeof(args[0])));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	for (i = 0; i < NTHREADS; i++) {
		nomem += args[i].nomem;
		hits += args[i].hits;
	}
	TH_LOG("%u keys written, %lu hits, %llu evictions, %lu ENOMEM", next,
	       hits, (unsigned long long)(st.evictions - st0.evictions), nomem);
	KT_EXPECT_NO_ERRORS(&sh.err);
	EXPECT_LT(0, hits);
	EXPECT_LT(st0.evictions, st.evictions);
	EXPECT_EQ(nomem, st.outofmemory - st0.outofmemory);
	EXPECT_GE(st.limit_bytes, st.used_bytes);
	EXPECT_EQ(st.curr_items, st.hash_items);
}

TEST_HARNESS_MAIN
