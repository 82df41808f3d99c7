/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Redis commands: the table (redis.c) and the handlers of the data
 * commands (redis_data.c).  A handler plans kernel operations into the
 * worker's engine and names the function that writes the reply once they
 * ran; commands that need answers before they can go on (INCRBYFLOAT,
 * WATCH, EXEC, KEYS, PUBLISH) are marked RX_SYNC and make their own kernel
 * calls after the engine was flushed.
 */
#ifndef KCP_REDIS_H
#define KCP_REDIS_H

#include "conn.h"

typedef void (*redis_fn)(struct conn *c, struct arg *argv, size_t argc);

/* Redis's command flags (COMMAND INFO). */
enum {
	RF_WRITE = 1 << 0, RF_READONLY = 1 << 1, RF_DENYOOM = 1 << 2,
	RF_ADMIN = 1 << 3, RF_PUBSUB = 1 << 4, RF_NOSCRIPT = 1 << 5,
	RF_LOADING = 1 << 6, RF_STALE = 1 << 7, RF_FAST = 1 << 8,
	RF_NOAUTH = 1 << 9, RF_NOMULTI = 1 << 10,
	RF_MOVABLE = 1 << 11,	/* keys not given by first/last/step */
};

/* How the proxy runs it. */
enum {
	RX_SYNC = 1 << 0,	/* flush the engine, then run (own ioctls) */
	RX_NOTXN = 1 << 1,	/* cannot be queued by MULTI */
	RX_TXCTL = 1 << 2,	/* runs even inside MULTI (EXEC, DISCARD, ...) */
	RX_SUBOK = 1 << 3,	/* allowed to a RESP2 client that subscribed */
	RX_SUBCMD = 1 << 4,	/* a container: its name is "name|subcommand" */
};

struct redis_cmd {
	const char *name;
	int arity;
	unsigned flags;		/* RF_* */
	int first, last, step;	/* key positions */
	redis_fn fn;
	unsigned x;		/* RX_* */
	const char *group;
	const char *summary;
};

size_t redis_command_count(void);
bool arg_eq(const struct arg *a, const char *s);	/* case-insensitive */
/* Reply target for the current command (see eng_out()). */
struct buf *rout(struct conn *c);
void reply_err(struct conn *c, const char *msg);
void reply_kerr(struct buf *o, int err);	/* a kernel result */
/* A result stored in one transaction: its first error, or r->a (redis_sort.c). */
void r_stored_count(struct conn *c, struct rec *r, struct kc_op *ops);
void reply_count_too_big(struct buf *o);	/* a negative RAND count past 64 MiB */
bool key_ok(struct conn *c, const struct arg *k);
/* key_ok() with the error reply into o. */
bool key_check(struct buf *o, const struct arg *k);
bool arg_ll(struct conn *c, const struct arg *a, long long *v);
bool db_arg(struct conn *c, const struct arg *a, uint32_t *db);
bool nargs_ok(struct conn *c, size_t n);
/*
 * A variadic command past KC_ARGS_MAX arguments: big_begin() before its
 * handler plans its one op (it starts a kernel transaction unless EXEC's
 * is collecting), big_end() right after: the op becomes one op per
 * KC_ARGS_MAX arguments, run as that one transaction, and the reply is
 * the chunks' replies combined.
 */
bool big_begin(struct conn *c, size_t *mark);
void big_end(struct conn *c, bool own, size_t mark);
char *arg_lower(const struct arg *a, char *dst, size_t n);
char *memdupz(const void *p, size_t len);
/* A key's CAS version and type (KC_OP_EXISTS, now, in the engine's db). */
int key_version(struct conn *c, const void *key, size_t klen, uint64_t *cas,
		uint32_t *type);

