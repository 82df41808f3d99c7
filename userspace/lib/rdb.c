// SPDX-License-Identifier: GPL-2.0
/*
 * rdb - Redis's RDB format: a writer (version 10) and a bounds-checked
 * reader for every Redis 7.0 encoding of strings, lists, hashes, sets and
 * sorted sets.
 * See rdb.h and Documentation/persistence.rst.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kcache.h>

#include "rdb.h"

/* Record types and opcodes of the format. */
enum {
	T_STRING = 0, T_LIST = 1, T_SET = 2, T_ZSET = 3, T_HASH = 4,
	T_ZSET_2 = 5, T_MODULE = 6, T_MODULE_2 = 7, T_HASH_ZIPMAP = 9,
	T_LIST_ZIPLIST = 10, T_SET_INTSET = 11, T_ZSET_ZIPLIST = 12,
	T_HASH_ZIPLIST = 13, T_LIST_QUICKLIST = 14, T_STREAM = 15,
	T_HASH_LISTPACK = 16, T_ZSET_LISTPACK = 17, T_LIST_QUICKLIST_2 = 18,
	T_STREAM_2 = 19, T_SET_LISTPACK = 20, T_STREAM_3 = 21,
	OP_FUNCTION2 = 245, OP_FUNCTION = 246, OP_MODULE_AUX = 247,
	OP_IDLE = 248, OP_FREQ = 249, OP_AUX = 250, OP_RESIZEDB = 251,
	OP_EXPIRETIME_MS = 252, OP_EXPIRETIME = 253, OP_SELECTDB = 254,
	OP_EOF = 255,
};

#define LZF_MAX_OUT	(1ULL << 30)	/* a decompressed string, bytes */
#define FLAGS_AUX	"kcache-flags"

/* CRC-64 (Jones polynomial 0xad93d23594c935a9, reflected, init 0). */
static uint64_t crc_tab[256];

static void crc_init(void)
{
	const uint64_t poly = 0x95ac9329ac4bc9b5ULL;	/* bit-reversed */
	unsigned int i, j;

	if (crc_tab[1])
		return;
	for (i = 0; i < 256; i++) {
		uint64_t c = i;

		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
		crc_tab[i] = c;
	}
}

