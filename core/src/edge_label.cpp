#include "heapdiff/edge_label.h"

#include "heapdiff/python_literal.h"

namespace heapdiff {

std::string edge_label(const Snapshot& s, ObjectIndex source, std::uint64_t e, const AddressIndex& index) {
    const std::uint64_t arg = s.edge_arg[e];
    auto name = [&] { return std::string(s.strings.get(StringId(static_cast<std::uint32_t>(arg)))); };
    switch (s.edge_kind[e]) {
        case EdgeKind::Unknown: return {};
        case EdgeKind::DictKey: return "key";
        case EdgeKind::DictValue: {
            // The key is a sibling edge; the label is the key as a Python literal.
            std::uint64_t key_edge = s.edge_begin[source] + arg;
            if (key_edge < s.edge_begin[source + 1]) {
                ObjectIndex key = index.find(s.edge_target[key_edge]);
                if (key != kNoObject && s.has_values()) return "[" + python_literal(s, key, index) + "]";
            }
            return "[key]";
        }
        case EdgeKind::Index: return "[" + std::to_string(arg) + "]";
        case EdgeKind::Attribute: return "." + name();
        case EdgeKind::InstanceDict: return "__dict__";
        case EdgeKind::Class: return "__class__";
        case EdgeKind::FrameLocal: return "local '" + name() + "'";
        case EdgeKind::Field: return name();
        case EdgeKind::SetItem: return "{item}";
    }
    return {};
}

}  // namespace heapdiff
