// SPDX-License-Identifier: GPL-2.0
/*
 * Data commands: each builds one KC_CMD_OP (or a few) and prints the
 * reply; del and exists of many keys run as one KC_IOC_BATCH instead
 * (libkcache) when /dev/kcache opens.  Most are rows of the command table run by data_generic(); the
 * others have options or replies of their own.
 *
 * A miss (ENOENT) and a condition not met (EEXIST) are answers, not
 * errors: they print (nil) or 0 and exit 1.  Other failures exit 2.
 */
#include <errno.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include "cli.h"
#include "libkcache.h"

static struct nl_msg *op_msg(struct cli *cli, uint32_t opcode,
			     uint32_t flags)
{
	struct nl_msg *msg = cli_msg(cli, KC_CMD_OP, 0);

	if (msg && (nla_put_u32(msg, KC_A_OPCODE, opcode) ||
		    (flags && nla_put_u32(msg, KC_A_FLAGS, flags)))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int put_str(struct nl_msg *msg, int type, const char *s)
{
	return nla_put(msg, type, strlen(s), s);
}

static bool is_miss(int err)
{
	return err == -ENOENT || err == -EEXIST;
}

static int64_t num_of(struct nlattr **tb)
{
	return tb[KC_A_NUM] ? nla_get_s64(tb[KC_A_NUM]) : 0;
}

struct reply_ctx {
	struct cli *cli;
	enum reply kind;
	int status;
};

/* Prints the KC_A_ELEMs of a reply as a list, pairs or 1/0 flags. */
static void print_elems(struct cli *cli, struct nlmsghdr *nlh,
			enum reply kind)
{
	struct nlattr *a;
	struct out_list l;
	int rem;

	out_list_start(&l, cli, kind == RP_PAIRS);
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		struct nlattr *et[KC_ELEM_A_MAX + 1];
		struct nlattr *v;

		if (nla_type(a) != KC_A_ELEM ||
		    nla_parse_nested(et, KC_ELEM_A_MAX, a, NULL))
			continue;
		v = et[KC_ELEM_A_VALUE];
		if (kind == RP_BOOLS)
			out_list_int(&l, !et[KC_ELEM_A_NIL]);
		else
			out_list_item(&l, v ? nla_data(v) : NULL,
				      v ? nla_len(v) : 0, !v);
	}
	out_list_end(&l);
}

static int reply_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct reply_ctx *r = arg;
	struct nlattr *v = tb[KC_A_VALUE];
	int64_t num = num_of(tb);

	switch (r->kind) {
	case RP_OK:
		out_ok(r->cli);
		break;
	case RP_VALUE:
	case RP_STR:
	case RP_STR_OR_NIL:
		if (v) {
			out_value(r->cli, nla_data(v), nla_len(v));
		} else if (r->kind == RP_STR) {
			out_value(r->cli, "", 0);
		} else {
			out_nil(r->cli);
			if (r->kind == RP_VALUE)
				r->status = EXIT_NO;
		}
		break;
	case RP_LINSERT:
		out_int(r->cli, num);
		if (num < 0)
			r->status = EXIT_NO;
		break;
	case RP_INT:
		out_int(r->cli, num);
		break;
	case RP_BOOL:
	case RP_COUNT:
		out_int(r->cli, num);
		if (!num)
			r->status = EXIT_NO;
		break;
	case RP_DONE:
		out_int(r->cli, 1);
		break;
	case RP_POP:
		if (v) {
			out_value(r->cli, nla_data(v), nla_len(v));
			break;
		}
		/* fall through */
	case RP_ELEMS:
	case RP_PAIRS:
	case RP_BOOLS:
		print_elems(r->cli, nlh, r->kind);
		break;
	}
	return 0;
}

/* Runs msg and prints its reply as kind; returns the exit status. */
static int run_op(struct cli *cli, struct nl_msg *msg, enum reply kind)
{
	struct reply_ctx r = { .cli = cli, .kind = kind };
	int err;

	if (!msg)
		return cli_error(cli, -ENOMEM, NULL);
	err = cli_exec(cli, msg, reply_cb, &r);
	if (is_miss(err)) {
		switch (kind) {
		case RP_INT:
		case RP_BOOL:
		case RP_COUNT:
		case RP_DONE:
		case RP_LINSERT:
			out_int(cli, 0);
			break;
		case RP_ELEMS:
		case RP_PAIRS:
		case RP_BOOLS:
			if (err == -ENOENT) {
				struct out_list l;

				out_list_start(&l, cli, kind == RP_PAIRS);
				out_list_end(&l);
				break;
			}
			/* fall through */
		default:
			out_nil(cli);
		}
		return EXIT_NO;
	}
	if (err)
		return cli_error(cli, err, NULL);
	return r.status;
}

