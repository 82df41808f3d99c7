// SPDX-License-Identifier: GPL-2.0
/*
 * Sorted-set commands: their scores travel as the 8 bytes of a double
 * (uapi/linux/kcache.h, KC_OP_ZADD), so they are built and printed here
 * rather than by data_generic().  Scores print as Redis prints them
 * ("%.17g", inf, -inf).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/genl/genl.h>

#include "cli.h"
#include "libkcache.h"

static struct nl_msg *zmsg(struct cli *cli, uint32_t opcode, uint32_t flags,
			   const char *key)
{
	struct nl_msg *msg = cli_msg(cli, KC_CMD_OP, 0);

	if (msg && (nla_put_u32(msg, KC_A_OPCODE, opcode) ||
		    (flags && nla_put_u32(msg, KC_A_FLAGS, flags)) ||
		    nla_put(msg, KC_A_KEY, strlen(key), key))) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static bool parse_score(const char *s, double *d)
{
	char *end;

	*d = strtod(s, &end);
	return *s && !*end && !isnan(*d);
}

static void fmt_score(char *s, size_t n, const void *bits)
{
	double d;

	memcpy(&d, bits, 8);
	if (isinf(d))
		snprintf(s, n, "%s", d > 0 ? "inf" : "-inf");
	else
		snprintf(s, n, "%.17g", d);
}

struct zctx {
	struct cli *cli;
	bool ws;		/* member, score pairs */
	bool scores;		/* every element is a score (zscore) */
	bool num;		/* print KC_A_NUM */
	bool score_num;		/* KC_A_NUM holds a score's bits (--incr) */
	bool nil_miss;		/* a miss prints (nil), not 0 */
};

static int zreply_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct zctx *z = arg;
	struct out_list l;
	struct nlattr *a;
	char s[64];
	int rem, i = 0;

	if (z->score_num && tb[KC_A_NUM]) {
		int64_t v = nla_get_s64(tb[KC_A_NUM]);

		fmt_score(s, sizeof(s), &v);
		out_value(z->cli, s, strlen(s));
		return 0;
	}
	if (z->num) {
		out_int(z->cli, tb[KC_A_NUM] ? nla_get_s64(tb[KC_A_NUM]) : 0);
		return 0;
	}
	out_list_start(&l, z->cli, z->ws);
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		struct nlattr *et[KC_ELEM_A_MAX + 1];
		struct nlattr *v;

		if (nla_type(a) != KC_A_ELEM ||
		    nla_parse_nested(et, KC_ELEM_A_MAX, a, NULL))
			continue;
		v = et[KC_ELEM_A_VALUE];
		if (v && nla_len(v) == 8 &&
		    (z->scores || (z->ws && (i & 1)))) {
			fmt_score(s, sizeof(s), nla_data(v));
			out_list_item(&l, s, strlen(s), false);
		} else {
			out_list_item(&l, v ? nla_data(v) : NULL,
				      v ? nla_len(v) : 0, !v);
		}
		i++;
	}
	out_list_end(&l);
	return 0;
}

static int zrun(struct cli *cli, struct nl_msg *msg, struct zctx *z,
		bool list)
{
	int err;

	if (!msg)
		return cli_error(cli, -EMSGSIZE, "request too large");
	z->cli = cli;
	err = cli_exec(cli, msg, zreply_cb, z);
	if (err == -ENOENT || err == -EEXIST) {
		if (list) {
			struct out_list l;

			out_list_start(&l, cli, z->ws);
			out_list_end(&l);
		} else if (z->num && !z->nil_miss) {
			out_int(cli, 0);
		} else {
			out_nil(cli);
		}
		return EXIT_NO;
	}
	if (err == -EDOM)
		return cli_error(cli, err, "resulting score is not a number (NaN)");
	return err ? cli_error(cli, err, NULL) : 0;
}

/* zadd KEY SCORE MEMBER [SCORE MEMBER...] [--nx|--xx] [--gt|--lt] ... */
int data_zadd(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct zctx z = { .num = true };
	const char *vals[8];
	struct nl_msg *msg;
	uint32_t flags;
	int ret, i;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc < 3 || !(a->argc % 2))
		return usage_error(cli, "needs KEY and SCORE MEMBER pairs");
	z.score_num = flags & KC_Z_INCR;
	z.nil_miss = z.score_num;
	msg = zmsg(cli, KC_OP_ZADD, flags, a->argv[0]);
	for (i = 1; msg && i < a->argc; i += 2) {
		size_t ml = strlen(a->argv[i + 1]);
		char *b = malloc(8 + ml);
		double d;

		if (!parse_score(a->argv[i], &d)) {
			free(b);
			nlmsg_free(msg);
			return usage_error(cli, "'%s' is not a score (a double)",
					   a->argv[i]);
		}
		if (!b) {
			nlmsg_free(msg);
			return cli_error(cli, -ENOMEM, NULL);
		}
		memcpy(b, &d, 8);
		memcpy(b + 8, a->argv[i + 1], ml);
		if (nla_put(msg, KC_A_ARG, 8 + ml, b)) {
			nlmsg_free(msg);
			msg = NULL;
		}
		free(b);
	}
	return zrun(cli, msg, &z, false);
}

