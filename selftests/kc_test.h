/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kcache selftests.  Include after kselftest_harness.h.
 *
 * Nothing here asserts: helpers return values or -errno and the tests
 * assert on them, so a failure points at the test line.  The one
 * exception, KT_ASSERT_OPEN(), is a macro and so asserts at that line.
 */
#ifndef KC_TEST_H
#define KC_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "libkcache.h"

#define KT_MIB		(1024ULL * 1024)

/* Defaults of the module parameters the tests assume when nothing says otherwise. */
#define KT_ITEM_SIZE_MAX	1048576

static inline int64_t kt_clock_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t kt_now_ms(void)
{
	return kt_clock_ms(CLOCK_REALTIME);
}

static inline int64_t kt_mono_ms(void)
{
	return kt_clock_ms(CLOCK_MONOTONIC);
}

static inline void kt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* C-string keys and values: most tests use printable ones. */
static inline int kt_set(int fd, const char *key, const char *val)
{
	return kc_set(fd, key, strlen(key), val, strlen(val), 0, 0, 0);
}

static inline int kt_set_ex(int fd, const char *key, const char *val,
			    uint32_t flags, int64_t expire)
{
	return kc_store(fd, KC_OP_SET, flags, key, strlen(key), val,
			strlen(val), 0, expire, NULL);
}

/*
 * GET into buf (NUL-terminated for convenience); returns the value length
 * or -errno.
 */
static inline int kt_get(int fd, const char *key, char *buf, size_t size)
{
	size_t len = 0;
	int ret;

	ret = kc_get(fd, key, strlen(key), buf, size - 1, &len, NULL, NULL);
	if (ret)
		return ret;
	buf[len] = '\0';
	return (int)len;
}

/* CAS version of key, 0 when it is missing or the GET failed. */
static inline uint64_t kt_cas(int fd, const char *key)
{
	uint64_t cas = 0;
	void *val = NULL;

	if (kc_get_alloc(fd, key, strlen(key), &val, NULL, &cas, NULL))
		cas = 0;
	free(val);
	return cas;
}

static inline int64_t kt_ttl_ms(int fd, const char *key)
{
	int64_t ttl = 0;
	int ret = kc_ttl(fd, key, strlen(key), KC_TTL_MS, &ttl);

	return ret ? ret : ttl;
}

/*
 * Drops capability cap from the effective, permitted and inheritable sets
 * of the calling thread with capset(2) (no libcap).  Only for children the
 * test forks: the drop cannot be undone.
 */
static inline int kt_drop_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned int i = cap / 32;
	__u32 bit = 1U << (cap % 32);

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[i].effective &= ~bit;
	data[i].permitted &= ~bit;
	data[i].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

static inline int kt_have_cap(unsigned int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	return !!(data[cap / 32].effective & (1U << (cap % 32)));
}

/* Current memory limit in MiB (from KC_IOC_CONFIG), or -errno. */
static inline int64_t kt_memory_limit_mb(int fd)
{
	struct kc_config cfg;
	int ret = kc_config_get(fd, &cfg);

	return ret ? ret : (int64_t)cfg.memory_limit_mb;
}

static inline int kt_set_memory_limit_mb(int fd, uint64_t mb)
{
	struct kc_config cfg;
	int ret = kc_config_get(fd, &cfg);

	if (ret)
		return ret;
	cfg.memory_limit_mb = mb;
	return kc_config_set(fd, KC_CONFIG_MEMORY_LIMIT, &cfg);
}

/*
 * Empties the cache and gives every slab page back (the smallest limit
 * the module takes, then mb): a test that counts page moves or needs
 * room starts from an empty pool, whatever earlier tests left to other
 * classes.  0 or -errno.
 */
static inline int kt_fresh_pool(int fd, uint64_t mb)
{
	uint64_t min_mb;
	int ret = kc_flush(fd);

	for (min_mb = 1; !ret && min_mb <= 64; min_mb++)
		if (!kt_set_memory_limit_mb(fd, min_mb))
			break;
	return ret ? ret : kt_set_memory_limit_mb(fd, mb);
}

/*
 * A module parameter as loaded (/sys/module/kcache/parameters/<name>):
 * the number, 1/0 for a bool (Y/N), or -errno.
 */
/* Writes s to a sysfs, debugfs or proc file: 0 or -errno. */
static inline int kt_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -errno;
}

