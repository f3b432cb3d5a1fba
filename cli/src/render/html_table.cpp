#include "render/html_table.h"

#include "render/format_text.h"
#include "render/html_text.h"

namespace heapdiff::cli {

HtmlCell text_cell(const std::string& html) { return {html, ""}; }
HtmlCell number_cell(const std::string& html, std::int64_t value) { return {html, std::to_string(value)}; }

HtmlTable::HtmlTable(std::string id, std::vector<std::string> columns, std::uint64_t total)
    : id_(std::move(id)), columns_(std::move(columns)), total_(total) {}

void HtmlTable::add_row(std::vector<HtmlCell> cells) { rows_.push_back(std::move(cells)); }

std::string HtmlTable::html() const {
    if (rows_.empty()) return "<p class=\"empty\" id=\"" + html_attribute(id_) + "\">none</p>";
    std::string out = "<div class=\"table-box\"><div class=\"controls\"><input type=\"search\" class=\"filter\" "
                      "placeholder=\"filter rows\" aria-label=\"filter rows\"> <button class=\"prev\">&larr;</button> "
                      "<span class=\"pager-info\"></span> <button class=\"next\">&rarr;</button>";
    if (total_ > rows_.size())
        out += " <span class=\"cut\">the first " + with_commas(rows_.size()) + " of " + with_commas(total_) + " rows</span>";
    out += "</div><table class=\"data\" id=\"" + html_attribute(id_) + "\"><thead><tr>";
    for (const std::string& c : columns_) out += "<th title=\"sort\">" + html_text(c) + "</th>";
    out += "</tr></thead><tbody>";
    for (const auto& row : rows_) {
        out += "<tr>";
        for (const HtmlCell& c : row)
            out += c.sort_key.empty() ? "<td>" + c.html + "</td>" : "<td class=\"num\" data-v=\"" + c.sort_key + "\">" + c.html + "</td>";
        out += "</tr>";
    }
    return out + "</tbody></table></div>";
}

// Plain DOM, no library, nothing fetched. Rows stay in the DOM (the filter searches all
// of them); only a page of 50 is displayed.
const char* const kTableScript = R"JS(
(function () {
  var PER_PAGE = 50;
  document.querySelectorAll("table.data").forEach(function (table) {
    var box = table.parentNode;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var shown = rows, page = 0, sortColumn = -1, descending = true;
    var filter = box.querySelector("input.filter");
    var info = box.querySelector(".pager-info");
    var prev = box.querySelector("button.prev"), next = box.querySelector("button.next");
    function pages() { return Math.max(1, Math.ceil(shown.length / PER_PAGE)); }
    function draw() {
      rows.forEach(function (r) { r.style.display = "none"; });
      shown.slice(page * PER_PAGE, (page + 1) * PER_PAGE).forEach(function (r) { r.style.display = ""; });
      info.textContent = shown.length + " rows, page " + (page + 1) + " of " + pages();
      prev.disabled = page === 0;
      next.disabled = page + 1 >= pages();
    }
    function applyFilter() {
      var q = filter.value.toLowerCase();
      shown = rows.filter(function (r) { return r.textContent.toLowerCase().indexOf(q) >= 0; });
      page = 0;
      draw();
    }
    function key(row, column) {
      var cell = row.cells[column];
      return cell.hasAttribute("data-v") ? Number(cell.getAttribute("data-v")) : cell.textContent.toLowerCase();
    }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      th.addEventListener("click", function () {
        descending = sortColumn === column ? !descending : true;
        sortColumn = column;
        rows.sort(function (a, b) {
          var x = key(a, column), y = key(b, column);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return descending ? -order : order;
        });
        rows.forEach(function (r) { body.appendChild(r); });
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        applyFilter();
      });
    });
    filter.addEventListener("input", applyFilter);
    prev.addEventListener("click", function () { if (page > 0) { page--; draw(); } });
    next.addEventListener("click", function () { if (page + 1 < pages()) { page++; draw(); } });
    draw();
  });
})();
)JS";

}  // namespace heapdiff::cli
