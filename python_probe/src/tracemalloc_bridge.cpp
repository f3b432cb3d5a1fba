#include "tracemalloc_bridge.h"

#include <algorithm>

#include "heapdiff/error.h"
#include "cpython_internals.h"
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
    in_place_ = heapdiff_tracemalloc_in_place() != 0;
}

StringId TracemallocBridge::filename(PyObject* str, bool* is_probe) {
    auto it = filenames_.find(str);
    if (it != filenames_.end()) {
        if (it->second.is_probe) *is_probe = true;
        return it->second.id;
    }
    std::string text;
    utf8_prefix(str, 4096, text);
    return file_entry(str, text, is_probe);
}

StringId TracemallocBridge::filename_utf8(const char* utf8, bool* is_probe) {
    auto it = filenames_.find(utf8);
    if (it != filenames_.end()) {
        if (it->second.is_probe) *is_probe = true;
        return it->second.id;
    }
    // The same 4096-byte cap as utf8_prefix, never cutting a character in two.
    std::size_t n = 0;
    while (n < 4096 && utf8[n]) ++n;
    if (utf8[n]) {
        while (n > 0 && (static_cast<unsigned char>(utf8[n]) & 0xC0) == 0x80) --n;
    }
    return file_entry(utf8, std::string(utf8, n), is_probe);
}

StringId TracemallocBridge::file_entry(const void* key, const std::string& text, bool* is_probe) {
    bool probe = !probe_dir_.empty() && text.compare(0, probe_dir_.size(), probe_dir_) == 0;
    auto it = filenames_.emplace(key, FileEntry{writer_.intern(text), probe}).first;
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
    return intern_frames(total_frames);
}

TracebackId TracemallocBridge::intern_frames(std::uint32_t total_frames) {
    key_.append(reinterpret_cast<const char*>(&total_frames), 4);
    auto it = tracebacks_.find(key_);
    if (it != tracebacks_.end()) return it->second;
    TracebackId id = writer_.add_traceback(frames_.data(), frames_.size(), total_frames);
    tracebacks_.emplace(key_, id);
    return id;
}

TracebackId TracemallocBridge::intern_native(const void* traceback, bool* is_probe) {
    auto it = native_.find(traceback);
    if (it == native_.end()) {
        key_.clear();
        frames_.clear();
        bool probe = false;
        int total = 0;
        PyObject* file = nullptr;
        const char* file_utf8 = nullptr;
        unsigned int lineno = 0;
        for (int i = 0; heapdiff_traceback_frame(traceback, i, &file, &file_utf8, &lineno, &total); ++i) {
            Frame frame;
            frame.filename = file_utf8 ? filename_utf8(file_utf8, &probe) : filename(file, &probe);
            frame.lineno = lineno;
            frames_.push_back(frame);
            key_.append(reinterpret_cast<const char*>(&frame.filename.value), 4);
            key_.append(reinterpret_cast<const char*>(&frame.lineno), 4);
        }
        heapdiff_traceback_frame(traceback, 0, &file, &file_utf8, &lineno, &total);
        TracebackId id = intern_frames(static_cast<std::uint32_t>(total));
        it = native_.emplace(traceback, NativeEntry{id, probe}).first;
    }
    if (it->second.is_probe) *is_probe = true;
    return it->second.id;
}

void TracemallocBridge::write_trace_stats_in_place() {
    struct Sum {
        std::uint64_t count = 0, size = 0;
    };
    struct Key {
        const void* traceback;
        unsigned int domain;
        bool operator==(const Key& o) const { return traceback == o.traceback && domain == o.domain; }
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            return std::hash<const void*>()(k.traceback) ^ (static_cast<std::size_t>(k.domain) * 0x9E3779B97F4A7C15ull);
        }
    };
    struct Block {
        std::uintptr_t address;
        std::size_t size;
        const void* traceback;
        unsigned int domain;
    };
    // Summed (and each block listed, for the three-snapshot trace diff) under
    // tracemalloc's lock with nothing but malloc (never traced); the tracebacks are read
    // after, when Python may run again. The list costs 32 bytes per traced block until
    // it is written, below.
    struct Tables {
        std::unordered_map<Key, Sum, KeyHash> sums;
        std::vector<Block> blocks;
    } tables;
    heapdiff_tracemalloc_traces(
        [](void* ctx, unsigned int domain, std::uintptr_t address, std::size_t size, const void* traceback) {
            auto* t = static_cast<Tables*>(ctx);
            Sum& s = t->sums[Key{traceback, domain}];
            ++s.count;
            s.size += size;
            t->blocks.push_back(Block{address, size, traceback, domain});
        },
        &tables);
    std::unordered_map<Key, Sum, KeyHash>& sums = tables.sums;
    for (const auto& [key, sum] : sums) {
        bool is_probe = false;
        TracebackId id = intern_native(key.traceback, &is_probe);
        if (is_probe || !id) continue;
        TraceStat stat;
        stat.traceback = id;
        stat.domain = key.domain;
        stat.count = sum.count;
        stat.size = sum.size;
        writer_.add_trace_stat(stat);
    }
    std::sort(tables.blocks.begin(), tables.blocks.end(),
              [](const Block& a, const Block& b) { return a.address < b.address; });
    std::uint64_t written = 0;
    for (const Block& b : tables.blocks) {
        bool is_probe = false;
        TracebackId id = intern_native(b.traceback, &is_probe);
        if (is_probe || !id) continue;
        writer_.add_trace_block(TraceBlock{b.address, b.size, id, b.domain});
        ++written;
    }
    std::vector<Block>().swap(tables.blocks);
    writer_.add_fact("probe.trace_blocks", static_cast<std::int64_t>(written));
}

void TracemallocBridge::write_trace_stats() {
    if (!tracing_) return;
    if (in_place_) {
        write_trace_stats_in_place();
        return;
    }
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
    if (in_place_) {
        const void* traceback = heapdiff_tracemalloc_block(allocation_start(obj));
        bool is_probe = false;
        return traceback ? intern_native(traceback, &is_probe) : TracebackId();
    }
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
