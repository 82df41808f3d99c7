/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the hardening selftests (kcache_fuzz_ioctl,
 * kcache_fuzz_netlink, kcache_failslab, kcache_stress, kcache_perm).
 * Include after kselftest_harness.h and kc_test.h.
 *
 *  - the run's budget: KC_FUZZ_SECONDS (long mode) and KC_FUZZ_SEED, else a
 *    fixed seed and a few seconds per test, fewer on stock kernels than on
 *    the debug kernel (KCACHE_KERNEL=debug), whose KASAN and lockdep under
 *    TCG make every call 10-50 times slower;
 *  - a seeded PRNG (splitmix64): one stream per thread, derived from the
 *    seed, so a run is repeatable up to thread interleaving;
 *  - memory shared between the harness's forked tests (counters, errors);
 *  - a scratch arena with guard pages and the "bad" user pointers the
 *    fuzzers pass (NULL, unmapped, read-only, kernel, non-canonical): the
 *    kernel may write only into the arena or fail with EFAULT, never into
 *    the rest of the test's memory;
 *  - a raw generic netlink client (no libnl): resolving a family with
 *    CTRL_CMD_GETFAMILY, building messages attribute by attribute,
 *    receiving until the ACK;
 *  - invariant checks of the whole cache (stats against a SCAN, every key
 *    readable, nothing left after FLUSH);
 *  - loading and unloading kcache.ko with init_module(2)/delete_module(2)
 *    from the file in KCACHE_MODULE, with KCACHE_PARAMS (the VM harness
 *    exports both).
 *
 * Nothing here asserts; functions return values or -errno.
 */
#ifndef KC_FUZZ_H
#define KC_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kc_test.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK		270
#endif

#define KF_DEFAULT_SEED		0x6b63616368653031ULL	/* "kcache01" */
#define KF_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KF_MAX_CLASSES		64	/* room for every slab class */

/* ------------------------------------------------------------ budget */

static inline bool kf_debug_kernel(void)
{
	const char *k = getenv("KCACHE_KERNEL");

	return k && !strcmp(k, "debug");
}

/* Long mode: KC_FUZZ_SECONDS is set (make fuzz-kernel SECONDS=...). */
static inline bool kf_long_mode(void)
{
	const char *s = getenv("KC_FUZZ_SECONDS");

	return s && *s;
}

/*
 * Seconds the whole program may fuzz: KC_FUZZ_SECONDS, else dbg on the
 * debug kernel and stock elsewhere (stock kernels, real machines).
 */
static inline double kf_budget(double dbg, double stock)
{
	const char *s = getenv("KC_FUZZ_SECONDS");

	if (s && *s && strtod(s, NULL) > 0)
		return strtod(s, NULL);
	return kf_debug_kernel() ? dbg : stock;
}

static inline uint64_t kf_seed(void)
{
	const char *s = getenv("KC_FUZZ_SEED");

	return s && *s ? strtoull(s, NULL, 0) : KF_DEFAULT_SEED;
}

static inline double kf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int kf_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

/*
 * Raises the harness's per-test timeout (30 s by default) to secs for every
 * test, for programs whose tests run as long as the budget says.  Call from
 * main() before test_harness_run().
 */
static inline void kf_set_timeouts(int secs)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			if (t->timeout < secs)
				t->timeout = secs;
}

/* ------------------------------------------------------------ random */

struct kf_rng {
	uint64_t s;
};

static inline uint64_t kf_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A stream of its own for (seed, a, b): a test and a thread, say. */
static inline void kf_rng_init(struct kf_rng *r, uint64_t seed, uint64_t a,
			       uint64_t b)
{
	r->s = kf_mix(seed ^ kf_mix(a * 0x9e3779b97f4a7c15ULL + b + 1));
}

static inline uint64_t kf_next(struct kf_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return kf_mix(r->s);
}

static inline uint64_t kf_below(struct kf_rng *r, uint64_t n)
{
	return n ? kf_next(r) % n : 0;
}

static inline bool kf_pct(struct kf_rng *r, unsigned int pct)
{
	return kf_below(r, 100) < pct;
}

static inline void kf_bytes(struct kf_rng *r, void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = kf_next(r);
		p[i] = (unsigned char)(v >> ((i & 7) * 8));
	}
}

