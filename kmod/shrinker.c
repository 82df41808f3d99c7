// SPDX-License-Identifier: GPL-2.0
/*
 * The shrinker: under system memory pressure it reports the COLD items,
 * evicts up to what the kernel asks for and gives empty pages back.  It
 * takes no mutex: when its evictions emptied no page it sets kc.pressure
 * and kicks the automover, which empties one under kc.rebalance_mutex.
 */
#include "kcache.h"
#include "compat.h"	/* linux/shrinker.h, after linux/mm.h */
#include "automover.h"
#include "lru.h"
#include "shrinker.h"
#include "slab.h"

/* The instance the shrinker frees from (one shrinker for the module). */
static struct kc_cache *shrink_target;

static unsigned long shrink_count(struct shrinker *s,
				  struct shrink_control *sc)
{
	struct kc_cache *kc = shrink_target;
	unsigned long n = kc_lru_count_cold(kc);

	return n ? n : SHRINK_EMPTY;
}

static unsigned long shrink_scan(struct shrinker *s,
				 struct shrink_control *sc)
{
	struct kc_cache *kc = shrink_target;
	unsigned long freed = kc_lru_evict_cold(kc, sc->nr_to_scan);

	sc->nr_scanned = freed;
	if (!kc_slab_release_empty(kc, ULONG_MAX) && freed) {
		/* Scattered chunks free no page: empty one in the worker. */
		WRITE_ONCE(kc->pressure, true);
		kc_automover_kick(kc);
	}
	if (!freed)
		return SHRINK_STOP;
	kc_stat_add(kc, KC_STAT_SHRINKER_FREED, freed);
	return freed;
}

int kc_shrinker_init(struct kc_cache *kc)
{
	shrink_target = kc;
	kc->shrinker = kc_shrinker_create(shrink_count, shrink_scan, "kcache");
	return kc->shrinker ? 0 : -ENOMEM;
}

void kc_shrinker_exit(struct kc_cache *kc)
{
	kc_shrinker_destroy(kc->shrinker);
}
