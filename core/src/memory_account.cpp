#include "heapdiff/memory_account.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "heapdiff/object_text.h"

namespace heapdiff {
namespace {

constexpr std::uint64_t kGlibcHeapMax = 64ull << 20;  // HEAP_MAX_SIZE on 64-bit: heaps are aligned to it
constexpr std::uint64_t kMaxGuard = 64ull << 10;      // a thread stack's guard: a page, or a few
constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kBlockAlignment = 16;  // pymalloc's ALIGNMENT on 64-bit: blocks are rounded up to it

std::size_t at(MemoryCategory c) { return static_cast<std::size_t>(c); }
std::size_t at(MappingKind k) { return static_cast<std::size_t>(k); }

std::int64_t int_fact(const Snapshot& s, std::string_view key, std::int64_t fallback = -1) {
    const Fact* f = s.fact(key);
    return f && f->kind == format::FactKind::Int ? f->int_value : fallback;
}

std::optional<std::int64_t> optional_fact(const Snapshot& s, std::string_view key) {
    const Fact* f = s.fact(key);
    if (!f || f->kind != format::FactKind::Int || f->int_value < 0) return std::nullopt;
    return f->int_value;
}

std::string string_fact(const Snapshot& s, std::string_view key) {
    const Fact* f = s.fact(key);
    return f && f->kind == format::FactKind::String ? f->string_value : std::string();
}

bool anonymous(const Snapshot& s, const Mapping& m) { return s.strings.get(m.path).empty(); }
bool inaccessible(const Mapping& m) {
    return (m.perms & (format::mapping_perm::kRead | format::mapping_perm::kWrite | format::mapping_perm::kExec)) == 0;
}

// glibc names its mappings when asked (glibc.mem.decorate_maps, kernel 5.17+).
std::optional<MappingKind> named_anonymous(std::string_view path) {
    if (path.rfind("[anon:glibc: malloc arena", 0) == 0) return MappingKind::MallocHeap;
    if (path.rfind("[anon:glibc: pthread stack", 0) == 0) return MappingKind::Stack;
    if (path.rfind("[anon:", 0) == 0) return MappingKind::Anonymous;
    return std::nullopt;
}

// Memory that only looks file-backed: mmap(MAP_SHARED | MAP_ANONYMOUS) (Python's
// mmap.mmap(-1, n)) shows as "/dev/zero (deleted)", memfd_create as "/memfd:name", System V
// shared memory as "/SYSV…": anonymous memory in shmem, not a file on disk.
bool shared_anonymous(std::string_view path) {
    return path == "/dev/zero (deleted)" || path == "/dev/zero" || path.rfind("/memfd:", 0) == 0 ||
           path.rfind("/SYSV", 0) == 0;
}

std::uint64_t percent_of(std::uint64_t part, std::uint64_t whole) {
    return whole ? (part * 100 + whole / 2) / whole : 0;
}

}  // namespace

std::string_view category_key(MemoryCategory c) {
    static constexpr std::string_view keys[] = {"objects", "pymalloc_free", "pymalloc_other", "native", "malloc_free",
                                                "mmaps",   "mapped_files",  "stacks",         "code",   "other"};
    return keys[at(c)];
}

std::string_view category_title(MemoryCategory c) {
    static constexpr std::string_view titles[] = {
        "Python objects (walked and unreferenced, in whole blocks)",
        "pymalloc free space (fragmentation)",
        "pymalloc/PyMem blocks that are no object",
        "native allocations (malloc in use, no object)",
        "malloc free space (held by the allocator)",
        "anonymous mmaps",
        "mapped files",
        "thread stacks",
        "code and libraries",
        "other"};
    return titles[at(c)];
}

std::string_view mapping_kind_name(MappingKind k) {
    static constexpr std::string_view names[] = {"malloc heap", "stack", "code", "mapped file", "anonymous", "other"};
    return names[at(k)];
}

std::vector<MappingKind> classify_mappings(const Snapshot& s) {
    const std::vector<Mapping>& maps = s.mappings;
    // A file is code when any of its mappings is executable: its data and constants too.
    std::unordered_set<std::string_view> executable;
    for (const Mapping& m : maps)
        if (m.perms & format::mapping_perm::kExec) executable.insert(s.strings.get(m.path));
    std::vector<MappingKind> kinds(maps.size(), MappingKind::Other);
    for (std::size_t i = 0; i < maps.size(); ++i) {
        const Mapping& m = maps[i];
        const std::string_view path = s.strings.get(m.path);
        if (path == "[heap]") kinds[i] = MappingKind::MallocHeap;
        else if (path == "[stack]" || path.rfind("[stack:", 0) == 0) kinds[i] = MappingKind::Stack;
        else if (auto named = named_anonymous(path)) kinds[i] = *named;
        else if (!path.empty() && path[0] == '[') kinds[i] = MappingKind::Other;  // [vdso], [vvar], [vsyscall]
        else if (shared_anonymous(path)) kinds[i] = MappingKind::Anonymous;
        else if (!path.empty()) kinds[i] = executable.count(path) ? MappingKind::Code : MappingKind::MappedFile;
        else if (inaccessible(m)) kinds[i] = MappingKind::Other;  // guard pages, reserves: nothing resident
        else {
            const Mapping* below = i > 0 && maps[i - 1].start + maps[i - 1].size == m.start ? &maps[i - 1] : nullptr;
            const Mapping* above = i + 1 < maps.size() && m.start + m.size == maps[i + 1].start ? &maps[i + 1] : nullptr;
            const bool aligned = m.start % kGlibcHeapMax == 0;
            // glibc's thread stacks: one mapping with the guard at its low end.
            if (below && anonymous(s, *below) && inaccessible(*below) && below->size <= kMaxGuard && !aligned)
                kinds[i] = MappingKind::Stack;
            // glibc's per-thread heaps: 64 MiB aligned, the part in use first, then the
            // reserve up to the next 64 MiB boundary (or none when it is full).
            else if ((aligned && m.size == kGlibcHeapMax) ||
                     (above && anonymous(s, *above) && inaccessible(*above) &&
                      (above->start + above->size) % kGlibcHeapMax == 0 &&
                      above->start + above->size - kGlibcHeapMax <= m.start + m.size - 1 &&
                      m.start + kGlibcHeapMax >= above->start))
                kinds[i] = MappingKind::MallocHeap;
            else
                kinds[i] = MappingKind::Anonymous;
        }
    }
    return kinds;
}

namespace {

// The resident bytes of pymalloc's arenas inside each mapping classified a malloc heap
// (0 for the others). The kernel merges an arena's anonymous mmap with a neighbouring one
// of the same protection: an arena placed just below one of glibc's per-thread heaps
// becomes part of that heap's VMA, and without this its pages counted as malloc's.
std::vector<std::uint64_t> arena_rss_in_malloc_heaps(const Snapshot& s, const std::vector<MappingKind>& kinds) {
    std::vector<std::uint64_t> inside(s.mappings.size(), 0);
    if (s.pymalloc_arenas.empty()) return inside;
    std::vector<std::size_t> heaps;
    for (std::size_t i = 0; i < s.mappings.size(); ++i)
        if (kinds[i] == MappingKind::MallocHeap) heaps.push_back(i);
    if (heaps.empty()) return inside;
    std::sort(heaps.begin(), heaps.end(), [&](std::size_t x, std::size_t y) { return s.mappings[x].start < s.mappings[y].start; });
    for (const PymallocArena& ar : s.pymalloc_arenas) {
        // The last heap that starts at or below the arena, if the arena ends inside it.
        auto it = std::upper_bound(heaps.begin(), heaps.end(), ar.address,
                                   [&](std::uint64_t address, std::size_t i) { return address < s.mappings[i].start; });
        if (it == heaps.begin()) continue;
        const Mapping& m = s.mappings[*(it - 1)];
        if (ar.address + ar.size <= m.start + m.size) inside[*(it - 1)] += ar.resident;
    }
    for (std::size_t i : heaps) inside[i] = std::min(inside[i], s.mappings[i].rss);
    return inside;
}

}  // namespace

MemoryAccount memory_account(const Snapshot& s) {
    MemoryAccount a;
    a.map_seconds = [&] {
        const Fact* f = s.fact("memory.map_seconds");
        return f && f->kind == format::FactKind::Float ? f->float_value : -1.0;
    }();
    if (const std::int64_t rss = int_fact(s, "process.rss"); rss >= 0) a.process_rss = static_cast<std::uint64_t>(rss);
    for (std::size_t i = 0; i < s.object_count(); ++i) a.object_bytes += s.size[i];
    a.objects = s.object_count();
    if (s.flags.size() == s.object_count()) {
        std::unordered_map<std::uint32_t, std::uint64_t> by_type;
        for (std::size_t i = 0; i < s.object_count(); ++i)
            if (s.flags[i] & format::object_flag::kSizeApproximate) ++by_type[s.type[i].value];
        for (const auto& [type, n] : by_type) a.approximate_types.push_back({std::string(s.type_name(TypeId(type))), n});
        std::sort(a.approximate_types.begin(), a.approximate_types.end(), [](const ApproximateType& x, const ApproximateType& y) {
            return x.objects != y.objects ? x.objects > y.objects : x.type < y.type;
        });
        if (a.approximate_types.size() > 10) a.approximate_types.resize(10);
    }
    if (s.mappings.empty()) {
        const std::string why = string_fact(s, "memory.map");
        a.why_not = !why.empty() ? why
                                 : "the snapshot has no memory map (written before heapdiff 0.2, or the probe could not "
                                   "read /proc/self/smaps)";
        return a;
    }
    a.available = true;
    a.cgroup_current = optional_fact(s, "cgroup.memory.current");
    a.cgroup_limit = optional_fact(s, "cgroup.memory.limit");

    // Regions, from the kernel: exact.
    const std::vector<MappingKind> kinds = classify_mappings(s);
    const std::vector<std::uint64_t> arena_rss = arena_rss_in_malloc_heaps(s, kinds);
    std::unordered_map<std::uint32_t, std::size_t> path_row;
    for (std::size_t i = 0; i < s.mappings.size(); ++i) {
        const Mapping& m = s.mappings[i];
        MappingKindTotal& k = a.kinds[at(kinds[i])];
        k.kind = kinds[i];
        ++k.mappings;
        k.size += m.size;
        k.rss += m.rss - arena_rss[i];
        k.pss += m.pss - std::min(m.pss, arena_rss[i]);
        k.private_dirty += m.private_dirty - std::min(m.private_dirty, arena_rss[i]);
        k.swap += m.swap;
        if (arena_rss[i]) {  // pymalloc's arenas are anonymous memory, wherever their VMA merged
            MappingKindTotal& anon = a.kinds[at(MappingKind::Anonymous)];
            anon.rss += arena_rss[i];
            anon.pss += std::min(m.pss, arena_rss[i]);
            anon.private_dirty += std::min(m.private_dirty, arena_rss[i]);
        }
        a.rss += m.rss;
        if (kinds[i] == MappingKind::Code || kinds[i] == MappingKind::MappedFile) {
            auto [it, fresh] = path_row.emplace(m.path.value, a.paths.size());
            if (fresh) a.paths.push_back(PathTotal{std::string(s.strings.get(m.path)), kinds[i]});
            PathTotal& p = a.paths[it->second];
            ++p.mappings;
            p.size += m.size;
            p.rss += m.rss;
            p.pss += m.pss;
            p.swap += m.swap;
        }
    }
    for (std::size_t k = 0; k < kMappingKinds; ++k) a.kinds[k].kind = static_cast<MappingKind>(k);
    std::stable_sort(a.paths.begin(), a.paths.end(), [](const PathTotal& x, const PathTotal& y) { return x.rss > y.rss; });

    // pymalloc: arenas' residency is exact (mincore), their used bytes exact (pool counts).
    PymallocFigures& pm = a.pymalloc;
    pm.source = string_fact(s, "pymalloc.source");
    pm.read = !s.pymalloc_arenas.empty() || int_fact(s, "pymalloc.arena_size") > 0;
    pm.arena_size = static_cast<std::uint64_t>(std::max<std::int64_t>(0, int_fact(s, "pymalloc.arena_size", 0)));
    pm.pool_size = static_cast<std::uint64_t>(std::max<std::int64_t>(0, int_fact(s, "pymalloc.pool_size", 0)));
    for (const PymallocArena& ar : s.pymalloc_arenas) {
        ++pm.arenas;
        pm.arena_bytes += ar.size;
        pm.resident += ar.resident;
        pm.pools += ar.pools;
        pm.free_pools += ar.free_pools;
        pm.used_bytes += ar.used_bytes;
        pm.used_blocks += ar.used_blocks;
        if (ar.used_bytes * 4 < ar.size) {
            ++pm.sparse_arenas;
            pm.sparse_resident += ar.resident;
        }
    }
    if (pm.arena_size) pm.arenas_if_packed = (pm.used_bytes + pm.arena_size - 1) / pm.arena_size;
    const std::uint64_t pymalloc_used = std::min(pm.used_bytes, pm.resident);
    const std::uint64_t anonymous_rss = a.kinds[at(MappingKind::Anonymous)].rss;
    // The arenas are anonymous mappings; what else is anonymous is malloc's or someone's mmaps.
    const std::uint64_t arenas_resident = std::min(pm.resident, anonymous_rss);
    std::uint64_t anonymous_rest = anonymous_rss - arenas_resident;

    // Where each object lives: its header in an arena means pymalloc holds (up to the
    // largest block of) it; the rest of it, and every other object, is malloc's.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    ranges.reserve(s.pymalloc_arenas.size());
    for (const PymallocArena& ar : s.pymalloc_arenas) ranges.emplace_back(ar.address, ar.address + ar.size);
    std::sort(ranges.begin(), ranges.end());
    std::uint64_t max_block = 512;
    for (const PymallocClass& c : s.pymalloc_classes) max_block = std::max<std::uint64_t>(max_block, c.block_size);
    std::uint64_t raw_in_pymalloc = 0;  // the same parts before rounding to blocks
    if (!ranges.empty())
        for (std::size_t i = 0; i < s.object_count(); ++i) {
            const std::uint64_t addr = s.address[i];
            auto it = std::upper_bound(ranges.begin(), ranges.end(), std::pair<std::uint64_t, std::uint64_t>(addr, ~std::uint64_t{0}));
            if (it != ranges.begin() && addr < std::prev(it)->second) {
                const std::uint64_t part = std::min(s.size[i], max_block);
                raw_in_pymalloc += part;
                a.object_bytes_in_pymalloc += (part + kBlockAlignment - 1) / kBlockAlignment * kBlockAlignment;
            }
        }
    const std::uint64_t arenas_used = std::min(pymalloc_used, arenas_resident);
    const std::uint64_t objects_in_pymalloc = std::min(a.object_bytes_in_pymalloc, arenas_used);
    // Sizes rounded up to their blocks: an object holds its whole block (a 28-byte int, 32).
    const std::uint64_t raw_part = std::min(raw_in_pymalloc, objects_in_pymalloc);
    const std::uint64_t objects_elsewhere = a.object_bytes - raw_part;
    const std::uint64_t object_bytes = objects_elsewhere + objects_in_pymalloc;

    // malloc: its own figures (mallinfo2, jemalloc's stats), held to what is resident.
    MallocFigures& mf = a.malloc;
    mf.allocator = string_fact(s, "malloc.allocator");
    mf.exposes = string_fact(s, "malloc.exposes");
    mf.in_use = optional_fact(s, "malloc.in_use");
    mf.free = optional_fact(s, "malloc.free");
    mf.mmapped = optional_fact(s, "malloc.mmapped");
    mf.system = optional_fact(s, "malloc.system");
    mf.releasable = optional_fact(s, "malloc.releasable");
    mf.allocated = optional_fact(s, "malloc.allocated");
    mf.active = optional_fact(s, "malloc.active");
    mf.resident = optional_fact(s, "malloc.resident");
    mf.arenas = s.malloc_arenas.size();
    for (const MallocArena& m : s.malloc_arenas) mf.arenas_free_bytes += m.free_bytes;
    mf.heap_rss = a.kinds[at(MappingKind::MallocHeap)].rss;

    std::uint64_t malloc_used = 0, malloc_free = 0;  // what is left of the heaps is "other"
    if (mf.in_use) {  // glibc: heaps are [heap] and the per-thread heaps; big chunks are mmaps
        const std::uint64_t in_heaps = std::min<std::uint64_t>(static_cast<std::uint64_t>(*mf.in_use), mf.heap_rss);
        const std::uint64_t mapped = std::min<std::uint64_t>(static_cast<std::uint64_t>(mf.mmapped.value_or(0)), anonymous_rest);
        anonymous_rest -= mapped;
        malloc_used = in_heaps + mapped;
        malloc_free = std::min<std::uint64_t>(mf.heap_rss - in_heaps, static_cast<std::uint64_t>(mf.free.value_or(0)));
    } else if (mf.allocated) {  // jemalloc and the like: their extents are anonymous mappings
        const std::uint64_t region = anonymous_rest + mf.heap_rss;
        malloc_used = std::min<std::uint64_t>(static_cast<std::uint64_t>(*mf.allocated), region);
        const std::uint64_t held =
            mf.resident ? static_cast<std::uint64_t>(std::max<std::int64_t>(0, *mf.resident - *mf.allocated)) : 0;
        malloc_free = std::min(held, region - malloc_used);
        anonymous_rest -= std::min(anonymous_rest, malloc_used + malloc_free);
    } else {  // no allocator figures: the heaps are native memory of unknown use
        malloc_used = mf.heap_rss;
    }

    // Python's own non-object blocks beyond pymalloc: tracemalloc's domain 0 is every
    // PyMem/PyObject block, so what it traced outside pymalloc and outside objects is
    // Python's (buffers, interpreter tables), not native.
    std::unordered_map<std::uint32_t, std::size_t> domain_row;
    for (const TraceStat& t : s.trace_stats) {
        auto [it, fresh] = domain_row.emplace(t.domain, a.traced_domains.size());
        if (fresh) a.traced_domains.push_back(DomainTotal{t.domain});
        a.traced_domains[it->second].blocks += t.count;
        a.traced_domains[it->second].bytes += t.size;
    }
    std::sort(a.traced_domains.begin(), a.traced_domains.end(),
              [](const DomainTotal& x, const DomainTotal& y) { return x.domain < y.domain; });
    std::uint64_t pymem_outside = 0;
    if (int_fact(s, "tracemalloc.tracing", 0) > 0 && !a.traced_domains.empty() && a.traced_domains[0].domain == 0) {
        const std::uint64_t python_traced = a.traced_domains[0].bytes;
        const std::uint64_t outside_pymalloc = python_traced > pymalloc_used ? python_traced - pymalloc_used : 0;
        pymem_outside = outside_pymalloc > objects_elsewhere ? outside_pymalloc - objects_elsewhere : 0;
    }

    // Objects outside pymalloc are in malloc's memory; more than malloc holds means static
    // objects in the interpreter's data (types, small ints) or objects whose sizes count
    // memory that is not resident: taken from code, then from what is left.
    std::uint64_t code = a.kinds[at(MappingKind::Code)].rss;
    std::uint64_t objects_in_malloc = std::min(objects_elsewhere, malloc_used);
    std::uint64_t unplaced = objects_elsewhere - objects_in_malloc;
    const std::uint64_t from_code = std::min(unplaced, code);
    code -= from_code;
    unplaced -= from_code;
    const std::uint64_t from_mmaps = std::min(unplaced, anonymous_rest);
    anonymous_rest -= from_mmaps;
    unplaced -= from_mmaps;
    const std::uint64_t native_total = malloc_used - objects_in_malloc;
    const std::uint64_t pymem = std::min(pymem_outside, native_total);

    auto set = [&](MemoryCategory c, std::uint64_t bytes, bool estimated) {
        a.bytes[at(c)] = bytes;
        a.estimated[at(c)] = estimated;
    };
    set(MemoryCategory::Objects, object_bytes - unplaced, unplaced > 0);
    set(MemoryCategory::PymallocFree, arenas_resident - arenas_used, false);
    set(MemoryCategory::PymallocOther, arenas_used - std::min(objects_in_pymalloc, arenas_used) + pymem, true);
    set(MemoryCategory::Native, native_total - pymem, true);
    set(MemoryCategory::MallocFree, malloc_free, true);
    set(MemoryCategory::Mmaps, anonymous_rest, mf.mmapped.has_value() || mf.allocated.has_value());
    set(MemoryCategory::MappedFiles, a.kinds[at(MappingKind::MappedFile)].rss, false);
    set(MemoryCategory::Stacks, a.kinds[at(MappingKind::Stack)].rss, a.kinds[at(MappingKind::Stack)].mappings > 1);
    set(MemoryCategory::Code, code, from_code > 0);
    std::uint64_t named = 0;
    for (MemoryCategory c : kAllMemoryCategories)
        if (c != MemoryCategory::Other) named += a.get(c);
    set(MemoryCategory::Other, a.rss > named ? a.rss - named : 0, false);
    return a;
}

namespace {

std::int64_t signed_diff(std::uint64_t after, std::uint64_t before) {
    return static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before);
}

std::string size_text(std::int64_t bytes) {
    return bytes < 0 ? "-" + human_size(static_cast<std::uint64_t>(-bytes)) : human_size(static_cast<std::uint64_t>(bytes));
}

std::string percent_text(std::uint64_t part, std::uint64_t whole) { return std::to_string(percent_of(part, whole)) + "%"; }

std::string pymalloc_text(const MemoryAccount& a) {
    const PymallocFigures& p = a.pymalloc;
    return human_size(a.get(MemoryCategory::PymallocFree)) + " of pymalloc's arenas is free (" +
           percent_text(a.get(MemoryCategory::PymallocFree), a.rss) + " of RSS): " + std::to_string(p.arenas) +
           " arenas hold " + human_size(p.used_bytes) + " in " + with_commas(p.used_blocks) + " live blocks, which " +
           std::to_string(std::max<std::uint64_t>(p.arenas_if_packed, 1)) + " arenas would hold; " +
           std::to_string(p.sparse_arenas) +
           " are less than a quarter used. A few live blocks pin each arena, and pymalloc returns an arena to the "
           "system only when it is empty: fragmentation, not a leak. The process reuses this space for new small "
           "objects; to give it back, allocate long-lived objects together (before the churn, or in their own "
           "process), or restart the worker.";
}

std::string malloc_free_text(const MemoryAccount& a) {
    const MallocFigures& m = a.malloc;
    std::string s = (m.allocator.empty() ? std::string("malloc") : m.allocator + " malloc") + " holds " +
                    human_size(a.get(MemoryCategory::MallocFree)) + " freed but resident (" +
                    percent_text(a.get(MemoryCategory::MallocFree), a.rss) + " of RSS)";
    if (m.arenas > 1) s += " in " + std::to_string(m.arenas) + " arenas";
    s += ": memory freed by the program that the allocator keeps for reuse. It is not a leak. ";
    if (m.allocator.rfind("glibc", 0) == 0)
        s += "Each thread that allocates gets an arena of its own (up to 8 per core): set MALLOC_ARENA_MAX=2 "
             "in the environment to share them, call malloc_trim(0) (ctypes.CDLL(\"libc.so.6\").malloc_trim(0)) "
             "to return free pages now, or lower MALLOC_TRIM_THRESHOLD_; a preloaded jemalloc returns "
             "free memory on its own.";
    else
        s += "See the allocator's settings for returning free memory (jemalloc: dirty_decay_ms).";
    return s;
}

// The type whose objects of unmeasured size grew most in number, if any did: their
// buffers (NumPy's data) are counted as native memory until trust_sizeof() vouches for them.
std::string unmeasured_hint(const MemoryAccount& first, const MemoryAccount& last) {
    const ApproximateType* best = nullptr;
    std::int64_t best_growth = 0;
    for (const ApproximateType& t : last.approximate_types) {
        std::uint64_t before = 0;
        for (const ApproximateType& u : first.approximate_types)
            if (u.type == t.type) before = u.objects;
        const std::int64_t g = static_cast<std::int64_t>(t.objects) - static_cast<std::int64_t>(before);
        if (g > best_growth) best = &t, best_growth = g;
    }
    if (!best) return "";
    const std::string_view name = std::string_view(best->type).substr(best->type.rfind('.') == std::string::npos ? 0 : best->type.rfind('.') + 1);
    return " Part of it may be buffers of Python objects whose size the probe does not measure: " +
           std::to_string(best_growth) + " more " + best->type + " (their __sizeof__ is not run during a dump); "
           "vouch for it with heapdiff.trust_sizeof(" + best->type + ") before dumping and their buffers count "
           "as objects, or see what holds them: heapdiff diff --type " + std::string(name) + ".";
}

std::string native_text(std::int64_t grew, const std::string& share, std::int64_t objects, const MemoryAccount& last) {
    std::string s = "native allocations grew by " + size_text(grew) + share + " while the Python objects grew by " +
                    size_text(objects) +
                    ": memory that C code (an extension module or a library it uses) allocated with malloc and "
                    "has not freed: a C-level leak, or a native cache that grows. tracemalloc cannot see it (it "
                    "traces Python's allocators only). To find the code that allocates it, run the program under "
                    "memray's native mode (memray run --native, then memray flamegraph --leaks) or heaptrack, "
                    "or bisect the calls that run between the snapshots.";
    for (const DomainTotal& d : last.traced_domains)
        if (d.domain != 0)
            s += " tracemalloc traced " + human_size(d.bytes) + " in domain " + std::to_string(d.domain) +
                 (d.domain == 389047 ? " (NumPy's)" : "") + ": heapdiff diff A B --group-by traceback shows where.";
    return s;
}

}  // namespace

