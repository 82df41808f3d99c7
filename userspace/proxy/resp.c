// SPDX-License-Identifier: GPL-2.0
/*
 * RESP parser and encoder.  The parser follows what redis-server accepts
 * (networking.c: processMultibulkBuffer, processInlineBuffer) with our
 * limits, and answers the same "Protocol error: ..." texts; it is stricter
 * in one place: a bulk must end with CRLF.  Every length read from the
 * wire is checked against a limit before it is used.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

void resp_parser_init(struct resp_parser *p, const struct resp_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = *lim;
	p->bulklen = -1;
}

void resp_parser_free(struct resp_parser *p)
{
	free(p->av);
	free(p->argv);
	p->av = NULL;
	p->argv = NULL;
	p->av_cap = p->argv_cap = 0;
}

int resp_str2ll(const char *s, size_t len, long long *v)
{
	unsigned long long acc = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (!len || len > 20)
		return 0;
	if (len == 1 && s[0] == '0') {
		*v = 0;
		return 1;
	}
	if (s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i >= len || s[i] < '1' || s[i] > '9')
		return 0;
	lim = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
	for (; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (acc > (lim - d) / 10)
			return 0;
		acc = acc * 10 + d;
	}
	*v = neg ? (long long)(0 - acc) : (long long)acc;
	return 1;
}

static void reset(struct resp_parser *p)
{
	p->left = 0;
	p->bulklen = -1;
	p->pos = 0;
	p->argc = 0;
}

static int fail(struct resp_parser *p, const char **err, const char *msg)
{
	snprintf(p->err, sizeof(p->err), "%s", msg);
	*err = p->err;
	reset(p);
	return RESP_ERR;
}

static int grow_argv(struct resp_parser *p, size_t n)
{
	struct arg *a;

	if (n <= p->argv_cap)
		return 0;
	a = realloc(p->argv, n * sizeof(*a));
	if (!a)
		return -1;
	p->argv = a;
	p->argv_cap = n;
	return 0;
}

/* Room for one more offset pair, growing gently (counts come from the wire). */
static int grow_av(struct resp_parser *p)
{
	size_t ncap;
	void *a;

	if (p->argc < p->av_cap)
		return 0;
	ncap = p->av_cap ? p->av_cap * 2 : 16;
	a = realloc(p->av, ncap * sizeof(*p->av));
	if (!a)
		return -1;
	p->av = a;
	p->av_cap = ncap;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Splits an inline line as redis's sdssplitargs() does (quotes, escapes),
 * writing the unquoted arguments in place.  Returns the count or -1 on
 * unbalanced quotes; argv gets one entry per argument.
 */
static long split_inline(struct resp_parser *p, char *s, size_t len)
{
	size_t i = 0, argc = 0;

	while (1) {
		char *w;
		int inq = 0, insq = 0, done = 0;

		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len)
			return (long)argc;
		if (argc + 1 > p->lim.max_args || grow_argv(p, argc + 1))
			return -2;
		w = s + i;
		p->argv[argc].p = w;
		while (!done) {
			int c = i < len ? (unsigned char)s[i] : -1;

			if (inq) {
				if (c < 0)
					return -1;
				if (c == '\\' && i + 3 < len && s[i + 1] == 'x' &&
				    hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
					*w++ = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
					i += 3;
				} else if (c == '\\' && i + 1 < len) {
					char e = s[++i];

					switch (e) {
					case 'n': e = '\n'; break;
					case 'r': e = '\r'; break;
					case 't': e = '\t'; break;
					case 'b': e = '\b'; break;
					case 'a': e = '\a'; break;
					}
					*w++ = e;
				} else if (c == '"') {
					if (i + 1 < len && !isspace((unsigned char)s[i + 1]))
						return -1;
					done = 1;
				} else {
					*w++ = (char)c;
				}
			} else if (insq) {
				if (c < 0)
					return -1;
				if (c == '\\' && i + 1 < len && s[i + 1] == '\'') {
					*w++ = '\'';
					i++;
				} else if (c == '\'') {
					if (i + 1 < len && !isspace((unsigned char)s[i + 1]))
						return -1;
					done = 1;
				} else {
					*w++ = (char)c;
				}
			} else {
				switch (c) {
				case -1: case ' ': case '\n': case '\r':
				case '\t': case '\0':
					done = 1;
					break;
				case '"':
					inq = 1;
					break;
				case '\'':
					insq = 1;
					break;
				default:
					*w++ = (char)c;
				}
			}
			if (i < len)
				i++;
		}
		p->argv[argc].len = (size_t)(w - p->argv[argc].p);
		argc++;
	}
}

