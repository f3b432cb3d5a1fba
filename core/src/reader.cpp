#include "heapdiff/reader.h"

#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "checksum.h"
#include "claim_budget.h"
#include "frame_peek.h"
#include "heapdiff/bytes.h"
#include "heapdiff/regular_file.h"

namespace heapdiff {
namespace {

// Where section bytes come from: a file read piece by piece (so skipped sections are
// never read) or a buffer in memory. Both know how many bytes are left, which is what
// turns a lying length into "truncated" instead of a huge allocation.
class Source {
public:
    virtual ~Source() = default;
    virtual std::uint64_t remaining() const = 0;
    virtual void read(void* out, std::size_t n) = 0;  // n <= remaining()
    virtual void skip(std::uint64_t n) = 0;           // n <= remaining()
};

class FileSource : public Source {
public:
    FileSource(std::FILE* f, std::uint64_t size, std::string path) : f_(f), left_(size), path_(std::move(path)) {}
    std::uint64_t remaining() const override { return left_; }
    void read(void* out, std::size_t n) override {
        if (std::fread(out, 1, n, f_) != n) {
            // The size came from fstat: a short read means the file shrank under us.
            if (std::feof(f_)) throw snapshot_error(path_ + ": truncated: the file got shorter while it was read");
            throw snapshot_error(path_ + ": read error: " + std::strerror(errno));
        }
        left_ -= n;
    }
    void skip(std::uint64_t n) override {
        if (fseeko(f_, static_cast<off_t>(n), SEEK_CUR) != 0) throw snapshot_error(path_ + ": read error: " + std::strerror(errno));
        left_ -= n;
    }

private:
    std::FILE* f_;
    std::uint64_t left_;
    std::string path_;
};

class MemorySource : public Source {
public:
    MemorySource(const std::uint8_t* p, std::size_t n) : p_(p), left_(n) {}
    std::uint64_t remaining() const override { return left_; }
    void read(void* out, std::size_t n) override {
        if (n) std::memcpy(out, p_, n);  // out may be null when n is 0
        p_ += n;
        left_ -= n;
    }
    void skip(std::uint64_t n) override {
        p_ += n;
        left_ -= n;
    }

private:
    const std::uint8_t* p_;
    std::uint64_t left_;
};

std::string tag_name(std::uint32_t tag) {
    std::string s;
    for (int i = 0; i < 4; ++i) {
        char c = static_cast<char>(tag >> (8 * i));
        s += (c >= 32 && c < 127) ? c : '?';
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();  // "END " reads as "END" in messages
    return s;
}

class Decoder {
public:
    Decoder(Source& source, LoadOptions options, std::string name)
        : src_(source),
          options_(options),
          name_(std::move(name)),
          budget_(source.remaining(), name_),
          dctx_(ZSTD_createDCtx(), ZSTD_freeDCtx) {}

    Snapshot run() {
        // Loaded with edges (or values) means the columns exist, even for a heap of no
        // objects: analyses test has_edges(), and an empty heap is still a heap.
        if (options_.edges) snap_.edge_begin.push_back(0);
        if (options_.values) snap_.value_offset.push_back(0);
        read_header();
        bool ended = false;
        while (src_.remaining() > 0) {
            if (ended) fail("corrupted: data after the end section");
            ended = read_section();
        }
        if (!ended) fail("truncated: the end section is missing (was the dump interrupted?)");
        validate();
        return std::move(snap_);
    }

private:
    [[noreturn]] void fail(const std::string& why) const { throw snapshot_error(name_ + ": " + why); }

    void read_header() {
        std::uint8_t raw[format::kHeaderSize];
        if (src_.remaining() == 0) fail("not a heapdiff snapshot (the file is empty)");
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(src_.remaining(), sizeof raw));
        src_.read(raw, n);
        // Compare what there is of the magic: a file cut inside it is truncated, not foreign.
        if (std::memcmp(raw, format::kMagic, std::min(n, sizeof format::kMagic)) != 0) fail("not a heapdiff snapshot");
        if (n < sizeof raw) fail("truncated: the header is incomplete");
        ByteReader r(raw + sizeof format::kMagic, sizeof raw - sizeof format::kMagic, "header");
        snap_.format_major = r.fixed16();
        snap_.format_minor = r.fixed16();
        std::uint32_t header_size = r.fixed32();
        if (snap_.format_major > format::kMajor)
            fail("written by a newer version of heapdiff (format " + std::to_string(snap_.format_major) + "." +
                 std::to_string(snap_.format_minor) + "; this heapdiff reads format " +
                 std::to_string(format::kMajor) + "); upgrade heapdiff to read it");
        if (snap_.format_major == 0) fail("corrupted: format version 0");
        if (header_size < format::kHeaderSize) fail("corrupted: bad header size");
        if (header_size - format::kHeaderSize > src_.remaining()) fail("truncated: the header is incomplete");
        src_.skip(header_size - format::kHeaderSize);  // a newer minor may have a longer header
    }

    // Returns true for the end section.
    bool read_section() {
        std::uint8_t raw[format::kSectionHeaderSize];
        if (src_.remaining() < sizeof raw) fail("truncated: a section header is cut off");
        src_.read(raw, sizeof raw);
        ByteReader r(raw, sizeof raw, "section header");
        std::uint32_t tag = r.fixed32();
        std::uint32_t flags = r.fixed32();
        std::uint64_t stored = r.fixed64();
        std::uint64_t raw_size = r.fixed64();
        std::uint32_t check = r.fixed32();
        if (check != detail::fnv1a32(raw, sizeof raw - 4))
            fail("corrupted: section header checksum mismatch at section " + std::to_string(sections_ + 1));
        if (stored > src_.remaining())
            fail("truncated: section " + tag_name(tag) + " needs " + std::to_string(stored) + " bytes, " +
                 std::to_string(src_.remaining()) + " left");
        if (raw_size > format::kMaxSectionRaw) fail("corrupted: section " + tag_name(tag) + " claims too much data");
        // Every section counts, skipped ones too: this is what the file claims, checked
        // before a byte of it is decompressed.
        budget_.add(detail::Claim::Data, raw_size, where(tag));

        bool known = tag == format::kStrings || tag == format::kTypes || tag == format::kObjects ||
                     tag == format::kEdges || tag == format::kTracebacks || tag == format::kTraceStats ||
                     tag == format::kTraceBlocks || tag == format::kMappings || tag == format::kPymallocArenas ||
                     tag == format::kPymallocClasses || tag == format::kMallocArenas ||
                     tag == format::kRoots || tag == format::kFacts || tag == format::kEnd;
        if (!known) {
            if (flags & format::kSectionRequired)
                fail("written by a newer version of heapdiff (it needs section '" + tag_name(tag) +
                     "', unknown to this version); upgrade heapdiff to read it");
            src_.skip(stored);
            ++sections_;
            return false;
        }
        if (tag == format::kEdges && !options_.edges) {
            // Not decoded, but still decompressed: its checksum is how a damaged edge
            // section is noticed even by commands that do not need edges. Its count is
            // read and counted as when edges are loaded, so that both ways of loading
            // accept the same files.
            const std::vector<std::uint8_t>& payload = decompress(tag, stored, raw_size);
            ByteReader p(payload.data(), payload.size(), section_what(tag));
            add_pending_edges(p, claimed_count(p, 3, detail::Claim::Edges));
            ++sections_;
            return false;
        }
        const std::vector<std::uint8_t>& payload = decompress(tag, stored, raw_size);
        ByteReader p(payload.data(), payload.size(), section_what(tag));
        if (tag == format::kEnd) {
            read_end(p);
            if (!p.at_end()) p.fail("unexpected bytes after the section's data");
            return true;
        }
        ++sections_;
        switch (tag) {
            case format::kStrings: read_strings(p); break;
            case format::kTypes: read_types(p); break;
            case format::kObjects: read_objects(p); break;
            case format::kEdges: read_edges(p); break;
            case format::kTracebacks: read_tracebacks(p); break;
            case format::kTraceStats: read_trace_stats(p); break;
            case format::kTraceBlocks: read_trace_blocks(p); break;
            case format::kMappings: read_mappings(p); break;
            case format::kPymallocArenas: read_pymalloc_arenas(p); break;
            case format::kPymallocClasses: read_pymalloc_classes(p); break;
            case format::kMallocArenas: read_malloc_arenas(p); break;
            case format::kRoots: read_roots(p); break;
            case format::kFacts: read_facts(p); break;
        }
        if (!p.at_end()) p.fail("unexpected bytes after the section's data");
        return false;
    }

    const char* section_what(std::uint32_t tag) {
        what_ = name_ + ": section " + tag_name(tag);
        return what_.c_str();
    }

    // "section 3 (OBJS)", for the messages of the claim budget.
    std::string where(std::uint32_t tag) const {
        return "section " + std::to_string(sections_ + 1) + " (" + tag_name(tag) + ")";
    }

    // What each known section's leading count counts, and the least bytes a row takes.
    static std::pair<detail::Claim, std::size_t> leading_rows(std::uint32_t tag) {
        switch (tag) {
            case format::kObjects: return {detail::Claim::Objects, 8};
            case format::kEdges: return {detail::Claim::Edges, 3};
            case format::kStrings: return {detail::Claim::TableRows, 1};
            case format::kTypes: return {detail::Claim::TableRows, 4};
            case format::kTracebacks: return {detail::Claim::TableRows, 2};
            case format::kTraceStats: return {detail::Claim::TableRows, 4};
            case format::kTraceBlocks: return {detail::Claim::TableRows, 4};
            case format::kMappings: return {detail::Claim::TableRows, 8};
            case format::kPymallocArenas: return {detail::Claim::TableRows, 7};
            case format::kPymallocClasses: return {detail::Claim::TableRows, 4};
            case format::kMallocArenas: return {detail::Claim::TableRows, 6};
            case format::kRoots: return {detail::Claim::TableRows, 2};
            case format::kFacts: return {detail::Claim::TableRows, 3};
        }
        return {detail::Claim::Data, 0};  // END: three counts, no rows
    }

    // A count read from a payload, held to the bytes left (ByteReader::count) and then
    // to the claim budget, before anything is sized by it.
    std::uint64_t claimed_count(ByteReader& p, std::size_t min_row, detail::Claim claim) {
        std::uint64_t n = p.count(min_row);
        budget_.add(claim, n, where_);
        return n;
    }

    const std::vector<std::uint8_t>& decompress(std::uint32_t tag, std::uint64_t stored, std::uint64_t raw_size) {
        compressed_.resize(static_cast<std::size_t>(stored));
        src_.read(compressed_.data(), compressed_.size());
        where_ = where(tag);
        // The frame's own content size first: it bounds the buffer that streaming makes for
        // the peek below (zstd sizes it by the smaller of the window and the content), so a
        // frame header that claims a huge window or content cannot make the peek allocate
        // more than the section's raw_size, which the budget has allowed.
        const unsigned long long content = ZSTD_getFrameContentSize(compressed_.data(), compressed_.size());
        if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN || content != raw_size)
            fail("corrupted: section " + tag_name(tag) + " is not a valid compressed block");
        std::size_t frame = ZSTD_findFrameCompressedSize(compressed_.data(), compressed_.size());
        if (ZSTD_isError(frame) || frame != compressed_.size())
            fail("corrupted: section " + tag_name(tag) + " has a damaged compressed block");
        // The section's row count, before room is made for its payload: a bomb of rows
        // compressed thousands-fold is refused at its first bytes. A count larger than
        // the payload could hold is left to the decoder, which says so.
        auto [claim, min_row] = leading_rows(tag);
        if (min_row)
            if (std::optional<std::uint64_t> rows = peek_.leading_varint(compressed_.data(), compressed_.size()))
                if (*rows <= raw_size / min_row) budget_.check(claim, *rows, where_);
        // A regular frame (not a skippable one) with its content checksum (bit 2 of the
        // frame header descriptor): without it a damaged payload could decode to wrong
        // data silently. The writer always sets it. Both bytes exist: the frame header
        // was parsed above.
        const std::uint32_t magic = static_cast<std::uint32_t>(compressed_[0]) | compressed_[1] << 8 |
                                    compressed_[2] << 16 | static_cast<std::uint32_t>(compressed_[3]) << 24;
        if (magic != ZSTD_MAGICNUMBER || !(compressed_[4] & 0x04))
            fail("corrupted: section " + tag_name(tag) + " has no content checksum");
        decompressed_.resize(static_cast<std::size_t>(raw_size));
        std::size_t n = ZSTD_decompressDCtx(dctx_.get(), decompressed_.data(), decompressed_.size(),
                                            compressed_.data(), compressed_.size());
        if (ZSTD_isError(n) || n != raw_size)
            fail("corrupted: section " + tag_name(tag) + " fails its checksum or decompression (" +
                 (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size mismatch") + ")");
        return decompressed_;
    }

    void read_strings(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 1, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) snap_.strings.add(p.bytes());
    }

