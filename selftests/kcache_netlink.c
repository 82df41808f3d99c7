// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kcache", spoken byte by byte (kc_nl.h):
 * every command against the ioctl API (values written through one are
 * read through the other), malformed input and its extended ACKs,
 * permissions of unprivileged callers, the keys dump under concurrent
 * writers and resizes, pub/sub ordering, keyspace events and overruns.
 *
 * Messages the genetlink core rejects before the family sees them (an
 * unknown command, a header shorter than struct genlmsghdr, a missing
 * CAP_NET_ADMIN for GENL_ADMIN_PERM) get no extack message from the
 * kernel; those tests check the errno only.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_nl.h"

/* A KC_CMD_OP request; absent fields are not sent. */
struct req {
	uint32_t opcode;
	uint32_t flags;
	const char *key;		/* C string unless klen */
	size_t klen;
	const char *val;		/* C string unless vlen */
	size_t vlen;
	const char *const *args;	/* C strings */
	int nargs;
	int64_t num, num2, expire;
	uint64_t cas;
	uint32_t client_flags;
	uint32_t db;
	bool has_num, has_num2, has_expire, has_cas, has_cf, has_db;
};

struct elem {
	const unsigned char *p;
	int len;
	bool nil;
};

/* A reply: a copy of the message, its attributes and elements. */
struct res {
	unsigned char *msg;
	struct nlattr *tb[KC_A_MAX + 1];
	struct elem el[4096];
	int nel;
};

static int res_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct res *r = arg;
	struct nlattr *a;
	int len, rem;
	void *head;

	free(r->msg);
	r->msg = malloc(nlh->nlmsg_len);
	if (!r->msg)
		return 1;
	memcpy(r->msg, nlh, nlh->nlmsg_len);
	head = kn_genl_attrs((struct nlmsghdr *)r->msg, &len);
	kn_parse(head, len, r->tb, KC_A_MAX);
	r->nel = 0;
	kn_for_each_attr(a, head, len, rem) {
		struct nlattr *et[KC_ELEM_A_MAX + 1];
		struct elem *e;

		if ((a->nla_type & NLA_TYPE_MASK) != KC_A_ELEM ||
		    r->nel >= (int)ARRAY_SIZE(r->el))
			continue;
		e = &r->el[r->nel++];
		kn_parse(kn_data(a), kn_len(a), et, KC_ELEM_A_MAX);
		e->nil = et[KC_ELEM_A_NIL] != NULL;
		e->p = et[KC_ELEM_A_VALUE] ? kn_data(et[KC_ELEM_A_VALUE]) : NULL;
		e->len = et[KC_ELEM_A_VALUE] ? kn_len(et[KC_ELEM_A_VALUE]) : -1;
	}
	return 0;
}

static struct res *res_new(void)
{
	return calloc(1, sizeof(struct res));
}

static void res_free(struct res *r)
{
	if (r)
		free(r->msg);
	free(r);
}

static void res_reset(struct res *r)
{
	free(r->msg);
	memset(r, 0, sizeof(*r));
}

static int64_t res_s64(struct res *r, int type)
{
	return r->tb[type] ? (int64_t)kn_u64(r->tb[type]) : INT64_MIN;
}

/* Is the reply's value exactly s (C string)? */
static bool res_value_is(struct res *r, const char *s)
{
	struct nlattr *v = r->tb[KC_A_VALUE];

	return v && kn_len(v) == (int)strlen(s) &&
	       !memcmp(kn_data(v), s, strlen(s));
}

static bool elem_is(const struct elem *e, const char *s)
{
	return !e->nil && e->len == (int)strlen(s) &&
	       !memcmp(e->p, s, e->len);
}

static int build_op(struct kn *kn, struct kn_msg *m, const struct req *q)
{
	int i, err;

	err = kn_msg_init(m, kn->family, KC_CMD_OP, 0);
	if (!err)
		err = kn_put_u32(m, KC_A_OPCODE, q->opcode);
	if (!err && q->flags)
		err = kn_put_u32(m, KC_A_FLAGS, q->flags);
	if (!err && q->key)
		err = kn_put(m, KC_A_KEY, q->key,
			     q->klen ? q->klen : strlen(q->key));
	if (!err && q->val)
		err = kn_put(m, KC_A_VALUE, q->val,
			     q->vlen ? q->vlen : strlen(q->val));
	if (!err && q->has_num)
		err = kn_put_u64(m, KC_A_NUM, (uint64_t)q->num);
	if (!err && q->has_num2)
		err = kn_put_u64(m, KC_A_NUM2, (uint64_t)q->num2);
	if (!err && q->has_expire)
		err = kn_put_u64(m, KC_A_EXPIRE, (uint64_t)q->expire);
	if (!err && q->has_cas)
		err = kn_put_u64(m, KC_A_CAS, q->cas);
	if (!err && q->has_cf)
		err = kn_put_u32(m, KC_A_CLIENT_FLAGS, q->client_flags);
	if (!err && q->has_db)
		err = kn_put_u32(m, KC_A_DB, q->db);
	for (i = 0; !err && i < q->nargs; i++)
		err = kn_put_str(m, KC_A_ARG, q->args[i]);
	return err;
}

/* Runs one op; r (may be NULL) gets the reply. */
static int nl_op(struct kn *kn, const struct req *q, struct res *r)
{
	struct kn_msg m;
	int err = build_op(kn, &m, q);

	if (err) {
		kn_msg_free(&m);
		return err;
	}
	if (r)
		res_reset(r);
	return kn_request(kn, &m, r ? res_cb : NULL, r);
}

/* A request with no attributes but those added by fill (may be NULL). */
static int nl_cmd(struct kn *kn, uint8_t cmd, uint16_t flags,
		  int (*fill)(struct kn_msg *m, void *arg), void *arg,
		  kn_cb cb, void *cbarg)
{
	struct kn_msg m;
	int err = kn_msg_init(&m, kn->family, cmd, flags);

	if (!err && fill)
		err = fill(&m, arg);
	if (err) {
		kn_msg_free(&m);
		return err;
	}
	return kn_request(kn, &m, cb, cbarg);
}

static int nl_get(struct kn *kn, struct res *r, uint8_t cmd)
{
	res_reset(r);
	return nl_cmd(kn, cmd, 0, NULL, NULL, res_cb, r);
}

static int set_notify(struct kn *kn, uint32_t on)
{
	struct kn_msg m;
	int err = kn_msg_init(&m, kn->family, KC_CMD_CONFIG_SET, 0);

	if (!err)
		err = kn_put_u32(&m, KC_A_NOTIFY, on);
	if (err) {
		kn_msg_free(&m);
		return err;
	}
	return kn_request(kn, &m, NULL, NULL);
}

/* GET through the ioctl into a C string (or -errno). */
static int ioctl_get(int fd, const char *key, char *buf, size_t size)
{
	return kt_get(fd, key, buf, size);
}

FIXTURE(nl) {
	int fd;
	struct kn kn;
	struct res *r;
};

FIXTURE_SETUP(nl)
{
	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kt_set_notify(self->fd, false));
	ASSERT_EQ(0, kc_flush(self->fd));
	ASSERT_EQ(0, kn_open(&self->kn)) {
		TH_LOG("generic netlink family \"%s\" not found", KC_GENL_NAME);
	}
	self->r = res_new();
	ASSERT_NE(NULL, self->r);
}

FIXTURE_TEARDOWN(nl)
{
	res_free(self->r);
	kn_close(&self->kn);
	kt_set_notify(self->fd, false);
	kt_reset_config(self->fd);
	kc_close(self->fd);
}

TEST_F_TIMEOUT(nl, version, 300)
{
	struct res *r = self->r;
	struct kc_version v;

	ASSERT_EQ(0, kc_version(self->fd, &v));
	ASSERT_EQ(0, nl_get(&self->kn, r, KC_CMD_VERSION));
	EXPECT_EQ(KC_CMD_VERSION, kn_cmd((struct nlmsghdr *)r->msg));
	ASSERT_NE(NULL, r->tb[KC_A_VERSION_ABI]);
	EXPECT_EQ(KC_ABI_VERSION, kn_u32(r->tb[KC_A_VERSION_ABI]));
	ASSERT_NE(NULL, r->tb[KC_A_VERSION_MODULE]);
	EXPECT_LT(1, kn_len(r->tb[KC_A_VERSION_MODULE]));
	ASSERT_NE(NULL, r->tb[KC_A_KEY_MAX]);
	EXPECT_EQ(KC_KEY_MAX, kn_u32(r->tb[KC_A_KEY_MAX]));
	ASSERT_NE(NULL, r->tb[KC_A_ITEM_SIZE_MAX]);
	EXPECT_EQ(v.item_size_max, kn_u32(r->tb[KC_A_ITEM_SIZE_MAX]));
	ASSERT_NE(NULL, r->tb[KC_A_VALUE_MAX]);
	EXPECT_EQ(KC_NL_VALUE_MAX, kn_u32(r->tb[KC_A_VALUE_MAX]));
	ASSERT_NE(NULL, r->tb[KC_A_NR_CLASSES]);
	EXPECT_EQ(v.nr_classes, kn_u32(r->tb[KC_A_NR_CLASSES]));
}

