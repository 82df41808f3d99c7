/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kcache benchmark programs share: the seeded generator, the key
 * and value sets, the clock, medians and the one-line JSON report.
 *
 * Every program draws the same keys in the same order for the same
 * --seed, --keys and --key-size, so kcache, memcached and redis-server
 * see identical work.  Key i is "key:" followed by i in decimal,
 * zero-padded to the key size (16 B: "key:000000001234", the form
 * redis-benchmark -r uses), or, for other sizes, padded the same way.
 */
#ifndef KC_BENCH_H
#define KC_BENCH_H

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_KEY_MIN	8	/* "key:" and at least four digits */
#define BENCH_KEY_MAX	250
#define BENCH_RUNS_MAX	32
#define BENCH_SEQ_LEN	(1U << 16)	/* pre-drawn key indexes per stream */

/* xorshift64*: small, fast, and the same on every machine. */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t bench_seed(uint64_t seed, uint64_t stream)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + stream + 1;

	/* never zero, and mixed so that nearby seeds differ at once */
	for (int i = 0; i < 4; i++)
		bench_rand(&s);
	return s ? s : 1;
}

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void bench_sleep(double secs)
{
	struct timespec ts = { (time_t)secs,
			       (long)((secs - (time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

__attribute__((format(printf, 1, 2), noreturn))
static inline void bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kc-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* All keys, ksize bytes each, in one block: key i at keys + i * ksize. */
static inline char *bench_keys(uint32_t nkeys, uint32_t ksize)
{
	char *keys, tmp[BENCH_KEY_MAX + 32];
	uint32_t i;

	if (ksize < BENCH_KEY_MIN || ksize > BENCH_KEY_MAX)
		bench_die("key size %u out of range %d..%d", ksize,
			  BENCH_KEY_MIN, BENCH_KEY_MAX);
	keys = malloc((size_t)nkeys * ksize);
	if (!keys)
		bench_die("no memory for %u keys", nkeys);
	for (i = 0; i < nkeys; i++) {
		int n = snprintf(tmp, sizeof(tmp), "key:%0*u",
				 (int)ksize - 4, i);

		if (n != (int)ksize)
			bench_die("key %u does not fit in %u bytes", i, ksize);
		memcpy(keys + (size_t)i * ksize, tmp, ksize);
	}
	return keys;
}

/* A value of printable bytes drawn from the seed (no CR or LF in it). */
static inline char *bench_value(uint32_t vsize, uint64_t seed)
{
	uint64_t s = bench_seed(seed, 0xfeed);
	char *v = malloc(vsize + 1);
	uint32_t i;

	if (!v)
		bench_die("no memory for a %u-byte value", vsize);
	for (i = 0; i < vsize; i++)
		v[i] = 'a' + bench_rand(&s) % 26;
	v[vsize] = 0;
	return v;
}

/*
 * The key distribution of bench_seq(): 0 for uniform, else the exponent s
 * of a Zipf distribution (--zipf, e.g. 0.99 as YCSB): key k (0-based) is
 * drawn with weight 1 / (k + 1)^s, so key 0 is the hottest.
 */
static double bench_zipf_s;

/* The cumulative weights of keys 0..nkeys-1, made once per key count. */
static inline const double *bench_zipf_cdf(uint32_t nkeys)
{
	static double *cdf;
	static uint32_t n;
	double sum = 0;
	uint32_t k;

	if (cdf && n == nkeys)
		return cdf;
	free(cdf);
	cdf = malloc(nkeys * sizeof(*cdf));
	if (!cdf)
		bench_die("no memory");
	for (k = 0; k < nkeys; k++) {
		sum += pow(k + 1.0, -bench_zipf_s);
		cdf[k] = sum;
	}
	for (k = 0; k < nkeys; k++)
		cdf[k] /= sum;
	n = nkeys;
	return cdf;
}

/* BENCH_SEQ_LEN key indexes for stream number stream, uniform or Zipf. */
static inline uint32_t *bench_seq(uint32_t nkeys, uint64_t seed,
				  uint64_t stream)
{
	uint32_t *seq = malloc(BENCH_SEQ_LEN * sizeof(*seq));
	uint64_t s = bench_seed(seed, stream);
	const double *cdf = NULL;
	uint32_t i, lo, hi;
	double u;

	if (!seq)
		bench_die("no memory");
	if (bench_zipf_s > 0)
		cdf = bench_zipf_cdf(nkeys);
	for (i = 0; i < BENCH_SEQ_LEN; i++) {
		if (!cdf) {
			seq[i] = bench_rand(&s) % nkeys;
			continue;
		}
		/* the first key whose cumulative weight reaches u */
		u = (bench_rand(&s) >> 11) * 0x1p-53;
		for (lo = 0, hi = nkeys - 1; lo < hi;) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		seq[i] = lo;
	}
	return seq;
}

static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentile p (0..100) of n samples, sorted in place; 0 without any. */
static inline double bench_percentile(double *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_double);
	i = (size_t)(p / 100.0 * (n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static inline double bench_median(const double *v, int n)
{
	double s[BENCH_RUNS_MAX];

	if (n <= 0)
		return 0;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), bench_cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static inline void bench_json_runs(FILE *f, const char *name,
				   const double *v, int n)
{
	fprintf(f, "\"%s\": [", name);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%.1f", i ? ", " : "", v[i]);
	fputc(']', f);
}

static inline unsigned long bench_ulong(const char *s, const char *what,
					unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		bench_die("%s must be a number in %lu..%lu, not '%s'", what,
			  min, max, s);
	return v;
}

static inline double bench_secs(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v > 3600)
		bench_die("%s must be seconds in (0, 3600], not '%s'", what, s);
	return v;
}

#endif /* KC_BENCH_H */
