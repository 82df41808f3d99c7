// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the RDB reader (userspace/lib/rdb.c) on whole files
 * and on DUMP payloads.  Any input must be parsed or refused with an
 * offset and reason, never read out of bounds.  The checksum is tried both
 * as given and zeroed (not checked), so inputs reach the value parsers.
 * Every value read is written again by the writer and read back, which
 * must give the same elements (sorted sets: the same pairs, in order).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdb.h"

static int same(void *ctx, const struct kc_rdb_item *b)
{
	const struct kc_rdb_item *a = ctx;
	size_t i;

	if (a->type != b->type || a->n != b->n) {
		fprintf(stderr, "round trip: type %d n %zu, read back %d %zu\n",
			a->type, a->n, b->type, b->n);
		abort();
	}
	for (i = 0; i < a->n; i++) {
		if (a->type == KC_RDB_ZSET && i % 2) {
			double x, y;

			/* -0 goes out as the integer 0 (as Redis writes it) */
			memcpy(&x, a->elems[i].p, 8);
			memcpy(&y, b->elems[i].p, 8);
			if (x == y && b->elems[i].len == 8)
				continue;
		}
		if (a->elems[i].len != b->elems[i].len ||
		    memcmp(a->elems[i].p, b->elems[i].p, a->elems[i].len)) {
			fprintf(stderr, "round trip: type %d element %zu of "
				"%zu differs (%zu, %zu bytes)\n", a->type, i,
				a->n, a->elems[i].len, b->elems[i].len);
			abort();
		}
	}
	return 0;
}

/* Written by the writer, read back: the same value. */
static void round_trip(const struct kc_rdb_item *it)
{
	struct kc_rdb_err err;
	struct kc_rdb_w w;

	kc_rdb_w_init(&w, -1);
	if (kc_rdb_w_value(&w, it) || kc_rdb_w_dump_trailer(&w) ||
	    kc_rdb_parse_value(w.p, w.len, same, (void *)it, &err))
		abort();
	kc_rdb_w_free(&w);
}

static int item(void *ctx, const struct kc_rdb_item *it)
{
	size_t i, *sum = ctx;

	round_trip(it);

	/* touch every byte handed out */
	for (i = 0; i < it->key.len; i++)
		*sum += it->key.p[i];
	for (i = 0; i < it->n; i++)
		if (it->elems[i].len)
			*sum += it->elems[i].p[0] + it->elems[i].p[it->elems[i].len - 1];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_rdb_parse_opts o = { .item = item };
	struct kc_rdb_stats st;
	struct kc_rdb_err err;
	size_t sum = 0;
	uint8_t *copy;

	o.ctx = &sum;
	kc_rdb_parse(data, size, &o, &st, &err);
	kc_rdb_parse_value(data, size, item, &sum, &err);
	/* with "REDIS0010" in front and a zero checksum after EOF */
	copy = malloc(size + 9 + 9);
	if (!copy)
		return 0;
	memcpy(copy, "REDIS0010", 9);
	memcpy(copy + 9, data, size);
	copy[9 + size] = 0xff;
	memset(copy + 10 + size, 0, 8);
	kc_rdb_parse(copy, size + 18, &o, &st, &err);
	free(copy);
	return (int)(sum & 0);
}
