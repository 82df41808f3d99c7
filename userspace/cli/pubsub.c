// SPDX-License-Identifier: GPL-2.0
/*
 * publish, subscribe and monitor.  A subscriber reads its socket itself
 * (not through libnl) so that an overrun is seen as what it is: recv()
 * failing with ENOBUFS once, messages lost, the socket still usable.
 */
#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "cli.h"

int ps_publish(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	const char *vals[1];
	struct nl_msg *msg;
	uint32_t flags;
	int ret, err;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	if (a->argc != 2)
		return usage_error(cli, "needs CHANNEL and MESSAGE");
	msg = cli_msg(cli, KC_CMD_PUBLISH, 0);
	if (!msg ||
	    nla_put(msg, KC_A_CHANNEL, strlen(a->argv[0]), a->argv[0]) ||
	    nla_put(msg, KC_A_MESSAGE, strlen(a->argv[1]), a->argv[1])) {
		nlmsg_free(msg);
		return cli_error(cli, -EMSGSIZE, "message too large");
	}
	err = cli_exec(cli, msg, NULL, NULL);
	if (err)
		return cli_error(cli, err, NULL);
	out_ok(cli);
	return EXIT_OK;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* What a listener was asked for, and what happened. */
struct listen {
	struct cli *cli;
	const char *what;	/* "subscribe" or "monitor" */
	char **patterns;
	int npatterns;
	long count;		/* stop after this many (0: never) */
	long seen;
	long lost;		/* overruns */
	int64_t deadline_ms;	/* 0: none */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Does the name (bytes) match one of the patterns (all if none)? */
static bool wanted(struct listen *l, const void *p, size_t len)
{
	char name[KC_PATTERN_MAX + 1];
	int i;

	if (!l->npatterns)
		return true;
	if (len > KC_PATTERN_MAX)
		len = KC_PATTERN_MAX;
	memcpy(name, p, len);
	name[len] = '\0';
	for (i = 0; i < l->npatterns; i++)
		if (!fnmatch(l->patterns[i], name, 0))
			return true;
	return false;
}

static const char *const event_names[] = {
	[KC_EVENT_NONE] = "none",
	[KC_EVENT_SET] = "set",
	[KC_EVENT_DEL] = "del",
	[KC_EVENT_EXPIRE] = "expire",
	[KC_EVENT_EVICT] = "evict",
	[KC_EVENT_FLUSH] = "flush",
};

static void print_message(struct listen *l, struct nlattr **tb)
{
	struct nlattr *ch = tb[KC_A_CHANNEL], *m = tb[KC_A_MESSAGE];

	if (!ch || !wanted(l, nla_data(ch), nla_len(ch)))
		return;
	l->seen++;
	if (l->cli->out == OUT_JSON) {
		fputs("{\"channel\": ", stdout);
		out_json_string(nla_data(ch), nla_len(ch));
		fputs(", \"message\": ", stdout);
		out_json_string(m ? nla_data(m) : "", m ? nla_len(m) : 0);
		puts("}");
	} else {
		out_bytes(l->cli, nla_data(ch), nla_len(ch));
		putchar(l->cli->out == OUT_RAW ? '\n' : ' ');
		out_value(l->cli, m ? nla_data(m) : "", m ? nla_len(m) : 0);
	}
}

/*
 * "[DB] EVENT KEY", as redis-cli's MONITOR puts the database first; DB is
 * '*' for a flush of every database (no KC_A_DB), which -n lets through
 * with the events of its database.
 */
static void print_event(struct listen *l, struct nlattr **tb)
{
	uint32_t ev = tb[KC_A_EVENT] ? nla_get_u32(tb[KC_A_EVENT]) : 0;
	struct nlattr *k = tb[KC_A_KEY], *d = tb[KC_A_DB];
	const char *name = ev <= KC_EVENT_MAX ? event_names[ev] : "unknown";
	char db[16] = "*";

	if (k && !wanted(l, nla_data(k), nla_len(k)))
		return;
	if (d && l->cli->has_db && nla_get_u32(d) != l->cli->db)
		return;
	if (d)
		snprintf(db, sizeof(db), "%u", nla_get_u32(d));
	l->seen++;
	if (l->cli->out == OUT_JSON) {
		printf("{\"event\": \"%s\", \"db\": %s, \"key\": ", name,
		       d ? db : "null");
		if (k)
			out_json_string(nla_data(k), nla_len(k));
		else
			fputs("null", stdout);
		puts("}");
	} else {
		printf("[%s] %s", db, name);
		if (k) {
			putchar(' ');
			out_bytes(l->cli, nla_data(k), nla_len(k));
		}
		putchar('\n');
	}
}

/*
 * Joins group and prints what arrives until Ctrl-C, the count or the
 * deadline.  Returns the exit status.
 */
static int listen_loop(struct listen *l, const char *group, uint8_t cmd,
		       long rcvbuf)
{
	struct cli *cli = l->cli;
	struct sigaction sa = { .sa_handler = on_signal };
	static unsigned char buf[128 * 1024];
	int fd, grp, err;

	grp = cli_group(cli, group);
	if (grp < 0)
		return EXIT_ERR;
	fd = nl_socket_get_fd(cli->sk);
	if (rcvbuf > 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ rcvbuf },
		       sizeof(int)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ rcvbuf },
		       sizeof(int))) {
		perror("kcache-cli: SO_RCVBUF");
		return EXIT_ERR;
	}
	err = nl_socket_add_membership(cli->sk, grp);
	if (err) {
		cli->ext[0] = '\0';
		return cli_error(cli, err == -NLE_PERM ? -EPERM : -EIO,
				 "cannot join the group");
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop && (!l->count || l->seen < l->count)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int timeout = -1, rem;
		struct nlmsghdr *nlh;
		ssize_t n;

		if (l->deadline_ms) {
			int64_t left = l->deadline_ms - now_ms();

			if (left <= 0)
				break;
			timeout = (int)left;
		}
		if (poll(&p, 1, timeout) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS) {
				l->lost++;
				fprintf(stderr,
					"kcache-cli: %s: messages lost: the socket overran (ENOBUFS); read faster or raise --rcvbuf\n",
					l->what);
				continue;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("kcache-cli: recv");
			return EXIT_ERR;
		}
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, rem);
		     nlh = nlmsg_next(nlh, &rem)) {
			struct nlattr *tb[KC_A_MAX + 1];
			struct genlmsghdr *g = nlmsg_data(nlh);

			if (nlh->nlmsg_type != cli->family || g->cmd != cmd ||
			    genlmsg_parse(nlh, 0, tb, KC_A_MAX, NULL))
				continue;
			if (cmd == KC_CMD_MESSAGE)
				print_message(l, tb);
			else
				print_event(l, tb);
			if (l->count && l->seen >= l->count)
				break;
		}
		fflush(stdout);
	}
	fflush(stdout);
	if (l->lost)
		return EXIT_ERR;
	if (l->count && l->seen < l->count && !stop)
		return EXIT_NO;
	return EXIT_OK;
}

