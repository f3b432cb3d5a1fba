#include "referents.h"

#include "cpython_internals.h"
#include "utf8_text.h"

namespace heapdiff::probe {
namespace {

int append_referent(PyObject* obj, void* out) {
    if (obj) static_cast<std::vector<PyObject*>*>(out)->push_back(obj);
    return 0;
}

// Where the instance __dict__ pointer lives, read without creating the dict (the
// public getters materialise it from inline values on 3.11+). A wrong guess costs only
// a missing label: the pointer is compared with referents, never dereferenced.
PyObject* instance_dict(PyObject* obj) {
#if PY_VERSION_HEX >= 0x030B0000
    PyTypeObject* tp = Py_TYPE(obj);
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        PyObject* p = reinterpret_cast<PyObject**>(obj)[-3];
#if PY_VERSION_HEX < 0x030D0000 && PY_VERSION_HEX >= 0x030C0000
        if (reinterpret_cast<std::uintptr_t>(p) & 1) return nullptr;  // tagged inline values
#endif
        return p;
    }
    if (tp->tp_dictoffset > 0) return *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(obj) + tp->tp_dictoffset);
    return nullptr;
#else
    PyObject** p = _PyObject_GetDictPtr(obj);  // pure address arithmetic before 3.11
    return p ? *p : nullptr;
#endif
}

}  // namespace

StringId ReferentCollector::field_name(const char* name) {
    auto it = field_ids_.find(name);
    if (it != field_ids_.end()) return it->second;
    StringId id = writer_.intern(name);
    field_ids_.emplace(name, id);
    return id;
}

void ReferentCollector::add_known(PyObject* target, EdgeKind kind, std::uint64_t arg) {
    if (target) known_.push_back({target, kind, arg, false});
}

void ReferentCollector::add_field(PyObject* target, const char* name) {
    if (target) known_.push_back({target, EdgeKind::Field, field_name(name).value, false});
}

// Fields tp_traverse does not visit because they hold only atomic objects (str, bytes,
// tuples of them), yet they keep those objects alive: without them a code object's
// constants and names, or a class's name, would look like objects nothing refers to.
void ReferentCollector::add_untraversed(PyObject* target, const char* name) {
    if (target) known_.push_back({target, EdgeKind::Field, field_name(name).value, false, true});
}

void ReferentCollector::code_fields(PyCodeObject* co) {
    add_untraversed(co->co_consts, "co_consts");
    add_untraversed(co->co_names, "co_names");
    add_untraversed(co->co_filename, "co_filename");
    add_untraversed(co->co_name, "co_name");
#if PY_VERSION_HEX >= 0x030B0000
    add_untraversed(co->co_qualname, "co_qualname");
    add_untraversed(co->co_localsplusnames, "co_localsplusnames");
    add_untraversed(co->co_localspluskinds, "co_localspluskinds");
    add_untraversed(co->co_linetable, "co_linetable");
    add_untraversed(co->co_exceptiontable, "co_exceptiontable");
#if PY_VERSION_HEX >= 0x030C0000
    if (co->_co_cached) {
        add_untraversed(co->_co_cached->_co_code, "co_code");
        add_untraversed(co->_co_cached->_co_varnames, "co_varnames");
        add_untraversed(co->_co_cached->_co_cellvars, "co_cellvars");
        add_untraversed(co->_co_cached->_co_freevars, "co_freevars");
    }
#else
    add_untraversed(co->_co_code, "co_code");
#endif
#else
    add_untraversed(co->co_code, "co_code");
    add_untraversed(co->co_varnames, "co_varnames");
    add_untraversed(co->co_freevars, "co_freevars");
    add_untraversed(co->co_cellvars, "co_cellvars");
#if PY_VERSION_HEX >= 0x030A0000
    add_untraversed(co->co_linetable, "co_linetable");
#else
    add_untraversed(co->co_lnotab, "co_lnotab");
#endif
#endif
}

void ReferentCollector::traverse(PyObject* obj) {
    raw_.clear();
    if (!PyObject_IS_GC(obj)) return;  // as gc.get_referents: no traverse, no referents
    traverseproc t = Py_TYPE(obj)->tp_traverse;
    if (t) t(obj, append_referent, &raw_);
}

