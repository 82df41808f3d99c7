/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The raw generic netlink client of the kcache selftests (the netlink,
 * CLI, permission, stress and fault injection tests and the netlink
 * fuzzer): messages are built byte by byte, so a test can send exactly the
 * malformed input it means to (duplicates, wrong lengths, lying nla_len,
 * truncation) and read the kernel's extended ACK.  No libnl: it would
 * refuse to build some of them.
 *
 *  - kn_open() gives a socket with the kcache family resolved (kn->family,
 *    kn->grp_*); kn_socket() only the socket, kn_family_get() the family
 *    on it (-ENOENT while the module is not loaded);
 *  - a message grows on the heap (kn_msg_init(), freed by kn_request() or
 *    kn_msg_free()) or lives in the caller's buffer (kn_msg_init_buf(),
 *    any header, -EMSGSIZE when full), attribute by attribute;
 *  - kn_request() sends and receives until the ACK; kn_send() and
 *    kn_recv() do the two halves, kn_recv() with a time limit;
 *  - kn_recv_mc() reads multicast notifications.
 *
 * Functions return 0 or a negative errno.  After a request, kn->ext holds
 * the extack message ("" if none), kn->bad_off the offset of the attribute
 * the kernel blamed (0 if none), kn->miss_type a missing attribute's
 * type (-1 if none) and kn->intr whether a dump was interrupted.
 */
#ifndef KC_NL_H
#define KC_NL_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/kcache.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

struct kn {
	int fd;
	uint16_t family;
	uint32_t seq;
	uint32_t grp_pubsub;
	uint32_t grp_keyspace;
	char ext[512];
	uint32_t bad_off;
	int miss_type;
	bool intr;		/* the last dump had NLM_F_DUMP_INTR */
	unsigned char *buf;	/* receive buffer */
	size_t cap;
};

struct kn_msg {
	unsigned char *buf;
	size_t len;
	size_t cap;
	size_t nest[8];
	int depth;
	bool fixed;		/* the caller's buffer: never grown or freed */
};

#define KN_ALIGN(n)	(((n) + 3) & ~(size_t)3)

static inline struct nlmsghdr *kn_hdr(struct kn_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static inline int kn_grow(struct kn_msg *m, size_t more)
{
	size_t need = m->len + KN_ALIGN(more);

	if (m->fixed)
		return need > m->cap ? -EMSGSIZE : 0;
	if (need > m->cap) {
		size_t cap = m->cap ? m->cap : 256;
		unsigned char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(m->buf, cap);
		if (!p)
			return -ENOMEM;
		memset(p + m->cap, 0, cap - m->cap);
		m->buf = p;
		m->cap = cap;
	}
	return 0;
}

static inline void kn_msg_free(struct kn_msg *m)
{
	if (!m->fixed)
		free(m->buf);
	memset(m, 0, sizeof(*m));
}

/* Starts a request: nlmsghdr + genlmsghdr.  flags: NLM_F_DUMP etc. */
static inline int kn_msg_init(struct kn_msg *m, uint16_t family, uint8_t cmd,
			      uint16_t flags)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	if (kn_grow(m, NLMSG_HDRLEN + GENL_HDRLEN))
		return -ENOMEM;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	kn_hdr(m)->nlmsg_type = family;
	kn_hdr(m)->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = KC_GENL_VERSION;
	return 0;
}

/*
 * A message in the caller's cap bytes at buf, with the header as given:
 * any type, flags (NLM_F_REQUEST and NLM_F_ACK are not added), command and
 * version.  kn_msg_free() is not needed.
 */
