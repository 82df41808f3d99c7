// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kcache": the cache for tools and scripts.
 * uapi/linux/kcache.h documents every command and attribute,
 * Documentation/netlink.rst the choices behind them.
 *
 * Documentation/netlink/specs/kcache.yaml is the one source of the
 * family's commands, attributes, per-op policies, admin flags and hooks:
 * netlink-gen.c, generated from it (make netlink-gen), holds the policies
 * and the op table, which names the handlers and hooks defined here.
 *
 * - KC_CMD_OP runs any opcode through kc_op_run(), the code the ioctls
 *   use, with kernel addresses into the request (kc_req.kern) and a reply
 *   buffer of KC_NL_VALUE_MAX bytes, the most one attribute holds.  What
 *   the op wrote there (kc_req.reply) becomes KC_A_VALUE or KC_A_ELEMs, so
 *   a new opcode needs no code here.
 * - Every command has its own strict policy (from the spec; an op whose
 *   request has no attributes gets kc_none_policy, see kc_genl_init()).
 *   What a policy cannot say (duplicates, required attributes,
 *   permissions, limits known at run time) is checked here, in the pre
 *   hooks the spec names and the handlers, and every rejection sets an
 *   extack message.
 * - The keys dump walks the index across callbacks; see keys_dump().
 * - Multicast: PUBLISH and the keyspace events of kc_notify() never wait
 *   for a listener; one that does not keep up overruns (ENOBUFS).
 *
 * Locking: no cache lock is taken here.  kc_notify() may be called with
 * spinlocks held: it allocates with GFP_ATOMIC and checks under RCU that
 * the family is registered.
 */
#include <net/genetlink.h>
#include <net/sock.h>
#include <linux/module.h>
#include <linux/capability.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include "kcache.h"
#include "compat.h"
#include "chardev.h"
#include "config.h"
#include "glob.h"
#include "index.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "ops.h"
#include "stats.h"

static struct genl_family kc_genl_family;
static bool kc_genl_up;		/* registered: kc_notify() may send */

static_assert(__KC_A_LAST <= 64);
/* Limits the spec states as numbers, for the policies of netlink-gen.c. */
static_assert(KC_MAX_CLASSES - 1 == 63);	/* class-id: max */
static_assert(KC_MIN_LIMIT_MB == 2);		/* memory-limit-mb: min */
static_assert(__KC_OP_F_ALL == 0x1ffff);	/* flags: flags-mask */

/* The file of the socket a request came from, if it has one. */
static struct file *sender_file(const struct sk_buff *skb)
{
	struct sock *sk = NETLINK_CB(skb).sk;

	return sk && sk->sk_socket ? sk->sk_socket->file : NULL;
}

static int data_permitted(const struct sk_buff *skb,
			  struct netlink_ext_ack *extack)
{
	if (kc_chardev_permitted(sender_file(skb)))
		return 0;
	NL_SET_ERR_MSG(extack,
		       "no access to the cache: needs read and write permission on /dev/kcache");
	return -EACCES;
}

/* GENL_ADMIN_PERM has checked CAP_NET_ADMIN; the ioctls need this too. */
static int admin_permitted(const struct sk_buff *skb,
			   struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(extack, "needs CAP_SYS_ADMIN");
	return -EPERM;
}

/*
 * Policies keep the last copy of an attribute given twice; a request with
 * two keys or two opcodes is a bug we report.  Only types in multi repeat.
 */
static int check_dups(const struct nlmsghdr *nlh, u64 multi,
		      struct netlink_ext_ack *extack)
{
	const struct nlattr *a;
	u64 seen = 0;
	int rem;

	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		int t = nla_type(a);

		if (t > KC_A_MAX || (multi & BIT_ULL(t)))
			continue;
		if (seen & BIT_ULL(t)) {
			NL_SET_ERR_MSG_ATTR(extack, a, "attribute given twice");
			return -EINVAL;
		}
		seen |= BIT_ULL(t);
	}
	return 0;
}

/*
 * The pre hooks of the spec's do ops: every one checks for duplicates,
 * data commands (op, publish) need access to the cache, admin commands
 * (config-set, flush: GENL_ADMIN_PERM) need CAP_SYS_ADMIN too.
 */
int kc_nl_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
		   struct genl_info *info)
{
	u64 multi = ops->cmd == KC_CMD_OP ? BIT_ULL(KC_A_ARG) : 0;

	return check_dups(info->nlhdr, multi, info->extack);
}

int kc_nl_pre_data(const struct genl_split_ops *ops, struct sk_buff *skb,
		   struct genl_info *info)
{
	return kc_nl_pre_doit(ops, skb, info) ?:
	       data_permitted(skb, info->extack);
}

int kc_nl_pre_admin(const struct genl_split_ops *ops, struct sk_buff *skb,
		    struct genl_info *info)
{
	return kc_nl_pre_doit(ops, skb, info) ?:
	       admin_permitted(skb, info->extack);
}

