// The in-memory snapshot: flat columns indexed by ObjectIndex (32-bit), tables indexed
// by strong ids. Built by read_snapshot() and by tests; written by SnapshotWriter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "heapdiff/edge_kind.h"
#include "heapdiff/format.h"
#include "heapdiff/ids.h"

namespace heapdiff {

struct TypeInfo {
    StringId name;             // qualified "module.QualName", e.g. "builtins.dict"
    std::uint64_t address = 0; // address of the type object
    std::uint32_t flags = 0;   // format::type_flag
    StringId module;           // the module that defines it ("builtins", "xml.dom.minidom")
};

struct Frame {
    StringId filename;
    std::uint32_t lineno = 0;
};

struct TraceStat {
    TracebackId traceback;
    std::uint32_t domain = 0;
    std::uint64_t count = 0;
    std::uint64_t size = 0;
};

// One block tracemalloc traced: where, how big, allocated where. The three-snapshot trace
// diff follows blocks (raw buffers too), not only the objects the walk found.
struct TraceBlock {
    std::uint64_t address = 0;
    std::uint64_t size = 0;
    TracebackId traceback;
    std::uint32_t domain = 0;
};

struct ModuleRoot {
    std::uint64_t address = 0;
    StringId name;
};

struct ThreadRoot {
    std::uint64_t thread_id = 0;
    std::vector<std::uint64_t> frames;  // innermost first
};

// The memory map (format 1.2, optional): what the process's memory was made of when the
// snapshot was taken, read at dump time without walking anything (docs/MEMORY.md).
// One mapping of /proc/self/smaps; sizes in bytes.
struct Mapping {
    std::uint64_t start = 0, size = 0;
    std::uint8_t perms = 0;  // format::mapping_perm
    StringId path;           // none: anonymous; "[heap]", "[stack]", "/usr/lib/x.so", ...
    std::uint64_t rss = 0, pss = 0, private_dirty = 0, swap = 0;
};

// One arena of pymalloc, CPython's small-object allocator.
struct PymallocArena {
    std::uint64_t address = 0, size = 0;
    std::uint32_t pools = 0, free_pools = 0;      // free: empty pools, ready for any size class
    std::uint64_t used_bytes = 0, used_blocks = 0;  // in allocated blocks
    std::uint64_t resident = 0;                    // its resident bytes (mincore)
};

// One size class of pymalloc, over every arena.
struct PymallocClass {
    std::uint32_t block_size = 0;
    std::uint64_t pools = 0;          // used pools of this class
    std::uint64_t blocks_in_use = 0;  // allocated blocks
    std::uint64_t blocks_free = 0;    // blocks of those pools that are free (freed or never used)
};

// One arena of glibc's malloc (malloc_info()'s <heap>).
struct MallocArena {
    std::uint64_t number = 0;
    std::uint64_t free_bytes = 0, free_chunks = 0;
    std::uint64_t system_current = 0, system_max = 0;  // bytes it has from the system
    std::uint64_t mmapped = 0;                         // its address space (aspace total)
};

struct Fact {
    std::string key;
    format::FactKind kind = format::FactKind::Int;
    std::int64_t int_value = 0;
    double float_value = 0;
    std::string string_value;
};

// Strings live in one blob; string i (1-based) is blob[offsets[i-1], offsets[i]).
class StringTable {
public:
    StringTable() { offsets_.push_back(0); }
    StringId add(std::string_view s) {
        blob_.append(s.data(), s.size());
        offsets_.push_back(blob_.size());
        return StringId(static_cast<std::uint32_t>(offsets_.size() - 1));
    }
    std::string_view get(StringId id) const {
        if (!id.valid() || id.value >= offsets_.size()) return {};
        return std::string_view(blob_).substr(offsets_[id.value - 1], offsets_[id.value] - offsets_[id.value - 1]);
    }
    std::size_t size() const { return offsets_.size() - 1; }
    bool contains(StringId id) const { return id.value < offsets_.size(); }

private:
    std::string blob_;
    std::vector<std::uint64_t> offsets_;
};

struct Snapshot {
    std::uint16_t format_major = format::kMajor;
    std::uint16_t format_minor = format::kMinor;

    StringTable strings;
    std::vector<TypeInfo> types;  // types[id.value - 1]

    // Object columns, all of length object_count().
    std::vector<std::uint64_t> address;
    std::vector<TypeId> type;
    std::vector<std::uint64_t> size;
    std::vector<std::uint64_t> refcount;
    std::vector<std::uint8_t> flags;
    std::vector<TracebackId> traceback;

    // Short display values (loaded only when asked): value i is
    // value_blob[value_offset[i], value_offset[i+1]).
    std::vector<std::uint64_t> value_offset;
    std::string value_blob;

    // Edges (loaded only when asked) in compressed-sparse-row form: the edges of object i
    // are [edge_begin[i], edge_begin[i+1]). Targets are addresses as written; resolving
    // them to ObjectIndex is the graph library's job.
    std::vector<std::uint64_t> edge_begin;
    std::vector<std::uint64_t> edge_target;
    std::vector<EdgeKind> edge_kind;
    std::vector<std::uint64_t> edge_arg;

    // Tracebacks, most recent frame first (tracemalloc's order): traceback id t has
    // frames[traceback_begin[t-1], traceback_begin[t]).
    std::vector<std::uint64_t> traceback_begin{0};
    std::vector<Frame> traceback_frames;
    std::vector<std::uint32_t> traceback_total_frames;

    std::vector<TraceStat> trace_stats;
    std::vector<TraceBlock> trace_blocks;  // optional: 3.12+ snapshots taken while tracing
    std::vector<ModuleRoot> module_roots;
    std::vector<ThreadRoot> thread_roots;
    std::vector<Fact> facts;

    // The memory map (1.2, optional): empty in older snapshots, or where it was not read.
    std::vector<Mapping> mappings;
    std::vector<PymallocArena> pymalloc_arenas;
    std::vector<PymallocClass> pymalloc_classes;
    std::vector<MallocArena> malloc_arenas;

    std::size_t object_count() const { return address.size(); }
    bool has_edges() const { return !edge_begin.empty(); }
    bool has_values() const { return !value_offset.empty(); }

    std::string_view type_name(TypeId id) const {
        if (!id.valid() || id.value > types.size()) return "?";
        return strings.get(types[id.value - 1].name);
    }
    std::string_view value(ObjectIndex i) const {
        if (!has_values()) return {};
        return std::string_view(value_blob).substr(value_offset[i], value_offset[i + 1] - value_offset[i]);
    }
    const Fact* fact(std::string_view key) const {
        for (const Fact& f : facts)
            if (f.key == key) return &f;
        return nullptr;
    }
    std::size_t traceback_count() const { return traceback_begin.size() - 1; }
};

}  // namespace heapdiff
