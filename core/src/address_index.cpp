#include "heapdiff/address_index.h"

#include <algorithm>
#include <numeric>
#include <thread>

namespace heapdiff {

AddressIndex::AddressIndex(const Snapshot& s) : address_(&s.address) {
    const std::size_t n = s.object_count();
    indexes_.resize(n);
    std::iota(indexes_.begin(), indexes_.end(), ObjectIndex{0});
    auto by_address = [&](ObjectIndex a, ObjectIndex b) { return s.address[a] < s.address[b]; };
    // Big heaps: sort the two halves on two threads, then merge (the index is built
    // before every analysis, so its time is every command's time).
    if (n < (1u << 20) || std::thread::hardware_concurrency() < 2) {
        std::sort(indexes_.begin(), indexes_.end(), by_address);
        return;
    }
    auto middle = indexes_.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::thread lower([&] { std::sort(indexes_.begin(), middle, by_address); });
    std::sort(middle, indexes_.end(), by_address);
    lower.join();
    std::inplace_merge(indexes_.begin(), middle, indexes_.end(), by_address);
}

ObjectIndex AddressIndex::find(std::uint64_t address) const {
    const std::vector<std::uint64_t>& addr = *address_;
    auto it = std::lower_bound(indexes_.begin(), indexes_.end(), address,
                               [&](ObjectIndex i, std::uint64_t a) { return addr[i] < a; });
    if (it == indexes_.end() || addr[*it] != address) return kNoObject;
    return *it;
}

}  // namespace heapdiff