static void *reply_start(struct sk_buff **msg, size_t size,
			 struct genl_info *info, u8 cmd)
{
	void *hdr;

	*msg = genlmsg_new(size, GFP_KERNEL);
	if (!*msg)
		return NULL;
	hdr = genlmsg_put_reply(*msg, info, &kc_genl_family, 0, cmd);
	if (!hdr) {
		nlmsg_free(*msg);
		*msg = NULL;
	}
	return hdr;
}

static int reply_end(struct sk_buff *msg, void *hdr, struct genl_info *info)
{
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int reply_too_big(struct sk_buff *msg, struct genl_info *info)
{
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "reply does not fit in a message");
	return -EMSGSIZE;
}

/* KC_CMD_VERSION */

int kcache_nl_version_doit(struct sk_buff *skb, struct genl_info *info)
{
	const char *ver = THIS_MODULE->version ?: "unknown";
	struct sk_buff *msg;
	void *hdr;

	hdr = reply_start(&msg, NLMSG_GOODSIZE, info, KC_CMD_VERSION);
	if (!hdr)
		return -ENOMEM;
	if (nla_put_u32(msg, KC_A_VERSION_ABI, KC_ABI_VERSION) ||
	    nla_put_string(msg, KC_A_VERSION_MODULE, ver) ||
	    nla_put_u32(msg, KC_A_KEY_MAX, KC_KEY_MAX) ||
	    nla_put_u32(msg, KC_A_ITEM_SIZE_MAX, kc.item_size_max) ||
	    nla_put_u32(msg, KC_A_VALUE_MAX, KC_NL_VALUE_MAX) ||
	    nla_put_u32(msg, KC_A_NR_CLASSES, kc.nr_classes))
		return reply_too_big(msg, info);
	return reply_end(msg, hdr, info);
}

/* KC_CMD_OP */

/* Says why an op failed; returns the errno netlink reports. */
static int op_error(int err, const struct kc_op *op,
		    struct netlink_ext_ack *extack)
{
	switch (err) {
	case -ENOENT:
		NL_SET_ERR_MSG(extack, "no such key, field or element");
		break;
	case -EEXIST:
		NL_SET_ERR_MSG(extack,
			       "condition not met (NX, XX, CAS version or expiry condition)");
		break;
	case -E2BIG:
		NL_SET_ERR_MSG(extack,
			       "value or reply larger than the module allows (item_size_max)");
		break;
	case -ENAMETOOLONG:
		NL_SET_ERR_MSG(extack, "key longer than 250 bytes");
		break;
	case -EINVAL:
		NL_SET_ERR_MSG(extack,
			       "invalid for this opcode: a missing or unexpected key, a flag it does not take, or a bad argument");
		break;
	case -ENOMEM:
		NL_SET_ERR_MSG(extack,
			       "out of memory: the memory limit is reached and nothing could be evicted");
		break;
	case -EOVERFLOW:
		NL_SET_ERR_MSG(extack,
			       "the result would overflow a signed 64-bit integer");
		break;
	case -EDOM:
		NL_SET_ERR_MSG(extack,
			       "the value is not a base-10 signed 64-bit integer");
		break;
	case -EPROTOTYPE:
		NL_SET_ERR_MSG(extack,
			       "wrong type: the key holds another kind of value");
		break;
	case -ENOSPC:
		KC_SET_ERR_MSG_FMT(extack,
				   "reply larger than netlink carries: use /dev/kcache",
				   "reply of %u bytes, netlink carries %u: use /dev/kcache",
				   op->out_used, KC_NL_VALUE_MAX);
		return -EMSGSIZE;
	case -EPERM:
		NL_SET_ERR_MSG(extack, "needs CAP_SYS_ADMIN");
		break;
	case -EOPNOTSUPP:
		NL_SET_ERR_MSG(extack, "opcode not supported by this module");
		break;
	case -ERANGE:
		NL_SET_ERR_MSG(extack, "index out of range");
		break;
	case -EINTR:
		NL_SET_ERR_MSG(extack, "interrupted by a signal");
		break;
	default:
		NL_SET_ERR_MSG(extack, "operation failed");
		break;
	}
	return err;
}

/* Turns the kc_elem records of a reply into KC_A_ELEM nests. */
static int put_elems(struct sk_buff *msg, const u8 *out, u32 used)
{
	u32 off = 0;

	while (used - off >= sizeof(struct kc_elem)) {
		const struct kc_elem *e = (const void *)(out + off);
		struct nlattr *nest;

		if (e->len > used - off - sizeof(*e))
			return -EINVAL;
		nest = nla_nest_start(msg, KC_A_ELEM);
		if (!nest)
			return -EMSGSIZE;
		if (e->flags & KC_ELEM_NIL) {
			if (nla_put_flag(msg, KC_ELEM_A_NIL))
				return -EMSGSIZE;
		} else if (nla_put(msg, KC_ELEM_A_VALUE, e->len, e + 1)) {
			return -EMSGSIZE;
		}
		nla_nest_end(msg, nest);
		off += min_t(u32, KC_ELEM_SIZE(e->len), used - off);
	}
	return 0;
}

