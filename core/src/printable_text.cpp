#include "heapdiff/printable_text.h"

#include <cstdio>

namespace heapdiff {

Utf8Char utf8_char_at(std::string_view s, std::size_t at) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = byte(at);
    if (c < 0x80) return {c, 1};
    const std::size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || at + n > s.size()) return {};
    char32_t cp = c & (0xFF >> (n + 1));
    for (std::size_t k = 1; k < n; ++k) {
        if ((byte(at + k) & 0xC0) != 0x80) return {};
        cp = (cp << 6) | (byte(at + k) & 0x3F);
    }
    const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return {};
    return {cp, n};
}

bool needs_escape(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

namespace {

// One character as printable() and shortened() count it: a well-formed UTF-8 sequence,
// or a byte that is not part of one.
std::size_t char_length(std::string_view s, std::size_t at) {
    const std::size_t n = utf8_char_at(s, at).length;
    return n ? n : 1;
}

// The byte offset after the first `max_chars` characters (s.size() when it has no more).
std::size_t prefix_bytes(std::string_view s, std::size_t max_chars) {
    std::size_t i = 0;
    for (std::size_t chars = 0; i < s.size() && chars < max_chars; ++chars) i += char_length(s, i);
    return i;
}

std::string cut_marker(std::string_view rest) {
    return "\xE2\x80\xA6 (" + std::to_string(text_chars(rest)) + " more characters)";
}

}  // namespace

std::size_t text_chars(std::string_view s) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size(); ++chars) i += char_length(s, i);
    return chars;
}

std::string shortened(std::string_view s, std::size_t max_chars) {
    const std::size_t end = prefix_bytes(s, max_chars);
    if (end == s.size()) return std::string(s);
    return std::string(s.substr(0, end)) + cut_marker(s.substr(end));
}

std::string printable(std::string_view whole, std::size_t max_chars) {
    const std::size_t end = prefix_bytes(whole, max_chars);
    const std::string_view s = whole.substr(0, end);
    std::string out;
    out.reserve(s.size());
    char buf[8];
    for (std::size_t i = 0; i < s.size();) {
        const Utf8Char ch = utf8_char_at(s, i);
        if (ch.length == 0) {  // a byte that is not UTF-8: shown as the byte
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
            out += buf;
            ++i;
            continue;
        }
        const char32_t cp = ch.code_point;
        if (cp == '\\') out += "\\\\";
        else if (cp == '\n') out += "\\n";
        else if (cp == '\r') out += "\\r";
        else if (cp == '\t') out += "\\t";
        else if (!needs_escape(cp)) out.append(s, i, ch.length);
        else {
            std::snprintf(buf, sizeof buf, cp < 0x80 ? "\\x%02x" : "\\u%04x", static_cast<unsigned>(cp));
            out += buf;
        }
        i += ch.length;
    }
    if (end < whole.size()) out += cut_marker(whole.substr(end));
    return out;
}

}  // namespace heapdiff
