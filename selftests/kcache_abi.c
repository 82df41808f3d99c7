// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI itself: struct versioning by size (as openat2's selftest
 * checks open_how), bad user pointers, limits, flags, opcodes, reserved
 * fields, unknown ioctls, short reply buffers and batches.
 *
 * Where an error shows up, per uapi/linux/kcache.h:
 *   - the ioctl fails (errno) when the request struct itself cannot be
 *     read or written back (EFAULT), is malformed (EINVAL; E2BIG for a
 *     larger struct with non-zero bytes past the kernel's) or is not
 *     permitted;
 *   - otherwise the ioctl returns 0 and the operation's outcome, including
 *     -EFAULT for a bad key/val/out/args pointer, is in kc_op.result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"

FIXTURE(abi) {
	int fd;
	size_t page;
	uint32_t item_size_max;
	/* Two pages: the first read-write, the second PROT_NONE. */
	unsigned char *map;
	/* One read-only page. */
	unsigned char *ro;
};

FIXTURE_SETUP(abi)
{
	struct kc_version v;

	self->page = (size_t)sysconf(_SC_PAGESIZE);
	self->map = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_EQ(0, mprotect(self->map + self->page, self->page, PROT_NONE));
	self->ro = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	ASSERT_NE(MAP_FAILED, self->ro);

	KT_ASSERT_OPEN(self->fd);
	ASSERT_EQ(0, kc_version(self->fd, &v));
	self->item_size_max = v.item_size_max;
	ASSERT_EQ(0, kt_reset_config(self->fd));
	ASSERT_EQ(0, kc_flush(self->fd));
}

FIXTURE_TEARDOWN(abi)
{
	kc_close(self->fd);
	munmap(self->map, 2 * self->page);
	munmap(self->ro, self->page);
}

/* The last len bytes before the PROT_NONE page. */
static void *guarded(FIXTURE_DATA(abi) *self, size_t len)
{
	return self->map + self->page - len;
}

static void *unmapped(FIXTURE_DATA(abi) *self)
{
	return self->map + self->page;
}

/* ioctl() as errno: 0 on success. */
static int ioc(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? errno : 0;
}

static void set_str(struct kc_op *op, const char *key, const char *val)
{
	kc_op_init(op, KC_OP_SET);
	kc_op_key(op, key, strlen(key));
	kc_op_val(op, val, strlen(val));
}

/* struct kc_op versioning */

TEST_F(abi, op_size_too_small)
{
	static const __u32 sizes[] = {
		0, 1, 4, 8, 16, 63, 64, KC_OP_SIZE_VER0 - 8, KC_OP_SIZE_VER0 - 1,
	};
	struct kc_op op;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		set_str(&op, "small", "v");
		op.size = sizes[i];
		op.result = 1;
		EXPECT_EQ(EINVAL, ioc(self->fd, KC_IOC_OP, &op)) {
			TH_LOG("size %u", sizes[i]);
		}
		EXPECT_EQ(1, op.result);
	}
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "small", 5));
}

struct big_op {
	struct kc_op op;
	unsigned char tail[256];
};

TEST_F(abi, op_size_larger_zero_tail)
{
	static const unsigned int extra[] = { 1, 7, 8, 64, 256 };
	struct big_op b;
	char out[16];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		memset(&b, 0, sizeof(b));
		set_str(&b.op, "big", "value");
		b.op.size = sizeof(b.op) + extra[i];
		ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &b.op)) {
			TH_LOG("size %u", b.op.size);
		}
		EXPECT_EQ(0, b.op.result);
		EXPECT_NE(0, b.op.cas);

		memset(&b, 0, sizeof(b));
		kc_op_init(&b.op, KC_OP_GET);
		kc_op_key(&b.op, "big", 3);
		kc_op_out(&b.op, out, sizeof(out));
		b.op.size = sizeof(b.op) + extra[i];
		ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &b.op));
		EXPECT_EQ(0, b.op.result);
		EXPECT_EQ(5U, b.op.out_used);
		EXPECT_EQ(0, memcmp(out, "value", 5));
		/* The kernel writes back only what it knows. */
		for (j = 0; j < sizeof(b.tail); j++)
			ASSERT_EQ(0, b.tail[j]);
		ASSERT_EQ(0, kc_del(self->fd, "big", 3, 0));
	}
}

TEST_F(abi, op_size_larger_nonzero_tail)
{
	static const unsigned int extra[] = { 1, 8, 64, 256 };
	struct big_op b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		/* A non-zero byte first and last in the tail. */
		memset(&b, 0, sizeof(b));
		set_str(&b.op, "tail", "v");
		b.op.size = sizeof(b.op) + extra[i];
		b.tail[0] = 1;
		EXPECT_EQ(E2BIG, ioc(self->fd, KC_IOC_OP, &b.op)) {
			TH_LOG("size %u, first tail byte set", b.op.size);
		}
		memset(&b, 0, sizeof(b));
		set_str(&b.op, "tail", "v");
		b.op.size = sizeof(b.op) + extra[i];
		b.tail[extra[i] - 1] = 0x80;
		EXPECT_EQ(E2BIG, ioc(self->fd, KC_IOC_OP, &b.op)) {
			TH_LOG("size %u, last tail byte set", b.op.size);
		}
	}
	/* The operation did not run. */
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "tail", 4));
}

