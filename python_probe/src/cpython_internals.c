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
#if PY_VERSION_HEX >= 0x030C0000
#include <internal/pycore_hashtable.h>
#include <internal/pycore_runtime.h>
#include <internal/pycore_tracemalloc.h>
#endif
#if PY_VERSION_HEX >= 0x030E0000
#include <internal/pycore_stackref.h>
#endif

#include "cpython_internals.h"

#if PY_VERSION_HEX >= 0x030E0000
/* 3.14+: frame fields are _PyStackRef (a tagged pointer). The null stackref and tagged
 * integers (which the interpreter may leave in a slot) are no objects: NULL then. */
static PyObject* heapdiff_stackref_object(_PyStackRef ref) {
    if (PyStackRef_IsNullOrInt(ref)) return NULL;
    return PyStackRef_AsPyObjectBorrow(ref);
}
#endif

const char* heapdiff_layout_refusal(void) {
#if PY_VERSION_HEX >= 0x030E0000 && PY_VERSION_HEX < 0x030E0500
    return "heapdiff: this probe was built against CPython 3.14.0-3.14.4, whose incremental "
           "collector's generation layout it cannot trust; use 3.14.5 or newer";
#elif PY_VERSION_HEX >= 0x030B0000
    /* Built against trusted headers, but the running interpreter may be another patch
     * release of the same minor: 3.14.0-3.14.4 keep the incremental GC's layout. */
    if (Py_Version >= 0x030E0000 && Py_Version < 0x030E0500)
        return "heapdiff: CPython 3.14.0-3.14.4 (incremental collector, reverted in 3.14.5) "
               "has a GC layout the probe cannot trust; use 3.14.5 or newer";
    return NULL;
#else
    return NULL;
#endif
}

int heapdiff_frame_fields(PyObject* frame, heapdiff_frame_visit visit, void* ctx) {
#if PY_VERSION_HEX >= 0x030B0000
    _PyInterpreterFrame* f = ((PyFrameObject*)frame)->f_frame;
    if (!f) return 0;

#if PY_VERSION_HEX >= 0x030E0000
    PyObject* code_obj = heapdiff_stackref_object(f->f_executable);
    PyObject* func = heapdiff_stackref_object(f->f_funcobj);
#elif PY_VERSION_HEX >= 0x030D0000
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
#if PY_VERSION_HEX >= 0x030E0000
            PyObject* value = heapdiff_stackref_object(f->localsplus[i]);
#else
            PyObject* value = f->localsplus[i];
#endif
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
        /* The next object's header is a cache miss the visit would wait for: start it now
         * (a hint only, it never faults; the next pointer is read again after the visit). */
        PyGC_Head* ahead = _PyGCHead_NEXT(g);
        __builtin_prefetch(ahead);
        __builtin_prefetch((char*)ahead - 16); /* 3.11+'s managed dict / values pointers */
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

#if PY_VERSION_HEX >= 0x030C0000
/* Python/tracemalloc.c's trace_t, which no header declares: a block's size and its
 * interned traceback. Unchanged in 3.12 and 3.13. */
typedef struct {
    size_t size;
    struct tracemalloc_traceback* traceback;
} heapdiff_trace_t;

#define HEAPDIFF_TM (_PyRuntime.tracemalloc)
#if PY_VERSION_HEX >= 0x030E0000
/* 3.14 made the tables lock a PyMutex embedded in the state. */
#define HEAPDIFF_TM_LOCK() PyMutex_Lock(&HEAPDIFF_TM.tables_lock)
#define HEAPDIFF_TM_UNLOCK() PyMutex_Unlock(&HEAPDIFF_TM.tables_lock)
#else
#define HEAPDIFF_TM_LOCK() PyThread_acquire_lock(HEAPDIFF_TM.tables_lock, 1)
#define HEAPDIFF_TM_UNLOCK() PyThread_release_lock(HEAPDIFF_TM.tables_lock)
#endif

struct heapdiff_trace_walk {
    heapdiff_trace_visit visit;
    void* ctx;
    unsigned int domain;
};

static int heapdiff_each_trace(_Py_hashtable_t* ht, const void* key, const void* value, void* user) {
    (void)ht;
    struct heapdiff_trace_walk* w = (struct heapdiff_trace_walk*)user;
    const heapdiff_trace_t* t = (const heapdiff_trace_t*)value;
    w->visit(w->ctx, w->domain, (uintptr_t)key, t->size, t->traceback);
    return 0;
}

static int heapdiff_each_domain(_Py_hashtable_t* ht, const void* key, const void* value, void* user) {
    (void)ht;
    struct heapdiff_trace_walk* w = (struct heapdiff_trace_walk*)user;
    w->domain = (unsigned int)(uintptr_t)key;
    return _Py_hashtable_foreach((_Py_hashtable_t*)value, heapdiff_each_trace, w);
}
#endif

int heapdiff_tracemalloc_traces(heapdiff_trace_visit visit, void* ctx) {
#if PY_VERSION_HEX >= 0x030C0000
    if (!HEAPDIFF_TM.config.tracing || !HEAPDIFF_TM.traces) return 0;
    struct heapdiff_trace_walk w = {visit, ctx, 0};
    /* Blocks of the raw domain are traced without the GIL: the tables lock keeps other
     * threads out while we read. `visit` must not allocate through Python. */
    HEAPDIFF_TM_LOCK();
    _Py_hashtable_foreach(HEAPDIFF_TM.traces, heapdiff_each_trace, &w);
    if (HEAPDIFF_TM.domains) _Py_hashtable_foreach(HEAPDIFF_TM.domains, heapdiff_each_domain, &w);
    HEAPDIFF_TM_UNLOCK();
    return 1;
#else
    (void)visit;
    (void)ctx;
    return -1;
#endif
}

const void* heapdiff_tracemalloc_block(uintptr_t block) {
#if PY_VERSION_HEX >= 0x030C0000
    if (!HEAPDIFF_TM.config.tracing || !HEAPDIFF_TM.traces) return NULL;
    HEAPDIFF_TM_LOCK();
    const heapdiff_trace_t* t = (const heapdiff_trace_t*)_Py_hashtable_get(HEAPDIFF_TM.traces, (const void*)block);
    const void* tb = t ? (const void*)t->traceback : NULL;
    HEAPDIFF_TM_UNLOCK();
    return tb;
#else
    (void)block;
    return NULL;
#endif
}

int heapdiff_traceback_frame(const void* traceback, int i, PyObject** filename, const char** filename_utf8,
                             unsigned int* lineno, int* total_frames) {
#if PY_VERSION_HEX >= 0x030C0000
    const struct tracemalloc_traceback* tb = (const struct tracemalloc_traceback*)traceback;
    *total_frames = tb->total_nframe;
    if (i < 0 || i >= tb->nframe) return 0;
#if PY_VERSION_HEX >= 0x030F0000
    /* 3.15 interns filenames as NUL-terminated UTF-8 strings, no longer str objects. */
    *filename = NULL;
    *filename_utf8 = tb->frames[i].filename;
#else
    *filename = tb->frames[i].filename;
    *filename_utf8 = NULL;
#endif
    *lineno = tb->frames[i].lineno;
    return 1;
#else
    (void)traceback;
    (void)i;
    (void)filename;
    (void)filename_utf8;
    (void)lineno;
    (void)total_frames;
    return 0;
#endif
}

int heapdiff_tracemalloc_in_place(void) { return PY_VERSION_HEX >= 0x030C0000; }
