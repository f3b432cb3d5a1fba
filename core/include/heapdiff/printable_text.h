// Text from a heap made safe to print. Dict keys, str values, type, module and file
// names, frame names, labels: much of it is chosen by whoever talks to the process (HTTP
// headers, cache keys), and printed raw a newline would forge extra lines in a chain
// that must read one line per reference, and \r or an escape sequence would rewrite the
// terminal. Every command prints such text through printable(), and the JSON writer and
// the drawings escape the same characters, so what they show cannot be mistaken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "heapdiff/report_bounds.h"

namespace heapdiff {

// The text with every character that is not plain printable text escaped, like Python's
// repr: \n \r \t, \\ for a backslash, \xNN for another ASCII control character (C0,
// DEL) or for a byte that is not part of well-formed UTF-8, \uNNNN for a C1 control
// (U+0080-U+009F), a line or paragraph separator (U+2028, U+2029) or a bidirectional
// override or isolate (U+202A-U+202E, U+2066-U+2069, which reorder what follows them).
// The result is one line of well-formed UTF-8 without control characters.
//
// At most `max_chars` characters of the text are shown (a byte that is not UTF-8 counts
// as one): longer text ends with "… (N more characters)" after them (report_bounds.h).
// kWholeText for text that is the caller's own, composed of bounded pieces (messages).
constexpr std::size_t kWholeText = SIZE_MAX;
std::string printable(std::string_view text, std::size_t max_chars = kMaxShownChars);

// The text unescaped but cut as printable() cuts it: its first `max_chars` characters,
// never inside a UTF-8 sequence, then "… (N more characters)"; the text itself when it
// is no longer. For text that is escaped later (JSON) or joined before it is printed.
std::string shortened(std::string_view text, std::size_t max_chars = kMaxShownChars);

// How many characters text has, as printable() and shortened() count them.
std::size_t text_chars(std::string_view text);

// The code point of the well-formed UTF-8 sequence at text[at] and its length (1-4),
// or length 0 when the bytes there are not one (overlong, surrogate, past U+10FFFF, cut).
struct Utf8Char {
    char32_t code_point = 0;
    std::size_t length = 0;
};
Utf8Char utf8_char_at(std::string_view text, std::size_t at);

// True for the code points printable() escapes (see above).
bool needs_escape(char32_t code_point);

}  // namespace heapdiff
