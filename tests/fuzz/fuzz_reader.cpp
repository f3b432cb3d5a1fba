// libFuzzer target for the snapshot reader. Any input must either load or throw
// heapdiff::Error; a loaded snapshot must be internally consistent, because every
// command indexes its columns without further checks, and must claim no more than its
// size allows (read_limits: decompressed bytes, objects, edges, table rows). Anything
// else (a crash, a sanitizer report, another exception, an inconsistent snapshot, a
// file accepted beyond the limits) is a finding.
//
// Memory (FORMAT.md, "Memory"): the harness counts the heap through ASan's malloc and
// free hooks and asserts, on every input and every load option, that reading took no more
// than read_heap_bound() of what the file claimed (and of its size, when it was refused)
// and that the analyses took no more than analysis_heap_bound() of the objects and edges
// loaded. HEAPDIFF_FUZZ_MEMORY_LOG=FILE appends one line per load with the figures
// (bench/fuzz/memory_figures.py summarizes them).
//
// Build and run (see tests/fuzz/CMakeLists.txt):
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
//         -DHEAPDIFF_FUZZ=ON -DHEAPDIFF_SANITIZE=ON -DHEAPDIFF_BUILD_PROBE=OFF
//   cmake --build build-fuzz --target fuzz_reader fuzz_seed_corpus
//   build-fuzz/tests/fuzz/fuzz_reader -max_total_time=180 build-fuzz/tests/fuzz/corpus \
//         build-fuzz/tests/fuzz/seeds
#include <sanitizer/allocator_interface.h>
#include <sanitizer/common_interface_defs.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "heapdiff/chains.h"
#include "heapdiff/edge_label.h"
#include "heapdiff/garbage.h"
#include "heapdiff/heap_graph.h"
#include "heapdiff/object_text.h"
#include "heapdiff/retained.h"
#include "heapdiff/error.h"
#include "heapdiff/address_index.h"
#include "heapdiff/reader.h"
#include "heapdiff/summary.h"
#include "heapdiff/heap_bound.h"
#include "raw_file.h"

