// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink: the socket, requests and their replies, and errors the way iw
 * reports them (the kernel's extack message as "kernel reports: ...").
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <linux/netlink.h>

#include "cli.h"
#include "libkcache.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

int cli_connect(struct cli *cli)
{
	int one = 1, fd, err;

	cli->sk = nl_socket_alloc();
	if (!cli->sk) {
		fprintf(stderr, "kcache-cli: out of memory\n");
		return -ENOMEM;
	}
	err = genl_connect(cli->sk);
	if (err) {
		fprintf(stderr, "kcache-cli: cannot open a generic netlink socket: %s\n",
			nl_geterror(err));
		return -EIO;
	}
	/* Replies of any size: the buffer is sized by peeking. */
	nl_socket_enable_msg_peek(cli->sk);
	fd = nl_socket_get_fd(cli->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	cli->family = genl_ctrl_resolve(cli->sk, KC_GENL_NAME);
	if (cli->family < 0) {
		if (cli->family == -NLE_OBJ_NOTFOUND)
			fprintf(stderr,
				"kcache-cli: generic netlink family \"%s\" not found: is the kcache module loaded?\n"
				"hint: load it with 'modprobe kcache' (or insmod kcache.ko)\n",
				KC_GENL_NAME);
		else
			fprintf(stderr, "kcache-cli: cannot resolve family \"%s\": %s\n",
				KC_GENL_NAME, nl_geterror(cli->family));
		return -ENOENT;
	}
	return 0;
}

void cli_disconnect(struct cli *cli)
{
	nl_socket_free(cli->sk);
	cli->sk = NULL;
}

/*
 * A request for command cmd; flags: NLM_F_DUMP or 0.  With -n, an op and
 * a keys dump name their database (KC_A_DB); without, they say nothing
 * and the kernel takes database 0, as before databases.
 */
struct nl_msg *cli_msg(struct cli *cli, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();
	bool db = cli->has_db && (cmd == KC_CMD_OP || cmd == KC_CMD_KEYS);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, cli->family, 0, flags,
			 cmd, KC_GENL_VERSION) ||
	    (db && nla_put_u32(msg, KC_A_DB, cli->db))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct exec {
	struct cli *cli;
	reply_fn fn;
	void *arg;
	int err;
	bool done;
};

/* The TLVs after an error or ACK: the message and a missing attribute. */
static void parse_ext_ack(struct cli *cli, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int off = sizeof(*e), len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = nlmsg_datalen(nlh) - off;
	if (len <= 0 || nla_parse(tb, NLMSGERR_ATTR_MAX,
				  (struct nlattr *)((char *)e + off), len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG]) {
		size_t n = nla_len(tb[NLMSGERR_ATTR_MSG]);

		if (n >= sizeof(cli->ext))
			n = sizeof(cli->ext) - 1;
		memcpy(cli->ext, nla_data(tb[NLMSGERR_ATTR_MSG]), n);
		cli->ext[n] = '\0';
	}
	if (tb[NLMSGERR_ATTR_MISS_TYPE])
		cli->miss_type = (int)nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]);
}

static int valid_cb(struct nl_msg *msg, void *arg)
{
	struct exec *x = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[KC_A_MAX + 1];
	int err;

	if (genlmsg_parse(nlh, 0, tb, KC_A_MAX, NULL) < 0) {
		x->err = -EBADMSG;
		return NL_STOP;
	}
	if (x->fn) {
		err = x->fn(tb, nlh, x->arg);
		if (err) {
			x->err = err;
			return NL_STOP;
		}
	}
	return NL_OK;
}

static int err_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct exec *x = arg;

	(void)who;
	parse_ext_ack(x->cli, (struct nlmsghdr *)e - 1);
	x->err = e->error;
	x->done = true;
	return NL_STOP;
}

static int done_cb(struct nl_msg *msg, void *arg)
{
	struct exec *x = arg;

	(void)msg;
	x->done = true;
	return NL_STOP;
}

static int intr_cb(struct nl_msg *msg, void *arg)
{
	struct exec *x = arg;

	(void)msg;
	x->cli->intr = true;
	return NL_OK;
}

/*
 * Sends msg (and frees it) and hands every reply message's attributes to
 * fn (may be NULL), until the ACK, the error or the end of a dump.  A
 * non-zero return of fn stops and is returned.  Returns 0 or -errno; the
 * kernel's message, if any, is in cli->ext.
 */
int cli_exec(struct cli *cli, struct nl_msg *msg, reply_fn fn, void *arg)
{
	struct exec x = { .cli = cli, .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err;

	cli->ext[0] = '\0';
	cli->miss_type = -1;
	cli->intr = false;
	if (!msg)
		return -ENOMEM;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, valid_cb, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, done_cb, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, done_cb, &x);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, intr_cb, &x);
	nl_cb_err(cb, NL_CB_CUSTOM, err_cb, &x);
	err = nl_send_auto(cli->sk, msg);
	nlmsg_free(msg);
	if (err < 0) {
		x.err = -EIO;
		snprintf(cli->ext, sizeof(cli->ext), "cannot send: %s",
			 nl_geterror(err));
		goto out;
	}
	while (!x.done && !x.err) {
		err = nl_recvmsgs(cli->sk, cb);
		if (err < 0 && !x.done && !x.err) {
			x.err = -EIO;
			snprintf(cli->ext, sizeof(cli->ext), "cannot receive: %s",
				 nl_geterror(err));
		}
	}
out:
	nl_cb_put(cb);
	return x.err;
}

/*
 * Reports a failed request on stderr: what failed, the kernel's own words,
 * and a hint where one helps.  Returns the exit status for an error.
 */
int cli_error(struct cli *cli, int err, const char *what)
{
	const char *name = cli->cmd ? cli->cmd->name : "kcache-cli";

	if (err == -ENOMEM && !cli->ext[0])
		fprintf(stderr, "kcache-cli: %s: out of memory\n", name);
	else
		fprintf(stderr, "kcache-cli: %s: %s%s%s\n", name,
			what ? what : "", what ? ": " : "",
			err == -EIO ? "netlink I/O failed" : kc_strerror(err));
	if (cli->ext[0])
		fprintf(stderr, "kernel reports: %s\n", cli->ext);
	switch (err) {
	case -EPERM:
		if (cli->cmd && cli->cmd->opcode == KC_OP_SWAPDB)
			fprintf(stderr,
				"hint: swapdb needs CAP_SYS_ADMIN (run as root)\n");
		else
			fprintf(stderr,
				"hint: flush, config set and instances need CAP_NET_ADMIN and CAP_SYS_ADMIN (run as root; instances: in the initial network namespace)\n");
		break;
	case -EACCES:
		fprintf(stderr,
			"hint: data commands need read and write access to /dev/kcache (module parameters dev_mode, dev_gid)\n");
		break;
	case -EMSGSIZE:
		fprintf(stderr,
			"hint: netlink carries at most %u bytes of reply; use the ioctl API (libkcache) for more\n",
			KC_NL_VALUE_MAX);
		break;
	}
	return EXIT_ERR;
}

/* The id of multicast group name, or -errno. */
int cli_group(struct cli *cli, const char *name)
{
	int grp = genl_ctrl_resolve_grp(cli->sk, KC_GENL_NAME, name);

	if (grp < 0) {
		fprintf(stderr, "kcache-cli: %s: no multicast group \"%s\": %s\n",
			cli->cmd->name, name, nl_geterror(grp));
		return -ENOENT;
	}
	return grp;
}
