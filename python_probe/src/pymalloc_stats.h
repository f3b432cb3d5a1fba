// What pymalloc holds, per arena and per size class, read in place from its arenas and pool
// headers (pymalloc_state.h): the "Python objects" and "pymalloc free space" parts of the
// memory account. Free space inside used pools and empty pools inside arenas is
// fragmentation: memory the process keeps that no live block uses.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uintptr_t address;    // arena base (arena_object.address)
    size_t size;          // ARENA_SIZE
    unsigned pools;       // ntotalpools
    unsigned free_pools;  // nfreepools: empty pools and never-carved ones, reusable by any class
    size_t used_bytes;    // bytes in allocated blocks of its used pools (sum of count * block size)
    size_t used_blocks;
} heapdiff_arena_stat;

typedef struct {
    unsigned block_size;   // INDEX2SIZE(szidx)
    size_t pools;          // used pools of this class
    size_t blocks_in_use;  // sum of their ref.count
    size_t blocks_free;    // their blocks not in use (on the free list or never carved)
} heapdiff_class_stat;

typedef struct {
    size_t arena_size, pool_size;  // 256 KiB / 4 KiB before 3.10; 1 MiB / 16 KiB from 3.10 (64-bit)
    unsigned classes;              // NB_SMALL_SIZE_CLASSES (32 on 64-bit)
    const char* source;            // "interp->obmalloc" or "symbols arenas, maxarenas of /path"
    unsigned long long skipped_pools;  // used pools left out because their header failed a check (0)
} heapdiff_pymalloc_geometry;

enum { heapdiff_max_size_classes = 64 };

typedef void (*heapdiff_arena_visit)(void* ctx, const heapdiff_arena_stat* arena);

// Visits every allocated arena of the main interpreter; fills classes[0..geom->classes-1]
// (the caller gives room for heapdiff_max_size_classes) and *geom. Returns the number of
// arenas, or -1 with *why_not set to one line: another allocator (PYTHONMALLOC=malloc, the
// debug hooks), a libpython without a symbol table (before 3.12), a subinterpreter, a layout
// check that failed. Call with the GIL held; no Python code runs and nothing is allocated
// through Python but one probe block, freed before the arenas are read. `visit` must not
// allocate through Python either (a new arena would move the arenas array).
long long heapdiff_pymalloc_stats(heapdiff_arena_visit visit, void* ctx, heapdiff_class_stat* classes,
                                  heapdiff_pymalloc_geometry* geom, const char** why_not);

#ifdef __cplusplus
}
#endif
