// parse_smaps on hand-made smaps text (each kind of path, garbage, a cut-off last record) and
// read_smaps on this process's own file, which must show an anonymous mapping the test made.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "heapdiff/smaps.h"
#include "temp_dir.h"

using namespace heapdiff::process;
using heapdiff::test::TempDir;

namespace {

constexpr std::uint64_t kKiB = 1024;

// A record as the kernel writes it: the header padded to column 73, then sizes in kB.
std::string record(const std::string& header, int rss_kb, int pss_kb, int dirty_kb, int swap_kb) {
    return header + "\n"
           "Size:                132 kB\n"
           "KernelPageSize:        4 kB\n"
           "MMUPageSize:           4 kB\n"
           "Rss:                 " + std::to_string(rss_kb) + " kB\n"
           "Pss:                 " + std::to_string(pss_kb) + " kB\n"
           "Pss_Dirty:             8 kB\n"
           "Shared_Clean:          0 kB\n"
           "Shared_Dirty:          0 kB\n"
           "Private_Clean:         0 kB\n"
           "Private_Dirty:       " + std::to_string(dirty_kb) + " kB\n"
           "Referenced:           12 kB\n"
           "Anonymous:            12 kB\n"
           "Swap:                " + std::to_string(swap_kb) + " kB\n"
           "SwapPss:               0 kB\n"
           "Locked:                0 kB\n"
           "THPeligible:           0\n"
           "VmFlags: rd wr mr mw me ac sd\n";
}

}  // namespace

TEST_CASE("parse_smaps: headers of every kind, sizes in bytes, the path with its spaces") {
    const std::string text =
        record("55d4c8a00000-55d4c8a21000 rw-p 00000000 00:00 0                          [heap]", 132, 130, 128, 4) +
        record("7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 ", 12, 12, 8, 0) +
        record("7f1e2d000000-7f1e2d001000 r-xp 0001a000 fd:01 1835012                    /usr/lib/x86_64-linux-gnu/libz.so.1.2.13", 4, 2, 0, 0) +
        record("7f1e2e000000-7f1e2e002000 rw-s 00000000 00:05 77                         /tmp/a file with  spaces (deleted)", 8, 8, 8, 0) +
        record("7ffd1c5e0000-7ffd1c601000 rw-p 00000000 00:00 0                          [stack]", 20, 20, 20, 0) +
        record("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]", 0, 0, 0, 0);
    const auto maps = parse_smaps(text);
    REQUIRE(maps.size() == 6);

    CHECK(maps[0].start == 0x55d4c8a00000);
    CHECK(maps[0].end == 0x55d4c8a21000);
    CHECK(maps[0].perms == (smaps_perm::kRead | smaps_perm::kWrite));
    CHECK(maps[0].path == "[heap]");
    CHECK(maps[0].rss == 132 * kKiB);
    CHECK(maps[0].pss == 130 * kKiB);
    CHECK(maps[0].private_dirty == 128 * kKiB);
    CHECK(maps[0].swap == 4 * kKiB);

    CHECK(maps[1].path.empty());  // anonymous: the kernel's trailing blank is not a path
    CHECK(maps[1].rss == 12 * kKiB);

    CHECK(maps[2].perms == (smaps_perm::kRead | smaps_perm::kExec));
    CHECK(maps[2].offset == 0x1a000);
    CHECK(maps[2].path == "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13");

    CHECK(maps[3].perms == (smaps_perm::kRead | smaps_perm::kWrite | smaps_perm::kShared));
    CHECK(maps[3].path == "/tmp/a file with  spaces (deleted)");

    CHECK(maps[4].path == "[stack]");
    CHECK(maps[5].start == 0xffffffffff600000);
    CHECK(maps[5].perms == smaps_perm::kExec);
    CHECK(maps[5].path == "[vsyscall]");

    std::uint64_t rss = 0;
    for (const auto& m : maps) rss += m.rss;
    CHECK(rss == (132 + 12 + 4 + 8 + 20) * kKiB);
}

TEST_CASE("parse_smaps: garbage is skipped and its fields go to no mapping; a cut-off last record keeps its whole lines") {
    const std::string text =
        "Rss:  999 kB\n"  // before any header: nobody's
        "55d4c8a00000-55d4c8a21000 rw-p 00000000 00:00 0 [heap]\n"
        "Rss:   64 kB\r\n"
        "Pss:   bogus kB\n"      // not a number: skipped, Pss stays 0
        "Swap:  7 MB\n"          // the kernel writes only kB
        "Private_Dirty: 99999999999999999999999 kB\n"  // too many digits
        "zz-yy r--p qq 08:01 12 /garbled\n"
        "Rss:  500 kB\n"  // after a garbled header: not the heap's
        "\n"
        "7f00-7e00 r--p 00000000 00:00 0\n"      // start after end
        "7f00-8000 rwzp 00000000 00:00 0\n"      // bad perms
        "7f00-8000 r--p 00000000 0000 0\n"       // dev without ':'
        "7f00-8000 r--p 00000000 00:00 0x\n"     // inode not decimal
        "Rss: 400 kB\n"
        "\x01\x02\xff garbage \x7f\n"
        "7f0000000000-7f0000001000 r--p 00000000 00:00 0\n"
        "Rss:    4 kB\n"
        "Pss:    3 kB\n"
        "Private_Dirty:    2";  // cut before its kB: dropped
    const auto maps = parse_smaps(text);
    REQUIRE(maps.size() == 2);
    CHECK(maps[0].path == "[heap]");
    CHECK(maps[0].rss == 64 * kKiB);
    CHECK(maps[0].pss == 0);
    CHECK(maps[0].swap == 0);
    CHECK(maps[0].private_dirty == 0);
    CHECK(maps[1].start == 0x7f0000000000);
    CHECK(maps[1].path.empty());
    CHECK(maps[1].rss == 4 * kKiB);
    CHECK(maps[1].pss == 3 * kKiB);
    CHECK(maps[1].private_dirty == 0);

    CHECK(parse_smaps("").empty());
    CHECK(parse_smaps("\n\n\n").empty());
    CHECK(parse_smaps(std::string(100000, '-')).empty());
    const auto with_nul = parse_smaps(std::string("0-1 r--p 0 0:0 0 /x\0y", 21));  // a NUL is just a byte
    REQUIRE(with_nul.size() == 1);
    CHECK(with_nul[0].path == std::string("/x\0y", 4));
}

