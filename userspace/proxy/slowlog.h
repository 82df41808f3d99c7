/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SLOWLOG (slowlog.c): the commands slower than slowlog-log-slower-than
 * microseconds, for every worker, as Redis 7.0 keeps them.
 */
#ifndef KCP_SLOWLOG_H
#define KCP_SLOWLOG_H

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct arg;

/* -1: off, nothing is timed.  Read relaxed (slowlog_on()). */
extern long long slowlog_slower_than;

static inline bool slowlog_on(void)
{
	return __atomic_load_n(&slowlog_slower_than, __ATOMIC_RELAXED) >= 0;
}

long long slowlog_now_us(void);
/* CONFIG SET slowlog-log-slower-than / slowlog-max-len. */
void slowlog_config(long long slower_than, long long max_len);
/* A command that ran for us microseconds: logged if slow enough. */
void slowlog_push(const struct conn *c, const struct arg *argv, size_t argc,
		  long long us);

#endif /* KCP_SLOWLOG_H */
