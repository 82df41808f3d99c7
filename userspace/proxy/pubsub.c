// SPDX-License-Identifier: GPL-2.0
/*
 * Redis pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH
 * and PUBSUB over the kcache "pubsub" netlink group (see pubsub.h).
 *
 * Three tables of named entries: a worker's channels and patterns, each
 * entry listing the worker's connections subscribed to it (used only by
 * that worker's thread), and the process-wide registry, whose entries
 * count subscriptions (under reg_lock).  A connection keeps pointers to
 * its worker's entries, in subscription order: UNSUBSCRIBE without
 * arguments answers in that order (Redis answers in its hash order).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "glob.h"
#include "knl.h"
#include "pubsub.h"
#include "redis.h"
#include "server.h"

#define DELIVER_BATCH	256	/* messages per wakeup, then other work */

struct ps_entry {
	struct ps_entry *next;	/* hash chain */
	uint64_t hash;
	long refs;		/* subscriptions to it */
	struct conn **subs;	/* a worker's: its subscribed conns */
	size_t cap;
	size_t len;
	char name[];
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ps_table reg_chan, reg_pat;	/* under reg_lock */

/* ------------------------------------------------------------ tables */

static uint64_t hash(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (len--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct ps_entry *t_find(const struct ps_table *t, const char *name,
			       size_t len, uint64_t h)
{
	struct ps_entry *e;

	if (!t->nb)
		return NULL;
	for (e = t->b[h & (t->nb - 1)]; e; e = e->next)
		if (e->hash == h && e->len == len && !memcmp(e->name, name, len))
			return e;
	return NULL;
}

static bool t_grow(struct ps_table *t)
{
	size_t nb = t->nb ? t->nb * 2 : 16, i;
	struct ps_entry **b = calloc(nb, sizeof(*b)), *e, *next;

	if (!b)
		return false;
	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	free(t->b);
	t->b = b;
	t->nb = nb;
	return true;
}

/* The entry for name, created (refs 0) if missing; NULL without memory. */
static struct ps_entry *t_get(struct ps_table *t, const char *name,
			      size_t len)
{
	uint64_t h = hash(name, len);
	struct ps_entry *e = t_find(t, name, len, h);

	if (e)
		return e;
	if (t->n >= t->nb && !t_grow(t))
		return NULL;
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->hash = h;
	e->len = len;
	memcpy(e->name, name, len);
	e->next = t->b[h & (t->nb - 1)];
	t->b[h & (t->nb - 1)] = e;
	t->n++;
	return e;
}

/* Frees e if nothing refers to it any more. */
static void t_put(struct ps_table *t, struct ps_entry *e)
{
	struct ps_entry **pp;

	if (e->refs > 0)
		return;
	for (pp = &t->b[e->hash & (t->nb - 1)]; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	t->n--;
	free(e->subs);
	free(e);
}

static void t_free(struct ps_table *t)
{
	struct ps_entry *e, *next;
	size_t i;

	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e; e = next) {
			next = e->next;
			free(e->subs);
			free(e);
		}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------ registry */

static bool reg_add(bool pattern, const char *name, size_t len)
{
	struct ps_entry *e;

	pthread_mutex_lock(&reg_lock);
	e = t_get(pattern ? &reg_pat : &reg_chan, name, len);
	if (e)
		e->refs++;
	pthread_mutex_unlock(&reg_lock);
	return e != NULL;
}

static void reg_del(bool pattern, const char *name, size_t len)
{
	struct ps_table *t = pattern ? &reg_pat : &reg_chan;
	struct ps_entry *e;

	pthread_mutex_lock(&reg_lock);
	e = t_find(t, name, len, hash(name, len));
	if (e) {
		e->refs--;
		t_put(t, e);
	}
	pthread_mutex_unlock(&reg_lock);
}

/* This proxy's clients that receive a message on ch (Redis's count). */
static long reg_receivers(const char *ch, size_t len)
{
	struct ps_entry *e;
	long n = 0;
	size_t i;

	pthread_mutex_lock(&reg_lock);
	e = t_find(&reg_chan, ch, len, hash(ch, len));
	if (e)
		n = e->refs;
	for (i = 0; i < reg_pat.nb; i++)
		for (e = reg_pat.b[i]; e; e = e->next)
			if (glob_match(e->name, e->len, ch, len))
				n += e->refs;
	pthread_mutex_unlock(&reg_lock);
	return n;
}

/* ------------------------------------------------------------ worker */

void ps_worker_init(struct ps_worker *p)
{
	memset(p, 0, sizeof(*p));
	p->src = SRC_PUBSUB;
	p->fd = -1;
}

void ps_worker_exit(struct ps_worker *p)
{
	if (p->fd >= 0)
		close(p->fd);
	t_free(&p->chan);
	t_free(&p->pat);
	free(p->rx);
	free(p->touched);
	p->fd = -1;
}

/* Joins the group when the worker gets its first subscriber. */
static int join(struct worker *w)
{
	struct ps_worker *p = &w->ps;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = p };
	int err;

	if (p->joined)
		return 0;
	if (!knl_fam.id || !knl_fam.grp_pubsub)
		return -ENOENT;
	if (p->fd < 0) {
		p->rx = p->rx ? p->rx : malloc(KNL_SUB_BUF);
		if (!p->rx)
			return -ENOMEM;
		p->fd = knl_sub_open();
		if (p->fd < 0)
			return p->fd;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, p->fd, &ev)) {
			err = -errno;
			close(p->fd);
			p->fd = -1;
			return err;
		}
	}
	err = knl_sub_join(p->fd, true);
	if (!err)
		p->joined = true;
	return err;
}

/* Leaves the group with the last subscriber: no traffic for nothing. */
static void leave(struct worker *w)
{
	if (w->ps.joined && !w->ps.nsubs && !knl_sub_join(w->ps.fd, false))
		w->ps.joined = false;
}

static void touch(struct ps_worker *p, struct conn *c)
{
	if (c->ps.touched)
		return;
	if (p->ntouched == p->touched_cap) {
		size_t n = p->touched_cap ? p->touched_cap * 2 : 64;
		struct conn **t = realloc(p->touched, n * sizeof(*t));

		if (!t) {
			server_conn_output(c);	/* write it now instead */
			return;
		}
		p->touched = t;
		p->touched_cap = n;
	}
	c->ps.touched = true;
	p->touched[p->ntouched++] = c;
}

static void deliver(struct worker *w, const struct knl_msg *m)
{
	struct ps_entry *e;
	size_t i, j;

	e = t_find(&w->ps.chan, m->ch, m->chlen, hash(m->ch, m->chlen));
	for (i = 0; e && i < (size_t)e->refs; i++) {
		struct conn *c = e->subs[i];

		if (c->dead)
			continue;
		resp_push(&c->out, 3, c->proto);
		resp_bulks(&c->out, "message");
		resp_bulk(&c->out, m->ch, m->chlen);
		resp_bulk(&c->out, m->msg, m->mlen);
		touch(&w->ps, c);
	}
	for (j = 0; j < w->ps.pat.nb; j++)
		for (e = w->ps.pat.b[j]; e; e = e->next) {
			if (!glob_match(e->name, e->len, m->ch, m->chlen))
				continue;
			for (i = 0; i < (size_t)e->refs; i++) {
				struct conn *c = e->subs[i];

				if (c->dead)
					continue;
				resp_push(&c->out, 4, c->proto);
				resp_bulks(&c->out, "pmessage");
				resp_bulk(&c->out, e->name, e->len);
				resp_bulk(&c->out, m->ch, m->chlen);
				resp_bulk(&c->out, m->msg, m->mlen);
				touch(&w->ps, c);
			}
		}
}

void ps_readable(struct worker *w)
{
	struct ps_worker *p = &w->ps;
	struct knl_msg m;
	uint64_t drops = 0;
	size_t i;
	int n, r;

	for (n = 0; n < DELIVER_BATCH; n++) {
		r = knl_sub_recv(p->fd, p->rx, &m, &drops);
		if (r == 0)
			break;
		if (r == -ENOBUFS) {
			log_warn("worker %d: pub/sub messages lost: the kernel overran this worker's netlink socket (ENOBUFS; %llu dropped so far); its subscribers miss them",
				 w->id, (unsigned long long)drops);
			continue;
		}
		if (r < 0) {
			log_err("worker %d: reading the pub/sub socket: %s",
				w->id, strerror(-r));
			break;
		}
		if (p->nsubs)
			deliver(w, &m);
	}
	for (i = 0; i < p->ntouched; i++) {
		struct conn *c = p->touched[i];

		c->ps.touched = false;
		server_conn_output(c);
	}
	p->ntouched = 0;
}

/* ------------------------------------------------------------ conns */

static bool conn_has(struct ps_entry **v, size_t n, struct ps_entry *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == e)
			return true;
	return false;
}

