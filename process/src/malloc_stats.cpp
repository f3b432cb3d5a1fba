#include "heapdiff/malloc_stats.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace heapdiff::process {
namespace {

// ---- malloc_info's text, one tag at a time --------------------------------------------

constexpr std::size_t kMaxTag = 256;       // glibc's longest tag is under 100 bytes
constexpr std::size_t kMaxArenas = 16384;  // glibc: at most 8 arenas per core

// The number in `name="digits"` inside a tag's text, or nothing.
std::optional<std::uint64_t> attribute(std::string_view tag, std::string_view name) {
    for (std::size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
        const bool starts_word = at > 0 && (tag[at - 1] == ' ' || tag[at - 1] == '\t' || tag[at - 1] == '\n');
        std::size_t pos = at + name.size();
        if (!starts_word || tag.substr(pos, 2) != "=\"") continue;
        pos += 2;
        std::uint64_t value = 0;
        std::size_t digits = 0;
        while (pos < tag.size() && tag[pos] >= '0' && tag[pos] <= '9') {
            if (++digits > 19) return std::nullopt;  // < 10^19 fits in 64 bits
            value = value * 10 + static_cast<std::uint64_t>(tag[pos++] - '0');
        }
        if (digits == 0 || pos >= tag.size() || tag[pos] != '"') return std::nullopt;
        return value;
    }
    return std::nullopt;
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) { return a + b < a ? ~std::uint64_t(0) : a + b; }

// Feeds on pieces of the text as stdio writes them (so the text is never held whole) and
// keeps only the current tag, in a fixed buffer.
class MallocInfoScanner {
public:
    explicit MallocInfoScanner(std::vector<MallocArenaStats>& out) : out_(out) {}

    void feed(const char* data, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) {
            const char c = data[i];
            if (c == '<') {  // a '<' inside a tag starts a new one: the broken one is dropped
                in_tag_ = true;
                too_long_ = false;
                length_ = 0;
            } else if (!in_tag_) {
            } else if (c == '>') {
                in_tag_ = false;
                if (!too_long_) tag(std::string_view(tag_, length_));
            } else if (length_ < kMaxTag) {
                tag_[length_++] = c;
            } else {
                too_long_ = true;
            }
        }
    }

private:
    void tag(std::string_view text) {
        std::size_t name_end = !text.empty() && text[0] == '/' ? 1 : 0;  // "/heap" closes one
        while (name_end < text.size() && text[name_end] != ' ' && text[name_end] != '\t' && text[name_end] != '\n' &&
               text[name_end] != '/')
            ++name_end;
        const std::string_view name = text.substr(0, name_end);
        if (name == "heap") {
            in_heap_ = false;
            if (out_.size() >= kMaxArenas) return;
            MallocArenaStats arena;
            arena.number = attribute(text, "nr").value_or(out_.size());
            out_.push_back(arena);
            in_heap_ = true;
            return;
        }
        if (name == "/heap" || name == "/malloc" || name == "malloc") {
            in_heap_ = false;
            return;
        }
        if (!in_heap_) return;
        MallocArenaStats& arena = out_.back();
        const std::string_view type = type_of(text);
        const std::optional<std::uint64_t> size = attribute(text, "size");
        if (!size) return;
        if (name == "total" && (type == "fast" || type == "rest")) {
            arena.free_bytes = saturating_add(arena.free_bytes, *size);
            arena.free_chunks = saturating_add(arena.free_chunks, attribute(text, "count").value_or(0));
        } else if (name == "system" && type == "current") {
            arena.system_current = *size;
        } else if (name == "system" && type == "max") {
            arena.system_max = *size;
        } else if (name == "aspace" && type == "total") {
            arena.mmapped_aspace = *size;
        }
    }

    static std::string_view type_of(std::string_view tag) {
        const std::size_t at = tag.find(" type=\"");
        if (at == std::string_view::npos) return {};
        const std::size_t from = at + 7, end = tag.find('"', from);
        return end == std::string_view::npos ? std::string_view() : tag.substr(from, end - from);
    }

    std::vector<MallocArenaStats>& out_;
    char tag_[kMaxTag];
    std::size_t length_ = 0;
    bool in_tag_ = false, too_long_ = false, in_heap_ = false;
};

