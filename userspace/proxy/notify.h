/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Redis keyspace notifications (notify.c): CONFIG SET
 * notify-keyspace-events turns them on, and kcache-proxy then PUBLISHes
 * Redis's messages through the kcache pubsub group, so the subscribers of
 * every proxy on the cache receive them.
 *
 * Events of commands come from the proxy that ran them: the command's
 * records are tagged while it plans (notify_begin(), notify_end()), and
 * once a record's reply is written, notify.c reads from its ops what the
 * command did.  Events without a command (expired, evicted) come from
 * the kernel's keyspace group; one proxy in the network namespace, and
 * there its first worker, republishes them.
 */
#ifndef KCP_NOTIFY_H
#define KCP_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arg;
struct conn;
struct kc_op;
struct worker;

/* Redis's classes of events (notify-keyspace-events letters). */
enum {
	NF_KEYSPACE	= 1 << 0,	/* K: __keyspace@<db>__:<key> <event> */
	NF_KEYEVENT	= 1 << 1,	/* E: __keyevent@<db>__:<event> <key> */
	NF_GENERIC	= 1 << 2,	/* g: del, expire, rename_from, ... */
	NF_STRING	= 1 << 3,	/* $ */
	NF_LIST		= 1 << 4,	/* l */
	NF_SET		= 1 << 5,	/* s */
	NF_HASH		= 1 << 6,	/* h */
	NF_ZSET		= 1 << 7,	/* z */
	NF_EXPIRED	= 1 << 8,	/* x: from the kernel */
	NF_EVICTED	= 1 << 9,	/* e: from the kernel */
	NF_STREAM	= 1 << 10,	/* t: kcache has no streams */
	NF_KEYMISS	= 1 << 11,	/* m: accepted, never published */
	NF_MODULE	= 1 << 12,	/* d: kcache has no modules */
	NF_NEW		= 1 << 13,	/* n: accepted, never published */
};

/* What "A" stands for (m and n are not in it, as in Redis). */
#define NF_ALL	(NF_GENERIC | NF_STRING | NF_LIST | NF_SET | NF_HASH | \
		 NF_ZSET | NF_EXPIRED | NF_EVICTED | NF_STREAM | NF_MODULE)

/* The flags a string of letters names, or -1 for a letter Redis refuses. */
int notify_parse(const char *s, size_t len);
/* The flags as Redis's CONFIG GET writes them (16 bytes are enough). */
void notify_format(int flags, char *s, size_t n);
int notify_flags(void);
/*
 * Makes flags the proxy's (CONFIG SET): with x or e also turns on the
 * kernel's keyspace events and listens to them.  0, or -errno with *why
 * saying what is missing (the flags are then unchanged).
 */
int notify_set(struct conn *c, int flags, const char **why);

/*
 * Around the planning of one command (redis.c): its records carry a tag
 * that names its events.  NULL when nothing is to be published.
 */
const void *notify_begin(struct conn *c, const char *name,
			 const struct arg *argv, size_t argc);
void notify_end(struct conn *c, const void *tag);

/* A change made outside the engine's records (COPY, RESTORE, ...). */
void notify_key(struct conn *c, uint32_t db, int cls, const char *event,
		const void *key, size_t klen);
/* The events of a pop or move that ran with eng_do() (blocking.c, ZMPOP). */
void notify_op(struct conn *c, const struct kc_op *op, int cls);

/* The kernel's events, on the first worker (server.c). */
void notify_worker_init(struct worker *w);
void notify_worker_exit(struct worker *w);
void notify_readable(struct worker *w);
/* Once a second: takes over the kernel's events from a proxy that quit. */
void notify_tick(struct worker *w);

#endif /* KCP_NOTIFY_H */