/*
 * A command of the table: positional arguments become attributes as its
 * spec says (struct cmd); its option flags go into KC_A_FLAGS.
 */
int data_generic(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[8] = { NULL };
	struct nl_msg *msg;
	uint32_t flags;
	const char *sp;
	int i = 0, ret, err = 0;
	int64_t n;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	flags |= cmd->flags;
	msg = op_msg(cli, cmd->opcode, 0);
	if (!msg)
		return cli_error(cli, -ENOMEM, NULL);
	if (cmd->has_num)
		err = nla_put_s64(msg, KC_A_NUM, cmd->num);
	for (sp = cmd->spec; *sp && !err; sp++) {
		if (*sp == '[') {
			if (i == a->argc)
				break;
			flags |= cmd->optflag;
			continue;
		}
		if (i == a->argc) {
			nlmsg_free(msg);
			return usage_error(cli, "missing arguments");
		}
		switch (*sp) {
		case 'k':
			err = put_str(msg, KC_A_KEY, a->argv[i++]);
			break;
		case 'v':
			err = put_str(msg, KC_A_VALUE, a->argv[i++]);
			break;
		case 'a':
			err = put_str(msg, KC_A_ARG, a->argv[i++]);
			break;
		case 'n':
		case 'm':
		case 'e':
			if (parse_s64(cli, *sp == 'e' ? "the expiry" :
				      "a number", a->argv[i++], &n)) {
				nlmsg_free(msg);
				return EXIT_ERR;
			}
			err = nla_put_s64(msg, *sp == 'n' ? KC_A_NUM :
					  *sp == 'm' ? KC_A_NUM2 : KC_A_EXPIRE,
					  n);
			break;
		case '2':
			if ((a->argc - i) % 2) {
				nlmsg_free(msg);
				return usage_error(cli, "arguments come in pairs");
			}
			/* fall through */
		case '*':
			while (i < a->argc && !err)
				err = put_str(msg, KC_A_ARG, a->argv[i++]);
			break;
		}
	}
	if (!err && i < a->argc) {
		nlmsg_free(msg);
		return usage_error(cli, "too many arguments");
	}
	if (!err && flags)
		err = nla_put_u32(msg, KC_A_FLAGS, flags);
	if (err) {
		nlmsg_free(msg);
		return cli_error(cli, -EMSGSIZE, "request too large");
	}
	return run_op(cli, msg, cmd->reply);
}

/* set KEY VALUE [options] */
int data_set(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	enum { O_TTL = 4, O_PX, O_EXAT, O_PXAT, O_CAS, O_FLAGS };
	static const uint32_t ttl_flags[] = {
		[O_TTL] = 0, [O_PX] = KC_TTL_MS, [O_EXAT] = KC_TTL_ABS,
		[O_PXAT] = KC_TTL_ABS | KC_TTL_MS,
	};
	const char *vals[12] = { NULL };
	struct nl_msg *msg;
	uint32_t flags;
	int64_t n;
	int ret, o, nttl = 0;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc != 2)
		return usage_error(cli, "needs KEY and VALUE");
	if ((flags & KC_SET_NX) && (flags & KC_SET_XX))
		return usage_error(cli, "--nx and --xx exclude each other");
	msg = op_msg(cli, KC_OP_SET, 0);
	if (!msg || put_str(msg, KC_A_KEY, a->argv[0]) ||
	    put_str(msg, KC_A_VALUE, a->argv[1]))
		goto too_big;
	for (o = O_TTL; o <= O_PXAT; o++) {
		if (!vals[o])
			continue;
		if (nttl++)
			goto conflict;
		if (parse_s64(cli, "the expiry", vals[o], &n))
			goto fail;
		if (n <= 0 && !(ttl_flags[o] & KC_TTL_ABS)) {
			nlmsg_free(msg);
			return usage_error(cli, "the expiry must be positive");
		}
		flags |= ttl_flags[o];
		if (nla_put_s64(msg, KC_A_EXPIRE, n))
			goto too_big;
	}
	if (nttl && (flags & KC_SET_KEEPTTL))
		goto conflict;
	if (vals[O_CAS]) {
		if (parse_s64(cli, "the CAS version", vals[O_CAS], &n))
			goto fail;
		flags |= KC_SET_CAS;
		if (nla_put_u64(msg, KC_A_CAS, (uint64_t)n))
			goto too_big;
	}
	if (vals[O_FLAGS]) {
		if (parse_s64(cli, "the client flags", vals[O_FLAGS], &n))
			goto fail;
		if (n < 0 || n > UINT32_MAX) {
			nlmsg_free(msg);
			return usage_error(cli, "the client flags are 0..4294967295");
		}
		if (nla_put_u32(msg, KC_A_CLIENT_FLAGS, (uint32_t)n))
			goto too_big;
	}
	if (flags && nla_put_u32(msg, KC_A_FLAGS, flags))
		goto too_big;
	return run_op(cli, msg, (flags & KC_SET_GET) ? RP_STR_OR_NIL : RP_OK);