uint64_t kc_crc64(uint64_t crc, const void *p, size_t len)
{
	const unsigned char *b = p;

	crc_init();
	while (len--)
		crc = crc_tab[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return crc;
}

/*
 * LZF: a control byte c < 32 starts a run of c + 1 literal bytes; else
 * it is a back reference of length (c >> 5) + 2 (7: plus the next byte)
 * at distance ((c & 31) << 8) + next byte + 1 behind the output.
 */
long kc_lzf_decompress(const void *in, size_t inlen, void *out, size_t outlen)
{
	const unsigned char *ip = in, *ie = ip + inlen;
	unsigned char *op = out, *o0 = out, *oe = op + outlen;

	while (ip < ie) {
		unsigned int c = *ip++;

		if (c < 32) {
			size_t n = c + 1;

			if ((size_t)(ie - ip) < n || (size_t)(oe - op) < n)
				return -1;
			memcpy(op, ip, n);
			op += n;
			ip += n;
		} else {
			size_t n = c >> 5, back;

			if (n == 7) {
				if (ip >= ie)
					return -1;
				n += *ip++;
			}
			if (ip >= ie)
				return -1;
			back = ((size_t)(c & 0x1f) << 8) + *ip++ + 1;
			n += 2;
			if (back > (size_t)(op - o0) || (size_t)(oe - op) < n)
				return -1;
			/* byte by byte: the source may overlap the output */
			for (; n; n--, op++)
				*op = *(op - back);
		}
	}
	return op - o0;
}

/* ---- Reader ---- */

struct span {
	size_t off, len;
};

struct rd {
	const unsigned char *b;
	size_t len, off;
	unsigned int ver;
	struct kc_rdb_err *err;
	unsigned char *a;		/* arena: decoded elements */
	size_t alen, acap;
	struct span *e;			/* elements in the arena */
	size_t ne, ecap;
	unsigned char *s;		/* scratch: one blob */
	size_t slen, scap;
	struct kc_rdb_str *sv;		/* handed to the callback */
	size_t svcap;
};

static int fail(struct rd *r, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct rd *r, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (r->err && !r->err->msg[0]) {
		r->err->off = off;
		va_start(ap, fmt);
		vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static int need(struct rd *r, size_t n)
{
	if (r->len - r->off < n)
		return fail(r, r->off, "truncated: %zu bytes needed, %zu left",
			    n, r->len - r->off);
	return 0;
}

static int rd_u8(struct rd *r, unsigned int *v)
{
	if (need(r, 1))
		return -EBADMSG;
	*v = r->b[r->off++];
	return 0;
}

static uint64_t le(const unsigned char *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static uint64_t be(const unsigned char *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static int rd_fixed(struct rd *r, unsigned int n, uint64_t *v)
{
	if (need(r, n))
		return -EBADMSG;
	*v = le(r->b + r->off, n);
	r->off += n;
	return 0;
}

/* A length; *enc gets the special encoding (0..3) or -1 for a length. */
static int rd_len_enc(struct rd *r, uint64_t *v, int *enc)
{
	unsigned int c;

	if (rd_u8(r, &c))
		return -EBADMSG;
	*enc = -1;
	switch (c >> 6) {
	case 0:
		*v = c & 0x3f;
		return 0;
	case 1:
		if (need(r, 1))
			return -EBADMSG;
		*v = ((uint64_t)(c & 0x3f) << 8) | r->b[r->off++];
		return 0;
	case 3:
		*enc = c & 0x3f;
		*v = 0;
		return 0;
	}
	if (c == 0x80 || c == 0x81) {
		unsigned int n = c == 0x80 ? 4 : 8;

		if (need(r, n))
			return -EBADMSG;
		*v = be(r->b + r->off, n);
		r->off += n;
		return 0;
	}
	return fail(r, r->off - 1, "invalid length byte 0x%02x", c);
}

static int rd_len(struct rd *r, uint64_t *v)
{
	size_t at = r->off;
	int enc;

	if (rd_len_enc(r, v, &enc))
		return -EBADMSG;
	if (enc >= 0)
		return fail(r, at, "an encoded string where a length belongs");
	return 0;
}

static int grow(void **p, size_t *cap, size_t want, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (want <= *cap)
		return 0;
	while (n < want)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Room for n more arena bytes; returns a pointer to them. */
static unsigned char *arena_room(struct rd *r, size_t n)
{
	if (grow((void **)&r->a, &r->acap, r->alen + n + 1, 1))
		return NULL;
	return r->a + r->alen;
}

static int elem_add(struct rd *r, size_t off, size_t len)
{
	if (grow((void **)&r->e, &r->ecap, r->ne + 1, sizeof(*r->e)))
		return -ENOMEM;
	r->e[r->ne].off = off;
	r->e[r->ne].len = len;
	r->ne++;
	return 0;
}

static int elem_bytes(struct rd *r, const void *p, size_t len)
{
	unsigned char *d = arena_room(r, len);

	if (!d)
		return -ENOMEM;
	if (len)
		memcpy(d, p, len);
	r->alen += len;
	return elem_add(r, r->alen - len, len);
}

static int elem_int(struct rd *r, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	return elem_bytes(r, tmp, n);
}

enum dest { TO_ELEM, TO_SCRATCH, TO_SKIP };

/* One string (raw, integer or LZF) to an element, the scratch or nowhere. */
static int rd_string(struct rd *r, enum dest d)
{
	size_t at = r->off;
	uint64_t v, clen, ulen;
	int enc, err;

	err = rd_len_enc(r, &v, &enc);
	if (err)
		return err;
	if (enc >= 0 && enc <= 2) {
		unsigned int n = 1U << enc;
		uint64_t u;
		int64_t x;

		if (rd_fixed(r, n, &u))
			return -EBADMSG;
		x = n == 1 ? (int8_t)u : n == 2 ? (int16_t)u : (int32_t)u;
		if (d == TO_SKIP)
			return 0;
		if (d == TO_SCRATCH)
			return fail(r, at, "an integer where a blob belongs");
		return elem_int(r, x);
	}
	if (enc == 3) {
		long got;
		unsigned char *out;

		if (rd_len(r, &clen) || rd_len(r, &ulen))
			return -EBADMSG;
		if (need(r, clen))
			return -EBADMSG;
		if (ulen > LZF_MAX_OUT || ulen / 140 > clen + 1)
			return fail(r, at, "LZF length %" PRIu64 " from %"
				    PRIu64 " bytes is not plausible", ulen,
				    clen);
		if (d == TO_SKIP) {
			r->off += clen;
			return 0;
		}
		if (d == TO_SCRATCH) {
			if (grow((void **)&r->s, &r->scap, ulen ? ulen : 1, 1))
				return -ENOMEM;
			out = r->s;
		} else {
			out = arena_room(r, ulen);
			if (!out)
				return -ENOMEM;
		}
		got = kc_lzf_decompress(r->b + r->off, clen, out, ulen);
		if (got < 0 || (uint64_t)got != ulen)
			return fail(r, at, "corrupt LZF-compressed string");
		r->off += clen;
		if (d == TO_SCRATCH) {
			r->slen = ulen;
			return 0;
		}
		r->alen += ulen;
		return elem_add(r, r->alen - ulen, ulen);
	}
	if (enc >= 0)
		return fail(r, at, "unknown string encoding %d", enc);
	if (need(r, v))
		return -EBADMSG;
	at = r->off;
	r->off += v;
	if (d == TO_SKIP)
		return 0;
	if (d == TO_SCRATCH) {
		if (grow((void **)&r->s, &r->scap, v ? v : 1, 1))
			return -ENOMEM;
		memcpy(r->s, r->b + at, v);
		r->slen = v;
		return 0;
	}
	return elem_bytes(r, r->b + at, v);
}

/* Ziplist in the scratch (blob at file offset at) -> elements. */
static int parse_ziplist(struct rd *r, size_t at)
{
	const unsigned char *z = r->s;
	size_t n = r->slen, p = 10, count = 0;
	unsigned int zllen;

	if (n < 11 || le(z, 4) != n)
		return fail(r, at, "ziplist header does not match its size");
	zllen = le(z + 8, 2);
	for (;;) {
		unsigned int e;
		uint64_t len = 0;
		int64_t x;
		int isint = 1, nb = 0;

		if (p >= n)
			return fail(r, at, "ziplist has no end marker");
		if (z[p] == 0xff)
			break;
		/* previous entry's length: 1 byte, or 0xfe and 4 bytes */
		p += z[p] == 0xfe ? 5 : 1;
		if (p >= n)
			return fail(r, at, "ziplist entry truncated");
		e = z[p++];
		switch (e >> 6) {
		case 0:
			len = e & 0x3f;
			isint = 0;
			break;
		case 1:
			if (p + 1 > n)
				return fail(r, at, "ziplist entry truncated");
			len = ((uint64_t)(e & 0x3f) << 8) | z[p++];
			isint = 0;
			break;
		case 2:
			if (e != 0x80 || p + 4 > n)
				return fail(r, at, "bad ziplist entry 0x%02x",
					    e);
			len = be(z + p, 4);
			p += 4;
			isint = 0;
			break;
		default:
			if (e == 0xc0)
				nb = 2;
			else if (e == 0xd0)
				nb = 4;
			else if (e == 0xe0)
				nb = 8;
			else if (e == 0xf0)
				nb = 3;
			else if (e == 0xfe)
				nb = 1;
			else if (e >= 0xf1 && e <= 0xfd)
				nb = 0;
			else
				return fail(r, at, "bad ziplist entry 0x%02x",
					    e);
		}
		if (isint) {
			uint64_t u;

			if (p + nb > n)
				return fail(r, at, "ziplist entry truncated");
			u = le(z + p, nb);
			p += nb;
			switch (nb) {
			case 0:
				x = (e & 0x0f) - 1;
				break;
			case 1:
				x = (int8_t)u;
				break;
			case 2:
				x = (int16_t)u;
				break;
			case 3:
				x = (int32_t)(uint32_t)(u << 8) >> 8;
				break;
			case 4:
				x = (int32_t)u;
				break;
			default:
				x = (int64_t)u;
			}
			if (elem_int(r, x))
				return -ENOMEM;
		} else {
			if (len > n - p)
				return fail(r, at, "ziplist entry overruns it");
			if (elem_bytes(r, z + p, len))
				return -ENOMEM;
			p += len;
		}
		count++;
	}
	if (p != n - 1)
		return fail(r, at, "bytes after the ziplist end marker");
	if (zllen != 0xffff && zllen != count)
		return fail(r, at, "ziplist count %u, %zu entries", zllen,
			    count);
	return 0;
}

/* Listpack in the scratch -> elements. */
static int parse_listpack(struct rd *r, size_t at)
{
	const unsigned char *z = r->s;
	size_t n = r->slen, p = 6, count = 0;
	unsigned int num;

	if (n < 7 || le(z, 4) != n)
		return fail(r, at, "listpack header does not match its size");
	num = le(z + 4, 2);
	for (;;) {
		unsigned int e;
		size_t hdr = 1, slen = 0, blen;
		int isint = 1, nb = 0;
		int64_t x = 0;

		if (p >= n)
			return fail(r, at, "listpack has no end marker");
		e = z[p];
		if (e == 0xff)
			break;
		if (!(e & 0x80)) {
			x = e & 0x7f;
		} else if ((e & 0xc0) == 0x80) {
			slen = e & 0x3f;
			isint = 0;
		} else if ((e & 0xe0) == 0xc0) {
			if (p + 2 > n)
				return fail(r, at, "listpack entry truncated");
			x = ((e & 0x1f) << 8) | z[p + 1];
			if (x >= 4096)
				x -= 8192;
			hdr = 2;
		} else if ((e & 0xf0) == 0xe0) {
			if (p + 2 > n)
				return fail(r, at, "listpack entry truncated");
			slen = ((e & 0x0f) << 8) | z[p + 1];
			hdr = 2;
			isint = 0;
		} else if (e == 0xf0) {
			if (p + 5 > n)
				return fail(r, at, "listpack entry truncated");
			slen = le(z + p + 1, 4);
			hdr = 5;
			isint = 0;
		} else if (e >= 0xf1 && e <= 0xf4) {
			static const int sizes[] = { 2, 3, 4, 8 };
			uint64_t u;

			nb = sizes[e - 0xf1];
			if (p + 1 + nb > n)
				return fail(r, at, "listpack entry truncated");
			u = le(z + p + 1, nb);
			x = nb == 2 ? (int16_t)u :
			    nb == 3 ? (int32_t)(uint32_t)(u << 8) >> 8 :
			    nb == 4 ? (int32_t)u : (int64_t)u;
			hdr = 1 + nb;
		} else {
			return fail(r, at, "bad listpack entry 0x%02x", e);
		}
		if (!isint && slen > n - p - hdr)
			return fail(r, at, "listpack entry overruns it");
		blen = hdr + slen;	/* entry length, backlen excluded */
		if (!isint ? elem_bytes(r, z + p + hdr, slen) : elem_int(r, x))
			return -ENOMEM;
		p += blen;
		blen = blen < 128 ? 1 : blen < 16383 ? 2 : blen < 2097151 ? 3 :
		       blen < 268435455 ? 4 : 5;
		if (blen > n - p)
			return fail(r, at, "listpack entry truncated");
		p += blen;
		count++;
	}
	if (p != n - 1)
		return fail(r, at, "bytes after the listpack end marker");
	if (num != 0xffff && num != count)
		return fail(r, at, "listpack count %u, %zu entries", num,
			    count);
	return 0;
}

static int parse_intset(struct rd *r, size_t at)
{
	const unsigned char *z = r->s;
	uint64_t enc, cnt, i;

	if (r->slen < 8)
		return fail(r, at, "intset too short");
	enc = le(z, 4);
	cnt = le(z + 4, 4);
	if ((enc != 2 && enc != 4 && enc != 8) || r->slen != 8 + enc * cnt)
		return fail(r, at, "intset header does not match its size");
	for (i = 0; i < cnt; i++) {
		uint64_t u = le(z + 8 + i * enc, enc);
		int64_t x = enc == 2 ? (int16_t)u : enc == 4 ? (int32_t)u :
			    (int64_t)u;

		if (elem_int(r, x))
			return -ENOMEM;
	}
	return 0;
}

static int blob(struct rd *r, int (*parse)(struct rd *, size_t))
{
	size_t at = r->off;
	int err = rd_string(r, TO_SCRATCH);

	return err ? err : parse(r, at);
}

/*
 * A score written as text (type 3's scores, and the listpack's and
 * ziplist's score entries): the whole text must be a number strtod()
 * reads, NaN refused as Redis does; "inf" and "-inf" are what Redis
 * writes for the infinities.  Out-of-range values round to +-inf or 0
 * as strtod() does (Redis reads them the same way).
 */
static int text_score(const unsigned char *p, size_t len, double *d)
{
	char tmp[256], *end;

	if (!len || len >= sizeof(tmp) || isspace(p[0]))
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = 0;
	*d = strtod(tmp, &end);
	return end != tmp + len || isnan(*d) ? -1 : 0;
}

/* The score after a member of a type 3 (text) or 5 (binary) sorted set. */
static int rd_score(struct rd *r, unsigned int t)
{
	size_t at = r->off;
	unsigned int dl;
	uint64_t u;
	double d;

	if (t == T_ZSET_2) {
		if (rd_fixed(r, 8, &u))
			return -EBADMSG;
		memcpy(&d, &u, 8);
	} else {
		if (rd_u8(r, &dl))
			return -EBADMSG;
		if (dl == 253)
			d = NAN;
		else if (dl == 254)
			d = INFINITY;
		else if (dl == 255)
			d = -INFINITY;
		else if (need(r, dl))
			return -EBADMSG;
		else if (text_score(r->b + r->off, dl, &d))
			return fail(r, at, "sorted set score is not a number");
		else
			r->off += dl;
	}
	if (isnan(d))
		return fail(r, at, "sorted set with a NaN score");
	return elem_bytes(r, &d, sizeof(d));
}

/*
 * A ziplist or listpack sorted set left member, score, ... elements from
 * index first on, scores as text: each score becomes the 8 bytes of its
 * double (appended to the arena, its span moved there).
 */
static int zset_scores(struct rd *r, size_t first, size_t at)
{
	size_t i;

	if ((r->ne - first) % 2)
		return fail(r, at, "sorted set with an odd element count");
	for (i = first + 1; i < r->ne; i += 2) {
		unsigned char *d;
		double v;

		if (text_score(r->a + r->e[i].off, r->e[i].len, &v))
			return fail(r, at, "sorted set score %zu is not a "
				    "number", (i - first) / 2);
		d = arena_room(r, sizeof(v));
		if (!d)
			return -ENOMEM;
		memcpy(d, &v, sizeof(v));
		r->e[i].off = r->alen;
		r->e[i].len = sizeof(v);
		r->alen += sizeof(v);
	}
	return 0;
}

/* ---- sorted sets: pairs put in ZRANGE order ---- */

struct zpair {
	const unsigned char *m;
	size_t mlen;
	double s;
	struct span ms, ss;
};

static int zpair_cmp(const void *a, const void *b)
{
	const struct zpair *x = a, *y = b;
	size_t n = x->mlen < y->mlen ? x->mlen : y->mlen;
	int c;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	c = n ? memcmp(x->m, y->m, n) : 0;
	if (c)
		return c;
	return x->mlen < y->mlen ? -1 : x->mlen > y->mlen;
}

static void zpair_at(struct rd *r, size_t i, struct zpair *z)
{
	z->ms = r->e[i];
	z->ss = r->e[i + 1];
	z->m = r->a + z->ms.off;
	z->mlen = z->ms.len;
	memcpy(&z->s, r->a + z->ss.off, sizeof(z->s));
}

/*
 * The pairs from index first on in ascending order, score then member
 * bytes, as KC_OP_ZRANGE returns them and the writer expects: files
 * hold any order (Redis writes type 5 highest first, so that one is
 * reversed without sorting).
 */
static int zset_order(struct rd *r, size_t first)
{
	size_t n = (r->ne - first) / 2, i;
	struct zpair a, b, *v;
	bool up = true, down = true;

	for (i = 1; i < n && (up || down); i++) {
		int c;

		zpair_at(r, first + 2 * (i - 1), &a);
		zpair_at(r, first + 2 * i, &b);
		c = zpair_cmp(&a, &b);
		up = up && c < 0;
		down = down && c > 0;
	}
	if (up)
		return 0;
	if (down) {
		for (i = 0; i < n / 2; i++) {
			size_t x = first + 2 * i, y = first + 2 * (n - 1 - i);
			struct span t0 = r->e[x], t1 = r->e[x + 1];

			r->e[x] = r->e[y];
			r->e[x + 1] = r->e[y + 1];
			r->e[y] = t0;
			r->e[y + 1] = t1;
		}
		return 0;
	}
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		zpair_at(r, first + 2 * i, &v[i]);
	qsort(v, n, sizeof(*v), zpair_cmp);
	for (i = 0; i < n; i++) {
		r->e[first + 2 * i] = v[i].ms;
		r->e[first + 2 * i + 1] = v[i].ss;
	}
	free(v);
	return 0;
}

/* N strings (pairs: 2N) as elements; n is checked against what is left. */
static int strings(struct rd *r, uint64_t n)
{
	if (n > r->len - r->off)
		return fail(r, r->off, "%" PRIu64 " elements cannot fit in "
			    "%zu bytes", n, r->len - r->off);
	while (n--) {
		int err = rd_string(r, TO_ELEM);

		if (err)
			return err;
	}
	return 0;
}

static int skip_module_body(struct rd *r)
{
	for (;;) {
		uint64_t op, v;
		size_t at = r->off;

		if (rd_len(r, &op))
			return -EBADMSG;
		switch (op) {
		case 0:
			return 0;
		case 1:
		case 2:
			if (rd_len(r, &v))
				return -EBADMSG;
			break;
		case 3:
		case 4:
			if (need(r, op == 3 ? 4 : 8))
				return -EBADMSG;
			r->off += op == 3 ? 4 : 8;
			break;
		case 5:
			if (rd_string(r, TO_SKIP))
				return -EBADMSG;
			break;
		default:
			return fail(r, at, "unknown module opcode %" PRIu64,
				    op);
		}
	}
}

static int skip_lens(struct rd *r, int n)
{
	uint64_t v;

	while (n--)
		if (rd_len(r, &v))
			return -EBADMSG;
	return 0;
}

static int skip_bytes(struct rd *r, uint64_t n)
{
	if (need(r, n))
		return -EBADMSG;
	r->off += n;
	return 0;
}

static int skip_stream(struct rd *r, unsigned int t)
{
	uint64_t n, g, c, k;

	if (rd_len(r, &n))
		return -EBADMSG;
	if (n > r->len - r->off)
		return fail(r, r->off, "stream node count too large");
	while (n--)
		if (rd_string(r, TO_SKIP) || rd_string(r, TO_SKIP))
			return -EBADMSG;
	if (skip_lens(r, 3) || (t >= T_STREAM_2 && skip_lens(r, 5)))
		return -EBADMSG;
	if (rd_len(r, &g))
		return -EBADMSG;
	while (g--) {
		if (r->off >= r->len)
			return need(r, 1);
		if (rd_string(r, TO_SKIP) || skip_lens(r, 2) ||
		    (t >= T_STREAM_2 && skip_lens(r, 1)) || rd_len(r, &k))
			return -EBADMSG;
		while (k--) {
			if (skip_bytes(r, 16 + 8) || skip_lens(r, 1))
				return -EBADMSG;
		}
		if (rd_len(r, &c))
			return -EBADMSG;
		while (c--) {
			if (rd_string(r, TO_SKIP) ||
			    skip_bytes(r, t >= T_STREAM_3 ? 16 : 8) ||
			    rd_len(r, &k))
				return -EBADMSG;
			if (k > (r->len - r->off) / 16)
				return need(r, k * 16);
			r->off += k * 16;
		}
	}
	return 0;
}

/*
 * A value of RDB type t.  Supported ones leave their elements in r->e and
 * return 0 with *kind set; unsupported ones are skipped (*kind 0).
 */
static int rd_value(struct rd *r, unsigned int t, int *kind)
{
	size_t at = r->off - 1, first = r->ne;
	uint64_t n, i;
	int err;

	*kind = 0;
	switch (t) {
	case T_STRING:
		*kind = KC_RDB_STRING;
		return rd_string(r, TO_ELEM);
	case T_LIST:
	case T_SET:
		*kind = t == T_LIST ? KC_RDB_LIST : KC_RDB_SET;
		return rd_len(r, &n) ? -EBADMSG : strings(r, n);
	case T_HASH:
		*kind = KC_RDB_HASH;
		if (rd_len(r, &n))
			return -EBADMSG;
		if (n > (r->len - r->off) / 2)
			return fail(r, at, "hash size too large");
		return strings(r, n * 2);
	case T_LIST_ZIPLIST:
		*kind = KC_RDB_LIST;
		return blob(r, parse_ziplist);
	case T_SET_INTSET:
		*kind = KC_RDB_SET;
		return blob(r, parse_intset);
	case T_SET_LISTPACK:
		*kind = KC_RDB_SET;
		return blob(r, parse_listpack);
	case T_HASH_ZIPLIST:
	case T_HASH_LISTPACK:
		*kind = KC_RDB_HASH;
		err = blob(r, t == T_HASH_ZIPLIST ? parse_ziplist :
			   parse_listpack);
		if (!err && (r->ne - 1) % 2)
			return fail(r, at, "hash with an odd element count");
		return err;
	case T_LIST_QUICKLIST:
	case T_LIST_QUICKLIST_2:
		*kind = KC_RDB_LIST;
		if (rd_len(r, &n))
			return -EBADMSG;
		if (n > r->len - r->off)
			return fail(r, at, "quicklist node count too large");
		for (i = 0; i < n; i++) {
			uint64_t c = 2;

			if (t == T_LIST_QUICKLIST_2 && rd_len(r, &c))
				return -EBADMSG;
			if (t == T_LIST_QUICKLIST)
				err = blob(r, parse_ziplist);
			else if (c == 2)
				err = blob(r, parse_listpack);
			else if (c == 1)
				err = rd_string(r, TO_ELEM);
			else
				err = fail(r, r->off, "quicklist container "
					   "%" PRIu64, c);
			if (err)
				return err;
		}
		return 0;
	case T_ZSET:
	case T_ZSET_2:
		*kind = KC_RDB_ZSET;
		if (rd_len(r, &n))
			return -EBADMSG;
		/* a member and a score take 2 bytes at least */
		if (n > (r->len - r->off) / 2)
			return fail(r, at, "sorted set size too large");
		while (n--) {
			err = rd_string(r, TO_ELEM);
			if (!err)
				err = rd_score(r, t);
			if (err)
				return err;
		}
		return zset_order(r, first);
	case T_ZSET_ZIPLIST:
	case T_ZSET_LISTPACK:
		*kind = KC_RDB_ZSET;
		err = blob(r, t == T_ZSET_ZIPLIST ? parse_ziplist :
			   parse_listpack);
		if (!err)
			err = zset_scores(r, first, at);
		return err ? err : zset_order(r, first);
	case T_HASH_ZIPMAP:
		return rd_string(r, TO_SKIP);
	case T_STREAM:
	case T_STREAM_2:
	case T_STREAM_3:
		return skip_stream(r, t);
	case T_MODULE_2:
		return skip_lens(r, 1) ? -EBADMSG : skip_module_body(r);
	}
	return fail(r, at, "unknown value type %u", t);
}

static void reset_item(struct rd *r)
{
	r->alen = 0;
	r->ne = 0;
}

static int build_item(struct rd *r, struct kc_rdb_item *it, size_t first)
{
	size_t i, n = r->ne - first;

	if (grow((void **)&r->sv, &r->svcap, n + 1, sizeof(*r->sv)))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		r->sv[i].p = r->a + r->e[first + i].off;
		r->sv[i].len = r->e[first + i].len;
	}
	it->elems = r->sv;
	it->n = n;
	return 0;
}

static void rd_free(struct rd *r)
{
	free(r->a);
	free(r->e);
	free(r->s);
	free(r->sv);
}

static void warn(const struct kc_rdb_parse_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(const struct kc_rdb_parse_opts *o, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!o || !o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->ctx, msg);
}

static bool span_is(struct rd *r, size_t i, const char *s)
{
	return r->e[i].len == strlen(s) && !memcmp(r->a + r->e[i].off, s,
						    r->e[i].len);
}

static int span_u64(struct rd *r, size_t i, uint64_t max, uint64_t *v)
{
	char tmp[24];
	char *end;

	if (!r->e[i].len || r->e[i].len >= sizeof(tmp))
		return -1;
	memcpy(tmp, r->a + r->e[i].off, r->e[i].len);
	tmp[r->e[i].len] = 0;
	if (tmp[0] < '0' || tmp[0] > '9')
		return -1;
	errno = 0;
	*v = strtoull(tmp, &end, 10);
	return (*end || errno || *v > max) ? -1 : 0;
}

int kc_rdb_parse(const void *buf, size_t len,
		 const struct kc_rdb_parse_opts *o, struct kc_rdb_stats *st,
		 struct kc_rdb_err *err)
{
	struct rd r = { .b = buf, .len = len, .err = err };
	struct kc_rdb_stats dummy;
	static const struct kc_rdb_parse_opts none;
	int64_t expire = -1, idle = -1;
	uint64_t flags = 0, v;
	bool has_flags = false, warned_fn = false, warned_mod = false;
	unsigned int db = 0, t, i;
	int ret = 0;

	if (!st)
		st = &dummy;
	if (!o)
		o = &none;
	memset(st, 0, sizeof(*st));
	if (err)
		memset(err, 0, sizeof(*err));
	if (len < 9 || memcmp(buf, "REDIS", 5))
		return fail(&r, 0, "not an RDB file (no REDIS magic)");
	for (i = 5; i < 9; i++) {
		if (r.b[i] < '0' || r.b[i] > '9')
			return fail(&r, i, "bad RDB version digits");
		r.ver = r.ver * 10 + (r.b[i] - '0');
	}
	if (r.ver < 1 || r.ver > KC_RDB_VERSION_MAX)
		return fail(&r, 5, "RDB version %u is not supported (1..%u)",
			    r.ver, KC_RDB_VERSION_MAX);
	st->version = r.ver;
	r.off = 9;
	for (;;) {
		size_t at = r.off;
		struct kc_rdb_item it;
		int kind;

		reset_item(&r);
		ret = rd_u8(&r, &t);
		if (ret)
			break;
		switch (t) {
		case OP_EXPIRETIME_MS:
		case OP_EXPIRETIME:
			ret = rd_fixed(&r, t == OP_EXPIRETIME ? 4 : 8, &v);
			if (ret)
				break;
			expire = t == OP_EXPIRETIME ? (int64_t)v * 1000 :
				 (int64_t)v;
			continue;
		case OP_SELECTDB:
			/*
			 * As redis-server with its default 16 databases:
			 * a file of a server with more is refused whole.
			 */
			ret = rd_len(&r, &v);
			if (!ret && v >= KC_DB_COUNT)
				ret = fail(&r, at, "SELECTDB %" PRIu64 ": kcache "
					   "has databases 0 to %u", v,
					   (unsigned int)KC_DB_COUNT - 1);
			db = v;
			if (ret)
				break;
			continue;
		case OP_RESIZEDB:
			ret = skip_lens(&r, 2);
			if (ret)
				break;
			continue;
		case OP_IDLE:
			/* the key's LRU idle time, in seconds */
			ret = rd_len(&r, &v);
			if (ret)
				break;
			idle = v > INT64_MAX ? INT64_MAX : (int64_t)v;
			continue;
		case OP_FREQ:
			ret = skip_bytes(&r, 1);
			if (ret)
				break;
			continue;
		case OP_AUX:
			ret = rd_string(&r, TO_ELEM);
			if (!ret)
				ret = rd_string(&r, TO_ELEM);
			if (ret)
				break;
			if (span_is(&r, 0, FLAGS_AUX)) {
				if (span_u64(&r, 1, UINT32_MAX, &flags)) {
					ret = fail(&r, at, "bad " FLAGS_AUX
						   " value");
					break;
				}
				has_flags = true;
			} else if (span_is(&r, 0, "ctime")) {
				if (!span_u64(&r, 1, UINT64_MAX, &v))
					st->ctime = v;
			}
			continue;
		case OP_MODULE_AUX:
			ret = skip_lens(&r, 3);
			if (!ret)
				ret = skip_module_body(&r);
			if (ret)
				break;
			st->aux_skipped++;
			if (!warned_mod)
				warn(o, "module auxiliary data skipped (kcache "
				     "has no modules)");
			warned_mod = true;
			continue;
		case OP_FUNCTION2:
			ret = rd_string(&r, TO_SKIP);
			if (ret)
				break;
			st->aux_skipped++;
			if (!warned_fn)
				warn(o, "function libraries skipped (kcache "
				     "has no FUNCTION)");
			warned_fn = true;
			continue;
		case OP_FUNCTION:
			ret = fail(&r, at, "pre-release function record "
				   "(RDB opcode 246) is not supported");
			break;
		case OP_EOF:
			if (r.ver >= 5) {
				uint64_t want = kc_crc64(0, r.b, r.off), got;

				ret = rd_fixed(&r, 8, &got);
				if (ret)
					break;
				if (got && got != want) {
					ret = fail(&r, r.off - 8, "checksum "
						   "mismatch: file %016" PRIx64
						   ", computed %016" PRIx64,
						   got, want);
					break;
				}
			}
			if (r.off != r.len)
				ret = fail(&r, r.off, "%zu bytes after the end",
					   r.len - r.off);
			goto out;
		default:
			break;
		}
		if (ret)
			break;
		/* a key: type byte, key string, value */
		if (t == T_MODULE) {
			ret = fail(&r, at, "module value of RDB type 6 "
				   "(pre-4.0 modules) cannot be skipped");
			break;
		}
		ret = rd_string(&r, TO_ELEM);
		if (ret)
			break;
		ret = rd_value(&r, t, &kind);
		if (ret)
			break;
		if (!kind) {
			st->skipped++;
			st->skipped_by_type[t < 31 ? t : 31]++;
		} else if (r.ne <= 1) {
			st->skipped++;	/* an empty container */
		} else if (expire >= 0 && expire <= o->now_ms) {
			st->expired++;
		} else {
			memset(&it, 0, sizeof(it));
			it.type = kind;
			it.db = db;
			it.key.p = r.a + r.e[0].off;
			it.key.len = r.e[0].len;
			it.expire_ms = expire;
			it.idle_s = idle;
			it.has_flags = has_flags;
			it.client_flags = flags;
			ret = build_item(&r, &it, 1);
			if (ret)
				break;
			it.key.p = r.a + r.e[0].off;
			st->keys++;
			if (o && o->item) {
				ret = o->item(o->ctx, &it);
				if (ret)
					break;
			}
		}
		expire = -1;
		idle = -1;
		has_flags = false;
		flags = 0;
	}
out:
	rd_free(&r);
	return ret;
}

int kc_rdb_parse_value(const void *buf, size_t len, kc_rdb_item_fn fn,
		       void *ctx, struct kc_rdb_err *err)
{
	struct rd r = { .b = buf, .len = len, .err = err };
	const unsigned char *b = buf;
	struct kc_rdb_item it;
	unsigned int t, ver;
	int kind, ret;

	if (err)
		memset(err, 0, sizeof(*err));
	if (len < 11)
		return fail(&r, 0, "DUMP payload version or checksum are wrong");
	ver = le(b + len - 10, 2);
	if (ver > KC_RDB_VERSION_MAX ||
	    kc_crc64(0, b, len - 8) != le(b + len - 8, 8))
		return fail(&r, len - 10,
			    "DUMP payload version or checksum are wrong");
	r.len = len - 10;
	r.ver = ver;
	ret = rd_u8(&r, &t);
	if (!ret) {
		/* the value's elements start at index 0: key slot left empty */
		ret = elem_add(&r, 0, 0);
	}
	if (!ret)
		ret = rd_value(&r, t, &kind);
	if (!ret && r.off != r.len)
		ret = fail(&r, r.off, "bytes after the value");
	if (!ret && !kind)
		ret = -EOPNOTSUPP;
	if (!ret && r.ne <= 1)
		ret = fail(&r, 1, "empty value");
	if (!ret) {
		memset(&it, 0, sizeof(it));
		it.type = kind;
		it.expire_ms = -1;
		it.idle_s = -1;
		ret = build_item(&r, &it, 1);
		if (!ret && fn)
			ret = fn(ctx, &it);
	}
	rd_free(&r);
	return ret;
}

/* ---- Writer ---- */

void kc_rdb_w_init(struct kc_rdb_w *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
}

void kc_rdb_w_free(struct kc_rdb_w *w)
{
	free(w->p);
	w->p = NULL;
	w->len = w->cap = 0;
}

static int w_flush(struct kc_rdb_w *w)
{
	size_t done = 0;

	if (w->fd < 0 || w->err)
		return w->err;
	w->crc = kc_crc64(w->crc, w->p, w->len);
	while (done < w->len) {
		ssize_t n = write(w->fd, w->p + done, w->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return w->err = n < 0 ? -errno : -EIO;
		done += n;
	}
	w->total += w->len;
	w->len = 0;
	return 0;
}

static void put(struct kc_rdb_w *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (w->fd >= 0 && w->len + n > (1U << 20) && w->len) {
		if (w_flush(w))
			return;
	}
	if (grow((void **)&w->p, &w->cap, w->len + n, 1)) {
		w->err = -ENOMEM;
		return;
	}
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void put_u8(struct kc_rdb_w *w, unsigned int v)
{
	unsigned char c = v;

	put(w, &c, 1);
}

static void put_le(struct kc_rdb_w *w, uint64_t v, unsigned int n)
{
	unsigned char b[8];
	unsigned int i;

	for (i = 0; i < n; i++)
		b[i] = v >> (8 * i);
	put(w, b, n);
}

static void put_len(struct kc_rdb_w *w, uint64_t v)
{
	unsigned char b[9];
	unsigned int i;

	if (v < 64) {
		put_u8(w, v);
	} else if (v < 16384) {
		b[0] = 0x40 | (v >> 8);
		b[1] = v;
		put(w, b, 2);
	} else if (v <= UINT32_MAX) {
		b[0] = 0x80;
		for (i = 0; i < 4; i++)
			b[1 + i] = v >> (24 - 8 * i);
		put(w, b, 5);
	} else {
		b[0] = 0x81;
		for (i = 0; i < 8; i++)
			b[1 + i] = v >> (56 - 8 * i);
		put(w, b, 9);
	}
}

/* The canonical decimal form of an int32, as the integer encodings need. */
static bool small_int(const unsigned char *p, size_t len, int32_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	bool neg = false;

	if (!len || len > 11)
		return false;
	if (p[0] == '-') {
		neg = true;
		i = 1;
		if (len == 1)
			return false;
	}
	if (p[i] == '0' && (len > i + 1 || neg))
		return false;
	for (; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	if (neg)
		v = -v;
	if (v < INT32_MIN || v > INT32_MAX)
		return false;
	*out = v;
	return true;
}

static void put_str(struct kc_rdb_w *w, const void *p, size_t len)
{
	int32_t v;

	if (small_int(p, len, &v)) {
		if (v >= INT8_MIN && v <= INT8_MAX) {
			put_u8(w, 0xc0);
			put_le(w, (uint8_t)v, 1);
		} else if (v >= INT16_MIN && v <= INT16_MAX) {
			put_u8(w, 0xc1);
			put_le(w, (uint16_t)v, 2);
		} else {
			put_u8(w, 0xc2);
			put_le(w, (uint32_t)v, 4);
		}
		return;
	}
	put_len(w, len);
	put(w, p, len);
}

int kc_rdb_w_aux(struct kc_rdb_w *w, const char *name, const void *val,
		 size_t vlen)
{
	put_u8(w, OP_AUX);
	put_str(w, name, strlen(name));
	put_str(w, val, vlen);
	return w->err;
}

static int aux_num(struct kc_rdb_w *w, const char *name, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	return kc_rdb_w_aux(w, name, tmp, n);
}

int kc_rdb_w_header(struct kc_rdb_w *w, int64_t ctime, uint64_t used_mem)
{
	char magic[10];

	snprintf(magic, sizeof(magic), "REDIS%04d", KC_RDB_VERSION);
	put(w, magic, 9);
	kc_rdb_w_aux(w, "redis-ver", "7.0.15", 6);
	aux_num(w, "redis-bits", sizeof(void *) * 8);
	aux_num(w, "ctime", ctime);
	aux_num(w, "used-mem", used_mem);
	aux_num(w, "aof-base", 0);
	return w->err;
}

int kc_rdb_w_selectdb(struct kc_rdb_w *w, unsigned int db, uint64_t keys,
		      uint64_t expires)
{
	put_u8(w, OP_SELECTDB);
	put_len(w, db);
	put_u8(w, OP_RESIZEDB);
	put_len(w, keys);
	put_len(w, expires);
	return w->err;
}

/*
 * A listpack (Redis's compact encoding, here only what sorted sets need):
 * 4-byte total size, 2-byte entry count, entries, end byte 0xff.  An
 * entry is its encoding and data, then its own length again (backlen) in
 * 7-bit groups, most significant first, the high bit set on all but the
 * first, so the list can be walked backwards.
 */
struct lp {
	unsigned char *p;
	size_t len, cap, count;
	int err;
};

static void lp_bytes(struct lp *l, const void *p, size_t n)
{
	if (l->err)
		return;
	if (grow((void **)&l->p, &l->cap, l->len + n, 1)) {
		l->err = -ENOMEM;
		return;
	}
	memcpy(l->p + l->len, p, n);
	l->len += n;
}

/* Ends an entry of n bytes (encoding and data) with its backlen. */
static void lp_backlen(struct lp *l, size_t n)
{
	unsigned char b[5];
	int k = n < 128 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 :
		n < 268435455 ? 4 : 5, i;

	for (i = k - 1; i >= 0; i--, n >>= 7)
		b[i] = (n & 127) | (i ? 128 : 0);
	lp_bytes(l, b, k);
	l->count++;
}

/* The smallest of the integer encodings that holds v. */
static void lp_int(struct lp *l, int64_t v)
{
	unsigned char b[9];
	size_t n, i;

	if (v >= 0 && v <= 127) {
		b[0] = v;
		n = 1;
	} else if (v >= -4096 && v <= 4095) {
		b[0] = 0xc0 | ((v >> 8) & 0x1f);
		b[1] = v;
		n = 2;
	} else {
		unsigned int nb = v >= INT16_MIN && v <= INT16_MAX ? 2 :
				  v >= -(1 << 23) && v < (1 << 23) ? 3 :
				  v >= INT32_MIN && v <= INT32_MAX ? 4 : 8;

		b[0] = nb == 2 ? 0xf1 : nb == 3 ? 0xf2 : nb == 4 ? 0xf3 : 0xf4;
		for (i = 0; i < nb; i++)
			b[1 + i] = (uint64_t)v >> (8 * i);
		n = 1 + nb;
	}
	lp_bytes(l, b, n);
	lp_backlen(l, n);
}

/*
 * The canonical decimal form of an int64 (no sign on 0, no leading zeros,
 * no '+'): what a listpack stores as an integer.
 */
static bool int64_text(const unsigned char *p, size_t len, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	bool neg = false;

	if (!len || len > 20)
		return false;
	if (p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == len || p[i] < '0' || p[i] > '9' ||
	    (p[i] == '0' && (len > i + 1 || neg)))
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned int d = p[i] - '0';

		if (p[i] < '0' || p[i] > '9' || v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static void lp_str(struct lp *l, const void *p, size_t len)
{
	unsigned char b[5];
	int64_t v;
	size_t h;

	if (int64_text(p, len, &v)) {
		lp_int(l, v);
		return;
	}
	if (len < 64) {
		b[0] = 0x80 | len;
		h = 1;
	} else if (len < 4096) {
		b[0] = 0xe0 | (len >> 8);
		b[1] = len;
		h = 2;
	} else {
		b[0] = 0xf0;
		b[1] = len;
		b[2] = len >> 8;
		b[3] = len >> 16;
		b[4] = len >> 24;
		h = 5;
	}
	lp_bytes(l, b, h);
	lp_bytes(l, p, len);
	lp_backlen(l, h + len);
}

/*
 * A score as redis-server 7.0.15 puts it in a listpack (seen in its DUMP
 * output): "inf"/"-inf", an integral value within +-2^62 as an integer
 * ("0" for -0), anything else "%.17g"; lp_str() then stores text that
 * is an int64's canonical form as an integer.
 */
static size_t score_text(double d, char *buf, size_t n)
{
	if (isinf(d))
		return snprintf(buf, n, "%s", d > 0 ? "inf" : "-inf");
	if (d >= -4611686018427387904.0 && d <= 4611686018427387904.0 &&
	    d == (double)(long long)d)
		return snprintf(buf, n, "%lld", (long long)d);
	return snprintf(buf, n, "%.17g", d);
}

#define ZSET_LP_ENTRIES	128	/* zset-max-listpack-entries */
#define ZSET_LP_VALUE	64	/* zset-max-listpack-value */

static double score_of(const struct kc_rdb_str *s)
{
	double d;

	memcpy(&d, s->p, sizeof(d));
	return d;
}

/* A sorted set fit for a listpack, as Redis 7.0 decides it. */
static bool zset_small(const struct kc_rdb_item *it)
{
	size_t i;

	if (it->n / 2 > ZSET_LP_ENTRIES)
		return false;
	for (i = 0; i < it->n; i += 2)
		if (it->elems[i].len > ZSET_LP_VALUE)
			return false;
	return true;
}

static bool zset_ok(const struct kc_rdb_item *it)
{
	size_t i;

	if (it->n % 2)
		return false;
	for (i = 1; i < it->n; i += 2)
		if (it->elems[i].len != sizeof(double) ||
		    isnan(score_of(&it->elems[i])))
			return false;
	return true;
}

static void put_zset(struct kc_rdb_w *w, const struct kc_rdb_item *it)
{
	struct lp l = { 0 };
	unsigned char hdr[6] = { 0 };
	char num[32];
	size_t i;

	if (!zset_small(it)) {
		/* type 5: highest score first, as Redis (its loads append) */
		put_len(w, it->n / 2);
		for (i = it->n; i >= 2; i -= 2) {
			uint64_t u;

			put_str(w, it->elems[i - 2].p, it->elems[i - 2].len);
			memcpy(&u, it->elems[i - 1].p, 8);
			put_le(w, u, 8);
		}
		return;
	}
	lp_bytes(&l, hdr, sizeof(hdr));
	for (i = 0; i < it->n; i += 2) {
		lp_str(&l, it->elems[i].p, it->elems[i].len);
		lp_str(&l, num, score_text(score_of(&it->elems[i + 1]), num,
					    sizeof(num)));
	}
	lp_bytes(&l, "\xff", 1);
	if (!l.err) {
		size_t num = l.count < 65535 ? l.count : 65535;

		for (i = 0; i < 4; i++)
			l.p[i] = l.len >> (8 * i);
		l.p[4] = num & 0xff;
		l.p[5] = num >> 8;
		put_len(w, l.len);
		put(w, l.p, l.len);
	} else if (!w->err) {
		w->err = l.err;
	}
	free(l.p);
}

static int put_type(struct kc_rdb_w *w, const struct kc_rdb_item *it)
{
	static const unsigned char types[] = {
		[KC_RDB_STRING] = T_STRING, [KC_RDB_LIST] = T_LIST,
		[KC_RDB_HASH] = T_HASH, [KC_RDB_SET] = T_SET,
	};

	if (it->type < KC_RDB_STRING || it->type > KC_RDB_ZSET ||
	    (it->type == KC_RDB_STRING && it->n != 1) ||
	    (it->type == KC_RDB_HASH && it->n % 2) ||
	    (it->type == KC_RDB_ZSET && !zset_ok(it)) || !it->n) {
		if (!w->err)
			w->err = -EINVAL;
		return w->err;
	}
	if (it->type == KC_RDB_ZSET)
		put_u8(w, zset_small(it) ? T_ZSET_LISTPACK : T_ZSET_2);
	else
		put_u8(w, types[it->type]);
	return w->err;
}

static void put_elems(struct kc_rdb_w *w, const struct kc_rdb_item *it)
{
	size_t i;

	if (it->type == KC_RDB_ZSET) {
		put_zset(w, it);
		return;
	}
	if (it->type == KC_RDB_LIST || it->type == KC_RDB_SET)
		put_len(w, it->n);
	else if (it->type == KC_RDB_HASH)
		put_len(w, it->n / 2);
	for (i = 0; i < it->n; i++)
		put_str(w, it->elems[i].p, it->elems[i].len);
}

int kc_rdb_w_value(struct kc_rdb_w *w, const struct kc_rdb_item *it)
{
	if (!put_type(w, it))
		put_elems(w, it);
	return w->err;
}

int kc_rdb_w_item(struct kc_rdb_w *w, const struct kc_rdb_item *it)
{
	if (it->has_flags && it->client_flags)
		aux_num(w, FLAGS_AUX, it->client_flags);
	if (it->expire_ms >= 0) {
		put_u8(w, OP_EXPIRETIME_MS);
		put_le(w, it->expire_ms, 8);
	}
	/* as redis-server with an LRU policy (kcache's): 0 is left out */
	if (it->idle_s > 0) {
		put_u8(w, OP_IDLE);
		put_len(w, (uint64_t)it->idle_s);
	}
	if (put_type(w, it))
		return w->err;
	put_str(w, it->key.p, it->key.len);
	put_elems(w, it);
	return w->err;
}

int kc_rdb_w_finish(struct kc_rdb_w *w)
{
	uint64_t crc;

	put_u8(w, OP_EOF);
	if (w->err)
		return w->err;
	crc = kc_crc64(w->crc, w->p, w->len);
	put_le(w, crc, 8);
	if (w->fd >= 0) {
		/* the trailer must not enter the CRC: write it raw */
		size_t done = 0;

		w->crc = crc;
		while (!w->err && done < w->len) {
			ssize_t n = write(w->fd, w->p + done, w->len - done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				w->err = n < 0 ? -errno : -EIO;
			else
				done += n;
		}
		w->total += done;
		w->len = 0;
	}
	return w->err;
}

int kc_rdb_w_dump_trailer(struct kc_rdb_w *w)
{
	if (w->fd >= 0)
		return -EINVAL;
	put_le(w, KC_RDB_VERSION, 2);
	if (!w->err)
		put_le(w, kc_crc64(0, w->p, w->len), 8);
	return w->err;
}
