// SPDX-License-Identifier: GPL-2.0
/*
 * kcache._kcache - the CPython binding of libkcache: one object type,
 * Device, an open /dev/kcache, with the raw calls the Python package builds
 * its redis-py-like API on (kcache/__init__.py).
 *
 *   Device(path)                 open(2) the device
 *   d.op(opcode, key, val, args, flags, num, num2, expire, cas,
 *        client_flags, reply[, db])  one KC_IOC_OP
 *   d.batch(ops, txn, watch[, db])   one KC_IOC_BATCH (batch.c)
 *   d.version(), d.stats(), d.class_stats(), d.config(...)
 *   d.close(), d.fileno(), d.closed
 *
 * An op returns (result, num, cas, expire, client_flags, reply): result is
 * 0 or a negative errno (the ioctl's own failure or kc_op.result, as
 * libkcache's kc_do() gives it); reply is None (REPLY_NONE), bytes
 * (REPLY_BYTES) or a list of bytes/None (REPLY_ELEMS, one per kc_elem
 * record, None for KC_ELEM_NIL).  Keys, values and arguments are any
 * bytes-like object or str (UTF-8).  db is the database (kc_op.db) of
 * the op, or of every op and watched key of a batch; 0 when left out.
 *
 * Threads: the GIL is released around every ioctl, so several threads may
 * use one Device at once (the kernel serialises what must be).  A close()
 * while other threads are inside an ioctl on the same Device only marks it
 * closed; the last of them closes the fd, so a number is never reused
 * under a running call.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libkcache.h"
#include "kcmod.h"

/* First reply buffer of a single op; a larger reply is fetched again. */
#define REPLY_FIRST		4096
#define REPLY_TRIES		8

/* ------------------------------------------------------------ arguments */

int kcpy_arg_init(struct kcpy_args *a)
{
	memset(a, 0, sizeof(*a));
	return 0;
}

void kcpy_arg_release(struct kcpy_args *a)
{
	size_t i;

	for (i = 0; i < a->nviews; i++)
		PyBuffer_Release(&a->views[i]);
	PyMem_Free(a->views);
	for (i = 0; i < a->nbufs; i++)
		PyMem_Free(a->bufs[i]);
	PyMem_Free(a->bufs);
	memset(a, 0, sizeof(*a));
}

/*
 * Pointer and length of a bytes-like object or str, valid until
 * kcpy_arg_release(a).  None gives an empty argument (NULL, 0).
 */
int kcpy_bytes(struct kcpy_args *a, PyObject *o, const char *what,
	       const void **p, size_t *len)
{
	Py_ssize_t n;
	Py_buffer *v;

	if (o == Py_None) {
		*p = NULL;
		*len = 0;
		return 0;
	}
	if (PyUnicode_Check(o)) {
		/* The UTF-8 form is cached in the str: it lives as long as o. */
		const char *s = PyUnicode_AsUTF8AndSize(o, &n);

		if (!s)
			return -1;
		*p = s;
		*len = (size_t)n;
		return 0;
	}
	if (!PyObject_CheckBuffer(o)) {
		PyErr_Format(PyExc_TypeError,
			     "%s must be bytes, bytearray, memoryview or str, not %.80s",
			     what, Py_TYPE(o)->tp_name);
		return -1;
	}
	if (a->nviews == a->cap_views) {
		size_t ncap = a->cap_views ? a->cap_views * 2 : 4;
		Py_buffer *nv = PyMem_Realloc(a->views, ncap * sizeof(*nv));

		if (!nv) {
			PyErr_NoMemory();
			return -1;
		}
		a->views = nv;
		a->cap_views = ncap;
	}
	v = &a->views[a->nviews];
	if (PyObject_GetBuffer(o, v, PyBUF_SIMPLE) < 0)
		return -1;
	a->nviews++;
	*p = v->buf;
	*len = (size_t)v->len;
	return 0;
}

/* Memory freed by kcpy_arg_release(a). */
static void *arg_alloc(struct kcpy_args *a, size_t size)
{
	void *p;

	if (a->nbufs == a->cap_bufs) {
		size_t ncap = a->cap_bufs ? a->cap_bufs * 2 : 4;
		void **nb = PyMem_Realloc(a->bufs, ncap * sizeof(*nb));

		if (!nb) {
			PyErr_NoMemory();
			return NULL;
		}
		a->bufs = nb;
		a->cap_bufs = ncap;
	}
	p = PyMem_Malloc(size ? size : 1);
	if (!p) {
		PyErr_NoMemory();
		return NULL;
	}
	a->bufs[a->nbufs++] = p;
	return p;
}

