/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_OPS_H
#define _KC_OPS_H

#include <linux/kcache.h>

/*
 * struct kc_req - an operation as the kernel runs it.  With kern set, the
 * addresses in op (key, val, out, args and the kc_buf pointers) are kernel
 * pointers (netlink builds such requests); otherwise user pointers.
 */
struct kc_req {
	struct kc_op op;
	bool kern;
};

int kc_check_key_len(u32 len);
int kc_op_run(struct kc_req *req);

#endif /* _KC_OPS_H */
