// SPDX-License-Identifier: GPL-2.0
/*
 * kcache-proxy: INFO commandstats, errorstats and latencystats, and
 * LATENCY HISTOGRAM.
 *
 * Each worker has one table of commands (open addressing on the pair of
 * static names) and one of error codes; only the worker inserts, and it
 * publishes an entry by storing its key last (release).  Readers (INFO on
 * any worker) load the key with acquire, then the counters, all atomics;
 * a sum is as consistent as Redis's INFO of another thread's moment.
 * CONFIG RESETSTAT zeroes the counters, never removes an entry.
 *
 * Latencies go into power-of-two buckets as Redis's histogram reports
 * them (LATENCY HISTOGRAM iterates its HdrHistogram from 1024 ns by
 * doubling): bucket i counts calls of at most 1024 << i ns, shown as that
 * bound in whole microseconds (1, 2, 4, 8, 16, 32, 65, 131, ...).
 * Percentiles (INFO latencystats) are the bound of the bucket they fall
 * in: coarser than Redis's two significant digits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdstats.h"
#include "proxy.h"
#include "resp.h"

#define CS_SLOTS	1024	/* commands and subcommands: ~550 in 7.0 */
#define ES_SLOTS	128	/* Redis keeps at most 128 error codes too */
#define ES_CODE		32
#define CS_HB		40	/* latency buckets: up to 1024 << 39 ns */

struct cmdstat {
	const char *name;	/* the key, published last */
	const char *sub;
	uint64_t calls, usec, rejected, failed;
	uint64_t hist[CS_HB];
};

struct errstat {
	char code[ES_CODE];
	int ready;		/* code is written */
	uint64_t count;
};

struct cs_tab {
	struct cmdstat cmd[CS_SLOTS];
	struct errstat err[ES_SLOTS];
	uint64_t errors;	/* every error reply (total_error_replies) */
};

static struct cs_tab *tabs[1024];	/* per worker (--threads <= 1024) */

static struct cs_tab *my_tab(void)
{
	struct cs_tab *t;
	long i;

	if (!tstats || !ptstats)
		return NULL;
	i = tstats - ptstats;
	if (i < 0 || i >= (long)(sizeof(tabs) / sizeof(tabs[0])))
		return NULL;
	t = tabs[i];
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t)
			__atomic_store_n(&tabs[i], t, __ATOMIC_RELEASE);
	}
	return t;
}