// ---- who serves malloc --------------------------------------------------------------

// glibc's struct mallinfo2 (2.33+) and struct mallinfo, declared here so the code builds
// against older headers (manylinux2014 has glibc 2.17) and runs where either is missing.
struct Mallinfo2 {
    std::size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct Mallinfo {
    int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};

enum class Kind { kUnknown, kGlibc, kJemalloc, kMimalloc, kTcmalloc };

struct Allocator {
    Kind kind = Kind::kUnknown;
    std::string name = "unknown";
    std::string malloc_from;  // the object that defines malloc, when it is not libc
    // glibc
    Mallinfo2 (*mallinfo2)() = nullptr;
    Mallinfo (*mallinfo)() = nullptr;
    int (*malloc_info)(int, std::FILE*) = nullptr;
    // jemalloc
    int (*mallctl)(const char*, void*, std::size_t*, void*, std::size_t) = nullptr;
    // mimalloc
    void (*mi_process_info)(std::size_t*, std::size_t*, std::size_t*, std::size_t*, std::size_t*, std::size_t*,
                            std::size_t*, std::size_t*) = nullptr;
    // tcmalloc (gperftools)
    int (*tc_numeric)(const char*, std::size_t*) = nullptr;
};

template <typename F>
F symbol(void* handle, const char* name) {
    return reinterpret_cast<F>(::dlsym(handle, name));
}

std::string mimalloc_version(int v) {  // 212 -> "2.1.2"
    return std::to_string(v / 100) + "." + std::to_string(v % 100 / 10) + "." + std::to_string(v % 10);
}

// glibc's own calls, found through libc itself (mallinfo2 from 2.33, mallinfo before).
Allocator glibc_allocator(void* libc, std::string malloc_from) {
    Allocator a;
    a.malloc_from = std::move(malloc_from);
    a.kind = Kind::kGlibc;
    auto version = symbol<const char* (*)()>(libc, "gnu_get_libc_version");
    a.name = std::string("glibc") + (version ? std::string(" ") + version() : std::string());
    a.mallinfo2 = symbol<Mallinfo2 (*)()>(libc, "mallinfo2");
    if (!a.mallinfo2) a.mallinfo = symbol<Mallinfo (*)()>(libc, "mallinfo");
    a.malloc_info = symbol<int (*)(int, std::FILE*)>(libc, "malloc_info");
    return a;
}

Allocator detect() {
    Allocator a;
    void* const libc = ::dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    void* const malloc_here = ::dlsym(RTLD_DEFAULT, "malloc");
    if (libc && malloc_here && malloc_here == ::dlsym(libc, "malloc")) return glibc_allocator(libc, "");
    // Another object interposes malloc: look for the allocators' own calls in it first, so
    // a library that merely links jemalloc for itself is not taken for the allocator.
    Dl_info info{};
    void* handle = RTLD_DEFAULT;
    if (malloc_here && ::dladdr(malloc_here, &info) && info.dli_fname && *info.dli_fname) {
        a.malloc_from = info.dli_fname;
        if (void* h = ::dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD)) handle = h;
    }
    using Mallctl = decltype(a.mallctl);
    a.mallctl = symbol<Mallctl>(handle, "mallctl");
    if (!a.mallctl) a.mallctl = symbol<Mallctl>(handle, "je_mallctl");
    if (a.mallctl) {
        a.kind = Kind::kJemalloc;
        a.name = "jemalloc";
        const char* version = nullptr;
        std::size_t size = sizeof version;
        if (a.mallctl("version", &version, &size, nullptr, 0) == 0 && version) a.name += std::string(" ") + version;
        return a;
    }
    if (auto mi_version = symbol<int (*)()>(handle, "mi_version")) {
        a.kind = Kind::kMimalloc;
        a.name = "mimalloc " + mimalloc_version(mi_version());
        a.mi_process_info = symbol<decltype(a.mi_process_info)>(handle, "mi_process_info");
        return a;
    }
    a.tc_numeric = symbol<decltype(a.tc_numeric)>(handle, "MallocExtension_GetNumericProperty");
    if (a.tc_numeric || a.malloc_from.find("tcmalloc") != std::string::npos) {
        a.kind = Kind::kTcmalloc;
        a.name = "tcmalloc";
        if (auto tc_version = symbol<const char* (*)(int*, int*, const char**)>(handle, "tc_version"))
        {
            int major = 0, minor = 0;
            const char* patch = nullptr;
            if (const char* v = tc_version(&major, &minor, &patch)) a.name += std::string(" (") + v + ")";
        }
        return a;
    }
    // A non-PIE executable that takes malloc's address (Debian's python3.14) owns malloc's
    // canonical PLT entry, and dlsym finds that stub, not libc's. Found in the program
    // itself (not in a shared library) and with no other allocator's calls above, malloc
    // is still glibc's.
    const std::string from = a.malloc_from.substr(a.malloc_from.rfind('/') + 1);
    if (libc && from.find(".so") == std::string::npos) return glibc_allocator(libc, a.malloc_from);
    return a;
}