    void read_types(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 4, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            TypeInfo t;
            t.name = StringId(checked32(p, p.varint()));
            t.address = p.varint();
            t.flags = checked32(p, p.varint());
            t.module = StringId(checked32(p, p.varint()));
            snap_.types.push_back(t);
        }
    }

    std::string edge_counts_differ() const {
        return "the objects' edge counts do not match the edges before them (" + std::to_string(pending_edges_) + ")";
    }

    void read_objects(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 8, detail::Claim::Objects);
        std::size_t base = snap_.address.size();
        if (base + n > 0xFFFFFFFEull) p.fail("more objects than this version can index");
        std::size_t total = base + static_cast<std::size_t>(n);
        snap_.address.resize(total);
        snap_.type.resize(total);
        snap_.size.resize(total);
        if (options_.refcounts) snap_.refcount.resize(total);
        if (options_.flags) snap_.flags.resize(total);
        snap_.traceback.resize(total);
        std::uint64_t previous = 0;
        for (std::size_t i = base; i < total; ++i) snap_.address[i] = p.delta(previous);
        for (std::size_t i = base; i < total; ++i) snap_.type[i] = TypeId(checked32(p, p.varint()));
        for (std::size_t i = base; i < total; ++i) snap_.size[i] = p.varint();
        if (options_.refcounts)
            for (std::size_t i = base; i < total; ++i) snap_.refcount[i] = p.varint();
        else
            for (std::size_t i = base; i < total; ++i) p.varint();
        const std::uint8_t* flags = p.raw(static_cast<std::size_t>(n));
        if (n && options_.flags)  // data() may be null
            std::memcpy(snap_.flags.data() + base, flags, static_cast<std::size_t>(n));
        for (std::size_t i = base; i < total; ++i) snap_.traceback[i] = TracebackId(checked32(p, p.varint()));

