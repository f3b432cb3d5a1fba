// The Python callables the probe uses, looked up once when the module is imported (an
// import during a dump could run user import hooks), and a small owning reference.
#pragma once

#include "py_compat.h"

#include <string>

namespace heapdiff::probe {

class Ref {
public:
    Ref() = default;
    explicit Ref(PyObject* owned) : p_(owned) {}
    Ref(const Ref&) = delete;
    Ref& operator=(const Ref&) = delete;
    Ref(Ref&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
    Ref& operator=(Ref&& o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~Ref() { Py_XDECREF(p_); }
    PyObject* get() const { return p_; }
    explicit operator bool() const { return p_ != nullptr; }

private:
    PyObject* p_ = nullptr;
};

struct PythonRefs {
    PyObject* gc_get_objects = nullptr;
    PyObject* gc_isenabled = nullptr;
    PyObject* gc_enable = nullptr;
    PyObject* gc_disable = nullptr;
    PyObject* gc_get_count = nullptr;
    PyObject* gc_get_threshold = nullptr;
    PyObject* gc_get_stats = nullptr;
    PyObject* gc_get_freeze_count = nullptr;
    PyObject* gc_garbage = nullptr;
    PyObject* tm_is_tracing = nullptr;
    PyObject* tm_get_traces = nullptr;
    PyObject* tm_get_traced_memory = nullptr;
    PyObject* tm_get_traceback_limit = nullptr;
    PyObject* sys_current_frames = nullptr;
    PyObject* sys_getallocatedblocks = nullptr;
};

// Filled by the module's init; false with a Python error set on failure.
bool load_python_refs(PythonRefs& refs);
const PythonRefs& python_refs();

// Converts the pending Python exception into a message and clears it.
std::string take_python_error(const char* context);

}  // namespace heapdiff::probe