const Allocator& allocator() {
    static const Allocator found = detect();
    return found;
}

std::int64_t as_int64(std::uint64_t v) { return v > std::uint64_t(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v); }

// ---- each allocator's figures -------------------------------------------------------

// malloc_info through a cookie stream: stdio's buffer is ours (on the stack) and each
// flushed piece goes to the scanner, so the text is never stored. glibc writes only after
// it has let go of an arena's lock, so allocating here cannot deadlock.
struct InfoSink {
    MallocInfoScanner* scanner;
    bool failed = false;
};

ssize_t sink_write(void* cookie, const char* data, std::size_t size) {
    auto* sink = static_cast<InfoSink*>(cookie);
    try {
        if (!sink->failed) sink->scanner->feed(data, size);
    } catch (...) {
        sink->failed = true;
    }
    return static_cast<ssize_t>(size);
}

bool read_malloc_info(const Allocator& a, std::vector<MallocArenaStats>& arenas) {
    if (!a.malloc_info) return false;
    MallocInfoScanner scanner(arenas);
    InfoSink sink{&scanner};
    cookie_io_functions_t io{};
    io.write = sink_write;
    std::FILE* f = ::fopencookie(&sink, "w", io);
    if (!f) return false;
    char buffer[4096];
    std::setvbuf(f, buffer, _IOFBF, sizeof buffer);
    const int rc = a.malloc_info(0, f);
    std::fclose(f);
    return rc == 0 && !sink.failed;
}

void read_glibc(const Allocator& a, MallocStats& out) {
    if (a.mallinfo2) {
        const Mallinfo2 m = a.mallinfo2();
        out.in_use = as_int64(m.uordblks);
        out.free = as_int64(m.fordblks);
        out.mmapped = as_int64(m.hblkhd);
        out.mmapped_chunks = as_int64(m.hblks);
        out.system = as_int64(m.arena);
        out.releasable = as_int64(m.keepcost);
        out.exposes = "mallinfo2";
    } else if (a.mallinfo) {
        // glibc computes in size_t and stores the low 32 bits in an int: read as unsigned
        // they are right up to 4 GiB.
        const Mallinfo m = a.mallinfo();
        auto u = [](int v) { return static_cast<std::int64_t>(static_cast<std::uint32_t>(v)); };
        out.in_use = u(m.uordblks);
        out.free = u(m.fordblks);
        out.mmapped = u(m.hblkhd);
        out.mmapped_chunks = u(m.hblks);
        out.system = u(m.arena);
        out.releasable = u(m.keepcost);
        out.exposes = "mallinfo (glibc < 2.33: int fields, wrap past 4 GiB)";
    }
    if (read_malloc_info(a, out.arenas)) {
        out.arena_count = static_cast<std::int64_t>(out.arenas.size());
        out.exposes += out.exposes.empty() ? "malloc_info" : " and malloc_info";
    } else {
        out.arenas.clear();
    }
    if (out.exposes.empty()) out.exposes = "nothing (no mallinfo2, mallinfo or malloc_info in libc)";
}