/* redis_data.c */
void cmd_get(struct conn *, struct arg *, size_t);
void cmd_set(struct conn *, struct arg *, size_t);
void cmd_setnx(struct conn *, struct arg *, size_t);
void cmd_setex(struct conn *, struct arg *, size_t);
void cmd_psetex(struct conn *, struct arg *, size_t);
void cmd_getset(struct conn *, struct arg *, size_t);
void cmd_getdel(struct conn *, struct arg *, size_t);
void cmd_getex(struct conn *, struct arg *, size_t);
void cmd_mget(struct conn *, struct arg *, size_t);
void cmd_mset(struct conn *, struct arg *, size_t);
void cmd_msetnx(struct conn *, struct arg *, size_t);
void cmd_append(struct conn *, struct arg *, size_t);
void cmd_strlen(struct conn *, struct arg *, size_t);
void cmd_incr(struct conn *, struct arg *, size_t);
void cmd_decr(struct conn *, struct arg *, size_t);
void cmd_incrby(struct conn *, struct arg *, size_t);
void cmd_decrby(struct conn *, struct arg *, size_t);
void cmd_incrbyfloat(struct conn *, struct arg *, size_t);
void cmd_getrange(struct conn *, struct arg *, size_t);
void cmd_setrange(struct conn *, struct arg *, size_t);
void cmd_getbit(struct conn *, struct arg *, size_t);
void cmd_setbit(struct conn *, struct arg *, size_t);
void cmd_del(struct conn *, struct arg *, size_t);
void cmd_exists(struct conn *, struct arg *, size_t);
void cmd_expire(struct conn *, struct arg *, size_t);
void cmd_ttl(struct conn *, struct arg *, size_t);
void cmd_expiretime(struct conn *, struct arg *, size_t);
void cmd_touch(struct conn *, struct arg *, size_t);
void cmd_persist(struct conn *, struct arg *, size_t);
void cmd_type(struct conn *, struct arg *, size_t);
void cmd_flushdb(struct conn *, struct arg *, size_t);
void cmd_dbsize(struct conn *, struct arg *, size_t);
void cmd_move(struct conn *, struct arg *, size_t);
void cmd_swapdb(struct conn *, struct arg *, size_t);

/* redis_lcs.c */
void cmd_lcs(struct conn *, struct arg *, size_t);

/* redis_sort.c */
void cmd_sort(struct conn *, struct arg *, size_t);
void cmd_sort_ro(struct conn *, struct arg *, size_t);

/*
 * Commands that read before they write (INCRBYFLOAT, HINCRBYFLOAT,
 * ZRANGESTORE, ZMPOP and the blocking sorted-set pops) cannot put their
 * reads in a kernel transaction.  Each is prepared first: it reads what
 * it needs and records each key read with the CAS version it had (0:
 * missing), and its plan then puts only the writes in the transaction,
 * with those keys watched: if one changed meanwhile nothing runs, and the
 * command is prepared again.  EXEC prepares every queued one before its
 * transaction; run alone, txpre_run() gives it a transaction of its own.
 */
struct txpre {
	int kerr;		/* a read failed (-errno): the reply */
	const char *err;	/* a Redis error reply */
	bool conflict;		/* an earlier queued command writes a key read */
	struct kc_watch *w;	/* the keys read, at the versions read */
	uint32_t nw, wcap;
	char *out;		/* what was read or computed (the command's) */
	size_t olen;
	char **keys;		/* copies of keys in w the command made up */
	uint32_t nkeys;
	int64_t num;		/* the command's own number */
};

/* EXEC's queue as a prepare sees it: commands 0 .. i - 1 run before it. */
struct txq {
	struct conn *c;
	const uint32_t *dbs;	/* each queued command's database */
	struct txpre *pre;	/* each one's preparation */
	size_t i;		/* the one prepared (0 with no queue: alone) */
};

typedef bool (*txpre_fn)(const struct txq *q, struct arg *argv, size_t argc,
			 struct txpre *p);	/* false: out of memory */
typedef void (*txplan_fn)(struct conn *c, struct arg *argv, size_t argc,
			  const struct txpre *p);

/*
 * The last queued command before index before (< q->i) that may write
 * key in the prepared command's database, or -1.
 */
long txq_writer(const struct txq *q, const struct arg *key, long before);
/*
 * The state of key for the prepared command, as read now: missing (cas
 * 0), existing (*cas, *type), or written by an earlier queued command
 * (unknown until the transaction runs; a key missing now that earlier
 * commands only remove from is still missing); or -errno.
 */
enum { KS_MISSING, KS_EXISTS, KS_WRITTEN };
int txq_key_state(const struct txq *q, const struct arg *key, uint64_t *cas,
		  uint32_t *type);
/* Is queued command j the same command as the prepared one? */
bool txq_same(const struct txq *q, long j);
struct arg *txq_argv(const struct txq *q, long j);
/* Records key of the prepared command's database as read at cas. */
bool txpre_watch(struct txpre *p, const struct txq *q, const void *key,
		 size_t klen, uint64_t cas);
void txpre_free(struct txpre *p);
/* Prepares and plans one command in a transaction of its own, retried. */
void txpre_run(struct conn *c, struct arg *argv, size_t argc,
	       txpre_fn prepare, txplan_fn plan, const char *name);

bool incrbyfloat_prepare(const struct txq *q, struct arg *argv, size_t argc,
			 struct txpre *p);
