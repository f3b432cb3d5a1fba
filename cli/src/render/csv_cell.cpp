#include "render/csv_cell.h"

#include "heapdiff/printable_text.h"

namespace heapdiff::cli {
namespace {

// OWASP's list: what a spreadsheet reads as the start of a formula. Tab and carriage
// return are in it for text that reaches a cell unescaped; printable() already writes
// them as \t and \r, but the writer checks the text it was given too.
bool starts_formula(std::string_view text) {
    if (text.empty()) return false;
    switch (text.front()) {
        case '=': case '+': case '-': case '@': case '\t': case '\r': return true;
        default: return false;
    }
}

}  // namespace

std::string csv_text_cell(std::string_view heap_text, std::size_t max_chars) {
    std::string text = printable(heap_text, max_chars);
    const bool formula = starts_formula(heap_text) || starts_formula(text);
    if (formula) text.insert(text.begin(), '\'');
    if (!formula && text.find_first_of(",\"") == std::string::npos) return text;
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string csv_number_cell(std::int64_t value) { return std::to_string(value); }
std::string csv_number_cell(std::uint64_t value) { return std::to_string(value); }

}  // namespace heapdiff::cli