static void add(uint64_t *v, uint64_t n)
{
	/* Only the owner adds: no read-modify-write race but RESETSTAT's. */
	__atomic_store_n(v, __atomic_load_n(v, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

struct cmdstat *cs_get(const char *name, const char *sub)
{
	struct cs_tab *t = my_tab();
	size_t h, i;

	if (!t || !name)
		return NULL;
	h = ((uintptr_t)name >> 3) * 31 + ((uintptr_t)sub >> 3);
	for (i = 0; i < CS_SLOTS; i++) {
		struct cmdstat *s = &t->cmd[(h + i) % CS_SLOTS];

		if (!s->name) {
			s->sub = sub;
			__atomic_store_n(&s->name, name, __ATOMIC_RELEASE);
			return s;
		}
		if (s->name == name && s->sub == sub)
			return s;
	}
	return NULL;
}

void cs_call(struct cmdstat *s, long long usec)
{
	if (!s)
		return;
	unsigned int b = 0;

	add(&s->calls, 1);
	add(&s->usec, usec > 0 ? (uint64_t)usec : 0);
	while (b < CS_HB - 1 && (1024ULL << b) < (uint64_t)(usec > 0 ? usec : 0) * 1000)
		b++;
	add(&s->hist[b], 1);
}

void cs_error(struct cmdstat *s, bool rejected, const char *reply, size_t len)
{
	struct cs_tab *t = my_tab();
	char code[ES_CODE];
	size_t n = 0, i;

	if (s)
		add(rejected ? &s->rejected : &s->failed, 1);
	if (!t)
		return;
	add(&t->errors, 1);
	if (len && reply[0] == '-') {
		reply++;
		len--;
	}
	while (n < len && n < ES_CODE - 1 && reply[n] != ' ' && reply[n] != '\r')
		n++;
	memcpy(code, reply, n);
	code[n] = 0;
	for (i = 0; i < ES_SLOTS; i++) {
		struct errstat *e = &t->err[i];

		if (!e->ready) {
			memcpy(e->code, code, n + 1);
			add(&e->count, 1);
			__atomic_store_n(&e->ready, 1, __ATOMIC_RELEASE);
			return;
		}
		if (!strcmp(e->code, code)) {
			add(&e->count, 1);
			return;
		}
	}
}

struct row {
	char name[96];
	uint64_t a, b, c, d;
};

static int row_cmp(const void *x, const void *y)
{
	return strcmp(((const struct row *)x)->name, ((const struct row *)y)->name);
}

/* Adds a row's counters into rows[0..*n), by name. */
static void merge(struct row *rows, size_t *n, size_t cap, const char *name,
		  uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(rows[i].name, name))
			break;
	if (i == *n) {
		if (*n == cap)
			return;
		memset(&rows[i], 0, sizeof(rows[i]));
		snprintf(rows[i].name, sizeof(rows[i].name), "%s", name);
		(*n)++;
	}
	rows[i].a += a;
	rows[i].b += b;
	rows[i].c += c;
	rows[i].d += d;
}

#define LD(p)	__atomic_load_n(p, __ATOMIC_RELAXED)

static int nworkers(void)
{
	int n = cfg.threads;

	return n > (int)(sizeof(tabs) / sizeof(tabs[0])) ?
		(int)(sizeof(tabs) / sizeof(tabs[0])) : n;
}

/*
 * Calls fn for every command entry of every worker, with its full name
 * ("cmd" or "cmd|sub"); entries of a name recur once per worker.
 */
static void cs_walk(void (*fn)(void *ctx, const struct cmdstat *s,
			       const char *full), void *ctx)
{
	size_t i;
	int w;

	for (w = 0; w < nworkers(); w++) {
		struct cs_tab *t = __atomic_load_n(&tabs[w], __ATOMIC_ACQUIRE);

		for (i = 0; t && i < CS_SLOTS; i++) {
			struct cmdstat *s = &t->cmd[i];
			const char *name = __atomic_load_n(&s->name, __ATOMIC_ACQUIRE);
			char full[96];

			if (!name)
				continue;
			snprintf(full, sizeof(full), s->sub ? "%s|%s" : "%s", name,
				 s->sub);
			fn(ctx, s, full);
		}
	}
}

struct rows {
	struct row *r;
	size_t n;
};

static void add_row(void *ctx, const struct cmdstat *s, const char *full)
{
	struct rows *rs = ctx;

	merge(rs->r, &rs->n, CS_SLOTS, full, LD(&s->calls), LD(&s->usec),
	      LD(&s->rejected), LD(&s->failed));
}

void cs_info_commandstats(struct buf *b)
{
	struct rows rs = { .r = calloc(CS_SLOTS, sizeof(struct row)) };
	size_t i;

	buf_printf(b, "# Commandstats\r\n");
	if (!rs.r)
		return;
	cs_walk(add_row, &rs);
	qsort(rs.r, rs.n, sizeof(*rs.r), row_cmp);
	for (i = 0; i < rs.n; i++) {
		struct row *r = &rs.r[i];

		/* As Redis: a command only once it was called or refused. */
		if (!r->a && !r->c && !r->d)
			continue;
		buf_printf(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,"
			   "rejected_calls=%llu,failed_calls=%llu\r\n", r->name,
			   (unsigned long long)r->a, (unsigned long long)r->b,
			   r->a ? (double)r->b / (double)r->a : 0.0,
			   (unsigned long long)r->c, (unsigned long long)r->d);
	}
	free(rs.r);
}

void cs_info_errorstats(struct buf *b)
{
	struct row rows[ES_SLOTS];
	size_t n = 0, i;
	int w;

	buf_printf(b, "# Errorstats\r\n");
	for (w = 0; w < nworkers(); w++) {
		struct cs_tab *t = __atomic_load_n(&tabs[w], __ATOMIC_ACQUIRE);

		for (i = 0; t && i < ES_SLOTS; i++) {
			struct errstat *e = &t->err[i];

			if (!__atomic_load_n(&e->ready, __ATOMIC_ACQUIRE))
				break;
			merge(rows, &n, ES_SLOTS, e->code, LD(&e->count), 0, 0, 0);
		}
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i++)
		if (rows[i].a)
			buf_printf(b, "errorstat_%s:count=%llu\r\n", rows[i].name,
				   (unsigned long long)rows[i].a);
}

unsigned long long cs_total_errors(void)
{
	unsigned long long v = 0;
	int w;

	for (w = 0; w < nworkers(); w++) {
		struct cs_tab *t = __atomic_load_n(&tabs[w], __ATOMIC_ACQUIRE);

		if (t)
			v += LD(&t->errors);
	}
	return v;
}

void cs_reset(void)
{
	size_t i;
	int w;

	for (w = 0; w < nworkers(); w++) {
		struct cs_tab *t = __atomic_load_n(&tabs[w], __ATOMIC_ACQUIRE);

		if (!t)
			continue;
		for (i = 0; i < CS_SLOTS; i++) {
			size_t j;

			for (j = 0; j < CS_HB; j++)
				__atomic_store_n(&t->cmd[i].hist[j], 0, __ATOMIC_RELAXED);
			__atomic_store_n(&t->cmd[i].calls, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&t->cmd[i].usec, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&t->cmd[i].rejected, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&t->cmd[i].failed, 0, __ATOMIC_RELAXED);
		}
		for (i = 0; i < ES_SLOTS; i++)
			__atomic_store_n(&t->err[i].count, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->errors, 0, __ATOMIC_RELAXED);
	}
}

/* A command's latencies summed over the workers. */
struct lrow {
	char name[96];
	uint64_t calls;
	uint64_t hist[CS_HB];
};

struct lrows {
	struct lrow *r;
	size_t n;
};

static void add_lrow(void *ctx, const struct cmdstat *s, const char *full)
{
	struct lrows *ls = ctx;
	size_t j, k;

	if (!LD(&s->calls))
		return;
	for (k = 0; k < ls->n; k++)
		if (!strcmp(ls->r[k].name, full))
			break;
	if (k == ls->n) {
		if (k == CS_SLOTS)
			return;
		snprintf(ls->r[k].name, sizeof(ls->r[k].name), "%s", full);
		ls->n++;
	}
	ls->r[k].calls += LD(&s->calls);
	for (j = 0; j < CS_HB; j++)
		ls->r[k].hist[j] += LD(&s->hist[j]);
}

/* Every command or subcommand called since the last reset, by full name. */
static struct lrow *latency_rows(size_t *n)
{
	struct lrows ls = { .r = calloc(CS_SLOTS, sizeof(struct lrow)) };

	*n = 0;
	if (!ls.r)
		return NULL;
	cs_walk(add_lrow, &ls);
	*n = ls.n;
	return ls.r;
}

/* The bound of bucket b in microseconds, as Redis prints it. */
static unsigned long long bucket_us(size_t b)
{
	return (1024ULL << b) / 1000;
}

static void fill_cdf(struct buf *o, int proto, const struct lrow *r)
{
	uint64_t cum = 0;
	size_t b, n = 0;

	resp_bulks(o, r->name);
	resp_map(o, 2, proto);
	resp_bulks(o, "calls");
	resp_int(o, (long long)r->calls);
	resp_bulks(o, "histogram_usec");
	for (b = 0; b < CS_HB; b++)
		n += r->hist[b] != 0;
	resp_map(o, n, proto);
	for (b = 0; b < CS_HB; b++) {
		if (!r->hist[b])
			continue;
		cum += r->hist[b];
		resp_int(o, (long long)bucket_us(b));
		resp_int(o, (long long)cum);
	}
}

void cs_latency_histogram(struct buf *o, int proto, char *const *names,
			  size_t nnames)
{
	struct lrow *rows;
	size_t n, i, j, out = 0;
	struct buf tmp;

	rows = latency_rows(&n);
	if (!rows) {
		resp_map(o, 0, proto);
		return;
	}
	buf_init(&tmp);
	if (!nnames) {
		for (i = 0; i < n; i++, out++)
			fill_cdf(&tmp, proto, &rows[i]);
	}
	/* As Redis: each name given, then its subcommands; unknown: none. */
	for (j = 0; j < nnames; j++) {
		size_t len = strlen(names[j]);

		for (i = 0; i < n; i++) {
			if (!strcmp(rows[i].name, names[j]) ||
			    (!strncmp(rows[i].name, names[j], len) &&
			     rows[i].name[len] == '|' && !strchr(names[j], '|'))) {
				fill_cdf(&tmp, proto, &rows[i]);
				out++;
			}
		}
	}
	resp_map(o, out, proto);
	buf_add(o, tmp.data + tmp.off, buf_avail(&tmp));
	buf_free(&tmp);
	free(rows);
}

/* The percentile p of a row: the bound of the bucket it falls in. */
static double percentile_us(const struct lrow *r, double p)
{
	uint64_t want = (uint64_t)((double)r->calls * p / 100.0 + 0.999999), cum = 0;
	size_t b;

	if (!want)
		want = 1;
	for (b = 0; b < CS_HB; b++) {
		cum += r->hist[b];
		if (cum >= want)
			return (double)(1024ULL << b) / 1000.0;
	}
	return (double)(1024ULL << (CS_HB - 1)) / 1000.0;
}

void cs_info_latencystats(struct buf *b)
{
	struct lrow *rows;
	size_t n, i;

	buf_printf(b, "# Latencystats\r\n");
	rows = latency_rows(&n);
	if (!rows)
		return;
	for (i = 0; i < n; i++)
		buf_printf(b, "latency_percentiles_usec_%s:p50=%.3f,p99=%.3f,p99.9=%.3f\r\n",
			   rows[i].name, percentile_us(&rows[i], 50),
			   percentile_us(&rows[i], 99), percentile_us(&rows[i], 99.9));
	free(rows);
}
