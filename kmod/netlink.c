// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kcache".  Every command has its own strict
 * policy; rejections carry an extack message.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include "kcache.h"
#include "netlink.h"

static struct genl_family kc_genl_family;

static const struct nla_policy kc_version_policy[KC_A_MAX + 1] = {
};

static int kc_nl_version(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kc_genl_family, 0, KC_CMD_VERSION);
	if (!hdr)
		goto err_msg;
	if (nla_put_u32(msg, KC_A_VERSION_ABI, KC_ABI_VERSION) ||
	    nla_put_string(msg, KC_A_VERSION_MODULE, THIS_MODULE->version ?
			   THIS_MODULE->version : "unknown"))
		goto err_msg;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_msg:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "reply does not fit");
	return -EMSGSIZE;
}

static const struct genl_ops kc_genl_ops[] = {
	{
		.cmd	= KC_CMD_VERSION,
		.doit	= kc_nl_version,
		.policy	= kc_version_policy,
		.maxattr = KC_A_MAX,
	},
};

static struct genl_family kc_genl_family __ro_after_init = {
	.name		= KC_GENL_NAME,
	.version	= KC_GENL_VERSION,
	.maxattr	= KC_A_MAX,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= kc_genl_ops,
	.n_ops		= ARRAY_SIZE(kc_genl_ops),
	.resv_start_op	= KC_CMD_VERSION + 1,
};

int __init kc_genl_init(void)
{
	return genl_register_family(&kc_genl_family);
}

void kc_genl_exit(void)
{
	genl_unregister_family(&kc_genl_family);
}
