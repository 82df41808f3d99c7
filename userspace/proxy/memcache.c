// SPDX-License-Identifier: GPL-2.0
/*
 * memcached request framing, as memcached 1.6.18's proto_text.c frames it.
 * Lines end with LF (a CR before it is dropped when the line is longer
 * than one byte); a NUL ends the line's text; tokens are separated by
 * spaces only; a line other than get's keeps its first 23 words.  Storage
 * commands (set, add, replace, append, prepend, cas, ms) carry "<bytes>"
 * and then a data block of that many bytes and CRLF.
 *
 * What memcached checks before it reads a data block is checked here, in
 * its order, and answered without reading the block (memcached then reads
 * the block as commands).  A block over max_value is swallowed, as
 * memcached swallows "object too large", and handed on as too_large so the
 * command can answer and drop the old item.
 *
 * get-like lines (get, gets, gat, gats, bget) may be of any length: they
 * are handed on in pieces of at most max_keys keys, or of what the line
 * holds so far when it is over max_line, so a client's multiget costs the
 * proxy no more than max_line of input.  Any other line over max_line
 * closes the connection without a reply (memcached closes such a line at
 * 2048 bytes; the proxy allows more).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memcache.h"

static const struct {
	const char *name;
	enum mc_type type;
} mc_names[] = {
	{ "get", MC_GET }, { "gets", MC_GETS }, { "gat", MC_GAT },
	{ "gats", MC_GATS }, { "set", MC_SET }, { "add", MC_ADD },
	{ "replace", MC_REPLACE }, { "append", MC_APPEND },
	{ "prepend", MC_PREPEND }, { "cas", MC_CAS },
	{ "delete", MC_DELETE }, { "incr", MC_INCR }, { "decr", MC_DECR },
	{ "touch", MC_TOUCH }, { "flush_all", MC_FLUSH_ALL },
	{ "stats", MC_STATS }, { "version", MC_VERSION },
	{ "verbosity", MC_VERBOSITY }, { "quit", MC_QUIT },
	{ "mg", MC_MG }, { "ms", MC_MS }, { "md", MC_MD }, { "ma", MC_MA },
	{ "mn", MC_MN }, { "me", MC_ME }, { "bget", MC_GET },
	{ "cache_memlimit", MC_CACHE_MEMLIMIT }, { "shutdown", MC_SHUTDOWN },
	{ "slabs", MC_SLABS }, { "lru_crawler", MC_LRU_CRAWLER },
	{ "lru", MC_LRU }, { "watch", MC_WATCH },
};

void mc_parser_init(struct mc_parser *p, const struct mc_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = *lim;
}

void mc_parser_free(struct mc_parser *p)
{
	free(p->tok);
	p->tok = NULL;
	p->tok_cap = 0;
}

bool mc_tou64(const struct arg *a, uint64_t *v)
{
	uint64_t acc = 0;
	size_t i;

	if (!a->len || a->len > 20)
		return false;
	for (i = 0; i < a->len; i++) {
		unsigned d = (unsigned)(a->p[i] - '0');

		if (d > 9 || acc > (UINT64_MAX - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	*v = acc;
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
	       c == '\r';
}

/*
 * strtoull/strtoll in base 10 over a token: white space, a sign, digits;
 * false when there is no digit, on ERANGE, or when the digits are followed
 * by anything but white space.  *v is the two's complement result.
 */
static bool scan_num(const struct arg *a, bool is_signed, uint64_t *v)
{
	uint64_t acc = 0, lim;
	bool neg = false, range = false;
	size_t i = 0, start;

	while (i < a->len && is_space(a->p[i]))
		i++;
	if (i < a->len && (a->p[i] == '+' || a->p[i] == '-')) {
		neg = a->p[i] == '-';
		i++;
	}
	lim = !is_signed ? UINT64_MAX :
	      neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	start = i;
	for (; i < a->len && a->p[i] >= '0' && a->p[i] <= '9'; i++) {
		unsigned d = (unsigned)(a->p[i] - '0');

		if (acc > (lim - d) / 10)
			range = true;
		else
			acc = acc * 10 + d;
	}
	if (i == start || range || (i < a->len && !is_space(a->p[i])))
		return false;
	*v = neg ? 0 - acc : acc;
	return true;
}

bool mc_strtoull(const struct arg *a, uint64_t *v)
{
	uint64_t u;

	if (!scan_num(a, false, &u))
		return false;
	if ((int64_t)u < 0 && memchr(a->p, '-', a->len))
		return false;
	*v = u;
	return true;
}

bool mc_strtoul(const struct arg *a, uint32_t *v)
{
	uint64_t u;

	if (!mc_strtoull(a, &u))
		return false;
	*v = (uint32_t)u;
	return true;
}

