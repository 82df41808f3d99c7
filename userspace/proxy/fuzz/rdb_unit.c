// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the RDB reader and writer (userspace/lib/rdb.c) for
 * sorted sets; no kernel needed.
 *
 *   rdb-unit                 the unit tests (TAP): every sorted-set type
 *                            (3, 5, 12, 17) read from hand-built and
 *                            redis-server 7.0.15 payloads, NaN and
 *                            malformed ones refused, every truncation
 *                            refused, the writer's encodings (listpack
 *                            or type 5, scores as Redis writes them)
 *   rdb-unit show FILE       each key of an RDB file as text ("zset KEY",
 *                            then "MEMBER SCORE" lines, %.17g), for
 *                            rdb_interop.py to compare with redis-server
 *   rdb-unit copy IN OUT     IN parsed and written again as OUT by the
 *                            writer
 *   rdb-unit dumps FILE      "hex(key) hex(DUMP payload)" of each sorted
 *                            set, as the writer encodes it
 *
 * make -C userspace rdb-unit runs the first and, with redis-server and
 * redis-check-rdb installed, rdb_interop.py over the other three.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rdb.h"

static int tests, failed;

static void ok(int cond, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!cond)
		failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* ---- a captured value, from the parser's callback ---- */

#define MAXP	512

struct got {
	int type, calls;
	size_t n;
	char member[MAXP][80];
	size_t mlen[MAXP];
	double score[MAXP];
};

static int grab(void *ctx, const struct kc_rdb_item *it)
{
	struct got *g = ctx;
	size_t i;

	g->calls++;
	g->type = it->type;
	g->n = it->n;
	if (it->type != KC_RDB_ZSET || it->n / 2 > MAXP)
		return 0;
	for (i = 0; i < it->n; i += 2) {
		size_t l = it->elems[i].len < 79 ? it->elems[i].len : 79;

		memcpy(g->member[i / 2], it->elems[i].p, l);
		g->member[i / 2][l] = 0;
		g->mlen[i / 2] = it->elems[i].len;
		if (it->elems[i + 1].len != 8)
			return -EINVAL;
		memcpy(&g->score[i / 2], it->elems[i + 1].p, 8);
	}
	return 0;
}

/* Appends the DUMP trailer: RDB version 10 and the CRC-64. */
static size_t seal(unsigned char *b, size_t len)
{
	uint64_t crc;
	int i;

	b[len++] = 10;
	b[len++] = 0;
	crc = kc_crc64(0, b, len);
	for (i = 0; i < 8; i++)
		b[len++] = crc >> (8 * i);
	return len;
}

static int hexval(int c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static size_t unhex(const char *h, unsigned char *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2)
		out[n++] = hexval(h[0]) << 4 | hexval(h[1]);
	return n;
}

/* Same bits, so -0 and 0 differ and inf matches inf. */
static int same_score(double a, double b)
{
	return !memcmp(&a, &b, sizeof(a));
}

struct want {
	const char *m;
	double s;
};

static int matches(const struct got *g, const struct want *w, size_t n)
{
	size_t i;

	if (g->calls != 1 || g->type != KC_RDB_ZSET || g->n != 2 * n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(g->member[i], w[i].m) || !same_score(g->score[i], w[i].s))
			return 0;
	return 1;
}

/* Every proper prefix (with a fresh trailer) and every cut is refused. */
static int truncations_refused(const unsigned char *p, size_t len)
{
	unsigned char b[4096];
	struct kc_rdb_err err;
	size_t cut;

	for (cut = 1; cut < len - 10; cut++) {
		memcpy(b, p, cut);
		if (kc_rdb_parse_value(b, seal(b, cut), NULL, NULL, &err) !=
		    -EBADMSG)
			return 0;
		if (kc_rdb_parse_value(p, cut, NULL, NULL, &err) != -EBADMSG)
			return 0;
	}
	return 1;
}

