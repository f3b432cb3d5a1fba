// sys.getsizeof() without running Python code: a C __sizeof__ is called directly, a
// __sizeof__ written in Python is not run (the basic size is used and the object is
// flagged approximate), and the GC header / pre-header is added as sys.getsizeof does.
#pragma once

#include "py_compat.h"

#include <cstdint>

#include "type_registry.h"

namespace heapdiff::probe {

// Sets *approximate when the exact answer would have needed Python code.
std::uint64_t object_size(PyObject* obj, const TypeEntry& type, bool* approximate);

}  // namespace heapdiff::probe
