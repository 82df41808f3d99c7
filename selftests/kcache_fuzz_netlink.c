// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer for the generic netlink family "kcache": random and mutated
 * messages for every command, from several sockets and threads at once,
 * while a checker stores self-checking values over netlink and reads them
 * back over netlink, the ioctl and a keys dump.
 *
 * The family id comes from CTRL_CMD_GETFAMILY on a raw NETLINK_GENERIC
 * socket (kc_fuzz.h); no libnl, which would refuse to build most of these
 * messages.  A message is built well formed for its command (the policy's
 * attributes with values near their ranges) and then, most of the time,
 * mutated at the byte level: attributes retyped, their nla_len changed,
 * payloads cut or grown, duplicated, dropped, nested junk and unknown
 * attributes appended (attribute soup), the genetlink header changed, the
 * message truncated or its nlmsg_len lying; now and then two messages go
 * in one datagram.  Dumps (KEYS, STATS) are read whole, in part, or not at
 * all, and sockets are closed mid-dump.  Sockets join the multicast groups
 * and PUBLISH goes on, so that subscribers overrun.
 *
 * Oracles, besides the guest's kernel log:
 *  - every error is one the family documents (never EFAULT: there is no
 *    user pointer on this path; never the kernel-internal ENOSPC, which
 *    KC_CMD_OP reports as EMSGSIZE);
 *  - every reply has sane attribute lengths and zero padding, the right
 *    command and family;
 *  - the checker's values read back whole over netlink and the ioctl, and
 *    a keys dump of its keys has each of them exactly once (unless the
 *    dump is flagged NLM_F_DUMP_INTR); misses only where an eviction, a
 *    FLUSH or a limit change can explain them;
 *  - no request takes longer than a stall limit;
 *  - at the end the cache is consistent and empty after FLUSH.
 *
 * One test per command (each with the checker), one for attribute soup on
 * any command, one for abandoned dumps, a mixed one, and "checker" with
 * the totals.  Budget and seed as kcache_fuzz_ioctl: about 30 s on the
 * debug kernel, 20 s elsewhere; KC_FUZZ_SECONDS and KC_FUZZ_SEED.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_fuzz.h"
#include "kc_fuzz_run.h"

/* Entry points: the family's commands, and what is not one. */
enum ep {
	EP_VERSION,
	EP_OP,
	EP_KEYS,
	EP_STATS,
	EP_CONFIG_GET,
	EP_CONFIG_SET,
	EP_FLUSH,
	EP_PUBLISH,
	EP_OTHER,	/* UNSPEC, MESSAGE, EVENT, unknown numbers */
	EP_CHECKER,
	NR_EP
};

static const char *const ep_name[NR_EP] = {
	"version", "op", "keys", "stats", "config_get", "config_set", "flush",
	"publish", "other_cmd", "checker",
};

static const uint8_t ep_cmd[] = {
	KC_CMD_VERSION, KC_CMD_OP, KC_CMD_KEYS, KC_CMD_STATS,
	KC_CMD_CONFIG_GET, KC_CMD_CONFIG_SET, KC_CMD_FLUSH, KC_CMD_PUBLISH,
};

#define NSOCK		3	/* sockets per thread */
#define NCHK		12
#define MSG_CAP		(320 << 10)	/* a request, > KC_ARGS_MAX tiny args */

/* Test modes on top of the command focus. */
#define MODE_SOUP	1	/* attribute soup on every command */
#define MODE_DUMPS	2	/* dumps read in part, abandoned, closed */

/* The request a thread is in, for the watchdog. */
struct call {
	uint32_t cmd, len, flags;
};

/* Shared by main() and the harness's forked tests. */
struct shared {
	struct kf_run run;		/* first: see kc_fuzz_run.h */
	struct call call[KF_MAX_THREADS];
	_Atomic uint64_t chk_dumps, chk_dumps_intr;
	_Atomic uint64_t abandoned, closed_mid_dump, overruns, no_reply;
	struct kn_family fam;
	uint32_t item_size_max, nr_classes;
	double reply_wait;
};

static struct shared *sh;

/* Errors the family, genetlink and netlink document for a request. */
static bool error_ok(int err)
{
	switch (-err) {
	case 0:
	case EINVAL:
	case ERANGE:
	case EOPNOTSUPP:
	case EPERM:
	case EACCES:
	case ENOENT:
	case EEXIST:
	case E2BIG:
	case ENAMETOOLONG:
	case ENOMEM:
	case EOVERFLOW:
	case EDOM:
	case EPROTOTYPE:
	case EMSGSIZE:
	case EBUSY:
	case ENOBUFS:
	case EINTR:
		return true;
	}
	return false;
}

/* ------------------------------------------------------------ a fuzzing thread */

struct sock {
	struct kn nl;
	bool open;
	bool joined;
	bool dumping;		/* a dump of ours may still be running */
};

struct fz {
	struct kf_rng r;
	int id;
	unsigned int focus, mode;
	struct sock s[NSOCK];
	unsigned char *msg;	/* MSG_CAP bytes */
	unsigned char *scratch;	/* payloads */
	uint64_t iter;
	double deadline;
	bool destructive;	/* the next message may delete others' keys */
};

