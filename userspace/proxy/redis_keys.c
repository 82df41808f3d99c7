// SPDX-License-Identifier: GPL-2.0
/*
 * Key introspection and copying: OBJECT, MEMORY USAGE and COPY, and
 * value_read() for them and DUMP.  Each reads the whole value with one
 * kernel op (TYPE first, then GET, LRANGE,
 * HGETALL, SMEMBERS or ZRANGE WITHSCORES) and works on it here.
 *
 * OBJECT ENCODING answers what redis-server 7.0 would report for the same
 * value under the current encoding knobs (CONFIG SET hash-max-listpack-*
 * and friends): kcache itself has one representation per type, and
 * clients and their tests look for Redis's names.  Unlike Redis the
 * answer may go back to a compact encoding when a value shrinks.
 * OBJECT IDLETIME reads the item's last access time (whole seconds,
 * kept by the kernel; OBJECT itself is no access), OBJECT FREQ answers
 * Redis's error for a non-LFU policy: kcache keeps no access counter.  MEMORY USAGE counts kcache's own bytes: the
 * item header and key, plus the value or each element's header and data
 * (not the slab chunk's rounding).
 *
 * COPY is a read and a write of several ops: not atomic against another
 * client writing the destination meanwhile (documented in
 * kcache-proxy.rst), and refused inside MULTI.  With DB the write's ops
 * go to that database.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkcache.h"
#include "notify.h"
#include "proxy.h"
#include "redis.h"
#include "resp.h"

#define READ_ROOM	(64U << 10)
#define READ_TRIES	8
#define WRITE_CHUNK	1024
#define ITEM_HEADER	KC_ITEM_HEADER

static struct engine *E(struct conn *c)
{
	return &c->w->eng;
}

void value_free(struct value *v)
{
	free(v->buf);
	free(v->p);
	free(v->len);
	memset(v, 0, sizeof(*v));
}

/* One read op for type; a list and a zset are read from 0 to -1. */
static void read_op(struct kc_op *op, uint32_t type, const struct arg *k,
		    void *buf, size_t room, struct kc_buf *kb, int64_t *r)
{
	kc_op_init(op, kc_read_op(type));
	kc_op_key(op, k->p, k->len);
	kc_op_out(op, buf, room);
	if (type == KC_TYPE_HASH)
		hash_order(op);
	if (type == KC_TYPE_LIST) {
		op->num = 0;
		op->num2 = -1;
	} else if (type == KC_TYPE_ZSET) {
		r[0] = 0;
		r[1] = -1;
		kc_buf_set(&kb[0], &r[0], 8);
		kc_buf_set(&kb[1], &r[1], 8);
		kc_op_args(op, kb, 2);
		op->flags = KC_Z_WITHSCORES;
	}
}

