// SPDX-License-Identifier: GPL-2.0
/*
 * Whole RDB files through /dev/kcache: kc_rdb_save_file() and
 * kc_rdb_load_file(), shared by kcache-cli (save/restore) and kcache-proxy
 * (SAVE, BGSAVE, loading dir/dbfilename at start).
 *
 * Save walks each database that has keys with KC_OP_SNAPSHOT, which
 * returns many keys per call, each whole (type, value, expiry, client
 * flags) and read atomically; the snapshot as a whole is fuzzy (keys
 * changed during the walk may be seen before or after the change; a key
 * present for the whole walk is always saved).  A module without it
 * (-EOPNOTSUPP) is read with SCAN and a transaction per few keys.  Every database gets its SELECTDB, so a
 * file names the database of each key, as redis-server's do.  The file
 * is written to PATH.tmp.PID, fsynced, renamed over PATH and the
 * directory fsynced.  Load reads the whole file,
 * validates all of it (structure, every value, the checksum, databases
 * 0 to KC_DB_COUNT - 1 only) and only then writes keys, each into the
 * database its SELECTDB names, so a corrupt file loads nothing.
 * Documentation/persistence.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libkcache.h"
#include "rdb.h"

#define SCAN_COUNT	512
#define SNAP_KEYS	1024		/* keys asked of one SNAPSHOT call */
#define SNAP_ROOM	(4U << 20)	/* its reply buffer, grown on -ENOSPC */
#define SCAN_ROOM	(4U << 20)
#define TXN_KEYS	32		/* keys read by one transaction */
#define FIRST_ROOM	(64U << 10)	/* reply room tried first */
#define LOAD_OPS	2048		/* ops in one restore batch: a key's fit too */
#define LOAD_BYTES	(16U << 20)
#define LOAD_RETRIES	50		/* batches retried on -ENOMEM, 0.1 s apart */
#define CHUNK_ARGS	4096		/* elements in one push/HSET/SADD */
#define CHUNK_BYTES	(8U << 20)

static void say(char *msg, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- A set of the keys written, since SCAN may return a key twice. ---- */
struct keyset {
	struct kent { uint64_t h; char *k; size_t len; } *t;
	size_t cap, n;
};

static uint64_t hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ *b++) * 1099511628211ULL;
	return h | 1;
}

/* 1: added, 0: already there, -ENOMEM */
static int keyset_add(struct keyset *s, const void *k, size_t len)
{
	uint64_t h = hash(k, len);
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct keyset ns = { .cap = s->cap ? s->cap * 2 : 1024 };

		ns.t = calloc(ns.cap, sizeof(*ns.t));
		if (!ns.t)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++) {
			size_t j;

			if (!s->t[i].h)
				continue;
			for (j = s->t[i].h & (ns.cap - 1); ns.t[j].h;
			     j = (j + 1) & (ns.cap - 1))
				;
			ns.t[j] = s->t[i];
		}
		free(s->t);
		s->t = ns.t;
		s->cap = ns.cap;
	}
	for (i = h & (s->cap - 1); s->t[i].h; i = (i + 1) & (s->cap - 1))
		if (s->t[i].h == h && s->t[i].len == len &&
		    !memcmp(s->t[i].k, k, len))
			return 0;
	s->t[i].k = malloc(len ? len : 1);
	if (!s->t[i].k)
		return -ENOMEM;
	memcpy(s->t[i].k, k, len);
	s->t[i].len = len;
	s->t[i].h = h;
	s->n++;
	return 1;
}

static void keyset_free(struct keyset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->t[i].k);
	free(s->t);
	memset(s, 0, sizeof(*s));
}

/* ---- save ---- */

struct saver {
	int fd;
	uint32_t db;		/* the database being walked */
	struct kc_rdb_w w;
	struct keyset seen;	/* keys of db written */
	struct kc_pipe *p;
	struct kc_rdb_str *ev;
	size_t evcap;
	uint64_t keys, vanished, retries;
};