/*
 * Fills op's key, val and args from Python objects (None: absent; args a
 * list or tuple).
 */
int kcpy_fill_op(struct kcpy_args *a, struct kc_op *op, PyObject *key,
		 PyObject *val, PyObject *args)
{
	const void *p;
	size_t n;

	if (kcpy_bytes(a, key, "key", &p, &n))
		return -1;
	kc_op_key(op, p, n);
	if (kcpy_bytes(a, val, "value", &p, &n))
		return -1;
	kc_op_val(op, p, n);
	if (args != Py_None) {
		PyObject *seq = PySequence_Fast(args, "args must be a sequence");
		struct kc_buf *bufs;
		Py_ssize_t i, cnt;

		if (!seq)
			return -1;
		cnt = PySequence_Fast_GET_SIZE(seq);
		bufs = arg_alloc(a, (size_t)cnt * sizeof(*bufs));
		if (!bufs) {
			Py_DECREF(seq);
			return -1;
		}
		for (i = 0; i < cnt; i++) {
			PyObject *it = PySequence_Fast_GET_ITEM(seq, i);

			if (it == Py_None) {
				PyErr_SetString(PyExc_TypeError,
						"an argument may not be None");
				Py_DECREF(seq);
				return -1;
			}
			if (kcpy_bytes(a, it, "argument", &p, &n)) {
				Py_DECREF(seq);
				return -1;
			}
			kc_buf_set(&bufs[i], p, n);
		}
		/* The items stay alive: the caller holds args. */
		Py_DECREF(seq);
		kc_op_args(op, bufs, (size_t)cnt);
	}
	return 0;
}

/*
 * kc_elem records -> list of bytes (None for KC_ELEM_NIL).  count is
 * kc_op.num, or SIZE_MAX when num is something else (SCAN's cursor): then
 * every record in used bytes.
 */
PyObject *kcpy_elems(const void *buf, size_t used, size_t count)
{
	struct kc_elem_iter it;
	const struct kc_elem *e;
	const void *data;
	PyObject *list = PyList_New(0);

	if (!list)
		return NULL;
	kc_elem_iter_init(&it, buf, used, count);
	while ((count != SIZE_MAX || it.off < it.len) &&
	       (e = kc_elem_next(&it, &data))) {
		PyObject *o;

		if (e->flags & KC_ELEM_NIL) {
			o = Py_None;
			Py_INCREF(o);
		} else {
			o = PyBytes_FromStringAndSize(data, e->len);
		}
		if (!o || PyList_Append(list, o)) {
			Py_XDECREF(o);
			Py_DECREF(list);
			return NULL;
		}
		Py_DECREF(o);
	}
	if (it.err) {
		Py_DECREF(list);
		PyErr_SetString(PyExc_RuntimeError,
				"kcache: malformed reply records from the kernel");
		return NULL;
	}
	return list;
}

PyObject *kcpy_result(const struct kc_op *op, int ret, PyObject *reply)
{
	PyObject *t;

	if (!reply) {
		reply = Py_None;
		Py_INCREF(reply);
	}
	t = Py_BuildValue("(iLKLkN)", ret, (long long)op->num,
			  (unsigned long long)op->cas, (long long)op->expire,
			  (unsigned long)op->client_flags, reply);
	return t;
}

/* --------------------------------------------------------------- Device */

typedef struct {
	PyObject_HEAD
	int fd;
	int users;	/* threads inside an ioctl on fd (GIL held to change) */
	int closing;	/* close() called while users > 0 */
} Device;

static int dev_enter(Device *d)
{
	if (d->fd < 0 || d->closing) {
		PyErr_SetString(kcpy_closed_error, "the kcache device is closed");
		return -1;
	}
	d->users++;
	return 0;
}

static void dev_leave(Device *d)
{
	if (--d->users == 0 && d->closing) {
		kc_close(d->fd);
		d->fd = -1;
		d->closing = 0;
	}
}