/*
 * Sizes past a page: the header promises that a larger struct with a zero
 * tail is accepted and does not cap the size; clone3() caps at PAGE_SIZE
 * with E2BIG.  Either is sound, but it must be one of the two and a zero
 * tail must never read as garbage.
 */
TEST_F(abi, op_size_over_page)
{
	size_t size = 2 * self->page + 8;
	struct kc_op *op = calloc(1, size);
	int err;

	ASSERT_NE(NULL, op);
	set_str(op, "page", "v");
	op->size = (__u32)size;
	err = ioc(self->fd, KC_IOC_OP, op);
	if (err == 0) {
		EXPECT_EQ(0, op->result);
		EXPECT_EQ(0, kc_exists(self->fd, "page", 4));
		TH_LOG("size %zu with zero tail: accepted", size);
	} else {
		EXPECT_EQ(E2BIG, err);
		EXPECT_EQ(-ENOENT, kc_exists(self->fd, "page", 4));
		TH_LOG("size %zu with zero tail: E2BIG", size);
	}
	free(op);
}

TEST_F(abi, op_size_huge)
{
	/* A size running far past the mapping: E2BIG (capped) or EFAULT. */
	struct kc_op *op = guarded(self, sizeof(*op));
	int err;

	set_str(op, "huge", "v");
	op->size = UINT32_MAX;
	err = ioc(self->fd, KC_IOC_OP, op);
	EXPECT_TRUE(err == E2BIG || err == EFAULT) {
		TH_LOG("size 0xffffffff: %s", strerror(err));
	}
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "huge", 4));
}

/* Bad pointers */

TEST_F(abi, request_efault)
{
	struct kc_op *op;
	struct kc_op ok;

	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_OP, NULL));
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_OP, unmapped(self)));
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_OP, (void *)-4096L));
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_BATCH, NULL));
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_STATS, NULL));
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_CLASS_STATS, NULL));
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_CONFIG, NULL));
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_VERSION, unmapped(self)));

	/* Only the first 8 bytes (size, opcode) are readable. */
	op = guarded(self, 8);
	op->size = sizeof(*op);
	op->opcode = KC_OP_NOP;
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_OP, op));

	/* Readable but not writable: the result cannot be written back. */
	kc_op_init(&ok, KC_OP_NOP);
	ASSERT_EQ(0, mprotect(self->ro, self->page, PROT_READ | PROT_WRITE));
	memcpy(self->ro, &ok, sizeof(ok));
	ASSERT_EQ(0, mprotect(self->ro, self->page, PROT_READ));
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_OP, self->ro));
}

TEST_F(abi, key_val_efault)
{
	struct kc_op op;
	char *edge;

	kc_op_init(&op, KC_OP_SET);
	op.key = 0;
	op.key_len = 3;
	kc_op_val(&op, "v", 1);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, unmapped(self), 3);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	/* A key that runs into the unmapped page. */
	edge = guarded(self, 2);
	memcpy(edge, "ke", 2);
	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, edge, 3);
	kc_op_val(&op, "v", 1);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "ke", 2));

	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, "vk", 2);
	op.val = 0;
	op.val_len = 5;
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, "vk", 2);
	kc_op_val(&op, guarded(self, 100), 101);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);
	kc_op_init(&op, KC_OP_APPEND);
	op.flags = KC_APPEND_CREATE;
	kc_op_key(&op, "vk", 2);
	kc_op_val(&op, unmapped(self), 1);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "vk", 2));

	/* A NULL pointer with length 0 is an empty value, not a fault. */
	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, "vk", 2);
	op.val = 0;
	op.val_len = 0;
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(0, op.result);
}

TEST_F(abi, out_efault)
{
	struct kc_op op;

	ASSERT_EQ(0, kt_set(self->fd, "o", "hello"));

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, "o", 1);
	op.out = 0;
	op.out_len = 16;
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, "o", 1);
	kc_op_out(&op, self->ro, 16);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	kc_op_init(&op, KC_OP_GET);
	kc_op_key(&op, "o", 1);
	kc_op_out(&op, guarded(self, 3), 16);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	kc_op_init(&op, KC_OP_GETRANGE);
	kc_op_key(&op, "o", 1);
	kc_op_out(&op, unmapped(self), 16);
	op.num = 0;
	op.num2 = -1;
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	/* A GETDEL whose reply faults deletes nothing. */
	kc_op_init(&op, KC_OP_GETDEL);
	kc_op_key(&op, "o", 1);
	kc_op_out(&op, self->ro, 16);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);
	EXPECT_EQ(0, kc_exists(self->fd, "o", 1));
}

