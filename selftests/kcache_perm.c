// SPDX-License-Identifier: GPL-2.0
/*
 * The permission model of Documentation/admin-guide.rst, from the outside:
 *
 *  - /dev/kcache is created with the module's dev_mode and dev_gid (0600
 *    and root by default), owner root;
 *  - whoever can open it can read and write every key through the ioctls;
 *    KC_OP_FLUSH and setting KC_IOC_CONFIG need CAP_SYS_ADMIN in the
 *    initial user namespace (kc_op.result / errno EPERM);
 *  - over netlink, the data commands (KC_CMD_OP, KC_CMD_KEYS,
 *    KC_CMD_PUBLISH) need what opening /dev/kcache read-write needs, judged
 *    by the module's dev_mode/dev_gid (EACCES); CONFIG_SET and FLUSH need
 *    CAP_NET_ADMIN and CAP_SYS_ADMIN, KC_OP_FLUSH both plus the data
 *    right, all in the initial user namespace (EPERM); VERSION, STATS and
 *    CONFIG_GET are open; joining a multicast group needs CAP_NET_ADMIN;
 *    the family exists in the initial network namespace only.
 *
 * Checked for an unprivileged user (uid 65534), root without CAP_SYS_ADMIN
 * or CAP_NET_ADMIN, and "root" of a new user namespace (created as uid
 * 65534), with the real node and with a copy made 0666 (mknod), and after
 * reloading the module with dev_mode=0660 and a dev_gid, for a member of
 * that group and a non-member.
 *
 * The second half checks what the kernel writes into reply buffers filled
 * with a pattern first: kc_elem padding zeroed and nothing past out_used;
 * struct kc_stats, kc_class_stats, kc_config and kc_version with their
 * reserved fields zero, no kernel pointer in any field, and not a byte
 * past the size the caller gave (or, for class stats, the entry size
 * tail zeroed as documented); zero padding in every netlink reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_fuzz.h"

#define NOBODY		65534
#define TEST_GID	4242

/* ------------------------------------------------------------ child checks */

/*
 * Checks run in forked children (other credentials) count failures and
 * print them; the child's exit status is the count.
 */
static int fails;

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fails++;					\
			fprintf(stderr, "# %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);			\
			fprintf(stderr, "\n");				\
		}							\
	} while (0)

static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int r;

		fails = 0;
		r = fn(arg);
		/* fn's own code (a skip, 200) wins; -1: setup failed */
		_exit(r < 0 ? 255 : r ? r : fails > 199 ? 199 : fails);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 300 + WTERMSIG(status);
}

