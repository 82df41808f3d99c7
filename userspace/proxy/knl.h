/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kcache generic netlink family from the proxy: resolving it, running
 * kc_ops over KC_CMD_OP (--transport netlink), PUBLISH, and the pubsub
 * and keyspace multicast groups.  Messages are built and parsed by hand, without libnl:
 * the proxy needs four commands and full control of the batching.
 *
 * Functions return 0 or a negative errno.  Nothing here is shared between
 * threads except knl_fam, written once before the workers start.
 */
#ifndef KCP_KNL_H
#define KCP_KNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kcache.h>

/* The family, resolved once at start (knl_resolve()). */
struct knl_family {
	uint16_t id;		/* 0: not resolved */
	uint32_t grp_pubsub;	/* 0: no such group */
	uint32_t grp_keyspace;	/* the kernel's keyspace events; 0: none */
};
extern struct knl_family knl_fam;

int knl_resolve(void);

/* A worker's request socket: KC_CMD_OP and KC_CMD_PUBLISH. */
struct knl {
	int fd;
	uint32_t seq;
	size_t rcvbuf;		/* what the kernel lets replies queue */
	size_t sndbuf;		/* the largest request burst */
	char *tx;		/* requests of one window */
	size_t tx_cap;
	char *rx;		/* reply slots for recvmmsg() */
	unsigned char *got;	/* replies seen, per op of the window */
	size_t got_cap;
};

/* Opens the socket; with ops, also the buffers of the op transport. */
int knl_open(struct knl *k, bool ops);
void knl_close(struct knl *k);

/*
 * Runs ops[0..n) in order over KC_CMD_OP, as many per sendmsg() as the
 * socket buffers safely hold, and fills each op as KC_IOC_BATCH would:
 * result, num, cas, expire, client_flags, and the value or kc_elem
 * records copied into op->out (-ENOSPC and out_used when they do not
 * fit).  An op that netlink cannot carry (a value or argument over
 * KC_NL_VALUE_MAX, a request over the socket's send buffer) gets
 * -EMSGSIZE without being sent; so does one whose reply is larger than
 * netlink carries (the kernel's answer).  A reply that never came (the
 * receive buffer overran) leaves -ENOBUFS.
 */
void knl_run(struct knl *k, struct kc_op *ops, uint32_t n);

/* KC_CMD_PUBLISH; channel 1..KC_CHANNEL_MAX, message <= KC_NL_VALUE_MAX. */
int knl_publish(struct knl *k, const void *ch, size_t chlen, const void *msg,
		size_t mlen);

/* The pubsub group: a non-blocking socket of its own. */
int knl_sub_open(void);			/* fd, or -errno */
int knl_sub_join(int fd, bool join);	/* NETLINK_ADD/DROP_MEMBERSHIP */

struct knl_msg {
	const char *ch, *msg;
	size_t chlen, mlen;
};

/*
 * Reads the next message into buf (KNL_SUB_BUF bytes).  Returns 1 with
 * *m set, 0 when nothing is queued, -ENOBUFS after an overrun (messages
 * were lost; *drops, if known, is how many so far in total) and other
 * -errnos on failure.  Other multicast traffic is skipped.
 */
#define KNL_SUB_BUF	(KC_NL_VALUE_MAX + KC_CHANNEL_MAX + 1024)
int knl_sub_recv(int fd, char *buf, struct knl_msg *m, uint64_t *drops);

/*
 * The keyspace group (KC_CMD_EVENT, needs CAP_NET_ADMIN to join), on a
 * socket of knl_sub_open().  knl_event_recv() reads as knl_sub_recv()
 * does, into buf (KNL_SUB_BUF bytes); db is -1 when the event has none.
 */
struct knl_event {
	uint32_t event;		/* enum kc_event */
	int32_t db;
	const char *key;	/* NULL for KC_EVENT_FLUSH */
	size_t klen;
};

int knl_keyspace_join(int fd, bool join);
int knl_event_recv(int fd, char *buf, struct knl_event *ev, uint64_t *drops);

#endif /* KCP_KNL_H */
