// SPDX-License-Identifier: GPL-2.0
/*
 * The module is there and answers: the device node, KC_IOC_VERSION, the NOP
 * operation, the statistics and configuration ioctls, and the generic
 * netlink family.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "kselftest_harness.h"
#include "kc_test.h"

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(KC_DEVICE_PATH, &st)) {
		TH_LOG("%s: %s (is kcache.ko loaded?)", KC_DEVICE_PATH,
		       strerror(errno));
	}
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	/* Root only by default: every client can read and write every key. */
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

TEST(open_close)
{
	int fd = kc_open(), fd2;

	ASSERT_LE(0, fd) {
		TH_LOG("kc_open: %s", strerror(-fd));
	}
	/* Many opens at once are fine: the cache is global, not per file. */
	fd2 = kc_open();
	ASSERT_LE(0, fd2);
	EXPECT_NE(fd, fd2);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	kc_close(fd2);
	kc_close(fd);
}

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = kc_open();
	ASSERT_LE(0, self->fd) {
		TH_LOG("kc_open: %s", strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(dev)
{
	kc_close(self->fd);
}

TEST_F(dev, version)
{
	struct kc_version v;
	struct kc_config cfg;

	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, KC_IOC_VERSION, &v));
	EXPECT_EQ(KC_ABI_VERSION, v.abi_version);
	EXPECT_EQ(1, v.abi_version);
	EXPECT_EQ(KC_KEY_MAX, v.key_max);
	EXPECT_EQ(250, v.key_max);
	EXPECT_EQ(sizeof(struct kc_op), v.op_size);
	EXPECT_EQ(KC_OP_SIZE_VER1, v.op_size);
	EXPECT_EQ(KC_BATCH_MAX, v.batch_max);
	EXPECT_LT(0, v.nr_classes);
	EXPECT_LT(0, v.item_size_max);

	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(cfg.item_size_max, v.item_size_max);
}

