// FNV-1a over a section header: catches a damaged length or tag before it is trusted.
// (Payloads are covered by zstd's own content checksum.)
#pragma once

#include <cstddef>
#include <cstdint>

namespace heapdiff::detail {

inline std::uint32_t fnv1a32(const std::uint8_t* data, std::size_t n) {
    std::uint32_t h = 2166136261u;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= data[i];
        h *= 16777619u;
    }
    return h;
}

}  // namespace heapdiff::detail
