/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the fuzz targets and unit tests: feed bytes to a parser the way
 * server.c does (chunks appended to a buffer, complete requests consumed,
 * the rest moved to the front) so partial frames are exercised.
 */
#ifndef KCP_FUZZ_STREAM_H
#define KCP_FUZZ_STREAM_H

#include <stdlib.h>
#include <string.h>

#define CHECK(x) do { if (!(x)) { \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x); \
	abort(); } } while (0)

#endif
