// Heap text made safe inside an HTML page: printable() first (one line, no control
// character, bad UTF-8 as U+FFFD), then the five characters HTML gives a meaning
// escaped, so a str value or a type name holding "<script>" shows as text.
#pragma once

#include <string>
#include <string_view>

namespace heapdiff::cli {

std::string html_text(std::string_view heap_text);

// For attribute values and ids built from heap text: html_text() is enough inside
// double quotes.
inline std::string html_attribute(std::string_view text) { return html_text(text); }

}  // namespace heapdiff::cli
