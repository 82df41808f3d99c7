// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the RESP and memcached parsers (no socket, no kernel):
 * each stream is parsed whole and fed in chunks of every size from 1 byte,
 * and the transcript of requests and errors must be the expected one in
 * every case.  Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memcache.h"
#include "resp.h"

static int n_test, n_fail;

static void ok(int cond, const char *name, const char *got)
{
	n_test++;
	if (cond) {
		printf("ok %d - %s\n", n_test, name);
	} else {
		n_fail++;
		printf("not ok %d - %s\n#   got: %s\n", n_test, name, got);
	}
}

/* Transcript: "a|b|c;" per request, "E:<err>;" per error. */
static void resp_run(const char *in, size_t inlen, size_t chunk, struct buf *t)
{
	struct resp_limits lim = { 64, 16, 128 };
	struct resp_parser p;
	char *b = malloc(inlen + 1);
	size_t fed = 0, len = 0;

	resp_parser_init(&p, &lim);
	while (fed < inlen) {
		size_t n = inlen - fed < chunk ? inlen - fed : chunk, off = 0;

		memcpy(b + len, in + fed, n);
		len += n;
		fed += n;
		for (;;) {
			struct arg *av;
			size_t ac, used, i;
			const char *err;
			int st = resp_parse(&p, b + off, len - off, &used, &av,
					    &ac, &err);

			if (st == RESP_NEED)
				break;
			if (st == RESP_ERR) {
				buf_printf(t, "E:%s;", err);
				goto out;
			}
			for (i = 0; i < ac; i++) {
				buf_add(t, av[i].p, av[i].len);
				buf_addc(t, i + 1 < ac ? '|' : ';');
			}
			if (!ac)
				buf_adds(t, "-;");
			off += used;
		}
		memmove(b, b + off, len - off);
		len -= off;
	}
out:
	buf_addc(t, 0);
	resp_parser_free(&p);
	free(b);
}

/*
 * Redis's proto-max-bulk-len (512 MiB, the proxy's default --max-bulk): a
 * length at the limit waits for its bytes, one past it is refused at once.
 */
static void proto_max_bulk(void)
{
	struct resp_limits lim = { 512U << 20, 16, 128 };
	char at[] = "*1\r\n$536870912\r\n", over[] = "*1\r\n$536870913\r\n";
	struct resp_parser p;
	const char *err = NULL;
	struct arg *av;
	size_t used, ac;
	int st;

	resp_parser_init(&p, &lim);
	st = resp_parse(&p, at, sizeof(at) - 1, &used, &av, &ac, &err);
	ok(st == RESP_NEED, "resp: a 512 MiB bulk length waits for its bytes", "");
	resp_parser_free(&p);
	resp_parser_init(&p, &lim);
	st = resp_parse(&p, over, sizeof(over) - 1, &used, &av, &ac, &err);
	ok(st == RESP_ERR && err && !strcmp(err, "Protocol error: invalid bulk length"),
	   "resp: a bulk length over 512 MiB is a protocol error", "");
	resp_parser_free(&p);
}

static void resp_case(const char *name, const char *in, size_t inlen,
		      const char *want)
{
	struct buf t;
	size_t chunk;
	int good = 1;
	char label[160];

	for (chunk = 1; chunk <= inlen; chunk++) {
		buf_init(&t);
		resp_run(in, inlen, chunk, &t);
		if (strcmp(t.data, want)) {
			good = 0;
			snprintf(label, sizeof(label), "resp: %s (chunks of %zu)",
				 name, chunk);
			ok(0, label, t.data);
			buf_free(&t);
			break;
		}
		buf_free(&t);
	}
	if (good) {
		snprintf(label, sizeof(label), "resp: %s (every split)", name);
		ok(1, label, "");
	}
}

static void mc_run(const char *in, size_t inlen, size_t chunk, struct buf *t)
{
	struct mc_limits lim = { 128, 64, 16 };
	struct mc_parser p;
	char *b = malloc(inlen + 1);
	size_t fed = 0, len = 0;

	mc_parser_init(&p, &lim);
	while (fed < inlen) {
		size_t n = inlen - fed < chunk ? inlen - fed : chunk, off = 0;

		memcpy(b + len, in + fed, n);
		len += n;
		fed += n;
		for (;;) {
			struct mc_req q;
			const char *err;
			size_t used, i;
			int st = mc_parse(&p, b + off, len - off, &used, &q, &err);

			if (st == MC_NEED)
				break;
			if (st == MC_CLOSE) {
				buf_printf(t, "C:%.*s;", (int)strlen(err) - 2, err);
				goto out;
			}
			if (st == MC_REPLY)
				buf_printf(t, "E:%.*s;", (int)strlen(err) - 2, err);
			if (st == MC_REQ) {
				buf_printf(t, "%d%s%s%s", q.type,
					   q.bad_chunk ? "!" : "",
					   q.too_large ? "+" : "",
					   q.more ? ">" : "");
				/* get-like pieces: the keys; else the arguments */
				i = 1;
				if (q.type >= MC_GET && q.type <= MC_GATS)
					i = q.first_key ? 1 : 0;
				for (; i < q.ntok; i++) {
					buf_addc(t, '|');
					buf_add(t, q.tok[i].p, q.tok[i].len);
				}
				if (q.data) {
					buf_adds(t, "=");
					buf_add(t, q.data, q.dlen);
				}
				buf_addc(t, ';');
			}
			off += used;
		}
		memmove(b, b + off, len - off);
		len -= off;
	}
out:
	buf_addc(t, 0);
	mc_parser_free(&p);
	free(b);
}

