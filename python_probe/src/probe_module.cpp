// heapdiff._probe: the native entry point. Converts arguments, runs one dump, and turns
// every C++ exception into a Python exception at this boundary: nothing escapes into
// the host process.
#include "py_compat.h"

#include <chrono>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <unistd.h>

#include "cpython_internals.h"
#include "fork_dump.h"
#include "fork_locks.h"
#include "heap_walk.h"
#include "heapdiff/error.h"
#include "heapdiff/safe_files.h"
#include "heapdiff/version.h"
#include "heapdiff/writer.h"
#include "memory_binding.h"
#include "pymalloc_binding.h"
#include "python_refs.h"
#include "reader_binding.h"
#include "type_registry.h"

namespace {

PyObject* g_dump_error = nullptr;
bool g_dumping = false;  // the GIL serialises callers; this catches re-entry

std::string as_string(PyObject* obj) {
    if (!obj || obj == Py_None) return {};
    Py_ssize_t n = 0;
    const char* s = PyUnicode_AsUTF8AndSize(obj, &n);
    if (!s) return {};
    return std::string(s, static_cast<std::size_t>(n));
}

std::string bytes_string(PyObject* bytes) {
    return std::string(PyBytes_AS_STRING(bytes), static_cast<std::size_t>(PyBytes_GET_SIZE(bytes)));
}

PyObject* probe_dump(PyObject*, PyObject* args, PyObject* kwargs) {
    static const char* keywords[] = {"path", "label", "tracebacks", "probe_dir", "fork", "child_limit", nullptr};
    // The path comes as the file system's bytes (os.fsencode: any path open() takes,
    // surrogate escapes included), the label as UTF-8 bytes; heapdiff.dump() makes both.
    PyObject* path_obj = nullptr;
    PyObject* label_obj = Py_None;
    int tracebacks = 1;
    PyObject* probe_dir_obj = Py_None;
    int fork = 0;
    double child_limit = 3600;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "S|OpOpd:dump", const_cast<char**>(keywords), &path_obj, &label_obj,
                                     &tracebacks, &probe_dir_obj, &fork, &child_limit))
        return nullptr;
    if (label_obj != Py_None && !PyBytes_Check(label_obj)) {
        PyErr_SetString(PyExc_TypeError, "label must be UTF-8 bytes or None");
        return nullptr;
    }
    if (std::memchr(PyBytes_AS_STRING(path_obj), 0, static_cast<std::size_t>(PyBytes_GET_SIZE(path_obj)))) {
        PyErr_SetString(PyExc_ValueError, "embedded null byte");  // as open() says
        return nullptr;
    }
    if (g_dumping) {
        PyErr_SetString(g_dump_error, "a heapdiff dump is already running in this process");
        return nullptr;
    }
    heapdiff::probe::DumpRequest request;
    request.path = bytes_string(path_obj);
    request.label = label_obj == Py_None ? std::string() : bytes_string(label_obj);
    request.probe_dir = as_string(probe_dir_obj);
    request.tracebacks = tracebacks != 0;
    request.own_objects = {args, kwargs};
    if (PyErr_Occurred()) return nullptr;

    g_dumping = true;
    heapdiff::probe::DumpStats stats;
    std::string failure;
    std::string why_not_forked;
    try {
        if (fork) {
            why_not_forked = heapdiff::probe::fork_refusal();
            if (why_not_forked.empty()) {
                heapdiff::probe::ForkStart started = heapdiff::probe::start_forked_dump(request, child_limit);
                if (started.pid > 0) {
                    g_dumping = false;
                    return Py_BuildValue("{s:O,s:i,s:d}", "forked", Py_True, "pid", static_cast<int>(started.pid),
                                         "pause_seconds", started.pause_seconds);
                }
                why_not_forked = started.why_not;
            }
        }
        const auto start = std::chrono::steady_clock::now();
        request.last_facts = [&](heapdiff::SnapshotWriter& w) {
            w.add_fact("probe.forked", static_cast<std::int64_t>(0));
            w.add_fact("probe.parent_pause_seconds",
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            if (!why_not_forked.empty()) w.add_fact("probe.fork_refused", std::string_view(why_not_forked));
        };
        stats = heapdiff::probe::dump_heap(request);
    } catch (const heapdiff::Error& e) {
        failure = e.what();
    } catch (const std::bad_alloc&) {
        failure = "out of memory while writing the snapshot";
    } catch (const std::exception& e) {
        failure = std::string("internal error: ") + e.what();
    } catch (...) {
        failure = "internal error";
    }
    g_dumping = false;
    if (!failure.empty()) {
        PyErr_Clear();
        // The path may not be UTF-8: shown as Python shows file names (surrogate escapes);
        // %s decodes the message with errors="replace".
        heapdiff::probe::Ref shown(PyUnicode_DecodeFSDefaultAndSize(request.path.data(), static_cast<Py_ssize_t>(request.path.size())));
        if (!shown) PyErr_Clear();
        PyErr_Format(g_dump_error, "heapdiff could not dump the heap to %R: %s", shown ? shown.get() : path_obj,
                     failure.c_str());
        return nullptr;
    }
    heapdiff::probe::Ref figures(Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:d}", "objects", static_cast<unsigned long long>(stats.objects),
                         "gc_objects", static_cast<unsigned long long>(stats.gc_objects), "edges",
                         static_cast<unsigned long long>(stats.edges), "file_bytes",
                         static_cast<unsigned long long>(stats.file_bytes), "probe_bytes",
                         static_cast<unsigned long long>(stats.probe_peak_bytes), "seconds", stats.seconds));
    if (!figures) return nullptr;
    heapdiff::probe::Ref forked(PyBool_FromLong(0));
    if (PyDict_SetItemString(figures.get(), "forked", forked.get()) < 0) return nullptr;
    if (!why_not_forked.empty()) {
        heapdiff::probe::Ref why(PyUnicode_DecodeUTF8(why_not_forked.data(), static_cast<Py_ssize_t>(why_not_forked.size()), "replace"));
        if (!why || PyDict_SetItemString(figures.get(), "why_not_forked", why.get()) < 0) return nullptr;
    }
    PyObject* result = figures.get();
    Py_INCREF(result);
    return result;
}