TEST_F(abi, args_efault)
{
	struct kc_buf args[2];
	unsigned char out[64];
	struct kc_op op;

	kc_op_init(&op, KC_OP_MGET);
	op.args = 0;
	op.nargs = 2;
	kc_op_out(&op, out, sizeof(out));
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	kc_op_init(&op, KC_OP_MGET);
	kc_op_args(&op, unmapped(self), 2);
	kc_op_out(&op, out, sizeof(out));
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	/* The array is fine, the second key in it is not. */
	kc_buf_set(&args[0], "a", 1);
	kc_buf_set(&args[1], unmapped(self), 1);
	kc_op_init(&op, KC_OP_MGET);
	kc_op_args(&op, args, 2);
	kc_op_out(&op, out, sizeof(out));
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);

	/* MSET: a bad value; nothing must be stored. */
	kc_buf_set(&args[0], "ms", 2);
	kc_buf_set(&args[1], NULL, 4);
	kc_op_init(&op, KC_OP_MSET);
	kc_op_args(&op, args, 2);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
	EXPECT_EQ(-EFAULT, op.result);
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "ms", 2));
}

/* Limits */

TEST_F(abi, key_length)
{
	static const __u32 opcodes[] = {
		KC_OP_GET, KC_OP_SET, KC_OP_ADD, KC_OP_REPLACE, KC_OP_APPEND,
		KC_OP_PREPEND, KC_OP_DEL, KC_OP_EXISTS, KC_OP_INCRBY,
		KC_OP_DECRBY, KC_OP_GETBIT, KC_OP_SETBIT, KC_OP_TOUCH,
		KC_OP_EXPIRE, KC_OP_PERSIST, KC_OP_TTL, KC_OP_STRLEN,
		KC_OP_GETDEL, KC_OP_GETRANGE, KC_OP_SETRANGE, KC_OP_TYPE,
	};
	unsigned char key[KC_KEY_MAX + 1];
	unsigned char out[16];
	struct kc_op op;
	unsigned int i;

	memset(key, 'K', sizeof(key));
	for (i = 0; i < ARRAY_SIZE(opcodes); i++) {
		kc_op_init(&op, opcodes[i]);
		kc_op_key(&op, key, 0);
		kc_op_val(&op, "1", 1);
		kc_op_out(&op, out, sizeof(out));
		EXPECT_EQ(-EINVAL, kc_do(self->fd, &op)) {
			TH_LOG("opcode %u, empty key", opcodes[i]);
		}
		kc_op_init(&op, opcodes[i]);
		kc_op_key(&op, key, KC_KEY_MAX + 1);
		kc_op_val(&op, "1", 1);
		kc_op_out(&op, out, sizeof(out));
		EXPECT_EQ(-ENAMETOOLONG, kc_do(self->fd, &op)) {
			TH_LOG("opcode %u, key of 251 bytes", opcodes[i]);
		}
		kc_op_init(&op, opcodes[i]);
		kc_op_key(&op, key, UINT32_MAX);
		kc_op_val(&op, "1", 1);
		kc_op_out(&op, out, sizeof(out));
		EXPECT_EQ(-ENAMETOOLONG, kc_do(self->fd, &op)) {
			TH_LOG("opcode %u, key of 4 GiB", opcodes[i]);
		}
	}
	EXPECT_EQ(0, kc_set(self->fd, key, KC_KEY_MAX, "v", 1, 0, 0, 0));
	EXPECT_EQ(0, kc_exists(self->fd, key, KC_KEY_MAX));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, key, KC_KEY_MAX - 1));
	/* A NULL key of length 0 is EINVAL before it is EFAULT. */
	kc_op_init(&op, KC_OP_GET);
	EXPECT_EQ(-EINVAL, kc_do(self->fd, &op));
}

TEST_F(abi, value_length)
{
	size_t n = self->item_size_max;
	unsigned char *v = malloc(n + 1);
	void *got = NULL;
	size_t len = 0;
	struct kc_op op;

	ASSERT_NE(NULL, v);
	kt_fill(v, n + 1, 7);
	ASSERT_EQ(0, kc_set(self->fd, "max", 3, v, n, 0, 0, 0));
	ASSERT_EQ(0, kc_get_alloc(self->fd, "max", 3, &got, &len, NULL, NULL));
	EXPECT_EQ(n, len);
	EXPECT_EQ(0, memcmp(got, v, n));
	free(got);

	EXPECT_EQ(-E2BIG, kc_set(self->fd, "max1", 4, v, n + 1, 0, 0, 0));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "max1", 4));
	/* Too big replaces nothing either. */
	EXPECT_EQ(-E2BIG, kc_set(self->fd, "max", 3, v, n + 1, 0, 0, 0));
	EXPECT_EQ(0, kc_get_alloc(self->fd, "max", 3, &got, &len, NULL, NULL));
	EXPECT_EQ(n, len);
	free(got);

	/* A length the kernel must reject before touching the pointer. */
	kc_op_init(&op, KC_OP_SET);
	kc_op_key(&op, "huge", 4);
	op.val = (__u64)(uintptr_t)v;
	op.val_len = UINT32_MAX;
	EXPECT_EQ(-E2BIG, kc_do(self->fd, &op));
	free(v);
}

