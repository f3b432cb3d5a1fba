// The incident report (graph/incident_report.h) on hand-made snapshots written to files,
// and its HTML page's pieces: escaping, tables, charts. The page in a real browser is
// tests/python/test_report.py.
#include <doctest/doctest.h>

#include <string>

#include "heapdiff/incident_report.h"
#include "heapdiff/writer.h"
#include "render/html_report.h"
#include "render/html_table.h"
#include "render/html_text.h"
#include "snapshot_builder.h"
#include "render/svg_chart.h"
#include "temp_dir.h"

using namespace heapdiff;

namespace {

std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

// A module whose dict holds a list of `leaked` objects of a type named like markup, each
// holding a str whose value is a script element; RSS grows with them.
Snapshot leaking_heap(int leaked) {
    test::SnapshotBuilder b;
    TypeId module = b.type("builtins.module", 0xf000), dict = b.type("builtins.dict", 0xf100),
           list = b.type("builtins.list", 0xf200), str = b.type("builtins.str", 0xf300),
           evil = b.type("app.<b>Evil</b>", 0xf800, format::type_flag::kHeapType);
    b.fact("process.rss", static_cast<std::int64_t>(10'000'000 + 1000 * leaked));
    b.fact("label", std::string("after ") + std::to_string(leaked));
    b.object(0x100, module, 72, 2, 0, {}, "app");
    b.edge(0x200, EdgeKind::Field, b.string("__dict__").value);
    b.object(0x200, dict, 232, 1);
    b.edge(0x210, EdgeKind::DictKey);
    b.edge(0x300, EdgeKind::DictValue, 0);
    b.object(0x210, str, 55, 1, 0, {}, "KEPT");
    b.object(0x300, list, 56 + 8 * static_cast<std::uint64_t>(leaked), 1, format::object_flag::kGcTracked);
    for (int k = 0; k < leaked; ++k) b.edge(0x10000 + 0x100 * static_cast<std::uint64_t>(k), EdgeKind::Index, static_cast<std::uint64_t>(k));
    for (int k = 0; k < leaked; ++k) {
        const std::uint64_t at = 0x10000 + 0x100 * static_cast<std::uint64_t>(k);
        b.object(at, evil, 48, 1, format::object_flag::kGcTracked);
        b.edge(at + 0x80, EdgeKind::Attribute, b.string("text").value);
        b.object(at + 0x80, str, 80, 1, 0, {}, "<script>alert(1)</script>");
    }
    b.snapshot().module_roots.push_back({0x100, b.string("app")});
    return b.take();
}

}  // namespace

TEST_CASE("html_text: heap text is text in a page") {
    CHECK(cli::html_text("<script>a & 'b' \"c\"</script>") ==
          "&lt;script&gt;a &amp; &#39;b&#39; &quot;c&quot;&lt;/script&gt;");
    CHECK(cli::html_text("line\nbreak") == "line\\nbreak");  // printable() first: one line
    CHECK(cli::html_text("caf\xC3\xA9") == "caf\xC3\xA9");
}

TEST_CASE("HtmlTable: numeric cells sort by their value; a cut table says how many rows there were") {
    cli::HtmlTable t("things", {"name", "size"}, 5);
    t.add_row({cli::text_cell("a"), cli::number_cell("1.5 KiB", 1536)});
    t.add_row({cli::text_cell("b"), cli::number_cell("-3", -3)});
    const std::string html = t.html();
    CHECK(html.find("id=\"things\"") != std::string::npos);
    CHECK(html.find("<td class=\"num\" data-v=\"1536\">1.5 KiB</td>") != std::string::npos);
    CHECK(html.find("data-v=\"-3\"") != std::string::npos);
    CHECK(html.find("the first 2 of 5 rows") != std::string::npos);
    CHECK(cli::HtmlTable("none", {"x"}, 0).html() == "<p class=\"empty\" id=\"none\">none</p>");
}

TEST_CASE("line chart: one line per series, missing points left out, names escaped") {
    cli::LineChart c{"RSS <MiB>", {"#1", "#2", "#3"}, {}, [](std::uint64_t v) { return std::to_string(v); }};
    c.series.push_back({"<i>a</i>", {1, 2, 3}, false});
    c.series.push_back({"rss", {5, cli::kMissing, 7}, true});
    const std::string svg = cli::line_chart_svg(c);
    CHECK(svg.rfind("<svg class=\"chart\"", 0) == 0);
    CHECK(occurrences(svg, "<polyline") == 2);
    CHECK(occurrences(svg, "<circle") == 5);  // 3 + 2: the missing RSS point is not drawn
    CHECK(svg.find("<i>") == std::string::npos);
    CHECK(svg.find("&lt;i&gt;a&lt;/i&gt;") != std::string::npos);
    CHECK(svg.find("RSS &lt;MiB&gt;") != std::string::npos);
}