/* DUMP payload of 2n elements, the writer's way. */
static int dump_zset(struct kc_rdb_w *w, const struct kc_rdb_str *e, size_t n)
{
	struct kc_rdb_item it = { .type = KC_RDB_ZSET, .expire_ms = -1 };

	kc_rdb_w_init(w, -1);
	it.elems = e;
	it.n = n;
	if (kc_rdb_w_value(w, &it))
		return w->err;
	return kc_rdb_w_dump_trailer(w);
}

/* DUMP of ZADD z 0.1 a -0 b 1e300 c inf d -inf e 3 f -2.5 g 1e16 h 1e17 i
 * 4503599627370496 j 4503599627370495 k 123456789012 l, from
 * redis-server 7.0.15 with rdbcompression no. */
static const char redis_lp[] =
	"1140a0a00000001800816502842d696e6605816702842d322e3505816202000181"
	"610293302e3130303030303030303030303030303031148166020301816c02f414"
	"1a99be1c00000009816b02f4ffffffffffff0f0009816a02f40000000000001000"
	"09816802f40000c16ff286230009816902f400008a5d784563010981630297312e"
	"30303030303030303030303030303031652b3330301881640283696e6604ff0a00"
	"ab645c1fb9d8b1ed";

/* ZADD t -4611686018427388928 g -4611686018427387904 d 1e18 f
 * 4611686018427387904 a 4611686018427388928 c 9e18 b, the same way. */
static const char redis_2p62[] =
	"11406f6f0000000c00816702972d342e3631313638363031383432373338383965"
	"2b313818816402f400000000000000c009816602f4000064a7b3b6e00d09816102"
	"f400000000000000400981630296342e3631313638363031383432373338383965"
	"2b3138178162028539652b313806ff0a005f4cdbab231b7925";

static void test_redis_listpack(void)
{
	static const struct want w[] = {
		{ "e", -INFINITY }, { "g", -2.5 }, { "b", 0 }, { "a", 0.1 },
		{ "f", 3 }, { "l", 123456789012.0 }, { "k", 4503599627370495.0 },
		{ "j", 4503599627370496.0 }, { "h", 1e16 }, { "i", 1e17 },
		{ "c", 1e300 }, { "d", INFINITY },
	};
	unsigned char b[512];
	struct kc_rdb_str e[24];
	struct kc_rdb_err err;
	struct kc_rdb_w wr;
	struct got g = { 0 };
	size_t len = unhex(redis_lp, b), i;
	int r;

	r = kc_rdb_parse_value(b, len, grab, &g, &err);
	ok(r == 0 && matches(&g, w, 12),
	   "type 17 from redis-server: 12 members, integer and text scores "
	   "(%d %s)", r, err.msg);
	/* the writer, given the same set, writes the same bytes */
	for (i = 0; i < 12; i++) {
		e[2 * i].p = (const void *)w[i].m;
		e[2 * i].len = strlen(w[i].m);
		e[2 * i + 1].p = (const void *)&w[i].s;
		e[2 * i + 1].len = 8;
	}
	r = dump_zset(&wr, e, 24);
	ok(r == 0 && wr.len == len && !memcmp(wr.p, b, len),
	   "writer: listpack byte for byte as redis-server 7.0.15's DUMP");
	kc_rdb_w_free(&wr);
	/* -0 is written as the integer 0, as Redis */
	{
		double z = -0.0;
		struct kc_rdb_str e2[2] = { { (const void *)"b", 1 },
					    { (const void *)&z, 8 } };

		memset(&g, 0, sizeof(g));
		r = dump_zset(&wr, e2, 2);
		ok(r == 0 && wr.p[0] == 17 &&
		   kc_rdb_parse_value(wr.p, wr.len, grab, &g, &err) == 0 &&
		   g.n == 2 && same_score(g.score[0], 0.0),
		   "writer: a -0 score goes out as the integer 0");
		kc_rdb_w_free(&wr);
	}
	ok(truncations_refused(b, len), "type 17: every truncation refused");
	/* around 2^62, where Redis stops writing integral scores as integers */
	{
		static const double v[] = {
			-4611686018427388928.0, -4611686018427387904.0, 1e18,
			4611686018427387904.0, 4611686018427388928.0, 9e18,
		};
		struct kc_rdb_str e3[12];

		len = unhex(redis_2p62, b);
		for (i = 0; i < 6; i++) {
			e3[2 * i].p = (const void *)&"gdfacb"[i];
			e3[2 * i].len = 1;
			e3[2 * i + 1].p = (const void *)&v[i];
			e3[2 * i + 1].len = 8;
		}
		r = dump_zset(&wr, e3, 12);
		ok(r == 0 && wr.len == len && !memcmp(wr.p, b, len),
		   "writer: +-2^62 integers, beyond it text, as redis-server");
		kc_rdb_w_free(&wr);
	}
}

