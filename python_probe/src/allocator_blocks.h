// The live blocks of CPython's small-object allocator (pymalloc), read in place from its
// arenas and pools (3.12+; before 3.12 the arenas can be read, pymalloc_state.h, but the
// search is not made: docs/PROBE.md says why), and the entries of the
// interpreter's object free lists (3.14+, where a free-listed object keeps its type and
// its first word becomes the link). The probe looks in those blocks for objects nothing
// refers to: a C extension's leaked references (docs/PROBE.md, "Objects nothing refers to").
#pragma once

#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

// A block of `size` bytes that pymalloc handed out and that is not on its pool's free
// list (it may hold an object, or anything else PyObject_Malloc was asked for).
typedef void (*heapdiff_block_visit)(void* ctx, const void* block, size_t size);

// Visits every allocated block of the main interpreter's arenas. Nothing is allocated and
// no Python code runs; `visit` must not allocate through Python either. Returns the number
// of blocks visited, or -1 with *why_not set to one line saying why the arenas were not
// searched (an interpreter before 3.12, a subinterpreter, another allocator than pymalloc
// such as PYTHONMALLOC=malloc or the debug hooks of -X dev).
long long heapdiff_pymalloc_blocks(heapdiff_block_visit visit, void* ctx, const char** why_not);

// Visits the address of every entry of the interpreter's object free lists (3.14+;
// nothing before, where a free-listed object has a zero reference count or no type).
typedef void (*heapdiff_address_visit)(void* ctx, const void* address);
void heapdiff_free_list_entries(heapdiff_address_visit visit, void* ctx);

// pymalloc's largest block: bigger requests go to malloc.
size_t heapdiff_pymalloc_max_block(void);

#ifdef __cplusplus
}
#endif
