/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the selftests of lists, hashes, sets and transactions
 * (kcache_list, kcache_hash, kcache_set, kcache_containers, kcache_txn).
 * Include after kc_test.h.
 *
 * KT() runs one typed operation on C-string key, value and arguments and
 * gives back the result with the reply as text, so that a test compares
 * the whole reply in one EXPECT_STREQ():
 *
 *	r = KT(fd, KC_OP_LRANGE, "l", .num = 0, .num2 = -1);
 *	EXPECT_EQ(0, r.ret);
 *	EXPECT_STREQ("c,b,a", r.s);
 *
 * The text of a reply of kc_elem records is the records joined with ','
 * (a KC_ELEM_NIL record reads "(nil)"); set-like replies (SMEMBERS, the
 * algebra, HKEYS, HVALS, counted SPOP/SRANDMEMBER) are sorted first, since
 * their order is unspecified; HGETALL reads "field=value" pairs, sorted;
 * SMISMEMBER reads "1" or "0" per member.  A single-element reply (GET,
 * LINDEX, HGET, LPOP without KC_POP_COUNT, ...) is the bytes themselves.
 * Nothing here asserts: the tests do.
 */
#ifndef KC_TYPES_H
#define KC_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc_test.h"

#define KT_NARGS	16	/* C-string arguments of one KT() */
#define KT_STR		4096	/* reply text */
#define KT_OUT		65536	/* default reply buffer */
#define KT_NO_OUT	UINT32_MAX	/* kt_in.out_len: no reply buffer */

struct kt_in {
	uint32_t flags;
	const char *val;		/* NULL: no value */
	int64_t num;
	int64_t num2;
	const char *args[KT_NARGS];	/* up to the first NULL */
	uint32_t out_len;		/* reply room; 0: KT_OUT, or KT_NO_OUT */
	uint64_t cas;
	int64_t expire;			/* blocking ops: timeout in ms */
	uint32_t db;			/* the database (kc_op.db) */
};

struct kt_out {
	int ret;			/* kc_do(): ioctl errno or op result */
	int64_t num;
	uint32_t out_used;
	uint64_t cas;
	size_t n;			/* records in the reply */
	char s[KT_STR];			/* the reply as text */
};

enum kt_reply_kind {
	KT_NONE,
	KT_RAW,
	KT_LIST,	/* records in order */
	KT_SET,		/* records, sorted */
	KT_PAIRS,	/* field, value records as sorted "f=v" */
	KT_BOOLS,	/* SMISMEMBER: "1" or "0" per record */
};

static inline enum kt_reply_kind kt_reply_kind(uint32_t opcode,
					       uint32_t flags)
{
	bool count = flags & KC_POP_COUNT;

	switch (opcode) {
	case KC_OP_GET:
	case KC_OP_GETDEL:
	case KC_OP_LINDEX:
	case KC_OP_HGET:
	case KC_OP_LMOVE:
	case KC_OP_BLMOVE:
		return KT_RAW;
	case KC_OP_LMPOP:
	case KC_OP_BLMPOP:
		return KT_LIST;
	case KC_OP_LPOP:
	case KC_OP_RPOP:
		return count ? KT_LIST : KT_RAW;
	case KC_OP_SPOP:
	case KC_OP_SRANDMEMBER:
		return count ? KT_SET : KT_RAW;
	case KC_OP_LRANGE:
	case KC_OP_HMGET:
	case KC_OP_MGET:
		return KT_LIST;
	case KC_OP_SMEMBERS:
	case KC_OP_SDIFF:
	case KC_OP_SINTER:
	case KC_OP_SUNION:
	case KC_OP_HKEYS:
	case KC_OP_HVALS:
		return KT_SET;
	case KC_OP_HGETALL:
		return KT_PAIRS;
	case KC_OP_SMISMEMBER:
		return KT_BOOLS;
	}
	return KT_NONE;
}

static inline int kt_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Writes the n records of a reply (used bytes) as text into s.  Returns 0,
 * -EBADMSG for a malformed reply, -ENOSPC when the text does not fit.
 */
static inline int kt_text(const void *buf, size_t used, size_t n,
			  enum kt_reply_kind kind, char *s, size_t size)
{
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	char **items = NULL, *pair = NULL;
	size_t i, k = 0, len = 0;
	int ret = 0;

