// Files that are not snapshots at all: each gets one line naming the file and saying
// what is wrong with it.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

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

TEST_CASE("a FIFO is refused without waiting for a writer") {
    // open(2) of a FIFO for reading blocks until someone opens it for writing: a reader
    // that opened it would hang. Nobody writes to this one.
    TempDir dir;
    const std::string fifo = dir.file("pipe.hds");
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    std::string message = open_error(fifo);
    CHECK(message == fifo + ": not a regular file");
}

TEST_CASE("devices, sockets and standard input are not snapshots") {
    CHECK(open_error("/dev/null") == "/dev/null: not a regular file");
    CHECK(open_error("/dev/zero") == "/dev/zero: not a regular file");  // would never end
    TempDir dir;
    const std::string path = dir.file("socket.hds");
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof address.sun_path);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    CHECK(open_error(path) == path + ": not a regular file");
    close(fd);
    // /dev/stdin names whatever standard input is; on a pipe it is no snapshot.
    int pipe_ends[2];
    REQUIRE(pipe(pipe_ends) == 0);
    int saved = dup(0);
    dup2(pipe_ends[0], 0);
    CHECK(open_error("/dev/stdin") == "/dev/stdin: not a regular file");
    dup2(saved, 0);
    close(saved);
    close(pipe_ends[0]);
    close(pipe_ends[1]);
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
