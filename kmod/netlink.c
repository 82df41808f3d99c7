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
 * - The dumps (KEYS, STATS) are in netlink-dump.c, PUBLISH and the
 *   keyspace events in netlink-notify.c; netlink-int.h is what the three
 *   files share.
 *
 * Locking: no cache lock is taken here (ops take theirs in ops.c).
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
#include "netlink-int.h"
#include "netlink-gen.h"
#include "ops.h"
#include "stats.h"

bool kc_genl_up;		/* registered: kc_notify() may send */

static_assert(__KC_A_LAST <= 64);
/* Limits the spec states as numbers, for the policies of netlink-gen.c. */
static_assert(KC_MAX_CLASSES - 1 == 127);	/* class-id: max */
static_assert(KC_MIN_LIMIT_MB == 2);		/* memory-limit-mb: min */
static_assert(__KC_OP_F_ALL == 0x7fffffff);	/* flags: flags-mask */
static_assert(KC_DB_COUNT - 1 == 15);		/* db: max */

/* The file of the socket a request came from, if it has one. */
static struct file *sender_file(const struct sk_buff *skb)
{
	struct sock *sk = NETLINK_CB(skb).sk;

	return sk && sk->sk_socket ? sk->sk_socket->file : NULL;
}

int kc_nl_data_permitted(const struct sk_buff *skb,
			 struct netlink_ext_ack *extack)
{
	if (kc_chardev_permitted(sender_file(skb)))
		return 0;
	NL_SET_ERR_MSG(extack,
		       "no access to the cache: needs read and write permission on /dev/kcache");
	return -EACCES;
}

/*
 * GENL_ADMIN_PERM has checked CAP_NET_ADMIN (in the initial user
 * namespace: the spec schema of 6.12 knows no uns-admin-perm); like the
 * ioctls, an admin command also needs CAP_SYS_ADMIN in the user namespace
 * that owns the socket's network namespace.
 */
static int admin_permitted(const struct sk_buff *skb,
			   struct netlink_ext_ack *extack)
{
	if (netlink_ns_capable(skb, sock_net(skb->sk)->user_ns, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(extack,
		       "needs CAP_SYS_ADMIN in the network namespace's user namespace");
	return -EPERM;
}

/*
 * Policies keep the last copy of an attribute given twice; a request with
 * two keys or two opcodes is a bug we report.  Only types in multi repeat.
 */
int kc_nl_check_dups(const struct nlmsghdr *nlh, u64 multi,
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
	int err = kc_nl_check_dups(info->nlhdr, multi, info->extack);

	if (!err && !kc_nl_cache(skb)) {
		NL_SET_ERR_MSG(info->extack,
			       "no memory for this network namespace's cache");
		err = -ENOMEM;
	}
	return err;
}

int kc_nl_pre_data(const struct genl_split_ops *ops, struct sk_buff *skb,
		   struct genl_info *info)
{
	return kc_nl_pre_doit(ops, skb, info) ?:
	       kc_nl_data_permitted(skb, info->extack);
}

int kc_nl_pre_admin(const struct genl_split_ops *ops, struct sk_buff *skb,
		    struct genl_info *info)
{
	return kc_nl_pre_doit(ops, skb, info) ?:
	       admin_permitted(skb, info->extack);
}

void *kc_nl_reply_start(struct sk_buff **msg, size_t size,
			struct genl_info *info, u8 cmd)
{
	void *hdr;

	*msg = genlmsg_new(size, GFP_KERNEL_ACCOUNT);
	if (!*msg)
		return NULL;
	hdr = genlmsg_put_reply(*msg, info, &kc_genl_family, 0, cmd);
	if (!hdr) {
		nlmsg_free(*msg);
		*msg = NULL;
	}
	return hdr;
}

int kc_nl_reply_end(struct sk_buff *msg, void *hdr, struct genl_info *info)
{
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int kc_nl_reply_too_big(struct sk_buff *msg, struct genl_info *info)
{
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "reply does not fit in a message");
	return -EMSGSIZE;
}

/* KC_CMD_VERSION */

int kcache_nl_version_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kc_cache *kc = kc_nl_cache(skb);
	const char *ver = THIS_MODULE->version ?: "unknown";
	struct sk_buff *msg;
	void *hdr;

	hdr = kc_nl_reply_start(&msg, NLMSG_GOODSIZE, info, KC_CMD_VERSION);
	if (!hdr)
		return -ENOMEM;
	if (nla_put_u32(msg, KC_A_VERSION_ABI, KC_ABI_VERSION) ||
	    nla_put_string(msg, KC_A_VERSION_MODULE, ver) ||
	    nla_put_u32(msg, KC_A_KEY_MAX, KC_KEY_MAX) ||
	    nla_put_u32(msg, KC_A_ITEM_SIZE_MAX, kc_item_size_max(kc)) ||
	    nla_put_u32(msg, KC_A_VALUE_MAX, KC_NL_VALUE_MAX) ||
	    nla_put_u32(msg, KC_A_NR_CLASSES, kc->nr_classes))
		return kc_nl_reply_too_big(msg, info);
	return kc_nl_reply_end(msg, hdr, info);
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
		      2 * nla_total_size(sizeof(u32)) + op->out_used +
		      op->out_used / 2 + NLA_HDRLEN;
	struct sk_buff *msg;
	void *hdr;

	hdr = kc_nl_reply_start(&msg, size, info, KC_CMD_OP);
	if (!hdr)
		return -ENOMEM;
	if (nla_put_s64(msg, KC_A_NUM, op->num, KC_A_PAD) ||
	    nla_put_u64_64bit(msg, KC_A_CAS, op->cas, KC_A_PAD) ||
	    nla_put_s64(msg, KC_A_EXPIRE, op->expire, KC_A_PAD) ||
	    nla_put_u32(msg, KC_A_CLIENT_FLAGS, op->client_flags) ||
	    nla_put_u32(msg, KC_A_META, op->meta))
		return kc_nl_reply_too_big(msg, info);
	if (req->reply == KC_REPLY_VALUE &&
	    nla_put(msg, KC_A_VALUE, op->out_used, out))
		return kc_nl_reply_too_big(msg, info);
	if (req->reply == KC_REPLY_ELEMS &&
	    put_elems(msg, out, op->out_used))
		return kc_nl_reply_too_big(msg, info);
	return kc_nl_reply_end(msg, hdr, info);
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
	*args = kvcalloc(n, sizeof(**args), KC_GFP_REQ);
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
	struct kc_req req = { .kern = true, .cache = kc_nl_cache(skb) };
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
	/* The whole-cache ops: as KC_CMD_FLUSH (admin-perm) and more. */
	if ((op->opcode == KC_OP_FLUSH || op->opcode == KC_OP_SWAPDB) &&
	    !(netlink_capable(skb, CAP_NET_ADMIN) &&
	      netlink_capable(skb, CAP_SYS_ADMIN))) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[KC_A_OPCODE],
				    "FLUSH and SWAPDB need CAP_NET_ADMIN and CAP_SYS_ADMIN");
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
	if (tb[KC_A_DB])
		op->db = nla_get_u32(tb[KC_A_DB]);
	err = op_args(info, op, &args);
	if (err)
		return err;
	out = kvmalloc(KC_NL_VALUE_MAX, KC_GFP_REQ);
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

/* KC_CMD_CONFIG_GET and KC_CMD_CONFIG_SET */

static int config_reply(struct kc_cache *kc, struct genl_info *info, u8 cmd)
{
	struct kc_config cfg;
	struct sk_buff *msg;
	void *hdr;

	kc_config_fill(kc, &cfg);
	hdr = kc_nl_reply_start(&msg, NLMSG_GOODSIZE, info, cmd);
	if (!hdr)
		return -ENOMEM;
	if (nla_put_u64_64bit(msg, KC_A_MEMORY_LIMIT_MB, cfg.memory_limit_mb,
			      KC_A_PAD) ||
	    nla_put_u32(msg, KC_A_NOTIFY, cfg.notify) ||
	    nla_put_u32(msg, KC_A_AUTOMOVE, cfg.automove) ||
	    nla_put_u32(msg, KC_A_ITEM_SIZE_MAX, cfg.item_size_max) ||
	    nla_put_u32(msg, KC_A_CHUNK_MIN, cfg.chunk_min) ||
	    nla_put_u32(msg, KC_A_GROWTH_FACTOR_PCT, cfg.growth_factor_pct) ||
	    nla_put_u32(msg, KC_A_NOEVICT, cfg.noevict))
		return kc_nl_reply_too_big(msg, info);
	return kc_nl_reply_end(msg, hdr, info);
}

int kcache_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return config_reply(kc_nl_cache(skb), info, KC_CMD_CONFIG_GET);
}

