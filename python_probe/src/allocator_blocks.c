/* Compiled as C with Py_BUILD_CORE against the internal headers of the exact CPython
 * version, like cpython_internals.c, for the free lists (pycore_freelist_state.h); the arenas
 * and pools come checked from pymalloc_state.h. Read-only: nothing here allocates through
 * Python or changes the allocator's state (except the one probe allocation of
 * heapdiff_pymalloc_open, freed before the scan). */
#include <patchlevel.h>

#if PY_VERSION_HEX >= 0x030C0000
#define Py_BUILD_CORE 1
#endif
#include <Python.h>

#if PY_VERSION_HEX >= 0x030E0000
#include <internal/pycore_freelist_state.h>
#include <internal/pycore_interp.h>  /* PyInterpreterState's fields: object_state.freelists */
#include <internal/pycore_pystate.h>
#endif

#include <string.h>

#include "allocator_blocks.h"
#include "pymalloc_state.h"

/* The allocated blocks of one used pool: carved (below nextoffset) and not on the free
 * list. A free list that leaves the pool or the block grid means a state we do not
 * understand: the pool is skipped rather than guessed at. */
static long long heapdiff_pool_blocks(const heapdiff_pymalloc_state* s, const heapdiff_pool_header* pool,
                                      heapdiff_block_visit visit, void* ctx) {
    enum { kMaxBlocks = 16 * 1024 / 16 }; /* the largest pool of the smallest class */
    unsigned char is_free[kMaxBlocks / 8 + 1];
    memset(is_free, 0, sizeof is_free);
    const size_t size = heapdiff_pymalloc_block_size(s, pool->szidx);
    const uintptr_t first = (uintptr_t)pool + s->pool_overhead;
    const uintptr_t end = (uintptr_t)pool + pool->nextoffset;
    const size_t carved = (end - first) / size;
    if (carved > kMaxBlocks) return 0;
    size_t steps = 0;
    for (const uint8_t* b = pool->freeblock; b; b = *(const uint8_t* const*)b) {
        const uintptr_t p = (uintptr_t)b;
        if (p < first || p >= end || (p - first) % size != 0 || ++steps > carved) return 0;
        const size_t i = (p - first) / size;
        is_free[i / 8] |= (unsigned char)(1u << (i % 8));
    }
    long long n = 0;
    for (size_t i = 0; i < carved; ++i) {
        if (is_free[i / 8] & (1u << (i % 8))) continue;
        visit(ctx, (const void*)(first + i * size), size);
        ++n;
    }
    return n;
}

long long heapdiff_pymalloc_blocks(heapdiff_block_visit visit, void* ctx, const char** why_not) {
#if PY_VERSION_HEX >= 0x030C0000
    heapdiff_pymalloc_state s;
    if (!heapdiff_pymalloc_open(&s, why_not)) {
        heapdiff_pymalloc_close(&s);
        return -1;
    }
    long long n = 0;
    for (unsigned int i = 0; i < s.maxarenas; ++i) {
        const heapdiff_arena_object* a = heapdiff_pymalloc_arena(&s, i);
        if (!a) continue;
        /* Pools are carved from the first pool-aligned address up to pool_address; an
         * empty pool (count 0) is on the arena's free pools and holds nothing. */
        const uintptr_t carved_end = (uintptr_t)a->pool_address;
        for (uintptr_t pool = heapdiff_pymalloc_first_pool(&s, a); pool < carved_end; pool += s.pool_size) {
            const heapdiff_pool_header* p = heapdiff_pymalloc_used_pool(&s, i, pool);
            if (p) n += heapdiff_pool_blocks(&s, p, visit, ctx);
        }
    }
    heapdiff_pymalloc_close(&s);
    return n;
#else
    (void)visit;
    (void)ctx;
    (void)heapdiff_pool_blocks;
    /* The arenas can be read (pymalloc_state.h), but objects held only by C through
     * containers the collector later untracks (import's extensions dict, static types'
     * bases) would show as false orphans growing between snapshots (docs/PROBE.md). */
    *why_not = "CPython before 3.12 untracks C-held containers whose contents would look unreferenced";
    return -1;
#endif
}

void heapdiff_free_list_entries(heapdiff_address_visit visit, void* ctx) {
#if PY_VERSION_HEX >= 0x030E0000
    struct _Py_freelists* lists = &PyInterpreterState_Get()->object_state.freelists;
    struct _Py_freelist* each = (struct _Py_freelist*)lists;
    const size_t count = sizeof(struct _Py_freelists) / sizeof(struct _Py_freelist);
    for (size_t i = 0; i < count; ++i) {
        Py_ssize_t left = each[i].size;
        for (void* p = each[i].freelist; p && left-- > 0; p = *(void**)p) visit(ctx, p);
    }
#else
    (void)visit;
    (void)ctx;
#endif
}

size_t heapdiff_pymalloc_max_block(void) { return 512; }