TEST_F(abi, unknown_flags)
{
	static const __u32 opcodes[] = {
		KC_OP_NOP, KC_OP_GET, KC_OP_SET, KC_OP_DEL, KC_OP_EXPIRE,
		KC_OP_TTL, KC_OP_MGET, KC_OP_FLUSH,
	};
	static const __u32 bad[] = { (__u32)__KC_OP_F_ALL + 1, 1U << 20, 1U << 31 };
	struct kc_buf arg;
	struct kc_op op;
	unsigned int i, j;

	ASSERT_EQ(0, kt_set(self->fd, "f", "v"));
	kc_buf_set(&arg, "f", 1);
	for (i = 0; i < ARRAY_SIZE(opcodes); i++) {
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			kc_op_init(&op, opcodes[i]);
			op.flags = bad[j];
			kc_op_key(&op, "f", 1);
			kc_op_val(&op, "w", 1);
			kc_op_args(&op, &arg, 1);
			EXPECT_EQ(-EINVAL, kc_do(self->fd, &op)) {
				TH_LOG("opcode %u flags %#x", opcodes[i], bad[j]);
			}
		}
	}
	/* Nothing ran: the key is still there with its value. */
	EXPECT_EQ(0, kc_exists(self->fd, "f", 1));
	{
		char buf[4];

		EXPECT_EQ(1, kt_get(self->fd, "f", buf, sizeof(buf)));
		EXPECT_EQ('v', buf[0]);
	}
}

TEST_F(abi, unknown_opcode)
{
	static const __u32 bad[] = { __KC_OP_LAST, __KC_OP_LAST + 1, 1000,
				     UINT32_MAX };
	struct kc_op op;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		kc_op_init(&op, bad[i]);
		kc_op_key(&op, "k", 1);
		ASSERT_EQ(0, ioc(self->fd, KC_IOC_OP, &op));
		EXPECT_EQ(-EOPNOTSUPP, op.result) {
			TH_LOG("opcode %u", bad[i]);
		}
	}
}

TEST_F(abi, reserved_fields)
{
	struct kc_buf args[2];
	struct kc_config cfg;
	struct kc_batch b;
	struct kc_op ops[1];
	unsigned char out[64];

	/* kc_buf.__reserved, in MGET and in MSET. */
	kc_buf_set(&args[0], "r", 1);
	kc_buf_set(&args[1], "v", 1);
	args[0].__reserved = 1;
	EXPECT_EQ(-EINVAL, kc_mget(self->fd, args, 1, out, sizeof(out), NULL, NULL));
	EXPECT_EQ(-EINVAL, kc_mset(self->fd, args, 2));
	args[0].__reserved = 0;
	args[1].__reserved = 0x80000000;
	EXPECT_EQ(-EINVAL, kc_mset(self->fd, args, 2));
	EXPECT_EQ(-ENOENT, kc_exists(self->fd, "r", 1));

	/* kc_batch.__reserved */
	kc_op_init(&ops[0], KC_OP_NOP);
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.count = 1;
	b.op_size = sizeof(ops[0]);
	b.ops = (__u64)(uintptr_t)ops;
	b.__reserved = 1;
	EXPECT_EQ(EINVAL, ioc(self->fd, KC_IOC_BATCH, &b));

	/* kc_config.noevict: 0 or 1 when set; a read ignores it */
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	ASSERT_EQ(0U, cfg.noevict);
	cfg.noevict = 2;
	cfg.set_mask = KC_CONFIG_NOEVICT;
	EXPECT_EQ(EINVAL, ioc(self->fd, KC_IOC_CONFIG, &cfg));
	cfg.set_mask = 0;
	EXPECT_EQ(0, ioc(self->fd, KC_IOC_CONFIG, &cfg));
	EXPECT_EQ(0U, cfg.noevict);
	cfg.noevict = 1;
	cfg.set_mask = KC_CONFIG_NOEVICT;
	EXPECT_EQ(0, ioc(self->fd, KC_IOC_CONFIG, &cfg));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(1U, cfg.noevict);
	cfg.noevict = 0;
	EXPECT_EQ(0, kc_config_set(self->fd, KC_CONFIG_NOEVICT, &cfg));
}

