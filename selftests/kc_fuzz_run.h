/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The frame the two fuzzers (kcache_fuzz_ioctl, kcache_fuzz_netlink) run
 * in, so that each program holds only what it fuzzes.  Include once,
 * after kselftest_harness.h and kc_fuzz.h, in a fuzzer's program.
 *
 *  - struct kf_run, the state main() and the harness's forked tests share
 *    (the first member of the program's own struct shared): the budget,
 *    the calls per entry point (the last entry point is the checker's),
 *    the unexpected results and the first of them, the epoch that FLUSH
 *    and limit changes bump, and what each fuzzing thread is doing;
 *  - kf_bad() and kf_chk_bad() report an unexpected result, kf_tally()
 *    counts a call;
 *  - the checker's bookkeeping: keys of known values (kf_chk_*), written
 *    with a header that names key, length, seq and run, and a miss that
 *    only an eviction, a FLUSH or a limit change may explain;
 *  - the watchdog: a call that takes longer than kf->stall_limit seconds
 *    is reported once, with what the program's describe() says of it;
 *  - the fixture "fuzz", and a test's begin, threads and verdict: every
 *    focused entry point reached, no stall, nothing unexpected; then the
 *    checker's verdict and the whole cache checked.
 */
#ifndef KC_FUZZ_RUN_H
#define KC_FUZZ_RUN_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

#include "kc_fuzz.h"

#define KF_MAX_EP	16	/* entry points of a program, the checker's too */
#define KF_NCHK		16	/* checker keys, at most */
#define KF_CHK_HDR	32	/* the header of a checker value */

/* What a fuzzing thread is doing, for the watchdog. */
struct kf_cur {
	double since;		/* 0: between calls */
	uint32_t ep;
	uint64_t iter;
	bool reported;
};

/* Shared by main() and the harness's forked tests. */
struct kf_run {
	const char *name;		/* in the KCFUZZ lines */
	const char *const *ep_name;
	int nr_ep;			/* the last one is the checker's */
	struct kf_count count[KF_MAX_EP];	/* the current test */
	struct kf_count total[KF_MAX_EP];	/* the whole run */
	_Atomic uint64_t epoch;		/* FLUSH, limit changes: misses OK */
	_Atomic int destructive;	/* such calls in flight */
	_Atomic uint64_t unexpected, stalls;
	_Atomic uint64_t chk_ops, chk_bad, chk_explained;
	_Atomic int stop;
	char first_bad[512];
	char unready[128];		/* why no test can run; "" if they can */
	struct kf_cur cur[KF_MAX_THREADS];
	uint64_t nonce;
	double stall_limit, budget;
	uint64_t bad0, chk0;		/* at the current test's begin */
};

static struct kf_run *kf;

/* ------------------------------------------------------------ reports */

static inline void __attribute__((format(printf, 1, 2)))
kf_bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (atomic_fetch_add(&kf->unexpected, 1) == 0)
		memcpy(kf->first_bad, msg, sizeof(kf->first_bad));
	fprintf(stderr, "# UNEXPECTED: %s\n", msg);
}

static inline void __attribute__((format(printf, 1, 2)))
kf_chk_bad(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&kf->chk_bad, 1);
	kf_bad("checker: %s", msg);
}

static inline void kf_tally(int ep, bool ok)
{
	kf_count(&kf->count[ep], ok);
	kf_count(&kf->total[ep], ok);
}

static inline void kf_print_counts(const char *what, const struct kf_count *c)
{
	char line[1024];
	size_t off;
	int e;

	off = snprintf(line, sizeof(line), "KCFUZZ %s %s calls (ok):",
		       kf->name, what);
	for (e = 0; e < kf->nr_ep; e++)
		if (c[e].calls)
			off += snprintf(line + off, sizeof(line) - off,
					" %s=%llu (%llu)", kf->ep_name[e],
					(unsigned long long)c[e].calls,
					(unsigned long long)c[e].ok);
	ksft_print_msg("%s\n", line);
}

/* ------------------------------------------------------------ the checker */

/* What a miss may be blamed on, read before a write. */
struct kf_blame {
	uint64_t epoch;
	uint64_t evictions;
};

