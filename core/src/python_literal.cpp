#include "heapdiff/python_literal.h"

#include "heapdiff/object_text.h"

namespace heapdiff {
namespace {

constexpr int kMaxDepth = 3;
constexpr std::size_t kMaxLiteralBytes = 120;
constexpr const char* kCut = "\u2026";  // after the closing quote: the value goes on

// Python's quote choice: single quotes unless the text holds one and no double quote;
// with both, the single quote is escaped. (Other escapes are printable()'s job.)
std::string quoted(std::string_view text, const char* prefix) {
    const bool single = text.find('\'') != std::string_view::npos;
    const bool dbl = text.find('"') != std::string_view::npos;
    const char quote = single && !dbl ? '"' : '\'';
    std::string out(prefix);
    out += quote;
    for (char c : text) {
        if (c == quote) out += '\\';
        out += c;
    }
    out += quote;
    return out;
}

bool value_cut(const Snapshot& s, ObjectIndex i) {
    return !s.flags.empty() && (s.flags[i] & format::object_flag::kValueCut);
}

class LiteralBuilder {
public:
    LiteralBuilder(const Snapshot& s, const AddressIndex& index) : s_(s), index_(index) {}

    // Appends the literal of i; false when it has none (then out is unspecified).
    bool append(ObjectIndex i, int depth, std::string& out) {
        if (i == kNoObject || i >= s_.object_count() || out.size() > kMaxLiteralBytes) return false;
        std::string_view type = s_.type_name(s_.type[i]);
        std::string_view value = s_.value(i);
        if (type == "builtins.str") {
            if (!s_.has_values()) return false;
            out += quoted(value, "");
            if (value_cut(s_, i)) out += kCut;
            return true;
        }
        if (type == "builtins.bytes") {
            if (value.size() < 3 || value.substr(0, 2) != "b'") return false;
            // The probe writes bytes escaped, between b'...'; Python's quote choice applies.
            out += quoted(value.substr(2, value.size() - 3), "b");
            if (value_cut(s_, i)) out += kCut;
            return true;
        }
        if (type == "builtins.int" || type == "builtins.bool" || type == "builtins.float" ||
            type == "builtins.NoneType") {
            if (value.empty()) return false;  // an int past 64 bits has no value written
            out += value;
            return true;
        }
        if (type == "builtins.type") {
            if (value.empty()) return false;
            out += value.substr(0, 9) == "builtins." ? value.substr(9) : value;
            return true;
        }
        if (type == "builtins.tuple") return append_items(i, depth, EdgeKind::Index, "(", ")", out);
        if (type == "builtins.frozenset") return append_items(i, depth, EdgeKind::SetItem, "frozenset({", "})", out);
        return false;
    }

    void append_or_address(ObjectIndex i, int depth, std::string& out) {
        const std::size_t mark = out.size();
        if (append(i, depth, out)) return;
        out.resize(mark);
        out += i == kNoObject ? std::string("<?>") : type_and_address(s_, i);
    }

private:
    bool append_items(ObjectIndex i, int depth, EdgeKind kind, const char* open, const char* close,
                      std::string& out) {
        // (A command may have freed the targets after building its graph.)
        if (depth >= kMaxDepth || !s_.has_edges() || s_.edge_kind.size() != s_.edge_target.size()) return false;
        std::uint64_t items = 0;
        out += open;
        for (std::uint64_t e = s_.edge_begin[i]; e < s_.edge_begin[i + 1]; ++e) {
            if (s_.edge_kind[e] != kind) continue;
            if (items++) out += ", ";
            append_or_address(index_.find(s_.edge_target[e]), depth + 1, out);
            if (out.size() > kMaxLiteralBytes) return false;
        }
        if (kind == EdgeKind::Index && items == 1) out += ',';
        if (kind == EdgeKind::SetItem && items == 0) {
            out.resize(out.size() - 1);  // frozenset(), not frozenset({})
            out += ')';
            return true;
        }
        out += close;
        return true;
    }

    const Snapshot& s_;
    const AddressIndex& index_;
};

}  // namespace

std::string type_and_address(const Snapshot& s, ObjectIndex i) {
    std::string_view name = s.type_name(s.type[i]);
    std::string_view module;
    if (TypeId t = s.type[i]; t.valid() && t.value <= s.types.size()) module = s.strings.get(s.types[t.value - 1].module);
    std::string_view qualname = !module.empty() && name.size() > module.size() + 1 &&
                                        name.substr(0, module.size()) == module && name[module.size()] == '.'
                                    ? name.substr(module.size() + 1)
                                    : short_type_name(name);
    return "<" + std::string(qualname) + " " + hex_address(s.address[i]) + ">";
}

std::string python_literal_of_text(std::string_view text) { return quoted(text, ""); }

std::string python_literal(const Snapshot& s, ObjectIndex i, const AddressIndex& index) {
    std::string out;
    LiteralBuilder(s, index).append_or_address(i, 0, out);
    return out;
}

}  // namespace heapdiff