static bool push_entry(struct ps_entry ***v, size_t *n, size_t *cap,
		       struct ps_entry *p)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct ps_entry **nv = realloc(*v, nc * sizeof(*nv));

		if (!nv)
			return false;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = p;
	return true;
}

/* Subscribes c to name; 1 when new, 0 when it already was, -errno. */
static int sub_one(struct conn *c, bool pattern, const struct arg *a)
{
	struct worker *w = c->w;
	struct ps_table *t = pattern ? &w->ps.pat : &w->ps.chan;
	struct ps_conn *pc = &c->ps;
	struct ps_entry *e;
	int err;

	e = t_get(t, a->p, a->len);
	if (!e)
		return -ENOMEM;
	if (conn_has(pattern ? pc->pat : pc->chan, pattern ? pc->npat :
		     pc->nchan, e))
		return 0;
	err = join(w);
	if (err)
		goto undo;
	err = -ENOMEM;
	if ((size_t)e->refs == e->cap) {
		size_t n = e->cap ? e->cap * 2 : 4;
		struct conn **s = realloc(e->subs, n * sizeof(*s));

		if (!s)
			goto undo;
		e->subs = s;
		e->cap = n;
	}
	if (!push_entry(pattern ? &pc->pat : &pc->chan,
			pattern ? &pc->npat : &pc->nchan,
			pattern ? &pc->pat_cap : &pc->chan_cap, e))
		goto undo;
	if (!reg_add(pattern, a->p, a->len)) {
		if (pattern)
			pc->npat--;
		else
			pc->nchan--;
		goto undo;
	}
	e->subs[e->refs++] = c;
	w->ps.nsubs++;
	return 1;
undo:
	t_put(t, e);
	leave(w);
	return err;
}

