/* The C-extension story heapdiff serves, compiled by the tests: a line tracer that counts
 * line events in a dict keyed by line number, and takes one reference too many on every
 * key it makes (PyLong_FromLong's new reference is never released; the dict takes its
 * own). Nothing refers to the leaked ints: only their reference counts keep them alive.
 * Also leak_keys(d): the same mistake as ujson 5.1.0, which kept a reference to every
 * non-str key of every dict it encoded. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h> /* PyFrameObject: not in Python.h before 3.11 */

static PyObject* counts; /* line -> hits */
static long leaked;      /* ints leaked so far: the tests' expected answer */

static int trace(PyObject* obj, PyFrameObject* frame, int what, PyObject* arg) {
    (void)obj;
    (void)arg;
    if (what != PyTrace_LINE) return 0;
    PyObject* line = PyLong_FromLong(PyFrame_GetLineNumber(frame) + 100000); /* never small-int cached */
    if (!line) return -1;
    PyObject* old = PyDict_GetItem(counts, line);
    long n = old ? PyLong_AsLong(old) + 1 : 1;
    PyObject* hits = PyLong_FromLong(n);
    int rc = PyDict_SetItem(counts, line, hits);
    Py_DECREF(hits);
    if (old) ++leaked; /* the dict kept its first key for this line: nothing refers to `line` */
    /* the bug: Py_DECREF(line) is missing */
    return rc;
}

static PyObject* start(PyObject* self, PyObject* noargs) {
    (void)self;
    (void)noargs;
    PyEval_SetTrace(trace, NULL);
    Py_RETURN_NONE;
}

static PyObject* stop(PyObject* self, PyObject* noargs) {
    (void)self;
    (void)noargs;
    PyEval_SetTrace(NULL, NULL);
    Py_RETURN_NONE;
}

static PyObject* leaked_ints(PyObject* self, PyObject* noargs) {
    (void)self;
    (void)noargs;
    return PyLong_FromLong(leaked);
}

static PyObject* leak_keys(PyObject* self, PyObject* d) {
    (void)self;
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "a dict");
        return NULL;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    long n = 0;
    while (PyDict_Next(d, &pos, &key, &value)) {
        if (PyUnicode_Check(key)) continue;
        Py_INCREF(key); /* the bug: kept "for later", never released */
        ++n;
    }
    return PyLong_FromLong(n);
}

/* ujson 5.3.0's other leak: a buffer of `size` bytes (PyMem_Malloc, so tracemalloc traces
 * it) kept on an error path and never freed. No object at all: only traced blocks show it.
 * With keep=0 the buffer is freed again (churn). */
static PyObject* leak_buffer(PyObject* self, PyObject* args) {
    (void)self;
    Py_ssize_t size;
    int keep = 1;
    if (!PyArg_ParseTuple(args, "n|p:leak_buffer", &size, &keep)) return NULL;
    char* buffer = PyMem_Malloc((size_t)size);
    if (!buffer) return PyErr_NoMemory();
    memset(buffer, 'u', (size_t)size);
    if (!keep) PyMem_Free(buffer);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"start", start, METH_NOARGS, "start tracing lines"},
    {"stop", stop, METH_NOARGS, "stop tracing lines"},
    {"leaked", leaked_ints, METH_NOARGS, "how many ints the tracer leaked so far"},
    {"leak_buffer", leak_buffer, METH_VARARGS, "leak_buffer(size, keep=True): allocate a raw buffer, keep it"},
    {"leak_keys", leak_keys, METH_O, "keep a reference to every non-str key of a dict"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "leaky_tracer", NULL, -1, methods};

PyMODINIT_FUNC PyInit_leaky_tracer(void) {
    counts = PyDict_New();
    if (!counts) return NULL;
    PyObject* m = PyModule_Create(&module);
    Py_INCREF(counts);
    if (m && PyModule_AddObject(m, "counts", counts) < 0) Py_DECREF(counts);
    return m;
}
