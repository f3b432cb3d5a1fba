// One column of the writer's current chunk (addresses, sizes, edge targets...): the same
// encodings as ByteWriter (varint, zigzag delta), in a buffer that checks its room once per
// value and grows out of line. ByteWriter's std::vector grew one push_back or one range
// insert at a time, neither inlined in the writer's hot path: 11-12% of a dump
// (docs/PROBE.md, "Where the walk's time goes").
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "heapdiff/bytes.h"

namespace heapdiff {

class ColumnWriter {
public:
    const std::uint8_t* data() const { return data_.get(); }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return capacity_; }
    void clear() { size_ = 0; }
    // Gives the memory back (after a chunk of unusually large values).
    void release() {
        data_.reset();
        size_ = capacity_ = 0;
    }

    void u8(std::uint8_t v) {
        room(1);
        data_[size_++] = v;
    }
    void varint(std::uint64_t v) {
        room(10);
        std::uint8_t* p = data_.get() + size_;
        while (v >= 0x80) {
            *p++ = static_cast<std::uint8_t>(v | 0x80);
            v >>= 7;
        }
        *p++ = static_cast<std::uint8_t>(v);
        size_ = static_cast<std::size_t>(p - data_.get());
    }
    void delta(std::uint64_t v, std::uint64_t& previous) {
        varint(zigzag_encode(static_cast<std::int64_t>(v - previous)));
        previous = v;
    }
    void raw(const void* bytes, std::size_t n) {
        if (n == 0) return;
        room(n);
        std::memcpy(data_.get() + size_, bytes, n);
        size_ += n;
    }

private:
    void room(std::size_t n) {
        if (capacity_ - size_ < n) grow(n);
    }
    __attribute__((noinline)) void grow(std::size_t n) {
        std::size_t want = capacity_ ? capacity_ * 2 : 4096;
        while (want - size_ < n) want *= 2;
        std::unique_ptr<std::uint8_t[]> bigger(new std::uint8_t[want]);
        if (size_) std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        capacity_ = want;
    }
    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t size_ = 0, capacity_ = 0;
};

}  // namespace heapdiff
