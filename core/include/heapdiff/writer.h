// Streaming snapshot writer: the probe calls it while walking the heap and the tests
// call it through write_snapshot(). Objects are buffered one chunk at a time and each
// chunk is compressed and written as it fills; edges are written in EDGE sections as
// they accumulate, ahead of their chunk. Memory stays bounded by the flush thresholds.
// The file is written under a temporary name and renamed by finish(); a writer
// destroyed without finish() removes its temporary file, so no half-written snapshot
// ever appears under the final name. What the path may be (never a symlink, which is
// refused), and how the temporary files of writers that died are handled:
// core/src/output_file.h.
#pragma once

#include <cstdint>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "heapdiff/bytes.h"
#include "heapdiff/column_writer.h"
#include "heapdiff/format.h"
#include "heapdiff/snapshot.h"

namespace heapdiff {
namespace output_file {
class Replacement;
}

// A chunk's OBJS section is written once it reaches this size, and its pending edges are
// written as an EDGE section whenever they do: every section stays far below
// format::kMaxSectionRaw, however large one object is or how many edges it has.
constexpr std::size_t kChunkFlushBytes = format::kMaxSectionRaw / 4;

struct WriterOptions {
    int zstd_level = 1;                      // speed over ratio: the probe runs in production
    std::uint32_t objects_per_chunk = 1u << 16;
    std::size_t table_flush_bytes = 4u << 20;  // flush strings/tracebacks/... past this
    // Write the pending edges as an EDGE section once they take this many bytes, even in
    // the middle of one object's edges (tests make it tiny to split objects' edges).
    // Capped so that no EDGE section can exceed the format's limit.
    std::size_t edge_flush_bytes = kChunkFlushBytes;
    // Compress and write sections on a thread of the writer's own, while the caller goes on
    // filling the next one (the probe's walk: zstd was a fifth of its time). Sections stay in
    // order; at most kSectionsInFlight wait. Off: compressed where they are flushed. If the
    // thread cannot be started the writer compresses in place.
    bool compress_on_thread = true;
};

class SnapshotWriter {
public:
    explicit SnapshotWriter(std::string final_path, WriterOptions options = {});
    ~SnapshotWriter();
    SnapshotWriter(const SnapshotWriter&) = delete;
    SnapshotWriter& operator=(const SnapshotWriter&) = delete;

    // Interned: the same text gives the same id. "" is StringId 0.
    StringId intern(std::string_view text);
    TypeId add_type(StringId name, std::uint64_t address, std::uint32_t flags, StringId module = StringId());
    // Frames most recent first; total_frames is tracemalloc's count before truncation.
    TracebackId add_traceback(const Frame* frames, std::size_t count, std::uint32_t total_frames);

    void add_object(std::uint64_t address, TypeId type, std::uint64_t size, std::uint64_t refcount,
                    std::uint8_t flags, TracebackId traceback, std::string_view value);
    // An edge of the object added last. Any number of them: they are written out in EDGE
    // sections as they accumulate, ahead of their objects' OBJS section.
    void add_edge(std::uint64_t target, EdgeKind kind, std::uint64_t arg = 0);

    void add_trace_stat(const TraceStat& stat);
    void add_trace_block(const TraceBlock& block);
    void add_module_root(std::uint64_t address, StringId name);
    void add_thread_root(std::uint64_t thread_id, const std::uint64_t* frames, std::size_t count);
    // The memory map (1.2): rows of the optional MAPS, PYAR, PYSC and MALA sections.
    void add_mapping(const Mapping& mapping);
    void add_pymalloc_arena(const PymallocArena& arena);
    void add_pymalloc_class(const PymallocClass& size_class);
    void add_malloc_arena(const MallocArena& arena);
    void add_fact(std::string_view key, std::int64_t value);
    void add_fact(std::string_view key, double value);
    void add_fact(std::string_view key, std::string_view value);

    // Flushes everything, writes the end section, fsyncs and renames into place.
    void finish();

    std::uint64_t objects_written() const { return total_objects_; }
    std::uint64_t edges_written() const { return total_edges_; }
    std::uint64_t bytes_written() const { return file_bytes_; }
    const std::string& temp_path() const;

private:
    struct Table {
        ByteWriter rows;
        std::uint64_t count = 0;
    };
    void flush_edges();
    void flush_chunk();
    void flush_table(std::uint32_t tag, Table& table);
    void maybe_flush_table(std::uint32_t tag, Table& table);
    // Hands the section to the compressing thread (or compresses it here); `raw` is left empty.
    void write_section(std::uint32_t tag, ByteWriter& raw);
    void compress_and_write(std::uint32_t tag, const std::vector<std::uint8_t>& raw);
    void write_bytes(const void* data, std::size_t n);
    void compressor_loop();
    void drain_compressor();  // waits for every handed section; rethrows its error
    void stop_compressor() noexcept;

    std::string final_path_;  // as the caller gave it: what messages name
    WriterOptions options_;
    std::unique_ptr<output_file::Replacement> output_;  // the temporary file and where it goes
    std::FILE* file_ = nullptr;                          // output_'s, until finish()
    struct ZstdContext;
    std::unique_ptr<ZstdContext> zstd_;
    ByteWriter section_;  // the OBJS or EDGE section being assembled
    std::vector<std::uint8_t> compressed_;  // the compressing thread's (or the caller's) output
    bool finished_ = false;

    // Sections handed to the compressing thread, in file order. Everything below the mutex is
    // shared with it; file_bytes_ is the thread's until drain_compressor() returns.
    static constexpr std::size_t kSectionsInFlight = 2;
    struct Job {
        std::uint32_t tag;
        std::vector<std::uint8_t> raw;
    };
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Job> jobs_;
    std::vector<std::vector<std::uint8_t>> spare_;  // compressed sections' buffers, reused
    bool busy_ = false, stopping_ = false;
    std::exception_ptr failure_;
    std::thread compressor_;

    std::unordered_map<std::string, StringId> interned_;
    std::uint32_t next_string_ = 1, next_type_ = 1, next_traceback_ = 1;
    Table strings_, types_, tracebacks_, trace_stats_, trace_blocks_, facts_;
    Table mappings_, pymalloc_arenas_, pymalloc_classes_, malloc_arenas_;
    ByteWriter module_roots_, thread_roots_;
    std::uint64_t module_root_count_ = 0, thread_root_count_ = 0;

    // The current object chunk, one ByteWriter per column.
    struct Chunk {
        std::uint32_t objects = 0;
        std::uint64_t previous_address = 0;
        ColumnWriter address, type, size, refcount, flags, traceback, value_len, value_bytes;
        std::vector<std::uint64_t> edge_counts;  // encoded when the chunk is flushed
    } chunk_;
    // The edges not yet written: the next EDGE section. They belong to the current chunk's
    // objects, but a chunk's edges may be spread over several EDGE sections.
    struct PendingEdges {
        std::uint64_t count = 0;
        std::uint64_t previous_target = 0;
        ColumnWriter target, kind, arg;
        std::size_t bytes() const { return target.size() + kind.size() + arg.size(); }
    } edges_;

    std::uint64_t total_objects_ = 0, total_edges_ = 0, sections_ = 0, file_bytes_ = 0;
};

// Writes a whole in-memory snapshot (tests and tools build small ones by hand).
void write_snapshot(const Snapshot& snapshot, const std::string& path, WriterOptions options = {});

}  // namespace heapdiff
