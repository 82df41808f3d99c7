// SPDX-License-Identifier: GPL-2.0
/*
 * kcache._kcache: Device.batch(), one KC_IOC_BATCH through libkcache's
 * struct kc_pipe (borrowing the Python objects' buffers, no copies), for
 * pipelines and transactions.
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

#include "kcmod.h"

#define SLOT_MIN	(64UL << 10)

struct out_area {
	unsigned char *base;
	size_t slot;
	size_t len;
};

static int out_map(struct out_area *o, size_t nslots)
{
	size_t i;

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
	return 0;
}

static void out_unmap(struct out_area *o)
{
	if (o->base)
		munmap(o->base, o->len);
	o->base = NULL;
}

/* -errno from a kc_pipe setter as a Python exception. */
static int pipe_err(int err)
{
	if (!err)
		return 0;
	errno = -err;
	PyErr_SetFromErrno(err == -ENOMEM ? PyExc_MemoryError : PyExc_OSError);
	return -1;
}

static int parse_op(struct kcpy_args *a, struct kc_pipe *p, PyObject *t,
		    int *reply)
{
	unsigned long opcode, flags, cflags;
	long long num, num2, expire;
	unsigned long long cas;
	PyObject *args;
	const void *ptr;
	size_t len;
	int i;

	if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 11) {
		PyErr_SetString(PyExc_TypeError,
				"a batch op is a tuple (opcode, key, val, args, flags, num, num2, expire, cas, client_flags, reply)");
		return -1;
	}
	opcode = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, 0));
	flags = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, 4));
	num = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 5));
	num2 = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 6));
	expire = PyLong_AsLongLong(PyTuple_GET_ITEM(t, 7));
	cas = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, 8));
	cflags = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(t, 9));
	*reply = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 10));
	if (PyErr_Occurred())
		return -1;
	if (opcode > UINT32_MAX || flags > UINT32_MAX || cflags > UINT32_MAX) {
		PyErr_SetString(PyExc_OverflowError,
				"opcode, flags or client_flags out of 32-bit range");
		return -1;
	}
	if (*reply < KCPY_REPLY_NONE || *reply > KCPY_REPLY_SCAN) {
		PyErr_Format(PyExc_ValueError, "unknown reply kind %d", *reply);
		return -1;
	}
	i = kc_pipe_add(p, (uint32_t)opcode);
	if (i < 0)
		return pipe_err(i);
	if (pipe_err(kc_pipe_set_flags(p, i, (uint32_t)flags)) ||
	    pipe_err(kc_pipe_set_num(p, i, num, num2)) ||
	    pipe_err(kc_pipe_set_expire(p, i, expire)) ||
	    pipe_err(kc_pipe_set_cas(p, i, cas)) ||
	    pipe_err(kc_pipe_set_client_flags(p, i, (uint32_t)cflags)))
		return -1;
	/* KC_PIPE_BORROW: the pipe points into the views a holds. */
	if (PyTuple_GET_ITEM(t, 1) != Py_None) {
		if (kcpy_bytes(a, PyTuple_GET_ITEM(t, 1), "key", &ptr, &len) ||
		    pipe_err(kc_pipe_set_key(p, i, ptr, len)))
			return -1;
	}
	if (PyTuple_GET_ITEM(t, 2) != Py_None) {
		if (kcpy_bytes(a, PyTuple_GET_ITEM(t, 2), "value", &ptr, &len) ||
		    pipe_err(kc_pipe_set_val(p, i, ptr, len)))
			return -1;
	}
	args = PyTuple_GET_ITEM(t, 3);
	if (args != Py_None) {
		PyObject *seq = PySequence_Fast(args, "args must be a sequence");
		Py_ssize_t j;

		if (!seq)
			return -1;
		for (j = 0; j < PySequence_Fast_GET_SIZE(seq); j++) {
			PyObject *it = PySequence_Fast_GET_ITEM(seq, j);

			if (it == Py_None) {
				PyErr_SetString(PyExc_TypeError,
						"an argument may not be None");
				Py_DECREF(seq);
				return -1;
			}
			if (kcpy_bytes(a, it, "argument", &ptr, &len) ||
			    pipe_err(kc_pipe_set_arg(p, i, ptr, len))) {
				Py_DECREF(seq);
				return -1;
			}
		}
		Py_DECREF(seq);
	}
	return 0;
}

