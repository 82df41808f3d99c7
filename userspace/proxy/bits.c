// SPDX-License-Identifier: GPL-2.0
/*
 * Redis's bitmap arithmetic on plain buffers (see bits.h).  Written from
 * the documented and observed behaviour of redis-server 7.0.15: ranges,
 * clamping, OVERFLOW modes and error texts as it answers them.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "bits.h"
#include "resp.h"

static unsigned bit_at(const unsigned char *p, uint64_t b)
{
	return (p[b >> 3] >> (7 - (b & 7))) & 1;
}

bool bits_range(long long *start, long long *end, long long n)
{
	if (*start < 0)
		*start += n;
	if (*end < 0)
		*end += n;
	if (*start < 0)
		*start = 0;
	if (*end < 0)
		*end = 0;
	if (*end >= n)
		*end = n - 1;
	return *start <= *end;
}

long long bits_count(const unsigned char *p, uint64_t first, uint64_t last)
{
	uint64_t b = first;
	long long n = 0;

	for (; b <= last && (b & 7); b++)
		n += bit_at(p, b);
	for (; b + 7 <= last; b += 8)
		n += __builtin_popcount(p[b >> 3]);
	for (; b <= last; b++)
		n += bit_at(p, b);
	return n;
}

long long bits_pos(const unsigned char *p, int bit, uint64_t first,
		   uint64_t last)
{
	unsigned char skip = bit ? 0 : 0xff;	/* a byte without one */
	uint64_t b = first;

	while (b <= last) {
		if (!(b & 7) && b + 7 <= last && p[b >> 3] == skip) {
			b += 8;
			continue;
		}
		if (bit_at(p, b) == (unsigned)bit)
			return (long long)b;
		b++;
	}
	return -1;
}

size_t bits_fold(int op, bool first, unsigned char *acc, size_t have,
		 const unsigned char *s, size_t slen)
{
	size_t n = have > slen ? have : slen, i;

	if (first) {
		for (i = 0; i < slen; i++)
			acc[i] = op == BITOP_NOT ? (unsigned char)~s[i] : s[i];
		return slen;
	}
	for (i = 0; i < n; i++) {
		unsigned a = i < have ? acc[i] : 0, b = i < slen ? s[i] : 0;

		if (op == BITOP_AND)
			a &= b;
		else if (op == BITOP_OR)
			a |= b;
		else
			a ^= b;
		acc[i] = (unsigned char)a;
	}
	return n;
}

/* ------------------------------------------------------------ BITFIELD */

static bool eq(const struct arg *a, const char *s)
{
	size_t n = strlen(s);

	return a->len == n && !strncasecmp(a->p, s, n);
}

/* "i1" .. "i64", "u1" .. "u63", lower case only. */
static bool bf_type(const struct arg *a, struct bf_op *op)
{
	long long bits;

	if (a->len < 2 || (a->p[0] != 'i' && a->p[0] != 'u'))
		return false;
	if (!resp_str2ll(a->p + 1, a->len - 1, &bits))
		return false;
	op->sign = a->p[0] == 'i';
	if (bits < 1 || bits > (op->sign ? 64 : 63))
		return false;
	op->bits = (uint8_t)bits;
	return true;
}

/* A bit offset, or "#N": the Nth field of this type. */
static bool bf_offset(const struct arg *a, uint64_t maxbulk, struct bf_op *op)
{
	bool field = a->len && a->p[0] == '#';
	long long v;

	if (!resp_str2ll(a->p + field, a->len - field, &v))
		return false;
	if (field) {
		if (v > LLONG_MAX / op->bits)
			return false;
		v *= op->bits;
	}
	if (v < 0 || ((uint64_t)v >> 3) >= maxbulk)
		return false;
	op->off = (uint64_t)v;
	return true;
}

const char *bf_parse(const struct arg *argv, size_t argc, uint64_t maxbulk,
		     struct bf_op *ops, size_t *n, uint64_t *need)
{
	uint8_t ow = BF_WRAP;
	size_t j = 2, k = 0;
	long long v;

