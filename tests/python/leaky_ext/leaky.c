/* A deliberately leaky C extension, built by tests/python/test_c_extension_leak.py.
 *
 * leaky.leak(n, size=1024) creates n bytes objects of `size` bytes each and drops its only
 * reference to them without Py_DECREF: nothing can reach them any more, from Python or
 * from C, yet they stay allocated for the life of the process. Returns None.
 * leaky.leaked() says how many objects leak() has leaked so far.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static Py_ssize_t leaked_total = 0;

static PyObject *leak(PyObject *self, PyObject *args) {
    Py_ssize_t n, size = 1024;
    (void)self;
    if (!PyArg_ParseTuple(args, "n|n:leak", &n, &size)) return NULL;
    if (n < 0 || size < 0) {
        PyErr_SetString(PyExc_ValueError, "n and size must not be negative");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *data = PyBytes_FromStringAndSize(NULL, size);
        if (data == NULL) return NULL;
        memset(PyBytes_AS_STRING(data), 'L', (size_t)size);
        leaked_total++;
        /* The bug: `data` should be Py_DECREF'd (or stored somewhere) here. */
    }
    Py_RETURN_NONE;
}

static PyObject *leaked(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return PyLong_FromSsize_t(leaked_total);
}

static PyMethodDef leaky_methods[] = {
    {"leak", leak, METH_VARARGS, "leak(n, size=1024): create n bytes objects of size bytes and leak them."},
    {"leaked", leaked, METH_NOARGS, "leaked() -> how many objects leak() has leaked."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef leaky_module = {
    PyModuleDef_HEAD_INIT, "leaky", "A C extension that leaks references, for heapdiff's tests.", -1, leaky_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_leaky(void) { return PyModule_Create(&leaky_module); }
