// The process room's readers (process/) on hand-made /proc and cgroup trees: what each
// file gives, and that a missing, "max" or garbled file reads as "not known", never a guess.
#include <doctest/doctest.h>

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "heapdiff/elf_symbols.h"
#include "heapdiff/error.h"
#include "heapdiff/proc_files.h"
#include "heapdiff/process_memory.h"
#include "temp_dir.h"

using namespace heapdiff::process;
using heapdiff::test::TempDir;

namespace {

void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

void make_dirs(const std::string& path) {
    for (std::size_t i = 1; i <= path.size(); ++i)
        if (i == path.size() || path[i] == '/') ::mkdir(path.substr(0, i).c_str(), 0700);
}

// A hand-made 64-bit little-endian ELF: a header, the sections (null, then a symbol table of
// `table_type` and its string table) and the symbols: a static `arenas`, a global
// `PyObject_Malloc`, an undefined `malloc` and one whose name lies outside the string table.
std::string tiny_elf(std::uint32_t table_type, std::uint64_t symtab_size_override = 0) {
    const std::string names = std::string("\0arenas\0PyObject_Malloc\0malloc\0", 31);
    std::vector<Elf64_Sym> symbols(5);
    symbols[1].st_name = 1, symbols[1].st_info = ELF64_ST_INFO(STB_LOCAL, STT_OBJECT), symbols[1].st_shndx = 7;
    symbols[1].st_value = 0x5b7a60, symbols[1].st_size = 8;
    symbols[2].st_name = 8, symbols[2].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), symbols[2].st_shndx = 5;
    symbols[2].st_value = 0x1234, symbols[2].st_size = 99;
    symbols[3].st_name = 24, symbols[3].st_shndx = SHN_UNDEF;  // malloc: needed, not defined here
    symbols[4].st_name = 1000, symbols[4].st_shndx = 5;         // a name past the table's end
    Elf64_Ehdr header{};
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = ELFCLASS64, header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_shentsize = sizeof(Elf64_Shdr), header.e_phentsize = sizeof(Elf64_Phdr);
    header.e_shnum = 3, header.e_shoff = sizeof header;
    std::vector<Elf64_Shdr> sections(3);
    const std::uint64_t symbols_at = sizeof header + 3 * sizeof(Elf64_Shdr);
    sections[1].sh_type = table_type, sections[1].sh_link = 2, sections[1].sh_offset = symbols_at;
    sections[1].sh_size = symtab_size_override ? symtab_size_override : symbols.size() * sizeof(Elf64_Sym);
    sections[2].sh_type = SHT_STRTAB, sections[2].sh_offset = symbols_at + symbols.size() * sizeof(Elf64_Sym);
    sections[2].sh_size = names.size();
    std::string out(reinterpret_cast<const char*>(&header), sizeof header);
    out.append(reinterpret_cast<const char*>(sections.data()), sections.size() * sizeof(Elf64_Shdr));
    out.append(reinterpret_cast<const char*>(symbols.data()), symbols.size() * sizeof(Elf64_Sym));
    return out + names;
}

}  // namespace

