#include "heapdiff/address_index.h"

#include <algorithm>
#include <numeric>

namespace heapdiff {

AddressIndex::AddressIndex(const Snapshot& s) {
    const std::size_t n = s.object_count();
    indexes_.resize(n);
    std::iota(indexes_.begin(), indexes_.end(), ObjectIndex{0});
    std::sort(indexes_.begin(), indexes_.end(), [&](ObjectIndex a, ObjectIndex b) { return s.address[a] < s.address[b]; });
    addresses_.resize(n);
    for (std::size_t i = 0; i < n; ++i) addresses_[i] = s.address[indexes_[i]];
}

ObjectIndex AddressIndex::find(std::uint64_t address) const {
    auto it = std::lower_bound(addresses_.begin(), addresses_.end(), address);
    if (it == addresses_.end() || *it != address) return kNoObject;
    return indexes_[static_cast<std::size_t>(it - addresses_.begin())];
}

}  // namespace heapdiff
