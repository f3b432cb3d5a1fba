#include "heapdiff/chrome_heap.h"

#include <algorithm>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "heapdiff/edge_label.h"
#include "heapdiff/error.h"

namespace heapdiff {

const std::vector<std::string>& ChromeHeap::node_fields() {
    static const std::vector<std::string> v{"type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"};
    return v;
}
const std::vector<std::string>& ChromeHeap::node_types() {
    static const std::vector<std::string> v{"hidden", "array", "string", "object", "code", "closure", "regexp", "number",
                                            "native", "synthetic", "concatenated string", "sliced string", "symbol",
                                            "bigint", "object shape"};
    return v;
}
const std::vector<std::string>& ChromeHeap::edge_fields() {
    static const std::vector<std::string> v{"type", "name_or_index", "to_node"};
    return v;
}
const std::vector<std::string>& ChromeHeap::edge_types() {
    static const std::vector<std::string> v{"context", "element", "property", "internal", "hidden", "shortcut", "weak"};
    return v;
}

namespace {

// Indexes into node_types() and edge_types().
constexpr std::uint32_t kString = 2, kObject = 3, kSynthetic = 9;
constexpr std::uint32_t kElement = 1, kProperty = 2, kInternal = 3, kHidden = 4, kShortcut = 5;
constexpr std::uint32_t kFirstObjectNode = 4;  // after the root and three synthetic groups

class Builder {
public:
    explicit Builder(const HeapGraph& g) : g_(g), s_(g.snapshot()) {}

    ChromeHeap build() {
        const std::uint32_t n = g_.object_count();
        // Edges point at a node by its offset in the node array (node x 7), a 32-bit field.
        const std::uint64_t max_nodes = std::numeric_limits<std::uint32_t>::max() / ChromeHeap::node_fields().size();
        if (std::uint64_t(n) + kFirstObjectNode > max_nodes)
            throw Error("the Chrome heap snapshot format cannot hold " + std::to_string(n) +
                        " objects (its node offsets are 32-bit: " + std::to_string(max_nodes - kFirstObjectNode) + " at most)");
        out_.nodes.reserve((std::size_t(n) + kFirstObjectNode) * ChromeHeap::node_fields().size());
        out_.edges.reserve((s_.edge_target.size() + g_.roots().size() + 3) * ChromeHeap::edge_fields().size());
        intern("");  // string 0: the empty name

        // The roots, grouped as DevTools shows V8's "(GC roots)".
        std::vector<ObjectIndex> modules, frames, held;
        std::vector<std::uint32_t> module_names;
        for (const ModuleRoot& m : s_.module_roots) {
            const ObjectIndex i = g_.index().find(m.address);
            if (i == kNoObject) continue;
            modules.push_back(i);
            module_names.push_back(intern(s_.strings.get(m.name)));
        }
        for (const ThreadRoot& t : s_.thread_roots)
            for (std::uint64_t address : t.frames)
                if (const ObjectIndex i = g_.index().find(address); i != kNoObject) frames.push_back(i);
        for (ObjectIndex i = 0; i < n; ++i)
            if ((g_.root_reasons(i) & (root_reason::kExternalRefs | root_reason::kImmortal)) &&
                !(g_.root_reasons(i) & (root_reason::kModule | root_reason::kThreadFrame)))
                held.push_back(i);  // a module or frame is listed once, in its own group

        // As V8 lays it out, which DevTools relies on: the root's non-synthetic children
        // (reached by "shortcut" edges, V8's global objects) are the user roots its
        // distances start from; its child "(GC roots)" holds the system's roots.
        node(kSynthetic, intern("(Python roots)"), 0, modules.size() + 1);
        for (std::size_t k = 0; k < modules.size(); ++k) edge(kShortcut, module_names[k], object_node(modules[k]));
        edge(kElement, 1, 1);
        node(kSynthetic, intern("(GC roots)"), 0, 2);
        edge(kElement, 1, 2);
        edge(kElement, 2, 3);
        node(kSynthetic, intern("(thread stacks)"), 0, frames.size());
        for (std::size_t k = 0; k < frames.size(); ++k) edge(kElement, static_cast<std::uint32_t>(k), object_node(frames[k]));
        node(kSynthetic, intern("(held by C)"), 0, held.size());
        for (std::size_t k = 0; k < held.size(); ++k) edge(kElement, static_cast<std::uint32_t>(k), object_node(held[k]));

        std::vector<std::uint64_t> resolved;  // one object's edges that reach an object
        for (ObjectIndex i = 0; i < n; ++i) {
            resolved.clear();
            for (std::uint64_t e = s_.edge_begin[i]; e < s_.edge_begin[i + 1]; ++e) {
                if (g_.index().find(s_.edge_target[e]) != kNoObject) resolved.push_back(e);
                else ++out_.unresolved_edges;
            }
            object(i, resolved.size());
            std::uint32_t unnamed = 0;
            for (std::uint64_t e : resolved) object_edge(i, e, unnamed);
        }
        return std::move(out_);
    }

private:
    std::uint32_t intern(std::string_view text) {
        auto [it, fresh] = ids_.emplace(std::string(text), static_cast<std::uint32_t>(out_.strings.size()));
        if (fresh) out_.strings.push_back(it->first);
        return it->second;
    }

