// SPDX-License-Identifier: GPL-2.0
/*
 * DUMP and RESTORE with Redis's serialization: the RDB encoding of the
 * value (userspace/lib/rdb.h), the 2-byte RDB version and the CRC-64, so
 * values move between redis-server and kcache-proxy.  Both run RX_SYNC:
 * they make their own kernel calls after the engine was flushed.
 *
 * DUMP reads the value with one op (atomic).  RESTORE validates the whole
 * payload before it writes anything; a container is written by a few ops
 * (DEL with REPLACE, pushes in chunks, EXPIRE), which other clients may
 * see half-way, as with any multi-op write of the proxy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkcache.h"
#include "notify.h"
#include "rdb.h"
#include "redis.h"

#define CHUNK		4096

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

/* DUMP's payload of key: its value (value_read()), version and CRC. */
static int dump_value(struct conn *c, const struct arg *k, struct kc_rdb_w *w)
{
	struct kc_rdb_item it = { .expire_ms = -1 };
	struct kc_rdb_str *ev;
	struct value v;
	size_t i;
	int err;

	err = value_read(c, k, &v);
	if (err)
		return err;
	if (!v.n) {
		value_free(&v);
		return -ENOENT;
	}
	ev = calloc(v.n, sizeof(*ev));
	if (!ev) {
		value_free(&v);
		return -ENOMEM;
	}
	for (i = 0; i < v.n; i++) {
		ev[i].p = v.p[i];
		ev[i].len = v.len[i];
	}
	it.type = v.type;
	it.elems = ev;
	it.n = v.n;
	err = kc_rdb_w_value(w, &it);
	if (!err)
		err = kc_rdb_w_dump_trailer(w);
	free(ev);
	value_free(&v);
	return err;
}

/* DUMP key */
void cmd_dump(struct conn *c, struct arg *argv, size_t argc)
{
	struct kc_rdb_w w;
	int err;

	(void)argc;
	if (!key_ok(c, &argv[1]))
		return;
	kc_rdb_w_init(&w, -1);
	err = dump_value(c, &argv[1], &w);
	if (err == -ENOENT)
		resp_null(&c->out, c->proto);
	else if (err)
		reply_kerr(&c->out, err);
	else
		resp_bulk(&c->out, w.p, w.len);
	kc_rdb_w_free(&w);
}

struct restore {
	struct conn *c;
	const struct arg *key;
	bool replace;
	int64_t expire_ms;	/* absolute, or -1 */
};

static const uint32_t write_ops[] = {
	[KC_RDB_LIST] = KC_OP_RPUSH,
	[KC_RDB_HASH] = KC_OP_HSET,
	[KC_RDB_SET] = KC_OP_SADD,
	[KC_RDB_ZSET] = KC_OP_ZADD,
};

/*
 * ZADD's arguments for up to m pairs from elems: each the score's 8 bytes
 * then the member, in one buffer (*zbuf, grown as needed).
 */
static int zadd_args(const struct kc_rdb_str *e, size_t m, struct kc_buf *args,
		     unsigned char **zbuf, size_t *zcap)
{
	size_t j, need = 0, off = 0;

	for (j = 0; j < m; j++)
		need += 8 + e[2 * j].len;
	if (need > *zcap) {
		void *q = realloc(*zbuf, need);

		if (!q)
			return -ENOMEM;
		*zbuf = q;
		*zcap = need;
	}
	for (j = 0; j < m; j++) {
		memcpy(*zbuf + off, e[2 * j + 1].p, 8);
		memcpy(*zbuf + off + 8, e[2 * j].p, e[2 * j].len);
		kc_buf_set(&args[j], *zbuf + off, 8 + e[2 * j].len);
		off += 8 + e[2 * j].len;
	}
	return 0;
}