/* Room for n value strings in s->ev. */
static int ev_room(struct saver *s, size_t n)
{
	void *q;

	if (n <= s->evcap)
		return 0;
	q = realloc(s->ev, n * sizeof(*s->ev));
	if (!q)
		return -ENOMEM;
	s->ev = q;
	s->evcap = n;
	return 0;
}

/* ZRANGE's ranks of a whole set: 0 .. -1 (referenced by borrowing pipes). */
static const int64_t zall[2] = { 0, -1 };

/* Adds TYPE, the read and TTL of one key to the pipe. */
static int add_read(struct kc_pipe *p, const struct kc_rdb_str *k,
		    uint32_t type, size_t room)
{
	int i = kc_pipe_add_key(p, KC_OP_TYPE, k->p, k->len);
	int j = kc_pipe_add_key(p, kc_read_op(type), k->p, k->len);
	int t = kc_pipe_add_key(p, KC_OP_TTL, k->p, k->len);

	if (i < 0 || j < 0 || t < 0)
		return i < 0 ? i : j < 0 ? j : t;
	if (type == KC_TYPE_LIST && kc_pipe_set_num(p, j, 0, -1))
		return -ENOMEM;
	if (type == KC_TYPE_ZSET &&
	    (kc_pipe_set_arg(p, j, &zall[0], 8) ||
	     kc_pipe_set_arg(p, j, &zall[1], 8) ||
	     kc_pipe_set_flags(p, j, KC_Z_WITHSCORES)))
		return -ENOMEM;
	if (kc_pipe_set_reply(p, j, room) || kc_pipe_set_flags(p, t, KC_TTL_MS))
		return -ENOMEM;
	return 0;
}

/*
 * Writes the key whose ops start at index i of the run pipe.  1: written,
 * 0: gone or already written, 2: changed type or reply too small (retry
 * alone with *room), <0: error.
 */
static int emit(struct saver *s, const struct kc_rdb_str *k, uint32_t type,
		size_t i, size_t *room)
{
	struct kc_pipe *p = s->p;
	struct kc_rdb_item it = { .db = s->db };
	struct kc_elem_iter ei;
	const struct kc_elem *e;
	const void *data, *rep;
	size_t len, n = 0;
	int64_t ttl;
	int r = kc_pipe_result(p, i + 1), added;

	if ((uint32_t)kc_pipe_num(p, i) == KC_TYPE_NONE)
		return 0;
	if ((uint32_t)kc_pipe_num(p, i) != type)
		return 2;
	if (r == -ENOSPC) {
		kc_pipe_reply(p, i + 1, &len);
		*room = len;
		return 2;
	}
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	rep = kc_pipe_reply(p, i + 1, &len);
	ttl = kc_pipe_result(p, i + 2) ? -2 : kc_pipe_expire(p, i + 2);
	if (ttl == -2 || ttl == 0)
		return 0;	/* gone, or expiring now */
	it.type = type;
	it.key = *k;
	it.expire_ms = ttl > 0 ? now_ms() + ttl : -1;
	if (type == KC_TYPE_STRING) {
		if (ev_room(s, 1))
			return -ENOMEM;
		s->ev[0].p = rep;
		s->ev[0].len = len;
		n = 1;
		it.client_flags = kc_pipe_client_flags(p, i + 1);
		it.has_flags = it.client_flags != 0;
	} else {
		size_t cnt = kc_pipe_num(p, i + 1);

		if (ev_room(s, cnt))
			return -ENOMEM;
		kc_elem_iter_init(&ei, rep, len, cnt);
		while ((e = kc_elem_next(&ei, &data))) {
			s->ev[n].p = data;
			s->ev[n++].len = e->len;
		}
		if (ei.err || n != cnt)
			return -EBADMSG;
		if (!n)
			return 0;
	}
	it.elems = s->ev;
	it.n = n;
	added = keyset_add(&s->seen, k->p, k->len);
	if (added <= 0)
		return added;
	if (kc_rdb_w_item(&s->w, &it))
		return s->w.err;
	s->keys++;
	return 1;
}