void ReferentCollector::collect_dict(PyObject* dict, bool exact, std::vector<Edge>& out) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    if (!exact) dict_members_.clear();
    while (PyDict_Next(dict, &pos, &key, &value)) {
        std::uint64_t key_edge = out.size();
        out.push_back({key, EdgeKind::DictKey, 0});
        out.push_back({value, EdgeKind::DictValue, key_edge});
        if (!exact) {
            dict_members_.insert(reinterpret_cast<std::uint64_t>(key));
            dict_members_.insert(reinterpret_cast<std::uint64_t>(value));
        }
    }
}

void ReferentCollector::known_fields(PyObject* obj, const TypeEntry& type) {
    known_.clear();
    PyTypeObject* tp = Py_TYPE(obj);
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) add_known(reinterpret_cast<PyObject*>(tp), EdgeKind::Class);
    add_known(instance_dict(obj), EdgeKind::InstanceDict);
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) heapdiff_inline_attributes(obj, &ReferentCollector::visit_attribute, this);
    for (const SlotMember& slot : type.slots)
        add_known(*reinterpret_cast<PyObject**>(reinterpret_cast<char*>(obj) + slot.offset), EdgeKind::Attribute,
                  slot.name.value);

    if (PyFunction_Check(obj)) {
        auto* f = reinterpret_cast<PyFunctionObject*>(obj);
        add_field(f->func_code, "__code__");
        add_field(f->func_globals, "__globals__");
        add_field(f->func_defaults, "__defaults__");
        add_field(f->func_kwdefaults, "__kwdefaults__");
        add_field(f->func_closure, "__closure__");
        add_field(f->func_doc, "__doc__");
        add_field(f->func_name, "__name__");
        add_field(f->func_dict, "__dict__");
        add_field(f->func_module, "__module__");
        add_field(f->func_annotations, "__annotations__");
        add_field(f->func_qualname, "__qualname__");
    } else if (PyModule_Check(obj)) {
        add_field(PyModule_GetDict(obj), "__dict__");
    } else if (PyCode_Check(obj)) {
        code_fields(reinterpret_cast<PyCodeObject*>(obj));
    } else if (PyType_Check(obj)) {
        auto* t = reinterpret_cast<PyTypeObject*>(obj);
        if (t->tp_flags & Py_TPFLAGS_HEAPTYPE) {
            auto* ht = reinterpret_cast<PyHeapTypeObject*>(t);
            add_untraversed(ht->ht_name, "__name__");
            add_untraversed(ht->ht_qualname, "__qualname__");
            add_untraversed(ht->ht_slots, "__slots__");
        }
        add_field(t->tp_dict, "__dict__");
        add_field(t->tp_bases, "__bases__");
        add_field(t->tp_mro, "__mro__");
        add_field(reinterpret_cast<PyObject*>(t->tp_base), "__base__");
    } else if (PyTraceBack_Check(obj)) {
        auto* tb = reinterpret_cast<PyTracebackObject*>(obj);
        add_field(reinterpret_cast<PyObject*>(tb->tb_next), "tb_next");
        add_field(reinterpret_cast<PyObject*>(tb->tb_frame), "tb_frame");
    } else if (PyCell_Check(obj)) {
        add_field(PyCell_GET(obj), "cell_contents");
    } else if (PyMethod_Check(obj)) {
        add_field(PyMethod_GET_FUNCTION(obj), "__func__");
        add_field(PyMethod_GET_SELF(obj), "__self__");
    } else if (PyExceptionInstance_Check(obj)) {
        auto* e = reinterpret_cast<PyBaseExceptionObject*>(obj);
        add_field(e->dict, "__dict__");
        add_field(e->args, "args");
        add_field(e->traceback, "__traceback__");
        add_field(e->context, "__context__");
        add_field(e->cause, "__cause__");
    } else if (PyFrame_Check(obj)) {
#if PY_VERSION_HEX < 0x030B0000
        auto* f = reinterpret_cast<PyFrameObject*>(obj);
        add_field(reinterpret_cast<PyObject*>(f->f_back), "f_back");
        add_field(reinterpret_cast<PyObject*>(f->f_code), "f_code");
        add_field(f->f_builtins, "f_builtins");
        add_field(f->f_globals, "f_globals");
        add_field(f->f_locals, "f_locals");
        add_field(f->f_trace, "f_trace");
        PyCodeObject* co = f->f_code;
        Py_ssize_t nlocals = co->co_nlocals;
        Py_ssize_t ncells = co->co_cellvars ? PyTuple_GET_SIZE(co->co_cellvars) : 0;
        Py_ssize_t nfree = co->co_freevars ? PyTuple_GET_SIZE(co->co_freevars) : 0;
        for (Py_ssize_t i = 0; i < nlocals; ++i)
            add_known(f->f_localsplus[i], EdgeKind::FrameLocal, name_id(co->co_varnames, i).value);
        for (Py_ssize_t i = 0; i < ncells; ++i)
            add_known(f->f_localsplus[nlocals + i], EdgeKind::FrameLocal, name_id(co->co_cellvars, i).value);
        for (Py_ssize_t i = 0; i < nfree; ++i)
            add_known(f->f_localsplus[nlocals + ncells + i], EdgeKind::FrameLocal,
                      name_id(co->co_freevars, i).value);
#else
        frame_running_ = heapdiff_frame_fields(obj, &ReferentCollector::visit_frame_field, this) == 1;
#endif
    }
}

