/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Redis's bitmap arithmetic on plain buffers (bits.c): what BITCOUNT,
 * BITPOS, BITOP and BITFIELD compute once the proxy holds the string
 * (redis_bits.c plans the kernel ops around it).  No connection, engine
 * or kernel here.  Bit 0 is the most significant bit of byte 0, as
 * GETBIT and SETBIT number them; bytes past a string's end read as 0.
 */
#ifndef KCP_BITS_H
#define KCP_BITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arg;
struct buf;

/*
 * BITCOUNT's and BITPOS's range: start and end (negative: from the end)
 * over n units, resolved and clamped as Redis does.  false when it is
 * empty; else *start <= *end, both in 0 .. n - 1.
 */
bool bits_range(long long *start, long long *end, long long n);
/* Bits set in bits first .. last (inclusive) of p. */
long long bits_count(const unsigned char *p, uint64_t first, uint64_t last);
/* The first bit of value bit in bits first .. last of p, or -1. */
long long bits_pos(const unsigned char *p, int bit, uint64_t first,
		   uint64_t last);

/*
 * The replies once the string is read (v NULL: the key is missing; a
 * key of another type is the caller's WRONGTYPE).  BITCOUNT checks its
 * arguments here, after the key, as Redis does; BITPOS its bit before
 * (bits_pos_bit()) and the rest here.
 */
void bits_count_reply(struct buf *o, const struct arg *argv, size_t argc,
		      const unsigned char *v, size_t len);
/* BITPOS's bit argument: 0 or 1, or -1 after the error reply. */
int bits_pos_bit(struct buf *o, const struct arg *a);
void bits_pos_reply(struct buf *o, const struct arg *argv, size_t argc,
		    const unsigned char *v, size_t len);

/* BITOP's operations. */
enum { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

/*
 * Folds source s (slen bytes) into acc, which holds have bytes and has
 * room for the larger of have and slen: the new length.  The first
 * source is copied (NOT: inverted); a missing key is an empty source.
 */
size_t bits_fold(int op, bool first, unsigned char *acc, size_t have,
		 const unsigned char *s, size_t slen);

/* BITFIELD. */
enum { BF_GET, BF_SET, BF_INCRBY };
enum { BF_WRAP, BF_SAT, BF_FAIL };

struct bf_op {
	uint64_t off;		/* first bit */
	int64_t val;		/* SET's value, INCRBY's increment */
	uint8_t kind;		/* BF_* */
	uint8_t bits;		/* 1 .. 64 (unsigned: 63) */
	uint8_t sign;
	uint8_t ow;		/* the OVERFLOW mode in force */
};

/*
 * Parses BITFIELD's subcommands (argv[2] on) into ops (room for argc / 3
 * + 1) as Redis does, in order, with its error texts: NULL, or the error.
 * Offsets whose byte is maxbulk or more are refused (Redis's
 * proto-max-bulk-len).  *n: ops parsed; *need: bytes the writes touch
 * (0: only GETs).
 */
const char *bf_parse(const struct arg *argv, size_t argc, uint64_t maxbulk,
		     struct bf_op *ops, size_t *n, uint64_t *need);
/*
 * Runs op on p (len bytes: a write's bits must lie inside).  false when
 * OVERFLOW FAIL refused it (Redis's nil, nothing written); else *out is
 * the reply: the value (GET), the old value (SET), the new one (INCRBY),
 * and *changed whether a write changed the field's bits.
 */
bool bf_run(const struct bf_op *op, unsigned char *p, size_t len,
	    int64_t *out, bool *changed);

/*
 * BITFIELD's reply from a string that only GETs read (v NULL: missing);
 * the ops of a write run in the proxy before its SET (redis_bits.c).
 */
void bf_get_reply(struct buf *o, const struct bf_op *ops, size_t n,
		  const unsigned char *v, size_t len);

#endif /* KCP_BITS_H */
