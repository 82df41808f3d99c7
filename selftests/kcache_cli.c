// SPDX-License-Identifier: GPL-2.0
/*
 * kcache-cli end to end: every command runs the real binary, and what it
 * wrote is read back through the ioctl API (libkcache), and what the
 * ioctl wrote is what it prints.  Also its output modes, exit statuses
 * (0 success, 1 miss or false, 2 error), error messages with the kernel's
 * extack text, pub/sub, keyspace events and overruns.
 *
 * The binary: $KCACHE_CLI, else $KCACHE_BUILD/userspace/kcache-cli, else
 * ../userspace/kcache-cli from the test's directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_nl.h"

static char cli_path[4096];

static const char *cli_bin(void)
{
	const char *env = getenv("KCACHE_CLI");
	const char *build = getenv("KCACHE_BUILD");

	if (cli_path[0])
		return cli_path;
	if (env)
		snprintf(cli_path, sizeof(cli_path), "%s", env);
	else if (build)
		snprintf(cli_path, sizeof(cli_path), "%s/userspace/kcache-cli",
			 build);
	else
		snprintf(cli_path, sizeof(cli_path), "../userspace/kcache-cli");
	return cli_path;
}

/* A finished run: exit status and what it printed (NUL-terminated). */
struct run {
	int status;		/* exit status, or 128 + signal */
	char *out;
	size_t outlen;
	char *err;
	size_t errlen;
};

/* A running one. */
struct proc {
	pid_t pid;
	int out, err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Starts the CLI with args; uid >= 0: as that user (and group). */
static int spawn(struct proc *p, int uid, char *const *args)
{
	int o[2], e[2];
	char *argv[64];
	int n = 0;

	argv[n++] = (char *)cli_bin();
	while (*args && n < 63)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
		return -errno;
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (!p->pid) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) ||
				 setuid(uid)))
			_exit(99);
		execv(argv[0], argv);
		_exit(98);
	}
	close(o[1]);
	close(e[1]);
	p->out = o[0];
	p->err = e[0];
	return 0;
}

static void append(char **buf, size_t *len, const char *p, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Collects the output of p until it exits (at most ms, then SIGKILL). */
static void finish(struct proc *p, struct run *r, int ms)
{
	int64_t end = kt_mono_ms() + ms;
	int open_fds = 2, status;
	char buf[4096];

	memset(r, 0, sizeof(*r));
	append(&r->out, &r->outlen, "", 0);
	append(&r->err, &r->errlen, "", 0);
	while (open_fds) {
		struct pollfd pf[2] = {
			{ .fd = p->out, .events = POLLIN },
			{ .fd = p->err, .events = POLLIN },
		};
		int left = (int)(end - kt_mono_ms()), i;

		if (left <= 0) {
			kill(p->pid, SIGKILL);
			break;
		}
		if (poll(pf, 2, left) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(pf[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(pf[i].fd);
				if (i)
					p->err = -1;
				else
					p->out = -1;
				open_fds--;
				continue;
			}
			if (i)
				append(&r->err, &r->errlen, buf, n);
			else
				append(&r->out, &r->outlen, buf, n);
		}
	}
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	waitpid(p->pid, &status, 0);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
}

static int vrun(struct run *r, int uid, const char *a0, va_list ap)
{
	char *args[64];
	struct proc p;
	int n = 0, err;

	args[0] = (char *)a0;
	if (a0) {
		n = 1;
		while (n < 63 && (args[n] = va_arg(ap, char *)))
			n++;
	}
	args[n] = NULL;
	err = spawn(&p, uid, args);
	if (err)
		return err;
	finish(&p, r, 60000);
	return 0;
}

/* Runs kcache-cli a0 ... (NULL-terminated); fills r. */
static int cli(struct run *r, const char *a0, ...)
{
	va_list ap;
	int err;

	run_free(r);
	va_start(ap, a0);
	err = vrun(r, -1, a0, ap);
	va_end(ap);
	return err;
}

static int cli_as(struct run *r, int uid, const char *a0, ...)
{
	va_list ap;
	int err;

	run_free(r);
	va_start(ap, a0);
	err = vrun(r, uid, a0, ap);
	va_end(ap);
	return err;
}

/* Expects exit status st and stdout exactly out (NULL: any). */
#define EXPECT_RUN(r, st, o) do {					\
	const char *__o = (o);						\
									\
	EXPECT_EQ(st, (r)->status) {					\
		TH_LOG("stdout: %s\nstderr: %s", (r)->out, (r)->err);	\
	}								\
	if (__o)							\
		EXPECT_STREQ(__o, (r)->out);				\
} while (0)

FIXTURE(cli) {
	int fd;
	struct run r;
};

FIXTURE_SETUP(cli)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kt_set_notify(self->fd, false));
	ASSERT_EQ(0, kc_flush(self->fd));
	ASSERT_EQ(0, access(cli_bin(), X_OK)) {
		TH_LOG("%s: %s (build it: make userspace)", cli_bin(),
		       strerror(errno));
	}
	memset(&self->r, 0, sizeof(self->r));
}

FIXTURE_TEARDOWN(cli)
{
	run_free(&self->r);
	kt_set_notify(self->fd, false);
	kc_close(self->fd);
}

static char *ioctl_get(int fd, const char *key)
{
	static char buf[4096];
	int n = kt_get(fd, key, buf, sizeof(buf));

	return n < 0 ? NULL : buf;
}

TEST_F_TIMEOUT(cli, help_and_usage, 300)
{
	struct run *r = &self->r;
	static const char *const cmds[] = {
		"get", "set", "del", "incr", "decr", "incrby", "exists",
		"expire", "ttl", "append", "getbit", "setbit", "mget", "mset",
		"keys", "stats", "config", "flush", "publish", "subscribe",
		"monitor", "version", "lpush", "hset", "sadd", "sunionstore",
		"zadd", "zrange", "zpopmin", "zunionstore", "dbsize", "move",
		"swapdb", "setidle",
	};
	size_t i;

	ASSERT_EQ(0, cli(r, "help", NULL));
	EXPECT_RUN(r, 0, NULL);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		char line[64];

		snprintf(line, sizeof(line), "\n  %s ", cmds[i]);
		EXPECT_NE(NULL, strstr(r->out, line)) {
			TH_LOG("help lists no '%s'", cmds[i]);
		}
	}
	ASSERT_EQ(0, cli(r, "help", "set", NULL));
	EXPECT_RUN(r, 0, NULL);
	EXPECT_NE(NULL, strstr(r->out, "usage: kcache-cli set KEY VALUE"));
	EXPECT_NE(NULL, strstr(r->out, "--ttl SECONDS"));
	ASSERT_EQ(0, cli(r, "--help", NULL));
	EXPECT_RUN(r, 0, NULL);

	/* Usage errors exit 2 and say how to call. */
	ASSERT_EQ(0, cli(r, NULL));
	EXPECT_RUN(r, 2, "");
	ASSERT_EQ(0, cli(r, "nosuchcommand", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "no command 'nosuchcommand'"));
	ASSERT_EQ(0, cli(r, "set", "k", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "usage: kcache-cli set"));
	ASSERT_EQ(0, cli(r, "incrby", "k", "x1", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "integer"));
	ASSERT_EQ(0, cli(r, "get", "k", "--bogus", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "unknown option"));
	ASSERT_EQ(0, cli(r, "get", "a", "b", NULL));
	EXPECT_RUN(r, 2, "");
}

