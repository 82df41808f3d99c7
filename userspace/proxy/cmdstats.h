/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache-proxy: INFO commandstats and errorstats (cmdstats.c).  Each
 * worker counts in its own tables, which only it writes; INFO sums them.
 */
#ifndef KCP_CMDSTATS_H
#define KCP_CMDSTATS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct cmdstat;

/*
 * This worker's entry of a command (sub: Redis's subcommand name, or
 * NULL); both are static strings.  NULL outside a worker or when full.
 */
struct cmdstat *cs_get(const char *name, const char *sub);
void cs_call(struct cmdstat *s, long long usec);
/*
 * An error reply (its bytes, from the '-'): counted in errorstats and, for
 * s, as a rejected call (refused before it ran) or a failed one.
 */
void cs_error(struct cmdstat *s, bool rejected, const char *reply, size_t len);
void cs_info_commandstats(struct buf *b);
void cs_info_errorstats(struct buf *b);
unsigned long long cs_total_errors(void);
/* CONFIG RESETSTAT */
void cs_reset(void);
/* LATENCY HISTOGRAM [name...]: names lower case, "cmd" or "cmd|sub". */
void cs_latency_histogram(struct buf *o, int proto, char *const *names,
			  size_t nnames);
void cs_info_latencystats(struct buf *b);

#endif /* KCP_CMDSTATS_H */