/* Boundary-heavy signed 64-bit values. */
static inline int64_t kf_s64(struct kf_rng *r)
{
	static const int64_t edge[] = {
		0, 1, -1, 2, -2, 7, 8, 63, 64, 255, 256, 1000, -1000,
		INT32_MAX, INT32_MIN, (int64_t)UINT32_MAX,
		(int64_t)UINT32_MAX + 1, INT64_MAX, INT64_MIN, INT64_MAX - 1,
		INT64_MIN + 1, 1LL << 40, -(1LL << 40), 1LL << 62,
		-(1LL << 62), 65536, 65537, 1048576, 8388607, 8388608,
	};

	switch (kf_below(r, 4)) {
	case 0:
		return (int64_t)kf_next(r);
	case 1:
		return (int64_t)kf_below(r, 64) - 32;
	default:
		return edge[kf_below(r, KF_ARRAY_SIZE(edge))];
	}
}

/* ------------------------------------------------------------ shared memory */

/* Zeroed memory that the harness's forked tests share with main(). */
static inline void *kf_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* ------------------------------------------------------------ arena */

/*
 * The only memory a fuzzer lets the kernel write to: size bytes between two
 * PROT_NONE pages.  bad[] are addresses that must fail with EFAULT.
 */
struct kf_arena {
	unsigned char *base;
	size_t size;
	size_t page;
	unsigned char *ro;	/* one read-only page of zeroes */
	uint64_t hole;		/* mapped once, unmapped now */
};

