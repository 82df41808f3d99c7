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
/*
 * memcached's MAX_TOKENS (24) counts a terminal token: a command line
 * other than get's carries at most 23 words, the rest is ignored.
 */
#define MC_TOKENS_MAX	23
#define MC_LINE_MAX	(64 * 1024)
#define MC_OPAQUE_MAX	32	/* memcached's MFLAG_MAX_OPAQUE_LENGTH */

enum mc_type {
	MC_UNKNOWN = 0,
	MC_GET, MC_GETS, MC_GAT, MC_GATS,
	MC_SET, MC_ADD, MC_REPLACE, MC_APPEND, MC_PREPEND, MC_CAS,
	MC_DELETE, MC_INCR, MC_DECR, MC_TOUCH,
	MC_FLUSH_ALL, MC_STATS, MC_VERSION, MC_VERBOSITY, MC_QUIT,
	MC_MG, MC_MS, MC_MD, MC_MA, MC_MN,
	MC_EMPTY,		/* a blank line */
	MC_ME, MC_CACHE_MEMLIMIT, MC_SHUTDOWN, MC_SLABS, MC_LRU_CRAWLER,
	MC_LRU, MC_WATCH,
	MC_HTTP,		/* an HTTP request line: close, no reply */
};

struct mc_limits {
	size_t max_line;	/* longest command line */
	size_t max_value;	/* largest data block (item_size_max) */
	size_t max_keys;	/* keys in one get-like line */
};

struct mc_req {
	enum mc_type type;
	struct arg *tok;	/* tok[0] is the command */
	size_t ntok;		/* at most MC_TOKENS_MAX except get-like */
	char *data;		/* storage commands: the value */
	size_t dlen;
	size_t first_key;	/* get-like: index of the first key */
	bool more;		/* get-like: more keys of the line follow */
	bool bad_key;		/* get-like: a key over 250 bytes follows these */
	bool noreply;		/* text storage: the last word is noreply */
	bool too_large;		/* storage: block over max_value, dropped */
	bool bad_chunk;		/* storage: block not followed by CRLF */
	uint32_t flags;		/* text storage: client flags */
	int32_t exptime;	/* text storage, gat/gats: exptime */
	uint64_t cas;		/* cas: the unique */
};

struct mc_parser {
	struct mc_limits lim;
	uint64_t swallow;	/* bytes of a refused data block still to drop */
	bool skip_line;		/* drop bytes up to the next LF */
	enum mc_type cont;	/* get-like line read in pieces: its type */
	int32_t cont_exptime;	/* and its exptime (gat/gats) */
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

/*
 * memcached's safe_strto* (util.c) on a token, quirks included: leading
 * white space and a sign are accepted, white space ends the number,
 * strtoul's wrap of "-N" is refused only when it looks negative, and the
 * 32-bit ones truncate a value that fits the 64-bit long.
 */
bool mc_strtoull(const struct arg *a, uint64_t *v);
bool mc_strtoll(const struct arg *a, int64_t *v);
bool mc_strtoul(const struct arg *a, uint32_t *v);
bool mc_strtol(const struct arg *a, int32_t *v);
/*
 * Base64 as memcached reads binary keys (the "b" flag): characters outside
 * the alphabet are skipped, the rest must come in groups of four.  Decode
 * returns the bytes written to out (room for len * 3 / 4), 0 when invalid.
 */
#define MC_B64_MAX(n)	(((n) + 2) / 3 * 4)
size_t mc_base64_decode(const char *src, size_t len, unsigned char *out);
size_t mc_base64_encode(const unsigned char *src, size_t len, char *out);
/* A whole token of decimal digits only. */
bool mc_tou64(const struct arg *a, uint64_t *v);

#endif /* KCP_MEMCACHE_H */