void read_jemalloc(const Allocator& a, MallocStats& out) {
    // The stats are a snapshot taken when "epoch" is written.
    std::uint64_t epoch = 1;
    std::size_t size = sizeof epoch;
    a.mallctl("epoch", &epoch, &size, &epoch, size);
    auto get = [&](const char* name) -> std::optional<std::int64_t> {
        std::size_t value = 0, value_size = sizeof value;
        if (a.mallctl(name, &value, &value_size, nullptr, 0) != 0) return std::nullopt;
        return as_int64(value);
    };
    out.allocated = get("stats.allocated");
    out.active = get("stats.active");
    out.resident = get("stats.resident");
    out.mapped = get("stats.mapped");
    out.retained = get("stats.retained");
    out.exposes = out.allocated ? "mallctl stats (allocated, active, resident, mapped, retained)"
                                : "nothing (mallctl has no stats: built with --disable-stats)";
}

void read_mimalloc(const Allocator& a, MallocStats& out) {
    if (!a.mi_process_info) {
        out.exposes = "nothing (no mi_process_info)";
        return;
    }
    std::size_t elapsed = 0, user = 0, system = 0, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0, faults = 0;
    a.mi_process_info(&elapsed, &user, &system, &rss, &peak_rss, &commit, &peak_commit, &faults);
    out.mapped = as_int64(commit);  // its rss is the process's, not mimalloc's: left out
    out.exposes = "mi_process_info: committed bytes (as mapped)";
}

void read_tcmalloc(const Allocator& a, MallocStats& out) {
    if (!a.tc_numeric) {
        out.exposes = "nothing (no MallocExtension_GetNumericProperty)";
        return;
    }
    auto get = [&](const char* name) -> std::optional<std::int64_t> {
        std::size_t value = 0;
        if (!a.tc_numeric(name, &value)) return std::nullopt;
        return as_int64(value);
    };
    out.allocated = get("generic.current_allocated_bytes");
    out.mapped = get("generic.heap_size");
    out.free = get("tcmalloc.pageheap_free_bytes");
    if (auto unmapped = get("tcmalloc.pageheap_unmapped_bytes"); unmapped && out.mapped && *unmapped <= *out.mapped)
        out.resident = *out.mapped - *unmapped;
    out.exposes = "MallocExtension numeric properties (allocated, heap size as mapped, resident, page heap free)";
}

}  // namespace

std::vector<MallocArenaStats> parse_malloc_info(std::string_view xml) {
    std::vector<MallocArenaStats> out;
    MallocInfoScanner scanner(out);
    scanner.feed(xml.data(), xml.size());
    return out;
}

MallocStats read_malloc_stats() noexcept {
    MallocStats out;
    try {
        const Allocator& a = allocator();
        out.allocator = a.name;
        switch (a.kind) {
            case Kind::kGlibc: read_glibc(a, out); break;
            case Kind::kJemalloc: read_jemalloc(a, out); break;
            case Kind::kMimalloc: read_mimalloc(a, out); break;
            case Kind::kTcmalloc: read_tcmalloc(a, out); break;
            case Kind::kUnknown:
                out.exposes = "nothing: malloc comes from " + (a.malloc_from.empty() ? std::string("an unknown object") : a.malloc_from);
                break;
        }
    } catch (...) {  // bad_alloc on a string: what was read so far
    }
    return out;
}

std::optional<std::uint64_t> resident_bytes_in(std::uint64_t start, std::uint64_t length) noexcept {
    const long page_size = ::sysconf(_SC_PAGESIZE);
    if (page_size <= 0) return std::nullopt;
    const std::uint64_t page = static_cast<std::uint64_t>(page_size);
    if (start % page != 0 || length > ~std::uint64_t(0) - start - (page - 1)) return std::nullopt;
    std::uint64_t pages = (length + page - 1) / page;
    std::uint64_t resident = 0;
    unsigned char vec[1024];  // one byte a page, 1024 pages a call: no allocation
    for (std::uint64_t at = start; pages > 0;) {
        const std::uint64_t n = pages < sizeof vec ? pages : sizeof vec;
        if (::mincore(reinterpret_cast<void*>(at), n * page, vec) != 0) return std::nullopt;
        for (std::uint64_t i = 0; i < n; ++i) resident += vec[i] & 1;
        at += n * page;
        pages -= n;
    }
    return resident * page;
}

}  // namespace heapdiff::process