static int Device_init(Device *d, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "path", NULL };
	const char *path = KC_DEVICE_PATH;
	int fd;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|s", kwlist, &path))
		return -1;
	if (d->fd >= 0) {
		PyErr_SetString(PyExc_RuntimeError, "Device already open");
		return -1;
	}
	Py_BEGIN_ALLOW_THREADS
	fd = kc_open_path(path);
	Py_END_ALLOW_THREADS
	if (fd < 0) {
		errno = -fd;
		PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
		return -1;
	}
	d->fd = fd;
	return 0;
}

static PyObject *Device_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
	Device *d = (Device *)type->tp_alloc(type, 0);

	if (d)
		d->fd = -1;
	return (PyObject *)d;
}

static void Device_dealloc(Device *d)
{
	/* No thread can be inside an ioctl: each holds a reference. */
	kc_close(d->fd);
	Py_TYPE(d)->tp_free((PyObject *)d);
}

static PyObject *Device_close(Device *d, PyObject *unused)
{
	if (d->fd >= 0 && !d->closing) {
		if (d->users) {
			d->closing = 1;
		} else {
			kc_close(d->fd);
			d->fd = -1;
		}
	}
	Py_RETURN_NONE;
}

static PyObject *Device_fileno(Device *d, PyObject *unused)
{
	if (dev_enter(d))
		return NULL;
	dev_leave(d);
	return PyLong_FromLong(d->fd);
}

static PyObject *Device_closed(Device *d, void *unused)
{
	return PyBool_FromLong(d->fd < 0 || d->closing);
}

/* Runs op with a reply of kind reply_kind; grows the buffer on -ENOSPC. */
static PyObject *run_op(Device *d, struct kc_op *op, int reply_kind)
{
	size_t size = REPLY_FIRST;
	struct kc_op in;
	PyObject *reply = NULL;
	void *buf = NULL;
	int ret = 0, tries;

	if (reply_kind == KCPY_REPLY_NONE) {
		Py_BEGIN_ALLOW_THREADS
		ret = kc_do(d->fd, op);
		Py_END_ALLOW_THREADS
		return kcpy_result(op, ret, NULL);
	}
	/*
	 * An op whose reply did not fit changed nothing (uapi.rst, "Reply
	 * buffer"), so running it again with the size it asked for is safe,
	 * from its original inputs: num, cas, expire and client_flags are
	 * written back (LRANGE's start, SCAN's cursor).
	 */
	in = *op;
	for (tries = 0; tries < REPLY_TRIES; tries++) {
		void *nb = PyMem_Realloc(buf, size ? size : 1);

		if (!nb) {
			PyMem_Free(buf);
			return PyErr_NoMemory();
		}
		buf = nb;
		*op = in;
		kc_op_out(op, buf, size);
		Py_BEGIN_ALLOW_THREADS
		ret = kc_do(d->fd, op);
		Py_END_ALLOW_THREADS
		if (ret != -ENOSPC)
			break;
		size = op->out_used;
	}
	if (ret == 0 || (ret == -EEXIST && (op->flags & KC_SET_GET))) {
		if (reply_kind == KCPY_REPLY_BYTES)
			reply = PyBytes_FromStringAndSize(buf, op->out_used);
		else
			reply = kcpy_elems(buf, op->out_used,
					   reply_kind == KCPY_REPLY_SCAN ?
					   SIZE_MAX : (size_t)op->num);
		if (!reply) {
			PyMem_Free(buf);
			return NULL;
		}
	}
	PyMem_Free(buf);
	return kcpy_result(op, ret, reply);
}

