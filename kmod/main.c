// SPDX-License-Identifier: GPL-2.0
/*
 * kcache: an in-kernel memcached/Redis-style cache.  This file only takes
 * the module parameters and brings the parts up and down, in reverse.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include "kcache.h"
#include "automover.h"
#include "crawler.h"
#include "index.h"
#include "shrinker.h"
#include "slab.h"
#include "chardev.h"
#include "wait.h"
#include "netlink.h"
#include "stats.h"
#include "container.h"
#include "instance.h"
#include "config.h"

#define KC_VERSION		"0.1"

static unsigned long memory_mb = 64;
module_param(memory_mb, ulong, 0444);
MODULE_PARM_DESC(memory_mb, "Memory limit in MiB for items (default 64, min 2; runtime: KC_IOC_CONFIG)");

static unsigned long netns_memory_mb = 16;
module_param(netns_memory_mb, ulong, 0444);
MODULE_PARM_DESC(netns_memory_mb, "Memory limit in MiB of the cache of each network namespace but the initial one (default 16, min 2)");

/*
 * memory_ceiling_mb: what all instances' limits may add up to.  Writable at
 * run time through sysfs (the initial namespace's root); a write below the
 * current sum fails with EBUSY.
 */
static unsigned long memory_ceiling_mb;
static bool kc_up;

static int ceiling_set(const char *val, const struct kernel_param *kp)
{
	unsigned long mb;
	int err = kstrtoul(val, 0, &mb);

	if (err)
		return err;
	if (mb > (1UL << 24))
		return -EINVAL;
	if (READ_ONCE(kc_up)) {
		err = kc_config_set_ceiling(mb);
		if (err)
			return err;
	}
	memory_ceiling_mb = mb;
	return 0;
}

static int ceiling_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(kc_up) ?
			  kc_config_ceiling_mb() : (u64)memory_ceiling_mb);
}

static const struct kernel_param_ops ceiling_ops = {
	.set = ceiling_set,
	.get = ceiling_get,
};
module_param_cb(memory_ceiling_mb, &ceiling_ops, NULL, 0644);
MODULE_PARM_DESC(memory_ceiling_mb, "Most MiB all namespaces' caches may have together (default 0: the machine's memory; runtime: sysfs)");

static unsigned int chunk_min = 40;
module_param(chunk_min, uint, 0444);
MODULE_PARM_DESC(chunk_min, "Bytes of key+value in the smallest chunk (default 40, 8..4096)");

static char *growth_factor = "1.25";
module_param(growth_factor, charp, 0444);
MODULE_PARM_DESC(growth_factor, "Chunk size growth factor between slab classes (default 1.25, 1.01..4.00)");

static unsigned int item_size_max = 1U << 20;
module_param(item_size_max, uint, 0444);
MODULE_PARM_DESC(item_size_max, "Largest value in bytes (default 1048576, 1024..536870912; changeable at run time)");

static ushort dev_mode = 0600;
module_param(dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Mode of /dev/kcache (default 0600)");

static unsigned int dev_gid;
module_param(dev_gid, uint, 0444);
MODULE_PARM_DESC(dev_gid, "Group of /dev/kcache (default 0)");

static bool automove = true;
module_param(automove, bool, 0444);
MODULE_PARM_DESC(automove, "Move slab pages to classes that evict (default on)");

/* Parses "N", "N.D" or "N.DD" into hundredths. */
static int parse_factor(const char *s, u32 *pct)
{
	unsigned int whole = 0, frac = 0, digits = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9' && whole < 100)
		whole = whole * 10 + (*s++ - '0');
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9' && digits < 2) {
			frac = frac * 10 + (*s++ - '0');
			digits++;
		}
		if (digits == 1)
			frac *= 10;
	}
	if (*s && *s != '\n')
		return -EINVAL;
	*pct = whole * 100 + frac;
	return 0;
}

static int __init kc_check_params(u32 *pct)
{
	if (parse_factor(growth_factor, pct) || *pct < 101 || *pct > 400) {
		pr_err("kcache: growth_factor must be 1.01..4.00\n");
		return -EINVAL;
	}
	if (memory_mb < KC_MIN_LIMIT_MB || memory_mb > (1UL << 24)) {
		pr_err("kcache: memory_mb must be %d..16777216\n",
		       KC_MIN_LIMIT_MB);
		return -EINVAL;
	}
	if (netns_memory_mb < KC_MIN_LIMIT_MB ||
	    netns_memory_mb > (1UL << 24)) {
		pr_err("kcache: netns_memory_mb must be %d..16777216\n",
		       KC_MIN_LIMIT_MB);
		return -EINVAL;
	}
	if (chunk_min < 8 || chunk_min > 4096) {
		pr_err("kcache: chunk_min must be 8..4096\n");
		return -EINVAL;
	}
	if (item_size_max < 1024 || item_size_max > KC_ITEM_SIZE_LIMIT) {
		pr_err("kcache: item_size_max must be 1024..%u\n",
		       KC_ITEM_SIZE_LIMIT);
		return -EINVAL;
	}
	if (dev_mode & ~0666) {
		pr_err("kcache: dev_mode must be within 0666\n");
		return -EINVAL;
	}
	return 0;
}

static int __init kc_init(void)
{
	struct kc_cache_params p = {
		.limit_bytes = (u64)memory_mb << 20,
		.netns_limit_bytes = (u64)netns_memory_mb << 20,
		.chunk_min = chunk_min,
		.item_size_max = item_size_max,
		.automove = automove,
	};
	int err;

	err = kc_check_params(&p.factor_pct);
	if (err)
		return err;
	kc_cont_init();
	kc_wait_init();
	err = kc_config_set_ceiling(memory_ceiling_mb);
	if (err)
		return err;
	if (memory_mb > kc_config_ceiling_mb()) {
		pr_err("kcache: memory_mb is above memory_ceiling_mb (%llu)\n",
		       kc_config_ceiling_mb());
		return -EINVAL;
	}
	err = kc_instances_init(&p);
	if (err)
		return err;
	err = kc_shrinker_init();
	if (err)
		goto err_instances;
	err = kc_chardev_init(dev_mode, KGIDT_INIT(dev_gid));
	if (err)
		goto err_shrinker;
	err = kc_genl_init();
	if (err)
		goto err_chardev;
	WRITE_ONCE(kc_up, true);
	pr_info("kcache: %lu MiB, /dev/%s\n", memory_mb, KC_DEVICE_NAME);
	return 0;

err_chardev:
	kc_chardev_exit();
err_shrinker:
	kc_shrinker_exit();
err_instances:
	kc_instances_exit();
	return err;
}

static void __exit kc_exit(void)
{
	kc_genl_exit();
	kc_chardev_exit();
	kc_shrinker_exit();
	kc_instances_exit();
}

module_init(kc_init);
module_exit(kc_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kcache developers");
MODULE_DESCRIPTION("In-kernel memcached/Redis-style cache");
MODULE_VERSION(KC_VERSION);
MODULE_ALIAS_GENL_FAMILY(KC_GENL_NAME);
