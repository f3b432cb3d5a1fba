#include "object_size.h"

#include "python_refs.h"

namespace heapdiff::probe {

std::uint64_t object_size(PyObject* obj, const TypeEntry& type, bool* approximate) {
    PyTypeObject* tp = Py_TYPE(obj);
    Py_ssize_t size = -1;
    if (type.sizeof_method) {
        Ref result(call_one_arg(type.sizeof_method, obj));
        if (result && PyLong_Check(result.get())) size = PyLong_AsSsize_t(result.get());
        if (size < 0) PyErr_Clear();
    }
    if (size < 0) {
        // object.__sizeof__'s own formula.
        size = tp->tp_basicsize;
        if (tp->tp_itemsize) {
            Py_ssize_t n = Py_SIZE(obj);
            size += (n < 0 ? -n : n) * tp->tp_itemsize;
        }
        *approximate = true;
    }
    return static_cast<std::uint64_t>(size + getsizeof_extra(obj));
}

}  // namespace heapdiff::probe
