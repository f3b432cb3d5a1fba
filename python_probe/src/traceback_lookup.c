#include "traceback_lookup.h"

#if PY_VERSION_HEX >= 0x030D0000
/* Exported by every CPython 3.8-3.13; only 3.13 moved the declaration to an internal header. */
PyAPI_FUNC(PyObject*) _PyTraceMalloc_GetTraceback(unsigned int domain, uintptr_t ptr);
#endif

PyObject* heapdiff_block_traceback(uintptr_t block) {
    return _PyTraceMalloc_GetTraceback(0 /* the default domain, where objects live */, block);
}
