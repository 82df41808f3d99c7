// SPDX-License-Identifier: GPL-2.0
/*
 * Lists that move and wait: LMOVE and LMPOP, their blocking forms
 * KC_OP_BLMOVE and KC_OP_BLMPOP (woken by another thread's push, timing
 * out, interrupted by a signal, killed while they wait, never waiting in
 * a batch) and KC_IOC_WAIT with poll() on /dev/kcache.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_container.h"

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST_F(types, lmove)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "src", .args = { "a", "b", "c" }).ret);
	/* RIGHT LEFT: RPOPLPUSH. */
	r = KT(self->fd, KC_OP_LMOVE, "src", .args = { "dst" }, .num = 1);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("c", r.s);
	EXPECT_STREQ("a,b", LRANGE_ALL("src"));
	EXPECT_STREQ("c", LRANGE_ALL("dst"));
	/* LEFT RIGHT. */
	r = KT(self->fd, KC_OP_LMOVE, "src", .args = { "dst" }, .num = 0, .num2 = 1);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("a", r.s);
	EXPECT_STREQ("c,a", LRANGE_ALL("dst"));
	/* One list: a rotation. */
	r = KT(self->fd, KC_OP_LMOVE, "dst", .args = { "dst" }, .num = 0, .num2 = 1);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("c", r.s);
	EXPECT_STREQ("a,c", LRANGE_ALL("dst"));
	/* The last element leaves: the source is gone. */
	r = KT(self->fd, KC_OP_LMOVE, "src", .args = { "dst" }, .num = 1, .num2 = 1);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("b", r.s);
	EXPECT_GONE("src");
	EXPECT_STREQ("a,c,b", LRANGE_ALL("dst"));
	/* Missing source: nil, no destination created. */
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_LMOVE, "src", .args = { "new" }).ret);
	EXPECT_GONE("new");
	/* A destination of another type: WRONGTYPE, nothing moves. */
	ASSERT_EQ(0, kc_set(self->fd, "str", 3, "v", 1, 0, 0, 0));
	EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_LMOVE, "dst", .args = { "str" }).ret);
	EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_LMOVE, "str", .args = { "dst" }).ret);
	EXPECT_STREQ("a,c,b", LRANGE_ALL("dst"));
	/* Directions are 0 or 1; one destination. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LMOVE, "dst", .args = { "x" }, .num = 2).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LMOVE, "dst", .args = { "x" }, .num2 = -1).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LMOVE, "dst").ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LMOVE, "dst", .args = { "x", "y" }).ret);
	EXPECT_STREQ("a,c,b", LRANGE_ALL("dst"));
}

TEST_F(types, lmpop)
{
	struct kt_out r;
	char txt[KT_STR];

	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l1", .args = { "a", "b" }).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "l2", .args = { "x", "y", "z" }).ret);
	/* The first key that exists; the reply is the key, then elements. */
	r = KT(self->fd, KC_OP_LMPOP, NULL, .args = { "none", "l2", "l1" }, .num = 2);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("l2,x,y", r.s);
	EXPECT_EQ(3, r.num);
	r = KT(self->fd, KC_OP_LMPOP, NULL, .args = { "l1" }, .num = 10, .num2 = 1);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("l1,b,a", r.s);
	EXPECT_GONE("l1");
	EXPECT_EQ(-ENOENT, KT(self->fd, KC_OP_LMPOP, NULL, .args = { "l1", "none" }, .num = 1).ret);
	/* Another type before a list: WRONGTYPE, nothing popped. */
	ASSERT_EQ(0, kc_set(self->fd, "str", 3, "v", 1, 0, 0, 0));
	EXPECT_EQ(-EPROTOTYPE, KT(self->fd, KC_OP_LMPOP, NULL, .args = { "str", "l2" }, .num = 1).ret);
	EXPECT_STREQ("z", LRANGE_ALL("l2"));
	/* A count of at least one, a direction, keys. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LMPOP, NULL, .args = { "l2" }, .num = 0).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LMPOP, NULL, .args = { "l2" }, .num = 1, .num2 = 2).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_LMPOP, NULL, .num = 1).ret);
	EXPECT_STREQ("z", LRANGE_ALL("l2"));
}

struct pusher {
	const char *key;
	const char *val;
	int delay_ms;
	int ret;
};

static void *push_later(void *arg)
{
	struct pusher *p = arg;
	int fd = kc_open();

	usleep(p->delay_ms * 1000);
	p->ret = fd < 0 ? fd : KT(fd, KC_OP_RPUSH, p->key, .args = { p->val }).ret;
	if (fd >= 0)
		kc_close(fd);
	return NULL;
}

TEST_F(types, blmpop_woken_by_push)
{
	struct pusher p = { "bk", "hello", 300, -1 };
	pthread_t t;
	struct kt_out r;
	int64_t t0;

	ASSERT_EQ(0, pthread_create(&t, NULL, push_later, &p));
	t0 = ms_now();
	/* expire 0: no timeout. */
	r = KT(self->fd, KC_OP_BLMPOP, NULL, .args = { "other", "bk" }, .num = 1);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, p.ret);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("bk,hello", r.s);
	EXPECT_GE(ms_now() - t0, 250);
	EXPECT_GONE("bk");

	/* BLMOVE too, with a timeout that does not run out. */
	p.delay_ms = 200;
	ASSERT_EQ(0, pthread_create(&t, NULL, push_later, &p));
	t0 = ms_now();
	r = KT(self->fd, KC_OP_BLMOVE, "bk", .args = { "moved" }, .expire = 10000);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("hello", r.s);
	EXPECT_GE(ms_now() - t0, 150);
	EXPECT_LT(ms_now() - t0, 9000);
	EXPECT_EQ(1, kt_len(self->fd, KC_OP_LLEN, "moved"));
}

