/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kcache generic netlink family from the proxy: resolving it and
 * running kc_ops over KC_CMD_OP (--transport netlink).  Messages are built
 * and parsed by hand, without libnl: the proxy needs two commands and full
 * control of the batching.
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
};
extern struct knl_family knl_fam;

int knl_resolve(void);

/* A worker's request socket for KC_CMD_OP. */
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

#endif /* KCP_KNL_H */
