/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RESP: the Redis protocol.  The parser turns request bytes (RESP2
 * multibulk or inline commands) into argument vectors and touches no socket
 * or kernel, so the fuzz target drives it alone; the encoder appends RESP2
 * or RESP3 replies to a struct buf.
 */
#ifndef KCP_RESP_H
#define KCP_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* One argument: bytes inside the caller's input buffer. */
struct arg {
	char *p;
	size_t len;
};

struct resp_limits {
	size_t max_bulk;	/* largest $ length */
	size_t max_args;	/* largest * count */
	size_t max_inline;	/* longest inline line or header line */
};

/* Redis's own limit for inline requests and header lines. */
#define RESP_INLINE_MAX		(64 * 1024)

struct resp_parser {
	struct resp_limits lim;
	/* A multibulk request in progress; offsets from the request start. */
	long long left;		/* arguments still to read (0: none started) */
	long long bulklen;	/* length of the next argument, -1: unknown */
	size_t pos;		/* parse position */
	size_t argc;
	struct { size_t off, len; } *av;
	size_t av_cap;
	struct arg *argv;	/* handed out with RESP_CMD */
	size_t argv_cap;
	char err[96];
};

enum resp_status {
	RESP_ERR = -1,		/* protocol error: reply err, then close */
	RESP_NEED = 0,		/* incomplete: call again with more bytes */
	RESP_CMD = 1,		/* one request (argc may be 0: nothing to run) */
};

void resp_parser_init(struct resp_parser *p, const struct resp_limits *lim);
void resp_parser_free(struct resp_parser *p);
/*
 * Parses one request starting at buf[0] of len bytes.  The parser keeps its
 * progress between RESP_NEED calls, so the next call must pass the same
 * request start with more bytes after it.  On RESP_CMD *used bytes form
 * the request and *argv, *argc describe it (valid until the next call); on
 * RESP_ERR *err is a Redis error text ("Protocol error: ...").  Inline
 * requests are unquoted in place, so buf is written to.
 */
int resp_parse(struct resp_parser *p, char *buf, size_t len, size_t *used,
	       struct arg **argv, size_t *argc, const char **err);

/* Redis's string2ll(): optional '-', no leading zeros, no spaces, fits. */
int resp_str2ll(const char *s, size_t len, long long *v);

/* Encoder.  proto is 2 or 3. */
void resp_simple(struct buf *o, const char *s);
void resp_error(struct buf *o, const char *s);	/* s without the '-' */
void resp_errorf(struct buf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void resp_int(struct buf *o, long long v);
void resp_bulk(struct buf *o, const void *p, size_t len);
void resp_bulks(struct buf *o, const char *s);
void resp_null(struct buf *o, int proto);
void resp_null_array(struct buf *o, int proto);
void resp_array(struct buf *o, size_t n);
void resp_map(struct buf *o, size_t n, int proto);
void resp_set(struct buf *o, size_t n, int proto);
void resp_push(struct buf *o, size_t n, int proto);	/* pub/sub: '>' */
void resp_verbatim(struct buf *o, const char *txt, size_t len, int proto);

#endif /* KCP_RESP_H */
