#include "heapdiff/address_index.h"

#include <algorithm>
#include <numeric>

namespace heapdiff {

AddressIndex::AddressIndex(const Snapshot& s) : address_(&s.address) {
    const std::size_t n = s.object_count();
    indexes_.resize(n);
    std::iota(indexes_.begin(), indexes_.end(), ObjectIndex{0});
    std::sort(indexes_.begin(), indexes_.end(), [&](ObjectIndex a, ObjectIndex b) { return s.address[a] < s.address[b]; });
}

ObjectIndex AddressIndex::find(std::uint64_t address) const {
    const std::vector<std::uint64_t>& addr = *address_;
    auto it = std::lower_bound(indexes_.begin(), indexes_.end(), address,
                               [&](ObjectIndex i, std::uint64_t a) { return addr[i] < a; });
    if (it == indexes_.end() || addr[*it] != address) return kNoObject;
    return *it;
}

}  // namespace heapdiff
