// heapdiff._probe.process_memory(): what the process room (process/) reads about this
// process's memory, as one dict for heapdiff/_memory.py, so Python reads no /proc or cgroup
// file itself and there is one copy of those readers.
#pragma once

#include "py_compat.h"

namespace heapdiff::probe {

PyObject* process_memory_py(PyObject* self, PyObject* args, PyObject* kwargs);
// resident_bytes() -> int or None: statm's resident size alone, for the RSS watchdog's ten
// reads a second (process_memory() reads getrusage and /proc/meminfo too).
PyObject* resident_bytes_py(PyObject* self, PyObject* unused);

}  // namespace heapdiff::probe
