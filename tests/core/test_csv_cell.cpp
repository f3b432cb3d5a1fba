// csv_cell.h: the one CSV cell writer. Heap text that a spreadsheet would run as a
// formula gets OWASP's leading quote; heapdiff's own numbers stay numbers.
#include <doctest/doctest.h>

#include "render/csv_cell.h"

using heapdiff::cli::csv_number_cell;
using heapdiff::cli::csv_text_cell;

TEST_CASE("csv_text_cell: a cell a spreadsheet reads as a formula gets a leading ' and quotes") {
    CHECK(csv_text_cell("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    CHECK(csv_text_cell("+1") == "\"'+1\"");
    CHECK(csv_text_cell("-2+3") == "\"'-2+3\"");
    CHECK(csv_text_cell("@SUM(A1)") == "\"'@SUM(A1)\"");
    // A tab or carriage return first: escaped by printable() and still marked.
    CHECK(csv_text_cell("\t=1") == "\"'\\t=1\"");
    CHECK(csv_text_cell("\r=1") == "\"'\\r=1\"");
    // Only the first character counts: text with = inside is text.
    CHECK(csv_text_cell("a=b") == "a=b");
}

TEST_CASE("csv_text_cell: ordinary text as it is, quoted when CSV needs it, one line, shortened") {
    CHECK(csv_text_cell("builtins.dict") == "builtins.dict");
    CHECK(csv_text_cell("") == "");
    CHECK(csv_text_cell("a,b") == "\"a,b\"");
    CHECK(csv_text_cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_text_cell("two\nlines") == "two\\nlines");
    const std::string cell = csv_text_cell(std::string(5000, 'x'));
    CHECK(cell == std::string(200, 'x') + "\xE2\x80\xA6 (4800 more characters)");
    CHECK(csv_text_cell(std::string(300, 'y'), heapdiff::kWholeText) == std::string(300, 'y'));
}

TEST_CASE("csv_number_cell: heapdiff's numbers, negative ones too, are numbers") {
    CHECK(csv_number_cell(std::int64_t{-12}) == "-12");
    CHECK(csv_number_cell(std::int64_t{0}) == "0");
    CHECK(csv_number_cell(std::uint64_t{18446744073709551615u}) == "18446744073709551615");
}
