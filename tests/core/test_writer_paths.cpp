// Where the writer may write (core/src/output_file.h): only a regular file or a new one,
// through symlinks as open() goes, and the temporary files of dead writers cleaned away.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::test;
namespace fs = std::filesystem;

namespace {

std::string write_error(const std::string& path) {
    try {
        write_snapshot(tiny_snapshot(), path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// A pid that was alive a moment ago and is not any more.
pid_t dead_pid() {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, nullptr, 0);
    return pid;
}

}  // namespace

TEST_CASE("special files are refused and left as they are") {
    TempDir dir;
    REQUIRE(mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    CHECK(write_error(dir.file("fifo")) == "cannot write " + dir.file("fifo") +
                                               ": it exists and is a FIFO; heapdiff only replaces a regular file");
    CHECK(fs::is_fifo(dir.file("fifo")));
    fs::create_directory(dir.file("sub"));
    CHECK(write_error(dir.file("sub")).find("is a directory") != std::string::npos);
    CHECK(write_error("/dev/null").find("is a character device") != std::string::npos);
    CHECK(fs::is_character_file("/dev/null"));
    fs::create_symlink("fifo", dir.file("to-fifo"));
    CHECK(write_error(dir.file("to-fifo")).find("is a FIFO") != std::string::npos);
    CHECK(fs::is_symlink(dir.file("to-fifo")));
}

TEST_CASE("a symlink is followed: its target is replaced and the link stays") {
    TempDir dir;
    fs::create_directory(dir.file("data"));
    fs::create_symlink("data/real.hds", dir.file("link.hds"));  // dangling: creates the target
    write_snapshot(tiny_snapshot(), dir.file("link.hds"));
    CHECK(fs::is_symlink(dir.file("link.hds")));
    CHECK(fs::is_regular_file(dir.file("data/real.hds")));
    CHECK(read_snapshot(dir.file("link.hds")).object_count() == tiny_snapshot().object_count());
    write_snapshot(tiny_snapshot(), dir.file("link.hds"));  // now replacing it
    CHECK(fs::is_symlink(dir.file("link.hds")));
    std::size_t files = 0;
    for (auto& e : fs::directory_iterator(dir.file("data"))) files += e.path().filename() == "real.hds" ? 1 : 100;
    CHECK(files == 1);  // no temporary file left beside the target
    fs::create_symlink("loop-b", dir.file("loop-a"));
    fs::create_symlink("loop-a", dir.file("loop-b"));
    CHECK(write_error(dir.file("loop-a")).find("too many levels of symbolic links") != std::string::npos);
}

TEST_CASE("the next writer removes temporary files of dead writers, and only those") {
    TempDir dir;
    write_snapshot(tiny_snapshot(), dir.file("good.hds"));
    const std::vector<std::uint8_t> snapshot = read_file_bytes(dir.file("good.hds"));
    const std::string dead = std::to_string(dead_pid());
    const std::string alive = std::to_string(getpid() == 1 ? 2 : 1);  // init: always alive
    write_file_bytes(dir.file("a.hds.tmp-" + dead + "-0badf00d"), snapshot);     // stale
    write_file_bytes(dir.file("b.hds.tmp-" + dead + "-0badf00e"), {});           // stale, crashed at once
    write_file_bytes(dir.file("c.hds.tmp-" + alive + "-0badf00d"), snapshot);    // its writer may be running
    write_file_bytes(dir.file("d.hds.tmp-" + dead + "-0badf00d"), {'n', 'o', 'p', 'e', '!', '!', '!', '!', '!'});
    write_file_bytes(dir.file("e.hds.tmp-" + dead + "-notahex!"), snapshot);     // not our name
    write_snapshot(tiny_snapshot(), dir.file("next.hds"));
    CHECK_FALSE(fs::exists(dir.file("a.hds.tmp-" + dead + "-0badf00d")));
    CHECK_FALSE(fs::exists(dir.file("b.hds.tmp-" + dead + "-0badf00e")));
    CHECK(fs::exists(dir.file("c.hds.tmp-" + alive + "-0badf00d")));
    CHECK(fs::exists(dir.file("d.hds.tmp-" + dead + "-0badf00d")));
    CHECK(fs::exists(dir.file("e.hds.tmp-" + dead + "-notahex!")));
}
