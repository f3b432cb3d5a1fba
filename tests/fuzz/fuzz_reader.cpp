// libFuzzer target for the snapshot reader. Any input must either load or throw
// heapdiff::Error; a loaded snapshot must be internally consistent, because every
// command indexes its columns without further checks, and must claim no more than its
// size allows (read_limits: decompressed bytes, objects, edges, table rows). Anything
// else (a crash, a sanitizer report, another exception, an inconsistent snapshot, a
// file accepted beyond the limits) is a finding.
//
// Build and run (see tests/fuzz/CMakeLists.txt):
//   cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
//         -DHEAPDIFF_FUZZ=ON -DHEAPDIFF_SANITIZE=ON -DHEAPDIFF_BUILD_PROBE=OFF
//   cmake --build build-fuzz --target fuzz_reader fuzz_seed_corpus
//   build-fuzz/tests/fuzz/fuzz_reader -max_total_time=180 build-fuzz/tests/fuzz/corpus \
//         build-fuzz/tests/fuzz/seeds
#include <cstdint>
#include <cstdio>
#include <cstdlib>

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
#include "raw_file.h"

namespace {

using namespace heapdiff;

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

// What read_limits promises of every file it accepts, counted here independently of
// the reader: the sections' raw sizes from their headers, the rows from what was loaded.
void check_within_limits(const std::uint8_t* data, std::size_t size, const Snapshot& s) {
    const ReadLimits limits = read_limits(size);
    std::uint64_t decompressed = 0;
    for (const test::SectionSpan& span : test::section_spans(test::Bytes(data, data + size)))
        decompressed += span.raw_size;
    check(decompressed <= limits.decompressed, "accepted more decompressed bytes than the file's size allows");
    check(s.object_count() <= limits.objects, "accepted more objects than the file's size allows");
    check(s.edge_target.size() <= limits.edges, "accepted more edges than the file's size allows");
    std::uint64_t rows = s.strings.size() + s.types.size() + s.traceback_count() + s.traceback_frames.size() +
                         s.trace_stats.size() + s.module_roots.size() + s.thread_roots.size() + s.facts.size();
    for (const ThreadRoot& t : s.thread_roots) rows += t.frames.size();
    check(rows <= limits.table_rows, "accepted more table rows than the file's size allows");
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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    LoadOptions targets_only;
    targets_only.edge_labels = false;
    for (LoadOptions options : {LoadOptions{}, LoadOptions{false, false}, targets_only}) {
        try {
            Snapshot s = read_snapshot_bytes(data, size, options, "fuzz");
            check_consistent(s);
            check_within_limits(data, size, s);
            use(s);
        } catch (const heapdiff::Error&) {
            // The one expected way to refuse an input.
        }
    }
    return 0;
}
