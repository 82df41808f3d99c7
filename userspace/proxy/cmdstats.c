// SPDX-License-Identifier: GPL-2.0
/*
 * kcache-proxy: INFO commandstats and errorstats.
 *
 * Each worker has one table of commands (open addressing on the pair of
 * static names) and one of error codes; only the worker inserts, and it
 * publishes an entry by storing its key last (release).  Readers (INFO on
 * any worker) load the key with acquire, then the counters, all atomics;
 * a sum is as consistent as Redis's INFO of another thread's moment.
 * CONFIG RESETSTAT zeroes the counters, never removes an entry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdstats.h"
#include "proxy.h"

#define CS_SLOTS	1024	/* commands and subcommands: ~550 in 7.0 */
#define ES_SLOTS	128	/* Redis keeps at most 128 error codes too */
#define ES_CODE		32

struct cmdstat {
	const char *name;	/* the key, published last */
	const char *sub;
	uint64_t calls, usec, rejected, failed;
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
	add(&s->calls, 1);
	add(&s->usec, usec > 0 ? (uint64_t)usec : 0);
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

void cs_info_commandstats(struct buf *b)
{
	struct row *rows = calloc(CS_SLOTS, sizeof(*rows));
	size_t n = 0, i;
	int w;

	buf_printf(b, "# Commandstats\r\n");
	if (!rows)
		return;
	for (w = 0; w < nworkers(); w++) {
		struct cs_tab *t = __atomic_load_n(&tabs[w], __ATOMIC_ACQUIRE);

		for (i = 0; t && i < CS_SLOTS; i++) {
			struct cmdstat *s = &t->cmd[i];
			const char *name = __atomic_load_n(&s->name, __ATOMIC_ACQUIRE);
			char full[96];

			if (!name)
				continue;
			if (s->sub)
				snprintf(full, sizeof(full), "%s|%s", name, s->sub);
			else
				snprintf(full, sizeof(full), "%s", name);
			merge(rows, &n, CS_SLOTS, full, LD(&s->calls), LD(&s->usec),
			      LD(&s->rejected), LD(&s->failed));
		}
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; i < n; i++) {
		struct row *r = &rows[i];

		/* As Redis: a command only once it was called or refused. */
		if (!r->a && !r->c && !r->d)
			continue;
		buf_printf(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,"
			   "rejected_calls=%llu,failed_calls=%llu\r\n", r->name,
			   (unsigned long long)r->a, (unsigned long long)r->b,
			   r->a ? (double)r->b / (double)r->a : 0.0,
			   (unsigned long long)r->c, (unsigned long long)r->d);
	}
	free(rows);
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