TEST_F(abi, unknown_ioctl)
{
	struct kc_op op;
	char buf[256] = { 0 };

	kc_op_init(&op, KC_OP_NOP);
	EXPECT_EQ(ENOTTY, ioc(self->fd, _IO(KC_IOC_MAGIC, 0x07), &op));
	EXPECT_EQ(ENOTTY, ioc(self->fd, _IO(KC_IOC_MAGIC, 0xff), &op));
	EXPECT_EQ(ENOTTY, ioc(self->fd, _IO(KC_IOC_MAGIC + 1, 0x01), &op));
	/* The right number with another direction or size is another ioctl. */
	EXPECT_EQ(ENOTTY, ioc(self->fd, _IOWR(KC_IOC_MAGIC, 0x01, struct kc_op), &op));
	EXPECT_EQ(ENOTTY, ioc(self->fd, _IOR(KC_IOC_MAGIC, 0x00, struct kc_op), buf));
	EXPECT_EQ(ENOTTY, ioc(self->fd, _IOW(KC_IOC_MAGIC, 0x00, struct kc_version), buf));
	EXPECT_EQ(ENOTTY, ioc(self->fd, 0, &op));
}

/* Batches */

static int batch(int fd, struct kc_batch *b, void *ops, __u32 count,
		 __u32 op_size, __u32 flags)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->flags = flags;
	b->count = count;
	b->op_size = op_size;
	b->ops = (__u64)(uintptr_t)ops;
	return ioc(fd, KC_IOC_BATCH, b);
}

TEST_F(abi, batch_limits)
{
	struct kc_op *ops = calloc(KC_BATCH_MAX + 1, sizeof(*ops));
	struct kc_batch b;
	unsigned int i;

	ASSERT_NE(NULL, ops);
	for (i = 0; i <= KC_BATCH_MAX; i++)
		kc_op_init(&ops[i], KC_OP_NOP);

	EXPECT_EQ(EINVAL, batch(self->fd, &b, ops, KC_BATCH_MAX + 1,
				sizeof(*ops), 0));
	EXPECT_EQ(EINVAL, batch(self->fd, &b, ops, UINT32_MAX, sizeof(*ops), 0));

	for (i = 0; i <= KC_BATCH_MAX; i++)
		ops[i].result = 1;
	ASSERT_EQ(0, batch(self->fd, &b, ops, KC_BATCH_MAX, sizeof(*ops), 0));
	EXPECT_EQ(KC_BATCH_MAX, b.done);
	EXPECT_EQ(0, b.result);
	EXPECT_EQ(0, ops[0].result);
	EXPECT_EQ(0, ops[KC_BATCH_MAX - 1].result);
	/* One past the count is not touched. */
	EXPECT_EQ(1, ops[KC_BATCH_MAX].result);

	ASSERT_EQ(0, batch(self->fd, &b, ops, 0, sizeof(*ops), 0));
	EXPECT_EQ(0, b.done);
	EXPECT_EQ(0, b.result);
	ASSERT_EQ(0, batch(self->fd, &b, NULL, 0, sizeof(*ops), 0));
	EXPECT_EQ(0, b.done);
	free(ops);
}

TEST_F(abi, batch_struct)
{
	struct {
		struct kc_batch b;
		unsigned char tail[16];
	} big;
	struct kc_op op;
	struct kc_batch b;
	static const __u32 op_sizes[] = { 0, 8, KC_OP_SIZE_VER0 - 1 };
	unsigned int i;

	kc_op_init(&op, KC_OP_NOP);
	for (i = 0; i < ARRAY_SIZE(op_sizes); i++) {
		EXPECT_EQ(EINVAL, batch(self->fd, &b, &op, 1, op_sizes[i], 0)) {
			TH_LOG("op_size %u", op_sizes[i]);
		}
	}

	/* kc_batch's own size */
	memset(&b, 0, sizeof(b));
	b.size = KC_BATCH_SIZE_VER0 - 1;
	b.count = 1;
	b.op_size = sizeof(op);
	b.ops = (__u64)(uintptr_t)&op;
	EXPECT_EQ(EINVAL, ioc(self->fd, KC_IOC_BATCH, &b));
	memset(&big, 0, sizeof(big));
	big.b.size = sizeof(big);
	big.b.count = 1;
	big.b.op_size = sizeof(op);
	big.b.ops = (__u64)(uintptr_t)&op;
	EXPECT_EQ(0, ioc(self->fd, KC_IOC_BATCH, &big));
	EXPECT_EQ(1, big.b.done);
	big.tail[15] = 1;
	EXPECT_EQ(E2BIG, ioc(self->fd, KC_IOC_BATCH, &big));

	/* Unknown flags; a watch list without a transaction. */
	EXPECT_EQ(EINVAL, batch(self->fd, &b, &op, 1, sizeof(op),
				__KC_BATCH_F_ALL + 1));
	EXPECT_EQ(EINVAL, batch(self->fd, &b, &op, 1, sizeof(op), 1U << 31));
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.count = 1;
	b.op_size = sizeof(op);
	b.ops = (__u64)(uintptr_t)&op;
	b.nwatch = 1;
	b.watch = (__u64)(uintptr_t)&op;
	EXPECT_EQ(EINVAL, ioc(self->fd, KC_IOC_BATCH, &b));
}

