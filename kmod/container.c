// SPDX-License-Identifier: GPL-2.0
/*
 * Containers (lists, hashes, sets) and their elements.  See container.h
 * for the locking rules.  The hash and set index is a chained table of
 * power-of-two size kept in an element chunk of its own, grown when full
 * and shrunk when an eighth full, under the container's mutex.
 */
#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/err.h>
#include "container.h"
#include "netlink.h"

#define KC_MIN_BUCKETS	8
#define KC_MAX_BUCKETS	BIT(26)

static u32 elem_seed __read_mostly;

void kc_cont_init(void)
{
	elem_seed = get_random_u32();
}

static u32 elem_hash(const void *key, u32 klen)
{
	return jhash(key, klen, elem_seed);
}

/* Allocates an empty container, not linked yet, with one reference. */
struct kc_item *kc_cont_new(struct kc_cache *kc, u8 db, const char *key, u32 nkey, u8 type)
{
	struct kc_item *it;
	struct kc_cont *c;

	it = kc_item_alloc(kc, db, key, nkey, sizeof(*c) + __alignof__(*c));
	if (IS_ERR(it))
		return it;
	it->type = type;
	c = kc_cont(it);
	mutex_init(&c->lock);
	c->len = 0;
	INIT_LIST_HEAD(&c->list);
	c->table = NULL;
	c->nbuckets = 0;
	c->maxchain = 0;
	c->zroot = RB_ROOT;
	return it;
}

/*
 * Returns the container for key, locked and with a reference, creating an
 * empty one when create is set.  *err: -ENOENT (missing), -EPROTOTYPE
 * (another type), -ENOMEM; NULL is returned then.
 */
struct kc_item *kc_cont_get(struct kc_cache *kc, u8 db, const char *key, u32 nkey,
			    u8 type, bool create, int *err)
{
	struct kc_item *it;
	struct kc_cont *c;

retry:
	it = kc_item_get(kc, db, key, nkey, true);
	if (it) {
		if (it->type != type) {
			kc_item_put(it);
			*err = -EPROTOTYPE;
			return NULL;
		}
		c = kc_cont(it);
		mutex_lock(&c->lock);
		if (READ_ONCE(it->state) != KC_ITEM_LINKED) {
			mutex_unlock(&c->lock);
			kc_item_put(it);
			goto retry;
		}
		return it;
	}
	if (!create) {
		*err = -ENOENT;
		return NULL;
	}
	it = kc_cont_new(kc, db, key, nkey, type);
	if (IS_ERR(it)) {
		*err = PTR_ERR(it);
		return NULL;
	}
	c = kc_cont(it);
	mutex_lock(&c->lock);
	*err = kc_item_publish(NULL, it, 0, 0);
	if (*err) {
		mutex_unlock(&c->lock);
		kc_item_put(it);
		if (*err == -EEXIST)
			goto retry;
		return NULL;
	}
	return it;
}

/*
 * Returns the container for key with a reference and unlocked (exclusive
 * operations), or NULL: *err is 0 for a missing key, -EPROTOTYPE for one
 * of another type.
 */
struct kc_item *kc_cont_ref(struct kc_cache *kc, u8 db, const char *key, u32 nkey, u8 type,
			    int *err)
{
	struct kc_item *it = kc_item_get(kc, db, key, nkey, true);

	*err = 0;
	if (it && it->type != type) {
		kc_item_put(it);
		*err = -EPROTOTYPE;
		return NULL;
	}
	return it;
}

/*
 * Ends an operation on a container from kc_cont_get(): a change gives it a
 * new CAS version, and an empty container disappears.  Unlocks, puts.
 */
void kc_cont_done(struct kc_item *it, bool changed)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_cont *c = kc_cont(it);
	enum kc_event ev = KC_EVENT_NONE;

	if (changed || !c->len) {
		spin_lock(&it->lock);
		if (it->state == KC_ITEM_LINKED) {
			if (!c->len)
				__kc_item_unlink(it);
			else
				WRITE_ONCE(it->cas, kc_next_cas(kc));
			if (changed)
				ev = c->len ? KC_EVENT_SET : KC_EVENT_DEL;
		}
		spin_unlock(&it->lock);
	}
	mutex_unlock(&c->lock);
	if (ev)
		kc_notify(kc, ev, it->db, kc_item_key(it), it->nkey);
	kc_item_put(it);
}

