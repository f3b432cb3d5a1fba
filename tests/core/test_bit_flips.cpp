// Every single-bit flip in a snapshot is either refused with an Error or harmless: the
// file still loads, and loads exactly the same snapshot. Never a crash, never wrong data.
//
// What catches a flip, by where it lands:
//   magic            "not a heapdiff snapshot"
//   major version    "newer version" (bit set) or "format version 0" (bit cleared)
//   minor version    NOT DETECTED, by design: any minor is readable (it only adds
//                    optional sections) and the file header has no checksum, so a
//                    flipped minor loads as that minor. Nothing else changes.
//   header size      a smaller size is "bad header size"; a larger one skips bytes and
//                    lands the first section header in the wrong place (its check fails)
//                    or past the end ("truncated")
//   section header   its FNV-1a check, which detects every single-byte change: each step
//                    (xor a byte, multiply by an odd prime) is a bijection of the hash
//   section payload  zstd: the frame header (content size must equal raw_size, the frame
//                    must fill stored_size exactly and carry a checksum), block decoding,
//                    and the content checksum (32 bits of XXH64) of the decoded bytes.
//                    NOT DETECTED, and harmless: flips that turn the frame into another
//                    valid encoding of the same bytes. The checksum covers what is
//                    decoded, not how, so nothing could tell them apart without a second
//                    checksum over the compressed bytes (a format change). Seen here:
//                      - bit 4 of the frame header descriptor (the frame's 5th byte),
//                        "unused" in the zstd spec, which tells decoders to ignore it;
//                      - a 1-byte raw block turned into a 1-byte RLE block of that byte;
//                      - the reserved low bits of a compressed block's
//                        Symbol_Compression_Modes byte, which libzstd does not check, and
//                        similar spare bits in block headers.
//   END section      as any section; its counts are then checked against the file
// The same holds with LoadOptions::edges = false: EDGE payloads are then not decoded,
// but they are still decompressed, so their checksum is still verified.
#include <doctest/doctest.h>

#include "fixtures.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

constexpr std::size_t kMinorOffset = 10;  // u16 after the magic and the major

bool in_payload(const std::vector<SectionSpan>& spans, std::size_t offset) {
    for (const SectionSpan& s : spans)
        if (offset >= s.payload_offset && offset < s.payload_offset + s.stored_size) return true;
    return false;
}

void check_every_flip(const Bytes& original, LoadOptions options) {
    const std::vector<SectionSpan> spans = section_spans(original);
    const Snapshot expected = load(original, options);
    std::size_t detected = 0, same_encoding = 0;
    for (std::size_t offset = 0; offset < original.size(); ++offset) {
        for (int bit = 0; bit < 8; ++bit) {
            CAPTURE(offset);
            CAPTURE(bit);
            Bytes bytes = original;
            bytes[offset] ^= static_cast<std::uint8_t>(1u << bit);
            try {
                Snapshot s = load(bytes, options);
                // Loaded: then it must be the very same snapshot...
                if (offset == kMinorOffset || offset == kMinorOffset + 1) {
                    CHECK(s.format_minor == (expected.format_minor ^ (1u << (bit + 8 * (offset - kMinorOffset)))));
                    s.format_minor = expected.format_minor;
                }
                check_same_snapshot(expected, s);
                // ...and the flip must be somewhere a flip can be harmless.
                if (offset == kMinorOffset || offset == kMinorOffset + 1) continue;
                if (in_payload(spans, offset))
                    ++same_encoding;
                else
                    FAIL("an undetected flip outside the minor version and the compressed payloads");
            } catch (const Error& e) {
                ++detected;
                CHECK(std::string(e.what()).size() > 0);
            }
        }
    }
    MESSAGE("flips detected: " << detected << "; harmless: 16 in the minor version, " << same_encoding
                               << " re-encoding the same payload");
    // Nearly everything is caught: the harmless re-encodings are a few bits per frame.
    CHECK(same_encoding <= 4 * spans.size());
}

}  // namespace

TEST_CASE("every single-bit flip in a small snapshot is detected or harmless") {
    check_every_flip(snapshot_bytes(tiny_snapshot(), small_chunks()), {});
}

TEST_CASE("every single-bit flip, loading without edges or values") {
    check_every_flip(snapshot_bytes(tiny_snapshot(), small_chunks()), {false, false});
}

TEST_CASE("single-bit flips in the chunked full snapshot are detected or harmless") {
    check_every_flip(snapshot_bytes(full_snapshot(), small_chunks()), {});
}
