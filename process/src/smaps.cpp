#include "heapdiff/smaps.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace heapdiff::process {
namespace {

constexpr std::size_t kReadPiece = 64 * 1024;  // longer than any line: a path is at most 4096 bytes, escaped 4x

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

// Reads a number at `pos` (hex or decimal, at most `max_digits` digits so it cannot
// overflow); false when there is no digit or too many.
bool number(std::string_view s, std::size_t& pos, bool hex, std::size_t max_digits, std::uint64_t& out) {
    std::size_t digits = 0;
    std::uint64_t value = 0;
    while (pos < s.size() && (hex ? is_hex(s[pos]) : (s[pos] >= '0' && s[pos] <= '9'))) {
        if (++digits > max_digits) return false;
        value = value * (hex ? 16 : 10) + static_cast<std::uint64_t>(hex ? hex_value(s[pos]) : s[pos] - '0');
        ++pos;
    }
    out = value;
    return digits > 0;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
    if (pos >= s.size() || s[pos] != c) return false;
    ++pos;
    return true;
}

bool blanks(std::string_view s, std::size_t& pos) {  // one or more
    const std::size_t from = pos;
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
    return pos > from;
}

// `start-end perms offset dev inode [path]`
bool parse_header(std::string_view line, SmapsMapping& out) {
    std::size_t pos = 0;
    std::uint64_t ignored = 0;
    if (!number(line, pos, true, 16, out.start) || !expect(line, pos, '-') || !number(line, pos, true, 16, out.end) ||
        !blanks(line, pos) || out.start > out.end)
        return false;
    if (line.size() - pos < 4) return false;
    const char* p = line.data() + pos;
    if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') || (p[2] != 'x' && p[2] != '-') ||
        (p[3] != 's' && p[3] != 'p'))
        return false;
    out.perms = static_cast<std::uint8_t>((p[0] == 'r' ? smaps_perm::kRead : 0) | (p[1] == 'w' ? smaps_perm::kWrite : 0) |
                                          (p[2] == 'x' ? smaps_perm::kExec : 0) | (p[3] == 's' ? smaps_perm::kShared : 0));
    pos += 4;
    if (!blanks(line, pos) || !number(line, pos, true, 16, out.offset) || !blanks(line, pos) ||
        !number(line, pos, true, 8, ignored) || !expect(line, pos, ':') || !number(line, pos, true, 8, ignored) ||
        !blanks(line, pos) || !number(line, pos, false, 20, ignored))
        return false;
    if (pos == line.size()) return true;  // anonymous, no trailing blank
    if (!blanks(line, pos)) return false;  // "0x" after the inode: not a header
    out.path.assign(line.substr(pos));     // "" when only the kernel's padding followed
    return true;
}

enum class Field { kNone, kRss, kPss, kPrivateDirty, kSwap };

// ASCII only: the locale must not change what a key is (and isalnum's call was a third of the parse).
bool is_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "Key:" at the start of a line, or nothing when the line is not `Word:`.
std::string_view field_key(std::string_view line) {
    std::size_t pos = 0;
    while (pos < line.size() && is_key_char(line[pos])) ++pos;
    if (pos == 0 || pos >= line.size() || line[pos] != ':') return {};
    return line.substr(0, pos);
}

Field field_of(std::string_view key) {
    if (key == "Rss") return Field::kRss;
    if (key == "Pss") return Field::kPss;
    if (key == "Private_Dirty") return Field::kPrivateDirty;
    if (key == "Swap") return Field::kSwap;
    return Field::kNone;
}

// `N kB` after the key's colon, in bytes; false unless the whole unit is there.
bool kib_value(std::string_view rest, std::uint64_t& bytes) {
    std::size_t pos = 0;
    blanks(rest, pos);
    std::uint64_t kib = 0;
    if (!number(rest, pos, false, 15, kib) || !blanks(rest, pos)) return false;  // 10^15 kB: no overflow x1024
    if (rest.substr(pos, 2) != "kB") return false;
    pos += 2;
    blanks(rest, pos);
    if (pos != rest.size()) return false;
    bytes = kib * 1024;
    return true;
}

// One line at a time; the mapping being read is pushed when the next header comes or at the end.
class SmapsParser {
public:
    explicit SmapsParser(std::vector<SmapsMapping>& out) : out_(out) {}

    void line(std::string_view text) {
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        SmapsMapping header;
        if (!text.empty() && is_hex(text[0]) && parse_header(text, header)) {
            out_.push_back(std::move(header));
            open_ = true;
            return;
        }
        const std::string_view key = field_key(text);
        if (key.empty()) {
            // Neither a header nor a field: the fields after it may belong to a header
            // that was garbled, so they go to no mapping until the next good header.
            open_ = false;
            return;
        }
        if (!open_) return;
        const Field field = field_of(key);
        std::uint64_t bytes = 0;
        if (field == Field::kNone || !kib_value(text.substr(key.size() + 1), bytes)) return;
        SmapsMapping& m = out_.back();
        (field == Field::kRss ? m.rss : field == Field::kPss ? m.pss : field == Field::kPrivateDirty ? m.private_dirty : m.swap) =
            bytes;
    }

    // A line too long to read whole (never the kernel's): like garbage, it ends the record.
    void lost_line() { open_ = false; }

private:
    std::vector<SmapsMapping>& out_;
    bool open_ = false;  // the last header was good and nothing garbled came since
};

}  // namespace

std::vector<SmapsMapping> parse_smaps(std::string_view text) {
    std::vector<SmapsMapping> out;
    SmapsParser parser(out);
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        parser.line(text.substr(0, nl));
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    }
    return out;
}

std::optional<std::vector<SmapsMapping>> read_smaps(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<std::vector<SmapsMapping>> result;
    try {
        std::vector<SmapsMapping> out;
        SmapsParser parser(out);
        // [0, used) holds the start of a line not yet ended; a line longer than the buffer
        // is dropped up to its newline (`skipping`).
        std::unique_ptr<char[]> buffer(new char[kReadPiece]);
        std::size_t used = 0;
        bool skipping = false, failed = false;
        for (;;) {
            const ssize_t n = ::read(fd, buffer.get() + used, kReadPiece - used);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                failed = true;
                break;
            }
            if (n == 0) break;
            const std::size_t end = used + static_cast<std::size_t>(n);
            std::size_t from = 0;
            for (;;) {
                const void* nl = std::memchr(buffer.get() + from, '\n', end - from);
                if (!nl) break;
                const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer.get());
                if (skipping)
                    parser.lost_line();
                else
                    parser.line(std::string_view(buffer.get() + from, at - from));
                skipping = false;
                from = at + 1;
            }
            used = end - from;
            if (used == kReadPiece) {  // one line fills the buffer: drop it
                skipping = true;
                used = 0;
            } else if (from > 0) {
                std::memmove(buffer.get(), buffer.get() + from, used);
            }
        }
        if (!failed && used > 0 && !skipping) parser.line(std::string_view(buffer.get(), used));  // no final newline
        if (!failed) result = std::move(out);
    } catch (...) {  // bad_alloc: no partial answer
        result.reset();
    }
    ::close(fd);
    return result;
}

}  // namespace heapdiff::process