/* Reads key whole.  -ENOENT when missing; retried when it changes type. */
int value_read(struct conn *c, const struct arg *k, struct value *v)
{
	size_t room = READ_ROOM;
	int tries, err = -EAGAIN;

	memset(v, 0, sizeof(*v));
	for (tries = 0; tries < READ_TRIES; tries++) {
		struct kc_elem_iter it;
		const struct kc_elem *el;
		const void *data;
		struct kc_buf kb[2];
		struct kc_op op;
		int64_t r[2];
		size_t n;

		kc_op_init(&op, KC_OP_TYPE);
		kc_op_key(&op, k->p, k->len);
		err = eng_do(E(c), &op);
		if (err)
			return err;
		v->type = (uint32_t)op.num;
		if (!kc_read_op(v->type))
			return -ENOENT;
		v->buf = malloc(room);
		if (!v->buf)
			return -ENOMEM;
		read_op(&op, v->type, k, v->buf, room, kb, r);
		err = eng_do(E(c), &op);
		if (err == -ENOSPC || err == -EPROTOTYPE || err == -ENOENT) {
			if (err == -ENOSPC)
				room = op.out_used + 4096;
			free(v->buf);
			v->buf = NULL;
			continue;
		}
		if (err) {
			value_free(v);
			return err;
		}
		n = v->type == KC_TYPE_STRING ? 1 : (size_t)op.num;
		v->p = calloc(n ? n : 1, sizeof(*v->p));
		v->len = calloc(n ? n : 1, sizeof(*v->len));
		if (!v->p || !v->len) {
			value_free(v);
			return -ENOMEM;
		}
		if (v->type == KC_TYPE_STRING) {
			v->p[0] = v->buf;
			v->len[0] = op.out_used;
			v->n = 1;
		} else {
			kc_elem_iter_init(&it, v->buf, op.out_used, n);
			while (v->n < n && (el = kc_elem_next(&it, &data))) {
				v->p[v->n] = data;
				v->len[v->n++] = el->len;
			}
			if (it.err || v->n != n) {
				value_free(v);
				return -EBADMSG;
			}
			/* A zset is member, score pairs; a score is 8 bytes. */
			for (n = 1; v->type == KC_TYPE_ZSET && n < v->n + 1;
			     n += 2) {
				if (n >= v->n || v->len[n] != 8) {
					value_free(v);
					return -EBADMSG;
				}
			}
		}
		kc_op_init(&op, KC_OP_TTL);
		kc_op_key(&op, k->p, k->len);
		op.flags = KC_TTL_ABS | KC_TTL_MS;
		err = eng_do(E(c), &op);
		if (err == -ENOENT) {
			value_free(v);
			return -ENOENT;	/* gone between the two reads */
		}
		if (err) {
			value_free(v);
			return err;
		}
		v->expire_ms = op.expire;
		return 0;
	}
	return err;
}

/* Reads key into v, or replies (nil when missing) and returns false. */
static bool value_or_reply(struct conn *c, const struct arg *k,
			   struct value *v)
{
	int err;

	if (!key_ok(c, k))
		return false;
	err = value_read(c, k, v);
	if (err == -ENOENT)
		resp_null(rout(c), c->proto);
	else if (err)
		reply_kerr(rout(c), err);
	return !err;
}

/* Redis's string2ll() acceptance: an integer kept as a number. */
static bool is_int(const void *p, size_t len)
{
	long long x;

	return len && len <= 20 && resp_str2ll(p, len, &x);
}

/* What redis-server 7.0 reports for this value (see the top comment). */
static const char *encoding(const struct value *v)
{
	long long entries, value_max;
	size_t i, step = 1;
	bool small = true;

	switch (v->type) {
	case KC_TYPE_STRING:
		if (is_int(v->p[0], v->len[0]))
			return "int";
		return v->len[0] <= 44 ? "embstr" : "raw";
	case KC_TYPE_LIST:
		return "quicklist";
	case KC_TYPE_SET:
		if ((long long)v->n > redis_param("set-max-intset-entries"))
			return "hashtable";
		for (i = 0; i < v->n; i++)
			if (!is_int(v->p[i], v->len[i]))
				return "hashtable";
		return "intset";
	case KC_TYPE_HASH:
		entries = redis_param("hash-max-listpack-entries");
		value_max = redis_param("hash-max-listpack-value");
		small = (long long)(v->n / 2) <= entries;
		break;
	case KC_TYPE_ZSET:
		entries = redis_param("zset-max-listpack-entries");
		value_max = redis_param("zset-max-listpack-value");
		small = (long long)(v->n / 2) <= entries;
		step = 2;	/* members only: scores are not bounded */
		break;
	default:
		return "unknown";
	}
	for (i = 0; small && i < v->n; i += step)
		small = (long long)v->len[i] <= value_max;
	if (v->type == KC_TYPE_HASH)
		return small ? "listpack" : "hashtable";
	return small ? "listpack" : "skiplist";
}

static const char *const object_help[] = {
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Print this help.",
};

static void help(struct conn *c, const char *const *lines, size_t n)
{
	size_t i;

	resp_array(rout(c), n);
	for (i = 0; i < n; i++)
		resp_simple(rout(c), lines[i]);
}

/*
 * Redis 7.0's errors for a container: an unknown subcommand, or a known one
 * (lower-case name in sub) with the wrong number of arguments.
 */