static void sock_open(struct fz *f, struct sock *s)
{
	int big = 4 << 20;

	if (kn_socket(&s->nl, KF_NL_RCVBUF))
		return;
	setsockopt(s->nl.fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	s->open = true;
	s->joined = false;
	s->dumping = false;
	if (kf_pct(&f->r, 30)) {
		uint32_t g = kf_pct(&f->r, 50) ? sh->fam.keyspace :
						 sh->fam.pubsub;

		s->joined = !setsockopt(s->nl.fd, SOL_NETLINK,
					NETLINK_ADD_MEMBERSHIP, &g, sizeof(g));
	}
}

static void sock_close(struct sock *s)
{
	if (s->open)
		kn_close(&s->nl);
	s->open = false;
}

/* Keys the fuzzer works on, and values for them. */
static const char *const keys[] = {
	"nf:s0", "nf:s1", "nf:s2", "nf:l0", "nf:l1", "nf:h0", "nf:h1",
	"nf:z0", "nf:z1", "nf:n0", "nf:n1", "nf:\xff\x01", "nf:*",
};

static const char *const vals[] = {
	"0", "1", "-1", "42", "9223372036854775807", "x", "", "abc", "*",
	"nf:?0", "[a-z]*", "\\", "[^n]*", "field", "member",
};

/* A key as attribute type (KC_A_KEY, or KC_A_ARG for MGET and such). */
static void put_key(struct fz *f, struct kn_msg *m, uint16_t type)
{
	const char *k = keys[kf_below(&f->r, KF_ARRAY_SIZE(keys))];

	if (kf_pct(&f->r, 5)) {
		size_t len = kf_len(&f->r, KC_KEY_MAX) & 0x3ff;

		kf_bytes(&f->r, f->scratch, len);
		kn_put(m, type, f->scratch, len);
		return;
	}
	kn_put(m, type, k, strlen(k));
}

static size_t val_len(struct fz *f)
{
	switch (kf_below(&f->r, 12)) {
	case 0:
		return KC_NL_VALUE_MAX;
	case 1:
		return KC_NL_VALUE_MAX - 1;
	case 2:
		return 4096 + kf_below(&f->r, 60000);
	default:
		return kf_below(&f->r, 200);
	}
}

static void put_val(struct fz *f, struct kn_msg *m, uint16_t type)
{
	size_t len;

	if (kf_pct(&f->r, 50)) {
		const char *v = vals[kf_below(&f->r, KF_ARRAY_SIZE(vals))];

		kn_put(m, type, v, strlen(v));
		return;
	}
	len = val_len(f);
	kf_bytes(&f->r, f->scratch, len);
	if (kn_put(m, type, f->scratch, len))
		kn_put(m, type, f->scratch, 16);
}

static void put_s64(struct fz *f, struct kn_msg *m, uint16_t type)
{
	kn_put_u64(m, type, (uint64_t)kf_s64(&f->r));
}

static void put_small_s64(struct fz *f, struct kn_msg *m, uint16_t type)
{
	kn_put_u64(m, type, (uint64_t)((int64_t)kf_below(&f->r, 20) - 10));
}

/* Nested junk: a few levels of random attributes. */
static void put_nest_junk(struct fz *f, struct kn_msg *m, int depth)
{
	int n = kf_below(&f->r, 4), i;

	if (kn_nest_start(m, kf_below(&f->r, KC_A_MAX + 4)))
		return;
	for (i = 0; i < n; i++) {
		if (depth < 5 && kf_pct(&f->r, 30)) {
			put_nest_junk(f, m, depth + 1);
			continue;
		}
		kf_bytes(&f->r, f->scratch, 16);
		kn_put(m, kf_below(&f->r, 8), f->scratch,
		       kf_below(&f->r, 17));
	}
	kn_nest_end(m);
}

/* Random attributes of random types and sizes. */
static void put_soup(struct fz *f, struct kn_msg *m)
{
	int n = 1 + kf_below(&f->r, 12), i;
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 250,
					251, 1024, 1025 };

	for (i = 0; i < n; i++) {
		uint16_t type = kf_pct(&f->r, 80) ? kf_below(&f->r, KC_A_MAX + 4) :
				(uint16_t)kf_next(&f->r);
		size_t len = kf_pct(&f->r, 70) ?
			     sizes[kf_below(&f->r, KF_ARRAY_SIZE(sizes))] :
			     kf_below(&f->r, 3000);

		if (kf_pct(&f->r, 15)) {
			put_nest_junk(f, m, 0);
			continue;
		}
		kf_bytes(&f->r, f->scratch, len);
		if (kf_pct(&f->r, 30) && len >= 4)	/* small numbers */
			memset(f->scratch + 1, 0, len - 1);
		kn_put(m, type, f->scratch, len);
	}
}

static uint32_t pick_opcode(struct fz *f)
{
	for (;;) {
		uint32_t o = kf_below(&f->r, KC_OP_MAX + 1);

		if ((o != KC_OP_FLUSH && o != KC_OP_SWAPDB) ||
		    kf_pct(&f->r, 2))
			return o;
	}
}