/*
 * A record the kernel cannot read.  The header says a batch reads each
 * record "like a single KC_IOC_OP", where an unreadable request fails the
 * ioctl with EFAULT; kc_batch.result also allows "an error that stopped the
 * batch early".  Accept either, with nothing after the bad record run.
 */
TEST_F(abi, batch_ops_efault)
{
	struct kc_op *ops = guarded(self, sizeof(struct kc_op));
	struct kc_batch b;
	int err;

	err = batch(self->fd, &b, NULL, 2, sizeof(struct kc_op), 0);
	if (err) {
		EXPECT_EQ(EFAULT, err);
	} else {
		EXPECT_EQ(-EFAULT, b.result);
		EXPECT_EQ(0, b.done);
	}
	err = batch(self->fd, &b, unmapped(self), 1, sizeof(struct kc_op), 0);
	if (err) {
		EXPECT_EQ(EFAULT, err);
	} else {
		EXPECT_EQ(-EFAULT, b.result);
		EXPECT_EQ(0, b.done);
	}

	/* The first record is fine, the second lies in the unmapped page. */
	set_str(&ops[0], "bf", "1");
	err = batch(self->fd, &b, ops, 2, sizeof(struct kc_op), 0);
	if (err) {
		EXPECT_EQ(EFAULT, err);
	} else {
		EXPECT_EQ(-EFAULT, b.result);
		EXPECT_EQ(1, b.done);
		EXPECT_EQ(0, ops[0].result);
	}
}

TEST_F(abi, batch_each_op_has_its_result)
{
	struct kc_batch_builder bb;
	struct kc_op *op;
	char out_get[16], out_miss[16], out_bad[4];
	int i;

	kc_batch_init(&bb);
	op = kc_batch_add(&bb, KC_OP_SET);
	ASSERT_NE(NULL, op);
	kc_op_key(op, "ba", 2);
	kc_op_val(op, "41", 2);
	op = kc_batch_add(&bb, KC_OP_GET);
	kc_op_key(op, "ba", 2);
	kc_op_out(op, out_get, sizeof(out_get));
	op = kc_batch_add(&bb, KC_OP_GET);
	kc_op_key(op, "bmiss", 5);
	kc_op_out(op, out_miss, sizeof(out_miss));
	op = kc_batch_add(&bb, KC_OP_ADD);
	kc_op_key(op, "ba", 2);
	kc_op_val(op, "x", 1);
	op = kc_batch_add(&bb, KC_OP_INCRBY);
	kc_op_key(op, "ba", 2);
	op->num = 1;
	op = kc_batch_add(&bb, KC_OP_GET);
	kc_op_key(op, "ba", 2);
	kc_op_out(op, out_bad, 1);
	op = kc_batch_add(&bb, __KC_OP_LAST);
	op = kc_batch_add(&bb, KC_OP_SET);
	kc_op_key(op, "", 0);
	op = kc_batch_add(&bb, KC_OP_DEL);
	kc_op_key(op, "ba", 2);
	op = kc_batch_add(&bb, KC_OP_EXISTS);
	kc_op_key(op, "ba", 2);
	ASSERT_EQ(10, bb.count);
	for (i = 0; i < 10; i++)
		bb.ops[i].result = 1;

	ASSERT_EQ(0, kc_batch_submit(self->fd, &bb, 0));
	EXPECT_EQ(10, bb.done);
	EXPECT_EQ(0, bb.result);

	EXPECT_EQ(0, bb.ops[0].result);
	EXPECT_NE(0, bb.ops[0].cas);
	EXPECT_EQ(0, bb.ops[1].result);
	EXPECT_EQ(2U, bb.ops[1].out_used);
	EXPECT_EQ(0, memcmp(out_get, "41", 2));
	EXPECT_EQ(bb.ops[0].cas, bb.ops[1].cas);
	EXPECT_EQ(-ENOENT, bb.ops[2].result);
	EXPECT_EQ(-EEXIST, bb.ops[3].result);
	EXPECT_EQ(0, bb.ops[4].result);
	EXPECT_EQ(42, bb.ops[4].num);
	EXPECT_EQ(-ENOSPC, bb.ops[5].result);
	EXPECT_EQ(2U, bb.ops[5].out_used);
	EXPECT_EQ(-EOPNOTSUPP, bb.ops[6].result);
	EXPECT_EQ(-EINVAL, bb.ops[7].result);
	EXPECT_EQ(0, bb.ops[8].result);
	EXPECT_EQ(-ENOENT, bb.ops[9].result);
	kc_batch_exit(&bb);
}