/* Written through netlink, read through the ioctl, and the other way. */
TEST_F_TIMEOUT(nl, set_get_both_ways, 300)
{
	struct res *r = self->r;
	struct kn *kn = &self->kn;
	char buf[256];
	uint32_t cf = 0;
	uint64_t cas = 0;
	void *val = NULL;
	size_t vlen = 0;

	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "nl:a", .val = "from netlink", .client_flags = 77,
		.has_cf = true }, r));
	ASSERT_NE(NULL, r->tb[KC_A_CAS]);
	EXPECT_NE(0, kn_u64(r->tb[KC_A_CAS]));
	EXPECT_EQ(NULL, r->tb[KC_A_VALUE]);
	ASSERT_EQ(0, kc_get_alloc(self->fd, "nl:a", 4, &val, &vlen, &cas, &cf));
	EXPECT_EQ(12, vlen);
	EXPECT_EQ(0, memcmp(val, "from netlink", 12));
	EXPECT_EQ(77, cf);
	EXPECT_EQ(kn_u64(r->tb[KC_A_CAS]), cas);
	free(val);

	ASSERT_EQ(0, kt_set(self->fd, "nl:b", "from ioctl"));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:b" }, r));
	EXPECT_TRUE(res_value_is(r, "from ioctl"));
	EXPECT_EQ(kt_cas(self->fd, "nl:b"), kn_u64(r->tb[KC_A_CAS]));

	/* An empty value is a value, not a miss. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "nl:empty", .val = "" }, r));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:empty" }, r));
	ASSERT_NE(NULL, r->tb[KC_A_VALUE]);
	EXPECT_EQ(0, kn_len(r->tb[KC_A_VALUE]));
	EXPECT_EQ(0, ioctl_get(self->fd, "nl:empty", buf, sizeof(buf)));

	/* DEL through netlink, gone for the ioctl. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_DEL,
		.key = "nl:b" }, NULL));
	EXPECT_EQ(-ENOENT, ioctl_get(self->fd, "nl:b", buf, sizeof(buf)));
}

TEST_F_TIMEOUT(nl, binary_values_and_limits, 300)
{
	struct res *r = self->r;
	struct kn *kn = &self->kn;
	static const char bin[] = { 'a', 0, 'b', '\n', (char)0xff, 0 };
	unsigned char *big;
	void *val = NULL;
	size_t vlen = 0;
	size_t i;

	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "nl\0bin", .klen = 6, .val = bin,
		.vlen = sizeof(bin) }, NULL));
	ASSERT_EQ(0, kc_get_alloc(self->fd, "nl\0bin", 6, &val, &vlen, NULL,
				  NULL));
	ASSERT_EQ(sizeof(bin), vlen);
	EXPECT_EQ(0, memcmp(val, bin, vlen));
	free(val);

	/* The largest value netlink carries, both ways. */
	big = malloc(200000);
	ASSERT_NE(NULL, big);
	for (i = 0; i < 200000; i++)
		big[i] = (unsigned char)(i * 7);
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "nl:max", .val = (char *)big,
		.vlen = KC_NL_VALUE_MAX }, NULL));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:max" }, r));
	ASSERT_NE(NULL, r->tb[KC_A_VALUE]);
	ASSERT_EQ(KC_NL_VALUE_MAX, kn_len(r->tb[KC_A_VALUE]));
	EXPECT_EQ(0, memcmp(kn_data(r->tb[KC_A_VALUE]), big, KC_NL_VALUE_MAX));

	/* Larger through the ioctl: netlink says it cannot carry it. */
	ASSERT_EQ(0, kc_set(self->fd, "nl:huge", 7, big, 200000, 0, 0, 0));
	EXPECT_EQ(-EMSGSIZE, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:huge" }, r));
	EXPECT_NE(NULL, strstr(self->kn.ext, "netlink")) {
		TH_LOG("extack: \"%s\"", self->kn.ext);
	}
	/* Nothing was lost: GETDEL too fails before it deletes. */
	EXPECT_EQ(-EMSGSIZE, nl_op(kn, &(struct req){ .opcode = KC_OP_GETDEL,
		.key = "nl:huge" }, r));
	EXPECT_EQ(0, kc_exists(self->fd, "nl:huge", 7));
	free(big);
}

TEST_F_TIMEOUT(nl, op_fields, 300)
{
	struct res *r = self->r;
	struct kn *kn = &self->kn;
	char buf[64];
	uint64_t cas;
	int64_t ttl;

	ASSERT_EQ(0, kt_set(self->fd, "nl:n", "40"));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_INCRBY,
		.key = "nl:n", .num = 2, .has_num = true }, r));
	EXPECT_EQ(42, res_s64(r, KC_A_NUM));
	EXPECT_EQ(2, ioctl_get(self->fd, "nl:n", buf, sizeof(buf)));
	EXPECT_STREQ("42", buf);
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_DECRBY,
		.key = "nl:n", .num = 50, .has_num = true }, r));
	EXPECT_EQ(-8, res_s64(r, KC_A_NUM));

	/* Expiry in, TTL out, both APIs agreeing. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "nl:t", .val = "x", .expire = 100, .has_expire = true },
		NULL));
	ttl = kt_ttl_ms(self->fd, "nl:t");
	EXPECT_LT(90000, ttl);
	EXPECT_GE(100000, ttl);
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_TTL,
		.key = "nl:t" }, r));
	EXPECT_LE(99, res_s64(r, KC_A_EXPIRE));
	EXPECT_GE(100, res_s64(r, KC_A_EXPIRE));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_TTL,
		.key = "nl:n" }, r));
	EXPECT_EQ(-1, res_s64(r, KC_A_EXPIRE));

	/* CAS: a stale version fails, the current one wins. */
	cas = kt_cas(self->fd, "nl:t");
	ASSERT_NE(0, cas);
	EXPECT_EQ(-EEXIST, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.flags = KC_SET_CAS, .key = "nl:t", .val = "y",
		.cas = cas + 1000, .has_cas = true }, r));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.flags = KC_SET_CAS, .key = "nl:t", .val = "y", .cas = cas,
		.has_cas = true }, r));
	EXPECT_EQ(kt_cas(self->fd, "nl:t"), kn_u64(r->tb[KC_A_CAS]));

	/* Bits (Redis order). */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SETBIT,
		.key = "nl:bits", .num = 7, .has_num = true, .num2 = 1,
		.has_num2 = true }, r));
	EXPECT_EQ(0, res_s64(r, KC_A_NUM));
	EXPECT_EQ(1, ioctl_get(self->fd, "nl:bits", buf, sizeof(buf)));
	EXPECT_EQ(1, buf[0]);
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GETBIT,
		.key = "nl:bits", .num = 7, .has_num = true }, r));
	EXPECT_EQ(1, res_s64(r, KC_A_NUM));
}