static void test_type3(void)
{
	/* in ZRANGE order: the file's order is mixed, a tie goes by bytes */
	static const struct want w[] = {
		{ "c", -INFINITY }, { "d", -2e-5 }, { "A", 1.5 }, { "a", 1.5 },
		{ "b", INFINITY },
	};
	unsigned char b[256];
	struct kc_rdb_err err;
	struct got g = { 0 };
	size_t n = 0;
	int r;

	b[n++] = 3;
	b[n++] = 5;
	memcpy(b + n, "\x01" "a" "\x03" "1.5", 6);
	n += 6;
	memcpy(b + n, "\x01" "b" "\xfe", 3);
	n += 3;
	memcpy(b + n, "\x01" "c" "\xff", 3);
	n += 3;
	memcpy(b + n, "\x01" "d" "\x05" "-2e-5", 8);
	n += 8;
	memcpy(b + n, "\x01" "A" "\x03" "1.5", 6);
	n += 6;
	n = seal(b, n);
	r = kc_rdb_parse_value(b, n, grab, &g, &err);
	ok(r == 0 && matches(&g, w, 5),
	   "type 3: text scores, 254 = inf, 255 = -inf, sorted (%d %s)", r,
	   err.msg);
	ok(truncations_refused(b, n), "type 3: every truncation refused");
	/* 253: NaN */
	b[10] = 0xfd;
	n = seal(b, 28);
	memset(&err, 0, sizeof(err));
	r = kc_rdb_parse_value(b, n, grab, &g, &err);
	ok(r == -EBADMSG && strstr(err.msg, "NaN"),
	   "type 3: a 253 (NaN) score refused: %s", err.msg);
	/* text that is not a number, or is "nan" */
	{
		static const char *bad[] = { "1.5x", " 1", "nan", "", "-" };
		size_t i;
		int all = 1;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			size_t l = strlen(bad[i]);

			n = 0;
			b[n++] = 3;
			b[n++] = 1;
			b[n++] = 1;
			b[n++] = 'a';
			b[n++] = l;
			memcpy(b + n, bad[i], l);
			n = seal(b, n + l);
			if (kc_rdb_parse_value(b, n, NULL, NULL, &err) != -EBADMSG)
				all = 0;
		}
		ok(all, "type 3: scores \"1.5x\", \" 1\", \"nan\", \"\", \"-\" refused");
	}
	/* a count the bytes cannot hold */
	n = 0;
	b[n++] = 3;
	b[n++] = 0x80;
	memcpy(b + n, "\x10\x00\x00\x00", 4);
	n += 4;
	n = seal(b, n);
	ok(kc_rdb_parse_value(b, n, NULL, NULL, &err) == -EBADMSG,
	   "type 3: a huge member count refused: %s", err.msg);
}

static void test_type5(void)
{
	static const struct want w[] = {
		{ "12", -1e300 }, { "x", 2.25 },
	};
	unsigned char b[256];
	struct kc_rdb_err err;
	struct got g = { 0 };
	double d;
	uint64_t u;
	size_t n = 0;
	int r, i;

	b[n++] = 5;
	b[n++] = 2;
	b[n++] = 1;
	b[n++] = 'x';
	d = 2.25;
	memcpy(&u, &d, 8);
	for (i = 0; i < 8; i++)
		b[n++] = u >> (8 * i);
	b[n++] = 0xc0;		/* "12", integer-encoded */
	b[n++] = 12;
	d = -1e300;
	memcpy(&u, &d, 8);
	for (i = 0; i < 8; i++)
		b[n++] = u >> (8 * i);
	n = seal(b, n);
	r = kc_rdb_parse_value(b, n, grab, &g, &err);
	ok(r == 0 && matches(&g, w, 2),
	   "type 5: binary scores, an integer-encoded member, highest "
	   "first turned round (%d %s)", r,
	   err.msg);
	ok(truncations_refused(b, n), "type 5: every truncation refused");
	/* a NaN score */
	u = 0x7ff8000000000001ULL;
	for (i = 0; i < 8; i++)
		b[4 + i] = u >> (8 * i);
	n = seal(b, n - 10);
	memset(&err, 0, sizeof(err));
	ok(kc_rdb_parse_value(b, n, NULL, NULL, &err) == -EBADMSG &&
	   strstr(err.msg, "NaN"), "type 5: a NaN score refused: %s", err.msg);
}

