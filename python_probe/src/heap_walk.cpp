#include "heap_walk.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <cstdio>
#include <vector>

#include <unistd.h>

#include "address_bitmap.h"
#include "address_set.h"
#include "cpython_internals.h"
#include "display_value.h"
#include "gc_state.h"
#include "heapdiff/error.h"
#include "heapdiff/process_memory.h"
#include "heapdiff/writer.h"
#include "memory_map.h"
#include "object_size.h"
#include "process_facts.h"
#include "python_refs.h"
#include "referents.h"
#include "tracemalloc_bridge.h"
#include "type_registry.h"
#include "unreferenced_scan.h"
#include "utf8_text.h"

namespace heapdiff::probe {
namespace {

std::uint64_t addr(const void* p) { return reinterpret_cast<std::uint64_t>(p); }

// Collection is paused for the whole dump: a collection would destroy the cyclic trash
// the user wants to see and could run __del__ methods in the middle of the walk.
class GcPause {
public:
    GcPause() {
        Ref enabled(call_no_args(python_refs().gc_isenabled));
        was_enabled_ = enabled.get() == Py_True;
        Ref done(call_no_args(python_refs().gc_disable));
        PyErr_Clear();
    }
    ~GcPause() {
        if (!was_enabled_) return;
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        Ref done(call_no_args(python_refs().gc_enable));
        PyErr_Clear();
        PyErr_Restore(t, v, tb);
    }

private:
    bool was_enabled_ = false;
};

bool in_probe_dir(PyCodeObject* code, const std::string& probe_dir) {
    std::string file;
    return !probe_dir.empty() && utf8_prefix(code->co_filename, 4096, file) &&
           file.compare(0, probe_dir.size(), probe_dir) == 0;
}

// The objects the probe itself holds during the dump; never written.
struct Exclusions {
    std::vector<const PyObject*> objects;
    // What the probe's own frames hold (the path's bytes, the label): not written by the
    // walk, so the allocator scan would take them for objects nothing refers to.
    std::vector<const PyObject*> probe_locals;
    bool contains(const PyObject* p) const { return std::find(objects.begin(), objects.end(), p) != objects.end(); }
};

// Writes the roots and returns them (borrowed: modules are held by sys.modules, frames by
// their running code; no Python code runs before the walk ends).
std::vector<PyObject*> write_roots(SnapshotWriter& w, const std::string& probe_dir, Exclusions& excluded) {
    std::vector<PyObject*> roots;
    PyObject* modules = PySys_GetObject("modules");  // borrowed
    if (modules && PyDict_Check(modules)) {
        Py_ssize_t pos = 0;
        PyObject *name, *module;
        std::string text;
        while (PyDict_Next(modules, &pos, &name, &module)) {
            utf8_name(name, text);
            w.add_module_root(addr(module), w.intern(text));
            roots.push_back(module);
        }
    }
    // Thread stacks. Materialising frame objects here (3.11+) is what
    // sys._current_frames() does too; frames running the probe's code are left out.
    Ref frames(call_no_args(python_refs().sys_current_frames));
    if (!frames || !PyDict_Check(frames.get())) {
        PyErr_Clear();
        return roots;
    }
    Py_ssize_t pos = 0;
    PyObject *thread_id, *top;
    std::vector<std::uint64_t> stack;
    while (PyDict_Next(frames.get(), &pos, &thread_id, &top)) {
        stack.clear();
        Py_INCREF(top);
        Ref frame(top);
        while (frame) {
            auto* f = reinterpret_cast<PyFrameObject*>(frame.get());
            PyCodeObject* code = frame_code(f);
            bool ours = in_probe_dir(code, probe_dir);
            Py_DECREF(code);
            if (ours) {
                excluded.objects.push_back(frame.get());
                heapdiff_frame_fields(
                    frame.get(),
                    [](void* ctx, PyObject* target, int kind, const char*, PyObject*) {
                        if (kind == 1) static_cast<Exclusions*>(ctx)->probe_locals.push_back(target);
                    },
                    &excluded);
            }
            else {
                stack.push_back(addr(frame.get()));
                roots.push_back(frame.get());
            }
            frame = Ref(reinterpret_cast<PyObject*>(frame_back(f)));
        }
        w.add_thread_root(PyLong_AsUnsignedLongLongMask(thread_id), stack.data(), stack.size());
    }
    PyErr_Clear();
    return roots;
}

// The most bytes any object can take: the process's address space (VmSize). A size past
// it can only come from a corrupt length.
std::uint64_t address_space_bytes() {
    constexpr std::uint64_t kFallback = 1ull << 47;  // x86-64's user address space
    const std::optional<std::int64_t> bytes = process::address_space_bytes();
    return bytes && *bytes > 0 ? static_cast<std::uint64_t>(*bytes) : kFallback;
}

class Walker {
public:
    Walker(SnapshotWriter& w, TracemallocBridge& tm, const Exclusions& excluded)
        : w_(w), tm_(tm), types_(w), referents_(w), excluded_(excluded), max_size_(address_space_bytes()) {}