/* KC_CMD_OP with the attributes of struct kc_op. */
static void build_op(struct fz *f, struct kn_msg *m)
{
	uint32_t opcode = pick_opcode(f);
	int nargs = 0, i;

	if (kf_pct(&f->r, 97))
		kn_put_u32(m, KC_A_OPCODE, kf_pct(&f->r, 97) ? opcode :
			   (uint32_t)kf_next(&f->r));
	if (kf_pct(&f->r, 15))
		kn_put_u32(m, KC_A_FLAGS, kf_pct(&f->r, 80) ?
			   1U << kf_below(&f->r, 17) :
			   (uint32_t)kf_next(&f->r));
	if (kf_pct(&f->r, 90))
		put_key(f, m, KC_A_KEY);
	if (kf_pct(&f->r, 50))
		put_val(f, m, KC_A_VALUE);
	if (kf_pct(&f->r, 40))
		put_small_s64(f, m, KC_A_NUM);
	else if (kf_pct(&f->r, 20))
		put_s64(f, m, KC_A_NUM);
	if (kf_pct(&f->r, 30))
		put_small_s64(f, m, KC_A_NUM2);
	if (kf_pct(&f->r, 15))
		put_s64(f, m, KC_A_EXPIRE);
	if (kf_pct(&f->r, 10))
		kn_put_u64(m, KC_A_CAS, kf_below(&f->r, 100000));
	if (kf_pct(&f->r, 10))
		kn_put_u32(m, KC_A_CLIENT_FLAGS, (uint32_t)kf_next(&f->r));
	if (kf_pct(&f->r, 15))
		kn_put_u32(m, KC_A_DB, kf_pct(&f->r, 90) ?
			   kf_below(&f->r, KC_DB_COUNT + 1) :
			   (uint32_t)kf_next(&f->r));
	switch (kf_below(&f->r, 50)) {
	case 0:
		nargs = KC_ARGS_MAX + 1;
		break;
	case 1:
		nargs = 1000 + kf_below(&f->r, 3000);
		break;
	default:
		nargs = kf_pct(&f->r, 50) ? 0 : 1 + kf_below(&f->r, 6);
		break;
	}
	for (i = 0; i < nargs; i++) {
		if (nargs > 100) {
			if (kn_put(m, KC_A_ARG, "a", kf_below(&f->r, 2)))
				break;
		} else if (kf_pct(&f->r, 50)) {
			put_key(f, m, KC_A_ARG);
		} else {
			put_val(f, m, KC_A_ARG);
		}
	}
	if (opcode == KC_OP_FLUSH || opcode == KC_OP_SWAPDB)
		f->destructive = true;
}

static void build_keys(struct fz *f, struct kn_msg *m)
{
	static const char *const pats[] = {
		"*", "nf:*", "nf:?0", "nf:[a-z]*", "[", "\\", "*[^x]*", "**",
		"nf:[!s]?", "?", "",
	};

	if (kf_pct(&f->r, 60)) {
		if (kf_pct(&f->r, 80)) {
			const char *p = pats[kf_below(&f->r, KF_ARRAY_SIZE(pats))];

			kn_put(m, KC_A_PATTERN, p, strlen(p));
		} else {
			size_t len = kf_len(&f->r, KC_PATTERN_MAX) & 0x7ff;

			memset(f->scratch, '*', len);
			kn_put(m, KC_A_PATTERN, f->scratch, len);
		}
	}
	if (kf_pct(&f->r, 30))
		kn_put_u32(m, KC_A_TYPE, kf_below(&f->r, KC_TYPE_MAX + 3));
	if (kf_pct(&f->r, 20))
		kn_put_u32(m, KC_A_DB, kf_below(&f->r, KC_DB_COUNT + 2));
}

static void build_config_set(struct fz *f, struct kn_msg *m)
{
	static const uint64_t mb[] = { 0, 1, 2, 3, 16, 64, 128, 1ULL << 40,
				       UINT64_MAX };

	if (kf_pct(&f->r, 40)) {
		kn_put_u64(m, KC_A_MEMORY_LIMIT_MB,
			   mb[kf_below(&f->r, KF_ARRAY_SIZE(mb))]);
		f->destructive = true;
	}
	if (kf_pct(&f->r, 50))
		kn_put_u32(m, KC_A_NOTIFY, kf_pct(&f->r, 90) ?
			   kf_below(&f->r, 2) : (uint32_t)kf_next(&f->r));
	if (kf_pct(&f->r, 40))
		kn_put_u32(m, KC_A_AUTOMOVE, kf_pct(&f->r, 90) ?
			   kf_below(&f->r, 2) : (uint32_t)kf_next(&f->r));
	if (kf_pct(&f->r, 20))
		kn_put_u32(m, KC_A_NOEVICT, kf_pct(&f->r, 90) ?
			   kf_below(&f->r, 2) : (uint32_t)kf_next(&f->r));
}

static void build_publish(struct fz *f, struct kn_msg *m)
{
	if (kf_pct(&f->r, 95)) {
		size_t len = kf_pct(&f->r, 90) ? 1 + kf_below(&f->r, 20) :
			     kf_len(&f->r, KC_CHANNEL_MAX) & 0x3ff;

		memset(f->scratch, 'c', len);
		kn_put(m, KC_A_CHANNEL, f->scratch, len);
	}
	if (kf_pct(&f->r, 80))
		put_val(f, m, KC_A_MESSAGE);
}

/* Top-level attribute offsets of a message. */
static int attr_offsets(const struct kn_msg *m, size_t *off, int max)
{
	size_t at = NLMSG_HDRLEN + GENL_HDRLEN;
	int n = 0;

	while (n < max && at + NLA_HDRLEN <= m->len) {
		const struct nlattr *a = (const void *)(m->buf + at);

		if (a->nla_len < NLA_HDRLEN || at + a->nla_len > m->len)
			break;
		off[n++] = at;
		at += KN_ALIGN(a->nla_len);
	}
	return n;
}