bool mc_strtoll(const struct arg *a, int64_t *v)
{
	uint64_t u;

	if (!scan_num(a, true, &u))
		return false;
	*v = (int64_t)u;
	return true;
}

bool mc_strtol(const struct arg *a, int32_t *v)
{
	int64_t l;

	if (!mc_strtoll(a, &l))
		return false;
	*v = (int32_t)(uint32_t)(uint64_t)l;
	return true;
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char ch)
{
	const char *at;

	if (ch == '=')
		return 64;
	if (!ch)
		return -1;
	at = strchr(b64_alphabet, ch);
	return at ? (int)(at - b64_alphabet) : -1;
}

size_t mc_base64_decode(const char *src, size_t len, unsigned char *out)
{
	unsigned char q[4];
	size_t i, n = 0, count = 0, o = 0;

	for (i = 0; i < len; i++)
		if (b64_value(src[i]) >= 0)
			count++;
	if (!count || count % 4)
		return 0;
	for (i = 0; i < len; i++) {
		int v = b64_value(src[i]);

		if (v < 0)
			continue;
		q[n++] = (unsigned char)v;
		if (n < 4)
			continue;
		n = 0;
		if (q[0] == 64 || q[1] == 64 || (q[2] == 64 && q[3] != 64))
			return 0;
		out[o++] = (unsigned char)(q[0] << 2 | q[1] >> 4);
		if (q[2] == 64)
			return o;		/* "xx==": the end */
		out[o++] = (unsigned char)(q[1] << 4 | q[2] >> 2);
		if (q[3] == 64)
			return o;		/* "xxx=": the end */
		out[o++] = (unsigned char)(q[2] << 6 | q[3]);
	}
	return o;
}

size_t mc_base64_encode(const unsigned char *src, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = b64_alphabet[src[i] >> 2];
		out[o++] = b64_alphabet[(src[i] & 3) << 4 | src[i + 1] >> 4];
		out[o++] = b64_alphabet[(src[i + 1] & 15) << 2 | src[i + 2] >> 6];
		out[o++] = b64_alphabet[src[i + 2] & 63];
	}
	if (i < len) {
		out[o++] = b64_alphabet[src[i] >> 2];
		if (i + 1 == len) {
			out[o++] = b64_alphabet[(src[i] & 3) << 4];
			out[o++] = '=';
		} else {
			out[o++] = b64_alphabet[(src[i] & 3) << 4 | src[i + 1] >> 4];
			out[o++] = b64_alphabet[(src[i + 1] & 15) << 2];
		}
		out[o++] = '=';
	}
	return o;
}

static enum mc_type lookup(const struct arg *a)
{
	size_t i;

	for (i = 0; i < sizeof(mc_names) / sizeof(mc_names[0]); i++)
		if (strlen(mc_names[i].name) == a->len &&
		    !memcmp(mc_names[i].name, a->p, a->len))
			return mc_names[i].type;
	return MC_UNKNOWN;
}

static bool get_like(enum mc_type t)
{
	return t == MC_GET || t == MC_GETS || t == MC_GAT || t == MC_GATS;
}

static int reply(struct mc_parser *p, const char **err, const char *msg)
{
	snprintf(p->err, sizeof(p->err), "%s\r\n", msg);
	*err = p->err;
	return MC_REPLY;
}

/* A reply the client asked not to get (noreply): nothing. */
static int reply_nr(struct mc_parser *p, const char **err, const char *msg,
		    bool noreply)
{
	return noreply ? MC_SKIP : reply(p, err, msg);
}

static bool tok_push(struct mc_parser *p, size_t n, char *s, size_t len)
{
	if (n >= p->tok_cap) {
		size_t ncap = p->tok_cap ? p->tok_cap * 2 : 32;
		struct arg *t = realloc(p->tok, ncap * sizeof(*t));

		if (!t)
			return false;
		p->tok = t;
		p->tok_cap = ncap;
	}
	p->tok[n].p = s;
	p->tok[n].len = len;
	return true;
}

/*
 * Splits line[*pos..len) on spaces into p->tok from index n, up to max
 * tokens in all; *pos ends after the last token taken.  False when out of
 * memory.
 */
static bool tokenize(struct mc_parser *p, char *line, size_t len, size_t *pos,
		     size_t max, size_t *ntok)
{
	size_t i = *pos, n = *ntok;

	while (i < len && n < max) {
		size_t start;

		while (i < len && line[i] == ' ')
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && line[i] != ' ')
			i++;
		if (!tok_push(p, n, line + start, i - start))
			return false;
		n++;
	}
	*pos = i;
	*ntok = n;
	return true;
}

/* The command word of line[0..len): its type, and where it ends. */
static enum mc_type command_word(char *line, size_t len, size_t *end)
{
	struct arg a;
	size_t i = 0;