static inline int kf_arena_init(struct kf_arena *a, size_t size)
{
	unsigned char *m;
	void *h;

	a->page = (size_t)sysconf(_SC_PAGESIZE);
	a->size = (size + a->page - 1) & ~(a->page - 1);
	m = mmap(NULL, a->size + 2 * a->page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	if (mprotect(m, a->page, PROT_NONE) ||
	    mprotect(m + a->page + a->size, a->page, PROT_NONE))
		return -errno;
	a->base = m + a->page;
	a->ro = mmap(NULL, a->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (a->ro == MAP_FAILED)
		return -errno;
	h = mmap(NULL, a->page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return -errno;
	munmap(h, a->page);
	a->hole = (uint64_t)(uintptr_t)h;
	return 0;
}

static inline uint64_t kf_uptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* Is [addr, addr + len) unmapped?  mincore() fails with ENOMEM then. */
static inline bool kf_unmapped(uint64_t addr, size_t len)
{
	unsigned char vec[4];

	return mincore((void *)(uintptr_t)addr, len, vec) && errno == ENOMEM;
}

/* An address that is not ours to read or write. */
static inline uint64_t kf_bad_ptr(struct kf_rng *r, const struct kf_arena *a)
{
	switch (kf_below(r, 9)) {
	case 0:
		return 0;
	case 1:
		return 1 + kf_below(r, 4095);
	case 2:		/* unmapped, unless a later mmap() took it back */
		if (kf_unmapped(a->hole, a->page))
			return a->hole + kf_below(r, a->page);
		return 0x0000100000000000ULL + (kf_below(r, 1 << 20) << 12);
	case 3:		/* the direct map */
		return 0xffff888000000000ULL + (kf_below(r, 1 << 20) << 12);
	case 4:		/* kernel text */
		return 0xffffffff81000000ULL + kf_below(r, 1 << 24);
	case 5:		/* non-canonical */
		return 0x0000800000000000ULL + kf_below(r, 1 << 20);
	case 6:
		return ~0ULL - kf_below(r, 64);
	case 7:		/* the guard page before the arena */
		return kf_uptr(a->base) - a->page + kf_below(r, a->page);
	default:	/* the top of user space */
		return 0x00007ffffffff000ULL + kf_below(r, 4096);
	}
}

/*
 * A user pointer for a buffer of len bytes: mostly inside the arena, now
 * and then running into its guard page, read-only, or bad.
 */
static inline uint64_t kf_ptr(struct kf_rng *r, const struct kf_arena *a,
			      uint64_t len)
{
	unsigned int pick = (unsigned int)kf_below(r, 100);
	uint64_t off;

	if (pick < 84) {
		if (len >= a->size)
			return kf_uptr(a->base);
		off = kf_below(r, a->size - len + 1);
		if (kf_pct(r, 50))
			off &= ~7ULL;
		return kf_uptr(a->base) + off;
	}
	if (pick < 90) {	/* the last bytes before the guard page */
		off = len ? kf_below(r, len) + 1 : 1;
		if (off > a->size)
			off = a->size;
		return kf_uptr(a->base) + a->size - off;
	}
	if (pick < 93)
		return kf_uptr(a->ro) + kf_below(r, a->page);
	return kf_bad_ptr(r, a);
}

/* A length near a limit, or anything. */
static inline uint32_t kf_len(struct kf_rng *r, uint32_t limit)
{
	switch (kf_below(r, 12)) {
	case 0:
		return 0;
	case 1:
		return limit;
	case 2:
		return limit + 1;
	case 3:
		return limit ? limit - 1 : 0;
	case 4:
		return (uint32_t)kf_next(r);
	case 5:
		return UINT32_MAX - (uint32_t)kf_below(r, 16);
	case 6:
		return KC_KEY_MAX + (uint32_t)kf_below(r, 3) - 1;
	case 7:
		return limit ? (uint32_t)kf_below(r, limit + 1) : 0;
	default:
		return 1 + (uint32_t)kf_below(r, 64);
	}
}

/* ------------------------------------------------------------ per entry point counters */

struct kf_count {
	uint64_t calls;		/* syscalls made */
	uint64_t ok;		/* returned 0 (and for ops: result 0) */
};

static inline void kf_count(struct kf_count *c, bool ok)
{
	__atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
	if (ok)
		__atomic_add_fetch(&c->ok, 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------ raw generic netlink */

#define KF_NL_BUF	(1 << 17)	/* receive buffer, > any reply */

struct kf_nl {
	int fd;
	uint32_t seq;
	unsigned char *rbuf;
	size_t rcap;
	/* last request's extended ACK */
	char ext[256];
	bool intr;		/* its reply had NLM_F_DUMP_INTR */
};

/* A message under construction; cap bytes at buf. */
struct kf_msg {
	unsigned char *buf;
	size_t len;
	size_t cap;
	size_t nest[8];
	int depth;
};

#define KF_ALIGN4(n)	(((n) + 3) & ~(size_t)3)
#define KF_MIN(a, b)	((a) < (b) ? (a) : (b))

static inline void kf_msg_init(struct kf_msg *m, void *buf, size_t cap,
			       uint16_t type, uint16_t flags, uint8_t cmd,
			       uint8_t version)
{
	struct nlmsghdr *nlh = buf;
	struct genlmsghdr *g;

	m->buf = buf;
	m->cap = cap;
	m->depth = 0;
	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/*
 * Appends an attribute.  hdr_len is what goes in nla_len (normally
 * NLA_HDRLEN + len; a fuzzer may lie).  Returns -EMSGSIZE when full.
 */
static inline int kf_msg_put_raw(struct kf_msg *m, uint16_t type,
				 uint16_t hdr_len, const void *data, size_t len)
{
	struct nlattr *a;

	if (m->len + KF_ALIGN4(NLA_HDRLEN + len) > m->cap)
		return -EMSGSIZE;
	a = (struct nlattr *)(m->buf + m->len);
	a->nla_type = type;
	a->nla_len = hdr_len;
	if (len)
		memcpy(a + 1, data, len);
	memset((unsigned char *)(a + 1) + len, 0,
	       KF_ALIGN4(NLA_HDRLEN + len) - NLA_HDRLEN - len);
	m->len += KF_ALIGN4(NLA_HDRLEN + len);
	return 0;
}

static inline int kf_msg_put(struct kf_msg *m, uint16_t type, const void *data,
			     size_t len)
{
	if (len > 0xffff - NLA_HDRLEN)
		return -EMSGSIZE;
	return kf_msg_put_raw(m, type, NLA_HDRLEN + len, data, len);
}

static inline int kf_msg_u32(struct kf_msg *m, uint16_t type, uint32_t v)
{
	return kf_msg_put(m, type, &v, sizeof(v));
}

static inline int kf_msg_u64(struct kf_msg *m, uint16_t type, uint64_t v)
{
	return kf_msg_put(m, type, &v, sizeof(v));
}

static inline int kf_msg_nest(struct kf_msg *m, uint16_t type)
{
	if (m->depth >= 8 || kf_msg_put(m, type | NLA_F_NESTED, NULL, 0))
		return -EMSGSIZE;
	m->nest[m->depth++] = m->len - NLA_HDRLEN;
	return 0;
}

static inline void kf_msg_nest_end(struct kf_msg *m)
{
	struct nlattr *a;

	if (!m->depth)
		return;
	a = (struct nlattr *)(m->buf + m->nest[--m->depth]);
	a->nla_len = (uint16_t)(m->len - m->nest[m->depth]);
}

static inline void kf_nl_close(struct kf_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	free(nl->rbuf);
	nl->rbuf = NULL;
}

static inline int kf_nl_open(struct kf_nl *nl)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	int one = 1, rcv = 1 << 20;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -errno;
	nl->rcap = KF_NL_BUF;
	nl->rbuf = malloc(nl->rcap);
	if (!nl->rbuf) {
		kf_nl_close(nl);
		return -ENOMEM;
	}
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* CAP_ACK: an error ACK does not echo a big request whole. */
	if (bind(nl->fd, (struct sockaddr *)&me, sizeof(me)) ||
	    setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one)) ||
	    setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
		       sizeof(one))) {
		int err = -errno;

		kf_nl_close(nl);
		return err;
	}
	nl->seq = (uint32_t)kf_mix((uint64_t)getpid() << 20 ^ nl->fd) &
		  0x7fffffff;
	return 0;
}

/* Sends m as is, with nlmsg_len = m->len unless keep_len, and a new seq. */
static inline int kf_nl_send(struct kf_nl *nl, struct kf_msg *m, bool keep_len)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->buf;

	if (!keep_len)
		nlh->nlmsg_len = (uint32_t)m->len;
	nlh->nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, m->buf, m->len, MSG_DONTWAIT,
		   (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* The extack message of an error message, if any. */
static inline void kf_nl_ext(struct kf_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const struct nlattr *a;

	nl->ext[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (off + NLA_HDRLEN <= nlh->nlmsg_len) {
		a = (const struct nlattr *)((const char *)nlh + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > nlh->nlmsg_len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			size_t n = a->nla_len - NLA_HDRLEN;

			if (n >= sizeof(nl->ext))
				n = sizeof(nl->ext) - 1;
			memcpy(nl->ext, a + 1, n);
			nl->ext[n] = '\0';
		}
		off += KF_ALIGN4(a->nla_len);
	}
}

/* One datagram into nl->rbuf, grown to fit it: its length or -errno. */
static inline ssize_t kf_nl_recv1(struct kf_nl *nl)
{
	ssize_t n = recv(nl->fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);

	if (n < 0)
		return -1;
	if ((size_t)n > nl->rcap) {
		unsigned char *p = realloc(nl->rbuf, n);

		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		nl->rbuf = p;
		nl->rcap = n;
	}
	return recv(nl->fd, nl->rbuf, nl->rcap, MSG_DONTWAIT);
}

/*
 * Called for each message of the reply to seq that is not ERROR/DONE;
 * a negative return stops the receive with that value.
 */
typedef int (*kf_nl_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Receives the reply to the last request: every message with its seq goes
 * to cb until NLMSG_ERROR (the ACK, or an error) or NLMSG_DONE.  Returns
 * the request's error (0 or -errno), -ETIMEDOUT after timeout_ms with
 * nothing to read, a recv() error (-ENOBUFS: the socket overran), or what
 * cb returned to stop.
 */
static inline int kf_nl_recv(struct kf_nl *nl, int timeout_ms, kf_nl_cb cb,
			     void *arg)
{
	nl->intr = false;
	nl->ext[0] = '\0';
	for (;;) {
		struct pollfd p = { .fd = nl->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int rem;

		if (poll(&p, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = kf_nl_recv1(nl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)nl->rbuf; NLMSG_OK(nlh, rem);
		     nlh = NLMSG_NEXT(nlh, rem)) {
			if (nlh->nlmsg_seq != nl->seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				nl->intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				kf_nl_ext(nl, nlh);
				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
				return err;
			}
			if (cb) {
				int ret = cb(nlh, arg);

				if (ret < 0)
					return ret;
				if (ret)
					cb = NULL;
			}
		}
	}
}

/* The attributes of a generic netlink message. */
static inline const struct nlattr *kf_genl_attrs(const struct nlmsghdr *nlh,
						 int *len)
{
	*len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (const struct nlattr *)((const char *)nlh + NLMSG_HDRLEN +
				       GENL_HDRLEN);
}

#define kf_for_each_attr(a, head, len, rem)				\
	for ((a) = (head), (rem) = (len);				\
	     (rem) >= NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN &&	\
	     (a)->nla_len <= (rem);					\
	     (rem) -= (int)KF_ALIGN4((a)->nla_len),			\
	     (a) = (const struct nlattr *)((const char *)(a) +		\
					   KF_ALIGN4((a)->nla_len)))

static inline uint32_t kf_attr_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, a + 1, a->nla_len - NLA_HDRLEN < 4 ?
	       a->nla_len - NLA_HDRLEN : 4);
	return v;
}

static inline uint64_t kf_attr_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, a + 1, a->nla_len - NLA_HDRLEN < 8 ?
	       a->nla_len - NLA_HDRLEN : 8);
	return v;
}

/*
 * Checks the layout of a message's attributes, recursively for nests the
 * kernel builds: lengths inside the message and the padding after every
 * attribute zero.  Returns 0 or -EBADMSG.
 */
static inline int kf_attrs_sane(const struct nlattr *head, int len, int depth)
{
	const struct nlattr *a;
	int rem;

	kf_for_each_attr(a, head, len, rem) {
		size_t pad = KF_ALIGN4(a->nla_len) - a->nla_len;
		const unsigned char *p = (const unsigned char *)a + a->nla_len;
		size_t i;

		if ((int)KF_ALIGN4(a->nla_len) <= rem)
			for (i = 0; i < pad; i++)
				if (p[i])
					return -EBADMSG;
		if ((a->nla_type & NLA_F_NESTED) && depth < 4 &&
		    kf_attrs_sane(a + 1, a->nla_len - NLA_HDRLEN, depth + 1))
			return -EBADMSG;
	}
	/* A reply's lengths cover every attribute and its padding. */
	return rem ? -EBADMSG : 0;
}

struct kf_family {
	uint16_t id;
	uint32_t grp_pubsub;
	uint32_t grp_keyspace;
};

static inline int kf_family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a, *g, *ga;
	struct kf_family *f = arg;
	int len, rem, grem, garem;

	for (a = kf_genl_attrs(nlh, &len), rem = len;
	     rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
	     rem -= (int)KF_ALIGN4(a->nla_len),
	     a = (const void *)((const char *)a + KF_ALIGN4(a->nla_len))) {
		int t = a->nla_type & NLA_TYPE_MASK;

		if (t == CTRL_ATTR_FAMILY_ID)
			f->id = (uint16_t)kf_attr_u32(a);
		if (t != CTRL_ATTR_MCAST_GROUPS)
			continue;
		kf_for_each_attr(g, a + 1, a->nla_len - NLA_HDRLEN, grem) {
			const char *name = NULL;
			uint32_t id = 0;

			kf_for_each_attr(ga, g + 1, g->nla_len - NLA_HDRLEN,
					 garem) {
				int gt = ga->nla_type & NLA_TYPE_MASK;

				if (gt == CTRL_ATTR_MCAST_GRP_NAME)
					name = (const char *)(ga + 1);
				else if (gt == CTRL_ATTR_MCAST_GRP_ID)
					id = kf_attr_u32(ga);
			}
			if (name && !strcmp(name, KC_MCGRP_PUBSUB))
				f->grp_pubsub = id;
			else if (name && !strcmp(name, KC_MCGRP_KEYSPACE))
				f->grp_keyspace = id;
		}
	}
	return 0;
}

/*
 * Resolves the kcache family on an open socket: 0, or -ENOENT when the
 * family is not registered (module not loaded).
 */
static inline int kf_nl_family(struct kf_nl *nl, struct kf_family *f)
{
	unsigned char buf[128];
	struct kf_msg m;
	int err;

	memset(f, 0, sizeof(*f));
	kf_msg_init(&m, buf, sizeof(buf), GENL_ID_CTRL,
		    NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	kf_msg_put(&m, CTRL_ATTR_FAMILY_NAME, KC_GENL_NAME,
		   sizeof(KC_GENL_NAME));
	err = kf_nl_send(nl, &m, false);
	if (!err)
		err = kf_nl_recv(nl, 5000, kf_family_cb, f);
	if (!err && !f->id)
		err = -ENOENT;
	return err;
}

/* Is the family registered?  1, 0, or -errno. */
static inline int kf_family_present(void)
{
	struct kf_family f;
	struct kf_nl nl;
	int err = kf_nl_open(&nl);

	if (err)
		return err;
	err = kf_nl_family(&nl, &f);
	kf_nl_close(&nl);
	return err == -ENOENT ? 0 : err ? err : 1;
}

/* ------------------------------------------------------------ whole-cache checks */

/*
 * A set of keys (SCAN may return a key twice; the set counts it once):
 * open addressing over malloc()ed copies.
 */
struct kf_keyset {
	struct kf_key {
		uint32_t hash;
		uint32_t len;
		unsigned char *p;
	} *slot;
	size_t cap, n;
};

static inline uint32_t kf_hash(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static inline void kf_keyset_free(struct kf_keyset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i].p);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Adds a key; 1 if new, 0 if present, -ENOMEM. */
static inline int kf_keyset_add(struct kf_keyset *s, const void *key,
				uint32_t len)
{
	uint32_t h = kf_hash(key, len);
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct kf_keyset big = { .cap = s->cap ? 2 * s->cap : 1024 };

		big.slot = calloc(big.cap, sizeof(*big.slot));
		if (!big.slot)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++) {
			struct kf_key *k = &s->slot[i];
			size_t j;

			if (!k->p)
				continue;
			for (j = k->hash & (big.cap - 1); big.slot[j].p;
			     j = (j + 1) & (big.cap - 1))
				;
			big.slot[j] = *k;
		}
		big.n = s->n;
		free(s->slot);
		*s = big;
	}
	for (i = h & (s->cap - 1); s->slot[i].p; i = (i + 1) & (s->cap - 1))
		if (s->slot[i].hash == h && s->slot[i].len == len &&
		    !memcmp(s->slot[i].p, key, len))
			return 0;
	s->slot[i].p = malloc(len ? len : 1);
	if (!s->slot[i].p)
		return -ENOMEM;
	memcpy(s->slot[i].p, key, len);
	s->slot[i].hash = h;
	s->slot[i].len = len;
	s->n++;
	return 1;
}

/* KC_ELEM_SIZE() in 64 bits: a record's bytes, even for a bogus len. */
static inline uint64_t kf_elem_size(uint32_t len)
{
	return sizeof(struct kc_elem) + (((uint64_t)len + 7) & ~7ULL);
}

/* Every key of a full SCAN into s (type 0: any).  0 or -errno. */
static inline int kf_scan_all(int fd, struct kf_keyset *s, uint32_t type)
{
	size_t cap = 1 << 20;
	unsigned char *buf = malloc(cap);
	uint64_t cursor = 0;
	int err = 0, rounds = 0;

	if (!buf)
		return -ENOMEM;
	do {
		const struct kc_elem *e;
		struct kc_op op;
		size_t off;

		kc_op_init(&op, KC_OP_SCAN);
		op.num = (int64_t)cursor;
		op.num2 = 1000;
		op.client_flags = type;
		kc_op_out(&op, buf, cap);
		err = kc_do(fd, &op);
		if (err)
			break;
		/* num is the next cursor, not a count: walk the records. */
		for (off = 0; off + sizeof(*e) <= op.out_used; ) {
			e = (const struct kc_elem *)(buf + off);
			if (off + kf_elem_size(e->len) > op.out_used) {
				err = -EBADMSG;
				break;
			}
			if (kf_keyset_add(s, e + 1, e->len) < 0) {
				err = -ENOMEM;
				break;
			}
			off += kf_elem_size(e->len);
		}
		cursor = (uint64_t)op.num;
	} while (!err && cursor && ++rounds < 1000000);
	free(buf);
	return err;
}

/*
 * Reads key whole, whatever its type: 0, -ENOENT (gone meanwhile), or the
 * error of the read.
 */
static inline int kf_read_key(int fd, const void *key, uint32_t len,
			      void *buf, size_t cap)
{
	struct kc_op op;
	int err;

	kc_op_init(&op, KC_OP_TYPE);
	kc_op_key(&op, key, len);
	err = kc_do(fd, &op);
	if (err)
		return err;
	switch (op.num) {
	case KC_TYPE_NONE:
		return -ENOENT;
	case KC_TYPE_STRING:
		kc_op_init(&op, KC_OP_GET);
		op.flags = KC_GET_NOBUMP;
		break;
	case KC_TYPE_LIST:
		kc_op_init(&op, KC_OP_LRANGE);
		op.num = 0;
		op.num2 = -1;
		break;
	case KC_TYPE_HASH:
		kc_op_init(&op, KC_OP_HGETALL);
		break;
	case KC_TYPE_SET:
		kc_op_init(&op, KC_OP_SMEMBERS);
		break;
	default:
		return -EPROTO;
	}
	kc_op_key(&op, key, len);
	kc_op_out(&op, buf, cap);
	err = kc_do(fd, &op);
	/* A key rewritten as another type in between: read it again. */
	return err == -EPROTOTYPE ? kf_read_key(fd, key, len, buf, cap) : err;
}

/* Problems found by kf_check_cache(), for the test to log and count. */
struct kf_report {
	int problems;
	char first[256];
	uint64_t keys;		/* keys a SCAN found */
	uint64_t curr_items;
};

static inline void kf_problem(struct kf_report *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->problems++) {
		va_start(ap, fmt);
		vsnprintf(r->first, sizeof(r->first), fmt, ap);
		va_end(ap);
	}
	va_start(ap, fmt);
	fprintf(stderr, "# cache check: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static inline uint64_t kf_class_items(int fd, uint64_t *used_chunks,
				      uint64_t *classes_with_chunks)
{
	struct kc_class_stats cs[KF_MAX_CLASSES];
	size_t n = 0, nr = 0, i;
	uint64_t items = 0;

	*used_chunks = 0;
	*classes_with_chunks = 0;
	if (kc_class_stats(fd, cs, KF_ARRAY_SIZE(cs), &n, &nr))
		return UINT64_MAX;
	for (i = 0; i < n; i++) {
		items += cs[i].items;
		*used_chunks += cs[i].used_chunks;
		if (cs[i].used_chunks)
			(*classes_with_chunks)++;
	}
	return items;
}

/*
 * The whole cache is consistent, with nobody else using it: the stats add
 * up (curr_items = keys a SCAN finds = entries of the index = items on the
 * LRUs; used_bytes <= limit_bytes), and every key reads back whole with no
 * error but -ENOENT (it expired meanwhile).  Keys with a short TTL may
 * expire between the read pass (which reclaims expired keys) and the
 * SCAN, which then skips them while the stats still count them: the
 * comparison is retried for 8 s, longer than the TTLs the tests give
 * (3.1 s at most), after which no key is left to expire.
 */
static inline void kf_check_cache(int fd, struct kf_report *r)
{
	size_t cap = 64 << 20;
	unsigned char *buf = malloc(cap);
	struct kf_keyset s = { 0 };
	uint64_t used, busy, lru = 0;
	struct kc_stats st = { 0 };
	int attempt, err;
	double t0;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!buf) {
		kf_problem(r, "no memory for the check");
		return;
	}
	for (attempt = 0, t0 = kf_now(); !attempt || kf_now() - t0 < 8;
	     attempt++) {
		kf_keyset_free(&s);
		err = kf_scan_all(fd, &s, 0);
		if (err) {
			kf_problem(r, "SCAN failed: %d", err);
			break;
		}
		/* Reading every key also reclaims the expired ones. */
		for (i = 0; i < s.cap; i++) {
			if (!s.slot[i].p)
				continue;
			err = kf_read_key(fd, s.slot[i].p, s.slot[i].len, buf,
					  cap);
			if (err && err != -ENOENT && err != -E2BIG)
				kf_problem(r, "key '%.*s' (%u bytes) reads with %d",
					   s.slot[i].len > 40 ? 40 :
					   (int)s.slot[i].len,
					   (const char *)s.slot[i].p,
					   s.slot[i].len, err);
		}
		kf_keyset_free(&s);
		err = kf_scan_all(fd, &s, 0);
		if (err || kc_stats(fd, &st)) {
			kf_problem(r, "SCAN or STATS failed");
			break;
		}
		lru = kf_class_items(fd, &used, &busy);
		r->keys = s.n;
		r->curr_items = st.curr_items;
		if (st.curr_items == s.n && st.hash_items == s.n && lru == s.n)
			break;
		kt_sleep_ms(200);
	}
	if (r->keys != r->curr_items || st.hash_items != r->curr_items ||
	    lru != r->curr_items)
		kf_problem(r, "curr_items %llu, hash_items %llu, LRU items %llu, but SCAN finds %llu keys",
			   (unsigned long long)st.curr_items,
			   (unsigned long long)st.hash_items,
			   (unsigned long long)lru,
			   (unsigned long long)r->keys);
	if (st.used_bytes > st.limit_bytes)
		kf_problem(r, "used_bytes %llu > limit_bytes %llu",
			   (unsigned long long)st.used_bytes,
			   (unsigned long long)st.limit_bytes);
	kf_keyset_free(&s);
	free(buf);
}