// The outcome of a forked dump: None while the child runs (after waiting up to `timeout`
// seconds without the GIL), then once a dict: ok, message, and the figures when ok.
PyObject* probe_forked_dump_result(PyObject*, PyObject* args) {
    int pid = 0;
    double timeout = 0;
    if (!PyArg_ParseTuple(args, "i|d:forked_dump_result", &pid, &timeout)) return nullptr;
    heapdiff::probe::ForkOutcome out;
    Py_BEGIN_ALLOW_THREADS
    out = heapdiff::probe::forked_dump_outcome(static_cast<pid_t>(pid), timeout);
    Py_END_ALLOW_THREADS
    heapdiff::probe::release_finished_forks();
    if (!out.finished) Py_RETURN_NONE;
    return Py_BuildValue("{s:O,s:s,s:K,s:K,s:K,s:K,s:d,s:L}", "ok", out.ok ? Py_True : Py_False, "message",
                         out.message.c_str(), "objects", static_cast<unsigned long long>(out.stats.objects),
                         "gc_objects", static_cast<unsigned long long>(out.stats.gc_objects), "edges",
                         static_cast<unsigned long long>(out.stats.edges), "file_bytes",
                         static_cast<unsigned long long>(out.stats.file_bytes), "seconds", out.stats.seconds,
                         "child_private_dirty", static_cast<long long>(out.child_private_dirty));
}

PyObject* probe_kill_forked_dump(PyObject*, PyObject* arg) {
    const long pid = PyLong_AsLong(arg);
    if (pid == -1 && PyErr_Occurred()) return nullptr;
    return PyBool_FromLong(heapdiff::probe::kill_forked_dump(static_cast<pid_t>(pid)));
}

// Before 3.11 a forked dump holds gc.get_objects()'s lists until its child is gone (so that
// neither process writes the shared refcounts): a thread of heapdiff.dump() calls this to
// wait for the child without the GIL, then drops them, so that objects the program lets go
// of meanwhile are freed without waiting for the next dump.
PyObject* probe_release_after_forked_dump(PyObject*, PyObject* arg) {
    const long pid = PyLong_AsLong(arg);
    if (pid == -1 && PyErr_Occurred()) return nullptr;
    bool finished = false;
    Py_BEGIN_ALLOW_THREADS
    while (!finished) finished = heapdiff::probe::wait_forked_dump_finished(static_cast<pid_t>(pid), 3600.0);
    Py_END_ALLOW_THREADS
    heapdiff::probe::release_finished_forks();
    Py_RETURN_NONE;
}

// Tests: hold tracemalloc's table lock from this thread (GIL released) for `seconds`.
PyObject* probe_hold_tracemalloc_lock(PyObject*, PyObject* arg) {
    const double seconds = PyFloat_AsDouble(arg);
    if (seconds == -1 && PyErr_Occurred()) return nullptr;
    int held = 0;
    Py_BEGIN_ALLOW_THREADS
    held = heapdiff_tm_hold_lock(seconds);
    Py_END_ALLOW_THREADS
    return PyBool_FromLong(held);
}