	s[0] = '\0';
	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	kc_elem_iter_init(&it, buf, used, n);
	while ((e = kc_elem_next(&it, &data))) {
		char *t;

		if (kind == KT_BOOLS)
			t = strdup(e->flags & KC_ELEM_NIL ? "0" : "1");
		else if (e->flags & KC_ELEM_NIL)
			t = strdup("(nil)");
		else
			t = strndup(data, e->len);
		if (!t) {
			ret = -ENOMEM;
			goto out;
		}
		if (kind == KT_PAIRS && !pair) {
			pair = t;
			continue;
		}
		if (kind == KT_PAIRS) {
			char *p;

			if (asprintf(&p, "%s=%s", pair, t) < 0) {
				free(t);
				ret = -ENOMEM;
				goto out;
			}
			free(pair);
			free(t);
			pair = NULL;
			t = p;
		}
		items[k++] = t;
	}
	if (it.err || it.left || pair) {
		ret = -EBADMSG;
		goto out;
	}
	if (kind == KT_SET || kind == KT_PAIRS)
		qsort(items, k, sizeof(*items), kt_strcmp_p);
	for (i = 0; i < k; i++) {
		size_t l = strlen(items[i]);

		if (len + l + 2 > size) {
			ret = -ENOSPC;
			goto out;
		}
		if (i)
			s[len++] = ',';
		memcpy(s + len, items[i], l);
		len += l;
		s[len] = '\0';
	}
out:
	for (i = 0; i < k; i++)
		free(items[i]);
	free(items);
	free(pair);
	return ret;
}

/* Fills op for a typed operation from C strings (the caller keeps args). */
static inline void kt_prep(struct kc_op *op, struct kc_buf *args,
			   uint32_t opcode, const char *key,
			   const struct kt_in *in)
{
	size_t n;

	kc_op_init(op, opcode);
	op->flags = in->flags;
	if (key)
		kc_op_key(op, key, strlen(key));
	if (in->val)
		kc_op_val(op, in->val, strlen(in->val));
	op->num = in->num;
	op->num2 = in->num2;
	op->cas = in->cas;
	op->expire = in->expire;
	op->db = in->db;
	for (n = 0; n < KT_NARGS && in->args[n]; n++)
		kc_buf_set(&args[n], in->args[n], strlen(in->args[n]));
	if (n)
		kc_op_args(op, args, n);
}

static inline struct kt_out kt_run(int fd, uint32_t opcode, const char *key,
				   const struct kt_in *in)
{
	enum kt_reply_kind kind = kt_reply_kind(opcode, in->flags);
	struct kc_buf args[KT_NARGS];
	struct kt_out r;
	size_t room = !in->out_len ? KT_OUT :
		      in->out_len == KT_NO_OUT ? 0 : in->out_len;
	struct kc_op op;
	char *buf;

	memset(&r, 0, sizeof(r));
	buf = malloc(room ? room : 1);
	if (!buf) {
		r.ret = -ENOMEM;
		return r;
	}
	kt_prep(&op, args, opcode, key, in);
	if (room)
		kc_op_out(&op, buf, room);
	r.ret = kc_do(fd, &op);
	r.num = op.num;
	r.out_used = op.out_used;
	r.cas = op.cas;
	if (!r.ret && kind == KT_RAW) {
		size_t l = op.out_used < KT_STR - 1 ? op.out_used : KT_STR - 1;

		memcpy(r.s, buf, l);
		r.s[l] = '\0';
		r.n = 1;
	} else if (!r.ret && kind != KT_NONE) {
		r.n = (size_t)op.num;
		if (kt_text(buf, op.out_used, r.n, kind, r.s, sizeof(r.s)))
			snprintf(r.s, sizeof(r.s), "(malformed reply)");
	}
	free(buf);
	return r;
}

#define KT(fd, opcode, key, ...) \
	kt_run(fd, opcode, key, &(const struct kt_in){ __VA_ARGS__ })

/* Type of a key (enum kc_type), or -errno. */
static inline int kt_type(int fd, const char *key)
{
	uint32_t type = 0;
	int ret = kc_type(fd, key, strlen(key), &type);

	return ret ? ret : (int)type;
}

static inline int kt_exists(int fd, const char *key)
{
	return kc_exists(fd, key, strlen(key));
}

/* Number of elements of a list, hash or set (LLEN/HLEN/SCARD), or -errno. */
static inline int64_t kt_len(int fd, uint32_t opcode, const char *key)
{
	struct kt_out r = KT(fd, opcode, key);

	return r.ret ? r.ret : r.num;
}

/*
 * The CAS version of any key, 0 when missing.  GET answers only for
 * strings; a TOUCH that sets no expiry reports the CAS of any type and
 * changes nothing on a key that has no expiry.
 */
static inline uint64_t kt_any_cas(int fd, const char *key)
{
	struct kt_out r = KT(fd, KC_OP_TOUCH, key);

	return r.ret ? 0 : r.cas;
}

/* Sum of used chunks over every slab class, or 0 on error. */
static inline uint64_t kt_used_chunks(int fd)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i;
	uint64_t sum = 0;

	if (kc_class_stats(fd, cs, 256, &n, &nr))
		return 0;
	for (i = 0; i < n; i++)
		sum += cs[i].used_chunks;
	return sum;
}

#endif /* KC_TYPES_H */
