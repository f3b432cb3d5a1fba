// The memory account on hand-made memory maps: each scenario of docs/MEMORY.md lands in
// its category, the categories add up to the mappings' RSS, and the findings name it.
#include <doctest/doctest.h>

#include "heapdiff/memory_account.h"
#include "snapshot_builder.h"

using namespace heapdiff;
using namespace heapdiff::test;

namespace {

constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint8_t kRw = format::mapping_perm::kRead | format::mapping_perm::kWrite;
constexpr std::uint8_t kRx = format::mapping_perm::kRead | format::mapping_perm::kExec;
constexpr std::uint8_t kR = format::mapping_perm::kRead;

// A process: code, a [heap], a main stack, and whatever the scenario adds.
struct Process {
    SnapshotBuilder b;
    TypeId tuple = b.type("builtins.tuple", 0x9000);
    Snapshot& s = b.snapshot();

    Process() {
        map(0x555500000000, 2 * MiB, kRx, "/usr/bin/python3.12", 2 * MiB);
        map(0x555500200000, 1 * MiB, kR, "/usr/bin/python3.12", 1 * MiB);
        map(0x7f0000000000, 8 * MiB, kRx, "/usr/lib/x86_64-linux-gnu/libc.so.6", 2 * MiB);
        map(0x7ffc00000000, 8 * MiB, kRw, "[stack]", 256 * 1024);
        b.fact("malloc.allocator", std::string("glibc 2.36"));
    }
    void map(std::uint64_t start, std::uint64_t size, std::uint8_t perms, std::string_view path, std::uint64_t rss) {
        s.mappings.push_back({start, size, perms, path.empty() ? StringId() : b.string(path), rss, rss, rss, 0});
    }
    // `count` arenas of 1 MiB, all resident, each holding `used` bytes of live blocks.
    void arenas(std::uint64_t base, std::size_t count, std::uint64_t used) {
        map(base, count * MiB, kRw, "", count * MiB);
        for (std::size_t i = 0; i < count; ++i)
            s.pymalloc_arenas.push_back({base + i * MiB, MiB, 64, 0, used, used / 32, MiB});
        b.fact("pymalloc.arena_size", std::int64_t(MiB));
        b.fact("pymalloc.pool_size", std::int64_t(16384));
    }
    // Objects of `size` bytes at `address`, `address + step`, ...
    void objects(std::uint64_t address, std::size_t count, std::uint64_t size, std::uint64_t step) {
        for (std::size_t i = 0; i < count; ++i) b.object(address + i * step, tuple, size);
    }
    void malloc_figures(std::uint64_t in_use, std::uint64_t free, std::uint64_t mmapped = 0) {
        b.fact("malloc.in_use", std::int64_t(in_use));
        b.fact("malloc.free", std::int64_t(free));
        b.fact("malloc.mmapped", std::int64_t(mmapped));
    }
    MemoryAccount account() { return memory_account(s); }
};

void check_adds_up(const MemoryAccount& a) {
    std::uint64_t sum = 0;
    for (MemoryCategory c : kAllMemoryCategories) sum += a.get(c);
    CHECK(sum == a.rss);
}

bool has_finding(const std::vector<MemoryFinding>& findings, std::string_view kind) {
    for (const MemoryFinding& f : findings)
        if (f.kind == kind) return true;
    return false;
}

}  // namespace

TEST_CASE("a snapshot without a memory map says so") {
    Process p;
    p.s.mappings.clear();
    const MemoryAccount a = p.account();
    CHECK_FALSE(a.available);
    CHECK(a.why_not.find("no memory map") != std::string::npos);
    CHECK(memory_findings({a}, {"x.hds"}).front().kind == "no_memory_map");
}

TEST_CASE("fragmentation: arenas resident, few blocks alive in them") {
    Process p;
    p.arenas(0x7f1000000000, 100, 40 * 1024);  // 100 MiB of arenas, 4 MiB of live blocks
    for (std::size_t i = 0; i < 100; ++i)  // the live blocks are 256-byte objects
        p.objects(0x7f1000000040 + i * MiB, 160, 256, 256);
    p.map(0x555600000000, 4 * MiB, kRw, "[heap]", 4 * MiB);
    p.malloc_figures(3 * MiB, 1 * MiB);
    const MemoryAccount a = p.account();
    REQUIRE(a.available);
    check_adds_up(a);
    CHECK(a.pymalloc.arenas == 100);
    CHECK(a.pymalloc.sparse_arenas == 100);
    CHECK(a.get(MemoryCategory::PymallocFree) == 100 * MiB - 100 * 40 * 1024);
    CHECK_FALSE(a.is_estimated(MemoryCategory::PymallocFree));
    // Objects whose header is in an arena count at most a block there; the rest is malloc's.
    CHECK(a.object_bytes_in_pymalloc == 100 * 40 * 1024);
    CHECK(a.get(MemoryCategory::Objects) == 100 * 40 * 1024);
    CHECK(a.get(MemoryCategory::PymallocOther) == 0);
    CHECK(a.get(MemoryCategory::MallocFree) == 1 * MiB);
    CHECK(a.get(MemoryCategory::Code) == 5 * MiB);
    CHECK(a.get(MemoryCategory::Stacks) == 256 * 1024);
    const std::vector<MemoryFinding> f = memory_findings({a}, {"frag.hds"});
    REQUIRE_FALSE(f.empty());
    CHECK(f.front().kind == "pymalloc_fragmentation");
    CHECK(f.front().text.find("not a leak") != std::string::npos);
}