static int op_reply(struct genl_info *info, const struct kc_req *req,
		    const u8 *out)
{
	const struct kc_op *op = &req->op;
	/* An element costs at most 3 bytes more as a nest than as a record. */
	size_t size = 3 * nla_total_size_64bit(sizeof(u64)) +
		      nla_total_size(sizeof(u32)) + op->out_used +
		      op->out_used / 2 + NLA_HDRLEN;
	struct sk_buff *msg;
	void *hdr;

	hdr = reply_start(&msg, size, info, KC_CMD_OP);
	if (!hdr)
		return -ENOMEM;
	if (nla_put_s64(msg, KC_A_NUM, op->num, KC_A_PAD) ||
	    nla_put_u64_64bit(msg, KC_A_CAS, op->cas, KC_A_PAD) ||
	    nla_put_s64(msg, KC_A_EXPIRE, op->expire, KC_A_PAD) ||
	    nla_put_u32(msg, KC_A_CLIENT_FLAGS, op->client_flags))
		return reply_too_big(msg, info);
	if (req->reply == KC_REPLY_VALUE &&
	    nla_put(msg, KC_A_VALUE, op->out_used, out))
		return reply_too_big(msg, info);
	if (req->reply == KC_REPLY_ELEMS &&
	    put_elems(msg, out, op->out_used))
		return reply_too_big(msg, info);
	return reply_end(msg, hdr, info);
}

/* Points kc_op.args at the KC_A_ARG payloads, in order. */
static int op_args(struct genl_info *info, struct kc_op *op,
		   struct kc_buf **args)
{
	const struct nlattr *a;
	u32 n = 0;
	int rem;

	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem)
		if (nla_type(a) == KC_A_ARG)
			n++;
	if (!n)
		return 0;
	if (n > KC_ARGS_MAX) {
		NL_SET_ERR_MSG(info->extack, "more than 65536 KC_A_ARG");
		return -E2BIG;
	}
	*args = kvcalloc(n, sizeof(**args), GFP_KERNEL);
	if (!*args)
		return -ENOMEM;
	n = 0;
	nlmsg_for_each_attr(a, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(a) != KC_A_ARG)
			continue;
		(*args)[n].ptr = (uintptr_t)nla_data(a);
		(*args)[n].len = nla_len(a);
		n++;
	}
	op->args = (uintptr_t)*args;
	op->nargs = n;
	return 0;
}

int kcache_nl_op_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct kc_req req = { .kern = true };
	struct kc_op *op = &req.op;
	struct kc_buf *args = NULL;
	u8 *out = NULL;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KC_A_OPCODE)) {
		NL_SET_ERR_MSG(info->extack,
			       "missing KC_A_OPCODE: which operation to run");
		return -EINVAL;
	}
	op->size = sizeof(*op);
	op->opcode = nla_get_u32(tb[KC_A_OPCODE]);
	if (op->opcode == KC_OP_FLUSH &&
	    !(netlink_capable(skb, CAP_NET_ADMIN) &&
	      netlink_capable(skb, CAP_SYS_ADMIN))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[KC_A_OPCODE],
				    "FLUSH needs CAP_NET_ADMIN and CAP_SYS_ADMIN");
		return -EPERM;
	}
	if (tb[KC_A_FLAGS])
		op->flags = nla_get_u32(tb[KC_A_FLAGS]);
	if (tb[KC_A_KEY]) {
		op->key = (uintptr_t)nla_data(tb[KC_A_KEY]);
		op->key_len = nla_len(tb[KC_A_KEY]);
	}
	if (tb[KC_A_VALUE]) {
		op->val = (uintptr_t)nla_data(tb[KC_A_VALUE]);
		op->val_len = nla_len(tb[KC_A_VALUE]);
	}
	if (tb[KC_A_NUM])
		op->num = nla_get_s64(tb[KC_A_NUM]);
	if (tb[KC_A_NUM2])
		op->num2 = nla_get_s64(tb[KC_A_NUM2]);
	if (tb[KC_A_EXPIRE])
		op->expire = nla_get_s64(tb[KC_A_EXPIRE]);
	if (tb[KC_A_CAS])
		op->cas = nla_get_u64(tb[KC_A_CAS]);
	if (tb[KC_A_CLIENT_FLAGS])
		op->client_flags = nla_get_u32(tb[KC_A_CLIENT_FLAGS]);
	err = op_args(info, op, &args);
	if (err)
		return err;
	out = kvmalloc(KC_NL_VALUE_MAX, GFP_KERNEL);
	if (!out) {
		err = -ENOMEM;
		goto out;
	}
	op->out = (uintptr_t)out;
	op->out_len = KC_NL_VALUE_MAX;

	err = kc_op_run(&req);
	if (err)
		err = op_error(err, op, info->extack);
	else
		err = op_reply(info, &req, out);
