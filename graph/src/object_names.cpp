#include "heapdiff/object_names.h"

#include <algorithm>

#include "heapdiff/python_literal.h"

namespace heapdiff {
namespace {

bool followed(EdgeKind kind) {
    switch (kind) {
        case EdgeKind::DictValue:
        case EdgeKind::Index:
        case EdgeKind::Attribute:
        case EdgeKind::InstanceDict:
        case EdgeKind::FrameLocal:  // frame.f_locals['db']
        case EdgeKind::Field: return true;
        default: return false;
    }
}

bool is_identifier(std::string_view text) {
    if (text.empty() || (text[0] >= '0' && text[0] <= '9')) return false;
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

constexpr std::string_view kDictStep = ".__dict__";

}  // namespace

ObjectNames::ObjectNames(const HeapGraph& g) : graph_(&g) {
    const Snapshot& s = g.snapshot();
    const std::uint32_t n = g.object_count();
    parent_.assign(n, kNoObject);
    step_.assign(n, 0);
    step_kind_.assign(n, EdgeKind::Unknown);
    if (s.edge_kind.size() != s.edge_target.size() || s.edge_arg.size() != s.edge_target.size()) return;

    std::vector<ObjectIndex> level;
    for (std::size_t m = s.module_roots.size(); m-- > 0;) {
        ObjectIndex i = g.index().find(s.module_roots[m].address);
        if (i == kNoObject || parent_[i] != kNoObject) continue;
        parent_[i] = i;
        step_[i] = static_cast<std::uint32_t>(m);
        level.push_back(i);
    }
    std::vector<ObjectIndex> next;
    for (std::uint32_t depth = 0; depth < kMaxSteps && !level.empty(); ++depth) {
        next.clear();
        for (ObjectIndex v : level) {
            // The graph's edges of v are the snapshot's in the same order, less those
            // whose target the snapshot lacks: walk both together for each edge's kind.
            auto [it, end] = adjacent_vertices(v, g.forward());
            for (std::uint64_t e = s.edge_begin[v]; e < s.edge_begin[v + 1] && it != end; ++e) {
                if (s.edge_target[e] != s.address[*it]) continue;  // not in the snapshot
                const ObjectIndex t = *it++;
                if (parent_[t] != kNoObject || !followed(s.edge_kind[e])) continue;
                std::uint64_t arg = s.edge_arg[e];
                if (s.edge_kind[e] == EdgeKind::DictValue) {
                    const std::uint64_t key_edge = s.edge_begin[v] + arg;
                    ObjectIndex key = key_edge < s.edge_begin[v + 1] ? g.index().find(s.edge_target[key_edge]) : kNoObject;
                    if (key == kNoObject) continue;
                    arg = key;
                }
                parent_[t] = v;
                step_[t] = static_cast<std::uint32_t>(std::min<std::uint64_t>(arg, 0xFFFFFFFFu));
                step_kind_[t] = s.edge_kind[e];
                next.push_back(t);
            }
        }
        level.swap(next);
    }
}

std::string ObjectNames::name(ObjectIndex object) const {
    const Snapshot& s = graph_->snapshot();
    if (object >= parent_.size() || parent_[object] == kNoObject) return {};
    std::vector<ObjectIndex> path;  // the object, then each parent up to (not with) its module
    ObjectIndex v = object;
    for (; parent_[v] != v; v = parent_[v]) path.push_back(v);
    std::string out(s.strings.get(s.module_roots[step_[v]].name));
    bool after_dict = false;  // the last step was into a __dict__: a str key reads .key
    for (std::size_t k = path.size(); k-- > 0;) {
        const ObjectIndex c = path[k];
        const std::uint32_t arg = step_[c];
        const bool into_dict = step_kind_[c] == EdgeKind::InstanceDict ||
                               (step_kind_[c] == EdgeKind::Field && s.strings.get(StringId(arg)) == "__dict__");
        switch (step_kind_[c]) {
            case EdgeKind::InstanceDict: out += kDictStep; break;
            case EdgeKind::Field:
            case EdgeKind::Attribute:
                out += '.';
                out += s.strings.get(StringId(arg));
                break;
            case EdgeKind::Index: out += "[" + std::to_string(arg) + "]"; break;
            case EdgeKind::FrameLocal:
                out += ".f_locals[" + python_literal_of_text(s.strings.get(StringId(arg))) + "]";
                break;
            case EdgeKind::DictValue: {
                const bool str_key = s.type_name(s.type[arg]) == "builtins.str" &&
                                     !(s.flags.size() > arg && (s.flags[arg] & format::object_flag::kValueCut));
                if (after_dict && str_key && is_identifier(s.value(arg))) {
                    out.resize(out.size() - kDictStep.size());
                    out += '.';
                    out += s.value(arg);
                } else {
                    out += "[" + python_literal(s, arg, graph_->index()) + "]";
                }
                break;
            }
            default: return {};
        }
        after_dict = into_dict;
        if (out.size() > kMaxNameBytes) return {};
    }
    return out;
}

}  // namespace heapdiff
