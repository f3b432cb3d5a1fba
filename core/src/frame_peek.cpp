#include "frame_peek.h"

namespace heapdiff::detail {

FramePeek::FramePeek() : dctx_(ZSTD_createDCtx(), ZSTD_freeDCtx) {
    // A section may be up to format::kMaxSectionRaw (2^28 bytes) in one frame, written as
    // a single segment: its window is its whole content, above the streaming default
    // (2^27). zstd makes the stream's buffer the smaller of the window and the frame's
    // content size, which the reader has found equal to the section's raw_size (within the
    // file's budget) before it peeks: a header claiming more cannot get a larger buffer.
    ZSTD_DCtx_setParameter(dctx_.get(), ZSTD_d_windowLogMax, 28);
}

std::optional<std::uint64_t> FramePeek::leading_varint(const std::uint8_t* frame, std::size_t size) {
    ZSTD_DCtx_reset(dctx_.get(), ZSTD_reset_session_only);
    std::uint8_t head[10];  // the longest varint
    ZSTD_inBuffer in{frame, size, 0};
    ZSTD_outBuffer out{head, sizeof head, 0};
    while (out.pos < out.size) {
        const std::size_t in_before = in.pos, out_before = out.pos;
        const std::size_t r = ZSTD_decompressStream(dctx_.get(), &out, &in);
        if (ZSTD_isError(r) || r == 0) break;  // damaged, or the frame's end
        if (in.pos == in_before && out.pos == out_before) break;  // no progress: input exhausted
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < out.pos; ++i) {
        value |= static_cast<std::uint64_t>(head[i] & 0x7F) << (7 * i);
        if (!(head[i] & 0x80)) return value;
    }
    return std::nullopt;
}

}  // namespace heapdiff::detail
