// What an edge from a referrer to a referent means, with one integer argument whose
// meaning depends on the kind. Stored as one byte plus one varint per edge.
#pragma once

#include <cstdint>

namespace heapdiff {

enum class EdgeKind : std::uint8_t {
    Unknown = 0,    // a referent with no cheap label; arg unused
    DictKey = 1,    // a key of a dict; arg unused
    DictValue = 2,  // a dict value; arg = position of its key's edge among the same
                    // object's edges (so the label is the key's display value)
    Index = 3,      // list/tuple item; arg = index
    Attribute = 4,  // instance attribute (__slots__ member or inline value); arg = StringId
    InstanceDict = 5,  // the instance's __dict__; arg unused
    Class = 6,      // the object's type (__class__); arg unused
    FrameLocal = 7, // a frame's local or cell variable; arg = StringId of its name
    Field = 8,      // a named C-level field (f_back, tb_frame, __globals__ ...); arg = StringId
    SetItem = 9,    // an element of a set/frozenset; arg unused
};

constexpr std::uint8_t kMaxEdgeKind = 9;

}  // namespace heapdiff