/* KC_OP_TYPE of a key of the database being walked. */
static int key_type(struct saver *s, const struct kc_rdb_str *k,
		    uint32_t *type)
{
	struct kc_op op;
	int ret;

	kc_op_init(&op, KC_OP_TYPE);
	kc_op_key(&op, k->p, k->len);
	op.db = s->db;
	ret = kc_do(s->fd, &op);
	if (!ret)
		*type = (uint32_t)op.num;
	return ret;
}

/* Reads and writes keys[0..n) (types from a first TYPE pass). */
static int save_keys(struct saver *s, const struct kc_rdb_str *keys,
		     const uint32_t *types, size_t n)
{
	size_t i, j, base;
	int err;

	for (base = 0; base < n; base += TXN_KEYS) {
		size_t m = n - base < TXN_KEYS ? n - base : TXN_KEYS;

		kc_pipe_reset(s->p);
		for (i = 0; i < m; i++) {
			if (!kc_read_op(types[base + i]))
				continue;
			err = add_read(s->p, &keys[base + i], types[base + i],
				       FIRST_ROOM);
			if (err)
				return err;
		}
		if (!kc_pipe_count(s->p))
			continue;
		err = kc_pipe_exec(s->fd, s->p);
		if (err)
			return err;
		for (i = 0, j = 0; i < m; i++) {
			uint32_t type = types[base + i];
			size_t room = FIRST_ROOM;
			int tries;

			if (!kc_read_op(type))
				continue;
			err = emit(s, &keys[base + i], type, j, &room);
			j += 3;
			if (err != 2) {
				if (err < 0)
					return err;
				continue;
			}
			/* alone, with the room it needs; the type again */
			for (tries = 0; tries < 8 && err == 2; tries++) {
				struct kc_pipe *solo = kc_pipe_new(0), *keep;
				uint32_t t2;

				if (!solo)
					return -ENOMEM;
				kc_pipe_select(solo, s->db);
				s->retries++;
				if (key_type(s, &keys[base + i], &t2) ||
				    !kc_read_op(t2)) {
					kc_pipe_free(solo);
					err = 0;
					break;
				}
				err = add_read(solo, &keys[base + i], t2,
					       room + 4096);
				if (!err)
					err = kc_pipe_exec(s->fd, solo);
				keep = s->p;
				s->p = solo;
				if (!err)
					err = emit(s, &keys[base + i], t2, 0,
						   &room);
				s->p = keep;
				kc_pipe_free(solo);
			}
			if (err < 0)
				return err;
			if (err == 2)
				return -EAGAIN;
		}
	}
	return 0;
}

/* Writes the keys of database s->db. */
static int scan_db(struct saver *s)
{
	unsigned char *buf = malloc(SCAN_ROOM);
	struct kc_rdb_str *keys = calloc(SCAN_ROOM / 8, sizeof(*keys));
	uint32_t *types = calloc(SCAN_ROOM / 8, sizeof(*types));
	struct kc_pipe *tp = kc_pipe_new(KC_PIPE_BORROW);
	int64_t cursor = 0;
	int err = 0;

	if (!buf || !keys || !types || !tp) {
		err = -ENOMEM;
		goto out;
	}
	kc_pipe_select(tp, s->db);
	kc_pipe_select(s->p, s->db);
	do {
		struct kc_op op;
		size_t off = 0, n = 0, i;

		kc_op_init(&op, KC_OP_SCAN);
		op.db = s->db;
		op.num = cursor;
		op.num2 = SCAN_COUNT;
		kc_op_out(&op, buf, SCAN_ROOM);
		err = kc_do(s->fd, &op);
		if (err)
			break;
		cursor = op.num;
		while (off < op.out_used) {
			const struct kc_elem *e = (const void *)(buf + off);

			if (op.out_used - off < sizeof(*e) ||
			    op.out_used - off < KC_ELEM_SIZE(e->len)) {
				err = -EBADMSG;
				break;
			}
			keys[n].p = buf + off + sizeof(*e);
			keys[n++].len = e->len;
			off += KC_ELEM_SIZE(e->len);
		}
		if (err)
			break;
		/* the types of the batch, in one plain batch */
		for (i = 0; i < n; i += KC_BATCH_MAX / 2) {
			size_t m = n - i < KC_BATCH_MAX / 2 ? n - i :
				   KC_BATCH_MAX / 2, j;

			kc_pipe_reset(tp);
			for (j = 0; j < m; j++)
				if (kc_pipe_add_key(tp, KC_OP_TYPE, keys[i + j].p,
						    keys[i + j].len) < 0) {
					err = -ENOMEM;
					goto out;
				}
			err = kc_pipe_run(s->fd, tp);
			if (err)
				goto out;
			for (j = 0; j < m; j++)
				types[i + j] = kc_pipe_result(tp, j) ? 0 :
					       (uint32_t)kc_pipe_num(tp, j);
		}
		err = save_keys(s, keys, types, n);
	} while (!err && cursor);
out:
	kc_pipe_free(tp);
	free(types);
	free(keys);
	free(buf);
	return err;
}