// The file operations of the Python side (triggers, the API's temporary directory) are
// safe_files' (core/include/heapdiff/safe_files.h): one implementation for C++ and Python.
// Paths come as the file system's bytes; a refusal is a DumpError with its one line.
template <typename Body>
PyObject* with_files(Body body) {
    std::string failure;
    try {
        return body();
    } catch (const heapdiff::Error& e) {
        failure = e.what();
    } catch (const std::exception& e) {
        failure = std::string("internal error: ") + e.what();
    }
    PyErr_SetString(g_dump_error, failure.c_str());
    return nullptr;
}

PyObject* probe_prepare_directory(PyObject*, PyObject* arg) {
    if (!PyBytes_Check(arg)) return PyErr_Format(PyExc_TypeError, "path must be bytes");
    const std::string path = bytes_string(arg);
    return with_files([&] {
        using heapdiff::safe_files::Directory;
        return PyBool_FromLong(Directory::open_guarded(path, Directory::Create::Yes).shared());
    });
}

PyObject* probe_remove_own_file(PyObject*, PyObject* arg) {
    if (!PyBytes_Check(arg)) return PyErr_Format(PyExc_TypeError, "path must be bytes");
    const std::string path = bytes_string(arg);
    return with_files([&] {
        auto place = heapdiff::safe_files::Place::of(path, "remove");
        return PyBool_FromLong(heapdiff::safe_files::remove_file(place.directory, place.name, ::geteuid()));
    });
}

PyObject* probe_make_private_directory(PyObject*, PyObject* args) {
    PyObject* parent = nullptr;
    PyObject* prefix = nullptr;
    if (!PyArg_ParseTuple(args, "SS:make_private_directory", &parent, &prefix)) return nullptr;
    const std::string parent_path = bytes_string(parent), prefix_text = bytes_string(prefix);
    return with_files([&] {
        using namespace heapdiff::safe_files;
        Directory made = create_directory(Directory::open_guarded(parent_path), prefix_text, 0700);
        return Py_BuildValue("(y#KK)", made.path().data(), static_cast<Py_ssize_t>(made.path().size()),
                             static_cast<unsigned long long>(made.info().st_dev),
                             static_cast<unsigned long long>(made.info().st_ino));
    });
}

PyObject* probe_remove_private_directory(PyObject*, PyObject* args) {
    PyObject* path = nullptr;
    unsigned long long device = 0, inode = 0;
    PyObject* known = nullptr;
    if (!PyArg_ParseTuple(args, "SKKO!:remove_private_directory", &path, &device, &inode, &PyList_Type, &known))
        return nullptr;
    std::vector<std::string> names;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(known); ++i) {
        PyObject* name = PyList_GET_ITEM(known, i);
        if (!PyBytes_Check(name)) return PyErr_Format(PyExc_TypeError, "known names must be bytes");
        names.push_back(bytes_string(name));
    }
    const std::string dir_path = bytes_string(path);
    return with_files([&] {
        using namespace heapdiff::safe_files;
        auto place = Place::of(dir_path, "remove");
        Identity expected;
        expected.device = static_cast<dev_t>(device);
        expected.inode = static_cast<ino_t>(inode);
        return PyBool_FromLong(remove_directory(place.directory, place.name, expected, names));
    });
}

PyObject* probe_trust_sizeof(PyObject*, PyObject* type) {
    if (!heapdiff::probe::trust_sizeof(type)) return nullptr;
    Py_RETURN_NONE;
}

