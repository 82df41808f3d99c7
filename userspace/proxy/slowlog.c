// SPDX-License-Identifier: GPL-2.0
/*
 * SLOWLOG: the Redis commands of this proxy (every worker) that took at
 * least slowlog-log-slower-than microseconds, newest first, at most
 * slowlog-max-len of them, in Redis 7.0's entry format.
 *
 * A command's time is what its worker spent in it: checking and planning
 * it, and the kernel calls it makes itself (the synchronous commands, a
 * split command's transaction).  Ops batched with other clients' commands
 * run after the handler returned and are not counted: one KC_IOC_BATCH
 * serves them all.  A command EXEC ran is logged with its planning time;
 * EXEC itself is not logged, as in Redis.
 *
 * One mutex covers the list and the id counter; a command only takes it
 * when it is slow enough to be logged.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis.h"
#include "slowlog.h"

#define SLOW_ARGS	32	/* argument slots of an entry, as Redis */
#define SLOW_ARG_LEN	128	/* bytes kept of an argument */

struct slow_entry {
	struct slow_entry *next, *prev;
	long long id, time, us;
	size_t argc;
	struct arg *argv;	/* argv[i].p into the same allocation */
	char addr[64];
	char *name;
};

/* Read relaxed for every command; written by CONFIG SET. */
long long slowlog_slower_than = 10000;
static long long max_len = 128;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slow_entry *head, *tail;	/* newest, oldest */
static long long count, next_id;

long long slowlog_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void slowlog_config(long long slower_than, long long len)
{
	__atomic_store_n(&slowlog_slower_than, slower_than, __ATOMIC_RELAXED);
	pthread_mutex_lock(&lock);
	max_len = len;
	pthread_mutex_unlock(&lock);
}

static void entry_free(struct slow_entry *e)
{
	free(e->argv);
	free(e->name);
	free(e);
}

/* Under lock: drops the oldest entries past max_len. */
static void trim(void)
{
	while (count > max_len && tail) {
		struct slow_entry *e = tail;

		tail = e->prev;
		if (tail)
			tail->next = NULL;
		else
			head = NULL;
		entry_free(e);
		count--;
	}
}

/* Redis hides the secrets of AUTH and HELLO ... AUTH user pass. */
static bool redacted(const struct arg *argv, size_t argc, size_t i)
{
	if (arg_eq(&argv[0], "auth"))
		return i >= 1;
	(void)argc;
	if (arg_eq(&argv[0], "hello"))	/* HELLO 3 AUTH user pass */
		return (i >= 2 && arg_eq(&argv[i - 1], "auth")) ||
		       (i >= 3 && arg_eq(&argv[i - 2], "auth"));
	return false;
}

/* The entry's copy of argv: at most 32 slots of at most 128 bytes. */
static struct arg *copy_args(const struct arg *argv, size_t argc, size_t *n)
{
	char notes[SLOW_ARGS][48];
	size_t slots = argc > SLOW_ARGS ? SLOW_ARGS : argc, i, bytes = 0;
	struct arg *a;
	char *p;

	for (i = 0; i < slots; i++) {
		notes[i][0] = 0;
		if (slots < argc && i == SLOW_ARGS - 1)
			snprintf(notes[i], sizeof(notes[i]), "... (%zu more arguments)",
				 argc - SLOW_ARGS + 1);
		else if (redacted(argv, argc, i))
			snprintf(notes[i], sizeof(notes[i]), "(redacted)");
		else if (argv[i].len > SLOW_ARG_LEN)
			snprintf(notes[i], sizeof(notes[i]), "... (%zu more bytes)",
				 argv[i].len - SLOW_ARG_LEN);
		bytes += SLOW_ARG_LEN + strlen(notes[i]);
	}
	a = malloc(slots * sizeof(*a) + bytes);
	if (!a)
		return NULL;
	p = (char *)(a + slots);
	for (i = 0; i < slots; i++) {
		size_t keep = 0, nl = strlen(notes[i]);

		if (!(slots < argc && i == SLOW_ARGS - 1) &&
		    !redacted(argv, argc, i))
			keep = argv[i].len > SLOW_ARG_LEN ? SLOW_ARG_LEN : argv[i].len;
		a[i].p = p;
		memcpy(p, argv[i].p, keep);
		memcpy(p + keep, notes[i], nl);
		a[i].len = keep + nl;
		p += keep + nl;
	}
	*n = slots;
	return a;
}

void slowlog_push(const struct conn *c, const struct arg *argv, size_t argc,
		  long long us)
{
	long long th = __atomic_load_n(&slowlog_slower_than, __ATOMIC_RELAXED);
	struct slow_entry *e;

	if (th < 0 || us < th || !argc || arg_eq(&argv[0], "exec"))
		return;
	e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->argv = copy_args(argv, argc, &e->argc);
	e->name = c->name ? strdup(c->name) : NULL;
	if (!e->argv || (c->name && !e->name)) {
		entry_free(e);
		return;
	}
	e->time = (long long)time(NULL);
	e->us = us;
	snprintf(e->addr, sizeof(e->addr), "%s", c->addr);
	pthread_mutex_lock(&lock);
	e->id = next_id++;
	e->next = head;
	if (head)
		head->prev = e;
	head = e;
	if (!tail)
		tail = e;
	count++;
	trim();
	pthread_mutex_unlock(&lock);
}

static void reset(void)
{
	pthread_mutex_lock(&lock);
	while (head) {
		struct slow_entry *e = head;

		head = e->next;
		entry_free(e);
	}
	tail = NULL;
	count = 0;
	pthread_mutex_unlock(&lock);
}

static void get(struct conn *c, long long n)
{
	struct buf *o = rout(c);
	struct slow_entry *e;
	long long k, i;
	size_t j;

	pthread_mutex_lock(&lock);
	k = n < 0 || n > count ? count : n;
	resp_array(o, (size_t)k);
	for (e = head, i = 0; e && i < k; e = e->next, i++) {
		resp_array(o, 6);
		resp_int(o, e->id);
		resp_int(o, e->time);
		resp_int(o, e->us);
		resp_array(o, e->argc);
		for (j = 0; j < e->argc; j++)
			resp_bulk(o, e->argv[j].p, e->argv[j].len);
		resp_bulks(o, e->addr);
		resp_bulks(o, e->name ? e->name : "");
	}
	pthread_mutex_unlock(&lock);
}

void cmd_slowlog(struct conn *c, struct arg *argv, size_t argc)
{
	char sub[16];
	long long n = 10;

	arg_lower(&argv[1], sub, sizeof(sub));
	if (!strcmp(sub, "get") && argc <= 3) {
		if (argc == 3 && (!resp_str2ll(argv[2].p, argv[2].len, &n) || n < -1)) {
			reply_err(c, "ERR count should be greater than or equal to -1");
			return;
		}
		get(c, n);
	} else if (!strcmp(sub, "len") && argc == 2) {
		pthread_mutex_lock(&lock);
		n = count;
		pthread_mutex_unlock(&lock);
		resp_int(rout(c), n);
	} else if (!strcmp(sub, "reset") && argc == 2) {
		reset();
		resp_simple(rout(c), "OK");
	} else if (!strcmp(sub, "get") || !strcmp(sub, "len") ||
		   !strcmp(sub, "reset")) {
		resp_errorf(rout(c), "ERR wrong number of arguments for 'slowlog|%s' command",
			    sub);
	} else {
		resp_errorf(rout(c), "ERR unknown subcommand '%.*s'. Try SLOWLOG HELP.",
			    (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].p);
	}
}
