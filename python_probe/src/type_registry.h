// What the probe knows about each type, computed once per type and cached: its
// qualified name and TypeId in the snapshot, how to size its instances without running
// Python code, whether it has a finalizer, and the offsets of its __slots__ members.
#pragma once

#include "py_compat.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "heapdiff/writer.h"

namespace heapdiff::probe {

struct SlotMember {
    Py_ssize_t offset;
    StringId name;
};

// How the probe sizes a type's instances (docs/PROBE.md, "Sizes"). A __sizeof__ is code
// the probe did not write, running on an object it did not build: only the C methods of
// the types listed in type_registry.cpp are called, because their code was read and
// found to touch only what the type's allocation and __new__ always set up.
enum class SizeRule : std::uint8_t {
    Basic,        // object.__sizeof__'s formula (basic size + item size x length): exact
    TrustedC,     // a trusted C __sizeof__, called directly: exact
    List,         // list.__sizeof__'s formula (basic size + allocated slots), computed: exact
    Approximate,  // a __sizeof__ the probe will not run (Python, or untrusted C): the basic size
};

struct TypeEntry {
    TypeId id;
    std::string name;           // "module.QualName"
    SizeRule size_rule = SizeRule::Approximate;
    PyObject* sizeof_method = nullptr;  // borrowed C method descriptor, for TrustedC
    bool has_finalizer = false;
    bool is_bytearray = false;  // bytearray or a subclass: on 3.15+ its buffer is an object of its own
    std::vector<SlotMember> slots;  // object members of this type and its bases
};

class TypeRegistry {
public:
    explicit TypeRegistry(SnapshotWriter& writer) : writer_(writer) {}
    const TypeEntry& get(PyTypeObject* type) {
        if (type == last_type_) return *last_entry_;  // objects of one type come in runs
        // Then a small direct-mapped cache in front of the map (a heap's objects are of a
        // few dozen types): the map's lookup was 3% of a dump. Entries never move (the
        // map's nodes are stable), so the cached pointers stay valid.
        Cached& c = cache_[(reinterpret_cast<std::uintptr_t>(type) >> 4) % kCacheSlots];
        if (c.type != type) {
            c.entry = &lookup(type);
            c.type = type;
        }
        last_entry_ = c.entry;
        last_type_ = type;
        return *last_entry_;
    }

    // What the walk knows of a type it met an instance of, or null; never dereferences `type`.
    const TypeEntry* find(const PyTypeObject* type) const {
        auto it = entries_.find(const_cast<PyTypeObject*>(type));
        return it == entries_.end() ? nullptr : &it->second;
    }

private:
    const TypeEntry& lookup(PyTypeObject* type);
    TypeEntry make(PyTypeObject* type);
    PyTypeObject* last_type_ = nullptr;
    const TypeEntry* last_entry_ = nullptr;
    struct Cached {
        PyTypeObject* type = nullptr;
        const TypeEntry* entry = nullptr;
    };
    static constexpr std::size_t kCacheSlots = 251;  // prime: type objects are 16-byte aligned
    Cached cache_[kCacheSlots];
    SnapshotWriter& writer_;
    std::unordered_map<PyTypeObject*, TypeEntry> entries_;
};

struct TypeName {
    std::string module;    // "builtins" for C types that name no module
    std::string qualname;  // "Outer.Inner"
    std::string qualified() const { return module.empty() ? qualname : module + "." + qualname; }
};

// A type's module and qualified name, computed without running Python code.
TypeName type_name(PyTypeObject* type);
inline std::string qualified_type_name(PyTypeObject* type) { return type_name(type).qualified(); }

// heapdiff.trust_sizeof(type): the caller vouches that type's C __sizeof__ is safe on
// every instance (and its subclasses' instances). Returns false with a Python error set
// when type's __sizeof__ is not a C method of its own or of a base. Keeps a reference.
bool trust_sizeof(PyObject* type);

// What `name` resolves to on `type` (a borrowed reference, or null), found by walking the
// MRO's dicts with dict_get_str: _PyType_Lookup may compare a non-str key of a class
// dict with the name, which runs that key's __eq__.
PyObject* lookup_in_mro(PyTypeObject* type, const char* name);

// A str-keyed item of a dict, found by walking its entries and comparing only exact str
// keys: a plain lookup may call a user key's __eq__ on a hash collision.
PyObject* dict_get_str(PyObject* dict, const char* key);

}  // namespace heapdiff::probe