void ReferentCollector::visit_frame_field(void* self, PyObject* target, int kind, const char* field, PyObject* name) {
    auto* me = static_cast<ReferentCollector*>(self);
    if (kind == 0)
        me->add_field(target, field);
    else
        me->add_known(target, EdgeKind::FrameLocal, me->intern_str(name).value);
}

void ReferentCollector::visit_attribute(void* self, PyObject* target, int, const char*, PyObject* name) {
    auto* me = static_cast<ReferentCollector*>(self);
    me->add_known(target, EdgeKind::Attribute, me->intern_str(name).value);
}

StringId ReferentCollector::intern_str(PyObject* str) {
    if (!str) return StringId();
    const auto key = reinterpret_cast<std::uint64_t>(str);
    if (const std::uint32_t* id = name_ids_.find(key)) return StringId(*id);
    utf8_name(str, text_);
    const StringId id = writer_.intern(text_);
    name_ids_.insert(key, id.value);
    return id;
}

StringId ReferentCollector::name_id(PyObject* names, Py_ssize_t i) {
    if (!names || !PyTuple_Check(names) || i >= PyTuple_GET_SIZE(names)) return StringId();
    return intern_str(PyTuple_GET_ITEM(names, i));
}

void ReferentCollector::collect(PyObject* obj, const TypeEntry& type, std::vector<Edge>& out) {
    out.clear();
    if (PyList_CheckExact(obj) || PyTuple_CheckExact(obj)) {
        // Items in order, read directly: the same referents traverse would give.
        const bool list = PyList_CheckExact(obj);
        Py_ssize_t n = list ? PyList_GET_SIZE(obj) : PyTuple_GET_SIZE(obj);
        for (Py_ssize_t i = 0; i < n; ++i) {
            PyObject* item = list ? PyList_GET_ITEM(obj, i) : PyTuple_GET_ITEM(obj, i);
            if (item) out.push_back({item, EdgeKind::Index, static_cast<std::uint64_t>(i)});
        }
        return;
    }
    if (PyDict_CheckExact(obj)) {
        collect_dict(obj, true, out);
        return;
    }
    traverse(obj);
    known_.clear();
    if (PyAnySet_CheckExact(obj)) {
        for (PyObject* r : raw_) out.push_back({r, EdgeKind::SetItem, 0});
        return;
    }
    bool is_dict = PyDict_Check(obj);
    if (is_dict) collect_dict(obj, false, out);
    frame_running_ = false;
    known_fields(obj, type);
    for (PyObject* r : raw_) {
        if (is_dict && dict_members_.contains(reinterpret_cast<std::uint64_t>(r))) continue;
        Edge edge{r, EdgeKind::Unknown, 0};
        for (Known& k : known_) {
            if (!k.used && k.target == r) {
                k.used = true;
                edge.kind = k.kind;
                edge.arg = k.arg;
                break;
            }
        }
        out.push_back(edge);
    }
    // A running frame's code and locals are not in its traverse, but they keep objects
    // alive all the same: they become edges of the frame.
    for (const Known& k : known_)
        if (!k.used && (k.untraversed || (frame_running_ && k.kind != EdgeKind::Class)))
            out.push_back({k.target, k.kind, k.arg});
}

}  // namespace heapdiff::probe
