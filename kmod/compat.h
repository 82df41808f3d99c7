/* SPDX-License-Identifier: GPL-2.0 */
/* Differences between the kernel versions kcache builds for (6.1 .. 6.12). */
#ifndef _KC_COMPAT_H
#define _KC_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/shrinker.h>

typedef unsigned long (*kc_shrink_fn)(struct shrinker *,
				      struct shrink_control *);

#if KERNEL_VERSION(6, 7, 0) <= LINUX_VERSION_CODE
static inline struct shrinker *kc_shrinker_create(kc_shrink_fn count,
						  kc_shrink_fn scan,
						  const char *name)
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	shrinker_register(s);
	return s;
}

static inline void kc_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *kc_shrinker_create(kc_shrink_fn count,
						  kc_shrink_fn scan,
						  const char *name)
{
	static struct shrinker kc_shrinker_storage;

	kc_shrinker_storage.count_objects = count;
	kc_shrinker_storage.scan_objects = scan;
	kc_shrinker_storage.seeks = DEFAULT_SEEKS;
	if (register_shrinker(&kc_shrinker_storage, "%s", name))
		return NULL;
	return &kc_shrinker_storage;
}

static inline void kc_shrinker_destroy(struct shrinker *s)
{
	unregister_shrinker(s);
}
#endif

/* struct device_type's devnode() took a const device from 6.2 on. */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define KC_DEVNODE_CONST const
#else
#define KC_DEVNODE_CONST
#endif

/*
 * Generic netlink: pre_doit() gets the split form of an op from 6.2 on;
 * a dump's parsed attributes live in a struct genl_info from 6.6 on.
 */
#if KERNEL_VERSION(6, 2, 0) <= LINUX_VERSION_CODE
#define kc_genl_op genl_split_ops
#else
#define kc_genl_op genl_ops
#endif

#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
#define kc_dump_attrs(cb)	(genl_info_dump(cb)->attrs)
#else
#define kc_dump_attrs(cb)	(genl_dumpit_info(cb)->attrs)
#endif

/* Extack messages with numbers in them exist from 6.2 on; 6.1 gets msg. */
#ifdef NL_SET_ERR_MSG_FMT
#define KC_SET_ERR_MSG_FMT(extack, msg, fmt, ...) do {		\
	(void)(msg);						\
	NL_SET_ERR_MSG_FMT(extack, fmt, ##__VA_ARGS__);		\
} while (0)
#else
#define KC_SET_ERR_MSG_FMT(extack, msg, fmt, ...) do {		\
	(void)(fmt);						\
	NL_SET_ERR_MSG(extack, msg);				\
} while (0)
#endif

#endif /* _KC_COMPAT_H */