TEST_CASE("incident report: the trend, the suspect and the tables of three snapshots; the page escapes the heap") {
    test::TempDir dir;
    const std::vector<std::string> paths = {dir.file("1.hds"), dir.file("2.hds"), dir.file("3.hds")};
    write_snapshot(leaking_heap(0), paths[0]);
    write_snapshot(leaking_heap(4), paths[1]);
    write_snapshot(leaking_heap(9), paths[2]);
    IncidentReport r = build_incident_report(paths);

    REQUIRE(r.points.size() == 3);
    CHECK(r.points[0].facts.rss == std::optional<std::uint64_t>(10'000'000));
    CHECK(r.points[2].facts.rss == std::optional<std::uint64_t>(10'009'000));
    CHECK(r.points[1].facts.label == "after 4");
    CHECK(r.points[2].objects == 4 + 2 * 9);
    // The types that grew, by size growth: the strs (80 B each), then the markup type.
    REQUIRE(r.trends.size() >= 2);
    CHECK(r.trends[0].type == "builtins.str");
    CHECK(r.trends[1].type == "app.<b>Evil</b>");
    CHECK(r.trends[1].count == std::vector<std::uint64_t>{0, 4, 9});
    // Born after the first snapshot and alive in every later one: the first four.
    REQUIRE(!r.suspects.found.suspects.empty());
    CHECK(r.suspects.found.suspects[0].count == 4);
    CHECK(r.suspects.details[0].holder.name == "app.KEPT");
    CHECK(r.types.front().count_diff != 0);
    CHECK(!r.sites_note.empty());  // no tracemalloc in these snapshots: said, not failed
    CHECK(r.retainers.front() == r.graph->index().find(0x100));

    const std::string page = cli::html_report(r);
    CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(occurrences(page, "<script") == 1);
    CHECK(page.find("<b>Evil") == std::string::npos);
    CHECK(page.find("app.&lt;b&gt;Evil&lt;/b&gt;") != std::string::npos);
    CHECK(page.find("id=\"suspect-1\"") != std::string::npos);
    CHECK(occurrences(page, "<svg class=\"chart\"") == 3);
    CHECK(page.find("<div class=\"drawing\"><svg") != std::string::npos);
    CHECK(page.find("id=\"obj-0x10000\"") != std::string::npos);  // the suspect's object page
}

TEST_CASE("incident report: one snapshot has no trend and says so; a bad file is the usual error") {
    test::TempDir dir;
    write_snapshot(leaking_heap(3), dir.file("only.hds"));
    IncidentReport r = build_incident_report({dir.file("only.hds")});
    CHECK(r.points.size() == 1);
    CHECK(cli::html_report(r).find("One snapshot: give two or more") != std::string::npos);
    CHECK_THROWS_AS(build_incident_report({dir.file("missing.hds")}), Error);
    CHECK_THROWS_AS(build_incident_report({}), Error);
}

TEST_CASE("stacked bars: one segment per non-zero part, names escaped") {
    cli::StackedBars c{"RSS <by> category", {"#1", "#2"}, {}, [](std::uint64_t v) { return std::to_string(v); }};
    c.series.push_back({"<b>objects</b>", {10, 20}, false});
    c.series.push_back({"free", {0, 5}, false});
    const std::string svg = cli::stacked_bars_svg(c);
    CHECK(occurrences(svg, "<rect") == 3 + 2);  // 3 segments (one part is 0) and 2 legend swatches
    CHECK(svg.find("&lt;b&gt;objects&lt;/b&gt; in #2: 20") != std::string::npos);
    CHECK(svg.find("<b>") == std::string::npos);
}

TEST_CASE("incident report: where the memory went, with the memory map's snapshots") {
    test::TempDir dir;
    const std::vector<std::string> paths = {dir.file("1.hds"), dir.file("2.hds")};
    for (int k = 0; k < 2; ++k) {
        Snapshot s = leaking_heap(k * 4);
        const std::uint64_t heap = (10ull + 80ull * static_cast<std::uint64_t>(k)) << 20;
        s.mappings.push_back({0x555600000000, heap, format::mapping_perm::kRead | format::mapping_perm::kWrite,
                              s.strings.add("[heap]"), heap, heap, heap, 0});
        s.facts.push_back({"malloc.allocator", format::FactKind::String, 0, 0, "glibc 2.36"});
        s.facts.push_back({"malloc.in_use", format::FactKind::Int, static_cast<std::int64_t>(heap), 0, ""});
        write_snapshot(s, paths[static_cast<std::size_t>(k)]);
    }
    IncidentReport r = build_incident_report(paths);
    REQUIRE(r.memory.size() == 2);
    CHECK(r.memory[1].available);
    REQUIRE_FALSE(r.memory_findings.empty());
    CHECK(r.memory_findings.front().kind == "native_grew");
    const std::string page = cli::html_report(r);
    CHECK(page.find("<h2 id=\"memory\">Where the memory went</h2>") != std::string::npos);
    CHECK(page.find("RSS by category") != std::string::npos);
    CHECK(page.find("native allocations grew by") != std::string::npos);
}