TEST_F(types, blocking_timeout_and_no_wait)
{
	struct kc_op ops[2];
	struct kc_buf kb;
	struct kt_out r;
	char out[256];
	int64_t t0, dt;

	t0 = ms_now();
	r = KT(self->fd, KC_OP_BLMPOP, NULL, .args = { "nothing" }, .num = 1, .expire = 300);
	dt = ms_now() - t0;
	EXPECT_EQ(-ETIMEDOUT, r.ret);
	EXPECT_GE(dt, 280);
	EXPECT_LT(dt, 5000);
	t0 = ms_now();
	EXPECT_EQ(-ETIMEDOUT, KT(self->fd, KC_OP_BLMOVE, "nothing", .args = { "d" }, .expire = 100).ret);
	EXPECT_GE(ms_now() - t0, 90);
	EXPECT_GONE("d");
	/* A negative timeout is invalid; an element present is no wait. */
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_BLMPOP, NULL, .args = { "nothing" }, .num = 1, .expire = -1).ret);
	EXPECT_EQ(-EINVAL, KT(self->fd, KC_OP_BLMOVE, "nothing", .args = { "d" }, .expire = -5).ret);
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "here", .args = { "v" }).ret);
	r = KT(self->fd, KC_OP_BLMPOP, NULL, .args = { "here" }, .num = 1, .expire = 60000);
	ASSERT_EQ(0, r.ret);
	EXPECT_STREQ("here,v", r.s);

	/* In a batch (and a transaction) the blocking ops never wait. */
	kc_op_init(&ops[0], KC_OP_BLMPOP);
	kc_buf_set(&kb, "nothing", 7);
	kc_op_args(&ops[0], &kb, 1);
	ops[0].num = 1;
	kc_op_out(&ops[0], out, sizeof(out));
	kc_op_init(&ops[1], KC_OP_BLMOVE);
	kc_op_key(&ops[1], "nothing", 7);
	kc_op_args(&ops[1], &kb, 1);
	kc_op_out(&ops[1], out, sizeof(out));
	t0 = ms_now();
	ASSERT_EQ(0, kc_batch_run(self->fd, ops, 2, 0, NULL, 0, NULL));
	EXPECT_EQ(-ENOENT, ops[0].result);
	EXPECT_EQ(-ENOENT, ops[1].result);
	ASSERT_EQ(0, kc_batch_run(self->fd, ops, 2, KC_BATCH_TXN, NULL, 0, NULL));
	EXPECT_EQ(-ENOENT, ops[0].result);
	EXPECT_EQ(-ENOENT, ops[1].result);
	EXPECT_LT(ms_now() - t0, 2000);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A waiter is interrupted by a signal (-EINTR) and killed by SIGKILL. */