void incrbyfloat_plan(struct conn *c, struct arg *argv, size_t argc,
		      const struct txpre *p);
void cmd_hincrbyfloat(struct conn *, struct arg *, size_t);
bool hincrbyfloat_prepare(const struct txq *q, struct arg *argv, size_t argc,
			  struct txpre *p);
void hincrbyfloat_plan(struct conn *c, struct arg *argv, size_t argc,
		       const struct txpre *p);

/* redis_bits.c */
void cmd_bitcount(struct conn *, struct arg *, size_t);
void cmd_bitpos(struct conn *, struct arg *, size_t);
void cmd_bitop(struct conn *, struct arg *, size_t);
bool sort_prepare(const struct txq *q, struct arg *argv, size_t argc,
		  struct txpre *p);
void sort_plan(struct conn *c, struct arg *argv, size_t argc,
	       const struct txpre *p);
bool bitop_prepare(const struct txq *q, struct arg *argv, size_t argc,
		   struct txpre *p);
void bitop_plan(struct conn *c, struct arg *argv, size_t argc,
		const struct txpre *p);
void cmd_bitfield(struct conn *, struct arg *, size_t);
void cmd_bitfield_ro(struct conn *, struct arg *, size_t);
/* Can this BITFIELD write (a SET or INCRBY)?  MULTI's conflicts ask. */
bool bitfield_writes(const struct arg *argv, size_t argc);
bool bitfield_prepare(const struct txq *q, struct arg *argv, size_t argc,
		      struct txpre *p);
void bitfield_plan(struct conn *c, struct arg *argv, size_t argc,
		   const struct txpre *p);

/* redis_types.c */
void cmd_push(struct conn *, struct arg *, size_t);
void cmd_pop(struct conn *, struct arg *, size_t);
void cmd_lrange(struct conn *, struct arg *, size_t);
void cmd_ltrim(struct conn *, struct arg *, size_t);
void cmd_len(struct conn *, struct arg *, size_t);
void cmd_lindex(struct conn *, struct arg *, size_t);
void cmd_lset(struct conn *, struct arg *, size_t);
void cmd_lrem(struct conn *, struct arg *, size_t);
void cmd_linsert(struct conn *, struct arg *, size_t);
void cmd_hset(struct conn *, struct arg *, size_t);
void cmd_field(struct conn *, struct arg *, size_t);
void cmd_mfield(struct conn *, struct arg *, size_t);
void cmd_hdel(struct conn *, struct arg *, size_t);
void cmd_getall(struct conn *, struct arg *, size_t);
void cmd_hincrby(struct conn *, struct arg *, size_t);
void cmd_smove(struct conn *, struct arg *, size_t);
void cmd_salgebra(struct conn *, struct arg *, size_t);
void cmd_sintercard(struct conn *, struct arg *, size_t);
void cmd_lpos(struct conn *, struct arg *, size_t);
void cmd_hrandfield(struct conn *, struct arg *, size_t);
void cmd_rename(struct conn *, struct arg *, size_t);

/* redis_zset.c */
void cmd_zadd(struct conn *, struct arg *, size_t);
void cmd_zincrby(struct conn *, struct arg *, size_t);
void cmd_zrem(struct conn *, struct arg *, size_t);
void cmd_zcard(struct conn *, struct arg *, size_t);
void cmd_zrank(struct conn *, struct arg *, size_t);
void cmd_zmscore(struct conn *, struct arg *, size_t);
void cmd_zrange(struct conn *, struct arg *, size_t);
void cmd_zrevrange(struct conn *, struct arg *, size_t);
void cmd_zrangeby(struct conn *, struct arg *, size_t);
void cmd_zcount(struct conn *, struct arg *, size_t);
void cmd_zremrange(struct conn *, struct arg *, size_t);
void cmd_zpop(struct conn *, struct arg *, size_t);
void cmd_zrandmember(struct conn *, struct arg *, size_t);
void cmd_zcombine(struct conn *, struct arg *, size_t);
void cmd_zintercard(struct conn *, struct arg *, size_t);
void cmd_zrangestore(struct conn *, struct arg *, size_t);
bool zrangestore_prepare(const struct txq *q, struct arg *argv, size_t argc,
			 struct txpre *p);
void zrangestore_plan(struct conn *c, struct arg *argv, size_t argc,
		      const struct txpre *p);
void cmd_zmpop(struct conn *, struct arg *, size_t);
bool zmpop_prepare(const struct txq *q, struct arg *argv, size_t argc,
		   struct txpre *p);
void zmpop_plan(struct conn *c, struct arg *argv, size_t argc,
		const struct txpre *p);