int kcache_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kc_cache *kc = kc_nl_cache(skb);
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
	if (tb[KC_A_ITEM_SIZE_MAX]) {
		cfg.item_size_max = nla_get_u32(tb[KC_A_ITEM_SIZE_MAX]);
		mask |= KC_CONFIG_ITEM_SIZE_MAX;
	}
	if (tb[KC_A_NOEVICT]) {
		cfg.noevict = nla_get_u32(tb[KC_A_NOEVICT]);
		mask |= KC_CONFIG_NOEVICT;
	}
	if (!mask) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to set: give KC_A_MEMORY_LIMIT_MB, KC_A_NOTIFY, KC_A_AUTOMOVE, KC_A_ITEM_SIZE_MAX or KC_A_NOEVICT");
		return -EINVAL;
	}
	err = kc_config_apply(kc, &cfg, mask);
	if (err == -ENOSPC) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[KC_A_MEMORY_LIMIT_MB],
				    "the instances' limits together would exceed memory_ceiling_mb");
		return err;
	}
	if (err) {
		NL_SET_ERR_MSG(info->extack, "the configuration was refused");
		return err;
	}
	return config_reply(kc_nl_cache(skb), info, KC_CMD_CONFIG_SET);
}

/* KC_CMD_FLUSH */

/*
 * The op the ioctl runs, through the same dispatch, so it takes the same
 * lock (kc_op_exec()): never between the ops of a transaction.
 */
int kcache_nl_flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kc_req req = { .kern = true, .op.opcode = KC_OP_FLUSH,
			      .cache = kc_nl_cache(skb) };

	if (info->attrs[KC_A_FLAGS])
		req.op.flags = nla_get_u32(info->attrs[KC_A_FLAGS]);
	if (info->attrs[KC_A_DB])
		req.op.db = nla_get_u32(info->attrs[KC_A_DB]);
	return kc_op_run(&req);
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

struct genl_family kc_genl_family __ro_after_init = {
	.name		= KC_GENL_NAME,
	.version	= KC_GENL_VERSION,
	.maxattr	= KC_A_MAX,
	.netnsok	= true,	/* one instance per namespace */
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