static inline void kn_msg_init_buf(struct kn_msg *m, void *buf, size_t cap,
				   uint16_t type, uint16_t flags, uint8_t cmd,
				   uint8_t version)
{
	struct genlmsghdr *g;

	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->cap = cap;
	m->fixed = true;
	memset(buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	kn_hdr(m)->nlmsg_type = type;
	kn_hdr(m)->nlmsg_flags = flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = version;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/*
 * Appends an attribute of len bytes of payload with nla_len = hdr_len
 * (a fuzzer may lie), zero padding after it.
 */
static inline int kn_put_raw(struct kn_msg *m, uint16_t type,
			     uint16_t hdr_len, const void *data, size_t len)
{
	struct nlattr *a;

	if (kn_grow(m, NLA_HDRLEN + len))
		return -EMSGSIZE;
	a = (struct nlattr *)(m->buf + m->len);
	a->nla_type = type;
	a->nla_len = hdr_len;
	if (len)
		memcpy(a + 1, data, len);
	memset((unsigned char *)(a + 1) + len, 0,
	       KN_ALIGN(NLA_HDRLEN + len) - NLA_HDRLEN - len);
	m->len += KN_ALIGN(NLA_HDRLEN + len);
	return 0;
}

/* Appends an attribute with len bytes of payload (nla_len = 4 + len). */
static inline int kn_put(struct kn_msg *m, uint16_t type, const void *data,
			 size_t len)
{
	if (len > 0xffff - NLA_HDRLEN)
		return -EMSGSIZE;
	return kn_put_raw(m, type, NLA_HDRLEN + len, data, len);
}

static inline int kn_put_u32(struct kn_msg *m, uint16_t type, uint32_t v)
{
	return kn_put(m, type, &v, sizeof(v));
}

static inline int kn_put_u64(struct kn_msg *m, uint16_t type, uint64_t v)
{
	return kn_put(m, type, &v, sizeof(v));
}

static inline int kn_put_str(struct kn_msg *m, uint16_t type, const char *s)
{
	return kn_put(m, type, s, strlen(s));
}

static inline int kn_nest_start(struct kn_msg *m, uint16_t type)
{
	if (m->depth >= 8 || kn_put(m, type | NLA_F_NESTED, NULL, 0))
		return -EMSGSIZE;
	m->nest[m->depth++] = m->len - NLA_HDRLEN;
	return 0;
}

static inline void kn_nest_end(struct kn_msg *m)
{
	struct nlattr *a;

	if (!m->depth)
		return;
	a = (struct nlattr *)(m->buf + m->nest[--m->depth]);
	a->nla_len = (uint16_t)(m->len - m->nest[m->depth]);
}

/* Attribute walking over a payload. */
#define kn_for_each_attr(a, head, len, rem)				\
	for ((a) = (struct nlattr *)(head), (rem) = (int)(len);		\
	     (rem) >= NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN &&	\
	     (a)->nla_len <= (rem);					\
	     (rem) -= KN_ALIGN((a)->nla_len),				\
	     (a) = (struct nlattr *)((char *)(a) + KN_ALIGN((a)->nla_len)))

static inline void *kn_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static inline int kn_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline uint32_t kn_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	memcpy(&v, kn_data(a), kn_len(a) < 4 ? kn_len(a) : 4);
	return v;
}

static inline uint64_t kn_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	memcpy(&v, kn_data(a), kn_len(a) < 8 ? kn_len(a) : 8);
	return v;
}

/* Fills tb[0..max] with the last attribute of each type (NULL if none). */
static inline void kn_parse(const void *head, int len, struct nlattr **tb,
			    int max)
{
	struct nlattr *a;
	int rem;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	kn_for_each_attr(a, head, len, rem) {
		int t = a->nla_type & NLA_TYPE_MASK;

		if (t <= max)
			tb[t] = a;
	}
}

/* The attributes of a generic netlink message. */
static inline void *kn_genl_attrs(const struct nlmsghdr *nlh, int *len)
{
	*len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN;
}

static inline uint8_t kn_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
}

/*
 * Checks the layout of a message's attributes, recursively for nests the
 * kernel builds: lengths inside the message and the padding after every
 * attribute zero.  Returns 0 or -EBADMSG.
 */
static inline int kn_attrs_sane(const void *head, int len, int depth)
{
	const struct nlattr *a;
	int rem;

	kn_for_each_attr(a, head, len, rem) {
		size_t pad = KN_ALIGN(a->nla_len) - a->nla_len;
		const unsigned char *p = (const unsigned char *)a + a->nla_len;
		size_t i;

		if ((int)KN_ALIGN(a->nla_len) <= rem)
			for (i = 0; i < pad; i++)
				if (p[i])
					return -EBADMSG;
		if ((a->nla_type & NLA_F_NESTED) && depth < 4 &&
		    kn_attrs_sane(a + 1, a->nla_len - NLA_HDRLEN, depth + 1))
			return -EBADMSG;
	}
	/* A reply's lengths cover every attribute and its padding. */
	return rem ? -EBADMSG : 0;
}

/*
 * Called for every non-control message of a reply: a negative return
 * ends the receive with that value, a positive one stops the calls (the
 * reply is still read to its end).
 */
typedef int (*kn_cb)(const struct nlmsghdr *nlh, void *arg);

