#include "readable_memory.h"

#include <exception>
#include <new>
#include <vector>

#include "heapdiff/proc_files.h"

struct heapdiff_readable_memory {
    std::vector<heapdiff::process::AddressRange> ranges;
};

extern "C" heapdiff_readable_memory* heapdiff_readable_memory_read(void) {
    try {
        auto* memory = new heapdiff_readable_memory{heapdiff::process::readable_ranges("/proc/self")};
        if (!memory->ranges.empty()) return memory;
        delete memory;  // no maps file (no /proc): nothing can be checked
    } catch (const std::exception&) {
    }
    return nullptr;
}

extern "C" int heapdiff_readable_memory_covers(const heapdiff_readable_memory* memory, uintptr_t start, size_t size) {
    return memory && heapdiff::process::ranges_cover(memory->ranges, start, size);
}

extern "C" void heapdiff_readable_memory_free(heapdiff_readable_memory* memory) { delete memory; }