static void mc_case(const char *name, const char *in, size_t inlen,
		    const char *want)
{
	struct buf t;
	size_t chunk;
	int good = 1;
	char label[160];

	for (chunk = 1; chunk <= inlen; chunk++) {
		buf_init(&t);
		mc_run(in, inlen, chunk, &t);
		if (strcmp(t.data, want)) {
			good = 0;
			snprintf(label, sizeof(label), "memcache: %s (chunks of %zu)",
				 name, chunk);
			ok(0, label, t.data);
			buf_free(&t);
			break;
		}
		buf_free(&t);
	}
	if (good) {
		snprintf(label, sizeof(label), "memcache: %s (every split)", name);
		ok(1, label, "");
	}
}

#define RC(name, in, want) resp_case(name, in, sizeof(in) - 1, want)
#define MCC(name, in, want) mc_case(name, in, sizeof(in) - 1, want)

int main(void)
{
	static char big[400];
	char tmp[64];
	struct buf o;
	long long v;

	RC("multibulk", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "SET|k|v;");
	RC("pipeline", "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\nPING\r\n",
	   "PING;GET|;PING;");
	RC("binary bulk", "*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\0\x01\r\n", "ECHO|\r\n\0\x01;");
	RC("inline quotes", "SET k \"a b\\x41\\n\" 'c\\'d'\r\n", "SET|k|a bA\n|c'd;");
	RC("inline LF only", "PING\nPING\r\n", "PING;PING;");
	RC("empty inline and *0", "\r\n*0\r\n*-1\r\nPING\r\n", "-;-;-;PING;");
	RC("negative bulk", "*1\r\n$-1\r\n", "E:Protocol error: invalid bulk length;");
	RC("huge bulk", "*1\r\n$99999999999999999999\r\n", "E:Protocol error: invalid bulk length;");
	RC("bulk over limit", "*1\r\n$65\r\n", "E:Protocol error: invalid bulk length;");
	RC("bad count", "*x\r\n", "E:Protocol error: invalid multibulk length;");
	RC("bulk at the limit", "*1\r\n$64\r\n0123456789012345678901234567890123456789012345678901234567890123\r\n",
	   "0123456789012345678901234567890123456789012345678901234567890123;");
	proto_max_bulk();
	RC("count over limit", "*17\r\n", "E:Protocol error: invalid multibulk length;");
	RC("expected $", "*1\r\n:1\r\n", "E:Protocol error: expected '$', got ':';");
	RC("missing CRLF after bulk", "*1\r\n$3\r\nabcXY", "E:Protocol error: expected CRLF after a bulk string;");
	RC("CR without LF", "*1\r\n$3\rX", "E:Protocol error: invalid bulk length;");
	RC("unbalanced quotes", "SET \"k\r\n", "E:Protocol error: unbalanced quotes in request;");
	RC("closing quote then text", "SET \"k\"x\r\n", "E:Protocol error: unbalanced quotes in request;");
	memset(big, 'a', sizeof(big));
	resp_case("inline too big", big, sizeof(big), "E:Protocol error: too big inline request;");
	big[0] = '*';
	resp_case("count line too big", big, sizeof(big), "E:Protocol error: too big mbulk count string;");

	MCC("get many", "get a b c\r\n", "1|a|b|c;");
	MCC("set", "set k 5 0 5\r\nhello\r\nget k\r\n", "5|k|5|0|5=hello;1|k;");
	MCC("binary value", "set k 0 0 4 noreply\r\n\r\n\r\n\r\n", "5|k|0|0|4|noreply=\r\n\r\n;");
	MCC("ms", "ms k 2 T10 F3\r\nhi\r\nmn\r\n", "21|k|2|T10|F3=hi;24;");
	MCC("bad data chunk", "set k 0 0 2\r\nhiXYget k\r\n", "5!|k|0|0|2=hi;1|k;");
	MCC("negative length", "set k 0 0 -1\r\nget k\r\n", "E:CLIENT_ERROR bad command line format;1|k;");
	MCC("too large swallowed",
	    "set k 0 0 70\r\n0123456789012345678901234567890123456789012345678901234567890123456789\r\nget k\r\n",
	    "5+|k|0|0|70;1|k;");
	MCC("unknown and empty", "bogus\r\n\nversion\r\n", "0;25;17;");
	MCC("a key over the line limit",
	    "get aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "E:CLIENT_ERROR bad command line format;");
	MCC("a long line that is no get", "set aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "C:;");
	MCC("a get line in pieces",
	    "gets k1 k2 k3 k4 k5 k6 k7 k8 k9 k10 k11 k12 k13 k14 k15 k16 k17 k18 k19 k20 k21 k22 k23 k24 k25 k26 k27 k28 k29 k30 k31 k32 k33 k34 k35 k36 k37 k38 k39 k40 k41 k42\r\nversion\r\n",
	    "2>|k1|k2|k3|k4|k5|k6|k7|k8|k9|k10|k11|k12|k13|k14|k15|k16;"
	    "2>|k17|k18|k19|k20|k21|k22|k23|k24|k25|k26|k27|k28|k29|k30|k31|k32;"
	    "2|k33|k34|k35|k36|k37|k38|k39|k40|k41|k42;17;");
	MCC("HTTP request line", "GET / HTTP/1.1\r\nversion\r\n", "33|/|HTTP/1.1;17;");
	MCC("no HTTP check for known first letters", "gett / HTTP/1.1\r\n", "0|/|HTTP/1.1;");
	MCC("23 words kept", "delete a b c d e f g h i j k l m n o p q r s t u v w x y z\r\n",
	    "11|a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v;");
	MCC("set: memcached's numbers", "set k +1 4294967297 +2 foo\r\nab\r\nset k -1 0 1\r\nx\r\n",
	    "5|k|+1|4294967297|+2|foo=ab;E:CLIENT_ERROR bad command line format;0;");
	MCC("set noreply: errors are quiet", "set k x 0 1 noreply\r\nmn\r\n", "24;");
	MCC("length over int32 truncated", "set k 0 0 4294967297\r\nx\r\n", "5|k|0|0|4294967297=x;");
	MCC("gat without keys", "gat 10\r\ngat\r\ngat x k\r\n",
	    "3|10;E:ERROR;E:CLIENT_ERROR invalid exptime argument;");

	{
		struct arg a;
		uint32_t u32;
		int32_t i32;
		uint64_t u64;
		unsigned char kb[16];
		char enc[16];
		size_t kn;

#define A(s) (a.p = (char *)(s), a.len = strlen(s), &a)
		ok(mc_strtoul(A("4294967297"), &u32) && u32 == 1 &&
		   !mc_strtoul(A("-1"), &u32) && mc_strtoul(A("+7"), &u32) &&
		   u32 == 7 && mc_strtoul(A("\t5"), &u32) && u32 == 5 &&
		   !mc_strtoul(A("5x"), &u32) && !mc_strtoul(A(""), &u32) &&
		   !mc_strtoul(A("99999999999999999999"), &u32),
		   "safe_strtoul as memcached's", "");
		ok(mc_strtol(A("99999999999"), &i32) && i32 == 1215752191 &&
		   mc_strtol(A("-1"), &i32) && i32 == -1 &&
		   !mc_strtol(A("9223372036854775808"), &i32),
		   "safe_strtol as memcached's", "");
		ok(mc_strtoull(A("18446744073709551615"), &u64) &&
		   u64 == UINT64_MAX && !mc_strtoull(A("18446744073709551616"), &u64) &&
		   mc_strtoull(A("-9223372036854775809"), &u64) &&
		   u64 == 9223372036854775807ULL &&
		   mc_strtoull(A("-1x") , &u64) == false,
		   "safe_strtoull as memcached's", "");
		kn = mc_base64_decode("AAEC", 4, kb);
		ok(kn == 3 && kb[0] == 0 && kb[1] == 1 && kb[2] == 2 &&
		   mc_base64_decode("enp6", 4, kb) == 3 && !memcmp(kb, "zzz", 3) &&
		   mc_base64_decode("YQ==", 4, kb) == 1 && kb[0] == 'a' &&
		   !mc_base64_decode("zz3", 3, kb) &&
		   mc_base64_encode((const unsigned char *)"ab", 2, enc) == 4 &&
		   !memcmp(enc, "YWI=", 4), "base64 of binary keys", "");
#undef A
	}
	ok(resp_str2ll("-9223372036854775808", 20, &v) && v == INT64_MIN,
	   "str2ll: LLONG_MIN", "");
	ok(!resp_str2ll("9223372036854775808", 19, &v), "str2ll: overflow", "");
	ok(!resp_str2ll("01", 2, &v) && !resp_str2ll("+1", 2, &v) &&
	   !resp_str2ll(" 1", 2, &v) && !resp_str2ll("-0", 2, &v),
	   "str2ll: Redis's strictness", "");
	buf_init(&o);
	resp_errorf(&o, "ERR a\r\nb");
	resp_null(&o, 3);
	resp_map(&o, 2, 2);
	snprintf(tmp, sizeof(tmp), "%.*s", (int)o.len, o.data);
	ok(!strcmp(tmp, "-ERR a  b\r\n_\r\n*4\r\n"), "encoder: framing kept", tmp);
	buf_free(&o);

	printf("1..%d\n", n_test);
	printf("# %d passed, %d failed\n", n_test - n_fail, n_fail);
	return n_fail ? 1 : 0;
}
