// The few symbols heapdiff needs from an ELF file (the python executable or libpython):
// for attach, whether it holds a CPython interpreter at all and the constant Py_Version
// (3.11+) read from the file itself, so no target memory is touched; for the probe, where
// obmalloc.c's static variables are before 3.12 (only the full symbol table names them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heapdiff::process {

struct ElfSymbol {
    std::string name;
    std::uint64_t value = 0;  // its virtual address in the file's own numbering
    std::uint64_t size = 0;
};

// The defined symbols among `wanted` in the file's .dynsym (64-bit little-endian ELF).
// Throws Error when the file cannot be read; a file that is not such an ELF has none.
std::vector<ElfSymbol> find_dynamic_symbols(const std::string& path, const std::vector<std::string>& wanted);

// The defined symbols among `wanted` in the file's full symbol table (.symtab), local
// (static) ones included, so a name may appear more than once; nothing when the file has no
// .symtab (a stripped file: Debian's python3.X keeps it only in a separate debug package)
// or is not a 64-bit little-endian ELF. Throws Error when the file cannot be read.
std::optional<std::vector<ElfSymbol>> find_symtab_symbols(const std::string& path,
                                                          const std::vector<std::string>& wanted);

// The `size` bytes at virtual address `address` of the file, if a loaded segment holds
// them in the file (a constant's initial value).
std::optional<std::vector<unsigned char>> read_file_bytes_at(const std::string& path, std::uint64_t address,
                                                             std::size_t size);

}  // namespace heapdiff::process
