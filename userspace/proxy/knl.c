// SPDX-License-Identifier: GPL-2.0
/*
 * The kcache generic netlink family from the proxy (see knl.h).
 *
 * The op transport sends a window of KC_CMD_OP requests in one sendmsg()
 * and collects their replies with recvmmsg().  The kernel handles the
 * requests of one sendmsg() one after the other before the call returns,
 * queueing one reply or error per request (no NLM_F_ACK), so every reply
 * is there when sendmsg() returns.  A reply that does not fit in the
 * socket's receive buffer is dropped, so a window holds only as many
 * requests as their largest possible replies fit in it; a dropped reply
 * is still noticed (no reply for that sequence number) and reported.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "knl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

#define SOCK_BUF	(16U << 20)	/* asked for; the kernel may give less */
#define SUB_BUF		(8U << 20)	/* the group socket's (doubled: 16) */
#define RX_SLOTS	32		/* replies per recvmmsg() */
#define RX_SLOT		(128U << 10)	/* the largest reply is ~66 KiB */
#define REPLY_SMALL	2048		/* queue cost of a reply without data */
#define IO_TIMEOUT	5		/* s: a reply that never comes */

struct knl_family knl_fam;

static size_t attr_size(size_t len)
{
	return NLA_ALIGN(NLA_HDRLEN + len);
}

/* Appends an attribute at p; returns the bytes written (padded). */
static size_t put_attr(char *p, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)p;
	size_t sz = attr_size(len);

	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy(p + NLA_HDRLEN, data, len);
	memset(p + NLA_HDRLEN + len, 0, sz - NLA_HDRLEN - len);
	return sz;
}

static size_t put_u32(char *p, uint16_t type, uint32_t v)
{
	return put_attr(p, type, &v, sizeof(v));
}

static size_t put_u64(char *p, uint16_t type, uint64_t v)
{
	return put_attr(p, type, &v, sizeof(v));
}

static void put_hdr(char *p, size_t len, uint16_t type, uint16_t flags,
		    uint32_t seq, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *h = (struct nlmsghdr *)p;
	struct genlmsghdr *g = (struct genlmsghdr *)(p + NLMSG_HDRLEN);

	h->nlmsg_len = (uint32_t)len;
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	h->nlmsg_pid = 0;
	memset(g, 0, GENL_HDRLEN);
	g->cmd = cmd;
	g->version = version;
}

/* Walks the attributes in [p, p + len); stops at a malformed one. */
#define for_each_attr(a, p, len, rem)					\
	for ((a) = (const struct nlattr *)(p), (rem) = (long)(len);	\
	     (rem) >= (long)NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN &&	\
	     (long)(a)->nla_len <= (rem);				\
	     (rem) -= (long)NLA_ALIGN((a)->nla_len),			\
	     (a) = (const struct nlattr *)((const char *)(a) +		\
					   NLA_ALIGN((a)->nla_len)))

/* The type without NLA_F_NESTED (nests have it) and NLA_F_NET_BYTEORDER. */
static uint16_t attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static uint64_t attr_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (attr_len(a) == sizeof(v))
		memcpy(&v, attr_data(a), sizeof(v));
	return v;
}

static uint32_t attr_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (attr_len(a) == sizeof(v))
		memcpy(&v, attr_data(a), sizeof(v));
	return v;
}

static int nl_socket(int flags)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | flags,
			NETLINK_GENERIC);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Asks for size bytes (past rmem_max/wmem_max when privileged). */
static size_t set_buf(int fd, int force, int plain, int size)
{
	int v = size;
	socklen_t len = sizeof(v);

	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, plain, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, plain, &v, &len) || v <= 0)
		return 64 * 1024;
	return (size_t)v;
}

/* ------------------------------------------------------------ family */