/* A failed op is the netlink error, with words saying why. */
TEST_F_TIMEOUT(nl, op_errors, 300)
{
	struct res *r = self->r;
	struct kn *kn = &self->kn;

	EXPECT_EQ(-ENOENT, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:missing" }, r));
	EXPECT_NE(NULL, strstr(kn->ext, "no such key"));
	EXPECT_EQ(NULL, r->msg);

	ASSERT_EQ(0, kt_set(self->fd, "nl:s", "abc"));
	EXPECT_EQ(-EEXIST, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.flags = KC_SET_NX, .key = "nl:s", .val = "x" }, r));
	EXPECT_NE(NULL, strstr(kn->ext, "condition"));
	EXPECT_EQ(-EDOM, nl_op(kn, &(struct req){ .opcode = KC_OP_INCRBY,
		.key = "nl:s", .num = 1, .has_num = true }, r));
	EXPECT_NE(NULL, strstr(kn->ext, "integer"));
	EXPECT_EQ(-EPROTOTYPE, nl_op(kn, &(struct req){ .opcode = KC_OP_LLEN,
		.key = "nl:s" }, r));
	EXPECT_NE(NULL, strstr(kn->ext, "wrong type"));
	/* A keyed op without a key. */
	EXPECT_EQ(-EINVAL, nl_op(kn, &(struct req){ .opcode = KC_OP_GET }, r));
	EXPECT_NE(0, kn->ext[0]);
	/* A flag the op does not take (but a known one). */
	EXPECT_EQ(-EINVAL, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.flags = KC_SET_NX, .key = "nl:s" }, r));
	EXPECT_NE(NULL, strstr(kn->ext, "flag"));
	/* The cache is unharmed. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:s" }, r));
	EXPECT_TRUE(res_value_is(r, "abc"));
}

/* Multi-element replies, typed ops, checked against the ioctl. */
TEST_F_TIMEOUT(nl, elements, 300)
{
	static const char *const keys[] = { "nl:m1", "nl:none", "nl:m2" };
	static const char *const items[] = { "a", "b", "", "d" };
	static const char *const fv[] = { "f1", "v1", "f2", "v2" };
	struct res *r = self->r;
	struct kn *kn = &self->kn;
	struct kc_op op;
	char buf[256];
	int i;

	ASSERT_EQ(0, kt_set(self->fd, "nl:m1", "one"));
	ASSERT_EQ(0, kt_set(self->fd, "nl:m2", "two"));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_MGET,
		.args = keys, .nargs = 3 }, r));
	ASSERT_EQ(3, r->nel);
	EXPECT_TRUE(elem_is(&r->el[0], "one"));
	EXPECT_TRUE(r->el[1].nil);
	EXPECT_TRUE(elem_is(&r->el[2], "two"));
	EXPECT_EQ(3, res_s64(r, KC_A_NUM));

	/* A list written through netlink, read through the ioctl. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_RPUSH,
		.key = "nl:list", .args = items, .nargs = 4 }, r));
	EXPECT_EQ(4, res_s64(r, KC_A_NUM));
	kc_op_init(&op, KC_OP_LRANGE);
	kc_op_key(&op, "nl:list", 7);
	op.num = 0;
	op.num2 = -1;
	kc_op_out(&op, buf, sizeof(buf));
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(4, op.num);
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_LRANGE,
		.key = "nl:list", .num = 0, .has_num = true, .num2 = -1,
		.has_num2 = true }, r));
	ASSERT_EQ(4, r->nel);
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(elem_is(&r->el[i], items[i]));
	/* One element is a value, a count of them elements. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_LPOP,
		.key = "nl:list" }, r));
	EXPECT_TRUE(res_value_is(r, "a"));
	EXPECT_EQ(0, r->nel);
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_LPOP,
		.flags = KC_POP_COUNT, .key = "nl:list", .num = 2,
		.has_num = true }, r));
	EXPECT_EQ(NULL, r->tb[KC_A_VALUE]);
	ASSERT_EQ(2, r->nel);
	EXPECT_TRUE(elem_is(&r->el[0], "b"));
	EXPECT_TRUE(elem_is(&r->el[1], ""));

	/* A hash, and a set. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_HSET,
		.key = "nl:h", .args = fv, .nargs = 4 }, r));
	EXPECT_EQ(2, res_s64(r, KC_A_NUM));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_HGET,
		.key = "nl:h", .val = "f2" }, r));
	EXPECT_TRUE(res_value_is(r, "v2"));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_HGETALL,
		.key = "nl:h" }, r));
	EXPECT_EQ(4, r->nel);
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SADD,
		.key = "nl:set", .args = items, .nargs = 4 }, r));
	EXPECT_EQ(4, res_s64(r, KC_A_NUM));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SISMEMBER,
		.key = "nl:set", .val = "d" }, r));
	EXPECT_EQ(1, res_s64(r, KC_A_NUM));
	kc_op_init(&op, KC_OP_SCARD);
	kc_op_key(&op, "nl:set", 6);
	ASSERT_EQ(0, kc_do(self->fd, &op));
	EXPECT_EQ(4, op.num);
}

/* Every opcode of the header reaches the op code; one past does not. */
TEST_F_TIMEOUT(nl, every_opcode_is_carried, 300)
{
	struct kn *kn = &self->kn;
	uint32_t opc;
	int err;

	for (opc = 0; opc <= KC_OP_MAX; opc++) {
		if (opc == KC_OP_FLUSH)
			continue;
		err = nl_op(kn, &(struct req){ .opcode = opc,
			.key = "nl:none-such" }, NULL);
		/* Whatever the op answers, the policy let it through. */
		EXPECT_EQ(0, kn->bad_off) {
			TH_LOG("opcode %u: %d \"%s\"", opc, err, kn->ext);
		}
		EXPECT_NE(-ERANGE, err);
	}
	err = nl_op(kn, &(struct req){ .opcode = KC_OP_MAX + 1 }, NULL);
	EXPECT_EQ(-ERANGE, err);
	EXPECT_NE(0, kn->bad_off);
	EXPECT_NE(0, kn->ext[0]);
}

/* Sends raw bytes as a request; returns the errno of the answer. */
static int send_raw(struct kn *kn, struct kn_msg *m)
{
	return kn_request(kn, m, NULL, NULL);
}

static int op_msg(struct kn *kn, struct kn_msg *m)
{
	int err = kn_msg_init(m, kn->family, KC_CMD_OP, 0);

	if (!err)
		err = kn_put_u32(m, KC_A_OPCODE, KC_OP_GET);
	return err;
}

TEST_F_TIMEOUT(nl, bad_input, 300)
{
	struct kn *kn = &self->kn;
	char key[KC_KEY_MAX + 1];
	struct kn_msg m;
	uint64_t wide = KC_OP_GET;
	struct genlmsghdr *g;

	memset(key, 'k', sizeof(key));

	/* Missing: the required opcode. */
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_OP, 0));
	ASSERT_EQ(0, kn_put_str(&m, KC_A_KEY, "nl:k"));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_EQ(KC_A_OPCODE, kn->miss_type);
	EXPECT_NE(NULL, strstr(kn->ext, "KC_A_OPCODE"));

	/* Duplicated: two keys. */
	ASSERT_EQ(0, op_msg(kn, &m));
	ASSERT_EQ(0, kn_put_str(&m, KC_A_KEY, "nl:k1"));
	ASSERT_EQ(0, kn_put_str(&m, KC_A_KEY, "nl:k2"));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(NULL, strstr(kn->ext, "twice"));
	EXPECT_NE(0, kn->bad_off);

	/* Wrong type: a u32 sent as 8 bytes, a s64 as 4. */
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_OP, 0));
	ASSERT_EQ(0, kn_put(&m, KC_A_OPCODE, &wide, sizeof(wide)));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	EXPECT_NE(0, kn->bad_off);
	ASSERT_EQ(0, op_msg(kn, &m));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_NUM, 1));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);

	/* Oversized key, empty key, oversized value, channel, pattern. */
	ASSERT_EQ(0, op_msg(kn, &m));
	ASSERT_EQ(0, kn_put(&m, KC_A_KEY, key, KC_KEY_MAX + 1));
	EXPECT_GT(0, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	EXPECT_NE(0, kn->bad_off);
	ASSERT_EQ(0, op_msg(kn, &m));
	ASSERT_EQ(0, kn_put(&m, KC_A_KEY, key, 0));
	EXPECT_GT(0, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_PUBLISH, 0));
	ASSERT_EQ(0, kn_put(&m, KC_A_CHANNEL, key, 0));
	EXPECT_GT(0, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);

	/* Unknown attribute type, and one of another command. */
	ASSERT_EQ(0, op_msg(kn, &m));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_MAX + 5, 1));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	EXPECT_NE(0, kn->bad_off);
	ASSERT_EQ(0, op_msg(kn, &m));
	ASSERT_EQ(0, kn_put_str(&m, KC_A_CHANNEL, "ch"));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	EXPECT_NE(0, kn->bad_off);

	/* Out of range: opcode, unknown flag bit, type filter. */
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_OP, 0));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_OPCODE, 0xffff));
	EXPECT_EQ(-ERANGE, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	ASSERT_EQ(0, op_msg(kn, &m));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_FLAGS, 1U << 31));
	EXPECT_GT(0, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_KEYS, NLM_F_DUMP));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_TYPE, 0));
	EXPECT_EQ(-ERANGE, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);

	/* Truncated: an attribute longer than the message. */
	ASSERT_EQ(0, op_msg(kn, &m));
	ASSERT_EQ(0, kn_put_str(&m, KC_A_KEY, "nl:k"));
	((struct nlattr *)(m.buf + m.len - 8))->nla_len = 200;
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	/* Truncated: a few bytes of an attribute header. */
	ASSERT_EQ(0, op_msg(kn, &m));
	m.len += 2;
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);

	/* Reserved header byte set. */
	ASSERT_EQ(0, op_msg(kn, &m));
	g = (struct genlmsghdr *)(m.buf + NLMSG_HDRLEN);
	g->reserved = 1;
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);

	/* Core rejections, no extack: short header, unknown commands. */
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_OP, 0));
	m.len = NLMSG_HDRLEN + 2;
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_MAX + 1, 0));
	EXPECT_EQ(-EOPNOTSUPP, send_raw(kn, &m));
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_EVENT, 0));
	EXPECT_EQ(-EOPNOTSUPP, send_raw(kn, &m));
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_OP, NLM_F_DUMP));
	EXPECT_EQ(-EOPNOTSUPP, send_raw(kn, &m));

	/* Command-specific checks. */
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_PUBLISH, 0));
	ASSERT_EQ(0, kn_put_str(&m, KC_A_MESSAGE, "m"));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_EQ(KC_A_CHANNEL, kn->miss_type);
	EXPECT_NE(0, kn->ext[0]);
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_CONFIG_SET, 0));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	EXPECT_NE(NULL, strstr(kn->ext, "nothing to set"));
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_CONFIG_SET, 0));
	ASSERT_EQ(0, kn_put_u64(&m, KC_A_MEMORY_LIMIT_MB, 1));
	EXPECT_EQ(-ERANGE, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_CONFIG_SET, 0));
	ASSERT_EQ(0, kn_put_u64(&m, KC_A_MEMORY_LIMIT_MB, 1ULL << 40));
	EXPECT_EQ(-ERANGE, send_raw(kn, &m));
	EXPECT_NE(NULL, strstr(kn->ext, "RAM"));
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_CONFIG_SET, 0));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_NOTIFY, 2));
	EXPECT_EQ(-ERANGE, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_STATS, 0));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_CLASS_ID, 63));
	EXPECT_EQ(-ERANGE, send_raw(kn, &m));
	EXPECT_NE(0, kn->ext[0]);
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_STATS, NLM_F_DUMP));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_CLASS_ID, 0));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	if (kn_dump_start_extack())
		EXPECT_NE(0, kn->ext[0]);
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_KEYS, NLM_F_DUMP));
	ASSERT_EQ(0, kn_put_str(&m, KC_A_PATTERN, "a*"));
	ASSERT_EQ(0, kn_put_str(&m, KC_A_PATTERN, "b*"));
	EXPECT_EQ(-EINVAL, send_raw(kn, &m));
	if (kn_dump_start_extack())
		EXPECT_NE(NULL, strstr(kn->ext, "twice"));

	/* After all that, the family and the cache still work. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "nl:after", .val = "fine" }, NULL));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:after" }, self->r));
	EXPECT_TRUE(res_value_is(self->r, "fine"));
}

/* Unprivileged callers: a child reports the first failed check. */
#define CHECK(cond) do { if (!(cond)) return __LINE__; } while (0)

