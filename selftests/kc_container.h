/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture and helpers of the container selftests: kcache_list,
 * kcache_hash, kcache_set and kcache_containers.  Include once, after
 * kselftest_harness.h, in a test program of its own.
 *
 * The fixture "types" starts every test on a flushed cache with the
 * default configuration and ends it, from the parent so that a failed test
 * is covered too, with a leak check: once flushed, the cache holds no more
 * slab chunks that are no item than when the test began.  The memory
 * limit goes back to what it was.
 *
 * LRANGE_ALL(), SMEMBERS() and HGETALL() give a container's whole content
 * as text (see kc_types.h), EXPECT_GONE() checks that a key is gone the
 * way Redis deletes an empty aggregate, and the big_*() helpers fill and
 * read containers of 100k elements.
 */
#ifndef KC_CONTAINER_H
#define KC_CONTAINER_H

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc_test.h"
#include "kc_types.h"

FIXTURE(types) {
	int fd;
	struct kc_config orig;
	int64_t stray0;		/* used chunks that are no item, at setup */
};

/*
 * Used slab chunks that are not items, in a flushed cache: elements or
 * tables of no container, or items nobody can reach.  Leaked memory, which
 * also pins its slab page forever.
 */
static inline int64_t kt_stray_chunks(int fd)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i;
	int64_t stray = 0;

	if (kc_class_stats(fd, cs, 256, &n, &nr))
		return -1;
	for (i = 0; i < n; i++)
		if (cs[i].chunk_size)
			stray += (int64_t)cs[i].used_chunks - cs[i].items;
	return stray;
}

FIXTURE_SETUP(types)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_config_get(self->fd, &self->orig));
	ASSERT_EQ(0, kc_flush(self->fd));
	self->stray0 = kt_stray_chunks(self->fd);
}

/*
 * From the parent: a failed test must not leave the memory limit changed.
 * Every test also ends with a leak check: once flushed, the cache holds
 * no more stray chunks than when the test began.
 */
FIXTURE_TEARDOWN_PARENT(types)
{
	int64_t stray;
	int fd = kc_open();

	if (fd < 0)
		return;
	kc_flush(fd);
	stray = kt_stray_chunks(fd);
	if (stray != self->stray0)
		TH_LOG("%lld slab chunks leaked: used, but no item or element of one after FLUSH",
		       (long long)(stray - self->stray0));
	EXPECT_EQ(self->stray0, stray);
	kt_restore_config(fd, &self->orig);
	kc_close(fd);
}

/*
 * Sets the memory limit to mb with as much of it free as can be: pages
 * that earlier tests left to their slab classes go back first (down to the
 * smallest limit), so that the classes this test uses can grow.  A class
 * only gives a page away once idle for a while (as memcached's slab
 * rebalancer), which is not what the memory tests look at.
 */
static inline int kt_fresh_limit(int fd, uint64_t mb)
{
	int ret = kt_set_memory_limit_mb(fd, 2);

	return ret ? ret : kt_set_memory_limit_mb(fd, mb);
}

/* Memory tests need every slab page free to move: none pinned by a leak. */
#define ASSERT_NO_EARLIER_LEAK() do {						\
	ASSERT_EQ(0, self->stray0) {						\
		TH_LOG("an earlier test leaked chunks, which pin slab pages: see its leak check");\
	}									\
} while (0)

/*
 * The whole reply of a read-everything operation (LRANGE 0 -1, SMEMBERS,
 * HGETALL) as text, or "(error N)".
 */
static inline const char *kt_all(int fd, uint32_t opcode, const char *key,
				 char *s, size_t size)
{
	struct kt_out r = KT(fd, opcode, key, .num = 0, .num2 = -1);

	if (r.ret)
		snprintf(s, size, "(error %d)", r.ret);
	else
		snprintf(s, size, "%s", r.s);
	return s;
}

#define LRANGE_ALL(key) kt_all(self->fd, KC_OP_LRANGE, key, txt, sizeof(txt))
#define SMEMBERS(key) kt_all(self->fd, KC_OP_SMEMBERS, key, txt, sizeof(txt))
#define HGETALL(key) kt_all(self->fd, KC_OP_HGETALL, key, txt, sizeof(txt))

/* The key is gone the way Redis deletes an empty aggregate. */
#define EXPECT_GONE(key) do {							\
	EXPECT_EQ(-ENOENT, kt_exists(self->fd, key)) {				\
		TH_LOG("%s still exists", key);					\
	}									\
	EXPECT_EQ(KC_TYPE_NONE, kt_type(self->fd, key));			\
} while (0)


