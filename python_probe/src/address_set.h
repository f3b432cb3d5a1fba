// AddressSet: an open-addressing set of a few object addresses (gc.garbage, a dict subclass's items):
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

// Open-addressing map from an object's address to a 32-bit value (a name's StringId),
// for pointers met over and over during a walk (attribute-name strs): no node
// allocations, no hashing of the text behind the pointer. Address 0 is never a key.
class AddressMap {
public:
    // The value stored for `address`, or null.
    const std::uint32_t* find(std::uint64_t address) const {
        if (keys_.empty()) return nullptr;
        const std::size_t mask = keys_.size() - 1;
        for (std::size_t i = AddressSet_hash(address) & mask;; i = (i + 1) & mask) {
            if (keys_[i] == address) return &values_[i];
            if (keys_[i] == 0) return nullptr;
        }
    }
    void insert(std::uint64_t address, std::uint32_t value) {
        if ((size_ + 1) * 2 > keys_.size()) grow();
        const std::size_t mask = keys_.size() - 1;
        for (std::size_t i = AddressSet_hash(address) & mask;; i = (i + 1) & mask) {
            if (keys_[i] == address) {
                values_[i] = value;
                return;
            }
            if (keys_[i] == 0) {
                keys_[i] = address;
                values_[i] = value;
                ++size_;
                return;
            }
        }
    }
    std::size_t size() const { return size_; }

private:
    static std::size_t AddressSet_hash(std::uint64_t a) {
        a ^= a >> 33;
        a *= 0xff51afd7ed558ccdULL;
        a ^= a >> 33;
        return static_cast<std::size_t>(a);
    }
    void grow() {
        std::vector<std::uint64_t> old_keys(keys_.empty() ? 256 : keys_.size() * 2, 0);
        std::vector<std::uint32_t> old_values(old_keys.size(), 0);
        old_keys.swap(keys_);
        old_values.swap(values_);
        size_ = 0;
        for (std::size_t j = 0; j < old_keys.size(); ++j)
            if (old_keys[j]) insert(old_keys[j], old_values[j]);
    }
    std::vector<std::uint64_t> keys_;
    std::vector<std::uint32_t> values_;
    std::size_t size_ = 0;
};

}  // namespace heapdiff::probe
