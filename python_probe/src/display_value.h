// A short text that helps a human recognise an object: a module's, class's or
// function's name, the first bytes of a str or bytes, an int that fits 64 bits, a float's
// repr, a frame's code name and line.
// Computed from C fields only, never through repr().
#pragma once

#include "py_compat.h"

#include <string>

#include "type_registry.h"

namespace heapdiff::probe {

constexpr std::size_t kMaxValueBytes = 64;

// Replaces `out` with the display value of obj ("" when there is none worth showing).
// Returns false when the value was cut at kMaxValueBytes (a long str or bytes): the
// analyzer must not print a cut key as if it were the whole key.
bool display_value(PyObject* obj, std::string& out);

}  // namespace heapdiff::probe
