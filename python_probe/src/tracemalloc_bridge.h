// Everything the probe takes from tracemalloc: the whole trace table aggregated per
// traceback (so a traceback diff covers every traced block, reachable or not) and each
// object's allocation traceback. Tracebacks are interned: one TracebackId per distinct
// sequence of frames. Traces allocated by the probe's own code are left out.
#pragma once

#include "py_compat.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "heapdiff/writer.h"

namespace heapdiff::probe {

class TracemallocBridge {
public:
    TracemallocBridge(SnapshotWriter& writer, std::string probe_dir, bool object_tracebacks);
    bool tracing() const { return tracing_; }
    // Aggregates tracemalloc's trace table into the snapshot. Call before the walk.
    void write_trace_stats();
    TracebackId object_traceback(PyObject* obj);

private:
    // Interns a traceback tuple ((filename, lineno), ...), most recent first.
    // Returns an invalid id for a malformed tuple; sets *is_probe when a frame is ours.
    TracebackId intern(PyObject* frames, std::uint32_t total_frames, bool* is_probe);
    // The same for a traceback read in place from tracemalloc's tables (3.12+).
    TracebackId intern_native(const void* traceback, bool* is_probe);
    TracebackId intern_frames(std::uint32_t total_frames);  // frames_ and key_ filled
    StringId filename(PyObject* str, bool* is_probe);
    // The same for a filename tracemalloc interned as UTF-8 (3.15+).
    StringId filename_utf8(const char* utf8, bool* is_probe);
    StringId file_entry(const void* key, const std::string& text, bool* is_probe);
    void write_trace_stats_in_place();

    SnapshotWriter& writer_;
    std::string probe_dir_;
    bool tracing_ = false;
    bool object_tracebacks_ = false;
    struct FileEntry {
        StringId id;
        bool is_probe;
    };
    std::unordered_map<const void*, FileEntry> filenames_;  // tracemalloc interns filenames
    std::unordered_map<std::string, TracebackId> tracebacks_;
    bool in_place_ = false;  // tracemalloc's tables are readable directly (3.12+)
    struct NativeEntry {
        TracebackId id;
        bool is_probe;
    };
    std::unordered_map<const void*, NativeEntry> native_;  // tracemalloc interns its tracebacks
    std::string key_;
    std::vector<Frame> frames_;
};

}  // namespace heapdiff::probe
