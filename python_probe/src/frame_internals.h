// A frame's interpreter-level fields on CPython 3.11+, where PyFrameObject is opaque and
// a *running* frame's tp_traverse shows neither its code nor its locals (the collector
// treats what running frames hold as external references). The probe needs both: a
// local of a running function is often exactly what keeps a leaked object alive.
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

#ifdef __cplusplus
}
#endif
