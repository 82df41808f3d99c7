// SPDX-License-Identifier: GPL-2.0
/*
 * Regression test for a module bug found by the hardening work (issue #8):
 * kcache copied keys and values from user memory while it held kc.excl_sem
 * -- for writing in a transaction (and MSET, RENAME, SMOVE, the set
 * algebra), for reading in every other operation.  A client whose buffer
 * faults slowly then stalls every client: a transaction whose value sits
 * in a userfaultfd page held up another client's GET of an unrelated key
 * for the whole 4 s the fault took (4005 ms on 6.12, 4002 ms on 6.1), and
 * a SET faulting the same way did so too once an MSET queued behind it (a
 * waiting writer blocks new readers of a per-CPU rwsem).  userfaultfd for
 * kernel faults needs privileges, but a FUSE-backed mapping does the same
 * for an unprivileged user: anyone allowed to open /dev/kcache could
 * freeze the cache for everyone, for as long as they like.
 *
 * Each test stalls one client on a fault that a handler thread resolves
 * after FAULT_MS, and times another client's GET meanwhile: it must take
 * less than half of that.  Stock kernels only (the debug kernel has no
 * CONFIG_USERFAULTFD: the tests skip there).
 *
 * Fixed by copying every input in before the op takes kc.excl_sem and
 * the reply out after it lets go (struct kc_req, design.rst "User memory").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "kc_test.h"

FIXTURE(userfault) {
	int fd;
};

/* Where the stalled request faults, and the result it must end with. */
FIXTURE_VARIANT(userfault) {
	int where;	/* enum uf_where */
	int want;
};

FIXTURE_SETUP(userfault)
{
	KT_ASSERT_OPEN(self->fd);
}

FIXTURE_TEARDOWN(userfault)
{
	kc_flush(self->fd);
	kc_close(self->fd);
}

/*
 * A request whose value sits in memory that faults slowly (userfaultfd
 * here; a FUSE-backed mapping does the same for an unprivileged user)
 * must stall only its caller.  The handler resolves the fault after
 * FAULT_MS; meanwhile another client's GET of another key must answer.
 */
#define FAULT_MS	4000

struct uffd_ctx {
	int uffd;
	char *page;
	size_t psz;
	_Atomic int faulted;
};

