// Strong 32-bit index types: a StringId cannot be passed where a TypeId is expected.
// Value 0 means "none" for every kind, so a zero-initialised column is all-invalid.
#pragma once

#include <cstdint>
#include <functional>

namespace heapdiff {

template <typename Tag>
struct Id {
    std::uint32_t value = 0;

    constexpr Id() = default;
    constexpr explicit Id(std::uint32_t v) : value(v) {}
    constexpr bool valid() const { return value != 0; }
    constexpr explicit operator bool() const { return valid(); }
    friend constexpr bool operator==(Id a, Id b) { return a.value == b.value; }
    friend constexpr bool operator!=(Id a, Id b) { return a.value != b.value; }
    friend constexpr bool operator<(Id a, Id b) { return a.value < b.value; }
};

struct StringTag {};
struct TypeTag {};
struct TracebackTag {};

using StringId = Id<StringTag>;        // into Snapshot::strings, 1-based
using TypeId = Id<TypeTag>;            // into Snapshot::types, 1-based
using TracebackId = Id<TracebackTag>;  // into Snapshot::tracebacks, 1-based

// Objects are addressed by their position in the snapshot's columns (0-based).
using ObjectIndex = std::uint32_t;
constexpr ObjectIndex kNoObject = 0xFFFFFFFFu;

}  // namespace heapdiff

template <typename Tag>
struct std::hash<heapdiff::Id<Tag>> {
    std::size_t operator()(heapdiff::Id<Tag> id) const noexcept { return id.value; }
};