    // A dump inside a collection (from a __del__, a weakref callback, gc.callbacks): the
    // objects being collected are tracked but in a list of the collector's own. Every
    // listed object is marked first, so that a tracked object the walk reaches and finds
    // unmarked is known to be one of them, and written like an untracked one.
    void begin_collection_mode() { collecting_ = true; }
    void mark_listed(PyObject* obj) { seen_.insert(addr(obj)); }
    std::uint64_t found_collecting() const { return found_collecting_; }

    // Needed only after gc.freeze(): frozen objects are tracked but in no gc list.
    void set_listed(std::vector<std::uint64_t> sorted_listed) { listed_ = std::move(sorted_listed); }
    void mark_garbage(PyObject* obj) { garbage_.insert(addr(obj)); }

    // A tracked object from gc.get_objects(generation) (in_list: the probe's list holds
    // a reference to it) or from the permanent generation (generation 3).
    void walk_tracked(PyObject* obj, int generation, bool in_list) {
        if (excluded_.contains(obj)) return;
        walked_listed_.insert(addr(obj));
        emit(obj, in_list, generation);
        if (generation < 3) ++listed_written_;
        drain();
    }

    // A root no gc list holds: a running frame (3.11+ creates them untracked) or an
    // object gc.freeze() moved to the permanent generation. What it reaches is walked.
    void walk_root(PyObject* obj) {
        if (is_listed(obj) || excluded_.contains(obj) || !seen_.insert(addr(obj))) return;
        emit_unlisted(obj);
        drain();
    }

    // An object found by the allocator scan (unreferenced_scan.h): written without its
    // references, which are never followed out of memory the walk did not reach by them.
    void write_unreferenced(PyObject* obj) { emit(obj, false, 3, false); }
    const TypeRegistry& types() const { return types_; }
    const AddressBitmap& reached_unlisted() const { return seen_; }

    std::uint64_t listed_written() const { return listed_written_; }
    std::uint64_t untracked() const { return unlisted_written_ - found_collecting_; }
    std::uint64_t bookkeeping_bytes() const {
        return seen_.memory_bytes() + walked_listed_.memory_bytes() + listed_.capacity() * 8 + pending_capacity_ * sizeof(PyObject*);
    }

private:
    // Objects a gc list holds: tracked, and (after gc.freeze()) among the listed ones.
    bool is_listed(PyObject* obj) const {
        if (collecting_ || !is_gc_tracked(obj)) return false;
        return listed_.empty() || std::binary_search(listed_.begin(), listed_.end(), addr(obj));
    }

    // Untracked objects found as referents, each walked once (iteratively: heaps have
    // chains far deeper than any C stack).
    void drain() {
        while (!pending_.empty()) {
            PyObject* next = pending_.back();
            pending_.pop_back();
            emit_unlisted(next);
        }
    }

    // An object no gc list holds, found as a root or a referent. During a collection a
    // tracked one is being collected; otherwise it is frozen (before 3.11) or untracked.
    void emit_unlisted(PyObject* obj) {
        ++unlisted_written_;
        if (collecting_ && is_gc_tracked(obj)) ++found_collecting_;
        emit(obj, false, 3);
    }