static int config_set_u32(struct kn *kn, int attr, uint32_t v)
{
	struct kn_msg m;
	int err = kn_msg_init(&m, kn->family, KC_CMD_CONFIG_SET, 0);

	if (!err)
		err = kn_put_u32(&m, attr, v);
	if (err) {
		kn_msg_free(&m);
		return err;
	}
	return kn_request(kn, &m, NULL, NULL);
}

/* What anyone may do, and what nobody unprivileged may. */
static int common_checks(struct kn *kn, struct res *r)
{
	int err;

	CHECK(!nl_get(kn, r, KC_CMD_VERSION));
	CHECK(!nl_get(kn, r, KC_CMD_CONFIG_GET));
	CHECK(r->tb[KC_A_MEMORY_LIMIT_MB]);
	CHECK(!nl_get(kn, r, KC_CMD_STATS));
	CHECK(r->tb[KC_A_STATS]);
	CHECK(nl_cmd(kn, KC_CMD_FLUSH, 0, NULL, NULL, NULL, NULL) == -EPERM);
	/* EACCES for one without access to /dev/kcache (data ops). */
	err = nl_op(kn, &(struct req){ .opcode = KC_OP_SWAPDB, .num = 1,
		    .has_num = true }, NULL);
	CHECK(err == -EPERM || err == -EACCES);
	CHECK(config_set_u32(kn, KC_A_NOTIFY, 1) == -EPERM);
	CHECK(kn_join(kn, kn->grp_keyspace) == -EPERM);
	CHECK(kn_join(kn, kn->grp_pubsub) == -EPERM);
	return 0;
}

static int run_without_admin(void)
{
	struct res *r = res_new();
	struct kn kn;
	int line;

	CHECK(r);
	CHECK(!kt_drop_cap(CAP_SYS_ADMIN));
	CHECK(!kt_drop_cap(CAP_NET_ADMIN));
	CHECK(!kn_open(&kn));
	line = common_checks(&kn, r);
	if (line)
		return line;
	/* Root's uid still owns /dev/kcache: data ops are allowed. */
	CHECK(!nl_op(&kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "nl:priv", .val = "v" }, NULL));
	CHECK(!nl_op(&kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:priv" }, r));
	CHECK(res_value_is(r, "v"));
	CHECK(nl_op(&kn, &(struct req){ .opcode = KC_OP_FLUSH }, NULL) ==
	      -EPERM);
	CHECK(strstr(kn.ext, "CAP_SYS_ADMIN"));
	kn_close(&kn);
	res_free(r);
	return 0;
}

static int run_as_nobody(void)
{
	struct res *r = res_new();
	struct kn kn;
	int line;

	CHECK(r);
	CHECK(!setgroups(0, NULL));
	CHECK(!setgid(65534));
	CHECK(!setuid(65534));
	CHECK(!kn_open(&kn));
	line = common_checks(&kn, r);
	if (line)
		return line;
	/* /dev/kcache is root's (0600): no data for nobody. */
	CHECK(nl_op(&kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "nl:priv" }, r) == -EACCES);
	CHECK(strstr(kn.ext, "/dev/kcache"));
	CHECK(nl_op(&kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "nl:priv", .val = "x" }, NULL) == -EACCES);
	CHECK(nl_cmd(&kn, KC_CMD_KEYS, NLM_F_DUMP, NULL, NULL, NULL, NULL) ==
	      -EACCES);
	kn_close(&kn);
	res_free(r);
	return 0;
}

static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(fn());
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000;
}

TEST_F_TIMEOUT(nl, unprivileged_reads_but_cannot_flush_or_configure, 300)
{
	char buf[16];
	int line;

	if (!kt_have_cap(CAP_SYS_ADMIN))
		SKIP(return, "needs CAP_SYS_ADMIN to drop it");
	ASSERT_EQ(0, kt_set(self->fd, "nl:priv", "v"));
	line = in_child(run_without_admin);
	EXPECT_EQ(0, line) {
		TH_LOG("without CAP_SYS_ADMIN/CAP_NET_ADMIN: check at line %d failed",
		       line);
	}
	line = in_child(run_as_nobody);
	EXPECT_EQ(0, line) {
		TH_LOG("as nobody: check at line %d failed", line);
	}
	/* Nothing was flushed, nothing changed. */
	EXPECT_EQ(1, ioctl_get(self->fd, "nl:priv", buf, sizeof(buf)));
	EXPECT_STREQ("v", buf);
}

/* Keys dump */

struct keyset {
	char **keys;
	int n, cap;
	int dups;
};

static int keys_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KC_A_MAX + 1];
	struct keyset *ks = arg;
	int len;
	void *head = kn_genl_attrs(nlh, &len);
	char *k;

	kn_parse(head, len, tb, KC_A_MAX);
	if (!tb[KC_A_KEY] || !tb[KC_A_TYPE])
		return 0;
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 1024;
		ks->keys = realloc(ks->keys, ks->cap * sizeof(*ks->keys));
	}
	k = malloc(kn_len(tb[KC_A_KEY]) + 1);
	memcpy(k, kn_data(tb[KC_A_KEY]), kn_len(tb[KC_A_KEY]));
	k[kn_len(tb[KC_A_KEY])] = '\0';
	ks->keys[ks->n++] = k;
	return 0;
}

