/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_OPS_H
#define _KC_OPS_H

#include <linux/kcache.h>

int kc_check_key_len(u32 len);
int kc_op_run(struct kc_op *op);

#endif /* _KC_OPS_H */
