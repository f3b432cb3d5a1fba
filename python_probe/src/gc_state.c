#include <patchlevel.h> /* PY_VERSION_HEX, before Python.h decides what it declares */

#define Py_BUILD_CORE 1
#include <Python.h>
#if PY_VERSION_HEX >= 0x03090000
#include <internal/pycore_gc.h>
#include <internal/pycore_interp.h>
#else
#include <internal/pycore_pystate.h>
#endif

#include "gc_state.h"

int heapdiff_gc_collecting(void) {
#if PY_VERSION_HEX >= 0x03090000
    PyInterpreterState* interp = PyInterpreterState_Get(); /* exported; _GET() reads an unexported TLS */
    return interp->gc.collecting != 0;
#else
    return _PyRuntime.gc.collecting != 0;
#endif
}