    void emit(PyObject* obj, bool listed, int generation, bool with_references = true) {
        const TypeEntry& type = types_.get(Py_TYPE(obj));
        bool approximate = false;
        std::uint64_t size = object_size(obj, type, max_size_, &approximate);
        std::uint8_t flags = 0;
        if (is_gc_tracked(obj)) flags |= format::object_flag::kGcTracked;
        flags |= static_cast<std::uint8_t>(generation << format::object_flag::kGenerationShift);
        if (approximate) flags |= format::object_flag::kSizeApproximate;
        if (type.has_finalizer) flags |= format::object_flag::kHasFinalizer;
        if (is_immortal(obj)) flags |= format::object_flag::kImmortal;
        if (garbage_.contains(addr(obj))) flags |= format::object_flag::kInGcGarbage;
        // The gc list holds one reference to every listed object: not the program's.
        std::uint64_t refcount = static_cast<std::uint64_t>(Py_REFCNT(obj)) - (listed ? 1 : 0);
        if (!display_value(obj, value_)) flags |= format::object_flag::kValueCut;
        w_.add_object(addr(obj), type.id, size, refcount, flags, tm_.object_traceback(obj), value_);
#if PY_VERSION_HEX >= 0x030F0000
        // 3.15 keeps a bytearray's buffer in a bytes object of its own, which tp_traverse
        // does not visit and the bytearray's __sizeof__ already counts: part of the
        // bytearray, never written apart, never an object nothing refers to.
        if (type.is_bytearray)  // decided once per type, not per object
            if (PyObject* storage = reinterpret_cast<PyByteArrayObject*>(obj)->ob_bytes_object) seen_.insert(addr(storage));
#endif
        if (!with_references) return;

        referents_.collect(obj, type, edges_);
        for (const Edge& e : edges_) prefetch_object(e.target);
        // Edges first, then the targets' own fields: by then the prefetches above have
        // arrived (reading each target right after its edge stalled on a cache miss per
        // edge, the walk's largest cost). Targets written already are told by address
        // alone: a tracked one walked from its gc list, an untracked one seen before. The
        // rest are tested in edge order, so objects are queued in the same order as before.
        candidates_.clear();
        for (const Edge& e : edges_) {
            w_.add_edge(addr(e.target), e.kind, e.arg);
            if (!walked_listed_.contains(addr(e.target)) && !seen_.contains(addr(e.target))) candidates_.push_back(e.target);
        }
        for (PyObject* target : candidates_) {
            if (!is_listed(target) && !excluded_.contains(target) && seen_.insert(addr(target))) {
                pending_.push_back(target);
                pending_capacity_ = std::max(pending_capacity_, pending_.capacity());
            }
        }
    }

    SnapshotWriter& w_;
    TracemallocBridge& tm_;
    TypeRegistry types_;
    ReferentCollector referents_;
    const Exclusions& excluded_;
    AddressBitmap seen_;
    AddressBitmap walked_listed_;  // tracked objects walked from a gc list
    AddressSet garbage_;
    std::vector<std::uint64_t> listed_;
    std::vector<PyObject*> pending_;
    std::size_t pending_capacity_ = 0;
    std::uint64_t listed_written_ = 0;
    std::uint64_t unlisted_written_ = 0;  // found as roots or referents, not in a gc list
    std::uint64_t found_collecting_ = 0;  // of those, tracked ones: being collected
    bool collecting_ = false;
    const std::uint64_t max_size_;
    std::vector<Edge> edges_;
    std::vector<PyObject*> candidates_;  // this object's targets not known to be written
    std::string value_;
};

Ref objects_of_generation(int generation) {
    Ref gen(PyLong_FromLong(generation));
    Ref list(call_one_arg(python_refs().gc_get_objects, gen.get()));
    if (!list || !PyList_Check(list.get()))
        throw Error(take_python_error("gc.get_objects() failed"));
    return list;
}

}  // namespace

DumpStats dump_heap(const DumpRequest& request) {
    auto start = std::chrono::steady_clock::now();
    const bool collecting = heapdiff_gc_collecting() != 0;
    GcPause pause;
    SnapshotWriter writer(request.path);
    write_process_facts(writer, request.label, request.pid);
    TracemallocBridge tm(writer, request.probe_dir, request.tracebacks);
    tm.write_trace_stats();  // first, before the walk allocates anything of its own
    write_memory_map(writer);  // before the walk too: the walk's buffers are not the process's

    Exclusions excluded;
    for (const void* own : request.own_objects) excluded.objects.push_back(static_cast<const PyObject*>(own));
    std::vector<PyObject*> roots = write_roots(writer, request.probe_dir, excluded);

    Walker walker(writer, tm, excluded);
    const PythonRefs& py = python_refs();
    if (PyList_Check(py.gc_garbage))
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(py.gc_garbage); ++i)
            walker.mark_garbage(PyList_GET_ITEM(py.gc_garbage, i));
    // 3.11+: the collector's own lists, walked in place, oldest generation first, then
    // the permanent generation. Nothing is allocated and no reference is taken.
    struct Visit {
        Walker* walker;
        int generation;
    } visit{&walker, 3};
    auto walk_one = [](void* ctx, PyObject* obj) {
        auto* v = static_cast<Visit*>(ctx);
        v->walker->walk_tracked(obj, v->generation, false);
    };
    auto mark_one = [](void* ctx, PyObject* obj) { static_cast<Visit*>(ctx)->walker->mark_listed(obj); };
    if (collecting) walker.begin_collection_mode();
    std::uint64_t held_by_lists = 0;
    if (heapdiff_gc_generation(3, collecting ? mark_one : walk_one, &visit) >= 0) {
        if (collecting) {
            for (int g = 2; g >= 0; --g) heapdiff_gc_generation(g, mark_one, &visit);
            heapdiff_gc_generation(3, walk_one, &visit);
        }
        for (int g = 2; g >= 0; --g) {
            visit.generation = g;
            heapdiff_gc_generation(g, walk_one, &visit);
        }
    } else {
        // Before 3.11: gc.get_objects(generation), oldest first. Each list is new, so it
        // is tracked in generation 0 and shows up only in the lists made after it, where
        // it is excluded.
        Ref lists[3];
        for (int g = 2; g >= 0; --g) {
            if (const void* made = request.gc_lists[g]) {
                PyObject* list = const_cast<PyObject*>(static_cast<const PyObject*>(made));
                Py_INCREF(list);
                lists[g] = Ref(list);
            } else {
                lists[g] = objects_of_generation(g);
            }
            excluded.objects.push_back(lists[g].get());
            held_by_lists += static_cast<std::uint64_t>(PyList_GET_SIZE(lists[g].get()));
        }
        // Frozen objects are tracked but in no list: told from listed ones by address
        // (during a collection every listed object is marked in the seen set instead).
        Ref frozen(collecting ? Ref() : Ref(call_no_args(py.gc_get_freeze_count)));
        if (frozen && PyLong_AsLong(frozen.get()) > 0) {
            std::vector<std::uint64_t> listed;
            listed.reserve(held_by_lists);
            for (const Ref& l : lists)
                for (Py_ssize_t i = 0; i < PyList_GET_SIZE(l.get()); ++i)
                    listed.push_back(addr(PyList_GET_ITEM(l.get(), i)));
            std::sort(listed.begin(), listed.end());
            walker.set_listed(std::move(listed));
        }
        PyErr_Clear();
        if (collecting)
            for (const Ref& l : lists)
                for (Py_ssize_t i = 0; i < PyList_GET_SIZE(l.get()); ++i) walker.mark_listed(PyList_GET_ITEM(l.get(), i));
        for (int g = 2; g >= 0; --g) {
            PyObject* list = lists[g].get();
            const Py_ssize_t n = PyList_GET_SIZE(list);
            for (Py_ssize_t i = 0; i < n; ++i) {
                if (i + 8 < n) prefetch_object(PyList_GET_ITEM(list, i + 8));
                walker.walk_tracked(PyList_GET_ITEM(list, i), g, true);
            }
        }
    }
    for (PyObject* root : roots) walker.walk_root(root);