static int become(uid_t uid, gid_t gid, const gid_t *groups, int ngroups)
{
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		fprintf(stderr, "# cannot become %u:%u: %s\n", uid, gid,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ netlink */

struct nlctx {
	struct kn nl;
	struct kn_family fam;
	unsigned char buf[4096];
};

static int nl_start(struct nlctx *c)
{
	int err = kn_socket(&c->nl, KF_NL_RCVBUF);

	if (err)
		return err;
	err = kn_family_get(&c->nl, &c->fam);
	if (err)
		kn_close(&c->nl);
	return err;
}

static int sane_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *head;
	int len;

	(void)arg;
	head = kn_genl_attrs(nlh, &len);
	if (kn_attrs_sane(head, len, 0)) {
		fails++;
		fprintf(stderr, "# netlink reply (cmd %u) with non-zero padding or bad lengths\n",
			((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd);
	}
	return 0;
}

/* A request of cmd with at most one u32 attribute; returns the error. */
static int nl_cmd(struct nlctx *c, uint8_t cmd, uint16_t flags, int attr,
		  uint32_t v)
{
	struct kn_msg m;
	int err;

	kn_msg_init_buf(&m, c->buf, sizeof(c->buf), c->fam.id,
			NLM_F_REQUEST | NLM_F_ACK | flags, cmd, KC_GENL_VERSION);
	if (attr >= 0)
		kn_put_u32(&m, attr, v);
	err = kn_send(&c->nl, &m);
	return err ? err : kn_recv(&c->nl, 20000, sane_cb, NULL);
}

/* KC_CMD_OP: opcode on key with an optional value. */
static int nl_op(struct nlctx *c, uint32_t opcode, const char *key,
		 const void *val, size_t vlen)
{
	struct kn_msg m;
	int err;

	kn_msg_init_buf(&m, c->buf, sizeof(c->buf), c->fam.id,
			NLM_F_REQUEST | NLM_F_ACK, KC_CMD_OP, KC_GENL_VERSION);
	kn_put_u32(&m, KC_A_OPCODE, opcode);
	if (key)
		kn_put(&m, KC_A_KEY, key, strlen(key));
	if (val)
		kn_put(&m, KC_A_VALUE, val, vlen);
	err = kn_send(&c->nl, &m);
	return err ? err : kn_recv(&c->nl, 20000, sane_cb, NULL);
}

static int nl_publish(struct nlctx *c)
{
	struct kn_msg m;
	int err;

	kn_msg_init_buf(&m, c->buf, sizeof(c->buf), c->fam.id,
			NLM_F_REQUEST | NLM_F_ACK, KC_CMD_PUBLISH, KC_GENL_VERSION);
	kn_put(&m, KC_A_CHANNEL, "perm", 4);
	kn_put(&m, KC_A_MESSAGE, "hi", 2);
	err = kn_send(&c->nl, &m);
	return err ? err : kn_recv(&c->nl, 20000, NULL, NULL);
}

static int nl_join(struct nlctx *c, uint32_t grp)
{
	return setsockopt(c->nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
			  sizeof(grp)) ? -errno : 0;
}

/*
 * What one caller may do over netlink: data commands (data: 0 or
 * -EACCES), admin commands (admin: 0 or -EPERM), multicast (mcast).
 * Admin commands are only sent when they must fail.
 */
struct nl_expect {
	int data;
	int admin;
	int mcast;
	int op_flush;
};

static void check_netlink(const struct nl_expect *e)
{
	struct nlctx *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		fails++;
		return;
	}
	err = nl_start(c);
	CHECK(!err, "netlink: family lookup: %d", err);
	if (err) {
		free(c);
		return;
	}
	CHECK(!nl_cmd(c, KC_CMD_VERSION, 0, -1, 0), "VERSION refused");
	CHECK(!nl_cmd(c, KC_CMD_STATS, 0, -1, 0), "STATS refused");
	CHECK(!nl_cmd(c, KC_CMD_STATS, NLM_F_DUMP, -1, 0), "STATS dump refused");
	CHECK(!nl_cmd(c, KC_CMD_CONFIG_GET, 0, -1, 0), "CONFIG_GET refused");
	err = nl_op(c, KC_OP_SET, "perm:nl", "v", 1);
	CHECK(err == e->data, "KC_CMD_OP SET: %d, want %d (%s)", err, e->data,
	      c->nl.ext);
	err = nl_op(c, KC_OP_GET, "perm:nl", NULL, 0);
	CHECK(err == (e->data ? e->data : 0), "KC_CMD_OP GET: %d, want %d",
	      err, e->data);
	err = nl_cmd(c, KC_CMD_KEYS, NLM_F_DUMP, -1, 0);
	CHECK(err == e->data, "KC_CMD_KEYS: %d, want %d", err, e->data);
	err = nl_publish(c);
	CHECK(err == e->data, "KC_CMD_PUBLISH: %d, want %d", err, e->data);
	if (e->admin) {
		err = nl_cmd(c, KC_CMD_FLUSH, 0, -1, 0);
		CHECK(err == e->admin, "KC_CMD_FLUSH: %d, want %d", err,
		      e->admin);
		err = nl_cmd(c, KC_CMD_CONFIG_SET, 0, KC_A_NOTIFY, 0);
		CHECK(err == e->admin, "KC_CMD_CONFIG_SET: %d, want %d", err,
		      e->admin);
	}
	if (e->op_flush) {
		err = nl_op(c, KC_OP_FLUSH, NULL, NULL, 0);
		CHECK(err == e->op_flush, "KC_CMD_OP FLUSH: %d, want %d", err,
		      e->op_flush);
	}
	err = nl_join(c, c->fam.keyspace);
	CHECK(err == e->mcast, "join keyspace: %d, want %d", err, e->mcast);
	err = nl_join(c, c->fam.pubsub);
	CHECK(err == e->mcast, "join pubsub: %d, want %d", err, e->mcast);
	kn_close(&c->nl);
	free(c);
}

/* ------------------------------------------------------------ ioctls */

/*
 * On an open fd without CAP_SYS_ADMIN: data works, FLUSH (alone, in a
 * batch, in a transaction) and setting the configuration do not, reading
 * it does.  The key perm:keep, stored by the parent, must survive.
 */
static void check_ioctls_unprivileged(int fd)
{
	struct kc_batch_builder b;
	struct kc_config cfg;
	struct kc_version v;
	struct kc_stats st;
	struct kc_class_stats cs[KF_MAX_CLASSES];
	size_t n, nr;
	char buf[16];
	int err;

	CHECK(!kc_version(fd, &v), "VERSION");
	CHECK(!kc_stats(fd, &st), "STATS");
	CHECK(!kc_class_stats(fd, cs, KF_MAX_CLASSES, &n, &nr), "CLASS_STATS");
	CHECK(!kt_set(fd, "perm:user", "x"), "SET");
	CHECK(kt_get(fd, "perm:user", buf, sizeof(buf)) == 1, "GET");
	err = kc_flush(fd);
	CHECK(err == -EPERM, "KC_OP_FLUSH: %d, want -EPERM", err);
	CHECK(!kc_config_get(fd, &cfg), "KC_IOC_CONFIG get");
	err = kc_config_set(fd, KC_CONFIG_NOTIFY, &cfg);
	CHECK(err == -EPERM, "KC_IOC_CONFIG set: %d, want -EPERM", err);
	cfg.memory_limit_mb = 2;
	err = kc_config_set(fd, KC_CONFIG_MEMORY_LIMIT, &cfg);
	CHECK(err == -EPERM, "KC_IOC_CONFIG set limit: %d, want -EPERM", err);

	kc_batch_init(&b);
	kc_batch_add(&b, KC_OP_FLUSH);
	kc_batch_add(&b, KC_OP_NOP);
	err = kc_batch_submit(fd, &b, 0);
	CHECK(!err && b.ops[0].result == -EPERM && !b.ops[1].result,
	      "batch FLUSH: %d, op %d", err, b.ops[0].result);
	kc_batch_reset(&b);
	kc_batch_add(&b, KC_OP_FLUSH);
	kc_batch_add(&b, KC_OP_NOP);
	err = kc_batch_submit(fd, &b, KC_BATCH_TXN);
	CHECK(!err && b.ops[0].result == -EPERM,
	      "transaction FLUSH: %d, op %d", err, b.ops[0].result);
	kc_batch_exit(&b);
	CHECK(kt_get(fd, "perm:keep", buf, sizeof(buf)) == 4,
	      "perm:keep is gone: a FLUSH went through");
	kc_del(fd, "perm:user", 9, 0);
}

/* ------------------------------------------------------------ the fixture */

FIXTURE(perm) {
	int fd;
	dev_t rdev;
	char dir[64];
	char node[80];		/* a copy of /dev/kcache, 0666 */
	int64_t dev_mode, dev_gid;
};

FIXTURE_SETUP(perm)
{
	struct stat sb;

	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, stat(KC_DEVICE_PATH, &sb));
	self->rdev = sb.st_rdev;
	self->dev_mode = kt_module_param("dev_mode");
	self->dev_gid = kt_module_param("dev_gid");
	strcpy(self->dir, "/tmp/kcperm.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, chmod(self->dir, 0755));
	snprintf(self->node, sizeof(self->node), "%s/kcache", self->dir);
	ASSERT_EQ(0, mknod(self->node, S_IFCHR | 0666, self->rdev));
	ASSERT_EQ(0, chmod(self->node, 0666));
	ASSERT_EQ(0, kt_set(self->fd, "perm:keep", "keep"));
}

FIXTURE_TEARDOWN(perm)
{
	unlink(self->node);
	rmdir(self->dir);
	if (self->fd >= 0) {
		kc_del(self->fd, "perm:keep", 9, 0);
		kc_del(self->fd, "perm:nl", 7, 0);
		kc_close(self->fd);
	}
}

/* The node as the module parameters say (0600 root:root by default). */
TEST_F(perm, node_mode_and_group)
{
	struct stat sb;

	ASSERT_EQ(0, stat(KC_DEVICE_PATH, &sb));
	EXPECT_TRUE(S_ISCHR(sb.st_mode));
	EXPECT_EQ(0U, sb.st_uid);
	if (self->dev_mode >= 0)
		EXPECT_EQ((unsigned int)self->dev_mode, sb.st_mode & 07777);
	if (self->dev_gid >= 0)
		EXPECT_EQ((unsigned int)self->dev_gid, sb.st_gid);
	if (self->dev_mode < 0)
		TH_LOG("no /sys/module/kcache/parameters: mode %o not compared",
		       sb.st_mode & 07777);
}

/*
 * A read-only open: reads, stats, version, SCAN and reading the
 * configuration work; every op or ioctl that would change the cache is
 * EBADF (as write(2) on an O_RDONLY fd), and changes nothing.
 */
TEST_F(perm, read_only_fd)
{
	struct kc_batch_builder b;
	struct kc_class_stats cs[2];
	struct kc_config cfg;
	struct kc_version v;
	struct kc_stats st;
	struct kc_op op, *bop;
	size_t vlen, n, nr;
	int64_t ttl = 0;
	char buf[16];
	int ro;

	ro = open(KC_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);

	/* Reads. */
	EXPECT_EQ(0, kc_version(ro, &v));
	EXPECT_EQ(0, kc_stats(ro, &st));
	EXPECT_EQ(0, kc_class_stats(ro, cs, 2, &n, &nr));
	EXPECT_EQ(0, kc_config_get(ro, &cfg));
	EXPECT_EQ(0, kc_get(ro, "perm:keep", 9, buf, sizeof(buf), &vlen, NULL,
			    NULL));
	EXPECT_EQ(4U, vlen);
	EXPECT_EQ(0, kc_exists(ro, "perm:keep", 9));
	kc_op_init(&op, KC_OP_SCAN);
	kc_op_out(&op, buf, sizeof(buf));
	EXPECT_NE(-EBADF, kc_do(ro, &op));

	/* Writes. */
	EXPECT_EQ(-EBADF, kt_set(ro, "perm:ro", "x"));
	EXPECT_EQ(-EBADF, kc_del(ro, "perm:keep", 9, 0));
	EXPECT_EQ(-EBADF, kc_flush(ro));
	EXPECT_EQ(-EBADF, kc_expire(ro, "perm:keep", 9, 100, 0));
	kc_op_init(&op, KC_OP_GET);	/* GET that sets the expiry */
	kc_op_key(&op, "perm:keep", 9);
	kc_op_out(&op, buf, sizeof(buf));
	op.flags = KC_GET_TOUCH;
	op.expire = 100;
	EXPECT_EQ(-EBADF, kc_do(ro, &op));
	kc_op_init(&op, KC_OP_GETDEL);
	kc_op_key(&op, "perm:keep", 9);
	kc_op_out(&op, buf, sizeof(buf));
	EXPECT_EQ(-EBADF, kc_do(ro, &op));
	ASSERT_EQ(0, kc_config_get(ro, &cfg));
	EXPECT_EQ(-EBADF, kc_config_set(ro, KC_CONFIG_NOTIFY, &cfg));

	/* A batch: each op on its own; a transaction not at all. */
	kc_batch_init(&b);
	bop = kc_batch_add(&b, KC_OP_EXISTS);
	ASSERT_NE(NULL, bop);
	kc_op_key(bop, "perm:keep", 9);
	bop = kc_batch_add(&b, KC_OP_SET);
	ASSERT_NE(NULL, bop);
	kc_op_key(bop, "perm:ro", 7);
	kc_op_val(bop, "x", 1);
	EXPECT_EQ(0, kc_batch_submit(ro, &b, 0));
	EXPECT_EQ(2U, b.done);
	EXPECT_EQ(0, b.ops[0].result);
	EXPECT_EQ(-EBADF, b.ops[1].result);
	kc_batch_reset(&b);
	bop = kc_batch_add(&b, KC_OP_EXISTS);
	ASSERT_NE(NULL, bop);
	kc_op_key(bop, "perm:keep", 9);
	EXPECT_EQ(-EBADF, kc_batch_submit(ro, &b, KC_BATCH_TXN));
	kc_batch_exit(&b);
	close(ro);

	/* Nothing changed. */
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "perm:ro", 7));
	EXPECT_EQ(0, kc_get(self->fd, "perm:keep", 9, buf, sizeof(buf), &vlen,
			    NULL, NULL));
	ASSERT_EQ(0, kc_ttl(self->fd, "perm:keep", 9, 0, &ttl));
	EXPECT_EQ(-1, ttl);	/* no expiry was set */
}

