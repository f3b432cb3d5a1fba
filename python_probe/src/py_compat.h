// The few C-API differences between CPython 3.8 and 3.13 that the probe meets, in one
// place. Everything here is pure C; none of it runs Python code.
#pragma once

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include <cstdint>

namespace heapdiff::probe {

inline PyObject* call_one_arg(PyObject* callable, PyObject* arg) {
#if PY_VERSION_HEX >= 0x03090000
    return PyObject_CallOneArg(callable, arg);
#else
    return PyObject_CallFunctionObjArgs(callable, arg, nullptr);
#endif
}

inline PyObject* call_no_args(PyObject* callable) {
#if PY_VERSION_HEX >= 0x03090000
    return PyObject_CallNoArgs(callable);
#else
    return PyObject_CallFunctionObjArgs(callable, nullptr);
#endif
}

// New reference or NULL.
inline PyFrameObject* frame_back(PyFrameObject* f) {
#if PY_VERSION_HEX >= 0x03090000
    return PyFrame_GetBack(f);
#else
    Py_XINCREF(f->f_back);
    return f->f_back;
#endif
}

// New reference.
inline PyCodeObject* frame_code(PyFrameObject* f) {
#if PY_VERSION_HEX >= 0x03090000
    return PyFrame_GetCode(f);
#else
    Py_INCREF(f->f_code);
    return f->f_code;
#endif
}

inline bool is_immortal(PyObject* op) {
#if PY_VERSION_HEX >= 0x030C0000
    return _Py_IsImmortal(op);
#else
    (void)op;
    return false;
#endif
}

// PyObject_IS_GC plus the tracked bit, inlined: it runs for every edge of the heap.
// tp_is_gc says no for static type objects, which are never tracked.
inline bool is_gc_tracked(PyObject* op) {
    PyTypeObject* tp = Py_TYPE(op);
    if (!PyType_IS_GC(tp)) return false;
    if (tp->tp_is_gc && !tp->tp_is_gc(op)) return false;
    // The GC header sits right before the object; _gc_next != 0 means tracked
    // (that is what _PyObject_GC_IS_TRACKED reads on every version from 3.8).
    return reinterpret_cast<const std::uintptr_t*>(op)[-2] != 0;
}

// Starts loading the parts of an object the walk reads (type, refcount, GC header), so
// the cache misses of many objects overlap instead of queueing.
inline void prefetch_object(const void* op) {
    __builtin_prefetch(op);
    __builtin_prefetch(static_cast<const char*>(op) - 16);
}

// What sys.getsizeof adds to __sizeof__: the GC header and, from 3.11, the pre-header
// that holds a managed __dict__ (and from 3.12 the weakref list). 3.11 and 3.12 decide
// "GC" from the type's flag alone, so static type objects count a header there.
inline Py_ssize_t getsizeof_extra(PyObject* op) {
    const Py_ssize_t words2 = 2 * static_cast<Py_ssize_t>(sizeof(void*));
    PyTypeObject* tp = Py_TYPE(op);
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030D0000
    Py_ssize_t extra = PyType_HasFeature(tp, Py_TPFLAGS_HAVE_GC) ? words2 : 0;
#else
    Py_ssize_t extra = PyObject_IS_GC(op) ? words2 : 0;
#endif
#if PY_VERSION_HEX >= 0x030C0000
    if (tp->tp_flags & Py_TPFLAGS_PREHEADER) extra += words2;
#elif PY_VERSION_HEX >= 0x030B0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) extra += words2;
#else
    (void)tp;
#endif
    return extra;
}

// Where the memory block of an object starts: tracemalloc traces blocks, and a GC
// object's block begins with its GC header (and, from 3.11, the managed-dict
// pre-header). Computed here because 3.11's own get_object_traceback() forgets the
// pre-header and finds nothing for plain class instances.
inline std::uintptr_t allocation_start(PyObject* op) {
    PyTypeObject* tp = Py_TYPE(op);
    const std::uintptr_t words2 = 2 * sizeof(void*);
    std::uintptr_t pre = PyType_IS_GC(tp) ? words2 : 0;
#if PY_VERSION_HEX >= 0x030C0000
    if (tp->tp_flags & Py_TPFLAGS_PREHEADER) pre += words2;
#elif PY_VERSION_HEX >= 0x030B0000
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) pre += words2;
#endif
    return reinterpret_cast<std::uintptr_t>(op) - pre;
}

}  // namespace heapdiff::probe


