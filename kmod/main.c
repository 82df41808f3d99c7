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
#include "netlink.h"
#include "stats.h"
#include "container.h"

#define KC_VERSION		"0.1"
#define KC_ITEM_SIZE_LIMIT	(64U << 20)

struct kc_cache kc;

static unsigned long memory_mb = 64;
module_param(memory_mb, ulong, 0444);
MODULE_PARM_DESC(memory_mb, "Memory limit in MiB for items (default 64, min 2; runtime: KC_IOC_CONFIG)");

static unsigned int chunk_min = 48;
module_param(chunk_min, uint, 0444);
MODULE_PARM_DESC(chunk_min, "Bytes of key+value in the smallest chunk (default 48, 8..4096)");

static char *growth_factor = "1.25";
module_param(growth_factor, charp, 0444);
MODULE_PARM_DESC(growth_factor, "Chunk size growth factor between slab classes (default 1.25, 1.01..4.00)");

static unsigned int item_size_max = 1U << 20;
module_param(item_size_max, uint, 0444);
MODULE_PARM_DESC(item_size_max, "Largest value in bytes (default 1048576, 1024..67108864)");

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
	u32 pct;
	int err;

	err = kc_check_params(&pct);
	if (err)
		return err;
	mutex_init(&kc.rebalance_mutex);
	kc.automove = automove;
	kc.start_ms = kc_now_ms();

	err = percpu_init_rwsem(&kc.excl_sem);
	if (err)
		return err;
	err = kc_keylocks_init(&kc.keylocks);
	if (err)
		goto err_excl;
	kc_cont_init();
	err = kc_stats_init();
	if (err)
		goto err_keylocks;
	err = kc_slab_init((u64)memory_mb << 20, chunk_min, pct,
			   item_size_max);
	if (err)
		goto err_stats;
	err = kc_index_init();
	if (err)
		goto err_slab;
	kc_crawler_init();
	kc_automover_init();
	err = kc_shrinker_init();
	if (err)
		goto err_workers;
	err = kc_chardev_init(dev_mode, KGIDT_INIT(dev_gid));
	if (err)
		goto err_shrinker;
	err = kc_genl_init();
	if (err)
		goto err_chardev;
	pr_info("kcache: %lu MiB, %u slab classes, /dev/%s\n", memory_mb,
		kc.nr_classes, KC_DEVICE_NAME);
	return 0;

err_chardev:
	kc_chardev_exit();
err_shrinker:
	kc_shrinker_exit();
err_workers:
	kc_automover_exit();
	kc_crawler_exit();
	kc_index_exit();
err_slab:
	kc_slab_exit();
err_stats:
	kc_stats_exit();
err_keylocks:
	kc_keylocks_exit(&kc.keylocks);
err_excl:
	percpu_free_rwsem(&kc.excl_sem);
	return err;
}

static void __exit kc_exit(void)
{
	kc_genl_exit();
	kc_chardev_exit();
	kc_shrinker_exit();
	kc_automover_exit();
	kc_crawler_exit();
	kc_items_exit();
	kc_index_exit();
	kc_slab_exit();
	kc_stats_exit();
	kc_keylocks_exit(&kc.keylocks);
	percpu_free_rwsem(&kc.excl_sem);
}

module_init(kc_init);
module_exit(kc_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kcache developers");
MODULE_DESCRIPTION("In-kernel memcached/Redis-style cache");
MODULE_VERSION(KC_VERSION);
MODULE_ALIAS_GENL_FAMILY(KC_GENL_NAME);
