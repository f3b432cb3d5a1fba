// An object as a report names it: its index (the renderer reads address, type, label and
// size from the snapshot) and the Python expression that reaches it, computed once by
// ObjectNames while the graph is there, so that renderers need neither.
#pragma once

#include <string>

#include "heapdiff/ids.h"
#include "heapdiff/object_names.h"

namespace heapdiff {

struct NamedObject {
    ObjectIndex object = kNoObject;  // kNoObject: none (e.g. a suspect without a holder)
    std::string name;                // "app.cache['db']"; "" when no short name reaches it
};

// kNoObject gives an empty NamedObject.
NamedObject named_object(const ObjectNames& names, ObjectIndex object);

}  // namespace heapdiff