/* One byte-level mutation.  *keep_len: nlmsg_len is set here. */
static void mutate(struct fz *f, struct kn_msg *m, bool *keep_len)
{
	size_t off[64];
	int n = attr_offsets(m, off, 64);
	struct nlattr *a = n ? (struct nlattr *)(m->buf + off[kf_below(&f->r, n)]) :
			   NULL;
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);

	switch (kf_below(&f->r, 14)) {
	case 0:
		if (a)
			a->nla_type = (kf_pct(&f->r, 80) ?
				       kf_below(&f->r, KC_A_MAX + 4) :
				       (uint16_t)kf_next(&f->r)) |
				      (kf_pct(&f->r, 10) ? NLA_F_NESTED : 0);
		break;
	case 1:
		if (a)
			a->nla_len = kf_pct(&f->r, 50) ?
				     (uint16_t)kf_below(&f->r, a->nla_len + 9) :
				     (uint16_t)kf_next(&f->r);
		break;
	case 2:			/* duplicate */
		if (a && m->len + KN_ALIGN(a->nla_len) <= m->cap) {
			size_t l = KN_ALIGN(a->nla_len);

			memmove(m->buf + m->len, a, l);
			m->len += l;
		}
		break;
	case 3:			/* drop */
		if (a) {
			unsigned char *p = (unsigned char *)a;
			size_t rest = m->buf + m->len - p;
			/* An unaligned last attribute has no padding after it. */
			size_t l = KF_MIN(KN_ALIGN(a->nla_len), rest);

			memmove(p, p + l, rest - l);
			m->len -= l;
		}
		break;
	case 4:			/* truncate */
		m->len = NLMSG_HDRLEN + kf_below(&f->r, m->len - NLMSG_HDRLEN + 1);
		break;
	case 5:
		put_soup(f, m);
		break;
	case 6:
		put_nest_junk(f, m, 0);
		break;
	case 7:
		g->version = (uint8_t)kf_next(&f->r);
		break;
	case 8:
		g->reserved = (uint16_t)kf_next(&f->r);
		break;
	case 9:			/* nlmsg_len lies */
		nlh->nlmsg_len = (uint32_t)m->len +
				 (uint32_t)kf_below(&f->r, 64) - 32;
		*keep_len = true;
		break;
	case 10:		/* payload bytes */
		if (a && a->nla_len > NLA_HDRLEN) {
			unsigned char *p = (unsigned char *)(a + 1);

			p[kf_below(&f->r, a->nla_len - NLA_HDRLEN)] ^=
				1 << kf_below(&f->r, 8);
		}
		break;
	case 11:		/* grow the last attribute by a few bytes */
		if (a && m->len + 8 <= m->cap) {
			kf_bytes(&f->r, m->buf + m->len, 8);
			m->len += 4;
			((struct nlattr *)(m->buf + off[n - 1]))->nla_len += 4;
		}
		break;
	case 12:
		nlh->nlmsg_flags ^= 1 << kf_below(&f->r, 16);
		break;
	default:
		g->cmd = (uint8_t)kf_next(&f->r);
		break;
	}
}

/* The command of entry point ep, in a message ready for mutations. */
static uint8_t build(struct fz *f, struct kn_msg *m, enum ep ep,
		     uint16_t *flags)
{
	uint8_t cmd;

	*flags = NLM_F_REQUEST | NLM_F_ACK;
	if (ep == EP_OTHER) {
		static const uint8_t other[] = {
			KC_CMD_UNSPEC, KC_CMD_MESSAGE, KC_CMD_EVENT,
			__KC_CMD_LAST, __KC_CMD_LAST + 1, 255, 128,
		};

		cmd = other[kf_below(&f->r, KF_ARRAY_SIZE(other))];
	} else {
		cmd = ep_cmd[ep];
	}
	if ((ep == EP_KEYS || (ep == EP_STATS && kf_pct(&f->r, 50)) ||
	     kf_pct(&f->r, 3)))
		*flags |= NLM_F_DUMP;
	kn_msg_init_buf(m, f->msg, MSG_CAP, sh->fam.id, *flags, cmd,
			kf_pct(&f->r, 97) ? KC_GENL_VERSION : kf_below(&f->r, 4));
	switch (ep) {
	case EP_OP:
		build_op(f, m);
		break;
	case EP_KEYS:
		build_keys(f, m);
		break;
	case EP_STATS:
		if (kf_pct(&f->r, 40))
			kn_put_u32(m, KC_A_CLASS_ID, kf_pct(&f->r, 80) ?
				   kf_below(&f->r, sh->nr_classes + 2) :
				   (uint32_t)kf_next(&f->r));
		break;
	case EP_CONFIG_SET:
		build_config_set(f, m);
		break;
	case EP_PUBLISH:
		build_publish(f, m);
		break;
	case EP_FLUSH:
		f->destructive = true;
		break;
	default:
		break;
	}
	if ((f->mode & MODE_SOUP) || kf_pct(&f->r, 5))
		put_soup(f, m);
	return cmd;
}

/*
 * Could the message as it will be sent delete or evict other clients' keys
 * (FLUSH, a limit change, KC_OP_FLUSH)?  Judged on its final bytes: a
 * mutation can turn any request into one.  Then the checker may miss.
 */
static bool destructive(const struct kn_msg *m)
{
	const struct genlmsghdr *g = (const void *)(m->buf + NLMSG_HDRLEN);
	const struct nlattr *a;
	int rem;

	if (m->len < NLMSG_HDRLEN + GENL_HDRLEN)
		return false;
	if (g->cmd == KC_CMD_FLUSH || g->cmd == KC_CMD_CONFIG_SET)
		return true;
	if (g->cmd != KC_CMD_OP)
		return false;
	kn_for_each_attr(a, (const struct nlattr *)(g + 1),
			 (int)(m->len - NLMSG_HDRLEN - GENL_HDRLEN), rem)
		if (a->nla_len == NLA_HDRLEN + 4 &&
		    (kn_u32(a) == KC_OP_FLUSH || kn_u32(a) == KC_OP_SWAPDB))
			return true;
	return false;
}