static PyObject *Device_op(Device *d, PyObject *const *a, Py_ssize_t n)
{
	unsigned long opcode, flags, cflags, db = 0;
	long long num, num2, expire;
	unsigned long long cas;
	struct kcpy_args args;
	struct kc_op op;
	PyObject *res = NULL;
	int reply;

	if (n != 11 && n != 12) {
		PyErr_SetString(PyExc_TypeError,
				"op(opcode, key, val, args, flags, num, num2, expire, cas, client_flags, reply[, db])");
		return NULL;
	}
	opcode = PyLong_AsUnsignedLong(a[0]);
	flags = PyLong_AsUnsignedLong(a[4]);
	num = PyLong_AsLongLong(a[5]);
	num2 = PyLong_AsLongLong(a[6]);
	expire = PyLong_AsLongLong(a[7]);
	cas = PyLong_AsUnsignedLongLong(a[8]);
	cflags = PyLong_AsUnsignedLong(a[9]);
	reply = PyLong_AsLong(a[10]);
	if (n == 12)
		db = PyLong_AsUnsignedLong(a[11]);
	if (PyErr_Occurred())
		return NULL;
	if (opcode > UINT32_MAX || flags > UINT32_MAX || cflags > UINT32_MAX ||
	    db > UINT32_MAX) {
		PyErr_SetString(PyExc_OverflowError,
				"opcode, flags, client_flags or db out of 32-bit range");
		return NULL;
	}
	if (reply < KCPY_REPLY_NONE || reply > KCPY_REPLY_SCAN) {
		PyErr_Format(PyExc_ValueError, "unknown reply kind %d", reply);
		return NULL;
	}
	kcpy_arg_init(&args);
	kc_op_init(&op, (uint32_t)opcode);
	op.flags = (uint32_t)flags;
	op.num = num;
	op.num2 = num2;
	op.expire = expire;
	op.cas = cas;
	op.client_flags = (uint32_t)cflags;
	op.db = (uint32_t)db;
	if (kcpy_fill_op(&args, &op, a[1], a[2], a[3]))
		goto out;
	if (dev_enter(d))
		goto out;
	res = run_op(d, &op, reply);
	dev_leave(d);
out:
	kcpy_arg_release(&args);
	return res;
}

static PyObject *Device_batch(Device *d, PyObject *args)
{
	PyObject *ops, *watch, *res;
	unsigned int db = 0;
	int txn;

	if (!PyArg_ParseTuple(args, "OpO|I", &ops, &txn, &watch, &db))
		return NULL;
	if (dev_enter(d))
		return NULL;
	res = kcpy_batch(d->fd, ops, txn, watch, db);
	dev_leave(d);
	return res;
}

/* Raises OSError for a failed ioctl (ret < 0). */
static PyObject *ioctl_error(int ret)
{
	errno = -ret;
	return PyErr_SetFromErrno(PyExc_OSError);
}

static PyObject *Device_version(Device *d, PyObject *unused)
{
	struct kc_version v;
	int ret;

	if (dev_enter(d))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = kc_version(d->fd, &v);
	Py_END_ALLOW_THREADS
	dev_leave(d);
	if (ret)
		return ioctl_error(ret);
	return Py_BuildValue("{sksksksksksk}",
			     "abi_version", (unsigned long)v.abi_version,
			     "key_max", (unsigned long)v.key_max,
			     "item_size_max", (unsigned long)v.item_size_max,
			     "op_size", (unsigned long)v.op_size,
			     "batch_max", (unsigned long)v.batch_max,
			     "nr_classes", (unsigned long)v.nr_classes);
}

#define U64(st, f) #f, (unsigned long long)(st).f

static PyObject *Device_stats(Device *d, PyObject *unused)
{
	struct kc_stats s;
	PyObject *r;
	int ret;

	if (dev_enter(d))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = kc_stats(d->fd, &s);
	Py_END_ALLOW_THREADS
	dev_leave(d);
	if (ret)
		return ioctl_error(ret);
	r = Py_BuildValue("{sKsKsKsKsKsKsKsKsKsKsKsKsKsKsKsK}",
			  U64(s, nr_classes), U64(s, limit_bytes),
			  U64(s, used_bytes), U64(s, slab_pages),
			  U64(s, large_bytes), U64(s, curr_items),
			  U64(s, total_items), U64(s, bytes),
			  U64(s, get_hits), U64(s, get_misses),
			  U64(s, get_expired), U64(s, cmd_get),
			  U64(s, cmd_set), U64(s, cmd_touch),
			  U64(s, delete_hits), U64(s, delete_misses));
	if (!r)
		return NULL;
	{
		PyObject *more = Py_BuildValue(
			"{sKsKsKsKsKsKsKsKsKsKsKsKsKsKsKsKsK}",
			U64(s, incr_hits), U64(s, incr_misses),
			U64(s, cas_hits), U64(s, cas_badval),
			U64(s, cas_misses), U64(s, evictions),
			U64(s, expired_unfetched), U64(s, evicted_unfetched),
			U64(s, reclaimed), U64(s, crawler_reclaimed),
			U64(s, outofmemory), U64(s, slabs_moved),
			U64(s, shrinker_freed), U64(s, hash_items),
			U64(s, uptime_ms), U64(s, cas_counter),
			"size", (unsigned long long)s.size);

		if (!more || PyDict_Update(r, more)) {
			Py_XDECREF(more);
			Py_DECREF(r);
			return NULL;
		}
		Py_DECREF(more);
	}
	return r;
}

