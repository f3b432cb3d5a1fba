#include "heapdiff/writer.h"

#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "checksum.h"
#include "output_file.h"

namespace heapdiff {

struct SnapshotWriter::ZstdContext {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();  // null when out of memory: checked by the writer
    ~ZstdContext() { ZSTD_freeCCtx(cctx); }
};

namespace {

std::string errno_text() { return std::strerror(errno); }

// The most bytes one edge adds to an EDGE section (a 10-byte target delta, a kind byte,
// a 10-byte arg), and the most its count takes: edge_flush_bytes is capped so that a
// section flushed just past it still fits in kMaxSectionRaw.
constexpr std::size_t kMaxEdgeBytes = 10 + 1 + 10;
constexpr std::size_t kMaxEdgeFlushBytes = format::kMaxSectionRaw - kMaxEdgeBytes - 10;

}  // namespace

SnapshotWriter::SnapshotWriter(std::string final_path, WriterOptions options)
    : final_path_(std::move(final_path)), options_(options) {
    if (options_.objects_per_chunk == 0) options_.objects_per_chunk = 1;
    options_.edge_flush_bytes = std::min(options_.edge_flush_bytes, kMaxEdgeFlushBytes);
    output_ = std::make_unique<output_file::Replacement>(final_path_, output_file::Replacement::Stale::Remove,
                                                       output_file::Replacement::Readers::OwnerOnly);
    file_ = output_->file();
    // The destructor does not run for a constructor that throws, but output_'s does: the
    // temporary file is removed.
    {
        zstd_ = std::make_unique<ZstdContext>();
        if (!zstd_->cctx) throw Error("cannot write " + final_path_ + ": cannot create a zstd context");
        for (auto [parameter, value] : {std::pair{ZSTD_c_compressionLevel, options_.zstd_level},
                                        std::pair{ZSTD_c_checksumFlag, 1}, std::pair{ZSTD_c_contentSizeFlag, 1}}) {
            std::size_t rc = ZSTD_CCtx_setParameter(zstd_->cctx, parameter, value);
            if (ZSTD_isError(rc))
                throw Error("cannot write " + final_path_ + ": zstd: " + ZSTD_getErrorName(rc));
        }

        ByteWriter header;
        header.raw(format::kMagic, sizeof format::kMagic);
        header.fixed16(format::kMajor);
        header.fixed16(format::kMinor);
        header.fixed32(format::kHeaderSize);
        write_bytes(header.buffer().data(), header.size());
    }
    if (options_.compress_on_thread) {
        // Every signal blocked in the thread (it inherits the mask it is created with): the
        // process's handlers (Python's, the probe's triggers) run on the threads they ran
        // on before, never on the writer's.
        sigset_t all, previous;
        sigfillset(&all);
        const bool masked = pthread_sigmask(SIG_BLOCK, &all, &previous) == 0;
        try {
            compressor_ = std::thread([this] { compressor_loop(); });
        } catch (const std::system_error&) {
            // No thread (a limit, a forked child that may not start one): compress in place.
        }
        if (masked) pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
}

// output_ removes an unfinished temporary file, after the thread has stopped writing to it.
SnapshotWriter::~SnapshotWriter() { stop_compressor(); }

void SnapshotWriter::stop_compressor() noexcept {
    if (!compressor_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    compressor_.join();
}

// The thread: takes the oldest job, compresses and writes it outside the lock. After a
// failure it drops the rest (the dump fails at the caller's next section or at finish()).
void SnapshotWriter::compressor_loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, and nothing left
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        busy_ = true;
        const bool failed = failure_ != nullptr || stopping_;
        lock.unlock();
        std::exception_ptr error;
        if (!failed) {
            try {
                compress_and_write(job.tag, job.raw);
            } catch (...) {
                error = std::current_exception();
            }
        }
        job.raw.clear();
        lock.lock();
        if (error && !failure_) failure_ = error;
        spare_.push_back(std::move(job.raw));
        busy_ = false;
        changed_.notify_all();
    }
}

void SnapshotWriter::drain_compressor() {
    if (!compressor_.joinable()) return;
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return jobs_.empty() && !busy_; });
    if (failure_) std::rethrow_exception(failure_);
}

