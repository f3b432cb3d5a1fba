// pymalloc's arenas and pools as this process has them, found and checked once per use,
// for the two readers of them: its statistics (pymalloc_stats.c) and its allocated blocks
// (allocator_blocks.c). 3.12+: from the interpreter (interp->obmalloc, internal headers);
// 3.8-3.11: obmalloc.c's static variables found through the symbol table
// (obmalloc_symbols.h). Before 3.12 nothing guarantees the layout, so every arena is
// checked against the readable mappings and every pool header against its arena before use.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "readable_memory.h"

#ifdef __cplusplus
extern "C" {
#endif

// obmalloc's pool_header and arena_object, the same in 3.8 to 3.15 (pycore_obmalloc.h from
// 3.12, Objects/obmalloc.c before); pymalloc_state.c checks them against the real ones on 3.12+.
typedef struct heapdiff_pool_header {
    union {
        uint8_t* padding;
        unsigned int count;  // allocated blocks
    } ref;
    uint8_t* freeblock;  // the pool's free list
    struct heapdiff_pool_header* nextpool;
    struct heapdiff_pool_header* prevpool;
    unsigned int arenaindex;  // its arena's index in the arenas array
    unsigned int szidx;       // its size class
    unsigned int nextoffset;  // offset of the first never-carved block
    unsigned int maxnextoffset;
} heapdiff_pool_header;

typedef struct heapdiff_arena_object {
    uintptr_t address;      // 0: no arena in this slot
    uint8_t* pool_address;  // the next pool to carve
    unsigned int nfreepools;   // empty pools + never-carved pools
    unsigned int ntotalpools;
    heapdiff_pool_header* freepools;
    struct heapdiff_arena_object* nextarena;
    struct heapdiff_arena_object* prevarena;
} heapdiff_arena_object;

typedef struct {
    const heapdiff_arena_object* arenas;
    unsigned int maxarenas;
    size_t arena_size, pool_size;
    size_t pool_overhead;  // the pool header rounded up to the alignment: where blocks start
    unsigned int alignment;  // size class i holds blocks of (i + 1) * alignment bytes
    unsigned int classes;
    const char* source;  // "interp->obmalloc" or "symbols arenas, maxarenas of /path"
    heapdiff_readable_memory* readable;
    unsigned long long skipped_pools;  // used pools whose header failed a check
} heapdiff_pymalloc_state;

// Finds and checks the main interpreter's pymalloc state. Returns 1, or 0 with *why_not set
// to one line: a subinterpreter, another allocator than pymalloc (PYTHONMALLOC=malloc, the
// debug hooks of -X dev), a stripped libpython, a layout check that failed. Makes one probe
// allocation (PyObject_Malloc(8), freed before it returns) and reads /proc/self/maps; call
// with the GIL held, and heapdiff_pymalloc_close afterwards either way.
int heapdiff_pymalloc_open(heapdiff_pymalloc_state* state, const char** why_not);
void heapdiff_pymalloc_close(heapdiff_pymalloc_state* state);

// The arena in slot i if it is allocated and passes the checks (readable, pool counts that
// fit its size), else NULL.
const heapdiff_arena_object* heapdiff_pymalloc_arena(const heapdiff_pymalloc_state* state, unsigned int i);

// The first pool of an arena that heapdiff_pymalloc_arena returned; its pools follow at
// pool_size steps up to (uintptr_t)arena->pool_address, the carved ones.
uintptr_t heapdiff_pymalloc_first_pool(const heapdiff_pymalloc_state* state, const heapdiff_arena_object* arena);

// The pool at `pool` of arena slot i if it is used (count > 0) and its header is sane (its
// arena index, size class, carved end and count); NULL for an empty pool, and for a pool that
// fails a check, counted in state->skipped_pools.
const heapdiff_pool_header* heapdiff_pymalloc_used_pool(heapdiff_pymalloc_state* state, unsigned int i,
                                                        uintptr_t pool);

static inline size_t heapdiff_pymalloc_block_size(const heapdiff_pymalloc_state* state, unsigned int szidx) {
    return (size_t)(szidx + 1) * state->alignment;
}

// The blocks a pool of that class holds, carved or not.
static inline size_t heapdiff_pymalloc_pool_blocks(const heapdiff_pymalloc_state* state, unsigned int szidx) {
    return (state->pool_size - state->pool_overhead) / heapdiff_pymalloc_block_size(state, szidx);
}

#ifdef __cplusplus
}
#endif