TEST_CASE("the full symbol table: static symbols too; nothing when there is none or it is hostile") {
    TempDir dir;
    write(dir.file("libpython"), tiny_elf(SHT_SYMTAB));
    const auto found = find_symtab_symbols(dir.file("libpython"), {"arenas", "PyObject_Malloc", "malloc", "maxarenas"});
    REQUIRE(found);
    REQUIRE(found->size() == 2);  // malloc is undefined, maxarenas absent
    CHECK((*found)[0].name == "arenas");
    CHECK((*found)[0].value == 0x5b7a60);
    CHECK((*found)[0].size == 8);
    CHECK((*found)[1].name == "PyObject_Malloc");
    CHECK(find_dynamic_symbols(dir.file("libpython"), {"arenas"}).empty());  // .dynsym is another table

    write(dir.file("stripped"), tiny_elf(SHT_DYNSYM));  // only .dynsym left
    CHECK_FALSE(find_symtab_symbols(dir.file("stripped"), {"arenas"}));
    CHECK(find_dynamic_symbols(dir.file("stripped"), {"arenas"}).size() == 1);

    write(dir.file("huge"), tiny_elf(SHT_SYMTAB, std::uint64_t(1) << 40));  // a table bigger than any file
    REQUIRE(find_symtab_symbols(dir.file("huge"), {"arenas"}));
    CHECK(find_symtab_symbols(dir.file("huge"), {"arenas"})->empty());
    write(dir.file("past-end"), tiny_elf(SHT_SYMTAB, 64 * sizeof(Elf64_Sym)));  // reaches past the file's end
    CHECK(find_symtab_symbols(dir.file("past-end"), {"arenas"})->empty());
    const std::string whole = tiny_elf(SHT_SYMTAB);
    write(dir.file("truncated"), whole.substr(0, 100));  // the section headers cut off
    CHECK_FALSE(find_symtab_symbols(dir.file("truncated"), {"arenas"}));
    write(dir.file("text"), "#!/bin/sh\necho hello\n");
    CHECK_FALSE(find_symtab_symbols(dir.file("text"), {"arenas"}));
    CHECK_THROWS_AS(find_symtab_symbols(dir.file("missing"), {"arenas"}), heapdiff::Error);

    // This test program is not stripped: its own main is in its symbol table.
    const auto own = find_symtab_symbols("/proc/self/exe", {"main"});
    REQUIRE(own);
    REQUIRE(own->size() == 1);
    CHECK((*own)[0].value != 0);
}

TEST_CASE("readable ranges: 'r' mappings joined when adjacent; vvar and vsyscall left out") {
    TempDir dir;
    write(dir.file("maps"),
          "1000-2000 r--p 00000000 08:01 12 /usr/lib/libpython3.9.so.1.0\n"
          "2000-3000 r-xp 00001000 08:01 12 /usr/lib/libpython3.9.so.1.0\n"
          "3000-4000 ---p 00000000 00:00 0 \n"
          "4000-6000 rw-p 00000000 00:00 0 \n"
          "7000-8000 rw-p 00000000 00:00 0 [heap]\n"
          "zz-yy r--p qq 08:01 12 /garbled\n"
          "9000-a000 r--p 00000000 00:00 0 [vvar]\n"
          "a000-b000 r--p 00000000 00:00 0 [vvar_vclock]\n"
          "b000-c000 r-xp 00000000 00:00 0 [vdso]\n"
          "5000-5800 r--p 00000000 00:00 0 \n"  // out of order: not trusted
          "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n");
    const std::vector<AddressRange> ranges = readable_ranges(dir.path());
    REQUIRE(ranges.size() == 4);
    CHECK(ranges[0].start == 0x1000);
    CHECK(ranges[0].end == 0x3000);
    CHECK(ranges[1].start == 0x4000);
    CHECK(ranges[1].end == 0x6000);
    CHECK(ranges[2].start == 0x7000);
    CHECK(ranges[3].start == 0xb000);
    CHECK(ranges_cover(ranges, 0x1000, 0x2000));  // across the two joined mappings
    CHECK(ranges_cover(ranges, 0x2ff8, 8));
    CHECK_FALSE(ranges_cover(ranges, 0x2ff8, 16));  // into the unreadable one
    CHECK_FALSE(ranges_cover(ranges, 0x800, 8));
    CHECK_FALSE(ranges_cover(ranges, 0x9000, 8));  // vvar
    CHECK_FALSE(ranges_cover(ranges, 0x7000, ~std::uint64_t(0)));  // wraps around
    CHECK(readable_ranges(dir.file("nowhere")).empty());

    int local = 0;
    const std::vector<AddressRange> own = readable_ranges("/proc/self");
    CHECK(ranges_cover(own, reinterpret_cast<std::uintptr_t>(&local), sizeof local));
    CHECK_FALSE(ranges_cover(own, 0, 8));
}