/* Removes subscription i of c (channels or patterns); frees the entry. */
static void unsub_at(struct conn *c, bool pattern, size_t i)
{
	struct worker *w = c->w;
	struct ps_table *t = pattern ? &w->ps.pat : &w->ps.chan;
	struct ps_entry **v = pattern ? c->ps.pat : c->ps.chan;
	size_t *n = pattern ? &c->ps.npat : &c->ps.nchan, j;
	struct ps_entry *e = v[i];

	memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
	(*n)--;
	for (j = 0; j < (size_t)e->refs; j++)
		if (e->subs[j] == c) {
			e->subs[j] = e->subs[--e->refs];
			break;
		}
	reg_del(pattern, e->name, e->len);
	t_put(t, e);
	w->ps.nsubs--;
	leave(w);
}

void ps_conn_free(struct conn *c)
{
	while (c->ps.nchan)
		unsub_at(c, false, c->ps.nchan - 1);
	while (c->ps.npat)
		unsub_at(c, true, c->ps.npat - 1);
	free(c->ps.chan);
	free(c->ps.pat);
	memset(&c->ps, 0, sizeof(c->ps));
}

/* ------------------------------------------------------------ commands */

static void confirm(struct conn *c, const char *kind, const char *name,
		    size_t len, bool nil)
{
	struct buf *o = rout(c);

	resp_push(o, 3, c->proto);
	resp_bulks(o, kind);
	if (nil)
		resp_null(o, c->proto);
	else
		resp_bulk(o, name, len);
	resp_int(o, (long long)ps_count(c));
}

static void subscribe(struct conn *c, struct arg *argv, size_t argc,
		      bool pattern)
{
	size_t i;

	for (i = 1; i < argc; i++) {
		int err = sub_one(c, pattern, &argv[i]);

		if (err == -ENOENT) {
			reply_err(c, "ERR pub/sub needs the kcache module's netlink family and its \"pubsub\" group, which were not found");
			return;
		}
		if (err == -EPERM || err == -EACCES) {
			reply_err(c, "ERR kcache-proxy may not join the kcache \"pubsub\" netlink group: it needs CAP_NET_ADMIN");
			return;
		}
		if (err < 0) {
			resp_errorf(rout(c), "ERR kcache-proxy cannot subscribe: %s",
				    strerror(-err));
			return;
		}
		confirm(c, pattern ? "psubscribe" : "subscribe", argv[i].p,
			argv[i].len, false);
	}
}

static void unsubscribe(struct conn *c, struct arg *argv, size_t argc,
			bool pattern)
{
	const char *kind = pattern ? "punsubscribe" : "unsubscribe";
	size_t i, j;

	if (argc == 1) {
		size_t *n = pattern ? &c->ps.npat : &c->ps.nchan;

		if (!*n)
			confirm(c, kind, NULL, 0, true);
		while (*n) {
			struct ps_entry *e = (pattern ? c->ps.pat : c->ps.chan)[0];
			struct buf *o = rout(c);

			/* The reply names the entry: write it first. */
			resp_push(o, 3, c->proto);
			resp_bulks(o, kind);
			resp_bulk(o, e->name, e->len);
			resp_int(o, (long long)ps_count(c) - 1);
			unsub_at(c, pattern, 0);
		}
		return;
	}
	for (i = 1; i < argc; i++) {
		struct ps_entry **v = pattern ? c->ps.pat : c->ps.chan;
		size_t n = pattern ? c->ps.npat : c->ps.nchan;

		for (j = 0; j < n; j++)
			if (v[j]->len == argv[i].len &&
			    !memcmp(v[j]->name, argv[i].p, argv[i].len))
				break;
		if (j < n)
			unsub_at(c, pattern, j);
		confirm(c, kind, argv[i].p, argv[i].len, false);
	}
}

