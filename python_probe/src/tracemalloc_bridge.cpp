#include "tracemalloc_bridge.h"

#include "heapdiff/error.h"
#include "python_refs.h"
#include "traceback_lookup.h"
#include "utf8_text.h"

namespace heapdiff::probe {

TracemallocBridge::TracemallocBridge(SnapshotWriter& writer, std::string probe_dir, bool object_tracebacks)
    : writer_(writer), probe_dir_(std::move(probe_dir)) {
    Ref is_tracing(call_no_args(python_refs().tm_is_tracing));
    if (!is_tracing) throw Error(take_python_error("tracemalloc.is_tracing() failed"));
    tracing_ = is_tracing.get() == Py_True;
    object_tracebacks_ = tracing_ && object_tracebacks;
}

StringId TracemallocBridge::filename(PyObject* str, bool* is_probe) {
    auto it = filenames_.find(str);
    if (it == filenames_.end()) {
        std::string text;
        utf8_prefix(str, 4096, text);
        bool probe = !probe_dir_.empty() && text.compare(0, probe_dir_.size(), probe_dir_) == 0;
        it = filenames_.emplace(str, FileEntry{writer_.intern(text), probe}).first;
    }
    if (it->second.is_probe) *is_probe = true;
    return it->second.id;
}

TracebackId TracemallocBridge::intern(PyObject* frames, std::uint32_t total_frames, bool* is_probe) {
    if (!PyTuple_Check(frames)) return TracebackId();
    key_.clear();
    frames_.clear();
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(frames); ++i) {
        PyObject* f = PyTuple_GET_ITEM(frames, i);
        if (!PyTuple_Check(f) || PyTuple_GET_SIZE(f) != 2) return TracebackId();
        PyObject* lineno = PyTuple_GET_ITEM(f, 1);
        Frame frame;
        frame.filename = filename(PyTuple_GET_ITEM(f, 0), is_probe);
        frame.lineno = PyLong_Check(lineno) ? static_cast<std::uint32_t>(PyLong_AsUnsignedLongMask(lineno)) : 0;
        frames_.push_back(frame);
        key_.append(reinterpret_cast<const char*>(&frame.filename.value), 4);
        key_.append(reinterpret_cast<const char*>(&frame.lineno), 4);
    }
    key_.append(reinterpret_cast<const char*>(&total_frames), 4);
    auto it = tracebacks_.find(key_);
    if (it != tracebacks_.end()) return it->second;
    TracebackId id = writer_.add_traceback(frames_.data(), frames_.size(), total_frames);
    tracebacks_.emplace(key_, id);
    return id;
}

void TracemallocBridge::write_trace_stats() {
    if (!tracing_) return;
    // _get_traces() copies the table first, so the list it builds is not in it.
    Ref traces(call_no_args(python_refs().tm_get_traces));
    if (!traces || !PyList_Check(traces.get())) throw Error(take_python_error("tracemalloc._get_traces() failed"));
    struct Sum {
        std::uint64_t count = 0, size = 0;
    };
    std::unordered_map<std::uint64_t, Sum> sums;  // (traceback << 32 | domain)
    std::unordered_map<PyObject*, TracebackId> by_tuple;  // traces share traceback tuples
    std::unordered_map<PyObject*, bool> probe_tuple;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(traces.get()); ++i) {
        PyObject* t = PyList_GET_ITEM(traces.get(), i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) < 3) continue;
        std::uint32_t domain = static_cast<std::uint32_t>(PyLong_AsUnsignedLongMask(PyTuple_GET_ITEM(t, 0)));
        std::uint64_t size = PyLong_AsUnsignedLongLongMask(PyTuple_GET_ITEM(t, 1));
        PyObject* frames = PyTuple_GET_ITEM(t, 2);
        std::uint32_t total = PyTuple_Check(frames) ? static_cast<std::uint32_t>(PyTuple_GET_SIZE(frames)) : 0;
        if (PyTuple_GET_SIZE(t) >= 4 && PyLong_Check(PyTuple_GET_ITEM(t, 3)))
            total = static_cast<std::uint32_t>(PyLong_AsUnsignedLongMask(PyTuple_GET_ITEM(t, 3)));
        TracebackId id;
        bool is_probe = false;
        auto it = by_tuple.find(frames);
        if (it != by_tuple.end()) {
            id = it->second;
            is_probe = probe_tuple[frames];
        } else {
            id = intern(frames, total, &is_probe);
            by_tuple.emplace(frames, id);
            probe_tuple.emplace(frames, is_probe);
        }
        if (is_probe || !id) continue;
        Sum& s = sums[static_cast<std::uint64_t>(id.value) << 32 | domain];
        ++s.count;
        s.size += size;
    }
    PyErr_Clear();
    for (const auto& [key, sum] : sums) {
        TraceStat stat;
        stat.traceback = TracebackId(static_cast<std::uint32_t>(key >> 32));
        stat.domain = static_cast<std::uint32_t>(key);
        stat.count = sum.count;
        stat.size = sum.size;
        writer_.add_trace_stat(stat);
    }
}

TracebackId TracemallocBridge::object_traceback(PyObject* obj) {
    if (!object_tracebacks_) return TracebackId();
    Ref frames(heapdiff_block_traceback(allocation_start(obj)));
    if (!frames) {
        PyErr_Clear();
        return TracebackId();
    }
    if (frames.get() == Py_None) return TracebackId();
    bool is_probe = false;
    std::uint32_t total = PyTuple_Check(frames.get()) ? static_cast<std::uint32_t>(PyTuple_GET_SIZE(frames.get())) : 0;
    return intern(frames.get(), total, &is_probe);
}

}  // namespace heapdiff::probe
