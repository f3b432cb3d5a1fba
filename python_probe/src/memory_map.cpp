#include "memory_map.h"

#include <chrono>
#include <exception>
#include <vector>

#include "heapdiff/malloc_stats.h"
#include "heapdiff/process_memory.h"
#include "heapdiff/smaps.h"
#include "pymalloc_stats.h"

namespace heapdiff::probe {
namespace {

void write_mappings(SnapshotWriter& w) {
    const std::optional<std::vector<process::SmapsMapping>> maps = process::read_smaps();
    if (!maps || maps->empty()) {
        w.add_fact("memory.map", std::string_view("not read: /proc/self/smaps could not be read"));
        return;
    }
    w.add_fact("memory.map", std::string_view("/proc/self/smaps"));
    for (const process::SmapsMapping& m : *maps) {
        if (m.end <= m.start) continue;
        Mapping row;
        row.start = m.start;
        row.size = m.end - m.start;
        row.perms = m.perms;  // the same bits as format::mapping_perm
        row.path = w.intern(m.path);
        // The kernel's figures never exceed the range; held to it so no reader refuses them.
        row.rss = std::min(m.rss, row.size);
        row.pss = std::min(m.pss, row.size);
        row.private_dirty = std::min(m.private_dirty, row.size);
        row.swap = std::min(m.swap, row.size);
        w.add_mapping(row);
    }
}

// pymalloc's arenas, with each one's resident bytes (mincore), and its size classes.
void write_pymalloc(SnapshotWriter& w) {
    std::vector<heapdiff_arena_stat> arenas;
    arenas.reserve(1024);
    heapdiff_class_stat classes[64] = {};
    heapdiff_pymalloc_geometry geometry = {};
    const char* why_not = nullptr;
    auto visit = [](void* ctx, const heapdiff_arena_stat* arena) {
        try {
            static_cast<std::vector<heapdiff_arena_stat>*>(ctx)->push_back(*arena);
        } catch (...) {  // out of memory: the arenas seen so far are still true
        }
    };
    const long long n = heapdiff_pymalloc_stats(visit, &arenas, classes, &geometry, &why_not);
    if (n < 0) {
        w.add_fact("pymalloc.source", std::string_view(std::string("not read: ") + (why_not ? why_not : "unknown")));
        return;
    }
    w.add_fact("pymalloc.source", std::string_view(geometry.source ? geometry.source : "pymalloc"));
    w.add_fact("pymalloc.arena_size", static_cast<std::int64_t>(geometry.arena_size));
    w.add_fact("pymalloc.pool_size", static_cast<std::int64_t>(geometry.pool_size));
    for (const heapdiff_arena_stat& a : arenas) {
        PymallocArena row;
        row.address = a.address;
        row.size = a.size;
        row.pools = a.pools;
        row.free_pools = std::min(a.free_pools, a.pools);
        row.used_bytes = std::min<std::uint64_t>(a.used_bytes, a.size);
        row.used_blocks = a.used_blocks;
        row.resident = std::min<std::uint64_t>(process::resident_bytes_in(a.address, a.size).value_or(0), a.size);
        if (row.address + row.size < row.address) continue;
        w.add_pymalloc_arena(row);
    }
    for (unsigned i = 0; i < geometry.classes && i < 64; ++i)
        if (classes[i].pools)
            w.add_pymalloc_class({classes[i].block_size, classes[i].pools, classes[i].blocks_in_use, classes[i].blocks_free});
}

void optional_fact(SnapshotWriter& w, const char* key, const std::optional<std::int64_t>& v) {
    if (v) w.add_fact(key, *v);
}

void write_malloc(SnapshotWriter& w) {
    const process::MallocStats m = process::read_malloc_stats();
    w.add_fact("malloc.allocator", std::string_view(m.allocator));
    w.add_fact("malloc.exposes", std::string_view(m.exposes));
    optional_fact(w, "malloc.in_use", m.in_use);
    optional_fact(w, "malloc.free", m.free);
    optional_fact(w, "malloc.mmapped", m.mmapped);
    optional_fact(w, "malloc.mmapped_chunks", m.mmapped_chunks);
    optional_fact(w, "malloc.system", m.system);
    optional_fact(w, "malloc.releasable", m.releasable);
    optional_fact(w, "malloc.arenas", m.arena_count);
    optional_fact(w, "malloc.allocated", m.allocated);
    optional_fact(w, "malloc.active", m.active);
    optional_fact(w, "malloc.resident", m.resident);
    optional_fact(w, "malloc.mapped", m.mapped);
    optional_fact(w, "malloc.retained", m.retained);
    for (const process::MallocArenaStats& a : m.arenas)
        w.add_malloc_arena({a.number, a.free_bytes, a.free_chunks, a.system_current, a.system_max, a.mmapped_aspace});
}

void write_cgroup(SnapshotWriter& w) {
    const process::CgroupMemory c = process::cgroup_memory();
    w.add_fact("cgroup.memory.current", c.current.value_or(-1));
    w.add_fact("cgroup.memory.limit", c.limit.value_or(-1));
}

}  // namespace

void write_memory_map(SnapshotWriter& w) {
    const auto start = std::chrono::steady_clock::now();
    // pymalloc first: reading its arenas allocates nothing through Python; then the
    // mappings, so their RSS includes what the reads before them touched.
    for (void (*part)(SnapshotWriter&) : {write_pymalloc, write_malloc, write_mappings, write_cgroup}) {
        try {
            part(w);
        } catch (const std::exception& e) {
            w.add_fact("memory.map_error", std::string_view(e.what()));
        }
    }
    w.add_fact("memory.map_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace heapdiff::probe
