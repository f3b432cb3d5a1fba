#include "unreferenced_scan.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <sys/uio.h>
#include <unistd.h>

#include "allocator_blocks.h"
#include "cpython_internals.h"
#include "object_in_block.h"

namespace heapdiff::probe {
namespace {

struct ScanState {
    const TypeRegistry& types;
    const AddressBitmap& reached;
    const std::vector<const PyObject*>& excluded;
    std::vector<std::uintptr_t> free_listed;  // sorted
    UnreferencedScan& out;

    bool copy_failed = false;

    // A pymalloc block: the GIL keeps it allocated while we read.
    void consider_pymalloc(const void* block, std::size_t size) {
        unsigned char head[kBlockHeadBytes] = {};
        std::memcpy(head, block, std::min(size, kBlockHeadBytes));
        consider(block, size, head);
    }

    // A block from tracemalloc's table: raw-domain blocks are freed without the GIL, and
    // tracemalloc frees a block before it drops its trace, so the header is copied with
    // process_vm_readv, which fails cleanly on an unmapped page instead of faulting.
    void consider_traced(const void* block, std::size_t size) {
        if (copy_failed) return;
        unsigned char head[kBlockHeadBytes] = {};
        const std::size_t n = std::min(size, kBlockHeadBytes);
        struct iovec local{head, n}, remote{const_cast<void*>(block), n};
        const ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        if (got < 0 && (errno == EPERM || errno == ENOSYS)) copy_failed = true;
        if (got != static_cast<ssize_t>(n)) return;
        consider(block, size, head);
    }

    void consider(const void* block, std::size_t size, const unsigned char* head) {
        ++out.blocks;
        const long offset = object_offset_in_block(head, size, [this](const PyTypeObject* tp) { return types.find(tp); });
        if (offset < 0) return;
        auto* obj = reinterpret_cast<PyObject*>(const_cast<char*>(static_cast<const char*>(block)) + offset);
        const auto a = reinterpret_cast<std::uintptr_t>(obj);
        if (reached.contains(a) || std::binary_search(free_listed.begin(), free_listed.end(), a)) return;
        if (std::find(excluded.begin(), excluded.end(), obj) != excluded.end()) return;
        out.objects.push_back(obj);
    }
};

}  // namespace

UnreferencedScan find_unreferenced(const TypeRegistry& types, const AddressBitmap& reached,
                                   const std::vector<const PyObject*>& excluded, bool tracing) {
    UnreferencedScan out;
    ScanState state{types, reached, excluded, {}, out};
    heapdiff_free_list_entries(
        [](void* ctx, const void* p) {
            static_cast<ScanState*>(ctx)->free_listed.push_back(reinterpret_cast<std::uintptr_t>(p));
        },
        &state);
    std::sort(state.free_listed.begin(), state.free_listed.end());

    const char* why_not = nullptr;
    const long long blocks = heapdiff_pymalloc_blocks(
        [](void* ctx, const void* block, std::size_t size) { static_cast<ScanState*>(ctx)->consider_pymalloc(block, size); },
        &state, &why_not);
    if (blocks < 0) {
        out.where = std::string("not searched: ") + (why_not ? why_not : "unknown reason");
        return out;
    }
    out.searched = true;
    out.where = "pymalloc's blocks";
    // Blocks too big for pymalloc come from malloc, which keeps no list of them: only
    // tracemalloc's table knows where they are (3.12+, read in place).
    if (tracing && heapdiff_tracemalloc_in_place()) {
        heapdiff_tracemalloc_traces(
            [](void* ctx, unsigned int domain, std::uintptr_t address, std::size_t size, const void*) {
                if (domain == 0 && size > heapdiff_pymalloc_max_block())
                    static_cast<ScanState*>(ctx)->consider_traced(reinterpret_cast<const void*>(address), size);
            },
            &state);
        out.where += state.copy_failed ? " (process_vm_readv is not allowed here: larger traced blocks not searched)"
                                       : " and tracemalloc's larger traced blocks";
    } else {
        out.where += "; objects over 512 bytes are searched only while tracemalloc traces";
    }
    return out;
}

}  // namespace heapdiff::probe
