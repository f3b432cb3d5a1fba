#include "obmalloc_symbols.h"

#include <Python.h>
#include <elf.h>
#include <link.h>

#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "heapdiff/elf_symbols.h"
#include "heapdiff/proc_files.h"

namespace {

// The loaded ELF object whose segments hold `address`: its file and its load bias.
struct LoadedObject {
    std::string path;  // what to open ("/proc/self/exe" for the main program)
    std::string name;  // what to say
    std::uintptr_t bias = 0;
    bool found = false;
};

int find_object(struct dl_phdr_info* info, size_t, void* data) {
    auto* want = static_cast<std::pair<std::uintptr_t, LoadedObject>*>(data);
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& seg = info->dlpi_phdr[i];
        const std::uintptr_t start = info->dlpi_addr + seg.p_vaddr;
        if (seg.p_type != PT_LOAD || want->first < start || want->first >= start + seg.p_memsz) continue;
        LoadedObject& out = want->second;
        out.found = true;
        out.bias = info->dlpi_addr;
        if (info->dlpi_name && info->dlpi_name[0]) {
            out.path = out.name = info->dlpi_name;
        } else {  // the main program: a python executable with libpython linked in
            out.path = "/proc/self/exe";
            out.name = heapdiff::process::executable_link("/proc/self").value_or("the python executable");
        }
        return 1;
    }
    return 0;
}

// The one symbol of that name, or nothing when there is none or more than one.
std::optional<heapdiff::process::ElfSymbol> only(const std::vector<heapdiff::process::ElfSymbol>& symbols,
                                                 const char* name) {
    std::optional<heapdiff::process::ElfSymbol> out;
    for (const auto& s : symbols) {
        if (s.name != name) continue;
        if (out) return std::nullopt;
        out = s;
    }
    return out;
}

struct Found {
    heapdiff_obmalloc_symbols symbols{};
    std::string source, why_not;
};

void look_up(Found& f) {
    const auto function = reinterpret_cast<std::uintptr_t>(&PyObject_Malloc);
    std::pair<std::uintptr_t, LoadedObject> want{function, {}};
    dl_iterate_phdr(find_object, &want);
    const LoadedObject& object = want.second;
    if (!object.found) {
        f.why_not = "no loaded file holds PyObject_Malloc's code";
        return;
    }
    const auto symtab = heapdiff::process::find_symtab_symbols(
        object.path, {"arenas", "maxarenas", "narenas_currently_allocated", "PyObject_Malloc"});
    if (!symtab) {
        f.why_not = object.name +
                    " has no symbol table (stripped; Debian/Ubuntu's python3.X keeps it only in the "
                    "python3.X-dbg package), so obmalloc.c's static arenas cannot be found";
        return;
    }
    const auto arenas = only(*symtab, "arenas");
    const auto maxarenas = only(*symtab, "maxarenas");
    const auto narenas = only(*symtab, "narenas_currently_allocated");
    const auto malloc_symbol = only(*symtab, "PyObject_Malloc");
    if (!arenas || !maxarenas || !narenas || arenas->size != sizeof(void*) || maxarenas->size != sizeof(unsigned) ||
        narenas->size != sizeof(size_t)) {
        f.why_not = "the symbol table of " + object.name +
                    " does not name obmalloc.c's arenas, maxarenas and narenas_currently_allocated "
                    "once each with their sizes (built without pymalloc?)";
        return;
    }
    // The file read must be the one mapped: an interpreter upgraded on disk since the process
    // started has other addresses.
    if (!malloc_symbol || object.bias + malloc_symbol->value != function) {
        f.why_not = object.name + " on disk is not the file loaded in this process (PyObject_Malloc is elsewhere)";
        return;
    }
    f.symbols.arenas = object.bias + arenas->value;
    f.symbols.maxarenas = object.bias + maxarenas->value;
    f.symbols.narenas = object.bias + narenas->value;
    f.source = "symbols arenas, maxarenas of " + object.name;
}

// Fills `f` in place: its strings do not move after their c_str() is taken.
void find_once(Found& f) {
    try {
        look_up(f);
    } catch (const std::exception& e) {
        f.why_not = std::string("obmalloc.c's symbols not read: ") + e.what();
    }
    f.symbols.source = f.source.c_str();
    f.symbols.why_not = f.why_not.empty() ? nullptr : f.why_not.c_str();
}

}  // namespace

extern "C" const heapdiff_obmalloc_symbols* heapdiff_find_obmalloc_symbols(void) {
    static const Found* const found = [] {  // kept for the process's life, never freed
        auto* f = new Found;
        find_once(*f);
        return f;
    }();
    return &found->symbols;
}
