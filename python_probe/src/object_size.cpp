#include "object_size.h"

#include <cstdlib>

#include "python_refs.h"

namespace heapdiff::probe {

namespace {

// How many items object.__sizeof__'s formula multiplies the item size by. An int keeps
// its sign in ob_size before 3.12 and its digit count shifted left by 3 (with sign bits
// below) since: read as a plain length, a negative int subclass gave a wrapped size of
// 2**64 - 1284 bytes. Other variable-size objects have a non-negative ob_size.
Py_ssize_t item_count(PyObject* obj) {
    if (PyLong_Check(obj)) {
#if PY_VERSION_HEX >= 0x030C0000
        // long_value.lv_tag: digits << 3 | sign; int.__sizeof__ counts at least one digit.
        const auto tag = reinterpret_cast<PyLongObject*>(obj)->long_value.lv_tag;
        const auto digits = static_cast<Py_ssize_t>(tag >> 3);
        return digits > 0 ? digits : 1;
#else
        return std::labs(Py_SIZE(obj));
#endif
    }
    const Py_ssize_t n = Py_SIZE(obj);
    return n > 0 ? n : 0;
}

// object.__sizeof__'s own formula.
Py_ssize_t basic_size(PyObject* obj) {
    PyTypeObject* tp = Py_TYPE(obj);
    Py_ssize_t size = tp->tp_basicsize;
    if (tp->tp_itemsize > 0) size += item_count(obj) * tp->tp_itemsize;
    return size;
}

// A trusted C __sizeof__: its C function called directly when it takes no argument (what
// every trusted one does: no argument tuple, no bound method), else through the descriptor.
PyObject* call_sizeof(PyObject* method, PyObject* obj) {
    PyMethodDef* def = reinterpret_cast<PyMethodDescrObject*>(method)->d_method;
    const int kinds = METH_VARARGS | METH_KEYWORDS | METH_NOARGS | METH_O
#ifdef METH_FASTCALL
                      | METH_FASTCALL
#endif
#ifdef METH_METHOD
                      | METH_METHOD
#endif
        ;
    if ((def->ml_flags & kinds) == METH_NOARGS) return def->ml_meth(obj, nullptr);
    return call_one_arg(method, obj);
}

}  // namespace

std::uint64_t object_size(PyObject* obj, const TypeEntry& type, std::uint64_t max_size, bool* approximate) {
    Py_ssize_t size = -1;
    switch (type.size_rule) {
        case SizeRule::Basic: size = basic_size(obj); break;
        case SizeRule::TrustedC: {
            Ref result(call_sizeof(type.sizeof_method, obj));
            if (result && PyLong_Check(result.get())) size = PyLong_AsSsize_t(result.get());
            if (size < 0) PyErr_Clear();
            break;
        }
        case SizeRule::List:
            size = Py_TYPE(obj)->tp_basicsize +
                   reinterpret_cast<PyListObject*>(obj)->allocated * static_cast<Py_ssize_t>(sizeof(PyObject*));
            break;
        case SizeRule::Approximate: break;
    }
    if (size < 0) {
        size = basic_size(obj);
        *approximate = true;
    }
    std::uint64_t total = static_cast<std::uint64_t>(size) + static_cast<std::uint64_t>(getsizeof_extra(obj));
    // No object is larger than the process's address space: a size past it is wrong (a
    // corrupt length), and one wrong size would dominate every total it is part of.
    if (total > max_size) {
        total = static_cast<std::uint64_t>(Py_TYPE(obj)->tp_basicsize) + static_cast<std::uint64_t>(getsizeof_extra(obj));
        *approximate = true;
    }
    return total;
}

}  // namespace heapdiff::probe