static void test_type12(void)
{
	/* ziplist: "a", "1.5", "b", 3 (4-bit immediate), "c", -300 (int16) */
	static const unsigned char zl[] = {
		31, 0, 0, 0, 26, 0, 0, 0, 6, 0,
		0, 0x01, 'a',
		3, 0x03, '1', '.', '5',
		5, 0x01, 'b',
		3, 0xf4,
		2, 0x01, 'c',
		3, 0xc0, 0xd4, 0xfe,
		0xff,
	};
	static const struct want w[] = {
		{ "c", -300 }, { "a", 1.5 }, { "b", 3 },
	};
	unsigned char b[256];
	struct kc_rdb_err err;
	struct got g = { 0 };
	size_t n = 0;
	int r;

	b[n++] = 12;
	b[n++] = sizeof(zl);
	memcpy(b + n, zl, sizeof(zl));
	n += sizeof(zl);
	n = seal(b, n);
	r = kc_rdb_parse_value(b, n, grab, &g, &err);
	ok(sizeof(zl) == 31 && r == 0 && matches(&g, w, 3),
	   "type 12: ziplist with text and integer scores (%d %s)", r,
	   err.msg);
	ok(truncations_refused(b, n), "type 12: every truncation refused");
	/* an odd entry count: drop the last pair's score */
	n = 0;
	b[n++] = 12;
	b[n++] = 27;
	memcpy(b + n, zl, 26);
	b[n] = 27;
	b[n + 4] = 23;
	b[n + 8] = 5;
	b[n + 26] = 0xff;
	n = seal(b, n + 27);
	memset(&err, 0, sizeof(err));
	ok(kc_rdb_parse_value(b, n, NULL, NULL, &err) == -EBADMSG &&
	   strstr(err.msg, "odd"), "type 12: an odd entry count refused: %s",
	   err.msg);
	/* a score that is not a number: "1.5" -> "1x5" */
	n = 0;
	b[n++] = 12;
	b[n++] = sizeof(zl);
	memcpy(b + n, zl, sizeof(zl));
	b[n + 16] = 'x';
	n = seal(b, n + sizeof(zl));
	memset(&err, 0, sizeof(err));
	ok(kc_rdb_parse_value(b, n, NULL, NULL, &err) == -EBADMSG &&
	   strstr(err.msg, "not a number"),
	   "type 12: a score that is not a number refused: %s", err.msg);
}

static void test_listpack_bad(void)
{
	unsigned char b[256];
	struct kc_rdb_err err;
	size_t n = 0;

	/* listpack: "a", "nan" */
	static const unsigned char lp[] = {
		15, 0, 0, 0, 2, 0,
		0x81, 'a', 2,
		0x83, 'n', 'a', 'n', 4,
		0xff,
	};
	b[n++] = 17;
	b[n++] = sizeof(lp);
	memcpy(b + n, lp, sizeof(lp));
	n = seal(b, n + sizeof(lp));
	ok(kc_rdb_parse_value(b, n, NULL, NULL, &err) == -EBADMSG &&
	   strstr(err.msg, "not a number"),
	   "type 17: a \"nan\" score refused: %s", err.msg);
}