	while (i < len && line[i] == ' ')
		i++;
	a.p = line + i;
	while (i < len && line[i] != ' ')
		i++;
	a.len = (size_t)(line + i - a.p);
	*end = i;
	return lookup(&a);
}

/*
 * A piece of a get-like line: line[0..len) is the part to read (up to the
 * LF when complete, else up to a space), *used already counts what the
 * piece consumes when it is the whole part.
 */
static int get_piece(struct mc_parser *p, char *line, size_t len, bool complete,
		     size_t *used, struct mc_req *req, const char **err)
{
	size_t pos = 0, ntok = 0, first, i;
	enum mc_type type = p->cont;
	bool fail = false;

	if (!type) {
		if (!tokenize(p, line, len, &pos, 1, &ntok))
			goto oom;
		type = lookup(&p->tok[0]);
		first = 1;
		if (type == MC_GAT || type == MC_GATS) {
			if (!tokenize(p, line, len, &pos, 2, &ntok))
				goto oom;
			if (ntok < 2) {
				if (complete)
					return reply(p, err, "ERROR");
				fail = true;
			} else if (!mc_strtol(&p->tok[1], &p->cont_exptime)) {
				if (!complete)
					p->skip_line = true;
				return reply(p, err, "CLIENT_ERROR invalid exptime argument");
			}
			first = 2;
		} else if (complete) {
			/* memcached: WANT_TOKENS_MIN(3) */
			size_t probe = pos, n = ntok;

			if (!tokenize(p, line, len, &probe, 2, &n))
				goto oom;
			if (n < 2)
				return reply(p, err, "ERROR");
		}
	} else {
		first = 0;
	}
	if (!tokenize(p, line, len, &pos, first + p->lim.max_keys, &ntok))
		goto oom;
	/* A piece of an unfinished line must hold a key: else one is huge. */
	if (!complete && ntok == first)
		fail = true;
	for (i = first; i < ntok && !fail; i++)
		if (p->tok[i].len > MC_KEY_MAX)
			fail = true;
	if (fail) {
		/*
		 * memcached fetches (and touches) the keys before the bad one,
		 * then answers the error alone: hand them on as bad_key.
		 */
		p->cont = MC_UNKNOWN;
		if (!complete) {
			p->skip_line = true;
			*used = len;
		}
		if (!type || i <= first + 1 || ntok < first) {
			return reply(p, err, "CLIENT_ERROR bad command line format");
		}
		req->type = type;
		req->tok = p->tok;
		req->ntok = i - 1;
		req->first_key = first;
		req->exptime = p->cont_exptime;
		req->bad_key = true;
		return MC_REQ;
	}
	/* Keys beyond max_keys: the rest of the line is the next piece. */
	while (pos < len && line[pos] == ' ')
		pos++;
	if (pos < len) {
		*used = pos;
		complete = false;
	}
	req->type = type;
	req->tok = p->tok;
	req->ntok = ntok;
	req->first_key = first;
	req->exptime = p->cont_exptime;
	req->more = !complete;
	p->cont = complete ? MC_UNKNOWN : type;
	return MC_REQ;
oom:
	snprintf(p->err, sizeof(p->err), "SERVER_ERROR out of memory reading request\r\n");
	*err = p->err;
	return MC_CLOSE;
}

/* No LF in the first max_line + 1 bytes. */
static int long_line(struct mc_parser *p, char *buf, size_t len, size_t *used,
		     struct mc_req *req, const char **err)
{
	size_t end, cut = p->lim.max_line;

	if (!p->cont) {
		enum mc_type t = command_word(buf, len, &end);
		size_t lead = 0;

		while (lead < len && buf[lead] == ' ')
			lead++;
		if (lead > 100 || !get_like(t) || end >= cut) {
			*err = "";	/* memcached closes without a word */
			return MC_CLOSE;
		}
	}
	while (cut > 0 && buf[cut - 1] != ' ')
		cut--;
	if (!cut)		/* one token over the window: a bad key */
		cut = p->lim.max_line;
	*used = cut;
	return get_piece(p, buf, cut, false, used, req, err);
}

/* set/add/replace/append/prepend/cas: memcached's process_update_command. */
static int text_store(struct mc_parser *p, struct mc_req *req, uint64_t *bytes,
		      const char **err)
{
	bool cas = req->type == MC_CAS;
	size_t ntok = req->ntok;
	int32_t vlen;

	if (ntok != (cas ? 6u : 5u) && ntok != (cas ? 7u : 6u))
		return reply(p, err, "ERROR");
	req->noreply = ntok == (cas ? 7u : 6u) &&
		       p->tok[ntok - 1].len == 7 &&
		       !memcmp(p->tok[ntok - 1].p, "noreply", 7);
	if (p->tok[1].len > MC_KEY_MAX ||
	    !mc_strtoul(&p->tok[2], &req->flags) ||
	    !mc_strtol(&p->tok[3], &req->exptime) ||
	    !mc_strtol(&p->tok[4], &vlen) ||
	    (cas && !mc_strtoull(&p->tok[5], &req->cas)) ||
	    vlen < 0 || vlen > INT_MAX - 2)
		return reply_nr(p, err, "CLIENT_ERROR bad command line format",
				req->noreply);
	*bytes = (uint64_t)vlen;
	return MC_REQ;
}

