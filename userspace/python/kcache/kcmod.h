/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache._kcache internals shared by _kcache.c (the Device type, single
 * ops) and batch.c (KC_IOC_BATCH).
 */
#ifndef KCACHE_PY_KCMOD_H
#define KCACHE_PY_KCMOD_H

#include <Python.h>

#include "libkcache.h"

/* What an op's reply is turned into (the last element of an op tuple). */
enum {
	KCPY_REPLY_NONE = 0,	/* no reply buffer */
	KCPY_REPLY_BYTES,	/* out -> bytes */
	KCPY_REPLY_ELEMS,	/* out -> list of bytes/None (kc_elem records) */
	KCPY_REPLY_SCAN,	/* the same, counted by out_used (num: cursor) */
};

/*
 * The memory behind one call's keys, values and kc_buf arrays: buffer
 * views to release and blocks to free once the ioctl returned.
 */
struct kcpy_args {
	Py_buffer *views;
	size_t nviews, cap_views;
	void **bufs;
	size_t nbufs, cap_bufs;
};

extern PyObject *kcpy_closed_error;

int kcpy_arg_init(struct kcpy_args *a);
void kcpy_arg_release(struct kcpy_args *a);
int kcpy_bytes(struct kcpy_args *a, PyObject *o, const char *what,
	       const void **p, size_t *len);
int kcpy_fill_op(struct kcpy_args *a, struct kc_op *op, PyObject *key,
		 PyObject *val, PyObject *args);
PyObject *kcpy_elems(const void *buf, size_t used, size_t count);
PyObject *kcpy_result(const struct kc_op *op, int ret, PyObject *reply);

/*
 * batch.c: one KC_IOC_BATCH, every op and watched key in database db;
 * called with the Device held open.
 */
PyObject *kcpy_batch(int fd, PyObject *ops, int txn, PyObject *watch,
		     uint32_t db);

#endif /* KCACHE_PY_KCMOD_H */