static void keyset_free(struct keyset *ks)
{
	int i;

	for (i = 0; i < ks->n; i++)
		free(ks->keys[i]);
	free(ks->keys);
	memset(ks, 0, sizeof(*ks));
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct keys_filter {
	const char *pattern;
	uint32_t type;
	int db;			/* -1: no KC_A_DB */
};

static int keys_fill(struct kn_msg *m, void *arg)
{
	struct keys_filter *f = arg;
	int err = 0;

	if (f && f->pattern)
		err = kn_put_str(m, KC_A_PATTERN, f->pattern);
	if (!err && f && f->type)
		err = kn_put_u32(m, KC_A_TYPE, f->type);
	if (!err && f && f->db >= 0)
		err = kn_put_u32(m, KC_A_DB, f->db);
	return err;
}

/* Dumps the keys matching f, sorted; -errno or 0. */
static int dump_keys_db(struct kn *kn, const char *pattern, uint32_t type,
			int db, struct keyset *ks)
{
	struct keys_filter f = { pattern, type, db };
	int err;

	keyset_free(ks);
	err = nl_cmd(kn, KC_CMD_KEYS, NLM_F_DUMP, keys_fill, &f, keys_cb, ks);
	if (!err)
		qsort(ks->keys, ks->n, sizeof(*ks->keys), cmpstr);
	return err;
}

static int dump_keys(struct kn *kn, const char *pattern, uint32_t type,
		     struct keyset *ks)
{
	return dump_keys_db(kn, pattern, type, -1, ks);
}

static bool keyset_is(struct keyset *ks, const char *const *want, int n)
{
	int i;

	if (ks->n != n)
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(ks->keys[i], want[i]))
			return false;
	return true;
}

TEST_F_TIMEOUT(nl, keys_pattern_and_type, 300)
{
	static const char *const all[] = {
		"kp:a", "kp:a*b", "kp:ab", "kp:abc", "kp:b1", "kp:b2",
		"kp:list",
	};
	static const char *const a_star[] = { "kp:a", "kp:a*b", "kp:ab",
					      "kp:abc" };
	static const char *const b_q[] = { "kp:b1", "kp:b2" };
	static const char *const quoted[] = { "kp:a*b" };
	static const char *const setcls[] = { "kp:ab", "kp:b1" };
	static const char *const lists[] = { "kp:list" };
	static const char *const push[] = { "x" };
	struct kn *kn = &self->kn;
	struct keyset ks = { 0 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		if (strcmp(all[i], "kp:list"))
			ASSERT_EQ(0, kt_set(self->fd, all[i], "v"));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_RPUSH,
		.key = "kp:list", .args = push, .nargs = 1 }, NULL));
	ASSERT_EQ(0, kt_set(self->fd, "other", "v"));

	ASSERT_EQ(0, dump_keys(kn, "kp:*", 0, &ks));
	EXPECT_TRUE(keyset_is(&ks, all, ARRAY_SIZE(all)));
	ASSERT_EQ(0, dump_keys(kn, "kp:a*", 0, &ks));
	EXPECT_TRUE(keyset_is(&ks, a_star, ARRAY_SIZE(a_star)));
	ASSERT_EQ(0, dump_keys(kn, "kp:b?", 0, &ks));
	EXPECT_TRUE(keyset_is(&ks, b_q, ARRAY_SIZE(b_q)));
	ASSERT_EQ(0, dump_keys(kn, "kp:a\\*b", 0, &ks));
	EXPECT_TRUE(keyset_is(&ks, quoted, ARRAY_SIZE(quoted)));
	ASSERT_EQ(0, dump_keys(kn, "kp:[a-b][^c2]", 0, &ks));
	EXPECT_TRUE(keyset_is(&ks, setcls, ARRAY_SIZE(setcls)));
	ASSERT_EQ(0, dump_keys(kn, "kp:*", KC_TYPE_LIST, &ks));
	EXPECT_TRUE(keyset_is(&ks, lists, ARRAY_SIZE(lists)));
	ASSERT_EQ(0, dump_keys(kn, "nothing*", 0, &ks));
	EXPECT_EQ(0, ks.n);
	ASSERT_EQ(0, dump_keys(kn, NULL, 0, &ks));
	EXPECT_EQ((int)ARRAY_SIZE(all) + 1, ks.n);
	keyset_free(&ks);
}

#define DUMP_TRIES	5

/*
 * The debug kernel (KASAN, lockdep, kmemleak under TCG; KCACHE_KERNEL=debug
 * in the test VM) runs some ten times slower: the big tests scale down there
 * to stay within the VM's time.
 */
static bool slow_kernel(void)
{
	const char *k = getenv("KCACHE_KERNEL");

	return k && !strcmp(k, "debug");
}

static int scaled(int n)
{
	return slow_kernel() ? n / 5 : n;
}

struct churn {
	int fd;
	volatile int stop;
	uint64_t ops;
	int id;
};

/* Inserts and deletes keys of its own while the dump runs. */
static void *churn_fn(void *arg)
{
	struct churn *c = arg;
	char key[32];
	uint64_t i = 0;

	while (!c->stop) {
		snprintf(key, sizeof(key), "churn:%d:%llu", c->id,
			 (unsigned long long)(i % 2000));
		if ((i / 2000) % 2)
			kc_del(c->fd, key, strlen(key), 0);
		else
			kt_set(c->fd, key, "c");
		i++;
	}
	c->ops = i;
	return NULL;
}

/* Stores n keys "<prefix><i>" with batches of the ioctl. */
static int store_many(int fd, const char *prefix, int from, int n)
{
	struct kc_batch_builder b;
	static char keys[512][32];
	int i, err = 0;

	kc_batch_init(&b);
	for (i = 0; i < n && !err; i += 512) {
		int j, m = n - i < 512 ? n - i : 512;

		kc_batch_reset(&b);
		for (j = 0; j < m; j++) {
			struct kc_op *op = kc_batch_add(&b, KC_OP_SET);
			int len = snprintf(keys[j], sizeof(keys[j]), "%s%d",
					   prefix, from + i + j);

			if (!op) {
				err = -ENOMEM;
				break;
			}
			kc_op_key(op, keys[j], len);
			kc_op_val(op, "s", 1);
		}
		if (!err)
			err = kc_batch_submit(fd, &b, 0);
	}
	kc_batch_exit(&b);
	return err;
}

/*
 * Every stable key exactly once per dump, unless the dump says it was
 * interrupted; churn keys (present only part of the time) may or may not
 * be there.  Bounded: a few tries.
 */
TEST_F_TIMEOUT(nl, keys_dump_100k_with_writers, 600)
{
	const int nstable = scaled(100000);
	struct churn c[2] = { { .id = 0 }, { .id = 1 } };
	pthread_t th[2];
	struct keyset ks = { 0 };
	struct kc_stats st;
	int clean = 0, tries, i;
	char *seen;

	ASSERT_EQ(0, store_many(self->fd, "stable:", 0, nstable));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	ASSERT_EQ(nstable, st.curr_items) {
		TH_LOG("evictions %llu: memory limit too small?",
		       (unsigned long long)st.evictions);
	}
	seen = calloc(nstable, 1);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < 2; i++) {
		c[i].fd = kc_open();
		ASSERT_LE(0, c[i].fd);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn_fn, &c[i]));
	}
	for (tries = 0; tries < DUMP_TRIES && clean < 2; tries++) {
		int missing = 0, dups = 0, err;

		err = dump_keys(&self->kn, "stable:*", 0, &ks);
		ASSERT_EQ(0, err);
		memset(seen, 0, nstable);
		for (i = 0; i < ks.n; i++) {
			int k = atoi(ks.keys[i] + strlen("stable:"));

			ASSERT_LE(0, k);
			ASSERT_GT(nstable, k);
			if (seen[k]++)
				dups++;
		}
		for (i = 0; i < nstable; i++)
			if (!seen[i])
				missing++;
		TH_LOG("dump %d: %d keys, %d missing, %d repeated%s", tries,
		       ks.n, missing, dups,
		       self->kn.intr ? ", flagged NLM_F_DUMP_INTR" : "");
		if (!self->kn.intr) {
			EXPECT_EQ(0, missing);
			EXPECT_EQ(0, dups);
			clean++;
		}
	}
	for (i = 0; i < 2; i++) {
		c[i].stop = 1;
		pthread_join(th[i], NULL);
		kc_close(c[i].fd);
	}
	TH_LOG("writers: %llu and %llu ops during the dumps",
	       (unsigned long long)c[0].ops, (unsigned long long)c[1].ops);
	EXPECT_LT(0, c[0].ops + c[1].ops);
	/* Without resizes, most dumps are clean. */
	EXPECT_LE(1, clean);
	keyset_free(&ks);
	free(seen);
	/* The next test's setup need not flush all of it. */
	kc_flush(self->fd);
}

struct resize_arg {
	int fd;
	int done;
	int err;
};

static int grow_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct resize_arg *ra = arg;

	(void)nlh;
	/* After the first batch of keys, grow the index a lot. */
	if (!ra->done) {
		ra->done = 1;
		ra->err = store_many(ra->fd, "grow:", 0, scaled(150000));
	}
	return 0;
}

