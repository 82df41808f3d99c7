/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Growable byte buffers: a connection's input and output, reply scratch.
 * Data lives in [data + off, data + len); appends grow the allocation, and
 * buf_consume() moves off forward (the space is reclaimed by buf_compact()).
 * Every append is bounded by the caller's limits, never by this code: a
 * failed allocation sets buf->oom and later appends are dropped, so encoders
 * need not check each call; the owner checks oom once.
 */
#ifndef KCP_BUF_H
#define KCP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;		/* bytes used, from data */
	size_t off;		/* consumed bytes at the front */
	size_t cap;
	bool oom;		/* an append failed: the contents are cut */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Room for n more bytes after len; returns false (and sets oom) on failure. */
bool buf_reserve(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_add_u64(struct buf *b, uint64_t v);
void buf_add_i64(struct buf *b, int64_t v);

static inline size_t buf_avail(const struct buf *b)
{
	return b->len - b->off;
}

static inline char *buf_head(const struct buf *b)
{
	return b->data + b->off;
}

void buf_consume(struct buf *b, size_t n);
/* Moves the unconsumed bytes to the front; frees a big empty allocation. */
void buf_compact(struct buf *b, size_t keep_cap);

#endif /* KCP_BUF_H */