/* zscore KEY MEMBER...: ZMSCORE. */
int data_zscore(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct zctx z = { .scores = true };
	struct nl_msg *msg;
	int i;

	(void)cmd;
	if (a->argc < 2)
		return usage_error(cli, "needs KEY and MEMBER");
	msg = zmsg(cli, KC_OP_ZMSCORE, 0, a->argv[0]);
	for (i = 1; msg && i < a->argc; i++) {
		if (nla_put(msg, KC_A_ARG, strlen(a->argv[i]), a->argv[i])) {
			nlmsg_free(msg);
			msg = NULL;
		}
	}
	return zrun(cli, msg, &z, true);
}

/* zrank KEY MEMBER [--rev]. */
int data_zrank(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct zctx z = { .num = true };
	const char *vals[8];
	struct nl_msg *msg;
	uint32_t flags;
	int ret;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc != 2)
		return usage_error(cli, "needs KEY and MEMBER");
	msg = zmsg(cli, KC_OP_ZRANK, flags, a->argv[0]);
	if (msg && nla_put(msg, KC_A_VALUE, strlen(a->argv[1]), a->argv[1])) {
		nlmsg_free(msg);
		msg = NULL;
	}
	z.nil_miss = true;
	return zrun(cli, msg, &z, false);
}

static int put_bound(struct nl_msg *msg, struct cli *cli, uint32_t flags,
		     const char *s)
{
	char b[9];
	int64_t v;
	double d;

	if (flags & KC_Z_BYLEX)
		return nla_put(msg, KC_A_ARG, strlen(s), s) ? -EMSGSIZE : 0;
	if (flags & KC_Z_BYSCORE) {
		b[0] = *s == '(' ? '(' : '[';
		if (!parse_score(s + (*s == '('), &d))
			return usage_error(cli, "'%s' is not a score bound", s);
		memcpy(b + 1, &d, 8);
		return nla_put(msg, KC_A_ARG, 9, b) ? -EMSGSIZE : 0;
	}
	if (parse_s64(cli, "index", s, &v))
		return 2;
	return nla_put(msg, KC_A_ARG, 8, &v) ? -EMSGSIZE : 0;
}

/*
 * zrange KEY MIN MAX [--byscore|--bylex] [--rev] [--withscores]
 * [--limit OFFSET --count N], zcount (--count-only), zremrange (--remove),
 * zpopmin / zpopmax KEY [COUNT].
 */
int data_zrange(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	bool pop = !strncmp(cmd->name, "zpop", 4);
	struct zctx z = { 0 };
	const char *vals[16] = { NULL };
	int64_t off = 0, cnt = -1;
	struct nl_msg *msg;
	uint32_t flags;
	char stop[24], *pargv[3];
	int ret;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	flags |= cmd->flags;
	if (pop) {
		int64_t n = 1;

		if (a->argc < 1 || a->argc > 2)
			return usage_error(cli, "needs KEY and maybe COUNT");
		if (a->argc == 2 && (parse_s64(cli, "COUNT", a->argv[1], &n) ||
				     n < 1))
			return usage_error(cli, "COUNT must be positive");
		snprintf(stop, sizeof(stop), "%lld", (long long)n - 1);
		pargv[0] = a->argv[0];
		pargv[1] = "0";
		pargv[2] = stop;
		a->argv = pargv;
		a->argc = 3;
	}
	if (a->argc != 3)
		return usage_error(cli, "needs KEY, MIN and MAX");
	if (vals[5] && parse_s64(cli, "--limit", vals[5], &off))
		return 2;
	if (vals[6] && parse_s64(cli, "--count", vals[6], &cnt))
		return 2;
	z.ws = flags & KC_Z_WITHSCORES;
	z.num = flags & KC_Z_COUNT;
	msg = zmsg(cli, KC_OP_ZRANGE, flags, a->argv[0]);
	if (!msg)
		return cli_error(cli, -ENOMEM, NULL);
	ret = put_bound(msg, cli, flags, a->argv[1]);
	if (!ret)
		ret = put_bound(msg, cli, flags, a->argv[2]);
	if (!ret && (nla_put_s64(msg, KC_A_NUM, off) ||
		     nla_put_s64(msg, KC_A_NUM2, cnt)))
		ret = -EMSGSIZE;
	if (ret) {
		nlmsg_free(msg);
		return ret < 0 ? cli_error(cli, ret, "request too large") : ret;
	}
	return zrun(cli, msg, &z, !z.num);
}
