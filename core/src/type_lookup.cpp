#include "heapdiff/type_lookup.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "heapdiff/object_text.h"

namespace heapdiff {

std::vector<TypeId> types_named(const Snapshot& s, std::string_view name) {
    std::vector<TypeId> out;
    for (std::uint32_t t = 1; t <= s.types.size(); ++t) {
        std::string_view q = s.type_name(TypeId(t));
        if (q == name || short_type_name(q) == name) out.push_back(TypeId(t));
    }
    return out;
}

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Levenshtein distance with one row (names are short).
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

}  // namespace

std::vector<std::string> similar_type_names(const Snapshot& s, std::string_view name, std::size_t limit) {
    const std::string wanted = lower(name);
    std::vector<std::tuple<int, std::size_t, std::string>> scored;  // (containment, distance, name)
    for (std::uint32_t t = 1; t <= s.types.size(); ++t) {
        std::string q(s.type_name(TypeId(t)));
        std::string short_lower = lower(short_type_name(q));
        const bool contains = short_lower.find(wanted) != std::string::npos || wanted.find(short_lower) != std::string::npos;
        std::size_t distance = edit_distance(wanted, short_lower);
        if (!contains && distance > std::max<std::size_t>(2, wanted.size() / 3)) continue;
        scored.emplace_back(contains ? 0 : 1, distance, q);
    }
    std::sort(scored.begin(), scored.end());
    std::vector<std::string> out;
    for (auto& [c, d, q] : scored) {
        if (out.size() == limit) break;
        if (std::find(out.begin(), out.end(), q) == out.end()) out.push_back(q);
    }
    return out;
}

std::string similar_types_clause(const Snapshot& s, std::string_view name) {
    std::string out;
    for (const std::string& q : similar_type_names(s, name)) out += (out.empty() ? "; similar types: " : ", ") + q;
    return out;
}

}  // namespace heapdiff
