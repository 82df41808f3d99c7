/* SPDX-License-Identifier: GPL-2.0 */
/* kcache-proxy: listening sockets and worker threads (server.c). */
#ifndef KCP_SERVER_H
#define KCP_SERVER_H

#include <pthread.h>

#include "conn.h"

/* What an epoll event's data points to: the first int of each source. */
enum { SRC_LISTEN = 1, SRC_CONN, SRC_WAKE, SRC_PUBSUB, SRC_KWAIT,
       SRC_KEYSPACE };

int server_listen_tcp(const char *addr, int port);
int server_listen_unix(const char *path);
/* Sets up a worker: its kcache fd, engine, epoll, TCP listeners and the
 * shared unix listeners ufd[0..nu) (kinds in ukind).
 */
int server_worker_init(struct worker *w, int id, const int *ufd,
		       const int *ukind, int nu);
int server_worker_start(struct worker *w, pthread_t *t);
/* Asks every worker to stop accepting, finish replies and return. */
void server_stop(struct worker *ws, int n);
void server_worker_exit(struct worker *w, int nu);
/*
 * Output was added to c outside its own request (a pub/sub message):
 * writes what it can, or drops c past --max-output-buffer.
 */
void server_conn_output(struct conn *c);
uint64_t server_next_client_id(void);
/*
 * CLIENT LIST / CLIENT INFO: a line per Redis client (of every worker) that
 * f lets through (all when f is NULL), Redis 7.0's fields; me is the
 * client asking (its command's arguments are in argv-mem).
 */
struct client_filter {
	const struct conn *only;	/* CLIENT INFO */
	const uint64_t *ids;		/* CLIENT LIST ID: one of these */
	size_t nids;
	int type;			/* CLIENT LIST TYPE: CT_* or -1 */
};
enum { CT_NORMAL, CT_PUBSUB, CT_OTHER };	/* master, replica: none here */
long server_client_list(struct buf *o, const struct conn *me,
			const struct client_filter *f);
struct conn *server_worker_conns(void);
/*
 * Calls fn on each Redis client of every worker (not the closed or killed
 * ones), each worker's table under its lock; the caller's own lock is
 * dropped meanwhile.  Only a worker thread calls it.
 */
void server_clients_each(void (*fn)(struct conn *t, void *arg), void *arg);
/*
 * CLIENT KILL of t (not the caller), from fn above: t leaves the counters
 * and CLIENT LIST now, its own worker shuts it down and closes it.
 */
void server_client_kill(struct conn *t);
/* Wakes worker w to retry its parked clients (any thread). */
void server_worker_kick(struct worker *w);
/* A parked connection was answered: runs the input it sent meanwhile. */
void server_conn_resume(struct conn *c);
/* Closes c once its pending replies are written (QUIT, quit). */
void conn_close_after_reply(struct conn *c);

#endif /* KCP_SERVER_H */
