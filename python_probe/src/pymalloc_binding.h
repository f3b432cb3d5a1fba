// heapdiff._probe.pymalloc_stats(): heapdiff_pymalloc_stats (pymalloc_stats.h) as one dict,
// for tests; the snapshot's memory account calls the C function itself.
#pragma once

#include "py_compat.h"

namespace heapdiff::probe {

PyObject* pymalloc_stats_py(PyObject* self, PyObject* args);

}  // namespace heapdiff::probe
