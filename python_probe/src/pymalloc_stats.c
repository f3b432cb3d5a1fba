/* Only pool headers are read, never blocks: a pool's free blocks are its class's blocks per
 * pool less its count, whether on the free list or not yet carved. */
#include "pymalloc_stats.h"

#include <string.h>

#include "pymalloc_state.h"

long long heapdiff_pymalloc_stats(heapdiff_arena_visit visit, void* ctx, heapdiff_class_stat* classes,
                                  heapdiff_pymalloc_geometry* geom, const char** why_not) {
    memset(geom, 0, sizeof *geom);
    heapdiff_pymalloc_state s;
    if (!heapdiff_pymalloc_open(&s, why_not)) {
        heapdiff_pymalloc_close(&s);
        return -1;
    }
    if (s.classes > heapdiff_max_size_classes) {
        heapdiff_pymalloc_close(&s);
        *why_not = "layout check failed: more size classes than heapdiff knows";
        return -1;
    }
    geom->arena_size = s.arena_size;
    geom->pool_size = s.pool_size;
    geom->classes = s.classes;
    geom->source = s.source;
    memset(classes, 0, sizeof(heapdiff_class_stat) * s.classes);
    for (unsigned int c = 0; c < s.classes; ++c) classes[c].block_size = (unsigned)heapdiff_pymalloc_block_size(&s, c);

    long long arenas = 0;
    for (unsigned int i = 0; i < s.maxarenas; ++i) {
        const heapdiff_arena_object* a = heapdiff_pymalloc_arena(&s, i);
        if (!a) continue;
        heapdiff_arena_stat stat = {a->address, s.arena_size, a->ntotalpools, a->nfreepools, 0, 0};
        const uintptr_t carved_end = (uintptr_t)a->pool_address;
        for (uintptr_t pool = heapdiff_pymalloc_first_pool(&s, a); pool < carved_end; pool += s.pool_size) {
            const heapdiff_pool_header* p = heapdiff_pymalloc_used_pool(&s, i, pool);
            if (!p) continue;
            heapdiff_class_stat* c = &classes[p->szidx];
            c->pools += 1;
            c->blocks_in_use += p->ref.count;
            c->blocks_free += heapdiff_pymalloc_pool_blocks(&s, p->szidx) - p->ref.count;
            stat.used_blocks += p->ref.count;
            stat.used_bytes += (size_t)p->ref.count * c->block_size;
        }
        ++arenas;
        if (visit) visit(ctx, &stat);
    }
    geom->skipped_pools = s.skipped_pools;
    heapdiff_pymalloc_close(&s);
    return arenas;
}