void cmd_subscribe(struct conn *c, struct arg *argv, size_t argc)
{
	subscribe(c, argv, argc, false);
}

void cmd_psubscribe(struct conn *c, struct arg *argv, size_t argc)
{
	subscribe(c, argv, argc, true);
}

void cmd_unsubscribe(struct conn *c, struct arg *argv, size_t argc)
{
	unsubscribe(c, argv, argc, false);
}

void cmd_punsubscribe(struct conn *c, struct arg *argv, size_t argc)
{
	unsubscribe(c, argv, argc, true);
}

static void publish(struct conn *c, const struct arg *argv, struct buf *o)
{
	int err;

	if (!knl_fam.id || !c->w->nl) {
		resp_error(o, "ERR pub/sub needs the kcache module's netlink family, which was not found");
		return;
	}
	if (!argv[1].len || argv[1].len > KC_CHANNEL_MAX) {
		resp_errorf(o, "ERR kcache pub/sub channel names are 1 to %d bytes",
			    KC_CHANNEL_MAX);
		return;
	}
	if (argv[2].len > KC_NL_VALUE_MAX) {
		resp_errorf(o, "ERR kcache pub/sub messages are at most %d bytes",
			    KC_NL_VALUE_MAX);
		return;
	}
	err = knl_publish(c->w->nl, argv[1].p, argv[1].len, argv[2].p,
			  argv[2].len);
	if (err) {
		resp_errorf(o, "ERR kcache PUBLISH failed: %s", strerror(-err));
		return;
	}
	resp_int(o, reg_receivers(argv[1].p, argv[1].len));
}

/* PUBLISH queued by MULTI: sent when EXEC writes its replies. */
static void r_publish(struct conn *c, struct rec *r, struct kc_op *ops)
{
	(void)ops;
	publish(c, r->p, &c->out);
}

void cmd_publish(struct conn *c, struct arg *argv, size_t argc)
{
	struct engine *e = &c->w->eng;
	struct rec *r;

	(void)argc;
	if (!e->txn) {
		publish(c, argv, rout(c));	/* RX_SYNC: nothing pending */
		return;
	}
	/* EXEC's queue (argv) lives until its replies are written. */
	r = eng_rec(e, c, r_publish, 0);
	r->p = argv;
}

/* PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT */
void cmd_pubsub(struct conn *c, struct arg *argv, size_t argc)
{
	struct buf *o = rout(c);
	struct ps_entry *e;
	char sub[16];
	size_t i, n;

	arg_lower(&argv[1], sub, sizeof(sub));
	if (!strcmp(sub, "channels") && argc <= 3) {
		bool all = argc == 2;

		pthread_mutex_lock(&reg_lock);
		for (i = 0, n = 0; i < reg_chan.nb; i++)
			for (e = reg_chan.b[i]; e; e = e->next)
				n += all || glob_match(argv[2].p, argv[2].len,
						       e->name, e->len);
		resp_array(o, n);
		for (i = 0; i < reg_chan.nb; i++)
			for (e = reg_chan.b[i]; e; e = e->next)
				if (all || glob_match(argv[2].p, argv[2].len,
						      e->name, e->len))
					resp_bulk(o, e->name, e->len);
		pthread_mutex_unlock(&reg_lock);
	} else if (!strcmp(sub, "numsub")) {
		resp_array(o, (argc - 2) * 2);
		pthread_mutex_lock(&reg_lock);
		for (i = 2; i < argc; i++) {
			e = t_find(&reg_chan, argv[i].p, argv[i].len,
				   hash(argv[i].p, argv[i].len));
			resp_bulk(o, argv[i].p, argv[i].len);
			resp_int(o, e ? e->refs : 0);
		}
		pthread_mutex_unlock(&reg_lock);
	} else if (!strcmp(sub, "numpat") && argc == 2) {
		pthread_mutex_lock(&reg_lock);
		n = reg_pat.n;
		pthread_mutex_unlock(&reg_lock);
		resp_int(o, (long long)n);
	} else if (!strcmp(sub, "numpat")) {
		resp_error(o, "ERR wrong number of arguments for 'pubsub|numpat' command");
	} else if (!strcmp(sub, "channels")) {
		resp_errorf(o, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB HELP.",
			    (int)argv[1].len, argv[1].p);
	} else {
		resp_errorf(o, "ERR unknown subcommand '%.*s'. Try PUBSUB HELP.",
			    (int)(argv[1].len > 128 ? 128 : argv[1].len),
			    argv[1].p);
	}
}
