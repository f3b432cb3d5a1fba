// Read-only views of CPython 3.11+ internals that the public C API hides but an honest
// heap walk needs, compiled as C against the internal headers of the exact version:
// - a frame's interpreter-level fields: PyFrameObject is opaque, and a *running* frame's
//   tp_traverse shows neither its code nor its locals (the collector treats what running
//   frames hold as external references), yet a local of a running function is often
//   exactly what keeps a leaked object alive;
// - the collector's generation lists, walked in place (and the permanent generation,
//   which no public API lists);
// - tracemalloc's trace table (3.12+), which CPython only hands out as a list of tuples;
// - an instance's inline attribute values (no __dict__ materialised): traverse visits the
//   values, and only the type's shared keys say which attribute each one is.
#pragma once

#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

// kind: 0 = a named field (field is its name), 1 = a local or cell (name is its str).
typedef void (*heapdiff_frame_visit)(void* ctx, PyObject* target, int kind, const char* field, PyObject* name);

// Visits the frame's f_back field, code, globals, builtins, function, f_locals and local variables.
// Returns 1 when the frame is still running (what was visited is not in tp_traverse),
// 0 when the frame object owns a finished frame (tp_traverse already visits it), and
// -1 on versions before 3.11, where nothing is visited.
int heapdiff_frame_fields(PyObject* frame, heapdiff_frame_visit visit, void* ctx);

// Visits every object of GC generation 0, 1 or 2, or 3 for the permanent generation
// (what gc.freeze() moved there, and on 3.12 some static types' tuples from start-up),
// straight from the collector's lists: no Python list, no reference taken, nothing
// allocated. Returns how many, or -1 before 3.11 (use gc.get_objects() there).
typedef void (*heapdiff_object_visit)(void* ctx, PyObject* obj);
Py_ssize_t heapdiff_gc_generation(int generation, heapdiff_object_visit visit, void* ctx);

// Visits (name, value) of each inline attribute value of obj, in the shared keys' order.
// Returns the number visited; 0 when obj has a real __dict__ or none.
int heapdiff_inline_attributes(PyObject* obj, heapdiff_frame_visit visit, void* ctx);

// tracemalloc's tables read in place (3.12+, where its state lives in _PyRuntime): no
// Python object is built per traced block, and nothing the probe does is traced.
// heapdiff_tracemalloc_in_place() says whether the functions below work here.
int heapdiff_tracemalloc_in_place(void);
// Every traced block of every domain, under tracemalloc's table lock; `visit` must not
// allocate through Python. Returns 1, 0 when not tracing, -1 when not supported here.
typedef void (*heapdiff_trace_visit)(void* ctx, unsigned int domain, uintptr_t address, size_t size,
                                     const void* traceback);
int heapdiff_tracemalloc_traces(heapdiff_trace_visit visit, void* ctx);
// The interned traceback of the block at `block` in the default domain, or NULL.
const void* heapdiff_tracemalloc_block(uintptr_t block);
// Frame i (0 = most recent) of such a traceback; 0 past the last frame. The filename is
// set in *filename (a str, up to 3.14) or in *filename_utf8 (3.15+), the other one NULL.
int heapdiff_traceback_frame(const void* traceback, int i, PyObject** filename, const char** filename_utf8,
                             unsigned int* lineno, int* total_frames);

// NULL, or why the probe must not run in this interpreter (one line, for ImportError).
const char* heapdiff_layout_refusal(void);

#ifdef __cplusplus
}
#endif