TEST_CASE("status fields, the run state and the NUL-separated lists of a /proc/<pid> directory") {
    TempDir dir;
    const std::string proc = dir.file("proc");
    const std::string pid = process_dir(42, proc);
    CHECK(pid == proc + "/42");
    make_dirs(pid);
    write(pid + "/status", "Name:\tpython3\nState:\tS (sleeping)\nVmRSS:\t  1234 kB\n");
    write(pid + "/stat", "42 (odd) name) T 1 42 42 0 -1");
    write(pid + "/cmdline", std::string("python3\0-X\0dev\0app.py\0", 22));
    const std::string status = read_small_file(pid + "/status");
    CHECK(status_field(status, "State") == "S (sleeping)");
    CHECK(status_field(status, "VmRSS") == "1234 kB");
    CHECK(status_field(status, "Vm").empty());  // a key is a whole name, not a prefix
    CHECK(process_state(pid) == 'T');            // after the last ')': comm may hold one
    CHECK(nul_separated(pid + "/cmdline") == std::vector<std::string>{"python3", "-X", "dev", "app.py"});
    CHECK(read_small_file(pid + "/missing").empty());
    CHECK(process_state(dir.file("nowhere")) == 0);
    CHECK_FALSE(executable_link(pid));
    ::symlink("/usr/bin/python3.11", (pid + "/exe").c_str());
    CHECK(executable_link(pid) == std::string("/usr/bin/python3.11"));
}

TEST_CASE("file mappings: absolute paths only, with start and offset; a garbled line is skipped") {
    TempDir dir;
    write(dir.file("maps"),
          "7f00000000-7f00001000 r--p 00000000 08:01 12 /usr/lib/libpython3.11.so.1.0\n"
          "7f00001000-7f00002000 r-xp 00001000 08:01 12 /usr/lib/libpython3.11.so.1.0\n"
          "7f00003000-7f00004000 rw-p 00000000 00:00 0 \n"
          "7ffd0000-7ffd1000 rw-p 00000000 00:00 0 [stack]\n"
          "zz-yy r--p qq 08:01 12 /garbled\n"
          "7f00005000-7f00006000 r--p 00000000 08:01 13 /path with spaces/lib.so\n");
    const std::vector<FileMapping> maps = file_mappings(dir.path());
    REQUIRE(maps.size() == 3);
    CHECK(maps[0].start == 0x7f00000000);
    CHECK(maps[1].offset == 0x1000);
    CHECK(maps[1].path == "/usr/lib/libpython3.11.so.1.0");
    CHECK(maps[2].path == "/path with spaces/lib.so");
}

TEST_CASE("resident bytes from statm, and this process's own") {
    TempDir dir;
    write(dir.file("statm"), "1000 25 3 1 0 10 0\n");
    CHECK(resident_bytes(dir.file("statm")) == 25 * ::sysconf(_SC_PAGESIZE));
    CHECK(address_space_bytes(dir.file("statm")) == 1000 * ::sysconf(_SC_PAGESIZE));
    write(dir.file("bad"), "nonsense\n");
    CHECK_FALSE(resident_bytes(dir.file("bad")));
    CHECK_FALSE(address_space_bytes(dir.file("bad")));
    CHECK_FALSE(resident_bytes(dir.file("missing")));
    REQUIRE(resident_bytes());
    CHECK(*resident_bytes() > 0);
    REQUIRE(peak_resident_bytes());
    CHECK(*peak_resident_bytes() >= *resident_bytes() / 2);
}

TEST_CASE("the machine's memory from meminfo") {
    TempDir dir;
    write(dir.file("meminfo"), "MemTotal:       24604320 kB\nMemFree:        20000000 kB\n");
    CHECK(machine_memory_bytes(dir.file("meminfo")) == std::int64_t(24604320) * 1024);
    write(dir.file("garbled"), "MemTotal: lots\n");
    CHECK_FALSE(machine_memory_bytes(dir.file("garbled")));
    CHECK_FALSE(machine_memory_bytes(dir.file("missing")));
    CHECK(machine_memory_bytes().value_or(0) > 0);
}

TEST_CASE("smaps_rollup totals in bytes") {
    TempDir dir;
    write(dir.file("smaps_rollup"),
          "55d0c0000000-7ffd00000000 ---p 00000000 00:00 0                          [rollup]\n"
          "Rss:               10240 kB\nPss:                8192 kB\nPss_Anon:           4096 kB\n"
          "Shared_Clean:       2048 kB\nPrivate_Dirty:      3072 kB\nSwap:                 16 kB\n");
    const auto rollup = memory_rollup(dir.file("smaps_rollup"));
    REQUIRE(rollup);
    CHECK(rollup->rss == 10240 * 1024);
    CHECK(rollup->pss == 8192 * 1024);  // not Pss_Anon
    CHECK(rollup->private_dirty == 3072 * 1024);
    CHECK(rollup->swap == 16 * 1024);
    CHECK_FALSE(memory_rollup(dir.file("missing")));
    write(dir.file("empty"), "no totals here\n");
    CHECK_FALSE(memory_rollup(dir.file("empty")));
}