TEST_CASE("a native leak: malloc in use grows while the objects do not") {
    Process before, after;
    for (Process* p : {&before, &after}) {
        p->arenas(0x7f1000000000, 4, 512 * 1024);
        p->objects(0x7f1000000040, 64, 32 * 1024, 64 * 1024);  // 2 MiB of objects in the arenas' blocks
    }
    before.map(0x555600000000, 10 * MiB, kRw, "[heap]", 10 * MiB);
    before.malloc_figures(9 * MiB, 1 * MiB);
    after.map(0x555600000000, 90 * MiB, kRw, "[heap]", 90 * MiB);
    after.malloc_figures(89 * MiB, 1 * MiB);
    const MemoryAccount a = before.account(), b = after.account();
    check_adds_up(a);
    check_adds_up(b);
    CHECK(b.get(MemoryCategory::Native) - a.get(MemoryCategory::Native) == 80 * MiB);
    CHECK(b.get(MemoryCategory::Objects) == a.get(MemoryCategory::Objects));
    const std::vector<MemoryFinding> f = memory_findings({a, b}, {"a.hds", "b.hds"});
    REQUIRE_FALSE(f.empty());
    CHECK(f.front().kind == "native_grew");
    CHECK(f.front().bytes == std::int64_t(80 * MiB));
    CHECK(f.front().text.find("tracemalloc cannot see it") != std::string::npos);
    CHECK(f.front().text.find("memray") != std::string::npos);
    CHECK(f.front().text.find("trust_sizeof") == std::string::npos);  // no object of unmeasured size grew

    SUBCASE("when objects of unmeasured size grew in number, it says their buffers may be it") {
        const TypeId array = after.b.type("numpy.ndarray", 0x9100);
        for (std::uint64_t i = 0; i < 50; ++i)
            after.b.object(0x600000000000 + i * 64, array, 112, 1, format::object_flag::kSizeApproximate);
        const std::vector<MemoryFinding> g = memory_findings({a, after.account()}, {"a.hds", "b.hds"});
        REQUIRE_FALSE(g.empty());
        CHECK(g.front().kind == "native_grew");
        CHECK(g.front().text.find("50 more numpy.ndarray") != std::string::npos);
        CHECK(g.front().text.find("heapdiff.trust_sizeof(numpy.ndarray)") != std::string::npos);
        CHECK(g.front().text.find("heapdiff diff --type ndarray") != std::string::npos);
    }
}

TEST_CASE("glibc's per-thread heaps are malloc heaps, and their free space is malloc's") {
    Process p;
    // Two thread heaps: 64 MiB aligned, used part then the PROT_NONE reserve; one full.
    p.map(0x7e0000000000, 40 * MiB, kRw, "", 40 * MiB);
    p.map(0x7e0000000000 + 40 * MiB, 24 * MiB, 0, "", 0);
    p.map(0x7e0004000000, 64 * MiB, kRw, "", 64 * MiB);
    p.map(0x555600000000, 8 * MiB, kRw, "[heap]", 8 * MiB);
    p.malloc_figures(12 * MiB, 100 * MiB);
    p.s.malloc_arenas = {{0, 1 * MiB, 10, 8 * MiB, 8 * MiB, 8 * MiB}, {1, 50 * MiB, 900, 40 * MiB, 64 * MiB, 64 * MiB},
                         {2, 49 * MiB, 800, 64 * MiB, 64 * MiB, 64 * MiB}};
    const std::vector<MappingKind> kinds = classify_mappings(p.s);
    CHECK(kinds[4] == MappingKind::MallocHeap);
    CHECK(kinds[6] == MappingKind::MallocHeap);
    const MemoryAccount a = p.account();
    check_adds_up(a);
    CHECK(a.malloc.heap_rss == 112 * MiB);
    CHECK(a.get(MemoryCategory::MallocFree) == 100 * MiB);
    CHECK(a.malloc.arenas == 3);
    const std::vector<MemoryFinding> f = memory_findings({a}, {"arenas.hds"});
    REQUIRE_FALSE(f.empty());
    CHECK(f.front().kind == "malloc_free");
    CHECK(f.front().text.find("MALLOC_ARENA_MAX") != std::string::npos);
    CHECK(f.front().text.find("3 arenas") != std::string::npos);
}