/* LLEN, HLEN, SCARD, ZCARD: the container's element count -> num. */
int kc_op_cont_len(struct kc_op *op, const char *key)
{
	struct kc_item *it;
	u8 type;
	int err;

	switch (op->opcode) {
	case KC_OP_LLEN:
		type = KC_TYPE_LIST;
		break;
	case KC_OP_HLEN:
		type = KC_TYPE_HASH;
		break;
	case KC_OP_SCARD:
		type = KC_TYPE_SET;
		break;
	default:
		type = KC_TYPE_ZSET;
		break;
	}
	it = kc_cont_get(kc_op_cache(op), kc_op_db(op), key, op->key_len, type, false, &err);
	if (!it)
		return err;
	op->num = kc_cont(it)->len;
	kc_cont_done(it, false);
	return 0;
}

/* Allocates an element of len bytes whose first klen bytes are its key. */
struct kc_item *kc_elem_alloc(struct kc_cache *kc, u32 len, u32 klen)
{
	struct kc_item *e = kc_item_alloc_any(kc, 0, "", 0, len);

	if (IS_ERR(e))
		return e;
	e->owner = NULL;
	e->client_flags = klen;
	e->chain = NULL;
	/* Pairs with the acquire in chunk_owner(): owner is set first. */
	smp_store_release(&e->type, KC_TYPE_ELEM);
	return e;
}

/* Allocates an element holding the bytes of op->args[i]. */
int kc_elem_alloc_arg(struct kc_op *op, u32 i, struct kc_item **ep)
{
	struct kc_cache *kc = kc_op_cache(op);
	struct kc_item *e;
	struct kc_buf b;
	int err;

	err = kc_read_arg(op, i, &b);
	if (err)
		return err;
	if (b.len > kc_item_size_max(kc))
		return -E2BIG;
	e = kc_elem_alloc(kc, b.len, b.len);
	if (IS_ERR(e))
		return PTR_ERR(e);
	err = kc_copy_in(op, kc_elem_data(e), b.ptr, b.len);
	if (err) {
		kc_item_put(e);
		return err;
	}
	*ep = e;
	return 0;
}

/* Frees a container whose last reference is gone: no lock needed. */
void kc_cont_free(struct kc_item *it)
{
	struct kc_cont *c = kc_cont(it);
	struct kc_item *e, *tmp;
	u64 n = 0;
	u32 i;

	might_sleep();
	list_for_each_entry_safe(e, tmp, &c->list, lru) {
		list_del(&e->lru);
		kc_elem_set_owner(e, NULL);
		kc_item_put(e);
		if (!(++n & 255))
			cond_resched();
	}
	if (c->table) {
		struct kc_item **b = kc_cont_buckets(c);

		for (i = 0; i < c->nbuckets; i++) {
			while ((e = b[i])) {
				b[i] = e->chain;
				kc_elem_set_owner(e, NULL);
				kc_item_put(e);
				if (!(++n & 255))
					cond_resched();
			}
		}
		kc_elem_set_owner(c->table, NULL);
		kc_item_put(c->table);
		c->table = NULL;
	}
	c->len = 0;
	mutex_destroy(&c->lock);
}

/*
 * Hands every element of from over to the empty container to, of the same
 * type (RENAME).  Caller holds both keys' stripes exclusively.
 */
int kc_cont_move(struct kc_item *from, struct kc_item *to)
{
	struct kc_cache *kc = kc_item_cache(from);
	struct kc_cont *cf = kc_cont(from), *ct = kc_cont(to);
	struct kc_item *e;
	u32 i;

	kc_key_assert_held(kc, kc_item_key(from), from->nkey, true);
	kc_key_assert_held(kc, kc_item_key(to), to->nkey, true);
	i = 0;
	list_splice_init(&cf->list, &ct->list);
	list_for_each_entry(e, &ct->list, lru) {
		kc_elem_set_owner(e, to);
		if (!(++i & 1023))
			cond_resched();
	}
	ct->table = cf->table;
	ct->nbuckets = cf->nbuckets;
	ct->maxchain = cf->maxchain;
	cf->table = NULL;
	cf->nbuckets = 0;
	cf->maxchain = 0;
	if (ct->table) {
		kc_elem_set_owner(ct->table, to);
		u32 n = 0;

		for (e = kc_cont_next(ct, NULL, &i); e;
		     e = kc_cont_next(ct, e, &i)) {
			kc_elem_set_owner(e, to);
			if (!(++n & 1023))
				cond_resched();
		}
	}
	/* No node points at the root holder: the tree moves as it is. */
	ct->zroot = cf->zroot;
	cf->zroot = RB_ROOT;
	ct->len = cf->len;
	cf->len = 0;
	return 0;
}

struct kc_item *kc_cont_find(struct kc_item *it, const void *key, u32 klen)
{
	struct kc_cont *c = kc_cont(it);
	u32 h = elem_hash(key, klen);
	struct kc_item *e;

