/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The memcached text and meta protocols: request framing.  mc_parse() splits
 * a byte stream into requests (a command line and, for storage commands,
 * its data block) without touching a socket or the kernel, so the fuzz
 * target drives it alone.  What each command means is mc_cmds.c's job.
 */
#ifndef KCP_MEMCACHE_H
#define KCP_MEMCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"	/* struct arg */

#define MC_KEY_MAX	250
#define MC_TOKENS_MAX	24	/* memcached's MAX_TOKENS, except get-like */
#define MC_LINE_MAX	(64 * 1024)

enum mc_type {
	MC_UNKNOWN = 0,
	MC_GET, MC_GETS, MC_GAT, MC_GATS,
	MC_SET, MC_ADD, MC_REPLACE, MC_APPEND, MC_PREPEND, MC_CAS,
	MC_DELETE, MC_INCR, MC_DECR, MC_TOUCH,
	MC_FLUSH_ALL, MC_STATS, MC_VERSION, MC_VERBOSITY, MC_QUIT,
	MC_MG, MC_MS, MC_MD, MC_MA, MC_MN,
	MC_EMPTY,		/* a blank line */
};

struct mc_limits {
	size_t max_line;	/* longest command line */
	size_t max_value;	/* largest data block (item_size_max) */
	size_t max_keys;	/* keys in one get-like line */
};

struct mc_req {
	enum mc_type type;
	struct arg *tok;	/* tok[0] is the command */
	size_t ntok;
	char *data;		/* storage commands: the value */
	size_t dlen;
};

struct mc_parser {
	struct mc_limits lim;
	uint64_t swallow;	/* bytes of a refused data block still to drop */
	struct arg *tok;
	size_t tok_cap;
	char err[96];
};

enum mc_status {
	MC_CLOSE = -1,		/* reply err, then close the connection */
	MC_NEED = 0,		/* incomplete: call again with more bytes */
	MC_REQ = 1,		/* a request in *req */
	MC_REPLY = 2,		/* refused: reply err (with CRLF), go on */
	MC_SKIP = 3,		/* bytes dropped, nothing to do */
};

void mc_parser_init(struct mc_parser *p, const struct mc_limits *lim);
void mc_parser_free(struct mc_parser *p);
/*
 * Parses one request at buf[0..len).  *used bytes are consumed whatever
 * the status (0 for MC_NEED).  Tokens point into buf and stay valid until
 * the next call.
 */
int mc_parse(struct mc_parser *p, char *buf, size_t len, size_t *used,
	     struct mc_req *req, const char **err);

/* memcached's safe_strtoull/strtol: a whole token of decimal digits. */
bool mc_tou64(const struct arg *a, uint64_t *v);
bool mc_toi64(const struct arg *a, int64_t *v);
bool mc_tou32(const struct arg *a, uint32_t *v);

#endif /* KCP_MEMCACHE_H */
