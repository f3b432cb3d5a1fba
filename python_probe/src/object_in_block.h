// Whether a block of memory holds a live object: what the allocator scan asks of every
// allocated block the walk did not account for (allocator_blocks.h). The answer must
// never be a guess that leads to reading memory the block does not own, so only kinds of
// objects whose whole extent can be checked against the block are accepted, and their
// every field is checked before it is used (docs/PROBE.md, "Objects nothing refers to").
#pragma once

#include "py_compat.h"
#include "type_registry.h"

#include <cstddef>
#include <cstdint>

namespace heapdiff::probe {

// How many bytes of a block object_in_block() looks at: enough for every header it reads.
constexpr std::size_t kBlockHeadBytes = 96;

// Where in a block of `size` bytes a live object starts (0, or 16 after a GC header), or
// -1. `head` is a copy of the block's first min(size, kBlockHeadBytes) bytes: the checks
// read only the copy (a block from tracemalloc's table may be freed by a thread that runs
// without the GIL), and the type objects the walk met. Accepted: a reference count that is
// positive and plausible (a free block's or free-listed object's first word is a link, a
// freed object's count is 0), a type the walk met (`known_type`), and a kind whose size is
// computable from its header and fits the block: exact int, str (compact), float, bytes,
// untracked tuple, and fixed-size types without GC sized by the basic formula (no C
// __sizeof__ of theirs is run on a candidate: it might follow a pointer). The block must also have been sized
// for the object (pymalloc rounds up by less than a size class, a resize in place keeps
// at least 3/4 of the block): a small "object" in a big block is taken for a coincidence.
template <class KnownType>
long object_offset_in_block(const unsigned char* head, std::size_t size, const KnownType& known_type);

// The size the object's own allocation asked for, from its header only; 0 when it is not
// an accepted kind or a field is out of range. `room`: the bytes from the object to the
// block's end. `type`: what the walk knows of its type (its size rule).
std::size_t checked_object_size(PyObject* obj, const TypeEntry& type, std::size_t room);

template <class KnownType>
long object_offset_in_block(const unsigned char* head, std::size_t size, const KnownType& known_type) {
    constexpr std::size_t kGcHeader = 2 * sizeof(void*);
    constexpr Py_ssize_t kMaxRefcount = Py_ssize_t(1) << 36;  // links and garbage are larger
    const std::size_t copied = size < kBlockHeadBytes ? size : kBlockHeadBytes;
    for (std::size_t offset : {std::size_t(0), kGcHeader}) {
        // The largest header read is a compact str's (56 bytes on 64-bit).
        if (offset + sizeof(PyCompactUnicodeObject) > kBlockHeadBytes || offset + sizeof(PyObject) > copied) break;
        auto* obj = reinterpret_cast<PyObject*>(const_cast<unsigned char*>(head) + offset);
        const Py_ssize_t refcount = Py_REFCNT(obj);
        if (refcount <= 0 || refcount > kMaxRefcount) continue;
        PyTypeObject* tp = Py_TYPE(obj);
        const TypeEntry* entry = known_type(tp);
        if (!entry) continue;
        // A GC object's block starts with its GC header; a tracked one is in a gc list.
        const bool gc = PyType_IS_GC(tp);
        if (gc != (offset == kGcHeader)) continue;
        if (gc && reinterpret_cast<const std::uintptr_t*>(head)[0] != 0) continue;  // _gc_next: tracked
        const std::size_t room = size - offset;
        const std::size_t need = checked_object_size(obj, *entry, room);
        if (need == 0 || need > room) continue;
        if ((need + offset) * 4 + 64 < size * 3) continue;  // far smaller than its block
        return static_cast<long>(offset);
    }
    return -1;
}

}  // namespace heapdiff::probe