/*
 * After FLUSH with nobody else using the cache, nothing may be left: no
 * item, no byte, and no chunk in use in any class (a chunk still in use
 * is a reference someone leaked).  Retried briefly: frees in flight.
 */
static inline void kf_check_empty(int fd, struct kf_report *r)
{
	uint64_t used = 0, busy = 0, items = 0;
	struct kc_stats st;
	int attempt;

	memset(r, 0, sizeof(*r));
	for (attempt = 0; attempt < 25; attempt++) {
		if (kc_flush(fd) || kc_stats(fd, &st)) {
			kf_problem(r, "FLUSH or STATS failed");
			return;
		}
		items = kf_class_items(fd, &used, &busy);
		if (!st.curr_items && !st.hash_items && !st.bytes &&
		    !st.large_bytes && !items && !used)
			return;
		kt_sleep_ms(200);
	}
	kf_problem(r, "after FLUSH: curr_items %llu, hash_items %llu, bytes %llu, large_bytes %llu, LRU items %llu, chunks in use %llu in %llu classes",
		   (unsigned long long)st.curr_items,
		   (unsigned long long)st.hash_items,
		   (unsigned long long)st.bytes,
		   (unsigned long long)st.large_bytes,
		   (unsigned long long)items, (unsigned long long)used,
		   (unsigned long long)busy);
}

