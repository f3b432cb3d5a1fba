#include "display_value.h"

#include <cstdio>

#include "utf8_text.h"

namespace heapdiff::probe {
namespace {

// Returns false when not every byte fitted.
bool bytes_text(const char* data, Py_ssize_t n, std::string& out) {
    static const char hex[] = "0123456789abcdef";
    out = "b'";
    Py_ssize_t i = 0;
    for (; i < n && out.size() < kMaxValueBytes - 4; ++i) {
        unsigned char c = static_cast<unsigned char>(data[i]);
        if (c >= 32 && c < 127 && c != '\\' && c != '\'') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    out += '\'';
    return i == n;
}

// True when `out` holds every character of the str.
bool whole_str(PyObject* str, const std::string& out) {
    std::size_t chars = 0;
    for (unsigned char c : out) chars += (c & 0xC0) != 0x80;
    return static_cast<Py_ssize_t>(chars) == PyUnicode_GET_LENGTH(str);
}

void code_text(PyCodeObject* co, int line, std::string& out) {
    std::string name, file;
    utf8_prefix(co->co_name, 40, name);
    utf8_prefix(co->co_filename, 200, file);
    std::size_t slash = file.rfind('/');
    if (slash != std::string::npos) file = file.substr(slash + 1);
    out = name + " " + file + ":" + std::to_string(line);
}

}  // namespace

bool display_value(PyObject* obj, std::string& out) {
    out.clear();
    bool whole = true;
    if (PyUnicode_Check(obj)) {
        whole = utf8_prefix(obj, kMaxValueBytes, out) && whole_str(obj, out);
    } else if (PyBytes_Check(obj)) {
        whole = bytes_text(PyBytes_AS_STRING(obj), PyBytes_GET_SIZE(obj), out);
    } else if (PyBool_Check(obj)) {
        out = obj == Py_True ? "True" : "False";
    } else if (PyLong_Check(obj)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
        if (!overflow && !(v == -1 && PyErr_Occurred())) out = std::to_string(v);
        PyErr_Clear();
    } else if (PyFloat_CheckExact(obj)) {
        // repr()'s own C formatter (shortest round-trip, "1.0", "1e+16"): labels show
        // [0.1], not [0.10000000000000001]. It allocates a few bytes and runs no Python.
        char* text = PyOS_double_to_string(PyFloat_AS_DOUBLE(obj), 'r', 0, Py_DTSF_ADD_DOT_0, nullptr);
        if (text) out = text;
        else PyErr_Clear();
        PyMem_Free(text);
    } else if (obj == Py_None) {
        out = "None";
    } else if (PyModule_Check(obj)) {
        PyObject* name = dict_get_str(PyModule_GetDict(obj), "__name__");
        if (name) utf8_prefix(name, kMaxValueBytes, out);
    } else if (PyType_Check(obj)) {
        out = qualified_type_name(reinterpret_cast<PyTypeObject*>(obj));
    } else if (PyFunction_Check(obj)) {
        utf8_prefix(reinterpret_cast<PyFunctionObject*>(obj)->func_qualname, kMaxValueBytes, out);
    } else if (PyCFunction_Check(obj)) {
        const char* name = reinterpret_cast<PyCFunctionObject*>(obj)->m_ml->ml_name;
        if (name) out = name;
    } else if (PyCode_Check(obj)) {
        auto* co = reinterpret_cast<PyCodeObject*>(obj);
        code_text(co, co->co_firstlineno, out);
    } else if (PyFrame_Check(obj)) {
        auto* f = reinterpret_cast<PyFrameObject*>(obj);
        PyCodeObject* co = frame_code(f);
        code_text(co, PyFrame_GetLineNumber(f), out);
        Py_DECREF(co);
    }
    if (out.size() > kMaxValueBytes) {
        out.resize(kMaxValueBytes);
        whole = false;
    }
    return whole;
}

}  // namespace heapdiff::probe