static inline void kf_blame_now(int fd, struct kf_blame *b)
{
	struct kc_stats st;

	b->epoch = atomic_load(&kf->epoch);
	b->evictions = kc_stats(fd, &st) ? 0 : st.evictions;
}

/* Can an eviction, FLUSH or limit change since *then explain a miss? */
static inline bool kf_explained(int fd, const struct kf_blame *then)
{
	int i;

	for (i = 0; i < 4; i++) {
		struct kf_blame now;

		kf_blame_now(fd, &now);
		if (now.epoch != then->epoch ||
		    now.evictions != then->evictions ||
		    atomic_load(&kf->destructive))
			return true;
		kt_sleep_ms(20 << i);
	}
	return false;
}

/* The checker's keys and what it wrote to them last. */
struct kf_chk {
	int fd;
	struct kf_rng r;
	uint64_t magic;		/* first word of a value, one per program */
	unsigned int nkeys;
	char keys[KF_NCHK][64];
	struct {
		bool present;
		uint64_t seq;
		uint32_t len;
		struct kf_blame b;	/* before the write of seq */
	} rec[KF_NCHK];
	uint64_t seq;
	unsigned char *want;	/* room for the longest value */
};

/*
 * Opens the checker's device fd and names its nkeys keys prefix:nonce:i,
 * deleting what an earlier test left in them.  The caller frees want and
 * closes fd (kc_close() takes a negative fd).
 */
static inline int kf_chk_init(struct kf_chk *k, const char *prefix,
			      unsigned int nkeys, uint64_t magic,
			      uint64_t stream, unsigned char *want)
{
	unsigned int i;

	k->fd = kc_open();
	k->magic = magic;
	k->nkeys = nkeys;
	k->want = want;
	kf_rng_init(&k->r, kf_seed(), magic, stream);
	if (k->fd < 0)
		return k->fd;
	for (i = 0; i < nkeys; i++) {
		snprintf(k->keys[i], sizeof(k->keys[i]), "%s:%016llx:%u",
			 prefix, (unsigned long long)kf->nonce, i);
		/* What an earlier test left: not ours to check. */
		kc_del(k->fd, k->keys[i], strlen(k->keys[i]), 0);
	}
	return 0;
}

/* The value of key i at seq: a header, then bytes from a seeded stream. */
static inline void kf_chk_value(const struct kf_chk *k, unsigned int i,
				uint64_t seq, uint32_t len, unsigned char *p)
{
	uint64_t hdr[4] = { k->magic, ((uint64_t)i << 32) | len, seq,
			    kf->nonce };

	memcpy(p, hdr, KF_CHK_HDR);
	kt_fill(p + KF_CHK_HDR, len - KF_CHK_HDR,
		kf_mix(kf->nonce ^ (seq << 8) ^ i));
}

/* Key i now holds seq, written after *b was taken. */
static inline void kf_chk_wrote(struct kf_chk *k, unsigned int i,
				uint64_t seq, uint32_t len,
				const struct kf_blame *b)
{
	k->rec[i].present = true;
	k->rec[i].seq = seq;
	k->rec[i].len = len;
	k->rec[i].b = *b;
}

/* Checks a value read for key i (res: 0 or -errno) against the last write. */
static inline void kf_chk_verify(struct kf_chk *k, unsigned int i, int res,
				 const void *val, size_t len, const char *how)
{
	if (res == -ENOENT) {
		if (!k->rec[i].present)
			return;
		if (kf_explained(k->fd, &k->rec[i].b)) {
			atomic_fetch_add(&kf->chk_explained, 1);
			k->rec[i].present = false;
			return;
		}
		kf_chk_bad("%s %s (seq %llu, %u bytes): gone, with no eviction, FLUSH or limit change since it was written",
			   how, k->keys[i], (unsigned long long)k->rec[i].seq,
			   k->rec[i].len);
		k->rec[i].present = false;
		return;
	}
	if (res) {
		kf_chk_bad("%s %s: %d", how, k->keys[i], res);
		return;
	}
	if (!k->rec[i].present) {
		kf_chk_bad("%s %s: a value (%zu bytes) for a key that is gone",
			   how, k->keys[i], len);
		return;
	}
	kf_chk_value(k, i, k->rec[i].seq, k->rec[i].len, k->want);
	if (len != k->rec[i].len || memcmp(val, k->want, len)) {
		uint64_t hdr[4] = { 0 };

		memcpy(hdr, val, len < KF_CHK_HDR ? len : KF_CHK_HDR);
		kf_chk_bad("%s %s: %zu bytes (seq %llu), want %u bytes of seq %llu",
			   how, k->keys[i], len, (unsigned long long)hdr[2],
			   k->rec[i].len, (unsigned long long)k->rec[i].seq);
	}
}