/* A dump across a resize of the index says so. */
TEST_F_TIMEOUT(nl, keys_dump_flags_resize, 600)
{
	struct resize_arg ra = { .fd = self->fd };
	struct kc_stats st;
	int err;

	ASSERT_EQ(0, store_many(self->fd, "base:", 0, scaled(20000)));
	err = nl_cmd(&self->kn, KC_CMD_KEYS, NLM_F_DUMP, NULL, NULL, grow_cb,
		     &ra);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, ra.err);
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(scaled(20000) + scaled(150000), st.curr_items);
	EXPECT_TRUE(self->kn.intr);
	kc_flush(self->fd);
}

/* Stats */

static int classes_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KC_A_MAX + 1], *ct[KC_CLASS_A_MAX + 1];
	uint32_t *seen = arg;
	int len;
	void *head = kn_genl_attrs(nlh, &len);

	kn_parse(head, len, tb, KC_A_MAX);
	if (!tb[KC_A_CLASS])
		return 0;
	kn_parse(kn_data(tb[KC_A_CLASS]), kn_len(tb[KC_A_CLASS]), ct,
		 KC_CLASS_A_MAX);
	if (ct[KC_CLASS_A_ID] && ct[KC_CLASS_A_HOT] && ct[KC_CLASS_A_WARM] &&
	    ct[KC_CLASS_A_COLD] && ct[KC_CLASS_A_ITEMS] &&
	    kn_u64(ct[KC_CLASS_A_ITEMS]) == kn_u64(ct[KC_CLASS_A_HOT]) +
	    kn_u64(ct[KC_CLASS_A_WARM]) + kn_u64(ct[KC_CLASS_A_COLD]) &&
	    kn_u32(ct[KC_CLASS_A_ID]) == seen[0])
		seen[0]++;
	seen[1]++;
	return 0;
}

TEST_F_TIMEOUT(nl, stats, 300)
{
	struct res *r = self->r;
	struct nlattr *st[KC_STATS_A_MAX + 1], *ct[KC_CLASS_A_MAX + 1];
	struct kn *kn = &self->kn;
	struct kc_class_stats cs[64];
	struct kc_stats s;
	size_t n, nr;
	uint32_t seen[2] = { 0, 0 };
	struct kn_msg m;
	char buf[8];
	int i;

	ASSERT_EQ(0, kt_set(self->fd, "st:a", "1"));
	for (i = 0; i < 3; i++)
		ioctl_get(self->fd, "st:a", buf, sizeof(buf));
	ioctl_get(self->fd, "st:missing", buf, sizeof(buf));
	ASSERT_EQ(0, kc_stats(self->fd, &s));
	ASSERT_EQ(0, nl_get(kn, r, KC_CMD_STATS));
	ASSERT_NE(NULL, r->tb[KC_A_STATS]);
	kn_parse(kn_data(r->tb[KC_A_STATS]), kn_len(r->tb[KC_A_STATS]), st,
		 KC_STATS_A_MAX);
	for (i = KC_STATS_A_NR_CLASSES; i <= KC_STATS_A_MAX; i++)
		EXPECT_NE(NULL, st[i]) {
			TH_LOG("stats attribute %d missing", i);
		}
	EXPECT_EQ(s.nr_classes, kn_u32(st[KC_STATS_A_NR_CLASSES]));
	EXPECT_EQ(s.curr_items, kn_u64(st[KC_STATS_A_CURR_ITEMS]));
	EXPECT_EQ(s.limit_bytes, kn_u64(st[KC_STATS_A_LIMIT_BYTES]));
	EXPECT_LE(s.get_hits, kn_u64(st[KC_STATS_A_GET_HITS]));
	EXPECT_LE(3, kn_u64(st[KC_STATS_A_GET_HITS]));
	EXPECT_LE(1, kn_u64(st[KC_STATS_A_GET_MISSES]));
	EXPECT_LE(s.uptime_ms, kn_u64(st[KC_STATS_A_UPTIME_MS]));

	/* One class by id, against the ioctl. */
	ASSERT_EQ(0, kc_class_stats(self->fd, cs, ARRAY_SIZE(cs), &n, &nr));
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_STATS, 0));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_CLASS_ID, 1));
	res_reset(r);
	ASSERT_EQ(0, kn_request(kn, &m, res_cb, r));
	ASSERT_NE(NULL, r->tb[KC_A_CLASS]);
	EXPECT_EQ(NULL, r->tb[KC_A_STATS]);
	kn_parse(kn_data(r->tb[KC_A_CLASS]), kn_len(r->tb[KC_A_CLASS]), ct,
		 KC_CLASS_A_MAX);
	EXPECT_EQ(1, kn_u32(ct[KC_CLASS_A_ID]));
	EXPECT_EQ(cs[1].chunk_size, kn_u32(ct[KC_CLASS_A_CHUNK_SIZE]));
	EXPECT_EQ(cs[1].chunks_per_page,
		  kn_u32(ct[KC_CLASS_A_CHUNKS_PER_PAGE]));

	/* The dump: every class once, in order, segments adding up. */
	ASSERT_EQ(0, nl_cmd(kn, KC_CMD_STATS, NLM_F_DUMP, NULL, NULL,
			    classes_cb, seen));
	EXPECT_EQ(nr, seen[1]);
	EXPECT_EQ(nr, seen[0]);
}

TEST_F_TIMEOUT(nl, config_get_set, 300)
{
	struct res *r = self->r;
	struct kn *kn = &self->kn;
	struct kc_config cfg;
	struct kn_msg m;

	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	ASSERT_EQ(0, nl_get(kn, r, KC_CMD_CONFIG_GET));
	ASSERT_NE(NULL, r->tb[KC_A_MEMORY_LIMIT_MB]);
	EXPECT_EQ(cfg.memory_limit_mb, kn_u64(r->tb[KC_A_MEMORY_LIMIT_MB]));
	EXPECT_EQ(cfg.notify, kn_u32(r->tb[KC_A_NOTIFY]));
	EXPECT_EQ(cfg.automove, kn_u32(r->tb[KC_A_AUTOMOVE]));
	EXPECT_EQ(cfg.item_size_max, kn_u32(r->tb[KC_A_ITEM_SIZE_MAX]));
	EXPECT_EQ(cfg.chunk_min, kn_u32(r->tb[KC_A_CHUNK_MIN]));
	EXPECT_EQ(cfg.growth_factor_pct,
		  kn_u32(r->tb[KC_A_GROWTH_FACTOR_PCT]));

	/* Set through netlink, seen by the ioctl; the reply is the result. */
	ASSERT_EQ(0, kn_msg_init(&m, kn->family, KC_CMD_CONFIG_SET, 0));
	ASSERT_EQ(0, kn_put_u32(&m, KC_A_NOTIFY, 1));
	ASSERT_EQ(0, kn_put_u64(&m, KC_A_MEMORY_LIMIT_MB,
				cfg.memory_limit_mb + 1));
	res_reset(r);
	ASSERT_EQ(0, kn_request(kn, &m, res_cb, r));
	EXPECT_EQ(1, kn_u32(r->tb[KC_A_NOTIFY]));
	EXPECT_EQ(cfg.memory_limit_mb + 1,
		  kn_u64(r->tb[KC_A_MEMORY_LIMIT_MB]));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(1, cfg.notify);
	ASSERT_EQ(0, config_set_u32(kn, KC_A_NOTIFY, 0));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(0, cfg.notify);
}

TEST_F_TIMEOUT(nl, flush, 300)
{
	struct kc_stats st;

	ASSERT_EQ(0, store_many(self->fd, "fl:", 0, 1000));
	ASSERT_EQ(0, nl_cmd(&self->kn, KC_CMD_FLUSH, 0, NULL, NULL, NULL,
			    NULL));
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	EXPECT_EQ(0, st.curr_items);
	/* FLUSH as an opcode, with the same permission. */
	ASSERT_EQ(0, kt_set(self->fd, "fl:x", "1"));
	ASSERT_EQ(0, nl_op(&self->kn, &(struct req){ .opcode = KC_OP_FLUSH },
			   NULL));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "fl:x", 4));
}

/*
 * KC_CMD_FLUSH is isolated from transactions as KC_OP_FLUSH is: it never
 * runs between the ops of one.  A child floods FLUSH over netlink while
 * transactions SET a key, run many ops, then read the key back: the read
 * must hit (a FLUSH between them would make it miss).
 */
#define TXN_OPS		1000

static void flush_loop(void)
{
	struct kn kn;
	int i;

	if (kn_open(&kn))
		_exit(2);
	for (i = 0; i < 100000; i++)
		if (nl_cmd(&kn, KC_CMD_FLUSH, 0, NULL, NULL, NULL, NULL))
			_exit(3);
	_exit(0);
}