conflict:
	nlmsg_free(msg);
	return usage_error(cli, "give one of --ttl, --px, --exat, --pxat, --keepttl");
too_big:
	nlmsg_free(msg);
	return cli_error(cli, -EMSGSIZE, "request too large");
fail:
	nlmsg_free(msg);
	return EXIT_ERR;
}

/* del KEY..., exists KEY...: one op per key, prints how many answered. */
/*
 * del and exists over many keys as one KC_IOC_BATCH (libkcache's pipe):
 * *count gets how many keys were there.  Returns 1 when this way does not
 * fit -- /dev/kcache does not open (netlink may still be allowed), or a
 * key is empty or too long, which the netlink path reports in the
 * kernel's words before any later key runs: then -EAGAIN, nothing ran.
 * 0 when the keys ran, EXIT_ERR when one failed (reported).
 */
static int multi_batch(struct cli *cli, const struct cmd *cmd,
		       struct args *a, int64_t *count)
{
	struct kc_pipe *p = NULL;
	int fd, i, err, ret = -EAGAIN;

	for (i = 0; i < a->argc; i++) {
		size_t len = strlen(a->argv[i]);

		if (!len || len > KC_KEY_MAX)
			return -EAGAIN;
	}
	fd = kc_open();
	if (fd < 0)
		return -EAGAIN;
	p = kc_pipe_new(KC_PIPE_BORROW);
	if (!p)
		goto out;
	kc_pipe_select(p, cli->db);
	for (i = 0; i < a->argc; i++)
		if (kc_pipe_add_key(p, cmd->opcode, a->argv[i],
				    strlen(a->argv[i])) < 0)
			goto out;
	err = kc_pipe_run(fd, p);
	if (err && !kc_pipe_done(p))
		goto out;	/* nothing ran: netlink may still do */
	ret = 0;
	for (i = 0; i < a->argc; i++) {
		err = kc_pipe_result(p, i);
		if (!err) {
			(*count)++;
		} else if (err != -ENOENT) {
			ret = cli_error(cli, err, a->argv[i]);
			break;
		}
	}
out:
	kc_pipe_free(p);
	kc_close(fd);
	return ret;
}

int data_multi(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[1];
	uint32_t flags;
	int64_t count = 0;
	int i, ret, err;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (!a->argc)
		return usage_error(cli, "needs at least one KEY");
	ret = multi_batch(cli, cmd, a, &count);
	if (ret == EXIT_ERR)
		return ret;
	for (i = 0; ret == -EAGAIN && i < a->argc; i++) {
		struct nl_msg *msg = op_msg(cli, cmd->opcode, 0);

		if (!msg || put_str(msg, KC_A_KEY, a->argv[i])) {
			nlmsg_free(msg);
			return cli_error(cli, -EMSGSIZE, "request too large");
		}
		err = cli_exec(cli, msg, NULL, NULL);
		if (!err)
			count++;
		else if (err != -ENOENT)
			return cli_error(cli, err, a->argv[i]);
	}
	out_int(cli, count);
	return count ? EXIT_OK : EXIT_NO;
}

/* expire KEY N [--ms] [--at] [--nx|--xx|--gt|--lt] */
int data_expire(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[8];
	struct nl_msg *msg;
	uint32_t flags;
	int64_t n;
	int ret;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc != 2)
		return usage_error(cli, "needs KEY and a time");
	if (parse_s64(cli, "the time", a->argv[1], &n))
		return EXIT_ERR;
	msg = op_msg(cli, KC_OP_EXPIRE, flags);
	if (!msg || put_str(msg, KC_A_KEY, a->argv[0]) ||
	    nla_put_s64(msg, KC_A_EXPIRE, n)) {
		nlmsg_free(msg);
		return cli_error(cli, -EMSGSIZE, "request too large");
	}
	return run_op(cli, msg, RP_DONE);
}

static int ttl_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	*(int64_t *)arg = tb[KC_A_EXPIRE] ? nla_get_s64(tb[KC_A_EXPIRE]) : 0;
	return 0;
}

/* ttl KEY [--ms]: -1 without expiry, -2 (exit 1) without the key. */
int data_ttl(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[2];
	struct nl_msg *msg;
	uint32_t flags;
	int64_t ttl = 0;
	int ret, err;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc != 1)
		return usage_error(cli, "needs one KEY");
	msg = op_msg(cli, KC_OP_TTL, flags);
	if (!msg || put_str(msg, KC_A_KEY, a->argv[0])) {
		nlmsg_free(msg);
		return cli_error(cli, -EMSGSIZE, "request too large");
	}
	err = cli_exec(cli, msg, ttl_cb, &ttl);
	if (err == -ENOENT) {
		out_int(cli, -2);
		return EXIT_NO;
	}
	if (err)
		return cli_error(cli, err, NULL);
	out_int(cli, ttl);
	return EXIT_OK;
}

