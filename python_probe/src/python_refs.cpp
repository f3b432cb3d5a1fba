#include "python_refs.h"

#include "utf8_text.h"

namespace heapdiff::probe {
namespace {

PythonRefs g_refs;

bool attr(PyObject* module, const char* name, PyObject*& out) {
    out = PyObject_GetAttrString(module, name);  // kept for the life of the process
    return out != nullptr;
}

}  // namespace

bool load_python_refs(PythonRefs& r) {
    Ref gc(PyImport_ImportModule("gc"));
    Ref tm(PyImport_ImportModule("_tracemalloc"));
    Ref sys(PyImport_ImportModule("sys"));
    if (!gc || !tm || !sys) return false;
    return attr(gc.get(), "get_objects", r.gc_get_objects) && attr(gc.get(), "isenabled", r.gc_isenabled) &&
           attr(gc.get(), "enable", r.gc_enable) && attr(gc.get(), "disable", r.gc_disable) &&
           attr(gc.get(), "get_count", r.gc_get_count) && attr(gc.get(), "get_threshold", r.gc_get_threshold) &&
           attr(gc.get(), "get_stats", r.gc_get_stats) && attr(gc.get(), "get_freeze_count", r.gc_get_freeze_count) &&
           attr(gc.get(), "garbage", r.gc_garbage) && attr(tm.get(), "is_tracing", r.tm_is_tracing) &&
           attr(tm.get(), "_get_traces", r.tm_get_traces) &&
           attr(tm.get(), "get_traced_memory", r.tm_get_traced_memory) &&
           attr(tm.get(), "get_traceback_limit", r.tm_get_traceback_limit) &&
           attr(sys.get(), "_current_frames", r.sys_current_frames) &&
           attr(sys.get(), "getallocatedblocks", r.sys_getallocatedblocks) && (g_refs = r, true);
}

const PythonRefs& python_refs() { return g_refs; }

std::string take_python_error(const char* context) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    std::string message = context;
    if (type) {
        message += ": ";
        message += reinterpret_cast<PyTypeObject*>(type)->tp_name;
        PyObject* text = value ? PyObject_Str(value) : nullptr;  // a builtin exception's str
        std::string s;
        if (text && utf8_prefix(text, 300, s) && !s.empty()) message += ": " + s;
        Py_XDECREF(text);
        PyErr_Clear();
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return message;
}

}  // namespace heapdiff::probe