static int unprivileged_open(void *arg)
{
	FIXTURE_DATA(perm) *self = arg;
	bool others_rw = self->dev_mode >= 0 &&
			 (self->dev_mode & 06) == 06;
	int fd;

	if (become(NOBODY, NOBODY, NULL, 0))
		return -1;
	fd = kc_open();
	if (others_rw) {
		CHECK(fd >= 0, "open %s: %d, mode %llo lets others in",
		      KC_DEVICE_PATH, fd, (long long)self->dev_mode);
	} else {
		CHECK(fd == -EACCES, "open %s as uid %u: %d, want -EACCES",
		      KC_DEVICE_PATH, NOBODY, fd);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* uid 65534 cannot open the 0600 node. */
TEST_F(perm, unprivileged_open_denied)
{
	EXPECT_EQ(0, in_child(unprivileged_open, self));
}

static int unprivileged_ops(void *arg)
{
	FIXTURE_DATA(perm) *self = arg;
	bool others_rw = self->dev_mode >= 0 &&
			 (self->dev_mode & 06) == 06;
	struct nl_expect e = {
		.data = others_rw ? 0 : -EACCES,
		.admin = -EPERM,
		.mcast = -EPERM,
		.op_flush = others_rw ? -EPERM : -EACCES,
	};
	int fd;

	if (become(NOBODY, NOBODY, NULL, 0))
		return -1;
	fd = kc_open_path(self->node);
	CHECK(fd >= 0, "open the 0666 copy %s: %d", self->node, fd);
	if (fd >= 0) {
		check_ioctls_unprivileged(fd);
		close(fd);
	}
	check_netlink(&e);
	return 0;
}

/*
 * uid 65534 with an fd of a 0666 copy of the node: every data ioctl, no
 * FLUSH and no configuration change; over netlink the module's mode
 * decides, not the copy's.
 */
TEST_F(perm, unprivileged_with_open_node)
{
	EXPECT_EQ(0, in_child(unprivileged_ops, self));
}

static int root_without(void *arg)
{
	unsigned int cap = *(unsigned int *)arg;
	struct nl_expect e = {
		.admin = -EPERM,
		.mcast = cap == CAP_NET_ADMIN ? -EPERM : 0,
		.op_flush = -EPERM,
	};
	int fd, err;

	err = kt_drop_cap(cap);
	CHECK(!err, "capset: %d", err);
	fd = kc_open();
	CHECK(fd >= 0, "open as root without capability %u: %d", cap, fd);
	if (fd >= 0 && cap == CAP_SYS_ADMIN)
		check_ioctls_unprivileged(fd);
	if (fd >= 0)
		close(fd);
	check_netlink(&e);
	return 0;
}

/* Root without CAP_SYS_ADMIN, then without CAP_NET_ADMIN. */
TEST_F(perm, root_without_caps)
{
	unsigned int cap = CAP_SYS_ADMIN;

	EXPECT_EQ(0, in_child(root_without, &cap));
	cap = CAP_NET_ADMIN;
	EXPECT_EQ(0, in_child(root_without, &cap));
}

struct userns_arg {
	FIXTURE_DATA(perm) *self;
	bool netns;
};

/*
 * An fd opened in a network namespace that a user namespace owns reaches
 * that namespace's own instance, whose admin the user namespace's root
 * is (Documentation/admin-guide.rst): FLUSH and setting the configuration work
 * there, and nothing of the initial instance (perm:keep) is visible.
 */
static void check_ioctls_own_instance(int fd)
{
	struct kc_config cfg;
	int64_t ceiling;
	char buf[16];
	int err;

	CHECK(!kt_set(fd, "perm:user", "x"), "SET");
	err = kt_get(fd, "perm:keep", buf, sizeof(buf));
	CHECK(err == -ENOENT, "perm:keep of the initial instance seen: %d", err);
	CHECK(!kc_config_get(fd, &cfg), "KC_IOC_CONFIG get");
	cfg.memory_limit_mb = 2;
	err = kc_config_set(fd, KC_CONFIG_MEMORY_LIMIT, &cfg);
	CHECK(!err, "KC_IOC_CONFIG set limit of its own instance: %d", err);
	/*
	 * Not past the ceiling the host's admin set: the largest limit (the
	 * ceiling, or the machine's memory) on top of the initial instance's
	 * is refused, and the limit stays.
	 */
	ceiling = kt_module_param("memory_ceiling_mb");
	CHECK(ceiling > 0, "memory_ceiling_mb: %lld", (long long)ceiling);
	cfg.memory_limit_mb = (uint64_t)ceiling;
	err = kc_config_set(fd, KC_CONFIG_MEMORY_LIMIT, &cfg);
	CHECK(err == -ENOSPC,
	      "a limit of %llu MiB (the ceiling): %d, want -ENOSPC",
	      (unsigned long long)cfg.memory_limit_mb, err);
	CHECK(!kc_config_get(fd, &cfg) && cfg.memory_limit_mb == 2,
	      "the limit after the refused raise: %llu MiB, want 2",
	      (unsigned long long)cfg.memory_limit_mb);
	err = kc_flush(fd);
	CHECK(!err, "KC_OP_FLUSH of its own instance: %d", err);
	err = kt_get(fd, "perm:user", buf, sizeof(buf));
	CHECK(err == -ENOENT, "perm:user after its FLUSH: %d", err);
}

static int in_userns(void *arg)
{
	struct userns_arg *a = arg;
	bool others_rw = a->self->dev_mode >= 0 &&
			 (a->self->dev_mode & 06) == 06;
	struct nl_expect e = {
		.data = others_rw ? 0 : -EACCES,
		.admin = -EPERM,
		.mcast = -EPERM,
		.op_flush = others_rw ? -EPERM : -EACCES,
	};
	int fd;

	if (become(NOBODY, NOBODY, NULL, 0))
		return -1;
	/* setuid() made us non-dumpable: /proc/self would be root's. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	/*
	 * EPERM in a chroot (the stock kernels' tests run in one) or where
	 * unprivileged user namespaces are off: the caller skips.
	 */
	if (unshare(CLONE_NEWUSER | (a->netns ? CLONE_NEWNET : 0)))
		return 200;
	/* uid and gid 0 in the namespace: every capability there. */
	CHECK(!kt_write_file("/proc/self/uid_map", "0 65534 1"), "uid_map");
	CHECK(!kt_write_file("/proc/self/setgroups", "deny"), "setgroups");
	CHECK(!kt_write_file("/proc/self/gid_map", "0 65534 1"), "gid_map");
	CHECK(kt_have_cap(CAP_SYS_ADMIN) == 1,
	      "no CAP_SYS_ADMIN in the new user namespace");
	fd = kc_open();
	CHECK(fd == (others_rw ? fd : -EACCES),
	      "open %s from a user namespace: %d, want -EACCES",
	      KC_DEVICE_PATH, fd);
	if (fd >= 0)
		close(fd);
	fd = kc_open_path(a->self->node);
	CHECK(fd >= 0, "open the 0666 copy from a user namespace: %d", fd);
	if (fd >= 0) {
		if (a->netns)
			check_ioctls_own_instance(fd);
		else
			check_ioctls_unprivileged(fd);
		close(fd);
	}
	if (!a->netns) {
		check_netlink(&e);
	} else {
		/* The family answers in every network namespace (netnsok). */
		int present = kn_family_present();

		CHECK(present == 1, "family in a new network namespace: %d",
		      present);
	}
	return 0;
}

/*
 * "root" of a new user namespace made by uid 65534 has every capability
 * there and none where kcache checks them for the initial instance:
 * EACCES/EPERM as uid 65534.  In a new network namespace of its own it is
 * the admin of that namespace's instance.
 */
TEST_F(perm, user_namespace)
{
	struct userns_arg a = { .self = self };
	int ret = in_child(in_userns, &a);

	if (ret == 200)
		SKIP(return, "uid %u may not unshare(CLONE_NEWUSER) here (a chroot, or user namespaces restricted)",
		     NOBODY);
	EXPECT_EQ(0, ret);
	a.netns = true;
	EXPECT_EQ(0, in_child(in_userns, &a));
}

static int as_group_member(void *arg)
{
	bool member = *(bool *)arg;
	gid_t g = TEST_GID;
	struct nl_expect e = {
		.data = member ? 0 : -EACCES,
		.admin = -EPERM,
		.mcast = -EPERM,
		.op_flush = member ? -EPERM : -EACCES,
	};
	int fd;

	if (become(NOBODY, NOBODY, member ? &g : NULL, member ? 1 : 0))
		return -1;
	fd = kc_open();
	if (member) {
		CHECK(fd >= 0, "open as a member of group %u: %d", TEST_GID, fd);
		if (fd >= 0)
			check_ioctls_unprivileged(fd);
	} else {
		CHECK(fd == -EACCES, "open as a non-member: %d, want -EACCES",
		      fd);
	}
	if (fd >= 0)
		close(fd);
	check_netlink(&e);
	return 0;
}

/*
 * dev_mode=0660 dev_gid=4242: a member of group 4242 may use the cache
 * (ioctls and netlink data commands), others not.  Needs the module file
 * (KCACHE_MODULE) to reload it; puts it back as it was.
 */
TEST_F(perm, group_access)
{
	char params[64];
	struct stat sb;
	bool member;
	int err;

	if (!kf_module_path())
		SKIP(return, "no KCACHE_MODULE: cannot reload kcache.ko");
	kc_del(self->fd, "perm:keep", 9, 0);
	kc_close(self->fd);
	self->fd = -1;
	snprintf(params, sizeof(params), "dev_mode=0660 dev_gid=%u", TEST_GID);
	err = kf_module_reload(params);
	EXPECT_EQ(0, err) {
		TH_LOG("reloading kcache.ko with %s: %s (still in use?)",
		       params, strerror(-err));
	}
	if (!err) {
		EXPECT_EQ(0, stat(KC_DEVICE_PATH, &sb));
		EXPECT_EQ(0660U, sb.st_mode & 07777);
		EXPECT_EQ((gid_t)TEST_GID, sb.st_gid);
		self->fd = kc_open();
		ASSERT_LE(0, self->fd);
		EXPECT_EQ(0, kt_set(self->fd, "perm:keep", "keep"));
		member = true;
		EXPECT_EQ(0, in_child(as_group_member, &member));
		member = false;
		EXPECT_EQ(0, in_child(as_group_member, &member));
		kc_flush(self->fd);
		kc_close(self->fd);
		self->fd = -1;
		EXPECT_EQ(0, kf_module_unload());
	}
	/* Back as the harness loaded it. */
	err = kf_module_reload(NULL);
	ASSERT_EQ(0, err) {
		TH_LOG("reloading kcache.ko %s: %s", kf_module_params(),
		       strerror(-err));
	}
	self->fd = kc_open();
	ASSERT_LE(0, self->fd);
}

/* ------------------------------------------------------------ reply bytes */

#define PAT	0xa5

static size_t untouched_from(const unsigned char *p, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (p[i] != PAT)
			return i;
	return to;
}

/* Is v a kernel address (a leaked pointer), as x86-64 lays them out? */
static bool kernel_ptr(uint64_t v)
{
	return v >= 0xffff800000000000ULL && v != UINT64_MAX;
}

/*
 * Walks a reply of kc_elem records: each record's padding zero, the
 * records exactly out_used bytes, nothing written past them.
 */
static void check_elems(struct __test_metadata *_metadata,
			const unsigned char *buf, size_t cap,
			const struct kc_op *op, const char *what)
{
	size_t off = 0, n = 0, i;

	while (off + sizeof(struct kc_elem) <= op->out_used) {
		const struct kc_elem *e = (const void *)(buf + off);
		size_t rec = kf_elem_size(e->len);

		ASSERT_LE(off + rec, op->out_used) {
			TH_LOG("%s: record %zu overruns the reply", what, n);
		}
		EXPECT_EQ(0U, e->flags & ~KC_ELEM_NIL);
		for (i = sizeof(*e) + e->len; i < rec; i++)
			EXPECT_EQ(0, buf[off + i]) {
				TH_LOG("%s: record %zu (len %u) padding byte %zu is %#x",
				       what, n, e->len, i - sizeof(*e) - e->len,
				       buf[off + i]);
			}
		off += rec;
		n++;
	}
	EXPECT_EQ(op->out_used, off);
	/* num counts the records, except for SCAN (the next cursor). */
	if (op->opcode != KC_OP_SCAN)
		EXPECT_EQ((int64_t)n, op->num) {
			TH_LOG("%s: %zu records, num %lld", what, n,
			       (long long)op->num);
		}
	EXPECT_EQ(cap, untouched_from(buf, op->out_used, cap)) {
		TH_LOG("%s: bytes written past out_used %u", what,
		       op->out_used);
	}
}

/* Elements of 0 to 17 bytes: every padding length, in every reply kind. */
TEST_F(perm, elem_padding_zeroed)
{
	static const uint32_t opcodes[] = {
		KC_OP_MGET, KC_OP_LRANGE, KC_OP_SMEMBERS, KC_OP_HGETALL,
		KC_OP_SCAN, KC_OP_HMGET, KC_OP_SMISMEMBER,
	};
	struct kc_buf args[40];
	char vals[18][24], keys[18][16];
	unsigned char buf[8192];
	struct kc_op op;
	unsigned int i, k;

	ASSERT_EQ(0, kc_flush(self->fd));
	for (i = 0; i < 18; i++) {
		memset(vals[i], 'a' + i, i);
		snprintf(keys[i], sizeof(keys[i]), "p:%u", i);
		ASSERT_EQ(0, kc_set(self->fd, keys[i], strlen(keys[i]),
				    vals[i], i, 0, 0, 0));
		kc_buf_set(&args[i], vals[i], i);
	}
	/* A list, a set and a hash holding the same values. */
	kc_op_init(&op, KC_OP_RPUSH);
	kc_op_key(&op, "p:list", 6);
	kc_op_args(&op, args, 18);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	kc_op_init(&op, KC_OP_SADD);
	kc_op_key(&op, "p:set", 5);
	kc_op_args(&op, args, 18);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	for (i = 0; i < 18; i++) {
		kc_buf_set(&args[2 * i], keys[i], strlen(keys[i]));
		kc_buf_set(&args[2 * i + 1], vals[i], i);
	}
	kc_op_init(&op, KC_OP_HSET);
	kc_op_key(&op, "p:hash", 6);
	kc_op_args(&op, args, 36);
	ASSERT_EQ(0, kc_do(self->fd, &op));

	for (k = 0; k < KF_ARRAY_SIZE(opcodes); k++) {
		memset(buf, PAT, sizeof(buf));
		kc_op_init(&op, opcodes[k]);
		switch (opcodes[k]) {
		case KC_OP_MGET:
			for (i = 0; i < 18; i++)
				kc_buf_set(&args[i], keys[i], strlen(keys[i]));
			kc_buf_set(&args[18], "p:none", 6);
			kc_op_args(&op, args, 19);
			break;
		case KC_OP_LRANGE:
			kc_op_key(&op, "p:list", 6);
			op.num2 = -1;
			break;
		case KC_OP_SMEMBERS:
			kc_op_key(&op, "p:set", 5);
			break;
		case KC_OP_HGETALL:
			kc_op_key(&op, "p:hash", 6);
			break;
		case KC_OP_SCAN:
			op.num2 = 1000;
			break;
		case KC_OP_HMGET:
			kc_op_key(&op, "p:hash", 6);
			for (i = 0; i < 18; i++)
				kc_buf_set(&args[i], keys[i], strlen(keys[i]));
			kc_buf_set(&args[18], "nope", 4);
			kc_op_args(&op, args, 19);
			break;
		case KC_OP_SMISMEMBER:
			kc_op_key(&op, "p:set", 5);
			for (i = 0; i < 18; i++)
				kc_buf_set(&args[i], vals[i], i);
			kc_buf_set(&args[18], "nope", 4);
			kc_op_args(&op, args, 19);
			break;
		}
		kc_op_out(&op, buf, sizeof(buf));
		ASSERT_EQ(0, kc_do(self->fd, &op)) {
			TH_LOG("opcode %u", opcodes[k]);
		}
		check_elems(_metadata, buf, sizeof(buf), &op, "reply");
	}

	/*
	 * A reply that does not fit: -ENOSPC, the size needed, and nothing
	 * written past out_len (uapi.rst; what fits may have been).
	 */
	memset(buf, PAT, sizeof(buf));
	kc_op_init(&op, KC_OP_LRANGE);
	kc_op_key(&op, "p:list", 6);
	op.num2 = -1;
	kc_op_out(&op, buf, 40);
	EXPECT_EQ(-ENOSPC, kc_do(self->fd, &op));
	EXPECT_LT(40U, op.out_used);
	EXPECT_EQ(sizeof(buf), untouched_from(buf, 40, sizeof(buf)));
	/* An op with no reply leaves the buffer alone too. */
	memset(buf, PAT, sizeof(buf));
	kc_op_init(&op, KC_OP_DEL);
	kc_op_key(&op, "p:0", 3);
	kc_op_out(&op, buf, sizeof(buf));
	EXPECT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(0U, op.out_used);
	EXPECT_EQ(sizeof(buf), untouched_from(buf, 0, sizeof(buf)));
	ASSERT_EQ(0, kc_flush(self->fd));
}

/* struct kc_stats: at most the caller's size, the kernel's size back. */
TEST_F(perm, stats_bytes)
{
	static const uint32_t sizes[] = {
		8, 12, 16, 100, sizeof(struct kc_stats) - 8,
		sizeof(struct kc_stats), sizeof(struct kc_stats) + 8,
		sizeof(struct kc_stats) + 200, 4096, 4097,
	};
	unsigned char buf[8192];
	struct kc_version v;
	unsigned int i;
	size_t f;

	ASSERT_EQ(0, kc_version(self->fd, &v));
	for (i = 0; i < KF_ARRAY_SIZE(sizes); i++) {
		struct kc_stats *st = (struct kc_stats *)buf;
		size_t wrote = sizes[i] < sizeof(*st) ? sizes[i] : sizeof(*st);

		memset(buf, PAT, sizeof(buf));
		st->size = sizes[i];
		ASSERT_EQ(0, ioctl(self->fd, KC_IOC_STATS, buf)) {
			TH_LOG("size %u: %s", sizes[i], strerror(errno));
		}
		EXPECT_EQ(sizeof(*st), st->size);
		EXPECT_EQ(sizeof(buf), untouched_from(buf, wrote, sizeof(buf))) {
			TH_LOG("size %u: written past %zu", sizes[i], wrote);
		}
		if (wrote < sizeof(*st))
			continue;
		EXPECT_EQ(v.nr_classes, st->nr_classes);
		EXPECT_LE(st->used_bytes, st->limit_bytes);
		EXPECT_LE(st->curr_items, st->total_items);
		for (f = 8; f < sizeof(*st); f += 8) {
			uint64_t val;

			memcpy(&val, buf + f, 8);
			EXPECT_FALSE(kernel_ptr(val)) {
				TH_LOG("kc_stats offset %zu: %#llx", f,
				       (unsigned long long)val);
			}
		}
	}
	/* Below the two first fields: EINVAL, nothing written. */
	memset(buf, PAT, sizeof(buf));
	((struct kc_stats *)buf)->size = 7;
	EXPECT_EQ(-1, ioctl(self->fd, KC_IOC_STATS, buf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(sizeof(buf), untouched_from(buf, 4, sizeof(buf)));
}

/*
 * struct kc_class_stats: entries of elem_size bytes, the bytes past the
 * kernel's struct zeroed, __reserved zero, no entry past count written.
 */
TEST_F(perm, class_stats_bytes)
{
	static const uint32_t esizes[] = {
		sizeof(struct kc_class_stats), sizeof(struct kc_class_stats) + 8,
		sizeof(struct kc_class_stats) + 100, 4096,
	};
	const size_t ks = sizeof(struct kc_class_stats);
	struct kc_class_stats_req req;
	struct kc_version v;
	unsigned char *buf;
	unsigned int i, c;
	size_t j, cap = 70 * 4096;

	ASSERT_EQ(0, kc_version(self->fd, &v));
	buf = malloc(cap);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < KF_ARRAY_SIZE(esizes); i++) {
		uint32_t want = v.nr_classes > 3 ? v.nr_classes - 2 : 1;

		memset(buf, PAT, cap);
		memset(&req, 0, sizeof(req));
		req.size = sizeof(req);
		req.elem_size = esizes[i];
		req.count = want;
		req.buf = kf_uptr(buf);
		ASSERT_EQ(0, ioctl(self->fd, KC_IOC_CLASS_STATS, &req)) {
			TH_LOG("elem_size %u: %s", esizes[i], strerror(errno));
		}
		EXPECT_EQ(want, req.count);
		EXPECT_EQ(v.nr_classes, req.nr_classes);
		for (c = 0; c < req.count; c++) {
			const unsigned char *e = buf + (size_t)c * esizes[i];
			const struct kc_class_stats *cs = (const void *)e;

			EXPECT_EQ(c, cs->id);
			EXPECT_EQ(0U, cs->__reserved);
			for (j = 16; j < ks; j += 8) {
				uint64_t val;

				memcpy(&val, e + j, 8);
				EXPECT_FALSE(kernel_ptr(val));
			}
			for (j = ks; j < esizes[i]; j++)
				if (e[j]) {
					EXPECT_EQ(0, e[j]) {
						TH_LOG("class %u, elem_size %u: byte %zu past the struct",
						       c, esizes[i], j);
					}
					break;
				}
		}
		EXPECT_EQ(cap, untouched_from(buf, (size_t)req.count * esizes[i],
					      cap)) {
			TH_LOG("elem_size %u: written past %u entries",
			       esizes[i], req.count);
		}
	}
	free(buf);
}

/* struct kc_config and kc_version: their own size, reserved fields zero. */
TEST_F(perm, config_and_version_bytes)
{
	unsigned char buf[256];
	struct kc_config *cfg = (struct kc_config *)buf;
	struct kc_version *v = (struct kc_version *)buf;
	size_t i;

	/* A larger struct with a zero tail: the tail stays as it was. */
	memset(buf, 0, sizeof(buf));
	memset(buf + sizeof(*cfg) + 64, PAT, sizeof(buf) - sizeof(*cfg) - 64);
	cfg->size = sizeof(*cfg) + 64;
	ASSERT_EQ(0, ioctl(self->fd, KC_IOC_CONFIG, buf));
	EXPECT_EQ(sizeof(*cfg) + 64, cfg->size);
	EXPECT_EQ(0U, cfg->set_mask);
	EXPECT_EQ(0U, cfg->noevict);
	EXPECT_LE(2U, cfg->memory_limit_mb);
	EXPECT_GE(1U, cfg->notify);
	EXPECT_GE(1U, cfg->automove);
	EXPECT_NE(0U, cfg->item_size_max);
	EXPECT_FALSE(kernel_ptr(cfg->memory_limit_mb));
	for (i = sizeof(*cfg); i < sizeof(*cfg) + 64; i++)
		EXPECT_EQ(0, buf[i]);
	EXPECT_EQ(sizeof(buf), untouched_from(buf, sizeof(*cfg) + 64,
					      sizeof(buf)));

	memset(buf, PAT, sizeof(buf));
	ASSERT_EQ(0, ioctl(self->fd, KC_IOC_VERSION, buf));
	EXPECT_EQ((unsigned int)KC_ABI_VERSION, v->abi_version);
	EXPECT_EQ((unsigned int)KC_KEY_MAX, v->key_max);
	EXPECT_EQ(sizeof(struct kc_op), v->op_size);
	EXPECT_EQ((unsigned int)KC_BATCH_MAX, v->batch_max);
	EXPECT_NE(0U, v->nr_classes);
	EXPECT_EQ(sizeof(buf), untouched_from(buf, sizeof(*v), sizeof(buf)));
}

/* kc_op and kc_batch: what comes back in the request structs. */
TEST_F(perm, op_and_batch_bytes)
{
	struct {
		struct kc_batch b;
		unsigned char tail[64];
	} big;
	struct kc_op ops[2];
	char out[16];

	memset(ops, 0, sizeof(ops));
	kc_op_init(&ops[0], KC_OP_SET);
	kc_op_key(&ops[0], "p:b", 3);
	kc_op_val(&ops[0], "v", 1);
	kc_op_init(&ops[1], KC_OP_GET);
	kc_op_key(&ops[1], "p:b", 3);
	kc_op_out(&ops[1], out, sizeof(out));
	memset(&big, 0, sizeof(big));
	big.b.size = sizeof(big);
	big.b.count = 2;
	big.b.op_size = sizeof(struct kc_op);
	big.b.ops = kf_uptr(ops);
	ASSERT_EQ(0, ioctl(self->fd, KC_IOC_BATCH, &big));
	EXPECT_EQ(2U, big.b.done);
	EXPECT_EQ(0, big.b.result);
	EXPECT_EQ(0U, big.b.__reserved);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[1].result);
	EXPECT_EQ(1U, ops[1].out_used);
	for (size_t i = 0; i < sizeof(big.tail); i++)
		EXPECT_EQ(0, big.tail[i]);
	kc_del(self->fd, "p:b", 3, 0);
}

/* Zero padding in every netlink reply kind, odd value lengths included. */
TEST_F(perm, netlink_padding)
{
	struct nlctx *c = calloc(1, sizeof(*c));
	static const char *const v[] = { "a", "ab", "abc", "abcd", "abcde" };
	unsigned int i;

	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, nl_start(c));
	fails = 0;
	EXPECT_EQ(0, nl_cmd(c, KC_CMD_VERSION, 0, -1, 0));
	EXPECT_EQ(0, nl_cmd(c, KC_CMD_STATS, 0, -1, 0));
	EXPECT_EQ(0, nl_cmd(c, KC_CMD_STATS, 0, KC_A_CLASS_ID, 0));
	EXPECT_EQ(0, nl_cmd(c, KC_CMD_STATS, NLM_F_DUMP, -1, 0));
	EXPECT_EQ(0, nl_cmd(c, KC_CMD_CONFIG_GET, 0, -1, 0));
	for (i = 0; i < KF_ARRAY_SIZE(v); i++) {
		char key[8];

		snprintf(key, sizeof(key), "p:n%.*s", (int)i, "xyzw");
		EXPECT_EQ(0, nl_op(c, KC_OP_SET, key, v[i], strlen(v[i])));
		EXPECT_EQ(0, nl_op(c, KC_OP_GET, key, NULL, 0));
	}
	EXPECT_EQ(0, nl_cmd(c, KC_CMD_KEYS, NLM_F_DUMP, -1, 0));
	EXPECT_EQ(0, fails);
	kn_close(&c->nl);
	free(c);
	kc_flush(self->fd);
}

TEST_HARNESS_MAIN