TEST_F(abi, batch_larger_op_size)
{
	enum { STRIDE = sizeof(struct kc_op) + 24, N = 3 };
	unsigned char recs[N * STRIDE];
	struct kc_op *op;
	struct kc_batch b;
	char out[8];
	int err;

	memset(recs, 0, sizeof(recs));
	op = (struct kc_op *)recs;
	set_str(op, "st", "ab");
	op->size = STRIDE;
	op = (struct kc_op *)(recs + STRIDE);
	kc_op_init(op, KC_OP_GET);
	op->size = STRIDE;
	kc_op_key(op, "st", 2);
	kc_op_out(op, out, sizeof(out));
	op = (struct kc_op *)(recs + 2 * STRIDE);
	kc_op_init(op, KC_OP_STRLEN);
	op->size = STRIDE;
	kc_op_key(op, "st", 2);

	ASSERT_EQ(0, batch(self->fd, &b, recs, N, STRIDE, 0));
	EXPECT_EQ(N, b.done);
	op = (struct kc_op *)(recs + STRIDE);
	EXPECT_EQ(0, op->result);
	EXPECT_EQ(2U, op->out_used);
	EXPECT_EQ(0, memcmp(out, "ab", 2));
	op = (struct kc_op *)(recs + 2 * STRIDE);
	EXPECT_EQ(0, op->result);
	EXPECT_EQ(2, op->num);

	/* A non-zero tail in the middle record: E2BIG, as for one op. */
	recs[2 * STRIDE - 1] = 1;
	err = batch(self->fd, &b, recs, N, STRIDE, 0);
	if (err) {
		EXPECT_EQ(E2BIG, err);
	} else {
		EXPECT_EQ(-E2BIG, b.result);
		EXPECT_EQ(1, b.done);
	}
}

/* Statistics and configuration structs */

TEST_F(abi, stats_size)
{
	struct {
		struct kc_stats st;
		unsigned char tail[16];
	} big;
	/* size, nr_classes, then limit_bytes: a struct cut after 16 bytes. */
	__u32 small[16];

	/* A smaller (older) struct gets only what fits. */
	memset(small, 0xee, sizeof(small));
	small[0] = 16;
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_STATS, small));
	EXPECT_EQ(sizeof(struct kc_stats), small[0]);
	EXPECT_LT(0, small[1]);
	EXPECT_EQ(0xeeeeeeee, small[4]);
	EXPECT_EQ(0xeeeeeeee, small[15]);

	memset(&big, 0, sizeof(big));
	big.st.size = sizeof(big);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_STATS, &big));
	EXPECT_EQ(sizeof(struct kc_stats), big.st.size);
	EXPECT_LT(0, big.st.limit_bytes);
}

TEST_F(abi, config_struct)
{
	struct {
		struct kc_config c;
		unsigned char tail[8];
	} big;
	struct kc_config cfg, orig;

	ASSERT_EQ(0, kc_config_get(self->fd, &orig));
	memset(&big, 0, sizeof(big));
	big.c.size = sizeof(big);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_CONFIG, &big));
	EXPECT_LT(0, big.c.memory_limit_mb);
	big.c.set_mask = 0;
	big.tail[3] = 1;
	EXPECT_EQ(E2BIG, ioc(self->fd, KC_IOC_CONFIG, &big));

	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(-EINVAL, kc_config_set(self->fd, __KC_CONFIG_ALL + 1, &cfg));
	EXPECT_EQ(-EINVAL, kc_config_set(self->fd, 1U << 31, &cfg));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	cfg.memory_limit_mb = 0;
	EXPECT_EQ(-EINVAL, kc_config_set(self->fd, KC_CONFIG_MEMORY_LIMIT, &cfg));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_LT(0, cfg.memory_limit_mb);
	cfg.notify = 2;
	EXPECT_EQ(-EINVAL, kc_config_set(self->fd, KC_CONFIG_NOTIFY, &cfg));
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	cfg.automove = 2;
	EXPECT_EQ(-EINVAL, kc_config_set(self->fd, KC_CONFIG_AUTOMOVE, &cfg));

	/* Nothing changed; put it back if something did. */
	ASSERT_EQ(0, kc_config_get(self->fd, &cfg));
	EXPECT_EQ(orig.memory_limit_mb, cfg.memory_limit_mb);
	EXPECT_EQ(orig.notify, cfg.notify);
	EXPECT_EQ(orig.automove, cfg.automove);
	kc_config_set(self->fd, KC_CONFIG_MEMORY_LIMIT | KC_CONFIG_NOTIFY |
		      KC_CONFIG_AUTOMOVE, &orig);
}

TEST_F(abi, class_stats_req)
{
	struct kc_class_stats_req req;
	struct kc_class_stats cs[4];

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.elem_size = sizeof(cs[0]);
	req.count = 4;
	req.buf = 0;
	EXPECT_EQ(EFAULT, ioc(self->fd, KC_IOC_CLASS_STATS, &req));

	/* Larger request struct: zero tail fine, non-zero tail E2BIG. */
	{
		struct {
			struct kc_class_stats_req r;
			unsigned char tail[8];
		} big;

		memset(&big, 0, sizeof(big));
		big.r.size = sizeof(big);
		big.r.elem_size = sizeof(cs[0]);
		big.r.count = 4;
		big.r.buf = (__u64)(uintptr_t)cs;
		ASSERT_EQ(0, ioc(self->fd, KC_IOC_CLASS_STATS, &big));
		EXPECT_LT(0, big.r.nr_classes);
		big.tail[7] = 1;
		EXPECT_EQ(E2BIG, ioc(self->fd, KC_IOC_CLASS_STATS, &big));
	}
}