static int parse_inline(struct resp_parser *p, char *buf, size_t len,
			size_t *used, struct arg **argv, size_t *argc,
			const char **err)
{
	char *nl = memchr(buf, '\n', len);
	size_t linelen;
	long n;

	if (!nl) {
		if (len > p->lim.max_inline)
			return fail(p, err, "Protocol error: too big inline request");
		return RESP_NEED;
	}
	linelen = (size_t)(nl - buf);
	*used = linelen + 1;
	if (linelen && buf[linelen - 1] == '\r')
		linelen--;
	if (linelen > p->lim.max_inline)
		return fail(p, err, "Protocol error: too big inline request");
	n = split_inline(p, buf, linelen);
	if (n == -1)
		return fail(p, err, "Protocol error: unbalanced quotes in request");
	if (n < 0)
		return fail(p, err, "Protocol error: invalid multibulk length");
	*argv = p->argv;
	*argc = (size_t)n;
	reset(p);
	return RESP_CMD;
}

/*
 * Finds the CRLF-terminated line at buf[from..len).  Returns its length
 * (without CRLF), -1 when incomplete, -2 on a CR not followed by LF, -3
 * when longer than the limit.
 */
static long find_line(const struct resp_parser *p, const char *buf,
		      size_t from, size_t len)
{
	size_t avail = len - from, scan = avail;
	const char *cr;

	if (scan > p->lim.max_inline + 1)
		scan = p->lim.max_inline + 1;
	cr = memchr(buf + from, '\r', scan);
	if (!cr)
		return avail > p->lim.max_inline ? -3 : -1;
	if ((size_t)(cr - buf) + 1 >= len)
		return -1;
	if (cr[1] != '\n')
		return -2;
	return cr - (buf + from);
}

int resp_parse(struct resp_parser *p, char *buf, size_t len, size_t *used,
	       struct arg **argv, size_t *argc, const char **err)
{
	long long ll;
	long n;
	size_t i;

