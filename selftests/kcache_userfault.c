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
 * Not in selftests/TESTS until the module fix lands: it fails until then.
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

FIXTURE_SETUP(userfault)
{
	self->fd = kc_open();
	ASSERT_LE(0, self->fd) {
		TH_LOG("kc_open: %s (is kcache.ko loaded?)",
		       strerror(-self->fd));
	}
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

struct stalled {
	int fd;
	bool txn;
	struct uffd_ctx *u;
	int res;
};

static void *stalled_call(void *arg)
{
	struct stalled *s = arg;

	if (s->txn) {
		struct kc_batch_builder b;
		struct kc_op *op;

		kc_batch_init(&b);
		op = kc_batch_add(&b, KC_OP_SET);
		kc_op_key(op, "uf:txn", 6);
		kc_op_val(op, s->u->page, 64);
		s->res = kc_batch_submit(s->fd, &b, KC_BATCH_TXN);
		if (!s->res)
			s->res = b.ops[0].result;
		kc_batch_exit(&b);
	} else {
		s->res = kc_set(s->fd, "uf:set", 6, s->u->page, 64, 0, 0, 0);
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

static void user_fault_case(struct __test_metadata *_metadata, int fd,
			    bool txn)
{
	struct uffd_ctx u = { .psz = (size_t)sysconf(_SC_PAGESIZE) };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct stalled st = { .txn = txn, .u = &u };
	pthread_t h, a, m;
	char buf[16];
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
	st.fd = kc_open();
	fd2 = kc_open();
	ASSERT_LE(0, st.fd);
	ASSERT_LE(0, fd2);

	ASSERT_EQ(0, pthread_create(&h, NULL, uffd_handler, &u));
	ASSERT_EQ(0, pthread_create(&a, NULL, stalled_call, &st));
	for (i = 0; i < 500 && !atomic_load(&u.faulted); i++)
		kt_sleep_ms(10);
	ASSERT_TRUE(atomic_load(&u.faulted));
	/* A plain stalled SET holds the read side: queue a writer behind it. */
	if (!txn) {
		ASSERT_EQ(0, pthread_create(&m, NULL, mset_call, &fd2));
		kt_sleep_ms(200);
	}
	t0 = kt_mono_ms();
	EXPECT_EQ(2, kt_get(fd, "uf:other", buf, sizeof(buf)));
	dt = kt_mono_ms() - t0;
	EXPECT_GT(FAULT_MS / 2, dt) {
		TH_LOG("a GET of another key waited %lld ms for %s whose value page faults for %d ms",
		       (long long)dt, txn ? "a transaction" : "a SET (and an MSET queued behind it)",
		       FAULT_MS);
	}
	pthread_join(a, NULL);
	pthread_join(h, NULL);
	if (!txn)
		pthread_join(m, NULL);
	EXPECT_EQ(0, st.res);
	kc_close(st.fd);
	kc_close(fd2);
	close(u.uffd);
	munmap(u.page, u.psz);
}

/* A transaction holds the cache exclusively while it copies its value. */
TEST_F(userfault, transaction_stalls_only_its_caller)
{
	user_fault_case(_metadata, self->fd, true);
}

/* A SET holds it shared; a writer queued behind it blocks every reader. */
TEST_F(userfault, set_stalls_only_its_caller)
{
	user_fault_case(_metadata, self->fd, false);
}

TEST_HARNESS_MAIN