/* ------------------------------------------------------------ watchdog */

static inline void kf_cur_begin(int t, uint32_t ep, uint64_t iter)
{
	struct kf_cur *c = &kf->cur[t];
	double now = kf_now();

	c->ep = ep;
	c->iter = iter;
	__atomic_store(&c->since, &now, __ATOMIC_RELEASE);
}

static inline void kf_cur_end(int t)
{
	double zero = 0;

	__atomic_store(&kf->cur[t].since, &zero, __ATOMIC_RELEASE);
}

struct kf_watch {
	int nthreads;
	/* what thread t is doing, beyond its entry point and iteration */
	void (*describe)(int t, char *buf, size_t len);
};

/* Until kf->stop: reports each call that stalls, once. */
static inline void *kf_watchdog(void *arg)
{
	const struct kf_watch *w = arg;
	char what[256];
	int t;

	while (!atomic_load(&kf->stop)) {
		double now = kf_now();

		for (t = 0; t < w->nthreads; t++) {
			struct kf_cur *c = &kf->cur[t];
			double since;

			__atomic_load(&c->since, &since, __ATOMIC_ACQUIRE);
			if (!since || now - since <= kf->stall_limit ||
			    c->reported)
				continue;
			c->reported = true;
			atomic_fetch_add(&kf->stalls, 1);
			w->describe(t, what, sizeof(what));
			fprintf(stderr,
				"# STALL: thread %d in %s for %.0f s: iter %llu %s (seed %#llx)\n",
				t, kf->ep_name[c->ep], now - since,
				(unsigned long long)c->iter, what,
				(unsigned long long)kf_seed());
		}
		kt_sleep_ms(500);
	}
	return NULL;
}

/* ------------------------------------------------------------ run */

/*
 * Allocates the program's shared state of size bytes (struct kf_run
 * first) and sets the budget: dbg seconds on the debug kernel, stock on
 * the others, or KC_FUZZ_SECONDS.
 */
static inline void *kf_run_init(size_t size, const char *name,
				const char *const *ep_name, int nr_ep,
				double dbg, double stock)
{
	kf = kf_shared(size);
	if (!kf)
		return NULL;
	kf->name = name;
	kf->ep_name = ep_name;
	kf->nr_ep = nr_ep;
	kf->budget = kf_budget(dbg, stock);
	kf->stall_limit = kf_debug_kernel() ? 60 : 20;
	kf->nonce = kf_mix((uint64_t)getpid() ^ (uint64_t)time(NULL) << 20);
	return kf;
}

/*
 * A test begins: counters and threads' state cleared, keyspace events on
 * (so kc_notify() runs too).  Returns the test's deadline, its weight's
 * share of the budget (the weights of a program's tests sum to 20).
 */
static inline double kf_run_begin(struct __test_metadata *_metadata, int fd,
				  unsigned int weight)
{
	memset(kf->count, 0, sizeof(kf->count));
	memset(kf->cur, 0, sizeof(kf->cur));
	atomic_store(&kf->stop, 0);
	kf->bad0 = atomic_load(&kf->unexpected);
	kf->chk0 = atomic_load(&kf->chk_bad);
	ASSERT_EQ(0, kt_set_notify(fd, true));
	return kf_now() + kf->budget * weight / 20;
}

/* The threads of a test: the fuzzers, the checker and maybe a listener. */
struct kf_threads {
	int nthreads;
	void *(*fuzz)(void *);		/* given its state, fz + t * fz_size */
	void *fz;
	size_t fz_size;
	void *(*checker)(void *);	/* given the deadline (double *) */
	void *(*listener)(void *);	/* NULL, or like the checker */
	/* for the watchdog: what thread t is doing */
	void (*describe)(int t, char *buf, size_t len);
};