	*need = 0;
	while (j < argc) {
		size_t left = argc - j - 1;
		struct bf_op *op = &ops[k];

		if (eq(&argv[j], "overflow") && left >= 1) {
			if (eq(&argv[j + 1], "wrap"))
				ow = BF_WRAP;
			else if (eq(&argv[j + 1], "sat"))
				ow = BF_SAT;
			else if (eq(&argv[j + 1], "fail"))
				ow = BF_FAIL;
			else
				return "ERR Invalid OVERFLOW type specified";
			j += 2;
			continue;
		}
		if (eq(&argv[j], "get") && left >= 2)
			op->kind = BF_GET;
		else if (eq(&argv[j], "set") && left >= 3)
			op->kind = BF_SET;
		else if (eq(&argv[j], "incrby") && left >= 3)
			op->kind = BF_INCRBY;
		else
			return "ERR syntax error";
		if (!bf_type(&argv[j + 1], op))
			return "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
		if (!bf_offset(&argv[j + 2], maxbulk, op))
			return "ERR bit offset is not an integer or out of range";
		op->ow = ow;
		op->val = 0;
		if (op->kind != BF_GET) {
			uint64_t end;

			if (!resp_str2ll(argv[j + 3].p, argv[j + 3].len, &v))
				return "ERR value is not an integer or out of range";
			op->val = v;
			end = ((op->off + op->bits - 1) >> 3) + 1;
			if (end > *need)
				*need = end;
		}
		j += op->kind == BF_GET ? 3 : 4;
		k++;
	}
	*n = k;
	return NULL;
}

static uint64_t get_bits(const unsigned char *p, size_t len, uint64_t off,
			 unsigned bits)
{
	uint64_t v = 0, b;
	unsigned i;

	for (i = 0; i < bits; i++) {
		b = off + i;
		v = v << 1 | ((b >> 3) < len ? bit_at(p, b) : 0);
	}
	return v;
}

static void put_bits(unsigned char *p, uint64_t off, unsigned bits,
		     uint64_t v)
{
	unsigned i, mask;
	uint64_t b;

	for (i = 0; i < bits; i++) {
		b = off + i;
		mask = 0x80u >> (b & 7);
		if ((v >> (bits - 1 - i)) & 1)
			p[b >> 3] |= (unsigned char)mask;
		else
			p[b >> 3] &= (unsigned char)~mask;
	}
}

/* The low bits of v as a signed number of that width. */
static int64_t sext(uint64_t v, unsigned bits)
{
	if (bits < 64 && ((v >> (bits - 1)) & 1))
		v |= ~(uint64_t)0 << bits;
	else if (bits < 64)
		v &= ((uint64_t)1 << bits) - 1;
	return (int64_t)v;
}

bool bf_run(const struct bf_op *op, unsigned char *p, size_t len,
	    int64_t *out, bool *changed)
{
	uint64_t mask = op->bits == 64 ? ~(uint64_t)0 :
			((uint64_t)1 << op->bits) - 1;
	uint64_t raw = get_bits(p, len, op->off, op->bits);
	int64_t old = op->sign ? sext(raw, op->bits) : (int64_t)raw;
	int64_t inc = op->kind == BF_INCRBY ? op->val : 0;
	uint64_t res;

	*changed = false;
	if (op->kind == BF_GET) {
		*out = old;
		return true;
	}
	if (op->sign) {
		int64_t max = op->bits == 64 ? INT64_MAX :
			      ((int64_t)1 << (op->bits - 1)) - 1;
		int64_t base = op->kind == BF_SET ? op->val : old;
		__int128 sum = (__int128)base + inc;

		if (sum > max || sum < -max - 1) {
			/*
			 * Redis 7.0 takes max - value in 64 bits: where that
			 * wraps (SET far below the range) it saturates high.
			 */
			bool high = sum > max ||
				    (op->bits < 64 &&
				     (int64_t)((uint64_t)max - (uint64_t)base) < 0);

			if (op->ow == BF_FAIL)
				return false;
			if (op->ow == BF_SAT)
				res = (uint64_t)(high ? max : -max - 1);
			else
				res = (uint64_t)sext((uint64_t)base +
						     (uint64_t)inc, op->bits);
		} else {
			res = (uint64_t)(int64_t)sum;
		}
		*out = op->kind == BF_SET ? old : (int64_t)res;
	} else {
		uint64_t max = ((uint64_t)1 << op->bits) - 1;
		uint64_t base = op->kind == BF_SET ? (uint64_t)op->val : raw;
		bool over = base > max ||
			    (inc > 0 && (uint64_t)inc > max - base);
		bool under = !over && inc < 0 &&
			     (uint64_t)0 - (uint64_t)inc > base;

		if (over || under) {
			if (op->ow == BF_FAIL)
				return false;
			if (op->ow == BF_SAT)
				res = over ? max : 0;
			else
				res = (base + (uint64_t)inc) & max;
		} else {
			res = base + (uint64_t)inc;
		}
		*out = op->kind == BF_SET ? old : (int64_t)res;
	}
	(void)len;
	*changed = (res & mask) != raw;
	put_bits(p, op->off, op->bits, res);
	return true;
}