static int listen_opts(struct cli *cli, const struct cmd *cmd, struct args *a,
		       struct listen *l, long *rcvbuf)
{
	const char *vals[3] = { NULL };
	uint32_t flags;
	int64_t v;
	int ret;

	ret = parse_opts(cli, cmd, a->argc, a->argv, a, &flags, vals);
	if (ret)
		return ret;
	l->cli = cli;
	l->what = cmd->name;
	l->patterns = a->argv;
	l->npatterns = a->argc;
	*rcvbuf = 1 << 20;
	if (vals[0]) {
		if (parse_s64(cli, "--count", vals[0], &v))
			return EXIT_ERR;
		if (v <= 0)
			return usage_error(cli, "--count must be positive");
		l->count = (long)v;
	}
	if (vals[1]) {
		if (parse_s64(cli, "--timeout", vals[1], &v))
			return EXIT_ERR;
		if (v <= 0)
			return usage_error(cli, "--timeout must be positive");
		l->deadline_ms = now_ms() + v * 1000;
	}
	if (vals[2]) {
		if (parse_s64(cli, "--rcvbuf", vals[2], &v))
			return EXIT_ERR;
		if (v <= 0 || v > (1 << 30))
			return usage_error(cli, "--rcvbuf must be 1..1073741824");
		*rcvbuf = (long)v;
	}
	return 0;
}

/* subscribe CHANNEL|PATTERN... */
int ps_subscribe(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct listen l = { 0 };
	long rcvbuf;
	int ret;

	ret = listen_opts(cli, cmd, a, &l, &rcvbuf);
	if (ret)
		return ret;
	if (!l.npatterns)
		return usage_error(cli, "needs at least one CHANNEL or PATTERN");
	return listen_loop(&l, KC_MCGRP_PUBSUB, KC_CMD_MESSAGE, rcvbuf);
}

static int notify_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	*(uint32_t *)arg = tb[KC_A_NOTIFY] ? nla_get_u32(tb[KC_A_NOTIFY]) : 0;
	return 0;
}

/* monitor [KEY-PATTERN] */
int ps_monitor(struct cli *cli, const struct cmd *cmd, struct args *a)
{
	struct listen l = { 0 };
	uint32_t notify = 0;
	long rcvbuf;
	int ret;

	ret = listen_opts(cli, cmd, a, &l, &rcvbuf);
	if (ret)
		return ret;
	if (l.npatterns > 1)
		return usage_error(cli, "one KEY-PATTERN at most");
	if (!cli_exec(cli, cli_msg(cli, KC_CMD_CONFIG_GET, 0), notify_cb,
		      &notify) && !notify)
		fprintf(stderr,
			"kcache-cli: monitor: keyspace events are off; turn them on with 'kcache-cli config set notify 1'\n");
	return listen_loop(&l, KC_MCGRP_KEYSPACE, KC_CMD_EVENT, rcvbuf);
}
