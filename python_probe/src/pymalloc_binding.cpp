#include "pymalloc_binding.h"

#include <new>
#include <vector>

#include "pymalloc_stats.h"

namespace heapdiff::probe {
namespace {

// d[key] = value (a new reference, stolen); false with an exception set on failure.
bool set_item(PyObject* d, const char* key, PyObject* value) {
    if (!value) return false;
    const int rc = PyDict_SetItemString(d, key, value);
    Py_DECREF(value);
    return rc == 0;
}

// Collected first in native memory: no Python object is made while the arenas are read.
// No exception crosses the C frames of heapdiff_pymalloc_stats.
struct KeptArenas {
    std::vector<heapdiff_arena_stat> arenas;
    bool out_of_memory = false;
};

void keep_arena(void* ctx, const heapdiff_arena_stat* arena) {
    auto* kept = static_cast<KeptArenas*>(ctx);
    try {
        kept->arenas.push_back(*arena);
    } catch (const std::bad_alloc&) {
        kept->out_of_memory = true;
    }
}

PyObject* arena_list(const std::vector<heapdiff_arena_stat>& arenas) {
    PyObject* list = PyList_New(static_cast<Py_ssize_t>(arenas.size()));
    if (!list) return nullptr;
    for (std::size_t i = 0; i < arenas.size(); ++i) {
        const heapdiff_arena_stat& a = arenas[i];
        PyObject* item = Py_BuildValue("(KnIInn)", static_cast<unsigned long long>(a.address),
                                       static_cast<Py_ssize_t>(a.size), a.pools, a.free_pools,
                                       static_cast<Py_ssize_t>(a.used_bytes), static_cast<Py_ssize_t>(a.used_blocks));
        if (!item) {
            Py_DECREF(list);
            return nullptr;
        }
        PyList_SET_ITEM(list, static_cast<Py_ssize_t>(i), item);
    }
    return list;
}

PyObject* class_list(const heapdiff_class_stat* classes, unsigned count) {
    PyObject* list = PyList_New(count);
    if (!list) return nullptr;
    for (unsigned i = 0; i < count; ++i) {
        const heapdiff_class_stat& c = classes[i];
        PyObject* item = Py_BuildValue("(Innn)", c.block_size, static_cast<Py_ssize_t>(c.pools),
                                       static_cast<Py_ssize_t>(c.blocks_in_use), static_cast<Py_ssize_t>(c.blocks_free));
        if (!item) {
            Py_DECREF(list);
            return nullptr;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

}  // namespace

PyObject* pymalloc_stats_py(PyObject*, PyObject*) {
    KeptArenas kept;
    heapdiff_class_stat classes[heapdiff_max_size_classes];
    heapdiff_pymalloc_geometry geom;
    const char* why_not = nullptr;
    const long long n = heapdiff_pymalloc_stats(keep_arena, &kept, classes, &geom, &why_not);
    if (kept.out_of_memory) return PyErr_NoMemory();
    const std::vector<heapdiff_arena_stat>& arenas = kept.arenas;
    PyObject* d = PyDict_New();
    if (!d) return nullptr;
    bool ok;
    if (n < 0) {
        ok = set_item(d, "why_not", PyUnicode_FromString(why_not));
    } else {
        ok = set_item(d, "source", PyUnicode_DecodeFSDefault(geom.source)) &&
             set_item(d, "arena_size", PyLong_FromSize_t(geom.arena_size)) &&
             set_item(d, "pool_size", PyLong_FromSize_t(geom.pool_size)) &&
             set_item(d, "skipped_pools", PyLong_FromUnsignedLongLong(geom.skipped_pools)) &&
             set_item(d, "arenas", arena_list(arenas)) && set_item(d, "classes", class_list(classes, geom.classes));
    }
    if (ok) return d;
    Py_DECREF(d);
    return nullptr;
}

}  // namespace heapdiff::probe
