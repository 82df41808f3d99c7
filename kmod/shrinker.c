// SPDX-License-Identifier: GPL-2.0
/*
 * The shrinker: under system memory pressure it reports the COLD items of
 * every instance, evicts up to what the kernel asks for and gives empty
 * pages back.  One shrinker serves all instances (one per network
 * namespace) and shares the work fairly: each instance is asked for the
 * same share of nr_to_scan (rounded up), in list order, until the kernel's
 * count is met; an instance with less to give gives what it has.  It
 * takes no mutex: when its evictions emptied no page it sets kc.pressure
 * and kicks the instance's automover, which empties one under
 * kc.rebalance_mutex.  Instances are visited under SRCU
 * (kc_instances_sum()), so one being shut down is waited for.
 */
#include "kcache.h"
#include "compat.h"	/* linux/shrinker.h, after linux/mm.h */
#include "automover.h"
#include "instance.h"
#include "lru.h"
#include "shrinker.h"
#include "slab.h"

static struct shrinker *kc_shrinker;

static unsigned long count_one(struct kc_cache *kc, unsigned long unused)
{
	return kc_lru_count_cold(kc);
}

static unsigned long shrink_count(struct shrinker *s,
				  struct shrink_control *sc)
{
	unsigned long n = kc_instances_sum(count_one, 0);

	return n ? n : SHRINK_EMPTY;
}

/* Evicts up to share COLD items of kc; returns how many. */
static unsigned long scan_one(struct kc_cache *kc, unsigned long share)
{
	unsigned long freed = kc_lru_evict_cold(kc, share);

	if (!kc_slab_release_empty(kc, ULONG_MAX) && freed) {
		/* Scattered chunks free no page: empty one in the worker. */
		WRITE_ONCE(kc->pressure, true);
		kc_automover_kick(kc);
	}
	if (freed)
		kc_stat_add(kc, KC_STAT_SHRINKER_FREED, freed);
	return freed;
}

static unsigned long shrink_scan(struct shrinker *s,
				 struct shrink_control *sc)
{
	unsigned long n = kc_instances_sum(NULL, 0), freed;

	if (!n)
		return SHRINK_STOP;
	freed = kc_instances_sum(scan_one, DIV_ROUND_UP(sc->nr_to_scan, n));
	sc->nr_scanned = freed;
	return freed ? freed : SHRINK_STOP;
}

int kc_shrinker_init(void)
{
	kc_shrinker = kc_shrinker_create(shrink_count, shrink_scan, "kcache");
	return kc_shrinker ? 0 : -ENOMEM;
}

void kc_shrinker_exit(void)
{
	kc_shrinker_destroy(kc_shrinker);
}
