// Where obmalloc.c's static state is before 3.12 (its arenas, maxarenas and
// narenas_currently_allocated have no API and no dynamic symbol): their addresses in this
// process, read from the full symbol table (.symtab) of the ELF file that holds libpython's
// code (libpython3.X.so, or the python executable itself when it is linked statically).
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uintptr_t arenas;     // the address of `static struct arena_object* arenas`
    uintptr_t maxarenas;  // of `static uint maxarenas`
    uintptr_t narenas;    // of `static size_t narenas_currently_allocated`
    const char* source;   // "symbols arenas, maxarenas of /path/libpython3.9.so.1.0"
    const char* why_not;  // NULL when found; else one line (a stripped file, a mismatch)
} heapdiff_obmalloc_symbols;

// Found once per process: the first call reads the file (a few milliseconds), later calls
// return the same answer. Never throws; allocates through malloc only, never through Python.
const heapdiff_obmalloc_symbols* heapdiff_find_obmalloc_symbols(void);

#ifdef __cplusplus
}
#endif