/* ------------------------------------------------------------ the module */

static inline const char *kf_module_path(void)
{
	const char *p = getenv("KCACHE_MODULE");

	return p && *p && !access(p, R_OK) ? p : NULL;
}

static inline const char *kf_module_params(void)
{
	const char *p = getenv("KCACHE_PARAMS");

	return p ? p : "";
}

/* Reads the module file into memory for init_module(2). */
static inline int kf_module_image(const char *path, void **img, size_t *len)
{
	struct stat sb;
	ssize_t n;
	size_t off = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*img = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb)) {
		close(fd);
		return -errno;
	}
	*img = malloc(sb.st_size);
	if (!*img) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)sb.st_size) {
		n = read(fd, (char *)*img + off, sb.st_size - off);
		if (n <= 0) {
			close(fd);
			free(*img);
			return n < 0 ? -errno : -EIO;
		}
		off += n;
	}
	close(fd);
	*len = off;
	return 0;
}

static inline int kf_module_load(const void *img, size_t len,
				 const char *params)
{
	return syscall(SYS_init_module, img, len, params) ? -errno : 0;
}

/* rmmod kcache; -EAGAIN (EWOULDBLOCK) while in use, -ENOENT if absent. */
static inline int kf_module_unload(void)
{
	return syscall(SYS_delete_module, "kcache", O_NONBLOCK) ? -errno : 0;
}

static inline bool kf_module_loaded(void)
{
	return !access("/sys/module/kcache", F_OK);
}

#endif /* KC_FUZZ_H */