	if (!c->table)
		return NULL;
	for (e = kc_cont_buckets(c)[h & (c->nbuckets - 1)]; e; e = e->chain)
		if (e->ehash == h && kc_elem_klen(e) == klen &&
		    !memcmp(kc_elem_data(e), key, klen))
			return e;
	return NULL;
}

/*
 * Looks up the element named by op->args[i] in a hash or set whose mutex
 * the caller holds.  Returns it, or NULL: absent (*err 0) or an error.
 */
struct kc_item *kc_cont_find_arg(struct kc_op *op, struct kc_item *it, u32 i,
				 int *err)
{
	struct kc_item *e;
	struct kc_buf b;
	void *k;

	lockdep_assert_held(&kc_cont(it)->lock);
	*err = kc_read_arg(op, i, &b);
	if (*err)
		return NULL;
	k = kc_dup_in(op, b.ptr, b.len, err);
	if (!k)
		return NULL;
	e = kc_cont_find(it, k, b.len);
	kvfree(k);
	return e;
}

/* Rebuilds the table with nb buckets.  Caller holds the mutex. */
static int resize(struct kc_item *it, u32 nb)
{
	struct kc_cache *kc = kc_item_cache(it);
	struct kc_cont *c = kc_cont(it);
	struct kc_item *tbl, **nbk, **obk, *e;
	u32 i;

	lockdep_assert_held(&c->lock);
	tbl = kc_elem_alloc(kc, nb * sizeof(void *) + sizeof(void *), 0);
	if (IS_ERR(tbl))
		return PTR_ERR(tbl);
	kc_elem_set_owner(tbl, it);
	nbk = (struct kc_item **)PTR_ALIGN(kc_item_value(tbl),
					   sizeof(void *));
	memset(nbk, 0, nb * sizeof(void *));
	if (c->table) {
		obk = kc_cont_buckets(c);
		for (i = 0; i < c->nbuckets; i++) {
			while ((e = obk[i])) {
				obk[i] = e->chain;
				e->chain = nbk[e->ehash & (nb - 1)];
				nbk[e->ehash & (nb - 1)] = e;
			}
			if (!(i & 1023))
				cond_resched();
		}
		kc_elem_set_owner(c->table, NULL);
		kc_item_put(c->table);
	}
	c->table = tbl;
	c->nbuckets = nb;
	c->maxchain = 0;	/* counted again when kc_cont_random() needs it */
	return 0;
}

/*
 * Makes room for n more elements, so that the inserts that follow cannot
 * fail: a command fails whole or not at all.  Caller holds the mutex.
 */
int kc_cont_reserve(struct kc_item *it, u64 n)
{
	struct kc_cont *c = kc_cont(it);
	u64 want = c->len + n;
	u32 nb = c->nbuckets ? c->nbuckets : KC_MIN_BUCKETS;

	lockdep_assert_held(&c->lock);
	if (want > KC_MAX_BUCKETS)
		return -E2BIG;
	while (nb < want)
		nb *= 2;
	if (c->table && nb == c->nbuckets)
		return 0;
	return resize(it, nb);
}

/* Adds e (not present yet) to a hash or set.  Caller holds the mutex. */
int kc_cont_insert(struct kc_item *it, struct kc_item *e)
{
	struct kc_cont *c = kc_cont(it);
	struct kc_item **b;
	int err;

	lockdep_assert_held(&c->lock);
	if (!c->table || c->len + 1 > c->nbuckets) {
		err = kc_cont_reserve(it, 1);
		if (err)
			return err;
	}
	e->ehash = elem_hash(kc_elem_data(e), kc_elem_klen(e));
	b = &kc_cont_buckets(c)[e->ehash & (c->nbuckets - 1)];
	e->chain = *b;
	*b = e;
	kc_elem_set_owner(e, it);
	/* an element's atime numbers its insertion (a hash's field order) */
	e->atime = ++c->seq;
	c->len++;
	if (c->maxchain) {
		u32 n = 0;

		for (; e; e = e->chain)
			n++;
		c->maxchain = max(c->maxchain, n);
	}
	return 0;
}

/*
 * Takes e out of a hash or set; the caller puts it.  Holds the mutex.
 * With shrink, the table is halved when an eighth full.
 */
void __kc_cont_remove(struct kc_item *it, struct kc_item *e, bool shrink)
{
	struct kc_cont *c = kc_cont(it);
	struct kc_item **p = &kc_cont_buckets(c)[e->ehash & (c->nbuckets - 1)];

	lockdep_assert_held(&c->lock);
	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	e->chain = NULL;
	kc_elem_set_owner(e, NULL);
	c->len--;
	/* Shrinking is best effort: a failed allocation keeps the table. */
	if (shrink && c->nbuckets > KC_MIN_BUCKETS && c->len * 8 < c->nbuckets)
		resize(it, c->nbuckets / 2);
}

