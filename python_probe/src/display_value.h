// A short text that helps a human recognise an object: a module's, class's or
// function's name, the first bytes of a str, a small int, a frame's code name and line.
// Computed from C fields only, never through repr().
#pragma once

#include "py_compat.h"

#include <string>

#include "type_registry.h"

namespace heapdiff::probe {

constexpr std::size_t kMaxValueBytes = 64;

// Replaces `out` with the display value of obj ("" when there is none worth showing).
void display_value(PyObject* obj, std::string& out);

}  // namespace heapdiff::probe
