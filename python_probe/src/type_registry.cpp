#include "type_registry.h"

#include <structmember.h>

#include <cstring>

#include "utf8_text.h"

namespace heapdiff::probe {

PyObject* dict_get_str(PyObject* dict, const char* key) {
    if (!dict || !PyDict_Check(dict)) return nullptr;
    const std::size_t key_len = std::strlen(key);
    std::string text;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(dict, &pos, &k, &v)) {
        if (!PyUnicode_CheckExact(k) || static_cast<std::size_t>(PyUnicode_GET_LENGTH(k)) != key_len) continue;
        if (utf8_prefix(k, key_len + 1, text) && text == key) return v;
    }
    return nullptr;
}

TypeName type_name(PyTypeObject* type) {
    TypeName out;
    if (type->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        auto* heap = reinterpret_cast<PyHeapTypeObject*>(type);
        PyObject* mod = dict_get_str(type->tp_dict, "__module__");
        if (mod && PyUnicode_Check(mod)) utf8_prefix(mod, 256, out.module);
        if (heap->ht_qualname) utf8_prefix(heap->ht_qualname, 256, out.qualname);
        if (out.qualname.empty() && type->tp_name) out.qualname = type->tp_name;
    } else {
        // Static types spell their module in tp_name ("collections.OrderedDict"); the
        // ones that do not are builtins.
        const char* name = type->tp_name ? type->tp_name : "?";
        const char* dot = std::strrchr(name, '.');
        if (dot) {
            out.module.assign(name, static_cast<std::size_t>(dot - name));
            out.qualname = dot + 1;
        } else {
            out.module = "builtins";
            out.qualname = name;
        }
    }
    return out;
}

namespace {

// A __sizeof__ implemented in C (a method descriptor) can be called safely; one written
// in Python cannot be run during the walk.
PyObject* c_sizeof_method(PyTypeObject* type) {
    static PyObject* name = PyUnicode_InternFromString("__sizeof__");
    PyObject* method = _PyType_Lookup(type, name);
    if (method && Py_TYPE(method) == &PyMethodDescr_Type) return method;
    return nullptr;
}

bool defines_finalizer(PyTypeObject* type) {
    static PyObject* name = PyUnicode_InternFromString("__del__");
    return (type->tp_flags & Py_TPFLAGS_HEAPTYPE) && _PyType_Lookup(type, name) != nullptr;
}

void collect_slots(PyTypeObject* type, SnapshotWriter& writer, std::vector<SlotMember>& out) {
    PyObject* mro = type->tp_mro;
    if (!mro || !PyTuple_Check(mro)) return;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(mro); ++i) {
        PyObject* base = PyTuple_GET_ITEM(mro, i);
        if (!PyType_Check(base)) continue;
        PyMemberDef* members = reinterpret_cast<PyTypeObject*>(base)->tp_members;
        if (!members || !(reinterpret_cast<PyTypeObject*>(base)->tp_flags & Py_TPFLAGS_HEAPTYPE)) continue;
        for (PyMemberDef* m = members; m->name; ++m)
            if (m->type == T_OBJECT_EX || m->type == T_OBJECT) out.push_back({m->offset, writer.intern(m->name)});
    }
}

}  // namespace

TypeEntry TypeRegistry::make(PyTypeObject* type) {
    TypeEntry e;
    TypeName name = type_name(type);
    e.name = name.qualified();
    e.sizeof_method = c_sizeof_method(type);
    e.default_sizeof = e.sizeof_method && e.sizeof_method == c_sizeof_method(&PyBaseObject_Type);
    e.has_finalizer = defines_finalizer(type);
    collect_slots(type, writer_, e.slots);
    std::uint32_t flags = 0;
    if (type->tp_flags & Py_TPFLAGS_HEAPTYPE) flags |= format::type_flag::kHeapType;
    if (e.has_finalizer) flags |= format::type_flag::kHasFinalizer;
    e.id = writer_.add_type(writer_.intern(e.name), reinterpret_cast<std::uint64_t>(type), flags,
                            writer_.intern(name.module));
    return e;
}

const TypeEntry& TypeRegistry::lookup(PyTypeObject* type) {
    auto it = entries_.find(type);
    if (it != entries_.end()) return it->second;
    return entries_.emplace(type, make(type)).first->second;
}

}  // namespace heapdiff::probe
