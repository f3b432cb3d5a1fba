// UTF-8 text of a str object without PyUnicode_AsUTF8, which would cache an encoded
// copy inside the object (allocating memory and changing what the snapshot measures).
#pragma once

#include "py_compat.h"

#include <string>

namespace heapdiff::probe {

// At most max_bytes of UTF-8, cut at a character boundary. Returns false for a str
// that is not ready (pre-3.12 legacy strings) or not a str at all.
bool utf8_prefix(PyObject* str, std::size_t max_bytes, std::string& out);

// Names (of types, modules, attributes, locals, files) are written whole: a name cut
// short finds nothing when looked up. Past this, which no real program reaches, a name
// is cut and ends with "...[N more characters]" so that the cut is visible.
constexpr std::size_t kMaxNameBytes = 1u << 20;

// The whole name, or a visibly cut one past kMaxNameBytes.
bool utf8_name(PyObject* str, std::string& out);

}  // namespace heapdiff::probe
