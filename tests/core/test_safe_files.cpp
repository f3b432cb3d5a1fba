// safe_files (core/include/heapdiff/safe_files.h): directories held by descriptor, files and
// directories created exclusively, and removals that touch only what heapdiff made.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "heapdiff/error.h"
#include "heapdiff/safe_files.h"
#include "temp_dir.h"

using namespace heapdiff;
using namespace heapdiff::safe_files;
using heapdiff::test::TempDir;
namespace fs = std::filesystem;

namespace {
void touch(const std::string& path) { std::ofstream(path) << "x"; }
}  // namespace

TEST_CASE("safe_files: a symlinked directory is refused where following is not allowed") {
    TempDir t;
    fs::create_directory(t.file("real"));
    fs::create_directory_symlink(t.file("real"), t.file("link"));
    CHECK_NOTHROW(Directory::open(t.file("link"), Follow::Yes));
    CHECK_THROWS_WITH_AS(Directory::open(t.file("link"), Follow::No),
                         doctest::Contains("symbolic link"), Error);
    Directory top = Directory::open(t.path());
    CHECK_THROWS_AS(top.child("link"), Error);
    CHECK_THROWS_AS(top.child("../x"), Error);
    CHECK_NOTHROW(top.child("real"));
}

TEST_CASE("safe_files: create_file never writes through a planted link") {
    TempDir t;
    Directory dir = Directory::open(t.path());
    fs::create_symlink(t.file("victim"), t.file("planted"));  // dangling: open() would create victim
    int err = 0;
    CHECK_THROWS_AS(create_file(dir, "planted", 0600, &err), Error);
    CHECK(err == EEXIST);
    CHECK_FALSE(fs::exists(t.file("victim")));
    const int fd = create_file(dir, "fresh", 0600);
    CHECK(fd >= 0);
    ::close(fd);
    CHECK(fs::is_regular_file(t.file("fresh")));
}

TEST_CASE("safe_files: remove_file removes a regular file of its owner, never a link's target") {
    TempDir t;
    Directory dir = Directory::open(t.path());
    touch(t.file("mine"));
    touch(t.file("target"));
    fs::create_symlink(t.file("target"), t.file("link"));
    fs::create_directory(t.file("sub"));
    CHECK(remove_file(dir, "mine", ::geteuid()));
    CHECK_FALSE(fs::exists(t.file("mine")));
    CHECK_FALSE(remove_file(dir, "link", ::geteuid()));
    CHECK(fs::exists(t.file("target")));
    CHECK(fs::is_symlink(t.file("link")));
    CHECK_FALSE(remove_file(dir, "sub", ::geteuid()));
    CHECK_FALSE(remove_file(dir, "absent", ::geteuid()));
    CHECK_FALSE(remove_file(dir, "target", ::geteuid() + 1));  // someone else's
    CHECK(fs::exists(t.file("target")));
}

TEST_CASE("safe_files: remove_directory removes only the directory it made, and only known names") {
    TempDir t;
    Directory parent = Directory::open(t.path());
    Directory made = create_directory(parent, "req-", 0700);
    const std::string name = fs::path(made.path()).filename();
    CHECK(name.rfind("req-", 0) == 0);
    CHECK(name.size() == 10);
    const Identity id = identity_of(made.info());
    touch(made.entry("request"));

    SUBCASE("the directory swapped for a symlink to another: nothing there is touched") {
        fs::create_directory(t.file("elsewhere"));
        touch(t.file("elsewhere/request"));
        fs::rename(made.path(), t.file("moved"));
        fs::create_directory_symlink(t.file("elsewhere"), t.file(name));
        CHECK_FALSE(remove_directory(parent, name, id, {"request"}));
        CHECK(fs::exists(t.file("elsewhere/request")));
        CHECK(fs::is_symlink(t.file(name)));
    }
    SUBCASE("another directory put under the name: not the same inode, left") {
        fs::rename(made.path(), t.file("moved"));
        fs::create_directory(t.file(name));
        touch(t.file(name + "/request"));
        CHECK_FALSE(remove_directory(parent, name, id, {"request"}));
        CHECK(fs::exists(t.file(name + "/request")));
    }
    SUBCASE("an entry it does not know keeps the directory") {
        touch(made.entry("unknown"));
        CHECK_FALSE(remove_directory(parent, name, id, {"request"}));
        CHECK_FALSE(fs::exists(made.entry("request")));
        CHECK(fs::exists(made.entry("unknown")));
    }
    SUBCASE("its own directory with its known names: removed") {
        CHECK(remove_directory(parent, name, id, {"request", "status"}));
        CHECK_FALSE(fs::exists(t.file(name)));
    }
}

TEST_CASE("safe_files: shared() tells a directory other users can write") {
    TempDir t;
    ::chmod(t.path().c_str(), 0700);
    CHECK_FALSE(Directory::open(t.path()).shared());
    ::chmod(t.path().c_str(), 01777);
    CHECK(Directory::open(t.path()).shared());
    ::chmod(t.path().c_str(), 0700);
}