out:
	kvfree(out);
	kvfree(args);
	return err;
}

/* KC_CMD_KEYS */

#define KEYS_BATCH	64	/* items looked at per RCU read section */
#define KEYS_HELD	32	/* keys of one bucket remembered */

/*
 * State of a keys dump, between its callbacks.  The walker stays in the
 * index between callbacks (kc_walk_stop/start).  held[] pins the
 * items emitted from the current bucket: pinned chunks cannot be reused,
 * so a pointer seen again is the same key (see keys_dump()).
 */
struct keys_dump {
	struct kc_walk walk;
	struct kc_item *pending;	/* wanted, did not fit in the skb */
	struct kc_item *held[KEYS_HELD];
	struct kc_item *drop[KEYS_BATCH + KEYS_HELD];
	unsigned int nheld, ndrop;
	unsigned int slot;		/* the bucket of held[] */
	u64 emitted;
	bool done;
	u32 type;			/* 0: every type */
	u32 plen;			/* 0: every key */
	u8 pattern[KC_PATTERN_MAX];
};

struct keys_ctx {
	struct keys_dump *d;
};

static_assert(sizeof(struct keys_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct keys_dump *keys_of(struct netlink_callback *cb)
{
	return ((struct keys_ctx *)cb->ctx)->d;
}

/*
 * The dump can no longer promise every key exactly once: the next message
 * (or NLMSG_DONE) carries NLM_F_DUMP_INTR.  .start set cb->prev_seq so
 * that even the first message is flagged.
 */
static void keys_interrupted(struct netlink_callback *cb)
{
	cb->seq++;
}

/* Items are only released after rhashtable_walk_stop(): a put may sleep. */
static void keys_drop(struct keys_dump *d, struct kc_item *it)
{
	if (!WARN_ON_ONCE(d->ndrop >= ARRAY_SIZE(d->drop)))
		d->drop[d->ndrop++] = it;
}

static void keys_forget_bucket(struct keys_dump *d)
{
	while (d->nheld)
		keys_drop(d, d->held[--d->nheld]);
	d->slot = kc_walk_slot(&d->walk);
}

static void keys_put_dropped(struct keys_dump *d)
{
	while (d->ndrop)
		kc_item_put(d->drop[--d->ndrop]);
}

static void keys_hold(struct netlink_callback *cb, struct keys_dump *d,
		      struct kc_item *it)
{
	d->emitted++;
	if (d->nheld < KEYS_HELD) {
		d->held[d->nheld++] = it;
		return;
	}
	/* Too many to tell apart again should the walk lose its place. */
	keys_interrupted(cb);
	keys_drop(d, it);
}

/* The walk moved to another table (a resize): it starts over there. */
static void keys_restart(struct netlink_callback *cb, struct keys_dump *d)
{
	if (d->emitted)
		keys_interrupted(cb);
	keys_forget_bucket(d);
}

/* Should a referenced item it go into the dump?  Under RCU. */
static bool keys_want(struct netlink_callback *cb, struct keys_dump *d,
		      struct kc_item *it, u64 now)
{
	unsigned int i;

	/* Pairs with the release in __kc_item_link(): the key is whole. */
	if (smp_load_acquire(&it->state) != KC_ITEM_LINKED)
		return false;
	if (!kc_walk_same_bucket(&d->walk, it)) {
		/*
		 * Freed and reused under the walker, it is in another
		 * bucket's chain now, and so is the walker: it skipped
		 * the rest of its bucket.
		 */
		keys_interrupted(cb);
		return false;
	}
	for (i = 0; i < d->nheld; i++)
		if (d->held[i] == it)
			return false;
	if (kc_item_expired(it, now) || (d->type && it->type != d->type))
		return false;
	return !d->plen || kc_glob_match(d->pattern, d->plen,
					 kc_item_key(it), it->nkey);
}

static int keys_put(struct sk_buff *skb, struct netlink_callback *cb,
		    struct kc_item *it)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &kc_genl_family, NLM_F_MULTI, KC_CMD_KEYS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put(skb, KC_A_KEY, it->nkey, kc_item_key(it)) ||
	    nla_put_u32(skb, KC_A_TYPE, it->type)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	/* Only for a message that stays: checking marks it as seen. */
	genl_dump_check_consistent(cb, hdr);
	genlmsg_end(skb, hdr);
	return 0;
}

int kc_nl_keys_start(struct netlink_callback *cb)
{
	struct nlattr **tb = kc_dump_attrs(cb);
	struct keys_dump *d;
	int err;

	err = check_dups(cb->nlh, 0, cb->extack);
	if (!err)
		err = data_permitted(cb->skb, cb->extack);
	if (err)
		return err;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	if (tb[KC_A_PATTERN]) {
		d->plen = nla_len(tb[KC_A_PATTERN]);
		memcpy(d->pattern, nla_data(tb[KC_A_PATTERN]), d->plen);
	}
	if (tb[KC_A_TYPE])
		d->type = nla_get_u32(tb[KC_A_TYPE]);
	kc_walk_enter(&d->walk);
	d->slot = kc_walk_slot(&d->walk);
	cb->seq = 1;
	cb->prev_seq = 1;
	((struct keys_ctx *)cb->ctx)->d = d;
	return 0;
}

/*
 * Emits the keys in skb until it is full, KEYS_BATCH items per RCU read
 * section.  Exactly once, unless flagged:
 *  - between callbacks the walker keeps its place by pointer; if that
 *    item was deleted meanwhile, the bucket is walked again from its head
 *    (kc_walk_start()) and held[] drops the keys already sent;
 *  - a resize moves the walk to the new table from its start
 *    (-EAGAIN): keys may repeat or be missed, flagged;
 *  - a chunk freed and reused while the walker stands on it leads the
 *    walker into another chain: seen by the bucket check, flagged.
 */
int kcache_nl_keys_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct keys_dump *d = keys_of(cb);
	u64 now = kc_now_ms();
	bool full = false, lost;
	int n;

	if (d->done)
		return 0;
	if (d->pending) {
		if (keys_put(skb, cb, d->pending))
			return skb->len;
		keys_hold(cb, d, d->pending);
		d->pending = NULL;
	}
	while (!full && !d->done) {
		if (kc_walk_start(&d->walk))
			keys_restart(cb, d);
		for (n = 0; n < KEYS_BATCH; n++) {
			struct kc_item *it;

			lost = false;
			it = kc_walk_step(&d->walk, &lost);
			if (lost)
				keys_restart(cb, d);
			if (!it) {
				d->done = true;
				break;
			}
			if (kc_walk_slot(&d->walk) != d->slot)
				keys_forget_bucket(d);
			if (!kc_ref_tryget(&it->ref))
				continue;
			if (!keys_want(cb, d, it, now)) {
				keys_drop(d, it);
				continue;
			}
			if (keys_put(skb, cb, it)) {
				d->pending = it;
				full = true;
				break;
			}
			keys_hold(cb, d, it);
		}
		kc_walk_stop(&d->walk);
		keys_put_dropped(d);
		if (!full && !d->done)
			cond_resched();
	}
	return skb->len;
}

