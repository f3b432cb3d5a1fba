/* Compiled as C with Py_BUILD_CORE against the internal headers of the exact CPython
 * version, like cpython_internals.c: pycore_obmalloc.h describes the arenas and pools.
 * Read-only: nothing here allocates through Python or changes the allocator's state
 * (except the one probe allocation in pymalloc_in_use, made before the scan). */
#include <patchlevel.h>

#if PY_VERSION_HEX >= 0x030C0000
#define Py_BUILD_CORE 1
#endif
#include <Python.h>

#if PY_VERSION_HEX >= 0x030C0000
#include <internal/pycore_interp.h>
#include <internal/pycore_obmalloc.h>
#include <internal/pycore_pystate.h>
#endif
#if PY_VERSION_HEX >= 0x030E0000
#include <internal/pycore_freelist_state.h>
#endif

#include "allocator_blocks.h"

#if PY_VERSION_HEX >= 0x030C0000

static struct _obmalloc_state* heapdiff_obmalloc(PyInterpreterState* interp) {
#if PY_VERSION_HEX >= 0x030D0000
    return interp->obmalloc;
#else
    return &interp->obmalloc;
#endif
}

/* The arena holding `p`, or NULL. */
static const struct arena_object* heapdiff_arena_of(struct _obmalloc_state* state, uintptr_t p) {
    for (unsigned int i = 0; i < state->mgmt.maxarenas; ++i) {
        const struct arena_object* a = &state->mgmt.arenas[i];
        if (a->address != 0 && p >= a->address && p < a->address + ARENA_SIZE) return a;
    }
    return NULL;
}

/* Whether PyObject_Malloc is pymalloc itself (possibly under tracemalloc's hooks, which
 * pass the block through unchanged): a fresh small allocation must be the start of a
 * block of a used pool in one of the arenas. PYTHONMALLOC=malloc puts it outside every
 * arena; the debug hooks (-X dev, PYTHONMALLOC=pymalloc_debug) 16 bytes into a block. */
static int heapdiff_pymalloc_in_use(struct _obmalloc_state* state) {
    void* probe = PyObject_Malloc(8);
    if (!probe) return 0;
    uintptr_t p = (uintptr_t)probe;
    int ok = 0;
    if (heapdiff_arena_of(state, p)) {
        const struct pool_header* pool = (const struct pool_header*)(p & ~(uintptr_t)POOL_SIZE_MASK);
        const size_t size = INDEX2SIZE(pool->szidx);
        const uintptr_t first = (uintptr_t)pool + POOL_OVERHEAD;
        ok = pool->ref.count > 0 && p >= first && (p - first) % size == 0;
    }
    PyObject_Free(probe);
    return ok;
}

/* The allocated blocks of one used pool: carved (below nextoffset) and not on the free
 * list. A free list that leaves the pool or the block grid means a state we do not
 * understand: the pool is skipped rather than guessed at. */
static long long heapdiff_pool_blocks(const struct pool_header* pool, heapdiff_block_visit visit, void* ctx) {
    enum { kMaxBlocks = POOL_SIZE / ALIGNMENT };
    unsigned char is_free[kMaxBlocks / 8 + 1];
    memset(is_free, 0, sizeof is_free);
    const size_t size = INDEX2SIZE(pool->szidx);
    if (pool->szidx >= NB_SMALL_SIZE_CLASSES || pool->nextoffset > POOL_SIZE || pool->nextoffset < POOL_OVERHEAD)
        return 0;
    const uintptr_t first = (uintptr_t)pool + POOL_OVERHEAD;
    const uintptr_t end = (uintptr_t)pool + pool->nextoffset;
    const size_t carved = (end - first) / size;
    size_t steps = 0;
    for (const pymem_block* b = pool->freeblock; b; b = *(pymem_block* const*)b) {
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

#endif

long long heapdiff_pymalloc_blocks(heapdiff_block_visit visit, void* ctx, const char** why_not) {
#if PY_VERSION_HEX >= 0x030C0000
    PyInterpreterState* interp = PyInterpreterState_Get();
    if (interp != PyInterpreterState_Main()) {
        *why_not = "a subinterpreter: only the main interpreter's arenas are searched";
        return -1;
    }
    struct _obmalloc_state* state = heapdiff_obmalloc(interp);
    if (!state || !state->mgmt.arenas || !heapdiff_pymalloc_in_use(state)) {
        *why_not = "the object allocator is not plain pymalloc (PYTHONMALLOC=malloc, or debug hooks: -X dev)";
        return -1;
    }
    long long n = 0;
    for (unsigned int i = 0; i < state->mgmt.maxarenas; ++i) {
        const struct arena_object* a = &state->mgmt.arenas[i];
        if (a->address == 0) continue;
        /* Pools are carved from the first pool-aligned address up to pool_address; an
         * empty pool (count 0) is on the arena's free pools and holds nothing. */
        uintptr_t pool = (a->address + POOL_SIZE_MASK) & ~(uintptr_t)POOL_SIZE_MASK;
        const uintptr_t carved_end = (uintptr_t)a->pool_address;
        if (carved_end < pool || carved_end > a->address + ARENA_SIZE) continue;
        for (; pool < carved_end; pool += POOL_SIZE) {
            const struct pool_header* p = (const struct pool_header*)pool;
            if (p->ref.count == 0 || p->arenaindex != i) continue;
            n += heapdiff_pool_blocks(p, visit, ctx);
        }
    }
    return n;
#else
    (void)visit;
    (void)ctx;
    *why_not = "CPython before 3.12 keeps pymalloc's arenas in static variables no extension can reach";
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