        // The chunk's edge counts share out, in object order, the edges of the EDGE
        // sections read since the previous OBJS section. The running sum is checked
        // against those edges at every step, so it cannot wrap around (a wrapped sum would
        // let edge_begin go backwards) nor point past the edges loaded.
        std::uint64_t chunk_edges = 0;
        auto add_edges = [&] {
            std::uint64_t n_edges = p.varint();
            if (n_edges > pending_edges_ - chunk_edges) p.fail(edge_counts_differ());
            chunk_edges += n_edges;
        };
        if (options_.edges) {
            if (snap_.edge_begin.empty()) snap_.edge_begin.push_back(0);
            for (std::size_t i = base; i < total; ++i) {
                add_edges();
                snap_.edge_begin.push_back(edges_consumed_ + chunk_edges);
            }
        } else {
            for (std::size_t i = base; i < total; ++i) add_edges();
        }
        if (chunk_edges != pending_edges_) p.fail(edge_counts_differ());
        edges_consumed_ += pending_edges_;
        pending_edges_ = 0;

        if (options_.values) {
            if (snap_.value_offset.empty()) snap_.value_offset.push_back(0);
            std::vector<std::uint64_t> lengths(static_cast<std::size_t>(n));
            std::uint64_t sum = 0;
            for (auto& len : lengths) {
                len = p.varint();
                if (len > p.remaining() || sum + len > p.remaining()) p.fail("display values run past the section");
                sum += len;
            }
            const std::uint8_t* bytes = p.raw(static_cast<std::size_t>(sum));
            snap_.value_blob.append(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(sum));
            for (auto len : lengths) snap_.value_offset.push_back(snap_.value_offset.back() + len);
        } else {
            std::uint64_t sum = 0;
            for (std::uint64_t i = 0; i < n; ++i) {
                std::uint64_t len = p.varint();
                if (len > p.remaining() || sum + len > p.remaining()) p.fail("display values run past the section");
                sum += len;
            }
            p.raw(static_cast<std::size_t>(sum));
        }
    }

    // Appends to the edge columns; the next OBJS section says whose edges they are.
    void read_edges(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 3, detail::Claim::Edges);
        add_pending_edges(p, n);
        std::size_t base = snap_.edge_target.size();
        std::size_t total = base + static_cast<std::size_t>(n);
        snap_.edge_target.resize(total);
        std::uint64_t previous = 0;  // targets are deltas within the section
        for (std::size_t e = base; e < total; ++e) snap_.edge_target[e] = p.delta(previous);
        if (!options_.edge_labels) {  // still read through, so a corrupted section is still caught
            for (std::size_t e = base; e < total; ++e) p.u8();
            for (std::size_t e = base; e < total; ++e) p.varint();
            return;
        }
        snap_.edge_kind.resize(total);
        snap_.edge_arg.resize(total);
        for (std::size_t e = base; e < total; ++e) {
            std::uint8_t k = p.u8();
            if (k > kMaxEdgeKind) k = 0;  // a newer kind: still an edge, just unlabelled
            snap_.edge_kind[e] = static_cast<EdgeKind>(k);
        }
        for (std::size_t e = base; e < total; ++e) snap_.edge_arg[e] = p.varint();
    }

    // Each EDGE section's count is backed by its bytes, and their total by the file's
    // size (the claim budget); the cap only keeps the sums below from ever wrapping around.
    void add_pending_edges(ByteReader& p, std::uint64_t n) {
        constexpr std::uint64_t kMaxEdges = 1ull << 62;
        if (n > kMaxEdges - edges_consumed_ - pending_edges_) p.fail("more edges than this version can index");
        pending_edges_ += n;
    }

    void read_tracebacks(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 2, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            snap_.traceback_total_frames.push_back(checked32(p, p.varint()));
            std::uint64_t frames = claimed_count(p, 2, detail::Claim::TableRows);
            for (std::uint64_t f = 0; f < frames; ++f) {
                Frame fr;
                fr.filename = StringId(checked32(p, p.varint()));
                fr.lineno = checked32(p, p.varint());
                snap_.traceback_frames.push_back(fr);
            }
            snap_.traceback_begin.push_back(snap_.traceback_frames.size());
        }
    }

    void read_trace_stats(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 4, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            TraceStat t;
            t.traceback = TracebackId(checked32(p, p.varint()));
            t.domain = checked32(p, p.varint());
            t.count = p.varint();
            t.size = p.varint();
            snap_.trace_stats.push_back(t);
        }
    }

    void read_trace_blocks(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 4, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            TraceBlock b;
            b.address = p.varint();
            b.size = p.varint();
            b.traceback = TracebackId(checked32(p, p.varint()));
            b.domain = checked32(p, p.varint());
            snap_.trace_blocks.push_back(b);
        }
    }

    // The memory map (1.2). Sizes are what the kernel and the allocators said; a row that
    // cannot be true of any address space (a mapping or an arena past 2^64, a figure
    // larger than its range) is corrupted, so the account never sums impossible numbers.
    void read_mappings(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 8, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            Mapping m;
            m.start = p.varint();
            m.size = p.varint();
            m.perms = p.u8();
            m.path = StringId(checked32(p, p.varint()));
            m.rss = p.varint();
            m.pss = p.varint();
            m.private_dirty = p.varint();
            m.swap = p.varint();
            if (m.start + m.size < m.start || m.rss > m.size || m.pss > m.size || m.private_dirty > m.size ||
                m.swap > m.size)
                p.fail("a mapping's figures exceed its range");
            snap_.mappings.push_back(m);
        }
    }

    void read_pymalloc_arenas(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 7, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            PymallocArena a;
            a.address = p.varint();
            a.size = p.varint();
            a.pools = checked32(p, p.varint());
            a.free_pools = checked32(p, p.varint());
            a.used_bytes = p.varint();
            a.used_blocks = p.varint();
            a.resident = p.varint();
            if (a.address + a.size < a.address || a.used_bytes > a.size || a.resident > a.size ||
                a.free_pools > a.pools)
                p.fail("an arena's figures exceed its size");
            snap_.pymalloc_arenas.push_back(a);
        }
    }

    void read_pymalloc_classes(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 4, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            PymallocClass c;
            c.block_size = checked32(p, p.varint());
            c.pools = p.varint();
            c.blocks_in_use = p.varint();
            c.blocks_free = p.varint();
            snap_.pymalloc_classes.push_back(c);
        }
    }

    void read_malloc_arenas(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 6, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            MallocArena a;
            a.number = p.varint();
            a.free_bytes = p.varint();
            a.free_chunks = p.varint();
            a.system_current = p.varint();
            a.system_max = p.varint();
            a.mmapped = p.varint();
            snap_.malloc_arenas.push_back(a);
        }
    }

    void read_roots(ByteReader& p) {
        std::uint64_t modules = claimed_count(p, 2, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < modules; ++i) {
            ModuleRoot m;
            m.address = p.varint();
            m.name = StringId(checked32(p, p.varint()));
            snap_.module_roots.push_back(m);
        }
        std::uint64_t threads = claimed_count(p, 2, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < threads; ++i) {
            ThreadRoot t;
            t.thread_id = p.varint();
            std::uint64_t frames = claimed_count(p, 1, detail::Claim::TableRows);
            std::uint64_t previous = 0;
            for (std::uint64_t f = 0; f < frames; ++f) t.frames.push_back(p.delta(previous));
            snap_.thread_roots.push_back(std::move(t));
        }
    }

    void read_facts(ByteReader& p) {
        std::uint64_t n = claimed_count(p, 3, detail::Claim::TableRows);
        for (std::uint64_t i = 0; i < n; ++i) {
            Fact f;
            f.key = std::string(p.bytes());
            std::uint8_t kind = p.u8();
            switch (kind) {
                case static_cast<std::uint8_t>(format::FactKind::Int): f.int_value = p.svarint(); break;
                case static_cast<std::uint8_t>(format::FactKind::Float): f.float_value = p.f64(); break;
                case static_cast<std::uint8_t>(format::FactKind::String): f.string_value = std::string(p.bytes()); break;
                default: p.fail("unknown fact kind");
            }
            f.kind = static_cast<format::FactKind>(kind);
            snap_.facts.push_back(std::move(f));
        }
    }

    void read_end(ByteReader& p) {
        std::uint64_t objects = p.varint();
        std::uint64_t edges = p.varint();
        std::uint64_t sections = p.varint();
        if (pending_edges_ != 0)
            fail("corrupted: edges after the last object chunk belong to no object (" +
                 std::to_string(pending_edges_) + ")");
        if (objects != snap_.object_count()) fail("corrupted: object count differs from the end section's");
        if (edges != edges_consumed_) fail("corrupted: edge count differs from the end section's");
        if (sections != sections_) fail("corrupted: section count differs from the end section's");
    }

    // Cross-references between tables, checked once everything is read.
    void validate() {
        auto bad_string = [&](StringId id) { return !snap_.strings.contains(id); };
        for (const TypeInfo& t : snap_.types)
            if (bad_string(t.name) || bad_string(t.module)) fail("corrupted: a type names a missing string");
        for (const Frame& f : snap_.traceback_frames)
            if (bad_string(f.filename)) fail("corrupted: a traceback names a missing string");
        for (const ModuleRoot& m : snap_.module_roots)
            if (bad_string(m.name)) fail("corrupted: a module root names a missing string");
        for (const Mapping& m : snap_.mappings)
            if (bad_string(m.path)) fail("corrupted: a mapping names a missing string");
        for (TypeId t : snap_.type)
            if (t.value > snap_.types.size()) fail("corrupted: an object has an unknown type id");
        for (TracebackId t : snap_.traceback)
            if (t.value > snap_.traceback_count()) fail("corrupted: an object has an unknown traceback id");
        for (const TraceStat& t : snap_.trace_stats)
            if (t.traceback.value > snap_.traceback_count()) fail("corrupted: a trace names an unknown traceback");
        for (const TraceBlock& b : snap_.trace_blocks)
            if (!b.traceback.valid() || b.traceback.value > snap_.traceback_count())
                fail("corrupted: a traced block names an unknown traceback");
        if (!snap_.has_edges() || snap_.edge_kind.empty()) return;
        for (std::size_t i = 0; i < snap_.object_count(); ++i) {
            std::uint64_t begin = snap_.edge_begin[i], end = snap_.edge_begin[i + 1];
            for (std::uint64_t e = begin; e < end; ++e) {
                EdgeKind k = snap_.edge_kind[e];
                std::uint64_t arg = snap_.edge_arg[e];
                bool ok = true;
                if (k == EdgeKind::DictValue) ok = arg < end - begin;
                if (k == EdgeKind::Attribute || k == EdgeKind::FrameLocal || k == EdgeKind::Field)
                    ok = arg <= 0xFFFFFFFFu && bad_string(StringId(static_cast<std::uint32_t>(arg))) == false;
                if (!ok) fail("corrupted: an edge label refers to nothing");
            }
        }
    }

    std::uint32_t checked32(ByteReader& p, std::uint64_t v) {
        if (v > 0xFFFFFFFFu) p.fail("id out of range");
        return static_cast<std::uint32_t>(v);
    }

    Source& src_;
    LoadOptions options_;
    std::string name_;
    detail::ClaimBudget budget_;
    detail::FramePeek peek_;
    std::string where_;  // the section being read, for the budget's messages
    std::string what_;
    std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> dctx_;
    std::vector<std::uint8_t> compressed_, decompressed_;
    Snapshot snap_;
    std::uint64_t sections_ = 0;
    std::uint64_t edges_consumed_ = 0;  // edges of the OBJS sections read so far
    std::uint64_t pending_edges_ = 0;   // edges of the EDGE sections read since the last OBJS
};

}  // namespace

Snapshot read_snapshot(const std::string& path, LoadOptions options) {
    RegularFile file(path);
    FileSource source(file.get(), file.size(), path);
    return Decoder(source, options, path).run();
}

Snapshot read_snapshot_bytes(const std::uint8_t* data, std::size_t size, LoadOptions options,
                             const std::string& name) {
    MemorySource source(data, size);
    return Decoder(source, options, name).run();
}

}  // namespace heapdiff