/* Writer: big sets and long members go out as type 5, highest first. */
static void test_writer_types(void)
{
	static char names[200][80];
	static double sc[200];
	struct kc_rdb_str e[400];
	struct kc_rdb_err err;
	struct kc_rdb_w w;
	struct got g;
	size_t i;
	int r, good;

	for (i = 0; i < 200; i++) {
		snprintf(names[i], sizeof(names[i]), "m%03zu", i);
		sc[i] = i % 7 ? i + 1.0 / 3 : (double)i;	/* ascending */
		e[2 * i].p = (const void *)names[i];
		e[2 * i].len = strlen(names[i]);
		e[2 * i + 1].p = (const void *)&sc[i];
		e[2 * i + 1].len = 8;
	}
	for (i = 128; i <= 129; i++) {
		memset(&g, 0, sizeof(g));
		r = dump_zset(&w, e, 2 * i);
		good = r == 0 && w.p[0] == (i == 128 ? 17 : 5) &&
		       kc_rdb_parse_value(w.p, w.len, grab, &g, &err) == 0 &&
		       g.n == 2 * i;
		/* in order again (type 5 holds the highest first) */
		if (good)
			good = !strcmp(g.member[0], names[0]) &&
			       !strcmp(g.member[i - 1], names[i - 1]) &&
			       same_score(g.score[i - 1], sc[i - 1]) &&
			       same_score(g.score[1], sc[1]);
		ok(good, "writer: %zu members -> type %d, read back", i,
		   i == 128 ? 17 : 5);
		kc_rdb_w_free(&w);
	}
	/* a member of 65 bytes: type 5; of 64: listpack */
	for (i = 64; i <= 65; i++) {
		char m[80];
		double s = 1;
		struct kc_rdb_str e2[2] = { { (const void *)m, i },
					    { (const void *)&s, 8 } };

		memset(m, 'x', sizeof(m));
		r = dump_zset(&w, e2, 2);
		ok(r == 0 && w.p[0] == (i == 64 ? 17 : 5) &&
		   kc_rdb_parse_value(w.p, w.len, NULL, NULL, &err) == 0,
		   "writer: a %zu-byte member -> type %d", i, i == 64 ? 17 : 5);
		kc_rdb_w_free(&w);
	}
	/* refused: odd count, a short score, NaN */
	{
		double nan = NAN, one = 1;
		struct kc_rdb_str bad1[1] = { { (const void *)"a", 1 } };
		struct kc_rdb_str bad2[2] = { { (const void *)"a", 1 },
					      { (const void *)&one, 4 } };
		struct kc_rdb_str bad3[2] = { { (const void *)"a", 1 },
					      { (const void *)&nan, 8 } };

		r = dump_zset(&w, bad1, 1);
		kc_rdb_w_free(&w);
		good = r == -EINVAL;
		r = dump_zset(&w, bad2, 2);
		kc_rdb_w_free(&w);
		good = good && r == -EINVAL;
		r = dump_zset(&w, bad3, 2);
		kc_rdb_w_free(&w);
		ok(good && r == -EINVAL,
		   "writer: odd count, 4-byte score, NaN score: -EINVAL");
	}
	/* listpack integer encodings at their edges, read back */
	{
		static const double v[] = {	/* ascending */
			-1e16, -4503599627370494.0, -2147483648.0, -8388608,
			-32768, -4097, -4096, -1, -0.25, 0, 1e-300, 0.5, 127,
			128, 4095, 4096, 32767, 32768, 8388607, 8388608,
			2147483647, 2147483648.0, 1e16, 1e17,
		};
		size_t k = sizeof(v) / sizeof(v[0]);

		for (i = 0; i < k; i++) {
			snprintf(names[i], sizeof(names[i]), "%zu", i);
			e[2 * i].p = (const void *)names[i];
			e[2 * i].len = strlen(names[i]);
			e[2 * i + 1].p = (const void *)&v[i];
			e[2 * i + 1].len = 8;
		}
		memset(&g, 0, sizeof(g));
		r = dump_zset(&w, e, 2 * k);
		good = r == 0 && w.p[0] == 17 &&
		       kc_rdb_parse_value(w.p, w.len, grab, &g, &err) == 0 &&
		       g.n == 2 * k;
		for (i = 0; good && i < k; i++)
			good = same_score(g.score[i], v[i]) &&
			       atoi(g.member[i]) == (int)i;
		ok(good, "writer: listpack integer encodings at their edges "
		   "read back exactly");
		kc_rdb_w_free(&w);
	}
}

