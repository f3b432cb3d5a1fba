// Paired encode/decode helpers: every field is written by a ByteWriter method and read
// back by the ByteReader method of the same name, so the two cannot drift apart.
// The reader is bounds-checked: running past the end throws Error, never reads garbage.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "heapdiff/error.h"

namespace heapdiff {

inline std::uint64_t zigzag_encode(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t zigzag_decode(std::uint64_t v) {
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

class ByteWriter {
public:
    std::vector<std::uint8_t>& buffer() { return buf_; }
    const std::vector<std::uint8_t>& buffer() const { return buf_; }
    std::size_t size() const { return buf_.size(); }
    void clear() { buf_.clear(); }

    void u8(std::uint8_t v) { buf_.push_back(v); }
    void fixed16(std::uint16_t v) { put_le(v, 2); }
    void fixed32(std::uint32_t v) { put_le(v, 4); }
    void fixed64(std::uint64_t v) { put_le(v, 8); }
    void varint(std::uint64_t v) {
        if (v < 0x80) {  // most ids, counts and small deltas
            buf_.push_back(static_cast<std::uint8_t>(v));
            return;
        }
        std::uint8_t tmp[10];
        std::size_t n = 0;
        while (v >= 0x80) {
            tmp[n++] = static_cast<std::uint8_t>(v | 0x80);
            v >>= 7;
        }
        tmp[n++] = static_cast<std::uint8_t>(v);
        buf_.insert(buf_.end(), tmp, tmp + n);
    }
    void svarint(std::int64_t v) { varint(zigzag_encode(v)); }
    // Delta against the previous value of the same column (addresses).
    void delta(std::uint64_t v, std::uint64_t& previous) {
        svarint(static_cast<std::int64_t>(v - previous));
        previous = v;
    }
    void f64(double v) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, 8);
        fixed64(bits);
    }
    void bytes(std::string_view s) {
        varint(s.size());
        raw(s.data(), s.size());
    }
    void raw(const void* data, std::size_t n) {
        const auto* p = static_cast<const std::uint8_t*>(data);
        buf_.insert(buf_.end(), p, p + n);
    }
    void append(const ByteWriter& other) { raw(other.buf_.data(), other.buf_.size()); }

private:
    void put_le(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) buf_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    std::vector<std::uint8_t> buf_;
};

class ByteReader {
public:
    ByteReader(const std::uint8_t* data, std::size_t size, const char* what)
        : p_(data), end_(data + size), what_(what) {}

    bool at_end() const { return p_ == end_; }
    std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }

    std::uint8_t u8() {
        need(1);
        return *p_++;
    }
    std::uint16_t fixed16() { return static_cast<std::uint16_t>(get_le(2)); }
    std::uint32_t fixed32() { return static_cast<std::uint32_t>(get_le(4)); }
    std::uint64_t fixed64() { return get_le(8); }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1);
            std::uint8_t b = *p_++;
            v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80)) return v;
        }
        fail("varint longer than 10 bytes");
    }
    std::int64_t svarint() { return zigzag_decode(varint()); }
    std::uint64_t delta(std::uint64_t& previous) {
        previous += static_cast<std::uint64_t>(svarint());
        return previous;
    }
    double f64() {
        std::uint64_t bits = fixed64();
        double v;
        std::memcpy(&v, &bits, 8);
        return v;
    }
    std::string_view bytes() {
        std::uint64_t n = varint();
        need(n);
        std::string_view s(reinterpret_cast<const char*>(p_), static_cast<std::size_t>(n));
        p_ += n;
        return s;
    }
    const std::uint8_t* raw(std::size_t n) {
        need(n);
        const std::uint8_t* at = p_;
        p_ += n;
        return at;
    }
    // A count read from the file, checked against what the bytes left could hold
    // (each element needs at least min_bytes), so a corrupted count cannot make the
    // caller reserve a huge array.
    std::uint64_t count(std::size_t min_bytes_each) {
        std::uint64_t n = varint();
        if (min_bytes_each && n > remaining() / min_bytes_each) fail("count larger than its data");
        return n;
    }
    [[noreturn]] void fail(const std::string& why) const {
        throw snapshot_error(std::string("corrupted snapshot: ") + what_ + ": " + why);
    }

private:
    void need(std::uint64_t n) const {
        if (n > remaining()) fail("data ends early");
    }
    std::uint64_t get_le(int n) {
        need(static_cast<std::uint64_t>(n));
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
        p_ += n;
        return v;
    }
    const std::uint8_t* p_;
    const std::uint8_t* end_;
    const char* what_;
};

}  // namespace heapdiff
