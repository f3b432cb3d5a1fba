// Hand-made snapshots for the diff tests (types with modules, objects with tracebacks,
// tracemalloc statistics, facts) and a one-line-per-row text of a DiffReport, so that a
// test states its expected rows, in order, as one string doctest prints when it differs.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "heapdiff/diff.h"
#include "snapshot_builder.h"

namespace heapdiff::test {

struct FrameSpec {
    const char* filename;
    std::uint32_t lineno;
};

class DiffSnap {
public:
    // A type by qualified name, defined once per snapshot; "" module: none recorded.
    TypeId type(const std::string& qualified, std::string_view module = {}) {
        auto it = types_.find(qualified);
        if (it != types_.end()) return it->second;
        TypeId t = b_.type(qualified, 0x7f0000 + 0x400 * types_.size());
        if (!module.empty()) b_.snapshot().types.back().module = b_.string(module);
        types_.emplace(qualified, t);
        return t;
    }
    // Frames most recent first, as a Snapshot stores them.
    TracebackId traceback(std::initializer_list<FrameSpec> most_recent_first) {
        std::vector<Frame> frames;
        for (const FrameSpec& f : most_recent_first) frames.push_back({b_.string(f.filename), f.lineno});
        return b_.traceback(frames, static_cast<std::uint32_t>(frames.size()));
    }
    DiffSnap& object(std::uint64_t address, TypeId type, std::uint64_t size, TracebackId traceback = {}) {
        b_.object(address, type, size, 1, 0, traceback);
        return *this;
    }
    DiffSnap& trace(TracebackId traceback, std::uint64_t count, std::uint64_t size, std::uint32_t domain = 0) {
        TraceStat t;
        t.traceback = traceback;
        t.domain = domain;
        t.count = count;
        t.size = size;
        b_.snapshot().trace_stats.push_back(t);
        return *this;
    }
    // A traced block (the TRBL section); the first call also says the snapshot has them.
    DiffSnap& block(std::uint64_t address, std::uint64_t size, TracebackId traceback, std::uint32_t domain = 0) {
        if (!b_.snapshot().fact("probe.trace_blocks")) b_.fact("probe.trace_blocks", std::int64_t(1));
        b_.snapshot().trace_blocks.push_back(TraceBlock{address, size, traceback, domain});
        return *this;
    }
    DiffSnap& tracing(std::int64_t on = 1) {
        b_.fact("tracemalloc.tracing", on);
        return *this;
    }
    // The facts diff_snapshots compares: "pid" (Int), "python.version" (String), "time" (Float).
    DiffSnap& pid(std::int64_t pid) {
        b_.fact("pid", pid);
        return *this;
    }
    DiffSnap& python_version(std::string version) {
        b_.fact("python.version", std::move(version));
        return *this;
    }
    DiffSnap& time(double seconds) {
        b_.fact("time", seconds);
        return *this;
    }

    const Snapshot& snapshot() { return b_.snapshot(); }
    operator const Snapshot*() { return &b_.snapshot(); }

private:
    SnapshotBuilder b_;
    std::map<std::string, TypeId> types_;
};

// Named s0, s1, ... oldest first.
inline DiffReport diff(const std::vector<const Snapshot*>& snapshots, const DiffOptions& options = {}) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < snapshots.size(); ++i) names.push_back("s" + std::to_string(i));
    return diff_snapshots(snapshots, names, options);
}

inline std::string signed_text(std::int64_t v) { return (v > 0 ? "+" : "") + std::to_string(v); }

// "key: count size (count_diff size_diff) new N freed M", one line per row, in order.
inline std::string object_rows(const DiffReport& r) {
    std::string out;
    for (const GroupDiff& g : r.groups)
        out += g.key + ": " + std::to_string(g.count) + " " + std::to_string(g.size) + " (" +
               signed_text(g.count_diff) + " " + signed_text(g.size_diff) + ") new " + std::to_string(g.new_objects) +
               " freed " + std::to_string(g.freed_objects) + "\n";
    return out;
}

// "key: count size (count_diff size_diff) walked W", one line per row, in order.
inline std::string trace_rows(const DiffReport& r) {
    std::string out;
    for (const GroupDiff& g : r.groups)
        out += g.key + ": " + std::to_string(g.count) + " " + std::to_string(g.size) + " (" +
               signed_text(g.count_diff) + " " + signed_text(g.size_diff) + ") walked " +
               std::to_string(g.walked_size) + "\n";
    return out;
}

// A row's traceback as "file:line" most recent call last, joined by " > ".
inline std::string frames_text(const GroupDiff& g) {
    std::string out;
    for (const FrameText& f : g.traceback) out += (out.empty() ? "" : " > ") + f.filename + ":" + std::to_string(f.lineno);
    return out;
}

inline const GroupDiff* find_row(const DiffReport& r, const std::string& key) {
    for (const GroupDiff& g : r.groups)
        if (g.key == key) return &g;
    return nullptr;
}

}  // namespace heapdiff::test
