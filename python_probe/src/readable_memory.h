// The process's readable mappings (/proc/self/maps, read once per use) for C code that must
// check a pointer the interpreter holds before following it: pymalloc's arenas before 3.12.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heapdiff_readable_memory heapdiff_readable_memory;

// This moment's readable mappings, or NULL when /proc/self/maps cannot be read (or no
// memory is left). Allocates through malloc only; free with heapdiff_readable_memory_free.
heapdiff_readable_memory* heapdiff_readable_memory_read(void);

// Whether [start, start + size) was readable when the maps were read.
int heapdiff_readable_memory_covers(const heapdiff_readable_memory* memory, uintptr_t start, size_t size);

void heapdiff_readable_memory_free(heapdiff_readable_memory* memory);

#ifdef __cplusplus
}
#endif