const std::string& SnapshotWriter::temp_path() const { return output_->temp_path(); }

void SnapshotWriter::write_bytes(const void* data, std::size_t n) {
    if (n && std::fwrite(data, 1, n, file_) != n)
        throw Error("cannot write " + final_path_ + ": " + errno_text());
    file_bytes_ += n;
}

void SnapshotWriter::write_section(std::uint32_t tag, ByteWriter& raw) {
    if (raw.size() > format::kMaxSectionRaw) throw Error("internal error: section larger than the format allows");
    ++sections_;
    if (!compressor_.joinable()) {
        compress_and_write(tag, raw.buffer());
        raw.clear();
        return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return jobs_.size() < kSectionsInFlight || failure_; });
    if (failure_) std::rethrow_exception(failure_);
    jobs_.push_back(Job{tag, std::move(raw.buffer())});
    // The caller refills a buffer the thread is done with: no fresh allocation per section.
    raw.buffer().clear();
    if (!spare_.empty()) {
        raw.buffer().swap(spare_.back());
        spare_.pop_back();
    }
    lock.unlock();
    changed_.notify_all();
}

void SnapshotWriter::compress_and_write(std::uint32_t tag, const std::vector<std::uint8_t>& in) {
    compressed_.resize(ZSTD_compressBound(in.size()));
    std::size_t n = ZSTD_compress2(zstd_->cctx, compressed_.data(), compressed_.size(), in.data(), in.size());
    if (ZSTD_isError(n)) throw Error(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));

    ByteWriter header;
    header.fixed32(tag);
    header.fixed32(format::section_flags(tag));
    header.fixed64(n);
    header.fixed64(in.size());
    header.fixed32(detail::fnv1a32(header.buffer().data(), header.size()));
    write_bytes(header.buffer().data(), header.size());
    write_bytes(compressed_.data(), n);
}

StringId SnapshotWriter::intern(std::string_view text) {
    if (text.empty()) return StringId();
    auto it = interned_.find(std::string(text));
    if (it != interned_.end()) return it->second;
    StringId id(next_string_++);
    interned_.emplace(std::string(text), id);
    strings_.rows.bytes(text);
    ++strings_.count;
    maybe_flush_table(format::kStrings, strings_);
    return id;
}

TypeId SnapshotWriter::add_type(StringId name, std::uint64_t address, std::uint32_t flags, StringId module) {
    types_.rows.varint(name.value);
    types_.rows.varint(address);
    types_.rows.varint(flags);
    types_.rows.varint(module.value);
    ++types_.count;
    maybe_flush_table(format::kTypes, types_);
    return TypeId(next_type_++);
}

TracebackId SnapshotWriter::add_traceback(const Frame* frames, std::size_t count, std::uint32_t total_frames) {
    auto& rows = tracebacks_.rows;
    rows.varint(total_frames);
    rows.varint(count);
    for (std::size_t i = 0; i < count; ++i) {
        rows.varint(frames[i].filename.value);
        rows.varint(frames[i].lineno);
    }
    ++tracebacks_.count;
    maybe_flush_table(format::kTracebacks, tracebacks_);
    return TracebackId(next_traceback_++);
}

// A chunk is flushed at objects_per_chunk objects, and also once its OBJS section reaches
// kChunkFlushBytes: many large objects (long display values) in one chunk must not push
// the section past kMaxSectionRaw and fail the dump. Edges need no such check here:
// add_edge writes them out as they accumulate.
void SnapshotWriter::add_object(std::uint64_t address, TypeId type, std::uint64_t size, std::uint64_t refcount,
                                std::uint8_t flags, TracebackId traceback, std::string_view value) {
    const std::size_t object_bytes = chunk_.address.size() + chunk_.type.size() + chunk_.size.size() +
                                     chunk_.refcount.size() + chunk_.flags.size() + chunk_.traceback.size() +
                                     10 * chunk_.edge_counts.size() + chunk_.value_len.size() +
                                     chunk_.value_bytes.size();
    if (chunk_.objects == options_.objects_per_chunk || object_bytes >= kChunkFlushBytes) flush_chunk();
    chunk_.address.delta(address, chunk_.previous_address);
    chunk_.type.varint(type.value);
    chunk_.size.varint(size);
    chunk_.refcount.varint(refcount);
    chunk_.flags.u8(flags);
    chunk_.traceback.varint(traceback.value);
    chunk_.value_len.varint(value.size());
    chunk_.value_bytes.raw(value.data(), value.size());
    chunk_.edge_counts.push_back(0);
    ++chunk_.objects;
    ++total_objects_;
}