/* Runs them with the watchdog and joins them: they end by the deadline. */
static inline void kf_run_threads(struct __test_metadata *_metadata,
				  const struct kf_threads *k, double deadline)
{
	struct kf_watch w = { .nthreads = k->nthreads,
			      .describe = k->describe };
	pthread_t th[KF_MAX_THREADS], chk, lis, wd;
	int t;

	ASSERT_GE(KF_MAX_THREADS, k->nthreads);
	ASSERT_EQ(0, pthread_create(&chk, NULL, k->checker, &deadline));
	if (k->listener)
		ASSERT_EQ(0, pthread_create(&lis, NULL, k->listener,
					    &deadline));
	ASSERT_EQ(0, pthread_create(&wd, NULL, kf_watchdog, &w));
	for (t = 0; t < k->nthreads; t++)
		ASSERT_EQ(0, pthread_create(&th[t], NULL, k->fuzz,
					    (char *)k->fz + t * k->fz_size));
	for (t = 0; t < k->nthreads; t++)
		pthread_join(th[t], NULL);
	pthread_join(chk, NULL);
	if (k->listener)
		pthread_join(lis, NULL);
	atomic_store(&kf->stop, 1);
	pthread_join(wd, NULL);
}

/*
 * The test's verdict, its threads joined: no stall, nothing unexpected,
 * and every entry point in focus (a bit each) reached.
 */
static inline void kf_run_end(struct __test_metadata *_metadata, int fd,
			      unsigned int focus)
{
	int e;

	kf_print_counts("test", kf->count);
	EXPECT_EQ(0, kt_reset_config(fd));
	EXPECT_EQ(0, atomic_load(&kf->stalls));
	EXPECT_EQ(kf->chk0, atomic_load(&kf->chk_bad));
	EXPECT_EQ(kf->bad0, atomic_load(&kf->unexpected)) {
		TH_LOG("first: %s", kf->first_bad);
	}
	for (e = 0; e < kf->nr_ep - 1; e++)
		if (focus & (1U << e))
			EXPECT_NE(0, kf->count[e].calls) {
				TH_LOG("%s never called", kf->ep_name[e]);
			}
}

/*
 * The checker's verdict over the whole run, then the cache as a whole:
 * consistent, every key readable, and nothing left after FLUSH.
 */
static inline void kf_run_verdict(struct __test_metadata *_metadata, int fd)
{
	struct kf_report rep;

	EXPECT_NE(0, atomic_load(&kf->chk_ops));
	EXPECT_EQ(0, atomic_load(&kf->chk_bad));
	kf_check_cache(fd, &rep);
	EXPECT_EQ(0, rep.problems) {
		TH_LOG("%s", rep.first);
	}
	ksft_print_msg("KCFUZZ %s end: %llu keys, %s\n", kf->name,
		       (unsigned long long)rep.keys,
		       rep.problems ? "inconsistent" : "consistent");
	kf_check_empty(fd, &rep);
	EXPECT_EQ(0, rep.problems) {
		TH_LOG("%s", rep.first);
	}
}

/* Prints the run's seed and budget, then runs the tests. */
static inline int kf_run_main(int argc, char **argv, const char *extra)
{
	ksft_print_msg("KCFUZZ %s seed %#llx, %.0f s%s%s\n", kf->name,
		       (unsigned long long)kf_seed(), kf->budget,
		       kf_long_mode() ? " (long mode)" : "", extra);
	kf_set_timeouts((int)(kf->budget + 600));
	return test_harness_run(argc, argv);
}

/* ------------------------------------------------------------ fixture */

FIXTURE(fuzz) {
	int fd;
};

FIXTURE_SETUP(fuzz)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_STREQ("", kf->unready);
	ASSERT_EQ(0, kt_reset_config(self->fd));
}

FIXTURE_TEARDOWN(fuzz)
{
	kt_reset_config(self->fd);
	kt_set_notify(self->fd, false);
	kc_close(self->fd);
}

#endif /* KC_FUZZ_RUN_H */