static const char *const type_names[] = {
	[KC_TYPE_NONE] = "none",
	[KC_TYPE_STRING] = "string",
	[KC_TYPE_LIST] = "list",
	[KC_TYPE_HASH] = "hash",
	[KC_TYPE_SET] = "set",
	[KC_TYPE_ZSET] = "zset",
};

const char *type_name(uint32_t type)
{
	if (type < sizeof(type_names) / sizeof(type_names[0]) &&
	    type_names[type])
		return type_names[type];
	return "unknown";
}

int type_parse(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i] && !strcmp(s, type_names[i]))
			return (int)i;
	return -1;
}

static int type_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	*(int64_t *)arg = num_of(tb);
	return 0;
}

/* type KEY */
int data_type(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[1];
	struct nl_msg *msg;
	uint32_t flags;
	int64_t type = 0;
	int ret, err;
	const char *name;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc != 1)
		return usage_error(cli, "needs one KEY");
	msg = op_msg(cli, KC_OP_TYPE, 0);
	if (!msg || put_str(msg, KC_A_KEY, a->argv[0])) {
		nlmsg_free(msg);
		return cli_error(cli, -EMSGSIZE, "request too large");
	}
	err = cli_exec(cli, msg, type_cb, &type);
	if (err)
		return cli_error(cli, err, NULL);
	name = type_name((uint32_t)type);
	if (cli->out == OUT_JSON)
		printf("\"%s\"\n", name);
	else
		puts(name);
	return type == KC_TYPE_NONE ? EXIT_NO : EXIT_OK;
}

/* linsert KEY before|after PIVOT ELEMENT */
int data_linsert(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[1];
	struct nl_msg *msg;
	uint32_t flags;
	int ret;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc != 4)
		return usage_error(cli, "needs KEY, before or after, PIVOT and ELEMENT");
	if (!strcasecmp(a->argv[1], "before"))
		flags = KC_LINSERT_BEFORE;
	else if (!strcasecmp(a->argv[1], "after"))
		flags = KC_LINSERT_AFTER;
	else
		return usage_error(cli, "'%s': say before or after", a->argv[1]);
	msg = op_msg(cli, KC_OP_LINSERT, flags);
	if (!msg || put_str(msg, KC_A_KEY, a->argv[0]) ||
	    put_str(msg, KC_A_ARG, a->argv[2]) ||
	    put_str(msg, KC_A_VALUE, a->argv[3])) {
		nlmsg_free(msg);
		return cli_error(cli, -EMSGSIZE, "request too large");
	}
	return run_op(cli, msg, RP_LINSERT);
}

struct scan_ctx {
	struct cli *cli;
};

static int scan_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct scan_ctx *s = arg;
	int64_t next = num_of(tb);

	if (s->cli->out == OUT_JSON)
		printf("{\"cursor\": %lld, \"keys\": ", (long long)next);
	else
		out_int(s->cli, next);
	print_elems(s->cli, nlh, RP_ELEMS);
	if (s->cli->out == OUT_JSON)
		puts("}");
	return 0;
}

/* scan CURSOR [--match PATTERN] [--count N] [--type TYPE] */
int data_scan(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct scan_ctx s = { .cli = cli };
	const char *vals[3] = { NULL };
	struct nl_msg *msg;
	int64_t cursor, count = 0;
	uint32_t flags;
	int ret, type = 0, err;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc != 1)
		return usage_error(cli, "needs one CURSOR (0 to start)");
	if (parse_s64(cli, "the cursor", a->argv[0], &cursor) ||
	    (vals[1] && parse_s64(cli, "--count", vals[1], &count)))
		return EXIT_ERR;
	if (vals[2]) {
		type = type_parse(vals[2]);
		if (type < 0)
			return usage_error(cli, "--type: string, list, hash or set, not '%s'",
					   vals[2]);
	}
	msg = op_msg(cli, KC_OP_SCAN, 0);
	if (!msg || nla_put_s64(msg, KC_A_NUM, cursor) ||
	    (count && nla_put_s64(msg, KC_A_NUM2, count)) ||
	    (type && nla_put_u32(msg, KC_A_CLIENT_FLAGS, type)) ||
	    (vals[0] && put_str(msg, KC_A_VALUE, vals[0]))) {
		nlmsg_free(msg);
		return cli_error(cli, -EMSGSIZE, "request too large");
	}
	err = cli_exec(cli, msg, scan_cb, &s);
	return err ? cli_error(cli, err, NULL) : EXIT_OK;
}