namespace {

using namespace heapdiff;

// The heap in use, from ASan's hooks (called on every thread: the index and the graph
// sort and resolve on several). peak is reset at the start of each measured step.
std::atomic<std::uint64_t> heap_live{0}, heap_peak{0};

std::size_t big_allocation = 0;  // HEAPDIFF_FUZZ_BIG_ALLOCATIONS: print where these come from

void on_malloc(const volatile void*, std::size_t size) {
    if (big_allocation && size >= big_allocation) {
        std::fprintf(stderr, "fuzz_reader: an allocation of %zu bytes\n", size);
        __sanitizer_print_stack_trace();
    }
    const std::uint64_t now = heap_live.fetch_add(size, std::memory_order_relaxed) + size;
    std::uint64_t peak = heap_peak.load(std::memory_order_relaxed);
    while (now > peak && !heap_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
}

void on_free(const volatile void* p) {
    if (p) heap_live.fetch_sub(__sanitizer_get_allocated_size(p), std::memory_order_relaxed);
}

// Measures the heap one step takes at its highest, above what was in use before it.
class HeapStep {
public:
    HeapStep() : start_(heap_live.load()) { heap_peak.store(start_); }
    std::uint64_t peak() const {
        const std::uint64_t p = heap_peak.load();
        return p > start_ ? p - start_ : 0;
    }

private:
    std::uint64_t start_;
};

std::FILE* memory_log = nullptr;

[[noreturn]] void inconsistent(const char* what) {
    std::fprintf(stderr, "loaded snapshot is inconsistent: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok) inconsistent(what);
}

// The invariants read_snapshot promises (snapshot.h), checked on what it returned.
void check_consistent(const Snapshot& s) {
    const std::size_t n = s.object_count();
    check(s.type.size() == n && s.size.size() == n && s.refcount.size() == n && s.flags.size() == n &&
              s.traceback.size() == n,
          "object columns differ in length");
    for (std::size_t i = 0; i < n; ++i) {
        check(s.type[i].value <= s.types.size(), "type id out of range");
        check(s.traceback[i].value <= s.traceback_count(), "traceback id out of range");
    }
    for (const TypeInfo& t : s.types) check(s.strings.contains(t.name), "type name out of range");
    if (s.has_values()) {
        check(s.value_offset.size() == n + 1, "value_offset length");
        for (std::size_t i = 0; i < n; ++i) check(s.value_offset[i] <= s.value_offset[i + 1], "value_offset order");
        check(s.value_offset.back() == s.value_blob.size(), "value_offset end");
    }
    if (s.has_edges()) {
        check(s.edge_begin.size() == n + 1 && s.edge_begin[0] == 0, "edge_begin length");
        for (std::size_t i = 0; i < n; ++i) check(s.edge_begin[i] <= s.edge_begin[i + 1], "edge_begin order");
        check(s.edge_begin.back() == s.edge_target.size(), "edge_begin end");
        const bool labels = !s.edge_kind.empty() || !s.edge_arg.empty() || s.edge_target.empty();
        check(!labels || (s.edge_kind.size() == s.edge_target.size() && s.edge_arg.size() == s.edge_target.size()),
              "edge columns differ in length");  // or both left out (LoadOptions::edge_labels)
        check(labels || (s.edge_kind.empty() && s.edge_arg.empty()), "edge label columns half loaded");
        for (EdgeKind k : s.edge_kind) check(static_cast<std::uint8_t>(k) <= kMaxEdgeKind, "edge kind out of range");
    } else {
        check(s.edge_target.empty(), "edges without edge_begin");
    }
    check(!s.traceback_begin.empty() && s.traceback_begin[0] == 0, "traceback_begin start");
    check(s.traceback_total_frames.size() == s.traceback_count(), "traceback_total_frames length");
    for (std::size_t t = 0; t < s.traceback_count(); ++t)
        check(s.traceback_begin[t] <= s.traceback_begin[t + 1], "traceback_begin order");
    check(s.traceback_begin.back() == s.traceback_frames.size(), "traceback_begin end");
    for (const Frame& f : s.traceback_frames) check(s.strings.contains(f.filename), "frame filename out of range");
    for (const TraceStat& t : s.trace_stats) check(t.traceback.value <= s.traceback_count(), "trace traceback");
    for (const ModuleRoot& m : s.module_roots) check(s.strings.contains(m.name), "module root name");
}

// What a loaded file claimed, counted here independently of the reader: the sections'
// raw sizes from their headers, the rows from what was loaded.
HeapClaims claims_of(const std::uint8_t* data, std::size_t size, const Snapshot& s) {
    HeapClaims c;
    c.file_bytes = size;
    for (const test::SectionSpan& span : test::section_spans(test::Bytes(data, data + size)))
        c.decompressed += span.raw_size;
    c.objects = s.object_count();
    c.edges = s.edge_target.size();
    c.table_rows = s.strings.size() + s.types.size() + s.traceback_count() + s.traceback_frames.size() +
                   s.trace_stats.size() + s.module_roots.size() + s.thread_roots.size() + s.facts.size();
    for (const ThreadRoot& t : s.thread_roots) c.table_rows += t.frames.size();
    return c;
}

// What read_limits promises of every file it accepts.
void check_within_limits(const HeapClaims& c) {
    const ReadLimits limits = read_limits(c.file_bytes);
    check(c.decompressed <= limits.decompressed, "accepted more decompressed bytes than the file's size allows");
    check(c.objects <= limits.objects, "accepted more objects than the file's size allows");
    check(c.edges <= limits.edges, "accepted more edges than the file's size allows");
    check(c.table_rows <= limits.table_rows, "accepted more table rows than the file's size allows");
}

void check_heap(std::uint64_t used, std::uint64_t bound, const char* step, const HeapClaims& c) {
    if (memory_log)
        std::fprintf(memory_log, "%s file=%llu decompressed=%llu objects=%llu edges=%llu rows=%llu heap=%llu bound=%llu\n",
                     step, (unsigned long long)c.file_bytes, (unsigned long long)c.decompressed,
                     (unsigned long long)c.objects, (unsigned long long)c.edges, (unsigned long long)c.table_rows,
                     (unsigned long long)used, (unsigned long long)bound);
    if (used <= bound) return;
    std::fprintf(stderr, "%s took %llu bytes of heap, over FORMAT.md's bound of %llu for a %llu-byte file "
                 "(%llu objects, %llu edges, %llu decompressed bytes, %llu table rows)\n",
                 step, (unsigned long long)used, (unsigned long long)bound, (unsigned long long)c.file_bytes,
                 (unsigned long long)c.objects, (unsigned long long)c.edges, (unsigned long long)c.decompressed,
                 (unsigned long long)c.table_rows);
    std::abort();
}

// What the commands do with a snapshot: nothing here may fault on a loaded one.
void use(const Snapshot& s) {
    Summary sum = summarize(s);
    sort_types(sum.types, TypeOrder::BySize);
    for (std::size_t i = 0; i < s.object_count(); ++i) {
        s.type_name(s.type[i]);
        s.value(static_cast<ObjectIndex>(i));
    }
    s.fact("pid");
    if (!s.has_edges()) return;
    AddressIndex index(s);
    for (std::size_t i = 0; i < s.object_count() && !s.edge_kind.empty(); ++i)
        for (std::uint64_t e = s.edge_begin[i]; e < s.edge_begin[i + 1]; ++e) {
            edge_label(s, static_cast<ObjectIndex>(i), e, index);
        }
    // The graph analyses: roots, cyclic trash, the dominator tree, chains.
    HeapGraph heap(s, true);
    find_garbage(heap);
    RetainedSizes sizes = retained_sizes(heap);
    retained_by_type(heap, sizes);
    ChainOptions chains;
    chains.paths = 3;
    for (ObjectIndex i = 0; i < s.object_count() && i < 8; ++i) {
        describe_object(s, i);
        shortest_chains(heap, i, chains);
        retained_objects(heap, i);
        for (ObjectIndex j = 0; j < s.object_count() && j < 8; ++j) heap.label_between(i, j);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) == 0) {
        std::fprintf(stderr, "fuzz_reader: ASan's malloc hooks could not be installed (build with HEAPDIFF_SANITIZE=ON)\n");
        std::abort();
    }
    if (const char* path = std::getenv("HEAPDIFF_FUZZ_MEMORY_LOG")) memory_log = std::fopen(path, "a");
    if (const char* bytes = std::getenv("HEAPDIFF_FUZZ_BIG_ALLOCATIONS")) big_allocation = std::strtoull(bytes, nullptr, 10);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    LoadOptions targets_only;
    targets_only.edge_labels = false;
    for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}, targets_only}) {
        HeapStep reading;
        std::optional<Snapshot> loaded;
        try {
            loaded.emplace(read_snapshot_bytes(data, size, options, "fuzz"));
        } catch (const heapdiff::Error&) {
            // The one expected way to refuse an input. What reading took until then is
            // held to the bound of the most that a file of this size may claim.
            const HeapClaims most = most_claims(size);
            check_heap(reading.peak(), read_heap_bound(most), "a refused read", most);
            continue;
        }
        const std::uint64_t read_heap = reading.peak();
        const Snapshot& s = *loaded;
        check_consistent(s);
        const HeapClaims claims = claims_of(data, size, s);
        check_within_limits(claims);
        check_heap(read_heap, read_heap_bound(claims), "reading", claims);
        HeapStep analysing;
        try {
            use(s);
        } catch (const heapdiff::Error&) {
            // An analysis may refuse a snapshot too (one clear error), never fault.
        }
        check_heap(analysing.peak(), analysis_heap_bound(claims), "the analyses", claims);
    }
    return 0;
}