TEST_F_TIMEOUT(cli, version, 300)
{
	struct run *r = &self->r;
	struct kc_version v;
	char want[64];

	ASSERT_EQ(0, kc_version(self->fd, &v));
	ASSERT_EQ(0, cli(r, "version", NULL));
	EXPECT_RUN(r, 0, NULL);
	EXPECT_NE(NULL, strstr(r->out, "module"));
	ASSERT_EQ(0, cli(r, "--json", "version", NULL));
	EXPECT_RUN(r, 0, NULL);
	snprintf(want, sizeof(want), "\"abi\": %u", KC_ABI_VERSION);
	EXPECT_NE(NULL, strstr(r->out, want));
	snprintf(want, sizeof(want), "\"item_size_max\": %u",
		 v.item_size_max);
	EXPECT_NE(NULL, strstr(r->out, want));
}

TEST_F_TIMEOUT(cli, get_set_both_ways, 300)
{
	struct run *r = &self->r;
	static const char bin[] = { 'a', 0, 'b', '\n', '"', '\\', (char)0xe9 };
	uint32_t cf = 0;
	void *val = NULL;
	size_t vlen;

	ASSERT_EQ(0, cli(r, "set", "c:a", "hello world", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_STREQ("hello world", ioctl_get(self->fd, "c:a"));

	ASSERT_EQ(0, kt_set(self->fd, "c:b", "from ioctl"));
	ASSERT_EQ(0, cli(r, "get", "c:b", NULL));
	EXPECT_RUN(r, 0, "\"from ioctl\"\n");
	ASSERT_EQ(0, cli(r, "--raw", "get", "c:b", NULL));
	EXPECT_RUN(r, 0, "from ioctl\n");
	ASSERT_EQ(0, cli(r, "--json", "get", "c:b", NULL));
	EXPECT_RUN(r, 0, "\"from ioctl\"\n");

	/* A miss: (nil), exit 1, nothing on stderr. */
	ASSERT_EQ(0, cli(r, "get", "c:none", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	EXPECT_STREQ("", r->err);
	ASSERT_EQ(0, cli(r, "--json", "get", "c:none", NULL));
	EXPECT_RUN(r, 1, "null\n");

	/* Non-printable bytes are escaped; JSON keeps every byte. */
	ASSERT_EQ(0, kc_set(self->fd, "c:bin", 5, bin, sizeof(bin), 0, 0, 0));
	ASSERT_EQ(0, cli(r, "get", "c:bin", NULL));
	EXPECT_RUN(r, 0, "\"a\\x00b\\n\\\"\\\\\\xe9\"\n");
	ASSERT_EQ(0, cli(r, "--json", "get", "c:bin", NULL));
	EXPECT_RUN(r, 0, "\"a\\u0000b\\n\\\"\\\\\\u00e9\"\n");
	ASSERT_EQ(0, cli(r, "--raw", "get", "c:bin", NULL));
	EXPECT_EQ(0, r->status);
	ASSERT_EQ(sizeof(bin) + 1, r->outlen);
	EXPECT_EQ(0, memcmp(r->out, bin, sizeof(bin)));

	/* Options of set, checked through the ioctl. */
	ASSERT_EQ(0, cli(r, "set", "c:t", "v", "--ttl", "100", "--flags",
			 "42", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_LT(90000, kt_ttl_ms(self->fd, "c:t"));
	EXPECT_GE(100000, kt_ttl_ms(self->fd, "c:t"));
	ASSERT_EQ(0, kc_get_alloc(self->fd, "c:t", 3, &val, &vlen, NULL, &cf));
	EXPECT_EQ(42, cf);
	free(val);
	ASSERT_EQ(0, cli(r, "set", "c:t", "w", "--px=5000", NULL));
	EXPECT_GE(5000, kt_ttl_ms(self->fd, "c:t"));
	ASSERT_EQ(0, cli(r, "set", "c:t", "x", "--keepttl", NULL));
	EXPECT_GE(5000, kt_ttl_ms(self->fd, "c:t"));
	EXPECT_LT(0, kt_ttl_ms(self->fd, "c:t"));
	ASSERT_EQ(0, cli(r, "set", "c:t", "y", "--nx", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	ASSERT_EQ(0, cli(r, "set", "c:new", "y", "--xx", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	EXPECT_EQ(NULL, ioctl_get(self->fd, "c:new"));
	ASSERT_EQ(0, cli(r, "set", "c:t", "z", "--get", NULL));
	EXPECT_RUN(r, 0, "\"x\"\n");
	ASSERT_EQ(0, cli(r, "set", "c:t", "c", "--cas", "1", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	{
		char cas[32];

		snprintf(cas, sizeof(cas), "%llu",
			 (unsigned long long)kt_cas(self->fd, "c:t"));
		ASSERT_EQ(0, cli(r, "set", "c:t", "cas", "--cas", cas, NULL));
		EXPECT_RUN(r, 0, "OK\n");
		EXPECT_STREQ("cas", ioctl_get(self->fd, "c:t"));
	}
	ASSERT_EQ(0, cli(r, "set", "c:t", "v", "--ttl", "1", "--px", "1", NULL));
	EXPECT_RUN(r, 2, "");
	/* "--" lets a value start with dashes. */
	ASSERT_EQ(0, cli(r, "set", "--", "c:d", "--json", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_STREQ("--json", ioctl_get(self->fd, "c:d"));
}

TEST_F_TIMEOUT(cli, strings, 300)
{
	struct run *r = &self->r;

	ASSERT_EQ(0, kt_set(self->fd, "s:n", "10"));
	ASSERT_EQ(0, cli(r, "incr", "s:n", NULL));
	EXPECT_RUN(r, 0, "11\n");
	ASSERT_EQ(0, cli(r, "decr", "s:n", NULL));
	EXPECT_RUN(r, 0, "10\n");
	ASSERT_EQ(0, cli(r, "incrby", "s:n", "32", NULL));
	EXPECT_RUN(r, 0, "42\n");
	ASSERT_EQ(0, cli(r, "decrby", "s:n", "-8", NULL));
	EXPECT_RUN(r, 0, "50\n");
	EXPECT_STREQ("50", ioctl_get(self->fd, "s:n"));

	/* The kernel's reason, iw's way. */
	ASSERT_EQ(0, kt_set(self->fd, "s:s", "abc"));
	ASSERT_EQ(0, cli(r, "incr", "s:s", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "kernel reports: the value is not"));

	ASSERT_EQ(0, cli(r, "append", "s:s", "def", NULL));
	EXPECT_RUN(r, 0, "6\n");
	ASSERT_EQ(0, cli(r, "prepend", "s:s", ">", NULL));
	EXPECT_RUN(r, 0, "7\n");
	EXPECT_STREQ(">abcdef", ioctl_get(self->fd, "s:s"));
	ASSERT_EQ(0, cli(r, "strlen", "s:s", NULL));
	EXPECT_RUN(r, 0, "7\n");
	ASSERT_EQ(0, cli(r, "getrange", "s:s", "1", "-2", NULL));
	EXPECT_RUN(r, 0, "\"abcde\"\n");
	ASSERT_EQ(0, cli(r, "getrange", "s:none", "0", "-1", NULL));
	EXPECT_RUN(r, 0, "\"\"\n");
	ASSERT_EQ(0, cli(r, "setrange", "s:s", "1", "XY", NULL));
	EXPECT_RUN(r, 0, "7\n");
	EXPECT_STREQ(">XYcdef", ioctl_get(self->fd, "s:s"));
	ASSERT_EQ(0, cli(r, "setbit", "s:bits", "1", "1", NULL));
	EXPECT_RUN(r, 0, "0\n");
	EXPECT_EQ(0x40, ioctl_get(self->fd, "s:bits")[0]);
	ASSERT_EQ(0, cli(r, "getbit", "s:bits", "1", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "getdel", "s:s", NULL));
	EXPECT_RUN(r, 0, "\">XYcdef\"\n");
	EXPECT_EQ(NULL, ioctl_get(self->fd, "s:s"));

	ASSERT_EQ(0, cli(r, "mset", "s:a", "1", "s:b", "2", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_STREQ("2", ioctl_get(self->fd, "s:b"));
	ASSERT_EQ(0, cli(r, "mget", "s:a", "s:x", "s:b", NULL));
	EXPECT_RUN(r, 0, "1) \"1\"\n2) (nil)\n3) \"2\"\n");
	ASSERT_EQ(0, cli(r, "--json", "mget", "s:a", "s:x", "s:b", NULL));
	EXPECT_RUN(r, 0, "[\"1\", null, \"2\"]\n");
	ASSERT_EQ(0, cli(r, "mset", "s:a", "1", "s:b", NULL));
	EXPECT_RUN(r, 2, "");
	/* MSETNX: all or nothing. */
	ASSERT_EQ(0, cli(r, "mset", "s:a", "9", "s:new", "9", "--nx", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	EXPECT_STREQ("1", ioctl_get(self->fd, "s:a"));
	EXPECT_EQ(NULL, ioctl_get(self->fd, "s:new"));
	ASSERT_EQ(0, cli(r, "mset", "s:n1", "1", "s:n2", "2", "--nx", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_STREQ("2", ioctl_get(self->fd, "s:n2"));
}

/* SCAN through the CLI: every key once the cursor comes back to 0. */
TEST_F_TIMEOUT(cli, scan, 300)
{
	struct run *r = &self->r;
	char cursor[32] = "0", key[32];
	char seen[50] = { 0 };
	int i, rounds, nseen = 0;

	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "sc:%d", i);
		ASSERT_EQ(0, kt_set(self->fd, key, "v"));
	}
	ASSERT_EQ(0, kt_set(self->fd, "other", "v"));
	for (rounds = 0; rounds < 200; rounds++) {
		char *line, *save = NULL;

		ASSERT_EQ(0, cli(r, "--raw", "scan", cursor, "--match", "sc:*",
				 "--count", "10", NULL));
		ASSERT_EQ(0, r->status) {
			TH_LOG("%s", r->err);
		}
		line = strtok_r(r->out, "\n", &save);
		ASSERT_NE(NULL, line);
		snprintf(cursor, sizeof(cursor), "%s", line);
		while ((line = strtok_r(NULL, "\n", &save))) {
			ASSERT_EQ(0, strncmp(line, "sc:", 3));
			i = atoi(line + 3);
			ASSERT_LE(0, i);
			ASSERT_GT(50, i);
			if (!seen[i]++)
				nseen++;
		}
		if (!strcmp(cursor, "0"))
			break;
	}
	EXPECT_EQ(50, nseen);
	EXPECT_STREQ("0", cursor);
}

TEST_F_TIMEOUT(cli, keys_and_expiry, 300)
{
	struct run *r = &self->r;
	struct kc_op op;

	ASSERT_EQ(0, kt_set(self->fd, "k:a", "1"));
	ASSERT_EQ(0, kt_set(self->fd, "k:b", "2"));
	ASSERT_EQ(0, cli(r, "exists", "k:a", "k:b", "k:c", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "exists", "k:c", NULL));
	EXPECT_RUN(r, 1, "0\n");
	ASSERT_EQ(0, cli(r, "del", "k:a", "k:c", NULL));
	EXPECT_RUN(r, 0, "1\n");
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "k:a", 3));
	ASSERT_EQ(0, cli(r, "del", "k:a", NULL));
	EXPECT_RUN(r, 1, "0\n");

	/*
	 * Well-formed keys run as one batch over /dev/kcache; a key that is
	 * too long sends del the netlink way, one key at a time: the key
	 * before it is deleted, the kernel names the bad one, the key after
	 * it is not touched.
	 */
	{
		char big[KC_KEY_MAX + 2];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ASSERT_EQ(0, kt_set(self->fd, "k:d", "4"));
		ASSERT_EQ(0, kt_set(self->fd, "k:e", "5"));
		ASSERT_EQ(0, cli(r, "del", "k:d", big, "k:e", NULL));
		EXPECT_RUN(r, 2, "");
		EXPECT_NE(NULL, strstr(r->err, "kernel reports: "));
		EXPECT_EQ(-ENOENT, kc_exists(self->fd, "k:d", 3));
		EXPECT_EQ(0, kc_exists(self->fd, "k:e", 3));
		ASSERT_EQ(0, kt_set(self->fd, "k:d", "4"));
		ASSERT_EQ(0, cli(r, "del", "k:d", "k:e", "k:none", NULL));
		EXPECT_RUN(r, 0, "2\n");
		EXPECT_EQ(-ENOENT, kc_exists(self->fd, "k:d", 3));
		EXPECT_EQ(-ENOENT, kc_exists(self->fd, "k:e", 3));
	}

	ASSERT_EQ(0, cli(r, "ttl", "k:b", NULL));
	EXPECT_RUN(r, 0, "-1\n");
	ASSERT_EQ(0, cli(r, "ttl", "k:none", NULL));
	EXPECT_RUN(r, 1, "-2\n");
	ASSERT_EQ(0, cli(r, "expire", "k:b", "100", NULL));
	EXPECT_RUN(r, 0, "1\n");
	EXPECT_LT(90000, kt_ttl_ms(self->fd, "k:b"));
	ASSERT_EQ(0, cli(r, "ttl", "k:b", NULL));
	EXPECT_EQ(0, r->status);
	EXPECT_LE(80, atoi(r->out));
	ASSERT_EQ(0, cli(r, "ttl", "k:b", "--ms", NULL));
	EXPECT_LT(80000, atoi(r->out));
	ASSERT_EQ(0, cli(r, "expire", "k:b", "50", "--nx", NULL));
	EXPECT_RUN(r, 1, "0\n");
	ASSERT_EQ(0, cli(r, "expire", "k:b", "5000", "--ms", "--lt", NULL));
	EXPECT_RUN(r, 0, "1\n");
	EXPECT_GE(5000, kt_ttl_ms(self->fd, "k:b"));
	ASSERT_EQ(0, cli(r, "persist", "k:b", NULL));
	EXPECT_RUN(r, 0, "1\n");
	EXPECT_EQ(-1, kt_ttl_ms(self->fd, "k:b"));
	ASSERT_EQ(0, cli(r, "persist", "k:b", NULL));
	EXPECT_RUN(r, 1, "0\n");
	ASSERT_EQ(0, cli(r, "touch", "k:b", "30", NULL));
	EXPECT_RUN(r, 0, "1\n");
	EXPECT_LT(25000, kt_ttl_ms(self->fd, "k:b"));
	/* setidle: TTL's idle seconds (OBJECT IDLETIME) start there */
	ASSERT_EQ(0, cli(r, "setidle", "k:b", "500", NULL));
	EXPECT_RUN(r, 0, "1\n");
	kc_op_init(&op, KC_OP_TTL);
	kc_op_key(&op, "k:b", 3);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_LE(500, op.num);
	EXPECT_GE(501, op.num);
	ASSERT_EQ(0, cli(r, "setidle", "k:none", "5", NULL));
	EXPECT_RUN(r, 1, "0\n");
	ASSERT_EQ(0, cli(r, "type", "k:b", NULL));
	EXPECT_RUN(r, 0, "string\n");
	ASSERT_EQ(0, cli(r, "type", "k:none", NULL));
	EXPECT_RUN(r, 1, "none\n");
	ASSERT_EQ(0, cli(r, "rename", "k:b", "k:z", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_STREQ("2", ioctl_get(self->fd, "k:z"));
	ASSERT_EQ(0, kt_set(self->fd, "k:y", "y"));
	ASSERT_EQ(0, cli(r, "rename", "k:z", "k:y", "--nx", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");

	ASSERT_EQ(0, kt_set(self->fd, "k:list", "not yet"));
	ASSERT_EQ(0, cli(r, "keys", "k:*", NULL));
	EXPECT_RUN(r, 0, "1) \"k:list\"\n2) \"k:y\"\n3) \"k:z\"\n");
	ASSERT_EQ(0, cli(r, "--json", "keys", "k:[xy]", NULL));
	EXPECT_RUN(r, 0, "[\"k:y\"]\n");
	ASSERT_EQ(0, cli(r, "keys", "k:*", "--type", "list", NULL));
	EXPECT_RUN(r, 0, "(empty)\n");
	ASSERT_EQ(0, cli(r, "keys", "--type", "bogus", NULL));
	EXPECT_RUN(r, 2, "");
}

TEST_F_TIMEOUT(cli, lists, 300)
{
	struct run *r = &self->r;
	struct kc_op op;

	ASSERT_EQ(0, cli(r, "rpush", "l", "b", "c", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "lpush", "l", "a", NULL));
	EXPECT_RUN(r, 0, "3\n");
	ASSERT_EQ(0, cli(r, "rpush", "l:none", "x", "--xx", NULL));
	EXPECT_STREQ("0\n", r->out);
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "l:none", 6));
	kc_op_init(&op, KC_OP_LLEN);
	kc_op_key(&op, "l", 1);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(3, op.num);
	ASSERT_EQ(0, cli(r, "lrange", "l", "0", "-1", NULL));
	EXPECT_RUN(r, 0, "1) \"a\"\n2) \"b\"\n3) \"c\"\n");
	/* LMOVE and LMPOP: over netlink they never wait. */
	ASSERT_EQ(0, cli(r, "lmove", "l", "l:moved", "1", "0", NULL));
	EXPECT_RUN(r, 0, "\"c\"\n");
	ASSERT_EQ(0, cli(r, "lmpop", "5", "0", "l:none", "l:moved", NULL));
	EXPECT_RUN(r, 0, "1) \"l:moved\"\n2) \"c\"\n");
	ASSERT_EQ(0, cli(r, "rpush", "l", "c", NULL));
	EXPECT_RUN(r, 0, "3\n");
	ASSERT_EQ(0, cli(r, "llen", "l", NULL));
	EXPECT_RUN(r, 0, "3\n");
	ASSERT_EQ(0, cli(r, "lindex", "l", "-1", NULL));
	EXPECT_RUN(r, 0, "\"c\"\n");
	ASSERT_EQ(0, cli(r, "lindex", "l", "7", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	ASSERT_EQ(0, cli(r, "lset", "l", "1", "B", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, cli(r, "linsert", "l", "before", "B", "x", NULL));
	EXPECT_RUN(r, 0, "4\n");
	ASSERT_EQ(0, cli(r, "linsert", "l", "after", "nope", "x", NULL));
	EXPECT_RUN(r, 1, "-1\n");
	ASSERT_EQ(0, cli(r, "lrem", "l", "0", "x", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "rpush", "l", "d", "e", NULL));
	ASSERT_EQ(0, cli(r, "ltrim", "l", "0", "3", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, cli(r, "lpop", "l", NULL));
	EXPECT_RUN(r, 0, "\"a\"\n");
	ASSERT_EQ(0, cli(r, "rpop", "l", "2", NULL));
	EXPECT_RUN(r, 0, "1) \"d\"\n2) \"c\"\n");
	ASSERT_EQ(0, cli(r, "--json", "lrange", "l", "0", "-1", NULL));
	EXPECT_RUN(r, 0, "[\"B\"]\n");
	ASSERT_EQ(0, cli(r, "lpop", "l:none", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	ASSERT_EQ(0, kt_set(self->fd, "l:str", "s"));
	ASSERT_EQ(0, cli(r, "llen", "l:str", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "kernel reports: wrong type"));
}

TEST_F_TIMEOUT(cli, hashes, 300)
{
	struct run *r = &self->r;
	struct kc_op op;
	char buf[16];

	ASSERT_EQ(0, cli(r, "hset", "h", "f1", "v1", "f2", "v2", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "hset", "h", "f1", "new", "--nx", NULL));
	EXPECT_RUN(r, 0, "0\n");
	kc_op_init(&op, KC_OP_HGET);
	kc_op_key(&op, "h", 1);
	kc_op_val(&op, "f1", 2);
	kc_op_out(&op, buf, sizeof(buf));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(2, op.out_used);
	EXPECT_EQ(0, memcmp(buf, "v1", 2));
	ASSERT_EQ(0, cli(r, "hget", "h", "f2", NULL));
	EXPECT_RUN(r, 0, "\"v2\"\n");
	ASSERT_EQ(0, cli(r, "hget", "h", "f9", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	ASSERT_EQ(0, cli(r, "hmget", "h", "f1", "f9", NULL));
	EXPECT_RUN(r, 0, "1) \"v1\"\n2) (nil)\n");
	ASSERT_EQ(0, cli(r, "hlen", "h", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "hexists", "h", "f2", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "hexists", "h", "f9", NULL));
	EXPECT_RUN(r, 1, "0\n");
	ASSERT_EQ(0, cli(r, "hincrby", "h", "n", "5", NULL));
	EXPECT_RUN(r, 0, "5\n");
	ASSERT_EQ(0, cli(r, "hstrlen", "h", "f1", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "hdel", "h", "n", "f9", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "--json", "hgetall", "h", NULL));
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(!strcmp(r->out, "{\"f1\": \"v1\", \"f2\": \"v2\"}\n") ||
		    !strcmp(r->out, "{\"f2\": \"v2\", \"f1\": \"v1\"}\n")) {
		TH_LOG("%s", r->out);
	}
	ASSERT_EQ(0, cli(r, "hgetall", "h", NULL));
	EXPECT_NE(NULL, strstr(r->out, "\"f1\" => \"v1\"\n"));
	ASSERT_EQ(0, cli(r, "hkeys", "h", NULL));
	EXPECT_NE(NULL, strstr(r->out, "\"f2\""));
	ASSERT_EQ(0, cli(r, "hvals", "h", NULL));
	EXPECT_NE(NULL, strstr(r->out, "\"v2\""));
}

TEST_F_TIMEOUT(cli, sorted_sets, 300)
{
	struct run *r = &self->r;

	ASSERT_EQ(0, cli(r, "zadd", "z", "1.5", "a", "-inf", "b", "2", "c", NULL));
	EXPECT_RUN(r, 0, "3\n");
	ASSERT_EQ(0, cli(r, "zrange", "z", "0", "-1", NULL));
	EXPECT_RUN(r, 0, "1) \"b\"\n2) \"a\"\n3) \"c\"\n");
	ASSERT_EQ(0, cli(r, "zscore", "z", "a", "b", "nope", NULL));
	EXPECT_RUN(r, 0, "1) \"1.5\"\n2) \"-inf\"\n3) (nil)\n");
	ASSERT_EQ(0, cli(r, "zadd", "z", "0.25", "a", "--incr", NULL));
	EXPECT_RUN(r, 0, "\"1.75\"\n");
	ASSERT_EQ(0, cli(r, "zrank", "z", "c", "--rev", NULL));
	EXPECT_RUN(r, 0, "0\n");
	ASSERT_EQ(0, cli(r, "zrank", "z", "nope", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");
	ASSERT_EQ(0, cli(r, "zrange", "z", "(1.5", "+inf", "--byscore", "--count-only", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "zrange", "z", "-", "+", "--bylex", "--limit", "1", "--count", "1", NULL));
	EXPECT_EQ(0, r->status);
	ASSERT_EQ(0, cli(r, "zpopmax", "z", NULL));
	EXPECT_RUN(r, 0, "1) \"c\" => \"2\"\n");
	ASSERT_EQ(0, cli(r, "zcard", "z", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "zunionstore", "u", "z", "z", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "zrange", "u", "0", "-1", "--withscores", NULL));
	EXPECT_RUN(r, 0, "1) \"b\" => \"-inf\"\n2) \"a\" => \"3.5\"\n");
	ASSERT_EQ(0, cli(r, "type", "u", NULL));
	EXPECT_RUN(r, 0, "zset\n");
	ASSERT_EQ(0, cli(r, "zadd", "z", "nan", "a", NULL));
	EXPECT_EQ(2, r->status);
	/* save writes sorted sets, restore brings them back as they were */
	{
		char dir[] = "/tmp/kcache-cli-zset-XXXXXX", path[64];

		ASSERT_NE(NULL, mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/z.rdb", dir);
		ASSERT_EQ(0, cli(r, "save", path, NULL));
		EXPECT_EQ(0, r->status) {
			TH_LOG("stderr: %s", r->err);
		}
		ASSERT_EQ(0, cli(r, "del", "u", "z", NULL));
		ASSERT_EQ(0, cli(r, "restore", path, NULL));
		EXPECT_EQ(0, r->status) {
			TH_LOG("stderr: %s", r->err);
		}
		ASSERT_EQ(0, cli(r, "zrange", "u", "0", "-1", "--withscores", NULL));
		EXPECT_RUN(r, 0, "1) \"b\" => \"-inf\"\n2) \"a\" => \"3.5\"\n");
		ASSERT_EQ(0, cli(r, "zrange", "z", "0", "-1", "--withscores", NULL));
		EXPECT_RUN(r, 0, "1) \"b\" => \"-inf\"\n2) \"a\" => \"1.75\"\n");
		unlink(path);
		rmdir(dir);
	}
}

TEST_F_TIMEOUT(cli, sets, 300)
{
	struct run *r = &self->r;
	struct kc_op op;

	ASSERT_EQ(0, cli(r, "sadd", "s1", "a", "b", "c", NULL));
	EXPECT_RUN(r, 0, "3\n");
	ASSERT_EQ(0, cli(r, "sadd", "s2", "b", "c", "d", NULL));
	kc_op_init(&op, KC_OP_SCARD);
	kc_op_key(&op, "s1", 2);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(3, op.num);
	ASSERT_EQ(0, cli(r, "scard", "s1", NULL));
	EXPECT_RUN(r, 0, "3\n");
	ASSERT_EQ(0, cli(r, "sismember", "s1", "a", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "sismember", "s1", "z", NULL));
	EXPECT_RUN(r, 1, "0\n");
	ASSERT_EQ(0, cli(r, "smismember", "s1", "a", "z", NULL));
	EXPECT_RUN(r, 0, "1) 1\n2) 0\n");
	ASSERT_EQ(0, cli(r, "--json", "sinter", "s1", "s2", NULL));
	EXPECT_TRUE(!strcmp(r->out, "[\"b\", \"c\"]\n") ||
		    !strcmp(r->out, "[\"c\", \"b\"]\n")) {
		TH_LOG("%s", r->out);
	}
	ASSERT_EQ(0, cli(r, "sdiff", "s1", "s2", NULL));
	EXPECT_RUN(r, 0, "1) \"a\"\n");
	ASSERT_EQ(0, cli(r, "sunionstore", "s3", "s1", "s2", NULL));
	EXPECT_RUN(r, 0, "4\n");
	ASSERT_EQ(0, cli(r, "sinterstore", "s4", "s1", "s2", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "sdiffstore", "s5", "s2", "s1", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "smembers", "s5", NULL));
	EXPECT_RUN(r, 0, "1) \"d\"\n");
	ASSERT_EQ(0, cli(r, "sunion", "s5", "s4", NULL));
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "3) "));
	ASSERT_EQ(0, cli(r, "smove", "s1", "s5", "a", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "smove", "s1", "s5", "a", NULL));
	EXPECT_RUN(r, 1, "0\n");
	ASSERT_EQ(0, cli(r, "srem", "s5", "a", "zz", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "srandmember", "s4", NULL));
	EXPECT_EQ(0, r->status);
	EXPECT_TRUE(!strcmp(r->out, "\"b\"\n") || !strcmp(r->out, "\"c\"\n"));
	ASSERT_EQ(0, cli(r, "spop", "s4", "5", NULL));
	EXPECT_EQ(0, r->status);
	EXPECT_NE(NULL, strstr(r->out, "2) "));
	ASSERT_EQ(0, cli(r, "scard", "s4", NULL));
	EXPECT_STREQ("0\n", r->out);
}

TEST_F_TIMEOUT(cli, stats_config_flush, 300)
{
	struct run *r = &self->r;
	struct kc_config cfg;
	struct kc_stats st;
	struct kc_version v;
	struct stat ns;
	char want[96];
	int lines = 0;
	char *p;

	ASSERT_EQ(0, kt_set(self->fd, "st:a", "1"));
	ASSERT_EQ(0, cli(r, "stats", NULL));
	EXPECT_RUN(r, 0, NULL);
	EXPECT_NE(NULL, strstr(r->out, "curr_items"));
	EXPECT_NE(NULL, strstr(r->out, "evictions"));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	ASSERT_EQ(0, cli(r, "--json", "stats", NULL));
	snprintf(want, sizeof(want), "\"curr_items\": %llu",
		 (unsigned long long)st.curr_items);
	EXPECT_NE(NULL, strstr(r->out, want)) {
		TH_LOG("%s", r->out);
	}
	ASSERT_EQ(0, kc_version(self->fd, &v));
	ASSERT_EQ(0, cli(r, "stats", "--class", NULL));
	EXPECT_RUN(r, 0, NULL);
	for (p = r->out; *p; p++)
		lines += *p == '\n';
	EXPECT_EQ(v.nr_classes + 1, lines);
	EXPECT_EQ(0, strncmp(r->out, "class", 5));
	EXPECT_NE(NULL, strstr(r->out, "hot"));
	ASSERT_EQ(0, cli(r, "stats", "--class", "1", NULL));
	EXPECT_RUN(r, 0, NULL);
	EXPECT_NE(NULL, strstr(r->out, "chunk_size"));

	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	ASSERT_EQ(0, cli(r, "config", "get", "memory_limit_mb", NULL));
	snprintf(want, sizeof(want), "%llu\n",
		 (unsigned long long)cfg.memory_limit_mb);
	EXPECT_RUN(r, 0, want);
	ASSERT_EQ(0, cli(r, "config", "get", NULL));
	EXPECT_NE(NULL, strstr(r->out, "growth_factor_pct"));
	ASSERT_EQ(0, cli(r, "config", "set", "notify", "1", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(1, cfg.notify);
	ASSERT_EQ(0, cli(r, "config", "set", "notify", "0", NULL));
	ASSERT_EQ(0, cli(r, "config", "set", "chunk_min", "5", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "read-only"));
	/* item_size_max changes at run time, within 1024..512 MiB */
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	ASSERT_EQ(0, cli(r, "config", "set", "item_size_max", "2097152", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, cli(r, "config", "get", "item_size_max", NULL));
	EXPECT_RUN(r, 0, "2097152\n");
	ASSERT_EQ(0, cli(r, "config", "set", "item_size_max", "1023", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "kernel reports: ")) {
		TH_LOG("stderr: %s", r->err);
	}
	snprintf(want, sizeof(want), "%u", cfg.item_size_max);
	ASSERT_EQ(0, cli(r, "config", "set", "item_size_max", want, NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, cli(r, "config", "set", "memory_limit_mb", "1", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "kernel reports: "));
	/* noevict: 0 by default, 1 turns eviction off, 2 is refused */
	ASSERT_EQ(0, cli(r, "config", "get", "noevict", NULL));
	EXPECT_RUN(r, 0, "0\n");
	ASSERT_EQ(0, cli(r, "config", "set", "noevict", "1", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(1U, cfg.noevict);
	ASSERT_EQ(0, cli(r, "config", "set", "noevict", "2", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "kernel reports: "));
	ASSERT_EQ(0, cli(r, "config", "set", "noevict", "0", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(0U, cfg.noevict);

	/* This namespace's instance, listed with its item count. */
	ASSERT_EQ(0, stat("/proc/self/ns/net", &ns));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	ASSERT_EQ(0, cli(r, "--json", "instances", NULL));
	EXPECT_RUN(r, 0, NULL);
	snprintf(want, sizeof(want), "{\"netns\": %llu, \"curr_items\": %llu,",
		 (unsigned long long)ns.st_ino,
		 (unsigned long long)st.curr_items);
	EXPECT_NE(NULL, strstr(r->out, want)) {
		TH_LOG("want %s in %s", want, r->out);
	}
	ASSERT_EQ(0, cli(r, "instances", NULL));
	EXPECT_RUN(r, 0, NULL);
	/* The header row first, then ours (columns right-aligned). */
	p = strchr(r->out, '\n');
	EXPECT_TRUE(p && strstr(r->out, "netns") && strstr(r->out, "netns") < p) {
		TH_LOG("%s", r->out);
	}
	snprintf(want, sizeof(want), "%llu", (unsigned long long)ns.st_ino);
	EXPECT_NE(NULL, strstr(r->out, want));

	ASSERT_EQ(0, cli(r, "flush", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(0, st.curr_items);
}

/* A key of database db through the ioctl API: its value, or NULL. */
static char *db_get(int fd, uint32_t db, const char *key)
{
	static char buf[4096];
	struct kc_op op;

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, key, strlen(key));
	kc_op_out(&op, buf, sizeof(buf) - 1);
	op.db = db;
	if (kc_do(fd, &op))
		return NULL;
	buf[op.out_used] = '\0';
	return buf;
}

static int db_set(int fd, uint32_t db, const char *key, const char *val)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, key, strlen(key));
	kc_op_val(&op, val, strlen(val));
	op.db = db;
	return kc_do(fd, &op);
}

static uint64_t db_size(int fd, uint32_t db)
{
	uint64_t n = UINT64_MAX;

	kc_dbsize(fd, db, &n);
	return n;
}

/*
 * -n DB (--db DB, --db=DB, anywhere before "--") picks the database of
 * the data commands, keys, scan and dbsize; move and swapdb name theirs.
 */
TEST_F_TIMEOUT(cli, databases, 300)
{
	struct run *r = &self->r;

	ASSERT_EQ(0, cli(r, "-n", "3", "set", "d:k", "three", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, cli(r, "set", "d:k", "zero", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_STREQ("three", db_get(self->fd, 3, "d:k"));
	EXPECT_STREQ("zero", db_get(self->fd, 0, "d:k"));
	ASSERT_EQ(0, cli(r, "-n", "3", "get", "d:k", NULL));
	EXPECT_RUN(r, 0, "\"three\"\n");
	ASSERT_EQ(0, cli(r, "--db", "3", "get", "d:k", NULL));
	EXPECT_RUN(r, 0, "\"three\"\n");
	ASSERT_EQ(0, cli(r, "get", "d:k", "--db=3", NULL));
	EXPECT_RUN(r, 0, "\"three\"\n");
	ASSERT_EQ(0, cli(r, "-n", "0", "get", "d:k", NULL));
	EXPECT_RUN(r, 0, "\"zero\"\n");
	ASSERT_EQ(0, cli(r, "-n", "4", "get", "d:k", NULL));
	EXPECT_RUN(r, 1, "(nil)\n");

	/* Every kind of request carries it: lists, keys, scan, del. */
	ASSERT_EQ(0, cli(r, "-n", "3", "rpush", "d:l", "a", "b", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "-n", "3", "dbsize", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "dbsize", NULL));
	EXPECT_RUN(r, 0, "1\n");
	ASSERT_EQ(0, cli(r, "-n", "3", "keys", "d:*", NULL));
	EXPECT_RUN(r, 0, "1) \"d:k\"\n2) \"d:l\"\n");
	ASSERT_EQ(0, cli(r, "keys", "d:*", NULL));
	EXPECT_RUN(r, 0, "1) \"d:k\"\n");
	ASSERT_EQ(0, cli(r, "-n", "3", "--raw", "scan", "0", "--match", "d:l",
			 NULL));
	EXPECT_RUN(r, 0, "0\nd:l\n");
	ASSERT_EQ(0, cli(r, "-n", "3", "exists", "d:k", "d:l", "d:x", NULL));
	EXPECT_RUN(r, 0, "2\n");
	ASSERT_EQ(0, cli(r, "-n", "3", "del", "d:l", "d:x", NULL));
	EXPECT_RUN(r, 0, "1\n");
	EXPECT_EQ(1, db_size(self->fd, 3));

	/* move KEY DB: 1, then 0 (exit 1) when missing or already there. */
	ASSERT_EQ(0, cli(r, "move", "d:k", "5", NULL));
	EXPECT_RUN(r, 0, "1\n");
	EXPECT_EQ(NULL, db_get(self->fd, 0, "d:k"));
	EXPECT_STREQ("zero", db_get(self->fd, 5, "d:k"));
	ASSERT_EQ(0, cli(r, "move", "d:k", "5", NULL));
	EXPECT_RUN(r, 1, "0\n");
	ASSERT_EQ(0, cli(r, "-n", "3", "move", "d:k", "5", NULL));
	EXPECT_RUN(r, 1, "0\n");
	EXPECT_STREQ("three", db_get(self->fd, 3, "d:k"));
	ASSERT_EQ(0, cli(r, "-n", "3", "move", "d:k", "3", NULL));
	EXPECT_RUN(r, 2, "");
	ASSERT_EQ(0, cli(r, "move", "d:k", "16", NULL));
	EXPECT_RUN(r, 2, "");

	/* swapdb A B: the two trade their keys. */
	ASSERT_EQ(0, db_set(self->fd, 5, "d:only5", "x"));
	ASSERT_EQ(0, cli(r, "swapdb", "3", "5", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_STREQ("zero", db_get(self->fd, 3, "d:k"));
	EXPECT_STREQ("x", db_get(self->fd, 3, "d:only5"));
	EXPECT_STREQ("three", db_get(self->fd, 5, "d:k"));
	EXPECT_EQ(1, db_size(self->fd, 5));
	ASSERT_EQ(0, cli(r, "swapdb", "3", "16", NULL));
	EXPECT_RUN(r, 2, "");

	/* A database out of range is a usage error: nothing is sent. */
	ASSERT_EQ(0, cli(r, "-n", "16", "get", "d:k", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "no database 16"));
	ASSERT_EQ(0, cli(r, "get", "d:k", "-n", NULL));
	EXPECT_RUN(r, 2, "");
	ASSERT_EQ(0, cli(r, "--db", "x", "get", "d:k", NULL));
	EXPECT_RUN(r, 2, "");
	/* After "--" it is an argument. */
	ASSERT_EQ(0, cli(r, "-n", "3", "set", "--", "-n", "v", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_STREQ("v", db_get(self->fd, 3, "-n"));
}

/* flush empties every database; with -n DB that one alone. */
TEST_F_TIMEOUT(cli, flush_one_db, 300)
{
	struct run *r = &self->r;

	ASSERT_EQ(0, db_set(self->fd, 0, "f:a", "0"));
	ASSERT_EQ(0, db_set(self->fd, 2, "f:a", "2"));
	ASSERT_EQ(0, db_set(self->fd, 2, "f:b", "2"));
	ASSERT_EQ(0, db_set(self->fd, 9, "f:a", "9"));
	ASSERT_EQ(0, cli(r, "-n", "2", "flush", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_EQ(0, db_size(self->fd, 2));
	EXPECT_STREQ("0", db_get(self->fd, 0, "f:a"));
	EXPECT_STREQ("9", db_get(self->fd, 9, "f:a"));
	ASSERT_EQ(0, cli(r, "flush", "--db", "0", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_EQ(NULL, db_get(self->fd, 0, "f:a"));
	EXPECT_STREQ("9", db_get(self->fd, 9, "f:a"));
	ASSERT_EQ(0, db_set(self->fd, 2, "f:b", "2"));
	ASSERT_EQ(0, cli(r, "flush", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	EXPECT_EQ(0, db_size(self->fd, 2));
	EXPECT_EQ(0, db_size(self->fd, 9));
}

/*
 * save writes every database with its SELECTDB; restore puts each key
 * back in its own, the same name in two databases included, and refuses
 * a file naming a database past 15 before it loads anything.
 */
TEST_F_TIMEOUT(cli, save_restore_databases, 300)
{
	/* "a" = "b" in database 0, then SELECTDB 16; CRC 0: not checked */
	static const unsigned char bad[] = {
		'R', 'E', 'D', 'I', 'S', '0', '0', '1', '0',
		0xfe, 0x00, 0x00, 0x01, 'a', 0x01, 'b',
		0xfe, 0x10, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	char dir[] = "/tmp/kcache-cli-db-XXXXXX", path[64], badpath[64];
	struct run *r = &self->r;
	struct kc_op op;
	FILE *f;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dbs.rdb", dir);
	snprintf(badpath, sizeof(badpath), "%s/bad.rdb", dir);
	ASSERT_EQ(0, db_set(self->fd, 0, "r:same", "zero"));
	ASSERT_EQ(0, db_set(self->fd, 7, "r:same", "seven"));
	ASSERT_EQ(0, cli(r, "-n", "7", "hset", "r:h", "f", "v", NULL));
	ASSERT_EQ(0, cli(r, "-n", "7", "set", "r:ttl", "v", "--ttl", "1000",
			 NULL));
	ASSERT_EQ(0, db_set(self->fd, 15, "r:last", "15"));

	ASSERT_EQ(0, cli(r, "-n", "7", "save", path, NULL));
	EXPECT_RUN(r, 2, "");
	ASSERT_EQ(0, cli(r, "save", path, NULL));
	EXPECT_EQ(0, r->status) {
		TH_LOG("stderr: %s", r->err);
	}
	EXPECT_NE(NULL, strstr(r->out, "saved 5 keys"));
	ASSERT_EQ(0, kc_flush(self->fd));
	ASSERT_EQ(0, cli(r, "restore", path, NULL));
	EXPECT_EQ(0, r->status) {
		TH_LOG("stderr: %s", r->err);
	}
	EXPECT_NE(NULL, strstr(r->out, "restored 5 keys"));
	EXPECT_STREQ("zero", db_get(self->fd, 0, "r:same"));
	EXPECT_STREQ("seven", db_get(self->fd, 7, "r:same"));
	EXPECT_STREQ("15", db_get(self->fd, 15, "r:last"));
	EXPECT_EQ(1, db_size(self->fd, 0));
	EXPECT_EQ(3, db_size(self->fd, 7));
	EXPECT_EQ(1, db_size(self->fd, 15));
	ASSERT_EQ(0, cli(r, "-n", "7", "hget", "r:h", "f", NULL));
	EXPECT_RUN(r, 0, "\"v\"\n");
	kc_op_init(&op, KC_OP_TTL);
	kc_op_key(&op, "r:ttl", 5);
	op.db = 7;
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_LT(900, op.expire);
	EXPECT_GE(1000, op.expire);

	/* Loading again replaces each key in its own database. */
	ASSERT_EQ(0, db_set(self->fd, 7, "r:same", "changed"));
	ASSERT_EQ(0, cli(r, "restore", path, NULL));
	EXPECT_EQ(0, r->status);
	EXPECT_STREQ("seven", db_get(self->fd, 7, "r:same"));
	EXPECT_STREQ("zero", db_get(self->fd, 0, "r:same"));

	/* Database 16: refused with the offset, nothing loaded. */
	f = fopen(badpath, "we");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fwrite(bad, sizeof(bad), 1, f));
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, kc_flush(self->fd));
	ASSERT_EQ(0, cli(r, "restore", badpath, NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "offset 16: SELECTDB 16")) {
		TH_LOG("stderr: %s", r->err);
	}
	EXPECT_NE(NULL, strstr(r->err, "nothing loaded"));
	EXPECT_EQ(NULL, db_get(self->fd, 0, "a"));
	ASSERT_EQ(0, cli(r, "restore", badpath, "--check", NULL));
	EXPECT_RUN(r, 2, "");
	unlink(badpath);
	unlink(path);
	rmdir(dir);
}

/* Unprivileged: reads work, the rest says why not. */
TEST_F_TIMEOUT(cli, permissions, 300)
{
	struct run *r = &self->r;

	if (!kt_have_cap(CAP_SETUID))
		SKIP(return, "needs CAP_SETUID to become nobody");
	ASSERT_EQ(0, kt_set(self->fd, "p:a", "secret"));
	ASSERT_EQ(0, cli_as(r, 65534, "stats", NULL));
	EXPECT_RUN(r, 0, NULL);
	ASSERT_EQ(0, cli_as(r, 65534, "config", "get", "notify", NULL));
	EXPECT_RUN(r, 0, "0\n");
	ASSERT_EQ(0, cli_as(r, 65534, "instances", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "hint: flush, config set and instances need")) {
		TH_LOG("%s", r->err);
	}
	ASSERT_EQ(0, cli_as(r, 65534, "flush", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "hint: flush, config set and instances need"));
	ASSERT_EQ(0, cli_as(r, 65534, "config", "set", "notify", "1", NULL));
	EXPECT_RUN(r, 2, "");
	ASSERT_EQ(0, cli_as(r, 65534, "get", "p:a", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_NE(NULL, strstr(r->err, "kernel reports: no access"));
	EXPECT_NE(NULL, strstr(r->err, "hint: data commands need"));
	ASSERT_EQ(0, cli_as(r, 65534, "monitor", "--timeout", "1", NULL));
	EXPECT_RUN(r, 2, "");
	EXPECT_STREQ("secret", ioctl_get(self->fd, "p:a"));
}

/* Waits until some socket has joined multicast group grp. */
static bool joined(uint32_t grp, int ms)
{
	int64_t end = kt_mono_ms() + ms;

	do {
		FILE *f = fopen("/proc/net/netlink", "re");
		char line[256];
		bool found = false;

		if (!f)
			return false;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long sk;
			unsigned int proto, pid, groups;

			if (sscanf(line, "%llx %u %u %x", &sk, &proto, &pid,
				   &groups) == 4 && proto == NETLINK_GENERIC &&
			    grp <= 32 && (groups & (1U << (grp - 1))))
				found = true;
		}
		fclose(f);
		if (found)
			return true;
		kt_sleep_ms(20);
	} while (kt_mono_ms() < end);
	return false;
}

static uint32_t group_id(bool keyspace)
{
	struct kn kn;
	uint32_t g;

	if (kn_open(&kn))
		return 0;
	g = keyspace ? kn.grp_keyspace : kn.grp_pubsub;
	kn_close(&kn);
	return g;
}

TEST_F_TIMEOUT(cli, publish_subscribe, 300)
{
	char *sub_args[] = { "subscribe", "news", "sp*", "--count", "3",
			     "--timeout", "60", NULL };
	struct run *r = &self->r, got;
	struct proc p;

	ASSERT_EQ(0, spawn(&p, -1, sub_args));
	ASSERT_TRUE(joined(group_id(false), 20000));
	ASSERT_EQ(0, cli(r, "publish", "news", "first", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	ASSERT_EQ(0, cli(r, "publish", "other", "ignored", NULL));
	ASSERT_EQ(0, cli(r, "publish", "sports", "second", NULL));
	ASSERT_EQ(0, cli(r, "publish", "news", "third", NULL));
	finish(&p, &got, 60000);
	EXPECT_EQ(0, got.status) {
		TH_LOG("stderr: %s", got.err);
	}
	EXPECT_STREQ("\"news\" \"first\"\n\"sports\" \"second\"\n\"news\" \"third\"\n",
		     got.out);
	run_free(&got);

	/* Without --count, a timeout is a normal end. */
	ASSERT_EQ(0, cli(r, "subscribe", "x", "--timeout", "1", NULL));
	EXPECT_RUN(r, 0, "");
	ASSERT_EQ(0, cli(r, "subscribe", "x", "--count", "1", "--timeout",
			 "1", NULL));
	EXPECT_RUN(r, 1, "");
}

/* A subscriber stopped while messages pour in loses some, and says so. */
TEST_F_TIMEOUT(cli, subscriber_overrun, 300)
{
	char *sub_args[] = { "--json", "subscribe", "flood", "--rcvbuf", "1",
			     "--count", "5", "--timeout", "60", NULL };
	struct run *r = &self->r, got;
	struct proc p;
	int i;

	ASSERT_EQ(0, spawn(&p, -1, sub_args));
	ASSERT_TRUE(joined(group_id(false), 20000));
	kill(p.pid, SIGSTOP);
	for (i = 0; i < 50; i++) {
		char msg[16];

		snprintf(msg, sizeof(msg), "m%d", i);
		ASSERT_EQ(0, cli(r, "publish", "flood", msg, NULL));
		EXPECT_EQ(0, r->status);
	}
	/* The cache never waited for it. */
	ASSERT_EQ(0, cli(r, "set", "o:alive", "yes", NULL));
	EXPECT_RUN(r, 0, "OK\n");
	/* Awake again, it reads on and hears new messages. */
	kill(p.pid, SIGCONT);
	kt_sleep_ms(500);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, cli(r, "publish", "flood", "later", NULL));
		kt_sleep_ms(50);
	}
	finish(&p, &got, 60000);
	EXPECT_EQ(2, got.status);
	EXPECT_NE(NULL, strstr(got.err, "messages lost")) {
		TH_LOG("stderr: %s", got.err);
	}
	EXPECT_NE(NULL, strstr(got.err, "ENOBUFS"));
	run_free(&got);
}

TEST_F_TIMEOUT(cli, monitor, 300)
{
	char *mon_args[] = { "monitor", "mon:*", "--count", "3", "--timeout",
			     "60", NULL };
	struct run *r = &self->r, got;
	struct proc p;

	ASSERT_EQ(0, cli(r, "config", "set", "notify", "1", NULL));
	ASSERT_EQ(0, spawn(&p, -1, mon_args));
	ASSERT_TRUE(joined(group_id(true), 20000));
	ASSERT_EQ(0, kt_set(self->fd, "mon:a", "1"));
	ASSERT_EQ(0, kt_set(self->fd, "other", "1"));
	ASSERT_EQ(0, kc_del(self->fd, "mon:a", 5, 0));
	ASSERT_EQ(0, cli(r, "set", "mon:b", "2", NULL));
	finish(&p, &got, 60000);
	EXPECT_EQ(0, got.status) {
		TH_LOG("stderr: %s", got.err);
	}
	EXPECT_STREQ("[0] set \"mon:a\"\n[0] del \"mon:a\"\n[0] set \"mon:b\"\n",
		     got.out);
	run_free(&got);

	/* With events off, monitor says how to turn them on. */
	ASSERT_EQ(0, cli(r, "config", "set", "notify", "0", NULL));
	ASSERT_EQ(0, cli(r, "monitor", "--timeout", "1", NULL));
	EXPECT_NE(NULL, strstr(r->err, "config set notify 1"));
}

/*
 * Events name their database; with -n DB monitor keeps those of DB and
 * the flushes of every database.
 */
TEST_F_TIMEOUT(cli, monitor_databases, 300)
{
	char *mon_args[] = { "-n", "2", "monitor", "--count", "3",
			     "--timeout", "60", NULL };
	char *json_args[] = { "--json", "monitor", "--count", "2",
			      "--timeout", "60", NULL };
	struct run *r = &self->r, got;
	struct proc p;

	ASSERT_EQ(0, cli(r, "config", "set", "notify", "1", NULL));
	ASSERT_EQ(0, spawn(&p, -1, mon_args));
	ASSERT_TRUE(joined(group_id(true), 20000));
	ASSERT_EQ(0, db_set(self->fd, 0, "m:a", "0"));
	ASSERT_EQ(0, db_set(self->fd, 2, "m:a", "2"));
	ASSERT_EQ(0, cli(r, "-n", "5", "flush", NULL));
	ASSERT_EQ(0, cli(r, "-n", "2", "flush", NULL));
	ASSERT_EQ(0, cli(r, "flush", NULL));
	finish(&p, &got, 60000);
	EXPECT_EQ(0, got.status) {
		TH_LOG("stderr: %s", got.err);
	}
	EXPECT_STREQ("[2] set \"m:a\"\n[2] flush\n[*] flush\n", got.out);
	run_free(&got);

	ASSERT_EQ(0, spawn(&p, -1, json_args));
	ASSERT_TRUE(joined(group_id(true), 20000));
	ASSERT_EQ(0, db_set(self->fd, 4, "m:j", "4"));
	ASSERT_EQ(0, cli(r, "flush", NULL));
	finish(&p, &got, 60000);
	EXPECT_EQ(0, got.status);
	EXPECT_STREQ("{\"event\": \"set\", \"db\": 4, \"key\": \"m:j\"}\n"
		     "{\"event\": \"flush\", \"db\": null, \"key\": null}\n",
		     got.out);
	run_free(&got);
	ASSERT_EQ(0, cli(r, "config", "set", "notify", "0", NULL));
}

TEST_HARNESS_MAIN