PyMethodDef methods[] = {
    {"trust_sizeof", probe_trust_sizeof, METH_O,
     "trust_sizeof(cls): let dumps call cls's C __sizeof__ (see heapdiff.trust_sizeof)."},
    {"dump", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(probe_dump)), METH_VARARGS | METH_KEYWORDS,
     "dump(path, label=None, tracebacks=True, probe_dir=None, fork=False, child_limit=3600.0) -> dict\n\n"
     "Walk the heap and write a snapshot to path (atomically). Use heapdiff.dump(). With fork,\n"
     "{'forked': True, 'pid', 'pause_seconds'} once the child runs (see forked_dump_result), or\n"
     "the in-process figures with forked False and why_not_forked when it could not fork."},
    {"forked_dump_result", probe_forked_dump_result, METH_VARARGS,
     "forked_dump_result(pid, timeout=0.0) -> None while the child runs, then once a dict: ok,\n"
     "message, objects, gc_objects, edges, file_bytes, seconds, child_private_dirty."},
    {"kill_forked_dump", probe_kill_forked_dump, METH_O,
     "kill_forked_dump(pid) -> bool: SIGKILL to a forked dump's child still running."},
    {"release_after_forked_dump", probe_release_after_forked_dump, METH_O,
     "release_after_forked_dump(pid) -> None: waits for the child (GIL released), then drops\n"
     "the references the parent held for it (the gc lists of 3.8-3.10)."},
    {"_hold_tracemalloc_lock", probe_hold_tracemalloc_lock, METH_O,
     "_hold_tracemalloc_lock(seconds) -> bool (tests): hold tracemalloc's table lock, GIL released;\n"
     "False where the probe cannot reach it (before 3.12, or not tracing)."},
    {"prepare_directory", probe_prepare_directory, METH_O,
     "prepare_directory(path: bytes) -> bool: open (making what is missing) the directory with\n"
     "safe_files' rules; True when other users can write it."},
    {"remove_own_file", probe_remove_own_file, METH_O,
     "remove_own_file(path: bytes) -> bool: remove it only when it is a regular file of this\n"
     "user (a symlink is not followed), relative to its checked directory."},
    {"make_private_directory", probe_make_private_directory, METH_VARARGS,
     "make_private_directory(parent: bytes, prefix: bytes) -> (path, st_dev, st_ino): a new\n"
     "0700 directory, made and checked relative to the parent's descriptor."},
    {"remove_private_directory", probe_remove_private_directory, METH_VARARGS,
     "remove_private_directory(path, st_dev, st_ino, known: list of bytes) -> bool: remove the\n"
     "directory make_private_directory made, only it and only the names in known."},
    {"resident_bytes", heapdiff::probe::resident_bytes_py, METH_NOARGS,
     "resident_bytes() -> int or None: this process's resident set size (/proc/self/statm), bytes"},
    {"process_memory",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(heapdiff::probe::process_memory_py)),
     METH_VARARGS | METH_KEYWORDS,
     "process_memory(cgroup_root=None, smaps=False) -> dict: this process's rss and peak_rss in\n"
     "bytes; with cgroup_root (where the cgroup file systems are mounted) also cgroup_limit and\n"
     "cgroup_current; with smaps=True also smaps (smaps_rollup's rss, pss, private_dirty, swap).\n"
     "A value the system does not give is None."},
    {"pymalloc_stats", heapdiff::probe::pymalloc_stats_py, METH_NOARGS,
     "pymalloc_stats() -> dict: pymalloc's arenas and size classes read in place (tests): source,\n"
     "arena_size, pool_size, skipped_pools, arenas [(address, size, pools, free_pools, used_bytes,\n"
     "used_blocks)], classes [(block_size, pools, blocks_in_use, blocks_free)]; or {'why_not': line}\n"
     "when they cannot be read (another allocator, a stripped libpython, a subinterpreter)."},
    {"read_snapshot", heapdiff::probe::read_snapshot_py, METH_VARARGS,
     "read_snapshot(path, select=None) -> dict: object columns as bytes, value and edges of\n"
     "the selected addresses, tracebacks, trace stats, facts and roots (tests, small tools)."},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "heapdiff._probe", "The native heap walker of heapdiff.", -1, methods};

}  // namespace

PyMODINIT_FUNC PyInit__probe(void) {
    if (const char* refusal = heapdiff_layout_refusal()) {
        PyErr_SetString(PyExc_ImportError, refusal);
        return nullptr;
    }
    PyObject* m = PyModule_Create(&module_def);
    if (!m) return nullptr;
    heapdiff::probe::PythonRefs refs;
    if (!heapdiff::probe::load_python_refs(refs)) {
        Py_DECREF(m);
        return nullptr;
    }
    g_dump_error = PyErr_NewExceptionWithDoc("heapdiff.DumpError",
                                             "A heap snapshot could not be written; no file was left behind.",
                                             PyExc_OSError, nullptr);
    if (!g_dump_error || PyModule_AddObject(m, "DumpError", g_dump_error) < 0) {
        Py_DECREF(m);
        return nullptr;
    }
    Py_INCREF(g_dump_error);
    // heapdiff.__version__: the version this extension was built as (CMakeLists.txt's).
    if (PyModule_AddStringConstant(m, "__version__", heapdiff::kVersion) < 0) {
        Py_DECREF(m);
        return nullptr;
    }
    return m;
}
