// A snapshot cut at any byte is refused with "truncated" (or, cut to nothing, "not a
// heapdiff snapshot"), both from memory and from a file, whatever is being loaded.
#include <doctest/doctest.h>

#include "fixtures.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

void check_every_cut(const Bytes& bytes, LoadOptions options) {
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        CAPTURE(length);
        std::string message = load_error(Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length)), options);
        if (length == 0)
            CHECK(message.find("not a heapdiff snapshot") != std::string::npos);
        else
            CHECK_MESSAGE(message.find("truncated") != std::string::npos, message);
    }
}

}  // namespace

TEST_CASE("a snapshot cut at every byte is truncated (memory)") {
    for (const Bytes& bytes : {snapshot_bytes(tiny_snapshot()), snapshot_bytes(full_snapshot(), small_chunks())}) {
        check_every_cut(bytes, {});
        check_every_cut(bytes, {false, false});
    }
}

TEST_CASE("a snapshot cut at every byte is truncated (file)") {
    TempDir dir;
    Bytes bytes = snapshot_bytes(tiny_snapshot());
    for (std::size_t length = 1; length < bytes.size(); ++length) {
        CAPTURE(length);
        write_file_bytes(dir.file("cut.hds"), Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length)));
        for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}}) {
            std::string message;
            try {
                read_snapshot(dir.file("cut.hds"), options);
            } catch (const Error& e) {
                message = e.what();
            }
            CHECK_MESSAGE(message.find("truncated") != std::string::npos, message);
        }
    }
}

TEST_CASE("the truncation messages say where the file ends") {
    Bytes bytes = snapshot_bytes(tiny_snapshot());
    std::vector<SectionSpan> spans = section_spans(bytes);
    auto cut = [&](std::size_t n) { return load_error(Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n))); };
    CHECK(cut(5).find("truncated: the header is incomplete") != std::string::npos);
    CHECK(cut(12).find("truncated: the header is incomplete") != std::string::npos);
    CHECK(cut(format::kHeaderSize).find("truncated: the end section is missing") != std::string::npos);
    CHECK(cut(format::kHeaderSize + 10).find("truncated: a section header is cut off") != std::string::npos);
    CHECK(cut(spans[0].payload_offset + 1).find("truncated: section") != std::string::npos);
    CHECK(cut(spans.back().header_offset).find("end section is missing") != std::string::npos);
}
