// sys.getsizeof() without running code the probe cannot vouch for: object.__sizeof__'s
// formula is computed inline, the C __sizeof__ of a trusted type (type_registry.cpp) is
// called directly, and any other __sizeof__ (Python, or an untrusted C one) is not run:
// the basic size is used and the object flagged approximate. The GC header / pre-header
// is added as sys.getsizeof does.
#pragma once

#include "py_compat.h"

#include <cstdint>

#include "type_registry.h"

namespace heapdiff::probe {

// Sets *approximate when the exact answer would have needed code the probe does not run,
// or when a size came out larger than max_size (the process's address space).
std::uint64_t object_size(PyObject* obj, const TypeEntry& type, std::uint64_t max_size, bool* approximate);

}  // namespace heapdiff::probe