static void parse_groups(const struct nlattr *groups)
{
	const struct nlattr *g, *a;
	long rem, rem2;

	for_each_attr(g, attr_data(groups), attr_len(groups), rem) {
		const char *name = NULL;
		size_t nlen = 0;
		uint32_t id = 0;

		for_each_attr(a, attr_data(g), attr_len(g), rem2) {
			if (attr_type(a) == CTRL_ATTR_MCAST_GRP_NAME) {
				name = attr_data(a);
				nlen = strnlen(name, attr_len(a));
			} else if (attr_type(a) == CTRL_ATTR_MCAST_GRP_ID) {
				id = attr_u32(a);
			}
		}
		if (name && nlen == strlen(KC_MCGRP_PUBSUB) &&
		    !memcmp(name, KC_MCGRP_PUBSUB, nlen))
			knl_fam.grp_pubsub = id;
		else if (name && nlen == strlen(KC_MCGRP_KEYSPACE) &&
			 !memcmp(name, KC_MCGRP_KEYSPACE, nlen))
			knl_fam.grp_keyspace = id;
	}
}

int knl_resolve(void)
{
	char req[128], rep[8192];
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN;
	int fd = nl_socket(0), err = -EBADMSG;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (fd < 0)
		return fd;
	len += put_attr(req + len, CTRL_ATTR_FAMILY_NAME, KC_GENL_NAME,
			sizeof(KC_GENL_NAME));
	put_hdr(req, len, GENL_ID_CTRL, NLM_F_REQUEST, 1, CTRL_CMD_GETFAMILY,
		2);
	if (sendto(fd, req, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, rep, sizeof(rep), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	if ((size_t)n >= NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
		const struct nlmsghdr *h = (const void *)rep;
		const struct nlattr *a;
		long rem;

		if (h->nlmsg_len > (size_t)n)
			goto out;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			err = e->error ? e->error : -EBADMSG;
			goto out;
		}
		for_each_attr(a, rep + NLMSG_HDRLEN + GENL_HDRLEN,
			      h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, rem) {
			if (attr_type(a) == CTRL_ATTR_FAMILY_ID &&
			    attr_len(a) == sizeof(uint16_t))
				memcpy(&knl_fam.id, attr_data(a),
				       sizeof(uint16_t));
			else if (attr_type(a) == CTRL_ATTR_MCAST_GROUPS)
				parse_groups(a);
		}
		err = knl_fam.id ? 0 : -EBADMSG;
	}
out:
	close(fd);
	return err;
}

/* ------------------------------------------------------------ socket */

int knl_open(struct knl *k, bool ops)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = IO_TIMEOUT };
	int one = 1;

	memset(k, 0, sizeof(*k));
	k->fd = nl_socket(0);
	if (k->fd < 0)
		return k->fd;
	if (connect(k->fd, (struct sockaddr *)&to, sizeof(to)))
		goto fail;
	/* Errors without the request echoed back: they stay small. */
	setsockopt(k->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(k->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	k->seq = 1;
	if (!ops)
		return 0;
	k->rcvbuf = set_buf(k->fd, SO_RCVBUFFORCE, SO_RCVBUF, SOCK_BUF);
	k->sndbuf = set_buf(k->fd, SO_SNDBUFFORCE, SO_SNDBUF, SOCK_BUF);
	k->rx = malloc((size_t)RX_SLOTS * RX_SLOT);
	if (!k->rx) {
		errno = ENOMEM;
		goto fail;
	}
	return 0;
fail:
	one = -errno;
	knl_close(k);
	return one;
}

void knl_close(struct knl *k)
{
	if (k->fd > 0)
		close(k->fd);
	free(k->tx);
	free(k->rx);
	free(k->got);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

/* ------------------------------------------------------------ ops */

/* Bytes of op's KC_CMD_OP request, or 0 when netlink cannot carry it. */
static size_t op_msg_size(const struct knl *k, const struct kc_op *op)
{
	const struct kc_buf *args = (const void *)(uintptr_t)op->args;
	size_t n = NLMSG_HDRLEN + GENL_HDRLEN + attr_size(sizeof(uint32_t));
	uint32_t i;

	if (op->val_len > KC_NL_VALUE_MAX || op->key_len > KC_NL_VALUE_MAX)
		return 0;
	if (op->flags)
		n += attr_size(sizeof(uint32_t));
	if (op->key_len)
		n += attr_size(op->key_len);
	if (op->val)
		n += attr_size(op->val_len);
	n += (!!op->num + !!op->num2 + !!op->expire + !!op->cas) *
	     attr_size(sizeof(uint64_t));
	if (op->client_flags)
		n += attr_size(sizeof(uint32_t));
	if (op->db)
		n += attr_size(sizeof(uint32_t));
	for (i = 0; i < op->nargs; i++) {
		if (args[i].len > KC_NL_VALUE_MAX)
			return 0;
		n += attr_size(args[i].len);
	}
	/* netlink_sendmsg() refuses more than sndbuf - 32 bytes. */
	if (n > UINT32_MAX || n + 64 > k->sndbuf)
		return 0;
	return n;
}

static void put_op(char *p, size_t len, uint32_t seq, const struct kc_op *op)
{
	const struct kc_buf *args = (const void *)(uintptr_t)op->args;
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	uint32_t i;

	put_hdr(p, len, knl_fam.id, NLM_F_REQUEST, seq, KC_CMD_OP,
		KC_GENL_VERSION);
	off += put_u32(p + off, KC_A_OPCODE, op->opcode);
	if (op->flags)
		off += put_u32(p + off, KC_A_FLAGS, op->flags);
	if (op->key_len)
		off += put_attr(p + off, KC_A_KEY,
				(const void *)(uintptr_t)op->key, op->key_len);
	if (op->val)
		off += put_attr(p + off, KC_A_VALUE,
				(const void *)(uintptr_t)op->val, op->val_len);
	if (op->num)
		off += put_u64(p + off, KC_A_NUM, (uint64_t)op->num);
	if (op->num2)
		off += put_u64(p + off, KC_A_NUM2, (uint64_t)op->num2);
	if (op->expire)
		off += put_u64(p + off, KC_A_EXPIRE, (uint64_t)op->expire);
	if (op->cas)
		off += put_u64(p + off, KC_A_CAS, op->cas);
	if (op->client_flags)
		off += put_u32(p + off, KC_A_CLIENT_FLAGS, op->client_flags);
	/* Database 0 without it: what a module that predates KC_A_DB knows. */
	if (op->db)
		off += put_u32(p + off, KC_A_DB, op->db);
	for (i = 0; i < op->nargs; i++)
		off += put_attr(p + off, KC_A_ARG,
				(const void *)(uintptr_t)args[i].ptr,
				args[i].len);
}

/*
 * What op's reply may cost in the receive queue (skb truesize): the
 * kernel sizes it as the payload and a half, in a power-of-two buffer.
 */
static size_t reply_cost(const struct kc_op *op)
{
	size_t data = op->out_len < KC_NL_VALUE_MAX ? op->out_len :
						     KC_NL_VALUE_MAX;
	size_t sz = 1024;

	if (!data)
		return REPLY_SMALL;
	while (sz < data + data / 2 + 1024)
		sz <<= 1;
	return sz + REPLY_SMALL;
}

static bool tx_room(struct knl *k, size_t need)
{
	char *p;

	if (need <= k->tx_cap)
		return true;
	p = realloc(k->tx, need);
	if (!p)
		return false;
	k->tx = p;
	k->tx_cap = need;
	return true;
}

/* Copies a KC_CMD_OP reply's attributes into op, as the ioctl fills it. */
static void fill_op(struct kc_op *op, const char *attrs, size_t len)
{
	char *out = (char *)(uintptr_t)op->out;
	size_t need = 0;
	const struct nlattr *a, *e;
	long rem, rem2;

	for_each_attr(a, attrs, len, rem) {
		switch (attr_type(a)) {
		case KC_A_NUM:
			op->num = (int64_t)attr_u64(a);
			break;
		case KC_A_CAS:
			op->cas = attr_u64(a);
			break;
		case KC_A_EXPIRE:
			op->expire = (int64_t)attr_u64(a);
			break;
		case KC_A_CLIENT_FLAGS:
			op->client_flags = attr_u32(a);
			break;
		case KC_A_META:
			op->meta = attr_u32(a);
			break;
		case KC_A_VALUE:
			if (attr_len(a) <= op->out_len)
				memcpy(out, attr_data(a), attr_len(a));
			need = attr_len(a);
			break;
		case KC_A_ELEM: {
			struct kc_elem rec = { 0, 0 };
			const void *data = NULL;
			size_t sz;

			for_each_attr(e, attr_data(a), attr_len(a), rem2) {
				if (attr_type(e) == KC_ELEM_A_VALUE) {
					data = attr_data(e);
					rec.len = (uint32_t)attr_len(e);
				} else if (attr_type(e) == KC_ELEM_A_NIL) {
					rec.flags = KC_ELEM_NIL;
				}
			}
			sz = KC_ELEM_SIZE(rec.len);
			if (need + sz <= op->out_len) {
				memcpy(out + need, &rec, sizeof(rec));
				if (rec.len)
					memcpy(out + need + sizeof(rec), data,
					       rec.len);
				memset(out + need + sizeof(rec) + rec.len, 0,
				       sz - sizeof(rec) - rec.len);
			}
			need += sz;
			break;
		}
		default:
			break;
		}
	}
	op->out_used = (uint32_t)need;
	op->result = need > op->out_len ? -ENOSPC : 0;
}

/* One received datagram: the replies in it, by sequence number. */
static void take_reply(struct knl *k, struct kc_op *ops, uint32_t from,
		       uint32_t count, uint32_t base, const char *p,
		       size_t len, bool trunc, uint32_t *waiting)
{
	while (len >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h = (const void *)p;
		size_t hlen = h->nlmsg_len;
		uint32_t i = h->nlmsg_seq - base;
		struct kc_op *op;

		if (hlen < NLMSG_HDRLEN || (hlen > len && !trunc))
			return;
		if (i >= count || k->got[i] != 1)
			goto next;
		op = &ops[from + i];
		k->got[i] = 2;
		(*waiting)--;
		if (trunc && hlen > len) {
			op->result = -EMSGSIZE;
			return;
		}
		if (h->nlmsg_type == NLMSG_ERROR &&
		    hlen >= NLMSG_HDRLEN + sizeof(int)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			op->result = e->error;
		} else if (h->nlmsg_type == knl_fam.id &&
			   hlen >= NLMSG_HDRLEN + GENL_HDRLEN) {
			fill_op(op, p + NLMSG_HDRLEN + GENL_HDRLEN,
				hlen - NLMSG_HDRLEN - GENL_HDRLEN);
		} else {
			op->result = -EBADMSG;
		}
next:
		if (NLMSG_ALIGN(hlen) >= len)
			return;
		p += NLMSG_ALIGN(hlen);
		len -= NLMSG_ALIGN(hlen);
	}
}

/* Sends ops[from, from + count) (those marked 1) and collects replies. */
static void run_window(struct knl *k, struct kc_op *ops, uint32_t from,
		       uint32_t count, size_t txlen, uint32_t waiting)
{
	struct mmsghdr mm[RX_SLOTS];
	struct iovec iov[RX_SLOTS];
	uint32_t base = k->seq, i;
	ssize_t n;
	int r, j;

	k->seq += count;
	do {
		n = send(k->fd, k->tx, txlen, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = -errno;

		for (i = 0; i < count; i++)
			if (k->got[i] == 1)
				ops[from + i].result = err;
		return;
	}
	while (waiting) {
		unsigned int want = waiting < RX_SLOTS ? waiting : RX_SLOTS;

		for (j = 0; j < (int)want; j++) {
			iov[j].iov_base = k->rx + (size_t)j * RX_SLOT;
			iov[j].iov_len = RX_SLOT;
			memset(&mm[j], 0, sizeof(mm[j]));
			mm[j].msg_hdr.msg_iov = &iov[j];
			mm[j].msg_hdr.msg_iovlen = 1;
		}
		r = recvmmsg(k->fd, mm, want, MSG_DONTWAIT, NULL);
		if (r < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;	/* ENOBUFS: replies lost */
			break;
		}
		for (j = 0; j < r; j++)
			take_reply(k, ops, from, count, base, iov[j].iov_base,
				   mm[j].msg_len,
				   mm[j].msg_hdr.msg_flags & MSG_TRUNC,
				   &waiting);
	}
	for (i = 0; i < count; i++)
		if (k->got[i] == 1)
			ops[from + i].result = -ENOBUFS;
}

void knl_run(struct knl *k, struct kc_op *ops, uint32_t n)
{
	size_t rx_budget = k->rcvbuf > 8192 ? k->rcvbuf - 4096 : 4096;
	uint32_t i = 0;

	if (k->got_cap < n) {
		unsigned char *g = realloc(k->got, n);

		if (!g) {
			for (i = 0; i < n; i++)
				ops[i].result = -ENOMEM;
			return;
		}
		k->got = g;
		k->got_cap = n;
	}
	while (i < n) {
		uint32_t from = i, waiting = 0;
		size_t txlen = 0, rx = 0;

		for (; i < n; i++) {
			struct kc_op *op = &ops[i];
			size_t sz = op_msg_size(k, op), cost = reply_cost(op);

			k->got[i - from] = 0;
			if (!sz) {
				op->result = -EMSGSIZE;
				continue;
			}
			if (waiting && (txlen + sz + 64 > k->sndbuf ||
					rx + cost > rx_budget))
				break;
			if (!tx_room(k, txlen + sz)) {
				op->result = -ENOMEM;
				continue;
			}
			op->result = 0;
			op->out_used = 0;
			put_op(k->tx + txlen, sz, k->seq + (i - from), op);
			k->got[i - from] = 1;
			txlen += sz;
			rx += cost;
			waiting++;
		}
		if (waiting)
			run_window(k, ops, from, i - from, txlen, waiting);
	}
}

int knl_publish(struct knl *k, const void *ch, size_t chlen, const void *msg,
		size_t mlen)
{
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN + attr_size(chlen) +
		     attr_size(mlen);
	uint32_t seq = k->seq++;
	char rep[1024];
	char *p;
	int err;

	if (!chlen || chlen > KC_CHANNEL_MAX || mlen > KC_NL_VALUE_MAX)
		return -EMSGSIZE;
	p = malloc(len);
	if (!p)
		return -ENOMEM;
	put_hdr(p, len, knl_fam.id, NLM_F_REQUEST | NLM_F_ACK, seq,
		KC_CMD_PUBLISH, KC_GENL_VERSION);
	len = NLMSG_HDRLEN + GENL_HDRLEN;
	len += put_attr(p + len, KC_A_CHANNEL, ch, chlen);
	len += put_attr(p + len, KC_A_MESSAGE, msg, mlen);
	err = send(k->fd, p, len, 0) < 0 ? -errno : 0;
	free(p);
	while (!err) {
		ssize_t n = recv(k->fd, rep, sizeof(rep), MSG_TRUNC);
		const struct nlmsghdr *h = (const void *)rep;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if ((size_t)n < NLMSG_HDRLEN + sizeof(int) ||
		    h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR)
			continue;	/* not ours */
		return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
	return err;
}

/* ------------------------------------------------------------ pubsub */

int knl_sub_open(void)
{
	int fd = nl_socket(SOCK_NONBLOCK);

	if (fd >= 0)
		set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, SUB_BUF);
	return fd;
}

static int group_join(int fd, uint32_t grp, bool join)
{
	if (!grp)
		return -ENOENT;
	if (setsockopt(fd, SOL_NETLINK, join ? NETLINK_ADD_MEMBERSHIP :
			NETLINK_DROP_MEMBERSHIP, &grp, sizeof(grp)))
		return -errno;
	return 0;
}

int knl_sub_join(int fd, bool join)
{
	return group_join(fd, knl_fam.grp_pubsub, join);
}

int knl_keyspace_join(int fd, bool join)
{
	return group_join(fd, knl_fam.grp_keyspace, join);
}

/*
 * The next message of our family with command cmd: 1 with its attributes
 * in *attrs, *alen; 0 when nothing is queued; -errno (-ENOBUFS: messages
 * were lost, *drops the count so far if known).
 */
static int recv_cmd(int fd, char *buf, uint8_t cmd, const char **attrs,
		    size_t *alen, uint64_t *drops)
{
	for (;;) {
		ssize_t n = recv(fd, buf, KNL_SUB_BUF, MSG_TRUNC);
		const struct nlmsghdr *h = (const void *)buf;
		const struct genlmsghdr *g;

		if (n < 0) {
			int err = errno;

			if (err == EAGAIN || err == EWOULDBLOCK)
				return 0;
			if (err == EINTR)
				continue;
			if (err == ENOBUFS && drops) {
				uint32_t mi[SK_MEMINFO_VARS] = { 0 };
				socklen_t len = sizeof(mi);

				*drops = 0;
				if (!getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi,
						&len) &&
				    len > SK_MEMINFO_DROPS * sizeof(mi[0]))
					*drops = mi[SK_MEMINFO_DROPS];
			}
			return -err;
		}
		if ((size_t)n > KNL_SUB_BUF ||
		    (size_t)n < NLMSG_HDRLEN + GENL_HDRLEN ||
		    h->nlmsg_len > (size_t)n || h->nlmsg_type != knl_fam.id ||
		    h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
			continue;
		g = NLMSG_DATA(h);
		if (g->cmd != cmd)
			continue;
		*attrs = buf + NLMSG_HDRLEN + GENL_HDRLEN;
		*alen = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
		return 1;
	}
}

int knl_sub_recv(int fd, char *buf, struct knl_msg *m, uint64_t *drops)
{
	for (;;) {
		const struct nlattr *a;
		const char *attrs;
		size_t alen;
		long rem;
		int r = recv_cmd(fd, buf, KC_CMD_MESSAGE, &attrs, &alen, drops);

		if (r <= 0)
			return r;
		memset(m, 0, sizeof(*m));
		m->msg = "";
		for_each_attr(a, attrs, alen, rem) {
			if (attr_type(a) == KC_A_CHANNEL) {
				m->ch = attr_data(a);
				m->chlen = attr_len(a);
			} else if (attr_type(a) == KC_A_MESSAGE) {
				m->msg = attr_data(a);
				m->mlen = attr_len(a);
			}
		}
		if (m->ch)
			return 1;
	}
}

int knl_event_recv(int fd, char *buf, struct knl_event *ev, uint64_t *drops)
{
	for (;;) {
		const struct nlattr *a;
		const char *attrs;
		size_t alen;
		long rem;
		int r = recv_cmd(fd, buf, KC_CMD_EVENT, &attrs, &alen, drops);

		if (r <= 0)
			return r;
		memset(ev, 0, sizeof(*ev));
		ev->db = -1;
		for_each_attr(a, attrs, alen, rem) {
			if (attr_type(a) == KC_A_EVENT) {
				ev->event = attr_u32(a);
			} else if (attr_type(a) == KC_A_DB &&
				   attr_len(a) == sizeof(uint32_t)) {
				ev->db = (int32_t)attr_u32(a);
			} else if (attr_type(a) == KC_A_KEY) {
				ev->key = attr_data(a);
				ev->klen = attr_len(a);
			}
		}
		if (ev->event)
			return 1;
	}
}
