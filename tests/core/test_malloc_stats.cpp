// What the C allocator says about itself: malloc_info text (a real glibc sample and garbage),
// glibc's figures moving as this test mallocs and frees, mincore on a half-touched mapping,
// and (where Debian's libjemalloc2 is installed) this binary re-run under LD_PRELOAD.
#include <doctest/doctest.h>

#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "heapdiff/malloc_stats.h"

extern char** environ;

using namespace heapdiff::process;

namespace {

constexpr std::int64_t kMiB = 1 << 20;

// glibc 2.36's malloc_info() in a process with a second arena (a thread's), captured here.
constexpr const char* kGlibcSample = R"(<malloc version="1">
<heap nr="0">
<sizes>
  <size from="33" to="33" total="330" count="10"/>
  <size from="2721" to="2721" total="2721" count="1"/>
  <size from="3009" to="3009" total="45135" count="15"/>
</sizes>
<total type="fast" count="0" size="0"/>
<total type="rest" count="27" size="164762"/>
<system type="current" size="270336"/>
<system type="max" size="270336"/>
<aspace type="total" size="270336"/>
<aspace type="mprotect" size="270336"/>
</heap>
<heap nr="1">
<sizes>
  <size from="97" to="112" total="112" count="1"/>
  <unsorted from="193" to="2033" total="27369" count="25"/>
</sizes>
<total type="fast" count="1" size="112"/>
<total type="rest" count="26" size="104825"/>
<system type="current" size="135168"/>
<system type="max" size="135168"/>
<aspace type="total" size="135168"/>
<aspace type="mprotect" size="135168"/>
<aspace type="subheaps" size="1"/>
</heap>
<total type="fast" count="1" size="112"/>
<total type="rest" count="53" size="269587"/>
<total type="mmap" count="0" size="0"/>
<system type="current" size="405504"/>
<system type="max" size="405504"/>
<aspace type="total" size="405504"/>
<aspace type="mprotect" size="405504"/>
</malloc>
)";

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

}  // namespace

TEST_CASE("parse_malloc_info: glibc's arenas, the totals after the last heap left out") {
    const auto arenas = parse_malloc_info(kGlibcSample);
    REQUIRE(arenas.size() == 2);
    CHECK(arenas[0].number == 0);
    CHECK(arenas[0].free_bytes == 164762);
    CHECK(arenas[0].free_chunks == 27);
    CHECK(arenas[0].system_current == 270336);
    CHECK(arenas[0].system_max == 270336);
    CHECK(arenas[0].mmapped_aspace == 270336);
    CHECK(arenas[1].number == 1);
    CHECK(arenas[1].free_bytes == 112 + 104825);
    CHECK(arenas[1].free_chunks == 1 + 26);
    CHECK(arenas[1].system_current == 135168);
    CHECK(arenas[1].mmapped_aspace == 135168);

    // Every prefix: no crash, never a third arena, never a figure that is not in the text.
    const std::string whole = kGlibcSample;
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
        const auto some = parse_malloc_info(std::string_view(whole).substr(0, cut));
        REQUIRE(some.size() <= 2);
        for (const auto& a : some) CHECK((a.system_current == 0 || a.system_current == 270336 || a.system_current == 135168));
    }
}