int kc_nl_keys_done(struct netlink_callback *cb)
{
	struct keys_dump *d = keys_of(cb);

	if (!d)
		return 0;
	kc_walk_exit(&d->walk);
	keys_forget_bucket(d);
	if (d->pending)
		keys_drop(d, d->pending);
	keys_put_dropped(d);
	kfree(d);
	return 0;
}

/* KC_CMD_STATS */

/* Attribute and offset of each u64 counter of a stats struct. */
struct stat_attr {
	u16 attr;
	u16 off;
};

#define STAT(a, f) { KC_STATS_A_##a, offsetof(struct kc_stats, f) }
static const struct stat_attr kc_stats_attrs[] = {
	STAT(LIMIT_BYTES, limit_bytes),
	STAT(USED_BYTES, used_bytes),
	STAT(SLAB_PAGES, slab_pages),
	STAT(LARGE_BYTES, large_bytes),
	STAT(CURR_ITEMS, curr_items),
	STAT(TOTAL_ITEMS, total_items),
	STAT(BYTES, bytes),
	STAT(GET_HITS, get_hits),
	STAT(GET_MISSES, get_misses),
	STAT(GET_EXPIRED, get_expired),
	STAT(CMD_GET, cmd_get),
	STAT(CMD_SET, cmd_set),
	STAT(CMD_TOUCH, cmd_touch),
	STAT(DELETE_HITS, delete_hits),
	STAT(DELETE_MISSES, delete_misses),
	STAT(INCR_HITS, incr_hits),
	STAT(INCR_MISSES, incr_misses),
	STAT(CAS_HITS, cas_hits),
	STAT(CAS_BADVAL, cas_badval),
	STAT(CAS_MISSES, cas_misses),
	STAT(EVICTIONS, evictions),
	STAT(EXPIRED_UNFETCHED, expired_unfetched),
	STAT(EVICTED_UNFETCHED, evicted_unfetched),
	STAT(RECLAIMED, reclaimed),
	STAT(CRAWLER_RECLAIMED, crawler_reclaimed),
	STAT(OUTOFMEMORY, outofmemory),
	STAT(SLABS_MOVED, slabs_moved),
	STAT(SHRINKER_FREED, shrinker_freed),
	STAT(HASH_ITEMS, hash_items),
	STAT(UPTIME_MS, uptime_ms),
	STAT(CAS_COUNTER, cas_counter),
};

#undef STAT