	*used = 0;
	if (!len)
		return RESP_NEED;
	if (!p->left) {
		if (buf[0] != '*')
			return parse_inline(p, buf, len, used, argv, argc, err);
		n = find_line(p, buf, 1, len);
		if (n == -1)
			return RESP_NEED;
		if (n == -3)
			return fail(p, err, "Protocol error: too big mbulk count string");
		if (n == -2 || !resp_str2ll(buf + 1, (size_t)n, &ll) ||
		    (ll > 0 && (unsigned long long)ll > p->lim.max_args))
			return fail(p, err, "Protocol error: invalid multibulk length");
		if (ll <= 0) {
			*used = (size_t)n + 3;
			*argc = 0;
			*argv = p->argv;
			reset(p);
			return RESP_CMD;
		}
		p->left = ll;
		p->pos = (size_t)n + 3;
		p->argc = 0;
		p->bulklen = -1;
	}
	while (p->left) {
		if (p->bulklen < 0) {
			if (p->pos >= len)
				return RESP_NEED;
			if (buf[p->pos] != '$') {
				char msg[64];

				snprintf(msg, sizeof(msg),
					 "Protocol error: expected '$', got '%c'",
					 isprint((unsigned char)buf[p->pos]) ?
					 buf[p->pos] : ' ');
				return fail(p, err, msg);
			}
			n = find_line(p, buf, p->pos + 1, len);
			if (n == -1)
				return RESP_NEED;
			if (n == -3)
				return fail(p, err, "Protocol error: too big bulk count string");
			if (n == -2 || !resp_str2ll(buf + p->pos + 1, (size_t)n, &ll) ||
			    ll < 0 || (unsigned long long)ll > p->lim.max_bulk)
				return fail(p, err, "Protocol error: invalid bulk length");
			p->bulklen = ll;
			p->pos += (size_t)n + 3;
		}
		if (len - p->pos < (size_t)p->bulklen + 2)
			return RESP_NEED;
		if (buf[p->pos + p->bulklen] != '\r' ||
		    buf[p->pos + p->bulklen + 1] != '\n')
			return fail(p, err, "Protocol error: expected CRLF after a bulk string");
		if (grow_av(p))
			return fail(p, err, "Protocol error: out of memory");
		p->av[p->argc].off = p->pos;
		p->av[p->argc].len = (size_t)p->bulklen;
		p->argc++;
		p->pos += (size_t)p->bulklen + 2;
		p->bulklen = -1;
		p->left--;
	}
	if (grow_argv(p, p->argc ? p->argc : 1))
		return fail(p, err, "Protocol error: out of memory");
	for (i = 0; i < p->argc; i++) {
		p->argv[i].p = buf + p->av[i].off;
		p->argv[i].len = p->av[i].len;
	}
	*used = p->pos;
	*argv = p->argv;
	*argc = p->argc;
	reset(p);
	return RESP_CMD;
}

/* ------------------------------------------------------------ encoder */

static void line(struct buf *o, char type, const char *s, size_t len)
{
	size_t i;

	if (!buf_reserve(o, len + 3))
		return;
	o->data[o->len++] = type;
	/* A status or error line must not break the framing. */
	for (i = 0; i < len; i++)
		o->data[o->len++] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
	o->data[o->len++] = '\r';
	o->data[o->len++] = '\n';
}

static void header(struct buf *o, char type, long long n)
{
	buf_addc(o, type);
	buf_add_i64(o, n);
	buf_add(o, "\r\n", 2);
}

void resp_simple(struct buf *o, const char *s)
{
	line(o, '+', s, strlen(s));
}

void resp_error(struct buf *o, const char *s)
{
	line(o, '-', s, strlen(s));
}

void resp_errorf(struct buf *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	line(o, '-', tmp, (size_t)n);
}

void resp_int(struct buf *o, long long v)
{
	header(o, ':', v);
}

void resp_bulk(struct buf *o, const void *p, size_t len)
{
	header(o, '$', (long long)len);
	buf_add(o, p, len);
	buf_add(o, "\r\n", 2);
}

void resp_bulks(struct buf *o, const char *s)
{
	resp_bulk(o, s, strlen(s));
}

void resp_null(struct buf *o, int proto)
{
	buf_adds(o, proto >= 3 ? "_\r\n" : "$-1\r\n");
}

void resp_null_array(struct buf *o, int proto)
{
	buf_adds(o, proto >= 3 ? "_\r\n" : "*-1\r\n");
}

void resp_array(struct buf *o, size_t n)
{
	header(o, '*', (long long)n);
}

void resp_map(struct buf *o, size_t n, int proto)
{
	if (proto >= 3)
		header(o, '%', (long long)n);
	else
		header(o, '*', (long long)n * 2);
}

void resp_push(struct buf *o, size_t n, int proto)
{
	header(o, proto >= 3 ? '>' : '*', (long long)n);
}

void resp_set(struct buf *o, size_t n, int proto)
{
	header(o, proto >= 3 ? '~' : '*', (long long)n);
}

void resp_verbatim(struct buf *o, const char *txt, size_t len, int proto)
{
	if (proto < 3) {
		resp_bulk(o, txt, len);
		return;
	}
	header(o, '=', (long long)len + 4);
	buf_add(o, "txt:", 4);
	buf_add(o, txt, len);
	buf_add(o, "\r\n", 2);
}