/*
 * Writes the keys of one SNAPSHOT reply: per key a kc_snap_rec, the key
 * and nelems value records (a sorted set's: member, 8-byte score, as the
 * writer takes them).  A key the walk already gave is skipped.
 */
static int snap_write(struct saver *s, const void *buf, size_t used)
{
	struct kc_elem_iter ei;
	const struct kc_elem *e;
	const void *data;
	int err;

	kc_elem_iter_init(&ei, buf, used, SIZE_MAX);
	while (ei.off < used) {
		struct kc_rdb_item it = { .db = s->db };
		struct kc_snap_rec h;
		uint64_t i;

		/* the record's length says which fields it has */
		e = kc_elem_next(&ei, &data);
		if (!e || e->len < KC_SNAP_REC_SIZE_VER0)
			return -EBADMSG;
		memset(&h, 0, sizeof(h));
		memcpy(&h, data, e->len < sizeof(h) ? e->len : sizeof(h));
		it.idle_s = e->len >= KC_SNAP_REC_SIZE_VER1 ? (int64_t)h.idle : -1;
		e = kc_elem_next(&ei, &data);
		if (!e || h.type < KC_TYPE_STRING || h.type > KC_TYPE_ZSET)
			return -EBADMSG;
		it.key.p = data;
		it.key.len = e->len;
		err = ev_room(s, h.nelems);
		if (err)
			return err;
		for (i = 0; i < h.nelems; i++) {
			e = kc_elem_next(&ei, &data);
			if (!e)
				return -EBADMSG;
			s->ev[i].p = data;
			s->ev[i].len = e->len;
		}
		it.type = h.type;
		it.expire_ms = h.expire ? h.expire : -1;
		it.client_flags = h.client_flags;
		it.has_flags = h.type == KC_TYPE_STRING && h.client_flags;
		it.elems = s->ev;
		it.n = h.nelems;
		err = keyset_add(&s->seen, it.key.p, it.key.len);
		if (err < 0)
			return err;
		if (!err)
			continue;	/* a repeat of the walk */
		if (kc_rdb_w_item(&s->w, &it))
			return s->w.err;
		s->keys++;
	}
	return 0;
}

/*
 * Writes the keys of database s->db with KC_OP_SNAPSHOT; -EOPNOTSUPP
 * before anything was written when the module has no such op.
 */
static int snap_db(struct saver *s)
{
	size_t room = SNAP_ROOM;
	unsigned char *buf = malloc(room);
	/* the record with idle times; a module before it takes only 0 */
	uint32_t rec = sizeof(struct kc_snap_rec);
	int64_t cursor = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct kc_op op;

		kc_op_init(&op, KC_OP_SNAPSHOT);
		op.db = s->db;
		op.num = cursor;
		op.num2 = SNAP_KEYS;
		op.client_flags = rec;
		kc_op_out(&op, buf, room);
		err = kc_do(s->fd, &op);
		if (err == -EINVAL && rec) {
			rec = 0;
			continue;
		}
		if (err == -ENOSPC && op.out_used > room) {
			/* One hash bucket's keys need more: the size asked. */
			unsigned char *b = realloc(buf, op.out_used);

			if (!b) {
				err = -ENOMEM;
				break;
			}
			buf = b;
			room = op.out_used;
			s->retries++;
			continue;
		}
		if (!err)
			err = snap_write(s, buf, op.out_used);
		cursor = op.num;
		if (err || !cursor)
			break;
	}
	free(buf);
	return err;
}