#define STAT(a, f) { KC_CLASS_A_##a, offsetof(struct kc_class_stats, f) }
static const struct stat_attr kc_class_attrs[] = {
	STAT(PAGES, pages),
	STAT(USED_CHUNKS, used_chunks),
	STAT(FREE_CHUNKS, free_chunks),
	STAT(ITEMS, items),
	STAT(HOT, hot),
	STAT(WARM, warm),
	STAT(COLD, cold),
	STAT(EVICTIONS, evictions),
	STAT(RECLAIMED, reclaimed),
	STAT(OUTOFMEMORY, outofmemory),
	STAT(MEM_REQUESTED, mem_requested),
};

#undef STAT

static int put_u64s(struct sk_buff *msg, const void *st,
		    const struct stat_attr *map, size_t n, int pad)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nla_put_u64_64bit(msg, map[i].attr,
				      *(const u64 *)(st + map[i].off), pad))
			return -EMSGSIZE;
	return 0;
}

static int put_stats(struct sk_buff *msg)
{
	struct kc_stats *st;
	struct nlattr *nest;
	int err = -EMSGSIZE;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	kc_stats_fill(st);
	nest = nla_nest_start(msg, KC_A_STATS);
	if (!nest)
		goto out;
	if (nla_put_u32(msg, KC_STATS_A_NR_CLASSES, st->nr_classes) ||
	    put_u64s(msg, st, kc_stats_attrs, ARRAY_SIZE(kc_stats_attrs),
		     KC_STATS_A_PAD))
		goto out;
	nla_nest_end(msg, nest);
	err = 0;
out:
	kfree(st);
	return err;
}

static int put_class(struct sk_buff *msg, u32 id)
{
	struct kc_class_stats cs;
	struct nlattr *nest;

	kc_class_stats_fill(id, &cs);
	nest = nla_nest_start(msg, KC_A_CLASS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, KC_CLASS_A_ID, cs.id) ||
	    nla_put_u32(msg, KC_CLASS_A_CHUNK_SIZE, cs.chunk_size) ||
	    nla_put_u32(msg, KC_CLASS_A_CHUNKS_PER_PAGE, cs.chunks_per_page) ||
	    put_u64s(msg, &cs, kc_class_attrs, ARRAY_SIZE(kc_class_attrs),
		     KC_CLASS_A_PAD)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

int kcache_nl_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id = info->attrs[KC_A_CLASS_ID];
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (id && nla_get_u32(id) >= kc.nr_classes) {
		KC_SET_ERR_MSG_FMT(info->extack, "no such slab class",
				   "no such slab class: the module has %u",
				   kc.nr_classes);
		NL_SET_BAD_ATTR(info->extack, id);
		return -ERANGE;
	}
	hdr = reply_start(&msg, NLMSG_GOODSIZE, info, KC_CMD_STATS);
	if (!hdr)
		return -ENOMEM;
	err = id ? put_class(msg, nla_get_u32(id)) : put_stats(msg);
	if (err == -EMSGSIZE)
		return reply_too_big(msg, info);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return reply_end(msg, hdr, info);
}

struct stats_ctx {
	u32 next;		/* the next class to dump */
};

static_assert(sizeof(struct stats_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

int kc_nl_stats_start(struct netlink_callback *cb)
{
	struct nlattr **tb = kc_dump_attrs(cb);
	int err = check_dups(cb->nlh, 0, cb->extack);

	if (err)
		return err;
	if (tb[KC_A_CLASS_ID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, tb[KC_A_CLASS_ID],
				    "the dump returns every class: KC_A_CLASS_ID is for a get");
		return -EINVAL;
	}
	return 0;
}

int kcache_nl_stats_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct stats_ctx *ctx = (struct stats_ctx *)cb->ctx;
	void *hdr;

	for (; ctx->next < kc.nr_classes; ctx->next++) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &kc_genl_family,
				  NLM_F_MULTI, KC_CMD_STATS);
		if (!hdr)
			break;
		if (put_class(skb, ctx->next)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	return skb->len;
}

/* KC_CMD_CONFIG_GET and KC_CMD_CONFIG_SET */

static int config_reply(struct genl_info *info, u8 cmd)
{
	struct kc_config cfg;
	struct sk_buff *msg;
	void *hdr;

	kc_config_fill(&cfg);
	hdr = reply_start(&msg, NLMSG_GOODSIZE, info, cmd);
	if (!hdr)
		return -ENOMEM;
	if (nla_put_u64_64bit(msg, KC_A_MEMORY_LIMIT_MB, cfg.memory_limit_mb,
			      KC_A_PAD) ||
	    nla_put_u32(msg, KC_A_NOTIFY, cfg.notify) ||
	    nla_put_u32(msg, KC_A_AUTOMOVE, cfg.automove) ||
	    nla_put_u32(msg, KC_A_ITEM_SIZE_MAX, cfg.item_size_max) ||
	    nla_put_u32(msg, KC_A_CHUNK_MIN, cfg.chunk_min) ||
	    nla_put_u32(msg, KC_A_GROWTH_FACTOR_PCT, cfg.growth_factor_pct))
		return reply_too_big(msg, info);
	return reply_end(msg, hdr, info);
}

int kcache_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return config_reply(info, KC_CMD_CONFIG_GET);
}