    // Last, so that they are the file's last objects (docs/FORMAT.md, "Facts").
    const auto scan_start = std::chrono::steady_clock::now();
    std::vector<const PyObject*> not_found(excluded.objects);
    not_found.insert(not_found.end(), excluded.probe_locals.begin(), excluded.probe_locals.end());
    UnreferencedScan unreferenced = find_unreferenced(walker.types(), walker.reached_unlisted(), not_found, tm.tracing());
    for (PyObject* obj : unreferenced.objects) walker.write_unreferenced(obj);
    writer.add_fact("probe.unreferenced_seconds",
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - scan_start).count());
    writer.add_fact("probe.unreferenced_blocks", static_cast<std::int64_t>(unreferenced.blocks));
    writer.add_fact("probe.unreferenced_search", std::string_view(unreferenced.where));
    writer.add_fact("probe.unreferenced_objects", static_cast<std::int64_t>(unreferenced.searched ? unreferenced.objects.size() : -1));

    DumpStats stats;
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats.gc_objects = walker.listed_written();  // generations 0-2, the probe's own left out
    writer.add_fact("probe.seconds", stats.seconds);
    writer.add_fact("probe.gc_objects", static_cast<std::int64_t>(stats.gc_objects));
    writer.add_fact("probe.untracked_objects", static_cast<std::int64_t>(walker.untracked()));
    if (collecting) {
        // Said in the snapshot so that the analyzer can say it: the objects the collector
        // was finalising are in it, found through what refers to them.
        writer.add_fact("probe.during_collection", static_cast<std::int64_t>(1));
        writer.add_fact("probe.collecting_objects", static_cast<std::int64_t>(walker.found_collecting()));
    }
    stats.probe_peak_bytes = walker.bookkeeping_bytes() + held_by_lists * sizeof(PyObject*);
    if (request.last_facts) request.last_facts(writer);
    writer.finish();
    stats.objects = writer.objects_written();
    stats.edges = writer.edges_written();
    stats.file_bytes = writer.bytes_written();
    return stats;
}

}  // namespace heapdiff::probe
