#include "object_size.h"

#include "python_refs.h"

namespace heapdiff::probe {

namespace {

// object.__sizeof__'s own formula.
Py_ssize_t basic_size(PyObject* obj) {
    PyTypeObject* tp = Py_TYPE(obj);
    Py_ssize_t size = tp->tp_basicsize;
    if (tp->tp_itemsize > 0) size += Py_SIZE(obj) * tp->tp_itemsize;
    return size;
}

}  // namespace

std::uint64_t object_size(PyObject* obj, const TypeEntry& type, bool* approximate) {
    Py_ssize_t size = -1;
    if (type.default_sizeof) {
        size = basic_size(obj);
    } else if (type.sizeof_method) {
        Ref result(call_one_arg(type.sizeof_method, obj));
        if (result && PyLong_Check(result.get())) size = PyLong_AsSsize_t(result.get());
        if (size < 0) PyErr_Clear();
    }
    if (size < 0) {
        size = basic_size(obj);
        *approximate = true;
    }
    return static_cast<std::uint64_t>(size + getsizeof_extra(obj));
}

}  // namespace heapdiff::probe