/* ZMPOP and the blocking pops (blocking.c) share its parts. */
struct zmpop {
	struct arg *keys;
	size_t nkeys;
	bool max;
	long long count;
};

/* Reply forms: ZMPOP's [key, [[member, score], ...]], BZPOPMIN's [key, member, score]. */
enum { ZM_MPOP, ZM_BPOP };

const char *zmpop_parse(struct arg *argv, size_t argc, size_t at,
			struct zmpop *z);
bool zmpop_keys_ok(struct conn *c, const struct zmpop *z);
bool zmpop_prepare_keys(const struct txq *q, const struct zmpop *z,
			struct txpre *p);
void zmpop_plan_keys(struct conn *c, const struct zmpop *z, int form,
		     const struct txpre *p);
/*
 * Pops from the first of keys that exists, atomically, outside a
 * transaction: 0 (op holds the reply, in *out, from keys[*which]),
 * -ENOENT (every key missing), -ECANCELED (the keys kept changing), or
 * another -errno.  *out is the caller's to free.
 */
int zset_mpop(struct conn *c, const struct arg *keys, size_t n, bool max,
	      long long count, struct kc_op *op, void **out, size_t *which);
/* Writes zset_mpop()'s answer but for -ENOENT (then returns 0). */
int zset_mpop_answer(struct conn *c, struct buf *o, const struct arg *keys,
		     int err, const struct kc_op *op, size_t which, int form,
		     const char *name);
void zset_mpop_reply(struct buf *o, int proto, const struct arg *key,
		     const struct kc_op *op, int form);
struct rec;
size_t zset_score_str(const void *bits, char *s, size_t n);
struct kc_op *zset_plan_all(struct conn *c, struct rec *r);

/* redis_scan.c */
void cmd_scan(struct conn *, struct arg *, size_t);
void cmd_keys(struct conn *, struct arg *, size_t);
void cmd_randomkey(struct conn *, struct arg *, size_t);
uint64_t rnd(void);	/* xorshift64, per thread: not for secrets */
void cmd_xscan(struct conn *, struct arg *, size_t);

/* redis_server.c */
void redis_config_init(void);
/* maxmemory-policy: noeviction or allkeys-lru, as the instance is set. */
const char *redis_policy(int fd);
/* CONFIG SET maxmemory under kcache's minimum: every write is refused. */
bool config_oom(void);
/* maxmemory as CONFIG GET shows it when not the kernel's limit, or -1. */
long long config_maxmemory_shown(void);
long long redis_param(const char *name);
/* Asks a whole-hash op for a small hash's insertion order. */
void hash_order(struct kc_op *op);
/* A key's whole value: elements (a string is one), its type and TTL. */
struct value {
	uint32_t type;
	void *buf;
	const void **p;
	uint32_t *len;
	size_t n;
	int64_t expire_ms;	/* unix time in ms, or -1 */
};

int value_read(struct conn *c, const struct arg *k, struct value *v);
void value_free(struct value *v);
void cmd_object(struct conn *, struct arg *, size_t);
void cmd_memory(struct conn *, struct arg *, size_t);
void cmd_copy(struct conn *, struct arg *, size_t);
void cmd_config(struct conn *, struct arg *, size_t);
void cmd_function(struct conn *, struct arg *, size_t);
void cmd_script(struct conn *, struct arg *, size_t);
void cmd_eval(struct conn *, struct arg *, size_t);
void cmd_wait(struct conn *, struct arg *, size_t);
void cmd_debug(struct conn *, struct arg *, size_t);
void cmd_slowlog(struct conn *, struct arg *, size_t);
void cmd_latency(struct conn *, struct arg *, size_t);

/* redis_persist.c */
void cmd_dump(struct conn *, struct arg *, size_t);
void cmd_restore(struct conn *, struct arg *, size_t);

/* save.c */
void cmd_save(struct conn *, struct arg *, size_t);
void cmd_bgsave(struct conn *, struct arg *, size_t);
void cmd_lastsave(struct conn *, struct arg *, size_t);
void cmd_shutdown(struct conn *, struct arg *, size_t);

/* pubsub.c */
void cmd_subscribe(struct conn *, struct arg *, size_t);
void cmd_unsubscribe(struct conn *, struct arg *, size_t);
void cmd_psubscribe(struct conn *, struct arg *, size_t);
void cmd_punsubscribe(struct conn *, struct arg *, size_t);
void cmd_publish(struct conn *, struct arg *, size_t);
void cmd_pubsub(struct conn *, struct arg *, size_t);

#endif /* KCP_REDIS_H */
