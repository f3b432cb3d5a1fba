// The version rules: a newer major or an unknown required section is refused with
// "newer version"; a newer minor, a longer header and unknown optional sections are
// read past; nothing may follow the end section.
#include <doctest/doctest.h>

#include "fixtures.h"
#include "heapdiff/bytes.h"
#include "payloads.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The tiny snapshot's sections, with `extra` inserted before the END section and the
// END counts updated to include it.
Bytes tiny_with(RawSection extra, std::size_t before_end = 0) {
    RawFile f = decode(snapshot_bytes(tiny_snapshot(), small_chunks()));
    f.sections.insert(f.sections.end() - 1 - static_cast<std::ptrdiff_t>(before_end), std::move(extra));
    fix_end(f);
    return encode(f);
}

}  // namespace

TEST_CASE("a newer major version is refused") {
    RawFile f = decode(snapshot_bytes(tiny_snapshot()));
    f.major = format::kMajor + 1;
    f.minor = 3;
    std::string message = load_error(encode(f));
    CHECK(contains(message, "test.hds: "));
    CHECK(contains(message, "newer version"));
    CHECK(contains(message, "format 2.3"));
    CHECK(contains(message, "upgrade heapdiff"));

    f.major = 0xFFFF;
    CHECK(contains(load_error(encode(f)), "newer version"));
    // The major is checked before anything else, so a future layout cannot confuse it.
    Bytes newer = file_header(format::kMajor + 1, 0, 64);
    CHECK(contains(load_error(newer), "newer version"));
}

TEST_CASE("major version 0 is corrupted") {
    RawFile f = decode(snapshot_bytes(tiny_snapshot()));
    f.major = 0;
    CHECK(contains(load_error(encode(f)), "corrupted: format version 0"));
}

TEST_CASE("a newer minor version loads") {
    RawFile f = decode(snapshot_bytes(tiny_snapshot()));
    f.minor = format::kMinor + 7;
    Snapshot s = load(encode(f));
    CHECK(s.format_minor == format::kMinor + 7);
    s.format_minor = format::kMinor;
    check_same_snapshot(tiny_snapshot(), s);
}

TEST_CASE("a longer header is skipped; a shorter one is corrupted") {
    RawFile f = decode(snapshot_bytes(tiny_snapshot()));
    f.header_size = format::kHeaderSize + 40;
    check_same_snapshot(tiny_snapshot(), load(encode(f)));
    f.header_size = format::kHeaderSize - 1;
    CHECK(contains(load_error(encode(f)), "corrupted: bad header size"));
}

TEST_CASE("an unknown required section is refused as newer") {
    RawSection future = section(format::tag("ZZZZ"), {1, 2, 3});
    std::string message = load_error(tiny_with(future));
    CHECK(contains(message, "newer version"));
    CHECK(contains(message, "'ZZZZ'"));
    // Same refusal when the tag is not printable, and with other flag bits set too.
    future.tag = 0x00FF7F01;
    future.flags = 0xFFFFFFFF;
    CHECK(contains(load_error(tiny_with(future, 3)), "newer version"));
    // Refused even when edges are not loaded: the reader cannot know what it would miss.
    CHECK(contains(load_error(tiny_with(future), {false, false}), "newer version"));
}

TEST_CASE("an unknown optional section is skipped") {
    Snapshot expected = tiny_snapshot();
    RawSection future = section(format::tag("ZZZZ"), {1, 2, 3});
    for (std::uint32_t flags : {0u, 0xFFFFFFFEu}) {
        future.flags = flags;
        for (std::size_t before_end : {0u, 1u, 5u}) {
            CAPTURE(before_end);
            check_same_snapshot(expected, load(tiny_with(future, before_end)));
            check_same_objects(expected, load(tiny_with(future, before_end), {false, false}));
        }
    }
}

TEST_CASE("an unknown optional section is skipped without being decompressed") {
    // Its payload is not even a zstd frame: a newer writer may store anything there.
    RawFile f = decode(snapshot_bytes(tiny_snapshot()));
    RawSection end = f.sections.back();
    f.sections.pop_back();
    Bytes bytes = encode(f);
    Bytes garbage = {0xde, 0xad, 0xbe, 0xef, 0x00};
    Bytes future = section_header(format::tag("NEW!"), 0, garbage.size(), 1000);
    future.insert(future.end(), garbage.begin(), garbage.end());
    bytes.insert(bytes.end(), future.begin(), future.end());
    ByteReader counts(end.payload.data(), end.payload.size(), "end");
    std::uint64_t objects = counts.varint(), edges = counts.varint();
    end.payload = end_payload(objects, edges, f.sections.size() + 1);  // the skipped one counts
    Bytes end_bytes = encode_section(end);
    bytes.insert(bytes.end(), end_bytes.begin(), end_bytes.end());
    check_same_snapshot(tiny_snapshot(), load(bytes));
    check_same_objects(tiny_snapshot(), load(bytes, {false, false}));
}

TEST_CASE("a known section flagged optional is still read") {
    RawFile f = decode(snapshot_bytes(tiny_snapshot()));
    for (RawSection& s : f.sections) s.flags = 0;
    check_same_snapshot(tiny_snapshot(), load(encode(f)));
}

TEST_CASE("nothing may follow the end section") {
    Bytes bytes = snapshot_bytes(tiny_snapshot());
    Bytes one_more = bytes;
    one_more.push_back(0);
    CHECK(contains(load_error(one_more), "corrupted: data after the end section"));
    // Not even a whole well-formed section, nor a second END.
    RawFile f = decode(bytes);
    Bytes roots = encode_section(f.sections[find_section(f, format::kRoots)]);
    Bytes end = encode_section(f.sections.back());
    for (const Bytes& tail : {roots, end}) {
        Bytes longer = bytes;
        longer.insert(longer.end(), tail.begin(), tail.end());
        CHECK(contains(load_error(longer), "data after the end section"));
        CHECK(contains(load_error(longer, {false, false}), "data after the end section"));
    }
}

TEST_CASE("a file without its end section is truncated") {
    RawFile f = decode(snapshot_bytes(tiny_snapshot()));
    f.sections.pop_back();
    CHECK(contains(load_error(encode(f)), "truncated: the end section is missing"));
}