TEST_F_TIMEOUT(nl, flush_waits_for_transactions, 300)
{
	struct kc_batch_builder b;
	char out[16];
	int t, i, torn = 0, ran = 0, status;
	int64_t end;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		flush_loop();
	kc_batch_init(&b);
	end = kt_mono_ms() + 8000;
	for (t = 0; t < 300 && kt_mono_ms() < end; t++) {
		struct kc_op *op;

		kc_batch_reset(&b);
		op = kc_batch_add(&b, KC_OP_SET);
		ASSERT_NE(NULL, op);
		kc_op_key(op, "fx:a", 4);
		kc_op_val(op, "1", 1);
		for (i = 0; i < TXN_OPS; i++) {
			op = kc_batch_add(&b, KC_OP_EXISTS);
			ASSERT_NE(NULL, op);
			kc_op_key(op, "fx:b", 4);
		}
		op = kc_batch_add(&b, KC_OP_GET);
		ASSERT_NE(NULL, op);
		kc_op_key(op, "fx:a", 4);
		kc_op_out(op, out, sizeof(out));
		ASSERT_EQ(0, kc_batch_submit(self->fd, &b, KC_BATCH_TXN));
		ran++;
		if (b.ops[TXN_OPS + 1].result) {
			EXPECT_EQ(0, b.ops[TXN_OPS + 1].result);
			torn++;
		}
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* Killed by us, or done: not a netlink failure in the child. */
	EXPECT_TRUE(WIFSIGNALED(status) ||
		    (WIFEXITED(status) && !WEXITSTATUS(status)));
	kc_batch_exit(&b);
	TH_LOG("%d transactions, %d saw a FLUSH between their ops", ran, torn);
	EXPECT_EQ(0, torn);
}

/* Pub/sub */

struct pub {
	const char *ch;
	const char *msg;
};

static int publish_fill(struct kn_msg *m, void *arg)
{
	struct pub *p = arg;
	int err = kn_put_str(m, KC_A_CHANNEL, p->ch);

	if (!err && p->msg)
		err = kn_put_str(m, KC_A_MESSAGE, p->msg);
	return err;
}

static int publish(struct kn *kn, const char *ch, const char *msg)
{
	struct pub p = { ch, msg };

	return nl_cmd(kn, KC_CMD_PUBLISH, 0, publish_fill, &p, NULL, NULL);
}

struct sub_state {
	int next;		/* the next sequence number expected */
	int bad;
	int other;		/* messages of other channels */
};

static int sub_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KC_A_MAX + 1];
	struct sub_state *s = arg;
	char want[32];
	int len;
	void *head = kn_genl_attrs(nlh, &len);

	if (kn_cmd(nlh) != KC_CMD_MESSAGE)
		return 0;
	kn_parse(head, len, tb, KC_A_MAX);
	if (!tb[KC_A_CHANNEL] || !tb[KC_A_MESSAGE]) {
		s->bad++;
		return 0;
	}
	if (kn_len(tb[KC_A_CHANNEL]) != 7 ||
	    memcmp(kn_data(tb[KC_A_CHANNEL]), "ps:news", 7)) {
		s->other++;
		return 0;
	}
	snprintf(want, sizeof(want), "msg %d", s->next);
	if (kn_len(tb[KC_A_MESSAGE]) == (int)strlen(want) &&
	    !memcmp(kn_data(tb[KC_A_MESSAGE]), want, strlen(want)))
		s->next++;
	else
		s->bad++;
	return 0;
}

#define SUBS	4
#define MSGS	200

TEST_F_TIMEOUT(nl, pubsub_every_message_in_order, 300)
{
	struct sub_state st[SUBS];
	struct kn sub[SUBS];
	char text[32];
	int i, j, rounds;

	memset(st, 0, sizeof(st));
	for (i = 0; i < SUBS; i++) {
		ASSERT_EQ(0, kn_open(&sub[i]));
		ASSERT_EQ(0, kn_join(&sub[i], sub[i].grp_pubsub));
	}
	/* Publishing with no reader of a channel is fine. */
	ASSERT_EQ(0, publish(&self->kn, "ps:other", "ignored"));
	for (j = 0; j < MSGS; j++) {
		snprintf(text, sizeof(text), "msg %d", j);
		ASSERT_EQ(0, publish(&self->kn, "ps:news", text));
		/* Read as we go: 200 messages fit no default buffer. */
		if (j % 20 == 19)
			for (i = 0; i < SUBS; i++)
				while (kn_recv_mc(&sub[i], MSG_DONTWAIT,
						  sub_cb, &st[i]) > 0)
					;
	}
	for (rounds = 0; rounds < 50; rounds++) {
		int done = 1;

		for (i = 0; i < SUBS; i++) {
			while (kn_recv_mc(&sub[i], MSG_DONTWAIT, sub_cb,
					  &st[i]) > 0)
				;
			done &= st[i].next == MSGS;
		}
		if (done)
			break;
		kt_sleep_ms(20);
	}
	for (i = 0; i < SUBS; i++) {
		EXPECT_EQ(MSGS, st[i].next) {
			TH_LOG("subscriber %d: %d in order, %d wrong", i,
			       st[i].next, st[i].bad);
		}
		EXPECT_EQ(0, st[i].bad);
		EXPECT_EQ(1, st[i].other);
		kn_close(&sub[i]);
	}
}

/* A subscriber that never reads overruns; nobody waits for it. */
TEST_F_TIMEOUT(nl, pubsub_slow_subscriber_overruns, 300)
{
	struct sub_state st = { 0 };
	struct kn slow;
	int64_t t0, took;
	int rcvbuf = 1024, i, n, err, got = 0, enobufs = 0;
	char text[32], buf[8];

	ASSERT_EQ(0, kn_open(&slow));
	ASSERT_EQ(0, setsockopt(slow.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));
	ASSERT_EQ(0, kn_join(&slow, slow.grp_pubsub));
	t0 = kt_mono_ms();
	for (i = 0; i < scaled(2000); i++) {
		snprintf(text, sizeof(text), "msg %d", i);
		ASSERT_EQ(0, publish(&self->kn, "ps:news", text));
	}
	took = kt_mono_ms() - t0;
	TH_LOG("%d publishes to a full subscriber took %lld ms", i,
	       (long long)took);
	/* The cache kept working all along. */
	ASSERT_EQ(0, kt_set(self->fd, "ps:alive", "yes"));
	EXPECT_EQ(3, ioctl_get(self->fd, "ps:alive", buf, sizeof(buf)));

	for (i = 0; i < 4000; i++) {
		n = kn_recv_mc(&slow, MSG_DONTWAIT, sub_cb, &st);
		if (n == -ENOBUFS) {
			enobufs++;
			continue;
		}
		if (n <= 0)
			break;
		got += n;
	}
	err = n;
	TH_LOG("slow subscriber: %d messages, %d ENOBUFS, then %d", got,
	       enobufs, err);
	EXPECT_EQ(1, enobufs);
	EXPECT_LT(0, got);
	EXPECT_GT(scaled(2000), got);
	EXPECT_EQ(-EAGAIN, err);
	/* Not before it read them, but after: it hears new messages. */
	st.next = 0;
	ASSERT_EQ(0, publish(&self->kn, "ps:news", "msg 0"));
	n = kn_recv_mc(&slow, 0, sub_cb, &st);
	EXPECT_EQ(1, n);
	EXPECT_EQ(1, st.next);
	kn_close(&slow);
}

/* Keyspace events */

/* What a keyspace listener heard: a log of the first events, a match. */
struct events {
	int n;
	uint32_t ev[16];
	char key[16][64];
	uint32_t want_ev;	/* what wait_event() looks for */
	const char *want_key;	/* NULL: any key; "": no key */
	bool found;
	int found_db;		/* the found event's KC_A_DB, -1: none */
};

static int ev_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[KC_A_MAX + 1];
	struct events *e = arg;
	char key[64] = "";
	uint32_t ev;
	int len, kl;
	void *head = kn_genl_attrs(nlh, &len);

	if (kn_cmd(nlh) != KC_CMD_EVENT)
		return 0;
	kn_parse(head, len, tb, KC_A_MAX);
	ev = tb[KC_A_EVENT] ? kn_u32(tb[KC_A_EVENT]) : 0;
	if (tb[KC_A_KEY]) {
		kl = kn_len(tb[KC_A_KEY]);
		if (kl > 63)
			kl = 63;
		memcpy(key, kn_data(tb[KC_A_KEY]), kl);
		key[kl] = '\0';
	}
	if (e->n < 16) {
		e->ev[e->n] = ev;
		memcpy(e->key[e->n], key, sizeof(key));
	}
	e->n++;
	if (ev == e->want_ev && (!e->want_key || !strcmp(e->want_key, key))) {
		e->found = true;
		e->found_db = tb[KC_A_DB] ? (int)kn_u32(tb[KC_A_DB]) : -1;
	}
	return 0;
}

