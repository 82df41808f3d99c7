/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_CHARDEV_H
#define _KC_CHARDEV_H

#include <linux/types.h>
#include <linux/uidgid.h>

struct file;

int kc_chardev_init(umode_t mode, kgid_t gid);
void kc_chardev_exit(void);
bool kc_chardev_permitted(struct file *file);

#endif /* _KC_CHARDEV_H */
