#include "utf8_text.h"

#include <algorithm>

namespace heapdiff::probe {

bool utf8_prefix(PyObject* str, std::size_t max_bytes, std::string& out) {
    out.clear();
    if (!PyUnicode_Check(str)) return false;
#if PY_VERSION_HEX < 0x030C0000
    if (!PyUnicode_IS_READY(str)) return false;
#endif
    const int kind = PyUnicode_KIND(str);
    const void* data = PyUnicode_DATA(str);
    const Py_ssize_t length = PyUnicode_GET_LENGTH(str);
    if (PyUnicode_IS_ASCII(str)) {
        // ASCII is its own UTF-8: one copy, not a character at a time (most strs are).
        out.assign(static_cast<const char*>(data), std::min(static_cast<std::size_t>(length), max_bytes));
        return true;
    }
    for (Py_ssize_t i = 0; i < length; ++i) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        char buf[4];
        std::size_t n;
        if (c < 0x80) {
            buf[0] = static_cast<char>(c);
            n = 1;
        } else if (c < 0x800) {
            buf[0] = static_cast<char>(0xC0 | (c >> 6));
            buf[1] = static_cast<char>(0x80 | (c & 0x3F));
            n = 2;
        } else if (c < 0x10000) {
            if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;  // lone surrogate: not encodable
            buf[0] = static_cast<char>(0xE0 | (c >> 12));
            buf[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            buf[2] = static_cast<char>(0x80 | (c & 0x3F));
            n = 3;
        } else {
            buf[0] = static_cast<char>(0xF0 | (c >> 18));
            buf[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            buf[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            buf[3] = static_cast<char>(0x80 | (c & 0x3F));
            n = 4;
        }
        if (out.size() + n > max_bytes) break;
        out.append(buf, n);
    }
    return true;
}

bool utf8_name(PyObject* str, std::string& out) {
    if (!utf8_prefix(str, kMaxNameBytes, out)) return false;
    const Py_ssize_t length = PyUnicode_GET_LENGTH(str);
    if (length > static_cast<Py_ssize_t>(out.size()) || out.size() == kMaxNameBytes) {
        // Cheap check first: a str has at least one byte per character. Count the rest.
        std::size_t kept_chars = 0;
        for (unsigned char c : out) kept_chars += (c & 0xC0) != 0x80;
        if (static_cast<Py_ssize_t>(kept_chars) < length)
            out += "...[" + std::to_string(length - static_cast<Py_ssize_t>(kept_chars)) + " more characters]";
    }
    return true;
}

}  // namespace heapdiff::probe
