/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Containers: lists, hashes, sets and sorted sets.  A container is a keyed item whose
 * value holds a struct kc_cont; its elements are items of type
 * KC_TYPE_ELEM taken from the same slab classes, so they count against
 * the memory limit like everything else.
 *
 * Locking: cont->lock (a mutex) protects the elements, len and the bucket
 * table; kcache.h has the complete rules.
 */
#ifndef _KC_CONTAINER_H
#define _KC_CONTAINER_H

#include <linux/mutex.h>
#include <linux/rbtree.h>
#include "kcache.h"
#include "req.h"

struct kc_cont {
	struct mutex lock;		/* see the rules above */
	u64 len;			/* elements */
	struct list_head list;		/* list: the elements in order */
	struct kc_item *table;		/* hash/set: bucket array */
	u32 nbuckets;			/* hash/set/zset: a power of two */
	u32 maxchain;			/* hash/set: no chain is longer (0: not known) */
	u32 seq;			/* hash/set: the last insertion's number */
	struct rb_root zroot;		/* zset: members by score (zset.c) */
};

static inline struct kc_cont *kc_cont(struct kc_item *it)
{
	return PTR_ALIGN((struct kc_cont *)kc_item_value(it),
			 __alignof__(struct kc_cont));
}

static inline bool kc_is_cont(u8 type)
{
	return type == KC_TYPE_LIST || type == KC_TYPE_HASH ||
	       type == KC_TYPE_SET || type == KC_TYPE_ZSET;
}

/* Element bytes: for a hash, the field then the value; else the member. */
static inline char *kc_elem_data(struct kc_item *e)
{
	return kc_item_value(e);
}

static inline u32 kc_elem_klen(struct kc_item *e)
{
	return e->client_flags;
}

static inline void kc_elem_set_owner(struct kc_item *e, struct kc_item *owner)
{
	WRITE_ONCE(e->owner, owner);
}

void kc_cont_init(void);
struct kc_item *kc_cont_new(struct kc_cache *kc, u8 db, const char *key, u32 nkey, u8 type);
struct kc_item *kc_cont_get(struct kc_cache *kc, u8 db, const char *key, u32 nkey,
			    u8 type, bool create, int *err);
struct kc_item *kc_cont_ref(struct kc_cache *kc, u8 db, const char *key, u32 nkey,
			    u8 type, int *err);
void kc_cont_done(struct kc_item *it, bool changed);
void kc_cont_free(struct kc_item *it);
int kc_cont_move(struct kc_item *from, struct kc_item *to);

struct kc_item *kc_elem_alloc(struct kc_cache *kc, u32 len, u32 klen);
int kc_elem_alloc_arg(struct kc_op *op, u32 i, struct kc_item **ep);

struct kc_item *kc_cont_find(struct kc_item *it, const void *key, u32 klen);
struct kc_item *kc_cont_find_arg(struct kc_op *op, struct kc_item *it, u32 i,
				 int *err);
int kc_cont_reserve(struct kc_item *it, u64 n);
int kc_cont_insert(struct kc_item *it, struct kc_item *e);
void __kc_cont_remove(struct kc_item *it, struct kc_item *e, bool shrink);
void kc_cont_shrink(struct kc_item *it);

static inline void kc_cont_remove(struct kc_item *it, struct kc_item *e)
{
	__kc_cont_remove(it, e, true);
}

struct kc_item *kc_cont_random(struct kc_item *it);
int kc_cont_snapshot(struct kc_reply *r, struct kc_item *it,
		     struct kc_snap_rec *h, u32 hsize);
int kc_zset_snapshot(struct kc_reply *r, struct kc_item *it);

static inline struct kc_item **kc_cont_buckets(struct kc_cont *c)
{
	return (struct kc_item **)PTR_ALIGN(kc_item_value(c->table),
					    sizeof(void *));
}

/* The next element of a hash or set after e (NULL: the first) in bucket
 * order; *b is the bucket of the returned element.
 */
static inline struct kc_item *kc_cont_next(struct kc_cont *c,
					   struct kc_item *e, u32 *b)
{
	if (e && e->chain)
		return e->chain;
	for (*b = e ? *b + 1 : 0; *b < c->nbuckets; (*b)++)
		if (kc_cont_buckets(c)[*b])
			return kc_cont_buckets(c)[*b];
	return NULL;
}

/* ops of list.c, hash.c, set.c and zset.c */
/* LLEN, HLEN, SCARD, ZCARD: the element count -> num. */
int kc_op_cont_len(struct kc_op *op, const char *key);
int kc_op_lpush(struct kc_op *op, const char *key);
int kc_op_rpush(struct kc_op *op, const char *key);
int kc_op_lpop(struct kc_op *op, const char *key);
int kc_op_rpop(struct kc_op *op, const char *key);
int kc_op_lrange(struct kc_op *op, const char *key);
int kc_op_lindex(struct kc_op *op, const char *key);
int kc_op_lset(struct kc_op *op, const char *key);
int kc_op_lrem(struct kc_op *op, const char *key);
int kc_op_ltrim(struct kc_op *op, const char *key);
int kc_op_linsert(struct kc_op *op, const char *key);
int kc_op_lmove(struct kc_op *op, const char *key);
int kc_op_lmpop(struct kc_op *op, const char *unused);
int kc_op_hset(struct kc_op *op, const char *key);
int kc_op_hget(struct kc_op *op, const char *key);
int kc_op_hmget(struct kc_op *op, const char *key);
int kc_op_hdel(struct kc_op *op, const char *key);
int kc_op_hexists(struct kc_op *op, const char *key);
int kc_op_hgetall(struct kc_op *op, const char *key);
int kc_op_hincrby(struct kc_op *op, const char *key);
int kc_op_hstrlen(struct kc_op *op, const char *key);
int kc_op_sadd(struct kc_op *op, const char *key);
int kc_op_srem(struct kc_op *op, const char *key);
int kc_op_smembers(struct kc_op *op, const char *key);
int kc_op_sismember(struct kc_op *op, const char *key);
int kc_op_smismember(struct kc_op *op, const char *key);
int kc_op_spop(struct kc_op *op, const char *key);
int kc_op_srandmember(struct kc_op *op, const char *key);
int kc_smove(struct kc_op *op, const char *key);
int kc_set_algebra(struct kc_op *op, const char *key);
int kc_cont_store(struct kc_op *op, const char *key, struct kc_item *set);
int kc_zset_combine(struct kc_op *op, const char *key);
int kc_op_zadd(struct kc_op *op, const char *key);
int kc_op_zrem(struct kc_op *op, const char *key);
int kc_op_zmscore(struct kc_op *op, const char *key);
int kc_op_zrank(struct kc_op *op, const char *key);
int kc_op_zrange(struct kc_op *op, const char *key);
int kc_op_zrandmember(struct kc_op *op, const char *key);

#endif /* _KC_CONTAINER_H */
