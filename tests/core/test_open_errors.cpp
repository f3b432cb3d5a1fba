// Files that are not snapshots at all: each gets one line naming the file and saying
// what is wrong with it.
#include <doctest/doctest.h>

#include "fixtures.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

std::string open_error(const std::string& path) {
    try {
        read_snapshot(path);
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

}  // namespace

TEST_CASE("a missing file cannot be opened") {
    TempDir dir;
    std::string message = open_error(dir.file("missing.hds"));
    CHECK(message.find(dir.file("missing.hds")) == 0);
    CHECK(message.find("cannot open") != std::string::npos);
    CHECK(message.find("No such file") != std::string::npos);
}

TEST_CASE("a directory is not a snapshot") {
    TempDir dir;
    std::string message = open_error(dir.path());
    CHECK(message.find(dir.path()) == 0);
    CHECK(message.find("not a regular file") != std::string::npos);
}

TEST_CASE("an empty file is not a snapshot") {
    TempDir dir;
    write_file_bytes(dir.file("empty.hds"), {});
    std::string message = open_error(dir.file("empty.hds"));
    CHECK(message.find(dir.file("empty.hds")) == 0);
    CHECK(message.find("not a heapdiff snapshot") != std::string::npos);
    CHECK(message.find("empty") != std::string::npos);
    CHECK(load_error({}).find("not a heapdiff snapshot") != std::string::npos);
}

TEST_CASE("other files are not snapshots") {
    TempDir dir;
    for (std::string text : {"x", "HEAPDIFX", "{\"objects\": 12}\n", "HEAPDIF\n and some more text after it"}) {
        CAPTURE(text);
        write_file_bytes(dir.file("other"), Bytes(text.begin(), text.end()));
        std::string message = open_error(dir.file("other"));
        CHECK(message.find("not a heapdiff snapshot") != std::string::npos);
        CHECK(message.find("truncated") == std::string::npos);
    }
}

TEST_CASE("a file loads through read_snapshot the same as from memory") {
    TempDir dir;
    Bytes bytes = snapshot_bytes(full_snapshot(), small_chunks());
    write_file_bytes(dir.file("s.hds"), bytes);
    check_same_snapshot(load(bytes), read_snapshot(dir.file("s.hds")));
    check_same_objects(load(bytes, {false, false}), read_snapshot(dir.file("s.hds"), {false, false}));

    // The file reader skips an unknown optional section with a seek, unread.
    RawFile f = decode(bytes);
    RawSection future;
    future.tag = format::tag("ZZZZ");
    future.flags = 0;
    future.payload = Bytes(1000, 7);
    f.sections.insert(f.sections.begin() + 3, future);
    fix_end(f);
    write_file_bytes(dir.file("future.hds"), encode(f));
    check_same_snapshot(load(bytes), read_snapshot(dir.file("future.hds")));
}