TEST_CASE("parse_malloc_info: garbage, broken attributes, huge numbers and endless heaps") {
    CHECK(parse_malloc_info("").empty());
    CHECK(parse_malloc_info("not xml at all > < <<>> </heap>").empty());
    CHECK(parse_malloc_info(std::string(300000, '<')).empty());

    const auto odd = parse_malloc_info(
        "<heap>"                                                   // no nr: numbered by position
        "<total type=\"rest\" count=\"3\" size=\"12x\"/>"         // not a number: skipped
        "<total type=\"rest\" count=\"3\" size=\"99999999999999999999\"/>"  // 20 digits: skipped
        "<total type=\"fast\" count=\"2\" size=\"64\"/>"
        "<total type=\"mmap\" count=\"9\" size=\"900\"/>"         // not an arena's free space
        "<system type=\"current\" xsize=\"5\" size=\"4096\"/>"    // "xsize" is not "size"
        "<system type=\"current\" size=\"8192"                     // cut: the next '<' drops it
        "<aspace type=\"total\" size=\"" + std::string(400, '7') + "\"/>"  // over-long tag: dropped
        "</heap>"
        "<system type=\"current\" size=\"1\"/>"                    // outside a heap
        "<heap nr=\"7\"><system type=\"max\" size=\"10\"/>");     // never closed
    REQUIRE(odd.size() == 2);
    CHECK(odd[0].number == 0);
    CHECK(odd[0].free_bytes == 64);
    CHECK(odd[0].free_chunks == 2);
    CHECK(odd[0].system_current == 4096);
    CHECK(odd[0].mmapped_aspace == 0);
    CHECK(odd[1].number == 7);
    CHECK(odd[1].system_max == 10);

    std::string endless;
    for (int i = 0; i < 20000; ++i) endless += "<heap nr=\"1\">";
    CHECK(parse_malloc_info(endless).size() == 16384);
}

