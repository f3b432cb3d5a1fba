#include "render/html_report.h"

#include <unordered_set>

#include "render/format_text.h"
#include "heapdiff/drawing.h"
#include "heapdiff/neighbourhood.h"
#include "heapdiff/object_text.h"
#include "heapdiff/retained.h"
#include "heapdiff/version.h"
#include "render/html_table.h"
#include "render/html_text.h"
#include "render/report_objects_output.h"
#include "render/source_lines.h"
#include "render/svg_chart.h"

namespace heapdiff::cli {
namespace {

constexpr std::size_t kNeighbours = 50;  // referrers / referents listed on an object page
constexpr std::size_t kRetainedTypes = 20;
constexpr std::size_t kRetainerPages = 10;  // the biggest retainers that get a page too

const char* const kStyle = R"CSS(
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 1.5em 4em; color: #1d1d1f; }
h1 { margin: 1em 0 .2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
nav a { margin-right: 1em; } code, .mono, td { font-family: ui-monospace, monospace; font-size: 13px; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f4f4f6; cursor: pointer; user-select: none; position: sticky; top: 0; }
th[aria-sort=descending]::after { content: " \25BC"; } th[aria-sort=ascending]::after { content: " \25B2"; }
td.num { text-align: right; white-space: nowrap; } .grow { color: #b3261e; } .shrink { color: #1b6e20; }
.controls { margin: .5em 0; } .cut, .note, .empty { color: #666; } .filter { width: 18em; }
.totals { display: flex; flex-wrap: wrap; gap: 1.5em; margin: 1em 0; } .totals div { background: #f4f4f6; padding: .6em 1em; border-radius: 6px; }
.totals b { display: block; font-size: 20px; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; } svg.chart { width: 570px; max-width: 100%; border: 1px solid #eee; }
svg.chart text { font: 11px system-ui, sans-serif; } .chart-title { font-weight: bold; font-size: 13px !important; }
.y-label { text-anchor: end; dominant-baseline: middle; } .x-label { text-anchor: middle; } .grid { stroke: #e6e6e6; }
.suspect { border: 1px solid #ddd; border-radius: 8px; padding: .5em 1em 1em; margin: 1em 0; }
.suspect h3 { margin: .4em 0; } .drawing { overflow: auto; max-height: 640px; border: 1px solid #eee; margin: .5em 0; }
.drawing svg { max-width: 100%; height: auto; } .site { margin: 0; padding-left: 1.2em; } .src { color: #555; }
.object-page { display: none; border: 2px solid #0072b2; border-radius: 8px; padding: .5em 1em; margin: 1em 0; }
.object-page:target { display: block; } .kind { font-size: 12px; background: #eee; border-radius: 4px; padding: 1px 6px; }
)CSS";

std::string esc(std::string_view s) { return html_text(s); }

std::string object_id(const Snapshot& s, ObjectIndex i) { return "obj-" + hex_address(s.address[i]); }

std::string signed_html(std::int64_t v, const std::string& text) {
    if (v == 0) return text;
    return std::string("<span class=\"") + (v > 0 ? "grow" : "shrink") + "\">" + text + "</span>";
}

class Page {
public:
    explicit Page(const IncidentReport& r) : r_(r), s_(*r.last), g_(*r.graph) {
        for (const SuspectDetails& d : r.suspects.details) {
            want_page(d.representative.object);
            if (d.holder.object != kNoObject) want_page(d.holder.object);
        }
        for (std::size_t k = 0; k < r.retainers.size() && k < kRetainerPages; ++k) want_page(r.retainers[k]);
    }

    std::string html() {
        std::string out = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                          "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
                          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                          "<title>heapdiff report: " + esc(r_.points.back().path) + "</title><style>" + kStyle +
                          "</style></head><body>";
        out += header() + trend() + memory() + suspects() + tables() + object_pages();
        out += std::string("<p class=\"note\">made by heapdiff ") + kVersion + "</p><script>";
        out += kTableScript;
        return out + "</script></body></html>\n";
    }

private:
    void want_page(ObjectIndex i) {
        if (paged_.insert(i).second) page_order_.push_back(i);
    }

    // An object in a table or a list: its description, linked to its page if it has one.
    std::string object_html(ObjectIndex i, bool with_name = true) const {
        std::string text = esc(describe_object(s_, i));
        if (paged_.count(i)) text = "<a href=\"#" + object_id(s_, i) + "\">" + text + "</a>";
        text += " <span class=\"mono note\">" + hex_address(s_.address[i]) + "</span>";
        if (with_name)
            if (std::string name = r_.names->name(i); !name.empty()) text += "<br><code>" + esc(name) + "</code>";
        return text;
    }

    std::string header() const {
        const SnapshotPoint& newest = r_.points.back();
        std::string out = "<h1>heapdiff report</h1><nav><a href=\"#trend\">trend</a><a href=\"#memory\">memory</a><a href=\"#suspects\">suspects</a>"
                          "<a href=\"#types\">types</a><a href=\"#sites\">allocation sites</a><a href=\"#retainers\">"
                          "biggest retainers</a><a href=\"#trash\">cyclic trash</a><a href=\"#orphans\">orphans</a></nav>";
        out += "<div class=\"totals\" id=\"totals\">";
        auto total = [&](const std::string& name, const std::string& value) {
            out += "<div>" + name + "<b>" + value + "</b></div>";
        };
        total("objects", with_commas(newest.objects));
        total("their bytes", human_size(newest.bytes));
        total("RSS", newest.facts.rss ? human_size(*newest.facts.rss) : "?");
        total("suspects", with_commas(r_.suspects.found.suspects.size()));
        total("cyclic trash", human_size(r_.garbage.bytes));
        total("orphans", with_commas(r_.orphans.objects));
        out += "</div><table id=\"snapshots\"><thead><tr><th>#</th><th>snapshot</th><th>label</th><th>taken</th>"
               "<th>pid</th><th>Python</th><th>objects</th><th>bytes</th><th>RSS</th></tr></thead><tbody>";
        for (std::size_t k = 0; k < r_.points.size(); ++k) {
            const SnapshotPoint& p = r_.points[k];
            out += "<tr><td>#" + std::to_string(k + 1) + "</td><td>" + esc(p.path) + "</td><td>" + esc(p.facts.label) +
                   "</td><td>" + local_time(p.facts) + "</td><td>" + std::to_string(p.facts.pid) + "</td><td>" +
                   esc(p.facts.python_version) +
                   "</td><td class=\"num\">" + with_commas(p.objects) + "</td><td class=\"num\">" + human_size(p.bytes) +
                   "</td><td class=\"num\">" + (p.facts.rss ? human_size(*p.facts.rss) : "?") +
                   "</td></tr>";
        }
        return out + "</tbody></table>";
    }

    std::string trend() const {
        std::string out = "<h2 id=\"trend\">Trend</h2>";
        if (r_.points.size() < 2)
            return out + "<p class=\"note\">One snapshot: give two or more, oldest first, for the trend.</p>";
        std::vector<std::string> x;
        for (std::size_t k = 0; k < r_.points.size(); ++k) x.push_back("#" + std::to_string(k + 1));
        auto bytes = [](std::uint64_t v) { return human_size(v); };
        auto count = [](std::uint64_t v) { return with_commas(v); };
        LineChart memory{"Memory per snapshot", x, {}, bytes};
        ChartSeries rss{"RSS", {}, true}, objects{"objects' bytes", {}, false};
        for (const SnapshotPoint& p : r_.points) {
            rss.values.push_back(p.facts.rss.value_or(kMissing));
            objects.values.push_back(p.bytes);
        }
        memory.series = {rss, objects};
        LineChart sizes{"Size of the types that grew most", x, {}, bytes};
        LineChart counts{"Count of the types whose count grew most", x, {}, count};
        for (const TypeTrend& t : r_.trends) sizes.series.push_back({t.type, t.size, false});
        for (const TypeTrend& t : r_.count_trends) counts.series.push_back({t.type, t.count, false});
        out += "<div class=\"charts\">" + line_chart_svg(memory);
        if (!r_.trends.empty()) out += line_chart_svg(sizes);
        if (!r_.count_trends.empty()) out += line_chart_svg(counts);
        out += "</div>";
        if (r_.trends.empty() && r_.count_trends.empty())
            out += "<p class=\"note\">No type grew from the first snapshot to the last.</p>";
        return out;
    }

    // Where RSS went, per snapshot: a stacked bar per snapshot, the newest one's table,
    // and the findings (memory_account.h).
    std::string memory() const {
        std::string out = "<h2 id=\"memory\">Where the memory went</h2>";
        const MemoryAccount& newest = r_.memory.back();
        if (!newest.available) return out + "<p class=\"note\">" + esc(newest.why_not) + "</p>";
        StackedBars bars{"RSS by category", {}, {}, [](std::uint64_t v) { return human_size(v); }};
        for (std::size_t k = 0; k < r_.memory.size(); ++k) bars.x_labels.push_back("#" + std::to_string(k + 1));
        for (MemoryCategory c : kAllMemoryCategories) {
            ChartSeries series{std::string(category_title(c)), {}, false};
            for (const MemoryAccount& a : r_.memory) series.values.push_back(a.available ? a.get(c) : 0);
            bars.series.push_back(std::move(series));
        }
        out += "<div class=\"charts\">" + stacked_bars_svg(bars) + "</div>";
        out += "<table class=\"memory\"><thead><tr><th>category</th><th>bytes</th><th>% of RSS</th><th></th></tr></thead><tbody>";
        for (MemoryCategory c : kAllMemoryCategories) {
            const std::uint64_t b = newest.get(c);
            out += "<tr><td>" + esc(std::string(category_title(c))) + "</td><td class=\"num\">" + human_size(b) +
                   "</td><td class=\"num\">" + std::to_string(newest.rss ? (b * 100 + newest.rss / 2) / newest.rss : 0) +
                   "%</td><td>" + (newest.is_estimated(c) ? "estimated" : "") + "</td></tr>";
        }
        out += "</tbody></table>";
        for (const MemoryFinding& f : r_.memory_findings) out += "<p class=\"finding\">" + esc(f.text) + "</p>";
        return out;
    }

    std::string headline(const Suspect& sp) const {
        const std::string type = esc(s_.type_name(sp.type));
        const std::string n = with_commas(sp.count), bytes = human_size(sp.retained);
        switch (sp.kind) {
            case SuspectKind::Held: return n + " new " + type + ", retaining " + bytes;
            case SuspectKind::CyclicTrash: return n + " new " + type + " in cyclic trash, " + bytes + " only the collector can free";
            case SuspectKind::Orphan: return n + " new orphaned " + type + ", retaining " + bytes + ": nothing in the snapshot refers to them, C code holds them";
            case SuspectKind::Big: return "one " + type + " retains " + bytes;
        }
        return type;
    }

    static std::string site_html(const std::vector<SourceFrame>& frames) {
        if (frames.empty()) return "";
        std::string out = "<p>allocated at (most recent call first):</p><ol class=\"site\">";
        for (const SourceFrame& f : frames) {
            out += "<li><code>" + esc(f.filename) + ":" + std::to_string(f.lineno) + "</code>";
            if (!f.line.empty()) out += " <code class=\"src\">" + esc(f.line) + "</code>";
            out += "</li>";
        }
        return out + "</ol>";
    }

    std::string suspects() const {
        std::string out = "<h2 id=\"suspects\">Suspects</h2>";
        const SuspectsReport& sr = r_.suspects.found;
        if (sr.snapshots > 1)
            out += "<p>" + with_commas(sr.candidates) + " objects born since the first snapshot are still alive, "
                   "clustered by what holds them.</p>";
        else
            out += "<p>Objects that retain at least 10% of the heap (" + human_size(sr.heap_bytes) +
                   "), where the memory piles up.</p>";
        if (sr.suspects.empty()) return out + "<p class=\"empty\">none</p>";
        const std::vector<SuspectDetails>& details = r_.suspects.details;
        for (std::size_t k = 0; k < details.size(); ++k) {
            const Suspect& sp = sr.suspects[k];
            const SuspectDetails& d = details[k];
            out += "<section class=\"suspect\" id=\"suspect-" + std::to_string(k + 1) + "\"><h3>#" + std::to_string(k + 1) +
                   " " + headline(sp) + "</h3>";
            if (sp.holder != kNoObject)
                out += "<p>" + std::string(sp.kind == SuspectKind::Big ? "it is " : "held by ") + object_html(sp.holder) + "</p>";
            out += "<p>one of them: " + object_html(sp.representative) + "</p>";
            if (d.chain.objects.size() > 1) {
                out += "<p>" + std::string(sp.kind == SuspectKind::CyclicTrash ? "the cycle through one of them:" : "one chain from a root:") +
                       "</p><div class=\"drawing\">" +
                       drawing_svg(draw_chains(g_, {d.chain}, &r_.sizes.retained, r_.names.get())) + "</div>";
            }
            if (!sp.held.empty()) {
                out += "<p>holds: ";
                for (std::size_t h = 0; h < sp.held.size(); ++h)
                    out += (h ? ", " : "") + with_commas(sp.held[h].count) + " " + esc(s_.type_name(sp.held[h].type)) + " (" +
                           human_size(sp.held[h].size) + ")";
                out += "</p>";
            }
            out += site_html(d.allocated) + "</section>";
        }
        if (details.size() < sr.suspects.size())
            out += "<p class=\"cut\">and " + with_commas(sr.suspects.size() - details.size()) + " more suspects (--suspects)</p>";
        return out;
    }

    std::string group_table(const char* id, const std::vector<GroupDiff>& rows, std::uint64_t total, bool sites) const {
        const bool diffs = r_.points.size() > 1;
        std::vector<std::string> columns = {sites ? "allocated at (most recent call first)" : "type", "count", "size"};
        if (diffs) columns.insert(columns.end(), {"count diff", "size diff"});
        HtmlTable t(id, columns, total);
        for (const GroupDiff& g : rows) {
            std::string key;
            if (sites && !g.traceback.empty()) {
                for (auto f = g.traceback.rbegin(); f != g.traceback.rend(); ++f) {
                    key += (key.empty() ? "" : "<br>") + esc(f->filename) + ":" + std::to_string(f->lineno);
                    if (f == g.traceback.rbegin())  // the line that allocated, as tracemalloc's statistics show it
                        if (std::string line = sources_.get(f->filename, f->lineno); !line.empty())
                            key += " <span class=\"src\">" + esc(line) + "</span>";
                }
            } else {
                key = esc(g.key);
            }
            std::vector<HtmlCell> cells = {text_cell(key), number_cell(with_commas(g.count), static_cast<std::int64_t>(g.count)),
                                           number_cell(human_size(g.size), static_cast<std::int64_t>(g.size))};
            if (diffs) {
                cells.push_back(number_cell(signed_html(g.count_diff, signed_count(g.count_diff)), g.count_diff));
                cells.push_back(number_cell(signed_html(g.size_diff, signed_size(g.size_diff)), g.size_diff));
            }
            t.add_row(std::move(cells));
        }
        return t.html();
    }

    std::string tables() const {
        const std::string newest = esc(r_.points.back().path);
        std::string out = "<h2 id=\"types\">Types</h2><p class=\"note\">In " + newest +
                          (r_.points.size() > 1 ? ", with the change since " + esc(r_.points.front().path) : std::string()) + ".</p>";
        out += group_table("types-table", r_.types, r_.type_count, false);

        out += "<h2 id=\"sites\">Allocation sites</h2>";
        if (!r_.sites_note.empty()) out += "<p class=\"note\">" + esc(r_.sites_note) + "</p>";
        else out += group_table("sites-table", r_.sites, r_.site_count, true);

        out += "<h2 id=\"retainers\">Biggest retainers</h2><p class=\"note\">What would be freed if each object went away "
               "(its dominator subtree).</p>";
        HtmlTable retainers("retainers-table", {"object", "type", "size", "retained"}, s_.object_count());
        for (ObjectIndex i : r_.retainers)
            retainers.add_row({text_cell(object_html(i)), text_cell(esc(s_.type_name(s_.type[i]))),
                               number_cell(human_size(s_.size[i]), static_cast<std::int64_t>(s_.size[i])),
                               number_cell(human_size(r_.sizes.retained[i]), static_cast<std::int64_t>(r_.sizes.retained[i]))});
        out += retainers.html();

        out += "<h2 id=\"trash\">Cyclic trash</h2><p class=\"note\">" + with_commas(r_.garbage.objects) + " objects (" +
               human_size(r_.garbage.bytes) + ") that no root reaches: only the cyclic collector frees them.</p>";
        HtmlTable trash("trash-table", {"type", "count", "size", "with __del__", "in gc.garbage"}, r_.garbage.types.size());
        for (const GarbageType& t : r_.garbage.types)
            trash.add_row({text_cell(esc(t.stat.name)), number_cell(with_commas(t.stat.count), static_cast<std::int64_t>(t.stat.count)),
                           number_cell(human_size(t.stat.size), static_cast<std::int64_t>(t.stat.size)),
                           number_cell(with_commas(t.finalizers), static_cast<std::int64_t>(t.finalizers)),
                           number_cell(with_commas(t.in_gc_garbage), static_cast<std::int64_t>(t.in_gc_garbage))});
        out += trash.html();

        const OrphanReport& o = r_.orphans;
        out += "<h2 id=\"orphans\">Orphans</h2><p class=\"note\">" + with_commas(o.objects) + " objects (" +
               human_size(o.bytes) + ") that nothing in the snapshot refers to although their reference count says "
               "something does: C code holds them" + (o.growth ? "; the types that grew" : "") + ".";
        if (!o.search.where.empty()) out += " Objects nothing refers to at all: " + esc(o.search.where) + ".";
        out += "</p>";
        std::vector<std::string> columns = {"type", "count", "size"};
        if (o.growth) columns.insert(columns.end(), {"count diff", "size diff"});
        columns.insert(columns.end(), {"unreferenced", "most common values", "allocated at"});
        HtmlTable orphans("orphans-table", columns, o.types.size());
        for (const OrphanType& t : o.types) {
            const TypeStat& stat = t.stat;
            std::vector<HtmlCell> cells = {text_cell(esc(stat.name)), number_cell(with_commas(stat.count), static_cast<std::int64_t>(stat.count)),
                                           number_cell(human_size(stat.size), static_cast<std::int64_t>(stat.size))};
            if (o.growth) {
                cells.push_back(number_cell(signed_html(stat.count_diff, signed_count(stat.count_diff)), stat.count_diff));
                cells.push_back(number_cell(signed_html(stat.size_diff, signed_size(stat.size_diff)), stat.size_diff));
            }
            cells.push_back(number_cell(with_commas(t.unreferenced), static_cast<std::int64_t>(t.unreferenced)));
            std::string values, where;
            for (std::size_t v = 0; v < t.values.size() && v < 5; ++v)
                values += (v ? ", " : "") + esc(t.values[v].first) + " &times;" + std::to_string(t.values[v].second);
            for (auto f = t.traceback.rbegin(); f != t.traceback.rend(); ++f)
                where += (where.empty() ? "" : "<br>") + esc(f->filename) + ":" + std::to_string(f->lineno);
            cells.push_back(text_cell(values));
            cells.push_back(text_cell(where));
            orphans.add_row(std::move(cells));
        }
        return out + orphans.html();
    }

    // Referrers or referents of `i` with the labels of the references, at most kNeighbours.
    std::string neighbours(ObjectIndex i, bool referrers) const {
        const auto& graph = referrers ? g_.reverse() : g_.forward();
        std::vector<ObjectIndex> list;
        std::uint64_t total = 0;
        for (auto [e, end] = out_edges(i, graph); e != end; ++e) {
            const ObjectIndex w = target(*e, graph);
            if (w == g_.virtual_root()) continue;
            if (++total <= kNeighbours) list.push_back(w);
        }
        std::string out = "<h4>" + std::string(referrers ? "referrers" : "referents") + " (" + with_commas(total) + ")</h4>";
        if (referrers && g_.is_root(i))
            out += "<p class=\"note\">a root: " + esc(root_reasons_text(g_.root_reasons(i), g_.unexplained_refs(i))) + "</p>";
        if (list.empty()) return out + "<p class=\"empty\">none</p>";
        out += "<table class=\"neighbours\"><tbody>";
        for (ObjectIndex w : list) {
            const std::string label = referrers ? g_.label_between(w, i) : g_.label_between(i, w);
            out += "<tr><td>" + esc(label.empty() ? "(reference)" : label) + "</td><td>" + object_html(w, false) + "</td></tr>";
        }
        out += "</tbody></table>";
        if (total > list.size()) out += "<p class=\"cut\">and " + with_commas(total - list.size()) + " more</p>";
        return out;
    }

    std::string retained_types(ObjectIndex i) const {
        const RetainedReport kept = retained_report(g_, i);  // its types by size, as `heapdiff retained` lists them
        std::string out = "<h4>retains " + with_commas(kept.kept.size()) + " objects</h4>";
        if (kept.types.empty()) return out + "<p class=\"empty\">nothing: no root reaches it</p>";
        out += "<table class=\"neighbours\"><thead><tr><th>type</th><th>count</th><th>size</th></tr></thead><tbody>";
        for (std::size_t k = 0; k < kept.types.size() && k < kRetainedTypes; ++k)
            out += "<tr><td>" + esc(kept.types[k].name) + "</td><td class=\"num\">" + with_commas(kept.types[k].count) +
                   "</td><td class=\"num\">" + human_size(kept.types[k].size) + "</td></tr>";
        return out + "</tbody></table>";
    }

    std::string object_pages() const {
        std::string out = "<div id=\"objects\">";
        for (ObjectIndex i : page_order_) {
            out += "<section class=\"object-page\" id=\"" + object_id(s_, i) + "\"><h3>" + esc(describe_object(s_, i)) +
                   " <span class=\"mono note\">" + hex_address(s_.address[i]) + "</span></h3><p>type <code>" +
                   esc(s_.type_name(s_.type[i])) + "</code>, " + human_size(s_.size[i]) + ", retains " +
                   human_size(r_.sizes.retained[i]);
            if (std::string name = r_.names->name(i); !name.empty()) out += ", reachable as <code>" + esc(name) + "</code>";
            out += "</p>" + neighbours(i, true) + neighbours(i, false) + retained_types(i) + "</section>";
        }
        return out + "</div>";
    }

    const IncidentReport& r_;
    const Snapshot& s_;
    const HeapGraph& g_;
    std::unordered_set<ObjectIndex> paged_;
    std::vector<ObjectIndex> page_order_;
    mutable SourceLines sources_;  // each file read once per page
};

}  // namespace

std::string html_report(const IncidentReport& report) { return Page(report).html(); }

}  // namespace heapdiff::cli
