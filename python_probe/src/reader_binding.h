// heapdiff._probe.read_snapshot(path, select=None): the core reader exposed to Python for
// tests and small tools: object columns as bytes, details for the selected addresses.
// The analyzer proper stays in the CLI.
#pragma once

#include "py_compat.h"

namespace heapdiff::probe {

PyObject* read_snapshot_py(PyObject* self, PyObject* args);

}  // namespace heapdiff::probe
