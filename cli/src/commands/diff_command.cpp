// heapdiff diff A B [C ...] [--group-by KEY] ...: what grew, as a table, JSON or CSV.
// `heapdiff A B` is the same command (main() inserts "diff").
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands/commands.h"
#include "commands/count_option.h"
#include "render/csv_cell.h"
#include "render/format_text.h"
#include "heapdiff/diff.h"
#include "heapdiff/error.h"
#include "heapdiff/printable_text.h"
#include "heapdiff/reader.h"
#include "render/report_json.h"
#include "render/source_lines.h"

namespace heapdiff::cli {
namespace {

struct DiffCommandOptions {
    std::vector<std::string> paths;
    std::string group_by = "type";
    std::string sort = "size";
    std::size_t top = 0;     // 0: all
    bool top_given = false;  // default: 10 in a table, all in JSON and CSV
    bool json = false, csv = false, no_colour = false;
    DiffOptions diff;
};

std::string percent(std::uint64_t part, std::uint64_t whole) {
    if (!whole) return "-";
    double p = 100.0 * static_cast<double>(std::min(part, whole)) / static_cast<double>(whole);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f%%", p);
    return buf;
}

class Printer {
public:
    Printer(const DiffCommandOptions& o, const DiffReport& r, std::size_t rows)
        : r_(r), rows_(rows), colour_(want_colour(o.no_colour)) {}

    void table() {
        const bool objects = !groups_traces(r_.group_by);
        const bool three = r_.snapshots >= 3;
        std::printf("heapdiff %s, grouped by %s", three ? "survivors" : "diff", group_by_name(r_.group_by));
        if (three)
            std::printf(": born between the first two snapshots, alive in all %zu", r_.snapshots);
        std::printf("\n");
        if (r_.groups.empty()) {
            std::printf(three ? "no survivors\n" : "no difference\n");
            if (three) churn_line();
            notes();
            return;
        }
        if (objects || three) {
            std::printf("%11s %12s %12s %12s %10s %10s  %s\n", "size", "size diff", "count", "count diff", "new",
                        "freed", group_by_name(r_.group_by));
            for (std::size_t i = 0; i < rows_; ++i) {
                const GroupDiff& g = r_.groups[i];
                std::printf("%11s %s %12s %s %10s %10s  %s\n", human_size(g.size).c_str(),
                            coloured(g.size_diff, pad(signed_size(g.size_diff), 12)).c_str(),
                            with_commas(g.count).c_str(),
                            coloured(g.count_diff, pad(signed_count(g.count_diff), 12)).c_str(),
                            with_commas(g.new_objects).c_str(), objects ? with_commas(g.freed_objects).c_str() : "-",
                            printable(g.key).c_str());
                if (!objects) traceback(g, "    ");
            }
        } else {
            for (std::size_t i = 0; i < rows_; ++i) {
                const GroupDiff& g = r_.groups[i];
                // A traceback row is named by its newest frame; the whole traceback follows.
                std::string name = r_.group_by == GroupBy::Traceback && !g.traceback.empty()
                                       ? g.traceback.back().filename + ":" + std::to_string(g.traceback.back().lineno)
                                       : g.key;
                std::printf("#%zu %s: size=%s (%s), count=%s (%s), walked objects explain %s\n", i + 1,
                            printable(name).c_str(),
                            human_size(g.size).c_str(), coloured(g.size_diff, signed_size(g.size_diff)).c_str(),
                            with_commas(g.count).c_str(), coloured(g.count_diff, signed_count(g.count_diff)).c_str(),
                            percent(g.walked_size, g.size).c_str());
                if (r_.group_by == GroupBy::Traceback) traceback(g, "    ");
            }
        }
        if (rows_ < r_.groups.size()) std::printf("... %zu more rows (--top)\n", r_.groups.size() - rows_);
        if (three) churn_line();
        notes();
    }

    void notes() {
        for (const std::string& n : r_.notes) std::printf("note: %s\n", printable(n, kWholeText).c_str());  // heapdiff's sentence
    }

    void churn_line() {
        std::printf("excluded as churn: %s objects (%s) born between the first two snapshots and gone later\n",
                    with_commas(r_.churn_count).c_str(), human_size(r_.churn_size).c_str());
    }