static PyObject *Device_class_stats(Device *d, PyObject *unused)
{
	size_t room = 64, count = 0, nr = 0, i;
	struct kc_class_stats *cs = NULL;
	PyObject *list;
	int ret;

	if (dev_enter(d))
		return NULL;
	for (;;) {
		struct kc_class_stats *n = PyMem_Realloc(cs, room * sizeof(*cs));

		if (!n) {
			dev_leave(d);
			PyMem_Free(cs);
			return PyErr_NoMemory();
		}
		cs = n;
		Py_BEGIN_ALLOW_THREADS
		ret = kc_class_stats(d->fd, cs, room, &count, &nr);
		Py_END_ALLOW_THREADS
		if (ret || nr <= room)
			break;
		room = nr;
	}
	dev_leave(d);
	if (ret) {
		PyMem_Free(cs);
		return ioctl_error(ret);
	}
	list = PyList_New(0);
	for (i = 0; list && i < count; i++) {
		struct kc_class_stats *c = &cs[i];
		PyObject *o = Py_BuildValue(
			"{sksksksKsKsKsKsKsKsKsKsKsKsK}",
			"id", (unsigned long)c->id,
			"chunk_size", (unsigned long)c->chunk_size,
			"chunks_per_page", (unsigned long)c->chunks_per_page,
			U64(*c, pages), U64(*c, used_chunks),
			U64(*c, free_chunks), U64(*c, items), U64(*c, hot),
			U64(*c, warm), U64(*c, cold), U64(*c, evictions),
			U64(*c, reclaimed), U64(*c, outofmemory),
			U64(*c, mem_requested));

		if (!o || PyList_Append(list, o)) {
			Py_XDECREF(o);
			Py_CLEAR(list);
			break;
		}
		Py_DECREF(o);
	}
	PyMem_Free(cs);
	return list;
}

static PyObject *config_dict(const struct kc_config *c)
{
	return Py_BuildValue("{sKsksksksksksk}",
			     "memory_limit_mb", (unsigned long long)c->memory_limit_mb,
			     "notify", (unsigned long)c->notify,
			     "automove", (unsigned long)c->automove,
			     "item_size_max", (unsigned long)c->item_size_max,
			     "chunk_min", (unsigned long)c->chunk_min,
			     "growth_factor_pct", (unsigned long)c->growth_factor_pct,
			     "noevict", (unsigned long)c->noevict);
}

/*
 * config(set_mask=0, memory_limit_mb=0, notify=0, automove=0, noevict=0)
 * -> dict
 */
static PyObject *Device_config(Device *d, PyObject *args)
{
	unsigned int mask = 0, notify = 0, automove = 0, noevict = 0;
	unsigned long long mb = 0;
	struct kc_config c;
	int ret;

	if (!PyArg_ParseTuple(args, "|IKIII", &mask, &mb, &notify, &automove,
			      &noevict))
		return NULL;
	memset(&c, 0, sizeof(c));
	c.memory_limit_mb = mb;
	c.notify = notify;
	c.automove = automove;
	c.noevict = noevict;
	if (dev_enter(d))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	ret = mask ? kc_config_set(d->fd, mask, &c) : kc_config_get(d->fd, &c);
	Py_END_ALLOW_THREADS
	dev_leave(d);
	if (ret)
		return ioctl_error(ret);
	return config_dict(&c);
}

