// SPDX-License-Identifier: GPL-2.0
/*
 * memcached request framing.  Lines end with LF (a CR before it is
 * dropped); tokens are separated by spaces; storage commands (set, add,
 * replace, append, prepend, cas, ms) carry "<bytes>" and then a data block
 * of that many bytes and CRLF.  A refused data block whose length is known
 * is swallowed, as memcached does for "object too large", so the stream
 * stays in sync; a line with an unparsable length is answered and the
 * following bytes are read as commands, as memcached does.
 */
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
	{ "mn", MC_MN },
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

bool mc_toi64(const struct arg *a, int64_t *v)
{
	struct arg t = *a;
	uint64_t u;
	bool neg = false;

	if (t.len && t.p[0] == '-') {
		neg = true;
		t.p++;
		t.len--;
	}
	if (!mc_tou64(&t, &u) || u > (uint64_t)INT64_MAX + neg)
		return false;
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

bool mc_tou32(const struct arg *a, uint32_t *v)
{
	uint64_t u;

	if (!mc_tou64(a, &u) || u > UINT32_MAX)
		return false;
	*v = (uint32_t)u;
	return true;
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

static int reply(struct mc_parser *p, const char **err, const char *msg)
{
	snprintf(p->err, sizeof(p->err), "%s\r\n", msg);
	*err = p->err;
	return MC_REPLY;
}

/* Splits line[0..len) on spaces into p->tok; false when over max. */
static bool tokenize(struct mc_parser *p, char *line, size_t len, size_t max,
		     size_t *ntok)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t start;

		while (i < len && line[i] == ' ')
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && line[i] != ' ')
			i++;
		if (n >= max)
			return false;
		if (n >= p->tok_cap) {
			size_t ncap = p->tok_cap ? p->tok_cap * 2 : 32;
			struct arg *t = realloc(p->tok, ncap * sizeof(*t));

			if (!t)
				return false;
			p->tok = t;
			p->tok_cap = ncap;
		}
		p->tok[n].p = line + start;
		p->tok[n].len = i - start;
		n++;
	}
	*ntok = n;
	return true;
}

int mc_parse(struct mc_parser *p, char *buf, size_t len, size_t *used,
	     struct mc_req *req, const char **err)
{
	size_t scan, linelen, ntok, need, max, bi = 0;
	enum mc_type type;
	uint64_t bytes;
	char *nl;

	*used = 0;
	if (p->swallow) {
		size_t n = len < p->swallow ? len : (size_t)p->swallow;

		p->swallow -= n;
		*used = n;
		return n ? MC_SKIP : MC_NEED;
	}
	if (!len)
		return MC_NEED;
	scan = len < p->lim.max_line + 1 ? len : p->lim.max_line + 1;
	nl = memchr(buf, '\n', scan);
	if (!nl) {
		if (len > p->lim.max_line) {
			snprintf(p->err, sizeof(p->err),
				 "CLIENT_ERROR line too long\r\n");
			*err = p->err;
			return MC_CLOSE;
		}
		return MC_NEED;
	}
	linelen = (size_t)(nl - buf);
	*used = linelen + 1;
	if (linelen && buf[linelen - 1] == '\r')
		linelen--;

	memset(req, 0, sizeof(*req));
	/* Get-like commands take many keys; the rest a handful of tokens. */
	max = p->lim.max_keys + 2;
	if (!tokenize(p, buf, linelen, max, &ntok))
		return reply(p, err, "CLIENT_ERROR bad command line format");
	if (!ntok) {
		req->type = MC_EMPTY;
		return MC_REQ;
	}
	type = lookup(&p->tok[0]);
	if (ntok > MC_TOKENS_MAX && type != MC_GET && type != MC_GETS &&
	    type != MC_GAT && type != MC_GATS)
		return reply(p, err, "CLIENT_ERROR bad command line format");
	req->type = type;
	req->tok = p->tok;
	req->ntok = ntok;

	switch (type) {
	case MC_SET: case MC_ADD: case MC_REPLACE: case MC_APPEND:
	case MC_PREPEND:
		if (ntok != 5 && ntok != 6)
			return reply(p, err, "ERROR");
		bi = 4;
		break;
	case MC_CAS:
		if (ntok != 6 && ntok != 7)
			return reply(p, err, "ERROR");
		bi = 4;
		break;
	case MC_MS:
		if (ntok < 3)
			return reply(p, err, "CLIENT_ERROR bad command line format");
		bi = 2;
		break;
	default:
		return MC_REQ;
	}

	/* A data block follows. */
	if (!mc_tou64(&p->tok[bi], &bytes))
		return reply(p, err, "CLIENT_ERROR bad command line format");
	if (bytes > p->lim.max_value || p->tok[1].len > MC_KEY_MAX) {
		p->swallow = bytes + 2;
		if (p->tok[1].len > MC_KEY_MAX)
			return reply(p, err, "CLIENT_ERROR bad command line format");
		return reply(p, err, "SERVER_ERROR object too large for cache");
	}
	need = *used + (size_t)bytes + 2;
	if (len < need) {
		*used = 0;
		return MC_NEED;
	}
	req->data = buf + *used;
	req->dlen = (size_t)bytes;
	*used = need;
	if (buf[need - 2] != '\r' || buf[need - 1] != '\n')
		return reply(p, err, "CLIENT_ERROR bad data chunk");
	return MC_REQ;
}