void SnapshotWriter::add_edge(std::uint64_t target, EdgeKind kind, std::uint64_t arg) {
    if (chunk_.edge_counts.empty()) throw Error("internal error: edge before any object");
    edges_.target.delta(target, edges_.previous_target);
    edges_.kind.u8(static_cast<std::uint8_t>(kind));
    edges_.arg.varint(arg);
    ++edges_.count;
    ++chunk_.edge_counts.back();
    ++total_edges_;
    if (edges_.bytes() >= options_.edge_flush_bytes) flush_edges();
}

// EDGE payload: edge count, then targets (each a delta against the previous target of
// the section), kinds, args. See docs/FORMAT.md.
void SnapshotWriter::flush_edges() {
    if (edges_.count == 0) return;
    ByteWriter& payload = section_;  // a buffer the compressing thread gave back, if any
    payload.buffer().reserve(10 + edges_.bytes());
    payload.varint(edges_.count);
    for (const ColumnWriter* column : {&edges_.target, &edges_.kind, &edges_.arg}) payload.raw(column->data(), column->size());
    write_section(format::kEdges, payload);
    // Cleared, not freed: the next edges of a large object refill the same buffers.
    edges_.target.clear();
    edges_.kind.clear();
    edges_.arg.clear();
    edges_.count = 0;
    edges_.previous_target = 0;
}

// The chunk's remaining edges first, then its OBJS section: count, then the columns one
// after another. Its edge counts add up to the edges written since the previous OBJS.
void SnapshotWriter::flush_chunk() {
    if (chunk_.objects == 0) return;
    flush_edges();
    ByteWriter& objects = section_;
    std::size_t bytes = 10 + 10 * chunk_.edge_counts.size();
    for (const ColumnWriter* column : {&chunk_.address, &chunk_.type, &chunk_.size, &chunk_.refcount, &chunk_.flags,
                                       &chunk_.traceback, &chunk_.value_len, &chunk_.value_bytes})
        bytes += column->size();
    objects.buffer().reserve(bytes);
    objects.varint(chunk_.objects);
    for (const ColumnWriter* column : {&chunk_.address, &chunk_.type, &chunk_.size, &chunk_.refcount, &chunk_.flags,
                                       &chunk_.traceback})
        objects.raw(column->data(), column->size());
    for (std::uint64_t n : chunk_.edge_counts) objects.varint(n);
    for (const ColumnWriter* column : {&chunk_.value_len, &chunk_.value_bytes}) objects.raw(column->data(), column->size());
    write_section(format::kObjects, objects);

    // Cleared, not freed: the next chunk refills the same columns (no allocation per chunk
    // once they have grown to a chunk's size).
    for (ColumnWriter* column : {&chunk_.address, &chunk_.type, &chunk_.size, &chunk_.refcount, &chunk_.flags,
                                 &chunk_.traceback, &chunk_.value_len, &chunk_.value_bytes}) {
        column->clear();
        if (column->capacity() > kChunkFlushBytes / 8) column->release();  // a rare giant chunk
    }
    chunk_.edge_counts.clear();
    chunk_.edge_counts.reserve(options_.objects_per_chunk);
    chunk_.objects = 0;
    chunk_.previous_address = 0;
    // Free what a large object's edges grew the edge buffers to.
    for (ColumnWriter* column : {&edges_.target, &edges_.kind, &edges_.arg})
        if (column->capacity() > kChunkFlushBytes / 8) column->release();
}

void SnapshotWriter::flush_table(std::uint32_t tag, Table& table) {
    if (table.count == 0) return;
    ByteWriter payload;
    payload.varint(table.count);
    payload.append(table.rows);
    write_section(tag, payload);
    table.rows.clear();
    table.count = 0;
}

void SnapshotWriter::maybe_flush_table(std::uint32_t tag, Table& table) {
    if (table.rows.size() >= options_.table_flush_bytes) flush_table(tag, table);
}

