#include "reader_binding.h"

#include "heapdiff/address_index.h"

#include "heapdiff/edge_label.h"
#include "heapdiff/error.h"
#include "heapdiff/reader.h"
#include "python_refs.h"

namespace heapdiff::probe {
namespace {

PyObject* str(std::string_view s) {
    return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
}

// Steals `value`; false when either is null.
bool set_item(PyObject* dict, const char* key, PyObject* value) {
    if (!value) return false;
    int rc = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return rc == 0;
}

template <typename T>
PyObject* column(const std::vector<T>& values) {
    return PyBytes_FromStringAndSize(reinterpret_cast<const char*>(values.data()),
                                     static_cast<Py_ssize_t>(values.size() * sizeof(T)));
}

// Object columns come back as bytes (array('Q' / 'I' / 'B') on the Python side) so that
// a test can load a whole heap without one Python object per heap object; display
// values and labelled edges only for the addresses in `select`.
PyObject* build(const Snapshot& s, PyObject* select) {
    Ref out(PyDict_New());
    if (!out) return nullptr;
    std::vector<std::uint32_t> type_ids(s.object_count()), traceback_ids(s.object_count());
    for (std::size_t i = 0; i < s.object_count(); ++i) {
        type_ids[i] = s.type[i].value;
        traceback_ids[i] = s.traceback[i].value;
    }
    if (!set_item(out.get(), "addresses", column(s.address)) || !set_item(out.get(), "type_ids", column(type_ids)) ||
        !set_item(out.get(), "sizes", column(s.size)) || !set_item(out.get(), "refcounts", column(s.refcount)) ||
        !set_item(out.get(), "flags", column(s.flags)) || !set_item(out.get(), "traceback_ids", column(traceback_ids)))
        return nullptr;
    Ref type_names(PyList_New(0));
    Ref unknown(str("?"));
    PyList_Append(type_names.get(), unknown.get());
    for (std::size_t t = 1; t <= s.types.size(); ++t) {
        Ref name(str(s.type_name(TypeId(static_cast<std::uint32_t>(t)))));
        PyList_Append(type_names.get(), name.get());
    }
    PyDict_SetItemString(out.get(), "type_names", type_names.get());

    Ref details(PyDict_New());
    if (select && select != Py_None) {
        AddressIndex index(s);
        Ref iter(PyObject_GetIter(select));
        if (!iter) return nullptr;
        while (PyObject* item = PyIter_Next(iter.get())) {
            Ref owned(item);
            std::uint64_t address = PyLong_AsUnsignedLongLong(item);
            if (PyErr_Occurred()) return nullptr;
            ObjectIndex i = index.find(address);
            if (i == kNoObject) continue;
            Ref edges(PyList_New(0));
            for (std::uint64_t e = s.edge_begin[i]; e < s.edge_begin[i + 1]; ++e) {
                Ref edge(Py_BuildValue("(KN)", static_cast<unsigned long long>(s.edge_target[e]),
                                       str(edge_label(s, i, e, index))));
                if (!edge) return nullptr;
                PyList_Append(edges.get(), edge.get());
            }
            Ref detail(Py_BuildValue("(NO)", str(s.value(i)), edges.get()));
            if (!detail) return nullptr;
            PyDict_SetItem(details.get(), item, detail.get());
        }
        if (PyErr_Occurred()) return nullptr;
    }
    PyDict_SetItemString(out.get(), "details", details.get());

    // tracebacks[0] is None so that traceback ids index the list directly.
    Ref tracebacks(PyList_New(0));
    PyList_Append(tracebacks.get(), Py_None);
    for (std::size_t t = 0; t < s.traceback_count(); ++t) {
        Ref frames(PyList_New(0));
        for (std::uint64_t f = s.traceback_begin[t]; f < s.traceback_begin[t + 1]; ++f) {
            Ref frame(Py_BuildValue("(NI)", str(s.strings.get(s.traceback_frames[f].filename)),
                                    s.traceback_frames[f].lineno));
            PyList_Append(frames.get(), frame.get());
        }
        PyList_Append(tracebacks.get(), frames.get());
    }
    PyDict_SetItemString(out.get(), "tracebacks", tracebacks.get());

    Ref stats(PyList_New(0));
    for (const TraceStat& t : s.trace_stats) {
        Ref row(Py_BuildValue("(IIKK)", t.traceback.value, t.domain, static_cast<unsigned long long>(t.count),
                              static_cast<unsigned long long>(t.size)));
        PyList_Append(stats.get(), row.get());
    }
    PyDict_SetItemString(out.get(), "trace_stats", stats.get());

    Ref facts(PyDict_New());
    for (const Fact& f : s.facts) {
        PyObject* v = f.kind == format::FactKind::Int     ? PyLong_FromLongLong(f.int_value)
                      : f.kind == format::FactKind::Float ? PyFloat_FromDouble(f.float_value)
                                                          : str(f.string_value);
        if (!set_item(facts.get(), f.key.c_str(), v)) return nullptr;
    }
    PyDict_SetItemString(out.get(), "facts", facts.get());

    Ref modules(PyDict_New());
    for (const ModuleRoot& m : s.module_roots) {
        Ref key(str(s.strings.get(m.name)));
        Ref value(PyLong_FromUnsignedLongLong(m.address));
        PyDict_SetItem(modules.get(), key.get(), value.get());
    }
    PyDict_SetItemString(out.get(), "module_roots", modules.get());

    Ref threads(PyDict_New());
    for (const ThreadRoot& t : s.thread_roots) {
        Ref frames(PyList_New(0));
        for (std::uint64_t f : t.frames) {
            Ref a(PyLong_FromUnsignedLongLong(f));
            PyList_Append(frames.get(), a.get());
        }
        Ref key(PyLong_FromUnsignedLongLong(t.thread_id));
        PyDict_SetItem(threads.get(), key.get(), frames.get());
    }
    PyDict_SetItemString(out.get(), "thread_roots", threads.get());
    if (PyErr_Occurred()) return nullptr;
    Py_INCREF(out.get());
    return out.get();
}

}  // namespace

PyObject* read_snapshot_py(PyObject*, PyObject* args) {
    const char* path = nullptr;
    PyObject* select = Py_None;
    if (!PyArg_ParseTuple(args, "s|O:read_snapshot", &path, &select)) return nullptr;
    try {
        Snapshot s = read_snapshot(path);
        return build(s, select);
    } catch (const Error& e) {
        PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
    }
    return nullptr;
}

}  // namespace heapdiff::probe