/*
 * Every database that has keys, in order, each after its SELECTDB and a
 * RESIZEDB with DBSIZE's count (a sizing hint: the walk may find more or
 * fewer keys).  A keyspace seen by SCAN may hold the same key in two
 * databases: each database has its own set of keys written.  A module
 * from before databases (DBSIZE is -EOPNOTSUPP) has database 0 alone.
 */
static int save_dbs(struct saver *s, uint64_t curr_items)
{
	uint64_t n;
	int err;

	for (s->db = 0; s->db < KC_DB_COUNT; s->db++) {
		err = kc_dbsize(s->fd, s->db, &n);
		if (err == -EOPNOTSUPP && !s->db) {
			kc_rdb_w_selectdb(&s->w, 0, curr_items, 0);
			return scan_db(s);
		}
		if (err)
			return err;
		if (!n)
			continue;
		keyset_free(&s->seen);
		kc_rdb_w_selectdb(&s->w, s->db, n, 0);
		err = snap_db(s);
		if (err == -EOPNOTSUPP)
			err = scan_db(s);
		if (err)
			return err;
	}
	return 0;
}

struct loader {
	int fd;
	struct kc_pipe *p;
	unsigned char *zarg;	/* one ZADD argument: score, member */
	size_t zcap;
	size_t bytes;
	uint64_t keys, other_db, retries;
	size_t bad_op;		/* index of the op that failed, in its batch */
	unsigned int failed_db;
	char failed_key[64];
	int err;
};

/*
 * Runs the pending batch.  Every key's ops (a container's: DEL first)
 * are in one batch, so running it again is harmless: a batch that met -ENOMEM is retried
 * for a while, as the module moves slab pages between classes
 * (automove) after a flush freed other classes' pages.
 */
static int flush_load(struct loader *l)
{
	size_t i, n = kc_pipe_count(l->p);
	int err = 0, tries;

	if (!n)
		return 0;
	for (tries = 0; tries < LOAD_RETRIES; tries++) {
		if (tries)
			usleep(100 * 1000);
		err = kc_pipe_run(l->fd, l->p);
		if (err)
			break;
		/*
		 * A DEL of a missing key is not an error, nor a SETIDLE a
		 * module without it refuses (-EOPNOTSUPP).
		 */
		for (i = 0; i < n && !err; i++) {
			int r = kc_pipe_result(l->p, i);

			if (r && r != -ENOENT && r != -EOPNOTSUPP) {
				err = r;
				l->bad_op = i;
			}
		}
		if (err != -ENOMEM)
			break;
		l->retries++;
	}
	kc_pipe_reset(l->p);
	l->bytes = 0;
	return err;
}

static const uint32_t write_ops[] = {
	[KC_RDB_LIST] = KC_OP_RPUSH,
	[KC_RDB_HASH] = KC_OP_HSET,
	[KC_RDB_SET] = KC_OP_SADD,
	[KC_RDB_ZSET] = KC_OP_ZADD,
};

/* ZADD's argument for a member, score pair: the score's 8 bytes first. */
static int zadd_arg(struct loader *l, struct kc_pipe *p, int i,
		    const struct kc_rdb_str *m, const struct kc_rdb_str *s)
{
	if (m->len + 8 > l->zcap) {
		size_t cap = m->len + 8 > 256 ? m->len + 8 : 256;
		void *q = realloc(l->zarg, cap);

		if (!q)
			return -ENOMEM;
		l->zarg = q;
		l->zcap = cap;
	}
	memcpy(l->zarg, s->p, 8);
	memcpy(l->zarg + 8, m->p, m->len);
	return kc_pipe_set_arg(p, i, l->zarg, m->len + 8);
}