TEST_F(types, blocked_waiter_signals)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	int status, i;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int fd = kc_open();

		sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART */
		_exit(KT(fd, KC_OP_BLMPOP, NULL, .args = { "sigkey" }, .num = 1).ret == -EINTR ? 0 : 1);
	}
	usleep(300 * 1000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	kill(pid, SIGUSR1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int fd = kc_open();

		KT(fd, KC_OP_BLMOVE, "sigkey", .args = { "d" });
		_exit(3);
	}
	usleep(300 * 1000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG));
	kill(pid, SIGKILL);
	for (i = 0; i < 500 && !waitpid(pid, &status, WNOHANG); i++)
		usleep(10 * 1000);
	ASSERT_LT(i, 500);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	/* Nothing was left waiting: a push afterwards stays in the list. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "sigkey", .args = { "v" }).ret);
	EXPECT_EQ(1, kt_len(self->fd, KC_OP_LLEN, "sigkey"));
}

static int wait_keys(int fd, uint32_t flags, const char **keys, uint32_t n)
{
	struct kc_buf kb[8];
	struct kc_wait w = { .size = sizeof(w), .flags = flags, .nkeys = n,
			     .keys = (uint64_t)(uintptr_t)kb };
	uint32_t i;

	for (i = 0; i < n; i++)
		kc_buf_set(&kb[i], keys[i], strlen(keys[i]));
	return ioctl(fd, KC_IOC_WAIT, &w) ? -errno : 0;
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, ms);

	return n < 0 ? -errno : n && (p.revents & POLLIN);
}

TEST_F(types, poll_readiness)
{
	const char *k1[] = { "pk1" }, *k2[] = { "pk2" }, *bad[] = { "" };
	struct kc_buf kb;
	struct kc_wait w;
	int fd;

	fd = kc_open();
	ASSERT_GE(fd, 0);
	/* No keys: never readable. */
	EXPECT_EQ(0, readable(fd, 0));
	ASSERT_EQ(0, wait_keys(fd, 0, k1, 1));
	EXPECT_EQ(0, readable(fd, 0));
	ASSERT_EQ(0, KT(self->fd, KC_OP_LPUSH, "pk1", .args = { "a" }).ret);
	EXPECT_EQ(1, readable(fd, 1000));
	/* Level-triggered until the next KC_IOC_WAIT clears it. */
	EXPECT_EQ(1, readable(fd, 0));
	ASSERT_EQ(0, wait_keys(fd, 0, k1, 1));
	EXPECT_EQ(0, readable(fd, 0));
	/* RPUSH, LMOVE into the key and RENAME onto it wake too. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_RPUSH, "pk1", .args = { "b" }).ret);
	EXPECT_EQ(1, readable(fd, 1000));
	ASSERT_EQ(0, wait_keys(fd, 0, k1, 1));
	ASSERT_EQ(0, KT(self->fd, KC_OP_LMOVE, "pk1", .args = { "pk1" }).ret);
	EXPECT_EQ(1, readable(fd, 1000));
	/* KC_WAIT_ADD keeps the earlier keys. */
	ASSERT_EQ(0, wait_keys(fd, KC_WAIT_ADD, k2, 1));
	EXPECT_EQ(0, readable(fd, 0));
	ASSERT_EQ(0, KT(self->fd, KC_OP_LPUSH, "pk1", .args = { "c" }).ret);
	EXPECT_EQ(1, readable(fd, 1000));
	ASSERT_EQ(0, wait_keys(fd, 0, NULL, 0));
	/* Stopped waiting: a push no longer makes it readable. */
	ASSERT_EQ(0, KT(self->fd, KC_OP_LPUSH, "pk1", .args = { "d" }).ret);
	EXPECT_EQ(0, readable(fd, 50));
	/* Another thread's push wakes a poll() already sleeping. */
	ASSERT_EQ(0, wait_keys(fd, 0, k2, 1));
	{
		struct pusher p = { "pk2", "x", 200, -1 };
		pthread_t t;
		int64_t t0 = ms_now();

		ASSERT_EQ(0, pthread_create(&t, NULL, push_later, &p));
		EXPECT_EQ(1, readable(fd, 10000));
		EXPECT_GE(ms_now() - t0, 150);
		ASSERT_EQ(0, pthread_join(t, NULL));
		EXPECT_EQ(0, p.ret);
	}

	/* Validation: flags, reserved, count, keys, size. */
	EXPECT_EQ(-EINVAL, wait_keys(fd, 2, k1, 1));
	EXPECT_EQ(-EINVAL, wait_keys(fd, 0, bad, 1));
	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.__reserved = 1;
	EXPECT_EQ(-1, ioctl(fd, KC_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.__reserved = 0;
	w.nkeys = KC_WAIT_KEYS_MAX + 1;
	EXPECT_EQ(-1, ioctl(fd, KC_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.nkeys = 1;
	w.keys = 8;
	EXPECT_EQ(-1, ioctl(fd, KC_IOC_WAIT, &w));
	EXPECT_EQ(EFAULT, errno);
	kc_buf_set(&kb, "k", 1);
	kb.__reserved = 1;
	w.keys = (uint64_t)(uintptr_t)&kb;
	EXPECT_EQ(-1, ioctl(fd, KC_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w.size = KC_WAIT_SIZE_VER0 - 1;
	EXPECT_EQ(-1, ioctl(fd, KC_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	/* Closing with keys set frees them (kmemleak on the debug kernel). */
	ASSERT_EQ(0, wait_keys(fd, 0, k1, 1));
	kc_close(fd);
}

/* ZADD of one member (the score's 8 bytes, then the member). */
static int kt_zadd(int fd, const char *key, uint32_t flags, double score,
		   const char *member)
{
	char arg[64];
	struct kc_buf b;
	struct kc_op op;
	size_t l = strlen(member);

	memcpy(arg, &score, 8);
	memcpy(arg + 8, member, l);
	kc_buf_set(&b, arg, 8 + l);
	kc_op_init(&op, KC_OP_ZADD);
	kc_op_key(&op, key, strlen(key));
	op.flags = flags;
	kc_op_args(&op, &b, 1);
	return kc_do(fd, &op);
}

/*
 * A sorted set that gets members wakes a waiter too (BZPOPMIN, BZMPOP in
 * kcache-proxy): ZADD of a new member, a ZUNIONSTORE into the key, a
 * RENAME of a sorted set onto it; a ZADD that only changes a score not.
 */
TEST_F(types, poll_readiness_sorted_sets)
{
	const char *k[] = { "pz" };
	double one = 1, two = 2;
	int fd;

	fd = kc_open();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, wait_keys(fd, 0, k, 1));
	EXPECT_EQ(0, readable(fd, 0));
	ASSERT_EQ(0, kt_zadd(self->fd, "pz", 0, one, "a"));
	EXPECT_EQ(1, readable(fd, 1000));
	ASSERT_EQ(0, wait_keys(fd, 0, k, 1));
	ASSERT_EQ(0, kt_zadd(self->fd, "pz", 0, two, "a"));
	EXPECT_EQ(0, readable(fd, 50));
	ASSERT_EQ(0, kt_zadd(self->fd, "pzsrc", 0, one, "b"));
	ASSERT_EQ(0, KT(self->fd, KC_OP_ZUNIONSTORE, "pz",
			.args = { "pzsrc" }).ret);
	EXPECT_EQ(1, readable(fd, 1000));
	ASSERT_EQ(0, wait_keys(fd, 0, k, 1));
	ASSERT_EQ(0, KT(self->fd, KC_OP_RENAME, "pzsrc", .val = "pz").ret);
	EXPECT_EQ(1, readable(fd, 1000));
	close(fd);
}

TEST_HARNESS_MAIN