std::vector<MemoryFinding> memory_findings(const std::vector<MemoryAccount>& accounts,
                                           const std::vector<std::string>& paths) {
    std::vector<MemoryFinding> out;
    if (accounts.empty()) return out;
    const MemoryAccount& last = accounts.back();
    if (!last.available || !accounts.front().available) {
        const MemoryAccount& missing = last.available ? accounts.front() : last;
        out.push_back({"no_memory_map", MemoryCategory::Other, 0,
                       "no account of the memory: " + missing.why_not + ". Take the snapshots with heapdiff 0.2 or later."});
        return out;
    }
    const std::string a_path = paths.empty() ? "A" : paths.front(), b_path = paths.empty() ? "B" : paths.back();
    const bool fragmented = last.get(MemoryCategory::PymallocFree) * 4 >= last.rss &&
                            last.get(MemoryCategory::PymallocFree) >= 16 * kMiB;
    const bool malloc_holds = last.get(MemoryCategory::MallocFree) * 4 >= last.rss &&
                              last.get(MemoryCategory::MallocFree) >= 16 * kMiB;

    if (accounts.size() >= 2) {
        const MemoryAccount& first = accounts.front();
        const std::int64_t rss_growth = signed_diff(last.rss, first.rss);
        std::array<std::int64_t, kMemoryCategories> growth{};
        for (MemoryCategory c : kAllMemoryCategories) growth[at(c)] = signed_diff(last.get(c), first.get(c));
        const std::int64_t threshold = std::max<std::int64_t>(4 * static_cast<std::int64_t>(kMiB), rss_growth / 10);
        std::vector<MemoryCategory> grown;
        for (MemoryCategory c : kAllMemoryCategories)
            if (c != MemoryCategory::Other && growth[at(c)] >= threshold) grown.push_back(c);
        std::stable_sort(grown.begin(), grown.end(),
                         [&](MemoryCategory x, MemoryCategory y) { return growth[at(x)] > growth[at(y)]; });
        auto share = [&](std::int64_t g) {
            return rss_growth > 0 ? " (" + std::to_string(percent_of(static_cast<std::uint64_t>(g), static_cast<std::uint64_t>(rss_growth))) +
                                        "% of the RSS growth)"
                                  : std::string();
        };
        for (MemoryCategory c : grown) {
            const std::int64_t g = growth[at(c)];
            switch (c) {
                case MemoryCategory::Objects:
                    out.push_back({"objects_grew", c, g,
                                   "Python objects grew by " + size_text(g) + share(g) +
                                       ": see which with heapdiff diff " + a_path + " " + b_path +
                                       " and what keeps them with heapdiff suspects " + a_path + " " + b_path + "."});
                    break;
                case MemoryCategory::Native:
                    out.push_back({"native_grew", c, g, native_text(g, share(g), growth[at(MemoryCategory::Objects)], last) + unmeasured_hint(first, last)});
                    break;
                case MemoryCategory::PymallocFree:
                case MemoryCategory::PymallocOther:
                    if (c == MemoryCategory::PymallocFree)
                        out.push_back({"pymalloc_fragmentation", c, g,
                                       "pymalloc free space grew by " + size_text(g) + share(g) + ". " + pymalloc_text(last)});
                    else
                        out.push_back({"pymalloc_other_grew", c, g,
                                       "pymalloc/PyMem blocks that are no object grew by " + size_text(g) + share(g) +
                                           ": Python-level buffers the walk does not see as objects (a C extension's "
                                           "PyMem_Malloc, or objects nothing refers to: heapdiff orphans " + a_path +
                                           " " + b_path + ")."});
                    break;
                case MemoryCategory::MallocFree:
                    out.push_back({"malloc_free", c, g, "malloc free space grew by " + size_text(g) + share(g) + ". " + malloc_free_text(last)});
                    break;
                case MemoryCategory::Mmaps:
                    out.push_back({"mmaps_grew", c, g,
                                   "anonymous mappings outside the allocators grew by " + size_text(g) + share(g) +
                                       ": memory mapped directly (mmap.mmap(-1, n), a library's own arenas or buffers); "
                                       "heapdiff memory --json lists the mappings by kind."});
                    break;
                case MemoryCategory::MappedFiles: {
                    std::string top = last.paths.empty() ? std::string() : " (largest: " + last.paths.front().path + ")";
                    for (const PathTotal& p : last.paths)
                        if (p.kind == MappingKind::MappedFile) {
                            top = " (largest: " + p.path + ", " + human_size(p.rss) + ")";
                            break;
                        }
                    out.push_back({"mapped_files_grew", c, g,
                                   "mapped files grew by " + size_text(g) + share(g) + top +
                                       ": pages of memory-mapped files read in; the kernel can drop them when memory is short."});
                    break;
                }
                case MemoryCategory::Stacks:
                    out.push_back({"stacks_grew", c, g,
                                   "thread stacks grew by " + size_text(g) + share(g) + " (" +
                                       std::to_string(last.kind(MappingKind::Stack).mappings) +
                                       " stacks now): more threads, or deeper recursion."});
                    break;
                case MemoryCategory::Code:
                    out.push_back({"code_grew", c, g,
                                   "code and libraries grew by " + size_text(g) + share(g) + ": modules that load shared libraries were imported."});
                    break;
                case MemoryCategory::Other: break;
            }
        }
        if (grown.empty())
            out.push_back({"no_growth", MemoryCategory::Other, rss_growth,
                           "RSS changed by " + size_text(rss_growth) + " and no category grew by more than " +
                               size_text(threshold) + "."});
    }

    // What the newest snapshot is made of, whatever grew.
    bool said_fragmentation = false, said_malloc = false;
    for (const MemoryFinding& f : out) {
        said_fragmentation |= f.kind == "pymalloc_fragmentation";
        said_malloc |= f.kind == "malloc_free";
    }
    if (fragmented && !said_fragmentation)
        out.push_back({"pymalloc_fragmentation", MemoryCategory::PymallocFree,
                       static_cast<std::int64_t>(last.get(MemoryCategory::PymallocFree)), pymalloc_text(last)});
    if (malloc_holds && !said_malloc)
        out.push_back({"malloc_free", MemoryCategory::MallocFree, static_cast<std::int64_t>(last.get(MemoryCategory::MallocFree)),
                       malloc_free_text(last)});
    if (accounts.size() == 1 && out.empty()) {
        const std::uint64_t native = last.get(MemoryCategory::Native), objects = last.get(MemoryCategory::Objects);
        if (native * 2 >= last.rss && native >= 16 * kMiB)
            out.push_back({"native_dominates", MemoryCategory::Native, static_cast<std::int64_t>(native),
                           human_size(native) + " (" + percent_text(native, last.rss) +
                               " of RSS) is native allocations that no Python object explains: C extensions and "
                               "libraries. Take a second snapshot later and run heapdiff memory A B to see whether it grows."});
        else
            out.push_back({"objects_dominate", MemoryCategory::Objects, static_cast<std::int64_t>(objects),
                           "Python objects are " + percent_text(objects, last.rss) + " of RSS (" + human_size(objects) +
                               "); heapdiff summary lists them by type."});
    }
    return out;
}

}  // namespace heapdiff
