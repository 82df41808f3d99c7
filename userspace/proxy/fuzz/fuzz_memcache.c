// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the memcached request framing (text and meta).  The
 * first input byte chooses the chunk size; the rest is the stream.  Checks:
 * tokens and data blocks lie inside the buffer, storage requests carry
 * exactly the announced bytes, consumption is bounded, get-like pieces
 * hold only keys of at most 250 bytes and no more than max_keys, and a
 * base64 key decodes to what encoding it again decodes to.
 */
#include <stdint.h>
#include <stdio.h>

#include "memcache.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_limits lim = { .max_line = 512, .max_value = 2048,
				 .max_keys = 64 };
	struct mc_parser p;
	size_t chunk, fed = 0, len = 0;
	char *b;

	if (!size)
		return 0;
	chunk = (size_t)data[0] + 1;
	data++;
	size--;
	b = malloc(size + 1);
	CHECK(b);
	mc_parser_init(&p, &lim);
	while (fed < size) {
		size_t n = size - fed < chunk ? size - fed : chunk, off = 0;

		memcpy(b + len, data + fed, n);
		len += n;
		fed += n;
		for (;;) {
			struct mc_req q;
			const char *err;
			size_t used, i;
			int st = mc_parse(&p, b + off, len - off, &used, &q, &err);

			CHECK(used <= len - off);
			if (st == MC_NEED) {
				CHECK(!used);
				break;
			}
			if (st == MC_CLOSE)
				goto done;
			CHECK(used > 0);
			if (st == MC_REPLY) {
				CHECK(err && strlen(err) > 2);
			} else if (st == MC_REQ) {
				for (i = 0; i < q.ntok; i++) {
					CHECK(q.tok[i].p >= b + off);
					CHECK(q.tok[i].p + q.tok[i].len <= b + off + used);
					CHECK(q.tok[i].len > 0);
				}
				if (q.type >= MC_GET && q.type <= MC_GATS) {
					CHECK(q.ntok - q.first_key <= lim.max_keys);
					for (i = q.first_key; i < q.ntok; i++)
						CHECK(q.tok[i].len <= MC_KEY_MAX);
				} else {
					CHECK(!q.more);
				}
				if (q.ntok > 1 && q.tok[1].len <= MC_KEY_MAX) {
					unsigned char k[MC_KEY_MAX], k2[MC_KEY_MAX];
					char e[MC_B64_MAX(MC_KEY_MAX)];
					size_t n = mc_base64_decode(q.tok[1].p, q.tok[1].len, k);

					CHECK(n <= q.tok[1].len * 3 / 4);
					if (n) {
						size_t m = mc_base64_encode(k, n, e);

						CHECK(m <= sizeof(e));
						CHECK(mc_base64_decode(e, m, k2) == n);
						CHECK(!memcmp(k, k2, n));
					}
				}
				if (q.data) {
					CHECK(q.data >= b + off);
					CHECK(q.data + q.dlen + 2 == b + off + used);
					CHECK(q.dlen <= lim.max_value);
					CHECK(q.tok[1].len <= MC_KEY_MAX);
				}
			}
			off += used;
		}
		memmove(b, b + off, len - off);
		len -= off;
	}
done:
	mc_parser_free(&p);
	free(b);
	return 0;
}
