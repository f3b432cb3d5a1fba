#include "process_facts.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "heapdiff/process_memory.h"
#include "python_refs.h"
#include "utf8_text.h"

namespace heapdiff::probe {
namespace {

std::int64_t as_int(PyObject* v) {
    if (!v || !PyLong_Check(v)) return -1;
    long long x = PyLong_AsLongLong(v);
    if (PyErr_Occurred()) {
        PyErr_Clear();
        return -1;
    }
    return x;
}

// Writes key.0, key.1 ... for a tuple of ints (gc.get_count(), gc.get_threshold()).
void int_tuple(SnapshotWriter& w, const char* key, PyObject* fn) {
    Ref t(call_no_args(fn));
    if (!t || !PyTuple_Check(t.get())) {
        PyErr_Clear();
        return;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t.get()); ++i)
        w.add_fact(std::string(key) + "." + std::to_string(i), as_int(PyTuple_GET_ITEM(t.get(), i)));
}

void gc_stats(SnapshotWriter& w) {
    Ref stats(call_no_args(python_refs().gc_get_stats));
    if (!stats || !PyList_Check(stats.get())) {
        PyErr_Clear();
        return;
    }
    for (Py_ssize_t g = 0; g < PyList_GET_SIZE(stats.get()); ++g) {
        PyObject* d = PyList_GET_ITEM(stats.get(), g);
        for (const char* k : {"collections", "collected", "uncollectable"})
            w.add_fact("gc.stats." + std::to_string(g) + "." + k, as_int(PyDict_GetItemString(d, k)));
    }
}

void string_fact(SnapshotWriter& w, const std::string& key, PyObject* str) {
    std::string text;
    if (str && utf8_prefix(str, 4096, text)) w.add_fact(key, std::string_view(text));
}

}  // namespace

void write_process_facts(SnapshotWriter& w, const std::string& label, long pid) {
    const PythonRefs& py = python_refs();
    w.add_fact("pid", static_cast<std::int64_t>(pid ? pid : getpid()));
    double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    w.add_fact("time", now);
    w.add_fact("label", std::string_view(label));
    w.add_fact("probe.version", std::string_view("0.1.0"));
    w.add_fact("process.rss", process::resident_bytes().value_or(-1));
    w.add_fact("process.peak_rss", process::peak_resident_bytes().value_or(-1));

    w.add_fact("python.version", std::string_view(Py_GetVersion()));
    w.add_fact("python.implementation", std::string_view("cpython"));
    char build[64];
    std::snprintf(build, sizeof build, "cpython-%d%d%s", PY_MAJOR_VERSION, PY_MINOR_VERSION,
#ifdef Py_DEBUG
                  "d"
#else
                  ""
#endif
    );
    w.add_fact("python.build", std::string_view(build));
    PyObject* argv = PySys_GetObject("argv");  // borrowed
    if (argv && PyList_Check(argv))
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(argv); ++i)
            string_fact(w, "argv[" + std::to_string(i) + "]", PyList_GET_ITEM(argv, i));

    Ref enabled(call_no_args(py.gc_isenabled));
    w.add_fact("gc.enabled", static_cast<std::int64_t>(enabled.get() == Py_True));
    int_tuple(w, "gc.count", py.gc_get_count);
    int_tuple(w, "gc.threshold", py.gc_get_threshold);
    gc_stats(w);
    w.add_fact("gc.garbage", static_cast<std::int64_t>(PyList_Check(py.gc_garbage) ? PyList_GET_SIZE(py.gc_garbage) : -1));
    Ref frozen(call_no_args(py.gc_get_freeze_count));
    w.add_fact("gc.freeze_count", as_int(frozen.get()));

    Ref tracing(call_no_args(py.tm_is_tracing));
    w.add_fact("tracemalloc.tracing", static_cast<std::int64_t>(tracing.get() == Py_True));
    Ref traced(call_no_args(py.tm_get_traced_memory));
    if (traced && PyTuple_Check(traced.get()) && PyTuple_GET_SIZE(traced.get()) == 2) {
        w.add_fact("tracemalloc.traced", as_int(PyTuple_GET_ITEM(traced.get(), 0)));
        w.add_fact("tracemalloc.peak", as_int(PyTuple_GET_ITEM(traced.get(), 1)));
    }
    Ref limit(call_no_args(py.tm_get_traceback_limit));
    w.add_fact("tracemalloc.traceback_limit", as_int(limit.get()));
    Ref blocks(call_no_args(py.sys_getallocatedblocks));
    w.add_fact("sys.allocated_blocks", as_int(blocks.get()));
    PyErr_Clear();
}

}  // namespace heapdiff::probe