static void set_cur(struct fz *f, enum ep ep, uint8_t cmd, size_t len,
		    uint16_t flags)
{
	struct call *c = &sh->call[f->id];

	c->cmd = cmd;
	c->len = (uint32_t)len;
	c->flags = flags;
	kf_cur_begin(f->id, ep, f->iter);
}

static void end_cur(struct fz *f)
{
	kf_cur_end(f->id);
}

struct rx {
	enum ep ep;
	uint16_t family;
	int msgs;
	int limit;		/* stop taking dump messages after this many */
	bool check;
};

/* Every reply message: our family, sane attributes. */
static int rx_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rx *x = arg;
	const struct nlattr *head;
	int len;

	x->msgs++;
	if (x->limit && x->msgs > x->limit)
		return -ECANCELED;	/* stop reading the dump here */
	if (!x->check)
		return 0;
	if (nlh->nlmsg_type != x->family) {
		kf_bad("%s: reply of type %u, not the family's %u",
		       ep_name[x->ep], nlh->nlmsg_type, x->family);
		return 1;
	}
	head = kn_genl_attrs(nlh, &len);
	if (len < 0 || kn_attrs_sane(head, len, 0))
		kf_bad("%s: reply with malformed attributes or non-zero padding (%d bytes)",
		       ep_name[x->ep], len);
	return 0;
}

/*
 * Sends the message on one of the thread's sockets and reads the answer:
 * all of it, or for a dump sometimes only part, or nothing (the socket is
 * closed right away, mid-dump).
 */
static void fuzz_one(struct fz *f);

/* The destructive mark ends when the request is answered or dropped. */
static void fuzz_once(struct fz *f)
{
	fuzz_one(f);
	if (f->destructive) {
		atomic_fetch_add(&kf->epoch, 1);
		atomic_fetch_sub(&kf->destructive, 1);
		f->destructive = false;
	}
}

static void fuzz_one(struct fz *f)
{
	static const enum ep order[] = {
		EP_OP, EP_OP, EP_OP, EP_OP, EP_KEYS, EP_KEYS, EP_STATS,
		EP_STATS, EP_VERSION, EP_CONFIG_GET, EP_CONFIG_SET, EP_FLUSH,
		EP_PUBLISH, EP_PUBLISH, EP_OTHER,
	};
	struct sock *s = &f->s[kf_below(&f->r, NSOCK)];
	bool keep_len = false, dump, sane;
	struct rx x = { .family = sh->fam.id };
	uint16_t flags;
	struct kn_msg m;
	enum ep ep;
	uint8_t cmd;
	int err, muts, i;

	do {
		ep = order[kf_below(&f->r, KF_ARRAY_SIZE(order))];
	} while (!(f->focus & (1U << ep)) &&
		 !(ep == EP_OP && kf_pct(&f->r, 15)) &&
		 !(ep == EP_FLUSH && kf_pct(&f->r, 1)));
	if (ep == EP_FLUSH && !(f->focus & (1U << EP_FLUSH)) &&
	    kf_pct(&f->r, 50))
		ep = EP_OP;
	if (!s->open)
		sock_open(f, s);
	if (!s->open)
		return;
	f->iter++;
	cmd = build(f, &m, ep, &flags);
	muts = kf_pct(&f->r, 35) ? 0 : 1 + kf_below(&f->r, 3);
	if (f->mode & MODE_SOUP)
		muts = kf_below(&f->r, 2);
	for (i = 0; i < muts; i++)
		mutate(f, &m, &keep_len);
	if (m.len < NLMSG_HDRLEN)
		m.len = NLMSG_HDRLEN;
	/* Two requests in one datagram, now and then. */
	if (!keep_len && kf_pct(&f->r, 3) &&
	    NLMSG_ALIGN(m.len) + m.len <= m.cap) {
		((struct nlmsghdr *)m.buf)->nlmsg_len = (uint32_t)m.len;
		((struct nlmsghdr *)m.buf)->nlmsg_seq = s->nl.seq + 1;
		memcpy(m.buf + NLMSG_ALIGN(m.len), m.buf, m.len);
		m.len = NLMSG_ALIGN(m.len) + m.len;
		keep_len = true;
	}
	/* In flight until answered: a checker miss meanwhile is explained. */
	f->destructive |= destructive(&m);
	if (f->destructive) {
		atomic_fetch_add(&kf->destructive, 1);
		atomic_fetch_add(&kf->epoch, 1);
	}
	flags = ((struct nlmsghdr *)m.buf)->nlmsg_flags;
	dump = flags & NLM_F_DUMP;
	/*
	 * Will the kernel answer?  A request with a length it can parse that
	 * asks for an ACK or a dump (without NLM_F_ACK a successful request
	 * may get nothing back).  The answer is queued before sendmsg()
	 * returns: genetlink handles a request in the sender's context.
	 */
	sane = (flags & NLM_F_REQUEST) && (flags & (NLM_F_ACK | NLM_F_DUMP)) &&
	       (!keep_len ||
		((struct nlmsghdr *)m.buf)->nlmsg_len == m.len ||
		((struct nlmsghdr *)m.buf)->nlmsg_len <= m.len / 2 + 4);
	x.ep = ep;
	x.check = !keep_len && !muts && !(f->mode & MODE_SOUP);
	if (dump && ((f->mode & MODE_DUMPS) || kf_pct(&f->r, 20)))
		x.limit = kf_below(&f->r, 4);	/* 0: read it all */

	set_cur(f, ep, cmd, m.len, flags);
	err = keep_len ? kn_send_as_is(&s->nl, &m) : kn_send(&s->nl, &m);
	if (!err && dump && x.limit == 0 && kf_pct(&f->r, 50) &&
	    ((f->mode & MODE_DUMPS) || kf_pct(&f->r, 10))) {
		/* Closed right away, the dump still running. */
		sock_close(s);
		end_cur(f);
		atomic_fetch_add(&sh->closed_mid_dump, 1);
		kf_tally(ep, true);
		return;
	}
	if (!err)
		err = kn_recv(&s->nl, sane ? sh->reply_wait * 1000 : 20,
			      rx_cb, &x);
	end_cur(f);
	if (err == -ECANCELED && x.limit) {
		/* We stopped reading the dump: abandon or close it. */
		atomic_fetch_add(&sh->abandoned, 1);
		s->dumping = true;
		if (kf_pct(&f->r, 50)) {
			sock_close(s);
			atomic_fetch_add(&sh->closed_mid_dump, 1);
		}
		kf_tally(ep, true);
		return;
	}
	kf_tally(ep, !err);
	if (err == -ETIMEDOUT) {
		/*
		 * No answer: the kernel drops what it cannot parse, and a
		 * socket whose own dump is still running gets the rest of it
		 * first.  Neither is an error; a well formed request with
		 * nothing pending is.
		 */
		if (sane && x.check && !s->dumping && !s->joined)
			kf_bad("%s: no answer in %.0f s to a well formed request",
			       ep_name[ep], sh->reply_wait);
		atomic_fetch_add(&sh->no_reply, 1);
		sock_close(s);
		return;
	}
	if (err == -ENOBUFS) {
		atomic_fetch_add(&sh->overruns, 1);
		sock_close(s);
		return;
	}
	s->dumping = false;
	if (!error_ok(err))
		kf_bad("%s (cmd %u, flags %#x, %zu bytes%s): error %d (%s)",
		       ep_name[ep], cmd, flags, m.len, muts ? ", mutated" : "",
		       err, s->nl.ext);
	if (x.check && !err && ep == EP_OTHER)
		kf_bad("command %u is not a request but was answered", cmd);
	if (kf_pct(&f->r, 1))
		sock_close(s);
}

