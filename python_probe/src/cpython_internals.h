// Read-only views of CPython 3.11+ internals that the public C API hides but an honest
// heap walk needs, compiled as C against the internal headers of the exact version:
// - a frame's interpreter-level fields: PyFrameObject is opaque, and a *running* frame's
//   tp_traverse shows neither its code nor its locals (the collector treats what running
//   frames hold as external references), yet a local of a running function is often
//   exactly what keeps a leaked object alive;
// - the collector's generation lists, walked in place (and the permanent generation,
//   which no public API lists);
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

#ifdef __cplusplus
}
#endif