TEST_CASE("safe_files: read_small_file reads a bounded regular file and nothing else") {
    TempDir t;
    Directory dir = Directory::open(t.path());
    std::ofstream(t.file("small")) << "state=ok\n";
    std::ofstream(t.file("big")) << std::string(5000, 'x');
    touch(t.file("target"));
    fs::create_symlink(t.file("target"), t.file("link"));
    REQUIRE(::mkfifo(t.file("fifo").c_str(), 0600) == 0);  // a writer-less FIFO would block a plain open
    struct stat st {};
    CHECK(read_small_file(dir, "small", 100, &st) == std::optional<std::string>("state=ok\n"));
    CHECK(S_ISREG(st.st_mode));
    CHECK(read_small_file(dir, "absent", 100) == std::nullopt);
    CHECK_THROWS_WITH_AS(read_small_file(dir, "big", 4096), doctest::Contains("more than 4096 bytes"), Error);
    CHECK_THROWS_WITH_AS(read_small_file(dir, "link", 100), doctest::Contains("symbolic link"), Error);
    CHECK_THROWS_WITH_AS(read_small_file(dir, "fifo", 100), doctest::Contains("not a regular file"), Error);
}

TEST_CASE("safe_files: set_mode_and_owner sets the exact mode whatever the umask") {
    TempDir t;
    Directory dir = Directory::open(t.path());
    const mode_t old = ::umask(077);
    const int fd = create_file(dir, "shared", 0644);
    ::umask(old);
    set_mode_and_owner(fd, 0644, ::geteuid(), dir.entry("shared"));
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    ::close(fd);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(st.st_uid == ::geteuid());
}

TEST_CASE("safe_files: open_guarded follows a link only where no other user can write") {
    TempDir t;
    fs::create_directory(t.file("private"));
    fs::create_directory(t.file("shared"));
    fs::create_directory(t.file("target"));
    ::chmod(t.file("private").c_str(), 0700);
    ::chmod(t.file("shared").c_str(), 01777);
    fs::create_directory_symlink(t.file("target"), t.file("private/link"));
    fs::create_directory_symlink(t.file("target"), t.file("shared/link"));
    CHECK(Directory::open_guarded(t.file("private/link")).info().st_ino == Directory::open(t.file("target")).info().st_ino);
    CHECK_THROWS_WITH_AS(Directory::open_guarded(t.file("shared/link/deeper"), Directory::Create::Yes),
                         doctest::Contains("shared/link is a symbolic link in a directory other users can write"), Error);
    CHECK_FALSE(fs::exists(t.file("target/deeper")));  // nothing made through the link
    Directory made = Directory::open_guarded(t.file("shared/a/b"), Directory::Create::Yes, 0700);
    CHECK(fs::is_directory(t.file("shared/a/b")));
    CHECK(made.path() == t.file("shared/a/b"));
    CHECK_THROWS_WITH_AS(Directory::open_guarded(t.file("absent")), doctest::Contains("No such file"), Error);
    CHECK(Directory::open_guarded(".").path() == ".");
    ::chmod(t.file("shared").c_str(), 0700);
}

TEST_CASE("safe_files: Place::of splits a path into its checked directory and name") {
    TempDir t;
    Place place = Place::of(t.file("x.hds"));
    CHECK(place.name == "x.hds");
    CHECK(place.directory.path() == t.path());
    CHECK_THROWS_WITH_AS(Place::of(t.file("no/x.hds")), doctest::Contains(("cannot write " + t.file("no/x.hds") + ": No such file").c_str()),
                         Error);
    CHECK_THROWS_WITH_AS(Place::of(t.path() + "/", "remove"), doctest::Contains("cannot remove"), Error);
    CHECK(Place::of("relative.hds").directory.path() == ".");
}

TEST_CASE("safe_files: check_replaceable allows only an absent name or a regular file") {
    TempDir t;
    Directory dir = Directory::open(t.path());
    touch(t.file("file"));
    fs::create_symlink(t.file("file"), t.file("link"));
    REQUIRE(::mkfifo(t.file("fifo").c_str(), 0600) == 0);
    CHECK_NOTHROW(check_replaceable(dir, "absent", "A"));
    CHECK_NOTHROW(check_replaceable(dir, "file", "F"));
    CHECK_THROWS_WITH_AS(check_replaceable(dir, "link", "L"), doctest::Contains("cannot write L: it exists and is a symbolic link"),
                         Error);
    CHECK_THROWS_WITH_AS(check_replaceable(dir, "fifo", "P", true), doctest::Contains("it became a FIFO while it was written"),
                         Error);
}

TEST_CASE("safe_files: rename_within moves only the file it created, never through a link") {
    TempDir t;
    Directory dir = Directory::open(t.path());
    const int fd = create_file(dir, "temp", 0600);
    struct stat mine;
    REQUIRE(::fstat(fd, &mine) == 0);
    ::close(fd);
    fs::create_symlink(t.file("victim"), t.file("final-link"));
    CHECK_THROWS_AS(rename_within(dir, "temp", mine, "final-link", "S"), Error);
    CHECK(fs::is_symlink(t.file("final-link")));
    CHECK_FALSE(fs::exists(t.file("victim")));
    SUBCASE("the temporary name swapped for another file: nothing renamed") {
        fs::rename(t.file("temp"), t.file("moved"));
        touch(t.file("temp"));
        CHECK_THROWS_WITH_AS(rename_within(dir, "temp", mine, "final", "S"), doctest::Contains("moved or replaced"), Error);
        CHECK_FALSE(fs::exists(t.file("final")));
        CHECK_FALSE(remove_file(dir, "temp", identity_of(mine)));  // not the file it made
        CHECK(fs::exists(t.file("temp")));
    }
    SUBCASE("its own file: renamed within the directory") {
        rename_within(dir, "temp", mine, "final", "S");
        CHECK(fs::is_regular_file(t.file("final")));
        CHECK_FALSE(fs::exists(t.file("temp")));
        CHECK(remove_file(dir, "final", identity_of(mine)));
    }
}