static void *fuzz_thread(void *arg)
{
	struct fz *f = arg;
	int i;

	while (!atomic_load(&kf->stop) && kf_now() < f->deadline)
		fuzz_once(f);
	for (i = 0; i < NSOCK; i++)
		sock_close(&f->s[i]);
	return NULL;
}

/* ------------------------------------------------------------ the checker */

struct chk {
	struct kf_chk k;
	struct kn nl;
	unsigned char *msg, *val, *out;
	char pattern[64];
};

struct op_reply {
	const unsigned char *val;
	size_t len;
	unsigned char copy[KC_NL_VALUE_MAX];
	bool has;
};

static int op_reply_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct op_reply *r = arg;
	const struct nlattr *a, *head;
	int len, rem;

	head = kn_genl_attrs(nlh, &len);
	if (kn_attrs_sane(head, len, 0))
		kf_chk_bad("OP reply with malformed attributes");
	kn_for_each_attr(a, head, len, rem)
		if ((a->nla_type & NLA_TYPE_MASK) == KC_A_VALUE) {
			r->len = a->nla_len - NLA_HDRLEN;
			memcpy(r->copy, a + 1, r->len);
			r->has = true;
		}
	return 0;
}

/* KC_CMD_OP SET or GET of checker key i over netlink. */
static int chk_nl_op(struct chk *c, uint32_t opcode, unsigned int i,
		     const void *val, size_t len, struct op_reply *r)
{
	struct kn_msg m;
	int err;

	kn_msg_init_buf(&m, c->msg, MSG_CAP, sh->fam.id, NLM_F_REQUEST | NLM_F_ACK,
			KC_CMD_OP, KC_GENL_VERSION);
	kn_put_u32(&m, KC_A_OPCODE, opcode);
	kn_put(&m, KC_A_KEY, c->k.keys[i], strlen(c->k.keys[i]));
	if (val)
		kn_put(&m, KC_A_VALUE, val, len);
	err = kn_send(&c->nl, &m);
	if (!err)
		err = kn_recv(&c->nl, 30000, op_reply_cb, r);
	kf_tally(EP_CHECKER, !err);
	atomic_fetch_add(&kf->chk_ops, 1);
	return err;
}

static void chk_write(struct chk *c, unsigned int i)
{
	uint32_t len = KF_CHK_HDR + (kf_pct(&c->k.r, 70) ? kf_below(&c->k.r, 500) :
				     kf_below(&c->k.r, KC_NL_VALUE_MAX - KF_CHK_HDR));
	struct op_reply *r = calloc(1, sizeof(*r));
	uint64_t seq = ++c->k.seq;
	struct kf_blame b;
	size_t got = 0;
	int err;

	if (!r)
		return;
	kf_chk_value(&c->k, i, seq, len, c->val);
	kf_blame_now(c->k.fd, &b);
	err = chk_nl_op(c, KC_OP_SET, i, c->val, len, r);
	if (err == -ENOMEM) {
		free(r);
		return;
	}
	if (err) {
		kf_chk_bad("netlink SET %s: %d (%s)", c->k.keys[i], err, c->nl.ext);
		free(r);
		return;
	}
	kf_chk_wrote(&c->k, i, seq, len, &b);
	/* Read back through the other interface. */
	err = kc_get(c->k.fd, c->k.keys[i], strlen(c->k.keys[i]), c->out,
		     KC_NL_VALUE_MAX, &got, NULL, NULL);
	kf_tally(EP_CHECKER, !err);
	kf_chk_verify(&c->k, i, err, c->out, got, "ioctl GET");
	free(r);
}