/*
 * Halves the table while it is less than an eighth full (after removals
 * that kept its size, or a reserve for inputs that were duplicates).
 * Best effort: a failed allocation keeps the table.  Holds the mutex.
 */
void kc_cont_shrink(struct kc_item *it)
{
	struct kc_cont *c = kc_cont(it);
	u32 nb = c->nbuckets;

	lockdep_assert_held(&c->lock);
	while (nb > KC_MIN_BUCKETS && (u64)c->len * 8 < nb)
		nb /= 2;
	if (c->table && nb != c->nbuckets)
		resize(it, nb);
}

/* The longest chain of the table, counted; holds the mutex. */
static u32 count_maxchain(struct kc_cont *c)
{
	struct kc_item **b = kc_cont_buckets(c), *e;
	u32 i, n, max = 1;

	for (i = 0; i < c->nbuckets; i++) {
		for (n = 0, e = b[i]; e; e = e->chain)
			n++;
		max = max(max, n);
		if (!(i & 1023))
			cond_resched();
	}
	return max;
}

/*
 * A random element, each with the same odds; NULL when empty.  Holds the
 * mutex (may sleep).  Picking a bucket, then one of its chain, would
 * favour elements of short chains (Redis's own tests measure that with a
 * chi-square).  So a try picks a bucket and a position below the longest
 * chain's length, uniformly, and succeeds when that position holds an
 * element: every element has the same odds per try.  Expected tries:
 * buckets x longest chain / elements, small while the table is not sparse
 * (callers that took elements out without shrinking call
 * kc_cont_shrink() first).  Should the tries run out (a sparse table
 * whose shrink failed), a non-empty bucket's element is taken.
 */
struct kc_item *kc_cont_random(struct kc_item *it)
{
	struct kc_cont *c = kc_cont(it);
	struct kc_item **b, *e;
	u32 i, n, pick, tries;

	lockdep_assert_held(&c->lock);
	if (!c->len)
		return NULL;
	b = kc_cont_buckets(c);
	if (!c->maxchain)
		c->maxchain = count_maxchain(c);
	for (tries = 0; tries < 4096; tries++) {
		i = get_random_u32() & (c->nbuckets - 1);
		pick = get_random_u32_below(c->maxchain);
		for (e = b[i]; e && pick; e = e->chain)
			pick--;
		if (e)
			return e;
	}
	for (n = 1; !b[i]; n++) {
		i = (i + 1) & (c->nbuckets - 1);
		if (!(n & 1023))
			cond_resched();
	}
	return b[i];
}

/*
 * KC_OP_SNAPSHOT's records of a container (scan.c): hsize bytes of h (its
 * element count filled in here), the key, then the elements, under the
 * container's lock so that they are one state of it.  One unlinked since
 * it was pinned is left out: it is gone.
 */
int kc_cont_snapshot(struct kc_reply *r, struct kc_item *it,
		     struct kc_snap_rec *h, u32 hsize)
{
	struct kc_cont *c = kc_cont(it);
	struct kc_item *e;
	int err = 0;
	u64 n = 0;
	u32 b;

	mutex_lock(&c->lock);
	if (READ_ONCE(it->state) != KC_ITEM_LINKED)
		goto out;
	h->nelems = (it->type == KC_TYPE_HASH || it->type == KC_TYPE_ZSET) ?
		    2 * c->len : c->len;
	err = kc_reply_add(r, h, hsize, false);
	if (!err)
		err = kc_reply_add(r, kc_item_key(it), it->nkey, false);
	if (err)
		goto out;
	switch (it->type) {
	case KC_TYPE_LIST:
		list_for_each_entry(e, &c->list, lru) {
			err = kc_reply_add(r, kc_elem_data(e), e->nbytes, false);
			if (err)
				break;
			if (!(++n % 512))
				cond_resched();
		}
		break;
	case KC_TYPE_ZSET:
		err = kc_zset_snapshot(r, it);
		break;
	default:	/* hash: field, value; set: member */
		for (e = kc_cont_next(c, NULL, &b); e && !err;
		     e = kc_cont_next(c, e, &b)) {
			u32 klen = it->type == KC_TYPE_HASH ? kc_elem_klen(e) :
				   e->nbytes;

			err = kc_reply_add(r, kc_elem_data(e), klen, false);
			if (!err && it->type == KC_TYPE_HASH)
				err = kc_reply_add(r, kc_elem_data(e) + klen,
						   e->nbytes - klen, false);
			if (!(++n % 512))
				cond_resched();
		}
	}
out:
	mutex_unlock(&c->lock);
	return err;
}