TEST_CASE("pymalloc arenas whose VMA merged into a glibc thread heap stay pymalloc's") {
    Process p;
    // 30 arenas (1 MiB each, nearly empty) mapped just below a thread heap's 64 MiB-aligned
    // start: the kernel merged them with the heap's used 2 MiB into one 32 MiB VMA, and
    // the heap's reserve follows up to the next 64 MiB boundary.
    const std::uint64_t heap = 0x7e0004000000;
    p.map(heap - 30 * MiB, 32 * MiB, kRw, "", 32 * MiB);
    p.map(heap + 2 * MiB, 62 * MiB, 0, "", 0);
    for (std::size_t i = 0; i < 30; ++i)
        p.s.pymalloc_arenas.push_back({heap - 30 * MiB + i * MiB, MiB, 64, 0, 16384, 512, MiB});
    p.b.fact("pymalloc.arena_size", std::int64_t(MiB));
    p.b.fact("pymalloc.pool_size", std::int64_t(16384));
    p.malloc_figures(1 * MiB, 1 * MiB);
    REQUIRE(classify_mappings(p.s)[4] == MappingKind::MallocHeap);
    const MemoryAccount a = p.account();
    check_adds_up(a);
    CHECK(a.malloc.heap_rss == 2 * MiB);
    CHECK(a.get(MemoryCategory::PymallocFree) == 30 * MiB - 30 * 16384);
    CHECK(a.get(MemoryCategory::Other) == 0);
}

TEST_CASE("thread stacks sit above their guard page; a big anonymous mmap is an mmap") {
    Process before, after;
    for (Process* p : {&before, &after}) {
        p->map(0x7d0000000000, 4096, 0, "", 0);  // guard
        p->map(0x7d0000001000, 8 * MiB, kRw, "", 64 * 1024);
        p->malloc_figures(0, 0);
    }
    after.map(0x7c0000000000, 200 * MiB, kRw, "", 200 * MiB);  // a private anonymous mmap, touched
    after.map(0x7c1000000000, 100 * MiB, kRw | format::mapping_perm::kShared, "/dev/zero (deleted)",
              100 * MiB);  // mmap.mmap(-1, n): shared anonymous memory
    CHECK(classify_mappings(before.s)[5] == MappingKind::Stack);
    const MemoryAccount a = before.account(), b = after.account();
    check_adds_up(b);
    CHECK(a.get(MemoryCategory::Stacks) == 256 * 1024 + 64 * 1024);
    CHECK(b.get(MemoryCategory::Mmaps) - a.get(MemoryCategory::Mmaps) == 300 * MiB);
    CHECK(memory_findings({a, b}, {"a", "b"}).front().kind == "mmaps_grew");
}

TEST_CASE("mapped data files and code are told apart; growth of objects points at diff") {
    Process before, after;
    after.map(0x7b0000000000, 64 * MiB, kR, "/data/big.bin", 64 * MiB);
    after.objects(0x600000000000, 1000, 40 * 1024, 64 * 1024);  // 40 MiB of objects in malloc's heap
    after.map(0x555600000000, 41 * MiB, kRw, "[heap]", 41 * MiB);
    after.malloc_figures(40 * MiB, 0);
    before.malloc_figures(0, 0);
    const MemoryAccount a = before.account(), b = after.account();
    check_adds_up(b);
    CHECK(b.get(MemoryCategory::MappedFiles) == 64 * MiB);
    CHECK(b.get(MemoryCategory::Objects) == 1000 * 40 * 1024);
    CHECK(b.get(MemoryCategory::Native) == 40 * MiB - 1000 * 40 * 1024);
    const std::vector<MemoryFinding> f = memory_findings({a, b}, {"a.hds", "b.hds"});
    CHECK(f[0].kind == "mapped_files_grew");
    CHECK(f[0].text.find("/data/big.bin") != std::string::npos);
    CHECK(has_finding(f, "objects_grew"));
    for (const MemoryFinding& x : f)
        if (x.kind == "objects_grew") CHECK(x.text.find("heapdiff diff a.hds b.hds") != std::string::npos);
}

TEST_CASE("when tracemalloc traces, Python's buffers outside pymalloc are not native") {
    Process p;
    p.map(0x555600000000, 50 * MiB, kRw, "[heap]", 50 * MiB);
    p.malloc_figures(50 * MiB, 0);
    p.b.fact("tracemalloc.tracing", std::int64_t(1));
    const TracebackId tb = p.b.traceback({{p.b.string("x.py"), 1}}, 1);
    p.s.trace_stats = {{tb, 0, 100, 30 * MiB}, {tb, 389047, 1, 5 * MiB}};
    const MemoryAccount a = p.account();
    check_adds_up(a);
    CHECK(a.get(MemoryCategory::PymallocOther) == 30 * MiB);
    CHECK(a.get(MemoryCategory::Native) == 20 * MiB);
    REQUIRE(a.traced_domains.size() == 2);
    CHECK(a.traced_domains[1].domain == 389047);
}