TEST_CASE("parse_smaps: every prefix of a real record parses without a crash or a wrong field") {
    const std::string text = record("7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0", 12, 11, 8, 0);
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        const auto maps = parse_smaps(std::string_view(text).substr(0, cut));
        REQUIRE(maps.size() <= 1);
        if (maps.empty()) continue;
        CHECK((maps[0].rss == 0 || maps[0].rss == 12 * kKiB));
        CHECK((maps[0].pss == 0 || maps[0].pss == 11 * kKiB));
    }
}

TEST_CASE("read_smaps: this process's file shows a 64 MiB anonymous mapping the test touched") {
    const std::size_t size = 64u << 20;
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    std::memset(p, 0x5a, size);
    const auto start = reinterpret_cast<std::uint64_t>(p);

    const auto maps = read_smaps("/proc/self/smaps");
    REQUIRE(maps);
    // The kernel may merge it with a neighbour: find the mapping that holds it.
    const SmapsMapping* found = nullptr;
    for (const auto& m : *maps)
        if (m.start <= start && start + size <= m.end) found = &m;
    REQUIRE(found);
    CHECK(found->path.empty());
    CHECK(found->perms == (smaps_perm::kRead | smaps_perm::kWrite));
    CHECK(found->rss >= size);
    CHECK(found->private_dirty >= size);
    bool saw_stack = false;
    for (const auto& m : *maps) saw_stack |= m.path == "[stack]";
    CHECK(saw_stack);
    ::munmap(p, size);

    CHECK_FALSE(read_smaps("/proc/self/no-such-file"));
}

TEST_CASE("read_smaps: a file read in pieces gives what parse_smaps gives on the whole; an over-long line is dropped") {
    TempDir dir;
    std::string text;
    for (int i = 0; i < 2000; ++i) {  // ~1.4 MB: many 64 KiB pieces, lines cut at their edges
        char header[128];
        std::snprintf(header, sizeof header, "%012x-%012x rw-p 00000000 00:00 0 /lib/%d with space", i * 0x1000,
                      (i + 1) * 0x1000, i);
        text += record(header, i, i, i % 7, 0);
    }
    text += "7f0000000000-7f0000001000 r--p 00000000 00:00 0 /" + std::string(200000, 'x') + "\nRss: 1 kB\n";
    text += "7f0000002000-7f0000003000 r--p 00000000 00:00 0 /after\nRss: 2 kB";  // no final newline
    { std::ofstream(dir.file("smaps"), std::ios::binary) << text; }

    const auto read = read_smaps(dir.file("smaps"));
    REQUIRE(read);
    const auto parsed = parse_smaps(text);
    // The whole text holds the 200 kB header too; the reader drops it as over-long, and the
    // "Rss: 1 kB" after it goes to no mapping (not to the one before).
    REQUIRE(parsed.size() == 2002);
    REQUIRE(read->size() == 2001);
    for (int i = 0; i < 2000; ++i) {
        CHECK((*read)[i].path == parsed[i].path);
        CHECK((*read)[i].rss == parsed[i].rss);
        CHECK((*read)[i].private_dirty == std::uint64_t(i % 7) * kKiB);
    }
    CHECK(read->back().path == "/after");
    CHECK(read->back().rss == 2 * kKiB);
}

TEST_CASE("read_smaps: 5,000 mappings of alternating protections, each seen, and how long the read takes") {
    const long page = ::sysconf(_SC_PAGESIZE);
    const std::size_t count = 5000, size = count * static_cast<std::size_t>(page);
    char* p = static_cast<char*>(::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    REQUIRE(p != MAP_FAILED);
    // Every odd page read-only: the kernel cannot merge neighbours, so 5,000 mappings.
    for (std::size_t i = 1; i < count; i += 2) REQUIRE(::mprotect(p + i * page, page, PROT_READ) == 0);
    for (std::size_t i = 0; i < count; i += 2) p[i * page] = 1;

    const auto begin = std::chrono::steady_clock::now();
    const auto maps = read_smaps("/proc/self/smaps");
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count();
    REQUIRE(maps);
    const auto start = reinterpret_cast<std::uint64_t>(p);
    std::size_t inside = 0, writable_resident = 0;
    for (const auto& m : *maps) {
        if (m.start < start || m.end > start + size) continue;
        ++inside;
        CHECK(m.end - m.start == static_cast<std::uint64_t>(page));
        if (m.perms & smaps_perm::kWrite) writable_resident += m.rss == static_cast<std::uint64_t>(page);
    }
    CHECK(inside == count);
    CHECK(writable_resident == count / 2);
    MESSAGE("read_smaps: " << maps->size() << " mappings in " << ms << " ms");
    ::munmap(p, size);
}