void bf_get_reply(struct buf *o, const struct bf_op *ops, size_t n,
		  const unsigned char *v, size_t len)
{
	bool changed;
	int64_t out;
	size_t i;

	resp_array(o, n);
	for (i = 0; i < n; i++) {
		/* A GET writes nothing: v is only read. */
		bf_run(&ops[i], (unsigned char *)v, v ? len : 0, &out, &changed);
		resp_int(o, out);
	}
}

/* ------------------------------------------------------------ replies */

static const char *const syntax_err = "ERR syntax error";
static const char *const int_err = "ERR value is not an integer or out of range";

/* BYTE (false) or BIT (true) in argv[at], if given; false after an error. */
static bool bits_unit(struct buf *o, const struct arg *argv, size_t argc,
		      size_t at, bool *bit)
{
	*bit = false;
	if (argc <= at)
		return true;
	if (eq(&argv[at], "bit"))
		*bit = true;
	else if (!eq(&argv[at], "byte")) {
		resp_error(o, syntax_err);
		return false;
	}
	return true;
}

void bits_count_reply(struct buf *o, const struct arg *argv, size_t argc,
		      const unsigned char *v, size_t len)
{
	long long start = 0, end = -1, n = (long long)len;
	bool bit = false;

	if (!v) {
		resp_int(o, 0);
		return;
	}
	if (argc == 4 || argc == 5) {
		if (!resp_str2ll(argv[2].p, argv[2].len, &start) ||
		    !resp_str2ll(argv[3].p, argv[3].len, &end)) {
			resp_error(o, int_err);
			return;
		}
		/* Two negative indexes in the wrong order: 0, unit unread. */
		if (start < 0 && end < 0 && start > end) {
			resp_int(o, 0);
			return;
		}
		if (!bits_unit(o, argv, argc, 4, &bit))
			return;
	} else if (argc != 2) {
		resp_error(o, syntax_err);
		return;
	}
	if (bit)
		n *= 8;
	if (!bits_range(&start, &end, n)) {
		resp_int(o, 0);
		return;
	}
	if (!bit) {
		start *= 8;
		end = end * 8 + 7;
	}
	resp_int(o, bits_count(v, (uint64_t)start, (uint64_t)end));
}

int bits_pos_bit(struct buf *o, const struct arg *a)
{
	long long bit;

	if (!resp_str2ll(a->p, a->len, &bit)) {
		resp_error(o, int_err);
		return -1;
	}
	if (bit != 0 && bit != 1) {
		resp_error(o, "ERR The bit argument must be 1 or 0.");
		return -1;
	}
	return (int)bit;
}

void bits_pos_reply(struct buf *o, const struct arg *argv, size_t argc,
		    const unsigned char *v, size_t len)
{
	long long start = 0, end = -1, n = (long long)len, pos;
	int bit = argv[2].len == 1 && argv[2].p[0] == '1';
	bool unit = false, end_given = argc >= 5;

	if (!v) {
		resp_int(o, bit ? -1 : 0);
		return;
	}
	if (argc > 6) {
		resp_error(o, syntax_err);
		return;
	}
	/* In Redis's order: start, the unit, end. */
	if (argc >= 4 && !resp_str2ll(argv[3].p, argv[3].len, &start)) {
		resp_error(o, int_err);
		return;
	}
	if (!bits_unit(o, argv, argc, 5, &unit))
		return;
	if (argc >= 5 && !resp_str2ll(argv[4].p, argv[4].len, &end)) {
		resp_error(o, int_err);
		return;
	}
	if (unit)
		n *= 8;
	if (!bits_range(&start, &end, n)) {
		resp_int(o, -1);
		return;
	}
	if (!unit) {
		start *= 8;
		end = end * 8 + 7;
	}
	pos = bits_pos(v, bit, (uint64_t)start, (uint64_t)end);
	/* Looking for a 0 among ones with no end: the bit after the range. */
	if (pos < 0 && !bit && !end_given)
		pos = end + 1;
	resp_int(o, pos);
}