static bool sub_ok(struct conn *c, struct arg *argv, size_t argc,
		   const char *cmd, const char *const *subs, const int *arity)
{
	size_t i;

	for (i = 0; subs[i]; i++) {
		if (!arg_eq(&argv[1], subs[i]))
			continue;
		if (arity[i] > 0 ? argc == (size_t)arity[i] :
				   argc >= (size_t)-arity[i])
			return true;
		resp_errorf(rout(c), "ERR wrong number of arguments for '%s|%s' command",
			    cmd, subs[i]);
		return false;
	}
	resp_errorf(rout(c), "ERR unknown subcommand '%.*s'. Try %s HELP.",
		    (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].p,
		    cmd[0] == 'o' ? "OBJECT" : "MEMORY");
	return false;
}

/* OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, OBJECT HELP */
void cmd_object(struct conn *c, struct arg *argv, size_t argc)
{
	static const char *const subs[] = {
		"help", "encoding", "freq", "idletime", "refcount", NULL,
	};
	static const int arity[] = { 2, 3, 3, 3, 3 };
	struct value v;

	if (!sub_ok(c, argv, argc, "object", subs, arity))
		return;
	if (arg_eq(&argv[1], "help")) {
		help(c, object_help, sizeof(object_help) / sizeof(object_help[0]));
		return;
	}
	if (arg_eq(&argv[1], "idletime")) {
		struct kc_op op;
		int err;

		if (!key_ok(c, &argv[2]))
			return;
		/* TTL reports the idle seconds and is no access itself */
		kc_op_init(&op, KC_OP_TTL);
		kc_op_key(&op, argv[2].p, argv[2].len);
		err = eng_do(E(c), &op);
		if (err == -ENOENT)
			resp_null(rout(c), c->proto);
		else if (err)
			reply_kerr(rout(c), err);
		else
			resp_int(rout(c), op.num);
		return;
	}
	if (!value_or_reply(c, &argv[2], &v))
		return;
	if (arg_eq(&argv[1], "encoding"))
		resp_bulks(rout(c), encoding(&v));
	else if (arg_eq(&argv[1], "freq"))
		reply_err(c, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
	else
		resp_int(rout(c), 1);
	value_free(&v);
}

static const char *const memory_help[] = {
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Print this help.",
};

/* MEMORY USAGE key [SAMPLES count], MEMORY HELP */
void cmd_memory(struct conn *c, struct arg *argv, size_t argc)
{
	static const char *const subs[] = { "help", "usage", NULL };
	static const int arity[] = { 2, -3 };
	long long samples, bytes;
	struct value v;
	size_t i;

	if (!sub_ok(c, argv, argc, "memory", subs, arity))
		return;
	if (arg_eq(&argv[1], "help")) {
		help(c, memory_help, sizeof(memory_help) / sizeof(memory_help[0]));
		return;
	}
	for (i = 3; i < argc; i++) {
		if (arg_eq(&argv[i], "samples") && i + 1 < argc) {
			if (!arg_ll(c, &argv[++i], &samples))
				return;
			if (samples < 0) {
				reply_err(c, "ERR syntax error");
				return;
			}
		} else {
			reply_err(c, "ERR syntax error");
			return;
		}
	}
	if (!value_or_reply(c, &argv[2], &v))
		return;
	bytes = ITEM_HEADER + (long long)argv[2].len;
	for (i = 0; i < v.n; i++)
		bytes += (long long)v.len[i] +
			 (v.type == KC_TYPE_STRING ? 0 : ITEM_HEADER);
	resp_int(rout(c), bytes);
	value_free(&v);
}

static const uint32_t write_ops[] = {
	[KC_TYPE_LIST] = KC_OP_RPUSH,
	[KC_TYPE_HASH] = KC_OP_HSET,
	[KC_TYPE_SET] = KC_OP_SADD,
	[KC_TYPE_ZSET] = KC_OP_ZADD,
};

/* Writes v under key k (which does not exist), with its expiry. */
static int value_write(struct conn *c, const struct arg *k,
		       const struct value *v)
{
	struct kc_buf *args;
	struct kc_op op;
	size_t i = 0;
	int err = 0;

	if (v->type == KC_TYPE_STRING)
		return eng_store(E(c), KC_OP_ADD,
				 v->expire_ms >= 0 ? KC_TTL_ABS | KC_TTL_MS : 0,
				 k->p, k->len, v->p[0], v->len[0], 0,
				 v->expire_ms >= 0 ? v->expire_ms : 0, NULL);
	args = calloc(WRITE_CHUNK, sizeof(*args));
	if (!args)
		return -ENOMEM;
	while (!err && i < v->n) {
		size_t m = v->n - i < WRITE_CHUNK ? v->n - i : WRITE_CHUNK, j;
		char *packed = NULL;

		if (v->type == KC_TYPE_ZSET) {
			/* ZADD: one argument per pair, the score's 8 bytes first. */
			size_t bytes = 0, off = 0;

			for (j = 0; j < m; j += 2)
				bytes += 8 + v->len[i + j];
			packed = malloc(bytes ? bytes : 1);
			if (!packed) {
				err = -ENOMEM;
				break;
			}
			for (j = 0; j < m; j += 2) {
				memcpy(packed + off, v->p[i + j + 1], 8);
				memcpy(packed + off + 8, v->p[i + j], v->len[i + j]);
				kc_buf_set(&args[j / 2], packed + off,
					   8 + v->len[i + j]);
				off += 8 + v->len[i + j];
			}
		} else {
			for (j = 0; j < m; j++)
				kc_buf_set(&args[j], v->p[i + j], v->len[i + j]);
		}
		kc_op_init(&op, write_ops[v->type]);
		kc_op_key(&op, k->p, k->len);
		kc_op_args(&op, args, v->type == KC_TYPE_ZSET ? m / 2 : m);
		err = eng_do(E(c), &op);
		free(packed);
		i += m;
	}
	free(args);
	if (!err && v->expire_ms >= 0) {
		kc_op_init(&op, KC_OP_EXPIRE);
		kc_op_key(&op, k->p, k->len);
		op.flags = KC_TTL_ABS | KC_TTL_MS;
		op.expire = v->expire_ms;
		err = eng_do(E(c), &op);
	}
	return err;
}

/*
 * COPY's write: v under dst in database db (the engine's again after).
 * -EEXIST when dst exists there without REPLACE, or was written meanwhile
 * by another client.
 */
static int copy_to(struct conn *c, uint32_t db, const struct arg *dst,
		   const struct value *v, bool replace)
{
	struct engine *e = E(c);
	uint32_t was = e->db;
	struct kc_op op;
	int err;

	e->db = db;
	kc_op_init(&op, replace ? KC_OP_DEL : KC_OP_EXISTS);
	kc_op_key(&op, dst->p, dst->len);
	err = eng_do(e, &op);
	if (!err && !replace)
		err = -EEXIST;
	else if (!err || err == -ENOENT)
		err = value_write(c, dst, v);
	e->db = was;
	return err;
}

/* COPY source destination [DB destination-db] [REPLACE] */
void cmd_copy(struct conn *c, struct arg *argv, size_t argc)
{
	bool replace = false;
	uint32_t db = c->db;
	struct value v;
	size_t i;
	int err;

	for (i = 3; i < argc; i++) {
		if (arg_eq(&argv[i], "replace")) {
			replace = true;
		} else if (arg_eq(&argv[i], "db") && i + 1 < argc) {
			if (!db_arg(c, &argv[++i], &db))
				return;
		} else {
			reply_err(c, "ERR syntax error");
			return;
		}
	}
	if (!key_ok(c, &argv[1]) || !key_ok(c, &argv[2]))
		return;
	if (db == c->db && argv[1].len == argv[2].len &&
	    !memcmp(argv[1].p, argv[2].p, argv[1].len)) {
		reply_err(c, "ERR source and destination objects are the same");
		return;
	}
	err = value_read(c, &argv[1], &v);
	if (err == -ENOENT) {
		resp_int(rout(c), 0);
		return;
	}
	if (err) {
		reply_kerr(rout(c), err);
		return;
	}
	err = copy_to(c, db, &argv[2], &v, replace);
	if (err == -EEXIST) {
		resp_int(rout(c), 0);
	} else if (err) {
		reply_kerr(rout(c), err);
	} else {
		resp_int(rout(c), 1);
		notify_key(c, db, NF_GENERIC, "copy_to", argv[2].p,
			   argv[2].len);
	}
	value_free(&v);
}