static inline void kn_ack_tlvs(struct kn *kn, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (off >= nlh->nlmsg_len)
		return;
	kn_parse((const char *)nlh + off, nlh->nlmsg_len - off, tb,
		 NLMSGERR_ATTR_MAX);
	if (tb[NLMSGERR_ATTR_MSG]) {
		int n = kn_len(tb[NLMSGERR_ATTR_MSG]);

		if (n >= (int)sizeof(kn->ext))
			n = sizeof(kn->ext) - 1;
		memcpy(kn->ext, kn_data(tb[NLMSGERR_ATTR_MSG]), n);
		kn->ext[n] = '\0';
	}
	if (tb[NLMSGERR_ATTR_OFFS])
		kn->bad_off = kn_u32(tb[NLMSGERR_ATTR_OFFS]);
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		kn->miss_type = (int)kn_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
}

/* Receives one datagram into kn->buf, grown to fit: its length or -errno. */
static inline ssize_t kn_recv1(struct kn *kn, int flags)
{
	ssize_t n = recv(kn->fd, NULL, 0, MSG_PEEK | MSG_TRUNC | flags);

	if (n < 0)
		return -errno;
	if ((size_t)n > kn->cap) {
		unsigned char *p = realloc(kn->buf, n);

		if (!p)
			return -ENOMEM;
		kn->buf = p;
		kn->cap = n;
	}
	n = recv(kn->fd, kn->buf, kn->cap, flags);
	return n < 0 ? -errno : n;
}

/*
 * Receives the reply to the last request: every message with its seq goes
 * to cb until NLMSG_ERROR (the ACK, or an error) or NLMSG_DONE.  Returns
 * the request's error (0 or -errno), -ETIMEDOUT after timeout_ms (< 0: no
 * limit) with nothing to read, a recv() error (-ENOBUFS: the socket
 * overran), or what cb returned to end it.
 */
