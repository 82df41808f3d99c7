/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_CHARDEV_H
#define _KC_CHARDEV_H

#include <linux/types.h>
#include <linux/uidgid.h>

int kc_chardev_init(umode_t mode, kgid_t gid);
void kc_chardev_exit(void);

#endif /* _KC_CHARDEV_H */