TEST_CASE("cgroup v2: the smallest limit of the cgroup and its ancestors, the usage of the deepest") {
    TempDir dir;
    const std::string root = dir.file("cg");
    write(dir.file("cgroup"), "0::/app/worker\n");
    make_dirs(root + "/app/worker");
    CHECK_FALSE(cgroup_memory(root, dir.file("cgroup")).limit);  // no cgroup.controllers: not mounted here
    write(root + "/cgroup.controllers", "cpu memory\n");
    write(root + "/app/worker/memory.max", "max\n");
    write(root + "/app/worker/memory.current", "5000\n");
    CgroupMemory m = cgroup_memory(root, dir.file("cgroup"));
    CHECK_FALSE(m.limit);
    CHECK(m.current == 5000);
    write(root + "/app/memory.max", "3000000\n");  // an ancestor's limit applies
    write(root + "/app/memory.current", "9000\n");
    m = cgroup_memory(root, dir.file("cgroup"));
    CHECK(m.limit == 3000000);
    CHECK(m.current == 5000);
    write(root + "/app/worker/memory.max", "1000000\n");
    CHECK(cgroup_memory(root, dir.file("cgroup")).limit == 1000000);
    write(root + "/app/worker/memory.max", "99999999999999999999999\n");  // too large to be a limit
    CHECK(cgroup_memory(root, dir.file("cgroup")).limit == 3000000);
}

TEST_CASE("cgroup v2 mounted at the container's own cgroup, and hybrid layouts under unified/") {
    TempDir dir;
    write(dir.file("cgroup"), "0::/host/slice/container\n");
    const std::string root = dir.file("cg");
    make_dirs(root);
    write(root + "/cgroup.controllers", "memory\n");
    write(root + "/memory.max", "700\n");  // the mount is the container's cgroup itself
    write(root + "/memory.current", "300\n");
    CgroupMemory m = cgroup_memory(root, dir.file("cgroup"));
    CHECK(m.limit == 700);
    CHECK(m.current == 300);

    const std::string hybrid = dir.file("hybrid");
    make_dirs(hybrid + "/unified/host/slice/container");
    write(hybrid + "/unified/cgroup.controllers", "\n");
    write(hybrid + "/unified/host/slice/container/memory.max", "800\n");
    CHECK(cgroup_memory(hybrid, dir.file("cgroup")).limit == 800);
}

TEST_CASE("cgroup v1: memory.limit_in_bytes, its huge 'unlimited', and the smaller of v1 and v2") {
    TempDir dir;
    write(dir.file("cgroup"), "5:cpu,cpuacct:/x\n4:memory:/job\n0::/job\n");
    const std::string root = dir.file("cg");
    make_dirs(root + "/memory/job");
    write(root + "/memory/memory.limit_in_bytes", "9223372036854771712\n");
    write(root + "/memory/job/memory.usage_in_bytes", "4096\n");
    CgroupMemory m = cgroup_memory(root, dir.file("cgroup"));
    CHECK_FALSE(m.limit);
    CHECK(m.current == 4096);
    write(root + "/memory/job/memory.limit_in_bytes", "536870912\n");
    CHECK(cgroup_memory(root, dir.file("cgroup")).limit == 536870912);
    make_dirs(root + "/job");
    write(root + "/cgroup.controllers", "memory\n");
    write(root + "/job/memory.max", "1000\n");
    write(root + "/job/memory.current", "77\n");
    m = cgroup_memory(root, dir.file("cgroup"));
    CHECK(m.limit == 1000);
    CHECK(m.current == 77);  // v2's usage when both report one
    CHECK_FALSE(cgroup_memory(root, dir.file("no-cgroup-file")).limit);
}
