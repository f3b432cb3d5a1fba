/* Compiled as C with Py_BUILD_CORE: the internal headers describe _PyInterpreterFrame for
 * exactly the CPython version this extension is built against. Read-only: nothing here
 * allocates, materialises or changes a frame. */
#include <patchlevel.h> /* PY_VERSION_HEX, before Python.h decides what it declares */

#if PY_VERSION_HEX >= 0x030B0000
#define Py_BUILD_CORE 1
#endif
#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000
#include <internal/pycore_dict.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_gc.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_object.h>
#include <internal/pycore_pystate.h>
#endif

#include "cpython_internals.h"

int heapdiff_frame_fields(PyObject* frame, heapdiff_frame_visit visit, void* ctx) {
#if PY_VERSION_HEX >= 0x030B0000
    _PyInterpreterFrame* f = ((PyFrameObject*)frame)->f_frame;
    if (!f) return 0;

#if PY_VERSION_HEX >= 0x030D0000
    PyObject* code_obj = f->f_executable;
    PyObject* func = f->f_funcobj;
#elif PY_VERSION_HEX >= 0x030C0000
    PyObject* code_obj = (PyObject*)f->f_code;
    PyObject* func = f->f_funcobj;
#else
    PyObject* code_obj = (PyObject*)f->f_code;
    PyObject* func = (PyObject*)f->f_func;
#endif
    int running = f->owner != FRAME_OWNED_BY_FRAME_OBJECT;
    PyFrameObject* back = ((PyFrameObject*)frame)->f_back; /* the field, never materialised */
    if (back) visit(ctx, (PyObject*)back, 0, "f_back", NULL);
    if (code_obj) visit(ctx, code_obj, 0, "f_code", NULL);
    if (f->f_globals) visit(ctx, f->f_globals, 0, "f_globals", NULL);
    if (f->f_builtins) visit(ctx, f->f_builtins, 0, "f_builtins", NULL);
    if (f->f_locals) visit(ctx, f->f_locals, 0, "f_locals", NULL);
    if (func) visit(ctx, func, 0, "f_func", NULL);
    if (code_obj && PyCode_Check(code_obj)) {
        PyCodeObject* co = (PyCodeObject*)code_obj;
        PyObject* names = co->co_localsplusnames;
        for (int i = 0; i < co->co_nlocalsplus; ++i) {
            PyObject* value = f->localsplus[i];
            if (value) visit(ctx, value, 1, NULL, names && i < PyTuple_GET_SIZE(names) ? PyTuple_GET_ITEM(names, i) : NULL);
        }
    }
    return running;
#else
    (void)frame;
    (void)visit;
    (void)ctx;
    return -1;
#endif
}

int heapdiff_inline_attributes(PyObject* obj, heapdiff_frame_visit visit, void* ctx) {
#if PY_VERSION_HEX >= 0x030B0000
    PyTypeObject* tp = Py_TYPE(obj);
    if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) || !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE)) return 0;
    PyDictKeysObject* keys = ((PyHeapTypeObject*)tp)->ht_cached_keys;
    if (!keys) return 0;
    Py_ssize_t n = keys->dk_nentries;
#if PY_VERSION_HEX >= 0x030D0000
    if (!(tp->tp_flags & Py_TPFLAGS_INLINE_VALUES)) return 0;
    PyDictValues* values = _PyObject_InlineValues(obj);
    if (!values->valid) return 0;
    if (n > values->capacity) n = values->capacity;
#elif PY_VERSION_HEX >= 0x030C0000
    PyDictOrValues dorv = *_PyObject_DictOrValuesPointer(obj);
    if (!_PyDictOrValues_IsValues(dorv)) return 0;
    PyDictValues* values = _PyDictOrValues_GetValues(dorv);
#else
    PyDictValues* values = *_PyObject_ValuesPointer(obj);
    if (!values) return 0;
#endif
    int visited = 0;
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* value = values->values[i];
        if (!value) continue;
        visit(ctx, value, 1, NULL, DK_UNICODE_ENTRIES(keys)[i].me_key);
        ++visited;
    }
    return visited;
#else
    (void)obj;
    (void)visit;
    (void)ctx;
    return 0;
#endif
}

Py_ssize_t heapdiff_gc_generation(int generation, heapdiff_object_visit visit, void* ctx) {
#if PY_VERSION_HEX >= 0x030B0000
    if (generation < 0 || generation > NUM_GENERATIONS) return -1;
    PyInterpreterState* interp = PyInterpreterState_Get(); /* exported; _GET() reads an unexported TLS */
    PyGC_Head* head = generation == NUM_GENERATIONS ? &interp->gc.permanent_generation.head
                                                    : &interp->gc.generations[generation].head;
    Py_ssize_t n = 0;
    PyGC_Head* g = _PyGCHead_NEXT(head);
    while (g && g != head) {
        visit(ctx, (PyObject*)((char*)g + sizeof(PyGC_Head)));
        ++n;
        /* Read after the visit: an object the visit allocated and freed again (a
         * traceback tuple) was linked after this one and is unlinked by now. */
        g = _PyGCHead_NEXT(g);
    }
    return n;
#else
    (void)generation;
    (void)visit;
    (void)ctx;
    return -1;
#endif
}
