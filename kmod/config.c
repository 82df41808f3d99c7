// SPDX-License-Identifier: GPL-2.0
/*
 * The runtime configuration, read and changed the same way by the ioctl
 * (KC_IOC_CONFIG) and netlink (KC_CMD_CONFIG_GET/SET) paths.  Callers check
 * permissions; this file checks values.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include "kcache.h"
#include "slab.h"
#include "config.h"

/* Serialises changes; readers use READ_ONCE() on each field. */
static DEFINE_MUTEX(kc_config_mutex);

/*
 * The module-wide ceiling on the sum of every instance's memory limit
 * (parameter memory_ceiling_mb, set by the initial namespace's root
 * through sysfs), and that sum.  Under kc_config_mutex.
 */
static u64 kc_ceiling_bytes;
static u64 kc_limits_sum;

/* The largest memory limit: the machine's RAM. */
u64 kc_config_limit_max_mb(void)
{
	return totalram_pages() >> (20 - PAGE_SHIFT);
}

void kc_config_fill(struct kc_cache *kc, struct kc_config *cfg)
{
	cfg->memory_limit_mb = READ_ONCE(kc->limit_bytes) >> 20;
	cfg->notify = READ_ONCE(kc->notify);
	cfg->automove = READ_ONCE(kc->automove);
	cfg->item_size_max = kc_item_size_max(kc);
	cfg->chunk_min = kc->chunk_min;
	cfg->growth_factor_pct = kc->factor_pct;
	cfg->noevict = READ_ONCE(kc->noevict);
}

/*
 * Changes the fields named in mask (enum kc_config_field) to the values in
 * cfg.  Returns -EINVAL, changing nothing, when a value is out of range.
 * May sleep: a lower limit evicts.
 */
int kc_config_apply(struct kc_cache *kc, const struct kc_config *cfg, u32 mask)
{
	if (mask & ~__KC_CONFIG_ALL)
		return -EINVAL;
	if ((mask & KC_CONFIG_MEMORY_LIMIT) &&
	    (cfg->memory_limit_mb < KC_MIN_LIMIT_MB ||
	     cfg->memory_limit_mb > kc_config_limit_max_mb()))
		return -EINVAL;
	if (((mask & KC_CONFIG_NOTIFY) && cfg->notify > 1) ||
	    ((mask & KC_CONFIG_AUTOMOVE) && cfg->automove > 1) ||
	    ((mask & KC_CONFIG_NOEVICT) && cfg->noevict > 1))
		return -EINVAL;
	if ((mask & KC_CONFIG_ITEM_SIZE_MAX) &&
	    (cfg->item_size_max < 1024 ||
	     cfg->item_size_max > KC_ITEM_SIZE_LIMIT))
		return -EINVAL;
	mutex_lock(&kc_config_mutex);
	if (READ_ONCE(kc->dead)) {
		mutex_unlock(&kc_config_mutex);
		return -ENODEV;
	}
	if (mask & KC_CONFIG_MEMORY_LIMIT) {
		u64 old = kc->limit_bytes, new = cfg->memory_limit_mb << 20;

		/* All instances together stay within the ceiling. */
		if (kc_limits_sum - old + new > kc_ceiling_bytes) {
			mutex_unlock(&kc_config_mutex);
			return -ENOSPC;
		}
		kc_limits_sum = kc_limits_sum - old + new;
		kc_slab_set_limit(kc, new);
	}
	if (mask & KC_CONFIG_NOTIFY)
		WRITE_ONCE(kc->notify, cfg->notify);
	if (mask & KC_CONFIG_AUTOMOVE)
		WRITE_ONCE(kc->automove, cfg->automove);
	/* Read by every eviction as it picks a victim (lru.c, slab.c). */
	if (mask & KC_CONFIG_NOEVICT)
		WRITE_ONCE(kc->noevict, cfg->noevict);
	/*
	 * Checked by every op as it starts, with no other state sized by
	 * it: an op running meanwhile sees the old or the new limit.
	 */
	if (mask & KC_CONFIG_ITEM_SIZE_MAX)
		WRITE_ONCE(kc->item_size_max, cfg->item_size_max);
	mutex_unlock(&kc_config_mutex);
	return 0;
}

/*
 * Marks kc dead (its namespace went away): no configuration change runs
 * on it from now on, and ops fail (kc_op_exec()).  Notifications stop.
 */
void kc_config_kill(struct kc_cache *kc)
{
	mutex_lock(&kc_config_mutex);
	WRITE_ONCE(kc->notify, false);
	WRITE_ONCE(kc->dead, true);
	kc_limits_sum -= kc->limit_bytes;
	mutex_unlock(&kc_config_mutex);
}

/*
 * The limit a new instance gets: want, if the sum of all limits stays
 * within the ceiling with it; else 0, and every store in it then fails
 * with -ENOMEM until an admin makes room and sets its limit.
 */
u64 kc_config_admit(u64 want)
{
	u64 got = 0;

	mutex_lock(&kc_config_mutex);
	if (kc_limits_sum + want <= kc_ceiling_bytes)
		got = want;
	kc_limits_sum += got;
	mutex_unlock(&kc_config_mutex);
	return got;
}

/* Gives back what kc_config_admit() gave an instance that was not made. */
void kc_config_unadmit(u64 got)
{
	mutex_lock(&kc_config_mutex);
	kc_limits_sum -= got;
	mutex_unlock(&kc_config_mutex);
}

/*
 * Sets the ceiling, in MiB (0: the machine's memory).  -EBUSY if the
 * instances' limits already add up to more: lower those first.
 */
int kc_config_set_ceiling(u64 mb)
{
	u64 bytes = (mb ? min(mb, kc_config_limit_max_mb()) :
		     kc_config_limit_max_mb()) << 20;
	int err = 0;

	mutex_lock(&kc_config_mutex);
	if (bytes < kc_limits_sum)
		err = -EBUSY;
	else
		kc_ceiling_bytes = bytes;
	mutex_unlock(&kc_config_mutex);
	return err;
}

u64 kc_config_ceiling_mb(void)
{
	return READ_ONCE(kc_ceiling_bytes) >> 20;
}
