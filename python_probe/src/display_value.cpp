#include "display_value.h"

#include <charconv>
#include <cmath>
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

// repr(float) without CPython's dtoa (5% of a dump: its big-number arithmetic and an
// allocation per float). std::to_chars gives the same shortest round-trip digits; the
// layout is repr's ('r' format with Py_DTSF_ADD_DOT_0): exponent form when the decimal
// point falls more than 16 digits right or 4 or more left ("1e+16", "1.5e-05"), else
// positional with ".0" when there is no fraction. tests/python/test_labels.py compares it
// with repr() on many values.
void float_text(double v, std::string& out) {
    if (std::isnan(v)) {
        out = "nan";
        return;
    }
    if (std::isinf(v)) {
        out = v < 0 ? "-inf" : "inf";
        return;
    }
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    if (r.ec != std::errc()) {
        out.clear();
        return;
    }
    // buf: [-]d[.ddd]e(+|-)xx
    const char* p = buf;
    const char* end = r.ptr;
    out.clear();
    if (*p == '-') {
        out += '-';
        ++p;
    }
    char digits[32];
    std::size_t n = 0;
    while (p < end && *p != 'e')
        if (*p != '.' && n < sizeof digits) digits[n++] = *p++;
        else ++p;
    int exponent = 0;
    if (p < end) std::from_chars(p + 1 + (p[1] == '+'), end, exponent);
    const int decpt = exponent + 1;  // digits are 0.d1d2... x 10^decpt
    if (decpt <= -4 || decpt > 16) {
        out += digits[0];
        if (n > 1) {
            out += '.';
            out.append(digits + 1, n - 1);
        }
        char e[8];
        std::snprintf(e, sizeof e, "e%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
        out += e;
    } else if (decpt <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-decpt), '0');
        out.append(digits, n);
    } else if (static_cast<std::size_t>(decpt) >= n) {
        out.append(digits, n);
        out.append(static_cast<std::size_t>(decpt) - n, '0');
        out += ".0";
    } else {
        out.append(digits, static_cast<std::size_t>(decpt));
        out += '.';
        out.append(digits + decpt, n - static_cast<std::size_t>(decpt));
    }
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
        // repr()'s text (shortest round-trip, "1.0", "1e+16"): labels show [0.1], not
        // [0.10000000000000001].
        float_text(PyFloat_AS_DOUBLE(obj), out);
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