TEST_CASE("read_malloc_stats: glibc's in-use and free bytes follow this test's mallocs and frees") {
    const MallocStats before = read_malloc_stats();
    MESSAGE("allocator: " << before.allocator << "; exposes " << before.exposes);
    if (before.allocator.rfind("glibc", 0) != 0) {
        // ASan and other interposers: glibc's figures would describe an allocator nobody uses.
        REQUIRE(sanitized());
        MESSAGE("skipped: malloc here is not glibc's");
        return;
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    CHECK(before.exposes == "mallinfo2 and malloc_info");
#endif
    REQUIRE(before.in_use);
    REQUIRE(before.free);
    REQUIRE(before.system);
    REQUIRE(before.arena_count);
    CHECK(*before.arena_count == static_cast<std::int64_t>(before.arenas.size()));
    CHECK(before.arenas.at(0).number == 0);
    CHECK_FALSE(before.allocated);

    // 64 KiB is under glibc's mmap threshold: these come from the main arena.
    std::vector<char*> blocks;
    for (int i = 0; i < 200; ++i) {
        blocks.push_back(static_cast<char*>(std::malloc(64 << 10)));
        REQUIRE(blocks.back());
        std::memset(blocks.back(), i, 64 << 10);
    }
    const MallocStats grown = read_malloc_stats();
    REQUIRE(grown.in_use);
    CHECK(*grown.in_use - *before.in_use >= 12 * kMiB);
    CHECK(*grown.system >= *before.system + 12 * kMiB);

    // Every other block: none is next to the top chunk (the last stays), so nothing is trimmed.
    for (std::size_t i = 0; i < blocks.size(); i += 2) {
        std::free(blocks[i]);
        blocks[i] = nullptr;
    }
    const MallocStats holed = read_malloc_stats();
    REQUIRE(holed.free);
    CHECK(*holed.free - *grown.free >= 6 * kMiB);
    CHECK(*grown.in_use - *holed.in_use >= 6 * kMiB);
    // malloc_info walks the same bins as mallinfo2 (only the stream's own small malloc between them).
    std::uint64_t arena_free = 0, arena_system = 0;
    for (const auto& a : holed.arenas) {
        arena_free += a.free_bytes;
        arena_system += a.system_current;
    }
    CHECK(std::llabs(static_cast<long long>(arena_free) - *holed.free) <= 64 * 1024);
    CHECK(std::llabs(static_cast<long long>(arena_system) - *holed.system) <= 256 * 1024);

    for (char* b : blocks) std::free(b);
}

TEST_CASE("resident_bytes_in: none of a fresh mapping, half after touching half, nothing for unmapped") {
    const long page = ::sysconf(_SC_PAGESIZE);
    const std::size_t size = 8u << 20;
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    const auto start = reinterpret_cast<std::uint64_t>(p);
    CHECK(resident_bytes_in(start, size) == std::uint64_t(0));
    std::memset(p, 1, size / 2);
    CHECK(resident_bytes_in(start, size) == std::uint64_t(size / 2));
    CHECK(resident_bytes_in(start, 1) == std::uint64_t(page));  // rounded up to a page
    CHECK(resident_bytes_in(start + size / 2, size / 2) == std::uint64_t(0));
    CHECK(resident_bytes_in(start, 0) == std::uint64_t(0));
    CHECK_FALSE(resident_bytes_in(start + 1, 10));               // not page aligned
    CHECK_FALSE(resident_bytes_in(start, ~std::uint64_t(0)));    // wraps past the end of memory
    ::munmap(p, size);
    CHECK_FALSE(resident_bytes_in(start, size));  // no longer mapped: ENOMEM
}

namespace {

const char* installed_jemalloc() {
    if (const char* chosen = std::getenv("HEAPDIFF_TEST_JEMALLOC")) return *chosen ? chosen : nullptr;
    for (const char* path : {"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2",
                             "/usr/lib64/libjemalloc.so.2", "/usr/lib/libjemalloc.so.2"})
        if (::access(path, R_OK) == 0) return path;
    return nullptr;
}

constexpr const char* kUnderJemalloc = "read_malloc_stats in a child under LD_PRELOAD=libjemalloc";

}  // namespace

TEST_CASE("read_malloc_stats in a child under LD_PRELOAD=libjemalloc") {
    // Runs only in the child the next test starts; a no-op anywhere else.
    if (!std::getenv("HEAPDIFF_TEST_UNDER_JEMALLOC")) return;
    const MallocStats before = read_malloc_stats();
    MESSAGE("allocator: " << before.allocator << "; exposes " << before.exposes);
    REQUIRE(before.allocator.rfind("jemalloc ", 0) == 0);
    CHECK_FALSE(before.in_use);
    CHECK(before.arenas.empty());
    REQUIRE(before.allocated);
    REQUIRE(before.resident);
    REQUIRE(before.mapped);
    std::vector<char*> blocks;
    for (int i = 0; i < 200; ++i) {
        blocks.push_back(static_cast<char*>(std::malloc(64 << 10)));
        std::memset(blocks.back(), i, 64 << 10);
    }
    const MallocStats after = read_malloc_stats();
    REQUIRE(after.allocated);
    CHECK(*after.allocated - *before.allocated >= 12 * kMiB);
    CHECK(*after.resident >= *after.allocated);
    CHECK(*after.mapped >= *after.resident);
    for (char* b : blocks) std::free(b);
}

TEST_CASE("read_malloc_stats under a preloaded jemalloc (Debian's libjemalloc2)") {
    if (std::getenv("HEAPDIFF_TEST_UNDER_JEMALLOC")) return;  // the child itself
    const char* jemalloc = installed_jemalloc();
    if (!jemalloc || sanitized()) {
        MESSAGE("skipped: " << (jemalloc ? "a sanitizer runtime must come first in the preload list"
                                         : "libjemalloc.so.2 is not installed (apt-get install libjemalloc2)"));
        return;
    }
    std::vector<std::string> env_strings = {std::string("LD_PRELOAD=") + jemalloc, "HEAPDIFF_TEST_UNDER_JEMALLOC=1"};
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "LD_PRELOAD=", 11) != 0) env_strings.emplace_back(*e);
    std::vector<char*> env;
    for (auto& s : env_strings) env.push_back(s.data());
    env.push_back(nullptr);
    std::string self = "/proc/self/exe", filter = std::string("--test-case=") + kUnderJemalloc;
    char* argv[] = {self.data(), filter.data(), nullptr};
    pid_t pid = 0;
    REQUIRE(::posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, env.data()) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
