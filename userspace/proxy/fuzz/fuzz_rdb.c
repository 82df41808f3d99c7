// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the RDB reader (userspace/lib/rdb.c) on whole files
 * and on DUMP payloads.  Any input must be parsed or refused with an
 * offset and reason, never read out of bounds.  The checksum is tried both
 * as given and zeroed (not checked), so inputs reach the value parsers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rdb.h"

static int item(void *ctx, const struct kc_rdb_item *it)
{
	size_t i, *sum = ctx;

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