void SnapshotWriter::add_trace_stat(const TraceStat& stat) {
    auto& rows = trace_stats_.rows;
    rows.varint(stat.traceback.value);
    rows.varint(stat.domain);
    rows.varint(stat.count);
    rows.varint(stat.size);
    ++trace_stats_.count;
    maybe_flush_table(format::kTraceStats, trace_stats_);
}

void SnapshotWriter::add_trace_block(const TraceBlock& block) {
    auto& rows = trace_blocks_.rows;
    rows.varint(block.address);
    rows.varint(block.size);
    rows.varint(block.traceback.value);
    rows.varint(block.domain);
    ++trace_blocks_.count;
    maybe_flush_table(format::kTraceBlocks, trace_blocks_);
}

void SnapshotWriter::add_mapping(const Mapping& m) {
    auto& rows = mappings_.rows;
    rows.varint(m.start);
    rows.varint(m.size);
    rows.u8(m.perms);
    rows.varint(m.path.value);
    rows.varint(m.rss);
    rows.varint(m.pss);
    rows.varint(m.private_dirty);
    rows.varint(m.swap);
    ++mappings_.count;
    maybe_flush_table(format::kMappings, mappings_);
}

void SnapshotWriter::add_pymalloc_arena(const PymallocArena& a) {
    auto& rows = pymalloc_arenas_.rows;
    rows.varint(a.address);
    rows.varint(a.size);
    rows.varint(a.pools);
    rows.varint(a.free_pools);
    rows.varint(a.used_bytes);
    rows.varint(a.used_blocks);
    rows.varint(a.resident);
    ++pymalloc_arenas_.count;
    maybe_flush_table(format::kPymallocArenas, pymalloc_arenas_);
}

void SnapshotWriter::add_pymalloc_class(const PymallocClass& c) {
    auto& rows = pymalloc_classes_.rows;
    rows.varint(c.block_size);
    rows.varint(c.pools);
    rows.varint(c.blocks_in_use);
    rows.varint(c.blocks_free);
    ++pymalloc_classes_.count;
    maybe_flush_table(format::kPymallocClasses, pymalloc_classes_);
}

void SnapshotWriter::add_malloc_arena(const MallocArena& a) {
    auto& rows = malloc_arenas_.rows;
    rows.varint(a.number);
    rows.varint(a.free_bytes);
    rows.varint(a.free_chunks);
    rows.varint(a.system_current);
    rows.varint(a.system_max);
    rows.varint(a.mmapped);
    ++malloc_arenas_.count;
    maybe_flush_table(format::kMallocArenas, malloc_arenas_);
}

void SnapshotWriter::add_module_root(std::uint64_t address, StringId name) {
    module_roots_.varint(address);
    module_roots_.varint(name.value);
    ++module_root_count_;
}

void SnapshotWriter::add_thread_root(std::uint64_t thread_id, const std::uint64_t* frames, std::size_t count) {
    thread_roots_.varint(thread_id);
    thread_roots_.varint(count);
    std::uint64_t previous = 0;
    for (std::size_t i = 0; i < count; ++i) thread_roots_.delta(frames[i], previous);
    ++thread_root_count_;
}

void SnapshotWriter::add_fact(std::string_view key, std::int64_t value) {
    facts_.rows.bytes(key);
    facts_.rows.u8(static_cast<std::uint8_t>(format::FactKind::Int));
    facts_.rows.svarint(value);
    ++facts_.count;
}

void SnapshotWriter::add_fact(std::string_view key, double value) {
    facts_.rows.bytes(key);
    facts_.rows.u8(static_cast<std::uint8_t>(format::FactKind::Float));
    facts_.rows.f64(value);
    ++facts_.count;
}

void SnapshotWriter::add_fact(std::string_view key, std::string_view value) {
    facts_.rows.bytes(key);
    facts_.rows.u8(static_cast<std::uint8_t>(format::FactKind::String));
    facts_.rows.bytes(value);
    ++facts_.count;
}

