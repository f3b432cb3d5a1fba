// Objects sorted by address: address -> ObjectIndex lookups in O(log n), and the sorted
// order itself, which lets two snapshots be matched object by object in one merge pass.
#pragma once

#include <cstdint>
#include <vector>

#include "heapdiff/snapshot.h"

namespace heapdiff {

class AddressIndex {
public:
    explicit AddressIndex(const Snapshot& snapshot);
    ObjectIndex find(std::uint64_t address) const;

    // Addresses ascending, and the object at each.
    const std::vector<std::uint64_t>& addresses() const { return addresses_; }
    const std::vector<ObjectIndex>& objects() const { return indexes_; }

private:
    std::vector<std::uint64_t> addresses_;
    std::vector<ObjectIndex> indexes_;
};

}  // namespace heapdiff