/* ------------------------------------------------------- big containers */

#define KT_BIG_CHUNK		10000

/*
 * Elements in the big containers: 100k, except on the debug kernel (KASAN,
 * lockdep, kmemleak; KCACHE_KERNEL=debug in the test VM), which runs about
 * twenty times slower and checks the same walks and resizes with 20k.
 */
static inline unsigned int kt_big_n(void)
{
	const char *k = getenv("KCACHE_KERNEL");

	return k && !strcmp(k, "debug") ? 20000 : 100000;
}

/* Element i of the big containers: 8 bytes, "e0012345". */
static inline void kt_big_name(char *buf, unsigned int i)
{
	snprintf(buf, 9, "e%07u", i);
}

/*
 * Runs opcode on key with the names from..to-1 as arguments (pairs
 * name, name for HSET), in chunks of KT_BIG_CHUNK.  Returns 0 or the first
 * failure; *total gets the sum of num.
 */
static inline int kt_big_op(int fd, uint32_t opcode, const char *key,
			    unsigned int from, unsigned int to, int64_t *total,
			    unsigned int *failed_at)
{
	bool pairs = opcode == KC_OP_HSET;
	char *names = malloc((size_t)KT_BIG_CHUNK * 9);
	struct kc_buf *args = malloc(sizeof(*args) * KT_BIG_CHUNK * 2);
	unsigned int i, n;
	struct kc_op op;
	int ret = 0;

	*total = 0;
	if (!names || !args) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = from; i < to && !ret; i += n) {
		unsigned int j;

		n = to - i < KT_BIG_CHUNK ? to - i : KT_BIG_CHUNK;
		for (j = 0; j < n; j++) {
			kt_big_name(names + j * 9, i + j);
			if (pairs) {
				kc_buf_set(&args[2 * j], names + j * 9, 8);
				kc_buf_set(&args[2 * j + 1], names + j * 9, 8);
			} else {
				kc_buf_set(&args[j], names + j * 9, 8);
			}
		}
		kc_op_init(&op, opcode);
		kc_op_key(&op, key, strlen(key));
		kc_op_args(&op, args, pairs ? 2 * n : n);
		ret = kc_do(fd, &op);
		if (!ret)
			*total += op.num;
		else if (failed_at)
			*failed_at = i;
	}
out:
	free(names);
	free(args);
	return ret;
}

/* Reads a whole multi-element reply into malloc()ed memory. */
static inline int kt_big_read(int fd, uint32_t opcode, const char *key,
			      int64_t num, int64_t num2, void **buf,
			      uint32_t *used, int64_t *count)
{
	struct kc_op op;
	size_t room = 1 << 16;
	int ret, tries;

	*buf = NULL;
	for (tries = 0; tries < 3; tries++) {
		free(*buf);
		*buf = malloc(room);
		if (!*buf)
			return -ENOMEM;
		kc_op_init(&op, opcode);
		kc_op_key(&op, key, strlen(key));
		op.num = num;
		op.num2 = num2;
		kc_op_out(&op, *buf, room);
		ret = kc_do(fd, &op);
		if (ret != -ENOSPC)
			break;
		room = op.out_used;
	}
	*used = op.out_used;
	*count = op.num;
	return ret;
}

/* name(i) as a C string, for expectations. */
static inline const char *kt_nm(char *buf, unsigned int i)
{
	kt_big_name(buf, i);
	return buf;
}

/* ----------------------------------------------------------------- memory */

/* Sums of the slab class counters. */
static inline int kt_chunk_sums(int fd, uint64_t *used, uint64_t *items)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i;
	int ret = kc_class_stats(fd, cs, 256, &n, &nr);

	*used = *items = 0;
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		*used += cs[i].used_chunks;
		*items += cs[i].items;
	}
	return 0;
}


/*
 * kt_chunk_sums() once the sums reach the wanted ones, or as they are after
 * 5 s.  The last reference to a deleted or expired container is not always
 * the test's own: a background walker (the crawler) may hold it for a
 * moment and then free the elements itself, yielding as it goes.  A leaked
 * reference still shows: the sums never get there.
 */
static inline int kt_chunk_sums_settle(int fd, uint64_t want_used,
				       uint64_t want_items, uint64_t *used,
				       uint64_t *items)
{
	int i, ret = 0;

	for (i = 0; i < 100; i++) {
		ret = kt_chunk_sums(fd, used, items);
		if (ret || (*used == want_used && *items == want_items))
			break;
		kt_sleep_ms(50);
	}
	return ret;
}

#endif /* KC_CONTAINER_H */