static PyMethodDef Device_methods[] = {
	{ "op", (PyCFunction)(void (*)(void))Device_op, METH_FASTCALL,
	  "op(opcode, key, val, args, flags, num, num2, expire, cas, client_flags, reply[, db])"
	  " -> (result, num, cas, expire, client_flags, reply): one KC_IOC_OP" },
	{ "batch", (PyCFunction)Device_batch, METH_VARARGS,
	  "batch(ops, txn, watch[, db]) -> (result, done, [op results]): one KC_IOC_BATCH" },
	{ "version", (PyCFunction)Device_version, METH_NOARGS,
	  "KC_IOC_VERSION as a dict" },
	{ "stats", (PyCFunction)Device_stats, METH_NOARGS,
	  "KC_IOC_STATS as a dict" },
	{ "class_stats", (PyCFunction)Device_class_stats, METH_NOARGS,
	  "KC_IOC_CLASS_STATS as a list of dicts" },
	{ "config", (PyCFunction)Device_config, METH_VARARGS,
	  "config(set_mask=0, memory_limit_mb=0, notify=0, automove=0) -> dict" },
	{ "close", (PyCFunction)Device_close, METH_NOARGS, "close the device" },
	{ "fileno", (PyCFunction)Device_fileno, METH_NOARGS, "the fd" },
	{ NULL }
};

static PyGetSetDef Device_getset[] = {
	{ "closed", (getter)Device_closed, NULL, "True once close()d", NULL },
	{ NULL }
};

static PyTypeObject DeviceType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kcache._kcache.Device",
	.tp_basicsize = sizeof(Device),
	.tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
	.tp_doc = "Device(path='/dev/kcache'): an open kcache device",
	.tp_new = Device_new,
	.tp_init = (initproc)Device_init,
	.tp_dealloc = (destructor)Device_dealloc,
	.tp_methods = Device_methods,
	.tp_getset = Device_getset,
};

/* -------------------------------------------------------------- module */

PyObject *kcpy_closed_error;

struct kconst {
	const char *name;
	long long value;
};

#define C(x) { #x, (long long)(x) }
static const struct kconst consts[] = {
	C(KC_ABI_VERSION), C(KC_KEY_MAX), C(KC_BATCH_MAX), C(KC_WATCH_MAX),
	C(KC_ARGS_MAX), C(KC_REPLY_MAX), C(KC_INPUT_MAX),
	C(KC_OP_NOP), C(KC_OP_GET), C(KC_OP_SET), C(KC_OP_ADD),
	C(KC_OP_REPLACE), C(KC_OP_APPEND), C(KC_OP_PREPEND), C(KC_OP_DEL),
	C(KC_OP_EXISTS), C(KC_OP_INCRBY), C(KC_OP_DECRBY), C(KC_OP_GETBIT),
	C(KC_OP_SETBIT), C(KC_OP_TOUCH), C(KC_OP_EXPIRE), C(KC_OP_PERSIST),
	C(KC_OP_TTL), C(KC_OP_MGET), C(KC_OP_MSET), C(KC_OP_FLUSH),
	C(KC_OP_STRLEN), C(KC_OP_GETDEL), C(KC_OP_GETRANGE),
	C(KC_OP_SETRANGE), C(KC_OP_TYPE), C(KC_OP_RENAME),
	C(KC_OP_LPUSH), C(KC_OP_RPUSH), C(KC_OP_LPOP), C(KC_OP_RPOP),
	C(KC_OP_LRANGE), C(KC_OP_LLEN), C(KC_OP_LINDEX), C(KC_OP_LSET),
	C(KC_OP_LREM), C(KC_OP_LTRIM), C(KC_OP_LINSERT),
	C(KC_OP_HSET), C(KC_OP_HGET), C(KC_OP_HMGET), C(KC_OP_HDEL),
	C(KC_OP_HLEN), C(KC_OP_HEXISTS), C(KC_OP_HGETALL), C(KC_OP_HKEYS),
	C(KC_OP_HVALS), C(KC_OP_HINCRBY), C(KC_OP_HSTRLEN),
	C(KC_OP_SADD), C(KC_OP_SREM), C(KC_OP_SMEMBERS), C(KC_OP_SISMEMBER),
	C(KC_OP_SMISMEMBER), C(KC_OP_SCARD), C(KC_OP_SPOP),
	C(KC_OP_SRANDMEMBER), C(KC_OP_SMOVE), C(KC_OP_SDIFF),
	C(KC_OP_SINTER), C(KC_OP_SUNION), C(KC_OP_SDIFFSTORE),
	C(KC_OP_SINTERSTORE), C(KC_OP_SUNIONSTORE), C(KC_OP_SCAN),
	C(KC_OP_LMOVE), C(KC_OP_LMPOP), C(KC_OP_BLMOVE), C(KC_OP_BLMPOP),
	C(KC_OP_DBSIZE), C(KC_OP_MOVE), C(KC_OP_SWAPDB),
	C(KC_OP_MAX), C(KC_DB_COUNT),
	C(KC_TYPE_NONE), C(KC_TYPE_STRING), C(KC_TYPE_LIST), C(KC_TYPE_HASH),
	C(KC_TYPE_SET), C(KC_TYPE_ZSET),
	C(KC_SET_NX), C(KC_SET_XX), C(KC_SET_CAS), C(KC_SET_GET),
	C(KC_SET_KEEPTTL), C(KC_TTL_MS), C(KC_TTL_ABS), C(KC_EXPIRE_NX),
	C(KC_EXPIRE_XX), C(KC_EXPIRE_GT), C(KC_EXPIRE_LT), C(KC_GET_TOUCH),
	C(KC_GET_NOBUMP), C(KC_APPEND_CREATE), C(KC_POP_COUNT),
	C(KC_LINSERT_BEFORE), C(KC_LINSERT_AFTER), C(KC_FLUSH_DB),
	C(KC_CONFIG_MEMORY_LIMIT), C(KC_CONFIG_NOTIFY), C(KC_CONFIG_AUTOMOVE),
	C(KC_CONFIG_NOEVICT),
	C(KC_GENL_VERSION), C(KC_NL_VALUE_MAX), C(KC_PATTERN_MAX),
	C(KC_CHANNEL_MAX),
	C(KC_CMD_PUBLISH), C(KC_CMD_MESSAGE), C(KC_CMD_EVENT),
	C(KC_EVENT_SET), C(KC_EVENT_DEL), C(KC_EVENT_EXPIRE),
	C(KC_EVENT_EVICT), C(KC_EVENT_FLUSH),
	C(KC_A_CHANNEL), C(KC_A_MESSAGE), C(KC_A_EVENT), C(KC_A_KEY),
	C(KC_A_DB),
	{ "REPLY_NONE", KCPY_REPLY_NONE }, { "REPLY_BYTES", KCPY_REPLY_BYTES },
	{ "REPLY_ELEMS", KCPY_REPLY_ELEMS }, { "REPLY_SCAN", KCPY_REPLY_SCAN },
	{ NULL, 0 }
};