/* Reads what is queued; an overrun (-ENOBUFS) is read past. */
static void drain(struct kn *kn, struct events *e)
{
	int n;

	do
		n = kn_recv_mc(kn, MSG_DONTWAIT, ev_cb, e);
	while (n > 0 || n == -ENOBUFS);
}

/* Waits up to ms for event ev on key (NULL: any) among new events. */
static bool wait_event(struct kn *kn, struct events *e, uint32_t ev,
		       const char *key, int ms)
{
	int64_t end = kt_mono_ms() + ms;

	e->want_ev = ev;
	e->want_key = key;
	e->found = false;
	do {
		struct pollfd p = { .fd = kn->fd, .events = POLLIN };

		drain(kn, e);
		if (e->found)
			return true;
		poll(&p, 1, 50);
	} while (kt_mono_ms() < end);
	return false;
}

TEST_F_TIMEOUT(nl, keyspace_events, 300)
{
	struct kn *kn = &self->kn;
	struct events *e = calloc(1, sizeof(*e));
	struct kc_stats st, st2;
	struct kn lis;
	char buf[8];
	int i;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, kn_open(&lis));
	/* Room for the events of the fill below, so that none is lost. */
	ASSERT_EQ(0, setsockopt(lis.fd, SOL_SOCKET, SO_RCVBUFFORCE,
				&(int){ 64 << 20 }, sizeof(int)));
	ASSERT_EQ(0, kn_join(&lis, lis.grp_keyspace));

	/* Off by default: nothing. */
	ASSERT_EQ(0, kt_set(self->fd, "ks:quiet", "1"));
	kt_sleep_ms(100);
	drain(&lis, e);
	EXPECT_EQ(0, e->n);

	ASSERT_EQ(0, set_notify(kn, 1));
	ASSERT_EQ(0, kt_set(self->fd, "ks:a", "1"));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_SET, "ks:a", 2000));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_INCRBY,
		.key = "ks:a", .num = 1, .has_num = true }, NULL));
	ASSERT_EQ(0, kc_del(self->fd, "ks:a", 4, 0));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_DEL, "ks:a", 2000));
	/* In order: SET, SET (INCRBY), DEL. */
	ASSERT_LE(3, e->n);
	EXPECT_EQ(KC_EVENT_SET, e->ev[0]);
	EXPECT_EQ(KC_EVENT_SET, e->ev[1]);
	EXPECT_EQ(KC_EVENT_DEL, e->ev[2]);
	EXPECT_STREQ("ks:a", e->key[2]);

	/* Expiry: lazily on access, or by the crawler. */
	ASSERT_EQ(0, kt_set_ex(self->fd, "ks:t", "1", KC_TTL_MS, 100));
	kt_sleep_ms(300);
	EXPECT_EQ(-ENOENT, ioctl_get(self->fd, "ks:t", buf, sizeof(buf)));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_EXPIRE, "ks:t", 3000));
	ASSERT_EQ(0, kt_set_ex(self->fd, "ks:crawl", "1", KC_TTL_MS, 100));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_EXPIRE, "ks:crawl", 10000));

	/* Eviction: fill a small cache. */
	ASSERT_EQ(0, kc_stats(self->fd, &st));
	ASSERT_EQ(0, kt_set_memory_limit_mb(self->fd, 4));
	for (i = 0; i < 100; i++) {
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "ks:ev%d:", i);
		ASSERT_EQ(0, store_many(self->fd, prefix, 0, 2000));
		ASSERT_EQ(0, kc_stats(self->fd, &st2));
		if (st2.evictions > st.evictions)
			break;
	}
	EXPECT_LT(st.evictions, st2.evictions);
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_EVICT, NULL, 3000));

	/* Flush: one event, no key. */
	drain(&lis, e);
	ASSERT_EQ(0, kc_flush(self->fd));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_FLUSH, "", 3000));

	/* Off again: quiet. */
	ASSERT_EQ(0, set_notify(kn, 0));
	kt_sleep_ms(50);
	drain(&lis, e);
	e->n = 0;
	ASSERT_EQ(0, kt_set(self->fd, "ks:quiet", "2"));
	kt_sleep_ms(100);
	drain(&lis, e);
	EXPECT_EQ(0, e->n);
	kn_close(&lis);
	free(e);
}


static int flush_db_fill(struct kn_msg *m, void *arg)
{
	int err = kn_put_u32(m, KC_A_FLAGS, KC_FLUSH_DB);

	return err ? err : kn_put_u32(m, KC_A_DB, *(uint32_t *)arg);
}

/*
 * Databases over netlink: KC_A_DB picks an op's database, a keys dump's
 * and a flush's (with KC_FLUSH_DB), and tells a keyspace event's; 16 is
 * out of range.
 */
TEST_F_TIMEOUT(nl, databases, 300)
{
	static const char *const k3[] = { "db:a", "db:b" };
	static const char *const k0[] = { "db:a" };
	struct kn *kn = &self->kn;
	struct keyset ks = { 0 };
	struct events *e = calloc(1, sizeof(*e));
	struct kn lis;
	uint32_t db = 3;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "db:a", .val = "zero" }, NULL));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "db:a", .val = "three", .db = 3, .has_db = true },
		NULL));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "db:b", .val = "three", .db = 3, .has_db = true },
		NULL));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "db:a", .db = 3, .has_db = true }, self->r));
	EXPECT_TRUE(res_value_is(self->r, "three"));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "db:a" }, self->r));
	EXPECT_TRUE(res_value_is(self->r, "zero"));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_DBSIZE,
		.db = 3, .has_db = true }, self->r));
	EXPECT_EQ(2, res_s64(self->r, KC_A_NUM));

	ASSERT_EQ(0, dump_keys_db(kn, "db:*", 0, 3, &ks));
	EXPECT_TRUE(keyset_is(&ks, k3, ARRAY_SIZE(k3)));
	ASSERT_EQ(0, dump_keys_db(kn, "db:*", 0, 0, &ks));
	EXPECT_TRUE(keyset_is(&ks, k0, ARRAY_SIZE(k0)));
	ASSERT_EQ(0, dump_keys(kn, "db:*", 0, &ks));
	EXPECT_TRUE(keyset_is(&ks, k0, ARRAY_SIZE(k0)));
	keyset_free(&ks);

	/* Out of range: the policy says so. */
	EXPECT_EQ(-ERANGE, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "db:a", .db = KC_DB_COUNT, .has_db = true }, NULL));
	EXPECT_NE(0, kn->ext[0]);

	/* An event names its key's database. */
	ASSERT_EQ(0, kn_open(&lis));
	ASSERT_EQ(0, kn_join(&lis, lis.grp_keyspace));
	ASSERT_EQ(0, kt_set_notify(self->fd, true));
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_DEL,
		.key = "db:b", .db = 3, .has_db = true }, NULL));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_DEL, "db:b", 2000));
	EXPECT_EQ(3, e->found_db);
	ASSERT_EQ(0, kt_set(self->fd, "db:c", "1"));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_SET, "db:c", 2000));
	EXPECT_EQ(0, e->found_db);

	/* A flush of database 3: only its keys, an event with its db. */
	ASSERT_EQ(0, nl_cmd(kn, KC_CMD_FLUSH, 0, flush_db_fill, &db, NULL,
			    NULL));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_FLUSH, NULL, 2000));
	EXPECT_EQ(3, e->found_db);
	EXPECT_EQ(-ENOENT, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "db:a", .db = 3, .has_db = true }, NULL));
	EXPECT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "db:a" }, NULL));
	/* Without KC_FLUSH_DB, KC_A_DB changes nothing: every database. */
	ASSERT_EQ(0, nl_op(kn, &(struct req){ .opcode = KC_OP_SET,
		.key = "db:a", .val = "3", .db = 3, .has_db = true }, NULL));
	ASSERT_EQ(0, nl_cmd(kn, KC_CMD_FLUSH, 0, NULL, NULL, NULL, NULL));
	EXPECT_TRUE(wait_event(&lis, e, KC_EVENT_FLUSH, NULL, 2000));
	EXPECT_EQ(-1, e->found_db);
	EXPECT_EQ(-ENOENT, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "db:a", .db = 3, .has_db = true }, NULL));
	EXPECT_EQ(-ENOENT, nl_op(kn, &(struct req){ .opcode = KC_OP_GET,
		.key = "db:a" }, NULL));
	kt_set_notify(self->fd, false);
	kn_close(&lis);
	free(e);
}

TEST_HARNESS_MAIN