TEST_F(dev, version_null)
{
	EXPECT_EQ(-1, ioctl(self->fd, KC_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, nop)
{
	struct kc_op op;

	kc_op_init(&op, KC_OP_NOP);
	op.result = 12345;
	op.out_used = 777;
	ASSERT_EQ(0, ioctl(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(0, op.result);
	EXPECT_EQ(0U, op.out_used);
	EXPECT_EQ(KC_OP_NOP, op.opcode);
	EXPECT_EQ(sizeof(op), op.size);
	EXPECT_EQ(0, kc_do(self->fd, &op));
}

TEST_F(dev, stats)
{
	struct kc_stats st, st2;
	struct kc_config cfg;

	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(sizeof(st), st.size);
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(cfg.memory_limit_mb * KT_MIB, st.limit_bytes);
	EXPECT_LE(st.used_bytes, st.limit_bytes);
	EXPECT_EQ(st.slab_pages * KT_MIB + st.large_bytes, st.used_bytes);
	EXPECT_EQ(st.curr_items, st.hash_items);
	EXPECT_LE(st.curr_items, st.total_items);

	kt_sleep_ms(20);
	ASSERT_EQ(0, kc_stats(self->fd, &st2));
	EXPECT_LT(st.uptime_ms, st2.uptime_ms);
	EXPECT_EQ(st.nr_classes, st2.nr_classes);
}

TEST_F(dev, config_read)
{
	struct kc_config cfg;
	struct kc_version v;

	memset(&cfg, 0xa5, sizeof(cfg));
	cfg.size = sizeof(cfg);
	cfg.set_mask = 0;
	ASSERT_EQ(0, ioctl(self->fd, KC_IOC_CONFIG, &cfg));
	ASSERT_EQ(0, kc_version(self->fd, &v));
	EXPECT_LT(0, cfg.memory_limit_mb);
	EXPECT_EQ(v.item_size_max, cfg.item_size_max);
	EXPECT_LT(0, cfg.chunk_min);
	EXPECT_LT(100, cfg.growth_factor_pct);
	EXPECT_GE(1, cfg.notify);
	EXPECT_GE(1, cfg.automove);
	EXPECT_EQ(0, cfg.noevict);	/* the default: evict */
}

/*
 * item_size_max changes at run time (Redis's proto-max-bulk-len): a value
 * over the old limit stores once it is raised, a lower limit refuses new
 * values over it and keeps the items stored, out-of-range values change
 * nothing.
 */
TEST_F(dev, item_size_max_at_run_time)
{
	size_t big = 5U << 20, vlen = 0;
	struct kc_config cfg, orig;
	struct kc_version v;
	void *got = NULL;
	char *val;

	ASSERT_EQ(0, kc_config_get(self->fd, &orig));
	val = malloc(big);
	ASSERT_NE(NULL, val);
	memset(val, 'b', big);
	val[big - 1] = 'e';

	cfg = orig;
	cfg.item_size_max = 8U << 20;
	ASSERT_EQ(0, kc_config_set(self->fd, KC_CONFIG_ITEM_SIZE_MAX, &cfg));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(8U << 20, cfg.item_size_max);
	ASSERT_EQ(0, kc_version(self->fd, &v));
	EXPECT_EQ(8U << 20, v.item_size_max);
	EXPECT_EQ(0, kc_set(self->fd, "big", 3, val, big, 0, 0, 0));
	ASSERT_EQ(0, kc_get_alloc(self->fd, "big", 3, &got, &vlen, NULL, NULL));
	EXPECT_EQ(big, vlen);
	EXPECT_EQ(0, memcmp(got, val, big));
	free(got);

	cfg.item_size_max = 1024;
	ASSERT_EQ(0, kc_config_set(self->fd, KC_CONFIG_ITEM_SIZE_MAX, &cfg));
	EXPECT_EQ(-E2BIG, kc_set(self->fd, "b2", 2, val, 1025, 0, 0, 0));
	EXPECT_EQ(0, kc_set(self->fd, "b2", 2, val, 1024, 0, 0, 0));
	/* what is stored stays readable */
	got = NULL;
	ASSERT_EQ(0, kc_get_alloc(self->fd, "big", 3, &got, &vlen, NULL, NULL));
	EXPECT_EQ(big, vlen);
	free(got);

	cfg.item_size_max = 1023;
	EXPECT_EQ(-EINVAL, kc_config_set(self->fd, KC_CONFIG_ITEM_SIZE_MAX, &cfg));
	cfg.item_size_max = KC_ITEM_SIZE_LIMIT + 1;
	EXPECT_EQ(-EINVAL, kc_config_set(self->fd, KC_CONFIG_ITEM_SIZE_MAX, &cfg));
	cfg.item_size_max = KC_ITEM_SIZE_LIMIT;
	EXPECT_EQ(0, kc_config_set(self->fd, KC_CONFIG_ITEM_SIZE_MAX, &cfg));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(KC_ITEM_SIZE_LIMIT, cfg.item_size_max);

	EXPECT_EQ(0, kc_config_set(self->fd, KC_CONFIG_ITEM_SIZE_MAX, &orig));
	EXPECT_EQ(0, kc_del(self->fd, "big", 3, 0));
	EXPECT_EQ(0, kc_del(self->fd, "b2", 2, 0));
	free(val);
}

/*
 * Big values (40 MiB, item_size_max raised to KC_ITEM_SIZE_LIMIT): stored,
 * read back whole by the ops that return one value (GET, GETRANGE,
 * LINDEX, also inside a transaction), built by APPEND from a stored one,
 * carried by SNAPSHOT (SAVE), padded by SETRANGE, and refused with -E2BIG
 * by a reply of elements (LRANGE over two of them) that would pass
 * KC_REPLY_MAX.  The cache's limit is raised for the test and put back.
 */
TEST_F(dev, big_values)
{
	size_t big = 40U << 20, vlen = 0, done = 0;
	struct kc_config cfg, orig;
	struct kc_op op, txn[2];
	struct kc_buf arg[2];
	void *got = NULL, *snap;
	char *val, *out;
	int found;
	uint64_t len = 0;

	ASSERT_EQ(0, kc_config_get(self->fd, &orig));
	val = malloc(big);
	out = malloc(big + 16);
	ASSERT_NE(NULL, val);
	ASSERT_NE(NULL, out);
	for (size_t i = 0; i < big; i++)
		val[i] = (char)('a' + i % 26);

	cfg = orig;
	cfg.memory_limit_mb = orig.memory_limit_mb > 512 ?
			      orig.memory_limit_mb : 512;
	cfg.item_size_max = KC_ITEM_SIZE_LIMIT;
	ASSERT_EQ(0, kc_config_set(self->fd, KC_CONFIG_MEMORY_LIMIT |
				   KC_CONFIG_ITEM_SIZE_MAX, &cfg));

	ASSERT_EQ(0, kc_set(self->fd, "huge", 4, val, big, 0, 0, 0));
	ASSERT_EQ(0, kc_strlen(self->fd, "huge", 4, &len));
	EXPECT_EQ(big, len);
	ASSERT_EQ(0, kc_get_alloc(self->fd, "huge", 4, &got, &vlen, NULL, NULL));
	ASSERT_EQ(big, vlen);
	EXPECT_EQ(0, memcmp(got, val, big));
	free(got);

	/* the last bytes */
	kc_op_init(&op, KC_OP_GETRANGE);
	kc_op_key(&op, "huge", 4);
	op.num = (int64_t)big - 5;
	op.num2 = -1;
	kc_op_out(&op, out, big);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	ASSERT_EQ(5, op.out_used);
	EXPECT_EQ(0, memcmp(out, val + big - 5, 5));

	/* APPEND copies the stored value into a bigger one */
	kc_op_init(&op, KC_OP_APPEND);
	kc_op_key(&op, "huge", 4);
	kc_op_val(&op, "END", 3);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(big + 3, op.num);
	ASSERT_EQ(0, kc_get_alloc(self->fd, "huge", 4, &got, &vlen, NULL, NULL));
	ASSERT_EQ(big + 3, vlen);
	EXPECT_EQ(0, memcmp(got, val, big));
	EXPECT_EQ(0, memcmp((char *)got + big, "END", 3));
	free(got);

	/* in a transaction: the value is read whole there too */
	kc_op_init(&txn[0], KC_OP_GET);
	kc_op_key(&txn[0], "huge", 4);
	kc_op_out(&txn[0], out, big + 16);
	kc_op_init(&txn[1], KC_OP_STRLEN);
	kc_op_key(&txn[1], "huge", 4);
	ASSERT_EQ(0, kc_batch_run(self->fd, txn, 2, KC_BATCH_TXN, NULL, 0,
				  &done));
	ASSERT_EQ(0, txn[0].result);
	ASSERT_EQ(big + 3, txn[0].out_used);
	EXPECT_EQ(0, memcmp(out, val, big));
	EXPECT_EQ(big + 3, txn[1].num);

	/* SNAPSHOT (SAVE) carries it: its bucket is one record set */
	snap = malloc(big + 4096);
	ASSERT_NE(NULL, snap);
	found = 0;
	op.num = 0;
	do {
		struct kc_elem_iter ei;
		const struct kc_elem *e;
		const void *d;
		int64_t cursor = op.num;

		kc_op_init(&op, KC_OP_SNAPSHOT);
		op.num = cursor;
		kc_op_out(&op, snap, 64);
		if (kc_do(self->fd, &op) == -ENOSPC) {
			/* the bucket with the big value asks for its size */
			ASSERT_GE(big + 4096, op.out_used);
			kc_op_init(&op, KC_OP_SNAPSHOT);
			op.num = cursor;
			kc_op_out(&op, snap, big + 4096);
		}
		ASSERT_EQ(0, kc_do(self->fd, &op));
		kc_elem_iter_init(&ei, snap, op.out_used, SIZE_MAX);
		while (ei.off < ei.len && (e = kc_elem_next(&ei, &d))) {
			if (e->len == big + 3 && !memcmp(d, val, big) &&
			    !memcmp((const char *)d + big, "END", 3))
				found++;
		}
		ASSERT_EQ(0, ei.err);
	} while (op.num);
	EXPECT_EQ(1, found);
	free(snap);
	EXPECT_EQ(0, kc_del(self->fd, "huge", 4, 0));

	/* two list elements that size: LINDEX returns one, LRANGE cannot */
	kc_buf_set(&arg[0], val, big);
	kc_buf_set(&arg[1], val, big);
	kc_op_init(&op, KC_OP_LPUSH);
	kc_op_key(&op, "hlist", 5);
	kc_op_args(&op, arg, 2);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(2, op.num);
	kc_op_init(&op, KC_OP_LINDEX);
	kc_op_key(&op, "hlist", 5);
	op.num = 0;
	kc_op_out(&op, out, big);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	ASSERT_EQ(big, op.out_used);
	EXPECT_EQ(0, memcmp(out, val, big));
	kc_op_init(&op, KC_OP_LRANGE);
	kc_op_key(&op, "hlist", 5);
	op.num = 0;
	op.num2 = -1;
	kc_op_out(&op, out, big + 16);
	EXPECT_EQ(-E2BIG, kc_do(self->fd, &op));
	EXPECT_EQ(0, kc_del(self->fd, "hlist", 5, 0));

	/* SETRANGE past the end pads that many zero bytes */
	kc_op_init(&op, KC_OP_SETRANGE);
	kc_op_key(&op, "pad", 3);
	op.num = (int64_t)big - 1;
	kc_op_val(&op, "z", 1);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(big, op.num);
	got = NULL;
	ASSERT_EQ(0, kc_get_alloc(self->fd, "pad", 3, &got, &vlen, NULL, NULL));
	ASSERT_EQ(big, vlen);
	memset(out, 0, big - 1);
	EXPECT_EQ(0, memcmp(got, out, big - 1));
	EXPECT_EQ('z', ((char *)got)[big - 1]);
	free(got);
	EXPECT_EQ(0, kc_del(self->fd, "pad", 3, 0));

	/* past item_size_max: -E2BIG, nothing stored */
	cfg.item_size_max = 32U << 20;
	ASSERT_EQ(0, kc_config_set(self->fd, KC_CONFIG_ITEM_SIZE_MAX, &cfg));
	EXPECT_EQ(-E2BIG, kc_set(self->fd, "huge", 4, val, big, 0, 0, 0));
	EXPECT_EQ(-ENOENT, kc_strlen(self->fd, "huge", 4, &len));

	EXPECT_EQ(0, kc_config_set(self->fd, KC_CONFIG_MEMORY_LIMIT |
				   KC_CONFIG_ITEM_SIZE_MAX, &orig));
	free(val);
	free(out);
}

/* Does key hold exactly len bytes of want? */
static bool has_value(int fd, const char *key, const void *want, size_t len)
{
	size_t vlen = 0;
	void *got = NULL;
	bool same;

	if (kc_get_alloc(fd, key, strlen(key), &got, &vlen, NULL, NULL))
		return false;
	same = vlen == len && !memcmp(got, want, len);
	free(got);
	return same;
}

/*
 * A SET's value past KC_INPUT_MAX (up to item_size_max, 512 MiB at most)
 * is not bounced: the kernel allocates its item first and copies the
 * value straight into it.  A 136 MiB value stores and reads back, alone
 * and in a plain batch; in a transaction (whose inputs are bounced) it is
 * -E2BIG and changes nothing; one bigger than the whole memory limit is
 * -ENOMEM at once, and one with conflicting flags -EINVAL: neither
 * evicts the small key stored first.
 */
TEST_F(dev, set_past_input_max)
{
	size_t big = KC_INPUT_MAX + (8U << 20), cap = 176U << 20;
	struct kc_config cfg, orig;
	struct kc_op op, txn;
	size_t done = 0, i;
	uint64_t len = 0;
	char *val;

	ASSERT_EQ(0, kc_config_get(self->fd, &orig));
	val = malloc(cap);
	ASSERT_NE(NULL, val);
	memset(val, 'v', cap);
	for (i = 0; i + sizeof(i) <= cap; i += 4096)
		memcpy(val + i, &i, sizeof(i));

	cfg = orig;
	cfg.memory_limit_mb = 160;
	cfg.item_size_max = KC_ITEM_SIZE_LIMIT;
	ASSERT_EQ(0, kc_config_set(self->fd, KC_CONFIG_MEMORY_LIMIT |
				   KC_CONFIG_ITEM_SIZE_MAX, &cfg));
	ASSERT_EQ(0, kc_set(self->fd, "small", 5, "s", 1, 0, 0, 0));

	/* bigger than the whole limit: refused, nothing evicted for it */
	EXPECT_EQ(-ENOMEM, kc_set(self->fd, "huge", 4, val, cap, 0, 0, 0));
	EXPECT_EQ(-EINVAL, kc_store(self->fd, KC_OP_SET,
				    KC_SET_NX | KC_SET_XX, "huge", 4, val, big,
				    0, 0, NULL));
	EXPECT_EQ(0, kc_strlen(self->fd, "small", 5, &len));
	EXPECT_EQ(1, len);
	EXPECT_EQ(-ENOENT, kc_strlen(self->fd, "huge", 4, &len));

	ASSERT_EQ(0, kc_set(self->fd, "huge", 4, val, big, 7, 0, 0));
	ASSERT_EQ(0, kc_strlen(self->fd, "huge", 4, &len));
	EXPECT_EQ(big, len);
	EXPECT_TRUE(has_value(self->fd, "huge", val, big));

	/* in a transaction the value is an input: -E2BIG, nothing changes */
	kc_op_init(&txn, KC_OP_SET);
	kc_op_key(&txn, "huge", 4);
	kc_op_val(&txn, val + 4096, big);
	EXPECT_NE(0, kc_batch_run(self->fd, &txn, 1, KC_BATCH_TXN, NULL, 0,
				  &done));
	EXPECT_EQ(-E2BIG, txn.result);
	EXPECT_TRUE(has_value(self->fd, "huge", val, big));

	/* a plain batch runs it as a single op: stored */
	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, "huge", 4);
	kc_op_val(&op, val + 4096, big);
	ASSERT_EQ(0, kc_batch_run(self->fd, &op, 1, 0, NULL, 0, &done));
	EXPECT_EQ(0, op.result);
	EXPECT_TRUE(has_value(self->fd, "huge", val + 4096, big));

	EXPECT_EQ(0, kc_del(self->fd, "huge", 4, 0));
	kc_del(self->fd, "small", 5, 0);	/* the second SET may evict it */
	EXPECT_EQ(0, kc_config_set(self->fd, KC_CONFIG_MEMORY_LIMIT |
				   KC_CONFIG_ITEM_SIZE_MAX, &orig));
	free(val);
}

TEST_F(dev, class_stats)
{
	struct kc_class_stats cs[256];
	struct kc_version v;
	struct kc_config cfg;
	size_t n = 0, nr = 0, i, large = 0;

	ASSERT_EQ(0, kc_version(self->fd, &v));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	ASSERT_GE(ARRAY_SIZE(cs), v.nr_classes);

	/* No room: nothing written, the class count still reported. */
	ASSERT_EQ(0, kc_class_stats(self->fd, cs, 0, &n, &nr));
	EXPECT_EQ(0, n);
	EXPECT_EQ(v.nr_classes, nr);

	ASSERT_EQ(0, kc_class_stats(self->fd, cs, ARRAY_SIZE(cs), &n, &nr));
	ASSERT_EQ(v.nr_classes, n);
	EXPECT_EQ(v.nr_classes, nr);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, cs[i].__reserved);
		if (i)
			EXPECT_LT(cs[i - 1].id, cs[i].id);
		EXPECT_EQ(cs[i].items, cs[i].hot + cs[i].warm + cs[i].cold);
		if (!cs[i].chunk_size) {
			large++;
			continue;
		}
		/* A page holds as many chunks as fit, less a small header. */
		EXPECT_GE(KT_MIB / cs[i].chunk_size, cs[i].chunks_per_page);
		EXPECT_LE((KT_MIB - 4096) / cs[i].chunk_size, cs[i].chunks_per_page);
		EXPECT_LE(cs[i].used_chunks + cs[i].free_chunks,
			  cs[i].pages * cs[i].chunks_per_page);
		if (i && cs[i - 1].chunk_size) {
			EXPECT_LT(cs[i - 1].chunk_size, cs[i].chunk_size);
		} else if (!i) {
			EXPECT_LE(cfg.chunk_min, cs[i].chunk_size);
		}
	}
	/* Exactly one class holds items too large for a slab chunk. */
	EXPECT_EQ(1, large);
}

/* Generic netlink */

struct genl_reply {
	int cmd;
	int have_abi;
	__u32 abi;
	char module[64];
};

static int version_cb(struct nl_msg *msg, void *arg)
{
	static struct nla_policy policy[KC_A_MAX + 1] = {
		[KC_A_VERSION_ABI] = { .type = NLA_U32 },
		[KC_A_VERSION_MODULE] = { .type = NLA_STRING },
	};
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[KC_A_MAX + 1];
	struct genl_reply *r = arg;

	r->cmd = gh->cmd;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KC_A_MAX, policy))
		return NL_SKIP;
	if (tb[KC_A_VERSION_ABI]) {
		r->have_abi = 1;
		r->abi = nla_get_u32(tb[KC_A_VERSION_ABI]);
	}
	if (tb[KC_A_VERSION_MODULE])
		nla_strlcpy(r->module, tb[KC_A_VERSION_MODULE],
			    sizeof(r->module));
	return NL_OK;
}