static int load_item(void *ctx, const struct kc_rdb_item *it)
{
	struct loader *l = ctx;
	struct kc_pipe *p = l->p;
	int i, err;
	size_t e = 0;

	if (it->db)
		l->other_db++;
	/* the parser let through only databases the module has */
	kc_pipe_select(p, it->db);
	if (it->type == KC_RDB_STRING) {
		/* SET replaces a key of any type: no DEL first. */
		i = kc_pipe_add_key(p, KC_OP_SET, it->key.p, it->key.len);
		if (i < 0 || kc_pipe_set_val(p, i, it->elems[0].p,
					     it->elems[0].len) ||
		    kc_pipe_set_client_flags(p, i, it->client_flags))
			return -ENOMEM;
		if (it->expire_ms >= 0 &&
		    (kc_pipe_set_expire(p, i, it->expire_ms) ||
		     kc_pipe_set_flags(p, i, KC_TTL_ABS | KC_TTL_MS)))
			return -ENOMEM;
		l->bytes += it->elems[0].len;
	} else {
		/* The elements are added to what is there: empty it first. */
		i = kc_pipe_add_key(p, KC_OP_DEL, it->key.p, it->key.len);
		if (i < 0)
			return i;
		while (e < it->n) {
			size_t bytes = 0, k = 0;

			i = kc_pipe_add_key(p, write_ops[it->type], it->key.p,
					    it->key.len);
			if (i < 0)
				return i;
			/* whole hash pairs, within the op's limits */
			while (e < it->n && k < CHUNK_ARGS &&
			       bytes < CHUNK_BYTES) {
				size_t step = it->type == KC_RDB_HASH ? 2 : 1, s;

				if (it->type == KC_RDB_ZSET) {
					if (zadd_arg(l, p, i, &it->elems[e],
						     &it->elems[e + 1]))
						return -ENOMEM;
					bytes += it->elems[e].len + 8;
					e += 2;
					k++;
					continue;
				}
				for (s = 0; s < step; s++) {
					if (kc_pipe_set_arg(p, i,
							    it->elems[e].p,
							    it->elems[e].len))
						return -ENOMEM;
					bytes += it->elems[e].len;
					e++;
					k++;
				}
			}
			l->bytes += bytes;
		}
		if (it->expire_ms >= 0) {
			i = kc_pipe_add_key(p, KC_OP_EXPIRE, it->key.p,
					    it->key.len);
			if (i < 0 || kc_pipe_set_expire(p, i, it->expire_ms) ||
			    kc_pipe_set_flags(p, i, KC_TTL_ABS | KC_TTL_MS))
				return -ENOMEM;
		}
	}
	/* Redis's LRU idle time (a server with an LRU policy saves it) */
	if (it->idle_s >= 0) {
		i = kc_pipe_add_key(p, KC_OP_SETIDLE, it->key.p, it->key.len);
		if (i < 0 || kc_pipe_set_num(p, i, it->idle_s > KC_IDLE_MAX ?
					     KC_IDLE_MAX : it->idle_s, 0))
			return -ENOMEM;
	}
	l->keys++;
	l->failed_db = it->db;
	snprintf(l->failed_key, sizeof(l->failed_key), "%.*s",
		 (int)(it->key.len < 60 ? it->key.len : 60),
		 (const char *)it->key.p);
	if (kc_pipe_count(p) >= LOAD_OPS || l->bytes >= LOAD_BYTES) {
		err = flush_load(l);
		if (err)
			return l->err = err;
	}
	return 0;
}

static const char *type_names[32] = {
	[9] = "zipmap hash", [15] = "stream",
	[19] = "stream", [21] = "stream", [7] = "module",
};


/* The directory of path, fsynced: the rename in it is then durable. */
static void sync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int dfd;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = 0;
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
}