static void chk_read(struct chk *c, unsigned int i)
{
	struct op_reply *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return;
	err = chk_nl_op(c, KC_OP_GET, i, NULL, 0, r);
	if (!err && !r->has)
		kf_chk_bad("netlink GET %s: no KC_A_VALUE", c->k.keys[i]);
	else
		kf_chk_verify(&c->k, i, err, r->copy, r->len, "netlink GET");
	free(r);
}

struct dump_seen {
	struct chk *c;
	int count[NCHK];
	int others;
};

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_seen *d = arg;
	const struct nlattr *a, *head;
	int len, rem;
	unsigned int i;

	head = kn_genl_attrs(nlh, &len);
	if (kn_attrs_sane(head, len, 0))
		kf_chk_bad("keys dump message with malformed attributes");
	kn_for_each_attr(a, head, len, rem) {
		size_t klen = a->nla_len - NLA_HDRLEN;

		if ((a->nla_type & NLA_TYPE_MASK) != KC_A_KEY)
			continue;
		for (i = 0; i < NCHK; i++)
			if (klen == strlen(d->c->k.keys[i]) &&
			    !memcmp(a + 1, d->c->k.keys[i], klen))
				break;
		if (i < NCHK)
			d->count[i]++;
		else
			d->others++;
	}
	return 0;
}

/* A keys dump of the checker's keys: each present one exactly once. */
static void chk_dump(struct chk *c)
{
	struct dump_seen d = { .c = c };
	struct kf_blame b;
	struct kn_msg m;
	unsigned int i;
	int err;

	kf_blame_now(c->k.fd, &b);
	kn_msg_init_buf(&m, c->msg, MSG_CAP, sh->fam.id,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, KC_CMD_KEYS,
			KC_GENL_VERSION);
	kn_put(&m, KC_A_PATTERN, c->pattern, strlen(c->pattern));
	err = kn_send(&c->nl, &m);
	if (!err)
		err = kn_recv(&c->nl, 60000, dump_cb, &d);
	kf_tally(EP_CHECKER, !err);
	atomic_fetch_add(&sh->chk_dumps, 1);
	if (err) {
		kf_chk_bad("keys dump: %d (%s)", err, c->nl.ext);
		return;
	}
	if (d.others)
		kf_chk_bad("keys dump of '%s': %d keys that do not match",
			   c->pattern, d.others);
	if (c->nl.intr)
		atomic_fetch_add(&sh->chk_dumps_intr, 1);
	for (i = 0; i < NCHK; i++) {
		/* Interrupted (NLM_F_DUMP_INTR): keys may repeat or miss. */
		if (d.count[i] > 1 && !c->nl.intr)
			kf_chk_bad("keys dump: %s %d times, and not flagged NLM_F_DUMP_INTR",
				   c->k.keys[i], d.count[i]);
		if (c->k.rec[i].present && !d.count[i] && !c->nl.intr &&
		    !kf_explained(c->k.fd, &c->k.rec[i].b) && !kf_explained(c->k.fd, &b))
			kf_chk_bad("keys dump: %s (seq %llu) missing", c->k.keys[i],
				   (unsigned long long)c->k.rec[i].seq);
		if (!c->k.rec[i].present && d.count[i])
			kf_chk_bad("keys dump: %s is there but was never written or is gone",
				   c->k.keys[i]);
	}
}

static void *checker_thread(void *arg)
{
	double deadline = *(double *)arg;
	struct chk *c = calloc(1, sizeof(*c));
	unsigned int i;

	if (!c)
		return NULL;
	c->nl.fd = -1;
	c->msg = malloc(MSG_CAP);
	c->val = malloc(KC_NL_VALUE_MAX + 64);
	c->out = malloc(KC_NL_VALUE_MAX + 64);
	if (!c->msg || !c->val || !c->out ||
	    kf_chk_init(&c->k, "nchk", NCHK, 0x324b48434b43ULL, 1, c->val) ||
	    kn_socket(&c->nl, KF_NL_RCVBUF)) {
		kf_chk_bad("checker setup failed");
		goto out;
	}
	snprintf(c->pattern, sizeof(c->pattern), "nchk:%016llx:*",
		 (unsigned long long)kf->nonce);
	while (!atomic_load(&kf->stop) && kf_now() < deadline) {
		i = kf_below(&c->k.r, NCHK);
		switch (kf_below(&c->k.r, 12)) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4:
			chk_write(c, i);
			break;
		case 5:
			chk_dump(c);
			break;
		default:
			chk_read(c, i);
			break;
		}
	}
out:
	kn_close(&c->nl);
	kc_close(c->k.fd);
	free(c->msg);
	free(c->val);
	free(c->out);
	free(c);
	return NULL;
}

/* ------------------------------------------------------------ watchdog */

