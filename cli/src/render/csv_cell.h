// The one CSV cell writer for every --csv output. A cell of heap text (a type or module
// name, a file name) is data a spreadsheet must not run: text starting with = + - @, a
// tab or a carriage return is read as a formula by Excel, LibreOffice and Google Sheets
// (=HYPERLINK(...) in a module's __name__), so such a cell gets a leading ' as OWASP's
// "CSV Injection" advice says, and every cell is quoted as RFC 4180 requires. Numbers
// heapdiff computed (-12 bytes) are written as numbers, never through the text writer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "heapdiff/printable_text.h"  // kWholeText, kMaxShownChars

namespace heapdiff::cli {

// Heap text as one CSV cell: printable() (one line, no control character, shortened as
// every report shortens text), a leading ' when it starts with = + - @ (after
// printable() a tab or carriage return reads \t or \r, so those never start a cell), and
// quoted with "" doubled when it holds a comma, a quote or that '.
// `max_chars` as printable() takes it: kWholeText for a cell joined from pieces that
// were each shortened() already (a traceback's file names).
std::string csv_text_cell(std::string_view heap_text, std::size_t max_chars = kMaxShownChars);

// A number heapdiff computed, as a CSV cell: "-12", "4096".
std::string csv_number_cell(std::int64_t value);
std::string csv_number_cell(std::uint64_t value);

}  // namespace heapdiff::cli