int kc_rdb_save_file(int kfd, const char *path, struct kc_rdb_save_info *si,
		     char *msg, size_t msglen)
{
	struct saver s = { .fd = kfd };
	struct kc_stats st = { .size = sizeof(st) };
	char *tmp = NULL;
	int out = -1, err;

	memset(si, 0, sizeof(*si));
	say(msg, msglen, "%s", "");
	s.w.fd = -1;
	s.p = kc_pipe_new(KC_PIPE_BORROW);
	if (!s.p || asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		say(msg, msglen, "out of memory");
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		err = -errno;
		say(msg, msglen, "%s: %s", tmp, strerror(-err));
		goto out;
	}
	kc_stats(kfd, &st);
	kc_rdb_w_init(&s.w, out);
	kc_rdb_w_header(&s.w, now_ms() / 1000, st.used_bytes);
	err = save_dbs(&s, st.curr_items);
	if (err) {
		say(msg, msglen, "reading database %u of the cache: %s", s.db,
		    kc_strerror(err));
		goto out;
	}
	err = kc_rdb_w_finish(&s.w);
	if (!err && fsync(out))
		err = -errno;
	if (close(out) && !err)
		err = -errno;
	out = -1;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		say(msg, msglen, "%s: %s", path, strerror(-err));
		goto out;
	}
	sync_dir(path);
	si->keys = s.keys;
	si->bytes = s.w.total;
	si->retries = s.retries;
out:
	if (out >= 0)
		close(out);
	if (err && tmp)
		unlink(tmp);
	kc_rdb_w_free(&s.w);
	keyset_free(&s.seen);
	kc_pipe_free(s.p);
	free(s.ev);
	free(tmp);
	return err;
}

const char *kc_rdb_type_name(unsigned int t)
{
	return t < 32 && type_names[t] ? type_names[t] : "unknown";
}

int kc_rdb_load_file(int kfd, const char *path, const struct kc_rdb_load_opts *lo,
		     struct kc_rdb_load_info *li, char *msg, size_t msglen)
{
	struct loader l = { .fd = kfd };
	struct kc_rdb_parse_opts o = { 0 };
	struct kc_rdb_err perr;
	struct stat sb;
	void *map = MAP_FAILED;
	int fd, err;

	memset(li, 0, sizeof(*li));
	say(msg, msglen, "%s", "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		err = -errno;
		say(msg, msglen, "%s", strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	if (sb.st_size)
		map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (sb.st_size && map == MAP_FAILED) {
		err = -errno;
		say(msg, msglen, "%s", strerror(-err));
		return err;
	}
	o.warn = lo ? lo->warn : NULL;
	o.ctx = lo ? lo->ctx : NULL;
	o.now_ms = now_ms();
	/* pass 1: the whole file, validated, before anything is loaded */
	err = kc_rdb_parse(sb.st_size ? map : "", sb.st_size, &o, &li->st,
			   &perr);
	if (err) {
		if (err == -EBADMSG)
			say(msg, msglen, "offset %zu: %s", perr.off, perr.msg);
		else
			say(msg, msglen, "%s", strerror(-err));
		goto out;
	}
	if (kfd < 0)
		goto out;
	/* copies: elements live in the parser's per-key arena */
	l.p = kc_pipe_new(0);
	if (!l.p) {
		err = -ENOMEM;
		say(msg, msglen, "out of memory");
		goto out;
	}
	/* pass 2: load */
	o.item = load_item;
	o.warn = NULL;
	o.ctx = &l;
	err = kc_rdb_parse(map, sb.st_size, &o, &li->st, &perr);
	if (!err)
		err = flush_load(&l);
	li->keys = l.keys;
	li->other_db = l.other_db;
	li->retries = l.retries;
	if (err) {
		li->partial = 1;
		say(msg, msglen, "loading stopped near key '%s' of database %u "
		    "(op %zu of its batch, %" PRIu64 " retries): %s (keys "
		    "before it are loaded)", l.failed_key, l.failed_db,
		    l.bad_op, l.retries, kc_strerror(err));
	}
out:
	kc_pipe_free(l.p);
	free(l.zarg);
	if (map != MAP_FAILED)
		munmap(map, sb.st_size);
	return err;
}
