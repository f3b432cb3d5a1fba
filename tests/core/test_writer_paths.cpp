// Where the writer may write (core/src/output_file.h): only a regular file or a new one,
// never through a symlink, and the temporary files of dead writers cleaned away.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixtures.h"
#include "heapdiff/pending_file.h"
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
    CHECK(write_error(dir.file("to-fifo")).find("is a symbolic link") != std::string::npos);
    CHECK(fs::is_symlink(dir.file("to-fifo")));
}

TEST_CASE("a symlink at the final name is refused, never followed nor replaced") {
    TempDir dir;
    fs::create_directory(dir.file("data"));
    fs::create_symlink("data/real.hds", dir.file("link.hds"));  // dangling: open() would create the target
    CHECK(write_error(dir.file("link.hds")) ==
          "cannot write " + dir.file("link.hds") +
              ": it exists and is a symbolic link; heapdiff neither follows nor replaces a link (name the file it "
              "points to)");
    CHECK(fs::is_symlink(dir.file("link.hds")));
    CHECK_FALSE(fs::exists(dir.file("data/real.hds")));
    write_snapshot(tiny_snapshot(), dir.file("data/real.hds"));  // the file it points to, named
    CHECK(write_error(dir.file("link.hds")).find("symbolic link") != std::string::npos);  // a live link too
    CHECK(read_snapshot(dir.file("data/real.hds")).object_count() == tiny_snapshot().object_count());
    std::size_t entries = 0;
    for (auto& e : fs::directory_iterator(dir.path())) entries += e.path().filename() == "link.hds" ? 1 : e.path().filename() == "data" ? 1 : 100;
    CHECK(entries == 2);  // no temporary file left
    // A symlinked directory of the caller's own is followed: only the final name may not be a link.
    fs::create_directory_symlink("data", dir.file("data-link"));
    write_snapshot(tiny_snapshot(), dir.file("data-link/via.hds"));
    CHECK(fs::is_regular_file(dir.file("data/via.hds")));
}

TEST_CASE("in a directory others can write: no planted link followed, no other user's file replaced") {
    TempDir dir;
    REQUIRE(::chmod(dir.path().c_str(), 01777) == 0);
    fs::create_directory(dir.file("elsewhere"));
    fs::create_directory_symlink(dir.file("elsewhere"), dir.file("planted-dir"));
    CHECK(write_error(dir.file("planted-dir/s.hds")).find("planted-dir is a symbolic link in a directory other users can write") !=
          std::string::npos);
    CHECK(fs::is_empty(dir.file("elsewhere")));
    if (::geteuid() == 0) {
        write_file_bytes(dir.file("theirs.hds"), {'k', 'e', 'e', 'p'});
        REQUIRE(::chown(dir.file("theirs.hds").c_str(), 65534, 65534) == 0);
        CHECK(write_error(dir.file("theirs.hds")).find("a file of another user (uid 65534)") != std::string::npos);
        CHECK(read_file_bytes(dir.file("theirs.hds")).size() == 4);
    }
    write_snapshot(tiny_snapshot(), dir.file("mine.hds"));
    write_snapshot(tiny_snapshot(), dir.file("mine.hds"));  // its own file: replaced
    CHECK(read_snapshot(dir.file("mine.hds")).object_count() == tiny_snapshot().object_count());
    ::chmod(dir.path().c_str(), 0700);
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

TEST_CASE("a snapshot is its owner's only, whatever the umask; a drawing or report keeps the umask's") {
    TempDir t;
    const mode_t old = ::umask(022);
    write_snapshot(tiny_snapshot(), t.file("heap.hds"));
    { PendingFile page(t.file("page.html")); std::fputs("x", page.get()); page.commit(); }
    ::umask(old);
    struct stat st {};
    REQUIRE(::stat(t.file("heap.hds").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(t.file("page.html").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
}
