/* Compiled as C; with Py_BUILD_CORE against the internal headers on 3.12+, where
 * pycore_obmalloc.h describes the arenas and pools (and checks the mirror structs below).
 * Read-only: nothing here allocates through Python or changes the allocator's state, except
 * the one probe allocation of heapdiff_pymalloc_open, freed before it returns. */
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

#include <stddef.h>
#include <string.h>

#include "obmalloc_symbols.h"
#include "pymalloc_state.h"

/* The largest pool of any version: 16 KiB (3.10+ on 64-bit). */
enum { heapdiff_max_pool_size = 16 * 1024 };

static const char heapdiff_not_pymalloc[] =
    "the object allocator is not plain pymalloc (PYTHONMALLOC=malloc, or debug hooks: -X dev)";

/* What locating gives: the arenas array as read at this moment. */
typedef struct {
    const heapdiff_arena_object* arenas;
    unsigned int maxarenas;
    size_t narenas; /* narenas_currently_allocated: how many slots hold an arena */
} heapdiff_arena_table;

#if PY_VERSION_HEX >= 0x030C0000

#define HEAPDIFF_SAME_FIELD(real, mirror, field) \
    _Static_assert(offsetof(struct real, field) == offsetof(mirror, field), #field " of " #real " moved")
HEAPDIFF_SAME_FIELD(pool_header, heapdiff_pool_header, ref.count);
HEAPDIFF_SAME_FIELD(pool_header, heapdiff_pool_header, freeblock);
HEAPDIFF_SAME_FIELD(pool_header, heapdiff_pool_header, arenaindex);
HEAPDIFF_SAME_FIELD(pool_header, heapdiff_pool_header, szidx);
HEAPDIFF_SAME_FIELD(pool_header, heapdiff_pool_header, nextoffset);
HEAPDIFF_SAME_FIELD(arena_object, heapdiff_arena_object, address);
HEAPDIFF_SAME_FIELD(arena_object, heapdiff_arena_object, pool_address);
HEAPDIFF_SAME_FIELD(arena_object, heapdiff_arena_object, nfreepools);
HEAPDIFF_SAME_FIELD(arena_object, heapdiff_arena_object, ntotalpools);
_Static_assert(sizeof(struct pool_header) == sizeof(heapdiff_pool_header), "pool_header changed size");
_Static_assert(sizeof(struct arena_object) == sizeof(heapdiff_arena_object), "arena_object changed size");
_Static_assert(POOL_SIZE <= heapdiff_max_pool_size, "a larger pool than any before");

static struct _obmalloc_state* heapdiff_obmalloc(PyInterpreterState* interp) {
#if PY_VERSION_HEX >= 0x030D0000
    return interp->obmalloc;
#else
    return &interp->obmalloc;
#endif
}

static int heapdiff_locate(heapdiff_pymalloc_state* s, heapdiff_arena_table* t, const char** why_not) {
    struct _obmalloc_state* o = heapdiff_obmalloc(PyInterpreterState_Main());
    if (!o) {
        *why_not = heapdiff_not_pymalloc;
        return 0;
    }
    t->arenas = (const heapdiff_arena_object*)o->mgmt.arenas;
    t->maxarenas = o->mgmt.maxarenas;
    t->narenas = o->mgmt.narenas_currently_allocated;
    s->arena_size = ARENA_SIZE;
    s->pool_size = POOL_SIZE;
    s->alignment = ALIGNMENT;
    s->classes = NB_SMALL_SIZE_CLASSES;
    s->source = "interp->obmalloc";
    return 1;
}

#elif SIZEOF_VOID_P == 8

/* obmalloc.c of 3.8-3.11 on 64-bit: 16-byte alignment and 512-byte blocks at most (32
 * classes); 256 KiB arenas of 4 KiB pools before 3.10; 1 MiB arenas from 3.10, of 16 KiB
 * pools with the radix tree (the default) or 4 KiB without (heapdiff_settle_pool_size). */
static int heapdiff_locate(heapdiff_pymalloc_state* s, heapdiff_arena_table* t, const char** why_not) {
    const heapdiff_obmalloc_symbols* symbols = heapdiff_find_obmalloc_symbols();
    if (symbols->why_not) {
        *why_not = symbols->why_not;
        return 0;
    }
    if (!heapdiff_readable_memory_covers(s->readable, symbols->arenas, sizeof(void*)) ||
        !heapdiff_readable_memory_covers(s->readable, symbols->maxarenas, sizeof(unsigned int)) ||
        !heapdiff_readable_memory_covers(s->readable, symbols->narenas, sizeof(size_t))) {
        *why_not = "layout check failed: obmalloc.c's arenas, maxarenas are not in readable memory";
        return 0;
    }
    t->arenas = *(const heapdiff_arena_object* const*)symbols->arenas;
    t->maxarenas = *(const unsigned int*)symbols->maxarenas;
    t->narenas = *(const size_t*)symbols->narenas;
#if PY_VERSION_HEX >= 0x030A0000
    s->arena_size = (size_t)1 << 20;
    s->pool_size = (size_t)16 << 10;
#else
    s->arena_size = (size_t)256 << 10;
    s->pool_size = (size_t)4 << 10;
#endif
    s->alignment = 16;
    s->classes = 512 / 16;
    s->source = symbols->source;
    return 1;
}

#else

static int heapdiff_locate(heapdiff_pymalloc_state* s, heapdiff_arena_table* t, const char** why_not) {
    (void)s;
    (void)t;
    *why_not = "pymalloc's arenas are read before 3.12 on 64-bit Linux only";
    return 0;
}

#endif

/* How many pools an arena at `address` has: the whole arena when it starts on a pool
 * boundary, one less when the first pool must be rounded up to one (new_arena()). */
static unsigned int heapdiff_expected_pools(const heapdiff_pymalloc_state* s, uintptr_t address) {
    const size_t pools = s->arena_size / s->pool_size;
    return (unsigned int)(address % s->pool_size == 0 ? pools : pools - 1);
}

/* 3.10 and 3.11 built without the radix tree (--without-pymalloc-radix-tree... or
 * -DWITH_PYMALLOC_RADIX_TREE=0) have 4 KiB pools in their 1 MiB arenas: the first arena's
 * pool count says which. */
static void heapdiff_settle_pool_size(heapdiff_pymalloc_state* s, const heapdiff_arena_table* t) {
#if PY_VERSION_HEX >= 0x030A0000 && PY_VERSION_HEX < 0x030C0000
    for (unsigned int i = 0; i < t->maxarenas; ++i) {
        const heapdiff_arena_object* a = &t->arenas[i];
        if (a->address == 0) continue;
        if (a->ntotalpools != heapdiff_expected_pools(s, a->address)) {
            s->pool_size = (size_t)4 << 10;
            if (a->ntotalpools != heapdiff_expected_pools(s, a->address)) s->pool_size = (size_t)16 << 10;
        }
        return;
    }
#else
    (void)s;
    (void)t;
#endif
}

const heapdiff_arena_object* heapdiff_pymalloc_arena(const heapdiff_pymalloc_state* s, unsigned int i) {
    if (i >= s->maxarenas) return NULL;
    const heapdiff_arena_object* a = &s->arenas[i];
    const uintptr_t address = a->address;
    if (address == 0 || address + s->arena_size < address ||
        !heapdiff_readable_memory_covers(s->readable, address, s->arena_size))
        return NULL;
    const uintptr_t first = heapdiff_pymalloc_first_pool(s, a);
    const uintptr_t carved_end = (uintptr_t)a->pool_address;
    if (a->ntotalpools != heapdiff_expected_pools(s, address) || a->nfreepools > a->ntotalpools ||
        carved_end < first || carved_end > address + s->arena_size || (carved_end - first) % s->pool_size != 0)
        return NULL;
    return a;
}

uintptr_t heapdiff_pymalloc_first_pool(const heapdiff_pymalloc_state* s, const heapdiff_arena_object* arena) {
    return (arena->address + s->pool_size - 1) & ~(uintptr_t)(s->pool_size - 1);
}

const heapdiff_pool_header* heapdiff_pymalloc_used_pool(heapdiff_pymalloc_state* s, unsigned int i, uintptr_t pool) {
    const heapdiff_pool_header* p = (const heapdiff_pool_header*)pool;
    if (p->ref.count == 0) return NULL; /* empty: on its arena's free pools */
    if (p->arenaindex != i || p->szidx >= s->classes || p->nextoffset < s->pool_overhead ||
        p->nextoffset > s->pool_size ||
        (size_t)p->ref.count > (p->nextoffset - s->pool_overhead) / heapdiff_pymalloc_block_size(s, p->szidx)) {
        ++s->skipped_pools;
        return NULL;
    }
    return p;
}

/* Whether PyObject_Malloc is pymalloc itself (possibly under tracemalloc's hooks, which
 * pass the block through unchanged): the fresh small allocation `probe` must be the start of
 * a block of a used pool in one of the arenas. PYTHONMALLOC=malloc puts it outside every
 * arena; the debug hooks (-X dev, PYTHONMALLOC=pymalloc_debug) 16 bytes into a block. */
static int heapdiff_holds_probe(heapdiff_pymalloc_state* s, uintptr_t probe) {
    for (unsigned int i = 0; i < s->maxarenas; ++i) {
        const heapdiff_arena_object* a = heapdiff_pymalloc_arena(s, i);
        if (!a || probe < a->address || probe >= a->address + s->arena_size) continue;
        const uintptr_t pool = probe & ~(uintptr_t)(s->pool_size - 1);
        if (pool < heapdiff_pymalloc_first_pool(s, a) || pool >= (uintptr_t)a->pool_address) return 0;
        const unsigned long long skipped = s->skipped_pools;
        const heapdiff_pool_header* p = heapdiff_pymalloc_used_pool(s, i, pool);
        s->skipped_pools = skipped;
        if (!p) return 0;
        const uintptr_t first = pool + s->pool_overhead;
        return probe >= first && (probe - first) % heapdiff_pymalloc_block_size(s, p->szidx) == 0;
    }
    return 0;
}

/* Every allocated slot passes heapdiff_pymalloc_arena and their number is what obmalloc
 * counts: else the layout is not the one this file knows, and nothing is read. */
static const char* heapdiff_check_layout(const heapdiff_pymalloc_state* s, const heapdiff_arena_table* t) {
    size_t allocated = 0;
    for (unsigned int i = 0; i < t->maxarenas; ++i) {
        if (t->arenas[i].address == 0) continue;
        ++allocated;
        if (!heapdiff_pymalloc_arena(s, i))
            return "layout check failed: an arena outside readable memory or with pool counts that do not fit it";
    }
    if (allocated != t->narenas)
        return "layout check failed: the arenas array does not hold narenas_currently_allocated arenas";
    return NULL;
}

int heapdiff_pymalloc_open(heapdiff_pymalloc_state* s, const char** why_not) {
    memset(s, 0, sizeof *s);
#if PY_VERSION_HEX >= 0x03090000
    PyInterpreterState* interp = PyInterpreterState_Get();
#else
    PyInterpreterState* interp = PyThreadState_Get()->interp;
#endif
    if (interp != PyInterpreterState_Main()) {
        *why_not = "a subinterpreter: only the main interpreter's arenas are read";
        return 0;
    }
    /* First, as it may carve a new arena and move the arenas array. */
    void* probe = PyObject_Malloc(8);
    if (!probe) {
        *why_not = "out of memory";
        return 0;
    }
    int ok = 0;
    heapdiff_arena_table t = {NULL, 0, 0};
    s->readable = heapdiff_readable_memory_read();
    if (!s->readable) {
        *why_not = "/proc/self/maps cannot be read, so pymalloc's arenas cannot be checked";
    } else if (heapdiff_locate(s, &t, why_not)) {
        if (!t.arenas || t.maxarenas == 0) {
            *why_not = heapdiff_not_pymalloc;
        } else if (t.maxarenas > (1u << 24) ||
                   !heapdiff_readable_memory_covers(s->readable, (uintptr_t)t.arenas,
                                                    (size_t)t.maxarenas * sizeof(heapdiff_arena_object))) {
            *why_not = "layout check failed: pymalloc's arenas array is not in readable memory";
        } else {
            s->arenas = t.arenas;
            s->maxarenas = t.maxarenas;
            s->pool_overhead = (sizeof(heapdiff_pool_header) + s->alignment - 1) & ~(size_t)(s->alignment - 1);
            heapdiff_settle_pool_size(s, &t);
            const char* bad_layout = heapdiff_check_layout(s, &t);
            if (bad_layout)
                *why_not = bad_layout;
            else if (!heapdiff_holds_probe(s, (uintptr_t)probe))
                *why_not = heapdiff_not_pymalloc;
            else
                ok = 1;
        }
    }
    PyObject_Free(probe); /* may release an arena: its slot's address becomes 0, which readers see */
    return ok;
}

void heapdiff_pymalloc_close(heapdiff_pymalloc_state* s) {
    heapdiff_readable_memory_free(s->readable);
    s->readable = NULL;
}