static inline int64_t kt_module_param(const char *name)
{
	char path[128], buf[32];
	FILE *f;
	int64_t v;

	snprintf(path, sizeof(path), "/sys/module/kcache/parameters/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	if (buf[0] == 'Y' || buf[0] == 'y')
		return 1;
	if (buf[0] == 'N' || buf[0] == 'n')
		return 0;
	v = strtoll(buf, NULL, 10);
	return v < 0 ? -EINVAL : v;
}

/*
 * Puts the runtime configuration back to what the module was loaded with
 * (memory limit, automove, item_size_max; noevict off), so a test
 * program does not inherit what an earlier one that crashed or timed out
 * left behind.  Without sysfs only noevict is put back.
 */
static inline int kt_reset_config(int fd)
{
	int64_t mb = kt_module_param("memory_mb");
	int64_t am = kt_module_param("automove");
	int64_t ism = kt_module_param("item_size_max");
	struct kc_config cfg;
	uint32_t mask = 0;
	int ret = kc_config_get(fd, &cfg);

	if (ret)
		return ret;
	if (mb > 0 && (uint64_t)mb != cfg.memory_limit_mb) {
		cfg.memory_limit_mb = (uint64_t)mb;
		mask |= KC_CONFIG_MEMORY_LIMIT;
	}
	if (am >= 0 && (uint32_t)am != cfg.automove) {
		cfg.automove = (uint32_t)am;
		mask |= KC_CONFIG_AUTOMOVE;
	}
	if (ism > 0 && (uint64_t)ism != cfg.item_size_max) {
		cfg.item_size_max = (uint32_t)ism;
		mask |= KC_CONFIG_ITEM_SIZE_MAX;
	}
	if (cfg.noevict) {		/* no module parameter: evict */
		cfg.noevict = 0;
		mask |= KC_CONFIG_NOEVICT;
	}
	return mask ? kc_config_set(fd, mask, &cfg) : 0;
}

/* Deterministic pseudo-random numbers (xorshift64*), per caller state. */
static inline uint64_t kt_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Fills buf with bytes that depend on seed only. */
static inline void kt_fill(void *buf, size_t len, uint64_t seed)
{
	unsigned char *p = buf;
	uint64_t s = seed | 1, r = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			r = kt_rand(&s);
		p[i] = (unsigned char)(r >> ((i & 7) * 8));
	}
}

/*
 * For a FIXTURE_TEARDOWN_PARENT, which runs after a failed test too: the
 * cache flushed, the memory limit and automove as in orig, then the rest
 * as the module's parameters say.
 */
static inline void kt_restore_config(int fd, struct kc_config *orig)
{
	kc_flush(fd);
	kc_config_set(fd, KC_CONFIG_MEMORY_LIMIT | KC_CONFIG_AUTOMOVE, orig);
	kt_reset_config(fd);
}

/* Keyspace notifications on or off (what a test that used them undoes). */
static inline int kt_set_notify(int fd, bool on)
{
	struct kc_config cfg;
	int ret = kc_config_get(fd, &cfg);

	if (ret)
		return ret;
	cfg.notify = on;
	return kc_config_set(fd, KC_CONFIG_NOTIFY, &cfg);
}

/*
 * What worker threads found wrong.  They must not use ASSERT or EXPECT
 * (the harness longjmps on the calling thread's stack): they count here
 * with kt_fail(), and the test thread checks KT_EXPECT_NO_ERRORS().
 */
struct kt_errors {
	unsigned long count;
	char first[256];	/* the first one's message */
	pthread_mutex_t lock;
};

static inline void kt_errors_init(struct kt_errors *e)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
}

static inline void __attribute__((format(printf, 2, 3)))
kt_fail(struct kt_errors *e, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&e->lock);
	if (!e->count++) {
		va_start(ap, fmt);
		vsnprintf(e->first, sizeof(e->first), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&e->lock);
}

#define KT_EXPECT_NO_ERRORS(e) do {					\
	EXPECT_EQ(0, (e)->count) {					\
		TH_LOG("%lu errors, first: %s", (e)->count, (e)->first);	\
	}								\
} while (0)

/* In a fixture's setup: fd = kc_open(), or the test fails saying why. */
#define KT_ASSERT_OPEN(fd) do {						\
	(fd) = kc_open();						\
	ASSERT_LE(0, (fd)) {						\
		TH_LOG("kc_open: %s (is kcache.ko loaded?)",		\
		       strerror(-(fd)));				\
	}								\
} while (0)

#endif /* KC_TEST_H */
