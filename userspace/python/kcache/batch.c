// SPDX-License-Identifier: GPL-2.0
/*
 * kcache._kcache: Device.batch(), one KC_IOC_BATCH through libkcache's
 * batch builder, for pipelines and transactions.
 *
 * Reply buffers.  A single op whose reply did not fit is simply run again
 * with the size the kernel asked for; in a batch that is not possible (the
 * ops after it already ran, or the transaction is over), so every op that
 * replies gets room for the largest reply the kernel can give
 * (KC_REPLY_MAX): one anonymous MAP_NORESERVE mapping of that many slots.
 * Only the pages the kernel writes become memory; the first page of each
 * slot is touched beforehand so that small replies do not go through the
 * kernel's fault-in-and-retry path.  If the address space for that is not
 * available (RLIMIT_AS, overcommit "never"), the slots shrink and an op
 * whose reply is larger fails with -ENOSPC.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kcmod.h"

#define SLOT_MIN	(64UL << 10)

struct out_area {
	unsigned char *base;
	size_t slot;
	size_t len;
};

static int out_map(struct out_area *o, size_t nslots)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), i;

	memset(o, 0, sizeof(*o));
	if (!nslots)
		return 0;
	for (o->slot = KC_REPLY_MAX; o->slot >= SLOT_MIN; o->slot /= 4) {
		void *p;

		o->len = o->slot * nslots;
		p = mmap(NULL, o->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED) {
			o->base = p;
			break;
		}
	}
	if (!o->base) {
		PyErr_NoMemory();
		return -1;
	}
	for (i = 0; i < nslots; i++)
		o->base[i * o->slot] = 0;
	(void)page;
	return 0;
}

static void out_unmap(struct out_area *o)
{
	if (o->base)
		munmap(o->base, o->len);
	o->base = NULL;
}

static int parse_op(struct kcpy_args *a, struct kc_batch_builder *b,
		    PyObject *t, int *reply)
{
	unsigned long opcode, flags, cflags;
	struct kc_op *op;

	if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 11) {
		PyErr_SetString(PyExc_TypeError,
				"a batch op is a tuple (opcode, key, val, args, flags, num, num2, expire, cas, client_flags, reply)");
		return -1;
	}
	opcode = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, 0));
	flags = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, 4));
	cflags = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, 9));
	*reply = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 10));
	if (PyErr_Occurred())
		return -1;
	if (opcode > UINT32_MAX || flags > UINT32_MAX || cflags > UINT32_MAX) {
		PyErr_SetString(PyExc_OverflowError,
				"opcode, flags or client_flags out of 32-bit range");
		return -1;
	}
	op = kc_batch_add(b, (uint32_t)opcode);
	if (!op) {
		PyErr_SetFromErrno(PyExc_OSError);
		return -1;
	}
	op->flags = (uint32_t)flags;
	op->client_flags = (uint32_t)cflags;
	op->num = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 5));
	op->num2 = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 6));
	op->expire = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 7));
	op->cas = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, 8));
	if (PyErr_Occurred())
		return -1;
	return kcpy_fill_op(a, op, PyTuple_GET_ITEM(t, 1),
			    PyTuple_GET_ITEM(t, 2), PyTuple_GET_ITEM(t, 3));
}

static int parse_watch(struct kcpy_args *a, struct kc_batch_builder *b,
		       PyObject *watch)
{
	PyObject *seq;
	Py_ssize_t i, n;
	int ret = -1;

	if (watch == Py_None)
		return 0;
	seq = PySequence_Fast(watch, "watch must be a sequence of (key, cas)");
	if (!seq)
		return -1;
	n = PySequence_Fast_GET_SIZE(seq);
	for (i = 0; i < n; i++) {
		PyObject *w = PySequence_Fast_GET_ITEM(seq, i), *key;
		unsigned long long cas;
		const void *p;
		size_t len;
		int err;

		if (!PyArg_ParseTuple(w, "OK", &key, &cas))
			goto out;
		if (kcpy_bytes(a, key, "watched key", &p, &len))
			goto out;
		err = kc_batch_watch(b, p, len, cas);
		if (err) {
			errno = -err;
			PyErr_SetFromErrno(PyExc_OSError);
			goto out;
		}
	}
	ret = 0;
out:
	Py_DECREF(seq);
	return ret;
}

PyObject *kcpy_batch(int fd, PyObject *ops, int txn, PyObject *watch)
{
	struct kc_batch_builder b;
	struct out_area out = { 0 };
	struct kcpy_args args;
	PyObject *seq, *list = NULL, *res = NULL;
	Py_ssize_t n, i;
	size_t nrep = 0, slot;
	int *reply = NULL;
	int ret;

	seq = PySequence_Fast(ops, "ops must be a sequence");
	if (!seq)
		return NULL;
	n = PySequence_Fast_GET_SIZE(seq);
	if (n > KC_BATCH_MAX) {
		Py_DECREF(seq);
		PyErr_Format(PyExc_ValueError,
			     "%zd operations in one batch, at most %d",
			     n, KC_BATCH_MAX);
		return NULL;
	}
	kc_batch_init(&b);
	kcpy_arg_init(&args);
	reply = PyMem_Calloc((size_t)n + 1, sizeof(*reply));
	if (!reply) {
		PyErr_NoMemory();
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (parse_op(&args, &b, PySequence_Fast_GET_ITEM(seq, i),
			     &reply[i]))
			goto out;
		if (reply[i] != KCPY_REPLY_NONE)
			nrep++;
	}
	if (parse_watch(&args, &b, watch))
		goto out;
	if (out_map(&out, nrep))
		goto out;
	for (i = 0, slot = 0; i < n; i++)
		if (reply[i] != KCPY_REPLY_NONE)
			kc_op_out(&b.ops[i], out.base + out.slot * slot++,
				  out.slot);

	Py_BEGIN_ALLOW_THREADS
	ret = kc_batch_submit(fd, &b, txn ? KC_BATCH_TXN : 0);
	Py_END_ALLOW_THREADS

	list = PyList_New(n);
	if (!list)
		goto out;
	for (i = 0; i < n; i++) {
		struct kc_op *op = &b.ops[i];
		PyObject *r = NULL, *t;

		if (reply[i] != KCPY_REPLY_NONE &&
		    (op->result == 0 ||
		     (op->result == -EEXIST && (op->flags & KC_SET_GET)))) {
			if (op->out_used > op->out_len) {
				PyErr_SetString(PyExc_RuntimeError,
						"kcache: reply larger than its buffer");
				goto out;
			}
			if (reply[i] == KCPY_REPLY_BYTES)
				r = PyBytes_FromStringAndSize(
					(const char *)(uintptr_t)op->out,
					op->out_used);
			else
				r = kcpy_elems((const void *)(uintptr_t)op->out,
					       op->out_used,
					       reply[i] == KCPY_REPLY_SCAN ?
					       SIZE_MAX : (size_t)op->num);
			if (!r)
				goto out;
		}
		t = kcpy_result(op, op->result, r);
		if (!t)
			goto out;
		PyList_SET_ITEM(list, i, t);
	}
	res = Py_BuildValue("(ikO)", ret, (unsigned long)b.done, list);
out:
	Py_XDECREF(list);
	out_unmap(&out);
	PyMem_Free(reply);
	kcpy_arg_release(&args);
	kc_batch_exit(&b);
	Py_DECREF(seq);
	return res;
}
