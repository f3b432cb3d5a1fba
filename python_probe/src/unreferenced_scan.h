// The objects the walk could not reach because nothing refers to them: a C extension's
// leaked references. Found by the allocator, not by following references: every live
// pymalloc block (3.12+) and, when tracemalloc traces, every larger traced block is asked
// whether it holds a live object the walk did not write (docs/PROBE.md, "Objects nothing
// refers to").
#pragma once

#include "py_compat.h"

#include <string>
#include <vector>

#include "address_bitmap.h"
#include "type_registry.h"

namespace heapdiff::probe {

struct UnreferencedScan {
    bool searched = false;
    std::string where;        // what was searched, or why nothing was (one line)
    std::vector<PyObject*> objects;  // borrowed; live until Python code runs again
    std::uint64_t blocks = 0;        // blocks looked at
};

// `reached`: the objects the walk wrote that no gc list holds; `excluded`: the probe's own.
// Tracked objects are always reached (every gc list was walked). Runs no Python code and
// allocates only through malloc while it reads the allocator's state.
UnreferencedScan find_unreferenced(const TypeRegistry& types, const AddressBitmap& reached,
                                   const std::vector<const PyObject*>& excluded, bool tracing);

}  // namespace heapdiff::probe
