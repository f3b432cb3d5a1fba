#include "memory_binding.h"

#include <cstdint>
#include <optional>
#include <string>

#include "heapdiff/process_memory.h"

namespace heapdiff::probe {
namespace {

PyObject* int_or_none(const std::optional<std::int64_t>& value) {
    if (!value) Py_RETURN_NONE;
    return PyLong_FromLongLong(*value);
}

// d[key] = value (a new reference, stolen); false with an exception set on failure.
bool set_item(PyObject* d, const char* key, PyObject* value) {
    if (!value) return false;
    const int rc = PyDict_SetItemString(d, key, value);
    Py_DECREF(value);
    return rc == 0;
}

PyObject* rollup_dict(const std::optional<process::MemoryRollup>& rollup) {
    if (!rollup) Py_RETURN_NONE;
    PyObject* d = PyDict_New();
    if (!d) return nullptr;
    if (set_item(d, "rss", PyLong_FromLongLong(rollup->rss)) && set_item(d, "pss", PyLong_FromLongLong(rollup->pss)) &&
        set_item(d, "private_dirty", PyLong_FromLongLong(rollup->private_dirty)) &&
        set_item(d, "swap", PyLong_FromLongLong(rollup->swap)))
        return d;
    Py_DECREF(d);
    return nullptr;
}

}  // namespace

PyObject* process_memory_py(PyObject*, PyObject* args, PyObject* kwargs) {
    static const char* keywords[] = {"cgroup_root", "smaps", nullptr};
    PyObject* root_arg = Py_None;
    int smaps = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|Op:process_memory", const_cast<char**>(keywords), &root_arg,
                                     &smaps))
        return nullptr;
    std::optional<std::string> cgroup_root;
    if (root_arg != Py_None) {
        PyObject* encoded = nullptr;  // str or bytes; ValueError for a NUL byte
        if (!PyUnicode_FSConverter(root_arg, &encoded)) return nullptr;
        cgroup_root.emplace(PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded)));
        Py_DECREF(encoded);
    }
    PyObject* d = PyDict_New();
    if (!d) return nullptr;
    bool ok = set_item(d, "rss", int_or_none(process::resident_bytes())) &&
              set_item(d, "peak_rss", int_or_none(process::peak_resident_bytes())) &&
              set_item(d, "machine_memory", int_or_none(process::machine_memory_bytes()));
    if (ok && cgroup_root) {
        const process::CgroupMemory cgroup = process::cgroup_memory(*cgroup_root);
        ok = set_item(d, "cgroup_limit", int_or_none(cgroup.limit)) &&
             set_item(d, "cgroup_current", int_or_none(cgroup.current));
    }
    if (ok && smaps) ok = set_item(d, "smaps", rollup_dict(process::memory_rollup()));
    if (ok) return d;
    Py_DECREF(d);
    return nullptr;
}

PyObject* resident_bytes_py(PyObject*, PyObject*) { return int_or_none(process::resident_bytes()); }

}  // namespace heapdiff::probe