static int unit(void)
{
	test_redis_listpack();
	test_type3();
	test_type5();
	test_type12();
	test_listpack_bad();
	test_writer_types();
	printf("1..%d\n", tests);
	if (failed)
		printf("# %d of %d failed\n", failed, tests);
	return failed ? 1 : 0;
}

/* ---- tools for rdb_interop.py ---- */

static void *slurp(const char *path, size_t *len)
{
	struct stat sb;
	void *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb)) {
		perror(path);
		exit(2);
	}
	p = malloc(sb.st_size ? sb.st_size : 1);
	if (!p || read(fd, p, sb.st_size) != sb.st_size) {
		perror(path);
		exit(2);
	}
	close(fd);
	*len = sb.st_size;
	return p;
}

static void put_text(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf(p[i] > 32 && p[i] < 127 && p[i] != '\\' ? "%c" : "\\x%02x",
		       p[i]);
}

static int show_item(void *ctx, const struct kc_rdb_item *it)
{
	size_t i;

	(void)ctx;
	printf("%s ", it->type == KC_RDB_ZSET ? "zset" : "other");
	put_text(it->key.p, it->key.len);
	printf("\n");
	if (it->type != KC_RDB_ZSET)
		return 0;
	for (i = 0; i < it->n; i += 2) {
		double d;

		memcpy(&d, it->elems[i + 1].p, 8);
		put_text(it->elems[i].p, it->elems[i].len);
		printf(" %.17g\n", d);
	}
	return 0;
}

static int copy_item(void *ctx, const struct kc_rdb_item *it)
{
	return kc_rdb_w_item(ctx, it);
}

static int dumps_item(void *ctx, const struct kc_rdb_item *it)
{
	struct kc_rdb_w w;
	size_t i;

	(void)ctx;
	if (it->type != KC_RDB_ZSET)
		return 0;
	kc_rdb_w_init(&w, -1);
	if (kc_rdb_w_value(&w, it) || kc_rdb_w_dump_trailer(&w))
		return w.err;
	for (i = 0; i < it->key.len; i++)
		printf("%02x", it->key.p[i]);
	printf(" ");
	for (i = 0; i < w.len; i++)
		printf("%02x", w.p[i]);
	printf("\n");
	kc_rdb_w_free(&w);
	return 0;
}

static int tool(int argc, char **argv)
{
	struct kc_rdb_parse_opts o = { 0 };
	struct kc_rdb_err err;
	struct kc_rdb_w w;
	size_t len;
	void *buf;
	int r, fd = -1;

	buf = slurp(argv[2], &len);
	if (!strcmp(argv[1], "show") && argc == 3) {
		o.item = show_item;
	} else if (!strcmp(argv[1], "dumps") && argc == 3) {
		o.item = dumps_item;
	} else if (!strcmp(argv[1], "copy") && argc == 4) {
		fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			perror(argv[3]);
			return 2;
		}
		kc_rdb_w_init(&w, fd);
		kc_rdb_w_header(&w, 0, 0);
		kc_rdb_w_selectdb(&w, 0, 0, 0);
		o.item = copy_item;
		o.ctx = &w;
	} else {
		fprintf(stderr, "usage: rdb-unit [show FILE | dumps FILE | "
			"copy IN OUT]\n");
		return 2;
	}
	r = kc_rdb_parse(buf, len, &o, NULL, &err);
	if (!r && fd >= 0)
		r = kc_rdb_w_finish(&w);
	if (fd >= 0) {
		kc_rdb_w_free(&w);
		close(fd);
	}
	free(buf);
	if (r) {
		fprintf(stderr, "rdb-unit: %s: %s (offset %zu: %s)\n", argv[2],
			strerror(-r), err.off, err.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3)
		return tool(argc, argv);
	if (argc != 1) {
		fprintf(stderr, "usage: rdb-unit [show FILE | dumps FILE | "
			"copy IN OUT]\n");
		return 2;
	}
	return unit();
}