FIXTURE(genl) {
	struct nl_sock *sk;
	int family;
};

FIXTURE_SETUP(genl)
{
	self->sk = nl_socket_alloc();
	ASSERT_NE(NULL, self->sk);
	ASSERT_EQ(0, genl_connect(self->sk));
	self->family = genl_ctrl_resolve(self->sk, KC_GENL_NAME);
	ASSERT_LT(0, self->family) {
		TH_LOG("genl family \"%s\": %s", KC_GENL_NAME,
		       nl_geterror(self->family));
	}
}

FIXTURE_TEARDOWN(genl)
{
	nl_socket_free(self->sk);
}

static int genl_call(struct nl_sock *sk, int family, int cmd,
		     struct genl_reply *r)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret;

	if (!msg)
		return -NLE_NOMEM;
	memset(r, 0, sizeof(*r));
	r->cmd = -1;
	ret = -NLE_NOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, cmd,
			 KC_GENL_VERSION))
		goto out;
	ret = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, version_cb, r);
	if (ret < 0)
		goto out;
	ret = nl_send_auto(sk, msg);
	if (ret < 0)
		goto out;
	ret = nl_recvmsgs_default(sk);
out:
	nlmsg_free(msg);
	return ret < 0 ? ret : 0;
}

TEST_F(genl, version)
{
	struct genl_reply r;

	ASSERT_EQ(0, genl_call(self->sk, self->family, KC_CMD_VERSION, &r));
	EXPECT_EQ(KC_CMD_VERSION, r.cmd);
	ASSERT_TRUE(r.have_abi);
	EXPECT_EQ(KC_ABI_VERSION, r.abi);
	EXPECT_EQ(1, r.abi);
	EXPECT_NE(0, r.module[0]);
	TH_LOG("module version \"%s\"", r.module);
}

TEST_F(genl, unknown_command)
{
	struct genl_reply r;

	EXPECT_EQ(-NLE_OPNOTSUPP,
		  genl_call(self->sk, self->family, KC_CMD_MAX + 1, &r));
	EXPECT_EQ(-1, r.cmd);
}

TEST_HARNESS_MAIN