void SnapshotWriter::finish() {
    if (finished_) return;
    flush_chunk();
    flush_table(format::kStrings, strings_);
    flush_table(format::kTypes, types_);
    flush_table(format::kTracebacks, tracebacks_);
    flush_table(format::kTraceStats, trace_stats_);
    flush_table(format::kTraceBlocks, trace_blocks_);
    flush_table(format::kFacts, facts_);
    flush_table(format::kMappings, mappings_);
    flush_table(format::kPymallocArenas, pymalloc_arenas_);
    flush_table(format::kPymallocClasses, pymalloc_classes_);
    flush_table(format::kMallocArenas, malloc_arenas_);
    ByteWriter roots;
    roots.varint(module_root_count_);
    roots.append(module_roots_);
    roots.varint(thread_root_count_);
    roots.append(thread_roots_);
    write_section(format::kRoots, roots);

    ByteWriter end;
    end.varint(total_objects_);
    end.varint(total_edges_);
    end.varint(sections_);
    write_section(format::kEnd, end);
    drain_compressor();
    stop_compressor();

    file_ = nullptr;
    output_->commit(true);  // fsynced: the final name holds the whole snapshot after a crash too
    finished_ = true;
}

void write_snapshot(const Snapshot& s, const std::string& path, WriterOptions options) {
    SnapshotWriter w(path, options);
    // Re-intern strings in order so that ids are preserved for hand-made snapshots
    // whose strings are all distinct.
    std::vector<StringId> remap(s.strings.size() + 1);
    for (std::size_t i = 1; i <= s.strings.size(); ++i)
        remap[i] = w.intern(s.strings.get(StringId(static_cast<std::uint32_t>(i))));
    auto map = [&](StringId id) { return id.value < remap.size() ? remap[id.value] : StringId(); };
    for (const TypeInfo& t : s.types) w.add_type(map(t.name), t.address, t.flags, map(t.module));
    for (std::size_t t = 0; t < s.traceback_count(); ++t) {
        std::vector<Frame> frames(s.traceback_frames.begin() + static_cast<std::ptrdiff_t>(s.traceback_begin[t]),
                                  s.traceback_frames.begin() + static_cast<std::ptrdiff_t>(s.traceback_begin[t + 1]));
        for (Frame& f : frames) f.filename = map(f.filename);
        w.add_traceback(frames.data(), frames.size(), s.traceback_total_frames[t]);
    }
    for (std::size_t i = 0; i < s.object_count(); ++i) {
        w.add_object(s.address[i], s.type[i], s.size[i], s.refcount.empty() ? 0 : s.refcount[i], s.flags.empty() ? 0 : s.flags[i], s.traceback[i],
                     s.value(static_cast<ObjectIndex>(i)));
        if (!s.has_edges()) continue;
        for (std::uint64_t e = s.edge_begin[i]; e < s.edge_begin[i + 1]; ++e) {
            std::uint64_t arg = s.edge_arg[e];
            EdgeKind kind = s.edge_kind[e];
            if (kind == EdgeKind::Attribute || kind == EdgeKind::FrameLocal || kind == EdgeKind::Field)
                arg = map(StringId(static_cast<std::uint32_t>(arg))).value;
            w.add_edge(s.edge_target[e], kind, arg);
        }
    }
    for (const TraceStat& t : s.trace_stats) w.add_trace_stat(t);
    for (const TraceBlock& b : s.trace_blocks) w.add_trace_block(b);
    for (Mapping m : s.mappings) {
        m.path = map(m.path);
        w.add_mapping(m);
    }
    for (const PymallocArena& a : s.pymalloc_arenas) w.add_pymalloc_arena(a);
    for (const PymallocClass& c : s.pymalloc_classes) w.add_pymalloc_class(c);
    for (const MallocArena& a : s.malloc_arenas) w.add_malloc_arena(a);
    for (const ModuleRoot& m : s.module_roots) w.add_module_root(m.address, map(m.name));
    for (const ThreadRoot& t : s.thread_roots) w.add_thread_root(t.thread_id, t.frames.data(), t.frames.size());
    for (const Fact& f : s.facts) {
        switch (f.kind) {
            case format::FactKind::Int: w.add_fact(f.key, f.int_value); break;
            case format::FactKind::Float: w.add_fact(f.key, f.float_value); break;
            case format::FactKind::String: w.add_fact(f.key, std::string_view(f.string_value)); break;
        }
    }
    w.finish();
}

}  // namespace heapdiff