static void *uffd_handler(void *arg)
{
	struct uffd_ctx *u = arg;
	struct pollfd p = { .fd = u->uffd, .events = POLLIN };
	struct uffd_msg msg;
	struct uffdio_zeropage z = { 0 };

	if (poll(&p, 1, 20000) <= 0 ||
	    read(u->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return NULL;
	atomic_store(&u->faulted, 1);
	kt_sleep_ms(FAULT_MS);
	z.range.start = (uintptr_t)u->page;
	z.range.len = u->psz;
	ioctl(u->uffd, UFFDIO_ZEROPAGE, &z);
	return NULL;
}

/* Where the stalled request keeps the bytes that fault. */
enum uf_where {
	UF_TXN_VAL,	/* a transaction's SET value */
	UF_SET_VAL,	/* a SET's value */
	UF_KEY,		/* a GET's key */
	UF_ARG,		/* an MGET's key (argument bytes) */
	UF_ARGS,	/* an MGET's kc_buf array */
	UF_OUT,		/* a GET's reply buffer */
	UF_TXN_OUT,	/* a transaction's GET reply buffer */
	UF_GETDEL_OUT,	/* a GETDEL's reply buffer (the op runs again) */
	UF_SETGET_OUT,	/* a SET GET's reply buffer (copied out after) */
};

static const char *const uf_names[] = {
	"a transaction's value", "a SET's value", "a GET's key",
	"an MGET's key", "an MGET's argument array", "a GET's reply buffer",
	"a transaction's reply buffer", "a GETDEL's reply buffer",
	"a SET GET's reply buffer",
};

struct stalled {
	int fd;
	enum uf_where where;
	struct uffd_ctx *u;
	int res;
};

static void *stalled_call(void *arg)
{
	struct stalled *s = arg;
	char *pg = s->u->page;
	struct kc_batch_builder b;
	struct kc_buf kb[1], *kbp;
	struct kc_op *op, one;
	size_t used, n;
	char buf[16];

	switch (s->where) {
	case UF_TXN_VAL:
	case UF_TXN_OUT:
		kc_batch_init(&b);
		if (s->where == UF_TXN_VAL) {
			op = kc_batch_add(&b, KC_OP_SET);
			kc_op_key(op, "uf:txn", 6);
			kc_op_val(op, pg, 64);
		} else {
			op = kc_batch_add(&b, KC_OP_GET);
			kc_op_key(op, "uf:other", 8);
			kc_op_out(op, pg, 64);
		}
		s->res = kc_batch_submit(s->fd, &b, KC_BATCH_TXN);
		if (!s->res)
			s->res = b.ops[0].result;
		kc_batch_exit(&b);
		break;
	case UF_SET_VAL:
		s->res = kc_set(s->fd, "uf:set", 6, pg, 64, 0, 0, 0);
		break;
	case UF_KEY:
		/* The key reads as 8 zero bytes: a miss. */
		s->res = kc_get(s->fd, pg, 8, buf, sizeof(buf), &n, NULL,
				NULL);
		break;
	case UF_ARG:
		kc_buf_set(&kb[0], pg, 8);
		s->res = kc_mget(s->fd, kb, 1, buf, sizeof(buf), &used, &n);
		break;
	case UF_ARGS:
		/* Zero-filled entries: a 0-byte key, -EINVAL. */
		kbp = (struct kc_buf *)pg;
		s->res = kc_mget(s->fd, kbp, 1, buf, sizeof(buf), &used, &n);
		break;
	case UF_OUT:
		s->res = kc_get(s->fd, "uf:other", 8, pg, 64, &n, NULL, NULL);
		break;
	case UF_GETDEL_OUT:
	case UF_SETGET_OUT:
		kc_op_init(&one, s->where == UF_GETDEL_OUT ? KC_OP_GETDEL :
							      KC_OP_SET);
		kc_op_key(&one, "uf:take", 7);
		kc_op_out(&one, pg, 64);
		if (s->where == UF_SETGET_OUT) {
			kc_op_val(&one, "new", 3);
			one.flags = KC_SET_GET;
		}
		s->res = kc_do(s->fd, &one);
		/* The old value reached the faulting page, and only once. */
		if (!s->res && (one.out_used != 3 || memcmp(pg, "old", 3)))
			s->res = -EIO;
		break;
	}
	return NULL;
}

static void *mset_call(void *arg)
{
	struct kc_buf kv[2];
	int fd = *(int *)arg;

	kc_buf_set(&kv[0], "uf:mset", 7);
	kc_buf_set(&kv[1], "v", 1);
	kc_mset(fd, kv, 2);
	return NULL;
}

/* Chunks in use in every slab class (items, and chunks taken for some). */
static uint64_t used_chunks(int fd)
{
	struct kc_class_stats cs[256];
	size_t n = 0, nr = 0, i;
	uint64_t sum = 0;

	if (kc_class_stats(fd, cs, 256, &n, &nr))
		return UINT64_MAX;
	for (i = 0; i < n; i++)
		sum += cs[i].used_chunks;
	return sum;
}

static void user_fault_case(struct __test_metadata *_metadata, int fd,
			    enum uf_where where, int want)
{
	bool txn = where == UF_TXN_VAL || where == UF_TXN_OUT;
	struct uffd_ctx u = { .psz = (size_t)sysconf(_SC_PAGESIZE) };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct stalled st = { .where = where, .u = &u };
	pthread_t h, a, m;
	char buf[16];
	uint64_t chunks;
	int64_t t0, dt;
	int i, fd2;

	u.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(u.uffd, UFFDIO_API, &api));
	u.page = mmap(NULL, u.psz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, u.page);
	reg.range.start = (uintptr_t)u.page;
	reg.range.len = u.psz;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(u.uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, kt_set(fd, "uf:other", "ok"));
	ASSERT_EQ(0, kt_set(fd, "uf:take", "old"));
	st.fd = kc_open();
	fd2 = kc_open();
	ASSERT_LE(0, st.fd);
	ASSERT_LE(0, fd2);

	chunks = used_chunks(fd);
	ASSERT_NE(UINT64_MAX, chunks);
	ASSERT_EQ(0, pthread_create(&h, NULL, uffd_handler, &u));
	ASSERT_EQ(0, pthread_create(&a, NULL, stalled_call, &st));
	for (i = 0; i < 500 && !atomic_load(&u.faulted); i++)
		kt_sleep_ms(10);
	ASSERT_TRUE(atomic_load(&u.faulted));
	/*
	 * A SET whose value faults waits with no chunk taken: a page move
	 * (which waits for every chunk of its page) is not held up by it.
	 */
	if (where == UF_SET_VAL)
		EXPECT_EQ(chunks, used_chunks(fd));
	/* A plain stalled SET holds the read side: queue a writer behind it. */
	if (!txn) {
		ASSERT_EQ(0, pthread_create(&m, NULL, mset_call, &fd2));
		kt_sleep_ms(200);
	}
	t0 = kt_mono_ms();
	EXPECT_EQ(2, kt_get(fd, "uf:other", buf, sizeof(buf)));
	dt = kt_mono_ms() - t0;
	EXPECT_GT(FAULT_MS / 2, dt) {
		TH_LOG("a GET of another key waited %lld ms for a request (%s) whose page faults for %d ms%s",
		       (long long)dt, uf_names[where], FAULT_MS,
		       txn ? "" : ", with an MSET queued behind it");
	}
	pthread_join(a, NULL);
	pthread_join(h, NULL);
	if (!txn)
		pthread_join(m, NULL);
	EXPECT_EQ(want, st.res);
	if (where == UF_GETDEL_OUT)
		EXPECT_EQ(-ENOENT, kt_get(fd, "uf:take", buf, sizeof(buf)));
	if (where == UF_SETGET_OUT) {
		EXPECT_EQ(3, kt_get(fd, "uf:take", buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, "new", 3));
	}
	kc_close(st.fd);
	kc_close(fd2);
	close(u.uffd);
	munmap(u.page, u.psz);
}

/*
 * A transaction holds the cache exclusively; any other request holds it
 * shared, and a writer queued behind it blocks every reader: neither may
 * wait for user memory while it holds it.
 */
FIXTURE_VARIANT_ADD(userfault, transaction_value) {
	.where = UF_TXN_VAL,
	.want = 0,
};

FIXTURE_VARIANT_ADD(userfault, transaction_reply) {
	.where = UF_TXN_OUT,
	.want = 0,
};

FIXTURE_VARIANT_ADD(userfault, set_value) {
	.where = UF_SET_VAL,
	.want = 0,
};

FIXTURE_VARIANT_ADD(userfault, get_key) {
	.where = UF_KEY,
	.want = -ENOENT,
};

FIXTURE_VARIANT_ADD(userfault, mget_key) {
	.where = UF_ARG,
	.want = 0,
};

FIXTURE_VARIANT_ADD(userfault, mget_args) {
	.where = UF_ARGS,
	.want = -EINVAL,
};

FIXTURE_VARIANT_ADD(userfault, get_reply) {
	.where = UF_OUT,
	.want = 0,
};

FIXTURE_VARIANT_ADD(userfault, getdel_reply) {
	.where = UF_GETDEL_OUT,
	.want = 0,
};

FIXTURE_VARIANT_ADD(userfault, set_get_reply) {
	.where = UF_SETGET_OUT,
	.want = 0,
};

TEST_F(userfault, another_client_is_served)
{
	user_fault_case(_metadata, self->fd, variant->where, variant->want);
}

TEST_HARNESS_MAIN