    // Text cells through the one CSV cell writer (csv_cell.h); the numbers are heapdiff's.
    void csv() {
        std::printf("key,count,size,count_diff,size_diff,new,freed,walked_size,traceback\n");
        for (std::size_t i = 0; i < rows_; ++i) {
            const GroupDiff& g = r_.groups[i];
            std::string tb;
            for (const FrameText& f : g.traceback)
                tb += (tb.empty() ? "" : ";") + shortened(f.filename) + ":" + std::to_string(f.lineno);
            const std::string cells[] = {csv_text_cell(g.key),
                                         csv_number_cell(g.count),
                                         csv_number_cell(g.size),
                                         csv_number_cell(g.count_diff),
                                         csv_number_cell(g.size_diff),
                                         csv_number_cell(g.new_objects),
                                         csv_number_cell(g.freed_objects),
                                         csv_number_cell(g.walked_size),
                                         csv_text_cell(tb, kWholeText)};
            std::string row;
            for (const std::string& cell : cells) row += (row.empty() ? "" : ",") + cell;
            std::printf("%s\n", row.c_str());
        }
    }

private:
    static std::string pad(const std::string& s, std::size_t width) {
        return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
    }
    std::string coloured(std::int64_t diff, const std::string& text) const {
        if (!colour_ || diff == 0) return text;
        return (diff > 0 ? "\033[31m" : "\033[32m") + text + "\033[0m";  // growth red, shrinkage green
    }
    // Most recent call last, with the source line when the file is there.
    void traceback(const GroupDiff& g, const char* indent) {
        if (g.traceback.empty()) return;
        std::printf("%sTraceback (most recent call last):\n", indent);
        for (const FrameText& f : g.traceback) {
            std::printf("%s  File \"%s\", line %u\n", indent, printable(f.filename).c_str(), f.lineno);
            std::string line = sources_.get(f.filename, f.lineno);
            if (!line.empty()) std::printf("%s    %s\n", indent, printable(line).c_str());
        }
    }

    const DiffReport& r_;
    std::size_t rows_;
    bool colour_;
    SourceLines sources_;
};

void run(DiffCommandOptions& o) {
    auto group_by = parse_group_by(o.group_by);
    if (!group_by) throw usage_error("unknown --group-by '" + o.group_by + "': use type, module, traceback, filename or lineno");
    auto sort = parse_sort_by(o.sort);
    if (!sort) throw usage_error("unknown --sort '" + o.sort + "': use size, count or name");
    if (o.json && o.csv) throw usage_error("--json and --csv cannot be used together");
    o.diff.group_by = *group_by;
    o.diff.sort = *sort;
    if (o.diff.cumulative && *group_by != GroupBy::Filename && *group_by != GroupBy::Lineno)
        throw usage_error("--cumulative goes with --group-by filename or lineno");
    if (!o.diff.types.empty() && groups_traces(*group_by) && o.paths.size() < 3)
        throw usage_error("--type selects objects; with --group-by " + o.group_by +
                    " two snapshots are compared by tracemalloc's traces, which have no type");

    LoadOptions load;
    load.edges = false;
    load.values = false;
    load.refcounts = false;
    load.flags = false;
    std::vector<Snapshot> snaps;
    snaps.reserve(o.paths.size());
    for (const std::string& p : o.paths) snaps.push_back(read_snapshot(p, load));
    std::vector<const Snapshot*> ptrs;
    for (const Snapshot& s : snaps) ptrs.push_back(&s);

    DiffReport report = diff_snapshots(ptrs, o.paths, o.diff);
    for (const std::string& w : report.warnings) std::cerr << "heapdiff: " << printable(w, kWholeText) << "\n";  // paths and fixed text
    const std::size_t rows = rows_to_show(report.groups.size(), o.top_given ? o.top : o.json || o.csv ? 0 : 10);
    Printer printer(o, report, rows);
    if (o.json)
        print_json(to_json(report, rows));
    else if (o.csv)
        printer.csv();
    else
        printer.table();
}

}  // namespace

void set_diff_command(CLI::App& app) {
    auto o = std::make_shared<DiffCommandOptions>();
    CLI::App* cmd = app.add_subcommand("diff", "What grew between snapshots (oldest first); three or more: what "
                                               "was born between the first two and survived");
    cmd->add_option("snapshots", o->paths, "Snapshot files, oldest first")->required()->expected(2, 1000);
    cmd->add_option("--group-by", o->group_by, "type, module, traceback, filename or lineno")->capture_default_str();
    cmd->add_option("--sort", o->sort, "size, count or name")->capture_default_str();
    CLI::Option* top =
        add_count_option(cmd, "--top", o->top, "Rows to show (0: all; default: 10 in a table, all in JSON/CSV)");
    add_count_option(cmd, "--min-size", o->diff.min_size, "Hide rows whose size changed by fewer bytes (0: hide none)");
    cmd->add_option("--type", o->diff.types, "Only objects whose type matches this glob (short or qualified name)");
    cmd->add_option("--include", o->diff.include, "Only allocations from files matching this glob");
    cmd->add_option("--exclude", o->diff.exclude, "No allocations from files matching this glob");
    add_count_option(cmd, "--frames", o->diff.frames,
                     "Cut tracebacks to their N most recent frames before grouping (0: keep them whole)");
    cmd->add_flag("--cumulative", o->diff.cumulative, "filename/lineno: count a block under every frame of its traceback");
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->add_flag("--csv", o->csv, "Print CSV");
    cmd->add_flag("--no-color", o->no_colour, "Never colour the table (NO_COLOR does the same)");
    cmd->callback([o, top] {
        o->top_given = top->count() > 0;
        run(*o);
    });
}

}  // namespace heapdiff::cli