int kcache_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct kc_config cfg = { .size = sizeof(cfg) };
	u32 mask = 0;
	int err;

	if (tb[KC_A_MEMORY_LIMIT_MB]) {
		cfg.memory_limit_mb = nla_get_u64(tb[KC_A_MEMORY_LIMIT_MB]);
		if (cfg.memory_limit_mb > kc_config_limit_max_mb()) {
			KC_SET_ERR_MSG_FMT(info->extack,
					   "memory limit above the machine's RAM",
					   "memory limit above the machine's RAM (%llu MiB)",
					   kc_config_limit_max_mb());
			NL_SET_BAD_ATTR(info->extack, tb[KC_A_MEMORY_LIMIT_MB]);
			return -ERANGE;
		}
		mask |= KC_CONFIG_MEMORY_LIMIT;
	}
	if (tb[KC_A_NOTIFY]) {
		cfg.notify = nla_get_u32(tb[KC_A_NOTIFY]);
		mask |= KC_CONFIG_NOTIFY;
	}
	if (tb[KC_A_AUTOMOVE]) {
		cfg.automove = nla_get_u32(tb[KC_A_AUTOMOVE]);
		mask |= KC_CONFIG_AUTOMOVE;
	}
	if (!mask) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to set: give KC_A_MEMORY_LIMIT_MB, KC_A_NOTIFY or KC_A_AUTOMOVE");
		return -EINVAL;
	}
	err = kc_config_apply(&cfg, mask);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "the configuration was refused");
		return err;
	}
	return config_reply(info, KC_CMD_CONFIG_SET);
}

/* KC_CMD_FLUSH */

int kcache_nl_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kc_flush_all();
}

/* KC_CMD_PUBLISH */

int kcache_nl_publish_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *ch = info->attrs[KC_A_CHANNEL];
	struct nlattr *m = info->attrs[KC_A_MESSAGE];
	u32 mlen = m ? nla_len(m) : 0;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KC_A_CHANNEL)) {
		NL_SET_ERR_MSG(info->extack,
			       "missing KC_A_CHANNEL: where to publish");
		return -EINVAL;
	}
	if (!genl_has_listeners(&kc_genl_family, &init_net, KCACHE_NLGRP_PUBSUB))
		return 0;
	msg = genlmsg_new(nla_total_size(nla_len(ch)) + nla_total_size(mlen),
			  GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put(msg, 0, 0, &kc_genl_family, 0, KC_CMD_MESSAGE);
	if (!hdr ||
	    nla_put(msg, KC_A_CHANNEL, nla_len(ch), nla_data(ch)) ||
	    nla_put(msg, KC_A_MESSAGE, mlen, m ? nla_data(m) : NULL))
		return reply_too_big(msg, info);
	genlmsg_end(msg, hdr);
	/* Subscribers that fall behind overrun; the publisher never waits. */
	err = genlmsg_multicast(&kc_genl_family, msg, 0, KCACHE_NLGRP_PUBSUB,
				GFP_KERNEL);
	return err == -ESRCH ? 0 : err;
}

/* Keyspace events */

/*
 * Tells the keyspace group that key had event ev, when notifications are
 * on and anyone listens.  Any context but NMI: never sleeps, never waits
 * for a listener (a slow one overruns), drops the event if it cannot
 * allocate.
 */
void kc_notify(enum kc_event ev, const char *key, u32 nkey)
{
	struct sk_buff *msg;
	void *hdr;

	if (!READ_ONCE(kc.notify))
		return;
	rcu_read_lock();
	if (!READ_ONCE(kc_genl_up) ||
	    !genl_has_listeners(&kc_genl_family, &init_net, KCACHE_NLGRP_KEYSPACE))
		goto out;
	msg = genlmsg_new(nla_total_size(sizeof(u32)) + nla_total_size(nkey),
			  GFP_ATOMIC | __GFP_NOWARN);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, &kc_genl_family, 0, KC_CMD_EVENT);
	if (!hdr || nla_put_u32(msg, KC_A_EVENT, ev) ||
	    (key && nla_put(msg, KC_A_KEY, nkey, key))) {
		nlmsg_free(msg);
		goto out;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&kc_genl_family, msg, 0, KCACHE_NLGRP_KEYSPACE,
			  GFP_ATOMIC);
out:
	rcu_read_unlock();
}

/*
 * Either group shows data (keys, messages): CAP_NET_ADMIN to join, as the
 * spec's admin-perm flag on each says.  The 6.12 generator leaves group
 * flags out of the table it writes (kcache_nl_mcgrps[], unused), so the
 * table is here, indexed by the group enum it generates.
 */
