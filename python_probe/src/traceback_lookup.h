// tracemalloc's traceback of one memory block, called from C because its declaration is
// C linkage on some versions, C++ on others (3.11's header has no extern "C"), and
// internal-only on 3.13.
#pragma once

#include <Python.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// New reference: a tuple of (filename, lineno), most recent first, or None.
PyObject* heapdiff_block_traceback(uintptr_t block);

#ifdef __cplusplus
}
#endif
