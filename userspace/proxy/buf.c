// SPDX-License-Identifier: GPL-2.0
/*
 * Growable byte buffers.  See buf.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void buf_init(struct buf *b)
{
	memset(b, 0, sizeof(*b));
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

bool buf_reserve(struct buf *b, size_t n)
{
	size_t ncap;
	char *p;

	if (b->oom)
		return false;
	if (b->cap - b->len >= n)
		return true;
	if (n > SIZE_MAX / 2 - b->len)
		goto fail;
	ncap = b->cap ? b->cap : 256;
	while (ncap - b->len < n)
		ncap *= 2;
	p = realloc(b->data, ncap);
	if (!p)
		goto fail;
	b->data = p;
	b->cap = ncap;
	return true;
fail:
	b->oom = true;
	return false;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	if (!n || !buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void buf_addc(struct buf *b, char c)
{
	if (!buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_add_u64(struct buf *b, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void buf_add_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_addc(b, '-');
		buf_add_u64(b, 0 - (uint64_t)v);
	} else {
		buf_add_u64(b, (uint64_t)v);
	}
}

void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void buf_compact(struct buf *b, size_t keep_cap)
{
	size_t n = buf_avail(b);

	if (!n && b->cap > keep_cap) {
		free(b->data);
		b->data = NULL;
		b->cap = b->len = b->off = 0;
		return;
	}
	if (b->off) {
		memmove(b->data, b->data + b->off, n);
		b->off = 0;
		b->len = n;
	}
}
