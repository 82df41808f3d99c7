// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the RESP request parser and encoder.  The first
 * input byte chooses the chunk size the stream is fed in (1..256 bytes),
 * the rest is the stream.  Checks: every argument lies inside the buffer,
 * consumption never exceeds what was given, an error ends the stream (as
 * the server closes the connection), and encoding what was parsed works.
 */
#include <stdint.h>
#include <stdio.h>

#include "resp.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resp_limits lim = {
		.max_bulk = 1024, .max_args = 64, .max_inline = 512,
	};
	struct resp_parser p;
	size_t chunk, fed = 0, len = 0;
	struct buf out;
	char *b;

	if (!size)
		return 0;
	chunk = (size_t)data[0] + 1;
	data++;
	size--;
	b = malloc(size + 1);
	CHECK(b);
	resp_parser_init(&p, &lim);
	buf_init(&out);
	while (fed < size) {
		size_t n = size - fed < chunk ? size - fed : chunk, off = 0;

		memcpy(b + len, data + fed, n);
		len += n;
		fed += n;
		for (;;) {
			struct arg *argv;
			size_t argc, used, i;
			const char *err;
			int st = resp_parse(&p, b + off, len - off, &used, &argv,
					    &argc, &err);

			if (st == RESP_NEED)
				break;
			if (st == RESP_ERR) {
				CHECK(err && !strncmp(err, "Protocol error", 14));
				resp_errorf(&out, "ERR %s", err);
				goto done;
			}
			CHECK(used > 0 && used <= len - off);
			CHECK(argc <= lim.max_args);
			resp_array(&out, argc);
			for (i = 0; i < argc; i++) {
				CHECK(argv[i].p >= b + off);
				CHECK(argv[i].p + argv[i].len <= b + off + used);
				CHECK(argv[i].len <= lim.max_bulk || b[off] != '*');
				resp_bulk(&out, argv[i].p, argv[i].len);
			}
			off += used;
			out.len = 0;
		}
		memmove(b, b + off, len - off);
		len -= off;
	}
done:
	CHECK(!out.oom);
	buf_free(&out);
	resp_parser_free(&p);
	free(b);
	return 0;
}
