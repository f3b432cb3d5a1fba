// UTF-8 text of a str object without PyUnicode_AsUTF8, which would cache an encoded
// copy inside the object (allocating memory and changing what the snapshot measures).
#pragma once

#include "py_compat.h"

#include <string>

namespace heapdiff::probe {

// At most max_bytes of UTF-8, cut at a character boundary. Returns false for a str
// that is not ready (pre-3.12 legacy strings) or not a str at all.
bool utf8_prefix(PyObject* str, std::size_t max_bytes, std::string& out);

}  // namespace heapdiff::probe
