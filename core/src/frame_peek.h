// The first bytes of a zstd frame, decompressed without decompressing the rest: every
// known section starts with a row count, which the reader checks against what the file
// may claim (read_limits) before it makes room for the whole payload. Streaming
// decompression stops as soon as the bytes are out, so a frame that inflates to 256 MiB
// costs its first block here, not 256 MiB.
#pragma once

#include <zstd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace heapdiff::detail {

class FramePeek {
public:
    FramePeek();
    // The varint the frame's content starts with; nullopt when the frame is damaged or
    // ends first (the full decompression then says what is wrong).
    std::optional<std::uint64_t> leading_varint(const std::uint8_t* frame, std::size_t size);

private:
    std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> dctx_;
};

}  // namespace heapdiff::detail
