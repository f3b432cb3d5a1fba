// A table of the report page: sortable by any column (a click on its head), filterable
// (a box above it) and paged by the page's script; without a script every row shows.
// Cells hold HTML the caller escaped (html_text.h); numeric cells also carry the raw
// number they sort by.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace heapdiff::cli {

struct HtmlCell {
    std::string html;
    std::string sort_key;  // a number for numeric columns; empty: sort by the text
};

HtmlCell text_cell(const std::string& html);
HtmlCell number_cell(const std::string& html, std::int64_t value);

class HtmlTable {
public:
    // `id` names the table in the page (tests find it by id); `total` is how many rows
    // the list had before it was cut, so the page says "500 of 12,345".
    HtmlTable(std::string id, std::vector<std::string> columns, std::uint64_t total);
    void add_row(std::vector<HtmlCell> cells);
    std::string html() const;

private:
    std::string id_;
    std::vector<std::string> columns_;
    std::uint64_t total_;
    std::vector<std::vector<HtmlCell>> rows_;
};

// The script that sorts, filters and pages every HtmlTable; goes once at the page's end.
extern const char* const kTableScript;

}  // namespace heapdiff::cli
