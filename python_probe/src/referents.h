// An object's referents as gc.get_referents() sees them (its type's tp_traverse, pure
// C), each with a label where it is cheap to know: dict key, list index, attribute or
// slot name, frame local name, or a named C field. Dicts report their keys too, which
// CPython's traverse skips for str keys because strings cannot form cycles: keys are
// memory the snapshot must account for, and the label of each value.
#pragma once

#include "py_compat.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "address_set.h"
#include "heapdiff/writer.h"
#include "type_registry.h"

namespace heapdiff::probe {

struct Edge {
    PyObject* target;
    EdgeKind kind;
    std::uint64_t arg;
};

class ReferentCollector {
public:
    explicit ReferentCollector(SnapshotWriter& writer) : writer_(writer) {}
    // Replaces `out` with obj's labelled referents.
    void collect(PyObject* obj, const TypeEntry& type, std::vector<Edge>& out);

private:
    void traverse(PyObject* obj);
    void collect_dict(PyObject* dict, bool exact, std::vector<Edge>& out);
    void known_fields(PyObject* obj, const TypeEntry& type);
    void add_known(PyObject* target, EdgeKind kind, std::uint64_t arg = 0);
    void add_field(PyObject* target, const char* name);
    void add_untraversed(PyObject* target, const char* name);
    void code_fields(PyCodeObject* co);
    StringId field_name(const char* name);
    StringId intern_str(PyObject* str);
    StringId name_id(PyObject* names, Py_ssize_t i);
    static void visit_attribute(void* self, PyObject* target, int kind, const char* field, PyObject* name);
    static void visit_frame_field(void* self, PyObject* target, int kind, const char* field, PyObject* name);

    SnapshotWriter& writer_;
    std::vector<PyObject*> raw_;
    struct Known {
        PyObject* target;
        EdgeKind kind;
        std::uint64_t arg;
        bool used;
        bool untraversed = false;  // an edge even when tp_traverse does not visit it
    };
    std::vector<Known> known_;
    AddressSet dict_members_;
    bool frame_running_ = false;
    std::string text_;
    std::unordered_map<const char*, StringId> field_ids_;  // keyed by the literal's address
    // Attribute and local names by the str's address: interned once per str, not once per
    // instance (no str is freed or made while the walk runs: no Python code runs).
    AddressMap name_ids_;
};

}  // namespace heapdiff::probe