/* ms: what memcached's process_mset_command checks before the flags. */
static int meta_store(struct mc_parser *p, struct mc_req *req, uint64_t *bytes,
		      const char **err)
{
	int32_t vlen;

	if (req->ntok < 2)
		return reply(p, err, "ERROR");
	if (p->tok[1].len > MC_KEY_MAX || req->ntok == 2)
		return reply(p, err, "CLIENT_ERROR bad command line format");
	if (req->ntok + 1 > 20)
		return reply(p, err, "CLIENT_ERROR options flags too long");
	if (!mc_strtol(&p->tok[2], &vlen) || vlen < 0 || vlen > INT_MAX - 2)
		return reply(p, err, "CLIENT_ERROR bad command line format");
	*bytes = (uint64_t)vlen;
	return MC_REQ;
}

/* memcached closes the connection on an HTTP request line. */
static bool http_line(const struct mc_req *req)
{
	const struct arg *c = &req->tok[0], *last = &req->tok[req->ntok - 1];

	if (c->len < 2 || strchr("gsacidt", c->p[0]) ||
	    (c->p[0] == 'm' && c->len == 2))
		return false;
	return last->len >= 5 && !memcmp(last->p, "HTTP/", 5);
}

int mc_parse(struct mc_parser *p, char *buf, size_t len, size_t *used,
	     struct mc_req *req, const char **err)
{
	size_t scan, linelen, ntok = 0, pos = 0, need, end;
	enum mc_type type;
	uint64_t bytes;
	char *nl;
	int st;

	*used = 0;
	if (p->swallow) {
		size_t n = len < p->swallow ? len : (size_t)p->swallow;

		p->swallow -= n;
		*used = n;
		return n ? MC_SKIP : MC_NEED;
	}
	if (!len)
		return MC_NEED;
	if (p->skip_line) {
		nl = memchr(buf, '\n', len);
		if (nl) {
			p->skip_line = false;
			*used = (size_t)(nl - buf) + 1;
		} else {
			*used = len;
		}
		return MC_SKIP;
	}
	memset(req, 0, sizeof(*req));
	scan = len < p->lim.max_line + 1 ? len : p->lim.max_line + 1;
	nl = memchr(buf, '\n', scan);
	if (!nl) {
		if (len <= p->lim.max_line)
			return MC_NEED;
		return long_line(p, buf, len, used, req, err);
	}
	linelen = (size_t)(nl - buf);
	*used = linelen + 1;
	if (linelen && buf[linelen - 1] == '\r' && (linelen > 1 || p->cont))
		linelen--;
	linelen = strnlen(buf, linelen);

	if (p->cont)
		return get_piece(p, buf, linelen, true, used, req, err);
	type = command_word(buf, linelen, &end);
	if (get_like(type))
		return get_piece(p, buf, linelen, true, used, req, err);

	if (!tokenize(p, buf, linelen, &pos, MC_TOKENS_MAX, &ntok)) {
		*err = "SERVER_ERROR out of memory reading request\r\n";
		return MC_CLOSE;
	}
	if (!ntok) {
		req->type = MC_EMPTY;
		return MC_REQ;
	}
	req->type = type;
	req->tok = p->tok;
	req->ntok = ntok;
	if (type == MC_UNKNOWN && http_line(req)) {
		req->type = MC_HTTP;
		return MC_REQ;
	}

	switch (type) {
	case MC_SET: case MC_ADD: case MC_REPLACE: case MC_APPEND:
	case MC_PREPEND: case MC_CAS:
		st = text_store(p, req, &bytes, err);
		break;
	case MC_MS:
		st = meta_store(p, req, &bytes, err);
		break;
	default:
		return MC_REQ;
	}
	if (st != MC_REQ)
		return st;

	/* A data block follows. */
	if (bytes > p->lim.max_value) {
		p->swallow = bytes + 2;
		req->too_large = true;
		return MC_REQ;
	}
	need = *used + (size_t)bytes + 2;
	if (len < need) {
		*used = 0;
		return MC_NEED;
	}
	req->data = buf + *used;
	req->dlen = (size_t)bytes;
	*used = need;
	req->bad_chunk = buf[need - 2] != '\r' || buf[need - 1] != '\n';
	return MC_REQ;
}
