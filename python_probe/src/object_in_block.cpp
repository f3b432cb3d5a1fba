#include "object_in_block.h"

#include <cstdint>

namespace heapdiff::probe {

// Each size is the one the type's own allocation asked for, computed from fields that
// are read only after the fields before them were found sane.
// The scan runs on 3.12+ only (allocator_blocks.h): the layouts below are 3.12's and later.
std::size_t checked_object_size(PyObject* obj, const TypeEntry& type, std::size_t room) {
#if PY_VERSION_HEX < 0x030C0000
    (void)obj;
    (void)type;
    (void)room;
    return 0;
#else
    PyTypeObject* tp = Py_TYPE(obj);
    if (tp == &PyLong_Type) {
        const std::uintptr_t digits = reinterpret_cast<PyLongObject*>(obj)->long_value.lv_tag >> 3;
        if (digits > room) return 0;
        return offsetof(PyLongObject, long_value.ob_digit) + (digits ? digits : 1) * sizeof(digit);
    }
    if (tp == &PyUnicode_Type) {
        // Only compact strs keep their characters inside the object.
        const auto* ascii = reinterpret_cast<PyASCIIObject*>(obj);
        if (!ascii->state.compact) return 0;
        const Py_ssize_t length = ascii->length;
        const unsigned kind = ascii->state.kind;
        if (length < 0 || static_cast<std::size_t>(length) > room || (kind != 1 && kind != 2 && kind != 4)) return 0;
        if (ascii->state.ascii) return kind == 1 ? sizeof(PyASCIIObject) + static_cast<std::size_t>(length) + 1 : 0;
        return sizeof(PyCompactUnicodeObject) + (static_cast<std::size_t>(length) + 1) * kind;
    }
    if (tp == &PyFloat_Type) return sizeof(PyFloatObject);
    if (tp == &PyBytes_Type) {
        const Py_ssize_t length = Py_SIZE(obj);
        if (length < 0 || static_cast<std::size_t>(length) > room) return 0;
        return offsetof(PyBytesObject, ob_sval) + static_cast<std::size_t>(length) + 1;
    }
    if (tp == &PyTuple_Type) {
        const Py_ssize_t length = Py_SIZE(obj);
        if (length <= 0 || static_cast<std::size_t>(length) > room / sizeof(PyObject*)) return 0;
        return static_cast<std::size_t>(tp->tp_basicsize) + static_cast<std::size_t>(length) * sizeof(PyObject*);
    }
    // Any other type: only fixed-size ones without GC, whose size is the type's alone and
    // whose __sizeof__ (if any) the probe would not run anyway.
    if (PyType_IS_GC(tp) || tp->tp_itemsize != 0 || tp->tp_basicsize <= 0 || type.size_rule != SizeRule::Basic) return 0;
    return static_cast<std::size_t>(tp->tp_basicsize);
#endif
}

}  // namespace heapdiff::probe