static int parse_watch(struct kcpy_args *a, struct kc_pipe *p,
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
	if (n > KC_WATCH_MAX) {
		PyErr_Format(PyExc_ValueError, "%zd watched keys, at most %d",
			     n, KC_WATCH_MAX);
		goto out;
	}
	for (i = 0; i < n; i++) {
		PyObject *w = PySequence_Fast_GET_ITEM(seq, i), *key;
		unsigned long long cas;
		const void *ptr;
		size_t len;

		if (!PyArg_ParseTuple(w, "OK", &key, &cas))
			goto out;
		if (kcpy_bytes(a, key, "watched key", &ptr, &len) ||
		    pipe_err(kc_pipe_watch(p, ptr, len, cas)))
			goto out;
	}
	ret = 0;
out:
	Py_DECREF(seq);
	return ret;
}

/* The Python result of op i of a pipe that ran. */
static PyObject *op_result(struct kc_pipe *p, size_t i, int kind)
{
	int res = kc_pipe_result(p, i);
	PyObject *reply = NULL;
	const void *r;
	size_t len;

	r = kc_pipe_reply(p, i, &len);
	if (kind != KCPY_REPLY_NONE && r &&
	    (res == 0 || (res == -EEXIST && kc_pipe_num(p, i) == 1))) {
		if (kind == KCPY_REPLY_BYTES)
			reply = PyBytes_FromStringAndSize(r, (Py_ssize_t)len);
		else
			reply = kcpy_elems(r, len, kind == KCPY_REPLY_SCAN ?
					   SIZE_MAX : (size_t)kc_pipe_num(p, i));
		if (!reply)
			return NULL;
	}
	if (!reply) {
		reply = Py_None;
		Py_INCREF(reply);
	}
	return Py_BuildValue("(iLKLkN)", res, (long long)kc_pipe_num(p, i),
			     (unsigned long long)kc_pipe_cas(p, i),
			     (long long)kc_pipe_expire(p, i),
			     (unsigned long)kc_pipe_client_flags(p, i), reply);
}

PyObject *kcpy_batch(int fd, PyObject *ops, int txn, PyObject *watch,
		     uint32_t db)
{
	struct out_area out = { 0 };
	struct kcpy_args args;
	struct kc_pipe *p;
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
	p = kc_pipe_new(KC_PIPE_BORROW);
	if (!p) {
		Py_DECREF(seq);
		return PyErr_NoMemory();
	}
	kc_pipe_select(p, db);
	kcpy_arg_init(&args);
	reply = PyMem_Calloc((size_t)n + 1, sizeof(*reply));
	if (!reply) {
		PyErr_NoMemory();
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (parse_op(&args, p, PySequence_Fast_GET_ITEM(seq, i),
			     &reply[i]))
			goto out;
		if (reply[i] != KCPY_REPLY_NONE)
			nrep++;
	}
	if (parse_watch(&args, p, watch))
		goto out;
	if (out_map(&out, nrep))
		goto out;
	for (i = 0, slot = 0; i < n; i++)
		if (reply[i] != KCPY_REPLY_NONE &&
		    pipe_err(kc_pipe_set_reply_buf(p, (size_t)i,
						   out.base + out.slot * slot++,
						   out.slot)))
			goto out;

	Py_BEGIN_ALLOW_THREADS
	ret = txn ? kc_pipe_exec(fd, p) : kc_pipe_run(fd, p);
	Py_END_ALLOW_THREADS

	list = PyList_New(n);
	if (!list)
		goto out;
	for (i = 0; i < n; i++) {
		PyObject *t = op_result(p, (size_t)i, reply[i]);

		if (!t)
			goto out;
		PyList_SET_ITEM(list, i, t);
	}
	res = Py_BuildValue("(inO)", ret, (Py_ssize_t)kc_pipe_done(p), list);
out:
	Py_XDECREF(list);
	out_unmap(&out);
	PyMem_Free(reply);
	kcpy_arg_release(&args);
	kc_pipe_free(p);
	Py_DECREF(seq);
	return res;
}