static const struct genl_multicast_group kc_mcgrps[] = {
	[KCACHE_NLGRP_PUBSUB] = {
		.name	= KC_MCGRP_PUBSUB,
		.flags	= GENL_MCAST_CAP_NET_ADMIN,
	},
	[KCACHE_NLGRP_KEYSPACE] = {
		.name	= KC_MCGRP_KEYSPACE,
		.flags	= GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * The cache is global, not per network namespace: the family lives in the
 * initial namespace only, where its events go.  Handlers take no genl
 * mutex (parallel_ops): the cache has its own locks, and a long dump or
 * flush must not hold up other families.
 */
/*
 * The spec's ops (kcache_nl_ops[] of netlink-gen.c) as registered.  An op
 * whose request has no attributes has no policy there, and the genl core
 * parses nothing for a split op without one: such an op gets
 * kc_none_policy, which rejects every attribute ("Unsupported attribute").
 */
static const struct nla_policy kc_none_policy[KC_A_MAX + 1] = {};
static struct genl_split_ops kc_split_ops[ARRAY_SIZE(kcache_nl_ops)] __ro_after_init;

#ifdef KC_GENL_FULL_OPS
/*
 * 6.1 takes full ops: a command's do and dump in one, with one policy and
 * the family's pre_doit, which calls the pre hook of the command's do.
 */
static struct genl_ops kc_full_ops[ARRAY_SIZE(kcache_nl_ops)] __ro_after_init;

static const struct genl_split_ops *split_op(u8 cmd, u8 cap)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kc_split_ops); i++)
		if (kc_split_ops[i].cmd == cmd && (kc_split_ops[i].flags & cap))
			return &kc_split_ops[i];
	return NULL;
}

static int kc_nl_pre_doit_full(const struct genl_ops *ops,
			       struct sk_buff *skb, struct genl_info *info)
{
	const struct genl_split_ops *op = split_op(ops->cmd, GENL_CMD_CAP_DO);

	return op && op->pre_doit ? op->pre_doit(op, skb, info) : 0;
}

static bool same_policy(const struct genl_split_ops *a,
			const struct genl_split_ops *b)
{
	return a->maxattr == b->maxattr &&
	       (a->policy == b->policy ||
		!memcmp(a->policy, b->policy,
			(a->maxattr + 1) * sizeof(*a->policy)));
}

/* Fills kc_full_ops from kc_split_ops (sorted by command, do first). */
static int kc_genl_full_ops(void)
{
	const u8 caps = GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP;
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(kc_split_ops); i++) {
		const struct genl_split_ops *sp = &kc_split_ops[i];
		const struct genl_split_ops *doit;
		struct genl_ops *op;

		if (n && kc_full_ops[n - 1].cmd == sp->cmd) {
			/* The dump of a command whose do came first. */
			op = &kc_full_ops[n - 1];
			doit = split_op(sp->cmd, GENL_CMD_CAP_DO);
			if (!doit || !same_policy(doit, sp) ||
			    (doit->flags & ~caps) != (sp->flags & ~caps)) {
				pr_err("kcache: command %u: its do and dump differ in policy or flags, which 6.1 cannot register\n",
				       sp->cmd);
				return -EINVAL;
			}
		} else {
			op = &kc_full_ops[n++];
			op->cmd = sp->cmd;
			op->policy = sp->policy;
			op->maxattr = sp->maxattr;
			op->flags = sp->flags & ~caps;
		}
		if (sp->flags & GENL_CMD_CAP_DO) {
			op->doit = sp->doit;
		} else {
			op->start = sp->start;
			op->dumpit = sp->dumpit;
			op->done = sp->done;
		}
	}
	kc_genl_family.ops = kc_full_ops;
	kc_genl_family.n_ops = n;
	return 0;
}
#endif

static struct genl_family kc_genl_family __ro_after_init = {
	.name		= KC_GENL_NAME,
	.version	= KC_GENL_VERSION,
	.maxattr	= KC_A_MAX,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
#ifdef KC_GENL_FULL_OPS
	.pre_doit	= kc_nl_pre_doit_full,
#else
	.split_ops	= kc_split_ops,
	.n_split_ops	= ARRAY_SIZE(kc_split_ops),
#endif
	.mcgrps		= kc_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(kc_mcgrps),
};

int __init kc_genl_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(kc_split_ops); i++) {
		kc_split_ops[i] = kcache_nl_ops[i];
		if (!kc_split_ops[i].policy) {
			kc_split_ops[i].policy = kc_none_policy;
			kc_split_ops[i].maxattr = KC_A_MAX;
		}
	}
#ifdef KC_GENL_FULL_OPS
	err = kc_genl_full_ops();
	if (err)
		return err;
#endif
	err = genl_register_family(&kc_genl_family);

	if (!err)
		WRITE_ONCE(kc_genl_up, true);
	return err;
}

void kc_genl_exit(void)
{
	WRITE_ONCE(kc_genl_up, false);
	synchronize_rcu();	/* no kc_notify() is sending any more */
	genl_unregister_family(&kc_genl_family);
}