/* For the watchdog: the request thread t is in. */
static void describe(int t, char *buf, size_t len)
{
	const struct call *c = &sh->call[t];

	snprintf(buf, len, "cmd %u, %u bytes, flags %#x", c->cmd, c->len,
		 c->flags);
}

/* ------------------------------------------------------------ tests */

static void run(struct __test_metadata *_metadata, int fd, int idx,
		unsigned int focus, unsigned int mode, unsigned int weight)
{
	int nthreads = kf_nthreads(), t;
	double deadline;
	struct fz *fz;

	deadline = kf_run_begin(_metadata, fd, weight);
	fz = calloc(nthreads, sizeof(*fz));
	ASSERT_NE(NULL, fz);
	for (t = 0; t < nthreads; t++) {
		struct fz *f = &fz[t];

		kf_rng_init(&f->r, kf_seed(), idx, t);
		f->id = t;
		f->focus = focus;
		f->mode = mode;
		f->deadline = deadline;
		f->msg = malloc(MSG_CAP);
		f->scratch = malloc(MSG_CAP);
		ASSERT_NE(NULL, f->msg);
		ASSERT_NE(NULL, f->scratch);
	}
	kf_run_threads(_metadata, &(struct kf_threads){
		.nthreads = nthreads, .fuzz = fuzz_thread,
		.fz = fz, .fz_size = sizeof(*fz),
		.checker = checker_thread, .describe = describe,
	}, deadline);
	for (t = 0; t < nthreads; t++) {
		free(fz[t].msg);
		free(fz[t].scratch);
	}
	free(fz);
	kf_run_end(_metadata, fd, focus);
}

#define FOCUS(e)	(1U << (e))
#define ALL		((1U << EP_CHECKER) - 1)

TEST_F(fuzz, version)
{
	run(_metadata, self->fd, 1, FOCUS(EP_VERSION), 0, 1);
}

TEST_F(fuzz, op)
{
	run(_metadata, self->fd, 2, FOCUS(EP_OP), 0, 4);
}

TEST_F(fuzz, keys)
{
	run(_metadata, self->fd, 3, FOCUS(EP_KEYS), 0, 2);
}

TEST_F(fuzz, stats)
{
	run(_metadata, self->fd, 4, FOCUS(EP_STATS), 0, 1);
}

TEST_F(fuzz, config_get)
{
	run(_metadata, self->fd, 5, FOCUS(EP_CONFIG_GET), 0, 1);
}

TEST_F(fuzz, config_set)
{
	run(_metadata, self->fd, 6, FOCUS(EP_CONFIG_SET), 0, 1);
}

TEST_F(fuzz, flush)
{
	run(_metadata, self->fd, 7, FOCUS(EP_FLUSH), 0, 1);
}

TEST_F(fuzz, publish)
{
	run(_metadata, self->fd, 8, FOCUS(EP_PUBLISH), 0, 1);
}

TEST_F(fuzz, other_cmd)
{
	run(_metadata, self->fd, 9, FOCUS(EP_OTHER), 0, 1);
}

TEST_F(fuzz, soup)
{
	run(_metadata, self->fd, 10, ALL, MODE_SOUP, 2);
}

TEST_F(fuzz, dumps_abandoned)
{
	run(_metadata, self->fd, 11, FOCUS(EP_KEYS) | FOCUS(EP_STATS),
	    MODE_DUMPS, 2);
}

TEST_F(fuzz, mixed)
{
	run(_metadata, self->fd, 12, ALL, 0, 3);
}

TEST_F(fuzz, checker)
{
	kf_print_counts("total", kf->total);
	ksft_print_msg("KCFUZZ netlink checker: %llu ops, %llu keys dumps (%llu interrupted), %llu misses explained, %llu bad; %llu dumps abandoned, %llu sockets closed mid-dump, %llu overruns, %llu unanswered; seed %#llx, %.0f s\n",
		       (unsigned long long)atomic_load(&kf->chk_ops),
		       (unsigned long long)atomic_load(&sh->chk_dumps),
		       (unsigned long long)atomic_load(&sh->chk_dumps_intr),
		       (unsigned long long)atomic_load(&kf->chk_explained),
		       (unsigned long long)atomic_load(&kf->chk_bad),
		       (unsigned long long)atomic_load(&sh->abandoned),
		       (unsigned long long)atomic_load(&sh->closed_mid_dump),
		       (unsigned long long)atomic_load(&sh->overruns),
		       (unsigned long long)atomic_load(&sh->no_reply),
		       (unsigned long long)kf_seed(), kf->budget);
	kf_run_verdict(_metadata, self->fd);
}

int main(int argc, char **argv)
{
	struct kc_version v = { 0 };
	char family[32];
	struct kn nl;
	int fd;

	sh = kf_run_init(sizeof(*sh), "netlink", ep_name, NR_EP, 30, 20);
	if (!sh)
		return KSFT_FAIL;
	sh->reply_wait = kf_debug_kernel() ? 10 : 3;
	fd = kc_open();
	if (fd >= 0) {
		kc_version(fd, &v);
		kc_close(fd);
	}
	sh->item_size_max = v.item_size_max;
	sh->nr_classes = v.nr_classes;
	if (!kn_socket(&nl, KF_NL_RCVBUF)) {
		kn_family_get(&nl, &sh->fam);
		kn_close(&nl);
	}
	if (!sh->fam.id)
		snprintf(kf->unready, sizeof(kf->unready),
			 "no generic netlink family %s", KC_GENL_NAME);
	snprintf(family, sizeof(family), ", family %u", sh->fam.id);
	return kf_run_main(argc, argv, family);
}
