// Open-addressing set of a few object addresses (gc.garbage, a dict subclass's items):
// 8 bytes a slot, kept at most half full, no node allocations. The walk's own "seen" set
// is AddressBitmap, which suits the whole heap better.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace heapdiff::probe {

class AddressSet {
public:
    // Returns true if the address was not in the set yet. Address 0 is never stored.
    bool insert(std::uint64_t address) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash(address) & mask;; i = (i + 1) & mask) {
            if (slots_[i] == address) return false;
            if (slots_[i] == 0) {
                slots_[i] = address;
                ++size_;
                return true;
            }
        }
    }
    // Room for n addresses without growing.
    void reserve(std::size_t n) {
        std::size_t want = 1024;
        while (want < n * 2) want *= 2;
        if (want <= slots_.size()) return;
        std::vector<std::uint64_t> old;
        old.swap(slots_);
        slots_.assign(want, 0);
        size_ = 0;
        for (std::uint64_t a : old)
            if (a) insert(a);
    }
    bool contains(std::uint64_t address) const {
        if (slots_.empty()) return false;
        std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash(address) & mask;; i = (i + 1) & mask) {
            if (slots_[i] == address) return true;
            if (slots_[i] == 0) return false;
        }
    }
    std::size_t size() const { return size_; }
    void clear() {
        if (size_) std::fill(slots_.begin(), slots_.end(), 0);
        size_ = 0;
    }

private:
    static std::size_t hash(std::uint64_t a) {
        a ^= a >> 33;  // objects are 16-byte aligned: mix the high bits down
        a *= 0xff51afd7ed558ccdULL;
        a ^= a >> 33;
        return static_cast<std::size_t>(a);
    }
    void grow() { reserve(slots_.empty() ? 512 : slots_.size()); }
    std::vector<std::uint64_t> slots_;
    std::size_t size_ = 0;
};

}  // namespace heapdiff::probe