static inline int kn_recv(struct kn *kn, int timeout_ms, kn_cb cb, void *arg)
{
	kn->ext[0] = '\0';
	kn->bad_off = 0;
	kn->miss_type = -1;
	kn->intr = false;
	for (;;) {
		struct pollfd p = { .fd = kn->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int rem;

		if (poll(&p, 1, timeout_ms) == 0)
			return -ETIMEDOUT;
		n = kn_recv1(kn, MSG_DONTWAIT);
		if (n == -EAGAIN || n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)kn->buf; NLMSG_OK(nlh, rem);
		     nlh = NLMSG_NEXT(nlh, rem)) {
			if (nlh->nlmsg_seq != kn->seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				kn->intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				kn_ack_tlvs(kn, nlh);
				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
				if (err < 0)
					kn_ack_tlvs(kn, nlh);
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

/* Sends m with a new seq and nlmsg_len as the caller set it. */
static inline int kn_send_as_is(struct kn *kn, struct kn_msg *m)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	kn_hdr(m)->nlmsg_seq = ++kn->seq;
	if (sendto(kn->fd, m->buf, m->len, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* Sends m with a new seq and nlmsg_len = its length. */
static inline int kn_send(struct kn *kn, struct kn_msg *m)
{
	kn_hdr(m)->nlmsg_len = m->len;
	return kn_send_as_is(kn, m);
}

/* Sends m (and frees it), then receives the reply. */
static inline int kn_request(struct kn *kn, struct kn_msg *m, kn_cb cb,
			     void *arg)
{
	int err = kn_send(kn, m);

	kn_msg_free(m);
	if (err)
		return err;
	return kn_recv(kn, -1, cb, arg);
}

static inline void kn_close(struct kn *kn)
{
	if (kn->fd >= 0)
		close(kn->fd);
	kn->fd = -1;
	free(kn->buf);
	kn->buf = NULL;
	kn->cap = 0;
}

/* Resolving the family and its groups through nlctrl. */
struct kn_family {
	uint16_t id;
	uint32_t pubsub;
	uint32_t keyspace;
};

static inline int kn_family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *g;
	struct kn_family *f = arg;
	int len, rem;
	void *head = kn_genl_attrs(nlh, &len);

	kn_parse(head, len, tb, CTRL_ATTR_MAX);
	if (tb[CTRL_ATTR_FAMILY_ID])
		f->id = (uint16_t)kn_u32(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	kn_for_each_attr(g, kn_data(tb[CTRL_ATTR_MCAST_GROUPS]),
			 kn_len(tb[CTRL_ATTR_MCAST_GROUPS]), rem) {
		struct nlattr *gt[CTRL_ATTR_MCAST_GRP_MAX + 1];
		const char *name;

		kn_parse(kn_data(g), kn_len(g), gt, CTRL_ATTR_MCAST_GRP_MAX);
		if (!gt[CTRL_ATTR_MCAST_GRP_NAME] || !gt[CTRL_ATTR_MCAST_GRP_ID])
			continue;
		name = kn_data(gt[CTRL_ATTR_MCAST_GRP_NAME]);
		if (!strcmp(name, KC_MCGRP_PUBSUB))
			f->pubsub = kn_u32(gt[CTRL_ATTR_MCAST_GRP_ID]);
		else if (!strcmp(name, KC_MCGRP_KEYSPACE))
			f->keyspace = kn_u32(gt[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

/*
 * A generic netlink socket with extended ACKs (capped: an error does not
 * echo a big request whole), the family not resolved.  rcvbuf: SO_RCVBUF
 * bytes, 0 for the default.
 */
static inline int kn_socket(struct kn *kn, int rcvbuf)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	int one = 1, err;

	memset(kn, 0, sizeof(*kn));
	kn->seq = (uint32_t)getpid() << 8;
	kn->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (kn->fd < 0)
		return -errno;
	if ((rcvbuf && setsockopt(kn->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    bind(kn->fd, (struct sockaddr *)&me, sizeof(me)) ||
	    setsockopt(kn->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one,
		       sizeof(one)) ||
	    setsockopt(kn->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
		       sizeof(one))) {
		err = -errno;
		kn_close(kn);
		return err;
	}
	return 0;
}

/*
 * Resolves the kcache family and its groups on an open socket: 0, or
 * -ENOENT when the family is not registered (module not loaded).
 */
static inline int kn_family_get(struct kn *kn, struct kn_family *f)
{
	struct kn_msg m;
	int err;

	memset(f, 0, sizeof(*f));
	err = kn_msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	if (!err)
		err = kn_put(&m, CTRL_ATTR_FAMILY_NAME, KC_GENL_NAME,
			     sizeof(KC_GENL_NAME));
	if (!err)
		err = kn_request(kn, &m, kn_family_cb, f);
	else
		kn_msg_free(&m);
	if (!err && !f->id)
		err = -ENOENT;
	return err;
}

/* A socket with the family resolved: kn->family and kn->grp_*. */
static inline int kn_open(struct kn *kn)
{
	struct kn_family f;
	int err = kn_socket(kn, 0);

	if (err)
		return err;
	err = kn_family_get(kn, &f);
	if (err) {
		kn_close(kn);
		return err;
	}
	kn->family = f.id;
	kn->grp_pubsub = f.pubsub;
	kn->grp_keyspace = f.keyspace;
	return 0;
}

/* Is the family registered?  1, 0, or -errno. */
static inline int kn_family_present(void)
{
	struct kn_family f;
	struct kn kn;
	int err = kn_socket(&kn, 0);

	if (err)
		return err;
	err = kn_family_get(&kn, &f);
	kn_close(&kn);
	return err == -ENOENT ? 0 : err ? err : 1;
}

/*
 * Receives one datagram of notifications (no wait with MSG_DONTWAIT) and
 * hands each message to cb.  Returns the number of messages, or -errno:
 * -ENOBUFS when the socket overran and messages were lost.
 */
static inline int kn_recv_mc(struct kn *kn, int flags, kn_cb cb, void *arg)
{
	struct nlmsghdr *nlh;
	ssize_t n = kn_recv1(kn, flags);
	int rem, count = 0;

	if (n < 0)
		return (int)n;
	rem = (int)n;
	for (nlh = (struct nlmsghdr *)kn->buf; NLMSG_OK(nlh, rem);
	     nlh = NLMSG_NEXT(nlh, rem)) {
		count++;
		if (cb)
			cb(nlh, arg);
	}
	return count;
}

/*
 * Before 6.2 the kernel gives a dump's start callback no extack
 * (netlink_dump_control had none), so rejections found there come
 * without a message; the errno is the same.
 */
static inline bool kn_dump_start_extack(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major > 6 || (major == 6 && minor >= 2);
}

static inline int kn_join(struct kn *kn, uint32_t grp)
{
	if (setsockopt(kn->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)))
		return -errno;
	return 0;
}

#endif /* KC_NL_H */
