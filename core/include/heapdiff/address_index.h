// Objects sorted by address: address -> ObjectIndex lookups in O(log n), and the sorted
// order itself, which lets two snapshots be matched object by object in one merge pass.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff {

// 4 bytes per object: the addresses themselves are read from the snapshot's column.
class AddressIndex {
public:
    explicit AddressIndex(const Snapshot& snapshot);
    ObjectIndex find(std::uint64_t address) const;

    // Objects in ascending address order.
    const std::vector<ObjectIndex>& objects() const { return indexes_; }
    std::uint64_t address_at(std::size_t i) const { return (*address_)[indexes_[i]]; }
    std::size_t size() const { return indexes_.size(); }

private:
    const std::vector<std::uint64_t>* address_;
    std::vector<ObjectIndex> indexes_;
};

}  // namespace heapdiff
