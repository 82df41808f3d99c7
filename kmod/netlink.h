/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KC_NETLINK_H
#define _KC_NETLINK_H

int kc_genl_init(void);
void kc_genl_exit(void);

#endif /* _KC_NETLINK_H */
