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
	cfg->item_size_max = kc->item_size_max;
	cfg->chunk_min = kc->chunk_min;
	cfg->growth_factor_pct = kc->factor_pct;
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
	    ((mask & KC_CONFIG_AUTOMOVE) && cfg->automove > 1))
		return -EINVAL;
	mutex_lock(&kc_config_mutex);
	if (READ_ONCE(kc->dead)) {
		mutex_unlock(&kc_config_mutex);
		return -ENODEV;
	}
	if (mask & KC_CONFIG_MEMORY_LIMIT)
		kc_slab_set_limit(kc, cfg->memory_limit_mb << 20);
	if (mask & KC_CONFIG_NOTIFY)
		WRITE_ONCE(kc->notify, cfg->notify);
	if (mask & KC_CONFIG_AUTOMOVE)
		WRITE_ONCE(kc->automove, cfg->automove);
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
	mutex_unlock(&kc_config_mutex);
}