static struct PyModuleDef kcache_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "kcache._kcache",
	.m_doc = "libkcache for Python: the raw /dev/kcache calls",
	.m_size = -1,
};

PyMODINIT_FUNC PyInit__kcache(void)
{
	const struct kconst *c;
	PyObject *m;

	if (PyType_Ready(&DeviceType) < 0)
		return NULL;
	m = PyModule_Create(&kcache_module);
	if (!m)
		return NULL;
	kcpy_closed_error = PyErr_NewException("kcache._kcache.ClosedError",
					       PyExc_ValueError, NULL);
	if (!kcpy_closed_error)
		goto err;
	Py_INCREF(kcpy_closed_error);
	if (PyModule_AddObject(m, "ClosedError", kcpy_closed_error) < 0) {
		Py_DECREF(kcpy_closed_error);
		goto err;
	}
	Py_INCREF(&DeviceType);
	if (PyModule_AddObject(m, "Device", (PyObject *)&DeviceType) < 0) {
		Py_DECREF(&DeviceType);
		goto err;
	}
	for (c = consts; c->name; c++)
		if (PyModule_AddObject(m, c->name,
				       PyLong_FromLongLong(c->value)) < 0)
			goto err;
	if (PyModule_AddStringConstant(m, "KC_DEVICE_PATH", KC_DEVICE_PATH) < 0 ||
	    PyModule_AddStringConstant(m, "KC_GENL_NAME", KC_GENL_NAME) < 0 ||
	    PyModule_AddStringConstant(m, "KC_MCGRP_PUBSUB", KC_MCGRP_PUBSUB) < 0 ||
	    PyModule_AddStringConstant(m, "KC_MCGRP_KEYSPACE", KC_MCGRP_KEYSPACE) < 0)
		goto err;
	return m;
err:
	Py_DECREF(m);
	return NULL;
}