static int restore_item(void *ctx, const struct kc_rdb_item *it)
{
	struct restore *r = ctx;
	struct engine *e = E(r->c);
	struct kc_buf *args;
	unsigned char *zbuf = NULL;
	size_t i = 0, zcap = 0;
	struct kc_op op;
	int err;

	if (it->type == KC_RDB_STRING) {
		return eng_store(e, r->replace ? KC_OP_SET : KC_OP_ADD,
				 r->expire_ms >= 0 ? KC_TTL_ABS | KC_TTL_MS : 0,
				 r->key->p, r->key->len, it->elems[0].p,
				 it->elems[0].len, 0,
				 r->expire_ms >= 0 ? r->expire_ms : 0, NULL);
	}
	if (r->replace) {
		kc_op_init(&op, KC_OP_DEL);
		kc_op_key(&op, r->key->p, r->key->len);
		err = eng_do(e, &op);
		if (err && err != -ENOENT)
			return err;
	} else {
		kc_op_init(&op, KC_OP_EXISTS);
		kc_op_key(&op, r->key->p, r->key->len);
		err = eng_do(e, &op);
		if (!err)
			return -EEXIST;
		if (err != -ENOENT)
			return err;
	}
	args = calloc(CHUNK, sizeof(*args));
	if (!args)
		return -ENOMEM;
	err = 0;
	while (!err && i < it->n) {
		size_t m = it->n - i < CHUNK ? it->n - i : CHUNK, j, used = m;

		if (it->type == KC_RDB_ZSET) {
			/* pairs: m elements are m / 2 arguments */
			m = (it->n - i) / 2 < CHUNK ? (it->n - i) / 2 : CHUNK;
			used = 2 * m;
			err = zadd_args(it->elems + i, m, args, &zbuf, &zcap);
			if (err)
				break;
		} else {
			for (j = 0; j < m; j++)
				kc_buf_set(&args[j], it->elems[i + j].p,
					   it->elems[i + j].len);
		}
		kc_op_init(&op, write_ops[it->type]);
		kc_op_key(&op, r->key->p, r->key->len);
		kc_op_args(&op, args, m);
		err = eng_do(e, &op);
		i += used;
	}
	free(zbuf);
	free(args);
	if (!err && r->expire_ms >= 0) {
		kc_op_init(&op, KC_OP_EXPIRE);
		kc_op_key(&op, r->key->p, r->key->len);
		op.flags = KC_TTL_ABS | KC_TTL_MS;
		op.expire = r->expire_ms;
		err = eng_do(e, &op);
	}
	return err;
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] */
void cmd_restore(struct conn *c, struct arg *argv, size_t argc)
{
	struct restore r = { .c = c, .key = &argv[1], .expire_ms = -1 };
	struct kc_rdb_err perr;
	long long ttl, v, idle = -1;
	bool abs = false;
	struct timespec ts;
	struct kc_op op;
	size_t i;
	int err;

	if (!key_ok(c, &argv[1]))
		return;
	/* Redis's order: options, BUSYKEY, the TTL, then the payload. */
	for (i = 4; i < argc; i++) {
		if (arg_eq(&argv[i], "replace")) {
			r.replace = true;
		} else if (arg_eq(&argv[i], "absttl")) {
			abs = true;
		} else if (arg_eq(&argv[i], "idletime") && i + 1 < argc) {
			if (!arg_ll(c, &argv[++i], &v))
				return;
			if (v < 0) {
				reply_err(c, "ERR Invalid IDLETIME value, must be >= 0");
				return;
			}
			idle = v;
		} else if (arg_eq(&argv[i], "freq") && i + 1 < argc) {
			if (!arg_ll(c, &argv[++i], &v))
				return;
			if (v < 0 || v > 255) {
				reply_err(c, "ERR Invalid FREQ value, must be >= 0 and <= 255");
				return;
			}
		} else {
			reply_err(c, "ERR syntax error");
			return;
		}
	}
	if (!r.replace) {
		kc_op_init(&op, KC_OP_EXISTS);
		kc_op_key(&op, argv[1].p, argv[1].len);
		if (!eng_do(E(c), &op)) {
			reply_err(c, "BUSYKEY Target key name already exists.");
			return;
		}
	}
	if (!arg_ll(c, &argv[2], &ttl))
		return;
	if (ttl < 0) {
		reply_err(c, "ERR Invalid TTL value, must be >= 0");
		return;
	}
	err = kc_rdb_parse_value(argv[3].p, argv[3].len, NULL, NULL, &perr);
	if (err == -EBADMSG && strstr(perr.msg, "version or checksum")) {
		reply_err(c, "ERR DUMP payload version or checksum are wrong");
		return;
	}
	if (err == -EOPNOTSUPP) {
		reply_err(c, "ERR Bad data format: kcache has no streams or modules");
		return;
	}
	if (err) {
		reply_err(c, "ERR Bad data format");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ttl) {
		long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

		r.expire_ms = abs ? ttl : now + ttl;
		if (r.expire_ms <= now) {
			/* already expired: Redis deletes (REPLACE) and says OK */
			if (r.replace) {
				kc_op_init(&op, KC_OP_DEL);
				kc_op_key(&op, argv[1].p, argv[1].len);
				if (!eng_do(E(c), &op))
					notify_key(c, E(c)->db, NF_GENERIC,
						   "del", argv[1].p,
						   argv[1].len);
			}
			resp_simple(&c->out, "OK");
			return;
		}
	}
	err = kc_rdb_parse_value(argv[3].p, argv[3].len, restore_item, &r,
				 &perr);
	if (err == -EEXIST) {
		reply_err(c, "BUSYKEY Target key name already exists.");
	} else if (err) {
		reply_kerr(&c->out, err);
	} else {
		if (idle >= 0) {
			/* OBJECT IDLETIME starts from it (the kernel's atime) */
			kc_op_init(&op, KC_OP_SETIDLE);
			kc_op_key(&op, argv[1].p, argv[1].len);
			op.num = idle;
			eng_do(E(c), &op);
		}
		resp_simple(&c->out, "OK");
		notify_key(c, E(c)->db, NF_GENERIC, "restore", argv[1].p,
			   argv[1].len);
	}
}
