#include "heapdiff/elf_symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "heapdiff/error.h"

namespace heapdiff::process {
namespace {

// Closes the descriptor however the reading ends.
class FileHandle {
public:
    explicit FileHandle(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) throw Error("cannot read " + path + ": " + std::strerror(errno));
    }
    ~FileHandle() { ::close(fd_); }
    FileHandle(const FileHandle&) = delete;
    FileHandle& operator=(const FileHandle&) = delete;

    bool read_at(void* out, std::size_t size, std::uint64_t offset) const {
        auto* p = static_cast<char*>(out);
        while (size > 0) {
            ssize_t n = ::pread(fd_, p, size, static_cast<off_t>(offset));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            p += n, size -= static_cast<std::size_t>(n), offset += static_cast<std::uint64_t>(n);
        }
        return true;
    }

private:
    int fd_;
};

bool is_elf64_le(const Elf64_Ehdr& h) {
    return std::memcmp(h.e_ident, ELFMAG, SELFMAG) == 0 && h.e_ident[EI_CLASS] == ELFCLASS64 &&
           h.e_ident[EI_DATA] == ELFDATA2LSB && h.e_shentsize == sizeof(Elf64_Shdr) &&
           h.e_phentsize == sizeof(Elf64_Phdr);
}

// A string table or symbol table is read whole; this bounds what a corrupt header can ask for.
constexpr std::uint64_t kMaxTableBytes = 256u << 20;

}  // namespace

namespace {

// The defined symbols among `wanted` in the file's sections of type `table_type` (SHT_DYNSYM or
// SHT_SYMTAB), local ones included; nothing when the file is not a 64-bit little-endian ELF or
// has no such section (`has_table` says which). Every table is read whole, bounded by
// kMaxTableBytes, and every index into it is checked: a hostile file gives no symbols, never
// an out-of-bounds read.
std::vector<ElfSymbol> find_symbols(const std::string& path, const std::vector<std::string>& wanted,
                                    std::uint32_t table_type, bool* has_table) {
    FileHandle file(path);
    Elf64_Ehdr header{};
    std::vector<ElfSymbol> found;
    if (has_table) *has_table = false;
    if (!file.read_at(&header, sizeof header, 0) || !is_elf64_le(header)) return found;
    std::vector<Elf64_Shdr> sections(header.e_shnum);
    if (sections.empty() ||
        !file.read_at(sections.data(), sections.size() * sizeof(Elf64_Shdr), header.e_shoff))
        return found;
    for (const Elf64_Shdr& table : sections) {
        if (table.sh_type != table_type || table.sh_link >= sections.size()) continue;
        if (has_table) *has_table = true;
        const Elf64_Shdr& names_section = sections[table.sh_link];
        if (table.sh_size > kMaxTableBytes || names_section.sh_size > kMaxTableBytes) return found;
        std::vector<Elf64_Sym> symbols(table.sh_size / sizeof(Elf64_Sym));
        std::string names(names_section.sh_size, '\0');
        if (!file.read_at(symbols.data(), symbols.size() * sizeof(Elf64_Sym), table.sh_offset) ||
            !file.read_at(names.data(), names.size(), names_section.sh_offset))
            return found;
        for (const Elf64_Sym& s : symbols) {
            if (s.st_shndx == SHN_UNDEF || s.st_name >= names.size()) continue;
            const char* name = names.c_str() + s.st_name;
            if (std::find(wanted.begin(), wanted.end(), name) != wanted.end())
                found.push_back({name, s.st_value, s.st_size});
        }
    }
    return found;
}

}  // namespace

std::vector<ElfSymbol> find_dynamic_symbols(const std::string& path, const std::vector<std::string>& wanted) {
    return find_symbols(path, wanted, SHT_DYNSYM, nullptr);
}

std::optional<std::vector<ElfSymbol>> find_symtab_symbols(const std::string& path,
                                                          const std::vector<std::string>& wanted) {
    bool has_table = false;
    std::vector<ElfSymbol> found = find_symbols(path, wanted, SHT_SYMTAB, &has_table);
    if (!has_table) return std::nullopt;
    return found;
}

std::optional<std::vector<unsigned char>> read_file_bytes_at(const std::string& path, std::uint64_t address,
                                                             std::size_t size) {
    FileHandle file(path);
    Elf64_Ehdr header{};
    if (!file.read_at(&header, sizeof header, 0) || !is_elf64_le(header)) return std::nullopt;
    std::vector<Elf64_Phdr> segments(header.e_phnum);
    if (segments.empty() ||
        !file.read_at(segments.data(), segments.size() * sizeof(Elf64_Phdr), header.e_phoff))
        return std::nullopt;
    for (const Elf64_Phdr& seg : segments) {
        if (seg.p_type != PT_LOAD || address < seg.p_vaddr || address + size > seg.p_vaddr + seg.p_filesz)
            continue;
        std::vector<unsigned char> bytes(size);
        if (!file.read_at(bytes.data(), size, seg.p_offset + (address - seg.p_vaddr))) return std::nullopt;
        return bytes;
    }
    return std::nullopt;
}

}  // namespace heapdiff::process
