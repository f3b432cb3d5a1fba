#include "heapdiff/object_text.h"

#include <cstdio>

namespace heapdiff {

std::string with_commas(std::uint64_t n) {
    std::string digits = std::to_string(n), out;
    int count = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        if (count && count % 3 == 0) out.insert(out.begin(), ',');
        out.insert(out.begin(), *it);
        ++count;
    }
    return out;
}

std::string human_size(std::uint64_t bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) return std::to_string(bytes) + " B";
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

std::string_view short_type_name(std::string_view qualified) {
    std::size_t dot = qualified.rfind('.');
    return dot == std::string_view::npos ? qualified : qualified.substr(dot + 1);
}

namespace {

// Items of a container, from the kinds of its edges: what len() would say for the
// builtin containers, without running any of their code.
std::uint64_t item_count(const Snapshot& s, ObjectIndex i, EdgeKind kind) {
    std::uint64_t n = 0;
    for (std::uint64_t e = s.edge_begin[i]; e < s.edge_begin[i + 1]; ++e) n += s.edge_kind[e] == kind;
    return n;
}

}  // namespace

std::string describe_object(const Snapshot& s, ObjectIndex i) {
    std::string_view qualified = s.type_name(s.type[i]);
    std::string out(short_type_name(qualified));
    std::string_view value = s.value(i);
    if (!value.empty()) {
        out += ' ';
        out += value;
        return out;
    }
    if (!s.has_edges() || s.edge_kind.empty()) return out;
    EdgeKind items = EdgeKind::Unknown;
    if (qualified == "builtins.list" || qualified == "builtins.tuple") items = EdgeKind::Index;
    else if (qualified == "builtins.dict") items = EdgeKind::DictValue;
    else if (qualified == "builtins.set" || qualified == "builtins.frozenset") items = EdgeKind::SetItem;
    if (items != EdgeKind::Unknown) out += " len " + std::to_string(item_count(s, i, items));
    return out;
}

std::string hex_address(std::uint64_t address) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(address));
    return buf;
}

}  // namespace heapdiff
