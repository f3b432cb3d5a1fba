// The set of objects the walk has written, as one bit per 16 bytes of address space,
// in 64 KiB regions allocated on first use. Objects live packed in pymalloc arenas and
// malloc'd chunks, so neighbours share a region and a cache line: testing and setting
// a bit stays in cache where a hash set of addresses would miss on almost every new
// object (it was the walk's largest cost). Memory is about 1/128 of the bytes the heap
// spans, plus 512 bytes per region that holds at least one object.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace heapdiff::probe {

class AddressBitmap {
public:
    // Returns true if the address was not in the set yet.
    bool insert(std::uint64_t address) {
        std::uint64_t* bits = region(address >> kRegionShift);
        const std::uint64_t slot = (address & (kRegionBytes - 1)) >> kAlignShift;
        const std::uint64_t mask = 1ull << (slot & 63);
        std::uint64_t& word = bits[slot >> 6];
        if (word & mask) return false;
        word |= mask;
        ++size_;
        return true;
    }
    bool contains(std::uint64_t address) const {
        const std::uint64_t key = address >> kRegionShift;
        if (keys_.empty()) return false;
        const std::size_t mask = keys_.size() - 1;
        std::size_t i = hash(key) & mask;
        while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask;
        if (keys_[i] == kEmpty) return false;
        const std::uint64_t slot = (address & (kRegionBytes - 1)) >> kAlignShift;
        return regions_[values_[i]][slot >> 6] >> (slot & 63) & 1;
    }
    std::size_t size() const { return size_; }
    std::size_t memory_bytes() const {
        return regions_.size() * kWordsPerRegion * 8 + keys_.capacity() * 8 + values_.capacity() * 4;
    }

private:
    static constexpr unsigned kRegionShift = 16;  // 64 KiB
    static constexpr std::uint64_t kRegionBytes = 1ull << kRegionShift;
    static constexpr unsigned kAlignShift = 4;  // CPython objects are 16-byte aligned
    static constexpr std::size_t kWordsPerRegion = (kRegionBytes >> kAlignShift) / 64;

    std::uint64_t* region(std::uint64_t key) {
        if (key == last_key_) return last_bits_;
        if ((used_ + 1) * 2 > keys_.size()) grow();
        const std::size_t mask = keys_.size() - 1;
        std::size_t i = hash(key) & mask;
        while (keys_[i] != kEmpty && keys_[i] != key) i = (i + 1) & mask;
        if (keys_[i] == kEmpty) {
            keys_[i] = key;
            values_[i] = static_cast<std::uint32_t>(regions_.size());
            regions_.emplace_back(new std::uint64_t[kWordsPerRegion]());
            ++used_;
        }
        last_key_ = key;
        last_bits_ = regions_[values_[i]].get();
        return last_bits_;
    }
    static std::size_t hash(std::uint64_t k) { return static_cast<std::size_t>(k * 0x9E3779B97F4A7C15ull >> 20); }
    void grow() {
        std::vector<std::uint64_t> old_keys(keys_.empty() ? 512 : keys_.size() * 2, kEmpty);
        std::vector<std::uint32_t> old_values(old_keys.size(), 0);
        old_keys.swap(keys_);
        old_values.swap(values_);
        const std::size_t mask = keys_.size() - 1;
        for (std::size_t j = 0; j < old_keys.size(); ++j) {
            if (old_keys[j] == kEmpty) continue;
            std::size_t i = hash(old_keys[j]) & mask;
            while (keys_[i] != kEmpty) i = (i + 1) & mask;
            keys_[i] = old_keys[j];
            values_[i] = old_values[j];
        }
    }

    static constexpr std::uint64_t kEmpty = ~0ull;
    std::vector<std::uint64_t> keys_;    // region numbers, open addressing
    std::vector<std::uint32_t> values_;  // index into regions_
    std::vector<std::unique_ptr<std::uint64_t[]>> regions_;
    std::size_t used_ = 0, size_ = 0;
    std::uint64_t last_key_ = kEmpty;
    std::uint64_t* last_bits_ = nullptr;
};

}  // namespace heapdiff::probe
