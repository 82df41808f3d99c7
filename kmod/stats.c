// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics: per-CPU event counters summed on read, plus the gauges kept
 * by the slab and LRU code.  Readers see a consistent value for each
 * counter, not a snapshot of all of them together.
 */
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/nospec.h>
#include "kcache.h"
#include "stats.h"

int kc_stats_init(struct kc_cache *kc)
{
	kc->stats = alloc_percpu(struct kc_pcpu_stats);
	return kc->stats ? 0 : -ENOMEM;
}

void kc_stats_exit(struct kc_cache *kc)
{
	free_percpu(kc->stats);
}

u64 kc_stat_sum(struct kc_cache *kc, enum kc_stat s)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(kc->stats, cpu)->v[s];
	return sum;
}

void kc_stats_fill(struct kc_cache *kc, struct kc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->nr_classes = kc->nr_classes;
	st->limit_bytes = READ_ONCE(kc->limit_bytes);
	st->used_bytes = atomic64_read(&kc->used_bytes);
	st->slab_pages = atomic64_read(&kc->slab_pages);
	st->large_bytes = atomic64_read(&kc->large_bytes);
	st->curr_items = atomic64_read(&kc->curr_items);
	st->total_items = kc_stat_sum(kc, KC_STAT_TOTAL_ITEMS);
	st->bytes = atomic64_read(&kc->bytes);
	st->get_hits = kc_stat_sum(kc, KC_STAT_GET_HITS);
	st->get_misses = kc_stat_sum(kc, KC_STAT_GET_MISSES);
	st->get_expired = kc_stat_sum(kc, KC_STAT_GET_EXPIRED);
	st->cmd_get = kc_stat_sum(kc, KC_STAT_CMD_GET);
	st->cmd_set = kc_stat_sum(kc, KC_STAT_CMD_SET);
	st->cmd_touch = kc_stat_sum(kc, KC_STAT_CMD_TOUCH);
	st->delete_hits = kc_stat_sum(kc, KC_STAT_DELETE_HITS);
	st->delete_misses = kc_stat_sum(kc, KC_STAT_DELETE_MISSES);
	st->incr_hits = kc_stat_sum(kc, KC_STAT_INCR_HITS);
	st->incr_misses = kc_stat_sum(kc, KC_STAT_INCR_MISSES);
	st->cas_hits = kc_stat_sum(kc, KC_STAT_CAS_HITS);
	st->cas_badval = kc_stat_sum(kc, KC_STAT_CAS_BADVAL);
	st->cas_misses = kc_stat_sum(kc, KC_STAT_CAS_MISSES);
	st->evictions = kc_stat_sum(kc, KC_STAT_EVICTIONS);
	st->expired_unfetched = kc_stat_sum(kc, KC_STAT_EXPIRED_UNFETCHED);
	st->evicted_unfetched = kc_stat_sum(kc, KC_STAT_EVICTED_UNFETCHED);
	st->reclaimed = kc_stat_sum(kc, KC_STAT_RECLAIMED);
	st->crawler_reclaimed = kc_stat_sum(kc, KC_STAT_CRAWLER_RECLAIMED);
	st->outofmemory = kc_stat_sum(kc, KC_STAT_OUTOFMEMORY);
	st->slabs_moved = kc_stat_sum(kc, KC_STAT_SLABS_MOVED);
	st->shrinker_freed = kc_stat_sum(kc, KC_STAT_SHRINKER_FREED);
	st->hash_items = atomic_read(&kc->index.nelems);
	st->uptime_ms = kc_now_ms() - kc->start_ms;
	st->cas_counter = atomic64_read(&kc->cas_seq);
}

/* id < kc.nr_classes, checked by the caller; it may come from the user. */
void kc_class_stats_fill(struct kc_cache *kc, u32 id, struct kc_class_stats *cs)
{
	struct kc_class *c;

	id = array_index_nospec(id, kc->nr_classes);
	c = &kc->classes[id];

	memset(cs, 0, sizeof(*cs));
	cs->id = id;
	cs->chunk_size = c->size;
	cs->chunks_per_page = c->perslab;
	spin_lock(&c->lock);
	cs->pages = c->nr_pages;
	cs->used_chunks = c->used_chunks;
	cs->free_chunks = c->free_chunks;
	spin_unlock(&c->lock);
	spin_lock(&c->lru_lock);
	cs->hot = c->lru_count[KC_SEG_HOT];
	cs->warm = c->lru_count[KC_SEG_WARM];
	cs->cold = c->lru_count[KC_SEG_COLD];
	cs->items = cs->hot + cs->warm + cs->cold;
	cs->evictions = c->evictions;
	cs->reclaimed = c->reclaimed;
	cs->outofmemory = c->outofmemory;
	cs->mem_requested = c->mem_requested;
	spin_unlock(&c->lru_lock);
}