    static std::uint32_t object_node(ObjectIndex i) { return i + kFirstObjectNode; }

    void node(std::uint32_t type, std::uint32_t name, std::uint64_t size, std::size_t edges) {
        const auto k = static_cast<std::uint32_t>(out_.node_count());
        if (size > std::numeric_limits<std::uint32_t>::max()) {
            size = std::numeric_limits<std::uint32_t>::max();
            ++out_.clamped_sizes;
        }
        out_.nodes.insert(out_.nodes.end(), {type, name, 2 * k + 1, static_cast<std::uint32_t>(size),
                                             static_cast<std::uint32_t>(edges), 0, 0});
    }

    void edge(std::uint32_t type, std::uint32_t name_or_index, std::uint32_t to_node) {
        out_.edges.insert(out_.edges.end(),
                          {type, name_or_index, to_node * static_cast<std::uint32_t>(ChromeHeap::node_fields().size())});
    }

    void object(ObjectIndex i, std::size_t edges) {
        const bool is_str = s_.type_name(s_.type[i]) == "builtins.str";
        if (!is_str) return node(kObject, intern(s_.type_name(s_.type[i])), s_.size[i], edges);
        std::string value(s_.value(i));
        if (!s_.flags.empty() && (s_.flags[i] & format::object_flag::kValueCut)) value += "…";
        node(kString, intern(value), s_.size[i], edges);
    }

    // List and tuple items are elements (DevTools shows their index); what has a name
    // (a dict value's key, an attribute, a local, a C field) is a property named by the
    // label heapdiff prints; the type and dict keys are internal; the rest hidden.
    void object_edge(ObjectIndex source, std::uint64_t e, std::uint32_t& unnamed) {
        const std::uint32_t to = object_node(g_.index().find(s_.edge_target[e]));
        switch (s_.edge_kind[e]) {
            case EdgeKind::Index:
                return edge(kElement, static_cast<std::uint32_t>(std::min<std::uint64_t>(s_.edge_arg[e], UINT32_MAX)), to);
            case EdgeKind::DictValue:
            case EdgeKind::Attribute:
            case EdgeKind::FrameLocal:
            case EdgeKind::Field:
            case EdgeKind::InstanceDict:
                return edge(kProperty, intern(edge_label(s_, source, e, g_.index())), to);
            case EdgeKind::Class:
            case EdgeKind::DictKey:
                return edge(kInternal, intern(edge_label(s_, source, e, g_.index())), to);
            default:
                return edge(kHidden, unnamed++, to);
        }
    }

    const HeapGraph& g_;
    const Snapshot& s_;
    ChromeHeap out_;
    std::unordered_map<std::string, std::uint32_t> ids_;
};

}  // namespace

ChromeHeap chrome_heap(const HeapGraph& graph) { return Builder(graph).build(); }

}  // namespace heapdiff