/*
 * Entries smaller than the kernel's struct kc_class_stats (an older
 * caller's): each gets the first elem_size bytes, entries advance by
 * elem_size, and nothing past count * elem_size is written.  Below 8
 * bytes (id and chunk_size) is EINVAL.
 */
TEST_F(abi, class_stats_smaller_elem)
{
	static const uint32_t esizes[] = { 8, 12, 16, 56 };
	struct kc_class_stats full[8];
	struct kc_class_stats_req req;
	unsigned char buf[8 * 56 + 64];
	size_t count, nr;
	unsigned int i, c;

	ASSERT_EQ(0, kc_class_stats(self->fd, full, 8, &count, &nr));
	ASSERT_LT(2U, count);
	for (i = 0; i < sizeof(esizes) / sizeof(esizes[0]); i++) {
		uint32_t es = esizes[i];

		memset(buf, 0xee, sizeof(buf));
		memset(&req, 0, sizeof(req));
		req.size = sizeof(req);
		req.elem_size = es;
		req.count = 3;
		req.buf = (__u64)(uintptr_t)buf;
		ASSERT_EQ(0, ioc(self->fd, KC_IOC_CLASS_STATS, &req)) {
			TH_LOG("elem_size %u refused", es);
		}
		EXPECT_EQ(3U, req.count);
		EXPECT_EQ(nr, req.nr_classes);
		for (c = 0; c < 3; c++) {
			/* Fields that do not change: id, chunk size, per page. */
			EXPECT_EQ(0, memcmp(buf + c * es, &full[c],
					    es < 12 ? es : 12)) {
				TH_LOG("elem_size %u: class %u differs", es, c);
			}
		}
		EXPECT_EQ(0xee, buf[3 * es]) {
			TH_LOG("elem_size %u: written past 3 entries", es);
		}
		EXPECT_EQ(0xee, buf[sizeof(buf) - 1]);
	}
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.elem_size = 4;
	req.count = 1;
	req.buf = (__u64)(uintptr_t)buf;
	EXPECT_EQ(EINVAL, ioc(self->fd, KC_IOC_CLASS_STATS, &req));
}

/*
 * Request structs larger than the kernel's: a zero tail is accepted and
 * the kernel writes back no byte past its own struct, so the caller's tail
 * is left as it was (here: zero, and a canary after the caller's struct).
 */
TEST_F(abi, larger_structs_written_back_to_kernel_size)
{
	struct {
		struct kc_config c;
		unsigned char tail[8];
		unsigned char canary[8];
	} cfg;
	struct {
		struct kc_op op;
		unsigned char tail[16];
	} ops[2];
	struct kc_batch b;
	unsigned int i;

	memset(&cfg, 0, sizeof(cfg));
	memset(cfg.canary, 0xee, sizeof(cfg.canary));
	cfg.c.size = sizeof(cfg.c) + sizeof(cfg.tail);
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_CONFIG, &cfg));
	EXPECT_LT(0, cfg.c.memory_limit_mb);
	for (i = 0; i < sizeof(cfg.tail); i++)
		EXPECT_EQ(0, cfg.tail[i]);
	for (i = 0; i < sizeof(cfg.canary); i++)
		EXPECT_EQ(0xee, cfg.canary[i]);

	/* A batch of records of the caller's (larger) size. */
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 2; i++) {
		ops[i].op.size = sizeof(ops[i]);
		ops[i].op.opcode = KC_OP_SET;
		ops[i].op.key = (__u64)(uintptr_t)"abi:big";
		ops[i].op.key_len = 7;
		ops[i].op.val = (__u64)(uintptr_t)"v";
		ops[i].op.val_len = 1;
		ops[i].op.client_flags = 7 + i;
	}
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.count = 2;
	b.op_size = sizeof(ops[0]);
	b.ops = (__u64)(uintptr_t)ops;
	ASSERT_EQ(0, ioc(self->fd, KC_IOC_BATCH, &b));
	EXPECT_EQ(2U, b.done);
	for (i = 0; i < 2; i++) {
		unsigned int j;

		EXPECT_EQ(0, ops[i].op.result);
		EXPECT_EQ(sizeof(ops[i]), ops[i].op.size);
		EXPECT_EQ(KC_OP_SET, ops[i].op.opcode);
		EXPECT_EQ(7 + i, ops[i].op.client_flags);
		for (j = 0; j < sizeof(ops[i].tail); j++)
			EXPECT_EQ(0, ops[i].tail[j]);
	}
}

TEST_HARNESS_MAIN
