// The few C-API differences between CPython 3.8 and 3.15 that the probe meets, in one
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
#if PY_VERSION_HEX >= 0x030E0000
    return PyUnstable_IsImmortal(op);  // the public test from 3.14; _Py_IsImmortal is private
#elif PY_VERSION_HEX >= 0x030C0000
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

// The words CPython keeps before an object's GC header, from 3.11: the managed __dict__
// pointer and (from 3.12) the weakref list.
inline std::uintptr_t managed_preheader(PyTypeObject* tp) {
#if PY_VERSION_HEX >= 0x030C0000
    return (tp->tp_flags & Py_TPFLAGS_PREHEADER) ? 2 * sizeof(void*) : 0;
#elif PY_VERSION_HEX >= 0x030B0000
    return (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) ? 2 * sizeof(void*) : 0;
#else
    (void)tp;
    return 0;
#endif
}

// What sys.getsizeof adds to __sizeof__: the GC header and the managed pre-header.
// 3.11 and 3.12 decide "GC" from the type's flag alone, so static type objects count a
// header there.
inline Py_ssize_t getsizeof_extra(PyObject* op) {
    const std::uintptr_t gc_header = 2 * sizeof(void*);
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030D0000
    const bool gc = PyType_HasFeature(Py_TYPE(op), Py_TPFLAGS_HAVE_GC);
#else
    const bool gc = PyObject_IS_GC(op);
#endif
    return static_cast<Py_ssize_t>((gc ? gc_header : 0) + managed_preheader(Py_TYPE(op)));
}

// Where the memory block of an object starts: tracemalloc traces blocks, and a GC
// object's block begins with its GC header and managed pre-header. Computed here
// because 3.11's own get_object_traceback() forgets the pre-header and finds nothing
// for plain class instances.
inline std::uintptr_t allocation_start(PyObject* op) {
    PyTypeObject* tp = Py_TYPE(op);
    const std::uintptr_t gc_header = PyType_IS_GC(tp) ? 2 * sizeof(void*) : 0;
    return reinterpret_cast<std::uintptr_t>(op) - gc_header - managed_preheader(tp);
}

}  // namespace heapdiff::probe


